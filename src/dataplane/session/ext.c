/* SPDX-License-Identifier: BSD-3-Clause */
/* The pools of session extension state (ext.h). */
#include "session/ext.h"

#include <string.h>

#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "common/log.h"
#include "core/dp.h"
#include "flow/state.h"

/* an ext slot's number stands in a rewrite's via: it must not read as a kernel table's */
_Static_assert(DP_EXT_SLOTS_MAX < SVR_VIA_TABLE0, "ext slots overlap the table vias");

/* Sizes: the startup file's sessions.extension-slots and sessions.duplicate-windows (their
 * defaults: core/config.c). A session that finds its pool empty is made without what needed it
 * (counted: duplicate-pool-full, limits-pool-full). */

struct dp_sess_ext *dp_ext_slots;
struct svr_dedupe *dp_ext_windows;

static struct rte_ring *free_ext, *free_windows; /* slot and window numbers (32-bit elements) */
static struct rte_rcu_qsbr_dq *retired;
static uint32_t n_ext, n_windows;

/*
 * Slots of ended sessions wait this long before their grace period starts: an entry the session
 * moved from drains for 2 s after its last packet (session/migrate.c) and still names the slot
 * (its limits, its next hop). Main lcore only: a FIFO of (second due << 16 | slot).
 */
#define HOLD_S 4
static uint64_t *held;
static uint32_t held_head, held_tail; /* free-running; held_tail - held_head <= n_ext */

static void give_back(uint16_t x)
{
	for (int d = 0; d < 2; d++) {
		uint32_t w = dp_ext_slots[x].dir[d].dedupe;
		if (w != DP_EXT_NONE)
			rte_ring_enqueue_elem(free_windows, &w, sizeof(w));
	}
	uint32_t e = x;
	rte_ring_enqueue_elem(free_ext, &e, sizeof(e));
}

static void release_slots(void *p, void *e, unsigned n)
{
	(void)p;
	const uint32_t *x = e;
	for (unsigned i = 0; i < n; i++)
		give_back((uint16_t)x[i]);
}

static struct rte_ring *ring_of(const char *name, uint32_t n)
{
	struct rte_ring *r =
	    rte_ring_create_elem(name, sizeof(uint32_t), rte_align32pow2(n + 1), SOCKET_ID_ANY, 0);
	for (uint32_t i = 0; r && i < n; i++)
		rte_ring_enqueue_elem(r, &i, sizeof(i));
	return r;
}

int dp_ext_init(uint32_t slots, uint32_t windows)
{
	n_ext = slots;
	n_windows = windows;
	char name[RTE_RING_NAMESIZE];
	dp_ext_slots =
	    rte_zmalloc("svr_sess_ext", sizeof(*dp_ext_slots) * n_ext, RTE_CACHE_LINE_SIZE);
	held = rte_zmalloc("svr_ext_held", sizeof(*held) * n_ext, RTE_CACHE_LINE_SIZE);
	held_head = held_tail = 0;
	dp_ext_windows =
	    rte_zmalloc("svr_dedupe", sizeof(*dp_ext_windows) * n_windows, RTE_CACHE_LINE_SIZE);
	snprintf(name, sizeof(name), "ext-%.12s", dp.conf ? dp.conf->instance : "t");
	free_ext = ring_of(name, n_ext);
	snprintf(name, sizeof(name), "dedupe-%.12s", dp.conf ? dp.conf->instance : "t");
	free_windows = ring_of(name, n_windows);
	snprintf(name, sizeof(name), "ext-rcu-%.12s", dp.conf ? dp.conf->instance : "t");
	struct rte_rcu_qsbr_dq_parameters params = {
	    .name = name,
	    .size = n_ext,
	    .esize = sizeof(uint32_t),
	    .trigger_reclaim_limit = n_ext / 4 + 1,
	    .max_reclaim_size = 256,
	    .free_fn = release_slots,
	    .v = dp.qsbr,
	};
	retired = dp.qsbr ? rte_rcu_qsbr_dq_create(&params) : NULL;
	if (!dp_ext_slots || !held || !dp_ext_windows || !free_ext || !free_windows ||
	    (dp.qsbr && !retired)) {
		LOG_ERR("cannot allocate the session extension pools (%u slots, %u duplicate "
			"windows)",
			n_ext, n_windows);
		dp_ext_free();
		return -1;
	}
	LOG_INFO("session extensions: %u slots, %u duplicate windows", n_ext, n_windows);
	return 0;
}

void dp_ext_free(void)
{
	if (retired)
		rte_rcu_qsbr_dq_delete(retired);
	rte_ring_free(free_ext);
	rte_ring_free(free_windows);
	rte_free(dp_ext_slots);
	rte_free(dp_ext_windows);
	rte_free(held);
	held = NULL;
	retired = NULL;
	free_ext = free_windows = NULL;
	dp_ext_slots = NULL;
	dp_ext_windows = NULL;
}

size_t dp_ext_bytes(void)
{
	return (size_t)n_ext * (sizeof(*dp_ext_slots) + sizeof(*held)) +
	       (size_t)n_windows * sizeof(*dp_ext_windows);
}

uint16_t dp_ext_take(void)
{
	uint32_t x;
	if (rte_ring_dequeue_elem(free_ext, &x, sizeof(x)) != 0)
		return DP_EXT_NONE;
	struct dp_sess_ext *e = &dp_ext_slots[x];
	memset(e, 0, sizeof(*e));
	for (int d = 0; d < 2; d++) {
		e->dir[d].via = SVR_VIA_FIB;
		e->dir[d].dedupe = DP_EXT_NONE;
		e->dir[d].dscp = DP_DSCP_KEEP;
		e->dir[d].agg_slot = e->dir[d].degraded_slot = e->dir[d].peer = DP_EXT_NONE;
		atomic_init(&e->dir[d].alias, UINT32_MAX);
	}
	return (uint16_t)x;
}

void dp_ext_fill(struct svr_session *s, uint16_t x)
{
	for (int d = 0; d < 2; d++) {
		struct svr_rewrite *rw = svr_session_rw(s, d);
		dp_ext_line(x, (enum svr_sdir)d)->via = rw->via;
		rw->via = x;
		rw->svr |= SVR_RW2_EXT;
	}
}

bool dp_ext_take_dedupe(uint16_t x, enum svr_sdir d)
{
	uint32_t w;
	if (rte_ring_dequeue_elem(free_windows, &w, sizeof(w)) != 0)
		return false;
	svr_dedupe_init(&dp_ext_windows[w]);
	dp_ext_slots[x].dir[d].dedupe = (uint16_t)w;
	return true;
}

void dp_ext_give_back(uint16_t x)
{
	give_back(x);
}

static void retire_slot(uint16_t x)
{
	uint32_t e = x;
	if (!retired) { /* no workers (unit tests): nobody to wait for */
		give_back(x);
		return;
	}
	if (rte_rcu_qsbr_dq_enqueue(retired, &e) != 0) {
		/* the queue holds every slot: full means a bug; wait rather than reuse early */
		rte_rcu_qsbr_synchronize(dp.qsbr, RTE_QSBR_THRID_INVALID);
		give_back(x);
	}
}

void dp_ext_release(uint16_t x)
{
	uint32_t now = atomic_load_explicit(&dp_sess.now_s, memory_order_relaxed);
	if (!held || held_tail - held_head >= n_ext) { /* never full: a slot ends once */
		retire_slot(x);
		return;
	}
	held[held_tail++ % n_ext] = (uint64_t)(now + HOLD_S) << 16 | x;
}

void dp_ext_reclaim(void)
{
	uint32_t now = atomic_load_explicit(&dp_sess.now_s, memory_order_relaxed);
	while (held && held_head != held_tail &&
	       (int32_t)(now - (uint32_t)(held[held_head % n_ext] >> 16)) >= 0)
		retire_slot((uint16_t)held[held_head++ % n_ext]);
	unsigned freed, pending, available;
	if (retired)
		rte_rcu_qsbr_dq_reclaim(retired, 256, &freed, &pending, &available);
}

uint32_t dp_ext_second_leg(const struct svr_rewrite *fw)
{
	uint16_t x = dp_ext_of(fw);
	if (x == DP_EXT_NONE)
		return UINT32_MAX;
	/* on the line of the direction toward the peer: the ingress's forward, the egress's
	 * reverse (the other line's word is the owner) */
	enum svr_sdir to_peer = fw->svr & SVR_RW2_TO_PEER ? SVR_DIR_FWD : SVR_DIR_REV;
	return atomic_load(&dp_ext_slots[x].dir[to_peer].alias);
}
