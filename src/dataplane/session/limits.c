/* SPDX-License-Identifier: BSD-3-Clause */
/* Limits and marks of sessions: limit slots, the workers' shares, a new session's limits. */
#include "session/limits.h"

#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "common/log.h"
#include "common/share.h"
#include "core/dp.h"
#include "core/gen.h"

struct dp_limit_share *dp_session_shares;

/* Main lcore only. */
static char slot_names[DP_MAX_LIMIT_SLOTS][80];
static unsigned n_slots, n_share_workers;
static uint64_t *last_offered; /* [worker * DP_MAX_LIMIT_SLOTS + slot] at the last tick */

#define CFG_DEPTH_BITS 30
#define CFG_RATE_MAX   ((1ull << 34) - 1) /* bytes/s: about 137 Gbit/s */

int dp_session_limits_init(unsigned n_workers)
{
	n_share_workers = n_workers ? n_workers : 1;
	size_t n = (size_t)n_share_workers * DP_MAX_LIMIT_SLOTS;
	dp_session_shares = rte_zmalloc("svr_limit_shares", n * sizeof(*dp_session_shares), 64);
	last_offered = rte_zmalloc("svr_limit_offered", n * sizeof(*last_offered), 64);
	if (!dp_session_shares || !last_offered) {
		LOG_ERR("cannot allocate the rate-limit shares (%u workers)", n_share_workers);
		dp_session_limits_free();
		return -1;
	}
	return 0;
}

void dp_session_limits_free(void)
{
	rte_free(dp_session_shares);
	rte_free(last_offered);
	dp_session_shares = NULL;
	last_offered = NULL;
	n_slots = 0;
}

size_t dp_session_limits_bytes(void)
{
	return (size_t)n_share_workers * DP_MAX_LIMIT_SLOTS *
	       (sizeof(*dp_session_shares) + sizeof(*last_offered));
}

uint16_t dp_session_limit_slot(const char *kind, const char *name)
{
	char key[sizeof(slot_names[0])];
	snprintf(key, sizeof(key), "%s %s", kind, name ? name : "");
	for (unsigned i = 0; i < n_slots; i++)
		if (strcmp(slot_names[i], key) == 0)
			return (uint16_t)i;
	if (n_slots == DP_MAX_LIMIT_SLOTS)
		return DP_NO_LIMIT;
	memcpy(slot_names[n_slots], key, sizeof(key));
	return (uint16_t)n_slots++;
}

void dp_session_share_follow(struct dp_limit_share *a, uint64_t cfg, uint64_t tsc)
{
	/* the tokens a worker had stay (up to the new depth): a rebalance gives no extra burst */
	uint64_t tokens = a->b.tokens, last = a->b.last;
	bool had = a->cfg_seen != 0;
	svr_tbucket_init(&a->b, (cfg >> CFG_DEPTH_BITS) * 8, cfg & ((1ull << CFG_DEPTH_BITS) - 1),
			 rte_get_tsc_hz(), tsc);
	if (had) {
		a->b.tokens = tokens < a->b.depth ? tokens : a->b.depth;
		a->b.last = last;
	}
	a->cfg_seen = cfg;
}

/* A share's cfg: its rate and its part of the burst (at least two packets). */
static uint64_t share_cfg(uint64_t share_bps, uint64_t rate_bps, uint64_t burst)
{
	if (!share_bps)
		return 0;
	uint64_t rate_Bps = share_bps / 8 ? share_bps / 8 : 1;
	if (rate_Bps > CFG_RATE_MAX)
		rate_Bps = CFG_RATE_MAX;
	uint64_t depth = (uint64_t)((unsigned __int128)burst * share_bps / rate_bps);
	if (depth < 2 * DP_LIMIT_MTU)
		depth = 2 * DP_LIMIT_MTU;
	if (depth > SVR_TB_MAX_BURST)
		depth = SVR_TB_MAX_BURST;
	if (depth >= 1ull << CFG_DEPTH_BITS) /* what the word holds (1 GiB - 1) */
		depth = (1ull << CFG_DEPTH_BITS) - 1;
	return rate_Bps << CFG_DEPTH_BITS | depth;
}

void dp_session_limits_tick(const struct dp_gen *g, uint64_t now_ms)
{
	(void)now_ms;
	if (!dp_session_shares)
		return;
	unsigned n = dp.n_workers < n_share_workers ? dp.n_workers : n_share_workers;
	if (n == 0)
		return;
	uint64_t demand[DP_MAX_WORKERS], share[DP_MAX_WORKERS];
	for (unsigned slot = 0; slot < n_slots; slot++) {
		uint64_t rate = g && g->spol ? g->spol->slot_rate[slot] : 0;
		uint64_t burst = g && g->spol ? g->spol->slot_burst[slot] : 0;
		for (unsigned w = 0; w < n; w++) {
			size_t i = (size_t)w * DP_MAX_LIMIT_SLOTS + slot;
			uint64_t o = atomic_load_explicit(&dp_session_shares[i].offered,
							  memory_order_relaxed);
			demand[w] = o - last_offered[i];
			last_offered[i] = o;
		}
		if (rate)
			svr_share_split(rate, n, demand, share);
		for (unsigned w = 0; w < n; w++)
			atomic_store_explicit(
			    &dp_session_shares[(size_t)w * DP_MAX_LIMIT_SLOTS + slot].cfg,
			    rate ? share_cfg(share[w], rate, burst) : 0, memory_order_relaxed);
	}
}

void dp_session_limits_fill(uint16_t x, const struct dp_svc_policy *svc, bool degraded)
{
	uint64_t tsc = rte_rdtsc(), hz = rte_get_tsc_hz();
	for (int d = 0; d < 2; d++) {
		struct dp_ext_line *l = dp_ext_line(x, (enum svr_sdir)d);
		l->dscp = svc->dscp;
		if (svc->session_rate_bps) {
			svr_tbucket_init(&l->tb, svc->session_rate_bps, svc->burst_bytes, hz, tsc);
			l->limits |= DP_EXT_RATE;
		}
		if (svc->agg_slot != DP_NO_LIMIT) {
			l->agg_slot = svc->agg_slot;
			l->limits |= DP_EXT_AGG;
		}
		if (degraded && svc->degraded_slot != DP_NO_LIMIT && svc->peer != DP_NO_LIMIT) {
			l->degraded_slot = svc->degraded_slot;
			l->peer = svc->peer;
			l->limits |= DP_EXT_DEGRADED;
		}
	}
}
