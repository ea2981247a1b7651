/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SVR on packets (src/dataplane/svrpath/wire.h): the client's own packets of
 * svr-protocol.md §7, rewritten to the waypoints with our metadata inserted,
 * are the protocol's V1 and V3 byte for byte; stripping and restoring from
 * the decoded forward context gives the client's packets back; MSS clamping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "svr/metadata.h"
#include "svrpath/wire.h"

static size_t unhex(const char *hex, uint8_t *out)
{
	size_t n = 0;
	for (const char *p = hex; p[0] && p[1];) {
		if (*p == ' ') {
			p++;
			continue;
		}
		unsigned v;
		sscanf(p, "%2x", &v);
		out[n++] = (uint8_t)v;
		p += 2;
	}
	return n;
}

/* An IPv4 packet (TTL 64) of proto with l4 (transport header + data), checksums done. */
static size_t ip4(uint8_t *p, uint16_t id, uint8_t proto, const char *src, const char *dst,
		  const uint8_t *l4, size_t l4_len)
{
	memset(p, 0, 20);
	p[0] = 0x45;
	svr_wire_wr16(p + 2, (uint16_t)(20 + l4_len));
	svr_wire_wr16(p + 4, id);
	p[8] = 64;
	p[9] = proto;
	inet_pton(AF_INET, src, p + 12);
	inet_pton(AF_INET, dst, p + 16);
	memcpy(p + 20, l4, l4_len);
	svr_wire_checksums4(p);
	return 20 + l4_len;
}

static uint32_t A(const char *s)
{
	return inet_addr(s);
}

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
	int blen =
	    svr_md_decode(p + 20 + l4h, svr_wire_rd16(p + 2) - 20 - l4h, md, err, sizeof(err));
	assert_true(blen > 0);
	size_t n = svr_wire_strip4(p, (size_t)blen);
	uint32_t src, dst;
	memcpy(&src, md->fwd.src, 4);
	memcpy(&dst, md->fwd.dst, 4);
	svr_wire_translate4(p, src, dst, md->fwd.sport, md->fwd.dport);
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
	svr_wire_translate4(p, A("203.0.113.1"), A("203.0.113.2"), 16386, 16387);
	struct svr_md md;
	forward_md(&md, "198.51.100.20", 51000, 53, 17, "5f0e9b6a1c2d4e8f9a0b1c2d3e4f5a6b", "dns");
	uint8_t block[128];
	size_t blen = svr_md_encode(&md, block, sizeof(block), NULL);
	size_t n = svr_wire_insert4(p, sizeof(p), block, blen);
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
	svr_wire_translate4(p, A("203.0.113.1"), A("203.0.113.2"), 16388, 16389);
	struct svr_md md;
	forward_md(&md, "198.51.100.80", 43512, 443, 6, "a1b2c3d4e5f647089a1b2c3d4e5f6071", "web");
	uint8_t block[128];
	size_t blen = svr_md_encode(&md, block, sizeof(block), NULL);
	size_t n = svr_wire_insert4(p, sizeof(p), block, blen);
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
	assert_int_equal(svr_wire_clamp_mss4(p, 1500), 0); /* already below */
	assert_int_equal(svr_wire_clamp_mss4(p, 1360), 1);
	assert_int_equal(svr_wire_rd16(p + 20 + 24), 1360);
	uint8_t again[256];
	memcpy(again, p, 52);
	svr_wire_checksums4(again); /* the checksums it left are the right ones */
	assert_memory_equal(again, p, 52);
	/* not a SYN: untouched */
	p[20 + 13] = 0x10;
	assert_int_equal(svr_wire_clamp_mss4(p, 1000), 0);
	/* an option claiming to run past the header: walked with bounds, nothing changed */
	tl = unhex("a9f8 01bb 1a2b3c4d 00000000 6002 faf0 0000 0000 02ff05b4", tcp);
	ip4(p, 4, 6, "10.0.1.10", "198.51.100.80", tcp, tl);
	assert_int_equal(svr_wire_clamp_mss4(p, 1000), 0);
	/* UDP, and a buffer too small to insert into */
	uint8_t l4[12] = {0, 1, 0, 2, 0, 12, 0, 0, 'a', 'b', 'c', 'd'};
	size_t n = ip4(p, 5, 17, "10.0.1.10", "198.51.100.80", l4, 12);
	assert_int_equal(svr_wire_clamp_mss4(p, 1000), 0);
	uint8_t block[8] = {0};
	assert_int_equal(svr_wire_insert4(p, n + 7, block, 8), 0);
	assert_int_equal(svr_wire_insert4(p, n + 8, block, 8), n + 8);
	assert_int_equal(svr_wire_rd16(p + 24), 20); /* UDP length follows */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(v1_from_the_client_packet),
	    cmocka_unit_test(v3_from_the_client_syn),
	    cmocka_unit_test(mss_clamp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
