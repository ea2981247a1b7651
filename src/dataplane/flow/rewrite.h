/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Address and port translation of IPv4 packets (NAT44): the per-direction
 * rewrite of a session and the ICMP-error translation. Byte buffers only.
 *
 * Checksums are patched incrementally (RFC 1624) with deltas computed once,
 * at session creation: a direction always rewrites the same old words (its
 * key) to the same new words, so the delta is a constant of the session.
 */
#ifndef SVR_FLOW_REWRITE_H
#define SVR_FLOW_REWRITE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "l2l3/cksum.h"
#include "flow/flow.h"
#include "flow/key.h"

/* Adds the change of n 16-bit words from old to new (network order) to a delta. */
static inline uint32_t svr_delta_add(uint32_t sum, const void *old, const void *new_, size_t n)
{
	const uint8_t *o = old, *w = new_;
	for (size_t i = 0; i < n; i += 2) {
		sum += (uint16_t) ~(uint16_t)(o[i] << 8 | o[i + 1]);
		sum += (uint16_t)(w[i] << 8 | w[i + 1]);
	}
	return sum;
}

/* Applies a delta to a checksum field (network order bytes at p). */
static inline void svr_cksum_apply(uint8_t *p, uint16_t delta)
{
	uint32_t sum = (uint16_t) ~(uint16_t)(p[0] << 8 | p[1]);
	sum += delta;
	uint16_t ck = (uint16_t)~svr_cksum_fold(sum);
	p[0] = (uint8_t)(ck >> 8);
	p[1] = (uint8_t)ck;
}

/* Fills rw's checksum deltas for packets keyed `from` rewritten to rw's addresses and ports. */
static inline void svr_rewrite_deltas(struct svr_rewrite *rw, const struct svr_skey4 *from)
{
	uint32_t ip = svr_delta_add(0, &from->src, &rw->src, 4);
	ip = svr_delta_add(ip, &from->dst, &rw->dst, 4);
	uint32_t l4 = 0;
	switch (from->proto) {
	case SVR_IPPROTO_TCP:
	case SVR_IPPROTO_UDP:
		l4 = ip; /* the pseudo-header holds the addresses */
		l4 = svr_delta_add(l4, &from->sport, &rw->sport, 2);
		l4 = svr_delta_add(l4, &from->dport, &rw->dport, 2);
		break;
	case SVR_IPPROTO_ICMP: /* no pseudo-header; the identifier */
		l4 = svr_delta_add(0, &from->sport, &rw->sport, 2);
		break;
	}
	rw->cksum_ip = svr_cksum_fold(ip);
	rw->cksum_l4 = svr_cksum_fold(l4);
}

/* Hit path: rewrites an IPv4 packet's addresses, ports and checksums (l4: transport header). */
static inline void svr_rewrite4(uint8_t *ip, uint8_t *l4, uint8_t proto,
				const struct svr_rewrite *rw)
{
	memcpy(ip + 12, &rw->src, 4);
	memcpy(ip + 16, &rw->dst, 4);
	svr_cksum_apply(ip + 10, rw->cksum_ip);
	switch (proto) {
	case SVR_IPPROTO_TCP:
		memcpy(l4, &rw->sport, 2);
		memcpy(l4 + 2, &rw->dport, 2);
		svr_cksum_apply(l4 + 16, rw->cksum_l4);
		break;
	case SVR_IPPROTO_UDP:
		memcpy(l4, &rw->sport, 2);
		memcpy(l4 + 2, &rw->dport, 2);
		if (l4[6] | l4[7]) { /* 0: the sender computed none (RFC 768) */
			svr_cksum_apply(l4 + 6, rw->cksum_l4);
			if (!(l4[6] | l4[7]))
				l4[6] = l4[7] = 0xff;
		}
		break;
	case SVR_IPPROTO_ICMP:
		memcpy(l4 + 4, &rw->sport, 2);
		svr_cksum_apply(l4 + 2, rw->cksum_l4);
		break;
	}
}

/*
 * Translates an ICMP error (IPv4, total length len, header checked) whose
 * quoted packet belongs to a session: rw is the rewrite of the error's
 * direction. The quoted packet travelled the other way, so it gets the
 * mirror image (its source is rw's destination, its ports swapped); the
 * error's destination becomes rw's; its source too when the error came from
 * the quoted packet's destination itself, or when hide_source (the
 * direction's source is translated: a router behind the NAT must not show).
 * Checksums are recomputed: errors are rare, and the quoted transport
 * checksum may be cut off.
 */
static inline void svr_rewrite_icmp_error4(uint8_t *ip, uint32_t len, uint32_t inner_off,
					   const struct svr_rewrite *rw, bool hide_source)
{
	uint32_t hlen = (uint32_t)(ip[0] & 0x0f) * 4;
	uint8_t *in = ip + inner_off;
	uint32_t in_hlen = (uint32_t)(in[0] & 0x0f) * 4;
	uint8_t *in_l4 = in + in_hlen;
	uint32_t quoted = len - inner_off - in_hlen; /* transport bytes quoted (>= 8) */
	uint8_t in_proto = in[9];

	/* From the quoted destination itself, or (hide_source) from a router behind a source
	 * NAT: the error leaves with the address the session shows on this side. */
	if (hide_source || memcmp(ip + 12, in + 16, 4) == 0)
		memcpy(ip + 12, &rw->src, 4);
	memcpy(ip + 16, &rw->dst, 4);

	/* Quoted packet: the old words, to patch its transport checksum if quoted whole. */
	uint8_t old_addrs[8], old_ports[4];
	memcpy(old_addrs, in + 12, 8);
	memcpy(old_ports, in_l4, 4);
	memcpy(in + 12, &rw->dst, 4);
	memcpy(in + 16, &rw->src, 4);
	if (in_proto == SVR_IPPROTO_ICMP) {
		memcpy(old_ports, in_l4 + 4, 2);
		memcpy(in_l4 + 4, &rw->sport, 2);
		if (quoted >= 4) {
			uint32_t d = svr_delta_add(0, old_ports, in_l4 + 4, 2);
			svr_cksum_apply(in_l4 + 2, svr_cksum_fold(d));
		}
	} else if (in_proto == SVR_IPPROTO_TCP || in_proto == SVR_IPPROTO_UDP) {
		memcpy(in_l4, &rw->dport, 2);
		memcpy(in_l4 + 2, &rw->sport, 2);
		uint32_t ck_off = in_proto == SVR_IPPROTO_TCP ? 16 : 6;
		if (quoted >= ck_off + 2 && (in_proto == SVR_IPPROTO_TCP || in_l4[6] | in_l4[7])) {
			uint32_t d = svr_delta_add(0, old_addrs, in + 12, 8);
			d = svr_delta_add(d, old_ports, in_l4, 4);
			svr_cksum_apply(in_l4 + ck_off, svr_cksum_fold(d));
			if (in_proto == SVR_IPPROTO_UDP && !(in_l4[6] | in_l4[7]))
				in_l4[6] = in_l4[7] =
				    0xff; /* RFC 768: a computed zero is sent as ones */
		}
	}
	in[10] = in[11] = 0;
	uint16_t ck = svr_cksum(in, in_hlen);
	in[10] = (uint8_t)(ck >> 8);
	in[11] = (uint8_t)ck;

	uint8_t *icmp = ip + hlen;
	icmp[2] = icmp[3] = 0;
	ck = svr_cksum(icmp, len - hlen);
	icmp[2] = (uint8_t)(ck >> 8);
	icmp[3] = (uint8_t)ck;
	ip[10] = ip[11] = 0;
	ck = svr_cksum(ip, hlen);
	ip[10] = (uint8_t)(ck >> 8);
	ip[11] = (uint8_t)ck;
}

#endif
