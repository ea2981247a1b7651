/* SPDX-License-Identifier: BSD-3-Clause */
/* GET and PUT /api/v1/model: the model in force, and applying a new one. */
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conductor/conductor.h"
#include "rest_int.h"

void rest_model_get(struct svr_rest *r, const struct rest_route *rt, const struct rest_in *in,
		    struct rest_reply *out)
{
	(void)rt;
	(void)in;
	struct svr_ctl *c = r->ctl;
	/* Dumped under the lock: an apply replaces (and frees) the model under it. */
	pthread_mutex_lock(&c->lock);
	char *text = c->model ? json_dumps(c->model, JSON_COMPACT) : NULL;
	bool have = c->model != NULL;
	pthread_mutex_unlock(&c->lock);
	if (!have) {
		rest_error(out, MHD_HTTP_NOT_FOUND,
			   "no model has been applied yet (PUT " REST_PREFIX "/model)");
		return;
	}
	if (!text) {
		rest_error(out, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
		return;
	}
	size_t n = strlen(text);
	char *t = realloc(text, n + 2);
	if (!t) {
		free(text);
		rest_error(out, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
		return;
	}
	t[n++] = '\n';
	t[n] = '\0';
	out->status = MHD_HTTP_OK;
	out->text = t;
	out->text_len = n;
}

static json_t *error_list(const struct svr_model_errors *e)
{
	json_t *arr = json_array();
	for (unsigned i = 0; arr && i < e->count; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s}", "path", e->list[i].path,
						     "message", e->list[i].message));
	return arr;
}

/* svr_ctl reports a parse error as "line L column C: text" (ctl.h); split it back up so a
 * client gets numbers, without parsing a large body twice. */
static void bad_json(const struct svr_model_errors *e, struct rest_reply *out)
{
	const char *msg = e->count ? e->list[0].message : "";
	int line = 0, column = 0, off = 0;
	json_t *body;
	if (sscanf(msg, "line %d column %d: %n", &line, &column, &off) == 2 && off > 0)
		body = json_pack("{s:s, s:i, s:i, s:s}", "error", "malformed JSON", "line", line,
				 "column", column, "message", msg + off);
	else
		body = json_pack("{s:s, s:s}", "error", "malformed JSON", "message", msg);
	rest_json(out, MHD_HTTP_BAD_REQUEST, body);
}

void rest_model_put(struct svr_rest *r, const struct rest_route *rt, const struct rest_in *in,
		    struct rest_reply *out)
{
	(void)rt;
	struct svr_model_errors errors;
	svr_model_errors_init(&errors);
	uint64_t gen = 0;
	bool in_force = false;
	/* Managed by a conductor: a local model is a local override (docs/conductor.md). */
	svr_conductor_local_begin(r->conductor);
	enum svr_apply_result res = svr_ctl_apply_text(r->ctl, in->body, in->len, &errors, &gen);
	switch (res) {
	case SVR_APPLY_BAD_JSON:
		bad_json(&errors, out);
		break;
	case SVR_APPLY_INVALID: {
		char msg[128];
		snprintf(msg, sizeof(msg), "the model is invalid (%u error%s); nothing was applied",
			 errors.count, errors.count == 1 ? "" : "s");
		rest_json(out, MHD_HTTP_UNPROCESSABLE_CONTENT,
			  json_pack("{s:s, s:o}", "error", msg, "errors", error_list(&errors)));
		break;
	}
	case SVR_APPLY_FAILED: {
		const char *why = errors.count ? errors.list[0].message : "apply failed";
		rest_json(out, MHD_HTTP_INTERNAL_SERVER_ERROR,
			  json_pack("{s:s, s:o}", "error", why, "errors", error_list(&errors)));
		break;
	}
	case SVR_APPLY_OK: {
		char reason[256] = "";
		int w = svr_ctl_wait(r->ctl, gen, REST_APPLY_WAIT, reason, sizeof(reason));
		json_int_t g = (json_int_t)gen;
		in_force = w >= 0;
		if (w > 0) {
			/* From the request's arrival to the dataplane's acknowledgement. */
			double ms =
			    (double)(svr_ctl_acked_at_ns(r->ctl) / 1000 - out->received_us) /
			    1000.0;
			rest_json(out, MHD_HTTP_OK,
				  json_pack("{s:I, s:s, s:f}", "generation", g, "status", "applied",
					    "apply-ms", ms));
		} else if (w == 0)
			rest_json(out, MHD_HTTP_ACCEPTED,
				  json_pack("{s:I, s:s}", "generation", g, "status", "published"));
		else
			rest_json(out, MHD_HTTP_CONFLICT,
				  json_pack("{s:I, s:s, s:s}", "generation", g, "status",
					    "rejected", "error",
					    *reason ? reason : "rejected by the dataplane"));
		break;
	}
	}
	svr_conductor_local_end(r->conductor, in_force);
	svr_model_errors_free(&errors);
}
