/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The session table: flow key -> session entry, both directions of a session
 * pointing at one entry of a preallocated array.
 *
 * Writer model (architecture.md, "Who writes what"): ONE shared table, no global lock.
 * - Lookups (the hit path, any worker) are lock-free: a bulk pass over the
 *   burst through our own index (struct svr_session_index: buckets of tagged
 *   slots, the key compared where the session stores it); a key, once placed,
 *   never moves.
 * - Creation (any worker): an entry index from a lock-free stack of free
 *   entries (reserved first, so the limit and the capacity are exact), the
 *   reverse key settled by lock-free probes (NAT and waypoint ports), the entry
 *   filled, then the check and claim of both keys under the short locks of
 *   their two stripes (by home bucket; any worker creating either key takes
 *   the same stripe): if the forward key is there, another worker created the
 *   session (the caller gets its entry); if the reverse key is there, the port
 *   is probed again (NAT) or the session refused; else both keys' slots are
 *   claimed by compare-and-swap, the reverse key's first (so whoever finds the
 *   forward key finds both), and the entry marked live. No lock is held
 *   across a probe, a fill or more than one session.
 * - Deletion (main lcore: ageing, DELETE /sessions) removes both keys without
 *   a lock (a removal cannot make a duplicate: inserts of a key stay
 *   serialised by its stripe); the entry index goes back on the free stack only
 *   after every worker has passed a quiescent state (an RCU defer queue the
 *   main lcore reclaims at housekeeping, svr_session_reclaim, lock-free), so
 *   "awaiting reclaim" counts as used and a reader never sees an entry reused
 *   under it. A key's slot is free again at once: a reader that loaded it
 *   compares the key in the entry, still intact.
 * - Per-entry fields written after creation (counters, last-seen second, TCP
 *   state) are written by the worker that receives that direction; the
 *   last-seen second only when it changes. in_use is stored last (release) by
 *   the creator and read first (acquire) by the main lcore's scans.
 */
#ifndef SVR_FLOW_TABLE_H
#define SVR_FLOW_TABLE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_spinlock.h>

#include "flow/key.h"

enum svr_tcp_state {
	SVR_TCP_NONE,        /* not TCP */
	SVR_TCP_SYN_SENT,    /* half-open */
	SVR_TCP_ESTABLISHED, /* a packet came back */
	SVR_TCP_CLOSING,     /* FIN or RST seen */
	SVR_TCP_ENDED,       /* deleted: no packet moves it any more (a reader may still hold it) */
};

#define SVR_NO_NAME 0xffff /* tenant/service id: none */

/*
 * One session: two cache lines, one per direction (struct svr_session_dir).
 * A hit in a direction reads and writes its own line only: its key (the
 * lookup compares it there), its rewrite, its counters and last-seen second;
 * with symmetric RSS the two directions of a NAT or SVR session are on two
 * workers, and neither writes the other's line per packet. The TCP state is
 * on the reverse line: the reverse direction reads it on every packet (it
 * moves SYN_SENT to ESTABLISHED), the forward one only for a SYN, FIN or RST;
 * it moves a few times a session. What no packet writes and the hit path
 * reads rarely (UUID, names, timeouts, liveness) is in a third, smaller
 * array: struct svr_session_info, by the same index (svr_session_info()).
 */
struct svr_session_dir {
	struct svr_rewrite rw;
	/* IPv4: this direction's key. IPv6: key.src is the slot of the keys in
	 * svr_session_table.keys6 (in both lines). */
	struct svr_skey4 key;
	uint64_t pkts, bytes;         /* by the worker receiving this direction */
	_Atomic uint32_t last_seen_s; /* dataplane clock; written only when the second changes */
	uint8_t proto;                /* the session's (the same in both lines) */
	_Atomic uint8_t tcp_state;    /* reverse line only: svr_session_tcp_state() */
	/* SVR payload encryption: key-ring slot and id bits (svrpath/keys.c), 0 none; both lines */
	uint16_t payload_key;
} __attribute__((aligned(64)));

struct svr_session {
	struct svr_session_dir dir[2];
};
_Static_assert(sizeof(struct svr_session_dir) == 64, "a direction is one cache line");
_Static_assert(sizeof(struct svr_session) == 128, "a session entry is two cache lines");
_Static_assert(offsetof(struct svr_session, dir[SVR_DIR_FWD].pkts) / 64 !=
		       offsetof(struct svr_session, dir[SVR_DIR_REV].pkts) / 64 &&
		   offsetof(struct svr_session, dir[SVR_DIR_FWD].bytes) / 64 !=
		       offsetof(struct svr_session, dir[SVR_DIR_REV].bytes) / 64 &&
		   offsetof(struct svr_session, dir[SVR_DIR_FWD].last_seen_s) / 64 !=
		       offsetof(struct svr_session, dir[SVR_DIR_REV].last_seen_s) / 64,
	       "the counters of the two directions are on different cache lines");
_Static_assert(offsetof(struct svr_session, dir[SVR_DIR_FWD].rw) / 64 ==
		       offsetof(struct svr_session, dir[SVR_DIR_FWD].pkts) / 64 &&
		   offsetof(struct svr_session, dir[SVR_DIR_FWD].key) / 64 ==
		       offsetof(struct svr_session, dir[SVR_DIR_FWD].pkts) / 64,
	       "a direction's key, rewrite and counters share its line");

/*
 * What a session's packets do not write: 32 bytes by entry index. tenant and
 * service are ids of the dataplane's name registry (stable across policy
 * generations), not image indices. While the entry is free, its first four
 * bytes link the free entries (struct svr_free_stack).
 */
struct svr_session_info {
	uint8_t uuid[16];
	uint32_t created_s;
	uint16_t idle_s;      /* idle timeout: established TCP, UDP, ICMP, other */
	uint16_t handshake_s; /* TCP until established */
	uint16_t closing_s;   /* TCP after FIN or RST */
	uint16_t tenant, service;
	/* times the session moved to another peer path (svr_session_move4), modulo 256: the
	 * ingress's Modify Request sequence, the egress's last one accepted */
	uint8_t moves;
	_Atomic uint8_t in_use; /* 0 free, else SVR_LIVE | SVR_LIVE_V6? | SVR_LIVE_MOVED? */
};
_Static_assert(sizeof(struct svr_session_info) == 32, "a session's info is 32 bytes");

/*
 * What telemetry and "why" need of a session and its packets never touch: 4 bytes by entry
 * index (svr_session_note()). Written by the worker that creates the session (rule, in_iface)
 * and by the main lcore's ageing (interims).
 */
struct svr_session_note {
	uint16_t rule;    /* the access rule that admitted it: an id of dp_sess.rules, or none */
	uint8_t in_iface; /* the interface slot its first packet came in by */
	uint8_t interims; /* interim IPFIX records made, modulo 256 */
};
_Static_assert(sizeof(struct svr_session_note) == 4, "a session's note is 4 bytes");

#define SVR_LIVE       0x1  /* in_use: the entry is a session's (its keys may be published) */
#define SVR_LIVE_V6    0x2  /* its keys are in the IPv6 index */
#define SVR_LIVE_MOVED 0x4  /* moved: a successor holds the session, this one drains */
#define SVR_LIVE_STALE 0x8  /* carries nothing more: ends at the next ageing pass over it */
#define SVR_LIVE_ALIAS 0x10 /* a second leg (svr_session_alias4): ends with its session only */

/* Marks a live session stale (any thread); a deleted one stays deleted. */
static inline void svr_session_make_stale(struct svr_session_info *info)
{
	uint8_t v = atomic_load_explicit(&info->in_use, memory_order_relaxed);
	while ((v & SVR_LIVE) && !(v & SVR_LIVE_STALE) &&
	       !atomic_compare_exchange_weak_explicit(&info->in_use, &v, v | SVR_LIVE_STALE,
						      memory_order_relaxed, memory_order_relaxed))
		;
}

static inline bool svr_session_stale(const struct svr_session_info *info)
{
	return atomic_load_explicit(&info->in_use, memory_order_relaxed) & SVR_LIVE_STALE;
}

/* 4 or 6: which index holds a live session's keys. */
static inline int svr_session_family(const struct svr_session_info *info)
{
	return atomic_load_explicit(&info->in_use, memory_order_relaxed) & SVR_LIVE_V6 ? 6 : 4;
}

/* A live entry that is the session's current one (not a moved one draining). */
static inline bool svr_session_current(const struct svr_session_info *info)
{
	return (atomic_load_explicit(&info->in_use, memory_order_acquire) &
		(SVR_LIVE | SVR_LIVE_MOVED | SVR_LIVE_ALIAS)) == SVR_LIVE;
}

/* A direction's rewrite (const or not, as s is). */
#define svr_session_rw(s, d) (&(s)->dir[(d)].rw)
/* The TCP state (enum svr_tcp_state): on the reverse direction's line. */
#define svr_session_tcp_state(s) (&(s)->dir[SVR_DIR_REV].tcp_state)

static inline uint8_t svr_session_proto(const struct svr_session *s)
{
	return s->dir[SVR_DIR_FWD].proto;
}

/* Read from the packet's own direction's line (both hold it): the hit path touches no other. */
static inline uint16_t svr_session_payload_key(const struct svr_session *s, enum svr_sdir dir)
{
	return s->dir[dir].payload_key;
}

/* The last second a packet went either way. */
static inline uint32_t svr_session_last_seen(const struct svr_session *s)
{
	uint32_t f = atomic_load_explicit(&s->dir[SVR_DIR_FWD].last_seen_s, memory_order_relaxed);
	uint32_t r = atomic_load_explicit(&s->dir[SVR_DIR_REV].last_seen_s, memory_order_relaxed);
	return (int32_t)(f - r) > 0 ? f : r;
}

/*
 * The index of one address family: 64-byte buckets of SVR_BUCKET_SLOTS slots
 * {7-bit tag from the key's hash | 25-bit data: entry index << 1 | direction},
 * 0 when empty, and a count of keys homed in this bucket but stored in a later
 * one (a lookup goes on to the next bucket only while it is not zero). Keys
 * are never moved once placed, so a reader never misses a live key; the key
 * itself is compared where the session stores it (its direction's line; an
 * IPv6 key in svr_session_table.keys6).
 */
#define SVR_BUCKET_SLOTS 15
struct svr_bucket {
	uint32_t slot[SVR_BUCKET_SLOTS];
	uint32_t overflow;
} __attribute__((aligned(64)));

struct svr_session_index {
	struct svr_bucket *b;
	uint32_t n_buckets;
};

/* A lock-free stack of free indices (entries, IPv6 key slots), threaded through next[i * stride].
 */
struct svr_free_stack {
	_Atomic uint64_t head;   /* ABA count << 32 | (index + 1), 0: empty */
	_Atomic uint32_t n_free; /* reserved by decrementing before popping */
	uint32_t stride;
	uint32_t *next;
};

#define SVR_KEY4_WORDS (sizeof(struct svr_skey4) / 4)
#define SVR_KEY6_WORDS (sizeof(struct svr_skey6) / 4)

struct svr_session_table {
	struct svr_session_index ix4, ix6;
	uint64_t seed[1 + SVR_KEY6_WORDS]; /* the keys' hash (table.c key_hash): secret */
	struct svr_session *entries;
	struct svr_session_info *info;  /* by entry */
	struct svr_session_note *notes; /* by entry */
	struct svr_skey6 (*keys6)[2];   /* by IPv6 key slot */
	uint32_t capacity;
	uint32_t capacity6;      /* IPv6 sessions at most (their keys have slots of their own) */
	uint32_t n_stripes;      /* locks: a power of two */
	rte_spinlock_t *stripes; /* check and claim of a key, by its home bucket */
	_Atomic uint64_t leaked; /* sessions a worker could not queue for reclaim (never, so far) */
	_Atomic uint32_t high_water; /* entries [0, high_water) have been used: scans stop there */
	size_t bytes;                /* memory the table took at creation (index, entries, queue) */
	struct rte_rcu_qsbr_dq *dq;  /* deleted sessions awaiting their grace period */
	struct rte_rcu_qsbr *qs;
	/* free entries and IPv6 key slots: popped by workers creating, pushed after reclaim */
	_Alignas(64) struct svr_free_stack free_entries;
	_Alignas(64) struct svr_free_stack free_keys6;
	/* entries in SVR_TCP_SYN_SENT (svr_session_tcp_move): written by workers as TCP
	 * sessions open and answer, on a line of its own so the fields every lookup reads stay
	 * shared */
	_Alignas(64) _Atomic uint32_t half_open;
};

/* What a session's packets do not write (UUID, names, timeouts, liveness). */
static inline struct svr_session_info *svr_session_info(const struct svr_session_table *t,
							const struct svr_session *s)
{
	return &t->info[s - t->entries];
}

/* A session's note, by its info record (the fill callbacks have that). */
static inline struct svr_session_note *svr_session_note(const struct svr_session_table *t,
							const struct svr_session_info *info)
{
	return &t->notes[info - t->info];
}

struct rte_rcu_qsbr;
/*
 * name: unique in the process (at most 20 characters). capacity: sessions;
 * capacity6: how many of them may be IPv6. qs: the workers' RCU variable.
 */
struct svr_session_table *svr_session_table_create(const char *name, uint32_t capacity,
						   uint32_t capacity6, struct rte_rcu_qsbr *qs);
void svr_session_table_free(struct svr_session_table *t);

/*
 * The half-open count is the number of entries in SVR_TCP_SYN_SENT, kept by
 * moving the state only with compare-and-swap (or, on deletion, exchange):
 * of the workers seeing a session's packets and the main lcore ending it, one
 * party wins each move, and only the winner counts it. Entering SYN_SENT
 * raises the count before the move becomes visible (undone when the move is
 * lost), leaving lowers it after, so whoever sees SYN_SENT sees a count that
 * includes it: the count never goes below the entries in SYN_SENT, never
 * below zero. A deleted entry is SVR_TCP_ENDED, which nothing leaves: a
 * worker still holding it cannot make it half-open again.
 */
static inline bool svr_session_tcp_move(struct svr_session_table *t, struct svr_session *s,
					uint8_t from, uint8_t to)
{
	if (to == SVR_TCP_SYN_SENT)
		atomic_fetch_add_explicit(&t->half_open, 1, memory_order_relaxed);
	uint8_t seen = from;
	bool won = atomic_compare_exchange_strong_explicit(
	    svr_session_tcp_state(s), &seen, to, memory_order_acq_rel, memory_order_relaxed);
	if (won ? from == SVR_TCP_SYN_SENT : to == SVR_TCP_SYN_SENT)
		atomic_fetch_sub_explicit(&t->half_open, 1, memory_order_relaxed);
	return won;
}

/* A TCP session's state after a packet with tcp_flags in direction dir (hit path). */
static inline void svr_session_tcp_packet(struct svr_session_table *t, struct svr_session *s,
					  enum svr_sdir dir, uint8_t tcp_flags)
{
	/* forward: only a SYN, FIN or RST can move the state (the reverse line stays shared) */
	if (dir == SVR_DIR_FWD && !(tcp_flags & (SVR_TCP_SYN | SVR_TCP_FIN | SVR_TCP_RST)))
		return;
	uint8_t st = atomic_load_explicit(svr_session_tcp_state(s), memory_order_relaxed);
	uint8_t next = st;
	bool syn =
	    (tcp_flags & (SVR_TCP_SYN | SVR_TCP_ACK | SVR_TCP_RST | SVR_TCP_FIN)) == SVR_TCP_SYN;
	if (st == SVR_TCP_ENDED)
		return;
	if (st == SVR_TCP_CLOSING)
		/* The client opens a new connection on the same ports: half-open again. */
		next = syn && dir == SVR_DIR_FWD ? SVR_TCP_SYN_SENT : st;
	else if (tcp_flags & (SVR_TCP_FIN | SVR_TCP_RST))
		next = SVR_TCP_CLOSING;
	else if (st == SVR_TCP_SYN_SENT && dir == SVR_DIR_REV)
		next = SVR_TCP_ESTABLISHED;
	if (next != st)
		svr_session_tcp_move(t, s, st, next);
}

/* Data stored with a key: entry index << 1 | direction. */
static inline uint32_t svr_sess_idx(uintptr_t data)
{
	return (uint32_t)(data >> 1);
}

static inline enum svr_sdir svr_sess_dir(uintptr_t data)
{
	return (enum svr_sdir)(data & 1);
}

/* Hit path: bulk lookup; hits[i] = data or UINT64_MAX on a miss. Returns the number of hits. */
unsigned svr_session_lookup4(const struct svr_session_table *t, const struct svr_skey4 **keys,
			     unsigned n, uint64_t *hits);
unsigned svr_session_lookup6(const struct svr_session_table *t, const struct svr_skey6 **keys,
			     unsigned n, uint64_t *hits);

/* Creation path: one lookup (data as for a hit, or UINT64_MAX). */
uint64_t svr_session_find4(const struct svr_session_table *t, const struct svr_skey4 *key);
uint64_t svr_session_find6(const struct svr_session_table *t, const struct svr_skey6 *key);

/*
 * How a new session may be placed. limit: live sessions (plus those awaiting
 * reclaim) allowed, at most the capacity. With nat_hi != 0 the 16-bit field
 * at nat_port_off in the reverse key is a source-NAT port to choose in
 * [nat_lo, nat_hi] such that the reverse key is not in use (a live mapping is
 * never handed out twice): the port already there (the sender's own) if it
 * is free, else probing from a hash of the forward key. Without, a reverse
 * key already in use refuses.
 */
struct svr_session_place {
	uint32_t limit;
	uint16_t nat_lo, nat_hi;
	uint16_t nat_port_off;
	/*
	 * SVR waypoint ports (svr-protocol.md §3.1): with waypoint_pair the port
	 * at nat_port_off is even (our side, in [nat_lo, nat_hi]) and the one at
	 * pair_port_off odd (the peer's, in [pair_lo, pair_hi], which must hold
	 * an odd port), both chosen here; nat_lo and nat_hi must be even.
	 */
	bool waypoint_pair;
	uint16_t pair_port_off;
	uint16_t pair_lo, pair_hi;
	/* mixed into where the probe for a pair starts: a session that moves again takes another
	 * pair than last time (the peer may still hold the old one: its entry drains) */
	uint32_t pair_salt;
};

/*
 * Creation path: takes a free entry, settles the reverse key (rev, updated in
 * place), lets fill() complete the entry, publishes both keys. Returns the
 * entry index; or the index of an entry another worker created for the same
 * forward key meanwhile (*existing = true: the key may be that entry's
 * reverse key, look it up for the direction); or -ENOSPC (table, IPv6 share
 * or limit full), -ENOBUFS (no free index slot within the 64 buckets from a
 * key's home: practically never at the index's load, whose seeds are secret),
 * -EADDRINUSE (no free NAT port), -EEXIST (reverse key in use, or the same
 * as the forward key: source = destination). On an error no session is
 * made; the one trace: when the index had room for the reverse key but not
 * the forward one, the entry goes back only after a grace period, as a
 * deleted session's.
 */
typedef void (*svr_session_fill_fn)(struct svr_session *s, struct svr_session_info *info,
				    void *arg);
int64_t svr_session_create4(struct svr_session_table *t, const struct svr_skey4 *fwd,
			    struct svr_skey4 *rev, const struct svr_session_place *place,
			    svr_session_fill_fn fill, void *arg, bool *existing);
int64_t svr_session_create6(struct svr_session_table *t, const struct svr_skey6 *fwd,
			    struct svr_skey6 *rev, const struct svr_session_place *place,
			    svr_session_fill_fn fill, void *arg, bool *existing);

/*
 * Moving a live IPv4 session to another peer path (docs/paths.md "Migration"): a
 * successor entry takes over. Movers: the ingress's main lcore; at the egress the
 * worker receiving the new tuple (two new tuples may reach two workers at once: the
 * compare-and-swap below lets one of them move the session, the other gets -ESTALE).
 * - The successor starts as a copy of the old entry (rewrites, counters, TCP
 *   state, UUID, names, timeouts); the key of direction keep stays, the other is
 *   *other, settled as svr_session_create4 settles a reverse key (place: waypoint
 *   ports) and written back; fill(s, info, arg) then edits the copy.
 * - Published under both keys' stripe locks: the other key inserted, the old entry
 *   marked SVR_LIVE_MOVED (compare-and-swap from SVR_LIVE: fails if the main lcore
 *   deleted or another mover moved it), then the kept key's slot re-pointed to the
 *   successor in one compare-and-swap. A reader that loaded the slot before uses
 *   the old entry, intact until its grace period: one more packet the old way.
 * - The old entry keeps its other key (packets still in flight on the old tuple
 *   reach it) and times out drain_s after its last packet; the main lcore ends it
 *   as moved (no limit or replay bookkeeping: the session lives on).
 * Returns the successor's index, or -ESTALE (old is not a current live IPv4
 * session), -ENOSPC, -EADDRINUSE, -EEXIST (the other key is in use), -ENOBUFS.
 */
int64_t svr_session_move4(struct svr_session_table *t, uint32_t old, enum svr_sdir keep,
			  struct svr_skey4 *other, const struct svr_session_place *place,
			  svr_session_fill_fn fill, void *arg, uint16_t drain_s);

/*
 * A duplicated session's second leg (docs/paths.md "Duplication"): an entry that copies live
 * session `of` and publishes only its key of direction `dir`, *key (settled as a reverse key
 * is by svr_session_create4 with place, and written back); fill() edits the copy. Its other
 * key is the session's own, not published: the session's packets in that direction find the
 * session, which sends the second copy through this entry's rewrite. *link (UINT32_MAX while
 * the session has none) names it once published: a session has one second leg, and one whose
 * session ended meanwhile is unpublished again. Marked SVR_LIVE_ALIAS: no ageing of its own,
 * the main lcore ends it with its session (after svr_session_delete of the session, it reads
 * *link). Any thread on the creation path. Returns its index, or -ESTALE (of is not a current
 * live IPv4 session, or has a second leg already), -ENOSPC, -EADDRINUSE, -EEXIST, -ENOBUFS.
 */
int64_t svr_session_alias4(struct svr_session_table *t, uint32_t of, enum svr_sdir dir,
			   struct svr_skey4 *key, const struct svr_session_place *place,
			   svr_session_fill_fn fill, void *arg, _Atomic uint32_t *link);

/*
 * Main lcore: unpublishes both keys (those still pointing at it); the entry is
 * reused after a grace period. A TCP session ends (SVR_TCP_ENDED), leaving the
 * half-open count if it was in it. Returns the entry's in_use before (0 when it
 * was not live: already deleted).
 */
uint8_t svr_session_delete(struct svr_session_table *t, uint32_t idx);

/* Main lcore: the two keys of a live session (family says which type). */
int svr_session_keys(const struct svr_session_table *t, uint32_t idx, const void **fwd,
		     const void **rev);

/* Main lcore, housekeeping: frees what every worker has stopped seeing. */
void svr_session_reclaim(struct svr_session_table *t);

/* Entries free right now (awaiting reclaim counts as used). */
uint32_t svr_session_free_count(const struct svr_session_table *t);

#endif
