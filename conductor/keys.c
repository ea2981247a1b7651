/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Key creation and rotation (keys.h). Runs on the main thread (cd_keys_tick, once a second);
 * cd_keys_file is also called by the router API's watcher thread. Key material comes from
 * OpenSSL's DRBG (RAND_bytes) and is stored as hex; it never appears in a log.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "common/log.h"
#include "conductor.h"
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

static void hex_of(const unsigned char *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static int fresh_key(struct svr_store_key *k, uint32_t id, int64_t not_before_ms, int64_t now_ms)
{
	unsigned char rnd[2 * KEY_BYTES];
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return -1;
	memset(k, 0, sizeof(*k));
	k->security_id = id;
	hex_of(rnd, KEY_BYTES, k->hmac_key);
	hex_of(rnd + KEY_BYTES, KEY_BYTES, k->encryption_key);
	OPENSSL_cleanse(rnd, sizeof(rnd));
	k->not_before_ms = not_before_ms;
	k->created_ms = now_ms;
	return 0;
}

static void add_key(struct conductor *c, uint32_t id, int64_t not_before_ms, int64_t now_ms,
		    const char *why)
{
	struct svr_store_key k;
	char err[256];
	if (fresh_key(&k, id, not_before_ms, now_ms) < 0) {
		LOG_ERR("keys: the random generator failed: no new key");
		return;
	}
	int rc = svr_store_key_add(c->store, &k, err, sizeof(err));
	OPENSSL_cleanse(&k, sizeof(k));
	if (rc < 0)
		LOG_ERR("keys: cannot add security-id %" PRIu32 ": %s", id, err);
	else
		LOG_NOTICE("keys: added security-id %" PRIu32 ", in force in %" PRId64 " s (%s)",
			   id, (not_before_ms - now_ms) / 1000, why);
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
		add_key(c, 1, now_ms, now_ms, "the authority's first key");
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
		int64_t nb = newest->not_before_ms + interval_ms;
		if (nb < now_ms + lead_ms)
			nb = now_ms + lead_ms;
		add_key(c, newest->security_id + 1, nb, now_ms, "rotation");
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
