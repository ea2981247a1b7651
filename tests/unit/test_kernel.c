/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The exception path's frames (kernel/exception.c) against a fake twin: the twin's descriptor is
 * one end of a datagram socket pair, so what goes "up" is read at the other end and what the
 * "kernel" sends is written there. Policy (host-access rules as the model's default has them:
 * SSH and BGP from the connected subnet; kernel/access.c), the per-twin buckets, the
 * untagging of 802.1Q frames, the counters, and the checks on frames coming down (length,
 * EtherType, reserved destinations).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "core/dp.h"
#include "kernel/access_build.h"
#include "kernel/kernel.h"
#include "kernel/twin.h"

#include "eal_fixture.h"

struct dp dp;
static struct dp_config conf;
static struct dp_gen *gen;
static int peer = -1; /* the "kernel's" end of twin 0 */
/* TCP 22 and 179 from the arriving interface's subnet: the client's frames to 8080 are refused. */
static struct dp_host_rule rules[] = {
    {.protocol = 6,
     .has_ports = true,
     .from_connected = true,
     .port_lo = 22,
     .port_hi = 22,
     .slots = UINT64_MAX},
    {.protocol = 6,
     .has_ports = true,
     .from_connected = true,
     .port_lo = 179,
     .port_hi = 179,
     .slots = UINT64_MAX},
};
static struct dp_host_access host_access = {.n_rules = 2, .rules = rules};

uint64_t dp_now_ms(void)
{
	return rte_get_tsc_cycles() / (rte_get_tsc_hz() / 1000);
}

static const uint8_t mac_a[6] = {0x02, 0, 0, 0, 0, 0x0a}, mac_c[6] = {0x02, 0, 0, 0, 0, 0x0c};

/* A frame from the client to the router: TCP to dport, with an 802.1Q tag when vlan. */
static struct rte_mbuf *tcp_frame(uint16_t dport, uint16_t vlan)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(dp.pool);
	assert_non_null(m);
	unsigned l3 = vlan ? 18 : 14, len = l3 + 40;
	uint8_t *d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
	if (!d) /* checked so that gcc knows d is a buffer (-Warray-bounds) */
		abort();
	memset(d, 0, len);
	memcpy(d, mac_a, 6);
	memcpy(d + 6, mac_c, 6);
	if (vlan) {
		d[12] = 0x81;
		d[14] = (uint8_t)(vlan >> 8);
		d[15] = (uint8_t)vlan;
	}
	d[l3 - 2] = 0x08;
	uint8_t *ip = d + l3;
	ip[0] = 0x45;
	ip[3] = 40;
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, (uint8_t[]){198, 18, 1, 2, 198, 18, 1, 1}, 8);
	ip[20] = 0x9c; /* sport 40000 */
	ip[21] = 0x40;
	ip[22] = (uint8_t)(dport >> 8);
	ip[23] = (uint8_t)dport;
	ip[33] = 0x02; /* SYN */
	dp_meta(m)->iface_in = 0;
	dp_meta(m)->l3_off = (uint8_t)l3;
	return m;
}

static ssize_t kernel_read(uint8_t *buf, size_t len)
{
	return recv(peer, buf, len, MSG_DONTWAIT);
}

static void twin_reset(unsigned rate, unsigned burst)
{
	struct dp_kernel_twin *t = &dp_kernel.twins[0];
	uint64_t hz = rte_get_tsc_hz(), now = rte_get_tsc_cycles();
	t->up = t->down = t->rate_limited_up = t->rate_limited_down = 0;
	svr_tbucket_init(&t->tb_up, (uint64_t)rate * 8, burst, hz, now);
	svr_tbucket_init(&t->tb_down, (uint64_t)rate * 8, burst, hz, now);
	memset(&dp.main_stats, 0, sizeof(dp.main_stats));
	uint8_t buf[4096];
	while (kernel_read(buf, sizeof(buf)) > 0) /* nothing left from an earlier test */
		;
}

static int setup(void **state)
{
	if (eal_setup(state) < 0)
		return -1;
	dp.pool = rte_pktmbuf_pool_create(
	    "kt", 1024, 0, RTE_ALIGN(sizeof(struct dp_pkt_meta), RTE_MBUF_PRIV_ALIGN),
	    RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	gen = calloc(1, sizeof(*gen));
	if (!dp.pool || !gen)
		return -1;
	conf.kernel = true;
	dp.conf = &conf;
	gen->n_ifaces = 1;
	gen->ifaces[0].in_use = true;
	gen->ifaces[0].mtu = 1500;
	snprintf(gen->ifaces[0].name, sizeof(gen->ifaces[0].name), "a");
	memcpy(gen->ifaces[0].mac.addr_bytes, mac_a, 6);
	gen->ifaces[0].n_addrs = 1;
	svr_prefix_parse("198.18.1.1/24", &gen->ifaces[0].addrs[0], false);
	gen->host_access = &host_access;
	atomic_store(&dp.gen, gen);
	if (dp_kernel_init() < 0)
		return -1;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv) < 0)
		return -1;
	dp_kernel.twins[0].fd = sv[0];
	snprintf(dp_kernel.twins[0].name, sizeof(dp_kernel.twins[0].name), "a");
	peer = sv[1];
	return 0;
}

static int teardown(void **state)
{
	close(peer);
	dp_kernel_shutdown();
	free(gen);
	rte_mempool_free(dp.pool);
	return eal_teardown(state);
}

static void admitted_goes_up_untagged(void **state)
{
	(void)state;
	twin_reset(1000, 10);
	uint8_t buf[4096];
	dp_kernel_up(tcp_frame(22, 0));
	assert_int_equal(kernel_read(buf, sizeof(buf)), 54);
	assert_memory_equal(buf, mac_a, 6);
	assert_int_equal(buf[12], 0x08);
	assert_int_equal(buf[14], 0x45);
	/* a tagged frame reaches the twin without its tag: the twin is the VLAN's interface */
	dp_kernel_up(tcp_frame(179, 7));
	assert_int_equal(kernel_read(buf, sizeof(buf)), 54);
	assert_int_equal(buf[12], 0x08);
	assert_int_equal(buf[13], 0x00);
	assert_int_equal(buf[14], 0x45);
	assert_int_equal(dp_kernel.twins[0].up, 2);
	assert_int_equal(dp.main_stats.events[SVR_EV_KERNEL_UP], 2);
	assert_int_equal(rte_mempool_in_use_count(dp.pool), 0);
}

static void refused_is_counted_and_costs_no_token(void **state)
{
	(void)state;
	twin_reset(1, 1);
	uint8_t buf[4096];
	for (int i = 0; i < 5; i++)
		dp_kernel_up(tcp_frame(8080, 0));
	assert_int_equal(kernel_read(buf, sizeof(buf)), -1);
	assert_int_equal(dp.main_stats.drops[SVR_DROP_HOST_ACCESS_DENIED], 5);
	assert_int_equal(dp_kernel.twins[0].rate_limited_up, 0);
	dp_kernel_up(tcp_frame(22, 0)); /* the bucket's one token is still there */
	assert_int_equal(kernel_read(buf, sizeof(buf)), 54);
	assert_int_equal(rte_mempool_in_use_count(dp.pool), 0);
}

static void over_the_rate_is_dropped(void **state)
{
	(void)state;
	twin_reset(1, 3); /* a token a second: none comes back during the test */
	uint8_t buf[4096];
	for (int i = 0; i < 10; i++)
		dp_kernel_up(tcp_frame(22, 0));
	unsigned got = 0;
	while (kernel_read(buf, sizeof(buf)) > 0)
		got++;
	assert_int_equal(got, 3);
	assert_int_equal(dp_kernel.twins[0].up, 3);
	assert_int_equal(dp_kernel.twins[0].rate_limited_up, 7);
	assert_int_equal(dp.main_stats.drops[SVR_DROP_KERNEL_RATE], 7);
	/* copies (ARP, ND) take from the same bucket, and stay the caller's */
	struct rte_mbuf *m = tcp_frame(22, 0);
	dp_kernel_copy(m);
	assert_int_equal(dp.main_stats.drops[SVR_DROP_KERNEL_RATE], 8);
	rte_pktmbuf_free(m);
	assert_int_equal(rte_mempool_in_use_count(dp.pool), 0);
}

static void copy_needs_no_policy(void **state)
{
	(void)state;
	twin_reset(1000, 10);
	uint8_t buf[4096];
	struct rte_mbuf *m = tcp_frame(8080, 0); /* refused as a packet for the kernel */
	dp_kernel_copy(m);
	assert_int_equal(kernel_read(buf, sizeof(buf)), 54);
	assert_int_equal(dp.main_stats.drops[SVR_DROP_HOST_ACCESS_DENIED], 0);
	rte_pktmbuf_free(m);
}

static void down_frames_checked_and_policed(void **state)
{
	(void)state;
	twin_reset(1, 2);
	uint8_t frame[1600] = {0};
	memcpy(frame, mac_c, 6);
	memcpy(frame + 6, mac_a, 6);
	frame[12] = 0x08;
	struct rte_mbuf *out[8];
	assert_int_equal(send(peer, frame, 60, 0), 60);
	assert_int_equal(dp_kernel_down(out, 8), 1);
	assert_int_equal(rte_pktmbuf_data_len(out[0]), 60);
	assert_memory_equal(rte_pktmbuf_mtod(out[0], uint8_t *), frame, 60);
	assert_int_equal(dp_meta(out[0])->iface_out, 0);
	assert_int_equal(dp_meta(out[0])->l3_off, 14);
	rte_pktmbuf_free(out[0]);
	/* too short, longer than the MTU: refused; then the bucket's last token, then none */
	assert_int_equal(send(peer, frame, 10, 0), 10);
	assert_int_equal(send(peer, frame, 14 + 1501, 0), 14 + 1501);
	assert_int_equal(send(peer, frame, 14 + 1500, 0), 14 + 1500);
	assert_int_equal(send(peer, frame, 60, 0), 60);
	assert_int_equal(dp_kernel_down(out, 8), 1);
	assert_int_equal(rte_pktmbuf_data_len(out[0]), 14 + 1500);
	rte_pktmbuf_free(out[0]);
	assert_int_equal(dp.main_stats.drops[SVR_DROP_KERNEL_FRAME], 2);
	assert_int_equal(dp.main_stats.drops[SVR_DROP_KERNEL_RATE], 1);
	assert_int_equal(dp_kernel.twins[0].down, 2);
	assert_int_equal(dp_kernel.twins[0].rate_limited_down, 1);
	assert_int_equal(dp.main_stats.events[SVR_EV_KERNEL_DOWN], 2);
	assert_int_equal(dp_kernel_down(out, 8), 0); /* nothing more: no blocking */
	assert_int_equal(rte_mempool_in_use_count(dp.pool), 0);
}

/* A frame down from the "kernel" with the given destination and EtherType: 1 if it is let out. */
static unsigned down_one(const uint8_t dst[6], uint16_t type)
{
	uint8_t frame[60] = {0};
	memcpy(frame, dst, 6);
	memcpy(frame + 6, mac_a, 6);
	frame[12] = (uint8_t)(type >> 8);
	frame[13] = (uint8_t)type;
	frame[14] = type == 0x86dd ? 0x60 : 0x45;
	assert_int_equal(send(peer, frame, sizeof(frame), 0), (ssize_t)sizeof(frame));
	struct rte_mbuf *out[8];
	unsigned n = dp_kernel_down(out, 8);
	for (unsigned i = 0; i < n; i++)
		rte_pktmbuf_free(out[i]);
	return n;
}

/* Only IPv4, IPv6 and ARP go out, and never to 01:80:c2:00:00:00-0f: a process with
 * CAP_NET_RAW in the router's namespace could otherwise send a frame with a tag of its own
 * (VLAN hopping, QinQ), PAUSE, or STP/LACP/LLDP on the port. */
static void down_only_ip_and_arp(void **state)
{
	(void)state;
	twin_reset(1000, 100);
	static const uint8_t stp[6] = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x00},
			     lldp[6] = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e},
			     pause[6] = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x01},
			     past[6] = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x10};
	assert_int_equal(down_one(mac_c, 0x0800), 1);
	assert_int_equal(down_one(mac_c, 0x86dd), 1);
	assert_int_equal(down_one(mac_c, 0x0806), 1);
	assert_int_equal(down_one(past, 0x0800), 1); /* beyond the reserved block */
	unsigned refused = 0;
	refused += 1 - down_one(mac_c, 0x8100); /* 802.1Q */
	refused += 1 - down_one(mac_c, 0x88a8); /* 802.1ad */
	refused += 1 - down_one(mac_c, 0x9100);
	refused += 1 - down_one(pause, 0x8808); /* PAUSE */
	refused += 1 - down_one(mac_c, 0x8808);
	refused += 1 - down_one(lldp, 0x88cc);  /* LLDP */
	refused += 1 - down_one(stp, 0x0026);   /* STP: an 802.3 length, LLC */
	refused += 1 - down_one(mac_c, 0x8809); /* LACP */
	refused += 1 - down_one(stp, 0x0800);   /* the right type, a reserved address */
	refused += 1 - down_one(lldp, 0x86dd);
	refused += 1 - down_one(pause, 0x0806);
	refused += 1 - down_one(mac_c, 0x88e5); /* MACsec */
	assert_int_equal(refused, 12);
	assert_int_equal(dp.main_stats.drops[SVR_DROP_KERNEL_FRAME], 12);
	assert_int_equal(dp_kernel.twins[0].down, 4);
	assert_int_equal(dp.main_stats.events[SVR_EV_KERNEL_DOWN], 4);
	assert_int_equal(dp_kernel.twins[0].rate_limited_down, 0);
	assert_int_equal(rte_mempool_in_use_count(dp.pool), 0);
}

static void ext_free(void *addr, void *opaque)
{
	(void)opaque;
	free(addr);
}

/* A frame for the router whose L3 part is l3_bytes long (0 to 5) of an IP packet of the given
 * version, in a buffer of exactly the frame's size so that a read past it is caught (ASan). */
static struct rte_mbuf *short_frame(unsigned version, unsigned l3_bytes)
{
	static struct rte_mbuf_ext_shared_info shinfo;
	struct rte_mbuf *m = rte_pktmbuf_alloc(dp.pool);
	unsigned len = 14 + l3_bytes;
	uint8_t *d = malloc(len);
	if (!m || !d)
		abort();
	memset(d, 0xff, len);
	memcpy(d, mac_a, 6);
	memcpy(d + 6, mac_c, 6);
	d[12] = version == 4 ? 0x08 : 0x86;
	d[13] = version == 4 ? 0x00 : 0xdd;
	if (l3_bytes)
		d[14] = (uint8_t)(version << 4 | 5);
	shinfo.free_cb = ext_free;
	shinfo.fcb_opaque = NULL;
	rte_mbuf_ext_refcnt_set(&shinfo, 1);
	rte_pktmbuf_attach_extbuf(m, d, RTE_BAD_IOVA, (uint16_t)len, &shinfo);
	if (!rte_pktmbuf_append(m, (uint16_t)len))
		abort();
	dp_meta(m)->iface_in = 0;
	dp_meta(m)->l3_off = 14;
	return m;
}

/* An L3 part too short to hold its length (IPv4: 4 bytes, IPv6: 6) is refused, its length
 * field never read. */
static void too_short_for_its_length(void **state)
{
	(void)state;
	twin_reset(1000, 100);
	uint8_t buf[4096];
	unsigned n = 0;
	for (unsigned b = 0; b < 4; b++, n++)
		dp_kernel_up(short_frame(4, b));
	for (unsigned b = 0; b < 6; b++, n++)
		dp_kernel_up(short_frame(6, b));
	assert_int_equal(kernel_read(buf, sizeof(buf)), -1);
	assert_int_equal(dp.main_stats.drops[SVR_DROP_HOST_ACCESS_DENIED], n);
	assert_int_equal(dp_kernel.twins[0].up, 0);
	assert_int_equal(rte_mempool_in_use_count(dp.pool), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(admitted_goes_up_untagged),
	    cmocka_unit_test(refused_is_counted_and_costs_no_token),
	    cmocka_unit_test(over_the_rate_is_dropped),
	    cmocka_unit_test(copy_needs_no_policy),
	    cmocka_unit_test(down_frames_checked_and_policed),
	    cmocka_unit_test(down_only_ip_and_arp),
	    cmocka_unit_test(too_short_for_its_length),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
