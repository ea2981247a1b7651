/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SVR on IP packets, on plain byte buffers (no mbufs, no DPDK), so that unit
 * tests rebuild the protocol's worked packets and the fuzz target runs them:
 * - the waypoint rewrite (addresses and ports to the peer path's),
 * - metadata inserted right after the transport header (UDP: before the
 *   datagram; TCP: as data of the segment, options kept) and stripped again,
 * - the MSS of a SYN or SYN/ACK clamped to leave room for what SVR adds.
 * Lengths (IP, UDP) and checksums (IPv4 header, UDP, TCP, ICMP) are redone in
 * full: these are first packets, not the hit path (svr_wire_resize, for the
 * trailer on every packet, is incremental).
 *
 * Both families: IPv4, and IPv6 without extension headers (the dataplane's
 * parser hands SVR only those; svr-protocol.md §6.3). ip[0] >> 4 says which.
 */
#ifndef SVR_WIRE_H
#define SVR_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/bytes.h"
#include "l2l3/cksum.h"

#define SVR_WIRE_ICMP   1
#define SVR_WIRE_TCP    6
#define SVR_WIRE_UDP    17
#define SVR_WIRE_ICMPV6 58

static inline bool svr_wire_v6(const uint8_t *ip)
{
	return (ip[0] >> 4) == 6;
}

/* The IP header's length (IPv6: the fixed 40 bytes). */
static inline size_t svr_wire_hl(const uint8_t *ip)
{
	return svr_wire_v6(ip) ? 40 : (size_t)(ip[0] & 0x0f) * 4;
}

/* The transport protocol: IPv4's protocol, IPv6's next header. */
static inline uint8_t svr_wire_proto(const uint8_t *ip)
{
	return svr_wire_v6(ip) ? ip[6] : ip[9];
}

static inline void svr_wire_set_proto(uint8_t *ip, uint8_t proto)
{
	ip[svr_wire_v6(ip) ? 6 : 9] = proto;
}

/* The packet's length from its IP header on. */
static inline size_t svr_wire_total(const uint8_t *ip)
{
	return svr_wire_v6(ip) ? 40 + (size_t)svr_rd16(ip + 4) : svr_rd16(ip + 2);
}

/* Sets the length (IPv4 total length, IPv6 payload length); IPv4's header checksum is the
 * caller's. */
static inline void svr_wire_set_total(uint8_t *ip, size_t total)
{
	if (svr_wire_v6(ip))
		svr_wr16(ip + 4, (uint16_t)(total - 40));
	else
		svr_wr16(ip + 2, (uint16_t)total);
}

/* The addresses: offset and length (source at off, destination at off + len). */
static inline size_t svr_wire_addr_off(const uint8_t *ip)
{
	return svr_wire_v6(ip) ? 8 : 12;
}

static inline size_t svr_wire_addr_len(const uint8_t *ip)
{
	return svr_wire_v6(ip) ? 16 : 4;
}

/* The pseudo-header's sum (RFC 768/793, RFC 8200 §8.1) for l4_len bytes of proto. */
static inline uint32_t svr_wire_pseudo_sum(const uint8_t *ip, uint8_t proto, size_t l4_len)
{
	uint32_t sum = svr_cksum_add(0, ip + svr_wire_addr_off(ip), 2 * svr_wire_addr_len(ip));
	return sum + proto + (uint32_t)(l4_len >> 16) + (uint32_t)(l4_len & 0xffff);
}

/* Bytes of the transport header at ip (UDP 8; TCP its data offset), or 0 if not TCP/UDP. */
static inline size_t svr_wire_l4_hlen(const uint8_t *ip)
{
	uint8_t proto = svr_wire_proto(ip);
	if (proto == SVR_WIRE_UDP)
		return 8;
	if (proto == SVR_WIRE_TCP)
		return (size_t)(ip[svr_wire_hl(ip) + 12] >> 4) * 4;
	return 0;
}

/* Offset of the transport checksum in its header (UDP, TCP, ICMP, ICMPv6). */
static inline size_t svr_wire_l4_cksum_off(uint8_t proto)
{
	return proto == SVR_WIRE_TCP ? 16 : proto == SVR_WIRE_UDP ? 6 : 2;
}

/* The ICMP of the packet's family. */
static inline uint8_t svr_wire_icmp_proto(const uint8_t *ip)
{
	return svr_wire_v6(ip) ? SVR_WIRE_ICMPV6 : SVR_WIRE_ICMP;
}

/* Recomputes the IPv4 header checksum and the transport checksum (UDP, TCP, ICMPv6 with the
 * pseudo-header; IPv4's ICMP without) over the packet's length; other protocols' headers are
 * theirs: left alone. */
static inline void svr_wire_checksums(uint8_t *ip)
{
	size_t hl = svr_wire_hl(ip), total = svr_wire_total(ip);
	uint8_t proto = svr_wire_proto(ip);
	if (!svr_wire_v6(ip)) {
		ip[10] = ip[11] = 0;
		svr_wr16(ip + 10, svr_cksum(ip, hl));
	}
	if (proto != SVR_WIRE_UDP && proto != SVR_WIRE_TCP && proto != svr_wire_icmp_proto(ip))
		return;
	uint8_t *l4 = ip + hl;
	size_t l4_len = total - hl, off = svr_wire_l4_cksum_off(proto);
	if (proto == SVR_WIRE_UDP)
		svr_wr16(l4 + 4, (uint16_t)l4_len);
	l4[off] = l4[off + 1] = 0;
	uint32_t sum = proto == SVR_WIRE_ICMP ? 0 : svr_wire_pseudo_sum(ip, proto, l4_len);
	sum = svr_cksum_add(sum, l4, l4_len);
	uint16_t ck = (uint16_t)~svr_cksum_fold(sum);
	if (proto == SVR_WIRE_UDP && ck == 0)
		ck = 0xffff; /* RFC 768 */
	svr_wr16(l4 + off, ck);
}

/*
 * The transport payload grew by n bytes (already written at its end) or shrank
 * by n (grow false): lengths and checksums follow, incrementally when the
 * bytes sit at an even offset (a trailer after a payload of even length, the
 * common case), else recomputed. TCP or UDP.
 */
static inline void svr_wire_resize(uint8_t *ip, size_t n, bool grow)
{
	size_t hl = svr_wire_hl(ip), total = svr_wire_total(ip);
	size_t new_total = grow ? total + n : total - n;
	size_t at = (grow ? total : new_total) - hl; /* offset of the bytes in the transport */
	uint8_t *l4 = ip + hl;
	uint8_t proto = svr_wire_proto(ip);
	svr_wire_set_total(ip, new_total);
	if (at % 2 || n % 2) {
		svr_wire_checksums(ip);
		return;
	}
	if (!svr_wire_v6(ip))
		svr_wr16(ip + 10, svr_cksum_update16(svr_rd16(ip + 10), (uint16_t)total,
						     (uint16_t)new_total));
	size_t off = svr_wire_l4_cksum_off(proto);
	uint16_t ck = svr_rd16(l4 + off);
	if (proto == SVR_WIRE_UDP && ck == 0 && !svr_wire_v6(ip)) {
		svr_wr16(l4 + 4, (uint16_t)(new_total - hl)); /* no checksum to keep */
		return;
	}
	/* the bytes themselves, and the length in the pseudo-header (and UDP's own field) */
	uint32_t sum = (uint16_t)~ck;
	uint32_t bytes = svr_cksum_fold(svr_cksum_add(0, l4 + at, n));
	sum += grow ? bytes : (uint16_t)~bytes;
	uint16_t old_len = (uint16_t)(total - hl), new_len = (uint16_t)(new_total - hl);
	for (int k = 0; k < (proto == SVR_WIRE_UDP ? 2 : 1); k++) {
		sum += (uint16_t)~old_len;
		sum += new_len;
	}
	if (proto == SVR_WIRE_UDP)
		svr_wr16(l4 + 4, new_len);
	ck = (uint16_t)~svr_cksum_fold(sum);
	if (proto == SVR_WIRE_UDP && ck == 0)
		ck = 0xffff;
	svr_wr16(l4 + off, ck);
}

/* The waypoint rewrite: addresses (network order, the packet's family's length) and ports
 * (host order); checksums redone. */
static inline void svr_wire_translate(uint8_t *ip, const void *src, const void *dst, uint16_t sport,
				      uint16_t dport)
{
	size_t hl = svr_wire_hl(ip), off = svr_wire_addr_off(ip), len = svr_wire_addr_len(ip);
	memcpy(ip + off, src, len);
	memcpy(ip + off + len, dst, len);
	svr_wr16(ip + hl, sport);
	svr_wr16(ip + hl + 2, dport);
	svr_wire_checksums(ip);
}

/*
 * Inserts blen bytes (block) right after the transport header of the packet
 * at ip (the buffer holds cap bytes from ip). Returns the new length, or 0
 * when the packet is not TCP/UDP or cap is too small.
 */
static inline size_t svr_wire_insert(uint8_t *ip, size_t cap, const uint8_t *block, size_t blen)
{
	size_t total = svr_wire_total(ip), hl = svr_wire_hl(ip);
	size_t l4h = svr_wire_l4_hlen(ip);
	if (l4h == 0 || total + blen > cap || total + blen - (svr_wire_v6(ip) ? 40 : 0) > 65535 ||
	    hl + l4h > total)
		return 0;
	uint8_t *at = ip + hl + l4h;
	memmove(at + blen, at, total - hl - l4h);
	memcpy(at, block, blen);
	svr_wire_set_total(ip, total + blen);
	svr_wire_checksums(ip);
	return total + blen;
}

/* Removes blen bytes after the transport header (the metadata). Returns the new length. */
static inline size_t svr_wire_strip(uint8_t *ip, size_t blen)
{
	size_t total = svr_wire_total(ip), hl = svr_wire_hl(ip);
	size_t l4h = svr_wire_l4_hlen(ip);
	if (l4h == 0 || hl + l4h + blen > total)
		return 0;
	uint8_t *at = ip + hl + l4h;
	memmove(at, at + blen, total - hl - l4h - blen);
	svr_wire_set_total(ip, total - blen);
	svr_wire_checksums(ip);
	return total - blen;
}

/*
 * Between routers every packet has a transport header (svr-protocol.md §2.1):
 * ICMP (O-9) and any protocol but TCP and UDP travel as UDP. Wrap: the
 * packet becomes UDP (sport, dport host order) with its own transport message
 * as the payload; unwrap: the inverse, back to protocol proto. cap: bytes the
 * buffer holds from ip. Returns the new length, or 0 (no room, or TCP or UDP
 * already).
 */
static inline size_t svr_wire_udp_wrap(uint8_t *ip, size_t cap, uint16_t sport, uint16_t dport)
{
	size_t hl = svr_wire_hl(ip), total = svr_wire_total(ip);
	uint8_t proto = svr_wire_proto(ip);
	if (proto == SVR_WIRE_UDP || proto == SVR_WIRE_TCP || total + 8 > cap ||
	    total + 8 - (svr_wire_v6(ip) ? 40 : 0) > 65535)
		return 0;
	memmove(ip + hl + 8, ip + hl, total - hl);
	svr_wr16(ip + hl, sport);
	svr_wr16(ip + hl + 2, dport);
	svr_wire_set_proto(ip, SVR_WIRE_UDP);
	svr_wire_set_total(ip, total + 8);
	svr_wire_checksums(ip);
	return total + 8;
}

static inline size_t svr_wire_udp_unwrap(uint8_t *ip, uint8_t proto)
{
	size_t hl = svr_wire_hl(ip), total = svr_wire_total(ip);
	bool icmp = proto == svr_wire_icmp_proto(ip);
	if (svr_wire_proto(ip) != SVR_WIRE_UDP || proto == SVR_WIRE_UDP || proto == SVR_WIRE_TCP ||
	    total < hl + 8 + (icmp ? 8 : 0))
		return 0;
	memmove(ip + hl, ip + hl + 8, total - hl - 8);
	svr_wire_set_proto(ip, proto);
	svr_wire_set_total(ip, total - 8);
	svr_wire_checksums(ip);
	return total - 8;
}

/* svr_wire_translate for a packet without TCP or UDP ports (bare: ICMP, other protocols): its
 * addresses (network order, the family's length) and an ICMP echo's identifier (network order);
 * checksums redone. */
static inline void svr_wire_translate_bare(uint8_t *ip, const void *src, const void *dst,
					   uint16_t id)
{
	size_t off = svr_wire_addr_off(ip), len = svr_wire_addr_len(ip);
	uint8_t *icmp = ip + svr_wire_hl(ip);
	memcpy(ip + off, src, len);
	memcpy(ip + off + len, dst, len);
	bool echo =
	    svr_wire_proto(ip) == svr_wire_icmp_proto(ip) &&
	    (svr_wire_v6(ip) ? icmp[0] == 128 || icmp[0] == 129 : icmp[0] == 0 || icmp[0] == 8);
	if (echo)
		memcpy(icmp + 4, &id, 2);
	svr_wire_checksums(ip);
}

/*
 * The transport header fields the HMAC trailer covers besides the payload
 * (docs/svr.md "What the HMAC covers"): those no router or NAT between the
 * waypoints rewrites, so that a signed segment cannot be turned into a FIN or
 * an RST, moved in the sequence space or shut by its window. For TCP, its
 * header bytes 4..19 with what the path may change zeroed — the data offset,
 * the reserved and ECN bits (CWR, ECE, AE: middleboxes clear them on SYNs, and
 * ECE echoes the IP header's CE mark, which any router may set), the
 * checksum — into out (16 bytes): sequence, acknowledgement, 0, flags
 * URG|ACK|PSH|RST|SYN|FIN, window, 0, 0, urgent pointer. The options are not
 * covered (middleboxes clamp the MSS); the ports neither (NATs rewrite them).
 * None for UDP (its length is set from the IP length where the trailer comes
 * off) or anything else (a packet carried as UDP has its header in the
 * payload). ip: a packet of at least 20 bytes of TCP header. Returns the
 * length written: 16 or 0.
 */
#define SVR_WIRE_HMAC_COVER_TCP 16
static inline size_t svr_wire_hmac_cover(const uint8_t *ip, uint8_t out[SVR_WIRE_HMAC_COVER_TCP])
{
	if (svr_wire_proto(ip) != SVR_WIRE_TCP)
		return 0;
	memcpy(out, ip + svr_wire_hl(ip) + 4, SVR_WIRE_HMAC_COVER_TCP);
	out[8] = 0;            /* data offset, reserved, AE */
	out[9] &= 0x3f;        /* CWR and ECE */
	out[12] = out[13] = 0; /* checksum */
	return SVR_WIRE_HMAC_COVER_TCP;
}

/*
 * Lowers the MSS option of a TCP SYN or SYN/ACK at ip to at most mss (the
 * options walked with bounds). Returns 1 when changed, 0 when not needed or
 * there is no MSS option. Checksums redone when changed.
 */
static inline int svr_wire_clamp_mss(uint8_t *ip, uint16_t mss)
{
	size_t hl = svr_wire_hl(ip);
	if (svr_wire_proto(ip) != SVR_WIRE_TCP || !(ip[hl + 13] & 0x02))
		return 0;
	uint8_t *opt = ip + hl + 20, *end = ip + hl + svr_wire_l4_hlen(ip);
	while (opt < end) {
		if (opt[0] == 0) /* end of options */
			break;
		if (opt[0] == 1) { /* no-op */
			opt++;
			continue;
		}
		if (end - opt < 2 || opt[1] < 2 || opt[1] > end - opt)
			break;
		if (opt[0] == 2 && opt[1] == 4) {
			if (svr_rd16(opt + 2) <= mss)
				return 0;
			svr_wr16(opt + 2, mss);
			svr_wire_checksums(ip);
			return 1;
		}
		opt += opt[1];
	}
	return 0;
}

#endif
