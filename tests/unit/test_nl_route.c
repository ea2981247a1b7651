/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The route mirror's pure parts (src/control/netlink): a kernel route message as a route-ring
 * change (IPv4, IPv6, gateway or on the link, multipath, tables, what is skipped, malformed
 * messages), the link table, the queue before the ring, and the twins a model asks for. The
 * messages are built in memory with libnl, as the kernel would send them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <pthread.h>

#include <arpa/inet.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "netlink/follow_int.h"
#include "netlink/links.h"
#include "netlink/pending.h"
#include "netlink/routemsg.h"
#include "netlink/twins.h"

/* ---- building messages ---- */

struct route_spec {
	int type; /* RTM_NEWROUTE, RTM_DELROUTE */
	int family;
	const char *dst; /* NULL: the default route */
	unsigned len;
	const char *gw; /* NULL: on the link */
	uint32_t oif;
	uint32_t table; /* > 255: in RTA_TABLE only */
	unsigned char rtype, proto;
	unsigned flags;
	uint32_t metric;
};

static void put_addr(struct nl_msg *m, int attr, int family, const char *text)
{
	uint8_t a[16];
	assert_int_equal(inet_pton(family, text, a), 1);
	assert_int_equal(nla_put(m, attr, family == AF_INET ? 4 : 16, a), 0);
}

static struct nl_msg *route_msg(const struct route_spec *s)
{
	struct nl_msg *m = nlmsg_alloc_simple(s->type ? s->type : RTM_NEWROUTE, 0);
	assert_non_null(m);
	struct rtmsg rtm = {
	    .rtm_family = (unsigned char)s->family,
	    .rtm_dst_len = (unsigned char)s->len,
	    .rtm_table = (unsigned char)(s->table > 255 ? RT_TABLE_UNSPEC : s->table),
	    .rtm_protocol = s->proto,
	    .rtm_scope = RT_SCOPE_UNIVERSE,
	    .rtm_type = s->rtype ? s->rtype : RTN_UNICAST,
	    .rtm_flags = s->flags,
	};
	assert_int_equal(nlmsg_append(m, &rtm, sizeof(rtm), NLMSG_ALIGNTO), 0);
	assert_int_equal(nla_put_u32(m, RTA_TABLE, s->table), 0);
	if (s->dst)
		put_addr(m, RTA_DST, s->family, s->dst);
	if (s->gw)
		put_addr(m, RTA_GATEWAY, s->family, s->gw);
	if (s->oif)
		assert_int_equal(nla_put_u32(m, RTA_OIF, s->oif), 0);
	if (s->metric)
		assert_int_equal(nla_put_u32(m, RTA_PRIORITY, s->metric), 0);
	return m;
}

/* Two next hops (IPv4), as the kernel reports an ECMP route. */
static void put_multipath(struct nl_msg *m, uint32_t oif1, const char *gw1, uint32_t oif2,
			  const char *gw2)
{
	uint8_t buf[64] = {0};
	size_t off = 0;
	const char *gws[2] = {gw1, gw2};
	uint32_t oifs[2] = {oif1, oif2};
	for (int i = 0; i < 2; i++) {
		struct rtnexthop *nh = (struct rtnexthop *)(buf + off);
		nh->rtnh_len = (unsigned short)RTNH_LENGTH(RTA_LENGTH(4));
		nh->rtnh_ifindex = (int)oifs[i];
		struct rtattr *a = RTNH_DATA(nh);
		a->rta_type = RTA_GATEWAY;
		a->rta_len = RTA_LENGTH(4);
		assert_int_equal(inet_pton(AF_INET, gws[i], RTA_DATA(a)), 1);
		off += RTNH_ALIGN(nh->rtnh_len);
	}
	assert_int_equal(nla_put(m, RTA_MULTIPATH, (int)off, buf), 0);
}

static struct ctl_nl_links links;

static int setup(void **state)
{
	(void)state;
	ctl_nl_links_init(&links);
	assert_int_equal(ctl_nl_links_set(&links, 7, "wan", IFF_UP), 0);
	assert_int_equal(ctl_nl_links_set(&links, 3, "lan", IFF_UP), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ctl_nl_links_free(&links);
	return 0;
}

static enum ctl_nl_route_verdict translate(struct nl_msg *m, struct svr_route_change *c,
					   enum ctl_nl_route_skip *why)
{
	enum ctl_nl_route_verdict v = ctl_nl_route_change(nlmsg_hdr(m), &links, c, why);
	nlmsg_free(m);
	return v;
}

static void assert_addr(const uint8_t *got, int family, const char *want)
{
	uint8_t a[16] = {0};
	assert_int_equal(inet_pton(family, want, a), 1);
	assert_memory_equal(got, a, 16);
}

/* ---- translation ---- */

static void test_ipv4_gateway(void **state)
{
	(void)state;
	struct svr_route_change c;
	struct route_spec s = {.family = AF_INET,
			       .dst = "198.19.5.0",
			       .len = 24,
			       .gw = "198.18.0.2",
			       .oif = 7,
			       .table = RT_TABLE_MAIN,
			       .proto = 186,
			       .metric = 20};
	assert_int_equal(translate(route_msg(&s), &c, NULL), CTL_NL_ROUTE_CHANGE);
	assert_int_equal(c.op, SVR_ROUTE_ADD);
	assert_int_equal(c.family, 4);
	assert_int_equal(c.len, 24);
	assert_int_equal(c.table, 254);
	assert_int_equal(c.proto, 186);
	assert_int_equal(c.metric, 20);
	assert_int_equal(c.ifindex, 7);
	assert_string_equal(c.ifname, "wan");
	assert_addr(c.prefix, AF_INET, "198.19.5.0");
	assert_addr(c.gateway, AF_INET, "198.18.0.2");
	assert_true(svr_route_change_valid(&c));
}

static void test_ipv6_onlink_delete(void **state)
{
	(void)state;
	struct svr_route_change c;
	struct route_spec s = {.type = RTM_DELROUTE,
			       .family = AF_INET6,
			       .dst = "2001:db8:7::",
			       .len = 48,
			       .oif = 3,
			       .table = RT_TABLE_MAIN,
			       .metric = 1024};
	assert_int_equal(translate(route_msg(&s), &c, NULL), CTL_NL_ROUTE_CHANGE);
	assert_int_equal(c.op, SVR_ROUTE_DEL);
	assert_int_equal(c.family, 6);
	assert_int_equal(c.len, 48);
	assert_string_equal(c.ifname, "lan");
	assert_addr(c.prefix, AF_INET6, "2001:db8:7::");
	assert_addr(c.gateway, AF_INET6, "::"); /* on the link */
	assert_true(svr_route_change_valid(&c));
}

static void test_default_route(void **state)
{
	(void)state;
	struct svr_route_change c;
	struct route_spec s = {
	    .family = AF_INET, .gw = "198.18.0.1", .oif = 7, .table = RT_TABLE_MAIN};
	assert_int_equal(translate(route_msg(&s), &c, NULL), CTL_NL_ROUTE_CHANGE);
	assert_int_equal(c.len, 0);
	assert_addr(c.prefix, AF_INET, "0.0.0.0");
}

static void test_multipath_first_hop(void **state)
{
	(void)state;
	struct svr_route_change c;
	struct route_spec s = {
	    .family = AF_INET, .dst = "198.19.8.0", .len = 24, .table = RT_TABLE_MAIN};
	struct nl_msg *m = route_msg(&s);
	put_multipath(m, 3, "198.18.3.3", 7, "198.18.4.4");
	assert_int_equal(translate(m, &c, NULL), CTL_NL_ROUTE_CHANGE);
	assert_int_equal(c.ifindex, 3);
	assert_string_equal(c.ifname, "lan");
	assert_addr(c.gateway, AF_INET, "198.18.3.3");
}

static void test_table_beyond_255(void **state)
{
	(void)state;
	struct svr_route_change c;
	struct route_spec s = {
	    .family = AF_INET, .dst = "198.19.6.0", .len = 24, .oif = 7, .table = 100};
	assert_int_equal(translate(route_msg(&s), &c, NULL), CTL_NL_ROUTE_CHANGE);
	assert_int_equal(c.table, 100);
	s.table = 70000; /* rtm_table says RT_TABLE_UNSPEC, RTA_TABLE the table */
	assert_int_equal(translate(route_msg(&s), &c, NULL), CTL_NL_ROUTE_CHANGE);
	assert_int_equal(c.table, 70000);
}

static void test_unknown_ifindex(void **state)
{
	(void)state;
	struct svr_route_change c;
	struct route_spec s = {
	    .family = AF_INET, .dst = "198.19.9.0", .len = 24, .oif = 42, .table = RT_TABLE_MAIN};
	assert_int_equal(translate(route_msg(&s), &c, NULL), CTL_NL_ROUTE_CHANGE);
	assert_int_equal(c.ifindex, 42);
	assert_string_equal(c.ifname, ""); /* the dataplane ignores it */
}

static void expect_skip(const struct route_spec *s, enum ctl_nl_route_skip reason)
{
	struct svr_route_change c;
	enum ctl_nl_route_skip why = CTL_NL_SKIP_NONE;
	assert_int_equal(translate(route_msg(s), &c, &why), CTL_NL_ROUTE_SKIP);
	assert_int_equal(why, reason);
}

static void test_skipped(void **state)
{
	(void)state;
	struct route_spec local = {.family = AF_INET,
				   .dst = "198.18.0.1",
				   .len = 32,
				   .oif = 7,
				   .table = RT_TABLE_LOCAL,
				   .rtype = RTN_UNICAST};
	expect_skip(&local, CTL_NL_SKIP_LOCAL);
	struct route_spec cloned = {.family = AF_INET6,
				    .dst = "2001:db8::9",
				    .len = 128,
				    .oif = 7,
				    .table = RT_TABLE_MAIN,
				    .flags = RTM_F_CLONED};
	expect_skip(&cloned, CTL_NL_SKIP_CLONED);
	struct route_spec blackhole = {.family = AF_INET,
				       .dst = "198.19.0.0",
				       .len = 16,
				       .table = RT_TABLE_MAIN,
				       .rtype = RTN_BLACKHOLE};
	expect_skip(&blackhole, CTL_NL_SKIP_TYPE);
	struct route_spec mpls = {.family = AF_MPLS, .table = RT_TABLE_MAIN};
	expect_skip(&mpls, CTL_NL_SKIP_FAMILY);
	struct route_spec ll = {
	    .family = AF_INET6, .dst = "fe80::", .len = 64, .oif = 7, .table = RT_TABLE_MAIN};
	expect_skip(&ll, CTL_NL_SKIP_LINKLOCAL);
}

static void test_malformed(void **state)
{
	(void)state;
	struct svr_route_change c;
	struct route_spec s = {
	    .family = AF_INET, .dst = "198.19.5.0", .len = 33, .oif = 7, .table = RT_TABLE_MAIN};
	assert_int_equal(translate(route_msg(&s), &c, NULL), CTL_NL_ROUTE_BAD);
	/* an IPv6 destination in an IPv4 route */
	s.len = 24;
	s.dst = NULL;
	struct nl_msg *m = route_msg(&s);
	put_addr(m, RTA_DST, AF_INET6, "2001:db8::");
	assert_int_equal(translate(m, &c, NULL), CTL_NL_ROUTE_BAD);
	/* a truncated message: the header says more than there is */
	m = route_msg(&s);
	nlmsg_hdr(m)->nlmsg_len = NLMSG_HDRLEN + 4;
	assert_int_equal(translate(m, &c, NULL), CTL_NL_ROUTE_BAD);
	/* not a route message */
	m = nlmsg_alloc_simple(RTM_NEWLINK, 0);
	assert_int_equal(translate(m, &c, NULL), CTL_NL_ROUTE_BAD);
}

/* ---- links ---- */

static struct nl_msg *link_msg(int type, int ifindex, const char *name, unsigned flags)
{
	struct nl_msg *m = nlmsg_alloc_simple(type, 0);
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = ifindex, .ifi_flags = flags};
	assert_int_equal(nlmsg_append(m, &ifi, sizeof(ifi), NLMSG_ALIGNTO), 0);
	if (name)
		assert_int_equal(nla_put_string(m, IFLA_IFNAME, name), 0);
	return m;
}

/* A link message with IFLA_LINKINFO's kind (a link's kind comes in its IFLA_LINKINFO). */
static struct nl_msg *link_msg_kind(int ifindex, const char *name, const char *kind)
{
	struct nl_msg *m = link_msg(RTM_NEWLINK, ifindex, name, IFF_UP);
	struct nlattr *li = nla_nest_start(m, IFLA_LINKINFO);
	assert_non_null(li);
	assert_int_equal(nla_put_string(m, IFLA_INFO_KIND, kind), 0);
	nla_nest_end(m, li);
	return m;
}

static enum ctl_nl_link_event link_event(struct ctl_nl_links *l, struct nl_msg *m,
					 struct ctl_nl_link *out)
{
	enum ctl_nl_link_event e = ctl_nl_links_apply(l, nlmsg_hdr(m), out);
	nlmsg_free(m);
	return e;
}

static void test_links(void **state)
{
	(void)state;
	struct ctl_nl_links l;
	struct ctl_nl_link got;
	ctl_nl_links_init(&l);
	for (int i = 40; i > 0; i--) { /* out of order, past the first growth */
		char name[IF_NAMESIZE];
		snprintf(name, sizeof(name), "if%d", i);
		assert_int_equal(link_event(&l, link_msg(RTM_NEWLINK, i * 3, name, 0), &got),
				 CTL_NL_LINK_NEW);
	}
	assert_int_equal(l.n, 40);
	assert_string_equal(ctl_nl_links_get(&l, 30)->name, "if10");
	assert_null(ctl_nl_links_get(&l, 31));
	assert_int_equal(link_event(&l, link_msg(RTM_NEWLINK, 30, "if10", 0), NULL),
			 CTL_NL_LINK_NONE);
	assert_int_equal(link_event(&l, link_msg(RTM_NEWLINK, 30, NULL, IFF_UP), &got),
			 CTL_NL_LINK_CHANGED);
	assert_string_equal(got.name, "if10"); /* a change without the name keeps it */
	assert_int_equal(link_event(&l, link_msg(RTM_NEWLINK, 30, "wan", IFF_UP), &got),
			 CTL_NL_LINK_NEW); /* renamed: a twin may be one now */
	assert_string_equal(ctl_nl_links_get(&l, 30)->name, "wan");
	assert_int_equal(link_event(&l, link_msg(RTM_DELLINK, 30, NULL, 0), &got),
			 CTL_NL_LINK_GONE);
	assert_string_equal(got.name, "wan");
	assert_null(ctl_nl_links_get(&l, 30));
	assert_int_equal(link_event(&l, link_msg(RTM_DELLINK, 30, NULL, 0), NULL),
			 CTL_NL_LINK_NONE);
	assert_int_equal(l.n, 39);
	for (unsigned i = 1; i < l.n; i++)
		assert_true(l.v[i - 1].ifindex < l.v[i].ifindex);
	ctl_nl_links_free(&l);
}

/* A link's kind: TUN and TAP devices (kind "tun") are what twins are; a veth, or a link of no
 * kind (a NIC), is not. A message without IFLA_LINKINFO keeps what the link was. */
static void test_links_kind(void **state)
{
	(void)state;
	struct ctl_nl_links l;
	struct ctl_nl_link got;
	ctl_nl_links_init(&l);
	assert_int_equal(link_event(&l, link_msg_kind(5, "lan", "tun"), &got), CTL_NL_LINK_NEW);
	assert_true(got.tun);
	assert_int_equal(link_event(&l, link_msg_kind(6, "wan", "veth"), &got), CTL_NL_LINK_NEW);
	assert_false(got.tun);
	assert_int_equal(link_event(&l, link_msg(RTM_NEWLINK, 7, "eth0", 0), &got),
			 CTL_NL_LINK_NEW);
	assert_false(got.tun);
	assert_int_equal(link_event(&l, link_msg(RTM_NEWLINK, 5, NULL, 0), &got),
			 CTL_NL_LINK_CHANGED);
	assert_true(got.tun);
	assert_true(ctl_nl_links_get(&l, 5)->tun);
	assert_false(ctl_nl_links_get(&l, 6)->tun);
	ctl_nl_links_free(&l);
}

/* ---- the queue before the ring ---- */

static void test_pending(void **state)
{
	(void)state;
	size_t bytes = svr_route_ring_bytes(4);
	void *mem = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
	assert_non_null(mem);
	svr_route_ring_init(mem, 4);
	struct svr_route_end prod, cons;
	assert_int_equal(svr_route_ring_attach(&prod, mem, bytes, true), 0);
	assert_int_equal(svr_route_ring_attach(&cons, mem, bytes, false), 0);
	struct ctl_nl_pending q;
	assert_int_equal(ctl_nl_pending_init(&q, 8), 0);
	for (uint32_t i = 0; i < 8; i++) {
		struct svr_route_change c = {.op = SVR_ROUTE_ADD, .family = 4, .metric = i};
		assert_true(ctl_nl_pending_push(&q, &c));
	}
	struct svr_route_change extra = {.op = SVR_ROUTE_DEL};
	assert_false(ctl_nl_pending_push(&q, &extra));        /* bounded */
	assert_int_equal(ctl_nl_pending_flush(&q, &prod), 4); /* what the ring takes */
	assert_int_equal(ctl_nl_pending_count(&q), 4);
	assert_int_equal(ctl_nl_pending_flush(&q, &prod), 0);
	struct svr_route_change out[8];
	assert_int_equal(svr_route_ring_take(&cons, out, 8), 4);
	for (uint32_t i = 0; i < 4; i++)
		assert_int_equal(out[i].metric, i);
	/* wraps in the queue: two more, then everything in order */
	for (uint32_t i = 8; i < 10; i++) {
		struct svr_route_change c = {.op = SVR_ROUTE_ADD, .family = 4, .metric = i};
		assert_true(ctl_nl_pending_push(&q, &c));
	}
	assert_int_equal(ctl_nl_pending_flush(&q, &prod), 4);
	assert_int_equal(svr_route_ring_take(&cons, out, 8), 4);
	assert_int_equal(ctl_nl_pending_flush(&q, &prod), 2);
	assert_int_equal(svr_route_ring_take(&cons, out + 4, 4), 2);
	for (uint32_t i = 0; i < 6; i++)
		assert_int_equal(out[i].metric, 4 + i);
	ctl_nl_pending_clear(&q);
	assert_int_equal(ctl_nl_pending_count(&q), 0);
	ctl_nl_pending_free(&q);
	free(mem);
}

/* ---- the twins a model asks for ---- */

static void test_twins_from_router(void **state)
{
	(void)state;
	json_error_t e;
	json_t *r =
	    json_loads("{\"name\": \"r1\", \"interfaces\": ["
		       "{\"name\": \"wan\", \"device\": \"x\", \"addresses\": [\"198.18.1.1/24\", "
		       "\"2001:db8:1::1/64\"]},"
		       "{\"name\": \"lan\", \"device\": \"y\", \"dhcp\": true},"
		       "{\"name\": \"a-name-too-long-for-a-kernel\", \"device\": \"z\"}]}",
		       0, &e);
	assert_non_null(r);
	struct ctl_nl_twins t;
	assert_int_equal(ctl_nl_twins_from_router(r, &t), 0);
	assert_int_equal(t.n, 2);
	struct ctl_nl_twin *wan = ctl_nl_twins_find(&t, "wan");
	assert_non_null(wan);
	assert_false(wan->dhcp); /* every IPv4 address on it but the model's goes */
	assert_true(ctl_nl_twins_find(&t, "lan")->dhcp); /* its client's lease stays */
	assert_int_equal(wan->naddr, 2);
	assert_string_equal(wan->addr[1], "2001:db8:1::1/64");
	assert_int_equal(ctl_nl_twins_find(&t, "lan")->naddr, 0);
	assert_null(ctl_nl_twins_find(&t, "eth0"));
	ctl_nl_twins_free(&t);
	json_decref(r);
}

/* A link with a model interface's name that is no TUN/TAP device (a veth "lan" in the
 * dataplane's own namespace, say) is not a twin: no address of it is touched, nor its state.
 * The mirror has no command socket here: any netlink request would fail the test. */
static void test_twin_sync_leaves_non_tun(void **state)
{
	(void)state;
	json_error_t e;
	json_t *r = json_loads("{\"name\": \"r1\", \"interfaces\": ["
			       "{\"name\": \"lan\", \"device\": \"y\", \"addresses\": "
			       "[\"198.18.2.1/24\"]},"
			       "{\"name\": \"wan\", \"device\": \"x\"}]}",
			       0, &e);
	assert_non_null(r);
	struct ctl_nl_follow *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	ctl_nl_links_init(&f->links);
	assert_int_equal(ctl_nl_twins_from_router(r, &f->twins), 0);
	assert_int_equal(link_event(&f->links, link_msg_kind(4, "lan", "veth"), NULL),
			 CTL_NL_LINK_NEW);
	assert_int_equal(link_event(&f->links, link_msg(RTM_NEWLINK, 9, "wan", IFF_UP), NULL),
			 CTL_NL_LINK_NEW);
	for (int round = 0; round < 2; round++) {
		ctl_nl_mark_twins_dirty(f);
		ctl_nl_sync_twins(f);
		assert_int_equal(f->st.twin_syncs, 0);
		assert_int_equal(f->st.twin_errors, 0);
		assert_false(ctl_nl_twins_find(&f->twins, "lan")->dirty);
		assert_true(ctl_nl_twins_find(&f->twins, "lan")->not_tun_said); /* said once */
		assert_true(ctl_nl_twins_find(&f->twins, "wan")->not_tun_said);
	}
	ctl_nl_twins_free(&f->twins);
	ctl_nl_links_free(&f->links);
	free(f);
	json_decref(r);
}

/* ---- the way out: ringout.c ---- */

/* A mirror with a ring of ring_cap changes and a queue of 8, in memory. */
static struct ctl_nl_follow *out_new(uint32_t ring_cap, struct svr_route_end *cons)
{
	struct ctl_nl_follow *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	size_t bytes = svr_route_ring_bytes(ring_cap);
	void *mem = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
	assert_non_null(mem);
	svr_route_ring_init(mem, ring_cap);
	assert_int_equal(svr_route_ring_attach(&f->ring, mem, bytes, true), 0);
	assert_int_equal(svr_route_ring_attach(cons, mem, bytes, false), 0);
	assert_int_equal(ctl_nl_pending_init(&f->pending, 8), 0);
	return f;
}

static void out_free(struct ctl_nl_follow *f)
{
	free(f->ring.ring);
	ctl_nl_pending_free(&f->pending);
	free(f);
}

static struct svr_route_change numbered(uint32_t n)
{
	struct svr_route_change c = {.op = SVR_ROUTE_ADD, .family = 4, .len = 32, .metric = n};
	return c;
}

static void test_out_overflow_drops(void **state)
{
	(void)state;
	struct svr_route_end cons;
	struct ctl_nl_follow *f = out_new(4, &cons);
	for (uint32_t i = 0; i < 8; i++) {
		struct svr_route_change c = numbered(i);
		ctl_nl_emit(f, &c);
	}
	ctl_nl_flush(f); /* 4 into the ring, 4 wait */
	assert_int_equal(f->st.changes_written, 4);
	assert_int_equal(ctl_nl_ring_used(f), 4);
	for (uint32_t i = 8; i < 12; i++) {
		struct svr_route_change c = numbered(i);
		ctl_nl_emit(f, &c);
	}
	assert_false(f->dropping);
	struct svr_route_change c = numbered(12);
	ctl_nl_emit(f, &c); /* the queue is full too: everything waiting goes */
	assert_true(f->dropping);
	assert_int_equal(f->st.dropped, 9);
	assert_int_equal(f->need_resync, CTL_NL_RESYNC_OVERFLOW + 1);
	assert_int_equal(ctl_nl_pending_count(&f->pending), 0);
	ctl_nl_emit(f, &c); /* not kept: the listing will say it */
	assert_int_equal(ctl_nl_pending_count(&f->pending), 0);
	/* a due listing waits for room: not before the consumer took half the ring */
	f->resync_at_ms = 0;
	assert_false(ctl_nl_resync_ready(f));
	/* what reached the ring did, in order */
	struct svr_route_change out[4];
	assert_int_equal(svr_route_ring_take(&cons, out, 4), 4);
	for (uint32_t i = 0; i < 4; i++)
		assert_int_equal(out[i].metric, i);
	assert_true(ctl_nl_resync_ready(f));
	out_free(f);
}

struct slow_consumer {
	struct svr_route_end *cons;
	uint32_t want, got;
	bool in_order;
};

static void *consume_slowly(void *arg)
{
	struct slow_consumer *s = arg;
	struct svr_route_change c;
	s->in_order = true;
	while (s->got < s->want) {
		if (svr_route_ring_take(s->cons, &c, 1) == 1) {
			s->in_order = s->in_order && c.metric == s->got;
			s->got++;
		}
		usleep(200);
	}
	return NULL;
}

static void test_out_listing_waits(void **state)
{
	(void)state;
	struct svr_route_end cons;
	struct ctl_nl_follow *f = out_new(4, &cons);
	struct slow_consumer s = {.cons = &cons, .want = 100};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, consume_slowly, &s), 0);
	f->listing = true;
	f->last_progress_ms = ctl_nl_now_ms();
	for (uint32_t i = 0; i < 100; i++) {
		struct svr_route_change c = numbered(i);
		ctl_nl_emit(f, &c);
	}
	while (ctl_nl_pending_count(&f->pending))
		ctl_nl_flush(f);
	pthread_join(t, NULL);
	assert_int_equal(s.got, 100);
	assert_true(s.in_order);
	assert_false(f->dropping);
	assert_int_equal(f->st.dropped, 0);
	assert_true(f->st.ring_full_waits > 0);
	out_free(f);
}

static void test_out_listing_gives_up(void **state)
{
	(void)state;
	struct svr_route_end cons;
	struct ctl_nl_follow *f = out_new(4, &cons);
	f->listing = true;
	f->last_progress_ms = ctl_nl_now_ms();
	uint64_t t0 = ctl_nl_now_ms();
	for (uint32_t i = 0; i < 13; i++) { /* 4 in the ring, 8 in the queue, one too many */
		struct svr_route_change c = numbered(i);
		ctl_nl_emit(f, &c);
	}
	uint64_t waited = ctl_nl_now_ms() - t0;
	assert_true(waited >= LISTING_STALL_MS && waited < LISTING_STALL_MS + 1000);
	assert_true(f->listing_failed);
	assert_true(f->dropping);
	assert_int_equal(f->need_resync, CTL_NL_RESYNC_OVERFLOW + 1);
	out_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_ipv4_gateway, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ipv6_onlink_delete, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_default_route, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_multipath_first_hop, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_table_beyond_255, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unknown_ifindex, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_skipped, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
	    cmocka_unit_test(test_links),
	    cmocka_unit_test(test_links_kind),
	    cmocka_unit_test(test_pending),
	    cmocka_unit_test(test_twins_from_router),
	    cmocka_unit_test(test_twin_sync_leaves_non_tun),
	    cmocka_unit_test(test_out_overflow_drops),
	    cmocka_unit_test(test_out_listing_waits),
	    cmocka_unit_test(test_out_listing_gives_up),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
