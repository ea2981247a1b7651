/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The router's exception policy: building a generation's rules from the image, and the check
 * the kernel path makes before a packet for the router goes up to its twin. The check runs on
 * the main lcore for packets the dataplane does not answer itself, so a linear scan of at most
 * 64 rules is enough; it parses the packet itself, trusting nothing of it (docs/routing.md,
 * "The exception policy", says what it decides for fragments and IPv6 extension headers).
 */
#include "kernel/access.h"
#include "kernel/access_build.h"

#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/image.h"
#include "common/log.h"

#define PROTO_TCP 6
#define PROTO_UDP 17
#define TCP_ACK   0x10u
/* IPv6 extension headers walked; a chain longer than this is refused (no honest sender). */
#define IP6_EXT_MAX 8

void dp_host_access_free(struct dp_host_access *h)
{
	if (!h)
		return;
	free(h->rules);
	free(h->prefixes);
	free(h);
}

/* The image's interface mask as slots (the image has at most DP_MAX_IFACES interfaces). */
static uint64_t slots_of(uint64_t ifaces, uint32_t n_if, const uint16_t *slot_of)
{
	uint64_t slots = 0;
	for (uint32_t i = 0; i < n_if && i < 64; i++)
		if (ifaces & (UINT64_C(1) << i))
			slots |= UINT64_C(1) << slot_of[i];
	return slots;
}

int dp_host_access_build(struct dp_gen *g, const void *img, const uint16_t *slot_of, char *err,
			 size_t errlen)
{
	uint32_t n, n_if, n_px = 0;
	const struct svr_img_host_access *rs = svr_img_table(img, SVR_SEC_HOST_ACCESS, &n);
	const struct svr_img_prefix *px = svr_img_table(img, SVR_SEC_PREFIXES, NULL);
	svr_img_table(img, SVR_SEC_INTERFACES, &n_if);
	for (uint32_t i = 0; i < n; i++)
		n_px += rs[i].from.count;
	struct dp_host_access *h = calloc(1, sizeof(*h));
	if (h) {
		h->rules = calloc(n ? n : 1, sizeof(*h->rules));
		h->prefixes = calloc(n_px ? n_px : 1, sizeof(*h->prefixes));
	}
	if (!h || !h->rules || !h->prefixes) {
		dp_host_access_free(h);
		return svr_errf(err, errlen, "out of memory (host access)");
	}
	for (uint32_t i = 0; i < n; i++) {
		const struct svr_img_host_access *r = &rs[i];
		h->rules[i] = (struct dp_host_rule){
		    .protocol = r->protocol,
		    .has_ports = r->has_ports,
		    .from_connected = r->flags & SVR_IMG_HA_FROM_CONNECTED,
		    .port_lo = r->port_lo,
		    .port_hi = r->port_hi,
		    .slots = (r->flags & SVR_IMG_HA_ALL_IFACES)
				 ? UINT64_MAX
				 : slots_of(r->ifaces, n_if, slot_of),
		    .first = h->n_prefixes,
		    .count = r->from.count,
		};
		for (uint32_t k = 0; k < r->from.count; k++) {
			struct svr_prefix *p = &h->prefixes[h->n_prefixes++];
			svr_img_prefix_to(&px[r->from.first + k], p);
			svr_prefix_mask(p);
		}
	}
	h->n_rules = n;
	g->host_access = h;
	return 0;
}

/* What the check needs of a packet: its source, upper-layer protocol, ports and whether it is
 * a tcp segment with ACK set. */
struct dp_host_pkt {
	struct svr_ip src;
	uint8_t protocol;
	bool has_ports; /* false for a fragment after the first, and for non-tcp/udp */
	bool tcp_ack;   /* tcp with its flags in the bytes received and ACK among them */
	uint16_t sport, dport;
};

/* The ports of a tcp/udp packet at l4 (len bytes left): -1 when they are cut off. A tcp
 * header cut before its flags has its ports read but counts as without ACK. */
static int dp_host_ports(struct dp_host_pkt *p, const uint8_t *l4, uint32_t len)
{
	if (p->protocol != PROTO_TCP && p->protocol != PROTO_UDP)
		return 0;
	if (len < 4)
		return -1;
	p->has_ports = true;
	p->sport = svr_rd16(l4);
	p->dport = svr_rd16(l4 + 2);
	p->tcp_ack = p->protocol == PROTO_TCP && len >= 14 && (l4[13] & TCP_ACK);
	return 0;
}

static int dp_host_parse4(const uint8_t *ip, uint32_t l3_len, struct dp_host_pkt *p)
{
	if (l3_len < 20)
		return -1;
	uint32_t ihl = (ip[0] & 0xfu) * 4u, total = svr_rd16(ip + 2);
	/* l3_len may count link padding after the packet; a packet longer than it is cut. */
	if (ihl < 20 || total < ihl || total > l3_len)
		return -1;
	p->src.family = SVR_AF_INET;
	memcpy(p->src.addr, ip + 12, 4);
	p->protocol = ip[9];
	if (svr_rd16(ip + 6) & 0x1fffu)
		return 0; /* not the first fragment: no ports to read */
	return dp_host_ports(p, ip + ihl, total - ihl);
}

static bool ip6_ext(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 60; /* hop-by-hop, routing, destination options */
}

/* IPv6: hop-by-hop, routing, destination options and fragment headers are walked, at most
 * IP6_EXT_MAX of them; whatever follows is the upper-layer protocol. */
static int dp_host_parse6(const uint8_t *ip, uint32_t l3_len, struct dp_host_pkt *p)
{
	if (l3_len < 40)
		return -1;
	uint32_t end = 40u + svr_rd16(ip + 4), off = 40;
	if (end > l3_len)
		return -1;
	p->src.family = SVR_AF_INET6;
	memcpy(p->src.addr, ip + 8, 16);
	uint8_t nh = ip[6];
	bool later_fragment = false;
	for (int n = 0; ip6_ext(nh) || nh == 44; n++) {
		if (n == IP6_EXT_MAX || end - off < 8)
			return -1;
		const uint8_t *x = ip + off;
		uint32_t len = nh == 44 ? 8u : (x[1] + 1u) * 8u;
		if (end - off < len)
			return -1;
		if (nh == 44 && (svr_rd16(x + 2) & 0xfff8u))
			later_fragment = true;
		nh = x[0];
		off += len;
	}
	p->protocol = nh;
	return later_fragment ? 0 : dp_host_ports(p, ip + off, end - off);
}

/* Whether src is on one of the interface's subnets, or IPv6 link-local (on every link). */
static bool dp_host_connected(const struct dp_iface *ifc, const struct svr_ip *src)
{
	if (src->family == SVR_AF_INET6 && src->addr[0] == 0xfe && (src->addr[1] & 0xc0) == 0x80)
		return true;
	for (unsigned a = 0; a < ifc->n_addrs; a++)
		if (svr_prefix_contains(&ifc->addrs[a], src))
			return true;
	return false;
}

static bool dp_host_rule_matches(const struct dp_host_access *h, const struct dp_host_rule *r,
				 const struct dp_iface *ifc, uint16_t iface,
				 const struct dp_host_pkt *p)
{
	if (r->protocol != p->protocol || !(r->slots & (UINT64_C(1) << iface)))
		return false;
	/* The destination port; or, for tcp with ACK set only, the source port: the answers to a
	 * connection the kernel opened (bgpd to a neighbour's 179). A segment with ACK cannot open
	 * a connection to the kernel, so a source port of the rule's opens none of its ports. */
	if (r->has_ports) {
		if (!p->has_ports)
			return false;
		bool dst = p->dport >= r->port_lo && p->dport <= r->port_hi;
		bool reply = p->tcp_ack && p->sport >= r->port_lo && p->sport <= r->port_hi;
		if (!dst && !reply)
			return false;
	}
	if (r->from_connected)
		return dp_host_connected(ifc, &p->src);
	for (unsigned k = 0; k < r->count; k++)
		if (svr_prefix_contains(&h->prefixes[r->first + k], &p->src))
			return true;
	return false;
}

bool dp_host_access_admits(const struct dp_gen *g, uint16_t iface, const uint8_t *ip,
			   uint32_t l3_len)
{
	if (!g || !g->host_access || !ip || l3_len == 0 || iface >= DP_MAX_IFACES ||
	    !g->ifaces[iface].in_use)
		return false;
	struct dp_host_pkt p = {0};
	int rc = (ip[0] >> 4) == 4   ? dp_host_parse4(ip, l3_len, &p)
		 : (ip[0] >> 4) == 6 ? dp_host_parse6(ip, l3_len, &p)
				     : -1;
	if (rc < 0)
		return false;
	const struct dp_host_access *h = g->host_access;
	for (unsigned i = 0; i < h->n_rules; i++)
		if (dp_host_rule_matches(h, &h->rules[i], &g->ifaces[iface], iface, &p))
			return true;
	return false;
}
