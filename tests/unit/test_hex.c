/* SPDX-License-Identifier: BSD-3-Clause */
/* src/common/hex.c: hex encoding, the form of a conductor secret, and log-safe text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/hex.h"

static void encodes_lowercase(void **state)
{
	(void)state;
	const uint8_t b[] = {0x00, 0x0f, 0xa5, 0xff};
	char out[9];
	svr_hex_encode(b, sizeof(b), out);
	assert_string_equal(out, "000fa5ff");
	svr_hex_encode(b, 0, out);
	assert_string_equal(out, "");
}

static void secret_form(void **state)
{
	(void)state;
	char t[65];
	memset(t, 'a', 64);
	t[64] = '\0';
	assert_true(svr_hex_is_lower(t, 64, 64));
	assert_false(svr_hex_is_lower(t, 63, 64));
	t[10] = 'A';
	assert_false(svr_hex_is_lower(t, 64, 64));
	t[10] = 'g';
	assert_false(svr_hex_is_lower(t, 64, 64));
	t[10] = '\n';
	assert_false(svr_hex_is_lower(t, 64, 64));
}

static void controls_become_question_marks(void **state)
{
	(void)state;
	char out[64];
	assert_string_equal(svr_log_safe(out, sizeof(out), "/routers/a\nFAKE line\r\x1b[1m\x7f"),
			    "/routers/a?FAKE line??[1m?");
	/* A C1 control (U+0085, NEXT LINE) too. */
	assert_string_equal(svr_log_safe(out, sizeof(out), "a\xc2\x85z"), "a?z");
	assert_string_equal(svr_log_safe(out, sizeof(out), NULL), "");
}

static void invalid_utf8_becomes_question_marks(void **state)
{
	(void)state;
	char out[64];
	/* A lone continuation byte, a truncated sequence, an overlong '/', a surrogate. */
	assert_string_equal(svr_log_safe(out, sizeof(out), "a\x80z"), "a?z");
	assert_string_equal(svr_log_safe(out, sizeof(out), "a\xe2\x82z"), "a??z");
	assert_string_equal(svr_log_safe(out, sizeof(out), "\xc0\xaf"), "??");
	assert_string_equal(svr_log_safe(out, sizeof(out), "\xed\xa0\x80"), "???");
	/* Valid multi-byte text is kept. */
	assert_string_equal(
	    svr_log_safe(out, sizeof(out), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
	    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
}

static void cuts_between_characters(void **state)
{
	(void)state;
	char out[6];
	/* "abcd" + a 3-byte euro sign: 7 bytes; 5 fit: the euro sign goes whole. */
	assert_string_equal(svr_log_safe(out, sizeof(out), "abcd\xe2\x82\xac"), "abcd");
	assert_string_equal(svr_log_safe(out, sizeof(out), "ab\xe2\x82\xac"), "ab\xe2\x82\xac");
	assert_string_equal(svr_log_safe(out, sizeof(out), "abcdefgh"), "abcde");
	char one[1];
	assert_string_equal(svr_log_safe(one, sizeof(one), "abc"), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(encodes_lowercase),
	    cmocka_unit_test(secret_form),
	    cmocka_unit_test(controls_become_question_marks),
	    cmocka_unit_test(invalid_utf8_becomes_question_marks),
	    cmocka_unit_test(cuts_between_characters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
