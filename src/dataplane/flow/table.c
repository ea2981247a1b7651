/* SPDX-License-Identifier: BSD-3-Clause */
#include "flow/table.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#define NO_DATA UINT64_MAX
/* Ports tried for one source-NAT mapping before refusing (a full range is rare). */
#define SVR_NAT_PROBES 4096

/* A deleted session awaiting its grace period. */
struct retired_session {
	int32_t pos[2];
	uint32_t idx;
	uint32_t family;
};

/*
 * Free entries form a list threaded through the entries themselves (no reader
 * can see a free entry: it was retired after a grace period, or never used).
 * Writer lock held.
 */
static void push_free(struct svr_session_table *t, uint32_t idx)
{
	t->entries[idx].key_pos[0] = (int32_t)t->free_head;
	t->free_head = idx;
	t->n_free++;
}

static uint32_t pop_free(struct svr_session_table *t)
{
	uint32_t idx = t->free_head;
	t->free_head = (uint32_t)t->entries[idx].key_pos[0];
	t->n_free--;
	return idx;
}

/* An entry that leaves use (deleted, or never published): its state moves no more. */
static void end_state(struct svr_session_table *t, struct svr_session *s)
{
	if (atomic_exchange_explicit(&s->tcp_state, SVR_TCP_ENDED, memory_order_acq_rel) ==
	    SVR_TCP_SYN_SENT)
		atomic_fetch_sub_explicit(&t->half_open, 1, memory_order_relaxed);
}

/* After the grace period: the key slots and the entry index are free again. */
static void release_sessions(void *p, void *e, unsigned n)
{
	struct svr_session_table *t = p;
	const struct retired_session *r = e;
	rte_spinlock_lock(&t->writer);
	for (unsigned i = 0; i < n; i++) {
		struct rte_hash *h = r[i].family == 6 ? t->h6 : t->h4;
		for (int d = 0; d < 2; d++)
			if (r[i].pos[d] >= 0 && (d == 0 || r[i].pos[1] != r[i].pos[0]))
				rte_hash_free_key_with_position(h, r[i].pos[d]);
		if (r[i].family == 6)
			t->n6--;
		/* no reader left: its names may be forgotten (names.h) */
		t->entries[r[i].idx].tenant = t->entries[r[i].idx].service = SVR_NO_NAME;
		push_free(t, r[i].idx);
	}
	rte_spinlock_unlock(&t->writer);
}

/*
 * Queues a deleted session for its grace period (outside the writer lock).
 * The main lcore, which reports no quiescent state, may wait for one when the
 * queue is full; a worker must never wait for a grace period it is part of:
 * it gives up the slots instead (counted, never seen in practice: the queue
 * holds a sixteenth of the table).
 */
static void retire(struct svr_session_table *t, struct retired_session *r, bool on_worker)
{
	if (rte_rcu_qsbr_dq_enqueue(t->dq, r) == 0)
		return;
	if (on_worker) {
		atomic_fetch_add_explicit(&t->leaked, 1, memory_order_relaxed);
		return;
	}
	rte_rcu_qsbr_synchronize(t->qs, RTE_QSBR_THRID_INVALID);
	release_sessions(t, r, 1);
}

static struct rte_hash *make_hash(const char *name, uint32_t keys, uint32_t key_len)
{
	struct rte_hash_parameters hp = {
	    .name = name,
	    .entries = keys,
	    .key_len = key_len,
	    .hash_func = rte_hash_crc,
	    .socket_id = SOCKET_ID_ANY,
	    /* Writers are serialised by the table's lock: rte_hash stays single-writer. In
	     * lock-free mode a deleted key's slot is freed by us, after the grace period. */
	    .extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	return rte_hash_create(&hp);
}

/* Bytes allocated from DPDK's heaps (all sockets). */
static size_t heap_used(void)
{
	struct rte_malloc_socket_stats st;
	size_t used = 0;
	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++)
		if (rte_malloc_get_socket_stats(s, &st) == 0)
			used += st.heap_allocsz_bytes;
	return used;
}

struct svr_session_table *svr_session_table_create(const char *name, uint32_t capacity,
						   uint32_t capacity6, struct rte_rcu_qsbr *qs)
{
	size_t heap_before = heap_used();
	struct svr_session_table *t = rte_zmalloc("svr_sessions", sizeof(*t), 0);
	if (!t)
		return NULL;
	t->capacity = capacity;
	t->capacity6 = capacity6 < capacity ? capacity6 : capacity;
	rte_spinlock_init(&t->writer);
	t->entries = rte_zmalloc("svr_session_entries", (size_t)capacity * sizeof(*t->entries),
				 RTE_CACHE_LINE_SIZE);
	if (!t->entries)
		goto fail;
	/* Lowest indices first out: a small load stays in few pages (and scans stop early). */
	for (uint32_t i = capacity; i-- > 0;)
		push_free(t, i);
	/* Two keys per session; IPv6 sessions in a table of their own, capacity6 of them at most.
	 */
	char n[RTE_HASH_NAMESIZE];
	snprintf(n, sizeof(n), "%s-4", name);
	t->h4 = make_hash(n, 2 * capacity, sizeof(struct svr_skey4));
	snprintf(n, sizeof(n), "%s-6", name);
	t->h6 =
	    make_hash(n, 2 * t->capacity6 > 64 ? 2 * t->capacity6 : 64, sizeof(struct svr_skey6));
	if (!t->h4 || !t->h6)
		goto fail;
	/* Deletions pending a grace period; when it is full a delete waits for one instead. */
	char dqn[RTE_RCU_QSBR_DQ_NAMESIZE];
	snprintf(dqn, sizeof(dqn), "%s-dq", name);
	struct rte_rcu_qsbr_dq_parameters dp = {
	    .name = dqn,
	    .size = capacity / 16 + 1024,
	    .esize = sizeof(struct retired_session),
	    .trigger_reclaim_limit = capacity / 16 + 64,
	    .max_reclaim_size = 4096,
	    .free_fn = release_sessions,
	    .p = t,
	    .v = qs,
	};
	t->qs = qs;
	t->dq = rte_rcu_qsbr_dq_create(&dp);
	if (!t->dq)
		goto fail;
	t->bytes = heap_used() - heap_before; /* startup: nothing else allocates meanwhile */
	return t;
fail:
	svr_session_table_free(t);
	return NULL;
}

void svr_session_table_free(struct svr_session_table *t)
{
	if (!t)
		return;
	if (t->dq)
		rte_rcu_qsbr_dq_delete(t->dq);
	rte_hash_free(t->h4);
	rte_hash_free(t->h6);
	rte_free(t->entries);
	rte_free(t);
}

static unsigned lookup(const struct rte_hash *h, const void **keys, unsigned n, uint64_t *hits)
{
	void *data[RTE_HASH_LOOKUP_BULK_MAX];
	uint64_t mask = 0;
	unsigned found = 0;
	for (unsigned off = 0; off < n; off += RTE_HASH_LOOKUP_BULK_MAX) {
		unsigned k =
		    n - off < RTE_HASH_LOOKUP_BULK_MAX ? n - off : RTE_HASH_LOOKUP_BULK_MAX;
		int r = rte_hash_lookup_bulk_data(h, keys + off, k, &mask, data);
		found += r > 0 ? (unsigned)r : 0;
		for (unsigned i = 0; i < k; i++)
			hits[off + i] = (mask >> i) & 1 ? (uint64_t)(uintptr_t)data[i] : NO_DATA;
	}
	return found;
}

unsigned svr_session_lookup4(const struct svr_session_table *t, const struct svr_skey4 **keys,
			     unsigned n, uint64_t *hits)
{
	return lookup(t->h4, (const void **)keys, n, hits);
}

unsigned svr_session_lookup6(const struct svr_session_table *t, const struct svr_skey6 **keys,
			     unsigned n, uint64_t *hits)
{
	return lookup(t->h6, (const void **)keys, n, hits);
}

static uint64_t find(const struct rte_hash *h, const void *key)
{
	void *data;
	return rte_hash_lookup_data(h, key, &data) >= 0 ? (uint64_t)(uintptr_t)data : NO_DATA;
}

uint64_t svr_session_find4(const struct svr_session_table *t, const struct svr_skey4 *key)
{
	return find(t->h4, key);
}

uint64_t svr_session_find6(const struct svr_session_table *t, const struct svr_skey6 *key)
{
	return find(t->h6, key);
}

/*
 * Waypoint ports: an even port of ours in [nat_lo, nat_hi] and an odd one of
 * the peer's in [pair_lo, pair_hi], any combination (about 6 x 10^8 with the
 * defaults), such that the tuple is unused by any live session. The first
 * tried is a hash of the forward key.
 */
static int place_pair(const struct rte_hash *h, const void *fwd, uint8_t *rev, size_t key_len,
		      const struct svr_session_place *p)
{
	uint32_t n_even = ((uint32_t)p->nat_hi - p->nat_lo) / 2 + 1;
	uint32_t odd_lo = p->pair_lo | 1u,
		 odd_hi = (p->pair_hi & 1u) ? p->pair_hi : p->pair_hi - 1u;
	if (odd_lo > odd_hi)
		return -EADDRINUSE; /* no odd port to give the peer */
	uint32_t n_odd = (odd_hi - odd_lo) / 2 + 1;
	uint64_t space = (uint64_t)n_even * n_odd;
	uint64_t start = rte_hash_crc(fwd, (uint32_t)key_len, 0x5356) % space;
	uint64_t tries = space < SVR_NAT_PROBES ? space : SVR_NAT_PROBES;
	for (uint64_t i = 0; i < tries; i++) {
		uint64_t t = (start + i) % space;
		uint16_t even = (uint16_t)(p->nat_lo + 2 * (t % n_even));
		uint16_t odd = (uint16_t)(odd_lo + 2 * (t / n_even));
		uint16_t be_even = rte_cpu_to_be_16(even), be_odd = rte_cpu_to_be_16(odd);
		memcpy(rev + p->nat_port_off, &be_even, 2);
		memcpy(rev + p->pair_port_off, &be_odd, 2);
		if (rte_hash_lookup(h, rev) < 0)
			return 0;
	}
	return -EADDRINUSE;
}

/* Under the writer lock: settles the reverse key; 0, -EADDRINUSE or -EEXIST. */
static int place_reverse(const struct rte_hash *h, const void *fwd, uint8_t *rev, size_t key_len,
			 const struct svr_session_place *p)
{
	if (p->nat_hi == 0)
		return rte_hash_lookup(h, rev) >= 0 ? -EEXIST : 0;
	if (p->waypoint_pair)
		return place_pair(h, fwd, rev, key_len, p);
	/* The sender's own port first (what NATs usually keep), if in range and free. */
	uint16_t own;
	memcpy(&own, rev + p->nat_port_off, 2);
	uint16_t own_h = rte_be_to_cpu_16(own);
	if (own_h >= p->nat_lo && own_h <= p->nat_hi && rte_hash_lookup(h, rev) < 0)
		return 0;
	/* Then from where the forward key hashes, so that sessions spread over the range. */
	uint32_t span = (uint32_t)p->nat_hi - p->nat_lo + 1;
	uint32_t start = rte_hash_crc(fwd, (uint32_t)key_len, 0x5356) % span;
	uint32_t tries = span < SVR_NAT_PROBES ? span : SVR_NAT_PROBES;
	for (uint32_t i = 0; i < tries; i++) {
		uint16_t port = rte_cpu_to_be_16((uint16_t)(p->nat_lo + (start + i) % span));
		memcpy(rev + p->nat_port_off, &port, 2);
		if (rte_hash_lookup(h, rev) < 0)
			return 0;
	}
	return -EADDRINUSE;
}

static int64_t create(struct svr_session_table *t, struct rte_hash *h, const void *fwd, void *rev,
		      size_t key_len, uint8_t family, const struct svr_session_place *place,
		      svr_session_fill_fn fill, void *arg, bool *existing)
{
	*existing = false;
	void *other;
	int64_t rc;
	rte_spinlock_lock(&t->writer);
	if (rte_hash_lookup_data(h, fwd, &other) >= 0) {
		/* Another worker created this session since our lookup missed. */
		*existing = true;
		rc = svr_sess_idx((uintptr_t)other);
		goto out;
	}
	uint32_t limit = place->limit < t->capacity ? place->limit : t->capacity;
	if (t->n_free == 0 || t->capacity - t->n_free >= limit ||
	    (family == 6 && t->n6 >= t->capacity6)) {
		rc = -ENOSPC;
		goto out;
	}
	int r = place_reverse(h, fwd, rev, key_len, place);
	if (r == 0 && memcmp(fwd, rev, key_len) == 0)
		r = -EEXIST; /* source = destination: both keys would be one */
	if (r < 0) {
		rc = r;
		goto out;
	}
	uint32_t idx = pop_free(t);
	if (idx >= t->high_water)
		t->high_water = idx + 1;
	struct svr_session *s = &t->entries[idx];
	memset(s, 0, sizeof(*s));
	s->family = family;
	s->key_pos[0] = s->key_pos[1] = -1;
	fill(s, arg); /* complete before any reader can reach it */
	/* counted half-open before a reader can see it (svr_session_tcp_move) */
	if (atomic_load_explicit(&s->tcp_state, memory_order_relaxed) == SVR_TCP_SYN_SENT)
		atomic_fetch_add_explicit(&t->half_open, 1, memory_order_relaxed);
	uintptr_t d_fwd = (uintptr_t)idx << 1 | SVR_DIR_FWD;
	uintptr_t d_rev = (uintptr_t)idx << 1 | SVR_DIR_REV;
	if (rte_hash_add_key_data(h, fwd, (void *)d_fwd) != 0) {
		end_state(t, s);
		push_free(t, idx);
		rc = -ENOSPC;
		goto out;
	}
	if (rte_hash_add_key_data(h, rev, (void *)d_rev) != 0) {
		/* Unpublish the forward key: a reader may hold it, so it is retired like a session.
		 */
		struct retired_session r = {
		    .pos = {rte_hash_del_key(h, fwd), -1}, .idx = idx, .family = family};
		if (family == 6)
			t->n6++; /* given back with the entry */
		end_state(t, s); /* a worker may have moved it meanwhile: one of us counts */
		rte_spinlock_unlock(&t->writer);
		retire(t, &r, true);
		return -ENOSPC;
	}
	s->key_pos[0] = rte_hash_lookup(h, fwd);
	s->key_pos[1] = rte_hash_lookup(h, rev);
	if (family == 6)
		t->n6++;
	atomic_store_explicit(&s->in_use, 1, memory_order_release);
	rc = idx;
out:
	rte_spinlock_unlock(&t->writer);
	return rc;
}

int64_t svr_session_create4(struct svr_session_table *t, const struct svr_skey4 *fwd,
			    struct svr_skey4 *rev, const struct svr_session_place *place,
			    svr_session_fill_fn fill, void *arg, bool *existing)
{
	return create(t, t->h4, fwd, rev, sizeof(*fwd), 4, place, fill, arg, existing);
}

int64_t svr_session_create6(struct svr_session_table *t, const struct svr_skey6 *fwd,
			    struct svr_skey6 *rev, const struct svr_session_place *place,
			    svr_session_fill_fn fill, void *arg, bool *existing)
{
	return create(t, t->h6, fwd, rev, sizeof(*fwd), 6, place, fill, arg, existing);
}

bool svr_session_delete(struct svr_session_table *t, uint32_t idx)
{
	struct svr_session *s = &t->entries[idx];
	if (!atomic_exchange_explicit(&s->in_use, 0, memory_order_acq_rel))
		return false;
	end_state(t, s);
	struct rte_hash *h = s->family == 6 ? t->h6 : t->h4;
	struct retired_session r = {
	    .pos = {s->key_pos[0], s->key_pos[1]}, .idx = idx, .family = s->family};
	rte_spinlock_lock(&t->writer);
	for (int d = 0; d < 2; d++) {
		void *key;
		if (r.pos[d] >= 0 && rte_hash_get_key_with_position(h, r.pos[d], &key) == 0)
			rte_hash_del_key(h, key);
	}
	rte_spinlock_unlock(&t->writer);
	retire(t, &r, false);
	return true;
}

int svr_session_keys(const struct svr_session_table *t, uint32_t idx, const void **fwd,
		     const void **rev)
{
	const struct svr_session *s = &t->entries[idx];
	const struct rte_hash *h = s->family == 6 ? t->h6 : t->h4;
	void *k0, *k1;
	if (s->key_pos[0] < 0 || s->key_pos[1] < 0 ||
	    rte_hash_get_key_with_position(h, s->key_pos[0], &k0) != 0 ||
	    rte_hash_get_key_with_position(h, s->key_pos[1], &k1) != 0)
		return -1;
	*fwd = k0;
	*rev = k1;
	return 0;
}

void svr_session_reclaim(struct svr_session_table *t)
{
	unsigned freed, pending, available;
	rte_rcu_qsbr_dq_reclaim(t->dq, 4096, &freed, &pending, &available);
}

uint32_t svr_session_free_count(const struct svr_session_table *t)
{
	return t->n_free; /* a racy read, for display and tests */
}
