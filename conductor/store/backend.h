/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What store.c needs from a database: statements with text parameters that return rows of text,
 * transactions, a wake-up when another writer changed the store, and the key-rotation lock.
 * Two implementations: sqlite.c and pg.c. Every SQL text store.c passes is written once, with
 * $1..$N placeholders and only BIGINT and TEXT columns, and runs unchanged on both.
 *
 * Threads: store.c serialises calls on one backend with its own mutex, except wait_prepare and
 * wait, which it calls without that mutex held (a backend guards what they touch itself).
 */
#ifndef SVR_STORE_BACKEND_H
#define SVR_STORE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

/* The rows a statement returned: every cell as text, NULL for SQL NULL. */
struct svr_rows {
	unsigned nrows, ncols;
	unsigned cap; /* rows allocated */
	char **cells; /* nrows * ncols, row-major */
};

static inline const char *svr_rows_get(const struct svr_rows *r, unsigned row, unsigned col)
{
	return row < r->nrows && col < r->ncols ? r->cells[row * r->ncols + col] : NULL;
}
void svr_rows_free(struct svr_rows *r);
/* Appends one row of ncols cells (copies); 0 or -1 (out of memory). */
int svr_rows_append(struct svr_rows *r, unsigned ncols, const char *const *cells);

struct svr_backend;

struct svr_backend_ops {
	const char *name; /* "sqlite" or "postgresql" */
	/* How often a waiter re-reads the serial when no wake-up came: what another process's
	 * change costs to be seen where the backend has no wake-up for it. */
	int recheck_ms;
	/* Statements around a write that may be lost in a power failure without harm (a router's
	 * report: the next one, seconds later, says it again), so it does not wait for the disk:
	 * the first turns waiting off for this connection, the second back on. Every other write
	 * is on disk when it returns. */
	const char *lazy_on, *lazy_off;
	/* Runs one statement; rows (may be NULL) receives what it returns. Returns 0, or
	 * SVR_STORE_EXISTS for a unique-key conflict, SVR_STORE_NOT_FOUND for a foreign key that
	 * names nothing, SVR_STORE_ERR otherwise (err says how). */
	int (*exec)(struct svr_backend *b, const char *sql, unsigned nparams,
		    const char *const *params, struct svr_rows *rows, char *err, size_t errlen);
	/* A write transaction: the backend takes what lock it needs to serialise writers. */
	int (*begin)(struct svr_backend *b, char *err, size_t errlen);
	int (*commit)(struct svr_backend *b, char *err, size_t errlen);
	void (*rollback)(struct svr_backend *b);
	/* Inside a write transaction that moved the serial: tell the other conductors (PostgreSQL:
	 * pg_notify, delivered at commit). After_commit: tell this process's waiters. */
	int (*announce)(struct svr_backend *b, int64_t serial, char *err, size_t errlen);
	void (*after_commit)(struct svr_backend *b);
	/* Inside a transaction, before the schema is created: keep two conductors that open one
	 * database at once from racing to create it (may be NULL). */
	int (*lock_schema)(struct svr_backend *b, char *err, size_t errlen);
	/* wait: returns when a change may have happened since wait_prepare returned token, or after
	 * timeout_ms; 0, or SVR_STORE_ERR. The caller re-reads the serial either way. */
	uint64_t (*wait_prepare)(struct svr_backend *b);
	int (*wait)(struct svr_backend *b, uint64_t token, int timeout_ms, char *err,
		    size_t errlen);
	/* 1: this process holds the key-rotation lock, 0: another does, <0 error. */
	int (*try_leader)(struct svr_backend *b, char *err, size_t errlen);
	void (*close)(struct svr_backend *b);
};

struct svr_backend {
	const struct svr_backend_ops *ops;
};

/* Open one backend from what follows "sqlite:" / "postgresql:" in a store spec. */
int svr_sqlite_open(const char *path, struct svr_backend **out, char *err, size_t errlen);
int svr_pg_open(const char *conninfo, struct svr_backend **out, char *err, size_t errlen);

/* The embedded schema.sql (generated at build time). */
extern const char svr_store_schema_sql[];
extern const size_t svr_store_schema_sql_len;

#endif
