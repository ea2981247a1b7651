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
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/log.h"
#include "conductor.h"
#include "http/http.h"

/* vue.min.js is ~100 KiB: a file much smaller or larger is not it. */
#define VUE_MIN_BYTES (10u << 10)
#define VUE_MAX_BYTES (4u << 20)

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

/* Vue with its template compiler, read from path; NULL with why set when the file is not it. */
static char *read_vue(const char *path, size_t *len, char *why, size_t whylen)
{
	/* O_NONBLOCK: a FIFO put there must not hang the start; fstat then refuses it. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	if (fd < 0) {
		snprintf(why, whylen, "cannot read %s (ui-vue-js): %s", path, strerror(errno));
		return NULL;
	}
	int ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	close(fd);
	if (!ok) {
		snprintf(why, whylen, "%s (ui-vue-js) is not a regular file", path);
		return NULL;
	}
	if (st.st_size < (off_t)VUE_MIN_BYTES || st.st_size > (off_t)VUE_MAX_BYTES) {
		snprintf(why, whylen,
			 "%s (ui-vue-js) has %lld bytes, not the 10 KiB to 4 MiB of Vue 2 "
			 "(vue.min.js)",
			 path, (long long)st.st_size);
		return NULL;
	}
	char *text = svr_read_file(path, VUE_MAX_BYTES, len);
	if (!text) {
		snprintf(why, whylen, "cannot read %s (ui-vue-js): %s", path, strerror(errno));
		return NULL;
	}
	/* The UI's templates are compiled in the browser: the runtime-only build cannot. */
	if (!memmem(text, *len, "compileToFunctions", strlen("compileToFunctions"))) {
		snprintf(why, whylen,
			 "%s (ui-vue-js) is not Vue 2 with its template compiler (no "
			 "compileToFunctions in it)",
			 path);
		free(text);
		return NULL;
	}
	return text;
}

void cd_ui_start(struct conductor *c)
{
	const char *path = c->cfg.ui_vue_js;
	if (!*path)
		snprintf(ui.why_off, sizeof(ui.why_off), "the startup file's ui-vue-js is \"\"");
	else
		ui.vue = read_vue(path, &ui.vue_len, ui.why_off, sizeof(ui.why_off));
	if (!ui.vue) {
		LOG_WARN("web UI off: %s; install Debian's libjs-vue or set ui-vue-js; the API is "
			 "served as usual",
			 ui.why_off);
		return;
	}
	/* The addresses operators use (the certificate's names), not a wildcard listen address. */
	const char *port = strrchr(c->cfg.listen, ':');
	for (unsigned i = 0; i < c->cfg.n_names; i++)
		LOG_NOTICE("web UI at https://%s%s%s%s/ (Vue from %s)",
			   strchr(c->cfg.names[i], ':') ? "[" : "", c->cfg.names[i],
			   strchr(c->cfg.names[i], ':') ? "]" : "", port ? port : "", path);
	if (!c->cfg.n_names)
		LOG_NOTICE("web UI at https://%s/ (Vue from %s)", c->cfg.listen, path);
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
		/* The reason names files of this server: it is in the log, not told to anyone. */
		cd_http_error(out, 503,
			      "the web UI is off (the conductor's log says why); the API at "
			      "/api/v1 is served as usual");
		return;
	}
	out->status = 200;
	out->text = (char *)(uintptr_t)(f->data ? f->data : ui.vue);
	out->text_len = f->data ? *f->len : ui.vue_len;
	out->text_static = true;
	out->content_type = f->type;
	out->headers = headers;
}
