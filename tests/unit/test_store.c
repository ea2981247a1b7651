/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The conductor's store (conductor/store/store.h): one suite for both backends. SVR_STORE_SPEC
 * chooses the backend: unset, each test opens SQLite in a temp dir of its own; "postgresql:
 * CONNINFO" (tests/lib/pg-throwaway sets it), each test creates a database of its own on that
 * server. The example model is read from $SVR_SOURCE_ROOT/config/model-two-site.json.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <openssl/evp.h>

#include "model/validate.h"
#include "store/store.h"

/* ---- fixture: a fresh, empty store per test ---- */

struct fx {
	char dir[64];       /* SQLite: the temp dir */
	char spec[2][4096]; /* two empty stores: [1] is the target of imports */
	struct svr_store *s;
};

static bool is_pg(void)
{
	const char *e = getenv("SVR_STORE_SPEC");
	return e && strncmp(e, "postgresql:", 11) == 0;
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* PostgreSQL: a new database per store, so tests do not see each other's data. */
static void pg_new_database(const char *conninfo, char *spec, size_t len)
{
	static unsigned n;
	char name[64];
	snprintf(name, sizeof(name), "svr_test_%ld_%u", (long)getpid(), n++);
	PGconn *c = PQconnectdb(conninfo);
	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("connect %s: %s", conninfo, PQerrorMessage(c));
	char sql[128];
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	/* A repeated key=value keyword: libpq takes the last. */
	snprintf(spec, len, "postgresql:%s dbname=%s", conninfo, name);
}

static struct svr_store *open_store(const char *spec)
{
	struct svr_store *s = NULL;
	char err[256];
	if (svr_store_open(spec, &s, err, sizeof(err)) < 0)
		fail_msg("open %s: %s", spec, err);
	return s;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *env = getenv("SVR_STORE_SPEC");
	if (is_pg()) {
		for (int i = 0; i < 2; i++)
			pg_new_database(env + 11, f->spec[i], sizeof(f->spec[i]));
	} else {
		snprintf(f->dir, sizeof(f->dir), "/tmp/svr-store.XXXXXX");
		if (!mkdtemp(f->dir))
			fail_msg("mkdtemp");
		for (int i = 0; i < 2; i++)
			snprintf(f->spec[i], sizeof(f->spec[i]), "sqlite:%s/c%d.db", f->dir, i);
	}
	f->s = open_store(f->spec[0]);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	svr_store_close(f->s);
	if (f->dir[0]) {
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", f->dir);
	}
	free(f);
	return 0;
}

/* ---- models ---- */

static json_t *two_site(void)
{
	char path[512];
	const char *root = getenv("SVR_SOURCE_ROOT");
	snprintf(path, sizeof(path), "%s/config/model-two-site.json", root ? root : ".");
	json_error_t e;
	json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
	if (!doc)
		fail_msg("%s: %s", path, e.text);
	return doc;
}

static json_t *at(json_t *doc, const char *path)
{
	json_t *auth = json_object_get(doc, "authority");
	if (strcmp(path, "r1") == 0)
		return json_array_get(json_object_get(auth, "routers"), 0);
	if (strcmp(path, "r2") == 0)
		return json_array_get(json_object_get(auth, "routers"), 1);
	return json_object_get(auth, path);
}

/* The two-site model with r2's LAN on another subnet (one more distinct, valid version). */
static json_t *two_site_v2(void)
{
	json_t *m = two_site();
	json_t *lan = json_array_get(json_object_get(at(m, "r2"), "interfaces"), 0);
	json_array_set_new(json_object_get(lan, "addresses"), 0, json_string("198.18.2.2/24"));
	return m;
}

/* A router whose interfaces (nif of them, on 198.18.<i>.0/24) are all in the neighborhoods n0..
 * n<nhood-1> with the given topology. */
static json_t *hub_spoke_router(const char *name, int idx, int nif, int nhood, const char *topo)
{
	json_t *ifs = json_array();
	for (int i = 0; i < nif; i++) {
		json_t *hoods = json_array();
		for (int h = 0; h < nhood; h++) {
			char hn[16];
			snprintf(hn, sizeof(hn), "n%d", h);
			json_array_append_new(hoods,
					      json_pack("{ss ss}", "name", hn, "topology", topo));
		}
		char ifn[24], dev[24], addr[48];
		snprintf(ifn, sizeof(ifn), "if%d", i);
		snprintf(dev, sizeof(dev), "net_tap%d", i);
		snprintf(addr, sizeof(addr), "198.18.%d.%d/24", i, idx + 1);
		json_array_append_new(ifs, json_pack("{ss ss s[s] so}", "name", ifn, "device", dev,
						     "addresses", addr, "neighborhoods", hoods));
	}
	return json_pack("{ss so}", "name", name, "interfaces", ifs);
}

/* Valid, but the hub peers with 14 spokes through 64 x 16 x 64 interface pairs each: its image
 * (about 900,000 peer paths) does not fit the 48 MiB a router's image may take. Only compiling
 * finds that. */
static json_t *too_big_to_compile(void)
{
	json_t *routers = json_array();
	json_array_append_new(routers, hub_spoke_router("hub", 0, 64, 16, "hub"));
	for (int s = 0; s < 14; s++) {
		char n[16];
		snprintf(n, sizeof(n), "s%d", s);
		json_array_append_new(routers, hub_spoke_router(n, s + 1, 64, 16, "spoke"));
	}
	return json_pack("{si s{ss so}}", "model-version", 1, "authority", "name", "big", "routers",
			 routers);
}

static bool has_path(const struct svr_model_errors *e, const char *path)
{
	for (unsigned i = 0; i < e->count; i++)
		if (strcmp(e->list[i].path, path) == 0)
			return true;
	return false;
}

static struct svr_store_commit commit_ok(struct svr_store *s, const json_t *m, const char *msg)
{
	struct svr_store_commit c;
	struct svr_model_errors e;
	svr_model_errors_init(&e);
	char err[256];
	int rc = svr_store_commit(s, m, "alice", msg, "", &c, &e, err, sizeof(err));
	if (rc != 0)
		fail_msg("commit: %d %s (%s: %s)", rc, err, e.count ? e.list[0].path : "",
			 e.count ? e.list[0].message : "");
	svr_model_errors_free(&e);
	return c;
}

static int64_t serial_of(struct svr_store *s)
{
	int64_t v = -1;
	assert_int_equal(svr_store_serial(s, &v, NULL, 0), 0);
	return v;
}

static size_t history_len(struct svr_store *s)
{
	json_t *h = NULL;
	assert_int_equal(svr_store_history(s, 0, 1000, &h, NULL, 0), 0);
	size_t n = json_array_size(h);
	json_decref(h);
	return n;
}

static void sha256_of(const json_t *m, char out[65])
{
	char *t = json_dumps(m, JSON_SORT_KEYS | JSON_COMPACT);
	unsigned char md[32];
	EVP_Digest(t, strlen(t), md, NULL, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	free(t);
}

/* ---- versions ---- */

static void commit_history_running(void **state)
{
	struct fx *f = *state;
	struct svr_store_commit info;
	json_t *m = NULL;
	assert_int_equal(svr_store_running(f->s, &info, &m, NULL, 0), 0);
	assert_int_equal(info.version, 0);
	assert_null(m);
	assert_int_equal(serial_of(f->s), 0);

	json_t *m1 = two_site(), *m2 = two_site_v2();
	int64_t before = wall_ms();
	struct svr_store_commit c;
	char err[256];
	assert_int_equal(
	    svr_store_commit(f->s, m1, "alice", "first", "CHG-1", &c, NULL, err, sizeof(err)), 0);
	int64_t after = wall_ms();
	assert_int_equal(c.version, 1);
	assert_string_equal(c.author, "alice");
	assert_string_equal(c.message, "first");
	assert_string_equal(c.ticket, "CHG-1");
	assert_string_equal(c.kind, "commit");
	assert_true(c.at_ms >= before && c.at_ms <= after);
	char sha[65];
	sha256_of(m1, sha);
	assert_string_equal(c.sha256, sha);

	struct svr_store_commit c2 = commit_ok(f->s, m2, "second");
	assert_int_equal(c2.version, 2);

	assert_int_equal(svr_store_running(f->s, &info, &m, NULL, 0), 0);
	assert_int_equal(info.version, 2);
	assert_true(json_equal(m, m2));
	json_decref(m);
	assert_int_equal(svr_store_version(f->s, 1, &info, &m, NULL, 0), 0);
	assert_true(json_equal(m, m1));
	assert_string_equal(info.ticket, "CHG-1");
	assert_int_equal(info.at_ms, c.at_ms);
	json_decref(m);
	assert_int_equal(svr_store_version(f->s, 3, &info, &m, NULL, 0), SVR_STORE_NOT_FOUND);
	assert_null(m);

	json_t *h = NULL;
	assert_int_equal(svr_store_history(f->s, 0, 10, &h, NULL, 0), 0);
	assert_int_equal(json_array_size(h), 2);
	json_t *newest = json_array_get(h, 0), *oldest = json_array_get(h, 1);
	assert_int_equal(json_integer_value(json_object_get(newest, "version")), 2);
	assert_int_equal(json_integer_value(json_object_get(oldest, "version")), 1);
	assert_string_equal(json_string_value(json_object_get(oldest, "author")), "alice");
	assert_string_equal(json_string_value(json_object_get(oldest, "message")), "first");
	assert_string_equal(json_string_value(json_object_get(oldest, "ticket")), "CHG-1");
	assert_int_equal(json_integer_value(json_object_get(oldest, "at-ms")), c.at_ms);
	assert_string_equal(json_string_value(json_object_get(oldest, "sha256")), sha);
	json_decref(h);
	/* Paging: below version 2, at most one. */
	assert_int_equal(svr_store_history(f->s, 2, 1, &h, NULL, 0), 0);
	assert_int_equal(json_array_size(h), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(h, 0), "version")), 1);
	json_decref(h);
	json_decref(m1);
	json_decref(m2);
}

/* An invalid model is refused with the validator's paths, and nothing changes. */
static void invalid_commit_refused(void **state)
{
	struct fx *f = *state;
	json_t *m1 = two_site();
	commit_ok(f->s, m1, "good");
	int64_t serial = serial_of(f->s);

	json_t *bad = two_site();
	json_t *wan1 = json_array_get(json_object_get(at(bad, "r1"), "interfaces"), 1);
	json_object_set_new(wan1, "mtu", json_integer(5));
	json_object_set_new(json_array_get(at(bad, "services"), 0), "policy",
			    json_string("no-such-policy"));
	struct svr_model_errors e;
	svr_model_errors_init(&e);
	char err[256];
	struct svr_store_commit c = {.version = -7};
	assert_int_equal(
	    svr_store_commit(f->s, bad, "mallory", "bad", "", &c, &e, err, sizeof(err)),
	    SVR_STORE_INVALID);
	assert_true(e.count >= 2);
	assert_true(has_path(&e, "authority.routers[0].interfaces[1].mtu"));
	assert_true(has_path(&e, "authority.services[0].policy"));
	assert_non_null(strstr(err, "invalid"));
	assert_int_equal(c.version, -7); /* out untouched */
	svr_model_errors_free(&e);

	assert_int_equal(serial_of(f->s), serial);
	assert_int_equal(history_len(f->s), 1);
	json_t *m = NULL;
	struct svr_store_commit info;
	assert_int_equal(svr_store_running(f->s, &info, &m, NULL, 0), 0);
	assert_int_equal(info.version, 1);
	assert_true(json_equal(m, m1));
	json_decref(m);

	/* Too long a message is refused too, by name. */
	char msg[SVR_STORE_MESSAGE_MAX + 1];
	memset(msg, 'x', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	svr_model_errors_init(&e);
	assert_int_equal(svr_store_commit(f->s, m1, "alice", msg, "", NULL, &e, NULL, 0),
			 SVR_STORE_INVALID);
	assert_true(has_path(&e, "message"));
	svr_model_errors_free(&e);
	assert_int_equal(history_len(f->s), 1);
	json_decref(bad);
	json_decref(m1);
}

/* Valid for the validator, yet r1's image cannot be built: svr_model_compile_all refuses it. */
static void uncompilable_commit_refused(void **state)
{
	struct fx *f = *state;
	json_t *m = too_big_to_compile();
	struct svr_model_errors e;
	svr_model_errors_init(&e);
	assert_int_equal(svr_model_validate(m, &e), 0); /* the validator lets it through */
	assert_int_equal(svr_store_commit(f->s, m, "alice", "", "", NULL, &e, NULL, 0),
			 SVR_STORE_INVALID);
	assert_true(has_path(&e, "authority.routers[0]"));
	assert_non_null(strstr(e.list[0].message, "does not fit"));
	svr_model_errors_free(&e);
	assert_int_equal(history_len(f->s), 0);
	assert_int_equal(serial_of(f->s), 0);
	json_decref(m);
}

static void candidate_get_put(void **state)
{
	struct fx *f = *state;
	json_t *c = json_true();
	char who[SVR_STORE_NAME_MAX];
	int64_t at_ms = -1;
	assert_int_equal(svr_store_candidate_get(f->s, &c, NULL, 0), 0);
	assert_null(c);
	assert_int_equal(svr_store_candidate_info(f->s, who, sizeof(who), &at_ms, NULL, 0), 0);
	assert_string_equal(who, "");
	assert_int_equal(at_ms, 0);
	/* No candidate: committing "the candidate" finds none. */
	assert_int_equal(svr_store_commit(f->s, NULL, "alice", "", "", NULL, NULL, NULL, 0),
			 SVR_STORE_NOT_FOUND);

	/* A candidate is not validated until committed. */
	json_t *draft = json_pack("{s:i, s:{s:s}}", "model-version", 1, "authority", "name", "x");
	assert_int_equal(svr_store_candidate_put(f->s, draft, "bob", NULL, 0), 0);
	assert_int_equal(svr_store_candidate_get(f->s, &c, NULL, 0), 0);
	assert_true(json_equal(c, draft));
	json_decref(c);
	/* Who put it, and when (for a page that finds the candidate differing from running). */
	assert_int_equal(svr_store_candidate_info(f->s, who, sizeof(who), &at_ms, NULL, 0), 1);
	assert_string_equal(who, "bob");
	assert_true(at_ms > 0);
	struct svr_model_errors e;
	svr_model_errors_init(&e);
	assert_int_equal(svr_store_commit(f->s, NULL, "bob", "", "", NULL, &e, NULL, 0),
			 SVR_STORE_INVALID);
	assert_true(e.count > 0);
	svr_model_errors_free(&e);
	assert_int_equal(history_len(f->s), 0);

	json_t *m = two_site();
	assert_int_equal(svr_store_candidate_put(f->s, m, "bob", NULL, 0), 0);
	struct svr_store_commit info;
	assert_int_equal(
	    svr_store_commit(f->s, NULL, "bob", "from the candidate", "", &info, NULL, NULL, 0), 0);
	assert_int_equal(info.version, 1);
	json_t *running = NULL;
	assert_int_equal(svr_store_running(f->s, NULL, &running, NULL, 0), 0);
	assert_true(json_equal(running, m));
	/* Committed: the candidate is the running model again. */
	assert_int_equal(svr_store_candidate_get(f->s, &c, NULL, 0), 0);
	assert_null(c);
	json_decref(running);
	json_decref(m);
	json_decref(draft);
}

static const json_t *find_change(const json_t *diff, const char *path)
{
	size_t i;
	const json_t *d;
	json_array_foreach (diff, i, d)
		if (strcmp(json_string_value(json_object_get(d, "path")), path) == 0)
			return d;
	return NULL;
}

/* Version 2 inserts a router before r1, moves r2's LAN address and drops a tenant. */
static void diff_by_path(void **state)
{
	struct fx *f = *state;
	json_t *m1 = two_site();
	json_array_append_new(at(m1, "tenants"), json_pack("{ss}", "name", "spare"));
	commit_ok(f->s, m1, "v1");
	json_t *m2 = two_site_v2();
	json_array_insert_new(json_object_get(json_object_get(m2, "authority"), "routers"), 0,
			      json_pack("{ss s[{ss ss s[s]}]}", "name", "r0", "interfaces", "name",
					"lan", "device", "net_tap0", "addresses", "198.18.3.1/24"));
	commit_ok(f->s, m2, "v2");

	json_t *d = NULL;
	assert_int_equal(svr_store_diff(f->s, 1, 2, &d, NULL, 0), 0);
	char *text = json_dumps(d, JSON_INDENT(1));
	print_message("%s\n", text);
	free(text);
	assert_int_equal(json_array_size(d), 3);
	const json_t *added = find_change(d, "authority.routers[0]");
	assert_non_null(added);
	assert_string_equal(json_string_value(json_object_get(added, "op")), "added");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(added, "to"), "name")), "r0");
	assert_null(json_object_get(added, "from"));
	/* r2 is matched by name: its path is its index in version 2. */
	const json_t *ch = find_change(d, "authority.routers[2].interfaces[0].addresses[0]");
	assert_non_null(ch);
	assert_string_equal(json_string_value(json_object_get(ch, "op")), "changed");
	assert_string_equal(json_string_value(json_object_get(ch, "from")), "198.18.2.1/24");
	assert_string_equal(json_string_value(json_object_get(ch, "to")), "198.18.2.2/24");
	const json_t *rm = find_change(d, "authority.tenants[2]");
	assert_non_null(rm);
	assert_string_equal(json_string_value(json_object_get(rm, "op")), "removed");
	json_decref(d);
	assert_int_equal(svr_store_diff(f->s, 1, 9, &d, NULL, 0), SVR_STORE_NOT_FOUND);
	json_decref(m1);
	json_decref(m2);
}

static void rollback_is_a_new_commit(void **state)
{
	struct fx *f = *state;
	json_t *m1 = two_site(), *m2 = two_site_v2();
	struct svr_store_commit c1 = commit_ok(f->s, m1, "v1");
	commit_ok(f->s, m2, "v2");
	struct svr_store_commit r;
	assert_int_equal(
	    svr_store_rollback(f->s, 1, "carol", "back to 1", "INC-9", &r, NULL, NULL, 0), 0);
	assert_int_equal(r.version, 3);
	assert_string_equal(r.kind, "rollback");
	assert_int_equal(r.source_version, 1);
	assert_string_equal(r.author, "carol");
	assert_string_equal(r.ticket, "INC-9");
	assert_string_equal(r.sha256, c1.sha256);
	json_t *m = NULL;
	struct svr_store_commit info;
	assert_int_equal(svr_store_running(f->s, &info, &m, NULL, 0), 0);
	assert_int_equal(info.version, 3);
	assert_true(json_equal(m, m1));
	json_decref(m);
	assert_int_equal(svr_store_rollback(f->s, 42, "carol", "", "", NULL, NULL, NULL, 0),
			 SVR_STORE_NOT_FOUND);
	assert_int_equal(history_len(f->s), 3);
	json_decref(m1);
	json_decref(m2);
}

static void export_import_round_trip(void **state)
{
	struct fx *f = *state;
	json_t *m1 = two_site(), *m2 = two_site_v2();
	commit_ok(f->s, m1, "v1");
	commit_ok(f->s, m2, "v2");
	assert_int_equal(svr_store_rollback(f->s, 1, "carol", "back", "", NULL, NULL, NULL, 0), 0);
	assert_int_equal(svr_store_candidate_put(f->s, m2, "dave", NULL, 0), 0);
	assert_int_equal(svr_store_router_add(f->s, "r1", "SN-1", NULL, 0), 0);
	assert_int_equal(svr_store_router_add(f->s, "r2", "SN-2", NULL, 0), 0);
	json_t *doc = NULL;
	char err[256];
	assert_int_equal(svr_store_export(f->s, &doc, err, sizeof(err)), 0);

	struct svr_store *fresh = open_store(f->spec[1]);
	/* A tampered export is refused, and nothing is loaded. */
	json_t *bad = json_deep_copy(doc);
	json_t *v0model =
	    json_object_get(json_array_get(json_object_get(bad, "versions"), 0), "model");
	json_object_set_new(json_object_get(v0model, "authority"), "name", json_string("evil"));
	assert_int_equal(svr_store_import(fresh, bad, err, sizeof(err)), SVR_STORE_INVALID);
	assert_non_null(strstr(err, "sha256"));
	assert_int_equal(history_len(fresh), 0);
	json_decref(bad);

	bad = json_deep_copy(doc);
	json_object_set_new(json_array_get(json_object_get(bad, "versions"), 1), "kind",
			    json_string("merge"));
	assert_int_equal(svr_store_import(fresh, bad, err, sizeof(err)), SVR_STORE_INVALID);
	assert_non_null(strstr(err, "versions[1].kind"));
	assert_int_equal(history_len(fresh), 0); /* version 1 was loaded, then rolled back */
	json_decref(bad);

	/* The running version (3) must pass a commit's checks, whatever its sha256 says; a
	 * router's name must be one. */
	bad = json_deep_copy(doc);
	json_t *v2model =
	    json_object_get(json_array_get(json_object_get(bad, "versions"), 2), "model");
	json_object_set_new(
	    json_array_get(json_object_get(json_object_get(v2model, "authority"), "routers"), 0),
	    "name", json_integer(7));
	assert_int_equal(svr_store_import(fresh, bad, err, sizeof(err)), SVR_STORE_INVALID);
	assert_non_null(strstr(err, "versions[2].model: the running version"));
	assert_non_null(strstr(err, "authority.routers[0].name"));
	assert_int_equal(history_len(fresh), 0);
	json_decref(bad);
	bad = json_deep_copy(doc);
	json_object_set_new(json_array_get(json_object_get(bad, "routers"), 1), "name",
			    json_string("r 2"));
	assert_int_equal(svr_store_import(fresh, bad, err, sizeof(err)), SVR_STORE_INVALID);
	assert_non_null(strstr(err, "routers[1].name"));
	assert_int_equal(history_len(fresh), 0);
	json_decref(bad);

	int64_t serial = serial_of(fresh);
	assert_int_equal(svr_store_import(fresh, doc, err, sizeof(err)), 0);
	assert_true(serial_of(fresh) > serial);
	json_t *again = NULL;
	assert_int_equal(svr_store_export(fresh, &again, NULL, 0), 0);
	const char *same[] = {"versions", "candidate", "routers", "running"};
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
		if (!json_equal(json_object_get(doc, same[i]), json_object_get(again, same[i])))
			fail_msg("%s differs after import", same[i]);
	assert_int_equal(history_len(fresh), 3);
	json_t *m = NULL;
	assert_int_equal(svr_store_running(fresh, NULL, &m, NULL, 0), 0);
	assert_true(json_equal(m, m1));
	json_decref(m);
	/* Only into an empty store. */
	assert_int_equal(svr_store_import(fresh, doc, NULL, 0), SVR_STORE_EXISTS);
	assert_int_equal(history_len(fresh), 3);
	svr_store_close(fresh);
	json_decref(again);
	json_decref(doc);
	json_decref(m1);
	json_decref(m2);
}

/* ---- routers ---- */

static void routers_inventory(void **state)
{
	struct fx *f = *state;
	assert_int_equal(svr_store_router_add(f->s, "r2", "SN-2", NULL, 0), 0);
	assert_int_equal(svr_store_router_add(f->s, "r1", "SN-1", NULL, 0), 0);
	char err[256];
	assert_int_equal(svr_store_router_add(f->s, "r1", "SN-other", err, sizeof(err)),
			 SVR_STORE_EXISTS);
	assert_non_null(strstr(err, "r1"));
	json_t *list = NULL;
	assert_int_equal(svr_store_routers(f->s, &list, NULL, 0), 0);
	assert_int_equal(json_array_size(list), 2);
	json_t *r1 = json_array_get(list, 0);
	assert_string_equal(json_string_value(json_object_get(r1, "name")), "r1");
	assert_string_equal(json_string_value(json_object_get(r1, "asset-id")), "SN-1");
	assert_int_equal(json_integer_value(json_object_get(r1, "enrolled-ms")), 0);
	assert_true(json_is_null(json_object_get(r1, "status")));
	json_decref(list);

	json_t *status = json_pack("{sb si}", "dataplane-up", 1, "sessions", 12);
	assert_int_equal(svr_store_router_report(f->s, "r1", status, 4, 9, 1234, NULL, 0), 0);
	assert_int_equal(svr_store_router_report(f->s, "nope", status, 4, 9, 1234, NULL, 0),
			 SVR_STORE_NOT_FOUND);
	json_t *r = NULL;
	assert_int_equal(svr_store_router_get(f->s, "r1", &r, NULL, 0), 0);
	assert_true(json_equal(json_object_get(r, "status"), status));
	assert_int_equal(json_integer_value(json_object_get(r, "applied-version")), 4);
	assert_int_equal(json_integer_value(json_object_get(r, "applied-serial")), 9);
	assert_int_equal(json_integer_value(json_object_get(r, "last-seen-ms")), 1234);
	json_decref(r);
	json_decref(status);
	assert_int_equal(svr_store_router_get(f->s, "r9", &r, NULL, 0), SVR_STORE_NOT_FOUND);

	assert_int_equal(svr_store_router_delete(f->s, "r2", NULL, 0), 0);
	assert_int_equal(svr_store_router_delete(f->s, "r2", NULL, 0), SVR_STORE_NOT_FOUND);
	assert_int_equal(svr_store_routers(f->s, &list, NULL, 0), 0);
	assert_int_equal(json_array_size(list), 1);
	json_decref(list);
}

#define HASH(c)                                                                                    \
	c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c  \
	    c c c c c c c c c c c c c c c c c c c

static void tokens_and_credentials(void **state)
{
	struct fx *f = *state;
	const char *t1 = HASH("a"), *t2 = HASH("b"), *c1 = HASH("c"), *c2 = HASH("d");
	const char *t3 = HASH("e");
	int64_t now = wall_ms();
	assert_int_equal(svr_store_token_add(f->s, "r1", t1, now + 60000, NULL, 0),
			 SVR_STORE_NOT_FOUND); /* no such router yet */
	assert_int_equal(svr_store_router_add(f->s, "r1", "SN-1", NULL, 0), 0);
	assert_int_equal(svr_store_router_add(f->s, "r2", "SN-2", NULL, 0), 0);
	assert_int_equal(svr_store_token_add(f->s, "r1", t1, now + 60000, NULL, 0), 0);
	assert_int_equal(svr_store_token_add(f->s, "r1", t3, now + 60000, NULL, 0), 0);
	assert_int_equal(svr_store_token_add(f->s, "r2", t2, now - 1, NULL, 0), 0);

	/* Another router's token, an unknown one: not found. */
	assert_int_equal(svr_store_token_use(f->s, "r2", t1, c2, now, NULL, 0),
			 SVR_STORE_NOT_FOUND);
	assert_int_equal(svr_store_token_use(f->s, "r1", c1, c1, now, NULL, 0),
			 SVR_STORE_NOT_FOUND);
	/* Once. */
	assert_int_equal(svr_store_token_use(f->s, "r1", t1, c1, now, NULL, 0), 0);
	char name[SVR_STORE_NAME_MAX];
	assert_int_equal(svr_store_router_by_credential(f->s, c1, name, sizeof(name), NULL, 0), 0);
	assert_string_equal(name, "r1");
	assert_int_equal(svr_store_token_use(f->s, "r1", t1, c2, now, NULL, 0), SVR_STORE_EXPIRED);
	/* The router's other token, issued before it enrolled, died with the enrolment. */
	assert_int_equal(svr_store_token_use(f->s, "r1", t3, c2, now, NULL, 0), SVR_STORE_EXPIRED);
	assert_int_equal(svr_store_router_by_credential(f->s, c1, name, sizeof(name), NULL, 0), 0);
	assert_int_equal(svr_store_router_by_credential(f->s, c2, name, sizeof(name), NULL, 0),
			 SVR_STORE_NOT_FOUND);
	/* Expired before use: refused, the router stays unenrolled. */
	assert_int_equal(svr_store_token_use(f->s, "r2", t2, c2, now, NULL, 0), SVR_STORE_EXPIRED);
	assert_int_equal(svr_store_router_by_credential(f->s, c2, name, sizeof(name), NULL, 0),
			 SVR_STORE_NOT_FOUND);
	json_t *r = NULL;
	assert_int_equal(svr_store_router_get(f->s, "r1", &r, NULL, 0), 0);
	assert_int_equal(json_integer_value(json_object_get(r, "enrolled-ms")), now);
	json_decref(r);
	assert_int_equal(svr_store_router_get(f->s, "r2", &r, NULL, 0), 0);
	assert_int_equal(json_integer_value(json_object_get(r, "enrolled-ms")), 0);
	json_decref(r);
}

/* Two conductors (two handles, two threads) present one token at once, for many tokens: each
 * token enrols its router exactly once, with the winner's credential. */
#define RACE_TOKENS 50

struct token_racer {
	struct svr_store *s;
	char id;                  /* 'a' or 'b': its credentials differ from the other's */
	pthread_barrier_t *start; /* both present token i together */
	int rc[RACE_TOKENS];
	pthread_t t;
};

static void race_token(unsigned i, char *tok)
{
	snprintf(tok, 65, "%064u", i);
}

static void race_credential(char id, unsigned i, char *cred)
{
	snprintf(cred, 65, "%c%063u", id, i);
}

static void *token_race_thread(void *arg)
{
	struct token_racer *r = arg;
	char tok[65], cred[65], router[16];
	for (unsigned i = 0; i < RACE_TOKENS; i++) {
		race_token(i, tok);
		race_credential(r->id, i, cred);
		snprintf(router, sizeof(router), "r%u", i);
		pthread_barrier_wait(r->start);
		r->rc[i] = svr_store_token_use(r->s, router, tok, cred, wall_ms(), NULL, 0);
	}
	return NULL;
}

static void token_used_once_under_race(void **state)
{
	struct fx *f = *state;
	char tok[65], cred[65], router[16], name[SVR_STORE_NAME_MAX];
	for (unsigned i = 0; i < RACE_TOKENS; i++) {
		snprintf(router, sizeof(router), "r%u", i);
		race_token(i, tok);
		assert_int_equal(svr_store_router_add(f->s, router, "", NULL, 0), 0);
		assert_int_equal(
		    svr_store_token_add(f->s, router, tok, wall_ms() + 600000, NULL, 0), 0);
	}
	struct svr_store *b = open_store(f->spec[0]);
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, 2);
	struct token_racer r[2] = {{.s = f->s, .id = 'a', .start = &start},
				   {.s = b, .id = 'b', .start = &start}};
	for (int k = 0; k < 2; k++)
		assert_int_equal(pthread_create(&r[k].t, NULL, token_race_thread, &r[k]), 0);
	for (int k = 0; k < 2; k++)
		pthread_join(r[k].t, NULL);
	pthread_barrier_destroy(&start);
	unsigned doubles = 0;
	for (unsigned i = 0; i < RACE_TOKENS; i++) {
		int winners = (r[0].rc[i] == 0) + (r[1].rc[i] == 0);
		doubles += winners > 1;
		assert_true(r[0].rc[i] == 0 || r[0].rc[i] == SVR_STORE_EXPIRED);
		assert_true(r[1].rc[i] == 0 || r[1].rc[i] == SVR_STORE_EXPIRED);
		if (winners != 1)
			continue;
		/* The router holds the winner's credential; the loser's enrols nothing. */
		char winner = r[0].rc[i] == 0 ? 'a' : 'b', loser = winner == 'a' ? 'b' : 'a';
		snprintf(router, sizeof(router), "r%u", i);
		race_credential(winner, i, cred);
		assert_int_equal(
		    svr_store_router_by_credential(b, cred, name, sizeof(name), NULL, 0), 0);
		assert_string_equal(name, router);
		race_credential(loser, i, cred);
		assert_int_equal(
		    svr_store_router_by_credential(b, cred, name, sizeof(name), NULL, 0),
		    SVR_STORE_NOT_FOUND);
	}
	svr_store_close(b);
	if (doubles)
		fail_msg("%u of %d tokens were used twice", doubles, RACE_TOKENS);
}

/* ---- keys, serial ---- */

static struct svr_store_key key(uint32_t id, int64_t not_before)
{
	struct svr_store_key k = {.security_id = id, .not_before_ms = not_before, .created_ms = 1};
	memset(k.hmac_key, '0' + (char)(id % 10), 64);
	memset(k.encryption_key, 'a' + (char)(id % 6), 64);
	return k;
}

static void keys_add_retire(void **state)
{
	struct fx *f = *state;
	int64_t s0 = serial_of(f->s);
	struct svr_store_key k1 = key(1, 1000), k2 = key(2, 2000), k3 = key(3, 3000);
	assert_int_equal(svr_store_key_add(f->s, &k1, NULL, 0), 0);
	assert_int_equal(serial_of(f->s), s0 + 1);
	assert_int_equal(svr_store_key_add(f->s, &k3, NULL, 0), 0);
	assert_int_equal(svr_store_key_add(f->s, &k2, NULL, 0), 0);
	assert_int_equal(svr_store_key_add(f->s, &k2, NULL, 0), SVR_STORE_EXISTS);
	assert_int_equal(serial_of(f->s), s0 + 3);

	struct svr_store_key *ks = NULL;
	size_t n = 0;
	assert_int_equal(svr_store_keys(f->s, &ks, &n, NULL, 0), 0);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(ks[i].security_id, i + 1); /* oldest first */
	assert_memory_equal(&ks[1], &k2, sizeof(k2));
	free(ks);

	/* Before 2500: k1 and k2 are older; the newest of them (k2) stays. */
	assert_int_equal(svr_store_key_retire(f->s, 2500, NULL, 0), 0);
	assert_int_equal(serial_of(f->s), s0 + 4);
	assert_int_equal(svr_store_keys(f->s, &ks, &n, NULL, 0), 0);
	assert_int_equal(n, 2);
	assert_int_equal(ks[0].security_id, 2);
	assert_int_equal(ks[1].security_id, 3);
	free(ks);
	/* Nothing to retire: the serial stays. */
	assert_int_equal(svr_store_key_retire(f->s, 2500, NULL, 0), 0);
	assert_int_equal(serial_of(f->s), s0 + 4);
}

static void serial_moves_on_changes_only(void **state)
{
	struct fx *f = *state;
	json_t *m = two_site();
	assert_int_equal(serial_of(f->s), 0);
	commit_ok(f->s, m, "v1");
	assert_int_equal(serial_of(f->s), 1);
	json_t *bad = json_pack("{si}", "model-version", 99);
	assert_int_equal(svr_store_commit(f->s, bad, "x", "", "", NULL, NULL, NULL, 0),
			 SVR_STORE_INVALID);
	assert_int_equal(serial_of(f->s), 1);
	struct svr_store_key k = key(5, 1);
	assert_int_equal(svr_store_key_add(f->s, &k, NULL, 0), 0);
	assert_int_equal(serial_of(f->s), 2);
	/* What a router does not fetch leaves it alone. */
	assert_int_equal(svr_store_candidate_put(f->s, m, "x", NULL, 0), 0);
	assert_int_equal(svr_store_router_add(f->s, "r1", "", NULL, 0), 0);
	assert_int_equal(serial_of(f->s), 2);
	assert_int_equal(svr_store_rollback(f->s, 1, "x", "", "", NULL, NULL, NULL, 0), 0);
	assert_int_equal(serial_of(f->s), 3);
	json_decref(bad);
	json_decref(m);
}

static void meta_keeps_the_first_value(void **state)
{
	struct fx *f = *state;
	char *v = (char *)1;
	assert_int_equal(svr_store_meta_get(f->s, "ca-cert", &v, NULL, 0), SVR_STORE_NOT_FOUND);
	assert_null(v);
	assert_int_equal(svr_store_meta_put_new(f->s, "ca-cert", "first", &v, NULL, 0), 0);
	assert_string_equal(v, "first");
	free(v);
	assert_int_equal(svr_store_meta_put_new(f->s, "ca-cert", "second", &v, NULL, 0), 0);
	assert_string_equal(v, "first");
	free(v);
	assert_int_equal(svr_store_meta_put_new(f->s, "ca-cert", "third", NULL, NULL, 0), 0);
	assert_int_equal(svr_store_meta_get(f->s, "ca-cert", &v, NULL, 0), 0);
	assert_string_equal(v, "first");
	free(v);
	/* A setting each conductor records at start: the one before is returned. */
	assert_int_equal(svr_store_meta_swap(f->s, "change-control", "on", &v, NULL, 0), 0);
	assert_null(v);
	assert_int_equal(svr_store_meta_swap(f->s, "change-control", "off", &v, NULL, 0), 0);
	assert_string_equal(v, "on");
	free(v);
	assert_int_equal(svr_store_meta_get(f->s, "change-control", &v, NULL, 0), 0);
	assert_string_equal(v, "off");
	free(v);
}

/* ---- changes, two handles ---- */

struct waiter {
	struct svr_store *s;
	int64_t known, serial;
	int timeout_ms, rc;
	int64_t took_ms;
	pthread_t t;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;
	int64_t t0 = mono_ms();
	w->rc = svr_store_wait_change(w->s, w->known, w->timeout_ms, &w->serial, NULL, 0);
	w->took_ms = mono_ms() - t0;
	return NULL;
}

/* A commit from another thread (on store a) wakes a waiter on store b, within a second. */
static void assert_commit_wakes(struct svr_store *a, struct svr_store *b)
{
	json_t *m = two_site();
	struct waiter w = {.s = b, .known = serial_of(a), .timeout_ms = 20000};
	assert_int_equal(pthread_create(&w.t, NULL, wait_thread, &w), 0);
	/* Whether the waiter is already asleep or not, the commit ends its wait: it re-reads the
	 * serial before it sleeps. */
	int64_t t0 = mono_ms();
	commit_ok(a, m, "wake");
	pthread_join(w.t, NULL);
	int64_t since_commit = mono_ms() - t0;
	assert_int_equal(w.rc, 0);
	assert_int_equal(w.serial, w.known + 1);
	assert_true(since_commit < 1000);
	json_decref(m);
}

static void wait_change_wakes_and_times_out(void **state)
{
	struct fx *f = *state;
	assert_commit_wakes(f->s, f->s);
	struct waiter w = {.s = f->s, .known = serial_of(f->s), .timeout_ms = 300};
	wait_thread(&w);
	assert_int_equal(w.rc, 0);
	assert_int_equal(w.serial, w.known);
	assert_true(w.took_ms >= 300);
	assert_true(w.took_ms < 3000);
}

/* Two threads wait on one store: the one with a short timeout returns on time, though the other
 * is waiting too (and may be the one reading the backend's wake-ups); a commit ends the other's
 * wait at once. */
static void two_waiters_on_one_store(void **state)
{
	struct fx *f = *state;
	int64_t known = serial_of(f->s);
	struct waiter longw = {.s = f->s, .known = known, .timeout_ms = 20000};
	struct waiter shortw = {.s = f->s, .known = known, .timeout_ms = 300};
	assert_int_equal(pthread_create(&longw.t, NULL, wait_thread, &longw), 0);
	assert_int_equal(pthread_create(&shortw.t, NULL, wait_thread, &shortw), 0);
	pthread_join(shortw.t, NULL);
	assert_int_equal(shortw.rc, 0);
	assert_int_equal(shortw.serial, known);
	assert_true(shortw.took_ms >= 300 && shortw.took_ms < 1500);
	json_t *m = two_site();
	int64_t t0 = mono_ms();
	commit_ok(f->s, m, "wake");
	pthread_join(longw.t, NULL);
	assert_int_equal(longw.rc, 0);
	assert_int_equal(longw.serial, known + 1);
	assert_true(mono_ms() - t0 < 1000);
	json_decref(m);
}

/* Another process moves the serial: this test's binary, run with --commit SPEC. */
static pid_t spawn_committer(const char *spec)
{
	char *argv[] = {"test_store", "--commit", (char *)spec, NULL};
	pid_t pid = -1;
	extern char **environ;
	assert_int_equal(posix_spawn(&pid, "/proc/self/exe", NULL, NULL, argv, environ), 0);
	return pid;
}

static int commit_once(const char *spec)
{
	struct svr_store *s = NULL;
	char err[256];
	json_t *m = two_site();
	int rc = svr_store_open(spec, &s, err, sizeof(err));
	if (rc == 0)
		rc = svr_store_commit(s, m, "other-process", "", "", NULL, NULL, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "--commit %s: %s\n", spec, err);
	svr_store_close(s);
	json_decref(m);
	return rc < 0 ? 1 : 0;
}

/* A waiter with nothing to wait for sleeps between re-reads of the serial (every 250 ms on
 * SQLite, on a notification on PostgreSQL), however long it waits; it still hears a commit from
 * another handle at once, and one from another process. */
static void idle_wait_does_not_spin(void **state)
{
	struct fx *f = *state;
	struct svr_store *b = open_store(f->spec[0]);
	uint64_t reads0 = svr_store_serial_reads(b);
	struct waiter w = {.s = b, .known = serial_of(f->s), .timeout_ms = 1000};
	wait_thread(&w);
	uint64_t reads = svr_store_serial_reads(b) - reads0;
	print_message("an idle 1 s wait read the serial %llu times\n", (unsigned long long)reads);
	assert_int_equal(w.rc, 0);
	assert_int_equal(w.serial, w.known);
	assert_true(w.took_ms >= 1000);
	assert_true(reads <= 10);

	assert_commit_wakes(f->s, b);

	struct waiter other = {.s = b, .known = serial_of(f->s), .timeout_ms = 20000};
	reads0 = svr_store_serial_reads(b);
	assert_int_equal(pthread_create(&other.t, NULL, wait_thread, &other), 0);
	pid_t pid = spawn_committer(f->spec[0]);
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	int64_t exited = mono_ms();
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	pthread_join(other.t, NULL);
	int64_t heard_after = mono_ms() - exited;
	reads = svr_store_serial_reads(b) - reads0;
	print_message("another process's commit: heard %lld ms after it exited, %llu reads in "
		      "%lld ms\n",
		      (long long)heard_after, (unsigned long long)reads, (long long)other.took_ms);
	assert_int_equal(other.rc, 0);
	assert_int_equal(other.serial, other.known + 1);
	assert_true(heard_after < 2000);
	assert_true(reads <= 3 + (uint64_t)other.took_ms / 100);
	svr_store_close(b);
}

/* ---- router commands ---- */

static int64_t id_of(const json_t *cmd)
{
	return json_integer_value(json_object_get(cmd, "id"));
}

/* A command is pending until its router's result, handed out once (while young enough), and
 * only its router ends it, once handed out; one of a kind pending per router; the serial does
 * not move (routers do not fetch their configuration for a command). */
static void commands_relay(void **state)
{
	struct fx *f = *state;
	assert_int_equal(svr_store_router_add(f->s, "r1", "", NULL, 0), 0);
	assert_int_equal(svr_store_router_add(f->s, "r2", "", NULL, 0), 0);
	int64_t serial0 = 0, serial1 = 0;
	assert_int_equal(svr_store_serial(f->s, &serial0, NULL, 0), 0);
	char err[256];
	json_t *args = json_pack("{s{ss}}", "filter", "service", "web"), *empty = json_object();
	json_t *c1 = NULL, *c2 = NULL, *c3 = NULL;
	assert_int_equal(
	    svr_store_command_add(f->s, "r1", "clear-sessions", args, 1000, &c1, err, sizeof(err)),
	    0);
	/* a second clear-sessions while the first is pending: refused */
	assert_int_equal(svr_store_command_add(f->s, "r1", "clear-sessions", empty, 1001, NULL, err,
					       sizeof(err)),
			 SVR_STORE_CONFLICT);
	assert_non_null(strstr(err, "pending already"));
	assert_int_equal(svr_store_command_add(f->s, "r1", "other", empty, 1001, &c2, NULL, 0), 0);
	assert_int_equal(
	    svr_store_command_add(f->s, "r2", "clear-sessions", empty, 1002, &c3, NULL, 0), 0);
	assert_int_equal(
	    svr_store_command_add(f->s, "r9", "clear-sessions", empty, 1, NULL, err, sizeof(err)),
	    SVR_STORE_NOT_FOUND);
	assert_non_null(strstr(err, "r9"));
	assert_int_equal(svr_store_command_add(f->s, "r1", "", empty, 1, NULL, NULL, 0),
			 SVR_STORE_INVALID);
	assert_true(id_of(c1) >= 1);
	assert_int_equal(id_of(c2), id_of(c1) + 1);
	assert_int_equal(id_of(c3), id_of(c2) + 1);
	assert_string_equal(json_string_value(json_object_get(c1, "state")), "pending");
	assert_string_equal(json_string_value(json_object_get(c1, "router")), "r1");
	assert_true(json_equal(json_object_get(c1, "args"), args));
	assert_int_equal(json_integer_value(json_object_get(c1, "created-ms")), 1000);
	assert_true(json_is_null(json_object_get(c1, "sent-ms")));
	assert_true(json_is_null(json_object_get(c1, "done-ms")));
	assert_true(json_is_null(json_object_get(c1, "result")));
	assert_int_equal(svr_store_serial(f->s, &serial1, NULL, 0), 0);
	assert_int_equal(serial1, serial0);

	json_t *waiting = NULL;
	assert_int_equal(svr_store_commands_waiting(f->s, 0, &waiting, NULL, 0), 0);
	assert_int_equal(json_array_size(waiting), 2);
	json_decref(waiting);
	assert_int_equal(svr_store_commands_waiting(f->s, 1001, &waiting, NULL, 0), 0);
	assert_int_equal(json_array_size(waiting), 1); /* r1's are too old for that */
	assert_string_equal(json_string_value(json_array_get(waiting, 0)), "r2");
	json_decref(waiting);

	/* not handed out yet: the router cannot have a result for it */
	json_t *done = json_pack("{sI}", "cleared", (json_int_t)3);
	assert_int_equal(
	    svr_store_command_finish(f->s, id_of(c1), "r1", "done", done, 1500, err, sizeof(err)),
	    SVR_STORE_EXPIRED);
	assert_non_null(strstr(err, "not been handed out"));

	/* only those created after the bound; at most max, oldest first, once */
	json_t *list = NULL;
	assert_int_equal(svr_store_commands_take(f->s, "r1", 2000, 1000, 16, &list, NULL, 0), 0);
	assert_int_equal(json_array_size(list), 1);
	assert_int_equal(id_of(json_array_get(list, 0)), id_of(c2));
	json_decref(list);
	assert_int_equal(svr_store_commands_take(f->s, "r1", 2000, 0, 1, &list, NULL, 0), 0);
	assert_int_equal(json_array_size(list), 1);
	assert_int_equal(id_of(json_array_get(list, 0)), id_of(c1));
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "command")),
			    "clear-sessions");
	assert_true(json_equal(json_object_get(json_array_get(list, 0), "args"), args));
	json_decref(list);
	assert_int_equal(svr_store_commands_take(f->s, "r1", 2001, 0, 16, &list, NULL, 0), 0);
	assert_int_equal(json_array_size(list), 0);
	json_decref(list);
	assert_int_equal(svr_store_commands_waiting(f->s, 0, &waiting, NULL, 0), 0);
	assert_int_equal(json_array_size(waiting), 1);
	assert_string_equal(json_string_value(json_array_get(waiting, 0)), "r2");
	json_decref(waiting);

	/* the result: only from its router, once */
	assert_int_equal(
	    svr_store_command_finish(f->s, id_of(c1), "r2", "done", done, 3000, err, sizeof(err)),
	    SVR_STORE_NOT_FOUND);
	assert_int_equal(
	    svr_store_command_finish(f->s, id_of(c1), "r1", "maybe", done, 3000, NULL, 0),
	    SVR_STORE_INVALID);
	assert_int_equal(
	    svr_store_command_finish(f->s, id_of(c1), "r1", "done", done, 3000, NULL, 0), 0);
	assert_int_equal(
	    svr_store_command_finish(f->s, id_of(c1), "r1", "done", done, 3001, err, sizeof(err)),
	    SVR_STORE_EXPIRED);
	assert_int_equal(svr_store_command_finish(f->s, 999999, "r1", "done", done, 3001, NULL, 0),
			 SVR_STORE_NOT_FOUND);
	json_t *got = NULL;
	assert_int_equal(svr_store_command_get(f->s, id_of(c1), &got, NULL, 0), 0);
	assert_string_equal(json_string_value(json_object_get(got, "state")), "done");
	assert_true(json_equal(json_object_get(got, "result"), done));
	assert_int_equal(json_integer_value(json_object_get(got, "sent-ms")), 2000);
	assert_int_equal(json_integer_value(json_object_get(got, "done-ms")), 3000);
	json_decref(got);
	assert_int_equal(svr_store_command_get(f->s, 999999, &got, NULL, 0), SVR_STORE_NOT_FOUND);

	/* 60 s on: c2 (handed out, no result) and c3 (never fetched) fail; c1 stays done */
	unsigned failed = 0;
	assert_int_equal(svr_store_commands_expire(f->s, 61002, 0, 61100, &failed, NULL, 0), 0);
	assert_int_equal(failed, 2);
	assert_int_equal(svr_store_command_get(f->s, id_of(c3), &got, NULL, 0), 0);
	assert_string_equal(json_string_value(json_object_get(got, "state")), "failed");
	assert_non_null(
	    strstr(json_string_value(json_object_get(json_object_get(got, "result"), "error")),
		   "router did not answer"));
	assert_int_equal(json_integer_value(json_object_get(got, "done-ms")), 61100);
	json_decref(got);
	assert_int_equal(
	    svr_store_command_finish(f->s, id_of(c2), "r1", "done", done, 61200, NULL, 0),
	    SVR_STORE_EXPIRED);
	assert_int_equal(svr_store_commands_waiting(f->s, 0, &waiting, NULL, 0), 0);
	assert_int_equal(json_array_size(waiting), 0);
	json_decref(waiting);
	/* a day on, ended commands are forgotten; ids are not given again */
	assert_int_equal(svr_store_commands_expire(f->s, 0, 70000, 70000, &failed, NULL, 0), 0);
	assert_int_equal(failed, 0);
	assert_int_equal(svr_store_command_get(f->s, id_of(c1), &got, NULL, 0),
			 SVR_STORE_NOT_FOUND);
	json_t *c4 = NULL;
	assert_int_equal(
	    svr_store_command_add(f->s, "r2", "clear-sessions", empty, 80000, &c4, NULL, 0), 0);
	assert_int_equal(id_of(c4), id_of(c3) + 1);
	/* a router's commands go with it */
	assert_int_equal(svr_store_router_delete(f->s, "r2", NULL, 0), 0);
	assert_int_equal(svr_store_command_get(f->s, id_of(c4), &got, NULL, 0),
			 SVR_STORE_NOT_FOUND);

	json_decref(c1);
	json_decref(c2);
	json_decref(c3);
	json_decref(c4);
	json_decref(done);
	json_decref(args);
	json_decref(empty);
}

#define ADDS 20 /* commands each conductor adds */

struct adder {
	struct svr_store *s;
	int which;
	int64_t ids[ADDS];
	int clear_rc; /* its clear-sessions: 0, or refused as one is pending */
	pthread_barrier_t *start;
	json_t *taken; /* the ids its takes got, in order */
	size_t most;   /* the most one take got */
	int take_rc;
	pthread_t t;
};

/* Distinct commands (one of a kind pending per router), and a clear-sessions each: only one of
 * the two may be pending. No cmocka asserts in threads: results go to the struct. */
static void *add_thread(void *arg)
{
	struct adder *a = arg;
	json_t *empty = json_object();
	pthread_barrier_wait(a->start);
	char err[256];
	for (size_t i = 0; i < ADDS; i++) {
		json_t *c = NULL;
		char name[32];
		snprintf(name, sizeof(name), "test-%d-%zu", a->which, i);
		if (svr_store_command_add(a->s, "r1", name, empty, 1, &c, err, sizeof(err)) < 0)
			fprintf(stderr, "concurrent command: %s\n", err);
		a->ids[i] = id_of(c);
		json_decref(c);
	}
	a->clear_rc =
	    svr_store_command_add(a->s, "r1", "clear-sessions", empty, 1, NULL, err, sizeof(err));
	json_decref(empty);
	return NULL;
}

/* Takes (at most 16 at a time) until nothing is left: an empty take may only mean the other
 * took those it looked at (PostgreSQL), so the end is when none is waiting. */
static void *take_thread(void *arg)
{
	struct adder *a = arg;
	a->taken = json_array();
	pthread_barrier_wait(a->start);
	for (;;) {
		json_t *l = NULL, *w = NULL;
		a->take_rc = svr_store_commands_take(a->s, "r1", 5, 0, 16, &l, NULL, 0);
		if (a->take_rc == 0 && json_array_size(l) == 0)
			a->take_rc = svr_store_commands_waiting(a->s, 0, &w, NULL, 0);
		bool over = a->take_rc < 0 || (w && json_array_size(w) == 0);
		json_decref(w);
		if (over) {
			json_decref(l);
			return NULL;
		}
		size_t i;
		json_t *c;
		if (json_array_size(l) > a->most)
			a->most = json_array_size(l);
		json_array_foreach (l, i, c)
			json_array_append_new(a->taken, json_integer(id_of(c)));
		json_decref(l);
	}
}

/* Two conductors on one store add commands at once: every id distinct, one clear-sessions
 * pending; then both take at once: each command handed out once, none lost. */
static void two_conductors_share_commands(void **state)
{
	struct fx *f = *state;
	assert_int_equal(svr_store_router_add(f->s, "r1", "", NULL, 0), 0);
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, 2);
	struct adder a[2] = {{.s = f->s, .which = 0, .start = &start},
			     {.s = open_store(f->spec[0]), .which = 1, .start = &start}};
	for (int i = 0; i < 2; i++)
		pthread_create(&a[i].t, NULL, add_thread, &a[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(a[i].t, NULL);
	int64_t seen[2 * ADDS];
	for (int i = 0; i < 2 * ADDS; i++) {
		seen[i] = a[i / ADDS].ids[i % ADDS];
		assert_true(seen[i] > 0);
		for (int j = 0; j < i; j++)
			assert_true(seen[j] != seen[i]);
	}
	assert_true((a[0].clear_rc == 0 && a[1].clear_rc == SVR_STORE_CONFLICT) ||
		    (a[1].clear_rc == 0 && a[0].clear_rc == SVR_STORE_CONFLICT));

	for (int i = 0; i < 2; i++)
		pthread_create(&a[i].t, NULL, take_thread, &a[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(a[i].t, NULL);
	pthread_barrier_destroy(&start);
	assert_int_equal(a[0].take_rc, 0);
	assert_int_equal(a[1].take_rc, 0);
	size_t n0 = json_array_size(a[0].taken), n1 = json_array_size(a[1].taken);
	print_message("takes: %zu and %zu commands\n", n0, n1);
	assert_int_equal(n0 + n1, 2 * ADDS + 1);
	assert_true(a[0].most <= 16 && a[1].most <= 16);
	assert_int_equal(a[0].most > a[1].most ? a[0].most : a[1].most, 16);
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < json_array_size(a[k].taken); i++) {
			json_int_t id = json_integer_value(json_array_get(a[k].taken, i));
			for (size_t j = 0; j < json_array_size(a[1 - k].taken); j++)
				assert_true(id !=
					    json_integer_value(json_array_get(a[1 - k].taken, j)));
		}
	json_decref(a[0].taken);
	json_decref(a[1].taken);
	svr_store_close(a[1].s);
}

/* Two handles on one store, as two conductors on one database. */
static void two_conductors_see_each_other(void **state)
{
	struct fx *f = *state;
	struct svr_store *b = open_store(f->spec[0]);
	assert_commit_wakes(f->s, b);
	assert_commit_wakes(b, f->s);
	svr_store_close(b);
}

struct committer {
	struct svr_store *s;
	int64_t versions[6];
	pthread_t t;
};

static void *commit_thread(void *arg)
{
	struct committer *c = arg;
	json_t *m = two_site();
	for (size_t i = 0; i < 6; i++) {
		struct svr_store_commit info = {0};
		char err[256];
		if (svr_store_commit(c->s, m, "bot", "", "", &info, NULL, err, sizeof(err)) < 0)
			fprintf(stderr, "concurrent commit: %s\n", err);
		c->versions[i] = info.version;
	}
	json_decref(m);
	return NULL;
}

static void concurrent_commits_get_distinct_versions(void **state)
{
	struct fx *f = *state;
	struct svr_store *b = open_store(f->spec[0]);
	struct committer c[2] = {{.s = f->s}, {.s = b}};
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&c[i].t, NULL, commit_thread, &c[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(c[i].t, NULL);
	bool seen[13] = {false};
	for (int i = 0; i < 2; i++) {
		for (int k = 0; k < 6; k++) {
			int64_t v = c[i].versions[k];
			assert_true(v >= 1 && v <= 12);
			assert_false(seen[v]);
			seen[v] = true;
			if (k)
				assert_true(v > c[i].versions[k - 1]);
		}
	}
	assert_int_equal(history_len(b), 12);
	assert_int_equal(serial_of(b), 12);
	svr_store_close(b);
}

/* ---- proposals (change control) ---- */

/* A proposal of model (NULL: a rollback to source) by planner "pat". */
static struct svr_store_proposal propose_ok(struct svr_store *s, const json_t *m, int64_t source,
					    int64_t apply_at_ms)
{
	struct svr_store_proposal p = {.source_version = source, .apply_at_ms = apply_at_ms};
	snprintf(p.kind, sizeof(p.kind), "%s", m ? "commit" : "rollback");
	snprintf(p.proposer, sizeof(p.proposer), "pat");
	snprintf(p.message, sizeof(p.message), "change %lld", (long long)source);
	/* One open proposal per ticket: the others' tickets say what they are. */
	if (source || apply_at_ms)
		snprintf(p.ticket, sizeof(p.ticket), "CHG-7-%lld-%lld", (long long)source,
			 (long long)apply_at_ms);
	else
		snprintf(p.ticket, sizeof(p.ticket), "CHG-7");
	char err[256];
	int rc = svr_store_proposal_add(s, m, &p, NULL, err, sizeof(err));
	if (rc != 0)
		fail_msg("propose: %d %s", rc, err);
	return p;
}

static void proposals_add_get_list(void **state)
{
	struct fx *f = *state;
	json_t *m1 = two_site(), *m2 = two_site_v2(), *got = NULL;
	struct svr_store_proposal p1 = propose_ok(f->s, m1, 0, 0), q;
	assert_int_equal(p1.id, 1);
	assert_string_equal(p1.state, "proposed");
	assert_string_equal(p1.kind, "commit");
	assert_string_equal(p1.proposer, "pat");
	assert_string_equal(p1.ticket, "CHG-7");
	assert_int_equal(p1.base_version, 0);
	assert_true(p1.created_ms > 0);
	assert_int_equal(p1.version, 0);
	assert_string_equal(p1.approver, "");
	assert_int_equal(serial_of(f->s), 0); /* routers need not hear of a proposal */
	assert_int_equal(svr_store_proposal_get(f->s, 1, &q, &got, NULL, 0), 0);
	assert_true(json_equal(got, m1));
	json_decref(got);
	commit_ok(f->s, m1, "v1");
	struct svr_store_proposal p2 = propose_ok(f->s, m2, 0, 1000);
	assert_int_equal(p2.id, 2);
	assert_int_equal(p2.base_version, 1);
	assert_int_equal(p2.apply_at_ms, 1000);
	struct svr_store_proposal p3 = propose_ok(f->s, NULL, 1, 0);
	assert_string_equal(p3.kind, "rollback");
	assert_int_equal(p3.source_version, 1);
	assert_int_equal(svr_store_proposal_get(f->s, 3, &q, &got, NULL, 0), 0);
	assert_true(json_equal(got, m1)); /* a rollback's model is fixed when proposed */
	json_decref(got);

	/* Refused: an invalid model (the errors say where), a rollback to nothing. */
	struct svr_store_proposal bad = {.kind = "commit", .proposer = "pat", .message = "x"};
	json_t *invalid = json_pack("{si s{}}", "model-version", 1, "authority");
	struct svr_model_errors e;
	svr_model_errors_init(&e);
	assert_int_equal(svr_store_proposal_add(f->s, invalid, &bad, &e, NULL, 0),
			 SVR_STORE_INVALID);
	assert_true(e.count > 0);
	svr_model_errors_free(&e);
	json_decref(invalid);
	struct svr_store_proposal none = {
	    .kind = "rollback", .source_version = 9, .proposer = "pat", .message = "x"};
	assert_int_equal(svr_store_proposal_add(f->s, NULL, &none, NULL, NULL, 0),
			 SVR_STORE_NOT_FOUND);
	assert_int_equal(svr_store_proposal_get(f->s, 4, &q, NULL, NULL, 0), SVR_STORE_NOT_FOUND);
	/* A ticket with an open proposal: refused, so an ITSM's ticket names one proposal. */
	struct svr_store_proposal same = {
	    .kind = "commit", .proposer = "pat", .message = "again", .ticket = "CHG-7"};
	char err[256];
	assert_int_equal(svr_store_proposal_add(f->s, m2, &same, NULL, err, sizeof(err)),
			 SVR_STORE_EXISTS);
	assert_non_null(strstr(err, "open proposal (1)"));
	/* The model's hash, as a version's: proposal 3 restores version 1. */
	struct svr_store_commit v1;
	assert_int_equal(svr_store_version(f->s, 1, &v1, NULL, NULL, 0), 0);
	assert_int_equal(svr_store_proposal_get(f->s, 3, &q, NULL, NULL, 0), 0);
	assert_string_equal(q.sha256, v1.sha256);

	/* Newest first; by state; a page below an id. */
	struct svr_store_proposal *list = NULL;
	size_t n = 0;
	assert_int_equal(svr_store_proposals(f->s, NULL, 0, 10, &list, &n, NULL, 0), 0);
	assert_int_equal(n, 3);
	assert_int_equal(list[0].id, 3);
	assert_string_equal(list[0].sha256, v1.sha256);
	assert_int_equal(list[2].id, 1);
	free(list);
	assert_int_equal(svr_store_proposals(f->s, NULL, 3, 1, &list, &n, NULL, 0), 0);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].id, 2);
	free(list);
	assert_int_equal(svr_store_proposals(f->s, "rejected", 0, 10, &list, &n, NULL, 0), 0);
	assert_int_equal(n, 0);
	assert_null(list);
	json_decref(m1);
	json_decref(m2);
}

static void proposals_decide(void **state)
{
	struct fx *f = *state;
	json_t *m1 = two_site();
	propose_ok(f->s, m1, 0, 0);
	struct svr_store_proposal p;
	assert_int_equal(svr_store_proposal_decide(f->s, 1, "proposed", "rejected", "ann", "no", 42,
						   &p, NULL, 0),
			 0);
	assert_string_equal(p.state, "rejected");
	assert_string_equal(p.approver, "ann");
	assert_string_equal(p.comment, "no");
	assert_int_equal(p.decided_ms, 42);
	char err[256];
	assert_int_equal(svr_store_proposal_decide(f->s, 1, "proposed", "approved", "bob", "", 43,
						   &p, err, sizeof(err)),
			 SVR_STORE_CONFLICT);
	assert_string_equal(p.state, "rejected"); /* as it is: nothing changed */
	assert_non_null(strstr(err, "rejected"));
	assert_int_equal(
	    svr_store_proposal_decide(f->s, 7, "proposed", "approved", "bob", "", 43, &p, NULL, 0),
	    SVR_STORE_NOT_FOUND);
	/* A scheduled proposal that missed its window: failed once, by whoever marks it. */
	propose_ok(f->s, m1, 0, 5);
	assert_int_equal(
	    svr_store_proposal_decide(f->s, 2, "proposed", "approved", "bob", "", 3, &p, NULL, 0),
	    0);
	bool marked = false;
	assert_int_equal(
	    svr_store_proposal_fail(f->s, 2, "approved", "missed its window", &marked, &p, NULL, 0),
	    0);
	assert_true(marked);
	assert_string_equal(p.state, "failed");
	assert_string_equal(p.error, "missed its window");
	assert_int_equal(
	    svr_store_proposal_fail(f->s, 2, "approved", "missed its window", &marked, &p, NULL, 0),
	    0);
	assert_false(marked); /* the second conductor does not report it again */
	json_decref(m1);
}

static void proposals_commit(void **state)
{
	struct fx *f = *state;
	json_t *m1 = two_site(), *m2 = two_site_v2(), *running = NULL;
	struct svr_store_proposal p;
	struct svr_store_commit c;
	propose_ok(f->s, m1, 0, 0);
	assert_int_equal(svr_store_proposal_commit(f->s, 1, "proposed", "ann", "ok", 50, &p, &c,
						   NULL, NULL, NULL, 0),
			 0);
	assert_int_equal(c.version, 1);
	assert_string_equal(c.author, "pat"); /* the proposer */
	assert_string_equal(c.ticket, "CHG-7");
	assert_string_equal(c.kind, "commit");
	assert_int_equal(c.previous_version, 0);
	assert_string_equal(p.state, "committed");
	assert_int_equal(p.version, 1);
	assert_int_equal(p.serial, serial_of(f->s));
	assert_string_equal(p.approver, "ann");
	assert_string_equal(p.comment, "ok");
	assert_int_equal(p.decided_ms, 50);
	assert_int_equal(svr_store_running(f->s, &c, &running, NULL, 0), 0);
	assert_true(json_equal(running, m1));
	json_decref(running);
	/* Not in the state asked for: a conflict, nothing committed. */
	assert_int_equal(svr_store_proposal_commit(f->s, 1, "proposed", "ann", "", 50, &p, &c, NULL,
						   NULL, NULL, 0),
			 SVR_STORE_CONFLICT);
	assert_int_equal(history_len(f->s), 1);

	/* Two proposals on version 1: the second to be approved finds its base moved. */
	propose_ok(f->s, m2, 0, 0);
	propose_ok(f->s, NULL, 1, 10);
	assert_int_equal(svr_store_proposal_commit(f->s, 2, "proposed", "bob", "", 60, &p, &c, NULL,
						   NULL, NULL, 0),
			 0);
	assert_int_equal(c.previous_version, 1);
	char err[256];
	assert_int_equal(svr_store_proposal_commit(f->s, 3, "proposed", "ann", "", 70, &p, &c, NULL,
						   NULL, err, sizeof(err)),
			 SVR_STORE_CONFLICT);
	assert_non_null(strstr(err, "propose it again"));
	assert_int_equal(svr_store_proposal_get(f->s, 3, &p, NULL, NULL, 0), 0);
	assert_string_equal(p.state, "proposed"); /* an approval refused changes nothing */
	/* Scheduled (approved), its base moved: failed, with the reason. */
	assert_int_equal(
	    svr_store_proposal_decide(f->s, 3, "proposed", "approved", "ann", "", 70, &p, NULL, 0),
	    0);
	int64_t due[4];
	size_t n = 0;
	assert_int_equal(svr_store_proposals_due(f->s, 9, due, 4, &n, NULL, 0), 0);
	assert_int_equal(n, 0); /* apply_at_ms 10 */
	assert_int_equal(svr_store_proposals_due(f->s, 10, due, 4, &n, NULL, 0), 0);
	assert_int_equal(n, 1);
	assert_int_equal(due[0], 3);
	bool failed = false;
	assert_int_equal(svr_store_proposal_commit(f->s, 3, "approved", NULL, NULL, 80, &p, &c,
						   NULL, &failed, NULL, 0),
			 SVR_STORE_CONFLICT);
	assert_true(failed); /* this call marked it: the one to report it */
	assert_string_equal(p.state, "failed");
	assert_non_null(strstr(p.error, "propose it again"));
	assert_int_equal(svr_store_proposals_due(f->s, 100, due, 4, &n, NULL, 0), 0);
	assert_int_equal(n, 0);
	assert_int_equal(history_len(f->s), 2);

	/* A rollback proposal commits as a rollback; history's approvers. */
	propose_ok(f->s, NULL, 1, 0);
	assert_int_equal(svr_store_proposal_commit(f->s, 4, "proposed", "cy", "", 90, &p, &c, NULL,
						   NULL, NULL, 0),
			 0);
	assert_string_equal(c.kind, "rollback");
	assert_int_equal(c.source_version, 1);
	assert_int_equal(c.version, 3);
	commit_ok(f->s, m2, "direct");
	json_t *map = NULL;
	assert_int_equal(svr_store_approvers(f->s, 1, 4, &map, NULL, 0), 0);
	assert_string_equal(json_string_value(json_object_get(map, "1")), "ann");
	assert_string_equal(json_string_value(json_object_get(map, "2")), "bob");
	assert_string_equal(json_string_value(json_object_get(map, "3")), "cy");
	assert_null(json_object_get(map, "4")); /* a direct commit */
	json_decref(map);
	json_decref(m1);
	json_decref(m2);
}

struct claimer {
	struct svr_store *s;
	pthread_barrier_t *start;
	pthread_t t;
	int rc;
};

static void *claim_thread(void *arg)
{
	struct claimer *c = arg;
	struct svr_store_proposal p;
	struct svr_store_commit info;
	/* Both threads start their commit together, so the claims really race. */
	pthread_barrier_wait(c->start);
	c->rc = svr_store_proposal_commit(c->s, 1, "approved", NULL, NULL, 0, &p, &info, NULL, NULL,
					  NULL, 0);
	return NULL;
}

/* Two conductors on one store tick at once: the scheduled proposal is committed once. */
static void scheduled_proposal_committed_once(void **state)
{
	struct fx *f = *state;
	json_t *m1 = two_site();
	struct svr_store *b = open_store(f->spec[0]);
	propose_ok(f->s, m1, 0, 1);
	struct svr_store_proposal p;
	assert_int_equal(
	    svr_store_proposal_decide(f->s, 1, "proposed", "approved", "ann", "", 1, &p, NULL, 0),
	    0);
	/* SQLite: the loser waits for the write lock (BEGIN IMMEDIATE, busy_timeout 5 s), then
	 * finds the proposal claimed; PostgreSQL: it waits on the head row's lock. Neither fails.
	 */
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, 2);
	struct claimer c[2] = {{.s = f->s, .start = &start}, {.s = b, .start = &start}};
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&c[i].t, NULL, claim_thread, &c[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(c[i].t, NULL);
	pthread_barrier_destroy(&start);
	assert_true((c[0].rc == 0 && c[1].rc == SVR_STORE_CONFLICT) ||
		    (c[1].rc == 0 && c[0].rc == SVR_STORE_CONFLICT));
	assert_int_equal(history_len(b), 1);
	assert_int_equal(svr_store_proposal_get(b, 1, &p, NULL, NULL, 0), 0);
	assert_string_equal(p.state, "committed");
	assert_int_equal(p.version, 1);
	svr_store_close(b);
	json_decref(m1);
}

/* PostgreSQL: one of two conductors leads until it closes; SQLite: the one conductor leads. */
static void one_leader(void **state)
{
	struct fx *f = *state;
	struct svr_store *b = open_store(f->spec[0]);
	assert_int_equal(svr_store_try_leader(f->s, NULL, 0), 1);
	assert_int_equal(svr_store_try_leader(f->s, NULL, 0), 1); /* still */
	if (!is_pg()) {
		assert_int_equal(svr_store_try_leader(b, NULL, 0), 1);
		svr_store_close(b);
		return;
	}
	assert_int_equal(svr_store_try_leader(b, NULL, 0), 0);
	assert_int_equal(svr_store_try_leader(b, NULL, 0), 0);
	svr_store_close(f->s);
	f->s = NULL;
	/* The server drops the lock when the first one's session ends: wait for that. */
	int64_t deadline = mono_ms() + 10000;
	int rc;
	while ((rc = svr_store_try_leader(b, NULL, 0)) == 0 && mono_ms() < deadline) {
		struct timespec ts = {0, 10 * 1000000};
		nanosleep(&ts, NULL);
	}
	assert_int_equal(rc, 1);
	f->s = b;
}

/* PostgreSQL: the server ends the store's sessions (as a restart would). The call that finds its
 * connection gone fails and says so; the next one works on a new connection; waiting for a
 * change and the leader lock work again too. */
static void lost_connection_is_reset(void **state)
{
	struct fx *f = *state;
	if (!is_pg())
		return; /* SQLite has no connection to lose */
	assert_int_equal(svr_store_try_leader(f->s, NULL, 0), 1);
	const char *conninfo = getenv("SVR_STORE_SPEC") + 11;
	PGconn *admin = PQconnectdb(conninfo);
	assert_int_equal(PQstatus(admin), CONNECTION_OK);
	const char *db = f->spec[0]; /* the test's own database: the last dbname= */
	for (const char *q; (q = strstr(db, "dbname="));)
		db = q + 7;
	const char *p[] = {db};
	PGresult *r = PQexecParams(admin,
				   "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
				   "WHERE datname = $1",
				   1, NULL, p, NULL, NULL, 0);
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	assert_true(PQntuples(r) >= 3); /* statements, LISTEN, leader */
	PQclear(r);
	/* Wait until the server has ended them. */
	int64_t deadline = mono_ms() + 10000;
	int left = 1;
	while (left && mono_ms() < deadline) {
		r = PQexecParams(admin, "SELECT count(*) FROM pg_stat_activity WHERE datname = $1",
				 1, NULL, p, NULL, NULL, 0);
		left = atoi(PQgetvalue(r, 0, 0));
		PQclear(r);
		struct timespec ts = {0, 10 * 1000000};
		nanosleep(&ts, NULL);
	}
	PQfinish(admin);
	assert_int_equal(left, 0);

	char err[256];
	int64_t serial;
	assert_int_equal(svr_store_serial(f->s, &serial, err, sizeof(err)), SVR_STORE_ERR);
	assert_non_null(strstr(err, "re-established"));
	assert_int_equal(svr_store_serial(f->s, &serial, err, sizeof(err)), 0);
	/* The LISTEN connection comes back too: a commit from another handle still wakes it. */
	struct svr_store *b = open_store(f->spec[0]);
	assert_commit_wakes(b, f->s);
	svr_store_close(b);
	/* The lock went with the session; the first try finds the connection lost, the next
	 * takes the lock again. */
	assert_int_equal(svr_store_try_leader(f->s, err, sizeof(err)), SVR_STORE_ERR);
	assert_non_null(strstr(err, "re-established"));
	assert_int_equal(svr_store_try_leader(f->s, NULL, 0), 1);
}

/* SQLite: the file holds keys: 0600, whatever the umask, and made so again if it was not. */
static void sqlite_file_is_private(void **state)
{
	struct fx *f = *state;
	if (is_pg())
		return;
	char path[128];
	snprintf(path, sizeof(path), "%s/c0.db", f->dir);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	svr_store_close(f->s);
	assert_int_equal(chmod(path, 0644), 0);
	mode_t old = umask(0);
	f->s = open_store(f->spec[0]);
	umask(old);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* The write-ahead log holds the same data: SQLite gives it the file's mode. */
	strcat(path, "-wal");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

/* ---- audit log ---- */

static json_t *audit_page(struct svr_store *s, int64_t before, unsigned limit, const char *who)
{
	json_t *list = NULL;
	char err[256];
	if (svr_store_audit_list(s, before, limit, who, &list, err, sizeof(err)) < 0)
		fail_msg("audit list: %s", err);
	return list;
}

static int64_t audit_id(const json_t *list, size_t i)
{
	return json_integer_value(json_object_get(json_array_get(list, i), "id"));
}

static int64_t audit_add(struct svr_store *s, const char *who, unsigned status)
{
	struct svr_store_audit e = {.at_ms = 1796464800000,
				    .who = who,
				    .role = *who ? "planner" : "",
				    .peer = "198.18.0.7",
				    .method = "POST",
				    .path = "/api/v1/commit",
				    .status = status,
				    .action = "commit",
				    .detail = "committed version 7 (serial 12)"};
	int64_t id = 0;
	char err[256];
	if (svr_store_audit_add(s, &e, &id, err, sizeof(err)) < 0)
		fail_msg("audit add: %s", err);
	return id;
}

/* Ids 1, 2, ... in order; newest first, by pages and by operator; every field kept; a text
 * too long cut, never inside a UTF-8 character; pruned to the newest N, ids going on. */
static void audit_add_list_prune(void **state)
{
	struct fx *f = *state;
	json_t *list = audit_page(f->s, 0, 10, NULL);
	assert_int_equal(json_array_size(list), 0);
	json_decref(list);
	const char *who[] = {"alice", "", "bob", "alice", "alice"};
	for (int64_t i = 0; i < 5; i++)
		assert_int_equal(audit_add(f->s, who[i], i == 1 ? 401 : 201), i + 1);

	list = audit_page(f->s, 0, 10, NULL);
	assert_int_equal(json_array_size(list), 5);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(audit_id(list, i), 5 - (int64_t)i);
	json_t *e = json_array_get(list, 3); /* id 2: the unknown token's */
	assert_string_equal(json_string_value(json_object_get(e, "who")), "");
	assert_string_equal(json_string_value(json_object_get(e, "role")), "");
	assert_int_equal(json_integer_value(json_object_get(e, "status")), 401);
	e = json_array_get(list, 0);
	assert_int_equal(json_integer_value(json_object_get(e, "at-ms")), 1796464800000);
	assert_string_equal(json_string_value(json_object_get(e, "who")), "alice");
	assert_string_equal(json_string_value(json_object_get(e, "role")), "planner");
	assert_string_equal(json_string_value(json_object_get(e, "from")), "198.18.0.7");
	assert_string_equal(json_string_value(json_object_get(e, "method")), "POST");
	assert_string_equal(json_string_value(json_object_get(e, "path")), "/api/v1/commit");
	assert_string_equal(json_string_value(json_object_get(e, "action")), "commit");
	assert_string_equal(json_string_value(json_object_get(e, "detail")),
			    "committed version 7 (serial 12)");
	json_decref(list);

	list = audit_page(f->s, 4, 2, NULL); /* below 4, two */
	assert_int_equal(json_array_size(list), 2);
	assert_int_equal(audit_id(list, 0), 3);
	assert_int_equal(audit_id(list, 1), 2);
	json_decref(list);
	list = audit_page(f->s, 0, 10, "alice");
	assert_int_equal(json_array_size(list), 3);
	assert_int_equal(audit_id(list, 0), 5);
	assert_int_equal(audit_id(list, 2), 1);
	json_decref(list);
	list = audit_page(f->s, 5, 1, "alice");
	assert_int_equal(json_array_size(list), 1);
	assert_int_equal(audit_id(list, 0), 4);
	json_decref(list);
	list = audit_page(f->s, 0, 10, ""); /* the refused attempts of unknown tokens */
	assert_int_equal(json_array_size(list), 1);
	assert_int_equal(audit_id(list, 0), 2);
	json_decref(list);

	/* A detail of 2000 bytes whose 1023rd byte starts a two-byte character: cut before it. */
	char detail[2001];
	memset(detail, 'x', sizeof(detail) - 1);
	detail[2000] = '\0';
	memcpy(detail + 1022, "\xc3\xa9", 2);
	struct svr_store_audit big = {.at_ms = 1, .detail = detail, .method = "DELETE"};
	int64_t id = 0;
	assert_int_equal(svr_store_audit_add(f->s, &big, &id, NULL, 0), 0);
	assert_int_equal(id, 6);
	list = audit_page(f->s, 0, 1, NULL);
	e = json_array_get(list, 0);
	assert_int_equal(json_string_length(json_object_get(e, "detail")), 1022);
	assert_string_equal(json_string_value(json_object_get(e, "who")), "");
	json_decref(list);

	int64_t deleted = -1;
	assert_int_equal(svr_store_audit_prune(f->s, 2, &deleted, NULL, 0), 0);
	assert_int_equal(deleted, 4);
	assert_int_equal(svr_store_audit_prune(f->s, 2, &deleted, NULL, 0), 0);
	assert_int_equal(deleted, 0);
	list = audit_page(f->s, 0, 10, NULL);
	assert_int_equal(json_array_size(list), 2);
	assert_int_equal(audit_id(list, 0), 6);
	assert_int_equal(audit_id(list, 1), 5);
	json_decref(list);
	assert_int_equal(audit_add(f->s, "bob", 204), 7);
}

/* One entry of the example, without cmocka (a writer thread must not call fail_msg): the
 * store's answer, its id in *id. */
static int audit_try(struct svr_store *s, int64_t *id)
{
	struct svr_store_audit e = {.at_ms = 1796464800000,
				    .who = "bot",
				    .peer = "198.18.0.7",
				    .method = "POST",
				    .path = "/api/v1/commit",
				    .status = 201,
				    .action = "commit"};
	*id = 0;
	return svr_store_audit_add(s, &e, id, NULL, 0);
}

struct auditor {
	struct svr_store *s;
	int rc[20];
	int64_t ids[20];
	pthread_t t;
};

static void *audit_thread(void *arg)
{
	struct auditor *a = arg;
	for (size_t i = 0; i < 20; i++)
		a->rc[i] = audit_try(a->s, &a->ids[i]);
	return NULL;
}

/* Two conductors writing at once: every entry gets its own id, each writer's growing. (The
 * threads only collect; the main thread asserts.) */
static void audit_concurrent_adds_get_distinct_ids(void **state)
{
	struct fx *f = *state;
	struct svr_store *b = open_store(f->spec[0]);
	struct auditor a[2] = {{.s = f->s}, {.s = b}};
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&a[i].t, NULL, audit_thread, &a[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(a[i].t, NULL);
	/* Before any assertion: a failed one leaves the test at once, and b would leak. */
	svr_store_close(b);
	bool seen[41] = {false};
	for (int i = 0; i < 2; i++)
		for (int k = 0; k < 20; k++) {
			int64_t id = a[i].ids[k];
			assert_int_equal(a[i].rc[k], 0);
			assert_true(id >= 1 && id <= 40);
			assert_false(seen[id]);
			seen[id] = true;
			if (k)
				assert_true(id > a[i].ids[k - 1]);
		}
}

static void pg_ok(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	PQclear(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
}

static void *audit_one(void *arg)
{
	struct auditor *a = arg;
	a->rc[0] = audit_try(a->s, &a->ids[0]);
	return NULL;
}

/* PostgreSQL: the id conflict made certain. Another conductor's transaction holds id 1,
 * uncommitted; this store's insert also takes id 1 (it cannot see the other's), waits for it on
 * the unique key, gets the conflict once it commits, and retries with id 2. */
static void audit_id_conflict_retried(void **state)
{
	struct fx *f = *state;
	if (!is_pg())
		skip(); /* SQLite: one writer at a time, no conflict possible */
	PGconn *other = PQconnectdb(f->spec[0] + 11), *watch = PQconnectdb(f->spec[0] + 11);
	assert_int_equal(PQstatus(other), CONNECTION_OK);
	assert_int_equal(PQstatus(watch), CONNECTION_OK);
	pg_ok(other, "BEGIN");
	pg_ok(other, "INSERT INTO audit (id, at_ms, who, role, peer, method, path, status, action, "
		     "detail) VALUES (1, 0, 'other', '', '', 'POST', '/', 201, 'x', '')");
	struct auditor a = {.s = f->s};
	assert_int_equal(pthread_create(&a.t, NULL, audit_one, &a), 0);
	/* Until the insert waits for the other transaction's lock. */
	int64_t deadline = mono_ms() + 30000;
	bool waiting = false;
	while (!waiting && mono_ms() < deadline) {
		PGresult *r = PQexec(watch, "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = "
					    "current_database() AND wait_event_type = 'Lock'");
		waiting = PQresultStatus(r) == PGRES_TUPLES_OK && atoi(PQgetvalue(r, 0, 0)) > 0;
		PQclear(r);
	}
	pg_ok(other, "COMMIT");
	pthread_join(a.t, NULL);
	PQfinish(other);
	PQfinish(watch);
	assert_true(waiting);
	assert_int_equal(a.rc[0], 0);
	assert_int_equal(a.ids[0], 2);
}

/* A store made before the audit log (schema version 1 without the table) gets it at the next
 * open, its schema version unchanged. */
static void audit_table_added_to_an_older_store(void **state)
{
	struct fx *f = *state;
	audit_add(f->s, "alice", 201);
	svr_store_close(f->s);
	f->s = NULL;
	if (is_pg()) {
		PGconn *c = PQconnectdb(f->spec[0] + 11);
		assert_int_equal(PQstatus(c), CONNECTION_OK);
		PGresult *r = PQexec(c, "DROP TABLE audit");
		assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
		PQclear(r);
		PQfinish(c);
	} else {
		sqlite3 *db = NULL;
		assert_int_equal(sqlite3_open(f->spec[0] + 7, &db), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, "DROP TABLE audit", NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(db);
	}
	f->s = open_store(f->spec[0]);
	char *v = NULL;
	assert_int_equal(svr_store_meta_get(f->s, "schema-version", &v, NULL, 0), 0);
	assert_string_equal(v, "1");
	free(v);
	assert_int_equal(audit_add(f->s, "alice", 201), 1);
}

static void bad_spec_refused(void **state)
{
	(void)state;
	struct svr_store *s = NULL;
	char err[256];
	assert_int_equal(svr_store_open("mysql:x", &s, err, sizeof(err)), SVR_STORE_ERR);
	assert_non_null(strstr(err, "sqlite:PATH"));
	assert_int_equal(svr_store_open("sqlite:/nonexistent-dir/x.db", &s, err, sizeof(err)),
			 SVR_STORE_ERR);
	assert_null(s);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--commit") == 0)
		return commit_once(argv[2]);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(commit_history_running, setup, teardown),
	    cmocka_unit_test_setup_teardown(invalid_commit_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(uncompilable_commit_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(candidate_get_put, setup, teardown),
	    cmocka_unit_test_setup_teardown(diff_by_path, setup, teardown),
	    cmocka_unit_test_setup_teardown(rollback_is_a_new_commit, setup, teardown),
	    cmocka_unit_test_setup_teardown(export_import_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(routers_inventory, setup, teardown),
	    cmocka_unit_test_setup_teardown(tokens_and_credentials, setup, teardown),
	    cmocka_unit_test_setup_teardown(token_used_once_under_race, setup, teardown),
	    cmocka_unit_test_setup_teardown(keys_add_retire, setup, teardown),
	    cmocka_unit_test_setup_teardown(serial_moves_on_changes_only, setup, teardown),
	    cmocka_unit_test_setup_teardown(meta_keeps_the_first_value, setup, teardown),
	    cmocka_unit_test_setup_teardown(wait_change_wakes_and_times_out, setup, teardown),
	    cmocka_unit_test_setup_teardown(two_waiters_on_one_store, setup, teardown),
	    cmocka_unit_test_setup_teardown(two_conductors_see_each_other, setup, teardown),
	    cmocka_unit_test_setup_teardown(commands_relay, setup, teardown),
	    cmocka_unit_test_setup_teardown(two_conductors_share_commands, setup, teardown),
	    cmocka_unit_test_setup_teardown(idle_wait_does_not_spin, setup, teardown),
	    cmocka_unit_test_setup_teardown(concurrent_commits_get_distinct_versions, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(proposals_add_get_list, setup, teardown),
	    cmocka_unit_test_setup_teardown(proposals_decide, setup, teardown),
	    cmocka_unit_test_setup_teardown(proposals_commit, setup, teardown),
	    cmocka_unit_test_setup_teardown(scheduled_proposal_committed_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(one_leader, setup, teardown),
	    cmocka_unit_test_setup_teardown(lost_connection_is_reset, setup, teardown),
	    cmocka_unit_test_setup_teardown(sqlite_file_is_private, setup, teardown),
	    cmocka_unit_test_setup_teardown(audit_add_list_prune, setup, teardown),
	    cmocka_unit_test_setup_teardown(audit_concurrent_adds_get_distinct_ids, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(audit_id_conflict_retried, setup, teardown),
	    cmocka_unit_test_setup_teardown(audit_table_added_to_an_older_store, setup, teardown),
	    cmocka_unit_test(bad_spec_refused),
	};
	setvbuf(stdout, NULL, _IONBF, 0); /* in order with stderr in the log */
	const char *spec = getenv("SVR_STORE_SPEC");
	print_message("store backend: %s\n", spec && spec[0] ? spec : "sqlite (temp dir)");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
