/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The creation path: a worker's first packet of a would-be session.
 * Order (docs/sessions.md): packets for the router itself (unless a service
 * translates them elsewhere); may this packet start a session; service;
 * tenant; access; protection limits; route and NAT; create. Every refusal
 * returns its counted reason.
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_hash_crc.h>
#include <rte_random.h>

#include "l2l3/fib.h"
#include "l2l3/kroutes.h"
#include "l2l3/tfib.h"
#include "core/event.h"
#include "core/worker.h"
#include "session/classify.h"
#include "flow/rewrite.h"
#include "session/sessions.h"
#include "svr/metadata.h"
#include "svrpath/path.h"
#include "svrpath/wire.h"
#include "common/bfd.h"
#include "common/pathrank.h"
#include "paths/paths.h"
#include "session/ext.h"
#include "session/limits.h"
#include "session/records.h"
#include "common/image.h"

/* What admission decided, shared by both families. */
struct admitted {
	const struct dp_svc_policy *svc;
	uint16_t tenant_id;
	uint16_t rule_id;   /* the access rule that admitted it (dp_sess.rules), for telemetry */
	uint8_t in_iface;   /* the interface slot the first packet came in by */
	uint8_t table_slot; /* its tenant's kernel table (l2l3/tfib.h), or DP_TFIB_NONE; limits() */
	bool counted;       /* the service's live count goes up (its policy's max-sessions) */
};

static enum svr_drop_reason not_startable(uint8_t proto)
{
	if (proto == SVR_IPPROTO_TCP)
		return SVR_DROP_TCP_NOT_SYN;
	return SVR_DROP_ICMP_NOT_REQUEST;
}

/* One count-min slot of the per-source rate: true while the source is within its limit. */
static uint32_t src_rate_bump(uint32_t h, uint32_t now)
{
	_Atomic uint64_t *slot = &dp_sess.src_rate[h & (DP_SRC_RATE_SLOTS - 1)];
	uint64_t v = atomic_load_explicit(slot, memory_order_relaxed);
	for (;;) {
		uint64_t next = (v >> 32) == now ? v + 1 : (uint64_t)now << 32 | 1;
		if (atomic_compare_exchange_weak_explicit(slot, &v, next, memory_order_relaxed,
							  memory_order_relaxed))
			return (uint32_t)next;
	}
}

static bool src_rate_ok(const struct svr_ip *src, uint32_t limit, uint32_t now)
{
	uint64_t a8[2] = {0, 0}; /* aligned for rte_hash_crc */
	memcpy(a8, src->addr, src->family == SVR_AF_INET ? 4 : 16);
	uint32_t h1 = rte_hash_crc(a8, sizeof(a8), 0x1234567);
	uint32_t h2 = rte_hash_crc(a8, sizeof(a8), 0x89abcdef);
	uint32_t a = src_rate_bump(h1, now), b = src_rate_bump(h2, now);
	return (a < b ? a : b) <= limit; /* both slots over: this source is (count-min) */
}

/* The service's policy's max-sessions: its services' live sessions added up. */
static bool policy_full(const struct dp_session_policy *p, const struct dp_svc_policy *svc)
{
	if (svc->policy >= p->n_policies || !p->pol[svc->policy].max_sessions)
		return false;
	const struct dp_policy_limit *l = &p->pol[svc->policy];
	uint64_t live = 0;
	for (uint32_t i = 0; i < l->n_svc; i++)
		live +=
		    atomic_load_explicit(&dp_sess.svc_live[l->svc_ids[i]], memory_order_relaxed);
	return live >= l->max_sessions;
}

/*
 * The router's protection limits for a session of tenant (an index into the
 * policy's tenants, or UINT32_MAX) from src, already allowed; sets the
 * session's tenant id. The SVR egress applies them as well, to the original
 * source and the tenant the metadata names. Returns SVR_DROP_MAX when within.
 */
static enum svr_drop_reason limits(const struct dp_session_policy *p, uint8_t proto,
				   const struct svr_ip *src, uint32_t tenant, struct admitted *a)
{
	uint32_t now = atomic_load_explicit(&dp_sess.now_s, memory_order_relaxed);
	if (p->per_source_per_s && !src_rate_ok(src, p->per_source_per_s, now))
		return SVR_DROP_SOURCE_RATE;
	if (proto == SVR_IPPROTO_TCP && p->half_open &&
	    atomic_load_explicit(&dp_sess.table->half_open, memory_order_relaxed) >= p->half_open)
		return SVR_DROP_HALF_OPEN;
	a->tenant_id = SVR_NO_NAME;
	a->table_slot = DP_TFIB_NONE;
	if (tenant != UINT32_MAX) {
		const struct dp_tenant_policy *t = &p->tenant[tenant];
		a->tenant_id = t->id;
		a->table_slot = t->table_slot;
		if (t->max_sessions && t->id != SVR_NO_NAME &&
		    atomic_load_explicit(&dp_sess.tenant_live[t->id], memory_order_relaxed) >=
			t->max_sessions)
			return SVR_DROP_TENANT_MAX;
	}
	/* every session counts, so that a max-sessions set later finds the sessions it limits */
	a->counted = a->svc->id != SVR_NO_NAME;
	if (policy_full(p, a->svc))
		return SVR_DROP_POLICY_MAX_SESSIONS;
	return SVR_DROP_MAX;
}

/* The id of an access rule's label (policy.c rule_labels), SVR_NO_NAME for none. */
static uint16_t rule_id_of(const struct dp_session_policy *p, uint32_t rule)
{
	return rule < p->n_rules ? p->rule_id[rule] : SVR_NO_NAME;
}

/* Whether the peer a service's route goes to is in degraded mode now. */
static bool peer_degraded(const struct dp_svc_policy *svc)
{
	return svc->peer != DP_NO_LIMIT &&
	       atomic_load_explicit(&dp_session_degraded[svc->peer], memory_order_relaxed);
}

enum svr_drop_reason dp_session_route_check(const struct dp_svc_policy *svc, uint8_t family)
{
	if (svc->route != DP_SROUTE_PEER)
		return SVR_DROP_MAX;
	if (svc->svr_path == DP_NO_SVR_PATH && svc->n_outbound_only_paths)
		return SVR_DROP_SVR_PEER_OUTBOUND_ONLY; /* the peer behind a NAT opens, never we */
	if (svc->svr_path == DP_NO_SVR_PATH || family != SVR_AF_INET)
		return SVR_DROP_ROUTE_PEER; /* no usable path, or SVR for it comes later (IPv6) */
	if (svc->degraded_action == SVR_DEGRADED_BLOCK && peer_degraded(svc))
		return SVR_DROP_DEGRADED_BLOCKED; /* answered: administratively prohibited */
	return SVR_DROP_MAX;
}

/*
 * Service, tenant, access and limits for a first packet that may start a
 * session and is not for the router itself. Returns SVR_DROP_MAX when admitted.
 */
static enum svr_drop_reason admit(const struct dp_gen *g, uint16_t iface_in, uint8_t proto,
				  const struct svr_ip *src, uint32_t svc, struct admitted *a,
				  bool *refuse)
{
	const struct dp_session_policy *p = g->spol;
	*refuse = true;
	a->rule_id = SVR_NO_NAME;
	if (svc == UINT32_MAX)
		return SVR_DROP_NO_SERVICE;
	uint32_t tenant = svr_classify_tenant(g->classifier, g->ifaces[iface_in].img_index, src);
	int64_t unix_now = atomic_load_explicit(&dp_sess.unix_s, memory_order_relaxed);
	uint32_t rule;
	switch (svr_classify_access(g->classifier, svc, tenant, src, unix_now, &rule)) {
	case SVR_ACCESS_ALLOW:
		a->rule_id = rule_id_of(p, rule);
		a->in_iface = (uint8_t)iface_in;
		break;
	case SVR_ACCESS_DENIED:
		a->rule_id = rule_id_of(p, rule); /* the deny rule, for the event */
		return SVR_DROP_ACCESS_DENIED;
	default:
		return SVR_DROP_ACCESS_NO_RULE;
	}
	a->svc = &p->svc[svc];
	enum svr_drop_reason why = dp_session_route_check(a->svc, src->family);
	if (why != SVR_DROP_MAX)
		return why;
	why = limits(p, proto, src, tenant, a);
	/* a policy's max-sessions is the operator's refusal: answered like one */
	*refuse = why == SVR_DROP_POLICY_MAX_SESSIONS;
	return why;
}

/*
 * A refused first packet for the event stream (docs/telemetry.md): session-denied, or limit-hit
 * for a protection limit. Within the worker's event budget only (core/event.h); the tenant is
 * looked up again here, on this already refused packet, so admission itself pays nothing.
 */
static void refused_event(struct dp_worker *w, const struct dp_gen *g, uint16_t iface_in,
			  uint8_t proto, const struct svr_ip *src, const struct svr_ip *dst,
			  uint16_t sport_be, uint16_t dport_be, uint32_t svc, uint16_t rule_id,
			  enum svr_drop_reason why)
{
	bool limit = why == SVR_DROP_SOURCE_RATE || why == SVR_DROP_HALF_OPEN ||
		     why == SVR_DROP_TENANT_MAX || why == SVR_DROP_POLICY_MAX_SESSIONS;
	if (!limit && why != SVR_DROP_NO_SERVICE && why != SVR_DROP_ACCESS_DENIED &&
	    why != SVR_DROP_ACCESS_NO_RULE && why != SVR_DROP_DEGRADED_BLOCKED &&
	    why != SVR_DROP_ROUTE_PEER)
		return;
	if (!dp_event_worker_admit(w))
		return;
	const struct dp_session_policy *p = g->spol;
	uint32_t tenant = svr_classify_tenant(g->classifier, g->ifaces[iface_in].img_index, src);
	struct dp_event_raw r = {
	    .tsc = w->poll_tsc,
	    .reason = (uint16_t)why,
	    .kind = limit ? DP_EVENT_LIMIT : DP_EVENT_DENIED,
	    .family = src->family,
	    .proto = proto,
	    .iface_in = iface_in,
	    .sport = rte_be_to_cpu_16(sport_be),
	    .dport = rte_be_to_cpu_16(dport_be),
	    .service_id = svc < p->n_services ? p->svc[svc].id : SVR_NO_NAME,
	    .tenant_id = tenant < p->n_tenants ? p->tenant[tenant].id : SVR_NO_NAME,
	    .rule_id = rule_id,
	};
	memcpy(r.src, src->addr, sizeof(r.src));
	memcpy(r.dst, dst->addr, sizeof(r.dst));
	dp_event_worker_push(w, &r);
}

/* A session's idle timeout (TCP: once established). */
static uint16_t idle_timeout(const struct dp_timeouts *t, uint8_t proto)
{
	switch (proto) {
	case SVR_IPPROTO_TCP:
		return t->tcp_established;
	case SVR_IPPROTO_UDP:
		return t->udp;
	case SVR_IPPROTO_ICMP:
	case SVR_IPPROTO_ICMPV6:
		return t->icmp;
	default:
		return t->other;
	}
}

/*
 * Where the forward direction's packets look their next hop up: a next-hop service route's
 * gateway; else, for a tenant bound to a kernel table and a destination that is not an SVR
 * peer's (docs/routing.md, "Tenants and routing tables"), that table's FIB and then the main
 * one; else the main FIB. The reverse direction goes back by the main FIB.
 */
static uint16_t fwd_via(const struct dp_svc_policy *svc, uint8_t table_slot)
{
	if (svc->route == DP_SROUTE_VIA)
		return svc->via;
	if (table_slot != DP_TFIB_NONE &&
	    (svc->route == DP_SROUTE_FIB || svc->route == DP_SROUTE_NAT))
		return (uint16_t)(SVR_VIA_TABLE0 + table_slot);
	return SVR_VIA_FIB;
}

/* The fields both families fill the same way. */
static void fill_common(struct svr_session *s, struct svr_session_info *info,
			const struct admitted *a, uint8_t proto)
{
	const struct dp_timeouts *t = &a->svc->timeouts;
	uint32_t now = atomic_load_explicit(&dp_sess.now_s, memory_order_relaxed);
	info->tenant = a->tenant_id;
	info->service = a->svc->id;
	*svr_session_note(dp_sess.table, info) =
	    (struct svr_session_note){.rule = a->rule_id, .in_iface = a->in_iface};
	s->dir[SVR_DIR_FWD].proto = proto;
	info->created_s = now;
	for (int d = 0; d < 2; d++)
		atomic_store_explicit(&s->dir[d].last_seen_s, now, memory_order_relaxed);
	info->idle_s = idle_timeout(t, proto);
	if (proto == SVR_IPPROTO_TCP) {
		atomic_store_explicit(svr_session_tcp_state(s), SVR_TCP_SYN_SENT,
				      memory_order_relaxed);
		info->handshake_s = t->tcp_handshake;
		info->closing_s = t->tcp_closing;
	}
	/* RFC 9562 version 4: 122 random bits. */
	uint64_t r[2] = {rte_rand(), rte_rand()};
	memcpy(info->uuid, r, 16);
	info->uuid[6] = (uint8_t)((info->uuid[6] & 0x0f) | 0x40);
	info->uuid[8] = (uint8_t)((info->uuid[8] & 0x3f) | 0x80);
	for (int d = 0; d < 2; d++)
		svr_session_rw(s, d)->via = SVR_VIA_FIB;
	svr_session_rw(s, SVR_DIR_FWD)->via = fwd_via(a->svc, a->table_slot);
}

/*
 * A tenant's live count goes up before its session can be seen (and ended by the main lcore,
 * which takes it down), and back down when no session of ours came of it: the count never
 * dips below the tenant's live sessions, at worst it is one above for a moment.
 */
static void tenant_count(const struct admitted *a, int delta)
{
	if (a->tenant_id != SVR_NO_NAME)
		atomic_fetch_add_explicit(&dp_sess.tenant_live[a->tenant_id], (uint32_t)delta,
					  memory_order_relaxed);
	/* likewise the service's (a policy's max-sessions counts those of its services) */
	if (a->counted)
		atomic_fetch_add_explicit(&dp_sess.svc_live[a->svc->id], (uint32_t)delta,
					  memory_order_relaxed);
}

static enum svr_drop_reason create_error(int64_t rc)
{
	switch (rc) {
	case -EADDRINUSE:
		return SVR_DROP_NAT_PORTS;
	case -EEXIST:
		return SVR_DROP_SESSION_CONFLICT;
	case -ENOBUFS:
		return SVR_DROP_INDEX_FULL;
	default:
		return SVR_DROP_TABLE_FULL;
	}
}

/* A session another worker created meanwhile (gone again at once: refused). */
static enum dp_first found(uint64_t data_found, uint64_t *data, enum svr_drop_reason *why)
{
	if (data_found == UINT64_MAX) {
		*why = SVR_DROP_SESSION_CONFLICT;
		return DP_FIRST_DROP;
	}
	*data = data_found;
	return DP_FIRST_SESSION;
}

/* The egress interface slot of a forward destination, or -1 (local: -2); *table: the kernel
 * table whose route decided (the main one when nothing else did, 0 for a next-hop service
 * route). As fwd_via and the hit path's next_hop_of decide, with the same lookups. */
static int egress_of(const struct dp_gen *g, const struct dp_svc_policy *svc, uint8_t table_slot,
		     const struct svr_ip *dst, uint32_t *table)
{
	*table = 0;
	if (svc->route == DP_SROUTE_VIA && g->spol->via_iface[svc->via] != DP_NO_IFACE)
		return g->spol->via_iface[svc->via];
	*table = DP_KROUTES_MAIN_TABLE;
	const struct svr_nexthop *h = NULL;
	uint16_t via = fwd_via(svc, table_slot);
	if (via >= SVR_VIA_TABLE0 && via < SVR_VIA_TABLE0 + DP_TFIB_SLOTS &&
	    g->tfib[via - SVR_VIA_TABLE0]) {
		const struct svr_fib *t = g->tfib[via - SVR_VIA_TABLE0];
		uint32_t i = svr_fib_lookup(t, dst);
		if (i) {
			h = &t->nh[i];
			*table = g->tfib_table[via - SVR_VIA_TABLE0];
		}
	}
	if (!h)
		h = &g->fib->nh[svr_fib_lookup(g->fib, dst)];
	if (h->type == SVR_NH_LOCAL)
		return DP_EGRESS_LOCAL;
	if (h->type == SVR_NH_NONE || h->type == SVR_NH_BROADCAST)
		return DP_EGRESS_NO_ROUTE;
	return h->iface;
}

static uint8_t fib_type(const struct dp_gen *g, const struct svr_ip *dst)
{
	return g->fib->nh[svr_fib_lookup(g->fib, dst)].type;
}

/* --- IPv4 --- */

struct fill4 {
	const struct admitted *a;
	const struct svr_skey4 *fwd;
	const struct svr_skey4 *rev; /* settled by the table (NAT port) before fill runs */
	uint8_t svr_fwd, svr_rev;    /* SVR metadata work of each direction (SVR_RW_MD_*) */
	uint16_t svr_path;
	/* ICMP or another protocol but TCP and UDP over SVR, carried as UDP (carried_as_udp):
	 * 1 ingress (its own key, UDP reverse), 2 egress (the inverse) */
	uint8_t svr_wrap;
	const uint8_t *uuid; /* egress: the ingress's UUID (one session, both routers) */
	uint8_t moves;       /* egress: the Modify Request's sequence it came with (a new egress) */
	const struct svr_md_ctx *fwd_ctx; /* egress with NAT: the forward context to mirror */
	bool made;            /* set by create4: this call made the session (not another worker) */
	uint16_t payload_key; /* end-to-end payload encryption: dp_svr_payload_key_*(), or 0 */
	uint16_t ext;         /* the session's ext slot (session/ext.h), or DP_EXT_NONE */
	bool dup;             /* the slot is a duplicated session's (second leg, window) */
	bool dup_in;   /* egress: the ingress duplicates it: its packets' numbers are signed */
	bool degraded; /* made while its peer is degraded (session/limits.h) */
};

static void fill4(struct svr_session *s, struct svr_session_info *info, void *arg)
{
	const struct fill4 *f = arg;
	const struct svr_skey4 *k = f->fwd, *r = f->rev;
	bool icmp = k->proto == SVR_IPPROTO_ICMP;
	/* the protocol that crosses as UDP: the ingress's own key's, the egress's reverse key's
	 * (the egress's own key is the waypoints' UDP) */
	uint8_t carried = f->svr_wrap == 1 ? k->proto : f->svr_wrap == 2 ? r->proto : 0;
	fill_common(s, info, f->a, f->svr_wrap == 2 ? carried : k->proto);
	/* Forward: to the reverse key's mirror image. */
	struct svr_rewrite *fw = svr_session_rw(s, SVR_DIR_FWD);
	fw->src = r->dst;
	fw->dst = r->src;
	fw->sport = icmp ? r->sport : r->dport;
	fw->dport = icmp ? k->dport : r->sport;
	/* Reverse: back to the forward key's mirror image. */
	struct svr_rewrite *rv = svr_session_rw(s, SVR_DIR_REV);
	rv->src = k->dst;
	rv->dst = k->src;
	rv->sport = icmp ? k->sport : k->dport;
	rv->dport = icmp ? r->dport : k->sport;
	if (fw->src != k->src || fw->dst != k->dst || fw->sport != k->sport ||
	    fw->dport != k->dport) {
		fw->flags |= SVR_RW_NAT;
		rv->flags |= SVR_RW_NAT;
	}
	svr_rewrite_deltas(fw, k);
	svr_rewrite_deltas(rv, r);
	fw->flags |= f->svr_fwd;
	rv->flags |= f->svr_rev;
	fw->svr_path = rv->svr_path = f->svr_path;
	fw->wrapped_proto = rv->wrapped_proto = carried;
	s->dir[SVR_DIR_FWD].payload_key = f->payload_key; /* the table copies it to the other */
	fw->svr = rv->svr = f->payload_key ? SVR_RW2_PAYLOAD : 0;
	if (f->svr_fwd & SVR_RW_MD_ADD) /* the direction that leaves toward the peer */
		fw->svr |= SVR_RW2_TO_PEER;
	if (f->svr_rev & SVR_RW_MD_ADD)
		rv->svr |= SVR_RW2_TO_PEER;
	if (f->dup_in)
		fw->svr |= SVR_RW2_DUP;
	if (f->ext != DP_EXT_NONE) {
		if (f->dup)
			dp_dup_fill(s, f->ext);
		else
			dp_ext_fill(s, f->ext);
		dp_session_limits_fill(f->ext, f->a->svc, f->degraded);
	}
	if (f->uuid) /* before any reader can see the entry */
		memcpy(info->uuid, f->uuid, 16);
	info->moves = f->moves;
	if (f->fwd_ctx)
		dp_svr_keep_fwd_ctx((uint32_t)(s - dp_sess.table->entries), info->uuid, f->fwd_ctx);
	if (f->svr_wrap == 1) { /* forward leaves as UDP between the waypoints */
		fw->sport = r->dport;
		fw->dport = r->sport;
	} else if (f->svr_wrap == 2) { /* forward arrives as UDP, leaves as ICMP with its id */
		fw->sport = r->sport;
	}
}

static void ip4_of(uint32_t be, struct svr_ip *ip)
{
	memset(ip, 0, sizeof(*ip)); /* compared and hashed whole */
	ip->family = SVR_AF_INET;
	memcpy(ip->addr, &be, 4);
}

/* The interface's first IPv4 address (network order), or 0. */
static uint32_t iface_ip4(const struct dp_iface *ifc)
{
	for (unsigned i = 0; i < ifc->n_addrs; i++)
		if (ifc->addrs[i].ip.family == SVR_AF_INET) {
			uint32_t a;
			memcpy(&a, ifc->addrs[i].ip.addr, 4);
			return a;
		}
	return 0;
}

enum svr_drop_reason dp_session_egress(const struct dp_gen *g, const struct dp_svc_policy *svc,
				       uint8_t table_slot, const struct svr_ip *dst,
				       struct dp_session_egress *e)
{
	e->dst = *dst;
	e->iface = DP_EGRESS_NO_ROUTE;
	e->source_nat = 0;
	e->table = 0;
	if (svc->route == DP_SROUTE_NAT) {
		if (svc->nat_target.family != SVR_AF_INET || dst->family != SVR_AF_INET)
			return SVR_DROP_NAT_FAMILY;
		e->dst = svc->nat_target;
	}
	e->iface = egress_of(g, svc, table_slot, &e->dst, &e->table);
	if (e->iface >= 0 && dst->family == SVR_AF_INET && g->ifaces[e->iface].source_nat)
		e->source_nat = iface_ip4(&g->ifaces[e->iface]);
	return SVR_DROP_MAX;
}

/*
 * The service's own route for a forward tuple (dp_session_egress): destination NAT, the
 * interface it leaves by, source NAT there. out: the tuple as it arrives here (for the SVR
 * egress, as the metadata restores it), rewritten as it will leave; place: where the table puts
 * the session (NAT ports to pick). Returns DP_FIRST_SESSION to go on creating, or the packet's
 * outcome.
 */
static enum dp_first route_out4(const struct dp_gen *g, const struct admitted *a,
				struct svr_skey4 *out, struct svr_session_place *place,
				enum svr_drop_reason *why)
{
	struct svr_ip to;
	ip4_of(out->dst, &to);
	struct dp_session_egress e;
	if ((*why = dp_session_egress(g, a->svc, a->table_slot, &to, &e)) != SVR_DROP_MAX)
		return DP_FIRST_DROP;
	if (e.iface < 0)
		return e.iface == DP_EGRESS_LOCAL ? DP_FIRST_LOCAL : DP_FIRST_NO_ROUTE;
	memcpy(&out->dst, e.dst.addr, 4);
	*place = (struct svr_session_place){.limit = g->spol->capacity};
	if (!e.source_nat)
		return DP_FIRST_SESSION;
	out->src = e.source_nat;
	/* Without ports to translate: one session per (source NAT address, peer, protocol). */
	if (out->proto == SVR_IPPROTO_TCP || out->proto == SVR_IPPROTO_UDP ||
	    out->proto == SVR_IPPROTO_ICMP) {
		place->nat_lo = DP_NAT_PORT_LO;
		place->nat_hi = DP_NAT_PORT_HI;
		place->nat_port_off = out->proto == SVR_IPPROTO_ICMP
					  ? (uint16_t)offsetof(struct svr_skey4, sport)
					  : (uint16_t)offsetof(struct svr_skey4, dport);
	}
	return DP_FIRST_SESSION;
}

/* --- SVR (docs/svr.md) --- */

/* Between routers every packet has TCP or UDP: ICMP and the other protocols cross as UDP
 * (svr-protocol.md §2.1, O-9). */
static bool carried_as_udp(uint8_t proto)
{
	return proto != SVR_IPPROTO_TCP && proto != SVR_IPPROTO_UDP;
}

/* Creates an IPv4 session; the outcome as for any first packet. */
static enum dp_first create4(struct dp_worker *w, const struct svr_skey4 *k, struct svr_skey4 *rev,
			     const struct svr_session_place *place, struct fill4 *arg,
			     uint64_t *data, enum svr_drop_reason *why)
{
	bool existing;
	/* its limits or DSCP mark need an ext slot; without one left it is made all the same,
	 * unlimited and unmarked (counted) */
	arg->degraded = peer_degraded(arg->a->svc);
	if (arg->ext == DP_EXT_NONE && dp_session_limits_wanted(arg->a->svc, arg->degraded) &&
	    (arg->ext = dp_ext_take()) == DP_EXT_NONE)
		w->stats.limits_pool_full++;
	tenant_count(arg->a, 1);
	int64_t rc = svr_session_create4(dp_sess.table, k, rev, place, fill4, arg, &existing);
	if (rc < 0 || existing)
		tenant_count(arg->a, -1);
	if (rc < 0) {
		*why = create_error(rc);
		return DP_FIRST_DROP;
	}
	if (existing) /* another worker's session: our key may be its reverse one */
		return found(svr_session_find4(dp_sess.table, k), data, why);
	w->stats.sessions_created++; /* half-open: counted by the table as it publishes it */
	*data = (uint64_t)rc << 1 | SVR_DIR_FWD;
	/* the generation the worker runs under (published, so not freed under it) */
	dp_session_record_start(w, atomic_load_explicit(w->gen, memory_order_acquire),
				(uint32_t)rc);
	arg->made = true;
	return DP_FIRST_SESSION;
}

/* create4, and the ext slot back when no session of ours came of it. */
static enum dp_first create4_ext(struct dp_worker *w, const struct svr_skey4 *k,
				 struct svr_skey4 *rev, const struct svr_session_place *place,
				 struct fill4 *arg, uint64_t *data, enum svr_drop_reason *why)
{
	enum dp_first r = create4(w, k, rev, place, arg, data, why);
	if (arg->ext != DP_EXT_NONE && !(r == DP_FIRST_SESSION && arg->made)) {
		dp_ext_give_back(arg->ext);
		arg->ext = DP_EXT_NONE;
	}
	return r;
}

/* sessions.h; paths/choice.c makes the choice. */
uint16_t dp_session_path_for_new(const struct dp_svc_policy *s)
{
	uint32_t c = atomic_load_explicit(&s->choice, memory_order_acquire);
	switch (c >> 16) {
	case SVR_RANK_OK:
	case SVR_RANK_BEST_EFFORT:
		return (uint16_t)c;
	case SVR_RANK_REFUSE:
		return DP_NO_SVR_PATH;
	default: /* none usable: one whose BFD is up, if any, else the best */
		return (uint16_t)c != DP_NO_SVR_PATH ? (uint16_t)c : s->svr_path;
	}
}

/*
 * Ingress: the session leaves between our waypoint and the peer's, on an even
 * port of ours and an odd one of the peer's, and its first packets
 * carry forward metadata until the peer's reverse metadata arrives.
 */
static enum dp_first svr_ingress4(struct dp_worker *w, const struct dp_gen *g,
				  const struct svr_skey4 *k, const struct admitted *a,
				  uint64_t *data, enum svr_drop_reason *why)
{
	uint16_t slot = dp_session_path_for_new(a->svc);
	/* a learned path before its peer's BFD said where it is: nowhere to send */
	uint32_t remote = slot == DP_NO_SVR_PATH ? 0 : dp_svr_path_remote(dp_svr_path(slot));
	if (remote == 0) {
		/* answered: administratively prohibited */
		*why = a->svc->n_svr_paths == 0 && a->svc->n_outbound_only_paths
			   ? SVR_DROP_SVR_PEER_OUTBOUND_ONLY
			   : SVR_DROP_SLA_NO_PATH;
		return DP_FIRST_REFUSE;
	}
	struct svr_ip to;
	ip4_of(remote, &to);
	uint32_t table; /* to the peer: the main table's routes */
	int eg = egress_of(g, a->svc, DP_TFIB_NONE, &to, &table);
	if (eg < 0)
		return eg == DP_EGRESS_LOCAL ? DP_FIRST_LOCAL : DP_FIRST_NO_ROUTE;
	bool wrap = carried_as_udp(k->proto);
	struct svr_skey4 rev;
	struct svr_session_place place;
	dp_svr_waypoint_place(g, slot, wrap ? SVR_IPPROTO_UDP : k->proto, 0, g->spol->capacity,
			      &rev, &place);
	rev.src = remote; /* the learned binding read once: routed and placed toward one address */
	uint16_t payload_key = 0;
	if (a->svc->encrypt_payload && (payload_key = dp_svr_payload_key_current()) == 0) {
		*why = SVR_DROP_SVR_NO_KEY; /* the service asks for encryption: never in clear */
		return DP_FIRST_DROP;
	}
	struct fill4 arg = {.a = a,
			    .fwd = k,
			    .rev = &rev,
			    .svr_fwd = SVR_RW_MD_ADD | dp_svr_hmac_flags(g, slot, true) |
				       (wrap ? SVR_RW_UDP_WRAP : 0),
			    .svr_rev = SVR_RW_MD_ACK_PRESENT | dp_svr_hmac_flags(g, slot, false) |
				       (wrap ? SVR_RW_UDP_UNWRAP : 0),
			    .svr_path = slot,
			    .svr_wrap = wrap ? 1 : 0,
			    .payload_key = payload_key,
			    .ext = DP_EXT_NONE};
	/* resiliency duplicate: a second leg on a disjoint path, when there is one */
	uint16_t leg2 = atomic_load_explicit(&a->svc->dup_choice, memory_order_relaxed);
	if (a->svc->resiliency == SVR_RESILIENCY_DUPLICATE && leg2 != DP_NO_SVR_PATH &&
	    leg2 != slot)
		arg.dup = (arg.ext = dp_dup_take(w, SVR_DIR_REV)) != DP_EXT_NONE;
	enum dp_first r = create4_ext(w, k, &rev, &place, &arg, data, why);
	if (arg.dup && arg.ext != DP_EXT_NONE)
		dp_dup_second_leg(w, g, svr_sess_idx(*data), leg2);
	return r;
}

/*
 * Whether our own classification of the tuple the forward metadata restores
 * (before any NAT of ours) is the service it names. The name alone would let
 * a peer reach any address, port or protocol under a service whose access
 * rules admit its tenant, or a more specific service's address (with rules of
 * its own) under a broader one's name. One model: a peer's classification
 * agrees with ours.
 */
static bool restores_into(const struct dp_gen *g, const struct svr_md_ctx *fwd, uint32_t svc)
{
	struct svr_ip dst;
	ip4_of(0, &dst);
	memcpy(dst.addr, fwd->dst, 4);
	/* ports as the ingress classified them: TCP and UDP only */
	uint16_t dport =
	    fwd->proto == SVR_IPPROTO_TCP || fwd->proto == SVR_IPPROTO_UDP ? fwd->dport : 0;
	return svr_classify_service(g->classifier, fwd->proto, &dst, dport) == svc;
}

/*
 * Egress: a first packet for one of our waypoints whose payload starts with
 * metadata. The tenant comes from the metadata, the service by name, and the
 * tuple it restores must classify as that service here; access is checked
 * for the original source; then our own service route applies to the
 * original tuple. The session is keyed by the waypoint tuple; the answers
 * carry reverse metadata until a forward packet without it arrives.
 */
static enum dp_first svr_egress4(struct dp_worker *w, const struct dp_gen *g, uint16_t iface_in,
				 const uint8_t *ip, const struct svr_flow4 *f, uint64_t *data,
				 enum svr_drop_reason *why)
{
	const struct svr_skey4 *k = &f->key;
	if (k->proto != SVR_IPPROTO_TCP && k->proto != SVR_IPPROTO_UDP)
		return DP_FIRST_NOT_SVR;
	size_t l4h = svr_wire_l4_hlen(ip);
	if (l4h == 0 || f->l4_off + l4h > f->len)
		return DP_FIRST_NOT_SVR;
	const uint8_t *pl = ip + f->l4_off + l4h;
	size_t plen = f->len - f->l4_off - l4h;
	if (!svr_md_has_cookie(pl, plen))
		return DP_FIRST_NOT_SVR;
	/* Nothing is created before the packet proves it comes from a peer, signed. */
	int slot = dp_svr_path_find(g, k->dst, k->src);
	if (slot < 0) {
		*why = SVR_DROP_SVR_UNKNOWN_PEER;
		return DP_FIRST_DROP;
	}
	/* from the peer only over the path's interface, as for the session's later packets */
	if (iface_in != dp_svr_path_policy(g, (uint16_t)slot)->iface) {
		*why = SVR_DROP_SVR_WRONG_SIDE;
		return DP_FIRST_DROP;
	}
	struct svr_md md;
	*why = dp_svr_read_first(w, g, (uint16_t)slot, ip, f->l4_off, &md);
	if (*why != SVR_DROP_MAX)
		return DP_FIRST_DROP;
	*why = SVR_DROP_SVR_METADATA;
	if ((md.present & (SVR_MDF_FWD_CTX | SVR_MDF_UUID | SVR_MDF_SERVICE)) !=
		(SVR_MDF_FWD_CTX | SVR_MDF_UUID | SVR_MDF_SERVICE) ||
	    md.fwd.family != 4 ||
	    (md.fwd.proto != k->proto &&
	     (k->proto != SVR_IPPROTO_UDP || md.fwd.proto == SVR_IPPROTO_TCP)))
		return DP_FIRST_DROP;      /* TCP never comes as UDP (no UDP transform) */
	if (md.present & SVR_MDF_MODIFY) { /* a live session moved to this path? */
		enum dp_first r = dp_session_rebind4(w, g, (uint16_t)slot, k, &md, data, why);
		if (r != DP_FIRST_NOT_SVR)
			return r;
		*why = SVR_DROP_SVR_METADATA;
	}
	bool wrap = carried_as_udp(md.fwd.proto);
	uint32_t svc = dp_session_policy_find(g, SVR_SEC_SERVICES, md.service.s);
	uint32_t tenant = md.present & SVR_MDF_TENANT
			      ? dp_session_policy_find(g, SVR_SEC_TENANTS, md.tenant.s)
			      : UINT32_MAX;
	struct svr_ip src;
	ip4_of(0, &src);
	memcpy(src.addr, md.fwd.src, 4);
	if (svc == UINT32_MAX) {
		*why = SVR_DROP_NO_SERVICE;
		return DP_FIRST_DROP;
	}
	if (!restores_into(g, &md.fwd, svc)) {
		*why = SVR_DROP_SVR_SERVICE_MISMATCH;
		return DP_FIRST_DROP;
	}
	int64_t unix_now = atomic_load_explicit(&dp_sess.unix_s, memory_order_relaxed);
	uint32_t rule;
	switch (svr_classify_access(g->classifier, svc, tenant, &src, unix_now, &rule)) {
	case SVR_ACCESS_ALLOW:
		break;
	case SVR_ACCESS_DENIED:
		*why = SVR_DROP_ACCESS_DENIED;
		return DP_FIRST_DROP;
	default:
		*why = SVR_DROP_ACCESS_NO_RULE;
		return DP_FIRST_DROP;
	}
	struct admitted a = {.svc = &g->spol->svc[svc],
			     .rule_id = rule_id_of(g->spol, rule),
			     .in_iface = (uint8_t)iface_in};
	if (a.svc->route == DP_SROUTE_PEER) { /* a further SVR hop: later */
		*why = SVR_DROP_ROUTE_PEER;
		return DP_FIRST_DROP;
	}
	if ((*why = limits(g->spol, md.fwd.proto, &src, tenant, &a)) != SVR_DROP_MAX)
		return DP_FIRST_DROP;
	/* The original tuple, as our own routing sends it on. */
	struct svr_skey4 out = {.proto = md.fwd.proto};
	memcpy(&out.src, md.fwd.src, 4);
	memcpy(&out.dst, md.fwd.dst, 4);
	/* ports: TCP and UDP; an echo's identifier; none for other protocols (O-9) */
	out.sport = !wrap || md.fwd.proto == SVR_IPPROTO_ICMP ? rte_cpu_to_be_16(md.fwd.sport) : 0;
	out.dport = wrap ? 0 : rte_cpu_to_be_16(md.fwd.dport);
	struct svr_session_place place;
	enum dp_first r = route_out4(g, &a, &out, &place, why);
	if (r != DP_FIRST_SESSION)
		return r;
	struct svr_skey4 rev;
	svr_skey4_reverse(&out, &rev);
	uint16_t payload_key = 0; /* TLV 11: the ingress encrypts this session's payloads */
	if ((md.present & SVR_MDF_SESSION_ENCRYPTED) &&
	    (payload_key = dp_svr_payload_key_of(md.security_id)) == 0) {
		*why = SVR_DROP_SVR_NO_KEY;
		return DP_FIRST_DROP;
	}
	struct fill4 arg = {.a = &a,
			    .fwd = k,
			    .rev = &rev,
			    .svr_fwd = SVR_RW_MD_ACK_ABSENT |
				       dp_svr_hmac_flags(g, (uint16_t)slot, false) |
				       (wrap ? SVR_RW_UDP_UNWRAP : 0),
			    .svr_rev = SVR_RW_MD_ADD | dp_svr_hmac_flags(g, (uint16_t)slot, true) |
				       (wrap ? SVR_RW_UDP_WRAP : 0),
			    .svr_path = (uint16_t)slot,
			    .svr_wrap = wrap ? 2 : 0,
			    .uuid = md.uuid,
			    .moves = md.present & SVR_MDF_MODIFY ? (uint8_t)md.modify : 0,
			    .payload_key = payload_key,
			    .ext = DP_EXT_NONE};
	/* Our NAT changes the tuple: the reverse metadata must still mirror the forward one. */
	if (!wrap && (memcmp(&out.src, md.fwd.src, 4) != 0 || memcmp(&out.dst, md.fwd.dst, 4) != 0))
		arg.fwd_ctx = &md.fwd;
	/* Its UUID may not open another session (replays), claimed before this one is made: of
	 * two copies of a first packet on two workers, one gets through. Remembered after the
	 * session for twice the idle timeout it is made with. */
	if ((*why = dp_svr_uuid_claim(md.uuid)) != SVR_DROP_MAX)
		return DP_FIRST_DROP;
	/* the first leg of a duplicated session to arrive (the second finds it by its UUID); it
	 * numbers and copies its answers too when its own policy says duplicate and it has room */
	arg.dup_in = (md.present & SVR_MDF_MODIFY) && (md.modify & SVR_MD_MODIFY_D);
	if (arg.dup_in && a.svc->resiliency == SVR_RESILIENCY_DUPLICATE)
		arg.dup = (arg.ext = dp_dup_take(w, SVR_DIR_FWD)) != DP_EXT_NONE;
	r = create4_ext(w, k, &rev, &place, &arg, data, why);
	if (r != DP_FIRST_SESSION ||
	    memcmp(dp_sess.table->info[svr_sess_idx(*data)].uuid, md.uuid, 16) != 0)
		dp_svr_uuid_unclaim(md.uuid); /* none of this UUID made (another's on the tuple) */
	else
		dp_svr_uuid_bind(md.uuid, svr_sess_idx(*data)); /* found by it if it moves */
	return r;
}

enum dp_first dp_session_first4(struct dp_worker *w, const struct dp_gen *g, struct rte_mbuf *m,
				const uint8_t *ip, struct svr_flow4 *f, uint64_t *data,
				enum svr_drop_reason *why)
{
	(void)ip;
	const struct svr_skey4 *k = &f->key;
	*data = svr_session_find4(dp_sess.table, k);
	if (*data != UINT64_MAX)
		return DP_FIRST_SESSION;
	struct svr_ip src, dst;
	ip4_of(k->src, &src);
	ip4_of(k->dst, &dst);
	uint16_t dport = k->proto == SVR_IPPROTO_TCP || k->proto == SVR_IPPROTO_UDP
			     ? rte_be_to_cpu_16(k->dport)
			     : 0;
	uint32_t svc = svr_classify_service(g->classifier, k->proto, &dst, dport);
	bool dnat = svc != UINT32_MAX && g->spol->svc[svc].route == DP_SROUTE_NAT;
	uint8_t type = fib_type(g, &dst);
	if (type == SVR_NH_LOCAL && !dnat && f->key.proto == SVR_IPPROTO_UDP &&
	    f->key.dport == rte_cpu_to_be_16(SVR_BFD_PORT)) {
		/* BFD (docs/paths.md), not a session: only from a peer path, within its rate */
		*why = dp_paths_admit(w, g, f->key.dst, f->key.src, dp_meta(m)->iface_in);
		return *why == SVR_DROP_MAX ? DP_FIRST_PATHS : DP_FIRST_DROP;
	}
	if (type == SVR_NH_LOCAL && !dnat) {
		/* For one of our waypoints, with metadata: a session from an SVR peer. */
		enum dp_first r = svr_egress4(w, g, dp_meta(m)->iface_in, ip, f, data, why);
		return r == DP_FIRST_NOT_SVR ? DP_FIRST_LOCAL : r;
	}
	if (type == SVR_NH_BROADCAST) {
		*why = SVR_DROP_IP4_BCAST;
		return DP_FIRST_DROP;
	}
	if (!f->may_start) {
		*why = not_startable(k->proto);
		return DP_FIRST_DROP;
	}
	struct admitted a;
	bool refuse;
	*why = admit(g, dp_meta(m)->iface_in, k->proto, &src, svc, &a, &refuse);
	if (*why != SVR_DROP_MAX) {
		refused_event(w, g, dp_meta(m)->iface_in, k->proto, &src, &dst, k->sport, k->dport,
			      svc, a.rule_id, *why);
		return refuse ? DP_FIRST_REFUSE : DP_FIRST_DROP;
	}
	if (a.svc->route == DP_SROUTE_PEER)
		return svr_ingress4(w, g, k, &a, data, why);

	/* Destination NAT, then where the forward direction leaves: source NAT there? */
	struct svr_skey4 out = *k, rev;
	struct svr_session_place place;
	enum dp_first r = route_out4(g, &a, &out, &place, why);
	if (r != DP_FIRST_SESSION)
		return r;
	svr_skey4_reverse(&out, &rev); /* as the answer arrives, after both translations */
	struct fill4 arg = {.a = &a, .fwd = k, .rev = &rev, .ext = DP_EXT_NONE};
	return create4_ext(w, k, &rev, &place, &arg, data, why);
}

/* --- IPv6: no translation (NAT66 is not supported) --- */

struct fill6 {
	const struct admitted *a;
	const struct svr_skey6 *fwd;
};

static void fill6(struct svr_session *s, struct svr_session_info *info, void *arg)
{
	const struct fill6 *f = arg;
	fill_common(s, info, f->a, f->fwd->proto);
}

enum dp_first dp_session_first6(struct dp_worker *w, const struct dp_gen *g, struct rte_mbuf *m,
				const uint8_t *ip, struct svr_flow6 *f, uint64_t *data,
				enum svr_drop_reason *why)
{
	(void)ip;
	const struct svr_skey6 *k = &f->key;
	*data = svr_session_find6(dp_sess.table, k);
	if (*data != UINT64_MAX)
		return DP_FIRST_SESSION;
	struct svr_ip src = {.family = SVR_AF_INET6}, dst = {.family = SVR_AF_INET6};
	memcpy(src.addr, k->src, 16);
	memcpy(dst.addr, k->dst, 16);
	uint16_t dport = k->proto == SVR_IPPROTO_TCP || k->proto == SVR_IPPROTO_UDP
			     ? rte_be_to_cpu_16(k->dport)
			     : 0;
	uint32_t svc = svr_classify_service(g->classifier, k->proto, &dst, dport);
	bool dnat = svc != UINT32_MAX && g->spol->svc[svc].route == DP_SROUTE_NAT;
	if (fib_type(g, &dst) == SVR_NH_LOCAL && !dnat)
		return DP_FIRST_LOCAL;
	if (!f->may_start) {
		*why = not_startable(k->proto);
		return DP_FIRST_DROP;
	}
	struct admitted a;
	bool refuse;
	*why = admit(g, dp_meta(m)->iface_in, k->proto, &src, svc, &a, &refuse);
	if (*why != SVR_DROP_MAX) {
		refused_event(w, g, dp_meta(m)->iface_in, k->proto, &src, &dst, k->sport, k->dport,
			      svc, a.rule_id, *why);
		return refuse ? DP_FIRST_REFUSE : DP_FIRST_DROP;
	}
	struct dp_session_egress e; /* IPv6: no NAT (a destination NAT is refused) */
	if ((*why = dp_session_egress(g, a.svc, a.table_slot, &dst, &e)) != SVR_DROP_MAX)
		return DP_FIRST_DROP;
	if (e.iface < 0)
		return e.iface == DP_EGRESS_LOCAL ? DP_FIRST_LOCAL : DP_FIRST_NO_ROUTE;
	struct svr_skey6 rev;
	svr_skey6_reverse(k, &rev);
	struct svr_session_place place = {.limit = g->spol->capacity};
	struct fill6 arg = {.a = &a, .fwd = k};
	bool existing;
	tenant_count(&a, 1);
	int64_t rc = svr_session_create6(dp_sess.table, k, &rev, &place, fill6, &arg, &existing);
	if (rc < 0 || existing)
		tenant_count(&a, -1);
	if (rc < 0) {
		*why = create_error(rc);
		return DP_FIRST_DROP;
	}
	if (existing) /* another worker's session: our key may be its reverse one */
		return found(svr_session_find6(dp_sess.table, k), data, why);
	w->stats.sessions_created++; /* half-open: counted by the table as it publishes it */
	*data = (uint64_t)rc << 1 | SVR_DIR_FWD;
	/* the generation the worker runs under (published, so not freed under it) */
	dp_session_record_start(w, atomic_load_explicit(w->gen, memory_order_acquire),
				(uint32_t)rc);
	return DP_FIRST_SESSION;
}
