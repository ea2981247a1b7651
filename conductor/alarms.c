/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Alarms about routers, derived from what the store knows of them (docs/conductor.md, "Status
 * and alarms"):
 *   router-unreachable      an enrolled router not heard from for router-timeout-s (or never,
 *                           that long after its enrolment)
 *   router-out-of-sync      behind the current change serial, and either its last
 *                           configuration was rejected or it has been behind for more than
 *                           CD_ALARM_SYNC_GRACE_MS
 *   router-local-override   its status reports a local override
 * Each raise is logged once as a warning and each clear once as a notice, with the router's
 * name and the reason. Text a router reported goes through svr_log_safe (one line, valid UTF-8,
 * cut between characters): a reason that is not valid UTF-8 would make json_pack fail and the
 * alarm vanish from GET /alarms.
 *
 * Threads: cd_alarms_tick runs on the main thread (main.c's loop, about once a second);
 * cd_alarms_list on the HTTP server's threads. The table is guarded by one mutex, never held across
 * a store call.
 */
#include "alarms.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "common/log.h"
#include "conductor.h"

enum alarm_kind { ALARM_UNREACHABLE, ALARM_OUT_OF_SYNC, ALARM_LOCAL_OVERRIDE, ALARM_KINDS };

static const char *const alarm_names[ALARM_KINDS] = {
    "router-unreachable",
    "router-out-of-sync",
    "router-local-override",
};

struct alarm {
	bool raised;
	int64_t raised_ms;
	char reason[320];
};

/* One per router in the inventory. */
struct tracked {
	char name[CD_NAME_MAX];
	int64_t behind_since_ms; /* when it was first seen behind the current serial; 0: not */
	bool present;            /* still in the inventory (mark and sweep in one tick) */
	struct alarm alarms[ALARM_KINDS];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct tracked *routers;
static size_t n_routers, cap_routers;

static struct tracked *find_or_add(const char *name)
{
	for (size_t i = 0; i < n_routers; i++)
		if (strcmp(routers[i].name, name) == 0)
			return &routers[i];
	if (n_routers == cap_routers) {
		size_t cap = cap_routers ? cap_routers * 2 : 64;
		struct tracked *r = realloc(routers, cap * sizeof(*r));
		if (!r)
			return NULL;
		routers = r;
		cap_routers = cap;
	}
	struct tracked *t = &routers[n_routers++];
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	return t;
}

/* Raises (reason non-NULL) or clears one alarm, logging only a change. A raised alarm whose
 * reason changes keeps its time and takes the new reason silently. */
static void set_alarm(struct tracked *t, enum alarm_kind k, const char *reason, int64_t now_ms)
{
	struct alarm *a = &t->alarms[k];
	if (reason && !a->raised) {
		a->raised = true;
		a->raised_ms = now_ms;
		LOG_WARN("alarm %s raised for router %s: %s", alarm_names[k], t->name, reason);
	} else if (!reason && a->raised) {
		a->raised = false;
		LOG_NOTICE("alarm %s cleared for router %s (was: %s)", alarm_names[k], t->name,
			   a->reason);
	}
	if (reason)
		svr_log_safe(a->reason, sizeof(a->reason), reason);
}

static int64_t int_field(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

static void check_unreachable(struct tracked *t, const json_t *r, const struct conductor *c,
			      int64_t now_ms, bool enrolled)
{
	int64_t enrolled_ms = int_field(r, "enrolled-ms");
	int64_t seen_ms = int_field(r, "last-seen-ms");
	int64_t timeout_ms = (int64_t)c->cfg.router_timeout_s * 1000;
	char why[256];
	if (!enrolled) {
		set_alarm(t, ALARM_UNREACHABLE, NULL,
			  now_ms); /* not deployed yet: nothing to reach */
		return;
	}
	if (seen_ms <= 0) {
		snprintf(why, sizeof(why), "never heard from since its enrolment %lld s ago",
			 (long long)((now_ms - enrolled_ms) / 1000));
		set_alarm(t, ALARM_UNREACHABLE, now_ms - enrolled_ms > timeout_ms ? why : NULL,
			  now_ms);
		return;
	}
	snprintf(why, sizeof(why), "not heard from for %lld s (router-timeout-s %u)",
		 (long long)((now_ms - seen_ms) / 1000), c->cfg.router_timeout_s);
	set_alarm(t, ALARM_UNREACHABLE, now_ms - seen_ms > timeout_ms ? why : NULL, now_ms);
}

/* Why the router's last configuration was refused, into buf, if it said so: its last
 * acknowledgement (kept by the router API as the status's "ack") with result "rejected", or its
 * report's "last-error". NULL when neither. */
static const char *reported_rejection(const json_t *status, char *buf, size_t len)
{
	const json_t *ack = json_object_get(status, "ack");
	const char *result = json_string_value(json_object_get(ack, "result"));
	if (result && strcmp(result, "rejected") == 0) {
		const json_t *e = json_array_get(json_object_get(ack, "errors"), 0);
		const char *path = json_string_value(json_object_get(e, "path"));
		const char *msg = json_string_value(json_object_get(e, "message"));
		char p[65], m[81];
		snprintf(buf, len, "it rejected serial %lld%s%s%s%s",
			 (long long)int_field(ack, "serial"), path || msg ? ": " : "",
			 svr_log_safe(p, sizeof(p), path), path && msg ? ": " : "",
			 svr_log_safe(m, sizeof(m), msg));
		return buf;
	}
	const char *why = json_string_value(json_object_get(status, "last-error"));
	if (!why || !*why)
		return NULL;
	char w[161];
	snprintf(buf, len, "its last configuration failed: %s", svr_log_safe(w, sizeof(w), why));
	return buf;
}

static void check_sync(struct tracked *t, const json_t *r, int64_t serial, int64_t now_ms,
		       bool enrolled)
{
	const json_t *status = json_object_get(r, "status");
	int64_t applied = int_field(r, "applied-serial");
	char rejected_buf[256], why[512];
	const char *rejected = reported_rejection(status, rejected_buf, sizeof(rejected_buf));
	if (!enrolled) {
		t->behind_since_ms = 0;
		set_alarm(t, ALARM_OUT_OF_SYNC, NULL, now_ms);
		return;
	}
	if (applied >= serial) {
		t->behind_since_ms = 0;
		set_alarm(t, ALARM_OUT_OF_SYNC, NULL, now_ms);
		return;
	}
	if (!t->behind_since_ms)
		t->behind_since_ms = now_ms;
	if (rejected) {
		snprintf(why, sizeof(why), "%s (applied serial %lld, current %lld)", rejected,
			 (long long)applied, (long long)serial);
		set_alarm(t, ALARM_OUT_OF_SYNC, why, now_ms);
	} else if (now_ms - t->behind_since_ms > CD_ALARM_SYNC_GRACE_MS) {
		snprintf(why, sizeof(why), "applied serial %lld, current %lld, behind for %lld s",
			 (long long)applied, (long long)serial,
			 (long long)((now_ms - t->behind_since_ms) / 1000));
		set_alarm(t, ALARM_OUT_OF_SYNC, why, now_ms);
	}
}

static void check_override(struct tracked *t, const json_t *r, int64_t now_ms)
{
	const json_t *o = json_object_get(json_object_get(r, "status"), "local-override");
	/* true, or an object describing the override; false, null or absent: none. */
	bool on = json_is_true(o) || (json_is_object(o) && json_object_size(o) > 0);
	set_alarm(t, ALARM_LOCAL_OVERRIDE,
		  on ? "a model was put on the router's own REST API while it is managed" : NULL,
		  now_ms);
}

static void evaluate(const struct conductor *c, const json_t *list, int64_t serial, int64_t now_ms)
{
	for (size_t i = 0; i < n_routers; i++)
		routers[i].present = false;
	size_t i;
	const json_t *r;
	json_array_foreach (list, i, r) {
		const char *name = json_string_value(json_object_get(r, "name"));
		struct tracked *t = name ? find_or_add(name) : NULL;
		if (!t)
			continue;
		t->present = true;
		bool enrolled = int_field(r, "enrolled-ms") > 0;
		check_unreachable(t, r, c, now_ms, enrolled);
		check_sync(t, r, serial, now_ms, enrolled);
		check_override(t, r, now_ms);
	}
	/* Routers deleted from the inventory: their alarms clear, and they are forgotten. */
	size_t kept = 0;
	for (i = 0; i < n_routers; i++) {
		struct tracked *t = &routers[i];
		if (!t->present)
			for (int k = 0; k < ALARM_KINDS; k++)
				set_alarm(t, (enum alarm_kind)k, NULL, now_ms);
		else
			routers[kept++] = *t;
	}
	n_routers = kept;
}

void cd_alarms_tick(struct conductor *c, int64_t now_ms)
{
	char err[256];
	json_t *list = NULL;
	int64_t serial = 0;
	if (svr_store_routers(c->store, &list, err, sizeof(err)) < 0 ||
	    svr_store_serial(c->store, &serial, err, sizeof(err)) < 0) {
		/* The store is down: keep the alarms as they are rather than guess. */
		LOG_WARN("alarms: cannot read the routers from the store: %s", err);
		json_decref(list);
		return;
	}
	pthread_mutex_lock(&lock);
	evaluate(c, list, serial, now_ms);
	pthread_mutex_unlock(&lock);
	json_decref(list);
}

static json_t *alarm_json(const struct tracked *t, enum alarm_kind k)
{
	const struct alarm *a = &t->alarms[k];
	return json_pack("{s:s, s:s, s:s, s:I}", "router", t->name, "alarm", alarm_names[k],
			 "reason", a->reason, "raised-ms", (json_int_t)a->raised_ms);
}

static int by_raised(const void *a, const void *b)
{
	int64_t x = json_integer_value(json_object_get(*(json_t *const *)a, "raised-ms"));
	int64_t y = json_integer_value(json_object_get(*(json_t *const *)b, "raised-ms"));
	return (x > y) - (x < y);
}

json_t *cd_alarms_list(const char *router)
{
	json_t **found = NULL;
	size_t n = 0;
	pthread_mutex_lock(&lock);
	found = calloc(n_routers * ALARM_KINDS + 1, sizeof(*found));
	for (size_t i = 0; found && i < n_routers; i++) {
		if (router && strcmp(routers[i].name, router) != 0)
			continue;
		for (int k = 0; k < ALARM_KINDS; k++) {
			if (!routers[i].alarms[k].raised)
				continue;
			json_t *a = alarm_json(&routers[i], (enum alarm_kind)k);
			if (a)
				found[n++] = a;
			else
				LOG_ERR(
				    "alarms: cannot list alarm %s of router %s (out of memory?)",
				    alarm_names[k], routers[i].name);
		}
	}
	pthread_mutex_unlock(&lock);
	if (!found)
		return NULL;
	qsort(found, n, sizeof(*found), by_raised);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, found[i]);
	free(found);
	return arr;
}
