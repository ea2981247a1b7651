/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Whether a router is degraded towards a peer by capacity (docs/paths.md "Degraded mode"): the
 * capacity of its usable paths to the peer against what all its paths to the peer promise.
 * Pure arithmetic, no clock, no DPDK.
 */
#ifndef SVR_COMMON_DEGRADED_H
#define SVR_COMMON_DEGRADED_H

#include <stdbool.h>
#include <stdint.h>

/* A path's capacity: the smaller of its two ends' capacity-bps, the one known when only one
 * is, 0 (unknown: counts for nothing) when neither is. */
static inline uint64_t svr_path_capacity(uint64_t local_bps, uint64_t remote_bps)
{
	if (!local_bps || !remote_bps)
		return local_bps ? local_bps : remote_bps;
	return local_bps < remote_bps ? local_bps : remote_bps;
}

/*
 * cap[i]: path i's capacity (0: unknown), usable[i]: whether it is usable now, n paths; pct: the
 * router's degraded-capacity-pct (0: never by capacity). Sets *usable_bps and *promised_bps
 * (the sums over the usable paths and over all); true when degraded: usable < pct % of promised.
 * Nothing promised (no capacity known): never degraded by capacity.
 */
static inline bool svr_degraded_by_capacity(const uint64_t *cap, const bool *usable, unsigned n,
					    uint32_t pct, uint64_t *usable_bps,
					    uint64_t *promised_bps)
{
	uint64_t u = 0, p = 0;
	for (unsigned i = 0; i < n; i++) {
		p += cap[i];
		if (usable[i])
			u += cap[i];
	}
	*usable_bps = u;
	*promised_bps = p;
	return pct && p && (unsigned __int128)u * 100 < (unsigned __int128)p * pct;
}

#endif
