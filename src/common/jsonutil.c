/* SPDX-License-Identifier: BSD-3-Clause */
#include "common/jsonutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int svr_jerr_set(struct svr_jerr *e, const char *path, const char *fmt, ...)
{
	int n = snprintf(e->msg, sizeof(e->msg), "%s: ", path && *path ? path : "(top)");
	if (n < 0 || (size_t)n >= sizeof(e->msg))
		return -1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg + n, sizeof(e->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static void key_path(char *buf, size_t len, const char *path, const char *key)
{
	if (path && *path)
		snprintf(buf, len, "%s.%s", path, key);
	else
		snprintf(buf, len, "%s", key);
}

int svr_json_only_keys(const json_t *obj, const char *path, const char *const *allowed,
		       struct svr_jerr *e)
{
	if (!json_is_object(obj))
		return svr_jerr_set(e, path, "must be an object");
	const char *key;
	json_t *val;
	json_object_foreach ((json_t *)obj, key, val) {
		bool known = false;
		for (const char *const *a = allowed; *a; a++)
			known = known || strcmp(*a, key) == 0;
		if (!known) {
			char p[256];
			key_path(p, sizeof(p), path, key);
			return svr_jerr_set(e, p, "unknown key");
		}
	}
	return 0;
}

int svr_json_get_uint(const json_t *obj, const char *key, const char *path, uint64_t min,
		      uint64_t max, uint64_t *out, struct svr_jerr *e)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return 0;
	char p[256];
	key_path(p, sizeof(p), path, key);
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return svr_jerr_set(e, p, "must be a non-negative integer");
	uint64_t x = (uint64_t)json_integer_value(v);
	if (x < min || x > max)
		return svr_jerr_set(e, p, "must be between %llu and %llu", (unsigned long long)min,
				    (unsigned long long)max);
	*out = x;
	return 1;
}

int svr_json_get_bool(const json_t *obj, const char *key, const char *path, bool *out,
		      struct svr_jerr *e)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return 0;
	if (!json_is_boolean(v)) {
		char p[256];
		key_path(p, sizeof(p), path, key);
		return svr_jerr_set(e, p, "must be true or false");
	}
	*out = json_is_true(v);
	return 1;
}

int svr_json_get_string(const json_t *obj, const char *key, const char *path, const char **out,
			struct svr_jerr *e)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return 0;
	if (!json_is_string(v)) {
		char p[256];
		key_path(p, sizeof(p), path, key);
		return svr_jerr_set(e, p, "must be a string");
	}
	*out = json_string_value(v);
	return 1;
}

static int get_typed(const json_t *obj, const char *key, const char *path, json_t **out,
		     struct svr_jerr *e, bool want_array)
{
	json_t *v = json_object_get(obj, key);
	*out = NULL;
	if (!v)
		return 0;
	if (want_array ? !json_is_array(v) : !json_is_object(v)) {
		char p[256];
		key_path(p, sizeof(p), path, key);
		return svr_jerr_set(e, p, want_array ? "must be an array" : "must be an object");
	}
	*out = v;
	return 1;
}

int svr_json_get_array(const json_t *obj, const char *key, const char *path, json_t **out,
		       struct svr_jerr *e)
{
	return get_typed(obj, key, path, out, e, true);
}

int svr_json_get_object(const json_t *obj, const char *key, const char *path, json_t **out,
			struct svr_jerr *e)
{
	return get_typed(obj, key, path, out, e, false);
}
