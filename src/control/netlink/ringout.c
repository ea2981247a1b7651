/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The route mirror's way out (follow_int.h): changes into the queue, the queue into the ring, a
 * listing that waits for the dataplane to make room, and what happens when nothing fits.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>

#include "common/log.h"
#include "ctl.h"
#include "netlink/follow_int.h"

/* A listing is due for reason, not before delay_ms from now (a burst of causes: one). */
void ctl_nl_want_resync(struct ctl_nl_follow *f, enum ctl_nl_resync_reason reason,
			unsigned delay_ms)
{
	if (f->need_resync)
		return; /* one is due already: it will say everything */
	f->need_resync = (int)reason + 1;
	f->resync_at_ms = ctl_nl_now_ms() + delay_ms;
}

uint64_t ctl_nl_ring_used(const struct ctl_nl_follow *f)
{
	if (!f->ring.ring)
		return UINT64_MAX; /* could not be opened again: the thread is stopping */
	return f->ring.count - atomic_load_explicit(&f->ring.ring->tail, memory_order_acquire);
}

int ctl_nl_open_ring(struct ctl_nl_follow *f)
{
	char err[256];
	int rc;
	while ((rc = svr_route_shm_open(&f->ring, f->ctl->instance, true, err, sizeof(err))) ==
		   -EAGAIN &&
	       !ctl_nl_stopping(f))
		ctl_nl_sleep_ms(10); /* the dataplane is creating it */
	if (rc < 0 && rc != -EAGAIN)
		LOG_ERR("route mirror: %s", err);
	return rc;
}

/* Moves what the ring takes; a broken ring is opened again and a listing made due. */
void ctl_nl_flush(struct ctl_nl_follow *f)
{
	if (!f->ring.ring)
		return;
	int64_t n = ctl_nl_pending_flush(&f->pending, &f->ring);
	if (n > 0) {
		f->st.changes_written += (uint64_t)n;
		f->last_progress_ms = ctl_nl_now_ms();
	} else if (n < 0) {
		LOG_ERR("route mirror: the route ring's counts make no sense; opening it again");
		svr_route_shm_close(&f->ring);
		ctl_nl_pending_clear(&f->pending);
		if (ctl_nl_open_ring(f) < 0)
			atomic_store(&f->stop, true);
		ctl_nl_want_resync(f, CTL_NL_RESYNC_RING, 0);
	}
}

/* A listing waits for the dataplane to make room: false once it has taken nothing for
 * LISTING_STALL_MS (stopped, or stuck) or svr-control stops. */
static bool wait_for_room(struct ctl_nl_follow *f)
{
	for (;;) {
		ctl_nl_flush(f);
		if (!ctl_nl_pending_full(&f->pending))
			return true;
		if (ctl_nl_stopping(f) || ctl_nl_now_ms() - f->last_progress_ms > LISTING_STALL_MS)
			return false;
		f->st.ring_full_waits++;
		ctl_nl_sleep_ms(1);
	}
}

void ctl_nl_emit(struct ctl_nl_follow *f, const struct svr_route_change *c)
{
	if (f->dropping || f->listing_failed)
		return; /* a listing is due that will say it */
	while (!ctl_nl_pending_push(&f->pending, c)) {
		if (f->listing && wait_for_room(f))
			continue;
		f->st.dropped += ctl_nl_pending_count(&f->pending) + 1;
		ctl_nl_pending_clear(&f->pending);
		if (f->listing)
			f->listing_failed = true;
		f->dropping = true;
		LOG_WARN("route mirror: the dataplane takes no route changes (ring full); "
			 "changes dropped, a full listing follows when it takes them again");
		ctl_nl_want_resync(f, CTL_NL_RESYNC_OVERFLOW, 0);
		return;
	}
}

void ctl_nl_emit_marker(struct ctl_nl_follow *f, enum svr_route_op op)
{
	struct svr_route_change c = {.op = (uint8_t)op};
	ctl_nl_emit(f, &c);
}
