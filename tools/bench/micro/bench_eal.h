/* SPDX-License-Identifier: BSD-3-Clause */
/* EAL for a micro-benchmark: one core, no huge pages, no PCI, a file prefix of its own. */
#ifndef SVR_BENCH_EAL_H
#define SVR_BENCH_EAL_H

#include <stdio.h>

#include <rte_eal.h>

/* 0, or -1 when EAL does not start. prefix: the runtime directory's name under /var/run/dpdk. */
static inline int bench_eal_init(const char *prefix)
{
	char file_prefix[64];
	snprintf(file_prefix, sizeof(file_prefix), "--file-prefix=%s", prefix);
	char *eal[] = {"bench",    "-l",          "0",         "--no-huge",         "-m", "2048",
		       "--no-pci", "--no-shconf", file_prefix, "--log-level=error", NULL};
	return rte_eal_init(10, eal) < 0 ? -1 : 0;
}

#endif
