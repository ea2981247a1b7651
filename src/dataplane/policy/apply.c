/* SPDX-License-Identifier: BSD-3-Clause */
#include "policy/apply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "capture/capture.h"
#include "common/image.h"
#include "common/log.h"
#include "io/port.h"
#include "kernel/access_build.h"
#include "kernel/kernel.h"
#include "l2l3/fib.h"
#include "l2l3/kroutes.h"
#include "l2l3/neigh.h"
#include "l2l3/parse.h"
#include "l2l3/tfib.h"
#include "core/dp.h"
#include "session/classify.h"
#include "session/sessions.h"
#include "paths/paths.h"
#include "svrpath/path.h"

/* The largest IP MTU whose frame (with a VLAN tag) fits one default mbuf. */
#define MTU_MAX (RTE_MBUF_DEFAULT_DATAROOM - SVR_ETH_FRAME_OVERHEAD)

/* What one apply leaves for after the grace period. */
struct retired {
	struct dp_gen *gen;
	unsigned n_ports, n_slots;
	uint16_t ports[DP_MAX_PORTS];
	uint16_t slots[DP_MAX_IFACES];
};

static struct rte_rcu_qsbr_dq *retire_dq;
/* Interface slots by name, stable across generations: neighbour entries are keyed by slot. */
static char iface_slot_names[DP_MAX_IFACES][DP_IFNAME_LEN];
static unsigned fib_seq;

static void gen_free(struct dp_gen *g)
{
	if (!g)
		return;
	if (g->owns_fib)
		svr_fib_free(g->fib);
	dp_tfib_free(g);
	for (unsigned p = 0; p < DP_MAX_PORTS; p++)
		rte_free(g->port_map[p]);
	svr_classifier_free(g->classifier);
	dp_session_policy_free(g->spol);
	dp_host_access_free(g->host_access);
	free(g->image);
	free(g->statics);
	rte_free(g);
}

/* Forgets every neighbour learned on an interface slot, unlinking it from the next hops of
 * gen's FIBs. */
static void neigh_flush_slot(uint16_t slot, const struct dp_gen *gen)
{
	uint32_t it = 0, pos;
	while ((pos = svr_neigh_next(dp.neigh, &it)) != SVR_NEIGH_NONE) {
		struct svr_neigh *n = svr_neigh_entry(dp.neigh, pos);
		if (n->iface != slot)
			continue;
		dp_tfib_link_neigh(gen, n->iface, &n->ip, SVR_NEIGH_NONE);
		dp.main_stats.drops[SVR_DROP_IFACE_GONE] += n->n_queued;
		for (unsigned i = 0; i < n->n_queued; i++)
			rte_pktmbuf_free(n->queue[i]);
		n->n_queued = 0;
		svr_neigh_delete(dp.neigh, pos);
	}
}

static void retired_release(struct retired *r)
{
	const struct dp_gen *now = dp_gen_main();
	/* A later apply may have taken a port or slot back: release only what is still unused. */
	for (unsigned i = 0; i < r->n_ports; i++)
		if (!now || !now->port_map[r->ports[i]]) {
			dp_capture_port_gone(r->ports[i]); /* its callbacks go first */
			dp_port_remove(r->ports[i]);
		}
	for (unsigned i = 0; i < r->n_slots; i++) {
		uint16_t s = r->slots[i];
		if (!now || !now->ifaces[s].in_use) {
			neigh_flush_slot(s, now);
			iface_slot_names[s][0] = '\0';
		}
	}
	gen_free(r->gen);
	free(r);
}

static void retire_cb(void *p, void *e, unsigned n)
{
	(void)p;
	for (unsigned i = 0; i < n; i++)
		retired_release(((struct retired **)e)[i]);
}

static void retire(struct retired *r)
{
	if (rte_rcu_qsbr_dq_enqueue(retire_dq, &r) != 0) {
		/* Queue full: wait for the grace period here instead. */
		rte_rcu_qsbr_synchronize(dp.qsbr, RTE_QSBR_THRID_INVALID);
		retired_release(r);
	}
}

int dp_policy_init(void)
{
	char name[RTE_RCU_QSBR_DQ_NAMESIZE];
	snprintf(name, sizeof(name), "retire");
	struct rte_rcu_qsbr_dq_parameters p = {
	    .name = name,
	    .size = 64,
	    .esize = sizeof(struct retired *),
	    .trigger_reclaim_limit = 1,
	    .max_reclaim_size = 8,
	    .free_fn = retire_cb,
	    .v = dp.qsbr,
	};
	retire_dq = rte_rcu_qsbr_dq_create(&p);
	return retire_dq ? 0 : -1;
}

void dp_policy_reclaim(void)
{
	unsigned freed, pending, available;
	rte_rcu_qsbr_dq_reclaim(retire_dq, 8, &freed, &pending, &available);
}

void dp_policy_shutdown(void)
{
	if (retire_dq)
		rte_rcu_qsbr_dq_delete(retire_dq); /* workers are offline: reclaims everything */
	retire_dq = NULL;
	gen_free(dp_gen_main());
	atomic_store(&dp.gen, NULL);
}

static int slot_for(const char *name)
{
	for (int i = 0; i < DP_MAX_IFACES; i++)
		if (strcmp(iface_slot_names[i], name) == 0)
			return i;
	for (int i = 0; i < DP_MAX_IFACES; i++) {
		if (iface_slot_names[i][0] == '\0') {
			snprintf(iface_slot_names[i], DP_IFNAME_LEN, "%s", name);
			return i;
		}
	}
	return -1;
}

/* Interfaces, VLAN maps and ports of the new generation. */
static int build_ifaces(struct dp_gen *g, const void *img, const uint16_t *pid_of,
			const uint16_t *slot_of, char *err, size_t errlen)
{
	uint32_t n;
	const struct svr_img_iface *fs = svr_img_table(img, SVR_SEC_INTERFACES, &n);
	const struct svr_img_prefix *px = svr_img_table(img, SVR_SEC_PREFIXES, NULL);
	for (uint32_t i = 0; i < n; i++) {
		const struct svr_img_iface *f = &fs[i];
		const char *name = svr_img_str(img, f->name);
		uint16_t pid = pid_of[i], slot = slot_of[i];
		struct dp_iface *ifc = &g->ifaces[slot];
		if (f->addresses.count > DP_MAX_IFACE_ADDRS)
			return svr_errf(err, errlen, "interface %s: %u addresses, at most %d", name,
					f->addresses.count, DP_MAX_IFACE_ADDRS);
		if (f->mtu > MTU_MAX)
			return svr_errf(
			    err, errlen,
			    "interface %s: mtu %u above the %u bytes one 2 KiB buffer holds", name,
			    f->mtu, MTU_MAX);
		snprintf(ifc->name, sizeof(ifc->name), "%s", name);
		ifc->in_use = true;
		ifc->port = pid;
		ifc->vlan = f->vlan;
		ifc->mtu = f->mtu;
		if (f->flags & SVR_IMG_IFACE_HAS_MAC)
			memcpy(ifc->mac.addr_bytes, f->mac, 6);
		else
			ifc->mac = dp_ports[pid]->mac;
		ifc->source_nat = f->flags & SVR_IMG_IFACE_SOURCE_NAT;
		ifc->img_index = i;
		ifc->n_addrs = f->addresses.count;
		for (uint32_t a = 0; a < f->addresses.count; a++)
			svr_img_prefix_to(&px[f->addresses.first + a], &ifc->addrs[a]);
		if (slot + 1u > g->n_ifaces)
			g->n_ifaces = slot + 1u;

		struct dp_port_map *pm = g->port_map[pid];
		if (!pm) {
			pm = rte_malloc("dp_port_map", sizeof(*pm), RTE_CACHE_LINE_SIZE);
			if (!pm)
				return svr_errf(err, errlen, "out of memory");
			for (unsigned v = 0; v < DP_VLAN_COUNT; v++)
				pm->vlan_iface[v] = DP_NO_IFACE;
			g->port_map[pid] = pm;
			g->port_ids[g->n_ports++] = pid;
		}
		if (pm->vlan_iface[f->vlan] != DP_NO_IFACE)
			return svr_errf(err, errlen, "interfaces %s and %s share device %s vlan %u",
					g->ifaces[pm->vlan_iface[f->vlan]].name, name,
					dp_ports[pid]->device, f->vlan);
		pm->vlan_iface[f->vlan] = slot;
	}
	return 0;
}

/* Each port of g gets the largest MTU of its interfaces (VLANs share the device). */
static void set_port_mtus(const struct dp_gen *g)
{
	uint16_t mtu[DP_MAX_PORTS] = {0};
	for (unsigned s = 0; s < g->n_ifaces; s++)
		if (g->ifaces[s].in_use && g->ifaces[s].mtu > mtu[g->ifaces[s].port])
			mtu[g->ifaces[s].port] = g->ifaces[s].mtu;
	for (unsigned i = 0; i < g->n_ports; i++)
		dp_port_set_mtu(g->port_ids[i], mtu[g->port_ids[i]]);
}

/*
 * True when g would get exactly old's FIB: the same addresses on the same interface slots and
 * the same static routes. Most re-applies change services or tenants only, and then the new
 * generation takes the FIB over instead of building (and faulting in) a new 32 MiB table.
 */
static bool fib_unchanged(const struct dp_gen *old, const struct dp_gen *g, const void *img)
{
	if (!old || !old->image || old->n_ifaces != g->n_ifaces)
		return false;
	for (unsigned s = 0; s < g->n_ifaces; s++) {
		const struct dp_iface *a = &old->ifaces[s], *b = &g->ifaces[s];
		if (a->in_use != b->in_use ||
		    (a->in_use && (a->n_addrs != b->n_addrs ||
				   memcmp(a->addrs, b->addrs, sizeof(a->addrs[0]) * a->n_addrs))))
			return false;
	}
	uint32_t na, nb;
	const struct svr_img_route *ra = svr_img_table(old->image, SVR_SEC_ROUTES, &na);
	const struct svr_img_route *rb = svr_img_table(img, SVR_SEC_ROUTES, &nb);
	const struct svr_img_iface *fa = svr_img_table(old->image, SVR_SEC_INTERFACES, NULL);
	const struct svr_img_iface *fb = svr_img_table(img, SVR_SEC_INTERFACES, NULL);
	if (na != nb)
		return false;
	for (uint32_t i = 0; i < na; i++)
		if (memcmp(&ra[i].prefix, &rb[i].prefix, sizeof(ra[i].prefix)) ||
		    memcmp(&ra[i].gateway, &rb[i].gateway, sizeof(ra[i].gateway)) ||
		    strcmp(svr_img_str(old->image, fa[ra[i].iface].name),
			   svr_img_str(img, fb[rb[i].iface].name)))
			return false;
	return true;
}

/* Connected, local and broadcast routes for every address, then the static routes. */
static int build_main_fib(struct dp_gen *g, const void *img, const uint16_t *slot_of, char *err,
			  size_t errlen)
{
	uint32_t n_routes;
	const struct svr_img_route *rs = svr_img_table(img, SVR_SEC_ROUTES, &n_routes);
	char name[64];
	snprintf(name, sizeof(name), "fib-%u", fib_seq++);
	g->fib = svr_fib_create(
	    name, n_routes + 3 * DP_MAX_IFACES * DP_MAX_IFACE_ADDRS + 16 + dp_kroutes_fib_room(),
	    dp_kroutes_fib_batch());
	g->owns_fib = true;
	if (!g->fib)
		return svr_errf(err, errlen, "cannot create a FIB: %s (raise eal.memory-mb)",
				rte_strerror(rte_errno));
	for (unsigned i = 0; i < g->n_ifaces; i++) {
		const struct dp_iface *ifc = &g->ifaces[i];
		for (unsigned a = 0; ifc->in_use && a < ifc->n_addrs; a++) {
			struct svr_prefix host = ifc->addrs[a];
			host.len = host.ip.family == SVR_AF_INET ? 32 : 128;
			if (svr_fib_add(g->fib, &ifc->addrs[a], SVR_NH_CONNECTED, (uint16_t)i,
					NULL) < 0 ||
			    svr_fib_add(g->fib, &host, SVR_NH_LOCAL, (uint16_t)i, NULL) < 0)
				return svr_errf(err, errlen, "interface %s: cannot add its routes",
						ifc->name);
			/* The subnet's broadcast address is never resolved nor forwarded. */
			if (host.ip.family == SVR_AF_INET && ifc->addrs[a].len <= 30) {
				struct svr_prefix bc = host;
				uint32_t v =
				    svr_ip4_host(&bc.ip) | (0xffffffffu >> ifc->addrs[a].len);
				for (int b = 0; b < 4; b++)
					bc.ip.addr[b] = (uint8_t)(v >> (24 - 8 * b));
				if (svr_fib_add(g->fib, &bc, SVR_NH_BROADCAST, (uint16_t)i, NULL) <
				    0)
					return svr_errf(err, errlen,
							"interface %s: no room for routes",
							ifc->name);
			}
		}
	}
	for (uint32_t i = 0; i < n_routes; i++) {
		struct svr_prefix p, gw;
		svr_img_prefix_to(&rs[i].prefix, &p);
		svr_img_prefix_to(&rs[i].gateway, &gw);
		int rc = svr_fib_add(g->fib, &p, SVR_NH_GATEWAY, slot_of[rs[i].iface], &gw.ip);
		if (rc < 0) {
			char b[64];
			return svr_errf(err, errlen, "route %s: %s",
					svr_prefix_fmt(&p, b, sizeof(b)), strerror(-rc));
		}
	}
	dp_kroutes_fill(g->fib, g, DP_KROUTES_MAIN_TABLE); /* after the policy's, which win */
	return 0;
}

/* The main FIB (old's when unchanged), then those of the tables tenants are bound to. */
static int build_fib(struct dp_gen *g, const void *img, const uint16_t *slot_of, char *err,
		     size_t errlen)
{
	struct dp_gen *old = dp_gen_main();
	bool kept = fib_unchanged(old, g, img);
	if (kept) {
		g->fib =
		    old->fib; /* ownership moves forward: old is retired after g is published */
		g->owns_fib = true;
		old->owns_fib = false;
	} else if (build_main_fib(g, img, slot_of, err, errlen) < 0) {
		return -1;
	}
	return dp_tfib_build(g, old, img, kept, err, errlen);
}

/* Static neighbours of the image; returns them as (slot, address) for the next apply. */
static int apply_statics(struct dp_gen *g, const struct dp_gen *old, const void *img,
			 const uint16_t *slot_of, char *err, size_t errlen)
{
	uint32_t n;
	const struct svr_img_neigh *ns = svr_img_table(img, SVR_SEC_NEIGHBORS, &n);
	g->statics = calloc(n ? n : 1, sizeof(*g->statics));
	if (!g->statics)
		return svr_errf(err, errlen, "out of memory");
	for (uint32_t i = 0; i < n; i++) {
		struct svr_prefix a;
		svr_img_prefix_to(&ns[i].address, &a);
		uint16_t slot = slot_of[ns[i].iface];
		struct rte_ether_addr mac;
		memcpy(mac.addr_bytes, ns[i].mac, 6);
		uint32_t pos = svr_neigh_lookup(dp.neigh, slot, &a.ip);
		if (pos == SVR_NEIGH_NONE)
			pos = svr_neigh_add(dp.neigh, slot, &a.ip, &mac, dp_now_ms());
		else
			svr_neigh_set_static(dp.neigh, pos, &mac);
		if (pos == SVR_NEIGH_NONE)
			return svr_errf(err, errlen, "neighbour table full (static neighbour %u)",
					i);
		g->statics[g->n_static++] = (struct dp_static_neigh){.iface = slot, .ip = a.ip};
	}
	/* Static entries the new image no longer has become ordinary (deleted, re-learned). */
	for (unsigned i = 0; old && i < old->n_static; i++) {
		bool kept = false;
		for (unsigned k = 0; k < g->n_static && !kept; k++)
			kept = g->statics[k].iface == old->statics[i].iface &&
			       svr_ip_equal(&g->statics[k].ip, &old->statics[i].ip);
		uint32_t pos =
		    svr_neigh_lookup(dp.neigh, old->statics[i].iface, &old->statics[i].ip);
		if (!kept && pos != SVR_NEIGH_NONE)
			svr_neigh_delete(dp.neigh, pos);
	}
	return 0;
}

/* Every gateway next hop of fib points at its neighbour entry, if there is one. */
static void link_gateways(struct svr_fib *fib)
{
	for (uint32_t i = 1; fib && i < fib->n_nh; i++) {
		struct svr_nexthop *h = &fib->nh[i];
		if (h->type == SVR_NH_GATEWAY)
			atomic_store(&h->neigh, svr_neigh_lookup(dp.neigh, h->iface, &h->gateway));
	}
}

/*
 * Publishes a copy of the current generation without the given ports, waits
 * for the workers to stop using them, and unplugs them. The copy then owns
 * what it shares with the old generation, whose struct alone is freed.
 */
static struct dp_gen *unplug_now(const uint16_t *pids, unsigned n)
{
	struct dp_gen *old = dp_gen_main();
	struct dp_gen *tmp = old ? rte_malloc("dp_gen", sizeof(*tmp), RTE_CACHE_LINE_SIZE) : NULL;
	if (tmp) {
		*tmp = *old;
		tmp->n_ports = 0;
		for (unsigned i = 0; i < old->n_ports; i++) {
			bool drop = false;
			for (unsigned k = 0; k < n; k++)
				drop = drop || old->port_ids[i] == pids[k];
			if (drop)
				tmp->port_map[old->port_ids[i]] = NULL;
			else
				tmp->port_ids[tmp->n_ports++] = old->port_ids[i];
		}
		/* Routes may still point at their interfaces: forwarding checks in_use. */
		for (unsigned s = 0; s < tmp->n_ifaces; s++)
			for (unsigned k = 0; k < n; k++)
				if (tmp->ifaces[s].in_use && tmp->ifaces[s].port == pids[k])
					tmp->ifaces[s].in_use = false;
		atomic_store_explicit(&dp.gen, tmp, memory_order_release);
	} else if (old) {
		atomic_store_explicit(&dp.gen, NULL,
				      memory_order_release); /* out of memory: pause */
	}
	rte_rcu_qsbr_synchronize(dp.qsbr, RTE_QSBR_THRID_INVALID);
	for (unsigned k = 0; k < n; k++) {
		dp_capture_port_gone(pids[k]); /* its callbacks go first */
		dp_port_remove(pids[k]);
	}
	if (old) {
		for (unsigned k = 0; k < n; k++)
			rte_free(old->port_map[pids[k]]);
		if (tmp)
			rte_free(old);
		else
			gen_free(old);
	}
	return tmp;
}

int dp_policy_apply(void *img, size_t len, char *err, size_t errlen)
{
	uint64_t t0 = dp_now_ms();
	if (svr_img_check(img, len, err, errlen) < 0)
		return -1;
	uint32_t n_if;
	const struct svr_img_iface *fs = svr_img_table(img, SVR_SEC_INTERFACES, &n_if);
	if (n_if > DP_MAX_IFACES)
		return svr_errf(err, errlen, "%u interfaces, at most %d", n_if, DP_MAX_IFACES);
	if (dp_svr_keys_fit(img, err, errlen) < 0)
		return -1;

	struct retired *r = calloc(1, sizeof(*r));
	struct dp_gen *g = rte_zmalloc("dp_gen", sizeof(*g), RTE_CACHE_LINE_SIZE);
	if (!r || !g) {
		free(r);
		rte_free(g);
		return svr_errf(err, errlen, "out of memory");
	}

	/* Devices whose devargs change keep their DPDK name: the old port must go first. */
	uint16_t replace[DP_MAX_PORTS];
	unsigned n_replace = 0;
	for (uint32_t i = 0; i < n_if; i++) {
		const char *dev = svr_img_str(img, fs[i].device);
		char name[RTE_ETH_NAME_MAX_LEN];
		uint16_t pid;
		dp_device_name(dev, name, sizeof(name));
		if (dp_port_find(dev) < 0 && rte_eth_dev_get_port_by_name(name, &pid) == 0 &&
		    pid < DP_MAX_PORTS && dp_ports[pid]) {
			bool listed = false;
			for (unsigned k = 0; k < n_replace; k++)
				listed = listed || replace[k] == pid;
			if (!listed)
				replace[n_replace++] = pid;
		}
	}
	if (n_replace) {
		LOG_NOTICE("%u device(s) change their arguments: unplugging them first", n_replace);
		unplug_now(replace, n_replace);
	}
	struct dp_gen *old = dp_gen_main();
	r->gen = old;

	/* Hot-plug new devices; remember which, to undo on failure. */
	uint16_t pid_of[DP_MAX_IFACES], slot_of[DP_MAX_IFACES], added[DP_MAX_PORTS];
	unsigned n_added = 0;
	int rc = 0;
	for (uint32_t i = 0; i < n_if && rc == 0; i++) {
		const char *dev = svr_img_str(img, fs[i].device);
		int pid = dp_port_find(dev);
		if (pid < 0) {
			uint16_t p;
			rc = dp_port_add(dev, &p, err, errlen);
			if (rc == 0) {
				added[n_added++] = p;
				pid = p;
			}
		}
		pid_of[i] = (uint16_t)pid;
		const char *name = svr_img_str(img, fs[i].name);
		size_t nl = strlen(name);
		int slot = nl && nl < DP_IFNAME_LEN ? slot_for(name) : -1;
		for (uint32_t k = 0; rc == 0 && slot >= 0 && k < i; k++)
			if (slot_of[k] == slot)
				rc =
				    svr_errf(err, errlen, "interface name \"%s\" used twice", name);
		if (rc == 0 && slot < 0)
			rc = svr_errf(err, errlen,
				      "interface name \"%s\": empty, too long or no free slot",
				      name);
		slot_of[i] = (uint16_t)slot;
	}
	if (rc == 0)
		rc = build_ifaces(g, img, pid_of, slot_of, err, errlen);
	if (rc == 0)
		rc = build_fib(g, img, slot_of, err, errlen);
	if (rc == 0)
		rc = apply_statics(g, old, img, slot_of, err, errlen);
	if (rc == 0 && !(g->classifier = svr_classifier_build(img, err, errlen)))
		rc = -1;
	if (rc == 0)
		rc = dp_session_policy_build(g, img, slot_of, err, errlen);
	if (rc == 0)
		rc = dp_host_access_build(g, img, slot_of, err, errlen);
	if (rc != 0) {
		if (old && g->fib == old->fib) { /* give the FIB back to the generation in force */
			old->owns_fib = true;
			g->owns_fib = false;
		}
		dp_tfib_give_back(g, old);
		for (unsigned k = 0; k < n_added; k++)
			dp_port_remove(added[k]);
		for (int s = 0; s < DP_MAX_IFACES; s++) /* names only the failed image used */
			if (!(dp_gen_main() && dp_gen_main()->ifaces[s].in_use))
				iface_slot_names[s][0] = '\0';
		gen_free(g);
		r->gen = NULL;
		free(r);
		return -1;
	}
	/* An interface that moved to another port or VLAN keeps its slot but not its neighbours. */
	const struct dp_gen *prev = dp_gen_main();
	for (unsigned s = 0; prev && s < prev->n_ifaces; s++)
		if (prev->ifaces[s].in_use && g->ifaces[s].in_use &&
		    (prev->ifaces[s].port != g->ifaces[s].port ||
		     prev->ifaces[s].vlan != g->ifaces[s].vlan))
			neigh_flush_slot((uint16_t)s, g);
	set_port_mtus(g);
	link_gateways(g->fib);
	for (unsigned s = 0; s < DP_TFIB_SLOTS; s++)
		link_gateways(g->tfib[s]);
	g->generation = svr_img_hdr(img)->generation;
	g->image = img;
	g->image_len = len;

	/* What the old generation alone used goes after the grace period. */
	for (unsigned i = 0; prev && i < prev->n_ports; i++)
		if (!g->port_map[prev->port_ids[i]])
			r->ports[r->n_ports++] = prev->port_ids[i];
	for (unsigned s = 0; prev && s < prev->n_ifaces; s++)
		if (prev->ifaces[s].in_use && !g->ifaces[s].in_use)
			r->slots[r->n_slots++] = (uint16_t)s;
	atomic_store_explicit(&dp.gen, g, memory_order_release);
	retire(r);
	dp_paths_generation(g);
	dp_kernel_generation(g); /* twins of the interfaces g has, and only those */
	LOG_INFO("policy generation %llu applied in %llu ms: %u interface(s), %u port(s), "
		 "%u route(s)",
		 (unsigned long long)g->generation, (unsigned long long)(dp_now_ms() - t0), n_if,
		 g->n_ports, g->fib->n_routes);
	return 0;
}
