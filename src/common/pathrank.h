/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ranking of the candidate peer paths for one service policy (docs/paths.md "Path choice").
 * Plain C, no DPDK, no allocation, no clock: the caller (the dataplane's main lcore, rebuilding
 * its choice table) passes every input, including the per-(policy, path) SLA compliance bits it
 * keeps between calls (the hysteresis memory).
 *
 * Rules:
 *   - eligible: usable (BFD up and past its hold-down) and a cost other than SVR_RANK_COST_NEVER;
 *   - cost: the vector's cost in the policy; a vector the policy does not list costs
 *     SVR_RANK_COST_UNLISTED, after every listed cost (as the static choice does today);
 *   - SLA, with hysteresis per path: a compliant path becomes non-compliant when any measure
 *     exceeds its limit; a non-compliant one becomes compliant again only when every measure is
 *     <= 80 % of its limit. A limit of SVR_RANK_NO_LIMIT is no limit. A path with no delay
 *     samples yet is judged on loss only (its latency and jitter are unknown, not bad);
 *   - order: compliant paths by (cost, latency, input order), then non-compliant ones the same way;
 *   - verdict: no eligible path -> NO_PATH; some compliant -> OK; none compliant -> BEST_EFFORT
 *     when the policy allows best effort (use the first, non-compliant, path), else REFUSE;
 *   - duplication: the second leg is the best-ranked eligible path whose local interface AND
 *     remote address both differ from the first path's (disjoint), or SVR_RANK_NONE.
 */
#ifndef SVR_COMMON_PATHRANK_H
#define SVR_COMMON_PATHRANK_H

#include <stdbool.h>
#include <stdint.h>

#include "common/pathq.h"

#define SVR_RANK_COST_NEVER    UINT64_MAX             /* "never": excluded */
#define SVR_RANK_COST_UNLISTED ((uint64_t)UINT32_MAX) /* after every listed (32-bit) cost */
#define SVR_RANK_NO_LIMIT      UINT32_MAX
#define SVR_RANK_NONE          0xffff /* no path (dup, unused out slots) */
#define SVR_RANK_MAX_OUT       4      /* ranked paths returned */
#define SVR_RANK_MAX_PATHS     64     /* candidates considered (the first ones beyond are not) */
#define SVR_RANK_REENTER_PCT   80     /* compliant again at <= 80 % of every limit */

enum svr_rank_verdict {
	SVR_RANK_OK = 0,      /* out[0] is compliant */
	SVR_RANK_BEST_EFFORT, /* none compliant, best effort allowed: out[0] is the best of them */
	SVR_RANK_REFUSE,      /* none compliant, no best effort: refuse new sessions (out is shown
				 only for information) */
	SVR_RANK_NO_PATH,     /* no eligible path: n 0 */
};

struct svr_rank_path {
	uint16_t slot;        /* the caller's path id, copied to the output */
	uint64_t cost;        /* vector cost, SVR_RANK_COST_UNLISTED or SVR_RANK_COST_NEVER */
	bool usable;          /* BFD up and hold-down passed (or liveness not enabled) */
	struct svr_quality q; /* measured (svr_pathq_get) */
	uint16_t local_iface; /* for disjointness */
	uint32_t remote;      /* remote waypoint address (any byte order: compared only) */
};

/* A policy's SLA: loss in milli-percent, times in microseconds (struct svr_quality units). */
struct svr_rank_sla {
	uint32_t max_loss_mpct, max_latency_us, max_jitter_us; /* SVR_RANK_NO_LIMIT: none */
};

struct svr_rank_result {
	uint16_t path[SVR_RANK_MAX_OUT]; /* slots, best first; SVR_RANK_NONE past n */
	uint8_t n, n_compliant;          /* path[0 .. n_compliant) are compliant */
	uint8_t verdict;                 /* enum svr_rank_verdict */
	uint16_t dup;                    /* disjoint second leg, or SVR_RANK_NONE */
};

/*
 * Ranks p[0 .. n). compliant[i] (n entries, in/out) is path i's SLA state from the previous call
 * for this policy (true = compliant); the caller starts a new (policy, path) pair at true and
 * stores what comes back. It is updated for every path, usable or not. sla NULL = no SLA.
 * duplicate: compute out->dup. Returns out->verdict.
 */
enum svr_rank_verdict svr_rank(const struct svr_rank_path *p, unsigned n,
			       const struct svr_rank_sla *sla, bool best_effort, bool duplicate,
			       bool *compliant, struct svr_rank_result *out);

/* The hysteresis step alone: path quality q against sla, given whether it was compliant. */
bool svr_rank_compliant(const struct svr_quality *q, const struct svr_rank_sla *sla, bool was);

#endif
