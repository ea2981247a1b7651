/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NETLINK_ROUTE sockets of the router's kernel namespace. A netlink socket talks to the
 * namespace it was created in, whatever thread uses it later: the follower's thread enters the
 * namespace (setns, which moves that thread only) and creates its sockets there.
 */
#ifndef SVR_CONTROL_NETLINK_NLSOCK_H
#define SVR_CONTROL_NETLINK_NLSOCK_H

#include <stddef.h>

struct nl_sock;

/* Moves the calling thread into the named namespace (/run/netns/NAME). 0, or -1 with err. */
int ctl_nl_enter_netns(const char *name, char *err, size_t errlen);

/*
 * The notification socket: route (IPv4, IPv6), link and address groups, non-blocking, with a
 * receive buffer of rcvbuf bytes (SO_RCVBUFFORCE, which needs CAP_NET_ADMIN; else SO_RCVBUF,
 * which the kernel caps at net.core.rmem_max). *got: the size the kernel gave. NULL with err.
 */
struct nl_sock *ctl_nl_open_notify(int rcvbuf, int *got, char *err, size_t errlen);
/* A plain connected socket (dumps, address and link changes). NULL with err. */
struct nl_sock *ctl_nl_open_plain(char *err, size_t errlen);

/* Sends a dump request: type RTM_GETROUTE or RTM_GETLINK, family AF_INET, AF_INET6 or
 * AF_UNSPEC. 0, or a negative libnl error. */
int ctl_nl_dump_request(struct nl_sock *sk, int type, int family);

#endif
