/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The REST API's bearer token (src/httpd/token.c, used by svr-control and svr-conductor): the
 * compare admits exactly the token, whatever the length or bytes of what is given (the compare is
 * CRYPTO_memcmp, constant-time); the token file is created once, read back without its newline, and
 * refused when it holds no usable token.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "httpd/httpd.h"

static bool equal(const char *expected, const char *given)
{
	return svr_httpd_token_equal(expected, strlen(expected), given, strlen(given));
}

static void compare_admits_only_the_token(void **state)
{
	(void)state;
	const char *tok = "0123456789abcdef0123456789abcdef";
	assert_true(equal(tok, "0123456789abcdef0123456789abcdef"));
	assert_false(equal(tok, "0123456789abcdef0123456789abcdeF"));  /* last byte */
	assert_false(equal(tok, "1123456789abcdef0123456789abcdef"));  /* first byte */
	assert_false(equal(tok, "0123456789abcdef0123456789abcde"));   /* a prefix */
	assert_false(equal(tok, "0123456789abcdef0123456789abcdef0")); /* longer */
	assert_false(equal(tok, ""));
	/* bytes past the given length are never taken as part of it */
	char given[64];
	memcpy(given, tok, 33);
	assert_false(svr_httpd_token_equal(tok, strlen(tok), given, 16));
	assert_true(svr_httpd_token_equal(tok, strlen(tok), given, strlen(tok)));
}

static void token_file(void **state)
{
	(void)state;
	char dir[] = "/tmp/svr-test-token-XXXXXX", path[64], tok[SVR_HTTPD_TOKEN_MAX + 1], err[256];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/token", dir);
	size_t len = 0;
	/* created when missing, mode 0600, and the same token read again */
	assert_int_equal(svr_httpd_token_load(path, tok, sizeof(tok), &len, err, sizeof(err)), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(len, 64);
	char again[SVR_HTTPD_TOKEN_MAX + 1];
	size_t len2 = 0;
	assert_int_equal(svr_httpd_token_load(path, again, sizeof(again), &len2, err, sizeof(err)),
			 0);
	assert_true(svr_httpd_token_equal(tok, len, again, len2));
	/* too short a token is refused, naming the file */
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("short\n", f);
	fclose(f);
	assert_int_equal(svr_httpd_token_load(path, tok, sizeof(tok), &len, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "shorter"));
	assert_non_null(strstr(err, path));
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(compare_admits_only_the_token),
	    cmocka_unit_test(token_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
