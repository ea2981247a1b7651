/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Sessions in the dataplane: the table, what each policy generation says
 * about new sessions, the creation path, ageing and the operator's view.
 *
 * Who writes what:
 * - workers: create sessions (creation path, under the table's writer lock),
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
#include "main/config.h"
#include "session/flow.h"
#include "session/table.h"
#include "svr/image.h"

struct dp_gen;
struct dp_worker;
struct rte_mbuf;

#define DP_MAX_VIAS       1024  /* distinct (interface, gateway) of next-hop service routes */
#define DP_SRC_RATE_SLOTS 65536 /* per-source rate counters (two per source, count-min) */
#define DP_NAT_PORT_LO    1024
#define DP_NAT_PORT_HI    65535
#define DP_NO_SVR_PATH    0xffff

/* Where a session's forward direction goes, by its service. */
enum dp_sroute {
	DP_SROUTE_FIB,  /* no service route: ordinary routing */
	DP_SROUTE_VIA,  /* next-hop service route */
	DP_SROUTE_NAT,  /* destination NAT to a target, then the FIB */
	DP_SROUTE_PEER, /* over SVR to a peer router (svr_path: the chosen peer path) */
};

/* Idle timeouts in seconds (defaults, or a service class's). */
struct dp_timeouts {
	uint16_t tcp_handshake, tcp_established, tcp_closing, udp, icmp, other;
};

struct dp_svc_policy {
	uint16_t id; /* name registry */
	uint8_t route;
	uint16_t via;
	uint16_t svr_path;    /* DP_SROUTE_PEER: peer-path slot, or DP_NO_SVR_PATH (none usable) */
	bool encrypt_payload; /* its security policy encrypts payloads end to end (over SVR) */
	struct svr_ip nat_target;
	struct dp_timeouts timeouts;
};

struct dp_tenant_policy {
	uint16_t id;
	uint32_t max_sessions; /* 0: unlimited */
};

/* What one generation says about new sessions; built from its image, read-only. */
struct dp_session_policy {
	uint32_t n_services, n_tenants;
	struct dp_svc_policy *svc;       /* by image service index */
	struct dp_tenant_policy *tenant; /* by image tenant index */
	uint32_t capacity;               /* min(table, model limits.session-capacity) */
	uint32_t n_vias;                 /* via slots known to this generation */
	uint16_t *via_iface;             /* by via slot: its interface slot now, or DP_NO_IFACE */
	uint32_t per_source_per_s;       /* 0: unlimited */
	uint32_t half_open;              /* 0: unlimited */
	/* image indices sorted by name: the egress finds the service and tenant its metadata
	 * names with a binary search (dp_session_policy_find) */
	uint32_t *svc_by_name, *tenant_by_name;
	/* by peer-path slot, DP_MAX_SVR_PATHS of them: what this generation says about each path
	 * (slots not in its model: zero, in_model false) */
	struct dp_svr_path_policy *svr_paths;
};

/*
 * A next hop of a service route: a slot stable across generations (sessions
 * keep its index), naming the interface so that each generation can say which
 * interface slot it is now — or that it is gone (then the FIB routes).
 */
struct dp_via {
	char iface[DP_IFNAME_LEN];
	struct svr_ip gw;
};

struct dp_sessions {
	struct svr_session_table *table;
	_Atomic uint32_t now_s;        /* seconds since start, ticked by the main lcore */
	_Atomic int64_t unix_s;        /* wall clock (access-rule time windows), ticked likewise */
	_Atomic uint32_t *tenant_live; /* live sessions by tenant id */
	_Atomic uint64_t *src_rate;    /* second << 32 | sessions, by source hash */
	unsigned n_vias;
	struct dp_via vias[DP_MAX_VIAS];
	struct svr_names *tenants, *services;
	uint32_t age_cursor;
	/* The test-clock command (test builds only): from real time clock_at_s on the wall
	 * clock is offset by clock_offset_s, before it by clock_prev_offset_s. Main lcore. */
	int64_t clock_offset_s, clock_prev_offset_s, clock_at_s;
};

extern struct dp_sessions dp_sess;

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

/* Hit path bookkeeping: counters, last-seen, TCP state (and the half-open count: table.h). */
static inline void dp_session_touch(struct svr_session *s, enum svr_sdir dir, uint32_t bytes,
				    uint8_t tcp_flags, uint32_t now_s)
{
	struct svr_session_dir *d = &s->dir[dir]; /* this direction's line only */
	d->pkts++;
	d->bytes += bytes;
	if (atomic_load_explicit(&d->last_seen_s, memory_order_relaxed) != now_s)
		atomic_store_explicit(&d->last_seen_s, now_s, memory_order_relaxed);
	if (d->proto == SVR_IPPROTO_TCP)
		svr_session_tcp_packet(dp_sess.table, s, dir, tcp_flags);
}

/* ICMP echo sessions: requests go forward, replies come back (the identifier alone would not say).
 */
static inline bool dp_echo_direction_ok(uint8_t proto, uint8_t icmp_type, enum svr_sdir dir)
{
	if (proto == SVR_IPPROTO_ICMP)
		return icmp_type == (dir == SVR_DIR_FWD ? 8 : 0);
	if (proto == SVR_IPPROTO_ICMPV6)
		return icmp_type == (dir == SVR_DIR_FWD ? 128 : 129);
	return true;
}

/* Main lcore, every housekeeping tick: clock, ageing slice, reclaim. */
void dp_sessions_housekeeping(uint64_t now_ms);
#ifdef SVR_TEST_HOOKS
/* Test builds: from real time at_unix_s on (now when it has passed), the dataplane's wall
 * clock runs offset_s ahead of the system's (behind when negative). Main lcore. */
void dp_sessions_test_clock(int64_t offset_s, int64_t at_unix_s);
#endif

/*
 * Main lcore: forgets the tenant and service names no generation holds and no
 * session entry carries (live, or deleted but not yet reclaimed: a worker may
 * still read its names), so that their ids can be handed out again.
 */
void dp_session_names_sweep(void);

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
/* The entry of the live session of this UUID, or -1. */
int64_t dp_session_by_uuid(const uint8_t uuid[16]);
json_t *dp_session_json(uint32_t idx);
json_t *dp_sessions_summary(void);

#endif
