/* SPDX-License-Identifier: BSD-3-Clause */
/* Address, prefix and MAC text conversions shared by every program (no DPDK). */
#ifndef SVR_INET_H
#define SVR_INET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SVR_AF_INET  4
#define SVR_AF_INET6 6

/* An IPv4 address is stored in the first 4 bytes of addr, network order. */
struct svr_ip {
	uint8_t family; /* SVR_AF_INET or SVR_AF_INET6 */
	uint8_t addr[16];
};

struct svr_prefix {
	struct svr_ip ip;
	uint8_t len;
};

/* "198.18.1.1" or "2001:db8::1". Returns 0 or -1. */
int svr_ip_parse(const char *s, struct svr_ip *ip);
/* "198.18.1.0/24"; without "/len" the full length is assumed when allow_host is true. */
int svr_prefix_parse(const char *s, struct svr_prefix *p, bool allow_host);
/* Clears the host bits. */
void svr_prefix_mask(struct svr_prefix *p);
bool svr_prefix_contains(const struct svr_prefix *p, const struct svr_ip *ip);
bool svr_ip_equal(const struct svr_ip *a, const struct svr_ip *b);
const char *svr_ip_fmt(const struct svr_ip *ip, char *buf, size_t len);
const char *svr_prefix_fmt(const struct svr_prefix *p, char *buf, size_t len);
static inline uint32_t svr_ip4_host(const struct svr_ip *ip)
{
	return (uint32_t)ip->addr[0] << 24 | (uint32_t)ip->addr[1] << 16 |
	       (uint32_t)ip->addr[2] << 8 | ip->addr[3];
}

/* "443" or "8000-8099" (1-5 digits each; the caller checks the values against its range).
 * 0 with *lo and *hi, or -1 (NULL or malformed). */
int svr_port_range_parse(const char *s, unsigned *lo, unsigned *hi);

/* "02:00:00:00:01:01" */
int svr_mac_parse(const char *s, uint8_t mac[6]);
const char *svr_mac_fmt(const uint8_t mac[6], char *buf, size_t len);

/* An IP protocol's name as svrouter prints it ("tcp", "udp", "icmp", "icmpv6"), else its
 * number written into buf. */
const char *svr_ip_proto_name(uint8_t proto, char *buf, size_t len);

#endif
