/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Routes from the kernel (l2l3/kroutes.c) through the real route ring in shared memory, as
 * svr-control writes it: the listing asked for at attach, changes staged and published, the
 * other table caught up only after the workers' quiescent state, routes by interfaces the
 * dataplane lacks or in other tables kept but not installed, a policy route that wins, a
 * listing that drops what it does not name, the next-best metric, a broken producer, and a new
 * FIB filled from the RIB.
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
#include "core/dp.h"
#include "l2l3/fib.h"
#include "l2l3/kroutes.h"
#include "l2l3/neigh.h"

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
static int leaves_by(const char *dst, int *gw)
{
	struct svr_ip a = {.family = SVR_AF_INET};
	inet_pton(AF_INET, dst, a.addr);
	uint32_t nh = svr_fib_lookup(gen.fib, &a);
	if (!nh)
		return -1;
	if (gw)
		*gw = gen.fib->nh[nh].type == SVR_NH_GATEWAY ? gen.fib->nh[nh].gateway.addr[3] : 0;
	return gen.fib->nh[nh].iface;
}

/* Polls until the ring is drained and the batch caught up (the worker passes quiescent
 * states). */
static void settle(void)
{
	for (int i = 0; i < 100; i++) {
		rte_rcu_qsbr_quiescent(dp.qsbr, 0);
		dp_kroutes_poll(clock_ms);
		if (!gen.fib->n_pending && atomic_load(&prod.ring->tail) == prod.count)
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
	dp_kroutes_fill(next, &gen);
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
	dp_kroutes_fill(gen.fib, &gen);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(mirror),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
