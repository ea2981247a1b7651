/* SPDX-License-Identifier: BSD-3-Clause */
/* NETLINK_ROUTE sockets of the router's kernel namespace (nlsock.h). */
#include "netlink/nlsock.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int ctl_nl_enter_netns(const char *name, char *err, size_t errlen)
{
	char path[300];
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	int rc = setns(fd, CLONE_NEWNET);
	if (rc < 0)
		snprintf(err, errlen, "cannot enter network namespace %s: %s", name,
			 strerror(errno));
	close(fd);
	return rc;
}

struct nl_sock *ctl_nl_open_plain(char *err, size_t errlen)
{
	struct nl_sock *sk = nl_socket_alloc();
	if (!sk) {
		snprintf(err, errlen, "out of memory for a netlink socket");
		return NULL;
	}
	int e = nl_connect(sk, NETLINK_ROUTE);
	if (e < 0) {
		snprintf(err, errlen, "cannot open a netlink socket: %s", nl_geterror(e));
		nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

struct nl_sock *ctl_nl_open_notify(int rcvbuf, int *got, char *err, size_t errlen)
{
	struct nl_sock *sk = ctl_nl_open_plain(err, errlen);
	if (!sk)
		return NULL;
	int fd = nl_socket_get_fd(sk);
	/* the kernel doubles what it is given (bookkeeping): ask for half */
	int half = rcvbuf / 2;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &half, sizeof(half)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &half, sizeof(half));
	socklen_t len = sizeof(*got);
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, got, &len) < 0)
		*got = 0;
	nl_socket_disable_seq_check(sk);
	int e =
	    nl_socket_add_memberships(sk, RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR,
				      RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE, 0);
	if (e >= 0)
		e = nl_socket_set_nonblocking(sk);
	if (e < 0) {
		snprintf(err, errlen, "cannot subscribe to route, link and address changes: %s",
			 nl_geterror(e));
		nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

int ctl_nl_dump_request(struct nl_sock *sk, int type, int family)
{
	struct nl_msg *m = nlmsg_alloc_simple(type, NLM_F_REQUEST | NLM_F_DUMP);
	if (!m)
		return -NLE_NOMEM;
	/* the header the kernel's strict checking expects for each type */
	struct rtmsg rtm = {.rtm_family = (unsigned char)family};
	struct ifinfomsg ifi = {.ifi_family = (unsigned char)family};
	int e = type == RTM_GETLINK ? nlmsg_append(m, &ifi, sizeof(ifi), NLMSG_ALIGNTO)
				    : nlmsg_append(m, &rtm, sizeof(rtm), NLMSG_ALIGNTO);
	if (e >= 0)
		e = nl_send_auto(sk, m);
	nlmsg_free(m);
	return e < 0 ? e : 0;
}
