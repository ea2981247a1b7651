/* SPDX-License-Identifier: BSD-3-Clause */
/* The session commands' arguments (command_args.h). */
#include "session/command_args.h"

#include <stdio.h>

#include "ctlsock/request.h"
#include "svr/ctlsock.h"

/* "sessions": its filters and paging. */
int dp_sessions_args_parse(const json_t *req, void *args, char *err, size_t errlen)
{
	struct dp_sessions_args *r = args;
	r->limit = 100;
	r->tenant = json_string_value(json_object_get(req, "tenant"));
	r->service = json_string_value(json_object_get(req, "service"));
	const char *addr = json_string_value(json_object_get(req, "address"));
	if (addr) {
		if (svr_ip_parse(addr, &r->addr) < 0) {
			snprintf(err, errlen, "address: not an IPv4 or IPv6 address");
			return -1;
		}
		r->has_addr = true;
	}
	const json_t *c = json_object_get(req, "cursor"), *l = json_object_get(req, "limit");
	if (c && (!json_is_integer(c) || json_integer_value(c) < 0 ||
		  json_integer_value(c) > UINT32_MAX)) {
		snprintf(err, errlen, "cursor: must be the \"next\" value of a previous answer");
		return -1;
	}
	if (l && (!json_is_integer(l) || json_integer_value(l) < 1 ||
		  json_integer_value(l) > SVR_CTLSOCK_MAX_SESSIONS)) {
		snprintf(err, errlen, "limit: must be an integer 1-%d", SVR_CTLSOCK_MAX_SESSIONS);
		return -1;
	}
	if (c)
		r->cursor = (uint32_t)json_integer_value(c);
	if (l)
		r->limit = (uint32_t)json_integer_value(l);
	return 0;
}

/* "session", "session-clear": the UUID. One that is not a UUID names no live session. */
int dp_session_uuid_args_parse(const json_t *req, void *args, char *err, size_t errlen)
{
	struct dp_session_uuid_args *r = args;
	r->uuid_text = json_string_value(json_object_get(req, "uuid"));
	if (!r->uuid_text) {
		snprintf(err, errlen, "uuid: required");
		return -1;
	}
	r->uuid_valid = dp_ctl_uuid_parse(r->uuid_text, r->uuid) == 0;
	return 0;
}

/* "test-clock": offset-s (an integer, at most 2^40 either way; required unless hold is given),
 * at-unix-s (optional, >= 0) and hold (optional boolean). */
int dp_test_clock_args_parse(const json_t *req, void *args, char *err, size_t errlen)
{
	struct dp_test_clock_args *r = args;
	const json_t *off = json_object_get(req, "offset-s"),
		     *at = json_object_get(req, "at-unix-s"), *hold = json_object_get(req, "hold");
	json_int_t o = json_integer_value(off), a = json_integer_value(at);
	if (hold && !json_is_boolean(hold)) {
		snprintf(err, errlen, "hold: true or false");
		return -1;
	}
	if ((off || !hold) && (!json_is_integer(off) || o < -(1LL << 40) || o > (1LL << 40))) {
		snprintf(err, errlen, "offset-s: an integer of seconds, at most 2^40 either way");
		return -1;
	}
	if (at && (!off || !json_is_integer(at) || a < 0)) {
		snprintf(err, errlen, "at-unix-s: a unix time in seconds, with offset-s");
		return -1;
	}
	r->set_offset = off != NULL;
	r->clock_offset_s = (int64_t)o;
	r->clock_at_s = (int64_t)a;
	r->hold = hold ? json_is_true(hold) : -1;
	return 0;
}
