/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The exception path's packets, main lcore: up to a twin (a packet for the router the
 * dataplane does not answer, after the exception policy; copies of ARP and neighbour
 * discovery), and down from it (what the kernel sends, out of the twin's interface). Each
 * direction of each twin has its own token bucket, so that a flood on one interface neither
 * reaches the kernel beyond the rate nor takes the rate of the others.
 */
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "common/bytes.h"
#include "core/dp.h"
#include "kernel/access.h"
#include "kernel/kernel.h"
#include "kernel/twin.h"

#define ETH_HLEN      14
#define ETH_ADDRS_LEN 12 /* destination and source MAC */
#define MAX_SEGS      8
#define DOWN_PER_TWIN 32 /* frames read from one twin per turn of the main loop */

static void drop(struct rte_mbuf *m, enum svr_drop_reason why)
{
	dp.main_stats.drops[why]++;
	rte_pktmbuf_free(m);
}

/* Writes m's frame to the twin as it was received, less any 802.1Q tag (the twin is the
 * interface, which is the VLAN). 0, or -1 (the twin down, gone or full, or a frame of more
 * segments than we gather). */
static int write_frame(const struct dp_kernel_twin *t, struct rte_mbuf *m)
{
	const struct dp_pkt_meta *meta = dp_meta(m);
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	struct iovec iov[MAX_SEGS + 1];
	unsigned n = 0;
	iov[n++] = (struct iovec){d, ETH_ADDRS_LEN};
	/* the EtherType of the payload, just before its L3 header, then the rest */
	iov[n++] =
	    (struct iovec){d + meta->l3_off - 2, rte_pktmbuf_data_len(m) - (meta->l3_off - 2u)};
	for (struct rte_mbuf *s = m->next; s; s = s->next) {
		if (n == RTE_DIM(iov))
			return -1;
		iov[n++] = (struct iovec){rte_pktmbuf_mtod(s, void *), rte_pktmbuf_data_len(s)};
	}
	return writev(t->fd, iov, (int)n) < 0 ? -1 : 0;
}

/* The IP packet's own length (without Ethernet padding), at most what the frame holds; 0 when
 * the frame ends before the length field (IPv4: bytes 2-3, IPv6: 4-5), read only once known
 * to be there. */
static uint32_t l3_length(struct rte_mbuf *m, const uint8_t *ip)
{
	uint32_t data = rte_pktmbuf_data_len(m), l3 = dp_meta(m)->l3_off;
	uint32_t have = data > l3 ? data - l3 : 0;
	if (have == 0)
		return 0;
	bool v4 = (ip[0] >> 4) == 4;
	if (have < (v4 ? 4u : 6u))
		return 0;
	uint32_t len = v4 ? svr_rd16(ip + 2) : 40u + svr_rd16(ip + 4);
	return len < have ? len : have;
}

void dp_kernel_up(struct rte_mbuf *m)
{
	const struct dp_pkt_meta *meta = dp_meta(m);
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, meta->l3_off);
	/* the policy first: refused packets take no token from those it admits */
	if (!dp_host_access_admits(dp_gen_main(), meta->iface_in, ip, l3_length(m, ip))) {
		drop(m, SVR_DROP_HOST_ACCESS_DENIED);
		return;
	}
	struct dp_kernel_twin *t = dp_kernel_twin(meta->iface_in);
	if (!t) {
		drop(m, SVR_DROP_KERNEL_UNREACHABLE);
		return;
	}
	if (!svr_tbucket_take(&t->tb_up, rte_get_tsc_cycles(), 1)) {
		t->rate_limited_up++;
		drop(m, SVR_DROP_KERNEL_RATE);
		return;
	}
	if (write_frame(t, m) < 0) {
		drop(m, SVR_DROP_KERNEL_UNREACHABLE);
		return;
	}
	t->up++;
	dp.main_stats.events[SVR_EV_KERNEL_UP]++;
	rte_pktmbuf_free(m);
}

void dp_kernel_copy(struct rte_mbuf *m)
{
	struct dp_kernel_twin *t = dp_kernel_twin(dp_meta(m)->iface_in);
	if (!t)
		return;
	if (!svr_tbucket_take(&t->tb_up, rte_get_tsc_cycles(), 1)) {
		t->rate_limited_up++;
		dp.main_stats.drops[SVR_DROP_KERNEL_RATE]++; /* the copy, not the frame */
		return;
	}
	if (write_frame(t, m) == 0) {
		t->up++;
		dp.main_stats.events[SVR_EV_KERNEL_UP]++;
	}
}

/* Whether a frame the kernel wrote on a twin may leave the port: only IPv4, IPv6 and ARP, and
 * never to the IEEE 802.1D reserved group addresses 01:80:c2:00:00:00-0f (STP, PAUSE, LACP,
 * LLDP, 802.1X...). Anything else (an 802.1Q/802.1ad tag of its own, which would hop VLANs,
 * PAUSE, slow protocols) is not the kernel's to send on the router's ports: any process with
 * CAP_NET_RAW in its namespace could write it. d holds at least ETH_HLEN bytes. */
static bool down_allowed(const uint8_t *d)
{
	static const uint8_t reserved[5] = {0x01, 0x80, 0xc2, 0x00, 0x00};
	if (memcmp(d, reserved, sizeof(reserved)) == 0 && (d[5] & 0xf0) == 0)
		return false;
	uint16_t type = svr_rd16(d + ETH_ADDRS_LEN);
	return type == 0x0800 || type == 0x86dd || type == 0x0806;
}

/* One frame from twin t of interface slot s into *out: 1, or 0 when the twin has no more
 * (or no buffer could be had). A frame over the rate, malformed or not one to send
 * (down_allowed) is dropped and counted. */
static int read_one(struct dp_kernel_twin *t, uint16_t s, struct rte_mbuf **out)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(dp.pool);
	if (!m) {
		dp.main_stats.drops[SVR_DROP_NO_MBUF]++;
		return 0;
	}
	/* headroom stays for an 802.1Q tag; a frame longer than the room is cut, and refused */
	ssize_t n = read(t->fd, rte_pktmbuf_mtod(m, void *), rte_pktmbuf_tailroom(m));
	if (n <= 0) {
		rte_pktmbuf_free(m);
		return 0;
	}
	const struct dp_gen *g = dp_gen_main();
	if (n < ETH_HLEN || n > ETH_HLEN + (ssize_t)g->ifaces[s].mtu ||
	    n >= (ssize_t)rte_pktmbuf_tailroom(m) ||
	    !down_allowed(rte_pktmbuf_mtod(m, uint8_t *))) {
		drop(m, SVR_DROP_KERNEL_FRAME);
		return -1;
	}
	if (!svr_tbucket_take(&t->tb_down, rte_get_tsc_cycles(), 1)) {
		t->rate_limited_down++;
		drop(m, SVR_DROP_KERNEL_RATE);
		return -1;
	}
	if (!rte_pktmbuf_append(m, (uint16_t)n)) { /* cannot be: n fits the tailroom */
		drop(m, SVR_DROP_KERNEL_FRAME);
		return -1;
	}
	struct dp_pkt_meta *meta = dp_meta(m);
	meta->iface_in = s;
	meta->iface_out = s;
	meta->l3_off = ETH_HLEN;
	t->down++;
	dp.main_stats.events[SVR_EV_KERNEL_DOWN]++;
	*out = m;
	return 1;
}

/* Which twins have frames: one poll() for all, rather than a read per twin and turn that
 * mostly finds nothing. ready[] gets their slots, starting with another twin each turn so
 * that a busy one cannot starve the others; returns how many. */
static unsigned twins_ready(uint16_t *ready)
{
	struct pollfd pfd[DP_MAX_IFACES];
	uint16_t slot[DP_MAX_IFACES];
	unsigned n = 0, first = dp_kernel.next_down++ % DP_MAX_IFACES, k = 0;
	for (unsigned i = 0; i < DP_MAX_IFACES; i++) {
		uint16_t s = (uint16_t)((first + i) % DP_MAX_IFACES);
		if (dp_kernel_twin(s)) {
			pfd[n] = (struct pollfd){.fd = dp_kernel.twins[s].fd, .events = POLLIN};
			slot[n++] = s;
		}
	}
	if (n == 0 || poll(pfd, n, 0) <= 0)
		return 0;
	for (unsigned i = 0; i < n; i++)
		if (pfd[i].revents & POLLIN)
			ready[k++] = slot[i];
	return k;
}

unsigned dp_kernel_down(struct rte_mbuf **out, unsigned max)
{
	unsigned got = 0;
	if (!dp_kernel.on || !dp_gen_main())
		return 0;
	uint16_t ready[DP_MAX_IFACES];
	unsigned n = twins_ready(ready);
	for (unsigned k = 0; k < n && got < max; k++) {
		struct dp_kernel_twin *t = dp_kernel_twin(ready[k]);
		for (unsigned i = 0; i < DOWN_PER_TWIN && got < max; i++) {
			int r = read_one(t, ready[k], &out[got]);
			if (r == 0)
				break;
			got += r > 0;
		}
	}
	return got;
}
