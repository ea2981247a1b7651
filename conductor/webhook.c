/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ITSM webhook's queue and its one sender thread (webhook.h). The queue is a ring of
 * serialised events under a mutex; the sender takes the oldest out, POSTs it with libcurl until
 * it is accepted (2xx) or max-attempts have failed, waiting on the condition variable between
 * attempts so that a stop does not wait for the backoff. Delays are deterministic (no jitter):
 * one conductor's one sender makes no herd, and an ITSM's operator can read the schedule in the
 * docs.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "common/fsutil.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "webhook.h"

struct item {
	char *body;
	size_t len;
	char what[64]; /* for the log: "commit of proposal 12", "commit of version 7" */
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv; /* an event queued, or stopping */
	struct item q[CD_WEBHOOK_QUEUE];
	size_t head, n;
	size_t bytes; /* of the queued bodies: bounded too (CD_WEBHOOK_QUEUE_BYTES) */
	bool running, in_flight;
	atomic_bool stopping;
	pthread_t thread;
	struct cd_webhook_config cfg;
	CURL *curl;
	struct curl_slist *headers;
} wh = {.mu = PTHREAD_MUTEX_INITIALIZER};

unsigned cd_webhook_delay_ms(unsigned base_ms, unsigned failures)
{
	uint64_t d = base_ms;
	for (unsigned i = 1; i < failures && d < CD_WEBHOOK_DELAY_MAX; i++)
		d *= 2;
	return d < CD_WEBHOOK_DELAY_MAX ? (unsigned)d : CD_WEBHOOK_DELAY_MAX;
}

bool cd_webhook_on(void)
{
	return wh.running;
}

json_t *cd_text_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

/* Whether changes fit an event (CD_WEBHOOK_CHANGES_MAX, CD_WEBHOOK_CHANGES_BYTES): a planner's
 * large model must not make every queued event a copy of it. */
static bool changes_fit(const json_t *changes)
{
	if (json_array_size(changes) > CD_WEBHOOK_CHANGES_MAX)
		return false;
	size_t n = json_dumpb(changes, NULL, 0, JSON_COMPACT);
	return n <= CD_WEBHOOK_CHANGES_BYTES;
}

/* "changes": the diff, or (too large) null with "changes-truncated" and "changes-count". */
static void set_changes(json_t *o, const json_t *changes)
{
	if (!changes) {
		json_object_set_new(o, "changes", json_array());
		return;
	}
	if (changes_fit(changes)) {
		json_object_set(o, "changes", (json_t *)changes);
		return;
	}
	json_object_set_new(o, "changes", json_null());
	json_object_set_new(o, "changes-truncated", json_true());
	json_object_set_new(o, "changes-count", json_integer((json_int_t)json_array_size(changes)));
}

static json_t *event_json(const char *event, const struct svr_store_proposal *p,
			  const struct svr_store_commit *v, const json_t *changes)
{
	/* "approver": who approved (not yet known when proposed; who rejected or withdrew is
	 * "decided-by" only), as GET /proposals/{id} says it. */
	bool approved = strcmp(event, "propose") != 0 && strcmp(event, "withdraw") != 0 &&
			strcmp(event, "reject") != 0;
	bool decided = strcmp(event, "propose") != 0;
	json_t *o = json_pack(
	    "{s:s, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "event", event, "at-ms",
	    (json_int_t)cd_now_ms(), "proposal", p ? json_integer(p->id) : json_null(), "kind",
	    json_string(p   ? p->kind
			: v ? v->kind
			    : "commit"),
	    "ticket",
	    cd_text_or_null(p   ? p->ticket
			    : v ? v->ticket
				: ""),
	    "proposer",
	    cd_text_or_null(p   ? p->proposer
			    : v ? v->author
				: ""),
	    "approver", cd_text_or_null(p && approved ? p->approver : ""), "message",
	    cd_text_or_null(p   ? p->message
			    : v ? v->message
				: ""),
	    "version", v ? json_integer(v->version) : json_null());
	if (o)
		set_changes(o, changes);
	if (o && (p || v))
		json_object_set_new(o, "sha256", json_string(p ? p->sha256 : v->sha256));
	if (o && p) {
		json_object_set_new(o, "decided-by", cd_text_or_null(decided ? p->approver : ""));
		json_object_set_new(o, "comment", cd_text_or_null(p->comment));
		json_object_set_new(o, "apply-at-ms",
				    p->apply_at_ms ? json_integer(p->apply_at_ms) : json_null());
		if (p->error[0])
			json_object_set_new(o, "error", json_string(p->error));
	}
	return o;
}

void cd_webhook_event(const char *event, const struct svr_store_proposal *p,
		      const struct svr_store_commit *v, const json_t *changes)
{
	if (!wh.running)
		return;
	json_t *o = event_json(event, p, v, changes);
	char *body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!body) {
		LOG_ERR("ITSM webhook: out of memory: the %s event is lost", event);
		return;
	}
	size_t len = strlen(body);
	pthread_mutex_lock(&wh.mu);
	while (wh.n && (wh.n == CD_WEBHOOK_QUEUE || wh.bytes + len > CD_WEBHOOK_QUEUE_BYTES)) {
		struct item *old = &wh.q[wh.head];
		LOG_ERR("ITSM webhook: %zu events (%zu bytes) waiting; the oldest (%s) is dropped",
			wh.n, wh.bytes, old->what);
		free(old->body);
		wh.bytes -= old->len;
		wh.head = (wh.head + 1) % CD_WEBHOOK_QUEUE;
		wh.n--;
	}
	struct item *it = &wh.q[(wh.head + wh.n) % CD_WEBHOOK_QUEUE];
	it->body = body;
	it->len = len;
	wh.bytes += len;
	if (p)
		snprintf(it->what, sizeof(it->what), "%s of proposal %lld", event,
			 (long long)p->id);
	else
		snprintf(it->what, sizeof(it->what), "%s of version %lld", event,
			 v ? (long long)v->version : 0LL);
	wh.n++;
	pthread_cond_signal(&wh.cv);
	pthread_mutex_unlock(&wh.mu);
}

/* libcurl's progress callback: a stop abandons the attempt in progress. */
static int abort_on_stop(void *ctx, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	(void)ctx, (void)dt, (void)dn, (void)ut, (void)un;
	return atomic_load(&wh.stopping) ? 1 : 0;
}

static size_t discard(char *data, size_t size, size_t n, void *ctx)
{
	(void)data, (void)ctx;
	return size * n;
}

/* One POST: 0 accepted (2xx), else -1 with why. */
static int post(const char *body, char *why, size_t len)
{
	curl_easy_setopt(wh.curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(wh.curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	CURLcode rc = curl_easy_perform(wh.curl);
	long status = 0;
	curl_easy_getinfo(wh.curl, CURLINFO_RESPONSE_CODE, &status);
	if (rc == CURLE_OK && status >= 200 && status < 300)
		return 0;
	if (rc != CURLE_OK)
		snprintf(why, len, "%s", curl_easy_strerror(rc));
	else
		snprintf(why, len, "HTTP %ld", status);
	return -1;
}

/* Waits ms unless a stop comes first; true when stopping. Called with wh.mu held. */
static bool wait_or_stop(unsigned ms)
{
	struct timespec until = svr_timespec_after_ms(CLOCK_REALTIME, ms);
	while (!atomic_load(&wh.stopping))
		if (pthread_cond_timedwait(&wh.cv, &wh.mu, &until) == ETIMEDOUT)
			break;
	return atomic_load(&wh.stopping);
}

/* Sends one event with its retries. false: a stop came first (the event is lost). */
static bool deliver(const struct item *it)
{
	char why[256];
	for (unsigned attempt = 1;; attempt++) {
		if (post(it->body, why, sizeof(why)) == 0) {
			LOG_INFO("ITSM webhook: %s delivered (attempt %u)", it->what, attempt);
			return true;
		}
		if (atomic_load(&wh.stopping))
			return false;
		if (attempt >= wh.cfg.max_attempts) {
			LOG_ERR("ITSM webhook: %s dropped after %u attempts to %s (the last: %s)",
				it->what, attempt, wh.cfg.url, why);
			return true;
		}
		unsigned delay = cd_webhook_delay_ms(wh.cfg.retry_base_ms, attempt);
		LOG_WARN("ITSM webhook: %s, attempt %u: %s; retrying in %u ms", it->what, attempt,
			 why, delay);
		pthread_mutex_lock(&wh.mu);
		bool stop = wait_or_stop(delay);
		pthread_mutex_unlock(&wh.mu);
		if (stop)
			return false;
	}
}

static void *sender(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&wh.mu);
	for (;;) {
		while (wh.n == 0 && !atomic_load(&wh.stopping))
			pthread_cond_wait(&wh.cv, &wh.mu);
		if (atomic_load(&wh.stopping))
			break;
		struct item it = wh.q[wh.head];
		wh.head = (wh.head + 1) % CD_WEBHOOK_QUEUE;
		wh.n--;
		wh.bytes -= it.len;
		wh.in_flight = true;
		pthread_mutex_unlock(&wh.mu);
		bool done = deliver(&it);
		free(it.body);
		pthread_mutex_lock(&wh.mu);
		wh.in_flight = !done; /* a stop came: counted with the queue as lost */
	}
	pthread_mutex_unlock(&wh.mu);
	return NULL;
}

/* "Authorization: Bearer TOKEN" from the token file (its trailing blanks removed). */
static int bearer_header(const char *file, char *out, size_t len, char *err, size_t errlen)
{
	char tok[4096], why[128];
	if (svr_read_token_line(file, tok, sizeof(tok), why, sizeof(why)) < 0) {
		snprintf(err, errlen, "itsm-webhook.token-file %s: %s", file, why);
		return -1;
	}
	snprintf(out, len, "Authorization: Bearer %s", tok);
	explicit_bzero(tok, sizeof(tok));
	return 0;
}

static int setup_curl(char *err, size_t errlen)
{
	char auth[4200] = "";
	if (wh.cfg.token_file[0] &&
	    bearer_header(wh.cfg.token_file, auth, sizeof(auth), err, errlen) < 0)
		return -1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	wh.curl = curl_easy_init();
	if (!wh.curl) {
		snprintf(err, errlen, "cannot create a libcurl handle");
		return -1;
	}
	wh.headers = curl_slist_append(NULL, "Content-Type: application/json");
	wh.headers = curl_slist_append(wh.headers, "Expect:");
	if (auth[0])
		wh.headers = curl_slist_append(wh.headers, auth);
	explicit_bzero(auth, sizeof(auth));
	CURL *h = wh.curl;
	CURLcode rc = curl_easy_setopt(h, CURLOPT_URL, wh.cfg.url);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "itsm-webhook.url: libcurl refuses it: %s",
			 curl_easy_strerror(rc));
		return -1;
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, wh.headers);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)wh.cfg.timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)wh.cfg.timeout_ms);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, abort_on_stop);
	/* Only http and https, also after a redirect (none are followed anyway). */
	rc = curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "libcurl cannot be limited to http and https: %s",
			 curl_easy_strerror(rc));
		return -1;
	}
	if (wh.cfg.cacert[0] &&
	    (rc = curl_easy_setopt(h, CURLOPT_CAINFO, wh.cfg.cacert)) != CURLE_OK) {
		snprintf(err, errlen, "itsm-webhook.cacert %s: libcurl refuses it: %s",
			 wh.cfg.cacert, curl_easy_strerror(rc));
		return -1;
	}
	return 0;
}

static void cleanup_curl(void)
{
	if (wh.curl)
		curl_easy_cleanup(wh.curl);
	curl_slist_free_all(wh.headers);
	wh.curl = NULL;
	wh.headers = NULL;
}

int cd_webhook_start(const struct cd_webhook_config *cfg, char *err, size_t errlen)
{
	if (!cfg->url[0])
		return 0;
	wh.cfg = *cfg;
	pthread_cond_init(&wh.cv, NULL);
	atomic_store(&wh.stopping, false);
	if (setup_curl(err, errlen) < 0) {
		cleanup_curl();
		return -1;
	}
	int rc = pthread_create(&wh.thread, NULL, sender, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "ITSM webhook thread: %s", strerror(rc));
		cleanup_curl();
		return -1;
	}
	wh.running = true;
	LOG_NOTICE("ITSM webhook: events to %s (%u attempts at most, %u ms doubling to %d ms "
		   "between them)",
		   wh.cfg.url, wh.cfg.max_attempts, wh.cfg.retry_base_ms, CD_WEBHOOK_DELAY_MAX);
	return 0;
}

void cd_webhook_stop(void)
{
	if (!wh.running)
		return;
	pthread_mutex_lock(&wh.mu);
	atomic_store(&wh.stopping, true);
	pthread_cond_broadcast(&wh.cv);
	pthread_mutex_unlock(&wh.mu);
	pthread_join(wh.thread, NULL);
	wh.running = false;
	size_t lost = wh.n + (wh.in_flight ? 1 : 0);
	for (; wh.n; wh.n--, wh.head = (wh.head + 1) % CD_WEBHOOK_QUEUE)
		free(wh.q[wh.head].body);
	wh.bytes = 0;
	if (lost)
		LOG_WARN("ITSM webhook: %zu event(s) not delivered are lost at this stop (the "
			 "queue is in memory)",
			 lost);
	else
		LOG_NOTICE("ITSM webhook: stopped with nothing pending");
	cleanup_curl();
	pthread_cond_destroy(&wh.cv);
}
