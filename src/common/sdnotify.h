/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * systemd's readiness protocol (sd_notify(3)) without libsystemd: a service started with
 * Type=notify finds the path of a datagram socket in NOTIFY_SOCKET and sends it lines such as
 * "READY=1", "STATUS=forwarding: 2 ports" and "STOPPING=1". Outside systemd (NOTIFY_SOCKET
 * unset) every call does nothing and returns 0, so the daemons call it unconditionally.
 */
#ifndef SVR_SDNOTIFY_H
#define SVR_SDNOTIFY_H

/*
 * Sends state (one or more VAR=VALUE lines) as one datagram to $NOTIFY_SOCKET: a path, or an
 * abstract socket when it starts with '@'. Never blocks (a full receive queue drops the message,
 * as systemd's own client does). 1 sent, 0 NOTIFY_SOCKET unset, -1 with errno on failure (the
 * callers only log it: readiness is a courtesy to the service manager, never a reason to stop).
 * STATUS= must be the last assignment: its text is sent as one line (control characters become
 * spaces), so text from outside cannot add an assignment. At most 1023 bytes are sent.
 */
int svr_sd_notify(const char *state);

/* The same with printf formatting. */
int svr_sd_notifyf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
