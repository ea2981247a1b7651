/* SPDX-License-Identifier: BSD-3-Clause */
#include "l2l3/slowpath.h"

#include <errno.h>
#include <string.h>

#include <rte_ip_frag.h>

#include "common/log.h"
#include "l2l3/cksum.h"
#include "l2l3/fib.h"
#include "l2l3/tfib.h"
#include "l2l3/l2.h"
#include "l2l3/neigh.h"
#include "l2l3/parse.h"
#include "core/dp.h"
#include "kernel/kernel.h"

#define ICMP4_ECHO_REPLY    0
#define ICMP4_UNREACH       3
#define ICMP4_ECHO_REQUEST  8
#define ICMP4_TIME_EXCEEDED 11
#define ICMP6_UNREACH       1
#define ICMP6_TOO_BIG       2
#define ICMP6_TIME_EXCEEDED 3
#define ICMP6_ECHO_REQUEST  128
#define ICMP6_ECHO_REPLY    129
#define ND_NS               135
#define ND_NA               136
#define ND_OPT_SLLA         1
#define ND_OPT_TLLA         2
#define IPPROTO_ICMP4       1
#define IPPROTO_ICMP6       58

/* RFC 1812 4.3.2.3: an ICMPv4 error quotes as much as fits in 576 bytes. */
#define ICMP4_ERR_MAX 576
/* RFC 4443 2.4(c): an ICMPv6 error fits in the minimum MTU. */
#define ICMP6_ERR_MAX 1280

/* The ICMP error token bucket (main lcore): tokens, refilled at icmp.rate up to icmp.burst. */
static double icmp_tokens;
static uint64_t icmp_refill_ms;

static bool slot_in_use(uint16_t slot)
{
	return slot < DP_MAX_IFACES && dp_gen_main() && dp_gen_main()->ifaces[slot].in_use;
}

static const struct rte_ether_addr bcast = {.addr_bytes = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

static void count_drop(struct rte_mbuf *m, enum svr_drop_reason why)
{
	dp.main_stats.drops[why]++;
	rte_pktmbuf_free(m);
}

static void count_event(enum svr_event ev)
{
	dp.main_stats.events[ev]++;
}

/* A packet for the router that the dataplane does not answer: the kernel's, through the
 * interface's twin, when there are twins (the exception policy and rate decide); else
 * dropped as before the twins existed. */
static void not_answered(struct rte_mbuf *m)
{
	if (dp_kernel_on())
		dp_kernel_up(m);
	else
		count_drop(m, SVR_DROP_LOCAL_UNSUPPORTED);
}

/* Queues a finished frame for transmission by worker 0. */
static void transmit(struct rte_mbuf *m)
{
	if (rte_ring_sp_enqueue(dp.workers[0]->inject, m) != 0)
		count_drop(m, SVR_DROP_TX_FULL);
}

/* Sends a packet whose L3 starts at l3_off out of iface to dst. */
static void send_l3(struct rte_mbuf *m, unsigned l3_off, uint16_t iface,
		    const struct rte_ether_addr *dst)
{
	if (dp_l2_write(m, l3_off, &dp_gen_main()->ifaces[iface], dst) < 0) {
		count_drop(m, SVR_DROP_NO_MBUF);
		return;
	}
	transmit(m);
}

/* A new frame for iface: reserves room for the L2 header and returns the L3 pointer. */
static uint8_t *frame_new(struct rte_mbuf **out, uint16_t ethertype, unsigned l3_len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(dp.pool);
	if (!m) {
		dp.main_stats.drops[SVR_DROP_NO_MBUF]++;
		return NULL;
	}
	uint8_t *d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(SVR_ETH_HLEN + l3_len));
	if (!d) {
		rte_pktmbuf_free(m);
		dp.main_stats.drops[SVR_DROP_NO_MBUF]++;
		return NULL;
	}
	d[12] = (uint8_t)(ethertype >> 8);
	d[13] = (uint8_t)ethertype;
	*out = m;
	return d + SVR_ETH_HLEN;
}

/* Swaps two address fields of n <= 16 bytes (echo replies). */
static void swap_bytes(uint8_t *a, uint8_t *b, size_t n)
{
	uint8_t tmp[16];
	memcpy(tmp, a, n);
	memcpy(a, b, n);
	memcpy(b, tmp, n);
}

/* --- addresses of our interfaces --- */

static bool iface_has_addr(uint16_t ifi, const struct svr_ip *ip)
{
	const struct dp_iface *ifc = &dp_gen_main()->ifaces[ifi];
	for (unsigned i = 0; i < ifc->n_addrs; i++)
		if (svr_ip_equal(&ifc->addrs[i].ip, ip))
			return true;
	return false;
}

static bool is_our_addr(const struct svr_ip *ip)
{
	for (unsigned i = 0; i < dp_gen_main()->n_ifaces; i++)
		if (iface_has_addr((uint16_t)i, ip))
			return true;
	return false;
}

/* Our address on ifi to use toward peer: one whose subnet holds peer, else the first. */
static const struct svr_ip *iface_source(uint16_t ifi, const struct svr_ip *peer)
{
	const struct dp_iface *ifc = &dp_gen_main()->ifaces[ifi];
	const struct svr_ip *first = NULL;
	for (unsigned i = 0; i < ifc->n_addrs; i++) {
		if (ifc->addrs[i].ip.family != peer->family)
			continue;
		if (svr_prefix_contains(&ifc->addrs[i], peer))
			return &ifc->addrs[i].ip;
		if (!first)
			first = &ifc->addrs[i].ip;
	}
	return first;
}

static bool on_subnet(uint16_t ifi, const struct svr_ip *ip)
{
	const struct dp_iface *ifc = &dp_gen_main()->ifaces[ifi];
	for (unsigned i = 0; i < ifc->n_addrs; i++)
		if (svr_prefix_contains(&ifc->addrs[i], ip))
			return true;
	return false;
}

/* --- ICMP errors --- */

static bool icmp_allowed(void)
{
	uint64_t now = dp_now_ms();
	double rate = dp.conf->icmp_rate, cap = dp.conf->icmp_burst;
	icmp_tokens += (double)(now - icmp_refill_ms) * rate / 1000.0;
	if (icmp_tokens > cap)
		icmp_tokens = cap;
	icmp_refill_ms = now;
	if (icmp_tokens < 1.0) {
		count_event(SVR_EV_ICMP_RATE_LIMITED);
		return false;
	}
	icmp_tokens -= 1.0;
	return true;
}

/* Rules of RFC 1812 4.3.2.7: never an error about an error, a group, or a later fragment. */
static bool icmp4_may_answer(const uint8_t *ip)
{
	if (ip[12] == 0 || ip[12] >= 224 || ip[16] >= 224)
		return false;
	if (svr_rd16(ip + 6) & 0x1fff)
		return false;
	if (ip[9] == IPPROTO_ICMP4) {
		unsigned hlen = (ip[0] & 0x0f) * 4u;
		if (svr_rd16(ip + 2) <= hlen)
			return false; /* no ICMP header: not worth an answer */
		uint8_t type = ip[hlen];
		if (type != ICMP4_ECHO_REQUEST && type != ICMP4_ECHO_REPLY && type != 13 &&
		    type != 14)
			return false;
	}
	return true;
}

static bool icmp6_may_answer(const uint8_t *ip)
{
	static const uint8_t unspec[16];
	if (memcmp(ip + 8, unspec, 16) == 0 || ip[8] == 0xff || ip[24] == 0xff)
		return false;
	if (ip[6] == IPPROTO_ICMP6 && (svr_rd16(ip + 4) == 0 || ip[40] < 128)) /* an error */
		return false;
	return true;
}

/* Sends an ICMP (v4) or ICMPv6 (!v4) error about orig back to where it came from. */
static void icmp_error_send(struct rte_mbuf *orig, bool v4, uint8_t type, uint8_t code,
			    uint32_t rest)
{
	const struct dp_pkt_meta *meta = dp_meta(orig);
	const uint8_t *d = rte_pktmbuf_mtod(orig, const uint8_t *);
	const uint8_t *oip = d + meta->l3_off;
	if (!(v4 ? icmp4_may_answer(oip) : icmp6_may_answer(oip)) || !icmp_allowed())
		return;
	struct svr_ip peer = {.family = v4 ? SVR_AF_INET : SVR_AF_INET6};
	memcpy(peer.addr, oip + (v4 ? 12 : 8), v4 ? 4 : 16);
	const struct svr_ip *src = iface_source(meta->iface_in, &peer);
	if (!src)
		return;

	unsigned hlen = v4 ? 20 : 40, max = v4 ? ICMP4_ERR_MAX : ICMP6_ERR_MAX;
	unsigned quote = v4 ? svr_rd16(oip + 2) : 40u + svr_rd16(oip + 4);
	if (quote > max - hlen - 8)
		quote = max - hlen - 8;
	struct rte_mbuf *m;
	uint8_t *ip = frame_new(&m, v4 ? SVR_ETHERTYPE_IPV4 : SVR_ETHERTYPE_IPV6, hlen + 8 + quote);
	if (!ip)
		return;
	memset(ip, 0, hlen + 8);
	uint8_t *icmp = ip + hlen;
	icmp[0] = type;
	icmp[1] = code;
	svr_wr16(icmp + 4, (uint16_t)(rest >> 16));
	svr_wr16(icmp + 6, (uint16_t)rest);
	memcpy(icmp + 8, oip, quote);
	if (v4) {
		ip[0] = 0x45;
		ip[1] = 0xc0; /* internetwork control */
		svr_wr16(ip + 2, (uint16_t)(hlen + 8 + quote));
		ip[8] = 64;
		ip[9] = IPPROTO_ICMP4;
		memcpy(ip + 12, src->addr, 4);
		memcpy(ip + 16, peer.addr, 4);
		svr_wr16(ip + 10, svr_cksum(ip, hlen));
		svr_wr16(icmp + 2, svr_cksum(icmp, 8 + quote));
	} else {
		ip[0] = 0x60;
		svr_wr16(ip + 4, (uint16_t)(8 + quote));
		ip[6] = IPPROTO_ICMP6;
		ip[7] = 64;
		memcpy(ip + 8, src->addr, 16);
		memcpy(ip + 24, peer.addr, 16);
		svr_wr16(icmp + 2, svr_cksum_ip6(ip + 8, ip + 24, IPPROTO_ICMP6, icmp, 8 + quote));
	}
	const struct rte_ether_addr *back = (const struct rte_ether_addr *)(d + 6);
	count_event(SVR_EV_ICMP_ERRORS_SENT);
	send_l3(m, SVR_ETH_HLEN, meta->iface_in, back);
}

enum icmp_kind { ICMP_NO_ROUTE, ICMP_TTL, ICMP_TOO_BIG, ICMP_NEIGH_UNREACHABLE, ICMP_REFUSED };

/* The error of that kind about m, in m's family; mtu: the next-hop MTU (ICMP_TOO_BIG only). */
static void icmp_error(struct rte_mbuf *m, enum icmp_kind kind, uint32_t mtu)
{
	/* (ICMPv4 type, code), (ICMPv6 type, code) for each kind */
	static const uint8_t codes[][2][2] = {
	    [ICMP_NO_ROUTE] = {{ICMP4_UNREACH, 0}, {ICMP6_UNREACH, 0}},
	    [ICMP_TTL] = {{ICMP4_TIME_EXCEEDED, 0}, {ICMP6_TIME_EXCEEDED, 0}},
	    [ICMP_TOO_BIG] = {{ICMP4_UNREACH, 4}, {ICMP6_TOO_BIG, 0}},
	    [ICMP_NEIGH_UNREACHABLE] = {{ICMP4_UNREACH, 1}, {ICMP6_UNREACH, 3}},
	    [ICMP_REFUSED] = {{ICMP4_UNREACH, 13}, {ICMP6_UNREACH, 1}}, /* admin. prohibited */
	};
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, dp_meta(m)->l3_off);
	bool v4 = (ip[0] >> 4) == 4;
	const uint8_t *tc = codes[kind][v4 ? 0 : 1];
	icmp_error_send(m, v4, tc[0], tc[1], kind == ICMP_TOO_BIG ? mtu : 0);
}

/* --- neighbour resolution --- */

/*
 * Sends a 32-byte neighbour-discovery message (RFC 4861 4.3/4.4): hop limit 255,
 * target, and one link-layer address option carrying our MAC. Returns false if
 * no buffer could be had.
 */
static bool nd_send(uint16_t iface, const uint8_t *ip_src, const uint8_t *ip_dst,
		    const struct rte_ether_addr *dst, uint8_t type, uint8_t flags,
		    const uint8_t *target, uint8_t opt)
{
	struct rte_mbuf *m;
	uint8_t *ip = frame_new(&m, SVR_ETHERTYPE_IPV6, 40 + 32);
	if (!ip)
		return false;
	memset(ip, 0, 40 + 32);
	ip[0] = 0x60;
	svr_wr16(ip + 4, 32);
	ip[6] = IPPROTO_ICMP6;
	ip[7] = 255;
	memcpy(ip + 8, ip_src, 16);
	memcpy(ip + 24, ip_dst, 16);
	uint8_t *icmp = ip + 40;
	icmp[0] = type;
	icmp[4] = flags;
	memcpy(icmp + 8, target, 16);
	icmp[24] = opt;
	icmp[25] = 1;
	memcpy(icmp + 26, dp_gen_main()->ifaces[iface].mac.addr_bytes, 6);
	svr_wr16(icmp + 2, svr_cksum_ip6(ip + 8, ip + 24, IPPROTO_ICMP6, icmp, 32));
	send_l3(m, SVR_ETH_HLEN, iface, dst);
	return true;
}

static void neigh_send_request(uint32_t pos, bool unicast)
{
	const struct svr_neigh *n = svr_neigh_entry(dp.neigh, pos);
	const struct dp_iface *ifc = &dp_gen_main()->ifaces[n->iface];
	const struct svr_ip *src = iface_source(n->iface, &n->ip);
	if (!src)
		return;
	struct rte_ether_addr dst = bcast;
	if (unicast && !svr_neigh_mac(dp.neigh, pos, &dst))
		dst = bcast;
	struct rte_mbuf *m;

	if (n->ip.family == SVR_AF_INET) {
		uint8_t *a = frame_new(&m, SVR_ETHERTYPE_ARP, 28);
		if (!a)
			return;
		svr_wr16(a, 1);
		svr_wr16(a + 2, SVR_ETHERTYPE_IPV4);
		a[4] = 6;
		a[5] = 4;
		svr_wr16(a + 6, 1);
		memcpy(a + 8, ifc->mac.addr_bytes, 6);
		memcpy(a + 14, src->addr, 4);
		memset(a + 18, 0, 6);
		memcpy(a + 24, n->ip.addr, 4);
		count_event(SVR_EV_ARP_REQUESTS_SENT);
		send_l3(m, SVR_ETH_HLEN, n->iface, &dst);
		return;
	}

	/* Neighbour solicitation with our link-layer address (RFC 4861 4.3). */
	uint8_t ip_dst[16];
	if (dst.addr_bytes[0] & 1) { /* solicited-node multicast ff02::1:ffXX:XXXX */
		static const uint8_t snm[13] = {0xff, 0x02, [11] = 0x01, [12] = 0xff};
		memcpy(ip_dst, snm, 13);
		memcpy(ip_dst + 13, n->ip.addr + 13, 3);
		uint8_t mc[6] = {0x33, 0x33, 0xff, n->ip.addr[13], n->ip.addr[14], n->ip.addr[15]};
		memcpy(dst.addr_bytes, mc, 6);
	} else {
		memcpy(ip_dst, n->ip.addr, 16);
	}
	if (nd_send(n->iface, src->addr, ip_dst, &dst, ND_NS, 0, n->ip.addr, ND_OPT_SLLA))
		count_event(SVR_EV_ND_SOLICITS_SENT);
}

/* The MAC of pos is known: send everything that waited for it. */
static void neigh_release(uint32_t pos)
{
	struct svr_neigh *n = svr_neigh_entry(dp.neigh, pos);
	struct rte_ether_addr mac;
	if (!svr_neigh_mac(dp.neigh, pos, &mac))
		return;
	for (unsigned i = 0; i < n->n_queued; i++) {
		struct rte_mbuf *m = n->queue[i];
		count_event(SVR_EV_QUEUED_RELEASED);
		send_l3(m, dp_meta(m)->l3_off, n->iface, &mac);
	}
	n->n_queued = 0;
}

/* Learns or refreshes (iface, ip) -> mac. create: make an entry if there is none. */
static void neigh_learn(uint16_t iface, const struct svr_ip *ip, const struct rte_ether_addr *mac,
			bool create)
{
	uint32_t pos = svr_neigh_lookup(dp.neigh, iface, ip);
	if (pos == SVR_NEIGH_NONE) {
		if (!create || !on_subnet(iface, ip))
			return;
		pos = svr_neigh_add(dp.neigh, iface, ip, NULL, dp_now_ms());
		if (pos == SVR_NEIGH_NONE) {
			dp.main_stats.drops[SVR_DROP_NEIGH_TABLE_FULL]++;
			return;
		}
		dp_tfib_link_neigh(dp_gen_main(), iface, ip, pos);
	}
	svr_neigh_confirm(dp.neigh, pos, mac, dp_now_ms());
	count_event(SVR_EV_NEIGH_LEARNED);
	neigh_release(pos);
}

static void neigh_expire(void *ctx, uint32_t pos)
{
	(void)ctx;
	struct svr_neigh *n = svr_neigh_entry(dp.neigh, pos);
	for (unsigned i = 0; i < n->n_queued; i++) {
		icmp_error(n->queue[i], ICMP_NEIGH_UNREACHABLE, 0);
		count_drop(n->queue[i], SVR_DROP_NEIGH_FAILED);
	}
	n->n_queued = 0;
	dp_tfib_link_neigh(dp_gen_main(), n->iface, &n->ip, SVR_NEIGH_NONE);
	count_event(SVR_EV_NEIGH_EXPIRED);
	svr_neigh_delete(dp.neigh, pos);
}

static void neigh_probe(void *ctx, uint32_t pos, bool unicast)
{
	if (!slot_in_use(svr_neigh_entry(dp.neigh, pos)->iface)) {
		neigh_expire(ctx, pos);
		return;
	}
	neigh_send_request(pos, unicast);
}

static void resolve(struct rte_mbuf *m)
{
	struct dp_pkt_meta *meta = dp_meta(m);
	uint32_t pos = svr_neigh_lookup(dp.neigh, meta->iface_out, &meta->next_hop);
	if (pos == SVR_NEIGH_NONE) {
		uint64_t now = dp_now_ms();
		pos = svr_neigh_add(dp.neigh, meta->iface_out, &meta->next_hop, NULL, now);
		if (pos == SVR_NEIGH_NONE) {
			count_drop(m, SVR_DROP_NEIGH_TABLE_FULL);
			return;
		}
		dp_tfib_link_neigh(dp_gen_main(), meta->iface_out, &meta->next_hop, pos);
		struct svr_neigh *n = svr_neigh_entry(dp.neigh, pos);
		n->probes = 1;
		n->next_probe_ms = now + dp.conf->neigh_probe_interval_ms;
		neigh_send_request(pos, false);
	}
	struct rte_ether_addr mac;
	if (svr_neigh_mac(dp.neigh, pos, &mac)) { /* resolved since the worker looked */
		send_l3(m, meta->l3_off, meta->iface_out, &mac);
		return;
	}
	struct svr_neigh *n = svr_neigh_entry(dp.neigh, pos);
	if (n->n_queued >= dp.conf->neigh_queue_len) {
		count_drop(m, SVR_DROP_NEIGH_QUEUE_FULL);
		return;
	}
	n->queue[n->n_queued++] = m;
}

/* Sends a frame the main lcore built (IPv4 from SVR_ETH_HLEN) to dst, routed by the running
 * generation's FIB like a forwarded packet, its next hop resolved as any other. */
void dp_slowpath_route4(struct rte_mbuf *m, const struct svr_ip *dst)
{
	const struct dp_gen *g = dp_gen_main();
	uint32_t i = g ? svr_fib_lookup(g->fib, dst) : 0;
	const struct svr_nexthop *nh = i ? &g->fib->nh[i] : NULL;
	if (!nh || (nh->type != SVR_NH_CONNECTED && nh->type != SVR_NH_GATEWAY) ||
	    !slot_in_use(nh->iface)) {
		count_drop(m, SVR_DROP_NO_ROUTE);
		return;
	}
	struct dp_pkt_meta *meta = dp_meta(m);
	meta->l3_off = SVR_ETH_HLEN;
	meta->iface_out = nh->iface;
	meta->next_hop = nh->type == SVR_NH_GATEWAY ? nh->gateway : *dst;
	resolve(m);
}

void dp_slowpath_send_via(struct rte_mbuf *m, uint16_t iface, const struct svr_ip *next_hop)
{
	if (!slot_in_use(iface)) {
		count_drop(m, SVR_DROP_IFACE_GONE);
		return;
	}
	struct dp_pkt_meta *meta = dp_meta(m);
	meta->l3_off = SVR_ETH_HLEN;
	meta->iface_out = iface;
	meta->next_hop = *next_hop;
	resolve(m);
}

uint8_t *dp_slowpath_frame4(struct rte_mbuf **out, unsigned l3_len)
{
	return frame_new(out, SVR_ETHERTYPE_IPV4, l3_len);
}

/* --- ARP --- */

static void handle_arp(struct rte_mbuf *m)
{
	const struct dp_pkt_meta *meta = dp_meta(m);
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	uint8_t *a = d + meta->l3_off;
	if (svr_check_arp(a, rte_pktmbuf_data_len(m) - meta->l3_off) != SVR_DROP_MAX) {
		count_drop(m, SVR_DROP_ARP_MALFORMED);
		return;
	}
	uint16_t op = svr_rd16(a + 6);
	struct svr_ip spa = {.family = SVR_AF_INET}, tpa = {.family = SVR_AF_INET};
	memcpy(spa.addr, a + 14, 4);
	memcpy(tpa.addr, a + 24, 4);
	struct rte_ether_addr sha;
	memcpy(sha.addr_bytes, a + 8, 6);
	bool ours = iface_has_addr(meta->iface_in, &tpa);

	/* RFC 826: update an existing entry from any ARP; create one when the request is for us. */
	if (svr_ip4_host(&spa) != 0)
		neigh_learn(meta->iface_in, &spa, &sha, ours && op == 1);
	/* the kernel learns its neighbours too; copied before the request becomes our reply */
	if (ours && dp_kernel_on())
		dp_kernel_copy(m);

	if (op == 2 || !ours) {
		if (!ours)
			count_drop(m, SVR_DROP_ARP_NOT_OURS);
		else
			rte_pktmbuf_free(m);
		return;
	}
	const struct dp_iface *ifc = &dp_gen_main()->ifaces[meta->iface_in];
	svr_wr16(a + 6, 2);
	memcpy(a + 18, a + 8, 10); /* target := requester (MAC and address) */
	memcpy(a + 8, ifc->mac.addr_bytes, 6);
	memcpy(a + 14, tpa.addr, 4);
	count_event(SVR_EV_ARP_REPLIES_SENT);
	send_l3(m, meta->l3_off, meta->iface_in, &sha);
}

/* --- packets for us --- */

static void handle_local4(struct rte_mbuf *m)
{
	const struct dp_pkt_meta *meta = dp_meta(m);
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	uint8_t *ip = d + meta->l3_off;
	unsigned hlen = (ip[0] & 0x0f) * 4u, total = svr_rd16(ip + 2);
	uint8_t *icmp = ip + hlen;
	/* group destinations (kernel twins on: OSPF, DHCP) are never answered here */
	if (ip[9] != IPPROTO_ICMP4 || (svr_rd16(ip + 6) & 0x3fff) || total < hlen + 8 ||
	    icmp[0] != ICMP4_ECHO_REQUEST || svr_ip4_dst_is_group(ip)) {
		not_answered(m);
		return;
	}
	if (svr_cksum_fold(svr_cksum_add(0, icmp, total - hlen)) != 0xffff) {
		count_drop(m, SVR_DROP_ICMP_MALFORMED);
		return;
	}
	/* Echo reply in place (RFC 792): swap addresses, type 0, fresh TTL. */
	swap_bytes(ip + 12, ip + 16, 4);
	ip[8] = 64;
	svr_wr16(ip + 10, 0);
	svr_wr16(ip + 10, svr_cksum(ip, hlen));
	icmp[0] = ICMP4_ECHO_REPLY;
	svr_wr16(icmp + 2, svr_cksum_update16(svr_rd16(icmp + 2), ICMP4_ECHO_REQUEST << 8,
					      ICMP4_ECHO_REPLY << 8));
	struct rte_ether_addr back;
	memcpy(back.addr_bytes, d + 6, 6);
	count_event(SVR_EV_ICMP_ECHO_REPLIES);
	send_l3(m, meta->l3_off, meta->iface_in, &back);
}

static void send_na(struct rte_mbuf *ns, const uint8_t *target, bool solicited)
{
	const struct dp_pkt_meta *meta = dp_meta(ns);
	const uint8_t *d = rte_pktmbuf_mtod(ns, const uint8_t *);
	const uint8_t *nip = d + meta->l3_off;
	static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 1};
	static const struct rte_ether_addr all_nodes_mac = {.addr_bytes = {0x33, 0x33, 0, 0, 0, 1}};
	struct rte_ether_addr dst = all_nodes_mac; /* DAD probe from ::: all-nodes (7.2.4) */
	if (solicited)
		memcpy(dst.addr_bytes, d + 6, 6);
	uint8_t flags = (uint8_t)(0x80 | (solicited ? 0x40 : 0) | 0x20); /* router, S, override */
	if (nd_send(meta->iface_in, target, solicited ? nip + 8 : all_nodes, &dst, ND_NA, flags,
		    target, ND_OPT_TLLA))
		count_event(SVR_EV_ND_ADVERTS_SENT);
}

/* Handled neighbour discovery: the kernel learns from it as well (twins on), then m goes. */
static void nd_copy_free(struct rte_mbuf *m)
{
	if (dp_kernel_on())
		dp_kernel_copy(m);
	rte_pktmbuf_free(m);
}

static void handle_nd(struct rte_mbuf *m, uint8_t *ip, uint8_t *icmp, unsigned icmp_len)
{
	const struct dp_pkt_meta *meta = dp_meta(m);
	/* RFC 4861 7.1.1/7.1.2: hop limit 255, code 0, at least 24 bytes. */
	if (ip[7] != 255 || icmp[1] != 0 || icmp_len < 24) {
		count_drop(m, SVR_DROP_ND_MALFORMED);
		return;
	}
	struct svr_ip target = {.family = SVR_AF_INET6}, src = {.family = SVR_AF_INET6};
	memcpy(target.addr, icmp + 8, 16);
	memcpy(src.addr, ip + 8, 16);
	static const uint8_t unspec[16];
	bool from_unspec = memcmp(src.addr, unspec, 16) == 0;
	const uint8_t *lla;
	int has_lla = svr_nd_find_lla(icmp + 24, icmp_len - 24,
				      icmp[0] == ND_NS ? ND_OPT_SLLA : ND_OPT_TLLA, &lla);
	/* RFC 4861 7.1.1: bad options, or a DAD probe (from ::) that carries our-style SLLA. */
	if (has_lla < 0 || (icmp[0] == ND_NS && from_unspec && has_lla)) {
		count_drop(m, SVR_DROP_ND_MALFORMED);
		return;
	}
	struct rte_ether_addr mac;
	memcpy(mac.addr_bytes, lla ? lla : rte_pktmbuf_mtod(m, uint8_t *) + 6, 6);

	if (icmp[0] == ND_NS) {
		if (!iface_has_addr(meta->iface_in, &target)) {
			/* perhaps for the kernel's own (link-local) address: its twin has it */
			if (dp_kernel_on())
				nd_copy_free(m);
			else
				count_drop(m, SVR_DROP_LOCAL_UNSUPPORTED);
			return;
		}
		if (!from_unspec && lla)
			neigh_learn(meta->iface_in, &src, &mac, true);
		send_na(m, target.addr, !from_unspec);
		nd_copy_free(m);
		return;
	}
	/* NA: refresh an entry we have (we never create one from an unsolicited advert). */
	neigh_learn(meta->iface_in, &target, &mac, false);
	nd_copy_free(m);
}

static void handle_local6(struct rte_mbuf *m)
{
	const struct dp_pkt_meta *meta = dp_meta(m);
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	uint8_t *ip = d + meta->l3_off;
	unsigned plen = svr_rd16(ip + 4);
	uint8_t *icmp = ip + 40;
	if (ip[6] != IPPROTO_ICMP6 || plen < 8) {
		not_answered(m);
		return;
	}
	if (svr_cksum_ip6(ip + 8, ip + 24, IPPROTO_ICMP6, icmp, plen) != 0) {
		count_drop(m, SVR_DROP_ICMP_MALFORMED);
		return;
	}
	if (icmp[0] == ND_NS || icmp[0] == ND_NA) {
		handle_nd(m, ip, icmp, plen);
		return;
	}
	struct svr_ip dst = {.family = SVR_AF_INET6};
	memcpy(dst.addr, ip + 24, 16);
	if (icmp[0] != ICMP6_ECHO_REQUEST || !is_our_addr(&dst)) {
		not_answered(m);
		return;
	}
	swap_bytes(ip + 8, ip + 24, 16);
	ip[7] = 64;
	icmp[0] = ICMP6_ECHO_REPLY;
	svr_wr16(icmp + 2, 0);
	svr_wr16(icmp + 2, svr_cksum_ip6(ip + 8, ip + 24, IPPROTO_ICMP6, icmp, plen));
	struct rte_ether_addr back;
	memcpy(back.addr_bytes, d + 6, 6);
	count_event(SVR_EV_ICMP_ECHO_REPLIES);
	send_l3(m, meta->l3_off, meta->iface_in, &back);
}

/*
 * A datagram larger than the egress MTU without DF is fragmented (RFC 791);
 * with DF, or IPv6 (routers never fragment it), the sender is told the MTU.
 */
static void too_big(struct rte_mbuf *m)
{
	struct dp_pkt_meta meta = *dp_meta(m);
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, meta.l3_off);
	if ((ip[0] >> 4) != 4 || (svr_rd16(ip + 6) & 0x4000)) {
		icmp_error(m, ICMP_TOO_BIG, dp_gen_main()->ifaces[meta.iface_out].mtu);
		count_drop(m, SVR_DROP_MTU_EXCEEDED);
		return;
	}
	svr_ip4_dec_ttl(ip); /* the worker checked TTL > 1 before the MTU */
	/* The MACs go on every fragment (an ICMP error about one is sent back to them). */
	uint8_t macs[12];
	memcpy(macs, rte_pktmbuf_mtod(m, uint8_t *), sizeof(macs));
	rte_pktmbuf_adj(m, meta.l3_off);
	/* Ethernet padding after the datagram is not data: keep it out of the last fragment. */
	uint16_t total = svr_rd16(ip + 2);
	if (rte_pktmbuf_pkt_len(m) > total)
		rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - total));
	struct rte_mbuf *frags[64];
	int32_t n = rte_ipv4_fragment_copy_nonseg_packet(
	    m, frags, RTE_DIM(frags), dp_gen_main()->ifaces[meta.iface_out].mtu, dp.pool);
	if (n < 0) {
		count_drop(m, n == -ENOMEM ? SVR_DROP_NO_MBUF : SVR_DROP_MTU_EXCEEDED);
		return;
	}
	rte_pktmbuf_free(m);
	for (int32_t i = 0; i < n; i++) {
		struct rte_mbuf *f = frags[i];
		uint8_t *fip = rte_pktmbuf_mtod(f, uint8_t *);
		svr_wr16(fip + 10, 0);
		svr_wr16(fip + 10, svr_cksum(fip, (fip[0] & 0x0f) * 4u));
		uint8_t *eth = (uint8_t *)rte_pktmbuf_prepend(f, SVR_ETH_HLEN);
		if (!eth) {
			count_drop(f, SVR_DROP_NO_MBUF);
			continue;
		}
		memcpy(eth, macs, sizeof(macs));
		svr_wr16(eth + 12, SVR_ETHERTYPE_IPV4);
		*dp_meta(f) = meta;
		dp_meta(f)->l3_off = SVR_ETH_HLEN;
		count_event(SVR_EV_IP4_FRAGMENTS);
		resolve(f);
	}
}

static void handle(struct rte_mbuf *m)
{
	struct dp_pkt_meta *meta = dp_meta(m);
	/* Punted under a generation that a newer one has replaced since. */
	if (!slot_in_use(meta->iface_in) ||
	    ((meta->punt == DP_PUNT_RESOLVE || meta->punt == DP_PUNT_MTU) &&
	     !slot_in_use(meta->iface_out))) {
		count_drop(m, SVR_DROP_IFACE_GONE);
		return;
	}
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, meta->l3_off);
	bool v4 = meta->punt != DP_PUNT_ARP && (ip[0] >> 4) == 4;
	switch (meta->punt) {
	case DP_PUNT_ARP:
		handle_arp(m);
		break;
	case DP_PUNT_LOCAL:
		v4 ? handle_local4(m) : handle_local6(m);
		break;
	case DP_PUNT_TTL:
		icmp_error(m, ICMP_TTL, 0);
		count_drop(m, SVR_DROP_TTL_EXCEEDED);
		break;
	case DP_PUNT_NO_ROUTE:
		icmp_error(m, ICMP_NO_ROUTE, 0);
		count_drop(m, SVR_DROP_NO_ROUTE);
		break;
	case DP_PUNT_MTU:
		too_big(m);
		break;
	case DP_PUNT_RESOLVE:
		resolve(m);
		break;
	case DP_PUNT_SVR_TOO_BIG: /* SVR metadata would not fit: the sender must send less */
		icmp_error(m, ICMP_TOO_BIG, meta->mtu);
		count_drop(m, SVR_DROP_MTU_EXCEEDED);
		break;
	case DP_PUNT_REFUSED: /* counted by the worker under its reason */
		icmp_error(m, ICMP_REFUSED, 0);
		rte_pktmbuf_free(m);
		break;
	default:
		not_answered(m);
		break;
	}
}

/* What the kernel sent on its twins, out of their interfaces as it addressed them. */
static unsigned kernel_down(void)
{
	struct rte_mbuf *pkts[64];
	unsigned n = dp_kernel_down(pkts, RTE_DIM(pkts));
	for (unsigned i = 0; i < n; i++) {
		struct rte_ether_addr dst;
		memcpy(dst.addr_bytes, rte_pktmbuf_mtod(pkts[i], uint8_t *), 6);
		send_l3(pkts[i], SVR_ETH_HLEN, dp_meta(pkts[i])->iface_out, &dst);
	}
	return n;
}

unsigned dp_slowpath_poll(void)
{
	unsigned total = 0;
	for (unsigned i = 0; i < dp.n_workers; i++) {
		struct rte_mbuf *pkts[32];
		unsigned n =
		    rte_ring_sc_dequeue_burst(dp.workers[i]->punt, (void **)pkts, 32, NULL);
		for (unsigned k = 0; k < n; k++)
			handle(pkts[k]);
		total += n;
	}
	return total + kernel_down();
}

void dp_slowpath_housekeeping(uint64_t now_ms)
{
	const struct dp_config *c = dp.conf;
	struct svr_neigh_timers tm = {
	    .reachable_ms = (uint64_t)c->neigh_reachable_s * 1000,
	    .probe_interval_ms = c->neigh_probe_interval_ms,
	    .max_probes = c->neigh_probes,
	};
	static const struct svr_neigh_ops ops = {.probe = neigh_probe, .expire = neigh_expire};
	svr_neigh_age(dp.neigh, now_ms, &tm, &ops, NULL);
}

void dp_slowpath_init(void)
{
	icmp_tokens = dp.conf->icmp_burst;
	icmp_refill_ms = dp_now_ms();
}
