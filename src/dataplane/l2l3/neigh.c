/* SPDX-License-Identifier: BSD-3-Clause */
#include "l2l3/neigh.h"

#include <string.h>

#include <rte_jhash.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "l2l3/fib.h"

struct svr_neigh_table *svr_neigh_create(const char *name, uint32_t max, struct rte_rcu_qsbr *qs)
{
	struct svr_neigh_table *t = rte_zmalloc("svr_neigh", sizeof(*t), 0);
	if (!t)
		return NULL;
	struct rte_hash_parameters hp = {
	    .name = name,
	    .entries = max,
	    .key_len = sizeof(struct svr_neigh_key),
	    .hash_func = rte_jhash,
	    .socket_id = SOCKET_ID_ANY,
	    .extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	t->hash = rte_hash_create(&hp);
	if (!t->hash)
		goto fail;
	/* Positions run up to the key store size, which may exceed max. */
	t->max = (uint32_t)rte_hash_max_key_id(t->hash) + 1;
	t->entries =
	    rte_zmalloc("svr_neigh_entries", sizeof(*t->entries) * t->max, RTE_CACHE_LINE_SIZE);
	if (!t->entries)
		goto fail;
	if (qs) {
		struct rte_hash_rcu_config rc = {.v = qs, .mode = RTE_HASH_QSBR_MODE_DQ};
		if (rte_hash_rcu_qsbr_add(t->hash, &rc) != 0)
			goto fail;
	}
	return t;
fail:
	svr_neigh_free(t);
	return NULL;
}

void svr_neigh_free(struct svr_neigh_table *t)
{
	if (!t)
		return;
	if (t->entries) {
		uint32_t it = 0, pos;
		while ((pos = svr_neigh_next(t, &it)) != SVR_NEIGH_NONE)
			for (unsigned i = 0; i < t->entries[pos].n_queued; i++)
				rte_pktmbuf_free(t->entries[pos].queue[i]);
	}
	rte_hash_free(t->hash);
	rte_free(t->entries);
	rte_free(t);
}

static uint64_t mac_word(const struct rte_ether_addr *mac)
{
	uint64_t v = 0;
	for (int i = 0; i < 6; i++)
		v = v << 8 | mac->addr_bytes[i];
	return v | SVR_NEIGH_MAC_VALID;
}

uint32_t svr_neigh_add(struct svr_neigh_table *t, uint16_t iface, const struct svr_ip *ip,
		       const struct rte_ether_addr *static_mac, uint64_t now_ms)
{
	struct svr_neigh_key k;
	svr_neigh_key_make(&k, iface, ip);
	int32_t pos = rte_hash_lookup(t->hash, &k);
	if (pos < 0)
		pos = rte_hash_add_key(t->hash, &k);
	if (pos < 0 || (uint32_t)pos >= t->max)
		return SVR_NEIGH_NONE;
	struct svr_neigh *n = &t->entries[pos];
	/* .mac of a fresh position is zero (svr_neigh_delete cleared it), so no reader sees a MAC
	 * yet. */
	n->ip = *ip;
	n->iface = iface;
	n->probes = 0;
	n->n_queued = 0;
	n->confirmed_ms = now_ms;
	n->next_probe_ms = now_ms;
	n->state = static_mac ? SVR_NEIGH_STATIC : SVR_NEIGH_INCOMPLETE;
	if (static_mac)
		atomic_store_explicit(&n->mac, mac_word(static_mac), memory_order_release);
	return (uint32_t)pos;
}

void svr_neigh_confirm(struct svr_neigh_table *t, uint32_t pos, const struct rte_ether_addr *mac,
		       uint64_t now_ms)
{
	struct svr_neigh *n = &t->entries[pos];
	if (n->state == SVR_NEIGH_STATIC)
		return;
	uint64_t w = mac_word(mac);
	if (atomic_load_explicit(&n->mac, memory_order_relaxed) != w)
		atomic_store_explicit(&n->mac, w, memory_order_release);
	n->state = SVR_NEIGH_REACHABLE;
	n->probes = 0;
	n->confirmed_ms = now_ms;
}

void svr_neigh_set_static(struct svr_neigh_table *t, uint32_t pos, const struct rte_ether_addr *mac)
{
	struct svr_neigh *n = &t->entries[pos];
	for (unsigned i = 0; i < n->n_queued; i++)
		rte_pktmbuf_free(n->queue[i]);
	n->n_queued = 0;
	n->state = SVR_NEIGH_STATIC;
	atomic_store_explicit(&n->mac, mac_word(mac), memory_order_release);
}

void svr_neigh_delete(struct svr_neigh_table *t, uint32_t pos)
{
	struct svr_neigh *n = &t->entries[pos];
	struct svr_neigh_key k;
	svr_neigh_key_make(&k, n->iface, &n->ip);
	atomic_store_explicit(&n->mac, 0, memory_order_release);
	n->n_queued = 0;
	/* In RCU defer-queue mode the position is recycled after a grace period. */
	rte_hash_del_key(t->hash, &k);
}

void svr_neigh_age(struct svr_neigh_table *t, uint64_t now_ms, const struct svr_neigh_timers *tm,
		   const struct svr_neigh_ops *ops, void *ctx)
{
	uint32_t it = 0, pos;
	while ((pos = svr_neigh_next(t, &it)) != SVR_NEIGH_NONE) {
		struct svr_neigh *n = &t->entries[pos];
		switch (n->state) {
		case SVR_NEIGH_STATIC:
			continue;
		case SVR_NEIGH_REACHABLE:
			if (now_ms - n->confirmed_ms < tm->reachable_ms)
				continue;
			n->state = SVR_NEIGH_PROBE;
			n->probes = 0;
			n->next_probe_ms = now_ms;
			break;
		default:
			break;
		}
		if (now_ms < n->next_probe_ms)
			continue;
		if (n->probes >= tm->max_probes) {
			ops->expire(ctx, pos);
			continue;
		}
		n->probes++;
		n->next_probe_ms = now_ms + tm->probe_interval_ms;
		ops->probe(ctx, pos, n->state == SVR_NEIGH_PROBE);
	}
}

uint32_t svr_neigh_next(const struct svr_neigh_table *t, uint32_t *iter)
{
	const void *key;
	void *data;
	int32_t pos = rte_hash_iterate(t->hash, &key, &data, iter);
	return pos < 0 ? SVR_NEIGH_NONE : (uint32_t)pos;
}

const char *svr_neigh_state_name(uint8_t state)
{
	switch (state) {
	case SVR_NEIGH_INCOMPLETE:
		return "incomplete";
	case SVR_NEIGH_REACHABLE:
		return "reachable";
	case SVR_NEIGH_PROBE:
		return "probe";
	case SVR_NEIGH_STATIC:
		return "static";
	}
	return "?";
}
