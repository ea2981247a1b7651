/* SPDX-License-Identifier: BSD-3-Clause */
/* The control socket's "neighbors" and "routes" commands. */
#include <jansson.h>

#include "common/inet.h"
#include "ctlsock/command.h"
#include "l2l3/fib.h"
#include "l2l3/neigh.h"
#include "core/dp.h"

static json_t *cmd_neighbors(void)
{
	json_t *arr = json_array();
	uint32_t it = 0, pos;
	uint64_t now = dp_now_ms();
	const struct dp_gen *g = dp_gen_main();
	while ((pos = svr_neigh_next(dp.neigh, &it)) != SVR_NEIGH_NONE) {
		const struct svr_neigh *n = svr_neigh_entry(dp.neigh, pos);
		const char *ifname =
		    g && g->ifaces[n->iface].in_use ? g->ifaces[n->iface].name : "-";
		struct rte_ether_addr mac;
		char ip[64], macs[18] = "";
		if (svr_neigh_mac(dp.neigh, pos, &mac))
			svr_mac_fmt(mac.addr_bytes, macs, sizeof(macs));
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:I, s:i}", "address",
						     svr_ip_fmt(&n->ip, ip, sizeof(ip)),
						     "interface", ifname, "mac", macs, "state",
						     svr_neigh_state_name(n->state), "age-s",
						     (json_int_t)((now - n->confirmed_ms) / 1000),
						     "queued", (int)n->n_queued));
	}
	return arr;
}

#define ROUTES_LIST_MAX 10000

static json_t *cmd_routes(void)
{
	static const char *const types[] = {"none", "local", "connected", "gateway", "broadcast"};
	json_t *arr = json_array();
	const struct dp_gen *g = dp_gen_main();
	/* The policy's routes come first in the list (kernel routes are added and removed after
	 * them); a million kernel routes would be 100 MB of JSON: the first ROUTES_LIST_MAX. */
	for (uint32_t i = 0; g && i < g->fib->n_routes && i < ROUTES_LIST_MAX; i++) {
		const struct svr_route *r = &g->fib->routes[i];
		const struct svr_nexthop *h = &g->fib->nh[r->nh];
		char p[64], gw[64] = "";
		if (h->type == SVR_NH_GATEWAY)
			svr_ip_fmt(&h->gateway, gw, sizeof(gw));
		json_array_append_new(
		    arr, json_pack("{s:s, s:s, s:s, s:s, s:s}", "prefix",
				   svr_prefix_fmt(&r->prefix, p, sizeof(p)), "type", types[h->type],
				   "gateway", gw, "interface", g->ifaces[h->iface].name, "origin",
				   r->origin == SVR_ORIGIN_KERNEL ? "kernel" : "policy"));
	}
	return arr;
}

static struct dp_ctl_command neighbors_cmd = {.name = "neighbors", .answer = cmd_neighbors};
static struct dp_ctl_command routes_cmd = {.name = "routes", .answer = cmd_routes};
DP_CTL_REGISTER(neighbors_cmd)
DP_CTL_REGISTER(routes_cmd)
