/* SPDX-License-Identifier: BSD-3-Clause */
/* The SVR key ring: the key file loaded, reloaded and checked against the image (keys.h). */
#include "svrpath/keys.h"

#include <inttypes.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include <rte_rcu_qsbr.h>

#include "common/image.h"
#include "common/log.h"
#include "core/dp.h"
#include "core/event.h"
#include "common/security.h"
#include "common/sha256x2.h"
#include "flow/state.h"
#include "svrpath/internal.h"
#include "svrpath/path.h"
#include "core/worker.h"

/*
 * The key ring workers read, and a second buffer for the next reload of the
 * key file: the main lcore fills the idle one, swaps the pointer and waits for
 * the workers' grace period before the old one may be written again. Key
 * slots stay put across reloads (svr_keyring_merge): sessions hold them.
 */
static struct svr_keyring rings[2];
struct svr_keyring *_Atomic dp_svr_keyring = &rings[0];
struct dp_svr_worker_keys dp_svr_wk[DP_MAX_WORKERS]; /* internal.h */
_Atomic unsigned dp_svr_ring_epoch;
static char key_path[PATH_MAX];
static struct stat key_stat; /* of the file the running keys came from (zero: none) */

static bool same_file(const struct stat *a, const struct stat *b)
{
	/* ctime too: a chmod 600 after a refused file makes it worth another read */
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
	       a->st_mode == b->st_mode && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec && a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	       a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static void log_ids(const char *what, const struct svr_keyring *kr)
{
	char ids[SVR_KEYS_MAX * 12] = "";
	size_t o = 0;
	for (unsigned i = 0; i < kr->n && o < sizeof(ids); i++)
		if (kr->keys[i].hmac_len)
			o += (size_t)snprintf(ids + o, sizeof(ids) - o, "%s%u", o ? " " : "",
					      kr->keys[i].security_id);
	LOG_INFO("SVR keys %s from %s: security-ids %s", what, key_path, ids[0] ? ids : "(none)");
}

/* key-rotated for the event stream (docs/telemetry.md): the file and the keys now in force. */
static void rotated_event(const struct svr_keyring *kr)
{
	json_t *e = dp_event_new("key-rotated"), *ids = json_array();
	for (unsigned i = 0; e && ids && i < kr->n; i++)
		if (kr->keys[i].hmac_len)
			json_array_append_new(ids, json_integer(kr->keys[i].security_id));
	if (!e || !ids) {
		json_decref(e);
		json_decref(ids);
		return;
	}
	json_object_set_new(e, "file", json_string(key_path));
	json_object_set_new(e, "security-ids", ids);
	dp_event_post(e);
}

int dp_svr_init(const char *key_file, unsigned n_workers)
{
	struct svr_jerr e;
	snprintf(key_path, sizeof(key_path), "%s", key_file);
	if (stat(key_file, &key_stat) != 0) {
		memset(&key_stat, 0, sizeof(key_stat));
		LOG_NOTICE("no SVR key file %s: peer paths whose security policy signs or "
			   "encrypts refuse sessions (svr-no-key) until it appears",
			   key_file);
	} else if (svr_keyring_load(key_file, &rings[0], &e) < 0) {
		LOG_ERR("SVR key file %s: %s", key_file, e.msg);
		return -1;
	} else {
		log_ids("loaded", &rings[0]);
	}
	if (dp_svr_replay_init() < 0)
		return -1;
	for (unsigned i = 0; i < n_workers; i++)
		if (!(dp_svr_wk[i].crypto = svr_crypto_new()) ||
		    !(dp_svr_wk[i].session_keys =
			  calloc(DP_SVR_SESSION_KEYS, sizeof(*dp_svr_wk[i].session_keys)))) {
			LOG_ERR("cannot create OpenSSL contexts");
			return -1;
		}
	/* the known-answer test runs here, before any worker hashes */
	LOG_INFO("SVR HMAC: %s", svr_sha256x2_usable()
				     ? "two packets at a time on SHA-NI (self-test passed)"
				     : "one packet at a time through libcrypto");
	return 0;
}

void dp_svr_free(void)
{
	for (unsigned i = 0; i < DP_MAX_WORKERS; i++) {
		svr_crypto_free(dp_svr_wk[i].crypto);
		dp_svr_wk[i].crypto = NULL;
		if (dp_svr_wk[i].session_keys)
			OPENSSL_cleanse(dp_svr_wk[i].session_keys,
					DP_SVR_SESSION_KEYS * sizeof(*dp_svr_wk[i].session_keys));
		free(dp_svr_wk[i].session_keys);
		dp_svr_wk[i].session_keys = NULL;
	}
	OPENSSL_cleanse(rings, sizeof(rings));
	dp_svr_replay_free();
}

/*
 * Whether kr's keys fit the cipher of every security policy a peer path of img
 * uses (a 16-byte key under aes-cbc-256 would otherwise encrypt as AES-128,
 * and the peer could not read it): 0, or -1 with a sentence.
 */
static int keys_fit_image(const struct svr_keyring *kr, const void *img, char *err, size_t errlen)
{
	uint32_t n_peers, n_sec;
	const struct svr_img_peer *peers = svr_img_table(img, SVR_SEC_PEERS, &n_peers);
	const struct svr_img_peer_path *pps = svr_img_table(img, SVR_SEC_PEER_PATHS, NULL);
	const struct svr_img_security *sec = svr_img_table(img, SVR_SEC_SECURITY_POLICIES, &n_sec);
	for (uint32_t i = 0; i < n_peers; i++)
		for (uint32_t j = 0; j < peers[i].paths.count; j++) {
			uint32_t p = pps[peers[i].paths.first + j].security;
			char why[256];
			if (p < n_sec &&
			    svr_keyring_fits(kr, sec[p].encryption_cipher, why, sizeof(why)) < 0)
				return svr_errf(err, errlen,
						"security policy %s (peer %s) and the key file %s: "
						"%s",
						svr_img_str(img, sec[p].name),
						svr_img_str(img, peers[i].name), key_path, why);
		}
	return 0;
}

int dp_svr_keys_fit(const void *img, char *err, size_t errlen)
{
	return keys_fit_image(dp_svr_ring(), img, err, errlen);
}

void dp_svr_keys_poll(void)
{
	struct stat st;
	if (stat(key_path, &st) != 0 || same_file(&st, &key_stat))
		return; /* a key file that went away leaves the running keys in force */
	key_stat = st;
	struct svr_keyring fresh, *cur = (struct svr_keyring *)dp_svr_ring();
	struct svr_keyring *next = cur == &rings[0] ? &rings[1] : &rings[0];
	struct svr_jerr e;
	const struct dp_gen *g = dp_gen_main();
	if (svr_keyring_load(key_path, &fresh, &e) < 0 ||
	    (g && g->image && keys_fit_image(&fresh, g->image, e.msg, sizeof(e.msg)) < 0) ||
	    svr_keyring_merge(cur, &fresh, next, &e) < 0) {
		LOG_ERR("SVR key file %s not reloaded, the running keys stay: %s", key_path, e.msg);
		OPENSSL_cleanse(&fresh, sizeof(fresh));
		return;
	}
	OPENSSL_cleanse(&fresh, sizeof(fresh));
	atomic_store_explicit(&dp_svr_keyring, next, memory_order_release);
	/* No worker reads the old ring once they have all passed a quiescent state. */
	rte_rcu_qsbr_synchronize(dp.qsbr, RTE_QSBR_THRID_INVALID);
	OPENSSL_cleanse(cur, sizeof(*cur));
	/* only now: a worker forgets what its contexts kept from the old keys at its next use */
	atomic_fetch_add_explicit(&dp_svr_ring_epoch, 1, memory_order_release);
	dp.main_stats.events[SVR_EV_SVR_KEYS_RELOADED]++;
	log_ids("reloaded", next);
	rotated_event(next);
}

/*
 * A session's payload key: its key-ring slot + 1 (5 bits) and the low 11 bits
 * of the key's Security ID, so that a slot a later reload gave to another key
 * is not taken for the session's (its packets are then refused, not garbled).
 */
static uint16_t payload_slot(const struct svr_keyring *kr, const struct svr_key *k)
{
	if (!k || !k->enc_len)
		return 0;
	return (uint16_t)((uint16_t)(k - kr->keys + 1) | (k->security_id & 0x7ff) << 5);
}

const struct svr_keyring *dp_svr_keys_running(void)
{
	return dp_svr_ring();
}

uint64_t dp_svr_keys_loads(void)
{
	return dp.main_stats.events[SVR_EV_SVR_KEYS_RELOADED] + 1; /* the load at start is one */
}

uint16_t dp_svr_payload_key_current(void)
{
	const struct svr_keyring *kr = dp_svr_ring();
	return payload_slot(kr, svr_keyring_current(kr, dp_sess.unix_s));
}

uint16_t dp_svr_payload_key_of(uint32_t security_id)
{
	const struct svr_keyring *kr = dp_svr_ring();
	return payload_slot(kr, svr_keyring_find(kr, security_id));
}

/* A first packet refused as if signed or encrypted under other keys: counted for the log
 * (relaxed stores to the worker's own line; the main lcore only reads). */
void dp_svr_suspect_keys(unsigned wi, enum svr_drop_reason why, uint16_t slot)
{
	_Atomic uint64_t *n = why == SVR_DROP_SVR_HMAC ? &dp_svr_wk[wi].first_hmac_failed
						       : &dp_svr_wk[wi].first_undecryptable;
	atomic_store_explicit(n, atomic_load_explicit(n, memory_order_relaxed) + 1,
			      memory_order_relaxed);
	atomic_store_explicit(&dp_svr_wk[wi].suspect_path, slot, memory_order_relaxed);
}

#define KEYS_DIFFER_LOG_MS 10000 /* at most one such log line per this */

void dp_svr_keys_differ_report(uint64_t now_ms)
{
	static uint64_t next_ms, hmac_seen, undecryptable_seen;
	if (now_ms < next_ms)
		return;
	uint64_t hmac = 0, undecryptable = 0;
	uint16_t slot = 0;
	for (unsigned i = 0; i < DP_MAX_WORKERS; i++) {
		hmac += atomic_load_explicit(&dp_svr_wk[i].first_hmac_failed, memory_order_relaxed);
		undecryptable +=
		    atomic_load_explicit(&dp_svr_wk[i].first_undecryptable, memory_order_relaxed);
		if (atomic_load_explicit(&dp_svr_wk[i].first_hmac_failed, memory_order_relaxed) ||
		    atomic_load_explicit(&dp_svr_wk[i].first_undecryptable, memory_order_relaxed))
			slot =
			    atomic_load_explicit(&dp_svr_wk[i].suspect_path, memory_order_relaxed);
	}
	if (hmac == hmac_seen && undecryptable == undecryptable_seen)
		return;
	const struct dp_svr_path *p = slot < dp_svr_path_count() ? dp_svr_path(slot) : NULL;
	if (undecryptable != undecryptable_seen)
		LOG_WARN("SVR: %" PRIu64 " first packet(s) from peer %s (path %s) whose metadata "
			 "does not decrypt (svr-metadata-undecryptable): the peer's keys likely "
			 "differ from ours; every router needs the same key file",
			 undecryptable - undecryptable_seen, p ? p->peer : "?", p ? p->name : "?");
	if (hmac != hmac_seen)
		LOG_WARN(
		    "SVR: %" PRIu64 " first packet(s) from peer %s (path %s) whose HMAC "
		    "verifies under none of our keys (svr-hmac-failed): the peer's keys likely "
		    "differ from ours (every router needs the same key file), or the clocks "
		    "are apart (time-based HMAC), or the packets were altered or replayed",
		    hmac - hmac_seen, p ? p->peer : "?", p ? p->name : "?");
	hmac_seen = hmac;
	undecryptable_seen = undecryptable;
	next_ms = now_ms + KEYS_DIFFER_LOG_MS;
}

const char *dp_svr_key_file(void)
{
	return key_path;
}

uint32_t dp_svr_security_id_now(void)
{
	const struct svr_key *k = svr_keyring_current(dp_svr_ring(), dp_sess.unix_s);
	return k ? k->security_id : 0;
}
