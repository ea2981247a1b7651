/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * L2/L3 in: one received frame checked (Ethernet, VLAN to interface, our MAC,
 * the IPv4 or IPv6 header, addresses no router forwards) and either consumed
 * (dropped, counted; ARP and ND punted after the burst) or handed on as an
 * IPv4 or IPv6 packet at *ip, its interface and L3 offset in the mbuf's
 * metadata. Worker context, per packet: inline, no lock, no syscall.
 */
#ifndef SVR_L2L3_INPUT_H
#define SVR_L2L3_INPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "core/worker.h"
#include "l2l3/fib.h"
#include "l2l3/parse.h"

enum dp_l3_in {
	DP_L3_CONSUMED, /* dropped, or kept for a punt at the burst's end */
	DP_L3_IPV4,
	DP_L3_IPV6,
};

/*
 * Group destinations the kernel twins want (docs/routing.md, "The exception path"): the
 * link-local block 224.0.0.0/24 (OSPF's 224.0.0.5 and .6, VRRP, ...) and UDP to the limited
 * broadcast address (DHCP answers a client that has no address yet).
 */
static inline bool dp_l3_kernel_group4(const uint8_t *ip)
{
	static const uint8_t limited_bcast[4] = {255, 255, 255, 255};
	if (ip[16] == 224 && ip[17] == 0 && ip[18] == 0)
		return true;
	return ip[9] == 17 && memcmp(ip + 16, limited_bcast, 4) == 0;
}

/* Is an IPv4/IPv6 destination one of ours (the FIB says local)? */
static inline bool dp_l3_dst_is_local(const struct dp_gen *g, const uint8_t *ip, bool v4)
{
	struct svr_ip dst = {.family = v4 ? SVR_AF_INET : SVR_AF_INET6};
	memcpy(dst.addr, ip + (v4 ? 16 : 24), v4 ? 4 : 16);
	return g->fib->nh[svr_fib_lookup(g->fib, &dst)].type == SVR_NH_LOCAL;
}

static inline enum dp_l3_in dp_l3_input(struct dp_worker *w, const struct dp_gen *g,
					const struct dp_port_map *p, struct rte_mbuf *m,
					struct dp_later *later, uint8_t **ipp)
{
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m);

	struct svr_eth_info eth;
	enum svr_drop_reason r = svr_parse_eth(d, len, &eth);
	if (r != SVR_DROP_MAX) {
		dp_drop(w, m, r);
		return DP_L3_CONSUMED;
	}
	uint16_t ifi = p->vlan_iface[eth.vlan];
	if (ifi == DP_NO_IFACE) {
		dp_drop(w, m, SVR_DROP_VLAN_UNKNOWN);
		return DP_L3_CONSUMED;
	}
	if (!eth.dst_group &&
	    !rte_is_same_ether_addr((const struct rte_ether_addr *)d, &g->ifaces[ifi].mac)) {
		dp_drop(w, m, SVR_DROP_NOT_FOR_US);
		return DP_L3_CONSUMED;
	}
	struct dp_pkt_meta *meta = dp_meta(m);
	meta->iface_in = ifi;
	meta->l3_off = eth.l3_off;
	uint8_t *ip = d + eth.l3_off;
	uint32_t l3_len = len - eth.l3_off;
	*ipp = ip;

	switch (eth.ethertype) {
	case SVR_ETHERTYPE_IPV4: {
		bool good =
		    (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_GOOD;
		r = svr_check_ip4(ip, l3_len, good);
		if (r != SVR_DROP_MAX) {
			dp_drop(w, m, r);
			return DP_L3_CONSUMED;
		} else if (svr_ip4_dst_is_group(ip)) {
			/* in a group frame too (checked next): it is addressed to a group */
			if (w->kernel_punt && dp_l3_kernel_group4(ip))
				dp_punt_later(later, m, DP_PUNT_LOCAL);
			else
				dp_drop(w, m, SVR_DROP_LOCAL_UNSUPPORTED);
			return DP_L3_CONSUMED;
		} else if (eth.dst_group) { /* RFC 1812 5.3.4 */
			dp_drop(w, m, SVR_DROP_GROUP_FRAME);
			return DP_L3_CONSUMED;
		}
		return DP_L3_IPV4;
	}
	case SVR_ETHERTYPE_IPV6:
		r = svr_check_ip6(ip, l3_len);
		if (r != SVR_DROP_MAX) {
			dp_drop(w, m, r);
			return DP_L3_CONSUMED;
		} else if (svr_ip6_dst_is_multicast(ip)) {
			dp_punt_later(later, m, DP_PUNT_LOCAL); /* neighbour discovery */
			return DP_L3_CONSUMED;
		} else if (eth.dst_group) {
			dp_drop(w, m, SVR_DROP_GROUP_FRAME);
			return DP_L3_CONSUMED;
		}
		/* RFC 4291: link-local addresses never cross a router. */
		if (svr_ip6_is_link_local(ip + 8) || svr_ip6_is_link_local(ip + 24)) {
			/* ours to answer (ND, echo), or the kernel's (its twin's own link-local
			 * address, in a frame to our MAC), else not routed */
			if (dp_l3_dst_is_local(g, ip, false) ||
			    (w->kernel_punt && svr_ip6_is_link_local(ip + 24))) {
				dp_punt_later(later, m, DP_PUNT_LOCAL);
			} else {
				dp_drop(w, m, SVR_DROP_IP6_SCOPE);
			}
			return DP_L3_CONSUMED;
		}
		if (svr_ip6_is_unspecified(ip + 8)) {
			dp_drop(w, m, SVR_DROP_IP6_SRC);
			return DP_L3_CONSUMED;
		}
		return DP_L3_IPV6;
	case SVR_ETHERTYPE_ARP:
		dp_punt_later(later, m, DP_PUNT_ARP);
		return DP_L3_CONSUMED;
	default:
		dp_drop(w, m, SVR_DROP_ETHERTYPE);
		return DP_L3_CONSUMED;
	}
}

#endif
