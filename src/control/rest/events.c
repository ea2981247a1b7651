/* SPDX-License-Identifier: BSD-3-Clause */
/* GET /api/v1/events: the newest events svr-control holds and its sinks' counters
 * (docs/telemetry.md, "Events"). Served from memory: never waits for a sink or the dataplane. */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>

#include "events/events.h"
#include "rest_int.h"

#define EVENTS_MAX_DEFAULT 100
#define EVENTS_MAX         1000

/* The query argument key as a whole number in [0, max]: 0, or -1 with err (absent: *v kept). */
static int number_arg(const struct rest_in *in, const char *key, unsigned long long max,
		      unsigned long long *v, char *err, size_t errlen)
{
	const char *t = rest_query(in, key);
	if (!t)
		return 0;
	char *end;
	unsigned long long n = strtoull(t, &end, 10);
	if (!*t || *end || *t == '-' || n > max) {
		snprintf(err, errlen, "%s: a whole number 0-%llu", key, max);
		return -1;
	}
	*v = n;
	return 0;
}

void rest_events_get(struct svr_rest *r, const struct rest_route *rt, const struct rest_in *in,
		     struct rest_reply *out)
{
	(void)r;
	(void)rt;
	static const char *const known[] = {"after", "max", NULL};
	unsigned long long after = 0, max = EVENTS_MAX_DEFAULT;
	char err[256];
	if (rest_query_check(in, known, err, sizeof(err)) < 0 ||
	    number_arg(in, "after", (unsigned long long)INT64_MAX, &after, err, sizeof(err)) < 0 ||
	    number_arg(in, "max", EVENTS_MAX, &max, err, sizeof(err)) < 0) {
		rest_error(out, MHD_HTTP_BAD_REQUEST, "%s", err);
		return;
	}
	json_t *o = svr_events_recent(after, (unsigned)max);
	if (!o) {
		rest_error(out, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
		return;
	}
	rest_json(out, MHD_HTTP_OK, o);
}
