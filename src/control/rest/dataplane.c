/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * GET /api/v1/{interfaces,ports,routes,neighbors,stats,policy,peers,sessions},
 * DELETE /api/v1/sessions (filtered: the sessions-clear job), GET /api/v1/sessions-clear (its
 * progress), GET/DELETE /api/v1/sessions/{uuid}, GET /api/v1/why and GET
 * /api/v1/sessions/{uuid}/why: one request on the dataplane's control socket
 * (include/svr/ctlsock.h) per API request; the answer's "data" is returned as it is. The sessions'
 * and why's arguments are checked here so that a bad request gets a 400 that names the HTTP
 * parameter.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "rest_int.h"
#include "svr/ctlsock.h"

/* A full FIB dump is a few MiB; more than this is a broken peer. */
#define DP_MAX_ANSWER (64u << 20)

/* Waits for events on fd until the deadline; 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, uint64_t deadline)
{
	for (;;) {
		uint64_t now = rest_now_ms();
		if (now >= deadline)
			return 0;
		struct pollfd p = {.fd = fd, .events = events};
		int n = poll(&p, 1, (int)(deadline - now));
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 ? -1 : n > 0 ? 1 : 0;
	}
}

static int dp_connect(const char *path, uint64_t deadline, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	/* A unix socket whose backlog is full says EAGAIN: retry until the deadline. */
	while (errno == EAGAIN && rest_now_ms() < deadline) {
		struct timespec ts = {.tv_nsec = 10 * 1000000};
		nanosleep(&ts, NULL);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
	}
	snprintf(err, errlen, "the dataplane control socket %s does not answer: %s", path,
		 errno == EAGAIN ? "busy" : strerror(errno));
	close(fd);
	return -1;
}

/* One exchange on the control socket, for the helpers below and their messages. */
struct dp_xchg {
	int fd;
	uint64_t deadline;
	unsigned timeout_ms;
	const char *sock, *cmd;
	char *err;
	size_t errlen;
};

static enum rest_dp_result dp_timed_out(const struct dp_xchg *x)
{
	snprintf(x->err, x->errlen,
		 "the dataplane control socket %s did not answer \"%s\" within %u ms", x->sock,
		 x->cmd, x->timeout_ms);
	return REST_DP_DOWN;
}

static enum rest_dp_result dp_send(const struct dp_xchg *x, const char *text, size_t len)
{
	for (size_t off = 0; off < len;) {
		ssize_t n = send(x->fd, text + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_fd(x->fd, POLLOUT, x->deadline) <= 0)
				return dp_timed_out(x);
			continue;
		}
		if (n <= 0) {
			snprintf(x->err, x->errlen, "the dataplane control socket %s: send: %s",
				 x->sock, strerror(errno));
			return REST_DP_DOWN;
		}
		off += (size_t)n;
	}
	return REST_DP_OK;
}

/* Reads one answer line into *line (malloc'd, without its '\n'). */
static enum rest_dp_result dp_recv(const struct dp_xchg *x, char **line)
{
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap);
	enum rest_dp_result rc = REST_DP_BROKEN;
	*line = NULL;
	while (buf) {
		char *nl = len ? memchr(buf, '\n', len) : NULL;
		if (nl) {
			*nl = '\0';
			*line = buf;
			return REST_DP_OK;
		}
		if (len + 1 >= cap) {
			if (cap >= DP_MAX_ANSWER) {
				snprintf(x->err, x->errlen,
					 "the dataplane's answer to \"%s\" exceeds %u bytes",
					 x->cmd, DP_MAX_ANSWER);
				free(buf);
				return REST_DP_BROKEN;
			}
			char *b = realloc(buf, cap * 2);
			if (!b)
				break;
			buf = b;
			cap *= 2;
		}
		ssize_t n = recv(x->fd, buf + len, cap - len - 1, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_fd(x->fd, POLLIN, x->deadline) > 0)
				continue;
			rc = dp_timed_out(x);
			break;
		}
		if (n <= 0) {
			snprintf(x->err, x->errlen,
				 "the dataplane control socket %s closed the connection before "
				 "answering \"%s\"",
				 x->sock, x->cmd);
			rc = REST_DP_DOWN;
			break;
		}
		len += (size_t)n;
	}
	if (!buf)
		snprintf(x->err, x->errlen, "out of memory");
	free(buf);
	return rc;
}

/* The "data" of an answer line, or why there is none. */
static enum rest_dp_result dp_parse(const char *line, const char *cmd, json_t **data, char *err,
				    size_t errlen)
{
	json_error_t jerr;
	json_t *resp = json_loads(line, 0, &jerr);
	if (!resp) {
		snprintf(err, errlen, "the dataplane's answer to \"%s\" is not JSON: %s", cmd,
			 jerr.text);
		return REST_DP_BROKEN;
	}
	enum rest_dp_result rc = REST_DP_OK;
	json_t *d = json_object_get(resp, "data");
	if (!json_is_true(json_object_get(resp, "ok"))) {
		const char *msg = json_string_value(json_object_get(resp, "error"));
		snprintf(err, errlen, "%s", msg && *msg ? msg : "(no message)");
		rc = REST_DP_REFUSED;
	} else if (!d) {
		snprintf(err, errlen, "the dataplane's answer to \"%s\" has no \"data\"", cmd);
		rc = REST_DP_BROKEN;
	} else {
		*data = json_incref(d);
	}
	json_decref(resp);
	return rc;
}

/* The request as one line, '\n' included; NULL when out of memory. */
static char *dp_line(const json_t *req, size_t *len)
{
	char *text = json_dumps(req, JSON_COMPACT);
	size_t n = text ? strlen(text) : 0;
	char *line = text ? realloc(text, n + 2) : NULL;
	if (!line) {
		free(text);
		return NULL;
	}
	memcpy(line + n, "\n", 2);
	*len = n + 1;
	return line;
}

enum rest_dp_result rest_dp_request(const char *sock, const json_t *req, unsigned timeout_ms,
				    json_t **data, char *err, size_t errlen)
{
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	struct dp_xchg x = {.deadline = rest_now_ms() + timeout_ms,
			    .timeout_ms = timeout_ms,
			    .sock = sock,
			    .cmd = cmd ? cmd : "?",
			    .err = err,
			    .errlen = errlen};
	*data = NULL;
	size_t len = 0;
	char *line = dp_line(req, &len);
	if (!line || len >= SVR_CTLSOCK_MAX_REQUEST) {
		/* Callers bound their arguments; this is a bug, not the client's fault. */
		if (line)
			snprintf(err, errlen,
				 "the request \"%s\" is too long for the control socket", x.cmd);
		else
			snprintf(err, errlen, "out of memory");
		free(line);
		return REST_DP_BROKEN;
	}
	x.fd = dp_connect(sock, x.deadline, err, errlen);
	if (x.fd < 0) {
		free(line);
		return REST_DP_DOWN;
	}
	enum rest_dp_result rc = dp_send(&x, line, len);
	free(line);
	char *answer = NULL;
	if (rc == REST_DP_OK)
		rc = dp_recv(&x, &answer);
	close(x.fd);
	if (rc == REST_DP_OK)
		rc = dp_parse(answer, x.cmd, data, err, errlen);
	free(answer);
	return rc;
}

enum rest_dp_result rest_dp_call(const char *sock, const char *cmd, unsigned timeout_ms,
				 json_t **data, char *err, size_t errlen)
{
	json_t *req = json_pack("{s:s}", "cmd", cmd);
	if (!req) {
		*data = NULL;
		snprintf(err, errlen, "out of memory");
		return REST_DP_BROKEN;
	}
	enum rest_dp_result rc = rest_dp_request(sock, req, timeout_ms, data, err, errlen);
	json_decref(req);
	return rc;
}

/* The answer to a failed request: 503 without an answer, else 502 (a refusal quoted). */
static void dp_failed(struct rest_reply *out, enum rest_dp_result rc, const char *cmd,
		      const char *err)
{
	if (rc == REST_DP_DOWN)
		rest_error(out, MHD_HTTP_SERVICE_UNAVAILABLE, "%s", err);
	else if (rc == REST_DP_REFUSED)
		rest_error(out, MHD_HTTP_BAD_GATEWAY,
			   "the dataplane answered \"%s\" with an error: %s", cmd, err);
	else
		rest_error(out, MHD_HTTP_BAD_GATEWAY, "%s", err);
}

void rest_dataplane_get(struct svr_rest *r, const struct rest_route *rt, const struct rest_in *in,
			struct rest_reply *out)
{
	(void)in;
	json_t *data;
	char err[512];
	enum rest_dp_result rc =
	    rest_dp_call(r->dp_sock, rt->arg, REST_DP_TIMEOUT, &data, err, sizeof(err));
	if (rc == REST_DP_OK)
		rest_json(out, MHD_HTTP_OK, data);
	else
		dp_failed(out, rc, rt->arg, err);
}

/* ------------------------------------------------------------- sessions -- */

#define SESSIONS_LIMIT_DEFAULT 100
#define SESSION_NAME_MAX       128 /* the longest tenant name a model may have */

static const char *const sessions_params[] = {"tenant", "service", "address",
					      "cursor", "limit",   NULL};

/*
 * A refusal is about the request when it names one of the request's arguments
 * ("limit: must be ...", the control socket's convention); anything else is the
 * dataplane's problem (e.g. "unknown command" from an older dataplane).
 */
static bool refusal_names(const char *err, const char *const *args)
{
	for (; *args; args++) {
		size_t n = strlen(*args);
		if (strncmp(err, *args, n) == 0 && err[n] == ':')
			return true;
	}
	return false;
}

/* Sends req (consumed); uuid: the session a "no live session" refusal is about (404). */
static void dp_proxy(struct svr_rest *r, json_t *req, const char *const *args, const char *uuid,
		     struct rest_reply *out)
{
	char cmd[32], err[512];
	json_t *data;
	if (!req) {
		rest_error(out, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
		return;
	}
	snprintf(cmd, sizeof(cmd), "%s", json_string_value(json_object_get(req, "cmd")));
	enum rest_dp_result rc =
	    rest_dp_request(r->dp_sock, req, REST_DP_TIMEOUT, &data, err, sizeof(err));
	json_decref(req);
	if (rc == REST_DP_OK)
		rest_json(out, MHD_HTTP_OK, data);
	else if (rc == REST_DP_REFUSED && uuid && strncmp(err, "no live session", 15) == 0)
		rest_error(out, MHD_HTTP_NOT_FOUND, "no live session has the uuid %s", uuid);
	else if (rc == REST_DP_REFUSED && uuid && strncmp(err, "cannot tell", 11) == 0)
		rest_error(out, MHD_HTTP_CONFLICT, "session %s: %s", uuid, err); /* why: it lives */
	else if (rc == REST_DP_REFUSED && refusal_names(err, args))
		rest_error(out, MHD_HTTP_BAD_REQUEST, "%s", err);
	else if (rc == REST_DP_REFUSED && strncmp(err, "busy: ", 6) == 0)
		rest_error(out, MHD_HTTP_CONFLICT, "%s", err + 6); /* a job already runs */
	else
		dp_failed(out, rc, cmd, err);
}

/* Decimal digits only (no sign, blanks or exponent), at most max; -1 otherwise. */
static int64_t parse_count(const char *s, int64_t max)
{
	int64_t v = 0;
	if (!*s || strlen(s) > 10)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v <= max ? v : -1;
}

static int name_arg(const struct rest_in *in, const char *key, json_t *req, char *err,
		    size_t errlen)
{
	const char *v = rest_query(in, key);
	json_t *s = v && *v && strlen(v) <= SESSION_NAME_MAX ? json_string(v) : NULL;
	if (v && !s) {
		snprintf(err, errlen, "%s: expected a name of 1-%d characters in UTF-8", key,
			 SESSION_NAME_MAX);
		return -1;
	}
	if (s)
		json_object_set_new(req, key, s);
	return 0;
}

static int address_arg(const struct rest_in *in, json_t *req, char *err, size_t errlen)
{
	const char *v = rest_query(in, "address");
	unsigned char a[16];
	if (!v)
		return 0;
	if (inet_pton(AF_INET, v, a) != 1 && inet_pton(AF_INET6, v, a) != 1) {
		snprintf(err, errlen,
			 "address: \"%.64s\" is not an IPv4 or IPv6 address (no prefix length, "
			 "no brackets)",
			 v);
		return -1;
	}
	json_object_set_new(req, "address", json_string(v));
	return 0;
}

static int paging_args(const struct rest_in *in, json_t *req, char *err, size_t errlen)
{
	const char *c = rest_query(in, "cursor"), *l = rest_query(in, "limit");
	int64_t cursor = c ? parse_count(c, UINT32_MAX) : 0;
	int64_t limit = l ? parse_count(l, SVR_CTLSOCK_MAX_SESSIONS) : SESSIONS_LIMIT_DEFAULT;
	if (cursor < 0) {
		snprintf(err, errlen,
			 "cursor: \"%.32s\" is not a cursor (the \"next\" value of a previous "
			 "answer, 0 to 4294967295)",
			 c);
		return -1;
	}
	if (limit < 1) {
		snprintf(err, errlen, "limit: \"%.32s\" is not a whole number from 1 to %d", l,
			 SVR_CTLSOCK_MAX_SESSIONS);
		return -1;
	}
	json_object_set_new(req, "limit", json_integer(limit));
	if (c)
		json_object_set_new(req, "cursor", json_integer(cursor));
	return 0;
}

/* The "sessions" request for the query; NULL with a sentence in err for a 400. */
static json_t *sessions_request(const struct rest_in *in, char *err, size_t errlen)
{
	json_t *req = json_pack("{s:s}", "cmd", "sessions");
	if (!req) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (rest_query_check(in, sessions_params, err, errlen) < 0 ||
	    name_arg(in, "tenant", req, err, errlen) < 0 ||
	    name_arg(in, "service", req, err, errlen) < 0 ||
	    address_arg(in, req, err, errlen) < 0 || paging_args(in, req, err, errlen) < 0) {
		json_decref(req);
		return NULL;
	}
	return req;
}

void rest_sessions_get(struct svr_rest *r, const struct rest_route *rt, const struct rest_in *in,
		       struct rest_reply *out)
{
	(void)rt;
	char err[512];
	json_t *req = sessions_request(in, err, sizeof(err));
	if (!req) {
		rest_error(out, MHD_HTTP_BAD_REQUEST, "%s", err);
		return;
	}
	dp_proxy(r, req, sessions_params, NULL, out);
}

static const char *const clear_params[] = {"tenant", "service", "address", "all", NULL};

/* all=true, the one way to clear every session (a DELETE that lost its query string must not). */
static int all_arg(const struct rest_in *in, json_t *req, char *err, size_t errlen)
{
	const char *v = rest_query(in, "all");
	bool filtered = json_object_get(req, "tenant") || json_object_get(req, "service") ||
			json_object_get(req, "address");
	if (v && strcmp(v, "true") != 0) {
		snprintf(err, errlen, "all: \"%.16s\" is not true", v);
		return -1;
	}
	if (v && filtered) {
		snprintf(err, errlen, "all: not with tenant, service or address");
		return -1;
	}
	if (!v && !filtered) {
		snprintf(err, errlen,
			 "all: which sessions? give tenant, service or address, or all=true to "
			 "clear every session");
		return -1;
	}
	if (v)
		json_object_set_new(req, "all", json_true());
	return 0;
}

/* DELETE /sessions?tenant=&service=&address=: starts the dataplane's sessions-clear job
 * (202 with its progress; 409 while another runs); GET /sessions-clear follows it. */
void rest_sessions_delete(struct svr_rest *r, const struct rest_route *rt, const struct rest_in *in,
			  struct rest_reply *out)
{
	(void)rt;
	char err[512];
	json_t *req = json_pack("{s:s}", "cmd", "sessions-clear");
	if (!req) {
		rest_error(out, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
		return;
	}
	if (rest_query_check(in, clear_params, err, sizeof(err)) < 0 ||
	    name_arg(in, "tenant", req, err, sizeof(err)) < 0 ||
	    name_arg(in, "service", req, err, sizeof(err)) < 0 ||
	    address_arg(in, req, err, sizeof(err)) < 0 || all_arg(in, req, err, sizeof(err)) < 0) {
		json_decref(req);
		rest_error(out, MHD_HTTP_BAD_REQUEST, "%s", err);
		return;
	}
	dp_proxy(r, req, clear_params, NULL, out);
	if (out->status == MHD_HTTP_OK) /* started, not finished */
		out->status = MHD_HTTP_ACCEPTED;
}

/* s as a lowercase UUID in out; false when it is not 8-4-4-4-12 hexadecimal digits. */
static bool uuid_canonical(const char *s, char out[37])
{
	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
		out[i] = (char)tolower((unsigned char)s[i]);
	}
	out[36] = '\0';
	return true;
}

/* GET or DELETE /sessions/{uuid}: cmd is "session" or "session-clear". */
static void session_by_uuid(struct svr_rest *r, const struct rest_in *in, const char *cmd,
			    struct rest_reply *out)
{
	static const char *const args[] = {"uuid", NULL};
	char uuid[37];
	if (!uuid_canonical(in->tail, uuid)) {
		rest_error(out, MHD_HTTP_BAD_REQUEST,
			   "\"%.64s\" is not a session uuid (8-4-4-4-12 hexadecimal digits, as in "
			   "GET " REST_PREFIX "/sessions)",
			   in->tail);
		return;
	}
	dp_proxy(r, json_pack("{s:s, s:s}", "cmd", cmd, "uuid", uuid), args, uuid, out);
}

void rest_session_get(struct svr_rest *r, const struct rest_route *rt, const struct rest_in *in,
		      struct rest_reply *out)
{
	(void)rt;
	session_by_uuid(r, in, "session", out);
}

void rest_session_delete(struct svr_rest *r, const struct rest_route *rt, const struct rest_in *in,
			 struct rest_reply *out)
{
	(void)rt;
	session_by_uuid(r, in, "session-clear", out);
}

/* ------------------------------------------------------------------ why -- */

#define WHY_INTERFACE_MAX 64

static const char *const why_params[] = {
    "protocol", "source", "destination", "source-port", "destination-port", "interface", NULL};

/* protocol: a name the dataplane knows, or a number 0-255 (sent as a number). */
static int why_protocol(const struct rest_in *in, json_t *req, char *err, size_t errlen)
{
	static const char *const names[] = {"tcp", "udp", "icmp", "icmpv6", NULL};
	const char *v = rest_query(in, "protocol");
	for (size_t i = 0; v && names[i]; i++)
		if (strcasecmp(v, names[i]) == 0) { /* as svrctl takes them */
			json_object_set_new(req, "protocol", json_string(names[i]));
			return 0;
		}
	int64_t n = v ? parse_count(v, 255) : -1;
	if (n < 0) {
		snprintf(err, errlen,
			 v ? "protocol: \"%.32s\" is not tcp, udp, icmp, icmpv6 or a number 0-255"
			   : "protocol: required (tcp, udp, icmp, icmpv6 or a number 0-255)%.0s",
			 v ? v : "");
		return -1;
	}
	json_object_set_new(req, "protocol", json_integer(n));
	return 0;
}

/* source, destination: an address (required); returns its family (4, 6) or -1. */
static int why_address(const struct rest_in *in, const char *key, json_t *req, char *err,
		       size_t errlen)
{
	const char *v = rest_query(in, key);
	unsigned char a[16];
	int family = !v                               ? 0
		     : inet_pton(AF_INET, v, a) == 1  ? 4
		     : inet_pton(AF_INET6, v, a) == 1 ? 6
						      : 0;
	if (!family) {
		snprintf(err, errlen,
			 v ? "%s: \"%.64s\" is not an IPv4 or IPv6 address (no prefix length, no "
			     "brackets)"
			   : "%s: required (an IPv4 or IPv6 address)%.0s",
			 key, v ? v : "");
		return -1;
	}
	json_object_set_new(req, key, json_string(v));
	return family;
}

/* source-port, destination-port: optional, 0-65535 (absent: 0). */
static int why_port(const struct rest_in *in, const char *key, json_t *req, char *err,
		    size_t errlen)
{
	const char *v = rest_query(in, key);
	int64_t n = v ? parse_count(v, 65535) : 0;
	if (n < 0) {
		snprintf(err, errlen, "%s: \"%.32s\" is not a port (a whole number 0-65535)", key,
			 v);
		return -1;
	}
	if (v)
		json_object_set_new(req, key, json_integer(n));
	return 0;
}

static int why_interface(const struct rest_in *in, json_t *req, char *err, size_t errlen)
{
	const char *v = rest_query(in, "interface");
	json_t *s = v && *v && strlen(v) <= WHY_INTERFACE_MAX ? json_string(v) : NULL;
	if (!s) {
		snprintf(err, errlen,
			 "interface: the name of the interface the packet would come in by is "
			 "required (1-%d characters, as in GET " REST_PREFIX "/interfaces)",
			 WHY_INTERFACE_MAX);
		return -1;
	}
	json_object_set_new(req, "interface", s);
	return 0;
}

/* The "why" request for GET /why's query; NULL with a sentence in err for a 400. */
static json_t *why_request(const struct rest_in *in, char *err, size_t errlen)
{
	json_t *req = json_pack("{s:s}", "cmd", "why");
	if (!req) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	int src = 0, dst = 0;
	if (rest_query_check(in, why_params, err, errlen) < 0 ||
	    why_protocol(in, req, err, errlen) < 0 ||
	    (src = why_address(in, "source", req, err, errlen)) < 0 ||
	    (dst = why_address(in, "destination", req, err, errlen)) < 0 ||
	    why_port(in, "source-port", req, err, errlen) < 0 ||
	    why_port(in, "destination-port", req, err, errlen) < 0 ||
	    why_interface(in, req, err, errlen) < 0) {
		json_decref(req);
		return NULL;
	}
	if (src != dst) {
		snprintf(err, errlen, "destination: not of the source's IP version (IPv%d)", src);
		json_decref(req);
		return NULL;
	}
	return req;
}

/*
 * GET /why: what the policy in force would do with a first packet (no session is created).
 * An interface the policy does not have is a bad parameter (400), not a missing resource.
 */
void rest_why_get(struct svr_rest *r, const struct rest_route *rt, const struct rest_in *in,
		  struct rest_reply *out)
{
	(void)rt;
	char err[512], dp_err[512];
	json_t *req = why_request(in, err, sizeof(err)), *data;
	if (!req) {
		rest_error(out, MHD_HTTP_BAD_REQUEST, "%s", err);
		return;
	}
	enum rest_dp_result rc =
	    rest_dp_request(r->dp_sock, req, REST_DP_TIMEOUT, &data, dp_err, sizeof(dp_err));
	if (rc == REST_DP_REFUSED && strncmp(dp_err, "no interface", 12) == 0)
		rest_error(out, MHD_HTTP_BAD_REQUEST,
			   "interface: \"%.64s\": %s (GET " REST_PREFIX "/interfaces lists them)",
			   json_string_value(json_object_get(req, "interface")), dp_err);
	else if (rc == REST_DP_REFUSED && refusal_names(dp_err, why_params))
		rest_error(out, MHD_HTTP_BAD_REQUEST, "%s", dp_err);
	else if (rc == REST_DP_OK)
		rest_json(out, MHD_HTTP_OK, data);
	else
		dp_failed(out, rc, "why", dp_err);
	json_decref(req);
}

/* GET /sessions/{uuid}/why: the same for a live session's first packet. */
void rest_session_why_get(struct svr_rest *r, const struct rest_route *rt, const struct rest_in *in,
			  struct rest_reply *out)
{
	(void)rt;
	session_by_uuid(r, in, "why", out);
}
