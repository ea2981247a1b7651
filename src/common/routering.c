/* SPDX-License-Identifier: BSD-3-Clause */
/* The route-change ring (routering.h). */
#include "common/routering.h"

#include <string.h>

size_t svr_route_ring_bytes(uint32_t capacity)
{
	if (capacity < 2 || (capacity & (capacity - 1)))
		return 0;
	return sizeof(struct svr_route_ring) + (size_t)capacity * sizeof(struct svr_route_change);
}

struct svr_route_ring *svr_route_ring_init(void *mem, uint32_t capacity)
{
	struct svr_route_ring *r = mem;
	if (!svr_route_ring_bytes(capacity))
		return NULL;
	r->capacity = capacity;
	r->reserved = 0;
	atomic_store_explicit(&r->head, 0, memory_order_relaxed);
	atomic_store_explicit(&r->tail, 0, memory_order_relaxed);
	r->version = SVR_ROUTE_RING_VERSION;
	/* last: a consumer that sees the magic sees the rest */
	atomic_thread_fence(memory_order_release);
	r->magic = SVR_ROUTE_RING_MAGIC;
	return r;
}

bool svr_route_ring_usable(const struct svr_route_ring *r, size_t len)
{
	if (len < sizeof(*r) || r->magic != SVR_ROUTE_RING_MAGIC ||
	    r->version != SVR_ROUTE_RING_VERSION)
		return false;
	size_t need = svr_route_ring_bytes(r->capacity);
	return need && need <= len;
}

unsigned svr_route_ring_put(struct svr_route_ring *r, const struct svr_route_change *c, unsigned n)
{
	uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	uint64_t room = r->capacity - (head - tail);
	if (n > room)
		n = (unsigned)room;
	for (unsigned i = 0; i < n; i++)
		r->slots[(head + i) & (r->capacity - 1)] = c[i];
	/* the changes before the count that says they are there */
	atomic_store_explicit(&r->head, head + n, memory_order_release);
	return n;
}

unsigned svr_route_ring_take(struct svr_route_ring *r, struct svr_route_change *out, unsigned max)
{
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);
	uint64_t have = head - tail;
	/* a head beyond what the ring holds is a broken producer: nothing is taken */
	if (have > r->capacity)
		return 0;
	unsigned n = have < max ? (unsigned)have : max;
	for (unsigned i = 0; i < n; i++)
		out[i] = r->slots[(tail + i) & (r->capacity - 1)];
	/* the slots are read before the producer may write them again */
	atomic_store_explicit(&r->tail, tail + n, memory_order_release);
	return n;
}

bool svr_route_change_valid(const struct svr_route_change *c)
{
	switch (c->op) {
	case SVR_ROUTE_ADD:
	case SVR_ROUTE_DEL:
		return (c->family == 4 && c->len <= 32) || (c->family == 6 && c->len <= 128);
	case SVR_ROUTE_SYNC_BEGIN:
	case SVR_ROUTE_SYNC_END:
		return true;
	default:
		return false;
	}
}
