/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Splitting a rate among workers by demand (src/common/share.h): the shares always add up to the
 * rate, an idle worker keeps its floor, the busy one gets the rest, no demand splits evenly, and
 * large rates and demands do not overflow.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(one_busy_worker), cmocka_unit_test(proportional),
	    cmocka_unit_test(no_demand_even),  cmocka_unit_test(one_worker_gets_all),
	    cmocka_unit_test(large_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
