/* SPDX-License-Identifier: BSD-3-Clause */
/* svr-control's event log and its readers (events.h). */
#include "events/events.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/timeutil.h"

struct svr_events_dp_stats svr_events_dp;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t grew; /* CLOCK_MONOTONIC: an event was added, or wake_all */
static struct svr_evlog log_;
static struct svr_evsink *sinks;
static char router[64];
static uint64_t wakes; /* wake_all calls: a waiting sink returns at once */

static int64_t unix_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int svr_events_init(unsigned queue, const char *name)
{
	pthread_condattr_t a;
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&grew, &a);
	pthread_condattr_destroy(&a);
	snprintf(router, sizeof(router), "%s", name ? name : "");
	pthread_mutex_lock(&lock);
	int rc = svr_evlog_init(&log_, queue ? queue : SVR_EVENTS_QUEUE_DEFAULT);
	pthread_mutex_unlock(&lock);
	return rc;
}

void svr_events_fini(void)
{
	pthread_mutex_lock(&lock);
	svr_evlog_free(&log_);
	sinks = NULL;
	pthread_mutex_unlock(&lock);
}

json_t *svr_events_new(const char *type)
{
	return svr_event_new(unix_ms(), router, type);
}

void svr_events_emit(json_t *e)
{
	if (!e)
		return;
	pthread_mutex_lock(&lock);
	if (log_.ev) {
		svr_evlog_push(&log_, e);
		pthread_cond_broadcast(&grew);
	} else {
		json_decref(e); /* no log: events are not kept (--check, --once, unit tests) */
	}
	pthread_mutex_unlock(&lock);
}

void svr_events_sink_add(struct svr_evsink *s)
{
	pthread_mutex_lock(&lock);
	s->cursor = 0; /* from the first event: sinks start before much happens */
	s->next = sinks;
	sinks = s;
	pthread_mutex_unlock(&lock);
}

json_t *svr_events_take(struct svr_evsink *s, unsigned max, unsigned wait_ms, uint64_t *last)
{
	pthread_mutex_lock(&lock);
	struct timespec until = svr_timespec_after_ms(CLOCK_MONOTONIC, wait_ms);
	uint64_t w = wakes;
	while (log_.ev && log_.next_seq - 1 <= s->cursor && wakes == w)
		if (pthread_cond_timedwait(&grew, &lock, &until) == ETIMEDOUT)
			break;
	uint64_t lost = 0;
	json_t *out = log_.ev ? svr_evlog_read(&log_, s->cursor, max, &lost, last) : json_array();
	if (!log_.ev)
		*last = s->cursor;
	if (lost) {
		/* overwritten before this sink read them: it starts again after the gap */
		atomic_fetch_add(&s->dropped, lost);
		s->unreported += lost;
	}
	pthread_mutex_unlock(&lock);
	return out;
}

void svr_events_done(struct svr_evsink *s, uint64_t last, size_t n)
{
	s->cursor = last;
	atomic_fetch_add(&s->sent, n);
}

void svr_events_wake_all(void)
{
	pthread_mutex_lock(&lock);
	wakes++;
	pthread_cond_broadcast(&grew);
	pthread_mutex_unlock(&lock);
}

/* One sink's counters. A sink waiting out a backoff has not yet counted what it already lost:
 * counted here, from its cursor. */
static json_t *sink_json(const struct svr_evsink *s)
{
	uint64_t first = log_.ev ? svr_evlog_first(&log_) : 1,
		 newest = log_.ev ? log_.next_seq - 1 : 0;
	uint64_t gone = s->cursor + 1 < first ? first - s->cursor - 1 : 0;
	uint64_t pending = newest > s->cursor + gone ? newest - s->cursor - gone : 0;
	return json_pack("{s:s, s:I, s:I, s:I, s:I, s:s}", "name", s->name, "sent",
			 (json_int_t)atomic_load(&s->sent), "dropped",
			 (json_int_t)(atomic_load(&s->dropped) + gone), "pending",
			 (json_int_t)pending, "failures", (json_int_t)atomic_load(&s->failures),
			 "state", atomic_load(&s->failing) ? "failing" : "ok");
}

json_t *svr_events_recent(uint64_t after, unsigned max)
{
	pthread_mutex_lock(&lock);
	uint64_t lost = 0, last = after;
	json_t *list = log_.ev ? svr_evlog_read(&log_, after, max, &lost, &last) : json_array();
	json_t *sk = json_array();
	for (struct svr_evsink *s = sinks; s; s = s->next)
		json_array_append_new(sk, sink_json(s));
	json_t *o =
	    json_pack("{s:o, s:I, s:I, s:I, s:I, s:o, s:{s:b, s:I, s:I, s:I, s:I}}", "events", list,
		      "last", (json_int_t)last, "lost", (json_int_t)lost, "capacity",
		      (json_int_t)log_.cap, "overwritten", (json_int_t)log_.overwritten, "sinks",
		      sk, "dataplane", "reachable", (int)atomic_load(&svr_events_dp.reachable),
		      "read", (json_int_t)atomic_load(&svr_events_dp.read), "lost",
		      (json_int_t)atomic_load(&svr_events_dp.lost), "suppressed",
		      (json_int_t)atomic_load(&svr_events_dp.suppressed), "polls-failed",
		      (json_int_t)atomic_load(&svr_events_dp.polls_failed));
	pthread_mutex_unlock(&lock);
	return o;
}
