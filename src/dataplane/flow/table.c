/* SPDX-License-Identifier: BSD-3-Clause */
#include "flow/table.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>
#include <rte_random.h>
#include <rte_rcu_qsbr.h>

#include "core/bigmem.h"

#define NO_DATA UINT64_MAX
/* Ports tried for one source-NAT mapping before refusing (a full range is rare). */
#define SVR_NAT_PROBES 4096
/* Claims lost to another worker taking the same reverse key before giving up. */
#define CLAIM_TRIES 16
/* The index's average load: 60% of its slots. */
#define KEYS_PER_BUCKET 9
/* Buckets an insert looks through for a free slot (the index is about half full). */
#define INSERT_PROBES 64

#define SLOT_DATA_BITS 25
#define SLOT_DATA_MASK ((1u << SLOT_DATA_BITS) - 1)
#define NO_INDEX       UINT32_MAX
#define MISS           (UINT32_MAX - 1) /* bulk lookup: no tag at home, no overflow */

/* --- keys: where a session keeps them, their hash --- */

static inline bool is6(int family)
{
	return family == 6;
}

/* The key of direction (data & 1) of entry (data >> 1). */
static inline const void *stored_key(const struct svr_session_table *t, int family, uint32_t data)
{
	const struct svr_session *s = &t->entries[data >> 1];
	if (!is6(family))
		return &s->dir[data & 1].key;
	return &t->keys6[s->dir[data & 1].key.src][data & 1]; /* the slot is in both lines */
}

static inline bool key_eq(int family, const void *a, const void *b)
{
	if (is6(family))
		return memcmp(a, b, sizeof(struct svr_skey6)) == 0;
	const uint64_t *x = a, *y = b;
	return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
}

/*
 * A key's hash: multilinear over its 32-bit words with the table's secret
 * seeds (a strongly universal family). CRC32 would be cheaper to reason about
 * but is linear: whoever sends the packets can compute 5-tuples that collide
 * on every bit under any seed, and pile them into one bucket chain. Without
 * the seeds, no one can aim at a bucket.
 */
static inline uint32_t key_hash(const struct svr_session_table *t, int family, const void *k)
{
	const uint32_t *w = k;
	unsigned n = is6(family) ? SVR_KEY6_WORDS : SVR_KEY4_WORDS;
	uint64_t h = t->seed[0];
	for (unsigned i = 0; i < n; i++)
		h += t->seed[i + 1] * w[i];
	return (uint32_t)(h >> 32);
}

static inline const struct svr_session_index *index_of(const struct svr_session_table *t,
						       int family)
{
	return is6(family) ? &t->ix6 : &t->ix4;
}

/* --- the index --- */

static inline uint32_t home_of(const struct svr_session_index *ix, uint32_t h)
{
	return (uint32_t)(((uint64_t)h * ix->n_buckets) >> 32);
}

static inline uint32_t tag_of(uint32_t h)
{
	uint32_t tag = h & 0x7f; /* the low bits: the home bucket comes from the high ones */
	return (tag ? tag : 1) << SLOT_DATA_BITS;
}

static inline uint32_t next_bucket(const struct svr_session_index *ix, uint32_t b)
{
	return b + 1 == ix->n_buckets ? 0 : b + 1;
}

static inline uint32_t load_slot(const struct svr_bucket *bk, unsigned i)
{
	return __atomic_load_n(&bk->slot[i], __ATOMIC_ACQUIRE);
}

/*
 * The slots of bk whose tag is tag (bit i: slot i). With SSE2, one compare of the bucket's 16
 * words instead of 15 loads and branches, as DPDK's own hash compares signatures; a writer's
 * concurrent compare-and-swap makes a slot read old or new, never torn (aligned 4-byte lanes),
 * and the caller loads a matching slot again (acquire) before it trusts the slot's data. A plain
 * vector load racing atomic writes is outside C11's model (ThreadSanitizer would say so): it is
 * the x86 guarantee this relies on, as DPDK does.
 */
static inline uint32_t tag_matches(const struct svr_bucket *bk, uint32_t tag)
{
#ifdef __SSE2__
	const __m128i *w = (const __m128i *)(const void *)bk;
	const __m128i mask = _mm_set1_epi32((int)~SLOT_DATA_MASK), want = _mm_set1_epi32((int)tag);
	__m128i q[4];
	for (unsigned i = 0; i < 4; i++)
		q[i] = _mm_cmpeq_epi32(_mm_and_si128(_mm_load_si128(&w[i]), mask), want);
	__m128i all = _mm_packs_epi16(_mm_packs_epi32(q[0], q[1]), _mm_packs_epi32(q[2], q[3]));
	return (uint32_t)_mm_movemask_epi8(all) & ((1u << SVR_BUCKET_SLOTS) - 1);
#else
	uint32_t bits = 0;
	for (unsigned i = 0; i < SVR_BUCKET_SLOTS; i++)
		bits |= (uint32_t)((load_slot(bk, i) & ~SLOT_DATA_MASK) == tag) << i;
	return bits;
#endif
}

/* Looks a key up from its home bucket: its data, or NO_DATA. Lock-free. */
static uint64_t ix_find(const struct svr_session_table *t, int family, const void *key, uint32_t h)
{
	const struct svr_session_index *ix = index_of(t, family);
	uint32_t tag = tag_of(h), b = home_of(ix, h);
	/* no key is stored further than an insert looks (however overflow counts chain up) */
	for (uint32_t n = 0; n < INSERT_PROBES && n < ix->n_buckets; n++, b = next_bucket(ix, b)) {
		const struct svr_bucket *bk = &ix->b[b];
		for (uint32_t m = tag_matches(bk, tag); m; m &= m - 1) {
			uint32_t v = load_slot(bk, (unsigned)__builtin_ctz(m));
			if ((v & ~SLOT_DATA_MASK) == tag &&
			    key_eq(family, key, stored_key(t, family, v & SLOT_DATA_MASK)))
				return v & SLOT_DATA_MASK;
		}
		if (__atomic_load_n(&bk->overflow, __ATOMIC_ACQUIRE) == 0)
			break;
	}
	return NO_DATA;
}

static void add_overflow(struct svr_session_index *ix, uint32_t from, uint32_t n, int delta)
{
	for (uint32_t j = 0, b = from; j < n; j++, b = next_bucket(ix, b))
		__atomic_fetch_add(&ix->b[b].overflow, (uint32_t)delta, __ATOMIC_RELEASE);
}

/*
 * Claims a free slot for data, from the key's home bucket on. The buckets
 * passed over count it as overflow before it becomes visible, so a reader that
 * can see it also goes far enough to find it. Another writer (of a key with
 * another home) may take the same slot: compare-and-swap, then the next one.
 */
static bool ix_insert(struct svr_session_index *ix, uint32_t h, uint32_t data)
{
	uint32_t home = home_of(ix, h), v = tag_of(h) | data, b = home;
	for (uint32_t n = 0; n < INSERT_PROBES && n < ix->n_buckets; n++, b = next_bucket(ix, b)) {
		struct svr_bucket *bk = &ix->b[b];
		for (unsigned i = 0; i < SVR_BUCKET_SLOTS; i++) {
			if (load_slot(bk, i) != 0)
				continue;
			add_overflow(ix, home, n, 1);
			uint32_t empty = 0;
			if (__atomic_compare_exchange_n(&bk->slot[i], &empty, v, false,
							__ATOMIC_RELEASE, __ATOMIC_RELAXED))
				return true;
			add_overflow(ix, home, n, -1);
		}
	}
	return false;
}

/* Unpublishes data (a key of h): its slot is free again at once (readers compare the key). */
static void ix_remove(struct svr_session_index *ix, uint32_t h, uint32_t data)
{
	uint32_t home = home_of(ix, h), v = tag_of(h) | data, b = home;
	for (uint32_t n = 0; n < INSERT_PROBES && n < ix->n_buckets; n++, b = next_bucket(ix, b)) {
		struct svr_bucket *bk = &ix->b[b];
		for (unsigned i = 0; i < SVR_BUCKET_SLOTS; i++)
			if (load_slot(bk, i) == v) {
				__atomic_store_n(&bk->slot[i], 0, __ATOMIC_RELEASE);
				add_overflow(ix, home, n, -1);
				return;
			}
	}
}

/* Points the slot holding data (a key of h) at new_data instead: false if no slot holds it. */
static bool ix_replace(struct svr_session_index *ix, uint32_t h, uint32_t data, uint32_t new_data)
{
	uint32_t v = tag_of(h) | data, b = home_of(ix, h);
	for (uint32_t n = 0; n < INSERT_PROBES && n < ix->n_buckets; n++, b = next_bucket(ix, b)) {
		struct svr_bucket *bk = &ix->b[b];
		for (unsigned i = 0; i < SVR_BUCKET_SLOTS; i++) {
			uint32_t seen = v;
			if (load_slot(bk, i) == v &&
			    __atomic_compare_exchange_n(&bk->slot[i], &seen, tag_of(h) | new_data,
							false, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
				return true;
		}
	}
	return false;
}

static size_t ix_bytes(const struct svr_session_index *ix)
{
	return (size_t)ix->n_buckets * sizeof(*ix->b);
}

static int ix_init(struct svr_session_index *ix, uint32_t keys)
{
	/* 9 keys a bucket of 15 on average: one in about 50 buckets overflows (memory: 14 bytes
	 * a session) */
	ix->n_buckets = (uint32_t)(((uint64_t)keys + KEYS_PER_BUCKET - 1) / KEYS_PER_BUCKET);
	if (ix->n_buckets < 2)
		ix->n_buckets = 2;
	ix->b = dp_bigmem_alloc("svr_session_index", ix_bytes(ix));
	return ix->b ? 0 : -1;
}

/* --- stripe locks: check and claim of one key, by its home bucket --- */

static inline rte_spinlock_t *stripe_of(const struct svr_session_table *t, int family, uint32_t h)
{
	uint32_t b = home_of(index_of(t, family), h);
	return &t->stripes[(b ^ (is6(family) ? 0x5bd1u : 0)) & (t->n_stripes - 1)];
}

/* Both keys' stripes, in address order (one lock when they share it). */
static void lock_pair(rte_spinlock_t *a, rte_spinlock_t *b)
{
	if (a > b) {
		rte_spinlock_t *x = a;
		a = b;
		b = x;
	}
	rte_spinlock_lock(a);
	if (b != a)
		rte_spinlock_lock(b);
}

static void unlock_pair(rte_spinlock_t *a, rte_spinlock_t *b)
{
	rte_spinlock_unlock(a);
	if (b != a)
		rte_spinlock_unlock(b);
}

/* --- free indices: a lock-free stack with an ABA count, reserved before popped --- */

static void stack_push(struct svr_free_stack *st, uint32_t idx)
{
	uint64_t head = atomic_load_explicit(&st->head, memory_order_relaxed), next;
	do {
		__atomic_store_n(&st->next[(size_t)idx * st->stride], (uint32_t)head,
				 __ATOMIC_RELAXED);
		next = ((head >> 32) + 1) << 32 | (idx + 1);
	} while (!atomic_compare_exchange_weak_explicit(
	    &st->head, &head, next, memory_order_release, memory_order_relaxed));
	atomic_fetch_add_explicit(&st->n_free, 1, memory_order_release);
}

/* One index off the stack: the caller reserved it (stack_reserve), so there is one. */
static uint32_t stack_pop(struct svr_free_stack *st)
{
	uint64_t head = atomic_load_explicit(&st->head, memory_order_acquire), next;
	for (;;) {
		uint32_t top = (uint32_t)head;
		if (top == 0) { /* a pusher has not swapped its head in yet */
			head = atomic_load_explicit(&st->head, memory_order_acquire);
			continue;
		}
		/* may read an entry another popper took meanwhile: the count then fails the swap */
		uint32_t below =
		    __atomic_load_n(&st->next[(size_t)(top - 1) * st->stride], __ATOMIC_RELAXED);
		next = ((head >> 32) + 1) << 32 | below;
		if (atomic_compare_exchange_weak_explicit(
			&st->head, &head, next, memory_order_acquire, memory_order_acquire))
			return top - 1;
	}
}

/* Reserves one index while fewer than limit are out; false when none may be taken. */
static bool stack_reserve(struct svr_free_stack *st, uint32_t total, uint32_t limit)
{
	uint32_t f = atomic_load_explicit(&st->n_free, memory_order_relaxed);
	do {
		if (f == 0 || total - f >= limit)
			return false;
	} while (!atomic_compare_exchange_weak_explicit(
	    &st->n_free, &f, f - 1, memory_order_acquire, memory_order_relaxed));
	return true;
}

/* next: n links stride uint32_t apart (free entries' info), or NULL for an array of its own. */
static int stack_init(struct svr_free_stack *st, uint32_t n, uint32_t *next, uint32_t stride)
{
	st->stride = next ? stride : 1;
	st->next = next ? next : rte_malloc("svr_session_free", (size_t)n * sizeof(*st->next), 0);
	if (!st->next)
		return -1;
	/* Lowest indices first out: a small load stays in few pages (and scans stop early). */
	for (uint32_t i = n; i-- > 0;)
		stack_push(st, i);
	return 0;
}

/* --- entries --- */

/* A deleted session awaiting its grace period. */
struct retired_session {
	uint32_t idx;
	uint32_t key6; /* its IPv6 key slot, or NO_INDEX */
};

/* An entry that leaves use (deleted, or never published): its state moves no more. */
static void end_state(struct svr_session_table *t, struct svr_session *s)
{
	if (atomic_exchange_explicit(svr_session_tcp_state(s), SVR_TCP_ENDED,
				     memory_order_acq_rel) == SVR_TCP_SYN_SENT)
		atomic_fetch_sub_explicit(&t->half_open, 1, memory_order_relaxed);
}

/* An entry (and IPv6 key slot) no reader can hold: free again. */
static void give_back(struct svr_session_table *t, uint32_t idx, uint32_t key6)
{
	if (key6 != NO_INDEX)
		stack_push(&t->free_keys6, key6);
	stack_push(&t->free_entries, idx);
}

/* After the grace period: the entry index is free again (lock-free, one entry at a time). */
static void release_sessions(void *p, void *e, unsigned n)
{
	struct svr_session_table *t = p;
	const struct retired_session *r = e;
	for (unsigned i = 0; i < n; i++) {
		/* no reader left: its names may be forgotten (names.h) */
		t->info[r[i].idx].tenant = t->info[r[i].idx].service = SVR_NO_NAME;
		t->notes[r[i].idx].rule = SVR_NO_NAME;
		give_back(t, r[i].idx, r[i].key6);
	}
}

/*
 * Queues a deleted session for its grace period. The main lcore, which
 * reports no quiescent state, may wait for one when the queue is full; a
 * worker must never wait for a grace period it is part of: it gives up the
 * entry instead (counted, never seen in practice: the queue holds a sixteenth
 * of the table).
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

static size_t entries_bytes(const struct svr_session_table *t)
{
	return (size_t)t->capacity * sizeof(*t->entries);
}

static size_t info_bytes(const struct svr_session_table *t)
{
	return (size_t)t->capacity * sizeof(*t->info);
}

static size_t notes_bytes(const struct svr_session_table *t)
{
	return (size_t)t->capacity * sizeof(*t->notes);
}

static size_t keys6_bytes(const struct svr_session_table *t)
{
	return (size_t)t->capacity6 * sizeof(*t->keys6);
}

/* The table's memory: DPDK's heap grew by its part, the large arrays may be outside it. */
static size_t table_bytes(const struct svr_session_table *t, size_t heap_grew)
{
	return heap_grew + dp_bigmem_outside_heap(entries_bytes(t)) +
	       dp_bigmem_outside_heap(info_bytes(t)) + dp_bigmem_outside_heap(notes_bytes(t)) +
	       dp_bigmem_outside_heap(keys6_bytes(t)) + dp_bigmem_outside_heap(ix_bytes(&t->ix4)) +
	       dp_bigmem_outside_heap(ix_bytes(&t->ix6));
}

/* Stripe locks: enough that two workers rarely meet on one. */
#define STRIPES 4096

struct svr_session_table *svr_session_table_create(const char *name, uint32_t capacity,
						   uint32_t capacity6, struct rte_rcu_qsbr *qs)
{
	if (capacity == 0 || capacity > (SLOT_DATA_MASK >> 1) + 1)
		return NULL; /* an entry index << 1 | direction fits a slot's data */
	size_t heap_before = heap_used();
	struct svr_session_table *t = rte_zmalloc("svr_sessions", sizeof(*t), RTE_CACHE_LINE_SIZE);
	if (!t)
		return NULL;
	t->capacity = capacity;
	/* The hash's secret: from the kernel's random pool (startup, not the fast path). */
	if (getrandom(t->seed, sizeof(t->seed), 0) != (ssize_t)sizeof(t->seed))
		for (unsigned i = 0; i < RTE_DIM(t->seed); i++)
			t->seed[i] = rte_rand();
	t->capacity6 = capacity6 < capacity ? capacity6 : capacity;
	if (t->capacity6 == 0)
		t->capacity6 = 1;
	t->n_stripes = STRIPES;
	t->stripes =
	    rte_zmalloc("svr_session_stripes", STRIPES * sizeof(*t->stripes), RTE_CACHE_LINE_SIZE);
	t->entries = dp_bigmem_alloc("svr_session_entries", entries_bytes(t));
	t->info = dp_bigmem_alloc("svr_session_info", info_bytes(t));
	t->notes = dp_bigmem_alloc("svr_session_notes", notes_bytes(t));
	t->keys6 = dp_bigmem_alloc("svr_session_keys6", keys6_bytes(t));
	if (!t->stripes || !t->entries || !t->info || !t->notes || !t->keys6)
		goto fail;
	for (uint32_t i = 0; i < STRIPES; i++)
		rte_spinlock_init(&t->stripes[i]);
	/* Two keys per session. */
	if (ix_init(&t->ix4, 2 * capacity) < 0 || ix_init(&t->ix6, 2 * t->capacity6) < 0 ||
	    stack_init(&t->free_entries, capacity, (uint32_t *)(void *)t->info,
		       sizeof(*t->info) / sizeof(uint32_t)) < 0 ||
	    stack_init(&t->free_keys6, t->capacity6, NULL, 1) < 0)
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
	t->bytes = table_bytes(t, heap_used() - heap_before); /* startup: nothing else allocates */
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
	dp_bigmem_free(t->ix4.b, ix_bytes(&t->ix4));
	dp_bigmem_free(t->ix6.b, ix_bytes(&t->ix6));
	rte_free(t->free_keys6.next);
	dp_bigmem_free(t->info, info_bytes(t));
	dp_bigmem_free(t->notes, notes_bytes(t));
	dp_bigmem_free(t->keys6, keys6_bytes(t));
	dp_bigmem_free(t->entries, entries_bytes(t));
	rte_free((void *)t->stripes);
	rte_free(t);
}

/* --- lookups --- */

/*
 * A burst of keys in three passes, each touching memory the previous one
 * prefetched: hashes (home buckets prefetched); the first slot of each home
 * bucket with the key's tag (its stored key prefetched); the key compared.
 * Anything else (no tag in the home bucket but overflow, a tag whose key
 * differs) takes the one-key path.
 */
#define LOOKUP_CHUNK 64

static unsigned lookup(const struct svr_session_table *t, int family, const void **keys, unsigned n,
		       uint64_t *hits)
{
	const struct svr_session_index *ix = index_of(t, family);
	uint32_t h[LOOKUP_CHUNK], cand[LOOKUP_CHUNK];
	unsigned found = 0;
	for (unsigned off = 0; off < n; off += LOOKUP_CHUNK) {
		unsigned k = n - off < LOOKUP_CHUNK ? n - off : LOOKUP_CHUNK;
		const void **kk = keys + off;
		for (unsigned i = 0; i < k; i++) {
			h[i] = key_hash(t, family, kk[i]);
			rte_prefetch0(&ix->b[home_of(ix, h[i])]);
		}
		for (unsigned i = 0; i < k; i++) {
			const struct svr_bucket *bk = &ix->b[home_of(ix, h[i])];
			uint32_t tag = tag_of(h[i]);
			cand[i] =
			    __atomic_load_n(&bk->overflow, __ATOMIC_ACQUIRE) ? NO_INDEX : MISS;
			for (uint32_t m = tag_matches(bk, tag); m; m &= m - 1) {
				uint32_t v = load_slot(bk, (unsigned)__builtin_ctz(m));
				if ((v & ~SLOT_DATA_MASK) == tag) {
					cand[i] = v & SLOT_DATA_MASK;
					rte_prefetch0(stored_key(t, family, cand[i]));
					break;
				}
			}
		}
		for (unsigned i = 0; i < k; i++) {
			uint64_t d;
			if (cand[i] == MISS)
				d = NO_DATA;
			else if (cand[i] != NO_INDEX &&
				 key_eq(family, kk[i], stored_key(t, family, cand[i])))
				d = cand[i];
			else
				d = ix_find(t, family, kk[i], h[i]);
			hits[off + i] = d;
			found += d != NO_DATA;
		}
	}
	return found;
}

unsigned svr_session_lookup4(const struct svr_session_table *t, const struct svr_skey4 **keys,
			     unsigned n, uint64_t *hits)
{
	return lookup(t, 4, (const void **)keys, n, hits);
}

unsigned svr_session_lookup6(const struct svr_session_table *t, const struct svr_skey6 **keys,
			     unsigned n, uint64_t *hits)
{
	return lookup(t, 6, (const void **)keys, n, hits);
}

static uint64_t find(const struct svr_session_table *t, int family, const void *key)
{
	return ix_find(t, family, key, key_hash(t, family, key));
}

uint64_t svr_session_find4(const struct svr_session_table *t, const struct svr_skey4 *key)
{
	return find(t, 4, key);
}

uint64_t svr_session_find6(const struct svr_session_table *t, const struct svr_skey6 *key)
{
	return find(t, 6, key);
}

/* --- creation --- */

/*
 * Waypoint ports: an even port of ours in [nat_lo, nat_hi] and an odd one of
 * the peer's in [pair_lo, pair_hi], any combination (about 6 x 10^8 with the
 * defaults), such that the tuple is unused by any live session. The first
 * tried is a hash of the forward key.
 */
static int place_pair(const struct svr_session_table *t, int family, const void *fwd, uint8_t *rev,
		      size_t key_len, const struct svr_session_place *p)
{
	uint32_t n_even = ((uint32_t)p->nat_hi - p->nat_lo) / 2 + 1;
	uint32_t odd_lo = p->pair_lo | 1u,
		 odd_hi = (p->pair_hi & 1u) ? p->pair_hi : p->pair_hi - 1u;
	if (odd_lo > odd_hi)
		return -EADDRINUSE; /* no odd port to give the peer */
	uint32_t n_odd = (odd_hi - odd_lo) / 2 + 1;
	uint64_t space = (uint64_t)n_even * n_odd;
	uint64_t start = rte_hash_crc(fwd, (uint32_t)key_len, 0x5356 ^ p->pair_salt) % space;
	uint64_t tries = space < SVR_NAT_PROBES ? space : SVR_NAT_PROBES;
	for (uint64_t i = 0; i < tries; i++) {
		uint64_t n = (start + i) % space;
		uint16_t even = (uint16_t)(p->nat_lo + 2 * (n % n_even));
		uint16_t odd = (uint16_t)(odd_lo + 2 * (n / n_even));
		uint16_t be_even = rte_cpu_to_be_16(even), be_odd = rte_cpu_to_be_16(odd);
		memcpy(rev + p->nat_port_off, &be_even, 2);
		memcpy(rev + p->pair_port_off, &be_odd, 2);
		if (find(t, family, rev) == NO_DATA)
			return 0;
	}
	return -EADDRINUSE;
}

/*
 * Settles the reverse key: 0, -EADDRINUSE or -EEXIST. Lock-free: what it
 * finds free is claimed afterwards, and probed again if another worker took it.
 */
static int place_reverse(const struct svr_session_table *t, int family, const void *fwd,
			 uint8_t *rev, size_t key_len, const struct svr_session_place *p)
{
	if (p->nat_hi == 0)
		return 0; /* nothing to choose: the claim, under the keys' stripes, checks it (a
			   * lock-free look here could see half of a session another worker is
			   * publishing, its reverse key before its forward one) */
	if (p->waypoint_pair)
		return place_pair(t, family, fwd, rev, key_len, p);
	/* The sender's own port first (what NATs usually keep), if in range and free. */
	uint16_t own;
	memcpy(&own, rev + p->nat_port_off, 2);
	uint16_t own_h = rte_be_to_cpu_16(own);
	if (own_h >= p->nat_lo && own_h <= p->nat_hi && find(t, family, rev) == NO_DATA)
		return 0;
	/* Then from where the forward key hashes, so that sessions spread over the range. */
	uint32_t span = (uint32_t)p->nat_hi - p->nat_lo + 1;
	uint32_t start = rte_hash_crc(fwd, (uint32_t)key_len, 0x5356) % span;
	uint32_t tries = span < SVR_NAT_PROBES ? span : SVR_NAT_PROBES;
	for (uint32_t i = 0; i < tries; i++) {
		uint16_t port = rte_cpu_to_be_16((uint16_t)(p->nat_lo + (start + i) % span));
		memcpy(rev + p->nat_port_off, &port, 2);
		if (find(t, family, rev) == NO_DATA)
			return 0;
	}
	return -EADDRINUSE;
}

/* Takes a free entry (and IPv6 key slot) within the limit: 0, or -ENOSPC. */
static int take_entry(struct svr_session_table *t, int family, uint32_t limit, uint32_t *idx,
		      uint32_t *key6)
{
	if (limit > t->capacity)
		limit = t->capacity;
	if (!stack_reserve(&t->free_entries, t->capacity, limit))
		return -ENOSPC;
	*key6 = NO_INDEX;
	if (is6(family)) {
		if (!stack_reserve(&t->free_keys6, t->capacity6, t->capacity6)) {
			atomic_fetch_add_explicit(&t->free_entries.n_free, 1, memory_order_relaxed);
			return -ENOSPC;
		}
		*key6 = stack_pop(&t->free_keys6);
	}
	*idx = stack_pop(&t->free_entries);
	uint32_t hw = atomic_load_explicit(&t->high_water, memory_order_relaxed);
	while (*idx >= hw &&
	       !atomic_compare_exchange_weak_explicit(&t->high_water, &hw, *idx + 1,
						      memory_order_relaxed, memory_order_relaxed))
		;
	return 0;
}

static inline uint8_t live_of(int family)
{
	return is6(family) ? SVR_LIVE | SVR_LIVE_V6 : SVR_LIVE;
}

/* The entry filled for the keys as they stand, not yet reachable by any reader. */
static struct svr_session *prepare(struct svr_session_table *t, int family, uint32_t idx,
				   uint32_t key6, const void *fwd, const void *rev,
				   svr_session_fill_fn fill, void *arg)
{
	struct svr_session *s = &t->entries[idx];
	memset(s, 0, sizeof(*s));
	memset(&t->info[idx], 0, sizeof(t->info[idx]));
	t->notes[idx] = (struct svr_session_note){.rule = SVR_NO_NAME};
	if (is6(family)) {
		s->dir[SVR_DIR_FWD].key.src = s->dir[SVR_DIR_REV].key.src = key6;
		memcpy(&t->keys6[key6][SVR_DIR_FWD], fwd, sizeof(struct svr_skey6));
		memcpy(&t->keys6[key6][SVR_DIR_REV], rev, sizeof(struct svr_skey6));
	} else {
		memcpy(&s->dir[SVR_DIR_FWD].key, fwd, sizeof(struct svr_skey4));
		memcpy(&s->dir[SVR_DIR_REV].key, rev, sizeof(struct svr_skey4));
	}
	fill(s, &t->info[idx], arg); /* complete before any reader can reach it */
	/* each line has its copy */
	s->dir[SVR_DIR_REV].proto = s->dir[SVR_DIR_FWD].proto;
	s->dir[SVR_DIR_REV].payload_key = s->dir[SVR_DIR_FWD].payload_key;
	/* counted half-open before a reader can see it (svr_session_tcp_move) */
	if (atomic_load_explicit(svr_session_tcp_state(s), memory_order_relaxed) ==
	    SVR_TCP_SYN_SENT)
		atomic_fetch_add_explicit(&t->half_open, 1, memory_order_relaxed);
	return s;
}

/*
 * With both keys' stripes held: neither key in use, then both published and
 * the entry marked live. Returns 0; the data found for the forward key
 * (another worker's session, > 0 after +1); -EAGAIN when the reverse key is
 * in use; -ENOBUFS when the index has no room.
 */
static int64_t claim(struct svr_session_table *t, int family, uint32_t idx, const void *fwd,
		     uint32_t hf, const void *rev, uint32_t hr, bool *published)
{
	struct svr_session_index *ix = is6(family) ? &t->ix6 : &t->ix4;
	uint64_t other = ix_find(t, family, fwd, hf);
	if (other != NO_DATA)
		return (int64_t)other + 1;
	if (ix_find(t, family, rev, hr) != NO_DATA)
		return -EAGAIN;
	/* The reverse key first: whoever finds the forward key (a first packet, another worker
	 * creating the same session) then finds the whole session. */
	uint32_t d_fwd = idx << 1 | SVR_DIR_FWD, d_rev = idx << 1 | SVR_DIR_REV;
	if (!ix_insert(ix, hr, d_rev))
		return -ENOBUFS;
	if (!ix_insert(ix, hf, d_fwd)) {
		ix_remove(ix, hr, d_rev); /* a reader may hold it: retired like a session */
		*published = true;
		return -ENOBUFS;
	}
	atomic_store_explicit(&t->info[idx].in_use, live_of(family), memory_order_release);
	return 0;
}

static int64_t create(struct svr_session_table *t, int family, const void *fwd, void *rev,
		      size_t key_len, const struct svr_session_place *place,
		      svr_session_fill_fn fill, void *arg, bool *existing)
{
	*existing = false;
	uint32_t hf = key_hash(t, family, fwd);
	/* the reverse key's bucket and the entry load while the forward key is looked up */
	rte_prefetch0(
	    &index_of(t, family)->b[home_of(index_of(t, family), key_hash(t, family, rev))]);
	uint64_t other = ix_find(t, family, fwd, hf);
	if (other != NO_DATA) { /* another worker created this session since our lookup missed */
		*existing = true;
		return (int64_t)(other >> 1);
	}
	uint32_t idx, key6;
	if (take_entry(t, family, place->limit, &idx, &key6) < 0)
		return -ENOSPC;
	rte_prefetch0_write(&t->entries[idx]);
	rte_prefetch0_write((char *)&t->entries[idx] + RTE_CACHE_LINE_SIZE);
	rte_prefetch0_write(&t->info[idx]);
	int64_t rc = -EADDRINUSE;
	for (int tries = 0; tries < CLAIM_TRIES; tries++) {
		int r = place_reverse(t, family, fwd, rev, key_len, place);
		if (r == 0 && memcmp(fwd, rev, key_len) == 0)
			r = -EEXIST; /* source = destination: both keys would be one */
		if (r < 0) {
			rc = r;
			break;
		}
		struct svr_session *s = prepare(t, family, idx, key6, fwd, rev, fill, arg);
		uint32_t hr = key_hash(t, family, rev);
		rte_spinlock_t *a = stripe_of(t, family, hf), *b = stripe_of(t, family, hr);
		bool published = false;
		lock_pair(a, b);
		rc = claim(t, family, idx, fwd, hf, rev, hr, &published);
		unlock_pair(a, b);
		if (rc == 0)
			return idx;
		end_state(t, s); /* a worker may have moved it meanwhile: one of us counts */
		if (published) {
			struct retired_session r = {.idx = idx, .key6 = key6};
			retire(t, &r, true);
			return -ENOBUFS;
		}
		if (rc > 0) {
			*existing = true;
			rc = (rc - 1) >> 1;
			break;
		}
		if (rc != -EAGAIN)
			break;
		rc = place->nat_hi ? -EADDRINUSE : -EEXIST;
		if (!place->nat_hi)
			break; /* the reverse key is someone else's: no port to move it to */
	}
	give_back(t, idx, key6); /* never published */
	return rc;
}

int64_t svr_session_create4(struct svr_session_table *t, const struct svr_skey4 *fwd,
			    struct svr_skey4 *rev, const struct svr_session_place *place,
			    svr_session_fill_fn fill, void *arg, bool *existing)
{
	return create(t, 4, fwd, rev, sizeof(*fwd), place, fill, arg, existing);
}

int64_t svr_session_create6(struct svr_session_table *t, const struct svr_skey6 *fwd,
			    struct svr_skey6 *rev, const struct svr_session_place *place,
			    svr_session_fill_fn fill, void *arg, bool *existing)
{
	return create(t, 6, fwd, rev, sizeof(*fwd), place, fill, arg, existing);
}

/* --- moving a session to another peer path --- */

/* A move or second leg given up: its entry back (never published), and why (-EAGAIN, the other
 * key in use with no port to move it to: -EEXIST). */
static int64_t not_made(struct svr_session_table *t, uint32_t idx, uint32_t key6, int64_t rc)
{
	give_back(t, idx, key6);
	return rc == -EAGAIN ? -EEXIST : rc;
}

/*
 * Entry idx (not published) as a copy of live entry from. A reader of the entry copied may still
 * write its counters: a few packets' worth may be missed, never a torn rewrite (no packet writes
 * one).
 */
static struct svr_session *copy_entry(struct svr_session_table *t, uint32_t idx, uint32_t from)
{
	struct svr_session *s = &t->entries[idx];
	memcpy(s, &t->entries[from], sizeof(*s));
	memcpy(&t->info[idx], &t->info[from], sizeof(t->info[idx]));
	t->notes[idx] = t->notes[from];
	atomic_store_explicit(&t->info[idx].in_use, 0, memory_order_relaxed);
	return s;
}

/*
 * Publishes successor idx of entry old (keys as the successor stores them), under both keys'
 * stripes: 0, -EAGAIN (the other key is in use), -ENOBUFS, -ESTALE (old is no longer a current
 * live session: the other key was published a moment, *published, so the entry waits for a
 * grace period like a deleted one).
 */
static int publish_move(struct svr_session_table *t, uint32_t old, uint32_t idx, enum svr_sdir keep,
			uint32_t hk, uint32_t ho, bool *published)
{
	const struct svr_skey4 *kept = &t->entries[idx].dir[keep].key,
			       *other = &t->entries[idx].dir[!keep].key;
	uint32_t d_other = idx << 1 | (uint32_t)!keep;
	if (ix_find(t, 4, other, ho) != NO_DATA)
		return -EAGAIN;
	if (!ix_insert(&t->ix4, ho, d_other))
		return -ENOBUFS;
	uint8_t live = SVR_LIVE;
	if (!atomic_compare_exchange_strong_explicit(&t->info[old].in_use, &live,
						     SVR_LIVE | SVR_LIVE_MOVED,
						     memory_order_acq_rel, memory_order_relaxed)) {
		ix_remove(&t->ix4, ho, d_other);
		*published = true;
		return -ESTALE;
	}
	/* The main lcore may have deleted the old entry (as moved) meanwhile and taken its kept
	 * key away: then the key is published afresh, which no creator can race (its stripe). */
	uint32_t d_kept = idx << 1 | (uint32_t)keep;
	if (!ix_replace(&t->ix4, hk, old << 1 | (uint32_t)keep, d_kept) &&
	    ix_find(t, 4, kept, hk) == NO_DATA && !ix_insert(&t->ix4, hk, d_kept))
		atomic_fetch_add_explicit(&t->leaked, 1, memory_order_relaxed); /* never, so far */
	atomic_store_explicit(&t->info[idx].in_use, SVR_LIVE, memory_order_release);
	return 0;
}

int64_t svr_session_move4(struct svr_session_table *t, uint32_t old, enum svr_sdir keep,
			  struct svr_skey4 *other, const struct svr_session_place *place,
			  svr_session_fill_fn fill, void *arg, uint16_t drain_s)
{
	if (old >= t->capacity ||
	    atomic_load_explicit(&t->info[old].in_use, memory_order_acquire) != SVR_LIVE)
		return -ESTALE;
	struct svr_skey4 kept = t->entries[old].dir[keep].key;
	uint32_t idx, key6;
	if (take_entry(t, 4, t->capacity, &idx, &key6) < 0)
		return -ENOSPC;
	uint32_t hk = key_hash(t, 4, &kept);
	int64_t rc = -EADDRINUSE;
	for (int tries = 0; tries < CLAIM_TRIES; tries++) {
		int r = place_reverse(t, 4, &kept, (uint8_t *)other, sizeof(kept), place);
		if (r == 0 && memcmp(&kept, other, sizeof(kept)) == 0)
			r = -EEXIST;
		if (r < 0) {
			rc = r;
			break;
		}
		struct svr_session *s = copy_entry(t, idx, old);
		s->dir[keep].key = kept;
		s->dir[!keep].key = *other;
		fill(s, &t->info[idx], arg);
		if (atomic_load_explicit(svr_session_tcp_state(s), memory_order_relaxed) ==
		    SVR_TCP_SYN_SENT)
			atomic_fetch_add_explicit(&t->half_open, 1, memory_order_relaxed);
		uint32_t ho = key_hash(t, 4, other);
		rte_spinlock_t *a = stripe_of(t, 4, hk), *b = stripe_of(t, 4, ho);
		bool published = false;
		lock_pair(a, b);
		rc = publish_move(t, old, idx, keep, hk, ho, &published);
		unlock_pair(a, b);
		if (rc == 0) {
			struct svr_session_info *oi = &t->info[old];
			__atomic_store_n(&oi->idle_s, drain_s, __ATOMIC_RELAXED);
			__atomic_store_n(&oi->handshake_s, drain_s, __ATOMIC_RELAXED);
			__atomic_store_n(&oi->closing_s, drain_s, __ATOMIC_RELAXED);
			return idx;
		}
		end_state(t, s);
		if (published) { /* a reader may hold it: retired like a session */
			struct retired_session r = {.idx = idx, .key6 = key6};
			retire(t, &r, true);
			return rc;
		}
		if (rc != -EAGAIN || !place->nat_hi)
			break;
		rc = -EADDRINUSE;
	}
	return not_made(t, idx, key6, rc);
}

/* --- a duplicated session's second leg --- */

int64_t svr_session_alias4(struct svr_session_table *t, uint32_t of, enum svr_sdir dir,
			   struct svr_skey4 *key, const struct svr_session_place *place,
			   svr_session_fill_fn fill, void *arg, _Atomic uint32_t *link)
{
	if (of >= t->capacity ||
	    atomic_load_explicit(&t->info[of].in_use, memory_order_acquire) != SVR_LIVE)
		return -ESTALE;
	struct svr_skey4 own = t->entries[of].dir[!dir].key;
	uint32_t idx, key6;
	if (take_entry(t, 4, t->capacity, &idx, &key6) < 0)
		return -ENOSPC;
	int64_t rc = -EADDRINUSE;
	for (int tries = 0; tries < CLAIM_TRIES; tries++) {
		int r = place_reverse(t, 4, &own, (uint8_t *)key, sizeof(own), place);
		if (r < 0) {
			rc = r;
			break;
		}
		struct svr_session *s = copy_entry(t, idx, of);
		/* its TCP state is the session's: this entry never moves it or counts it */
		atomic_store_explicit(svr_session_tcp_state(s), SVR_TCP_NONE, memory_order_relaxed);
		s->dir[dir].key = *key;
		fill(s, &t->info[idx], arg);
		uint32_t h = key_hash(t, 4, key);
		rte_spinlock_t *lock = stripe_of(t, 4, h);
		rte_spinlock_lock(lock);
		rc = ix_find(t, 4, key, h) != NO_DATA                   ? -EAGAIN
		     : !ix_insert(&t->ix4, h, idx << 1 | (uint32_t)dir) ? -ENOBUFS
									: 0;
		if (rc == 0)
			atomic_store_explicit(&t->info[idx].in_use, SVR_LIVE | SVR_LIVE_ALIAS,
					      memory_order_release);
		rte_spinlock_unlock(lock);
		if (rc == 0) {
			/* One second leg per session (the link, compare-and-swap: of two made at
			 * once, one stays), and only for a session still live: the main lcore ends
			 * the session, then reads its link (svr_session_delete, then the link: both
			 * sequentially consistent, as here the link, then the session), so either
			 * it finds this leg or this sees the session gone. */
			uint32_t none = UINT32_MAX, mine = (uint32_t)idx;
			if (atomic_compare_exchange_strong(link, &none, mine) &&
			    atomic_load(&t->info[of].in_use) == SVR_LIVE)
				return idx;
			if (none == UINT32_MAX) /* linked, but its session ended meanwhile */
				atomic_compare_exchange_strong(link, &mine, UINT32_MAX);
			if (atomic_exchange(&t->info[idx].in_use, 0)) {
				ix_remove(&t->ix4, h, idx << 1 | (uint32_t)dir);
				struct retired_session r = {.idx = idx, .key6 = key6};
				retire(t, &r, true);
			}
			return -ESTALE;
		}
		if (rc != -EAGAIN || !place->nat_hi)
			break;
		rc = -EADDRINUSE;
	}
	return not_made(t, idx, key6, rc);
}

/* --- deletion --- */

uint8_t svr_session_delete(struct svr_session_table *t, uint32_t idx)
{
	struct svr_session *s = &t->entries[idx];
	uint8_t live = atomic_exchange_explicit(&t->info[idx].in_use, 0, memory_order_acq_rel);
	if (!live)
		return 0;
	end_state(t, s);
	int family = live & SVR_LIVE_V6 ? 6 : 4;
	struct svr_session_index *ix = is6(family) ? &t->ix6 : &t->ix4;
	/* No stripe lock: a removal only makes a key absent, which cannot turn a creator's
	 * "both absent" into a duplicate (two inserts of a key stay serialised by its stripe),
	 * and a creator that still sees the key takes this session, as a packet would. So a
	 * main lcore preempted here holds up no worker. */
	for (uint32_t d = 0; d < 2; d++) {
		uint32_t data = idx << 1 | d;
		ix_remove(ix, key_hash(t, family, stored_key(t, family, data)), data);
	}
	struct retired_session r = {.idx = idx,
				    .key6 = is6(family) ? s->dir[SVR_DIR_FWD].key.src : NO_INDEX};
	retire(t, &r, false);
	return live;
}

int svr_session_keys(const struct svr_session_table *t, uint32_t idx, const void **fwd,
		     const void **rev)
{
	if (!atomic_load_explicit(&t->info[idx].in_use, memory_order_acquire))
		return -1;
	int family = svr_session_family(&t->info[idx]);
	*fwd = stored_key(t, family, idx << 1 | SVR_DIR_FWD);
	*rev = stored_key(t, family, idx << 1 | SVR_DIR_REV);
	return 0;
}

void svr_session_reclaim(struct svr_session_table *t)
{
	unsigned freed, pending, available;
	rte_rcu_qsbr_dq_reclaim(t->dq, 4096, &freed, &pending, &available);
}

uint32_t svr_session_free_count(const struct svr_session_table *t)
{
	/* a racy read, for display and tests */
	return atomic_load_explicit(&t->free_entries.n_free, memory_order_relaxed);
}
