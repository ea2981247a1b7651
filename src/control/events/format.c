/* SPDX-License-Identifier: BSD-3-Clause */
/* The events' formats on the wire (events.h): HEC, Elasticsearch bulk, syslog. No I/O. */
#include "events/events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/textbuf.h"
#include "common/timeutil.h"

int64_t svr_events_time_ms(const json_t *e)
{
	const char *t = json_string_value(json_object_get(e, "time"));
	int64_t s;
	if (!t || svr_rfc3339_parse(t, &s) < 0)
		return -1;
	int ms = 0;
	const char *dot = strchr(t, '.');
	for (int i = 1; dot && i <= 3 && dot[i] >= '0' && dot[i] <= '9'; i++)
		ms += (dot[i] - '0') * (i == 1 ? 100 : i == 2 ? 10 : 1);
	return s * 1000 + ms;
}

/* json (compact) and a newline. */
static void put_json(struct svr_textbuf *b, const json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);
	if (!s) {
		svr_textbuf_fail(b);
		return;
	}
	svr_textbuf_puts(b, s);
	svr_textbuf_put(b, "\n", 1);
	free(s);
}

static const char *str_or_empty(const json_t *s)
{
	return json_is_string(s) ? json_string_value(s) : "";
}

char *svr_events_hec(const json_t *events, size_t *len)
{
	struct svr_textbuf b = {0};
	size_t i;
	const json_t *e;
	json_array_foreach (events, i, e) {
		int64_t ms = svr_events_time_ms(e);
		/* HEC's time: epoch seconds, with milliseconds as the fraction */
		json_t *w = json_pack("{s:f, s:s, s:s, s:s, s:O}", "time",
				      ms < 0 ? 0.0 : (double)ms / 1000.0, "host",
				      str_or_empty(json_object_get(e, "router")), "source",
				      "svrouter", "sourcetype", "svrouter:event", "event", e);
		if (!w) {
			free(b.p);
			return NULL;
		}
		put_json(&b, w);
		json_decref(w);
	}
	return svr_textbuf_take(&b, len); /* no events: an empty body */
}

char *svr_events_elastic(const json_t *events, const char *index, size_t *len)
{
	struct svr_textbuf b = {0};
	json_t *action = json_pack("{s:{s:s}}", "index", "_index", index);
	size_t i;
	const json_t *e;
	json_array_foreach (events, i, e) {
		json_t *doc = json_deep_copy(e);
		if (!doc || !action) {
			json_decref(doc);
			json_decref(action);
			free(b.p);
			return NULL;
		}
		json_object_set(doc, "@timestamp", json_object_get(e, "time"));
		put_json(&b, action);
		put_json(&b, doc);
		json_decref(doc);
	}
	json_decref(action);
	return svr_textbuf_take(&b, len); /* no events: an empty body */
}

int svr_events_severity(const char *type)
{
	static const char *const warning[] = {"path-down",       "degraded-enter", "migrate-failed",
					      "config-rejected", "conductor-lost", "events-lost"};
	static const char *const notice[] = {"session-denied", "limit-hit", "path-up",
					     "degraded-leave", "key-rotated"};
	for (size_t i = 0; type && i < sizeof(warning) / sizeof(*warning); i++)
		if (strcmp(type, warning[i]) == 0)
			return 4;
	for (size_t i = 0; type && i < sizeof(notice) / sizeof(*notice); i++)
		if (strcmp(type, notice[i]) == 0)
			return 5;
	return 6; /* informational */
}

size_t svr_events_syslog_line(const json_t *e, const char *tag, int pid, char *out, size_t cap)
{
	enum { LOCAL0 = 16 };
	int pri = LOCAL0 * 8 + svr_events_severity(json_string_value(json_object_get(e, "type")));
	/* RFC 3164's timestamp is local time without a year; the event keeps the exact UTC one */
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	char stamp[32];
	strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
	char *json = json_dumps(e, JSON_COMPACT);
	if (!json)
		return 0;
	int n = snprintf(out, cap, "<%d>%s %s[%d]: %s", pri, stamp, tag, pid, json);
	free(json);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}
