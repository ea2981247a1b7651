/* SPDX-License-Identifier: BSD-3-Clause */
/* Recording events (event.h): the main lcore's queue and the workers' rings. */
#include "core/event.h"

#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#include <rte_common.h>
#include <rte_cycles.h>

#include "common/evlog.h"
#include "common/log.h"
#include "common/tbucket.h"
#include "core/config.h"

_Static_assert((DP_EVENT_WORKER_RING & (DP_EVENT_WORKER_RING - 1)) == 0,
	       "the worker ring's size is a power of two");

/* One worker's side: written by that worker (head, bucket, suppressed), read by the main lcore
 * (tail written by it alone). The ring is a plain single-producer/single-consumer array. */
struct worker_events {
	struct svr_tbucket budget; /* tokens are records: "bytes" of a rate in records*8 bit/s */
	bool budget_set;
	_Atomic uint32_t head;
	_Atomic uint64_t suppressed;
	_Atomic uint32_t tail __rte_cache_aligned; /* the main lcore's line */
	struct dp_event_raw ring[DP_EVENT_WORKER_RING];
} __rte_cache_aligned;

static struct worker_events wev[DP_MAX_WORKERS];
static struct svr_evlog queue; /* main lcore only */
static char router[64];

void dp_event_set_router(const char *name)
{
	snprintf(router, sizeof(router), "%s", name ? name : "");
}

const char *dp_event_router(void)
{
	return router;
}

int64_t dp_event_unix_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

json_t *dp_event_new_at(int64_t unix_ms, const char *type)
{
	return svr_event_new(unix_ms, router, type);
}

json_t *dp_event_new(const char *type)
{
	return dp_event_new_at(dp_event_unix_ms(), type);
}

void dp_event_post(json_t *e)
{
	if (!e)
		return;
	if (!queue.ev && svr_evlog_init(&queue, DP_EVENT_QUEUE) < 0) {
		LOG_ERR("no memory for the event queue");
		json_decref(e);
		return;
	}
	svr_evlog_push(&queue, e);
}

json_t *dp_event_read(uint64_t after, unsigned max, uint64_t *lost, uint64_t *last)
{
	if (!queue.ev && svr_evlog_init(&queue, DP_EVENT_QUEUE) < 0)
		return NULL;
	return svr_evlog_read(&queue, after, max, lost, last);
}

uint64_t dp_event_last_seq(void)
{
	return queue.ev ? queue.next_seq - 1 : 0;
}

uint64_t dp_event_overwritten(void)
{
	return queue.overwritten;
}

/* The worker is the counter's only writer: no locked add. */
static void count_suppressed(struct worker_events *we)
{
	uint64_t n = atomic_load_explicit(&we->suppressed, memory_order_relaxed);
	atomic_store_explicit(&we->suppressed, n + 1, memory_order_relaxed);
}

bool dp_event_worker_admit(struct dp_worker *w)
{
	struct worker_events *we = &wev[w->index];
	uint64_t now = w->poll_tsc ? w->poll_tsc : rte_rdtsc();
	if (!we->budget_set) { /* the worker's first record: its own bucket, set by itself */
		svr_tbucket_init(&we->budget, DP_EVENT_WORKER_RATE * 8ull, DP_EVENT_WORKER_BURST,
				 rte_get_tsc_hz(), now);
		we->budget_set = true;
	}
	if (svr_tbucket_take(&we->budget, now, 1))
		return true;
	count_suppressed(we);
	return false;
}

void dp_event_worker_push(struct dp_worker *w, const struct dp_event_raw *r)
{
	struct worker_events *we = &wev[w->index];
	uint32_t head = atomic_load_explicit(&we->head, memory_order_relaxed);
	uint32_t tail = atomic_load_explicit(&we->tail, memory_order_acquire);
	if (head - tail >= DP_EVENT_WORKER_RING) {
		count_suppressed(we);
		return;
	}
	we->ring[head & (DP_EVENT_WORKER_RING - 1)] = *r;
	atomic_store_explicit(&we->head, head + 1, memory_order_release);
}

unsigned dp_event_worker_pop(unsigned i, struct dp_event_raw *out, unsigned max)
{
	if (i >= DP_MAX_WORKERS)
		return 0;
	struct worker_events *we = &wev[i];
	uint32_t tail = atomic_load_explicit(&we->tail, memory_order_relaxed);
	uint32_t head = atomic_load_explicit(&we->head, memory_order_acquire);
	unsigned n = 0;
	for (; tail != head && n < max; tail++, n++)
		out[n] = we->ring[tail & (DP_EVENT_WORKER_RING - 1)];
	atomic_store_explicit(&we->tail, tail, memory_order_release);
	return n;
}

uint64_t dp_event_suppressed(void)
{
	uint64_t n = 0;
	for (unsigned i = 0; i < DP_MAX_WORKERS; i++)
		n += atomic_load_explicit(&wev[i].suppressed, memory_order_relaxed);
	return n;
}
