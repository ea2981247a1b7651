/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The audit log's writer (audit.h).
 *
 * Caps. Refused attempts are capped so that a flood of them (a scanner, a router with a revoked
 * credential retrying) neither grows the log without bound nor fills the writer's queue. Those
 * without a valid credential (401, a refused enrolment) are counted per client address (an IPv6
 * client by its /64, as it may pick any address in it): the first CD_AUDIT_REFUSED_PER_ADDR of
 * its minute are written and the rest counted, then summarised in one entry when the minute
 * ends; from all addresses together at most CD_AUDIT_REFUSED_ALL a minute, the rest counted in
 * one summary too. Addresses are tracked in a fixed table: when it is full the least recently
 * seen one is pushed out, its count summarised (or handed to the all-addresses summary). A known
 * operator's refusals (403: it had to present a valid token) are counted apart, per operator,
 * with a cap of their own and a summary carrying its name and role: no flood of anyone else's
 * takes its entries' place, and its own flood cannot hide among anonymous ones.
 *
 * Writing. Entries (a change, a refusal, a summary) are queued in memory in the order they are
 * decided and written by the writer thread, so that no HTTP thread waits for the store (an
 * fsync, a PostgreSQL round trip, GET /export holding the store's mutex). A full queue counts
 * what it cannot take, and one entry says how many were lost.
 *
 * Threads: the server's threads call cd_audit_request, the main thread cd_audit_tick and
 * start/stop; the tables and the queue are under audit.lock, and the store is called outside
 * it, by one drainer at a time (drain_lock: the entries keep their order).
 */
#include "audit.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "conductor.h"

#define ADDRS          256
#define OPERATORS      64 /* more than a startup file may name */
#define PRUNE_EVERY_MS 60000
#define DETAIL_MAX     512
#define PEER_MAX       64

/* What a summary says of the attempts it counts: the last one's address, method, path and
 * status. */
struct counted {
	unsigned n;
	char peer[PEER_MAX], method[16], path[256];
	unsigned status;
};

/* One client address's (or /64's), or one operator's, minute. */
struct window {
	char key[CD_NAME_MAX]; /* the address, or the operator's name */
	char role[16];         /* an operator's */
	int64_t start;         /* cd_mono_ms() when its minute began; 0: a free slot */
	int64_t seen;          /* its last refusal: the least recently seen is pushed out */
	unsigned written;
	struct counted over;
};

/* One entry waiting for the writer. */
struct entry {
	int64_t at_ms;
	unsigned status;
	char who[CD_NAME_MAX], role[16], peer[PEER_MAX], method[16], path[256], action[32],
	    detail[DETAIL_MAX];
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake; /* the writer: an entry queued, or stop */
	struct window addrs[ADDRS], ops[OPERATORS];
	int64_t all_start;    /* the all-addresses minute */
	unsigned all_written; /* refused entries and summaries written in it */
	struct counted all_over;
	struct entry queue[CD_AUDIT_QUEUE];
	size_t head, n;
	unsigned lost; /* entries the full queue could not take, since lost_at */
	int64_t lost_at;
	int64_t pruned_at;
	bool stopping, started;
	pthread_t thread;
} audit = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static pthread_mutex_t drain_lock = PTHREAD_MUTEX_INITIALIZER;

static bool is_read(const char *method)
{
	return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

static bool is_refusal(unsigned status)
{
	return status == 401 || status == 403 || status == 429;
}

bool cd_audit_wanted(const struct cd_audit_request *r)
{
	return (r->operator_ok && !is_read(r->method) && r->status) ||
	       (r->api && is_refusal(r->status)) ||
	       (r->audit_success && r->status >= 200 && r->status < 300);
}

/* The client's text (MHD decodes "%20", "%e2%80%ae"): every byte outside [A-Za-z0-9._~/-]
 * percent-encoded, so that no space, control or bidirectional mark makes an entry read as
 * something else. Cut at a whole character when it does not fit. */
static const char *encode(char *dst, size_t len, const char *src)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)src; *p; p++) {
		bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			     (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '~' ||
			     *p == '/' || *p == '-';
		if (o + (plain ? 1 : 3) >= len)
			break;
		if (plain) {
			dst[o++] = (char)*p;
		} else {
			dst[o++] = '%';
			dst[o++] = hex[*p >> 4];
			dst[o++] = hex[*p & 15];
		}
	}
	dst[o] = '\0';
	return dst;
}

/* The key an address is counted under: an IPv6 address's /64 ("2001:db8:1:2::/64"), an IPv4
 * one (or one mapped into IPv6) whole. */
static void addr_key(const char *peer, char *key, size_t len)
{
	struct in6_addr a;
	char s[INET6_ADDRSTRLEN];
	if (inet_pton(AF_INET6, peer, &a) == 1 && !IN6_IS_ADDR_V4MAPPED(&a)) {
		memset(a.s6_addr + 8, 0, 8);
		if (inet_ntop(AF_INET6, &a, s, sizeof(s))) {
			snprintf(key, len, "%s/64", s);
			return;
		}
	}
	snprintf(key, len, "%s", peer);
}

/* ------------------------------------------------------------------ queue -- */

static void lost_entry(struct entry *e)
{
	memset(e, 0, sizeof(*e));
	e->at_ms = audit.lost_at;
	snprintf(e->action, sizeof(e->action), "lost");
	snprintf(e->detail, sizeof(e->detail),
		 "and %u more entries lost: the log's queue was full (the store too slow)",
		 audit.lost);
	audit.lost = 0;
}

/* Caller holds the lock. */
static void push(const struct entry *e)
{
	if (audit.lost && audit.n + 2 <= CD_AUDIT_QUEUE) { /* first, what was lost before e */
		lost_entry(&audit.queue[(audit.head + audit.n) % CD_AUDIT_QUEUE]);
		audit.n++;
	}
	if (audit.n == CD_AUDIT_QUEUE) {
		if (!audit.lost++)
			audit.lost_at = e->at_ms;
		return;
	}
	audit.queue[(audit.head + audit.n) % CD_AUDIT_QUEUE] = *e;
	audit.n++;
	pthread_cond_signal(&audit.wake);
}

/* Caller holds the lock. The summary of c: from an address (peer ""; from "" too: from several
 * addresses), or from an operator (who). */
static void push_summary(const struct counted *c, const char *from, const char *who,
			 const char *role, int64_t wall)
{
	struct entry e = {.at_ms = wall, .status = c->status};
	if (*who)
		snprintf(e.detail, sizeof(e.detail),
			 "and %u more refused from operator %s (over its cap of %d a minute)", c->n,
			 who, CD_AUDIT_REFUSED_PER_OPERATOR);
	else if (*from)
		snprintf(e.detail, sizeof(e.detail), "and %u more refused from %s", c->n, from);
	else
		snprintf(e.detail, sizeof(e.detail),
			 "and %u more refused from several addresses (over the log's caps)", c->n);
	snprintf(e.who, sizeof(e.who), "%s", who);
	snprintf(e.role, sizeof(e.role), "%s", role);
	snprintf(e.peer, sizeof(e.peer), "%s", *who ? c->peer : from);
	snprintf(e.method, sizeof(e.method), "%s", c->method);
	snprintf(e.path, sizeof(e.path), "%s", c->path);
	snprintf(e.action, sizeof(e.action), "refused-more");
	push(&e);
}

/* ---------------------------------------------------------------- windows -- */

static void count(struct counted *c, const struct cd_audit_request *r)
{
	c->n++;
	snprintf(c->peer, sizeof(c->peer), "%s", r->peer);
	encode(c->method, sizeof(c->method), r->method);
	encode(c->path, sizeof(c->path), r->path);
	c->status = r->status;
}

/* Adds what from counted to into: the all-addresses summary takes an address's. */
static void merge(struct counted *into, const struct counted *from)
{
	unsigned n = into->n + from->n;
	*into = *from;
	into->n = n;
}

/* Caller holds the lock. An address's counted attempts become a summary when the minute's
 * budget allows, else they join the all-addresses summary. */
static void close_addr(struct window *w, int64_t wall)
{
	if (w->over.n && audit.all_written < CD_AUDIT_REFUSED_ALL) {
		audit.all_written++;
		push_summary(&w->over, w->key, "", "", wall);
	} else if (w->over.n) {
		merge(&audit.all_over, &w->over);
	}
	memset(&w->over, 0, sizeof(w->over));
}

/* Caller holds the lock. An operator's counted refusals: always summarised (operators are
 * few). */
static void close_op(struct window *w, int64_t wall)
{
	if (w->over.n)
		push_summary(&w->over, "", w->key, w->role, wall);
	memset(&w->over, 0, sizeof(w->over));
}

/* Caller holds the lock. Ends the all-addresses minute when it has passed (or force). */
static void roll_all(int64_t now, int64_t wall, bool force)
{
	if (!force && audit.all_start && now - audit.all_start < CD_AUDIT_WINDOW_MS)
		return;
	if (audit.all_over.n)
		push_summary(&audit.all_over, "", "", "", wall);
	memset(&audit.all_over, 0, sizeof(audit.all_over));
	audit.all_start = now;
	audit.all_written = 0;
}

/* Caller holds the lock. Closes the windows whose minute ended (or all of them: force). */
static void close_windows(struct window *t, size_t n, void (*close)(struct window *, int64_t),
			  int64_t now, int64_t wall, bool force)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].start && (force || now - t[i].start >= CD_AUDIT_WINDOW_MS)) {
			close(&t[i], wall);
			t[i].start = 0; /* free again */
		}
}

/* Caller holds the lock. key's window in t, its minute current: a free slot, or the least
 * recently seen one pushed out (closed), when it has none. */
static struct window *window_of(struct window *t, size_t n, const char *key, const char *role,
				void (*close)(struct window *, int64_t), int64_t now, int64_t wall)
{
	struct window *w = NULL, *stalest = &t[0];
	for (size_t i = 0; i < n && !w; i++) {
		if (t[i].start && strcmp(t[i].key, key) == 0)
			w = &t[i];
		else if (!t[i].start || (stalest->start && t[i].seen < stalest->seen))
			stalest = &t[i];
	}
	if (w && now - w->start >= CD_AUDIT_WINDOW_MS) { /* its minute ended: a new one */
		close(w, wall);
		w->start = now;
		w->written = 0;
	}
	if (!w) {
		if (stalest->start)
			close(stalest, wall);
		w = stalest;
		memset(w, 0, sizeof(*w));
		snprintf(w->key, sizeof(w->key), "%s", key);
		snprintf(w->role, sizeof(w->role), "%s", role);
		w->start = now;
	}
	w->seen = now;
	return w;
}

/* Caller holds the lock. Whether a refused attempt is written (else it was counted). */
static bool admit_refusal(const struct cd_audit_request *r, int64_t now, int64_t wall)
{
	roll_all(now, wall, false);
	if (r->operator_ok) {
		struct window *w =
		    window_of(audit.ops, OPERATORS, r->who, r->role, close_op, now, wall);
		if (w->written >= CD_AUDIT_REFUSED_PER_OPERATOR) {
			count(&w->over, r);
			return false;
		}
		w->written++;
		return true;
	}
	char key[PEER_MAX];
	addr_key(r->peer, key, sizeof(key));
	struct window *w = window_of(audit.addrs, ADDRS, key, "", close_addr, now, wall);
	if (w->written >= CD_AUDIT_REFUSED_PER_ADDR) {
		count(&w->over, r);
		return false;
	}
	if (audit.all_written >= CD_AUDIT_REFUSED_ALL) {
		count(&audit.all_over, r);
		return false;
	}
	w->written++;
	audit.all_written++;
	return true;
}

/* ---------------------------------------------------------------- entries -- */

void cd_audit_request(struct conductor *c, const struct cd_audit_request *r, int64_t mono,
		      int64_t wall)
{
	(void)c;
	if (!cd_audit_wanted(r))
		return;
	struct entry e = {.at_ms = wall, .status = r->status};
	snprintf(e.who, sizeof(e.who), "%s", r->who);
	snprintf(e.role, sizeof(e.role), "%s", r->role);
	snprintf(e.peer, sizeof(e.peer), "%s", r->peer);
	encode(e.method, sizeof(e.method), r->method);
	encode(e.path, sizeof(e.path), r->path);
	snprintf(e.detail, sizeof(e.detail), "%s", r->detail ? r->detail : "");
	/* The action when the route names none: "read" for GET, else the method in lower case. */
	if (r->action)
		snprintf(e.action, sizeof(e.action), "%s", r->action);
	else if (is_read(r->method))
		snprintf(e.action, sizeof(e.action), "read");
	else
		for (size_t i = 0; e.method[i] && i + 1 < sizeof(e.action); i++)
			e.action[i] = (char)(e.method[i] >= 'A' && e.method[i] <= 'Z'
						 ? e.method[i] - 'A' + 'a'
						 : e.method[i]);
	pthread_mutex_lock(&audit.lock);
	if (!is_refusal(r->status) || admit_refusal(r, mono, wall))
		push(&e);
	pthread_mutex_unlock(&audit.lock);
}

void cd_audit_tick(struct conductor *c, int64_t mono, int64_t wall)
{
	pthread_mutex_lock(&audit.lock);
	close_windows(audit.addrs, ADDRS, close_addr, mono, wall, false);
	close_windows(audit.ops, OPERATORS, close_op, mono, wall, false);
	roll_all(mono, wall, false);
	bool prune = !audit.pruned_at || mono - audit.pruned_at >= PRUNE_EVERY_MS;
	if (prune)
		audit.pruned_at = mono;
	pthread_mutex_unlock(&audit.lock);
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

/* ----------------------------------------------------------------- writer -- */

void cd_audit_flush(struct conductor *c)
{
	static struct entry e; /* under drain_lock */
	pthread_mutex_lock(&drain_lock);
	for (;;) {
		pthread_mutex_lock(&audit.lock);
		bool got = audit.n || audit.lost;
		if (audit.n) {
			e = audit.queue[audit.head];
			audit.head = (audit.head + 1) % CD_AUDIT_QUEUE;
			audit.n--;
		} else if (audit.lost) {
			lost_entry(&e);
		}
		pthread_mutex_unlock(&audit.lock);
		if (!got)
			break;
		char err[256];
		struct svr_store_audit s = {.at_ms = e.at_ms,
					    .who = e.who,
					    .role = e.role,
					    .peer = e.peer,
					    .method = e.method,
					    .path = e.path,
					    .status = e.status,
					    .action = e.action,
					    .detail = e.detail};
		if (svr_store_audit_add(c->store, &s, NULL, err, sizeof(err)) < 0)
			LOG_ERR("audit: cannot write the entry of %s %s %u from %s (%s): %s",
				e.method, e.path, e.status, e.peer, e.action, err);
	}
	pthread_mutex_unlock(&drain_lock);
}

static void *writer_main(void *arg)
{
	struct conductor *c = arg;
	pthread_mutex_lock(&audit.lock);
	for (;;) {
		while (!audit.n && !audit.lost && !audit.stopping)
			pthread_cond_wait(&audit.wake, &audit.lock);
		if (!audit.n && !audit.lost) /* stopping, and nothing left */
			break;
		pthread_mutex_unlock(&audit.lock);
		cd_audit_flush(c);
		pthread_mutex_lock(&audit.lock);
	}
	pthread_mutex_unlock(&audit.lock);
	return NULL;
}

int cd_audit_start(struct conductor *c, char *err, size_t errlen)
{
	audit.stopping = false;
	int rc = pthread_create(&audit.thread, NULL, writer_main, c);
	if (rc != 0)
		return svr_errf(err, errlen, "cannot start the audit log's writer: %s",
				strerror(rc));
	audit.started = true;
	return 0;
}

void cd_audit_stop(struct conductor *c, int64_t mono, int64_t wall)
{
	pthread_mutex_lock(&audit.lock);
	close_windows(audit.addrs, ADDRS, close_addr, mono, wall, true);
	close_windows(audit.ops, OPERATORS, close_op, mono, wall, true);
	roll_all(mono, wall, true);
	audit.stopping = true;
	pthread_cond_signal(&audit.wake);
	pthread_mutex_unlock(&audit.lock);
	if (audit.started)
		pthread_join(audit.thread, NULL);
	audit.started = false;
	cd_audit_flush(c); /* without a writer (tests), or what came after it left */
}
