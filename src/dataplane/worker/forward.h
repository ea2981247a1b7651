/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One received burst through the fast path: L2/L3 input checks (l2l3/input.h),
 * flows parsed, then sessions (session/hit.h), whose packets leave through L3
 * out (l2l3/output.h). Everything unusual (ARP, ND, packets for us, errors,
 * unresolved next hops) is punted to the main lcore. No lock, no syscall, no
 * allocation, no log.
 */
#ifndef SVR_WORKER_FORWARD_H
#define SVR_WORKER_FORWARD_H

#include "core/worker.h"

void dp_forward_burst(struct dp_worker *w, const struct dp_gen *g, uint16_t port,
		      struct rte_mbuf **pkts, unsigned n);

#endif
