/* SPDX-License-Identifier: BSD-3-Clause */
/* The route-change ring (routering.h). */
#include "common/routering.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/shm.h"

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
	atomic_store_explicit(&r->magic, 0, memory_order_relaxed);
	r->capacity = capacity;
	r->reserved = 0;
	atomic_store_explicit(&r->head, 0, memory_order_relaxed);
	atomic_store_explicit(&r->tail, 0, memory_order_relaxed);
	atomic_store_explicit(&r->resyncs_asked, 0, memory_order_relaxed);
	r->version = SVR_ROUTE_RING_VERSION;
	atomic_store_explicit(&r->magic, SVR_ROUTE_RING_MAGIC, memory_order_release);
	return r;
}

int svr_route_ring_attach(struct svr_route_end *e, void *mem, size_t len, bool producer)
{
	struct svr_route_ring *r = mem;
	if (len < sizeof(*r) ||
	    atomic_load_explicit(&r->magic, memory_order_acquire) != SVR_ROUTE_RING_MAGIC ||
	    r->version != SVR_ROUTE_RING_VERSION)
		return -1;
	uint32_t capacity = r->capacity; /* read once: the mask is ours from here on */
	size_t need = svr_route_ring_bytes(capacity);
	if (!need || need > len)
		return -1;
	e->ring = r;
	e->mask = capacity - 1;
	e->count = atomic_load_explicit(producer ? &r->head : &r->tail, memory_order_acquire);
	return 0;
}

int svr_route_ring_put(struct svr_route_end *e, const struct svr_route_change *c, unsigned n)
{
	struct svr_route_ring *r = e->ring;
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	uint64_t used = e->count - tail;
	if (used > (uint64_t)e->mask + 1)
		return -1; /* a consumer ahead of us, or far behind: not our ring any more */
	uint64_t room = (uint64_t)e->mask + 1 - used;
	if (n > room)
		n = (unsigned)room;
	for (unsigned i = 0; i < n; i++)
		r->slots[(e->count + i) & e->mask] = c[i];
	e->count += n;
	/* the changes before the count that says they are there */
	atomic_store_explicit(&r->head, e->count, memory_order_release);
	return (int)n;
}

int svr_route_ring_take(struct svr_route_end *e, struct svr_route_change *out, unsigned max)
{
	struct svr_route_ring *r = e->ring;
	uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);
	uint64_t have = head - e->count;
	if (have > (uint64_t)e->mask + 1)
		return -1;
	unsigned n = have < max ? (unsigned)have : max;
	for (unsigned i = 0; i < n; i++)
		out[i] = r->slots[(e->count + i) & e->mask];
	e->count += n;
	/* the slots are read before the producer may write them again */
	atomic_store_explicit(&r->tail, e->count, memory_order_release);
	return (int)n;
}

void svr_route_ring_skip(struct svr_route_end *e)
{
	e->count = atomic_load_explicit(&e->ring->head, memory_order_acquire);
	atomic_store_explicit(&e->ring->tail, e->count, memory_order_release);
}

/* Whether the bytes of a after the first `from` are all zero. */
static bool zero_after(const uint8_t a[16], unsigned from)
{
	for (unsigned i = from; i < 16; i++)
		if (a[i])
			return false;
	return true;
}

bool svr_route_change_valid(const struct svr_route_change *c)
{
	switch (c->op) {
	case SVR_ROUTE_ADD:
	case SVR_ROUTE_DEL:
		if (c->family == 4)
			return c->len <= 32 && zero_after(c->prefix, 4) &&
			       zero_after(c->gateway, 4);
		return c->family == 6 && c->len <= 128;
	case SVR_ROUTE_SYNC_BEGIN:
	case SVR_ROUTE_SYNC_END:
		return true;
	default:
		return false;
	}
}

void svr_route_ring_ask_resync(struct svr_route_end *e)
{
	atomic_fetch_add_explicit(&e->ring->resyncs_asked, 1, memory_order_release);
}

bool svr_route_ring_resync_asked(struct svr_route_end *e, uint64_t *seen)
{
	uint64_t now = atomic_load_explicit(&e->ring->resyncs_asked, memory_order_acquire);
	if (now == *seen)
		return false;
	*seen = now;
	return true;
}

int svr_route_shm_open(struct svr_route_end *e, const char *instance, bool producer, char *err,
		       size_t errlen)
{
	char name[64];
	snprintf(name, sizeof(name), SVR_ROUTE_SHM_NAME_FMT, instance);
	size_t len = svr_route_ring_bytes(SVR_ROUTE_SHM_CAPACITY);
	bool created;
	void *mem;
	int rc = svr_shm_map(name, len, true, &mem, &created, err, errlen);
	if (rc < 0)
		return rc;
	if (created)
		svr_route_ring_init(mem, SVR_ROUTE_SHM_CAPACITY);
	if (svr_route_ring_attach(e, mem, len, producer) < 0) {
		bool ours = atomic_load_explicit(&((struct svr_route_ring *)mem)->magic,
						 memory_order_acquire) == 0;
		svr_shm_unmap(mem, len);
		if (ours)
			return -EAGAIN; /* its creator has not initialised it yet */
		snprintf(err, errlen, "%s is not a route ring of version %u", name,
			 SVR_ROUTE_RING_VERSION);
		return -EINVAL;
	}
	return 0;
}

void svr_route_shm_close(struct svr_route_end *e)
{
	if (e->ring) /* the whole object was mapped, whatever capacity it says */
		svr_shm_unmap(e->ring, svr_route_ring_bytes(SVR_ROUTE_SHM_CAPACITY));
	e->ring = NULL;
}

int svr_route_shm_unlink(const char *instance)
{
	char name[64];
	snprintf(name, sizeof(name), SVR_ROUTE_SHM_NAME_FMT, instance);
	return svr_shm_unlink_name(name);
}
