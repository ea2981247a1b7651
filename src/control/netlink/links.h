/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The kernel's interfaces by index, as the route follower last heard of them (RTM_NEWLINK,
 * RTM_DELLINK, a link dump): a route names the interface it leaves by with an index, the ring
 * with a name (a twin has its dataplane interface's name). A sorted array: a namespace has
 * tens or a few thousand links, and a million routes each look one up.
 */
#ifndef SVR_CONTROL_NETLINK_LINKS_H
#define SVR_CONTROL_NETLINK_LINKS_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

struct nlmsghdr;

struct ctl_nl_link {
	uint32_t ifindex;
	unsigned flags; /* IFF_* */
	bool tun;       /* a TUN/TAP device (IFLA_LINKINFO kind "tun"), as a twin is */
	uint8_t mac[6]; /* IFLA_ADDRESS (an Ethernet link's); zeros when it has none */
	char name[IF_NAMESIZE];
};

struct ctl_nl_links {
	struct ctl_nl_link *v; /* sorted by ifindex */
	unsigned n, cap;
};

void ctl_nl_links_init(struct ctl_nl_links *l);
void ctl_nl_links_free(struct ctl_nl_links *l);
void ctl_nl_links_clear(struct ctl_nl_links *l);
/* Adds or renames; -1 when out of memory. */
int ctl_nl_links_set(struct ctl_nl_links *l, uint32_t ifindex, const char *name, unsigned flags);
void ctl_nl_links_del(struct ctl_nl_links *l, uint32_t ifindex);
const struct ctl_nl_link *ctl_nl_links_get(const struct ctl_nl_links *l, uint32_t ifindex);
/* By name (a scan: for the few twins, not per route); NULL when none. */
const struct ctl_nl_link *ctl_nl_links_by_name(const struct ctl_nl_links *l, const char *name);

/* What an RTM_NEWLINK or RTM_DELLINK did to the table. */
enum ctl_nl_link_event {
	CTL_NL_LINK_NONE = 0, /* not a link message, malformed, or nothing changed */
	CTL_NL_LINK_NEW,      /* an index not known before, or known by another name */
	CTL_NL_LINK_CHANGED,  /* same index and name, other flags */
	CTL_NL_LINK_GONE,
};
/* Applies a link message; *link (when not NULL) is the entry after it (before it for GONE). */
enum ctl_nl_link_event ctl_nl_links_apply(struct ctl_nl_links *l, struct nlmsghdr *h,
					  struct ctl_nl_link *link);

#endif
