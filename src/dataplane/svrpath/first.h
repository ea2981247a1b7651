/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The first packets of SVR sessions (first.c, docs/svr.md): a first packet
 * from a peer read before the egress creates anything, the forward context
 * the egress keeps for its reverse metadata, and the UUIDs of egress sessions
 * claimed against replayed first packets (the replay memory, replay.h).
 */
#ifndef SVR_PATH_FIRST_H
#define SVR_PATH_FIRST_H

#include <stddef.h>
#include <stdint.h>

#include "svr/counters.h"
#include "svr/metadata.h"

struct dp_gen;
struct dp_worker;
struct svr_session;

/* How long an ended egress session's UUID is refused: time-based HMAC (a first packet is valid
 * a few seconds), otherwise twice its idle timeout, at least twice SVR_REPLAY_MIN_S */
#define SVR_REPLAY_TIMED_S 10
#define SVR_REPLAY_MIN_S   180

/*
 * Egress, before anything is created: verifies the HMAC trailer of a first
 * packet from a peer (when its path's policy signs) and decodes its metadata,
 * decrypting the payload section apart (the packet stays as it came: the hit
 * path strips it); refuses the UUID of a session that is live or ended here,
 * unless the metadata asks to move it (Modify Request, TLV 28: the caller
 * decides). Returns SVR_DROP_MAX with md, else the reason to drop.
 */
enum svr_drop_reason dp_svr_read_first(struct dp_worker *w, const struct dp_gen *g, uint16_t slot,
				       const uint8_t *ip, size_t l4_off, struct svr_md *md);

/* Egress, creating a session whose own NAT changes the original tuple: keeps the forward
 * context it arrived with, so that the reverse metadata mirrors it (O-6). */
void dp_svr_keep_fwd_ctx(uint32_t idx, const uint8_t uuid[16], const struct svr_md_ctx *c);
/* Egress, a session of uuid moved from entry from to entry to, or took entry to as its second
 * leg: the context kept for entry from goes to entry to as well. */
void dp_svr_copy_fwd_ctx(uint32_t from, uint32_t to, const uint8_t uuid[16]);
/* The forward context kept for entry idx (session uuid), as it arrived: false when none is
 * (no NAT at this egress) or its slot moved on. Any lcore. */
bool dp_svr_fwd_ctx_of(uint32_t idx, const uint8_t uuid[16], struct svr_md_ctx *c);

/*
 * The UUIDs of egress sessions, against replayed first packets (replay.h):
 * claimed when a session is made (creation path), marked ended when it ends
 * (main lcore, before the entry goes); dp_svr_read_first and forward metadata
 * naming another UUID on a session refuse one that is live or remembered
 * (svr-replayed). Never on the hit path.
 */
/* How long a UUID is remembered after its session ends, for a session on path slot `slot` of
 * g made with idle timeout idle_s. */
uint32_t dp_svr_replay_hold_s(const struct dp_gen *g, uint16_t slot, uint32_t idle_s);
/* Creation path, before an egress session is made: SVR_DROP_MAX when the UUID was neither live
 * nor remembered and is live now (under one lock: of two first packets with one UUID, on two
 * workers, one passes); else svr-replayed, or svr-replay-full when the memory is full (nothing
 * is evicted). dp_svr_uuid_bind names its session once made (or moved);
 * dp_svr_uuid_unclaim gives it back when no session of that UUID came of it. */
enum svr_drop_reason dp_svr_uuid_claim(const uint8_t uuid[16]);
void dp_svr_uuid_bind(const uint8_t uuid[16], uint32_t idx);
void dp_svr_uuid_unclaim(const uint8_t uuid[16]);
/* The entry of the live egress session of uuid (its current one), or UINT32_MAX. */
uint32_t dp_svr_uuid_session(const uint8_t uuid[16]);
/* Main lcore: session s ends; an egress session's UUID is remembered for its hold (from the
 * idle timeout it was made with, and its path's HMAC mode now). */
void dp_svr_session_ending(const struct svr_session *s);
/* Main lcore, housekeeping: forgets UUIDs whose time passed (every slot about once a second). */
void dp_svr_replay_sweep(uint64_t elapsed_ms);
/* The replay memory's bytes (sized at start to the session table). */
size_t dp_svr_replay_bytes(void);

#endif
