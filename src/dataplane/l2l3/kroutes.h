/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Routes from the kernel (docs/routing.md, "The route mirror"). svr-control follows the routing
 * tables of the router's kernel namespace and writes each change into the instance's route ring
 * (common/routering.h); the main lcore takes them, keeps them in the kernel RIB (which outlives
 * policy generations), and applies those of the main table to the FIB in force, and those of
 * a table a tenant is bound to to that table's FIB (l2l3/tfib.h), as deltas: a batch is staged
 * in every FIB it touches, published, and caught up after the workers' grace period
 * (l2l3/fib.h). A
 * route leaves by the dataplane interface of the kernel interface's name (its twin); a policy
 * route of the same prefix wins over it.
 *
 * Main lcore only. Off (everything a no-op) unless the startup configuration sets
 * routing.kernel-routes.
 */
#ifndef SVR_L2L3_KROUTES_H
#define SVR_L2L3_KROUTES_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

struct dp_gen;
struct svr_fib;

#define DP_KROUTES_MAIN_TABLE 254  /* the kernel's RT_TABLE_MAIN */
#define DP_KROUTES_BATCH      8192 /* changes staged between two grace periods */

/* max: routes the RIB holds at most (0: the mirror is off). 0, or -1 logged. */
int dp_kroutes_init(uint32_t max);
void dp_kroutes_free(void);

/* Routes a FIB must have room for beyond the policy's, and its batch size (0: not live). */
uint32_t dp_kroutes_fib_room(void);
uint32_t dp_kroutes_fib_batch(void);

/* A new FIB, not yet published, for generation g: every RIB route of kernel table `table`
 * (the main table for the main FIB, a tenant's for its table FIB, l2l3/tfib.h) that leaves by
 * one of g's interfaces (policy routes already in it win). */
void dp_kroutes_fill(struct svr_fib *fib, const struct dp_gen *g, uint32_t table);

/* The main loop's turn: attach to the ring, take changes, stage, publish, catch up. Returns
 * the changes taken (work done). */
unsigned dp_kroutes_poll(uint64_t now_ms);

/* The "kernel-routes" control-socket answer: counters, then the RIB when with_routes. */
json_t *dp_kroutes_json(bool with_routes);

#endif
