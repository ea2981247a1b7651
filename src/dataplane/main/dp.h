/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The state of one svr-dataplane process.
 *
 * Who writes what:
 * - startup (main lcore, before workers launch): everything.
 * - workers: their own struct dp_worker (stats, tx buffers) and nothing else.
 * - main lcore: the neighbour table, next-hop neighbour links, slow-path stats.
 * Workers read interfaces, ports and the FIB, which do not change while they run
 * (a later generation is swapped in whole, under RCU).
 */
#ifndef SVR_DP_H
#define SVR_DP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "common/inet.h"
#include "io/rss.h"
#include "main/config.h"
#include "svr/counters.h"

#define DP_NO_IFACE   0xffff
#define DP_MAX_PORTS  32
#define DP_VLAN_COUNT 4096
#define DP_RING_SIZE  1024

struct svr_fib;
struct svr_classifier;
struct dp_session_policy;
struct svr_frag_cache;
struct svr_neigh_table;
struct rte_rcu_qsbr;

/* An L3 interface: a port, or one VLAN of a port. */
struct dp_iface {
	char name[DP_IFNAME_LEN];
	bool in_use;
	uint16_t port;
	uint16_t vlan; /* 0: untagged */
	uint16_t mtu;
	struct rte_ether_addr mac;
	unsigned n_addrs;
	struct svr_prefix addrs[DP_MAX_IFACE_ADDRS];
	bool source_nat;    /* sessions leaving here get its address as source (NAPT) */
	uint32_t img_index; /* this generation's image interface index */
};

/* How a port's frames map to interfaces: VLAN id -> interface slot, DP_NO_IFACE if none. */
struct dp_port_map {
	uint16_t vlan_iface[DP_VLAN_COUNT];
};

/*
 * One configuration generation, built by the main lcore from a policy image
 * and published with a release store; immutable afterwards. Workers load the
 * current one at the top of each poll loop and use only it until their next
 * quiescent state; an old one is freed after every worker has passed one.
 * Interface slots are stable across generations (by name), so neighbour
 * entries keyed by slot survive a re-apply.
 */
struct dp_gen {
	uint64_t generation; /* of the policy image; 0 for none */
	unsigned n_ports;
	uint16_t port_ids[DP_MAX_PORTS];            /* the ports workers poll */
	struct dp_port_map *port_map[DP_MAX_PORTS]; /* by port id; NULL: not in use */
	unsigned n_ifaces;                          /* slots [0, n_ifaces) may be in use */
	struct dp_iface ifaces[DP_MAX_IFACES];
	struct svr_fib *fib;
	bool owns_fib; /* false once a newer generation has taken the FIB over unchanged */
	void *image;   /* private copy of the policy image, owned */
	struct svr_classifier *classifier; /* first-packet lookups built from image, owned */
	struct dp_session_policy *spol;    /* what new sessions get, built from image, owned */
	size_t image_len;
	unsigned n_static;
	struct dp_static_neigh {
		uint16_t iface;
		struct svr_ip ip;
	} * statics; /* static neighbours this generation installed */
};

/* A DPDK port the main lcore has probed and started (main lcore only). */
struct dp_port {
	uint16_t id;
	char device[DP_DEVARGS_LEN];
	struct rte_ether_addr mac;
	struct dp_rss rss;  /* how it spreads packets over the workers' queues */
	uint16_t reta_size; /* the redirection table we wrote; 0: none */
	uint16_t mtu_asked; /* the MTU the model last asked of the device; 0: none yet */
};

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
	struct dp_worker_stats stats;
} __rte_cache_aligned;
/* Every worker writes its counters per packet: no line of them is another's (docs/dataplane.md). */
_Static_assert(_Alignof(struct dp_worker_stats) >= RTE_CACHE_LINE_SIZE &&
		   sizeof(struct dp_worker_stats) % RTE_CACHE_LINE_SIZE == 0,
	       "a worker's counters fill cache lines of their own");

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
	struct dp_port *ports[DP_MAX_PORTS]; /* by DPDK port id; main lcore only */
	struct dp_gen *_Atomic gen;          /* the current generation (see struct dp_gen) */
	char iface_slot_names[DP_MAX_IFACES][DP_IFNAME_LEN]; /* main lcore only */

	struct svr_neigh_table *neigh;
	struct rte_rcu_qsbr *qsbr;

	unsigned n_workers;
	struct dp_worker *workers[DP_MAX_WORKERS];

	struct dp_main_stats main_stats;
	double icmp_tokens;
	uint64_t icmp_refill_ms;
};

extern struct dp dp;

/* The current generation, as workers read it. */
static inline const struct dp_gen *dp_gen_load(void)
{
	return atomic_load_explicit(&dp.gen, memory_order_acquire);
}

/* The current generation on the main lcore, its only writer. */
static inline struct dp_gen *dp_gen_main(void)
{
	return atomic_load_explicit(&dp.gen, memory_order_relaxed);
}

uint64_t dp_now_ms(void);

#endif
