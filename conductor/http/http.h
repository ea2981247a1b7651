/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The conductor's HTTPS server (libmicrohttpd, TLS, epoll threads, suspend/resume for long polls).
 * Parts register routes; the server checks the credential a route asks for before calling it,
 * reads bodies up to max-body-bytes (413 above), and answers errors as {"error": "..."}.
 * Handlers run on the server's epoll threads: they must not block for long (a store call is
 * fine; waiting for a change is not — a long poll suspends, see cd_http_suspend).
 */
#ifndef SVR_CONDUCTOR_HTTP_H
#define SVR_CONDUCTOR_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct conductor;
struct MHD_Connection;

enum cd_cred {
	CD_CRED_NONE,     /* anyone (enrolment, the CA, the OpenAPI document) */
	CD_CRED_OPERATOR, /* an operator token: in->who is the operator's name */
	CD_CRED_ROUTER,   /* a router credential: in->who is the router's name */
};

struct cd_request {
	struct MHD_Connection *conn; /* for cd_http_query() */
	const char *method;          /* "GET", "POST", "PUT", "DELETE" */
	const char *path;            /* below /api/v1, e.g. "/routers/r1" */
	const char *arg;             /* the segment matched by {} in the route, else "" */
	const char *body;            /* "" when none */
	size_t len;
	const char *who;  /* the credential's operator or router name, "" for CD_CRED_NONE */
	const char *peer; /* the client's address, for logs and rate limits */
	void *resume;     /* long poll: what cd_http_suspend stored (NULL on the first call) */
};

struct cd_reply {
	unsigned status;
	json_t *json;             /* owned; the body unless text is set */
	char *text;               /* malloc'd */
	size_t text_len;
	const char *content_type; /* of text; NULL: application/json */
	bool suspend;             /* set by cd_http_suspend: no answer yet */
};

struct cd_route {
	const char *method;
	const char *path; /* "/routers/{}" matches one segment in place of {} */
	enum cd_cred cred;
	void (*fn)(struct conductor *c, const struct cd_request *in, struct cd_reply *out);
};

/* Adds routes (a static array) before the server starts. */
void cd_http_routes(const struct cd_route *routes, size_t n);

void cd_http_json(struct cd_reply *out, unsigned status, json_t *body);
void cd_http_error(struct cd_reply *out, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The value of a query argument, NULL when absent. */
const char *cd_http_query(const struct cd_request *in, const char *key);
/* Parses the body as one JSON value (JSON_REJECT_DUPLICATES); on failure answers 400
 * {"error": "malformed JSON", "line", "column", "message"} and returns NULL. */
json_t *cd_http_body_json(const struct cd_request *in, struct cd_reply *out);

#endif
