/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Every change of the running model goes through cd_commit (docs/conductor.md, "Versions" and
 * "Change control"): POST /commit and /rollback, an approval that commits at once, and the
 * tick that commits scheduled proposals. It stores the change, logs it and tells the ITSM
 * webhook.
 */
#ifndef SVR_CONDUCTOR_COMMIT_H
#define SVR_CONDUCTOR_COMMIT_H

#include <jansson.h>
#include <stdint.h>

#include "conductor.h"

/* One of three changes: a commit of model (NULL: the candidate), a rollback to rollback_to, or
 * the proposal proposal (its own model, author and texts). */
struct cd_change {
	const json_t *model;
	int64_t rollback_to;
	const char *author, *message, *ticket; /* a commit or a rollback */
	int64_t proposal;
	const char *from;               /* a proposal's state: "proposed" or "approved" */
	const char *approver, *comment; /* a proposal approved now ("proposed") */
};

/* Returns 0 or the store's code (SVR_STORE_INVALID with errors; a proposal's
 * SVR_STORE_CONFLICT...), with err. p (may be NULL) receives a proposal as it is after. */
int cd_commit(struct conductor *c, const struct cd_change *ch, struct svr_store_commit *out,
	      struct svr_store_proposal *p, struct svr_model_errors *errors, char *err,
	      size_t errlen);

/* Commits the approved proposals whose time has come; main.c's tick. */
void cd_commit_due(struct conductor *c, int64_t now_ms);

/* The changes from the running model to model (src/model/diff.h's shape): a new array, NULL
 * when the store fails or memory runs out. */
json_t *cd_commit_changes(struct conductor *c, const json_t *model);

#endif
