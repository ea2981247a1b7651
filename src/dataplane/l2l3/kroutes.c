/* SPDX-License-Identifier: BSD-3-Clause */
/* Routes from the kernel: the RIB and the ring's consumer (kroutes.h). */
#include "l2l3/kroutes.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "common/log.h"
#include "common/routering.h"
#include "core/dp.h"
#include "ctlsock/command.h"
#include "ctlsock/request.h"
#include "l2l3/fib.h"
#include "l2l3/neigh.h"
#include "l2l3/tfib.h"

#define ATTACH_RETRY_MS     100
#define TURN_US             1000 /* the most one turn spends applying changes */
#define DP_KROUTES_LIST_MAX 1000

/* A route of the kernel's, one per (table, prefix): the kernel may hold several of different
 * metrics; the RIB keeps the best it has been told of and counts the others, so that losing
 * the best while others exist asks svr-control for the full listing again. */
struct kroute {
	struct svr_prefix prefix;
	struct svr_ip gateway; /* family 0: on the link */
	uint32_t table, metric;
	uint32_t epoch;  /* the listing that last named it */
	uint16_t others; /* routes of other metrics the kernel has for it */
	uint8_t proto;
	bool installed; /* in the FIB in force */
	char ifname[DP_IFNAME_LEN];
};

struct rib_key {
	uint32_t table;
	uint8_t family, len, pad[2];
	uint8_t addr[16];
};

static struct {
	uint32_t max, n;
	struct kroute *routes; /* dense */
	struct rte_hash *idx;  /* rib_key -> slot in routes */

	struct svr_route_end ring;
	bool attached;
	uint64_t next_attach_ms;
	uint32_t epoch;
	bool syncing;         /* between SYNC_BEGIN and SYNC_END */
	bool sweeping;        /* after SYNC_END: removing what the listing did not name */
	uint32_t sweep_pos;   /* next slot to look at, downwards */
	uint32_t sweep_epoch; /* the listing that ended: routes of older epochs go */
	bool refused_in_listing, swept_any; /* a full RIB refused part of the listing */
	uint64_t grace_token;
	bool waiting; /* a published batch waits for the workers' grace period */

	uint64_t changes, adds, dels, syncs, resyncs_asked, refused, ring_broken;
	uint64_t shadowed, batches, last_batch_changes;
} kr;

uint32_t dp_kroutes_fib_room(void)
{
	return kr.max;
}

uint32_t dp_kroutes_fib_batch(void)
{
	return kr.max ? DP_KROUTES_BATCH : 0;
}

int dp_kroutes_init(uint32_t max)
{
	memset(&kr, 0, sizeof(kr));
	if (!max)
		return 0;
	struct rte_hash_parameters hp = {
	    .name = "kroutes",
	    .entries = max,
	    .key_len = sizeof(struct rib_key),
	    .hash_func = rte_jhash,
	    .socket_id = SOCKET_ID_ANY,
	    .extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE, /* main lcore only */
	};
	kr.idx = rte_hash_create(&hp);
	kr.routes = rte_zmalloc("kroutes", sizeof(*kr.routes) * max, 0);
	if (!kr.idx || !kr.routes) {
		LOG_ERR("routing.kernel-routes %u: no memory for the kernel RIB (raise "
			"eal.memory-mb)",
			max);
		dp_kroutes_free();
		return -1;
	}
	kr.max = max;
	return 0;
}

void dp_kroutes_free(void)
{
	if (kr.attached)
		svr_route_shm_close(&kr.ring);
	rte_hash_free(kr.idx);
	rte_free(kr.routes);
	memset(&kr, 0, sizeof(kr));
}

static void key_of(uint32_t table, const struct svr_prefix *p, struct rib_key *k)
{
	memset(k, 0, sizeof(*k));
	k->table = table;
	k->family = p->ip.family;
	k->len = p->len;
	memcpy(k->addr, p->ip.addr, p->ip.family == SVR_AF_INET ? 4 : 16);
}

/* The interface slot of g named name, or DP_NO_IFACE. */
static uint16_t slot_named(const struct dp_gen *g, const char *name)
{
	for (unsigned i = 0; g && i < g->n_ifaces; i++)
		if (g->ifaces[i].in_use && strcmp(g->ifaces[i].name, name) == 0)
			return (uint16_t)i;
	return DP_NO_IFACE;
}

/* r into fib, its table's FIB (staged or straight); sets r->installed. A new gateway next hop
 * points at its neighbour entry at once, if there is one. */
static int install(struct svr_fib *fib, const struct dp_gen *g, struct kroute *r, bool staged)
{
	r->installed = false;
	uint16_t slot = slot_named(g, r->ifname);
	if (slot == DP_NO_IFACE)
		return 0;
	bool gw = r->gateway.family != 0;
	uint32_t n_nh = fib->n_nh;
	int rc = svr_fib_kernel_add(fib, staged, &r->prefix, gw ? SVR_NH_GATEWAY : SVR_NH_CONNECTED,
				    slot, gw ? &r->gateway : NULL);
	if (rc == -EEXIST) {
		kr.shadowed++;
		return 0;
	}
	if (rc < 0)
		return rc;
	for (uint32_t i = n_nh; i < fib->n_nh; i++)
		if (fib->nh[i].type == SVR_NH_GATEWAY)
			atomic_store_explicit(
			    &fib->nh[i].neigh,
			    svr_neigh_lookup(dp.neigh, fib->nh[i].iface, &fib->nh[i].gateway),
			    memory_order_release);
	r->installed = true;
	return 0;
}

void dp_kroutes_fill(struct svr_fib *fib, const struct dp_gen *g, uint32_t table)
{
	for (uint32_t i = 0; i < kr.n; i++)
		if (kr.routes[i].table == table && install(fib, g, &kr.routes[i], false) < 0)
			kr.refused++;
}

/* The FIB in force of a kernel table (main, or one a tenant is bound to), when there is one
 * that takes staged changes. */
static struct svr_fib *live_fib(uint32_t table)
{
	struct svr_fib *fib = dp_tfib_of_table(dp_gen_main(), table);
	return fib && fib->max_pending ? fib : NULL;
}

/* Calls fn on every live FIB of the generation in force. */
#define EACH_LIVE_FIB(g, fib, body)                                                                \
	do {                                                                                       \
		for (int s_ = -1; g && s_ < DP_TFIB_SLOTS; s_++) {                                 \
			struct svr_fib *fib = s_ < 0 ? g->fib : g->tfib[s_];                       \
			if (fib && fib->max_pending) {                                             \
				body;                                                              \
			}                                                                          \
		}                                                                                  \
	} while (0)

/* Changes every live FIB can still stage before the next publish: each change from the ring
 * stages at most one, in one FIB. */
static uint32_t stage_room(void)
{
	const struct dp_gen *g = dp_gen_main();
	uint32_t room = UINT32_MAX;
	EACH_LIVE_FIB(g, fib, {
		if (fib->max_pending - fib->n_pending < room)
			room = fib->max_pending - fib->n_pending;
	});
	return room;
}

/* Takes r out of the FIB in force (staged) and out of the RIB. */
static void rib_remove(uint32_t slot)
{
	struct kroute *r = &kr.routes[slot];
	struct svr_fib *fib = live_fib(r->table);
	/* whether the FIB in force has it, not r->installed: that says what the last FIB built
	 * took, and a FIB may be built for an image that is then refused */
	if (fib)
		svr_fib_kernel_del(fib, true, &r->prefix);
	struct rib_key k;
	key_of(r->table, &r->prefix, &k);
	rte_hash_del_key(kr.idx, &k);
	uint32_t last = --kr.n;
	if (slot != last) {
		kr.routes[slot] = kr.routes[last];
		key_of(kr.routes[slot].table, &kr.routes[slot].prefix, &k);
		rte_hash_add_key_data(kr.idx, &k, (void *)(uintptr_t)slot); /* updates */
	}
}

static void ask_resync(void)
{
	kr.resyncs_asked++;
	svr_route_ring_ask_resync(&kr.ring);
}

static void change_to_route(const struct svr_route_change *c, struct kroute *r)
{
	memset(r, 0, sizeof(*r));
	r->prefix.ip.family = c->family == 4 ? SVR_AF_INET : SVR_AF_INET6;
	memcpy(r->prefix.ip.addr, c->prefix, 16);
	r->prefix.len = c->len;
	svr_prefix_mask(&r->prefix);
	static const uint8_t zero[16];
	if (memcmp(c->gateway, zero, 16)) {
		r->gateway.family = r->prefix.ip.family;
		memcpy(r->gateway.addr, c->gateway, 16);
	}
	r->table = c->table;
	r->metric = c->metric;
	r->proto = c->proto;
	r->epoch = kr.epoch;
	/* a name of 16 bytes has no terminator: no interface of ours is named so */
	size_t len = strnlen(c->ifname, sizeof(c->ifname));
	if (len < sizeof(r->ifname))
		memcpy(r->ifname, c->ifname, len);
}

static void apply_add(const struct svr_route_change *c)
{
	struct kroute in;
	change_to_route(c, &in);
	struct rib_key k;
	key_of(in.table, &in.prefix, &k);
	void *data;
	bool known = rte_hash_lookup_data(kr.idx, &k, &data) >= 0;
	uint32_t slot = known ? (uint32_t)(uintptr_t)data : kr.n;
	struct kroute *r = &kr.routes[slot];
	if (known && r->metric == in.metric && r->table == in.table &&
	    memcmp(&r->gateway, &in.gateway, sizeof(in.gateway)) == 0 &&
	    strcmp(r->ifname, in.ifname) == 0) {
		/* the same route again (a listing names every route): nothing to change */
		if (r->epoch != kr.epoch)
			r->others = 0;
		r->epoch = kr.epoch;
		r->proto = in.proto;
		return;
	}
	if (known) {
		/* the first time a listing names it, it starts over: the listing names them all */
		uint16_t others = r->epoch == kr.epoch ? r->others : 0;
		if (r->epoch == kr.epoch && in.metric > r->metric) { /* a worse one: not ours */
			r->others = (uint16_t)(others + (others < UINT16_MAX));
			return;
		}
		in.others = (uint16_t)(others + (in.metric != r->metric && others < UINT16_MAX));
	} else if (kr.n == kr.max ||
		   rte_hash_add_key_data(kr.idx, &k, (void *)(uintptr_t)slot) < 0) {
		kr.refused++;
		kr.refused_in_listing |= kr.syncing;
		return;
	} else {
		kr.n++;
	}
	*r = in;
	struct svr_fib *fib = live_fib(r->table);
	if (fib && install(fib, dp_gen_main(), r, true) < 0)
		kr.refused++;
	if (known && !r->installed && fib)
		svr_fib_kernel_del(fib, true, &r->prefix); /* now by an interface we lack */
	kr.adds++;
}

static void apply_del(const struct svr_route_change *c)
{
	struct kroute in;
	change_to_route(c, &in);
	struct rib_key k;
	key_of(in.table, &in.prefix, &k);
	void *data;
	if (rte_hash_lookup_data(kr.idx, &k, &data) < 0)
		return;
	struct kroute *r = &kr.routes[(uint32_t)(uintptr_t)data];
	if (in.metric != r->metric) { /* one of the others went */
		if (r->others)
			r->others--;
		return;
	}
	/* another next hop of the same metric (a sibling of an IPv6 multipath route, which the
	 * kernel reports one by one): the route kept is not the one that went */
	if (memcmp(&r->gateway, &in.gateway, sizeof(in.gateway)) ||
	    strcmp(r->ifname, in.ifname) != 0)
		return;
	bool others = r->others > 0;
	rib_remove((uint32_t)(uintptr_t)data);
	kr.dels++;
	if (others) /* the next best is the kernel's to tell: all of it again */
		ask_resync();
}

/* One change from the ring. */
static void apply(const struct svr_route_change *c)
{
	kr.changes++;
	switch (c->op) {
	case SVR_ROUTE_ADD:
		apply_add(c);
		break;
	case SVR_ROUTE_DEL:
		apply_del(c);
		break;
	case SVR_ROUTE_SYNC_BEGIN: /* a second one abandons the first: its routes are named again */
		kr.epoch++;
		kr.syncing = true;
		break;
	case SVR_ROUTE_SYNC_END:
		/* The sweep removes what is older than this listing, even once the next one has
		 * begun (the producer may send them back to back, and the sweep takes turns). */
		if (kr.syncing) {
			kr.syncs++;
			kr.sweeping = true;
			kr.sweep_pos = kr.n;
			kr.sweep_epoch = kr.epoch;
		}
		kr.syncing = false;
		break;
	}
}

/* Removes, downwards, the routes the last listing did not name; true when done. A removal
 * moves the last route into the freed slot: one already looked at. */
static bool sweep(void)
{
	/* counted down here rather than asked per route: each removal stages at most one change,
	 * and the FIBs are many with tenants' tables */
	uint32_t room = stage_room();
	while (kr.sweep_pos > 0) {
		if (room == 0)
			return false;
		uint32_t i = --kr.sweep_pos;
		if ((int32_t)(kr.routes[i].epoch - kr.sweep_epoch) < 0) {
			rib_remove(i);
			room--;
			kr.dels++;
			kr.swept_any = true;
		}
	}
	kr.sweeping = false;
	/* the listing found the RIB full of routes it then dropped: once more, with the room */
	if (kr.refused_in_listing && kr.swept_any)
		ask_resync();
	else if (kr.refused_in_listing)
		LOG_WARN(
		    "kernel routes: the RIB is full (routing.kernel-routes %u): routes refused",
		    kr.max);
	kr.refused_in_listing = kr.swept_any = false;
	return true;
}

static bool attach(uint64_t now_ms)
{
	if (kr.attached)
		return true;
	if (now_ms < kr.next_attach_ms)
		return false;
	kr.next_attach_ms = now_ms + ATTACH_RETRY_MS;
	char err[160];
	int rc = svr_route_shm_open(&kr.ring, dp.conf->instance, false, err, sizeof(err));
	if (rc == -EAGAIN)
		return false;
	if (rc < 0) {
		LOG_ERR("kernel routes: %s", err);
		kr.next_attach_ms = now_ms + 10 * 1000;
		return false;
	}
	kr.attached = true;
	/* whatever the ring holds is relative to a table we never had: start from a listing */
	svr_route_ring_skip(&kr.ring);
	ask_resync();
	LOG_INFO("kernel routes: attached to the route ring; asked svr-control for the listing");
	return true;
}

/* Takes and applies changes until the batch is full, the ring empty, or the turn over. */
static unsigned take(void)
{
	unsigned total = 0;
	uint64_t end = rte_get_timer_cycles() + rte_get_timer_hz() / (1000000 / TURN_US);
	do {
		if (kr.sweeping && !sweep())
			break;
		/* each change stages at most one FIB change, in one FIB */
		uint32_t room = stage_room();
		struct svr_route_change c[64];
		int n = svr_route_ring_take(&kr.ring, c, room < 64 ? room : 64);
		if (n < 0) { /* the producer's count makes no sense: start over */
			kr.ring_broken++;
			svr_route_ring_skip(&kr.ring);
			ask_resync();
			break;
		}
		for (int i = 0; i < n; i++)
			if (svr_route_change_valid(&c[i]))
				apply(&c[i]);
			else
				kr.refused++;
		total += (unsigned)n;
		if (n == 0)
			break;
	} while (rte_get_timer_cycles() < end);
	return total;
}

unsigned dp_kroutes_poll(uint64_t now_ms)
{
	if (!kr.max || !attach(now_ms))
		return 0;
	const struct dp_gen *g = dp_gen_main();
	/* The FIBs of the generation in force that staged the batch published last. A FIB built
	 * meanwhile for a new generation took the batch from the RIB and stages nothing; one a
	 * new generation took over still has it staged. */
	uint32_t pending = 0;
	EACH_LIVE_FIB(g, fib, pending += fib->n_pending);
	if (kr.waiting && pending) {
		if (rte_rcu_qsbr_check(dp.qsbr, kr.grace_token, false) != 1)
			return 0;
		EACH_LIVE_FIB(g, fib, svr_fib_catch_up(fib));
	}
	kr.waiting = false;
	unsigned n = take();
	/* every FIB's staged changes become the workers' together: one grace period for all */
	pending = 0;
	EACH_LIVE_FIB(g, fib, {
		if (fib->n_pending) {
			svr_fib_publish(fib);
			pending += fib->n_pending;
		}
	});
	if (pending) {
		kr.grace_token = rte_rcu_qsbr_start(dp.qsbr);
		kr.waiting = true;
		kr.batches++;
		kr.last_batch_changes = pending;
	}
	return n + (kr.waiting || kr.sweeping);
}

static json_t *route_json(const struct kroute *r)
{
	/* installed by the last FIB built for its table, which the generation in force still
	 * has: a table no tenant is bound to any more has none */
	bool installed = r->installed && dp_tfib_of_table(dp_gen_main(), r->table);
	char p[64], gw[64] = "";
	if (r->gateway.family)
		svr_ip_fmt(&r->gateway, gw, sizeof(gw));
	return json_pack("{s:s, s:s, s:s, s:I, s:I, s:i, s:b}", "prefix",
			 svr_prefix_fmt(&r->prefix, p, sizeof(p)), "gateway", gw, "interface",
			 r->ifname, "table", (json_int_t)r->table, "metric", (json_int_t)r->metric,
			 "proto", r->proto, "installed", installed);
}

/* Per table the FIB in force has: its number, the RIB's routes of it, those installed. */
static json_t *tables_json(void)
{
	const struct dp_gen *g = dp_gen_main();
	uint32_t table[1 + DP_TFIB_SLOTS], routes[1 + DP_TFIB_SLOTS] = {0};
	const struct svr_fib *fibs[1 + DP_TFIB_SLOTS];
	unsigned n = 0;
	table[n] = DP_KROUTES_MAIN_TABLE;
	fibs[n++] = g ? g->fib : NULL;
	for (unsigned s = 0; g && s < DP_TFIB_SLOTS; s++)
		if (g->tfib_table[s]) {
			table[n] = g->tfib_table[s];
			fibs[n++] = g->tfib[s];
		}
	for (uint32_t i = 0; i < kr.n; i++)
		for (unsigned t = 0; t < n; t++)
			if (kr.routes[i].table == table[t]) {
				routes[t]++;
				break;
			}
	json_t *arr = json_array();
	for (unsigned t = 0; t < n; t++)
		json_array_append_new(
		    arr, json_pack("{s:I, s:I, s:I}", "table", (json_int_t)table[t], "routes",
				   (json_int_t)routes[t], "installed",
				   (json_int_t)(fibs[t] && fibs[t]->max_pending ? fibs[t]->n_kernel
										: 0)));
	return arr;
}

json_t *dp_kroutes_json(bool with_routes)
{
	const struct svr_fib *fib = live_fib(DP_KROUTES_MAIN_TABLE);
	uint32_t installed = fib ? fib->n_kernel : 0;
	json_t *o = json_pack(
	    "{s:b, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
	    "enabled", kr.max > 0, "attached", kr.attached, "capacity", (json_int_t)kr.max,
	    "routes", (json_int_t)kr.n, "installed", (json_int_t)installed, "changes",
	    (json_int_t)kr.changes, "adds", (json_int_t)kr.adds, "deletes", (json_int_t)kr.dels,
	    "listings", (json_int_t)kr.syncs, "listings-asked", (json_int_t)kr.resyncs_asked,
	    "refused", (json_int_t)kr.refused, "ring-broken", (json_int_t)kr.ring_broken,
	    "shadowed-by-policy", (json_int_t)kr.shadowed, "batches", (json_int_t)kr.batches,
	    "last-batch-changes", (json_int_t)kr.last_batch_changes);
	/* the main table, then those tenants are bound to */
	json_object_set_new(o, "tables", tables_json());
	if (with_routes) { /* a full table would be tens of megabytes of JSON: the first ones */
		json_t *arr = json_array();
		for (uint32_t i = 0; i < kr.n && i < DP_KROUTES_LIST_MAX; i++)
			json_array_append_new(arr, route_json(&kr.routes[i]));
		json_object_set_new(o, "list", arr);
		json_object_set_new(o, "list-truncated", json_boolean(kr.n > DP_KROUTES_LIST_MAX));
	}
	return o;
}

struct kernel_routes_args {
	bool counters_only;
};

/* {"cmd": "kernel-routes", "list": false}: the counters without the routes (a poller's). */
static int kernel_routes_parse(const json_t *req, void *args, char *err, size_t errlen)
{
	struct kernel_routes_args *a = args;
	const json_t *list = json_object_get(req, "list");
	if (list && !json_is_boolean(list)) {
		snprintf(err, errlen, "list: true or false");
		return -1;
	}
	a->counters_only = list && !json_is_true(list);
	return 0;
}

static json_t *kernel_routes_serve(const struct dp_ctl_request *r, const char **error)
{
	(void)error;
	const struct kernel_routes_args *a = r->args;
	return dp_kroutes_json(!a->counters_only);
}

static struct dp_ctl_command kernel_routes_cmd = {.name = "kernel-routes",
						  .parse = kernel_routes_parse,
						  .args_size = sizeof(struct kernel_routes_args),
						  .serve = kernel_routes_serve};
DP_CTL_REGISTER(kernel_routes_cmd)
