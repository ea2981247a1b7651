/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Starts a real DPDK EAL for unit tests of modules built on rte_hash, rte_fib
 * and RCU: no hugepages, no devices, a private file prefix removed afterwards.
 */
#ifndef SVR_TEST_EAL_FIXTURE_H
#define SVR_TEST_EAL_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_eal.h>

static char eal_prefix[64];

static int eal_setup(void **state)
{
	(void)state;
	snprintf(eal_prefix, sizeof(eal_prefix), "--file-prefix=svr-unit-%d", (int)getpid());
	char *argv[] = {"unit",     "-l",          "0",        "--no-huge",         "-m", "256",
			"--no-pci", "--no-shconf", eal_prefix, "--log-level=error", NULL};
	return rte_eal_init((int)(sizeof(argv) / sizeof(argv[0]) - 1), argv) < 0 ? -1 : 0;
}

static int eal_teardown(void **state)
{
	(void)state;
	rte_eal_cleanup();
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf /var/run/dpdk/%s",
		 eal_prefix + strlen("--file-prefix="));
	return system(cmd) == 0 ? 0 : -1;
}

#endif
