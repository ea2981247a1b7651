/* SPDX-License-Identifier: BSD-3-Clause */
#include "io/port.h"

#include <errno.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_malloc.h>

#include "common/log.h"
#include "l2l3/parse.h"

#define RX_DESC 1024
#define TX_DESC 1024

/* The ethdev name of a device string: a PCI address, or the vdev name before the first ','. */
static void device_name(const char *device, char *name, size_t len)
{
	size_t n = strcspn(device, ",");
	if (n >= len)
		n = len - 1;
	memcpy(name, device, n);
	name[n] = '\0';
}

static int port_probe(const char *device, uint16_t *port_id)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	device_name(device, name, sizeof(name));
	if (rte_eth_dev_get_port_by_name(name, port_id) == 0)
		return 0; /* PCI devices are probed by EAL already (-a) */
	int rc = rte_dev_probe(device);
	if (rc < 0 && rc != -EEXIST) {
		LOG_ERR("cannot probe device \"%s\": %s", device, rte_strerror(-rc));
		return rc;
	}
	if (rte_eth_dev_get_port_by_name(name, port_id) != 0) {
		LOG_ERR("device \"%s\" probed but no port named %s appeared", device, name);
		return -ENODEV;
	}
	return 0;
}

static unsigned max_frame(void)
{
	unsigned mtu = 1500;
	for (unsigned i = 0; i < dp.conf->n_ifaces; i++)
		if (dp.conf->ifaces[i].mtu > mtu)
			mtu = dp.conf->ifaces[i].mtu;
	return mtu + SVR_ETH_FRAME_OVERHEAD;
}

int dp_ports_init(void)
{
	const struct dp_config *c = dp.conf;
	unsigned room = max_frame();
	if (room < 2048)
		room = 2048;
	dp.pool = rte_pktmbuf_pool_create("svr_mbufs", c->mbufs, 256,
					  RTE_ALIGN(sizeof(struct dp_pkt_meta), RTE_MBUF_PRIV_ALIGN),
					  (uint16_t)(room + RTE_PKTMBUF_HEADROOM), SOCKET_ID_ANY);
	if (!dp.pool) {
		LOG_ERR("cannot create a pool of %u mbufs: %s (raise eal.memory-mb)", c->mbufs,
			rte_strerror(rte_errno));
		return -ENOMEM;
	}

	for (unsigned i = 0; i < c->n_ifaces; i++) {
		const struct dp_iface_conf *ic = &c->ifaces[i];
		uint16_t pid;
		if (port_probe(ic->device, &pid) < 0)
			return -ENODEV;
		if (pid >= DP_MAX_PORTS) {
			LOG_ERR("%s: port id %u beyond the supported %d ports", ic->name, pid,
				DP_MAX_PORTS);
			return -ENODEV;
		}
		struct dp_port *p = dp.ports[pid];
		if (!p) {
			p = rte_zmalloc("dp_port", sizeof(*p), RTE_CACHE_LINE_SIZE);
			if (!p)
				return -ENOMEM;
			p->id = pid;
			snprintf(p->device, sizeof(p->device), "%s", ic->device);
			for (unsigned v = 0; v < DP_VLAN_COUNT; v++)
				p->vlan_iface[v] = DP_NO_IFACE;
			rte_eth_macaddr_get(pid, &p->mac);
			dp.ports[pid] = p;
			dp.n_ports++;
		}
		struct dp_iface *ifc = &dp.ifaces[i];
		memset(ifc, 0, sizeof(*ifc));
		snprintf(ifc->name, sizeof(ifc->name), "%s", ic->name);
		ifc->port = pid;
		ifc->vlan = ic->vlan;
		ifc->mtu = ic->mtu;
		if (ic->has_mac)
			memcpy(ifc->mac.addr_bytes, ic->mac, 6);
		else
			ifc->mac = p->mac;
		ifc->n_addrs = ic->n_addrs;
		memcpy(ifc->addrs, ic->addrs, sizeof(ifc->addrs));
		p->vlan_iface[ic->vlan] = (uint16_t)i;
		dp.n_ifaces++;
	}
	return 0;
}

static int port_start(struct dp_port *p)
{
	uint16_t pid = p->id;
	uint16_t nq = (uint16_t)dp.n_workers;
	struct rte_eth_dev_info info;
	int rc = rte_eth_dev_info_get(pid, &info);
	if (rc < 0)
		return rc;
	if (info.max_rx_queues < nq || info.max_tx_queues < nq) {
		LOG_ERR("device %s offers %u RX / %u TX queues but %u workers need one each "
			"(af_packet: add qpairs=%u to the device)",
			p->device, info.max_rx_queues, info.max_tx_queues, nq, nq);
		return -EINVAL;
	}
	/* No offloads: checksums are checked and patched in software, the same on every device. */
	struct rte_eth_conf conf = {0};
	rc = rte_eth_dev_configure(pid, nq, nq, &conf);
	if (rc < 0) {
		LOG_ERR("cannot configure %s: %s", p->device, rte_strerror(-rc));
		return rc;
	}
	uint16_t rxd = RX_DESC, txd = TX_DESC;
	rte_eth_dev_adjust_nb_rx_tx_desc(pid, &rxd, &txd);
	for (uint16_t q = 0; q < nq; q++) {
		rc = rte_eth_rx_queue_setup(pid, q, rxd, rte_eth_dev_socket_id(pid), NULL, dp.pool);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(pid, q, txd, rte_eth_dev_socket_id(pid), NULL);
		if (rc < 0) {
			LOG_ERR("cannot set up queue %u of %s: %s", q, p->device, rte_strerror(-rc));
			return rc;
		}
	}
	rc = rte_eth_dev_start(pid);
	if (rc < 0) {
		LOG_ERR("cannot start %s: %s", p->device, rte_strerror(-rc));
		return rc;
	}
	/* Multicast for IPv6 ND and interface MACs that differ from the device's. */
	rte_eth_promiscuous_enable(pid);
	char mac[18];
	LOG_INFO("port %u %s started: %u queue pair(s), mac %s", pid, p->device, nq,
		 svr_mac_fmt(p->mac.addr_bytes, mac, sizeof(mac)));
	return 0;
}

int dp_ports_start(void)
{
	for (unsigned pid = 0; pid < DP_MAX_PORTS; pid++)
		if (dp.ports[pid] && port_start(dp.ports[pid]) < 0)
			return -1;
	return 0;
}

void dp_ports_close(void)
{
	for (unsigned pid = 0; pid < DP_MAX_PORTS; pid++) {
		struct dp_port *p = dp.ports[pid];
		if (!p)
			continue;
		struct rte_eth_dev_info info;
		struct rte_device *dev = NULL;
		if (rte_eth_dev_info_get((uint16_t)pid, &info) == 0)
			dev = info.device; /* read before close: close frees it */
		rte_eth_dev_stop((uint16_t)pid);
		rte_eth_dev_close((uint16_t)pid);
		if (dev)
			rte_dev_remove(dev);
		rte_free(p);
		dp.ports[pid] = NULL;
	}
	dp.n_ports = 0;
}
