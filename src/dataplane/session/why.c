/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "why" of a first packet (docs/telemetry.md "Why"): what the running policy would do with
 * it and why, decision by decision — the tenant of its source, the service of its destination,
 * the access rule, the service policy, the route with its NAT and, over SVR, each peer path with
 * why it won or lost. Main lcore; reads the generation in force and creates nothing (no session,
 * no counter moves, no rate is spent): the what-if an operator runs before a change. It asks the
 * creation path's own functions (classify.c, dp_session_route_check, dp_session_path_for_new,
 * dp_session_egress) so that the answer is the decision, not a copy of it.
 */
#include "session/why.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>

#include "common/image.h"
#include "common/pathrank.h"
#include "core/dp.h"
#include "l2l3/fib.h"
#include "flow/names.h"
#include "flow/table.h"
#include "session/sessions.h"
#include "flow/state.h"
#include "paths/paths.h"
#include "session/classify.h"
#include "svrpath/first.h"
#include "svrpath/path.h"
#include "svr/counters.h"

#define NONE UINT32_MAX

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

static json_t *tenant_json(const struct dp_gen *g, const struct svr_tenant_why *w)
{
	static const char *const by[] = {"none", "member", "interface"};
	json_t *o = json_pack("{s:o, s:s}", "name",
			      name_or_null(img_name(g->image, SVR_SEC_TENANTS, w->tenant)), "by",
			      by[w->by < 3 ? w->by : 0]);
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
	if (w->service == NONE)
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
	if (rule == NONE || rule < s[svc].access.first)
		return json_null();
	char label[96];
	snprintf(label, sizeof(label), "%s/access[%u]", svr_img_str(g->image, s[svc].name),
		 rule - s[svc].access.first);
	return json_string(label);
}

/* Each of the service's peer paths, in its policy's order, with why it was or was not chosen. */
static json_t *paths_json(const struct dp_svc_policy *sp, uint16_t chosen)
{
	json_t *list = json_array();
	for (uint8_t i = 0; i < sp->n_svr_paths; i++) {
		uint16_t slot = sp->svr_paths[i];
		const struct dp_svr_path *p = dp_svr_path(slot);
		bool usable = dp_paths_usable(slot);
		const char *why = slot == chosen ? "chosen"
				  : !usable      ? "down or in its hold-down"
				  : !sp->compliant[i] && sp->sla_loss_mpct != UINT32_MAX
				      ? "outside the SLA"
				      : "ranked after the chosen one (cost, then latency)";
		json_t *o = json_pack("{s:s, s:s, s:b, s:b, s:s}", "peer", p->peer, "path", p->name,
				      "usable", usable, "within-sla", sp->compliant[i], "why", why);
		json_object_set_new(o, "cost", json_integer((json_int_t)sp->svr_path_cost[i]));
		json_array_append_new(list, o);
	}
	for (uint8_t i = 0; i < sp->n_never_paths; i++) {
		const struct dp_svr_path *p = dp_svr_path(sp->never_paths[i]);
		json_array_append_new(list,
				      json_pack("{s:s, s:s, s:s, s:b, s:b, s:s}", "peer", p->peer,
						"path", p->name, "cost", "never", "usable",
						dp_paths_usable(sp->never_paths[i]), "within-sla",
						false, "why", "never (its vector's cost)"));
	}
	return list;
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

/* The interface a session leaves by, or why nothing routes it (verdict set); false then. */
static bool leaves_by(const struct dp_gen *g, int iface, json_t *route, json_t *o)
{
	if (iface >= 0) {
		json_object_set_new(route, "leaves-by", json_string(g->ifaces[iface].name));
		return true;
	}
	json_object_set_new(route, "leaves-by", json_null());
	if (iface == -2)
		json_object_set_new(o, "verdict", json_string("local"));
	else
		refused(o, SVR_DROP_NO_ROUTE);
	return false;
}

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

/*
 * The route an admitted first packet of service svc takes, and its NAT, into o ("route",
 * "verdict"): over SVR the chosen peer path (its waypoints are the addresses it leaves with) and
 * every alternative; else the interface it leaves by with destination and source NAT.
 */
static void route_why(const struct dp_gen *g, const struct dp_svc_policy *sp,
		      const struct dp_why_args *a, bool from_peer, json_t *o)
{
	char buf[INET6_ADDRSTRLEN];
	json_t *route = json_object();
	json_object_set_new(o, "route", route);
	json_object_set_new(route, "kind", json_string(route_kind(sp->route)));
	/* an SVR session from a peer goes on by this router's own route: a further hop is not
	 * taken (svr-protocol.md: one hop between two routers) */
	enum svr_drop_reason r = from_peer && sp->route == DP_SROUTE_PEER
				     ? SVR_DROP_ROUTE_PEER
				     : dp_session_route_check(sp, a->src.family);
	if (sp->route == DP_SROUTE_PEER) {
		uint16_t slot = r == SVR_DROP_MAX ? dp_session_path_for_new(sp) : DP_NO_SVR_PATH;
		json_object_set_new(route, "paths", paths_json(sp, slot));
		if (r == SVR_DROP_MAX && slot == DP_NO_SVR_PATH)
			r = SVR_DROP_SLA_NO_PATH;
		if (r != SVR_DROP_MAX) {
			refused(o, r);
			return;
		}
		const struct dp_svr_path *p = dp_svr_path(slot);
		struct svr_ip to = {.family = SVR_AF_INET};
		memcpy(to.addr, &p->remote, 4);
		struct dp_session_egress e;
		dp_session_egress(g, sp, &to, &e);
		if (!leaves_by(g, e.iface, route, o))
			return;
		json_object_set_new(route, "nat",
				    json_pack("{s:o, s:o, s:s}", "source", ip4_json(p->local),
					      "destination", ip4_json(p->remote), "as",
					      "the path's waypoints"));
		json_object_set_new(o, "verdict", json_string("allowed"));
		return;
	}
	struct dp_session_egress e;
	if (r == SVR_DROP_MAX)
		r = dp_session_egress(g, sp, &a->dst, &e);
	if (r != SVR_DROP_MAX) {
		refused(o, r);
		return;
	}
	if (sp->route == DP_SROUTE_VIA)
		json_object_set_new(route, "next-hop-interface",
				    sp->via < g->spol->n_vias &&
					    g->spol->via_iface[sp->via] < g->n_ifaces
					? json_string(g->ifaces[g->spol->via_iface[sp->via]].name)
					: json_null());
	if (!leaves_by(g, e.iface, route, o))
		return;
	json_object_set_new(
	    route, "nat",
	    json_pack("{s:o, s:o}", "source", e.source_nat ? ip4_json(e.source_nat) : json_null(),
		      "destination",
		      sp->route == DP_SROUTE_NAT ? json_string(svr_ip_fmt(&e.dst, buf, sizeof(buf)))
						 : json_null()));
	json_object_set_new(o, "verdict", json_string("allowed"));
}

/* A first packet: the tuple, and the interface it came in by or the peer it came from. */
struct why_packet {
	struct dp_why_args a;  /* a.iface: NULL when it came over SVR */
	const char *tenant;    /* over SVR: the tenant the peer's metadata named, or NULL */
	const char *peer_path; /* over SVR: the path ("neighborhood/interface") */
	const char *peer;
};

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
 * A session that came from a peer over SVR: its key is the waypoints'; the tuple it stands for
 * is the one the metadata carried: kept apart when this router's NAT changed it, else the
 * forward rewrite's (the packet as it leaves here).
 */
static void from_peer(uint32_t idx, const struct svr_session *s, struct why_packet *p)
{
	const struct svr_rewrite *fw = svr_session_rw(s, SVR_DIR_FWD);
	const struct svr_session_info *info = &dp_sess.table->info[idx];
	struct svr_md_ctx c;
	struct dp_why_args *a = &p->a;
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
	}
	if (__atomic_load_n(&fw->flags, __ATOMIC_RELAXED) & SVR_RW_UDP_UNWRAP)
		a->proto = fw->wrapped_proto;
	const struct dp_svr_path *path = dp_svr_path(svr_session_rw(s, SVR_DIR_REV)->svr_path);
	p->peer = path->peer;
	p->peer_path = path->name;
	p->tenant = svr_names_get(dp_sess.tenants, info->tenant);
	a->iface = NULL;
}

/*
 * A live session's first packet as it arrived (its forward key) and the interface it came in
 * by (its note), or as the peer sent it; false when idx is not a session's or its interface is
 * gone.
 */
static bool session_packet(const struct dp_gen *g, uint32_t idx, struct why_packet *p)
{
	const struct svr_session_table *t = dp_sess.table;
	const void *fwd, *rev;
	if (svr_session_keys(t, idx, &fwd, &rev) < 0)
		return false;
	memset(p, 0, sizeof(*p));
	tuple_of(fwd, svr_session_family(&t->info[idx]), &p->a);
	const struct svr_session *s = &t->entries[idx];
	if (svr_session_rw(s, SVR_DIR_REV)->svr & SVR_RW2_TO_PEER) { /* answers go to the peer */
		from_peer(idx, s, p);
		return true;
	}
	uint8_t in = t->notes[idx].in_iface;
	if (in >= g->n_ifaces || !g->ifaces[in].in_use)
		return false;
	p->a.iface = g->ifaces[in].name;
	return true;
}

static json_t *why_packet(const struct dp_gen *g, const struct why_packet *p, const char **error);

json_t *dp_session_why(const struct dp_gen *g, const struct dp_why_args *a, const char **error)
{
	if (!g || !g->classifier || !g->spol) {
		*error = "no policy in force yet";
		return NULL;
	}
	if (!a->has_uuid)
		return why_packet(g, &(struct why_packet){.a = *a}, error);
	int64_t idx = a->uuid_valid ? dp_session_by_uuid(a->uuid) : -1;
	struct why_packet packet;
	if (idx < 0 || !session_packet(g, (uint32_t)idx, &packet)) {
		*error = "no live session has this UUID (or the interface it came in by is gone)";
		return NULL;
	}
	json_t *o = why_packet(g, &packet, error);
	if (!o)
		return NULL;
	/* what the session was given when it began, against what the policy says now */
	const struct svr_session_info *info = &dp_sess.table->info[idx];
	const char *ten = svr_names_get(dp_sess.tenants, info->tenant);
	const char *svc = svr_names_get(dp_sess.services, info->service);
	const char *rule = svr_names_get(dp_sess.rules, dp_sess.table->notes[idx].rule);
	uint8_t in = dp_sess.table->notes[idx].in_iface;
	json_object_set_new(
	    o, "session",
	    json_pack("{s:o, s:o, s:o, s:o}", "tenant", name_or_null(ten), "service",
		      name_or_null(svc), "rule", name_or_null(rule), "interface",
		      name_or_null(in < g->n_ifaces && g->ifaces[in].in_use ? g->ifaces[in].name
									    : NULL)));
	const char *now_svc =
	    json_string_value(json_object_get(json_object_get(o, "service"), "name"));
	const char *now_rule =
	    json_string_value(json_object_get(json_object_get(o, "access"), "rule"));
	bool same = (svc && now_svc && strcmp(svc, now_svc) == 0) &&
		    ((!rule && !now_rule) || (rule && now_rule && strcmp(rule, now_rule) == 0));
	json_object_set_new(o, "policy-changed-since", json_boolean(!same));
	return o;
}

/* The tenant of a first packet ("tenant", and "arrived" over SVR), or UINT32_MAX; false with
 * *error when its interface is not in the policy in force. */
static bool tenant_why(const struct dp_gen *g, const struct why_packet *p, json_t *o,
		       uint32_t *tenant, const char **error)
{
	const struct dp_why_args *a = &p->a;
	if (!a->iface) { /* from a peer: the tenant its metadata named */
		char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
		*tenant =
		    p->tenant ? dp_session_policy_find(g, SVR_SEC_TENANTS, p->tenant) : UINT32_MAX;
		json_object_set_new(o, "arrived",
				    json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:i}", "over", "svr",
					      "peer", p->peer, "path", p->peer_path, "source",
					      svr_ip_fmt(&a->src, src, sizeof(src)), "destination",
					      svr_ip_fmt(&a->dst, dst, sizeof(dst)), "source-port",
					      a->sport, "destination-port", a->dport));
		json_object_set_new(
		    o, "tenant",
		    json_pack("{s:o, s:s}", "name", name_or_null(p->tenant), "by", "metadata"));
		return true;
	}
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

/* Whether the FIB says dst is the router's own address. */
static bool for_the_router(const struct dp_gen *g, const struct svr_ip *dst)
{
	return g->fib->nh[svr_fib_lookup(g->fib, dst)].type == SVR_NH_LOCAL;
}

/* Each decision the creation path (session/create.c) takes for the packet, in its order. */
static json_t *why_packet(const struct dp_gen *g, const struct why_packet *p, const char **error)
{
	const struct dp_why_args *a = &p->a;
	json_t *o = json_object();
	uint32_t tenant;
	if (!tenant_why(g, p, o, &tenant, error)) {
		json_decref(o);
		return NULL;
	}
	struct svr_service_why sw;
	uint16_t dport = a->proto == SVR_IPPROTO_TCP || a->proto == SVR_IPPROTO_UDP ? a->dport : 0;
	uint32_t svc = svr_classify_service_why(g->classifier, a->proto, &a->dst, dport, &sw);
	json_object_set_new(o, "service", service_json(g, &sw));
	bool dnat = svc != NONE && g->spol->svc[svc].route == DP_SROUTE_NAT;
	if (a->iface && for_the_router(g, &a->dst) && !dnat) {
		/* the router's own protocols answer it (ARP, ICMP echo, BFD, SVR), not a session */
		json_object_set_new(o, "verdict", json_string("local"));
		return o;
	}
	if (svc == NONE) {
		refused(o, SVR_DROP_NO_SERVICE);
		return o;
	}
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
