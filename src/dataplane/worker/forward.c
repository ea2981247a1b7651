/* SPDX-License-Identifier: BSD-3-Clause */
#include "worker/forward.h"

#include <rte_prefetch.h>

#include "l2l3/input.h"
#include "flow/flow.h"
#include "session/hit.h"

/* A packet that is neither a flow's nor an ICMP error's, either family: a later fragment is
 * held for the burst's end (after its first fragment's session exists), returning 1; anything
 * else is dropped, returning 0. */
static inline unsigned not_a_flow(struct dp_worker *w, struct rte_mbuf *m, enum svr_flow_kind kind,
				  struct rte_mbuf **tail)
{
	if (kind == SVR_FLOW_FRAGMENT) {
		*tail = m;
		return 1;
	}
	dp_drop(w, m,
		kind == SVR_FLOW_ICMP_ERROR_FRAGMENT ? SVR_DROP_ICMP_ERR_FRAGMENT
						     : SVR_DROP_L4_SHORT);
	return 0;
}

void dp_forward_burst(struct dp_worker *w, const struct dp_gen *g, uint16_t port,
		      struct rte_mbuf **pkts, unsigned n)
{
	const struct dp_port_map *p = g->port_map[port];
	struct rte_mbuf *v4[DP_MAX_BURST], *v6[DP_MAX_BURST], *tail[DP_MAX_BURST];
	struct dp_later later = {.n = 0};
	unsigned n_tail = 0;
	struct svr_flow4 fl4[DP_MAX_BURST];
	struct svr_flow6 fl6[DP_MAX_BURST];
	unsigned n4 = 0, n6 = 0;

	for (unsigned i = 0; i < n && i < 4; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));

	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		if (i + 4 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 4], void *));
		uint8_t *ip;
		enum svr_flow_kind kind;

		switch (dp_l3_input(w, g, p, m, &later, &ip)) {
		case DP_L3_IPV4:
			kind = svr_flow_parse4(ip, svr_rd16(ip + 2), &fl4[n4]);
			if (likely(kind == SVR_FLOW_PACKET))
				v4[n4++] = m;
			else if (kind == SVR_FLOW_ICMP_ERROR)
				dp_session_icmp_error4(w, g, m, ip, &fl4[n4]);
			else
				n_tail += not_a_flow(w, m, kind, &tail[n_tail]);
			break;
		case DP_L3_IPV6:
			kind = svr_flow_parse6(ip, 40u + svr_rd16(ip + 4), &fl6[n6]);
			if (likely(kind == SVR_FLOW_PACKET))
				v6[n6++] = m;
			else if (kind == SVR_FLOW_ICMP_ERROR)
				dp_session_icmp_error6(w, g, m, ip, &fl6[n6]);
			else
				n_tail += not_a_flow(w, m, kind, &tail[n_tail]);
			break;
		case DP_L3_CONSUMED:
			break;
		}
	}

	if (n4)
		dp_sessions4(w, g, v4, fl4, n4, &later);
	if (n6)
		dp_sessions6(w, g, v6, fl6, n6, &later);
	/* Later fragments: after the burst's first fragments have noted their sessions. */
	for (unsigned i = 0; i < n_tail; i++)
		dp_session_fragment(w, g, tail[i]);
	/*
	 * ARP and ND go to the main lcore after the burst's packets that wait for a
	 * next hop, so that an answer never overtakes the packet it resolves.
	 */
	for (unsigned i = 0; i < later.n; i++)
		dp_punt(w, later.m[i], (enum dp_punt)dp_meta(later.m[i])->punt);
}
