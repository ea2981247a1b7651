/* SPDX-License-Identifier: BSD-3-Clause */
/* src/common/timeutil.c: RFC 3339 times as rules and change control's apply-at give them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/timeutil.h"

static void parses_valid_times(void **state)
{
	(void)state;
	int64_t t = 0;
	assert_int_equal(svr_rfc3339_parse("1970-01-01T00:00:00Z", &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(svr_rfc3339_parse("2026-12-24T22:00:00Z", &t), 0);
	assert_int_equal(t, 1798149600);
	assert_int_equal(svr_rfc3339_parse("2026-12-24T23:00:00+01:00", &t), 0);
	assert_int_equal(t, 1798149600);
	assert_int_equal(svr_rfc3339_parse("2026-12-24T22:00:00.250Z", &t), 0);
	assert_int_equal(t, 1798149600);
	/* Leap years: every 4th, not every 100th, every 400th. */
	assert_int_equal(svr_rfc3339_parse("2024-02-29T00:00:00Z", &t), 0);
	assert_int_equal(svr_rfc3339_parse("2000-02-29T00:00:00Z", &t), 0);
	assert_int_equal(svr_rfc3339_parse("2026-12-31T23:59:59Z", &t), 0);
}

/* timegm() would roll these over into another day: refused. */
static void refuses_impossible_dates(void **state)
{
	(void)state;
	int64_t t = 42;
	const char *bad[] = {
	    "2026-02-31T00:00:00Z", "2026-02-29T00:00:00Z", "1900-02-29T00:00:00Z",
	    "2026-04-31T00:00:00Z", "2026-06-31T00:00:00Z", "2026-09-31T00:00:00Z",
	    "2026-11-31T00:00:00Z", "2026-12-32T00:00:00Z", "2026-13-01T00:00:00Z",
	    "2026-00-10T00:00:00Z", "2026-01-00T00:00:00Z", "2026-12-31T23:59:60Z",
	    "2026-12-31T24:00:00Z", "2026-12-31T23:60:00Z", "2026-12-31T23:59:59",
	    "2026-12-31 23:59:5xZ",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (svr_rfc3339_parse(bad[i], &t) == 0)
			fail_msg("%s was accepted", bad[i]);
	assert_int_equal(t, 42); /* untouched */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(parses_valid_times),
	    cmocka_unit_test(refuses_impossible_dates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
