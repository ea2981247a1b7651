/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Duplicated sessions (docs/paths.md "Duplication"): resiliency duplicate sends each packet of a
 * session over two disjoint paths, and the receiving router forwards the first copy.
 *
 * A duplicated session is its entry (the first leg, on the choice's path) plus a second-leg
 * entry (svr_session_alias4) that publishes only its from-peer key, on the second path; both
 * name one ext slot (session/ext.h), whose to-peer line names the second leg and whose
 * from-peer line names the duplicate window both legs' arrivals go through.
 *
 * Both legs' first packets carry forward metadata with a Modify Request whose D bit says
 * "duplicated": the egress makes the session from whichever arrives first (with its ext slot and
 * window), and the other leg's becomes its second-leg entry, found by the UUID.
 */
#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "core/dp.h"
#include "core/worker.h"
#include "flow/names.h"
#include "flow/rewrite.h"
#include "session/ext.h"
#include "session/sessions.h"
#include "svrpath/path.h"

uint16_t dp_dup_take(struct dp_worker *w, enum svr_sdir from_peer)
{
	uint16_t x = dp_ext_take();
	if (x != DP_EXT_NONE && !dp_ext_take_dedupe(x, from_peer)) {
		dp_ext_give_back(x);
		x = DP_EXT_NONE;
	}
	if (x == DP_EXT_NONE)
		w->stats.dup_pool_full++; /* the session is made, not duplicated */
	return x;
}

void dp_dup_fill(struct svr_session *s, uint16_t x)
{
	dp_ext_fill(s, x);
	for (int d = 0; d < 2; d++) {
		struct svr_rewrite *rw = svr_session_rw(s, d);
		if (rw->svr & SVR_RW2_TO_PEER)
			rw->svr |= SVR_RW2_DUP;
	}
}

/* What a second leg's entry edits in the copy of its session. */
struct leg {
	const struct dp_gen *g;
	uint16_t slot;
};

/*
 * Ingress: the second leg leaves between the waypoints of its own pair on its path (the
 * reverse key the table settled): as create.c's fill4 for a session on that path.
 */
static void ingress_leg_fill(struct svr_session *s, struct svr_session_info *info, void *arg)
{
	(void)info;
	const struct leg *a = arg;
	const struct svr_skey4 *k = &s->dir[SVR_DIR_FWD].key, *r = &s->dir[SVR_DIR_REV].key;
	struct svr_rewrite *fw = svr_session_rw(s, SVR_DIR_FWD),
			   *rv = svr_session_rw(s, SVR_DIR_REV);
	bool icmp = k->proto == SVR_IPPROTO_ICMP;
	fw->src = r->dst;
	fw->dst = r->src;
	fw->sport = icmp ? r->sport : r->dport;
	fw->dport = icmp ? k->dport : r->sport;
	svr_rewrite_deltas(fw, k);
	if (fw->flags & SVR_RW_UDP_WRAP) {
		fw->sport = r->dport;
		fw->dport = r->sport;
	}
	rv->dport = icmp ? r->dport : k->sport;
	svr_rewrite_deltas(rv, r);
	fw->flags = (uint8_t)((fw->flags & (SVR_RW_NAT | SVR_RW_UDP_WRAP)) | SVR_RW_MD_ADD |
			      dp_svr_hmac_flags(a->g, a->slot, true));
	rv->flags = (uint8_t)((rv->flags & (SVR_RW_NAT | SVR_RW_UDP_UNWRAP)) |
			      SVR_RW_MD_ACK_PRESENT | dp_svr_hmac_flags(a->g, a->slot, false));
	fw->md_acked = rv->md_acked = 0;
	fw->svr_path = rv->svr_path = a->slot;
	for (int d = 0; d < 2; d++)
		s->dir[d].pkts = s->dir[d].bytes = 0;
}

void dp_dup_second_leg(struct dp_worker *w, const struct dp_gen *g, uint32_t idx, uint16_t slot)
{
	const struct svr_session *s = &dp_sess.table->entries[idx];
	uint16_t x = dp_ext_of(svr_session_rw(s, SVR_DIR_FWD));
	const struct dp_svr_path *p = dp_svr_path(slot);
	const struct dp_svr_path_policy *pp = dp_svr_path_policy(g, slot);
	struct svr_skey4 rev = {.src = p->remote,
				.dst = p->local,
				.proto = s->dir[SVR_DIR_REV].key.proto,
				.ctx = s->dir[SVR_DIR_REV].key.ctx};
	struct svr_session_place place = {.limit = dp_sess.table->capacity,
					  .nat_lo = SVR_WAYPORT_LO,
					  .nat_hi = SVR_WAYPORT_HI,
					  .nat_port_off = offsetof(struct svr_skey4, dport),
					  .waypoint_pair = true,
					  .pair_port_off = offsetof(struct svr_skey4, sport),
					  .pair_lo = pp->peer_port_lo,
					  .pair_hi = pp->peer_port_hi};
	struct leg a = {.g = g, .slot = slot};
	int64_t leg2 =
	    svr_session_alias4(dp_sess.table, idx, SVR_DIR_REV, &rev, &place, ingress_leg_fill, &a);
	if (leg2 < 0) {
		w->stats.dup_pool_full++; /* no second leg: the session goes on one path */
		return;
	}
	atomic_store_explicit(&dp_ext_line(x, SVR_DIR_FWD)->alias, (uint32_t)leg2,
			      memory_order_release);
}

/* Egress: the second leg arrives on the tuple k and answers on it (as a re-bound session). */
static void egress_leg_fill(struct svr_session *s, struct svr_session_info *info, void *arg)
{
	(void)info;
	const struct leg *a = arg;
	const struct svr_skey4 *k = &s->dir[SVR_DIR_FWD].key, *r = &s->dir[SVR_DIR_REV].key;
	struct svr_rewrite *fw = svr_session_rw(s, SVR_DIR_FWD),
			   *rv = svr_session_rw(s, SVR_DIR_REV);
	fw->sport = r->dport;
	fw->dport = r->sport;
	svr_rewrite_deltas(fw, k);
	if (fw->flags & SVR_RW_UDP_UNWRAP)
		fw->sport = r->sport;
	rv->src = k->dst;
	rv->dst = k->src;
	rv->sport = k->dport;
	rv->dport = k->sport;
	svr_rewrite_deltas(rv, r);
	fw->flags = (uint8_t)((fw->flags & (SVR_RW_NAT | SVR_RW_UDP_UNWRAP)) |
			      SVR_RW_MD_ACK_ABSENT | dp_svr_hmac_flags(a->g, a->slot, false));
	rv->flags = (uint8_t)((rv->flags & (SVR_RW_NAT | SVR_RW_UDP_WRAP)) | SVR_RW_MD_ADD |
			      dp_svr_hmac_flags(a->g, a->slot, true));
	fw->md_acked = rv->md_acked = 0;
	fw->svr_path = rv->svr_path = a->slot;
	for (int d = 0; d < 2; d++)
		s->dir[d].pkts = s->dir[d].bytes = 0;
}

enum dp_first dp_dup_add_leg4(struct dp_worker *w, const struct dp_gen *g, uint16_t slot,
			      uint32_t idx, const struct svr_skey4 *k, uint64_t *data,
			      enum svr_drop_reason *why)
{
	(void)w;
	const struct svr_session *s = &dp_sess.table->entries[idx];
	uint16_t x = dp_ext_of(svr_session_rw(s, SVR_DIR_REV));
	/* a session made duplicated (by its first leg), without a second leg yet */
	if (x == DP_EXT_NONE || atomic_load_explicit(&dp_ext_line(x, SVR_DIR_REV)->alias,
						     memory_order_acquire) != UINT32_MAX) {
		*why = SVR_DROP_SVR_REPLAYED;
		return DP_FIRST_DROP;
	}
	struct svr_skey4 fwd = *k;
	struct svr_session_place place = {.limit = dp_sess.table->capacity};
	struct leg a = {.g = g, .slot = slot};
	int64_t leg2 =
	    svr_session_alias4(dp_sess.table, idx, SVR_DIR_FWD, &fwd, &place, egress_leg_fill, &a);
	if (leg2 < 0) {
		*why = leg2 == -ESTALE ? SVR_DROP_SVR_REPLAYED : SVR_DROP_SVR_MOVE_FAILED;
		return DP_FIRST_DROP;
	}
	atomic_store_explicit(&dp_ext_line(x, SVR_DIR_REV)->alias, (uint32_t)leg2,
			      memory_order_release);
	*data = (uint64_t)leg2 << 1 | SVR_DIR_FWD;
	return DP_FIRST_SESSION;
}

uint32_t dp_dup_leg_of(const struct svr_session *s)
{
	uint16_t x = dp_ext_of(svr_session_rw(s, SVR_DIR_FWD));
	if (x == DP_EXT_NONE)
		return UINT32_MAX;
	for (int d = 0; d < 2; d++) {
		uint32_t a = atomic_load_explicit(&dp_ext_line(x, (enum svr_sdir)d)->alias,
						  memory_order_acquire);
		if (a != UINT32_MAX)
			return a;
	}
	return UINT32_MAX;
}
