/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The main lcore's slow path: ARP and neighbour discovery, echo replies for
 * our addresses, ICMP errors (rate-limited), and packets waiting for a next
 * hop to resolve. It is the only writer of the neighbour table. Generated
 * packets reach the wire through worker 0's inject ring.
 */
#ifndef SVR_SLOWPATH_H
#define SVR_SLOWPATH_H

#include <stdint.h>

void dp_slowpath_init(void);
/* Handles punted packets; returns how many. */
unsigned dp_slowpath_poll(void);
/* Neighbour ageing and probes; call every ~100 ms. */
void dp_slowpath_housekeeping(uint64_t now_ms);

#endif
