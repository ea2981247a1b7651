/* SPDX-License-Identifier: BSD-3-Clause */
#include "l2l3/forward.h"

#include <rte_prefetch.h>

#include "l2l3/fib.h"
#include "l2l3/l2.h"
#include "l2l3/neigh.h"
#include "l2l3/parse.h"
#include "worker/worker.h"

#define MAX_BURST 64

/* Resolves the next hop's MAC and sends; punts when unresolved. TTL is already decremented. */
static inline void send_via(struct dp_worker *w, const struct dp_gen *g, struct rte_mbuf *m,
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
		pos = svr_neigh_lookup(dp.neigh, h->iface, dst);

	struct rte_ether_addr mac;
	if (pos == SVR_NEIGH_NONE || !svr_neigh_mac(dp.neigh, pos, &mac)) {
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

static inline void forward4(struct dp_worker *w, const struct dp_gen *g, struct rte_mbuf *m,
			    uint32_t nh_id)
{
	const struct svr_nexthop *h = &g->fib->nh[nh_id];
	struct dp_pkt_meta *meta = dp_meta(m);
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, meta->l3_off);

	switch (h->type) {
	case SVR_NH_NONE:
		dp_punt(w, m, DP_PUNT_NO_ROUTE);
		return;
	case SVR_NH_LOCAL:
		dp_punt(w, m, DP_PUNT_LOCAL);
		return;
	case SVR_NH_BROADCAST: /* RFC 2644: directed broadcasts are not forwarded */
		dp_drop(w, m, SVR_DROP_IP4_BCAST);
		return;
	}
	if (ip[8] <= 1) {
		dp_punt(w, m, DP_PUNT_TTL);
		return;
	}
	struct svr_ip dst = {.family = SVR_AF_INET};
	memcpy(dst.addr, ip + 16, 4);
	if (svr_be16(ip + 2) > g->ifaces[h->iface].mtu) {
		meta->iface_out = h->iface;
		meta->next_hop = h->type == SVR_NH_GATEWAY ? h->gateway : dst;
		dp_punt(w, m, DP_PUNT_MTU); /* fragmented, or refused if DF */
		return;
	}
	svr_ip4_dec_ttl(ip);
	send_via(w, g, m, h, &dst);
}

static inline void forward6(struct dp_worker *w, const struct dp_gen *g, struct rte_mbuf *m,
			    uint32_t nh_id)
{
	const struct svr_nexthop *h = &g->fib->nh[nh_id];
	struct dp_pkt_meta *meta = dp_meta(m);
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, meta->l3_off);

	if (h->type == SVR_NH_LOCAL) {
		dp_punt(w, m, DP_PUNT_LOCAL);
		return;
	}
	/* RFC 4291: link-local addresses never cross a router; :: is no routed source. */
	if (svr_ip6_is_link_local(ip + 8) || svr_ip6_is_link_local(ip + 24)) {
		dp_drop(w, m, SVR_DROP_IP6_SCOPE);
		return;
	}
	if (svr_ip6_is_unspecified(ip + 8)) {
		dp_drop(w, m, SVR_DROP_IP6_SRC);
		return;
	}
	if (h->type == SVR_NH_NONE) {
		dp_punt(w, m, DP_PUNT_NO_ROUTE);
		return;
	}
	if (ip[7] <= 1) {
		dp_punt(w, m, DP_PUNT_TTL);
		return;
	}
	if (40u + svr_be16(ip + 4) > g->ifaces[h->iface].mtu) {
		meta->iface_out = h->iface;
		dp_punt(w, m, DP_PUNT_MTU);
		return;
	}
	ip[7]--; /* IPv6 has no header checksum */
	struct svr_ip dst = {.family = SVR_AF_INET6};
	memcpy(dst.addr, ip + 24, 16);
	send_via(w, g, m, h, &dst);
}

void dp_forward_burst(struct dp_worker *w, const struct dp_gen *g, uint16_t port,
		      struct rte_mbuf **pkts, unsigned n)
{
	const struct dp_port_map *p = g->port_map[port];
	struct rte_mbuf *v4[MAX_BURST], *v6[MAX_BURST], *later[MAX_BURST];
	uint32_t dst4[MAX_BURST];
	uint8_t dst6[MAX_BURST][16];
	uint64_t nh[MAX_BURST];
	unsigned n4 = 0, n6 = 0, n_later = 0;

	for (unsigned i = 0; i < n && i < 4; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));

	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		if (i + 4 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 4], void *));
		const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
		uint32_t len = rte_pktmbuf_data_len(m);

		struct svr_eth_info eth;
		enum svr_drop_reason r = svr_parse_eth(d, len, &eth);
		if (r != SVR_DROP_MAX) {
			dp_drop(w, m, r);
			continue;
		}
		uint16_t ifi = p->vlan_iface[eth.vlan];
		if (ifi == DP_NO_IFACE) {
			dp_drop(w, m, SVR_DROP_VLAN_UNKNOWN);
			continue;
		}
		if (!eth.dst_group && !rte_is_same_ether_addr((const struct rte_ether_addr *)d,
							      &g->ifaces[ifi].mac)) {
			dp_drop(w, m, SVR_DROP_NOT_FOR_US);
			continue;
		}
		struct dp_pkt_meta *meta = dp_meta(m);
		meta->iface_in = ifi;
		meta->l3_off = eth.l3_off;
		const uint8_t *ip = d + eth.l3_off;
		uint32_t l3_len = len - eth.l3_off;

		switch (eth.ethertype) {
		case SVR_ETHERTYPE_IPV4: {
			bool good = (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) ==
				    RTE_MBUF_F_RX_IP_CKSUM_GOOD;
			r = svr_check_ip4(ip, l3_len, good);
			if (r != SVR_DROP_MAX) {
				dp_drop(w, m, r);
			} else if (svr_ip4_dst_is_group(ip)) {
				dp_drop(w, m, SVR_DROP_LOCAL_UNSUPPORTED);
			} else if (eth.dst_group) { /* RFC 1812 5.3.4 */
				dp_drop(w, m, SVR_DROP_GROUP_FRAME);
			} else {
				dst4[n4] = svr_be32(ip + 16);
				v4[n4++] = m;
			}
			break;
		}
		case SVR_ETHERTYPE_IPV6:
			r = svr_check_ip6(ip, l3_len);
			if (r != SVR_DROP_MAX) {
				dp_drop(w, m, r);
			} else if (svr_ip6_dst_is_multicast(ip)) {
				dp_meta(m)->punt = DP_PUNT_LOCAL; /* neighbour discovery */
				later[n_later++] = m;
			} else if (eth.dst_group) {
				dp_drop(w, m, SVR_DROP_GROUP_FRAME);
			} else {
				memcpy(dst6[n6], ip + 24, 16);
				v6[n6++] = m;
			}
			break;
		case SVR_ETHERTYPE_ARP:
			dp_meta(m)->punt = DP_PUNT_ARP;
			later[n_later++] = m;
			break;
		default:
			dp_drop(w, m, SVR_DROP_ETHERTYPE);
			break;
		}
	}

	if (n4) {
		svr_fib_lookup4(g->fib, dst4, nh, n4);
		for (unsigned i = 0; i < n4; i++)
			forward4(w, g, v4[i], (uint32_t)nh[i]);
	}
	if (n6) {
		svr_fib_lookup6(g->fib, dst6, nh, n6);
		for (unsigned i = 0; i < n6; i++)
			forward6(w, g, v6[i], (uint32_t)nh[i]);
	}
	/*
	 * ARP and ND go to the main lcore after the burst's packets that wait for a
	 * next hop, so that an answer never overtakes the packet it resolves.
	 */
	for (unsigned i = 0; i < n_later; i++)
		dp_punt(w, later[i], (enum dp_punt)dp_meta(later[i])->punt);
}
