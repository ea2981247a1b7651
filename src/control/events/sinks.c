/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * svr-control's event sinks (sinks.h): a JSON-lines file, syslog, HTTP POST (Splunk HEC or
 * Elasticsearch bulk). Each runs on a thread of its own, reading the log from its own cursor
 * (events.h), so a slow or dead one delays only itself: the log never waits for it, and what it
 * misses is counted (its "dropped") and told in an events-lost event once it delivers again.
 */
#include "events/sinks.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "common/fsutil.h"
#include "common/log.h"
#include "common/timeutil.h"

#define WAIT_MS        1000  /* a sink's longest wait for an event (then it checks for stop) */
#define BACKOFF_MIN_MS 500   /* HTTP: the first wait after a failure ... */
#define BACKOFF_MAX_MS 30000 /* ... doubling up to this */
#define SYSLOG_MAX     8192  /* bytes of one datagram */
#define REPLY_MAX      65536 /* bytes of an HTTP answer kept (the bulk API's item errors) */
#define SYSLOG_TRIES   20    /* 5 ms apart: how long one datagram waits for a full queue */

struct sink {
	struct svr_evsink s;
	/* Events delivered of the batch (0..n), or -1: none, try the same batch again later. */
	int (*deliver)(struct sink *k, const json_t *events);
	bool retry; /* HTTP: a failed batch waits and is tried again */
	unsigned batch;
	pthread_t thread;
	bool started;
	/* file */
	char path[4096];
	/* syslog */
	int fd;
	struct sockaddr_un addr;
	/* http */
	CURL *curl;
	struct curl_slist *headers;
	char url[2048];
	char index[256];
	enum svr_events_format format;
	long timeout_ms;
	char *reply;
	size_t reply_len;
	int64_t warned_ms; /* the last warning logged (at most one a minute) */
};

static struct sink sinks[3];
static unsigned n_sinks;
static atomic_bool stopping;
static pthread_mutex_t stop_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stop_cond = PTHREAD_COND_INITIALIZER;

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A warning at most once a minute per sink: a dead endpoint does not flood the log. */
static bool may_warn(struct sink *k)
{
	int64_t now = mono_ms();
	if (k->warned_ms && now - k->warned_ms < 60000)
		return false;
	k->warned_ms = now;
	return true;
}

/* Waits ms, or less if stopping. */
static void pause_ms(unsigned ms)
{
	struct timespec until = svr_timespec_after_ms(CLOCK_REALTIME, ms);
	pthread_mutex_lock(&stop_lock);
	while (!atomic_load(&stopping))
		if (pthread_cond_timedwait(&stop_cond, &stop_lock, &until) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&stop_lock);
}

/* --- the JSON-lines file: opened for each batch, so a rotated file is followed --- */

static int file_deliver(struct sink *k, const json_t *events)
{
	int fd = open(k->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0) {
		if (may_warn(k))
			LOG_WARN("events file %s: %s", k->path, strerror(errno));
		return 0;
	}
	size_t i, ok = 0;
	const json_t *e;
	json_array_foreach (events, i, e) {
		char *line = json_dumps(e, JSON_COMPACT);
		size_t len = line ? strlen(line) : 0;
		if (line)
			line[len++] = '\n'; /* json_dumps's NUL becomes the newline */
		if (line && write(fd, line, len) == (ssize_t)len)
			ok++;
		else if (may_warn(k))
			LOG_WARN("events file %s: %s", k->path,
				 line ? strerror(errno) : "no memory");
		free(line);
	}
	close(fd);
	return (int)ok;
}

/* --- syslog: datagrams to /dev/log (or the given socket), never waited for --- */

/* One datagram. A full receive queue (EAGAIN) is waited out for at most SYSLOG_TRIES * 5 ms,
 * on this sink's thread only; anything else fails at once. */
static bool syslog_send(struct sink *k, const char *line, size_t n)
{
	for (int tries = 0; tries < SYSLOG_TRIES; tries++) {
		if (sendto(k->fd, line, n, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&k->addr,
			   sizeof(k->addr)) == (ssize_t)n)
			return true;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return false;
		struct timespec ts = {0, 5000000};
		nanosleep(&ts, NULL);
	}
	return false;
}

static int syslog_deliver(struct sink *k, const json_t *events)
{
	static char line[SYSLOG_MAX];
	size_t i, ok = 0;
	const json_t *e;
	json_array_foreach (events, i, e) {
		size_t n =
		    svr_events_syslog_line(e, "svr-control", (int)getpid(), line, sizeof(line));
		if (n && syslog_send(k, line, n))
			ok++;
		else if (may_warn(k))
			LOG_WARN("events to syslog %s: %s", k->addr.sun_path,
				 n ? strerror(errno) : "an event longer than a datagram");
	}
	return (int)ok;
}

/* --- HTTP: a batch a POST, HEC or bulk --- */

static size_t keep_reply(char *p, size_t size, size_t n, void *arg)
{
	struct sink *k = arg;
	size_t len = size * n, room = REPLY_MAX - k->reply_len;
	size_t take = len < room ? len : room;
	if (take) {
		char *r = realloc(k->reply, k->reply_len + take + 1);
		if (r) {
			memcpy(r + k->reply_len, p, take);
			k->reply = r;
			k->reply_len += take;
			r[k->reply_len] = '\0';
		}
	}
	return len;
}

/* The bulk API answers 200 with "errors": true when items failed: said, not retried (the same
 * documents would fail again). */
static void bulk_item_errors(struct sink *k)
{
	json_t *r = k->reply ? json_loads(k->reply, 0, NULL) : NULL;
	if (json_is_true(json_object_get(r, "errors")) && may_warn(k))
		LOG_WARN("events to %s: the bulk API refused some documents", k->url);
	json_decref(r);
}

static int http_deliver(struct sink *k, const json_t *events)
{
	size_t len;
	char *body = k->format == SVR_EVENTS_HEC ? svr_events_hec(events, &len)
						 : svr_events_elastic(events, k->index, &len);
	if (!body)
		return -1;
	k->reply_len = 0;
	if (k->reply)
		k->reply[0] = '\0'; /* not the previous answer's */
	curl_easy_setopt(k->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(k->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	CURLcode rc = curl_easy_perform(k->curl);
	long status = 0;
	curl_easy_getinfo(k->curl, CURLINFO_RESPONSE_CODE, &status);
	free(body);
	if (rc == CURLE_OK && status >= 200 && status < 300) {
		if (k->format == SVR_EVENTS_ELASTIC)
			bulk_item_errors(k);
		return (int)json_array_size(events);
	}
	/* refused for good (a 4xx other than timeout and too-many-requests): sending the same
	 * batch again would refuse it again and hold every later event back; dropped, counted */
	if (rc == CURLE_OK && status >= 400 && status < 500 && status != 408 && status != 429) {
		if (may_warn(k))
			LOG_WARN("events to %s: HTTP %ld: the batch is refused, its events dropped",
				 k->url, status);
		return 0;
	}
	if (may_warn(k))
		LOG_WARN("events to %s: %s; retrying with backoff (events beyond the queue are "
			 "dropped and counted)",
			 k->url, rc != CURLE_OK ? curl_easy_strerror(rc) : "HTTP status not 2xx");
	return -1;
}

/* The events this sink lost, told once it delivers again. */
static void report_lost(struct sink *k)
{
	if (!k->s.unreported)
		return;
	json_t *e = svr_events_new("events-lost");
	if (e) {
		json_object_set_new(e, "sink", json_string(k->s.name));
		json_object_set_new(e, "count", json_integer((json_int_t)k->s.unreported));
		json_object_set_new(e, "reason", json_string("the sink fell behind the queue"));
	}
	k->s.unreported = 0;
	svr_events_emit(e);
}

static void *sink_main(void *arg)
{
	struct sink *k = arg;
	unsigned backoff = 0;
	while (!atomic_load(&stopping)) {
		uint64_t last;
		json_t *ev = svr_events_take(&k->s, k->batch, WAIT_MS, &last);
		size_t n = json_array_size(ev);
		if (n == 0 || atomic_load(&stopping)) {
			json_decref(ev);
			continue;
		}
		int ok = k->deliver(k, ev);
		json_decref(ev);
		if (ok < 0) { /* nothing delivered: the same events again after a pause */
			atomic_fetch_add(&k->s.failures, 1);
			atomic_store(&k->s.failing, true);
			backoff = backoff ? backoff * 2 : BACKOFF_MIN_MS;
			if (backoff > BACKOFF_MAX_MS)
				backoff = BACKOFF_MAX_MS;
			pause_ms(backoff);
			continue;
		}
		backoff = 0;
		atomic_store(&k->s.failing, (size_t)ok < n);
		if ((size_t)ok < n) {
			atomic_fetch_add(&k->s.failures, 1);
			atomic_fetch_add(&k->s.dropped, n - (size_t)ok);
		}
		svr_events_done(&k->s, last, (size_t)ok);
		report_lost(k);
	}
	return NULL;
}

static struct sink *sink_new(const char *name, unsigned batch)
{
	struct sink *k = &sinks[n_sinks++];
	memset(k, 0, sizeof(*k));
	k->s.name = name;
	k->batch = batch;
	k->fd = -1;
	return k;
}

static int http_setup(struct sink *k, const struct svr_events_opts *o, char *err, size_t errlen)
{
	snprintf(k->url, sizeof(k->url), "%s", o->http_url);
	snprintf(k->index, sizeof(k->index), "%s", o->index ? o->index : "svrouter-events");
	k->format = o->format;
	k->timeout_ms = o->http_timeout_ms ? o->http_timeout_ms : 5000;
	char auth[1024] = "";
	if (o->token_file) {
		/* One line: a CR or LF inside would add a header of the file's choosing. */
		char tok[1000], why[128];
		if (svr_read_token_line(o->token_file, tok, sizeof(tok), why, sizeof(why)) < 0) {
			snprintf(err, errlen, "--events-token-file %s: %s", o->token_file, why);
			return -1;
		}
		snprintf(auth, sizeof(auth), "Authorization: %s %s",
			 o->format == SVR_EVENTS_HEC ? "Splunk" : "ApiKey", tok);
		explicit_bzero(tok, sizeof(tok));
	}
	k->curl = curl_easy_init();
	if (!k->curl) {
		snprintf(err, errlen, "cannot create a libcurl handle");
		return -1;
	}
	k->headers = curl_slist_append(NULL, o->format == SVR_EVENTS_HEC
						 ? "Content-Type: application/json"
						 : "Content-Type: application/x-ndjson");
	/* the whole batch at once: no second round trip for "100 Continue" */
	k->headers = curl_slist_append(k->headers, "Expect:");
	if (auth[0])
		k->headers = curl_slist_append(k->headers, auth);
	explicit_bzero(auth, sizeof(auth));
	curl_easy_setopt(k->curl, CURLOPT_URL, k->url);
	curl_easy_setopt(k->curl, CURLOPT_HTTPHEADER, k->headers);
	curl_easy_setopt(k->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(k->curl, CURLOPT_TIMEOUT_MS, k->timeout_ms);
	curl_easy_setopt(k->curl, CURLOPT_CONNECTTIMEOUT_MS,
			 k->timeout_ms < 2000 ? k->timeout_ms : 2000L);
	curl_easy_setopt(k->curl, CURLOPT_WRITEFUNCTION, keep_reply);
	curl_easy_setopt(k->curl, CURLOPT_WRITEDATA, k);
	curl_easy_setopt(k->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	k->deliver = http_deliver;
	k->retry = true;
	return 0;
}

static int syslog_setup(struct sink *k, const struct svr_events_opts *o, char *err, size_t errlen)
{
	const char *path = o->syslog_socket ? o->syslog_socket : "/dev/log";
	k->addr.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(k->addr.sun_path)) {
		snprintf(err, errlen, "--events-syslog-socket: %s is too long a path", path);
		return -1;
	}
	strcpy(k->addr.sun_path, path);
	k->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (k->fd < 0) {
		snprintf(err, errlen, "syslog socket: %s", strerror(errno));
		return -1;
	}
	k->deliver = syslog_deliver;
	return 0;
}

static void sinks_free(void)
{
	for (unsigned i = 0; i < n_sinks; i++) {
		struct sink *k = &sinks[i];
		if (k->fd >= 0)
			close(k->fd);
		if (k->curl)
			curl_easy_cleanup(k->curl);
		curl_slist_free_all(k->headers);
		free(k->reply);
		memset(k, 0, sizeof(*k));
	}
	n_sinks = 0;
}

int svr_events_start(struct svr_ctl *ctl, const struct svr_events_opts *o, char *err, size_t errlen)
{
	atomic_store(&stopping, false);
	if (svr_events_init(o->queue, ctl->router) < 0) {
		snprintf(err, errlen, "no memory for %u events", o->queue);
		return -1;
	}
	unsigned batch = o->batch ? o->batch : SVR_EVENTS_BATCH_DEFAULT;
	int rc = 0;
	if (o->file) {
		struct sink *k = sink_new("file", batch);
		snprintf(k->path, sizeof(k->path), "%s", o->file);
		k->deliver = file_deliver;
	}
	if (o->syslog || o->syslog_socket)
		rc = syslog_setup(sink_new("syslog", batch), o, err, errlen);
	if (rc == 0 && o->http_url)
		rc = http_setup(sink_new("http", batch), o, err, errlen);
	for (unsigned i = 0; rc == 0 && i < n_sinks; i++) {
		svr_events_sink_add(&sinks[i].s);
		if (pthread_create(&sinks[i].thread, NULL, sink_main, &sinks[i]) != 0) {
			snprintf(err, errlen, "cannot start the %s event sink", sinks[i].s.name);
			rc = -1;
			break;
		}
		sinks[i].started = true;
	}
	if (rc == 0 && svr_events_poll_start(ctl, o->dataplane_sock, o->state_dir) < 0) {
		snprintf(err, errlen, "cannot start the dataplane event reader");
		rc = -1;
	}
	if (rc < 0)
		svr_events_stop();
	return rc;
}

void svr_events_stop(void)
{
	pthread_mutex_lock(&stop_lock);
	atomic_store(&stopping, true);
	pthread_cond_broadcast(&stop_cond);
	pthread_mutex_unlock(&stop_lock);
	svr_events_poll_stop();
	svr_events_wake_all();
	for (unsigned i = 0; i < n_sinks; i++)
		if (sinks[i].started)
			pthread_join(sinks[i].thread, NULL);
	sinks_free();
	svr_events_fini();
}
