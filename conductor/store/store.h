/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The conductor's store: the authority's model as numbered versions, the candidate, the routers
 * (inventory, credentials, enrolment tokens, last status), the inter-router key set and a
 * change serial that moves on every change a router must hear of. One interface, two backends:
 * SQLite (a file in the state directory; the default) and PostgreSQL (several conductors on one
 * database). Both run the same SQL text (schema.sql and the statements in store.c).
 *
 * Thread model: every call may be made from any thread; a store serialises its own calls. A
 * conductor opens one store for requests and, where it waits for changes, a second one for
 * svr_store_wait_change().
 *
 * Errors: functions return 0 or a negative SVR_STORE_* code, and fill err (a sentence) when one
 * is given. Nothing is changed by a call that fails.
 */
#ifndef SVR_CONDUCTOR_STORE_H
#define SVR_CONDUCTOR_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct svr_model_errors;

enum {
	SVR_STORE_OK = 0,
	SVR_STORE_ERR = -1,       /* the backend failed (I/O, connection lost...): err says how */
	SVR_STORE_INVALID = -2,   /* the model is invalid: the errors list says where */
	SVR_STORE_NOT_FOUND = -3, /* no such version, router or token */
	SVR_STORE_EXISTS = -4,    /* the name is taken */
	SVR_STORE_EXPIRED = -5,   /* an enrolment token that was used or has expired */
	SVR_STORE_CONFLICT = -6,  /* a proposal not in the state asked for, or its base moved */
};

struct svr_store;

/* spec: "sqlite:PATH" or "postgresql:CONNINFO" (libpq's key=value or URI). Creates the schema
 * when missing. */
int svr_store_open(const char *spec, struct svr_store **out, char *err, size_t errlen);
void svr_store_close(struct svr_store *s);
const char *svr_store_backend(const struct svr_store *s); /* "sqlite" or "postgresql" */

/* ---- versions ---- */

#define SVR_STORE_NAME_MAX    128
#define SVR_STORE_MESSAGE_MAX 1024

struct svr_store_commit {
	int64_t version; /* 1, 2, ... */
	int64_t at_ms;   /* Unix time, milliseconds */
	char author[SVR_STORE_NAME_MAX];
	char message[SVR_STORE_MESSAGE_MAX];
	char ticket[SVR_STORE_NAME_MAX]; /* "" when none */
	char kind[16];                   /* "commit" or "rollback" */
	int64_t source_version;          /* rollback: the version restored; else 0 */
	char sha256[65];                 /* of the model's canonical text (sorted keys, compact) */
	int64_t previous_version;        /* what a commit just made replaced (0: none, or a
					    version loaded rather than made) */
};

/* Validates model (the whole document: svr_model_validate, then svr_model_compile_all) and stores
 * it as the next version, which becomes the running one. Invalid: SVR_STORE_INVALID with every
 * error in errors, and nothing stored (an author, message or ticket too long for the fields
 * above is refused the same way, its error's path being "author", "message" or "ticket").
 * model NULL: commit the candidate (SVR_STORE_NOT_FOUND when none was put), which is then
 * cleared: the candidate is the running model again. */
int svr_store_commit(struct svr_store *s, const json_t *model, const char *author,
		     const char *message, const char *ticket, struct svr_store_commit *out,
		     struct svr_model_errors *errors, char *err, size_t errlen);
/* A new commit whose model equals version's (kind "rollback"). Validated again like a commit. */
int svr_store_rollback(struct svr_store *s, int64_t version, const char *author,
		       const char *message, const char *ticket, struct svr_store_commit *out,
		       struct svr_model_errors *errors, char *err, size_t errlen);
/* The running version (0 and *model NULL when nothing was ever committed). *model is a new
 * reference. */
int svr_store_running(struct svr_store *s, struct svr_store_commit *info, json_t **model, char *err,
		      size_t errlen);
int svr_store_version(struct svr_store *s, int64_t version, struct svr_store_commit *info,
		      json_t **model, char *err, size_t errlen);
/* Commits newest first: at most limit, below before (0: from the newest). *list is a JSON array
 * of commit objects (the fields above, names as in docs/conductor.md). */
int svr_store_history(struct svr_store *s, int64_t before, unsigned limit, json_t **list, char *err,
		      size_t errlen);

/* The changes from version from to version to, by JSON path (src/model/diff.h): a new array. */
int svr_store_diff(struct svr_store *s, int64_t from, int64_t to, json_t **list, char *err,
		   size_t errlen);

/* The candidate: the model being edited, not validated until committed. NULL: none yet (a
 * conductor then offers the running model as the candidate). */
int svr_store_candidate_get(struct svr_store *s, json_t **model, char *err, size_t errlen);
int svr_store_candidate_put(struct svr_store *s, const json_t *model, const char *author, char *err,
			    size_t errlen);
/* Who put the candidate and when: 1, 0 when none was put (author "", at_ms 0), or an error. */
int svr_store_candidate_info(struct svr_store *s, char *author, size_t author_len, int64_t *at_ms,
			     char *err, size_t errlen);

/* The whole store as one JSON document (docs/conductor.md, "Export"), and back: import replaces
 * an empty store's content only (SVR_STORE_EXISTS when it has versions). */
int svr_store_export(struct svr_store *s, json_t **doc, char *err, size_t errlen);
int svr_store_import(struct svr_store *s, const json_t *doc, char *err, size_t errlen);

/* ---- proposals (change control) ---- */

/* A proposed change (docs/conductor.md, "Change control"). Texts "" and numbers 0 stand for
 * none. */
struct svr_store_proposal {
	int64_t id;
	char state[16];         /* proposed, approved, committed, rejected, withdrawn, failed */
	char kind[16];          /* commit or rollback */
	int64_t source_version; /* rollback: the version restored */
	char proposer[SVR_STORE_NAME_MAX];
	char message[SVR_STORE_MESSAGE_MAX];
	char ticket[SVR_STORE_NAME_MAX];
	int64_t created_ms;
	int64_t base_version;              /* the running version when proposed */
	int64_t apply_at_ms;               /* a scheduled commit's time */
	char approver[SVR_STORE_NAME_MAX]; /* or the rejecter, or who withdrew it */
	int64_t decided_ms;
	char comment[SVR_STORE_MESSAGE_MAX];
	int64_t version, serial; /* committed: the version and the change serial it made */
	char error[SVR_STORE_MESSAGE_MAX]; /* failed: why */
	char sha256[65];                   /* of its model's canonical text, as a version's */
};

/* Stores a proposal in state "proposed", based on the running version. In: kind, source_version
 * (rollback: model NULL, the version's model is taken), proposer, message, ticket, apply_at_ms.
 * model is validated and compiled as a commit's (SVR_STORE_INVALID with errors). A ticket that
 * another open (proposed or approved) proposal has: SVR_STORE_EXISTS. Out: the whole
 * proposal. */
int svr_store_proposal_add(struct svr_store *s, const json_t *model, struct svr_store_proposal *p,
			   struct svr_model_errors *errors, char *err, size_t errlen);
/* One proposal and (model may be NULL) its model, a new reference. */
int svr_store_proposal_get(struct svr_store *s, int64_t id, struct svr_store_proposal *p,
			   json_t **model, char *err, size_t errlen);
/* Newest first, at most limit, in state (NULL: any), ids below before (0: from the newest);
 * *list is malloc'd (NULL when none). */
int svr_store_proposals(struct svr_store *s, const char *state, int64_t before, unsigned limit,
			struct svr_store_proposal **list, size_t *n, char *err, size_t errlen);
/* Moves a proposal from state from to state to (approved, rejected, withdrawn), recording who
 * and comment: one conditional UPDATE. SVR_STORE_CONFLICT when it is not in state from. *p: the
 * proposal after (or as it is, on CONFLICT). */
int svr_store_proposal_decide(struct svr_store *s, int64_t id, const char *from, const char *to,
			      const char *who, const char *comment, int64_t now_ms,
			      struct svr_store_proposal *p, char *err, size_t errlen);
/* Commits a proposal in state from ("proposed": approved now by approver with comment;
 * "approved": its scheduled time came) in one transaction: claims it (a conditional UPDATE to
 * "committing", so of two conductors one commits it), checks that its base version still runs,
 * stores its model as the next version (author the proposer, its message and ticket; a rollback
 * stays a rollback) and marks it committed with that version and serial. SVR_STORE_CONFLICT when
 * it is not in state from or its base moved, SVR_STORE_INVALID when its model no longer passes a
 * commit's checks: from "approved" the proposal is then marked failed with the reason (its
 * first errors and their paths; from "proposed" nothing changes), and *failed (may be NULL) is
 * set when this call marked it (of two conductors trying, one does: the one that reports it).
 * *p: the proposal after; *out the commit. */
int svr_store_proposal_commit(struct svr_store *s, int64_t id, const char *from,
			      const char *approver, const char *comment, int64_t now_ms,
			      struct svr_store_proposal *p, struct svr_store_commit *out,
			      struct svr_model_errors *errors, bool *failed, char *err,
			      size_t errlen);
/* Marks a proposal in state from failed with why (a scheduled one that missed its window);
 * *marked whether this call did (a proposal no longer in state from is left, rc 0). *p (may be
 * NULL): the proposal after. */
int svr_store_proposal_fail(struct svr_store *s, int64_t id, const char *from, const char *why,
			    bool *marked, struct svr_store_proposal *p, char *err, size_t errlen);
/* Ids of approved proposals whose apply_at_ms is at or before now_ms, oldest time first, at
 * most max. */
int svr_store_proposals_due(struct svr_store *s, int64_t now_ms, int64_t *ids, size_t max,
			    size_t *n, char *err, size_t errlen);
/* Who approved the versions in [from, to] that proposals committed: {"VERSION": "NAME"}. */
int svr_store_approvers(struct svr_store *s, int64_t from, int64_t to, json_t **map, char *err,
			size_t errlen);

/* ---- routers ---- */

/* Inventory entry (the model says what a router does; this says which box it is). A name that
 * is empty or too long for SVR_STORE_NAME_MAX: SVR_STORE_INVALID. */
int svr_store_router_add(struct svr_store *s, const char *name, const char *asset_id, char *err,
			 size_t errlen);
int svr_store_router_delete(struct svr_store *s, const char *name, char *err, size_t errlen);
/* Every router: [{name, asset-id, enrolled-ms, applied-version, applied-serial, last-seen-ms,
 * status}] (status: the router's last report, an object, or null). */
int svr_store_routers(struct svr_store *s, json_t **list, char *err, size_t errlen);
int svr_store_router_get(struct svr_store *s, const char *name, json_t **router, char *err,
			 size_t errlen);
/* One-time enrolment token: only its SHA-256 (hex) is stored. */
int svr_store_token_add(struct svr_store *s, const char *router, const char *token_sha256,
			int64_t expires_ms, char *err, size_t errlen);
/* Marks the token used (once) and stores the router's credential hash. SVR_STORE_EXPIRED when
 * the token was used or is past expires_ms at now_ms; SVR_STORE_NOT_FOUND when unknown or for
 * another router. */
int svr_store_token_use(struct svr_store *s, const char *router, const char *token_sha256,
			const char *credential_sha256, int64_t now_ms, char *err, size_t errlen);
/* The router whose credential hashes to credential_sha256, into name (SVR_STORE_NOT_FOUND). */
int svr_store_router_by_credential(struct svr_store *s, const char *credential_sha256, char *name,
				   size_t namelen, char *err, size_t errlen);
/* What a router reported: its last status object and when it was seen. */
int svr_store_router_report(struct svr_store *s, const char *name, const json_t *status,
			    int64_t applied_version, int64_t applied_serial, int64_t now_ms,
			    char *err, size_t errlen);

/* ---- router commands (docs/conductor.md, "Router commands") ---- */

#define SVR_STORE_COMMAND_MAX 32 /* a command's name */

/* A pending command for router (SVR_STORE_NOT_FOUND when the inventory has no such router);
 * args is an object, kept as its JSON text. *out: the command as svr_store_command_get gives
 * it (may be NULL). Ids are 1, 2, ... across every router, never given twice. */
int svr_store_command_add(struct svr_store *s, const char *router, const char *command,
			  const json_t *args, int64_t now_ms, json_t **out, char *err,
			  size_t errlen);
/* {"id", "router", "command", "args", "state" ("pending", "done", "failed"), "result" (an object
 * or null), "created-ms", "sent-ms" (null until handed out), "done-ms" (null while pending)}. */
int svr_store_command_get(struct svr_store *s, int64_t id, json_t **out, char *err, size_t errlen);
/* Hands out router's pending commands not handed out yet and created after created_after_ms
 * (an older one could not be answered before it expires), at most max, oldest first, marking
 * them sent at now_ms: *list [{"id", "command", "args"}], empty when none. One conditional
 * UPDATE: whichever conductors ask, each command is handed out once. */
int svr_store_commands_take(struct svr_store *s, const char *router, int64_t now_ms,
			    int64_t created_after_ms, unsigned max, json_t **list, char *err,
			    size_t errlen);
/* The result router posted for command id: state "done" or "failed", result an object. Only a
 * pending command of that router that was handed out ends so: SVR_STORE_NOT_FOUND when it has
 * no such command, SVR_STORE_EXPIRED when the command has ended already (done, or failed for
 * want of an answer) or was not handed out yet. */
int svr_store_command_finish(struct svr_store *s, int64_t id, const char *router, const char *state,
			     const json_t *result, int64_t now_ms, char *err, size_t errlen);
/* Fails the commands still pending that were created before stale_ms ("router did not
 * answer"), and deletes those that ended (done or failed) before forget_ms. *failed (may be NULL):
 * how many it failed. Safe to run from every conductor at once. */
int svr_store_commands_expire(struct svr_store *s, int64_t stale_ms, int64_t forget_ms,
			      int64_t now_ms, unsigned *failed, char *err, size_t errlen);
/* The routers that have commands not handed out yet, created after created_after_ms: a JSON
 * array of names. */
int svr_store_commands_waiting(struct svr_store *s, int64_t created_after_ms, json_t **routers,
			       char *err, size_t errlen);

/* ---- keys ---- */

struct svr_store_key {
	uint32_t security_id;
	char hmac_key[129];       /* hex */
	char encryption_key[129]; /* hex */
	int64_t not_before_ms;
	int64_t created_ms;
};
/* Adds a key (and moves the change serial). */
int svr_store_key_add(struct svr_store *s, const struct svr_store_key *k, char *err, size_t errlen);
/* Removes keys whose not_before_ms is older than before_ms, keeping the newest such one. */
int svr_store_key_retire(struct svr_store *s, int64_t before_ms, char *err, size_t errlen);
/* Every key, oldest first, into a malloc'd array. */
int svr_store_keys(struct svr_store *s, struct svr_store_key **keys, size_t *n, char *err,
		   size_t errlen);

/* ---- settings shared by every conductor on the store ---- */

/* A named text (the authority's CA certificate and key live here, so a second conductor on the
 * same database serves under the same CA). put_new stores value only when key is absent and
 * returns the value that is stored either way in *stored (malloc'd; may be NULL). */
/* meta_get: SVR_STORE_NOT_FOUND (and *value NULL) when key is absent. */
int svr_store_meta_get(struct svr_store *s, const char *key, char **value, char *err,
		       size_t errlen);
int svr_store_meta_put_new(struct svr_store *s, const char *key, const char *value, char **stored,
			   char *err, size_t errlen);
/* Stores value under key (replacing it) and returns what was there in *old (malloc'd; NULL when
 * absent): a setting each conductor records at start, to learn another's differs. */
int svr_store_meta_swap(struct svr_store *s, const char *key, const char *value, char **old,
			char *err, size_t errlen);

/* ---- audit log ---- */

/* One entry (docs/conductor.md, "Audit log"). Texts longer than the store keeps are cut:
 * method 15, role 31, peer 63, action 63, who 127, path 255, detail 1023 bytes. */
struct svr_store_audit {
	int64_t at_ms;
	const char *who, *role, *peer, *method, *path, *action, *detail; /* NULL: "" */
	unsigned status;
};
/* Appends e with the next id (the newest + 1), into *id when id is not NULL. */
int svr_store_audit_add(struct svr_store *s, const struct svr_store_audit *e, int64_t *id,
			char *err, size_t errlen);
/* Entries newest first: at most limit, ids below before (0: from the newest), only who's when
 * who is not NULL. *list is a JSON array of {id, at-ms, who, role, from, method, path, status,
 * action, detail}. */
int svr_store_audit_list(struct svr_store *s, int64_t before, unsigned limit, const char *who,
			 json_t **list, char *err, size_t errlen);
/* Deletes all but the newest keep entries; *deleted (may be NULL) says how many went. */
int svr_store_audit_prune(struct svr_store *s, int64_t keep, int64_t *deleted, char *err,
			  size_t errlen);

/* ---- changes ---- */

/* The change serial: moves on every commit, rollback, import and key change (anything a router
 * must fetch). */
int svr_store_serial(struct svr_store *s, int64_t *serial, char *err, size_t errlen);
/* How many times this store has read the serial (svr_store_serial and every re-read while
 * waiting): what waiting costs the database, which tests bound. */
uint64_t svr_store_serial_reads(struct svr_store *s);
/* Blocks until the serial differs from known or timeout_ms passes; *serial is the current one.
 * Sees changes made by other conductors on the same database (PostgreSQL: LISTEN/NOTIFY; SQLite:
 * its own commits at once, another process's within 250 ms). */
int svr_store_wait_change(struct svr_store *s, int64_t known, int timeout_ms, int64_t *serial,
			  char *err, size_t errlen);
/* Whether this conductor is the one that rotates keys (PostgreSQL: a session advisory lock,
 * held until the connection ends; SQLite: always). 1 yes, 0 no, <0 error. */
int svr_store_try_leader(struct svr_store *s, char *err, size_t errlen);

#endif
