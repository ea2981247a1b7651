/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ports: the mbuf pool, and devices probed, started, stopped and unplugged
 * while the router runs (DPDK hot-plug). Main lcore only. Each port gets one
 * RX and one TX queue per worker, RSS over them where the device offers it.
 */
#ifndef SVR_PORT_H
#define SVR_PORT_H

#include <stddef.h>
#include <stdint.h>

#include <rte_ether.h>

#include "core/dp.h"
#include "io/rss.h"

/* A DPDK port the main lcore has probed and started (main lcore only). */
struct dp_port {
	uint16_t id;
	char device[DP_DEVARGS_LEN];
	struct rte_ether_addr mac;
	struct dp_rss rss;  /* how it spreads packets over the workers' queues */
	uint16_t reta_size; /* the redirection table we wrote; 0: none */
	uint16_t mtu_asked; /* the MTU the model last asked of the device; 0: none yet */
};

/* The ports running, by DPDK port id (NULL: none); main lcore only. */
extern struct dp_port *dp_ports[DP_MAX_PORTS];

int dp_pool_create(void);
/* The DPDK port name a device string will get: a PCI address, or the vdev name. */
void dp_device_name(const char *device, char *name, size_t len);
/* Probes (hot-plugs) and starts device; dp_ports[*pid] describes it. */
int dp_port_add(const char *device, uint16_t *pid, char *err, size_t errlen);
/*
 * Sets the device's MTU (the largest of its interfaces'): a device that cannot, or refuses the
 * value, keeps its own (logged; forwarding enforces each interface's MTU in software anyway).
 */
void dp_port_set_mtu(uint16_t pid, uint16_t mtu);
/* Stops, closes and unplugs a port no worker polls any more. */
void dp_port_remove(uint16_t pid);
/* The port already running device (same devargs), or -1. */
int dp_port_find(const char *device);

#endif
