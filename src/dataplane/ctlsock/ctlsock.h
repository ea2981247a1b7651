/* SPDX-License-Identifier: BSD-3-Clause */
/* The control socket server (protocol: include/svr/ctlsock.h), run on the main lcore. */
#ifndef SVR_DP_CTLSOCK_H
#define SVR_DP_CTLSOCK_H

int dp_ctlsock_open(const char *path);
/* Serves ready clients, waiting at most timeout_ms for one; this is also the main lcore's idle
 * sleep. */
void dp_ctlsock_poll(int timeout_ms);
void dp_ctlsock_close(void);

#endif
