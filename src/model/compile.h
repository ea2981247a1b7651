/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Compiles a validated intent model into the policy image of one router:
 * derives that router's view (its interfaces, peers and peer paths from shared
 * neighborhoods, service routes) and lays out the tables of include/svr/image.h.
 */
#ifndef SVR_COMPILE_H
#define SVR_COMPILE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/*
 * doc must have passed svr_model_validate. Returns 0 with a malloc'd image of
 * *len bytes (generation 0: the publisher sets it), or -1 with err set.
 */
int svr_model_compile(const json_t *doc, const char *router, void **image, size_t *len, char *err,
		      size_t errlen);

struct svr_model_index;

/* The same for the router at position self of doc's routers, with doc's index (model/index.h)
 * made once for many routers: a model's peers are found per router in time proportional to its
 * own peers, not to the model's routers. */
int svr_model_compile_indexed(const json_t *doc, const struct svr_model_index *ix, size_t self,
			      void **image, size_t *len, char *err, size_t errlen);

struct svr_model_errors;

/*
 * Compiles a validated document for every router, so that what only compiling finds is refused
 * where the model is committed (the conductor) and not first at a router. Appends each router
 * that does not compile as "authority.routers[i]: message". Returns 0 when every one compiles.
 */
int svr_model_compile_all(const json_t *doc, struct svr_model_errors *e);

#endif
