/* SPDX-License-Identifier: BSD-3-Clause */
/* The kernel twins' addresses (twins.h), with libnl's address and link objects: a handful of
 * addresses per twin, on a model change or a twin appearing, so no need for speed here. */
#include "netlink/twins.h"

#include <linux/if_addr.h>
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int ctl_nl_twins_from_router(const json_t *router, struct ctl_nl_twins *out)
{
	const json_t *ifaces = json_object_get(router, "interfaces");
	out->n = 0;
	out->v = calloc(json_array_size(ifaces) + 1, sizeof(*out->v));
	if (!out->v)
		return -1;
	size_t i, j;
	const json_t *iface, *a;
	json_array_foreach (ifaces, i, iface) {
		const char *name = json_string_value(json_object_get(iface, "name"));
		if (!name || strlen(name) >= IF_NAMESIZE)
			continue; /* no twin can carry that name */
		struct ctl_nl_twin *t = &out->v[out->n++];
		snprintf(t->name, sizeof(t->name), "%s", name);
		t->dhcp = json_is_true(json_object_get(iface, "dhcp"));
		json_array_foreach (json_object_get(iface, "addresses"), j, a)
			if (json_is_string(a) && t->naddr < SVR_MODEL_MAX_IFACE_ADDRS)
				snprintf(t->addr[t->naddr++], sizeof(t->addr[0]), "%s",
					 json_string_value(a));
	}
	return 0;
}

void ctl_nl_twins_free(struct ctl_nl_twins *t)
{
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

struct ctl_nl_twin *ctl_nl_twins_find(const struct ctl_nl_twins *t, const char *name)
{
	for (unsigned i = 0; i < t->n; i++)
		if (strcmp(t->v[i].name, name) == 0)
			return &t->v[i];
	return NULL;
}

static void fail(struct ctl_nl_twin_result *r, const char *twin, const char *what, int nlerr)
{
	if (!r->errors++)
		snprintf(r->error, sizeof(r->error), "%s: %s: %s", twin, what, nl_geterror(nlerr));
}

/* Same address and prefix length. */
static bool same(const struct nl_addr *a, unsigned alen, const struct nl_addr *b, unsigned blen)
{
	return nl_addr_get_family(a) == nl_addr_get_family(b) && alen == blen &&
	       nl_addr_get_len(a) == nl_addr_get_len(b) &&
	       memcmp(nl_addr_get_binary_addr(a), nl_addr_get_binary_addr(b), nl_addr_get_len(a)) ==
		   0;
}

static bool ipv6_link_local(const struct nl_addr *a)
{
	const uint8_t *b = nl_addr_get_binary_addr(a);
	return nl_addr_get_family(a) == AF_INET6 && nl_addr_get_len(a) == 16 && b[0] == 0xfe &&
	       (b[1] & 0xc0) == 0x80;
}

/* Whether the link is a TUN/TAP device, as twins are: kind "tun" (TAP devices too). */
static bool is_tun(struct rtnl_link *link)
{
	const char *kind = rtnl_link_get_type(link);
	return kind && strcmp(kind, "tun") == 0;
}

/* The link up; false when it is no TUN/TAP device (r->not_tun) or cannot be read. */
static bool set_up(struct nl_sock *sk, const struct ctl_nl_twin *t, int ifindex,
		   struct ctl_nl_twin_result *r)
{
	struct rtnl_link *link = NULL, *change = NULL;
	int e = rtnl_link_get_kernel(sk, ifindex, NULL, &link);
	if (e < 0) {
		fail(r, t->name, "cannot read the link", e);
		return false;
	}
	if (!is_tun(link)) {
		r->not_tun = true;
		rtnl_link_put(link);
		return false;
	}
	if (!(rtnl_link_get_flags(link) & IFF_UP)) {
		change = rtnl_link_alloc();
		if (!change) {
			fail(r, t->name, "set up", -NLE_NOMEM);
		} else {
			rtnl_link_set_flags(change, IFF_UP);
			e = rtnl_link_change(sk, link, change, 0);
			if (e < 0)
				fail(r, t->name, "set up", e);
			else
				r->set_up++;
		}
	}
	rtnl_link_put(change);
	rtnl_link_put(link);
	return true;
}

/* The model's addresses, parsed; found[i] once the twin is seen to carry want[i]. */
struct want {
	struct nl_addr *a[SVR_MODEL_MAX_IFACE_ADDRS];
	const char *text[SVR_MODEL_MAX_IFACE_ADDRS];
	bool found[SVR_MODEL_MAX_IFACE_ADDRS];
	unsigned n;
};

/* Removes what the twin carries that the model does not give it; marks what it does. */
static void sweep(struct nl_sock *sk, struct nl_cache *cache, const struct ctl_nl_twin *t,
		  int ifindex, struct want *w, struct ctl_nl_twin_result *r)
{
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *ra = (struct rtnl_addr *)o;
		struct nl_addr *local = rtnl_addr_get_local(ra);
		if (rtnl_addr_get_ifindex(ra) != ifindex || !local)
			continue;
		/* the DHCP client's lease (dhcp.h) is its to give and take */
		bool keep =
		    ipv6_link_local(local) || (t->dhcp && nl_addr_get_family(local) == AF_INET);
		for (unsigned i = 0; i < w->n && !keep; i++)
			if (same(local, rtnl_addr_get_prefixlen(ra), w->a[i],
				 nl_addr_get_prefixlen(w->a[i])))
				keep = w->found[i] = true;
		if (keep)
			continue;
		int e = rtnl_addr_delete(sk, ra, 0);
		if (e < 0)
			fail(r, t->name, "cannot remove an address", e);
		else
			r->removed++;
	}
}

static void add_missing(struct nl_sock *sk, const struct ctl_nl_twin *t, int ifindex,
			struct want *w, struct ctl_nl_twin_result *r)
{
	for (unsigned i = 0; i < w->n; i++) {
		if (w->found[i])
			continue;
		struct rtnl_addr *ra = rtnl_addr_alloc();
		int e = ra ? 0 : -NLE_NOMEM;
		if (!e) {
			rtnl_addr_set_ifindex(ra, ifindex);
			/* No duplicate detection by the kernel: the dataplane owns the address on
			 * the wire, and a twin without carrier would keep an IPv6 address tentative
			 * (unusable as a source, for FRR's sessions too) for ever. */
			rtnl_addr_set_flags(ra, IFA_F_NODAD);
			e = rtnl_addr_set_local(ra, w->a[i]);
		}
		if (!e)
			e = rtnl_addr_add(sk, ra, 0);
		if (e < 0)
			fail(r, t->name, w->text[i], e);
		else
			r->added++;
		rtnl_addr_put(ra);
	}
}

void ctl_nl_twin_sync(struct nl_sock *sk, const struct ctl_nl_twin *t, int ifindex,
		      struct ctl_nl_twin_result *r)
{
	memset(r, 0, sizeof(*r));
	if (!set_up(sk, t, ifindex, r))
		return; /* not a twin, or gone: nothing to bring in line */
	struct want w = {.n = 0};
	for (unsigned i = 0; i < t->naddr; i++) {
		int e = nl_addr_parse(t->addr[i], AF_UNSPEC, &w.a[w.n]);
		if (e < 0)
			fail(r, t->name, t->addr[i], e);
		else
			w.text[w.n++] = t->addr[i];
	}
	struct nl_cache *cache = NULL;
	int e = rtnl_addr_alloc_cache(sk, &cache);
	if (e < 0) {
		fail(r, t->name, "cannot list addresses", e);
	} else {
		sweep(sk, cache, t, ifindex, &w, r);
		add_missing(sk, t, ifindex, &w, r);
	}
	nl_cache_free(cache);
	for (unsigned i = 0; i < w.n; i++)
		nl_addr_put(w.a[i]);
}
