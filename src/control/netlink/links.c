/* SPDX-License-Identifier: BSD-3-Clause */
/* The kernel's interfaces by index (links.h). */
#include "netlink/links.h"

#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ctl_nl_links_init(struct ctl_nl_links *l)
{
	memset(l, 0, sizeof(*l));
}

void ctl_nl_links_free(struct ctl_nl_links *l)
{
	free(l->v);
	ctl_nl_links_init(l);
}

void ctl_nl_links_clear(struct ctl_nl_links *l)
{
	l->n = 0;
}

/* The position of ifindex, or where it would go. */
static unsigned find(const struct ctl_nl_links *l, uint32_t ifindex)
{
	unsigned lo = 0, hi = l->n;
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		if (l->v[mid].ifindex < ifindex)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct ctl_nl_link *ctl_nl_links_get(const struct ctl_nl_links *l, uint32_t ifindex)
{
	unsigned i = find(l, ifindex);
	return i < l->n && l->v[i].ifindex == ifindex ? &l->v[i] : NULL;
}

int ctl_nl_links_set(struct ctl_nl_links *l, uint32_t ifindex, const char *name, unsigned flags)
{
	unsigned i = find(l, ifindex);
	if (i == l->n || l->v[i].ifindex != ifindex) {
		if (l->n == l->cap) {
			unsigned cap = l->cap ? l->cap * 2 : 16;
			struct ctl_nl_link *v = realloc(l->v, cap * sizeof(*v));
			if (!v)
				return -1;
			l->v = v;
			l->cap = cap;
		}
		memmove(&l->v[i + 1], &l->v[i], (l->n - i) * sizeof(*l->v));
		l->n++;
		l->v[i].ifindex = ifindex;
		l->v[i].tun = false;
		memset(l->v[i].mac, 0, sizeof(l->v[i].mac));
	}
	snprintf(l->v[i].name, sizeof(l->v[i].name), "%s", name);
	l->v[i].flags = flags;
	return 0;
}

const struct ctl_nl_link *ctl_nl_links_by_name(const struct ctl_nl_links *l, const char *name)
{
	for (unsigned i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	return NULL;
}

void ctl_nl_links_del(struct ctl_nl_links *l, uint32_t ifindex)
{
	unsigned i = find(l, ifindex);
	if (i == l->n || l->v[i].ifindex != ifindex)
		return;
	memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof(*l->v));
	l->n--;
}

/* Whether IFLA_LINKINFO says kind "tun" (TUN and TAP devices alike). */
static bool link_is_tun(struct nlattr *linkinfo)
{
	struct nlattr *li[IFLA_INFO_MAX + 1];
	char kind[16] = "";
	if (nla_parse_nested(li, IFLA_INFO_MAX, linkinfo, NULL) < 0 || !li[IFLA_INFO_KIND])
		return false;
	nla_strlcpy(kind, li[IFLA_INFO_KIND], sizeof(kind));
	return strcmp(kind, "tun") == 0;
}

enum ctl_nl_link_event ctl_nl_links_apply(struct ctl_nl_links *l, struct nlmsghdr *h,
					  struct ctl_nl_link *link)
{
	struct nlattr *tb[IFLA_MAX + 1];
	if ((h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK) ||
	    nlmsg_parse(h, sizeof(struct ifinfomsg), tb, IFLA_MAX, NULL) < 0)
		return CTL_NL_LINK_NONE;
	const struct ifinfomsg *ifi = nlmsg_data(h);
	if (ifi->ifi_index <= 0)
		return CTL_NL_LINK_NONE;
	uint32_t ifindex = (uint32_t)ifi->ifi_index;
	const struct ctl_nl_link *old = ctl_nl_links_get(l, ifindex);
	if (h->nlmsg_type == RTM_DELLINK) {
		if (!old)
			return CTL_NL_LINK_NONE;
		if (link)
			*link = *old;
		ctl_nl_links_del(l, ifindex);
		return CTL_NL_LINK_GONE;
	}
	char name[IF_NAMESIZE] = "";
	if (tb[IFLA_IFNAME])
		nla_strlcpy(name, tb[IFLA_IFNAME], sizeof(name));
	else if (old)
		memcpy(name, old->name, sizeof(name)); /* a change that does not repeat the name */
	enum ctl_nl_link_event ev = !old || strcmp(old->name, name) != 0 ? CTL_NL_LINK_NEW
				    : old->flags != ifi->ifi_flags       ? CTL_NL_LINK_CHANGED
									 : CTL_NL_LINK_NONE;
	bool tun = old && old->tun; /* a link's kind is its own for its life */
	if (tb[IFLA_LINKINFO])
		tun = link_is_tun(tb[IFLA_LINKINFO]);
	if (ctl_nl_links_set(l, ifindex, name, ifi->ifi_flags) < 0)
		return CTL_NL_LINK_NONE;
	struct ctl_nl_link *e = &l->v[find(l, ifindex)];
	e->tun = tun;
	if (tb[IFLA_ADDRESS] && nla_len(tb[IFLA_ADDRESS]) == (int)sizeof(e->mac))
		memcpy(e->mac, nla_data(tb[IFLA_ADDRESS]), sizeof(e->mac));
	if (link)
		*link = *ctl_nl_links_get(l, ifindex);
	return ev;
}
