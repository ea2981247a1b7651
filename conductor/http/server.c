/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The conductor's HTTPS server (http.h): libmicrohttpd with TLS and epoll, two worker threads,
 * suspend/resume for long polls. Who runs what:
 *  - MHD's two epoll threads run on_request / on_completed and every route handler;
 *  - the hold thread (hold_main) resumes suspended long polls whose resume_at_ms passed;
 *  - any thread may call cd_http_resume_all (the router API's store watcher does) or
 *    cd_http_resume_who (the commands relay does);
 *  - the main thread starts and stops the server.
 * The parts shared with svr-control's REST API (bearer parsing, routes, bodies, answers) are
 * src/httpd/.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "audit.h"
#include "common/hex.h"
#include "common/jsonutil.h"
#include "common/log.h"
#include "conductor.h"
#include "config.h"
#include "http.h"
#include "httpd/httpd.h"

#define API_PREFIX     "/api/v1"
#define MAX_ROUTES     64
#define LISTEN_BACKLOG 1024
#define THREADS        2
#define CRED_BUCKETS   4096
#define CRED_MAX       65536 /* cached router credentials: past this the cache starts over */
#define CRED_TTL_MS    60000 /* a credential revoked by another conductor is refused by then */
#define HOLD_TICK_MS   1000
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

/* One request, from its first handler call to on_completed. */
struct req {
	struct cd_request in; /* what handlers see (cd_http_suspend finds req from it) */
	const struct cd_route *route;
	char method[8];
	char path[256]; /* the whole path: a longer one is refused (414) or, under /api/v1, cut
			   here only for the log */
	char arg[128];
	char who[CD_NAME_MAX];
	unsigned role; /* the operator's, for CD_CRED_OPERATOR */
	char peer[INET6_ADDRSTRLEN];
	char detail[512]; /* cd_http_audit's */
	struct svr_httpd_body body;
	unsigned status;
	int64_t start_ms;
	bool bodiless; /* GET or HEAD: any body is refused, none of it kept */
	/* long poll: guarded by hold.lock */
	void *resume_next;    /* what cd_http_suspend stored on the last call */
	int64_t resume_at_ms; /* 0: only cd_http_resume_all */
	bool suspended;       /* in hold.list */
	bool resumed;         /* to be called again */
	struct req *prev, *next;
};

static struct {
	struct MHD_Daemon *daemon;
	struct conductor *c;
	const struct cd_route *routes[MAX_ROUTES];
	size_t n_routes;
} srv;

/* Suspended long polls. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond; /* on CLOCK_MONOTONIC: a new deadline, or stop */
	struct req *list;
	uint64_t gen; /* moves on every cd_http_resume_all */
	bool stopping, thread_started;
	pthread_t thread;
} hold = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Router credentials already looked up: SHA-256 hex -> router name. */
struct cred {
	char sha256[65];
	char name[CD_NAME_MAX];
	int64_t added_ms;
	struct cred *next;
};
static struct {
	pthread_mutex_t lock;
	struct cred *bucket[CRED_BUCKETS];
	size_t n;
	uint64_t forgotten; /* times the cache was emptied: a lookup begun before is not kept */
} creds = {.lock = PTHREAD_MUTEX_INITIALIZER};

int64_t cd_mono_ms(void)
{
	return (int64_t)(svr_httpd_now_us() / 1000);
}

void cd_http_routes(const struct cd_route *routes, size_t n)
{
	for (size_t i = 0; i < n && srv.n_routes < MAX_ROUTES; i++)
		srv.routes[srv.n_routes++] = &routes[i];
	if (srv.n_routes == MAX_ROUTES)
		LOG_WARN("http: more than %d routes: raise MAX_ROUTES", MAX_ROUTES);
}

/* ---------------------------------------------------------------- replies -- */

void cd_http_json(struct cd_reply *out, unsigned status, json_t *body)
{
	json_decref(out->json);
	out->status = status;
	out->json = body;
}

void cd_http_error(struct cd_reply *out, unsigned status, const char *fmt, ...)
{
	char msg[512], safe[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* A message quoting the client's text may be cut inside a UTF-8 character: json_pack
	 * would refuse it. */
	cd_http_json(out, status,
		     json_pack("{s:s}", "error", svr_log_safe(safe, sizeof(safe), msg)));
}

const char *cd_http_query(const struct cd_request *in, const char *key)
{
	return svr_httpd_query(in->conn, key);
}

bool cd_http_only_keys(const json_t *obj, const char *const *allowed, struct cd_reply *out)
{
	struct svr_jerr e;
	if (svr_json_only_keys(obj, "", allowed, &e) == 0)
		return true;
	cd_http_error(out, MHD_HTTP_BAD_REQUEST, "%s", e.msg);
	return false;
}

json_t *cd_http_body_json(const struct cd_request *in, struct cd_reply *out)
{
	json_error_t jerr;
	json_t *v = json_loadb(in->body, in->len, JSON_REJECT_DUPLICATES, &jerr);
	if (!v)
		cd_http_json(out, MHD_HTTP_BAD_REQUEST,
			     json_pack("{s:s, s:i, s:i, s:s}", "error", "malformed JSON", "line",
				       jerr.line, "column", jerr.column, "message", jerr.text));
	return v;
}

/* Every answer that is not one of the web UI's files (they carry their own policy): JSON, never
 * a page, so a browser led to one runs nothing and frames nothing. */
static const char *const api_headers[] = {"Content-Security-Policy",
					  "default-src 'none'; frame-ancestors 'none'", NULL};

static enum MHD_Result answer(struct MHD_Connection *conn, struct req *q, struct cd_reply *rep,
			      const char *allow)
{
	struct svr_httpd_answer a = {.status = rep->status,
				     .json = rep->json,
				     .text = rep->text,
				     .text_len = rep->text_len,
				     .text_static = rep->text_static,
				     .content_type = rep->content_type,
				     .allow = allow,
				     .realm = "svr-conductor",
				     .headers = rep->headers ? rep->headers : api_headers};
	rep->json = NULL;
	rep->text = NULL;
	q->status = a.status;
	return svr_httpd_queue(conn, &a);
}

static enum MHD_Result answer_error(struct MHD_Connection *conn, struct req *q, unsigned status,
				    const char *allow, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static enum MHD_Result answer_error(struct MHD_Connection *conn, struct req *q, unsigned status,
				    const char *allow, const char *fmt, ...)
{
	struct svr_httpd_answer a = {
	    .allow = allow, .realm = "svr-conductor", .headers = api_headers};
	va_list ap;
	va_start(ap, fmt);
	svr_httpd_verror(&a, status, fmt, ap);
	va_end(ap);
	q->status = status;
	return svr_httpd_queue(conn, &a);
}

/* ------------------------------------------------------------- long poll -- */

static struct req *req_of(const struct cd_request *in)
{
	return (struct req *)(void *)((char *)(uintptr_t)in - offsetof(struct req, in));
}

void cd_http_audit(const struct cd_request *in, const char *fmt, ...)
{
	struct req *q = req_of(in);
	char text[sizeof(q->detail)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	svr_log_safe(q->detail, sizeof(q->detail), text);
}

void cd_http_suspend(const struct cd_request *in, struct cd_reply *out, void *resume)
{
	req_of(in)->resume_next = resume;
	out->suspend = true;
}

bool cd_http_stopping(void)
{
	pthread_mutex_lock(&hold.lock);
	bool s = hold.stopping;
	pthread_mutex_unlock(&hold.lock);
	return s;
}

/* Caller holds hold.lock. */
static void unlink_held(struct req *q)
{
	if (q->prev)
		q->prev->next = q->next;
	else
		hold.list = q->next;
	if (q->next)
		q->next->prev = q->prev;
	q->prev = q->next = NULL;
	q->suspended = false;
}

/* Caller holds hold.lock. */
static void resume_held(struct req *q)
{
	unlink_held(q);
	q->resumed = true;
	MHD_resume_connection(q->in.conn);
}

void cd_http_resume_all(void)
{
	pthread_mutex_lock(&hold.lock);
	hold.gen++;
	while (hold.list)
		resume_held(hold.list);
	pthread_mutex_unlock(&hold.lock);
}

void cd_http_resume_who(const char *who)
{
	pthread_mutex_lock(&hold.lock);
	hold.gen++; /* a request about to park calls its handler again instead: not missed */
	for (struct req *q = hold.list, *n; q; q = n) {
		n = q->next;
		if (q->in.who && strcmp(q->in.who, who) == 0)
			resume_held(q);
	}
	pthread_mutex_unlock(&hold.lock);
}

/* The hold thread: resumes long polls whose deadline passed. */
static void *hold_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&hold.lock);
	while (!hold.stopping) {
		int64_t now = cd_mono_ms(), next = now + HOLD_TICK_MS;
		for (struct req *q = hold.list, *n; q; q = n) {
			n = q->next;
			if (q->resume_at_ms && q->resume_at_ms <= now)
				resume_held(q);
			else if (q->resume_at_ms && q->resume_at_ms < next)
				next = q->resume_at_ms;
		}
		struct timespec ts = {.tv_sec = next / 1000, .tv_nsec = (next % 1000) * 1000000};
		pthread_cond_timedwait(&hold.cond, &hold.lock, &ts);
	}
	pthread_mutex_unlock(&hold.lock);
	return NULL;
}

/* Parks the request; false when a resume_all happened since gen (or the server stops): the
 * caller calls the handler again at once. */
static bool park(struct req *q, uint64_t gen, int64_t resume_at_ms)
{
	pthread_mutex_lock(&hold.lock);
	bool parked = hold.gen == gen && !hold.stopping;
	if (parked) {
		q->resume_at_ms = resume_at_ms;
		q->suspended = true;
		q->prev = NULL;
		q->next = hold.list;
		if (hold.list)
			hold.list->prev = q;
		hold.list = q;
		MHD_suspend_connection(q->in.conn);
		pthread_cond_signal(&hold.cond);
	}
	pthread_mutex_unlock(&hold.lock);
	return parked;
}

/* ------------------------------------------------------------- handlers -- */

static enum MHD_Result run_handler(struct MHD_Connection *conn, struct req *q)
{
	for (;;) {
		pthread_mutex_lock(&hold.lock);
		uint64_t gen = hold.gen;
		q->in.resume = q->resumed ? q->resume_next : NULL;
		q->resumed = false;
		pthread_mutex_unlock(&hold.lock);
		q->in.body = q->body.data ? q->body.data : "";
		q->in.len = q->body.len;

		struct cd_reply rep = {.status = MHD_HTTP_INTERNAL_SERVER_ERROR};
		q->route->fn(srv.c, &q->in, &rep);
		if (rep.suspend && !rep.json && !rep.text) {
			if (park(q, gen, rep.resume_at_ms))
				return MHD_YES;
			q->resumed = true;
			continue;
		}
		if (!rep.json && !rep.text && rep.status != MHD_HTTP_NO_CONTENT)
			cd_http_error(&rep, MHD_HTTP_INTERNAL_SERVER_ERROR,
				      "no answer (out of memory?)");
		svr_httpd_body_free(&q->body);
		return answer(conn, q, &rep, NULL);
	}
}

/* ---------------------------------------------------------- credentials -- */

static unsigned bucket_of(const char *sha256)
{
	return (unsigned)strtoul((char[]){sha256[0], sha256[1], sha256[2], 0}, NULL, 16) %
	       CRED_BUCKETS;
}

/* Caller holds creds.lock. */
static void forget_locked(void)
{
	for (size_t i = 0; i < CRED_BUCKETS; i++) {
		while (creds.bucket[i]) {
			struct cred *n = creds.bucket[i]->next;
			OPENSSL_cleanse(creds.bucket[i], sizeof(*creds.bucket[i]));
			free(creds.bucket[i]);
			creds.bucket[i] = n;
		}
	}
	creds.n = 0;
	creds.forgotten++;
}

void cd_http_forget_credentials(void)
{
	pthread_mutex_lock(&creds.lock);
	forget_locked();
	pthread_mutex_unlock(&creds.lock);
}

static uint64_t creds_forgotten(void)
{
	pthread_mutex_lock(&creds.lock);
	uint64_t n = creds.forgotten;
	pthread_mutex_unlock(&creds.lock);
	return n;
}

static bool cred_cached(const char *sha256, char *name, size_t namelen)
{
	bool found = false;
	int64_t now = cd_mono_ms();
	pthread_mutex_lock(&creds.lock);
	for (struct cred *e = creds.bucket[bucket_of(sha256)]; e; e = e->next)
		if (CRYPTO_memcmp(e->sha256, sha256, 64) == 0 && now - e->added_ms < CRED_TTL_MS) {
			snprintf(name, namelen, "%s", e->name);
			found = true;
			break;
		}
	pthread_mutex_unlock(&creds.lock);
	return found;
}

/* Keeps what a store lookup begun at forgotten found, unless the cache was emptied since (a
 * router deleted or enrolled again meanwhile: what was found may be void now). */
static void cred_remember(const char *sha256, const char *name, uint64_t forgotten)
{
	struct cred *e = calloc(1, sizeof(*e));
	if (!e)
		return;
	snprintf(e->sha256, sizeof(e->sha256), "%s", sha256);
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->added_ms = cd_mono_ms();
	pthread_mutex_lock(&creds.lock);
	if (creds.forgotten != forgotten) {
		pthread_mutex_unlock(&creds.lock);
		free(e);
		return;
	}
	if (creds.n >= CRED_MAX)
		forget_locked();
	unsigned b = bucket_of(sha256);
	/* An expired entry for the same credential goes: the new one replaces it. */
	for (struct cred **p = &creds.bucket[b]; *p;) {
		if (strcmp((*p)->sha256, sha256) == 0) {
			struct cred *old = *p;
			*p = old->next;
			free(old);
			creds.n--;
		} else {
			p = &(*p)->next;
		}
	}
	e->next = creds.bucket[b];
	creds.bucket[b] = e;
	creds.n++;
	pthread_mutex_unlock(&creds.lock);
}

/* The operator whose token hashes to sha256: every operator is compared, in constant time. */
static bool operator_of(const char *sha256, char *name, size_t namelen, unsigned *role)
{
	const struct cd_config *cfg = &srv.c->cfg;
	int found = -1;
	for (unsigned i = 0; i < cfg->n_operators; i++)
		if (CRYPTO_memcmp(cfg->operators[i].token_sha256, sha256, 64) == 0)
			found = (int)i;
	if (found >= 0) {
		snprintf(name, namelen, "%s", cfg->operators[found].name);
		*role = cfg->operators[found].role;
	}
	return found >= 0;
}

static bool router_of(const char *sha256, char *name, size_t namelen)
{
	if (cred_cached(sha256, name, namelen))
		return true;
	char err[256];
	uint64_t forgotten = creds_forgotten();
	int rc =
	    svr_store_router_by_credential(srv.c->store, sha256, name, namelen, err, sizeof(err));
	if (rc == 0) {
		cred_remember(sha256, name, forgotten);
		return true;
	}
	if (rc != SVR_STORE_NOT_FOUND)
		LOG_ERR("http: cannot look up a router credential: %s", err);
	return false;
}

/* Whether the request carries the credential the route asks for; who gets its name (and role,
 * an operator's). */
static bool authorized(struct MHD_Connection *conn, enum cd_cred cred, char *who, size_t wholen,
		       unsigned *role)
{
	who[0] = '\0';
	*role = 0;
	if (cred == CD_CRED_NONE)
		return true;
	const char *token;
	size_t len;
	if (svr_httpd_bearer(conn, &token, &len) < 0 || len == 0 || len > SVR_HTTPD_TOKEN_MAX)
		return false;
	/* A router credential is 32 random bytes in lowercase hex: anything else cannot be one,
	 * and is refused here rather than looked up (each miss would be a store query, under the
	 * store's mutex). */
	if (cred == CD_CRED_ROUTER && !svr_hex_is_lower(token, len, 2 * CD_SECRET_BYTES))
		return false;
	char sha256[65];
	cd_sha256_hex(token, len, sha256);
	return cred == CD_CRED_OPERATOR ? operator_of(sha256, who, wholen, role)
					: router_of(sha256, who, wholen);
}

/* --------------------------------------------------------------- routing -- */

/* The route for method on path; NULL with allow filled ("GET, HEAD, POST") when the path is
 * known but not the method, or with allow "" when the path is unknown. */
static const struct cd_route *find_route(const char *path, const char *method, bool is_head,
					 char *arg, size_t arglen, char *allow, size_t allowlen)
{
	allow[0] = '\0';
	for (size_t i = 0; i < srv.n_routes; i++) {
		const struct cd_route *rt = srv.routes[i];
		char a[128];
		if (!svr_httpd_path_matches(rt->path, path, a, sizeof(a)))
			continue;
		if (strcmp(rt->method, method) == 0 ||
		    (is_head && strcmp(rt->method, "GET") == 0)) {
			snprintf(arg, arglen, "%s", a);
			return rt;
		}
		size_t n = strlen(allow);
		snprintf(allow + n, allowlen - n, "%s%s%s", n ? ", " : "", rt->method,
			 strcmp(rt->method, "GET") == 0 ? ", HEAD" : "");
	}
	return NULL;
}

static void peer_of(struct MHD_Connection *conn, char *out, size_t len)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	snprintf(out, len, "?");
	if (!ci || !ci->client_addr)
		return;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
			  (socklen_t)len);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
			  out, (socklen_t)len);
}

/* The request's body limit: none for GET and HEAD, else the route's own or max-body-bytes
 * (whichever is smaller). */
static uint64_t body_limit(const struct req *q)
{
	uint64_t cfg_max = srv.c->cfg.max_body_bytes;
	if (q->bodiless)
		return 0;
	return q->route->max_body && q->route->max_body < cfg_max ? q->route->max_body : cfg_max;
}

static enum MHD_Result answer_too_large(struct MHD_Connection *conn, struct req *q, uint64_t n)
{
	if (q->bodiless)
		return answer_error(
		    conn, q, MHD_HTTP_CONTENT_TOO_LARGE, NULL,
		    "a %s request carries no body (this one announced or sent %" PRIu64 " bytes)",
		    q->method, n);
	return answer_error(
	    conn, q, MHD_HTTP_CONTENT_TOO_LARGE, NULL,
	    "the body (%" PRIu64 " bytes) is larger than the limit of %" PRIu64 " bytes (%s)", n,
	    body_limit(q), q->route->max_body ? "this resource's limit" : "max-body-bytes");
}

/* Every GET outside /api/v1: the web UI's files (the whole path is the handler's arg). */
static void ui_get(struct conductor *c, const struct cd_request *in, struct cd_reply *out)
{
	cd_ui_serve(c, in->arg, out);
}
/* Its path is never matched: first_call takes this route for every GET and HEAD outside
 * /api/v1. */
static const struct cd_route ui_route = {"GET", "/", CD_CRED_NONE, ui_get, 0, 0};

static enum MHD_Result first_call(struct MHD_Connection *conn, struct req *q, const char *url,
				  const char *method)
{
	size_t plen = strlen(API_PREFIX);
	bool is_head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
	char allow[128] = "";
	bool api = strncmp(url, API_PREFIX, plen) == 0;
	/* The web UI's handler gets q->path: a longer path would be served cut. */
	if (!api && strlen(url) >= sizeof(q->path))
		return answer_error(conn, q, MHD_HTTP_URI_TOO_LONG, NULL,
				    "the path is longer than %zu bytes", sizeof(q->path) - 1);
	if (!api && (is_head || strcmp(method, "GET") == 0))
		q->route = &ui_route; /* the web UI's files: anyone may fetch them */
	else if (!api)
		snprintf(allow, sizeof(allow), "GET, HEAD"); /* the UI's files are only read */
	else
		q->route = find_route(url + plen, method, is_head, q->arg, sizeof(q->arg), allow,
				      sizeof(allow));
	if (!q->route && !allow[0])
		return answer_error(conn, q, MHD_HTTP_NOT_FOUND, NULL, "no such resource: %s", url);
	if (!q->route)
		return answer_error(conn, q, MHD_HTTP_METHOD_NOT_ALLOWED, allow,
				    "method %s is not allowed on %s (allowed: %s)", method, url,
				    allow);
	if (!authorized(conn, q->route->cred, q->who, sizeof(q->who), &q->role))
		return answer_error(conn, q, MHD_HTTP_UNAUTHORIZED, NULL,
				    "missing or wrong bearer token (Authorization: Bearer <%s>)",
				    q->route->cred == CD_CRED_OPERATOR ? "an operator token"
								       : "the router's credential");
	if (q->route->cred == CD_CRED_OPERATOR && !(q->role & (q->route->roles | CD_ROLE_ADMIN)))
		return answer_error(conn, q, MHD_HTTP_FORBIDDEN, NULL,
				    "operator %s (role %s) may not %s %s", q->who,
				    cd_role_name(q->role), method, url);
	q->in = (struct cd_request){.conn = conn,
				    .arg = q->route == &ui_route ? q->path : q->arg,
				    .body = "",
				    .who = q->who,
				    .role = q->role,
				    .peer = q->peer,
				    .received_ms = q->start_ms};
	/* GET and HEAD have no body: the handler runs on the next call, once MHD has the whole
	 * request. A response queued now, on the first call, makes MHD close the connection after
	 * it (it cannot tell that no body follows), and each router would then pay a TLS handshake
	 * for every sync. Their limit is 0: a body sent with one is refused, none of it kept. */
	q->bodiless = strcmp(method, "GET") == 0 || is_head;
	/* Refuse an announced oversized body before reading any of it (no 100 Continue). The
	 * credential was checked above: only then is memory taken for the body, and never more
	 * than the route's limit. */
	uint64_t n;
	if (svr_httpd_body_start(&q->body, conn, body_limit(q), &n))
		return answer_too_large(conn, q, n);
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_size, void **con_cls)
{
	(void)cls;
	(void)version;
	struct req *q = *con_cls;
	if (!q) {
		q = calloc(1, sizeof(*q));
		if (!q)
			return MHD_NO;
		q->start_ms = cd_mono_ms();
		snprintf(q->method, sizeof(q->method), "%s", method);
		snprintf(q->path, sizeof(q->path), "%s", url);
		peer_of(conn, q->peer, sizeof(q->peer));
		*con_cls = q;
		return first_call(conn, q, url, method);
	}
	if (q->status) {
		/* Answered already (on the first call): drop whatever body still arrives. */
		*upload_size = 0;
		return MHD_YES;
	}
	if (*upload_size) {
		int rc = svr_httpd_body_append(&q->body, upload_data, *upload_size, body_limit(q));
		*upload_size = 0;
		return rc == 0 ? MHD_YES : MHD_NO;
	}
	if (q->body.over)
		return answer_too_large(conn, q, q->body.seen);
	return run_handler(conn, q);
}

/* Hands the request that ended to the audit log, which keeps what it must. */
static void audit(const struct req *q)
{
	bool api = strncmp(q->path, API_PREFIX "/", strlen(API_PREFIX) + 1) == 0;
	const char *role = q->role ? cd_role_name(q->role) : NULL;
	struct cd_audit_request r = {.method = q->method,
				     .path = q->path,
				     .who = q->who,
				     .role = role ? role : "",
				     .peer = q->peer,
				     .action = q->route ? q->route->action : NULL,
				     .detail = q->detail,
				     .status = q->status,
				     .operator_ok =
					 q->role != 0, /* only an accepted operator has a role */
				     .api = api,
				     .audit_success = q->route && q->route->audit_success};
	cd_audit_request(srv.c, &r, cd_mono_ms(), cd_now_ms());
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	struct req *q = *con_cls;
	if (!q)
		return;
	pthread_mutex_lock(&hold.lock);
	if (q->suspended)
		unlink_held(q);
	pthread_mutex_unlock(&hold.lock);
	char status[12] = "-";
	if (q->status)
		snprintf(status, sizeof(status), "%u", q->status);
	int64_t ms = cd_mono_ms() - q->start_ms;
	/* The method and path are the client's (MHD decodes "%0a" to a newline): one log line. */
	char method[sizeof(q->method)], path[sizeof(q->path)];
	svr_log_safe(method, sizeof(method), q->method);
	svr_log_safe(path, sizeof(path), q->path);
	if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
		LOG_INFO("%s %s %s %" PRId64 " ms %s %s", method, path, status, ms, q->peer,
			 q->who);
	else
		LOG_INFO("%s %s %s %" PRId64 " ms %s %s (connection ended early: %s)", method, path,
			 status, ms, q->peer, q->who, svr_httpd_ended(toe));
	audit(q);
	svr_httpd_body_free(&q->body);
	free(q);
	*con_cls = NULL;
}

/* ------------------------------------------------------------ start/stop -- */

int cd_http_start(struct conductor *c, const char *cert_pem, const char *key_pem, char *err,
		  size_t errlen)
{
	struct sockaddr_storage ss;
	if (svr_httpd_parse_listen(c->cfg.listen, "listen", &ss, err, errlen) < 0)
		return -1;
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		return svr_errf(err, errlen, "this libmicrohttpd has no TLS support");
	srv.c = c;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&hold.cond, &ca);
	pthread_condattr_destroy(&ca);

	int fd = svr_httpd_listen(&ss, c->cfg.listen, LISTEN_BACKLOG, "the conductor",
				  "another svr-conductor? set \"listen\" in the startup file or "
				  "--listen",
				  err, errlen);
	if (fd < 0)
		return -1;
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TLS |
			 MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* MHD's threads inherit this mask: signals stay with the main thread. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	srv.daemon = MHD_start_daemon(
	    flags, 0, NULL, NULL, on_request, NULL, MHD_OPTION_EXTERNAL_LOGGER, svr_httpd_mhd_log,
	    NULL, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
	    MHD_OPTION_HTTPS_MEM_KEY, key_pem, MHD_OPTION_HTTPS_MEM_CERT, cert_pem,
	    MHD_OPTION_CONNECTION_LIMIT, c->cfg.connection_limit,
	    /* One host cannot take every connection (slowly sending requests it never ends). */
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, c->cfg.per_ip_connection_limit,
	    /* TLS 1.2 and 1.3 only, GnuTLS's usual ciphers for them. */
	    MHD_OPTION_HTTPS_PRIORITIES, TLS_PRIORITIES, MHD_OPTION_LISTEN_BACKLOG_SIZE,
	    (unsigned)LISTEN_BACKLOG,
	    /* Idle connections: longer than a held sync, which is not idle to MHD anyway. */
	    MHD_OPTION_CONNECTION_TIMEOUT, c->cfg.hold_s + 60, MHD_OPTION_THREAD_POOL_SIZE,
	    (unsigned)THREADS, MHD_OPTION_END);
	int e = errno;
	int rc = srv.daemon ? pthread_create(&hold.thread, NULL, hold_main, NULL) : -1;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!srv.daemon)
		return svr_errf(err, errlen, "cannot serve HTTPS on %s: %s", c->cfg.listen,
				e ? strerror(e) : "libmicrohttpd failed to start");
	if (rc != 0) {
		MHD_stop_daemon(srv.daemon);
		srv.daemon = NULL;
		return svr_errf(err, errlen, "cannot start the hold thread: %s", strerror(rc));
	}
	hold.thread_started = true;
	return 0;
}

void cd_http_stop(void)
{
	if (!srv.daemon)
		return;
	pthread_mutex_lock(&hold.lock);
	hold.stopping = true;
	hold.gen++;
	while (hold.list)
		resume_held(hold.list);
	pthread_cond_signal(&hold.cond);
	pthread_mutex_unlock(&hold.lock);
	if (hold.thread_started)
		pthread_join(hold.thread, NULL);
	hold.thread_started = false;
	MHD_stop_daemon(srv.daemon);
	srv.daemon = NULL;
	cd_http_forget_credentials();
}
