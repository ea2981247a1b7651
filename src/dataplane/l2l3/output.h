/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * L3 out: a routed packet (TTL already decremented) gets its next hop's MAC
 * and goes into the worker's TX buffer; an unresolved next hop is punted to
 * the main lcore. Worker context, per packet: inline, no lock, no syscall.
 */
#ifndef SVR_L2L3_OUTPUT_H
#define SVR_L2L3_OUTPUT_H

#include <stdatomic.h>

#include <rte_ethdev.h>

#include "core/worker.h"
#include "l2l3/fib.h"
#include "l2l3/l2.h"
#include "l2l3/neigh.h"

/* Resolves the next hop's MAC and sends; punts when unresolved. TTL is already decremented. */
static inline void dp_l3_send(struct dp_worker *w, const struct dp_gen *g, struct rte_mbuf *m,
			      const struct svr_nexthop *h, const struct svr_ip *dst)
{
	struct dp_pkt_meta *meta = dp_meta(m);
	const struct dp_iface *out = &g->ifaces[h->iface];
	if (unlikely(!out->in_use)) { /* its port is being unplugged (policy/apply.c) */
		dp_drop(w, m, SVR_DROP_IFACE_GONE);
		return;
	}
	uint32_t pos;
	if (h->type == SVR_NH_GATEWAY)
		pos = atomic_load_explicit(&h->neigh, memory_order_acquire);
	else
		pos = svr_neigh_lookup(w->neigh, h->iface, dst);

	struct rte_ether_addr mac;
	if (pos == SVR_NEIGH_NONE || !svr_neigh_mac(w->neigh, pos, &mac)) {
		meta->iface_out = h->iface;
		meta->next_hop = h->type == SVR_NH_GATEWAY ? h->gateway : *dst;
		dp_punt(w, m, DP_PUNT_RESOLVE);
		return;
	}
	if (dp_l2_write(m, meta->l3_off, out, &mac) < 0) {
		dp_drop(w, m, SVR_DROP_NO_MBUF);
		return;
	}
	w->stats.forwarded++;
	w->stats.tx++;
	rte_eth_tx_buffer(out->port, (uint16_t)w->index, w->txb[out->port], m);
}

#endif
