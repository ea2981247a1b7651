/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The duplicate window (src/common/dedupe.h): first copy forwarded, second dropped; the window
 * of 512 ids and what happens past it (delivered twice, never lost); the 16-bit id wrapping;
 * and two threads, each receiving one leg of the same packets, racing on the window: every id
 * is forwarded by exactly one of them.
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "common/dedupe.h"

static void first_and_second_copy(void **state)
{
	(void)state;
	static struct svr_dedupe d;
	svr_dedupe_init(&d);
	assert_true(svr_dedupe_first(&d, 0)); /* an empty window knows no id, 0 included */
	assert_false(svr_dedupe_first(&d, 0));
	assert_true(svr_dedupe_first(&d, 1024)); /* same slot, another id */
	assert_true(svr_dedupe_first(&d, 5));
	/* leg B lags leg A by up to 511 ids: every copy still recognised */
	for (uint16_t id = 6; id < 5 + SVR_DEDUPE_SLOTS; id++)
		assert_true(svr_dedupe_first(&d, id));
	assert_false(svr_dedupe_first(&d, 5));
	assert_false(svr_dedupe_first(&d, 5 + SVR_DEDUPE_SLOTS - 1));
	/* overflow: once id 5 + 512 has come, the late copy of 5 is delivered again (never lost) */
	assert_true(svr_dedupe_first(&d, 5 + SVR_DEDUPE_SLOTS));
	assert_true(svr_dedupe_first(&d, 5));
	/* the 16-bit id wraps: 65535 then 0, 1 are new ids; their copies are not */
	svr_dedupe_init(&d);
	for (uint32_t i = 65000; i < 65536 + 100; i++)
		assert_true(svr_dedupe_first(&d, (uint16_t)i));
	assert_false(svr_dedupe_first(&d, 65535));
	assert_false(svr_dedupe_first(&d, 0));
	assert_false(svr_dedupe_first(&d, 99));
	assert_true(svr_dedupe_first(&d, 100));
}

#define RACE_IDS 300000u /* wraps the 16-bit id four times */
#define RACE_LAG 64u     /* how far one leg may run ahead of the other (< the window) */

static struct svr_dedupe race_window;
static _Atomic uint32_t progress[2];
static uint8_t won[2][RACE_IDS];

/* One worker receiving one leg: every id in order, never more than RACE_LAG ahead of the other. */
static void *leg(void *arg)
{
	unsigned me = (unsigned)(uintptr_t)arg;
	for (uint32_t i = 0; i < RACE_IDS; i++) {
		while (i > atomic_load(&progress[!me]) + RACE_LAG)
			sched_yield();
		won[me][i] = svr_dedupe_first(&race_window, (uint16_t)i);
		atomic_store(&progress[me], i + 1);
	}
	return NULL;
}

static void two_workers_race(void **state)
{
	(void)state;
	svr_dedupe_init(&race_window);
	pthread_t t[2];
	for (uintptr_t k = 0; k < 2; k++)
		assert_int_equal(pthread_create(&t[k], NULL, leg, (void *)k), 0);
	for (int k = 0; k < 2; k++)
		assert_int_equal(pthread_join(t[k], NULL), 0);
	uint32_t wins[2] = {0, 0};
	for (uint32_t i = 0; i < RACE_IDS; i++) {
		if (won[0][i] + won[1][i] != 1)
			fail_msg("id %u (packet %u) forwarded %u times", i & 0xffff, i,
				 won[0][i] + won[1][i]);
		wins[0] += won[0][i];
		wins[1] += won[1][i];
	}
	print_message("leg A first %u times, leg B %u times\n", wins[0], wins[1]);
	assert_int_equal(wins[0] + wins[1], RACE_IDS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(first_and_second_copy),
	    cmocka_unit_test(two_workers_race),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
