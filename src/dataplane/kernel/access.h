/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The router's exception policy (model key host-access, compiled into the generation): which
 * packets for the router itself may go up to the kernel through its twin (docs/routing.md,
 * "The exception path"). Main lcore.
 */
#ifndef SVR_KERNEL_ACCESS_H
#define SVR_KERNEL_ACCESS_H

#include <stdbool.h>
#include <stdint.h>

struct dp_gen;

/* Whether the router's exception policy lets this packet for the router up to the kernel:
 * ip points at its IPv4 or IPv6 header (l3_len bytes), it arrived on interface slot iface. */
bool dp_host_access_admits(const struct dp_gen *g, uint16_t iface, const uint8_t *ip,
			   uint32_t l3_len);

#endif
