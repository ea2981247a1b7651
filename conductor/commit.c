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
			struct svr_model_errors *errors, char *err, size_t errlen)
{
	if (ch->proposal)
		return svr_store_proposal_commit(c->store, ch->proposal, ch->from, ch->approver,
						 ch->comment, cd_now_ms(), p, out, errors, err,
						 errlen);
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
	p = p ? p : &local;
	memset(p, 0, sizeof(*p));
	int rc = store_change(c, ch, out, p, errors, err, errlen);
	if (rc < 0) {
		/* A scheduled proposal that could not be committed is failed for good. */
		if (ch->proposal && strcmp(p->state, "failed") == 0) {
			LOG_ERR("proposal %lld (%s) failed at its scheduled time: %s",
				(long long)p->id, p->ticket[0] ? p->ticket : "no ticket", p->error);
			cd_webhook_event("failed", p, NULL, NULL);
		}
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

void cd_commit_due(struct conductor *c, int64_t now_ms)
{
	int64_t ids[DUE_PER_TICK];
	size_t n = 0;
	char err[256];
	if (svr_store_proposals_due(c->store, now_ms, ids, DUE_PER_TICK, &n, err, sizeof(err)) <
	    0) {
		LOG_WARN("scheduled proposals: %s", err);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct cd_change ch = {.proposal = ids[i], .from = "approved"};
		struct svr_store_commit out;
		struct svr_store_proposal p;
		struct svr_model_errors errors;
		svr_model_errors_init(&errors);
		int rc = cd_commit(c, &ch, &out, &p, &errors, err, sizeof(err));
		/* Another conductor on the store committed it first: not ours to report. */
		if (rc < 0 && strcmp(p.state, "failed") != 0 && rc != SVR_STORE_CONFLICT)
			LOG_WARN("scheduled proposal %lld: %s (tried again in a second)",
				 (long long)ids[i], err);
		svr_model_errors_free(&errors);
	}
}
