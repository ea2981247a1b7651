/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The web UI's files (docs/conductor.md "Web UI"): our own index.html, app.js and app.css,
 * compiled in (conductor/ui/), and Vue 2, the one library, read once at start from Debian's
 * libjs-vue (startup key ui-vue-js) so that its security fixes come with the system's updates.
 * Anyone may fetch these files: they hold no data; every request the UI makes to the API
 * carries the operator's token.
 *
 * Threads: cd_ui_start runs on the main thread before the server starts; cd_ui_serve on the
 * server's threads reads what it set, never changed afterwards.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/fsutil.h"
#include "common/log.h"
#include "conductor.h"
#include "http/http.h"

#define VUE_MAX_BYTES (4u << 20) /* vue.min.js is ~100 KiB; a larger file is not it */

extern const char svr_ui_index_html[], svr_ui_app_js[], svr_ui_app_css[];
extern const size_t svr_ui_index_html_len, svr_ui_app_js_len, svr_ui_app_css_len;

/* Every file of the UI gets these. The templates of app.js are compiled by Vue in the browser,
 * which needs 'unsafe-eval' (docs/conductor.md "Web UI" says why that is acceptable here);
 * nothing else is allowed from anywhere but this conductor, and nothing inline. */
static const char *const headers[] = {
    "Content-Security-Policy",
    "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self'; img-src 'self' "
    "data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'",
    "X-Content-Type-Options",
    "nosniff",
    "X-Frame-Options",
    "DENY",
    "Referrer-Policy",
    "no-referrer",
    /* Checked again at every load, so a new conductor's UI is never mixed with an old one. */
    "Cache-Control",
    "no-cache",
    NULL,
};

static struct {
	char *vue; /* NULL: the UI is off */
	size_t vue_len;
	char why_off[4608]; /* ui-vue-js is at most 3000 characters */
} ui;

void cd_ui_start(struct conductor *c)
{
	const char *path = c->cfg.ui_vue_js;
	if (!*path) {
		snprintf(ui.why_off, sizeof(ui.why_off), "the startup file's ui-vue-js is \"\"");
	} else {
		ui.vue = svr_read_file(path, VUE_MAX_BYTES, &ui.vue_len);
		if (!ui.vue)
			snprintf(
			    ui.why_off, sizeof(ui.why_off),
			    "cannot read %s (ui-vue-js): %s; install Debian's libjs-vue or set "
			    "ui-vue-js",
			    path, errno == EFBIG ? "larger than 4 MiB" : strerror(errno));
	}
	if (ui.vue)
		LOG_NOTICE("web UI at https://%s/ (Vue from %s)", c->cfg.listen, path);
	else
		LOG_WARN("web UI off: %s; the API is served as usual", ui.why_off);
}

struct ui_file {
	const char *url;
	const char *type;
	const char *data;
	const size_t *len;
};

void cd_ui_serve(struct conductor *c, const char *url, struct cd_reply *out)
{
	(void)c;
	static const struct ui_file files[] = {
	    {"/", "text/html; charset=utf-8", svr_ui_index_html, &svr_ui_index_html_len},
	    {"/index.html", "text/html; charset=utf-8", svr_ui_index_html, &svr_ui_index_html_len},
	    {"/ui/app.js", "text/javascript; charset=utf-8", svr_ui_app_js, &svr_ui_app_js_len},
	    {"/ui/app.css", "text/css; charset=utf-8", svr_ui_app_css, &svr_ui_app_css_len},
	    {"/ui/vue.min.js", "text/javascript; charset=utf-8", NULL, NULL},
	};
	const struct ui_file *f = NULL;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]) && !f; i++)
		if (strcmp(url, files[i].url) == 0)
			f = &files[i];
	if (!f) {
		cd_http_error(out, 404, "no such resource: %s", url);
		return;
	}
	if (!ui.vue) {
		cd_http_error(out, 503, "the web UI is off: %s", ui.why_off);
		return;
	}
	out->status = 200;
	out->text = (char *)(uintptr_t)(f->data ? f->data : ui.vue);
	out->text_len = f->data ? *f->len : ui.vue_len;
	out->text_static = true;
	out->content_type = f->type;
	out->headers = headers;
}
