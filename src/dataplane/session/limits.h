/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Limits and marks of sessions (docs/paths.md "Rate limits", "Degraded mode"): the class's DSCP
 * mark, the policy's per-session and aggregate rates, and the class's rate while its peer is
 * degraded. Policing, no queues: a packet over its limit is dropped and counted.
 *
 * Who writes what:
 * - a session's own bucket and mark sit in its ext slot's line of each direction (session/ext.h),
 *   set by the creating worker before the session is published, the bucket then written per
 *   packet only by the worker receiving that direction;
 * - a shared rate (a policy's aggregate-rate-bps, a degraded class's rate-bps) has a limit slot,
 *   stable by name for the process life, and each worker polices its own share of it in its own
 *   line (dp_session_shares). Every 100 ms the main lcore splits the rate again by what each
 *   worker was offered (common/share.h) and publishes each share with one relaxed store; the
 *   worker takes it up at its next packet. No shared write per packet, no lock.
 */
#ifndef SVR_SESSION_LIMITS_H
#define SVR_SESSION_LIMITS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/tbucket.h"
#include "core/gen.h"
#include "core/worker.h"
#include "flow/state.h"
#include "l2l3/cksum.h"
#include "session/ext.h"

#define DP_MAX_LIMIT_SLOTS 256 /* policies with an aggregate rate and degraded classes */
#define DP_LIMIT_MTU       1514

/* One worker's share of one limit slot: its own cache line. */
struct dp_limit_share {
	struct svr_tbucket b;     /* the worker's */
	uint64_t cfg_seen;        /* the worker's: the cfg its bucket follows */
	_Atomic uint64_t cfg;     /* main lcore: share rate in bytes/s << 30 | depth in bytes */
	_Atomic uint64_t offered; /* the worker's: bytes offered since start (main reads) */
} __attribute__((aligned(64)));

extern struct dp_limit_share *dp_session_shares; /* [worker * DP_MAX_LIMIT_SLOTS + slot] */
/* by peer index in the image (< DP_MAX_DEGRADED_PEERS): 1 while the peer is degraded */
#define DP_MAX_DEGRADED_PEERS 1024
extern _Atomic uint8_t dp_session_degraded[DP_MAX_DEGRADED_PEERS];

/* Startup / exit (main lcore). */
int dp_session_limits_init(unsigned n_workers);
void dp_session_limits_free(void);
size_t dp_session_limits_bytes(void);

/* Generation build (main lcore): the limit slot of a name ("policy x", "class y"), stable for
 * the process life; DP_NO_LIMIT when all are taken. */
uint16_t dp_session_limit_slot(const char *kind, const char *name);

/* Main lcore, every 100 ms: the workers' shares split again by demand. */
void dp_session_limits_tick(const struct dp_gen *g, uint64_t now_ms);
/* Main lcore, every 100 ms after the paths' choice (session/degraded.c): each peer's degraded
 * state decided, logged on each change, published in dp_session_degraded. */
void dp_session_degraded_tick(const struct dp_gen *g, uint64_t now_ms);

/* Creation path: whether a new session of svc needs an ext slot for its limits or mark
 * (degraded: its peer is degraded now). */
static inline bool dp_session_limits_wanted(const struct dp_svc_policy *svc, bool degraded)
{
	return svc->dscp != DP_DSCP_KEEP || svc->session_rate_bps || svc->agg_slot != DP_NO_LIMIT ||
	       (degraded && svc->degraded_slot != DP_NO_LIMIT);
}

/* Creation path, before the session is published: its limits and mark into slot x's lines. */
void dp_session_limits_fill(uint16_t x, const struct dp_svc_policy *svc, bool degraded);

/* Out of line: a worker's share follows a new cfg (once per rebalance at most). */
void dp_session_share_follow(struct dp_limit_share *a, uint64_t cfg, uint64_t tsc);

static inline bool dp_session_share_take(unsigned worker, uint16_t slot, uint64_t tsc,
					 uint32_t bytes)
{
	struct dp_limit_share *a = &dp_session_shares[worker * DP_MAX_LIMIT_SLOTS + slot];
	uint64_t cfg = atomic_load_explicit(&a->cfg, memory_order_relaxed);
	if (__builtin_expect(cfg != a->cfg_seen, 0))
		dp_session_share_follow(a, cfg, tsc);
	atomic_store_explicit(&a->offered,
			      atomic_load_explicit(&a->offered, memory_order_relaxed) + bytes,
			      memory_order_relaxed);
	return svr_tbucket_take(&a->b, tsc, bytes);
}

/*
 * Hit path: a packet of bytes through a direction's limits (its line l) at time tsc.
 * SVR_DROP_MAX when it passes, else the reason to drop it.
 */
static inline enum svr_drop_reason
dp_session_police(const struct dp_worker *w, struct dp_ext_line *l, uint64_t tsc, uint32_t bytes)
{
	if ((l->limits & DP_EXT_RATE) && !svr_tbucket_take(&l->tb, tsc, bytes))
		return SVR_DROP_RATE_LIMIT_SESSION;
	if ((l->limits & DP_EXT_AGG) && !dp_session_share_take(w->index, l->agg_slot, tsc, bytes))
		return SVR_DROP_RATE_LIMIT_POLICY;
	if ((l->limits & DP_EXT_DEGRADED) &&
	    atomic_load_explicit(&dp_session_degraded[l->peer], memory_order_relaxed) &&
	    !dp_session_share_take(w->index, l->degraded_slot, tsc, bytes))
		return SVR_DROP_RATE_LIMIT_DEGRADED;
	return SVR_DROP_MAX;
}

/* Hit path: the DSCP bits of an IPv4 header's TOS byte set (ECN kept), checksum updated. */
static inline void dp_session_mark_dscp(uint8_t *ip, uint8_t dscp)
{
	uint8_t tos = (uint8_t)(dscp << 2 | (ip[1] & 0x3));
	if (tos == ip[1])
		return;
	uint16_t old = (uint16_t)(ip[0] << 8 | ip[1]), now = (uint16_t)(ip[0] << 8 | tos);
	ip[1] = tos;
	uint16_t ck = svr_cksum_update16((uint16_t)(ip[10] << 8 | ip[11]), old, now);
	ip[10] = (uint8_t)(ck >> 8);
	ip[11] = (uint8_t)ck;
}

#endif
