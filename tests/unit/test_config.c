/* SPDX-License-Identifier: BSD-3-Clause */
/* Startup configuration: defaults, derived values, and errors that name the offending field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/config.h"

static struct dp_config conf;

static void minimal_config_gets_defaults(void **state)
{
	(void)state;
	struct svr_jerr e;
	/* Interfaces come from policy images: an empty startup file is complete. */
	assert_int_equal(dp_config_parse("{}", &conf, &e), 0);
	assert_string_equal(conf.instance, "default");
	assert_string_equal(conf.runtime_dir, "/run/svrouter/default");
	assert_string_equal(conf.socket_path, "/run/svrouter/default/dataplane.sock");
	assert_int_equal(conf.main_lcore, 0);
	assert_int_equal(conf.n_workers, 1);
	assert_int_equal(conf.workers[0], 1);
	assert_int_equal(conf.max_sleep_us, 1000);
	assert_int_equal(conf.n_pci, 0);
	assert_false(conf.huge_pages);
	assert_false(conf.kernel); /* no twins unless asked for */
}

/* --instance (the unit's %i): the instance of a file naming none, and a file naming another is
 * refused, so svr-dataplane@a never runs b's file. */
static void instance_from_the_command_line(void **state)
{
	(void)state;
	struct svr_jerr e;
	assert_int_equal(dp_config_parse_instance("{}", "edge-1", &conf, &e), 0);
	assert_string_equal(conf.instance, "edge-1");
	assert_string_equal(conf.runtime_dir, "/run/svrouter/edge-1");
	assert_string_equal(conf.socket_path, "/run/svrouter/edge-1/dataplane.sock");
	assert_int_equal(
	    dp_config_parse_instance("{\"instance\": \"edge-1\"}", "edge-1", &conf, &e), 0);
	assert_string_equal(conf.instance, "edge-1");
	assert_int_equal(dp_config_parse_instance("{\"instance\": \"r2\"}", "edge-1", &conf, &e),
			 -1);
	assert_non_null(strstr(e.msg,
			       "instance: the file is for instance \"r2\", but --instance is "
			       "\"edge-1\""));
	assert_int_equal(dp_config_parse_instance("{}", "no/slash", &conf, &e), -1);
	assert_non_null(strstr(e.msg, "instance: --instance \"no/slash\""));
}

static void kernel_section(void **state)
{
	(void)state;
	struct svr_jerr e;
	assert_int_equal(dp_config_parse("{\"kernel\": {}}", &conf, &e), 0);
	assert_true(conf.kernel);
	assert_string_equal(conf.kernel_ns, ""); /* the dataplane's own namespace */
	assert_int_equal(conf.kernel_rate, DP_KERNEL_RATE_DEFAULT);
	assert_int_equal(conf.kernel_burst, DP_KERNEL_BURST_DEFAULT);
	assert_int_equal(dp_config_parse("{\"kernel\": {\"namespace\": \"rtr-1.k\", "
					 "\"rate-per-s\": 50, \"burst\": 7}}",
					 &conf, &e),
			 0);
	assert_true(conf.kernel);
	assert_string_equal(conf.kernel_ns, "rtr-1.k");
	assert_int_equal(conf.kernel_rate, 50);
	assert_int_equal(conf.kernel_burst, 7);
}

static void full_config(void **state)
{
	(void)state;
	struct svr_jerr e;
	const char *text =
	    "{\"instance\": \"r1\", \"eal\": {\"lcores\": \"0-2\", \"main-lcore\": 2,"
	    " \"memory-mb\": 512, \"huge-pages\": true}, \"idle\": {\"max-sleep-us\": 200},"
	    " \"pci\": [\"0000:03:00.0\", \"0000:04:00.1\"], \"neighbor\": {\"queue-len\": 8},"
	    " \"icmp\": {\"rate-per-s\": 10}}";
	if (dp_config_parse(text, &conf, &e) != 0)
		fail_msg("%s", e.msg);
	assert_int_equal(conf.n_workers, 2);
	assert_int_equal(conf.workers[0], 0);
	assert_int_equal(conf.workers[1], 1);
	assert_true(conf.huge_pages);
	assert_int_equal(conf.n_pci, 2);
	assert_string_equal(conf.pci[1], "0000:04:00.1");
	assert_int_equal(conf.neigh_queue_len, 8);
	assert_int_equal(conf.icmp_rate, 10);
	assert_int_equal(conf.max_sleep_us, 200);
}

/* Two workers on a 2-CPU machine: lcores mapped to CPUs, passed to EAL as --lcores. */
static void lcores_mapped_to_cpus(void **state)
{
	(void)state;
	struct svr_jerr e;
	if (dp_config_parse("{\"eal\": {\"lcores\": \"0@0,1-2@1\"}}", &conf, &e) != 0)
		fail_msg("%s", e.msg);
	assert_int_equal(conf.main_lcore, 0);
	assert_int_equal(conf.n_workers, 2);
	assert_int_equal(conf.workers[0], 1);
	assert_int_equal(conf.workers[1], 2);
	char map[64];
	assert_int_equal(dp_eal_lcores_map(conf.lcores, map, sizeof(map)), 0);
	assert_string_equal(map, "0@0,(1-2)@1");
	assert_int_equal(dp_eal_lcores_map("0,1@1", map, sizeof(map)), 0);
	assert_string_equal(map, "0,1@1");
	assert_int_equal(dp_eal_lcores_map("0@0,1-2@1", map, 8), -1);
}

/* Each bad document and the start of the message it must produce. */
static const struct {
	const char *doc;
	const char *error;
} bad[] = {
    {"{", "(top): line 1 column 1"},
    {"{\"bogus\": 1}", "bogus: unknown key"},
    {"{\"interfaces\": []}", "interfaces: belongs to the intent model now"},
    {"{\"static-routes\": []}", "static-routes: belongs to the intent model now"},
    {"{\"pci\": [\"net_tap0\"]}", "pci[0]: must be a PCI address"},
    {"{\"pci\": \"0000:03:00.0\"}", "pci: must be an array"},
    {"{\"eal\": {\"lcores\": \"0-x\"}}", "eal.lcores: \"0-x\" is not a list"},
    {"{\"eal\": {\"lcores\": \"0\"}}", "eal.lcores: at least one worker lcore"},
    {"{\"eal\": {\"lcores\": \"0@\"}}", "eal.lcores: \"0@\" is not a list"},
    {"{\"eal\": {\"lcores\": \"0@0@1,1\"}}", "eal.lcores: \"0@0@1,1\" is not a list"},
    {"{\"eal\": {\"main-lcore\": 5}}", "eal.main-lcore: lcore 5 is not in eal.lcores"},
    {"{\"eal\": {\"memory-mb\": 10}}", "eal.memory-mb: must be between 64 and"},
    {"{\"eal\": {\"huge-pages\": 1}}", "eal.huge-pages: must be true or false"},
    {"{\"eal\": {\"extra-args\": [1]}}", "eal.extra-args[0]: must be a string"},
    {"{\"eal\": {\"typo\": 1}}", "eal.typo: unknown key"},
    {"{\"workers\": [0]}", "workers[0]: lcore 0 must be in eal.lcores and not the main lcore"},
    {"{\"workers\": [1, 1], \"eal\": {\"lcores\": \"0-2\"}}", "workers[1]: lcore 1 listed twice"},
    {"{\"idle\": {\"min-sleep-us\": 50, \"max-sleep-us\": 10}}",
     "idle.min-sleep-us: is greater than max-sleep-us"},
    {"{\"idle\": {\"sleep\": 1}}", "idle.sleep: unknown key"},
    {"{\"burst\": 0}", "burst: must be between 1 and 64"},
    {"{\"mbufs\": 10}", "mbufs: must be between 1024 and"},
    {"{\"instance\": \"bad name\"}", "instance: \"bad name\" must be 1-32"},
    {"{\"runtime-dir\": \"\"}", "runtime-dir: must be a path of 1-200 characters"},
    {"{\"neighbor\": {\"queue-len\": 99}}", "neighbor.queue-len: must be between 0 and 16"},
    {"{\"icmp\": {\"burst\": 0}}", "icmp.burst: must be between 1 and"},
    {"{\"routing\": {\"kernel-routes\": 5000000}}",
     "routing.kernel-routes: must be between 0 and 4194304"},
    {"{\"routing\": {\"tables\": []}}", "routing.tables: unknown key"},
    {"{\"routing\": {\"kernel-routes\": 1000000}, \"eal\": {\"memory-mb\": 600}}",
     "eal.memory-mb: 600 MB is below the about"},
    {"{\"kernel\": {\"namespace\": \"a/b\"}}", "kernel.namespace: must be a network namespace"},
    {"{\"kernel\": {\"namespace\": \"..\"}}", "kernel.namespace: must be a network namespace"},
    {"{\"kernel\": {\"namespace\": 3}}", "kernel.namespace: "},
    {"{\"kernel\": {\"rate-per-s\": 0}}", "kernel.rate-per-s: must be between 1 and"},
    {"{\"kernel\": {\"burst\": 0}}", "kernel.burst: must be between 1 and"},
    {"{\"kernel\": {\"netns\": \"x\"}}", "kernel.netns: unknown key"},
    {"{\"kernel\": true}", "kernel: "},
};

/* Kernel routes add their memory to the automatic eal.memory-mb. */
static void kernel_routes_budget_memory(void **state)
{
	(void)state;
	struct svr_jerr e = {{0}};
	assert_int_equal(dp_config_parse("{}", &conf, &e), 0);
	unsigned without = conf.memory_mb;
	assert_int_equal(conf.kernel_routes, 0);
	assert_int_equal(dp_config_parse("{\"routing\": {\"kernel-routes\": 1000000}}", &conf, &e),
			 0);
	assert_int_equal(conf.kernel_routes, 1000000);
	assert_int_equal(conf.memory_mb,
			 without + DP_KERNEL_ROUTES_TABLES_MB +
			     (unsigned)(1000000ull * DP_KERNEL_ROUTE_BYTES_BUDGET >> 20));
	/* twins bring a default, which routing.kernel-routes 0 turns off */
	assert_int_equal(dp_config_parse("{\"kernel\": {}}", &conf, &e), 0);
	assert_int_equal(conf.kernel_routes, DP_KERNEL_ROUTES_DEFAULT);
	assert_int_equal(
	    dp_config_parse("{\"kernel\": {}, \"routing\": {\"kernel-routes\": 0}}", &conf, &e), 0);
	assert_int_equal(conf.kernel_routes, 0);
}

static void bad_configs_name_the_field(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct svr_jerr e = {{0}};
		if (dp_config_parse(bad[i].doc, &conf, &e) == 0)
			fail_msg("accepted: %s", bad[i].doc);
		if (strncmp(e.msg, bad[i].error, strlen(bad[i].error)) != 0)
			fail_msg("for %s\n  expected: %s\n  got:      %s", bad[i].doc, bad[i].error,
				 e.msg);
	}
}

static void lcore_lists_and_pci(void **state)
{
	(void)state;
	unsigned ids[8];
	assert_int_equal(dp_parse_lcore_list("0-2,5", ids, 8), 4);
	assert_int_equal(ids[3], 5);
	assert_int_equal(dp_parse_lcore_list("3-1", ids, 8), -1);
	assert_int_equal(dp_parse_lcore_list("", ids, 8), -1);
	assert_true(dp_device_is_pci("0000:03:00.0"));
	assert_true(dp_device_is_pci("03:00.1"));
	assert_false(dp_device_is_pci("net_af_packet0,iface=eth0"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(minimal_config_gets_defaults),
	    cmocka_unit_test(full_config),
	    cmocka_unit_test(kernel_section),
	    cmocka_unit_test(instance_from_the_command_line),
	    cmocka_unit_test(lcores_mapped_to_cpus),
	    cmocka_unit_test(bad_configs_name_the_field),
	    cmocka_unit_test(kernel_routes_budget_memory),
	    cmocka_unit_test(lcore_lists_and_pci),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
