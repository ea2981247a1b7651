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
	uint32_t owner = (uint32_t)(s - dp_sess.table->entries);
	for (int d = 0; d < 2; d++) {
		struct svr_rewrite *rw = svr_session_rw(s, d);
		struct dp_ext_line *l = dp_ext_line(x, (enum svr_sdir)d);
		if (l->dedupe != DP_EXT_NONE) /* from the peer */
			l->owner = owner;
		/* toward the peer: numbered, and copied on the second leg; from the peer, the other
		 * router says so in its metadata (TLV 28 with D) once it numbers its own */
		if (rw->svr & SVR_RW2_TO_PEER)
			rw->svr |= SVR_RW2_DUP;
	}
}

/* What a second leg's entry edits in the copy of its session: the path it takes. */
struct leg {
	const struct dp_gen *g;
	uint16_t slot;
	bool ingress;
};

static void leg_fill(struct svr_session *s, struct svr_session_info *info, void *arg)
{
	(void)info;
	const struct leg *a = arg;
	if (a->ingress)
		dp_session_repath_ingress4(s, a->g, a->slot);
	else
		dp_session_repath_egress4(s, a->g, a->slot);
	for (int d = 0; d < 2; d++) /* its own packets (the session's are the session's) */
		s->dir[d].pkts = s->dir[d].bytes = 0;
}

void dp_dup_second_leg(struct dp_worker *w, const struct dp_gen *g, uint32_t idx, uint16_t slot)
{
	const struct svr_session *s = &dp_sess.table->entries[idx];
	uint16_t x = dp_ext_of(svr_session_rw(s, SVR_DIR_FWD));
	struct svr_skey4 rev;
	struct svr_session_place place;
	dp_svr_waypoint_place(g, slot, s->dir[SVR_DIR_REV].key.proto, s->dir[SVR_DIR_REV].key.ctx,
			      dp_sess.table->capacity, &rev, &place);
	if (rev.src == 0)
		return; /* a learned path not learned (again) yet: one leg for now */
	struct leg a = {.g = g, .slot = slot, .ingress = true};
	if (svr_session_alias4(dp_sess.table, idx, SVR_DIR_REV, &rev, &place, leg_fill, &a,
			       &dp_ext_line(x, SVR_DIR_FWD)->alias) < 0)
		w->stats.dup_pool_full++; /* no second leg: the session goes on one path */
}

enum dp_first dp_dup_add_leg4(struct dp_worker *w, const struct dp_gen *g, uint16_t slot,
			      uint32_t idx, const struct svr_skey4 *k, const uint8_t uuid[16],
			      uint64_t *data, enum svr_drop_reason *why)
{
	const struct svr_session *s = &dp_sess.table->entries[idx];
	uint16_t x = dp_ext_of(svr_session_rw(s, SVR_DIR_REV));
	*why = SVR_DROP_SVR_LEG_REFUSED;
	/* a session made duplicated here (by its first leg, with a slot and a window of ours; a
	 * slot for its limits or mark alone is not enough) */
	if (x == DP_EXT_NONE || dp_ext_line(x, SVR_DIR_FWD)->dedupe == DP_EXT_NONE)
		return DP_FIRST_DROP;
	struct svr_skey4 fwd = *k;
	struct svr_session_place place = {.limit = dp_sess.table->capacity};
	struct leg a = {.g = g, .slot = slot, .ingress = false};
	int64_t leg2 = svr_session_alias4(dp_sess.table, idx, SVR_DIR_FWD, &fwd, &place, leg_fill,
					  &a, &dp_ext_line(x, SVR_DIR_REV)->alias);
	if (leg2 < 0)
		return DP_FIRST_DROP; /* it has one, ended meanwhile, or no room */
	dp_svr_copy_fwd_ctx(idx, (uint32_t)leg2, uuid); /* its reverse metadata mirrors the same */
	w->stats.dup_legs++;
	*data = (uint64_t)leg2 << 1 | SVR_DIR_FWD;
	return DP_FIRST_SESSION;
}
