/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The commands an operator has the conductor relay to this router (docs/conductor.md, "Router
 * commands"), run by the sync thread when a sync answer carries them: each against the
 * dataplane's control socket, its result posted to POST /api/v1/commands/{id}/result. Only
 * "clear-sessions" exists: the dataplane's sessions-clear job (what svrctl clear sessions and
 * the local DELETE /api/v1/sessions start, its arguments read strictly by cmdargs.c), followed
 * until it is done. A command is run once: the conductor hands each out once, and one whose
 * result never arrives is failed there (svr-control stopping mid-job posts nothing).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cd_int.h"
#include "common/log.h"
#include "rest/rest_int.h"
#include "svr/version.h"

#define DP_TIMEOUT_MS  1000 /* one control-socket request */
#define CLEAR_POLL_MS  20   /* how often the job's progress is asked for */
#define RESULT_MAX_ERR 400

static json_t *failed(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static json_t *failed(const char *fmt, ...)
{
	char msg[RESULT_MAX_ERR];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return json_pack("{s:s, s:s}", "state", "failed", "error", msg);
}

/* Starts the job and follows it until it is done (CD_COMMAND_WAIT_MS at most). */
static json_t *clear_sessions(struct svr_conductor *cd, const json_t *args)
{
	char err[512];
	json_t *req = cd_clear_request(args, err, sizeof(err)), *job = NULL;
	if (!req)
		return failed("%s", err);
	enum rest_dp_result rc =
	    rest_dp_request(cd->dp_sock, req, DP_TIMEOUT_MS, &job, err, sizeof(err));
	json_decref(req);
	if (rc != REST_DP_OK)
		return failed("the dataplane %s: %s",
			      rc == REST_DP_REFUSED ? "refused sessions-clear" : "did not answer",
			      err);
	json_int_t id = json_integer_value(json_object_get(job, "job"));
	int64_t until = cd_now_ms() + CD_COMMAND_WAIT_MS;
	while (!json_is_true(json_object_get(job, "done")) && cd_now_ms() < until) {
		/* stopping: no result (see cd_command_result) */
		if (!cd_sleep(cd, CLEAR_POLL_MS)) {
			json_decref(job);
			return NULL;
		}
		json_t *st = NULL;
		if (rest_dp_call(cd->dp_sock, "sessions-clear-status", DP_TIMEOUT_MS, &st, err,
				 sizeof(err)) != REST_DP_OK)
			continue;
		if (json_integer_value(json_object_get(st, "job")) == id) {
			json_decref(job);
			job = st;
			continue;
		}
		/* another job (a local clear) followed ours: ours is done, its count the last seen
		 */
		json_object_set_new(job, "done", json_true());
		json_decref(st);
	}
	json_int_t cleared = json_integer_value(json_object_get(job, "cleared"));
	json_t *out = json_is_true(json_object_get(job, "done"))
			  ? json_pack("{s:s, s:I}", "state", "done", "cleared", cleared)
			  : failed("the dataplane's sessions-clear job %lld had not finished after "
				   "%d ms (%lld sessions cleared so far)",
				   (long long)id, CD_COMMAND_WAIT_MS, (long long)cleared);
	json_decref(job);
	return out;
}

json_t *cd_command_result(struct svr_conductor *cd, const json_t *cmd)
{
	const char *name = json_string_value(json_object_get(cmd, "command"));
	if (name && strcmp(name, "clear-sessions") == 0)
		return clear_sessions(cd, json_object_get(cmd, "args"));
	return failed("svr-control %s does not know the command \"%.64s\"", SVR_VERSION,
		      name ? name : "");
}

void cd_commands_run(struct svr_conductor *cd, struct cd_client *c, const json_t *commands)
{
	size_t i;
	json_t *cmd;
	json_array_foreach (commands, i, cmd) {
		json_int_t id = json_integer_value(json_object_get(cmd, "id"));
		const char *name = json_string_value(json_object_get(cmd, "command"));
		json_t *result = cd_command_result(cd, cmd);
		if (!result && atomic_load(&cd->stopping)) {
			/* not "failed": the job may well finish; the conductor's 60 s decide */
			LOG_NOTICE("conductor command %lld (%s): stopping before it finished: no "
				   "result posted",
				   (long long)id, name);
			return;
		}
		const char *state = json_string_value(json_object_get(result, "state"));
		if (state && strcmp(state, "done") == 0)
			LOG_NOTICE(
			    "conductor command %lld (%s): done, %lld session(s) cleared",
			    (long long)id, name,
			    (long long)json_integer_value(json_object_get(result, "cleared")));
		else
			LOG_WARN("conductor command %lld (%s): failed: %s", (long long)id, name,
				 json_string_value(json_object_get(result, "error")));
		char path[96], err[600];
		snprintf(path, sizeof(path), "/api/v1/commands/%lld/result", (long long)id);
		char *body = result ? json_dumps(result, JSON_COMPACT) : NULL;
		json_decref(result);
		struct cd_buf reply = {0};
		long status = 0;
		if (!body)
			LOG_ERR("conductor command %lld: out of memory for its result",
				(long long)id);
		else if (cd_request(c, "POST", path, body, CD_REQUEST_MS, &status, &reply, err,
				    sizeof(err)) < 0)
			LOG_WARN("conductor command %lld: its result was not delivered: %s",
				 (long long)id, err);
		else if (status != 204 && status != 200)
			LOG_WARN("the conductor answered command %lld's result with HTTP %ld: "
				 "%.200s",
				 (long long)id, status, reply.data);
		cd_buf_free(&reply);
		free(body);
	}
}
