/* SPDX-License-Identifier: BSD-3-Clause */
#include "io/rss.h"

#include <string.h>

void dp_rss_plan(const struct rte_eth_dev_info *info, uint16_t n_queues, struct dp_rss *rss,
		 struct rte_eth_conf *conf)
{
	memset(rss, 0, sizeof(*rss));
	rss->hf = info->flow_type_rss_offloads & DP_RSS_HASH;
	rss->on = n_queues > 1 && rss->hf != 0;
	if (!rss->on) {
		rss->hf = 0;
		conf->rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
		return;
	}
	rss->key_len = info->hash_key_size;
	rss->symmetric = rss->key_len > 0;
	for (unsigned i = 0; i < rss->key_len; i++)
		rss->key[i] = i % 2 ? DP_RSS_SYMMETRIC_WORD & 0xff : DP_RSS_SYMMETRIC_WORD >> 8;
	conf->rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	conf->rx_adv_conf.rss_conf = (struct rte_eth_rss_conf){
	    .rss_key = rss->key_len ? rss->key : NULL,
	    .rss_key_len = rss->key_len,
	    .rss_hf = rss->hf,
	};
}

void dp_rss_reta_fill(struct rte_eth_rss_reta_entry64 *reta, uint16_t reta_size, uint16_t n_queues)
{
	for (unsigned i = 0; i < reta_size; i++) {
		struct rte_eth_rss_reta_entry64 *g = &reta[i / RTE_ETH_RETA_GROUP_SIZE];
		g->mask |= 1ULL << (i % RTE_ETH_RETA_GROUP_SIZE);
		g->reta[i % RTE_ETH_RETA_GROUP_SIZE] = (uint16_t)(i % n_queues);
	}
}
