/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The conductor process as its parts see it: the startup settings, the store, and the hooks
 * between the parts. main.c fills it; the HTTP server (http/), the router API (api/router.c),
 * the operator API (api/operator.c), key rotation (keys.c) and alarms (alarms.c) read it.
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

struct cd_operator {
	char name[CD_NAME_MAX];
	char token_sha256[65]; /* hex of SHA-256 of the token */
	char token_file[4096]; /* where the token is kept (created 0600 when missing) */
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
};

struct conductor {
	struct cd_config cfg;
	struct svr_store *store; /* requests; its calls are serialised by the store */
};

/* Unix time in milliseconds (CLOCK_REALTIME): what the store records. */
int64_t cd_now_ms(void);

/* api/router.c: registers the router routes (enrolment, sync, status) and starts the thread that
 * watches the store for changes; stop ends that thread (after cd_http_stop). */
int cd_api_router_start(struct conductor *c, char *err, size_t errlen);
void cd_api_router_stop(void);
/* api/operator.c: registers the operator routes. */
void cd_api_operator_register(struct conductor *c);

/* alarms.c: raises and clears alarms from the store's router data, logging each transition;
 * called about once a second by main.c. */
void cd_alarms_tick(struct conductor *c, int64_t now_ms);

#endif
