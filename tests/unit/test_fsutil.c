/* SPDX-License-Identifier: BSD-3-Clause */
/* src/common/fsutil.c: svr_read_token_line, the one-line secrets that go into HTTP headers
 * (the conductor's ITSM webhook token, svr-control's --events-token-file). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/fsutil.h"

/* The token file holding text: its path, in a temporary file. */
static void write_token(char *path, const char *text)
{
	strcpy(path, "/tmp/svr-token-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static int read_token(const char *text, char *out, size_t size, char *err, size_t errlen)
{
	char path[64];
	write_token(path, text);
	int rc = svr_read_token_line(path, out, size, err, errlen);
	unlink(path);
	return rc;
}

static void one_line_read(void **state)
{
	(void)state;
	char tok[64], err[128];
	assert_int_equal(read_token("s3cret\n", tok, sizeof(tok), err, sizeof(err)), 0);
	assert_string_equal(tok, "s3cret");
	assert_int_equal(read_token("s3cret \r\n\n", tok, sizeof(tok), err, sizeof(err)), 0);
	assert_string_equal(tok, "s3cret");
}

/* A CR or LF inside would end the header and add another (header injection): refused. */
static void refuses_more_than_one_line(void **state)
{
	(void)state;
	char tok[64], err[128];
	const char *bad[] = {"abc\r\nX-Injected: 1\n", "abc\ndef\n", "abc\rdef", "", " \n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(read_token(bad[i], tok, sizeof(tok), err, sizeof(err)), -1);
		assert_string_equal(err, "not one line of text");
	}
	assert_int_equal(read_token("0123456789", tok, 8, err, sizeof(err)), -1);
	assert_string_equal(err, "longer than 7 bytes");
	assert_int_equal(svr_read_token_line("/nonexistent/t", tok, sizeof(tok), err, sizeof(err)),
			 -1);
	assert_string_equal(err, "No such file or directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(one_line_read),
	    cmocka_unit_test(refuses_more_than_one_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
