/* SPDX-License-Identifier: BSD-3-Clause */
/* Each generation's session policy: service routes, timeouts, tenant limits, router limits. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/degraded.h"
#include "common/pathrank.h"
#include "core/dp.h"
#include "flow/names.h"
#include "session/limits.h"
#include "session/sessions.h"
#include "svrpath/path.h"
#include "svr/image.h"
#include "common/image.h"

/* Protocol defaults (docs/sessions.md); a service class may override each. */
static const struct dp_timeouts default_timeouts = {
    .tcp_handshake = 10,
    .tcp_established = 1900,
    .tcp_closing = 10,
    .udp = 180,
    .icmp = 10,
    .other = 180,
};

/* A class's timeout (seconds, 0: default), capped to what a session entry stores. */
static uint16_t timeout(uint32_t configured, uint16_t dflt)
{
	if (configured == 0)
		return dflt;
	return configured > UINT16_MAX ? UINT16_MAX : (uint16_t)configured;
}

static struct dp_timeouts class_timeouts(const void *img, uint32_t policy)
{
	struct dp_timeouts t = default_timeouts;
	uint32_t n_pol, n_cls;
	const struct svr_img_policy *pols = svr_img_table(img, SVR_SEC_SERVICE_POLICIES, &n_pol);
	const struct svr_img_class *cls = svr_img_table(img, SVR_SEC_SERVICE_CLASSES, &n_cls);
	if (policy >= n_pol || pols[policy].class >= n_cls)
		return t;
	const struct svr_img_class *c = &cls[pols[policy].class];
	t.tcp_handshake = timeout(c->tcp_handshake_s, t.tcp_handshake);
	t.tcp_established = timeout(c->tcp_established_s, t.tcp_established);
	t.tcp_closing = timeout(c->tcp_closing_s, t.tcp_closing);
	t.udp = timeout(c->udp_s, t.udp);
	t.other = timeout(c->udp_s, t.other);
	t.icmp = timeout(c->icmp_s, t.icmp);
	return t;
}

/* Whether a service's security policy (an image index, or none) encrypts payloads. */
static bool encrypts_payload(const void *img, uint32_t security)
{
	uint32_t n;
	const struct svr_img_security *sec = svr_img_table(img, SVR_SEC_SECURITY_POLICIES, &n);
	return security < n && sec[security].encrypt_payload &&
	       sec[security].encryption_cipher != SVR_CIPHER_NONE;
}

/* The stable slot of (interface name, gateway); appended when new. */
static int via_slot(const char *iface, const struct svr_ip *gw)
{
	for (unsigned i = 0; i < dp_sess.n_vias; i++)
		if (strcmp(dp_sess.vias[i].iface, iface) == 0 &&
		    svr_ip_equal(&dp_sess.vias[i].gw, gw))
			return (int)i;
	if (dp_sess.n_vias == DP_MAX_VIAS)
		return -1;
	struct dp_via *v = &dp_sess.vias[dp_sess.n_vias];
	snprintf(v->iface, sizeof(v->iface), "%s", iface);
	v->gw = *gw;
	return (int)dp_sess.n_vias++;
}

/* Where each via slot's interface is in this generation (by name: slots get reused). */
static int map_vias(struct dp_session_policy *p, const struct dp_gen *g)
{
	p->n_vias = dp_sess.n_vias;
	p->via_iface = malloc(sizeof(*p->via_iface) * (p->n_vias ? p->n_vias : 1));
	if (!p->via_iface)
		return -1;
	for (unsigned v = 0; v < p->n_vias; v++) {
		p->via_iface[v] = DP_NO_IFACE;
		for (unsigned i = 0; i < g->n_ifaces; i++)
			if (g->ifaces[i].in_use &&
			    strcmp(g->ifaces[i].name, dp_sess.vias[v].iface) == 0)
				p->via_iface[v] = (uint16_t)i;
	}
	return 0;
}

/* A path from our DHCP interface before its lease: our waypoint 0.0.0.0 (docs/routing.md, "DHCP
 * on a WAN interface"), no path until a generation has the lease. */
static bool lease_pending(const struct svr_img_peer_path *pp)
{
	static const uint8_t any[4];
	return pp->local.family == 4 && memcmp(pp->local.addr, any, 4) == 0;
}

/* The stable slot of a peer path (appended when new), or DP_NO_SVR_PATH when all are taken. */
static uint16_t path_slot(const void *img, const struct svr_img_peer *peer,
			  const struct svr_img_peer_path *pp, const uint16_t *slot_of,
			  const struct dp_gen *g)
{
	char name[80];
	snprintf(name, sizeof(name), "%s/%s", svr_img_str(img, pp->neighborhood),
		 g->ifaces[slot_of[pp->local_iface]].name);
	uint32_t local, remote;
	memcpy(&local, pp->local.addr, 4);
	memcpy(&remote, pp->remote.addr, 4);
	int slot = dp_svr_path_slot(svr_img_str(img, peer->name), name, local, remote);
	return slot < 0 ? DP_NO_SVR_PATH : (uint16_t)slot;
}

/* Every IPv4 peer path gets its slot (the egress finds a packet's path by its waypoints) and
 * this generation's settings for it; slots of paths no longer in the model stay zero. */
static int register_paths(struct dp_session_policy *p, const void *img, const uint16_t *slot_of,
			  const struct dp_gen *g)
{
	p->svr_paths = calloc(DP_MAX_SVR_PATHS, sizeof(*p->svr_paths));
	if (!p->svr_paths)
		return -1;
	uint32_t n_peers, n_ifaces;
	const struct svr_img_peer *peers = svr_img_table(img, SVR_SEC_PEERS, &n_peers);
	const struct svr_img_peer_path *pps = svr_img_table(img, SVR_SEC_PEER_PATHS, NULL);
	const struct svr_img_iface *ifs = svr_img_table(img, SVR_SEC_INTERFACES, &n_ifaces);
	p->peers = calloc(n_peers ? n_peers : 1, sizeof(*p->peers));
	if (!p->peers)
		return -1;
	p->n_peers = n_peers;
	for (uint32_t i = 0; i < n_peers; i++) {
		struct dp_peer_paths *pk = &p->peers[i];
		pk->name = svr_img_str(img, peers[i].name);
		for (uint32_t j = 0; j < peers[i].paths.count; j++) {
			const struct svr_img_peer_path *pp = &pps[peers[i].paths.first + j];
			if (pp->local.family != 4 || pp->remote.family != 4)
				continue;
			if (lease_pending(pp))
				continue;
			uint16_t slot = path_slot(img, &peers[i], pp, slot_of, g);
			if (slot == DP_NO_SVR_PATH)
				continue;
			dp_svr_path_policy_fill(&p->svr_paths[slot], img, pp,
						slot_of[pp->local_iface]);
			if (pk->n < DP_SVC_PATHS) { /* what degraded mode weighs */
				uint64_t local = pp->local_iface < n_ifaces
						     ? ifs[pp->local_iface].capacity_bps
						     : 0;
				pk->cap[pk->n] = svr_path_capacity(local, pp->remote_capacity_bps);
				pk->slot[pk->n++] = slot;
			}
		}
	}
	return 0;
}

/* A path's cost under a service's policy: its vector's, unlisted last, "never" excluded. */
static uint64_t path_cost(const void *img, const struct svr_img_service *svc,
			  const struct svr_img_peer_path *pp)
{
	uint32_t n_pol;
	const struct svr_img_policy *pols = svr_img_table(img, SVR_SEC_SERVICE_POLICIES, &n_pol);
	const struct svr_img_vector *vec = svr_img_table(img, SVR_SEC_POLICY_VECTORS, NULL);
	if (svc->policy >= n_pol)
		return 0;
	const struct svr_img_policy *pol = &pols[svc->policy];
	const char *name = svr_img_str(img, pp->vector);
	for (uint32_t v = 0; v < pol->vectors.count; v++)
		if (strcmp(svr_img_str(img, vec[pol->vectors.first + v].vector), name) == 0)
			return vec[pol->vectors.first + v].cost == SVR_IMG_COST_NEVER
				   ? UINT64_MAX
				   : vec[pol->vectors.first + v].cost;
	return (uint64_t)UINT32_MAX; /* not listed: after every listed vector */
}

/*
 * The peer paths a service's sessions may take to a peer, best first: IPv4 waypoints, "never"
 * excluded (kept apart in s->never_paths), by vector cost (ties in model order). Which one a
 * session takes depends on which are up when it starts (create.c). Returns how many (at most
 * DP_SVC_PATHS).
 */
static uint8_t ranked_paths(const void *img, const struct svr_img_service *svc, uint32_t peer,
			    const uint16_t *slot_of, const struct dp_gen *g,
			    struct dp_svc_policy *s)
{
	uint16_t *out = s->svr_paths;
	uint64_t *cost = s->svr_path_cost;
	s->n_never_paths = 0;
	uint32_t n_peers;
	const struct svr_img_peer *peers = svr_img_table(img, SVR_SEC_PEERS, &n_peers);
	const struct svr_img_peer_path *pps = svr_img_table(img, SVR_SEC_PEER_PATHS, NULL);
	if (peer >= n_peers)
		return 0;
	uint8_t n = 0;
	s->n_outbound_only_paths = 0;
	for (uint32_t i = 0; i < peers[peer].paths.count; i++) {
		const struct svr_img_peer_path *pp = &pps[peers[peer].paths.first + i];
		uint64_t c = path_cost(img, svc, pp);
		if (pp->local.family != 4 || pp->remote.family != 4 || lease_pending(pp))
			continue;
		if (pp->flags & SVR_IMG_PATH_NO_INITIATE) { /* the peer's NAT lets nothing in */
			if (s->n_outbound_only_paths < UINT8_MAX)
				s->n_outbound_only_paths++;
			continue;
		}
		uint16_t slot = path_slot(img, &peers[peer], pp, slot_of, g);
		if (slot == DP_NO_SVR_PATH)
			continue;
		if (c == UINT64_MAX) {
			if (s->n_never_paths < DP_SVC_PATHS)
				s->never_paths[s->n_never_paths++] = slot;
			continue;
		}
		/* insertion after every path of lower or equal cost; the worst falls off a full
		 * list */
		uint8_t at = n;
		while (at > 0 && cost[at - 1] > c)
			at--;
		if (at == DP_SVC_PATHS)
			continue;
		uint8_t last = n < DP_SVC_PATHS ? n : DP_SVC_PATHS - 1;
		for (uint8_t k = last; k > at; k--) {
			cost[k] = cost[k - 1];
			out[k] = out[k - 1];
		}
		cost[at] = c;
		out[at] = slot;
		if (n < DP_SVC_PATHS)
			n++;
	}
	return n;
}

/* The policy's SLA in pathrank's units (ms -> us), best-effort, and no choice made yet: new
 * sessions take the best path until the main lcore has ranked them (paths/choice.c). */
static void sla_of(const void *img, uint32_t policy, struct dp_svc_policy *s)
{
	uint32_t n;
	const struct svr_img_policy *pol = svr_img_table(img, SVR_SEC_SERVICE_POLICIES, &n);
	s->sla_loss_mpct = s->sla_latency_us = s->sla_jitter_us = UINT32_MAX;
	s->best_effort = true;
	if (policy < n) {
		const struct svr_img_policy *p = &pol[policy];
		s->sla_loss_mpct = p->max_loss_milli_pct;
		if (p->max_latency_ms != UINT32_MAX)
			s->sla_latency_us = p->max_latency_ms < UINT32_MAX / 1000
						? p->max_latency_ms * 1000
						: UINT32_MAX - 1;
		if (p->max_jitter_ms != UINT32_MAX)
			s->sla_jitter_us = p->max_jitter_ms < UINT32_MAX / 1000
					       ? p->max_jitter_ms * 1000
					       : UINT32_MAX - 1;
		s->best_effort = p->best_effort != 0;
		s->resiliency = p->resiliency;
		s->revert_hold_ms = p->revert_hold_s * 1000u;
		s->min_dwell_ms = p->min_dwell_s * 1000u;
	}
	for (unsigned k = 0; k < DP_SVC_PATHS; k++)
		s->compliant[k] = true;
	atomic_init(&s->choice, (uint32_t)DP_NO_SVR_PATH | (uint32_t)SVR_RANK_NO_PATH << 16);
	atomic_init(&s->dup_choice, DP_NO_SVR_PATH);
}

/*
 * A service's limits and marks (session/limits.h) from its policy and the policy's class: the
 * class's DSCP and degraded action, the policy's rates; limit slots by name. -1 when the slots
 * are all taken.
 */
static int limits_of(struct dp_session_policy *p, const void *img, uint32_t policy,
		     struct dp_svc_policy *s)
{
	uint32_t n_pol, n_cls;
	const struct svr_img_policy *pols = svr_img_table(img, SVR_SEC_SERVICE_POLICIES, &n_pol);
	const struct svr_img_class *cls = svr_img_table(img, SVR_SEC_SERVICE_CLASSES, &n_cls);
	s->policy = policy < n_pol ? policy : UINT32_MAX;
	s->dscp = DP_DSCP_KEEP;
	s->degraded_action = SVR_DEGRADED_NONE;
	s->agg_slot = s->degraded_slot = s->peer = DP_NO_LIMIT;
	if (policy >= n_pol)
		return 0;
	const struct svr_img_policy *pol = &pols[policy];
	s->session_rate_bps = pol->session_rate_bps;
	s->burst_bytes = pol->burst_bytes
			     ? pol->burst_bytes
			     : svr_tbucket_default_burst(pol->session_rate_bps, DP_LIMIT_MTU);
	if (pol->aggregate_rate_bps) {
		s->agg_slot = dp_session_limit_slot("policy", svr_img_str(img, pol->name));
		if (s->agg_slot == DP_NO_LIMIT)
			return -1;
		p->slot_rate[s->agg_slot] = pol->aggregate_rate_bps;
		p->slot_burst[s->agg_slot] =
		    pol->burst_bytes
			? pol->burst_bytes
			: svr_tbucket_default_burst(pol->aggregate_rate_bps, DP_LIMIT_MTU);
	}
	if (pol->class >= n_cls)
		return 0;
	const struct svr_img_class *c = &cls[pol->class];
	if (c->dscp <= 63)
		s->dscp = c->dscp;
	s->degraded_action = c->degraded_action;
	if (c->degraded_action == SVR_DEGRADED_RATE_LIMIT && c->degraded_rate_bps) {
		s->degraded_slot = dp_session_limit_slot("class", svr_img_str(img, c->name));
		if (s->degraded_slot == DP_NO_LIMIT)
			return -1;
		p->slot_rate[s->degraded_slot] = c->degraded_rate_bps;
		p->slot_burst[s->degraded_slot] =
		    svr_tbucket_default_burst(c->degraded_rate_bps, DP_LIMIT_MTU);
	}
	return 0;
}

/* Each policy's max-sessions and the name ids of its services (their live counts). */
static int policy_limits(struct dp_session_policy *p, const void *img)
{
	uint32_t n_pol;
	const struct svr_img_policy *pols = svr_img_table(img, SVR_SEC_SERVICE_POLICIES, &n_pol);
	p->pol = calloc(n_pol ? n_pol : 1, sizeof(*p->pol));
	if (!p->pol)
		return -1;
	p->n_policies = n_pol;
	for (uint32_t i = 0; i < p->n_services; i++) {
		uint32_t k = p->svc[i].policy;
		if (k < n_pol && pols[k].max_sessions)
			p->pol[k].n_svc++;
	}
	for (uint32_t k = 0; k < n_pol; k++) {
		p->pol[k].max_sessions = pols[k].max_sessions;
		if (p->pol[k].n_svc &&
		    !(p->pol[k].svc_ids = calloc(p->pol[k].n_svc, sizeof(uint16_t))))
			return -1;
		p->pol[k].n_svc = 0;
	}
	for (uint32_t i = 0; i < p->n_services; i++) {
		uint32_t k = p->svc[i].policy;
		if (k < n_pol && pols[k].max_sessions && p->svc[i].id != SVR_NO_NAME)
			p->pol[k].svc_ids[p->pol[k].n_svc++] = p->svc[i].id;
	}
	return 0;
}

/* A named table of the image (services or tenants): its entries and where each keeps its name. */
struct named {
	const void *img;
	const uint8_t *t;
	size_t size, name_off;
	uint32_t n;
};

static struct named named_of(const void *img, enum svr_img_section sec)
{
	struct named c = {.img = img, .size = svr_img_entry_size(sec)};
	c.t = svr_img_table(img, sec, &c.n);
	c.name_off = sec == SVR_SEC_SERVICES ? offsetof(struct svr_img_service, name)
					     : offsetof(struct svr_img_tenant, name);
	return c;
}

static const char *name_at(const struct named *c, uint32_t i)
{
	uint32_t off;
	memcpy(&off, c->t + (size_t)i * c->size + c->name_off, sizeof(off));
	return svr_img_str(c->img, off);
}

static int by_name(const void *a, const void *b, void *arg)
{
	return strcmp(name_at(arg, *(const uint32_t *)a), name_at(arg, *(const uint32_t *)b));
}

/* The table's indices sorted by name (names are unique: validation). */
static uint32_t *sort_by_name(const void *img, enum svr_img_section sec)
{
	struct named c = named_of(img, sec);
	uint32_t *ix = calloc(c.n ? c.n : 1, sizeof(*ix));
	if (!ix)
		return NULL;
	for (uint32_t i = 0; i < c.n; i++)
		ix[i] = i;
	qsort_r(ix, c.n, sizeof(*ix), by_name, &c);
	return ix;
}

uint32_t dp_session_policy_find(const struct dp_gen *g, enum svr_img_section sec, const char *name)
{
	struct named c = named_of(g->image, sec);
	const uint32_t *ix =
	    sec == SVR_SEC_SERVICES ? g->spol->svc_by_name : g->spol->tenant_by_name;
	uint32_t lo = 0, hi = c.n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int d = strcmp(name, name_at(&c, ix[mid]));
		if (d == 0)
			return ix[mid];
		if (d < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return UINT32_MAX;
}

/*
 * The id of a name this generation uses, held until the generation is freed.
 * When the registry is full, names nothing uses any more are forgotten first;
 * SVR_NO_NAME only when 65,535 names are in use at once.
 */
/* A sweep the exporter refused is not tried again in the same build (each try waits). */
static bool sweep_refused;

static uint16_t hold_name(struct svr_names *reg, const char *name)
{
	uint16_t id = svr_names_hold(reg, name);
	if (id == SVR_NO_NAME && name && svr_names_free_ids(reg) == 0 && !sweep_refused) {
		sweep_refused = !dp_session_names_sweep();
		id = svr_names_hold(reg, name);
	}
	return id;
}

/*
 * Each access rule's label, "SERVICE/access[J]" (its place in the model), held by this
 * generation: a session names the rule that admitted it by the label's id (telemetry, "why").
 * A label the full registry cannot take is none: it names, it decides nothing.
 */
static int rule_labels(struct dp_session_policy *p, const void *img)
{
	uint32_t n_svc, n_rules;
	const struct svr_img_service *svc = svr_img_table(img, SVR_SEC_SERVICES, &n_svc);
	svr_img_table(img, SVR_SEC_ACCESS_RULES, &n_rules);
	p->rule_id = malloc((n_rules ? n_rules : 1) * sizeof(*p->rule_id));
	if (!p->rule_id)
		return -1;
	for (uint32_t r = 0; r < n_rules; r++)
		p->rule_id[r] = SVR_NO_NAME;
	p->n_rules = n_rules;
	for (uint32_t i = 0; i < n_svc; i++)
		for (uint32_t j = 0; j < svc[i].access.count; j++) {
			char label[96];
			snprintf(label, sizeof(label), "%s/access[%u]",
				 svr_img_str(img, svc[i].name), j);
			p->rule_id[svc[i].access.first + j] = hold_name(dp_sess.rules, label);
		}
	return 0;
}

void dp_session_policy_free(struct dp_session_policy *p)
{
	if (!p)
		return;
	for (uint32_t i = 0; p->svc && i < p->n_services; i++)
		svr_names_release(dp_sess.services, p->svc[i].id);
	for (uint32_t i = 0; p->tenant && i < p->n_tenants; i++)
		svr_names_release(dp_sess.tenants, p->tenant[i].id);
	for (uint32_t i = 0; p->rule_id && i < p->n_rules; i++)
		svr_names_release(dp_sess.rules, p->rule_id[i]);
	free(p->rule_id);
	free(p->svc_by_name);
	free(p->tenant_by_name);
	free(p->svc);
	free(p->tenant);
	free(p->via_iface);
	free(p->svr_paths);
	for (uint32_t k = 0; p->pol && k < p->n_policies; k++)
		free(p->pol[k].svc_ids);
	free(p->pol);
	free(p->slot_rate);
	free(p->slot_burst);
	free(p->peers);
	free(p);
}

int dp_session_policy_build(struct dp_gen *g, const void *img, const uint16_t *slot_of, char *err,
			    size_t errlen)
{
	struct dp_session_policy *p = calloc(1, sizeof(*p));
	if (!p)
		return svr_errf(err, errlen, "out of memory");
	g->spol = p;
	sweep_refused = false;
	uint32_t n_svc, n_ten, n_sr;
	const struct svr_img_service *svc = svr_img_table(img, SVR_SEC_SERVICES, &n_svc);
	const struct svr_img_tenant *ten = svr_img_table(img, SVR_SEC_TENANTS, &n_ten);
	const struct svr_img_service_route *sr = svr_img_table(img, SVR_SEC_SERVICE_ROUTES, &n_sr);
	p->svc = calloc(n_svc ? n_svc : 1, sizeof(*p->svc));
	p->tenant = calloc(n_ten ? n_ten : 1, sizeof(*p->tenant));
	p->svc_by_name = sort_by_name(img, SVR_SEC_SERVICES);
	p->tenant_by_name = sort_by_name(img, SVR_SEC_TENANTS);
	p->slot_rate = calloc(DP_MAX_LIMIT_SLOTS, sizeof(*p->slot_rate));
	p->slot_burst = calloc(DP_MAX_LIMIT_SLOTS, sizeof(*p->slot_burst));
	if (!p->svc || !p->tenant || !p->svc_by_name || !p->tenant_by_name || !p->slot_rate ||
	    !p->slot_burst)
		return svr_errf(err, errlen, "out of memory");
	p->n_services = n_svc;
	p->n_tenants = n_ten;
	for (uint32_t i = 0; i < n_svc; i++) /* nothing held yet (freed on an error) */
		p->svc[i].id = SVR_NO_NAME;
	for (uint32_t i = 0; i < n_ten; i++)
		p->tenant[i].id = SVR_NO_NAME;

	for (uint32_t i = 0; i < n_svc; i++) {
		struct dp_svc_policy *s = &p->svc[i];
		const char *name = svr_img_str(img, svc[i].name);
		s->id = hold_name(dp_sess.services, name);
		if (s->id == SVR_NO_NAME && name)
			return svr_errf(err, errlen,
					"more than %u service names in use (by the model and by "
					"live sessions)",
					SVR_NAMES_MAX);
		s->route = DP_SROUTE_FIB;
		s->via = SVR_VIA_FIB;
		s->svr_path = DP_NO_SVR_PATH;
		s->timeouts = class_timeouts(img, svc[i].policy);
		sla_of(img, svc[i].policy, s);
		s->encrypt_payload = encrypts_payload(img, svc[i].security);
		if (limits_of(p, img, svc[i].policy, s) < 0)
			return svr_errf(err, errlen,
					"more than %d policies with an aggregate-rate-bps and "
					"classes with a degraded rate-bps since start",
					DP_MAX_LIMIT_SLOTS);
	}
	if (policy_limits(p, img) < 0 || rule_labels(p, img) < 0)
		return svr_errf(err, errlen, "out of memory");
	/* The first route of a service is the one its sessions take; "routing" is one too (the FIB,
	 * and nothing after it). */
	bool *routed = calloc(n_svc ? n_svc : 1, sizeof(*routed));
	if (!routed)
		return svr_errf(err, errlen, "out of memory");
	for (uint32_t i = 0; i < n_sr; i++) {
		struct dp_svc_policy *s = &p->svc[sr[i].service];
		if (routed[sr[i].service])
			continue;
		routed[sr[i].service] = true;
		struct svr_prefix a;
		svr_img_prefix_to(&sr[i].address, &a);
		switch (sr[i].kind) {
		case SVR_SROUTE_PEER:
			s->route = DP_SROUTE_PEER;
			s->n_svr_paths =
			    ranked_paths(img, &svc[sr[i].service], sr[i].peer, slot_of, g, s);
			s->svr_path = s->n_svr_paths ? s->svr_paths[0] : DP_NO_SVR_PATH;
			if (sr[i].peer < DP_MAX_DEGRADED_PEERS)
				s->peer = (uint16_t)sr[i].peer;
			break;
		case SVR_SROUTE_NAT_TARGET:
			s->route = DP_SROUTE_NAT;
			s->nat_target = a.ip;
			break;
		case SVR_SROUTE_NEXT_HOP: {
			int v = via_slot(g->ifaces[slot_of[sr[i].iface]].name, &a.ip);
			if (v < 0) {
				free(routed);
				return svr_errf(err, errlen,
						"more than %d distinct next-hop service routes "
						"since start",
						DP_MAX_VIAS);
			}
			s->route = DP_SROUTE_VIA;
			s->via = (uint16_t)v;
			break;
		}
		case SVR_SROUTE_ROUTING: /* the FIB, as without a route */
			break;
		}
	}
	free(routed);
	if (register_paths(p, img, slot_of, g) < 0)
		return svr_errf(err, errlen, "out of memory");
	for (uint32_t i = 0; i < n_ten; i++) {
		/* without an id, max-sessions could not be counted: refused, never skipped */
		const char *name = svr_img_str(img, ten[i].name);
		p->tenant[i].id = hold_name(dp_sess.tenants, name);
		if (p->tenant[i].id == SVR_NO_NAME && name)
			return svr_errf(err, errlen,
					"more than %u tenant names in use (by the model and by "
					"live sessions)",
					SVR_NAMES_MAX);
		p->tenant[i].max_sessions = ten[i].max_sessions;
	}
	uint32_t n_collectors;
	svr_img_table(img, SVR_SEC_COLLECTORS, &n_collectors);
	p->records = n_collectors > 0;
	p->interim_s = svr_img_hdr(img)->ipfix.interim_s;
	const struct svr_img_limits *lim = &svr_img_hdr(img)->limits;
	p->capacity = dp_sess.table->capacity;
	if (lim->session_capacity && lim->session_capacity < p->capacity)
		p->capacity = (uint32_t)lim->session_capacity;
	p->per_source_per_s = lim->new_sessions_per_source;
	p->half_open = lim->half_open_tcp;
	p->degraded_pct = lim->degraded_pct;
	if (map_vias(p, g) < 0)
		return svr_errf(err, errlen, "out of memory");
	return 0;
}
