/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The router's exception policy: a router's host-access compiled into the image (the default
 * when absent, explicit rules, []), built into a generation, and dp_host_access_admits on
 * crafted IPv4 and IPv6 packets, well-formed and not. A rule's port is the destination port;
 * the source port matches only tcp segments with ACK (answers to the kernel's connections).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/image.h"
#include "common/inet.h"
#include "kernel/access.h"
#include "kernel/access_build.h"
#include "model/compile.h"
#include "model/validate.h"

#define MODEL_HEAD                                                                                 \
	"{\"model-version\": 1, \"authority\": {\"name\": \"t\", \"routers\": [{\"name\": \"r1\"," \
	" \"interfaces\": ["                                                                       \
	"  {\"name\": \"lan\", \"device\": \"net_null0\","                                         \
	"   \"addresses\": [\"198.18.1.1/24\", \"2001:db8:1::1/64\"]},"                            \
	"  {\"name\": \"wan\", \"device\": \"net_null1\", \"addresses\": [\"198.18.100.1/24\"]},"  \
	"  {\"name\": \"mgmt\", \"device\": \"net_null2\", \"addresses\": [\"10.0.0.1/24\"]}]"
#define MODEL_TAIL "}]}}"

/* The interfaces' slots in the generation: not their image order, so the mapping is tested. */
static const uint16_t slot_of[3] = {5, 0, 63};
enum { LAN = 5, WAN = 0, MGMT = 63 };

struct fixture {
	void *img;
	size_t len;
	struct dp_gen *g;
};

static void *compile_text(const char *text, size_t *len)
{
	json_error_t je;
	json_t *doc = json_loads(text, 0, &je);
	if (!doc)
		fail_msg("bad JSON in the test: %s", je.text);
	struct svr_model_errors e;
	svr_model_errors_init(&e);
	if (svr_model_validate(doc, &e) < 0)
		fail_msg("%s: %s", e.list[0].path, e.list[0].message);
	svr_model_errors_free(&e);
	void *img;
	char err[256];
	if (svr_model_compile(doc, "r1", &img, len, err, sizeof(err)) < 0)
		fail_msg("compile: %s", err);
	json_decref(doc);
	if (svr_img_check(img, *len, err, sizeof(err)) < 0)
		fail_msg("image: %s", err);
	return img;
}

/* A generation with the image's interfaces at slot_of and its host access built. */
static struct fixture *fixture_new(const char *host_access)
{
	char text[2048];
	snprintf(text, sizeof(text), "%s%s%s%s", MODEL_HEAD,
		 host_access ? ", \"host-access\": " : "", host_access ? host_access : "",
		 MODEL_TAIL);
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->img = compile_text(text, &f->len);
	f->g = calloc(1, sizeof(*f->g));
	assert_non_null(f->g);
	uint32_t n;
	const struct svr_img_iface *fs = svr_img_table(f->img, SVR_SEC_INTERFACES, &n);
	const struct svr_img_prefix *px = svr_img_table(f->img, SVR_SEC_PREFIXES, NULL);
	assert_int_equal(n, 3);
	for (uint32_t i = 0; i < n; i++) {
		struct dp_iface *ifc = &f->g->ifaces[slot_of[i]];
		ifc->in_use = true;
		ifc->n_addrs = fs[i].addresses.count;
		for (uint32_t a = 0; a < ifc->n_addrs; a++)
			svr_img_prefix_to(&px[fs[i].addresses.first + a], &ifc->addrs[a]);
	}
	f->g->n_ifaces = 64;
	char err[128];
	assert_int_equal(dp_host_access_build(f->g, f->img, slot_of, err, sizeof(err)), 0);
	return f;
}

static void fixture_free(struct fixture *f)
{
	dp_host_access_free(f->g->host_access);
	free(f->g);
	free(f->img);
	free(f);
}

static void ip4_addr(uint8_t *at, const char *s)
{
	struct svr_ip ip;
	assert_int_equal(svr_ip_parse(s, &ip), 0);
	memcpy(at, ip.addr, 4);
}

static void ip6_addr(uint8_t *at, const char *s)
{
	struct svr_ip ip;
	assert_int_equal(svr_ip_parse(s, &ip), 0);
	memcpy(at, ip.addr, 16);
}

/* The first four bytes of a TCP or UDP header (then zeros up to l4_len). */
static void put_ports(uint8_t *l4, uint16_t sport, uint16_t dport)
{
	l4[0] = (uint8_t)(sport >> 8);
	l4[1] = (uint8_t)sport;
	l4[2] = (uint8_t)(dport >> 8);
	l4[3] = (uint8_t)dport;
}

/* An IPv4 packet of opt_len bytes of options and l4_len bytes after them; frag: the
 * flags/offset field. Returns its length. */
static uint32_t ip4(uint8_t *b, const char *src, const char *dst, uint8_t proto, uint16_t sport,
		    uint16_t dport, uint32_t opt_len, uint32_t l4_len, uint16_t frag)
{
	uint32_t ihl = 20 + opt_len, total = ihl + l4_len;
	memset(b, 0, total);
	b[0] = (uint8_t)(0x40 | ihl / 4);
	b[2] = (uint8_t)(total >> 8);
	b[3] = (uint8_t)total;
	b[6] = (uint8_t)(frag >> 8);
	b[7] = (uint8_t)frag;
	b[8] = 64;
	b[9] = proto;
	ip4_addr(b + 12, src);
	ip4_addr(b + 16, dst);
	memset(b + 20, 0x01, opt_len); /* NOPs: read as ports, they would be 257 */
	if (l4_len >= 4)
		put_ports(b + ihl, sport, dport);
	return total;
}

/* An IPv6 packet with the extension headers exts (n of them, each 8 bytes; 44 is a fragment
 * header at offset frag_off) before l4_len bytes of proto. */
static uint32_t ip6(uint8_t *b, const char *src, const char *dst, const uint8_t *exts, int n,
		    uint16_t frag_off, uint8_t proto, uint16_t sport, uint16_t dport,
		    uint32_t l4_len)
{
	uint32_t plen = (uint32_t)n * 8 + l4_len;
	memset(b, 0, 40 + plen);
	b[0] = 0x60;
	b[4] = (uint8_t)(plen >> 8);
	b[5] = (uint8_t)plen;
	b[6] = n ? exts[0] : proto;
	b[7] = 64;
	ip6_addr(b + 8, src);
	ip6_addr(b + 24, dst);
	for (int i = 0; i < n; i++) {
		uint8_t *x = b + 40 + 8 * i;
		x[0] = i + 1 < n ? exts[i + 1] : proto;
		if (exts[i] == 44) {
			x[2] = (uint8_t)((frag_off << 3) >> 8);
			x[3] = (uint8_t)((frag_off << 3) | 1); /* more fragments */
		}
	}
	if (l4_len >= 4)
		put_ports(b + 40 + 8 * n, sport, dport);
	return 40 + plen;
}

#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

/* An IPv4 tcp packet with a 20-byte header and these flags (no options). */
static uint32_t tcp4(uint8_t *b, const char *src, const char *dst, uint16_t sport, uint16_t dport,
		     uint8_t flags)
{
	uint32_t n = ip4(b, src, dst, 6, sport, dport, 0, 20, 0);
	b[20 + 13] = flags;
	return n;
}

/* The same for IPv6, no extension headers. */
static uint32_t tcp6(uint8_t *b, const char *src, const char *dst, uint16_t sport, uint16_t dport,
		     uint8_t flags)
{
	uint32_t n = ip6(b, src, dst, NULL, 0, 0, 6, sport, dport, 20);
	b[40 + 13] = flags;
	return n;
}

static bool admits(const struct fixture *f, uint16_t slot, const uint8_t *b, uint32_t len)
{
	return dp_host_access_admits(f->g, slot, b, len);
}

/* ---- compiling ---- */

static void compile_default(void **state)
{
	(void)state;
	size_t len;
	void *img = compile_text(MODEL_HEAD MODEL_TAIL, &len);
	uint32_t n;
	const struct svr_img_host_access *h = svr_img_table(img, SVR_SEC_HOST_ACCESS, &n);
	const struct svr_img_prefix *px = svr_img_table(img, SVR_SEC_PREFIXES, NULL);
	assert_int_equal(n, 4);
	const uint8_t protos[4] = {6, 6, 89, 17};
	const uint16_t lo[4] = {22, 179, 0, 68}, hi[4] = {22, 179, 65535, 68};
	for (int i = 0; i < 4; i++) {
		assert_int_equal(h[i].protocol, protos[i]);
		assert_int_equal(h[i].has_ports, i != 2);
		assert_int_equal(h[i].port_lo, lo[i]);
		assert_int_equal(h[i].port_hi, hi[i]);
		assert_int_equal(h[i].ifaces, 0);
		/* the first three from the connected subnets, DHCP from anywhere */
		assert_int_equal(h[i].flags,
				 SVR_IMG_HA_ALL_IFACES | (i < 3 ? SVR_IMG_HA_FROM_CONNECTED : 0));
	}
	assert_int_equal(h[3].from.count, 1); /* IPv4 only: port 68 is DHCP over IPv4 */
	assert_int_equal(px[h[3].from.first].family, 4);
	assert_int_equal(px[h[3].from.first].len, 0);
	free(img);
}

static void compile_explicit_and_empty(void **state)
{
	(void)state;
	size_t len;
	void *img = compile_text(
	    MODEL_HEAD ", \"host-access\": [{\"protocol\": \"tcp\", \"port\": "
		       "\"2200-2299\", \"from\": [\"10.9.0.0/16\"], "
		       "\"interfaces\": [\"mgmt\", \"lan\"]}, {\"protocol\": 47}]" MODEL_TAIL,
	    &len);
	uint32_t n;
	const struct svr_img_host_access *h = svr_img_table(img, SVR_SEC_HOST_ACCESS, &n);
	const struct svr_img_prefix *px = svr_img_table(img, SVR_SEC_PREFIXES, NULL);
	assert_int_equal(n, 2);
	assert_int_equal(h[0].protocol, 6);
	assert_int_equal(h[0].has_ports, 1);
	assert_int_equal(h[0].port_lo, 2200);
	assert_int_equal(h[0].port_hi, 2299);
	assert_int_equal(h[0].flags, 0);
	assert_int_equal(h[0].ifaces, 0x5); /* lan is interface 0, mgmt 2 */
	assert_int_equal(h[0].from.count, 1);
	assert_int_equal(px[h[0].from.first].len, 16);
	assert_int_equal(px[h[0].from.first].addr[1], 9);
	assert_int_equal(h[1].protocol, 47);
	assert_int_equal(h[1].has_ports, 0);
	assert_int_equal(h[1].flags, SVR_IMG_HA_FROM_CONNECTED | SVR_IMG_HA_ALL_IFACES);
	free(img);

	img = compile_text(MODEL_HEAD ", \"host-access\": []" MODEL_TAIL, &len);
	svr_img_table(img, SVR_SEC_HOST_ACCESS, &n);
	assert_int_equal(n, 0);
	free(img);
}

/* ---- the default policy ---- */

static void default_ssh_from_connected_only(void **state)
{
	(void)state;
	struct fixture *f = fixture_new(NULL);
	uint8_t b[256];
	uint32_t n = ip4(b, "198.18.1.50", "198.18.1.1", 6, 40000, 22, 0, 20, 0);
	assert_true(admits(f, LAN, b, n));
	assert_false(admits(f, WAN, b, n)); /* not wan's subnet */
	assert_false(admits(f, 1, b, n));   /* no interface in that slot */
	n = ip4(b, "198.18.2.50", "198.18.1.1", 6, 40000, 22, 0, 20, 0);
	assert_false(admits(f, LAN, b, n));
	n = ip4(b, "198.18.1.50", "198.18.1.1", 6, 40000, 23, 0, 20, 0);
	assert_false(admits(f, LAN, b, n));
	n = ip4(b, "198.18.1.50", "198.18.1.1", 17, 40000, 22, 0, 8, 0); /* udp 22: not ssh */
	assert_false(admits(f, LAN, b, n));
	/* IPv4 options: the ports are read after them */
	n = ip4(b, "198.18.1.50", "198.18.1.1", 6, 40000, 22, 8, 20, 0);
	assert_true(admits(f, LAN, b, n));
	/* link padding after the packet is not part of it */
	n = ip4(b, "198.18.1.50", "198.18.1.1", 6, 40000, 22, 0, 20, 0);
	assert_true(admits(f, LAN, b, n + 6));
	fixture_free(f);
}

static void default_bgp_both_directions(void **state)
{
	(void)state;
	struct fixture *f = fixture_new(NULL);
	uint8_t b[256];
	/* the neighbour connects to us (a SYN to 179, then ACKs)... */
	uint32_t n = tcp4(b, "198.18.100.2", "198.18.100.1", 50123, 179, TCP_SYN);
	assert_true(admits(f, WAN, b, n));
	n = tcp4(b, "198.18.100.2", "198.18.100.1", 50123, 179, TCP_ACK);
	assert_true(admits(f, WAN, b, n));
	/* ...and answers the connection our kernel opened: from 179 with ACK, to our port */
	n = tcp4(b, "198.18.100.2", "198.18.100.1", 179, 50123, TCP_SYN | TCP_ACK);
	assert_true(admits(f, WAN, b, n));
	n = tcp4(b, "198.18.100.2", "198.18.100.1", 179, 50123, TCP_ACK);
	assert_true(admits(f, WAN, b, n));
	n = tcp4(b, "198.18.100.2", "198.18.100.1", 179, 50123, TCP_RST | TCP_ACK);
	assert_true(admits(f, WAN, b, n));
	n = tcp6(b, "fe80::2", "fe80::1", 179, 50123, TCP_ACK);
	assert_true(admits(f, WAN, b, n));
	n = tcp4(b, "198.18.100.2", "198.18.100.1", 180, 50123, TCP_ACK);
	assert_false(admits(f, WAN, b, n));
	n = tcp4(b, "203.0.113.9", "198.18.100.1", 179, 50123, TCP_ACK);
	assert_false(admits(f, WAN, b, n)); /* not a connected source */
	fixture_free(f);
}

/* The rule's port is the destination's: sending from 179, 22, 67 or 68 opens no other port. */
static void source_port_opens_nothing(void **state)
{
	(void)state;
	struct fixture *f = fixture_new(NULL);
	uint8_t b[256];
	/* a SYN from 179 (or 22) to FRR's vty ports, from a connected source: refused */
	uint32_t n = tcp4(b, "198.18.100.2", "198.18.100.1", 179, 2605, TCP_SYN);
	assert_false(admits(f, WAN, b, n));
	n = tcp4(b, "198.18.1.50", "198.18.1.1", 22, 2601, TCP_SYN);
	assert_false(admits(f, LAN, b, n));
	n = tcp6(b, "2001:db8:1::9", "2001:db8:1::1", 179, 2605, TCP_SYN);
	assert_false(admits(f, LAN, b, n));
	/* no flags, or RST alone: no ACK, no reply */
	n = tcp4(b, "198.18.100.2", "198.18.100.1", 179, 2605, 0);
	assert_false(admits(f, WAN, b, n));
	n = tcp4(b, "198.18.100.2", "198.18.100.1", 179, 2605, TCP_RST);
	assert_false(admits(f, WAN, b, n));
	/* an ACK from 22 to 2601 is admitted by the reply rule: harmless, an ACK segment cannot
	 * open a connection (the kernel resets one that matches none of its own) */
	n = tcp4(b, "198.18.1.50", "198.18.1.1", 22, 2601, TCP_ACK);
	assert_true(admits(f, LAN, b, n));
	/* a tcp header cut before its flags: the ports are read, the flags are not (no ACK) */
	n = ip4(b, "198.18.100.2", "198.18.100.1", 6, 179, 50123, 0, 13, 0);
	assert_false(admits(f, WAN, b, n));
	n = ip4(b, "198.18.100.2", "198.18.100.1", 6, 50123, 179, 0, 13, 0);
	assert_true(admits(f, WAN, b, n));
	/* udp: the destination port only, from anywhere included */
	n = ip4(b, "203.0.113.1", "198.18.100.1", 17, 67, 5000, 0, 8, 0);
	assert_false(admits(f, WAN, b, n));
	n = ip4(b, "203.0.113.1", "198.18.100.1", 17, 68, 5000, 0, 8, 0);
	assert_false(admits(f, WAN, b, n));
	n = ip6(b, "2001:db8:77::1", "2001:db8:1::1", NULL, 0, 0, 17, 67, 5000, 8);
	assert_false(admits(f, LAN, b, n));
	/* udp from 22 with what would be tcp's ACK bit: udp has no reply rule */
	n = ip4(b, "198.18.1.50", "198.18.1.1", 17, 22, 2601, 0, 20, 0);
	b[20 + 13] = TCP_ACK;
	assert_false(admits(f, LAN, b, n));
	fixture_free(f);
}

static void default_ospf_multicast_and_dhcp(void **state)
{
	(void)state;
	struct fixture *f = fixture_new(NULL);
	uint8_t b[512];
	uint32_t n = ip4(b, "198.18.100.2", "224.0.0.5", 89, 0, 0, 0, 44, 0);
	assert_true(admits(f, WAN, b, n));
	n = ip4(b, "198.18.100.2", "224.0.0.6", 89, 0, 0, 0, 44, 0);
	assert_true(admits(f, WAN, b, n));
	n = ip4(b, "198.18.7.7", "224.0.0.5", 89, 0, 0, 0, 44, 0);
	assert_false(admits(f, WAN, b, n));
	/* OSPFv3 from a link-local address: on every link */
	n = ip6(b, "fe80::2", "ff02::5", NULL, 0, 0, 89, 0, 0, 40);
	assert_true(admits(f, WAN, b, n));
	/* DHCP to the router as a client (port 68), from a server we have no subnet with yet,
	 * on any interface */
	n = ip4(b, "203.0.113.1", "255.255.255.255", 17, 67, 68, 0, 300 - 20, 0);
	assert_true(admits(f, MGMT, b, n));
	n = ip4(b, "203.0.113.1", "198.18.100.1", 17, 67, 68, 0, 300 - 20, 0);
	assert_true(admits(f, WAN, b, n));
	n = ip4(b, "203.0.113.1", "255.255.255.255", 17, 5000, 68, 0, 8, 0);
	assert_true(admits(f, WAN, b, n)); /* the destination port is what counts */
	/* to port 67 (a server's): the router is no DHCP server, refused whatever the source */
	n = ip4(b, "0.0.0.0", "255.255.255.255", 17, 68, 67, 0, 300 - 20, 0);
	assert_false(admits(f, WAN, b, n));
	n = ip4(b, "198.18.100.2", "198.18.100.1", 17, 68, 67, 0, 8, 0);
	assert_false(admits(f, WAN, b, n));
	/* from DHCP's ports to another port: refused */
	n = ip4(b, "203.0.113.1", "255.255.255.255", 17, 67, 69, 0, 8, 0);
	assert_false(admits(f, WAN, b, n));
	n = ip4(b, "203.0.113.1", "255.255.255.255", 17, 53, 69, 0, 8, 0);
	assert_false(admits(f, WAN, b, n));
	fixture_free(f);
}

static void default_ipv6(void **state)
{
	(void)state;
	struct fixture *f = fixture_new(NULL);
	uint8_t b[512];
	uint32_t n = ip6(b, "2001:db8:1::9", "2001:db8:1::1", NULL, 0, 0, 6, 40000, 22, 20);
	assert_true(admits(f, LAN, b, n));
	n = ip6(b, "2001:db8:2::9", "2001:db8:1::1", NULL, 0, 0, 6, 40000, 22, 20);
	assert_false(admits(f, LAN, b, n));
	/* hop-by-hop, destination options and routing headers are walked */
	const uint8_t exts[3] = {0, 60, 43};
	n = ip6(b, "2001:db8:1::9", "2001:db8:1::1", exts, 3, 0, 6, 40000, 22, 20);
	assert_true(admits(f, LAN, b, n));
	/* the first fragment has the ports; a later one does not, and has no port rule */
	const uint8_t frag[2] = {0, 44};
	n = ip6(b, "2001:db8:1::9", "2001:db8:1::1", frag, 2, 0, 6, 40000, 22, 20);
	assert_true(admits(f, LAN, b, n));
	n = ip6(b, "2001:db8:1::9", "2001:db8:1::1", frag, 2, 100, 6, 40000, 22, 20);
	assert_false(admits(f, LAN, b, n));
	n = ip6(b, "fe80::2", "ff02::5", frag, 2, 100, 89, 0, 0, 40);
	assert_true(admits(f, LAN, b, n)); /* ospf has no ports: its fragments go too */
	/* a chain of nine extension headers: refused */
	const uint8_t nine[9] = {0, 60, 60, 60, 60, 60, 60, 60, 60};
	n = ip6(b, "2001:db8:1::9", "2001:db8:1::1", nine, 9, 0, 6, 40000, 22, 20);
	assert_false(admits(f, LAN, b, n));
	n = ip6(b, "2001:db8:1::9", "2001:db8:1::1", nine, 8, 0, 6, 40000, 22, 20);
	assert_true(admits(f, LAN, b, n));
	fixture_free(f);
}

static void ipv4_fragments(void **state)
{
	(void)state;
	struct fixture *f = fixture_new(NULL);
	uint8_t b[256];
	/* first fragment (more fragments, offset 0): ports read */
	uint32_t n = ip4(b, "198.18.1.50", "198.18.1.1", 6, 40000, 22, 0, 20, 0x2000);
	assert_true(admits(f, LAN, b, n));
	/* a later fragment's first bytes are no ports: refused by the port rules */
	n = ip4(b, "198.18.1.50", "198.18.1.1", 6, 40000, 22, 0, 20, 0x2000 | 185);
	assert_false(admits(f, LAN, b, n));
	n = ip4(b, "198.18.100.2", "224.0.0.5", 89, 0, 0, 0, 40, 185);
	assert_true(admits(f, WAN, b, n));
	fixture_free(f);
}

static void truncated_and_malformed_refused(void **state)
{
	(void)state;
	struct fixture *f = fixture_new(NULL);
	uint8_t b[256];
	uint32_t n = ip4(b, "198.18.1.50", "198.18.1.1", 6, 40000, 22, 0, 20, 0);
	assert_true(admits(f, LAN, b, n));
	assert_false(admits(f, LAN, b, 0));
	assert_false(admits(f, LAN, b, 19));
	assert_false(admits(f, LAN, b, n - 1)); /* total length beyond the bytes */
	assert_false(dp_host_access_admits(f->g, LAN, NULL, n));
	assert_false(dp_host_access_admits(NULL, LAN, b, n));
	b[0] = 0x4f; /* IHL 60 bytes, beyond the packet */
	assert_false(admits(f, LAN, b, n));
	b[0] = 0x55; /* version 5 */
	assert_false(admits(f, LAN, b, n));
	/* IHL 16 bytes: read as ports, the destination address would say port 22 */
	n = ip4(b, "198.18.1.50", "0.1.0.22", 6, 40000, 22, 0, 20, 0);
	b[0] = 0x44;
	assert_false(admits(f, LAN, b, n));
	/* tcp with two bytes of header: its ports cut off */
	n = ip4(b, "198.18.1.50", "198.18.1.1", 6, 40000, 22, 0, 2, 0);
	assert_false(admits(f, LAN, b, n));

	n = ip6(b, "2001:db8:1::9", "2001:db8:1::1", NULL, 0, 0, 6, 40000, 22, 20);
	assert_true(admits(f, LAN, b, n));
	assert_false(admits(f, LAN, b, 39));
	assert_false(admits(f, LAN, b, n - 1)); /* payload length beyond the bytes */
	n = ip6(b, "2001:db8:1::9", "2001:db8:1::1", NULL, 0, 0, 6, 40000, 22, 3);
	assert_false(admits(f, LAN, b, n));
	/* an extension header whose length runs past the payload */
	const uint8_t hbh[1] = {0};
	n = ip6(b, "2001:db8:1::9", "2001:db8:1::1", hbh, 1, 0, 6, 40000, 22, 20);
	assert_true(admits(f, LAN, b, n));
	b[41] = 3; /* 32 bytes */
	assert_false(admits(f, LAN, b, n));
	fixture_free(f);
}

/* ---- explicit rules ---- */

static void explicit_from_and_interfaces(void **state)
{
	(void)state;
	struct fixture *f = fixture_new(
	    "[{\"protocol\": \"tcp\", \"port\": \"2200-2299\", \"from\": [\"10.9.0.0/16\","
	    " \"2001:db8:9::/48\"], \"interfaces\": [\"mgmt\"]},"
	    " {\"protocol\": \"icmp\", \"interfaces\": [\"lan\"]}]");
	uint8_t b[256];
	uint32_t n = ip4(b, "10.9.1.1", "10.0.0.1", 6, 40000, 2222, 0, 20, 0);
	assert_true(admits(f, MGMT, b, n));
	assert_false(admits(f, LAN, b, n)); /* another interface */
	n = ip4(b, "10.8.1.1", "10.0.0.1", 6, 40000, 2222, 0, 20, 0);
	assert_false(admits(f, MGMT, b, n)); /* not from */
	n = ip4(b, "10.0.0.9", "10.0.0.1", 6, 40000, 2222, 0, 20, 0);
	assert_false(admits(f, MGMT, b, n)); /* connected, but the rule names its sources */
	n = ip6(b, "2001:db8:9:1::1", "2001:db8:1::1", NULL, 0, 0, 6, 40000, 2299, 20);
	assert_true(admits(f, MGMT, b, n));
	/* the default is gone: ssh from a connected source is refused */
	n = ip4(b, "10.0.0.9", "10.0.0.1", 6, 40000, 22, 0, 20, 0);
	assert_false(admits(f, MGMT, b, n));
	n = ip4(b, "198.18.1.9", "198.18.1.1", 1, 0, 0, 0, 8, 0);
	assert_true(admits(f, LAN, b, n));
	assert_false(admits(f, WAN, b, n));
	n = ip4(b, "198.18.2.9", "198.18.1.1", 1, 0, 0, 0, 8, 0);
	assert_false(admits(f, LAN, b, n)); /* icmp from outside lan's subnets */
	fixture_free(f);
}

static void empty_admits_nothing(void **state)
{
	(void)state;
	struct fixture *f = fixture_new("[]");
	assert_int_equal(f->g->host_access->n_rules, 0);
	uint8_t b[256];
	uint32_t n = ip4(b, "198.18.1.50", "198.18.1.1", 6, 40000, 22, 0, 20, 0);
	assert_false(admits(f, LAN, b, n));
	n = ip4(b, "0.0.0.0", "255.255.255.255", 17, 68, 67, 0, 8, 0);
	assert_false(admits(f, LAN, b, n));
	fixture_free(f);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
	    cmocka_unit_test(compile_default),
	    cmocka_unit_test(compile_explicit_and_empty),
	    cmocka_unit_test(default_ssh_from_connected_only),
	    cmocka_unit_test(default_bgp_both_directions),
	    cmocka_unit_test(source_port_opens_nothing),
	    cmocka_unit_test(default_ospf_multicast_and_dhcp),
	    cmocka_unit_test(default_ipv6),
	    cmocka_unit_test(ipv4_fragments),
	    cmocka_unit_test(truncated_and_malformed_refused),
	    cmocka_unit_test(explicit_from_and_interfaces),
	    cmocka_unit_test(empty_admits_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
