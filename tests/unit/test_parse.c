/* SPDX-License-Identifier: BSD-3-Clause */
/* Header validation: one case per drop reason, on malloc'd buffers so ASan sees overreads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "l2l3/parse.h"

/* A valid 198.18.0.5 -> 198.18.1.7 UDP header (checksum filled in by ip4_fix). */
static uint8_t *ip4_new(size_t len)
{
	uint8_t *ip = calloc(1, len);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(len >> 8);
	ip[3] = (uint8_t)len;
	ip[8] = 64;
	ip[9] = 17;
	const uint8_t src[4] = {198, 18, 0, 5}, dst[4] = {198, 18, 1, 7};
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	return ip;
}

static void ip4_fix(uint8_t *ip)
{
	unsigned hlen = (ip[0] & 0x0f) * 4u;
	ip[10] = ip[11] = 0;
	uint16_t ck = svr_cksum(ip, hlen);
	ip[10] = (uint8_t)(ck >> 8);
	ip[11] = (uint8_t)ck;
}

static void eth_untagged_and_tagged(void **state)
{
	(void)state;
	uint8_t *f = calloc(1, 64);
	struct svr_eth_info e;
	f[12] = 0x08;
	assert_int_equal(svr_parse_eth(f, 64, &e), SVR_DROP_MAX);
	assert_int_equal(e.ethertype, SVR_ETHERTYPE_IPV4);
	assert_int_equal(e.vlan, 0);
	assert_int_equal(e.l3_off, 14);
	assert_false(e.dst_group);

	f[0] = 0xff;
	f[12] = 0x81;
	f[13] = 0x00;
	f[14] = 0x20; /* PCP 1, VLAN 0x005 */
	f[15] = 0x05;
	f[16] = 0x86;
	f[17] = 0xdd;
	assert_int_equal(svr_parse_eth(f, 64, &e), SVR_DROP_MAX);
	assert_int_equal(e.vlan, 5);
	assert_int_equal(e.ethertype, SVR_ETHERTYPE_IPV6);
	assert_int_equal(e.l3_off, 18);
	assert_true(e.dst_group);
	free(f);
}

static void eth_short(void **state)
{
	(void)state;
	uint8_t *f = calloc(1, 17);
	struct svr_eth_info e;
	assert_int_equal(svr_parse_eth(f, 13, &e), SVR_DROP_ETH_SHORT);
	f[12] = 0x81;
	assert_int_equal(svr_parse_eth(f, 17, &e), SVR_DROP_ETH_SHORT);
	free(f);
}

static void ip4_valid(void **state)
{
	(void)state;
	uint8_t *ip = ip4_new(28);
	ip4_fix(ip);
	assert_int_equal(svr_check_ip4(ip, 28, false), SVR_DROP_MAX);
	/* Ethernet padding after the datagram is fine. */
	uint8_t *padded = calloc(1, 46);
	memcpy(padded, ip, 28);
	assert_int_equal(svr_check_ip4(padded, 46, false), SVR_DROP_MAX);
	free(padded);
	free(ip);
}

static void ip4_each_drop_reason(void **state)
{
	(void)state;
	uint8_t *ip = ip4_new(28);
	ip4_fix(ip);
	assert_int_equal(svr_check_ip4(ip, 19, false), SVR_DROP_IP4_SHORT);

	ip[0] = 0x65;
	assert_int_equal(svr_check_ip4(ip, 28, false), SVR_DROP_IP4_VERSION);
	ip[0] = 0x44;
	assert_int_equal(svr_check_ip4(ip, 28, false), SVR_DROP_IP4_HDRLEN);
	ip[0] = 0x48; /* 32-byte header in a 28-byte packet */
	assert_int_equal(svr_check_ip4(ip, 28, false), SVR_DROP_IP4_HDRLEN);
	ip[0] = 0x45;

	ip[3] = 60; /* total length beyond the frame */
	assert_int_equal(svr_check_ip4(ip, 28, true), SVR_DROP_IP4_TOTLEN);
	ip[3] = 16; /* below the header length */
	assert_int_equal(svr_check_ip4(ip, 28, true), SVR_DROP_IP4_TOTLEN);
	ip[3] = 28;

	ip4_fix(ip);
	ip[11] ^= 1;
	assert_int_equal(svr_check_ip4(ip, 28, false), SVR_DROP_IP4_CKSUM);
	/* When the NIC has verified the checksum the software check is skipped. */
	assert_int_equal(svr_check_ip4(ip, 28, true), SVR_DROP_MAX);

	const uint8_t martians[] = {0, 127, 224, 239, 255};
	for (size_t i = 0; i < sizeof(martians); i++) {
		ip[12] = martians[i];
		ip4_fix(ip);
		assert_int_equal(svr_check_ip4(ip, 28, false), SVR_DROP_IP4_SRC);
	}
	ip[12] = 198;
	const uint8_t bad_dst[] = {0, 127};
	for (size_t i = 0; i < sizeof(bad_dst); i++) {
		ip[16] = bad_dst[i];
		ip4_fix(ip);
		assert_int_equal(svr_check_ip4(ip, 28, false), SVR_DROP_IP4_DST);
	}
	free(ip);
}

/* A 198.18.0.5 -> 198.18.1.7 header carrying the option bytes opt (a multiple of 4), then 8
 * bytes of UDP; the buffer is exactly the datagram, so ASan sees any read past the options. */
static uint8_t *ip4_options(const uint8_t *opt, size_t n, size_t *len)
{
	*len = 20 + n + 8;
	uint8_t *ip = ip4_new(*len);
	ip[0] = (uint8_t)(0x40 | (20 + n) / 4);
	memcpy(ip + 20, opt, n);
	ip4_fix(ip);
	return ip;
}

static enum svr_drop_reason check_options(const uint8_t *opt, size_t n)
{
	size_t len;
	uint8_t *ip = ip4_options(opt, n, &len);
	enum svr_drop_reason r = svr_check_ip4(ip, (uint32_t)len, false);
	free(ip);
	return r;
}

static void ip4_source_routes_and_options(void **state)
{
	(void)state;
	/* loose and strict source routes: one hop, 198.19.0.9 (then EOL padding) */
	const uint8_t lsrr[8] = {131, 7, 4, 198, 19, 0, 9, 0};
	const uint8_t ssrr[8] = {137, 7, 4, 198, 19, 0, 9, 0};
	assert_int_equal(check_options(lsrr, 8), SVR_DROP_SOURCE_ROUTE);
	assert_int_equal(check_options(ssrr, 8), SVR_DROP_SOURCE_ROUTE);
	/* behind NOPs and a record route: still found */
	const uint8_t behind[16] = {1, 1, 7, 7, 4, 0, 0, 0, 0, 131, 7, 4, 198, 19, 0, 9};
	assert_int_equal(check_options(behind, 16), SVR_DROP_SOURCE_ROUTE);
	/* after End of Option List the rest is padding, whatever it holds */
	const uint8_t after_eol[8] = {1, 0, 131, 7, 4, 198, 19, 0};
	assert_int_equal(check_options(after_eol, 8), SVR_DROP_MAX);
	/* harmless options pass: record route, NOPs, a timestamp filling the header exactly */
	const uint8_t rr[12] = {1, 7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0};
	assert_int_equal(check_options(rr, 12), SVR_DROP_MAX);
	const uint8_t ts[4] = {68, 4, 5, 0};
	assert_int_equal(check_options(ts, 4), SVR_DROP_MAX);
	/* lengths that do not fit: below 2 (would loop or not advance), past the header, missing */
	const uint8_t len0[4] = {7, 0, 0, 0}, len1[4] = {7, 1, 0, 0}, past[4] = {7, 40, 4, 0};
	const uint8_t cut[4] = {1, 1, 1, 7};
	assert_int_equal(check_options(len0, 4), SVR_DROP_IP4_OPTIONS);
	assert_int_equal(check_options(len1, 4), SVR_DROP_IP4_OPTIONS);
	assert_int_equal(check_options(past, 4), SVR_DROP_IP4_OPTIONS);
	assert_int_equal(check_options(cut, 4), SVR_DROP_IP4_OPTIONS);
	/* an option ending exactly at the header's end is fine; one byte more is not */
	const uint8_t exact[8] = {7, 8, 4, 0, 0, 0, 0, 0}, over[8] = {7, 9, 4, 0, 0, 0, 0, 0};
	assert_int_equal(check_options(exact, 8), SVR_DROP_MAX);
	assert_int_equal(check_options(over, 8), SVR_DROP_IP4_OPTIONS);
}

static void ip4_group_destination(void **state)
{
	(void)state;
	uint8_t *ip = ip4_new(20);
	assert_false(svr_ip4_dst_is_group(ip));
	ip[16] = 224;
	assert_true(svr_ip4_dst_is_group(ip));
	ip[16] = 255;
	assert_true(svr_ip4_dst_is_group(ip));
	free(ip);
}

static uint8_t *ip6_new(size_t len)
{
	uint8_t *ip = calloc(1, len);
	ip[0] = 0x60;
	ip[4] = (uint8_t)((len - 40) >> 8);
	ip[5] = (uint8_t)(len - 40);
	ip[6] = 17;
	ip[7] = 64;
	ip[8] = 0x20;
	ip[9] = 0x01;
	ip[23] = 2;
	ip[24] = 0x20;
	ip[25] = 0x01;
	ip[39] = 1;
	return ip;
}

static void ip6_checks(void **state)
{
	(void)state;
	uint8_t *ip = ip6_new(48);
	assert_int_equal(svr_check_ip6(ip, 48), SVR_DROP_MAX);
	assert_int_equal(svr_check_ip6(ip, 39), SVR_DROP_IP6_SHORT);
	assert_int_equal(svr_check_ip6(ip, 47), SVR_DROP_IP6_PAYLEN);
	ip[0] = 0x40;
	assert_int_equal(svr_check_ip6(ip, 48), SVR_DROP_IP6_VERSION);
	ip[0] = 0x60;
	ip[8] = 0xff; /* multicast source */
	assert_int_equal(svr_check_ip6(ip, 48), SVR_DROP_IP6_SRC);
	memset(ip + 8, 0, 16);
	ip[23] = 1; /* ::1 */
	assert_int_equal(svr_check_ip6(ip, 48), SVR_DROP_IP6_SRC);
	memset(ip + 8, 0, 16);
	ip[8] = 0x20; /* a global source again */
	assert_false(svr_ip6_dst_is_multicast(ip));
	ip[24] = 0xff;
	assert_true(svr_ip6_dst_is_multicast(ip));
	memset(ip + 24, 0, 16);
	assert_int_equal(svr_check_ip6(ip, 48), SVR_DROP_IP6_DST); /* :: */
	ip[39] = 1;
	assert_int_equal(svr_check_ip6(ip, 48), SVR_DROP_IP6_DST); /* ::1 */
	const uint8_t ll[16] = {0xfe, 0x80, [15] = 2}, ll_top[16] = {0xfe, 0xbf};
	const uint8_t site[16] = {0xfe, 0xc0, [15] = 2};
	assert_true(svr_ip6_is_link_local(ll));
	assert_true(svr_ip6_is_link_local(ll_top));
	assert_false(svr_ip6_is_link_local(site));
	assert_true(svr_ip6_is_unspecified((const uint8_t[16]){0}));
	free(ip);
}

/* IPv6 with extension headers ext (each a multiple of 8 bytes), then 8 bytes of UDP. */
static uint8_t *ip6_ext(uint8_t first, const uint8_t *ext, size_t n, size_t *len)
{
	*len = 40 + n + 8;
	uint8_t *ip = ip6_new(*len);
	ip[6] = first;
	memcpy(ip + 40, ext, n);
	return ip;
}

static enum svr_drop_reason check_ext(uint8_t first, const uint8_t *ext, size_t n)
{
	size_t len;
	uint8_t *ip = ip6_ext(first, ext, n, &len);
	enum svr_drop_reason r = svr_check_ip6(ip, (uint32_t)len);
	free(ip);
	return r;
}

static void ip6_routing_header_type_0(void **state)
{
	(void)state;
	/* routing header: next UDP, 2 units (24 bytes), type 0, segments left 1, one address */
	uint8_t rh0[24] = {17, 2, 0, 1};
	rh0[8] = 0x20;
	assert_int_equal(check_ext(43, rh0, 24), SVR_DROP_SOURCE_ROUTE);
	rh0[3] = 0; /* no segments left: still deprecated (RFC 5095) */
	assert_int_equal(check_ext(43, rh0, 24), SVR_DROP_SOURCE_ROUTE);
	/* behind hop-by-hop and destination options, and in a first fragment */
	uint8_t chain[48] = {60, 0, [8] = 43, 0, [16] = 17, 2, 0, 1};
	assert_int_equal(check_ext(0, chain, 40), SVR_DROP_SOURCE_ROUTE);
	uint8_t frag_first[32] = {43, 0, 0, 1, 0, 0, 0, 7, [8] = 17, 2, 0, 1};
	assert_int_equal(check_ext(44, frag_first, 32), SVR_DROP_SOURCE_ROUTE);
	/* other routing types (2: mobile IPv6, 4: segment routing) are not ours to refuse */
	rh0[2] = 2;
	assert_int_equal(check_ext(43, rh0, 24), SVR_DROP_MAX);
	rh0[2] = 4;
	assert_int_equal(check_ext(43, rh0, 24), SVR_DROP_MAX);
	/* a later fragment: what follows its header is data */
	uint8_t frag_later[16] = {43, 0, 0, 8 << 3, 0, 0, 0, 7, 17, 2, 0, 1};
	assert_int_equal(check_ext(44, frag_later, 16), SVR_DROP_MAX);
	/* a header running past the datagram ends the walk (the flow parser refuses it) */
	uint8_t long_hdr[8] = {43, 200};
	assert_int_equal(check_ext(60, long_hdr, 8), SVR_DROP_MAX);
}

static void arp_checks(void **state)
{
	(void)state;
	uint8_t *a = calloc(1, 28);
	const uint8_t hdr[8] = {0, 1, 0x08, 0, 6, 4, 0, 1};
	memcpy(a, hdr, 8);
	a[8] = 0x02;
	assert_int_equal(svr_check_arp(a, 28), SVR_DROP_MAX);
	assert_int_equal(svr_check_arp(a, 27), SVR_DROP_ARP_MALFORMED);
	a[4] = 8; /* hardware length */
	assert_int_equal(svr_check_arp(a, 28), SVR_DROP_ARP_MALFORMED);
	a[4] = 6;
	a[7] = 3; /* RARP-style opcode */
	assert_int_equal(svr_check_arp(a, 28), SVR_DROP_ARP_MALFORMED);
	a[7] = 2;
	a[8] = 0x01; /* multicast sender */
	assert_int_equal(svr_check_arp(a, 28), SVR_DROP_ARP_MALFORMED);
	free(a);
}

static void nd_options(void **state)
{
	(void)state;
	/* A nonce option (type 14, 8 bytes), then a source link-layer address option. */
	uint8_t *o = calloc(1, 16);
	o[0] = 14;
	o[1] = 1;
	o[8] = 1;
	o[9] = 1;
	o[10] = 0x02;
	o[15] = 0x77;
	const uint8_t *lla;
	assert_int_equal(svr_nd_find_lla(o, 16, 1, &lla), 1);
	assert_int_equal(lla[0], 0x02);
	assert_int_equal(lla[5], 0x77);
	assert_int_equal(svr_nd_find_lla(o, 16, 2, &lla), 0);
	assert_null(lla);
	assert_int_equal(svr_nd_find_lla(o, 0, 1, &lla), 0);
	assert_int_equal(svr_nd_find_lla(o, 15, 1, &lla), -1); /* truncated */
	o[9] = 0; /* zero length after a good option: the whole message is malformed */
	assert_int_equal(svr_nd_find_lla(o, 16, 14, &lla), -1);
	free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(eth_untagged_and_tagged),
	    cmocka_unit_test(eth_short),
	    cmocka_unit_test(ip4_valid),
	    cmocka_unit_test(ip4_each_drop_reason),
	    cmocka_unit_test(ip4_source_routes_and_options),
	    cmocka_unit_test(ip4_group_destination),
	    cmocka_unit_test(ip6_checks),
	    cmocka_unit_test(ip6_routing_header_type_0),
	    cmocka_unit_test(arp_checks),
	    cmocka_unit_test(nd_options),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
