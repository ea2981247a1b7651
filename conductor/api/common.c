/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the operator API's handlers share (api/operator.c, api/proposals.c): the store's
 * failures as answers, strict query and body fields, the model's errors in svr-control's shape.
 * Handler threads; no state of their own.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "conductor.h"
#include "httpd/httpd.h"
#include "model/validate.h"

void cd_api_store_error(struct cd_reply *out, int rc, const char *err)
{
	switch (rc) {
	case SVR_STORE_NOT_FOUND:
		cd_http_error(out, 404, "%s", err);
		break;
	case SVR_STORE_EXISTS:
	case SVR_STORE_CONFLICT:
		cd_http_error(out, 409, "%s", err);
		break;
	case SVR_STORE_EXPIRED:
		cd_http_error(out, 410, "%s", err);
		break;
	default: /* the backend failed (I/O, connection lost): as the router API says it */
		cd_http_error(out, 503, "the store failed: %s", err);
		break;
	}
}

/* A typo in a query should not be ignored. */
bool cd_api_query_ok(const struct cd_request *in, struct cd_reply *out, const char *const *known)
{
	char err[256];
	if (svr_httpd_query_check(in->conn, known, err, sizeof(err)) == 0)
		return true;
	cd_http_error(out, 400, "%s", err);
	return false;
}

const char *const cd_api_no_args[] = {NULL};

/* A positive number from text (decimal, no sign, no blanks): a version, a proposal id. */
bool cd_api_parse_positive(const char *s, int64_t *v)
{
	if (!s || !*s || strlen(s) > 18)
		return false;
	for (const char *p = s; *p; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	*v = strtoll(s, NULL, 10);
	return *v > 0;
}

/* A body's string field ("message", "ticket"...) of at most max bytes: required, or optional
 * ("" when absent). NULL and a 400 when wrong. Control characters are refused: these end up in
 * logs and terminals. */
const char *cd_api_text_field(const json_t *body, const char *key, size_t max, bool required,
			      struct cd_reply *out)
{
	const json_t *v = json_object_get(body, key);
	if (!v || json_is_null(v)) {
		if (required) {
			cd_http_error(out, 400, "\"%s\" is required", key);
			return NULL;
		}
		return "";
	}
	const char *s = json_string_value(v);
	if (!s) {
		cd_http_error(out, 400, "\"%s\" must be a string", key);
		return NULL;
	}
	size_t n = json_string_length(v);
	if (required && n == 0) {
		cd_http_error(out, 400, "\"%s\" must not be empty", key);
		return NULL;
	}
	if (n > max) {
		cd_http_error(out, 400, "\"%s\" is %zu bytes long; at most %zu are allowed", key, n,
			      max);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 && s[i] != '\n' && s[i] != '\t') {
			cd_http_error(out, 400, "\"%s\" contains a control character", key);
			return NULL;
		}
	return s;
}

const char *cd_api_message_field(const json_t *body, struct cd_reply *out)
{
	return cd_api_text_field(body, "message", SVR_STORE_MESSAGE_MAX - 1, true, out);
}

const char *cd_api_ticket_field(const json_t *body, struct cd_reply *out)
{
	const char *t = cd_api_text_field(body, "ticket", SVR_STORE_NAME_MAX - 1, false, out);
	if (t && strpbrk(t, "\n\t")) {
		cd_http_error(out, 400, "\"ticket\" must be one line");
		return NULL;
	}
	return t;
}

/* The model's errors in svr-control's shape (src/control/rest/model.c): the same sentence with
 * "committed" for "applied", and the same keys. */
void cd_api_invalid_model(struct cd_reply *out, const char *what, const struct svr_model_errors *e)
{
	char msg[128];
	json_t *arr = json_array();
	for (unsigned i = 0; arr && i < e->count; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s}", "path", e->list[i].path,
						     "message", e->list[i].message));
	snprintf(msg, sizeof(msg), "the model is invalid (%u error%s); nothing was %s", e->count,
		 e->count == 1 ? "" : "s", what);
	cd_http_json(out, 422, json_pack("{s:s, s:o}", "error", msg, "errors", arr));
}

int64_t cd_api_serial(struct conductor *c)
{
	char err[256];
	int64_t serial = 0;
	if (svr_store_serial(c->store, &serial, err, sizeof(err)) < 0)
		return -1;
	return serial;
}

/* A decimal query argument in [min, max]; def when absent. -1 and a 400 when wrong. */
int64_t cd_api_number_arg(const struct cd_request *in, struct cd_reply *out, const char *key,
			  int64_t min, int64_t max, int64_t def)
{
	const char *s = cd_http_query(in, key);
	int64_t v;
	if (!s)
		return def;
	if (!cd_api_parse_positive(s, &v) || v < min || v > max) {
		cd_http_error(out, 400,
			      "query parameter \"%s\": \"%.32s\" is not a number from %lld "
			      "to %lld",
			      key, s, (long long)min, (long long)max);
		return -1;
	}
	return v;
}

/* The candidate: the stored one, else the running model (NULL when neither exists). */
int cd_api_candidate_model(struct conductor *c, json_t **model, char *err, size_t errlen)
{
	int rc = svr_store_candidate_get(c->store, model, err, errlen);
	if (rc < 0 || *model)
		return rc;
	struct svr_store_commit info;
	return svr_store_running(c->store, &info, model, err, errlen);
}
