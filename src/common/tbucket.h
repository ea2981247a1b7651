/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A token bucket for policing (docs/paths.md): rate in bits/s, burst in bytes,
 * driven by a time the caller reads (the TSC of the packet burst, or any monotonic tick count
 * of known frequency). Tokens are bytes in 32.32 fixed point. Per packet: one subtraction, one
 * multiply, one compare, no division, no lock.
 *
 * Lock-free by ownership: exactly one thread (the worker that receives the direction or owns
 * the per-worker share) calls svr_tbucket_take on a bucket; another thread may re-configure it
 * only while that thread does not use it (or by handing a new bucket over). A packet that does
 * not fit is refused and costs no tokens (policing, no queue).
 */
#ifndef SVR_COMMON_TBUCKET_H
#define SVR_COMMON_TBUCKET_H

#include <stdbool.h>
#include <stdint.h>

#define SVR_TB_SHIFT     32
#define SVR_TB_MAX_BURST ((uint64_t)1 << 30) /* bytes: depth in fixed point stays below 2^62 */

struct svr_tbucket {
	uint64_t tokens;    /* bytes << SVR_TB_SHIFT */
	uint64_t last;      /* caller's time of the last refill */
	uint64_t rate;      /* bytes << SVR_TB_SHIFT per tick; 0: no limit */
	uint64_t depth;     /* burst bytes << SVR_TB_SHIFT */
	uint64_t fill_tick; /* ticks that fill an empty bucket: longer gaps just fill it */
};

/* The burst to use when the model gives none: 10 ms at the rate, at least two packets of mtu. */
static inline uint64_t svr_tbucket_default_burst(uint64_t rate_bps, uint32_t mtu)
{
	uint64_t b = rate_bps / 8 / 100;
	return b > 2ull * mtu ? b : 2ull * mtu;
}

/*
 * rate_bps (0: no limit), burst_bytes (clamped to 1 .. SVR_TB_MAX_BURST), hz: ticks per second
 * of the time given to svr_tbucket_take (e.g. rte_get_tsc_hz()), now: the current tick. Starts
 * full. Not for the per-packet path (it divides).
 */
static inline void svr_tbucket_init(struct svr_tbucket *b, uint64_t rate_bps, uint64_t burst_bytes,
				    uint64_t hz, uint64_t now)
{
	if (burst_bytes < 1)
		burst_bytes = 1;
	if (burst_bytes > SVR_TB_MAX_BURST)
		burst_bytes = SVR_TB_MAX_BURST;
	double per_tick = (double)rate_bps / 8.0 / (double)(hz ? hz : 1) * 4294967296.0;
	b->depth = burst_bytes << SVR_TB_SHIFT;
	/* a tick that brings more than the whole burst is the same as a full bucket each tick */
	if (per_tick > (double)b->depth)
		per_tick = (double)b->depth;
	/* rounded up (by at most 2^-32 byte a tick): never below the rate asked for */
	uint64_t whole = (uint64_t)per_tick;
	b->rate = rate_bps == 0 ? 0 : whole + ((double)whole < per_tick);
	b->tokens = b->depth;
	b->last = now;
	b->fill_tick = b->rate ? b->depth / b->rate + 1 : 0;
}

/* Takes bytes at time now: true if they fit (and are taken), false to drop the packet. */
static inline bool svr_tbucket_take(struct svr_tbucket *b, uint64_t now, uint32_t bytes)
{
	if (b->rate == 0)
		return true;
	if (now > b->last) { /* a clock read earlier than the last one refills nothing */
		uint64_t ticks = now - b->last;
		/* below fill_tick, ticks * rate <= depth < 2^62: no overflow */
		uint64_t t = ticks >= b->fill_tick ? b->depth : b->tokens + ticks * b->rate;
		b->tokens = t < b->depth ? t : b->depth;
		b->last = now;
	}
	uint64_t need = (uint64_t)bytes << SVR_TB_SHIFT;
	if (b->tokens < need)
		return false;
	b->tokens -= need;
	return true;
}

#endif
