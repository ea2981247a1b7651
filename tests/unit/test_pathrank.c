/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Path ranking for a service policy (src/common/pathrank.c): "never" excluded, unlisted vectors
 * after listed ones, unusable paths left out, ties by latency, the SLA filter with its
 * hysteresis (out above the limit, back only at <= 80 %), best effort on and off, two policies
 * taking two different paths, the disjoint second leg for duplication, and no usable path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/pathrank.h"

#define MS 1000u /* us */

/* A usable path: slot, cost, local interface, remote, loss (mpct), latency and jitter (ms). */
static struct svr_rank_path path(uint16_t slot, uint64_t cost, uint16_t iface, uint32_t remote,
				 uint32_t loss, uint32_t lat_ms, uint32_t jit_ms)
{
	return (struct svr_rank_path){.slot = slot,
				      .cost = cost,
				      .usable = true,
				      .q = {.loss_mpct = loss,
					    .latency_us = lat_ms * MS,
					    .jitter_us = jit_ms * MS,
					    .samples = 10},
				      .local_iface = iface,
				      .remote = remote};
}

static const struct svr_rank_sla voice = {.max_loss_mpct = 1000, /* 1 % */
					  .max_latency_us = 100 * MS,
					  .max_jitter_us = 30 * MS};

static void all_compliant(bool *c, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		c[i] = true;
}

static void never_excluded_unlisted_last(void **state)
{
	(void)state;
	struct svr_rank_path p[] = {
	    path(10, SVR_RANK_COST_UNLISTED, 0, 1, 0, 5, 0), /* not listed: after listed ones */
	    path(11, 50, 1, 2, 0, 40, 0),
	    path(12, SVR_RANK_COST_NEVER, 2, 3, 0, 1, 0), /* never: not even as a last resort */
	    path(13, 10, 3, 4, 0, 90, 0),
	};
	bool c[4];
	all_compliant(c, 4);
	struct svr_rank_result r;
	assert_int_equal(svr_rank(p, 4, NULL, false, false, c, &r), SVR_RANK_OK);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.n_compliant, 3);
	assert_int_equal(r.path[0], 13);
	assert_int_equal(r.path[1], 11);
	assert_int_equal(r.path[2], 10);
	assert_int_equal(r.path[3], SVR_RANK_NONE);
	assert_int_equal(r.dup, SVR_RANK_NONE); /* not asked for */
	/* a listed cost of UINT32_MAX - 1 still ranks before an unlisted vector */
	p[1].cost = UINT32_MAX - 1;
	svr_rank(p, 4, NULL, false, false, c, &r);
	assert_int_equal(r.path[1], 11);
	assert_int_equal(r.path[2], 10);
	/* only "never" paths: no path */
	p[0].cost = p[1].cost = p[3].cost = SVR_RANK_COST_NEVER;
	assert_int_equal(svr_rank(p, 4, NULL, true, false, c, &r), SVR_RANK_NO_PATH);
	assert_int_equal(r.n, 0);
	assert_int_equal(r.path[0], SVR_RANK_NONE);
}

static void unusable_and_ties(void **state)
{
	(void)state;
	struct svr_rank_path p[] = {
	    path(1, 10, 0, 1, 0, 30, 0),
	    path(2, 10, 1, 2, 0, 20, 0), /* same cost, lower latency: first */
	    path(3, 5, 2, 3, 0, 1, 0),   /* cheapest but down */
	    path(4, 10, 3, 4, 0, 20, 0), /* same cost and latency as 2: input order */
	};
	p[2].usable = false;
	bool c[4];
	all_compliant(c, 4);
	struct svr_rank_result r;
	assert_int_equal(svr_rank(p, 4, &voice, false, false, c, &r), SVR_RANK_OK);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.path[0], 2);
	assert_int_equal(r.path[1], 4);
	assert_int_equal(r.path[2], 1);
	/* every path down: no path, whatever best effort says */
	for (int i = 0; i < 4; i++)
		p[i].usable = false;
	assert_int_equal(svr_rank(p, 4, &voice, true, true, c, &r), SVR_RANK_NO_PATH);
	assert_int_equal(r.n, 0);
	assert_int_equal(r.dup, SVR_RANK_NONE);
	assert_int_equal(svr_rank(p, 0, &voice, true, true, c, &r), SVR_RANK_NO_PATH);
}

static void sla_filter_and_best_effort(void **state)
{
	(void)state;
	struct svr_rank_path p[] = {
	    path(1, 10, 0, 1, 5000, 20, 2), /* cheap, 5 % loss */
	    path(2, 20, 1, 2, 0, 150, 2),   /* 150 ms */
	    path(3, 30, 2, 3, 0, 20, 2),    /* good but dearest */
	};
	bool c[3];
	all_compliant(c, 3);
	struct svr_rank_result r;
	assert_int_equal(svr_rank(p, 3, &voice, false, false, c, &r), SVR_RANK_OK);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.n_compliant, 1);
	assert_int_equal(r.path[0], 3); /* the compliant one first, */
	assert_int_equal(r.path[1], 1); /* then the others by cost */
	assert_int_equal(r.path[2], 2);
	assert_false(c[0]);
	assert_false(c[1]);
	assert_true(c[2]);
	/* jitter alone breaks it too */
	p[2].q.jitter_us = 31 * MS;
	assert_int_equal(svr_rank(p, 3, &voice, false, false, c, &r), SVR_RANK_REFUSE);
	assert_int_equal(r.n_compliant, 0);
	assert_int_equal(r.path[0], 1); /* shown, not to be used */
	all_compliant(c, 3);
	assert_int_equal(svr_rank(p, 3, &voice, true, false, c, &r), SVR_RANK_BEST_EFFORT);
	assert_int_equal(r.path[0], 1); /* the best non-compliant: lowest cost */
	/* no SLA (or no limits): all compliant, cost order */
	struct svr_rank_sla none = {SVR_RANK_NO_LIMIT, SVR_RANK_NO_LIMIT, SVR_RANK_NO_LIMIT};
	all_compliant(c, 3);
	assert_int_equal(svr_rank(p, 3, &none, false, false, c, &r), SVR_RANK_OK);
	assert_int_equal(r.n_compliant, 3);
	assert_int_equal(r.path[0], 1);
	/* exactly at the limit is compliant; a path without delay samples is judged on loss */
	struct svr_quality q = {
	    .loss_mpct = 1000, .latency_us = 100 * MS, .jitter_us = 30 * MS, .samples = 1};
	assert_true(svr_rank_compliant(&q, &voice, true));
	q = (struct svr_quality){.latency_us = 500 * MS, .jitter_us = 90 * MS, .samples = 0};
	assert_true(svr_rank_compliant(&q, &voice, false));
	q.loss_mpct = 900; /* above 80 % of the loss limit: stays out */
	assert_false(svr_rank_compliant(&q, &voice, false));
}

static void sla_hysteresis(void **state)
{
	(void)state;
	struct svr_rank_path p[] = {path(1, 10, 0, 1, 0, 90, 0), path(2, 20, 1, 2, 0, 50, 0)};
	bool c[2];
	all_compliant(c, 2);
	struct svr_rank_result r;
	svr_rank(p, 2, &voice, false, false, c, &r);
	assert_int_equal(r.path[0], 1);
	p[0].q.latency_us = 100 * MS; /* at the limit: still compliant */
	svr_rank(p, 2, &voice, false, false, c, &r);
	assert_int_equal(r.path[0], 1);
	p[0].q.latency_us = 100 * MS + 1; /* above: out */
	svr_rank(p, 2, &voice, false, false, c, &r);
	assert_false(c[0]);
	assert_int_equal(r.path[0], 2);
	/* back under the limit but above 80 %: stays out */
	for (uint32_t lat = 99; lat > 80; lat -= 6) {
		p[0].q.latency_us = lat * MS;
		svr_rank(p, 2, &voice, false, false, c, &r);
		assert_false(c[0]);
		assert_int_equal(r.path[0], 2);
	}
	p[0].q.latency_us = 80 * MS + 1;
	svr_rank(p, 2, &voice, false, false, c, &r);
	assert_false(c[0]);
	/* latency at 80 % but loss just above 80 % of its limit: still out */
	p[0].q.latency_us = 80 * MS;
	p[0].q.loss_mpct = 801;
	svr_rank(p, 2, &voice, false, false, c, &r);
	assert_false(c[0]);
	assert_int_equal(r.path[0], 2);
	/* loss at 80 % too, jitter under its limit but above 80 % of it: still out */
	p[0].q.loss_mpct = 800;
	p[0].q.jitter_us = 25 * MS;
	svr_rank(p, 2, &voice, false, false, c, &r);
	assert_false(c[0]);
	assert_int_equal(r.path[0], 2);
	/* every measure at <= 80 %: back, first again */
	p[0].q.jitter_us = 24 * MS;
	svr_rank(p, 2, &voice, false, false, c, &r);
	assert_true(c[0]);
	assert_int_equal(r.path[0], 1);
	/* and compliant stays compliant up to the limit */
	p[0].q.latency_us = 99 * MS;
	svr_rank(p, 2, &voice, false, false, c, &r);
	assert_true(c[0]);
	assert_int_equal(r.path[0], 1);
}

/* Two services to the same peer take different paths: by vector costs, and by SLA. */
static void two_policies_two_paths(void **state)
{
	(void)state;
	struct svr_rank_path bulk[] = {path(1, 10, 0, 1, 0, 200, 0), path(2, 100, 1, 2, 0, 20, 0)};
	struct svr_rank_path voip[] = {path(1, 100, 0, 1, 0, 200, 0), path(2, 10, 1, 2, 0, 20, 0)};
	bool cb[2], cv[2];
	all_compliant(cb, 2);
	all_compliant(cv, 2);
	struct svr_rank_result rb, rv;
	svr_rank(bulk, 2, NULL, false, false, cb, &rb);
	svr_rank(voip, 2, NULL, false, false, cv, &rv);
	assert_int_equal(rb.path[0], 1);
	assert_int_equal(rv.path[0], 2);
	/* same costs, but voice has an SLA the cheap satellite-like path breaks */
	voip[0].cost = 10, voip[1].cost = 100;
	all_compliant(cv, 2);
	assert_int_equal(svr_rank(voip, 2, &voice, false, false, cv, &rv), SVR_RANK_OK);
	assert_int_equal(rv.path[0], 2);
	assert_int_equal(rb.path[0], 1);
}

static void duplicate_disjoint(void **state)
{
	(void)state;
	struct svr_rank_path p[] = {
	    path(1, 10, 0, 100, 0, 20, 0), path(2, 20, 0, 200, 0, 20, 0), /* same interface */
	    path(3, 30, 1, 100, 0, 20, 0),                                /* same remote */
	    path(4, 40, 1, 200, 0, 20, 0),                                /* disjoint */
	    path(5, 50, 2, 300, 0, 20, 0),                                /* disjoint, dearer */
	    path(6, 45, 0, 100, 0, 20, 0),                                /* neither */
	};
	bool c[6];
	all_compliant(c, 6);
	struct svr_rank_result r;
	assert_int_equal(svr_rank(p, 6, NULL, false, true, c, &r), SVR_RANK_OK);
	assert_int_equal(r.path[0], 1);
	assert_int_equal(r.dup, 4);
	/* the disjoint leg may lie beyond the four ranked paths returned */
	p[3].usable = false;
	svr_rank(p, 6, NULL, false, true, c, &r);
	assert_int_equal(r.n, 4);
	assert_int_equal(r.path[3], 6);
	assert_int_equal(r.dup, 5);
	/* no disjoint pair: none */
	p[4].usable = false;
	svr_rank(p, 6, NULL, false, true, c, &r);
	assert_int_equal(r.path[0], 1);
	assert_int_equal(r.dup, SVR_RANK_NONE);
	/* a single path: none */
	svr_rank(p, 1, NULL, false, true, c, &r);
	assert_int_equal(r.dup, SVR_RANK_NONE);
	/* refused: no legs at all; best effort: a second leg still */
	struct svr_rank_path q[] = {path(1, 10, 0, 100, 9000, 20, 0),
				    path(2, 20, 1, 200, 9000, 20, 0)};
	bool cq[2];
	all_compliant(cq, 2);
	assert_int_equal(svr_rank(q, 2, &voice, false, true, cq, &r), SVR_RANK_REFUSE);
	assert_int_equal(r.dup, SVR_RANK_NONE);
	assert_int_equal(svr_rank(q, 2, &voice, true, true, cq, &r), SVR_RANK_BEST_EFFORT);
	assert_int_equal(r.path[0], 1);
	assert_int_equal(r.dup, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(never_excluded_unlisted_last), cmocka_unit_test(unusable_and_ties),
	    cmocka_unit_test(sla_filter_and_best_effort),   cmocka_unit_test(sla_hysteresis),
	    cmocka_unit_test(two_policies_two_paths),       cmocka_unit_test(duplicate_disjoint),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
