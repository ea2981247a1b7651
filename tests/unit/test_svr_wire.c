/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SVR on packets (src/dataplane/svrpath/wire.h): the client's own packets of
 * svr-protocol.md §7, rewritten to the waypoints with our metadata inserted,
 * are the protocol's V1 and V3 byte for byte; stripping and restoring from
 * the decoded forward context gives the client's packets back; MSS clamping;
 * the SVR ICMP error message (svrpath/icmp.h) byte for byte, opened again,
 * and malformed ones refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "svr/metadata.h"
#include "svrpath/icmp.h"
#include "svrpath/wire.h"
#include "hex.h"

/* An IPv4 packet (TTL 64) of proto with l4 (transport header + data), checksums done. */
static size_t ip4(uint8_t *p, uint16_t id, uint8_t proto, const char *src, const char *dst,
		  const uint8_t *l4, size_t l4_len)
{
	memset(p, 0, 20);
	p[0] = 0x45;
	svr_wr16(p + 2, (uint16_t)(20 + l4_len));
	svr_wr16(p + 4, id);
	p[8] = 64;
	p[9] = proto;
	inet_pton(AF_INET, src, p + 12);
	inet_pton(AF_INET, dst, p + 16);
	memcpy(p + 20, l4, l4_len);
	svr_wire_checksums(p);
	return 20 + l4_len;
}

/* the protocol's waypoints 203.0.113.1 (router A) and 203.0.113.2 (router B) */
static const uint8_t WP_A[4] = {203, 0, 113, 1}, WP_B[4] = {203, 0, 113, 2};

static void forward_md(struct svr_md *md, const char *dst, uint16_t sport, uint16_t dport,
		       uint8_t proto, const char *uuid, const char *service)
{
	memset(md, 0, sizeof(*md));
	md->present =
	    SVR_MDF_SECURITY_ID | SVR_MDF_FWD_CTX | SVR_MDF_UUID | SVR_MDF_TENANT | SVR_MDF_SERVICE;
	md->security_id = 1;
	md->fwd.family = 4;
	inet_pton(AF_INET, "10.0.1.10", md->fwd.src);
	inet_pton(AF_INET, dst, md->fwd.dst);
	md->fwd.sport = sport;
	md->fwd.dport = dport;
	md->fwd.proto = proto;
	unhex(uuid, md->uuid);
	svr_md_set_name(&md->tenant, "blue");
	svr_md_set_name(&md->service, service);
}

/* Egress: strip the block, restore the original tuple from the forward context. */
static size_t egress(uint8_t *p, struct svr_md *md)
{
	size_t l4h = svr_wire_l4_hlen(p);
	char err[128];
	int blen = svr_md_decode(p + 20 + l4h, svr_rd16(p + 2) - 20 - l4h, md, err, sizeof(err));
	assert_true(blen > 0);
	size_t n = svr_wire_strip(p, (size_t)blen);
	svr_wire_translate(p, md->fwd.src, md->fwd.dst, md->fwd.sport, md->fwd.dport);
	return n;
}

static void v1_from_the_client_packet(void **state)
{
	(void)state;
	uint8_t l4[64] = {0xc7, 0x38, 0x00, 0x35, 0, 12, 0, 0, 'h', 'i', '!', '\n'};
	uint8_t client[256], p[256], want[256];
	size_t cn = ip4(client, 1, 17, "10.0.1.10", "198.51.100.20", l4, 12);
	memcpy(p, client, cn);
	/* ingress A: waypoints 203.0.113.1:16386 -> 203.0.113.2:16387, forward metadata */
	svr_wire_translate(p, WP_A, WP_B, 16386, 16387);
	struct svr_md md;
	forward_md(&md, "198.51.100.20", 51000, 53, 17, "5f0e9b6a1c2d4e8f9a0b1c2d3e4f5a6b", "dns");
	uint8_t block[128];
	size_t blen = svr_md_encode(&md, block, sizeof(block), NULL);
	size_t n = svr_wire_insert(p, sizeof(p), block, blen);
	size_t wn =
	    unhex("45000068000100004011 0280 cb007101cb007102 40024003 0054 5b26"
		  "4c48dbc6ddf6670c 1014 0034 0010000400000001"
		  "0002000d0a00010ac6336414c738003511"
		  "000600105f0e9b6a1c2d4e8f9a0b1c2d3e4f5a6b 0007000462 6c7565 000a0003646e73"
		  "6869210a",
		  want);
	assert_int_equal(n, wn);
	assert_memory_equal(p, want, wn);
	/* egress B gives the client's packet back */
	struct svr_md got;
	assert_int_equal(egress(p, &got), cn);
	assert_memory_equal(p, client, cn);
	assert_string_equal(got.service.s, "dns");
}

static void v3_from_the_client_syn(void **state)
{
	(void)state;
	uint8_t tcp[64];
	size_t tl = unhex("a9f8 01bb 1a2b3c4d 00000000 6002 faf0 0000 0000 020405b4", tcp);
	uint8_t client[256], p[256], want[256];
	size_t cn = ip4(client, 2, 6, "10.0.1.10", "198.51.100.80", tcp, tl);
	memcpy(p, client, cn);
	svr_wire_translate(p, WP_A, WP_B, 16388, 16389);
	struct svr_md md;
	forward_md(&md, "198.51.100.80", 43512, 443, 6, "a1b2c3d4e5f647089a1b2c3d4e5f6071", "web");
	uint8_t block[128];
	size_t blen = svr_md_encode(&md, block, sizeof(block), NULL);
	size_t n = svr_wire_insert(p, sizeof(p), block, blen);
	size_t wn =
	    unhex("45000074000200004006027ecb007101cb007102 40044005 1a2b3c4d 00000000"
		  "6002faf0d3ed0000020405b4 4c48dbc6ddf6670c 1014 0034 0010000400000001"
		  "0002000d0a00010ac6336450a9f801bb06"
		  "00060010a1b2c3d4e5f647089a1b2c3d4e5f6071 0007000462 6c7565 000a0003776562",
		  want);
	assert_int_equal(n, wn);
	assert_memory_equal(p, want, wn);
	struct svr_md got;
	assert_int_equal(egress(p, &got), cn);
	assert_memory_equal(p, client, cn); /* seq and ack untouched throughout */
}

static void mss_clamp(void **state)
{
	(void)state;
	uint8_t tcp[64], p[256];
	/* SYN with NOP, NOP, MSS 1460, window scale */
	size_t tl =
	    unhex("a9f8 01bb 1a2b3c4d 00000000 8002 faf0 0000 0000 0101020405b4 01030307", tcp);
	ip4(p, 3, 6, "10.0.1.10", "198.51.100.80", tcp, tl);
	assert_int_equal(svr_wire_clamp_mss(p, 1500), 0); /* already below */
	assert_int_equal(svr_wire_clamp_mss(p, 1360), 1);
	assert_int_equal(svr_rd16(p + 20 + 24), 1360);
	uint8_t again[256];
	memcpy(again, p, 52);
	svr_wire_checksums(again); /* the checksums it left are the right ones */
	assert_memory_equal(again, p, 52);
	/* the SYN/ACK: clamped the same way (the egress sends it toward the ingress) */
	p[20 + 13] = 0x12;
	svr_wire_checksums(p);
	assert_int_equal(svr_wire_clamp_mss(p, 1200), 1);
	assert_int_equal(svr_rd16(p + 20 + 24), 1200);
	memcpy(again, p, 52);
	svr_wire_checksums(again);
	assert_memory_equal(again, p, 52);
	/* not a SYN: untouched */
	p[20 + 13] = 0x10;
	assert_int_equal(svr_wire_clamp_mss(p, 1000), 0);
	/* an option claiming to run past the header: walked with bounds, nothing changed */
	tl = unhex("a9f8 01bb 1a2b3c4d 00000000 6002 faf0 0000 0000 02ff05b4", tcp);
	ip4(p, 4, 6, "10.0.1.10", "198.51.100.80", tcp, tl);
	assert_int_equal(svr_wire_clamp_mss(p, 1000), 0);
	/* UDP, and a buffer too small to insert into */
	uint8_t l4[12] = {0, 1, 0, 2, 0, 12, 0, 0, 'a', 'b', 'c', 'd'};
	size_t n = ip4(p, 5, 17, "10.0.1.10", "198.51.100.80", l4, 12);
	assert_int_equal(svr_wire_clamp_mss(p, 1000), 0);
	uint8_t block[8] = {0};
	assert_int_equal(svr_wire_insert(p, n + 7, block, 8), 0);
	assert_int_equal(svr_wire_insert(p, n + 8, block, 8), n + 8);
	assert_int_equal(svr_rd16(p + 24), 20); /* UDP length follows */
}

/* An IPv6 packet (hop limit 64, no extension headers) of next header nh with l4, checksums
 * done. */
static size_t ip6(uint8_t *p, uint8_t nh, const char *src, const char *dst, const uint8_t *l4,
		  size_t l4_len)
{
	memset(p, 0, 40);
	p[0] = 0x60;
	svr_wr16(p + 4, (uint16_t)l4_len);
	p[6] = nh;
	p[7] = 64;
	inet_pton(AF_INET6, src, p + 8);
	inet_pton(AF_INET6, dst, p + 24);
	memcpy(p + 40, l4, l4_len);
	svr_wire_checksums(p);
	return 40 + l4_len;
}

/* The transport checksum checked the long way, apart from wire.h: the ones'-complement sum of
 * the pseudo-header (RFC 8200 §8.1; IPv4 RFC 793) and the transport bytes is 0xffff. */
static bool l4_checksum_ok(const uint8_t *ip)
{
	bool v6 = ip[0] >> 4 == 6;
	size_t hl = v6 ? 40 : (size_t)(ip[0] & 15) * 4;
	size_t total = v6 ? 40 + svr_rd16(ip + 4) : svr_rd16(ip + 2), len = total - hl;
	uint8_t proto = v6 ? ip[6] : ip[9];
	uint64_t sum = 0;
	const uint8_t *a = ip + (v6 ? 8 : 12);
	if (proto != 1) { /* IPv4's ICMP has no pseudo-header */
		for (size_t i = 0; i < (v6 ? 32u : 8u); i += 2)
			sum += (uint32_t)(a[i] << 8 | a[i + 1]);
		sum += proto + (len >> 16) + (len & 0xffff);
	}
	for (size_t i = 0; i < len; i += 2)
		sum += (uint32_t)(ip[hl + i] << 8 | (i + 1 < len ? ip[hl + i + 1] : 0));
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/* IPv6: the waypoint rewrite, metadata in and out, the trailer's resize, ICMPv6 echo as UDP and
 * back, the MSS clamp; every step leaves a right checksum, and the way back gives the client's
 * packet byte for byte. */
static void ipv6_packets(void **state)
{
	(void)state;
	uint8_t wa[16], wb[16], client_addr[16], server_addr[16];
	inet_pton(AF_INET6, "2001:db8:ffff::1", wa);
	inet_pton(AF_INET6, "2001:db8:ffff::2", wb);
	inet_pton(AF_INET6, "2001:db8:1::10", client_addr);
	inet_pton(AF_INET6, "2001:db8:2::20", server_addr);
	/* UDP */
	uint8_t l4[64] = {0xc7, 0x38, 0x00, 0x35, 0, 13, 0, 0, 'h', 'i', '!', '\n', 'x'};
	uint8_t client[512], p[512];
	size_t cn = ip6(client, 17, "2001:db8:1::10", "2001:db8:2::20", l4, 13);
	assert_true(l4_checksum_ok(client));
	assert_int_equal(svr_wire_hl(client), 40);
	assert_int_equal(svr_wire_total(client), cn);
	assert_int_equal(svr_wire_l4_hlen(client), 8);
	memcpy(p, client, cn);
	svr_wire_translate(p, wa, wb, 16386, 16387);
	assert_memory_equal(p + 8, wa, 16);
	assert_memory_equal(p + 24, wb, 16);
	assert_true(l4_checksum_ok(p));
	uint8_t block[41]; /* 40 for the metadata; 41 puts a trailer at an odd offset */
	for (size_t i = 0; i < sizeof(block); i++)
		block[i] = (uint8_t)(0xa0 + i);
	size_t n = svr_wire_insert(p, sizeof(p), block, 40);
	assert_int_equal(n, cn + 40);
	assert_int_equal(svr_rd16(p + 4), 8 + 40 + 5);  /* payload length */
	assert_int_equal(svr_rd16(p + 44), 8 + 40 + 5); /* UDP length */
	assert_memory_equal(p + 48, block, 40);
	assert_true(l4_checksum_ok(p));
	/* a trailer of 16 bytes: incremental at an even offset... */
	for (int odd = 0; odd <= 1; odd++) {
		uint8_t q[512];
		size_t qn =
		    svr_wire_insert(memcpy(q, client, cn), sizeof(q), block, 40 + (size_t)odd);
		memset(q + qn, 0x5c, 16);
		svr_wire_resize(q, 16, true);
		assert_int_equal(svr_wire_total(q), qn + 16);
		assert_true(l4_checksum_ok(q)); /* ...and redone in full at an odd one */
		svr_wire_resize(q, 16, false);
		assert_int_equal(svr_wire_total(q), qn);
		assert_true(l4_checksum_ok(q));
	}
	assert_int_equal(svr_wire_strip(p, 40), cn);
	svr_wire_translate(p, client_addr, server_addr, 0xc738, 0x0035);
	assert_memory_equal(p, client, cn);

	/* TCP SYN: MSS clamp and metadata in the SYN */
	uint8_t tcp[64];
	size_t tl = unhex("a9f8 01bb 1a2b3c4d 00000000 6002 faf0 0000 0000 020405a0", tcp);
	cn = ip6(client, 6, "2001:db8:1::10", "2001:db8:2::20", tcp, tl);
	memcpy(p, client, cn);
	assert_int_equal(svr_wire_clamp_mss(p, 1200), 1);
	assert_int_equal(svr_rd16(p + 40 + 22), 1200);
	assert_true(l4_checksum_ok(p));
	assert_int_equal(svr_wire_insert(p, sizeof(p), block, 20), cn + 20);
	assert_true(l4_checksum_ok(p));
	assert_int_equal(svr_wire_strip(p, 20), cn);
	assert_true(l4_checksum_ok(p));

	/* ICMPv6 echo request crossing as UDP, and back */
	uint8_t echo[16] = {128, 0, 0, 0, 0x12, 0x34, 0, 1, 'p', 'i', 'n', 'g'};
	cn = ip6(client, 58, "2001:db8:1::10", "2001:db8:2::20", echo, 12);
	assert_true(l4_checksum_ok(client));
	memcpy(p, client, cn);
	uint16_t id = htons(0x4321);
	svr_wire_translate_bare(p, wa, wb, id);
	assert_true(l4_checksum_ok(p));
	assert_int_equal(svr_rd16(p + 44), 0x4321);
	assert_int_equal(svr_wire_udp_wrap(p, cn + 7, 16390, 16391), 0); /* no room */
	assert_int_equal(svr_wire_udp_wrap(p, sizeof(p), 16390, 16391), cn + 8);
	assert_int_equal(svr_wire_proto(p), 17);
	assert_true(l4_checksum_ok(p));
	assert_int_equal(svr_wire_udp_unwrap(p, svr_wire_icmp_proto(p)), cn);
	assert_int_equal(svr_wire_proto(p), 58);
	svr_wire_translate_bare(p, client_addr, server_addr, htons(0x1234));
	assert_memory_equal(p, client, cn);
	/* a packet already UDP is not wrapped again */
	assert_int_equal(svr_wire_udp_wrap(p, sizeof(p), 16390, 16391), cn + 8);
	assert_int_equal(svr_wire_udp_wrap(p, sizeof(p), 16390, 16391), 0);
}

/* The IPv4 resize against a full recompute, and IPv4's ICMP echo as UDP and back. */
static void ipv4_resize_and_echo(void **state)
{
	(void)state;
	uint8_t l4[64] = {0xc7, 0x38, 0x00, 0x35, 0, 12, 0, 0, 'h', 'i', '!', '\n'};
	uint8_t p[256], full[256];
	size_t n = ip4(p, 9, 17, "198.18.1.10", "198.18.2.20", l4, 12);
	memset(p + n, 0x77, 16);
	svr_wire_resize(p, 16, true);
	memcpy(full, p, n + 16);
	svr_wire_checksums(full);
	assert_memory_equal(p, full, n + 16);
	assert_true(l4_checksum_ok(p));
	uint8_t echo[16] = {8, 0, 0, 0, 0x12, 0x34, 0, 1, 'p', 'i', 'n', 'g'};
	uint8_t client[256];
	size_t cn = ip4(client, 10, 1, "198.18.1.10", "198.18.2.20", echo, 12);
	client[20 + 2] = client[20 + 3] = 0; /* the ICMP checksum the way a host computes it */
	svr_wr16(client + 22, svr_cksum(client + 20, 12));
	memcpy(p, client, cn);
	svr_wire_checksums(p);
	assert_memory_equal(p, client, cn); /* the same ICMP checksum: no pseudo-header */
	assert_int_equal(svr_wire_udp_wrap(p, sizeof(p), 16390, 16391), cn + 8);
	assert_true(l4_checksum_ok(p));
	assert_int_equal(svr_wire_udp_unwrap(p, svr_wire_icmp_proto(p)), cn);
	assert_memory_equal(p, client, cn);
}

/* A protocol neither TCP, UDP nor ICMP (GRE here) crosses as UDP too: its own header is never
 * touched (no checksum of ours written into it), and it comes back byte for byte. */
static void other_protocol_as_udp(void **state)
{
	(void)state;
	/* GRE: flags 0, protocol 0x0800, then an inner packet's first bytes */
	uint8_t gre[16] = {0x00, 0x00, 0x08, 0x00, 0x45, 0x00, 0x00, 0x54, 8, 0, 0x12, 0x34};
	uint8_t client[256], p[256];
	size_t cn = ip4(client, 11, 47, "198.18.1.10", "198.18.2.20", gre, 12);
	memcpy(p, client, cn);
	svr_wire_checksums(p);
	assert_memory_equal(p, client, cn); /* its header stays GRE's */
	uint8_t wa[4] = {203, 0, 113, 1}, wb[4] = {203, 0, 113, 2};
	svr_wire_translate_bare(p, wa, wb, htons(0x4321));
	assert_memory_equal(p + 20, gre, 12); /* addresses only: no "identifier" written */
	assert_int_equal(svr_wire_udp_wrap(p, sizeof(p), 16392, 16393), cn + 8);
	assert_int_equal(svr_wire_proto(p), 17);
	assert_true(l4_checksum_ok(p));
	assert_memory_equal(p + 28, gre, 12);
	assert_int_equal(svr_wire_udp_unwrap(p, 6), 0); /* never back into TCP or UDP */
	assert_int_equal(svr_wire_udp_unwrap(p, 47), cn);
	assert_int_equal(svr_wire_proto(p), 47);
	uint8_t ca[4] = {198, 18, 1, 10}, sa[4] = {198, 18, 2, 20};
	svr_wire_translate_bare(p, ca, sa, 0);
	assert_memory_equal(p, client, cn);
	/* a TCP or UDP packet is not wrapped */
	cn = ip4(client, 12, 17, "198.18.1.10", "198.18.2.20",
		 (const uint8_t[]){0, 1, 0, 2, 0, 8, 0, 0}, 8);
	assert_int_equal(svr_wire_udp_wrap(client, sizeof(client), 16392, 16393), 0);
}

/* A port unreachable in waypoint form (from B's waypoint, the endpoint itself, to A's) quoting
 * A's UDP datagram 16384 -> 16385 with a 5-byte payload (cut to 8 transport bytes on the wire). */
static size_t port_unreachable(uint8_t *p)
{
	uint8_t udp[13] = {0x40, 0x00, 0x40, 0x01, 0x00, 13, 0, 0, 'h', 'e', 'l', 'l', 'o'};
	uint8_t q[64], icmp[64] = {3, 3, 0, 0, 0, 0, 0, 0};
	size_t qn = ip4(q, 0x1234, SVR_WIRE_UDP, "203.0.113.1", "203.0.113.2", udp, sizeof(udp));
	memcpy(icmp + 8, q, qn);
	icmp[2] = icmp[3] = 0;
	svr_wr16(icmp + 2, svr_cksum(icmp, 8 + qn));
	size_t n = ip4(p, 7, SVR_WIRE_ICMP, "203.0.113.2", "203.0.113.1", icmp, 8 + qn);
	return n;
}

static void icmp_error_message(void **state)
{
	(void)state;
	uint8_t p[256] = {0}, orig[256];
	size_t n = port_unreachable(p);
	memcpy(orig, p, n);
	uint32_t a, b;
	memcpy(&a, WP_A, 4);
	memcpy(&b, WP_B, 4);
	/* B's router carries it to A's on the session's ports B:16385 -> A:16384 */
	size_t len = svr_icmp_msg_wrap(p, sizeof(p), b, a, htons(16385), htons(16384), 7, b);
	assert_int_equal(len, svr_icmp_msg_len(orig));
	assert_int_equal(len, 20 + 8 + 28 + 8 + 20 + 8);
	/* IPv4: 92 bytes, DF, TTL 65 (leaves with 64), UDP, B -> A; checksum right */
	assert_int_equal(p[0], 0x45);
	assert_int_equal(svr_rd16(p + 2), 92);
	assert_int_equal(p[6], 0x40);
	assert_int_equal(p[8], 65);
	assert_int_equal(p[9], 17);
	assert_memory_equal(p + 12, WP_B, 4);
	assert_memory_equal(p + 16, WP_A, 4);
	assert_int_equal(svr_cksum(p, 20), 0);
	/* UDP: the session's ports, length 72, checksum right */
	assert_int_equal(svr_rd16(p + 20), 16385);
	assert_int_equal(svr_rd16(p + 22), 16384);
	assert_int_equal(svr_rd16(p + 24), 72);
	uint16_t ck = svr_rd16(p + 26);
	p[26] = p[27] = 0;
	uint16_t want = (uint16_t)~svr_cksum_fold(
	    svr_cksum_add(svr_wire_pseudo_sum(p, SVR_WIRE_UDP, 72), p + 20, 72));
	assert_int_equal(ck, want ? want : 0xffff);
	svr_wr16(p + 26, ck);
	/* the metadata: cookie, version 1 with HL 28, PL 0; TLV 16 = 7; TLV 20 = B's waypoint */
	uint8_t md[28];
	unhex("4c48dbc6ddf6670c"
	      "101c"
	      "0000"
	      "0010000400000007"
	      "00140004cb007102",
	      md);
	assert_memory_equal(p + 28, md, 28);
	struct svr_md d;
	assert_int_equal(svr_md_decode(p + 28, 28, &d, NULL, 0), 28);
	assert_true(d.present & SVR_MDF_ICMP_ERR_LOC4);
	assert_memory_equal(&d.icmp_err_loc4, WP_B, 4);
	/* the ICMP error: its header as it came, the quoted IP header, 8 transport bytes; its
	 * checksum over those 36 bytes */
	const uint8_t *icmp = p + 56;
	assert_memory_equal(icmp, "\x03\x03", 2);
	assert_memory_equal(icmp + 4, orig + 24, 4 + 20 + 8);
	assert_int_equal(svr_cksum(icmp, 36), 0);

	/* the peer: recognised, opened back into the error from the location TLV 20 names */
	assert_true(svr_icmp_msg_is(p, 20));
	uint8_t keep[256];
	memcpy(keep, p, len);
	uint32_t sec = 0;
	size_t back = svr_icmp_msg_open(p, &sec);
	assert_int_equal(back, 20 + 36);
	assert_int_equal(sec, 7);
	assert_int_equal(p[9], SVR_WIRE_ICMP);
	assert_memory_equal(p + 12, WP_B, 4);
	assert_memory_equal(p + 16, WP_A, 4);
	assert_int_equal(svr_cksum(p, 20), 0);
	assert_memory_equal(p + 20, icmp, 36);

	/* refused: a payload section, no TLV 20, an echo, a longer quote, a bad ICMP checksum */
	memcpy(p, keep, len);
	p[28 + 11] = 1;
	assert_int_equal(svr_icmp_msg_open(p, &sec), 0);
	memcpy(p, keep, len);
	p[28 + 21] = 19; /* TLV 20 becomes an unknown type 19 */
	assert_false(svr_icmp_msg_is(p, 20));
	assert_int_equal(svr_icmp_msg_open(p, &sec), 0);
	memcpy(p, keep, len);
	p[56] = 8;
	assert_int_equal(svr_icmp_msg_open(p, &sec), 0);
	memcpy(p, keep, len);
	p[58] ^= 1;
	assert_int_equal(svr_icmp_msg_open(p, &sec), 0);
	memcpy(p, keep, len);
	p[len] = 0;
	svr_wr16(p + 2, (uint16_t)(len + 1)); /* 9 quoted transport bytes */
	assert_int_equal(svr_icmp_msg_open(p, &sec), 0);
	/* the false-positive marker, and a datagram that is not UDP, are no message */
	memcpy(p, keep, len);
	svr_md_marker(p + 28);
	assert_false(svr_icmp_msg_is(p, 20));
	memcpy(p, keep, len);
	p[9] = SVR_WIRE_TCP;
	assert_false(svr_icmp_msg_is(p, 20));
	/* an error quoting fewer than 8 transport bytes is not carried */
	n = port_unreachable(p);
	svr_wr16(p + 2, (uint16_t)(20 + 8 + 20 + 7));
	assert_int_equal(svr_icmp_msg_len(p), 0);
	assert_int_equal(svr_icmp_msg_wrap(p, sizeof(p), b, a, 1, 2, 7, b), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(v1_from_the_client_packet),
	    cmocka_unit_test(v3_from_the_client_syn),
	    cmocka_unit_test(mss_clamp),
	    cmocka_unit_test(ipv6_packets),
	    cmocka_unit_test(ipv4_resize_and_echo),
	    cmocka_unit_test(other_protocol_as_udp),
	    cmocka_unit_test(icmp_error_message),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
