/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The commands relay (docs/conductor.md, "Router commands"): an operator asks for a command on a
 * router (POST /routers/{name}/clear-sessions), the store keeps it (router_commands), the
 * router's long poll hands it out in a sync answer of its own ({"commands": [...]}: no serial,
 * nothing to apply), the router runs it and posts the result (POST /commands/{id}/result), and
 * GET /routers/{name}/commands/{id} shows where it is. One not answered within 60 s is failed.
 *
 * Which held syncs to answer: a set of the routers that have commands not handed out yet, in
 * memory. A request adds its router at once and wakes that router's held sync only
 * (cd_http_resume_who); the watcher thread (api/router.c) adds, every half second, what the
 * store says (commands another conductor on the same PostgreSQL took: it learns of them within
 * that half second), and every 5 s fails the unanswered commands and purges old ones. A sync
 * asks the store only when its router is in the set, taking it out first (a command added
 * meanwhile puts it back). The change serial is not moved: a command never makes a router fetch
 * its configuration again.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/commands.h"
#include "common/inet.h"
#include "common/jsonutil.h"
#include "common/log.h"
#include "conductor.h"
#include "http/http.h"

#define COMMAND_TTL_MS  60000    /* not answered by then: failed */
#define COMMAND_KEEP_MS 86400000 /* an ended command is kept a day */
/* What a router may take from receiving a command to its result arriving: its dataplane job
 * (svr-control's CD_COMMAND_WAIT_MS, 10 s, plus a 1 s request) and the result's POST (5 s),
 * rounded up. A command older than COMMAND_TTL_MS minus this is not handed out any more: it
 * could be run and still be failed for want of an answer. */
#define COMMAND_RUN_MS   20000
#define COMMAND_TAKE_MAX 16 /* handed out per sync answer */
/* Failing unanswered commands and purging old ones: a write, so not at every half-second
 * refresh (a command fails between 60 and 65 s after it was asked for). */
#define COMMAND_EXPIRE_EVERY_MS 5000
#define RESULT_MAX_BODY         4096 /* POST /commands/{id}/result */
#define RESULT_MAX_ERROR        1024 /* its "error" text, in bytes */
#define FILTER_NAME_MAX         128  /* a tenant or service name, as the dataplane takes it */
#define CLEAR_MAX_BODY          4096 /* POST /routers/{name}/clear-sessions */

/* The routers with commands not handed out yet: an object used as a set (keys only). */
static struct {
	pthread_mutex_t lock;
	json_t *routers;
} waiting = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Adds router to the set; true when it was not in it. */
static bool waiting_add(const char *router)
{
	pthread_mutex_lock(&waiting.lock);
	if (!waiting.routers)
		waiting.routers = json_object();
	bool added = waiting.routers && !json_object_get(waiting.routers, router);
	if (added)
		json_object_set_new(waiting.routers, router, json_true());
	pthread_mutex_unlock(&waiting.lock);
	return added;
}

static bool waiting_has(const char *router)
{
	pthread_mutex_lock(&waiting.lock);
	bool has = waiting.routers && json_object_get(waiting.routers, router);
	pthread_mutex_unlock(&waiting.lock);
	return has;
}

static void waiting_del(const char *router)
{
	pthread_mutex_lock(&waiting.lock);
	if (waiting.routers)
		json_object_del(waiting.routers, router);
	pthread_mutex_unlock(&waiting.lock);
}

void cd_commands_forget(const char *router)
{
	waiting_del(router);
}

bool cd_commands_answer(struct conductor *c, const char *router, struct cd_reply *out)
{
	if (!waiting_has(router))
		return false;
	/* out of the set before the take: a command added meanwhile puts it back (and wakes
	 * this sync again), rather than being lost to a delete after the take */
	waiting_del(router);
	json_t *list = NULL;
	char err[256];
	int64_t now = cd_now_ms();
	if (svr_store_commands_take(c->store, router, now, now - (COMMAND_TTL_MS - COMMAND_RUN_MS),
				    COMMAND_TAKE_MAX, &list, err, sizeof(err)) < 0) {
		waiting_add(router);
		LOG_ERR("commands: router %s: %s (tried again at its next sync)", router, err);
		return false;
	}
	if (json_array_size(list) == 0) { /* taken by another conductor, or failed meanwhile */
		json_decref(list);
		return false;
	}
	if (json_array_size(list) == COMMAND_TAKE_MAX)
		waiting_add(router); /* maybe more: the next sync asks again */
	LOG_INFO("commands: %zu handed out to router %s", json_array_size(list), router);
	cd_http_json(out, 200, json_pack("{s:o}", "commands", list));
	return true;
}

void cd_commands_refresh(struct svr_store *st)
{
	char err[256];
	unsigned failed = 0;
	int64_t now = cd_now_ms();
	static int64_t expired_at; /* the watcher thread's own */
	if (now - expired_at >= COMMAND_EXPIRE_EVERY_MS) {
		expired_at = now;
		if (svr_store_commands_expire(st, now - COMMAND_TTL_MS, now - COMMAND_KEEP_MS, now,
					      &failed, err, sizeof(err)) < 0)
			LOG_ERR("commands: expiring: %s", err);
		else if (failed)
			LOG_WARN("commands: %u failed: the router did not answer within %d s",
				 failed, COMMAND_TTL_MS / 1000);
	}
	json_t *routers = NULL;
	if (svr_store_commands_waiting(st, now - (COMMAND_TTL_MS - COMMAND_RUN_MS), &routers, err,
				       sizeof(err)) < 0) {
		LOG_ERR("commands: %s", err);
		return;
	}
	size_t i;
	json_t *r;
	json_array_foreach (routers, i, r)
		if (waiting_add(json_string_value(r)))
			cd_http_resume_who(json_string_value(r)); /* its held sync answers */
	json_decref(routers);
}

/* ------------------------------------------------------------ operator -- */

/* The command as an operator sees it: its state, and what it came to. */
static json_t *command_view(const json_t *cmd)
{
	const json_t *result = json_object_get(cmd, "result");
	const json_t *filter = json_object_get(json_object_get(cmd, "args"), "filter");
	return json_pack(
	    "{s:O, s:O, s:O, s:O, s:O?, s:O?, s:O, s:O, s:O, s:O}", "id",
	    json_object_get(cmd, "id"), "router", json_object_get(cmd, "router"), "command",
	    json_object_get(cmd, "command"), "state", json_object_get(cmd, "state"), "cleared",
	    json_object_get(result, "cleared"), "error", json_object_get(result, "error"), "filter",
	    filter ? filter : json_null(), "created-ms", json_object_get(cmd, "created-ms"),
	    "sent-ms", json_object_get(cmd, "sent-ms"), "done-ms", json_object_get(cmd, "done-ms"));
}

static void store_failed(struct cd_reply *out, int rc, const char *err)
{
	cd_http_error(out,
		      rc == SVR_STORE_NOT_FOUND                             ? 404
		      : rc == SVR_STORE_EXPIRED || rc == SVR_STORE_CONFLICT ? 409
		      : rc == SVR_STORE_INVALID                             ? 400
									    : 503,
		      "%s", err);
}

/* The filter of a clear-sessions request: {"tenant"?, "service"?, "address"?}, as the router's
 * own DELETE /sessions takes them. 400 with the member's path. */
static bool filter_valid(const json_t *filter, struct cd_reply *out)
{
	static const char *const keys[] = {"tenant", "service", "address", NULL};
	struct svr_jerr e;
	if (!json_is_object(filter)) {
		cd_http_error(
		    out, 400,
		    "filter: must be an object: {\"tenant\"?, \"service\"?, \"address\"?}, "
		    "or null");
		return false;
	}
	if (svr_json_only_keys(filter, "filter", keys, &e) < 0) {
		cd_http_error(out, 400, "%s", e.msg);
		return false;
	}
	for (size_t i = 0; i < 2; i++) {
		const json_t *v = json_object_get(filter, keys[i]);
		size_t n = json_string_length(v);
		if (v && (!json_is_string(v) || n == 0 || n > FILTER_NAME_MAX)) {
			cd_http_error(out, 400, "filter.%s: must be a name of 1-%d bytes", keys[i],
				      FILTER_NAME_MAX);
			return false;
		}
	}
	const json_t *a = json_object_get(filter, "address");
	struct svr_ip ip;
	if (a && (!json_is_string(a) || svr_ip_parse(json_string_value(a), &ip) < 0)) {
		cd_http_error(out, 400,
			      "filter.address: must be an IPv4 or IPv6 address (no prefix length, "
			      "no brackets)");
		return false;
	}
	return true;
}

/* The command's arguments: {"filter": {...}} naming at least one of its members, or, when the
 * request names none (no body, no filter, null or {}), an explicit {"all": true}: the router
 * clears every session only when told so. NULL when refused (400 answered). */
static json_t *clear_args(const struct cd_request *in, struct cd_reply *out)
{
	json_t *body = in->len ? cd_http_body_json(in, out) : json_object();
	static const char *const keys[] = {"filter", NULL};
	if (!body)
		return NULL;
	const json_t *filter = json_object_get(body, "filter");
	if (!json_is_object(body))
		cd_http_error(out, 400, "(top): must be an object: {\"filter\"?: {...}}");
	else if (cd_http_only_keys(body, keys, out) &&
		 (!filter || json_is_null(filter) || filter_valid(filter, out))) {
		if (json_object_size(filter) == 0) {
			json_object_clear(body);
			json_object_set_new(body, "all", json_true());
		}
		return body;
	}
	json_decref(body);
	return NULL;
}

static void post_clear_sessions(struct conductor *c, const struct cd_request *in,
				struct cd_reply *out)
{
	if (!cd_api_query_ok(in, out, cd_api_no_args))
		return;
	json_t *args = clear_args(in, out), *router = NULL, *cmd = NULL;
	if (!args)
		return;
	char err[256];
	int rc = svr_store_router_get(c->store, in->arg, &router, err, sizeof(err));
	if (rc == 0 && json_integer_value(json_object_get(router, "enrolled-ms")) == 0) {
		cd_http_error(out, 409, "router %s has not enrolled: nothing would run the command",
			      in->arg);
	} else if (rc == 0 &&
		   (rc = svr_store_command_add(c->store, in->arg, "clear-sessions", args,
					       cd_now_ms(), &cmd, err, sizeof(err))) == 0) {
		cd_http_audit(in, "clear-sessions on router %s (command %" PRId64 ")", in->arg,
			      (int64_t)json_integer_value(json_object_get(cmd, "id")));
		LOG_NOTICE("commands: %s asks router %s to clear sessions (command %" PRId64 ")",
			   in->who, in->arg,
			   (int64_t)json_integer_value(json_object_get(cmd, "id")));
		waiting_add(in->arg);
		cd_http_resume_who(in->arg); /* its held sync answers now */
		cd_http_json(out, 202, command_view(cmd));
	}
	if (rc < 0)
		store_failed(out, rc, err);
	json_decref(cmd);
	json_decref(router);
	json_decref(args);
}

/* A positive decimal id; 0 when s is not one. */
static int64_t parse_id(const char *s)
{
	int64_t id = 0;
	return cd_api_parse_positive(s, &id) ? id : 0;
}

static void get_command(struct conductor *c, const struct cd_request *in, struct cd_reply *out)
{
	if (!cd_api_query_ok(in, out, cd_api_no_args))
		return;
	char name[128];
	snprintf(name, sizeof(name), "%s", in->arg); /* "ROUTER/ID" (two {} in the route) */
	char *slash = strchr(name, '/');
	int64_t id = slash ? parse_id(slash + 1) : 0;
	if (slash)
		*slash = '\0';
	json_t *cmd = NULL;
	char err[256];
	int rc =
	    id ? svr_store_command_get(c->store, id, &cmd, err, sizeof(err)) : SVR_STORE_NOT_FOUND;
	if (rc == 0 && strcmp(json_string_value(json_object_get(cmd, "router")), name) != 0)
		rc = SVR_STORE_NOT_FOUND; /* another router's: not under this one */
	if (rc == SVR_STORE_NOT_FOUND)
		cd_http_error(out, 404, "router %s has no command %s", name,
			      slash ? slash + 1 : "");
	else if (rc < 0)
		store_failed(out, rc, err);
	else
		cd_http_json(out, 200, command_view(cmd));
	json_decref(cmd);
}

/* -------------------------------------------------------------- router -- */

/* {"state": "done", "cleared": N} or {"state": "failed", "error": "..."} (at most 1 KiB, no
 * control characters but newline and tab: it is logged and shown), nothing else with either;
 * the stored result ({"cleared"} or {"error"}), or NULL with 400 answered. */
static json_t *result_of(const json_t *body, struct cd_reply *out)
{
	static const char *const keys[] = {"state", "cleared", "error", NULL};
	if (!json_is_object(body)) {
		cd_http_error(out, 400,
			      "(top): must be an object: {\"state\", \"cleared\"?, \"error\"?}");
		return NULL;
	}
	if (!cd_http_only_keys(body, keys, out))
		return NULL;
	const char *state = json_string_value(json_object_get(body, "state"));
	const json_t *cleared = json_object_get(body, "cleared");
	const json_t *error = json_object_get(body, "error");
	if (state && strcmp(state, "done") == 0 && !error && json_is_integer(cleared) &&
	    json_integer_value(cleared) >= 0)
		return json_pack("{s:O}", "cleared", cleared);
	if (state && strcmp(state, "failed") == 0 && error && !cleared) {
		const char *text = cd_api_text_field(body, "error", RESULT_MAX_ERROR, true, out);
		return text ? json_pack("{s:s}", "error", text) : NULL;
	}
	cd_http_error(out, 400,
		      "state: expected \"done\" with cleared (an integer >= 0) and no error, or "
		      "\"failed\" with error (a sentence) and no cleared");
	return NULL;
}

static void post_result(struct conductor *c, const struct cd_request *in, struct cd_reply *out)
{
	int64_t id = parse_id(in->arg);
	json_t *body = cd_http_body_json(in, out);
	json_t *result = body ? result_of(body, out) : NULL;
	if (!result) {
		json_decref(body);
		return;
	}
	const char *state = json_string_value(json_object_get(body, "state"));
	char err[256];
	int rc = id ? svr_store_command_finish(c->store, id, in->who, state, result, cd_now_ms(),
					       err, sizeof(err))
		    : SVR_STORE_NOT_FOUND;
	if (rc == 0) {
		LOG_NOTICE("commands: router %s: command %" PRId64 " %s", in->who, id, state);
		out->status = 204;
	} else if (rc == SVR_STORE_NOT_FOUND) {
		cd_http_error(out, 404, "router %s has no command %s", in->who, in->arg);
	} else {
		store_failed(out, rc, err);
	}
	json_decref(result);
	json_decref(body);
}

static const struct cd_route routes[] = {
    {"POST", "/routers/{}/clear-sessions", CD_CRED_OPERATOR, post_clear_sessions, CLEAR_MAX_BODY,
     CD_ROLE_OPERATOR, "clear-sessions"},
    {"GET", "/routers/{}/commands/{}", CD_CRED_OPERATOR, get_command, 0, CD_ROLES_ALL},
    {"POST", "/commands/{}/result", CD_CRED_ROUTER, post_result, RESULT_MAX_BODY, 0,
     "command-result"},
};

void cd_commands_register(struct conductor *c)
{
	(void)c;
	cd_http_routes(routes, sizeof(routes) / sizeof(routes[0]));
}
