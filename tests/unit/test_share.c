/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Splitting a rate among workers by demand (src/common/share.h): the shares always add up to the
 * rate, an idle worker keeps its floor, the busy one gets the rest, no demand splits evenly, and
 * large rates and demands do not overflow; the degraded decision by capacity
 * (src/common/degraded.h): below the percentage of what the paths promise, unknown capacities
 * count for nothing, nothing known is never degraded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/degraded.h"
#include "common/share.h"

static uint64_t sum(const uint64_t *s, unsigned n)
{
	uint64_t t = 0;
	for (unsigned i = 0; i < n; i++)
		t += s[i];
	return t;
}

static void one_busy_worker(void **state)
{
	(void)state;
	uint64_t demand[4] = {0, 5000000, 0, 0}, share[4];
	svr_share_split(8000000, 4, demand, share);
	assert_int_equal(sum(share, 4), 8000000);
	assert_int_equal(share[0], 250000); /* the floor: 8e6 / 32 */
	assert_int_equal(share[2], 250000);
	assert_int_equal(share[3], 250000);
	assert_int_equal(share[1], 8000000 - 3 * 250000);
}

static void proportional(void **state)
{
	(void)state;
	uint64_t demand[2] = {1000, 3000}, share[2];
	svr_share_split(1600, 2, demand, share); /* floor 100 each, 1400 split 1:3 */
	assert_int_equal(share[0], 100 + 350);
	assert_int_equal(share[1], 100 + 1050);
}

static void no_demand_even(void **state)
{
	(void)state;
	uint64_t demand[3] = {0, 0, 0}, share[3];
	svr_share_split(1000, 3, demand, share);
	assert_int_equal(sum(share, 3), 1000);
	for (int i = 0; i < 3; i++)
		assert_true(share[i] >= 333 && share[i] <= 334);
}

static void one_worker_gets_all(void **state)
{
	(void)state;
	uint64_t demand[1] = {0}, share[1];
	svr_share_split(12345, 1, demand, share);
	assert_int_equal(share[0], 12345);
}

static void large_values(void **state)
{
	(void)state;
	uint64_t demand[2] = {UINT64_MAX / 2, UINT64_MAX / 2}, share[2];
	svr_share_split(100000000000ull, 2, demand, share); /* 100 Gbit/s */
	assert_int_equal(sum(share, 2), 100000000000ull);
	assert_true(share[0] >= 49999999999ull && share[0] <= 50000000001ull);
}

static void degraded_by_capacity(void **state)
{
	(void)state;
	uint64_t cap[3] = {20000000, 20000000, 0}, u, p;
	bool usable[3] = {true, true, false};
	assert_false(svr_degraded_by_capacity(cap, usable, 3, 60, &u, &p));
	assert_int_equal(u, 40000000);
	assert_int_equal(p, 40000000);
	usable[0] = false; /* half left: below 60 % */
	assert_true(svr_degraded_by_capacity(cap, usable, 3, 60, &u, &p));
	assert_int_equal(u, 20000000);
	assert_false(svr_degraded_by_capacity(cap, usable, 3, 50, &u, &p)); /* 50 %: not below */
	assert_false(svr_degraded_by_capacity(cap, usable, 3, 0, &u, &p));  /* 0: never */
	/* unknown capacities: the path of unknown capacity up changes nothing */
	usable[2] = true;
	assert_true(svr_degraded_by_capacity(cap, usable, 3, 60, &u, &p));
	uint64_t none[2] = {0, 0};
	bool down[2] = {false, false};
	assert_false(svr_degraded_by_capacity(none, down, 2, 60, &u, &p));
	assert_int_equal(svr_path_capacity(20, 10), 10);
	assert_int_equal(svr_path_capacity(0, 10), 10);
	assert_int_equal(svr_path_capacity(20, 0), 20);
	assert_int_equal(svr_path_capacity(0, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(one_busy_worker), cmocka_unit_test(proportional),
	    cmocka_unit_test(no_demand_even),  cmocka_unit_test(one_worker_gets_all),
	    cmocka_unit_test(large_values),    cmocka_unit_test(degraded_by_capacity),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
