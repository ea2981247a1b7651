/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The conductor's HTTPS server (libmicrohttpd, TLS, epoll threads, suspend/resume for long polls).
 * Parts register routes; the server checks the credential a route asks for (and an operator's
 * role) before calling it, reads bodies up to the route's limit (413 above), answers errors as
 * {"error": "..."}, and hands every request that ends to the audit log (audit.h).
 * Handlers run on the server's epoll threads: they must not block for long (a short store call
 * is fine, but note that GET /export holds the store's mutex for the whole dump, and every other
 * store call waits for it; waiting for a change is not fine — a long poll suspends, see
 * cd_http_suspend).
 */
#ifndef SVR_CONDUCTOR_HTTP_H
#define SVR_CONDUCTOR_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conductor;
struct MHD_Connection;

enum cd_cred {
	CD_CRED_NONE,     /* anyone (enrolment, the CA, the OpenAPI document) */
	CD_CRED_OPERATOR, /* an operator token: in->who is the operator's name */
	CD_CRED_ROUTER,   /* a router credential: in->who is the router's name */
};

struct cd_request {
	struct MHD_Connection *conn; /* for cd_http_query() */
	const char *arg;             /* the segment matched by {} in the route, else "" */
	const char *body;            /* "" when none */
	size_t len;
	const char *who;     /* the credential's operator or router name, "" for CD_CRED_NONE */
	unsigned role;       /* CD_CRED_OPERATOR: the operator's enum cd_role; else 0 */
	const char *peer;    /* the client's address, for logs and rate limits */
	void *resume;        /* long poll: what cd_http_suspend stored (NULL on the first call) */
	int64_t received_ms; /* cd_mono_ms() when the request arrived (long poll deadlines) */
};

struct cd_reply {
	unsigned status;
	json_t *json; /* owned; the body unless text is set */
	char *text;   /* malloc'd, unless text_static */
	size_t text_len;
	bool text_static;         /* text outlives the server (compiled in): not freed */
	const char *content_type; /* of text; NULL: application/json */
	/* More headers: name, value, ..., NULL (static); a Cache-Control replaces no-store. */
	const char *const *headers;
	bool suspend;         /* set by cd_http_suspend: no answer yet */
	int64_t resume_at_ms; /* suspend: call again by then at the latest (cd_mono_ms());
				 0: only when cd_http_resume_all is called */
};

struct cd_route {
	const char *method;
	const char *path; /* "/routers/{}" matches one segment in place of {} */
	enum cd_cred cred;
	void (*fn)(struct conductor *c, const struct cd_request *in, struct cd_reply *out);
	/* The largest body accepted (413 above); 0: max-body-bytes. A route anyone may call, or
	 * one whose body is kept and re-read, sets a small one: a body's memory is taken per
	 * request, before the handler sees it. */
	uint64_t max_body;
	/* CD_CRED_OPERATOR: the roles (enum cd_role) admitted besides admin; 0: admin only. Any
	 * other operator gets 403. */
	unsigned roles;
	/* The audit log's "action": a short verb ("commit", "router-add"...). NULL: "read" for
	 * GET, else the method in lower case. */
	const char *action;
	/* The audit log also keeps this route's requests that succeed (2xx), which it would not
	 * otherwise: a read worth a trace (GET /export), a request without an operator (POST
	 * /enrol). Refusals and an operator's changes are kept anyway. */
	bool audit_success;
};

/* The audit log's "detail" of this request (docs/conductor.md, "Audit log"): what it did, in a
 * few words ("committed version 7 (serial 12)"); the last call wins. Never a secret. The entry
 * is queued when the request ends (after its answer), if it is one the log keeps, and written
 * soon after by the log's writer. */
void cd_http_audit(const struct cd_request *in, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Adds routes (a static array) before the server starts. */
void cd_http_routes(const struct cd_route *routes, size_t n);

void cd_http_json(struct cd_reply *out, unsigned status, json_t *body);
void cd_http_error(struct cd_reply *out, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The value of a query argument, NULL when absent. */
const char *cd_http_query(const struct cd_request *in, const char *key);
/* Whether obj is an object with no key outside allowed (NULL-terminated); else answers 400 with
 * the key's path (svr_json_only_keys). */
bool cd_http_only_keys(const json_t *obj, const char *const *allowed, struct cd_reply *out);
/* Parses the body as one JSON value (JSON_REJECT_DUPLICATES); on failure answers 400
 * {"error": "malformed JSON", "line", "column", "message"} and returns NULL. */
json_t *cd_http_body_json(const struct cd_request *in, struct cd_reply *out);

/*
 * Long poll. A handler with nothing to answer yet calls cd_http_suspend (and may set
 * out->resume_at_ms): the connection is parked without a thread. The handler is called again,
 * with in->resume = resume, when another thread calls cd_http_resume_all() or resume_at_ms
 * passes; it then answers or suspends again. A cd_http_resume_all() that happens while the
 * handler runs still calls it again, so a change between its check and its suspension is not
 * missed. resume is not owned by the server (use a marker or something that outlives the
 * request). While the server stops, handlers are called again with in->resume set and must
 * answer.
 */
void cd_http_suspend(const struct cd_request *in, struct cd_reply *out, void *resume);
void cd_http_resume_all(void);
/* Like cd_http_resume_all, for the suspended requests of credential who (a router's name) only;
 * a request of anyone's that is about to suspend is called again at once (never a missed one). */
void cd_http_resume_who(const char *who);
/* Whether the server is stopping (a resumed long poll should answer now). */
bool cd_http_stopping(void);

/* Router credentials are looked up in the store once and then kept in memory (by SHA-256);
 * forget them when one is revoked (a router deleted or enrolled again). */
void cd_http_forget_credentials(void);

/* Serves cfg.listen over TLS with cert_pem/key_pem (kept until stop). Main thread. */
int cd_http_start(struct conductor *c, const char *cert_pem, const char *key_pem, char *err,
		  size_t errlen);
/* Resumes every suspended connection, then stops the server. Main thread. */
void cd_http_stop(void);

/* CLOCK_MONOTONIC in milliseconds. */
int64_t cd_mono_ms(void);

#endif
