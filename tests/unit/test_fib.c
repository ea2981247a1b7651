/* SPDX-License-Identifier: BSD-3-Clause */
/* The FIB wrapper over rte_fib/rte_fib6: longest prefix match, next-hop sharing, replacement. */
#include <setjmp.h>
#include <stdarg.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <rte_byteorder.h>

#include "eal_fixture.h"
#include "l2l3/fib.h"

static struct svr_ip ip(const char *s)
{
	struct svr_ip a;
	assert_int_equal(svr_ip_parse(s, &a), 0);
	return a;
}

static struct svr_prefix pfx(const char *s)
{
	struct svr_prefix p;
	assert_int_equal(svr_prefix_parse(s, &p, false), 0);
	return p;
}

static const struct svr_nexthop *route_of(const struct svr_fib *fib, const char *dst)
{
	struct svr_ip a = ip(dst);
	return &fib->nh[svr_fib_lookup(fib, &a)];
}

static void longest_prefix_wins(void **state)
{
	(void)state;
	struct svr_fib *fib = svr_fib_create("t_lpm", 64, 0);
	assert_non_null(fib);
	struct svr_prefix p;
	struct svr_ip gw1 = ip("198.18.100.254"), gw2 = ip("198.18.1.254");

	p = pfx("0.0.0.0/0");
	assert_int_equal(svr_fib_add(fib, &p, SVR_NH_GATEWAY, 1, &gw1), 0);
	p = pfx("198.18.1.0/24");
	assert_int_equal(svr_fib_add(fib, &p, SVR_NH_CONNECTED, 0, NULL), 0);
	p = pfx("198.18.1.1/32");
	assert_int_equal(svr_fib_add(fib, &p, SVR_NH_LOCAL, 0, NULL), 0);
	p = pfx("198.18.1.128/25");
	assert_int_equal(svr_fib_add(fib, &p, SVR_NH_GATEWAY, 0, &gw2), 0);

	assert_int_equal(route_of(fib, "198.18.1.1")->type, SVR_NH_LOCAL);
	assert_int_equal(route_of(fib, "198.18.1.7")->type, SVR_NH_CONNECTED);
	const struct svr_nexthop *h = route_of(fib, "198.18.1.200");
	assert_int_equal(h->type, SVR_NH_GATEWAY);
	assert_true(svr_ip_equal(&h->gateway, &gw2));
	h = route_of(fib, "203.0.113.1");
	assert_int_equal(h->type, SVR_NH_GATEWAY);
	assert_int_equal(h->iface, 1);
	assert_true(svr_ip_equal(&h->gateway, &gw1));
	assert_int_equal(fib->n_routes, 4);
	svr_fib_free(fib);
}

static void no_route_is_index_zero(void **state)
{
	(void)state;
	struct svr_fib *fib = svr_fib_create("t_none", 16, 0);
	struct svr_prefix p = pfx("198.18.0.0/16");
	assert_int_equal(svr_fib_add(fib, &p, SVR_NH_CONNECTED, 0, NULL), 0);
	struct svr_ip a = ip("198.19.0.1");
	assert_int_equal(svr_fib_lookup(fib, &a), 0);
	assert_int_equal(fib->nh[0].type, SVR_NH_NONE);
	a = ip("2001:db8::1");
	assert_int_equal(svr_fib_lookup(fib, &a), 0);
	svr_fib_free(fib);
}

static void ipv6_and_bulk(void **state)
{
	(void)state;
	struct svr_fib *fib = svr_fib_create("t_v6", 16, 0);
	struct svr_prefix p = pfx("2001:db8:1::/64");
	assert_int_equal(svr_fib_add(fib, &p, SVR_NH_CONNECTED, 2, NULL), 0);
	struct svr_ip gw = ip("2001:db8:1::fe");
	p = pfx("::/0");
	assert_int_equal(svr_fib_add(fib, &p, SVR_NH_GATEWAY, 2, &gw), 0);
	p = pfx("198.18.1.0/24");
	assert_int_equal(svr_fib_add(fib, &p, SVR_NH_CONNECTED, 3, NULL), 0);

	uint8_t dst[3][16];
	struct svr_ip a = ip("2001:db8:1::5"), b = ip("2001:db8:99::1"), c = ip("2001:db8:1::ffff");
	memcpy(dst[0], a.addr, 16);
	memcpy(dst[1], b.addr, 16);
	memcpy(dst[2], c.addr, 16);
	uint64_t nh[3];
	svr_fib_lookup6(fib, dst, nh, 3);
	assert_int_equal(fib->nh[nh[0]].type, SVR_NH_CONNECTED);
	assert_int_equal(fib->nh[nh[1]].type, SVR_NH_GATEWAY);
	assert_int_equal(nh[2], nh[0]);

	uint32_t d4[2] = {0xc6120107 /* 198.18.1.7 */, 0xc6130001 /* 198.19.0.1 */};
	uint64_t nh4[2];
	svr_fib_lookup4(fib, d4, nh4, 2);
	assert_int_equal(fib->nh[nh4[0]].iface, 3);
	assert_int_equal(nh4[1], 0);
	svr_fib_free(fib);
}

static void nexthops_shared_and_routes_replaced(void **state)
{
	(void)state;
	struct svr_fib *fib = svr_fib_create("t_nh", 16, 0);
	struct svr_ip gw = ip("198.18.100.254"), gw2 = ip("198.18.100.253");
	struct svr_prefix a = pfx("203.0.113.0/24"), b = pfx("198.51.100.0/24");
	assert_int_equal(svr_fib_add(fib, &a, SVR_NH_GATEWAY, 1, &gw), 0);
	assert_int_equal(svr_fib_add(fib, &b, SVR_NH_GATEWAY, 1, &gw), 0);
	assert_int_equal(fib->n_nh, 2); /* index 0 plus one shared gateway */

	assert_int_equal(svr_fib_add(fib, &a, SVR_NH_GATEWAY, 1, &gw2), 0);
	assert_int_equal(fib->n_routes, 2);
	const struct svr_nexthop *h = route_of(fib, "203.0.113.9");
	assert_true(svr_ip_equal(&h->gateway, &gw2));

	/* Host bits of the prefix are ignored. */
	struct svr_prefix c = pfx("192.0.2.77/24");
	assert_int_equal(svr_fib_add(fib, &c, SVR_NH_CONNECTED, 0, NULL), 0);
	char buf[64];
	assert_string_equal(svr_prefix_fmt(&fib->routes[2].prefix, buf, sizeof(buf)),
			    "192.0.2.0/24");

	assert_int_equal(svr_fib_add(fib, &c, SVR_NH_GATEWAY, 0, NULL), -EINVAL);
	svr_fib_free(fib);
}

static void neighbour_links_gateway_nexthops(void **state)
{
	(void)state;
	struct svr_fib *fib = svr_fib_create("t_link", 16, 0);
	struct svr_ip gw = ip("198.18.100.254");
	struct svr_prefix a = pfx("0.0.0.0/0"), b = pfx("203.0.113.0/24");
	assert_int_equal(svr_fib_add(fib, &a, SVR_NH_GATEWAY, 1, &gw), 0);
	assert_int_equal(svr_fib_add(fib, &b, SVR_NH_GATEWAY, 2, &gw), 0);
	svr_fib_link_neigh(fib, 1, &gw, 42);
	assert_int_equal(atomic_load(&route_of(fib, "8.8.8.8")->neigh), 42);
	/* Same gateway address on another interface is another neighbour. */
	assert_int_equal(atomic_load(&route_of(fib, "203.0.113.5")->neigh), SVR_NEIGH_NONE);
	svr_fib_link_neigh(fib, 1, &gw, SVR_NEIGH_NONE);
	assert_int_equal(atomic_load(&route_of(fib, "8.8.8.8")->neigh), SVR_NEIGH_NONE);
	svr_fib_free(fib);
}

static void capacity_is_enforced(void **state)
{
	(void)state;
	struct svr_fib *fib = svr_fib_create("t_cap", 2, 0);
	struct svr_prefix a = pfx("198.18.1.0/24"), b = pfx("198.18.2.0/24"),
			  c = pfx("198.18.3.0/24");
	assert_int_equal(svr_fib_add(fib, &a, SVR_NH_CONNECTED, 0, NULL), 0);
	assert_int_equal(svr_fib_add(fib, &b, SVR_NH_CONNECTED, 1, NULL), 0);
	assert_int_equal(svr_fib_add(fib, &c, SVR_NH_CONNECTED, 1, NULL), -ENOSPC);
	svr_fib_free(fib);
}

/* A route removed: lookups fall back to the next longest prefix; the last route took its slot
 * and is still found, replaced and removed by its prefix; a removed prefix comes back. */
static void routes_removed(void **state)
{
	(void)state;
	struct svr_fib *fib = svr_fib_create("t_del", 8, 0);
	struct svr_prefix wide = pfx("198.18.0.0/16"), narrow = pfx("198.18.1.0/24"),
			  v6 = pfx("2001:db8::/32");
	assert_int_equal(svr_fib_add(fib, &wide, SVR_NH_CONNECTED, 1, NULL), 0);
	assert_int_equal(svr_fib_add(fib, &narrow, SVR_NH_CONNECTED, 2, NULL), 0);
	assert_int_equal(svr_fib_add(fib, &v6, SVR_NH_CONNECTED, 3, NULL), 0);
	assert_int_equal(route_of(fib, "198.18.1.9")->iface, 2);

	struct svr_prefix narrow_host_bits = pfx("198.18.1.77/24");
	assert_int_equal(svr_fib_del(fib, &narrow_host_bits), 0);
	assert_int_equal(fib->n_routes, 2);
	assert_int_equal(route_of(fib, "198.18.1.9")->iface, 1); /* the /16 again */
	assert_int_equal(svr_fib_del(fib, &narrow), -ENOENT);

	/* the IPv6 route moved into the freed slot: still its own */
	assert_int_equal(route_of(fib, "2001:db8::5")->iface, 3);
	assert_int_equal(svr_fib_add(fib, &v6, SVR_NH_CONNECTED, 4, NULL), 0);
	assert_int_equal(fib->n_routes, 2);
	assert_int_equal(route_of(fib, "2001:db8::5")->iface, 4);
	assert_int_equal(svr_fib_del(fib, &v6), 0);
	assert_int_equal(svr_fib_lookup(fib, &(struct svr_ip){.family = SVR_AF_INET6}), 0);
	assert_int_equal(route_of(fib, "2001:db8::5") - fib->nh, 0);

	assert_int_equal(svr_fib_add(fib, &narrow, SVR_NH_CONNECTED, 5, NULL), 0);
	assert_int_equal(route_of(fib, "198.18.1.9")->iface, 5);
	assert_int_equal(fib->n_routes, 2);
	svr_fib_free(fib);
}

/* Every 97th address of 198.18.0.0/16 is looked up as the reference says (iface -1: none). */
static void check_lookups(const struct svr_fib *fib, const struct svr_prefix *p,
			  const uint32_t *net, const int *iface, int n)
{
	for (uint32_t host = 0; host < 256 * 256; host += 97) {
		uint32_t a = 0xc6120000u | host;
		int want = -1, best = -1;
		for (int i = 0; i < n; i++) {
			uint32_t mask = ~0u << (32 - p[i].len);
			if (iface[i] >= 0 && (a & mask) == net[i] && p[i].len > best) {
				best = p[i].len;
				want = iface[i];
			}
		}
		uint64_t nh;
		svr_fib_lookup4(fib, &a, &nh, 1);
		assert_int_equal(nh ? fib->nh[nh].iface : -1, want);
	}
}

/*
 * Many adds, replacements and removals in a random order against a reference: every /24 of a
 * /16, some /20s and /16s over them, checked for each address's longest prefix after each round,
 * and the dense route list holding exactly the live routes. Live (kernel routes, staged): a
 * round's changes are invisible to lookups until published, and after each catch-up the next
 * round goes into the other table, so both are checked.
 */
#define REF_PREFIXES (256 + 16 + 4 + 1)
static void random_changes(bool live)
{
	struct svr_fib *fib =
	    svr_fib_create(live ? "t_live" : "t_ref", REF_PREFIXES, live ? 256 : 0);
	struct svr_prefix p[REF_PREFIXES];
	int iface[REF_PREFIXES], before[REF_PREFIXES]; /* -1: not in the table */
	uint32_t net[REF_PREFIXES];                    /* host order */
	for (int i = 0; i < REF_PREFIXES; i++) {
		/* 198.18.X.0: every /24, sixteen /20s, four /18s, the /16 */
		int len = i < 256 ? 24 : i < 272 ? 20 : i < 276 ? 18 : 16;
		uint32_t third = i < 256   ? (uint32_t)i
				 : i < 272 ? (uint32_t)(i - 256) * 16
				 : i < 276 ? (uint32_t)(i - 272) * 64
					   : 0;
		net[i] = 0xc6120000u | third << 8;
		uint32_t be = rte_cpu_to_be_32(net[i]);
		p[i].ip = (struct svr_ip){.family = SVR_AF_INET};
		memcpy(p[i].ip.addr, &be, 4);
		p[i].len = (uint8_t)len;
		iface[i] = -1;
	}
	srand(7);
	for (int round = 0; round < 40; round++) {
		memcpy(before, iface, sizeof(before));
		for (int n = 0; n < 200; n++) {
			int i = rand() % REF_PREFIXES;
			if (rand() % 3 == 0) {
				assert_int_equal(live ? svr_fib_kernel_del(fib, true, &p[i])
						      : svr_fib_del(fib, &p[i]),
						 iface[i] < 0 ? -ENOENT : 0);
				iface[i] = -1;
			} else {
				int ifc = 1 + rand() % 30;
				assert_int_equal(live ? svr_fib_kernel_add(fib, true, &p[i],
									   SVR_NH_CONNECTED,
									   (uint16_t)ifc, NULL)
						      : svr_fib_add(fib, &p[i], SVR_NH_CONNECTED,
								    (uint16_t)ifc, NULL),
						 0);
				iface[i] = ifc;
			}
		}
		if (live) { /* staged: the workers' table is the previous round's */
			check_lookups(fib, p, net, before, REF_PREFIXES);
			svr_fib_publish(fib);
			check_lookups(fib, p, net, iface, REF_PREFIXES);
			svr_fib_catch_up(fib);
			assert_int_equal(fib->n_pending, 0);
		}
		uint32_t count = 0;
		for (int i = 0; i < REF_PREFIXES; i++)
			count += iface[i] >= 0;
		assert_int_equal(fib->n_routes, count);
		/* the dense list holds each live route once, with its next hop */
		for (int i = 0; i < REF_PREFIXES; i++) {
			int found = 0;
			for (uint32_t k = 0; k < fib->n_routes; k++)
				if (fib->routes[k].prefix.len == p[i].len &&
				    svr_ip_equal(&fib->routes[k].prefix.ip, &p[i].ip)) {
					found++;
					assert_int_equal(fib->nh[fib->routes[k].nh].iface,
							 iface[i]);
				}
			assert_int_equal(found, iface[i] >= 0);
		}
		check_lookups(fib, p, net, iface, REF_PREFIXES);
	}
	svr_fib_free(fib);
}

static void random_changes_match_a_reference(void **state)
{
	(void)state;
	random_changes(false);
}

static void live_changes_staged_published_caught_up(void **state)
{
	(void)state;
	random_changes(true);
}

/* Kernel routes never replace nor remove a policy route of the same prefix; a staged batch
 * that is full says so; a FIB that is not live takes no staged change. */
static void kernel_routes_give_way_to_policy(void **state)
{
	(void)state;
	struct svr_fib *fib = svr_fib_create("t_prec", 16, 2);
	struct svr_prefix conn = pfx("198.18.1.0/24"), other = pfx("198.18.2.0/24"),
			  third = pfx("198.18.3.0/24");
	struct svr_ip gw = ip("198.18.1.1");
	assert_int_equal(svr_fib_add(fib, &conn, SVR_NH_CONNECTED, 1, NULL), 0);
	assert_int_equal(svr_fib_kernel_add(fib, false, &conn, SVR_NH_GATEWAY, 1, &gw), -EEXIST);
	assert_int_equal(svr_fib_kernel_add(fib, true, &conn, SVR_NH_GATEWAY, 1, &gw), -EEXIST);
	assert_int_equal(svr_fib_kernel_del(fib, true, &conn), -ENOENT);
	assert_int_equal(route_of(fib, "198.18.1.9")->type, SVR_NH_CONNECTED);
	assert_int_equal(fib->n_pending, 0);

	assert_int_equal(svr_fib_kernel_add(fib, true, &other, SVR_NH_GATEWAY, 1, &gw), 0);
	assert_int_equal(svr_fib_kernel_add(fib, true, &third, SVR_NH_GATEWAY, 1, &gw), 0);
	assert_int_equal(svr_fib_kernel_del(fib, true, &other), -ENOBUFS);
	assert_int_equal(route_of(fib, "198.18.2.9") - fib->nh, 0); /* not published yet */
	svr_fib_publish(fib);
	assert_int_equal(route_of(fib, "198.18.2.9")->type, SVR_NH_GATEWAY);
	svr_fib_catch_up(fib);
	assert_int_equal(fib->n_kernel, 2);
	/* a policy route replaces a kernel one (a new policy generation builds its FIB so) */
	assert_int_equal(svr_fib_add(fib, &other, SVR_NH_CONNECTED, 2, NULL), 0);
	assert_int_equal(route_of(fib, "198.18.2.9")->iface, 2);
	assert_int_equal(fib->n_kernel, 1);
	assert_int_equal(svr_fib_kernel_del(fib, true, &third), 0);
	assert_int_equal(fib->n_kernel, 0);
	svr_fib_free(fib);

	struct svr_fib *plain = svr_fib_create("t_plain", 4, 0);
	assert_int_equal(svr_fib_kernel_add(plain, true, &other, SVR_NH_GATEWAY, 1, &gw), -EINVAL);
	assert_int_equal(svr_fib_kernel_add(plain, false, &other, SVR_NH_GATEWAY, 1, &gw), 0);
	assert_int_equal(plain->routes[0].origin, SVR_ORIGIN_KERNEL);
	svr_fib_free(plain);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(longest_prefix_wins),
	    cmocka_unit_test(no_route_is_index_zero),
	    cmocka_unit_test(ipv6_and_bulk),
	    cmocka_unit_test(nexthops_shared_and_routes_replaced),
	    cmocka_unit_test(neighbour_links_gateway_nexthops),
	    cmocka_unit_test(capacity_is_enforced),
	    cmocka_unit_test(routes_removed),
	    cmocka_unit_test(random_changes_match_a_reference),
	    cmocka_unit_test(live_changes_staged_published_caught_up),
	    cmocka_unit_test(kernel_routes_give_way_to_policy),
	};
	return cmocka_run_group_tests(tests, eal_setup, eal_teardown);
}
