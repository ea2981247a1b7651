/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The session commands of the control socket (include/svr/ctlsock.h):
 * "sessions", "session", "session-clear", "sessions-clear" and "sessions-clear-status"
 * (many sessions ended by a job: sessions.h), "session-counts" (live sessions by
 * tenant and service: svr-control's GET /metrics), and "test-clock" (the dataplane's
 * wall clock, test builds only). Their arguments: command_args.c.
 */
#include <stdatomic.h>
#include <stdio.h>

#include <jansson.h>

#include "ctlsock/command.h"
#include "ctlsock/request.h"
#include "session/command_args.h"
#include "session/sessions.h"
#include "session/why.h"
#include "core/dp.h"

/* "sessions": filters and paging (see include/svr/ctlsock.h). */
static json_t *cmd_sessions(const struct dp_ctl_request *r, const char **error)
{
	(void)error;
	const struct dp_sessions_args *a = r->args;
	struct dp_session_filter f = {.tenant = a->tenant,
				      .service = a->service,
				      .has_addr = a->has_addr,
				      .addr = a->addr,
				      .cursor = a->cursor,
				      .limit = a->limit};
	json_t *arr = json_array();
	uint32_t next = dp_sessions_list(&f, arr);
	return json_pack("{s:o, s:o, s:I}", "summary", dp_sessions_summary(), "sessions", arr,
			 "next", (json_int_t)next);
}

static int64_t session_of(const struct dp_ctl_request *r, const char **error)
{
	const struct dp_session_uuid_args *a = r->args;
	int64_t idx = a->uuid_valid ? dp_session_by_uuid(a->uuid) : -1;
	if (idx < 0)
		*error = "no live session has this uuid";
	return idx;
}

static json_t *cmd_session(const struct dp_ctl_request *r, const char **error)
{
	int64_t idx = session_of(r, error);
	json_t *o = idx >= 0 ? dp_session_json((uint32_t)idx) : NULL;
	if (idx >= 0 && !o)
		*error = "no live session has this uuid";
	return o;
}

static json_t *cmd_session_clear(const struct dp_ctl_request *r, const char **error)
{
	const struct dp_session_uuid_args *a = r->args;
	int64_t idx = session_of(r, error);
	if (idx < 0)
		return NULL;
	if (!dp_session_clear((uint32_t)idx)) {
		*error = "no live session has this uuid";
		return NULL;
	}
	return json_pack("{s:s}", "cleared", a->uuid_text);
}

/* "sessions-clear": starts the job (one at a time), answers its progress at once. */
static json_t *cmd_sessions_clear(const struct dp_ctl_request *r, const char **error)
{
	static char busy[160];
	const struct dp_sessions_clear_args *a = r->args;
	struct dp_session_filter f = {
	    .tenant = a->tenant, .service = a->service, .has_addr = a->has_addr, .addr = a->addr};
	uint64_t now = dp_now_ms();
	if (dp_sessions_clear_start(&f, now) < 0) {
		json_t *st = dp_sessions_clear_json(now);
		snprintf(busy, sizeof(busy),
			 "busy: sessions-clear job %lld is still running; one job at a time (ask "
			 "sessions-clear-status, then again once it is done)",
			 (long long)json_integer_value(json_object_get(st, "job")));
		json_decref(st);
		*error = busy;
		return NULL;
	}
	return dp_sessions_clear_json(now);
}

static json_t *cmd_sessions_clear_status(const struct dp_ctl_request *r, const char **error)
{
	(void)r;
	(void)error;
	return dp_sessions_clear_json(dp_now_ms());
}

static json_t *cmd_session_counts(const struct dp_ctl_request *r, const char **error)
{
	(void)r;
	json_t *o = dp_sessions_counts();
	if (!o)
		*error = "out of memory";
	return o;
}

/* {"cmd": "test-clock", "offset-s": N, "at-unix-s": T, "hold": B} moves this router's wall clock
 * N seconds from the system's, from real time T on (absent or past: now); hold true stops the
 * dataplane's clocks where they are (so a test's packets all fall in one second), false lets
 * them run again. Test builds only. */
static json_t *cmd_test_clock(const struct dp_ctl_request *r, const char **error)
{
#ifdef SVR_TEST_HOOKS
	(void)error;
	const struct dp_test_clock_args *a = r->args;
	if (a->set_offset)
		dp_sessions_test_clock(a->clock_offset_s, a->clock_at_s);
	if (a->hold >= 0)
		dp_sessions_test_clock_hold(a->hold);
	return json_pack("{s:I, s:I, s:I, s:b, s:I}", "offset-s",
			 (json_int_t)dp_sess.clock_offset_s, "at-unix-s",
			 (json_int_t)dp_sess.clock_at_s, "unix-s",
			 (json_int_t)atomic_load(&dp_sess.unix_s), "held", dp_sess.clock_held,
			 "now-s", (json_int_t)atomic_load(&dp_sess.now_s));
#else
	(void)r;
	*error = "test-clock: only a test build serves it (meson -Dtest_hooks=true)";
	return NULL;
#endif
}

static struct dp_ctl_command sessions_cmd = {
    .name = "sessions", DP_SESSIONS_ARGS, .serve = cmd_sessions};
static struct dp_ctl_command session_cmd = {
    .name = "session", DP_SESSION_UUID_ARGS, .serve = cmd_session};
static struct dp_ctl_command session_clear_cmd = {
    .name = "session-clear", DP_SESSION_UUID_ARGS, .serve = cmd_session_clear};
static struct dp_ctl_command sessions_clear_cmd = {
    .name = "sessions-clear", DP_SESSIONS_CLEAR_ARGS, .serve = cmd_sessions_clear};
static struct dp_ctl_command sessions_clear_status_cmd = {.name = "sessions-clear-status",
							  .serve = cmd_sessions_clear_status};
static struct dp_ctl_command session_counts_cmd = {.name = "session-counts",
						   .serve = cmd_session_counts};
static struct dp_ctl_command test_clock_cmd = {
    .name = "test-clock", DP_TEST_CLOCK_ARGS, .serve = cmd_test_clock};
DP_CTL_REGISTER(sessions_cmd)
DP_CTL_REGISTER(session_cmd)
DP_CTL_REGISTER(session_clear_cmd)
DP_CTL_REGISTER(sessions_clear_cmd)
DP_CTL_REGISTER(sessions_clear_status_cmd)
DP_CTL_REGISTER(session_counts_cmd)
DP_CTL_REGISTER(test_clock_cmd)

static json_t *cmd_why(const struct dp_ctl_request *r, const char **error)
{
	return dp_session_why(dp_gen_main(), r->args, error);
}

static struct dp_ctl_command why_cmd = {.name = "why", DP_WHY_ARGS, .serve = cmd_why};
DP_CTL_REGISTER(why_cmd)
