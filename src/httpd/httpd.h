/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The parts of an HTTP server on libmicrohttpd that do not depend on how it runs its threads:
 * svr-control's REST API (a thread per connection) and svr-conductor (epoll threads, TLS,
 * suspended long polls) both build on them, so bearer tokens, routes, query arguments, bodies,
 * answers and listening sockets behave the same in both.
 */
#ifndef SVR_HTTPD_H
#define SVR_HTTPD_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define SVR_HTTPD_TOKEN_MAX 256 /* characters of a bearer token */

/* ---- bearer tokens ---- */

/* The token of the request's one "Authorization: Bearer TOKEN" header (scheme case-insensitive,
 * blanks around the token trimmed): 0 with *token (pointing into MHD's copy) and *len, or -1
 * when the header is absent, repeated (ambiguous: a proxy may pick the other one) or another
 * scheme. */
int svr_httpd_bearer(struct MHD_Connection *conn, const char **token, size_t *len);
/* The token in the file, created with 32 random bytes (hex) and mode 0600 if missing. */
int svr_httpd_token_load(const char *path, char *token, size_t size, size_t *len, char *err,
			 size_t errlen);
/* Constant-time comparison (time depends on the expected length only). */
bool svr_httpd_token_equal(const char *expected, size_t expected_len, const char *given,
			   size_t given_len);

/* ---- routes and query arguments ---- */

/* Whether path matches pattern: "/a/{}/b" takes any one segment in place of {}, "/a/" any one
 * segment after it, anything else the exact path. The segment goes to arg ("" otherwise); a
 * pattern with two {} puts both in arg as "first/second". */
bool svr_httpd_path_matches(const char *pattern, const char *path, char *arg, size_t arg_size);
/* The value of query argument key: NULL when absent, "" when given without a value. */
const char *svr_httpd_query(struct MHD_Connection *conn, const char *key);
/* 0 when every query argument is one of known (NULL-terminated, at most 16) and none is
 * repeated; else -1 with a sentence in err for a 400. */
int svr_httpd_query_check(struct MHD_Connection *conn, const char *const *known, char *err,
			  size_t errlen);

/* ---- request bodies ---- */

struct svr_httpd_body {
	char *data; /* malloc'd; not NUL-terminated */
	size_t len, cap;
	uint64_t seen; /* bytes received, kept counting past the limit */
	bool over;     /* larger than the limit: discarded, 413 at the end */
};

/* Before any of the body is read: 1 when Content-Length announces more than max (answer 413
 * at once, *announced set), else 0 (and one allocation when the length is announced). */
int svr_httpd_body_start(struct svr_httpd_body *b, struct MHD_Connection *conn, uint64_t max,
			 uint64_t *announced);
/* Keeps n more bytes, or only counts them once past max. -1: out of memory. */
int svr_httpd_body_append(struct svr_httpd_body *b, const char *data, size_t n, uint64_t max);
void svr_httpd_body_free(struct svr_httpd_body *b);

/* ---- answers ---- */

struct svr_httpd_answer {
	unsigned status;
	json_t *json; /* owned; the body unless text is set */
	char *text;   /* malloc'd unless text_static */
	size_t text_len;
	bool text_static;         /* text is not to be freed */
	const char *content_type; /* of text; NULL: application/json */
	const char *allow;        /* 405: the Allow header */
	const char *realm;        /* 401: the WWW-Authenticate realm */
	/* More headers: name, value, name, value..., NULL. A Cache-Control among them replaces
	 * the default no-store. */
	const char *const *headers;
};

/* Queues the answer (JSON compact with a final newline, or the text) with Content-Type,
 * Cache-Control: no-store (unless headers give one), X-Content-Type-Options: nosniff, the headers,
 * and on 401 / 405 the WWW-Authenticate / Allow headers. Consumes json and text whatever happens.
 */
enum MHD_Result svr_httpd_queue(struct MHD_Connection *conn, struct svr_httpd_answer *a);
/* {"error": sentence} as an answer. */
void svr_httpd_error(struct svr_httpd_answer *a, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void svr_httpd_verror(struct svr_httpd_answer *a, unsigned status, const char *fmt, va_list ap);

/* ---- the server around it ---- */

/* Parses "ADDR:PORT" / "[ADDR]:PORT" (numeric addresses); 0 or -1 with err set (option names the
 * option or key, for the sentence). */
int svr_httpd_parse_listen(const char *text, const char *option, struct sockaddr_storage *ss,
			   char *err, size_t errlen);
/* A listening socket on ss (SO_REUSEADDR, v6-only for IPv6), bound here so that a failure names
 * the address: "cannot serve WHAT on TEXT: port N is already in use (HINT)". */
int svr_httpd_listen(const struct sockaddr_storage *ss, const char *text, int backlog,
		     const char *what, const char *in_use_hint, char *err, size_t errlen);
/* MHD_OPTION_EXTERNAL_LOGGER: MHD's complaints as log warnings "http: ...". */
void svr_httpd_mhd_log(void *cls, const char *fmt, va_list ap);
/* For the request log: why a request ended early. */
const char *svr_httpd_ended(enum MHD_RequestTerminationCode toe);
uint64_t svr_httpd_now_us(void); /* CLOCK_MONOTONIC */

#endif
