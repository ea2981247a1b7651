/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "why" of a first packet (docs/telemetry.md "Why"): what the running policy would do with
 * it and why, decision by decision — the tenant of its source, the service of its destination,
 * the access rule, the service policy, the route and, over SVR, each peer path with why it won
 * or lost. Main lcore; reads the generation in force and creates nothing (no session, no
 * counter moves, no rate is spent): the what-if an operator runs before a change.
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
#include "flow/table.h"
#include "session/sessions.h"
#include "flow/state.h"
#include "paths/paths.h"
#include "session/classify.h"
#include "svrpath/path.h"

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
static json_t *paths_json(const struct dp_svc_policy *sp)
{
	json_t *list = json_array();
	uint32_t choice = atomic_load_explicit(&sp->choice, memory_order_acquire);
	uint16_t chosen = (uint16_t)choice;
	for (uint8_t i = 0; i < sp->n_svr_paths; i++) {
		uint16_t slot = sp->svr_paths[i];
		const struct dp_svr_path *p = dp_svr_path(slot);
		bool usable = dp_paths_usable(slot),
		     never = sp->svr_path_cost[i] == SVR_RANK_COST_NEVER;
		const char *why = slot == chosen ? "chosen"
				  : never        ? "never (its vector's cost)"
				  : !usable      ? "down or in its hold-down"
				  : !sp->compliant[i] && sp->sla_loss_mpct != UINT32_MAX
				      ? "outside the SLA"
				      : "ranked after the chosen one (cost, then latency)";
		json_t *o = json_pack("{s:s, s:s, s:b, s:b, s:s}", "peer", p->peer, "path", p->name,
				      "usable", usable, "within-sla", sp->compliant[i], "why", why);
		json_object_set_new(o, "cost",
				    never ? json_string("never")
					  : json_integer((json_int_t)sp->svr_path_cost[i]));
		json_array_append_new(list, o);
	}
	return list;
}

static json_t *route_json(const struct dp_gen *g, const struct dp_svc_policy *sp)
{
	char buf[48];
	switch (sp->route) {
	case DP_SROUTE_PEER:
		return json_pack("{s:s, s:o}", "kind", "peer", "paths", paths_json(sp));
	case DP_SROUTE_NAT:
		return json_pack("{s:s, s:s}", "kind", "nat-target", "target",
				 svr_ip_fmt(&sp->nat_target, buf, sizeof(buf)));
	case DP_SROUTE_VIA: {
		uint16_t ifc =
		    sp->via < g->spol->n_vias ? g->spol->via_iface[sp->via] : DP_NO_IFACE;
		return json_pack("{s:s, s:o}", "kind", "next-hop", "interface",
				 ifc < g->n_ifaces ? json_string(g->ifaces[ifc].name)
						   : json_null());
	}
	default:
		return json_pack("{s:s}", "kind", "routing");
	}
}

/*
 * A live session's first packet as it arrived (its forward key) and the interface it came in
 * by (its note); false when idx is not a session's or the interface is gone.
 */
static bool session_packet(const struct dp_gen *g, uint32_t idx, struct dp_why_args *a)
{
	const struct svr_session_table *t = dp_sess.table;
	const void *fwd, *rev;
	if (svr_session_keys(t, idx, &fwd, &rev) < 0)
		return false;
	memset(a, 0, sizeof(*a));
	if (svr_session_family(&t->info[idx]) == 4) {
		const struct svr_skey4 *k = fwd;
		a->src.family = a->dst.family = SVR_AF_INET;
		memcpy(a->src.addr, &k->src, 4);
		memcpy(a->dst.addr, &k->dst, 4);
		a->proto = k->proto;
		a->sport = rte_be_to_cpu_16(k->sport);
		a->dport = rte_be_to_cpu_16(k->dport);
	} else {
		const struct svr_skey6 *k = fwd;
		a->src.family = a->dst.family = SVR_AF_INET6;
		memcpy(a->src.addr, k->src, 16);
		memcpy(a->dst.addr, k->dst, 16);
		a->proto = k->proto;
		a->sport = rte_be_to_cpu_16(k->sport);
		a->dport = rte_be_to_cpu_16(k->dport);
	}
	uint8_t in = t->notes[idx].in_iface;
	if (in >= g->n_ifaces || !g->ifaces[in].in_use)
		return false;
	a->iface = g->ifaces[in].name;
	return true;
}

static json_t *why_packet(const struct dp_gen *g, const struct dp_why_args *a, const char **error);

json_t *dp_session_why(const struct dp_gen *g, const struct dp_why_args *a, const char **error)
{
	if (!g || !g->classifier || !g->spol) {
		*error = "no policy in force yet";
		return NULL;
	}
	if (!a->has_uuid)
		return why_packet(g, a, error);
	int64_t idx = a->uuid_valid ? dp_session_by_uuid(a->uuid) : -1;
	struct dp_why_args packet;
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
	json_object_set_new(o, "session",
			    json_pack("{s:o, s:o, s:o, s:s}", "tenant", name_or_null(ten),
				      "service", name_or_null(svc), "rule", name_or_null(rule),
				      "interface", packet.iface));
	const char *now_svc =
	    json_string_value(json_object_get(json_object_get(o, "service"), "name"));
	const char *now_rule =
	    json_string_value(json_object_get(json_object_get(o, "access"), "rule"));
	bool same = (svc && now_svc && strcmp(svc, now_svc) == 0) &&
		    ((!rule && !now_rule) || (rule && now_rule && strcmp(rule, now_rule) == 0));
	json_object_set_new(o, "policy-changed-since", json_boolean(!same));
	return o;
}

static json_t *why_packet(const struct dp_gen *g, const struct dp_why_args *a, const char **error)
{
	unsigned slot = 0;
	while (slot < g->n_ifaces &&
	       !(g->ifaces[slot].in_use && strcmp(g->ifaces[slot].name, a->iface) == 0))
		slot++;
	if (slot == g->n_ifaces) {
		*error = "no interface of that name in the policy in force";
		return NULL;
	}
	json_t *o = json_object();
	struct svr_tenant_why tw;
	uint32_t tenant =
	    svr_classify_tenant_why(g->classifier, g->ifaces[slot].img_index, &a->src, &tw);
	json_object_set_new(o, "tenant", tenant_json(g, &tw));
	struct svr_service_why sw;
	uint32_t svc = svr_classify_service_why(g->classifier, a->proto, &a->dst, a->dport, &sw);
	json_object_set_new(o, "service", service_json(g, &sw));
	if (svc == NONE) {
		json_object_set_new(o, "verdict", json_string("refused"));
		json_object_set_new(o, "reason", json_string("no-service"));
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
		json_object_set_new(o, "verdict", json_string("refused"));
		json_object_set_new(
		    o, "reason",
		    json_string(acc == SVR_ACCESS_DENIED ? "access-denied" : "access-no-rule"));
		return o;
	}
	json_object_set_new(o, "route", route_json(g, &g->spol->svc[svc]));
	/* limits depend on the live counts of the moment: the packet itself would meet them */
	json_object_set_new(o, "verdict", json_string("allowed"));
	return o;
}
