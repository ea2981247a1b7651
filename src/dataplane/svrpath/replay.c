/* SPDX-License-Identifier: BSD-3-Clause */
/* The replay memory of the SVR egress: see replay.h. */
#include "svrpath/replay.h"

#include <string.h>

#define LIVE      (1ull << 63)
#define TAG_SHIFT 24
#define TAG_BITS  39
#define T_MASK    0xffffffu
#define NONE      UINT32_MAX

uint32_t svr_replay_slots(uint32_t sessions)
{
	uint64_t limit = 2 * (uint64_t)(sessions ? sessions : 1);
	uint64_t n = limit + limit / 4 + 1; /* at most 80% full: short probe runs */
	return n < UINT32_MAX ? (uint32_t)n : UINT32_MAX - 1;
}

void svr_replay_init(struct svr_replay *r, uint64_t *slot, uint32_t sessions, uint64_t seed)
{
	memset(r, 0, sizeof(*r));
	rte_spinlock_init(&r->lock);
	r->slot = slot;
	r->n_slots = svr_replay_slots(sessions);
	/* at least 2 x sessions, and always an empty slot: every probe run ends */
	r->limit = r->n_slots - (r->n_slots >= 5 ? r->n_slots / 5 : 1);
	r->seed = seed;
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* 39 bits of a keyed hash of the UUID, never 0 (an empty slot is 0) */
static uint64_t tag_of(const struct svr_replay *r, const uint8_t uuid[16])
{
	uint64_t a, b;
	memcpy(&a, uuid, 8);
	memcpy(&b, uuid + 8, 8);
	uint64_t t = mix(mix(a ^ r->seed) ^ b) >> (64 - TAG_BITS);
	return t ? t : 1;
}

static inline uint64_t slot_tag(uint64_t v)
{
	return (v & ~LIVE) >> TAG_SHIFT;
}

/* Where a tag's probe run starts: its top 32 bits scaled to the table (no modulo bias). */
static inline uint32_t home(const struct svr_replay *r, uint64_t tag)
{
	return (uint32_t)(((tag >> (TAG_BITS - 32)) * r->n_slots) >> 32);
}

static inline uint32_t next(const struct svr_replay *r, uint32_t i)
{
	return ++i == r->n_slots ? 0 : i;
}

/* An ended slot whose remembered-until second is before now (both modulo 2^24: a slot is
 * swept within seconds of its time, far less than the 2^23 s the comparison allows). */
static inline bool passed(uint64_t v, uint32_t now)
{
	return !(v & LIVE) && ((((uint32_t)v & T_MASK) - now) & 0x800000u);
}

/*
 * The slot holding tag, or NONE. *reuse (when asked): the first slot on the probe run a new
 * entry may take — an empty one, or an ended one whose time passed.
 */
static uint32_t find(const struct svr_replay *r, uint64_t tag, uint32_t now, uint32_t *reuse)
{
	uint32_t i = home(r, tag);
	if (reuse)
		*reuse = NONE;
	/* never full (limit < n_slots): every run ends at an empty slot */
	for (;; i = next(r, i)) {
		uint64_t v = r->slot[i];
		if (v == 0) {
			if (reuse && *reuse == NONE)
				*reuse = i;
			return NONE;
		}
		if (slot_tag(v) == tag)
			return i;
		if (reuse && *reuse == NONE && passed(v, now))
			*reuse = i;
	}
}

/*
 * Empties slot i and moves later entries of the run back into the hole when their home
 * allows (backward shift), so that every run stays unbroken without tombstones.
 */
static void erase(struct svr_replay *r, uint32_t i)
{
	for (uint32_t j = next(r, i);; j = next(r, j)) {
		uint64_t v = r->slot[j];
		if (v == 0)
			break;
		uint32_t k = home(r, slot_tag(v));
		/* v may fill the hole unless its home lies cyclically in (i, j] */
		bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
		if (!stays) {
			r->slot[i] = v;
			i = j;
		}
	}
	r->slot[i] = 0;
	r->used--;
}

#define UNBOUND T_MASK /* a claim's entry until bound (checked by UUID, like any) */

static uint64_t live_slot(uint64_t tag, uint32_t idx)
{
	return LIVE | tag << TAG_SHIFT | (idx & T_MASK);
}

enum svr_replay_claim svr_replay_claim(struct svr_replay *r, const uint8_t uuid[16], uint32_t now)
{
	uint64_t tag = tag_of(r, uuid);
	enum svr_replay_claim res = SVR_REPLAY_CLAIMED;
	uint32_t reuse;
	rte_spinlock_lock(&r->lock);
	uint32_t at = find(r, tag, now, &reuse);
	if (at != NONE) {
		if (!passed(r->slot[at], now))
			res = SVR_REPLAY_SEEN;
		else
			reuse = at; /* its own memory ran out: it may be live again */
	}
	if (res == SVR_REPLAY_CLAIMED && r->slot[reuse] == 0) {
		if (r->used >= r->limit)
			res = SVR_REPLAY_FULL; /* nothing is evicted to make room */
		else
			r->used++;
	}
	if (res == SVR_REPLAY_CLAIMED) {
		r->slot[reuse] = live_slot(tag, UNBOUND);
		r->live++;
	}
	rte_spinlock_unlock(&r->lock);
	return res;
}

void svr_replay_unclaim(struct svr_replay *r, const uint8_t uuid[16])
{
	uint64_t tag = tag_of(r, uuid);
	rte_spinlock_lock(&r->lock);
	uint32_t at = find(r, tag, 0, NULL);
	if (at != NONE && (r->slot[at] & LIVE)) {
		erase(r, at);
		r->live--;
	}
	rte_spinlock_unlock(&r->lock);
}

bool svr_replay_bind(struct svr_replay *r, const uint8_t uuid[16], uint32_t idx)
{
	uint64_t tag = tag_of(r, uuid);
	bool live = false;
	rte_spinlock_lock(&r->lock);
	uint32_t at = find(r, tag, 0, NULL);
	if (at != NONE && (r->slot[at] & LIVE)) {
		r->slot[at] = live_slot(tag, idx);
		live = true;
	}
	rte_spinlock_unlock(&r->lock);
	return live;
}

uint32_t svr_replay_find(struct svr_replay *r, const uint8_t uuid[16])
{
	uint64_t tag = tag_of(r, uuid);
	uint32_t idx = UINT32_MAX;
	rte_spinlock_lock(&r->lock);
	uint32_t at = find(r, tag, 0, NULL);
	if (at != NONE && (r->slot[at] & LIVE))
		idx = (uint32_t)r->slot[at] & T_MASK;
	rte_spinlock_unlock(&r->lock);
	return idx;
}

bool svr_replay_ended(struct svr_replay *r, const uint8_t uuid[16], uint32_t hold, uint32_t now)
{
	uint64_t tag = tag_of(r, uuid);
	bool was_live = false;
	if (hold > SVR_REPLAY_HOLD_MAX)
		hold = SVR_REPLAY_HOLD_MAX;
	rte_spinlock_lock(&r->lock);
	uint32_t at = find(r, tag, now, NULL);
	if (at != NONE && (r->slot[at] & LIVE)) {
		r->slot[at] = tag << TAG_SHIFT | ((now + hold) & T_MASK);
		r->live--;
		was_live = true;
	}
	rte_spinlock_unlock(&r->lock);
	return was_live;
}

bool svr_replay_seen(struct svr_replay *r, const uint8_t uuid[16], uint32_t now)
{
	uint64_t tag = tag_of(r, uuid);
	rte_spinlock_lock(&r->lock);
	uint32_t at = find(r, tag, now, NULL);
	bool seen = at != NONE && !passed(r->slot[at], now);
	rte_spinlock_unlock(&r->lock);
	return seen;
}

void svr_replay_sweep(struct svr_replay *r, uint32_t now, uint32_t n)
{
	rte_spinlock_lock(&r->lock);
	uint32_t i = r->sweep_at;
	for (uint32_t k = 0; k < n && k < r->n_slots;) {
		uint64_t v = r->slot[i];
		if (v != 0 && passed(v, now)) {
			erase(r, i); /* a later entry may have moved in: look at i again */
		} else {
			i = next(r, i);
			k++;
		}
	}
	r->sweep_at = i;
	rte_spinlock_unlock(&r->lock);
}

void svr_replay_counts(struct svr_replay *r, uint32_t *live, uint32_t *ended)
{
	rte_spinlock_lock(&r->lock);
	*live = r->live;
	*ended = r->used - r->live;
	rte_spinlock_unlock(&r->lock);
}
