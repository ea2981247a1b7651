/* SPDX-License-Identifier: BSD-3-Clause */
/* Changes on their way into the route ring (pending.h). */
#include "netlink/pending.h"

#include <stdlib.h>

int ctl_nl_pending_init(struct ctl_nl_pending *q, uint32_t capacity)
{
	q->head = q->tail = 0;
	q->mask = capacity - 1;
	q->v = (capacity && !(capacity & (capacity - 1))) ? calloc(capacity, sizeof(*q->v)) : NULL;
	return q->v ? 0 : -1;
}

void ctl_nl_pending_free(struct ctl_nl_pending *q)
{
	free(q->v);
	q->v = NULL;
}

bool ctl_nl_pending_push(struct ctl_nl_pending *q, const struct svr_route_change *c)
{
	if (ctl_nl_pending_full(q))
		return false;
	q->v[q->head++ & q->mask] = *c;
	return true;
}

void ctl_nl_pending_clear(struct ctl_nl_pending *q)
{
	q->tail = q->head;
}

int64_t ctl_nl_pending_flush(struct ctl_nl_pending *q, struct svr_route_end *ring)
{
	int64_t moved = 0;
	while (q->tail != q->head) {
		/* the contiguous run from tail: one put (one release store) per run */
		uint32_t at = (uint32_t)(q->tail & q->mask);
		uint64_t run = q->head - q->tail;
		if (run > (uint64_t)q->mask + 1 - at)
			run = (uint64_t)q->mask + 1 - at;
		int n = svr_route_ring_put(ring, &q->v[at], (unsigned)run);
		if (n < 0)
			return -1;
		q->tail += (uint64_t)n;
		moved += n;
		if ((uint64_t)n < run)
			break; /* the ring is full */
	}
	return moved;
}
