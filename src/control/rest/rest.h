/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * svr-control's REST API (docs/api.md): a libmicrohttpd server with its own
 * threads, so the daemon's main loop only starts and stops it.
 */
#ifndef SVR_REST_H
#define SVR_REST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ctl.h"

#define SVR_REST_LISTEN_DEFAULT   "127.0.0.1:8740"
#define SVR_REST_MAX_BODY_DEFAULT ((uint64_t)64 << 20)
#define SVR_REST_TOKEN_NAME       "api-token" /* in the state directory */
#define SVR_REST_URL_NAME         "api-url"   /* in the state directory: the URL served */

struct svr_rest_opts {
	const char *listen;         /* "ADDR:PORT", "[V6ADDR]:PORT" */
	const char *token_file;     /* created (0600) if missing */
	uint64_t max_body;          /* bytes; larger bodies get 413 */
	const char *dataplane_sock; /* the dataplane's control socket */
	const char *url_file;       /* written with the URL once serving (svrctl --instance reads
				       it), removed at stop; NULL: none */
	struct svr_conductor *conductor;    /* managed by a conductor (PUT /model is a local
					       override); NULL: not managed */
	struct ctl_nl_follow *route_mirror; /* --kernel-netns (GET /status); NULL: none */
};

struct svr_rest;
struct svr_conductor;
struct ctl_nl_follow;

/* Starts serving; NULL with err set if the address, token or socket is unusable. */
struct svr_rest *svr_rest_start(struct svr_ctl *ctl, const struct svr_rest_opts *o, char *err,
				size_t errlen);
/* Stops accepting, finishes requests in progress, frees everything. */
void svr_rest_stop(struct svr_rest *r);

/* Parses "ADDR:PORT" / "[ADDR]:PORT" (numeric addresses); 0 or -1 with err set. */
int svr_rest_parse_listen(const char *text, struct sockaddr_storage *ss, char *err, size_t errlen);

#endif
