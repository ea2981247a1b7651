/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The session hit path, called by the worker (worker/forward.c) for each
 * burst after the L2/L3 input checks: packets of live sessions are rewritten
 * and sent, misses go through the creation path, ICMP errors and later
 * fragments find the session they belong to. No lock, no syscall, no
 * allocation, no log.
 */
#ifndef SVR_SESSION_HIT_H
#define SVR_SESSION_HIT_H

#include "core/worker.h"
#include "flow/flow.h"

/*
 * IPv4 packets of a burst: one bulk session lookup; misses go through the
 * creation path; then one bulk FIB lookup of the (translated) destinations.
 * Packets signed toward a peer go out at the burst's end, signed in pairs.
 * Packets for the main lcore that must wait for the burst's end go on later.
 */
void dp_sessions4(struct dp_worker *w, const struct dp_gen *g, struct rte_mbuf **pkts,
		  struct svr_flow4 *fl, unsigned n, struct dp_later *later);
void dp_sessions6(struct dp_worker *w, const struct dp_gen *g, struct rte_mbuf **pkts,
		  struct svr_flow6 *fl, unsigned n, struct dp_later *later);
/* An ICMP error: forwarded (and translated) when the packet it quotes belongs to a session;
 * dropped otherwise. Rare: scalar. */
void dp_session_icmp_error4(struct dp_worker *w, const struct dp_gen *g, struct rte_mbuf *m,
			    uint8_t *ip, const struct svr_flow4 *f);
void dp_session_icmp_error6(struct dp_worker *w, const struct dp_gen *g, struct rte_mbuf *m,
			    uint8_t *ip, const struct svr_flow6 *f);
/* A later fragment held back to the end of its burst: its datagram's session rewrites the
 * addresses (rare: parsed again). */
void dp_session_fragment(struct dp_worker *w, const struct dp_gen *g, struct rte_mbuf *m);

#endif
