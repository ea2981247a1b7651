/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The PostgreSQL backend (libpq): several conductors on one database. Three connections:
 * - conn: every statement (text parameters, PQexecParams); store.c serialises its use;
 * - listen: LISTEN svr_change, the wake-up for svr_store_wait_change(): a commit runs
 *   pg_notify('svr_change', serial) inside its transaction, delivered when it commits, to every
 *   conductor's listen connection (this one's too); one waiting thread at a time polls it (the
 *   "poller"), the others sleep on listen_cv and wake when it has read what came;
 * - leader (opened on first use): holds the session advisory lock that makes one conductor the
 *   key rotator; the server drops it when that session ends.
 * A connection found lost is reset once (PQreset); the call that found it fails and says so.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "backend.h"
#include "store.h"

/* Advisory lock keys: "SVR" and a number, so they do not meet another application's. */
#define LOCK_SCHEMA 0x5356520001LL
#define LOCK_LEADER 0x5356520002LL
#define CHANNEL     "svr_change"

struct pg_backend {
	struct svr_backend base;
	char *conninfo;
	PGconn *conn, *listen, *leader;
	pthread_mutex_t listen_mu; /* guards the two below, and listen while no poller has it */
	pthread_cond_t listen_cv;  /* the poller is done */
	bool polling;              /* a thread is in poll() on listen */
	uint64_t notified;         /* notifications consumed from listen */
};

static struct pg_backend *pg(struct svr_backend *b)
{
	return (struct pg_backend *)b;
}

/* CREATE ... IF NOT EXISTS says "already exists, skipping" as a notice: not for stderr. */
static void quiet(void *arg, const char *message)
{
	(void)arg, (void)message;
}

static PGconn *connect_quietly(const char *conninfo, char *err, size_t errlen)
{
	PGconn *c = PQconnectdb(conninfo);
	if (!c || PQstatus(c) != CONNECTION_OK) {
		snprintf(err, errlen, "postgresql: %s", c ? PQerrorMessage(c) : "out of memory");
		PQfinish(c);
		return NULL;
	}
	PQsetNoticeProcessor(c, quiet, NULL);
	return c;
}

/* After a failed call: a connection that is gone is reset once. Returns the message to give. */
static void describe_failure(PGconn *c, PGresult *r, char *err, size_t errlen)
{
	if (PQstatus(c) != CONNECTION_BAD) {
		snprintf(err, errlen, "postgresql: %s",
			 r ? PQresultErrorMessage(r) : PQerrorMessage(c));
	} else {
		PQreset(c);
		snprintf(
		    err, errlen,
		    PQstatus(c) == CONNECTION_OK
			? "postgresql: the connection was lost and has been re-established; "
			  "the call was not done"
			: "postgresql: the connection was lost and could not be re-established: %s",
		    PQerrorMessage(c));
	}
	/* libpq's messages end with a newline */
	size_t n = strlen(err);
	if (n && err[n - 1] == '\n')
		err[n - 1] = '\0';
}

static int error_code(PGresult *r)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	if (state && strcmp(state, "23505") == 0) /* unique_violation */
		return SVR_STORE_EXISTS;
	if (state && strcmp(state, "23503") == 0) /* foreign_key_violation */
		return SVR_STORE_NOT_FOUND;
	return SVR_STORE_ERR;
}

static int collect_rows(PGresult *r, struct svr_rows *rows)
{
	unsigned n = (unsigned)PQnfields(r);
	const char *cells[n ? n : 1];
	for (int row = 0; row < PQntuples(r); row++) {
		for (unsigned i = 0; i < n; i++)
			cells[i] = PQgetisnull(r, row, (int)i) ? NULL : PQgetvalue(r, row, (int)i);
		if (svr_rows_append(rows, n, cells) < 0)
			return -1;
	}
	return 0;
}

static int run_on(PGconn *c, const char *sql, unsigned nparams, const char *const *params,
		  struct svr_rows *rows, char *err, size_t errlen)
{
	PGresult *r = PQexecParams(c, sql, (int)nparams, NULL, params, NULL, NULL, 0);
	ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	int rc = 0;
	if (st == PGRES_TUPLES_OK) {
		if (rows && collect_rows(r, rows) < 0) {
			snprintf(err, errlen, "postgresql: out of memory");
			rc = SVR_STORE_ERR;
		}
	} else if (st != PGRES_COMMAND_OK && st != PGRES_EMPTY_QUERY) {
		rc = error_code(r);
		describe_failure(c, r, err, errlen);
	}
	PQclear(r);
	return rc;
}

static int pg_exec(struct svr_backend *b, const char *sql, unsigned nparams,
		   const char *const *params, struct svr_rows *rows, char *err, size_t errlen)
{
	return run_on(pg(b)->conn, sql, nparams, params, rows, err, errlen);
}

/* A plain BEGIN (READ COMMITTED): no lock serialises every writer. The changes that move the
 * serial all update the head row, so they queue on its row lock (commit, rollback, import and a
 * key's addition take it first). Any other write is made safe by its own statement: one statement
 * on the rows it names, a unique key, INSERT ... ON CONFLICT, a conditional UPDATE whose WHERE
 * is checked again once the row lock is granted (a token's use, store.c), or a meta row locked
 * before reading what the write depends on (command and audit ids, store.c). */
static int pg_begin(struct svr_backend *b, char *err, size_t errlen)
{
	return run_on(pg(b)->conn, "BEGIN", 0, NULL, NULL, err, errlen);
}

static int pg_commit(struct svr_backend *b, char *err, size_t errlen)
{
	return run_on(pg(b)->conn, "COMMIT", 0, NULL, NULL, err, errlen);
}

static void pg_rollback(struct svr_backend *b)
{
	char err[256]; /* what went wrong does not matter: the call is failing already */
	run_on(pg(b)->conn, "ROLLBACK", 0, NULL, NULL, err, sizeof(err));
}

static int pg_announce(struct svr_backend *b, int64_t serial, char *err, size_t errlen)
{
	char s[24];
	snprintf(s, sizeof(s), "%lld", (long long)serial);
	const char *p[] = {s};
	return run_on(pg(b)->conn, "SELECT pg_notify('" CHANNEL "', $1)", 1, p, NULL, err, errlen);
}

/* This process's waiters hear its commits through their LISTEN like everyone else's. */
static void pg_after_commit(struct svr_backend *b)
{
	(void)b;
}

static int pg_lock_schema(struct svr_backend *b, char *err, size_t errlen)
{
	char key[24];
	snprintf(key, sizeof(key), "%lld", LOCK_SCHEMA);
	const char *p[] = {key};
	return run_on(pg(b)->conn, "SELECT pg_advisory_xact_lock(CAST($1 AS BIGINT))", 1, p, NULL,
		      err, errlen);
}

static uint64_t pg_wait_prepare(struct svr_backend *base)
{
	struct pg_backend *b = pg(base);
	pthread_mutex_lock(&b->listen_mu);
	uint64_t n = b->notified;
	pthread_mutex_unlock(&b->listen_mu);
	return n;
}

/* Counts the notifications that arrived; 0, or -1 when the connection failed. */
static int drain_notifications(struct pg_backend *b)
{
	if (!PQconsumeInput(b->listen))
		return -1;
	PGnotify *n;
	while ((n = PQnotifies(b->listen))) {
		b->notified++;
		PQfreemem(n);
	}
	return 0;
}

static int relisten(struct pg_backend *b, char *err, size_t errlen)
{
	PQreset(b->listen);
	if (PQstatus(b->listen) != CONNECTION_OK) {
		snprintf(err, errlen, "postgresql: the LISTEN connection was lost: %s",
			 PQerrorMessage(b->listen));
		return SVR_STORE_ERR;
	}
	return run_on(b->listen, "LISTEN " CHANNEL, 0, NULL, NULL, err, errlen);
}

/* Under listen_mu, with no poller: reads what came; a lost connection is set up again. */
static int read_listen(struct pg_backend *b, char *err, size_t errlen)
{
	return drain_notifications(b) < 0 ? relisten(b, err, errlen) : 0;
}

static struct timespec deadline_after(int ms)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

static int ms_until(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long long ms =
	    (long long)(t->tv_sec - now.tv_sec) * 1000 + (t->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : (int)ms;
}

/*
 * Returns once a notification was consumed since token (by this thread or another), or at
 * timeout_ms. The first waiter polls the socket without the mutex (no other thread touches the
 * connection meanwhile: they see polling and sleep on listen_cv with their own timeouts), then
 * reads what came and wakes the others; each re-reads the serial (store.c).
 */
static int pg_wait(struct svr_backend *base, uint64_t token, int timeout_ms, char *err,
		   size_t errlen)
{
	struct pg_backend *b = pg(base);
	struct timespec until = deadline_after(timeout_ms);
	int rc = 0;
	pthread_mutex_lock(&b->listen_mu);
	while (b->notified == token) {
		if (b->polling) {
			if (pthread_cond_timedwait(&b->listen_cv, &b->listen_mu, &until) ==
			    ETIMEDOUT)
				break;
			continue;
		}
		rc = read_listen(b, err, errlen);
		if (rc < 0 || b->notified != token)
			break;
		b->polling = true;
		pthread_mutex_unlock(&b->listen_mu);
		struct pollfd pfd = {.fd = PQsocket(b->listen), .events = POLLIN};
		poll(&pfd, 1, ms_until(&until));
		pthread_mutex_lock(&b->listen_mu);
		b->polling = false;
		rc = read_listen(b, err, errlen);
		pthread_cond_broadcast(&b->listen_cv);
		break;
	}
	pthread_mutex_unlock(&b->listen_mu);
	return rc;
}

/* Tries the session lock on the leader connection (again each time: taking a lock the session
 * holds succeeds, and a connection that was lost has lost the lock too). */
static int pg_try_leader(struct svr_backend *base, char *err, size_t errlen)
{
	struct pg_backend *b = pg(base);
	if (!b->leader && !(b->leader = connect_quietly(b->conninfo, err, errlen)))
		return SVR_STORE_ERR;
	char key[24];
	snprintf(key, sizeof(key), "%lld", LOCK_LEADER);
	const char *p[] = {key};
	struct svr_rows r = {0};
	int rc = run_on(b->leader, "SELECT pg_try_advisory_lock(CAST($1 AS BIGINT))", 1, p, &r, err,
			errlen);
	if (rc == 0)
		rc = svr_rows_get(&r, 0, 0) && strcmp(svr_rows_get(&r, 0, 0), "t") == 0;
	svr_rows_free(&r);
	return rc;
}

static void pg_close(struct svr_backend *base)
{
	struct pg_backend *b = pg(base);
	PQfinish(b->conn);
	PQfinish(b->listen);
	PQfinish(b->leader);
	free(b->conninfo);
	pthread_mutex_destroy(&b->listen_mu);
	pthread_cond_destroy(&b->listen_cv);
	free(b);
}

static const struct svr_backend_ops pg_ops = {
    .name = "postgresql",
    .recheck_ms = 5000, /* NOTIFY wakes waiters; this is only a safety net */
    .lazy_on = "SET synchronous_commit TO off",
    .lazy_off = "SET synchronous_commit TO on",
    .exec = pg_exec,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .announce = pg_announce,
    .after_commit = pg_after_commit,
    .lock_schema = pg_lock_schema,
    .wait_prepare = pg_wait_prepare,
    .wait = pg_wait,
    .try_leader = pg_try_leader,
    .close = pg_close,
};

int svr_pg_open(const char *conninfo, struct svr_backend **out, char *err, size_t errlen)
{
	struct pg_backend *b = calloc(1, sizeof(*b));
	if (!b) {
		snprintf(err, errlen, "postgresql: out of memory");
		return SVR_STORE_ERR;
	}
	b->base.ops = &pg_ops;
	pthread_mutex_init(&b->listen_mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&b->listen_cv, &ca);
	pthread_condattr_destroy(&ca);
	b->conninfo = strdup(conninfo);
	b->conn = b->conninfo ? connect_quietly(conninfo, err, errlen) : NULL;
	if (b->conn)
		b->listen = connect_quietly(conninfo, err, errlen);
	if (!b->conn || !b->listen ||
	    run_on(b->listen, "LISTEN " CHANNEL, 0, NULL, NULL, err, errlen) < 0) {
		pg_close(&b->base);
		return SVR_STORE_ERR;
	}
	*out = &b->base;
	return 0;
}
