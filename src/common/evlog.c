/* SPDX-License-Identifier: BSD-3-Clause */
/* The bounded event log (evlog.h). */
#include "common/evlog.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int svr_evlog_init(struct svr_evlog *l, uint32_t cap)
{
	l->ev = calloc(cap ? cap : 1, sizeof(*l->ev));
	l->cap = cap ? cap : 1;
	l->next_seq = 1;
	l->overwritten = 0;
	return l->ev ? 0 : -1;
}

void svr_evlog_free(struct svr_evlog *l)
{
	for (uint32_t i = 0; l->ev && i < l->cap; i++)
		json_decref(l->ev[i]);
	free(l->ev);
	l->ev = NULL;
}

uint64_t svr_evlog_first(const struct svr_evlog *l)
{
	return l->next_seq - 1 > l->cap ? l->next_seq - l->cap : 1;
}

uint64_t svr_evlog_push(struct svr_evlog *l, json_t *e)
{
	uint64_t seq = l->next_seq++;
	json_t **slot = &l->ev[seq % l->cap];
	if (*slot)
		l->overwritten++;
	json_decref(*slot);
	json_object_set_new(e, "seq", json_integer((json_int_t)seq));
	*slot = e;
	return seq;
}

json_t *svr_evlog_read(const struct svr_evlog *l, uint64_t after, unsigned max, uint64_t *lost,
		       uint64_t *last)
{
	json_t *out = json_array();
	uint64_t first = svr_evlog_first(l);
	if (after >= l->next_seq)
		after = 0; /* a sequence number from before the log's owner restarted */
	*lost = after + 1 < first ? first - after - 1 : 0;
	uint64_t s = after + 1 < first ? first : after + 1;
	for (unsigned n = 0; out && s < l->next_seq && n < max; s++, n++)
		json_array_append(out, l->ev[s % l->cap]);
	*last = s - 1 > after ? s - 1 : after;
	return out;
}

json_t *svr_event_new(int64_t unix_ms, const char *router, const char *type)
{
	char t[32];
	svr_rfc3339_ms(unix_ms, t, sizeof(t));
	return json_pack("{s:i, s:s, s:s, s:s}", "seq", 0, "time", t, "router",
			 router ? router : "", "type", type);
}

void svr_rfc3339_ms(int64_t unix_ms, char *out, size_t len)
{
	time_t s = (time_t)(unix_ms / 1000);
	int ms = (int)(unix_ms % 1000);
	if (ms < 0) {
		ms += 1000;
		s--;
	}
	struct tm tm;
	gmtime_r(&s, &tm);
	snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}
