/* SPDX-License-Identifier: BSD-3-Clause */
/* A kernel route message as a route-ring change (routemsg.h). */
#include "netlink/routemsg.h"

#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <string.h>
#include <sys/socket.h>

static enum ctl_nl_route_verdict skip(enum ctl_nl_route_skip *why, enum ctl_nl_route_skip r)
{
	if (why)
		*why = r;
	return CTL_NL_ROUTE_SKIP;
}

/* Copies an address attribute of alen bytes; false when it has another length. */
static bool get_addr(const struct nlattr *a, uint8_t *to, int alen)
{
	if (nla_len(a) != alen)
		return false;
	memcpy(to, nla_data(a), (size_t)alen);
	return true;
}

static bool get_u32(const struct nlattr *a, uint32_t *v)
{
	if (nla_len(a) < (int)sizeof(uint32_t))
		return false;
	*v = nla_get_u32((struct nlattr *)a);
	return true;
}

/*
 * The first next hop of RTA_MULTIPATH: its interface and gateway. The kernel would use any of
 * them (hashing flows); the dataplane's FIB has one next hop per route, so the first it is.
 */
static bool first_hop(const struct nlattr *mp, int alen, uint32_t *oif, uint8_t *gw, bool *via)
{
	const struct rtnexthop *nh = nla_data(mp);
	int left = nla_len(mp);
	if (left < (int)sizeof(*nh) || nh->rtnh_len < sizeof(*nh) || nh->rtnh_len > left)
		return false;
	*oif = (uint32_t)nh->rtnh_ifindex;
	struct nlattr *tb[RTA_MAX + 1];
	if (nla_parse(tb, RTA_MAX, (struct nlattr *)RTNH_DATA(nh),
		      nh->rtnh_len - (int)RTNH_LENGTH(0), NULL) < 0)
		return false;
	*via = tb[RTA_VIA] != NULL;
	return !tb[RTA_GATEWAY] || get_addr(tb[RTA_GATEWAY], gw, alen);
}

enum ctl_nl_route_verdict ctl_nl_route_change(struct nlmsghdr *h, const struct ctl_nl_links *links,
					      struct svr_route_change *out,
					      enum ctl_nl_route_skip *why)
{
	if (why)
		*why = CTL_NL_SKIP_NONE;
	if (h->nlmsg_type != RTM_NEWROUTE && h->nlmsg_type != RTM_DELROUTE)
		return CTL_NL_ROUTE_BAD;
	struct nlattr *tb[RTA_MAX + 1];
	if (nlmsg_parse(h, sizeof(struct rtmsg), tb, RTA_MAX, NULL) < 0)
		return CTL_NL_ROUTE_BAD;
	const struct rtmsg *rtm = nlmsg_data(h);
	int alen = rtm->rtm_family == AF_INET ? 4 : rtm->rtm_family == AF_INET6 ? 16 : 0;
	if (!alen)
		return skip(why, CTL_NL_SKIP_FAMILY);
	if (rtm->rtm_type != RTN_UNICAST)
		return skip(why, CTL_NL_SKIP_TYPE);
	if (rtm->rtm_flags & RTM_F_CLONED)
		return skip(why, CTL_NL_SKIP_CLONED);
	if (rtm->rtm_dst_len > alen * 8)
		return CTL_NL_ROUTE_BAD;
	uint32_t table = rtm->rtm_table; /* RTA_TABLE has the tables above 255 */
	if (tb[RTA_TABLE] && !get_u32(tb[RTA_TABLE], &table))
		return CTL_NL_ROUTE_BAD;
	if (table == RT_TABLE_LOCAL)
		return skip(why, CTL_NL_SKIP_LOCAL);

	memset(out, 0, sizeof(*out));
	out->op = h->nlmsg_type == RTM_NEWROUTE ? SVR_ROUTE_ADD : SVR_ROUTE_DEL;
	out->family = alen == 4 ? 4 : 6;
	out->len = rtm->rtm_dst_len;
	out->proto = rtm->rtm_protocol;
	out->table = table;
	/* no RTA_DST: the default route */
	if (tb[RTA_DST] && !get_addr(tb[RTA_DST], out->prefix, alen))
		return CTL_NL_ROUTE_BAD;
	if (tb[RTA_PRIORITY] && !get_u32(tb[RTA_PRIORITY], &out->metric))
		return CTL_NL_ROUTE_BAD;
	uint32_t oif = 0;
	if (tb[RTA_OIF] && !get_u32(tb[RTA_OIF], &oif))
		return CTL_NL_ROUTE_BAD;
	if (tb[RTA_GATEWAY] && !get_addr(tb[RTA_GATEWAY], out->gateway, alen))
		return CTL_NL_ROUTE_BAD;
	if (alen == 16 && out->len >= 10 && out->prefix[0] == 0xfe &&
	    (out->prefix[1] & 0xc0) == 0x80)
		return skip(why, CTL_NL_SKIP_LINKLOCAL);
	bool via = tb[RTA_VIA] != NULL;
	if (tb[RTA_MULTIPATH] && !tb[RTA_GATEWAY] && !oif &&
	    !first_hop(tb[RTA_MULTIPATH], alen, &oif, out->gateway, &via))
		return CTL_NL_ROUTE_BAD;
	if (via)
		return skip(why, CTL_NL_SKIP_VIA);
	out->ifindex = oif;
	const struct ctl_nl_link *l = oif ? ctl_nl_links_get(links, oif) : NULL;
	if (l)
		memcpy(out->ifname, l->name, sizeof(out->ifname));
	return CTL_NL_ROUTE_CHANGE;
}
