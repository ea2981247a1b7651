/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Route changes from svr-control to the dataplane: a single-producer, single-consumer ring in
 * memory both processes map (shared memory in use; any memory in tests). svr-control follows the
 * kernel's routing tables and writes each change as it comes; the dataplane's main lcore takes
 * them in batches and applies them to its FIB, without a new policy image. No lock, no system
 * call: a full ring refuses what does not fit, and the producer tries again later (or, far
 * behind, starts a resync: SYNC_BEGIN, every route, SYNC_END, and the consumer drops what the
 * resync did not name). No DPDK.
 *
 * The consumer trusts nothing it reads here: svr_route_change_valid() before using a change.
 */
#ifndef SVR_COMMON_ROUTERING_H
#define SVR_COMMON_ROUTERING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SVR_ROUTE_RING_MAGIC   0x53565252u /* "SVRR" */
#define SVR_ROUTE_RING_VERSION 2
#define SVR_ROUTE_SHM_NAME_FMT "/svr-%s-routes" /* %s: instance */
#define SVR_ROUTE_SHM_CAPACITY (1u << 18)       /* changes: 16 MiB */

enum svr_route_op {
	SVR_ROUTE_ADD = 1,    /* add, or replace the route of the same prefix and table */
	SVR_ROUTE_DEL,        /* remove the route of that prefix and table */
	SVR_ROUTE_SYNC_BEGIN, /* a full listing follows: routes it does not name go at its end */
	SVR_ROUTE_SYNC_END,
};

/*
 * One change, 64 bytes. Addresses in network order; a zero gateway: the prefix is on the link.
 * The interface is named as the kernel names it: a kernel twin has its dataplane interface's
 * name, so the dataplane maps it without knowing the kernel's indexes (and ignores routes by
 * interfaces that are not its own). ifname need not be terminated: 16 bytes at most.
 */
struct svr_route_change {
	uint8_t op;       /* enum svr_route_op */
	uint8_t family;   /* 4 or 6 (ADD, DEL) */
	uint8_t len;      /* prefix length */
	uint8_t proto;    /* the kernel's routing protocol number (RTPROT_*: 186 bgp, 188 ospf) */
	uint32_t table;   /* the kernel's routing table */
	uint32_t ifindex; /* the kernel's index of the interface it leaves by (0: none); for logs */
	uint32_t metric;
	uint8_t prefix[16];
	uint8_t gateway[16];
	char ifname[16];
};
_Static_assert(sizeof(struct svr_route_change) == 64, "a route change is 64 bytes");

struct svr_route_ring {
	_Atomic uint32_t magic; /* written last by init: the rest is there once it is */
	uint32_t version;
	uint32_t capacity; /* changes, a power of two */
	uint32_t reserved;
	_Alignas(64) _Atomic uint64_t head; /* changes written (producer) */
	_Alignas(64) _Atomic uint64_t tail; /* changes taken (consumer) */
	_Atomic uint64_t resyncs_asked;     /* consumer: "send me everything again" */
	_Alignas(64) struct svr_route_change slots[];
};

/* Atomics shared between two processes must not hide a lock. */
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics are lock-free");

/* The bytes a ring of capacity changes takes; 0 when capacity is not a power of two >= 2. */
size_t svr_route_ring_bytes(uint32_t capacity);
/* Makes mem (svr_route_ring_bytes(capacity), zeroed or not) an empty ring: once, by the process
 * that creates it; a producer that starts again attaches to the ring as it is (and resyncs). */
struct svr_route_ring *svr_route_ring_init(void *mem, uint32_t capacity);

/*
 * Each end keeps what it must not take from the shared memory again (the size, its own count):
 * a producer that writes nonsense there can make the consumer refuse the ring, never read
 * outside it.
 */
struct svr_route_end {
	struct svr_route_ring *ring;
	uint32_t mask;  /* capacity - 1, as it was when attached */
	uint64_t count; /* the producer's head, the consumer's tail */
};
/* Attaches to the ring in mem of len bytes: 0, or -1 when it is not a ring this code reads
 * (magic, version, a capacity that fits len). */
int svr_route_ring_attach(struct svr_route_end *e, void *mem, size_t len, bool producer);

/* Producer: appends up to n changes in order; returns how many fit (-1: the ring is broken). */
int svr_route_ring_put(struct svr_route_end *e, const struct svr_route_change *c, unsigned n);
/* Consumer: takes up to max changes in order; returns how many, or -1 when the producer's count
 * makes no sense (behind the consumer, or more than the ring holds): the consumer then skips to
 * it (svr_route_ring_skip) and waits for a resync. */
int svr_route_ring_take(struct svr_route_end *e, struct svr_route_change *out, unsigned max);
/* Consumer: drops everything written so far. */
void svr_route_ring_skip(struct svr_route_end *e);

/* Consumer: asks the producer for a full listing (it started with an empty table, or lost
 * its place). */
void svr_route_ring_ask_resync(struct svr_route_end *e);
/* Producer: whether the consumer asked for a resync since *seen (updated). */
bool svr_route_ring_resync_asked(struct svr_route_end *e, uint64_t *seen);

/*
 * The instance's ring in shared memory (SVR_ROUTE_SHM_NAME_FMT, SVR_ROUTE_SHM_CAPACITY),
 * created and initialised by whichever side comes first. 0 with e attached; -EAGAIN while the
 * other side is still creating it; another negative errno with err set.
 */
int svr_route_shm_open(struct svr_route_end *e, const char *instance, bool producer, char *err,
		       size_t errlen);
void svr_route_shm_close(struct svr_route_end *e);
int svr_route_shm_unlink(const char *instance);

/* Whether a change read from the ring means something: a known op; for ADD and DEL a family of
 * 4 or 6, a prefix length that fits it, and (IPv4) nothing beyond the 4 bytes of an address. */
bool svr_route_change_valid(const struct svr_route_change *c);

#endif
