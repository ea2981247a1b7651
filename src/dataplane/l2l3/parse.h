/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Header validation on plain byte buffers (no mbufs): the worker calls these
 * per packet, unit tests and the fuzz target call them on malloc'd buffers.
 * Each check returns SVR_DROP_MAX when the header is acceptable, otherwise the
 * drop reason to count.
 */
#ifndef SVR_PARSE_H
#define SVR_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#include "svr/counters.h"
#include "common/bytes.h"
#include "l2l3/cksum.h"

#define SVR_ETHERTYPE_IPV4 0x0800
#define SVR_ETHERTYPE_ARP  0x0806
#define SVR_ETHERTYPE_VLAN 0x8100
#define SVR_ETHERTYPE_IPV6 0x86dd

#define SVR_ETH_HLEN  14
#define SVR_VLAN_HLEN 4
/* Ethernet + one VLAN tag + FCS around an MTU-sized packet. */
#define SVR_ETH_FRAME_OVERHEAD 22

struct svr_eth_info {
	uint16_t ethertype; /* of the payload, after any VLAN tag */
	uint16_t vlan;      /* 0 when untagged */
	uint8_t l3_off;     /* 14 or 18 */
	bool dst_group;     /* broadcast or multicast destination MAC */
};

/* Ethernet and one optional 802.1Q tag. */
static inline enum svr_drop_reason svr_parse_eth(const uint8_t *d, uint32_t len,
						 struct svr_eth_info *out)
{
	if (len < SVR_ETH_HLEN)
		return SVR_DROP_ETH_SHORT;
	out->dst_group = d[0] & 1;
	out->ethertype = svr_rd16(d + 12);
	out->vlan = 0;
	out->l3_off = SVR_ETH_HLEN;
	if (out->ethertype == SVR_ETHERTYPE_VLAN) {
		if (len < SVR_ETH_HLEN + SVR_VLAN_HLEN)
			return SVR_DROP_ETH_SHORT;
		out->vlan = svr_rd16(d + 14) & 0x0fff;
		out->ethertype = svr_rd16(d + 16);
		out->l3_off = SVR_ETH_HLEN + SVR_VLAN_HLEN;
	}
	return SVR_DROP_MAX;
}

#define SVR_IP4_OPT_EOL  0
#define SVR_IP4_OPT_NOP  1
#define SVR_IP4_OPT_LSRR 131
#define SVR_IP4_OPT_SSRR 137

/*
 * IPv4 options (RFC 791 3.1), len bytes after the fixed header: End of
 * Option List stops the walk, No Operation is one byte, every other option
 * has a length byte that counts its type and length (at least 2) and must fit.
 * Source routes (loose and strict) are refused: they let a sender pick the
 * path through and past this router (RFC 7126 4.3, 4.4).
 */
static inline enum svr_drop_reason svr_check_ip4_options(const uint8_t *opt, uint32_t len)
{
	uint32_t o = 0;
	while (o < len) {
		uint8_t type = opt[o];
		if (type == SVR_IP4_OPT_EOL)
			break;
		if (type == SVR_IP4_OPT_NOP) {
			o++;
			continue;
		}
		if (len - o < 2 || opt[o + 1] < 2 || opt[o + 1] > len - o)
			return SVR_DROP_IP4_OPTIONS;
		if (type == SVR_IP4_OPT_LSRR || type == SVR_IP4_OPT_SSRR)
			return SVR_DROP_SOURCE_ROUTE;
		o += opt[o + 1];
	}
	return SVR_DROP_MAX;
}

/*
 * IPv4 header checks a router must make (RFC 1812 5.2.2): length, version,
 * header length, total length, checksum, options; plus martian sources.
 * len is what the frame holds from the IP header on.
 */
static inline enum svr_drop_reason svr_check_ip4(const uint8_t *ip, uint32_t len, bool cksum_done)
{
	if (len < 20)
		return SVR_DROP_IP4_SHORT;
	if ((ip[0] >> 4) != 4)
		return SVR_DROP_IP4_VERSION;
	uint32_t hlen = (uint32_t)(ip[0] & 0x0f) * 4;
	if (hlen < 20 || hlen > len)
		return SVR_DROP_IP4_HDRLEN;
	uint32_t total = svr_rd16(ip + 2);
	if (total < hlen || total > len)
		return SVR_DROP_IP4_TOTLEN;
	if (!cksum_done && !svr_ip4_cksum_ok(ip, hlen))
		return SVR_DROP_IP4_CKSUM;
	/* RFC 1812 4.2.2.11/5.3.7: network 0 ("this"), 127 (loopback), multicast, class E. */
	uint8_t s0 = ip[12], d0 = ip[16];
	if (s0 == 0 || s0 == 127 || s0 >= 224)
		return SVR_DROP_IP4_SRC;
	if (d0 == 0 || d0 == 127)
		return SVR_DROP_IP4_DST;
	if (hlen > 20) /* rare: the common header has no options to walk */
		return svr_check_ip4_options(ip + 20, hlen - 20);
	return SVR_DROP_MAX;
}

static inline bool svr_ip4_dst_is_group(const uint8_t *ip)
{
	return ip[16] >= 224; /* multicast, class E, limited broadcast */
}

static inline bool svr_ip6_is_unspecified(const uint8_t *a)
{
	static const uint8_t unspecified[16];
	return __builtin_memcmp(a, unspecified, 16) == 0;
}

static inline bool svr_ip6_is_loopback(const uint8_t *a)
{
	static const uint8_t loopback[16] = {[15] = 1};
	return __builtin_memcmp(a, loopback, 16) == 0;
}

/* fe80::/10 (RFC 4291 2.5.6): never routed. */
static inline bool svr_ip6_is_link_local(const uint8_t *a)
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

#define SVR_IP6_HOP_BY_HOP 0
#define SVR_IP6_ROUTING    43
#define SVR_IP6_FRAGMENT   44
#define SVR_IP6_DST_OPTS   60

/*
 * A routing header of type 0 anywhere before the transport header (RFC 5095:
 * deprecated, it turns any router into a traffic amplifier): SVR_DROP_SOURCE_ROUTE.
 * Walks at most 8 extension headers within the len bytes of the datagram
 * (header and payload); what lies beyond is the flow parser's to judge
 * (svr_ip6_transport). A later fragment's headers are not there to walk.
 */
static inline enum svr_drop_reason svr_check_ip6_routing(const uint8_t *ip, uint32_t len)
{
	uint8_t nh = ip[6];
	uint32_t o = 40;
	for (int hops = 0; hops < 8 && len >= o + 8; hops++) {
		if (nh == SVR_IP6_ROUTING && ip[o + 2] == 0)
			return SVR_DROP_SOURCE_ROUTE;
		if (nh == SVR_IP6_FRAGMENT) {
			if (svr_rd16(ip + o + 2) & 0xfff8)
				break; /* a later fragment */
			nh = ip[o];
			o += 8;
			continue;
		}
		if (nh != SVR_IP6_HOP_BY_HOP && nh != SVR_IP6_ROUTING && nh != SVR_IP6_DST_OPTS)
			break; /* the transport header */
		nh = ip[o];
		o += 8u + ip[o + 1] * 8u;
	}
	return SVR_DROP_MAX;
}

static inline enum svr_drop_reason svr_check_ip6(const uint8_t *ip, uint32_t len)
{
	if (len < 40)
		return SVR_DROP_IP6_SHORT;
	if ((ip[0] >> 4) != 6)
		return SVR_DROP_IP6_VERSION;
	if (40u + svr_rd16(ip + 4) > len)
		return SVR_DROP_IP6_PAYLEN;
	if (ip[8] == 0xff || svr_ip6_is_loopback(ip + 8))
		return SVR_DROP_IP6_SRC;
	if (svr_ip6_is_loopback(ip + 24) || svr_ip6_is_unspecified(ip + 24))
		return SVR_DROP_IP6_DST;
	if (ip[6] == SVR_IP6_HOP_BY_HOP || ip[6] == SVR_IP6_ROUTING || ip[6] == SVR_IP6_DST_OPTS ||
	    ip[6] == SVR_IP6_FRAGMENT) /* rare: most carry none */
		return svr_check_ip6_routing(ip, 40u + svr_rd16(ip + 4));
	return SVR_DROP_MAX;
}

static inline bool svr_ip6_dst_is_multicast(const uint8_t *ip)
{
	return ip[24] == 0xff;
}

/* ARP for IPv4 over Ethernet (RFC 826): 28 bytes, request or reply, unicast sender MAC. */
static inline enum svr_drop_reason svr_check_arp(const uint8_t *a, uint32_t len)
{
	if (len < 28 || svr_rd16(a) != 1 || svr_rd16(a + 2) != SVR_ETHERTYPE_IPV4 || a[4] != 6 ||
	    a[5] != 4)
		return SVR_DROP_ARP_MALFORMED;
	uint16_t op = svr_rd16(a + 6);
	if ((op != 1 && op != 2) || (a[8] & 1))
		return SVR_DROP_ARP_MALFORMED;
	return SVR_DROP_MAX;
}

/*
 * Walks len bytes of neighbour-discovery options (RFC 4861 4.6) and sets *lla
 * to the link-layer address (6 bytes) of the first option of the given type.
 * Returns 1 when found, 0 when absent, -1 when any option has length zero or
 * runs past the end (RFC 4861 7.1.1: the message must be discarded).
 */
static inline int svr_nd_find_lla(const uint8_t *opt, uint32_t len, uint8_t type,
				  const uint8_t **lla)
{
	*lla = NULL;
	while (len > 0) {
		if (len < 2)
			return -1;
		uint32_t olen = opt[1] * 8u;
		if (olen == 0 || olen > len)
			return -1;
		if (opt[0] == type && !*lla)
			*lla = opt + 2;
		opt += olen;
		len -= olen;
	}
	return *lla ? 1 : 0;
}

#endif
