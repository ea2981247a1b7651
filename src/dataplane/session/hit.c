/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The session hit path (session/hit.h): a burst's bulk session lookup, the
 * creation path for misses, the rewrite, SVR checks and signing, later
 * fragments, ICMP errors about sessions, then L3 out (l2l3/output.h).
 */
#include "session/hit.h"

#include <rte_prefetch.h>

#include "l2l3/fib.h"
#include "l2l3/output.h"
#include "session/ext.h"
#include "session/limits.h"
#include "session/frag.h"
#include "flow/rewrite.h"
#include "session/sessions.h"
#include "svrpath/icmp.h"
#include "paths/paths.h"
#include "svrpath/path.h"

/*
 * The route of a session whose tenant is bound to a kernel table (docs/routing.md, "Tenants
 * and routing tables"): that table's FIB first (its slot as this generation has it: none once
 * unbound), the main FIB's answer (nh_id) when it has no route. One more lookup per packet,
 * for such sessions only; dst6 NULL: IPv4, the rewritten destination.
 */
static inline const struct svr_nexthop *table_hop(const struct dp_gen *g, uint32_t nh_id,
						  const struct svr_rewrite *rw, const uint8_t *dst6)
{
	const struct svr_fib *t = g->tfib[rw->via - SVR_VIA_TABLE0];
	uint64_t nh = 0;
	if (t && !dst6) {
		uint32_t d = rte_be_to_cpu_32(rw->dst);
		svr_fib_lookup4(t, &d, &nh, 1);
	} else if (t) {
		uint8_t d[1][16];
		memcpy(d[0], dst6, 16);
		svr_fib_lookup6(t, d, &nh, 1);
	}
	return nh ? &t->nh[nh] : &g->fib->nh[nh_id];
}

/*
 * The next hop of a session's direction: a service route's gateway (its
 * interface as this generation has it, its neighbour looked up per packet),
 * else — no such route, or its interface is gone — the FIB's answer (its
 * tenant's table first, when bound to one).
 */
static inline const struct svr_nexthop *next_hop_of(const struct dp_worker *w,
						    const struct dp_gen *g, uint32_t nh_id,
						    const struct svr_rewrite *rw,
						    struct svr_nexthop *via, const uint8_t *dst6)
{
	if (likely(rw->via == SVR_VIA_FIB))
		return &g->fib->nh[nh_id];
	if (rw->via >= SVR_VIA_TABLE0 && rw->via < SVR_VIA_TABLE0 + DP_TFIB_SLOTS)
		return table_hop(g, nh_id, rw, dst6);
	const struct dp_session_policy *p = g->spol;
	uint16_t iface = rw->via < p->n_vias ? p->via_iface[rw->via] : DP_NO_IFACE;
	if (iface == DP_NO_IFACE)
		return &g->fib->nh[nh_id];
	const struct dp_via *v = &dp_sess.vias[rw->via];
	via->type = SVR_NH_GATEWAY;
	via->iface = iface;
	via->gateway = v->gw;
	atomic_store_explicit(&via->neigh, svr_neigh_lookup(w->neigh, iface, &v->gw),
			      memory_order_relaxed);
	return via;
}

/*
 * Routes one IPv4 packet of a session. Checks that may answer with an ICMP
 * error (TTL, DF and MTU) see the packet as it arrived, so that the error
 * goes back to the real sender; the rewrite comes just before sending.
 */
static inline void forward4(struct dp_worker *w, const struct dp_gen *g, struct rte_mbuf *m,
			    uint32_t nh_id, const struct svr_rewrite *rw, uint16_t l4_off,
			    uint8_t l4_proto /* 0: no transport header (later fragment) */)
{
	struct svr_nexthop via;
	const struct svr_nexthop *h = next_hop_of(w, g, nh_id, rw, &via, NULL);
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
	bool nat = rw->flags & SVR_RW_NAT;
	struct svr_ip dst = {.family = SVR_AF_INET};
	memcpy(dst.addr, &rw->dst, 4);
	if (svr_rd16(ip + 2) > g->ifaces[h->iface].mtu) {
		meta->iface_out = h->iface;
		meta->next_hop = h->type == SVR_NH_GATEWAY ? h->gateway : dst;
		if (nat && !(ip[6] & 0x40)) /* to be fragmented: translate first */
			svr_rewrite4(ip, ip + l4_off, l4_proto, rw);
		dp_punt(w, m, DP_PUNT_MTU); /* fragmented, or refused if DF */
		return;
	}
	if (nat)
		svr_rewrite4(ip, ip + l4_off, l4_proto, rw);
	svr_ip4_dec_ttl(ip);
	dp_l3_send(w, g, m, h, &dst);
}

static inline void forward6(struct dp_worker *w, const struct dp_gen *g, struct rte_mbuf *m,
			    uint32_t nh_id, const struct svr_rewrite *rw)
{
	struct dp_pkt_meta *meta = dp_meta(m);
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, meta->l3_off);
	struct svr_nexthop via;
	const struct svr_nexthop *h = next_hop_of(w, g, nh_id, rw, &via, ip + 24);

	if (h->type == SVR_NH_LOCAL) {
		dp_punt(w, m, DP_PUNT_LOCAL);
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
	if (40u + svr_rd16(ip + 4) > g->ifaces[h->iface].mtu) {
		meta->iface_out = h->iface;
		dp_punt(w, m, DP_PUNT_MTU);
		return;
	}
	ip[7]--; /* IPv6 has no header checksum */
	struct svr_ip dst = {.family = SVR_AF_INET6};
	memcpy(dst.addr, ip + 24, 16);
	dp_l3_send(w, g, m, h, &dst);
}

/* A packet the SVR path made (IPv4, at its l3_off): routed to its destination like any other. */
static void send_reply4(struct dp_worker *w, const struct dp_gen *g, struct rte_mbuf *m)
{
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, dp_meta(m)->l3_off);
	struct svr_rewrite to = {.via = SVR_VIA_FIB};
	memcpy(&to.dst, ip + 16, 4);
	uint32_t dst = rte_be_to_cpu_32(to.dst);
	uint64_t nh;
	svr_fib_lookup4(g->fib, &dst, &nh, 1);
	forward4(w, g, m, (uint32_t)nh, &to, (uint16_t)((ip[0] & 0x0f) * 4), ip[9]);
}

/* A refused first packet: counted under its reason; the slow path answers "prohibited". */
static inline void refuse(struct dp_worker *w, struct rte_mbuf *m, enum svr_drop_reason why)
{
	w->stats.drops[why]++;
	w->stats.dropped++;
	dp_meta(m)->punt = DP_PUNT_REFUSED;
	if (rte_ring_sp_enqueue(w->punt, m) != 0)
		rte_pktmbuf_free(m); /* the answer is best effort; the drop is counted */
}

/*
 * What the creation path decided for a packet that missed: true when it has a
 * session now. Packets for us wait for the end of the burst: a neighbour
 * advertisement must not overtake the packet whose resolution it answers.
 */
static inline bool first_outcome(struct dp_worker *w, struct rte_mbuf *m, enum dp_first r,
				 enum svr_drop_reason why, struct dp_later *later)
{
	switch (r) {
	case DP_FIRST_SESSION:
		return true;
	case DP_FIRST_LOCAL:
	case DP_FIRST_NOT_SVR:
		dp_punt_later(later, m, DP_PUNT_LOCAL);
		break;
	case DP_FIRST_PATHS:
		dp_paths_rx(w, m);
		break;
	case DP_FIRST_NO_ROUTE:
		dp_punt(w, m, DP_PUNT_NO_ROUTE);
		break;
	case DP_FIRST_DROP:
		dp_drop(w, m, why);
		break;
	case DP_FIRST_REFUSE:
		refuse(w, m, why);
		break;
	}
	return false;
}

/* An ICMP error about a session, translated already, routed to rw's destination. */
static void icmp_error_route4(struct dp_worker *w, const struct dp_gen *g, struct rte_mbuf *m,
			      const struct svr_rewrite *rw, enum svr_sdir dir, uint16_t l4_off,
			      uint8_t proto)
{
	struct svr_rewrite to = *rw;
	to.via = dp_ext_via(rw, dir); /* an extension slot's session keeps its next hop there */
	to.flags = 0;                 /* translated already */
	to.svr = 0;
	uint32_t dst = rte_be_to_cpu_32(to.dst);
	uint64_t nh;
	svr_fib_lookup4(g->fib, &dst, &nh, 1);
	forward4(w, g, m, (uint32_t)nh, &to, l4_off, proto);
}

/*
 * An ICMP error about an SVR session (docs/svr.md, "ICMP errors"): from our
 * side it crosses to the peer signed, inside the session; from the WAN, plain,
 * only "fragmentation needed" reaches the endpoint.
 */
static void svr_icmp_error4(struct dp_worker *w, const struct dp_gen *g, struct rte_mbuf *m,
			    uint8_t *ip, const struct svr_flow4 *f, struct svr_session *s,
			    enum svr_sdir dir)
{
	if (svr_session_rw(s, dir)->svr & SVR_RW2_TO_PEER) {
		if (dp_svr_icmp_to_peer(w, g, m, ip, f->inner_off, s, dir))
			send_reply4(w, g, m);
	} else if (dp_svr_icmp_unsigned(w, g, m, ip, f->inner_off, s, dir)) {
		icmp_error_route4(w, g, m, svr_session_rw(s, dir), dir, f->l4_off, ip[9]);
	}
}

/* The session entry of a lookup's hit. */
static inline struct svr_session *entry_of(uint64_t d)
{
	return &dp_sess.table->entries[svr_sess_idx(d)];
}

/*
 * An ICMP error: forwarded (and translated) when the packet it quotes belongs
 * to a session; dropped otherwise. Rare: scalar.
 */
void dp_session_icmp_error4(struct dp_worker *w, const struct dp_gen *g, struct rte_mbuf *m,
			    uint8_t *ip, const struct svr_flow4 *f)
{
	const struct svr_skey4 *k = &f->key;
	uint64_t hit;
	/* An error goes back to the sender of the packet it quotes, nowhere else. */
	if (memcmp(ip + 16, ip + f->inner_off + 12, 4) != 0) {
		dp_drop(w, m, SVR_DROP_ICMP_ERR_DST);
		return;
	}
	if (svr_session_lookup4(dp_sess.table, &k, 1, &hit) == 0) {
		/* Even addressed to us: the router starts no sessions an error could be about. */
		dp_drop(w, m, SVR_DROP_ICMP_ERR_NO_SESSION);
		return;
	}
	struct svr_session *s = entry_of(hit);
	struct svr_rewrite rw = *svr_session_rw(s, svr_sess_dir(hit));
	/* About a session carried as UDP between routers (an echo, another protocol): toward the
	 * peer it would leave unwrapped and unsigned, from it it quotes the UDP the client never
	 * sent; neither reaches anyone who could use it. */
	if (rw.flags & (SVR_RW_UDP_WRAP | SVR_RW_UDP_UNWRAP)) {
		dp_drop(w, m, SVR_DROP_SVR_ICMP_ERROR);
		return;
	}
	if (svr_rw_svr_work(&rw)) {
		svr_icmp_error4(w, g, m, ip, f, s, svr_sess_dir(hit));
		return;
	}
	if (rw.flags & SVR_RW_NAT) /* a source-translated direction hides its routers too */
		svr_rewrite_icmp_error4(ip, svr_rd16(ip + 2), f->inner_off, &rw, rw.src != k->src);
	icmp_error_route4(w, g, m, &rw, svr_sess_dir(hit), f->l4_off, ip[9]);
}

/*
 * An SVR ICMP error message from the peer (svrpath/icmp.h): a UDP datagram on
 * the waypoint tuple of a UDP or a TCP session. Checked and opened, the error
 * it carries must quote that very session; it then reaches our endpoint
 * translated, as from the address TLV 20 names (or, when that is the peer's
 * waypoint, from the far endpoint as ours knows it). Rare: scalar.
 */
static void svr_icmp_message4(struct dp_worker *w, const struct dp_gen *g, struct rte_mbuf *m,
			      uint8_t *ip, const struct svr_flow4 *f, uint64_t hit)
{
	struct svr_session *s = entry_of(hit);
	enum svr_sdir dir = svr_sess_dir(hit);
	const struct svr_rewrite *rw = svr_session_rw(s, dir);
	if (f->fragment || (rw->flags & (SVR_RW_UDP_WRAP | SVR_RW_UDP_UNWRAP)) ||
	    !svr_rw_svr_work(rw) || (rw->svr & SVR_RW2_TO_PEER)) {
		dp_drop(w, m, SVR_DROP_SVR_ICMP_ERROR);
		return;
	}
	if (!dp_svr_icmp_open(w, g, m, ip, s, dir))
		return;
	struct svr_flow4 e;
	const struct svr_skey4 *ek = &e.key;
	uint64_t about;
	if (svr_flow_parse4(ip, svr_rd16(ip + 2), &e) != SVR_FLOW_ICMP_ERROR ||
	    memcmp(ip + 16, ip + e.inner_off + 12, 4) != 0 ||
	    svr_session_lookup4(dp_sess.table, &ek, 1, &about) == 0 || about != hit) {
		dp_drop(w, m, SVR_DROP_SVR_METADATA); /* an error about something else */
		return;
	}
	struct svr_rewrite to = *rw;
	svr_rewrite_icmp_error4(ip, svr_rd16(ip + 2), e.inner_off, &to, false);
	icmp_error_route4(w, g, m, &to, dir, e.l4_off, ip[9]);
}

void dp_session_icmp_error6(struct dp_worker *w, const struct dp_gen *g, struct rte_mbuf *m,
			    uint8_t *ip, const struct svr_flow6 *f)
{
	const struct svr_skey6 *k = &f->key;
	uint64_t hit;
	if (memcmp(ip + 24, ip + f->inner_off + 8, 16) != 0) {
		dp_drop(w, m, SVR_DROP_ICMP_ERR_DST);
		return;
	}
	if (svr_session_lookup6(dp_sess.table, &k, 1, &hit) == 0) {
		/* Even addressed to us: the router starts no sessions an error could be about. */
		dp_drop(w, m, SVR_DROP_ICMP_ERR_NO_SESSION);
		return;
	}
	const struct svr_session *s = entry_of(hit);
	uint8_t d[1][16];
	memcpy(d[0], ip + 24, 16);
	uint64_t nh;
	svr_fib_lookup6(g->fib, d, &nh, 1);
	forward6(w, g, m, (uint32_t)nh, svr_session_rw(s, svr_sess_dir(hit)));
}

/* The hit direction's line of each entry: its rewrite (read) and counters (written). */
static inline void prefetch_entries(const uint64_t *hit, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (hit[i] != UINT64_MAX)
			rte_prefetch0(&entry_of(hit[i])->dir[svr_sess_dir(hit[i])]);
}

/* --- fragments (session/frag.h) --- */

static void frag_id4(const struct svr_flow4 *f, struct svr_frag_id *d)
{
	memset(d, 0, sizeof(*d)); /* hashed whole */
	memcpy(d->src, &f->key.src, 4);
	memcpy(d->dst, &f->key.dst, 4);
	d->id = f->frag_id;
	d->proto = f->key.proto;
	d->family = 4;
}

static void frag_id6(const struct svr_flow6 *f, struct svr_frag_id *d)
{
	memset(d, 0, sizeof(*d));
	memcpy(d->src, f->key.src, 16);
	memcpy(d->dst, f->key.dst, 16);
	d->id = f->frag_id; /* (source, destination, identification) names an IPv6 datagram */
	d->family = 6;
}

static void note_fragment4(struct dp_worker *w, const struct svr_flow4 *f, uint64_t data,
			   const struct svr_session *s, uint32_t now)
{
	struct svr_frag_id d;
	frag_id4(f, &d);
	svr_frag_note(w->frags, &d, data, svr_session_info(dp_sess.table, s)->uuid, now);
}

static void note_fragment6(struct dp_worker *w, const struct svr_flow6 *f, uint64_t data,
			   const struct svr_session *s, uint32_t now)
{
	struct svr_frag_id d;
	frag_id6(f, &d);
	svr_frag_note(w->frags, &d, data, svr_session_info(dp_sess.table, s)->uuid, now);
}

/* The live session a later fragment's datagram belongs to, or NULL. */
static struct svr_session *fragment_session(struct dp_worker *w, const struct svr_frag_id *d,
					    uint32_t now, enum svr_sdir *dir)
{
	uint64_t uuid;
	uint64_t data = svr_frag_find(w->frags, d, now, &uuid);
	if (data == UINT64_MAX)
		return NULL;
	struct svr_session *s = entry_of(data);
	if (!atomic_load_explicit(&svr_session_info(dp_sess.table, s)->in_use,
				  memory_order_acquire) ||
	    memcmp(svr_session_info(dp_sess.table, s)->uuid, &uuid, 8) != 0)
		return NULL;
	*dir = svr_sess_dir(data);
	return s;
}

/* A later fragment: its datagram's session rewrites the addresses (the ports are not here). */
static void fragment4(struct dp_worker *w, const struct dp_gen *g, struct rte_mbuf *m,
		      const uint8_t *ip, const struct svr_flow4 *f)
{
	uint32_t now = atomic_load_explicit(&dp_sess.now_s, memory_order_relaxed);
	struct svr_frag_id d;
	frag_id4(f, &d);
	enum svr_sdir dir;
	struct svr_session *s = fragment_session(w, &d, now, &dir);
	if (!s) {
		dp_drop(w, m, SVR_DROP_FRAGMENT);
		return;
	}
	const struct svr_rewrite *rw = svr_session_rw(s, dir);
	if (svr_rw_svr_work(rw)) {
		dp_drop(w, m, SVR_DROP_FRAGMENT); /* no SVR fragmentation yet */
		return;
	}
	dp_session_touch(s, dir, svr_rd16(ip + 2), 0, now);
	/* a session with an ext slot keeps its next hop there (its limits and mark apply to the
	 * datagram's first fragment only: docs/paths.md) */
	struct svr_rewrite to = *rw;
	to.via = dp_ext_via(rw, dir);
	to.svr = 0;
	uint32_t dst = rte_be_to_cpu_32(to.dst);
	uint64_t nh;
	svr_fib_lookup4(g->fib, &dst, &nh, 1);
	forward4(w, g, m, (uint32_t)nh, &to, f->l4_off, 0);
}

static void fragment6(struct dp_worker *w, const struct dp_gen *g, struct rte_mbuf *m,
		      const uint8_t *ip, const struct svr_flow6 *f)
{
	uint32_t now = atomic_load_explicit(&dp_sess.now_s, memory_order_relaxed);
	struct svr_frag_id d;
	frag_id6(f, &d);
	enum svr_sdir dir;
	struct svr_session *s = fragment_session(w, &d, now, &dir);
	if (!s) {
		dp_drop(w, m, SVR_DROP_FRAGMENT);
		return;
	}
	dp_session_touch(s, dir, 40u + svr_rd16(ip + 4), 0, now);
	uint8_t dst[1][16];
	memcpy(dst[0], ip + 24, 16);
	uint64_t nh;
	svr_fib_lookup6(g->fib, dst, &nh, 1);
	forward6(w, g, m, (uint32_t)nh, svr_session_rw(s, dir));
}

/* A later fragment held back to the end of its burst (rare: parsed again). */
void dp_session_fragment(struct dp_worker *w, const struct dp_gen *g, struct rte_mbuf *m)
{
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, dp_meta(m)->l3_off);
	if ((ip[0] >> 4) == 4) {
		struct svr_flow4 f;
		svr_flow_parse4(ip, svr_rd16(ip + 2), &f);
		fragment4(w, g, m, ip, &f);
	} else {
		struct svr_flow6 f;
		svr_flow_parse6(ip, 40u + svr_rd16(ip + 4), &f);
		fragment6(w, g, m, ip, &f);
	}
}

/*
 * The HMAC trailers of packets j..k-1 from peers, checked ahead in pairs
 * (svrpath/path.h); check_of[j]: the packet's check, or -1. Run at the
 * burst's first SVR packet, so that other traffic pays nothing for it.
 */
static void svr_checks_ahead(struct dp_worker *w, const struct dp_gen *g,
			     struct rte_mbuf *const *out, const uint8_t *idx, const uint64_t *hit,
			     const struct svr_flow4 *fl, unsigned j, unsigned k,
			     struct dp_svr_check *checks, int8_t *check_of)
{
	unsigned n = 0;
	for (unsigned i = j; i < k; i++) {
		uint64_t d = hit[idx[i]];
		const struct svr_session *s = entry_of(d);
		check_of[i] = -1;
		if (svr_rw_svr_work(svr_session_rw(s, svr_sess_dir(d))) &&
		    dp_svr_check_add(&checks[n], g, out[i], &fl[idx[i]], s, svr_sess_dir(d)))
			check_of[i] = (int8_t)n++;
	}
	if (n >= 2)
		dp_svr_check_run(w, checks, n);
}

/*
 * A session's limits and mark (session/limits.h) on one of its packets, policed at the poll's
 * time: false when the packet is dropped (counted).
 */
static inline bool police_and_mark(struct dp_worker *w, struct rte_mbuf *m, struct dp_ext_line *l,
				   uint32_t len)
{
	if (!l->limits && l->dscp == DP_DSCP_KEEP)
		return true;
	enum svr_drop_reason why = dp_session_police(w, l, w->poll_tsc, len);
	if (unlikely(why != SVR_DROP_MAX)) {
		dp_drop(w, m, why);
		return false;
	}
	if (l->dscp != DP_DSCP_KEEP)
		dp_session_mark_dscp(rte_pktmbuf_mtod_offset(m, uint8_t *, dp_meta(m)->l3_off),
				     l->dscp);
	return true;
}

/* A packet of session s held for signing at the burst's end: what it needs then (job). */
static inline void hold4(struct dp_svr_sign *job, uint64_t nh, const struct svr_rewrite *rw,
			 struct svr_session *s, enum svr_sdir dir, const struct svr_flow4 *f)
{
	job->nh = (uint32_t)nh;
	job->rw = *rw;
	job->s = s;
	job->bytes = f->len;
	job->dir = (uint8_t)dir;
	job->tcp_flags = f->tcp_flags;
	job->l4_off = f->l4_off;
	job->proto = f->key.proto;
}

/* A packet of session s to send (signed at the burst's end when held) or forwarded now. */
static void go4(struct dp_worker *w, const struct dp_gen *g, struct rte_mbuf *m,
		const struct svr_flow4 *f, struct svr_session *s, enum svr_sdir dir,
		const struct svr_rewrite *rw, bool held, struct dp_svr_sign *job, uint32_t now)
{
	uint32_t to = rte_be_to_cpu_32(rw->dst);
	uint64_t h;
	svr_fib_lookup4(g->fib, &to, &h, 1);
	if (held) {
		hold4(job, h, rw, s, dir, f);
		return;
	}
	dp_session_touch(s, dir, f->len, f->tcp_flags, now);
	forward4(w, g, m, (uint32_t)h, rw, f->l4_off, f->key.proto);
}

/*
 * A duplicated session's packet toward the peer (docs/paths.md "Duplication"): numbered in its
 * IP identification (both copies carry the number; the receiving router keeps the first), and a
 * copy sent through the second leg's entry, as that entry's own packet would be (its
 * metadata, its trailer). Returns true when the copy is held for signing in *job.
 */
static bool duplicate4(struct dp_worker *w, const struct dp_gen *g, struct rte_mbuf *m, uint8_t *ip,
		       const struct svr_flow4 *f, uint16_t x, enum svr_sdir dir,
		       struct dp_svr_sign *job, uint32_t now)
{
	struct dp_ext_line *l = dp_ext_line(x, dir);
	if (f->fragment) /* a fragment keeps its id (reassembly needs it): one copy */
		return false;
	/* numbered even without a second leg: the peer's window must never see an endpoint's own
	 * identification (often constant) */
	uint16_t id = ++l->dup_seq, old = svr_rd16(ip + 4);
	svr_wr16(ip + 4, id);
	svr_wr16(ip + 10, svr_cksum_update16(svr_rd16(ip + 10), old, id));
	uint32_t leg = atomic_load_explicit(&l->alias, memory_order_acquire);
	if (leg == UINT32_MAX)
		return false;
	struct rte_mbuf *c = rte_pktmbuf_copy(m, w->pool, 0, UINT32_MAX);
	if (!c)
		return false; /* the first copy still goes */
	*dp_meta(c) = *dp_meta(m);
	w->stats.dup_copies++;
	uint8_t *cip = rte_pktmbuf_mtod_offset(c, uint8_t *, dp_meta(c)->l3_off);
	struct svr_session *ls = &dp_sess.table->entries[leg];
	struct rte_mbuf *reply;
	enum dp_svr_verdict v = dp_svr_packet(w, g, c, cip, f, ls, dir, NULL, job, &reply);
	if (reply)
		send_reply4(w, g, reply);
	if (v == DP_SVR_DROPPED)
		return false;
	struct svr_rewrite done = *svr_session_rw(ls, dir);
	done.flags = 0;
	done.svr = 0;
	done.via = l->via;
	go4(w, g, c, f, ls, dir, &done, v == DP_SVR_SIGN, job, now);
	return v == DP_SVR_SIGN;
}

/*
 * IPv4 packets of a burst: one bulk session lookup; misses go through the
 * creation path; then one bulk FIB lookup of the (translated) destinations.
 * Packets signed toward a peer go out at the burst's end, signed in pairs.
 */
void dp_sessions4(struct dp_worker *w, const struct dp_gen *g, struct rte_mbuf **pkts,
		  struct svr_flow4 *fl, unsigned n, struct dp_later *later)
{
	const struct svr_skey4 *keys[DP_MAX_BURST];
	struct rte_mbuf *out[DP_MAX_BURST];
	uint8_t idx[DP_MAX_BURST]; /* out[j] is pkts[idx[j]] */
	uint32_t dst[DP_MAX_BURST];
	uint64_t hit[DP_MAX_BURST], nh[DP_MAX_BURST];
	uint32_t now = atomic_load_explicit(&dp_sess.now_s, memory_order_relaxed);

	for (unsigned i = 0; i < n; i++)
		keys[i] = &fl[i].key;
	svr_session_lookup4(dp_sess.table, keys, n, hit);
	prefetch_entries(hit, n);

	/* Misses first (none in steady state), then the FIB on the packets' own destinations:
	 * time for the entries' prefetches to land before the entries are touched. */
	unsigned k = 0;
	for (unsigned i = 0; i < n; i++) {
		if (unlikely(hit[i] == UINT64_MAX)) {
			struct rte_mbuf *m = pkts[i];
			uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, dp_meta(m)->l3_off);
			/* a TCP session's ICMP error from the peer crosses as UDP: no session */
			if (unlikely(svr_icmp_msg_is(ip, fl[i].l4_off))) {
				struct svr_skey4 tcp = fl[i].key;
				const struct svr_skey4 *kp = &tcp;
				uint64_t about;
				tcp.proto = SVR_IPPROTO_TCP;
				if (svr_session_lookup4(dp_sess.table, &kp, 1, &about)) {
					svr_icmp_message4(w, g, m, ip, &fl[i], about);
					continue;
				}
			}
			enum svr_drop_reason why = SVR_DROP_NO_SERVICE; /* set on every refusal */
			enum dp_first r = dp_session_first4(w, g, m, ip, &fl[i], &hit[i], &why);
			if (!first_outcome(w, m, r, why, later))
				continue;
		}
		dst[k] = rte_be_to_cpu_32(fl[i].key.dst);
		idx[k] = (uint8_t)i;
		out[k++] = pkts[i];
	}
	if (!k)
		return;
	svr_fib_lookup4(g->fib, dst, nh, k);
	struct dp_svr_check checks[DP_MAX_BURST];
	int8_t check_of[DP_MAX_BURST];
	bool checked_ahead = false;
	struct dp_svr_sign signs[2 * DP_MAX_BURST]; /* a duplicated packet: two */
	unsigned n_signs = 0;
	for (unsigned j = 0; j < k; j++) {
		const struct svr_flow4 *f = &fl[idx[j]];
		uint64_t d = hit[idx[j]];
		struct svr_session *s = entry_of(d);
		enum svr_sdir dir = svr_sess_dir(d);
		if (unlikely(!dp_echo_direction_ok(f->key.proto, f->icmp_type, dir))) {
			dp_drop(w, out[j], SVR_DROP_ICMP_DIRECTION);
			continue;
		}
		const struct svr_rewrite *rw = svr_session_rw(s, dir);
		struct svr_rewrite done;
		bool held = false;    /* for signing at the burst's end */
		bool policed = false; /* its limits and mark applied already */
		uint16_t x = dp_ext_of(rw);
		if (unlikely(svr_rw_svr_work(rw))) {
			if (!checked_ahead) {
				svr_checks_ahead(w, g, out, idx, hit, fl, j, k, checks, check_of);
				checked_ahead = true;
			}
			/* SVR: metadata in or out, HMAC trailers, the rewrite done in full; the
			 * session moves only for a packet that passed */
			uint8_t *ip =
			    rte_pktmbuf_mtod_offset(out[j], uint8_t *, dp_meta(out[j])->l3_off);
			/* a UDP session's ICMP error from the peer (before the trailer check: it is
			 * signed with the session's key, whatever metadata the session expects) */
			if (unlikely(f->key.proto == SVR_IPPROTO_UDP &&
				     !(rw->svr & SVR_RW2_TO_PEER) &&
				     svr_icmp_msg_is(ip, f->l4_off))) {
				svr_icmp_message4(w, g, out[j], ip, f, d);
				continue;
			}
			/* TTL before SVR rewrites it: the error must quote the packet as sent */
			if (ip[8] <= 1) {
				dp_punt(w, out[j], DP_PUNT_TTL);
				continue;
			}
			/* from the peer, duplicated: its number goes through the window (signed) or
			 * is only compared with it (a first packet's, not signed) */
			bool numbered = false, compared = false;
			if (unlikely(x != DP_EXT_NONE)) {
				uint8_t svr = __atomic_load_n(&rw->svr, __ATOMIC_RELAXED);
				if ((svr & (SVR_RW2_DUP | SVR_RW2_TO_PEER)) ==
				    (SVR_RW2_DUP | SVR_RW2_TO_PEER)) {
					/* limits and mark before the copy: both copies are one
					 * packet */
					if (!police_and_mark(w, out[j], dp_ext_line(x, dir),
							     f->len))
						continue;
					policed = true;
					if (duplicate4(w, g, out[j], ip, f, x, dir, &signs[n_signs],
						       now))
						n_signs++;
				}
				compared = (svr & (SVR_RW2_DUP | SVR_RW2_TO_PEER)) == SVR_RW2_DUP &&
					   dp_ext_line(x, dir)->dedupe != DP_EXT_NONE;
				numbered = compared && dp_svr_numbered(g, rw, ip, f->l4_off);
			}
			struct rte_mbuf *reply;
			const struct dp_svr_check *pre =
			    check_of[j] >= 0 ? &checks[check_of[j]] : NULL;
			enum dp_svr_verdict v = dp_svr_packet(w, g, out[j], ip, f, s, dir, pre,
							      &signs[n_signs], &reply);
			if (unlikely(reply != NULL))
				send_reply4(w, g, reply);
			if (v == DP_SVR_DROPPED)
				continue;
			/* a duplicated session's second copy (its number signed, checked): dropped;
			 * a second leg's packets move its session's TCP state */
			if (unlikely(compared)) {
				struct svr_dedupe *win =
				    &dp_ext_windows[dp_ext_line(x, dir)->dedupe];
				uint16_t id = svr_rd16(ip + 4);
				if (numbered ? !svr_dedupe_first(win, id)
					     : svr_dedupe_seen(win, id)) {
					dp_drop(w, out[j], SVR_DROP_DUPLICATE);
					continue;
				}
			}
			/* a second leg's arrivals move its session's TCP state (the first copy may
			 * come either way) */
			if (unlikely(x != DP_EXT_NONE) && f->key.proto == SVR_IPPROTO_TCP &&
			    dp_ext_line(x, dir)->dedupe != DP_EXT_NONE &&
			    dp_ext_line(x, dir)->owner != svr_sess_idx(d))
				svr_session_tcp_packet(
				    dp_sess.table,
				    &dp_sess.table->entries[dp_ext_line(x, dir)->owner], dir,
				    f->tcp_flags);
			held = v == DP_SVR_SIGN;
			done = *rw;
			done.flags = 0;
			done.svr = 0;
			rw = &done;
		}
		if (unlikely(x != DP_EXT_NONE)) { /* its next hop is in its ext slot */
			struct dp_ext_line *l = dp_ext_line(x, dir);
			if (!policed && !police_and_mark(w, out[j], l, f->len))
				continue;
			if (rw != &done) {
				done = *rw;
				rw = &done;
			}
			done.via = l->via;
			done.svr = 0;
		}
		if (likely(!held)) /* a held packet touches its session once signed */
			dp_session_touch(s, dir, f->len, f->tcp_flags, now);
		uint64_t h = nh[j];
		if (unlikely(rw->dst != f->key.dst)) { /* destination NAT (or its reverse) */
			uint32_t to = rte_be_to_cpu_32(rw->dst);
			svr_fib_lookup4(g->fib, &to, &h, 1);
		}
		if (unlikely(f->fragment))
			note_fragment4(w, f, d, s, now);
		if (unlikely(held)) {
			hold4(&signs[n_signs++], h, rw, s, dir, f);
			continue;
		}
		forward4(w, g, out[j], (uint32_t)h, rw, f->l4_off, f->key.proto);
	}
	if (n_signs) {
		dp_svr_sign_run(w, signs, n_signs);
		for (unsigned i = 0; i < n_signs; i++) {
			struct dp_svr_sign *job = &signs[i];
			if (!job->m)
				continue;
			dp_session_touch(job->s, (enum svr_sdir)job->dir, job->bytes,
					 job->tcp_flags, now);
			forward4(w, g, job->m, job->nh, &job->rw, job->l4_off, job->proto);
		}
	}
}

void dp_sessions6(struct dp_worker *w, const struct dp_gen *g, struct rte_mbuf **pkts,
		  struct svr_flow6 *fl, unsigned n, struct dp_later *later)
{
	const struct svr_skey6 *keys[DP_MAX_BURST];
	struct rte_mbuf *out[DP_MAX_BURST];
	uint8_t idx[DP_MAX_BURST];
	uint8_t dst[DP_MAX_BURST][16];
	uint64_t hit[DP_MAX_BURST], nh[DP_MAX_BURST];
	uint32_t now = atomic_load_explicit(&dp_sess.now_s, memory_order_relaxed);

	for (unsigned i = 0; i < n; i++)
		keys[i] = &fl[i].key;
	svr_session_lookup6(dp_sess.table, keys, n, hit);
	prefetch_entries(hit, n);
	unsigned k = 0;
	for (unsigned i = 0; i < n; i++) {
		if (unlikely(hit[i] == UINT64_MAX)) {
			struct rte_mbuf *m = pkts[i];
			const uint8_t *ip =
			    rte_pktmbuf_mtod_offset(m, uint8_t *, dp_meta(m)->l3_off);
			enum svr_drop_reason why = SVR_DROP_NO_SERVICE; /* set on every refusal */
			enum dp_first r = dp_session_first6(w, g, m, ip, &fl[i], &hit[i], &why);
			if (!first_outcome(w, m, r, why, later))
				continue;
		}
		memcpy(dst[k], fl[i].key.dst, 16); /* no NAT for IPv6 */
		idx[k] = (uint8_t)i;
		out[k++] = pkts[i];
	}
	if (!k)
		return;
	svr_fib_lookup6(g->fib, dst, nh, k);
	for (unsigned j = 0; j < k; j++) {
		const struct svr_flow6 *f = &fl[idx[j]];
		uint64_t d = hit[idx[j]];
		struct svr_session *s = entry_of(d);
		enum svr_sdir dir = svr_sess_dir(d);
		if (unlikely(!dp_echo_direction_ok(f->key.proto, f->icmp_type, dir))) {
			dp_drop(w, out[j], SVR_DROP_ICMP_DIRECTION);
			continue;
		}
		dp_session_touch(s, dir, f->len, f->tcp_flags, now);
		if (unlikely(f->fragment))
			note_fragment6(w, f, d, s, now);
		forward6(w, g, out[j], (uint32_t)nh[j], svr_session_rw(s, dir));
	}
}
