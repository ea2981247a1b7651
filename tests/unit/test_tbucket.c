/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The token bucket (src/common/tbucket.h) over a simulated clock: the burst passes at once and
 * no more, the refill follows the rate, a second of over-offered traffic passes rate + burst
 * bytes, a long idle time refills only the burst, slow rates on a fast clock stay accurate,
 * fast rates on a slow clock do not overflow, a clock read out of order refills nothing, and
 * rate 0 is no limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/tbucket.h"

#define NS 1000000000ull /* a nanosecond clock */

static void burst_then_rate(void **state)
{
	(void)state;
	struct svr_tbucket b;
	svr_tbucket_init(&b, 8000000, 10000, NS, 5); /* 1,000,000 B/s, 10,000 B burst */
	for (int i = 0; i < 10; i++)
		assert_true(svr_tbucket_take(&b, 5, 1000));
	assert_false(svr_tbucket_take(&b, 5, 1));
	assert_false(svr_tbucket_take(&b, 5 + 999000, 1000)); /* 999 us: 999 B */
	assert_true(svr_tbucket_take(&b, 5 + 1000000, 1000)); /* 1 ms: 1,000 B */
	assert_false(svr_tbucket_take(&b, 5 + 1000000, 1));
	/* a refused packet costs nothing: 500 B after another 0.5 ms */
	assert_true(svr_tbucket_take(&b, 5 + 1500000, 500));
	/* a packet larger than the burst never passes */
	assert_false(svr_tbucket_take(&b, 100 * NS, 10001));
	assert_true(svr_tbucket_take(&b, 100 * NS, 10000));
}

/* Offers 1,500-byte packets every step ticks from start for dur ticks; returns the bytes passed. */
static uint64_t offer(struct svr_tbucket *b, uint64_t start, uint64_t dur, uint64_t step)
{
	uint64_t passed = 0;
	for (uint64_t t = start; t < start + dur; t += step)
		if (svr_tbucket_take(b, t, 1500))
			passed += 1500;
	return passed;
}

static void one_second_at_rate(void **state)
{
	(void)state;
	struct svr_tbucket b;
	svr_tbucket_init(&b, 8000000, 10000, NS, 0);
	/* 15 MB/s offered (a packet every 100 us) for 1 s: burst + 1 s of rate pass (+-1 packet) */
	uint64_t passed = offer(&b, 0, NS, 100000);
	assert_in_range(passed, 1010000 - 1500, 1010000 + 1500);
	/* idle 10 s: only the burst comes back, not 10 s of tokens */
	uint64_t t = 11 * NS;
	passed = 0;
	while (svr_tbucket_take(&b, t, 1000))
		passed += 1000;
	assert_int_equal(passed, 10000);
	/* under the rate everything passes */
	svr_tbucket_init(&b, 8000000, 3000, NS, 0);
	assert_int_equal(offer(&b, 0, NS, 2000000), 500 * 1500); /* 750 kB/s */
}

static void clocks_and_extremes(void **state)
{
	(void)state;
	struct svr_tbucket b;
	/* 1 kbit/s on a 3 GHz TSC: 125 B/s within 1 % over 80 s */
	svr_tbucket_init(&b, 1000, 1500, 3000000000ull, 0);
	assert_true(svr_tbucket_take(&b, 0, 1500));
	uint64_t passed = 0;
	for (uint64_t t = 0; t <= 80 * 3000000000ull; t += 3000000000ull / 100)
		if (svr_tbucket_take(&b, t, 100))
			passed += 100;
	assert_in_range(passed, 9900, 10100);
	/* 400 Gbit/s on a millisecond clock: one tick fills the bucket, no overflow */
	svr_tbucket_init(&b, 400000000000ull, SVR_TB_MAX_BURST, 1000, 0);
	assert_true(svr_tbucket_take(&b, 0, UINT32_MAX / 4));
	for (uint64_t t = 1; t < 1000; t++) { /* 50 MB a tick come in, 32 MiB go */
		assert_true(svr_tbucket_take(&b, t, 1 << 25));
		assert_true(b.tokens <= b.depth);
	}
	assert_true(svr_tbucket_take(&b, UINT64_MAX / 2, SVR_TB_MAX_BURST)); /* a huge gap: full */
	assert_true(b.tokens <= b.depth);
	/* on a 1 Hz clock one tick is more than the whole burst: clamped, still no overflow */
	svr_tbucket_init(&b, 400000000000ull, SVR_TB_MAX_BURST, 1, 0);
	for (uint64_t t = 0; t < 4; t++) {
		assert_true(svr_tbucket_take(&b, t, SVR_TB_MAX_BURST));
		assert_false(svr_tbucket_take(&b, t, 1));
	}
	/* a gap of 2^63 ns: a full bucket (ticks x rate would wrap to 0 tokens) */
	svr_tbucket_init(&b, 8000000, 1000, NS, 0);
	assert_true(svr_tbucket_take(&b, 0, 1000));
	assert_true(svr_tbucket_take(&b, 1ull << 63, 1000));
	/* a clock read earlier than the last one (another core's TSC) refills nothing */
	svr_tbucket_init(&b, 8000000, 1000, NS, 10 * NS);
	assert_true(svr_tbucket_take(&b, 10 * NS, 1000));
	assert_false(svr_tbucket_take(&b, 9 * NS, 1));
	assert_false(svr_tbucket_take(&b, 10 * NS, 1));
	assert_true(svr_tbucket_take(&b, 10 * NS + 1000000, 1000));
	/* rate 0: no limit */
	svr_tbucket_init(&b, 0, 0, NS, 0);
	for (int i = 0; i < 1000; i++)
		assert_true(svr_tbucket_take(&b, 0, 65535));
	/* the default burst: 10 ms at the rate, at least two packets */
	assert_int_equal(svr_tbucket_default_burst(8000000, 1500), 10000);
	assert_int_equal(svr_tbucket_default_burst(80000, 1500), 3000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(burst_then_rate),
	    cmocka_unit_test(one_second_at_rate),
	    cmocka_unit_test(clocks_and_extremes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
