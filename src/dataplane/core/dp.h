/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The state of one svr-dataplane process, as the main lcore works with it.
 *
 * Who writes what:
 * - startup (main lcore, before workers launch): everything.
 * - workers: their own struct dp_worker (core/worker.h) and nothing else; the
 *   per-packet code never reads this struct: what it needs (mbuf pool,
 *   neighbour table, the published generation) it reaches through its struct
 *   dp_worker. Only the poll loop around it reads `stop` and `qsbr`.
 * - main lcore: the neighbour table, next-hop neighbour links, slow-path stats.
 * Workers read interfaces, ports and the FIB, which do not change while they run
 * (a later generation is swapped in whole, under RCU).
 */
#ifndef SVR_CORE_DP_H
#define SVR_CORE_DP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "core/gen.h"
#include "core/worker.h"
#include "svr/counters.h"

struct rte_mempool;
struct rte_rcu_qsbr;
struct svr_neigh_table;

/* Slow-path counters, main lcore only. */
struct dp_main_stats {
	uint64_t drops[SVR_DROP_MAX];
	uint64_t events[SVR_EV_MAX];
};

struct dp {
	const struct dp_config *conf;
	uint64_t start_ms;
	atomic_bool stop;

	struct rte_mempool *pool;
	struct dp_gen *_Atomic gen; /* the current generation (see struct dp_gen) */

	struct svr_neigh_table *neigh;
	struct rte_rcu_qsbr *qsbr;

	unsigned n_workers;
	struct dp_worker *workers[DP_MAX_WORKERS];

	struct dp_main_stats main_stats;
};

/* Defined by the program (main/main.c; a unit test defines its own). */
extern struct dp dp;

/* The current generation on the main lcore, its only writer. */
static inline struct dp_gen *dp_gen_main(void)
{
	return atomic_load_explicit(&dp.gen, memory_order_relaxed);
}

/* Milliseconds of a monotonic clock (main/main.c). */
uint64_t dp_now_ms(void);

#endif
