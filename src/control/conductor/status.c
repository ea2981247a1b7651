/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The status thread: POST /api/v1/status every 5 s, and at once after an apply or a local
 * override (cd_status_kick). The report (docs/conductor.md, "On the router") is built from
 * svr-control's own state and the dataplane's control socket: "version" (is it up),
 * "interfaces" + "ports" (link state, for each peer path's interface), "peers", "sessions"
 * (the summary) and "stats" (drops).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cd_int.h"
#include "common/log.h"
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

/* "up"/"down" of the port under the interface named ifname, or NULL when not known. */
static const char *link_of(const json_t *ifaces, const json_t *ports, const char *ifname)
{
	size_t i, j;
	json_t *ifc, *port;
	json_array_foreach (ifaces, i, ifc) {
		const char *name = json_string_value(json_object_get(ifc, "name"));
		if (!ifname || !name || strcmp(name, ifname) != 0)
			continue;
		json_int_t id = json_integer_value(json_object_get(ifc, "port"));
		json_array_foreach (ports, j, port)
			if (json_integer_value(json_object_get(port, "id")) == id)
				return json_string_value(json_object_get(port, "link"));
	}
	return NULL;
}

/* Each peer path with its interface's link state: what the dataplane exposes of a path. */
static json_t *peers_report(struct svr_conductor *cd)
{
	json_t *peers = dp_get(cd, "peers"), *ifaces = dp_get(cd, "interfaces"),
	       *ports = dp_get(cd, "ports");
	json_t *out = json_array();
	size_t i;
	json_t *p;
	json_array_foreach (json_object_get(peers, "paths"), i, p) {
		const char *ifname = json_string_value(json_object_get(p, "interface"));
		const char *link = link_of(ifaces, ports, ifname);
		json_array_append_new(
		    out, json_pack("{s:O?, s:O?, s:s?, s:s}", "peer", json_object_get(p, "peer"),
				   "path", json_object_get(p, "path"), "interface", ifname, "state",
				   link && strcmp(link, "up") == 0 ? "up" : "down"));
	}
	json_decref(peers);
	json_decref(ifaces);
	json_decref(ports);
	return out;
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
	json_object_set_new(r, "peers", up ? peers_report(cd) : json_array());
	json_object_set_new(r, "sessions", up ? sessions_report(cd) : json_null());
	json_object_set_new(r, "drops", up ? drops_report(cd) : json_null());
	return r;
}

/* Waits until a report is due (every 5 s once enrolled, or kicked); false when stopping. */
static bool wait_due(struct svr_conductor *cd)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += CD_STATUS_EVERY_MS / 1000;
	pthread_mutex_lock(&cd->lock);
	while (!atomic_load(&cd->stopping) && !(cd->enrolled && cd->status_due)) {
		if (pthread_cond_timedwait(&cd->wake, &cd->lock, &until) != ETIMEDOUT)
			continue;
		if (cd->enrolled)
			break;
		until.tv_sec += CD_STATUS_EVERY_MS / 1000; /* nobody to report to yet */
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
	while (wait_due(cd)) {
		json_t *report = cd_report(cd);
		char *body = report ? json_dumps(report, JSON_COMPACT) : NULL;
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
