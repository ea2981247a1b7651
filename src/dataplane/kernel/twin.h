/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The twins' table, shared by the files of kernel/: one entry per interface slot (the slots
 * of core/gen.h, stable by name across generations). Main lcore only.
 */
#ifndef SVR_KERNEL_TWIN_H
#define SVR_KERNEL_TWIN_H

#include <stdbool.h>
#include <stdint.h>

#include "common/tbucket.h"
#include "core/config.h"

struct dp_kernel_twin {
	int fd; /* the TAP's queue, non-blocking; -1: no twin for this slot */
	int ifindex;
	char name[DP_IFNAME_LEN];
	int carrier; /* last set: 1 up, 0 down, -1 not yet */
	uint64_t up, down, rate_limited_up, rate_limited_down;
	struct svr_tbucket tb_up, tb_down; /* frames: one "byte" a frame */
};

struct dp_kernel_state {
	bool on;
	int nsfd; /* /run/netns/NAME, or -1 for the dataplane's own namespace */
	int sock; /* an AF_INET socket in that namespace, for interface ioctls; -1 until needed */
	unsigned next_down; /* the twin read first next turn (fairness) */
	struct dp_kernel_twin twins[DP_MAX_IFACES];
};

extern struct dp_kernel_state dp_kernel;

/* The twin of interface slot iface, or NULL. */
static inline struct dp_kernel_twin *dp_kernel_twin(uint16_t iface)
{
	if (!dp_kernel.on || iface >= DP_MAX_IFACES || dp_kernel.twins[iface].fd < 0)
		return NULL;
	return &dp_kernel.twins[iface];
}

#endif
