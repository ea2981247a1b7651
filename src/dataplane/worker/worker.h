/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Worker lcores: poll every port's queue of this worker, forward, punt what
 * needs the slow path, transmit what the main lcore injects.
 *
 * Idle backoff: after idle.spin-polls empty polls a worker sleeps, starting
 * at idle.min-sleep-us and doubling to idle.max-sleep-us; any packet resets
 * it. Before sleeping it goes offline for RCU so that reclamation never waits
 * on a sleeping worker.
 */
#ifndef SVR_WORKER_H
#define SVR_WORKER_H

#include "core/worker.h"

/* Allocates workers, rings, TX buffers and the RCU variable. */
int dp_workers_init(void);
int dp_workers_launch(void);
void dp_workers_wait(void);
void dp_workers_free(void);

#endif
