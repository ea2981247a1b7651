/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The conductor's alarms (docs/conductor.md, "Status and alarms"): cd_alarms_tick (conductor.h)
 * raises and clears them from the store's router data; the operator API lists them.
 */
#ifndef SVR_CONDUCTOR_ALARMS_H
#define SVR_CONDUCTOR_ALARMS_H

#include <jansson.h>

/* A router that is behind the current serial for longer than this is out of sync: it had time
 * to fetch, apply and acknowledge (a connected router does so within a second). */
#define CD_ALARM_SYNC_GRACE_MS 10000

/* The alarms raised now, oldest first, as a new JSON array of
 * {"router", "alarm", "reason", "raised-ms"}; only router's when router is not NULL. Any thread. */
json_t *cd_alarms_list(const char *router);

#endif
