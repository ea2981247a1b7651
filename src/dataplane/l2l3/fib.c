/* SPDX-License-Identifier: BSD-3-Clause */
#include "l2l3/fib.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_fib.h>
#include <rte_fib6.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_malloc.h>

/* 2-byte next hops keep the IPv4 tbl24 at 32 MiB (2^24 entries). */
#define FIB_NH_MAX 32767
#define FIB_TBL8   (1 << 12)
#define FIB6_TBL8  (1 << 13)
/* The IPv6 trie's RIB is preallocated per route and its tbl8 pool holds far fewer long
 * prefixes anyway: IPv6 routes beyond this many are refused. */
#define FIB6_ROUTES (1 << 17)

/* Keys of the main lcore's indexes: a route by its (masked) prefix, a next hop by what it is.
 * Whole structs, zeroed before filling, so that padding never tells two equal keys apart. */
struct route_key {
	uint8_t family, len, pad[2]; /* rte_jhash reads whole 32-bit words */
	uint8_t addr[16];
};
struct nh_key {
	uint8_t type, family;
	uint16_t iface;
	uint8_t gw[16];
};

static struct rte_hash *index_create(const char *fib, const char *what, uint32_t entries,
				     uint32_t key_len)
{
	char n[RTE_HASH_NAMESIZE];
	snprintf(n, sizeof(n), "%s%s", fib, what);
	struct rte_hash_parameters hp = {
	    .name = n,
	    .entries = entries < 8 ? 8 : entries,
	    .key_len = key_len,
	    .hash_func = rte_jhash,
	    .socket_id = SOCKET_ID_ANY,
	    .extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE, /* main lcore only: no concurrency */
	};
	return rte_hash_create(&hp);
}

/* One pair of lookup tables (IPv4, IPv6); suffix tells a live FIB's two apart. */
static int tables_create(struct svr_fib *fib, const char *name, unsigned t)
{
	char n[64];
	/* A compact FIB looks its RIB's tree up: no 32 MiB tbl24 (svr_fib_create_compact). */
	struct rte_fib_conf c4 = {
	    .type = fib->compact ? RTE_FIB_DUMMY : RTE_FIB_DIR24_8,
	    .default_nh = 0,
	    .max_routes = (int)fib->max_routes,
	    .dir24_8 = {.nh_sz = RTE_FIB_DIR24_8_2B, .num_tbl8 = FIB_TBL8},
	};
	snprintf(n, sizeof(n), "%s4%c", name, t ? 'b' : 'a');
	fib->v4[t] = rte_fib_create(n, SOCKET_ID_ANY, &c4);
	struct rte_fib6_conf c6 = {
	    .type = fib->compact ? RTE_FIB6_DUMMY : RTE_FIB6_TRIE,
	    .default_nh = 0,
	    .max_routes = (int)(fib->max_routes < FIB6_ROUTES ? fib->max_routes : FIB6_ROUTES),
	    .trie = {.nh_sz = RTE_FIB6_TRIE_2B, .num_tbl8 = FIB6_TBL8},
	};
	snprintf(n, sizeof(n), "%s6%c", name, t ? 'b' : 'a');
	fib->v6[t] = rte_fib6_create(n, SOCKET_ID_ANY, &c6);
	return fib->v4[t] && fib->v6[t] ? 0 : -1;
}

static struct svr_fib *fib_create(const char *name, uint32_t max_routes, uint32_t max_batch,
				  bool compact)
{
	struct svr_fib *fib = rte_zmalloc("svr_fib", sizeof(*fib), 0);
	if (!fib)
		return NULL;
	fib->compact = compact;
	fib->max_routes = max_routes;
	fib->max_nh = max_routes + 1 < FIB_NH_MAX ? max_routes + 1 : FIB_NH_MAX;
	fib->nh = rte_zmalloc("svr_fib_nh", sizeof(*fib->nh) * fib->max_nh, RTE_CACHE_LINE_SIZE);
	fib->routes = rte_zmalloc("svr_fib_routes", sizeof(*fib->routes) * max_routes, 0);
	fib->route_idx = index_create(name, "r", max_routes, sizeof(struct route_key));
	fib->nh_idx = index_create(name, "n", fib->max_nh, sizeof(struct nh_key));
	if (!fib->nh || !fib->routes || !fib->route_idx || !fib->nh_idx)
		goto fail;
	fib->n_nh = 1; /* index 0 is SVR_NH_NONE, the default of both tables */
	atomic_store(&fib->nh[0].neigh, SVR_NEIGH_NONE);
	if (tables_create(fib, name, 0) < 0)
		goto fail;
	if (max_batch) {
		fib->max_pending = max_batch;
		fib->pending = rte_malloc("svr_fib_pending", sizeof(*fib->pending) * max_batch, 0);
		if (!fib->pending || tables_create(fib, name, 1) < 0)
			goto fail;
	}
	return fib;
fail:
	svr_fib_free(fib);
	return NULL;
}

struct svr_fib *svr_fib_create(const char *name, uint32_t max_routes, uint32_t max_batch)
{
	return fib_create(name, max_routes, max_batch, false);
}

struct svr_fib *svr_fib_create_compact(const char *name, uint32_t max_routes, uint32_t max_batch)
{
	return fib_create(name, max_routes, max_batch, true);
}

void svr_fib_free(struct svr_fib *fib)
{
	if (!fib)
		return;
	for (unsigned t = 0; t < 2; t++) {
		rte_fib_free(fib->v4[t]);
		rte_fib6_free(fib->v6[t]);
	}
	rte_hash_free(fib->route_idx);
	rte_hash_free(fib->nh_idx);
	rte_free(fib->pending);
	rte_free(fib->nh);
	rte_free(fib->routes);
	rte_free(fib);
}

/* A next hop's index, shared by every route through it; 0 when the table of them is full.
 * Next hops are never removed: a worker may hold an index it looked up, and a FIB holds few
 * distinct ones (a gateway and an interface each); a FIB whose routes change for long would
 * count them and free them after a grace period. */
static uint32_t nh_find_or_add(struct svr_fib *fib, enum svr_nh_type type, uint16_t iface,
			       const struct svr_ip *gw)
{
	struct nh_key k;
	memset(&k, 0, sizeof(k));
	k.type = (uint8_t)type;
	k.iface = iface;
	if (type == SVR_NH_GATEWAY) { /* an IPv4 address is its first 4 bytes, whatever follows */
		k.family = gw->family;
		memcpy(k.gw, gw->addr, gw->family == SVR_AF_INET ? 4 : sizeof(k.gw));
	}
	void *data;
	if (rte_hash_lookup_data(fib->nh_idx, &k, &data) >= 0)
		return (uint32_t)(uintptr_t)data;
	if (fib->n_nh == fib->max_nh ||
	    rte_hash_add_key_data(fib->nh_idx, &k, (void *)(uintptr_t)fib->n_nh) < 0)
		return 0;
	struct svr_nexthop *h = &fib->nh[fib->n_nh];
	h->type = (uint8_t)type;
	h->iface = iface;
	if (type == SVR_NH_GATEWAY)
		h->gateway = *gw;
	atomic_store(&h->neigh, SVR_NEIGH_NONE);
	return fib->n_nh++;
}

static void route_key_of(const struct svr_prefix *p, struct route_key *k)
{
	memset(k, 0, sizeof(*k));
	k->family = p->ip.family;
	k->len = p->len;
	memcpy(k->addr, p->ip.addr, p->ip.family == SVR_AF_INET ? 4 : sizeof(k->addr));
}

/* Which tables a change goes into: the staged one only, or (a FIB no worker reads) all. */
static unsigned tables_of(const struct svr_fib *fib, bool staged)
{
	unsigned active = atomic_load_explicit(&fib->active, memory_order_relaxed);
	if (staged)
		return 1u << (active ^ 1);
	return fib->max_pending ? 3u : 1u;
}

static int table_set(struct svr_fib *fib, unsigned t, const struct svr_prefix *p, uint32_t nh)
{
	if (p->ip.family == SVR_AF_INET)
		return nh ? rte_fib_add(fib->v4[t], svr_ip4_host(&p->ip), p->len, nh)
			  : rte_fib_delete(fib->v4[t], svr_ip4_host(&p->ip), p->len);
	return nh ? rte_fib6_add(fib->v6[t], p->ip.addr, p->len, nh)
		  : rte_fib6_delete(fib->v6[t], p->ip.addr, p->len);
}

/* nh into the tables of mask (0: delete); a table that refuses undoes nothing before it, which
 * only a full tbl8 pool can cause and the caller reports. */
static int tables_set(struct svr_fib *fib, unsigned mask, const struct svr_prefix *p, uint32_t nh)
{
	for (unsigned t = 0; t < 2; t++) {
		int rc = mask & (1u << t) ? table_set(fib, t, p, nh) : 0;
		if (rc < 0)
			return rc;
	}
	return 0;
}

static void stage(struct svr_fib *fib, const struct svr_prefix *p, uint32_t nh)
{
	fib->pending[fib->n_pending++] = (struct svr_fib_change){.prefix = *p, .nh = nh};
}

/* prefix -> next hop nh of origin, into the tables of mask; a kernel route never replaces a
 * policy one. */
static int route_put(struct svr_fib *fib, unsigned mask, const struct svr_prefix *prefix,
		     uint32_t nh, enum svr_route_origin origin)
{
	struct svr_prefix p = *prefix;
	svr_prefix_mask(&p);
	struct route_key k;
	route_key_of(&p, &k);
	void *data;
	bool replace = rte_hash_lookup_data(fib->route_idx, &k, &data) >= 0;
	uint32_t slot = replace ? (uint32_t)(uintptr_t)data : fib->n_routes;
	if (replace && origin == SVR_ORIGIN_KERNEL && fib->routes[slot].origin == SVR_ORIGIN_POLICY)
		return -EEXIST;
	if (slot == fib->max_routes)
		return -ENOSPC;
	int rc = tables_set(fib, mask, &p, nh);
	if (rc < 0)
		return rc;
	if (!replace) {
		rc = rte_hash_add_key_data(fib->route_idx, &k, (void *)(uintptr_t)slot);
		if (rc < 0) { /* keep the two in step: the route goes again */
			tables_set(fib, mask, &p, 0);
			return rc;
		}
		fib->n_routes++;
	} else if (fib->routes[slot].origin == SVR_ORIGIN_KERNEL) {
		fib->n_kernel--; /* counted again below if it stays one */
	}
	fib->n_kernel += origin == SVR_ORIGIN_KERNEL;
	fib->routes[slot] = (struct svr_route){.prefix = p, .nh = nh, .origin = (uint8_t)origin};
	return 0;
}

/* Removes prefix's route if it is of origin (any origin: SVR_ORIGIN_POLICY from svr_fib_del). */
static int route_remove(struct svr_fib *fib, unsigned mask, const struct svr_prefix *prefix,
			bool kernel_only)
{
	struct svr_prefix p = *prefix;
	svr_prefix_mask(&p);
	struct route_key k;
	route_key_of(&p, &k);
	void *data;
	if (rte_hash_lookup_data(fib->route_idx, &k, &data) < 0)
		return -ENOENT;
	uint32_t slot = (uint32_t)(uintptr_t)data;
	if (kernel_only && fib->routes[slot].origin != SVR_ORIGIN_KERNEL)
		return -ENOENT;
	int rc = tables_set(fib, mask, &p, 0);
	if (rc < 0)
		return rc;
	rte_hash_del_key(fib->route_idx, &k);
	fib->n_kernel -= fib->routes[slot].origin == SVR_ORIGIN_KERNEL;
	/* the list stays dense: the last route takes the freed slot */
	uint32_t last = --fib->n_routes;
	if (slot != last) {
		fib->routes[slot] = fib->routes[last];
		route_key_of(&fib->routes[slot].prefix, &k);
		rte_hash_add_key_data(fib->route_idx, &k, (void *)(uintptr_t)slot); /* updates */
	}
	return 0;
}

int svr_fib_add(struct svr_fib *fib, const struct svr_prefix *prefix, enum svr_nh_type type,
		uint16_t iface, const struct svr_ip *gateway)
{
	if (type == SVR_NH_NONE || (type == SVR_NH_GATEWAY && !gateway))
		return -EINVAL;
	uint32_t nh = nh_find_or_add(fib, type, iface, gateway);
	if (nh == 0)
		return -ENOSPC;
	return route_put(fib, tables_of(fib, false), prefix, nh, SVR_ORIGIN_POLICY);
}

int svr_fib_del(struct svr_fib *fib, const struct svr_prefix *prefix)
{
	return route_remove(fib, tables_of(fib, false), prefix, false);
}

int svr_fib_kernel_add(struct svr_fib *fib, bool staged, const struct svr_prefix *prefix,
		       enum svr_nh_type type, uint16_t iface, const struct svr_ip *gateway)
{
	if (type == SVR_NH_NONE || (type == SVR_NH_GATEWAY && !gateway) ||
	    (staged && !fib->max_pending))
		return -EINVAL;
	if (staged && fib->n_pending == fib->max_pending)
		return -ENOBUFS;
	uint32_t nh = nh_find_or_add(fib, type, iface, gateway);
	if (nh == 0)
		return -ENOSPC;
	int rc = route_put(fib, tables_of(fib, staged), prefix, nh, SVR_ORIGIN_KERNEL);
	if (rc == 0 && staged) {
		struct svr_prefix p = *prefix;
		svr_prefix_mask(&p);
		stage(fib, &p, nh);
	}
	return rc;
}

int svr_fib_kernel_del(struct svr_fib *fib, bool staged, const struct svr_prefix *prefix)
{
	if (staged && !fib->max_pending)
		return -EINVAL;
	if (staged && fib->n_pending == fib->max_pending)
		return -ENOBUFS;
	int rc = route_remove(fib, tables_of(fib, staged), prefix, true);
	if (rc == 0 && staged) {
		struct svr_prefix p = *prefix;
		svr_prefix_mask(&p);
		stage(fib, &p, 0);
	}
	return rc;
}

void svr_fib_publish(struct svr_fib *fib)
{
	unsigned active = atomic_load_explicit(&fib->active, memory_order_relaxed);
	if (fib->max_pending)
		atomic_store_explicit(&fib->active, active ^ 1, memory_order_release);
}

void svr_fib_catch_up(struct svr_fib *fib)
{
	unsigned standby = atomic_load_explicit(&fib->active, memory_order_relaxed) ^ 1;
	/* The same changes in the same order: the tables end equal (a refusal, a full tbl8 pool,
	 * refused the staged table first and was never staged). */
	for (uint32_t i = 0; i < fib->n_pending; i++)
		table_set(fib, standby, &fib->pending[i].prefix, fib->pending[i].nh);
	fib->n_pending = 0;
}

/* The tables workers read; acquire: what the main lcore staged before publishing them. */
static inline unsigned active_of(const struct svr_fib *fib)
{
	return atomic_load_explicit(&((struct svr_fib *)fib)->active, memory_order_acquire);
}

void svr_fib_lookup4(const struct svr_fib *fib, const uint32_t *dst, uint64_t *nh, unsigned n)
{
	rte_fib_lookup_bulk(fib->v4[active_of(fib)], (uint32_t *)dst, nh, n);
}

void svr_fib_lookup6(const struct svr_fib *fib, uint8_t (*dst)[16], uint64_t *nh, unsigned n)
{
	rte_fib6_lookup_bulk(fib->v6[active_of(fib)], dst, nh, n);
}

uint32_t svr_fib_lookup(const struct svr_fib *fib, const struct svr_ip *dst)
{
	uint64_t nh = 0;
	if (dst->family == SVR_AF_INET) {
		uint32_t a = svr_ip4_host(dst);
		svr_fib_lookup4(fib, &a, &nh, 1);
	} else {
		uint8_t a[1][16];
		memcpy(a[0], dst->addr, 16);
		svr_fib_lookup6(fib, a, &nh, 1);
	}
	return (uint32_t)nh;
}

void svr_fib_link_neigh(struct svr_fib *fib, uint16_t iface, const struct svr_ip *ip, uint32_t pos)
{
	for (uint32_t i = 1; i < fib->n_nh; i++) {
		struct svr_nexthop *h = &fib->nh[i];
		if (h->type == SVR_NH_GATEWAY && h->iface == iface && svr_ip_equal(&h->gateway, ip))
			atomic_store_explicit(&h->neigh, pos, memory_order_release);
	}
}
