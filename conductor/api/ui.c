/* SPDX-License-Identifier: BSD-3-Clause */
/* The web UI's files (docs/conductor.md "Web UI"). */
#include "conductor.h"
#include "http/http.h"

void cd_ui_serve(struct conductor *c, const char *url, struct cd_reply *out)
{
	(void)c;
	cd_http_error(out, 404, "no such resource: %s", url);
}
