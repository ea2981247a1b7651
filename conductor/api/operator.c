/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The operator API under /api/v1 (docs/conductor.md, "Operator API"): versions, the candidate,
 * commits and rollbacks, diff, export and import, the router inventory and enrolment tokens,
 * alarms, keys, the CA, who the caller is, the audit log, and the OpenAPI document. Every route
 * but /openapi.json needs an operator token, and lists the roles it admits (docs/conductor.md,
 * "Roles"); the server checks both before a handler runs, and in->who is the operator's name,
 * the author of what the request commits. Handlers that change something say what in the audit
 * log (cd_http_audit).
 *
 * Threads: the handlers run on the HTTP server's threads. They call the store (serialised by
 * the store, short) and never wait for anything else.
 */
#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alarms.h"
#include "api/api.h"
#include "api/commands.h"
#include "commit.h"
#include "common/hex.h"
#include "common/log.h"
#include "conductor.h"
#include "http/http.h"
#include "httpd/httpd.h"
#include "keys.h"
#include "model/diff.h"
#include "model/validate.h"
#include "pki.h"

#define HISTORY_LIMIT_DEFAULT 50
#define HISTORY_LIMIT_MAX     1000
#define AUDIT_LIMIT_DEFAULT   100
#define AUDIT_LIMIT_MAX       1000
#define ASSET_ID_MAX          (SVR_STORE_NAME_MAX - 1) /* the store keeps a NUL too */

extern const char svr_conductor_openapi_json[];
extern const size_t svr_conductor_openapi_json_len;

/* ------------------------------------------------------------ helpers -- */

/* A commit's metadata as the API shows it (the names of docs/conductor.md). */
static json_t *commit_json(const struct svr_store_commit *c)
{
	json_t *o = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s}", "version", (json_int_t)c->version,
			      "at-ms", (json_int_t)c->at_ms, "author", c->author, "message",
			      c->message, "kind", c->kind, "sha256", c->sha256);
	if (!o)
		return NULL;
	json_object_set_new(o, "ticket", *c->ticket ? json_string(c->ticket) : json_null());
	json_object_set_new(o, "source-version",
			    c->source_version ? json_integer(c->source_version) : json_null());
	return o;
}

/* {version, commit, model} of a stored version. */
static void version_reply(struct cd_reply *out, const struct svr_store_commit *info, json_t *model)
{
	cd_http_json(out, 200,
		     json_pack("{s:I, s:o, s:o}", "version", (json_int_t)info->version, "commit",
			       commit_json(info), "model", model));
}

static void format_rfc3339(int64_t ms, char *buf, size_t len)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&s, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ------------------------------------------------------------- versions -- */

static void get_model(struct conductor *c, const struct cd_request *in, struct cd_reply *out)
{
	struct svr_store_commit info;
	json_t *model = NULL;
	char err[256];
	if (!cd_api_query_ok(in, out, cd_api_no_args))
		return;
	int rc = svr_store_running(c->store, &info, &model, err, sizeof(err));
	if (rc < 0)
		cd_api_store_error(out, rc, err);
	else if (!model)
		cd_http_error(out, 404, "nothing has been committed yet (POST /api/v1/commit)");
	else
		version_reply(out, &info, model);
}

static void get_version(struct conductor *c, const struct cd_request *in, struct cd_reply *out)
{
	struct svr_store_commit info;
	json_t *model = NULL;
	int64_t v;
	char err[256];
	if (!cd_api_query_ok(in, out, cd_api_no_args))
		return;
	if (!cd_api_parse_positive(in->arg, &v)) {
		cd_http_error(out, 400, "\"%.64s\" is not a version number (1, 2, ...)", in->arg);
		return;
	}
	int rc = svr_store_version(c->store, v, &info, &model, err, sizeof(err));
	if (rc < 0)
		cd_api_store_error(out, rc, err);
	else
		version_reply(out, &info, model);
}

/* Each commit's "approver": who approved the proposal that made it (null when none). */
static int add_approvers(struct conductor *c, json_t *list, struct cd_reply *out)
{
	char err[256];
	json_t *map = NULL;
	size_t n = json_array_size(list);
	int64_t newest = json_integer_value(json_object_get(json_array_get(list, 0), "version"));
	int64_t oldest =
	    json_integer_value(json_object_get(json_array_get(list, n - 1), "version"));
	int rc = svr_store_approvers(c->store, oldest, newest, &map, err, sizeof(err));
	if (rc < 0) {
		json_decref(list);
		cd_api_store_error(out, rc, err);
		return -1;
	}
	size_t i;
	json_t *commit;
	json_array_foreach (list, i, commit) {
		char v[24];
		snprintf(v, sizeof(v), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(json_object_get(commit, "version")));
		json_t *who = json_object_get(map, v);
		json_object_set_new(commit, "approver", who ? json_incref(who) : json_null());
	}
	json_decref(map);
	return 0;
}

/* A page's query (?before=N&limit=L, and the request's other known keys): false after a 400. */
static bool page_args(const struct cd_request *in, struct cd_reply *out, const char *const *known,
		      int64_t limit_max, int64_t limit_default, int64_t *before, int64_t *limit)
{
	if (!cd_api_query_ok(in, out, known))
		return false;
	*before = cd_api_number_arg(in, out, "before", 1, INT64_MAX / 2, 0);
	*limit =
	    *before < 0 ? -1 : cd_api_number_arg(in, out, "limit", 1, limit_max, limit_default);
	return *limit >= 0;
}

/* {KEY: list, "next"}: a full page may have more behind it, and "next" is the before= that
 * fetches it (the last item's id_key), else null. Takes list. */
static void page_reply(struct cd_reply *out, const char *key, json_t *list, int64_t limit,
		       const char *id_key)
{
	size_t n = json_array_size(list);
	json_t *last = n ? json_object_get(json_array_get(list, n - 1), id_key) : NULL;
	json_t *next = n == (size_t)limit && json_integer_value(last) > 1
			   ? json_integer(json_integer_value(last))
			   : json_null();
	cd_http_json(out, 200, json_pack("{s:o, s:o}", key, list, "next", next));
}

static void get_history(struct conductor *c, const struct cd_request *in, struct cd_reply *out)
{
	static const char *const known[] = {"before", "limit", NULL};
	char err[256];
	json_t *list = NULL;
	int64_t before, limit;
	if (!page_args(in, out, known, HISTORY_LIMIT_MAX, HISTORY_LIMIT_DEFAULT, &before, &limit))
		return;
	int rc = svr_store_history(c->store, before, (unsigned)limit, &list, err, sizeof(err));
	if (rc < 0) {
		cd_api_store_error(out, rc, err);
		return;
	}
	if (json_array_size(list) && add_approvers(c, list, out) < 0)
		return;
	page_reply(out, "commits", list, limit, "version");
}

/* A side of a diff: "running", "candidate" or a version number. */
static int diff_side(struct conductor *c, const char *name, json_t **model, struct cd_reply *out)
{
	char err[256];
	struct svr_store_commit info;
	int64_t v;
	int rc;
	*model = NULL;
	if (strcmp(name, "candidate") == 0)
		rc = cd_api_candidate_model(c, model, err, sizeof(err));
	else if (strcmp(name, "running") == 0)
		rc = svr_store_running(c->store, &info, model, err, sizeof(err));
	else if (cd_api_parse_positive(name, &v))
		rc = svr_store_version(c->store, v, &info, model, err, sizeof(err));
	else {
		cd_http_error(out, 400,
			      "\"%.64s\" is not a version (a number, \"running\" or \"candidate\")",
			      name);
		return -1;
	}
	if (rc < 0) {
		cd_api_store_error(out, rc, err);
		return -1;
	}
	if (!*model) {
		cd_http_error(out, 404, "%s: nothing has been committed yet", name);
		return -1;
	}
	return 0;
}

static void get_diff(struct conductor *c, const struct cd_request *in, struct cd_reply *out)
{
	static const char *const known[] = {"from", "to", NULL};
	if (!cd_api_query_ok(in, out, known))
		return;
	const char *from = cd_http_query(in, "from"), *to = cd_http_query(in, "to");
	from = from ? from : "running";
	to = to ? to : "candidate";
	json_t *a = NULL, *b = NULL, *changes = NULL;
	if (diff_side(c, from, &a, out) == 0 && diff_side(c, to, &b, out) == 0) {
		changes = svr_model_diff(a, b);
		if (!changes)
			cd_http_error(out, 500, "out of memory");
		else
			cd_http_json(out, 200,
				     json_pack("{s:s, s:s, s:o}", "from", from, "to", to, "changes",
					       changes));
	}
	json_decref(a);
	json_decref(b);
}

/* ------------------------------------------------------------ candidate -- */

static void get_candidate(struct conductor *c, const struct cd_request *in, struct cd_reply *out)
{
	json_t *model = NULL;
	char err[256];
	if (!cd_api_query_ok(in, out, cd_api_no_args))
		return;
	int rc = cd_api_candidate_model(c, &model, err, sizeof(err));
	if (rc < 0)
		cd_api_store_error(out, rc, err);
	else if (!model)
		cd_http_error(out, 404, "no candidate: none was put and nothing is committed");
	else
		cd_http_json(out, 200, model);
}

/* Who put the candidate and when: for a page that finds it different from the running model. */
static void get_candidate_info(struct conductor *c, const struct cd_request *in,
			       struct cd_reply *out)
{
	char err[256], author[SVR_STORE_NAME_MAX];
	int64_t at_ms;
	if (!cd_api_query_ok(in, out, cd_api_no_args))
		return;
	int rc =
	    svr_store_candidate_info(c->store, author, sizeof(author), &at_ms, err, sizeof(err));
	if (rc < 0)
		cd_api_store_error(out, rc, err);
	else if (rc == 0)
		cd_http_json(out, 200, json_pack("{s:b, s:n, s:n}", "put", 0, "author", "at-ms"));
	else
		cd_http_json(out, 200,
			     json_pack("{s:b, s:s, s:I}", "put", 1, "author", author, "at-ms",
				       (json_int_t)at_ms));
}

static void put_candidate(struct conductor *c, const struct cd_request *in, struct cd_reply *out)
{
	char err[256];
	if (!cd_api_query_ok(in, out, cd_api_no_args))
		return;
	json_t *model = cd_http_body_json(in, out);
	if (!model)
		return;
	if (!json_is_object(model)) {
		cd_http_error(out, 400, "the candidate must be a JSON object (a model document)");
	} else {
		int rc = svr_store_candidate_put(c->store, model, in->who, err, sizeof(err));
		if (rc < 0)
			cd_api_store_error(out, rc, err);
		else
			out->status = 204;
	}
	json_decref(model);
}

/* ------------------------------------------------------ commit, rollback -- */

static void committed(struct conductor *c, const struct cd_request *in, struct cd_reply *out,
		      const struct svr_store_commit *info)
{
	int64_t serial = cd_api_serial(c);
	if (info->source_version)
		cd_http_audit(in, "rolled back to version %lld as version %lld (serial %lld)",
			      (long long)info->source_version, (long long)info->version,
			      (long long)serial);
	else
		cd_http_audit(in, "committed version %lld (serial %lld)", (long long)info->version,
			      (long long)serial);
	json_t *o = json_pack("{s:I, s:I}", "version", (json_int_t)info->version, "serial",
			      (json_int_t)serial);
	if (o && info->source_version)
		json_object_set_new(o, "source-version", json_integer(info->source_version));
	cd_http_json(out, 201, o);
}

/* The body of a commit or a rollback, its keys checked and its message and ticket read; NULL
 * when it was answered already (change control on, a bad query, body, key, message or
 * ticket). */
static json_t *change_body(struct conductor *c, const struct cd_request *in, struct cd_reply *out,
			   const char *const *keys, const char **message, const char **ticket)
{
	if (c->cfg.change_control.enabled) {
		cd_http_error(out, 403,
			      "change control is on: propose the change (POST /api/v1/proposals) "
			      "and have an approver approve it");
		return NULL;
	}
	if (!cd_api_query_ok(in, out, cd_api_no_args))
		return NULL;
	json_t *body = cd_http_body_json(in, out);
	if (body &&
	    (!cd_http_only_keys(body, keys, out) || !(*message = cd_api_message_field(body, out)) ||
	     !(*ticket = cd_api_ticket_field(body, out)))) {
		json_decref(body);
		return NULL;
	}
	return body;
}

/* What the store said of a commit or a rollback: 201, 422 with the model's errors, or the
 * store's failure. */
static void change_answer(struct conductor *c, const struct cd_request *in, struct cd_reply *out,
			  int rc, const struct svr_store_commit *info,
			  const struct svr_model_errors *errors, const char *err)
{
	if (rc == SVR_STORE_INVALID)
		cd_api_invalid_model(out, "committed", errors);
	else if (rc < 0)
		cd_api_store_error(out, rc, err);
	else
		committed(c, in, out, info);
}

static void post_commit(struct conductor *c, const struct cd_request *in, struct cd_reply *out)
{
	static const char *const keys[] = {"message", "ticket", "model", NULL};
	const char *message = NULL, *ticket = NULL;
	json_t *body = change_body(c, in, out, keys, &message, &ticket);
	if (!body)
		return;
	const json_t *model = json_object_get(body, "model");
	if (json_is_null(model))
		model = NULL; /* the candidate (the store then clears it) */
	struct svr_store_commit info;
	struct svr_model_errors errors;
	char err[256];
	svr_model_errors_init(&errors);
	struct cd_change ch = {
	    .model = model, .author = in->who, .message = message, .ticket = ticket};
	int rc = cd_commit(c, &ch, &info, NULL, &errors, err, sizeof(err));
	if (rc == SVR_STORE_NOT_FOUND && !model)
		cd_http_error(out, 409,
			      "nothing to commit: no \"model\" in the body and no candidate "
			      "put (PUT /api/v1/candidate)");
	else
		change_answer(c, in, out, rc, &info, &errors, err);
	svr_model_errors_free(&errors);
	json_decref(body);
}

static void post_rollback(struct conductor *c, const struct cd_request *in, struct cd_reply *out)
{
	static const char *const keys[] = {"version", "message", "ticket", NULL};
	const char *message = NULL, *ticket = NULL;
	json_t *body = change_body(c, in, out, keys, &message, &ticket);
	if (!body)
		return;
	const json_t *v = json_object_get(body, "version");
	if (!json_is_integer(v) || json_integer_value(v) < 1) {
		cd_http_error(out, 400, "\"version\" must be a version number (1, 2, ...)");
		json_decref(body);
		return;
	}
	struct svr_store_commit info;
	struct svr_model_errors errors;
	char err[256];
	svr_model_errors_init(&errors);
	struct cd_change ch = {.rollback_to = json_integer_value(v),
			       .author = in->who,
			       .message = message,
			       .ticket = ticket};
	int rc = cd_commit(c, &ch, &info, NULL, &errors, err, sizeof(err));
	change_answer(c, in, out, rc, &info, &errors, err);
	svr_model_errors_free(&errors);
	json_decref(body);
}

/* ------------------------------------------------------ export, import -- */

static void get_export(struct conductor *c, const struct cd_request *in, struct cd_reply *out)
{
	json_t *doc = NULL;
	char err[256];
	if (!cd_api_query_ok(in, out, cd_api_no_args))
		return;
	int rc = svr_store_export(c->store, &doc, err, sizeof(err));
	if (rc < 0) {
		cd_api_store_error(out, rc, err);
		return;
	}
	cd_http_audit(in, "exported %zu versions, %zu routers",
		      json_array_size(json_object_get(doc, "versions")),
		      json_array_size(json_object_get(doc, "routers")));
	cd_http_json(out, 200, doc);
}

static void post_import(struct conductor *c, const struct cd_request *in, struct cd_reply *out)
{
	char err[256];
	if (!cd_api_query_ok(in, out, cd_api_no_args))
		return;
	json_t *doc = cd_http_body_json(in, out);
	if (!doc)
		return;
	int rc = json_is_object(doc) ? svr_store_import(c->store, doc, err, sizeof(err))
				     : SVR_STORE_INVALID;
	if (rc == SVR_STORE_INVALID)
		cd_http_error(out, 400, "not an export document%s%s",
			      json_is_object(doc) ? ": " : "",
			      json_is_object(doc) ? err : " (a JSON object)");
	else if (rc == SVR_STORE_EXISTS)
		cd_http_error(out, 409,
			      "the store is not empty: import loads into a new "
			      "conductor only (%s)",
			      err);
	else if (rc < 0)
		cd_api_store_error(out, rc, err);
	else {
		int64_t serial = cd_api_serial(c);
		cd_http_audit(in, "imported %zu versions, %zu routers (serial %lld)",
			      json_array_size(json_object_get(doc, "versions")),
			      json_array_size(json_object_get(doc, "routers")), (long long)serial);
		cd_http_json(out, 201, json_pack("{s:I}", "serial", (json_int_t)serial));
	}
	json_decref(doc);
}

/* -------------------------------------------------------------- routers -- */

static bool check_router_name(const char *s, struct cd_reply *out)
{
	if (svr_model_router_name_valid(s))
		return true;
	char safe[65];
	cd_http_error(out, 400,
		      "router name \"%s\" must be " SVR_MODEL_ROUTER_NAME_RULE " (as in the model)",
		      svr_log_safe(safe, sizeof(safe), s));
	return false;
}

/* The store's router object with what the conductor adds: whether it is in sync (its applied
 * serial is the current one) and its alarms. */
static void router_decorate(json_t *r, int64_t serial)
{
	const char *name = json_string_value(json_object_get(r, "name"));
	json_int_t applied = json_integer_value(json_object_get(r, "applied-serial"));
	json_object_set_new(r, "in-sync", json_boolean(serial >= 0 && applied == serial));
	json_t *alarms = cd_alarms_list(name ? name : "");
	json_object_set_new(r, "alarms", alarms ? alarms : json_array());
}

static void get_routers(struct conductor *c, const struct cd_request *in, struct cd_reply *out)
{
	json_t *list = NULL;
	char err[256];
	if (!cd_api_query_ok(in, out, cd_api_no_args))
		return;
	int64_t serial = cd_api_serial(c);
	int rc = svr_store_routers(c->store, &list, err, sizeof(err));
	if (rc < 0) {
		cd_api_store_error(out, rc, err);
		return;
	}
	size_t i;
	json_t *r;
	json_array_foreach (list, i, r)
		router_decorate(r, serial);
	cd_http_json(out, 200,
		     json_pack("{s:o, s:I}", "routers", list, "serial", (json_int_t)serial));
}

static void get_router(struct conductor *c, const struct cd_request *in, struct cd_reply *out)
{
	json_t *r = NULL;
	char err[256];
	if (!cd_api_query_ok(in, out, cd_api_no_args) || !check_router_name(in->arg, out))
		return;
	int64_t serial = cd_api_serial(c);
	int rc = svr_store_router_get(c->store, in->arg, &r, err, sizeof(err));
	if (rc < 0) {
		cd_api_store_error(out, rc, err);
		return;
	}
	router_decorate(r, serial);
	json_object_set_new(r, "serial", json_integer(serial));
	cd_http_json(out, 200, r);
}

static void post_router(struct conductor *c, const struct cd_request *in, struct cd_reply *out)
{
	static const char *const keys[] = {"name", "asset-id", NULL};
	char err[256];
	if (!cd_api_query_ok(in, out, cd_api_no_args))
		return;
	json_t *body = cd_http_body_json(in, out);
	if (!body)
		return;
	const char *name = NULL, *asset = NULL;
	if (cd_http_only_keys(body, keys, out) &&
	    (name = cd_api_text_field(body, "name", 64, true, out)) &&
	    check_router_name(name, out) &&
	    (asset = cd_api_text_field(body, "asset-id", ASSET_ID_MAX, false, out))) {
		int rc = svr_store_router_add(c->store, name, asset, err, sizeof(err));
		json_t *r = NULL;
		if (rc == 0)
			rc = svr_store_router_get(c->store, name, &r, err, sizeof(err));
		if (rc < 0) {
			cd_api_store_error(out, rc, err);
		} else {
			cd_http_audit(in, "router %s added%s%s", name, *asset ? ", asset-id " : "",
				      asset);
			router_decorate(r, cd_api_serial(c));
			cd_http_json(out, 201, r);
		}
	}
	json_decref(body);
}

static void delete_router(struct conductor *c, const struct cd_request *in, struct cd_reply *out)
{
	char err[256];
	if (!cd_api_query_ok(in, out, cd_api_no_args) || !check_router_name(in->arg, out))
		return;
	int rc = svr_store_router_delete(c->store, in->arg, err, sizeof(err));
	if (rc < 0) {
		cd_api_store_error(out, rc, err);
		return;
	}
	/* Its credential must stop working now, not when the server's cache is next emptied. */
	cd_http_forget_credentials();
	cd_commands_forget(in->arg); /* its commands went with it (ON DELETE CASCADE) */
	LOG_NOTICE("router %s deleted by %s", in->arg, in->who);
	cd_http_audit(in, "router %s deleted", in->arg);
	out->status = 204;
}

/* A one-time token (32 random bytes, hex) for the router: shown once; the store keeps its
 * SHA-256 only. */
static void post_enrolment_token(struct conductor *c, const struct cd_request *in,
				 struct cd_reply *out)
{
	char token[2 * CD_SECRET_BYTES + 1], expires[32], err[256];
	int64_t expires_ms;
	if (!cd_api_query_ok(in, out, cd_api_no_args) || !check_router_name(in->arg, out))
		return;
	if (in->len && (in->len != 2 || memcmp(in->body, "{}", 2) != 0)) {
		cd_http_error(out, 400, "this request takes no body");
		return;
	}
	int rc = cd_enrolment_token_new(c, in->arg, token, &expires_ms, err, sizeof(err));
	if (rc == CD_KEYS_NO_RANDOM) {
		cd_http_error(out, 500, "%s", err);
		return;
	}
	if (rc < 0) {
		cd_api_store_error(out, rc, err);
	} else {
		format_rfc3339(expires_ms, expires, sizeof(expires));
		cd_http_audit(in, "for router %s, valid until %s", in->arg, expires);
		cd_http_json(out, 201,
			     json_pack("{s:s, s:s, s:s, s:I}", "router", in->arg, "token", token,
				       "expires", expires, "expires-ms", (json_int_t)expires_ms));
	}
	OPENSSL_cleanse(token, sizeof(token));
}

/* --------------------------------------------------- alarms, keys, CA -- */

static void get_alarms(struct conductor *c, const struct cd_request *in, struct cd_reply *out)
{
	(void)c;
	if (!cd_api_query_ok(in, out, cd_api_no_args))
		return;
	json_t *list = cd_alarms_list(NULL);
	if (!list)
		cd_http_error(out, 500, "out of memory");
	else
		cd_http_json(out, 200, json_pack("{s:o}", "alarms", list));
}

/* The key set without the key bytes. */
static void get_keys(struct conductor *c, const struct cd_request *in, struct cd_reply *out)
{
	struct svr_store_key *keys = NULL;
	size_t n = 0;
	char err[256], nb[32], created[32];
	if (!cd_api_query_ok(in, out, cd_api_no_args))
		return;
	int rc = svr_store_keys(c->store, &keys, &n, err, sizeof(err));
	if (rc < 0) {
		cd_api_store_error(out, rc, err);
		return;
	}
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < n; i++) {
		format_rfc3339(keys[i].not_before_ms, nb, sizeof(nb));
		format_rfc3339(keys[i].created_ms, created, sizeof(created));
		json_array_append_new(arr, json_pack("{s:I, s:s, s:s}", "security-id",
						     (json_int_t)keys[i].security_id, "not-before",
						     nb, "created", created));
	}
	if (keys)
		OPENSSL_cleanse(keys, n * sizeof(*keys));
	free(keys);
	cd_http_json(out, 200, json_pack("{s:o}", "keys", arr));
}

static void post_keys_rotate(struct conductor *c, const struct cd_request *in, struct cd_reply *out)
{
	struct svr_store_key k = {0};
	char err[256], nb[32];
	if (!cd_api_query_ok(in, out, cd_api_no_args))
		return;
	if (in->len && (in->len != 2 || memcmp(in->body, "{}", 2) != 0)) {
		cd_http_error(out, 400, "this request takes no body");
		return;
	}
	/* The next key now, outside the schedule: not-before rekey-lead-s from now (and after the
	 * newest's), so that every connected router holds it for the lead time before anyone signs
	 * with it, as with a scheduled one. */
	struct svr_store_commit info;
	json_t *model = NULL;
	int64_t interval_s, lead_s, now_ms = cd_now_ms();
	int rc = svr_store_running(c->store, &info, &model, err, sizeof(err));
	if (rc < 0) {
		cd_api_store_error(out, rc, err);
		return;
	}
	cd_keys_schedule(model, &interval_s, &lead_s);
	json_decref(model);
	rc = cd_keys_add_next(c, 0, now_ms + lead_s * 1000, 1000, now_ms, &k, err, sizeof(err));
	if (rc == CD_KEYS_NO_RANDOM) {
		cd_http_error(out, 500, "key rotation failed: %s", err);
		return;
	}
	if (rc == SVR_STORE_EXISTS) { /* still taken after a retry: other conductors rotating */
		cd_http_error(out, 503, "key rotation failed, try again: %s", err);
		return;
	}
	if (rc < 0) {
		cd_api_store_error(out, rc, err);
		return;
	}
	format_rfc3339(k.not_before_ms, nb, sizeof(nb));
	LOG_NOTICE("keys: added security-id %u, in force from %s (rotated by %s)", k.security_id,
		   nb, in->who);
	cd_http_audit(in, "added security-id %u, in force from %s", k.security_id, nb);
	cd_http_json(out, 201,
		     json_pack("{s:I, s:s, s:I}", "security-id", (json_int_t)k.security_id,
			       "not-before", nb, "serial", (json_int_t)cd_api_serial(c)));
	OPENSSL_cleanse(&k, sizeof(k));
}

static void get_ca(struct conductor *c, const struct cd_request *in, struct cd_reply *out)
{
	(void)c;
	if (!cd_api_query_ok(in, out, cd_api_no_args))
		return;
	cd_http_json(out, 200,
		     json_pack("{s:s, s:s}", "pem", cd_pki_ca_pem(), "sha256", cd_pki_ca_sha256()));
}

/* ------------------------------------------------------- whoami, audit -- */

static void get_whoami(struct conductor *c, const struct cd_request *in, struct cd_reply *out)
{
	if (!cd_api_query_ok(in, out, cd_api_no_args))
		return;
	const char *role = cd_role_name(in->role);
	cd_http_json(out, 200,
		     json_pack("{s:s, s:s, s:{s:b, s:b}}", "name", in->who, "role",
			       role ? role : "", "change-control", "enabled",
			       c->cfg.change_control.enabled, "require-ticket",
			       c->cfg.change_control.require_ticket));
}

static void get_audit(struct conductor *c, const struct cd_request *in, struct cd_reply *out)
{
	static const char *const known[] = {"before", "limit", "who", NULL};
	char err[256];
	json_t *list = NULL;
	int64_t before, limit;
	if (!page_args(in, out, known, AUDIT_LIMIT_MAX, AUDIT_LIMIT_DEFAULT, &before, &limit))
		return;
	const char *who = cd_http_query(in, "who");
	if (who && strlen(who) >= SVR_STORE_NAME_MAX) {
		cd_http_error(out, 400, "query parameter \"who\": longer than %d bytes",
			      SVR_STORE_NAME_MAX - 1);
		return;
	}
	int rc =
	    svr_store_audit_list(c->store, before, (unsigned)limit, who, &list, err, sizeof(err));
	if (rc < 0)
		cd_api_store_error(out, rc, err);
	else
		page_reply(out, "entries", list, limit, "id");
}

static void get_openapi(struct conductor *c, const struct cd_request *in, struct cd_reply *out)
{
	(void)c;
	if (!cd_api_query_ok(in, out, cd_api_no_args))
		return;
	out->text = malloc(svr_conductor_openapi_json_len);
	if (!out->text) {
		cd_http_error(out, 500, "out of memory");
		return;
	}
	memcpy(out->text, svr_conductor_openapi_json, svr_conductor_openapi_json_len);
	out->text_len = svr_conductor_openapi_json_len;
	out->content_type = "application/json";
	out->status = 200;
}

/* --------------------------------------------------------------- routes -- */

/* Reads admit every role; each change names the roles that may make it (docs/conductor.md,
 * "Roles") and its verb in the audit log. */
static const struct cd_route operator_routes[] = {
    {"GET", "/model", CD_CRED_OPERATOR, get_model, 0, CD_ROLES_ALL},
    {"GET", "/versions/{}", CD_CRED_OPERATOR, get_version, 0, CD_ROLES_ALL},
    {"GET", "/history", CD_CRED_OPERATOR, get_history, 0, CD_ROLES_ALL},
    {"GET", "/diff", CD_CRED_OPERATOR, get_diff, 0, CD_ROLES_ALL},
    {"GET", "/candidate", CD_CRED_OPERATOR, get_candidate, 0, CD_ROLES_ALL},
    {"GET", "/candidate/info", CD_CRED_OPERATOR, get_candidate_info, 0, CD_ROLES_ALL},
    {"PUT", "/candidate", CD_CRED_OPERATOR, put_candidate, 0, CD_ROLE_PLANNER, "candidate"},
    {"POST", "/commit", CD_CRED_OPERATOR, post_commit, 0, CD_ROLE_PLANNER, "commit"},
    {"POST", "/rollback", CD_CRED_OPERATOR, post_rollback, 0, CD_ROLE_PLANNER, "rollback"},
    {"GET", "/export", CD_CRED_OPERATOR, get_export, 0, CD_ROLE_AUDITOR, "export", true},
    {"POST", "/import", CD_CRED_OPERATOR, post_import, 0, 0, "import"},
    {"GET", "/routers", CD_CRED_OPERATOR, get_routers, 0, CD_ROLES_ALL},
    {"POST", "/routers", CD_CRED_OPERATOR, post_router, 0, 0, "router-add"},
    {"GET", "/routers/{}", CD_CRED_OPERATOR, get_router, 0, CD_ROLES_ALL},
    {"DELETE", "/routers/{}", CD_CRED_OPERATOR, delete_router, 0, 0, "router-delete"},
    {"POST", "/routers/{}/enrolment-token", CD_CRED_OPERATOR, post_enrolment_token, 0, 0,
     "enrolment-token"},
    {"GET", "/alarms", CD_CRED_OPERATOR, get_alarms, 0, CD_ROLES_ALL},
    {"GET", "/keys", CD_CRED_OPERATOR, get_keys, 0, CD_ROLES_ALL},
    {"POST", "/keys/rotate", CD_CRED_OPERATOR, post_keys_rotate, 0, 0, "keys-rotate"},
    {"GET", "/ca", CD_CRED_OPERATOR, get_ca, 0, CD_ROLES_ALL},
    {"GET", "/whoami", CD_CRED_OPERATOR, get_whoami, 0, CD_ROLES_ALL},
    {"GET", "/audit", CD_CRED_OPERATOR, get_audit, 0, CD_ROLE_AUDITOR},
    {"GET", "/openapi.json", CD_CRED_NONE, get_openapi},
};

void cd_api_operator_register(struct conductor *c)
{
	(void)c;
	cd_http_routes(operator_routes, sizeof(operator_routes) / sizeof(operator_routes[0]));
}
