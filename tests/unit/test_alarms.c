/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The conductor's alarms (conductor/alarms.c) on a real SQLite store in a temp dir, with the
 * clock given to cd_alarms_tick: router-unreachable at router-timeout-s after enrolment or the
 * last report (not before, and never for a router not enrolled), router-out-of-sync after the
 * grace behind the serial or at once on a rejecting acknowledgement, router-local-override from
 * the report; each raise and clear logged exactly once; a deleted router's alarms gone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "alarms.h"
#include "conductor.h"
#include "store/store.h"

#define T0      1800000000000LL /* ms: a fixed "now" for enrolment */
#define TIMEOUT 30              /* router-timeout-s */

struct fx {
	char dir[64];
	char log[96];
	int saved_stderr;
	struct conductor c;
};

/* The conductor's log (stderr) goes to a file, so transitions can be counted. */
static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char spec[160], err[256];
	snprintf(f->dir, sizeof(f->dir), "/tmp/svr-alarms.XXXXXX");
	if (!f || !mkdtemp(f->dir))
		return -1;
	snprintf(spec, sizeof(spec), "sqlite:%s/conductor.db", f->dir);
	snprintf(f->log, sizeof(f->log), "%s/log", f->dir);
	if (svr_store_open(spec, &f->c.store, err, sizeof(err)) < 0) {
		fprintf(stderr, "store: %s\n", err);
		return -1;
	}
	f->c.cfg.router_timeout_s = TIMEOUT;
	fflush(stderr);
	f->saved_stderr = dup(2);
	if (!freopen(f->log, "w", stderr))
		return -1;
	setvbuf(stderr, NULL, _IONBF, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[256];
	/* Drop every tracked router (their alarms clear), so the next test starts empty. */
	json_t *list = NULL;
	char err[256];
	if (svr_store_routers(f->c.store, &list, err, sizeof(err)) == 0) {
		size_t i;
		json_t *r;
		json_array_foreach (list, i, r)
			svr_store_router_delete(f->c.store,
						json_string_value(json_object_get(r, "name")), err,
						sizeof(err));
		json_decref(list);
	}
	cd_alarms_tick(&f->c, T0);
	fflush(stderr);
	dup2(f->saved_stderr, 2);
	close(f->saved_stderr);
	/* What was logged (and any assertion's message, which went there too). */
	FILE *in = fopen(f->log, "r");
	char line[1024];
	while (in && fgets(line, sizeof(line), in))
		printf("  | %s", line);
	if (in)
		fclose(in);
	svr_store_close(f->c.store);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stdout, "could not remove %s\n", f->dir);
	free(f);
	return 0;
}

/* Lines of the log that contain needle. */
static int logged(const struct fx *f, const char *needle)
{
	char line[1024];
	int n = 0;
	FILE *in = fopen(f->log, "r");
	assert_non_null(in);
	while (fgets(line, sizeof(line), in))
		n += strstr(line, needle) != NULL;
	fclose(in);
	return n;
}

static void add_router(struct fx *f, const char *name, bool enrol, int64_t at_ms)
{
	char err[256], tok[65], cred[65];
	assert_int_equal(svr_store_router_add(f->c.store, name, "", err, sizeof(err)), 0);
	if (!enrol)
		return;
	snprintf(tok, sizeof(tok), "%064x", (unsigned)at_ms ^ (unsigned)name[0]);
	snprintf(cred, sizeof(cred), "%064x", (unsigned)at_ms + (unsigned)name[0]);
	assert_int_equal(
	    svr_store_token_add(f->c.store, name, tok, at_ms + 3600000, err, sizeof(err)), 0);
	assert_int_equal(svr_store_token_use(f->c.store, name, tok, cred, at_ms, err, sizeof(err)),
			 0);
}

/* Whether router has alarm raised now (its reason into why, when given). */
static bool raised(const char *router, const char *alarm, char *why, size_t len)
{
	json_t *list = cd_alarms_list(router);
	size_t i;
	json_t *a;
	bool found = false;
	assert_non_null(list);
	json_array_foreach (list, i, a)
		if (strcmp(json_string_value(json_object_get(a, "alarm")), alarm) == 0) {
			found = true;
			if (why)
				snprintf(why, len, "%s",
					 json_string_value(json_object_get(a, "reason")));
		}
	json_decref(list);
	return found;
}

static void report(struct fx *f, const char *router, const char *status_json,
		   int64_t applied_serial, int64_t at_ms)
{
	char err[256];
	json_t *st = json_loads(status_json, 0, NULL);
	assert_non_null(st);
	assert_int_equal(svr_store_router_report(f->c.store, router, st, applied_serial ? 1 : 0,
						 applied_serial, at_ms, err, sizeof(err)),
			 0);
	json_decref(st);
}

/* A key added: the simplest change that moves the serial. */
static int64_t move_serial(struct fx *f, uint32_t id, int64_t at_ms)
{
	struct svr_store_key k = {.security_id = id, .not_before_ms = at_ms, .created_ms = at_ms};
	char err[256];
	int64_t serial;
	memset(k.hmac_key, 'a', 64);
	memset(k.encryption_key, 'b', 64);
	assert_int_equal(svr_store_key_add(f->c.store, &k, err, sizeof(err)), 0);
	assert_int_equal(svr_store_serial(f->c.store, &serial, err, sizeof(err)), 0);
	return serial;
}

static void unreachable_after_the_timeout(void **state)
{
	struct fx *f = *state;
	char why[256];
	add_router(f, "r1", true, T0);
	add_router(f, "r2", false, T0); /* in the inventory only: nothing to reach yet */
	cd_alarms_tick(&f->c, T0 + TIMEOUT * 1000);
	assert_false(raised("r1", "router-unreachable", NULL, 0));
	cd_alarms_tick(&f->c, T0 + TIMEOUT * 1000 + 1);
	assert_true(raised("r1", "router-unreachable", why, sizeof(why)));
	assert_non_null(strstr(why, "never heard from"));
	cd_alarms_tick(&f->c, T0 + 3600000);
	assert_false(raised("r2", "router-unreachable", NULL, 0));
	assert_int_equal(logged(f, "alarm router-unreachable raised for router r1"), 1);

	/* A report clears it; silence for the timeout raises it again. */
	report(f, "r1", "{}", 0, T0 + 3600000);
	cd_alarms_tick(&f->c, T0 + 3600000);
	assert_false(raised("r1", "router-unreachable", NULL, 0));
	assert_int_equal(logged(f, "alarm router-unreachable cleared for router r1"), 1);
	cd_alarms_tick(&f->c, T0 + 3600000 + TIMEOUT * 1000 + 1);
	assert_true(raised("r1", "router-unreachable", why, sizeof(why)));
	assert_non_null(strstr(why, "not heard from for 30 s"));
	assert_int_equal(logged(f, "alarm router-unreachable raised for router r1"), 2);
	json_t *all = cd_alarms_list(NULL);
	assert_int_equal(json_array_size(all), 1); /* r1's; r2, not enrolled, has none */
	json_decref(all);
}

static void out_of_sync_after_the_grace(void **state)
{
	struct fx *f = *state;
	char why[256];
	add_router(f, "r1", true, T0);
	int64_t serial = move_serial(f, 1, T0);
	report(f, "r1", "{}", serial, T0);
	cd_alarms_tick(&f->c, T0);
	assert_false(raised("r1", "router-out-of-sync", NULL, 0));

	serial = move_serial(f, 2, T0 + 1000);
	report(f, "r1", "{}", serial - 1, T0 + 1000); /* heard from, still behind */
	cd_alarms_tick(&f->c, T0 + 1000);
	cd_alarms_tick(&f->c, T0 + 1000 + CD_ALARM_SYNC_GRACE_MS);
	assert_false(raised("r1", "router-out-of-sync", NULL, 0));
	cd_alarms_tick(&f->c, T0 + 1000 + CD_ALARM_SYNC_GRACE_MS + 1);
	assert_true(raised("r1", "router-out-of-sync", why, sizeof(why)));
	assert_non_null(strstr(why, "behind"));

	report(f, "r1", "{}", serial, T0 + 12000);
	cd_alarms_tick(&f->c, T0 + 12000);
	assert_false(raised("r1", "router-out-of-sync", NULL, 0));
	assert_int_equal(logged(f, "alarm router-out-of-sync raised for router r1"), 1);
	assert_int_equal(logged(f, "alarm router-out-of-sync cleared for router r1"), 1);
}

static void out_of_sync_at_once_when_rejected(void **state)
{
	struct fx *f = *state;
	char why[256];
	add_router(f, "r1", true, T0);
	int64_t serial = move_serial(f, 1, T0);
	(void)serial;
	report(f, "r1",
	       "{\"ack\": {\"serial\": 1, \"version\": 1, \"result\": \"rejected\", \"errors\": "
	       "[{\"path\": \"authority.routers[0]\", \"message\": \"cannot probe\"}]}}",
	       0, T0);
	cd_alarms_tick(&f->c, T0);
	assert_true(raised("r1", "router-out-of-sync", why, sizeof(why)));
	assert_non_null(strstr(why, "rejected serial 1: authority.routers[0]: cannot probe"));
}

/* Router text cut where a multi-byte character straddles the cut, and with a newline: the alarm
 * is still listed (json_pack refuses invalid UTF-8), its reason valid and on one line. */
static void router_text_cut_at_a_character(void **state)
{
	struct fx *f = *state;
	char why[512], path[128], status[512];
	add_router(f, "r1", true, T0);
	move_serial(f, 1, T0);
	/* 63 bytes, then a 3-byte euro sign across byte 64. */
	memset(path, 'p', 63);
	snprintf(path + 63, sizeof(path) - 63, "\\u20ac\\u20ac");
	snprintf(status, sizeof(status),
		 "{\"ack\": {\"serial\": 1, \"version\": 1, \"result\": \"rejected\", "
		 "\"errors\": [{\"path\": \"%s\", \"message\": \"bad\\nFORGED\"}]}}",
		 path);
	report(f, "r1", status, 0, T0);
	cd_alarms_tick(&f->c, T0);
	assert_true(raised("r1", "router-out-of-sync", why, sizeof(why)));
	assert_null(strchr(why, '\n'));
	assert_non_null(strstr(why, "bad?FORGED"));
	assert_int_equal(logged(f, "bad?FORGED"), 1);
}

static void local_override_from_the_report(void **state)
{
	struct fx *f = *state;
	add_router(f, "r1", true, T0);
	report(f, "r1", "{\"local-override\": {\"since\": \"2026-12-05T22:00:00Z\"}}", 0, T0);
	cd_alarms_tick(&f->c, T0);
	assert_true(raised("r1", "router-local-override", NULL, 0));
	report(f, "r1", "{\"local-override\": null}", 0, T0 + 1000);
	cd_alarms_tick(&f->c, T0 + 1000);
	assert_false(raised("r1", "router-local-override", NULL, 0));
	assert_int_equal(logged(f, "alarm router-local-override raised for router r1"), 1);
	assert_int_equal(logged(f, "alarm router-local-override cleared for router r1"), 1);
}

static void deleted_router_forgotten(void **state)
{
	struct fx *f = *state;
	char err[256];
	add_router(f, "r1", true, T0);
	cd_alarms_tick(&f->c, T0 + TIMEOUT * 1000 + 1);
	assert_true(raised("r1", "router-unreachable", NULL, 0));
	assert_int_equal(svr_store_router_delete(f->c.store, "r1", err, sizeof(err)), 0);
	cd_alarms_tick(&f->c, T0 + TIMEOUT * 1000 + 2);
	json_t *all = cd_alarms_list(NULL);
	assert_int_equal(json_array_size(all), 0);
	json_decref(all);
	assert_int_equal(logged(f, "alarm router-unreachable cleared for router r1"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(unreachable_after_the_timeout, setup, teardown),
	    cmocka_unit_test_setup_teardown(out_of_sync_after_the_grace, setup, teardown),
	    cmocka_unit_test_setup_teardown(out_of_sync_at_once_when_rejected, setup, teardown),
	    cmocka_unit_test_setup_teardown(router_text_cut_at_a_character, setup, teardown),
	    cmocka_unit_test_setup_teardown(local_override_from_the_report, setup, teardown),
	    cmocka_unit_test_setup_teardown(deleted_router_forgotten, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
