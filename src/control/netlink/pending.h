/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Changes on their way into the route ring: the follower appends what it translates here and
 * moves as much as the ring takes after each batch it reads. Bounded: when the dataplane does
 * not take changes (stopped, far behind), the queue fills; the follower then drops it and
 * resyncs once the ring has room again (a full listing says everything the dropped changes
 * said).
 */
#ifndef SVR_CONTROL_NETLINK_PENDING_H
#define SVR_CONTROL_NETLINK_PENDING_H

#include <stdbool.h>
#include <stdint.h>

#include "common/routering.h"

struct ctl_nl_pending {
	struct svr_route_change *v;
	uint32_t mask;       /* capacity - 1 */
	uint64_t head, tail; /* appended, moved into the ring */
};

/* capacity: a power of two. -1 when out of memory. */
int ctl_nl_pending_init(struct ctl_nl_pending *q, uint32_t capacity);
void ctl_nl_pending_free(struct ctl_nl_pending *q);
static inline uint64_t ctl_nl_pending_count(const struct ctl_nl_pending *q)
{
	return q->head - q->tail;
}
static inline bool ctl_nl_pending_full(const struct ctl_nl_pending *q)
{
	return ctl_nl_pending_count(q) > q->mask;
}
/* Appends c; false when the queue is full. */
bool ctl_nl_pending_push(struct ctl_nl_pending *q, const struct svr_route_change *c);
void ctl_nl_pending_clear(struct ctl_nl_pending *q);
/* Moves what the ring takes, in order: the count moved, or -1 when the ring is broken. */
int64_t ctl_nl_pending_flush(struct ctl_nl_pending *q, struct svr_route_end *ring);

#endif
