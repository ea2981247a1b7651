/* SPDX-License-Identifier: BSD-3-Clause */
/* The route-change ring (common/routering.h): order, a full ring, wrap-around, a broken producer,
 * what the consumer accepts, and a producer and a consumer on two threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <pthread.h>

#include "common/routering.h"

static struct svr_route_change change(uint32_t n)
{
	struct svr_route_change c = {.op = SVR_ROUTE_ADD, .family = 4, .len = 24, .metric = n};
	memcpy(c.prefix, &n, sizeof(n));
	return c;
}

/* A new ring, and both its ends attached. */
static struct svr_route_ring *ring_new(uint32_t capacity, struct svr_route_end *prod,
				       struct svr_route_end *cons)
{
	size_t bytes = svr_route_ring_bytes(capacity);
	assert_true(bytes > 0);
	void *mem = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
	assert_non_null(mem);
	memset(mem, 0xa5, bytes); /* init must not rely on zeroed memory */
	struct svr_route_ring *r = svr_route_ring_init(mem, capacity);
	assert_ptr_equal(r, mem);
	assert_int_equal(svr_route_ring_attach(prod, mem, bytes, true), 0);
	assert_int_equal(svr_route_ring_attach(cons, mem, bytes, false), 0);
	return r;
}

static void capacities(void **state)
{
	(void)state;
	assert_int_equal(svr_route_ring_bytes(0), 0);
	assert_int_equal(svr_route_ring_bytes(1), 0);
	assert_int_equal(svr_route_ring_bytes(96), 0);
	assert_int_equal(svr_route_ring_bytes(64), sizeof(struct svr_route_ring) + 64 * 64);
	_Alignas(64) char mem[256];
	assert_null(svr_route_ring_init(mem, 3));
}

/* In order; a full ring takes what fits; wrap-around keeps the order. */
static void order_full_and_wrap(void **state)
{
	(void)state;
	struct svr_route_end p, c;
	struct svr_route_ring *r = ring_new(8, &p, &c);
	struct svr_route_change in[12], out[12];
	for (uint32_t i = 0; i < 12; i++)
		in[i] = change(i);
	assert_int_equal(svr_route_ring_put(&p, in, 12), 8); /* full: 4 refused */
	assert_int_equal(svr_route_ring_put(&p, in + 8, 4), 0);
	assert_int_equal(svr_route_ring_take(&c, out, 5), 5);
	for (uint32_t i = 0; i < 5; i++)
		assert_int_equal(out[i].metric, i);
	assert_int_equal(svr_route_ring_put(&p, in + 8, 4), 4); /* across the end of the slots */
	assert_int_equal(svr_route_ring_take(&c, out, 12), 7);
	for (uint32_t i = 0; i < 7; i++)
		assert_int_equal(out[i].metric, 5 + i);
	assert_int_equal(svr_route_ring_take(&c, out, 12), 0);
	/* a producer that starts again attaches where the ring is, and goes on */
	struct svr_route_end p2;
	assert_int_equal(svr_route_ring_attach(&p2, r, svr_route_ring_bytes(8), true), 0);
	assert_int_equal(svr_route_ring_put(&p2, in, 1), 1);
	assert_int_equal(svr_route_ring_take(&c, out, 12), 1);
	free(r);
}

/* What a consumer must not trust: a ring it does not know, a size changed once attached, a
 * producer's count that makes no sense, and changes that mean nothing. */
static void untrusted(void **state)
{
	(void)state;
	struct svr_route_end p, c, x;
	struct svr_route_ring *r = ring_new(8, &p, &c);
	size_t bytes = svr_route_ring_bytes(8);
	assert_int_equal(svr_route_ring_attach(&x, r, bytes - 1, false), -1); /* short */
	r->version = SVR_ROUTE_RING_VERSION + 1;
	assert_int_equal(svr_route_ring_attach(&x, r, bytes, false), -1);
	r->version = SVR_ROUTE_RING_VERSION;
	r->capacity = 12;
	assert_int_equal(svr_route_ring_attach(&x, r, bytes, false), -1);
	r->capacity = 1u << 31; /* after attaching: the ends keep their own mask */
	struct svr_route_change in = change(3), out[16];
	assert_int_equal(svr_route_ring_put(&p, &in, 1), 1);
	assert_int_equal(svr_route_ring_take(&c, out, 16), 1);
	atomic_store(&r->head, c.count + 9); /* more than the ring holds */
	assert_int_equal(svr_route_ring_take(&c, out, 16), -1);
	atomic_store(&r->head, c.count - 1); /* behind the consumer */
	assert_int_equal(svr_route_ring_take(&c, out, 16), -1);
	svr_route_ring_skip(&c); /* the consumer gives up what was there, and waits for a resync */
	assert_int_equal(svr_route_ring_take(&c, out, 16), 0);
	atomic_store(&r->tail, p.count + 1); /* a consumer ahead of the producer */
	assert_int_equal(svr_route_ring_put(&p, &in, 1), -1);

	struct svr_route_change ch = change(1);
	assert_true(svr_route_change_valid(&ch));
	ch.prefix[7] = 1; /* IPv4: nothing beyond 4 bytes */
	assert_false(svr_route_change_valid(&ch));
	ch.prefix[7] = 0;
	ch.gateway[15] = 1;
	assert_false(svr_route_change_valid(&ch));
	ch.gateway[15] = 0;
	ch.len = 33;
	assert_false(svr_route_change_valid(&ch));
	ch.family = 6;
	assert_true(svr_route_change_valid(&ch));
	ch.len = 129;
	assert_false(svr_route_change_valid(&ch));
	ch.family = 5;
	ch.len = 0;
	assert_false(svr_route_change_valid(&ch));
	ch.op = SVR_ROUTE_SYNC_END;
	assert_true(svr_route_change_valid(&ch));
	ch.op = 0;
	assert_false(svr_route_change_valid(&ch));
	ch.op = 9;
	assert_false(svr_route_change_valid(&ch));
	free(r);
}

/* The instance's ring in shared memory: the first side creates it, the second attaches to the
 * same ring, a resync asked by the consumer is seen once by the producer. */
static void shared_memory(void **state)
{
	(void)state;
	char inst[32], err[128];
	snprintf(inst, sizeof(inst), "ut-routes-%d", (int)getpid());
	svr_route_shm_unlink(inst);
	struct svr_route_end cons, prod;
	assert_int_equal(svr_route_shm_open(&cons, inst, false, err, sizeof(err)), 0);
	assert_int_equal(svr_route_shm_open(&prod, inst, true, err, sizeof(err)), 0);
	assert_int_equal(cons.mask + 1, SVR_ROUTE_SHM_CAPACITY);
	struct svr_route_change c = change(7), out;
	snprintf(c.ifname, sizeof(c.ifname), "wan");
	assert_int_equal(svr_route_ring_put(&prod, &c, 1), 1);
	assert_int_equal(svr_route_ring_take(&cons, &out, 1), 1);
	assert_memory_equal(&c, &out, sizeof(c));

	uint64_t seen = 0;
	assert_false(svr_route_ring_resync_asked(&prod, &seen));
	svr_route_ring_ask_resync(&cons);
	assert_true(svr_route_ring_resync_asked(&prod, &seen));
	assert_false(svr_route_ring_resync_asked(&prod, &seen));

	/* a restarted consumer attaches where the first one stopped */
	svr_route_shm_close(&cons);
	assert_int_equal(svr_route_shm_open(&cons, inst, false, err, sizeof(err)), 0);
	assert_int_equal(svr_route_ring_take(&cons, &out, 1), 0);
	svr_route_shm_close(&cons);
	svr_route_shm_close(&prod);
	assert_int_equal(svr_route_shm_unlink(inst), 0);

	/* an object others may write (made by someone else first) is refused */
	char name[64];
	snprintf(name, sizeof(name), SVR_ROUTE_SHM_NAME_FMT, inst);
	int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)svr_route_ring_bytes(SVR_ROUTE_SHM_CAPACITY)), 0);
	assert_int_equal(fchmod(fd, 0666), 0);
	close(fd);
	assert_int_equal(svr_route_shm_open(&cons, inst, false, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "mode 666: refused"));
	assert_int_equal(svr_route_shm_unlink(inst), 0);
}

/* A producer and a consumer on two threads: every change arrives once, in order. */
#define THREADED_N 1000000u
static void *produce(void *arg)
{
	struct svr_route_end *p = arg;
	struct svr_route_change batch[37];
	for (uint32_t next = 0; next < THREADED_N;) {
		unsigned n = THREADED_N - next < 37 ? THREADED_N - next : 37;
		for (unsigned i = 0; i < n; i++)
			batch[i] = change(next + i);
		int put = svr_route_ring_put(p, batch, n);
		if (put < 0)
			abort();
		next += (uint32_t)put;
		if (!put)
			sched_yield();
	}
	return NULL;
}

static void two_threads(void **state)
{
	(void)state;
	struct svr_route_end p, c;
	struct svr_route_ring *r = ring_new(256, &p, &c);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, produce, &p), 0);
	struct svr_route_change out[64];
	uint32_t want = 0;
	while (want < THREADED_N) {
		int n = svr_route_ring_take(&c, out, 64);
		assert_true(n >= 0);
		for (int i = 0; i < n; i++) {
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
	assert_int_equal(svr_route_ring_take(&c, out, 64), 0);
	assert_int_equal(atomic_load(&r->head), THREADED_N);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(capacities),    cmocka_unit_test(order_full_and_wrap),
	    cmocka_unit_test(untrusted),     cmocka_unit_test(two_threads),
	    cmocka_unit_test(shared_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
