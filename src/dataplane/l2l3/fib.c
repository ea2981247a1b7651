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

struct svr_fib *svr_fib_create(const char *name, uint32_t max_routes)
{
	struct svr_fib *fib = rte_zmalloc("svr_fib", sizeof(*fib), 0);
	if (!fib)
		return NULL;
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

	char n[64];
	struct rte_fib_conf c4 = {
	    .type = RTE_FIB_DIR24_8,
	    .default_nh = 0,
	    .max_routes = (int)max_routes,
	    .dir24_8 = {.nh_sz = RTE_FIB_DIR24_8_2B, .num_tbl8 = FIB_TBL8},
	};
	snprintf(n, sizeof(n), "%s4", name);
	fib->v4 = rte_fib_create(n, SOCKET_ID_ANY, &c4);
	struct rte_fib6_conf c6 = {
	    .type = RTE_FIB6_TRIE,
	    .default_nh = 0,
	    .max_routes = (int)max_routes,
	    .trie = {.nh_sz = RTE_FIB6_TRIE_2B, .num_tbl8 = FIB6_TBL8},
	};
	snprintf(n, sizeof(n), "%s6", name);
	fib->v6 = rte_fib6_create(n, SOCKET_ID_ANY, &c6);
	if (!fib->v4 || !fib->v6)
		goto fail;
	return fib;
fail:
	svr_fib_free(fib);
	return NULL;
}

void svr_fib_free(struct svr_fib *fib)
{
	if (!fib)
		return;
	rte_fib_free(fib->v4);
	rte_fib6_free(fib->v6);
	rte_hash_free(fib->route_idx);
	rte_hash_free(fib->nh_idx);
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

int svr_fib_add(struct svr_fib *fib, const struct svr_prefix *prefix, enum svr_nh_type type,
		uint16_t iface, const struct svr_ip *gateway)
{
	if (type == SVR_NH_NONE || (type == SVR_NH_GATEWAY && !gateway))
		return -EINVAL;
	uint32_t nh = nh_find_or_add(fib, type, iface, gateway);
	if (nh == 0)
		return -ENOSPC;

	struct svr_prefix p = *prefix;
	svr_prefix_mask(&p);
	struct route_key k;
	route_key_of(&p, &k);
	void *data;
	bool replace = rte_hash_lookup_data(fib->route_idx, &k, &data) >= 0;
	uint32_t slot = replace ? (uint32_t)(uintptr_t)data : fib->n_routes;
	if (slot == fib->max_routes)
		return -ENOSPC;

	int rc;
	if (p.ip.family == SVR_AF_INET)
		rc = rte_fib_add(fib->v4, svr_ip4_host(&p.ip), p.len, nh);
	else
		rc = rte_fib6_add(fib->v6, p.ip.addr, p.len, nh);
	if (rc < 0)
		return rc;
	if (!replace) {
		rc = rte_hash_add_key_data(fib->route_idx, &k, (void *)(uintptr_t)slot);
		if (rc < 0) { /* keep the two in step: the route goes again */
			if (p.ip.family == SVR_AF_INET)
				rte_fib_delete(fib->v4, svr_ip4_host(&p.ip), p.len);
			else
				rte_fib6_delete(fib->v6, p.ip.addr, p.len);
			return rc;
		}
		fib->n_routes++;
	}
	fib->routes[slot] = (struct svr_route){.prefix = p, .nh = nh};
	return 0;
}

int svr_fib_del(struct svr_fib *fib, const struct svr_prefix *prefix)
{
	struct svr_prefix p = *prefix;
	svr_prefix_mask(&p);
	struct route_key k;
	route_key_of(&p, &k);
	void *data;
	if (rte_hash_lookup_data(fib->route_idx, &k, &data) < 0)
		return -ENOENT;
	int rc = p.ip.family == SVR_AF_INET ? rte_fib_delete(fib->v4, svr_ip4_host(&p.ip), p.len)
					    : rte_fib6_delete(fib->v6, p.ip.addr, p.len);
	if (rc < 0)
		return rc;
	rte_hash_del_key(fib->route_idx, &k);
	/* the list stays dense: the last route takes the freed slot */
	uint32_t slot = (uint32_t)(uintptr_t)data, last = --fib->n_routes;
	if (slot != last) {
		fib->routes[slot] = fib->routes[last];
		route_key_of(&fib->routes[slot].prefix, &k);
		rte_hash_add_key_data(fib->route_idx, &k, (void *)(uintptr_t)slot); /* updates */
	}
	return 0;
}

void svr_fib_lookup4(const struct svr_fib *fib, const uint32_t *dst, uint64_t *nh, unsigned n)
{
	rte_fib_lookup_bulk(fib->v4, (uint32_t *)dst, nh, n);
}

void svr_fib_lookup6(const struct svr_fib *fib, uint8_t (*dst)[16], uint64_t *nh, unsigned n)
{
	rte_fib6_lookup_bulk(fib->v6, dst, nh, n);
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
