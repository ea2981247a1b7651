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

struct rte_mbuf;
struct svr_ip;

/* Main lcore: a new frame of an IPv4 packet of l3_len bytes from dp.pool; returns the IPv4
 * header's address (SVR_ETH_HLEN in), or NULL (counted no-mbuf). */
uint8_t *dp_slowpath_frame4(struct rte_mbuf **out, unsigned l3_len);

/* Main lcore: sends such a frame towards dst (its IPv4 destination) through the FIB's next hop,
 * resolving the neighbour as for forwarded packets; no route: dropped and counted no-route. */
void dp_slowpath_route4(struct rte_mbuf *m, const struct svr_ip *dst);

/* Main lcore: sends such a frame out of iface to next_hop (resolved as for forwarded packets),
 * whatever the FIB says: a peer path's own packets leave by the path's interface. */
void dp_slowpath_send_via(struct rte_mbuf *m, uint16_t iface, const struct svr_ip *next_hop);

#endif
