/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Neighbour table (ARP for IPv4, ND for IPv6): (interface, address) -> MAC.
 *
 * Concurrency contract:
 * - Writer: the main lcore only (it receives ARP/ND replies, starts
 *   resolution, ages entries). No lock.
 * - Readers: workers, lock-free: rte_hash in RW_CONCURRENCY_LF mode gives the
 *   key's position, and entries[position].mac is read with one atomic load.
 *   A MAC is 48 bits, so MAC and "valid" travel together in one 64-bit word:
 *   a reader never sees half an update.
 * - Reclamation: a deleted key's position is reused only after every worker
 *   has passed a quiescent state (rte_hash's RCU defer queue). The writer zeroes
 *   .mac before deleting, so a fresh position always starts invalid.
 * - Everything in an entry except .mac is the writer's own state.
 *
 * Times are milliseconds passed in by the caller, so ageing is unit-testable.
 */
#ifndef SVR_NEIGH_H
#define SVR_NEIGH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_mbuf.h>

#include "common/inet.h"
#include "l2l3/fib.h"
#include "core/config.h"

enum svr_neigh_state {
	SVR_NEIGH_INCOMPLETE, /* resolving: no MAC yet, packets may wait */
	SVR_NEIGH_REACHABLE,  /* confirmed within reachable time */
	SVR_NEIGH_PROBE,      /* reachable time passed: MAC still used, unicast probes sent */
	SVR_NEIGH_STATIC,     /* configured, never aged */
};

#define SVR_NEIGH_MAC_VALID (1ULL << 63)

struct svr_neigh {
	_Atomic uint64_t mac; /* SVR_NEIGH_MAC_VALID | MAC in the low 48 bits */
	struct svr_ip ip;
	uint16_t iface;
	uint8_t state;
	uint8_t probes;   /* probes sent in the current resolution */
	uint8_t n_queued; /* packets waiting for resolution */
	uint64_t confirmed_ms;
	uint64_t next_probe_ms;
	struct rte_mbuf *queue[DP_NEIGH_QUEUE_MAX];
} __rte_cache_aligned;

struct svr_neigh_key {
	uint8_t addr[16];
	uint16_t iface;
	uint8_t family;
	uint8_t pad;
};

struct svr_neigh_table {
	struct rte_hash *hash;
	uint32_t max;
	struct svr_neigh *entries; /* indexed by hash position */
};

struct rte_rcu_qsbr;
struct svr_neigh_table *svr_neigh_create(const char *name, uint32_t max, struct rte_rcu_qsbr *qs);
void svr_neigh_free(struct svr_neigh_table *t);

static inline void svr_neigh_key_make(struct svr_neigh_key *k, uint16_t iface,
				      const struct svr_ip *ip)
{
	*k = (struct svr_neigh_key){.iface = iface, .family = ip->family};
	__builtin_memcpy(k->addr, ip->addr, ip->family == SVR_AF_INET ? 4 : 16);
}

/* Position of (iface, ip) or SVR_NEIGH_NONE (fib.h). Any lcore. */
static inline uint32_t svr_neigh_lookup(const struct svr_neigh_table *t, uint16_t iface,
					const struct svr_ip *ip)
{
	struct svr_neigh_key k;
	svr_neigh_key_make(&k, iface, ip);
	int32_t pos = rte_hash_lookup(t->hash, &k);
	return pos < 0 ? SVR_NEIGH_NONE : (uint32_t)pos;
}

/* The MAC to send to, if resolved. Any lcore. */
static inline bool svr_neigh_mac(const struct svr_neigh_table *t, uint32_t pos,
				 struct rte_ether_addr *mac)
{
	uint64_t v = atomic_load_explicit(&t->entries[pos].mac, memory_order_acquire);
	if (!(v & SVR_NEIGH_MAC_VALID))
		return false;
	for (int i = 5; i >= 0; i--, v >>= 8)
		mac->addr_bytes[i] = (uint8_t)v;
	return true;
}

/* --- writer side: main lcore only --- */

/* Creates an entry (INCOMPLETE, or STATIC with mac). Returns position or SVR_NEIGH_NONE when full.
 */
uint32_t svr_neigh_add(struct svr_neigh_table *t, uint16_t iface, const struct svr_ip *ip,
		       const struct rte_ether_addr *static_mac, uint64_t now_ms);
/* A reply or a request from the neighbour confirmed its MAC. Static entries keep theirs. */
void svr_neigh_confirm(struct svr_neigh_table *t, uint32_t pos, const struct rte_ether_addr *mac,
		       uint64_t now_ms);
/* Makes an existing entry static with mac (packets waiting on it are dropped). */
void svr_neigh_set_static(struct svr_neigh_table *t, uint32_t pos,
			  const struct rte_ether_addr *mac);
/* Removes the entry; the caller has already taken care of queued packets and next hops. */
void svr_neigh_delete(struct svr_neigh_table *t, uint32_t pos);

struct svr_neigh_timers {
	uint64_t reachable_ms;
	uint64_t probe_interval_ms;
	unsigned max_probes;
};

/* What ageing asks the owner to do. */
struct svr_neigh_ops {
	/* Send a request: broadcast/multicast while INCOMPLETE, unicast while PROBE. */
	void (*probe)(void *ctx, uint32_t pos, bool unicast);
	/* Resolution failed: release queued packets, unlink, then call svr_neigh_delete. */
	void (*expire)(void *ctx, uint32_t pos);
};

void svr_neigh_age(struct svr_neigh_table *t, uint64_t now_ms, const struct svr_neigh_timers *tm,
		   const struct svr_neigh_ops *ops, void *ctx);

/* Iteration: returns the next used position >= *iter, or SVR_NEIGH_NONE at the end. */
uint32_t svr_neigh_next(const struct svr_neigh_table *t, uint32_t *iter);

static inline struct svr_neigh *svr_neigh_entry(struct svr_neigh_table *t, uint32_t pos)
{
	return &t->entries[pos];
}

const char *svr_neigh_state_name(uint8_t state);

#endif
