/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DHCP leases in the model svr-control compiles. An interface the model marks `"dhcp": true`
 * lists no IPv4 address: its address is whatever its DHCP client last got (on the kernel twin,
 * netlink/dhcp.h). Each compile gets a copy of the model in which those interfaces list their
 * lease first, so the dataplane owns it, answers on it and uses it as the interface's
 * waypoint; the model stored and served (GET /model) stays the operator's.
 */
#ifndef SVR_CONTROL_LEASES_H
#define SVR_CONTROL_LEASES_H

#include <jansson.h>
#include <net/if.h>
#include <stdbool.h>

#define SVR_MAX_LEASES 64 /* a router has at most 64 interfaces */

struct svr_lease {
	char iface[IF_NAMESIZE];
	char prefix[32]; /* "198.18.7.20/24" */
};

struct svr_leases {
	struct svr_lease v[SVR_MAX_LEASES];
	unsigned n;
};

/* Sets (prefix non-empty) or clears (prefix "" or NULL) an interface's lease; true when that
 * changed anything. */
bool svr_leases_set(struct svr_leases *l, const char *iface, const char *prefix);
const char *svr_leases_get(const struct svr_leases *l, const char *iface);

/*
 * Whether prefix ("a.b.c.d/len", from the DHCP client) may be the lease of the router's dhcp
 * interface iface: what validation demands of a model's address (a unicast host of a subnet of
 * length 1-32, not its network or broadcast address when it has them) and more, since a DHCP
 * server is not trusted: not 0/8 or 127/8, and no address or subnet of another interface of the
 * router. 0, or -1 with why.
 */
int svr_leases_check(const json_t *router, const char *iface, const char *prefix, char *why,
		     size_t len);

/*
 * The leases the DHCP clients' script recorded in the state directory (dir/dhcp-IF.lease, one
 * "a.b.c.d/len" each, netlink/dhcp.h), so that the first image svr-control publishes after a
 * restart has them, as the twins still do. The number taken.
 */
unsigned svr_leases_load(struct svr_leases *l, const char *dir);

/* Whether router (an object of authority.routers) has an interface with "dhcp": true. */
bool svr_leases_wanted(const json_t *router);

/*
 * A deep copy of doc in which each "dhcp": true interface of the router named router that has
 * a lease lists it as its first address; NULL (out of memory) or doc itself with a reference
 * taken, when no interface of the router takes a lease. The caller releases the result.
 */
json_t *svr_leases_apply(json_t *doc, const char *router, const struct svr_leases *l);

#endif
