/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The sessions' shared state (dp_sess: the table, the clock, the protection
 * counters, next-hop slots, name registries) and what each generation says
 * about new sessions, as the creation path, the hit path, the SVR data path
 * and the main lcore read it; and the hit path's per-packet bookkeeping.
 * Who writes what: session/sessions.h.
 */
#ifndef SVR_FLOW_STATE_H
#define SVR_FLOW_STATE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/inet.h"
#include "core/config.h"
#include "flow/flow.h"
#include "flow/table.h"

struct dp_svr_path_policy;

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

#define DP_SVC_PATHS 8 /* a service's ranked peer paths (more to one peer are not considered) */

struct dp_svc_policy {
	uint16_t id; /* name registry */
	uint8_t route;
	uint16_t via;
	uint16_t svr_path; /* DP_SROUTE_PEER: the best peer-path slot, or DP_NO_SVR_PATH (none) */
	/* DP_SROUTE_PEER: the eligible paths, best first (svr_path is svr_paths[0]); a new session
	 * takes the first that is up (paths/paths.h) */
	uint16_t svr_paths[DP_SVC_PATHS];
	uint64_t svr_path_cost[DP_SVC_PATHS]; /* their vector costs (pathrank.h units) */
	uint8_t n_svr_paths;
	/* the paths to that peer its policy's vectors say never to take (for "why" only) */
	uint16_t never_paths[DP_SVC_PATHS];
	uint8_t n_never_paths;
	/* paths to that peer left out because it sits behind a NAT: it opens sessions toward us,
	 * never we toward it (docs/paths.md "Peers behind NAT and learned addresses") */
	uint8_t n_outbound_only_paths;
	/* the service policy's SLA (UINT32_MAX: no limit) and what to do when no path meets it */
	uint32_t sla_loss_mpct, sla_latency_us, sla_jitter_us;
	bool best_effort;
	/* The choice for new sessions, made again by the main lcore (paths/choice.c) every 100 ms
	 * from the paths' liveness and quality: slot | verdict << 16 (enum svr_rank_verdict). The
	 * only field of a generation written after it is published; workers read it once per new
	 * session. */
	_Atomic uint32_t choice;
	/* resiliency duplicate: the second leg for new sessions, a path disjoint from the choice's
	 * (other interface, other remote address), or DP_NO_SVR_PATH; written with choice */
	_Atomic uint16_t dup_choice;
	bool compliant[DP_SVC_PATHS]; /* main lcore only: each path's SLA state (hysteresis) */
	/* Live sessions (session/migrate.c, main lcore only): enum svr_img_resiliency and its
	 * brakes; since when each path has been usable and within the SLA without a break (0:
	 * it is not); when a session of the service last moved */
	uint8_t resiliency;
	uint32_t revert_hold_ms, min_dwell_ms;
	uint64_t good_since_ms[DP_SVC_PATHS];
	uint64_t moved_ms;
	bool encrypt_payload; /* its security policy encrypts payloads end to end (over SVR) */
	struct svr_ip nat_target;
	struct dp_timeouts timeouts;
	/* Limits and marks (session/limits.h): its policy (an index into dp_session_policy.pol,
	 * or UINT32_MAX), its class's DSCP mark (DP_DSCP_KEEP: none), the policy's per-session rate
	 * (0: none) and burst, the limit slot of the policy's aggregate rate and of the class's
	 * degraded rate (DP_NO_LIMIT: none), what the class does while degraded (enum
	 * svr_img_degraded), and the peer (its index in the image) the service's route goes to */
	uint32_t policy;
	uint8_t dscp, degraded_action;
	uint16_t agg_slot, degraded_slot, peer;
	uint64_t session_rate_bps, burst_bytes;
};

#define DP_NO_LIMIT 0xffff

/* A peer's paths as degraded mode weighs them (session/limits.c), by image peer index. */
struct dp_peer_paths {
	const char *name; /* in the generation's image */
	uint8_t n;
	uint16_t slot[DP_SVC_PATHS];
	uint64_t cap[DP_SVC_PATHS]; /* capacity-bps, smaller of both ends; 0: unknown */
};

/* A service policy's max-sessions, counted over its services' live sessions. */
struct dp_policy_limit {
	uint32_t max_sessions; /* 0: unlimited (nothing counted) */
	uint32_t n_svc;
	uint16_t *svc_ids; /* its services' name ids (dp_sess.svc_live) */
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
	uint32_t n_rules;
	uint16_t *rule_id; /* by image access rule index: its label's id in dp_sess.rules */
	/* IPFIX (telemetry/ipfix.c): sessions made or ended under this generation are recorded
	 * (its model names a collector), with an interim record every interim_s (0: none) */
	bool records;
	uint32_t interim_s;
	/* by peer-path slot, DP_MAX_SVR_PATHS of them: what this generation says about each path
	 * (slots not in its model: zero, in_model false) */
	struct dp_svr_path_policy *svr_paths;
	uint32_t n_policies;
	struct dp_policy_limit *pol; /* by image policy index */
	/* by limit slot (session/limits.h): the rate (bit/s, 0: none) and burst (bytes) each slot
	 * shares among the workers in this generation */
	uint64_t *slot_rate, *slot_burst;
	uint32_t degraded_pct; /* limits.degraded-capacity-pct (0: never by capacity) */
	uint32_t n_peers;
	struct dp_peer_paths *peers;
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
	/* live sessions by service id, of services whose policy has max-sessions (counted while it
	 * has one) */
	_Atomic uint32_t *svc_live;
	_Atomic uint64_t *src_rate; /* second << 32 | sessions, by source hash */
	unsigned n_vias;
	struct dp_via vias[DP_MAX_VIAS];
	struct svr_names *tenants, *services;
	/* access rules' labels ("SERVICE/access[J]"), for telemetry and "why" (note.rule) */
	struct svr_names *rules;
	/* telemetry's exporter, when one runs: returns once every record handed to it before the
	 * call was written (it reads names by id: a sweep must not forget them under it) */
	bool (*names_quiesce)(void); /* false: not now */
	/* telemetry's events: formats the workers' event records now, before a sweep (they name
	 * tenants, services and rules by id too, ids of a generation that may be gone) */
	void (*names_flush)(void);
	uint32_t age_cursor;
	/* The test-clock command (test builds only): from real time clock_at_s on the wall
	 * clock is offset by clock_offset_s, before it by clock_prev_offset_s. Main lcore. */
	int64_t clock_offset_s, clock_prev_offset_s, clock_at_s;
	bool clock_held; /* test-clock hold: housekeeping leaves now_s and unix_s as they are */
};

extern struct dp_sessions dp_sess;

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

#endif
