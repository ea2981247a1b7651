/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dataplane's events into svr-control's log (sinks.h), on a thread of its own: every 200 ms
 * the control-socket command "events" after the last one read (include/svr/ctlsock.h), and the
 * shared-memory channel's acknowledged and rejected generations (config-applied, and
 * config-rejected by the dataplane). The cursor is kept in the state directory, so a restarted
 * svr-control neither repeats nor skips what the running dataplane holds.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "events/sinks.h"
#include "rest/rest_int.h"

#define READ_MAX    1000 /* events a request */
#define DP_TIMEOUT  1000 /* ms for one request */
#define CURSOR_NAME "events-cursor"

static pthread_t thread;
static bool running;
static atomic_bool stop;
static struct svr_ctl *ctl;
static char sock[108], cursor_path[512];
/* The generations last told; read before the thread starts, so that an apply right after
 * svr_events_start is told however late the thread runs. */
static uint64_t acked_seen, rejected_seen;

/* The cursor: "BOOT LAST", the dataplane's start and the last seq read of it. */
static void cursor_load(uint64_t *boot, uint64_t *last)
{
	FILE *f = fopen(cursor_path, "r");
	if (!f || fscanf(f, "%" SCNu64 " %" SCNu64, boot, last) != 2)
		*boot = *last = 0;
	if (f)
		fclose(f);
}

static void cursor_store(uint64_t boot, uint64_t last)
{
	char tmp[600];
	snprintf(tmp, sizeof(tmp), "%s.tmp", cursor_path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "%" PRIu64 " %" PRIu64 "\n", boot, last);
	if (fclose(f) == 0)
		rename(tmp, cursor_path);
}

static void lost_event(const char *source, uint64_t n, const char *why)
{
	json_t *e = svr_events_new("events-lost");
	if (e) {
		json_object_set_new(e, "source", json_string(source));
		json_object_set_new(e, "count", json_integer((json_int_t)n));
		json_object_set_new(e, "reason", json_string(why));
	}
	svr_events_emit(e);
}

/* config-applied and config-rejected as the dataplane answers through shared memory. */
static void watch_generations(void)
{
	uint64_t acked = svr_ctl_acked(ctl);
	uint64_t rejected = atomic_load(&ctl->shm.ctl->rejected_generation);
	if (acked != acked_seen) {
		acked_seen = acked;
		json_t *e = svr_events_new("config-applied");
		if (e)
			json_object_set_new(e, "generation", json_integer((json_int_t)acked));
		svr_events_emit(e);
	}
	if (rejected != rejected_seen) {
		rejected_seen = rejected;
		char reason[sizeof(ctl->shm.ctl->reject_reason)];
		memcpy(reason, ctl->shm.ctl->reject_reason, sizeof(reason)); /* racy: only said */
		reason[sizeof(reason) - 1] = '\0';
		json_t *e = svr_events_new("config-rejected");
		if (e) {
			json_object_set_new(e, "generation", json_integer((json_int_t)rejected));
			json_object_set_new(e, "stage", json_string("dataplane"));
			json_object_set_new(
			    e, "errors",
			    json_pack("[{s:s, s:s}]", "path", "(top)", "message", reason));
		}
		svr_events_emit(e);
	}
}

/* One read; returns whether more are waiting. */
static bool read_once(uint64_t *boot, uint64_t *after, uint64_t *suppressed_seen, bool *known)
{
	json_t *req = json_pack("{s:s, s:I, s:i}", "cmd", "events", "after", (json_int_t)*after,
				"max", READ_MAX);
	json_t *data = NULL;
	char err[256];
	enum rest_dp_result rc = rest_dp_request(sock, req, DP_TIMEOUT, &data, err, sizeof(err));
	json_decref(req);
	if (rc != REST_DP_OK) {
		atomic_fetch_add(&svr_events_dp.polls_failed, 1);
		if (atomic_exchange(&svr_events_dp.reachable, false))
			LOG_WARN("dataplane events: %s (read again every %d ms)", err,
				 SVR_EVENTS_POLL_MS);
		json_decref(data);
		return false;
	}
	atomic_store(&svr_events_dp.reachable, true);
	uint64_t b = (uint64_t)json_integer_value(json_object_get(data, "boot"));
	if (b != *boot) { /* another dataplane: its numbers start again, read it from its start */
		*boot = b;
		*after = 0;
		*known = false;
		json_decref(data);
		return true;
	}
	json_t *list = json_object_get(data, "events");
	size_t i;
	json_t *e;
	json_array_foreach (list, i, e)
		svr_events_emit(json_incref(e)); /* numbered again in svr-control's sequence */
	atomic_fetch_add(&svr_events_dp.read, json_array_size(list));
	uint64_t lost = (uint64_t)json_integer_value(json_object_get(data, "lost"));
	uint64_t supp = (uint64_t)json_integer_value(json_object_get(data, "suppressed"));
	if (lost) {
		atomic_fetch_add(&svr_events_dp.lost, lost);
		lost_event("dataplane", lost, "overwritten in the dataplane's queue before read");
	}
	if (*known && supp > *suppressed_seen)
		lost_event("dataplane-workers", supp - *suppressed_seen,
			   "over the workers' event budget");
	atomic_store(&svr_events_dp.suppressed, supp);
	*suppressed_seen = supp;
	*known = true;
	bool more = json_array_size(list) >= READ_MAX;
	*after = (uint64_t)json_integer_value(json_object_get(data, "last"));
	json_decref(data);
	return more;
}

static void *poll_main(void *arg)
{
	(void)arg;
	uint64_t boot, after, suppressed_seen = 0, stored_after;
	bool known = false;
	cursor_load(&boot, &after);
	stored_after = after;
	int64_t stored_at = 0;
	while (!atomic_load(&stop)) {
		bool more = read_once(&boot, &after, &suppressed_seen, &known);
		watch_generations();
		int64_t now = (int64_t)rest_now_ms();
		if (after != stored_after && now - stored_at >= 1000) {
			cursor_store(boot, after);
			stored_after = after;
			stored_at = now;
		}
		if (!more) {
			struct timespec ts = {0, SVR_EVENTS_POLL_MS * 1000000L};
			nanosleep(&ts, NULL);
		}
	}
	if (after != stored_after)
		cursor_store(boot, after);
	return NULL;
}

int svr_events_poll_start(struct svr_ctl *c, const char *dp_sock, const char *state_dir)
{
	ctl = c;
	snprintf(sock, sizeof(sock), "%s", dp_sock);
	snprintf(cursor_path, sizeof(cursor_path), "%s/%s", state_dir, CURSOR_NAME);
	atomic_store(&stop, false);
	acked_seen = svr_ctl_acked(ctl);
	rejected_seen = atomic_load(&ctl->shm.ctl->rejected_generation);
	if (pthread_create(&thread, NULL, poll_main, NULL) != 0)
		return -1;
	running = true;
	return 0;
}

void svr_events_poll_stop(void)
{
	if (!running)
		return;
	atomic_store(&stop, true);
	pthread_join(thread, NULL); /* within one request's timeout and one pause */
	running = false;
}
