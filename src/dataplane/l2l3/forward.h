/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker's per-burst L2/L3 path: validate, look up the whole burst in the
 * FIB at once, rewrite (TTL, checksum, MACs, VLAN) and buffer for TX.
 * Everything unusual (ARP, ND, packets for us, errors, unresolved next hops)
 * is punted to the main lcore. No lock, no syscall, no allocation, no log.
 */
#ifndef SVR_FORWARD_H
#define SVR_FORWARD_H

#include "core/worker.h"

void dp_forward_burst(struct dp_worker *w, const struct dp_gen *g, uint16_t port,
		      struct rte_mbuf **pkts, unsigned n);

#endif
