/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A kernel route message (RTM_NEWROUTE, RTM_DELROUTE) as a change of the route ring. Pure: no
 * socket, no state but the link table it reads; the route follower's hot path (a million per
 * dump), so no libnl objects, only nlmsg_parse over the message.
 *
 * Which routes: unicast routes (RTN_UNICAST) of IPv4 and IPv6, of every table but local (255):
 * the dataplane decides which tables it uses. Not: routes the kernel cloned (RTM_F_CLONED,
 * exceptions such as PMTU), blackhole, unreachable, broadcast, multicast, an IPv4 route by an
 * IPv6 gateway (RTA_VIA: the ring cannot carry it), an IPv6 link-local prefix (every link has
 * its fe80::/64, and the ring names a route by prefix and table: the dataplane knows its own
 * links' link-local addresses). A multipath route (RTA_MULTIPATH) is
 * mirrored by its first next hop: the ring and the dataplane's FIB have one next hop per route.
 */
#ifndef SVR_CONTROL_NETLINK_ROUTEMSG_H
#define SVR_CONTROL_NETLINK_ROUTEMSG_H

#include "common/routering.h"
#include "netlink/links.h"

enum ctl_nl_route_verdict {
	CTL_NL_ROUTE_BAD = -1,  /* malformed (counted, never written) */
	CTL_NL_ROUTE_SKIP = 0,  /* a route the mirror does not carry */
	CTL_NL_ROUTE_CHANGE = 1 /* *out is the change */
};

/* Why a route was skipped, for the statistics. */
enum ctl_nl_route_skip {
	CTL_NL_SKIP_NONE = 0,
	CTL_NL_SKIP_FAMILY,    /* neither IPv4 nor IPv6 */
	CTL_NL_SKIP_TYPE,      /* not RTN_UNICAST */
	CTL_NL_SKIP_CLONED,    /* RTM_F_CLONED */
	CTL_NL_SKIP_LOCAL,     /* the local table */
	CTL_NL_SKIP_VIA,       /* a gateway of the other family */
	CTL_NL_SKIP_LINKLOCAL, /* an IPv6 link-local prefix (fe80::/10): one per link */
	CTL_NL_SKIP_REASONS,
};

/*
 * Translates h into *out. An interface index the link table does not know leaves out->ifname
 * empty (the dataplane ignores such a route); out->ifindex is set anyway. *why (may be NULL)
 * says why a route was skipped.
 */
enum ctl_nl_route_verdict ctl_nl_route_change(struct nlmsghdr *h, const struct ctl_nl_links *links,
					      struct svr_route_change *out,
					      enum ctl_nl_route_skip *why);

#endif
