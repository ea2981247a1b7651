/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IPFIX exporter (docs/telemetry.md "IPFIX"): a thread of its own, not an lcore, that
 * drains the session-record rings (session/records.h), turns each record into an RFC 7011
 * record (common/ipfix.h) and sends the messages to the collectors the running policy names,
 * over UDP or TCP, through the host's network stack. It sleeps when there is nothing to send,
 * never blocks on a collector (non-blocking sockets; what a collector cannot take is dropped
 * and counted), and is configured by the main lcore from each new generation.
 */
#ifndef SVR_TELEMETRY_IPFIX_H
#define SVR_TELEMETRY_IPFIX_H

#include <jansson.h>

#include "core/gen.h"

/* The record rings and the exporter's thread; -1 when either cannot be had (logged). */
int dp_ipfix_init(unsigned n_workers);
/* Stops the thread and frees the rings. */
void dp_ipfix_stop(void);
/* Main lcore, every housekeeping turn: a new generation's collectors and settings go to the
 * exporter (nothing happens while the generation stays the same). */
void dp_ipfix_follow(const struct dp_gen *g);
/* The exporter's state and counters (the control socket's "ipfix"). */
json_t *dp_ipfix_json(void);

#endif
