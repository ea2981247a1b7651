/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "why" of a first packet (docs/telemetry.md "Why"): what the running policy would do with
 * it and why, decision by decision — the tenant of its source, the service of its destination,
 * the access rule, the service policy, the route with its NAT and, over SVR, each peer path with
 * why it won or lost. Main lcore; reads the generation in force and creates nothing (no session,
 * no counter moves, no rate is spent): the question an operator asks before and after a change.
 * It asks the creation path's own functions (classify.c, dp_session_route_check,
 * dp_session_path_for_new, dp_session_egress) so that the answer is the decision, not a copy of
 * it.
 */
#include "session/why.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>

#include "common/image.h"
#include "common/pathrank.h"
#include "core/dp.h"
#include "flow/names.h"
#include "flow/state.h"
#include "flow/table.h"
#include "l2l3/fib.h"
#include "paths/paths.h"
#include "session/classify.h"
#include "session/sessions.h"
#include "svr/counters.h"
#include "svrpath/first.h"
#include "svrpath/keys.h"
#include "svrpath/path.h"

#define NO_ENTRY UINT32_MAX /* no tenant, service or rule (the classifier's "none") */

/* A first packet to explain: its tuple and the interface it came in by, or, for a session that
 * came from a peer over SVR, what the peer's metadata named. */
struct first_packet {
	struct dp_why_args a;                            /* a.iface: NULL when it came over SVR */
	const char *tenant, *service, *peer, *peer_path; /* over SVR */
};

static const char *img_name(const void *img, enum svr_img_section sec, uint32_t i)
{
	uint32_t n;
	const uint32_t *names = svr_img_table(img, sec, &n); /* name is every entry's first */
	size_t stride = svr_img_entry_size(sec) / sizeof(uint32_t);
	return i < n ? svr_img_str(img, names[(size_t)i * stride]) : NULL;
}

static json_t *name_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static const char *tenant_by_name(uint8_t by)
{
	switch (by) {
	case SVR_TENANT_BY_MEMBER:
		return "member";
	case SVR_TENANT_BY_INTERFACE:
		return "interface";
	default:
		return "none";
	}
}

static json_t *tenant_json(const struct dp_gen *g, const struct svr_tenant_why *w)
{
	json_t *o = json_pack("{s:o, s:s}", "name",
			      name_or_null(img_name(g->image, SVR_SEC_TENANTS, w->tenant)), "by",
			      tenant_by_name(w->by));
	if (w->by == SVR_TENANT_BY_MEMBER) {
		json_object_set_new(o, "neighborhood", json_string(svr_img_str(g->image, w->hood)));
		json_object_set_new(o, "prefix-length", json_integer(w->prefix_len));
	}
	return o;
}

static json_t *service_json(const struct dp_gen *g, const struct svr_service_why *w)
{
	json_t *o = json_pack("{s:o}", "name",
			      name_or_null(img_name(g->image, SVR_SEC_SERVICES, w->service)));
	if (w->service == NO_ENTRY)
		return o;
	json_object_set_new(o, "prefix-length", json_integer(w->prefix_len));
	json_object_set_new(o, "by-port", json_boolean(w->by_port));
	uint32_t n;
	const struct svr_img_transport *tr = svr_img_table(g->image, SVR_SEC_TRANSPORTS, &n);
	if (w->transport < n) {
		const struct svr_img_transport *t = &tr[w->transport];
		json_t *x = json_pack("{s:i}", "protocol", t->protocol);
		if (t->has_ports)
			json_object_set_new(x, "ports",
					    json_pack("[i, i]", t->port_lo, t->port_hi));
		json_object_set_new(o, "transport", x);
	}
	return o;
}

/* The access rule's label: its place among the service's rules in the model. */
static json_t *rule_json(const struct dp_gen *g, uint32_t svc, uint32_t rule)
{
	const struct svr_img_service *s = svr_img_table(g->image, SVR_SEC_SERVICES, NULL);
	if (rule == NO_ENTRY || rule < s[svc].access.first)
		return json_null();
	char label[96];
	snprintf(label, sizeof(label), "%s/access[%u]", svr_img_str(g->image, s[svc].name),
		 rule - s[svc].access.first);
	return json_string(label);
}

static json_t *ip4_json(uint32_t be)
{
	struct svr_ip ip = {.family = SVR_AF_INET};
	char buf[INET6_ADDRSTRLEN];
	memcpy(ip.addr, &be, 4);
	return json_string(svr_ip_fmt(&ip, buf, sizeof(buf)));
}

static void refused(json_t *o, enum svr_drop_reason r)
{
	json_object_set_new(o, "verdict", json_string("refused"));
	json_object_set_new(o, "reason", json_string(svr_drop_name(r)));
}

/* ------------------------------------------------------------ peer paths -- */

/* Why path i of the service (best first) was not the one chosen for new sessions. */
static const char *path_lost(const struct dp_svc_policy *sp, uint8_t i, uint16_t chosen,
			     bool usable)
{
	uint16_t slot = sp->svr_paths[i];
	if (chosen == DP_NO_SVR_PATH)
		return "none chosen: new sessions are refused";
	if (sp->resiliency == SVR_RESILIENCY_DUPLICATE &&
	    slot == atomic_load_explicit(&sp->dup_choice, memory_order_relaxed))
		return "second leg (resiliency duplicate)";
	if (!usable)
		return "down or in its hold-down";
	if (!sp->compliant[i]) /* always compliant without an SLA */
		return "outside the SLA";
	return "ranked after the chosen one (within the SLA first, then cost, then latency)";
}

/*
 * Each of the service's peer paths, best first, then those its policy's vectors never take,
 * with why it was or was not chosen (chosen: the path a new session takes now, or
 * DP_NO_SVR_PATH when new sessions are refused).
 */
static json_t *paths_json(const struct dp_svc_policy *sp, uint16_t chosen)
{
	json_t *list = json_array();
	for (uint8_t i = 0; i < sp->n_svr_paths; i++) {
		uint16_t slot = sp->svr_paths[i];
		const struct dp_svr_path *p = dp_svr_path(slot);
		bool usable = dp_paths_usable(slot);
		const char *why = slot == chosen ? "chosen" : path_lost(sp, i, chosen, usable);
		json_t *o = json_pack("{s:s, s:s, s:b, s:b, s:s}", "peer", p->peer, "path", p->name,
				      "usable", usable, "within-sla", sp->compliant[i], "why", why);
		json_object_set_new(o, "cost",
				    sp->svr_path_cost[i] == SVR_RANK_COST_UNLISTED
					? json_string("unlisted")
					: json_integer((json_int_t)sp->svr_path_cost[i]));
		json_array_append_new(list, o);
	}
	for (uint8_t i = 0; i < sp->n_never_paths; i++) {
		const struct dp_svr_path *p = dp_svr_path(sp->never_paths[i]);
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:b, s:s}", "peer", p->peer,
						      "path", p->name, "cost", "never", "usable",
						      dp_paths_usable(sp->never_paths[i]), "why",
						      "never (its vector's cost)"));
	}
	return list;
}

/* ----------------------------------------------------------------- route -- */

static const char *route_kind(uint8_t route)
{
	switch (route) {
	case DP_SROUTE_PEER:
		return "peer";
	case DP_SROUTE_NAT:
		return "nat-target";
	case DP_SROUTE_VIA:
		return "next-hop";
	default:
		return "routing";
	}
}

/* route's "leaves-by"; when nothing routes the packet out, the verdict too (false then). */
static bool leaves_by_or_verdict(const struct dp_gen *g, int iface, json_t *route, json_t *o)
{
	if (iface >= 0) {
		json_object_set_new(route, "leaves-by", json_string(g->ifaces[iface].name));
		return true;
	}
	json_object_set_new(route, "leaves-by", json_null());
	if (iface == DP_EGRESS_LOCAL)
		json_object_set_new(o, "verdict", json_string("local"));
	else
		refused(o, SVR_DROP_NO_ROUTE);
	return false;
}

/* Over SVR: the path a new session takes, every alternative, the waypoints it leaves with. */
static void route_why_peer(const struct dp_gen *g, const struct dp_svc_policy *sp,
			   enum svr_drop_reason r, json_t *route, json_t *o)
{
	uint16_t slot = r == SVR_DROP_MAX ? dp_session_path_for_new(sp) : DP_NO_SVR_PATH;
	uint32_t remote = slot == DP_NO_SVR_PATH ? 0 : dp_svr_path_remote(dp_svr_path(slot));
	if (r == SVR_DROP_MAX && remote == 0)
		r = sp->n_svr_paths == 0 && sp->n_outbound_only_paths
			? SVR_DROP_SVR_PEER_OUTBOUND_ONLY
			: SVR_DROP_SLA_NO_PATH;
	if (r == SVR_DROP_MAX && sp->encrypt_payload && dp_svr_payload_key_current() == 0)
		r = SVR_DROP_SVR_NO_KEY; /* the service asks for encryption: never in clear */
	json_object_set_new(route, "paths",
			    paths_json(sp, r == SVR_DROP_MAX ? slot : DP_NO_SVR_PATH));
	if (r != SVR_DROP_MAX) {
		refused(o, r);
		return;
	}
	const struct dp_svr_path *p = dp_svr_path(slot);
	struct svr_ip to = {.family = SVR_AF_INET};
	memcpy(to.addr, &remote, 4);
	struct dp_session_egress e;
	dp_session_egress(g, sp, &to, &e);
	if (!leaves_by_or_verdict(g, e.iface, route, o))
		return;
	json_object_set_new(route, "nat",
			    json_pack("{s:o, s:o, s:s}", "source", ip4_json(p->local),
				      "destination", ip4_json(remote), "as",
				      "the path's waypoints"));
	json_object_set_new(o, "verdict", json_string("allowed"));
}

/* Not over SVR: destination NAT, the interface it leaves by, that interface's source NAT. */
static void route_why_direct(const struct dp_gen *g, const struct dp_svc_policy *sp,
			     const struct svr_ip *dst, enum svr_drop_reason r, json_t *route,
			     json_t *o)
{
	char buf[INET6_ADDRSTRLEN];
	struct dp_session_egress e;
	if (r == SVR_DROP_MAX)
		r = dp_session_egress(g, sp, dst, &e);
	if (r != SVR_DROP_MAX) {
		refused(o, r);
		return;
	}
	if (sp->route == DP_SROUTE_VIA) {
		uint16_t via =
		    sp->via < g->spol->n_vias ? g->spol->via_iface[sp->via] : DP_NO_IFACE;
		json_object_set_new(route, "next-hop-interface",
				    via < g->n_ifaces ? json_string(g->ifaces[via].name)
						      : json_null());
	}
	if (!leaves_by_or_verdict(g, e.iface, route, o))
		return;
	json_object_set_new(
	    route, "nat",
	    json_pack("{s:o, s:o}", "source", e.source_nat ? ip4_json(e.source_nat) : json_null(),
		      "destination",
		      sp->route == DP_SROUTE_NAT ? json_string(svr_ip_fmt(&e.dst, buf, sizeof(buf)))
						 : json_null()));
	json_object_set_new(o, "verdict", json_string("allowed"));
}

/*
 * The route an admitted first packet of service svc takes, its NAT and the verdict, into o. A
 * session that came over SVR goes on by this router's own route, never to a further peer (one
 * hop between two routers).
 */
static void route_why(const struct dp_gen *g, const struct dp_svc_policy *sp,
		      const struct dp_why_args *a, bool came_over_svr, json_t *o)
{
	json_t *route = json_object();
	json_object_set_new(o, "route", route);
	json_object_set_new(route, "kind", json_string(route_kind(sp->route)));
	enum svr_drop_reason r = came_over_svr && sp->route == DP_SROUTE_PEER
				     ? SVR_DROP_ROUTE_PEER
				     : dp_session_route_check(sp, a->src.family);
	if (sp->route == DP_SROUTE_PEER)
		route_why_peer(g, sp, r, route, o);
	else
		route_why_direct(g, sp, &a->dst, r, route, o);
}

/* ------------------------------------------------------- a live session -- */

static void tuple_of(const void *key, uint8_t family, struct dp_why_args *a)
{
	if (family == 4) {
		const struct svr_skey4 *k = key;
		a->src.family = a->dst.family = SVR_AF_INET;
		memcpy(a->src.addr, &k->src, 4);
		memcpy(a->dst.addr, &k->dst, 4);
		a->proto = k->proto;
		a->sport = rte_be_to_cpu_16(k->sport);
		a->dport = rte_be_to_cpu_16(k->dport);
	} else {
		const struct svr_skey6 *k = key;
		a->src.family = a->dst.family = SVR_AF_INET6;
		memcpy(a->src.addr, k->src, 16);
		memcpy(a->dst.addr, k->dst, 16);
		a->proto = k->proto;
		a->sport = rte_be_to_cpu_16(k->sport);
		a->dport = rte_be_to_cpu_16(k->dport);
	}
}

/*
 * Whether this router's own NAT changes the tuple of a session of service svc to dst (its
 * forward rewrite then holds the translated tuple, not the one the peer's metadata carried).
 */
static bool nat_here(const struct dp_gen *g, const char *svc, const struct svr_ip *dst)
{
	uint32_t s = svc ? dp_session_policy_find(g, SVR_SEC_SERVICES, svc) : NO_ENTRY;
	if (s >= g->spol->n_services)
		return false;
	const struct dp_svc_policy *sp = &g->spol->svc[s];
	struct dp_session_egress e;
	return sp->route == DP_SROUTE_NAT ||
	       (dp_session_egress(g, sp, dst, &e) == SVR_DROP_MAX && e.source_nat);
}

/*
 * A session that came from a peer over SVR: its key is the waypoints'; the tuple it stands for
 * is the one the metadata carried: kept apart when this router's NAT changed it (while its slot
 * holds it), else the forward rewrite's (the packet as it leaves here). False with *error when
 * this router's NAT changed it and it is no longer kept.
 */
static bool from_peer(const struct dp_gen *g, uint32_t idx, const struct svr_session *s,
		      struct first_packet *p, const char **error)
{
	const struct svr_rewrite *fw = svr_session_rw(s, SVR_DIR_FWD);
	const struct svr_session_info *info = &dp_sess.table->info[idx];
	struct dp_why_args *a = &p->a;
	struct svr_md_ctx c;
	p->tenant = svr_names_get(dp_sess.tenants, info->tenant);
	p->service = svr_names_get(dp_sess.services, info->service);
	a->src.family = a->dst.family = SVR_AF_INET;
	if (dp_svr_fwd_ctx_of(idx, info->uuid, &c)) {
		memcpy(a->src.addr, c.src, 4);
		memcpy(a->dst.addr, c.dst, 4);
		a->sport = c.sport;
		a->dport = c.dport;
	} else {
		memcpy(a->src.addr, &fw->src, 4);
		memcpy(a->dst.addr, &fw->dst, 4);
		a->sport = rte_be_to_cpu_16(fw->sport);
		a->dport = rte_be_to_cpu_16(fw->dport);
		if (nat_here(g, p->service, &a->dst)) {
			*error =
			    "cannot tell: this session came from a peer and this router's NAT "
			    "changed its tuple; the one the peer's metadata carried is no longer "
			    "kept here (ask the router it came from, by the same UUID)";
			return false;
		}
	}
	if (__atomic_load_n(&fw->flags, __ATOMIC_RELAXED) & SVR_RW_UDP_UNWRAP)
		a->proto = fw->wrapped_proto; /* it crossed as UDP (O-9) */
	const struct dp_svr_path *path = dp_svr_path(svr_session_rw(s, SVR_DIR_REV)->svr_path);
	p->peer = path->peer;
	p->peer_path = path->name;
	a->iface = NULL;
	return true;
}

/*
 * A live session's first packet as it arrived (its forward key) and the interface it came in
 * by (its note), or as the peer's metadata carried it; false with *error when it cannot be told.
 */
static bool session_packet(const struct dp_gen *g, uint32_t idx, struct first_packet *p,
			   const char **error)
{
	const struct svr_session_table *t = dp_sess.table;
	const void *fwd, *rev;
	memset(p, 0, sizeof(*p));
	if (svr_session_keys(t, idx, &fwd, &rev) < 0) {
		*error = "no live session has this UUID";
		return false;
	}
	tuple_of(fwd, svr_session_family(&t->info[idx]), &p->a);
	const struct svr_session *s = &t->entries[idx];
	if (svr_session_rw(s, SVR_DIR_REV)->svr & SVR_RW2_TO_PEER) /* answers go to the peer */
		return from_peer(g, idx, s, p, error);
	uint8_t in = t->notes[idx].in_iface;
	if (in >= g->n_ifaces || !g->ifaces[in].in_use) {
		*error = "cannot tell: the interface this session came in by is not in the policy "
			 "in force";
		return false;
	}
	p->a.iface = g->ifaces[in].name;
	return true;
}

static json_t *packet_why(const struct dp_gen *g, const struct first_packet *p, const char **error);

/* What the session was given when it began, and the path it is on (over SVR). */
static json_t *session_json(const struct dp_gen *g, uint32_t idx)
{
	const struct svr_session_info *info = &dp_sess.table->info[idx];
	const struct svr_session *s = &dp_sess.table->entries[idx];
	uint8_t in = dp_sess.table->notes[idx].in_iface;
	json_t *o = json_pack(
	    "{s:o, s:o, s:o, s:o}", "tenant",
	    name_or_null(svr_names_get(dp_sess.tenants, info->tenant)), "service",
	    name_or_null(svr_names_get(dp_sess.services, info->service)), "rule",
	    name_or_null(svr_names_get(dp_sess.rules, dp_sess.table->notes[idx].rule)), "interface",
	    name_or_null(in < g->n_ifaces && g->ifaces[in].in_use ? g->ifaces[in].name : NULL));
	const struct svr_rewrite *fw = svr_session_rw(s, SVR_DIR_FWD);
	if (((fw->svr | svr_session_rw(s, SVR_DIR_REV)->svr) & SVR_RW2_TO_PEER) &&
	    fw->svr_path < DP_MAX_SVR_PATHS)
		json_object_set_new(o, "path", json_string(dp_svr_path(fw->svr_path)->name));
	return o;
}

/* Whether the policy in force would now refuse the session, or admit it otherwise. */
static bool decided_otherwise(const json_t *now, const json_t *began)
{
	const json_t *access = json_object_get(now, "access");
	const char *verdict = json_string_value(json_object_get(now, "verdict"));
	if (!verdict || strcmp(verdict, "allowed") != 0 ||
	    !json_equal(json_object_get(access, "rule"), json_object_get(began, "rule")))
		return true;
	return !json_equal(json_object_get(json_object_get(now, "tenant"), "name"),
			   json_object_get(began, "tenant")) ||
	       !json_equal(json_object_get(json_object_get(now, "service"), "name"),
			   json_object_get(began, "service"));
}

json_t *dp_session_why(const struct dp_gen *g, const struct dp_why_args *a, const char **error)
{
	if (!g || !g->classifier || !g->spol) {
		*error = "no policy in force yet";
		return NULL;
	}
	if (!a->has_uuid)
		return packet_why(g, &(struct first_packet){.a = *a}, error);
	int64_t idx = a->uuid_valid ? dp_session_by_uuid(a->uuid) : -1;
	struct first_packet packet;
	if (idx < 0) {
		*error = "no live session has this UUID";
		return NULL;
	}
	if (!session_packet(g, (uint32_t)idx, &packet, error))
		return NULL;
	json_t *o = packet_why(g, &packet, error);
	if (!o)
		return NULL;
	json_t *began = session_json(g, (uint32_t)idx);
	json_object_set_new(o, "policy-changed-since", json_boolean(decided_otherwise(o, began)));
	json_object_set_new(o, "session", began);
	return o;
}

/* ------------------------------------------------------- a first packet -- */

/* Came over SVR: the peer, the path and the tuple the metadata carried ("arrived"), and the
 * tenant it named. */
static uint32_t tenant_from_peer(const struct dp_gen *g, const struct first_packet *p, json_t *o)
{
	const struct dp_why_args *a = &p->a;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	json_object_set_new(o, "arrived",
			    json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:i}", "over", "svr", "peer",
				      p->peer, "path", p->peer_path, "source",
				      svr_ip_fmt(&a->src, src, sizeof(src)), "destination",
				      svr_ip_fmt(&a->dst, dst, sizeof(dst)), "source-port",
				      a->sport, "destination-port", a->dport));
	json_object_set_new(
	    o, "tenant",
	    json_pack("{s:o, s:s}", "name", name_or_null(p->tenant), "by", "metadata"));
	return p->tenant ? dp_session_policy_find(g, SVR_SEC_TENANTS, p->tenant) : NO_ENTRY;
}

/* The source's tenant by the interface it comes in by; false with *error for an interface the
 * policy in force does not have. */
static bool tenant_here(const struct dp_gen *g, const struct dp_why_args *a, json_t *o,
			uint32_t *tenant, const char **error)
{
	unsigned slot = 0;
	while (slot < g->n_ifaces &&
	       !(g->ifaces[slot].in_use && strcmp(g->ifaces[slot].name, a->iface) == 0))
		slot++;
	if (slot == g->n_ifaces) {
		*error = "no interface of that name in the policy in force";
		return false;
	}
	struct svr_tenant_why tw;
	*tenant = svr_classify_tenant_why(g->classifier, g->ifaces[slot].img_index, &a->src, &tw);
	json_object_set_new(o, "tenant", tenant_json(g, &tw));
	return true;
}

/*
 * Before access: what the FIB and the service say of the destination. Returns the service, or
 * NO_ENTRY with the verdict set (for the router itself, a directed broadcast, no service).
 * Over SVR the service is the one the metadata named, and the tuple must classify into it here.
 */
static uint32_t service_why(const struct dp_gen *g, const struct first_packet *p, json_t *o)
{
	const struct dp_why_args *a = &p->a;
	struct svr_service_why sw;
	uint16_t dport = a->proto == SVR_IPPROTO_TCP || a->proto == SVR_IPPROTO_UDP ? a->dport : 0;
	uint32_t svc = svr_classify_service_why(g->classifier, a->proto, &a->dst, dport, &sw);
	json_t *so = service_json(g, &sw);
	json_object_set_new(o, "service", so);
	if (!a->iface) { /* over SVR */
		uint32_t named =
		    p->service ? dp_session_policy_find(g, SVR_SEC_SERVICES, p->service) : NO_ENTRY;
		json_object_set_new(so, "name", name_or_null(p->service));
		json_object_set_new(so, "by", json_string("metadata"));
		if (named == NO_ENTRY)
			refused(o, SVR_DROP_NO_SERVICE);
		else if (named != svc) { /* the creation path refuses what a peer misnames */
			json_object_set_new(
			    so, "classified-here",
			    name_or_null(img_name(g->image, SVR_SEC_SERVICES, svc)));
			refused(o, SVR_DROP_SVR_SERVICE_MISMATCH);
		}
		return named == svc ? svc : NO_ENTRY;
	}
	bool dnat = svc != NO_ENTRY && g->spol->svc[svc].route == DP_SROUTE_NAT;
	uint8_t type = g->fib->nh[svr_fib_lookup(g->fib, &a->dst)].type;
	if (type == SVR_NH_LOCAL && !dnat) {
		/* the router's own protocols answer it (ARP, ICMP echo, BFD, SVR), not a session */
		json_object_set_new(o, "verdict", json_string("local"));
		return NO_ENTRY;
	}
	if (type == SVR_NH_BROADCAST) {
		refused(o, SVR_DROP_IP4_BCAST);
		return NO_ENTRY;
	}
	if (svc == NO_ENTRY)
		refused(o, SVR_DROP_NO_SERVICE);
	return svc;
}

/* Each decision the creation path (session/create.c) takes for the packet, in its order. */
static json_t *packet_why(const struct dp_gen *g, const struct first_packet *p, const char **error)
{
	const struct dp_why_args *a = &p->a;
	json_t *o = json_object();
	uint32_t tenant = NO_ENTRY;
	if (!a->iface)
		tenant = tenant_from_peer(g, p, o);
	else if (!tenant_here(g, a, o, &tenant, error)) {
		json_decref(o);
		return NULL;
	}
	uint32_t svc = service_why(g, p, o);
	if (svc == NO_ENTRY)
		return o;
	uint32_t rule;
	int64_t now = atomic_load_explicit(&dp_sess.unix_s, memory_order_relaxed);
	enum svr_access acc = svr_classify_access(g->classifier, svc, tenant, &a->src, now, &rule);
	static const char *const decision[] = {"allow", "no-rule", "deny-rule"};
	json_object_set_new(
	    o, "access",
	    json_pack("{s:s, s:o}", "decision", decision[acc], "rule", rule_json(g, svc, rule)));
	const struct svr_img_service *is = svr_img_table(g->image, SVR_SEC_SERVICES, NULL);
	json_object_set_new(
	    o, "policy",
	    name_or_null(img_name(g->image, SVR_SEC_SERVICE_POLICIES, is[svc].policy)));
	if (acc != SVR_ACCESS_ALLOW) {
		refused(o, acc == SVR_ACCESS_DENIED ? SVR_DROP_ACCESS_DENIED
						    : SVR_DROP_ACCESS_NO_RULE);
		return o;
	}
	/* limits depend on the live counts of the moment: the packet itself would meet them */
	route_why(g, &g->spol->svc[svc], a, !a->iface, o);
	return o;
}
