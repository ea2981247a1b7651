/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the operator API's handlers share (api/common.c): answers for the store's failures,
 * strict query arguments and body fields, the model's errors. Each answers the request itself
 * when it fails (and returns false, NULL or -1), so a handler just returns.
 */
#ifndef SVR_CONDUCTOR_API_H
#define SVR_CONDUCTOR_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "http/http.h"

struct conductor;
struct svr_model_errors;

/* The store's failure as an HTTP answer: 404, 409 (exists, conflict), 410, else 503. */
void cd_api_store_error(struct cd_reply *out, int rc, const char *err);
/* 400 for a query argument the route does not take (known: NULL-terminated). */
bool cd_api_query_ok(const struct cd_request *in, struct cd_reply *out, const char *const *known);
extern const char *const cd_api_no_args[];
/* A positive decimal number (no sign, no blanks): a version or a proposal id. */
bool cd_api_parse_positive(const char *s, int64_t *v);
/* A decimal query argument in [min, max]; def when absent. -1 and a 400 when wrong. */
int64_t cd_api_number_arg(const struct cd_request *in, struct cd_reply *out, const char *key,
			  int64_t min, int64_t max, int64_t def);
/* A string field of at most max bytes, without control characters but newline and tab:
 * required, or optional ("" when absent or null). NULL and a 400 when wrong. */
const char *cd_api_text_field(const json_t *body, const char *key, size_t max, bool required,
			      struct cd_reply *out);
/* "message" (required, 1-1023 bytes) and "ticket" (optional, one line, at most 127). */
const char *cd_api_message_field(const json_t *body, struct cd_reply *out);
const char *cd_api_ticket_field(const json_t *body, struct cd_reply *out);
/* 422 {"error": "the model is invalid (N errors); nothing was WHAT", "errors": [...]}. */
void cd_api_invalid_model(struct cd_reply *out, const char *what, const struct svr_model_errors *e);
/* The change serial; -1 when the store fails. */
int64_t cd_api_serial(struct conductor *c);
/* The candidate: the stored one, else the running model (NULL when neither exists). */
int cd_api_candidate_model(struct conductor *c, json_t **model, char *err, size_t errlen);

#endif
