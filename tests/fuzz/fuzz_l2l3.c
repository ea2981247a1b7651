/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for every parser the dataplane runs on received frames:
 * Ethernet/VLAN, IPv4, IPv6, ARP and neighbour-discovery options. The input
 * is a whole frame; each parser only reads what it validated first.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "l2l3/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
			if (svr_check_ip4(l3, l3_len, false) == SVR_DROP_MAX)
				(void)svr_ip4_dst_is_group(l3);
			break;
		case SVR_ETHERTYPE_IPV6:
			if (svr_check_ip6(l3, l3_len) == SVR_DROP_MAX) {
				uint32_t plen = svr_be16(l3 + 4);
				(void)svr_ip6_dst_is_multicast(l3);
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
