/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The sync thread: enrol if needed, then GET /api/v1/sync?after=SERIAL&wait=25 in a loop. A
 * configuration (200) is applied like a model file, its keys written to the key file first, and
 * acknowledged either way; 204 means nothing new. An answer with commands only (docs/conductor.md,
 * "Router commands") is run by commands.c and leaves the configuration alone. Failures move to the
 * next conductor URL and back off with full jitter. Applying and the local REST API's PUT /model
 * take apply_lock in turn, so the local-override rule sees one order of events.
 */
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include "cd_int.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "common/timeutil.h"

uint32_t cd_random(void *ctx)
{
	(void)ctx;
	uint32_t v = 0;
	if (getrandom(&v, sizeof(v), 0) != sizeof(v))
		v = (uint32_t)cd_now_ms() * 2654435761u; /* never: a varying value all the same */
	return v;
}

bool cd_sleep(struct svr_conductor *cd, unsigned ms)
{
	struct timespec until = svr_timespec_after_ms(CLOCK_MONOTONIC, ms);
	pthread_mutex_lock(&cd->lock);
	while (!atomic_load(&cd->stopping) &&
	       pthread_cond_timedwait(&cd->wake, &cd->lock, &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&cd->lock);
	return !atomic_load(&cd->stopping);
}

/* What one configuration came to, for the acknowledgement. */
struct outcome {
	bool applied;
	uint64_t generation;
	json_t *errors; /* [{path, message}] */
};

static void refuse(struct outcome *o, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void refuse(struct outcome *o, const char *path, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	o->applied = false;
	json_array_append_new(o->errors, json_pack("{s:s, s:s}", "path", path, "message", msg));
}

/* True when path holds exactly text (then the key file is not rewritten: no needless reload). */
static bool same_content(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	char *buf = malloc(len + 1);
	size_t n = buf ? fread(buf, 1, len + 1, f) : 0;
	fclose(f);
	bool same = buf && n == len && CRYPTO_memcmp(buf, text, len) == 0;
	if (buf)
		OPENSSL_cleanse(buf, len + 1);
	free(buf);
	return same;
}

/* Writes the key file atomically, mode 0600, in its own directory (created if missing). */
static int write_keys(struct svr_conductor *cd, const json_t *keys, char *err, size_t errlen)
{
	char *text = json_dumps(keys, JSON_INDENT(2));
	if (!text)
		return svr_errf(err, errlen, "out of memory");
	size_t len = strlen(text);
	int rc = 0;
	if (!same_content(cd->cfg.key_file, text, len)) {
		char dir[4096];
		snprintf(dir, sizeof(dir), "%s", cd->cfg.key_file);
		if (svr_mkdir_p(dirname(dir), 0700) < 0)
			rc = svr_errf(err, errlen, "cannot create the directory of %s: %s",
				      cd->cfg.key_file, strerror(errno));
		else
			rc = cd_write_file(cd->cfg.key_file, text, len, 0600, err, errlen);
		if (rc == 0)
			LOG_INFO("wrote %zu key(s) to %s",
				 json_array_size(json_object_get(keys, "keys")), cd->cfg.key_file);
	}
	OPENSSL_cleanse(text, len);
	free(text);
	return rc;
}

/* Applies the model through svr-control's pipeline and waits for the dataplane. */
static void apply_model(struct svr_conductor *cd, const struct cd_sync_msg *m, struct outcome *o)
{
	char *text = json_dumps(m->model, JSON_COMPACT);
	if (!text) {
		refuse(o, "(top)", "out of memory");
		return;
	}
	struct svr_model_errors errors;
	svr_model_errors_init(&errors);
	uint64_t gen = 0;
	enum svr_apply_result r = svr_ctl_apply_text(cd->ctl, text, strlen(text), &errors, &gen);
	free(text);
	for (unsigned i = 0; r != SVR_APPLY_OK && i < errors.count; i++)
		refuse(o, errors.list[i].path, "%s", errors.list[i].message);
	svr_model_errors_free(&errors);
	if (r != SVR_APPLY_OK) {
		if (json_array_size(o->errors) == 0)
			refuse(o, "(top)", "the model was not applied");
		return;
	}
	o->generation = gen;
	char reason[256] = "";
	int w = svr_ctl_wait(cd->ctl, gen, CD_APPLY_WAIT_MS, reason, sizeof(reason));
	if (w > 0)
		o->applied = true;
	else if (w < 0)
		refuse(o, "(top)", "the dataplane rejected generation %llu: %s",
		       (unsigned long long)gen, reason);
	else
		refuse(o, "(top)",
		       "published as generation %llu; the dataplane has not acknowledged it within "
		       "%u ms (is svr-dataplane running?)",
		       (unsigned long long)gen, CD_APPLY_WAIT_MS);
}

/* Whether a local override keeps this version out (docs/conductor.md: only a newer one ends it). */
static bool override_holds(struct svr_conductor *cd, int64_t version, int64_t *base)
{
	pthread_mutex_lock(&cd->lock);
	bool holds = cd->st.override && version <= cd->st.override_base;
	*base = cd->st.override_base;
	pthread_mutex_unlock(&cd->lock);
	return holds;
}

/* Records the outcome (state file, status) and logs it. */
static void record(struct svr_conductor *cd, const struct cd_sync_msg *m, const struct outcome *o,
		   int64_t took_ms)
{
	pthread_mutex_lock(&cd->lock);
	bool ended_override = o->applied && cd->st.override;
	int64_t base = cd->st.override_base;
	cd->st.seen_serial = m->serial;
	if (o->applied) {
		cd->st.serial = m->serial;
		cd->st.version = m->version;
		cd->st.override = false;
		cd->last_error[0] = '\0';
	} else {
		const json_t *e0 = json_array_get(o->errors, 0);
		snprintf(cd->last_error, sizeof(cd->last_error),
			 "version %lld (serial %lld): %s: %s", (long long)m->version,
			 (long long)m->serial, json_string_value(json_object_get(e0, "path")),
			 json_string_value(json_object_get(e0, "message")));
	}
	cd_state_save(cd);
	char last[sizeof(cd->last_error)];
	snprintf(last, sizeof(last), "%s", cd->last_error);
	pthread_mutex_unlock(&cd->lock);
	if (ended_override)
		LOG_NOTICE("local override ended: conductor version %lld is newer than version "
			   "%lld, on which the override was made, and replaces it",
			   (long long)m->version, (long long)base);
	if (o->applied)
		LOG_NOTICE(
		    "applied conductor version %lld (serial %lld) as generation %llu in %lld "
		    "ms",
		    (long long)m->version, (long long)m->serial, (unsigned long long)o->generation,
		    (long long)took_ms);
	else
		LOG_WARN("conductor configuration not applied: %s", last);
	cd_status_kick(cd);
}

/* The acknowledgement's body. */
static char *ack_body(struct svr_conductor *cd, const struct cd_sync_msg *m, struct outcome *o)
{
	uint64_t gen = o->generation ? o->generation : svr_ctl_acked(cd->ctl);
	json_t *ack =
	    json_pack("{s:I, s:I, s:s, s:I, s:O}", "serial", (json_int_t)m->serial, "version",
		      (json_int_t)m->version, "result", o->applied ? "applied" : "rejected",
		      "generation", (json_int_t)gen, "errors", o->errors);
	char *body = ack ? json_dumps(ack, JSON_COMPACT) : NULL;
	json_decref(ack);
	return body;
}

/* Keys, then the model (unless a local override holds it off); the ack's body. */
static char *handle_config(struct svr_conductor *cd, const struct cd_sync_msg *m)
{
	struct outcome o = {.errors = json_array()};
	int64_t t0 = cd_now_ms(), base;
	char err[600];
	pthread_mutex_lock(&cd->apply_lock);
	if (m->keys && write_keys(cd, m->keys, err, sizeof(err)) < 0)
		refuse(&o, "keys", "%s", err);
	else if (override_holds(cd, m->version, &base))
		refuse(&o, "(top)",
		       "a local override made on version %lld is in force; version %lld is not "
		       "newer, so the override stays",
		       (long long)base, (long long)m->version);
	else
		apply_model(cd, m, &o);
	record(cd, m, &o, cd_now_ms() - t0);
	pthread_mutex_unlock(&cd->apply_lock);
	char *body = ack_body(cd, m, &o);
	json_decref(o.errors);
	return body;
}

/* A configuration without a model: the running version does not name this router (or there is
 * none yet). Nothing is asked of the router, so nothing is acknowledged; what runs stays. */
static void nothing_to_run(struct svr_conductor *cd, const struct cd_sync_msg *m)
{
	pthread_mutex_lock(&cd->lock);
	cd->st.seen_serial = m->serial;
	cd_state_save(cd);
	int64_t running = cd->st.version;
	pthread_mutex_unlock(&cd->lock);
	if (m->version == 0)
		LOG_NOTICE("the conductor has no committed version yet (serial %lld): waiting",
			   (long long)m->serial);
	else
		LOG_WARN("conductor version %lld does not name router %s: nothing to apply; "
			 "conductor version %lld keeps running",
			 (long long)m->version, cd->ctl->router, (long long)running);
	cd_status_kick(cd);
}

/* Sends the pending acknowledgement; 0 when the conductor took it (or refused it for good). */
static int send_ack(struct cd_client *c, char **pending)
{
	struct cd_buf reply = {0};
	long status = 0;
	char err[600];
	if (cd_request(c, "POST", "/api/v1/sync/ack", *pending, CD_REQUEST_MS, &status, &reply, err,
		       sizeof(err)) < 0)
		return -1;
	if (status != 204 && status != 200)
		LOG_WARN("the conductor answered the acknowledgement with HTTP %ld: %.200s", status,
			 reply.data);
	cd_buf_free(&reply);
	free(*pending);
	*pending = NULL;
	return 0;
}

/* One long poll and what follows it; 0 on progress, -1 to back off. */
static int poll_once(struct svr_conductor *cd, struct cd_client *c, char **pending)
{
	char path[128], err[600];
	pthread_mutex_lock(&cd->lock);
	/* Until a conductor has answered (at start, after an outage) the poll is not held: a
	 * held request says nothing until it ends, and the return should be known (logged,
	 * reported) at once. */
	int wait = cd->reach == CD_REACH_UP ? CD_HOLD_S : 0;
	snprintf(path, sizeof(path), "/api/v1/sync?after=%lld&wait=%d",
		 (long long)cd->st.seen_serial, wait);
	pthread_mutex_unlock(&cd->lock);
	struct cd_buf reply = {0};
	long status = 0;
	if (cd_request(c, "GET", path, NULL, (wait + 5) * 1000L, &status, &reply, err,
		       sizeof(err)) < 0)
		return -1;
	int rc = 0;
	if (status == 200) {
		struct cd_sync_msg m;
		if (cd_sync_parse(reply.data, reply.len, &m, err, sizeof(err)) < 0) {
			LOG_ERR("the conductor's configuration is malformed, ignored: %s", err);
			rc = -1;
		} else {
			if (m.has_config && m.model)
				*pending = handle_config(cd, &m);
			else if (m.has_config)
				nothing_to_run(cd, &m);
			/* commands alone change nothing that runs: no apply, no acknowledgement */
			if (m.commands) {
				cd_commands_run(cd, c, m.commands);
				cd_status_kick(cd); /* the session counts moved */
			}
			cd_sync_msg_free(&m);
		}
	} else if (status != 204) {
		/* Once per kind of refusal: it repeats on every retry (a credential the conductor
		 * no longer knows: the router was removed from its inventory). */
		if (status != c->refused_status)
			LOG_ERR("%s answered HTTP %ld: %.200s%s", path, status, reply.data,
				status == 401
				    ? " (the conductor no longer accepts this router's "
				      "credential: remove it from the state directory and "
				      "enrol again)"
				    : "");
		c->refused_status = status;
		rc = -1;
	}
	if (rc == 0 && c->refused_status) {
		LOG_NOTICE("the conductor answers the sync again");
		c->refused_status = 0;
	}
	cd_buf_free(&reply);
	return rc;
}

void *cd_sync_main(void *arg)
{
	struct svr_conductor *cd = arg;
	struct cd_client c;
	if (cd_client_init(&c, cd) < 0) {
		LOG_ERR("conductor client: cannot create a libcurl handle");
		return NULL;
	}
	c.abort_on_outage = true;
	unsigned attempt = 0;
	char *pending = NULL; /* an acknowledgement not delivered yet */
	while (!atomic_load(&cd->stopping)) {
		int rc;
		pthread_mutex_lock(&cd->lock);
		bool enrolled = cd->enrolled;
		pthread_mutex_unlock(&cd->lock);
		if (!enrolled)
			rc = cd_enrol(cd, &c);
		else if (pending)
			rc = send_ack(&c, &pending);
		else
			rc = poll_once(cd, &c, &pending);
		if (rc == -2)
			break; /* refused for good: cd->fatal says why */
		if (rc == 0) {
			attempt = 0;
			continue;
		}
		unsigned ms = svr_cd_backoff_ms(attempt, SVR_CD_BACKOFF_BASE_MS,
						SVR_CD_BACKOFF_CAP_MS, cd_random, NULL);
		attempt += attempt < 31;
		LOG_DEBUG("conductor: next attempt in %u ms", ms);
		cd_sleep(cd, ms);
	}
	free(pending);
	cd_client_fini(&c);
	return NULL;
}
