/* SPDX-License-Identifier: BSD-3-Clause */
/* svr_model_diff: changes by JSON path, named arrays matched by name, others by index. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model/diff.h"

static json_t *j(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
	if (!v)
		fail_msg("bad JSON in the test: %s: %s", e.text, text);
	return v;
}

/* The diff of a and b, compared with the expected array (as text). */
static void expect(const char *a, const char *b, const char *want)
{
	json_t *ja = j(a), *jb = j(b), *w = j(want);
	json_t *d = svr_model_diff(ja, jb);
	assert_non_null(d);
	if (!json_equal(d, w)) {
		char *got = json_dumps(d, JSON_COMPACT);
		fail_msg("diff(%s, %s)\n got  %s\n want %s", a, b, got, want);
	}
	json_decref(ja);
	json_decref(jb);
	json_decref(w);
	json_decref(d);
}

static void equal_documents_have_no_changes(void **state)
{
	(void)state;
	expect("{\"a\": [1, {\"name\": \"x\", \"v\": 2}], \"b\": null}",
	       "{\"b\": null, \"a\": [1, {\"v\": 2, \"name\": \"x\"}]}", "[]");
}

static void object_members(void **state)
{
	(void)state;
	expect(
	    "{\"authority\": {\"name\": \"a\", \"old\": 1}}",
	    "{\"authority\": {\"name\": \"b\", \"new\": {\"x\": true}}}",
	    "[{\"path\": \"authority.name\", \"op\": \"changed\", \"from\": \"a\", \"to\": \"b\"},"
	    " {\"path\": \"authority.old\", \"op\": \"removed\", \"from\": 1},"
	    " {\"path\": \"authority.new\", \"op\": \"added\", \"to\": {\"x\": true}}]");
	/* A value that changes type is changed as a whole. */
	expect("{\"a\": {\"x\": 1}}", "{\"a\": [1]}",
	       "[{\"path\": \"a\", \"op\": \"changed\", \"from\": {\"x\": 1}, \"to\": [1]}]");
	expect("1", "2", "[{\"path\": \"(top)\", \"op\": \"changed\", \"from\": 1, \"to\": 2}]");
}

/* Inserting a router in front shows one addition, not every router after it as changed. */
static void named_arrays_match_by_name(void **state)
{
	(void)state;
	expect("{\"routers\": [{\"name\": \"r1\", \"mtu\": 1500}, {\"name\": \"r2\"},"
	       " {\"name\": \"r3\", \"vlan\": 7}]}",
	       "{\"routers\": [{\"name\": \"r0\"}, {\"name\": \"r1\", \"mtu\": 1500},"
	       " {\"name\": \"r3\", \"vlan\": 8}]}",
	       "[{\"path\": \"routers[0]\", \"op\": \"added\", \"to\": {\"name\": \"r0\"}},"
	       " {\"path\": \"routers[2].vlan\", \"op\": \"changed\", \"from\": 7, \"to\": 8},"
	       " {\"path\": \"routers[1]\", \"op\": \"removed\", \"from\": {\"name\": \"r2\"}}]");
	/* Reordering alone is no change. */
	expect("[{\"name\": \"a\"}, {\"name\": \"b\"}]", "[{\"name\": \"b\"}, {\"name\": \"a\"}]",
	       "[]");
	/* Nested: interfaces inside routers. */
	expect(
	    "{\"routers\": [{\"name\": \"r1\", \"interfaces\": [{\"name\": \"lan\", \"vlan\": 1},"
	    " {\"name\": \"wan\", \"vlan\": 2}]}]}",
	    "{\"routers\": [{\"name\": \"r1\", \"interfaces\": [{\"name\": \"wan\", \"vlan\": 3},"
	    " {\"name\": \"lan\", \"vlan\": 1}]}]}",
	    "[{\"path\": \"routers[0].interfaces[0].vlan\", \"op\": \"changed\", \"from\": 2,"
	    " \"to\": 3}]");
}

static void other_arrays_by_index(void **state)
{
	(void)state;
	expect("{\"addresses\": [\"198.18.1.1/24\", \"198.18.2.1/24\", \"198.18.3.1/24\"]}",
	       "{\"addresses\": [\"198.18.1.1/24\", \"198.18.9.1/24\"]}",
	       "[{\"path\": \"addresses[1]\", \"op\": \"changed\", \"from\": \"198.18.2.1/24\","
	       " \"to\": \"198.18.9.1/24\"},"
	       " {\"path\": \"addresses[2]\", \"op\": \"removed\", \"from\": \"198.18.3.1/24\"}]");
	/* One element without a name: the array is compared by index. */
	expect("[{\"name\": \"a\"}, {\"x\": 1}]", "[{\"x\": 1}, {\"name\": \"a\"}]",
	       "[{\"path\": \"[0].name\", \"op\": \"removed\", \"from\": \"a\"},"
	       " {\"path\": \"[0].x\", \"op\": \"added\", \"to\": 1},"
	       " {\"path\": \"[1].x\", \"op\": \"removed\", \"from\": 1},"
	       " {\"path\": \"[1].name\", \"op\": \"added\", \"to\": \"a\"}]");
	expect("[1]", "[1, [2]]", "[{\"path\": \"[1]\", \"op\": \"added\", \"to\": [2]}]");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(equal_documents_have_no_changes),
	    cmocka_unit_test(object_members),
	    cmocka_unit_test(named_arrays_match_by_name),
	    cmocka_unit_test(other_arrays_by_index),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
