/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Intent model validation: the example models pass; each invalid model is
 * rejected with the expected JSON path and sentence; several errors are all
 * reported; the error list is capped; a 10,000-service model validates.
 *
 * The example models (config/) and the example of docs/model.md are read from
 * $SVR_SOURCE_ROOT (meson passes the source root), else from the source tree
 * this file was compiled from, else from the current directory.
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

#include "model/validate.h"
#include "svr/image.h"

/* Small but complete: every list, every kind of reference, two routers that are peers. */
static const char *const base_text =
    "{\"model-version\": 1, \"authority\": {\"name\": \"test\","
    " \"conductor\": {\"url\": \"https://198.18.250.1:8443\"},"
    " \"security-policies\": [{\"name\": \"sec\"}],"
    " \"inter-router-security\": \"sec\","
    " \"tenants\": [{\"name\": \"t1\"}, {\"name\": \"t1.child\", \"max-sessions\": 100}],"
    " \"services\": [{\"name\": \"s1\", \"addresses\": [\"198.18.50.0/24\"],"
    "   \"transport\": [{\"protocol\": \"tcp\", \"ports\": [\"443\", \"8000-8099\"]}],"
    "   \"access\": [{\"source\": {\"tenant\": \"t1\"}, \"permission\": \"allow\"}],"
    "   \"policy\": \"p1\", \"security\": \"sec\"}],"
    " \"service-classes\": [{\"name\": \"c1\", \"priority\": 1, \"dscp\": 10,"
    "   \"timeouts\": {\"udp-s\": 60},"
    "   \"when-degraded\": {\"action\": \"rate-limit\", \"rate-bps\": 1000000}}],"
    " \"service-policies\": [{\"name\": \"p1\", \"class\": \"c1\","
    "   \"vectors\": [{\"vector\": \"mpls\", \"cost\": 10}, {\"vector\": \"inet\", \"cost\": "
    "\"never\"}],"
    "   \"sla\": {\"max-loss-pct\": 1.5, \"max-latency-ms\": 150}}],"
    " \"routers\": ["
    "  {\"name\": \"ra\", \"limits\": {\"session-capacity\": 1000},"
    "   \"interfaces\": ["
    "    {\"name\": \"lan\", \"device\": \"net_tap0\", \"addresses\": [\"198.18.1.1/24\"],"
    "     \"tenant\": \"t1\", \"neighborhoods\": [{\"name\": \"lan-a\"}]},"
    "    {\"name\": \"wan\", \"device\": \"net_tap1\", \"addresses\": [\"198.18.100.1/24\"],"
    "     \"gateway\": \"198.18.100.254\","
    "     \"neighborhoods\": [{\"name\": \"core\", \"vector\": \"mpls\"}]}],"
    "   \"service-routes\": [{\"service\": \"s1\", \"peer\": \"rb\"}],"
    "   \"static-routes\": [{\"prefix\": \"0.0.0.0/0\", \"gateway\": \"198.18.100.254\"}],"
    "   \"static-neighbors\": [{\"address\": \"198.18.1.9\", \"interface\": \"lan\","
    "     \"mac\": \"02:00:00:00:00:09\"}]},"
    "  {\"name\": \"rb\", \"interfaces\": [{\"name\": \"wan\", \"device\": \"net_tap0\","
    "   \"addresses\": [\"198.18.100.2/24\"], \"neighborhoods\": [{\"name\": \"core\"}]}]}"
    " ]}}";

static json_t *load_text(const char *text)
{
	json_error_t je;
	json_t *doc = json_loads(text, JSON_DECODE_ANY, &je);
	if (!doc)
		fail_msg("bad JSON in the test (line %d: %s): %s", je.line, je.text, text);
	return doc;
}

static json_t *base(void)
{
	return load_text(base_text);
}

static void print_errors(const struct svr_model_errors *e)
{
	for (unsigned i = 0; i < e->count; i++)
		print_message("  %s: %s\n", e->list[i].path, e->list[i].message);
}

/* Validates a document that must pass, showing what was found if it does not. */
static void assert_valid(const json_t *doc)
{
	struct svr_model_errors e;
	svr_model_errors_init(&e);
	int rc = svr_model_validate(doc, &e);
	if (rc != 0 || e.count) {
		print_errors(&e);
		svr_model_errors_free(&e);
		fail_msg("the model should be valid");
	}
	svr_model_errors_free(&e);
}

static bool has_error(const struct svr_model_errors *e, const char *path, const char *message)
{
	for (unsigned i = 0; i < e->count; i++)
		if (strcmp(e->list[i].path, path) == 0 &&
		    strncmp(e->list[i].message, message, strlen(message)) == 0)
			return true;
	return false;
}

/*
 * Sets the member at a path like "authority.services[0].name" to a JSON value,
 * or deletes it (value NULL). An index equal to an array's size appends.
 */
static void edit(json_t *doc, const char *path, const char *value)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", path);
	json_t *cur = doc;
	char *p = buf;
	while (*p) {
		char key[64] = "";
		long idx = -1;
		if (*p == '[') {
			idx = strtol(p + 1, &p, 10);
			p++; /* ']' */
		} else {
			size_t n = strcspn(p, ".[");
			memcpy(key, p, n);
			key[n] = '\0';
			p += n;
		}
		if (*p == '.')
			p++;
		bool last = *p == '\0';
		if (last) {
			json_t *val = value ? load_text(value) : NULL;
			if (idx >= 0 && (size_t)idx == json_array_size(cur))
				json_array_append_new(cur, val);
			else if (idx >= 0 && val)
				json_array_set_new(cur, (size_t)idx, val);
			else if (idx >= 0)
				json_array_remove(cur, (size_t)idx);
			else if (val)
				json_object_set_new(cur, key, val);
			else
				json_object_del(cur, key);
			return;
		}
		cur = idx >= 0 ? json_array_get(cur, (size_t)idx) : json_object_get(cur, key);
		if (!cur)
			fail_msg("test edit: no %s in the base document", path);
	}
}

struct bad_case {
	const char *name;
	struct {
		const char *path, *value;
	} edits[3];
	const char *path;    /* of the expected error */
	const char *message; /* the expected message, or its beginning */
	unsigned count;      /* errors expected in all */
};

#define R0   "authority.routers[0]"
#define S0   "authority.services[0]"
#define HOOD R0 ".interfaces[1].neighborhoods[0]"

static const struct bad_case bad_cases[] = {
    {"top_unknown_key",
     {{"modelversion", "1"}},
     "modelversion",
     "unknown key (did you mean \"model-version\"?)",
     1},
    {"unknown_key_no_suggestion", {{R0 ".zzz", "1"}}, R0 ".zzz", "unknown key", 1},
    {"model_version_2", {{"model-version", "2"}}, "model-version", "must be 1", 1},
    {"model_version_missing", {{"model-version", NULL}}, "model-version", "is required", 1},
    {"authority_missing", {{"authority", NULL}}, "authority", "is required", 1},
    {"authority_not_object", {{"authority", "[]"}}, "authority", "must be an object", 1},
    {"authority_name_missing", {{"authority.name", NULL}}, "authority.name", "is required", 1},
    {"conductor_url",
     {{"authority.conductor.url", "\"ftp://198.18.250.1\""}},
     "authority.conductor.url",
     "\"ftp://198.18.250.1\" is not an http:// or https:// URL",
     1},
    {"ipfix_no_collectors",
     {{"authority.telemetry", "{\"ipfix\": {\"collectors\": []}}"}},
     "authority.telemetry.ipfix.collectors",
     "must list 1 to 4 collectors",
     1},
    {"ipfix_collectors_required",
     {{"authority.telemetry", "{\"ipfix\": {\"interim-s\": 5}}"}},
     "authority.telemetry.ipfix.collectors",
     "is required",
     1},
    {"ipfix_collector_address",
     {{"authority.telemetry", "{\"ipfix\": {\"collectors\": [{\"address\": \"nfcapd\"}]}}"}},
     "authority.telemetry.ipfix.collectors[0].address",
     "\"nfcapd\" is not an IP address",
     1},
    {"ipfix_collector_transport",
     {{"authority.telemetry",
       "{\"ipfix\": {\"collectors\": [{\"address\": \"198.18.0.9\", \"transport\": \"sctp\"}]}}"}},
     "authority.telemetry.ipfix.collectors[0].transport",
     "\"sctp\" is not one of: udp, tcp",
     1},
    {"ipfix_collector_port",
     {{"authority.telemetry",
       "{\"ipfix\": {\"collectors\": [{\"address\": \"198.18.0.9\", \"port\": 0}]}}"}},
     "authority.telemetry.ipfix.collectors[0].port",
     "0 is not between 1 and 65535",
     1},
    {"ipfix_template_refresh",
     {{"authority.telemetry", "{\"ipfix\": {\"collectors\": [{\"address\": \"198.18.0.9\"}], "
			      "\"template-refresh-s\": 0}}"}},
     "authority.telemetry.ipfix.template-refresh-s",
     "0 is not between 1 and 86400",
     1},
    {"ipfix_collector_multicast",
     {{"authority.telemetry", "{\"ipfix\": {\"collectors\": [{\"address\": \"239.1.1.1\"}]}}"}},
     "authority.telemetry.ipfix.collectors[0].address",
     "239.1.1.1 is multicast: not a collector's address",
     1},
    {"ipfix_collector_unspecified",
     {{"authority.telemetry", "{\"ipfix\": {\"collectors\": [{\"address\": \"::\"}]}}"}},
     "authority.telemetry.ipfix.collectors[0].address",
     ":: is unspecified: not a collector's address",
     1},
    {"ipfix_collector_twice",
     {{"authority.telemetry",
       "{\"ipfix\": {\"collectors\": [{\"address\": \"198.18.0.9\"}, {\"address\": \"198.18.0.9\", "
       "\"port\": 4739, \"transport\": \"udp\"}]}}"}},
     "authority.telemetry.ipfix.collectors[1]",
     "the same collector as collectors[0]",
     1},
    {"ipfix_reverse_pen",
     {{"authority.telemetry", "{\"ipfix\": {\"collectors\": [{\"address\": \"198.18.0.9\"}], "
			      "\"enterprise-number\": 29305}}"}},
     "authority.telemetry.ipfix.enterprise-number",
     "29305 is RFC 5103's number",
     1},
    {"telemetry_unknown_key",
     {{"authority.telemetry", "{\"netflow\": {}}"}},
     "authority.telemetry.netflow",
     "unknown key",
     1},
    {"rekey_interval_short",
     {{"authority.conductor.rekey-interval-s", "5"}},
     "authority.conductor.rekey-interval-s",
     "5 is too short: 0 (never rotate) or at least 10 seconds",
     1},
    {"rekey_interval_not_integer",
     {{"authority.conductor.rekey-interval-s", "\"1d\""}},
     "authority.conductor.rekey-interval-s",
     "must be an integer between 0 and 315360000",
     1},
    {"rekey_lead_short",
     {{"authority.conductor.rekey-lead-s", "9"}},
     "authority.conductor.rekey-lead-s",
     "9 is not between 10 and 315360000",
     1},
    {"rekey_lead_not_less",
     {{"authority.conductor.rekey-interval-s", "60"}, {"authority.conductor.rekey-lead-s", "60"}},
     "authority.conductor.rekey-lead-s",
     "rekey-lead-s (60) must be less than rekey-interval-s (60)",
     1},
    {"rekey_default_lead_not_less",
     {{"authority.conductor.rekey-interval-s", "3600"}},
     "authority.conductor.rekey-interval-s",
     "rekey-lead-s (86400, the default) must be less than rekey-interval-s (3600)",
     1},
    {"service_key_typo",
     {{S0 ".polcy", "\"p1\""}},
     S0 ".polcy",
     "unknown key (did you mean \"policy\"?)",
     1},
    {"service_duplicate_name",
     {{"authority.services[1]", "{\"name\": \"s1\", \"addresses\": [\"198.18.51.0/24\"]}"}},
     "authority.services[1].name",
     "\"s1\" is already the name of authority.services[0]",
     1},
    {"service_name_form",
     {{S0 ".name", "\"web portal\""}},
     S0 ".name",
     "\"web portal\" must be 1-64 letters",
     2 /* and the service route's "s1" is gone */},
    {"port_range_reversed",
     {{S0 ".transport[0].ports[1]", "\"9000-80\""}},
     S0 ".transport[0].ports[1]",
     "\"9000-80\": start is greater than end",
     1},
    {"port_too_large",
     {{S0 ".transport[0].ports[0]", "\"70000\""}},
     S0 ".transport[0].ports[0]",
     "\"70000\": ports are 0-65535",
     1},
    {"port_not_a_number",
     {{S0 ".transport[0].ports[0]", "\"https\""}},
     S0 ".transport[0].ports[0]",
     "\"https\" is not a port like \"443\" or a range like \"8000-8099\"",
     1},
    {"port_not_a_string",
     {{S0 ".transport[0].ports[0]", "443"}},
     S0 ".transport[0].ports[0]",
     "must be a string like \"443\"",
     1},
    {"ports_for_icmp",
     {{S0 ".transport[0].protocol", "\"icmp\""}},
     S0 ".transport[0].ports",
     "only tcp and udp have ports",
     1},
    {"ports_empty",
     {{S0 ".transport[0].ports", "[]"}},
     S0 ".transport[0].ports",
     "must not be empty",
     1},
    {"protocol_unknown",
     {{S0 ".transport[0].protocol", "\"sctp\""}},
     S0 ".transport[0].protocol",
     "\"sctp\" must be tcp, udp, icmp, icmpv6, any or a protocol number 0-255",
     1},
    {"protocol_number_too_large",
     {{S0 ".transport[0].protocol", "256"}},
     S0 ".transport[0].protocol",
     "must be tcp, udp, icmp, icmpv6, any or a protocol number 0-255",
     1},
    {"protocol_missing",
     {{S0 ".transport[0].protocol", NULL}},
     S0 ".transport[0].protocol",
     "is required",
     1},
    {"transport_empty",
     {{S0 ".transport", "[]"}},
     S0 ".transport",
     "must not be empty (leave it out to match every protocol)",
     1},
    {"service_addresses_empty",
     {{S0 ".addresses", "[]"}},
     S0 ".addresses",
     "must list at least one prefix",
     1},
    {"service_addresses_missing", {{S0 ".addresses", NULL}}, S0 ".addresses", "is required", 1},
    {"service_address_host_bits",
     {{S0 ".addresses[0]", "\"198.18.50.1/24\""}},
     S0 ".addresses[0]",
     "\"198.18.50.1/24\" has host bits set (the prefix is 198.18.50.0/24)",
     1},
    {"service_address_bad_length",
     {{S0 ".addresses[0]", "\"198.18.50.0/33\""}},
     S0 ".addresses[0]",
     "\"198.18.50.0/33\" is not a prefix like",
     1},
    {"service_policy_unknown",
     {{S0 ".policy", "\"gold\""}},
     S0 ".policy",
     "no service policy named \"gold\"",
     1},
    {"service_security_unknown",
     {{S0 ".security", "\"secret\""}},
     S0 ".security",
     "no security policy named \"secret\"",
     1},
    {"access_tenant_unknown",
     {{S0 ".access[0].source.tenant", "\"t9\""}},
     S0 ".access[0].source.tenant",
     "no tenant named \"t9\"",
     1},
    {"access_source_empty",
     {{S0 ".access[0].source", "{}"}},
     S0 ".access[0].source",
     "must name a tenant, a prefix, or both",
     1},
    {"access_source_prefix_bad",
     {{S0 ".access[0].source.prefix", "\"198.18.12.0/99\""}},
     S0 ".access[0].source.prefix",
     "\"198.18.12.0/99\" is not a prefix",
     1},
    {"access_permission",
     {{S0 ".access[0].permission", "\"permit\""}},
     S0 ".access[0].permission",
     "\"permit\" is not one of: allow, deny",
     1},
    {"access_permission_missing",
     {{S0 ".access[0].permission", NULL}},
     S0 ".access[0].permission",
     "is required",
     1},
    {"access_window_reversed",
     {{S0 ".access[0].valid-from", "\"2026-12-01T18:00:00Z\""},
      {S0 ".access[0].valid-until", "\"2026-12-01T06:00:00Z\""}},
     S0 ".access[0].valid-until",
     "must be later than valid-from",
     1},
    {"access_time_malformed",
     {{S0 ".access[0].valid-from", "\"2026-13-01T00:00:00Z\""}},
     S0 ".access[0].valid-from",
     "\"2026-13-01T00:00:00Z\" is not an RFC 3339 time",
     1},
    {"tenant_parent_missing",
     {{"authority.tenants[1].name", "\"t2.child\""}},
     "authority.tenants[1].name",
     "parent tenant \"t2\" is not declared",
     1},
    {"tenant_name_form",
     {{"authority.tenants[1].name", "\"t1..x\""}},
     "authority.tenants[1].name",
     "\"t1..x\" must be dot-separated labels",
     1},
    {"tenant_max_sessions_zero",
     {{"authority.tenants[0].max-sessions", "0"}},
     "authority.tenants[0].max-sessions",
     "0 is not between 1 and 4294967295",
     1},
    {"tenant_table_main",
     {{"authority.tenants[1].routing-table", "254"}},
     "authority.tenants[1].routing-table",
     "254 is the kernel's main table (the default): omit the key",
     1},
    {"tenant_table_local",
     {{"authority.tenants[0].routing-table", "255"}},
     "authority.tenants[0].routing-table",
     "255 is the kernel's local table",
     1},
    {"tenant_table_default",
     {{"authority.tenants[0].routing-table", "253"}},
     "authority.tenants[0].routing-table",
     "253 is the kernel's default table (253): bind the tenant to a table of its own",
     1},
    {"tenant_table_zero",
     {{"authority.tenants[0].routing-table", "0"}},
     "authority.tenants[0].routing-table",
     "must be a kernel table number 1-252 or 256-4294967295",
     1},
    {"tenant_table_too_large",
     {{"authority.tenants[1].routing-table", "4294967296"}},
     "authority.tenants[1].routing-table",
     "must be a kernel table number 1-252 or 256-4294967295",
     1},
    {"tenant_table_not_integer",
     {{"authority.tenants[0].routing-table", "\"100\""}},
     "authority.tenants[0].routing-table",
     "must be a kernel table number 1-252 or 256-4294967295",
     1},
    {"tenant_member_neighborhood",
     {{"authority.tenants[0].members",
       "[{\"neighborhood\": \"nowhere\", \"prefixes\": [\"198.18.1.0/24\"]}]"}},
     "authority.tenants[0].members[0].neighborhood",
     "no router interface is in neighborhood \"nowhere\"",
     1},
    {"tenant_member_no_prefixes",
     {{"authority.tenants[0].members", "[{\"neighborhood\": \"lan-a\", \"prefixes\": []}]"}},
     "authority.tenants[0].members[0].prefixes",
     "must list at least one prefix",
     1},
    {"security_hmac_cipher",
     {{"authority.security-policies[0].hmac-cipher", "\"md5\""}},
     "authority.security-policies[0].hmac-cipher",
     "\"md5\" is not one of: sha256-128, sha256, none",
     1},
    {"security_payload_without_cipher",
     {{"authority.security-policies[0].encryption-cipher", "\"none\""},
      {"authority.security-policies[0].encrypt-payload", "true"}},
     "authority.security-policies[0].encrypt-payload",
     "needs an encryption cipher",
     1},
    {"inter_router_security_unknown",
     {{"authority.inter-router-security", "\"strong\""}},
     "authority.inter-router-security",
     "no security policy named \"strong\"",
     1},
    {"class_priority",
     {{"authority.service-classes[0].priority", "4"}},
     "authority.service-classes[0].priority",
     "4 is not between 0 and 3",
     1},
    {"class_dscp_string",
     {{"authority.service-classes[0].dscp", "\"46\""}},
     "authority.service-classes[0].dscp",
     "must be an integer between 0 and 63",
     1},
    {"class_timeout_zero",
     {{"authority.service-classes[0].timeouts.udp-s", "0"}},
     "authority.service-classes[0].timeouts.udp-s",
     "0 is not between 1 and 86400",
     1},
    {"class_timeout_unknown",
     {{"authority.service-classes[0].timeouts.tcp-s", "60"}},
     "authority.service-classes[0].timeouts.tcp-s",
     "unknown key",
     1},
    {"degraded_rate_missing",
     {{"authority.service-classes[0].when-degraded.rate-bps", NULL}},
     "authority.service-classes[0].when-degraded.rate-bps",
     "is required when action is \"rate-limit\"",
     1},
    {"degraded_rate_with_block",
     {{"authority.service-classes[0].when-degraded.action", "\"block\""}},
     "authority.service-classes[0].when-degraded.rate-bps",
     "applies only when action is \"rate-limit\"",
     1},
    {"policy_class_unknown",
     {{"authority.service-policies[0].class", "\"c9\""}},
     "authority.service-policies[0].class",
     "no service class named \"c9\"",
     1},
    {"policy_cost_negative",
     {{"authority.service-policies[0].vectors[0].cost", "-1"}},
     "authority.service-policies[0].vectors[0].cost",
     "must be an integer between 0 and 4294967294, or \"never\"",
     1},
    {"policy_cost_word",
     {{"authority.service-policies[0].vectors[0].cost", "\"always\""}},
     "authority.service-policies[0].vectors[0].cost",
     "must be an integer between 0 and 4294967294, or \"never\"",
     1},
    {"policy_vector_twice",
     {{"authority.service-policies[0].vectors[1].vector", "\"mpls\""}},
     "authority.service-policies[0].vectors[1].vector",
     "\"mpls\" is already listed at vectors[0]",
     1},
    {"policy_loss_over_100",
     {{"authority.service-policies[0].sla.max-loss-pct", "101.5"}},
     "authority.service-policies[0].sla.max-loss-pct",
     "101.5 is not between 0 and 100",
     1},
    {"policy_resiliency",
     {{"authority.service-policies[0].resiliency", "\"hot-standby\""}},
     "authority.service-policies[0].resiliency",
     "\"hot-standby\" is not one of: none, failover, revertible-failover, duplicate",
     1},
    {"policy_best_effort_string",
     {{"authority.service-policies[0].best-effort", "\"yes\""}},
     "authority.service-policies[0].best-effort",
     "must be true or false",
     1},
    {"routers_empty",
     {{"authority.routers", "[]"}},
     "authority.routers",
     "must list at least one router",
     1},
    {"router_duplicate_name",
     {{"authority.routers[1].name", "\"ra\""}},
     "authority.routers[1].name",
     "\"ra\" is already the name of authority.routers[0]",
     2 /* and no router is named rb any more */},
    {"router_name_form",
     {{"authority.routers[1].name", "\"r b\""}},
     "authority.routers[1].name",
     "\"r b\" must be 1-32 letters, digits, '-' or '_'",
     2},
    {"router_session_capacity",
     {{R0 ".limits.session-capacity", "0"}},
     R0 ".limits.session-capacity",
     "0 is not between 1 and 16777216",
     1},
    {"bfd_not_object", {{HOOD ".bfd", "[]"}}, HOOD ".bfd", "must be an object", 1},
    {"bfd_unknown_key",
     {{HOOD ".bfd", "{\"multipler\": 3}"}},
     HOOD ".bfd.multipler",
     "unknown key (did you mean \"multiplier\"?)",
     1},
    {"bfd_tx_below_10_ms",
     {{HOOD ".bfd", "{\"desired-tx-ms\": 9}"}},
     HOOD ".bfd.desired-tx-ms",
     "9 is not between 10 and 600000",
     1},
    {"bfd_rx_above_600000_ms",
     {{HOOD ".bfd", "{\"required-min-rx-ms\": 600001}"}},
     HOOD ".bfd.required-min-rx-ms",
     "600001 is not between 10 and 600000",
     1},
    {"bfd_multiplier_2",
     {{HOOD ".bfd", "{\"multiplier\": 2}"}},
     HOOD ".bfd.multiplier",
     "2 is not between 3 and 20",
     1},
    {"bfd_multiplier_21",
     {{HOOD ".bfd", "{\"multiplier\": 21}"}},
     HOOD ".bfd.multiplier",
     "21 is not between 3 and 20",
     1},
    {"bfd_hold_down_301",
     {{HOOD ".bfd", "{\"hold-down-s\": 301}"}},
     HOOD ".bfd.hold-down-s",
     "301 is not between 0 and 300",
     1},
    {"bfd_max_hold_down_3601",
     {{HOOD ".bfd", "{\"max-hold-down-s\": 3601}"}},
     HOOD ".bfd.max-hold-down-s",
     "3601 is not between 0 and 3600",
     1},
    {"bfd_max_hold_down_below_hold_down",
     {{HOOD ".bfd", "{\"hold-down-s\": 10, \"max-hold-down-s\": 5}"}},
     HOOD ".bfd.max-hold-down-s",
     "max-hold-down-s (5) must be at least hold-down-s (10)",
     1},
    {"bfd_max_hold_down_below_default_hold_down",
     {{HOOD ".bfd", "{\"max-hold-down-s\": 2}"}},
     HOOD ".bfd.max-hold-down-s",
     "max-hold-down-s (2) must be at least hold-down-s (5, the default)",
     1},
    {"bfd_hold_down_above_default_max",
     {{HOOD ".bfd", "{\"hold-down-s\": 300, \"max-hold-down-s\": 299}"}},
     HOOD ".bfd.max-hold-down-s",
     "max-hold-down-s (299) must be at least hold-down-s (300)",
     1},
    {"bfd_link_test_interval_0",
     {{HOOD ".bfd", "{\"link-test-interval-s\": 0}"}},
     HOOD ".bfd.link-test-interval-s",
     "0 is not between 1 and 3600",
     1},
    {"bfd_link_test_length_101",
     {{HOOD ".bfd", "{\"link-test-length\": 101}"}},
     HOOD ".bfd.link-test-length",
     "101 is not between 1 and 100",
     1},
    {"bfd_echo_interval_9",
     {{HOOD ".bfd", "{\"echo-interval-ms\": 9}"}},
     HOOD ".bfd.echo-interval-ms",
     "9 is not between 10 and 10000",
     1},
    {"bfd_tx_not_integer",
     {{HOOD ".bfd", "{\"desired-tx-ms\": 50.5}"}},
     HOOD ".bfd.desired-tx-ms",
     "must be an integer between 10 and 600000",
     1},
    {"bfd_enabled_string",
     {{HOOD ".bfd", "{\"enabled\": \"no\"}"}},
     HOOD ".bfd.enabled",
     "must be true or false",
     1},
    {"policy_revert_hold_down_3601",
     {{"authority.service-policies[0].revert-hold-down-s", "3601"}},
     "authority.service-policies[0].revert-hold-down-s",
     "3601 is not between 0 and 3600",
     1},
    {"policy_min_dwell_negative",
     {{"authority.service-policies[0].min-dwell-s", "-1"}},
     "authority.service-policies[0].min-dwell-s",
     "-1 is not between 0 and 3600",
     1},
    {"policy_min_dwell_typo",
     {{"authority.service-policies[0].min-dwel-s", "5"}},
     "authority.service-policies[0].min-dwel-s",
     "unknown key (did you mean \"min-dwell-s\"?)",
     1},
    {"class_dscp_negative",
     {{"authority.service-classes[0].dscp", "-1"}},
     "authority.service-classes[0].dscp",
     "-1 is not between 0 and 63",
     1},
    {"router_degraded_pct_0",
     {{R0 ".limits.degraded-capacity-pct", "0"}},
     R0 ".limits.degraded-capacity-pct",
     "0 is not between 1 and 100",
     1},
    {"router_degraded_pct_101",
     {{R0 ".limits.degraded-capacity-pct", "101"}},
     R0 ".limits.degraded-capacity-pct",
     "101 is not between 1 and 100",
     1},
    {"router_interfaces_missing",
     {{"authority.routers[1].interfaces", NULL}},
     "authority.routers[1].interfaces",
     "is required",
     2},
    {"iface_name_too_long",
     {{R0 ".interfaces[0].name", "\"this-is-too-long\""}},
     R0 ".interfaces[0].name",
     "\"this-is-too-long\" must be 1-15 letters, digits, '-', '_' or '.'",
     2 /* and the static neighbour's "lan" is gone */},
    {"iface_duplicate_name",
     {{R0 ".interfaces[1].name", "\"lan\""}},
     R0 ".interfaces[1].name",
     "\"lan\" is already the name of " R0 ".interfaces[0]",
     1},
    {"iface_device_missing",
     {{R0 ".interfaces[0].device", NULL}},
     R0 ".interfaces[0].device",
     "is required",
     1},
    {"iface_device_empty",
     {{R0 ".interfaces[0].device", "\"\""}},
     R0 ".interfaces[0].device",
     "must not be empty",
     1},
    {"iface_device_vlan_twice",
     {{R0 ".interfaces[1].device", "\"net_tap0\""}},
     R0 ".interfaces[1].device",
     "net_tap0 with vlan 0 is already used by interface \"lan\"",
     1},
    {"iface_vlan_range",
     {{R0 ".interfaces[0].vlan", "4095"}},
     R0 ".interfaces[0].vlan",
     "4095 is not between 0 and 4094",
     1},
    {"iface_mtu_range",
     {{R0 ".interfaces[0].mtu", "67"}},
     R0 ".interfaces[0].mtu",
     "67 is not between 68 and 2026",
     1},
    {"iface_mtu_jumbo",
     {{R0 ".interfaces[0].mtu", "9000"}},
     R0 ".interfaces[0].mtu",
     "9000 is not between 68 and 2026",
     1},
    {"iface_device_other_devargs",
     {{R0 ".interfaces[1].device", "\"net_tap0,iface=other\""}},
     R0 ".interfaces[1].device",
     "\"net_tap0,iface=other\" names device net_tap0 with other arguments",
     1},
    {"iface_mac_multicast",
     {{R0 ".interfaces[0].mac", "\"01:00:5e:00:00:01\""}},
     R0 ".interfaces[0].mac",
     "\"01:00:5e:00:00:01\" is a group (multicast) address",
     1},
    {"iface_mac_malformed",
     {{R0 ".interfaces[0].mac", "\"02:00:00:00:01\""}},
     R0 ".interfaces[0].mac",
     "\"02:00:00:00:01\" is not a MAC address like 02:00:00:00:01:01",
     1},
    {"iface_address_without_length",
     {{R0 ".interfaces[0].addresses[0]", "\"198.18.1.1\""}},
     R0 ".interfaces[0].addresses[0]",
     "\"198.18.1.1\" must be \"address/prefix-length\"",
     1},
    {"iface_address_length_zero",
     {{R0 ".interfaces[1].addresses[0]", "\"198.18.100.1/0\""}},
     R0 ".interfaces[1].addresses[0]",
     "\"198.18.100.1/0\": the prefix length must be 1-32",
     3},
    {"iface_address_network",
     {{R0 ".interfaces[0].addresses[0]", "\"198.18.1.0/24\""}},
     R0 ".interfaces[0].addresses[0]",
     "\"198.18.1.0/24\" is the subnet's network address",
     1},
    {"iface_address_twice",
     {{R0 ".interfaces[1].addresses[1]", "\"198.18.1.1/24\""}},
     R0 ".interfaces[1].addresses[1]",
     "198.18.1.1 is already an address of interface \"lan\"",
     1},
    {"iface_gateway_off_subnet",
     {{R0 ".interfaces[1].gateway", "\"198.18.99.1\""}},
     R0 ".interfaces[1].gateway",
     "198.18.99.1 is on none of this interface's subnets",
     1},
    {"iface_gateway_own_address",
     {{R0 ".interfaces[1].gateway", "\"198.18.100.1\""}},
     R0 ".interfaces[1].gateway",
     "198.18.100.1 is this interface's own address",
     1},
    {"iface_tenant_unknown",
     {{R0 ".interfaces[0].tenant", "\"t7\""}},
     R0 ".interfaces[0].tenant",
     "no tenant named \"t7\"",
     1},
    {"iface_source_nat_string",
     {{R0 ".interfaces[1].source-nat", "\"on\""}},
     R0 ".interfaces[1].source-nat",
     "must be true or false",
     1},
    {"neighborhood_topology",
     {{R0 ".interfaces[1].neighborhoods[0].topology", "\"star\""}},
     R0 ".interfaces[1].neighborhoods[0].topology",
     "\"star\" is not one of: mesh, hub, spoke",
     1},
    {"neighborhood_twice",
     {{R0 ".interfaces[1].neighborhoods[1]", "{\"name\": \"core\"}"}},
     R0 ".interfaces[1].neighborhoods[1].name",
     "\"core\" is already listed at neighborhoods[0]",
     1},
    {"neighborhood_security_unknown",
     {{R0 ".interfaces[1].neighborhoods[0].inter-router-security", "\"weak\""}},
     R0 ".interfaces[1].neighborhoods[0].inter-router-security",
     "no security policy named \"weak\"",
     1},
    {"neighborhood_port_range_syntax",
     {{R0 ".interfaces[1].neighborhoods[0].port-range", "\"30001-\""}},
     R0 ".interfaces[1].neighborhoods[0].port-range",
     "must be a port range like \"30001-30999\"",
     1},
    {"neighborhood_port_range_low",
     {{R0 ".interfaces[1].neighborhoods[0].port-range", "\"1000-2000\""}},
     R0 ".interfaces[1].neighborhoods[0].port-range",
     "\"1000-2000\": waypoint ports are 1025-65535",
     1},
    {"neighborhood_port_range_reversed",
     {{R0 ".interfaces[1].neighborhoods[0].port-range", "\"30999-30001\""}},
     R0 ".interfaces[1].neighborhoods[0].port-range",
     "\"30999-30001\": start is greater than end",
     1},
    {"neighborhood_port_range_no_odd",
     {{R0 ".interfaces[1].neighborhoods[0].port-range", "\"30000\""}},
     R0 ".interfaces[1].neighborhoods[0].port-range",
     "\"30000\" has no odd port: peers pick odd ports (the even ones are theirs)",
     1},
    {"neighborhood_security_differs",
     {{R0 ".interfaces[1].neighborhoods[0].inter-router-security", "\"sec\""}},
     "authority.routers[1].interfaces[0].neighborhoods[0].inter-router-security",
     "neighborhood \"core\" has none here but \"sec\" at " R0 ".interfaces[1].neighborhoods[0]",
     1},
    {"service_route_service_unknown",
     {{R0 ".service-routes[0].service", "\"s9\""}},
     R0 ".service-routes[0].service",
     "no service named \"s9\"",
     1},
    {"service_route_peer_itself",
     {{R0 ".service-routes[0].peer", "\"ra\""}},
     R0 ".service-routes[0].peer",
     "\"ra\" is this router itself",
     1},
    {"service_route_peer_unknown",
     {{R0 ".service-routes[0].peer", "\"rc\""}},
     R0 ".service-routes[0].peer",
     "no router named \"rc\"",
     1},
    {"service_route_peer_no_neighborhood",
     {{"authority.routers[1].interfaces[0].neighborhoods[0].name", "\"core2\""}},
     R0 ".service-routes[0].peer",
     "router \"rb\" shares no neighborhood with this router",
     1},
    {"service_route_peer_spokes",
     {{R0 ".interfaces[1].neighborhoods[0].topology", "\"spoke\""},
      {"authority.routers[1].interfaces[0].neighborhoods[0].topology", "\"spoke\""}},
     R0 ".service-routes[0].peer",
     "router \"rb\" is not a peer: every neighborhood they share joins two spokes",
     1},
    {"service_route_peer_no_family",
     {{"authority.routers[1].interfaces[0].addresses[0]", "\"2001:db8:100::2/64\""}},
     R0 ".service-routes[0].peer",
     "router \"rb\" is not a peer: no interface pair in a shared neighborhood",
     1},
    {"service_route_two_kinds",
     {{R0 ".service-routes[0].nat-target", "\"198.18.1.50\""}},
     R0 ".service-routes[0]",
     "must have only one of peer, next-hop or nat-target",
     1},
    {"service_route_no_kind",
     {{R0 ".service-routes[0].peer", NULL}},
     R0 ".service-routes[0]",
     "must have one of peer, next-hop or nat-target",
     1},
    {"service_route_next_hop_interface",
     {{R0 ".service-routes[0]",
       "{\"service\": \"s1\", \"next-hop\": {\"interface\": \"dmz\", \"gateway\": "
       "\"198.18.1.20\"}}"}},
     R0 ".service-routes[0].next-hop.interface",
     "no interface named \"dmz\" on this router",
     1},
    {"service_route_next_hop_off_subnet",
     {{R0 ".service-routes[0]",
       "{\"service\": \"s1\", \"next-hop\": {\"interface\": \"lan\", \"gateway\": "
       "\"198.18.2.20\"}}"}},
     R0 ".service-routes[0].next-hop.gateway",
     "198.18.2.20 is on none of interface \"lan\"'s subnets",
     1},
    {"service_route_next_hop_word",
     {{R0 ".service-routes[0]", "{\"service\": \"s1\", \"next-hop\": \"fib\"}"}},
     R0 ".service-routes[0].next-hop",
     "must be {\"interface\": ..., \"gateway\": ...} or \"routing\" (follow the forwarding "
     "table)",
     1},
    {"service_route_nat_target_not_ip",
     {{R0 ".service-routes[0]", "{\"service\": \"s1\", \"nat-target\": \"host.example\"}"}},
     R0 ".service-routes[0].nat-target",
     "\"host.example\" is not an IP address",
     1},
    {"static_route_second_default",
     {{R0 ".static-routes[1]", "{\"prefix\": \"0.0.0.0/0\", \"gateway\": \"198.18.1.254\"}"}},
     R0 ".static-routes[1].prefix",
     "a second IPv4 default route (the first is static-routes[0])",
     1},
    {"static_route_duplicate_prefix",
     {{R0 ".static-routes[1]", "{\"prefix\": \"198.18.60.0/24\", \"gateway\": \"198.18.1.254\"}"},
      {R0 ".static-routes[2]",
       "{\"prefix\": \"198.18.60.0/24\", \"gateway\": \"198.18.100.254\"}"}},
     R0 ".static-routes[2].prefix",
     "198.18.60.0/24 is already routed by static-routes[1]",
     1},
    {"static_route_family",
     {{R0 ".static-routes[0].gateway", "\"2001:db8::1\""}},
     R0 ".static-routes[0].gateway",
     "2001:db8::1 is not of the prefix's address family",
     1},
    {"static_route_gateway_unreachable",
     {{R0 ".static-routes[0].gateway", "\"198.18.61.1\""}},
     R0 ".static-routes[0].gateway",
     "198.18.61.1 is on no interface's subnet; add \"interface\"",
     1},
    {"static_route_interface_unknown",
     {{R0 ".static-routes[0].interface", "\"wan9\""}},
     R0 ".static-routes[0].interface",
     "no interface named \"wan9\" on this router",
     1},
    {"static_route_host_bits",
     {{R0 ".static-routes[0].prefix", "\"198.18.60.1/24\""}},
     R0 ".static-routes[0].prefix",
     "\"198.18.60.1/24\" has host bits set (the prefix is 198.18.60.0/24)",
     1},
    {"static_neighbor_mac_missing",
     {{R0 ".static-neighbors[0].mac", NULL}},
     R0 ".static-neighbors[0].mac",
     "is required",
     1},
    {"static_neighbor_interface_unknown",
     {{R0 ".static-neighbors[0].interface", "\"eth0\""}},
     R0 ".static-neighbors[0].interface",
     "no interface named \"eth0\" on this router",
     1},
    {"static_neighbor_twice",
     {{R0 ".static-neighbors[1]", "{\"address\": \"198.18.1.9\", \"interface\": \"lan\", \"mac\": "
				  "\"02:00:00:00:00:0a\"}"}},
     R0 ".static-neighbors[1].address",
     "198.18.1.9 on interface \"lan\" is already in static-neighbors[0]",
     1},
    {"host_access_protocol_unknown",
     {{R0 ".host-access", "[{\"protocol\": \"tcp\", \"port\": 22}, {\"protocol\": \"gre\"}]"}},
     R0 ".host-access[1].protocol",
     "must be tcp, udp, ospf, icmp, icmpv6 or a protocol number 0-255",
     1},
    {"host_access_protocol_number_too_big",
     {{R0 ".host-access", "[{\"protocol\": 256}]"}},
     R0 ".host-access[0].protocol",
     "must be tcp, udp, ospf, icmp, icmpv6 or a protocol number 0-255",
     1},
    {"host_access_protocol_missing",
     {{R0 ".host-access", "[{\"port\": 22}]"}},
     R0 ".host-access[0].protocol",
     "is required",
     1},
    {"host_access_port_on_ospf",
     {{R0 ".host-access", "[{\"protocol\": \"tcp\"}, {\"protocol\": \"udp\"},"
			  " {\"protocol\": \"ospf\", \"port\": \"1-2\"}]"}},
     R0 ".host-access[2].port",
     "only tcp and udp have ports",
     1},
    {"host_access_port_out_of_range",
     {{R0 ".host-access", "[{\"protocol\": \"tcp\", \"port\": 65536}]"}},
     R0 ".host-access[0].port",
     "65536 is not a port 0-65535",
     1},
    {"host_access_port_range_reversed",
     {{R0 ".host-access", "[{\"protocol\": \"udp\", \"port\": \"68-67\"}]"}},
     R0 ".host-access[0].port",
     "\"68-67\": start is greater than end",
     1},
    {"host_access_port_not_a_port",
     {{R0 ".host-access", "[{\"protocol\": \"udp\", \"port\": \"bootp\"}]"}},
     R0 ".host-access[0].port",
     "must be a port number like 22 or a range like \"67-68\"",
     1},
    {"host_access_bad_prefix",
     {{R0 ".host-access", "[{\"protocol\": \"tcp\", \"port\": 22,"
			  " \"from\": [\"198.18.9.0/24\", \"198.18.300.0/24\"]}]"}},
     R0 ".host-access[0].from[1]",
     "\"198.18.300.0/24\" is not a prefix like",
     1},
    {"host_access_prefix_host_bits",
     {{R0 ".host-access", "[{\"protocol\": \"tcp\", \"from\": [\"198.18.9.1/24\"]}]"}},
     R0 ".host-access[0].from[0]",
     "\"198.18.9.1/24\" has host bits set (the prefix is 198.18.9.0/24)",
     1},
    {"host_access_from_empty",
     {{R0 ".host-access", "[{\"protocol\": \"tcp\", \"from\": []}]"}},
     R0 ".host-access[0].from",
     "must not be empty (leave it out for the arriving interface's subnets)",
     1},
    {"host_access_interface_unknown",
     {{R0 ".host-access", "[{\"protocol\": \"ospf\", \"interfaces\": [\"lan\", \"wan9\"]}]"}},
     R0 ".host-access[0].interfaces[1]",
     "no interface named \"wan9\" on this router",
     1},
    {"host_access_interfaces_empty",
     {{R0 ".host-access", "[{\"protocol\": \"ospf\", \"interfaces\": []}]"}},
     R0 ".host-access[0].interfaces",
     "must not be empty (leave it out for every interface)",
     1},
    {"host_access_unknown_key",
     {{R0 ".host-access", "[{\"protocol\": \"tcp\", \"ports\": [\"22\"]}]"}},
     R0 ".host-access[0].ports",
     "unknown key (did you mean \"port\"?)",
     1},
    {"host_access_not_an_array",
     {{R0 ".host-access", "{\"protocol\": \"tcp\"}"}},
     R0 ".host-access",
     "must be an array",
     1},
    {"host_access_rule_not_an_object",
     {{R0 ".host-access", "[\"ssh\"]"}},
     R0 ".host-access[0]",
     "must be an object",
     1},
    {"list_not_array",
     {{"authority.services", "{}"}},
     "authority.services",
     "must be an array",
     1 /* references to services are not reported as well */},
    {"tenants_not_array",
     {{"authority.tenants", "\"t1\""}},
     "authority.tenants",
     "must be an array",
     1},
    {"list_element_not_object",
     {{"authority.tenants[2]", "\"t3\""}},
     "authority.tenants[2]",
     "must be an object",
     1},
    /* peers behind NAT and on DHCP (docs/paths.md "Peers behind NAT and learned addresses") */
    {"dhcp_with_ipv4_address",
     {{R0 ".interfaces[1].dhcp", "true"}, {R0 ".interfaces[1].gateway", NULL}},
     R0 ".interfaces[1].addresses[0]",
     "\"198.18.100.1/24\": with \"dhcp\": true the IPv4 address comes from DHCP",
     1},
    {"dhcp_with_ipv4_gateway",
     {{R0 ".interfaces[1].dhcp", "true"},
      {R0 ".interfaces[1].addresses", "[\"2001:db8::1/64\"]"},
      {R0 ".static-routes", "[]"}},
     R0 ".interfaces[1].gateway",
     "198.18.100.254: with \"dhcp\": true the IPv4 gateway is the DHCP server's router",
     1},
    {"dhcp_not_boolean",
     {{R0 ".interfaces[1].dhcp", "\"yes\""}},
     R0 ".interfaces[1].dhcp",
     "must be true or false",
     1},
    {"peer_connectivity_unknown",
     {{HOOD ".peer-connectivity", "\"inbound\""}},
     HOOD ".peer-connectivity",
     "\"inbound\" is not one of: bidirectional, outbound-only",
     1},
    {"outbound_only_without_bfd",
     {{HOOD ".peer-connectivity", "\"outbound-only\""}, {HOOD ".bfd", "{\"enabled\": false}"}},
     HOOD ".bfd.enabled",
     "must be true with \"peer-connectivity\": \"outbound-only\"",
     1},
    {"dhcp_without_bfd",
     {{"authority.routers[1].interfaces[0].dhcp", "true"},
      {"authority.routers[1].interfaces[0].addresses", "[]"},
      {"authority.routers[1].interfaces[0].neighborhoods[0].bfd", "{\"enabled\": false}"}},
     "authority.routers[1].interfaces[0].neighborhoods[0].bfd.enabled",
     "must be true on an interface with \"dhcp\": true",
     1},
    {"both_ends_behind_nat",
     {{HOOD ".peer-connectivity", "\"outbound-only\""},
      {"authority.routers[1].interfaces[0].neighborhoods[0].peer-connectivity",
       "\"outbound-only\""}},
     R0 ".service-routes[0].peer",
     "router \"rb\" is not a peer: in every neighborhood they share, both ends are behind NAT",
     1},
    {"behind_nat_and_peer_on_dhcp",
     {{HOOD ".peer-connectivity", "\"outbound-only\""},
      {"authority.routers[1].interfaces[0].dhcp", "true"},
      {"authority.routers[1].interfaces[0].addresses", "[]"}},
     R0 ".service-routes[0].peer",
     "router \"rb\" is not a peer: in every neighborhood they share, both ends are behind NAT",
     1},
};

static void bad_model(void **state)
{
	const struct bad_case *c = *state;
	json_t *doc = base();
	for (int i = 0; i < 3 && c->edits[i].path; i++)
		edit(doc, c->edits[i].path, c->edits[i].value);
	struct svr_model_errors e;
	svr_model_errors_init(&e);
	int rc = svr_model_validate(doc, &e);
	bool found = has_error(&e, c->path, c->message);
	unsigned count = e.count;
	if (rc != -1 || !found || count != c->count) {
		print_message("%s: want %u error(s) including\n  %s: %s\ngot %u:\n", c->name,
			      c->count, c->path, c->message, count);
		print_errors(&e);
	}
	/* Freed first: a failed assertion does not return. */
	svr_model_errors_free(&e);
	json_decref(doc);
	assert_int_equal(rc, -1);
	assert_true(found);
	assert_int_equal(count, c->count);
}

static void base_is_valid(void **state)
{
	(void)state;
	json_t *doc = base();
	assert_valid(doc);
	json_decref(doc);
}

/* The new fields at the ends of their ranges, and "bfd" with every key, are valid. */
static void path_fields_at_bounds_valid(void **state)
{
	(void)state;
	static const char *const bfds[] = {
	    "{\"desired-tx-ms\": 10, \"required-min-rx-ms\": 10, \"multiplier\": 3,"
	    " \"hold-down-s\": 0, \"max-hold-down-s\": 0, \"link-test-interval-s\": 1,"
	    " \"link-test-length\": 1, \"echo-interval-ms\": 10, \"enabled\": false}",
	    "{\"desired-tx-ms\": 600000, \"required-min-rx-ms\": 600000, \"multiplier\": 20,"
	    " \"hold-down-s\": 300, \"max-hold-down-s\": 3600, \"link-test-interval-s\": 3600,"
	    " \"link-test-length\": 100, \"echo-interval-ms\": 10000, \"enabled\": true}",
	    "{}",
	};
	for (int i = 0; i < 3; i++) {
		json_t *doc = base();
		edit(doc, HOOD ".bfd", bfds[i]);
		edit(doc, "authority.routers[1].interfaces[0].neighborhoods[0].bfd", bfds[2 - i]);
		edit(doc, "authority.service-policies[0].revert-hold-down-s", i ? "3600" : "0");
		edit(doc, "authority.service-policies[0].min-dwell-s", i ? "3600" : "0");
		edit(doc, R0 ".limits.degraded-capacity-pct", i ? "100" : "1");
		edit(doc, "authority.service-classes[0].dscp", i ? "63" : "0");
		assert_valid(doc);
		json_decref(doc);
	}
}

/* A router's host-access: the default's own text, [], and rules with every key are valid;
 * more than 64 rules are not. */
static void host_access_valid_and_too_many(void **state)
{
	(void)state;
	static const char *const lists[] = {
	    SVR_MODEL_HOST_ACCESS_DEFAULT,
	    "[]",
	    "[{\"protocol\": \"tcp\", \"port\": \"0-65535\", \"from\": [\"198.18.9.0/24\","
	    " \"2001:db8::/32\", \"198.18.1.7\"], \"interfaces\": [\"lan\", \"wan\"]},"
	    " {\"protocol\": 89, \"interfaces\": [\"wan\"]}, {\"protocol\": \"icmpv6\"},"
	    " {\"protocol\": \"icmp\"}, {\"protocol\": 6, \"port\": 0}, {\"protocol\": 17}]",
	};
	for (int i = 0; i < 3; i++) {
		json_t *doc = base();
		edit(doc, R0 ".host-access", lists[i]);
		assert_valid(doc);
		json_decref(doc);
	}
	json_t *doc = base();
	edit(doc, R0 ".host-access", "[]");
	json_t *list = json_object_get(
	    json_array_get(json_object_get(json_object_get(doc, "authority"), "routers"), 0),
	    "host-access");
	for (int i = 0; i < SVR_MODEL_MAX_HOST_ACCESS + 1; i++)
		json_array_append_new(list, json_pack("{s:s}", "protocol", "ospf"));
	struct svr_model_errors e;
	svr_model_errors_init(&e);
	int rc = svr_model_validate(doc, &e);
	bool found = has_error(&e, R0 ".host-access", "at most 64 host-access rules per router");
	unsigned count = e.count;
	if (!found)
		print_errors(&e);
	svr_model_errors_free(&e);
	json_decref(doc);
	assert_int_equal(rc, -1);
	assert_true(found);
	assert_int_equal(count, 1);
}

/* Tenants bound to kernel tables: 1, 252, 256 and 2^32-1 are valid, as are 16 distinct tables
 * (several tenants may share one); a 17th distinct table is refused at its path. */
static void tenant_tables_valid_and_too_many(void **state)
{
	(void)state;
	static const char *const ok[][2] = {{"1", "252"}, {"256", "4294967295"}, {"100", "100"}};
	for (int i = 0; i < 3; i++) {
		json_t *doc = base();
		edit(doc, "authority.tenants[0].routing-table", ok[i][0]);
		edit(doc, "authority.tenants[1].routing-table", ok[i][1]);
		assert_valid(doc);
		json_decref(doc);
	}
	json_t *doc = base();
	json_t *list = json_object_get(json_object_get(doc, "authority"), "tenants");
	for (int i = 0; i < SVR_IMG_TENANT_TABLES_MAX + 1; i++) {
		char name[16];
		snprintf(name, sizeof(name), "x%d", i);
		/* every table twice: a table shared by two tenants counts once */
		for (int k = 0; k < 2; k++) {
			char n2[20];
			snprintf(n2, sizeof(n2), "%s%s", name, k ? ".c" : "");
			json_array_append_new(
			    list, json_pack("{s:s, s:i}", "name", n2, "routing-table", 1000 + i));
		}
	}
	struct svr_model_errors e;
	svr_model_errors_init(&e);
	int rc = svr_model_validate(doc, &e);
	/* t1, t1.child, then x0, x0.c, ...: x16 is tenants[2 + 2 * 16] */
	bool found = has_error(&e, "authority.tenants[34].routing-table",
			       "table 1016: tenants are bound to at most 16 distinct tables");
	unsigned count = e.count;
	if (!found || count != 2)
		print_errors(&e);
	svr_model_errors_free(&e);
	json_decref(doc);
	assert_int_equal(rc, -1);
	assert_true(found);
	assert_int_equal(count, 2); /* x16 and x16.c: each tenant bound beyond the 16 */
}

static void not_an_object(void **state)
{
	(void)state;
	json_t *doc = json_array();
	struct svr_model_errors e;
	svr_model_errors_init(&e);
	assert_int_equal(svr_model_validate(doc, &e), -1);
	assert_int_equal(e.count, 1);
	assert_string_equal(e.list[0].path, "(top)");
	assert_string_equal(e.list[0].message, "the model must be a JSON object");
	svr_model_errors_free(&e);
	json_decref(doc);
}

/* ---- the example models in config/ ---- */

/* Opens a file of the source tree (e.g. "config/model-two-site.json"). */
static FILE *open_source(const char *rel)
{
	char path[4096];
	const char *root = getenv("SVR_SOURCE_ROOT");
	FILE *f = NULL;
	if (root) {
		snprintf(path, sizeof(path), "%s/%s", root, rel);
		f = fopen(path, "r");
	}
	/* __FILE__ is ".../tests/unit/test_validate.c", relative to where the compiler ran. */
	const char *file = __FILE__, *cut = strstr(file, "tests/unit/test_validate.c");
	if (!f && cut) {
		snprintf(path, sizeof(path), "%.*s%s", (int)(cut - file), file, rel);
		f = fopen(path, "r");
	}
	if (!f)
		f = fopen(rel, "r");
	if (!f)
		fail_msg("cannot open %s (set SVR_SOURCE_ROOT to the source tree)", rel);
	return f;
}

static json_t *load_config(const char *name)
{
	char rel[256];
	snprintf(rel, sizeof(rel), "config/%s", name);
	FILE *f = open_source(rel);
	json_error_t je;
	/* As svr-control should load models: a repeated key is an error, not an overwrite. */
	json_t *doc = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
	fclose(f);
	if (!doc)
		fail_msg("%s line %d: %s", rel, je.line, je.text);
	return doc;
}

/* The first ```json block of docs/model.md: the documented example must stay valid. */
static void documented_example(void **state)
{
	(void)state;
	FILE *f = open_source("docs/model.md");
	size_t cap = 1 << 16, len = 0;
	char *text = malloc(cap), line[1024];
	bool in = false, done = false;
	assert_non_null(text);
	while (!done && fgets(line, sizeof(line), f)) {
		if (!in) {
			in = strcmp(line, "```json\n") == 0;
			continue;
		}
		if (strcmp(line, "```\n") == 0) {
			done = true;
			continue;
		}
		size_t n = strlen(line);
		if (len + n + 1 > cap)
			break;
		memcpy(text + len, line, n);
		len += n;
	}
	fclose(f);
	text[len] = '\0';
	json_error_t je;
	json_t *doc = done ? json_loads(text, JSON_REJECT_DUPLICATES, &je) : NULL;
	free(text);
	if (!doc)
		fail_msg("docs/model.md: no complete ```json block, or it does not parse");
	assert_valid(doc);
	assert_non_null(svr_model_router(doc, "east-1"));
	assert_non_null(svr_model_router(doc, "hq-1"));
	json_decref(doc);
}

static void example_one_router(void **state)
{
	(void)state;
	json_t *doc = load_config("model-one-router.json");
	assert_valid(doc);
	const json_t *r1 = svr_model_router(doc, "r1");
	assert_non_null(r1);
	assert_int_equal(json_array_size(json_object_get(r1, "interfaces")), 2);
	assert_null(svr_model_router(doc, "r2"));
	json_decref(doc);
}

static void example_two_site(void **state)
{
	(void)state;
	json_t *doc = load_config("model-two-site.json");
	assert_valid(doc);
	assert_non_null(svr_model_router(doc, "r1"));
	const json_t *r2 = svr_model_router(doc, "r2");
	assert_non_null(r2);
	assert_string_equal(json_string_value(json_object_get(r2, "name")), "r2");
	assert_null(svr_model_router(doc, "r3"));
	json_decref(doc);
}

/* Two WAN paths between r1 and r2 (mpls and lte), BFD at 50 ms x 3, two policies. */
static void example_two_path(void **state)
{
	(void)state;
	json_t *doc = load_config("model-two-path.json");
	assert_valid(doc);
	assert_non_null(svr_model_router(doc, "r1"));
	assert_non_null(svr_model_router(doc, "r2"));
	json_decref(doc);
}

/* ---- whole documents ---- */

static void several_errors_all_reported(void **state)
{
	(void)state;
	json_t *doc = base();
	edit(doc, S0 ".transport[0].ports[1]", "\"9000-80\"");
	edit(doc, S0 ".access[0].source.tenant", "\"nobody\"");
	edit(doc, "authority.service-classes[0].dscp", "64");
	edit(doc, R0 ".interfaces[0].vlan", "5000");
	edit(doc, R0 ".static-routes[0].gateway", "\"2001:db8::1\"");
	edit(doc, "authority.routers[1].interfaces[0].mac", "\"ff:ff:ff:ff:ff:ff\"");
	struct svr_model_errors e;
	svr_model_errors_init(&e);
	assert_int_equal(svr_model_validate(doc, &e), -1);
	if (e.count != 6)
		print_errors(&e);
	assert_int_equal(e.count, 6);
	assert_true(has_error(&e, S0 ".transport[0].ports[1]", "\"9000-80\": start is greater"));
	assert_true(has_error(&e, S0 ".access[0].source.tenant", "no tenant named \"nobody\""));
	assert_true(
	    has_error(&e, "authority.service-classes[0].dscp", "64 is not between 0 and 63"));
	assert_true(has_error(&e, R0 ".interfaces[0].vlan", "5000 is not between 0 and 4094"));
	assert_true(has_error(&e, R0 ".static-routes[0].gateway", "2001:db8::1 is not of"));
	assert_true(has_error(&e, "authority.routers[1].interfaces[0].mac",
			      "\"ff:ff:ff:ff:ff:ff\" is a group (multicast) address"));
	svr_model_errors_free(&e);
	json_decref(doc);
}

static void errors_are_capped(void **state)
{
	(void)state;
	json_t *doc = base();
	json_t *services = json_object_get(json_object_get(doc, "authority"), "services");
	for (int i = 0; i < 1500; i++) {
		char name[32];
		snprintf(name, sizeof(name), "bad%d", i);
		/* One error each: the policy does not exist. */
		json_t *s = json_pack("{s:s, s:[s], s:s}", "name", name, "addresses",
				      "198.18.50.0/24", "policy", "missing");
		json_array_append_new(services, s);
	}
	struct svr_model_errors e;
	svr_model_errors_init(&e);
	assert_int_equal(svr_model_validate(doc, &e), -1);
	assert_int_equal(e.count, SVR_MODEL_MAX_ERRORS);
	assert_string_equal(e.list[0].path, "authority.services[1].policy");
	assert_string_equal(e.list[SVR_MODEL_MAX_ERRORS - 1].path, "(top)");
	assert_string_equal(e.list[SVR_MODEL_MAX_ERRORS - 1].message, "... and 501 more errors");
	svr_model_errors_free(&e);
	json_decref(doc);
}

/* A large authority: 10,000 services with transports and access rules, 100 tenants. */
static void ten_thousand_services(void **state)
{
	(void)state;
	json_t *doc = base();
	json_t *auth = json_object_get(doc, "authority");
	json_t *tenants = json_object_get(auth, "tenants");
	for (int i = 0; i < 100; i++) {
		char name[32];
		snprintf(name, sizeof(name), "t1.unit%d", i);
		json_array_append_new(tenants, json_pack("{s:s}", "name", name));
	}
	json_t *services = json_object_get(auth, "services");
	json_t *routes =
	    json_object_get(json_array_get(json_object_get(auth, "routers"), 0), "service-routes");
	for (int i = 0; i < 10000; i++) {
		char name[32], addr[32], tenant[32], port[16];
		snprintf(name, sizeof(name), "svc-%05d", i);
		snprintf(addr, sizeof(addr), "198.19.%d.%d/32", i / 250, i % 250 + 1);
		snprintf(tenant, sizeof(tenant), "t1.unit%d", i % 100);
		snprintf(port, sizeof(port), "%d", 1024 + i);
		json_t *s = json_pack("{s:s, s:[s], s:[{s:s, s:[s, s]}, {s:s}], s:[{s:{s:s}, s:s},"
				      " {s:{s:s}, s:s, s:s, s:s}], s:s}",
				      "name", name, "addresses", addr, "transport", "protocol",
				      "tcp", "ports", port, "8000-8099", "protocol", "icmp",
				      "access", "source", "tenant", tenant, "permission", "allow",
				      "source", "prefix", "198.18.1.0/25", "permission", "deny",
				      "valid-from", "2026-12-01T06:00:00Z", "valid-until",
				      "2026-12-01T18:00:00Z", "policy", "p1");
		assert_non_null(s);
		json_array_append_new(services, s);
		json_array_append_new(routes,
				      json_pack("{s:s, s:s}", "service", name, "peer", "rb"));
	}
	assert_valid(doc);
	json_decref(doc);
}

static void router_lookup(void **state)
{
	(void)state;
	json_t *doc = base();
	const json_t *rb = svr_model_router(doc, "rb");
	assert_non_null(rb);
	assert_ptr_equal(
	    rb, json_array_get(json_object_get(json_object_get(doc, "authority"), "routers"), 1));
	assert_null(svr_model_router(doc, "rz"));
	json_t *empty = json_object();
	assert_null(svr_model_router(empty, "ra"));
	json_decref(empty);
	json_decref(doc);
}

static void nat_and_dhcp_valid(void **state)
{
	(void)state;
	json_t *doc = base();
	/* two models: ra behind a NAT (rb learns ra's address from its BFD); then rb on DHCP (no
	 * IPv4 address, no gateway: ra learns rb's). Both at once are refused
	 * (both_ends_behind_nat) */
	edit(doc, HOOD ".peer-connectivity", "\"outbound-only\"");
	assert_valid(doc);
	edit(doc, HOOD ".peer-connectivity", "\"bidirectional\"");
	edit(doc, "authority.routers[1].interfaces[0].dhcp", "true");
	edit(doc, "authority.routers[1].interfaces[0].addresses", "[]");
	assert_valid(doc);
	json_decref(doc);
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
	    cmocka_unit_test(base_is_valid),
	    cmocka_unit_test(not_an_object),
	    cmocka_unit_test(example_one_router),
	    cmocka_unit_test(example_two_site),
	    cmocka_unit_test(documented_example),
	    cmocka_unit_test(several_errors_all_reported),
	    cmocka_unit_test(errors_are_capped),
	    cmocka_unit_test(ten_thousand_services),
	    cmocka_unit_test(router_lookup),
	    cmocka_unit_test(path_fields_at_bounds_valid),
	    cmocka_unit_test(example_two_path),
	    cmocka_unit_test(host_access_valid_and_too_many),
	    cmocka_unit_test(tenant_tables_valid_and_too_many),
	    cmocka_unit_test(nat_and_dhcp_valid),
	};
	size_t n_fixed = sizeof(fixed) / sizeof(fixed[0]);
	size_t n_bad = sizeof(bad_cases) / sizeof(bad_cases[0]);
	struct CMUnitTest *tests = calloc(n_fixed + n_bad, sizeof(*tests));
	if (!tests)
		return 1;
	memcpy(tests, fixed, sizeof(fixed));
	/* One named test per invalid model, so a failure says which. */
	for (size_t i = 0; i < n_bad; i++)
		tests[n_fixed + i] = (struct CMUnitTest){.name = bad_cases[i].name,
							 .test_func = bad_model,
							 .initial_state = (void *)&bad_cases[i]};
	int rc = _cmocka_run_group_tests("validate", tests, n_fixed + n_bad, NULL, NULL);
	free(tests);
	return rc;
}
