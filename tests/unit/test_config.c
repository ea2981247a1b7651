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

#include "main/config.h"

static struct dp_config conf;

static void minimal_config_gets_defaults(void **state)
{
	(void)state;
	struct svr_jerr e;
	/* Interfaces come from policy images: a startup file may name none. */
	assert_int_equal(dp_config_parse("{}", &conf, &e), 0);
	assert_int_equal(conf.n_ifaces, 0);
	const char *text = "{\"interfaces\": [{\"name\": \"lan\", \"device\": \"net_tap0\"}]}";
	assert_int_equal(dp_config_parse(text, &conf, &e), 0);
	assert_string_equal(conf.instance, "default");
	assert_string_equal(conf.runtime_dir, "/run/svrouter/default");
	assert_string_equal(conf.socket_path, "/run/svrouter/default/dataplane.sock");
	assert_int_equal(conf.main_lcore, 0);
	assert_int_equal(conf.n_workers, 1);
	assert_int_equal(conf.workers[0], 1);
	assert_int_equal(conf.ifaces[0].mtu, 1500);
	assert_int_equal(conf.max_sleep_us, 1000);
	assert_false(conf.huge_pages);
}

static void full_config(void **state)
{
	(void)state;
	struct svr_jerr e;
	const char *text =
		"{\"instance\": \"r1\", \"eal\": {\"lcores\": \"0-2\", \"main-lcore\": 2,"
		" \"memory-mb\": 512}, \"idle\": {\"max-sleep-us\": 200},"
		" \"interfaces\": ["
		"  {\"name\": \"lan\", \"device\": \"net_af_packet0,iface=v0\", \"mac\": "
		"\"02:00:00:00:01:01\","
		"   \"addresses\": [\"198.18.1.1/24\", \"2001:db8:1::1/64\"]},"
		"  {\"name\": \"lan.7\", \"device\": \"net_af_packet0,iface=v0\", \"vlan\": 7,"
		"   \"addresses\": [\"198.18.7.1/24\"]}],"
		" \"static-routes\": [{\"prefix\": \"0.0.0.0/0\", \"gateway\": \"198.18.7.254\"}],"
		" \"static-neighbors\": [{\"address\": \"198.18.1.9\", \"interface\": \"lan\","
		"   \"mac\": \"02:00:00:00:00:09\"}]}";
	if (dp_config_parse(text, &conf, &e) != 0)
		fail_msg("%s", e.msg);
	assert_int_equal(conf.n_workers, 2);
	assert_int_equal(conf.workers[0], 0);
	assert_int_equal(conf.workers[1], 1);
	assert_int_equal(conf.n_ifaces, 2);
	assert_int_equal(conf.ifaces[1].vlan, 7);
	assert_true(conf.ifaces[0].has_mac);
	assert_int_equal(conf.ifaces[0].n_addrs, 2);
	assert_int_equal(conf.routes[0].iface, 1); /* found from the gateway's subnet */
	assert_int_equal(conf.n_neighs, 1);
	assert_int_equal(conf.max_sleep_us, 200);
}

/* Each bad document and the start of the message it must produce. */
static const struct {
	const char *doc;
	const char *error;
} bad[] = {
	{"{", "(top): line 1 column 1"},
	{"{\"bogus\": 1}", "bogus: unknown key"},
	{"{\"interfaces\": {}}", "interfaces: must be an array"},
	{"{\"interfaces\": [{\"device\": \"x\"}]}", "interfaces[0].name: is required"},
	{"{\"interfaces\": [{\"name\": \"a\"}]}", "interfaces[0].device: is required"},
	{"{\"interfaces\": [{\"name\": \"a-name-that-is-too-long\", \"device\": \"x\"}]}",
	 "interfaces[0].name: \"a-name-that-is-too-long\" must be 1-15"},
	{"{\"interfaces\": [{\"name\": \"a\", \"device\": \"x\"}, {\"name\": \"a\", \"device\": "
	 "\"y\"}]}",
	 "interfaces[1].name: \"a\" is already used"},
	{"{\"interfaces\": [{\"name\": \"a\", \"device\": \"x\", \"vlan\": 4095}]}",
	 "interfaces[0].vlan: must be between 0 and 4094"},
	{"{\"interfaces\": [{\"name\": \"a\", \"device\": \"x\"}, {\"name\": \"b\", \"device\": "
	 "\"x\"}]}",
	 "interfaces[1].vlan: interface \"a\" already uses device x vlan 0"},
	{"{\"interfaces\": [{\"name\": \"a\", \"device\": \"x\", \"mac\": \"01:00:5e:00:00:01\"}]}",
	 "interfaces[0].mac: \"01:00:5e:00:00:01\" is not a unicast MAC"},
	{"{\"interfaces\": [{\"name\": \"a\", \"device\": \"x\", \"addresses\": [\"198.18.1.1\"]}]}",
	 "interfaces[0].addresses[0]: must be \"address/prefix-length\""},
	{"{\"interfaces\": [{\"name\": \"a\", \"device\": \"x\", \"addresses\": [\"198.18.1.1/33\"]}]}",
	 "interfaces[0].addresses[0]: must be \"address/prefix-length\""},
	{"{\"interfaces\": [{\"name\": \"a\", \"device\": \"x\", \"mtu\": 50}]}",
	 "interfaces[0].mtu: must be between 68 and 9600"},
	{"{\"interfaces\": [{\"name\": \"a\", \"device\": \"x\"}], \"static-routes\": [{\"prefix\": "
	 "\"0.0.0.0/0\", \"gateway\": \"198.18.9.1\"}]}",
	 "static-routes[0].gateway: 198.18.9.1 is on no interface's subnet"},
	{"{\"interfaces\": [{\"name\": \"a\", \"device\": \"x\"}], \"static-routes\": [{\"prefix\": "
	 "\"::/0\", \"gateway\": \"198.18.9.1\", \"interface\": \"a\"}]}",
	 "static-routes[0].gateway: \"198.18.9.1\" is not of the prefix's address family"},
	{"{\"interfaces\": [{\"name\": \"a\", \"device\": \"x\"}], \"static-routes\": [{\"prefix\": "
	 "\"0.0.0.0/0\", \"gateway\": \"198.18.9.1\", \"interface\": \"zz\"}]}",
	 "static-routes[0].interface: no interface named \"zz\""},
	{"{\"eal\": {\"lcores\": \"0-x\"}, \"interfaces\": [{\"name\": \"a\", \"device\": \"x\"}]}",
	 "eal.lcores: \"0-x\" is not a list"},
	{"{\"eal\": {\"lcores\": \"0\"}, \"interfaces\": [{\"name\": \"a\", \"device\": \"x\"}]}",
	 "eal.lcores: at least one worker lcore"},
	{"{\"eal\": {\"main-lcore\": 5}, \"interfaces\": [{\"name\": \"a\", \"device\": \"x\"}]}",
	 "eal.main-lcore: lcore 5 is not in eal.lcores"},
	{"{\"workers\": [0], \"interfaces\": [{\"name\": \"a\", \"device\": \"x\"}]}",
	 "workers[0]: lcore 0 must be in eal.lcores and not the main lcore"},
	{"{\"idle\": {\"min-sleep-us\": 50, \"max-sleep-us\": 10}, \"interfaces\": [{\"name\": "
	 "\"a\", \"device\": \"x\"}]}",
	 "idle.min-sleep-us: is greater than max-sleep-us"},
	{"{\"burst\": 0, \"interfaces\": [{\"name\": \"a\", \"device\": \"x\"}]}",
	 "burst: must be between 1 and 64"},
	{"{\"instance\": \"bad name\", \"interfaces\": [{\"name\": \"a\", \"device\": \"x\"}]}",
	 "instance: \"bad name\" must be 1-32"},
	{"{\"interfaces\": [{\"name\": \"a\", \"device\": \"x\"}], \"static-neighbors\": "
	 "[{\"address\": \"198.18.1.1\", \"interface\": \"a\", \"mac\": \"zz\"}]}",
	 "static-neighbors[0].mac: must be a unicast MAC"},
};

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
		cmocka_unit_test(bad_configs_name_the_field),
		cmocka_unit_test(lcore_lists_and_pci),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
