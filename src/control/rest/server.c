/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The REST server: libmicrohttpd with one thread per connection (a PUT /model
 * may wait up to 2 s for the dataplane without holding up other clients),
 * bearer-token authentication, the body limit, routing and the request log.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "rest_int.h"

/* Bounds on threads and idle connections; bodies are read only after authentication. */
#define REST_MAX_CONNECTIONS 64
#define REST_IDLE_TIMEOUT_S  60

/* path, GET (and HEAD), PUT, DELETE, control-socket command. */
static const struct rest_route routes[] = {
    {"/model", rest_model_get, rest_model_put, NULL, NULL},
    {"/status", rest_status_get, NULL, NULL, NULL},
    {"/interfaces", rest_dataplane_get, NULL, NULL, "interfaces"},
    {"/ports", rest_dataplane_get, NULL, NULL, "ports"},
    {"/routes", rest_dataplane_get, NULL, NULL, "routes"},
    {"/neighbors", rest_dataplane_get, NULL, NULL, "neighbors"},
    {"/stats", rest_dataplane_get, NULL, NULL, "stats"},
    {"/policy", rest_dataplane_get, NULL, NULL, "policy"},
    {"/peers", rest_dataplane_get, NULL, NULL, "peers"},
    {"/sessions", rest_sessions_get, NULL, NULL, NULL},
    {"/sessions/", rest_session_get, NULL, rest_session_delete, NULL},
    {"/interfaces/{}/capture", rest_capture_get, NULL, NULL, NULL, .get_acts = true},
    {"/openapi.json", rest_openapi_get, NULL, NULL, NULL},
};

/* Per-request state, from the first handler call to the completion callback. */
struct rest_req {
	uint64_t start_us;
	const struct rest_route *route;
	rest_handler fn;
	char method[16];
	char path[256];
	char tail[128]; /* prefix routes: the last path segment */
	char *body;
	size_t len, cap;
	uint64_t seen; /* body bytes received, kept counting past the limit */
	bool over;     /* body larger than the limit: discarded, 413 at the end */
	unsigned status;
};

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t rest_now_ms(void)
{
	return now_us() / 1000;
}

void rest_json(struct rest_reply *out, unsigned status, json_t *body)
{
	json_decref(out->json);
	out->status = status;
	out->json = body;
}

void rest_error(struct rest_reply *out, unsigned status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rest_json(out, status, json_pack("{s:s}", "error", msg));
}

/* ------------------------------------------------------------------ answers -- */

static enum MHD_Result answer(struct MHD_Connection *conn, struct rest_req *q,
			      struct rest_reply *rep)
{
	char *text = rep->text;
	size_t len = rep->text_len;
	enum MHD_ResponseMemoryMode mode =
	    rep->text_static ? MHD_RESPMEM_PERSISTENT : MHD_RESPMEM_MUST_FREE;
	if (!text) {
		char *dump =
		    rep->json ? json_dumps(rep->json, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
		if (!dump) {
			rep->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
			dump = strdup("{\"error\":\"out of memory\"}");
		}
		len = dump ? strlen(dump) : 0;
		/* A final newline keeps shells tidy when the answer is printed as it is. */
		text = dump ? realloc(dump, len + 2) : NULL;
		if (!text) {
			free(dump);
			return MHD_NO;
		}
		text[len++] = '\n';
		text[len] = '\0';
		mode = MHD_RESPMEM_MUST_FREE;
	}
	rep->text = NULL;
	json_decref(rep->json);
	rep->json = NULL;

	struct MHD_Response *resp = MHD_create_response_from_buffer(len, text, mode);
	if (!resp) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				rep->content_type ? rep->content_type : "application/json");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (rep->status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Bearer realm=\"svrouter\"");
	if (rep->allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, rep->allow);
	enum MHD_Result rc = MHD_queue_response(conn, rep->status, resp);
	MHD_destroy_response(resp);
	q->status = rep->status;
	return rc;
}

static enum MHD_Result answer_error(struct MHD_Connection *conn, struct rest_req *q,
				    unsigned status, const char *allow, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static enum MHD_Result answer_error(struct MHD_Connection *conn, struct rest_req *q,
				    unsigned status, const char *allow, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	struct rest_reply rep = {.status = status, .allow = allow};
	rep.json = json_pack("{s:s}", "error", msg);
	return answer(conn, q, &rep);
}

static enum MHD_Result run_handler(struct svr_rest *r, struct MHD_Connection *conn,
				   struct rest_req *q)
{
	struct rest_reply rep = {.status = MHD_HTTP_INTERNAL_SERVER_ERROR,
				 .received_us = q->start_us};
	const struct rest_in in = {
	    .conn = conn, .tail = q->tail, .body = q->body ? q->body : "", .len = q->len};
	q->fn(r, q->route, &in, &rep);
	if (!rep.json && !rep.text)
		rest_error(&rep, MHD_HTTP_INTERNAL_SERVER_ERROR, "no answer (out of memory?)");
	free(q->body);
	q->body = NULL;
	return answer(conn, q, &rep);
}

/* ---------------------------------------------------------------- checks -- */

static enum MHD_Result count_auth(void *cls, enum MHD_ValueKind kind, const char *key,
				  const char *value)
{
	(void)kind;
	(void)value;
	if (strcasecmp(key, MHD_HTTP_HEADER_AUTHORIZATION) == 0)
		(*(unsigned *)cls)++;
	return MHD_YES;
}

static bool authorized(const struct svr_rest *r, struct MHD_Connection *conn)
{
	/* Two Authorization headers are ambiguous (a proxy may pick the other one): refuse. */
	unsigned n_auth = 0;
	MHD_get_connection_values(conn, MHD_HEADER_KIND, count_auth, &n_auth);
	if (n_auth != 1)
		return false;
	const char *h =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	if (!h)
		return false;
	while (*h == ' ' || *h == '\t')
		h++;
	/* RFC 7235: the scheme is case-insensitive and followed by at least one space. */
	if (strncasecmp(h, "Bearer", 6) != 0 || (h[6] != ' ' && h[6] != '\t'))
		return false;
	h += 6;
	while (*h == ' ' || *h == '\t')
		h++;
	size_t n = strlen(h);
	while (n > 0 && (h[n - 1] == ' ' || h[n - 1] == '\t'))
		n--;
	return rest_token_equal(r->token, r->token_len, h, n);
}

/* "/interfaces/{}/capture": one segment (copied to tail) between the parts around {}. */
static bool pattern_matches(const char *pattern, const char *hole, const char *path, char *tail,
			    size_t tail_size)
{
	size_t n = (size_t)(hole - pattern);
	const char *rest = hole + 2;
	if (strncmp(path, pattern, n) != 0)
		return false;
	const char *seg = path + n, *end = strchr(seg, '/');
	if (!end || end == seg || (size_t)(end - seg) >= tail_size || strcmp(end, rest) != 0)
		return false;
	snprintf(tail, tail_size, "%.*s", (int)(end - seg), seg);
	return true;
}

/* A prefix route ("/sessions/") takes exactly one more segment, copied to tail. */
static bool route_matches(const struct rest_route *rt, const char *path, char *tail,
			  size_t tail_size)
{
	const char *hole = strstr(rt->path, "{}");
	if (hole)
		return pattern_matches(rt->path, hole, path, tail, tail_size);
	size_t n = strlen(rt->path);
	if (n == 0 || rt->path[n - 1] != '/')
		return strcmp(path, rt->path) == 0;
	if (strncmp(path, rt->path, n) != 0)
		return false;
	const char *seg = path + n;
	if (!*seg || strchr(seg, '/') || strlen(seg) >= tail_size)
		return false;
	snprintf(tail, tail_size, "%s", seg);
	return true;
}

static const struct rest_route *find_route(const char *url, char *tail, size_t tail_size)
{
	size_t plen = strlen(REST_PREFIX);
	if (strncmp(url, REST_PREFIX, plen) != 0)
		return NULL;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (route_matches(&routes[i], url + plen, tail, tail_size))
			return &routes[i];
	return NULL;
}

static const char *allow_of(const struct rest_route *rt)
{
	if (rt->get_acts)
		return "GET"; /* no route of this kind takes PUT or DELETE */
	if (rt->put && rt->del)
		return "GET, HEAD, PUT, DELETE";
	if (rt->del)
		return "GET, HEAD, DELETE";
	return rt->put ? "GET, HEAD, PUT" : "GET, HEAD";
}

/* ----------------------------------------------------------------- query -- */

const char *rest_query(const struct rest_in *in, const char *key)
{
	const char *v = MHD_lookup_connection_value(in->conn, MHD_GET_ARGUMENT_KIND, key);
	if (v)
		return v;
	/* "?key" without '=' has a NULL value: present, but empty. */
	return MHD_lookup_connection_value_n(in->conn, MHD_GET_ARGUMENT_KIND, key, strlen(key),
					     NULL, NULL) == MHD_YES
		   ? ""
		   : NULL;
}

struct query_scan {
	const char *const *known;
	unsigned seen[16]; /* per known key */
	char *err;
	size_t errlen;
	bool bad, unknown;
};

static enum MHD_Result scan_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				const char *value)
{
	(void)kind;
	(void)value;
	struct query_scan *s = cls;
	size_t k = 0;
	if (s->bad || !*key)
		return MHD_YES; /* "?a=1&" has an empty last argument: harmless */
	while (s->known[k] && strcmp(s->known[k], key) != 0)
		k++;
	s->unknown = !s->known[k];
	if (s->unknown)
		snprintf(s->err, s->errlen, "unknown query parameter \"%.64s\"", key);
	else if (++s->seen[k] > 1)
		snprintf(s->err, s->errlen, "query parameter \"%s\" given more than once", key);
	s->bad = s->unknown || s->seen[k] > 1;
	return MHD_YES;
}

int rest_query_check(const struct rest_in *in, const char *const *known, char *err, size_t errlen)
{
	struct query_scan s = {.known = known, .err = err, .errlen = errlen};
	size_t n = 0;
	while (known[n])
		n++;
	if (n > sizeof(s.seen) / sizeof(s.seen[0])) {
		snprintf(err, errlen, "too many query parameters to check");
		return -1;
	}
	MHD_get_connection_values(in->conn, MHD_GET_ARGUMENT_KIND, scan_arg, &s);
	if (s.unknown) {
		/* Name the valid ones: a typo is the likely cause. */
		size_t len = strlen(err);
		for (size_t k = 0; k < n && len < errlen; k++) {
			snprintf(err + len, errlen - len, "%s%s", k ? ", " : " (known: ", known[k]);
			len = strlen(err);
		}
		if (len < errlen)
			snprintf(err + len, errlen - len, ")");
	}
	return s.bad ? -1 : 0;
}

/* ------------------------------------------------------------- callbacks -- */

static enum MHD_Result first_call(struct svr_rest *r, struct MHD_Connection *conn,
				  struct rest_req *q, const char *url, const char *method)
{
	/* Before routing, so that paths are not revealed to clients without the token. */
	if (!authorized(r, conn))
		return answer_error(conn, q, MHD_HTTP_UNAUTHORIZED, NULL,
				    "missing or wrong bearer token (Authorization: Bearer "
				    "<token>; the token is in svr-control's token file)");
	q->route = find_route(url, q->tail, sizeof(q->tail));
	if (!q->route)
		return answer_error(conn, q, MHD_HTTP_NOT_FOUND, NULL, "no such resource: %s", url);
	bool is_head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
	bool is_get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 || (is_head && !q->route->get_acts);
	bool is_put = strcmp(method, MHD_HTTP_METHOD_PUT) == 0;
	bool is_delete = strcmp(method, MHD_HTTP_METHOD_DELETE) == 0;
	q->fn = is_get ? q->route->get : is_put ? q->route->put : is_delete ? q->route->del : NULL;
	if (!q->fn)
		return answer_error(conn, q, MHD_HTTP_METHOD_NOT_ALLOWED, allow_of(q->route),
				    "method %s is not allowed on %s (allowed: %s)", method, url,
				    allow_of(q->route));
	if (!is_put)
		return run_handler(r, conn, q); /* GET and DELETE take no body */

	/* Refuse an announced oversized body before reading any of it (no 100 Continue). */
	const char *cl =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl) {
		char *end;
		errno = 0;
		unsigned long long n = strtoull(cl, &end, 10);
		if (errno == 0 && end != cl && n > r->max_body)
			return answer_error(conn, q, MHD_HTTP_CONTENT_TOO_LARGE, NULL,
					    "the body (%llu bytes) is larger than the limit of "
					    "%" PRIu64 " bytes (svr-control --max-body-bytes)",
					    n, r->max_body);
		if (errno == 0 && end != cl && n > 0) {
			/* Announced and within the limit: one allocation. */
			q->body = malloc((size_t)n);
			q->cap = q->body ? (size_t)n : 0;
		}
	}
	return MHD_YES;
}

static int append_body(struct rest_req *q, const char *data, size_t n, uint64_t max)
{
	q->seen += n;
	if (q->over)
		return 0;
	if (q->seen > max) {
		/* Keep reading (answering mid-body is not possible), but keep nothing. */
		q->over = true;
		free(q->body);
		q->body = NULL;
		q->len = q->cap = 0;
		return 0;
	}
	if (q->len + n > q->cap) {
		size_t cap = q->cap ? q->cap : 65536;
		while (cap < q->len + n)
			cap *= 2;
		if (cap > max)
			cap = (size_t)max;
		char *b = realloc(q->body, cap);
		if (!b)
			return -1;
		q->body = b;
		q->cap = cap;
	}
	memcpy(q->body + q->len, data, n);
	q->len += n;
	return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_size, void **con_cls)
{
	(void)version;
	struct svr_rest *r = cls;
	struct rest_req *q = *con_cls;
	if (!q) {
		q = calloc(1, sizeof(*q));
		if (!q)
			return MHD_NO;
		q->start_us = now_us();
		snprintf(q->method, sizeof(q->method), "%s", method);
		snprintf(q->path, sizeof(q->path), "%s", url);
		*con_cls = q;
		return first_call(r, conn, q, url, method);
	}
	if (q->status) {
		/* Answered already (on the first call): drop whatever body still arrives. */
		*upload_size = 0;
		return MHD_YES;
	}
	if (*upload_size) {
		int rc = append_body(q, upload_data, *upload_size, r->max_body);
		*upload_size = 0;
		return rc == 0 ? MHD_YES : MHD_NO;
	}
	if (q->over)
		return answer_error(conn, q, MHD_HTTP_CONTENT_TOO_LARGE, NULL,
				    "the body (%" PRIu64 " bytes) is larger than the limit of "
				    "%" PRIu64 " bytes (svr-control --max-body-bytes)",
				    q->seen, r->max_body);
	return run_handler(r, conn, q);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	struct rest_req *q = *con_cls;
	if (!q)
		return;
	double ms = (double)(now_us() - q->start_us) / 1000.0;
	char status[12] = "-";
	if (q->status)
		snprintf(status, sizeof(status), "%u", q->status);
	if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
		LOG_INFO("%s %s %s %.1f ms", q->method, q->path, status, ms);
	else
		LOG_INFO("%s %s %s %.1f ms (connection ended early: %s)", q->method, q->path,
			 status, ms,
			 toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED   ? "timeout"
			 : toe == MHD_REQUEST_TERMINATED_CLIENT_ABORT    ? "client closed"
			 : toe == MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN ? "shutdown"
									 : "error");
	free(q->body);
	free(q);
	*con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	LOG_WARN("http: %s", msg);
}

/* ------------------------------------------------------------ start/stop -- */

int svr_rest_parse_listen(const char *text, struct sockaddr_storage *ss, char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *port;
	memset(ss, 0, sizeof(*ss));
	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (!close || close[1] != ':' || (size_t)(close - text - 1) >= sizeof(host))
			goto bad;
		memcpy(host, text + 1, (size_t)(close - text - 1));
		host[close - text - 1] = '\0';
		port = close + 2;
	} else {
		const char *colon = strrchr(text, ':');
		if (!colon || strchr(text, ':') != colon || (size_t)(colon - text) >= sizeof(host))
			goto bad;
		memcpy(host, text, (size_t)(colon - text));
		host[colon - text] = '\0';
		port = colon + 1;
	}
	char *end;
	errno = 0;
	unsigned long p = strtoul(port, &end, 10);
	if (errno || end == port || *end || *port == '-' || *port == '+' || p == 0 || p > 65535)
		goto bad;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (text[0] != '[' && inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)p);
		return 0;
	}
	if (text[0] == '[' && inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)p);
		return 0;
	}
bad:
	snprintf(err, errlen,
		 "--listen \"%s\": expected IPV4:PORT or [IPV6]:PORT with a numeric address "
		 "and a port from 1 to 65535 (e.g. 127.0.0.1:8740, [::1]:8740)",
		 text);
	return -1;
}

/* The listening socket, bound here so that a failure names the address (libmicrohttpd, given
 * a socket address, reports "Failed to bind to port 0"). */
static int listen_on(const struct sockaddr_storage *ss, const char *listen_text, char *err,
		     size_t errlen)
{
	bool v6 = ss->ss_family == AF_INET6;
	socklen_t len = v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	int one = 1;
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (v6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) ||
	    bind(fd, (const struct sockaddr *)ss, len) < 0 ||
	    listen(fd, REST_MAX_CONNECTIONS) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		unsigned port = ntohs(v6 ? ((const struct sockaddr_in6 *)ss)->sin6_port
					 : ((const struct sockaddr_in *)ss)->sin_port);
		if (e == EADDRINUSE)
			snprintf(err, errlen,
				 "cannot serve the REST API on %s: port %u is already in use "
				 "(another svr-control? give each router its own --listen "
				 "ADDR:PORT)",
				 listen_text, port);
		else
			snprintf(err, errlen, "cannot serve the REST API on %s (port %u): %s",
				 listen_text, port, strerror(e));
		return -1;
	}
	return fd;
}

/* The URL clients use for the address served: a wildcard address is reached on loopback. */
static void url_of(const struct sockaddr_storage *ss, char *url, size_t len)
{
	char host[INET6_ADDRSTRLEN];
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		struct in6_addr a = s6->sin6_addr;
		if (IN6_IS_ADDR_UNSPECIFIED(&a))
			a = in6addr_loopback;
		inet_ntop(AF_INET6, &a, host, sizeof(host));
		snprintf(url, len, "http://[%s]:%u", host, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
		struct in_addr a = s4->sin_addr;
		if (a.s_addr == htonl(INADDR_ANY))
			a.s_addr = htonl(INADDR_LOOPBACK);
		inet_ntop(AF_INET, &a, host, sizeof(host));
		snprintf(url, len, "http://%s:%u", host, ntohs(s4->sin_port));
	}
}

/* Writes the URL to path (a temporary file renamed into place, mode 0644). */
static int write_url_file(const char *path, const char *url, char *err, size_t errlen)
{
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	FILE *f = fopen(tmp, "we");
	bool ok = f && fprintf(f, "%s\n", url) >= 0 && fchmod(fileno(f), 0644) == 0;
	if (f && fclose(f) != 0)
		ok = false;
	if (!ok || rename(tmp, path) < 0) {
		snprintf(err, errlen, "cannot write the API address to %s: %s", path,
			 strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

struct svr_rest *svr_rest_start(struct svr_ctl *ctl, const struct svr_rest_opts *o, char *err,
				size_t errlen)
{
	struct sockaddr_storage ss;
	if (svr_rest_parse_listen(o->listen, &ss, err, errlen) < 0)
		return NULL;
	if (o->url_file && strlen(o->url_file) > 4000) {
		snprintf(err, errlen, "API address file path too long");
		return NULL;
	}
	struct svr_rest *r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->ctl = ctl;
	r->max_body = o->max_body;
	r->conductor = o->conductor;
	if (strlen(o->dataplane_sock) >= sizeof(r->dp_sock)) {
		snprintf(err, errlen, "--dataplane-socket: path longer than %zu bytes",
			 sizeof(r->dp_sock) - 1);
		free(r);
		return NULL;
	}
	snprintf(r->dp_sock, sizeof(r->dp_sock), "%s", o->dataplane_sock);
	if (rest_token_load(o->token_file, r->token, sizeof(r->token), &r->token_len, err, errlen) <
	    0) {
		free(r);
		return NULL;
	}

	int fd = listen_on(&ss, o->listen, err, errlen);
	if (fd < 0) {
		memset(r->token, 0, sizeof(r->token));
		free(r);
		return NULL;
	}
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL_INTERNAL_THREAD |
			 MHD_USE_ERROR_LOG | MHD_USE_ITC;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* MHD's threads inherit this mask: signals stay with the main thread, whose pause()
	 * must wake for SIGTERM and SIGHUP. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r->daemon = MHD_start_daemon(
	    flags, 0, NULL, NULL, on_request, r, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, r,
	    MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED, on_completed, r,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)REST_MAX_CONNECTIONS,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)REST_IDLE_TIMEOUT_S, MHD_OPTION_END);
	int e = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!r->daemon) {
		snprintf(err, errlen, "cannot serve the REST API on %s: %s", o->listen,
			 e ? strerror(e) : "libmicrohttpd failed to start");
		memset(r->token, 0, sizeof(r->token));
		free(r);
		return NULL;
	}
	char url[INET6_ADDRSTRLEN + 32];
	url_of(&ss, url, sizeof(url));
	if (o->url_file) {
		if (write_url_file(o->url_file, url, err, errlen) < 0) {
			svr_rest_stop(r);
			return NULL;
		}
		snprintf(r->url_file, sizeof(r->url_file), "%s", o->url_file);
	}
	LOG_NOTICE(
	    "REST API on %s" REST_PREFIX "/ (token file %s, address in %s, body limit %" PRIu64
	    " bytes, dataplane socket %s)",
	    url, o->token_file, o->url_file ? o->url_file : "no file", r->max_body, r->dp_sock);
	return r;
}

void svr_rest_stop(struct svr_rest *r)
{
	if (!r)
		return;
	MHD_stop_daemon(r->daemon);
	if (r->url_file[0])
		unlink(r->url_file); /* nobody serves there any more */
	memset(r->token, 0, sizeof(r->token));
	free(r);
}
