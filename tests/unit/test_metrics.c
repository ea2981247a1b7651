/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * svr-control's GET /metrics text (src/control/metrics.c) from canned control-socket answers:
 * label values and HELP escaped as the exposition format says, a dataplane that did not answer
 * gives svr-control's families and svr_dataplane_up 0, units scaled to base units (loss ratio,
 * seconds), the apply histogram cumulative, each peer's degraded state once, and the whole text
 * accepted by `promtool check metrics` (Debian's prometheus package; that part is skipped, and
 * says so, when promtool is not installed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "metrics.h"

static const char ports_json[] =
    "[{\"id\": 0, \"name\": \"net_af_packet0\", \"link\": \"up\", \"rx-packets\": 10,"
    "  \"rx-bytes\": 1000, \"tx-packets\": 9, \"tx-bytes\": 900, \"rx-missed\": 1,"
    "  \"rx-errors\": 2, \"tx-errors\": 3, \"rx-nombuf\": 4},"
    " {\"id\": 1, \"name\": \"net_af_packet1\", \"link\": \"down\", \"rx-packets\": 0,"
    "  \"rx-bytes\": 0, \"tx-packets\": 0, \"tx-bytes\": 0, \"rx-missed\": 0,"
    "  \"rx-errors\": 0, \"tx-errors\": 0, \"rx-nombuf\": 0}]";
static const char interfaces_json[] =
    "[{\"name\": \"lan\", \"port\": 0, \"vlan\": 0}, {\"name\": \"guest\", \"port\": 0,"
    "  \"vlan\": 20}, {\"name\": \"wan\", \"port\": 1, \"vlan\": 0}]";
static const char stats_json[] =
    "{\"totals\": {\"rx-packets\": 10, \"tx-packets\": 9, \"forwarded\": 8, \"punted\": 1,"
    "  \"dropped\": 1}, \"drops\": {\"no-route\": 1, \"ttl-exceeded\": 0},"
    " \"events\": {\"path-up\": 2}}";
/* A tenant name with every character the format escapes in a label value. */
static const char counts_json[] =
    "{\"sessions\": 7, \"summary\": {\"capacity\": 65536, \"limit\": 1000, \"in-use\": 7,"
    "  \"half-open-tcp\": 1, \"created\": 20, \"aged\": 12, \"cleared\": 1,"
    "  \"memory-bytes\": 123456},"
    " \"by-name\": [{\"tenant\": \"lab\", \"service\": \"web\", \"sessions\": 5},"
    "  {\"tenant\": \"a\\\"b\\\\c\\nd\", \"service\": null, \"sessions\": 2}]}";
static const char peers_json[] =
    "{\"paths\": ["
    "  {\"peer\": \"r2\", \"path\": \"core/wan\", \"bfd\": {\"state\": \"up\", \"usable\": true,"
    "   \"quality\": {\"loss-pct\": 5.0, \"latency-ms\": 12.5, \"jitter-ms\": 1.5, \"mos\": 4.2,"
    "    \"samples\": 9}, \"transitions\": {\"up\": 2, \"down\": 1}}},"
    "  {\"peer\": \"r2\", \"path\": \"lte/wan2\", \"bfd\": {\"state\": \"down\", \"usable\": false,"
    "   \"quality\": {\"loss-pct\": 100.0, \"latency-ms\": 0, \"jitter-ms\": 0, \"mos\": 1,"
    "    \"samples\": 0}, \"transitions\": {\"up\": 0, \"down\": 0}}},"
    "  {\"peer\": \"r3\", \"path\": \"core/wan\", \"bfd\": null}],"
    " \"security\": {}, \"degraded\": [{\"peer\": \"r2\", \"since-s\": 3.0}]}";

struct fixture {
	json_t *ports, *interfaces, *stats, *counts, *peers;
	struct svr_metrics_src m;
};

static json_t *parse(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);
	if (!j)
		fail_msg("canned JSON: %s (line %d)", e.text, e.line);
	return j;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->ports = parse(ports_json);
	f->interfaces = parse(interfaces_json);
	f->stats = parse(stats_json);
	f->counts = parse(counts_json);
	f->peers = parse(peers_json);
	f->m = (struct svr_metrics_src){.version = "0.1.0",
					.router = "r1",
					.instance = "in\"st",
					.uptime_s = 12.5,
					.published = 4,
					.acked = 4,
					.rejected = 2,
					.dataplane_up = true,
					.ports = f->ports,
					.interfaces = f->interfaces,
					.stats = f->stats,
					.counts = f->counts,
					.peers = f->peers};
	/* 0.003 s, 0.04 s, 60 s (above every bucket) */
	f->m.apply.bucket[0] = 1;
	f->m.apply.bucket[3] = 1;
	f->m.apply.count = 3;
	f->m.apply.sum_s = 60.043;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	json_decref(f->ports);
	json_decref(f->interfaces);
	json_decref(f->stats);
	json_decref(f->counts);
	json_decref(f->peers);
	free(f);
	return 0;
}

static char *render(const struct svr_metrics_src *m)
{
	size_t len = 0;
	char *text = svr_metrics_render(m, &len);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	assert_true(len > 0 && text[len - 1] == '\n');
	return text;
}

/* line must be one whole line of text. */
static void has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
	fail_msg("no line \"%s\" in:\n%s", line, text);
}

static void every_family(void **state)
{
	struct fixture *f = *state;
	char *t = render(&f->m);
	has_line(t, "svr_dataplane_up 1");
	has_line(t, "# TYPE svr_port_receive_packets_total counter");
	has_line(t,
		 "svr_port_receive_packets_total{port=\"net_af_packet0\",interface=\"lan,guest\"}"
		 " 10");
	has_line(t,
		 "svr_port_transmit_errors_total{port=\"net_af_packet0\",interface=\"lan,guest\"}"
		 " 3");
	has_line(t, "svr_port_link_up{port=\"net_af_packet1\",interface=\"wan\"} 0");
	has_line(t, "svr_dropped_packets_total{reason=\"no-route\"} 1");
	has_line(t, "svr_dropped_packets_total{reason=\"ttl-exceeded\"} 0");
	has_line(t, "svr_dataplane_events_total{event=\"path-up\"} 2");
	has_line(t, "svr_dataplane_forwarded_packets_total 8");
	has_line(t, "svr_sessions_live{tenant=\"lab\",service=\"web\"} 5");
	has_line(t, "svr_sessions_created_total 20");
	has_line(t, "svr_sessions_limit 1000");
	has_line(t, "svr_policy_published_generation 4");
	has_line(t, "svr_policy_acknowledged_generation 4");
	has_line(t, "svr_policy_rejected_generation 2");
	free(t);
}

static void labels_escaped(void **state)
{
	struct fixture *f = *state;
	char *t = render(&f->m);
	/* a"b\c<newline>d as a"b\\c\nd with the quote escaped; a null name as "" */
	has_line(t, "svr_sessions_live{tenant=\"a\\\"b\\\\c\\nd\",service=\"\"} 2");
	has_line(t, "svr_control_info{version=\"0.1.0\",router=\"r1\",dataplane_instance=\"in\\\"st\"} 1");
	free(t);
}

static void units_and_peers(void **state)
{
	struct fixture *f = *state;
	char *t = render(&f->m);
	has_line(t, "svr_peer_path_up{peer=\"r2\",path=\"core/wan\"} 1");
	has_line(t, "svr_peer_path_up{peer=\"r2\",path=\"lte/wan2\"} 0");
	has_line(t, "svr_peer_path_usable{peer=\"r2\",path=\"lte/wan2\"} 0");
	has_line(t, "svr_peer_path_loss_ratio{peer=\"r2\",path=\"core/wan\"} 0.05");
	has_line(t, "svr_peer_path_loss_ratio{peer=\"r2\",path=\"lte/wan2\"} 1");
	has_line(t, "svr_peer_path_latency_seconds{peer=\"r2\",path=\"core/wan\"} 0.0125");
	has_line(t, "svr_peer_path_jitter_seconds{peer=\"r2\",path=\"core/wan\"} 0.0015");
	has_line(t, "svr_peer_path_mos{peer=\"r2\",path=\"core/wan\"} 4.2");
	has_line(t, "svr_peer_path_transitions_total{peer=\"r2\",path=\"core/wan\",to=\"down\"} 1");
	/* a path without BFD has no liveness or quality series */
	assert_null(strstr(t, "peer=\"r3\",path"));
	/* each peer once */
	has_line(t, "svr_peer_degraded{peer=\"r2\"} 1");
	has_line(t, "svr_peer_degraded{peer=\"r3\"} 0");
	const char *first = strstr(t, "svr_peer_degraded{peer=\"r2\"}");
	assert_null(strstr(first + 1, "svr_peer_degraded{peer=\"r2\"}"));
	free(t);
}

static void histogram_cumulative(void **state)
{
	struct fixture *f = *state;
	char *t = render(&f->m);
	has_line(t, "# TYPE svr_policy_apply_duration_seconds histogram");
	has_line(t, "svr_policy_apply_duration_seconds_bucket{le=\"0.005\"} 1");
	has_line(t, "svr_policy_apply_duration_seconds_bucket{le=\"0.025\"} 1");
	has_line(t, "svr_policy_apply_duration_seconds_bucket{le=\"0.05\"} 2");
	has_line(t, "svr_policy_apply_duration_seconds_bucket{le=\"30\"} 2");
	has_line(t, "svr_policy_apply_duration_seconds_bucket{le=\"+Inf\"} 3");
	has_line(t, "svr_policy_apply_duration_seconds_sum 60.043");
	has_line(t, "svr_policy_apply_duration_seconds_count 3");
	free(t);
}

static void dataplane_down(void **state)
{
	struct fixture *f = *state;
	struct svr_metrics_src m = f->m;
	m.dataplane_up = false; /* answers given are not used then */
	char *t = render(&m);
	has_line(t, "svr_dataplane_up 0");
	has_line(t, "svr_policy_acknowledged_generation 4");
	assert_null(strstr(t, "svr_port_"));
	assert_null(strstr(t, "svr_sessions_"));
	assert_null(strstr(t, "svr_peer_"));
	assert_null(strstr(t, "svr_dropped_"));
	free(t);
	/* up, but one command unanswered (an older dataplane): that family alone is left out */
	m.dataplane_up = true;
	m.counts = NULL;
	t = render(&m);
	has_line(t, "svr_dataplane_up 1");
	assert_null(strstr(t, "svr_sessions_"));
	has_line(t, "svr_dropped_packets_total{reason=\"no-route\"} 1");
	free(t);
}

/* 0: promtool accepted text; 77: no promtool. */
static int promtool_check(const char *text)
{
	if (access("/usr/bin/promtool", X_OK) != 0)
		return 77;
	FILE *p = popen("/usr/bin/promtool check metrics", "w");
	assert_non_null(p);
	fputs(text, p);
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void promtool_accepts(void **state)
{
	struct fixture *f = *state;
	char *t = render(&f->m);
	int rc = promtool_check(t);
	if (rc == 77)
		print_message("promtool not installed (Debian package prometheus): not checked\n");
	else
		assert_int_equal(rc, 0);
	free(t);
	struct svr_metrics_src m = f->m;
	m.dataplane_up = false;
	t = render(&m);
	rc = promtool_check(t);
	if (rc != 77)
		assert_int_equal(rc, 0);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(every_family, setup, teardown),
	    cmocka_unit_test_setup_teardown(labels_escaped, setup, teardown),
	    cmocka_unit_test_setup_teardown(units_and_peers, setup, teardown),
	    cmocka_unit_test_setup_teardown(histogram_cumulative, setup, teardown),
	    cmocka_unit_test_setup_teardown(dataplane_down, setup, teardown),
	    cmocka_unit_test_setup_teardown(promtool_accepts, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
