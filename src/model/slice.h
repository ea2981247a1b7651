/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One router's part of a model (what the conductor sends it): the authority with only that router
 * and the routers that share a neighborhood with it through an interface pair that is not two
 * spokes (docs/model.md, "Peers"). It validates, and compiles for that router to the same image
 * as the whole model.
 */
#ifndef SVR_MODEL_SLICE_H
#define SVR_MODEL_SLICE_H

#include <jansson.h>

/*
 * doc must have passed svr_model_validate. A new document: a copy of doc in which
 * authority.routers keeps router and its peers, in their order, and the peers' service-routes are
 * left out (they may name routers the slice does not hold; a router never reads its peers'
 * routes). NULL when doc has no such router or memory ran out.
 */
json_t *svr_model_slice(const json_t *doc, const char *router);

struct svr_model_index;

/* The same, with doc's index (model/index.h) made once for many slices. */
json_t *svr_model_slice_indexed(const json_t *doc, const struct svr_model_index *ix,
				const char *router);

#endif
