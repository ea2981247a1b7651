/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Worker lcores: poll every port's queue of this worker, forward, punt what
 * needs the slow path, transmit what the main lcore injects.
 *
 * Idle backoff: after idle.spin-polls empty polls a worker sleeps, starting
 * at idle.min-sleep-us and doubling to idle.max-sleep-us; any packet resets
 * it. Before sleeping it goes offline for RCU so that reclamation never waits
 * on a sleeping worker.
 */
#ifndef SVR_WORKER_H
#define SVR_WORKER_H

#include "main/dp.h"

/* Allocates workers, rings, TX buffers and the RCU variable. */
int dp_workers_init(void);
int dp_workers_launch(void);
void dp_workers_wait(void);
void dp_workers_free(void);

/* Hands m to the main lcore (worker context). */
static inline void dp_punt(struct dp_worker *w, struct rte_mbuf *m, enum dp_punt why)
{
	dp_meta(m)->punt = (uint8_t)why;
	if (rte_ring_sp_enqueue(w->punt, m) != 0) {
		w->stats.drops[SVR_DROP_PUNT_RING_FULL]++;
		w->stats.dropped++;
		rte_pktmbuf_free(m);
		return;
	}
	w->stats.punted++;
}

static inline void dp_drop(struct dp_worker *w, struct rte_mbuf *m, enum svr_drop_reason why)
{
	w->stats.drops[why]++;
	w->stats.dropped++;
	rte_pktmbuf_free(m);
}

#endif
