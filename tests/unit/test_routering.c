/* SPDX-License-Identifier: BSD-3-Clause */
/* The route-change ring (common/routering.h): order, a full ring, wrap-around, a broken producer,
 * what the consumer accepts, and a producer and a consumer on two threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>

#include "common/routering.h"

static struct svr_route_change change(uint32_t n)
{
	struct svr_route_change c = {.op = SVR_ROUTE_ADD, .family = 4, .len = 24, .metric = n};
	memcpy(c.prefix, &n, sizeof(n));
	return c;
}

static struct svr_route_ring *ring_new(uint32_t capacity)
{
	size_t bytes = svr_route_ring_bytes(capacity);
	assert_true(bytes > 0);
	void *mem = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
	assert_non_null(mem);
	memset(mem, 0xa5, bytes); /* init must not rely on zeroed memory */
	struct svr_route_ring *r = svr_route_ring_init(mem, capacity);
	assert_ptr_equal(r, mem);
	assert_true(svr_route_ring_usable(r, bytes));
	return r;
}

static void capacities(void **state)
{
	(void)state;
	assert_int_equal(svr_route_ring_bytes(0), 0);
	assert_int_equal(svr_route_ring_bytes(1), 0);
	assert_int_equal(svr_route_ring_bytes(96), 0);
	assert_int_equal(svr_route_ring_bytes(64), sizeof(struct svr_route_ring) + 64 * 48);
	char mem[256];
	assert_null(svr_route_ring_init(mem, 3));
}

/* In order; a full ring takes what fits; wrap-around keeps the order. */
static void order_full_and_wrap(void **state)
{
	(void)state;
	struct svr_route_ring *r = ring_new(8);
	struct svr_route_change in[12], out[12];
	for (uint32_t i = 0; i < 12; i++)
		in[i] = change(i);
	assert_int_equal(svr_route_ring_put(r, in, 12), 8); /* full: 4 refused */
	assert_int_equal(svr_route_ring_put(r, in + 8, 4), 0);
	assert_int_equal(svr_route_ring_take(r, out, 5), 5);
	for (uint32_t i = 0; i < 5; i++)
		assert_int_equal(out[i].metric, i);
	assert_int_equal(svr_route_ring_put(r, in + 8, 4), 4); /* across the end of the slots */
	assert_int_equal(svr_route_ring_take(r, out, 12), 7);
	for (uint32_t i = 0; i < 7; i++)
		assert_int_equal(out[i].metric, 5 + i);
	assert_int_equal(svr_route_ring_take(r, out, 12), 0);
	free(r);
}

/* What a consumer must not trust: a ring it does not know, a head beyond the slots, and changes
 * that mean nothing. */
static void untrusted(void **state)
{
	(void)state;
	struct svr_route_ring *r = ring_new(8);
	size_t bytes = svr_route_ring_bytes(8);
	assert_false(svr_route_ring_usable(r, bytes - 1)); /* shorter than its slots */
	r->version = 2;
	assert_false(svr_route_ring_usable(r, bytes));
	r->version = SVR_ROUTE_RING_VERSION;
	r->capacity = 12;
	assert_false(svr_route_ring_usable(r, bytes));
	r->capacity = 8;
	atomic_store(&r->head, 9); /* more than the ring holds */
	struct svr_route_change out[16];
	assert_int_equal(svr_route_ring_take(r, out, 16), 0);

	struct svr_route_change c = change(1);
	assert_true(svr_route_change_valid(&c));
	c.len = 33;
	assert_false(svr_route_change_valid(&c));
	c.family = 6;
	assert_true(svr_route_change_valid(&c));
	c.len = 129;
	assert_false(svr_route_change_valid(&c));
	c.family = 5;
	c.len = 0;
	assert_false(svr_route_change_valid(&c));
	c.op = SVR_ROUTE_SYNC_END;
	assert_true(svr_route_change_valid(&c));
	c.op = 0;
	assert_false(svr_route_change_valid(&c));
	c.op = 9;
	assert_false(svr_route_change_valid(&c));
	free(r);
}

/* A producer and a consumer on two threads: every change arrives once, in order. */
#define THREADED_N 1000000u
static void *produce(void *arg)
{
	struct svr_route_ring *r = arg;
	struct svr_route_change batch[37];
	for (uint32_t next = 0; next < THREADED_N;) {
		unsigned n = THREADED_N - next < 37 ? THREADED_N - next : 37;
		for (unsigned i = 0; i < n; i++)
			batch[i] = change(next + i);
		unsigned put = svr_route_ring_put(r, batch, n);
		next += put;
		if (!put)
			sched_yield();
	}
	return NULL;
}

static void two_threads(void **state)
{
	(void)state;
	struct svr_route_ring *r = ring_new(256);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, produce, r), 0);
	struct svr_route_change out[64];
	uint32_t want = 0;
	while (want < THREADED_N) {
		unsigned n = svr_route_ring_take(r, out, 64);
		for (unsigned i = 0; i < n; i++) {
			uint32_t got;
			memcpy(&got, out[i].prefix, sizeof(got));
			assert_int_equal(out[i].metric, want); /* the slot's data, whole */
			assert_int_equal(got, want);
			want++;
		}
		if (!n)
			sched_yield();
	}
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(svr_route_ring_take(r, out, 64), 0);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(capacities),
	    cmocka_unit_test(order_full_and_wrap),
	    cmocka_unit_test(untrusted),
	    cmocka_unit_test(two_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
