/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The replay memory of the SVR egress (docs/svr.md, "Replayed first packets"):
 * the UUIDs of its live sessions, and of ended ones for a while after.
 *
 * The HMAC of a first packet covers neither the waypoint ports (NATs rewrite
 * them) nor, in regular mode, the time, so a captured first packet could open
 * its session again on another tuple. Here a UUID is claimed (live) before its
 * session is made and refused while it is live; when the session ends its UUID
 * is remembered for the hold given then (twice the session's idle timeout), then
 * forgotten. A live UUID also says which session entry is its own, so that a
 * session moving to another peer path is found by its UUID (svr_replay_find).
 *
 * Sized at start to the session table: room for `sessions` live UUIDs and as
 * many ended ones (limit = 2 x sessions). Nothing is ever evicted: a claim
 * when live + remembered reach the limit is refused (SVR_REPLAY_FULL). A
 * session's end never needs room: its slot turns from live to ended in place.
 *
 * One 8-byte slot per UUID, open addressing with linear probing over
 * 5/4 x limit slots (at most 80% full): 20 bytes per session of capacity.
 * A slot: bit 63 live, bits 24-62 a 39-bit tag of the UUID (a keyed hash: two
 * UUIDs with one tag, 1 in 5 x 10^11, count as one), bits 0-23 the session's
 * entry index (live: the table holds at most 2^24 sessions; the caller checks the
 * entry's UUID, as a tag may be another's) or the dataplane second it is
 * remembered until, modulo 2^24 (ended). Ended slots whose time has passed are taken by the next claim on
 * their probe path, and emptied by the sweep (backward shift: no tombstones).
 *
 * Writer model: every operation, reads included, takes the memory's lock.
 * Workers claim (and give back) on the session-creation path and check a UUID
 * when a first packet, or forward metadata naming another UUID, arrives from a
 * peer; the main lcore marks UUIDs ended when their sessions end (ageing,
 * DELETE) and sweeps. The per-packet hit path never touches it.
 */
#ifndef SVR_REPLAY_H
#define SVR_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_spinlock.h>

#define SVR_REPLAY_SLOT_BYTES 8
/* Seconds a hold can say: times are kept modulo 2^24 and compared by the sign of their
 * difference, so a hold must stay under 2^23 s. */
#define SVR_REPLAY_HOLD_MAX 0x7fffffu

struct svr_replay {
	rte_spinlock_t lock;
	uint64_t *slot; /* n_slots of them */
	uint32_t n_slots;
	uint32_t limit;      /* live + ended UUIDs at most */
	uint32_t live, used; /* used: live + ended (passed ones too, until taken or swept) */
	uint32_t sweep_at;   /* the sweep's next slot */
	uint64_t seed;       /* keys the tag hash */
};

enum svr_replay_claim {
	SVR_REPLAY_CLAIMED, /* the UUID is live now */
	SVR_REPLAY_SEEN,    /* live, or ended and still remembered: refused */
	SVR_REPLAY_FULL,    /* the memory is full of live and remembered UUIDs: refused */
};

/* Slots for a table of `sessions` (at least 1): what svr_replay_init needs zeroed. */
uint32_t svr_replay_slots(uint32_t sessions);

/* r over slot[svr_replay_slots(sessions)], all zero; seed: random at start. */
void svr_replay_init(struct svr_replay *r, uint64_t *slot, uint32_t sessions, uint64_t seed);

/* now: the dataplane clock in seconds. The claim names no entry yet (svr_replay_bind). */
enum svr_replay_claim svr_replay_claim(struct svr_replay *r, const uint8_t uuid[16], uint32_t now);
/* Gives a claim back (no session of that UUID was made): forgotten at once. */
void svr_replay_unclaim(struct svr_replay *r, const uint8_t uuid[16]);
/* A live UUID's session is entry idx (< 2^24) now: made, or moved. false: not live. */
bool svr_replay_bind(struct svr_replay *r, const uint8_t uuid[16], uint32_t idx);
/* The entry a live UUID was last bound to (UINT32_MAX: not live; a claim not yet bound names
 * an entry that is not its session: check the entry's UUID). */
uint32_t svr_replay_find(struct svr_replay *r, const uint8_t uuid[16]);
/* Its session ended at now: remembered until now + hold (at most SVR_REPLAY_HOLD_MAX).
 * false: it was not live. */
bool svr_replay_ended(struct svr_replay *r, const uint8_t uuid[16], uint32_t hold, uint32_t now);
/* Live, or ended and still remembered at now. */
bool svr_replay_seen(struct svr_replay *r, const uint8_t uuid[16], uint32_t now);
/* Main lcore: empties the slots, of the next n, whose time has passed. */
void svr_replay_sweep(struct svr_replay *r, uint32_t now, uint32_t n);

/* For display: live UUIDs, and ended ones not yet swept. */
void svr_replay_counts(struct svr_replay *r, uint32_t *live, uint32_t *ended);

#endif
