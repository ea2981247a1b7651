/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The event queue as svr-control reads it (docs/telemetry.md, "Events"): the workers' records
 * turned into JSON on the main lcore, and the control-socket command "events".
 */
#ifndef SVR_DP_TELEMETRY_EVENTS_H
#define SVR_DP_TELEMETRY_EVENTS_H

#include <stdint.h>

/* Main lcore, every housekeeping turn: the router's name from the running model, and every
 * worker's records formatted into the queue (core/event.h). */
void dp_events_poll(void);

#endif
