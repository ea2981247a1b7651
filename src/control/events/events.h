/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * svr-control's event stream (docs/telemetry.md, "Events"): one bounded log of events
 * (common/evlog.h) that the dataplane's events (read every 200 ms, poll.c) and svr-control's own
 * (config applied or rejected, conductor connected or lost) go into, and sinks that each read
 * it from their own cursor on a thread of their own (sinks.c): a JSON-lines file, syslog, HTTP
 * POST in batches (Splunk HEC or Elasticsearch bulk). A sink that falls behind by more than the
 * log holds loses the oldest events, counted, and says how many with an "events-lost" event
 * when it can deliver again; nothing ever waits for a sink.
 *
 * Threads: any thread may call svr_events_new/svr_events_emit (one mutex, held for a push);
 * each sink thread calls svr_events_take/svr_events_done on its own struct svr_evsink.
 */
#ifndef SVR_CONTROL_EVENTS_H
#define SVR_CONTROL_EVENTS_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/evlog.h"

#define SVR_EVENTS_QUEUE_DEFAULT 10000
#define SVR_EVENTS_BATCH_DEFAULT 500
#define SVR_EVENTS_POLL_MS       200

enum svr_events_format { SVR_EVENTS_HEC, SVR_EVENTS_ELASTIC };

/* One reader of the log: a sink. Its counters are read by the REST API (relaxed). */
struct svr_evsink {
	const char *name;
	uint64_t cursor; /* the last seq delivered */
	_Atomic uint64_t sent, dropped, failures;
	_Atomic bool failing;    /* the last attempt failed: backing off */
	uint64_t unreported;     /* dropped, not yet told in an events-lost event */
	struct svr_evsink *next; /* the registry's */
};

/* The log, for any thread. queue: events kept (0: SVR_EVENTS_QUEUE_DEFAULT). router: the name
 * events carry. 0, or -1 (no memory). Without svr_events_init, emit only drops its event. */
int svr_events_init(unsigned queue, const char *router);
void svr_events_fini(void);

/* {"seq":0,"time":now,"router":...,"type":type}: the caller adds fields and emits it. */
json_t *svr_events_new(const char *type);
/* Appends e (its reference taken; NULL ignored), numbered in the log's sequence, and wakes the
 * sinks. */
void svr_events_emit(json_t *e);

/* Registers s (zeroed but for its name) as a reader from the log's oldest event on. */
void svr_events_sink_add(struct svr_evsink *s);
/*
 * Sink thread: the events after s's cursor, at most max, waiting up to wait_ms for one; the
 * events overwritten before s read them are added to s->dropped. An empty array when none came
 * or svr_events_wake_all was called. *last: the seq to pass to svr_events_done once delivered.
 */
json_t *svr_events_take(struct svr_evsink *s, unsigned max, unsigned wait_ms, uint64_t *last);
/* Sink thread: the events up to last are delivered (or given up). */
void svr_events_done(struct svr_evsink *s, uint64_t last, size_t n);
/* Wakes every waiting sink (to stop). */
void svr_events_wake_all(void);

/* The REST API's view: the events after `after` (at most max), the log's and each sink's
 * counters, and the dataplane reader's (poll.c). */
json_t *svr_events_recent(uint64_t after, unsigned max);

/* The dataplane reader's figures (poll.c writes them). */
struct svr_events_dp_stats {
	_Atomic uint64_t read, lost, suppressed, polls_failed;
	_Atomic bool reachable;
};
extern struct svr_events_dp_stats svr_events_dp;

/* --- formats (format.c, no I/O) --- */

/* Milliseconds since the epoch of an event's "time" ("...T..:..:..mmmZ"), or -1. */
int64_t svr_events_time_ms(const json_t *e);
/* A Splunk HEC batch: {"time":S.mmm,"host":router,"source":"svrouter","sourcetype":
 * "svrouter:event","event":{...}} per event, one a line. malloc'd, *len set; NULL on no memory. */
char *svr_events_hec(const json_t *events, size_t *len);
/* An Elasticsearch bulk body: {"index":{"_index":index}} then the event with "@timestamp", each
 * a line, ending in a newline. */
char *svr_events_elastic(const json_t *events, const char *index, size_t *len);
/* A syslog datagram (RFC 3164 as /dev/log takes it): "<PRI>Mmm dd hh:mm:ss TAG[PID]: JSON",
 * facility local0, severity from the event's type. Returns its length (< cap), 0 if too long. */
size_t svr_events_syslog_line(const json_t *e, const char *tag, int pid, char *out, size_t cap);
/* The syslog severity (0-7) of an event's type. */
int svr_events_severity(const char *type);

#endif
