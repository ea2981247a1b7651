/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Duplicate window of one duplicated session (docs/paths.md): the sender numbers the session's
 * packets with a 16-bit id (both copies carry the same id); the receiver forwards the first copy
 * of an id and drops the second. 512 slots of 16 bits (1 KiB), slot = id mod 512, holding the
 * id's upper 7 bits and a "used" bit; an atomic exchange per packet, so the two copies may reach
 * two workers (two tuples) at the same instant and exactly one of them wins. No lock, no
 * allocation; zero-filled = empty.
 *
 * Failure mode (bounded memory): a copy that arrives after 512 or more later ids (the slot then
 * holds another id) is taken for a first copy and delivered twice, never dropped. The only way a
 * first copy is dropped is an id 65,536 packets later finding its slot untouched since, i.e. all
 * 127 ids that share the slot in between lost on both paths.
 */
#ifndef SVR_COMMON_DEDUPE_H
#define SVR_COMMON_DEDUPE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define SVR_DEDUPE_SLOTS 512 /* power of two: the largest reordering tolerated between copies */
#define SVR_DEDUPE_USED  0x8000

struct svr_dedupe {
	_Atomic uint16_t slot[SVR_DEDUPE_SLOTS];
};

static inline void svr_dedupe_init(struct svr_dedupe *d)
{
	for (unsigned i = 0; i < SVR_DEDUPE_SLOTS; i++)
		atomic_init(&d->slot[i], 0);
}

/* True for the first copy of id (forward it), false for a second copy (drop it). Any thread. */
static inline bool svr_dedupe_first(struct svr_dedupe *d, uint16_t id)
{
	uint16_t tag = (uint16_t)(SVR_DEDUPE_USED | id / SVR_DEDUPE_SLOTS);
	/* relaxed: only this slot's atomicity matters, nothing else is published through it */
	uint16_t old =
	    atomic_exchange_explicit(&d->slot[id % SVR_DEDUPE_SLOTS], tag, memory_order_relaxed);
	return old != tag;
}

/* True when id's first copy went through already (svr_dedupe_first), without marking it: for a
 * copy whose number is not signed, which may not mark anything. */
static inline bool svr_dedupe_seen(const struct svr_dedupe *d, uint16_t id)
{
	uint16_t tag = (uint16_t)(SVR_DEDUPE_USED | id / SVR_DEDUPE_SLOTS);
	return atomic_load_explicit(&d->slot[id % SVR_DEDUPE_SLOTS], memory_order_relaxed) == tag;
}

#endif
