/* SPDX-License-Identifier: BSD-3-Clause */
/* Session records for telemetry (records.h). */
#include "session/records.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "common/ipfix.h"
#include "common/log.h"
#include "core/dp.h"
#include "flow/state.h"
#include "session/ext.h"
#include "flow/table.h"
#include "l2l3/fib.h"
#include "svrpath/path.h"

static struct rte_ring *rings[DP_MAX_WORKERS + 1];
static unsigned n_rings;
/* by producer, each written by its own thread only */
static _Atomic uint64_t lost[DP_MAX_WORKERS + 1];

/* A single-producer, single-consumer ring of records in memory of its own (not DPDK's heap,
 * which eal.memory-mb bounds). */
static struct rte_ring *ring_new(const char *name, unsigned count)
{
	ssize_t bytes = rte_ring_get_memsize_elem(sizeof(struct dp_session_record), count);
	if (bytes < 0)
		return NULL;
	struct rte_ring *r = aligned_alloc(64, ((size_t)bytes + 63) & ~(size_t)63);
	if (r && rte_ring_init(r, name, count, RING_F_SP_ENQ | RING_F_SC_DEQ) < 0) {
		free(r);
		r = NULL;
	}
	return r;
}

int dp_session_records_init(unsigned n_workers)
{
	for (unsigned i = 0; i <= n_workers && i <= DP_MAX_WORKERS; i++) {
		char name[32];
		snprintf(name, sizeof(name), "records-%u", i);
		rings[i] =
		    ring_new(name, i < n_workers ? DP_RECORDS_WORKER_RING : DP_RECORDS_MAIN_RING);
		if (!rings[i]) {
			LOG_ERR("cannot allocate the session-record ring %s", name);
			dp_session_records_free();
			return -1;
		}
		n_rings = i + 1;
	}
	return 0;
}

void dp_session_records_free(void)
{
	for (unsigned i = 0; i < n_rings; i++)
		free(rings[i]);
	memset(rings, 0, sizeof(rings));
	n_rings = 0;
}

/* Whether sessions made or ended under generation g are recorded: its model names a
 * collector (its policy's setting, so a record never misses the generation that wants it). */
static bool recorded_under(const struct dp_gen *g)
{
	return n_rings && g && g->spol && g->spol->records;
}

unsigned dp_session_records_rings(void)
{
	return n_rings;
}

unsigned dp_session_records_take(unsigned ring, struct dp_session_record *out, unsigned max)
{
	if (ring >= n_rings)
		return 0;
	return rte_ring_dequeue_burst_elem(rings[ring], out, sizeof(*out), max, NULL);
}

uint64_t dp_session_records_lost(void)
{
	uint64_t sum = 0;
	for (unsigned i = 0; i < n_rings; i++)
		sum += atomic_load_explicit(&lost[i], memory_order_relaxed);
	return sum;
}

uint32_t dp_session_records_main_room(void)
{
	return n_rings ? rte_ring_free_count(rings[n_rings - 1]) : UINT32_MAX;
}

/* --- snapshots --- */

static void tuple4(const struct svr_skey4 *k, uint8_t *src, uint8_t *dst, uint16_t *sport,
		   uint16_t *dport)
{
	memcpy(src, &k->src, 4);
	memcpy(dst, &k->dst, 4);
	*sport = k->sport;
	*dport = k->dport;
}

/* Where the session's forward packets leave: its peer path's interface, its service route's,
 * else the FIB's (its tenant's table's first) for the forward destination as rewritten. */
static uint8_t out_iface(const struct dp_gen *g, const struct dp_session_record *r,
			 const struct svr_rewrite *fw)
{
	if (!g)
		return DP_RECORDS_NO_IFACE;
	uint16_t iface = DP_NO_IFACE;
	uint16_t via = dp_ext_via(fw, SVR_DIR_FWD); /* an ext slot's number is no via */
	if (r->path != DP_NO_SVR_PATH && dp_svr_path_policy(g, r->path)->in_model)
		iface = dp_svr_path_policy(g, r->path)->iface;
	else if (via != SVR_VIA_FIB && via < g->spol->n_vias)
		iface = g->spol->via_iface[via];
	else {
		struct svr_ip dst = {.family = r->family == 4 ? SVR_AF_INET : SVR_AF_INET6};
		memcpy(dst.addr, r->post_dst, r->family == 4 ? 4 : 16);
		const struct svr_nexthop *h = &g->fib->nh[svr_fib_lookup(g->fib, &dst)];
		/* a tenant bound to a kernel table: that table's route first */
		const struct svr_fib *t =
		    via >= SVR_VIA_TABLE0 && via < SVR_VIA_TABLE0 + DP_TFIB_SLOTS
			? g->tfib[via - SVR_VIA_TABLE0]
			: NULL;
		uint32_t ti = t ? svr_fib_lookup(t, &dst) : 0;
		if (ti)
			h = &t->nh[ti];
		if (h->type != SVR_NH_NONE && h->type != SVR_NH_LOCAL &&
		    h->type != SVR_NH_BROADCAST)
			iface = h->iface;
	}
	return iface < DP_RECORDS_NO_IFACE ? (uint8_t)iface : DP_RECORDS_NO_IFACE;
}

/* Session idx as it stands now; false when it is not a live session's (nothing to say). */
static bool snapshot(const struct dp_gen *g, uint32_t idx, uint8_t kind,
		     struct dp_session_record *r)
{
	const struct svr_session_table *t = dp_sess.table;
	const struct svr_session *s = &t->entries[idx];
	const struct svr_session_info *info = &t->info[idx];
	const void *fwd, *rev;
	if (svr_session_keys(t, idx, &fwd, &rev) < 0)
		return false;
	(void)rev;
	memset(r, 0, sizeof(*r));
	memcpy(r->uuid, info->uuid, 16);
	r->kind = kind;
	r->proto = svr_session_proto(s);
	r->tenant = info->tenant;
	r->service = info->service;
	r->rule = t->notes[idx].rule;
	r->in_iface = t->notes[idx].in_iface;
	const struct svr_rewrite *fw = svr_session_rw(s, SVR_DIR_FWD);
	if (svr_session_family(info) == 4) {
		r->family = 4;
		tuple4(fwd, r->src, r->dst, &r->sport, &r->dport);
		if (fw->flags & SVR_RW_NAT) {
			memcpy(r->post_src, &fw->src, 4);
			memcpy(r->post_dst, &fw->dst, 4);
			r->post_sport = fw->sport;
			r->post_dport = fw->dport;
		} else {
			tuple4(fwd, r->post_src, r->post_dst, &r->post_sport, &r->post_dport);
		}
	} else { /* no NAT for IPv6: the tuple leaves as it came */
		const struct svr_skey6 *k = fwd;
		r->family = 6;
		memcpy(r->src, k->src, 16);
		memcpy(r->dst, k->dst, 16);
		memcpy(r->post_src, k->src, 16);
		memcpy(r->post_dst, k->dst, 16);
		r->sport = r->post_sport = k->sport;
		r->dport = r->post_dport = k->dport;
	}
	uint8_t svr = fw->svr | svr_session_rw(s, SVR_DIR_REV)->svr;
	r->path = (svr & SVR_RW2_TO_PEER) && fw->svr_path < DP_MAX_SVR_PATHS ? fw->svr_path
									     : DP_NO_SVR_PATH;
	r->out_iface = out_iface(g, r, fw);
	r->fwd_pkts = s->dir[SVR_DIR_FWD].pkts;
	r->fwd_bytes = s->dir[SVR_DIR_FWD].bytes;
	r->rev_pkts = s->dir[SVR_DIR_REV].pkts;
	r->rev_bytes = s->dir[SVR_DIR_REV].bytes;
	/* the dataplane counts seconds from its start; records say Unix time */
	uint32_t now = atomic_load_explicit(&dp_sess.now_s, memory_order_relaxed);
	int64_t unix_now = atomic_load_explicit(&dp_sess.unix_s, memory_order_relaxed);
	r->start_s = (uint32_t)(unix_now - (int64_t)(now - info->created_s));
	r->end_s = (uint32_t)(unix_now - (int64_t)(now - svr_session_last_seen(s)));
	return true;
}

static void put(unsigned ring, const struct dp_session_record *r)
{
	/* DPDK's enqueue takes a non-const pointer; it only reads the record */
	if (rte_ring_enqueue_elem(rings[ring], (void *)(uintptr_t)r, sizeof(*r)) != 0)
		atomic_fetch_add_explicit(&lost[ring], 1, memory_order_relaxed);
}

void dp_session_record_start(struct dp_worker *w, const struct dp_gen *g, uint32_t idx)
{
	struct dp_session_record r;
	if (!recorded_under(g) || w->index >= n_rings - 1 || !snapshot(g, idx, SVR_IPFIX_START, &r))
		return;
	put(w->index, &r);
}

bool dp_session_record_end(const struct dp_gen *g, uint32_t idx, uint8_t reason,
			   struct dp_session_record *r)
{
	if (!recorded_under(g) || !snapshot(g, idx, SVR_IPFIX_END, r))
		return false;
	r->end_reason = reason;
	return true;
}

void dp_session_record_ended(const struct dp_session_record *r)
{
	put(n_rings - 1, r);
}

void dp_session_record_interim(const struct dp_gen *g, uint32_t idx)
{
	if (!recorded_under(g) || !g->spol->interim_s)
		return;
	uint32_t every = g->spol->interim_s;
	struct svr_session_note *note = &dp_sess.table->notes[idx];
	uint32_t now = atomic_load_explicit(&dp_sess.now_s, memory_order_relaxed);
	uint32_t due = (now - dp_sess.table->info[idx].created_s) / every;
	/* the interim records due so far, modulo 256: one when the count moves on */
	if (due == 0 || (uint8_t)due == note->interims)
		return;
	note->interims = (uint8_t)due;
	struct dp_session_record r;
	if (!snapshot(g, idx, SVR_IPFIX_INTERIM, &r))
		return;
	r.end_reason = SVR_IPFIX_END_ACTIVE;
	put(n_rings - 1, &r);
}
