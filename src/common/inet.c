/* SPDX-License-Identifier: BSD-3-Clause */
#include "common/inet.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int svr_ip_parse(const char *s, struct svr_ip *ip)
{
	memset(ip, 0, sizeof(*ip));
	if (inet_pton(AF_INET, s, ip->addr) == 1) {
		ip->family = SVR_AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, ip->addr) == 1) {
		ip->family = SVR_AF_INET6;
		return 0;
	}
	return -1;
}

int svr_prefix_parse(const char *s, struct svr_prefix *p, bool allow_host)
{
	char buf[64];
	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	char *slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (svr_ip_parse(buf, &p->ip) < 0)
		return -1;
	unsigned max = p->ip.family == SVR_AF_INET ? 32 : 128;
	if (!slash) {
		if (!allow_host)
			return -1;
		p->len = (uint8_t)max;
		return 0;
	}
	char *end;
	const char *num = slash + 1;
	if (*num < '0' || *num > '9')
		return -1;
	unsigned long len = strtoul(num, &end, 10);
	if (*end != '\0' || len > max)
		return -1;
	p->len = (uint8_t)len;
	return 0;
}

void svr_prefix_mask(struct svr_prefix *p)
{
	unsigned bytes = p->ip.family == SVR_AF_INET ? 4 : 16;
	for (unsigned i = 0; i < bytes; i++) {
		unsigned bit = i * 8;
		if (bit >= p->len)
			p->ip.addr[i] = 0;
		else if (bit + 8 > p->len)
			p->ip.addr[i] &= (uint8_t)(0xff << (8 - (p->len - bit)));
	}
}

bool svr_prefix_contains(const struct svr_prefix *p, const struct svr_ip *ip)
{
	if (p->ip.family != ip->family)
		return false;
	struct svr_prefix a = *p, b = {.ip = *ip, .len = p->len};
	svr_prefix_mask(&a);
	svr_prefix_mask(&b);
	return memcmp(a.ip.addr, b.ip.addr, sizeof(a.ip.addr)) == 0;
}

bool svr_ip_equal(const struct svr_ip *a, const struct svr_ip *b)
{
	return a->family == b->family && memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

const char *svr_ip_fmt(const struct svr_ip *ip, char *buf, size_t len)
{
	if (!inet_ntop(ip->family == SVR_AF_INET ? AF_INET : AF_INET6, ip->addr, buf,
		       (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

const char *svr_prefix_fmt(const struct svr_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	snprintf(buf, len, "%s/%u", svr_ip_fmt(&p->ip, a, sizeof(a)), p->len);
	return buf;
}

int svr_mac_parse(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char tail;
	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &tail) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

const char *svr_mac_fmt(const uint8_t mac[6], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
	return buf;
}

static const char *digits5(const char *c, unsigned *v)
{
	int n = 0;
	*v = 0;
	for (; *c >= '0' && *c <= '9' && n < 6; c++, n++)
		*v = *v * 10 + (unsigned)(*c - '0');
	return n > 0 && n <= 5 ? c : NULL;
}

int svr_port_range_parse(const char *s, unsigned *lo, unsigned *hi)
{
	const char *c = s ? digits5(s, lo) : NULL;
	if (!c)
		return -1;
	*hi = *lo;
	if (*c == '-' && !(c = digits5(c + 1, hi)))
		return -1;
	return *c ? -1 : 0;
}

const char *svr_ip_proto_name(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 1:
		return "icmp";
	case 58:
		return "icmpv6";
	}
	snprintf(buf, len, "%u", proto);
	return buf;
}
