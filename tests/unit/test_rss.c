/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RSS choices (io/rss.c): off where the device offers none or there is one queue; otherwise the
 * hash types we want as far as the device has them, the symmetric key at the device's key size
 * (both directions of a flow hash alike: checked with DPDK's software Toeplitz), and a
 * redirection table spread evenly over the queues.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_thash.h>

#include "io/rss.h"

/* What a NIC reports: Toeplitz over the usual types, a 40-byte key, a 128-entry table. */
static struct rte_eth_dev_info nic(void)
{
	struct rte_eth_dev_info info = {0};
	info.flow_type_rss_offloads = RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP |
				      RTE_ETH_RSS_SCTP | RTE_ETH_RSS_L2_PAYLOAD;
	info.hash_key_size = 40;
	info.reta_size = 128;
	return info;
}

static void off_without_device_rss(void **state)
{
	(void)state;
	struct rte_eth_dev_info info = {0}; /* af_packet, pcap: no hash types, no key */
	struct rte_eth_conf conf = {0};
	struct dp_rss rss;
	dp_rss_plan(&info, 2, &rss, &conf);
	assert_false(rss.on);
	assert_int_equal(conf.rxmode.mq_mode, RTE_ETH_MQ_RX_NONE);
	assert_null(conf.rx_adv_conf.rss_conf.rss_key);
}

static void off_with_one_queue(void **state)
{
	(void)state;
	struct rte_eth_dev_info info = nic();
	struct rte_eth_conf conf = {0};
	struct dp_rss rss;
	dp_rss_plan(&info, 1, &rss, &conf);
	assert_false(rss.on);
	assert_int_equal(conf.rxmode.mq_mode, RTE_ETH_MQ_RX_NONE);
}

static void on_with_symmetric_key(void **state)
{
	(void)state;
	struct rte_eth_dev_info info = nic();
	struct rte_eth_conf conf = {0};
	struct dp_rss rss;
	dp_rss_plan(&info, 2, &rss, &conf);
	assert_true(rss.on);
	assert_true(rss.symmetric);
	assert_int_equal(conf.rxmode.mq_mode, RTE_ETH_MQ_RX_RSS);
	/* Ours only (no SCTP, no L2 payload), and only what the device offers. */
	assert_int_equal(conf.rx_adv_conf.rss_conf.rss_hf,
			 RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP);
	assert_int_equal(conf.rx_adv_conf.rss_conf.rss_key_len, 40);
	assert_ptr_equal(conf.rx_adv_conf.rss_conf.rss_key, rss.key);
	for (unsigned i = 0; i < 40; i += 2) {
		assert_int_equal(rss.key[i], 0x6d);
		assert_int_equal(rss.key[i + 1], 0x5a);
	}

	info.flow_type_rss_offloads = RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_L2_PAYLOAD;
	dp_rss_plan(&info, 2, &rss, &conf);
	assert_int_equal(conf.rx_adv_conf.rss_conf.rss_hf, RTE_ETH_RSS_IPV4);

	info.flow_type_rss_offloads = RTE_ETH_RSS_L2_PAYLOAD; /* nothing of ours */
	dp_rss_plan(&info, 2, &rss, &conf);
	assert_false(rss.on);
	assert_int_equal(conf.rxmode.mq_mode, RTE_ETH_MQ_RX_NONE);
}

static void device_key_when_it_takes_none(void **state)
{
	(void)state;
	struct rte_eth_dev_info info = nic();
	info.hash_key_size = 0;
	struct rte_eth_conf conf = {0};
	struct dp_rss rss;
	dp_rss_plan(&info, 4, &rss, &conf);
	assert_true(rss.on);
	assert_false(rss.symmetric);
	assert_null(conf.rx_adv_conf.rss_conf.rss_key);
	assert_int_equal(conf.rx_adv_conf.rss_conf.rss_key_len, 0);
}

static uint32_t hash4(const uint8_t *key, uint32_t src, uint32_t dst, uint16_t sport,
		      uint16_t dport)
{
	union rte_thash_tuple t = {
	    .v4 = {.src_addr = src, .dst_addr = dst, .sport = sport, .dport = dport}};
	return rte_softrss((uint32_t *)&t, RTE_THASH_V4_L4_LEN, key);
}

static uint32_t hash6(const uint8_t *key, const uint8_t *src, const uint8_t *dst, uint16_t sport,
		      uint16_t dport)
{
	union rte_thash_tuple t;
	memset(&t, 0, sizeof(t));
	/* rte_softrss reads the tuple as host-order words */
	for (int i = 0; i < 4; i++) {
		uint32_t s, d;
		memcpy(&s, src + 4 * i, 4);
		memcpy(&d, dst + 4 * i, 4);
		((uint32_t *)t.v6.src_addr)[i] = rte_be_to_cpu_32(s);
		((uint32_t *)t.v6.dst_addr)[i] = rte_be_to_cpu_32(d);
	}
	t.v6.sport = sport;
	t.v6.dport = dport;
	return rte_softrss((uint32_t *)&t, RTE_THASH_V6_L4_LEN, key);
}

/* Both directions of many flows: one hash, so one queue, for IPv4 and IPv6 alike. */
static void both_directions_hash_alike(void **state)
{
	(void)state;
	struct rte_eth_dev_info info = nic();
	struct rte_eth_conf conf = {0};
	struct dp_rss rss;
	dp_rss_plan(&info, 2, &rss, &conf);
	srand(12);
	unsigned spread[2] = {0, 0};
	for (int i = 0; i < 1000; i++) {
		uint32_t a = 0xc6120000u | (uint32_t)(rand() & 0x1ffff), b = (uint32_t)rand();
		uint16_t p = (uint16_t)rand(), q = (uint16_t)rand();
		uint32_t h = hash4(rss.key, a, b, p, q);
		assert_int_equal(h, hash4(rss.key, b, a, q, p));
		spread[h % 128 % 2]++; /* table entry, then its queue (round-robin table) */
		uint8_t s6[16], d6[16];
		for (int k = 0; k < 16; k++) {
			s6[k] = (uint8_t)rand();
			d6[k] = (uint8_t)rand();
		}
		assert_int_equal(hash6(rss.key, s6, d6, p, q), hash6(rss.key, d6, s6, q, p));
	}
	/* ... and the flows still spread over both queues. */
	assert_true(spread[0] > 400 && spread[1] > 400);

	/* The test can tell: a key without the 16-bit period (DPDK's default) is not symmetric. */
	static const uint8_t asym[40] __rte_aligned(4) = {
	    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
	    0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
	    0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};
	assert_int_not_equal(hash4(asym, 0xc6120102, 0xc6120202, 40000, 5201),
			     hash4(asym, 0xc6120202, 0xc6120102, 5201, 40000));
}

static void reta_spreads_over_queues(void **state)
{
	(void)state;
	struct rte_eth_rss_reta_entry64 reta[8];
	for (uint16_t nq = 1; nq <= 5; nq++) {
		memset(reta, 0, sizeof(reta));
		dp_rss_reta_fill(reta, 512, nq);
		unsigned count[5] = {0};
		for (unsigned i = 0; i < 512; i++) {
			const struct rte_eth_rss_reta_entry64 *g =
			    &reta[i / RTE_ETH_RETA_GROUP_SIZE];
			assert_true(g->mask >> (i % RTE_ETH_RETA_GROUP_SIZE) & 1);
			uint16_t q = g->reta[i % RTE_ETH_RETA_GROUP_SIZE];
			assert_true(q < nq);
			count[q]++;
		}
		for (unsigned q = 0; q < nq; q++) /* even: no queue more than one entry ahead */
			assert_true(count[q] == 512u / nq || count[q] == 512u / nq + 1);
	}
	/* A 64-entry table: one group, every entry marked. */
	memset(reta, 0, sizeof(reta));
	dp_rss_reta_fill(reta, 64, 2);
	assert_true(reta[0].mask == UINT64_MAX);
	assert_true(reta[1].mask == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(off_without_device_rss),
	    cmocka_unit_test(off_with_one_queue),
	    cmocka_unit_test(on_with_symmetric_key),
	    cmocka_unit_test(device_key_when_it_takes_none),
	    cmocka_unit_test(both_directions_hash_alike),
	    cmocka_unit_test(reta_spreads_over_queues),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
