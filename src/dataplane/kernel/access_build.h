/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The exception policy of a generation: the image's host-access rules, compiled once per
 * policy apply (policy/apply.c) into what dp_host_access_admits (kernel/access.h) scans.
 */
#ifndef SVR_KERNEL_ACCESS_BUILD_H
#define SVR_KERNEL_ACCESS_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/inet.h"
#include "core/gen.h"

/* One rule, with interface slots instead of image indices. */
struct dp_host_rule {
	uint8_t protocol;
	bool has_ports;      /* port_lo-port_hi is the source or the destination port */
	bool from_connected; /* sources: the arriving interface's subnets and fe80::/10 */
	uint16_t port_lo, port_hi;
	uint64_t slots;        /* bit s: interface slot s (DP_MAX_IFACES is 64) */
	unsigned first, count; /* sources: prefixes[first, first + count) */
};

/* Owned by its generation (dp_gen.host_access), freed with it. */
struct dp_host_access {
	unsigned n_rules, n_prefixes;
	struct dp_host_rule *rules;
	struct svr_prefix *prefixes;
};

/*
 * Sets g->host_access from the checked image img, whose interface i has slot slot_of[i].
 * Returns 0, or -1 with err (out of memory).
 */
int dp_host_access_build(struct dp_gen *g, const void *img, const uint16_t *slot_of, char *err,
			 size_t errlen);
void dp_host_access_free(struct dp_host_access *h);

#endif
