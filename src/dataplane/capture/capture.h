/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet capture on one router interface (docs/dataplane.md, "Packet capture"):
 * ethdev RX and TX callbacks on that interface's port copy the first snaplen
 * bytes of its frames (its VLAN only) into a capture ring per worker; the main
 * lcore drains them for the control socket's capture-read. Nothing is installed
 * when no capture runs. One capture at a time; it ends with capture-stop, or when
 * its client has not read for DP_CAPTURE_LEASE_MS.
 */
#ifndef SVR_DP_CAPTURE_H
#define SVR_DP_CAPTURE_H

#include <stdint.h>

#include <jansson.h>

#define DP_CAPTURE_LEASE_MS   5000
#define DP_CAPTURE_SLOTS      512 /* per worker ring, unless the request says "buffer" */
#define DP_CAPTURE_SLOTS_MIN  8
#define DP_CAPTURE_SLOTS_MAX  8192
#define DP_CAPTURE_READ_MAX   1000         /* packets per capture-read */
#define DP_CAPTURE_READ_BYTES (128u << 10) /* about the most one capture-read answer holds */
#define DP_CAPTURE_READ_DEFL  256

/* Control socket commands (include/svr/ctlsock.h): NULL and *error on a bad request. */
json_t *dp_capture_start_cmd(const json_t *req, const char **error);
json_t *dp_capture_read_cmd(const json_t *req, const char **error);
json_t *dp_capture_stop_cmd(const json_t *req, const char **error);

/* Main lcore, now and then: ends a capture whose client went away. */
void dp_capture_poll(uint64_t now_ms);
/* Main lcore, before port_id is closed and unplugged: ends a capture on it. */
void dp_capture_port_gone(uint16_t port_id);
/* At shutdown, before ports go. */
void dp_capture_shutdown(void);

#endif
