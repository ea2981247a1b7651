/* SPDX-License-Identifier: BSD-3-Clause */
/* Ranking of candidate peer paths for one service policy (src/common/pathrank.h). */
#include "common/pathrank.h"

#include <string.h>

/* value over limit (breaks the SLA) */
static bool over(uint32_t value, uint32_t limit)
{
	return limit != SVR_RANK_NO_LIMIT && value > limit;
}

/* value <= 80 % of limit (good enough to come back) */
static bool well_within(uint32_t value, uint32_t limit)
{
	return limit == SVR_RANK_NO_LIMIT ||
	       (uint64_t)value * 100 <= (uint64_t)limit * SVR_RANK_REENTER_PCT;
}

bool svr_rank_compliant(const struct svr_quality *q, const struct svr_rank_sla *sla, bool was)
{
	if (!sla)
		return true;
	bool timed = q->samples > 0; /* latency and jitter known */
	if (was)
		return !(over(q->loss_mpct, sla->max_loss_mpct) ||
			 (timed && (over(q->latency_us, sla->max_latency_us) ||
				    over(q->jitter_us, sla->max_jitter_us))));
	return well_within(q->loss_mpct, sla->max_loss_mpct) &&
	       (!timed || (well_within(q->latency_us, sla->max_latency_us) &&
			   well_within(q->jitter_us, sla->max_jitter_us)));
}

/* a ranks before b: compliant first, then lower cost, then lower latency, then input order */
static bool before(const struct svr_rank_path *p, const bool *ok, unsigned a, unsigned b)
{
	if (ok[a] != ok[b])
		return ok[a];
	if (p[a].cost != p[b].cost)
		return p[a].cost < p[b].cost;
	if (p[a].q.latency_us != p[b].q.latency_us)
		return p[a].q.latency_us < p[b].q.latency_us;
	return a < b;
}

/* The eligible paths' indexes in rank order; returns how many. */
static unsigned order(const struct svr_rank_path *p, unsigned n, const bool *ok,
		      unsigned idx[SVR_RANK_MAX_PATHS])
{
	unsigned m = 0;
	for (unsigned i = 0; i < n; i++) {
		if (!p[i].usable || p[i].cost == SVR_RANK_COST_NEVER)
			continue;
		unsigned j = m++; /* insertion sort: a handful of paths per peer */
		for (; j > 0 && before(p, ok, i, idx[j - 1]); j--)
			idx[j] = idx[j - 1];
		idx[j] = i;
	}
	return m;
}

/* The best-ranked path disjoint from idx[0]: other local interface and other remote. */
static uint16_t disjoint(const struct svr_rank_path *p, const unsigned *idx, unsigned m)
{
	const struct svr_rank_path *first = &p[idx[0]];
	for (unsigned k = 1; k < m; k++) {
		const struct svr_rank_path *c = &p[idx[k]];
		if (c->local_iface != first->local_iface && c->remote != first->remote)
			return c->slot;
	}
	return SVR_RANK_NONE;
}

enum svr_rank_verdict svr_rank(const struct svr_rank_path *p, unsigned n,
			       const struct svr_rank_sla *sla, bool best_effort, bool duplicate,
			       bool *compliant, struct svr_rank_result *out)
{
	if (n > SVR_RANK_MAX_PATHS)
		n = SVR_RANK_MAX_PATHS;
	for (unsigned i = 0; i < n; i++)
		compliant[i] = svr_rank_compliant(&p[i].q, sla, compliant[i]);
	unsigned idx[SVR_RANK_MAX_PATHS];
	unsigned m = order(p, n, compliant, idx);

	memset(out, 0, sizeof(*out));
	for (unsigned k = 0; k < SVR_RANK_MAX_OUT; k++)
		out->path[k] = k < m ? p[idx[k]].slot : SVR_RANK_NONE;
	out->n = (uint8_t)(m < SVR_RANK_MAX_OUT ? m : SVR_RANK_MAX_OUT);
	for (unsigned k = 0; k < out->n && compliant[idx[k]]; k++)
		out->n_compliant++;
	out->dup = SVR_RANK_NONE;
	if (m == 0)
		out->verdict = SVR_RANK_NO_PATH;
	else if (out->n_compliant)
		out->verdict = SVR_RANK_OK;
	else
		out->verdict = best_effort ? SVR_RANK_BEST_EFFORT : SVR_RANK_REFUSE;
	if (duplicate && (out->verdict == SVR_RANK_OK || out->verdict == SVR_RANK_BEST_EFFORT))
		out->dup = disjoint(p, idx, m);
	return (enum svr_rank_verdict)out->verdict;
}
