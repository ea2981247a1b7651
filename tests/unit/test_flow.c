/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Session keys from packets (flow/flow.h) and NAT rewrites (flow/rewrite.h): which
 * packets may start a session, ICMP errors keyed by the quoted packet reversed, fragments, IPv6
 * extension headers; and every rewrite leaves checksums that a full recomputation agrees with.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/bytes.h"
#include "flow/flow.h"
#include "flow/rewrite.h"

#define A(s) inet_addr(s) /* network order */

/* A 20-byte IPv4 header at ip with a correct checksum. */
static void ip4(uint8_t *ip, uint8_t proto, const char *src, const char *dst, uint16_t total)
{
	memset(ip, 0, 20);
	ip[0] = 0x45;
	svr_wr16(ip + 2, total);
	ip[8] = 64;
	ip[9] = proto;
	uint32_t s = A(src), d = A(dst);
	memcpy(ip + 12, &s, 4);
	memcpy(ip + 16, &d, 4);
	svr_wr16(ip + 10, svr_cksum(ip, 20));
}

/* TCP/UDP checksum over the IPv4 pseudo-header: as the field should read. */
static uint16_t l4_cksum4(const uint8_t *ip, const uint8_t *l4, uint32_t len, int cksum_off)
{
	uint8_t buf[1600];
	memcpy(buf, l4, len);
	buf[cksum_off] = buf[cksum_off + 1] = 0;
	uint32_t sum = svr_cksum_add(0, ip + 12, 8);
	sum += ip[9];
	sum += len;
	sum = svr_cksum_add(sum, buf, len);
	return (uint16_t)~svr_cksum_fold(sum);
}

/* A TCP segment (20-byte header, 8 bytes of data) of src:sport -> dst:dport with flags. */
static void tcp4(uint8_t *ip, const char *src, uint16_t sport, const char *dst, uint16_t dport,
		 uint8_t flags)
{
	ip4(ip, SVR_IPPROTO_TCP, src, dst, 48);
	uint8_t *t = ip + 20;
	memset(t, 0, 28);
	svr_wr16(t, sport);
	svr_wr16(t + 2, dport);
	t[12] = 5 << 4;
	t[13] = flags;
	memcpy(t + 20, "payload!", 8);
	svr_wr16(t + 16, l4_cksum4(ip, t, 28, 16));
}

static void udp4(uint8_t *ip, const char *src, uint16_t sport, const char *dst, uint16_t dport)
{
	ip4(ip, SVR_IPPROTO_UDP, src, dst, 36);
	uint8_t *u = ip + 20;
	svr_wr16(u, sport);
	svr_wr16(u + 2, dport);
	svr_wr16(u + 4, 16);
	u[6] = u[7] = 0;
	memcpy(u + 8, "datagram", 8);
	svr_wr16(u + 6, l4_cksum4(ip, u, 16, 6));
}

static void echo4(uint8_t *ip, uint8_t type, const char *src, const char *dst, uint16_t id)
{
	ip4(ip, SVR_IPPROTO_ICMP, src, dst, 36);
	uint8_t *c = ip + 20;
	memset(c, 0, 16);
	c[0] = type;
	svr_wr16(c + 4, id);
	svr_wr16(c + 6, 1);
	memcpy(c + 8, "pingpong", 8);
	svr_wr16(c + 2, svr_cksum(c, 16));
}

static void tcp_first_packets(void **state)
{
	(void)state;
	uint8_t p[64];
	struct svr_flow4 f;
	tcp4(p, "198.18.0.2", 40000, "198.18.1.10", 80, SVR_TCP_SYN);
	assert_int_equal(svr_flow_parse4(p, 48, &f), SVR_FLOW_PACKET);
	assert_int_equal(f.key.src, A("198.18.0.2"));
	assert_int_equal(f.key.dst, A("198.18.1.10"));
	assert_int_equal(f.key.sport, htons(40000));
	assert_int_equal(f.key.dport, htons(80));
	assert_int_equal(f.key.proto, 6);
	assert_int_equal(f.l4_off, 20);
	assert_true(f.may_start);
	assert_false(f.fragment);

	static const uint8_t not_first[] = {SVR_TCP_SYN | SVR_TCP_ACK, SVR_TCP_ACK, SVR_TCP_RST,
					    SVR_TCP_SYN | SVR_TCP_FIN, 0};
	for (size_t i = 0; i < sizeof(not_first); i++) {
		tcp4(p, "198.18.0.2", 40000, "198.18.1.10", 80, not_first[i]);
		assert_int_equal(svr_flow_parse4(p, 48, &f), SVR_FLOW_PACKET);
		assert_false(f.may_start);
		assert_int_equal(f.tcp_flags, not_first[i]);
	}
	/* A TCP header cut short, or one claiming less than 20 bytes. */
	tcp4(p, "198.18.0.2", 1, "198.18.1.10", 80, SVR_TCP_SYN);
	assert_int_equal(svr_flow_parse4(p, 30, &f), SVR_FLOW_MALFORMED);
	p[20 + 12] = 4 << 4;
	assert_int_equal(svr_flow_parse4(p, 48, &f), SVR_FLOW_MALFORMED);
}

static void udp_icmp_and_others(void **state)
{
	(void)state;
	uint8_t p[64];
	struct svr_flow4 f;
	udp4(p, "198.18.0.2", 5353, "198.18.1.10", 53);
	assert_int_equal(svr_flow_parse4(p, 36, &f), SVR_FLOW_PACKET);
	assert_true(f.may_start);
	assert_int_equal(f.key.dport, htons(53));

	echo4(p, 8, "198.18.0.2", "198.18.1.10", 0x1234);
	assert_int_equal(svr_flow_parse4(p, 36, &f), SVR_FLOW_PACKET);
	assert_true(f.may_start);
	assert_int_equal(f.key.sport, htons(0x1234)); /* the identifier stands in for a port */
	assert_int_equal(f.key.dport, 0);
	/* The reply, reversed, is the request's key: same identifier, addresses swapped. */
	echo4(p, 0, "198.18.1.10", "198.18.0.2", 0x1234);
	struct svr_flow4 r;
	assert_int_equal(svr_flow_parse4(p, 36, &r), SVR_FLOW_PACKET);
	assert_false(r.may_start);
	struct svr_skey4 back;
	svr_skey4_reverse(&r.key, &back);
	assert_memory_equal(&back, &f.key, sizeof(back));

	ip4(p, 47, "198.18.0.2", "198.18.1.10", 24); /* GRE: addresses and protocol only */
	assert_int_equal(svr_flow_parse4(p, 24, &f), SVR_FLOW_PACKET);
	assert_true(f.may_start);
	assert_int_equal(f.key.sport | f.key.dport, 0);
}

static void icmp_error_keys_the_quoted_session(void **state)
{
	(void)state;
	/* Port unreachable from 198.18.1.10 about 198.19.0.1:5353 -> 198.18.1.10:53 (after NAT). */
	uint8_t p[128];
	ip4(p, SVR_IPPROTO_ICMP, "198.18.1.10", "198.19.0.1", 20 + 8 + 36);
	uint8_t *icmp = p + 20;
	memset(icmp, 0, 8);
	icmp[0] = 3;
	icmp[1] = 3;
	udp4(icmp + 8, "198.19.0.1", 5353, "198.18.1.10", 53);
	svr_wr16(icmp + 2, svr_cksum(icmp, 8 + 36));
	struct svr_flow4 f;
	assert_int_equal(svr_flow_parse4(p, 64, &f), SVR_FLOW_ICMP_ERROR);
	assert_int_equal(f.inner_off, 28);
	/* The key the replies of that session carry. */
	assert_int_equal(f.key.src, A("198.18.1.10"));
	assert_int_equal(f.key.dst, A("198.19.0.1"));
	assert_int_equal(f.key.sport, htons(53));
	assert_int_equal(f.key.dport, htons(5353));
	/* Quoting too little to hold the ports, or an error about an error: malformed. */
	assert_int_equal(svr_flow_parse4(p, 20 + 8 + 20 + 4, &f), SVR_FLOW_MALFORMED);
	echo4(icmp + 8, 3, "198.19.0.1", "198.18.1.10", 0);
	assert_int_equal(svr_flow_parse4(p, 64, &f), SVR_FLOW_MALFORMED);
	/* Quoting a later fragment: what follows its header is data, not ports. It is its own
	 * kind (not a later fragment of the error itself, which is whole). */
	udp4(icmp + 8, "198.19.0.1", 5353, "198.18.1.10", 53);
	svr_wr16(icmp + 8 + 6, 100); /* offset 800 */
	assert_int_equal(svr_flow_parse4(p, 64, &f), SVR_FLOW_ICMP_ERROR_FRAGMENT);
	assert_false(f.fragment);
	svr_wr16(icmp + 8 + 6, 0x2000); /* a first fragment (MF, offset 0) holds its ports */
	assert_int_equal(svr_flow_parse4(p, 64, &f), SVR_FLOW_ICMP_ERROR);
	assert_int_equal(f.key.sport, htons(53));
}

static void fragments(void **state)
{
	(void)state;
	uint8_t p[64];
	struct svr_flow4 f;
	udp4(p, "198.18.0.2", 7, "198.18.1.10", 9);
	svr_wr16(p + 4, 0x3003);
	svr_wr16(p + 6, 0x2000); /* MF, offset 0: the first fragment keeps its ports */
	assert_int_equal(svr_flow_parse4(p, 36, &f), SVR_FLOW_PACKET);
	assert_true(f.fragment);
	assert_int_equal(f.frag_id, 0x3003);
	svr_wr16(p + 6, 200); /* a later fragment: no transport header */
	assert_int_equal(svr_flow_parse4(p, 36, &f), SVR_FLOW_FRAGMENT);
	assert_int_equal(f.frag_id, 0x3003);
	assert_int_equal(f.key.proto, 17);
}

/* An IPv6 packet: header, then a chain of (next header, bytes) built by the caller. */
static void ip6(uint8_t *ip, uint8_t next, uint16_t payload)
{
	memset(ip, 0, 40);
	ip[0] = 0x60;
	svr_wr16(ip + 4, payload);
	ip[6] = next;
	ip[7] = 64;
	inet_pton(AF_INET6, "2001:db8:1::2", ip + 8);
	inet_pton(AF_INET6, "2001:db8:2::2", ip + 24);
}

static void ipv6_extension_headers_and_fragments(void **state)
{
	(void)state;
	uint8_t p[160] = {0};
	struct svr_flow6 f;
	/* hop-by-hop (8 bytes) then TCP SYN */
	ip6(p, 0, 8 + 20);
	p[40] = SVR_IPPROTO_TCP;
	uint8_t *t = p + 48;
	svr_wr16(t, 1111);
	svr_wr16(t + 2, 443);
	t[12] = 5 << 4;
	t[13] = SVR_TCP_SYN;
	assert_int_equal(svr_flow_parse6(p, 40 + 28, &f), SVR_FLOW_PACKET);
	assert_int_equal(f.l4_off, 48);
	assert_int_equal(f.key.proto, 6);
	assert_int_equal(f.key.dport, htons(443));
	assert_true(f.may_start);
	assert_false(f.fragment);
	/* a fragment header with offset 0 (first), then a later one */
	ip6(p, 44, 8 + 8);
	p[40] = SVR_IPPROTO_UDP;
	svr_wr16(p + 42, 0x0001); /* offset 0, M */
	p[44] = 0xde, p[45] = 0xad, p[46] = 0xbe, p[47] = 0xef;
	svr_wr16(p + 48, 5000);
	svr_wr16(p + 50, 53);
	assert_int_equal(svr_flow_parse6(p, 40 + 16, &f), SVR_FLOW_PACKET);
	assert_true(f.fragment);
	assert_int_equal(f.frag_id, 0xdeadbeef);
	assert_int_equal(f.key.dport, htons(53));
	svr_wr16(p + 42, 100 << 3);
	assert_int_equal(svr_flow_parse6(p, 40 + 16, &f), SVR_FLOW_FRAGMENT);
	/* an extension header running past the packet */
	ip6(p, 60, 8);
	p[41] = 3; /* 32 bytes */
	assert_int_equal(svr_flow_parse6(p, 48, &f), SVR_FLOW_MALFORMED);
	/* ICMPv6 packet too big quoting our UDP packet: keyed by the reply direction */
	ip6(p, SVR_IPPROTO_ICMPV6, 8 + 48);
	p[40] = 2;
	ip6(p + 48, SVR_IPPROTO_UDP, 8);
	svr_wr16(p + 88, 5000);
	svr_wr16(p + 90, 53);
	assert_int_equal(svr_flow_parse6(p, 40 + 56, &f), SVR_FLOW_ICMP_ERROR);
	assert_int_equal(f.key.sport, htons(53));
	assert_int_equal(f.key.dport, htons(5000));
	uint8_t want[16];
	inet_pton(AF_INET6, "2001:db8:2::2", want);
	assert_memory_equal(f.key.src, want, 16);
	/* the same error quoting a later fragment of that datagram: no ports to key by */
	ip6(p, SVR_IPPROTO_ICMPV6, 8 + 56);
	p[40] = 2;
	ip6(p + 48, 44, 16);
	p[88] = SVR_IPPROTO_UDP;
	svr_wr16(p + 90, 100 << 3);
	assert_int_equal(svr_flow_parse6(p, 40 + 64, &f), SVR_FLOW_ICMP_ERROR_FRAGMENT);
	assert_false(f.fragment);
}

/* Applies a NAT rewrite for the packet's own key and checks every checksum after it. */
static void rewrite_and_check(uint8_t *ip, uint32_t len, const char *src, uint16_t sport,
			      const char *dst, uint16_t dport)
{
	struct svr_flow4 f;
	assert_int_equal(svr_flow_parse4(ip, len, &f), SVR_FLOW_PACKET);
	struct svr_rewrite rw = {.src = A(src), .dst = A(dst), .flags = SVR_RW_NAT};
	rw.sport = htons(sport);
	rw.dport = f.key.proto == SVR_IPPROTO_ICMP ? 0 : htons(dport);
	svr_rewrite_deltas(&rw, &f.key);
	svr_rewrite4(ip, ip + f.l4_off, f.key.proto, &rw);
	assert_true(svr_ip4_cksum_ok(ip, 20));
	assert_memory_equal(ip + 12, &rw.src, 4);
	assert_memory_equal(ip + 16, &rw.dst, 4);
	uint8_t *l4 = ip + 20;
	switch (f.key.proto) {
	case SVR_IPPROTO_TCP:
		assert_int_equal(svr_rd16(l4 + 16), l4_cksum4(ip, l4, len - 20, 16));
		break;
	case SVR_IPPROTO_UDP:
		if (svr_rd16(l4 + 6))
			assert_int_equal(svr_rd16(l4 + 6), l4_cksum4(ip, l4, len - 20, 6));
		break;
	case SVR_IPPROTO_ICMP:
		assert_int_equal(svr_cksum_fold(svr_cksum_add(0, l4, len - 20)), 0xffff);
		assert_int_equal(svr_rd16(l4 + 4), sport);
		break;
	}
}

static void nat_rewrites_keep_checksums_right(void **state)
{
	(void)state;
	uint8_t p[64];
	/* source NAT of a TCP SYN, many port values (the carries of the ones' complement sum) */
	for (uint32_t port = 1; port < 65536; port += 997) {
		tcp4(p, "198.18.0.2", 40000, "198.18.1.10", 80, SVR_TCP_SYN);
		rewrite_and_check(p, 48, "198.19.0.1", (uint16_t)port, "198.18.1.10", 80);
	}
	/* destination NAT of UDP; a UDP checksum of zero (none) stays zero */
	udp4(p, "198.18.0.2", 5353, "198.18.0.1", 53);
	rewrite_and_check(p, 36, "198.18.0.2", 5353, "10.9.8.7", 53);
	udp4(p, "198.18.0.2", 5353, "198.18.0.1", 53);
	p[26] = p[27] = 0;
	rewrite_and_check(p, 36, "198.19.0.1", 1024, "198.18.1.10", 53);
	assert_int_equal(svr_rd16(p + 26), 0);
	/* ICMP echo: the identifier */
	echo4(p, 8, "198.18.0.2", "198.18.1.10", 0x1234);
	rewrite_and_check(p, 36, "198.19.0.1", 0xfedc, "198.18.1.10", 0);
}

static void icmp_error_translated_back(void **state)
{
	(void)state;
	/*
	 * h1 198.18.0.2:5353 -> 198.18.1.10:53 left as 198.19.0.1:5353. The far host's port
	 * unreachable comes back to 198.19.0.1; the reverse rewrite restores h1.
	 */
	uint8_t p[128];
	ip4(p, SVR_IPPROTO_ICMP, "198.18.1.10", "198.19.0.1", 20 + 8 + 36);
	uint8_t *icmp = p + 20;
	memset(icmp, 0, 8);
	icmp[0] = 3;
	icmp[1] = 3;
	udp4(icmp + 8, "198.19.0.1", 5353, "198.18.1.10", 53);
	svr_wr16(icmp + 2, svr_cksum(icmp, 8 + 36));
	struct svr_flow4 f;
	assert_int_equal(svr_flow_parse4(p, 64, &f), SVR_FLOW_ICMP_ERROR);
	struct svr_rewrite rev = {.src = A("198.18.1.10"),
				  .dst = A("198.18.0.2"),
				  .sport = htons(53),
				  .dport = htons(5353),
				  .flags = SVR_RW_NAT};
	svr_rewrite_icmp_error4(p, 64, f.inner_off, &rev, false);
	assert_true(svr_ip4_cksum_ok(p, 20));
	assert_int_equal(svr_cksum_fold(svr_cksum_add(0, icmp, 44)), 0xffff);
	uint8_t *in = icmp + 8;
	assert_true(svr_ip4_cksum_ok(in, 20));
	uint32_t a;
	memcpy(&a, p + 12, 4);
	assert_int_equal(a, A("198.18.1.10")); /* from the quoted destination: kept as is */
	memcpy(&a, p + 16, 4);
	assert_int_equal(a, A("198.18.0.2"));
	memcpy(&a, in + 12, 4);
	assert_int_equal(a, A("198.18.0.2")); /* the quoted packet as h1 sent it */
	assert_int_equal(svr_rd16(in + 20), 5353);
	assert_int_equal(svr_rd16(in + 26), l4_cksum4(in, in + 20, 16, 6));
}

static void icmp_error_from_behind_source_nat(void **state)
{
	(void)state;
	/*
	 * h1's router 10.1.1.1, inside, says "fragmentation needed" about the far host's reply
	 * 198.18.1.10:53 -> 198.18.0.2:5353. It travels the forward direction of a session whose
	 * source is translated to 198.19.0.1: it must leave from 198.19.0.1, quoting the reply
	 * as it was sent to 198.19.0.1.
	 */
	uint8_t p[128];
	ip4(p, SVR_IPPROTO_ICMP, "10.1.1.1", "198.18.1.10", 20 + 8 + 36);
	uint8_t *icmp = p + 20;
	memset(icmp, 0, 8);
	icmp[0] = 3;
	icmp[1] = 4;
	udp4(icmp + 8, "198.18.1.10", 53, "198.18.0.2", 5353);
	svr_wr16(icmp + 2, svr_cksum(icmp, 8 + 36));
	struct svr_flow4 f;
	assert_int_equal(svr_flow_parse4(p, 64, &f), SVR_FLOW_ICMP_ERROR);
	struct svr_rewrite fwd = {.src = A("198.19.0.1"),
				  .dst = A("198.18.1.10"),
				  .sport = htons(5353),
				  .dport = htons(53),
				  .flags = SVR_RW_NAT};
	svr_rewrite_icmp_error4(p, 64, f.inner_off, &fwd, fwd.src != f.key.src);
	uint32_t a;
	memcpy(&a, p + 12, 4);
	assert_int_equal(a, A("198.19.0.1"));
	memcpy(&a, icmp + 8 + 16, 4);
	assert_int_equal(a, A("198.19.0.1")); /* quoted: the reply as sent to the NAT address */
	assert_true(svr_ip4_cksum_ok(p, 20));
	assert_int_equal(svr_cksum_fold(svr_cksum_add(0, icmp, 44)), 0xffff);
	uint8_t *in = icmp + 8;
	assert_int_equal(svr_rd16(in + 26), l4_cksum4(in, in + 20, 16, 6));
	/* A fragmented error is never translated. */
	svr_wr16(p + 6, 0x2000);
	assert_int_equal(svr_flow_parse4(p, 64, &f), SVR_FLOW_MALFORMED);
}

/*
 * The acknowledged flag: cleared once, and a rewrite whose flag is already clear is only read
 * (shown on a read-only page: a store there, even one that changes nothing, faults).
 */
static void metadata_stop_writes_only_once(void **state)
{
	(void)state;
	long page = sysconf(_SC_PAGESIZE);
	struct svr_rewrite *rw =
	    mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(rw != MAP_FAILED);
	rw->flags = SVR_RW_MD_ADD | SVR_RW_HMAC_ADD;
	svr_rewrite_stop_md(rw);
	assert_int_equal(rw->flags, SVR_RW_HMAC_ADD);
	assert_int_equal(mprotect(rw, (size_t)page, PROT_READ), 0);
	for (int i = 0; i < 3; i++) /* every later packet of the flow */
		svr_rewrite_stop_md(rw);
	assert_int_equal(rw->flags, SVR_RW_HMAC_ADD);
	munmap(rw, (size_t)page);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(tcp_first_packets),
	    cmocka_unit_test(udp_icmp_and_others),
	    cmocka_unit_test(icmp_error_keys_the_quoted_session),
	    cmocka_unit_test(fragments),
	    cmocka_unit_test(ipv6_extension_headers_and_fragments),
	    cmocka_unit_test(nat_rewrites_keep_checksums_right),
	    cmocka_unit_test(icmp_error_translated_back),
	    cmocka_unit_test(icmp_error_from_behind_source_nat),
	    cmocka_unit_test(metadata_stop_writes_only_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
