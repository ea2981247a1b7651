/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The forwarding table: rte_fib (IPv4, DIR-24-8) and rte_fib6 (IPv6, trie)
 * map a destination to a next-hop index; the next-hop array says what to do.
 *
 * Concurrency: a FIB is built by the main lcore and then only read by workers
 * (lookups need no lock). The policy's routes change by building a new FIB and
 * swapping the pointer the workers read (RCU). Routes from the kernel change
 * one by one in a FIB in use, which is then "live": it keeps its lookup tables
 * twice. A batch of changes goes into the table no worker reads (staged),
 * svr_fib_publish() makes that one the workers', and once every worker has
 * passed a quiescent state svr_fib_catch_up() applies the same batch to the
 * other. DPDK's rte_fib frees the memory of a deleted prefix at once, so a
 * table a worker may be reading is never edited. The route list, the indexes
 * and the next hops are shared by both tables: next hops are only ever
 * appended, so an index a worker holds stays valid. svr_nexthop.neigh is
 * written by the main lcore only (see neigh.h) and read by workers with an
 * atomic load.
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

/* Where a route comes from: the policy's routes (connected, local, broadcast, the model's
 * static routes) win over the kernel's for the same prefix. */
enum svr_route_origin { SVR_ORIGIN_POLICY = 0, SVR_ORIGIN_KERNEL };

struct svr_route {
	struct svr_prefix prefix;
	uint32_t nh;
	uint8_t origin; /* enum svr_route_origin */
};

/* A staged change, replayed into the other table by svr_fib_catch_up. */
struct svr_fib_change {
	struct svr_prefix prefix;
	uint32_t nh; /* 0: delete */
};

struct rte_hash;
struct svr_fib {
	struct rte_fib *v4[2]; /* [1] only when live */
	struct rte_fib6 *v6[2];
	bool compact;                    /* svr_fib_create_compact */
	_Atomic unsigned active;         /* the tables workers read */
	uint32_t n_pending, max_pending; /* staged changes the other table lacks; 0: not live */
	struct svr_fib_change *pending;
	uint32_t n_nh, max_nh;
	struct svr_nexthop *nh;
	uint32_t n_routes, max_routes;
	uint32_t n_kernel;          /* of them, SVR_ORIGIN_KERNEL */
	struct svr_route *routes;   /* dense, in no order */
	struct rte_hash *route_idx; /* prefix -> its slot in routes (main lcore) */
	struct rte_hash *nh_idx;    /* (type, iface, gateway) -> its next hop */
};

/* name must be unique in the process and at most 20 characters (it names DPDK objects, with
 * a prefix and a suffix of theirs). max_batch > 0 makes it live: two tables, and at most
 * max_batch changes staged between two catch-ups. NULL on failure. */
struct svr_fib *svr_fib_create(const char *name, uint32_t max_routes, uint32_t max_batch);
/* The same with lookup tables that are their RIB's trees (rte_fib's DUMMY type): memory in
 * proportion to max_routes instead of a 32 MiB IPv4 tbl24 per table, a lookup of a few dozen
 * nanoseconds more. For the kernel tables tenants are bound to (l2l3/tfib.h), which a session
 * looks up once per packet only when its tenant is bound. */
struct svr_fib *svr_fib_create_compact(const char *name, uint32_t max_routes, uint32_t max_batch);
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

/*
 * Routes from the kernel. Before the FIB is published (being built): straight into every
 * table. Once workers read it (it must be live): staged. A policy route of the same prefix
 * wins: -EEXIST, nothing changed. -ENOBUFS: the batch is full (publish, then catch up).
 * svr_fib_kernel_del removes only a kernel route (-ENOENT otherwise).
 */
int svr_fib_kernel_add(struct svr_fib *fib, bool staged, const struct svr_prefix *prefix,
		       enum svr_nh_type type, uint16_t iface, const struct svr_ip *gateway);
int svr_fib_kernel_del(struct svr_fib *fib, bool staged, const struct svr_prefix *prefix);
/* Makes the staged table the one workers read. */
void svr_fib_publish(struct svr_fib *fib);
/* After every worker's quiescent state since svr_fib_publish: the staged changes into the
 * other table too, which becomes the next batch's. */
void svr_fib_catch_up(struct svr_fib *fib);

/* Bulk lookups for the worker. v4 addresses in host byte order. */
void svr_fib_lookup4(const struct svr_fib *fib, const uint32_t *dst, uint64_t *nh, unsigned n);
void svr_fib_lookup6(const struct svr_fib *fib, uint8_t (*dst)[16], uint64_t *nh, unsigned n);

/* Points every gateway next hop on iface whose gateway is ip at neighbour pos (main lcore). */
void svr_fib_link_neigh(struct svr_fib *fib, uint16_t iface, const struct svr_ip *ip, uint32_t pos);

/* Single lookup for the slow path and tests: next-hop index (0 = none). */
uint32_t svr_fib_lookup(const struct svr_fib *fib, const struct svr_ip *dst);

#endif
