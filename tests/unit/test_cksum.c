/* SPDX-License-Identifier: BSD-3-Clause */
/* Checksums: full, incremental (RFC 1624) and IPv6 pseudo-header, against vectors made with scapy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "l2l3/cksum.h"
#include "hex.h"

/* IPv4 header of 198.18.0.5 -> 198.18.1.7, TTL 64, id 0x4242, UDP; checksum 0xab5e. */
static const char *ip4_hex = "4500001c424200004011ab5ec6120005c6120107";

static void ip4_header_checksum(void **state)
{
	(void)state;
	uint8_t ip[20];
	unhex(ip4_hex, ip);
	assert_true(svr_ip4_cksum_ok(ip, 20));
	ip[10] = ip[11] = 0;
	assert_int_equal(svr_cksum(ip, 20), 0xab5e);
	ip[10] = 0xab;
	ip[11] = 0x5f; /* off by one */
	assert_false(svr_ip4_cksum_ok(ip, 20));
}

/* Every TTL and many random headers: incremental decrement equals a full recompute. */
static void ttl_decrement_matches_full_recompute(void **state)
{
	(void)state;
	srand(1);
	for (int round = 0; round < 2000; round++) {
		uint8_t ip[20];
		for (int i = 0; i < 20; i++)
			ip[i] = (uint8_t)rand();
		ip[0] = 0x45;
		ip[8] = (uint8_t)(2 + round % 254);
		ip[10] = ip[11] = 0;
		uint16_t ck = svr_cksum(ip, 20);
		ip[10] = (uint8_t)(ck >> 8);
		ip[11] = (uint8_t)ck;

		uint8_t expect[20];
		memcpy(expect, ip, 20);
		expect[8]--;
		expect[10] = expect[11] = 0;
		uint16_t full = svr_cksum(expect, 20);

		svr_ip4_dec_ttl(ip);
		assert_int_equal(ip[8], expect[8]);
		assert_true(svr_ip4_cksum_ok(ip, 20));
		/* RFC 1624 may yield 0x0000 where a full sum gives 0xffff; both verify. */
		uint16_t got = (uint16_t)(ip[10] << 8 | ip[11]);
		if (got != full)
			assert_true((got == 0 && full == 0xffff) || (got == 0xffff && full == 0));
	}
}

static void odd_length_sum(void **state)
{
	(void)state;
	const uint8_t data[3] = {0x01, 0x02, 0x03};
	/* 0x0102 + 0x0300 = 0x0402 -> ~ = 0xfbfd */
	assert_int_equal(svr_cksum(data, 3), 0xfbfd);
}

/* ICMPv6 echo 2001:db8:1::2 -> 2001:db8:1::1, id 0x1234 seq 7 "abcdefgh"; checksum 0x806d. */
static void icmp6_pseudo_header(void **state)
{
	(void)state;
	uint8_t pkt[64];
	size_t len =
	    unhex("6000000000103a4020010db800010000000000000000000220010db8000100000000000000000001"
		  "8000806d123400076162636465666768",
		  pkt);
	assert_int_equal(len, 56);
	/* With the checksum in place, the sum verifies to zero. */
	assert_int_equal(svr_cksum_ip6(pkt + 8, pkt + 24, 58, pkt + 40, 16), 0);
	pkt[42] = pkt[43] = 0;
	assert_int_equal(svr_cksum_ip6(pkt + 8, pkt + 24, 58, pkt + 40, 16), 0x806d);
}

static void update16_identity(void **state)
{
	(void)state;
	/* Changing a word to itself leaves the checksum as it is. */
	for (uint32_t ck = 1; ck < 0xffff; ck += 977)
		assert_int_equal(svr_cksum_update16((uint16_t)ck, 0x1234, 0x1234), ck);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(ip4_header_checksum),
	    cmocka_unit_test(ttl_decrement_matches_full_recompute),
	    cmocka_unit_test(odd_length_sum),
	    cmocka_unit_test(icmp6_pseudo_header),
	    cmocka_unit_test(update16_identity),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
