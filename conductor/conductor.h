/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The conductor process as its parts see it: the startup settings, the store, and the hooks
 * between the parts. main.c fills it; the HTTP server (http/), the router API (api/router.c),
 * the operator API (api/operator.c, api/proposals.c), commits (commit.c), the ITSM webhook
 * (webhook.c), key rotation (keys.c) and alarms (alarms.c) read it.
 */
#ifndef SVR_CONDUCTOR_H
#define SVR_CONDUCTOR_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

#define CD_NAME_MAX 128
/* Router credentials and enrolment tokens: this many random bytes, handed out as lowercase hex
 * (so a bearer token of another form cannot be one). */
#define CD_SECRET_BYTES 32

/* What an operator token may do (docs/conductor.md "Roles"): one role per operator; a route
 * lists the roles it admits (admin is admitted everywhere). */
enum cd_role {
	CD_ROLE_ADMIN = 1u << 0, /* everything */
	CD_ROLE_PLANNER =
	    1u << 1, /* edits the candidate, proposes (commits without change control) */
	CD_ROLE_APPROVER = 1u << 2, /* approves or rejects others' proposals */
	CD_ROLE_OPERATOR = 1u << 3, /* reads everything, clears sessions */
	CD_ROLE_AUDITOR = 1u << 4,  /* reads everything, the audit log included */
};
/* Every role: what a read of the network's state admits. */
#define CD_ROLES_ALL                                                                               \
	(CD_ROLE_ADMIN | CD_ROLE_PLANNER | CD_ROLE_APPROVER | CD_ROLE_OPERATOR | CD_ROLE_AUDITOR)

/* "admin", "planner"...; NULL for a value that is not one role. */
const char *cd_role_name(unsigned role);
/* The role named s; 0 when none. */
unsigned cd_role_parse(const char *s);

struct cd_operator {
	char name[CD_NAME_MAX];
	unsigned role;         /* one enum cd_role */
	char token_sha256[65]; /* hex of SHA-256 of the token */
	char token_file[4096]; /* where the token is kept (created 0600 when missing) */
};

/* The ITSM webhook (docs/conductor.md, "Change control"): url "" when none. */
struct cd_webhook_config {
	char url[2048];
	char token_file[4096]; /* "": no Authorization header */
	char cacert[4096];     /* "": the system's CAs */
	unsigned timeout_ms, max_attempts, retry_base_ms;
};

struct cd_config {
	char listen[128];
	char state_dir[4096];
	char store[4096]; /* "sqlite:PATH" or "postgresql:CONNINFO" */
	char names[8][256];
	unsigned n_names;
	struct cd_operator operators[32];
	unsigned n_operators;
	unsigned hold_s, router_timeout_s, enrolment_token_ttl_s, connection_limit;
	unsigned per_ip_connection_limit; /* 0: none */
	uint64_t max_body_bytes;
	char ui_vue_js[4096]; /* Vue 2 (Debian's libjs-vue) for the web UI; "" turns the UI off */
	/* Whether commits go through proposals and approvals (docs/conductor.md, "Change
	 * control"), whether a proposal needs a ticket, and how late past its apply-at a
	 * scheduled proposal may still be committed (a conductor down at the time). */
	struct {
		bool enabled, require_ticket;
		unsigned apply_grace_s;
	} change_control;
	struct cd_webhook_config itsm_webhook;
};

struct conductor {
	struct cd_config cfg;
	struct svr_store *store; /* requests; its calls are serialised by the store */
};

/* Unix time in milliseconds (CLOCK_REALTIME): what the store records. */
int64_t cd_now_ms(void);

/* api/router.c: registers the router routes (enrolment, sync, status) and the commands relay's
 * (api/commands.c), and starts the thread that watches the store for changes; stop ends that
 * thread (after cd_http_stop). */
int cd_api_router_start(struct conductor *c, char *err, size_t errlen);
void cd_api_router_stop(void);
/* api/operator.c: registers the operator routes. */
void cd_api_operator_register(struct conductor *c);
/* api/proposals.c: registers change control's routes (proposals). */
void cd_api_proposals_register(struct conductor *c);

/* api/ui.c: cd_ui_start reads the UI's library (cfg.ui_vue_js) once, at start (main thread);
 * when it cannot, the UI is off (logged; the API is not concerned). cd_ui_serve answers a GET
 * or HEAD outside /api/v1 (the web UI's files); 404 when url names none. */
struct cd_reply;
void cd_ui_start(struct conductor *c);
void cd_ui_serve(struct conductor *c, const char *url, struct cd_reply *out);

/* alarms.c: raises and clears alarms from the store's router data, logging each transition;
 * called about once a second by main.c. */
void cd_alarms_tick(struct conductor *c, int64_t now_ms);

#endif
