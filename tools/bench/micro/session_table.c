/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Session-table micro-benchmark (groundwork for the session figures of
 * docs/performance.md): memory per session at a capacity, one-core insert rate
 * into the table, and bulk lookup cycles per key with the table full. These are
 * properties of src/dataplane/flow/table.c alone, not the dataplane's
 * session_setup_per_s or sessions_*_mpps (those go through the real forwarder).
 *
 * Usage: svr-bench-session-table [CAPACITY]    (default 1048576)
 * Prints name=value lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "bench_eal.h"
#include "flow/table.h"

static void fill(struct svr_session *s, struct svr_session_info *info, void *arg)
{
	(void)arg;
	(void)info;
	s->dir[SVR_DIR_FWD].proto = 17;
}

static struct svr_skey4 key(uint32_t i, int rev)
{
	struct svr_skey4 k = {.src = 0xc6120000u + (i >> 8),
			      .dst = 0xc6130000u + (i & 0xff),
			      .sport = (uint16_t)(1024 + (i & 0x7fff)),
			      .dport = 53,
			      .proto = 17};
	if (rev)
		k = (struct svr_skey4){
		    .src = k.dst, .dst = k.src, .sport = k.dport, .dport = k.sport, .proto = 17};
	return k;
}

int main(int argc, char **argv)
{
	if (bench_eal_init("svr-bench-st") < 0)
		return 1;
	uint32_t cap = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 1000000;
	struct rte_rcu_qsbr *qs = rte_zmalloc("qs", rte_rcu_qsbr_get_memsize(1), 64);
	rte_rcu_qsbr_init(qs, 1);

	struct svr_session_table *t = svr_session_table_create("bench", cap, cap / 32 + 64, qs);
	if (!t) {
		fprintf(stderr, "cannot create a table of %u sessions\n", cap);
		return 1;
	}
	size_t bytes = t->bytes;

	uint64_t start = rte_rdtsc();
	uint32_t made = 0;
	for (uint32_t i = 0; i < cap; i++) {
		struct svr_skey4 f = key(i, 0), r = key(i, 1);
		bool existing;
		static const struct svr_session_place anywhere = {.limit = UINT32_MAX};
		if (svr_session_create4(t, &f, &r, &anywhere, fill, NULL, &existing) >= 0 &&
		    !existing)
			made++;
	}
	uint64_t insert_cycles = rte_rdtsc() - start;

	enum { BURST = 32 };
	struct svr_skey4 keys[BURST];
	const struct svr_skey4 *kp[BURST];
	uint64_t hits[BURST];
	uint64_t found = 0, lookups = 0;
	start = rte_rdtsc();
	for (uint32_t round = 0; round < 4; round++) {
		for (uint32_t i = 0; i + BURST <= made; i += BURST) {
			for (unsigned k = 0; k < BURST; k++) {
				/* A spread of sessions, as packets of many flows would be. */
				keys[k] = key((i + k * 7919u) % made, (int)(k & 1));
				kp[k] = &keys[k];
			}
			found += svr_session_lookup4(t, kp, BURST, hits);
			lookups += BURST;
		}
	}
	uint64_t lookup_cycles = rte_rdtsc() - start;
	double hz = (double)rte_get_tsc_hz();

	printf("session_table_capacity=%u\n", cap);
	printf("session_table_bytes_per_session=%.0f\n", (double)bytes / cap);
	printf("session_table_created=%u\n", made);
	printf("session_table_insert_per_s=%.0f\n", made / (insert_cycles / hz));
	printf("session_table_insert_cycles=%.0f\n", (double)insert_cycles / made);
	printf("session_table_bulk_lookup_cycles_per_key=%.1f\n", (double)lookup_cycles / lookups);
	printf("session_table_lookup_hits=%.4f\n", (double)found / lookups);
	svr_session_table_free(t);
	rte_free(qs);
	rte_eal_cleanup();
	return 0;
}
