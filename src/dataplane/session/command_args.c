/* SPDX-License-Identifier: BSD-3-Clause */
/* The session commands' arguments (command_args.h). */
#include "session/command_args.h"

#include <stdio.h>
#include <stdarg.h>
#include <string.h>

#include "ctlsock/request.h"
#include "svr/ctlsock.h"

/* A filter given as anything but a string would select nothing, or, ignored, everything. */
static int string_arg(const json_t *req, const char *key, const char **out, char *err,
		      size_t errlen)
{
	const json_t *v = json_object_get(req, key);
	*out = json_string_value(v);
	if (v && !*out) {
		snprintf(err, errlen, "%s: a string", key);
		return -1;
	}
	return 0;
}

/* "sessions"' and "sessions-clear"'s filters: tenant, service, address (each optional). */
static int filter_args(const json_t *req, const char **tenant, const char **service, bool *has_addr,
		       struct svr_ip *ip, char *err, size_t errlen)
{
	const char *addr;
	if (string_arg(req, "tenant", tenant, err, errlen) < 0 ||
	    string_arg(req, "service", service, err, errlen) < 0 ||
	    string_arg(req, "address", &addr, err, errlen) < 0)
		return -1;
	if (addr) {
		if (svr_ip_parse(addr, ip) < 0) {
			snprintf(err, errlen, "address: not an IPv4 or IPv6 address");
			return -1;
		}
		*has_addr = true;
	}
	return 0;
}

/* "sessions": its filters and paging. */
int dp_sessions_args_parse(const json_t *req, void *args, char *err, size_t errlen)
{
	struct dp_sessions_args *r = args;
	r->limit = 100;
	if (filter_args(req, &r->tenant, &r->service, &r->has_addr, &r->addr, err, errlen) < 0)
		return -1;
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

/* "sessions-clear": the filters of "sessions", names no longer than a model's; no paging (a
 * limit would not bound the clear: refused rather than ignored). */
int dp_sessions_clear_args_parse(const json_t *req, void *args, char *err, size_t errlen)
{
	struct dp_sessions_clear_args *r = args;
	if (filter_args(req, &r->tenant, &r->service, &r->has_addr, &r->addr, err, errlen) < 0)
		return -1;
	if (r->tenant && strlen(r->tenant) > DP_SESSION_NAME_MAX) {
		snprintf(err, errlen, "tenant: a name of at most %d bytes", DP_SESSION_NAME_MAX);
		return -1;
	}
	if (r->service && strlen(r->service) > DP_SESSION_NAME_MAX) {
		snprintf(err, errlen, "service: a name of at most %d bytes", DP_SESSION_NAME_MAX);
		return -1;
	}
	/* a misspelt filter must not widen a clear to every session: no key it does not know,
	 * and "all": true where no filter is given */
	const char *key;
	const json_t *v;
	json_object_foreach ((json_t *)req, key, v) {
		static const char *const known[] = {"cmd", "tenant", "service", "address", "all"};
		bool ok = false;
		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			ok |= strcmp(key, known[i]) == 0;
		if (!ok) {
			snprintf(
			    err, errlen,
			    "%.32s: not an argument of sessions-clear (tenant, service, address, "
			    "all)",
			    key);
			return -1;
		}
	}
	const json_t *all = json_object_get(req, "all");
	if (all && !json_is_true(all)) {
		snprintf(err, errlen, "all: true, or left out");
		return -1;
	}
	bool filtered = r->tenant || r->service || r->has_addr;
	if (filtered == (all != NULL)) {
		snprintf(err, errlen,
			 filtered ? "all: not with a filter (tenant, service, address)"
				  : "all: true is needed to clear every session (or name a tenant, "
				    "service or address)");
		return -1;
	}
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

/* A sentence for the client into err; -1 (no logging library: the fuzzer links this file). */
static int arg_error(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int arg_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* A port argument: absent 0, else an integer 0-65535. */
static int port_arg(const json_t *req, const char *key, uint16_t *out, char *err, size_t errlen)
{
	const json_t *p = json_object_get(req, key);
	if (!p)
		return 0;
	if (!json_is_integer(p) || json_integer_value(p) < 0 || json_integer_value(p) > 65535)
		return arg_error(err, errlen, "%s: must be an integer 0-65535", key);
	*out = (uint16_t)json_integer_value(p);
	return 0;
}

/* "why": protocol (a name or 0-255), source and destination (one family), ports, interface. */
int dp_session_why_args_parse(const json_t *req, void *args, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		uint8_t proto;
	} names[] = {{"tcp", 6}, {"udp", 17}, {"icmp", 1}, {"icmpv6", 58}};
	struct dp_why_args *r = args;
	const char *uuid = json_string_value(json_object_get(req, "uuid"));
	if (uuid) { /* a live session's why: nothing else is read */
		r->has_uuid = true;
		r->uuid_valid = dp_ctl_uuid_parse(uuid, r->uuid) == 0;
		return 0;
	}
	const json_t *p = json_object_get(req, "protocol");
	bool known = false;
	for (size_t i = 0; json_is_string(p) && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(json_string_value(p), names[i].name) == 0) {
			r->proto = names[i].proto;
			known = true;
		}
	if (json_is_integer(p) && json_integer_value(p) >= 0 && json_integer_value(p) <= 255) {
		r->proto = (uint8_t)json_integer_value(p);
		known = true;
	}
	if (!known)
		return arg_error(err, errlen, "protocol: tcp, udp, icmp, icmpv6 or a number 0-255");
	const char *src = json_string_value(json_object_get(req, "source"));
	const char *dst = json_string_value(json_object_get(req, "destination"));
	if (!src || svr_ip_parse(src, &r->src) < 0)
		return arg_error(err, errlen, "source: an IPv4 or IPv6 address is required");
	if (!dst || svr_ip_parse(dst, &r->dst) < 0)
		return arg_error(err, errlen, "destination: an IPv4 or IPv6 address is required");
	if (r->src.family != r->dst.family)
		return arg_error(err, errlen, "source and destination: of one family");
	r->iface = json_string_value(json_object_get(req, "interface"));
	if (!r->iface)
		return arg_error(err, errlen,
				 "interface: the name of the interface it comes in by");
	if (port_arg(req, "source-port", &r->sport, err, errlen) < 0 ||
	    port_arg(req, "destination-port", &r->dport, err, errlen) < 0)
		return -1;
	return 0;
}
