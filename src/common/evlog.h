/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A bounded log of events (docs/telemetry.md, "Events"): JSON objects numbered by a sequence
 * number, the newest `cap` kept, the oldest overwritten. A reader keeps the last sequence number
 * it read and asks for what came after it; events overwritten before it read them are reported to
 * it as lost, so a gap is always seen. No DPDK, no lock: the dataplane's main lcore owns its log,
 * svr-control guards its own with a mutex.
 *
 * Every event starts {"seq": N, "time": "RFC 3339, ms, UTC", "router": NAME, "type": TYPE, ...}
 * (svr_event_new puts the keys in that order; svr_evlog_push fills in seq).
 */
#ifndef SVR_COMMON_EVLOG_H
#define SVR_COMMON_EVLOG_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct svr_evlog {
	json_t **ev;       /* cap slots; seq s lives in slot s % cap */
	uint32_t cap;      /* events kept */
	uint64_t next_seq; /* the number the next event gets (the first is 1) */
	uint64_t overwritten;
};

/* 0, or -1 (no memory). */
int svr_evlog_init(struct svr_evlog *l, uint32_t cap);
void svr_evlog_free(struct svr_evlog *l);

/* Appends e (its reference is taken), setting its "seq"; the oldest event goes when full.
 * Returns the event's sequence number. */
uint64_t svr_evlog_push(struct svr_evlog *l, json_t *e);

/* The oldest sequence number held (next_seq when empty). */
uint64_t svr_evlog_first(const struct svr_evlog *l);

/*
 * The events numbered after `after`, oldest first, at most max, in a new array (references
 * taken). *lost: how many events after `after` were overwritten before this read; *last: the
 * sequence number to pass as `after` next time (`after` itself when nothing is new). An `after`
 * beyond the newest (the log's owner restarted) reads from the start, all of it new.
 */
json_t *svr_evlog_read(const struct svr_evlog *l, uint64_t after, unsigned max, uint64_t *lost,
		       uint64_t *last);

/* {"seq": 0, "time": ..., "router": router, "type": type}, to which the caller adds fields. */
json_t *svr_event_new(int64_t unix_ms, const char *router, const char *type);

/* "2026-12-06T07:03:17.123Z" into out (at least 25 bytes). */
void svr_rfc3339_ms(int64_t unix_ms, char *out, size_t len);

#endif
