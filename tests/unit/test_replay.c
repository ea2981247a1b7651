/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SVR replay memory (src/dataplane/svrpath/replay.c): a live UUID is always refused, an
 * ended one for its hold and then not, a full memory refuses new UUIDs and evicts nothing, a
 * claim given back is forgotten, and random traffic (claims, ends, sweeps, the clock crossing
 * 2^24 seconds) against a plain reference.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "svrpath/replay.h"

struct mem {
	struct svr_replay r;
	uint64_t *slot;
};

static void mem_open(struct mem *m, uint32_t sessions)
{
	m->slot = calloc(svr_replay_slots(sessions), sizeof(*m->slot));
	assert_non_null(m->slot);
	svr_replay_init(&m->r, m->slot, sessions, 0x5356);
}

static void mem_close(struct mem *m)
{
	free(m->slot);
}

/* UUID number i: random-looking bytes, distinct for distinct i */
static void uuid_of(uint64_t i, uint8_t u[16])
{
	uint64_t a = i * 0x9e3779b97f4a7c15ull + 1, b = ~i * 0xc2b2ae3d27d4eb4full;
	memcpy(u, &a, 8);
	memcpy(u + 8, &b, 8);
}

static void live_uuid_refused(void **state)
{
	(void)state;
	struct mem m;
	mem_open(&m, 1000);
	uint8_t u[16];
	uuid_of(1, u);
	assert_false(svr_replay_seen(&m.r, u, 5));
	assert_int_equal(svr_replay_claim(&m.r, u, 5), SVR_REPLAY_CLAIMED);
	/* live: refused whatever the time, however long its hold */
	for (uint32_t t = 5; t < 40000000; t += 999983) {
		assert_true(svr_replay_seen(&m.r, u, t));
		assert_int_equal(svr_replay_claim(&m.r, u, t), SVR_REPLAY_SEEN);
		svr_replay_sweep(&m.r, t, UINT32_MAX);
	}
	uint32_t live, ended;
	svr_replay_counts(&m.r, &live, &ended);
	assert_int_equal(live, 1);
	assert_int_equal(ended, 0);
	mem_close(&m);
}

static void ended_remembered_for_its_hold(void **state)
{
	(void)state;
	struct mem m;
	mem_open(&m, 1000);
	uint8_t u[16];
	uuid_of(2, u);
	assert_int_equal(svr_replay_claim(&m.r, u, 10), SVR_REPLAY_CLAIMED);
	assert_true(svr_replay_ended(&m.r, u, 3800, 100));
	assert_false(svr_replay_ended(&m.r, u, 3800, 101)); /* no longer live */
	for (uint32_t t = 100; t <= 3900; t += 100) {
		svr_replay_sweep(&m.r, t, UINT32_MAX);
		assert_true(svr_replay_seen(&m.r, u, t));
		assert_int_equal(svr_replay_claim(&m.r, u, t), SVR_REPLAY_SEEN);
	}
	assert_false(svr_replay_seen(&m.r, u, 3901));
	assert_int_equal(svr_replay_claim(&m.r, u, 3901), SVR_REPLAY_CLAIMED);
	uint32_t live, ended;
	svr_replay_counts(&m.r, &live, &ended);
	assert_int_equal(live, 1);
	assert_int_equal(ended, 0);
	mem_close(&m);
}

static void hold_beyond_what_a_slot_says_is_capped(void **state)
{
	(void)state;
	struct mem m;
	mem_open(&m, 100);
	uint8_t u[16];
	uuid_of(3, u);
	assert_int_equal(svr_replay_claim(&m.r, u, 0), SVR_REPLAY_CLAIMED);
	assert_true(svr_replay_ended(&m.r, u, UINT32_MAX, 0));
	/* remembered all along the capped hold (a cap the time comparison cannot hold would
	 * read as passed at once), forgotten after it */
	assert_true(svr_replay_seen(&m.r, u, 1));
	assert_true(svr_replay_seen(&m.r, u, SVR_REPLAY_HOLD_MAX / 2));
	assert_true(svr_replay_seen(&m.r, u, SVR_REPLAY_HOLD_MAX));
	assert_false(svr_replay_seen(&m.r, u, SVR_REPLAY_HOLD_MAX + 1));
	mem_close(&m);
}

static void unclaimed_is_forgotten(void **state)
{
	(void)state;
	struct mem m;
	mem_open(&m, 100);
	uint8_t u[16];
	uuid_of(4, u);
	assert_int_equal(svr_replay_claim(&m.r, u, 0), SVR_REPLAY_CLAIMED);
	svr_replay_unclaim(&m.r, u);
	assert_false(svr_replay_seen(&m.r, u, 0));
	assert_false(svr_replay_ended(&m.r, u, 360, 0));
	assert_int_equal(svr_replay_claim(&m.r, u, 0), SVR_REPLAY_CLAIMED);
	mem_close(&m);
}

/* Live sessions up to the table's size and as many ended ones fit; past the limit a claim is
 * refused and every UUID already there stays. Room comes back only when a hold passes. */
static void full_refuses_and_evicts_nothing(void **state)
{
	(void)state;
	const uint32_t sessions = 5000;
	struct mem m;
	mem_open(&m, sessions);
	assert_true(m.r.limit >= 2 * sessions);
	assert_true(m.r.limit < m.r.n_slots);
	uint8_t u[16];
	uint32_t n = 0;
	for (; n < m.r.limit; n++) {
		uuid_of(100 + n, u);
		assert_int_equal(svr_replay_claim(&m.r, u, 1), SVR_REPLAY_CLAIMED);
		if (n % 2) /* half of them end: remembered until 361 */
			assert_true(svr_replay_ended(&m.r, u, 360, 1));
	}
	for (uint32_t k = 0; k < 50; k++) {
		uuid_of(1000000 + k, u);
		assert_int_equal(svr_replay_claim(&m.r, u, 2), SVR_REPLAY_FULL);
	}
	svr_replay_sweep(&m.r, 300, UINT32_MAX); /* nothing passed yet */
	for (uint32_t k = 0; k < n; k++) {
		uuid_of(100 + k, u);
		assert_true(svr_replay_seen(&m.r, u, 300));
	}
	uuid_of(1000000, u);
	assert_int_equal(svr_replay_claim(&m.r, u, 300), SVR_REPLAY_FULL);
	/* the ended ones' holds pass: swept, room again; the live ones stay */
	svr_replay_sweep(&m.r, 362, UINT32_MAX);
	uint32_t live, ended;
	svr_replay_counts(&m.r, &live, &ended);
	assert_int_equal(live, (n + 1) / 2);
	assert_int_equal(ended, 0);
	for (uint32_t k = 0; k < n; k++) {
		uuid_of(100 + k, u);
		assert_int_equal(svr_replay_seen(&m.r, u, 362), k % 2 == 0);
	}
	uuid_of(1000000, u);
	assert_int_equal(svr_replay_claim(&m.r, u, 362), SVR_REPLAY_CLAIMED);
	mem_close(&m);
}

/* The smallest memory: one session's worth, a live and an ended UUID; never a full table (every
 * probe run ends at an empty slot). */
static void one_session(void **state)
{
	(void)state;
	struct mem m;
	mem_open(&m, 1);
	uint8_t u[16];
	for (uint32_t k = 0; k < 2; k++) {
		uuid_of(k, u);
		assert_int_equal(svr_replay_claim(&m.r, u, 0), SVR_REPLAY_CLAIMED);
	}
	uuid_of(9, u);
	assert_int_equal(svr_replay_claim(&m.r, u, 0), SVR_REPLAY_FULL);
	assert_false(svr_replay_seen(&m.r, u, 0));
	mem_close(&m);
}

/* A passed hold counts as used until the sweep (within a second in the dataplane) or until a
 * claim whose probe run meets it takes its slot; after a whole sweep the room is all back. */
static void passed_holds_give_room_back(void **state)
{
	(void)state;
	struct mem m;
	mem_open(&m, 100);
	uint8_t u[16];
	uint32_t n = 0;
	for (; n < m.r.limit; n++) {
		uuid_of(7000 + n, u);
		assert_int_equal(svr_replay_claim(&m.r, u, 0), SVR_REPLAY_CLAIMED);
		assert_true(svr_replay_ended(&m.r, u, 360, 0));
	}
	uint32_t claimed = 0;
	for (uint32_t k = 0; k < n; k++) {
		uuid_of(90000 + k, u);
		enum svr_replay_claim c = svr_replay_claim(&m.r, u, 400);
		assert_true(c == SVR_REPLAY_CLAIMED || c == SVR_REPLAY_FULL);
		claimed += c == SVR_REPLAY_CLAIMED;
	}
	assert_true(claimed > 0); /* some probe runs met a passed slot */
	svr_replay_sweep(&m.r, 400, UINT32_MAX);
	uint32_t live, ended;
	svr_replay_counts(&m.r, &live, &ended);
	assert_int_equal(live, claimed);
	assert_int_equal(ended, 0);
	for (uint32_t k = claimed; k < n; k++) {
		uuid_of(200000 + k, u);
		assert_int_equal(svr_replay_claim(&m.r, u, 400), SVR_REPLAY_CLAIMED);
	}
	mem_close(&m);
}

enum ref_state { REF_NONE, REF_LIVE, REF_ENDED };
struct ref {
	enum ref_state st;
	uint32_t hold, until; /* until: absolute, not modulo */
};

/* Random claims, ends, unclaims and partial sweeps on a small memory, the clock running across
 * 2^24 seconds: every UUID's answer as a plain per-UUID reference says. */
static void random_against_reference(void **state)
{
	(void)state;
	enum { N_UUIDS = 400, SESSIONS = 120, STEPS = 200000 };
	struct mem m;
	mem_open(&m, SESSIONS);
	static struct ref ref[N_UUIDS];
	memset(ref, 0, sizeof(ref));
	uint64_t rng = 12345;
	uint32_t now = 0xffffff - 3000; /* the slots' seconds wrap during the run */
	uint32_t live_ref = 0;
	uint8_t u[16];
	for (unsigned step = 0; step < STEPS; step++) {
		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		uint32_t x = (uint32_t)(rng >> 33);
		uint32_t i = x % N_UUIDS, op = (x / N_UUIDS) % 16;
		struct ref *e = &ref[i];
		uuid_of(i, u);
		if (e->st == REF_ENDED && now > e->until)
			e->st = REF_NONE;
		bool seen = e->st != REF_NONE;
		assert_int_equal(svr_replay_seen(&m.r, u, now), seen);
		/* a live UUID names the entry it was bound to (its index here) */
		assert_int_equal(svr_replay_find(&m.r, u), e->st == REF_LIVE ? i : UINT32_MAX);
		if (op < 6) { /* claim, keeping well below the limit: FULL is tested apart */
			uint32_t live, ended;
			svr_replay_counts(&m.r, &live, &ended);
			if (live + ended + 1 >= m.r.limit)
				continue;
			uint32_t hold = 1 + (x >> 20) % 50;
			enum svr_replay_claim c = svr_replay_claim(&m.r, u, now);
			assert_int_equal(c, seen ? SVR_REPLAY_SEEN : SVR_REPLAY_CLAIMED);
			if (!seen) {
				assert_true(svr_replay_bind(&m.r, u, i));
				*e = (struct ref){.st = REF_LIVE, .hold = hold};
				live_ref++;
			}
		} else if (op < 10) { /* its session ends */
			assert_int_equal(svr_replay_ended(&m.r, u, e->hold, now), e->st == REF_LIVE);
			if (e->st == REF_LIVE) {
				e->st = REF_ENDED;
				e->until = now + e->hold;
				live_ref--;
			}
		} else if (op < 11) { /* no session came of the claim */
			svr_replay_unclaim(&m.r, u);
			if (e->st == REF_LIVE) {
				e->st = REF_NONE;
				live_ref--;
			}
		} else if (op < 13) {
			svr_replay_sweep(&m.r, now, 1 + x % 64);
		} else {
			now += x % 3;
		}
		uint32_t live, ended;
		svr_replay_counts(&m.r, &live, &ended);
		assert_int_equal(live, live_ref);
	}
	assert_true(now > 0xffffff); /* the clock did cross */
	/* a whole sweep leaves exactly the remembered ones */
	svr_replay_sweep(&m.r, now, UINT32_MAX);
	uint32_t ended_ref = 0;
	for (unsigned i = 0; i < N_UUIDS; i++)
		ended_ref += ref[i].st == REF_ENDED && now <= ref[i].until;
	uint32_t live, ended;
	svr_replay_counts(&m.r, &live, &ended);
	assert_int_equal(ended, ended_ref);
	mem_close(&m);
}

/* What the memory costs a session of capacity, as docs/sessions.md gives it. */
static void twenty_bytes_a_session(void **state)
{
	(void)state;
	uint64_t bytes = (uint64_t)svr_replay_slots(1000000) * SVR_REPLAY_SLOT_BYTES;
	assert_int_equal((bytes + 500000) / 1000000, 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(live_uuid_refused),
	    cmocka_unit_test(ended_remembered_for_its_hold),
	    cmocka_unit_test(hold_beyond_what_a_slot_says_is_capped),
	    cmocka_unit_test(unclaimed_is_forgotten),
	    cmocka_unit_test(full_refuses_and_evicts_nothing),
	    cmocka_unit_test(one_session),
	    cmocka_unit_test(passed_holds_give_room_back),
	    cmocka_unit_test(random_against_reference),
	    cmocka_unit_test(twenty_bytes_a_session),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
