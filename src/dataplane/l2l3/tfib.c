/* SPDX-License-Identifier: BSD-3-Clause */
/* The FIBs of the kernel tables tenants are bound to (tfib.h). */
#include "l2l3/tfib.h"

#include <stdio.h>
#include <string.h>

#include <rte_errno.h>

#include "common/image.h"
#include "common/log.h"
#include "core/gen.h"
#include "l2l3/fib.h"
#include "l2l3/kroutes.h"

/* Which table each slot is (0: none yet): for the life of the process (slot_for). */
static uint32_t slot_table[DP_TFIB_SLOTS];
static unsigned tfib_seq;

uint8_t dp_tfib_slot(const struct dp_gen *g, uint32_t table)
{
	for (unsigned s = 0; g && table && s < DP_TFIB_SLOTS; s++)
		if (g->tfib_table[s] == table)
			return (uint8_t)s;
	return DP_TFIB_NONE;
}

struct svr_fib *dp_tfib_of_table(const struct dp_gen *g, uint32_t table)
{
	if (!g)
		return NULL;
	if (table == DP_KROUTES_MAIN_TABLE)
		return g->fib;
	uint8_t s = dp_tfib_slot(g, table);
	return s == DP_TFIB_NONE ? NULL : g->tfib[s];
}

void dp_tfib_link_neigh(const struct dp_gen *g, uint16_t iface, const struct svr_ip *ip,
			uint32_t pos)
{
	if (!g)
		return;
	svr_fib_link_neigh(g->fib, iface, ip, pos);
	for (unsigned s = 0; s < DP_TFIB_SLOTS; s++)
		if (g->tfib[s])
			svr_fib_link_neigh(g->tfib[s], iface, ip, pos);
}

/* A slot for table: its own if it had one; else one no table ever had. A slot is one table's for
 * the life of the process: a session carries its slot for its own life, so a slot given to
 * another table would route a session of the first by the second (another tenant's routes). */
static int slot_for(uint32_t table)
{
	int fresh = -1;
	for (unsigned s = 0; s < DP_TFIB_SLOTS; s++) {
		if (slot_table[s] == table)
			return (int)s;
		if (!slot_table[s] && fresh < 0)
			fresh = (int)s;
	}
	return fresh;
}

int dp_tfib_build(struct dp_gen *g, const struct dp_gen *old, const void *img, bool main_kept,
		  char *err, size_t errlen)
{
	uint32_t n;
	const struct svr_img_tenant *t = svr_img_table(img, SVR_SEC_TENANTS, &n);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t table = t[i].routing_table;
		if (!table || dp_tfib_slot(g, table) != DP_TFIB_NONE)
			continue;
		int s = slot_for(table);
		if (s < 0)
			return svr_errf(err, errlen,
					"tenants[%u]: routing table %u: %d other tables were bound "
					"since the dataplane started, the most it keeps apart "
					"(restart it to bind others)",
					i, table, DP_TFIB_SLOTS);
		g->tfib_table[s] = table;
		slot_table[s] = table;
		if (main_kept && old && old->tfib_table[s] == table && old->tfib[s]) {
			g->tfib[s] = old->tfib[s]; /* ownership moves, as for the main FIB */
			g->owns_tfib[s] = old->owns_tfib[s];
			((struct dp_gen *)old)->owns_tfib[s] = false;
			continue;
		}
		/* without the mirror (routing.kernel-routes 0) the table has no routes: the
		 * tenant's sessions follow the main FIB */
		if (!dp_kroutes_fib_room())
			continue;
		char name[32];
		snprintf(name, sizeof(name), "tfib-%u", tfib_seq++);
		uint32_t room = dp_kroutes_fib_room();
		g->tfib[s] = svr_fib_create_compact(
		    name, room < DP_TFIB_ROUTES ? room : DP_TFIB_ROUTES, dp_kroutes_fib_batch());
		if (!g->tfib[s])
			return svr_errf(err, errlen,
					"routing table %u: cannot create its FIB: %s (raise "
					"eal.memory-mb)",
					table, rte_strerror(rte_errno));
		g->owns_tfib[s] = true;
		dp_kroutes_fill(g->tfib[s], g, table);
	}
	return 0;
}

void dp_tfib_give_back(struct dp_gen *g, struct dp_gen *old)
{
	for (unsigned s = 0; old && s < DP_TFIB_SLOTS; s++)
		if (g->tfib[s] && g->tfib[s] == old->tfib[s]) {
			old->owns_tfib[s] = g->owns_tfib[s];
			g->owns_tfib[s] = false;
		}
}

void dp_tfib_free(struct dp_gen *g)
{
	for (unsigned s = 0; s < DP_TFIB_SLOTS; s++) {
		if (g->owns_tfib[s])
			svr_fib_free(g->tfib[s]);
		g->tfib[s] = NULL;
		g->owns_tfib[s] = false;
	}
}
