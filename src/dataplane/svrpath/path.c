/* SPDX-License-Identifier: BSD-3-Clause */
/* Peer-path slots and what each generation says about them (path.h). */
#include "svrpath/path.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "common/image.h"
#include "flow/state.h"
#include "svrpath/internal.h"

static struct dp_svr_path paths[DP_MAX_SVR_PATHS];
/* appended by the main lcore (release), read by workers looking a path up (acquire) */
static _Atomic unsigned n_paths;

int dp_svr_path_slot(const char *peer, const char *name, uint32_t local, uint32_t remote)
{
	unsigned n = atomic_load_explicit(&n_paths, memory_order_relaxed); /* the only writer */
	for (unsigned i = 0; i < n; i++)
		if (paths[i].local == local && paths[i].remote == remote &&
		    strcmp(paths[i].peer, peer) == 0 && strcmp(paths[i].name, name) == 0)
			return (int)i;
	if (n == DP_MAX_SVR_PATHS)
		return -1;
	struct dp_svr_path *p = &paths[n];
	p->local = local;
	p->remote = remote;
	atomic_store_explicit(&p->binding, 0, memory_order_relaxed); /* not learned yet */
	snprintf(p->peer, sizeof(p->peer), "%s", peer);
	snprintf(p->name, sizeof(p->name), "%s", name);
	atomic_store_explicit(&n_paths, n + 1, memory_order_release); /* after its fields */
	return (int)n;
}

struct dp_svr_path_packets dp_svr_path_packets_by_worker[DP_MAX_WORKERS];

uint32_t dp_svr_path_packets(uint16_t slot, bool to_peer)
{
	uint32_t sum = 0;
	for (unsigned w = 0; w < DP_MAX_WORKERS; w++) {
		const struct dp_svr_path_packets *c = &dp_svr_path_packets_by_worker[w];
		sum += __atomic_load_n(to_peer ? &c->to_peer[slot] : &c->from_peer[slot],
				       __ATOMIC_RELAXED);
	}
	return sum;
}

struct json_t *(*dp_svr_path_show_liveness)(uint16_t slot);
struct json_t *(*dp_svr_peers_show_degraded)(void);

const struct dp_svr_path *dp_svr_path(uint16_t slot)
{
	return &paths[slot];
}

void dp_svr_path_bind(uint16_t slot, uint64_t binding)
{
	atomic_store_explicit(&paths[slot].binding, binding, memory_order_release);
}

unsigned dp_svr_path_count(void)
{
	return atomic_load_explicit(&n_paths, memory_order_acquire);
}

void dp_svr_path_policy_fill(struct dp_svr_path_policy *pp, const void *img,
			     const struct svr_img_peer_path *ipp, uint16_t iface)
{
	uint32_t n;
	const struct svr_img_security *sec = svr_img_table(img, SVR_SEC_SECURITY_POLICIES, &n);
	uint32_t security = ipp->security;
	*pp = (struct dp_svr_path_policy){
	    .in_model = true,
	    .vector = svr_img_str(img, ipp->vector),
	    .iface = iface,
	    .peer_port_lo = ipp->remote_port_lo ? ipp->remote_port_lo : SVR_PEER_WAYPORT_LO,
	    .peer_port_hi = ipp->remote_port_lo ? ipp->remote_port_hi : SVR_PEER_WAYPORT_HI,
	    .hmac = SVR_HMAC_NONE, /* no policy: nothing signed or encrypted */
	    .encryption = SVR_CIPHER_NONE,
	    /* the image checker holds the timers to the model's ranges: never 0 */
	    .bfd_tx_us = ipp->bfd_tx_ms * 1000,
	    .bfd_rx_us = ipp->bfd_rx_ms * 1000,
	    .bfd_mult = ipp->bfd_mult,
	    .bfd_enabled = ipp->bfd_enabled != 0,
	    .hold_down_s = ipp->hold_down_s,
	    .max_hold_down_s = ipp->max_hold_down_s,
	    .link_test_interval_s = ipp->link_test_interval_s,
	    .link_test_length = ipp->link_test_length,
	    .echo_interval_ms = ipp->echo_interval_ms,
	    .learned = (ipp->flags & SVR_IMG_PATH_REMOTE_LEARNED) != 0,
	    .no_initiate = (ipp->flags & SVR_IMG_PATH_NO_INITIATE) != 0};
	struct svr_prefix nh;
	svr_img_prefix_to(&ipp->nexthop, &nh);
	if (nh.ip.family == SVR_AF_INET)
		pp->nexthop = nh.ip;
	if (security < n) {
		pp->hmac = sec[security].hmac_cipher;
		pp->time_based = sec[security].hmac_mode == SVR_HMAC_TIME_BASED;
		pp->encryption = sec[security].encryption_cipher;
	}
}

int dp_svr_path_find(const struct dp_gen *g, uint32_t local, uint32_t remote)
{
	unsigned n = atomic_load_explicit(&n_paths, memory_order_acquire);
	for (unsigned i = 0; i < n; i++)
		if (paths[i].local == local && dp_svr_path_remote(&paths[i]) == remote &&
		    g->spol->svr_paths[i].in_model)
			return (int)i;
	return -1;
}

uint8_t dp_svr_hmac_flags(const struct dp_gen *g, uint16_t slot, bool to_peer)
{
	if (!dp_svr_path_signed(dp_svr_path_policy(g, slot)))
		return 0;
	return to_peer ? SVR_RW_HMAC_ADD : SVR_RW_HMAC_CHECK;
}

int dp_svr_path_successor(const struct dp_gen *g, uint16_t slot)
{
	const struct dp_svr_path *old = &paths[slot];
	unsigned n = atomic_load_explicit(&n_paths, memory_order_acquire);
	for (unsigned i = 0; i < n; i++)
		if (i != slot && g->spol->svr_paths[i].in_model && paths[i].remote == old->remote &&
		    paths[i].local != old->local && strcmp(paths[i].peer, old->peer) == 0 &&
		    strcmp(paths[i].name, old->name) == 0)
			return (int)i;
	return -1;
}

bool dp_svr_iface_has_path(const struct dp_gen *g, uint16_t iface)
{
	unsigned n = atomic_load_explicit(&n_paths, memory_order_acquire);
	for (unsigned slot = 0; slot < n; slot++) {
		const struct dp_svr_path_policy *p = dp_svr_path_policy(g, (uint16_t)slot);
		if (p->in_model && p->iface == iface)
			return true;
	}
	return false;
}
