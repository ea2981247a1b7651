/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The forwarding table: rte_fib (IPv4, DIR-24-8) and rte_fib6 (IPv6, trie)
 * map a destination to a next-hop index; the next-hop array says what to do.
 *
 * Concurrency: a FIB is built by the main lcore and then only read by workers
 * (lookups need no lock). Routes change by building a new FIB and swapping the
 * pointer the workers read (RCU), never by editing a FIB in use. The one
 * mutable field is svr_nexthop.neigh, written by the main lcore only (see
 * neigh.h) and read by workers with an atomic load.
 */
#ifndef SVR_FIB_H
#define SVR_FIB_H

#include <stdatomic.h>
#include <stdint.h>

#include "common/inet.h"

enum svr_nh_type {
	SVR_NH_NONE = 0,  /* index 0: no route */
	SVR_NH_LOCAL,     /* one of our addresses: deliver to the slow path */
	SVR_NH_CONNECTED, /* destination is on the interface's subnet */
	SVR_NH_GATEWAY,   /* via a gateway on the interface's subnet */
	SVR_NH_BROADCAST, /* a connected IPv4 subnet's broadcast address: never forwarded */
};

#define SVR_NEIGH_NONE UINT32_MAX

struct svr_nexthop {
	uint8_t type;
	uint16_t iface;
	struct svr_ip gateway;  /* SVR_NH_GATEWAY only */
	_Atomic uint32_t neigh; /* resolved neighbour entry of the gateway, or SVR_NEIGH_NONE */
};

struct svr_route {
	struct svr_prefix prefix;
	uint32_t nh;
};

struct rte_hash;
struct svr_fib {
	struct rte_fib *v4;
	struct rte_fib6 *v6;
	uint32_t n_nh, max_nh;
	struct svr_nexthop *nh;
	uint32_t n_routes, max_routes;
	struct svr_route *routes;   /* dense, in no order */
	struct rte_hash *route_idx; /* prefix -> its slot in routes (main lcore) */
	struct rte_hash *nh_idx;    /* (type, iface, gateway) -> its next hop */
};

/* name must be unique in the process and at most 20 characters (it names DPDK objects, with
 * a prefix and a suffix of theirs). NULL on failure. */
struct svr_fib *svr_fib_create(const char *name, uint32_t max_routes);
void svr_fib_free(struct svr_fib *fib);

/*
 * Adds prefix -> (type, iface, gateway). An existing route for the same prefix
 * is replaced. Returns 0 or a negative errno.
 */
int svr_fib_add(struct svr_fib *fib, const struct svr_prefix *prefix, enum svr_nh_type type,
		uint16_t iface, const struct svr_ip *gateway);

/* Removes the route of exactly this prefix (host bits ignored): 0, or -ENOENT when there is
 * none. Its next hop stays (a worker may hold its index). Like svr_fib_add, on a FIB no worker
 * reads yet. */
int svr_fib_del(struct svr_fib *fib, const struct svr_prefix *prefix);

/* Bulk lookups for the worker. v4 addresses in host byte order. */
void svr_fib_lookup4(const struct svr_fib *fib, const uint32_t *dst, uint64_t *nh, unsigned n);
void svr_fib_lookup6(const struct svr_fib *fib, uint8_t (*dst)[16], uint64_t *nh, unsigned n);

/* Points every gateway next hop on iface whose gateway is ip at neighbour pos (main lcore). */
void svr_fib_link_neigh(struct svr_fib *fib, uint16_t iface, const struct svr_ip *ip, uint32_t pos);

/* Single lookup for the slow path and tests: next-hop index (0 = none). */
uint32_t svr_fib_lookup(const struct svr_fib *fib, const struct svr_ip *dst);

#endif
