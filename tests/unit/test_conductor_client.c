/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * svr-control's conductor client (src/control/conductor/): the conductor file is read strictly
 * and every refusal names the JSON path; the reconnection delay is full jitter, bounded by
 * min(cap, base * 2^attempt) and spread over the whole range (a scripted random source makes it
 * deterministic); a sync answer is read strictly too, a configuration or commands alone; a
 * status report's paths and interfaces come out of the dataplane's answers as documented
 * (docs/conductor.md, "Status").
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

#include "conductor/cd_int.h"
#include "conductor/conductor.h"

#define FP "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

static int parse(const char *text, struct svr_cd_config *cfg, char *err, size_t len)
{
	return svr_cd_config_parse(text, strlen(text), cfg, err, len);
}

static void a_full_file_is_read(void **state)
{
	(void)state;
	struct svr_cd_config cfg;
	char err[600];
	assert_int_equal(
	    parse("{\"urls\": [\"https://198.18.250.1:8443\", \"https://[2001:db8::1]:8443\"], "
		  "\"router\": \"r1\", \"enrolment-token\": \"0123456789abcdef0123\", "
		  "\"ca-sha256\": \"" FP "\", \"key-file\": \"/etc/svrouter/keys/keys.json\"}",
		  &cfg, err, sizeof(err)),
	    0);
	assert_int_equal(cfg.n_urls, 2);
	assert_string_equal(cfg.urls[1], "https://[2001:db8::1]:8443");
	assert_string_equal(cfg.router, "r1");
	assert_string_equal(cfg.token, "0123456789abcdef0123");
	assert_true(cfg.has_ca_sha256);
	assert_int_equal(cfg.ca_sha256[0], 0x9f);
	assert_int_equal(cfg.ca_sha256[31], 0x08);
	assert_string_equal(cfg.key_file, "/etc/svrouter/keys/keys.json");

	/* Only urls is required; the key file has the dataplane's default; colon pairs work. */
	assert_int_equal(parse("{\"urls\": [\"https://c1:8443\"], \"ca-sha256\": "
			       "\"9F:86:D0:81:88:4C:7D:65:9A:2F:EA:A0:C5:5A:D0:15:A3:BF:4F:1B:2B:"
			       "0B:82:2C:D1:5D:6C:15:B0:F0:0A:08\"}",
			       &cfg, err, sizeof(err)),
			 0);
	assert_string_equal(cfg.router, "");
	assert_string_equal(cfg.key_file, SVR_CD_KEY_FILE_DEFAULT);
	assert_int_equal(cfg.ca_sha256[0], 0x9f);
}

/* Each bad file is refused with its error starting with the expected path. */
static void refusals_name_the_path(void **state)
{
	(void)state;
	static const struct {
		const char *text, *path, *words;
	} cases[] = {
	    {"{\"urls\": [\"https://a:1\"],}", "(top): line 1 column 26", "expected"},
	    {"[]", "(top)", "must be an object"},
	    {"{\"urls\": [\"https://a:1\"], \"url\": 1}", "url:", "unknown key"},
	    {"{\"router\": \"r1\"}", "urls:", "required"},
	    {"{\"urls\": []}", "urls:", "1 to 8"},
	    {"{\"urls\": \"https://a:1\"}", "urls:", "array"},
	    {"{\"urls\": [\"https://a:1\", \"http://b:2\"]}", "urls[1]:", "https://"},
	    {"{\"urls\": [\"https://a:1\", 7]}", "urls[1]:", "string"},
	    {"{\"urls\": [\"https://a:1/api\"]}", "urls[0]:", "no path"},
	    {"{\"urls\": [\"https://\"]}", "urls[0]:", "host"},
	    {"{\"urls\": [\"https://a:1\", \"https://a:1\"]}", "urls[1]:", "twice"},
	    {"{\"urls\": [\"https://a:1\"], \"router\": \"r 1\"}", "router:", "router name"},
	    {"{\"urls\": [\"https://a:1\"], \"router\": 1}", "router:", "string"},
	    {"{\"urls\": [\"https://a:1\"], \"enrolment-token\": \"short\"}",
	     "enrolment-token:", "16-"},
	    {"{\"urls\": [\"https://a:1\"], \"ca-sha256\": \"abc\"}", "ca-sha256:", "fingerprint"},
	    {"{\"urls\": [\"https://a:1\"], \"ca-sha256\": \"" FP "0\"}",
	     "ca-sha256:", "fingerprint"},
	    {"{\"urls\": [\"https://a:1\"], \"ca-sha256\": \"zz" FP "\"}",
	     "ca-sha256:", "fingerprint"},
	    {"{\"urls\": [\"https://a:1\"], \"key-file\": \"keys.json\"}", "key-file:", "absolute"},
	    {"{\"urls\": [\"https://a:1\"], \"key-file\": \"/etc/svrouter/keys/\"}",
	     "key-file:", "directory"},
	    {"{\"urls\": [\"https://a:1\"], \"router\": \"r1\", \"router\": \"r2\"}", "(top)",
	     "duplicate"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct svr_cd_config cfg;
		char err[600] = "";
		int rc = parse(cases[i].text, &cfg, err, sizeof(err));
		if (rc != -1 || strncmp(err, cases[i].path, strlen(cases[i].path)) != 0 ||
		    !strstr(err, cases[i].words))
			fail_msg("%s: rc %d, \"%s\"; expected \"%s ...%s...\"", cases[i].text, rc,
				 err, cases[i].path, cases[i].words);
	}
}

static void a_missing_file_is_named(void **state)
{
	(void)state;
	struct svr_cd_config cfg;
	char err[600];
	assert_int_equal(svr_cd_config_load("/nonexistent/conductor.json", &cfg, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "/nonexistent/conductor.json"));
	char path[] = "/tmp/test_cd_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{\"urls\": [1]}", 13), 13);
	close(fd);
	assert_int_equal(svr_cd_config_load(path, &cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "urls[0]:"));
	unlink(path);
}

/* A scripted random source: returns the values in turn. */
struct script {
	const uint32_t *v;
	size_t n, i;
};
static uint32_t scripted(void *ctx)
{
	struct script *s = ctx;
	return s->v[s->i++ % s->n];
}

static void backoff_is_bounded_full_jitter(void **state)
{
	(void)state;
	const uint32_t top = UINT32_MAX, none = 0;
	struct script hi = {&top, 1, 0}, lo = {&none, 1, 0};
	/* The ceiling doubles from base and stops at the cap; the top value reaches it. */
	static const unsigned want[] = {100, 200, 400, 800, 1600, 2000, 2000, 2000};
	for (unsigned a = 0; a < 8; a++) {
		assert_int_equal(svr_cd_backoff_ms(a, 100, 2000, scripted, &hi), want[a]);
		assert_int_equal(svr_cd_backoff_ms(a, 100, 2000, scripted, &lo), 0);
	}
	/* Huge attempt counts neither overflow nor pass the cap. */
	assert_int_equal(svr_cd_backoff_ms(1000, 100, 2000, scripted, &hi), 2000);
	assert_int_equal(svr_cd_backoff_ms(UINT32_MAX, 100, 2000, scripted, &hi), 2000);
	/* Half the random range is half the ceiling: uniform, not a fixed delay. */
	const uint32_t half = 0x80000000u;
	struct script mid = {&half, 1, 0};
	assert_int_equal(svr_cd_backoff_ms(5, 100, 2000, scripted, &mid), 1000);
	/* Across a spread of random values every delay stays in [0, ceiling] and they differ. */
	uint32_t vals[64];
	for (unsigned i = 0; i < 64; i++)
		vals[i] = i * 0x04000000u + i;
	struct script spread = {vals, 64, 0};
	unsigned lowest = UINT32_MAX, highest = 0;
	for (unsigned i = 0; i < 64; i++) {
		unsigned ms = svr_cd_backoff_ms(3, 100, 2000, scripted, &spread);
		assert_true(ms <= 800);
		lowest = ms < lowest ? ms : lowest;
		highest = ms > highest ? ms : highest;
	}
	assert_true(lowest < 50 && highest > 750);
}

/* A sync answer refused, with the path its error starts with. */
struct refusal {
	const char *text, *path;
};

static void assert_refused(const struct refusal *bad, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct cd_sync_msg m;
		char err[600] = "";
		int rc = cd_sync_parse(bad[i].text, strlen(bad[i].text), &m, err, sizeof(err));
		if (rc != -1 || strncmp(err, bad[i].path, strlen(bad[i].path)) != 0)
			fail_msg("%s: rc %d, \"%s\"; expected %s", bad[i].text, rc, err,
				 bad[i].path);
		assert_null(m.doc);
	}
}

static void sync_answers_are_read_strictly(void **state)
{
	(void)state;
	struct cd_sync_msg m;
	char err[600];
	const char *ok = "{\"serial\": 12, \"version\": 7, \"model\": {\"model-version\": 1}, "
			 "\"keys\": {\"keys\": []}}";
	assert_int_equal(cd_sync_parse(ok, strlen(ok), &m, err, sizeof(err)), 0);
	assert_int_equal(m.serial, 12);
	assert_int_equal(m.version, 7);
	assert_non_null(m.model);
	assert_non_null(m.keys);
	cd_sync_msg_free(&m);
	const char *no_keys = "{\"serial\": 1, \"version\": 0, \"model\": {}, \"keys\": null}";
	assert_int_equal(cd_sync_parse(no_keys, strlen(no_keys), &m, err, sizeof(err)), 0);
	assert_null(m.keys);
	cd_sync_msg_free(&m);
	/* Nothing for this router (no version yet, or not named in it): model and keys null. */
	const char *none = "{\"serial\": 3, \"version\": 0, \"model\": null, \"keys\": null}";
	assert_int_equal(cd_sync_parse(none, strlen(none), &m, err, sizeof(err)), 0);
	assert_null(m.model);
	assert_null(m.keys);
	cd_sync_msg_free(&m);

	static const struct refusal bad[] = {
	    {"{\"serial\": 0, \"version\": 1, \"model\": {}}", "serial:"},
	    {"{\"serial\": -1, \"version\": 1, \"model\": {}}", "serial:"},
	    {"{\"version\": 1, \"model\": {}}", "serial:"},
	    {"{\"serial\": 2, \"version\": \"7\", \"model\": {}}", "version:"},
	    {"{\"serial\": 2, \"version\": 1, \"model\": []}", "model:"},
	    {"{\"serial\": 2, \"version\": 1, \"model\": 5}", "model:"},
	    {"{\"serial\": 2, \"version\": 1, \"model\": {}, \"keys\": []}", "keys:"},
	    {"{\"serial\": 2, \"version\": 1, \"model\": {}, \"keys\": {\"k\": 1}}", "keys:"},
	    {"{\"serial\": 2, \"version\": 1, \"model\": {}, \"extra\": 1}", "extra:"},
	    {"{\"serial\": 2, \"serial\": 3, \"version\": 1, \"model\": {}}", "(top)"},
	    {"{\"serial\": 2", "(top)"},
	};
	assert_refused(bad, sizeof(bad) / sizeof(bad[0]));
}

/* An answer with commands only has no configuration: nothing to apply, no serial to remember. */
static void commands_alone_are_no_configuration(void **state)
{
	(void)state;
	struct cd_sync_msg m;
	char err[600];
	const char *ok = "{\"commands\": [{\"id\": 4, \"command\": \"clear-sessions\", \"args\": "
			 "{\"filter\": {\"service\": \"web\"}}}, {\"id\": 5, \"command\": "
			 "\"clear-sessions\", \"args\": {}}]}";
	assert_int_equal(cd_sync_parse(ok, strlen(ok), &m, err, sizeof(err)), 0);
	assert_false(m.has_config);
	assert_int_equal(m.serial, 0);
	assert_null(m.model);
	assert_int_equal(json_array_size(m.commands), 2);
	cd_sync_msg_free(&m);

	static const struct refusal bad[] = {
	    {"{\"commands\": []}", "commands:"},
	    {"{\"commands\": {}}", "commands:"},
	    {"{\"commands\": [{\"id\": 1, \"command\": \"x\"}], \"model\": {}}", "model:"},
	    {"{\"commands\": [5]}", "commands[0]:"},
	    {"{\"commands\": [{\"command\": \"x\"}]}", "commands[0].id:"},
	    {"{\"commands\": [{\"id\": 0, \"command\": \"x\"}]}", "commands[0].id:"},
	    {"{\"commands\": [{\"id\": 1}]}", "commands[0].command:"},
	    {"{\"commands\": [{\"id\": 1, \"command\": 2}]}", "commands[0].command:"},
	    {"{\"commands\": [{\"id\": 1, \"command\": \"x\", \"args\": []}]}",
	     "commands[0].args:"},
	    {"{\"commands\": [{\"id\": 1, \"command\": \"x\", \"extra\": 1}]}",
	     "commands[0].extra:"},
	    /* a configuration and commands in one answer: which first would be a guess */
	    {"{\"serial\": 2, \"version\": 1, \"model\": {}, \"commands\": [{\"id\": 1, "
	     "\"command\": \"clear-sessions\", \"args\": null}]}",
	     "serial:"},
	    {"{\"commands\": [{\"id\": 1, \"command\": \"x\"}], \"version\": 3}", "version:"},
	    /* an id twice: a command runs once */
	    {"{\"commands\": [{\"id\": 7, \"command\": \"x\"}, {\"id\": 8, \"command\": \"x\"}, "
	     "{\"id\": 7, \"command\": \"y\"}]}",
	     "commands[2].id:"},
	};
	assert_refused(bad, sizeof(bad) / sizeof(bad[0]));
}

/* A clear-sessions command's arguments are read strictly: everything is cleared only on an
 * explicit "all": true, never because a filter went unread. */
static void clear_arguments_are_read_strictly(void **state)
{
	(void)state;
	char err[600];
	static const struct {
		const char *args, *want; /* want: the request, compact, keys sorted */
	} ok[] = {
	    {"{\"all\": true}", "{\"all\":true,\"cmd\":\"sessions-clear\"}"},
	    {"{\"filter\": {\"service\": \"web\"}}",
	     "{\"cmd\":\"sessions-clear\",\"service\":\"web\"}"},
	    {"{\"filter\": {\"tenant\": \"a\", \"address\": \"198.18.0.9\"}, \"all\": false}",
	     "{\"address\":\"198.18.0.9\",\"cmd\":\"sessions-clear\",\"tenant\":\"a\"}"},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		json_t *args = json_loads(ok[i].args, 0, NULL);
		json_t *req = cd_clear_request(args, err, sizeof(err));
		if (!req)
			fail_msg("%s: refused: %s", ok[i].args, err);
		char *text = json_dumps(req, JSON_COMPACT | JSON_SORT_KEYS);
		assert_string_equal(text, ok[i].want);
		free(text);
		json_decref(req);
		json_decref(args);
	}
	static const struct {
		const char *args, *path;
	} bad[] = {
	    {"{\"filter\": {\"adress\": \"198.18.0.9\"}}", "args.filter.adress:"},
	    {"{\"filter\": {\"tenant\": 5}}", "args.filter.tenant:"},
	    {"{\"filter\": {\"tenant\": \"\"}}", "args.filter.tenant:"},
	    {"{\"filters\": {\"tenant\": \"a\"}}", "args.filters:"},
	    {"{\"filter\": []}", "args.filter:"},
	    {"{\"filter\": {}}", "args:"},
	    {"{\"filter\": null}", "args:"},
	    {"{}", "args:"},
	    {"null", "args:"},
	    {"[]", "args:"},
	    {"{\"all\": 1}", "args.all:"},
	    {"{\"all\": false}", "args:"},
	    {"{\"all\": true, \"filter\": {\"service\": \"web\"}}", "args:"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *args = json_loads(bad[i].args, JSON_DECODE_ANY, NULL);
		err[0] = '\0';
		json_t *req = cd_clear_request(args, err, sizeof(err));
		if (req)
			fail_msg("%s: accepted", bad[i].args);
		if (!strstr(err, bad[i].path))
			fail_msg("%s: \"%s\" does not name %s", bad[i].args, err, bad[i].path);
		json_decref(args);
	}
}

static json_t *load(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, 0, &e);
	if (!v)
		fail_msg("test JSON: %s: %s", text, e.text);
	return v;
}

/* The dataplane's answers for two interfaces on ports 0 (link up) and 1 (link down). */
#define IFACES                                                                                     \
	"[{\"name\": \"wan\", \"port\": 0, \"addresses\": [\"198.19.1.1/24\"]}, {\"name\": "       \
	"\"lte\", \"port\": 1, \"addresses\": []}, {\"name\": \"lan\", \"port\": 9}]"
#define PORTS                                                                                      \
	"[{\"id\": 0, \"device\": \"net_af_packet0\", \"link\": \"up\", \"rx-packets\": 10, "      \
	"\"tx-packets\": 20}, {\"id\": 1, \"device\": \"net_af_packet1\", \"link\": \"down\", "    \
	"\"rx-packets\": 0, \"tx-packets\": 3}]"

static json_t *path_of(json_t *paths, const char *name)
{
	size_t i;
	json_t *p;
	json_array_foreach (paths, i, p)
		if (strcmp(json_string_value(json_object_get(p, "path")), name) == 0)
			return p;
	fail_msg("no path %s in the report", name);
	return NULL;
}

static void assert_number(const json_t *o, const char *key, double want)
{
	const json_t *v = json_object_get(o, key);
	if (!json_is_number(v) || json_number_value(v) < want - 1e-9 ||
	    json_number_value(v) > want + 1e-9)
		fail_msg("%s: %s, expected %g", key, v ? json_dumps(v, JSON_ENCODE_ANY) : "absent",
			 want);
}

/* BFD's state and figures with BFD (rounded; null before delay samples), the port's link
 * without; the SLA verdict as the dataplane judged it, with BFD only. */
static void report_paths_from_the_dataplane(void **state)
{
	(void)state;
	json_t *peers = load(
	    "{\"paths\": ["
	    "{\"peer\": \"r2\", \"path\": \"wan/wan\", \"interface\": \"wan\", \"bfd\": {"
	    "\"state\": \"up\", \"usable\": true, \"sla\": \"violated\", \"quality\": {"
	    "\"loss-pct\": 1.23456, \"latency-ms\": 20.0004, \"jitter-ms\": 0.1, \"mos\": 4.3333, "
	    "\"samples\": 12}}},"
	    "{\"peer\": \"r2\", \"path\": \"wan/fresh\", \"interface\": \"wan\", \"bfd\": {"
	    "\"state\": \"init\", \"usable\": false, \"sla\": \"violated\", \"quality\": {"
	    "\"loss-pct\": 0, \"latency-ms\": 0, \"jitter-ms\": 0, \"mos\": 4.4, "
	    "\"samples\": 0}}},"
	    "{\"peer\": \"r3\", \"path\": \"wan/nobfd\", \"interface\": \"wan\", \"bfd\": null},"
	    "{\"peer\": \"r3\", \"path\": \"lte/nobfd\", \"interface\": \"lte\"},"
	    "{\"peer\": \"r3\", \"path\": \"gone\", \"interface\": \"nowhere\"}]}");
	json_t *ifaces = load(IFACES), *ports = load(PORTS);
	json_t *paths = cd_report_paths(peers, ifaces, ports);
	assert_int_equal(json_array_size(paths), 5);

	json_t *p = path_of(paths, "wan/wan");
	assert_string_equal(json_string_value(json_object_get(p, "peer")), "r2");
	assert_string_equal(json_string_value(json_object_get(p, "interface")), "wan");
	assert_string_equal(json_string_value(json_object_get(p, "state")), "up");
	assert_true(json_is_true(json_object_get(p, "bfd")));
	assert_true(json_is_true(json_object_get(p, "usable")));
	assert_number(p, "loss-pct", 1.235);
	assert_number(p, "latency-ms", 20.0);
	assert_number(p, "jitter-ms", 0.1);
	assert_number(p, "mos", 4.33);
	assert_string_equal(json_string_value(json_object_get(p, "sla")), "violated");

	p = path_of(paths, "wan/fresh"); /* BFD not up yet, nothing measured */
	assert_string_equal(json_string_value(json_object_get(p, "state")), "down");
	assert_true(json_is_false(json_object_get(p, "usable")));
	assert_number(p, "loss-pct", 0);
	assert_true(json_is_null(json_object_get(p, "latency-ms")));
	assert_true(json_is_null(json_object_get(p, "jitter-ms")));
	assert_true(json_is_null(json_object_get(p, "mos")));
	/* the dataplane's verdict with BFD even before delay samples (loss alone may violate) */
	assert_string_equal(json_string_value(json_object_get(p, "sla")), "violated");

	p = path_of(paths, "wan/nobfd"); /* no BFD: the port's link, nothing measured */
	assert_string_equal(json_string_value(json_object_get(p, "state")), "up");
	assert_true(json_is_false(json_object_get(p, "bfd")));
	assert_true(json_is_true(json_object_get(p, "usable")));
	const char *nulls[] = {"loss-pct", "latency-ms", "jitter-ms", "mos", "sla"};
	for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		assert_true(json_is_null(json_object_get(p, nulls[i])));
	p = path_of(paths, "lte/nobfd");
	assert_string_equal(json_string_value(json_object_get(p, "state")), "down");
	assert_true(json_is_false(json_object_get(p, "usable")));
	p = path_of(paths, "gone"); /* an interface the dataplane does not list: down */
	assert_string_equal(json_string_value(json_object_get(p, "state")), "down");

	/* a dataplane that did not answer: no paths, no crash */
	json_t *none = cd_report_paths(NULL, NULL, NULL);
	assert_int_equal(json_array_size(none), 0);
	json_decref(none);
	json_decref(paths);
	json_decref(peers);
	json_decref(ifaces);
	json_decref(ports);
}

static void report_interfaces_from_the_dataplane(void **state)
{
	(void)state;
	json_t *ifaces = load(IFACES), *ports = load(PORTS);
	json_t *list = cd_report_interfaces(ifaces, ports);
	assert_int_equal(json_array_size(list), 3);
	json_t *wan = json_array_get(list, 0), *lte = json_array_get(list, 1),
	       *lan = json_array_get(list, 2);
	assert_string_equal(json_string_value(json_object_get(wan, "name")), "wan");
	assert_string_equal(json_string_value(json_object_get(wan, "device")), "net_af_packet0");
	assert_string_equal(json_string_value(json_object_get(wan, "link")), "up");
	assert_string_equal(json_string_value(json_array_get(json_object_get(wan, "addresses"), 0)),
			    "198.19.1.1/24");
	assert_int_equal(json_integer_value(json_object_get(wan, "rx-packets")), 10);
	assert_int_equal(json_integer_value(json_object_get(wan, "tx-packets")), 20);
	assert_string_equal(json_string_value(json_object_get(lte, "link")), "down");
	assert_int_equal(json_array_size(json_object_get(lte, "addresses")), 0);
	/* a port the dataplane does not list: down, no device or counters */
	assert_string_equal(json_string_value(json_object_get(lan, "link")), "down");
	assert_null(json_object_get(lan, "device"));
	assert_null(json_object_get(lan, "rx-packets"));
	assert_true(json_is_array(json_object_get(lan, "addresses")));
	json_decref(list);
	json_decref(ifaces);
	json_decref(ports);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_full_file_is_read),
	    cmocka_unit_test(refusals_name_the_path),
	    cmocka_unit_test(a_missing_file_is_named),
	    cmocka_unit_test(backoff_is_bounded_full_jitter),
	    cmocka_unit_test(sync_answers_are_read_strictly),
	    cmocka_unit_test(commands_alone_are_no_configuration),
	    cmocka_unit_test(clear_arguments_are_read_strictly),
	    cmocka_unit_test(report_paths_from_the_dataplane),
	    cmocka_unit_test(report_interfaces_from_the_dataplane),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
