/* SPDX-License-Identifier: BSD-3-Clause */
/* ICMP errors about SVR sessions between the routers (icmp.h, docs/svr.md "ICMP errors"). */
#include "svrpath/icmp.h"

#include <rte_mbuf.h>

#include "common/security.h"
#include "flow/rewrite.h"
#include "flow/state.h"
#include "svrpath/path.h"
#include "core/worker.h"

static bool dropped(struct dp_worker *w, struct rte_mbuf *m, enum svr_drop_reason why)
{
	dp_drop(w, m, why);
	return false;
}

/* The mbuf's data cut or grown to l3_off + len (Ethernet padding and cut quotes go). */
static bool fit(struct rte_mbuf *m, size_t len)
{
	size_t want = dp_meta(m)->l3_off + len, have = rte_pktmbuf_data_len(m);
	if (want > have)
		return rte_pktmbuf_append(m, (uint16_t)(want - have)) != NULL;
	rte_pktmbuf_trim(m, (uint16_t)(have - want));
	return true;
}

/* The path's state as the session knows it: in the model, signed as the session started. */
static enum svr_drop_reason path_state(const struct dp_svr_path_policy *p, uint8_t flags)
{
	if (!p->in_model)
		return SVR_DROP_SVR_PATH_GONE;
	if (!!(flags & (SVR_RW_HMAC_ADD | SVR_RW_HMAC_CHECK)) != dp_svr_path_signed(p))
		return SVR_DROP_SVR_PATH_CHANGED;
	return SVR_DROP_MAX;
}

bool dp_svr_icmp_to_peer(struct dp_worker *w, const struct dp_gen *g, struct rte_mbuf *m,
			 uint8_t *ip, uint32_t inner_off, struct svr_session *s, enum svr_sdir dir)
{
	const struct svr_rewrite *rw = svr_session_rw(s, dir);
	const struct dp_svr_path_policy *p = dp_svr_path_policy(g, rw->svr_path);
	enum svr_drop_reason why = path_state(p, __atomic_load_n(&rw->flags, __ATOMIC_RELAXED));
	if (why != SVR_DROP_MAX)
		return dropped(w, m, why);
	/* Only what comes from our side is carried and signed: a WAN host — on this path's
	 * interface or on any other that carries a peer path — must not get its errors signed
	 * by quoting the session as our side sees it. */
	if (dp_meta(m)->iface_in == p->iface || dp_svr_iface_has_path(g, dp_meta(m)->iface_in))
		return dropped(w, m, SVR_DROP_SVR_WRONG_SIDE);
	/* Each carry takes one off the error's TTL, as forwarding would: a message that routing
	 * sends back to where it came from dies out instead of going round. */
	uint8_t ttl = ip[8];
	if (ttl <= 2) /* 1 less here, and 1 less again as it is forwarded to the waypoint */
		return dropped(w, m, SVR_DROP_TTL_EXCEEDED);
	/* To the waypoints: the quoted packet as it crossed the WAN; the error from our
	 * waypoint when the endpoint itself sent it. */
	svr_rewrite_icmp_error4(ip, svr_rd16(ip + 2), inner_off, rw, false);
	uint32_t loc = rw->src; /* the endpoint, or our side hidden behind our waypoint */
	if (p->encryption == SVR_CIPHER_NONE)
		memcpy(&loc, ip + 12,
		       4); /* no addresses kept off the WAN: the router that sent it */
	size_t len = svr_icmp_msg_len(ip);
	if (len == 0)
		return dropped(w, m, SVR_DROP_L4_SHORT);
	if (len > svr_rd16(ip + 2) && !fit(m, len))
		return dropped(w, m, SVR_DROP_NO_MBUF);
	if (svr_icmp_msg_wrap(ip, rte_pktmbuf_data_len(m) - dp_meta(m)->l3_off, rw->src, rw->dst,
			      rw->sport, rw->dport, dp_svr_security_id_now(), loc) != len ||
	    !fit(m, len))
		return dropped(w, m, SVR_DROP_L4_SHORT);
	if (ttl - 1 < ip[8]) {
		ip[8] = (uint8_t)(ttl - 1);
		svr_wire_checksums(ip);
	}
	if (!dp_svr_path_signed(p))
		return true;
	struct dp_svr_sign job = {.m = m,
				  .ip = ip,
				  .l4_off = SVR_ICMP_MSG_HDRS - 8,
				  .hmac = p->hmac,
				  .time_based = p->time_based,
				  .s = s}; /* the session's own key: it cannot be moved */
	dp_svr_sign_run(w, &job, 1);
	return job.m != NULL;
}

bool dp_svr_icmp_open(struct dp_worker *w, const struct dp_gen *g, struct rte_mbuf *m, uint8_t *ip,
		      const struct svr_session *s, enum svr_sdir dir)
{
	const struct svr_rewrite *rw = svr_session_rw(s, dir);
	const struct dp_svr_path_policy *p = dp_svr_path_policy(g, rw->svr_path);
	enum svr_drop_reason why = path_state(p, __atomic_load_n(&rw->flags, __ATOMIC_RELAXED));
	if (why != SVR_DROP_MAX)
		return dropped(w, m, why);
	if (dp_meta(m)->iface_in != p->iface)
		return dropped(w, m, SVR_DROP_SVR_WRONG_SIDE);
	if (!fit(m, svr_rd16(ip + 2)))
		return dropped(w, m, SVR_DROP_L4_SHORT);
	if (dp_svr_path_signed(p) &&
	    (why = dp_svr_session_trailer_strip(w, p, m, ip, s)) != SVR_DROP_MAX)
		return dropped(w, m, why);
	uint32_t sec_id;
	size_t len = svr_icmp_msg_open(ip, &sec_id);
	if (len == 0)
		return dropped(w, m, SVR_DROP_SVR_METADATA);
	fit(m, len);
	/* TLV 20 becomes the error's source on our side: never an address no host may send
	 * from (network 0 or 127, multicast and above); the far endpoint's then. */
	if (ip[12] == 0 || ip[12] == 127 || ip[12] >= 224) {
		memcpy(ip + 12, &rw->src, 4);
		svr_wire_checksums(ip);
	}
	return true;
}

bool dp_svr_icmp_unsigned(struct dp_worker *w, const struct dp_gen *g, struct rte_mbuf *m,
			  uint8_t *ip, uint32_t inner_off, const struct svr_session *s,
			  enum svr_sdir dir)
{
	const struct svr_rewrite *rw = svr_session_rw(s, dir);
	const struct dp_svr_path_policy *p = dp_svr_path_policy(g, rw->svr_path);
	size_t hl = (size_t)(ip[0] & 0x0f) * 4;
	uint8_t *icmp = ip + hl;
	uint16_t mtu = svr_rd16(icmp + 6);
	/* Only "fragmentation needed" from a router between the waypoints is of use, and harms
	 * no session: anything else unsigned could end one. */
	if (icmp[0] != 3 || icmp[1] != 4 || mtu < 68 || !p->in_model)
		return dropped(w, m, SVR_DROP_SVR_ICMP_UNSIGNED);
	/* What SVR adds to every packet of the session: the endpoint sends that much less. */
	size_t over = dp_svr_path_signed(p) ? svr_hmac_len(p->hmac) : 0;
	if ((svr_session_rw(s, SVR_DIR_FWD)->svr | svr_session_rw(s, SVR_DIR_REV)->svr) &
	    SVR_RW2_PAYLOAD)
		over += SVR_IV_LEN + 16;
	size_t n = svr_icmp_msg_quote_len(icmp, svr_rd16(ip + 2) - hl);
	if (n == 0)
		return dropped(w, m, SVR_DROP_L4_SHORT);
	/* the quote cut to 8 transport bytes: our metadata and trailer stay with us */
	svr_wr16(ip + 2, (uint16_t)(hl + n));
	fit(m, hl + n);
	svr_wr16(icmp + 6, (uint16_t)(mtu > over + 68 ? mtu - over : 68));
	/* from the far endpoint's address as ours knows it: routers on the WAN do not show */
	svr_rewrite_icmp_error4(ip, (uint32_t)(hl + n), inner_off, rw, true);
	return true;
}
