/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Routes from the kernel (l2l3/kroutes.c) through the real route ring in shared memory, as
 * svr-control writes it: the listing asked for at attach, changes staged and published, the
 * other table caught up only after the workers' quiescent state, routes by interfaces the
 * dataplane lacks or in other tables kept but not installed, a policy route that wins, a
 * listing that drops what it does not name, the next-best metric, a broken producer, and a new
 * FIB filled from the RIB. A table a tenant is bound to: its routes go into its own (compact)
 * FIB by the same staged deltas, the main table's into the main FIB.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <stdio.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "eal_fixture.h"
#include "common/routering.h"
#include "common/image.h"
#include "core/dp.h"
#include "l2l3/fib.h"
#include "l2l3/kroutes.h"
#include "l2l3/neigh.h"
#include "l2l3/tfib.h"

struct dp dp; /* the process state kroutes.c reads */
static uint64_t clock_ms;
uint64_t dp_now_ms(void)
{
	return clock_ms;
}

static struct dp_config conf;
static struct dp_gen gen;
static struct svr_route_end prod;

static struct svr_route_change add(const char *prefix, int len, const char *gw, const char *ifname,
				   uint32_t table, uint32_t metric)
{
	struct svr_route_change c = {.op = SVR_ROUTE_ADD,
				     .family = 4,
				     .len = (uint8_t)len,
				     .proto = 186,
				     .table = table,
				     .metric = metric};
	inet_pton(AF_INET, prefix, c.prefix);
	if (gw)
		inet_pton(AF_INET, gw, c.gateway);
	snprintf(c.ifname, sizeof(c.ifname), "%s", ifname);
	return c;
}

static struct svr_route_change add6(const char *prefix, int len, const char *gw, const char *ifname,
				    uint32_t table)
{
	struct svr_route_change c = {.op = SVR_ROUTE_ADD,
				     .family = 6,
				     .len = (uint8_t)len,
				     .proto = 186,
				     .table = table,
				     .metric = 20};
	inet_pton(AF_INET6, prefix, c.prefix);
	inet_pton(AF_INET6, gw, c.gateway);
	snprintf(c.ifname, sizeof(c.ifname), "%s", ifname);
	return c;
}

static struct svr_route_change del(struct svr_route_change c)
{
	c.op = SVR_ROUTE_DEL;
	return c;
}

static struct svr_route_change marker(enum svr_route_op op)
{
	return (struct svr_route_change){.op = (uint8_t)op};
}

static void put(struct svr_route_change c)
{
	assert_int_equal(svr_route_ring_put(&prod, &c, 1), 1);
}

/* The interface a destination leaves by in the tables workers read, -1 for none; *gw its
 * gateway's last byte (0: on the link). */
static int leaves_by_in(const struct svr_fib *fib, const char *dst, int *gw)
{
	struct svr_ip a = {.family = SVR_AF_INET};
	inet_pton(AF_INET, dst, a.addr);
	uint32_t nh = svr_fib_lookup(fib, &a);
	if (!nh)
		return -1;
	if (gw)
		*gw = fib->nh[nh].type == SVR_NH_GATEWAY ? fib->nh[nh].gateway.addr[3] : 0;
	return fib->nh[nh].iface;
}

static int leaves_by(const char *dst, int *gw)
{
	return leaves_by_in(gen.fib, dst, gw);
}

/* Staged changes some FIB of gen lacks in its other table. */
static uint32_t pending(void)
{
	uint32_t n = gen.fib->n_pending;
	for (unsigned s = 0; s < DP_TFIB_SLOTS; s++)
		n += gen.tfib[s] ? gen.tfib[s]->n_pending : 0;
	return n;
}

/* Polls until the ring is drained and the batch caught up (the worker passes quiescent
 * states). */
static void settle(void)
{
	for (int i = 0; i < 100; i++) {
		rte_rcu_qsbr_quiescent(dp.qsbr, 0);
		dp_kroutes_poll(clock_ms);
		if (!pending() && atomic_load(&prod.ring->tail) == prod.count)
			return;
	}
	fail_msg("the route ring never settled");
}

static int setup(void **state)
{
	if (eal_setup(state) < 0)
		return -1;
	snprintf(conf.instance, sizeof(conf.instance), "ut-kr-%d", (int)getpid());
	dp.conf = &conf;
	dp.qsbr = rte_zmalloc("qs", rte_rcu_qsbr_get_memsize(1), 64);
	rte_rcu_qsbr_init(dp.qsbr, 1);
	rte_rcu_qsbr_thread_register(dp.qsbr, 0);
	rte_rcu_qsbr_thread_online(dp.qsbr, 0); /* a worker that must pass a quiescent state */
	dp.neigh = svr_neigh_create("ut-kr", 64, dp.qsbr);
	gen.n_ifaces = 2;
	gen.ifaces[0] = (struct dp_iface){.name = "wan", .in_use = true};
	gen.ifaces[1] = (struct dp_iface){.name = "lan", .in_use = true};
	atomic_store(&dp.gen, &gen);
	svr_route_shm_unlink(conf.instance);
	return dp.neigh ? 0 : -1;
}

static int teardown(void **state)
{
	svr_route_shm_unlink(conf.instance);
	return eal_teardown(state);
}

static void mirror(void **state)
{
	(void)state;
	char err[128];
	assert_int_equal(dp_kroutes_init(16), 0);
	gen.fib = svr_fib_create("ut-kr", 64 + dp_kroutes_fib_room(), dp_kroutes_fib_batch());
	assert_non_null(gen.fib);
	struct svr_prefix pol = {.ip = {.family = SVR_AF_INET, .addr = {198, 19, 7, 0}}, .len = 24};
	struct svr_ip pol_gw = {.family = SVR_AF_INET, .addr = {198, 18, 1, 9}};
	assert_int_equal(svr_fib_add(gen.fib, &pol, SVR_NH_GATEWAY, 1, &pol_gw), 0);

	/* the dataplane attaches first and asks for the listing */
	dp_kroutes_poll(clock_ms);
	assert_int_equal(svr_route_shm_open(&prod, conf.instance, true, err, sizeof(err)), 0);
	uint64_t seen = 0;
	assert_true(svr_route_ring_resync_asked(&prod, &seen));

	struct svr_route_change bgp = add("198.19.5.0", 24, "198.18.2.2", "wan", 254, 20);
	put(marker(SVR_ROUTE_SYNC_BEGIN));
	put(bgp);
	put(add("198.19.6.0", 24, NULL, "lan", 254, 0));           /* on the link */
	put(add("198.19.8.0", 24, "198.18.2.2", "wan", 100, 20));  /* another table */
	put(add("198.19.9.0", 24, "198.18.2.2", "tun0", 254, 20)); /* not our interface */
	put(add("198.19.7.0", 24, "198.18.2.3", "wan", 254, 20));  /* a policy route's */
	put(marker(SVR_ROUTE_SYNC_END));
	dp_kroutes_poll(clock_ms);
	/* published at once; the other table only once the worker has passed a quiescent state */
	int gw = -1;
	assert_int_equal(leaves_by("198.19.5.1", &gw), 0);
	assert_int_equal(gw, 2);
	assert_int_equal(leaves_by("198.19.6.1", &gw), 1);
	assert_int_equal(gw, 0);
	assert_true(gen.fib->n_pending > 0);
	dp_kroutes_poll(clock_ms);
	assert_true(gen.fib->n_pending > 0);
	settle();
	assert_int_equal(leaves_by("198.19.5.1", NULL), 0);
	assert_int_equal(leaves_by("198.19.8.1", NULL), -1);
	assert_int_equal(leaves_by("198.19.9.1", NULL), -1);
	assert_int_equal(leaves_by("198.19.7.1", &gw), 1); /* the policy's */
	assert_int_equal(gw, 9);
	json_t *j = dp_kroutes_json(false);
	assert_int_equal(json_integer_value(json_object_get(j, "routes")), 5);
	assert_int_equal(json_integer_value(json_object_get(j, "installed")), 2);
	assert_int_equal(json_integer_value(json_object_get(j, "shadowed-by-policy")), 1);
	json_decref(j);

	/* withdrawn: gone from both tables */
	put(del(bgp));
	settle();
	assert_int_equal(leaves_by("198.19.5.1", NULL), -1);
	svr_fib_publish(gen.fib); /* the other table as well */
	assert_int_equal(leaves_by("198.19.5.1", NULL), -1);
	svr_fib_publish(gen.fib);

	/* a second, better metric wins; losing it asks for the listing (the kernel knows the
	 * next best) */
	put(bgp);
	put(add("198.19.5.0", 24, "198.18.2.4", "wan", 254, 10));
	settle();
	assert_int_equal(leaves_by("198.19.5.1", &gw), 0);
	assert_int_equal(gw, 4);
	put(add("198.19.5.0", 24, "198.18.2.5", "wan", 254, 30)); /* worse: not taken */
	settle();
	assert_int_equal(leaves_by("198.19.5.1", &gw), 0);
	assert_int_equal(gw, 4);
	put(del(add("198.19.5.0", 24, "198.18.2.4", "wan", 254, 10)));
	settle();
	assert_true(svr_route_ring_resync_asked(&prod, &seen));

	/* a listing drops what it does not name */
	put(marker(SVR_ROUTE_SYNC_BEGIN));
	put(bgp);
	put(marker(SVR_ROUTE_SYNC_END));
	settle();
	assert_int_equal(leaves_by("198.19.5.1", &gw), 0);
	assert_int_equal(gw, 2);
	assert_int_equal(leaves_by("198.19.6.1", NULL), -1);
	j = dp_kroutes_json(true);
	assert_int_equal(json_integer_value(json_object_get(j, "routes")), 1);
	assert_int_equal(json_array_size(json_object_get(j, "list")), 1);
	json_decref(j);

	/* a new generation's FIB (without lan) gets the RIB's routes by its interfaces */
	put(add("198.19.6.0", 24, NULL, "lan", 254, 0));
	settle();
	gen.ifaces[1].in_use = false;
	struct svr_fib *next = svr_fib_create("ut-kr2", 64 + dp_kroutes_fib_room(), 0);
	assert_non_null(next); /* one table: the EAL of unit tests has 256 MiB */
	dp_kroutes_fill(next, &gen, DP_KROUTES_MAIN_TABLE);
	assert_int_equal(next->n_routes, 1);
	svr_fib_free(next);
	gen.ifaces[1].in_use = true;

	/* two listings back to back, the second begun before the first's sweep: nothing of the
	 * second is swept, and what neither names goes */
	put(add("198.19.10.0", 24, "198.18.2.2", "wan", 254, 20));
	settle();
	put(marker(SVR_ROUTE_SYNC_BEGIN));
	put(bgp);
	put(add("198.19.6.0", 24, NULL, "lan", 254, 0));
	put(marker(SVR_ROUTE_SYNC_END));
	put(marker(SVR_ROUTE_SYNC_BEGIN));
	put(bgp);
	put(add("198.19.6.0", 24, NULL, "lan", 254, 0));
	put(marker(SVR_ROUTE_SYNC_END));
	settle();
	assert_int_equal(leaves_by("198.19.5.1", NULL), 0);
	assert_int_equal(leaves_by("198.19.6.1", NULL), 1);
	assert_int_equal(leaves_by("198.19.10.1", NULL), -1);

	/* the same route again stages nothing; a sibling's withdrawal (another next hop of the
	 * same metric) leaves the route kept */
	uint32_t pending_before = gen.fib->n_pending;
	put(bgp);
	rte_rcu_qsbr_quiescent(dp.qsbr, 0);
	dp_kroutes_poll(clock_ms);
	assert_int_equal(gen.fib->n_pending, pending_before);
	put(del(add("198.19.5.0", 24, "198.18.2.9", "wan", 254, 20)));
	settle();
	assert_int_equal(leaves_by("198.19.5.1", &gw), 0);
	assert_int_equal(gw, 2);

	/* a new generation's FIB replaces the one a batch waits in: the wait ends, the loop rests
	 */
	put(add("198.19.11.0", 24, "198.18.2.2", "wan", 254, 20));
	dp_kroutes_poll(clock_ms); /* staged and published; waits for the worker */
	assert_true(gen.fib->n_pending > 0);
	struct svr_fib *waiting = gen.fib;
	gen.fib = svr_fib_create("ut-kr3", 64 + dp_kroutes_fib_room(), 0); /* 256 MiB of EAL */
	assert_non_null(gen.fib);
	dp_kroutes_fill(gen.fib, &gen, DP_KROUTES_MAIN_TABLE);
	assert_int_equal(leaves_by("198.19.11.1", NULL), 0);
	assert_int_equal(dp_kroutes_poll(clock_ms), 0);
	svr_fib_free(waiting);

	/* a listing that finds the RIB full of stale routes: refused, swept, asked again */
	put(marker(SVR_ROUTE_SYNC_BEGIN));
	for (int i = 0; i < 16; i++) {
		char p[32];
		snprintf(p, sizeof(p), "198.19.%d.0", 100 + i);
		put(add(p, 24, "198.18.2.2", "wan", 254, 20));
	}
	put(marker(SVR_ROUTE_SYNC_END));
	settle();
	assert_true(svr_route_ring_resync_asked(&prod, &seen));
	j = dp_kroutes_json(false);
	assert_true(json_integer_value(json_object_get(j, "refused")) > 0);
	json_decref(j);

	/* a producer whose count makes no sense: refused, and a listing asked for */
	atomic_store(&prod.ring->head, prod.count + SVR_ROUTE_SHM_CAPACITY + 1);
	rte_rcu_qsbr_quiescent(dp.qsbr, 0);
	dp_kroutes_poll(clock_ms);
	assert_true(svr_route_ring_resync_asked(&prod, &seen));
	j = dp_kroutes_json(false);
	assert_int_equal(json_integer_value(json_object_get(j, "ring-broken")), 1);
	json_decref(j);

	dp_kroutes_free();
	svr_route_shm_close(&prod);
	svr_fib_free(gen.fib);
}

/* An image whose tenants are bound to tables (0: none). */
static void *tables_image(const uint32_t *tables, unsigned n)
{
	struct svr_img_builder b;
	svr_img_builder_init(&b);
	for (unsigned i = 0; i < n; i++) {
		char name[16];
		snprintf(name, sizeof(name), "t%u", i);
		struct svr_img_tenant t = {.name = svr_img_str_add(&b, name),
					   .parent = SVR_IMG_NONE,
					   .routing_table = tables[i]};
		svr_img_add(&b, SVR_SEC_TENANTS, &t);
	}
	struct svr_img_header h = {.inter_router_security = SVR_IMG_NONE, .generation = 1};
	void *out;
	size_t len;
	assert_int_equal(svr_img_finish(&b, &h, 1u << 20, &out, &len), 0);
	svr_img_builder_free(&b);
	return out;
}

/* Table slots across generations (l2l3/tfib.c): one FIB per distinct table, filled from the RIB;
 * a generation that keeps the main FIB takes the table FIBs over (ownership moves); a table keeps
 * its slot while bound and gets it back once bound again; a new table takes a slot no table ever
 * had, and once every slot had one, a new table is refused (a slot never changes table: a
 * session of the first would follow the second). */
static void table_slots(void **state)
{
	(void)state;
	char err[128];
	assert_int_equal(dp_kroutes_init(16), 0);
	static struct dp_gen g1, g2, g3, g4;
	const uint32_t t1[] = {100, 100, 0, 200}, t3[] = {300}, t4[] = {100};
	void *i1 = tables_image(t1, 4), *i3 = tables_image(t3, 1), *i4 = tables_image(t4, 1);
	assert_int_equal(dp_tfib_build(&g1, NULL, i1, false, err, sizeof(err)), 0);
	uint8_t s100 = dp_tfib_slot(&g1, 100), s200 = dp_tfib_slot(&g1, 200);
	assert_int_not_equal(s100, DP_TFIB_NONE);
	assert_int_not_equal(s200, DP_TFIB_NONE);
	assert_int_not_equal(s100, s200);
	unsigned bound = 0;
	for (unsigned s = 0; s < DP_TFIB_SLOTS; s++)
		bound += g1.tfib_table[s] != 0;
	assert_int_equal(bound, 2);
	assert_non_null(g1.tfib[s100]);
	assert_true(g1.tfib[s100]->compact && g1.tfib[s100]->max_pending > 0);
	assert_true(g1.owns_tfib[s100] && g1.owns_tfib[s200]);

	/* the same tables, the main FIB kept: taken over */
	assert_int_equal(dp_tfib_build(&g2, &g1, i1, true, err, sizeof(err)), 0);
	assert_ptr_equal(g2.tfib[s100], g1.tfib[s100]);
	assert_true(g2.owns_tfib[s100] && !g1.owns_tfib[s100]);
	dp_tfib_free(&g1); /* owns nothing any more */

	/* another table only: a slot of its own, none for 100 and 200 */
	assert_int_equal(dp_tfib_build(&g3, &g2, i3, true, err, sizeof(err)), 0);
	uint8_t s300 = dp_tfib_slot(&g3, 300);
	assert_true(s300 != DP_TFIB_NONE && s300 != s100 && s300 != s200);
	assert_int_equal(dp_tfib_slot(&g3, 100), DP_TFIB_NONE);
	assert_null(dp_tfib_of_table(&g3, 100));
	dp_tfib_free(&g2);

	/* 100 again: its slot back, a new FIB (the main FIB rebuilt) */
	assert_int_equal(dp_tfib_build(&g4, &g3, i4, false, err, sizeof(err)), 0);
	assert_int_equal(dp_tfib_slot(&g4, 100), s100);
	assert_non_null(g4.tfib[s100]);
	assert_true(g4.owns_tfib[s100]);
	dp_tfib_free(&g3);

	/* new tables, one generation each, until the slots are all given: then refused */
	unsigned taken = 3;
	for (uint32_t t = 1000;; t++) {
		static struct dp_gen gx;
		memset(&gx, 0, sizeof(gx));
		void *ix = tables_image(&t, 1);
		int rc = dp_tfib_build(&gx, &g4, ix, false, err, sizeof(err));
		dp_tfib_free(&gx);
		free(ix);
		if (rc < 0) {
			assert_non_null(strstr(err, "restart it"));
			break;
		}
		taken++;
		assert_true(taken <= DP_TFIB_SLOTS);
	}
	assert_int_equal(taken, DP_TFIB_SLOTS);
	dp_tfib_free(&g4);
	free(i1);
	free(i3);
	free(i4);
	dp_kroutes_free();
}

/* rte_malloc's bytes in use on every socket. */
static size_t heap_used(void)
{
	size_t used = 0;
	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++) {
		struct rte_malloc_socket_stats st;
		if (rte_malloc_get_socket_stats(s, &st) == 0)
			used += st.heap_allocsz_bytes;
	}
	return used;
}

/* A table a tenant is bound to (l2l3/tfib.h): its routes into its own compact FIB, staged,
 * published together with the main FIB's and caught up after the grace period; the main
 * table's into the main FIB; an unbound table's nowhere. */
static void bound_table(void **state)
{
	(void)state;
	char err[128];
	svr_route_shm_unlink(conf.instance); /* the first test's ring */
	memset(&prod, 0, sizeof(prod));
	assert_int_equal(dp_kroutes_init(16), 0);
	gen.fib = svr_fib_create("ut-kb", 64 + dp_kroutes_fib_room(), dp_kroutes_fib_batch());
	const unsigned S = 3; /* any slot */
	gen.tfib[S] =
	    svr_fib_create_compact("ut-kbt", dp_kroutes_fib_room(), dp_kroutes_fib_batch());
	gen.tfib_table[S] = 100;
	assert_non_null(gen.fib);
	assert_non_null(gen.tfib[S]);
	assert_ptr_equal(dp_tfib_of_table(&gen, 100), gen.tfib[S]);
	assert_ptr_equal(dp_tfib_of_table(&gen, DP_KROUTES_MAIN_TABLE), gen.fib);
	assert_null(dp_tfib_of_table(&gen, 200));
	assert_int_equal(dp_tfib_slot(&gen, 100), S);
	assert_int_equal(dp_tfib_slot(&gen, 200), DP_TFIB_NONE);

	dp_kroutes_poll(clock_ms);
	assert_int_equal(svr_route_shm_open(&prod, conf.instance, true, err, sizeof(err)), 0);
	uint64_t seen = 0;
	assert_true(svr_route_ring_resync_asked(&prod, &seen));
	struct svr_route_change t100 = add("198.19.20.0", 24, "198.18.2.7", "lan", 100, 20);
	put(marker(SVR_ROUTE_SYNC_BEGIN));
	put(add("198.19.20.0", 24, "198.18.2.2", "wan", 254, 20)); /* the same prefix in main */
	put(t100);
	put(add("198.19.21.0", 24, "198.18.2.7", "lan", 100, 20));
	put(add("198.19.22.0", 24, "198.18.2.8", "lan", 200, 20)); /* no tenant's */
	put(add6("2001:db8:77::", 48, "2001:db8:2::7", "lan", 100));
	put(marker(SVR_ROUTE_SYNC_END));
	dp_kroutes_poll(clock_ms);
	/* published in both FIBs at once; their other tables wait for the worker */
	int gw = -1;
	assert_int_equal(leaves_by_in(gen.tfib[S], "198.19.20.1", &gw), 1);
	assert_int_equal(gw, 7);
	assert_int_equal(leaves_by("198.19.20.1", &gw), 0);
	assert_int_equal(gw, 2);
	assert_true(gen.fib->n_pending > 0 && gen.tfib[S]->n_pending > 0);
	dp_kroutes_poll(clock_ms); /* no quiescent state yet: nothing caught up */
	assert_true(gen.tfib[S]->n_pending > 0);
	settle();
	for (int flip = 0; flip < 2; flip++) { /* both tables of each FIB agree */
		assert_int_equal(leaves_by_in(gen.tfib[S], "198.19.20.1", &gw), 1);
		assert_int_equal(gw, 7);
		assert_int_equal(leaves_by_in(gen.tfib[S], "198.19.21.1", NULL), 1);
		assert_int_equal(leaves_by_in(gen.tfib[S], "198.19.22.1", NULL), -1);
		assert_int_equal(leaves_by("198.19.20.1", &gw), 0);
		assert_int_equal(gw, 2);
		assert_int_equal(leaves_by("198.19.21.1", NULL), -1);
		assert_int_equal(leaves_by("198.19.22.1", NULL), -1);
		/* IPv6 alike: in the table's FIB, not in main */
		struct svr_ip d6 = {.family = SVR_AF_INET6};
		inet_pton(AF_INET6, "2001:db8:77::1", d6.addr);
		uint32_t nh6 = svr_fib_lookup(gen.tfib[S], &d6);
		assert_int_not_equal(nh6, 0);
		assert_int_equal(gen.tfib[S]->nh[nh6].iface, 1);
		assert_int_equal(gen.tfib[S]->nh[nh6].gateway.addr[15], 7);
		assert_int_equal(svr_fib_lookup(gen.fib, &d6), 0);
		svr_fib_publish(gen.fib);
		svr_fib_publish(gen.tfib[S]);
	}
	json_t *j = dp_kroutes_json(true);
	assert_int_equal(json_integer_value(json_object_get(j, "routes")), 5);
	assert_int_equal(json_integer_value(json_object_get(j, "installed")), 1);
	json_t *tables = json_object_get(j, "tables");
	assert_int_equal(json_array_size(tables), 2);
	json_t *m = json_array_get(tables, 0), *t = json_array_get(tables, 1);
	assert_int_equal(json_integer_value(json_object_get(m, "table")), 254);
	assert_int_equal(json_integer_value(json_object_get(m, "routes")), 1);
	assert_int_equal(json_integer_value(json_object_get(m, "installed")), 1);
	assert_int_equal(json_integer_value(json_object_get(t, "table")), 100);
	assert_int_equal(json_integer_value(json_object_get(t, "routes")), 3);
	assert_int_equal(json_integer_value(json_object_get(t, "installed")), 3);
	json_decref(j);

	/* the table's route withdrawn: gone from its FIB, main's untouched */
	put(del(t100));
	settle();
	for (int flip = 0; flip < 2; flip++) {
		assert_int_equal(leaves_by_in(gen.tfib[S], "198.19.20.1", NULL), -1);
		assert_int_equal(leaves_by("198.19.20.1", &gw), 0);
		assert_int_equal(gw, 2);
		svr_fib_publish(gen.tfib[S]);
	}
	/* a new generation's table FIB is filled with that table's routes only */
	struct svr_fib *next = svr_fib_create_compact("ut-kbn", dp_kroutes_fib_room(), 0);
	assert_non_null(next);
	dp_kroutes_fill(next, &gen, 100);
	assert_int_equal(next->n_routes, 2); /* 198.19.21.0/24 and 2001:db8:77::/48 */
	assert_int_equal(leaves_by_in(next, "198.19.21.1", NULL), 1);
	svr_fib_free(next);

	dp_kroutes_free();
	svr_route_shm_close(&prod);
	svr_route_shm_unlink(conf.instance);
	svr_fib_free(gen.tfib[S]);
	gen.tfib[S] = NULL;
	gen.tfib_table[S] = 0;
	svr_fib_free(gen.fib);
	gen.fib = NULL;
}

/* What a table FIB costs (docs/routing.md, tfib.h): a compact live FIB (two tables) of
 * DP_TFIB_ROUTES routes, against a DIR-24-8 FIB of one table and as many routes (its 32 MiB
 * tbl24 and the IPv6 trie's alone are 64 MiB; a live main FIB has two of each). */
static void compact_fib_memory(void **state)
{
	(void)state;
	size_t before = heap_used();
	struct svr_fib *f = svr_fib_create_compact("ut-kmem", DP_TFIB_ROUTES, DP_KROUTES_BATCH);
	assert_non_null(f);
	size_t compact = heap_used() - before;
	svr_fib_free(f);
	before = heap_used();
	f = svr_fib_create("ut-kmem2", DP_TFIB_ROUTES, 0);
	assert_non_null(f);
	size_t dir24 = heap_used() - before;
	svr_fib_free(f);
	print_message("compact live FIB of %d routes: %zu KiB; one-table DIR-24-8 FIB: %zu KiB\n",
		      DP_TFIB_ROUTES, compact / 1024, dir24 / 1024);
	assert_true(compact < 8u << 20);
	assert_true(compact < dir24 / 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(mirror),
	    cmocka_unit_test(bound_table),
	    cmocka_unit_test(table_slots),
	    cmocka_unit_test(compact_fib_memory),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
