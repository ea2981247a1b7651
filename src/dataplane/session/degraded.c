/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Degraded mode (docs/paths.md "Degraded mode"): towards which peers this router is degraded,
 * decided on the main lcore every 100 ms from the paths' liveness and the services' path choice,
 * published per peer with one relaxed store (dp_session_degraded), read by the creation path and
 * by the hit path of sessions limited while degraded (session/limits.h).
 */
#include <stdio.h>

#include <jansson.h>

#include "common/degraded.h"
#include "common/image.h"
#include "common/log.h"
#include "common/pathrank.h"
#include "core/dp.h"
#include "core/event.h"
#include "core/gen.h"
#include "paths/paths.h"
#include "session/limits.h"
#include "svr/image.h"
#include "svrpath/path.h"

_Atomic uint8_t dp_session_degraded[DP_MAX_DEGRADED_PEERS];

static json_t *degraded_json(void);

/* Main lcore only: each peer's degraded state, by its index in the running image. */
static struct degraded {
	bool on;
	uint64_t since_ms;
	char peer[33];
	char reason[160];
} degraded[DP_MAX_DEGRADED_PEERS];
static uint32_t n_degraded_peers;
static uint64_t last_tick_ms; /* the last degraded_tick's time (what "since-s" counts to) */

/* The first service to peer k whose SLA no usable path meets now (refused or best effort). */
static const char *sla_unmet(const struct dp_gen *g, uint32_t k)
{
	const struct dp_session_policy *p = g->spol;
	uint32_t n;
	const struct svr_img_service *svc = svr_img_table(g->image, SVR_SEC_SERVICES, &n);
	for (uint32_t i = 0; i < p->n_services && i < n; i++) {
		const struct dp_svc_policy *s = &p->svc[i];
		if (s->route != DP_SROUTE_PEER || s->peer != k)
			continue;
		uint32_t v = atomic_load_explicit(&s->choice, memory_order_relaxed) >> 16;
		if (v == SVR_RANK_REFUSE || v == SVR_RANK_BEST_EFFORT)
			return svr_img_str(g->image, svc[i].name);
	}
	return NULL;
}

/* degraded-enter / degraded-leave for the event stream (docs/telemetry.md). */
static void degraded_event(const struct degraded *d, uint64_t now_ms)
{
	json_t *e = dp_event_new(d->on ? "degraded-enter" : "degraded-leave");
	if (!e)
		return;
	json_object_set_new(e, "peer", json_string(d->peer));
	json_object_set_new(e, "reason", json_string(d->reason));
	if (!d->on)
		json_object_set_new(e, "duration-ms",
				    json_integer((json_int_t)(now_ms - d->since_ms)));
	dp_event_post(e);
}

/* Peer k is degraded for reason why ("" when it is not): logged and counted on each change. */
static void degraded_set(uint32_t k, const char *peer, const char *why, uint64_t now_ms)
{
	struct degraded *d = &degraded[k];
	if (why[0] && !d->on) {
		d->on = true;
		d->since_ms = now_ms;
		snprintf(d->peer, sizeof(d->peer), "%s", peer ? peer : "?");
		snprintf(d->reason, sizeof(d->reason), "%s", why);
		atomic_store_explicit(&dp_session_degraded[k], 1, memory_order_relaxed);
		dp.main_stats.events[SVR_EV_DEGRADED_ENTER]++;
		LOG_WARN("degraded towards peer %s: %s", d->peer, why);
		degraded_event(d, now_ms);
	} else if (!why[0] && d->on) {
		d->on = false;
		atomic_store_explicit(&dp_session_degraded[k], 0, memory_order_relaxed);
		dp.main_stats.events[SVR_EV_DEGRADED_LEAVE]++;
		LOG_NOTICE("no longer degraded towards peer %s, after %.1f s (%s)", d->peer,
			   (double)(now_ms - d->since_ms) / 1000.0, d->reason);
		degraded_event(d, now_ms);
	} else if (why[0]) {
		snprintf(d->reason, sizeof(d->reason), "%s", why); /* still degraded: why now */
	}
}

/*
 * Main lcore, every 100 ms, after the paths' choice: each peer is degraded when its usable paths'
 * capacity falls below limits.degraded-capacity-pct of what all its paths promise, or when no
 * usable path meets the SLA of some service routed to it (docs/paths.md "Degraded mode").
 */
void dp_session_degraded_tick(const struct dp_gen *g, uint64_t now_ms)
{
	dp_svr_peers_show_degraded = degraded_json;
	const struct dp_session_policy *p = g && g->spol ? g->spol : NULL;
	uint32_t n = p ? p->n_peers : 0;
	if (n > DP_MAX_DEGRADED_PEERS)
		n = DP_MAX_DEGRADED_PEERS;
	for (uint32_t k = 0; k < n; k++) {
		const struct dp_peer_paths *pk = &p->peers[k];
		bool usable[DP_SVC_PATHS];
		for (uint8_t i = 0; i < pk->n; i++)
			usable[i] = dp_paths_usable(pk->slot[i]);
		uint64_t u, promised;
		char why[160] = "";
		const char *svc;
		if (svr_degraded_by_capacity(pk->cap, usable, pk->n, p->degraded_pct, &u,
					     &promised))
			snprintf(why, sizeof(why),
				 "capacity: usable paths %llu of %llu bit/s, below %u %%",
				 (unsigned long long)u, (unsigned long long)promised,
				 p->degraded_pct);
		else if ((svc = sla_unmet(g, k)) != NULL)
			snprintf(why, sizeof(why), "sla: no usable path meets service %s's SLA",
				 svc);
		degraded_set(k, pk->name, why, now_ms);
	}
	for (uint32_t k = n; k < n_degraded_peers; k++) /* peers the model no longer has */
		degraded_set(k, NULL, "", now_ms);
	n_degraded_peers = n;
	last_tick_ms = now_ms;
}

/* "degraded" in "svrctl show peers": the peers this router is degraded towards. */
static json_t *degraded_json(void)
{
	json_t *arr = json_array();
	uint64_t now = last_tick_ms;
	for (uint32_t k = 0; arr && k < n_degraded_peers; k++)
		if (degraded[k].on)
			json_array_append_new(
			    arr, json_pack("{s:s, s:f, s:s}", "peer", degraded[k].peer, "since-s",
					   (double)(now - degraded[k].since_ms) / 1000.0, "reason",
					   degraded[k].reason));
	return arr;
}
