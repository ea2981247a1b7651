/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The audit log's writer (audit.h). Refused attempts are capped so that a flood of them (a
 * scanner, a router with a revoked credential retrying) neither grows the log without bound nor
 * makes every request a store write: per client address, the first CD_AUDIT_REFUSED_PER_ADDR of
 * a minute are written and the rest counted, then summarised in one entry when the minute ends;
 * from all addresses together at most CD_AUDIT_REFUSED_ALL a minute, the rest counted in one
 * summary too. Addresses are tracked in a fixed table: an address pushed out of it while it had
 * attempts counted hands them to the all-addresses summary.
 *
 * Threads: the server's threads call cd_audit_request, the main thread cd_audit_tick; the table
 * is under a mutex, and the store is called outside it.
 */
#include "audit.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "common/hex.h"
#include "common/log.h"
#include "conductor.h"

#define ADDRS          256
#define PRUNE_EVERY_MS 60000
#define DETAIL_MAX     512

/* What a summary says of the attempts it counts: the last one's method, path and status. */
struct counted {
	unsigned n;
	char method[16], path[256];
	unsigned status;
};

/* One address's minute. */
struct addr_window {
	char addr[64];
	int64_t start; /* cd_mono_ms() when its minute began; 0: a free slot */
	unsigned written;
	struct counted over;
};

static struct {
	pthread_mutex_t lock;
	struct addr_window addrs[ADDRS];
	int64_t all_start;    /* the all-addresses minute */
	unsigned all_written; /* refused entries and summaries written in it */
	struct counted all_over;
	int64_t pruned_at;
} audit = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* A summary to write once the lock is released. */
struct summary {
	char from[64];
	struct counted c;
};

bool cd_audit_wanted(const struct cd_audit_request *r)
{
	bool read = strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0;
	bool refused = r->status == 401 || r->status == 403 || r->status == 429;
	return (r->operator_request && !read && r->status) || (r->api && refused);
}

static void count(struct counted *c, const struct cd_audit_request *r)
{
	c->n++; /* the client's method and path: made valid UTF-8 without controls, as entries */
	svr_log_safe(c->method, sizeof(c->method), r->method);
	svr_log_safe(c->path, sizeof(c->path), r->path);
	c->status = r->status;
}

/* Adds what from counted to into: the all-addresses summary takes an address's. */
static void merge(struct counted *into, const struct counted *from)
{
	unsigned n = into->n + from->n;
	*into = *from;
	into->n = n;
}

/* Caller holds the lock. An address's counted attempts become a summary to write when the
 * minute's budget allows, else they join the all-addresses summary. */
static void close_addr(struct addr_window *w, struct summary *out, unsigned *nout)
{
	if (w->over.n && audit.all_written < CD_AUDIT_REFUSED_ALL) {
		audit.all_written++;
		snprintf(out[*nout].from, sizeof(out[*nout].from), "%s", w->addr);
		out[(*nout)++].c = w->over;
	} else if (w->over.n) {
		merge(&audit.all_over, &w->over);
	}
	memset(&w->over, 0, sizeof(w->over));
}

/* Caller holds the lock. Ends the all-addresses minute when it has passed. */
static void roll_all(int64_t now, struct summary *out, unsigned *nout)
{
	if (audit.all_start && now - audit.all_start < CD_AUDIT_WINDOW_MS)
		return;
	if (audit.all_over.n) {
		out[*nout].from[0] = '\0';
		out[(*nout)++].c = audit.all_over;
	}
	memset(&audit.all_over, 0, sizeof(audit.all_over));
	audit.all_start = now;
	audit.all_written = 0;
}

/* Caller holds the lock. addr's window (a free slot, or the stalest one, when it has none). */
static struct addr_window *window_of(const char *addr, int64_t now)
{
	struct addr_window *stalest = &audit.addrs[0];
	for (size_t i = 0; i < ADDRS; i++) {
		struct addr_window *w = &audit.addrs[i];
		if (w->start && strcmp(w->addr, addr) == 0)
			return w;
		if (!w->start || (stalest->start && w->start < stalest->start))
			stalest = w;
	}
	if (stalest->over.n) /* pushed out: its count goes on, in the all-addresses summary */
		merge(&audit.all_over, &stalest->over);
	memset(stalest, 0, sizeof(*stalest));
	snprintf(stalest->addr, sizeof(stalest->addr), "%s", addr);
	stalest->start = now;
	return stalest;
}

static void write_entry(struct conductor *c, const struct svr_store_audit *e)
{
	char err[256];
	if (svr_store_audit_add(c->store, e, NULL, err, sizeof(err)) < 0)
		LOG_ERR("audit: cannot write the entry of %s %s %u from %s: %s", e->method, e->path,
			e->status, e->peer, err);
}

static void write_summaries(struct conductor *c, const struct summary *s, unsigned n, int64_t wall)
{
	for (unsigned i = 0; i < n; i++) {
		char detail[DETAIL_MAX];
		if (s[i].from[0])
			snprintf(detail, sizeof(detail), "and %u more refused from %s", s[i].c.n,
				 s[i].from);
		else
			snprintf(detail, sizeof(detail),
				 "and %u more refused from several addresses (over the log's caps)",
				 s[i].c.n);
		struct svr_store_audit e = {.at_ms = wall,
					    .peer = s[i].from,
					    .method = s[i].c.method,
					    .path = s[i].c.path,
					    .status = s[i].c.status,
					    .action = "refused-more",
					    .detail = detail};
		write_entry(c, &e);
	}
}

/* Whether a refused attempt is written now (else it was counted); out gets the summaries of
 * minutes that ended. */
static bool admit_refusal(const struct cd_audit_request *r, int64_t now, struct summary *out,
			  unsigned *nout)
{
	pthread_mutex_lock(&audit.lock);
	roll_all(now, out, nout);
	struct addr_window *w = window_of(r->peer, now);
	if (now - w->start >= CD_AUDIT_WINDOW_MS) {
		close_addr(w, out, nout);
		w->start = now;
		w->written = 0;
	}
	bool write = false;
	if (w->written >= CD_AUDIT_REFUSED_PER_ADDR) {
		count(&w->over, r);
	} else if (audit.all_written >= CD_AUDIT_REFUSED_ALL) {
		count(&audit.all_over, r);
	} else {
		w->written++;
		audit.all_written++;
		write = true;
	}
	pthread_mutex_unlock(&audit.lock);
	return write;
}

void cd_audit_request(struct conductor *c, const struct cd_audit_request *r, int64_t mono,
		      int64_t wall)
{
	if (!cd_audit_wanted(r))
		return;
	bool refused = r->status == 401 || r->status == 403 || r->status == 429;
	struct summary sums[2] = {0}; /* a minute ending for all, and for this address */
	unsigned nsums = 0;
	bool write = !refused || admit_refusal(r, mono, sums, &nsums);
	write_summaries(c, sums, nsums, wall);
	if (!write)
		return;
	/* The action when the route names none: "read" for GET, else the method in lower case. */
	char action[16];
	if (!r->action) {
		bool read = strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0;
		snprintf(action, sizeof(action), "%s", read ? "read" : r->method);
		for (char *p = action; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	/* The client's method and path (MHD decodes "%0a", "%ff"): entries are JSON text. */
	char method[16], path[256];
	struct svr_store_audit e = {.at_ms = wall,
				    .who = r->who,
				    .role = r->role,
				    .peer = r->peer,
				    .method = svr_log_safe(method, sizeof(method), r->method),
				    .path = svr_log_safe(path, sizeof(path), r->path),
				    .status = r->status,
				    .action = r->action ? r->action : action,
				    .detail = r->detail};
	write_entry(c, &e);
}

void cd_audit_tick(struct conductor *c, int64_t mono, int64_t wall)
{
	int64_t now = mono;
	struct summary sums[ADDRS + 1];
	unsigned nsums = 0;
	pthread_mutex_lock(&audit.lock);
	for (size_t i = 0; i < ADDRS; i++) {
		struct addr_window *w = &audit.addrs[i];
		if (w->start && now - w->start >= CD_AUDIT_WINDOW_MS) {
			close_addr(w, sums, &nsums);
			w->start = 0; /* free again */
		}
	}
	roll_all(now, sums, &nsums);
	bool prune = !audit.pruned_at || now - audit.pruned_at >= PRUNE_EVERY_MS;
	if (prune)
		audit.pruned_at = now;
	pthread_mutex_unlock(&audit.lock);
	write_summaries(c, sums, nsums, wall);
	if (!prune)
		return;
	char err[256];
	int64_t deleted = 0;
	if (svr_store_audit_prune(c->store, CD_AUDIT_KEEP, &deleted, err, sizeof(err)) < 0)
		LOG_ERR("audit: cannot prune the log: %s", err);
	else if (deleted)
		LOG_INFO("audit: %lld oldest entries deleted (the log keeps %d)",
			 (long long)deleted, CD_AUDIT_KEEP);
}
