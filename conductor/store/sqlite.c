/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SQLite backend: one file in WAL mode, synchronous=FULL (a commit that returned is on disk),
 * writes in BEGIN IMMEDIATE so a writer takes the write lock before it reads (a deferred
 * transaction that reads then writes gets SQLITE_BUSY at once instead of waiting busy_timeout).
 * Placeholders: the shared SQL uses $N, which SQLite would number by first appearance; they are
 * rewritten to ?N (an explicit index) before preparing.
 *
 * Changes: every store in this process shares one condition variable that a commit signals,
 * so a waiter on a second handle wakes at once; another process's commits are seen by the
 * re-read of the serial every 250 ms (store.c).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "backend.h"
#include "store.h"

struct sqlite_backend {
	struct svr_backend base;
	sqlite3 *db;
};

/* This process's commits, counted; waiters sleep until the count moves. */
static pthread_mutex_t change_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t change_cv;
static pthread_once_t change_once = PTHREAD_ONCE_INIT;
static uint64_t change_count;

static void change_init(void)
{
	pthread_condattr_t a;
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&change_cv, &a);
	pthread_condattr_destroy(&a);
}

static struct sqlite_backend *sq(struct svr_backend *b)
{
	return (struct sqlite_backend *)b;
}

static int sq_fail(struct sqlite_backend *b, const char *what, char *err, size_t errlen)
{
	if (err)
		snprintf(err, errlen, "sqlite: %s: %s", what, sqlite3_errmsg(b->db));
	return SVR_STORE_ERR;
}

/* "$12" -> "?12" outside string literals; the result is malloc'd. */
static char *rewrite_placeholders(const char *sql)
{
	char *out = strdup(sql);
	if (!out)
		return NULL;
	int quoted = 0;
	for (char *p = out; *p; p++) {
		if (*p == '\'')
			quoted = !quoted;
		else if (!quoted && *p == '$' && isdigit((unsigned char)p[1]))
			*p = '?';
	}
	return out;
}

/* Unique and primary-key conflicts are EXISTS; a foreign key naming nothing is NOT_FOUND. */
static int constraint_code(sqlite3 *db)
{
	switch (sqlite3_extended_errcode(db)) {
	case SQLITE_CONSTRAINT_PRIMARYKEY:
	case SQLITE_CONSTRAINT_UNIQUE:
		return SVR_STORE_EXISTS;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return SVR_STORE_NOT_FOUND;
	default:
		return SVR_STORE_ERR;
	}
}

static int collect_row(sqlite3_stmt *st, struct svr_rows *rows)
{
	unsigned n = (unsigned)sqlite3_column_count(st);
	const char *cells[n ? n : 1];
	for (unsigned i = 0; i < n; i++)
		cells[i] = (const char *)sqlite3_column_text(st, (int)i);
	return svr_rows_append(rows, n, cells);
}

static int sq_exec(struct svr_backend *base, const char *sql, unsigned nparams,
		   const char *const *params, struct svr_rows *rows, char *err, size_t errlen)
{
	struct sqlite_backend *b = sq(base);
	char *text = rewrite_placeholders(sql);
	if (!text) {
		snprintf(err, errlen, "sqlite: out of memory");
		return SVR_STORE_ERR;
	}
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(b->db, text, -1, &st, NULL);
	free(text);
	if (rc != SQLITE_OK)
		return sq_fail(b, "prepare", err, errlen);
	for (unsigned i = 0; i < nparams; i++) {
		rc = params[i] ? sqlite3_bind_text(st, (int)i + 1, params[i], -1, SQLITE_TRANSIENT)
			       : sqlite3_bind_null(st, (int)i + 1);
		if (rc != SQLITE_OK) {
			sqlite3_finalize(st);
			return sq_fail(b, "bind", err, errlen);
		}
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (rows && collect_row(st, rows) < 0) {
			sqlite3_finalize(st);
			snprintf(err, errlen, "sqlite: out of memory");
			return SVR_STORE_ERR;
		}
	}
	if (rc != SQLITE_DONE) {
		int code = rc == SQLITE_CONSTRAINT ? constraint_code(b->db) : SVR_STORE_ERR;
		sq_fail(b, "step", err, errlen);
		sqlite3_finalize(st);
		return code;
	}
	sqlite3_finalize(st);
	return 0;
}

static int sq_simple(struct sqlite_backend *b, const char *sql, char *err, size_t errlen)
{
	if (sqlite3_exec(b->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sq_fail(b, sql, err, errlen);
	return 0;
}

static int sq_begin(struct svr_backend *b, char *err, size_t errlen)
{
	return sq_simple(sq(b), "BEGIN IMMEDIATE", err, errlen);
}

static int sq_commit(struct svr_backend *b, char *err, size_t errlen)
{
	return sq_simple(sq(b), "COMMIT", err, errlen);
}

static void sq_rollback(struct svr_backend *b)
{
	sqlite3_exec(sq(b)->db, "ROLLBACK", NULL, NULL, NULL);
}

static int sq_announce(struct svr_backend *b, int64_t serial, char *err, size_t errlen)
{
	(void)b, (void)serial, (void)err, (void)errlen;
	return 0;
}

static void sq_after_commit(struct svr_backend *b)
{
	(void)b;
	pthread_once(&change_once, change_init);
	pthread_mutex_lock(&change_mu);
	change_count++;
	pthread_cond_broadcast(&change_cv);
	pthread_mutex_unlock(&change_mu);
}

static uint64_t sq_wait_prepare(struct svr_backend *b)
{
	(void)b;
	pthread_once(&change_once, change_init);
	pthread_mutex_lock(&change_mu);
	uint64_t c = change_count;
	pthread_mutex_unlock(&change_mu);
	return c;
}

static int sq_wait(struct svr_backend *b, uint64_t token, int timeout_ms, char *err, size_t errlen)
{
	(void)b, (void)err, (void)errlen;
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&change_mu);
	while (change_count == token) {
		if (pthread_cond_timedwait(&change_cv, &change_mu, &until) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&change_mu);
	return 0;
}

/* One SQLite file has one conductor: it is always the one that rotates keys. */
static int sq_try_leader(struct svr_backend *b, char *err, size_t errlen)
{
	(void)b, (void)err, (void)errlen;
	return 1;
}

static void sq_close(struct svr_backend *base)
{
	struct sqlite_backend *b = sq(base);
	sqlite3_close(b->db);
	free(b);
}

static const struct svr_backend_ops sqlite_ops = {
    .name = "sqlite",
    .recheck_ms = 250, /* only another process's commits need it (docs/conductor.md, "Store") */
    /* WAL with NORMAL is still atomic and consistent; a commit is on disk at the next
     * checkpoint or at the next FULL commit, not before it returns. */
    .lazy_on = "PRAGMA synchronous=NORMAL",
    .lazy_off = "PRAGMA synchronous=FULL",
    .exec = sq_exec,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .announce = sq_announce,
    .after_commit = sq_after_commit,
    .lock_schema = NULL,
    .wait_prepare = sq_wait_prepare,
    .wait = sq_wait,
    .try_leader = sq_try_leader,
    .close = sq_close,
};

/* The file holds the inter-router keys and the CA's key: 0600, created so before SQLite opens it
 * (its -wal and -shm files take the same mode). An existing file is changed by path, never opened
 * and closed here: closing any descriptor of a database file drops every POSIX lock this process
 * holds on it, and another store handle of this process may hold some (sqlite.org "howtocorrupt").
 */
static int make_private(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (errno == EEXIST && chmod(path, 0600) == 0)
		return 0;
	snprintf(err, errlen, "sqlite: %s: %s", path, strerror(errno));
	return -1;
}

int svr_sqlite_open(const char *path, struct svr_backend **out, char *err, size_t errlen)
{
	struct sqlite_backend *b = calloc(1, sizeof(*b));
	if (!b) {
		snprintf(err, errlen, "sqlite: out of memory");
		return SVR_STORE_ERR;
	}
	b->base.ops = &sqlite_ops;
	if (make_private(path, err, errlen) < 0) {
		free(b);
		return SVR_STORE_ERR;
	}
	int rc = sqlite3_open_v2(
	    path, &b->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "sqlite: %s: %s", path,
			 b->db ? sqlite3_errmsg(b->db) : sqlite3_errstr(rc));
		sqlite3_close(b->db);
		free(b);
		return SVR_STORE_ERR;
	}
	sqlite3_busy_timeout(b->db, 5000);
	if (sq_simple(b, "PRAGMA journal_mode=WAL", err, errlen) < 0 ||
	    sq_simple(b, "PRAGMA synchronous=FULL", err, errlen) < 0 ||
	    sq_simple(b, "PRAGMA foreign_keys=ON", err, errlen) < 0) {
		sq_close(&b->base);
		return SVR_STORE_ERR;
	}
	*out = &b->base;
	return 0;
}
