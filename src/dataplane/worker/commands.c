/* SPDX-License-Identifier: BSD-3-Clause */
/* The control socket's "stats" command: the workers' counters, drops and events. */
#include <string.h>

#include <jansson.h>

#include <rte_cycles.h>

#include "ctlsock/command.h"
#include "core/dp.h"
#include "svr/counters.h"
#include "worker/worker.h"

static json_t *cmd_stats(void)
{
	uint64_t drops[SVR_DROP_MAX];
	memcpy(drops, dp.main_stats.drops, sizeof(drops));
	uint64_t rx = 0, tx = 0, fwd = 0, punted = 0;
	uint64_t dropped = 0;
	json_t *workers = json_array();
	for (unsigned i = 0; i < dp.n_workers; i++) {
		/* Racy but word-sized reads of counters only the worker writes: good for display.
		 */
		const struct dp_worker_stats *s = &dp.workers[i]->stats;
		json_array_append_new(
		    workers,
		    json_pack(
			"{s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
			"s:I, s:I, s:I, s:I, s:I}",
			"lcore", (int)dp.workers[i]->lcore, "rx-packets", (json_int_t)s->rx,
			"tx-packets", (json_int_t)s->tx, "forwarded", (json_int_t)s->forwarded,
			"punted", (json_int_t)s->punted, "dropped", (json_int_t)s->dropped,
			"busy-polls", (json_int_t)s->busy_polls, "idle-polls",
			(json_int_t)s->idle_polls, "sleeps", (json_int_t)s->sleeps, "slept-us",
			(json_int_t)s->slept_us, "busy-us",
			(json_int_t)(s->busy_cycles * 1000000.0 / (double)rte_get_tsc_hz()),
			"sessions-created", (json_int_t)s->sessions_created, "sessions-rebound",
			(json_int_t)s->sessions_rebound, "duplicate-pool-full",
			(json_int_t)s->dup_pool_full, "duplicate-copies-sent",
			(json_int_t)s->dup_copies, "duplicate-legs-joined", (json_int_t)s->dup_legs,
			"limits-pool-full", (json_int_t)s->limits_pool_full, "hmac-paired",
			(json_int_t)s->hmac_paired, "hmac-single", (json_int_t)s->hmac_single));
		rx += s->rx;
		tx += s->tx;
		fwd += s->forwarded;
		punted += s->punted;
		for (int r = 0; r < SVR_DROP_MAX; r++)
			drops[r] += s->drops[r];
	}
	json_t *jd = json_object();
	for (int r = 0; r < SVR_DROP_MAX; r++) {
		json_object_set_new(jd, svr_drop_name((unsigned)r),
				    json_integer((json_int_t)drops[r]));
		dropped += drops[r];
	}
	json_t *je = json_object();
	static const char *const event_names[] = {
#define NAME(e, name) name,
	    SVR_EVENTS(NAME)
#undef NAME
	};
	for (int e = 0; e < SVR_EV_MAX; e++)
		json_object_set_new(je, event_names[e],
				    json_integer((json_int_t)dp.main_stats.events[e]));
	json_t *totals = json_pack("{s:I, s:I, s:I, s:I, s:I}", "rx-packets", (json_int_t)rx,
				   "tx-packets", (json_int_t)tx, "forwarded", (json_int_t)fwd,
				   "punted", (json_int_t)punted, "dropped", (json_int_t)dropped);
	return json_pack("{s:o, s:o, s:o, s:o}", "totals", totals, "workers", workers, "drops", jd,
			 "events", je);
}

static struct dp_ctl_command stats_cmd = {.name = "stats", .answer = cmd_stats};
DP_CTL_REGISTER(stats_cmd)
