/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SVR metadata codec against svr-protocol.md §7: the three worked packets
 * (V1 UDP forward, V2 UDP reverse, V3 TCP SYN) rebuilt byte for byte — IP and
 * transport headers with their checksums around our encoded block — and
 * decoded back; the other encodings of §7.4; and every malformed block a
 * receiver must refuse (§2.7) with its reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "common/bytes.h"
#include "l2l3/cksum.h"
#include "svr/metadata.h"
#include "hex.h"

/* 203.0.113.1 <-> 203.0.113.2, the vectors' waypoints. */
static const uint8_t WP_A[4] = {203, 0, 113, 1}, WP_B[4] = {203, 0, 113, 2};

/* IPv4 header (TTL 64, the given id and protocol) around l4 of l4_len bytes, checksums done. */
static size_t packet4(uint8_t *pkt, uint16_t id, uint8_t proto, const uint8_t *src,
		      const uint8_t *dst, const uint8_t *l4, size_t l4_len, size_t cksum_off)
{
	memset(pkt, 0, 20);
	pkt[0] = 0x45;
	svr_wr16(pkt + 2, (uint16_t)(20 + l4_len));
	svr_wr16(pkt + 4, id);
	pkt[8] = 64;
	pkt[9] = proto;
	memcpy(pkt + 12, src, 4);
	memcpy(pkt + 16, dst, 4);
	svr_wr16(pkt + 10, svr_cksum(pkt, 20));
	memcpy(pkt + 20, l4, l4_len);
	uint8_t *t = pkt + 20;
	t[cksum_off] = t[cksum_off + 1] = 0;
	uint32_t sum = svr_cksum_add(0, pkt + 12, 8);
	sum += proto;
	sum += (uint32_t)l4_len;
	sum = svr_cksum_add(sum, t, l4_len);
	svr_wr16(t + cksum_off, (uint16_t)~svr_cksum_fold(sum));
	return 20 + l4_len;
}

/* UDP from sport to dport carrying md block + payload. */
static size_t udp_packet(uint8_t *pkt, const uint8_t *src, const uint8_t *dst, uint16_t sport,
			 uint16_t dport, const uint8_t *block, size_t blen, const char *payload)
{
	uint8_t l4[512];
	size_t plen = strlen(payload);
	svr_wr16(l4, sport);
	svr_wr16(l4 + 2, dport);
	svr_wr16(l4 + 4, (uint16_t)(8 + blen + plen));
	memcpy(l4 + 8, block, blen);
	memcpy(l4 + 8 + blen, payload, plen);
	return packet4(pkt, 1, 17, src, dst, l4, 8 + blen + plen, 6);
}

static void ctx4(struct svr_md_ctx *c, const char *src, const char *dst, uint16_t sport,
		 uint16_t dport, uint8_t proto)
{
	memset(c, 0, sizeof(*c));
	c->family = 4;
	inet_pton(AF_INET, src, c->src);
	inet_pton(AF_INET, dst, c->dst);
	c->sport = sport;
	c->dport = dport;
	c->proto = proto;
}

/* Forward metadata at p (of the len bytes left in the packet) decodes to want's fields, its
 * block md_len bytes long. */
static void decodes_as_forward(const uint8_t *p, size_t len, int md_len, const struct svr_md *want)
{
	struct svr_md got;
	char err[128];
	assert_int_equal(svr_md_decode(p, len, &got, err, sizeof(err)), md_len);
	assert_int_equal(got.present, want->present);
	assert_int_equal(got.security_id, want->security_id);
	assert_memory_equal(&got.fwd, &want->fwd, sizeof(want->fwd));
	assert_memory_equal(got.uuid, want->uuid, 16);
	assert_string_equal(got.tenant.s, want->tenant.s);
	assert_string_equal(got.service.s, want->service.s);
}

static const char *v1_hex = "45 00 00 68 00 01 00 00 40 11 02 80 cb 00 71 01"
			    "cb 00 71 02 40 02 40 03 00 54 5b 26 4c 48 db c6"
			    "dd f6 67 0c 10 14 00 34 00 10 00 04 00 00 00 01"
			    "00 02 00 0d 0a 00 01 0a c6 33 64 14 c7 38 00 35"
			    "11 00 06 00 10 5f 0e 9b 6a 1c 2d 4e 8f 9a 0b 1c"
			    "2d 3e 4f 5a 6b 00 07 00 04 62 6c 75 65 00 0a 00"
			    "03 64 6e 73 68 69 21 0a";

static void v1_udp_forward(void **state)
{
	(void)state;
	struct svr_md md = {0};
	md.present = SVR_MDF_SECURITY_ID | SVR_MDF_FWD_CTX | SVR_MDF_UUID;
	md.security_id = 1;
	ctx4(&md.fwd, "10.0.1.10", "198.51.100.20", 51000, 53, 17);
	unhex("5f0e9b6a1c2d4e8f9a0b1c2d3e4f5a6b", md.uuid);
	assert_true(svr_md_set_name(&md.tenant, "blue"));
	assert_true(svr_md_set_name(&md.service, "dns"));
	md.present |= SVR_MDF_TENANT | SVR_MDF_SERVICE;
	uint8_t block[256], pkt[600], want[600];
	struct svr_md_layout l;
	size_t blen = svr_md_encode(&md, block, sizeof(block), &l);
	assert_int_equal(blen, 72);
	assert_int_equal(l.header_len, 20);
	assert_int_equal(l.payload_len, 52);
	size_t n = udp_packet(pkt, WP_A, WP_B, 16386, 16387, block, blen, "hi!\n");
	size_t wn = unhex(v1_hex, want);
	assert_int_equal(n, wn);
	assert_memory_equal(pkt, want, wn);

	/* and back */
	decodes_as_forward(want + 28, wn - 28, 72, &md);
	assert_memory_equal(want + 28 + 72, "hi!\n", 4); /* the original payload follows */
}

static void v2_udp_reverse(void **state)
{
	(void)state;
	struct svr_md md = {0};
	md.present = SVR_MDF_SECURITY_ID | SVR_MDF_REV_CTX | SVR_MDF_NUM_SESSIONS;
	md.security_id = 1;
	ctx4(&md.rev, "198.51.100.20", "10.0.1.10", 53, 51000, 17);
	md.num_sessions = 5;
	uint8_t block[256], pkt[600], want[600];
	size_t blen = svr_md_encode(&md, block, sizeof(block), NULL);
	size_t n = udp_packet(pkt, WP_B, WP_A, 16387, 16386, block, blen, "ok\n");
	size_t wn = unhex("45 00 00 50 00 01 00 00 40 11 02 98 cb 00 71 02"
			  "cb 00 71 01 40 03 40 02 00 3c f6 c8 4c 48 db c6"
			  "dd f6 67 0c 10 14 00 1d 00 10 00 04 00 00 00 01"
			  "00 04 00 0d c6 33 64 14 0a 00 01 0a 00 35 c7 38"
			  "11 00 0d 00 08 00 00 00 00 00 00 00 05 6f 6b 0a",
			  want);
	assert_int_equal(n, wn);
	assert_memory_equal(pkt, want, wn);
	struct svr_md got;
	char err[128];
	assert_int_equal(svr_md_decode(want + 28, wn - 28, &got, err, sizeof(err)), 20 + 29);
	assert_int_equal(got.present, md.present); /* nothing more, nothing less */
	assert_int_equal(got.security_id, 1);
	assert_int_equal(got.num_sessions, 5);
	assert_memory_equal(&got.rev, &md.rev, sizeof(md.rev));
	assert_memory_equal(want + 28 + 49, "ok\n", 3); /* the original payload follows */
}

static void v3_tcp_syn(void **state)
{
	(void)state;
	struct svr_md md = {0};
	md.present =
	    SVR_MDF_SECURITY_ID | SVR_MDF_FWD_CTX | SVR_MDF_UUID | SVR_MDF_TENANT | SVR_MDF_SERVICE;
	md.security_id = 1;
	ctx4(&md.fwd, "10.0.1.10", "198.51.100.80", 43512, 443, 6);
	unhex("a1b2c3d4e5f647089a1b2c3d4e5f6071", md.uuid);
	svr_md_set_name(&md.tenant, "blue");
	svr_md_set_name(&md.service, "web");
	uint8_t l4[256], pkt[600], want[600];
	/* TCP 16388 -> 16389, seq 0x1a2b3c4d, data offset 6, SYN, window 64240, MSS 1460 */
	size_t hl = unhex("4004 4005 1a2b3c4d 00000000 6002 faf0 0000 0000 020405b4", l4);
	size_t blen = svr_md_encode(&md, l4 + hl, sizeof(l4) - hl, NULL);
	assert_int_equal(blen, 72);
	size_t n = packet4(pkt, 2, 6, WP_A, WP_B, l4, hl + blen, 16);
	size_t wn = unhex("45 00 00 74 00 02 00 00 40 06 02 7e cb 00 71 01"
			  "cb 00 71 02 40 04 40 05 1a 2b 3c 4d 00 00 00 00"
			  "60 02 fa f0 d3 ed 00 00 02 04 05 b4 4c 48 db c6"
			  "dd f6 67 0c 10 14 00 34 00 10 00 04 00 00 00 01"
			  "00 02 00 0d 0a 00 01 0a c6 33 64 50 a9 f8 01 bb"
			  "06 00 06 00 10 a1 b2 c3 d4 e5 f6 47 08 9a 1b 2c"
			  "3d 4e 5f 60 71 00 07 00 04 62 6c 75 65 00 0a 00"
			  "03 77 65 62",
			  want);
	assert_int_equal(n, wn);
	assert_memory_equal(pkt, want, wn);

	/* and back: the metadata starts after the 24-byte TCP header, and is all the data */
	assert_int_equal(wn - 44, 72);
	decodes_as_forward(want + 44, wn - 44, 72, &md);
}

static void other_encodings(void **state)
{
	(void)state;
	uint8_t out[64], want[64];
	svr_md_marker(out);
	assert_memory_equal(out, want, unhex("4c48dbc6ddf6670c 100c 0000", want));
	struct svr_md md = {0};
	char err[128];
	assert_int_equal(svr_md_decode(out, 12, &md, err, sizeof(err)), 12);
	assert_int_equal(md.present, 0); /* a marker carries nothing */

	md = (struct svr_md){
	    .present = SVR_MDF_FRAGMENT,
	    .frag = {.ext_id = 7, .orig_id = 0x1234, .mf = true, .offset = 185, .largest = 1400}};
	size_t n = svr_md_encode(&md, out, sizeof(out), NULL);
	assert_int_equal(n, 12 + 14);
	assert_memory_equal(out + 12, want, unhex("0001 000a 00000007 1234 20b9 0578", want));
	struct svr_md got;
	assert_int_equal(svr_md_decode(out, n, &got, err, sizeof(err)), (int)n);
	assert_true(got.frag.mf && !got.frag.df);
	assert_int_equal(got.frag.offset, 185);
	assert_int_equal(got.frag.largest, 1400);

	md = (struct svr_md){.present = SVR_MDF_CONTROL, .control = SVR_MD_CTL_ENABLE_MD};
	n = svr_md_encode(&md, out, sizeof(out), NULL);
	assert_memory_equal(out, want, unhex("4c48dbc6ddf6670c 1011 0000 0018000102", want));
	assert_int_equal(n, 17);
}

/* Expects the block (hex) refused with a message containing what. */
static void refused(const char *hex, const char *what)
{
	uint8_t b[256];
	size_t n = unhex(hex, b);
	struct svr_md md;
	char err[128] = "";
	assert_int_equal(svr_md_decode(b, n, &md, err, sizeof(err)), -1);
	if (!strstr(err, what))
		fail_msg("\"%s\": got \"%s\", want it to mention \"%s\"", hex, err, what);
}

static void malformed_blocks_refused(void **state)
{
	(void)state;
	refused("4c48dbc6ddf6670d 100c 0000", "cookie");
	refused("4c48dbc6ddf6670c 10", "cookie"); /* shorter than 12 */
	refused("4c48dbc6ddf6670c 200c 0000", "version 2");
	refused("4c48dbc6ddf6670c 100b 0000", "below the 12");
	refused("4c48dbc6ddf6670c 100c 0005 0000", "run past");  /* PL beyond the packet */
	refused("4c48dbc6ddf6670c 100e 0000 0010", "left over"); /* 2 bytes: no TLV */
	refused("4c48dbc6ddf6670c 1010 0000 0010 0004", "runs past");
	refused("4c48dbc6ddf6670c 1013 0000 0010 0003 000001", "length 3");
	refused("4c48dbc6ddf6670c 100c 0009 0007 0001 61 0007 0000", "twice");
	refused("4c48dbc6ddf6670c 100c 0004 0007 0000", "name");       /* empty tenant */
	refused("4c48dbc6ddf6670c 100c 0006 0007 0002 c328", "UTF-8"); /* bad continuation */
	refused("4c48dbc6ddf6670c 100c 0005 000a 0001 00", "UTF-8");   /* NUL */
	refused("4c48dbc6ddf6670c 100c 0006 000a 0002 c0af", "UTF-8"); /* overlong '/' */
	refused("4c48dbc6ddf6670c 1014 0008 0010 0004 00000001 0010 0004 00000002",
		"twice"); /* in both sections */
	refused("4c48dbc6ddf6670c 100c 0025 0002 000d 0a00010ac6336414c73800351100"
		"03 0025 00000000000000000000000000000000",
		"runs past");
}

static void unknown_types_skipped_and_limits(void **state)
{
	(void)state;
	uint8_t b[300];
	size_t n =
	    unhex("4c48dbc6ddf6670c 100c 0012 0009 0002 abcd 0063 0000 002e 0004 01020304", b);
	struct svr_md md;
	char err[128];
	assert_int_equal(svr_md_decode(b, n, &md, err, sizeof(err)), (int)n);
	assert_int_equal(md.skipped, 3); /* type 9, type 99, a payload-section key (46) */
	/* a one-byte 46 in the header is a health check */
	n = unhex("4c48dbc6ddf6670c 1011 0000 002e 0001 01", b);
	assert_int_equal(svr_md_decode(b, n, &md, err, sizeof(err)), (int)n);
	assert_true(md.present & SVR_MDF_HEALTH);
	assert_int_equal(md.health, 1);

	/* names: 255 bytes fit, 256 do not; encoding refuses what does not fit */
	struct svr_md e = {.present = SVR_MDF_TENANT};
	char name[300];
	memset(name, 'a', 256);
	name[256] = '\0';
	assert_false(svr_md_set_name(&e.tenant, name));
	name[255] = '\0';
	assert_true(svr_md_set_name(&e.tenant, name));
	assert_false(svr_md_set_name(&e.tenant, ""));
	assert_int_equal(svr_md_encode(&e, b, 12 + 4 + 254, NULL), 0);
	assert_int_equal(svr_md_encode(&e, b, 12 + 4 + 255, NULL), 12 + 4 + 255);
	struct svr_md back;
	assert_int_equal(svr_md_decode(b, sizeof(b), &back, err, sizeof(err)), 12 + 4 + 255);
	assert_int_equal(back.tenant.len, 255);
	assert_true(svr_md_set_name(&e.service, "\xc3\xa9t\xc3\xa9")); /* "été" */
}

/* TLV 26 (path metrics, §2.5): the 10-byte layout bit for bit, a round trip, the 28-bit times
 * wrapping, and a wrong length refused as every fixed-length TLV is. */
static void path_metrics_tlv(void **state)
{
	(void)state;
	uint8_t out[64], want[64];
	char err[128];
	struct svr_md md = {.present = SVR_MDF_PATH_METRICS | SVR_MDF_SECURITY_ID,
			    .security_id = 1,
			    .pm = {.tx_colour = 0xa,
				   .tx_ms = 0x0123456,
				   .rx_colour = 0x5,
				   .rx_ms = 0x0fffffff,
				   .drop = true,
				   .rx_count = 0x7ffe}};
	size_t n = svr_md_encode(&md, out, sizeof(out), NULL);
	assert_int_equal(n, 12 + 8 + 14);
	/* header section (HL 34, PL 0): 16 first, then 26 */
	unhex("4c48dbc6ddf6670c 1022 0000 0010 0004 00000001"
	      "001a 000a a0123456 5fffffff fffe",
	      want);
	assert_memory_equal(out, want, n);
	struct svr_md got;
	assert_int_equal(svr_md_decode(out, n, &got, err, sizeof(err)), (int)n);
	assert_int_equal(got.present, md.present);
	assert_int_equal(got.skipped, 0);
	assert_int_equal(got.pm.tx_colour, 0xa);
	assert_int_equal(got.pm.tx_ms, 0x0123456);
	assert_int_equal(got.pm.rx_colour, 0x5);
	assert_int_equal(got.pm.rx_ms, 0x0fffffff);
	assert_true(got.pm.drop);
	assert_int_equal(got.pm.rx_count, 0x7ffe);

	/* times past 2^28 ms and colours past 15 keep their low bits: 2^28 + 5 ms is 5 ms */
	md.pm = (struct svr_md_path_metrics){.tx_colour = 17,
					     .tx_ms = 0x10000005u,
					     .rx_colour = 0,
					     .rx_ms = 0xffffffffu,
					     .rx_count = 0x8001};
	n = svr_md_encode(&md, out, sizeof(out), NULL);
	assert_int_equal(svr_md_decode(out, n, &got, err, sizeof(err)), (int)n);
	assert_int_equal(got.pm.tx_colour, 1);
	assert_int_equal(got.pm.tx_ms, 5);
	assert_int_equal(got.pm.rx_ms, SVR_MD_PM_TIME_MASK);
	assert_false(got.pm.drop); /* the count's 16th bit does not leak into Drop */
	assert_int_equal(got.pm.rx_count, 1);

	/* in the payload section too (receivers take any type in either section) */
	n = unhex("4c48dbc6ddf6670c 100c 000e 001a 000a 10000001 20000002 0003", out);
	assert_int_equal(svr_md_decode(out, n, &got, err, sizeof(err)), (int)n);
	assert_true(got.present & SVR_MDF_PATH_METRICS);
	assert_int_equal(got.pm.rx_colour, 2);
	assert_int_equal(got.pm.rx_count, 3);

	refused("4c48dbc6ddf6670c 1019 0000 001a 0009 000000000000000000", "TLV 26 has length 9");
	refused("4c48dbc6ddf6670c 101b 0000 001a 000b 0000000000000000000000",
		"TLV 26 has length 11");
	refused("4c48dbc6ddf6670c 1010 0000 001a 0000", "TLV 26 has length 0");
	refused("4c48dbc6ddf6670c 1028 0000 001a 000a 00000000000000000000"
		"001a 000a 00000000000000000000",
		"twice");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(v1_udp_forward),
	    cmocka_unit_test(v2_udp_reverse),
	    cmocka_unit_test(v3_tcp_syn),
	    cmocka_unit_test(other_encodings),
	    cmocka_unit_test(malformed_blocks_refused),
	    cmocka_unit_test(unknown_types_skipped_and_limits),
	    cmocka_unit_test(path_metrics_tlv),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
