/* SPDX-License-Identifier: BSD-3-Clause */
#include "io/port.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_log.h>
#include <rte_malloc.h>

#include "common/log.h"
#include "io/rss.h"
#include "io/afpacket.h"

#define RX_DESC  1024
#define TX_DESC  1024
#define RETA_MAX (RTE_ETH_RSS_RETA_SIZE_512 * 16) /* the largest redirection table we write */

struct dp_port *dp_ports[DP_MAX_PORTS];

void dp_device_name(const char *device, char *name, size_t len)
{
	size_t n = strcspn(device, ",");
	if (n >= len)
		n = len - 1;
	memcpy(name, device, n);
	name[n] = '\0';
}

int dp_pool_create(void)
{
	/*
	 * 2 KiB of data room covers the usual 1500-byte MTU; jumbo frames arrive
	 * as chains, which the dataplane counts and drops (see docs/dataplane.md).
	 */
	dp.pool =
	    rte_pktmbuf_pool_create("svr_mbufs", dp.conf->mbufs, 256,
				    RTE_ALIGN(sizeof(struct dp_pkt_meta), RTE_MBUF_PRIV_ALIGN),
				    RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (!dp.pool) {
		LOG_ERR("cannot create a pool of %u mbufs: %s (raise eal.memory-mb)",
			dp.conf->mbufs, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	return 0;
}

int dp_port_find(const char *device)
{
	for (int pid = 0; pid < DP_MAX_PORTS; pid++)
		if (dp_ports[pid] && strcmp(dp_ports[pid]->device, device) == 0)
			return pid;
	return -1;
}

/*
 * The redirection table over every worker's queue, when the device has one to write. A device
 * that will not take ours keeps its own (most spread over every queue by default): logged.
 */
static void spread_reta(uint16_t pid, const char *device)
{
	struct rte_eth_dev_info info;
	int rc = rte_eth_dev_info_get(pid, &info); /* the table's size as configured */
	if (rc < 0 || info.reta_size == 0)
		return;
	if (info.reta_size > RETA_MAX) {
		LOG_WARN("%s: a redirection table of %u entries, more than the %d we write: the "
			 "device's own stays",
			 device, info.reta_size, RETA_MAX);
		return;
	}
	struct rte_eth_rss_reta_entry64 reta[RETA_MAX / RTE_ETH_RETA_GROUP_SIZE];
	memset(reta, 0, sizeof(reta));
	dp_rss_reta_fill(reta, info.reta_size, (uint16_t)dp.n_workers);
	rc = rte_eth_dev_rss_reta_update(pid, reta, info.reta_size);
	if (rc < 0) {
		LOG_WARN("%s: the device refuses our redirection table (%s): its own stays", device,
			 rte_strerror(-rc));
		return;
	}
	dp_ports[pid]->reta_size = info.reta_size;
}

static int port_start(uint16_t pid, const char *device, char *err, size_t errlen)
{
	uint16_t nq = (uint16_t)dp.n_workers;
	struct rte_eth_dev_info info;
	int rc = rte_eth_dev_info_get(pid, &info);
	if (rc < 0) {
		snprintf(err, errlen, "%s: no device information: %s", device, rte_strerror(-rc));
		return rc;
	}
	if (info.max_rx_queues < nq || info.max_tx_queues < nq) {
		snprintf(err, errlen,
			 "device %s offers %u RX / %u TX queues but %u workers need one each "
			 "(af_packet: add qpairs=%u to the device)",
			 device, info.max_rx_queues, info.max_tx_queues, nq, nq);
		return -EINVAL;
	}
	/* No offloads: checksums are checked and patched in software, the same on every device. */
	struct rte_eth_conf conf = {0};
	struct dp_port *p = dp_ports[pid];
	dp_rss_plan(&info, nq, &p->rss, &conf);
	rc = rte_eth_dev_configure(pid, nq, nq, &conf);
	if (rc < 0) {
		snprintf(err, errlen, "cannot configure %s: %s", device, rte_strerror(-rc));
		return rc;
	}
	if (p->rss.on)
		spread_reta(pid, device);
	uint16_t rxd = RX_DESC, txd = TX_DESC;
	rte_eth_dev_adjust_nb_rx_tx_desc(pid, &rxd, &txd);
	for (uint16_t q = 0; q < nq; q++) {
		rc = rte_eth_rx_queue_setup(pid, q, rxd, rte_eth_dev_socket_id(pid), NULL, dp.pool);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(pid, q, txd, rte_eth_dev_socket_id(pid), NULL);
		if (rc < 0) {
			snprintf(err, errlen, "cannot set up queue %u of %s: %s", q, device,
				 rte_strerror(-rc));
			return rc;
		}
	}
	rc = rte_eth_dev_start(pid);
	if (rc < 0) {
		snprintf(err, errlen, "cannot start %s: %s", device, rte_strerror(-rc));
		return rc;
	}
	/* Multicast for IPv6 ND, and interface MACs that differ from the device's. */
	rte_eth_promiscuous_enable(pid);
	return 0;
}

static void log_rss(const struct dp_port *p)
{
	if (dp.n_workers < 2)
		return;
	if (!p->rss.on)
		LOG_INFO(
		    "port %u %s: the device offers no RSS; how its %u queues share the packets "
		    "is up to the device (af_packet: the kernel's flow hash)",
		    p->id, p->device, dp.n_workers);
	else
		LOG_INFO("port %u %s: RSS over %u queues, %s key, hash types 0x%llx, "
			 "redirection table %u entries%s",
			 p->id, p->device, dp.n_workers,
			 p->rss.symmetric ? "symmetric" : "the device's own (not symmetric)",
			 (unsigned long long)p->rss.hf, p->reta_size,
			 p->reta_size ? "" : " (the device's)");
}

/* Lines DPDK logs on every failed probe, which say nothing about the cause. */
static bool generic_probe_line(const char *line)
{
	return strstr(line, "Driver cannot attach the device") ||
	       strstr(line, "Failed to attach device on primary process");
}

/*
 * The cause of a failed probe in DPDK's own words: the lines it logged (without the generic
 * ones), joined with "; ". Drivers return -1, which rte_dev_probe passes on as -EPERM, so
 * the return code alone would say "Operation not permitted" whatever happened.
 */
static void probe_cause(const char *logged, int rc, char *cause, size_t len)
{
	size_t n = 0;
	cause[0] = '\0';
	for (const char *l = logged; l && *l && n + 1 < len;) {
		size_t ll = strcspn(l, "\n");
		char line[512];
		snprintf(line, sizeof(line), "%.*s", (int)ll, l);
		if (*line && !generic_probe_line(line))
			n += (size_t)snprintf(cause + n, len - n, "%s%s", n ? "; " : "", line);
		l += ll + (l[ll] == '\n');
	}
	if (!cause[0])
		snprintf(cause, len, "%s",
			 rc == -EPERM ? "the driver refused it" : rte_strerror(-rc));
}

/* rte_dev_probe(), with what DPDK logs meanwhile kept for the error message (and still
 * written to the log). */
static int probe(const char *device, char *err, size_t errlen)
{
	char *logged = NULL;
	size_t logged_len = 0;
	FILE *log_stream = rte_log_get_stream();
	FILE *capture = open_memstream(&logged, &logged_len);
	if (capture)
		rte_openlog_stream(capture);
	int rc = rte_dev_probe(device);
	if (capture) {
		rte_openlog_stream(log_stream);
		fclose(capture);
		fputs(logged, log_stream);
	}
	if (rc < 0 && rc != -EEXIST) {
		char cause[400];
		probe_cause(logged, rc, cause, sizeof(cause));
		snprintf(err, errlen, "cannot probe device \"%s\": %s", device, cause);
	}
	free(logged);
	return rc;
}

/* Probes an af_packet device in a fanout group of its own (io/afpacket.c), others as they are. */
static int probe_device(const char *device, char *err, size_t errlen)
{
	struct dp_afpacket_hold hold;
	int rc = dp_afpacket_prepare(device, &hold, err, errlen);
	if (rc < 0)
		return rc;
	dp_afpacket_probe_begin(&hold);
	rc = probe(device, err, errlen);
	dp_afpacket_probe_end();
	dp_afpacket_release(&hold);
	return rc;
}

int dp_port_add(const char *device, uint16_t *pid, char *err, size_t errlen)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	dp_device_name(device, name, sizeof(name));
	/* PCI devices are probed by EAL already (-a); vdevs are hot-plugged here. */
	if (rte_eth_dev_get_port_by_name(name, pid) != 0) {
		int rc = probe_device(device, err, errlen);
		if (rc < 0 && rc != -EEXIST)
			return rc;
		if (rte_eth_dev_get_port_by_name(name, pid) != 0) {
			snprintf(err, errlen, "device \"%s\" probed but no port named %s appeared",
				 device, name);
			return -ENODEV;
		}
	}
	if (*pid >= DP_MAX_PORTS) {
		snprintf(err, errlen, "%s: port id %u beyond the supported %d ports", device, *pid,
			 DP_MAX_PORTS);
		return -ENODEV;
	}
	if (dp_ports[*pid]) {
		snprintf(err, errlen, "%s: port %u is already in use as \"%s\"", device, *pid,
			 dp_ports[*pid]->device);
		return -EBUSY;
	}
	struct dp_port *p = rte_zmalloc("dp_port", sizeof(*p), 0);
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	p->id = *pid;
	snprintf(p->device, sizeof(p->device), "%s", device);
	rte_eth_macaddr_get(*pid, &p->mac);
	dp_ports[*pid] = p;
	int rc = port_start(*pid, device, err, errlen);
	if (rc < 0) {
		dp_port_remove(*pid);
		return rc;
	}
	char mac[18];
	LOG_INFO("port %u %s started: %u queue pair(s), mac %s", *pid, device, dp.n_workers,
		 svr_mac_fmt(p->mac.addr_bytes, mac, sizeof(mac)));
	log_rss(p);
	return 0;
}

void dp_port_set_mtu(uint16_t pid, uint16_t mtu)
{
	struct dp_port *p = dp_ports[pid];
	if (!p || p->mtu_asked == mtu)
		return; /* said once per value: re-applies do not repeat it */
	p->mtu_asked = mtu;
	uint16_t now = 0;
	rte_eth_dev_get_mtu(pid, &now);
	/* Set even when ethdev already says so: it may not have told the device (af_packet's
	 * kernel interface keeps its own until set). */
	int rc = rte_eth_dev_set_mtu(pid, mtu);
	if (rc == 0)
		LOG_INFO("port %u %s: MTU %u", pid, p->device, mtu);
	else if (rc == -ENOTSUP)
		LOG_INFO("port %u %s: the device has no MTU to set; it stays %u, the model's %u "
			 "holds for what the router sends",
			 pid, p->device, now, mtu);
	else
		LOG_WARN(
		    "port %u %s: the device refuses MTU %u (%s) and keeps %u: it may drop "
		    "received frames longer than that; the model's MTU still holds for what the "
		    "router sends",
		    pid, p->device, mtu, rte_strerror(-rc), now);
}

void dp_port_remove(uint16_t pid)
{
	struct dp_port *p = dp_ports[pid];
	if (!p)
		return;
	struct rte_eth_dev_info info;
	struct rte_device *dev = NULL;
	if (rte_eth_dev_info_get(pid, &info) == 0)
		dev = info.device; /* read before close: close frees it */
	rte_eth_dev_stop(pid);
	rte_eth_dev_close(pid);
	if (dev)
		rte_dev_remove(dev);
	LOG_INFO("port %u %s removed", pid, p->device);
	rte_free(p);
	dp_ports[pid] = NULL;
}
