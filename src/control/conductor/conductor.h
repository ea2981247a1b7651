/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * svr-control as a router managed by svr-conductor (docs/conductor.md, "On the router"):
 * the conductor file, enrolment, the sync long poll (apply, acknowledge), status reports and
 * the local-override rule. main.c loads the file and starts the threads; the REST API tells
 * it about local changes and shows its state in GET /status.
 */
#ifndef SVR_CONDUCTOR_CLIENT_H
#define SVR_CONDUCTOR_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl.h"

#define SVR_CD_MAX_URLS         8
#define SVR_CD_URL_MAX          512
#define SVR_CD_NAME_MAX         128
#define SVR_CD_TOKEN_MAX        256
#define SVR_CD_KEY_FILE_DEFAULT "/etc/svrouter/keys/keys.json"
#define SVR_CD_FILE_MAX         (64u << 10) /* a conductor file is a few hundred bytes */

/* The conductor file (docs/conductor.md): where the conductors are and how to enrol. */
struct svr_cd_config {
	char urls[SVR_CD_MAX_URLS][SVR_CD_URL_MAX]; /* https://HOST:PORT, no path */
	unsigned n_urls;
	char router[SVR_CD_NAME_MAX]; /* "": not in the file */
	char token[SVR_CD_TOKEN_MAX]; /* enrolment token; "": none */
	uint8_t ca_sha256[32];        /* SHA-256 of the CA certificate's DER */
	bool has_ca_sha256;
	char key_file[4096];
};

/* Parses a conductor file's text; 0, or -1 with "JSON-PATH: sentence" in err. */
int svr_cd_config_parse(const char *text, size_t len, struct svr_cd_config *cfg, char *err,
			size_t errlen);
/* Reads and parses the file; errors start with the file's name. */
int svr_cd_config_load(const char *path, struct svr_cd_config *cfg, char *err, size_t errlen);

/*
 * How long to wait before reconnection attempt `attempt` (0, 1, ...): a uniformly random time in
 * [0, min(cap_ms, base_ms * 2^attempt)] (full jitter), so that routers cut off together do not
 * return together. rnd returns 32 random bits (injectable for tests).
 */
#define SVR_CD_BACKOFF_BASE_MS 100
#define SVR_CD_BACKOFF_CAP_MS  2000
unsigned svr_cd_backoff_ms(unsigned attempt, unsigned base_ms, unsigned cap_ms,
			   uint32_t (*rnd)(void *ctx), void *ctx);

struct svr_conductor;

/*
 * Loads the router's conductor state from ctl's state directory (credential, CA, the serial and
 * version last applied, a local override). Starts nothing. NULL with err on failure.
 * cfg is copied; dp_sock is the dataplane's control socket (for status reports).
 */
struct svr_conductor *svr_conductor_new(struct svr_ctl *ctl, const struct svr_cd_config *cfg,
					const char *file, const char *dp_sock, char *err,
					size_t errlen);
/* Starts the sync thread (enrolling first when needed) and the status thread. */
int svr_conductor_start(struct svr_conductor *cd, char *err, size_t errlen);
/* Stops the threads (within about a second) and frees everything; NULL is fine. */
void svr_conductor_stop(struct svr_conductor *cd);

/*
 * A model applied through the local REST API. Call local_begin before applying it and
 * local_end after waiting for the dataplane (in_force: published and not rejected), so that
 * a configuration from the conductor is not applied in between. NULL cd: not managed, no-op.
 */
void svr_conductor_local_begin(struct svr_conductor *cd);
void svr_conductor_local_end(struct svr_conductor *cd, bool in_force);

/* The "conductor" member of GET /api/v1/status (owned by the caller). */
json_t *svr_conductor_status_json(struct svr_conductor *cd);

#endif
