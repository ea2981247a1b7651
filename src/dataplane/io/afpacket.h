/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_af_packet devices: a PACKET_FANOUT group of their own for each probe, so that several
 * DPDK processes on one host never collide (see afpacket.c and docs/dataplane.md). Main lcore
 * only.
 */
#ifndef SVR_AFPACKET_H
#define SVR_AFPACKET_H

#include <stdbool.h>
#include <stddef.h>

/* What a probe of one af_packet device holds until its own sockets have joined their group. */
struct dp_afpacket_hold {
	int fd;          /* placeholder member of the group; -1: nothing held */
	int pretend_pid; /* what getpid() answers the main lcore during the probe */
	char iface[32];
};

/* True if device (devargs) is a net_af_packet (or eth_af_packet) vdev. */
bool dp_afpacket_is(const char *device);

/*
 * Before probing an af_packet device: finds a fanout group id no other interface of this
 * network namespace uses and holds it. 0 with h filled (h->fd == -1 for other devices), or
 * -errno with err set (no such interface, no CAP_NET_RAW, every id tried taken).
 */
int dp_afpacket_prepare(const char *device, struct dp_afpacket_hold *h, char *err, size_t errlen);
/* Brackets rte_dev_probe(): getpid() on this thread answers h->pretend_pid in between. */
void dp_afpacket_probe_begin(const struct dp_afpacket_hold *h);
void dp_afpacket_probe_end(void);
/* After the probe: leaves the group (the probe's sockets keep it). */
void dp_afpacket_release(struct dp_afpacket_hold *h);

#endif
