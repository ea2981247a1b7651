/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The event queue as svr-control reads it (events.h). Main lcore only: the workers' binary
 * records (core/event.h) are named here, where the session layer's name tables may be read,
 * and served with the main lcore's own events by the command "events".
 */
#include "telemetry/events.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>

#include "common/image.h"
#include "common/inet.h"
#include "core/dp.h"
#include "core/event.h"
#include "ctlsock/command.h"
#include "ctlsock/request.h"
#include "flow/names.h"
#include "flow/state.h"
#include "svr/counters.h"

#define EVENTS_READ_MAX 1000 /* events in one answer */

/* Which limit a limit-hit names (docs/telemetry.md). */
static const char *limit_name(uint16_t reason)
{
	switch (reason) {
	case SVR_DROP_SOURCE_RATE:
		return "per-source-rate";
	case SVR_DROP_HALF_OPEN:
		return "half-open";
	case SVR_DROP_TENANT_MAX:
		return "tenant-max-sessions";
	case SVR_DROP_POLICY_MAX_SESSIONS:
		return "policy-max-sessions";
	}
	return "other";
}

/* What access said for a refusal ("deny-rule", "no-rule", or "-" when access was not reached). */
static const char *access_name(uint16_t reason)
{
	switch (reason) {
	case SVR_DROP_ACCESS_DENIED:
		return "deny-rule";
	case SVR_DROP_ACCESS_NO_RULE:
		return "no-rule";
	case SVR_DROP_NO_SERVICE:
		return "-";
	}
	return "allowed";
}

static json_t *name_or_null(const struct svr_names *n, uint16_t id)
{
	const char *s = n && id != SVR_NO_NAME ? svr_names_get(n, id) : NULL;
	return s ? json_string(s) : json_null();
}

static json_t *ip_json(uint8_t family, const uint8_t *addr)
{
	struct svr_ip ip = {.family = family};
	memcpy(ip.addr, addr, family == SVR_AF_INET ? 4 : 16);
	char buf[64];
	return json_string(svr_ip_fmt(&ip, buf, sizeof(buf)) ? buf : "?");
}

/* The wall-clock time of a worker's TSC stamp, from the clocks read now. */
static int64_t raw_unix_ms(uint64_t tsc, int64_t now_ms, uint64_t now_tsc, uint64_t hz)
{
	uint64_t ago = now_tsc > tsc ? now_tsc - tsc : 0;
	return now_ms - (int64_t)(ago / (hz / 1000 ? hz / 1000 : 1));
}

static json_t *raw_json(const struct dp_event_raw *r, int64_t unix_ms)
{
	json_t *e =
	    dp_event_new_at(unix_ms, r->kind == DP_EVENT_LIMIT ? "limit-hit" : "session-denied");
	if (!e)
		return NULL;
	const struct dp_gen *g = dp_gen_main();
	char pbuf[8];
	if (r->kind == DP_EVENT_LIMIT)
		json_object_set_new(e, "limit", json_string(limit_name(r->reason)));
	json_object_set_new(e, "tenant", name_or_null(dp_sess.tenants, r->tenant_id));
	json_object_set_new(e, "service", name_or_null(dp_sess.services, r->service_id));
	if (r->kind == DP_EVENT_DENIED)
		json_object_set_new(e, "access", json_string(access_name(r->reason)));
	if (r->kind == DP_EVENT_DENIED && r->reason == SVR_DROP_ACCESS_DENIED)
		json_object_set_new(e, "rule", name_or_null(dp_sess.rules, r->rule_id));
	json_object_set_new(e, "reason", json_string(svr_drop_name(r->reason)));
	json_object_set_new(e, "protocol",
			    json_string(svr_ip_proto_name(r->proto, pbuf, sizeof(pbuf))));
	json_object_set_new(e, "source", ip_json(r->family, r->src));
	json_object_set_new(e, "source-port", json_integer(r->sport));
	json_object_set_new(e, "destination", ip_json(r->family, r->dst));
	json_object_set_new(e, "destination-port", json_integer(r->dport));
	const char *ifname = g && r->iface_in < DP_MAX_IFACES && g->ifaces[r->iface_in].in_use
				 ? g->ifaces[r->iface_in].name
				 : NULL;
	json_object_set_new(e, "interface", ifname ? json_string(ifname) : json_null());
	return e;
}

void dp_events_poll(void)
{
	const struct dp_gen *g = dp_gen_main();
	const char *name =
	    g && g->image ? svr_img_str(g->image, svr_img_hdr(g->image)->router_name) : NULL;
	if (name && strcmp(name, dp_event_router()) != 0)
		dp_event_set_router(name);
	else if (!name && !dp_event_router()[0])
		dp_event_set_router(dp.conf ? dp.conf->instance : "");
	int64_t now_ms = dp_event_unix_ms();
	uint64_t now_tsc = rte_rdtsc(), hz = rte_get_tsc_hz();
	struct dp_event_raw raw[64];
	for (unsigned i = 0; i < dp.n_workers; i++) {
		unsigned n;
		while ((n = dp_event_worker_pop(i, raw, RTE_DIM(raw))) > 0)
			for (unsigned k = 0; k < n; k++)
				dp_event_post(raw_json(
				    &raw[k], raw_unix_ms(raw[k].tsc, now_ms, now_tsc, hz)));
	}
}

struct events_args {
	uint64_t after;
	unsigned max;
	bool newest; /* no "after": the newest max events */
};

/* "events": after (the last seq read; absent: the newest max) and max (1-1000, default 256). */
static int events_args_parse(const json_t *req, void *args, char *err, size_t errlen)
{
	struct events_args *a = args;
	const json_t *after = json_object_get(req, "after"), *max = json_object_get(req, "max");
	a->max = 256;
	if (after && (!json_is_integer(after) || json_integer_value(after) < 0)) {
		snprintf(err, errlen, "after: the \"last\" value of a previous answer (>= 0)");
		return -1;
	}
	if (max && (!json_is_integer(max) || json_integer_value(max) < 1 ||
		    json_integer_value(max) > EVENTS_READ_MAX)) {
		snprintf(err, errlen, "max: an integer 1-%d", EVENTS_READ_MAX);
		return -1;
	}
	a->newest = !after;
	if (after)
		a->after = (uint64_t)json_integer_value(after);
	if (max)
		a->max = (unsigned)json_integer_value(max);
	return 0;
}

static json_t *events_serve(const struct dp_ctl_request *r, const char **error)
{
	const struct events_args *a = r->args;
	dp_events_poll(); /* what the workers recorded since the last turn, too */
	uint64_t lost, last, newest = dp_event_last_seq();
	uint64_t after = !a->newest ? a->after : newest > a->max ? newest - a->max : 0;
	json_t *list = dp_event_read(after, a->max, &lost, &last);
	if (!list) {
		*error = "no memory for the event queue";
		return NULL;
	}
	return json_pack("{s:o, s:I, s:I, s:I, s:I, s:I, s:I}", "events", list, "last",
			 (json_int_t)last, "lost", (json_int_t)lost, "overwritten",
			 (json_int_t)dp_event_overwritten(), "suppressed",
			 (json_int_t)dp_event_suppressed(), "capacity", (json_int_t)DP_EVENT_QUEUE,
			 "boot", (json_int_t)dp.start_ms);
}

static struct dp_ctl_command events_cmd = {.name = "events",
					   .parse = events_args_parse,
					   .args_size = sizeof(struct events_args),
					   .serve = events_serve};
DP_CTL_REGISTER(events_cmd)
