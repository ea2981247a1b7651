/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What svrpath/'s files share and no other folder sees: the key ring and each
 * worker's key state (keys.c owns them), and the few functions one file calls
 * in another. What a worker calls per packet is inline here, so that no
 * packet pays a call across files for it.
 */
#ifndef SVR_PATH_INTERNAL_H
#define SVR_PATH_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>

#include "common/security.h"
#include "svrpath/path.h"
#include "svrpath/replay.h"
#include "svrpath/wire.h"

/* --- the key ring (keys.c) --- */

/*
 * The key ring workers read (rings[] in keys.c, one of two buffers): swapped
 * by the main lcore at a reload of the key file.
 */
extern struct svr_keyring *_Atomic dp_svr_keyring;

static inline const struct svr_keyring *dp_svr_ring(void)
{
	return atomic_load_explicit(&dp_svr_keyring, memory_order_acquire);
}

/*
 * A session's HMAC key under one key-ring slot (O-3: HMAC(the slot's key,
 * UUID)), as a worker derived it: 4 SHA-256 blocks saved on every later packet
 * of the session. Direct-mapped by entry index and slot; a collision derives
 * again.
 */
struct dp_svr_cached_key {
	uint32_t idx; /* session entry index + 1; 0: empty */
	uint32_t security_id;
	uint8_t slot;
	uint8_t uuid[16];
	struct svr_key key;
};
#define DP_SVR_SESSION_KEYS 256 /* per worker: about 44 KB */

/*
 * Each worker's own: its OpenSSL contexts, the reload they last saw, the
 * key that signed its last packet from a peer (tried first: rotation), and
 * its session keys. One cache line each, so that workers never write to a
 * line another reads.
 */
struct dp_svr_worker_keys {
	struct svr_crypto *crypto;
	unsigned epoch;
	unsigned last_signer;
	struct dp_svr_cached_key *session_keys; /* DP_SVR_SESSION_KEYS of them */
	/* First packets from a peer refused as if under other keys (HMAC failed, metadata did not
	 * decrypt), and the path of the last: for the main lcore's log (keys_differ_report). */
	_Atomic uint64_t first_hmac_failed, first_undecryptable;
	_Atomic uint16_t suspect_path;
} __rte_cache_aligned;
extern struct dp_svr_worker_keys dp_svr_wk[DP_MAX_WORKERS];
/* Bumped after each reload's grace period: at its next SVR packet a worker cleanses the key
 * state its contexts kept (pads, key schedule), so a removed key does not linger there. */
extern _Atomic unsigned dp_svr_ring_epoch;

/* Worker wi's OpenSSL contexts, cleansed first if the key ring changed since their last use. */
static inline struct svr_crypto *dp_svr_worker_crypto(unsigned wi)
{
	unsigned epoch = atomic_load_explicit(&dp_svr_ring_epoch, memory_order_acquire);
	if (unlikely(dp_svr_wk[wi].epoch != epoch)) {
		svr_crypto_forget(dp_svr_wk[wi].crypto);
		OPENSSL_cleanse(dp_svr_wk[wi].session_keys,
				DP_SVR_SESSION_KEYS * sizeof(*dp_svr_wk[wi].session_keys));
		dp_svr_wk[wi].epoch = epoch;
	}
	return dp_svr_wk[wi].crypto;
}

/* Session s's payload key (struct svr_session.payload_key, keys.h), or NULL when that key-ring
 * slot no longer holds it. */
static inline const struct svr_key *dp_svr_session_payload_key(const struct svr_session *s,
							       enum svr_sdir dir)
{
	unsigned slot = svr_session_payload_key(s, dir) & 0x1f;
	const struct svr_keyring *kr = dp_svr_ring();
	if (slot == 0 || slot > kr->n)
		return NULL;
	const struct svr_key *k = &kr->keys[slot - 1];
	return k->enc_len &&
		       (k->security_id & 0x7ff) == (unsigned)(svr_session_payload_key(s, dir) >> 5)
		   ? k
		   : NULL;
}

/* The key file's path, as given at start. */
const char *dp_svr_key_file(void);
/* A first packet refused as if signed or encrypted under other keys, on path slot `slot`:
 * counted for dp_svr_keys_differ_report. */
void dp_svr_suspect_keys(unsigned wi, enum svr_drop_reason why, uint16_t slot);

/* --- first packets (first.c) --- */

/* Startup (dp_svr_init): the replay memory, sized to the session table; and its end. */
int dp_svr_replay_init(void);
void dp_svr_replay_free(void);
/* The replay memory, for the operator's view. */
struct svr_replay *dp_svr_replay_memory(void);
/* Whether a UUID is live or remembered (svr-replayed). */
bool dp_svr_replayed(const uint8_t uuid[16]);
/* Decodes the metadata block at pl (its trailer gone), decrypting the payload section apart
 * under the key its Security ID names: SVR_DROP_MAX with md, or the reason. */
enum svr_drop_reason dp_svr_md_read(unsigned wi, uint8_t encryption, const uint8_t *pl, size_t plen,
				    struct svr_md *md);
/* The metadata block direction dir of s adds (tuple: the packet's, extra: more SVR_MDF_*
 * flags) into out; its length, or 0 with *why. */
size_t dp_svr_build_md(unsigned w_index, const struct dp_gen *g, const struct svr_session *s,
		       enum svr_sdir dir, const struct svr_skey4 *tuple, uint32_t extra,
		       uint8_t *out, size_t cap, enum svr_drop_reason *why);

/* --- the hit path (datapath.c) --- */

_Static_assert(SVR_HMAC_COVER_MAX >= SVR_WIRE_HMAC_COVER_TCP, "a TCP cover fits a message");

/* What a trailer signs in the packet at ip: its transport payload (len bytes at pl, the
 * trailer not included) and its transport header's covered fields (docs/svr.md). Sender and
 * receiver both take it from here, so that they hash the same. */
static inline void dp_svr_msg_of(struct svr_hmac_msg *m, const uint8_t *ip, const uint8_t *pl,
				 size_t len)
{
	m->data = pl;
	m->len = len;
	m->cover_len = (uint8_t)svr_wire_hmac_cover(ip, m->cover);
}

/*
 * A duplicated session's packet (docs/paths.md "Duplication"): its IP identification is the
 * packet number the receiving router dedupes on, so the trailer covers it too (after the
 * transport fields), or a replayed packet with other numbers could mark real ones as seen.
 * Only packets that carry no metadata block: a first packet is read before its session (and
 * whether it is duplicated) is known, and a block never goes through the duplicate window.
 */
static inline void dp_svr_msg_cover_id(struct svr_hmac_msg *m, const uint8_t *ip)
{
	memcpy(m->cover + m->cover_len, ip + 4, 2);
	m->cover_len = (uint8_t)(m->cover_len + 2);
}

/* Whether a direction's packet with payload pl (its trailer and any block still in) signs its
 * IP identification. */
static inline bool dp_svr_signs_id(const struct svr_rewrite *rw, const uint8_t *pl, size_t len)
{
	return (__atomic_load_n(&rw->svr, __ATOMIC_RELAXED) & SVR_RW2_DUP) &&
	       !svr_md_has_cookie(pl, len);
}

/* A trailer checked against every listed key at the neighbouring time steps (s: the session
 * whose keys sign it, NULL: the key file's; pre: a pair check that ran and failed, not tried
 * again): true when one signs msg. */
bool dp_svr_verify(struct dp_worker *w, uint8_t hmac, bool time_based,
		   const struct svr_hmac_msg *msg, const uint8_t *trailer,
		   const struct dp_svr_check *pre, const struct svr_session *s);

#endif
