/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Extension state of the few sessions that need more than their entry holds: duplicated
 * sessions (the second leg, the duplicate window), and sessions with a DSCP mark or a rate limit
 * (session/limits.h). The entry's two lines and its info record are full, and a byte more per
 * session would cost every session of the table, so these sessions take a slot of a small fixed
 * pool instead (sessions.extension-slots).
 *
 * How a session reaches its slot: each direction's rewrite carries SVR_RW2_EXT and, in place of
 * its next-hop slot (struct svr_rewrite.via), the ext slot; the direction's own next hop is in
 * the slot's line for that direction (dp_ext_via). The flag and the slot are set before the
 * entry is published and never change, so a reader sees both or neither. Sessions without the
 * flag pay nothing: the flag sits in the byte the hit path reads anyway (rw->svr).
 *
 * Who writes what: a slot's line of a direction is written per packet by the worker receiving
 * that direction (the packet numbers a duplicated direction stamps, a rate-limited one's
 * bucket; a duplicated session's two legs, or a moved session's draining entry, may reach two
 * workers: docs/paths.md "Rate limits" says what that costs); the rest is set by the creating
 * worker before the session is published, except `alias` (the second leg's entry, linked once
 * by svr_session_alias4). Slots are taken by workers (creation path) and given back by the main
 * lcore when the session ends, after a hold (a moved session's draining entry still names its
 * slot) and a grace period.
 */
#ifndef SVR_SESSION_EXT_H
#define SVR_SESSION_EXT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/dedupe.h"
#include "common/tbucket.h"
#include "flow/key.h"
#include "flow/table.h"

#define DP_EXT_NONE  0xffff /* no slot / no duplicate window / no limit slot */
#define DP_DSCP_KEEP 0xff   /* dscp: the packets keep theirs */

/* dp_ext_line.limits: what this direction's packets go through (session/limits.h) */
#define DP_EXT_RATE     0x1 /* the session's own bucket (policy session-rate-bps) */
#define DP_EXT_AGG      0x2 /* the policy's aggregate bucket (aggregate-rate-bps) */
#define DP_EXT_DEGRADED 0x4 /* the class's bucket while its peer is degraded */

struct dp_ext_line {
	uint16_t via;     /* this direction's next-hop slot (SVR_VIA_FIB: the FIB) */
	uint16_t dup_seq; /* toward the peer, duplicated: the last packet number stamped */
	uint16_t dedupe;  /* from the peer, duplicated: the duplicate window, or DP_EXT_NONE */
	uint8_t dscp;     /* the DSCP the router sends this direction's packets with, or KEEP */
	uint8_t limits;   /* DP_EXT_RATE | DP_EXT_AGG | DP_EXT_DEGRADED */
	union {
		/* toward the peer: the entry whose same direction leaves on the second leg
		 * (UINT32_MAX: none, yet; svr_session_alias4 links it) */
		_Atomic uint32_t alias;
		/* from the peer, duplicated (a window): the session's own entry, whose TCP state
		 * a second leg's arrivals move */
		uint32_t owner;
	};
	uint16_t agg_slot;      /* DP_EXT_AGG: the policy's limit slot */
	uint16_t degraded_slot; /* DP_EXT_DEGRADED: the class's limit slot */
	uint16_t peer;          /* DP_EXT_DEGRADED: the peer whose degraded mode limits it */
	uint16_t pad;
	struct svr_tbucket tb; /* DP_EXT_RATE: written per packet by this direction's worker */
} __attribute__((aligned(64)));
_Static_assert(sizeof(struct dp_ext_line) == 64, "an ext line is one cache line");

struct dp_sess_ext {
	struct dp_ext_line dir[2];
};

/* Startup (main lcore): the pools (slots <= 65,534, windows <= slots); 0, or -1 logged. */
int dp_ext_init(uint32_t slots, uint32_t windows);
void dp_ext_free(void);
/* Bytes the pools take (in the sessions' memory-bytes). */
size_t dp_ext_bytes(void);

/* Creation path: a zeroed slot (vias SVR_VIA_FIB, no window, no alias), or DP_EXT_NONE when the
 * pool is empty. */
uint16_t dp_ext_take(void);
/* Creation path, before the entry is published: the session's directions reach slot x
 * (SVR_RW2_EXT), their next hops moved into its lines. */
void dp_ext_fill(struct svr_session *s, uint16_t x);
/* Creation path: a duplicate window for slot x's direction d (cleared). false: none left. */
bool dp_ext_take_dedupe(uint16_t x, enum svr_sdir d);
/* A creation that did not happen: the slot (and its windows) back at once (never published). */
void dp_ext_give_back(uint16_t x);
/* Main lcore, a session with slot x ended: the slot goes back after the grace period. */
void dp_ext_release(uint16_t x);
/* Main lcore, housekeeping: slots whose grace period passed go back. */
void dp_ext_reclaim(void);

/* A duplicated session's second-leg entry, from its forward rewrite (UINT32_MAX: none).
 * Sequentially consistent (the main lcore reads it after deleting the session:
 * svr_session_alias4). */
uint32_t dp_ext_second_leg(const struct svr_rewrite *fw);

extern struct dp_sess_ext *dp_ext_slots;
extern struct svr_dedupe *dp_ext_windows;

static inline struct dp_ext_line *dp_ext_line(uint16_t x, enum svr_sdir d)
{
	return &dp_ext_slots[x].dir[d];
}

/* The ext slot of a direction's rewrite, or DP_EXT_NONE. */
static inline uint16_t dp_ext_of(const struct svr_rewrite *rw)
{
	return (rw->svr & SVR_RW2_EXT) ? rw->via : DP_EXT_NONE;
}

/* The next-hop slot a direction really uses. */
static inline uint16_t dp_ext_via(const struct svr_rewrite *rw, enum svr_sdir d)
{
	return (rw->svr & SVR_RW2_EXT) ? dp_ext_slots[rw->via].dir[d].via : rw->via;
}

#endif
