/* SPDX-License-Identifier: BSD-3-Clause */
#include "l2l3/fib.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_fib.h>
#include <rte_fib6.h>
#include <rte_malloc.h>

/* 2-byte next hops keep the IPv4 tbl24 at 32 MiB (2^24 entries). */
#define FIB_NH_MAX 32767
#define FIB_TBL8   (1 << 12)
#define FIB6_TBL8  (1 << 13)

struct svr_fib *svr_fib_create(const char *name, uint32_t max_routes)
{
	struct svr_fib *fib = rte_zmalloc("svr_fib", sizeof(*fib), 0);
	if (!fib)
		return NULL;
	fib->max_routes = max_routes;
	fib->max_nh = max_routes + 1 < FIB_NH_MAX ? max_routes + 1 : FIB_NH_MAX;
	fib->nh = rte_zmalloc("svr_fib_nh", sizeof(*fib->nh) * fib->max_nh, RTE_CACHE_LINE_SIZE);
	fib->routes = rte_zmalloc("svr_fib_routes", sizeof(*fib->routes) * max_routes, 0);
	if (!fib->nh || !fib->routes)
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
	rte_free(fib->nh);
	rte_free(fib->routes);
	rte_free(fib);
}

static uint32_t nh_find_or_add(struct svr_fib *fib, enum svr_nh_type type, uint16_t iface,
			       const struct svr_ip *gw)
{
	for (uint32_t i = 1; i < fib->n_nh; i++) {
		const struct svr_nexthop *h = &fib->nh[i];
		if (h->type == type && h->iface == iface &&
		    (type != SVR_NH_GATEWAY || svr_ip_equal(&h->gateway, gw)))
			return i;
	}
	if (fib->n_nh == fib->max_nh)
		return 0;
	struct svr_nexthop *h = &fib->nh[fib->n_nh];
	h->type = (uint8_t)type;
	h->iface = iface;
	if (type == SVR_NH_GATEWAY)
		h->gateway = *gw;
	atomic_store(&h->neigh, SVR_NEIGH_NONE);
	return fib->n_nh++;
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
	uint32_t slot = fib->n_routes;
	for (uint32_t i = 0; i < fib->n_routes; i++)
		if (fib->routes[i].prefix.len == p.len &&
		    svr_ip_equal(&fib->routes[i].prefix.ip, &p.ip))
			slot = i;
	if (slot == fib->max_routes)
		return -ENOSPC;

	int rc;
	if (p.ip.family == SVR_AF_INET)
		rc = rte_fib_add(fib->v4, svr_ip4_host(&p.ip), p.len, nh);
	else
		rc = rte_fib6_add(fib->v6, p.ip.addr, p.len, nh);
	if (rc < 0)
		return rc;
	fib->routes[slot] = (struct svr_route){.prefix = p, .nh = nh};
	if (slot == fib->n_routes)
		fib->n_routes++;
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
