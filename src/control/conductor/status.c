/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The status thread: POST /api/v1/status every 5 s, and at once (at most once a second more)
 * after an apply, a local override or a peer path going up or down (cd_status_kick; the watch
 * thread below hears the paths' path-up and path-down events). The report (docs/conductor.md,
 * "Status") is built from svr-control's own state and the dataplane's control socket:
 * "version" (is it up), "peers", "interfaces" and "ports" (report.c), "sessions" (the summary)
 * and "stats" (drops).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cd_int.h"
#include "common/log.h"
#include "events/events.h"
#include "rest/rest_int.h"
#include "svr/version.h"

#define DP_TIMEOUT_MS 1000 /* each control-socket request; a stuck dataplane must not stall us */

void cd_status_kick(struct svr_conductor *cd)
{
	pthread_mutex_lock(&cd->lock);
	cd->status_due = true;
	pthread_cond_broadcast(&cd->wake);
	pthread_mutex_unlock(&cd->lock);
}

static json_t *dp_get(struct svr_conductor *cd, const char *cmd)
{
	json_t *data = NULL;
	char err[512];
	if (rest_dp_call(cd->dp_sock, cmd, DP_TIMEOUT_MS, &data, err, sizeof(err)) != REST_DP_OK)
		return NULL;
	return data;
}

/* The peer paths ("peers") and the interfaces, each from the same answers of the dataplane. */
static void paths_and_interfaces(struct svr_conductor *cd, json_t *r)
{
	json_t *peers = dp_get(cd, "peers"), *ifaces = dp_get(cd, "interfaces"),
	       *ports = dp_get(cd, "ports");
	json_object_set_new(r, "peers", cd_report_paths(peers, ifaces, ports));
	json_object_set_new(r, "interfaces", cd_report_interfaces(ifaces, ports));
	json_decref(peers);
	json_decref(ifaces);
	json_decref(ports);
}

/* The session summary ("sessions" with one entry asked for). */
static json_t *sessions_report(struct svr_conductor *cd)
{
	json_t *req = json_pack("{s:s, s:i}", "cmd", "sessions", "limit", 1), *data = NULL;
	char err[512];
	if (req)
		rest_dp_request(cd->dp_sock, req, DP_TIMEOUT_MS, &data, err, sizeof(err));
	json_decref(req);
	json_t *summary = json_incref(json_object_get(data, "summary"));
	json_decref(data);
	return summary ? summary : json_null();
}

/* Total drops and the reasons that counted any. */
static json_t *drops_report(struct svr_conductor *cd)
{
	json_t *stats = dp_get(cd, "stats");
	if (!stats)
		return json_null();
	json_t *reasons = json_object();
	const char *name;
	json_t *v;
	json_object_foreach (json_object_get(stats, "drops"), name, v)
		if (json_integer_value(v) > 0)
			json_object_set(reasons, name, v);
	json_t *out = json_pack("{s:O?, s:o}", "total",
				json_object_get(json_object_get(stats, "totals"), "dropped"),
				"reasons", reasons);
	json_decref(stats);
	return out;
}

/* In sync: the conductor's last configuration is what runs, no override, dataplane caught up. */
bool cd_in_sync(const struct svr_conductor *cd, uint64_t published, uint64_t acked)
{
	return !cd->st.override && cd->st.serial > 0 && cd->st.serial == cd->st.seen_serial &&
	       !cd->last_error[0] && acked == published;
}

static json_t *cd_report(struct svr_conductor *cd)
{
	json_t *version = dp_get(cd, "version");
	bool up = version != NULL;
	json_decref(version);
	pthread_mutex_lock(&cd->ctl->lock);
	uint64_t published = cd->ctl->generation;
	pthread_mutex_unlock(&cd->ctl->lock);
	uint64_t acked = svr_ctl_acked(cd->ctl);
	pthread_mutex_lock(&cd->lock);
	json_t *r = json_pack(
	    "{s:s, s:I, s:I, s:b, s:{s:I, s:I}, s:o, s:s?}", "software", SVR_VERSION,
	    "applied-version", (json_int_t)cd->st.version, "applied-serial",
	    (json_int_t)cd->st.serial, "in-sync", cd_in_sync(cd, published, acked), "generation",
	    "published", (json_int_t)published, "dataplane", (json_int_t)acked, "local-override",
	    cd_override_json(&cd->st), "last-error", cd->last_error[0] ? cd->last_error : NULL);
	pthread_mutex_unlock(&cd->lock);
	if (!r)
		return NULL;
	json_object_set_new(r, "dataplane", json_string(up ? "up" : "down"));
	if (up) {
		paths_and_interfaces(cd, r);
	} else {
		json_object_set_new(r, "peers", json_array());
		json_object_set_new(r, "interfaces", json_array());
	}
	json_object_set_new(r, "sessions", up ? sessions_report(cd) : json_null());
	json_object_set_new(r, "drops", up ? drops_report(cd) : json_null());
	return r;
}

/* deadline_ms (cd_now_ms's clock) as a timespec for the condition variable (CLOCK_MONOTONIC). */
static struct timespec at_ms(int64_t deadline_ms)
{
	return (struct timespec){.tv_sec = deadline_ms / 1000,
				 .tv_nsec = (long)(deadline_ms % 1000) * 1000000};
}

/*
 * Waits until a report is due: CD_STATUS_EVERY_MS after the last one, or sooner when kicked
 * (an apply, a local override, a path's state), but never within CD_STATUS_GAP_MS of the last
 * one: a flapping path costs the conductor at most one extra report a second. Nothing is due
 * before enrolment. False when stopping.
 */
static bool wait_due(struct svr_conductor *cd, int64_t last_ms)
{
	pthread_mutex_lock(&cd->lock);
	while (!atomic_load(&cd->stopping)) {
		int64_t now = cd_now_ms(), due = last_ms + CD_STATUS_EVERY_MS;
		if (cd->status_due && last_ms + CD_STATUS_GAP_MS < due)
			due = last_ms + CD_STATUS_GAP_MS;
		if (cd->enrolled && now >= due)
			break;
		struct timespec until = at_ms(cd->enrolled ? due : now + CD_STATUS_EVERY_MS);
		pthread_cond_timedwait(&cd->wake, &cd->lock, &until);
	}
	cd->status_due = false;
	pthread_mutex_unlock(&cd->lock);
	return !atomic_load(&cd->stopping);
}

void *cd_status_main(void *arg)
{
	struct svr_conductor *cd = arg;
	struct cd_client c;
	if (cd_client_init(&c, cd) < 0) {
		LOG_ERR("conductor status: cannot create a libcurl handle");
		return NULL;
	}
	int64_t last_ms = cd_now_ms() - CD_STATUS_EVERY_MS; /* the first one once enrolled */
	while (wait_due(cd, last_ms)) {
		last_ms = cd_now_ms();
		json_t *report = cd_report(cd);
		/* 15 digits: 0.1 is written 0.1, not 0.10000000000000001 */
		char *body =
		    report ? json_dumps(report, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
		json_decref(report);
		struct cd_buf reply = {0};
		long status = 0;
		char err[600];
		if (body && cd_request(&c, "POST", "/api/v1/status", body, CD_REQUEST_MS, &status,
				       &reply, err, sizeof(err)) == 0) {
			bool ok = status == 204 || status == 200;
			if (!ok && status != c.refused_status) /* once, not every 5 s */
				LOG_WARN("the conductor answered the status report with HTTP %ld: "
					 "%.200s",
					 status, reply.data);
			c.refused_status = ok ? 0 : status;
		}
		cd_buf_free(&reply);
		free(body);
	}
	cd_client_fini(&c);
	return NULL;
}

/* The watch thread: a reader of svr-control's event log (events/events.h) that kicks a report
 * when a path goes up or down, so that a map sees it within about a second (the dataplane's
 * events are read every 200 ms) rather than at the next 5 s report. One reader for the process
 * (the log keeps its readers for good), registered on the first start. */
static struct svr_evsink path_events = {.name = "conductor-status"};

void *cd_watch_main(void *arg)
{
	struct svr_conductor *cd = arg;
	static atomic_bool registered;
	if (!atomic_exchange(&registered, true))
		svr_events_sink_add(&path_events);
	while (!atomic_load(&cd->stopping)) {
		uint64_t last = 0, dropped = atomic_load(&path_events.dropped);
		json_t *list = svr_events_take(&path_events, 256, 500, &last);
		/* events lost to a full log may have been path changes: report anyway */
		bool moved = atomic_load(&path_events.dropped) != dropped;
		size_t i;
		json_t *e;
		json_array_foreach (list, i, e) {
			const char *type = json_string_value(json_object_get(e, "type"));
			moved |= type &&
				 (strcmp(type, "path-up") == 0 || strcmp(type, "path-down") == 0);
		}
		svr_events_done(&path_events, last, json_array_size(list));
		json_decref(list);
		if (moved)
			cd_status_kick(cd);
	}
	return NULL;
}
