/* SPDX-License-Identifier: BSD-3-Clause */
/* Writing the Ethernet (and 802.1Q) header of a packet leaving an interface. */
#ifndef SVR_L2_H
#define SVR_L2_H

#include <rte_mbuf.h>

#include "l2l3/parse.h"
#include "core/gen.h"

/*
 * Rewrites the L2 header of m, whose L3 header starts at l3_off (the ingress
 * framing, 14 or 18), for transmission on out to dst. Adds, removes or
 * rewrites the VLAN tag as out requires. Returns the new L3 offset, or -1
 * when there is no headroom for a tag.
 */
static inline int dp_l2_write(struct rte_mbuf *m, unsigned l3_off, const struct dp_iface *out,
			      const struct rte_ether_addr *dst)
{
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	uint16_t ethertype = svr_rd16(d + l3_off - 2);
	unsigned want = out->vlan ? SVR_ETH_HLEN + SVR_VLAN_HLEN : SVR_ETH_HLEN;
	if (want > l3_off) {
		d = (uint8_t *)rte_pktmbuf_prepend(m, (uint16_t)(want - l3_off));
		if (!d)
			return -1;
	} else if (want < l3_off) {
		d = (uint8_t *)rte_pktmbuf_adj(m, (uint16_t)(l3_off - want));
	}
	rte_ether_addr_copy(dst, (struct rte_ether_addr *)d);
	rte_ether_addr_copy(&out->mac, (struct rte_ether_addr *)(d + 6));
	if (out->vlan) {
		d[12] = SVR_ETHERTYPE_VLAN >> 8;
		d[13] = SVR_ETHERTYPE_VLAN & 0xff;
		d[14] = (uint8_t)(out->vlan >> 8);
		d[15] = (uint8_t)out->vlan;
	}
	d[want - 2] = (uint8_t)(ethertype >> 8);
	d[want - 1] = (uint8_t)ethertype;
	m->port = out->port;
	return (int)want;
}

#endif
