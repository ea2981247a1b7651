/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The session table: both directions to one entry, refusal when full without
 * disturbing live sessions, a limit below the capacity, source-NAT port
 * placement (the sender's port kept when free, never a live mapping twice),
 * RCU-deferred reuse, two workers creating and looking up concurrently, and
 * doing so while the main lcore deletes and reclaims (the writer model of
 * flow/table.h), IPv6 sessions within their share; the stable name
 * registry; and the sessions-clear job (filters, slices, one at a time, the
 * exporter's pace).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <stdio.h>
#include <pthread.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "eal_fixture.h"
#include "core/dp.h"
#include "flow/names.h"
#include "session/records.h"
#include "session/sessions.h"
#include "flow/table.h"

struct dp dp; /* the process state sessions.c reads (no generation: no SVR sessions here) */

static struct rte_rcu_qsbr *qsbr(unsigned threads)
{
	struct rte_rcu_qsbr *qs = rte_zmalloc("qs", rte_rcu_qsbr_get_memsize(threads), 64);
	assert_non_null(qs);
	assert_int_equal(rte_rcu_qsbr_init(qs, threads), 0);
	return qs;
}

static struct svr_skey4 key(uint32_t i, bool rev)
{
	struct svr_skey4 k = {.src = 0xc6120000 + i,
			      .dst = 0xc6130001,
			      .sport = (uint16_t)i,
			      .dport = 80,
			      .proto = 6};
	if (rev) {
		k = (struct svr_skey4){
		    .src = k.dst, .dst = k.src, .sport = k.dport, .dport = k.sport, .proto = 6};
	}
	return k;
}

static void fill_service(struct svr_session *s, struct svr_session_info *info, void *arg)
{
	info->service = (uint16_t)(uintptr_t)arg;
	s->dir[SVR_DIR_FWD].proto = 6;
}

static int64_t create(struct svr_session_table *t, uint32_t i, bool *existing)
{
	struct svr_skey4 f = key(i, false), r = key(i, true);
	static const struct svr_session_place anywhere = {.limit = UINT32_MAX};
	return svr_session_create4(t, &f, &r, &anywhere, fill_service,
				   (void *)(uintptr_t)(1000 + i), existing);
}

/* Looks key i up in both directions: the entry index, or -1 unless both agree. */
static int64_t find(struct svr_session_table *t, uint32_t i)
{
	struct svr_skey4 f = key(i, false), r = key(i, true);
	const struct svr_skey4 *keys[2] = {&f, &r};
	uint64_t hits[2];
	if (svr_session_lookup4(t, keys, 2, hits) != 2)
		return -1;
	if (svr_sess_dir(hits[0]) != SVR_DIR_FWD || svr_sess_dir(hits[1]) != SVR_DIR_REV ||
	    svr_sess_idx(hits[0]) != svr_sess_idx(hits[1]))
		return -1;
	return svr_sess_idx(hits[0]);
}

static void both_directions_one_entry(void **state)
{
	(void)state;
	struct rte_rcu_qsbr *qs = qsbr(1);
	struct svr_session_table *t = svr_session_table_create("s_basic", 1024, 1024 / 32 + 64, qs);
	assert_non_null(t);
	bool existing;
	int64_t idx = create(t, 7, &existing);
	assert_true(idx >= 0);
	assert_false(existing);
	assert_int_equal(find(t, 7), idx);
	const struct svr_session_info *info = &t->info[idx];
	assert_int_equal(info->service, 1007);
	assert_int_equal(atomic_load(&info->in_use), 1);
	assert_int_equal(svr_session_family(info), 4);
	assert_int_equal(svr_session_proto(&t->entries[idx]), 6);
	assert_int_equal(find(t, 8), -1);

	/* The same session again: the existing entry, no entry spent. */
	uint32_t free_before = svr_session_free_count(t);
	assert_int_equal(create(t, 7, &existing), idx);
	assert_true(existing);
	assert_int_equal(svr_session_free_count(t), free_before);
	svr_session_table_free(t);
	rte_free(qs);
}

static void full_table_refuses_and_keeps_the_rest(void **state)
{
	(void)state;
	struct rte_rcu_qsbr *qs = qsbr(1);
	struct svr_session_table *t = svr_session_table_create("s_full", 64, 64 / 32 + 64, qs);
	bool existing;
	for (uint32_t i = 0; i < 64; i++)
		assert_true(create(t, i, &existing) >= 0);
	assert_int_equal(svr_session_free_count(t), 0);
	assert_int_equal(create(t, 100, &existing), -ENOSPC);
	for (uint32_t i = 0; i < 64; i++)
		assert_true(find(t, i) >= 0);
	assert_int_equal(find(t, 100), -1);
	svr_session_table_free(t);
	rte_free(qs);
}

/* Sessions 0, 1, ... made until one is refused, which must be for want of index room. */
static uint32_t fill_until_index_full(struct svr_session_table *t)
{
	bool existing;
	uint32_t made = 0;
	int64_t rc;
	while ((rc = create(t, made, &existing)) >= 0) {
		assert_false(existing);
		made++;
	}
	assert_int_equal(rc, -ENOBUFS);
	return made;
}

/* Keys that all hash alike (zero seeds, which a real table never draws) fill the index's probe
 * window long before the table: the next session is refused as "index full", not "table full",
 * the refused entry is free again, and every session already made is still found. */
static void index_window_full_refuses_and_keeps_the_rest(void **state)
{
	(void)state;
	struct rte_rcu_qsbr *qs = qsbr(1);
	struct svr_session_table *t = svr_session_table_create("s_ixfull", 4096, 64, qs);
	assert_non_null(t);
	memset(t->seed, 0, sizeof(t->seed));
	/* 64 buckets of 15 slots from the one home: 480 sessions of two keys */
	uint32_t made = fill_until_index_full(t);
	assert_int_equal(made, 64 * SVR_BUCKET_SLOTS / 2);
	assert_int_equal(svr_session_free_count(t), 4096 - made);
	for (uint32_t i = 0; i < made; i++)
		assert_true(find(t, i) >= 0);
	assert_int_equal(find(t, made), -1);
	svr_session_table_free(t);
	rte_free(qs);
}

/* The same with only the forward keys alike (the destination word's seed alone is not zero:
 * key() varies the destination of reverse keys only): each reverse key finds room, so the
 * session that finds none for its forward key has published its reverse key for a moment. It
 * is refused as "index full" all the same, that key is gone again, and its entry waits for a
 * grace period (a reader may have seen it) before it is free. */
static void index_full_after_the_reverse_key_was_published(void **state)
{
	(void)state;
	struct rte_rcu_qsbr *qs = qsbr(1);
	struct svr_session_table *t = svr_session_table_create("s_ixpub", 4096, 64, qs);
	assert_non_null(t);
	memset(t->seed, 0, sizeof(t->seed));
	t->seed[2] = 0x9e3779b97f4a7c15ull; /* word 1 of the key: its destination */
	uint32_t made = fill_until_index_full(t);
	/* the forward keys' window is full: of its 960 slots, reverse keys homed there hold some */
	assert_true(made > 64 * SVR_BUCKET_SLOTS / 2 && made < 64 * SVR_BUCKET_SLOTS);
	struct svr_skey4 r = key(made, true);
	assert_true(svr_session_find4(t, &r) == UINT64_MAX);
	assert_int_equal(svr_session_free_count(t), 4096 - made - 1); /* awaiting its grace */
	for (uint32_t i = 0; i < made; i++)
		assert_true(find(t, i) >= 0);
	svr_session_table_free(t);
	rte_free(qs);
}

static void limit_below_capacity(void **state)
{
	(void)state;
	struct rte_rcu_qsbr *qs = qsbr(1);
	struct svr_session_table *t = svr_session_table_create("s_limit", 64, 64 / 32 + 64, qs);
	static const struct svr_session_place two = {.limit = 2};
	bool existing;
	for (uint32_t i = 0; i < 3; i++) {
		struct svr_skey4 f = key(i, false), r = key(i, true);
		int64_t rc = svr_session_create4(t, &f, &r, &two, fill_service, NULL, &existing);
		assert_true(i < 2 ? rc >= 0 : rc == -ENOSPC);
	}
	svr_session_table_free(t);
	rte_free(qs);
}

/* Source NAT: the reverse key's destination port is the mapping. */
static int64_t create_napt(struct svr_session_table *t, uint32_t src, uint16_t sport, uint16_t lo,
			   uint16_t hi, uint16_t *mapped)
{
	struct svr_skey4 f = {
	    .src = src, .dst = 0x0a010112, .sport = htons(sport), .dport = htons(80), .proto = 6};
	struct svr_skey4 r = {
	    .src = f.dst, .dst = 0x010113c6, .sport = f.dport, .dport = f.sport, .proto = 6};
	struct svr_session_place p = {.limit = UINT32_MAX,
				      .nat_lo = lo,
				      .nat_hi = hi,
				      .nat_port_off = offsetof(struct svr_skey4, dport)};
	bool existing;
	int64_t rc = svr_session_create4(t, &f, &r, &p, fill_service, NULL, &existing);
	*mapped = ntohs(r.dport);
	return rc;
}

static void nat_ports_never_reused_while_live(void **state)
{
	(void)state;
	struct rte_rcu_qsbr *qs = qsbr(1);
	struct svr_session_table *t = svr_session_table_create("s_nat", 256, 256 / 32 + 64, qs);
	uint16_t a, b, c, d;
	assert_true(create_napt(t, 1, 40000, 1024, 65535, &a) >= 0);
	assert_int_equal(a, 40000); /* the sender's own port, free */
	assert_true(create_napt(t, 2, 40000, 1024, 65535, &b) >= 0);
	assert_true(b != 40000 && b >= 1024); /* taken by the first: another one */
	assert_true(create_napt(t, 3, 80, 1024, 65535, &c) >= 0);
	assert_true(c >= 1024); /* below the range: not kept */
	/* a range of 2 ports: two mappings, then nothing free, the table unchanged */
	assert_true(create_napt(t, 4, 7, 2000, 2001, &c) >= 0);
	assert_true(create_napt(t, 5, 7, 2000, 2001, &d) >= 0);
	assert_true(c != d);
	uint32_t free_before = svr_session_free_count(t);
	assert_int_equal(create_napt(t, 6, 7, 2000, 2001, &d), -EADDRINUSE);
	assert_int_equal(svr_session_free_count(t), free_before);
	/* without NAT, a reverse key in use refuses */
	struct svr_skey4 f = {
	    .src = 9, .dst = 0x0a010112, .sport = htons(1), .dport = htons(80), .proto = 6};
	struct svr_skey4 r = {.src = 0x0a010112,
			      .dst = 0x010113c6,
			      .sport = htons(80),
			      .dport = htons(40000),
			      .proto = 6};
	static const struct svr_session_place plain = {.limit = UINT32_MAX};
	bool existing;
	assert_int_equal(svr_session_create4(t, &f, &r, &plain, fill_service, NULL, &existing),
			 -EEXIST);
	svr_session_table_free(t);
	rte_free(qs);
}

/*
 * SVR: the ingress picks both waypoint ports, even for itself in [lo, hi], odd
 * for the peer in [lo + 1, hi - 1], any combination once, then none.
 */
static void waypoint_pairs(void **state)
{
	(void)state;
	struct rte_rcu_qsbr *qs = qsbr(1);
	struct svr_session_table *t = svr_session_table_create("s_wp", 64, 64, qs);
	struct svr_session_place p = {.limit = UINT32_MAX,
				      .nat_lo = 16384,
				      .nat_hi = 16388,
				      .nat_port_off = offsetof(struct svr_skey4, dport),
				      .waypoint_pair = true,
				      .pair_port_off = offsetof(struct svr_skey4, sport),
				      .pair_lo = 16385,
				      .pair_hi = 16387};
	bool seen[3][2] = {{false}}; /* even 16384/6/8 x odd 16385/7 */
	bool existing;
	for (uint32_t i = 0; i < 7; i++) {
		/* client i -> server, leaving 203.0.113.1 -> 203.0.113.2 */
		struct svr_skey4 f = {.src = 0x0a00010a + i,
				      .dst = 0xc6336414,
				      .sport = htons(5000),
				      .dport = htons(53),
				      .proto = 17};
		struct svr_skey4 r = {.src = 0x027100cb, .dst = 0x017100cb, .proto = 17};
		int64_t rc = svr_session_create4(t, &f, &r, &p, fill_service, NULL, &existing);
		if (i == 6) { /* six tuples in all: the seventh session finds none */
			assert_int_equal(rc, -EADDRINUSE);
			break;
		}
		assert_true(rc >= 0);
		uint16_t ours = ntohs(r.dport), theirs = ntohs(r.sport);
		assert_int_equal(ours % 2, 0);
		assert_int_equal(theirs % 2, 1);
		assert_true(ours >= 16384 && ours <= 16388);
		assert_true(theirs >= 16385 && theirs <= 16387);
		assert_false(seen[(ours - 16384) / 2][(theirs - 16385) / 2]);
		seen[(ours - 16384) / 2][(theirs - 16385) / 2] = true;
	}
	/* the peer's "port-range" 30000-30004: its odd ports 30001 and 30003 only; none in 30000 */
	p.pair_lo = 30000;
	p.pair_hi = 30004;
	for (uint32_t i = 0; i < 4; i++) {
		struct svr_skey4 f = {.src = 0x0b00010a + i,
				      .dst = 0xc6336414,
				      .sport = htons(5000),
				      .dport = htons(53),
				      .proto = 17};
		struct svr_skey4 r = {.src = 0x027100cb, .dst = 0x017100cb, .proto = 17};
		assert_true(svr_session_create4(t, &f, &r, &p, fill_service, NULL, &existing) >= 0);
		assert_true(ntohs(r.sport) == 30001 || ntohs(r.sport) == 30003);
	}
	p.pair_lo = p.pair_hi = 30000;
	struct svr_skey4 f = {.src = 0x0c00010a, .dst = 0xc6336414, .proto = 17};
	struct svr_skey4 r = {.src = 0x027100cb, .dst = 0x017100cb, .proto = 17};
	assert_int_equal(svr_session_create4(t, &f, &r, &p, fill_service, NULL, &existing),
			 -EADDRINUSE);
	svr_session_table_free(t);
	rte_free(qs);
}

/* A client's UDP tuple, and a waypoint key from the peer's address to ours (ports to settle). */
static struct svr_skey4 lan_key(void)
{
	return (struct svr_skey4){.src = 0x0a00010a,
				  .dst = 0xc6336414,
				  .sport = htons(5000),
				  .dport = htons(53),
				  .proto = 17};
}

static struct svr_skey4 wan_key(uint32_t peer, uint32_t ours)
{
	return (struct svr_skey4){.src = peer, .dst = ours, .proto = 17};
}

/* Waypoint pairs as an SVR ingress places them: even ports of ours, odd ones of the peer's. */
static struct svr_session_place waypoints(void)
{
	return (struct svr_session_place){.limit = UINT32_MAX,
					  .nat_lo = 16384,
					  .nat_hi = 16390,
					  .nat_port_off = offsetof(struct svr_skey4, dport),
					  .waypoint_pair = true,
					  .pair_port_off = offsetof(struct svr_skey4, sport),
					  .pair_lo = 16385,
					  .pair_hi = 16387};
}

static void fill_moved(struct svr_session *s, struct svr_session_info *info, void *arg)
{
	(void)s;
	info->moves = (uint8_t)(uintptr_t)arg;
}

/* A session moved to a new waypoint pair: one entry for its LAN key and the new pair, the old
 * pair still finding the old entry (draining), marked moved; the UUID, counters and names go
 * along; a second move of the old entry is refused; deleting the old entry leaves the new. */
static void moved_session_keeps_its_lan_key(void **state)
{
	(void)state;
	struct rte_rcu_qsbr *qs = qsbr(1);
	struct svr_session_table *t = svr_session_table_create("s_mv", 64, 64, qs);
	struct svr_session_place p = waypoints();
	bool existing;
	struct svr_skey4 lan = lan_key(), wan_a = wan_key(0x027100cb, 0x017100cb);
	int64_t old = svr_session_create4(t, &lan, &wan_a, &p, fill_service, (void *)7, &existing);
	assert_true(old >= 0);
	memset(t->info[old].uuid, 0xab, 16);
	t->entries[old].dir[SVR_DIR_FWD].pkts = 42;
	uint32_t free_before = svr_session_free_count(t);

	struct svr_skey4 wan_b = {.src = 0x047100cb, .dst = 0x037100cb, .proto = 17};
	int64_t moved =
	    svr_session_move4(t, (uint32_t)old, SVR_DIR_FWD, &wan_b, &p, fill_moved, (void *)1, 2);
	assert_true(moved >= 0 && moved != old);
	assert_int_equal(ntohs(wan_b.dport) % 2, 0); /* a waypoint pair was settled */
	assert_int_equal(ntohs(wan_b.sport) % 2, 1);
	assert_int_equal(svr_session_free_count(t), free_before - 1);
	/* the LAN key and the new pair find the successor; the old pair the old entry */
	assert_int_equal(svr_session_find4(t, &lan), (uint64_t)moved << 1 | SVR_DIR_FWD);
	assert_int_equal(svr_session_find4(t, &wan_b), (uint64_t)moved << 1 | SVR_DIR_REV);
	assert_int_equal(svr_session_find4(t, &wan_a), (uint64_t)old << 1 | SVR_DIR_REV);
	assert_true(svr_session_current(&t->info[moved]));
	assert_false(svr_session_current(&t->info[old]));
	assert_int_equal(t->info[old].idle_s, 2); /* drains */
	assert_memory_equal(t->info[moved].uuid, t->info[old].uuid, 16);
	assert_int_equal(t->info[moved].service, 7);
	assert_int_equal(t->info[moved].moves, 1);
	assert_int_equal(t->entries[moved].dir[SVR_DIR_FWD].pkts, 42);
	/* the old entry moves no more */
	struct svr_skey4 wan_c = {.src = 0x067100cb, .dst = 0x057100cb, .proto = 17};
	assert_int_equal(
	    svr_session_move4(t, (uint32_t)old, SVR_DIR_FWD, &wan_c, &p, fill_moved, (void *)2, 2),
	    -ESTALE);
	assert_int_equal(svr_session_free_count(t), free_before - 1);
	/* the old entry ends as moved: only its own key goes */
	assert_int_equal(svr_session_delete(t, (uint32_t)old), SVR_LIVE | SVR_LIVE_MOVED);
	assert_int_equal(svr_session_find4(t, &wan_a), UINT64_MAX);
	assert_int_equal(svr_session_find4(t, &lan), (uint64_t)moved << 1 | SVR_DIR_FWD);
	assert_int_equal(svr_session_find4(t, &wan_b), (uint64_t)moved << 1 | SVR_DIR_REV);
	/* moving back (the egress's way: the other key given, the LAN key kept as reverse) */
	struct svr_session_place given = {.limit = UINT32_MAX};
	struct svr_skey4 busy = lan; /* a key in use refuses */
	assert_int_equal(svr_session_move4(t, (uint32_t)moved, SVR_DIR_REV, &busy, &given,
					   fill_moved, (void *)2, 2),
			 -EEXIST);
	assert_true(svr_session_current(&t->info[moved]));
	assert_true(svr_session_delete(t, (uint32_t)moved) == SVR_LIVE);
	assert_int_equal(svr_session_find4(t, &lan), UINT64_MAX);
	assert_int_equal(svr_session_find4(t, &wan_b), UINT64_MAX);
	svr_session_table_free(t);
	rte_free(qs);
}

/* A second leg: its one key finds it, the session keeps both of its own; one per session (the
 * link); none for a session that ended; deleting it leaves the session. */
static void second_leg_publishes_one_key(void **state)
{
	(void)state;
	struct rte_rcu_qsbr *qs = qsbr(1);
	struct svr_session_table *t = svr_session_table_create("s_leg", 64, 64, qs);
	struct svr_session_place p = waypoints();
	bool existing;
	struct svr_skey4 lan = lan_key(), wan_a = wan_key(0x027100cb, 0x017100cb);
	int64_t s = svr_session_create4(t, &lan, &wan_a, &p, fill_service, (void *)7, &existing);
	assert_true(s >= 0);
	_Atomic uint32_t link = UINT32_MAX;
	struct svr_skey4 wan_b = {.src = 0x047100cb, .dst = 0x037100cb, .proto = 17};
	int64_t leg = svr_session_alias4(t, (uint32_t)s, SVR_DIR_REV, &wan_b, &p, fill_moved,
					 (void *)0, &link);
	assert_true(leg >= 0 && leg != s);
	assert_int_equal(atomic_load(&link), (uint32_t)leg);
	assert_int_equal(ntohs(wan_b.dport) % 2, 0);
	assert_int_equal(svr_session_find4(t, &wan_b), (uint64_t)leg << 1 | SVR_DIR_REV);
	assert_int_equal(svr_session_find4(t, &lan), (uint64_t)s << 1 | SVR_DIR_FWD);
	assert_int_equal(svr_session_find4(t, &wan_a), (uint64_t)s << 1 | SVR_DIR_REV);
	assert_false(svr_session_current(&t->info[leg])); /* not listed as a session */
	assert_int_equal(t->info[leg].service, 7);
	/* one second leg per session: another is unpublished again */
	struct svr_skey4 wan_c = {.src = 0x067100cb, .dst = 0x057100cb, .proto = 17};
	assert_int_equal(svr_session_alias4(t, (uint32_t)s, SVR_DIR_REV, &wan_c, &p, fill_moved,
					    (void *)0, &link),
			 -ESTALE);
	assert_int_equal(svr_session_find4(t, &wan_c), UINT64_MAX);
	assert_int_equal(atomic_load(&link), (uint32_t)leg);
	/* the leg goes, the session stays */
	assert_int_equal(svr_session_delete(t, (uint32_t)leg), SVR_LIVE | SVR_LIVE_ALIAS);
	assert_int_equal(svr_session_find4(t, &wan_b), UINT64_MAX);
	assert_int_equal(svr_session_find4(t, &lan), (uint64_t)s << 1 | SVR_DIR_FWD);
	/* a session that ended gets none */
	atomic_store(&link, UINT32_MAX);
	assert_int_equal(svr_session_delete(t, (uint32_t)s), SVR_LIVE);
	assert_int_equal(svr_session_alias4(t, (uint32_t)s, SVR_DIR_REV, &wan_c, &p, fill_moved,
					    (void *)0, &link),
			 -ESTALE);
	assert_int_equal(atomic_load(&link), UINT32_MAX);
	svr_session_table_free(t);
	rte_free(qs);
}

static void names_keep_their_ids(void **state)
{
	(void)state;
	struct svr_names *n = svr_names_create();
	assert_non_null(n);
	uint16_t web = svr_names_hold(n, "web"), lab = svr_names_hold(n, "lab");
	assert_int_not_equal(web, lab);
	assert_int_equal(svr_names_hold(n, "web"), web); /* a later generation: same id */
	assert_int_equal(svr_names_find(n, "lab"), lab);
	assert_int_equal(svr_names_find(n, "nobody"), SVR_NO_NAME);
	assert_string_equal(svr_names_get(n, web), "web");
	assert_null(svr_names_get(n, 4000));
	assert_int_equal(svr_names_hold(n, NULL), SVR_NO_NAME);
	char name[16];
	for (unsigned i = 0; i < SVR_NAMES_MAX; i++) {
		snprintf(name, sizeof(name), "s%u", i);
		svr_names_hold(n, name);
	}
	/* full while every name is held: no id, whatever a sweep finds */
	static uint64_t none[65536 / 64];
	assert_int_equal(svr_names_hold(n, "one-too-many"), SVR_NO_NAME);
	assert_int_equal(svr_names_sweep(n, none), 0);
	assert_int_equal(svr_names_hold(n, "one-too-many"), SVR_NO_NAME);
	assert_int_equal(svr_names_find(n, "web"), web);
	svr_names_free(n);
}

static void carry(uint64_t *bits, uint16_t id)
{
	bits[id / 64] |= 1ull << (id % 64);
}

/*
 * Names come and go with the models (a tenant renamed at every apply): far more
 * than 65,535 over time get ids, a name still held or still carried by a
 * session keeps its id and is never forgotten, and a forgotten name's id is
 * handed out again. (Before, the registry never forgot: after 65,535 names
 * every new tenant got no id, and its max-sessions was skipped.)
 */
static void names_forgotten_and_ids_reused(void **state)
{
	(void)state;
	struct svr_names *n = svr_names_create();
	static uint64_t carried[65536 / 64];
	memset(carried, 0, sizeof(carried));
	uint16_t pinned = svr_names_hold(n, "pinned"); /* in every generation */
	uint16_t live = svr_names_hold(n, "live");     /* gone from the model, a session left */
	svr_names_release(n, live);
	carry(carried, live);
	char name[16], prev[16] = "";
	uint32_t sweeps = 0;
	for (unsigned i = 0; i < 200000; i++) {
		snprintf(name, sizeof(name), "t%u", i);
		if (svr_names_free_ids(n) == 0) {
			assert_true(svr_names_sweep(n, carried) > 0);
			sweeps++;
		}
		uint16_t id = svr_names_hold(n, name);
		assert_int_not_equal(id, SVR_NO_NAME);
		assert_string_equal(svr_names_get(n, id), name);
		assert_int_equal(svr_names_find(n, name), id);
		/* the previous generation's name, released as this one is applied */
		if (prev[0])
			svr_names_release(n, svr_names_find(n, prev));
		snprintf(prev, sizeof(prev), "%s", name);
	}
	assert_true(sweeps >= 3);
	assert_int_equal(svr_names_find(n, "pinned"), pinned);
	assert_string_equal(svr_names_get(n, pinned), "pinned");
	assert_int_equal(svr_names_find(n, "live"), live);
	assert_string_equal(svr_names_get(n, live), "live");
	/* forgotten: found no more; the session gone, "live" goes at the next sweep */
	assert_int_equal(svr_names_find(n, "t5"), SVR_NO_NAME);
	memset(carried, 0, sizeof(carried));
	svr_names_sweep(n, carried);
	assert_int_equal(svr_names_find(n, "live"), SVR_NO_NAME);
	assert_null(svr_names_get(n, live));
	assert_int_equal(svr_names_find(n, "pinned"), pinned);
	assert_int_equal(svr_names_find(n, "t199999"), svr_names_hold(n, "t199999"));
	svr_names_free(n);
}

/* The IPFIX exporter's answer to the sweep (flow/state.h names_quiesce). */
static bool exporter_caught_up;
static bool quiesce_stub(void)
{
	return exporter_caught_up;
}

/* The events' answer (flow/state.h names_flush): what it would format, read before the sweep. */
static char flushed_tenant[32];
static uint16_t flush_tenant_id;
static void flush_stub(void)
{
	const char *name = svr_names_get(dp_sess.tenants, flush_tenant_id);
	snprintf(flushed_tenant, sizeof(flushed_tenant), "%s", name ? name : "(forgotten)");
}

/*
 * The dataplane's sweep (dp_session_names_sweep): a name a session entry carries
 * (tenant, service, the access rule in its note) is kept while the entry is live
 * and while it awaits reclaim (a worker may still read it), and forgotten once
 * the entry is reclaimed; not while the IPFIX exporter has records that name it, and only once
 * the workers' event records (which name them by id) are formatted.
 */
static void names_kept_while_sessions_carry_them(void **state)
{
	(void)state;
	struct rte_rcu_qsbr *qs = qsbr(1);
	assert_int_equal(rte_rcu_qsbr_thread_register(qs, 0), 0);
	rte_rcu_qsbr_thread_online(qs, 0);
	dp_sess.table = svr_session_table_create("s_names", 64, 64, qs);
	dp_sess.tenants = svr_names_create();
	dp_sess.services = svr_names_create();
	dp_sess.rules = svr_names_create();
	assert_non_null(dp_sess.table);
	uint16_t ten = svr_names_hold(dp_sess.tenants, "blue");
	uint16_t svc = svr_names_hold(dp_sess.services, "web");
	uint16_t rule = svr_names_hold(dp_sess.rules, "web/access[0]");
	bool existing;
	struct svr_skey4 f = key(1, false), r = key(1, true);
	static const struct svr_session_place anywhere = {.limit = UINT32_MAX};
	int64_t idx = svr_session_create4(dp_sess.table, &f, &r, &anywhere, fill_service,
					  (void *)(uintptr_t)svc, &existing);
	assert_true(idx >= 0);
	dp_sess.table->info[idx].tenant = ten;
	dp_sess.table->notes[idx].rule = rule;
	/* the generation naming them is freed: the session still carries them */
	svr_names_release(dp_sess.tenants, ten);
	svr_names_release(dp_sess.services, svc);
	svr_names_release(dp_sess.rules, rule);
	dp_session_names_sweep();
	assert_string_equal(svr_names_get(dp_sess.tenants, ten), "blue");
	assert_string_equal(svr_names_get(dp_sess.services, svc), "web");
	assert_string_equal(svr_names_get(dp_sess.rules, rule), "web/access[0]");
	/* deleted, a worker not yet quiescent: still kept */
	assert_true(svr_session_delete(dp_sess.table, (uint32_t)idx));
	svr_session_reclaim(dp_sess.table);
	dp_session_names_sweep();
	assert_string_equal(svr_names_get(dp_sess.tenants, ten), "blue");
	/* reclaimed, but the exporter has not written its records yet: no sweep */
	rte_rcu_qsbr_quiescent(qs, 0);
	svr_session_reclaim(dp_sess.table);
	dp_sess.names_quiesce = quiesce_stub;
	exporter_caught_up = false;
	assert_false(dp_session_names_sweep());
	assert_string_equal(svr_names_get(dp_sess.rules, rule), "web/access[0]");
	assert_string_equal(svr_names_get(dp_sess.tenants, ten), "blue");
	/* it has: the events formatted first, then forgotten, the ids free again */
	exporter_caught_up = true;
	dp_sess.names_flush = flush_stub;
	flush_tenant_id = ten;
	assert_true(dp_session_names_sweep());
	assert_string_equal(flushed_tenant, "blue");
	dp_sess.names_quiesce = NULL;
	dp_sess.names_flush = NULL;
	assert_null(svr_names_get(dp_sess.rules, rule));
	assert_null(svr_names_get(dp_sess.tenants, ten));
	assert_null(svr_names_get(dp_sess.services, svc));
	assert_int_equal(svr_names_free_ids(dp_sess.tenants), SVR_NAMES_MAX);
	rte_rcu_qsbr_thread_offline(qs, 0);
	svr_names_free(dp_sess.tenants);
	svr_names_free(dp_sess.services);
	svr_names_free(dp_sess.rules);
	svr_session_table_free(dp_sess.table);
	dp_sess.table = NULL;
	dp_sess.tenants = dp_sess.services = dp_sess.rules = NULL;
	rte_free(qs);
}

/*
 * sessions-clear: a job for service "web" ends web's sessions and no other, a slice of the table
 * per turn of the main loop (never the whole table at once); a second job is refused while one
 * runs; each ended session counts once as cleared. Then the address and tenant filters, a name
 * no session has, and a job with no filter, which ends the rest, a turn of it bounded in time.
 */
#define CLEAR_N 40000 /* more than two slices of the job (CLEAR_SLICE, 16384) */

static uint32_t live_of_service(uint16_t svc)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < dp_sess.table->high_water; i++)
		n += svr_session_current(&dp_sess.table->info[i]) &&
		     (svc == SVR_NO_NAME || dp_sess.table->info[i].service == svc);
	return n;
}

static json_int_t clear_status(const char *key)
{
	json_t *st = dp_sessions_clear_json(0);
	assert_non_null(st);
	json_t *v = json_object_get(st, key);
	json_int_t n = json_is_boolean(v) ? json_is_true(v) : json_integer_value(v);
	json_decref(st);
	return n;
}

/* Runs the job to its end, its turns at now_ms; the turns it took. */
static unsigned clear_until_done(uint64_t now_ms)
{
	unsigned turns = 0;
	while (dp_sessions_clear_step(now_ms))
		assert_true(++turns < 1000);
	return turns + 1;
}

/* What the sessions-clear tests set up in dp_sess: a table, the name registries and the live
 * counts an ended session gives back; a job's turns counted in entries, not time (ASan is
 * slow). Returns the table's RCU state, for clear_fixture_free. */
static struct rte_rcu_qsbr *clear_fixture_new(const char *table_name)
{
	dp_sessions_clear_turn_us(0);
	struct rte_rcu_qsbr *qs = qsbr(1);
	dp_sess.table = svr_session_table_create(table_name, 65536, 64, qs);
	dp_sess.tenants = svr_names_create();
	dp_sess.services = svr_names_create();
	dp_sess.tenant_live = calloc(65536, sizeof(*dp_sess.tenant_live));
	dp_sess.svc_live = calloc(65536, sizeof(*dp_sess.svc_live));
	assert_non_null(dp_sess.table);
	return qs;
}

/* What clear_fixture_new set up, freed. */
static void clear_fixture_free(struct rte_rcu_qsbr *qs)
{
	svr_names_free(dp_sess.tenants);
	svr_names_free(dp_sess.services);
	free((void *)dp_sess.tenant_live);
	free((void *)dp_sess.svc_live);
	svr_session_table_free(dp_sess.table);
	dp_sess.table = NULL;
	dp_sess.tenants = dp_sess.services = NULL;
	dp_sess.tenant_live = dp_sess.svc_live = NULL;
	rte_free(qs);
}

static void sessions_clear_by_filters(void **state)
{
	(void)state;
	struct rte_rcu_qsbr *qs = clear_fixture_new("s_clear");
	uint16_t web = svr_names_hold(dp_sess.services, "web");
	uint16_t dns = svr_names_hold(dp_sess.services, "dns");
	uint16_t blue = svr_names_hold(dp_sess.tenants, "blue");
	static const struct svr_session_place anywhere = {.limit = UINT32_MAX};
	for (uint32_t i = 0; i < CLEAR_N; i++) {
		struct svr_skey4 f = key(i, false), r = key(i, true);
		bool existing;
		int64_t idx =
		    svr_session_create4(dp_sess.table, &f, &r, &anywhere, fill_service,
					(void *)(uintptr_t)(i % 2 ? web : dns), &existing);
		assert_true(idx >= 0);
		dp_sess.table->info[idx].tenant = i % 4 == 0 ? blue : SVR_NO_NAME;
	}
	uint64_t cleared_before = dp.main_stats.events[SVR_EV_SESSIONS_CLEARED];

	struct dp_session_filter by_service = {.service = "web"};
	int64_t job = dp_sessions_clear_start(&by_service, 0);
	assert_true(job > 0);
	assert_int_equal(dp_sessions_clear_start(&by_service, 0), -1); /* one at a time */
	struct dp_session_filter everything = {0};
	assert_int_equal(dp_sessions_clear_start(&everything, 0), -1);
	assert_int_equal(clear_status("job"), job);
	assert_int_equal(clear_status("done"), 0);
	assert_int_equal(clear_status("entries"), CLEAR_N);
	assert_int_equal(clear_status("visited"), 0); /* nothing before the main loop's turn */

	assert_true(dp_sessions_clear_step(0)); /* one slice, not the table */
	assert_int_equal(clear_status("visited"), 16384);
	assert_int_equal(clear_status("cleared"), 16384 / 2);
	assert_int_equal(live_of_service(dns), CLEAR_N / 2);
	assert_int_equal(clear_until_done(0), 2); /* 16384 + 16384 + 7232 entries */
	assert_int_equal(clear_status("done"), 1);
	assert_int_equal(clear_status("visited"), CLEAR_N);
	assert_int_equal(clear_status("cleared"), CLEAR_N / 2);
	assert_int_equal(live_of_service(web), 0);
	assert_int_equal(live_of_service(dns), CLEAR_N / 2); /* the other service's stay */
	assert_int_equal(dp.main_stats.events[SVR_EV_SESSIONS_CLEARED] - cleared_before,
			 CLEAR_N / 2);

	/* an address (either end, either direction): session 2's source */
	struct dp_session_filter by_addr = {.has_addr = true, .addr = {.family = SVR_AF_INET}};
	struct svr_skey4 k2 = key(2, false);
	memcpy(by_addr.addr.addr, &k2.src, 4);
	assert_int_equal(dp_sessions_clear_start(&by_addr, 0), job + 1);
	clear_until_done(0);
	assert_int_equal(clear_status("cleared"), 1);
	assert_int_equal(live_of_service(dns), CLEAR_N / 2 - 1);

	/* a tenant no session has: nothing; tenant blue: every fourth session (all of them dns) */
	struct dp_session_filter nobody = {.tenant = "nobody"};
	assert_int_equal(dp_sessions_clear_start(&nobody, 0), job + 2);
	clear_until_done(0);
	assert_int_equal(clear_status("cleared"), 0);
	assert_int_equal(live_of_service(SVR_NO_NAME), CLEAR_N / 2 - 1);
	struct dp_session_filter of_blue = {.tenant = "blue"};
	assert_int_equal(dp_sessions_clear_start(&of_blue, 0), job + 3);
	clear_until_done(0);
	assert_int_equal(clear_status("cleared"), CLEAR_N / 4);
	assert_int_equal(live_of_service(dns), CLEAR_N / 2 - 1 - CLEAR_N / 4);

	/* no filter: every session left, with a turn that may take 1 us: a turn stops once it
	 * ended 64 sessions past its time (the next 64-session check), and the job goes on */
	dp_sessions_clear_turn_us(1);
	assert_int_equal(dp_sessions_clear_start(&everything, 0), job + 4);
	assert_true(dp_sessions_clear_step(0));
	assert_int_equal(clear_status("cleared"), 64);
	assert_true(clear_status("visited") < 16384);
	clear_until_done(0);
	dp_sessions_clear_turn_us(0);
	assert_int_equal(clear_status("cleared"), CLEAR_N / 4 - 1);
	assert_int_equal(live_of_service(SVR_NO_NAME), 0);
	assert_int_equal(dp.main_stats.events[SVR_EV_SESSIONS_CLEARED] - cleared_before, CLEAR_N);

	clear_fixture_free(qs);
}

/*
 * sessions-clear at the exporter's pace: while the main lcore's record ring has less room than a
 * quarter of it plus a batch, the job ends nothing and lets the main loop sleep (it says it waits
 * for the exporter); once the exporter took records, it goes on; an exporter that takes none for
 * a second does not hold it: it goes on all the same. (No generation here: the ring is filled by
 * hand, the ended sessions make no records of their own.)
 */
static void sessions_clear_waits_for_the_exporter(void **state)
{
	(void)state;
	struct rte_rcu_qsbr *qs = clear_fixture_new("s_clearx");
	assert_int_equal(dp_session_records_init(0), 0); /* the main lcore's ring alone */
	bool existing;
	for (uint32_t i = 0; i < CLEAR_N; i++)
		assert_true(create(dp_sess.table, i, &existing) >= 0);
	struct dp_session_record rec = {0}, out[4096];
	const uint32_t reserve = DP_RECORDS_MAIN_RING / 4, batch = 4096;
	while (dp_session_records_main_room() >= reserve + batch) /* the exporter is behind */
		dp_session_record_ended(&rec);

	struct dp_session_filter everything = {0};
	assert_true(dp_sessions_clear_start(&everything, 1000) > 0);
	assert_false(dp_sessions_clear_step(1000)); /* waits: the main loop may sleep */
	assert_false(dp_sessions_clear_step(1500));
	assert_int_equal(clear_status("visited"), 0);
	assert_int_equal(clear_status("waiting-for-exporter"), 1);
	/* the exporter takes a batch: the job ends as many sessions as the ring has room beyond
	 * its reserve */
	assert_int_equal(dp_session_records_take(0, out, batch), batch);
	uint32_t room = dp_session_records_main_room();
	assert_true(dp_sessions_clear_step(1600));
	assert_int_equal(clear_status("cleared"), room - reserve);
	assert_int_equal(clear_status("visited"), room - reserve);
	assert_int_equal(clear_status("waiting-for-exporter"), 0);
	assert_int_equal(clear_status("exporter-wait-ms"), 600);
	/* the ring fills again and the exporter takes nothing: a second later, a slice all the
	 * same (its records would be lost, counted), and so on to the end */
	while (dp_session_records_main_room() >= reserve + batch)
		dp_session_record_ended(&rec);
	assert_false(dp_sessions_clear_step(2000));
	assert_false(dp_sessions_clear_step(2999));
	assert_int_equal(clear_status("visited"), room - reserve);
	assert_true(dp_sessions_clear_step(3000));
	assert_int_equal(clear_status("visited"), room - reserve + 16384);
	clear_until_done(3001);
	assert_int_equal(clear_status("cleared"), CLEAR_N);

	dp_session_records_free();
	clear_fixture_free(qs);
}

/* A deleted session's entry is reused only after the readers' grace period. */
static void deleted_entries_wait_for_readers(void **state)
{
	(void)state;
	struct rte_rcu_qsbr *qs = qsbr(1);
	assert_int_equal(rte_rcu_qsbr_thread_register(qs, 0), 0);
	rte_rcu_qsbr_thread_online(qs, 0);
	struct svr_session_table *t = svr_session_table_create("s_rcu", 16, 16 / 32 + 64, qs);
	bool existing;
	int64_t victim = -1;
	for (uint32_t i = 0; i < 16; i++) {
		int64_t idx = create(t, i, &existing);
		assert_true(idx >= 0);
		if (i == 3)
			victim = idx;
	}
	svr_session_delete(t, (uint32_t)victim);
	assert_int_equal(find(t, 3), -1);
	assert_int_equal(atomic_load(&t->info[victim].in_use), 0);
	svr_session_reclaim(t); /* the reader has not reported: nothing comes back */
	assert_int_equal(svr_session_free_count(t), 0);
	assert_int_equal(create(t, 50, &existing), -ENOSPC);

	rte_rcu_qsbr_quiescent(qs, 0);
	svr_session_reclaim(t);
	assert_int_equal(svr_session_free_count(t), 1);
	int64_t again = create(t, 50, &existing);
	assert_int_equal(again, victim);
	assert_int_equal(find(t, 50), victim);
	assert_int_equal(t->info[again].service, 1050);
	/* Deleting twice is harmless. */
	svr_session_delete(t, (uint32_t)victim);
	svr_session_delete(t, (uint32_t)victim);
	rte_rcu_qsbr_thread_offline(qs, 0);
	svr_session_table_free(t);
	rte_free(qs);
}

/* Two workers: disjoint sessions plus a shared range both try to create. */
#define PER_WORKER 20000
#define SHARED     5000

struct worker_arg {
	struct svr_session_table *t;
	struct rte_rcu_qsbr *qs;
	unsigned id;
	uint32_t first;
	int64_t idx_of_shared[SHARED];
	unsigned created, existing, errors;
};

static void *worker(void *p)
{
	struct worker_arg *a = p;
	rte_rcu_qsbr_thread_register(a->qs, a->id);
	rte_rcu_qsbr_thread_online(a->qs, a->id);
	for (uint32_t n = 0; n < PER_WORKER; n++) {
		/* The last SHARED keys of each worker are the same keys. */
		uint32_t i = n < PER_WORKER - SHARED ? a->first + n : 1000000 + n;
		bool existing;
		int64_t idx = create(a->t, i, &existing);
		if (idx < 0 || find(a->t, i) != idx)
			a->errors++;
		else if (existing)
			a->existing++;
		else
			a->created++;
		if (n >= PER_WORKER - SHARED)
			a->idx_of_shared[n - (PER_WORKER - SHARED)] = idx;
		if ((n & 63) == 0)
			rte_rcu_qsbr_quiescent(a->qs, a->id);
	}
	rte_rcu_qsbr_thread_offline(a->qs, a->id);
	return NULL;
}

/* The keys' hash is keyed by a secret drawn per table: a sender cannot aim tuples at a bucket. */
static void hash_seeds_are_secret_per_table(void **state)
{
	(void)state;
	struct rte_rcu_qsbr *qs = qsbr(1);
	struct svr_session_table *a = svr_session_table_create("s_seed_a", 1024, 64, qs);
	struct svr_session_table *b = svr_session_table_create("s_seed_b", 1024, 64, qs);
	assert_non_null(a);
	assert_non_null(b);
	assert_memory_not_equal(a->seed, b->seed, sizeof(a->seed));
	unsigned zero = 0;
	for (unsigned i = 0; i < RTE_DIM(a->seed); i++)
		zero += a->seed[i] == 0;
	assert_true(zero <= 1);
	svr_session_table_free(a);
	svr_session_table_free(b);
	rte_free(qs);
}

static void two_workers_concurrently(void **state)
{
	(void)state;
	struct rte_rcu_qsbr *qs = qsbr(2);
	const uint32_t cap = 2 * PER_WORKER;
	struct svr_session_table *t = svr_session_table_create("s_mt", cap, cap / 32 + 64, qs);
	assert_non_null(t);
	static struct worker_arg a[2];
	pthread_t th[2];
	for (unsigned w = 0; w < 2; w++) {
		a[w] = (struct worker_arg){.t = t, .qs = qs, .id = w, .first = w * 100000};
		assert_int_equal(pthread_create(&th[w], NULL, worker, &a[w]), 0);
	}
	for (unsigned w = 0; w < 2; w++)
		pthread_join(th[w], NULL);
	assert_int_equal(a[0].errors + a[1].errors, 0);
	/* Every shared session exists once, and both workers got the same entry for it. */
	assert_int_equal(a[0].existing + a[1].existing, SHARED);
	for (unsigned i = 0; i < SHARED; i++)
		assert_int_equal(a[0].idx_of_shared[i], a[1].idx_of_shared[i]);
	uint32_t live = 2 * PER_WORKER - SHARED;
	assert_int_equal(a[0].created + a[1].created, live);
	assert_int_equal(svr_session_free_count(t), cap - live);
	svr_session_table_free(t);
	rte_free(qs);
}

/*
 * The half-open TCP count under two workers and ageing: the workers open
 * sessions (a SYN), answer them (SYN-ACK back), close them (FIN) and reopen
 * closing ones (a SYN on the same ports), each through the hit path's
 * dp_session_touch, while the main lcore ends sessions at random
 * (dp_session_clear, what ageing does) and reclaims them. A worker may still
 * hold a session the main lcore has just ended. At the end the count must be
 * the number of sessions left half-open, and 0 once all are ended.
 */
#define HO_KEYS   256 /* per worker */
#define HO_ROUNDS 400000

struct ho_worker {
	struct rte_rcu_qsbr *qs;
	unsigned id;
	uint32_t seed;
};

static _Atomic unsigned ho_finished; /* workers done */

static uint32_t ho_rand(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static void fill_syn_sent(struct svr_session *s, struct svr_session_info *info, void *arg)
{
	(void)arg;
	info->tenant = info->service = SVR_NO_NAME;
	s->dir[SVR_DIR_FWD].proto = SVR_IPPROTO_TCP;
	atomic_store_explicit(svr_session_tcp_state(s), SVR_TCP_SYN_SENT, memory_order_relaxed);
}

static void *ho_worker(void *p)
{
	struct ho_worker *a = p;
	struct svr_session_table *t = dp_sess.table;
	static const struct svr_session_place anywhere = {.limit = UINT32_MAX};
	rte_rcu_qsbr_thread_register(a->qs, a->id);
	rte_rcu_qsbr_thread_online(a->qs, a->id);
	for (uint32_t n = 0; n < HO_ROUNDS; n++) {
		uint32_t i = a->id * 100000 + ho_rand(&a->seed) % HO_KEYS;
		int64_t idx = find(t, i);
		if (idx < 0) {
			struct svr_skey4 f = key(i, false), r = key(i, true);
			bool existing;
			svr_session_create4(t, &f, &r, &anywhere, fill_syn_sent, NULL, &existing);
		} else {
			static const uint8_t flags[4] = {SVR_TCP_SYN, SVR_TCP_SYN | SVR_TCP_ACK,
							 SVR_TCP_FIN | SVR_TCP_ACK, SVR_TCP_ACK};
			static const enum svr_sdir dirs[4] = {SVR_DIR_FWD, SVR_DIR_REV, SVR_DIR_FWD,
							      SVR_DIR_REV};
			/* a few packets of the session held: the main lcore may end it meanwhile */
			for (int k = 0; k < 4; k++) {
				unsigned c = ho_rand(&a->seed) % 4;
				dp_session_touch(&t->entries[idx], dirs[c], 60, flags[c], 0);
			}
		}
		if ((n & 15) == 0)
			rte_rcu_qsbr_quiescent(a->qs, a->id);
	}
	rte_rcu_qsbr_thread_offline(a->qs, a->id);
	atomic_fetch_add(&ho_finished, 1);
	return NULL;
}

static uint32_t half_open_entries(const struct svr_session_table *t)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < t->capacity; i++)
		n += atomic_load(&t->info[i].in_use) &&
		     atomic_load(svr_session_tcp_state(&t->entries[i])) == SVR_TCP_SYN_SENT;
	return n;
}

static void half_open_count_under_two_workers_and_ageing(void **state)
{
	(void)state;
	struct rte_rcu_qsbr *qs = qsbr(2);
	const uint32_t cap = 4 * HO_KEYS;
	dp_sess.table = svr_session_table_create("s_ho", cap, cap / 32 + 64, qs);
	struct svr_session_table *t = dp_sess.table;
	assert_non_null(t);
	static struct ho_worker a[2];
	pthread_t th[2];
	atomic_store(&ho_finished, 0);
	for (unsigned w = 0; w < 2; w++) {
		a[w] = (struct ho_worker){.qs = qs, .id = w, .seed = 0x9e3779b9u * (w + 1)};
		assert_int_equal(pthread_create(&th[w], NULL, ho_worker, &a[w]), 0);
	}
	/* This thread is the main lcore: ends sessions at random, reclaims, watches the count. */
	uint32_t seed = 12345, most = 0, ended = 0;
	while (atomic_load(&ho_finished) < 2) {
		for (uint32_t i = 0; i < cap; i++) {
			if (atomic_load(&t->info[i].in_use) && ho_rand(&seed) % 8 == 0)
				ended += dp_session_clear(i);
			uint32_t now = atomic_load(&t->half_open);
			most = now > most ? now : most;
		}
		svr_session_reclaim(t);
	}
	for (unsigned w = 0; w < 2; w++)
		pthread_join(th[w], NULL);
	assert_true(ended > 1000); /* the race was run */
	/* never below zero (a wrap shows as about 4 billion) nor above what the table holds */
	assert_true(most <= cap);
	assert_int_equal(atomic_load(&t->half_open), half_open_entries(t));
	for (uint32_t i = 0; i < cap; i++)
		if (atomic_load(&t->info[i].in_use))
			dp_session_clear(i);
	assert_int_equal(atomic_load(&t->half_open), 0);
	svr_session_table_free(t);
	dp_sess.table = NULL;
	rte_free(qs);
}

/*
 * Create, age and delete, and look up, all at once: two workers create the
 * same keys (each must end up with one session, both directions on it),
 * look them up and check that the entry a lookup returns carries the key they
 * asked for (an entry reused before their grace period would carry another),
 * while the main lcore deletes sessions at random and reclaims. At the end
 * every live session is found by both keys, no key has two sessions, and
 * every entry is either live or free again.
 */
#define CAD_KEYS   256
#define CAD_ROUNDS 300000

struct cad_worker {
	struct svr_session_table *t;
	struct rte_rcu_qsbr *qs;
	unsigned id;
	unsigned created, wrong_entry, lost, errors;
};

static _Atomic unsigned cad_finished;

static void fill_key_id(struct svr_session *s, struct svr_session_info *info, void *arg)
{
	uint32_t id = (uint32_t)(uintptr_t)arg;
	info->tenant = info->service = SVR_NO_NAME;
	s->dir[SVR_DIR_FWD].proto = 6;
	memcpy(info->uuid, &id, sizeof(id));
}

/* The key a session was made for (in its UUID). */
static uint32_t key_id_of(const struct svr_session_table *t, uint32_t idx)
{
	uint32_t id;
	memcpy(&id, t->info[idx].uuid, sizeof(id));
	return id;
}

static void *cad_worker(void *p)
{
	struct cad_worker *a = p;
	static const struct svr_session_place anywhere = {.limit = UINT32_MAX};
	rte_rcu_qsbr_thread_register(a->qs, a->id);
	rte_rcu_qsbr_thread_online(a->qs, a->id);
	for (uint32_t n = 0; n < CAD_ROUNDS; n++) {
		/* both workers walk the keys in the same order: they race on each key's creation */
		uint32_t i = n % CAD_KEYS;
		struct svr_skey4 f = key(i, false), r = key(i, true);
		const struct svr_skey4 *keys[2] = {&f, &r};
		uint64_t hits[2];
		svr_session_lookup4(a->t, keys, 2, hits);
		for (int d = 0; d < 2; d++)
			if (hits[d] != UINT64_MAX && (svr_sess_dir(hits[d]) != (enum svr_sdir)d ||
						      key_id_of(a->t, svr_sess_idx(hits[d])) != i))
				a->wrong_entry++;
		if (hits[0] == UINT64_MAX) {
			bool existing;
			int64_t idx = svr_session_create4(a->t, &f, &r, &anywhere, fill_key_id,
							  (void *)(uintptr_t)i, &existing);
			if (idx < 0)
				a->errors += idx != -ENOSPC; /* full of sessions awaiting reclaim */
			else if (!existing) {
				a->created++;
				/* ours until the main lcore ends it: found, or already deleted */
				uint64_t again = svr_session_find4(a->t, &f);
				if (again != ((uint64_t)idx << 1) &&
				    atomic_load(&a->t->info[idx].in_use))
					a->lost++;
			}
		}
		if ((n & 15) == 0)
			rte_rcu_qsbr_quiescent(a->qs, a->id);
	}
	rte_rcu_qsbr_thread_offline(a->qs, a->id);
	atomic_fetch_add(&cad_finished, 1);
	return NULL;
}

static void create_age_delete_lookup_concurrently(void **state)
{
	(void)state;
	struct rte_rcu_qsbr *qs = qsbr(2);
	const uint32_t cap = 8 * CAD_KEYS;
	struct svr_session_table *t = svr_session_table_create("s_cad", cap, 64, qs);
	assert_non_null(t);
	static struct cad_worker a[2];
	pthread_t th[2];
	atomic_store(&cad_finished, 0);
	for (unsigned w = 0; w < 2; w++) {
		a[w] = (struct cad_worker){.t = t, .qs = qs, .id = w};
		assert_int_equal(pthread_create(&th[w], NULL, cad_worker, &a[w]), 0);
	}
	uint32_t seed = 777, deleted = 0;
	while (atomic_load(&cad_finished) < 2) {
		for (uint32_t i = 0; i < cap; i++)
			if (atomic_load(&t->info[i].in_use) && ho_rand(&seed) % 4 == 0)
				deleted += svr_session_delete(t, i) != 0;
		svr_session_reclaim(t);
	}
	for (unsigned w = 0; w < 2; w++)
		pthread_join(th[w], NULL);
	assert_true(deleted > 1000); /* the race was run */
	assert_true(a[0].created + a[1].created > 1000);
	assert_int_equal(a[0].errors + a[1].errors, 0);
	assert_int_equal(a[0].wrong_entry + a[1].wrong_entry, 0);
	assert_int_equal(a[0].lost + a[1].lost, 0);
	/* Every live session found by both keys; no key with two live sessions. */
	static uint8_t sessions_of[CAD_KEYS];
	memset(sessions_of, 0, sizeof(sessions_of));
	uint32_t live = 0;
	for (uint32_t e = 0; e < cap; e++) {
		if (!atomic_load(&t->info[e].in_use))
			continue;
		uint32_t i = key_id_of(t, e);
		assert_true(i < CAD_KEYS);
		sessions_of[i]++;
		live++;
		assert_int_equal(find(t, i), e);
	}
	for (uint32_t i = 0; i < CAD_KEYS; i++)
		assert_true(sessions_of[i] <= 1);
	/* Nothing lost: every entry live or, after the grace period, free again. */
	rte_rcu_qsbr_synchronize(qs, RTE_QSBR_THRID_INVALID);
	svr_session_reclaim(t);
	assert_int_equal(svr_session_free_count(t) + live, cap);
	svr_session_table_free(t);
	rte_free(qs);
}

/* IPv6 sessions: both keys found, at most capacity6 of them, their key slots reused. */
static struct svr_skey6 key6(uint32_t i, bool rev)
{
	struct svr_skey6 k = {.sport = (uint16_t)(1000 + i), .dport = 443, .proto = 6};
	k.src[0] = 0x20, k.src[1] = 0x01, k.src[2] = 0x0d, k.src[3] = 0xb8;
	memcpy(k.dst, k.src, 16);
	k.src[15] = 1;
	k.dst[15] = 2;
	memcpy(&k.src[8], &i, sizeof(i));
	if (rev) {
		struct svr_skey6 r = {.sport = k.dport, .dport = k.sport, .proto = 6};
		memcpy(r.src, k.dst, 16);
		memcpy(r.dst, k.src, 16);
		k = r;
	}
	return k;
}

static void ipv6_sessions_within_their_share(void **state)
{
	(void)state;
	struct rte_rcu_qsbr *qs = qsbr(1);
	struct svr_session_table *t = svr_session_table_create("s_v6", 256, 8, qs);
	assert_non_null(t);
	static const struct svr_session_place anywhere = {.limit = UINT32_MAX};
	int64_t idx[8];
	bool existing;
	for (uint32_t i = 0; i < 8; i++) {
		struct svr_skey6 f = key6(i, false), r = key6(i, true);
		idx[i] =
		    svr_session_create6(t, &f, &r, &anywhere, fill_service, (void *)1, &existing);
		assert_true(idx[i] >= 0);
		assert_false(existing);
	}
	struct svr_skey6 f = key6(8, false), r = key6(8, true);
	assert_int_equal(svr_session_create6(t, &f, &r, &anywhere, fill_service, NULL, &existing),
			 -ENOSPC);
	/* IPv4 sessions still fit: the share is of IPv6 key slots only */
	assert_true(create(t, 1, &existing) >= 0);
	for (uint32_t i = 0; i < 8; i++) {
		struct svr_skey6 a = key6(i, false), b = key6(i, true);
		const struct svr_skey6 *keys[2] = {&a, &b};
		uint64_t hits[2];
		assert_int_equal(svr_session_lookup6(t, keys, 2, hits), 2);
		assert_int_equal(hits[0], (uint64_t)idx[i] << 1 | SVR_DIR_FWD);
		assert_int_equal(hits[1], (uint64_t)idx[i] << 1 | SVR_DIR_REV);
		const void *kf, *kr;
		assert_int_equal(svr_session_keys(t, (uint32_t)idx[i], &kf, &kr), 0);
		assert_memory_equal(kf, &a, sizeof(a));
		assert_memory_equal(kr, &b, sizeof(b));
	}
	assert_true(svr_session_delete(t, (uint32_t)idx[3]));
	assert_int_equal(svr_session_find6(t, &(struct svr_skey6){0}), UINT64_MAX);
	struct svr_skey6 gone = key6(3, true);
	assert_int_equal(svr_session_find6(t, &gone), UINT64_MAX);
	svr_session_reclaim(t); /* no reader online: the slot is free again */
	assert_true(svr_session_create6(t, &f, &r, &anywhere, fill_service, NULL, &existing) >= 0);
	assert_int_equal(svr_session_find6(t, &r) & 1, SVR_DIR_REV);
	svr_session_table_free(t);
	rte_free(qs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(both_directions_one_entry),
	    cmocka_unit_test(full_table_refuses_and_keeps_the_rest),
	    cmocka_unit_test(index_window_full_refuses_and_keeps_the_rest),
	    cmocka_unit_test(index_full_after_the_reverse_key_was_published),
	    cmocka_unit_test(limit_below_capacity),
	    cmocka_unit_test(nat_ports_never_reused_while_live),
	    cmocka_unit_test(waypoint_pairs),
	    cmocka_unit_test(moved_session_keeps_its_lan_key),
	    cmocka_unit_test(second_leg_publishes_one_key),
	    cmocka_unit_test(names_keep_their_ids),
	    cmocka_unit_test(names_forgotten_and_ids_reused),
	    cmocka_unit_test(names_kept_while_sessions_carry_them),
	    cmocka_unit_test(sessions_clear_by_filters),
	    cmocka_unit_test(sessions_clear_waits_for_the_exporter),
	    cmocka_unit_test(deleted_entries_wait_for_readers),
	    cmocka_unit_test(hash_seeds_are_secret_per_table),
	    cmocka_unit_test(two_workers_concurrently),
	    cmocka_unit_test(half_open_count_under_two_workers_and_ageing),
	    cmocka_unit_test(create_age_delete_lookup_concurrently),
	    cmocka_unit_test(ipv6_sessions_within_their_share),
	};
	return cmocka_run_group_tests(tests, eal_setup, eal_teardown);
}
