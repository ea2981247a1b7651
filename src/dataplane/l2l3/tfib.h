/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The FIBs of the kernel routing tables tenants are bound to (docs/routing.md, "Tenants and
 * routing tables"). Each table a tenant of the generation names (svr_img_tenant.routing_table)
 * gets a compact FIB of its own (svr_fib_create_compact), filled from the kernel RIB
 * (l2l3/kroutes.h) and then changed by the same staged deltas as the main FIB.
 *
 * A table has a slot, stable across generations while it stays bound: a session carries its
 * slot (SVR_VIA_TABLE0 + slot in its rewrite's via), so that its later packets look up the
 * same table under a newer generation. A slot whose table a generation no longer binds is NULL
 * in that generation (its sessions then follow the main FIB). A slot is one table's for the life
 * of the process (never another's: a session of the first would follow it), twice as many as
 * one image may bind.
 *
 * Main lcore only, except the FIBs themselves (read by workers, fib.h).
 */
#ifndef SVR_L2L3_TFIB_H
#define SVR_L2L3_TFIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/inet.h"

struct dp_gen;
struct svr_fib;

#define DP_TFIB_NONE 0xff /* no table: the main FIB only */
/* Routes one table FIB holds at most (fewer when routing.kernel-routes is lower); more are
 * refused and counted. A compact FIB's memory goes with this bound, not with what it holds
 * (its RIBs are preallocated pools): about 7 MiB for 4,096 routes, measured by
 * tests/unit/test_kroutes.c (compact_fib_memory), against some 27 MiB per 65,536. */
#define DP_TFIB_ROUTES 4096

/* g's table FIBs for img's tenants: old's taken over (ownership moves) when main_kept (the
 * interfaces and so the routes' interfaces are the same) and old has the table in the same
 * slot; others built and filled from the RIB. 0, or -1 with err. */
int dp_tfib_build(struct dp_gen *g, const struct dp_gen *old, const void *img, bool main_kept,
		  char *err, size_t errlen);
/* Gives old back what g took over from it (an apply that failed). */
void dp_tfib_give_back(struct dp_gen *g, struct dp_gen *old);
void dp_tfib_free(struct dp_gen *g);

/* The slot of kernel table `table` in g, or DP_TFIB_NONE. */
uint8_t dp_tfib_slot(const struct dp_gen *g, uint32_t table);
/* The FIB kernel routes of `table` go into in g: the main FIB for the main table, a table FIB
 * for a bound one, NULL for others. */
struct svr_fib *dp_tfib_of_table(const struct dp_gen *g, uint32_t table);

/* svr_fib_link_neigh on every FIB of g (main lcore). */
void dp_tfib_link_neigh(const struct dp_gen *g, uint16_t iface, const struct svr_ip *ip,
			uint32_t pos);

#endif
