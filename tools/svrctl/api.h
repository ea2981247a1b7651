/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * svrctl's commands that go through svr-control's REST API (docs/api.md):
 * config apply, config show, status. The show commands use the dataplane's
 * control socket instead (svrctl.c). The conductor commands (conductor.c) use
 * the same HTTP client (api_call) against svr-conductor, over HTTPS.
 */
#ifndef SVRCTL_API_H
#define SVRCTL_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define SVRCTL_API_DEFAULT "http://127.0.0.1:8740"
#define SVRCTL_TOKEN_FMT   "/var/lib/svrouter/%s/api-token" /* %s: instance */
#define SVRCTL_URL_FMT     "/var/lib/svrouter/%s/api-url"   /* written by svr-control */
#define SVRCTL_API_TIMEOUT 30.0 /* s; an apply waits up to 2 s for the dataplane */

struct api_opts {
	const char *url;        /* base, e.g. http://127.0.0.1:8740 */
	const char *url_from;   /* where url came from, for messages ("--api", a file...) */
	const char *token;      /* given directly (--token, SVR_TOKEN) */
	const char *token_file; /* read when token is NULL */
	double timeout_s;
	bool json;
	/* HTTPS: the CA to verify the server with (NULL: the system's), or a CA fingerprint to
	 * pin (fetched, checked, then trusted; it wins over cacert). */
	const char *cacert;
	const char *ca_sha256;
	/* For messages: the server's name (NULL: svr-control), the options that move its
	 * address, and what to say when its certificate is not trusted. */
	const char *server;
	const char *url_option;
	const char *tls_hint;
	/* Refuse a url that is not https:// (svr-conductor: its token must not travel in clear;
	 * svr-control's local REST API keeps http). */
	bool https_only;
};

struct api_buf {
	char *data;
	size_t len, cap;
	bool too_big;
};

struct api_answer {
	long code;
	json_t *json; /* NULL if the body was not JSON */
	struct api_buf body;
	char url[512]; /* what was asked, for messages */
};

/* One request with the bearer token (body NULL: none). 0 with the answer filled in (any HTTP
 * status), or the exit status after printing why (3: unreachable or no token). */
int api_call(const struct api_opts *o, const char *method, const char *path, const char *body,
	     size_t body_len, struct api_answer *a);
void api_answer_free(struct api_answer *a);
/* A non-2xx answer as one line naming the URL; returns 1. */
int api_report_error(const struct api_opts *o, const char *what, const struct api_answer *a);
/* A whole file ("-": standard input), malloc'd; NULL after printing why. */
char *api_read_file(const char *file, size_t *len);
/* The SHA-256 fingerprint (lower-case hex) of the first certificate of a PEM text. */
int api_pem_sha256(const char *pem, size_t len, char out[65]);

/* Each returns the process exit status (0, 1 API error, 3 cannot reach the API). */
int api_config_apply(const struct api_opts *o, const char *file);
int api_config_show(const struct api_opts *o);
int api_status(const struct api_opts *o);

#endif
