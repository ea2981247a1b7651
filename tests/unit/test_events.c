/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The event stream's pieces that need no DPDK and no network (docs/telemetry.md, "Events"):
 * the bounded log (src/common/evlog.c) numbers events, keeps the newest, and tells a reader how
 * many it missed; a reader from before its owner restarted reads from the start; the time is
 * RFC 3339 with milliseconds in UTC; svr-control's log (src/control/events/log.c) gives each
 * sink its own cursor, so a sink that falls behind loses the oldest, counted, while another
 * keeps up; and the wire formats: HEC objects one a line, Elasticsearch bulk action/document
 * pairs, the syslog datagram with facility local0.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/evlog.h"
#include "events/events.h"

static json_t *ev(const char *type, int n)
{
	json_t *e = svr_event_new(1764999797123LL, "r1", type);
	json_object_set_new(e, "n", json_integer(n));
	return e;
}

static void log_numbers_and_overwrites(void **state)
{
	(void)state;
	struct svr_evlog l;
	assert_int_equal(svr_evlog_init(&l, 4), 0);
	for (int i = 1; i <= 3; i++)
		assert_int_equal(svr_evlog_push(&l, ev("path-up", i)), i);
	uint64_t lost, last;
	json_t *a = svr_evlog_read(&l, 0, 10, &lost, &last);
	assert_int_equal(json_array_size(a), 3);
	assert_int_equal(lost, 0);
	assert_int_equal(last, 3);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(a, 0), "seq")), 1);
	/* the keys in the documented order */
	char *s = json_dumps(json_array_get(a, 0), JSON_COMPACT);
	assert_string_equal(s, "{\"seq\":1,\"time\":\"2025-12-06T05:43:17.123Z\",\"router\":\"r1\","
			       "\"type\":\"path-up\",\"n\":1}");
	free(s);
	json_decref(a);
	/* nothing new: the same cursor back */
	a = svr_evlog_read(&l, 3, 10, &lost, &last);
	assert_int_equal(json_array_size(a), 0);
	assert_int_equal(last, 3);
	json_decref(a);
	/* three more into four slots: seq 1 and 2 are gone, a reader at 0 is told so */
	for (int i = 4; i <= 6; i++)
		svr_evlog_push(&l, ev("path-up", i));
	assert_int_equal(svr_evlog_first(&l), 3);
	assert_int_equal(l.overwritten, 2);
	a = svr_evlog_read(&l, 0, 2, &lost, &last);
	assert_int_equal(lost, 2);
	assert_int_equal(json_array_size(a), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(a, 0), "seq")), 3);
	assert_int_equal(last, 4); /* max 2: the rest next time */
	json_decref(a);
	a = svr_evlog_read(&l, last, 10, &lost, &last);
	assert_int_equal(lost, 0);
	assert_int_equal(json_array_size(a), 2);
	assert_int_equal(last, 6);
	json_decref(a);
	/* a cursor beyond the newest (the owner restarted): everything held is new */
	a = svr_evlog_read(&l, 1000, 10, &lost, &last);
	assert_int_equal(json_array_size(a), 4);
	assert_int_equal(lost, 2);
	json_decref(a);
	svr_evlog_free(&l);
}

static void rfc3339_ms(void **state)
{
	(void)state;
	char t[32];
	svr_rfc3339_ms(0, t, sizeof(t));
	assert_string_equal(t, "1970-01-01T00:00:00.000Z");
	svr_rfc3339_ms(1764999797009LL, t, sizeof(t));
	assert_string_equal(t, "2025-12-06T05:43:17.009Z");
	json_t *e = svr_event_new(1764999797009LL, "r1", "x");
	assert_int_equal(svr_events_time_ms(e), 1764999797009LL);
	json_decref(e);
}

/* Two sinks on svr-control's log: one keeps up, one does not; only the second loses events. */
static void sinks_have_cursors(void **state)
{
	(void)state;
	assert_int_equal(svr_events_init(100, "r1"), 0);
	static struct svr_evsink fast = {.name = "fast"}, slow = {.name = "slow"};
	svr_events_sink_add(&fast);
	svr_events_sink_add(&slow);
	uint64_t last;
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 60; i++)
			svr_events_emit(svr_events_new("limit-hit"));
		json_t *a = svr_events_take(&fast, 1000, 0, &last);
		assert_int_equal(json_array_size(a), 60);
		svr_events_done(&fast, last, json_array_size(a));
		json_decref(a);
	}
	assert_int_equal(atomic_load(&fast.sent), 180);
	assert_int_equal(atomic_load(&fast.dropped), 0);
	/* 180 emitted, 100 kept: the slow sink missed 80, counted, and reads the other 100 */
	json_t *a = svr_events_take(&slow, 1000, 0, &last);
	assert_int_equal(json_array_size(a), 100);
	assert_int_equal(atomic_load(&slow.dropped), 80);
	assert_int_equal(slow.unreported, 80);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(a, 0), "seq")), 81);
	json_decref(a);
	/* nothing new: an empty batch after the wait */
	svr_events_done(&slow, last, 100);
	a = svr_events_take(&slow, 1000, 10, &last);
	assert_int_equal(json_array_size(a), 0);
	json_decref(a);
	json_t *r = svr_events_recent(170, 5);
	assert_int_equal(json_array_size(json_object_get(r, "events")), 5);
	assert_int_equal(json_array_size(json_object_get(r, "sinks")), 2);
	assert_int_equal(json_integer_value(json_object_get(r, "overwritten")), 80);
	json_decref(r);
	svr_events_fini();
	/* without a log, an event is let go, not kept */
	svr_events_emit(svr_events_new("config-applied"));
}

static json_t *two_events(void)
{
	json_t *a = json_array();
	json_array_append_new(a, ev("path-down", 1));
	json_array_append_new(a, ev("session-denied", 2));
	json_object_set_new(json_array_get(a, 1), "source", json_string("198.18.1.2"));
	return a;
}

/* A line of text, as a JSON object (fails the test when it is not one). */
static json_t *line_json(const char *start, size_t len)
{
	json_error_t err;
	json_t *j = json_loadb(start, len, JSON_REJECT_DUPLICATES, &err);
	assert_non_null(j);
	assert_true(json_is_object(j));
	return j;
}

static void hec_format(void **state)
{
	(void)state;
	json_t *a = two_events();
	size_t len;
	char *body = svr_events_hec(a, &len);
	assert_non_null(body);
	assert_int_equal(strlen(body), len);
	char *nl = strchr(body, '\n');
	assert_non_null(nl);
	json_t *o = line_json(body, (size_t)(nl - body));
	assert_string_equal(json_string_value(json_object_get(o, "sourcetype")), "svrouter:event");
	assert_string_equal(json_string_value(json_object_get(o, "host")), "r1");
	assert_true(json_real_value(json_object_get(o, "time")) > 1764999797.12 &&
		    json_real_value(json_object_get(o, "time")) < 1764999797.13);
	assert_string_equal(json_string_value(json_object_get(json_object_get(o, "event"), "type")),
			    "path-down");
	json_decref(o);
	char *second = nl + 1, *end = strchr(second, '\n');
	o = line_json(second, (size_t)(end - second));
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(o, "event"), "source")),
	    "198.18.1.2");
	json_decref(o);
	assert_string_equal(end, "\n");
	free(body);
	json_decref(a);
}

static void elastic_format(void **state)
{
	(void)state;
	json_t *a = two_events();
	size_t len;
	char *body = svr_events_elastic(a, "svr-ev", &len);
	assert_non_null(body);
	assert_int_equal(body[len - 1], '\n');
	/* four lines: action, document, action, document */
	char *p = body;
	for (int i = 0; i < 4; i++) {
		char *nl = strchr(p, '\n');
		assert_non_null(nl);
		json_t *o = line_json(p, (size_t)(nl - p));
		if (i % 2 == 0) {
			assert_string_equal(json_string_value(json_object_get(
						json_object_get(o, "index"), "_index")),
					    "svr-ev");
		} else {
			assert_string_equal(json_string_value(json_object_get(o, "@timestamp")),
					    "2025-12-06T05:43:17.123Z");
			assert_int_equal(json_integer_value(json_object_get(o, "n")), i / 2 + 1);
		}
		json_decref(o);
		p = nl + 1;
	}
	assert_string_equal(p, "");
	free(body);
	/* no events: an empty body, not a failure */
	json_t *none = json_array();
	body = svr_events_elastic(none, "svr-ev", &len);
	assert_non_null(body);
	assert_int_equal(len, 0);
	free(body);
	json_decref(none);
	json_decref(a);
}

static void syslog_line(void **state)
{
	(void)state;
	json_t *e = ev("path-down", 1);
	char buf[512];
	size_t n = svr_events_syslog_line(e, "svr-control", 42, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(strlen(buf), n);
	assert_memory_equal(buf, "<132>", 5); /* local0 (16) * 8 + warning (4) */
	char *json = strstr(buf, "svr-control[42]: ");
	assert_non_null(json);
	json_t *o = line_json(json + 17, strlen(json + 17));
	assert_true(json_equal(o, e));
	json_decref(o);
	assert_int_equal(svr_events_severity("config-applied"), 6);
	assert_int_equal(svr_events_severity("session-denied"), 5);
	/* too long for the buffer: refused, not cut */
	assert_int_equal(svr_events_syslog_line(e, "svr-control", 42, buf, 40), 0);
	json_decref(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(log_numbers_and_overwrites),
	    cmocka_unit_test(rfc3339_ms),
	    cmocka_unit_test(sinks_have_cursors),
	    cmocka_unit_test(hec_format),
	    cmocka_unit_test(elastic_format),
	    cmocka_unit_test(syslog_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
