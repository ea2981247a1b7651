/* SPDX-License-Identifier: BSD-3-Clause */
/* DHCP leases in the model svr-control compiles (src/control/leases.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "leases.h"

static json_t *model(void)
{
	json_error_t e;
	json_t *doc = json_loads(
	    "{\"authority\": {\"name\": \"a\", \"routers\": ["
	    "{\"name\": \"other\", \"interfaces\": [{\"name\": \"wan\", \"device\": \"x\", "
	    "\"dhcp\": true}]},"
	    "{\"name\": \"r1\", \"interfaces\": ["
	    "{\"name\": \"lan\", \"device\": \"y\", \"addresses\": [\"198.18.1.1/24\"]},"
	    "{\"name\": \"wan\", \"device\": \"x\", \"dhcp\": true},"
	    "{\"name\": \"lte\", \"device\": \"z\", \"dhcp\": true, \"addresses\": "
	    "[\"2001:db8::1/64\"]}]}]}}",
	    0, &e);
	assert_non_null(doc);
	return doc;
}

static const json_t *iface(const json_t *doc, size_t router, size_t i)
{
	const json_t *rs = json_object_get(json_object_get(doc, "authority"), "routers");
	return json_array_get(json_object_get(json_array_get(rs, router), "interfaces"), i);
}

static const char *addr(const json_t *doc, size_t router, size_t i, size_t a)
{
	return json_string_value(
	    json_array_get(json_object_get(iface(doc, router, i), "addresses"), a));
}

static void test_set_get_clear(void **state)
{
	(void)state;
	struct svr_leases l = {.n = 0};
	assert_true(svr_leases_set(&l, "wan", "198.18.7.20/24"));
	assert_false(svr_leases_set(&l, "wan", "198.18.7.20/24")); /* same: no new image */
	assert_true(svr_leases_set(&l, "wan", "198.18.7.21/24"));
	assert_string_equal(svr_leases_get(&l, "wan"), "198.18.7.21/24");
	assert_null(svr_leases_get(&l, "lte"));
	assert_false(svr_leases_set(&l, "lte", "")); /* clearing what is not there */
	assert_true(svr_leases_set(&l, "wan", NULL));
	assert_null(svr_leases_get(&l, "wan"));
	assert_int_equal(l.n, 0);
}

/* The lease goes first on the router's own dhcp interfaces only; the document given is not
 * changed (it is the model stored and served). */
static void test_apply(void **state)
{
	(void)state;
	json_t *doc = model();
	struct svr_leases l = {.n = 0};
	svr_leases_set(&l, "wan", "198.18.7.20/24");
	svr_leases_set(&l, "lte", "198.18.9.5/30");
	svr_leases_set(&l, "lan", "198.18.99.1/24"); /* not a dhcp interface: ignored */
	json_t *c = svr_leases_apply(doc, "r1", &l);
	assert_non_null(c);
	assert_ptr_not_equal(c, doc);
	assert_string_equal(addr(c, 1, 1, 0), "198.18.7.20/24");
	assert_string_equal(addr(c, 1, 2, 0), "198.18.9.5/30");
	assert_string_equal(addr(c, 1, 2, 1), "2001:db8::1/64");
	assert_int_equal(json_array_size(json_object_get(iface(c, 1, 0), "addresses")), 1);
	assert_null(json_object_get(iface(c, 0, 0), "addresses")); /* another router's */
	assert_null(json_object_get(iface(doc, 1, 1), "addresses"));
	assert_int_equal(json_array_size(json_object_get(iface(doc, 1, 2), "addresses")), 1);
	json_decref(c);
	json_decref(doc);
}

/* Nothing to put in: the same document, one more reference. */
static void test_apply_nothing(void **state)
{
	(void)state;
	json_t *doc = model();
	struct svr_leases l = {.n = 0};
	json_t *c = svr_leases_apply(doc, "r1", &l);
	assert_ptr_equal(c, doc);
	json_decref(c);
	svr_leases_set(&l, "wan", "198.18.7.20/24");
	c = svr_leases_apply(doc, "nobody", &l);
	assert_ptr_equal(c, doc);
	json_decref(c);
	json_decref(doc);
}

/* What a DHCP server may not make the router own. */
static void test_check(void **state)
{
	(void)state;
	json_t *doc = model();
	const json_t *r1 =
	    json_array_get(json_object_get(json_object_get(doc, "authority"), "routers"), 1);
	char why[200];
	assert_int_equal(svr_leases_check(r1, "wan", "198.18.7.20/24", why, sizeof(why)), 0);
	assert_int_equal(svr_leases_check(r1, "wan", "198.18.7.20/32", why, sizeof(why)), 0);
	assert_int_equal(svr_leases_check(r1, "wan", "198.18.7.21/31", why, sizeof(why)), 0);
	static const char *const bad[] = {
	    "198.18.7.20/0",   /* a connected default route */
	    "198.18.7.20",     /* no length */
	    "198.18.7.0/24",   /* the subnet's network address */
	    "198.18.7.255/24", /* its broadcast */
	    "127.0.0.2/8",     "0.1.2.3/8",      "224.0.0.9/24",
	    "240.1.2.3/24",    "198.18.1.77/24", /* on the LAN's subnet */
	    "198.18.0.5/16",                     /* a subnet that holds the LAN's */
	    "2001:db8::5/64",  "nonsense",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		assert_int_equal(svr_leases_check(r1, "wan", bad[i], why, sizeof(why)), -1);
		assert_true(why[0] != '\0');
	}
	assert_non_null(
	    strstr((svr_leases_check(r1, "wan", "198.18.1.77/24", why, sizeof(why)), why),
		   "interface \"lan\""));
	json_decref(doc);
}

static void put(const char *dir, const char *name, const char *text)
{
	char path[300];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* The leases the script recorded come back at a restart; nothing else does. */
static void test_load(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_leases.XXXXXX";
	assert_non_null(mkdtemp(dir));
	put(dir, "dhcp-wan.lease", "198.18.7.20/24\n");
	put(dir, "dhcp-lte.lease", "not an address\n");
	put(dir, "dhcp-x.keep", "");
	put(dir, "dhcp-a-name-far-too-long.lease", "198.18.9.1/24\n");
	put(dir, "model.json", "{}");
	struct svr_leases l = {.n = 0};
	assert_int_equal(svr_leases_load(&l, dir), 1);
	assert_string_equal(svr_leases_get(&l, "wan"), "198.18.7.20/24");
	assert_null(svr_leases_get(&l, "lte"));
	assert_int_equal(svr_leases_load(&l, "/nonexistent/dir"), 0);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_set_get_clear), cmocka_unit_test(test_apply),
	    cmocka_unit_test(test_apply_nothing), cmocka_unit_test(test_check),
	    cmocka_unit_test(test_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
