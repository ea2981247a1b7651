/* SPDX-License-Identifier: BSD-3-Clause */
/* The difference between two models by JSON path (diff.h). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "model/diff.h"

#define PATH_MAX_LEN 512

struct diff {
	json_t *out;
	bool oom;
};

static void emit(struct diff *d, const char *path, const char *op, const json_t *from,
		 const json_t *to)
{
	json_t *e = json_pack("{ss ss}", "path", path[0] ? path : "(top)", "op", op);
	if (!e || (from && json_object_set_new(e, "from", json_deep_copy(from)) < 0) ||
	    (to && json_object_set_new(e, "to", json_deep_copy(to)) < 0) ||
	    json_array_append_new(d->out, e) < 0)
		d->oom = true;
}

static void key_path(char *out, const char *path, const char *key)
{
	snprintf(out, PATH_MAX_LEN, "%s%s%s", path, path[0] ? "." : "", key);
}

static void index_path(char *out, const char *path, size_t i)
{
	snprintf(out, PATH_MAX_LEN, "%s[%zu]", path, i);
}

static void diff_value(struct diff *d, const char *path, const json_t *a, const json_t *b);

static void diff_objects(struct diff *d, const char *path, const json_t *a, const json_t *b)
{
	char sub[PATH_MAX_LEN];
	const char *k;
	const json_t *va;
	json_object_foreach ((json_t *)a, k, va) {
		key_path(sub, path, k);
		const json_t *vb = json_object_get(b, k);
		if (vb)
			diff_value(d, sub, va, vb);
		else
			emit(d, sub, "removed", va, NULL);
	}
	const json_t *vb;
	json_object_foreach ((json_t *)b, k, vb) {
		if (!json_object_get(a, k)) {
			key_path(sub, path, k);
			emit(d, sub, "added", NULL, vb);
		}
	}
}

static const char *name_of(const json_t *o)
{
	return json_string_value(json_object_get(o, "name"));
}

/* Whether every element is an object with a string "name". */
static bool is_named(const json_t *arr)
{
	size_t i;
	const json_t *e;
	json_array_foreach (arr, i, e)
		if (!name_of(e))
			return false;
	return true;
}

/* name -> index of its first element. */
static json_t *index_by_name(const json_t *arr)
{
	json_t *m = json_object();
	size_t i;
	const json_t *e;
	json_array_foreach (arr, i, e)
		if (m && !json_object_get(m, name_of(e)))
			json_object_set_new(m, name_of(e), json_integer((json_int_t)i));
	return m;
}

static void diff_named(struct diff *d, const char *path, const json_t *a, const json_t *b)
{
	json_t *in_a = index_by_name(a), *in_b = index_by_name(b);
	if (!in_a || !in_b) {
		d->oom = true;
	} else {
		char sub[PATH_MAX_LEN];
		size_t i;
		const json_t *e;
		json_array_foreach (b, i, e) {
			index_path(sub, path, i);
			const json_t *ia = json_object_get(in_a, name_of(e));
			if (ia)
				diff_value(d, sub,
					   json_array_get(a, (size_t)json_integer_value(ia)), e);
			else
				emit(d, sub, "added", NULL, e);
		}
		json_array_foreach (a, i, e) {
			if (!json_object_get(in_b, name_of(e))) {
				index_path(sub, path, i);
				emit(d, sub, "removed", e, NULL);
			}
		}
	}
	json_decref(in_a);
	json_decref(in_b);
}

static void diff_by_index(struct diff *d, const char *path, const json_t *a, const json_t *b)
{
	char sub[PATH_MAX_LEN];
	size_t na = json_array_size(a), nb = json_array_size(b);
	for (size_t i = 0; i < na || i < nb; i++) {
		index_path(sub, path, i);
		if (i < na && i < nb)
			diff_value(d, sub, json_array_get(a, i), json_array_get(b, i));
		else if (i < na)
			emit(d, sub, "removed", json_array_get(a, i), NULL);
		else
			emit(d, sub, "added", NULL, json_array_get(b, i));
	}
}

static void diff_value(struct diff *d, const char *path, const json_t *a, const json_t *b)
{
	if (d->oom)
		return;
	if (json_is_object(a) && json_is_object(b))
		diff_objects(d, path, a, b);
	else if (json_is_array(a) && json_is_array(b) && is_named(a) && is_named(b))
		diff_named(d, path, a, b);
	else if (json_is_array(a) && json_is_array(b))
		diff_by_index(d, path, a, b);
	else if (!json_equal(a, b))
		emit(d, path, "changed", a, b);
}

json_t *svr_model_diff(const json_t *a, const json_t *b)
{
	struct diff d = {.out = json_array()};
	if (!d.out)
		return NULL;
	diff_value(&d, "", a, b);
	if (d.oom) {
		json_decref(d.out);
		return NULL;
	}
	return d.out;
}
