/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Session records for telemetry (docs/telemetry.md "IPFIX"): a snapshot of a session when it
 * starts (the worker that created it), now and then while it lives (the main lcore's ageing:
 * interim) and when it ends (the main lcore, which ends every session). Each producer has a
 * single-producer ring of its own, which the exporter (telemetry/ipfix.c) drains from its own
 * thread. Nothing is made under a generation whose model names no collector; a full ring loses the
 * record (counted), never waits: a slow collector never slows forwarding.
 */
#ifndef SVR_SESSION_RECORDS_H
#define SVR_SESSION_RECORDS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/gen.h"
#include "core/worker.h"

/* Records one ring holds: a worker's (start records) and the main lcore's (interim, end). */
#define DP_RECORDS_WORKER_RING (64u * 1024u)
#define DP_RECORDS_MAIN_RING   (128u * 1024u)
#define DP_RECORDS_NO_IFACE    0xff

/* One session as a record gives it; names by id (dp_sess registries), times in Unix seconds. */
struct dp_session_record {
	uint8_t uuid[16];
	uint8_t kind;       /* enum svr_ipfix_kind */
	uint8_t end_reason; /* enum svr_ipfix_end_reason */
	uint8_t proto;
	uint8_t family; /* 4 or 6 */
	uint16_t tenant, service, rule;
	uint16_t path;               /* peer path slot, or DP_NO_SVR_PATH */
	uint8_t in_iface, out_iface; /* interface slots, or DP_RECORDS_NO_IFACE */
	uint16_t reserved;
	uint32_t start_s, end_s;
	uint8_t src[16], dst[16], post_src[16], post_dst[16]; /* network order */
	uint16_t sport, dport, post_sport, post_dport;        /* network order */
	uint64_t fwd_bytes, fwd_pkts, rev_bytes, rev_pkts;
};

/* Rings for n_workers workers and the main lcore; -1 when memory is short (logged). */
int dp_session_records_init(unsigned n_workers);
void dp_session_records_free(void);

/* A worker created session idx (the creation path). */
void dp_session_record_start(struct dp_worker *w, const struct dp_gen *g, uint32_t idx);
/*
 * Main lcore, a session about to end: its end record for reason (enum svr_ipfix_end_reason)
 * into r, taken before the delete (false: export is off). Handed on by
 * dp_session_record_ended once the delete says it was the session's end (a moved entry's is
 * not).
 */
bool dp_session_record_end(const struct dp_gen *g, uint32_t idx, uint8_t reason,
			   struct dp_session_record *r);
void dp_session_record_ended(const struct dp_session_record *r);
/* Main lcore, ageing's visit of live session idx: an interim record when one is due. */
void dp_session_record_interim(const struct dp_gen *g, uint32_t idx);

/* The consumer's side: ring i (0 .. n-1 the workers', n the main lcore's). */
unsigned dp_session_records_rings(void);
unsigned dp_session_records_take(unsigned ring, struct dp_session_record *out, unsigned max);
/* Records lost to a full ring, all producers. */
uint64_t dp_session_records_lost(void);
/* Records the main lcore's ring has room for now (UINT32_MAX when there are no rings). */
uint32_t dp_session_records_main_room(void);

#endif
