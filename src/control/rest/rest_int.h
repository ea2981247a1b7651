/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared between the REST server (server.c) and its resources (model.c,
 * status.c, dataplane.c, openapi.c). Handlers run on libmicrohttpd's
 * per-connection threads: anything they touch in svr_ctl goes through
 * ctl->lock or the shared-memory atomics.
 */
#ifndef SVR_REST_INT_H
#define SVR_REST_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/un.h>

#include "ctl.h"
#include "rest.h"

#define REST_PREFIX     "/api/v1"
#define REST_TOKEN_MAX  256
#define REST_APPLY_WAIT 2000 /* ms a PUT /model waits for the dataplane's acknowledgement */
#define REST_DP_TIMEOUT 5000 /* ms for one proxied control-socket request */

struct svr_rest {
	struct MHD_Daemon *daemon;
	struct svr_ctl *ctl;
	uint64_t max_body;
	size_t token_len;
	char token[REST_TOKEN_MAX + 1];
	char dp_sock[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* What a handler answers: a JSON value, or ready text (JSON already). */
struct rest_reply {
	unsigned status;
	json_t *json; /* owned; used when text is NULL */
	char *text;   /* malloc'd unless text_static */
	size_t text_len;
	bool text_static;     /* text is not to be freed */
	const char *allow;    /* 405: the Allow header */
	uint64_t received_us; /* CLOCK_MONOTONIC when the request's headers arrived */
};

struct rest_route;
typedef void (*rest_handler)(struct svr_rest *r, const struct rest_route *rt, const char *body,
			     size_t len, struct rest_reply *out);

struct rest_route {
	const char *path; /* below REST_PREFIX */
	rest_handler get;
	rest_handler put;
	const char *arg; /* the control-socket command for proxied resources */
};

/* out gets status and {"error": <formatted sentence>}. */
void rest_error(struct rest_reply *out, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void rest_json(struct rest_reply *out, unsigned status, json_t *body);

/* Milliseconds on the clock svr_ctl uses for started_ms (CLOCK_MONOTONIC). */
uint64_t rest_now_ms(void);

/*
 * One request on the dataplane's control socket. Returns 0 with *data (owned),
 * -1 when the socket does not answer (missing, refused, timed out, closed),
 * -2 when it answered with an error or something unusable; err says why.
 */
int rest_dp_call(const char *sock, const char *cmd, unsigned timeout_ms, json_t **data, char *err,
		 size_t errlen);

/* Resources. */
void rest_model_get(struct svr_rest *r, const struct rest_route *rt, const char *body, size_t len,
		    struct rest_reply *out);
void rest_model_put(struct svr_rest *r, const struct rest_route *rt, const char *body, size_t len,
		    struct rest_reply *out);
void rest_status_get(struct svr_rest *r, const struct rest_route *rt, const char *body, size_t len,
		     struct rest_reply *out);
void rest_dataplane_get(struct svr_rest *r, const struct rest_route *rt, const char *body,
			size_t len, struct rest_reply *out);
void rest_openapi_get(struct svr_rest *r, const struct rest_route *rt, const char *body, size_t len,
		      struct rest_reply *out);

/* The token in the file, created with 32 random bytes (hex) and mode 0600 if missing. */
int rest_token_load(const char *path, char *token, size_t size, size_t *len, char *err,
		    size_t errlen);
/* Constant-time comparison (time depends on the expected length only). */
bool rest_token_equal(const char *expected, size_t expected_len, const char *given,
		      size_t given_len);

/* Generated from docs/openapi.json at build time (embed_json.py). */
extern const char svr_openapi_json[];
extern const size_t svr_openapi_json_len;

#endif
