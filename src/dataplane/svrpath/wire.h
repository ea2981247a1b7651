/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SVR on IPv4 packets, on plain byte buffers (no mbufs, no DPDK), so that unit
 * tests rebuild the protocol's worked packets and the fuzz target runs them:
 * - the waypoint rewrite (addresses and ports to the peer path's),
 * - metadata inserted right after the transport header (UDP: before the
 *   datagram; TCP: as data of the segment, options kept) and stripped again,
 * - the MSS of a SYN or SYN/ACK clamped to leave room for what SVR adds.
 * Lengths (IP total, UDP) and checksums (IP, UDP, TCP) are redone in full:
 * these are first packets, not the hit path.
 */
#ifndef SVR_WIRE_H
#define SVR_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "l2l3/cksum.h"

#define SVR_WIRE_TCP 6
#define SVR_WIRE_UDP 17

static inline uint16_t svr_wire_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void svr_wire_wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Bytes of the transport header at ip (UDP 8; TCP its data offset), or 0 if not TCP/UDP. */
static inline size_t svr_wire_l4_hlen(const uint8_t *ip)
{
	size_t hl = (size_t)(ip[0] & 0x0f) * 4;
	if (ip[9] == SVR_WIRE_UDP)
		return 8;
	if (ip[9] == SVR_WIRE_TCP)
		return (size_t)(ip[hl + 12] >> 4) * 4;
	return 0;
}

/* Recomputes the IPv4 header checksum and the UDP/TCP checksum over total bytes. */
static inline void svr_wire_checksums4(uint8_t *ip)
{
	size_t hl = (size_t)(ip[0] & 0x0f) * 4, total = svr_wire_rd16(ip + 2);
	ip[10] = ip[11] = 0;
	svr_wire_wr16(ip + 10, svr_cksum(ip, hl));
	uint8_t *l4 = ip + hl;
	size_t l4_len = total - hl, off = ip[9] == SVR_WIRE_TCP ? 16 : 6;
	if (ip[9] == SVR_WIRE_UDP)
		svr_wire_wr16(l4 + 4, (uint16_t)l4_len);
	l4[off] = l4[off + 1] = 0;
	uint32_t sum = svr_cksum_add(0, ip + 12, 8);
	sum += ip[9];
	sum += (uint32_t)l4_len;
	sum = svr_cksum_add(sum, l4, l4_len);
	uint16_t ck = (uint16_t)~svr_cksum_fold(sum);
	if (ip[9] == SVR_WIRE_UDP && ck == 0)
		ck = 0xffff; /* RFC 768 */
	svr_wire_wr16(l4 + off, ck);
}

/*
 * The transport payload grew by n bytes (already written at its end) or shrank
 * by n (grow false): lengths and checksums follow, incrementally when the
 * bytes sit at an even offset (a trailer after a payload of even length, the
 * common case), else recomputed.
 */
static inline void svr_wire_resize4(uint8_t *ip, size_t n, bool grow)
{
	size_t hl = (size_t)(ip[0] & 0x0f) * 4, total = svr_wire_rd16(ip + 2);
	size_t new_total = grow ? total + n : total - n;
	size_t at = (grow ? total : new_total) - hl; /* offset of the bytes in the transport */
	uint8_t *l4 = ip + hl;
	if (at % 2 || n % 2) {
		svr_wire_wr16(ip + 2, (uint16_t)new_total);
		svr_wire_checksums4(ip);
		return;
	}
	uint16_t old_total = (uint16_t)total;
	svr_wire_wr16(ip + 2, (uint16_t)new_total);
	svr_wire_wr16(ip + 10,
		      svr_cksum_update16(svr_wire_rd16(ip + 10), old_total, (uint16_t)new_total));
	size_t off = ip[9] == SVR_WIRE_TCP ? 16 : 6;
	uint16_t ck = svr_wire_rd16(l4 + off);
	if (ip[9] == SVR_WIRE_UDP && ck == 0) {
		svr_wire_wr16(l4 + 4, (uint16_t)(new_total - hl)); /* no checksum to keep */
		return;
	}
	/* the bytes themselves, and the length in the pseudo-header (and UDP's own field) */
	uint32_t sum = (uint16_t)~ck;
	uint32_t bytes = svr_cksum_fold(svr_cksum_add(0, l4 + at, n));
	sum += grow ? bytes : (uint16_t)~bytes;
	uint16_t old_len = (uint16_t)(total - hl), new_len = (uint16_t)(new_total - hl);
	for (int k = 0; k < (ip[9] == SVR_WIRE_UDP ? 2 : 1); k++) {
		sum += (uint16_t)~old_len;
		sum += new_len;
	}
	if (ip[9] == SVR_WIRE_UDP)
		svr_wire_wr16(l4 + 4, new_len);
	ck = (uint16_t)~svr_cksum_fold(sum);
	if (ip[9] == SVR_WIRE_UDP && ck == 0)
		ck = 0xffff;
	svr_wire_wr16(l4 + off, ck);
}

/* The waypoint rewrite: addresses (network order) and ports (host order); checksums redone. */
static inline void svr_wire_translate4(uint8_t *ip, uint32_t src, uint32_t dst, uint16_t sport,
				       uint16_t dport)
{
	size_t hl = (size_t)(ip[0] & 0x0f) * 4;
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	svr_wire_wr16(ip + hl, sport);
	svr_wire_wr16(ip + hl + 2, dport);
	svr_wire_checksums4(ip);
}

/*
 * Inserts blen bytes (block) right after the transport header of the packet
 * at ip (its IP total length in bytes; the buffer holds cap). Returns the new
 * total length, or 0 when the packet is not TCP/UDP or cap is too small.
 */
static inline size_t svr_wire_insert4(uint8_t *ip, size_t cap, const uint8_t *block, size_t blen)
{
	size_t total = svr_wire_rd16(ip + 2), hl = (size_t)(ip[0] & 0x0f) * 4;
	size_t l4h = svr_wire_l4_hlen(ip);
	if (l4h == 0 || total + blen > cap || total + blen > 65535 || hl + l4h > total)
		return 0;
	uint8_t *at = ip + hl + l4h;
	memmove(at + blen, at, total - hl - l4h);
	memcpy(at, block, blen);
	svr_wire_wr16(ip + 2, (uint16_t)(total + blen));
	svr_wire_checksums4(ip);
	return total + blen;
}

/* Removes blen bytes after the transport header (the metadata). Returns the new total length. */
static inline size_t svr_wire_strip4(uint8_t *ip, size_t blen)
{
	size_t total = svr_wire_rd16(ip + 2), hl = (size_t)(ip[0] & 0x0f) * 4;
	size_t l4h = svr_wire_l4_hlen(ip);
	if (l4h == 0 || hl + l4h + blen > total)
		return 0;
	uint8_t *at = ip + hl + l4h;
	memmove(at, at + blen, total - hl - l4h - blen);
	svr_wire_wr16(ip + 2, (uint16_t)(total - blen));
	svr_wire_checksums4(ip);
	return total - blen;
}

/*
 * ICMP between routers travels as UDP (svr-protocol.md O-9). Wrap: an IPv4
 * ICMP packet becomes UDP (sport, dport host order) with the ICMP message as
 * its payload; unwrap: the inverse. cap: bytes the buffer holds from ip.
 * Returns the new total length, or 0 (no room, or not the protocol expected).
 */
static inline size_t svr_wire_udp_wrap4(uint8_t *ip, size_t cap, uint16_t sport, uint16_t dport)
{
	size_t hl = (size_t)(ip[0] & 0x0f) * 4, total = svr_wire_rd16(ip + 2);
	if (ip[9] != 1 || total + 8 > cap || total + 8 > 65535)
		return 0;
	memmove(ip + hl + 8, ip + hl, total - hl);
	svr_wire_wr16(ip + hl, sport);
	svr_wire_wr16(ip + hl + 2, dport);
	ip[9] = SVR_WIRE_UDP;
	svr_wire_wr16(ip + 2, (uint16_t)(total + 8));
	svr_wire_checksums4(ip);
	return total + 8;
}

static inline size_t svr_wire_udp_unwrap4(uint8_t *ip)
{
	size_t hl = (size_t)(ip[0] & 0x0f) * 4, total = svr_wire_rd16(ip + 2);
	if (ip[9] != SVR_WIRE_UDP || total < hl + 8 + 8)
		return 0;
	memmove(ip + hl, ip + hl + 8, total - hl - 8);
	ip[9] = 1;
	svr_wire_wr16(ip + 2, (uint16_t)(total - 8));
	ip[10] = ip[11] = 0;
	svr_wire_wr16(ip + 10, svr_cksum(ip, hl));
	return total - 8;
}

/* An ICMP echo's addresses (network order) and identifier (network order); checksums redone. */
static inline void svr_wire_icmp_translate4(uint8_t *ip, uint32_t src, uint32_t dst, uint16_t id)
{
	size_t hl = (size_t)(ip[0] & 0x0f) * 4, total = svr_wire_rd16(ip + 2);
	uint8_t *icmp = ip + hl;
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	if (icmp[0] == 0 || icmp[0] == 8)
		memcpy(icmp + 4, &id, 2);
	icmp[2] = icmp[3] = 0;
	svr_wire_wr16(icmp + 2, svr_cksum(icmp, total - hl));
	ip[10] = ip[11] = 0;
	svr_wire_wr16(ip + 10, svr_cksum(ip, hl));
}

/*
 * Lowers the MSS option of a TCP SYN or SYN/ACK at ip to at most mss (the
 * options walked with bounds). Returns 1 when changed, 0 when not needed or
 * there is no MSS option. Checksums redone when changed.
 */
static inline int svr_wire_clamp_mss4(uint8_t *ip, uint16_t mss)
{
	size_t hl = (size_t)(ip[0] & 0x0f) * 4;
	if (ip[9] != SVR_WIRE_TCP || !(ip[hl + 13] & 0x02))
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
			if (svr_wire_rd16(opt + 2) <= mss)
				return 0;
			svr_wire_wr16(opt + 2, mss);
			svr_wire_checksums4(ip);
			return 1;
		}
		opt += opt[1];
	}
	return 0;
}

#endif
