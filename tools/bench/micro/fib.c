/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * FIB micro-benchmark (src/dataplane/l2l3/fib.c, docs/routing.md): how long a million IPv4 routes
 * take to go into the FIB one by one, and to come out, against rte_fib alone with the same routes
 * in the same run (the baseline: what the wrapper's indexes add). Groundwork for issue 17's
 * route_mirror_1m_s, which adds the kernel, svr-control and the ring to this.
 *
 * Usage: svr-bench-fib [ROUTES]    (default 1000000; /24s of 1.0.0.0 onwards, four gateways)
 * Prints name=value lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_byteorder.h>
#include <rte_eal.h>
#include <rte_fib.h>
#include <rte_memory.h>

#include "bench_eal.h"
#include "l2l3/fib.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Route i: 1.0.0.0/24 + i (host order), through gateway i % 4 on interface 1. */
static uint32_t net_of(uint32_t i)
{
	return 0x01000000u + (i << 8);
}

static void prefix_of(uint32_t i, struct svr_prefix *p)
{
	uint32_t be = rte_cpu_to_be_32(net_of(i));
	memset(p, 0, sizeof(*p));
	p->ip.family = SVR_AF_INET;
	memcpy(p->ip.addr, &be, 4);
	p->len = 24;
}

int main(int argc, char **argv)
{
	if (bench_eal_init("svr-bench-fib") < 0)
		return 1;
	uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 1000000;
	if (n == 0 || n > (1u << 24) - (1u << 16)) {
		fprintf(stderr, "svr-bench-fib: ROUTES from 1 to %u\n", (1u << 24) - (1u << 16));
		return 2;
	}
	struct svr_ip gw[4];
	for (int g = 0; g < 4; g++) {
		uint32_t be = rte_cpu_to_be_32(0xc6120001u + (uint32_t)g); /* 198.18.0.1-4 */
		memset(&gw[g], 0, sizeof(gw[g]));
		gw[g].family = SVR_AF_INET;
		memcpy(gw[g].addr, &be, 4);
	}

	/* the baseline: rte_fib alone, the same routes and table shape */
	struct rte_fib_conf c4 = {
	    .type = RTE_FIB_DIR24_8,
	    .default_nh = 0,
	    .max_routes = (int)n + 16,
	    .dir24_8 = {.nh_sz = RTE_FIB_DIR24_8_2B, .num_tbl8 = 1 << 12},
	};
	struct rte_fib *bare = rte_fib_create("benchbare", SOCKET_ID_ANY, &c4);
	if (!bare) {
		fprintf(stderr, "svr-bench-fib: rte_fib_create failed\n");
		return 1;
	}
	double t0 = now_s();
	for (uint32_t i = 0; i < n; i++)
		if (rte_fib_add(bare, net_of(i), 24, 1 + i % 4) < 0)
			return 1;
	double bare_add = now_s() - t0;
	t0 = now_s();
	for (uint32_t i = 0; i < n; i++)
		if (rte_fib_delete(bare, net_of(i), 24) < 0)
			return 1;
	double bare_del = now_s() - t0;
	rte_fib_free(bare);

	struct svr_fib *fib = svr_fib_create("benchfib", n + 16, 0);
	if (!fib) {
		fprintf(stderr, "svr-bench-fib: svr_fib_create failed (memory)\n");
		return 1;
	}
	struct svr_prefix p;
	t0 = now_s();
	for (uint32_t i = 0; i < n; i++) {
		prefix_of(i, &p);
		if (svr_fib_add(fib, &p, SVR_NH_GATEWAY, 1, &gw[i % 4]) < 0)
			return 1;
	}
	double add = now_s() - t0;
	/* every route there: a lookup of one address in each */
	for (uint32_t i = 0; i < n; i++) {
		uint32_t a = net_of(i) + 9;
		uint64_t nh;
		svr_fib_lookup4(fib, &a, &nh, 1);
		if (!nh || !svr_ip_equal(&fib->nh[nh].gateway, &gw[i % 4])) {
			fprintf(stderr, "svr-bench-fib: route %u not found after the adds\n", i);
			return 1;
		}
	}
	t0 = now_s();
	for (uint32_t i = 0; i < n; i++) {
		prefix_of(i, &p);
		if (svr_fib_del(fib, &p) < 0)
			return 1;
	}
	double del = now_s() - t0;
	if (fib->n_routes != 0)
		return 1;
	svr_fib_free(fib);

	printf("fib_routes=%u\n", n);
	printf("fib_add_routes_s=%.3f\n", add);
	printf("fib_del_routes_s=%.3f\n", del);
	printf("rte_fib_add_routes_s=%.3f\n", bare_add);
	printf("rte_fib_del_routes_s=%.3f\n", bare_del);
	printf("ratio_fib_add_vs_rte_fib=%.2f\n", add / bare_add);
	printf("fib_add_per_s=%.0f\n", n / add);
	rte_eal_cleanup();
	return 0;
}
