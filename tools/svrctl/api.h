/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * svrctl's commands that go through svr-control's REST API (docs/api.md):
 * config apply, config show, status. The show commands use the dataplane's
 * control socket instead (svrctl.c).
 */
#ifndef SVRCTL_API_H
#define SVRCTL_API_H

#include <stdbool.h>

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
};

/* Each returns the process exit status (0, 1 API error, 3 cannot reach the API). */
int api_config_apply(const struct api_opts *o, const char *file);
int api_config_show(const struct api_opts *o);
int api_status(const struct api_opts *o);

#endif
