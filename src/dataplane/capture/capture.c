/* SPDX-License-Identifier: BSD-3-Clause */
#include "capture/capture.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "capture/ring.h"
#include "common/bytes.h"
#include "common/log.h"
#include "core/dp.h"

/* What one queue's callbacks need: run by the worker that polls that queue. */
struct cap_queue {
	struct svr_cap_ring *ring;
	uint16_t vlan; /* the interface's VLAN; 0: untagged frames only */
	uint16_t snaplen;
};

static struct {
	uint64_t id; /* 0: no capture */
	char iface[DP_IFNAME_LEN];
	uint16_t port, vlan, snaplen;
	uint32_t slots; /* per worker ring */
	uint64_t last_read_ms;
	uint64_t base_tsc, base_ns, tsc_hz; /* the TSC at base_ns (unix time) */
	uint64_t packets;                   /* handed to the client */
	uint64_t dropped_seen;              /* already added to the capture-dropped event */
	unsigned n_queues;
	struct cap_queue queues[RTE_MAX_LCORE];
	const struct rte_eth_rxtx_callback *rx_cb[RTE_MAX_LCORE], *tx_cb[RTE_MAX_LCORE];
} cap;
static uint64_t next_id = 1;
static uint64_t last_dropped; /* of the capture that ended last */

/* The frame's VLAN id from its tag, 0 if untagged. */
static inline uint16_t frame_vlan(const struct rte_mbuf *m)
{
	if (rte_pktmbuf_data_len(m) < 18)
		return 0;
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	return svr_rd16(d + 12) == 0x8100 ? (uint16_t)(svr_rd16(d + 14) & 0x0fff) : 0;
}

/* Worker context, inside rte_eth_rx_burst/tx_burst: copies, never waits. */
static void capture_burst(struct cap_queue *q, struct rte_mbuf **pkts, uint16_t n, uint8_t dir)
{
	if (n == 0)
		return;
	uint64_t tsc = rte_rdtsc(); /* one clock read per burst */
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		if (frame_vlan(m) != q->vlan)
			continue;
		struct svr_cap_slot *s = svr_cap_ring_reserve(q->ring);
		if (!s)
			continue; /* counted by the ring */
		uint32_t len = rte_pktmbuf_pkt_len(m);
		uint32_t take = len < q->snaplen ? len : q->snaplen;
		const void *p = rte_pktmbuf_read(m, 0, take, s->data);
		if (p && p != s->data)
			memcpy(s->data, p, take);
		s->tsc = tsc;
		s->orig_len = len;
		s->cap_len = (uint16_t)(p ? take : 0);
		s->dir = dir;
		svr_cap_ring_commit(q->ring);
	}
}

static uint16_t rx_cb(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n,
		      uint16_t max, void *arg)
{
	(void)port, (void)queue, (void)max;
	capture_burst(arg, pkts, n, SVR_CAP_RX);
	return n;
}

static uint16_t tx_cb(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n, void *arg)
{
	(void)port, (void)queue;
	capture_burst(arg, pkts, n, SVR_CAP_TX);
	return n;
}

static uint64_t total_dropped(void)
{
	uint64_t d = 0;
	for (unsigned q = 0; q < cap.n_queues; q++)
		if (cap.queues[q].ring) /* NULL: a start that failed part way */
			d += svr_cap_ring_dropped(cap.queues[q].ring);
	return d;
}

/* Counts ring overruns as the capture-dropped event (main lcore). */
static uint64_t account_dropped(void)
{
	uint64_t d = total_dropped();
	dp.main_stats.events[SVR_EV_CAPTURE_DROPPED] += d - cap.dropped_seen;
	cap.dropped_seen = d;
	return d;
}

static void capture_end(void)
{
	if (!cap.id)
		return;
	/* A callback DPDK would not unlink may still run: it and its ring are never freed. */
	bool rx_gone[RTE_MAX_LCORE] = {0}, tx_gone[RTE_MAX_LCORE] = {0};
	for (unsigned q = 0; q < cap.n_queues; q++) {
		rx_gone[q] = !cap.rx_cb[q] ||
			     rte_eth_remove_rx_callback(cap.port, (uint16_t)q, cap.rx_cb[q]) == 0;
		tx_gone[q] = !cap.tx_cb[q] ||
			     rte_eth_remove_tx_callback(cap.port, (uint16_t)q, cap.tx_cb[q]) == 0;
	}
	/* Every worker past its quiescent point is out of any callback: free them. */
	rte_rcu_qsbr_synchronize(dp.qsbr, RTE_QSBR_THRID_INVALID);
	account_dropped();
	for (unsigned q = 0; q < cap.n_queues; q++) {
		if (!rx_gone[q] || !tx_gone[q]) {
			LOG_WARN("capture: port %u queue %u: a callback could not be removed; its "
				 "memory is kept",
				 cap.port, q);
			continue;
		}
		rte_free((void *)(uintptr_t)cap.rx_cb[q]);
		rte_free((void *)(uintptr_t)cap.tx_cb[q]);
		free(cap.queues[q].ring);
	}
	last_dropped = cap.dropped_seen;
	LOG_INFO("capture %" PRIu64 " on %s ended: %" PRIu64 " packets read, %" PRIu64
		 " not captured (ring full)",
		 cap.id, cap.iface, cap.packets, cap.dropped_seen);
	memset(&cap, 0, sizeof(cap));
}

static const struct dp_iface *iface_by_name(const char *name)
{
	const struct dp_gen *g = dp_gen_main();
	for (unsigned i = 0; g && name && i < g->n_ifaces; i++)
		if (g->ifaces[i].in_use && strcmp(g->ifaces[i].name, name) == 0)
			return &g->ifaces[i];
	return NULL;
}

static uint64_t unix_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int install_callbacks(void)
{
	cap.n_queues = dp.n_workers;
	for (unsigned q = 0; q < cap.n_queues; q++) {
		cap.queues[q] = (struct cap_queue){
		    .ring = svr_cap_ring_new(cap.slots), .vlan = cap.vlan, .snaplen = cap.snaplen};
		if (!cap.queues[q].ring)
			return -1;
	}
	for (unsigned q = 0; q < cap.n_queues; q++) {
		cap.rx_cb[q] =
		    rte_eth_add_rx_callback(cap.port, (uint16_t)q, rx_cb, &cap.queues[q]);
		cap.tx_cb[q] =
		    rte_eth_add_tx_callback(cap.port, (uint16_t)q, tx_cb, &cap.queues[q]);
		if (!cap.rx_cb[q] || !cap.tx_cb[q])
			return -1;
	}
	return 0;
}

json_t *dp_capture_start_cmd(const json_t *req, const char **error)
{
	const char *name = json_string_value(json_object_get(req, "interface"));
	const json_t *sl = json_object_get(req, "snaplen"), *bu = json_object_get(req, "buffer");
	const struct dp_iface *ifc = iface_by_name(name);
	if (!name) {
		*error = "interface: required (a router interface name)";
		return NULL;
	}
	if (!ifc) {
		*error = "interface: no router interface has this name (see show interfaces)";
		return NULL;
	}
	if (sl && (!json_is_integer(sl) || json_integer_value(sl) < 64 ||
		   json_integer_value(sl) > SVR_CAP_SNAPLEN_MAX)) {
		*error = "snaplen: must be an integer 64-2048";
		return NULL;
	}
	if (bu && (!json_is_integer(bu) || json_integer_value(bu) < DP_CAPTURE_SLOTS_MIN ||
		   json_integer_value(bu) > DP_CAPTURE_SLOTS_MAX)) {
		*error = "buffer: must be an integer 8-8192 (packets per worker)";
		return NULL;
	}
	uint64_t now = dp_now_ms();
	if (cap.id && now - cap.last_read_ms < DP_CAPTURE_LEASE_MS) {
		*error = "a capture is already running (one at a time)";
		return NULL;
	}
	capture_end(); /* one whose client went away */
	cap.id = next_id++;
	snprintf(cap.iface, sizeof(cap.iface), "%s", ifc->name);
	cap.port = ifc->port;
	cap.vlan = ifc->vlan;
	cap.snaplen = sl ? (uint16_t)json_integer_value(sl) : SVR_CAP_SNAPLEN_MAX;
	cap.slots = DP_CAPTURE_SLOTS;
	if (bu)
		cap.slots = (uint32_t)rte_align32pow2((uint32_t)json_integer_value(bu));
	cap.last_read_ms = now;
	cap.tsc_hz = rte_get_tsc_hz();
	cap.base_ns = unix_ns();
	cap.base_tsc = rte_rdtsc();
	if (install_callbacks() < 0) {
		capture_end();
		*error = "cannot install the capture (out of memory, or the port has no callbacks)";
		return NULL;
	}
	LOG_INFO("capture %" PRIu64 " on %s (port %u, vlan %u) started", cap.id, cap.iface,
		 cap.port, cap.vlan);
	return json_pack("{s:I, s:s, s:i, s:i, s:i, s:i}", "capture", (json_int_t)cap.id,
			 "interface", cap.iface, "port", cap.port, "vlan", cap.vlan, "snaplen",
			 cap.snaplen, "buffer", (int)cap.slots);
}

/* The capture request names: NULL and *error if it is not the running one. */
static bool capture_named(const json_t *req, const char **error)
{
	const json_t *id = json_object_get(req, "capture");
	if (!json_is_integer(id)) {
		*error = "capture: required (the number capture-start answered)";
		return false;
	}
	if (!cap.id || (uint64_t)json_integer_value(id) != cap.id) {
		*error = "capture: no such capture running (it was stopped, or its lease ran out)";
		return false;
	}
	return true;
}

/* The ring whose oldest packet is the oldest of all, or -1 when all are empty. */
static int oldest_ring(void)
{
	int best = -1;
	uint64_t best_tsc = 0;
	for (unsigned q = 0; q < cap.n_queues; q++) {
		const struct svr_cap_slot *s = svr_cap_ring_peek(cap.queues[q].ring);
		if (s && (best < 0 || s->tsc < best_tsc)) {
			best = (int)q;
			best_tsc = s->tsc;
		}
	}
	return best;
}

static json_t *slot_json(const struct svr_cap_slot *s)
{
	static const char hex[] = "0123456789abcdef";
	char buf[2 * SVR_CAP_SNAPLEN_MAX + 1];
	for (unsigned i = 0; i < s->cap_len; i++) {
		buf[2 * i] = hex[s->data[i] >> 4];
		buf[2 * i + 1] = hex[s->data[i] & 15];
	}
	buf[2 * s->cap_len] = '\0';
	/* Signed difference: a burst seen just before base_tsc is still right. */
	int64_t dt = (int64_t)(s->tsc - cap.base_tsc);
	int64_t ns = (int64_t)cap.base_ns + (int64_t)((double)dt * 1e9 / (double)cap.tsc_hz);
	return json_pack("{s:I, s:s, s:i, s:s}", "time-ns", (json_int_t)ns, "direction",
			 s->dir == SVR_CAP_TX ? "tx" : "rx", "length", (int)s->orig_len, "data",
			 buf);
}

json_t *dp_capture_read_cmd(const json_t *req, const char **error)
{
	if (!capture_named(req, error))
		return NULL;
	const json_t *mx = json_object_get(req, "max");
	if (mx && (!json_is_integer(mx) || json_integer_value(mx) < 1 ||
		   json_integer_value(mx) > DP_CAPTURE_READ_MAX)) {
		*error = "max: must be an integer 1-1000";
		return NULL;
	}
	json_int_t max = mx ? json_integer_value(mx) : DP_CAPTURE_READ_DEFL;
	cap.last_read_ms = dp_now_ms();
	json_t *arr = json_array();
	int q;
	/* An answer stays well under what the socket takes at once (net.core.wmem_max is 208 KiB
	 * by default), so the main lcore never waits on a slow reader and no packet taken off a
	 * ring is lost with a dropped client: the client asks again at once. */
	size_t hex_bytes = 0;
	while (json_array_size(arr) < (size_t)max && hex_bytes < DP_CAPTURE_READ_BYTES &&
	       (q = oldest_ring()) >= 0) {
		const struct svr_cap_slot *s = svr_cap_ring_peek(cap.queues[q].ring);
		hex_bytes += 2u * s->cap_len + 96;
		json_array_append_new(arr, slot_json(s));
		svr_cap_ring_pop(cap.queues[q].ring);
	}
	cap.packets += json_array_size(arr);
	return json_pack("{s:o, s:I, s:I}", "packets", arr, "read", (json_int_t)cap.packets,
			 "dropped", (json_int_t)account_dropped());
}

json_t *dp_capture_stop_cmd(const json_t *req, const char **error)
{
	if (!capture_named(req, error))
		return NULL;
	uint64_t read = cap.packets;
	capture_end(); /* callbacks gone first: the last overruns are counted */
	return json_pack("{s:I, s:I}", "read", (json_int_t)read, "dropped",
			 (json_int_t)last_dropped);
}

void dp_capture_poll(uint64_t now_ms)
{
	if (!cap.id)
		return;
	if (now_ms - cap.last_read_ms >= DP_CAPTURE_LEASE_MS) {
		LOG_NOTICE("capture %" PRIu64 " on %s: not read for %d ms, stopping", cap.id,
			   cap.iface, DP_CAPTURE_LEASE_MS);
		capture_end();
	} else if (!iface_by_name(cap.iface)) {
		LOG_NOTICE("capture %" PRIu64 ": interface %s is gone, stopping", cap.id,
			   cap.iface);
		capture_end();
	}
}

void dp_capture_port_gone(uint16_t port_id)
{
	if (cap.id && cap.port == port_id) {
		LOG_NOTICE("capture %" PRIu64 ": the device of %s is going, stopping", cap.id,
			   cap.iface);
		capture_end();
	}
}

void dp_capture_shutdown(void)
{
	capture_end();
}
