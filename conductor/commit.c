/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one path every change of the running model takes (commit.h): the store's commit,
 * rollback or proposal commit, then the log line and the ITSM webhook's event. Runs on the
 * HTTP server's threads (requests) and on the main thread (the tick); shares nothing but the
 * store, which serialises itself.
 */
#include <stdio.h>
#include <string.h>

#include "commit.h"
#include "common/log.h"
#include "model/diff.h"
#include "model/validate.h"
#include "webhook.h"

#define DUE_PER_TICK 16 /* proposals committed per tick at most; the rest at the next */

json_t *cd_commit_changes(struct conductor *c, const json_t *model)
{
	struct svr_store_commit info;
	json_t *running = NULL, *empty = json_object();
	char err[256];
	json_t *changes = NULL;
	if (svr_store_running(c->store, &info, &running, err, sizeof(err)) == 0 && empty)
		changes = svr_model_diff(running ? running : empty, model ? model : empty);
	json_decref(running);
	json_decref(empty);
	return changes;
}

/* A scheduled proposal that this conductor failed (of several on one store, the one whose store
 * call marked it): logged and sent once. */
static void report_failed(const struct svr_store_proposal *p)
{
	LOG_ERR("proposal %lld (%s) failed at its scheduled time: %s", (long long)p->id,
		p->ticket[0] ? p->ticket : "no ticket", p->error);
	cd_webhook_event("failed", p, NULL, NULL);
}

/* What a new version changed from the version it replaced (for the webhook's event). */
static json_t *version_changes(struct conductor *c, const struct svr_store_commit *v)
{
	json_t *a = NULL, *b = NULL, *changes = NULL, *empty = json_object();
	char err[256];
	if (empty &&
	    (!v->previous_version ||
	     svr_store_version(c->store, v->previous_version, NULL, &a, err, sizeof(err)) == 0) &&
	    svr_store_version(c->store, v->version, NULL, &b, err, sizeof(err)) == 0)
		changes = svr_model_diff(a ? a : empty, b);
	json_decref(a);
	json_decref(b);
	json_decref(empty);
	return changes;
}

static int store_change(struct conductor *c, const struct cd_change *ch,
			struct svr_store_commit *out, struct svr_store_proposal *p,
			struct svr_model_errors *errors, bool *failed, char *err, size_t errlen)
{
	if (ch->proposal)
		return svr_store_proposal_commit(c->store, ch->proposal, ch->from, ch->approver,
						 ch->comment, cd_now_ms(), p, out, errors, failed,
						 err, errlen);
	if (ch->rollback_to)
		return svr_store_rollback(c->store, ch->rollback_to, ch->author, ch->message,
					  ch->ticket, out, errors, err, errlen);
	return svr_store_commit(c->store, ch->model, ch->author, ch->message, ch->ticket, out,
				errors, err, errlen);
}

int cd_commit(struct conductor *c, const struct cd_change *ch, struct svr_store_commit *out,
	      struct svr_store_proposal *p, struct svr_model_errors *errors, char *err,
	      size_t errlen)
{
	struct svr_store_proposal local;
	bool failed = false;
	p = p ? p : &local;
	memset(p, 0, sizeof(*p));
	int rc = store_change(c, ch, out, p, errors, &failed, err, errlen);
	if (rc < 0) {
		/* A scheduled proposal that could not be committed is failed for good. */
		if (failed)
			report_failed(p);
		return rc;
	}
	if (ch->proposal)
		LOG_NOTICE("version %lld (%s) committed: proposal %lld by %s, approved by %s%s%s",
			   (long long)out->version, out->kind, (long long)p->id, p->proposer,
			   p->approver, out->ticket[0] ? ", ticket " : "", out->ticket);
	else
		LOG_NOTICE("version %lld (%s) committed by %s%s%s", (long long)out->version,
			   out->kind, out->author, out->ticket[0] ? ", ticket " : "", out->ticket);
	if (cd_webhook_on()) {
		json_t *changes = version_changes(c, out);
		/* Approved and committed at once: the approval is an event of its own, first. */
		if (ch->proposal && strcmp(ch->from, "proposed") == 0)
			cd_webhook_event("approve", p, NULL, changes);
		cd_webhook_event(out->kind, ch->proposal ? p : NULL, out, changes);
		json_decref(changes);
	}
	return 0;
}

/* The audit log's entry of a commit the tick made: no request made it, so the proposer, who
 * asked for it, is named. */
static void audit_scheduled(struct conductor *c, const struct svr_store_proposal *p,
			    const struct svr_store_commit *v)
{
	char detail[128], err[256];
	snprintf(detail, sizeof(detail), "scheduled proposal %lld committed as version %lld",
		 (long long)p->id, (long long)v->version);
	struct svr_store_audit e = {.at_ms = cd_now_ms(),
				    .who = p->proposer,
				    .action = "commit",
				    .detail = detail,
				    .status = 200};
	if (svr_store_audit_add(c->store, &e, NULL, err, sizeof(err)) < 0)
		LOG_WARN("audit log: the entry \"%s\" is lost: %s", detail, err);
}

/* Past its apply-at and the grace (every conductor was down, or the store was): a change
 * planned for a window is not made hours later. true when handled so. */
static bool missed_window(struct conductor *c, int64_t id, int64_t now_ms)
{
	struct svr_store_proposal p;
	char err[256], why[128];
	bool marked = false;
	int64_t grace_ms = (int64_t)c->cfg.change_control.apply_grace_s * 1000;
	if (svr_store_proposal_get(c->store, id, &p, NULL, err, sizeof(err)) < 0 ||
	    now_ms <= p.apply_at_ms + grace_ms)
		return false;
	snprintf(why, sizeof(why),
		 "missed its window: not committed within %u s of its apply-at (propose it again)",
		 c->cfg.change_control.apply_grace_s);
	if (svr_store_proposal_fail(c->store, id, "approved", why, &marked, &p, err, sizeof(err)) <
	    0)
		return false; /* tried again at the next tick */
	if (marked)
		report_failed(&p);
	return true;
}

/* Logs the store's failure once per outage, not once a second per due proposal. */
static void due_outage(bool failing, const char *err)
{
	static bool logged; /* the main thread's only */
	if (failing && !logged)
		LOG_WARN("scheduled proposals: %s (tried again every second; logged once until the "
			 "store answers)",
			 err);
	else if (!failing && logged)
		LOG_NOTICE("scheduled proposals: the store answers again");
	logged = failing;
}

void cd_commit_due(struct conductor *c, int64_t now_ms)
{
	int64_t ids[DUE_PER_TICK];
	size_t n = 0;
	char err[256];
	bool failing = false;
	if (svr_store_proposals_due(c->store, now_ms, ids, DUE_PER_TICK, &n, err, sizeof(err)) <
	    0) {
		due_outage(true, err);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (missed_window(c, ids[i], now_ms))
			continue;
		struct cd_change ch = {.proposal = ids[i], .from = "approved"};
		struct svr_store_commit out;
		struct svr_store_proposal p;
		struct svr_model_errors errors;
		svr_model_errors_init(&errors);
		int rc = cd_commit(c, &ch, &out, &p, &errors, err, sizeof(err));
		if (rc == 0)
			audit_scheduled(c, &p, &out);
		/* Another conductor on the store committed it first (CONFLICT), or it failed
		 * (reported): only the store's failures are left. */
		if (rc == SVR_STORE_ERR) {
			failing = true;
			due_outage(true, err);
		}
		svr_model_errors_free(&errors);
	}
	if (!failing)
		due_outage(false, "");
}
