/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * svr-conductor's startup file: every key optional, unknown keys and bad values refused with the
 * key's JSON path (as svr-dataplane's startup file, docs/startup-config.md). Runs on the main
 * thread before anything starts.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "common/fsutil.h"
#include "common/hex.h"
#include "common/log.h"
#include "config.h"
#include "httpd/httpd.h"

void cd_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256(data, len, md);
	svr_hex_encode(md, sizeof(md), out);
}

static const struct {
	unsigned role;
	const char *name;
} role_names[] = {
    {CD_ROLE_ADMIN, "admin"},       {CD_ROLE_PLANNER, "planner"}, {CD_ROLE_APPROVER, "approver"},
    {CD_ROLE_OPERATOR, "operator"}, {CD_ROLE_AUDITOR, "auditor"},
};

const char *cd_role_name(unsigned role)
{
	for (size_t i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++)
		if (role_names[i].role == role)
			return role_names[i].name;
	return NULL;
}

unsigned cd_role_parse(const char *s)
{
	for (size_t i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++)
		if (strcmp(role_names[i].name, s) == 0)
			return role_names[i].role;
	return 0;
}

void cd_config_defaults(struct cd_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->listen, sizeof(c->listen), "%s", CD_LISTEN_DEFAULT);
	snprintf(c->state_dir, sizeof(c->state_dir), "%s", CD_STATE_DIR_DEFAULT);
	snprintf(c->store, sizeof(c->store), "sqlite");
	c->hold_s = 25;
	c->router_timeout_s = 30;
	c->enrolment_token_ttl_s = 86400;
	c->max_body_bytes = (uint64_t)64 << 20;
	c->connection_limit = 4096;
	c->per_ip_connection_limit = 64;
	snprintf(c->ui_vue_js, sizeof(c->ui_vue_js), "%s", CD_UI_VUE_JS_DEFAULT);
	c->change_control.require_ticket = true;
	c->change_control.apply_grace_s = 300;
	c->itsm_webhook.timeout_ms = 5000;
	c->itsm_webhook.max_attempts = 10;
	c->itsm_webhook.retry_base_ms = 1000;
}

static int opt_uint(const json_t *o, const char *key, uint64_t min, uint64_t max, unsigned *field,
		    struct svr_jerr *e)
{
	uint64_t v;
	int r = svr_json_get_uint(o, key, "", min, max, &v, e);
	if (r > 0)
		*field = (unsigned)v;
	return r < 0 ? -1 : 0;
}

/* An operator's name is a commit's author: letters, digits, '-', '_', '.'. */
static bool valid_operator_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= CD_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-_.", s[i]))
			return false;
	return true;
}

/* A name routers reach the conductor by: an IP address, or a DNS name (labels of letters,
 * digits and '-', 1-63 characters, 253 in all). */
bool cd_config_valid_host(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];
	if (inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1)
		return true;
	size_t n = strlen(s), label = 0;
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return false;
			label = 0;
		} else if (isalnum((unsigned char)s[i]) || (s[i] == '-' && label > 0)) {
			label++;
		} else {
			return false;
		}
	}
	return true;
}

static int parse_names(const json_t *doc, struct cd_config *c, struct svr_jerr *e)
{
	json_t *names;
	if (svr_json_get_array(doc, "names", "", &names, e) < 0)
		return -1;
	if (!names)
		return 0;
	size_t max = sizeof(c->names) / sizeof(c->names[0]);
	if (json_array_size(names) == 0 || json_array_size(names) > max)
		return svr_jerr_set(e, "names", "must list 1 to %zu names", max);
	size_t i;
	json_t *v;
	json_array_foreach (names, i, v) {
		char p[32];
		snprintf(p, sizeof(p), "names[%zu]", i);
		const char *s = json_string_value(v);
		if (!s || !cd_config_valid_host(s))
			return svr_jerr_set(e, p,
					    "must be an IP address or a DNS name (letters, digits, "
					    "'-' and '.', at most 253 characters)");
		snprintf(c->names[i], sizeof(c->names[i]), "%s", s);
	}
	c->n_names = (unsigned)json_array_size(names);
	return 0;
}

static int parse_operator(const json_t *o, const char *p, struct cd_operator *op,
			  struct svr_jerr *e)
{
	static const char *const keys[] = {"name", "token-file", "role", NULL};
	const char *name = NULL, *file = NULL, *role = NULL;
	char kp[64];
	if (svr_json_only_keys(o, p, keys, e) < 0 ||
	    svr_json_get_string(o, "name", p, &name, e) < 0 ||
	    svr_json_get_string(o, "token-file", p, &file, e) < 0 ||
	    svr_json_get_string(o, "role", p, &role, e) < 0)
		return -1;
	op->role = role ? cd_role_parse(role) : CD_ROLE_ADMIN;
	if (!op->role) {
		snprintf(kp, sizeof(kp), "%s.role", p);
		return svr_jerr_set(e, kp, "must be admin, planner, approver, operator or auditor");
	}
	snprintf(kp, sizeof(kp), "%s.name", p);
	if (!name)
		return svr_jerr_set(e, kp, "required");
	if (!valid_operator_name(name))
		return svr_jerr_set(e, kp,
				    "must be 1-%d letters, digits, '-', '_' or '.' (it is the "
				    "author of the commits made with this token)",
				    CD_NAME_MAX - 1);
	snprintf(op->name, sizeof(op->name), "%s", name);
	if (file) {
		snprintf(kp, sizeof(kp), "%s.token-file", p);
		if (!*file || strlen(file) >= sizeof(op->token_file) - 16)
			return svr_jerr_set(e, kp, "must be a path of 1-4000 characters");
		snprintf(op->token_file, sizeof(op->token_file), "%s", file);
	}
	return 0;
}

static int parse_operators(const json_t *doc, struct cd_config *c, struct svr_jerr *e)
{
	json_t *ops;
	if (svr_json_get_array(doc, "operators", "", &ops, e) < 0)
		return -1;
	if (!ops)
		return 0;
	size_t max = sizeof(c->operators) / sizeof(c->operators[0]);
	if (json_array_size(ops) == 0 || json_array_size(ops) > max)
		return svr_jerr_set(e, "operators", "must list 1 to %zu operators", max);
	size_t i;
	json_t *o;
	json_array_foreach (ops, i, o) {
		char p[32];
		snprintf(p, sizeof(p), "operators[%zu]", i);
		if (parse_operator(o, p, &c->operators[i], e) < 0)
			return -1;
		for (size_t j = 0; j < i; j++)
			if (strcmp(c->operators[j].name, c->operators[i].name) == 0)
				return svr_jerr_set(e, p,
						    "the name \"%s\" is also operators[%zu]'s",
						    c->operators[i].name, j);
	}
	c->n_operators = (unsigned)json_array_size(ops);
	return 0;
}

static int parse_store(const json_t *doc, struct cd_config *c, struct svr_jerr *e)
{
	const char *store = NULL;
	if (svr_json_get_string(doc, "store", "", &store, e) < 0)
		return -1;
	if (!store)
		return 0;
	if (strcmp(store, "sqlite") == 0 || (strncmp(store, "postgresql:", 11) == 0 && store[11] &&
					     strlen(store) < sizeof(c->store))) {
		snprintf(c->store, sizeof(c->store), "%s", store);
		return 0;
	}
	return svr_jerr_set(e, "store",
			    "must be \"sqlite\" or \"postgresql:CONNINFO\" (libpq's key=value "
			    "text or a postgresql:// URI, under 4096 characters)");
}

static int parse_change_control(const json_t *doc, struct cd_config *c, struct svr_jerr *e)
{
	static const char *const keys[] = {"enabled", "require-ticket", "apply-grace-s", NULL};
	json_t *o;
	uint64_t grace;
	int r;
	if (svr_json_get_object(doc, "change-control", "", &o, e) < 0)
		return -1;
	if (!o)
		return 0;
	if (svr_json_only_keys(o, "change-control", keys, e) < 0 ||
	    svr_json_get_bool(o, "enabled", "change-control", &c->change_control.enabled, e) < 0 ||
	    svr_json_get_bool(o, "require-ticket", "change-control",
			      &c->change_control.require_ticket, e) < 0 ||
	    (r = svr_json_get_uint(o, "apply-grace-s", "change-control", 1, 7 * 86400, &grace, e)) <
		0)
		return -1;
	if (r)
		c->change_control.apply_grace_s = (unsigned)grace;
	return 0;
}

/* A path key of the webhook: a non-empty path that fits. */
static int webhook_path(const json_t *o, const char *key, char *field, size_t len,
			struct svr_jerr *e)
{
	const char *s = NULL;
	char p[64];
	snprintf(p, sizeof(p), "itsm-webhook.%s", key);
	if (svr_json_get_string(o, key, "itsm-webhook", &s, e) < 0)
		return -1;
	if (!s)
		return 0;
	if (!*s || strlen(s) >= len - 16)
		return svr_jerr_set(e, p, "must be a path of 1-%zu characters", len - 17);
	snprintf(field, len, "%s", s);
	return 0;
}

/* http:// or https://, a host, no blanks or control characters (it goes into libcurl as is). */
static bool valid_webhook_url(const char *s, size_t max)
{
	size_t n = strlen(s);
	size_t scheme = strncmp(s, "https://", 8) == 0 ? 8 : strncmp(s, "http://", 7) == 0 ? 7 : 0;
	if (!scheme || n <= scheme || n >= max || s[scheme] == '/')
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

/* user:pass@ in the authority: a password the log (and every "delivered" line) would show. */
static bool webhook_url_has_userinfo(const char *s)
{
	const char *host = strstr(s, "://") + 3;
	size_t end = strcspn(host, "/?#");
	return memchr(host, '@', end) != NULL;
}

static int parse_webhook(const json_t *doc, struct cd_config *c, struct svr_jerr *e)
{
	static const char *const keys[] = {"url",          "token-file",    "cacert", "timeout-ms",
					   "max-attempts", "retry-base-ms", NULL};
	struct cd_webhook_config *w = &c->itsm_webhook;
	const char *url = NULL;
	json_t *o;
	if (svr_json_get_object(doc, "itsm-webhook", "", &o, e) < 0)
		return -1;
	if (!o)
		return 0;
	if (svr_json_only_keys(o, "itsm-webhook", keys, e) < 0 ||
	    svr_json_get_string(o, "url", "itsm-webhook", &url, e) < 0)
		return -1;
	if (!url)
		return svr_jerr_set(e, "itsm-webhook.url", "required");
	if (!valid_webhook_url(url, sizeof(w->url)))
		return svr_jerr_set(e, "itsm-webhook.url",
				    "must be an http:// or https:// URL with a host, without "
				    "blanks, under %zu characters",
				    sizeof(w->url));
	if (webhook_url_has_userinfo(url))
		return svr_jerr_set(e, "itsm-webhook.url",
				    "must not hold a user or password (user:pass@): give a bearer "
				    "token in token-file");
	snprintf(w->url, sizeof(w->url), "%s", url);
	if (webhook_path(o, "token-file", w->token_file, sizeof(w->token_file), e) < 0 ||
	    webhook_path(o, "cacert", w->cacert, sizeof(w->cacert), e) < 0)
		return -1;
	if (w->cacert[0] && strncmp(url, "https://", 8) != 0)
		return svr_jerr_set(e, "itsm-webhook.cacert", "only for an https:// url");
	/* The bearer token is a credential: never sent in clear. */
	if (w->token_file[0] && strncmp(url, "https://", 8) != 0)
		return svr_jerr_set(e, "itsm-webhook.token-file", "needs an https url");
	uint64_t v;
	int r;
	if ((r = svr_json_get_uint(o, "timeout-ms", "itsm-webhook", 100, 600000, &v, e)) < 0)
		return -1;
	if (r)
		w->timeout_ms = (unsigned)v;
	if ((r = svr_json_get_uint(o, "max-attempts", "itsm-webhook", 1, 1000, &v, e)) < 0)
		return -1;
	if (r)
		w->max_attempts = (unsigned)v;
	if ((r = svr_json_get_uint(o, "retry-base-ms", "itsm-webhook", 10, 60000, &v, e)) < 0)
		return -1;
	if (r)
		w->retry_base_ms = (unsigned)v;
	return 0;
}

static int parse_doc(const json_t *doc, struct cd_config *c, struct svr_jerr *e)
{
	static const char *const keys[] = {"listen",
					   "state-dir",
					   "store",
					   "names",
					   "operators",
					   "hold-s",
					   "router-timeout-s",
					   "enrolment-token-ttl-s",
					   "max-body-bytes",
					   "connection-limit",
					   "per-ip-connection-limit",
					   "ui-vue-js",
					   "change-control",
					   "itsm-webhook",
					   NULL};
	if (!json_is_object(doc))
		return svr_jerr_set(e, "", "the startup file must be a JSON object");
	if (svr_json_only_keys(doc, "", keys, e) < 0)
		return -1;
	const char *s = NULL;
	if (svr_json_get_string(doc, "listen", "", &s, e) < 0)
		return -1;
	if (s) {
		struct sockaddr_storage ss;
		char err[256];
		if (strlen(s) >= sizeof(c->listen) ||
		    svr_httpd_parse_listen(s, "listen", &ss, err, sizeof(err)) < 0)
			return svr_jerr_set(e, "listen",
					    "must be IPV4:PORT or [IPV6]:PORT with a numeric "
					    "address and a port from 1 to 65535");
		snprintf(c->listen, sizeof(c->listen), "%s", s);
	}
	s = NULL;
	if (svr_json_get_string(doc, "state-dir", "", &s, e) < 0)
		return -1;
	if (s) {
		if (!*s || strlen(s) > 3000)
			return svr_jerr_set(e, "state-dir", "must be a path of 1-3000 characters");
		snprintf(c->state_dir, sizeof(c->state_dir), "%s", s);
	}
	s = NULL;
	if (svr_json_get_string(doc, "ui-vue-js", "", &s, e) < 0)
		return -1;
	if (s) {
		if (strlen(s) > 3000)
			return svr_jerr_set(
			    e, "ui-vue-js",
			    "must be a path of at most 3000 characters (\"\": no UI)");
		snprintf(c->ui_vue_js, sizeof(c->ui_vue_js), "%s", s);
	}
	uint64_t body;
	int r = svr_json_get_uint(doc, "max-body-bytes", "", 1024, (uint64_t)1 << 32, &body, e);
	if (r < 0)
		return -1;
	if (r > 0)
		c->max_body_bytes = body;
	if (parse_store(doc, c, e) < 0 || parse_names(doc, c, e) < 0 ||
	    parse_operators(doc, c, e) < 0 || opt_uint(doc, "hold-s", 1, 300, &c->hold_s, e) < 0 ||
	    opt_uint(doc, "router-timeout-s", 1, 86400, &c->router_timeout_s, e) < 0 ||
	    opt_uint(doc, "enrolment-token-ttl-s", 1, 365 * 86400, &c->enrolment_token_ttl_s, e) <
		0 ||
	    opt_uint(doc, "connection-limit", 16, 1000000, &c->connection_limit, e) < 0 ||
	    opt_uint(doc, "per-ip-connection-limit", 0, 1000000, &c->per_ip_connection_limit, e) <
		0 ||
	    parse_change_control(doc, c, e) < 0 || parse_webhook(doc, c, e) < 0)
		return -1;
	return 0;
}

int cd_config_parse(const char *text, struct cd_config *c, struct svr_jerr *e)
{
	json_error_t jerr;
	json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		return svr_jerr_set(e, "", "line %d column %d: %s", jerr.line, jerr.column,
				    jerr.text);
	int r = parse_doc(doc, c, e);
	json_decref(doc);
	return r;
}

int cd_config_load(const char *path, struct cd_config *c, struct svr_jerr *e)
{
	size_t len;
	char *text = svr_read_file(path, 1 << 20, &len);
	if (!text)
		return errno == EFBIG
			   ? svr_jerr_set(e, "", "%s: larger than 1 MiB", path)
			   : svr_jerr_set(e, "", "cannot read %s: %s", path, strerror(errno));
	int r = cd_config_parse(text, c, e);
	free(text);
	return r;
}

/* The listen address as a name, when no names are given: a wildcard is reached on loopback
 * and on the host's own name. */
static void default_names(struct cd_config *c)
{
	char host[256];
	const char *close = strchr(c->listen, ']');
	if (c->listen[0] == '[' && close)
		snprintf(host, sizeof(host), "%.*s", (int)(close - c->listen - 1), c->listen + 1);
	else
		snprintf(host, sizeof(host), "%.*s", (int)(strrchr(c->listen, ':') - c->listen),
			 c->listen);
	bool any = strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0;
	snprintf(c->names[c->n_names++], sizeof(c->names[0]), "%s",
		 !any                  ? host
		 : c->listen[0] == '[' ? "::1"
				       : "127.0.0.1");
	if (any && gethostname(host, sizeof(host)) == 0 && cd_config_valid_host(host))
		snprintf(c->names[c->n_names++], sizeof(c->names[0]), "%s", host);
}

int cd_config_finish(struct cd_config *c, char *err, size_t errlen)
{
	if (strcmp(c->store, "sqlite") == 0 &&
	    snprintf(c->store, sizeof(c->store), "sqlite:%s/conductor.db", c->state_dir) >=
		(int)sizeof(c->store))
		return svr_errf(err, errlen, "state-dir too long");
	if (c->n_names == 0)
		default_names(c);
	if (c->n_operators == 0) {
		snprintf(c->operators[0].name, sizeof(c->operators[0].name), "admin");
		c->operators[0].role = CD_ROLE_ADMIN;
		c->n_operators = 1;
	}
	for (unsigned i = 0; i < c->n_operators; i++) {
		struct cd_operator *op = &c->operators[i];
		char path[sizeof(op->token_file)];
		if (op->token_file[0])
			continue;
		if (snprintf(path, sizeof(path), "%s/operator-token-%s", c->state_dir, op->name) >=
		    (int)sizeof(path))
			return svr_errf(err, errlen, "state-dir too long");
		memcpy(op->token_file, path, sizeof(path));
	}
	return 0;
}

int cd_config_load_tokens(struct cd_config *c, char *err, size_t errlen)
{
	for (unsigned i = 0; i < c->n_operators; i++) {
		struct cd_operator *op = &c->operators[i];
		char token[SVR_HTTPD_TOKEN_MAX + 1];
		size_t len;
		if (svr_httpd_token_load(op->token_file, token, sizeof(token), &len, err, errlen) <
		    0)
			return -1;
		cd_sha256_hex(token, len, op->token_sha256);
		OPENSSL_cleanse(token, sizeof(token));
		for (unsigned j = 0; j < i; j++)
			if (strcmp(c->operators[j].token_sha256, op->token_sha256) == 0)
				return svr_errf(err, errlen,
						"operators %s and %s have the same token (%s and "
						"%s): give each its own",
						c->operators[j].name, op->name,
						c->operators[j].token_file, op->token_file);
	}
	return 0;
}
