/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The router-facing API (docs/conductor.md, "Router sync protocol"): the CA, enrolment, the
 * long-polled sync, acknowledgements and status reports. Who runs what:
 *  - the HTTP server's epoll threads run the handlers; they take a reference to the current
 *    snapshot below under its mutex, make a router's text from it outside the mutex (once per
 *    snapshot and router), and never wait for a change (a sync with nothing new is suspended);
 *  - the watcher thread (watch_main) waits on its own store handle for the change serial to
 *    move, loads the running model and the keys once into a new snapshot, swaps it in and
 *    resumes every suspended sync; every half second it also lets the commands relay
 *    (api/commands.c) expire commands and learn of other conductors' ones.
 * A sync answers a router's pending commands first (an answer of their own, api/commands.c).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "api/commands.h"
#include "common/hex.h"
#include "common/log.h"
#include "conductor.h"
#include "config.h"
#include "http/http.h"
#include "httpd/httpd.h"
#include "keys.h"
#include "model/index.h"
#include "model/slice.h"
#include "model/validate.h"
#include "pki.h"

#define TEXT_BUCKETS     1024
#define ENROL_FAILS_MAX  5          /* per address ... */
#define ENROL_WINDOW_MS  60000      /* ... in a minute */
#define ENROL_ADDRS      4096       /* addresses remembered */
#define ENROL_MAX_BODY   4096       /* POST /enrol, which needs no credential */
#define ACK_MAX_BODY     65536      /* POST /sync/ack: a result and its errors */
#define STATUS_MAX_BODY  (4u << 20) /* POST /status: a hub lists thousands of peer paths */
#define CREDENTIAL_BYTES CD_SECRET_BYTES
#define WATCH_TIMEOUT_MS 500 /* the watcher checks its stop flag and the commands this often */
#define ENROL_REFUSED_MSG                                                                          \
	"enrolment refused: the token is unknown, used, expired or for another router"

/* ------------------------------------------------------------- snapshot -- */

/* One router's configuration as sent: the JSON text, made on the first request. */
struct text {
	char router[CD_NAME_MAX];
	char *body;
	size_t len;
	struct text *next;
};

/* What every router is served for one serial. Replaced whole by the watcher; freed when the last
 * handler building a text from it lets go (refs). model and keys are only read once published. */
struct snapshot {
	atomic_int refs; /* cache.cur holds one, each handler using it one */
	int64_t serial, version;
	json_t *model;                 /* the running version; NULL before the first commit */
	struct svr_model_index *index; /* model's, for its slices; NULL with it */
	json_t *keys;                  /* the key file; NULL when there is no key yet */
	struct text *texts[TEXT_BUCKETS];
};

static struct {
	pthread_mutex_t lock; /* guards cur and the texts lists */
	struct snapshot *cur;
} cache = {.lock = PTHREAD_MUTEX_INITIALIZER};

static struct {
	pthread_t thread;
	bool started;
	atomic_bool stop;
	struct svr_store *store; /* the watcher's own handle */
} watch;

static void snapshot_put(struct snapshot *s)
{
	if (!s || atomic_fetch_sub(&s->refs, 1) > 1)
		return;
	for (size_t i = 0; i < TEXT_BUCKETS; i++)
		for (struct text *t = s->texts[i], *n; t; t = n) {
			n = t->next;
			OPENSSL_clear_free(t->body, t->len); /* it holds keys */
			free(t);
		}
	svr_model_index_free(s->index);
	json_decref(s->model);
	json_decref(s->keys);
	free(s);
}

static unsigned text_bucket(const char *router)
{
	unsigned h = 5381;
	for (const char *p = router; *p; p++)
		h = h * 33 + (unsigned char)*p;
	return h % TEXT_BUCKETS;
}

/* router's text in s, NULL when not made yet. Caller holds cache.lock. */
static const struct text *text_find(const struct snapshot *s, const char *router)
{
	for (const struct text *t = s->texts[text_bucket(router)]; t; t = t->next)
		if (strcmp(t->router, router) == 0)
			return t;
	return NULL;
}

/* The configuration text for router in s: its slice and the keys. A router the running version
 * does not name gets model and keys null: it is enrolled, but has nothing to run (yet). Made
 * without the lock (a slice of a large model takes a while): only reads s->model, s->index and
 * s->keys. */
static struct text *text_make(const struct snapshot *s, const char *router)
{
	bool named = s->index && svr_model_index_router(s->index, router) >= 0;
	json_t *doc =
	    json_pack("{s:I, s:I, s:o, s:o}", "serial", (json_int_t)s->serial, "version",
		      (json_int_t)s->version, "model",
		      named ? svr_model_slice_indexed(s->model, s->index, router) : json_null(),
		      "keys", named && s->keys ? json_deep_copy(s->keys) : json_null());
	struct text *t = calloc(1, sizeof(*t));
	char *body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	if (!t || !body) {
		free(t);
		free(body);
		return NULL;
	}
	snprintf(t->router, sizeof(t->router), "%s", router);
	t->len = strlen(body);
	t->body = body;
	return t;
}

/* Adds t to s unless another thread added router's text first; returns the one kept. Caller
 * holds cache.lock. */
static const struct text *text_keep(struct snapshot *s, struct text *t)
{
	const struct text *had = text_find(s, t->router);
	if (had) {
		OPENSSL_clear_free(t->body, t->len);
		free(t);
		return had;
	}
	unsigned b = text_bucket(t->router);
	t->next = s->texts[b];
	s->texts[b] = t;
	return t;
}

/* A malloc'd copy of router's configuration in s into out (200), made once per snapshot. */
static void answer_text(struct snapshot *s, const char *router, struct cd_reply *out)
{
	pthread_mutex_lock(&cache.lock);
	const struct text *t = text_find(s, router);
	pthread_mutex_unlock(&cache.lock);
	if (!t) {
		struct text *made = text_make(s, router);
		pthread_mutex_lock(&cache.lock);
		t = made ? text_keep(s, made) : NULL;
		pthread_mutex_unlock(&cache.lock);
	}
	/* A kept text is never changed or freed while s is held. */
	out->text = t ? malloc(t->len + 1) : NULL;
	if (!out->text) {
		cd_http_error(out, 500, "out of memory");
		return;
	}
	memcpy(out->text, t->body, t->len + 1);
	out->text_len = t->len;
	out->status = 200;
}

/* Loads the running model and keys at serial. Watcher thread (and main, at start). */
static struct snapshot *snapshot_load(struct svr_store *st, int64_t serial, char *err,
				      size_t errlen)
{
	struct snapshot *s = calloc(1, sizeof(*s));
	if (!s) {
		svr_errf(err, errlen, "out of memory");
		return NULL;
	}
	atomic_init(&s->refs, 1);
	s->serial = serial;
	struct svr_store_commit info = {0};
	struct svr_store_key *keys = NULL;
	size_t n = 0;
	if (svr_store_running(st, &info, &s->model, err, errlen) < 0 ||
	    svr_store_keys(st, &keys, &n, err, errlen) < 0) {
		snapshot_put(s);
		return NULL;
	}
	if (s->model && !(s->index = svr_model_index_new(s->model))) {
		svr_errf(err, errlen, "out of memory indexing the running model");
		OPENSSL_cleanse(keys, n * sizeof(*keys));
		free(keys);
		snapshot_put(s);
		return NULL;
	}
	s->version = info.version;
	s->keys = cd_keys_file(keys, n);
	OPENSSL_cleanse(keys, n * sizeof(*keys));
	free(keys);
	return s;
}

static void snapshot_swap(struct snapshot *s)
{
	pthread_mutex_lock(&cache.lock);
	struct snapshot *old = cache.cur;
	cache.cur = s;
	pthread_mutex_unlock(&cache.lock);
	snapshot_put(old);
}

static void *watch_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&cache.lock);
	int64_t known = cache.cur ? cache.cur->serial : -1;
	pthread_mutex_unlock(&cache.lock);
	struct timespec second = {.tv_sec = 1};
	while (!atomic_load(&watch.stop)) {
		int64_t serial;
		char err[256];
		if (svr_store_wait_change(watch.store, known, WATCH_TIMEOUT_MS, &serial, err,
					  sizeof(err)) < 0) {
			LOG_ERR("sync: waiting for changes: %s", err);
			nanosleep(&second, NULL); /* the store is down: try again in a second */
			continue;
		}
		cd_commands_refresh(watch.store); /* every half second, and on each change */
		if (serial == known)
			continue;
		struct snapshot *s = snapshot_load(watch.store, serial, err, sizeof(err));
		if (!s) {
			LOG_ERR("sync: cannot load serial %" PRId64 ": %s", serial, err);
			nanosleep(&second, NULL); /* wait_change returns at once: not a busy loop */
			continue;
		}
		LOG_INFO("sync: serial %" PRId64 " (running version %" PRId64 "%s): waking routers",
			 serial, s->version, s->keys ? "" : ", no keys yet");
		snapshot_swap(s);
		known = serial;
		cd_http_resume_all();
	}
	return NULL;
}

/* ---------------------------------------------------------------- helpers -- */

/* A non-negative integer query argument: 1 given, 0 absent, -1 (400 answered) bad. */
static int query_uint(const struct cd_request *in, struct cd_reply *out, const char *key,
		      int64_t *v)
{
	const char *s = cd_http_query(in, key);
	if (!s)
		return 0;
	char *end;
	errno = 0;
	long long n = strtoll(s, &end, 10);
	if (!*s || *end || errno || n < 0 || !isdigit((unsigned char)*s)) {
		cd_http_error(out, 400, "query parameter \"%s\": expected a non-negative integer",
			      key);
		return -1;
	}
	*v = n;
	return 1;
}

/* Checks that obj has only the keys listed; answers 400 naming the first other one. */
/* ------------------------------------------------------------- enrolment -- */

/* Failed enrolments per client address, for the rate limit. */
struct fails {
	char addr[48];
	int64_t window_ms; /* start of the minute counted */
	unsigned n;
};
static struct {
	pthread_mutex_t lock;
	struct fails list[ENROL_ADDRS];
} enrol_fails = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* The entry for addr (a new one, replacing the stalest, when absent). Caller holds the lock. */
static struct fails *fails_of(const char *addr, int64_t now)
{
	struct fails *stalest = &enrol_fails.list[0];
	for (size_t i = 0; i < ENROL_ADDRS; i++) {
		struct fails *f = &enrol_fails.list[i];
		if (f->n && strcmp(f->addr, addr) == 0) {
			if (now - f->window_ms >= ENROL_WINDOW_MS)
				f->n = 0, f->window_ms = now;
			return f;
		}
		if (!f->n || f->window_ms < stalest->window_ms)
			stalest = f;
	}
	snprintf(stalest->addr, sizeof(stalest->addr), "%s", addr);
	stalest->window_ms = now;
	stalest->n = 0;
	return stalest;
}

static bool enrol_blocked(const char *addr)
{
	int64_t now = cd_mono_ms();
	pthread_mutex_lock(&enrol_fails.lock);
	struct fails *f = fails_of(addr, now);
	bool blocked = f->n >= ENROL_FAILS_MAX;
	pthread_mutex_unlock(&enrol_fails.lock);
	return blocked;
}

static unsigned enrol_failed(const char *addr)
{
	int64_t now = cd_mono_ms();
	pthread_mutex_lock(&enrol_fails.lock);
	struct fails *f = fails_of(addr, now);
	unsigned n = ++f->n;
	if (f->n == 1)
		f->window_ms = now;
	pthread_mutex_unlock(&enrol_fails.lock);
	return n;
}

static void get_ca(struct conductor *c, const struct cd_request *in, struct cd_reply *out)
{
	(void)c;
	(void)in;
	out->status = 200;
	out->text = strdup(cd_pki_ca_pem());
	out->text_len = out->text ? strlen(out->text) : 0;
	out->content_type = "application/x-pem-file";
	if (!out->text)
		cd_http_error(out, 500, "out of memory");
}

static void post_enrol(struct conductor *c, const struct cd_request *in, struct cd_reply *out)
{
	if (enrol_blocked(in->peer)) {
		LOG_WARN("enrol: %s refused: more than %d failed attempts in a minute", in->peer,
			 ENROL_FAILS_MAX);
		cd_http_audit(in, "more than %d failed enrolments from this address in a minute",
			      ENROL_FAILS_MAX);
		cd_http_error(out, 429,
			      "too many failed enrolments from this address: try again in a "
			      "minute");
		return;
	}
	json_t *body = cd_http_body_json(in, out);
	if (!body)
		return;
	static const char *const keys[] = {"router", "token", NULL};
	const char *router = json_string_value(json_object_get(body, "router"));
	const char *token = json_string_value(json_object_get(body, "token"));
	if (!cd_http_only_keys(body, keys, out)) {
		json_decref(body);
		return;
	}
	if (!svr_model_router_name_valid(router)) {
		cd_http_error(out, 400,
			      "router: must be the router's name (" SVR_MODEL_ROUTER_NAME_RULE ")");
		json_decref(body);
		return;
	}
	if (!token || !*token || strlen(token) > SVR_HTTPD_TOKEN_MAX) {
		cd_http_error(out, 400, "token: must be a string of 1-%d characters",
			      SVR_HTTPD_TOKEN_MAX);
		json_decref(body);
		return;
	}
	unsigned char rnd[CREDENTIAL_BYTES];
	char cred[2 * CREDENTIAL_BYTES + 1], token_sha[65], cred_sha[65], err[256];
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		cd_http_error(out, 500, "the random generator failed");
		json_decref(body);
		return;
	}
	svr_hex_encode(rnd, sizeof(rnd), cred);
	OPENSSL_cleanse(rnd, sizeof(rnd));
	cd_sha256_hex(token, strlen(token), token_sha);
	cd_sha256_hex(cred, strlen(cred), cred_sha);
	int rc = svr_store_token_use(c->store, router, token_sha, cred_sha, cd_now_ms(), err,
				     sizeof(err));
	if (rc == 0) {
		cd_http_forget_credentials(); /* a router enrolled again: its old one is void */
		LOG_NOTICE("enrol: router %s enrolled from %s", router, in->peer);
		cd_http_json(out, 200,
			     json_pack("{s:s, s:s}", "router", router, "credential", cred));
	} else if (rc == SVR_STORE_NOT_FOUND || rc == SVR_STORE_EXPIRED) {
		unsigned n = enrol_failed(in->peer);
		LOG_WARN("enrol: %s failed for router %s from %s (403; %u in this minute)",
			 rc == SVR_STORE_EXPIRED ? "a used or expired token" : "an unknown token",
			 router, in->peer, n);
		cd_http_audit(in, "for router %s: %s", router,
			      rc == SVR_STORE_EXPIRED ? "a used or expired token"
						      : "an unknown token");
		cd_http_error(out, 403, ENROL_REFUSED_MSG);
	} else {
		LOG_ERR("enrol: router %s: %s", router, err);
		/* Not the store's own words: the caller is not authenticated yet. */
		cd_http_error(out, 503,
			      "the conductor's store failed; try again (its log says why)");
	}
	OPENSSL_cleanse(cred, sizeof(cred));
	json_decref(body);
}

/* ------------------------------------------------------------------ sync -- */

static int marker; /* what a suspended sync stores (nothing to free) */

/*
 * Whether a router that has seen serial after, past the snapshot's, should be sent the snapshot:
 * only when the store itself is at the snapshot's serial, i.e. it went back (restored from a
 * backup, or a new store imported). A snapshot merely behind the store (another conductor's
 * commit this one has not loaded yet) is not sent: the router would go back a version for a
 * moment. Reads the store, but only for a router that is ahead, which is rare.
 */
static bool store_went_back(struct conductor *c, const struct snapshot *s, const char *router,
			    int64_t after)
{
	int64_t serial;
	char err[256];
	if (svr_store_serial(c->store, &serial, err, sizeof(err)) < 0 || serial != s->serial)
		return false;
	LOG_WARN("router %s has seen serial %" PRId64 ", past the store's %" PRId64
		 " (the store was restored or replaced?): sending it the store's",
		 router, after, serial);
	return true;
}

static void get_sync(struct conductor *c, const struct cd_request *in, struct cd_reply *out)
{
	static const char *const params[] = {"after", "wait", NULL};
	char err[256];
	if (svr_httpd_query_check(in->conn, params, err, sizeof(err)) < 0) {
		cd_http_error(out, 400, "%s", err);
		return;
	}
	int64_t after = 0, wait = c->cfg.hold_s;
	if (query_uint(in, out, "after", &after) < 0 || query_uint(in, out, "wait", &wait) < 0)
		return;
	if (wait > c->cfg.hold_s)
		wait = c->cfg.hold_s; /* a router never holds a connection longer than hold-s */

	/* Commands first, in an answer of their own: the configuration follows at the next
	 * poll, at once (api/commands.c). */
	if (cd_commands_answer(c, in->who, out))
		return;
	pthread_mutex_lock(&cache.lock);
	struct snapshot *s = cache.cur;
	if (s)
		atomic_fetch_add(&s->refs, 1);
	pthread_mutex_unlock(&cache.lock);
	if (s &&
	    (s->serial > after || (s->serial < after && store_went_back(c, s, in->who, after)))) {
		answer_text(s, in->who, out);
		snapshot_put(s);
		return;
	}
	snapshot_put(s);

	int64_t deadline = in->received_ms + wait * 1000;
	if (wait == 0 || cd_mono_ms() >= deadline || cd_http_stopping()) {
		out->status = 204; /* nothing new within wait */
		return;
	}
	if (!in->resume)
		LOG_DEBUG("sync: router %s waits for a serial past %" PRId64 " (up to %" PRId64
			  " s)",
			  in->who, after, wait);
	cd_http_suspend(in, out, &marker);
	out->resume_at_ms = deadline;
}

/* The router's row, for the values a report does not restate. */
static json_t *router_row(struct conductor *c, const char *name, struct cd_reply *out)
{
	json_t *row = NULL;
	char err[256];
	int rc = svr_store_router_get(c->store, name, &row, err, sizeof(err));
	if (rc < 0)
		cd_http_error(out, rc == SVR_STORE_NOT_FOUND ? 404 : 503, "router %s: %s", name,
			      err);
	return row;
}

static int64_t int_or(const json_t *v, int64_t dflt)
{
	return json_is_integer(v) ? json_integer_value(v) : dflt;
}

/* Validates an acknowledgement: {serial, version, result, generation, errors}. */
static bool ack_valid(const json_t *ack, struct cd_reply *out)
{
	static const char *const keys[] = {"serial",     "version", "result",
					   "generation", "errors",  NULL};
	if (!cd_http_only_keys(ack, keys, out))
		return false;
	const char *result = json_string_value(json_object_get(ack, "result"));
	const json_t *errors = json_object_get(ack, "errors");
	const char *bad = !json_is_integer(json_object_get(ack, "serial"))    ? "serial"
			  : !json_is_integer(json_object_get(ack, "version")) ? "version"
			  : !result || (strcmp(result, "applied") && strcmp(result, "rejected"))
			      ? "result"
			  : json_object_get(ack, "generation") &&
				  !json_is_integer(json_object_get(ack, "generation"))
			      ? "generation"
			  : errors && !json_is_array(errors) ? "errors"
							     : NULL;
	if (bad)
		cd_http_error(out, 400,
			      "%s: expected serial and version (integers), result (\"applied\" or "
			      "\"rejected\"), generation (an integer) and errors (an array)",
			      bad);
	return !bad;
}

/* A router's acknowledgement and its status report are each a read, merge and write of its one
 * status row, and may arrive at once on two of the server's threads: without this lock the later
 * write puts back what the earlier one replaced (an acknowledgement lost under a report). */
static pthread_mutex_t report_mu = PTHREAD_MUTEX_INITIALIZER;

static void post_ack(struct conductor *c, const struct cd_request *in, struct cd_reply *out)
{
	json_t *ack = cd_http_body_json(in, out);
	if (!ack)
		return;
	pthread_mutex_lock(&report_mu);
	json_t *row = ack_valid(ack, out) ? router_row(c, in->who, out) : NULL;
	if (!row) {
		pthread_mutex_unlock(&report_mu);
		json_decref(ack);
		return;
	}
	bool applied = strcmp(json_string_value(json_object_get(ack, "result")), "applied") == 0;
	int64_t version = int_or(json_object_get(row, "applied-version"), 0);
	int64_t serial = int_or(json_object_get(row, "applied-serial"), 0);
	if (applied) {
		version = json_integer_value(json_object_get(ack, "version"));
		serial = json_integer_value(json_object_get(ack, "serial"));
	}
	/* The acknowledgement is kept in the router's status, beside its last report. */
	json_t *status = json_object_get(row, "status");
	status = json_is_object(status) ? json_deep_copy(status) : json_object();
	json_object_set_new(ack, "at-ms", json_integer(cd_now_ms()));
	json_object_set(status, "ack", ack);
	char err[256];
	if (svr_store_router_report(c->store, in->who, status, version, serial, cd_now_ms(), err,
				    sizeof(err)) < 0)
		cd_http_error(out, 503, "the store failed: %s", err);
	else
		out->status = 204;
	pthread_mutex_unlock(&report_mu);
	if (!applied)
		LOG_WARN("sync: router %s rejected serial %" PRId64 " (version %" PRId64 ")",
			 in->who, (int64_t)json_integer_value(json_object_get(ack, "serial")),
			 (int64_t)json_integer_value(json_object_get(ack, "version")));
	json_decref(status);
	json_decref(row);
	json_decref(ack);
}

static void post_status(struct conductor *c, const struct cd_request *in, struct cd_reply *out)
{
	json_t *report = cd_http_body_json(in, out);
	if (!report)
		return;
	if (!json_is_object(report) || json_object_get(report, "ack")) {
		cd_http_error(out, 400,
			      "(top): must be an object (without \"ack\": that is the "
			      "conductor's record of POST /sync/ack)");
		json_decref(report);
		return;
	}
	const json_t *av = json_object_get(report, "applied-version");
	const json_t *as = json_object_get(report, "applied-serial");
	if ((av && !json_is_integer(av)) || (as && !json_is_integer(as))) {
		cd_http_error(out, 400, "%s: must be an integer",
			      av && !json_is_integer(av) ? "applied-version" : "applied-serial");
		json_decref(report);
		return;
	}
	pthread_mutex_lock(&report_mu);
	json_t *row = router_row(c, in->who, out);
	if (!row) {
		pthread_mutex_unlock(&report_mu);
		json_decref(report);
		return;
	}
	json_t *prev_ack = json_object_get(json_object_get(row, "status"), "ack");
	if (prev_ack)
		json_object_set(report, "ack", prev_ack);
	int64_t version = int_or(av, int_or(json_object_get(row, "applied-version"), 0));
	int64_t serial = int_or(as, int_or(json_object_get(row, "applied-serial"), 0));
	char err[256];
	if (svr_store_router_report(c->store, in->who, report, version, serial, cd_now_ms(), err,
				    sizeof(err)) < 0)
		cd_http_error(out, 503, "the store failed: %s", err);
	else
		out->status = 204;
	pthread_mutex_unlock(&report_mu);
	json_decref(row);
	json_decref(report);
}

/* ----------------------------------------------------------------- start -- */

static const struct cd_route routes[] = {
    {"GET", "/enrol/ca", CD_CRED_NONE, get_ca},
    /* Anyone may enrol: a router name and a token fit in 4 KiB. The audit log keeps the
     * refusals (as every route's 401). */
    {"POST", "/enrol", CD_CRED_NONE, post_enrol, ENROL_MAX_BODY, 0, "enrol"},
    {"GET", "/sync", CD_CRED_ROUTER, get_sync, 0, 0, "sync"},
    {"POST", "/sync/ack", CD_CRED_ROUTER, post_ack, ACK_MAX_BODY, 0, "sync-ack"},
    /* A status is stored and re-read every second by the alarms: kept small. */
    {"POST", "/status", CD_CRED_ROUTER, post_status, STATUS_MAX_BODY, 0, "status"},
};

int cd_api_router_start(struct conductor *c, char *err, size_t errlen)
{
	int64_t serial;
	if (svr_store_open(c->cfg.store, &watch.store, err, errlen) < 0)
		return -1;
	if (svr_store_serial(watch.store, &serial, err, errlen) < 0)
		goto fail;
	struct snapshot *s = snapshot_load(watch.store, serial, err, errlen);
	if (!s)
		goto fail;
	snapshot_swap(s);
	cd_http_routes(routes, sizeof(routes) / sizeof(routes[0]));
	cd_commands_register(c);
	atomic_store(&watch.stop, false);
	int rc = pthread_create(&watch.thread, NULL, watch_main, c);
	if (rc != 0) {
		svr_errf(err, errlen, "cannot start the watcher thread: %s", strerror(rc));
		goto fail;
	}
	watch.started = true;
	return 0;
fail:
	svr_store_close(watch.store);
	watch.store = NULL;
	return -1;
}

void cd_api_router_stop(void)
{
	if (watch.started) {
		atomic_store(&watch.stop, true);
		pthread_join(watch.thread, NULL);
		watch.started = false;
	}
	svr_store_close(watch.store);
	watch.store = NULL;
	snapshot_swap(NULL);
}
