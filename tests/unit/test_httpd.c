/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * src/httpd/ (shared by svr-control's REST API and svr-conductor): route patterns take exactly
 * one segment where they say so, listen addresses parse only in their two forms, and a body
 * keeps at most the limit (then only counts).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "httpd/httpd.h"

static bool match(const char *pattern, const char *path, char *arg)
{
	return svr_httpd_path_matches(pattern, path, arg, 16);
}

static void paths(void **state)
{
	(void)state;
	char arg[16];
	assert_true(match("/sync", "/sync", arg));
	assert_string_equal(arg, "");
	assert_false(match("/sync", "/sync/ack", arg));
	assert_false(match("/sync", "/syn", arg));
	/* {} at the end: one non-empty segment */
	assert_true(match("/routers/{}", "/routers/r1", arg));
	assert_string_equal(arg, "r1");
	assert_false(match("/routers/{}", "/routers/", arg));
	assert_false(match("/routers/{}", "/routers/r1/x", arg));
	assert_false(match("/routers/{}", "/routers", arg));
	/* {} in the middle */
	assert_true(match("/routers/{}/enrolment-token", "/routers/r2/enrolment-token", arg));
	assert_string_equal(arg, "r2");
	assert_false(match("/routers/{}/enrolment-token", "/routers//enrolment-token", arg));
	assert_false(match("/routers/{}/enrolment-token", "/routers/r2/enrolment", arg));
	assert_false(match("/routers/{}/enrolment-token", "/routers/a/b/enrolment-token", arg));
	/* two {}: both segments, "first/second" */
	assert_true(match("/routers/{}/commands/{}", "/routers/r1/commands/42", arg));
	assert_string_equal(arg, "r1/42");
	assert_false(match("/routers/{}/commands/{}", "/routers/r1/commands/", arg));
	assert_false(match("/routers/{}/commands/{}", "/routers//commands/42", arg));
	assert_false(match("/routers/{}/commands/{}", "/routers/r1/command/42", arg));
	assert_false(match("/routers/{}/commands/{}", "/routers/r1/commands/42/x", arg));
	assert_true(match("/a/{}/b/{}/c", "/a/x/b/y/c", arg));
	assert_string_equal(arg, "x/y");
	/* both must fit arg's room, with the '/' and the NUL */
	assert_false(match("/a/{}/b/{}", "/a/0123456/b/01234567", arg));
	assert_true(match("/a/{}/b/{}", "/a/0123456/b/0123456", arg));
	assert_string_equal(arg, "0123456/0123456");
	/* a prefix route: exactly one more segment */
	assert_true(match("/sessions/", "/sessions/abc", arg));
	assert_string_equal(arg, "abc");
	assert_false(match("/sessions/", "/sessions/", arg));
	assert_false(match("/sessions/", "/sessions/a/b", arg));
	/* a segment longer than arg's room is no match, not a truncated one */
	assert_false(match("/routers/{}", "/routers/0123456789abcdef", arg));
	assert_true(match("/routers/{}", "/routers/0123456789abcde", arg));
}

static void listen_addresses(void **state)
{
	(void)state;
	struct sockaddr_storage ss;
	char err[256];
	assert_int_equal(svr_httpd_parse_listen("127.0.0.1:8443", "listen", &ss, err, sizeof(err)),
			 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 8443);
	assert_int_equal(svr_httpd_parse_listen("[::1]:1", "listen", &ss, err, sizeof(err)), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	static const char *const bad[] = {
	    "127.0.0.1",     "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:+1",
	    "::1:80",        "[::1]80",     "[127.0.0.1]:80",  "host:80",
	    "127.0.0.1:80x", ":80",         "[::1]:-1",        ""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(svr_httpd_parse_listen(bad[i], "--listen", &ss, err, sizeof(err)),
				 -1);
		assert_non_null(strstr(err, "--listen \""));
	}
}

static void body_limit(void **state)
{
	(void)state;
	struct svr_httpd_body b = {0};
	char chunk[100];
	memset(chunk, 'x', sizeof(chunk));
	assert_int_equal(svr_httpd_body_append(&b, chunk, 100, 250), 0);
	assert_int_equal(svr_httpd_body_append(&b, chunk, 100, 250), 0);
	assert_int_equal(b.len, 200);
	assert_false(b.over);
	/* past the limit: nothing kept, still counted */
	assert_int_equal(svr_httpd_body_append(&b, chunk, 100, 250), 0);
	assert_true(b.over);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.seen, 300);
	assert_int_equal(svr_httpd_body_append(&b, chunk, 100, 250), 0);
	assert_int_equal(b.seen, 400);
	svr_httpd_body_free(&b);
	/* exactly the limit is kept */
	struct svr_httpd_body e = {0};
	assert_int_equal(svr_httpd_body_append(&e, chunk, 100, 100), 0);
	assert_false(e.over);
	assert_int_equal(e.len, 100);
	svr_httpd_body_free(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(paths),
	    cmocka_unit_test(listen_addresses),
	    cmocka_unit_test(body_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
