/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The audit log's writer (conductor/audit.c) on a real SQLite store in a temp dir, with the
 * clock given: which requests it keeps, the cap on refused attempts per address and from all
 * addresses, the summaries when a minute ends, an address pushed out of the table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "audit.h"
#include "conductor.h"
#include "store/store.h"

#define WALL 1800000000000LL /* ms: what entries record */

struct fx {
	char dir[64];
	struct conductor c;
	int64_t t0; /* this test's monotonic start: the writer's minutes are process-wide */
};

static int64_t next_t0 = 1000000;

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char spec[160], err[256];
	snprintf(f->dir, sizeof(f->dir), "/tmp/svr-audit.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(spec, sizeof(spec), "sqlite:%s/conductor.db", f->dir);
	if (svr_store_open(spec, &f->c.store, err, sizeof(err)) < 0) {
		fprintf(stderr, "store: %s\n", err);
		return -1;
	}
	f->t0 = next_t0;
	next_t0 += 3600 * 1000;            /* every minute of the test before ended long ago */
	cd_audit_tick(&f->c, f->t0, WALL); /* ends them (and writes nothing: none counted) */
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];
	cd_audit_tick(&f->c, f->t0 + 30 * 60 * 1000, WALL); /* whatever is left, on this store */
	svr_store_close(f->c.store);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->dir);
	free(f);
	return 0;
}

static json_t *entries(struct fx *f)
{
	json_t *list = NULL;
	char err[256];
	if (svr_store_audit_list(f->c.store, 0, 1000, NULL, &list, err, sizeof(err)) < 0)
		fail_msg("audit list: %s", err);
	return list;
}

static size_t count(struct fx *f)
{
	json_t *l = entries(f);
	size_t n = json_array_size(l);
	json_decref(l);
	return n;
}

static const char *field(const json_t *list, size_t i, const char *key)
{
	return json_string_value(json_object_get(json_array_get(list, i), key));
}

/* A wrong token's GET from addr, or its n-th (the path says which). */
static void refuse(struct fx *f, const char *addr, unsigned n, int64_t at)
{
	char path[64];
	snprintf(path, sizeof(path), "/api/v1/model/%u", n);
	struct cd_audit_request r = {.method = "GET",
				     .path = path,
				     .who = "",
				     .role = "",
				     .peer = addr,
				     .status = 401,
				     .api = true};
	cd_audit_request(&f->c, &r, at, WALL);
}

static void kept_and_not(void **state)
{
	(void)state;
	struct cd_audit_request r = {.method = "GET",
				     .path = "/api/v1/model",
				     .who = "pat",
				     .role = "planner",
				     .peer = "198.18.0.1",
				     .status = 200,
				     .operator_request = true,
				     .api = true};
	assert_false(cd_audit_wanted(&r)); /* a read that succeeded */
	r.method = "HEAD";
	assert_false(cd_audit_wanted(&r));
	r.status = 403; /* a read the role does not admit */
	assert_true(cd_audit_wanted(&r));
	r.method = "POST";
	r.status = 422; /* a change, whatever its answer */
	assert_true(cd_audit_wanted(&r));
	r.status = 0; /* the client left before an answer: nothing was done */
	assert_false(cd_audit_wanted(&r));
	struct cd_audit_request anon = {.method = "POST",
					.path = "/api/v1/enrol",
					.who = "",
					.role = "",
					.peer = "198.18.0.1",
					.status = 429,
					.api = true};
	assert_true(cd_audit_wanted(&anon)); /* an enrolment refused */
	anon.status = 200;
	assert_false(cd_audit_wanted(&anon)); /* a router's own request that succeeded */
	anon.status = 404;
	assert_false(cd_audit_wanted(&anon));
	anon.status = 401;
	anon.api = false;
	assert_false(cd_audit_wanted(&anon)); /* outside /api/v1: the web UI's files */
}

/* A change is written with every field; changes are never capped. */
static void changes_written(void **state)
{
	struct fx *f = *state;
	struct cd_audit_request r = {.method = "POST",
				     .path = "/api/v1/commit",
				     .who = "pat",
				     .role = "planner",
				     .peer = "198.18.0.1",
				     .action = "commit",
				     .detail = "committed version 7 (serial 12)",
				     .status = 201,
				     .operator_request = true,
				     .api = true};
	for (int i = 0; i < 3 * CD_AUDIT_REFUSED_PER_ADDR; i++)
		cd_audit_request(&f->c, &r, f->t0 + i, WALL + i);
	json_t *l = entries(f);
	assert_int_equal(json_array_size(l), 3 * CD_AUDIT_REFUSED_PER_ADDR);
	assert_string_equal(field(l, 0, "who"), "pat");
	assert_string_equal(field(l, 0, "role"), "planner");
	assert_string_equal(field(l, 0, "from"), "198.18.0.1");
	assert_string_equal(field(l, 0, "action"), "commit");
	assert_string_equal(field(l, 0, "detail"), "committed version 7 (serial 12)");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(l, 0), "at-ms")),
			 WALL + 3 * CD_AUDIT_REFUSED_PER_ADDR - 1);
	json_decref(l);
	/* No action named: the method's ("read" for a GET). */
	struct cd_audit_request d = {.method = "DELETE",
				     .path = "/api/v1/x",
				     .who = "ann",
				     .role = "admin",
				     .peer = "198.18.0.1",
				     .status = 204,
				     .operator_request = true,
				     .api = true};
	cd_audit_request(&f->c, &d, f->t0, WALL);
	refuse(f, "198.18.0.9", 1, f->t0);
	l = entries(f);
	assert_string_equal(field(l, 1, "action"), "delete");
	assert_string_equal(field(l, 0, "action"), "read");
	json_decref(l);
}

/* One address: 10 a minute written, the rest counted and summed up once the minute ends; the
 * next minute starts over. */
static void refusals_capped_per_address(void **state)
{
	struct fx *f = *state;
	for (unsigned i = 0; i < 15; i++)
		refuse(f, "198.18.0.7", i, f->t0 + i * 100);
	refuse(f, "198.18.0.8", 0, f->t0 + 2000); /* another address: its own ten */
	assert_int_equal(count(f), 11);
	cd_audit_tick(&f->c, f->t0 + CD_AUDIT_WINDOW_MS - 1, WALL);
	assert_int_equal(count(f), 11); /* the minute has not ended */
	cd_audit_tick(&f->c, f->t0 + CD_AUDIT_WINDOW_MS, WALL);
	json_t *l = entries(f);
	assert_int_equal(json_array_size(l), 12);
	assert_string_equal(field(l, 0, "action"), "refused-more");
	assert_string_equal(field(l, 0, "detail"), "and 5 more refused from 198.18.0.7");
	assert_string_equal(field(l, 0, "from"), "198.18.0.7");
	assert_string_equal(field(l, 0, "path"), "/api/v1/model/14"); /* the last one counted */
	assert_int_equal(json_integer_value(json_object_get(json_array_get(l, 0), "status")), 401);
	assert_string_equal(field(l, 0, "who"), "");
	json_decref(l);
	cd_audit_tick(&f->c, f->t0 + 2 * CD_AUDIT_WINDOW_MS + 5000, WALL);
	assert_int_equal(count(f), 12); /* nothing more to say */
	for (unsigned i = 0; i < 3; i++)
		refuse(f, "198.18.0.7", 100 + i, f->t0 + 3 * CD_AUDIT_WINDOW_MS);
	assert_int_equal(count(f), 15);
}

/* From all addresses: 300 a minute, the rest in one summary. */
static void refusals_capped_for_all(void **state)
{
	struct fx *f = *state;
	char addr[32];
	for (unsigned a = 0; a < 40; a++) {
		snprintf(addr, sizeof(addr), "198.18.1.%u", a);
		for (unsigned i = 0; i < 10; i++)
			refuse(f, addr, i, f->t0 + a * 10 + i);
	}
	assert_int_equal(count(f), CD_AUDIT_REFUSED_ALL);
	cd_audit_tick(&f->c, f->t0 + CD_AUDIT_WINDOW_MS, WALL);
	json_t *l = entries(f);
	assert_int_equal(json_array_size(l), CD_AUDIT_REFUSED_ALL + 1);
	assert_string_equal(field(l, 0, "detail"),
			    "and 100 more refused from several addresses (over the log's caps)");
	assert_string_equal(field(l, 0, "from"), "");
	json_decref(l);
}

/* The table of addresses is full: the stalest one goes, its count into the all-addresses
 * summary. */
static void address_pushed_out(void **state)
{
	struct fx *f = *state;
	char addr[32];
	for (unsigned i = 0; i < 12; i++)
		refuse(f, "198.18.2.1", i, f->t0);
	for (unsigned a = 0; a < 256; a++) {
		snprintf(addr, sizeof(addr), "198.18.3.%u", a);
		refuse(f, addr, 0, f->t0 + 1 + a);
	}
	assert_int_equal(count(f), 10 + 256);
	cd_audit_tick(&f->c, f->t0 + CD_AUDIT_WINDOW_MS + 300, WALL);
	json_t *l = entries(f);
	assert_int_equal(json_array_size(l), 10 + 256 + 1);
	assert_string_equal(field(l, 0, "detail"),
			    "and 2 more refused from several addresses (over the log's caps)");
	json_decref(l);
}

/* The client's path as MHD decoded it (a newline, a byte that is not UTF-8): kept readable,
 * and the log still reads as JSON. */
static void client_text_made_safe(void **state)
{
	struct fx *f = *state;
	struct cd_audit_request r = {.method = "POST",
				     .path = "/api/v1/x\ny\xff",
				     .who = "",
				     .role = "",
				     .peer = "198.18.0.5",
				     .status = 401,
				     .api = true};
	for (int i = 0; i < CD_AUDIT_REFUSED_PER_ADDR + 1; i++)
		cd_audit_request(&f->c, &r, f->t0, WALL);
	cd_audit_tick(&f->c, f->t0 + CD_AUDIT_WINDOW_MS, WALL);
	json_t *l = entries(f);
	assert_int_equal(json_array_size(l), CD_AUDIT_REFUSED_PER_ADDR + 1);
	assert_string_equal(field(l, 0, "path"), "/api/v1/x?y?"); /* the summary's */
	assert_string_equal(field(l, 1, "path"), "/api/v1/x?y?");
	json_decref(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(kept_and_not),
	    cmocka_unit_test_setup_teardown(changes_written, setup, teardown),
	    cmocka_unit_test_setup_teardown(refusals_capped_per_address, setup, teardown),
	    cmocka_unit_test_setup_teardown(refusals_capped_for_all, setup, teardown),
	    cmocka_unit_test_setup_teardown(address_pushed_out, setup, teardown),
	    cmocka_unit_test_setup_teardown(client_text_made_safe, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
