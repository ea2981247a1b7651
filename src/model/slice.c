/* SPDX-License-Identifier: BSD-3-Clause */
/* One router's part of a model (slice.h). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "model/index.h"
#include "model/slice.h"
#include "model/validate.h"

json_t *svr_model_slice_indexed(const json_t *doc, const struct svr_model_index *ix,
				const char *router)
{
	long self = svr_model_index_router(ix, router);
	size_t *keep = NULL; /* the router and its peers, in model order */
	long nkeep = self < 0 ? -1 : svr_model_index_peers(ix, (size_t)self, true, &keep);
	if (nkeep < 0)
		return NULL;
	/* Shallow copies share every value with doc (jansson's reference counts are atomic): a
	 * conductor slices a large model once per router, and a deep copy of the whole document
	 * each time cost it O(routers x model). Only the objects that change are new. */
	json_t *out = json_copy((json_t *)doc);
	json_t *auth = json_copy(json_object_get(doc, "authority"));
	json_t *routers = json_array();
	bool ok = out && auth && routers && json_object_set(out, "authority", auth) == 0;
	const json_t *all = json_object_get(auth, "routers");
	for (long k = 0; ok && k < nkeep; k++) {
		json_t *r = json_array_get(all, keep[k]);
		/* A peer's copy is shallow and without its service-routes: they may name routers
		 * this slice does not hold, and a router never reads its peers' routes. */
		json_t *copy = keep[k] == (size_t)self ? json_incref(r) : json_copy(r);
		if (copy && copy != r)
			json_object_del(copy, "service-routes");
		ok = copy && json_array_append_new(routers, copy) == 0;
	}
	free(keep);
	json_decref(auth); /* out holds it, when ok */
	if (!ok || json_object_set_new(auth, "routers", routers) < 0) {
		if (!ok)
			json_decref(routers); /* set_new frees it when it fails */
		json_decref(out);
		return NULL;
	}
	return out;
}

json_t *svr_model_slice(const json_t *doc, const char *router)
{
	struct svr_model_index *ix = svr_model_index_new(doc);
	json_t *out = ix ? svr_model_slice_indexed(doc, ix, router) : NULL;
	svr_model_index_free(ix);
	return out;
}
