/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Recording an event (docs/telemetry.md, "Events"), from any layer: what the router decided that
 * an operator wants told — a path went down, sessions moved, a first packet was refused.
 * svr-control reads them over the control socket ("events", telemetry/events.c) and writes its
 * sinks; the dataplane only keeps the newest DP_EVENT_QUEUE of them.
 *
 * Main lcore: e = dp_event_new("path-down"); add fields with jansson; dp_event_post(e).
 *
 * Workers, on the creation path only (never per packet of a session): dp_event_worker_admit(w)
 * says whether the worker's budget (a token bucket, DP_EVENT_WORKER_RATE a second, burst
 * DP_EVENT_WORKER_BURST) allows one more; then dp_event_worker_push(w, &raw) puts a small binary
 * record on the worker's own single-producer/single-consumer ring, which the main lcore drains
 * and formats (telemetry/events.c, dp_events_poll). The excess is counted (suppressed), never
 * waited for. No lock, no allocation, no syscall on the worker's side.
 */
#ifndef SVR_CORE_EVENT_H
#define SVR_CORE_EVENT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "core/worker.h"

#define DP_EVENT_QUEUE        4096 /* formatted events kept for svr-control */
#define DP_EVENT_WORKER_RING  256  /* raw records per worker between two drains */
#define DP_EVENT_WORKER_RATE  200  /* records a second a worker may make ... */
#define DP_EVENT_WORKER_BURST 50   /* ... in bursts of at most this many */

enum dp_event_kind {
	DP_EVENT_DENIED, /* session-denied */
	DP_EVENT_LIMIT,  /* limit-hit */
};

/* A worker's event, as it goes through its ring: numbers only, named by the main lcore. */
struct dp_event_raw {
	uint64_t tsc;        /* when (the worker's poll TSC) */
	uint16_t reason;     /* enum svr_drop_reason */
	uint8_t kind;        /* enum dp_event_kind */
	uint8_t family;      /* SVR_AF_INET, SVR_AF_INET6 */
	uint8_t proto;       /* IP protocol */
	uint16_t iface_in;   /* interface slot */
	uint16_t sport;      /* host order; ICMP: the echo identifier */
	uint16_t dport;      /* host order */
	uint16_t service_id; /* stable name id (flow/names.h), SVR_NO_NAME: none */
	uint16_t tenant_id;  /* likewise */
	uint16_t rule_id;    /* the deny rule's label (dp_sess.rules), SVR_NO_NAME: none */
	uint8_t src[16], dst[16];
};

/* Main lcore: the router's name events carry (the model's name for this router). */
void dp_event_set_router(const char *name);
const char *dp_event_router(void);

/* Main lcore: a new event of this type stamped now, to which the caller adds fields. */
json_t *dp_event_new(const char *type);
/* The same stamped at unix_ms (a worker's record, formatted later). */
json_t *dp_event_new_at(int64_t unix_ms, const char *type);
/* Main lcore: appends e to the queue (its reference is taken); NULL is ignored. */
void dp_event_post(json_t *e);

/* Worker: whether its budget allows another record now (counts one suppressed if not). */
bool dp_event_worker_admit(struct dp_worker *w);
/* Worker: hands r to the main lcore (counts it suppressed when the ring is full). */
void dp_event_worker_push(struct dp_worker *w, const struct dp_event_raw *r);
/* Main lcore: takes at most max of worker index i's records, oldest first; returns how many. */
unsigned dp_event_worker_pop(unsigned i, struct dp_event_raw *out, unsigned max);
/* Records the workers did not make: over budget or ring full (since start). */
uint64_t dp_event_suppressed(void);

/* Main lcore: the queue as telemetry/events.c serves it (common/evlog.h, svr_evlog_read). */
json_t *dp_event_read(uint64_t after, unsigned max, uint64_t *lost, uint64_t *last);
uint64_t dp_event_overwritten(void);
/* The newest sequence number given (0: none yet). */
uint64_t dp_event_last_seq(void);

/* Wall-clock milliseconds now (CLOCK_REALTIME), main lcore. */
int64_t dp_event_unix_ms(void);

#endif
