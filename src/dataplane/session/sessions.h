/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Sessions in the dataplane (the table itself: flow/table.h): what each
 * policy generation says about new sessions, the creation path, ageing and
 * the operator's view.
 *
 * Who writes what:
 * - workers: create sessions (creation path, no global lock: flow/table.h),
 *   update per-direction counters, last-seen and TCP state of hits (which moves
 *   the table's half-open count); bump the per-tenant and per-source counters
 *   (atomics); claim an SVR egress session's UUID in the replay memory before
 *   making it (svrpath/replay.h, under its own lock).
 * - main lcore: ticks the clock, ages and deletes sessions (an SVR egress
 *   session's UUID then held as ended in the replay memory, which it sweeps),
 *   reclaims, builds each generation's session policy, owns the name
 *   registries and next-hop slots, answers the control socket.
 */
#ifndef SVR_SESSIONS_H
#define SVR_SESSIONS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "common/inet.h"
#include "core/config.h"
#include "flow/flow.h"
#include "flow/state.h"
#include "flow/table.h"
#include "svr/image.h"

struct dp_gen;
struct dp_worker;
struct rte_mbuf;

/* Startup (main lcore, before workers run). */
int dp_sessions_init(uint32_t capacity, uint32_t capacity6);
void dp_sessions_free(void);

/* Per generation (main lcore): 0, or -1 with err. */
int dp_session_policy_build(struct dp_gen *g, const void *img, const uint16_t *slot_of, char *err,
			    size_t errlen);
void dp_session_policy_free(struct dp_session_policy *p);
/* The image index of the service (SVR_SEC_SERVICES) or tenant (SVR_SEC_TENANTS) of this name in
 * g's generation, or UINT32_MAX. Worker-safe: reads the generation only. */
uint32_t dp_session_policy_find(const struct dp_gen *g, enum svr_img_section sec, const char *name);

/* Outcome of a first packet that missed the table. */
enum dp_first {
	DP_FIRST_SESSION,  /* created or found: *data as a hit's (entry index << 1 | direction) */
	DP_FIRST_LOCAL,    /* for the router itself: the slow path answers */
	DP_FIRST_DROP,     /* *why */
	DP_FIRST_REFUSE,   /* *why; the slow path answers ICMP administratively prohibited */
	DP_FIRST_NO_ROUTE, /* admitted, but nothing routes it: the slow path answers unreachable */
	DP_FIRST_NOT_SVR,  /* (internal) a packet for us that carries no SVR metadata */
	DP_FIRST_PATHS,    /* for us, to UDP 1280: peer-path liveness (paths.h) takes it */
};

/*
 * Creation path (worker). ip: the IP header; f: its flow. A packet whose
 * session an earlier packet of the same burst created is found first.
 */
enum dp_first dp_session_first4(struct dp_worker *w, const struct dp_gen *g, struct rte_mbuf *m,
				const uint8_t *ip, struct svr_flow4 *f, uint64_t *data,
				enum svr_drop_reason *why);
enum dp_first dp_session_first6(struct dp_worker *w, const struct dp_gen *g, struct rte_mbuf *m,
				const uint8_t *ip, struct svr_flow6 *f, uint64_t *data,
				enum svr_drop_reason *why);

/*
 * Live sessions moving to another path to their peer (session/migrate.c, docs/paths.md).
 * dp_sessions_migrate: main lcore, every turn of its loop: the ingress sweep, a slice at a
 * time; true while a pass is under way (the loop should not sleep).
 * dp_session_rebind4: egress, creation path, for a first packet from peer path slot whose
 * metadata md carries a Modify Request: re-binds the live session of its UUID to the tuple k
 * it arrived on. DP_FIRST_NOT_SVR when no session of that UUID is live here (the caller makes
 * one, or refuses a remembered UUID); else the outcome as for any first packet.
 */
bool dp_sessions_migrate(uint64_t now_ms);
/*
 * An entry's rewrites for path slot, its keys as they stand (the ingress's reverse key, the
 * egress's forward key: the new waypoint pair): addresses, ports, deltas and flags as a new
 * session on that path has them, its metadata handshake again (creation path, on a copy not
 * yet published: svr_session_move4, svr_session_alias4).
 */
void dp_session_repath_ingress4(struct svr_session *s, const struct dp_gen *g, uint16_t slot);
void dp_session_repath_egress4(struct svr_session *s, const struct dp_gen *g, uint16_t slot);
/* Whether metadata md names (TLV 19, signed) the neighborhood of path slot. */
struct svr_md;
bool dp_session_md_names_path(const struct svr_md *md, uint16_t slot);
enum dp_first dp_session_rebind4(struct dp_worker *w, const struct dp_gen *g, uint16_t slot,
				 const struct svr_skey4 *k, const struct svr_md *md, uint64_t *data,
				 enum svr_drop_reason *why);

/*
 * Duplicated sessions (session/duplicate.c, docs/paths.md "Duplication"), creation path:
 * dp_dup_take: an ext slot with a duplicate window for the from-peer direction, or DP_EXT_NONE
 * (counted: the session is made without duplication); dp_dup_fill: fill4's part (the slot in
 * both rewrites, their next hops in it); dp_dup_second_leg: the ingress's second leg of session
 * idx on path slot; dp_dup_add_leg4: the egress's, for a first packet on tuple k from path slot
 * naming live session idx (the outcome as for any first packet).
 */
uint16_t dp_dup_take(struct dp_worker *w, enum svr_sdir from_peer);
void dp_dup_fill(struct svr_session *s, uint16_t x);
void dp_dup_second_leg(struct dp_worker *w, const struct dp_gen *g, uint32_t idx, uint16_t slot);
enum dp_first dp_dup_add_leg4(struct dp_worker *w, const struct dp_gen *g, uint16_t slot,
			      uint32_t idx, const struct svr_skey4 *k, const uint8_t uuid[16],
			      uint64_t *data, enum svr_drop_reason *why);

/*
 * Where a session of service svc to dst leaves, and how its addresses change: destination NAT
 * (the service's nat-target, IPv4 only: svr-nat-family otherwise), the interface it leaves by
 * (or DP_EGRESS_NO_ROUTE, DP_EGRESS_LOCAL) and that interface's source NAT
 * (its first IPv4 address, network order; 0 none). The creation path's decision, and why's
 * (session/why.c). SVR_DROP_MAX, or the reason to drop.
 */
#define DP_EGRESS_NO_ROUTE (-1) /* dp_session_egress's iface: nothing routes it */
#define DP_EGRESS_LOCAL    (-2) /* for the router itself */
struct dp_session_egress {
	struct svr_ip dst; /* after destination NAT */
	int iface;         /* an interface slot, or DP_EGRESS_* */
	uint32_t source_nat;
	/* the kernel table whose route it takes: the tenant's (table_slot) when it has one, else
	 * the main table (254; the policy's routes too); 0 for a next-hop service route */
	uint32_t table;
};
/* table_slot: the session's tenant's kernel table (l2l3/tfib.h), or DP_TFIB_NONE. */
enum svr_drop_reason dp_session_egress(const struct dp_gen *g, const struct dp_svc_policy *svc,
				       uint8_t table_slot, const struct svr_ip *dst,
				       struct dp_session_egress *e);
/* The refusals of an admitted first packet's route, before any limit: a peer route without a
 * path or for IPv6 (SVR carries IPv4), a degraded peer that blocks the service. SVR_DROP_MAX
 * when it may go on. */
enum svr_drop_reason dp_session_route_check(const struct dp_svc_policy *svc, uint8_t family);
/*
 * The peer path a new session of the service takes: the main lcore's choice (paths/choice.c),
 * the best-ranked usable path that meets the SLA, or the best usable one when none does and the
 * policy allows best effort; DP_NO_SVR_PATH when none meets it and best effort is off. When no
 * path is usable, one whose BFD is up (in its hold-down), else the best one all the same:
 * nothing is known to work, and a path whose BFD has not come up yet (a router just started, a
 * peer without BFD) must not refuse sessions.
 */
uint16_t dp_session_path_for_new(const struct dp_svc_policy *s);

/* Main lcore, every housekeeping tick: clock, ageing slice, reclaim. */
void dp_sessions_housekeeping(uint64_t now_ms);
#ifdef SVR_TEST_HOOKS
/* Test builds: from real time at_unix_s on (now when it has passed), the dataplane's wall
 * clock runs offset_s ahead of the system's (behind when negative). Main lcore. */
void dp_sessions_test_clock(int64_t offset_s, int64_t at_unix_s);
/* Test builds: hold the session clocks (the seconds per-source rates and session timeouts count,
 * and the wall clock) where they are, or let them run again. An offset set while held moves the
 * held wall clock once. */
void dp_sessions_test_clock_hold(bool hold);
#endif

/*
 * Main lcore: forgets the tenant and service names no generation holds and no
 * session entry carries (live, or deleted but not yet reclaimed: a worker may
 * still read its names), so that their ids can be handed out again.
 */
bool dp_session_names_sweep(void); /* false: not now (the IPFIX exporter is behind) */

/* Main lcore: ends a session now (DELETE /sessions/{uuid}). */
bool dp_session_clear(uint32_t idx);

/* Control socket (main lcore). */
struct dp_session_filter {
	const char *tenant, *service;
	bool has_addr;
	struct svr_ip addr;
	uint32_t cursor; /* entry index to start from */
	uint32_t limit;
};
/* Appends matching sessions to arr; returns the cursor to continue from (0: done). */
uint32_t dp_sessions_list(const struct dp_session_filter *f, json_t *arr);
/*
 * The sessions-clear job (include/svr/ctlsock.h), main lcore. dp_sessions_clear_start: ends
 * every session f selects (tenant, service, address; cursor and limit unread) from now on, a
 * slice of the table per dp_sessions_clear_step; the job's number, or -1 while one runs (one at
 * a time). It visits the entries in use when it starts: a session made later in an entry it has
 * yet to visit is ended too, one made in an entry it passed or beyond them is not.
 * dp_sessions_clear_step: every turn of the main loop; true when it did some of the job (the
 * loop should not sleep), false when there is none or it waits for the IPFIX exporter.
 * dp_sessions_clear_json: the last job's progress, {"job": 0, "done": true, ...} when none ran.
 */
int64_t dp_sessions_clear_start(const struct dp_session_filter *f, uint64_t now_ms);
bool dp_sessions_clear_step(uint64_t now_ms);
json_t *dp_sessions_clear_json(uint64_t now_ms);
/* The time a turn of a job may take at most, in microseconds (default 1000; 0: no bound, for
 * tests that count a job's turns in entries). */
void dp_sessions_clear_turn_us(uint32_t us);
/* The entry of the live session of this UUID, or -1. */
int64_t dp_session_by_uuid(const uint8_t uuid[16]);
json_t *dp_session_json(uint32_t idx);
json_t *dp_sessions_summary(void);
/* Live sessions by tenant and service: {"sessions": n, "by-name": [{"tenant": NAME|null,
 * "service": NAME|null, "sessions": n}], "summary": dp_sessions_summary()}. A walk of the table's
 * entries in use, as dp_session_by_uuid's, plus a small hash update per live session (0.2 ms
 * at 65,535 sessions); NULL when out of memory. */
json_t *dp_sessions_counts(void);

#endif
