/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A capture ring: a single-producer single-consumer ring of preallocated slots,
 * each holding the first bytes of one packet. The producer (a worker, inside an
 * ethdev RX/TX callback) copies into a slot it reserved and commits it; when the
 * ring is full the packet is not captured and counted in dropped, so a slow reader
 * costs the worker a counter increment, never a wait. The consumer is the main
 * lcore. Plain C11 atomics, no DPDK: unit-tested on its own.
 */
#ifndef SVR_CAPTURE_RING_H
#define SVR_CAPTURE_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#define SVR_CAP_SNAPLEN_MAX 2048u /* bytes kept of each packet, at most */

enum svr_cap_dir { SVR_CAP_RX = 0, SVR_CAP_TX = 1 };

struct svr_cap_slot {
	uint64_t tsc;      /* when the burst was seen (TSC) */
	uint32_t orig_len; /* the packet's length on the wire */
	uint16_t cap_len;  /* bytes in data */
	uint8_t dir;       /* enum svr_cap_dir */
	uint8_t data[SVR_CAP_SNAPLEN_MAX];
};

struct svr_cap_ring {
	_Alignas(64) _Atomic uint32_t head; /* next slot to fill: written by the producer */
	_Atomic uint64_t dropped;           /* packets not captured because the ring was full */
	_Alignas(64) _Atomic uint32_t tail; /* next slot to read: written by the consumer */
	uint32_t mask;
	struct svr_cap_slot slots[];
};

/* size: a power of two. NULL when out of memory. Free with free(). */
static inline struct svr_cap_ring *svr_cap_ring_new(uint32_t size)
{
	if (size == 0 || (size & (size - 1)))
		return NULL;
	size_t bytes = sizeof(struct svr_cap_ring) + (size_t)size * sizeof(struct svr_cap_slot);
	bytes = (bytes + 63) & ~(size_t)63;
	struct svr_cap_ring *r = aligned_alloc(64, bytes);
	if (!r)
		return NULL;
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	atomic_init(&r->dropped, 0);
	r->mask = size - 1;
	return r;
}

/* Producer: a free slot to fill and then commit, or NULL (ring full: counted). */
static inline struct svr_cap_slot *svr_cap_ring_reserve(struct svr_cap_ring *r)
{
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	if (head - tail > r->mask) {
		atomic_store_explicit(&r->dropped,
				      atomic_load_explicit(&r->dropped, memory_order_relaxed) + 1,
				      memory_order_relaxed);
		return NULL;
	}
	return &r->slots[head & r->mask];
}

/* Producer: publishes the slot reserve returned. */
static inline void svr_cap_ring_commit(struct svr_cap_ring *r)
{
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	atomic_store_explicit(&r->head, head + 1, memory_order_release);
}

/* Consumer: the oldest filled slot, or NULL when empty. */
static inline const struct svr_cap_slot *svr_cap_ring_peek(struct svr_cap_ring *r)
{
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	if (atomic_load_explicit(&r->head, memory_order_acquire) == tail)
		return NULL;
	return &r->slots[tail & r->mask];
}

/* Consumer: gives the slot peek returned back to the producer. */
static inline void svr_cap_ring_pop(struct svr_cap_ring *r)
{
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
}

static inline uint64_t svr_cap_ring_dropped(struct svr_cap_ring *r)
{
	return atomic_load_explicit(&r->dropped, memory_order_relaxed);
}

#endif
