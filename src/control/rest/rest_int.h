/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared between the REST server (server.c) and its resources (model.c,
 * status.c, dataplane.c with the sessions, metrics.c, openapi.c). Handlers run on
 * libmicrohttpd's per-connection threads: anything they touch in svr_ctl goes
 * through ctl->lock or the shared-memory atomics.
 */
#ifndef SVR_REST_INT_H
#define SVR_REST_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/un.h>

#include "ctl.h"
#include "httpd/httpd.h"
#include "rest.h"

#define REST_PREFIX     "/api/v1"
#define REST_APPLY_WAIT 2000 /* ms a PUT /model waits for the dataplane's acknowledgement */
#define REST_DP_TIMEOUT 5000 /* ms for one proxied control-socket request */

struct svr_rest {
	struct MHD_Daemon *daemon;
	struct svr_ctl *ctl;
	uint64_t max_body;
	size_t token_len;
	char token[SVR_HTTPD_TOKEN_MAX + 1];
	char dp_sock[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char url_file[4096];                /* removed when the server stops; "": none */
	struct svr_conductor *conductor;    /* NULL: not managed by a conductor */
	struct ctl_nl_follow *route_mirror; /* NULL: no --kernel-netns */
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
	/* The Content-Type of text; NULL: application/json. */
	const char *content_type;
};

/* What a handler is given besides the server: the request as far as it needs it. */
struct MHD_Connection;
struct rest_in {
	struct MHD_Connection *conn; /* for query arguments: rest_query() */
	const char *tail;            /* prefix routes: the path below the prefix, else "" */
	const char *body;            /* PUT: the body ("" when none) */
	size_t len;
};

struct rest_route;
typedef void (*rest_handler)(struct svr_rest *r, const struct rest_route *rt,
			     const struct rest_in *in, struct rest_reply *out);

struct rest_route {
	const char *path; /* below REST_PREFIX; ending in '/': a prefix for one more segment;
			     "/a/{}/b": any one segment in place of {} */
	rest_handler get; /* also HEAD, unless get_acts */
	rest_handler put;
	rest_handler del;
	const char *arg; /* the control-socket command for proxied resources */
	bool get_acts;   /* GET does something (a capture): HEAD is refused, not run */
};

/* out gets status and {"error": <formatted sentence>}. */
void rest_error(struct rest_reply *out, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void rest_json(struct rest_reply *out, unsigned status, json_t *body);

/* Milliseconds on the clock svr_ctl uses for started_ms (CLOCK_MONOTONIC). */
uint64_t rest_now_ms(void);

/* The value of query argument key: NULL when absent, "" when given without a value. */
const char *rest_query(const struct rest_in *in, const char *key);
/*
 * 0 when every query argument is one of known (NULL-terminated) and none is repeated;
 * else -1 with a sentence in err for a 400.
 */
int rest_query_check(const struct rest_in *in, const char *const *known, char *err, size_t errlen);

/* What a request on the dataplane's control socket came to. */
enum rest_dp_result {
	REST_DP_OK = 0,
	REST_DP_DOWN = -1,    /* no answer: missing, refused, timed out, closed */
	REST_DP_BROKEN = -2,  /* an unusable answer (not JSON, no "data", too large) */
	REST_DP_REFUSED = -3, /* {"ok": false}: err is the dataplane's own sentence */
};

/*
 * Sends req (an object with "cmd" and the command's arguments, include/svr/ctlsock.h) and
 * returns its result; *data (owned) is set on REST_DP_OK, err otherwise.
 */
enum rest_dp_result rest_dp_request(const char *sock, const json_t *req, unsigned timeout_ms,
				    json_t **data, char *err, size_t errlen);
/* The same for a command without arguments: {"cmd": cmd}. */
enum rest_dp_result rest_dp_call(const char *sock, const char *cmd, unsigned timeout_ms,
				 json_t **data, char *err, size_t errlen);

/* Resources. */
void rest_model_get(struct svr_rest *r, const struct rest_route *rt, const struct rest_in *in,
		    struct rest_reply *out);
void rest_model_put(struct svr_rest *r, const struct rest_route *rt, const struct rest_in *in,
		    struct rest_reply *out);
void rest_status_get(struct svr_rest *r, const struct rest_route *rt, const struct rest_in *in,
		     struct rest_reply *out);
void rest_dataplane_get(struct svr_rest *r, const struct rest_route *rt, const struct rest_in *in,
			struct rest_reply *out);
void rest_sessions_get(struct svr_rest *r, const struct rest_route *rt, const struct rest_in *in,
		       struct rest_reply *out);
void rest_sessions_delete(struct svr_rest *r, const struct rest_route *rt, const struct rest_in *in,
			  struct rest_reply *out);
void rest_session_get(struct svr_rest *r, const struct rest_route *rt, const struct rest_in *in,
		      struct rest_reply *out);
void rest_events_get(struct svr_rest *r, const struct rest_route *rt, const struct rest_in *in,
		     struct rest_reply *out);
void rest_why_get(struct svr_rest *r, const struct rest_route *rt, const struct rest_in *in,
		  struct rest_reply *out);
void rest_session_why_get(struct svr_rest *r, const struct rest_route *rt, const struct rest_in *in,
			  struct rest_reply *out);
void rest_session_delete(struct svr_rest *r, const struct rest_route *rt, const struct rest_in *in,
			 struct rest_reply *out);
void rest_capture_get(struct svr_rest *r, const struct rest_route *rt, const struct rest_in *in,
		      struct rest_reply *out);
void rest_metrics_get(struct svr_rest *r, const struct rest_route *rt, const struct rest_in *in,
		      struct rest_reply *out);
void rest_openapi_get(struct svr_rest *r, const struct rest_route *rt, const struct rest_in *in,
		      struct rest_reply *out);

/* Generated from docs/openapi.json at build time (embed_json.py). */
extern const char svr_openapi_json[];
extern const size_t svr_openapi_json_len;

#endif
