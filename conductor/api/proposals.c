/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Change control's requests under /api/v1 (docs/conductor.md, "Change control"): planners
 * propose a change (a model, the candidate or a rollback), approvers other than the proposer
 * approve or reject it, its proposer or an admin withdraws it. An approval commits at once, or
 * at the proposal's apply-at (main.c's tick, commit.c), through cd_commit like POST /commit.
 * Each step is sent to the ITSM webhook.
 *
 * Threads: the HTTP server's; the store serialises itself.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "commit.h"
#include "common/hex.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "conductor.h"
#include "model/diff.h"
#include "model/validate.h"
#include "webhook.h"

#define LIST_LIMIT_DEFAULT 50
#define LIST_LIMIT_MAX     1000
#define APPLY_AT_MAX_MS    (366LL * 86400 * 1000) /* a year ahead, a leap day included */

static const char *const states[] = {"proposed", "approved",  "committed",
				     "rejected", "withdrawn", "failed"};

static json_t *number_or_null(int64_t v)
{
	return v ? json_integer(v) : json_null();
}

/* Whether the proposal's decider approved it: approved (waiting), committed, or failed after
 * an approval (only scheduled ones fail). Who rejected or withdrew one is "decided-by" only. */
static bool was_approved(const struct svr_store_proposal *p)
{
	return strcmp(p->state, "approved") == 0 || strcmp(p->state, "committed") == 0 ||
	       (strcmp(p->state, "failed") == 0 && p->approver[0]);
}

/* A proposal as the API shows it (the names of docs/conductor.md). */
static json_t *proposal_json(const struct svr_store_proposal *p)
{
	json_t *o = json_pack(
	    "{s:I, s:s, s:s, s:o, s:s, s:s, s:o, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
	    "s:s}",
	    "id", (json_int_t)p->id, "state", p->state, "kind", p->kind, "source-version",
	    number_or_null(p->source_version), "proposer", p->proposer, "message", p->message,
	    "ticket", cd_text_or_null(p->ticket), "created-ms", (json_int_t)p->created_ms,
	    "base-version", (json_int_t)p->base_version, "apply-at-ms",
	    number_or_null(p->apply_at_ms), "approver",
	    cd_text_or_null(was_approved(p) ? p->approver : ""), "decided-by",
	    cd_text_or_null(p->approver), "decided-ms", number_or_null(p->decided_ms), "comment",
	    json_string(p->comment), "version", number_or_null(p->version), "serial",
	    number_or_null(p->serial), "error", cd_text_or_null(p->error), "sha256", p->sha256);
	return o;
}

static void proposal_reply(struct cd_reply *out, unsigned status,
			   const struct svr_store_proposal *p)
{
	json_t *o = proposal_json(p);
	if (!o)
		cd_http_error(out, 500, "out of memory");
	else
		cd_http_json(out, status, o);
}

/* The changes of proposal p with model: while it is open, from the running model (what an
 * approval would change now); once decided, from its base version (what it was to change,
 * whatever ran since). NULL when the store fails. */
static json_t *changes_of(struct conductor *c, const struct svr_store_proposal *p,
			  const json_t *model)
{
	if (strcmp(p->state, "proposed") == 0 || strcmp(p->state, "approved") == 0)
		return cd_commit_changes(c, model);
	json_t *base = NULL, *empty = json_object(), *changes = NULL;
	char err[256];
	if (empty && (!p->base_version || svr_store_version(c->store, p->base_version, NULL, &base,
							    err, sizeof(err)) == 0))
		changes = svr_model_diff(base ? base : empty, model ? model : empty);
	json_decref(base);
	json_decref(empty);
	return changes;
}

/* The proposal's changes (changes_of); NULL when that cannot be had. */
static json_t *proposal_changes(struct conductor *c, int64_t id)
{
	struct svr_store_proposal p;
	json_t *model = NULL, *changes = NULL;
	char err[256];
	if (svr_store_proposal_get(c->store, id, &p, &model, err, sizeof(err)) == 0)
		changes = changes_of(c, &p, model);
	json_decref(model);
	return changes;
}

/* Tells the ITSM webhook of a step of proposal p. */
static void notify(struct conductor *c, const char *event, const struct svr_store_proposal *p)
{
	if (!cd_webhook_on())
		return;
	json_t *changes = proposal_changes(c, p->id);
	cd_webhook_event(event, p, NULL, changes);
	json_decref(changes);
}

/* {id} of the path. */
static bool proposal_id(const struct cd_request *in, struct cd_reply *out, int64_t *id)
{
	if (cd_api_parse_positive(in->arg, id))
		return true;
	cd_http_error(out, 400, "\"%.64s\" is not a proposal id (1, 2, ...)", in->arg);
	return false;
}

/* "apply-at": 0 when absent or null; -1 and a 400 when wrong. */
static int64_t apply_at_field(const json_t *body, struct cd_reply *out)
{
	const json_t *v = json_object_get(body, "apply-at");
	if (!v || json_is_null(v))
		return 0;
	/* UTC only ("Z"): a time an ITSM and an operator read alike, whatever their zones. */
	const char *text = json_string_value(v);
	int64_t at_s = 0;
	if (!text || !*text || text[strlen(text) - 1] != 'Z' ||
	    svr_rfc3339_parse(text, &at_s) < 0) {
		cd_http_error(out, 400,
			      "\"apply-at\" must be a time in UTC as RFC 3339 "
			      "(e.g. 2026-12-24T22:00:00Z)");
		return -1;
	}
	int64_t now = cd_now_ms(), at = at_s * 1000;
	if (at <= now || at > now + APPLY_AT_MAX_MS) {
		cd_http_error(out, 400,
			      "\"apply-at\" must be in the future and at most a year ahead");
		return -1;
	}
	return at;
}

/* The model proposed: "model", else (with no "rollback-to") the candidate. false when answered
 * (wrong); true with *model, or with *model NULL and p a rollback (the store takes its model). */
static bool proposed_model(struct conductor *c, const json_t *body, struct svr_store_proposal *p,
			   json_t **model, struct cd_reply *out)
{
	const json_t *m = json_object_get(body, "model"),
		     *to = json_object_get(body, "rollback-to");
	char err[256];
	*model = NULL;
	if (m && !json_is_null(m) && to && !json_is_null(to)) {
		cd_http_error(out, 400, "give \"model\" or \"rollback-to\", not both");
		return false;
	}
	if (to && !json_is_null(to)) {
		if (!json_is_integer(to) || json_integer_value(to) < 1) {
			cd_http_error(out, 400,
				      "\"rollback-to\" must be a version number (1, 2, ...)");
			return false;
		}
		snprintf(p->kind, sizeof(p->kind), "rollback");
		p->source_version = json_integer_value(to);
		return true;
	}
	snprintf(p->kind, sizeof(p->kind), "commit");
	if (m && !json_is_null(m)) {
		if (!json_is_object(m)) {
			cd_http_error(out, 400,
				      "\"model\" must be a JSON object (a model document)");
			return false;
		}
		*model = json_incref((json_t *)m);
		return true;
	}
	int rc = cd_api_candidate_model(c, model, err, sizeof(err));
	if (rc < 0)
		cd_api_store_error(out, rc, err);
	else if (!*model)
		cd_http_error(out, 409,
			      "nothing to propose: no \"model\" in the body, no candidate put and "
			      "nothing committed");
	return rc == 0 && *model;
}

/* The proposal's texts and time from the body; false when answered. */
static bool proposal_fields(struct conductor *c, const json_t *body, struct svr_store_proposal *p,
			    struct cd_reply *out)
{
	static const char *const keys[] = {"message", "ticket",      "apply-at",
					   "model",   "rollback-to", NULL};
	const char *message, *ticket;
	if (!cd_http_only_keys(body, keys, out) || !(message = cd_api_message_field(body, out)) ||
	    !(ticket = cd_api_ticket_field(body, out)))
		return false;
	if (!*ticket && c->cfg.change_control.enabled && c->cfg.change_control.require_ticket) {
		cd_http_error(out, 400,
			      "\"ticket\" is required: change control asks for a change ticket "
			      "with every proposal");
		return false;
	}
	p->apply_at_ms = apply_at_field(body, out);
	if (p->apply_at_ms < 0)
		return false;
	snprintf(p->message, sizeof(p->message), "%s", message);
	snprintf(p->ticket, sizeof(p->ticket), "%s", ticket);
	return true;
}

static void post_proposal(struct conductor *c, const struct cd_request *in, struct cd_reply *out)
{
	if (!cd_api_query_ok(in, out, cd_api_no_args))
		return;
	json_t *body = cd_http_body_json(in, out), *model = NULL;
	if (!body)
		return;
	struct svr_store_proposal p = {0};
	snprintf(p.proposer, sizeof(p.proposer), "%s", in->who);
	if (proposal_fields(c, body, &p, out) && proposed_model(c, body, &p, &model, out)) {
		struct svr_model_errors errors;
		char err[256];
		svr_model_errors_init(&errors);
		int rc = svr_store_proposal_add(c->store, model, &p, &errors, err, sizeof(err));
		if (rc == SVR_STORE_INVALID) {
			cd_api_invalid_model(out, "proposed", &errors);
		} else if (rc < 0) {
			cd_api_store_error(out, rc, err);
		} else {
			LOG_NOTICE("proposal %lld (%s) by %s%s%s", (long long)p.id, p.kind,
				   p.proposer, p.ticket[0] ? ", ticket " : "", p.ticket);
			notify(c, "propose", &p);
			cd_http_audit(in, "proposal %lld (%s)%s%s", (long long)p.id, p.kind,
				      p.ticket[0] ? ", ticket " : "", p.ticket);
			proposal_reply(out, 201, &p);
		}
		svr_model_errors_free(&errors);
	}
	json_decref(model);
	json_decref(body);
}

static void get_proposals(struct conductor *c, const struct cd_request *in, struct cd_reply *out)
{
	static const char *const known[] = {"state", "limit", "before", NULL};
	if (!cd_api_query_ok(in, out, known))
		return;
	const char *state = cd_http_query(in, "state");
	bool known_state = !state;
	for (size_t i = 0; state && i < sizeof(states) / sizeof(states[0]); i++)
		known_state |= strcmp(state, states[i]) == 0;
	if (!known_state) {
		cd_http_error(out, 400,
			      "query parameter \"state\": \"%.32s\" is not proposed, approved, "
			      "committed, rejected, withdrawn or failed",
			      state);
		return;
	}
	int64_t before = cd_api_number_arg(in, out, "before", 1, INT64_MAX / 2, 0);
	int64_t limit =
	    before < 0 ? -1
		       : cd_api_number_arg(in, out, "limit", 1, LIST_LIMIT_MAX, LIST_LIMIT_DEFAULT);
	if (limit < 0)
		return;
	struct svr_store_proposal *list = NULL;
	size_t n = 0;
	char err[256];
	int rc = svr_store_proposals(c->store, state, before, (unsigned)limit, &list, &n, err,
				     sizeof(err));
	if (rc < 0) {
		cd_api_store_error(out, rc, err);
		return;
	}
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, proposal_json(&list[i]));
	json_t *next =
	    n == (size_t)limit && list[n - 1].id > 1 ? json_integer(list[n - 1].id) : json_null();
	free(list);
	cd_http_json(out, 200, json_pack("{s:o, s:o}", "proposals", arr, "next", next));
}

static void get_proposal(struct conductor *c, const struct cd_request *in, struct cd_reply *out)
{
	struct svr_store_proposal p;
	json_t *model = NULL;
	char err[256];
	int64_t id;
	if (!cd_api_query_ok(in, out, cd_api_no_args) || !proposal_id(in, out, &id))
		return;
	int rc = svr_store_proposal_get(c->store, id, &p, &model, err, sizeof(err));
	if (rc < 0) {
		cd_api_store_error(out, rc, err);
		return;
	}
	json_t *o = proposal_json(&p), *changes = changes_of(c, &p, model);
	json_decref(model);
	if (!o || !changes) {
		json_decref(o);
		json_decref(changes);
		cd_http_error(out, 503, "the store failed: the models to compare cannot be read");
		return;
	}
	json_object_set_new(o, "changes", changes);
	cd_http_json(out, 200, o);
}

/* The body of approve, reject and withdraw: none, or {"comment"} (approve: and
 * "expect-sha256", into expect when not NULL). */
static bool decision_body(const struct cd_request *in, struct cd_reply *out, char *comment,
			  size_t len, char expect[65])
{
	static const char *const keys[] = {"comment", NULL};
	static const char *const approve_keys[] = {"comment", "expect-sha256", NULL};
	*comment = '\0';
	if (expect)
		*expect = '\0';
	if (!cd_api_query_ok(in, out, cd_api_no_args))
		return false;
	if (in->len == 0)
		return true;
	json_t *body = cd_http_body_json(in, out);
	const char *text = NULL, *sha = "";
	if (body && cd_http_only_keys(body, expect ? approve_keys : keys, out) &&
	    (text = cd_api_text_field(body, "comment", SVR_STORE_MESSAGE_MAX - 1, false, out)) &&
	    expect && !(sha = cd_api_text_field(body, "expect-sha256", 64, false, out)))
		text = NULL;
	if (text && sha && *sha && !svr_hex_is_lower(sha, strlen(sha), 64)) {
		cd_http_error(out, 400, "\"expect-sha256\" must be 64 lowercase hex digits");
		text = NULL;
	}
	if (text) {
		snprintf(comment, len, "%s", text);
		if (expect)
			snprintf(expect, 65, "%s", sha ? sha : "");
	}
	json_decref(body);
	return text != NULL;
}

/* The proposal decided on, which the operator must not have proposed (approve, reject). */
static bool load_for_decision(struct conductor *c, const struct cd_request *in,
			      struct cd_reply *out, const char *verb, struct svr_store_proposal *p)
{
	int64_t id;
	char err[256];
	if (!proposal_id(in, out, &id))
		return false;
	int rc = svr_store_proposal_get(c->store, id, p, NULL, err, sizeof(err));
	if (rc < 0) {
		cd_api_store_error(out, rc, err);
		return false;
	}
	if (strcmp(p->proposer, in->who) == 0) {
		cd_http_error(out, 403,
			      "operator %s proposed proposal %lld: another approver must %s it",
			      in->who, (long long)id, verb);
		return false;
	}
	return true;
}

/* An approval with apply-at ahead: the proposal waits, approved, for the tick. */
static void approve_scheduled(struct conductor *c, const struct cd_request *in,
			      struct cd_reply *out, struct svr_store_proposal *p,
			      const char *comment)
{
	struct svr_store_commit running;
	char err[256];
	int rc = svr_store_running(c->store, &running, NULL, err, sizeof(err));
	if (rc == 0 && running.version != p->base_version) {
		cd_http_error(out, 409,
			      "proposal %lld was based on version %lld, and version %lld runs now: "
			      "propose it again",
			      (long long)p->id, (long long)p->base_version,
			      (long long)running.version);
		return;
	}
	if (rc == 0)
		rc = svr_store_proposal_decide(c->store, p->id, "proposed", "approved", in->who,
					       comment, cd_now_ms(), p, err, sizeof(err));
	if (rc < 0) {
		cd_api_store_error(out, rc, err);
		return;
	}
	LOG_NOTICE("proposal %lld approved by %s, to be committed at %lld ms", (long long)p->id,
		   in->who, (long long)p->apply_at_ms);
	notify(c, "approve", p);
	cd_http_audit(in, "proposal %lld approved, to be committed at %lld ms", (long long)p->id,
		      (long long)p->apply_at_ms);
	proposal_reply(out, 200, p);
}

static void post_approve(struct conductor *c, const struct cd_request *in, struct cd_reply *out)
{
	struct svr_store_proposal p;
	char comment[SVR_STORE_MESSAGE_MAX], err[256], expect[65];
	if (!decision_body(in, out, comment, sizeof(comment), expect) ||
	    !load_for_decision(c, in, out, "approve", &p))
		return;
	if (strcmp(p.state, "proposed") != 0) {
		cd_http_error(out, 409, "proposal %lld is %s: only a proposed one can be approved",
			      (long long)p.id, p.state);
		return;
	}
	/* The approver approves what it read (an ITSM's ticket could map to another model). The
	 * model is fixed when proposed, so a check here holds until the commit. */
	if (expect[0] && strcmp(expect, p.sha256) != 0) {
		cd_http_error(
		    out, 409,
		    "proposal %lld's model has sha256 %s, not the \"expect-sha256\" given",
		    (long long)p.id, p.sha256);
		return;
	}
	/* A change planned for a window is not made at once when approved after it. */
	if (p.apply_at_ms && p.apply_at_ms <= cd_now_ms()) {
		cd_http_error(out, 409, "proposal %lld: apply-at has passed; propose again",
			      (long long)p.id);
		return;
	}
	if (p.apply_at_ms) {
		approve_scheduled(c, in, out, &p, comment);
		return;
	}
	struct cd_change ch = {
	    .proposal = p.id, .from = "proposed", .approver = in->who, .comment = comment};
	struct svr_store_commit info;
	struct svr_model_errors errors;
	svr_model_errors_init(&errors);
	int rc = cd_commit(c, &ch, &info, &p, &errors, err, sizeof(err));
	if (rc == SVR_STORE_INVALID)
		cd_api_invalid_model(out, "committed", &errors);
	else if (rc == SVR_STORE_CONFLICT)
		cd_http_error(out, 409, "proposal %lld: %s", (long long)ch.proposal, err);
	else if (rc < 0)
		cd_api_store_error(out, rc, err);
	else {
		cd_http_audit(in, "proposal %lld approved: committed version %lld (serial %lld)",
			      (long long)p.id, (long long)info.version, (long long)p.serial);
		proposal_reply(out, 200, &p);
	}
	svr_model_errors_free(&errors);
}

/* Moves the proposal from proposed (or approved: a scheduled one not yet committed) to to. */
static void decide(struct conductor *c, const struct cd_request *in, struct cd_reply *out,
		   struct svr_store_proposal *p, const char *comment, const char *to,
		   const char *event)
{
	char err[256];
	int64_t now = cd_now_ms();
	int rc = svr_store_proposal_decide(c->store, p->id, "proposed", to, in->who, comment, now,
					   p, err, sizeof(err));
	if (rc == SVR_STORE_CONFLICT && strcmp(p->state, "approved") == 0)
		rc = svr_store_proposal_decide(c->store, p->id, "approved", to, in->who, comment,
					       now, p, err, sizeof(err));
	if (rc == SVR_STORE_CONFLICT) {
		cd_http_error(out, 409,
			      "proposal %lld is %s: only a proposed or approved one can be %s",
			      (long long)p->id, p->state, to);
		return;
	}
	if (rc < 0) {
		cd_api_store_error(out, rc, err);
		return;
	}
	LOG_NOTICE("proposal %lld %s by %s", (long long)p->id, to, in->who);
	notify(c, event, p);
	cd_http_audit(in, "proposal %lld %s", (long long)p->id, to);
	proposal_reply(out, 200, p);
}

static void post_reject(struct conductor *c, const struct cd_request *in, struct cd_reply *out)
{
	struct svr_store_proposal p;
	char comment[SVR_STORE_MESSAGE_MAX];
	if (decision_body(in, out, comment, sizeof(comment), NULL) &&
	    load_for_decision(c, in, out, "reject", &p))
		decide(c, in, out, &p, comment, "rejected", "reject");
}

static void post_withdraw(struct conductor *c, const struct cd_request *in, struct cd_reply *out)
{
	struct svr_store_proposal p;
	char comment[SVR_STORE_MESSAGE_MAX], err[256];
	int64_t id;
	if (!decision_body(in, out, comment, sizeof(comment), NULL) || !proposal_id(in, out, &id))
		return;
	int rc = svr_store_proposal_get(c->store, id, &p, NULL, err, sizeof(err));
	if (rc < 0) {
		cd_api_store_error(out, rc, err);
		return;
	}
	if (strcmp(p.proposer, in->who) != 0 && in->role != CD_ROLE_ADMIN) {
		cd_http_error(
		    out, 403,
		    "proposal %lld is %s's: only its proposer or an admin may withdraw it",
		    (long long)id, p.proposer);
		return;
	}
	decide(c, in, out, &p, comment, "withdrawn", "withdraw");
}

static const struct cd_route proposal_routes[] = {
    {"GET", "/proposals", CD_CRED_OPERATOR, get_proposals, 0, CD_ROLES_ALL},
    {"POST", "/proposals", CD_CRED_OPERATOR, post_proposal, 0, CD_ROLE_PLANNER, "propose"},
    {"GET", "/proposals/{}", CD_CRED_OPERATOR, get_proposal, 0, CD_ROLES_ALL},
    {"POST", "/proposals/{}/approve", CD_CRED_OPERATOR, post_approve, 64 << 10, CD_ROLE_APPROVER,
     "approve"},
    {"POST", "/proposals/{}/reject", CD_CRED_OPERATOR, post_reject, 64 << 10, CD_ROLE_APPROVER,
     "reject"},
    {"POST", "/proposals/{}/withdraw", CD_CRED_OPERATOR, post_withdraw, 64 << 10, CD_ROLE_PLANNER,
     "withdraw"},
};

void cd_api_proposals_register(struct conductor *c)
{
	(void)c;
	cd_http_routes(proposal_routes, sizeof(proposal_routes) / sizeof(proposal_routes[0]));
}
