/* SPDX-License-Identifier: BSD-3-Clause */
/* The control socket's "ports" (devices, links, counters, RSS) and "interfaces" commands. */
#include <jansson.h>

#include <rte_ethdev.h>

#include "common/inet.h"
#include "ctlsock/command.h"
#include "core/dp.h"
#include "io/port.h"

static json_t *mac_json(const struct rte_ether_addr *mac)
{
	char buf[18];
	return json_string(svr_mac_fmt(mac->addr_bytes, buf, sizeof(buf)));
}

static const char *rss_name(const struct dp_rss *r)
{
	return !r->on ? "off" : r->symmetric ? "symmetric" : "device-key";
}

/* Packets each RX queue received (queues beyond the device's per-queue counters: none). */
static json_t *queue_packets(const struct rte_eth_stats *st, uint16_t n)
{
	json_t *a = json_array();
	for (uint16_t q = 0; q < n && q < RTE_ETHDEV_QUEUE_STAT_CNTRS; q++)
		json_array_append_new(a, json_integer((json_int_t)st->q_ipackets[q]));
	return a;
}

static json_t *cmd_ports(void)
{
	json_t *arr = json_array();
	for (unsigned pid = 0; pid < DP_MAX_PORTS; pid++) {
		const struct dp_port *p = dp_ports[pid];
		if (!p)
			continue;
		struct rte_eth_stats st = {0};
		struct rte_eth_link link = {0};
		struct rte_eth_dev_info info = {0};
		char name[RTE_ETH_NAME_MAX_LEN] = "";
		rte_eth_stats_get((uint16_t)pid, &st);
		rte_eth_link_get_nowait((uint16_t)pid, &link);
		rte_eth_dev_info_get((uint16_t)pid, &info);
		rte_eth_dev_get_name_by_port((uint16_t)pid, name);
		json_t *o = json_pack(
		    "{s:i, s:s, s:s, s:o, s:s, s:I, s:i, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
		    "s:I}",
		    "id", (int)pid, "name", name, "device", p->device, "mac", mac_json(&p->mac),
		    "link", link.link_status ? "up" : "down", "speed-mbps",
		    (json_int_t)link.link_speed, "rx-queues", (int)info.nb_rx_queues, "tx-queues",
		    (int)info.nb_tx_queues, "rx-packets", (json_int_t)st.ipackets, "rx-bytes",
		    (json_int_t)st.ibytes, "tx-packets", (json_int_t)st.opackets, "tx-bytes",
		    (json_int_t)st.obytes, "rx-missed", (json_int_t)st.imissed, "rx-errors",
		    (json_int_t)st.ierrors, "tx-errors", (json_int_t)st.oerrors, "rx-nombuf",
		    (json_int_t)st.rx_nombuf);
		uint16_t mtu = 0;
		rte_eth_dev_get_mtu((uint16_t)pid, &mtu);
		json_object_set_new(o, "mtu", json_integer(mtu));
		json_object_set_new(o, "rss", json_string(rss_name(&p->rss)));
		json_object_set_new(o, "reta-size", json_integer(p->reta_size));
		json_object_set_new(o, "rx-queue-packets", queue_packets(&st, info.nb_rx_queues));
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *addrs_json(const struct dp_iface *ifc)
{
	json_t *a = json_array();
	for (unsigned i = 0; i < ifc->n_addrs; i++) {
		char buf[64];
		json_array_append_new(
		    a, json_string(svr_prefix_fmt(&ifc->addrs[i], buf, sizeof(buf))));
	}
	return a;
}

static json_t *cmd_interfaces(void)
{
	json_t *arr = json_array();
	const struct dp_gen *g = dp_gen_main();
	for (unsigned i = 0; g && i < g->n_ifaces; i++) {
		const struct dp_iface *ifc = &g->ifaces[i];
		if (!ifc->in_use)
			continue;
		/* index: slot + 1, the number IPFIX records give it (0 is none there) */
		json_array_append_new(arr,
				      json_pack("{s:s, s:i, s:i, s:i, s:o, s:i, s:o}", "name",
						ifc->name, "index", (int)i + 1, "port", ifc->port,
						"vlan", ifc->vlan, "mac", mac_json(&ifc->mac),
						"mtu", ifc->mtu, "addresses", addrs_json(ifc)));
	}
	return arr;
}

static struct dp_ctl_command ports_cmd = {.name = "ports", .answer = cmd_ports};
static struct dp_ctl_command interfaces_cmd = {.name = "interfaces", .answer = cmd_interfaces};
DP_CTL_REGISTER(ports_cmd)
DP_CTL_REGISTER(interfaces_cmd)
