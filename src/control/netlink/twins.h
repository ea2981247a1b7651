/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The kernel twins' addresses: each twin (the TAP device the dataplane keeps in the router's
 * kernel namespace for one of its interfaces, by the interface's name) carries exactly the
 * addresses the model gives its interface, and is up. Other addresses on it go, except IPv6
 * link-local ones (the kernel's own). Only a TUN/TAP device is a twin: a link of another kind
 * that has an interface's name (a veth, a bridge, a NIC: in the dataplane's own namespace, or
 * one holding other devices) is not ours, and is left alone. The twin of an interface whose
 * IPv4 address comes by DHCP keeps the IPv4 addresses its DHCP client gives it (dhcp.h).
 */
#ifndef SVR_CONTROL_NETLINK_TWINS_H
#define SVR_CONTROL_NETLINK_TWINS_H

#include <jansson.h>
#include <net/if.h>
#include <stdbool.h>

#include "model/validate.h"

struct nl_sock;

struct ctl_nl_twin {
	char name[IF_NAMESIZE];
	bool dhcp;  /* its IPv4 address comes by DHCP (dhcp.h): IPv4 addresses on the twin stay */
	bool dirty; /* to be brought in line with the model */
	bool not_tun_said; /* logged that the link of this name is no TUN/TAP device */
	unsigned naddr;
	char addr[SVR_MODEL_MAX_IFACE_ADDRS][64]; /* "198.18.12.1/24", as in the model */
};

struct ctl_nl_twins {
	struct ctl_nl_twin *v;
	unsigned n;
};

/* The twins a router's model (authority.routers[i]) asks for: its interfaces (a validated
 * model: names fit a kernel interface name). -1 when out of memory. */
int ctl_nl_twins_from_router(const json_t *router, struct ctl_nl_twins *out);
void ctl_nl_twins_free(struct ctl_nl_twins *t);
struct ctl_nl_twin *ctl_nl_twins_find(const struct ctl_nl_twins *t, const char *name);

/* What one sync did. */
struct ctl_nl_twin_result {
	unsigned added, removed, set_up, errors;
	bool not_tun;    /* the link is no TUN/TAP device: left as it is */
	char error[160]; /* the first error */
};

/* Brings the twin of index ifindex in line: up, the model's addresses and no others. Over sk, a
 * connected NETLINK_ROUTE socket of the twin's namespace. A link that is no TUN/TAP device
 * (read again here, not taken from a table) is not touched: r->not_tun. */
void ctl_nl_twin_sync(struct nl_sock *sk, const struct ctl_nl_twin *t, int ifindex,
		      struct ctl_nl_twin_result *r);

#endif
