/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Turning a policy image into the running configuration (main lcore only).
 *
 * An apply checks the image, hot-plugs the devices it adds, builds a new
 * generation (interfaces, VLAN maps, FIB, static neighbours) and publishes it
 * with one pointer store. What the previous generation alone used — its
 * memory, ports it polled, interfaces now gone and their neighbours — is
 * released only after every worker has passed a quiescent state (an RCU
 * defer queue, reclaimed at housekeeping). A rejected image changes nothing.
 *
 * One change needs more: a device whose devargs change keeps its DPDK name,
 * so the old port must be gone before the new one is probed. That apply
 * publishes a generation without the port, waits for a grace period and
 * unplugs it before going on (documented in docs/dataplane.md).
 */
#ifndef SVR_POLICY_APPLY_H
#define SVR_POLICY_APPLY_H

#include <stddef.h>

int dp_policy_init(void);
/* Applies img (ownership passes to the dataplane on success). Returns 0 or -1 with err. */
int dp_policy_apply(void *img, size_t len, char *err, size_t errlen);
/* Frees what the workers no longer see. */
void dp_policy_reclaim(void);
/* At exit, with the workers stopped. */
void dp_policy_shutdown(void);

#endif
