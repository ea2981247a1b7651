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

#include "common/hex.h"
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
    {"/sessions", rest_sessions_get, NULL, rest_sessions_delete, NULL},
    /* the sessions-clear job DELETE /sessions starts (not under "/sessions/": a uuid there) */
    {"/sessions-clear", rest_dataplane_get, NULL, NULL, "sessions-clear-status"},
    /* before the prefix route, though that one takes a single segment anyway */
    {"/sessions/{}/why", rest_session_why_get, NULL, NULL, NULL},
    {"/sessions/", rest_session_get, NULL, rest_session_delete, NULL},
    {"/why", rest_why_get, NULL, NULL, NULL},
    {"/interfaces/{}/capture", rest_capture_get, NULL, NULL, NULL, .get_acts = true},
    {"/events", rest_events_get, NULL, NULL, NULL},
    {"/openapi.json", rest_openapi_get, NULL, NULL, NULL},
};

/* Served outside REST_PREFIX, where Prometheus scrapes by default (docs/telemetry.md). */
static const struct rest_route metrics_route = {"/metrics", rest_metrics_get, NULL, NULL, NULL};

/* Per-request state, from the first handler call to the completion callback. */
struct rest_req {
	uint64_t start_us;
	const struct rest_route *route;
	rest_handler fn;
	char method[16];
	char path[256];
	char tail[128]; /* prefix routes: the last path segment */
	struct svr_httpd_body body;
	unsigned status;
};

uint64_t rest_now_ms(void)
{
	return svr_httpd_now_us() / 1000;
}

void rest_json(struct rest_reply *out, unsigned status, json_t *body)
{
	json_decref(out->json);
	out->status = status;
	out->json = body;
}

void rest_error(struct rest_reply *out, unsigned status, const char *fmt, ...)
{
	char raw[512], msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* a message may quote what the client sent: no control characters go back, and JSON
	 * strings must be UTF-8 */
	rest_json(out, status, json_pack("{s:s}", "error", svr_log_safe(msg, sizeof(msg), raw)));
}

/* ------------------------------------------------------------------ answers -- */

static enum MHD_Result answer(struct MHD_Connection *conn, struct rest_req *q,
			      struct rest_reply *rep)
{
	struct svr_httpd_answer a = {.status = rep->status,
				     .json = rep->json,
				     .text = rep->text,
				     .text_len = rep->text_len,
				     .text_static = rep->text_static,
				     .content_type = rep->content_type,
				     .allow = rep->allow};
	rep->json = NULL;
	rep->text = NULL;
	q->status = a.status;
	return svr_httpd_queue(conn, &a);
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
	const struct rest_in in = {.conn = conn,
				   .tail = q->tail,
				   .body = q->body.data ? q->body.data : "",
				   .len = q->body.len};
	q->fn(r, q->route, &in, &rep);
	if (!rep.json && !rep.text)
		rest_error(&rep, MHD_HTTP_INTERNAL_SERVER_ERROR, "no answer (out of memory?)");
	svr_httpd_body_free(&q->body);
	return answer(conn, q, &rep);
}

/* ---------------------------------------------------------------- checks -- */

static bool authorized(const struct svr_rest *r, struct MHD_Connection *conn)
{
	const char *given;
	size_t n;
	return svr_httpd_bearer(conn, &given, &n) == 0 &&
	       svr_httpd_token_equal(r->token, r->token_len, given, n);
}

static const struct rest_route *find_route(const char *url, char *tail, size_t tail_size)
{
	size_t plen = strlen(REST_PREFIX);
	if (strcmp(url, metrics_route.path) == 0)
		return &metrics_route;
	if (strncmp(url, REST_PREFIX, plen) != 0)
		return NULL;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (svr_httpd_path_matches(routes[i].path, url + plen, tail, tail_size))
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
	return svr_httpd_query(in->conn, key);
}

int rest_query_check(const struct rest_in *in, const char *const *known, char *err, size_t errlen)
{
	return svr_httpd_query_check(in->conn, known, err, errlen);
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
	uint64_t n;
	if (svr_httpd_body_start(&q->body, conn, r->max_body, &n))
		return answer_error(conn, q, MHD_HTTP_CONTENT_TOO_LARGE, NULL,
				    "the body (%" PRIu64 " bytes) is larger than the limit of "
				    "%" PRIu64 " bytes (svr-control --max-body-bytes)",
				    n, r->max_body);
	return MHD_YES;
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
		q->start_us = svr_httpd_now_us();
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
		int rc = svr_httpd_body_append(&q->body, upload_data, *upload_size, r->max_body);
		*upload_size = 0;
		return rc == 0 ? MHD_YES : MHD_NO;
	}
	if (q->body.over)
		return answer_error(conn, q, MHD_HTTP_CONTENT_TOO_LARGE, NULL,
				    "the body (%" PRIu64 " bytes) is larger than the limit of "
				    "%" PRIu64 " bytes (svr-control --max-body-bytes)",
				    q->body.seen, r->max_body);
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
	double ms = (double)(svr_httpd_now_us() - q->start_us) / 1000.0;
	char status[12] = "-";
	if (q->status)
		snprintf(status, sizeof(status), "%u", q->status);
	if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
		LOG_INFO("%s %s %s %.1f ms", q->method, q->path, status, ms);
	else
		LOG_INFO("%s %s %s %.1f ms (connection ended early: %s)", q->method, q->path,
			 status, ms, svr_httpd_ended(toe));
	svr_httpd_body_free(&q->body);
	free(q);
	*con_cls = NULL;
}

/* ------------------------------------------------------------ start/stop -- */

int svr_rest_parse_listen(const char *text, struct sockaddr_storage *ss, char *err, size_t errlen)
{
	return svr_httpd_parse_listen(text, "--listen", ss, err, errlen);
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
	r->route_mirror = o->route_mirror;
	if (strlen(o->dataplane_sock) >= sizeof(r->dp_sock)) {
		snprintf(err, errlen, "--dataplane-socket: path longer than %zu bytes",
			 sizeof(r->dp_sock) - 1);
		free(r);
		return NULL;
	}
	snprintf(r->dp_sock, sizeof(r->dp_sock), "%s", o->dataplane_sock);
	if (svr_httpd_token_load(o->token_file, r->token, sizeof(r->token), &r->token_len, err,
				 errlen) < 0) {
		free(r);
		return NULL;
	}

	int fd = svr_httpd_listen(&ss, o->listen, REST_MAX_CONNECTIONS, "the REST API",
				  "another svr-control? give each router its own --listen "
				  "ADDR:PORT",
				  err, errlen);
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
	    flags, 0, NULL, NULL, on_request, r, MHD_OPTION_EXTERNAL_LOGGER, svr_httpd_mhd_log, r,
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
