/* SPDX-License-Identifier: BSD-3-Clause */
/* One router's part of a model (slice.h). */
#include <stdbool.h>
#include <string.h>

#include "model/slice.h"
#include "model/validate.h"

static bool is_spoke(const json_t *hood)
{
	const char *t = json_string_value(json_object_get(hood, "topology"));
	return t && strcmp(t, "spoke") == 0;
}

/* Whether other has an interface in hood's neighborhood, the pair not being two spokes. */
static bool pairs_with(const json_t *hood, const json_t *other)
{
	const char *name = json_string_value(json_object_get(hood, "name"));
	size_t j, l;
	const json_t *iface, *h;
	json_array_foreach (json_object_get(other, "interfaces"), j, iface) {
		json_array_foreach (json_object_get(iface, "neighborhoods"), l, h) {
			const char *n = json_string_value(json_object_get(h, "name"));
			if (name && n && strcmp(name, n) == 0 && !(is_spoke(hood) && is_spoke(h)))
				return true;
		}
	}
	return false;
}

/*
 * Whether the compiler, compiling for self, looks at other's interfaces: it does for every
 * interface pair in a shared neighborhood that is not two spokes (even a pair it then skips for
 * want of a common address family records its neighborhood's name), so the slice keeps exactly
 * those routers and the image does not change.
 */
static bool is_peer(const json_t *self, const json_t *other)
{
	size_t i, k;
	const json_t *iface, *hood;
	json_array_foreach (json_object_get(self, "interfaces"), i, iface)
		json_array_foreach (json_object_get(iface, "neighborhoods"), k, hood)
			if (pairs_with(hood, other))
				return true;
	return false;
}

json_t *svr_model_slice(const json_t *doc, const char *router)
{
	const json_t *self = svr_model_router(doc, router);
	if (!self)
		return NULL;
	/* Shallow copies share every value with doc (jansson's reference counts are atomic): a
	 * conductor slices a large model once per router, and a deep copy of the whole document
	 * each time cost it O(routers x model). Only the two objects that change are new. */
	json_t *out = json_copy((json_t *)doc);
	json_t *auth = json_copy(json_object_get(doc, "authority"));
	json_t *routers = json_array();
	if (!out || !auth || !routers || json_object_set(out, "authority", auth) < 0) {
		json_decref(out);
		json_decref(auth);
		json_decref(routers);
		return NULL;
	}
	json_decref(auth); /* out holds it */
	size_t i;
	const json_t *r;
	bool ok = true;
	json_array_foreach (json_object_get(auth, "routers"), i, r) {
		bool me = strcmp(json_string_value(json_object_get(r, "name")), router) == 0;
		if (!ok || (!me && !is_peer(self, r)))
			continue;
		/* A peer's copy is shallow: only its service-routes go. */
		json_t *copy = me ? json_incref((json_t *)r) : json_copy((json_t *)r);
		if (copy && !me)
			json_object_del(copy, "service-routes");
		ok = copy && json_array_append_new(routers, copy) == 0;
	}
	if (!ok)
		json_decref(routers);
	if (!ok || json_object_set_new(auth, "routers", routers) < 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}
