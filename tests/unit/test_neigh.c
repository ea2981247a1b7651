/* SPDX-License-Identifier: BSD-3-Clause */
/* Neighbour table: add/confirm, ageing and probes, expiry, static entries, RCU-safe reuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "eal_fixture.h"
#include "l2l3/neigh.h"

static const struct rte_ether_addr mac_a = {.addr_bytes = {0x02, 0, 0, 0, 0, 0xaa}};
static const struct rte_ether_addr mac_b = {.addr_bytes = {0x02, 0, 0, 0, 0, 0xbb}};
static const struct svr_neigh_timers timers = {
    .reachable_ms = 30000, .probe_interval_ms = 1000, .max_probes = 3};

struct calls {
	struct svr_neigh_table *t;
	unsigned probes, unicast, expired;
};

static void on_probe(void *ctx, uint32_t pos, bool unicast)
{
	(void)pos;
	struct calls *c = ctx;
	c->probes++;
	c->unicast += unicast;
}

static void on_expire(void *ctx, uint32_t pos)
{
	struct calls *c = ctx;
	c->expired++;
	svr_neigh_delete(c->t, pos);
}

static const struct svr_neigh_ops ops = {.probe = on_probe, .expire = on_expire};

static struct svr_ip ip(const char *s)
{
	struct svr_ip a;
	assert_int_equal(svr_ip_parse(s, &a), 0);
	return a;
}

static struct svr_neigh_table *table(const char *name, uint32_t max)
{
	struct svr_neigh_table *t = svr_neigh_create(name, max, NULL);
	assert_non_null(t);
	return t;
}

static void resolve_and_read_mac(void **state)
{
	(void)state;
	struct svr_neigh_table *t = table("n_basic", 64);
	struct svr_ip a = ip("198.18.1.2"), a6 = ip("2001:db8:1::2");
	assert_int_equal(svr_neigh_lookup(t, 0, &a), SVR_NEIGH_NONE);

	uint32_t pos = svr_neigh_add(t, 0, &a, NULL, 1000);
	assert_int_not_equal(pos, SVR_NEIGH_NONE);
	assert_int_equal(svr_neigh_lookup(t, 0, &a), pos);
	assert_int_equal(svr_neigh_lookup(t, 1, &a), SVR_NEIGH_NONE); /* per interface */
	assert_int_equal(svr_neigh_entry(t, pos)->state, SVR_NEIGH_INCOMPLETE);
	struct rte_ether_addr got;
	assert_false(svr_neigh_mac(t, pos, &got));

	svr_neigh_confirm(t, pos, &mac_a, 2000);
	assert_true(svr_neigh_mac(t, pos, &got));
	assert_true(rte_is_same_ether_addr(&got, &mac_a));
	assert_int_equal(svr_neigh_entry(t, pos)->state, SVR_NEIGH_REACHABLE);

	/* A MAC change is picked up. */
	svr_neigh_confirm(t, pos, &mac_b, 3000);
	assert_true(svr_neigh_mac(t, pos, &got));
	assert_true(rte_is_same_ether_addr(&got, &mac_b));

	uint32_t p6 = svr_neigh_add(t, 0, &a6, NULL, 1000);
	assert_int_not_equal(p6, pos);
	assert_int_equal(svr_neigh_lookup(t, 0, &a6), p6);
	svr_neigh_free(t);
}

static void reachable_entry_is_probed_then_expires(void **state)
{
	(void)state;
	struct svr_neigh_table *t = table("n_age", 64);
	struct calls c = {.t = t};
	struct svr_ip a = ip("198.18.1.2");
	uint32_t pos = svr_neigh_add(t, 0, &a, NULL, 0);
	svr_neigh_confirm(t, pos, &mac_a, 0);

	svr_neigh_age(t, 29999, &timers, &ops, &c);
	assert_int_equal(c.probes, 0);
	svr_neigh_age(t, 30000, &timers, &ops, &c);
	assert_int_equal(c.probes, 1);
	assert_int_equal(c.unicast, 1);
	assert_int_equal(svr_neigh_entry(t, pos)->state, SVR_NEIGH_PROBE);
	/* The MAC stays usable while probing. */
	struct rte_ether_addr got;
	assert_true(svr_neigh_mac(t, pos, &got));

	svr_neigh_age(t, 30500, &timers, &ops, &c); /* before the interval: nothing */
	assert_int_equal(c.probes, 1);
	svr_neigh_age(t, 31000, &timers, &ops, &c);
	svr_neigh_age(t, 32000, &timers, &ops, &c);
	assert_int_equal(c.probes, 3);
	assert_int_equal(c.expired, 0);
	svr_neigh_age(t, 33000, &timers, &ops, &c);
	assert_int_equal(c.expired, 1);
	assert_int_equal(svr_neigh_lookup(t, 0, &a), SVR_NEIGH_NONE);
	svr_neigh_free(t);
}

static void confirmation_during_probe_restores_reachable(void **state)
{
	(void)state;
	struct svr_neigh_table *t = table("n_reconf", 64);
	struct calls c = {.t = t};
	struct svr_ip a = ip("198.18.1.2");
	uint32_t pos = svr_neigh_add(t, 0, &a, NULL, 0);
	svr_neigh_confirm(t, pos, &mac_a, 0);
	svr_neigh_age(t, 30000, &timers, &ops, &c);
	assert_int_equal(svr_neigh_entry(t, pos)->state, SVR_NEIGH_PROBE);
	svr_neigh_confirm(t, pos, &mac_a, 30100);
	assert_int_equal(svr_neigh_entry(t, pos)->state, SVR_NEIGH_REACHABLE);
	svr_neigh_age(t, 59000, &timers, &ops, &c);
	assert_int_equal(c.probes, 1);
	assert_int_equal(c.expired, 0);
	svr_neigh_free(t);
}

static void incomplete_entry_broadcasts_then_fails(void **state)
{
	(void)state;
	struct svr_neigh_table *t = table("n_inc", 64);
	struct calls c = {.t = t};
	struct svr_ip a = ip("198.18.1.9");
	svr_neigh_add(t, 0, &a, NULL, 0);
	for (uint64_t now = 0; now <= 3000; now += 1000)
		svr_neigh_age(t, now, &timers, &ops, &c);
	assert_int_equal(c.probes, 3);
	assert_int_equal(c.unicast, 0);
	assert_int_equal(c.expired, 1);
	assert_int_equal(svr_neigh_lookup(t, 0, &a), SVR_NEIGH_NONE);
	svr_neigh_free(t);
}

static void static_entries_never_age(void **state)
{
	(void)state;
	struct svr_neigh_table *t = table("n_static", 64);
	struct calls c = {.t = t};
	struct svr_ip a = ip("198.19.0.2");
	uint32_t pos = svr_neigh_add(t, 1, &a, &mac_a, 0);
	struct rte_ether_addr got;
	assert_true(svr_neigh_mac(t, pos, &got));
	svr_neigh_confirm(t, pos, &mac_b, 10);
	assert_true(svr_neigh_mac(t, pos, &got));
	assert_true(rte_is_same_ether_addr(&got, &mac_a));
	svr_neigh_age(t, 1000000000, &timers, &ops, &c);
	assert_int_equal(c.probes + c.expired, 0);
	svr_neigh_free(t);
}

static void iteration_lists_every_entry(void **state)
{
	(void)state;
	struct svr_neigh_table *t = table("n_iter", 64);
	char buf[32];
	for (int i = 1; i <= 10; i++) {
		snprintf(buf, sizeof(buf), "198.18.1.%d", i);
		struct svr_ip a = ip(buf);
		svr_neigh_add(t, 0, &a, NULL, 0);
	}
	uint32_t it = 0, n = 0;
	while (svr_neigh_next(t, &it) != SVR_NEIGH_NONE)
		n++;
	assert_int_equal(n, 10);
	svr_neigh_free(t);
}

/* A deleted position is reused only after the reader has passed a quiescent state. */
static void deleted_position_waits_for_readers(void **state)
{
	(void)state;
	size_t sz = rte_rcu_qsbr_get_memsize(1);
	struct rte_rcu_qsbr *qs = rte_zmalloc("qs", sz, RTE_CACHE_LINE_SIZE);
	assert_int_equal(rte_rcu_qsbr_init(qs, 1), 0);
	assert_int_equal(rte_rcu_qsbr_thread_register(qs, 0), 0);
	rte_rcu_qsbr_thread_online(qs, 0);

	struct svr_neigh_table *t = svr_neigh_create("n_rcu", 16, qs);
	assert_non_null(t);
	char buf[32];
	unsigned filled = 0;
	for (int i = 1; i < 200; i++) {
		snprintf(buf, sizeof(buf), "198.18.2.%d", i);
		struct svr_ip a = ip(buf);
		if (svr_neigh_add(t, 0, &a, NULL, 0) == SVR_NEIGH_NONE)
			break;
		filled++;
	}
	assert_true(filled >= 16);

	struct svr_ip victim = ip("198.18.2.1"), fresh = ip("198.18.3.1");
	uint32_t pos = svr_neigh_lookup(t, 0, &victim);
	svr_neigh_entry(t, pos)->state = SVR_NEIGH_REACHABLE;
	svr_neigh_delete(t, pos);
	assert_int_equal(svr_neigh_lookup(t, 0, &victim), SVR_NEIGH_NONE);
	/* The reader (thread 0) is online and has not reported: the slot is still held. */
	assert_int_equal(svr_neigh_add(t, 0, &fresh, NULL, 0), SVR_NEIGH_NONE);

	rte_rcu_qsbr_quiescent(qs, 0);
	uint32_t again = svr_neigh_add(t, 0, &fresh, NULL, 0);
	assert_int_not_equal(again, SVR_NEIGH_NONE);
	/* A recycled position starts without a MAC. */
	struct rte_ether_addr got;
	assert_false(svr_neigh_mac(t, again, &got));

	svr_neigh_free(t);
	rte_rcu_qsbr_thread_offline(qs, 0);
	rte_free(qs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(resolve_and_read_mac),
	    cmocka_unit_test(reachable_entry_is_probed_then_expires),
	    cmocka_unit_test(confirmation_during_probe_restores_reachable),
	    cmocka_unit_test(incomplete_entry_broadcasts_then_fails),
	    cmocka_unit_test(static_entries_never_age),
	    cmocka_unit_test(iteration_lists_every_entry),
	    cmocka_unit_test(deleted_position_waits_for_readers),
	};
	return cmocka_run_group_tests(tests, eal_setup, eal_teardown);
}
