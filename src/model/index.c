/* SPDX-License-Identifier: BSD-3-Clause */
/* Who peers with whom in a model (index.h). */
#include "model/index.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* One interface's membership of one neighborhood. */
struct member {
	const char *hood;
	bool spoke;
	size_t router; /* position in authority.routers */
};

struct svr_model_index {
	const json_t *routers;
	json_t *by_name;  /* router name -> position */
	struct member *m; /* sorted by hood, then non-spokes first, then router */
	size_t n;
};

static bool is_spoke(const json_t *hood)
{
	const char *t = json_string_value(json_object_get(hood, "topology"));
	return t && strcmp(t, "spoke") == 0;
}

static int member_cmp(const void *a, const void *b)
{
	const struct member *x = a, *y = b;
	int c = strcmp(x->hood, y->hood);
	if (c)
		return c;
	if (x->spoke != y->spoke)
		return x->spoke ? 1 : -1;
	return (x->router > y->router) - (x->router < y->router);
}

/* Calls fn for each neighborhood membership of router r; stops at the first nonzero return. */
static int each_hood(const json_t *r, int (*fn)(void *, const json_t *), void *arg)
{
	size_t i, k;
	const json_t *iface, *hood;
	json_array_foreach (json_object_get(r, "interfaces"), i, iface)
		json_array_foreach (json_object_get(iface, "neighborhoods"), k, hood)
			if (json_string_value(json_object_get(hood, "name")) && fn(arg, hood))
				return -1;
	return 0;
}

struct filling {
	struct svr_model_index *ix;
	size_t router, cap;
};

static int add_member(void *arg, const json_t *hood)
{
	struct filling *f = arg;
	struct svr_model_index *ix = f->ix;
	if (ix->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 64;
		struct member *m = realloc(ix->m, cap * sizeof(*m));
		if (!m)
			return -1;
		ix->m = m;
		f->cap = cap;
	}
	ix->m[ix->n++] = (struct member){.hood = json_string_value(json_object_get(hood, "name")),
					 .spoke = is_spoke(hood),
					 .router = f->router};
	return 0;
}

struct svr_model_index *svr_model_index_new(const json_t *doc)
{
	struct svr_model_index *ix = calloc(1, sizeof(*ix));
	if (!ix)
		return NULL;
	ix->routers = json_object_get(json_object_get(doc, "authority"), "routers");
	ix->by_name = json_object();
	struct filling f = {.ix = ix};
	size_t i;
	const json_t *r;
	bool ok = ix->by_name != NULL;
	json_array_foreach (ix->routers, i, r) {
		const char *name = json_string_value(json_object_get(r, "name"));
		f.router = i;
		if (!ok || !name ||
		    json_object_set_new(ix->by_name, name, json_integer((json_int_t)i)) < 0 ||
		    each_hood(r, add_member, &f) < 0)
			ok = false;
	}
	if (!ok) {
		svr_model_index_free(ix);
		return NULL;
	}
	if (ix->n)
		qsort(ix->m, ix->n, sizeof(*ix->m), member_cmp);
	return ix;
}

void svr_model_index_free(struct svr_model_index *ix)
{
	if (!ix)
		return;
	json_decref(ix->by_name);
	free(ix->m);
	free(ix);
}

long svr_model_index_router(const struct svr_model_index *ix, const char *name)
{
	json_t *v = name ? json_object_get(ix->by_name, name) : NULL;
	return v ? (long)json_integer_value(v) : -1;
}

/* The first member of hood at or after the non-spokes (spokes_only) or at its start. */
static size_t lower_bound(const struct svr_model_index *ix, const char *hood, bool spokes_only)
{
	size_t lo = 0, hi = ix->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(ix->m[mid].hood, hood);
		if (c < 0 || (c == 0 && spokes_only && !ix->m[mid].spoke))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct gathering {
	const struct svr_model_index *ix;
	size_t self, *out, n, cap;
};

static int gathered(struct gathering *g, size_t router)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 16;
		size_t *o = realloc(g->out, cap * sizeof(*o));
		if (!o)
			return -1;
		g->out = o;
		g->cap = cap;
	}
	g->out[g->n++] = router;
	return 0;
}

/* Adds the routers that pair with hood (one of self's): every member of its neighborhood, or
 * only the non-spokes when hood is a spoke. */
static int gather(void *arg, const json_t *hood)
{
	struct gathering *g = arg;
	const struct svr_model_index *ix = g->ix;
	const char *name = json_string_value(json_object_get(hood, "name"));
	size_t end = is_spoke(hood) ? lower_bound(ix, name, true) : ix->n;
	for (size_t i = lower_bound(ix, name, false); i < end && strcmp(ix->m[i].hood, name) == 0;
	     i++) {
		if (ix->m[i].router != g->self && gathered(g, ix->m[i].router) < 0)
			return -1;
	}
	return 0;
}

static int size_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return (x > y) - (x < y);
}

long svr_model_index_peers(const struct svr_model_index *ix, size_t self, bool with_self,
			   size_t **out)
{
	struct gathering g = {.ix = ix, .self = self};
	*out = NULL;
	if ((with_self && gathered(&g, self) < 0) ||
	    each_hood(json_array_get(ix->routers, self), gather, &g) < 0) {
		free(g.out);
		return -1;
	}
	if (g.n == 0) {
		free(g.out);
		return 0;
	}
	qsort(g.out, g.n, sizeof(*g.out), size_cmp);
	size_t u = 1; /* one entry per router, however many pairs it shares */
	for (size_t i = 1; i < g.n; i++)
		if (g.out[i] != g.out[u - 1])
			g.out[u++] = g.out[i];
	*out = g.out;
	return (long)u;
}
