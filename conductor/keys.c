/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Key creation and rotation (keys.h). Runs on the main thread (cd_keys_tick, once a second);
 * cd_keys_add_next also on an HTTP thread (POST /keys/rotate), serialised by a mutex;
 * cd_keys_file is also called by the router API's watcher thread. Key material comes from
 * OpenSSL's DRBG (RAND_bytes) and is stored as hex; it never appears in a log.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "common/hex.h"
#include "common/log.h"
#include "conductor.h"
#include "config.h"
#include "keys.h"

#define KEY_BYTES 32 /* HMAC-SHA256 key and AES-256 key alike */

/* What the schedule was read from: the running model is read again only when the serial moved. */
static struct {
	int64_t serial; /* -1: not read yet */
	int64_t interval_s, lead_s;
} sched = {.serial = -1};

void cd_keys_schedule(const json_t *model, int64_t *interval_s, int64_t *lead_s)
{
	const json_t *cond = json_object_get(json_object_get(model, "authority"), "conductor");
	const json_t *i = json_object_get(cond, "rekey-interval-s");
	const json_t *l = json_object_get(cond, "rekey-lead-s");
	*interval_s = json_is_integer(i) ? json_integer_value(i) : CD_REKEY_INTERVAL_DEFAULT_S;
	*lead_s = json_is_integer(l) ? json_integer_value(l) : CD_REKEY_LEAD_DEFAULT_S;
}

static int fresh_key(struct svr_store_key *k, uint32_t id, int64_t not_before_ms, int64_t now_ms)
{
	unsigned char rnd[2 * KEY_BYTES];
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return -1;
	memset(k, 0, sizeof(*k));
	k->security_id = id;
	svr_hex_encode(rnd, KEY_BYTES, k->hmac_key);
	svr_hex_encode(rnd + KEY_BYTES, KEY_BYTES, k->encryption_key);
	OPENSSL_cleanse(rnd, sizeof(rnd));
	k->not_before_ms = not_before_ms;
	k->created_ms = now_ms;
	return 0;
}

/* The newest key's security-id (0: none) and not-before. */
static int newest_key(struct conductor *c, uint32_t *id, int64_t *not_before_ms, char *err,
		      size_t errlen)
{
	struct svr_store_key *keys = NULL;
	size_t n = 0;
	int rc = svr_store_keys(c->store, &keys, &n, err, errlen);
	if (rc < 0)
		return rc;
	*id = 0;
	*not_before_ms = 0;
	for (size_t i = 0; i < n; i++)
		if (keys[i].security_id > *id) {
			*id = keys[i].security_id;
			*not_before_ms = keys[i].not_before_ms;
		}
	if (keys)
		OPENSSL_cleanse(keys, n * sizeof(*keys));
	free(keys);
	return 0;
}

int cd_keys_add_next(struct conductor *c, uint32_t only_after_id, int64_t earliest_ms,
		     int64_t after_newest_ms, int64_t now_ms, struct svr_store_key *added,
		     char *err, size_t errlen)
{
	/* One adder at a time in this process (the schedule on the main thread, POST /keys/rotate
	 * on an HTTP thread); another conductor may still add the same id: retried once. */
	static pthread_mutex_t add_lock = PTHREAD_MUTEX_INITIALIZER;
	int rc = SVR_STORE_EXISTS;
	pthread_mutex_lock(&add_lock);
	for (int attempt = 0; attempt < 2 && rc == SVR_STORE_EXISTS; attempt++) {
		uint32_t id;
		int64_t newest_nb;
		rc = newest_key(c, &id, &newest_nb, err, errlen);
		if (rc < 0)
			break;
		if (only_after_id && id != only_after_id) {
			rc = 1; /* someone else added it already */
			break;
		}
		int64_t nb = id ? newest_nb + after_newest_ms : earliest_ms;
		if (nb < earliest_ms)
			nb = earliest_ms;
		if (fresh_key(added, id + 1, nb, now_ms) < 0) {
			snprintf(err, errlen, "no random bytes (OpenSSL's DRBG failed)");
			rc = CD_KEYS_NO_RANDOM;
			break;
		}
		rc = svr_store_key_add(c->store, added, err, errlen);
		if (rc < 0)
			OPENSSL_cleanse(added, sizeof(*added));
	}
	pthread_mutex_unlock(&add_lock);
	return rc;
}

static void add_key(struct conductor *c, uint32_t only_after_id, int64_t earliest_ms,
		    int64_t after_newest_ms, int64_t now_ms, const char *why)
{
	struct svr_store_key k;
	char err[256];
	int rc = cd_keys_add_next(c, only_after_id, earliest_ms, after_newest_ms, now_ms, &k, err,
				  sizeof(err));
	if (rc < 0)
		LOG_ERR("keys: cannot add a key: %s", err);
	else if (rc == 0)
		LOG_NOTICE("keys: added security-id %" PRIu32 ", in force in %" PRId64 " s (%s)",
			   k.security_id, (k.not_before_ms - now_ms) / 1000, why);
	OPENSSL_cleanse(&k, sizeof(k));
}

/* The schedule of the running model, read again when the serial moved. */
static void refresh_schedule(struct conductor *c)
{
	int64_t serial;
	char err[256];
	if (svr_store_serial(c->store, &serial, err, sizeof(err)) < 0 || serial == sched.serial)
		return;
	json_t *model = NULL;
	struct svr_store_commit info;
	if (svr_store_running(c->store, &info, &model, err, sizeof(err)) < 0) {
		LOG_ERR("keys: cannot read the running model: %s", err);
		return;
	}
	int64_t i, l;
	cd_keys_schedule(model, &i, &l);
	json_decref(model);
	if (sched.serial < 0 || i != sched.interval_s || l != sched.lead_s)
		LOG_NOTICE("keys: a new key every %" PRId64 " s, published %" PRId64 " s ahead%s",
			   i, l, i ? "" : " (rotation off: rekey-interval-s is 0)");
	sched.serial = serial;
	sched.interval_s = i;
	sched.lead_s = l;
}

void cd_keys_tick(struct conductor *c, int64_t now_ms)
{
	char err[256];
	int lead = svr_store_try_leader(c->store, err, sizeof(err));
	if (lead < 0)
		LOG_ERR("keys: cannot ask for leadership: %s", err);
	if (lead != 1)
		return;
	refresh_schedule(c);
	if (sched.serial < 0)
		return;
	struct svr_store_key *keys = NULL;
	size_t n = 0;
	if (svr_store_keys(c->store, &keys, &n, err, sizeof(err)) < 0) {
		LOG_ERR("keys: cannot read the key set: %s", err);
		return;
	}
	int64_t lead_ms = sched.lead_s * 1000, interval_ms = sched.interval_s * 1000;
	if (n == 0) {
		add_key(c, 0, now_ms, 0, now_ms, "the authority's first key");
		free(keys);
		return;
	}
	/* The newest by security-id (ids only grow). */
	const struct svr_store_key *newest = &keys[0];
	size_t in_force_long = 0; /* keys in force for lead_s already */
	for (size_t i = 0; i < n; i++) {
		if (keys[i].security_id > newest->security_id)
			newest = &keys[i];
		in_force_long += keys[i].not_before_ms < now_ms - lead_ms;
	}
	if (interval_ms > 0 && now_ms >= newest->not_before_ms + interval_ms - lead_ms) {
		/* On schedule, or (after a time without a leader) lead_s from now: routers always
		 * get lead_s with the key before anyone signs with it. */
		add_key(c, newest->security_id, now_ms + lead_ms, interval_ms, now_ms, "rotation");
	}
	/* Of the keys in force for lead_s, only the newest stays: its predecessors are retired. */
	if (in_force_long >= 2) {
		if (svr_store_key_retire(c->store, now_ms - lead_ms, err, sizeof(err)) < 0)
			LOG_ERR("keys: cannot retire old keys: %s", err);
		else
			LOG_NOTICE("keys: retired %zu key(s) whose successor has been in force for "
				   "%" PRId64 " s",
				   in_force_long - 1, sched.lead_s);
	}
	OPENSSL_cleanse(keys, n * sizeof(*keys));
	free(keys);
}

int cd_enrolment_token_new(struct conductor *c, const char *router,
			   char token[2 * CD_SECRET_BYTES + 1], int64_t *expires_ms, char *err,
			   size_t errlen)
{
	unsigned char rnd[CD_SECRET_BYTES];
	char sha[65];
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		snprintf(err, errlen, "no random bytes for the token (OpenSSL's DRBG failed)");
		return CD_KEYS_NO_RANDOM;
	}
	svr_hex_encode(rnd, sizeof(rnd), token);
	OPENSSL_cleanse(rnd, sizeof(rnd));
	cd_sha256_hex(token, strlen(token), sha);
	*expires_ms = cd_now_ms() + (int64_t)c->cfg.enrolment_token_ttl_s * 1000;
	int rc = svr_store_token_add(c->store, router, sha, *expires_ms, err, errlen);
	if (rc < 0)
		OPENSSL_cleanse(token, 2 * CD_SECRET_BYTES + 1);
	return rc;
}

json_t *cd_keys_file(const struct svr_store_key *keys, size_t n)
{
	if (n == 0)
		return NULL;
	json_t *list = json_array();
	for (size_t i = 0; list && i < n; i++) {
		char nb[32];
		/* Rounded up: a sender never starts before the millisecond the key names. */
		time_t t = (time_t)((keys[i].not_before_ms + 999) / 1000);
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(nb, sizeof(nb), "%Y-%m-%dT%H:%M:%SZ", &tm);
		if (json_array_append_new(list, json_pack("{s:I, s:s, s:s, s:s}", "security-id",
							  (json_int_t)keys[i].security_id,
							  "hmac-key", keys[i].hmac_key,
							  "encryption-key", keys[i].encryption_key,
							  "not-before", nb)) < 0) {
			json_decref(list);
			return NULL;
		}
	}
	return list ? json_pack("{s:o}", "keys", list) : NULL;
}
