/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for every parser the dataplane runs on received frames:
 * Ethernet/VLAN, IPv4, IPv6, ARP and neighbour-discovery options, session
 * flow keys (transport headers, extension headers, quoted packets of ICMP
 * errors) and the NAT rewrites that follow them. The input is a whole frame;
 * each parser only reads what it validated first.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "l2l3/parse.h"
#include "flow/flow.h"
#include "flow/rewrite.h"
#include "svrpath/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * SVR on a parsed TCP/UDP packet (IPv4, or IPv6 with the transport right after its header):
 * metadata in and out again gives the same payload; the MSS clamp and a trailer's resize there
 * and back keep the length.
 */
static void wire_round_trip(const uint8_t *ip, uint32_t len, uint32_t l4_off)
{
	size_t l4h = svr_wire_l4_hlen(ip);
	if (!l4h || l4_off != svr_wire_hl(ip) || l4_off + l4h > len || svr_wire_total(ip) != len)
		return;
	static uint8_t buf[70000];
	static const uint8_t block[20] = {0x4c, 0x48, 0xdb, 0xc6};
	memcpy(buf, ip, len);
	svr_wire_clamp_mss(buf, 1000);
	if (svr_wire_insert(buf, sizeof(buf), block, sizeof(block)) &&
	    (svr_wire_strip(buf, sizeof(block)) != len ||
	     memcmp(buf + l4_off + l4h, ip + l4_off + l4h, len - l4_off - l4h)))
		abort();
	if (len + 16 <= 65535) {
		memset(buf + len, 0x5c, 16);
		svr_wire_resize(buf, 16, true);
		svr_wire_resize(buf, 16, false);
		if (svr_wire_total(buf) != len)
			abort();
	}
}

/* The session path of a checked IPv4 header: key, then the rewrite the hit path would do. */
static void flow4(uint8_t *ip)
{
	static const struct svr_rewrite rw = {.src = 0x01020304,
					      .dst = 0x05060708,
					      .sport = 0x1111,
					      .dport = 0x2222,
					      .cksum_ip = 0x1234,
					      .cksum_l4 = 0x4321,
					      .flags = SVR_RW_NAT};
	struct svr_flow4 fl;
	uint32_t len = svr_rd16(ip + 2);
	switch (svr_flow_parse4(ip, len, &fl)) {
	case SVR_FLOW_PACKET:
		wire_round_trip(ip, len, fl.l4_off);
		svr_rewrite4(ip, ip + fl.l4_off, fl.key.proto, &rw);
		break;
	case SVR_FLOW_ICMP_ERROR:
		svr_rewrite_icmp_error4(ip, len, fl.inner_off, &rw, len & 1);
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size heap copy so that ASan flags any read past the frame. */
	uint8_t *f = malloc(size ? size : 1);
	if (!f)
		return 0;
	memcpy(f, data, size);
	uint32_t len = (uint32_t)size;

	struct svr_eth_info eth;
	if (svr_parse_eth(f, len, &eth) == SVR_DROP_MAX) {
		const uint8_t *l3 = f + eth.l3_off;
		uint32_t l3_len = len - eth.l3_off;
		switch (eth.ethertype) {
		case SVR_ETHERTYPE_IPV4:
			if (svr_check_ip4(l3, l3_len, false) == SVR_DROP_MAX) {
				(void)svr_ip4_dst_is_group(l3);
				flow4(f + eth.l3_off);
			}
			break;
		case SVR_ETHERTYPE_IPV6:
			if (svr_check_ip6(l3, l3_len) == SVR_DROP_MAX) {
				uint32_t plen = svr_rd16(l3 + 4);
				(void)svr_ip6_dst_is_multicast(l3);
				struct svr_flow6 fl;
				if (svr_flow_parse6(l3, 40 + plen, &fl) == SVR_FLOW_PACKET) {
					if (fl.key.sport == 0x5a5a)
						f[0] ^= 1;
					wire_round_trip(l3, 40 + plen, fl.l4_off);
				}
				if (l3[6] == 58 && plen >= 24) {
					(void)svr_cksum_ip6(l3 + 8, l3 + 24, 58, l3 + 40, plen);
					const uint8_t *lla;
					int r = svr_nd_find_lla(l3 + 64, plen - 24,
								l3[40] == 135 ? 1 : 2, &lla);
					if (r == 1 && (lla[0] ^ lla[5]) == 0x5a)
						f[0] ^= 1; /* use the result so it is not optimised
							      away */
				}
			}
			break;
		case SVR_ETHERTYPE_ARP:
			(void)svr_check_arp(l3, l3_len);
			break;
		}
	}
	free(f);
	return 0;
}
