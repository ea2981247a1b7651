/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TEMPORARY stand-in for the exception policy (kernel/access.h) until the model's host-access
 * is compiled into the generation: admits, from anywhere, TCP to or from ports 22 (SSH) and
 * 179 (BGP), OSPF (protocol 89) and UDP to or from ports 67 and 68 (DHCP); everything else is
 * refused. Replaced by the real policy when both branches merge.
 */
#include "kernel/access.h"

#include "common/bytes.h"

#define PROTO_TCP  6
#define PROTO_UDP  17
#define PROTO_OSPF 89

static bool port_in(uint16_t p, uint16_t a, uint16_t b)
{
	return p == a || p == b;
}

/* Transport protocol and ports (either direction) of a first fragment or whole packet. */
static bool stub_admits(uint8_t proto, const uint8_t *l4, uint32_t l4_len)
{
	if (proto == PROTO_OSPF)
		return true;
	if ((proto != PROTO_TCP && proto != PROTO_UDP) || l4_len < 4)
		return false;
	uint16_t sp = svr_rd16(l4), dp = svr_rd16(l4 + 2);
	if (proto == PROTO_TCP)
		return port_in(sp, 22, 179) || port_in(dp, 22, 179);
	return port_in(sp, 67, 68) || port_in(dp, 67, 68);
}

bool dp_host_access_admits(const struct dp_gen *g, uint16_t iface, const uint8_t *ip,
			   uint32_t l3_len)
{
	(void)g;
	(void)iface;
	if (l3_len < 20)
		return false;
	if ((ip[0] >> 4) == 4) {
		uint32_t hlen = (ip[0] & 0x0fu) * 4;
		if (hlen < 20 || hlen > l3_len || (svr_rd16(ip + 6) & 0x1fff))
			return ip[9] == PROTO_OSPF &&
			       hlen <= l3_len; /* later fragments: no ports */
		return stub_admits(ip[9], ip + hlen, l3_len - hlen);
	}
	if ((ip[0] >> 4) != 6 || l3_len < 40)
		return false;
	return stub_admits(ip[6], ip + 40, l3_len - 40); /* no extension headers walked */
}
