/* SPDX-License-Identifier: BSD-3-Clause */
#include "worker/worker.h"

#include <stdio.h>
#include <time.h>

#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "common/log.h"
#include "core/dp.h"
#include "worker/forward.h"
#include "session/frag.h"

#define TXB_SIZE 64

static void tx_error(struct rte_mbuf **unsent, uint16_t count, void *userdata)
{
	struct dp_worker_stats *s = userdata;
	s->drops[SVR_DROP_TX_FULL] += count;
	s->dropped += count;
	s->tx -= count; /* counted as sent when buffered */
	rte_pktmbuf_free_bulk(unsent, count);
}

int dp_workers_init(void)
{
	const struct dp_config *c = dp.conf;
	dp.n_workers = c->n_workers;
	size_t sz = rte_rcu_qsbr_get_memsize(c->n_workers);
	dp.qsbr = rte_zmalloc("svr_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (!dp.qsbr || rte_rcu_qsbr_init(dp.qsbr, c->n_workers) != 0)
		return -1;
	for (unsigned i = 0; i < c->n_workers; i++) {
		struct dp_worker *w = rte_zmalloc("dp_worker", sizeof(*w), RTE_CACHE_LINE_SIZE);
		if (!w)
			return -1;
		dp.workers[i] = w;
		w->lcore = c->workers[i];
		w->index = i;
		char name[RTE_RING_NAMESIZE];
		snprintf(name, sizeof(name), "punt%u", i);
		w->punt = rte_ring_create(name, DP_RING_SIZE, SOCKET_ID_ANY,
					  RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "inject%u", i);
		w->inject = rte_ring_create(name, DP_RING_SIZE, SOCKET_ID_ANY,
					    RING_F_SP_ENQ | RING_F_SC_DEQ);
		w->frags = rte_zmalloc("svr_frags", sizeof(*w->frags), RTE_CACHE_LINE_SIZE);
		if (!w->punt || !w->inject || !w->frags)
			return -1;
		for (unsigned p = 0; p < DP_MAX_PORTS; p++) { /* any port may be plugged later */
			w->txb[p] = rte_zmalloc("txb", RTE_ETH_TX_BUFFER_SIZE(TXB_SIZE), 0);
			if (!w->txb[p])
				return -1;
			rte_eth_tx_buffer_init(w->txb[p], TXB_SIZE);
			rte_eth_tx_buffer_set_err_callback(w->txb[p], tx_error, &w->stats);
		}
		if (rte_rcu_qsbr_thread_register(dp.qsbr, i) != 0)
			return -1;
	}
	return 0;
}

static void idle_sleep(struct dp_worker *w, unsigned us)
{
	struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000};
	rte_rcu_qsbr_thread_offline(dp.qsbr, w->index);
	nanosleep(&ts, NULL);
	rte_rcu_qsbr_thread_online(dp.qsbr, w->index);
	w->stats.sleeps++;
	w->stats.slept_us += us;
}

/* Transmits what the slow path built; m->port says where (a port of this generation). */
static unsigned drain_inject(struct dp_worker *w, const struct dp_gen *g)
{
	struct rte_mbuf *pkts[32];
	unsigned n = rte_ring_sc_dequeue_burst(w->inject, (void **)pkts, 32, NULL);
	for (unsigned i = 0; i < n; i++) {
		uint16_t port = pkts[i]->port;
		if (port >= DP_MAX_PORTS || !g || !g->port_map[port]) {
			dp_drop(w, pkts[i], SVR_DROP_IFACE_GONE);
			continue;
		}
		w->stats.tx++;
		rte_eth_tx_buffer(port, (uint16_t)w->index, w->txb[port], pkts[i]);
	}
	return n;
}

static int worker_main(void *arg)
{
	struct dp_worker *w = arg;
	const struct dp_config *c = dp.conf;
	const uint16_t q = (uint16_t)w->index;
	const uint16_t burst = (uint16_t)c->burst;
	unsigned empty = 0, sleep_us = c->min_sleep_us;
	struct rte_mbuf *pkts[64];

	rte_rcu_qsbr_thread_online(dp.qsbr, w->index);
	while (!atomic_load_explicit(&dp.stop, memory_order_relaxed)) {
		/* One generation for the whole iteration; released by the quiescent report. */
		const struct dp_gen *g = dp_worker_gen(w);
		uint64_t t0 = rte_rdtsc();
		w->poll_tsc = t0;
		unsigned got = 0, n_ports = g ? g->n_ports : 0;
		for (unsigned i = 0; i < n_ports; i++) {
			uint16_t n = rte_eth_rx_burst(g->port_ids[i], q, pkts, burst);
			if (n) {
				w->stats.rx += n;
				dp_forward_burst(w, g, g->port_ids[i], pkts, n);
				got += n;
			}
		}
		got += drain_inject(w, g);
		for (unsigned i = 0; i < n_ports; i++)
			rte_eth_tx_buffer_flush(g->port_ids[i], q, w->txb[g->port_ids[i]]);
		rte_rcu_qsbr_quiescent(dp.qsbr, w->index);

		if (got) {
			w->stats.busy_polls++;
			w->stats.busy_cycles += rte_rdtsc() - t0; /* time spent on packets */
			empty = 0;
			sleep_us = c->min_sleep_us;
			continue;
		}
		w->stats.idle_polls++;
		if (++empty < c->spin_polls)
			continue;
		idle_sleep(w, sleep_us);
		if (sleep_us < c->max_sleep_us)
			sleep_us = sleep_us * 2 < c->max_sleep_us ? sleep_us * 2 : c->max_sleep_us;
	}
	rte_rcu_qsbr_thread_offline(dp.qsbr, w->index);
	return 0;
}

int dp_workers_launch(void)
{
	for (unsigned i = 0; i < dp.n_workers; i++) {
		struct dp_worker *w = dp.workers[i];
		w->pool = dp.pool;
		w->neigh = dp.neigh;
		w->gen = &dp.gen;
		w->kernel_punt = dp.conf->kernel; /* a startup setting: fixed while it runs */
		int rc = rte_eal_remote_launch(worker_main, w, w->lcore);
		if (rc != 0) {
			LOG_ERR("cannot launch worker on lcore %u: %s", w->lcore,
				rte_strerror(-rc));
			return -1;
		}
		LOG_INFO("worker %u running on lcore %u", i, w->lcore);
	}
	return 0;
}

void dp_workers_wait(void)
{
	for (unsigned i = 0; i < dp.n_workers; i++)
		rte_eal_wait_lcore(dp.workers[i]->lcore);
}

void dp_workers_free(void)
{
	for (unsigned i = 0; i < dp.n_workers; i++) {
		struct dp_worker *w = dp.workers[i];
		if (!w)
			continue;
		struct rte_mbuf *m;
		while (w->punt && rte_ring_dequeue(w->punt, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		while (w->inject && rte_ring_dequeue(w->inject, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_free(w->frags);
		rte_ring_free(w->punt);
		rte_ring_free(w->inject);
		for (unsigned p = 0; p < DP_MAX_PORTS; p++)
			rte_free(w->txb[p]);
		rte_free(w);
		dp.workers[i] = NULL;
	}
	rte_free(dp.qsbr);
	dp.qsbr = NULL;
}
