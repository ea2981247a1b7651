/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The path each service's new sessions take (docs/paths.md "Path choice"): every 100 ms the main
 * lcore ranks each service's paths (common/pathrank.h) by its policy's vector costs, among the
 * usable ones, against its SLA with hysteresis, and publishes the result in the service's entry
 * of the running generation (dp_svc_policy.choice), which workers read when a session starts.
 */
#include <stdatomic.h>
#include <string.h>

#include "common/pathrank.h"
#include "svr/image.h"
#include "core/dp.h"
#include "core/gen.h"
#include "flow/state.h"
#include "paths/internal.h"
#include "paths/paths.h"
#include "svrpath/path.h"

/* Bumped whenever what could move a live session changes (dp_paths_choice_epoch). */
static uint32_t epoch;
static uint64_t last_signature;
/* Each path slot's SLA verdict at the last ranking (enum dp_path_sla): the worst of the
 * services' with an SLA that rank it; what "peers" shows (dp_paths_sla). */
static uint8_t sla_verdict[DP_MAX_SVR_PATHS];

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h;
}

/*
 * What the migration sweep (session/migrate.c) decides from, for one service: which of its paths
 * are dead or outside the SLA, its choice, whether the choice has been good long enough to
 * revert to and whether the dwell has passed. A change of any of these may move a session.
 */
static uint64_t signature(const struct dp_svc_policy *s, uint64_t now_ms)
{
	if (s->resiliency != SVR_RESILIENCY_FAILOVER && s->resiliency != SVR_RESILIENCY_REVERTIBLE)
		return 0;
	uint64_t h = mix(s->id, atomic_load_explicit(&s->choice, memory_order_relaxed));
	for (uint8_t i = 0; i < s->n_svr_paths; i++) {
		bool revert_ready =
		    s->good_since_ms[i] && now_ms - s->good_since_ms[i] >= s->revert_hold_ms;
		h = mix(h, (uint64_t)dp_paths_alive(s->svr_paths[i]) |
			       (uint64_t)s->compliant[i] << 1 | (uint64_t)revert_ready << 2);
	}
	return mix(h, now_ms - s->moved_ms >= s->min_dwell_ms);
}

uint32_t dp_paths_choice_epoch(void)
{
	return epoch;
}

static void choose(struct dp_svc_policy *s, const struct dp_gen *g, uint64_t now_ms)
{
	struct svr_rank_path in[DP_SVC_PATHS];
	for (uint8_t i = 0; i < s->n_svr_paths; i++) {
		uint16_t slot = s->svr_paths[i];
		const struct dp_svr_path *p = dp_svr_path(slot);
		in[i] = (struct svr_rank_path){.slot = slot,
					       .cost = s->svr_path_cost[i],
					       /* a learned path is nowhere until learned */
					       .usable = dp_paths_usable(slot) &&
							 dp_svr_path_remote(p) != 0,
					       .local_iface = dp_svr_path_policy(g, slot)->iface,
					       .remote = dp_svr_path_remote(p)};
		svr_pathq_get(&dp_path_bfd[slot].q, now_ms, &in[i].q);
	}
	const struct svr_rank_sla sla = {.max_loss_mpct = s->sla_loss_mpct,
					 .max_latency_us = s->sla_latency_us,
					 .max_jitter_us = s->sla_jitter_us};
	struct svr_rank_result r;
	svr_rank(in, s->n_svr_paths, &sla, s->best_effort,
		 s->resiliency == SVR_RESILIENCY_DUPLICATE, s->compliant, &r);
	uint32_t slot = r.n ? r.path[0] : DP_NO_SVR_PATH;
	/* None usable: rather one whose BFD is up (in its hold-down) than one known down */
	for (uint8_t i = 0; r.n == 0 && slot == DP_NO_SVR_PATH && i < s->n_svr_paths; i++)
		if (dp_path_bfd[s->svr_paths[i]].active &&
		    dp_path_bfd[s->svr_paths[i]].s.state == SVR_BFD_UP)
			slot = s->svr_paths[i];
	atomic_store_explicit(&s->dup_choice, r.dup == SVR_RANK_NONE ? DP_NO_SVR_PATH : r.dup,
			      memory_order_relaxed);
	atomic_store_explicit(&s->choice, slot | (uint32_t)r.verdict << 16, memory_order_release);
	/* how long each path has been good without a break: what revertible sessions wait for */
	for (uint8_t i = 0; i < s->n_svr_paths; i++) {
		bool good = in[i].usable && s->compliant[i];
		if (!good)
			s->good_since_ms[i] = 0;
		else if (!s->good_since_ms[i])
			s->good_since_ms[i] = now_ms ? now_ms : 1;
	}
}

enum dp_path_sla dp_paths_sla(uint16_t slot)
{
	return slot < DP_MAX_SVR_PATHS ? (enum dp_path_sla)sla_verdict[slot] : DP_PATH_SLA_NONE;
}

/* A service's compliance per path into each slot's verdict: violated for one service is
 * violated for the path (a map shows the worst). A policy without any limit judges nothing. */
static void note_sla(const struct dp_svc_policy *s)
{
	if (s->sla_loss_mpct == SVR_RANK_NO_LIMIT && s->sla_latency_us == SVR_RANK_NO_LIMIT &&
	    s->sla_jitter_us == SVR_RANK_NO_LIMIT)
		return;
	for (uint8_t i = 0; i < s->n_svr_paths; i++) {
		uint8_t v = s->compliant[i] ? DP_PATH_SLA_OK : DP_PATH_SLA_VIOLATED;
		if (s->svr_paths[i] < DP_MAX_SVR_PATHS && v > sla_verdict[s->svr_paths[i]])
			sla_verdict[s->svr_paths[i]] = v;
	}
}

void dp_paths_choose(const struct dp_gen *g, uint64_t now_ms)
{
	uint64_t sig = g ? (uint64_t)(uintptr_t)g : 0;
	memset(sla_verdict, 0, sizeof(sla_verdict));
	for (uint32_t i = 0; g && i < g->spol->n_services; i++) {
		struct dp_svc_policy *s = &g->spol->svc[i];
		if (s->route == DP_SROUTE_PEER && s->n_svr_paths) {
			choose(s, g, now_ms);
			note_sla(s);
			sig = mix(sig, signature(s, now_ms));
		}
	}
	if (sig != last_signature) {
		last_signature = sig;
		epoch++;
	}
}
