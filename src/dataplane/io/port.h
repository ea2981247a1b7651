/* SPDX-License-Identifier: BSD-3-Clause */
/* Ports: probing devices, one RX and one TX queue per worker, start and stop. */
#ifndef SVR_PORT_H
#define SVR_PORT_H

#include "main/dp.h"

/* Creates the mbuf pool, probes every configured device and fills dp.ports and dp.ifaces. */
int dp_ports_init(void);
/* Configures and starts every port with one queue pair per worker. */
int dp_ports_start(void);
/* Stops, closes and unplugs every port. */
void dp_ports_close(void);

#endif
