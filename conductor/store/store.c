/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The store's logic, common to both backends (backend.h): validation before anything is written,
 * the canonical text and hash of a model, one transaction per change, the change serial.
 * Every SQL text here runs unchanged on SQLite and PostgreSQL: $N placeholders, text parameters,
 * BIGINT and TEXT only, CAST where a parameter's type cannot be inferred.
 *
 * Threads: every public call takes s->mu around its use of the backend (a sqlite handle or a
 * PGconn is used by one thread at a time); svr_store_wait_change() releases it while it waits.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "backend.h"
#include "model/compile.h"
#include "model/diff.h"
#include "model/validate.h"
#include "store.h"

#define SCHEMA_VERSION "1"
#define EXPORT_FORMAT  "svr-conductor-export"

struct svr_store {
	pthread_mutex_t mu;
	struct svr_backend *b;
	uint64_t serial_reads; /* under mu: what waiting costs the database */
};

/* A caller may pass err NULL: the functions below always have somewhere to write. */
#define ERRBUF()                                                                                   \
	char errbuf_[256];                                                                         \
	if (!err) {                                                                                \
		err = errbuf_;                                                                     \
		errlen = sizeof(errbuf_);                                                          \
	}

/* ---- small helpers ---- */

void svr_rows_free(struct svr_rows *r)
{
	for (size_t i = 0; i < (size_t)r->nrows * r->ncols; i++)
		free(r->cells[i]);
	free(r->cells);
	memset(r, 0, sizeof(*r));
}

int svr_rows_append(struct svr_rows *r, unsigned ncols, const char *const *cells)
{
	if (r->nrows && r->ncols != ncols)
		return -1;
	if (r->nrows == r->cap) { /* doubling: a long history is not copied once per row */
		unsigned cap = r->cap ? 2 * r->cap : 16;
		char **grown = realloc(r->cells, sizeof(char *) * cap * (ncols ? ncols : 1));
		if (!grown)
			return -1;
		r->cells = grown;
		r->cap = cap;
	}
	r->ncols = ncols;
	char **row = r->cells + (size_t)r->nrows * ncols;
	for (unsigned i = 0; i < ncols; i++) {
		row[i] = cells[i] ? strdup(cells[i]) : NULL;
		if (cells[i] && !row[i]) {
			while (i--)
				free(row[i]);
			return -1;
		}
	}
	r->nrows++;
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct num {
	char s[24];
};

static struct num num(int64_t v)
{
	struct num n;
	snprintf(n.s, sizeof(n.s), "%" PRId64, v);
	return n;
}

static int64_t to_i64(const char *s)
{
	return s ? strtoll(s, NULL, 10) : 0;
}

static void copy_text(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

static int fail(char *err, size_t errlen, int rc, const char *fmt, const char *arg)
{
	snprintf(err, errlen, fmt, arg);
	return rc;
}

static bool name_ok(const char *name)
{
	return name && name[0] && strlen(name) < SVR_STORE_NAME_MAX;
}

static int oom(char *err, size_t errlen)
{
	return fail(err, errlen, SVR_STORE_ERR, "%s", "out of memory");
}

/* The model's canonical text (sorted keys, compact) and the hex SHA-256 of it. */
static char *canonical_text(const json_t *model)
{
	return json_dumps(model, JSON_SORT_KEYS | JSON_COMPACT);
}

static void sha256_hex(const char *text, char out[65])
{
	unsigned char md[32];
	unsigned mdlen = 0;
	EVP_Digest(text, strlen(text), md, &mdlen, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static json_t *parse_stored(const char *text)
{
	json_error_t je;
	return text ? json_loads(text, JSON_REJECT_DUPLICATES, &je) : NULL;
}

/* ---- the backend, through s ---- */

static int run(struct svr_store *s, const char *sql, unsigned n, const char *const *params,
	       struct svr_rows *rows, char *err, size_t errlen)
{
	return s->b->ops->exec(s->b, sql, n, params, rows, err, errlen);
}

/* Runs a statement expected to return one value; NOT_FOUND when it returns no row. */
static int run_value(struct svr_store *s, const char *sql, unsigned n, const char *const *params,
		     int64_t *value, char *err, size_t errlen)
{
	struct svr_rows r = {0};
	int rc = run(s, sql, n, params, &r, err, errlen);
	if (rc == 0 && r.nrows == 0)
		rc = SVR_STORE_NOT_FOUND;
	if (rc == 0)
		*value = to_i64(svr_rows_get(&r, 0, 0));
	svr_rows_free(&r);
	return rc;
}

static int tx_begin(struct svr_store *s, char *err, size_t errlen)
{
	return s->b->ops->begin(s->b, err, errlen);
}

/* Commits when rc is 0, else rolls back; a change that moved the serial wakes this process's
 * waiters once it is committed. */
static int tx_end(struct svr_store *s, int rc, bool moved_serial, char *err, size_t errlen)
{
	if (rc == 0)
		rc = s->b->ops->commit(s->b, err, errlen);
	if (rc < 0) {
		s->b->ops->rollback(s->b);
		return rc;
	}
	if (moved_serial)
		s->b->ops->after_commit(s->b);
	return 0;
}

/* Inside a transaction: the next serial, announced to the other conductors at commit. Taking the
 * head row first also serialises the changes that move it (a row lock in PostgreSQL; in SQLite
 * every write transaction holds the write lock). */
static int bump_serial(struct svr_store *s, int64_t *serial, char *err, size_t errlen)
{
	int64_t v = 0;
	int rc = run_value(s, "UPDATE head SET seq = seq + 1 WHERE id = 1 RETURNING seq", 0, NULL,
			   &v, err, errlen);
	if (rc == SVR_STORE_NOT_FOUND)
		rc = fail(err, errlen, SVR_STORE_ERR, "%s", "the store has no head row");
	if (rc == 0)
		rc = s->b->ops->announce(s->b, v, err, errlen);
	if (rc == 0 && serial)
		*serial = v;
	return rc;
}

/* ---- open / close ---- */

/* Whether a chunk of schema.sql holds anything but blanks and comments. */
static bool has_statement(const char *p, const char *end)
{
	while (p < end) {
		if (p[0] == '-' && p + 1 < end && p[1] == '-') {
			while (p < end && *p != '\n')
				p++;
		} else if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
			p++;
		} else {
			return true;
		}
	}
	return false;
}

/* Runs schema.sql one statement at a time (statements end with ";" at the end of a line). */
static int create_schema(struct svr_store *s, char *err, size_t errlen)
{
	const char *p = svr_store_schema_sql, *end = p + svr_store_schema_sql_len;
	while (p < end) {
		const char *semi = strstr(p, ";\n");
		const char *stop = semi && semi < end ? semi : end;
		if (has_statement(p, stop)) {
			char *stmt = strndup(p, (size_t)(stop - p));
			if (!stmt)
				return oom(err, errlen);
			int rc = run(s, stmt, 0, NULL, NULL, err, errlen);
			free(stmt);
			if (rc < 0)
				return rc;
		}
		p = stop == end ? end : stop + 2;
	}
	return 0;
}

static int check_schema_version(struct svr_store *s, char *err, size_t errlen)
{
	struct svr_rows r = {0};
	int rc = run(s, "SELECT v FROM meta WHERE k = 'schema-version'", 0, NULL, &r, err, errlen);
	if (rc == 0 && (r.nrows != 1 || strcmp(svr_rows_get(&r, 0, 0), SCHEMA_VERSION) != 0))
		rc = fail(
		    err, errlen, SVR_STORE_ERR,
		    "the store has schema version %s; this conductor knows version " SCHEMA_VERSION,
		    r.nrows ? svr_rows_get(&r, 0, 0) : "(none)");
	svr_rows_free(&r);
	return rc;
}

static int prepare_schema(struct svr_store *s, char *err, size_t errlen)
{
	int rc = tx_begin(s, err, errlen);
	if (rc < 0)
		return rc;
	if (s->b->ops->lock_schema)
		rc = s->b->ops->lock_schema(s->b, err, errlen);
	if (rc == 0)
		rc = create_schema(s, err, errlen);
	if (rc == 0)
		rc = check_schema_version(s, err, errlen);
	return tx_end(s, rc, false, err, errlen);
}

int svr_store_open(const char *spec, struct svr_store **out, char *err, size_t errlen)
{
	ERRBUF();
	struct svr_backend *b = NULL;
	int rc;
	if (strncmp(spec, "sqlite:", 7) == 0 && spec[7])
		rc = svr_sqlite_open(spec + 7, &b, err, errlen);
	else if (strncmp(spec, "postgresql:", 11) == 0)
		rc = svr_pg_open(spec + 11, &b, err, errlen);
	else
		return fail(err, errlen, SVR_STORE_ERR,
			    "store \"%s\": expected sqlite:PATH or postgresql:CONNINFO", spec);
	if (rc < 0)
		return rc;
	/* A waiter sleeps at most recheck_ms between reads of the serial: 0 would be a busy loop.
	 */
	const struct svr_backend_ops *ops = b->ops;
	if (ops->recheck_ms <= 0) {
		ops->close(b);
		return fail(err, errlen, SVR_STORE_ERR, "store backend %s: no recheck interval",
			    ops->name);
	}
	struct svr_store *s = calloc(1, sizeof(*s));
	if (!s) {
		b->ops->close(b);
		return oom(err, errlen);
	}
	pthread_mutex_init(&s->mu, NULL);
	s->b = b;
	rc = prepare_schema(s, err, errlen);
	if (rc < 0) {
		svr_store_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

void svr_store_close(struct svr_store *s)
{
	if (!s)
		return;
	s->b->ops->close(s->b);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

const char *svr_store_backend(const struct svr_store *s)
{
	return s->b->ops->name;
}

/* ---- versions ---- */

static const char commit_columns[] =
    "version, at_ms, author, message, ticket, kind, source_version, sha256";

/* A row of commit_columns into info. */
static void row_to_commit(const struct svr_rows *r, unsigned row, struct svr_store_commit *c)
{
	memset(c, 0, sizeof(*c));
	c->version = to_i64(svr_rows_get(r, row, 0));
	c->at_ms = to_i64(svr_rows_get(r, row, 1));
	copy_text(c->author, sizeof(c->author), svr_rows_get(r, row, 2));
	copy_text(c->message, sizeof(c->message), svr_rows_get(r, row, 3));
	copy_text(c->ticket, sizeof(c->ticket), svr_rows_get(r, row, 4));
	copy_text(c->kind, sizeof(c->kind), svr_rows_get(r, row, 5));
	c->source_version = to_i64(svr_rows_get(r, row, 6));
	copy_text(c->sha256, sizeof(c->sha256), svr_rows_get(r, row, 7));
}

static json_t *commit_json(const struct svr_store_commit *c)
{
	return json_pack("{sI sI ss ss ss ss sI ss}", "version", (json_int_t)c->version, "at-ms",
			 (json_int_t)c->at_ms, "author", c->author, "message", c->message, "ticket",
			 c->ticket, "kind", c->kind, "source-version",
			 (json_int_t)c->source_version, "sha256", c->sha256);
}

/* The version's metadata and model (either may be NULL). Caller holds s->mu. */
static int load_version(struct svr_store *s, int64_t version, struct svr_store_commit *info,
			json_t **model, char *err, size_t errlen)
{
	char sql[256];
	snprintf(sql, sizeof(sql), "SELECT %s, model FROM commits WHERE version = $1",
		 commit_columns);
	struct num v = num(version);
	const char *p[] = {v.s};
	struct svr_rows r = {0};
	int rc = run(s, sql, 1, p, &r, err, errlen);
	if (rc == 0 && r.nrows == 0)
		rc = fail(err, errlen, SVR_STORE_NOT_FOUND, "no version %s", v.s);
	if (rc == 0 && info)
		row_to_commit(&r, 0, info);
	if (rc == 0 && model) {
		*model = parse_stored(svr_rows_get(&r, 0, 8));
		if (!*model)
			rc = fail(err, errlen, SVR_STORE_ERR,
				  "version %s: the stored model is not JSON", v.s);
	}
	svr_rows_free(&r);
	return rc;
}

/* Whether a model may be committed: valid, and compiled for every router. */
static int check_model(const json_t *model, struct svr_model_errors *errors, char *err,
		       size_t errlen)
{
	struct svr_model_errors local;
	svr_model_errors_init(&local);
	struct svr_model_errors *e = errors ? errors : &local;
	unsigned before = e->count;
	if (svr_model_validate(model, e) == 0)
		svr_model_compile_all(model, e);
	unsigned found = e->count - before;
	svr_model_errors_free(&local);
	if (found == 0)
		return 0;
	snprintf(err, errlen, "the model is invalid (%u error%s); nothing was stored", found,
		 found == 1 ? "" : "s");
	return SVR_STORE_INVALID;
}

/* The texts a commit records must fit struct svr_store_commit: refused, not cut. */
static int check_commit_texts(const char *author, const char *message, const char *ticket,
			      struct svr_model_errors *errors, char *err, size_t errlen)
{
	const struct {
		const char *name, *value;
		size_t max;
	} t[] = {{"author", author, SVR_STORE_NAME_MAX},
		 {"message", message, SVR_STORE_MESSAGE_MAX},
		 {"ticket", ticket, SVR_STORE_NAME_MAX}};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (t[i].value && strlen(t[i].value) >= t[i].max) {
			if (errors)
				svr_model_errors_add(errors, t[i].name, "longer than %zu bytes",
						     t[i].max - 1);
			return fail(err, errlen, SVR_STORE_INVALID, "the %s is too long",
				    t[i].name);
		}
	}
	return 0;
}

struct new_version {
	const char *kind;
	int64_t source_version;
	const char *author, *message, *ticket;
	bool clear_candidate;
};

/* Inside a transaction: stores text as the next version and makes it the running one. */
static int insert_version(struct svr_store *s, const struct new_version *nv, const char *text,
			  const char *sha, struct svr_store_commit *out, char *err, size_t errlen)
{
	int64_t serial = 0, version = 0;
	int rc = bump_serial(s, &serial, err, errlen);
	if (rc == 0)
		rc = run_value(s, "SELECT COALESCE(MAX(version), 0) + 1 FROM commits", 0, NULL,
			       &version, err, errlen);
	if (rc < 0)
		return rc;
	struct svr_store_commit c = {
	    .version = version, .at_ms = now_ms(), .source_version = nv->source_version};
	copy_text(c.author, sizeof(c.author), nv->author);
	copy_text(c.message, sizeof(c.message), nv->message);
	copy_text(c.ticket, sizeof(c.ticket), nv->ticket);
	copy_text(c.kind, sizeof(c.kind), nv->kind);
	copy_text(c.sha256, sizeof(c.sha256), sha);
	struct num v = num(version), at = num(c.at_ms), src = num(c.source_version);
	const char *p[] = {v.s, at.s, c.author, c.message, c.ticket, c.kind, src.s, sha, text};
	rc = run(s,
		 "INSERT INTO commits (version, at_ms, author, message, ticket, kind, "
		 "source_version, sha256, model) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
		 9, p, NULL, err, errlen);
	if (rc == 0)
		rc = run_value(s, "SELECT running FROM head WHERE id = 1", 0, NULL,
			       &c.previous_version, err, errlen);
	if (rc == 0)
		rc = run(s, "UPDATE head SET running = $1 WHERE id = 1", 1, p, NULL, err, errlen);
	/* Only the candidate that was committed: one put since it was read stays. */
	const char *committed[] = {text};
	if (rc == 0 && nv->clear_candidate)
		rc = run(s, "DELETE FROM candidate WHERE model = $1", 1, committed, NULL, err,
			 errlen);
	if (rc == 0 && out)
		*out = c;
	return rc;
}

/* Validates model, then stores it as the next version in one transaction. */
static int new_version(struct svr_store *s, const json_t *model, const struct new_version *nv,
		       struct svr_store_commit *out, struct svr_model_errors *errors, char *err,
		       size_t errlen)
{
	int rc = check_commit_texts(nv->author, nv->message, nv->ticket, errors, err, errlen);
	if (rc == 0)
		rc = check_model(model, errors, err, errlen);
	if (rc < 0)
		return rc;
	char *text = canonical_text(model);
	if (!text)
		return oom(err, errlen);
	char sha[65];
	sha256_hex(text, sha);
	pthread_mutex_lock(&s->mu);
	rc = tx_begin(s, err, errlen);
	if (rc == 0) {
		rc = insert_version(s, nv, text, sha, out, err, errlen);
		rc = tx_end(s, rc, true, err, errlen);
	}
	pthread_mutex_unlock(&s->mu);
	free(text);
	return rc;
}

int svr_store_commit(struct svr_store *s, const json_t *model, const char *author,
		     const char *message, const char *ticket, struct svr_store_commit *out,
		     struct svr_model_errors *errors, char *err, size_t errlen)
{
	ERRBUF();
	json_t *candidate = NULL;
	if (!model) {
		int rc = svr_store_candidate_get(s, &candidate, err, errlen);
		if (rc < 0)
			return rc;
		if (!candidate)
			return fail(err, errlen, SVR_STORE_NOT_FOUND, "%s",
				    "there is no candidate to commit");
	}
	struct new_version nv = {.kind = "commit",
				 .author = author,
				 .message = message,
				 .ticket = ticket,
				 .clear_candidate = candidate != NULL};
	int rc = new_version(s, model ? model : candidate, &nv, out, errors, err, errlen);
	json_decref(candidate);
	return rc;
}

int svr_store_rollback(struct svr_store *s, int64_t version, const char *author,
		       const char *message, const char *ticket, struct svr_store_commit *out,
		       struct svr_model_errors *errors, char *err, size_t errlen)
{
	ERRBUF();
	json_t *model = NULL;
	int rc = svr_store_version(s, version, NULL, &model, err, errlen);
	if (rc < 0)
		return rc;
	struct new_version nv = {.kind = "rollback",
				 .source_version = version,
				 .author = author,
				 .message = message,
				 .ticket = ticket};
	rc = new_version(s, model, &nv, out, errors, err, errlen);
	json_decref(model);
	return rc;
}

int svr_store_running(struct svr_store *s, struct svr_store_commit *info, json_t **model, char *err,
		      size_t errlen)
{
	ERRBUF();
	if (info)
		memset(info, 0, sizeof(*info));
	if (model)
		*model = NULL;
	pthread_mutex_lock(&s->mu);
	int64_t running = 0;
	int rc =
	    run_value(s, "SELECT running FROM head WHERE id = 1", 0, NULL, &running, err, errlen);
	if (rc == 0 && running > 0)
		rc = load_version(s, running, info, model, err, errlen);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int svr_store_version(struct svr_store *s, int64_t version, struct svr_store_commit *info,
		      json_t **model, char *err, size_t errlen)
{
	ERRBUF();
	if (model)
		*model = NULL;
	pthread_mutex_lock(&s->mu);
	int rc = load_version(s, version, info, model, err, errlen);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static int history_locked(struct svr_store *s, int64_t before, unsigned limit, json_t *list,
			  char *err, size_t errlen)
{
	char sql[256];
	snprintf(sql, sizeof(sql),
		 "SELECT %s FROM commits WHERE version < $1 ORDER BY version DESC "
		 "LIMIT CAST($2 AS BIGINT)",
		 commit_columns);
	struct num b = num(before > 0 ? before : INT64_MAX), l = num(limit);
	const char *p[] = {b.s, l.s};
	struct svr_rows r = {0};
	int rc = run(s, sql, 2, p, &r, err, errlen);
	for (unsigned i = 0; rc == 0 && i < r.nrows; i++) {
		struct svr_store_commit c;
		row_to_commit(&r, i, &c);
		if (json_array_append_new(list, commit_json(&c)) < 0)
			rc = oom(err, errlen);
	}
	svr_rows_free(&r);
	return rc;
}

int svr_store_history(struct svr_store *s, int64_t before, unsigned limit, json_t **list, char *err,
		      size_t errlen)
{
	ERRBUF();
	json_t *a = json_array();
	if (!a)
		return oom(err, errlen);
	pthread_mutex_lock(&s->mu);
	int rc = history_locked(s, before, limit, a, err, errlen);
	pthread_mutex_unlock(&s->mu);
	if (rc < 0) {
		json_decref(a);
		return rc;
	}
	*list = a;
	return 0;
}

int svr_store_diff(struct svr_store *s, int64_t from, int64_t to, json_t **list, char *err,
		   size_t errlen)
{
	ERRBUF();
	json_t *a = NULL, *b = NULL;
	int rc = svr_store_version(s, from, NULL, &a, err, errlen);
	if (rc == 0)
		rc = svr_store_version(s, to, NULL, &b, err, errlen);
	if (rc == 0) {
		*list = svr_model_diff(a, b);
		if (!*list)
			rc = oom(err, errlen);
	}
	json_decref(a);
	json_decref(b);
	return rc;
}

/* ---- proposals (change control) ---- */

/* The model comes last: its hash is the proposal's "sha256" (a commit's, of the same text). */
static const char proposal_columns[] =
    "id, state, kind, source_version, proposer, message, ticket, created_ms, base_version, "
    "apply_at_ms, approver, decided_ms, comment, version, serial, error, model";

static void row_to_proposal(const struct svr_rows *r, unsigned row, struct svr_store_proposal *p)
{
	memset(p, 0, sizeof(*p));
	p->id = to_i64(svr_rows_get(r, row, 0));
	copy_text(p->state, sizeof(p->state), svr_rows_get(r, row, 1));
	copy_text(p->kind, sizeof(p->kind), svr_rows_get(r, row, 2));
	p->source_version = to_i64(svr_rows_get(r, row, 3));
	copy_text(p->proposer, sizeof(p->proposer), svr_rows_get(r, row, 4));
	copy_text(p->message, sizeof(p->message), svr_rows_get(r, row, 5));
	copy_text(p->ticket, sizeof(p->ticket), svr_rows_get(r, row, 6));
	p->created_ms = to_i64(svr_rows_get(r, row, 7));
	p->base_version = to_i64(svr_rows_get(r, row, 8));
	p->apply_at_ms = to_i64(svr_rows_get(r, row, 9));
	copy_text(p->approver, sizeof(p->approver), svr_rows_get(r, row, 10));
	p->decided_ms = to_i64(svr_rows_get(r, row, 11));
	copy_text(p->comment, sizeof(p->comment), svr_rows_get(r, row, 12));
	p->version = to_i64(svr_rows_get(r, row, 13));
	p->serial = to_i64(svr_rows_get(r, row, 14));
	copy_text(p->error, sizeof(p->error), svr_rows_get(r, row, 15));
	const char *model = svr_rows_get(r, row, 16);
	if (model)
		sha256_hex(model, p->sha256);
}

/* A proposal and (model may be NULL) its model. Caller holds s->mu. */
static int load_proposal(struct svr_store *s, int64_t id, struct svr_store_proposal *p,
			 json_t **model, char *err, size_t errlen)
{
	char sql[512];
	snprintf(sql, sizeof(sql), "SELECT %s FROM proposals WHERE id = $1", proposal_columns);
	struct num n = num(id);
	const char *params[] = {n.s};
	struct svr_rows r = {0};
	int rc = run(s, sql, 1, params, &r, err, errlen);
	if (rc == 0 && r.nrows == 0)
		rc = fail(err, errlen, SVR_STORE_NOT_FOUND, "no proposal %s", n.s);
	if (rc == 0 && p)
		row_to_proposal(&r, 0, p);
	if (rc == 0 && model && !(*model = parse_stored(svr_rows_get(&r, 0, 16))))
		rc = fail(err, errlen, SVR_STORE_ERR, "proposal %s: the stored model is not JSON",
			  n.s);
	svr_rows_free(&r);
	return rc;
}

/* Inside a transaction: takes the head row (serialising with every commit and with other
 * conductors' proposals) and returns the running version. */
static int lock_head(struct svr_store *s, int64_t *running, char *err, size_t errlen)
{
	return run_value(s, "UPDATE head SET running = running WHERE id = 1 RETURNING running", 0,
			 NULL, running, err, errlen);
}

/* Inside a transaction (after lock_head): a ticket names one open proposal at most, so an ITSM
 * that maps its ticket to a proposal cannot approve the wrong one. */
static int ticket_free(struct svr_store *s, const char *ticket, char *err, size_t errlen)
{
	int64_t open = 0;
	const char *params[] = {ticket};
	if (!*ticket)
		return 0;
	int rc = run_value(s,
			   "SELECT COALESCE(MIN(id), 0) FROM proposals WHERE ticket = $1 AND "
			   "state IN ('proposed', 'approved', 'committing')",
			   1, params, &open, err, errlen);
	if (rc == 0 && open) {
		snprintf(err, errlen,
			 "ticket %s already has an open proposal (%lld): withdraw or decide it "
			 "first",
			 ticket, (long long)open);
		return SVR_STORE_EXISTS;
	}
	return rc;
}

static int proposal_insert(struct svr_store *s, struct svr_store_proposal *p, const char *text,
			   char *err, size_t errlen)
{
	int rc = lock_head(s, &p->base_version, err, errlen);
	if (rc == 0)
		rc = ticket_free(s, p->ticket, err, errlen);
	if (rc == 0)
		rc = run_value(s, "SELECT COALESCE(MAX(id), 0) + 1 FROM proposals", 0, NULL, &p->id,
			       err, errlen);
	if (rc < 0)
		return rc;
	struct num id = num(p->id), src = num(p->source_version), at = num(now_ms()),
		   base = num(p->base_version), apply = num(p->apply_at_ms);
	const char *params[] = {id.s,      p->kind, src.s,  p->proposer, p->message,
				p->ticket, at.s,    base.s, apply.s,     text};
	rc = run(s,
		 "INSERT INTO proposals (id, state, kind, source_version, proposer, message, "
		 "ticket, created_ms, base_version, apply_at_ms, approver, decided_ms, comment, "
		 "version, serial, error, model) VALUES ($1, 'proposed', $2, $3, $4, $5, $6, $7, "
		 "$8, $9, '', 0, '', 0, 0, '', $10)",
		 10, params, NULL, err, errlen);
	return rc ? rc : load_proposal(s, p->id, p, NULL, err, errlen);
}

int svr_store_proposal_add(struct svr_store *s, const json_t *model, struct svr_store_proposal *p,
			   struct svr_model_errors *errors, char *err, size_t errlen)
{
	ERRBUF();
	json_t *restored = NULL;
	int rc = 0;
	if (strcmp(p->kind, "rollback") == 0)
		rc = svr_store_version(s, p->source_version, NULL, &restored, err, errlen);
	else if (strcmp(p->kind, "commit") != 0 || !model)
		rc = fail(err, errlen, SVR_STORE_INVALID, "%s",
			  "a proposal is a commit with a model or a rollback");
	const json_t *m = restored ? restored : model;
	if (rc == 0)
		rc = check_commit_texts(p->proposer, p->message, p->ticket, errors, err, errlen);
	if (rc == 0)
		rc = check_model(m, errors, err, errlen);
	char *text = rc == 0 ? canonical_text(m) : NULL;
	if (rc == 0 && !text)
		rc = oom(err, errlen);
	json_decref(restored);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&s->mu);
	rc = tx_begin(s, err, errlen);
	if (rc == 0) {
		rc = proposal_insert(s, p, text, err, errlen);
		rc = tx_end(s, rc, false, err, errlen);
	}
	pthread_mutex_unlock(&s->mu);
	free(text);
	return rc;
}

int svr_store_proposal_get(struct svr_store *s, int64_t id, struct svr_store_proposal *p,
			   json_t **model, char *err, size_t errlen)
{
	ERRBUF();
	if (model)
		*model = NULL;
	pthread_mutex_lock(&s->mu);
	int rc = load_proposal(s, id, p, model, err, errlen);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int svr_store_proposals(struct svr_store *s, const char *state, int64_t before, unsigned limit,
			struct svr_store_proposal **list, size_t *n, char *err, size_t errlen)
{
	ERRBUF();
	char sql[512];
	snprintf(sql, sizeof(sql),
		 "SELECT %s FROM proposals WHERE ($1 = '' OR state = $1) AND id < $2 "
		 "ORDER BY id DESC LIMIT CAST($3 AS BIGINT)",
		 proposal_columns);
	struct num b = num(before > 0 ? before : INT64_MAX), l = num(limit);
	const char *params[] = {state ? state : "", b.s, l.s};
	struct svr_rows r = {0};
	pthread_mutex_lock(&s->mu);
	int rc = run(s, sql, 3, params, &r, err, errlen);
	pthread_mutex_unlock(&s->mu);
	struct svr_store_proposal *a = NULL;
	if (rc == 0 && r.nrows && !(a = calloc(r.nrows, sizeof(*a))))
		rc = oom(err, errlen);
	for (unsigned i = 0; rc == 0 && i < r.nrows; i++)
		row_to_proposal(&r, i, &a[i]);
	*list = rc == 0 ? a : NULL;
	*n = rc == 0 ? r.nrows : 0;
	if (rc < 0)
		free(a);
	svr_rows_free(&r);
	return rc;
}

/* Why a proposal was not in state from: NOT_FOUND, or CONFLICT naming its state (*p filled). */
static int not_in_state(struct svr_store *s, int64_t id, const char *from,
			struct svr_store_proposal *p, char *err, size_t errlen)
{
	int rc = load_proposal(s, id, p, NULL, err, errlen);
	if (rc < 0)
		return rc;
	snprintf(err, errlen, "proposal %lld is %s, not %s", (long long)id, p->state, from);
	return SVR_STORE_CONFLICT;
}

static int decide_locked(struct svr_store *s, int64_t id, const char *from, const char *to,
			 const char *who, const char *comment, int64_t now,
			 struct svr_store_proposal *p, char *err, size_t errlen)
{
	struct num n = num(id), at = num(now);
	const char *params[] = {n.s, from, to, who, comment ? comment : "", at.s};
	struct svr_rows r = {0};
	int rc = run(s,
		     "UPDATE proposals SET state = $3, approver = $4, comment = $5, "
		     "decided_ms = $6 WHERE id = $1 AND state = $2 RETURNING id",
		     6, params, &r, err, errlen);
	unsigned changed = r.nrows;
	svr_rows_free(&r);
	if (rc == 0 && changed == 0)
		return not_in_state(s, id, from, p, err, errlen);
	return rc ? rc : load_proposal(s, id, p, NULL, err, errlen);
}

int svr_store_proposal_decide(struct svr_store *s, int64_t id, const char *from, const char *to,
			      const char *who, const char *comment, int64_t now_ms,
			      struct svr_store_proposal *p, char *err, size_t errlen)
{
	ERRBUF();
	if ((comment && strlen(comment) >= SVR_STORE_MESSAGE_MAX) || !name_ok(who))
		return fail(err, errlen, SVR_STORE_INVALID, "%s",
			    "a decision needs a name and a comment of at most 1023 bytes");
	pthread_mutex_lock(&s->mu);
	int rc = tx_begin(s, err, errlen);
	if (rc == 0) {
		rc = decide_locked(s, id, from, to, who, comment, now_ms, p, err, errlen);
		/* A CONFLICT changed nothing: rolled back like any failure. */
		rc = tx_end(s, rc, false, err, errlen);
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

/* Marks a proposal in state from failed, with why; *marked (may be NULL) whether this call did
 * (of two conductors, one does). Caller holds s->mu, in a transaction or not. */
static int mark_failed(struct svr_store *s, int64_t id, const char *from, const char *why,
		       bool *marked, char *err, size_t errlen)
{
	struct num n = num(id);
	char text[SVR_STORE_MESSAGE_MAX];
	copy_text(text, sizeof(text), why);
	const char *params[] = {n.s, from, text};
	struct svr_rows r = {0};
	int rc = run(s,
		     "UPDATE proposals SET state = 'failed', error = $3 WHERE id = $1 AND "
		     "state = $2 RETURNING id",
		     3, params, &r, err, errlen);
	if (rc == 0 && marked)
		*marked = r.nrows > 0;
	svr_rows_free(&r);
	return rc;
}

int svr_store_proposal_fail(struct svr_store *s, int64_t id, const char *from, const char *why,
			    bool *marked, struct svr_store_proposal *p, char *err, size_t errlen)
{
	ERRBUF();
	bool local = false;
	marked = marked ? marked : &local;
	*marked = false;
	pthread_mutex_lock(&s->mu);
	int rc = mark_failed(s, id, from, why, marked, err, errlen);
	if (rc == 0 && p)
		rc = load_proposal(s, id, p, NULL, err, errlen);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

struct proposal_commit {
	int64_t id;
	const char *from, *approver, *comment;
	int64_t now;
	const char *text, *sha;
	struct svr_store_proposal *p;
	struct svr_store_commit *out;
	bool moved_serial;
	bool *failed; /* this call marked the proposal failed */
};

/* Inside a transaction: the claim, the base check, the new version, the proposal committed. A
 * moved base fails a scheduled proposal (kept: rc 0 and *conflict) and refuses an approval
 * (rolled back). */
static int proposal_commit_locked(struct svr_store *s, struct proposal_commit *pc, bool *conflict,
				  char *err, size_t errlen)
{
	int64_t running = 0, serial = 0;
	struct svr_store_proposal *p = pc->p;
	/* The head first: every commit is serialised on it, so running cannot move under us. */
	int rc = lock_head(s, &running, err, errlen);
	struct num n = num(pc->id);
	const char *claim[] = {n.s, pc->from};
	struct svr_rows r = {0};
	if (rc == 0)
		rc = run(s,
			 "UPDATE proposals SET state = 'committing' WHERE id = $1 AND state = $2 "
			 "RETURNING id",
			 2, claim, &r, err, errlen);
	unsigned claimed = r.nrows;
	svr_rows_free(&r);
	if (rc == 0 && claimed == 0)
		return not_in_state(s, pc->id, pc->from, p, err, errlen);
	if (rc == 0)
		rc = load_proposal(s, pc->id, p, NULL, err, errlen);
	if (rc < 0)
		return rc;
	if (running != p->base_version) {
		char why[256];
		snprintf(why, sizeof(why),
			 "the running version is %lld, not %lld (its base): propose it again",
			 (long long)running, (long long)p->base_version);
		*conflict = true;
		snprintf(err, errlen, "%s", why);
		if (strcmp(pc->from, "approved") != 0)
			return SVR_STORE_CONFLICT;
		rc = mark_failed(s, pc->id, "committing", why, pc->failed, err, errlen);
		if (rc == 0)
			snprintf(err, errlen, "%s", why);
		return rc ? rc : load_proposal(s, pc->id, p, NULL, err, errlen);
	}
	struct new_version nv = {.kind = p->kind,
				 .source_version = p->source_version,
				 .author = p->proposer,
				 .message = p->message,
				 .ticket = p->ticket,
				 .clear_candidate = strcmp(p->kind, "commit") == 0};
	rc = insert_version(s, &nv, pc->text, pc->sha, pc->out, err, errlen);
	if (rc == 0)
		rc = run_value(s, "SELECT seq FROM head WHERE id = 1", 0, NULL, &serial, err,
			       errlen);
	if (rc < 0)
		return rc;
	bool now = strcmp(pc->from, "proposed") == 0; /* approved and committed at once */
	struct num v = num(pc->out->version), sr = num(serial),
		   at = num(now ? pc->now : p->decided_ms);
	const char *done[] = {n.s,
			      v.s,
			      sr.s,
			      now ? pc->approver : p->approver,
			      now ? (pc->comment ? pc->comment : "") : p->comment,
			      at.s};
	rc = run(s,
		 "UPDATE proposals SET state = 'committed', version = $2, serial = $3, "
		 "approver = $4, comment = $5, decided_ms = $6 WHERE id = $1",
		 6, done, NULL, err, errlen);
	pc->moved_serial = rc == 0;
	return rc ? rc : load_proposal(s, pc->id, p, NULL, err, errlen);
}

/* Why a scheduled proposal's model failed: its first errors with their paths (the operator
 * reading the failed proposal learns where, not just how many). */
static void invalid_reason(const struct svr_model_errors *errors, const char *summary, char *why,
			   size_t len)
{
	size_t n = (size_t)snprintf(why, len, "its model no longer passes a commit's checks");
	for (unsigned i = 0; errors && i < errors->count && i < 3 && n < len; i++)
		n += (size_t)snprintf(why + n, len - n, "%s %s: %s", i ? ";" : ":",
				      errors->list[i].path, errors->list[i].message);
	if (errors && errors->count > 3 && n < len)
		snprintf(why + n, len - n, " (and %u more)", errors->count - 3);
	else if ((!errors || !errors->count) && n < len)
		snprintf(why + n, len - n, " (%s)", summary);
}

/* The proposal's model, checked as a commit's and as its canonical text; a scheduled one that
 * no longer passes is failed. */
static int proposal_text(struct svr_store *s, struct proposal_commit *pc,
			 struct svr_model_errors *errors, char **text, char *err, size_t errlen)
{
	json_t *model = NULL;
	int rc = svr_store_proposal_get(s, pc->id, pc->p, &model, err, errlen);
	if (rc == 0 && strcmp(pc->p->state, pc->from) != 0)
		rc = fail(err, errlen, SVR_STORE_CONFLICT, "the proposal is %s", pc->p->state);
	if (rc == 0)
		rc = check_model(model, errors, err, errlen);
	if (rc == SVR_STORE_INVALID && strcmp(pc->from, "approved") == 0) {
		char why[SVR_STORE_MESSAGE_MAX];
		invalid_reason(errors, err, why, sizeof(why));
		pthread_mutex_lock(&s->mu);
		char ignored[256];
		if (mark_failed(s, pc->id, "approved", why, pc->failed, ignored, sizeof(ignored)) ==
		    0)
			load_proposal(s, pc->id, pc->p, NULL, ignored, sizeof(ignored));
		pthread_mutex_unlock(&s->mu);
	}
	if (rc == 0 && !(*text = canonical_text(model)))
		rc = oom(err, errlen);
	json_decref(model);
	return rc;
}

int svr_store_proposal_commit(struct svr_store *s, int64_t id, const char *from,
			      const char *approver, const char *comment, int64_t now_ms,
			      struct svr_store_proposal *p, struct svr_store_commit *out,
			      struct svr_model_errors *errors, bool *failed, char *err,
			      size_t errlen)
{
	ERRBUF();
	struct svr_store_commit local;
	struct svr_model_errors own;
	char sha[65], *text = NULL;
	bool not_failed = false;
	failed = failed ? failed : &not_failed;
	*failed = false;
	struct proposal_commit pc = {.id = id,
				     .from = from,
				     .approver = approver ? approver : "",
				     .comment = comment,
				     .now = now_ms,
				     .sha = sha,
				     .p = p,
				     .out = out ? out : &local,
				     .failed = failed};
	if (comment && strlen(comment) >= SVR_STORE_MESSAGE_MAX)
		return fail(err, errlen, SVR_STORE_INVALID, "%s",
			    "the comment is longer than 1023 bytes");
	/* The errors are wanted for the failed proposal's reason even when the caller's are not. */
	svr_model_errors_init(&own);
	int rc = proposal_text(s, &pc, errors ? errors : &own, &text, err, errlen);
	svr_model_errors_free(&own);
	if (rc < 0)
		return rc;
	sha256_hex(text, sha);
	pc.text = text;
	bool conflict = false;
	pthread_mutex_lock(&s->mu);
	rc = tx_begin(s, err, errlen);
	if (rc == 0) {
		rc = proposal_commit_locked(s, &pc, &conflict, err, errlen);
		rc = tx_end(s, rc, pc.moved_serial, err, errlen);
	}
	pthread_mutex_unlock(&s->mu);
	free(text);
	return rc == 0 && conflict ? SVR_STORE_CONFLICT : rc;
}

int svr_store_proposals_due(struct svr_store *s, int64_t now_ms, int64_t *ids, size_t max,
			    size_t *n, char *err, size_t errlen)
{
	ERRBUF();
	struct num at = num(now_ms), l = num((int64_t)max);
	const char *params[] = {at.s, l.s};
	struct svr_rows r = {0};
	pthread_mutex_lock(&s->mu);
	int rc = run(s,
		     "SELECT id FROM proposals WHERE state = 'approved' AND apply_at_ms <= $1 "
		     "ORDER BY apply_at_ms, id LIMIT CAST($2 AS BIGINT)",
		     2, params, &r, err, errlen);
	pthread_mutex_unlock(&s->mu);
	*n = 0;
	for (unsigned i = 0; rc == 0 && i < r.nrows && i < max; i++)
		ids[(*n)++] = to_i64(svr_rows_get(&r, i, 0));
	svr_rows_free(&r);
	return rc;
}

int svr_store_approvers(struct svr_store *s, int64_t from, int64_t to, json_t **map, char *err,
			size_t errlen)
{
	ERRBUF();
	struct num a = num(from), b = num(to);
	const char *params[] = {a.s, b.s};
	struct svr_rows r = {0};
	json_t *o = json_object();
	if (!o)
		return oom(err, errlen);
	pthread_mutex_lock(&s->mu);
	int rc = run(s,
		     "SELECT version, approver FROM proposals WHERE state = 'committed' AND "
		     "version >= $1 AND version <= $2",
		     2, params, &r, err, errlen);
	pthread_mutex_unlock(&s->mu);
	for (unsigned i = 0; rc == 0 && i < r.nrows; i++)
		if (json_object_set_new(o, svr_rows_get(&r, i, 0),
					json_string(svr_rows_get(&r, i, 1))) < 0)
			rc = oom(err, errlen);
	svr_rows_free(&r);
	if (rc < 0) {
		json_decref(o);
		return rc;
	}
	*map = o;
	return 0;
}

/* ---- candidate ---- */

int svr_store_candidate_get(struct svr_store *s, json_t **model, char *err, size_t errlen)
{
	ERRBUF();
	*model = NULL;
	struct svr_rows r = {0};
	pthread_mutex_lock(&s->mu);
	int rc = run(s, "SELECT model FROM candidate WHERE id = 1", 0, NULL, &r, err, errlen);
	pthread_mutex_unlock(&s->mu);
	if (rc == 0 && r.nrows == 1) {
		*model = parse_stored(svr_rows_get(&r, 0, 0));
		if (!*model)
			rc = fail(err, errlen, SVR_STORE_ERR, "%s",
				  "the stored candidate is not JSON");
	}
	svr_rows_free(&r);
	return rc;
}

int svr_store_candidate_info(struct svr_store *s, char *author, size_t author_len, int64_t *at_ms,
			     char *err, size_t errlen)
{
	ERRBUF();
	struct svr_rows r = {0};
	*author = '\0';
	*at_ms = 0;
	pthread_mutex_lock(&s->mu);
	int rc =
	    run(s, "SELECT author, at_ms FROM candidate WHERE id = 1", 0, NULL, &r, err, errlen);
	pthread_mutex_unlock(&s->mu);
	if (rc == 0 && r.nrows == 1) {
		snprintf(author, author_len, "%s", svr_rows_get(&r, 0, 0));
		*at_ms = to_i64(svr_rows_get(&r, 0, 1));
		rc = 1;
	}
	svr_rows_free(&r);
	return rc;
}

int svr_store_candidate_put(struct svr_store *s, const json_t *model, const char *author, char *err,
			    size_t errlen)
{
	ERRBUF();
	char *text = canonical_text(model);
	if (!text)
		return fail(err, errlen, SVR_STORE_ERR, "%s",
			    "the candidate is not a JSON document");
	struct num at = num(now_ms());
	const char *p[] = {text, author ? author : "", at.s};
	pthread_mutex_lock(&s->mu);
	int rc = run(s,
		     "INSERT INTO candidate (id, model, author, at_ms) VALUES (1, $1, $2, $3) "
		     "ON CONFLICT (id) DO UPDATE SET model = excluded.model, "
		     "author = excluded.author, at_ms = excluded.at_ms",
		     3, p, NULL, err, errlen);
	pthread_mutex_unlock(&s->mu);
	free(text);
	return rc;
}

/* ---- export / import (docs/conductor.md, "Export") ---- */

static int export_versions(struct svr_store *s, json_t *versions, char *err, size_t errlen)
{
	char sql[256];
	snprintf(sql, sizeof(sql), "SELECT %s, model FROM commits ORDER BY version",
		 commit_columns);
	struct svr_rows r = {0};
	int rc = run(s, sql, 0, NULL, &r, err, errlen);
	for (unsigned i = 0; rc == 0 && i < r.nrows; i++) {
		struct svr_store_commit c;
		row_to_commit(&r, i, &c);
		json_t *v = commit_json(&c), *m = parse_stored(svr_rows_get(&r, i, 8));
		if (!v || !m || json_object_set_new(v, "model", m) < 0 ||
		    json_array_append_new(versions, v) < 0)
			rc = fail(err, errlen, SVR_STORE_ERR, "version %s cannot be exported",
				  svr_rows_get(&r, i, 0));
	}
	svr_rows_free(&r);
	return rc;
}

static int export_candidate(struct svr_store *s, json_t *doc, char *err, size_t errlen)
{
	struct svr_rows r = {0};
	int rc = run(s, "SELECT model, author, at_ms FROM candidate WHERE id = 1", 0, NULL, &r, err,
		     errlen);
	json_t *c = json_null();
	if (rc == 0 && r.nrows == 1)
		c = json_pack("{so* ss sI}", "model", parse_stored(svr_rows_get(&r, 0, 0)),
			      "author", svr_rows_get(&r, 0, 1), "at-ms",
			      (json_int_t)to_i64(svr_rows_get(&r, 0, 2)));
	svr_rows_free(&r);
	if (rc == 0 && json_object_set_new(doc, "candidate", c) < 0)
		rc = oom(err, errlen);
	return rc;
}

static int export_routers(struct svr_store *s, json_t *routers, char *err, size_t errlen)
{
	struct svr_rows r = {0};
	int rc =
	    run(s, "SELECT name, asset_id FROM routers ORDER BY name", 0, NULL, &r, err, errlen);
	for (unsigned i = 0; rc == 0 && i < r.nrows; i++)
		if (json_array_append_new(routers,
					  json_pack("{ss ss}", "name", svr_rows_get(&r, i, 0),
						    "asset-id", svr_rows_get(&r, i, 1))) < 0)
			rc = oom(err, errlen);
	svr_rows_free(&r);
	return rc;
}

static int export_locked(struct svr_store *s, json_t *doc, char *err, size_t errlen)
{
	int64_t running = 0;
	json_t *versions = json_array(), *routers = json_array();
	int rc =
	    run_value(s, "SELECT running FROM head WHERE id = 1", 0, NULL, &running, err, errlen);
	if (rc == 0 && (json_object_set_new(doc, "running", json_integer(running)) < 0 ||
			json_object_set(doc, "versions", versions) < 0 ||
			json_object_set(doc, "routers", routers) < 0))
		rc = oom(err, errlen);
	if (rc == 0)
		rc = export_versions(s, versions, err, errlen);
	if (rc == 0)
		rc = export_candidate(s, doc, err, errlen);
	if (rc == 0)
		rc = export_routers(s, routers, err, errlen);
	json_decref(versions);
	json_decref(routers);
	return rc;
}

int svr_store_export(struct svr_store *s, json_t **doc, char *err, size_t errlen)
{
	ERRBUF();
	json_t *d = json_pack("{ss si sI}", "format", EXPORT_FORMAT, "format-version", 1,
			      "exported-ms", (json_int_t)now_ms());
	if (!d)
		return oom(err, errlen);
	pthread_mutex_lock(&s->mu);
	/* One transaction, so the document is one moment of the store. */
	int rc = tx_begin(s, err, errlen);
	if (rc == 0) {
		rc = export_locked(s, d, err, errlen);
		rc = tx_end(s, rc, false, err, errlen);
	}
	pthread_mutex_unlock(&s->mu);
	if (rc < 0) {
		json_decref(d);
		return rc;
	}
	*doc = d;
	return 0;
}

/* A string member of an imported object, with a length limit; NULL (and err) when wrong. */
static const char *import_text(const json_t *o, const char *key, size_t max, const char *where,
			       char *err, size_t errlen)
{
	const json_t *v = json_object_get(o, key);
	if (json_is_string(v) && json_string_length(v) < max)
		return json_string_value(v);
	snprintf(err, errlen, "%s.%s: must be a string shorter than %zu bytes", where, key, max);
	return NULL;
}

static int import_version(struct svr_store *s, const json_t *v, size_t i, char *err, size_t errlen)
{
	char where[64];
	snprintf(where, sizeof(where), "versions[%zu]", i);
	const json_t *model = json_object_get(v, "model");
	json_int_t version = json_integer_value(json_object_get(v, "version"));
	json_int_t at = json_integer_value(json_object_get(v, "at-ms"));
	json_int_t src = json_integer_value(json_object_get(v, "source-version"));
	const char *author = import_text(v, "author", SVR_STORE_NAME_MAX, where, err, errlen);
	const char *message = import_text(v, "message", SVR_STORE_MESSAGE_MAX, where, err, errlen);
	const char *ticket = import_text(v, "ticket", SVR_STORE_NAME_MAX, where, err, errlen);
	const char *kind = import_text(v, "kind", 16, where, err, errlen);
	const char *sha = import_text(v, "sha256", 65, where, err, errlen);
	if (!author || !message || !ticket || !kind || !sha)
		return SVR_STORE_INVALID;
	if (strcmp(kind, "commit") != 0 && strcmp(kind, "rollback") != 0)
		return fail(err, errlen, SVR_STORE_INVALID, "%s.kind: must be commit or rollback",
			    where);
	if (version != (json_int_t)i + 1)
		return fail(err, errlen, SVR_STORE_INVALID,
			    "%s.version: versions must be 1, 2, ... in order", where);
	if (!json_is_object(model))
		return fail(err, errlen, SVR_STORE_INVALID, "%s.model: must be an object", where);
	char *text = canonical_text(model);
	if (!text)
		return oom(err, errlen);
	char hash[65];
	sha256_hex(text, hash);
	int rc = 0;
	if (strcmp(hash, sha) != 0) {
		rc = fail(err, errlen, SVR_STORE_INVALID,
			  "%s.sha256: does not match the model (the export was altered)", where);
	} else {
		struct num nv = num(version), nat = num(at), nsrc = num(src);
		const char *p[] = {nv.s, nat.s, author, message, ticket, kind, nsrc.s, sha, text};
		rc = run(
		    s,
		    "INSERT INTO commits (version, at_ms, author, message, ticket, kind, "
		    "source_version, sha256, model) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
		    9, p, NULL, err, errlen);
	}
	free(text);
	return rc;
}

static int import_candidate(struct svr_store *s, const json_t *c, char *err, size_t errlen)
{
	if (!c || json_is_null(c))
		return 0;
	const char *author = import_text(c, "author", SVR_STORE_NAME_MAX, "candidate", err, errlen);
	const json_t *model = json_object_get(c, "model");
	if (!author)
		return SVR_STORE_INVALID;
	char *text = model ? canonical_text(model) : NULL;
	if (!text)
		return fail(err, errlen, SVR_STORE_INVALID, "%s",
			    "candidate.model: must be a JSON document");
	struct num at = num(json_integer_value(json_object_get(c, "at-ms")));
	const char *p[] = {text, author, at.s};
	int rc = run(s, "INSERT INTO candidate (id, model, author, at_ms) VALUES (1, $1, $2, $3)",
		     3, p, NULL, err, errlen);
	free(text);
	return rc;
}

static int import_router(struct svr_store *s, const json_t *r, size_t i, char *err, size_t errlen)
{
	char where[64];
	snprintf(where, sizeof(where), "routers[%zu]", i);
	const char *name = import_text(r, "name", SVR_STORE_NAME_MAX, where, err, errlen);
	const char *asset = import_text(r, "asset-id", SVR_STORE_NAME_MAX, where, err, errlen);
	if (!name || !asset)
		return SVR_STORE_INVALID;
	if (!svr_model_router_name_valid(name)) {
		snprintf(err, errlen, "%s.name: \"%s\" is not a router name (docs/model.md)", where,
			 name);
		return SVR_STORE_INVALID;
	}
	const char *p[] = {name, asset};
	return run(s,
		   "INSERT INTO routers (name, asset_id, enrolled_ms, applied_version, "
		   "applied_serial, last_seen_ms) VALUES ($1, $2, 0, 0, 0, 0)",
		   2, p, NULL, err, errlen);
}

/* Inside a transaction: refuses a store that has versions or routers already. */
static int import_check_empty(struct svr_store *s, char *err, size_t errlen)
{
	int64_t n = 0;
	int rc =
	    run_value(s, "SELECT (SELECT COUNT(*) FROM commits) + (SELECT COUNT(*) FROM routers)",
		      0, NULL, &n, err, errlen);
	if (rc == 0 && n > 0)
		rc = fail(err, errlen, SVR_STORE_EXISTS, "%s",
			  "the store is not empty: import loads only into an empty store");
	return rc;
}

/*
 * The running version is what every router is sent at once: it must pass the checks a commit
 * passes (an export is a file anyone may have edited, and its sha256 fields prove nothing then).
 * Older versions are checked when a rollback makes one of them a new commit.
 */
static int import_check_running(const json_t *v, json_int_t running, char *err, size_t errlen)
{
	if (running == 0)
		return 0;
	const json_t *model = json_object_get(v, "model");
	if (!json_is_object(model)) {
		snprintf(err, errlen, "versions[%lld].model: must be an object",
			 (long long)running - 1);
		return SVR_STORE_INVALID;
	}
	struct svr_model_errors e;
	svr_model_errors_init(&e);
	int rc = 0;
	if (check_model(model, &e, err, errlen) < 0) {
		snprintf(
		    err, errlen,
		    "versions[%lld].model: the running version does not pass a commit's checks "
		    "(%u error%s, the first: %s: %s)",
		    (long long)running - 1, e.count, e.count == 1 ? "" : "s", e.list[0].path,
		    e.list[0].message);
		rc = SVR_STORE_INVALID;
	}
	svr_model_errors_free(&e);
	return rc;
}

static int import_locked(struct svr_store *s, const json_t *doc, char *err, size_t errlen)
{
	const json_t *versions = json_object_get(doc, "versions");
	const json_t *routers = json_object_get(doc, "routers");
	json_int_t running = json_integer_value(json_object_get(doc, "running"));
	const char *format = json_string_value(json_object_get(doc, "format"));
	if (!format || strcmp(format, EXPORT_FORMAT) != 0 ||
	    json_integer_value(json_object_get(doc, "format-version")) != 1)
		return fail(err, errlen, SVR_STORE_INVALID, "%s",
			    "format: not a conductor export (format-version 1)");
	if (!json_is_array(versions) || !json_is_array(routers))
		return fail(err, errlen, SVR_STORE_INVALID, "%s",
			    "versions and routers must be arrays");
	if (running < 0 || (size_t)running > json_array_size(versions) ||
	    (running == 0 && json_array_size(versions) > 0))
		return fail(err, errlen, SVR_STORE_INVALID, "%s",
			    "running: must be one of the versions (0 when there are none)");
	int rc = import_check_running(json_array_get(versions, (size_t)running - 1), running, err,
				      errlen);
	if (rc == 0)
		rc = import_check_empty(s, err, errlen);
	size_t i;
	const json_t *v;
	json_array_foreach (versions, i, v)
		if (rc == 0)
			rc = import_version(s, v, i, err, errlen);
	json_array_foreach (routers, i, v)
		if (rc == 0)
			rc = import_router(s, v, i, err, errlen);
	if (rc == 0)
		rc = import_candidate(s, json_object_get(doc, "candidate"), err, errlen);
	if (rc == 0)
		rc = bump_serial(s, NULL, err, errlen);
	if (rc == 0) {
		struct num r = num(running);
		const char *p[] = {r.s};
		rc = run(s, "UPDATE head SET running = $1 WHERE id = 1", 1, p, NULL, err, errlen);
	}
	return rc;
}

int svr_store_import(struct svr_store *s, const json_t *doc, char *err, size_t errlen)
{
	ERRBUF();
	pthread_mutex_lock(&s->mu);
	int rc = tx_begin(s, err, errlen);
	if (rc == 0) {
		rc = import_locked(s, doc, err, errlen);
		rc = tx_end(s, rc, true, err, errlen);
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

/* ---- routers ---- */

int svr_store_router_add(struct svr_store *s, const char *name, const char *asset_id, char *err,
			 size_t errlen)
{
	ERRBUF();
	if (!name_ok(name) || (asset_id && strlen(asset_id) >= SVR_STORE_NAME_MAX))
		return fail(err, errlen, SVR_STORE_INVALID, "%s",
			    "a router needs a name and an asset id of at most 127 bytes");
	const char *p[] = {name, asset_id ? asset_id : ""};
	pthread_mutex_lock(&s->mu);
	int rc = run(s,
		     "INSERT INTO routers (name, asset_id, enrolled_ms, applied_version, "
		     "applied_serial, last_seen_ms) VALUES ($1, $2, 0, 0, 0, 0)",
		     2, p, NULL, err, errlen);
	pthread_mutex_unlock(&s->mu);
	if (rc == SVR_STORE_EXISTS)
		snprintf(err, errlen, "router \"%s\" exists", name);
	return rc;
}

int svr_store_router_delete(struct svr_store *s, const char *name, char *err, size_t errlen)
{
	ERRBUF();
	const char *p[] = {name};
	struct svr_rows r = {0};
	pthread_mutex_lock(&s->mu);
	int rc =
	    run(s, "DELETE FROM routers WHERE name = $1 RETURNING name", 1, p, &r, err, errlen);
	pthread_mutex_unlock(&s->mu);
	if (rc == 0 && r.nrows == 0)
		rc = fail(err, errlen, SVR_STORE_NOT_FOUND, "no router \"%s\"", name);
	svr_rows_free(&r);
	return rc;
}

static const char router_columns[] = "SELECT name, asset_id, enrolled_ms, applied_version, "
				     "applied_serial, last_seen_ms, status FROM routers";

static json_t *router_json(const struct svr_rows *r, unsigned i)
{
	json_t *status = parse_stored(svr_rows_get(r, i, 6));
	return json_pack(
	    "{ss ss sI sI sI sI so}", "name", svr_rows_get(r, i, 0), "asset-id",
	    svr_rows_get(r, i, 1), "enrolled-ms", (json_int_t)to_i64(svr_rows_get(r, i, 2)),
	    "applied-version", (json_int_t)to_i64(svr_rows_get(r, i, 3)), "applied-serial",
	    (json_int_t)to_i64(svr_rows_get(r, i, 4)), "last-seen-ms",
	    (json_int_t)to_i64(svr_rows_get(r, i, 5)), "status", status ? status : json_null());
}

static int query_routers(struct svr_store *s, const char *name, json_t *list, char *err,
			 size_t errlen)
{
	char sql[256];
	snprintf(sql, sizeof(sql), "%s %s", router_columns,
		 name ? "WHERE name = $1" : "ORDER BY name");
	const char *p[] = {name};
	struct svr_rows r = {0};
	pthread_mutex_lock(&s->mu);
	int rc = run(s, sql, name ? 1 : 0, p, &r, err, errlen);
	pthread_mutex_unlock(&s->mu);
	for (unsigned i = 0; rc == 0 && i < r.nrows; i++)
		if (json_array_append_new(list, router_json(&r, i)) < 0)
			rc = oom(err, errlen);
	svr_rows_free(&r);
	return rc;
}

int svr_store_routers(struct svr_store *s, json_t **list, char *err, size_t errlen)
{
	ERRBUF();
	json_t *a = json_array();
	if (!a)
		return oom(err, errlen);
	int rc = query_routers(s, NULL, a, err, errlen);
	if (rc < 0) {
		json_decref(a);
		return rc;
	}
	*list = a;
	return 0;
}

int svr_store_router_get(struct svr_store *s, const char *name, json_t **router, char *err,
			 size_t errlen)
{
	ERRBUF();
	json_t *a = json_array();
	if (!a)
		return oom(err, errlen);
	int rc = query_routers(s, name, a, err, errlen);
	if (rc == 0 && json_array_size(a) == 0)
		rc = fail(err, errlen, SVR_STORE_NOT_FOUND, "no router \"%s\"", name);
	if (rc == 0)
		*router = json_incref(json_array_get(a, 0));
	json_decref(a);
	return rc;
}

int svr_store_token_add(struct svr_store *s, const char *router, const char *token_sha256,
			int64_t expires_ms, char *err, size_t errlen)
{
	ERRBUF();
	struct num exp = num(expires_ms);
	const char *p[] = {token_sha256, router, exp.s};
	pthread_mutex_lock(&s->mu);
	int rc = run(s,
		     "INSERT INTO enrol_tokens (token_sha256, router, expires_ms, used_ms) "
		     "VALUES ($1, $2, $3, 0)",
		     3, p, NULL, err, errlen);
	pthread_mutex_unlock(&s->mu);
	if (rc == SVR_STORE_NOT_FOUND)
		snprintf(err, errlen, "no router \"%s\"", router);
	return rc;
}

/* Why a token was refused: unknown or another router's (NOT_FOUND), else used or expired. */
static int token_refusal(struct svr_store *s, const char *router, const char *token_sha256,
			 char *err, size_t errlen)
{
	const char *p[] = {token_sha256, router};
	int64_t found = 0;
	int rc = run_value(
	    s, "SELECT COUNT(*) FROM enrol_tokens WHERE token_sha256 = $1 AND router = $2", 2, p,
	    &found, err, errlen);
	if (rc < 0)
		return rc;
	if (found == 0)
		return fail(err, errlen, SVR_STORE_NOT_FOUND, "no such token for router \"%s\"",
			    router);
	return fail(err, errlen, SVR_STORE_EXPIRED,
		    "the token for router \"%s\" was used or has expired", router);
}

/* Inside a transaction: marks the token used, then enrols the router. The check and the mark are
 * one conditional UPDATE, so two conductors presenting one token at once cannot both succeed:
 * under READ COMMITTED the second waits for the first's row lock, then re-checks its WHERE on the
 * committed row (used_ms no longer 0) and changes nothing. */
static int token_use_locked(struct svr_store *s, const char *router, const char *token_sha256,
			    const char *credential_sha256, int64_t now, char *err, size_t errlen)
{
	struct num n = num(now);
	const char *use[] = {token_sha256, router, n.s};
	struct svr_rows r = {0};
	int rc = run(s,
		     "UPDATE enrol_tokens SET used_ms = $3 WHERE token_sha256 = $1 AND router = $2 "
		     "AND used_ms = 0 AND expires_ms > $3 RETURNING router",
		     3, use, &r, err, errlen);
	unsigned marked = r.nrows;
	svr_rows_free(&r);
	if (rc < 0)
		return rc;
	if (marked != 1)
		return token_refusal(s, router, token_sha256, err, errlen);
	/* The router's other tokens die with this enrolment: one left over would let its holder
	 * enrol again, take the router's place and read its keys. */
	const char *rest[] = {router, n.s};
	rc = run(s, "UPDATE enrol_tokens SET used_ms = $2 WHERE router = $1 AND used_ms = 0", 2,
		 rest, NULL, err, errlen);
	if (rc < 0)
		return rc;
	const char *enrol[] = {router, credential_sha256, n.s};
	return run(s, "UPDATE routers SET cred_sha256 = $2, enrolled_ms = $3 WHERE name = $1", 3,
		   enrol, NULL, err, errlen);
}

int svr_store_token_use(struct svr_store *s, const char *router, const char *token_sha256,
			const char *credential_sha256, int64_t now_ms, char *err, size_t errlen)
{
	ERRBUF();
	pthread_mutex_lock(&s->mu);
	int rc = tx_begin(s, err, errlen);
	if (rc == 0) {
		rc = token_use_locked(s, router, token_sha256, credential_sha256, now_ms, err,
				      errlen);
		rc = tx_end(s, rc, false, err, errlen);
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int svr_store_router_by_credential(struct svr_store *s, const char *credential_sha256, char *name,
				   size_t namelen, char *err, size_t errlen)
{
	ERRBUF();
	const char *p[] = {credential_sha256};
	struct svr_rows r = {0};
	pthread_mutex_lock(&s->mu);
	int rc = run(s, "SELECT name FROM routers WHERE cred_sha256 = $1", 1, p, &r, err, errlen);
	pthread_mutex_unlock(&s->mu);
	if (rc == 0 && r.nrows == 0)
		rc = fail(err, errlen, SVR_STORE_NOT_FOUND, "%s", "no router has this credential");
	if (rc == 0)
		copy_text(name, namelen, svr_rows_get(&r, 0, 0));
	svr_rows_free(&r);
	return rc;
}

int svr_store_router_report(struct svr_store *s, const char *name, const json_t *status,
			    int64_t applied_version, int64_t applied_serial, int64_t now_ms,
			    char *err, size_t errlen)
{
	ERRBUF();
	char *text = status ? json_dumps(status, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	if (status && !text)
		return oom(err, errlen);
	struct num v = num(applied_version), sr = num(applied_serial), seen = num(now_ms);
	const char *p[] = {name, text, v.s, sr.s, seen.s};
	struct svr_rows r = {0};
	pthread_mutex_lock(&s->mu);
	/* 2,000 routers acknowledge a commit within seconds: waiting for the disk on each report
	 * made the acknowledgements queue behind one another (backend.h, lazy_on). */
	int rc = run(s, s->b->ops->lazy_on, 0, NULL, NULL, err, errlen);
	if (rc == 0)
		rc = run(
		    s,
		    "UPDATE routers SET status = $2, applied_version = $3, applied_serial = $4, "
		    "last_seen_ms = $5 WHERE name = $1 RETURNING name",
		    5, p, &r, err, errlen);
	int off = run(s, s->b->ops->lazy_off, 0, NULL, NULL, err, errlen);
	rc = rc ? rc : off;
	pthread_mutex_unlock(&s->mu);
	if (rc == 0 && r.nrows == 0)
		rc = fail(err, errlen, SVR_STORE_NOT_FOUND, "no router \"%s\"", name);
	svr_rows_free(&r);
	free(text);
	return rc;
}

/* ---- router commands ---- */

static const char command_columns[] =
    "SELECT id, router, command, args, state, result, created_ms, sent_ms, done_ms "
    "FROM router_commands";

/* A time column: null while 0 (not reached). */
static json_t *time_or_null(const char *v)
{
	int64_t ms = to_i64(v);
	return ms ? json_integer(ms) : json_null();
}

static json_t *command_json(const struct svr_rows *r, unsigned i)
{
	json_t *args = parse_stored(svr_rows_get(r, i, 3));
	json_t *result = parse_stored(svr_rows_get(r, i, 5));
	return json_pack("{sI ss ss so ss so sI so so}", "id",
			 (json_int_t)to_i64(svr_rows_get(r, i, 0)), "router", svr_rows_get(r, i, 1),
			 "command", svr_rows_get(r, i, 2), "args", args ? args : json_object(),
			 "state", svr_rows_get(r, i, 4), "result", result ? result : json_null(),
			 "created-ms", (json_int_t)to_i64(svr_rows_get(r, i, 6)), "sent-ms",
			 time_or_null(svr_rows_get(r, i, 7)), "done-ms",
			 time_or_null(svr_rows_get(r, i, 8)));
}

/* Caller holds s->mu. */
static int command_read(struct svr_store *s, int64_t id, json_t **out, char *err, size_t errlen)
{
	char sql[256];
	snprintf(sql, sizeof(sql), "%s WHERE id = $1", command_columns);
	struct num n = num(id);
	const char *p[] = {n.s};
	struct svr_rows r = {0};
	int rc = run(s, sql, 1, p, &r, err, errlen);
	if (rc == 0 && r.nrows == 0)
		rc = fail(err, errlen, SVR_STORE_NOT_FOUND, "no command %s", n.s);
	if (rc == 0 && !(*out = command_json(&r, 0)))
		rc = oom(err, errlen);
	svr_rows_free(&r);
	return rc;
}

/* Inside a transaction: the next command id (meta 'command-seq', its row lock serialising two
 * conductors), then the row. */
static int command_insert(struct svr_store *s, const char *router, const char *command,
			  const char *args, int64_t now_ms, int64_t *id, char *err, size_t errlen)
{
	int rc = run(s,
		     "INSERT INTO meta (k, v) VALUES ('command-seq', '0') ON CONFLICT (k) DO "
		     "NOTHING",
		     0, NULL, NULL, err, errlen);
	if (rc == 0)
		rc = run_value(s,
			       "UPDATE meta SET v = CAST(CAST(v AS BIGINT) + 1 AS TEXT) "
			       "WHERE k = 'command-seq' RETURNING v",
			       0, NULL, id, err, errlen);
	if (rc < 0)
		return rc;
	/* after the meta row lock: two conductors adding at once see each other's row */
	int64_t pending = 0;
	const char *which[] = {router, command};
	rc =
	    run_value(s,
		      "SELECT COUNT(*) FROM router_commands WHERE router = $1 AND command = $2 AND "
		      "state = 'pending'",
		      2, which, &pending, err, errlen);
	if (rc == 0 && pending) {
		snprintf(err, errlen,
			 "router \"%s\" has a %s command pending already (one at a time)", router,
			 command);
		rc = SVR_STORE_CONFLICT;
	}
	if (rc < 0)
		return rc;
	struct num n = num(*id), at = num(now_ms);
	const char *p[] = {n.s, router, command, args, at.s};
	rc = run(s,
		 "INSERT INTO router_commands (id, router, command, args, state, result, "
		 "created_ms, sent_ms, done_ms) VALUES ($1, $2, $3, $4, 'pending', NULL, $5, 0, 0)",
		 5, p, NULL, err, errlen);
	if (rc == SVR_STORE_NOT_FOUND)
		snprintf(err, errlen, "no router \"%s\"", router);
	return rc;
}

int svr_store_command_add(struct svr_store *s, const char *router, const char *command,
			  const json_t *args, int64_t now_ms, json_t **out, char *err,
			  size_t errlen)
{
	ERRBUF();
	if (!name_ok(router) || !command || !command[0] ||
	    strlen(command) >= SVR_STORE_COMMAND_MAX || !json_is_object(args))
		return fail(
		    err, errlen, SVR_STORE_INVALID, "%s",
		    "a command needs a router, a name of at most 31 bytes and arguments (an "
		    "object)");
	char *text = json_dumps(args, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text)
		return oom(err, errlen);
	int64_t id = 0;
	pthread_mutex_lock(&s->mu);
	int rc = tx_begin(s, err, errlen);
	if (rc == 0) {
		rc = command_insert(s, router, command, text, now_ms, &id, err, errlen);
		rc = tx_end(s, rc, false, err, errlen);
	}
	if (rc == 0 && out)
		rc = command_read(s, id, out, err, errlen);
	pthread_mutex_unlock(&s->mu);
	free(text);
	return rc;
}

int svr_store_command_get(struct svr_store *s, int64_t id, json_t **out, char *err, size_t errlen)
{
	ERRBUF();
	pthread_mutex_lock(&s->mu);
	int rc = command_read(s, id, out, err, errlen);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

struct taken {
	int64_t id;
	unsigned row;
};

static int taken_cmp(const void *a, const void *b)
{
	int64_t x = ((const struct taken *)a)->id, y = ((const struct taken *)b)->id;
	return (x > y) - (x < y);
}

int svr_store_commands_take(struct svr_store *s, const char *router, int64_t now_ms,
			    int64_t created_after_ms, unsigned max, json_t **list, char *err,
			    size_t errlen)
{
	ERRBUF();
	json_t *a = json_array();
	if (!a)
		return oom(err, errlen);
	struct num at = num(now_ms), after = num(created_after_ms), lim = num(max);
	const char *p[] = {router, at.s, after.s, lim.s};
	struct svr_rows r = {0};
	pthread_mutex_lock(&s->mu);
	/* sent_ms = 0 in the outer WHERE too: PostgreSQL re-checks it on a row another
	 * conductor's take updated meanwhile, so each command is still handed out once */
	int rc =
	    run(s,
		"UPDATE router_commands SET sent_ms = $2 WHERE sent_ms = 0 AND id IN (SELECT "
		"id FROM router_commands WHERE router = $1 AND state = 'pending' AND sent_ms = "
		"0 AND created_ms > $3 ORDER BY id LIMIT $4) RETURNING id, command, args",
		4, p, &r, err, errlen);
	pthread_mutex_unlock(&s->mu);
	/* RETURNING gives no order: the oldest first, as they were asked for */
	struct taken *order = r.nrows ? calloc(r.nrows, sizeof(*order)) : NULL;
	if (r.nrows && !order)
		rc = oom(err, errlen);
	for (unsigned i = 0; rc == 0 && i < r.nrows; i++)
		order[i] = (struct taken){to_i64(svr_rows_get(&r, i, 0)), i};
	if (order)
		qsort(order, r.nrows, sizeof(*order), taken_cmp);
	for (unsigned k = 0; rc == 0 && k < r.nrows; k++) {
		unsigned i = order[k].row;
		json_t *args = parse_stored(svr_rows_get(&r, i, 2));
		if (json_array_append_new(a, json_pack("{sI ss so}", "id", (json_int_t)order[k].id,
						       "command", svr_rows_get(&r, i, 1), "args",
						       args ? args : json_object())) < 0)
			rc = oom(err, errlen);
	}
	free(order);
	svr_rows_free(&r);
	if (rc < 0) {
		json_decref(a);
		return rc;
	}
	*list = a;
	return 0;
}

int svr_store_command_finish(struct svr_store *s, int64_t id, const char *router, const char *state,
			     const json_t *result, int64_t now_ms, char *err, size_t errlen)
{
	ERRBUF();
	if (!state || (strcmp(state, "done") != 0 && strcmp(state, "failed") != 0) ||
	    !json_is_object(result))
		return fail(err, errlen, SVR_STORE_INVALID, "%s",
			    "a command ends \"done\" or \"failed\", with a result (an object)");
	char *text = json_dumps(result, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text)
		return oom(err, errlen);
	struct num n = num(id), at = num(now_ms);
	const char *p[] = {n.s, router, state, text, at.s};
	const char *which[] = {n.s, router};
	struct svr_rows r = {0};
	int64_t found = 0; /* 0: no such command of router's; 1: ended; 2: not handed out */
	pthread_mutex_lock(&s->mu);
	/* Conditional: a command failed for want of an answer stays failed, and only one handed
	 * out can have a result (a router cannot finish what it was never sent). */
	int rc = run(s,
		     "UPDATE router_commands SET state = $3, result = $4, done_ms = $5 "
		     "WHERE id = $1 AND router = $2 AND state = 'pending' AND sent_ms > 0 "
		     "RETURNING id",
		     5, p, &r, err, errlen);
	if (rc == 0 && r.nrows == 0) {
		rc = run_value(s,
			       "SELECT CASE WHEN state <> 'pending' THEN 1 ELSE 2 END FROM "
			       "router_commands WHERE id = $1 AND router = $2",
			       2, which, &found, err, errlen);
		if (rc == SVR_STORE_NOT_FOUND)
			rc = 0;
	}
	pthread_mutex_unlock(&s->mu);
	if (rc == 0 && r.nrows == 0) {
		rc = found ? SVR_STORE_EXPIRED : SVR_STORE_NOT_FOUND;
		if (found == 1)
			snprintf(err, errlen, "command %s has ended already", n.s);
		else if (found == 2)
			snprintf(err, errlen, "command %s has not been handed out to router \"%s\"",
				 n.s, router);
		else
			snprintf(err, errlen, "router \"%s\" has no command %s", router, n.s);
	}
	svr_rows_free(&r);
	free(text);
	return rc;
}

int svr_store_commands_expire(struct svr_store *s, int64_t stale_ms, int64_t forget_ms,
			      int64_t now_ms, unsigned *failed, char *err, size_t errlen)
{
	ERRBUF();
	struct num stale = num(stale_ms), forget = num(forget_ms), at = num(now_ms);
	const char *p[] = {stale.s, at.s};
	const char *q[] = {forget.s};
	struct svr_rows r = {0};
	pthread_mutex_lock(&s->mu);
	int rc = run(s,
		     "UPDATE router_commands SET state = 'failed', done_ms = $2, result = CASE "
		     "WHEN sent_ms = 0 THEN '{\"error\":\"router did not answer (it did not fetch "
		     "the command)\"}' ELSE '{\"error\":\"router did not answer (no result came "
		     "back)\"}' END WHERE state = 'pending' AND created_ms < $1 RETURNING id",
		     2, p, &r, err, errlen);
	if (rc == 0)
		rc = run(s,
			 "DELETE FROM router_commands WHERE state IN ('done', 'failed') AND "
			 "done_ms < $1",
			 1, q, NULL, err, errlen);
	pthread_mutex_unlock(&s->mu);
	if (rc == 0 && failed)
		*failed = r.nrows;
	svr_rows_free(&r);
	return rc;
}

int svr_store_commands_waiting(struct svr_store *s, int64_t created_after_ms, json_t **routers,
			       char *err, size_t errlen)
{
	ERRBUF();
	json_t *a = json_array();
	if (!a)
		return oom(err, errlen);
	struct num after = num(created_after_ms);
	const char *p[] = {after.s};
	struct svr_rows r = {0};
	pthread_mutex_lock(&s->mu);
	int rc = run(s,
		     "SELECT DISTINCT router FROM router_commands WHERE state = 'pending' AND "
		     "sent_ms = 0 AND created_ms > $1",
		     1, p, &r, err, errlen);
	pthread_mutex_unlock(&s->mu);
	for (unsigned i = 0; rc == 0 && i < r.nrows; i++)
		if (json_array_append_new(a, json_string(svr_rows_get(&r, i, 0))) < 0)
			rc = oom(err, errlen);
	svr_rows_free(&r);
	if (rc < 0) {
		json_decref(a);
		return rc;
	}
	*routers = a;
	return 0;
}

/* ---- keys ---- */

static int key_add_locked(struct svr_store *s, const struct svr_store_key *k, char *err,
			  size_t errlen)
{
	struct num id = num(k->security_id), nb = num(k->not_before_ms), cr = num(k->created_ms);
	const char *p[] = {id.s, k->hmac_key, k->encryption_key, nb.s, cr.s};
	int rc = run(s,
		     "INSERT INTO keys (security_id, hmac_key, encryption_key, not_before_ms, "
		     "created_ms) VALUES ($1, $2, $3, $4, $5)",
		     5, p, NULL, err, errlen);
	if (rc == SVR_STORE_EXISTS)
		snprintf(err, errlen, "key %s exists", id.s);
	if (rc == 0)
		rc = bump_serial(s, NULL, err, errlen);
	return rc;
}

int svr_store_key_add(struct svr_store *s, const struct svr_store_key *k, char *err, size_t errlen)
{
	ERRBUF();
	if (!k->hmac_key[0] || !k->encryption_key[0])
		return fail(err, errlen, SVR_STORE_INVALID, "%s", "a key needs both halves");
	pthread_mutex_lock(&s->mu);
	int rc = tx_begin(s, err, errlen);
	if (rc == 0) {
		rc = key_add_locked(s, k, err, errlen);
		rc = tx_end(s, rc, true, err, errlen);
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static int key_retire_locked(struct svr_store *s, int64_t before_ms, bool *changed, char *err,
			     size_t errlen)
{
	struct num b = num(before_ms);
	const char *p[] = {b.s};
	struct svr_rows r = {0};
	int rc = run(s,
		     "DELETE FROM keys WHERE not_before_ms < $1 AND not_before_ms < "
		     "(SELECT MAX(not_before_ms) FROM keys WHERE not_before_ms < $1) "
		     "RETURNING security_id",
		     1, p, &r, err, errlen);
	*changed = rc == 0 && r.nrows > 0;
	svr_rows_free(&r);
	if (*changed)
		rc = bump_serial(s, NULL, err, errlen);
	return rc;
}

int svr_store_key_retire(struct svr_store *s, int64_t before_ms, char *err, size_t errlen)
{
	ERRBUF();
	bool changed = false;
	pthread_mutex_lock(&s->mu);
	int rc = tx_begin(s, err, errlen);
	if (rc == 0) {
		rc = key_retire_locked(s, before_ms, &changed, err, errlen);
		rc = tx_end(s, rc, changed, err, errlen);
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int svr_store_keys(struct svr_store *s, struct svr_store_key **keys, size_t *n, char *err,
		   size_t errlen)
{
	ERRBUF();
	struct svr_rows r = {0};
	pthread_mutex_lock(&s->mu);
	int rc = run(s,
		     "SELECT security_id, hmac_key, encryption_key, not_before_ms, created_ms "
		     "FROM keys ORDER BY not_before_ms, security_id",
		     0, NULL, &r, err, errlen);
	pthread_mutex_unlock(&s->mu);
	struct svr_store_key *k = NULL;
	if (rc == 0 && r.nrows && !(k = calloc(r.nrows, sizeof(*k))))
		rc = oom(err, errlen);
	for (unsigned i = 0; rc == 0 && i < r.nrows; i++) {
		k[i].security_id = (uint32_t)to_i64(svr_rows_get(&r, i, 0));
		copy_text(k[i].hmac_key, sizeof(k[i].hmac_key), svr_rows_get(&r, i, 1));
		copy_text(k[i].encryption_key, sizeof(k[i].encryption_key), svr_rows_get(&r, i, 2));
		k[i].not_before_ms = to_i64(svr_rows_get(&r, i, 3));
		k[i].created_ms = to_i64(svr_rows_get(&r, i, 4));
	}
	size_t count = r.nrows;
	svr_rows_free(&r);
	if (rc < 0) {
		free(k);
		return rc;
	}
	*keys = k;
	*n = count;
	return 0;
}

/* ---- meta ---- */

static int meta_read(struct svr_store *s, const char *key, char **value, char *err, size_t errlen)
{
	const char *p[] = {key};
	struct svr_rows r = {0};
	int rc = run(s, "SELECT v FROM meta WHERE k = $1", 1, p, &r, err, errlen);
	if (rc == 0 && r.nrows == 0)
		rc = fail(err, errlen, SVR_STORE_NOT_FOUND, "no setting \"%s\"", key);
	if (rc == 0 && value && !(*value = strdup(svr_rows_get(&r, 0, 0))))
		rc = oom(err, errlen);
	svr_rows_free(&r);
	return rc;
}

int svr_store_meta_get(struct svr_store *s, const char *key, char **value, char *err, size_t errlen)
{
	ERRBUF();
	*value = NULL;
	pthread_mutex_lock(&s->mu);
	int rc = meta_read(s, key, value, err, errlen);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int svr_store_meta_put_new(struct svr_store *s, const char *key, const char *value, char **stored,
			   char *err, size_t errlen)
{
	ERRBUF();
	if (stored)
		*stored = NULL;
	const char *p[] = {key, value};
	pthread_mutex_lock(&s->mu);
	int rc = tx_begin(s, err, errlen);
	if (rc == 0) {
		rc = run(s, "INSERT INTO meta (k, v) VALUES ($1, $2) ON CONFLICT (k) DO NOTHING", 2,
			 p, NULL, err, errlen);
		if (rc == 0)
			rc = meta_read(s, key, stored, err, errlen);
		rc = tx_end(s, rc, false, err, errlen);
	}
	pthread_mutex_unlock(&s->mu);
	if (rc < 0 && stored) {
		free(*stored);
		*stored = NULL;
	}
	return rc;
}

int svr_store_meta_swap(struct svr_store *s, const char *key, const char *value, char **old,
			char *err, size_t errlen)
{
	ERRBUF();
	*old = NULL;
	const char *p[] = {key, value};
	pthread_mutex_lock(&s->mu);
	int rc = tx_begin(s, err, errlen);
	if (rc == 0) {
		rc = meta_read(s, key, old, err, errlen);
		if (rc == SVR_STORE_NOT_FOUND)
			rc = 0;
		if (rc == 0)
			rc =
			    run(s,
				"INSERT INTO meta (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE "
				"SET v = $2",
				2, p, NULL, err, errlen);
		rc = tx_end(s, rc, false, err, errlen);
	}
	pthread_mutex_unlock(&s->mu);
	if (rc < 0) {
		free(*old);
		*old = NULL;
	}
	return rc;
}

/* ---- audit log ---- */

/* Tries of an entry whose id another writer took first: only a writer that does not take the
 * 'audit-lock' row (a conductor of an older version, during an upgrade) can do that. */
#define AUDIT_ADD_TRIES 8

/* src cut to at most max bytes, never inside a UTF-8 character, into dst (max + 1 bytes). */
static const char *cut_text(char *dst, size_t max, const char *src)
{
	size_t n = src ? strlen(src) : 0;
	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
	return dst;
}

int svr_store_audit_add(struct svr_store *s, const struct svr_store_audit *e, int64_t *id,
			char *err, size_t errlen)
{
	ERRBUF();
	char who[SVR_STORE_NAME_MAX], role[32], peer[64], method[16], path[256], action[64],
	    detail[SVR_STORE_MESSAGE_MAX];
	struct num at = num(e->at_ms), status = num(e->status);
	const char *p[] = {at.s,
			   cut_text(who, sizeof(who) - 1, e->who),
			   cut_text(role, sizeof(role) - 1, e->role),
			   cut_text(peer, sizeof(peer) - 1, e->peer),
			   cut_text(method, sizeof(method) - 1, e->method),
			   cut_text(path, sizeof(path) - 1, e->path),
			   status.s,
			   cut_text(action, sizeof(action) - 1, e->action),
			   cut_text(detail, sizeof(detail) - 1, e->detail)};
	int64_t v = 0;
	int rc = SVR_STORE_EXISTS;
	pthread_mutex_lock(&s->mu);
	/* The id is the newest + 1. Two writers that read the newest at once (PostgreSQL, READ
	 * COMMITTED: each insert's snapshot misses the other's uncommitted row) would both take the
	 * same id, the later one waiting on the unique key and then refused; under load one writer
	 * can lose that race every time. So the meta row 'audit-lock' is locked first: a second
	 * writer waits there until the first commits, and its insert, a statement later with a
	 * snapshot of its own, sees the first's row. (SQLite: BEGIN IMMEDIATE serialises already.)
	 * A unique-key conflict can then only come from a writer that does not take the lock (an
	 * older conductor during an upgrade): the transaction is rolled back and tried again. */
	for (int i = 0; rc == SVR_STORE_EXISTS && i < AUDIT_ADD_TRIES; i++) {
		rc = tx_begin(s, err, errlen);
		if (rc < 0)
			break;
		rc = run(s,
			 "INSERT INTO meta (k, v) VALUES ('audit-lock', '') ON CONFLICT (k) DO "
			 "UPDATE SET v = ''",
			 0, NULL, NULL, err, errlen);
		if (rc == 0)
			rc = run_value(
			    s,
			    "INSERT INTO audit (id, at_ms, who, role, peer, method, path, status, "
			    "action, detail) SELECT COALESCE(MAX(id), 0) + 1, "
			    "CAST($1 AS BIGINT), $2, $3, $4, $5, $6, CAST($7 AS BIGINT), $8, $9 "
			    "FROM audit RETURNING id",
			    9, p, &v, err, errlen);
		rc = tx_end(s, rc, false, err, errlen);
	}
	pthread_mutex_unlock(&s->mu);
	if (rc == 0 && id)
		*id = v;
	return rc;
}

static json_t *audit_json(const struct svr_rows *r, unsigned i)
{
	return json_pack("{sI sI ss ss ss ss ss sI ss ss}", "id",
			 (json_int_t)to_i64(svr_rows_get(r, i, 0)), "at-ms",
			 (json_int_t)to_i64(svr_rows_get(r, i, 1)), "who", svr_rows_get(r, i, 2),
			 "role", svr_rows_get(r, i, 3), "from", svr_rows_get(r, i, 4), "method",
			 svr_rows_get(r, i, 5), "path", svr_rows_get(r, i, 6), "status",
			 (json_int_t)to_i64(svr_rows_get(r, i, 7)), "action", svr_rows_get(r, i, 8),
			 "detail", svr_rows_get(r, i, 9));
}

int svr_store_audit_list(struct svr_store *s, int64_t before, unsigned limit, const char *who,
			 json_t **list, char *err, size_t errlen)
{
	ERRBUF();
	json_t *a = json_array();
	if (!a)
		return oom(err, errlen);
	struct num b = num(before > 0 ? before : INT64_MAX), l = num(limit);
	const char *p[] = {b.s, l.s, who ? who : ""};
	struct svr_rows r = {0};
	pthread_mutex_lock(&s->mu);
	int rc =
	    run(s,
		who ? "SELECT id, at_ms, who, role, peer, method, path, status, action, detail "
		      "FROM audit WHERE id < CAST($1 AS BIGINT) AND who = $3 "
		      "ORDER BY id DESC LIMIT CAST($2 AS BIGINT)"
		    : "SELECT id, at_ms, who, role, peer, method, path, status, action, detail "
		      "FROM audit WHERE id < CAST($1 AS BIGINT) "
		      "ORDER BY id DESC LIMIT CAST($2 AS BIGINT)",
		who ? 3 : 2, p, &r, err, errlen);
	pthread_mutex_unlock(&s->mu);
	for (unsigned i = 0; rc == 0 && i < r.nrows; i++)
		if (json_array_append_new(a, audit_json(&r, i)) < 0)
			rc = oom(err, errlen);
	svr_rows_free(&r);
	if (rc < 0) {
		json_decref(a);
		return rc;
	}
	*list = a;
	return 0;
}

int svr_store_audit_prune(struct svr_store *s, int64_t keep, int64_t *deleted, char *err,
			  size_t errlen)
{
	ERRBUF();
	struct num k = num(keep);
	const char *p[] = {k.s};
	int64_t n = 0;
	pthread_mutex_lock(&s->mu);
	int rc = tx_begin(s, err, errlen);
	if (rc == 0) {
		rc = run_value(s,
			       "SELECT COUNT(*) FROM audit WHERE id <= "
			       "(SELECT MAX(id) FROM audit) - CAST($1 AS BIGINT)",
			       1, p, &n, err, errlen);
		if (rc == 0 && n > 0)
			rc = run(s,
				 "DELETE FROM audit WHERE id <= "
				 "(SELECT MAX(id) FROM audit) - CAST($1 AS BIGINT)",
				 1, p, NULL, err, errlen);
		rc = tx_end(s, rc, false, err, errlen);
	}
	pthread_mutex_unlock(&s->mu);
	if (rc == 0 && deleted)
		*deleted = n;
	return rc;
}

/* ---- changes ---- */

int svr_store_serial(struct svr_store *s, int64_t *serial, char *err, size_t errlen)
{
	ERRBUF();
	pthread_mutex_lock(&s->mu);
	s->serial_reads++;
	int rc = run_value(s, "SELECT seq FROM head WHERE id = 1", 0, NULL, serial, err, errlen);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

uint64_t svr_store_serial_reads(struct svr_store *s)
{
	pthread_mutex_lock(&s->mu);
	uint64_t n = s->serial_reads;
	pthread_mutex_unlock(&s->mu);
	return n;
}

/* Re-reads the serial after every wake-up and at least every recheck_ms of the backend: a wake-up
 * says only that something may have changed; the serial says what did. s->mu is not held while
 * waiting. */
int svr_store_wait_change(struct svr_store *s, int64_t known, int timeout_ms, int64_t *serial,
			  char *err, size_t errlen)
{
	ERRBUF();
	int64_t deadline = mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	for (;;) {
		uint64_t token = s->b->ops->wait_prepare(s->b);
		int rc = svr_store_serial(s, serial, err, errlen);
		if (rc < 0 || *serial != known)
			return rc;
		int64_t left = deadline - mono_ms();
		if (left <= 0)
			return 0;
		int slice = s->b->ops->recheck_ms;
		rc = s->b->ops->wait(s->b, token, (int)(left < slice ? left : slice), err, errlen);
		if (rc < 0)
			return rc;
	}
}

int svr_store_try_leader(struct svr_store *s, char *err, size_t errlen)
{
	ERRBUF();
	pthread_mutex_lock(&s->mu);
	int rc = s->b->ops->try_leader(s->b, err, errlen);
	pthread_mutex_unlock(&s->mu);
	return rc;
}
