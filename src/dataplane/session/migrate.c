/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Live SVR sessions moving between the paths to their peer (docs/paths.md "Migration").
 *
 * Ingress, main lcore: a sweep over the table, run again whenever what could move a session
 * changes (paths/choice.c's epoch: a path dies, breaks or meets its SLA, its choice changes, a
 * revert hold or a dwell runs out), decides session by session from its service's resiliency,
 * and moves the ones that must go. A move is a successor entry (svr_session_move4): the LAN key
 * stays, a new waypoint pair on the new path becomes its reverse key, and its forward packets
 * carry metadata again, with a Modify Request (TLV 28) numbering the move, until the peer
 * answers on the new path.
 *
 * Egress, the worker receiving the new tuple: forward metadata with a Modify Request for a UUID
 * live here, newer than the session's last move, re-binds that session to the new tuple
 * (dp_session_rebind4): the LAN key stays, the tuple it arrived on becomes its forward key,
 * and its answers go back on the new path with reverse metadata.
 */
#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "common/pathrank.h"
#include "core/dp.h"
#include "core/event.h"
#include "core/worker.h"
#include "flow/names.h"
#include "flow/rewrite.h"
#include "paths/paths.h"
#include "session/sessions.h"
#include "svrpath/path.h"

/* How long the entry a session moved from still takes packets in flight on the old tuple. */
#define DRAIN_S 2
/* Entries the sweep looks at per turn of the main loop (about 0.1 ms). */
#define SWEEP_SLICE 4096
/* After a move that failed (table full, ports in use), the sweep runs again this much later. */
#define RETRY_MS 1000

/* What a move edits in the copy of the session (the path it goes to). */
struct move_to {
	const struct dp_gen *g;
	uint16_t slot;
	uint8_t moves; /* the successor's move count: the Modify Request's sequence */
};

/* 1 .. 255, then 1 again: 0 means "never moved" (no Modify Request). */
static uint8_t next_move(uint8_t moves)
{
	return moves == UINT8_MAX ? 1 : (uint8_t)(moves + 1);
}

/* Both directions on path slot from now: their flags for it, its metadata handshake again. */
static void repath_common(struct svr_session *s, uint16_t slot)
{
	uint32_t now = atomic_load_explicit(&dp_sess.now_s, memory_order_relaxed);
	for (int d = 0; d < 2; d++) {
		struct svr_rewrite *rw = svr_session_rw(s, d);
		rw->md_acked = 0;
		rw->svr_path = slot;
		/* a fresh start for ageing: the packet that moved it has not touched it yet */
		atomic_store_explicit(&s->dir[d].last_seen_s, now, memory_order_relaxed);
	}
}

void dp_session_repath_ingress4(struct svr_session *s, const struct dp_gen *g, uint16_t slot)
{
	const struct svr_skey4 *k = &s->dir[SVR_DIR_FWD].key, *r = &s->dir[SVR_DIR_REV].key;
	struct svr_rewrite *fw = svr_session_rw(s, SVR_DIR_FWD),
			   *rv = svr_session_rw(s, SVR_DIR_REV);
	bool icmp = k->proto == SVR_IPPROTO_ICMP;
	/* as create.c's fill4 makes a new session on that path */
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
			      dp_svr_hmac_flags(g, slot, true));
	rv->flags = (uint8_t)((rv->flags & (SVR_RW_NAT | SVR_RW_UDP_UNWRAP)) |
			      SVR_RW_MD_ACK_PRESENT | dp_svr_hmac_flags(g, slot, false));
	repath_common(s, slot);
}

void dp_session_repath_egress4(struct svr_session *s, const struct dp_gen *g, uint16_t slot)
{
	const struct svr_skey4 *k = &s->dir[SVR_DIR_FWD].key, *r = &s->dir[SVR_DIR_REV].key;
	struct svr_rewrite *fw = svr_session_rw(s, SVR_DIR_FWD),
			   *rv = svr_session_rw(s, SVR_DIR_REV);
	fw->sport = r->dport;
	fw->dport = r->sport;
	svr_rewrite_deltas(fw, k);
	if (fw->flags & SVR_RW_UDP_UNWRAP) /* it leaves as ICMP with its id (fill4) */
		fw->sport = r->sport;
	rv->src = k->dst;
	rv->dst = k->src;
	rv->sport = k->dport;
	rv->dport = k->sport;
	svr_rewrite_deltas(rv, r);
	fw->flags = (uint8_t)((fw->flags & (SVR_RW_NAT | SVR_RW_UDP_UNWRAP)) |
			      SVR_RW_MD_ACK_ABSENT | dp_svr_hmac_flags(g, slot, false));
	rv->flags = (uint8_t)((rv->flags & (SVR_RW_NAT | SVR_RW_UDP_WRAP)) | SVR_RW_MD_ADD |
			      dp_svr_hmac_flags(g, slot, true));
	repath_common(s, slot);
}

bool dp_session_md_names_path(const struct svr_md *md, uint16_t slot)
{
	const char *named = md->present & SVR_MDF_PEER_PATH ? md->peer_path.s : NULL;
	const char *ours = dp_svr_path(slot)->name;
	if (!named)
		return false;
	size_t n = strcspn(ours, "/"); /* the neighborhood: the interface part is each side's */
	return strncmp(named, ours, n) == 0 && named[n] == '/';
}

static void ingress_fill(struct svr_session *s, struct svr_session_info *info, void *arg)
{
	const struct move_to *a = arg;
	dp_session_repath_ingress4(s, a->g, a->slot);
	info->moves = a->moves;
}

/* Ingress, main lcore: moves session idx to the path in slot. The successor's index, or < 0. */
static int64_t move_ingress(const struct dp_gen *g, uint32_t idx, uint16_t slot)
{
	const struct svr_skey4 *old_rev = &dp_sess.table->entries[idx].dir[SVR_DIR_REV].key;
	struct svr_skey4 rev;
	struct svr_session_place place;
	dp_svr_waypoint_place(g, slot, old_rev->proto, old_rev->ctx, dp_sess.table->capacity, &rev,
			      &place);
	if (rev.src == 0)
		return -EAGAIN; /* a learned path not learned (again) yet: tried again later */
	struct move_to a = {
	    .g = g, .slot = slot, .moves = next_move(dp_sess.table->info[idx].moves)};
	place.pair_salt = a.moves;
	return svr_session_move4(dp_sess.table, idx, SVR_DIR_FWD, &rev, &place, ingress_fill, &a,
				 DRAIN_S);
}

/* --- the ingress sweep --- */

enum move_reason { MOVE_NONE, MOVE_DOWN, MOVE_SLA, MOVE_REVERT, MOVE_NAT, MOVE_REASONS };
static const char *const reason_text[MOVE_REASONS] = {
    "", "its path is down", "its path breaks the SLA", "a better path is back",
    "an address between the routers moved (a NAT's, or the peer's)"};

static struct {
	uint32_t epoch; /* of paths/choice.c, as last acted on */
	/* dp_paths_nat_epoch: as last seen (nat_seen), as the running pass started (nat_start),
	 * as acted on by the last pass that ended (nat_done): the running pass moves the sessions
	 * of the paths whose addresses moved after nat_done */
	uint32_t nat_seen, nat_start, nat_done;
	bool running, again; /* a pass is under way; another is due after it */
	uint32_t cursor;
	uint64_t pass_ms;  /* when the running pass started */
	uint64_t retry_ms; /* a pass again then (a move failed), 0: none */
	const struct dp_gen *g;
	uint32_t moved[MOVE_REASONS], failed;
	uint64_t failed_logged_ms;
	uint32_t svc_of_name[SVR_NO_NAME + 1]; /* g's service index + 1 by name id, 0: none */
} sweep;

static void index_services(const struct dp_gen *g)
{
	memset(sweep.svc_of_name, 0, sizeof(sweep.svc_of_name));
	for (uint32_t i = 0; i < g->spol->n_services; i++)
		if (g->spol->svc[i].id != SVR_NO_NAME)
			sweep.svc_of_name[g->spol->svc[i].id] = i + 1;
	sweep.g = g;
}

static int path_index(const struct dp_svc_policy *sp, uint16_t slot)
{
	for (uint8_t i = 0; i < sp->n_svr_paths; i++)
		if (sp->svr_paths[i] == slot)
			return i;
	return -1;
}

/*
 * Why a session of service sp on path cur moves to target, if it does (docs/paths.md): off a
 * dead path at once; off a path outside the SLA to a compliant one, and (revertible-failover)
 * back to a cheaper path good for the revert hold, both only once the service's last move is
 * older than its dwell (or was in this same pass: a service's sessions move together).
 */
static enum move_reason why_move(const struct dp_svc_policy *sp, uint16_t cur, uint16_t target,
				 unsigned verdict, uint64_t now_ms)
{
	if (target == DP_NO_SVR_PATH || target == cur || !dp_paths_alive(target))
		return MOVE_NONE;
	int ci = path_index(sp, cur), ti = path_index(sp, target);
	if (ci < 0 || !dp_paths_alive(cur))
		return MOVE_DOWN; /* a path no longer the service's counts as dead */
	if (verdict != SVR_RANK_OK || ti < 0)
		return MOVE_NONE;
	bool dwell_ok = now_ms - sp->moved_ms >= sp->min_dwell_ms || sp->moved_ms >= sweep.pass_ms;
	if (!dwell_ok)
		return MOVE_NONE;
	if (!sp->compliant[ci])
		return MOVE_SLA;
	if (sp->resiliency == SVR_RESILIENCY_REVERTIBLE &&
	    sp->svr_path_cost[ti] < sp->svr_path_cost[ci] && sp->good_since_ms[ti] &&
	    now_ms - sp->good_since_ms[ti] >= sp->revert_hold_ms)
		return MOVE_REVERT;
	return MOVE_NONE;
}

/* The event stream (docs/telemetry.md): sessions of a service moving, once a pass. */
static void moved_event(const char *service, uint16_t from, uint16_t to, enum move_reason why)
{
	json_t *e = dp_event_new("session-migrated");
	if (!e)
		return;
	json_object_set_new(e, "service", service ? json_string(service) : json_null());
	json_object_set_new(e, "peer", json_string(dp_svr_path(to)->peer));
	json_object_set_new(e, "from-path", json_string(dp_svr_path(from)->name));
	json_object_set_new(e, "to-path", json_string(dp_svr_path(to)->name));
	static const char *const reason_key[MOVE_REASONS] = {"", "path-down", "sla", "revert",
							     "address-moved"};
	json_object_set_new(e, "reason", json_string(reason_key[why]));
	dp_event_post(e);
}

/* Sessions that could not move in a pass (said at most once a minute, as the log says it). */
static void failed_event(uint32_t failed)
{
	json_t *e = dp_event_new("migrate-failed");
	if (!e)
		return;
	json_object_set_new(e, "sessions", json_integer(failed));
	json_object_set_new(e, "retry-ms", json_integer(RETRY_MS));
	dp_event_post(e);
}

static void moved(const struct dp_gen *g, uint32_t idx, struct dp_svc_policy *sp, uint16_t cur,
		  uint16_t target, enum move_reason why, uint64_t now_ms);

/* The path of g that took over from slot (svrpath/path.h) once it works; DP_NO_SVR_PATH if
 * none yet. */
static uint16_t successor(const struct dp_gen *g, uint16_t slot)
{
	int to = dp_svr_path_successor(g, slot);
	return to >= 0 && dp_paths_alive((uint16_t)to) ? (uint16_t)to : DP_NO_SVR_PATH;
}

static void consider(const struct dp_gen *g, uint32_t idx, uint64_t now_ms)
{
	const struct svr_session_info *info = &dp_sess.table->info[idx];
	if (!svr_session_current(info) || svr_session_stale(info))
		return;
	const struct svr_rewrite *fw = svr_session_rw(&dp_sess.table->entries[idx], SVR_DIR_FWD);
	/* the ingress's direction toward the peer; a duplicated session keeps both its legs (a
	 * model that changed its resiliency applies to new sessions) */
	if (!(fw->svr & SVR_RW2_TO_PEER) || (fw->svr & SVR_RW2_DUP))
		return;
	uint32_t si = sweep.svc_of_name[info->service];
	if (!si)
		return;
	struct dp_svc_policy *sp = &g->spol->svc[si - 1];
	/* The path stays, an address on it moved: the peer keys the session on a tuple that is no
	 * more. New waypoint ports on the same path, metadata with a Modify Request: the peer
	 * re-binds it by its UUID (svr-protocol.md 3.8), whatever the service's resiliency. One
	 * whose metadata the peer has not answered yet (made or moved a moment ago: the move's
	 * successor, later in this same pass) stays as it is. */
	const struct svr_rewrite *rv = svr_session_rw(&dp_sess.table->entries[idx], SVR_DIR_REV);
	if (rv->md_acked && dp_paths_nat_moved_since(fw->svr_path, sweep.nat_done) &&
	    dp_svr_path_policy(g, fw->svr_path)->in_model && dp_paths_alive(fw->svr_path)) {
		moved(g, idx, sp, fw->svr_path, fw->svr_path, MOVE_NAT, now_ms);
		return;
	}
	/* Our own waypoint moved (a new lease): its path is another slot now; so do its sessions,
	 * as soon as the new one works. */
	if (!dp_svr_path_policy(g, fw->svr_path)->in_model) {
		uint16_t to = successor(g, fw->svr_path);
		if (to != DP_NO_SVR_PATH) {
			moved(g, idx, sp, fw->svr_path, to, MOVE_NAT, now_ms);
			return;
		}
	}
	if ((sp->resiliency != SVR_RESILIENCY_FAILOVER &&
	     sp->resiliency != SVR_RESILIENCY_REVERTIBLE) ||
	    sp->route != DP_SROUTE_PEER)
		return;
	uint32_t c = atomic_load_explicit(&sp->choice, memory_order_acquire);
	uint16_t cur = fw->svr_path, target = (uint16_t)c;
	enum move_reason why = why_move(sp, cur, target, c >> 16, now_ms);
	if (why != MOVE_NONE)
		moved(g, idx, sp, cur, target, why, now_ms);
}

/* Moves session idx of service sp from path cur to target (may be cur), for why. */
static void moved(const struct dp_gen *g, uint32_t idx, struct dp_svc_policy *sp, uint16_t cur,
		  uint16_t target, enum move_reason why, uint64_t now_ms)
{
	const struct svr_session_info *info = &dp_sess.table->info[idx];
	int64_t rc = move_ingress(g, idx, target);
	if (rc < 0) {
		sweep.failed++;
		dp.main_stats.events[SVR_EV_SESSIONS_MIGRATE_FAILED]++;
		sweep.retry_ms = now_ms + RETRY_MS;
		return;
	}
	if (sp->moved_ms < sweep.pass_ms) { /* the service's first move of this pass */
		LOG_NOTICE("service %s: live sessions move from path %s to %s: %s",
			   svr_names_get(dp_sess.services, info->service), dp_svr_path(cur)->name,
			   dp_svr_path(target)->name, reason_text[why]);
		moved_event(svr_names_get(dp_sess.services, info->service), cur, target, why);
	}
	sweep.moved[why]++;
	sp->moved_ms = now_ms;
	dp.main_stats.events[SVR_EV_SESSIONS_MIGRATED]++;
}

bool dp_sessions_migrate(uint64_t now_ms)
{
	const struct dp_gen *g = dp_gen_main();
	if (!g)
		return false;
	uint32_t e = dp_paths_choice_epoch(), nat = dp_paths_nat_epoch();
	if (e != sweep.epoch || nat != sweep.nat_seen ||
	    (sweep.retry_ms && now_ms >= sweep.retry_ms)) {
		sweep.epoch = e;
		sweep.nat_seen = nat;
		sweep.retry_ms = 0;
		if (sweep.running) {
			sweep.again = true;
		} else {
			sweep.running = true;
			sweep.cursor = 0;
			sweep.pass_ms = now_ms;
			sweep.nat_start = nat;
		}
	}
	if (!sweep.running)
		return false;
	if (sweep.g != g)
		index_services(g);
	uint32_t used = atomic_load_explicit(&dp_sess.table->high_water, memory_order_relaxed);
	for (unsigned n = 0; n < SWEEP_SLICE && sweep.cursor < used; n++)
		consider(g, sweep.cursor++, now_ms);
	if (sweep.cursor < used)
		return true;
	uint32_t moved = sweep.moved[MOVE_DOWN] + sweep.moved[MOVE_SLA] + sweep.moved[MOVE_REVERT] +
			 sweep.moved[MOVE_NAT];
	/* a move that keeps failing is tried every RETRY_MS, and said once a minute */
	if (moved || (sweep.failed && now_ms - sweep.failed_logged_ms >= 60000)) {
		if (sweep.failed) {
			sweep.failed_logged_ms = now_ms;
			failed_event(sweep.failed);
		}
		LOG_NOTICE("live sessions moved to another path: %u (path down %u, SLA %u, revert "
			   "%u), to new ports on theirs: %u (address moved), %u could not move "
			   "(tried again in %u ms), in %llu ms",
			   moved - sweep.moved[MOVE_NAT], sweep.moved[MOVE_DOWN],
			   sweep.moved[MOVE_SLA], sweep.moved[MOVE_REVERT], sweep.moved[MOVE_NAT],
			   sweep.failed, RETRY_MS, (unsigned long long)(now_ms - sweep.pass_ms));
	}
	memset(sweep.moved, 0, sizeof(sweep.moved));
	sweep.failed = 0;
	sweep.nat_done = sweep.nat_start;
	sweep.nat_start = sweep.nat_seen;
	sweep.running = sweep.again;
	sweep.again = false;
	sweep.cursor = 0;
	sweep.pass_ms = now_ms;
	return sweep.running;
}

/* --- the egress: re-binding a session that moved --- */

/* Egress: the forward key is the tuple the moved session arrives on; answers go back on it. */
static void egress_fill(struct svr_session *s, struct svr_session_info *info, void *arg)
{
	const struct move_to *a = arg;
	dp_session_repath_egress4(s, a->g, a->slot);
	info->moves = a->moves;
}

enum dp_first dp_session_rebind4(struct dp_worker *w, const struct dp_gen *g, uint16_t slot,
				 const struct svr_skey4 *k, const struct svr_md *md, uint64_t *data,
				 enum svr_drop_reason *why)
{
	uint32_t old = dp_svr_uuid_session(md->uuid);
	if (old == UINT32_MAX)
		return DP_FIRST_NOT_SVR; /* not live here: made anew (a new egress), or refused */
	const struct svr_session_info *info = &dp_sess.table->info[old];
	const struct svr_rewrite *fw = svr_session_rw(&dp_sess.table->entries[old], SVR_DIR_FWD);
	const char *svc = svr_names_get(dp_sess.services, info->service);
	/* the same session: from the same peer, for the same service */
	if (strcmp(dp_svr_path(fw->svr_path)->peer, dp_svr_path(slot)->peer) != 0) {
		*why = SVR_DROP_SVR_REPLAYED;
		return DP_FIRST_DROP;
	}
	if (!(md->present & SVR_MDF_SERVICE) || !svc || strcmp(svc, md->service.s) != 0) {
		*why = SVR_DROP_SVR_SERVICE_MISMATCH;
		return DP_FIRST_DROP;
	}
	/* over the path it names (signed): a captured first packet sent again over another path
	 * of the peer, or from another port of its own, moves nothing; but on a path whose remote
	 * is learned, a NAT's new address or ports re-tuple sessions on the same path (the
	 * Modify Request's order below still refuses a replay) */
	/* (a re-tuple on a learned path comes from where the path is bound: a fresh Modify
	 * Request copied and sent from elsewhere first does not take the session there) */
	if (!dp_session_md_names_path(md, slot) ||
	    (slot == fw->svr_path &&
	     (dp_svr_path(slot)->remote != 0 || k->src != dp_svr_path_remote(dp_svr_path(slot))))) {
		*why = SVR_DROP_SVR_REPLAYED;
		return DP_FIRST_DROP;
	}
	if (md->modify & SVR_MD_MODIFY_D) /* the second leg of a duplicated session */
		return dp_dup_add_leg4(w, g, slot, old, k, md->uuid, data, why);
	/* moves in order: an older or repeated Modify Request (a replay) changes nothing */
	uint8_t seq = (uint8_t)md->modify;
	if ((int8_t)(uint8_t)(seq - info->moves) <= 0) {
		*why = SVR_DROP_SVR_MODIFY_STALE;
		return DP_FIRST_DROP;
	}
	struct svr_skey4 fwd = *k;
	struct svr_session_place place = {.limit = dp_sess.table->capacity};
	struct move_to a = {.g = g, .slot = slot, .moves = seq ? seq : 1};
	int64_t rc = svr_session_move4(dp_sess.table, old, SVR_DIR_REV, &fwd, &place, egress_fill,
				       &a, DRAIN_S);
	if (rc < 0) {
		*why = rc == -ESTALE ? SVR_DROP_SVR_REPLAYED : SVR_DROP_SVR_MOVE_FAILED;
		return DP_FIRST_DROP;
	}
	dp_svr_uuid_bind(md->uuid, (uint32_t)rc);
	dp_svr_copy_fwd_ctx(old, (uint32_t)rc, md->uuid);
	w->stats.sessions_rebound++;
	*data = (uint64_t)rc << 1 | SVR_DIR_FWD;
	return DP_FIRST_SESSION;
}
