/* SPDX-License-Identifier: BSD-3-Clause */
#include "session/classify.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/image.h"
#include "common/log.h"

#define NONE UINT32_MAX

/*
 * One prefix-match table: (scope, family, length, masked address) -> a chain
 * of values. scope separates independent match spaces (a neighborhood's name
 * for tenant members; 0/1 for port-less/port-qualified service entries).
 */
struct pkey {
	uint32_t scope;
	uint8_t family, len, pad[2];
	uint8_t addr[16];
};

struct pslot {
	struct pkey key;
	uint32_t head; /* first value in vals, NONE: empty slot */
	uint32_t tail; /* last value: appending is O(1) however many values share the key */
};

struct ptable {
	struct pslot *slots;
	uint32_t mask;        /* slots - 1 */
	uint32_t *val, *next; /* chained values */
	uint32_t n_vals;
	uint8_t lens[2][129]; /* [family 4/6][len]: some entry has this length */
};

static uint32_t hash_key(const struct pkey *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint32_t h = 2166136261u; /* FNV-1a: keys are built here, not by an attacker */
	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static void make_key(struct pkey *k, uint32_t scope, const struct svr_ip *ip, uint8_t len)
{
	memset(k, 0, sizeof(*k));
	k->scope = scope;
	k->family = ip->family;
	k->len = len;
	struct svr_prefix p = {.ip = *ip, .len = len};
	svr_prefix_mask(&p);
	memcpy(k->addr, p.ip.addr, 16);
}

static int ptable_init(struct ptable *t, uint32_t n)
{
	uint32_t slots = 16;
	while (slots < 2 * n)
		slots <<= 1;
	t->slots = malloc(sizeof(*t->slots) * slots);
	t->val = malloc(sizeof(uint32_t) * (n ? n : 1));
	t->next = malloc(sizeof(uint32_t) * (n ? n : 1));
	if (!t->slots || !t->val || !t->next)
		return -1;
	for (uint32_t i = 0; i < slots; i++)
		t->slots[i].head = NONE;
	t->mask = slots - 1;
	t->n_vals = 0;
	memset(t->lens, 0, sizeof(t->lens));
	return 0;
}

static void ptable_free(struct ptable *t)
{
	free(t->slots);
	free(t->val);
	free(t->next);
}

static struct pslot *ptable_find(const struct ptable *t, const struct pkey *k)
{
	for (uint32_t i = hash_key(k) & t->mask;; i = (i + 1) & t->mask) {
		struct pslot *s = &t->slots[i];
		if (s->head == NONE || memcmp(&s->key, k, sizeof(*k)) == 0)
			return s;
	}
}

/* Adds value v under (scope, prefix); values of one key keep their insertion order. */
static void ptable_add(struct ptable *t, uint32_t scope, const struct svr_prefix *p, uint32_t v)
{
	struct pkey k;
	make_key(&k, scope, &p->ip, p->len);
	struct pslot *s = ptable_find(t, &k);
	uint32_t i = t->n_vals++;
	t->val[i] = v;
	t->next[i] = NONE;
	if (s->head == NONE) {
		s->key = k;
		s->head = i;
	} else {
		t->next[s->tail] = i;
	}
	s->tail = i;
	t->lens[p->ip.family == SVR_AF_INET ? 0 : 1][p->len] = 1;
}

/* Chain of values under the longest prefix of scope holding ip that passes ok(); NONE. */
static uint32_t ptable_longest(const struct ptable *t, uint32_t scope, const struct svr_ip *ip,
			       bool (*ok)(const void *ctx, uint32_t v), const void *ctx,
			       int *len_out)
{
	int fam = ip->family == SVR_AF_INET ? 0 : 1;
	for (int len = fam ? 128 : 32; len >= 0; len--) {
		if (!t->lens[fam][len])
			continue;
		struct pkey k;
		make_key(&k, scope, ip, (uint8_t)len);
		const struct pslot *s = ptable_find(t, &k);
		for (uint32_t i = s->head; i != NONE; i = t->next[i]) {
			if (!ok || ok(ctx, t->val[i])) {
				if (len_out)
					*len_out = len;
				return t->val[i];
			}
		}
	}
	return NONE;
}

struct svr_classifier {
	const void *img;
	struct ptable members;  /* scope: neighborhood string offset; value: tenant */
	struct ptable services; /* scope: 1 port-qualified, 0 port-less; value: transport index */
	uint32_t *transport_service; /* transport index -> service */
	uint8_t *tenant_depth;
};

/*
 * The values the tables get, counted from the ranges that add them (not from
 * section sizes, so ranges that share entries cannot overrun a table), in 64
 * bits and capped: a small image whose services all name every prefix and
 * every transport would otherwise ask for more memory than the host has.
 */
static int count_entries(const void *img, uint32_t *n_members, uint32_t *n_services, char *err,
			 size_t errlen)
{
	uint32_t n_ten, n_svc;
	const struct svr_img_tenant *ten = svr_img_table(img, SVR_SEC_TENANTS, &n_ten);
	const struct svr_img_service *svc = svr_img_table(img, SVR_SEC_SERVICES, &n_svc);
	uint64_t members = 0, entries = 0;
	for (uint32_t t = 0; t < n_ten && members <= SVR_CLASSIFIER_MAX_ENTRIES; t++)
		members += ten[t].members.count;
	/* a (prefix, transport) pair each, or a prefix alone for a service with no transport */
	for (uint32_t s = 0; s < n_svc && entries <= SVR_CLASSIFIER_MAX_ENTRIES; s++) {
		const uint64_t per_prefix =
		    svc[s].transports.count ? svc[s].transports.count : 1; /* < 2^32 */
		entries += svc[s].prefixes.count * per_prefix;             /* < 2^64 - 2^32 */
	}
	if (members > SVR_CLASSIFIER_MAX_ENTRIES)
		return svr_errf(err, errlen, "tenant members: more than %u",
				SVR_CLASSIFIER_MAX_ENTRIES);
	if (entries > SVR_CLASSIFIER_MAX_ENTRIES)
		return svr_errf(err, errlen,
				"services: more than %u (prefix, transport) pairs to classify",
				SVR_CLASSIFIER_MAX_ENTRIES);
	*n_members = (uint32_t)members;
	*n_services = (uint32_t)entries;
	return 0;
}

struct svr_classifier *svr_classifier_build(const void *img, char *err, size_t errlen)
{
	uint32_t n_members = 0, n_entries = 0;
	if (count_entries(img, &n_members, &n_entries, err, errlen) < 0)
		return NULL;
	struct svr_classifier *c = calloc(1, sizeof(*c));
	if (!c) {
		svr_errf(err, errlen, "out of memory building the classifier");
		return NULL;
	}
	c->img = img;
	uint32_t n_ten, n_svc, n_tr;
	const struct svr_img_tenant *ten = svr_img_table(img, SVR_SEC_TENANTS, &n_ten);
	const struct svr_img_member *mem = svr_img_table(img, SVR_SEC_TENANT_MEMBERS, NULL);
	const struct svr_img_service *svc = svr_img_table(img, SVR_SEC_SERVICES, &n_svc);
	const struct svr_img_transport *tr = svr_img_table(img, SVR_SEC_TRANSPORTS, &n_tr);
	const struct svr_img_prefix *px = svr_img_table(img, SVR_SEC_PREFIXES, NULL);

	c->transport_service = malloc(sizeof(uint32_t) * ((size_t)n_tr + n_svc + 1));
	c->tenant_depth = calloc((size_t)n_ten + 1, 1);
	if (!c->transport_service || !c->tenant_depth || ptable_init(&c->members, n_members) < 0 ||
	    ptable_init(&c->services, n_entries) < 0) {
		svr_classifier_free(c);
		svr_errf(err, errlen, "out of memory building the classifier");
		return NULL;
	}
	for (uint32_t t = 0; t < n_ten; t++) {
		for (uint32_t k = 0; k < ten[t].members.count; k++) {
			const struct svr_img_member *m = &mem[ten[t].members.first + k];
			struct svr_prefix p;
			svr_img_prefix_to(&px[m->prefix], &p);
			ptable_add(&c->members, m->neighborhood, &p, t);
		}
		uint8_t depth = 0; /* the image checker refuses cycles; the cap is its bound */
		for (uint32_t a = ten[t].parent; a != NONE && depth < SVR_IMG_TENANT_DEPTH_MAX;
		     a = ten[a].parent)
			depth++;
		c->tenant_depth[t] = depth;
	}
	/*
	 * Service entries: value = a transport index (it names the service and the ports), or
	 * n_tr + service for a service with no transport at all (any protocol, any port).
	 */
	for (uint32_t s = 0; s < n_svc; s++) {
		for (uint32_t k = 0; k < svc[s].transports.count; k++)
			c->transport_service[svc[s].transports.first + k] = s;
		c->transport_service[n_tr + s] = s;
		for (uint32_t a = 0; a < svc[s].prefixes.count; a++) {
			struct svr_prefix p;
			svr_img_prefix_to(&px[svc[s].prefixes.first + a], &p);
			if (svc[s].transports.count == 0)
				ptable_add(&c->services, 0, &p, n_tr + s);
			for (uint32_t k = 0; k < svc[s].transports.count; k++) {
				uint32_t ti = svc[s].transports.first + k;
				ptable_add(&c->services, tr[ti].has_ports ? 1 : 0, &p, ti);
			}
		}
	}
	return c;
}

void svr_classifier_free(struct svr_classifier *c)
{
	if (!c)
		return;
	ptable_free(&c->members);
	ptable_free(&c->services);
	free(c->transport_service);
	free(c->tenant_depth);
	free(c);
}

uint32_t svr_classify_tenant_why(const struct svr_classifier *c, uint32_t iface,
				 const struct svr_ip *src, struct svr_tenant_why *why)
{
	struct svr_tenant_why w = {.tenant = NONE, .hood = NONE, .prefix_len = -1};
	uint32_t n_if;
	const struct svr_img_iface *fs = svr_img_table(c->img, SVR_SEC_INTERFACES, &n_if);
	const struct svr_img_hood *hoods = svr_img_table(c->img, SVR_SEC_IFACE_HOODS, NULL);
	for (uint32_t h = 0; iface < n_if && h < fs[iface].hoods.count; h++) {
		int len;
		uint32_t hood = hoods[fs[iface].hoods.first + h].name;
		uint32_t t = ptable_longest(&c->members, hood, src, NULL, NULL, &len);
		if (t != NONE && len > w.prefix_len) {
			w.tenant = t;
			w.hood = hood;
			w.prefix_len = len;
			w.by = SVR_TENANT_BY_MEMBER;
		}
	}
	if (w.tenant == NONE && iface < n_if && fs[iface].tenant != NONE) {
		w.tenant = fs[iface].tenant;
		w.by = SVR_TENANT_BY_INTERFACE;
	}
	if (why)
		*why = w;
	return w.tenant;
}

uint32_t svr_classify_tenant(const struct svr_classifier *c, uint32_t iface,
			     const struct svr_ip *src)
{
	return svr_classify_tenant_why(c, iface, src, NULL);
}

struct port_query {
	const struct svr_img_transport *tr;
	uint32_t n_tr;
	uint8_t proto;
	uint16_t port;
};

static bool transport_ok(const void *ctx, uint32_t v)
{
	const struct port_query *q = ctx;
	if (v >= q->n_tr)
		return true; /* a service with no transport: anything */
	const struct svr_img_transport *t = &q->tr[v];
	return (t->protocol == 0 || t->protocol == q->proto) &&
	       (!t->has_ports || (q->port >= t->port_lo && q->port <= t->port_hi));
}

uint32_t svr_classify_service_why(const struct svr_classifier *c, uint8_t proto,
				  const struct svr_ip *dst, uint16_t dport,
				  struct svr_service_why *why)
{
	struct port_query q = {.proto = proto, .port = dport};
	q.tr = svr_img_table(c->img, SVR_SEC_TRANSPORTS, &q.n_tr);
	struct svr_service_why w = {.service = NONE, .transport = NONE, .prefix_len = -1};
	/* Port-qualified entries first, whatever their prefix length; port-less ones after. */
	for (int scope = 1; scope >= 0 && w.service == NONE; scope--) {
		int len;
		uint32_t v =
		    ptable_longest(&c->services, (uint32_t)scope, dst, transport_ok, &q, &len);
		if (v == NONE)
			continue;
		w.service = c->transport_service[v];
		w.transport = v < q.n_tr ? v : NONE; /* beyond: a service that names no transport */
		w.prefix_len = len;
		w.by_port = scope == 1;
	}
	if (why)
		*why = w;
	return w.service;
}

uint32_t svr_classify_service(const struct svr_classifier *c, uint8_t proto,
			      const struct svr_ip *dst, uint16_t dport)
{
	return svr_classify_service_why(c, proto, dst, dport, NULL);
}

static bool tenant_within(const void *img, uint32_t tenant, uint32_t ancestor)
{
	const struct svr_img_tenant *ten = svr_img_table(img, SVR_SEC_TENANTS, NULL);
	for (int hops = 0; tenant != NONE && hops < 64; hops++, tenant = ten[tenant].parent)
		if (tenant == ancestor)
			return true;
	return false;
}

enum svr_access svr_classify_access(const struct svr_classifier *c, uint32_t service,
				    uint32_t tenant, const struct svr_ip *src, int64_t now_s,
				    uint32_t *rule)
{
	const struct svr_img_service *svc = svr_img_table(c->img, SVR_SEC_SERVICES, NULL);
	const struct svr_img_access *rules = svr_img_table(c->img, SVR_SEC_ACCESS_RULES, NULL);
	const struct svr_img_prefix *px = svr_img_table(c->img, SVR_SEC_PREFIXES, NULL);
	int best_allow = -1, best_deny = -1;
	uint32_t allow_rule = UINT32_MAX, deny_rule = UINT32_MAX;
	for (uint32_t i = 0; i < svc[service].access.count; i++) {
		const struct svr_img_access *r = &rules[svc[service].access.first + i];
		if (now_s < r->valid_from_unix_s || now_s >= r->valid_until_unix_s)
			continue; /* outside its window a rule does not exist */
		if (r->tenant != NONE && !tenant_within(c->img, tenant, r->tenant))
			continue;
		int spec;
		if (r->prefix != NONE) {
			struct svr_prefix p;
			svr_img_prefix_to(&px[r->prefix], &p);
			if (!svr_prefix_contains(&p, src))
				continue;
			spec = 1000 + p.len; /* any prefix rule above any tenant rule */
		} else if (r->tenant != NONE) {
			spec = c->tenant_depth[r->tenant]; /* a child tenant is more specific */
		} else {
			continue; /* a rule with no source matches nothing */
		}
		bool allow = r->permission == SVR_PERMIT_ALLOW;
		int *best = allow ? &best_allow : &best_deny;
		if (spec > *best) {
			*best = spec;
			*(allow ? &allow_rule : &deny_rule) = svc[service].access.first + i;
		}
	}
	enum svr_access verdict = best_allow < 0            ? SVR_ACCESS_NO_RULE
				  : best_deny >= best_allow ? SVR_ACCESS_DENIED
							    : SVR_ACCESS_ALLOW;
	if (rule)
		*rule = verdict == SVR_ACCESS_ALLOW    ? allow_rule
			: verdict == SVR_ACCESS_DENIED ? deny_rule
						       : UINT32_MAX;
	return verdict;
}
