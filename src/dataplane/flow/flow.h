/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow keys from packets: what the session table is looked up with. Plain
 * byte buffers, no mbufs, so that unit tests and the fuzz target call them on
 * malloc'd memory. The IP header has passed svr_check_ip4/svr_check_ip6
 * (version, header and total length) before these run.
 *
 * Keys: TCP/UDP by addresses and ports; ICMP echo by addresses and
 * identifier (in sport, dport 0, the same in both directions); any other
 * protocol by addresses and protocol (ports 0). An ICMP error is keyed by the
 * packet it quotes, reversed: the quoted packet went out in the opposite
 * direction of the error, so the reversed key is the one this direction's
 * packets carry.
 */
#ifndef SVR_FLOW_H
#define SVR_FLOW_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "l2l3/parse.h"
#include "flow/key.h"

#define SVR_IPPROTO_ICMP   1
#define SVR_IPPROTO_TCP    6
#define SVR_IPPROTO_UDP    17
#define SVR_IPPROTO_ICMPV6 58

enum svr_flow_kind {
	SVR_FLOW_PACKET,     /* an ordinary packet of a (possible) session */
	SVR_FLOW_ICMP_ERROR, /* an ICMP error: key is the quoted packet's session, reversed */
	SVR_FLOW_FRAGMENT,   /* a non-first fragment: no transport header */
	SVR_FLOW_MALFORMED,  /* transport header truncated */
	/* an ICMP error quoting a non-first fragment: the quote holds no ports, so no session can
	 * be told from it (what follows its IP header is payload, not a transport header) */
	SVR_FLOW_ICMP_ERROR_FRAGMENT,
};

/* What the session code needs from one IPv4 packet. */
struct svr_flow4 {
	struct svr_skey4 key; /* a non-first fragment: addresses and protocol only */
	uint16_t l4_off;      /* transport header, from the IP header */
	uint16_t inner_off;   /* ICMP error: the quoted IP header, from the IP header */
	uint8_t tcp_flags;
	bool may_start;   /* may create a session: TCP SYN without ACK, echo request, UDP, other */
	bool fragment;    /* part of a fragmented datagram (first or later) */
	uint32_t frag_id; /* its identification, when fragment */
	uint16_t len;     /* IP total length (counted per session) */
	uint8_t icmp_type;
};

struct svr_flow6 {
	struct svr_skey6 key;
	uint16_t l4_off;
	uint16_t inner_off;
	uint8_t tcp_flags;
	bool may_start;
	bool fragment;
	uint32_t frag_id;
	uint16_t len; /* header and payload */
	uint8_t icmp_type;
};

/* The reply direction's key of a packet keyed k (ICMP keeps its identifier in sport). */
static inline void svr_skey4_reverse(const struct svr_skey4 *k, struct svr_skey4 *r)
{
	*r = *k;
	r->src = k->dst;
	r->dst = k->src;
	if (k->proto != SVR_IPPROTO_ICMP) {
		r->sport = k->dport;
		r->dport = k->sport;
	}
}

static inline void svr_skey6_reverse(const struct svr_skey6 *k, struct svr_skey6 *r)
{
	*r = *k;
	memcpy(r->src, k->dst, 16);
	memcpy(r->dst, k->src, 16);
	if (k->proto != SVR_IPPROTO_ICMPV6) {
		r->sport = k->dport;
		r->dport = k->sport;
	}
}

/* ICMPv4 types with an identifier (echo, timestamp, information) and the errors we relate. */
static inline bool svr_icmp4_is_error(uint8_t type)
{
	return type == 3 || type == 11 || type == 12; /* unreachable, time exceeded, parameter */
}

/*
 * Ports (or echo identifier) of a transport header at l4 with len bytes.
 * icmp_is_request: 8 (v4) or 128 (v6). Returns false when too short.
 */
static inline bool svr_flow_ports(uint8_t proto, const uint8_t *l4, uint32_t len, uint16_t *sport,
				  uint16_t *dport, bool v6)
{
	*sport = *dport = 0;
	switch (proto) {
	case SVR_IPPROTO_TCP:
	case SVR_IPPROTO_UDP:
		if (len < 4)
			return false;
		memcpy(sport, l4, 2);
		memcpy(dport, l4 + 2, 2);
		return true;
	case SVR_IPPROTO_ICMP:
	case SVR_IPPROTO_ICMPV6: {
		if (len < 8)
			return false;
		uint8_t t = l4[0];
		bool echo = v6 ? (t == 128 || t == 129) : (t == 8 || t == 0);
		if (echo)
			memcpy(sport, l4 + 4, 2);
		return true;
	}
	default:
		return true;
	}
}

/* Fills f from an IPv4 packet of total length len (header checked). */
/*
 * The transport checks both families make once the ports are read, for any protocol but the
 * family's ICMP: TCP's header length, its flags (a bare SYN may start a session), UDP's
 * length; any other protocol may start one.
 */
static inline enum svr_flow_kind svr_flow_transport(uint8_t proto, const uint8_t *l4,
						    uint32_t l4_len, uint8_t *tcp_flags,
						    bool *may_start)
{
	switch (proto) {
	case SVR_IPPROTO_TCP:
		if (l4_len < 20 || (l4[12] >> 4) < 5)
			return SVR_FLOW_MALFORMED;
		*tcp_flags = l4[13];
		*may_start = (l4[13] & (SVR_TCP_SYN | SVR_TCP_ACK | SVR_TCP_RST | SVR_TCP_FIN)) ==
			     SVR_TCP_SYN;
		return SVR_FLOW_PACKET;
	case SVR_IPPROTO_UDP:
		if (l4_len < 8)
			return SVR_FLOW_MALFORMED;
		*may_start = true;
		return SVR_FLOW_PACKET;
	default:
		*may_start = true;
		return SVR_FLOW_PACKET;
	}
}

static inline enum svr_flow_kind svr_flow_parse4(const uint8_t *ip, uint32_t len,
						 struct svr_flow4 *f)
{
	uint32_t hlen = (uint32_t)(ip[0] & 0x0f) * 4;
	uint16_t frag = svr_rd16(ip + 6);
	memset(f, 0, sizeof(*f));
	f->len = (uint16_t)len;
	f->key.proto = ip[9];
	memcpy(&f->key.src, ip + 12, 4);
	memcpy(&f->key.dst, ip + 16, 4);
	f->l4_off = (uint16_t)hlen;
	if (frag & 0x3fff) { /* MF or an offset */
		f->fragment = true;
		f->frag_id = svr_rd16(ip + 4);
		if (frag & 0x1fff)
			return SVR_FLOW_FRAGMENT;
	}
	const uint8_t *l4 = ip + hlen;
	uint32_t l4_len = len - hlen;
	if (!svr_flow_ports(f->key.proto, l4, l4_len, &f->key.sport, &f->key.dport, false))
		return SVR_FLOW_MALFORMED;
	if (f->key.proto != SVR_IPPROTO_ICMP)
		return svr_flow_transport(f->key.proto, l4, l4_len, &f->tcp_flags, &f->may_start);
	f->icmp_type = l4[0];
	if (l4[0] == 8) {
		f->may_start = true;
		return SVR_FLOW_PACKET;
	}
	if (!svr_icmp4_is_error(l4[0]))
		return SVR_FLOW_PACKET; /* echo reply and the like: only within a session */
	if (f->fragment)
		return SVR_FLOW_MALFORMED; /* errors fit 576 bytes: a fragmented one is forged */
	/* The quoted packet: an IP header and at least the 8 bytes holding its ports. */
	const uint8_t *in = l4 + 8;
	uint32_t in_len = l4_len - 8;
	if (in_len < 20 || (in[0] >> 4) != 4)
		return SVR_FLOW_MALFORMED;
	uint32_t in_hlen = (uint32_t)(in[0] & 0x0f) * 4;
	if (in_hlen < 20 || in_len < in_hlen + 8)
		return SVR_FLOW_MALFORMED;
	if (svr_rd16(in + 6) & 0x1fff)
		return SVR_FLOW_ICMP_ERROR_FRAGMENT;
	struct svr_skey4 q = {.proto = in[9]};
	memcpy(&q.src, in + 12, 4);
	memcpy(&q.dst, in + 16, 4);
	svr_flow_ports(q.proto, in + in_hlen, in_len - in_hlen, &q.sport, &q.dport, false);
	if (q.proto == SVR_IPPROTO_ICMP && in[in_hlen] != 8 && in[in_hlen] != 0)
		return SVR_FLOW_MALFORMED; /* errors are never sent about errors (RFC 1122) */
	svr_skey4_reverse(&q, &f->key);
	f->inner_off = (uint16_t)(hlen + 8);
	return SVR_FLOW_ICMP_ERROR;
}

/* IPv6 extension headers we walk to reach the transport header. */
static inline bool svr_ip6_is_ext(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 60; /* hop-by-hop, routing, destination options */
}

/*
 * Walks the extension headers of an IPv6 packet of len bytes; returns the
 * transport protocol and its offset, or -1 (malformed), or -2 (non-first
 * fragment). A fragment header's identification goes to *frag_id (if given).
 */
static inline int svr_ip6_transport(const uint8_t *ip, uint32_t len, uint32_t *off,
				    uint64_t *frag_id)
{
	uint8_t nh = ip[6];
	uint32_t o = 40;
	for (int hops = 0; hops < 8; hops++) {
		if (svr_ip6_is_ext(nh)) {
			if (len < o + 8)
				return -1;
			uint8_t next = ip[o];
			o += 8u + ip[o + 1] * 8u;
			nh = next;
			continue;
		}
		if (nh == 44) { /* fragment header */
			if (len < o + 8)
				return -1;
			if (frag_id)
				*frag_id = svr_rd32(ip + o + 4);
			if (svr_rd16(ip + o + 2) & 0xfff8)
				return -2;
			nh = ip[o];
			o += 8;
			continue;
		}
		if (o > len)
			return -1;
		*off = o;
		return nh;
	}
	return -1;
}

static inline enum svr_flow_kind svr_flow_parse6(const uint8_t *ip, uint32_t len,
						 struct svr_flow6 *f)
{
	memset(f, 0, sizeof(*f));
	f->len = (uint16_t)len;
	memcpy(f->key.src, ip + 8, 16);
	memcpy(f->key.dst, ip + 24, 16);
	uint32_t off = 0;
	uint64_t frag_id = UINT64_MAX; /* no fragment header */
	int proto = svr_ip6_transport(ip, len, &off, &frag_id);
	f->fragment = frag_id != UINT64_MAX;
	f->frag_id = (uint32_t)frag_id;
	if (proto == -2)
		return SVR_FLOW_FRAGMENT;
	if (proto < 0)
		return SVR_FLOW_MALFORMED;
	f->key.proto = (uint8_t)proto;
	f->l4_off = (uint16_t)off;
	const uint8_t *l4 = ip + off;
	uint32_t l4_len = len - off;
	if (!svr_flow_ports(f->key.proto, l4, l4_len, &f->key.sport, &f->key.dport, true))
		return SVR_FLOW_MALFORMED;
	if (proto != SVR_IPPROTO_ICMPV6)
		return svr_flow_transport(f->key.proto, l4, l4_len, &f->tcp_flags, &f->may_start);
	f->icmp_type = l4[0];
	if (l4[0] == 128) {
		f->may_start = true;
		return SVR_FLOW_PACKET;
	}
	if (l4[0] >= 128)
		return SVR_FLOW_PACKET; /* informational: echo reply, neighbour discovery */
	if (f->fragment)
		return SVR_FLOW_MALFORMED; /* errors fit 1280 bytes: a fragmented one is forged */
	/* Errors (1-4, packet too big included): the quoted packet follows 8 bytes. */
	const uint8_t *in = l4 + 8;
	uint32_t in_len = l4_len - 8;
	if (l4_len < 8 + 40 || (in[0] >> 4) != 6)
		return SVR_FLOW_MALFORMED;
	uint32_t in_off = 0;
	int in_proto = svr_ip6_transport(in, in_len, &in_off, NULL);
	if (in_proto == -2)
		return SVR_FLOW_ICMP_ERROR_FRAGMENT;
	if (in_proto < 0)
		return SVR_FLOW_MALFORMED;
	struct svr_skey6 q = {.proto = (uint8_t)in_proto};
	memcpy(q.src, in + 8, 16);
	memcpy(q.dst, in + 24, 16);
	if (!svr_flow_ports(q.proto, in + in_off, in_len - in_off, &q.sport, &q.dport, true))
		return SVR_FLOW_MALFORMED;
	svr_skey6_reverse(&q, &f->key);
	f->inner_off = (uint16_t)(off + 8);
	return SVR_FLOW_ICMP_ERROR;
}

#endif
