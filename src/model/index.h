/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Who peers with whom in a model, worked out once. Two routers are peers when an interface of
 * each is in one neighborhood and the two are not both spokes (docs/model.md, "Peers"). Asking
 * that of every router by scanning every other one costs routers^2 (4 million interface scans
 * for a hub and 2,000 spokes, each time the conductor compiles or slices); the index answers it
 * per router in time proportional to its peers.
 */
#ifndef SVR_MODEL_INDEX_H
#define SVR_MODEL_INDEX_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct svr_model_index;

/* Indexes doc's authority.routers (doc must have passed svr_model_validate and must outlive the
 * index, which points into it). NULL when memory ran out, or when a router has no name (which
 * a validated model cannot lack). */
struct svr_model_index *svr_model_index_new(const json_t *doc);
void svr_model_index_free(struct svr_model_index *ix);

/* The position in authority.routers of the router named name; -1 when there is none. */
long svr_model_index_router(const struct svr_model_index *ix, const char *name);

/*
 * The positions of the routers that peer with the router at self, ascending, and self's own
 * among them when with_self: *out is malloc'd (NULL when there are none). Returns their count,
 * or -1 when memory ran out.
 */
long svr_model_index_peers(const struct svr_model_index *ix, size_t self, bool with_self,
			   size_t **out);

#endif
