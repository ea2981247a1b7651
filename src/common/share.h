/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One rate shared by several workers without a shared counter per packet (docs/paths.md "Rate
 * limits"): each worker polices its own share, and every period the main lcore splits the rate
 * again by what each worker was offered in the last one. Pure arithmetic, no clock, no DPDK.
 *
 * Each worker keeps a floor of 1/(8 n) of the rate, so a worker that had nothing to do can start
 * at once; the rest goes by demand (evenly when nobody offered anything). The shares add up to
 * the rate exactly, so the workers together never pass more than it.
 */
#ifndef SVR_COMMON_SHARE_H
#define SVR_COMMON_SHARE_H

#include <stdint.h>

#define SVR_SHARE_FLOOR_DIV 8 /* each worker's floor: rate / (8 n) */

/* Splits rate among n workers (n >= 1) by demand[] (bytes offered last period) into share[]. */
static inline void svr_share_split(uint64_t rate, unsigned n, const uint64_t *demand,
				   uint64_t *share)
{
	uint64_t floor = rate / ((uint64_t)SVR_SHARE_FLOOR_DIV * n);
	uint64_t rest = rate - floor * n, total = 0, given = 0;
	for (unsigned i = 0; i < n; i++)
		total += demand[i];
	for (unsigned i = 0; i < n; i++) {
		/* rest * demand / total without overflow: 128-bit product */
		uint64_t part =
		    total ? (uint64_t)((unsigned __int128)rest * demand[i] / total) : rest / n;
		share[i] = floor + part;
		given += share[i];
	}
	/* what rounding left over: to the busiest worker (the first when none is) */
	unsigned busiest = 0;
	for (unsigned i = 1; i < n; i++)
		if (demand[i] > demand[busiest])
			busiest = i;
	share[busiest] += rate - given;
}

#endif
