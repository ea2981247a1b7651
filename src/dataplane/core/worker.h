/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A worker as the fast path sees it: its own counters, rings and TX buffers,
 * and the shared things it reaches (mbuf pool, neighbour table, published
 * generation) through its own struct, never through the process state
 * (core/dp.h). The per-packet metadata handed to the slow path, and the two
 * ways a packet leaves the fast path early: punted or dropped.
 */
#ifndef SVR_CORE_WORKER_H
#define SVR_CORE_WORKER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "common/inet.h"
#include "core/gen.h"
#include "svr/counters.h"

#define DP_RING_SIZE 1024
#define DP_MAX_BURST 64 /* the most packets one RX burst hands the fast path */

struct svr_frag_cache;
struct svr_neigh_table;

/* Why a worker hands a packet to the main lcore. */
enum dp_punt {
	DP_PUNT_ARP,
	DP_PUNT_LOCAL, /* addressed to us, or IPv6 multicast (ND) */
	DP_PUNT_TTL,   /* TTL/hop limit would reach zero */
	DP_PUNT_NO_ROUTE,
	DP_PUNT_MTU,         /* larger than the egress MTU */
	DP_PUNT_RESOLVE,     /* next hop not resolved; TTL already decremented */
	DP_PUNT_REFUSED,     /* refused by policy (counted): answer administratively prohibited */
	DP_PUNT_SVR_TOO_BIG, /* too big once SVR adds to it: fragmentation needed, meta mtu */
};

/* Per-packet metadata in the mbuf private area, set by the worker for the slow path. */
struct dp_pkt_meta {
	uint16_t iface_in;
	uint16_t iface_out;
	uint8_t punt;
	uint8_t l3_off;
	struct svr_ip next_hop;
	uint16_t mtu; /* DP_PUNT_SVR_TOO_BIG: the MTU to tell the sender */
};

static inline struct dp_pkt_meta *dp_meta(struct rte_mbuf *m)
{
	return (struct dp_pkt_meta *)rte_mbuf_to_priv(m);
}

/* Written only by its worker; read (racily, for display) by the main lcore. */
struct dp_worker_stats {
	uint64_t rx, tx, forwarded, punted, dropped;
	uint64_t sessions_created;
	uint64_t sessions_rebound; /* SVR egress: live sessions moved to a new tuple (TLV 28) */
	uint64_t dup_pool_full;    /* duplicated sessions made without their second leg */
	uint64_t dup_copies;       /* second copies sent (duplicated sessions) */
	uint64_t dup_legs;         /* SVR egress: second legs joined to their sessions */
	uint64_t limits_pool_full; /* sessions made without their limits or mark: no ext slot */
	uint64_t busy_polls, idle_polls, sleeps, slept_us;
	uint64_t busy_cycles;              /* TSC cycles of polls that found packets */
	uint64_t hmac_paired, hmac_single; /* SVR trailers signed or checked two at a time, alone */
	uint64_t drops[SVR_DROP_MAX];
} __rte_cache_aligned;

struct dp_worker {
	unsigned lcore;
	unsigned index;          /* queue id on every port and RCU thread id */
	struct rte_ring *punt;   /* worker -> main */
	struct rte_ring *inject; /* main -> worker: packets built by the slow path */
	struct rte_eth_dev_tx_buffer *txb[DP_MAX_PORTS];
	struct svr_frag_cache *frags; /* later fragments -> their datagram's session */
	/* Shared, set before the worker starts (worker/worker.c): */
	struct rte_mempool *pool;      /* mbufs for packets the worker builds */
	struct svr_neigh_table *neigh; /* read lock-free; the main lcore writes it */
	struct dp_gen *_Atomic *gen;   /* where the current generation is published */
	bool kernel_punt;  /* kernel twins on: link-local multicast and DHCP go to the slow path */
	uint64_t poll_tsc; /* the TSC when this poll began: the time rate limits police by */
	struct dp_worker_stats stats;
} __rte_cache_aligned;
/* Every worker writes its counters per packet: no line of them is another's (docs/dataplane.md). */
_Static_assert(_Alignof(struct dp_worker_stats) >= RTE_CACHE_LINE_SIZE &&
		   sizeof(struct dp_worker_stats) % RTE_CACHE_LINE_SIZE == 0,
	       "a worker's counters fill cache lines of their own");

/* The current generation, as worker w reads it. */
static inline const struct dp_gen *dp_worker_gen(const struct dp_worker *w)
{
	return atomic_load_explicit(w->gen, memory_order_acquire);
}

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

/*
 * Packets for the main lcore that must reach it after the burst's forwarded
 * ones (dp_punt_later during the burst, dp_punt each at its end): ARP and ND
 * must not overtake the packet whose resolution they answer.
 */
struct dp_later {
	struct rte_mbuf *m[DP_MAX_BURST];
	unsigned n;
};

static inline void dp_punt_later(struct dp_later *l, struct rte_mbuf *m, enum dp_punt why)
{
	dp_meta(m)->punt = (uint8_t)why;
	l->m[l->n++] = m;
}

static inline void dp_drop(struct dp_worker *w, struct rte_mbuf *m, enum svr_drop_reason why)
{
	w->stats.drops[why]++;
	w->stats.dropped++;
	rte_pktmbuf_free(m);
}

#endif
