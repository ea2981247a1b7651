/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Receive-side scaling: how a port spreads its packets over the workers' RX
 * queues. Pure functions of what the device reports (no device access), so
 * the choices are testable without hardware; port.c applies them.
 */
#ifndef SVR_RSS_H
#define SVR_RSS_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>

/*
 * Every 16 bits of the Toeplitz key the same (0x6d5a): the hash of a packet and of its answer
 * (source and destination addresses and ports swapped) are equal, so both directions of a flow
 * reach the same queue.
 */
#define DP_RSS_SYMMETRIC_WORD 0x6d5a
/* What we hash on: addresses, and the ports of TCP and UDP, IPv4 and IPv6. */
#define DP_RSS_HASH (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP)

struct dp_rss {
	bool on;         /* the port spreads over its queues */
	bool symmetric;  /* with our key; false: the device's own (it takes none) */
	uint64_t hf;     /* hash types: DP_RSS_HASH as far as the device offers them */
	uint8_t key_len; /* the device's key size; 0: it takes none */
	uint8_t key[UINT8_MAX] __rte_aligned(4); /* read as words by software Toeplitz */
};

/*
 * What RSS a device described by info gets for n_queues RX queues: rss says, and conf's RX
 * multi-queue mode and RSS configuration are set to match (conf points into rss->key, which must
 * outlive rte_eth_dev_configure). Off with one queue, or when the device offers no hash types of
 * ours (af_packet, pcap: the kernel or nothing spreads their packets).
 */
void dp_rss_plan(const struct rte_eth_dev_info *info, uint16_t n_queues, struct dp_rss *rss,
		 struct rte_eth_conf *conf);

/* A redirection table of reta_size entries (reta: zeroed, reta_size / RTE_ETH_RETA_GROUP_SIZE
 * groups rounded up), every entry marked for writing, round-robin over n_queues queues. */
void dp_rss_reta_fill(struct rte_eth_rss_reta_entry64 *reta, uint16_t reta_size, uint16_t n_queues);

#endif
