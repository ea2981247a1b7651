/* SPDX-License-Identifier: BSD-3-Clause */
/* The SVR data path: the first packets of SVR sessions (path.h, docs/svr.md). */
#include "svrpath/path.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <rte_byteorder.h>
#include <rte_malloc.h>
#include <rte_random.h>
#include <rte_rcu_qsbr.h>
#include <rte_spinlock.h>

#include "common/image.h"
#include "common/log.h"
#include "common/security.h"
#include "common/sha256x2.h"
#include "session/names.h"
#include "session/rewrite.h"
#include "session/sessions.h"
#include "svr/metadata.h"
#include "svrpath/replay.h"
#include "svrpath/wire.h"
#include "worker/worker.h"

static struct dp_svr_path paths[DP_MAX_SVR_PATHS];
/* appended by the main lcore (release), read by workers looking a path up (acquire) */
static _Atomic unsigned n_paths;
/*
 * The UUIDs this router made egress sessions for (replay.h): live ones, and
 * ended ones for a while. The HMAC covers neither the waypoint ports (NATs
 * between the routers rewrite them: O-3) nor, under a "regular" HMAC, the
 * time (O-22), so a captured first packet could be sent again on another
 * waypoint tuple, or on another live session's. Forward metadata naming a
 * UUID remembered here, other than the session's own, is refused
 * (svr-replayed). Sized to the session table at start.
 */
static struct svr_replay replay;
static uint64_t *replay_slots;
/*
 * The key ring workers read, and a second buffer for the next reload of the
 * key file: the main lcore fills the idle one, swaps the pointer and waits for
 * the workers' grace period before the old one may be written again. Key
 * slots stay put across reloads (svr_keyring_merge): sessions hold them.
 */
static struct svr_keyring rings[2];
static struct svr_keyring *_Atomic keyring = &rings[0];
/*
 * A session's HMAC key under one key-ring slot (O-3: HMAC(the slot's key,
 * UUID)), as a worker derived it: 4 SHA-256 blocks saved on every later packet
 * of the session. Direct-mapped by entry index and slot; a collision derives
 * again.
 */
struct cached_session_key {
	uint32_t idx; /* session entry index + 1; 0: empty */
	uint32_t security_id;
	uint8_t slot;
	uint8_t uuid[16];
	struct svr_key key;
};
#define SESSION_KEYS 256 /* per worker: about 44 KB */

/*
 * Each worker's own: its OpenSSL contexts, the reload they last saw, the
 * key that signed its last packet from a peer (tried first: rotation), and
 * its session keys. One cache line each, so that workers never write to a
 * line another reads.
 */
static struct worker_keys {
	struct svr_crypto *crypto;
	unsigned epoch;
	unsigned last_signer;
	struct cached_session_key *session_keys; /* SESSION_KEYS of them */
	/* First packets from a peer refused as if under other keys (HMAC failed, metadata did not
	 * decrypt), and the path of the last: for the main lcore's log (keys_differ_report). */
	_Atomic uint64_t first_hmac_failed, first_undecryptable;
	_Atomic uint16_t suspect_path;
} __rte_cache_aligned wk[DP_MAX_WORKERS];
/* Bumped after each reload's grace period: at its next SVR packet a worker cleanses the key
 * state its contexts kept (pads, key schedule), so a removed key does not linger there. */
static _Atomic unsigned ring_epoch;
static char key_path[PATH_MAX];
static struct stat key_stat; /* of the file the running keys came from (zero: none) */

static inline const struct svr_keyring *ring(void)
{
	return atomic_load_explicit(&keyring, memory_order_acquire);
}

/* Worker wi's OpenSSL contexts, cleansed first if the key ring changed since their last use. */
static struct svr_crypto *worker_crypto(unsigned wi)
{
	unsigned epoch = atomic_load_explicit(&ring_epoch, memory_order_acquire);
	if (unlikely(wk[wi].epoch != epoch)) {
		svr_crypto_forget(wk[wi].crypto);
		OPENSSL_cleanse(wk[wi].session_keys, SESSION_KEYS * sizeof(*wk[wi].session_keys));
		wk[wi].epoch = epoch;
	}
	return wk[wi].crypto;
}

/*
 * Session s's HMAC key under slot `slot` of kr (the ring the caller read):
 * derived at its first use on this worker, then from the worker's cache.
 * NULL when the slot has no key. Good until this worker's next call.
 */
static const struct svr_key *session_hmac_key(unsigned wi, const struct svr_keyring *kr,
					      const struct svr_session *s, unsigned slot)
{
	struct svr_crypto *c = worker_crypto(wi); /* first: a reload cleanses the cache */
	if (slot >= kr->n || kr->keys[slot].hmac_len == 0)
		return NULL;
	const struct svr_key *k = &kr->keys[slot];
	uint32_t idx = (uint32_t)(s - dp_sess.table->entries);
	/* 256 sessions in a row get entries of their own under one key; a second key's apart */
	struct cached_session_key *e =
	    &wk[wi].session_keys[(idx ^ (slot * (SESSION_KEYS / SVR_KEYS_MAX + 1))) &
				 (SESSION_KEYS - 1)];
	if (e->idx == idx + 1 && e->slot == slot && e->security_id == k->security_id &&
	    memcmp(e->uuid, svr_session_info(dp_sess.table, s)->uuid, 16) == 0)
		return &e->key;
	if (svr_session_key(c, k, svr_session_info(dp_sess.table, s)->uuid, &e->key) < 0) {
		e->idx = 0;
		return NULL;
	}
	e->idx = idx + 1;
	e->slot = (uint8_t)slot;
	e->security_id = k->security_id;
	memcpy(e->uuid, svr_session_info(dp_sess.table, s)->uuid, 16);
	return &e->key;
}

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
	uint32_t capacity = dp_sess.table->capacity;
	replay_slots =
	    rte_zmalloc("svr_replay", (size_t)svr_replay_slots(capacity) * SVR_REPLAY_SLOT_BYTES,
			RTE_CACHE_LINE_SIZE);
	if (!replay_slots) {
		LOG_ERR(
		    "cannot allocate the SVR replay memory for %u sessions (raise eal.memory-mb "
		    "or lower sessions.capacity)",
		    capacity);
		return -1;
	}
	svr_replay_init(&replay, replay_slots, capacity, rte_rand());
	for (unsigned i = 0; i < n_workers; i++)
		if (!(wk[i].crypto = svr_crypto_new()) ||
		    !(wk[i].session_keys = calloc(SESSION_KEYS, sizeof(*wk[i].session_keys)))) {
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
		svr_crypto_free(wk[i].crypto);
		wk[i].crypto = NULL;
		if (wk[i].session_keys)
			OPENSSL_cleanse(wk[i].session_keys,
					SESSION_KEYS * sizeof(*wk[i].session_keys));
		free(wk[i].session_keys);
		wk[i].session_keys = NULL;
	}
	OPENSSL_cleanse(rings, sizeof(rings));
	rte_free(replay_slots);
	replay_slots = NULL;
	memset(&replay, 0, sizeof(replay));
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
	return keys_fit_image(ring(), img, err, errlen);
}

void dp_svr_keys_poll(void)
{
	struct stat st;
	if (stat(key_path, &st) != 0 || same_file(&st, &key_stat))
		return; /* a key file that went away leaves the running keys in force */
	key_stat = st;
	struct svr_keyring fresh, *cur = (struct svr_keyring *)ring();
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
	atomic_store_explicit(&keyring, next, memory_order_release);
	/* No worker reads the old ring once they have all passed a quiescent state. */
	rte_rcu_qsbr_synchronize(dp.qsbr, RTE_QSBR_THRID_INVALID);
	OPENSSL_cleanse(cur, sizeof(*cur));
	/* only now: a worker forgets what its contexts kept from the old keys at its next use */
	atomic_fetch_add_explicit(&ring_epoch, 1, memory_order_release);
	dp.main_stats.events[SVR_EV_SVR_KEYS_RELOADED]++;
	log_ids("reloaded", next);
}

void dp_svr_path_policy_fill(struct dp_svr_path_policy *pp, const void *img, uint32_t security,
			     uint16_t iface, uint16_t peer_port_lo, uint16_t peer_port_hi)
{
	uint32_t n;
	const struct svr_img_security *sec = svr_img_table(img, SVR_SEC_SECURITY_POLICIES, &n);
	*pp = (struct dp_svr_path_policy){
	    .in_model = true,
	    .iface = iface,
	    .peer_port_lo = peer_port_lo ? peer_port_lo : SVR_PEER_WAYPORT_LO,
	    .peer_port_hi = peer_port_lo ? peer_port_hi : SVR_PEER_WAYPORT_HI,
	    .hmac = SVR_HMAC_NONE, /* no policy: nothing signed or encrypted */
	    .encryption = SVR_CIPHER_NONE};
	if (security < n) {
		pp->hmac = sec[security].hmac_cipher;
		pp->time_based = sec[security].hmac_mode == SVR_HMAC_TIME_BASED;
		pp->encryption = sec[security].encryption_cipher;
	}
}

const struct dp_svr_path_policy *dp_svr_path_policy(const struct dp_gen *g, uint16_t slot)
{
	return &g->spol->svr_paths[slot]; /* DP_MAX_SVR_PATHS of them, unknown ones zero */
}

int dp_svr_path_find(const struct dp_gen *g, uint32_t local, uint32_t remote)
{
	unsigned n = atomic_load_explicit(&n_paths, memory_order_acquire);
	for (unsigned i = 0; i < n; i++)
		if (paths[i].local == local && paths[i].remote == remote &&
		    g->spol->svr_paths[i].in_model)
			return (int)i;
	return -1;
}

uint8_t dp_svr_hmac_flags(const struct dp_gen *g, uint16_t slot, bool to_peer)
{
	if (!dp_svr_path_signed(dp_svr_path_policy(g, slot)))
		return 0;
	return to_peer ? SVR_RW_HMAC_ADD : SVR_RW_HMAC_CHECK;
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

static const struct svr_key *session_payload_key(const struct svr_session *s)
{
	unsigned slot = svr_session_payload_key(s) & 0x1f;
	const struct svr_keyring *kr = ring();
	if (slot == 0 || slot > kr->n)
		return NULL;
	const struct svr_key *k = &kr->keys[slot - 1];
	return k->enc_len && (k->security_id & 0x7ff) == (unsigned)(svr_session_payload_key(s) >> 5)
		   ? k
		   : NULL;
}

uint16_t dp_svr_payload_key_current(void)
{
	const struct svr_keyring *kr = ring();
	return payload_slot(kr, svr_keyring_current(kr, dp_sess.unix_s));
}

uint16_t dp_svr_payload_key_of(uint32_t security_id)
{
	const struct svr_keyring *kr = ring();
	return payload_slot(kr, svr_keyring_find(kr, security_id));
}

static uint32_t clock_s(void)
{
	return atomic_load_explicit(&dp_sess.now_s, memory_order_relaxed);
}

static bool replayed(const uint8_t uuid[16])
{
	return svr_replay_seen(&replay, uuid, clock_s());
}

/* An egress session: its forward direction comes from a peer with metadata. */
static bool egress_session(const struct svr_session *s)
{
	const struct svr_rewrite *fw = svr_session_rw(s, SVR_DIR_FWD);
	return (fw->flags & SVR_RW_MD_ACK_ABSENT) && fw->svr_path < DP_MAX_SVR_PATHS;
}

/*
 * How long a UUID is remembered after its session ends: under a time-based
 * HMAC its first packet verifies only a few seconds (SVR_REPLAY_TIMED_S);
 * otherwise nothing dates it, so twice the session's idle timeout, at least
 * twice SVR_REPLAY_MIN_S. Taken at the claim, from the timeout the session is
 * made with: what happens to the session later (made stale, a new model) does
 * not shorten it.
 */
uint32_t dp_svr_replay_hold_s(const struct dp_gen *g, uint16_t slot, uint32_t idle_s)
{
	const struct dp_svr_path_policy *pp = dp_svr_path_policy(g, slot);
	if (dp_svr_path_signed(pp) && pp->time_based)
		return SVR_REPLAY_TIMED_S;
	return 2 * (idle_s > SVR_REPLAY_MIN_S ? idle_s : SVR_REPLAY_MIN_S);
}

enum svr_drop_reason dp_svr_uuid_claim(const uint8_t uuid[16], uint32_t hold_s)
{
	switch (svr_replay_claim(&replay, uuid, hold_s, clock_s())) {
	case SVR_REPLAY_CLAIMED:
		return SVR_DROP_MAX;
	case SVR_REPLAY_SEEN:
		return SVR_DROP_SVR_REPLAYED;
	default:
		return SVR_DROP_SVR_REPLAY_FULL;
	}
}

void dp_svr_uuid_unclaim(const uint8_t uuid[16])
{
	svr_replay_unclaim(&replay, uuid);
}

void dp_svr_session_ending(const struct svr_session *s)
{
	if (egress_session(s))
		svr_replay_ended(&replay, svr_session_info(dp_sess.table, s)->uuid, clock_s());
}

void dp_svr_replay_sweep(uint64_t elapsed_ms)
{
	/* every slot about once a second, a bounded slice per lock hold */
	uint64_t n = (uint64_t)replay.n_slots * (elapsed_ms ? elapsed_ms : 1) / 1000 + 1;
	while (n) {
		uint32_t k = n < 4096 ? (uint32_t)n : 4096;
		svr_replay_sweep(&replay, clock_s(), k);
		n -= k;
	}
}

size_t dp_svr_replay_bytes(void)
{
	return (size_t)replay.n_slots * SVR_REPLAY_SLOT_BYTES;
}

/*
 * The reverse context mirrors the forward context as the ingress sent it (O-6):
 * the client's address and port, the address and port it asked for — not the
 * tuple after the egress's own NAT. The session entry has no room for it, and
 * only the first packets carry reverse metadata, so the egress keeps it here by
 * entry index, tagged with the session's UUID. A slot a later session took
 * leaves the tuple after NAT (still a valid tuple, not the mirror).
 */
#define FWD_CTX_SLOTS 65536 /* a power of two */
struct fwd_ctx_slot {
	_Atomic uint64_t tag; /* ctx_tag(uuid); 0 while written */
	uint8_t src[4], dst[4];
	uint16_t sport, dport;
};
static struct fwd_ctx_slot fwd_ctx[FWD_CTX_SLOTS];

static uint64_t ctx_tag(const uint8_t uuid[16])
{
	uint64_t a, b;
	memcpy(&a, uuid, 8);
	memcpy(&b, uuid + 8, 8);
	return (a ^ b) ? (a ^ b) : 1;
}

void dp_svr_keep_fwd_ctx(uint32_t idx, const uint8_t uuid[16], const struct svr_md_ctx *c)
{
	struct fwd_ctx_slot *e = &fwd_ctx[idx & (FWD_CTX_SLOTS - 1)];
	atomic_store_explicit(&e->tag, 0, memory_order_release);
	atomic_thread_fence(memory_order_release);
	memcpy(e->src, c->src, 4);
	memcpy(e->dst, c->dst, 4);
	e->sport = c->sport;
	e->dport = c->dport;
	atomic_store_explicit(&e->tag, ctx_tag(uuid), memory_order_release);
}

/* The mirror of the session's kept forward context into c; false if its slot moved on. */
static bool mirror_fwd_ctx(const struct svr_session *s, struct svr_md_ctx *c)
{
	uint32_t idx = (uint32_t)(s - dp_sess.table->entries);
	const struct fwd_ctx_slot *e = &fwd_ctx[idx & (FWD_CTX_SLOTS - 1)];
	uint64_t tag = ctx_tag(svr_session_info(dp_sess.table, s)->uuid);
	if (atomic_load_explicit(&e->tag, memory_order_acquire) != tag)
		return false;
	memset(c, 0, sizeof(*c));
	c->family = 4;
	memcpy(c->src, e->dst, 4);
	memcpy(c->dst, e->src, 4);
	c->sport = e->dport;
	c->dport = e->sport;
	c->proto = svr_session_proto(s);
	atomic_thread_fence(memory_order_acquire);
	return atomic_load_explicit(&e->tag, memory_order_relaxed) ==
	       tag; /* not rewritten meanwhile */
}

/* --- the operator's view (main lcore) --- */

static const char *hmac_name(uint8_t h)
{
	return h == SVR_HMAC_SHA256_128 ? "sha256-128" : h == SVR_HMAC_SHA256 ? "sha256" : "none";
}

static const char *cipher_name(uint8_t c)
{
	return c == SVR_CIPHER_AES_CBC_256   ? "aes-cbc-256"
	       : c == SVR_CIPHER_AES_CBC_128 ? "aes-cbc-128"
					     : "none";
}

static json_t *keys_json(void)
{
	const struct svr_keyring *kr = ring();
	const struct svr_key *cur = svr_keyring_current(kr, dp_sess.unix_s);
	json_t *arr = json_array();
	for (unsigned i = 0; i < kr->n; i++) {
		const struct svr_key *k = &kr->keys[i];
		if (!k->hmac_len)
			continue;
		char nb[32] = "";
		struct tm tm;
		time_t t = (time_t)k->not_before;
		if (k->not_before != INT64_MIN && gmtime_r(&t, &tm))
			strftime(nb, sizeof(nb), "%Y-%m-%dT%H:%M:%SZ", &tm);
		json_array_append_new(arr, json_pack("{s:I, s:s?, s:b, s:b}", "security-id",
						     (json_int_t)k->security_id, "not-before",
						     nb[0] ? nb : NULL, "encryption",
						     k->enc_len != 0, "sending", k == cur));
	}
	uint32_t live, ended;
	svr_replay_counts(&replay, &live, &ended);
	return json_pack("{s:s, s:o, s:I, s:{s:I, s:I, s:I, s:I, s:I}}", "file", key_path, "keys",
			 arr, "reloads", (json_int_t)dp.main_stats.events[SVR_EV_SVR_KEYS_RELOADED],
			 "replay-table", "slots", (json_int_t)replay.n_slots, "limit",
			 (json_int_t)replay.limit, "live", (json_int_t)live, "ended",
			 (json_int_t)ended, "bytes", (json_int_t)dp_svr_replay_bytes());
}

json_t *dp_svr_peers_json(void)
{
	const struct dp_gen *g = dp_gen_main();
	json_t *arr = json_array();
	unsigned n = g ? n_paths : 0;
	for (unsigned i = 0; i < n; i++) {
		const struct dp_svr_path *p = &paths[i];
		const struct dp_svr_path_policy *pp = dp_svr_path_policy(g, (uint16_t)i);
		if (!pp->in_model) /* a slot of an earlier model */
			continue;
		char local[16], remote[16];
		inet_ntop(AF_INET, &p->local, local, sizeof(local));
		inet_ntop(AF_INET, &p->remote, remote, sizeof(remote));
		const char *ifname = pp->iface < g->n_ifaces && g->ifaces[pp->iface].in_use
					 ? g->ifaces[pp->iface].name
					 : NULL;
		char range[16];
		snprintf(range, sizeof(range), "%u-%u", pp->peer_port_lo, pp->peer_port_hi);
		json_array_append_new(
		    arr,
		    json_pack("{s:s, s:s, s:s, s:s?, s:s, s:s, s:s, s:s, s:s}", "peer", p->peer,
			      "peer-ports", range, "path", p->name, "interface", ifname, "local",
			      local, "remote", remote, "hmac", hmac_name(pp->hmac), "hmac-mode",
			      pp->time_based ? "time-based" : "regular", "encryption",
			      cipher_name(pp->encryption)));
	}
	return json_pack("{s:o, s:o}", "paths", arr, "security", keys_json());
}

static uint64_t time_step(void)
{
	return (uint64_t)atomic_load_explicit(&dp_sess.unix_s, memory_order_relaxed) /
	       SVR_HMAC_WINDOW_S;
}

_Static_assert(SVR_HMAC_COVER_MAX >= SVR_WIRE_HMAC_COVER_TCP, "a TCP cover fits a message");

/* What a trailer signs in the packet at ip: its transport payload (len bytes at pl, the
 * trailer not included) and its transport header's covered fields (docs/svr.md). Sender and
 * receiver both take it from here, so that they hash the same. */
static void msg_of(struct svr_hmac_msg *m, const uint8_t *ip, const uint8_t *pl, size_t len)
{
	m->data = pl;
	m->len = len;
	m->cover_len = (uint8_t)svr_wire_hmac_cover(ip, m->cover);
}

/* pre: this packet's pair check, when one ran and failed: its key and step are not tried
 * again. s: the session whose keys sign it (O-3), or NULL for the key file's (metadata). */
static bool verify(unsigned wi, uint8_t hmac, bool time_based, const struct svr_hmac_msg *msg,
		   const uint8_t *trailer, const struct dp_svr_check *pre,
		   const struct svr_session *s)
{
	uint64_t step = time_step();
	unsigned hint = wk[wi].last_signer;
	if (pre && pre->ran && pre->hint == hint && pre->step == step)
		hint |= SVR_HINT_FAILED_NOW;
	const struct svr_keyring *kr = ring();
	struct svr_keyring session_ring; /* the session's key under each slot, in its slot */
	if (s) {
		session_ring.n = kr->n;
		for (unsigned i = 0; i < kr->n; i++) {
			const struct svr_key *k = session_hmac_key(wi, kr, s, i);
			session_ring.keys[i].hmac_len = 0;
			if (k)
				session_ring.keys[i] = *k;
		}
		kr = &session_ring;
	}
	int slot =
	    svr_hmac_verify_ring(worker_crypto(wi), kr, hint, hmac, time_based, step, msg, trailer);
	if (s)
		OPENSSL_cleanse(session_ring.keys, session_ring.n * sizeof(session_ring.keys[0]));
	dp.workers[wi]->stats.hmac_single++;
	if (slot < 0)
		return false;
	if (wk[wi].last_signer != (unsigned)slot) /* a rotation: written once, not per packet */
		wk[wi].last_signer = (unsigned)slot;
	return true;
}

static enum svr_drop_reason md_read(unsigned wi, uint8_t encryption, const uint8_t *pl, size_t plen,
				    struct svr_md *md);
static enum svr_drop_reason read_first(struct dp_worker *w, const struct dp_svr_path_policy *pp,
				       const uint8_t *ip, size_t l4_off, struct svr_md *md);

/* A first packet refused as if signed or encrypted under other keys: counted for the log
 * (relaxed stores to the worker's own line; the main lcore only reads). */
static void suspect_keys(unsigned wi, enum svr_drop_reason why, uint16_t slot)
{
	_Atomic uint64_t *n =
	    why == SVR_DROP_SVR_HMAC ? &wk[wi].first_hmac_failed : &wk[wi].first_undecryptable;
	atomic_store_explicit(n, atomic_load_explicit(n, memory_order_relaxed) + 1,
			      memory_order_relaxed);
	atomic_store_explicit(&wk[wi].suspect_path, slot, memory_order_relaxed);
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
		hmac += atomic_load_explicit(&wk[i].first_hmac_failed, memory_order_relaxed);
		undecryptable +=
		    atomic_load_explicit(&wk[i].first_undecryptable, memory_order_relaxed);
		if (atomic_load_explicit(&wk[i].first_hmac_failed, memory_order_relaxed) ||
		    atomic_load_explicit(&wk[i].first_undecryptable, memory_order_relaxed))
			slot = atomic_load_explicit(&wk[i].suspect_path, memory_order_relaxed);
	}
	if (hmac == hmac_seen && undecryptable == undecryptable_seen)
		return;
	const struct dp_svr_path *p = slot < n_paths ? &paths[slot] : NULL;
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

enum svr_drop_reason dp_svr_read_first(struct dp_worker *w, const struct dp_gen *g, uint16_t slot,
				       const uint8_t *ip, size_t l4_off, struct svr_md *md)
{
	enum svr_drop_reason why = read_first(w, dp_svr_path_policy(g, slot), ip, l4_off, md);
	if (why == SVR_DROP_SVR_HMAC || why == SVR_DROP_SVR_MD_UNDECRYPTABLE)
		suspect_keys(w->index, why, slot);
	if (why == SVR_DROP_MAX && (md->present & SVR_MDF_UUID) && replayed(md->uuid))
		return SVR_DROP_SVR_REPLAYED; /* a session of that UUID exists, or ended lately */
	return why;
}

static enum svr_drop_reason read_first(struct dp_worker *w, const struct dp_svr_path_policy *pp,
				       const uint8_t *ip, size_t l4_off, struct svr_md *md)
{
	size_t total = svr_rd16(ip + 2), l4h = svr_wire_l4_hlen(ip);
	const uint8_t *pl = ip + l4_off + l4h;
	size_t plen = total - l4_off - l4h, tl = svr_hmac_len(pp->hmac);
	if (dp_svr_path_signed(pp)) {
		if (ring()->n == 0)
			return SVR_DROP_SVR_NO_KEY;
		struct svr_hmac_msg msg;
		if (plen < tl)
			return SVR_DROP_SVR_HMAC;
		msg_of(&msg, ip, pl, plen - tl);
		if (!verify(w->index, pp->hmac, pp->time_based, &msg, pl + plen - tl, NULL, NULL))
			return SVR_DROP_SVR_HMAC;
		plen -= tl;
	}
	return md_read(w->index, pp->encryption, pl, plen, md);
}

/* Decodes the metadata at pl (its trailer gone), decrypting the payload section apart. */
static enum svr_drop_reason md_read(unsigned wi, uint8_t encryption, const uint8_t *pl, size_t plen,
				    struct svr_md *md)
{
	struct svr_md_layout l;
	if (svr_md_layout(pl, plen, &l, NULL, 0) < 0)
		return SVR_DROP_SVR_METADATA;
	memset(md, 0, sizeof(*md));
	uint64_t seen = 0; /* §2.4: a type never twice, never in both sections */
	if (svr_md_decode_tlvs(pl + SVR_MD_FIXED_LEN, l.header_len - SVR_MD_FIXED_LEN, true, md,
			       &seen, NULL, 0) < 0)
		return SVR_DROP_SVR_METADATA;
	const uint8_t *tlvs = pl + l.header_len;
	size_t tlen = l.payload_len;
	uint8_t clear[2048];
	if (encryption != SVR_CIPHER_NONE) {
		const struct svr_key *k = svr_keyring_find(ring(), md->security_id);
		if (!k)
			return SVR_DROP_SVR_NO_KEY;
		/* its header decoded (clear text): what follows did not decrypt, or decrypted to
		 * nonsense (CBC under another key passes the padding check 1 time in 256) */
		int n = svr_md_decrypt(worker_crypto(wi), k, tlvs, tlen, clear, sizeof(clear));
		if (n < 0 || svr_md_decode_tlvs(clear, (size_t)n, false, md, &seen, NULL, 0) < 0)
			return SVR_DROP_SVR_MD_UNDECRYPTABLE;
		return SVR_DROP_MAX;
	}
	if (svr_md_decode_tlvs(tlvs, tlen, false, md, &seen, NULL, 0) < 0)
		return SVR_DROP_SVR_METADATA;
	return SVR_DROP_MAX;
}

int dp_svr_path_slot(const char *peer, const char *name, uint32_t local, uint32_t remote)
{
	unsigned n = atomic_load_explicit(&n_paths, memory_order_relaxed); /* the only writer */
	for (unsigned i = 0; i < n; i++)
		if (paths[i].local == local && paths[i].remote == remote &&
		    strcmp(paths[i].peer, peer) == 0 && strcmp(paths[i].name, name) == 0)
			return (int)i;
	if (n == DP_MAX_SVR_PATHS)
		return -1;
	struct dp_svr_path *p = &paths[n];
	p->local = local;
	p->remote = remote;
	snprintf(p->peer, sizeof(p->peer), "%s", peer);
	snprintf(p->name, sizeof(p->name), "%s", name);
	atomic_store_explicit(&n_paths, n + 1, memory_order_release); /* after its fields */
	return (int)n;
}

const struct dp_svr_path *dp_svr_path(uint16_t slot)
{
	return &paths[slot];
}

static void set_name(struct svr_md *md, struct svr_md_name *n, uint32_t flag, const char *s)
{
	if (s && svr_md_set_name(n, s))
		md->present |= flag;
}

static void ctx_of(const struct svr_skey4 *k, struct svr_md_ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->family = 4;
	memcpy(c->src, &k->src, 4);
	memcpy(c->dst, &k->dst, 4);
	c->sport = rte_be_to_cpu_16(k->sport);
	c->dport = rte_be_to_cpu_16(k->dport);
	c->proto = k->proto;
}

/*
 * The metadata a direction adds: forward (ingress) — the original tuple,
 * UUID, tenant, service, routers, peer path; reverse (egress) — the tuple of
 * the answer as it left the server, and the load.
 */
static size_t build_md(unsigned w_index, const struct dp_gen *g, const struct svr_session *s,
		       enum svr_sdir dir, const struct svr_skey4 *tuple, uint32_t extra,
		       uint8_t *out, size_t cap, enum svr_drop_reason *why)
{
	struct svr_md md = {.present = SVR_MDF_SECURITY_ID | extra, .security_id = 0};
	if (dir == SVR_DIR_FWD) {
		const struct dp_svr_path *pp =
		    dp_svr_path(svr_session_rw(s, SVR_DIR_FWD)->svr_path);
		md.present |= SVR_MDF_FWD_CTX | SVR_MDF_UUID;
		ctx_of(tuple, &md.fwd);
		memcpy(md.uuid, svr_session_info(dp_sess.table, s)->uuid, 16);
		set_name(
		    &md, &md.tenant, SVR_MDF_TENANT,
		    svr_names_get(dp_sess.tenants, svr_session_info(dp_sess.table, s)->tenant));
		set_name(
		    &md, &md.service, SVR_MDF_SERVICE,
		    svr_names_get(dp_sess.services, svr_session_info(dp_sess.table, s)->service));
		set_name(&md, &md.src_router, SVR_MDF_SRC_ROUTER,
			 svr_img_str(g->image, svr_img_hdr(g->image)->router_name));
		set_name(&md, &md.dst_router, SVR_MDF_DST_ROUTER, pp->peer);
		set_name(&md, &md.peer_path, SVR_MDF_PEER_PATH, pp->name);
		if (svr_session_rw(s, SVR_DIR_FWD)->svr & SVR_RW2_PAYLOAD)
			md.present |= SVR_MDF_SESSION_ENCRYPTED; /* TLV 11: the egress decrypts */
	} else {
		md.present |= SVR_MDF_REV_CTX | SVR_MDF_NUM_SESSIONS;
		if (!mirror_fwd_ctx(s, &md.rev))
			ctx_of(tuple,
			       &md.rev); /* no NAT here: the answer's own tuple is the mirror */
		md.num_sessions = 0;     /* service load feedback: with path selection */
	}
	const struct dp_svr_path_policy *p =
	    dp_svr_path_policy(g, svr_session_rw(s, dir)->svr_path);
	/* A session with encrypted payloads names its key: the egress decrypts with that one. */
	const struct svr_key *k = svr_session_payload_key(s)
				      ? session_payload_key(s)
				      : svr_keyring_current(ring(), dp_sess.unix_s);
	if (k)
		md.security_id = k->security_id;
	/* names are bounded by validation, so a block fits: a failure to encode is a bug */
	*why = SVR_DROP_SVR_METADATA;
	if (p->encryption == SVR_CIPHER_NONE)
		return svr_md_encode(&md, out, cap, NULL);
	if (!k) {
		*why = SVR_DROP_SVR_NO_KEY;
		return 0;
	}
	/* The payload section encrypted (O-2): the header and its TLVs stay clear. */
	uint8_t clear[1024];
	struct svr_md_layout l;
	size_t n = svr_md_encode(&md, clear, sizeof(clear), &l);
	if (n == 0 || cap < l.header_len)
		return 0;
	*why = SVR_DROP_SVR_CRYPTO;
	memcpy(out, clear, l.header_len);
	size_t ct = svr_md_encrypt(worker_crypto(w_index), k, NULL, clear + l.header_len,
				   l.payload_len, out + l.header_len, cap - l.header_len);
	if (ct == 0 || ct > UINT16_MAX)
		return 0;
	svr_wr16(out + 10, (uint16_t)ct);
	return l.header_len + ct;
}

/*
 * The other direction stops adding metadata. This direction keeps stripping
 * whatever metadata still arrives (a server's further answers, reordering).
 */
static void acknowledge(struct svr_session *s, enum svr_sdir dir)
{
	svr_rewrite_stop_md(svr_session_rw(s, !dir));
}

/*
 * A stale session carries nothing more and ends at the ageing pass over its
 * entry: timeouts of 0 (never configured: a class's 0 means the default). A
 * worker does not delete itself (deletion may wait for a grace period).
 */
static void make_stale(struct svr_session *s)
{
	__atomic_store_n(&svr_session_info(dp_sess.table, s)->idle_s, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&svr_session_info(dp_sess.table, s)->handshake_s, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&svr_session_info(dp_sess.table, s)->closing_s, 0, __ATOMIC_RELAXED);
}

static bool stale(const struct svr_session *s)
{
	return __atomic_load_n(&svr_session_info(dp_sess.table, s)->idle_s, __ATOMIC_RELAXED) == 0;
}

/*
 * Whether forward metadata with another UUID may end this session: only when
 * the ingress plausibly ended it first — TCP closing, or no packet either way
 * for SVR_STALE_IDLE_S. A live session is never ended by a replayed first
 * packet of another one.
 */
static bool stale_ok(const struct svr_session *s)
{
	uint32_t now = atomic_load_explicit(&dp_sess.now_s, memory_order_relaxed);
	uint32_t seen = svr_session_last_seen(s);
	return now - seen >= SVR_STALE_IDLE_S ||
	       (svr_session_proto(s) == SVR_IPPROTO_TCP &&
		atomic_load_explicit(svr_session_tcp_state(s), memory_order_relaxed) ==
		    SVR_TCP_CLOSING);
}

/* Whether the metadata block at md (len bytes, trailer gone) asks to stop forward metadata. */
static bool md_disables_fwd(unsigned wi, const struct dp_svr_path_policy *p, const uint8_t *md,
			    size_t len)
{
	struct svr_md d;
	return md_read(wi, p->encryption, md, len, &d) == SVR_DROP_MAX &&
	       (d.present & SVR_MDF_DISABLE_FWD_MD);
}

/* Room for the trailer after the transport payload; msg: what it signs. */
static enum svr_drop_reason trailer_room(struct rte_mbuf *m, uint8_t *ip, size_t l4_off, size_t tl,
					 struct svr_hmac_msg *msg)
{
	size_t total = svr_rd16(ip + 2), l4h = svr_wire_l4_hlen(ip);
	msg_of(msg, ip, ip + l4_off + l4h, total - l4_off - l4h);
	if (!rte_pktmbuf_append(m, (uint16_t)tl) ||
	    dp_meta(m)->l3_off + total + tl > rte_pktmbuf_data_len(m))
		return SVR_DROP_NO_MBUF;
	return SVR_DROP_MAX;
}

/* The key of session s under slot of kr (from the worker's cache), or for no session kr's
 * key in that slot; NULL when there is none. */
static const struct svr_key *key_for(unsigned wi, const struct svr_keyring *kr,
				     const struct svr_session *s, unsigned slot)
{
	if (s)
		return session_hmac_key(wi, kr, s, slot);
	return slot < kr->n && kr->keys[slot].hmac_len ? &kr->keys[slot] : NULL;
}

/*
 * The second key of a pair whose first is *ka (under the same slot): when
 * both are other sessions' keys from the worker's cache, fetching the second
 * could take the first's entry, so the first is copied into own first (the
 * caller cleanses it). NULL when the second has none.
 */
static const struct svr_key *second_key(unsigned wi, const struct svr_keyring *kr, unsigned slot,
					const struct svr_session *sa, const struct svr_session *sb,
					const struct svr_key **ka, struct svr_key *own)
{
	if (sa && sb && sa != sb) {
		*own = **ka;
		*ka = own;
	}
	return sa == sb ? *ka : key_for(wi, kr, sb, slot);
}

/* Whose keys sign a job: NULL for the key file's (metadata in front, or no session). */
static inline const struct svr_session *signer_of(const struct dp_svr_sign *j)
{
	return j->file_key ? NULL : j->s;
}

/* Where a job's trailer goes: right after the payload it signs (room made by trailer_room;
 * reached through ip, msg.data being read-only). */
static inline uint8_t *trailer_at(struct dp_svr_sign *j)
{
	return j->ip + (j->msg.data - j->ip) + j->msg.len;
}

/* A job's trailer written (rc 0: the lengths and checksums follow) or not. */
static void signed_or_not(struct dp_svr_sign *j, int rc)
{
	if (rc < 0)
		j->why = SVR_DROP_SVR_CRYPTO;
	else
		svr_wire_resize(j->ip, svr_hmac_len(j->hmac), true);
}

/*
 * Four jobs of one session (or all forward metadata), one length and one
 * setting, from jobs[i] on (skipping refused ones), signed as four streams:
 * a session's full-size segments, 8% less a packet than pairs. false: no such
 * four here.
 */
static bool sign_four(struct dp_worker *w, struct svr_crypto *c, const struct svr_key *k,
		      uint64_t step, struct dp_svr_sign *jobs, unsigned n, unsigned *i)
{
	struct dp_svr_sign *q[4];
	unsigned nq = 0, x = *i;
	for (; x < n && nq < 4; x++)
		if (jobs[x].why == SVR_DROP_MAX)
			q[nq++] = &jobs[x];
	if (nq < 4)
		return false;
	for (unsigned t = 1; t < 4; t++)
		if (q[t]->hmac != q[0]->hmac || q[t]->time_based != q[0]->time_based ||
		    q[t]->msg.len != q[0]->msg.len || q[t]->msg.cover_len != q[0]->msg.cover_len ||
		    signer_of(q[t]) != signer_of(q[0]))
			return false;
	const struct svr_hmac_msg *msg[4];
	uint8_t *out[4];
	for (unsigned t = 0; t < 4; t++) {
		msg[t] = &q[t]->msg;
		out[t] = trailer_at(q[t]);
	}
	int rc = svr_hmac_sign4(c, k, q[0]->hmac, q[0]->time_based, step, msg, out);
	for (unsigned t = 0; t < 4; t++)
		signed_or_not(q[t], rc);
	w->stats.hmac_paired += 4;
	*i = x;
	return true;
}

/*
 * Writes the jobs' trailers at the current key's slot — forward metadata under
 * the key itself, the rest under their sessions' keys (O-3) — four at a time
 * where four in a row share a session, a length and the settings, two at a time
 * where two share the settings, one at a time otherwise; lengths and checksums
 * follow. A job that fails keeps its reason in why (SVR_DROP_MAX: signed).
 */
static void sign_jobs(struct dp_worker *w, struct dp_svr_sign *jobs, unsigned n)
{
	const struct svr_keyring *kr = ring();
	const struct svr_key *k = svr_keyring_current(kr, dp_sess.unix_s);
	const unsigned slot = k ? (unsigned)(k - kr->keys) : 0;
	const uint64_t step = time_step();
	struct svr_crypto *c = worker_crypto(w->index);
	for (unsigned i = 0; i < n; i++) {
		struct dp_svr_sign *j = &jobs[i];
		j->why = k ? trailer_room(j->m, j->ip, j->l4_off, svr_hmac_len(j->hmac), &j->msg)
			   : SVR_DROP_SVR_NO_KEY;
	}
	for (unsigned i = 0; i < n;) {
		struct dp_svr_sign *a = &jobs[i];
		unsigned nx = i + 1;
		while (nx < n && jobs[nx].why != SVR_DROP_MAX)
			nx++;
		if (a->why != SVR_DROP_MAX) {
			i = nx;
			continue;
		}
		struct dp_svr_sign *b = nx < n ? &jobs[nx] : NULL;
		/* the key file's key over forward metadata, the session's own over the rest (O-3)
		 */
		const struct svr_key *ka = key_for(w->index, kr, signer_of(a), slot), *kb = NULL;
		struct svr_key own = {0};
		int rc;
		if (!ka) {
			a->why = SVR_DROP_SVR_NO_KEY;
			i = nx;
			continue;
		}
		if (sign_four(w, c, ka, step, jobs, n, &i))
			continue;
		if (b && b->hmac == a->hmac && b->time_based == a->time_based)
			kb = second_key(w->index, kr, slot, signer_of(a), signer_of(b), &ka, &own);
		if (kb) {
			rc = svr_hmac_sign2(c, ka, kb, a->hmac, a->time_based, step, &a->msg,
					    trailer_at(a), &b->msg, trailer_at(b));
			w->stats.hmac_paired += 2;
			i = nx + 1;
		} else {
			rc = svr_hmac_sign(c, ka, a->hmac, a->time_based, step, &a->msg,
					   trailer_at(a));
			w->stats.hmac_single++;
			b = NULL;
			i = nx;
		}
		if (own.hmac_len)
			OPENSSL_cleanse(&own, sizeof(own));
		for (struct dp_svr_sign *j = a; j; j = j == a ? b : NULL)
			signed_or_not(j, rc);
	}
}

void dp_svr_sign_run(struct dp_worker *w, struct dp_svr_sign *jobs, unsigned n)
{
	sign_jobs(w, jobs, n);
	for (unsigned i = 0; i < n; i++)
		if (jobs[i].why != SVR_DROP_MAX) {
			dp_drop(w, jobs[i].m, jobs[i].why);
			jobs[i].m = NULL;
		}
}

/*
 * Whether a packet from the peer is signed with the key file's key: forward
 * metadata arriving at the egress, which names the session's UUID (checked
 * against the session). Everything else — reverse metadata, metadata-only
 * packets, the false-positive marker, data — carries no UUID and is signed
 * with the session's own key, so that it cannot be moved onto another
 * session (O-3). flags: the direction's SVR_RW_*.
 */
static bool file_key_signed(uint8_t flags, const uint8_t *pl, size_t plen)
{
	struct svr_md_layout l;
	return (flags & SVR_RW_MD_ACK_ABSENT) && svr_md_has_cookie(pl, plen) &&
	       svr_md_layout(pl, plen, &l, NULL, 0) == 0 &&
	       !(l.header_len == SVR_MD_FIXED_LEN && l.payload_len == 0);
}

bool dp_svr_check_add(struct dp_svr_check *c, const struct dp_gen *g, struct rte_mbuf *m,
		      const struct svr_flow4 *f, const struct svr_session *s, enum svr_sdir dir)
{
	const struct svr_rewrite *rw = svr_session_rw(s, dir);
	uint8_t flags = __atomic_load_n(&rw->flags, __ATOMIC_RELAXED);
	if (!(flags & SVR_RW_HMAC_CHECK) || f->fragment)
		return false;
	const struct dp_svr_path_policy *p = dp_svr_path_policy(g, rw->svr_path);
	if (!p->in_model || dp_meta(m)->iface_in != p->iface || stale(s))
		return false; /* dropped by dp_svr_packet without hashing */
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, dp_meta(m)->l3_off);
	size_t tl = svr_hmac_len(p->hmac);
	size_t total = svr_rd16(ip + 2), l4h = svr_wire_l4_hlen(ip);
	if (tl == 0 || l4h == 0 || f->l4_off + l4h + tl > total)
		return false; /* dp_svr_packet says why */
	const uint8_t *pl = ip + f->l4_off + l4h;
	size_t plen = total - f->l4_off - l4h - tl;
	*c = (struct dp_svr_check){.trailer = pl + plen,
				   .s = file_key_signed(flags, pl, plen) ? NULL : s,
				   .hmac = p->hmac,
				   .time_based = p->time_based};
	msg_of(&c->msg, ip, pl, plen);
	return dp_svr_path_signed(p);
}

/* The checks c[0..3] run as four streams when they share a session (or all carry forward
 * metadata), a length and a setting: true if they ran. */
static bool check_four(struct dp_worker *w, struct svr_crypto *cr, const struct svr_keyring *kr,
		       unsigned hint, uint64_t step, struct dp_svr_check *c)
{
	for (unsigned t = 1; t < 4; t++)
		if (c[t].hmac != c[0].hmac || c[t].time_based != c[0].time_based ||
		    c[t].msg.len != c[0].msg.len || c[t].msg.cover_len != c[0].msg.cover_len ||
		    c[t].s != c[0].s)
			return false;
	const struct svr_key *k = key_for(w->index, kr, c[0].s, hint);
	if (!k)
		return false;
	const struct svr_hmac_msg *msg[4];
	const uint8_t *tr[4];
	for (unsigned t = 0; t < 4; t++) {
		msg[t] = &c[t].msg;
		tr[t] = c[t].trailer;
	}
	unsigned ok = svr_hmac_check4(cr, k, c[0].hmac, c[0].time_based, step, msg, tr);
	for (unsigned t = 0; t < 4; t++) {
		c[t].ok = (ok >> t) & 1;
		c[t].ran = true;
		c[t].hint = hint;
		c[t].step = step;
	}
	w->stats.hmac_paired += 4;
	return true;
}

void dp_svr_check_run(struct dp_worker *w, struct dp_svr_check *c, unsigned n)
{
	const struct svr_keyring *kr = ring();
	unsigned hint = wk[w->index].last_signer;
	if (hint >= kr->n)
		return; /* no key to try first: each packet gets the full check */
	const uint64_t step = time_step();
	struct svr_crypto *cr = worker_crypto(w->index);
	for (unsigned i = 0; i + 1 < n;) {
		struct dp_svr_check *a = &c[i], *b = &c[i + 1];
		const struct svr_key *ka = NULL, *kb = NULL;
		if (i + 3 < n && check_four(w, cr, kr, hint, step, &c[i])) {
			i += 4;
			continue;
		}
		struct svr_key own = {0};
		if (a->hmac == b->hmac && a->time_based == b->time_based &&
		    (ka = key_for(w->index, kr, a->s, hint)))
			kb = second_key(w->index, kr, hint, a->s, b->s, &ka, &own);
		if (!kb) {
			if (own.hmac_len)
				OPENSSL_cleanse(&own, sizeof(own));
			i++;
			continue;
		}
		unsigned ok = svr_hmac_check2(cr, ka, kb, a->hmac, a->time_based, step, &a->msg,
					      a->trailer, &b->msg, b->trailer);
		if (own.hmac_len)
			OPENSSL_cleanse(&own, sizeof(own));
		a->ok = ok & 1;
		b->ok = (ok & 2) != 0;
		w->stats.hmac_paired += 2;
		a->ran = b->ran = true;
		a->hint = b->hint = hint;
		a->step = b->step = step;
		i += 2;
	}
}

/*
 * One-way flows (O-8): a UDP session whose server never answers would carry
 * forward metadata on every packet. When forward metadata arrives again after
 * 3 forward packets and nothing went back, the egress answers with a
 * metadata-only reverse packet — reverse context (the mirror of what it sends
 * the server), Security ID, TLV 18 "disable forward metadata" — signed like
 * any other. The ingress takes it as the acknowledgement and consumes it.
 * from: the forward packet as it arrived (its waypoint tuple, reversed here).
 */
static struct rte_mbuf *md_only_reply(struct dp_worker *w, const struct dp_gen *g,
				      const struct dp_svr_path_policy *p, const uint8_t *from,
				      struct svr_session *s)
{
	const struct svr_rewrite *fw = svr_session_rw(s, SVR_DIR_FWD);
	struct svr_skey4 rev = {
	    .src = fw->dst,
	    .dst = fw->src,
	    .sport = fw->dport,
	    .dport = fw->sport,
	    .proto = svr_session_proto(s)}; /* UDP, or the protocol a wrapped flow carries */
	uint8_t block[1024];
	enum svr_drop_reason why;
	size_t blen = build_md(w->index, g, s, SVR_DIR_REV, &rev, SVR_MDF_DISABLE_FWD_MD, block,
			       sizeof(block), &why);
	struct rte_mbuf *m = blen ? rte_pktmbuf_alloc(dp.pool) : NULL;
	if (!m)
		return NULL;
	const size_t l2 = 14, hl = 20, total = hl + 8 + blen;
	uint8_t *ip = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(l2 + total));
	if (!ip) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memset(dp_meta(m), 0, sizeof(struct dp_pkt_meta));
	dp_meta(m)->l3_off = (uint8_t)l2;
	dp_meta(m)->iface_in = p->iface;
	ip += l2;
	ip[-2] = 0x08; /* IPv4: the L2 header is written around the EtherType given here */
	ip[-1] = 0x00;
	const size_t fhl = (size_t)(from[0] & 0x0f) * 4;
	memset(ip, 0, hl + 8);
	ip[0] = 0x45;
	svr_wr16(ip + 2, (uint16_t)total);
	ip[6] = 0x40; /* DF */
	ip[8] = 65;   /* forwarded once: leaves with 64 */
	ip[9] = SVR_WIRE_UDP;
	memcpy(ip + 12, from + 16, 4); /* our waypoint */
	memcpy(ip + 16, from + 12, 4); /* the peer's */
	memcpy(ip + hl, from + fhl + 2, 2);
	memcpy(ip + hl + 2, from + fhl, 2);
	svr_wr16(ip + hl + 4, (uint16_t)(8 + blen));
	memcpy(ip + hl + 8, block, blen);
	svr_wire_checksums(ip);
	struct dp_svr_sign job = {.m = m,
				  .ip = ip,
				  .l4_off = (uint16_t)hl,
				  .hmac = p->hmac,
				  .time_based = p->time_based,
				  .s = s}; /* reverse metadata: the session's key */
	if (dp_svr_path_signed(p)) {
		sign_jobs(w, &job, 1);
		if (job.why != SVR_DROP_MAX) { /* a packet of ours, never received: not a drop */
			rte_pktmbuf_free(m);
			return NULL;
		}
	}
	return m;
}

/*
 * End-to-end payload encryption (docs/svr.md): toward the peer the transport
 * payload becomes IV || AES-CBC(payload) under the session's key; from the
 * peer it is opened again. The transport checksum covers new bytes: computed
 * again in full.
 */
static bool seal_payload(struct dp_worker *w, struct rte_mbuf *m, uint8_t *ip, size_t l4_off,
			 const struct svr_session *s)
{
	size_t total = svr_rd16(ip + 2), l4h = svr_wire_l4_hlen(ip);
	size_t clear = total - l4_off - l4h, grow = svr_md_cipher_len(clear) - clear;
	if (total + grow > UINT16_MAX || !rte_pktmbuf_append(m, (uint16_t)grow)) {
		dp_drop(w, m, SVR_DROP_NO_MBUF);
		return false;
	}
	const struct svr_key *k = session_payload_key(s);
	if (!k || svr_payload_encrypt(worker_crypto(w->index), k, ip + l4_off + l4h, clear,
				      clear + grow) != clear + grow) {
		dp_drop(w, m, k ? SVR_DROP_SVR_CRYPTO : SVR_DROP_SVR_NO_KEY);
		return false;
	}
	svr_wr16(ip + 2, (uint16_t)(total + grow));
	svr_wire_checksums(ip);
	return true;
}

static bool open_payload(struct dp_worker *w, struct rte_mbuf *m, uint8_t *ip, size_t l4_off,
			 const struct svr_session *s)
{
	size_t total = svr_rd16(ip + 2), l4h = svr_wire_l4_hlen(ip);
	size_t len = total - l4_off - l4h;
	if (len == 0) /* nothing was encrypted (a bare ACK, a SYN once its metadata is gone) */
		return true;
	/* room: the mbuf's data from the payload on, and its tailroom (OpenSSL's block ahead) */
	uint8_t *pl = ip + l4_off + l4h;
	size_t room = (size_t)(rte_pktmbuf_mtod(m, uint8_t *) + rte_pktmbuf_data_len(m) - pl) +
		      rte_pktmbuf_tailroom(m);
	const struct svr_key *k = session_payload_key(s);
	int n = -1;
	if (k && room >= len + 16) {
		n = svr_payload_decrypt(worker_crypto(w->index), k, pl, len, room);
	} else if (k && len <= DP_SVR_MAX_PAYLOAD) {
		/* no block of tailroom for OpenSSL (an MTU near the mbuf's size): through a copy */
		uint8_t tmp[DP_SVR_MAX_PAYLOAD + 16];
		memcpy(tmp, pl, len);
		n = svr_payload_decrypt(worker_crypto(w->index), k, tmp, len, sizeof(tmp));
		if (n >= 0)
			memcpy(pl, tmp, (size_t)n);
		OPENSSL_cleanse(tmp, len);
	}
	if (n < 0) {
		dp_drop(w, m, SVR_DROP_SVR_PAYLOAD);
		return false;
	}
	size_t shrink = len - (size_t)n;
	rte_pktmbuf_trim(m, (uint16_t)shrink);
	svr_wr16(ip + 2, (uint16_t)(total - shrink));
	svr_wire_checksums(ip);
	return true;
}

enum dp_svr_verdict dp_svr_packet(struct dp_worker *w, const struct dp_gen *g, struct rte_mbuf *m,
				  uint8_t *ip, const struct svr_flow4 *f, struct svr_session *s,
				  enum svr_sdir dir, const struct dp_svr_check *pre,
				  struct dp_svr_sign *sign_job, struct rte_mbuf **reply)
{
	*reply = NULL;
	const struct svr_rewrite *rw = svr_session_rw(s, dir);
	const struct dp_svr_path_policy *p = dp_svr_path_policy(g, rw->svr_path);
	uint8_t flags = __atomic_load_n(&rw->flags, __ATOMIC_RELAXED);
	const uint8_t hmac = p->hmac;
	const bool time_based = p->time_based;
	if (!p->in_model) { /* the model no longer has the path (or a newer one made it) */
		/* gone for good: ends at the next ageing pass, not after its idle timeout. (A
		 * worker still on the generation before the path's: one packet, then rebuilt.) */
		if (dp_gen_load() == g)
			make_stale(s);
		dp_drop(w, m, SVR_DROP_SVR_PATH_GONE);
		return DP_SVR_DROPPED;
	}
	/* The path's HMAC switched on or off since the session began (a new model): the two
	 * routers would no longer agree on its packets (a trailer taken for data, or missed). It
	 * ends; the next session starts under the new policy. */
	if (!!(flags & (SVR_RW_HMAC_ADD | SVR_RW_HMAC_CHECK)) != dp_svr_path_signed(p)) {
		if (dp_gen_load() == g)
			make_stale(s);
		dp_drop(w, m, SVR_DROP_SVR_PATH_CHANGED);
		return DP_SVR_DROPPED;
	}
	/* No SVR fragmentation yet: a fragment could not be signed or checked whole. */
	if (f->fragment) {
		dp_drop(w, m, SVR_DROP_FRAGMENT);
		return DP_SVR_DROPPED;
	}
	/* Ethernet padding after the datagram is not data: what SVR strips and appends is at the
	 * datagram's end, and no byte of a buffer's earlier packet may leave with this one. */
	uint32_t end = dp_meta(m)->l3_off + svr_rd16(ip + 2);
	if (rte_pktmbuf_data_len(m) > end)
		rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - end));
	/* From the peer only over the path's interface; toward it never from there (a WAN host
	 * must not get its packets signed by matching a session's key). */
	bool from_peer = flags & (SVR_RW_HMAC_CHECK | SVR_RW_MD_ACK_PRESENT | SVR_RW_MD_ACK_ABSENT);
	if ((dp_meta(m)->iface_in == p->iface) != from_peer) {
		dp_drop(w, m, SVR_DROP_SVR_WRONG_SIDE);
		return DP_SVR_DROPPED;
	}
	if (stale(s)) {
		dp_drop(w, m, SVR_DROP_SVR_STALE);
		return DP_SVR_DROPPED;
	}
	size_t l4h = svr_wire_l4_hlen(ip); /* 0 for an ICMP echo still to be wrapped */
	if (!(flags & SVR_RW_UDP_WRAP) && (l4h == 0 || f->l4_off + l4h > svr_rd16(ip + 2))) {
		dp_drop(w, m, SVR_DROP_L4_SHORT);
		return DP_SVR_DROPPED;
	}
	uint8_t *pl = ip + f->l4_off + l4h;
	size_t plen = svr_rd16(ip + 2) - f->l4_off - l4h;
	if (flags & SVR_RW_HMAC_CHECK) { /* from the peer: signed, or dropped */
		size_t tl = svr_hmac_len(hmac);
		const struct svr_session *keys_of =
		    plen >= tl && file_key_signed(flags, pl, plen - tl) ? NULL : s;
		/* the pre-check of this very packet, under the settings read here */
		if (pre && !(pre->hmac == hmac && pre->time_based == time_based &&
			     pre->msg.data == pl && pre->msg.len + tl == plen && pre->s == keys_of))
			pre = NULL;
		struct svr_hmac_msg msg;
		if (plen >= tl && !(pre && pre->ok))
			msg_of(&msg, ip, pl, plen - tl);
		if (plen < tl || (!(pre && pre->ok) && !verify(w->index, hmac, time_based, &msg,
							       pl + plen - tl, pre, keys_of))) {
			dp_drop(w, m, SVR_DROP_SVR_HMAC);
			return DP_SVR_DROPPED;
		}
		plen -= tl;
		svr_wire_resize(ip, tl, false);
		rte_pktmbuf_trim(m, (uint16_t)tl);
	}
	bool stripped = false;
	if (flags & (SVR_RW_MD_ACK_PRESENT | SVR_RW_MD_ACK_ABSENT)) {
		struct svr_md_layout l;
		bool present =
		    svr_md_has_cookie(pl, plen) && svr_md_layout(pl, plen, &l, NULL, 0) == 0;
		stripped = present;
		/* a bare header is the false-positive marker (§2.3): stripped, but no metadata */
		bool md_in = present && !(l.header_len == SVR_MD_FIXED_LEN && l.payload_len == 0);
		/* Egress: forward metadata again is a retransmitted first packet of this session —
		 * or the first packet of a new one, when the ingress ended this session before us
		 * and gave its waypoint pair to the next (then this one is stale) — or a signed
		 * first packet of another session replayed onto this tuple (the HMAC does not
		 * cover ports: O-3). A session still in use is kept: a new one waits until this one
		 * has been idle a moment or is closing (see stale_ok). */
		if (md_in && (flags & SVR_RW_MD_ACK_ABSENT)) {
			struct svr_md md;
			enum svr_drop_reason why = md_read(w->index, p->encryption, pl, plen, &md);
			if (why == SVR_DROP_MAX &&
			    (!(md.present & SVR_MDF_UUID) ||
			     memcmp(md.uuid, svr_session_info(dp_sess.table, s)->uuid, 16) != 0)) {
				if ((md.present & SVR_MDF_UUID) && replayed(md.uuid)) {
					why = SVR_DROP_SVR_REPLAYED;
				} else if (stale_ok(s)) {
					make_stale(s);
					why = SVR_DROP_SVR_STALE;
				} else {
					why = SVR_DROP_SVR_UUID_BUSY;
				}
			}
			if (why != SVR_DROP_MAX) {
				dp_drop(w, m, why);
				return DP_SVR_DROPPED;
			}
			/* a one-way flow: ask the ingress to stop (O-8); not an echo: answered */
			if (ip[9] == SVR_WIRE_UDP &&
			    (!(flags & SVR_RW_UDP_UNWRAP) ||
			     rw->wrapped_proto != SVR_IPPROTO_ICMP) &&
			    s->dir[SVR_DIR_REV].pkts == 0 && s->dir[SVR_DIR_FWD].pkts >= 3)
				*reply = md_only_reply(w, g, p, ip, s);
		}
		size_t blen = present ? (size_t)l.header_len + l.payload_len : 0;
		/* Ingress: nothing but metadata with TLV 18 from the egress is its acknowledgement
		 * of a one-way flow; it goes no further (an empty datagram of the server's goes on)
		 */
		bool ack_only = md_in && blen == plen && (flags & SVR_RW_MD_ACK_PRESENT) &&
				ip[9] == SVR_WIRE_UDP && md_disables_fwd(w->index, p, pl, blen);
		if (present) {
			svr_wire_strip(ip, blen);
			rte_pktmbuf_trim(m, (uint16_t)blen);
		}
		if (md_in == !!(flags & SVR_RW_MD_ACK_PRESENT))
			acknowledge(s, dir);
		if (ack_only) {
			dp_drop(w, m, SVR_DROP_SVR_MD_ONLY);
			return DP_SVR_DROPPED;
		}
	}
	if ((rw->svr & SVR_RW2_PAYLOAD) && from_peer && !open_payload(w, m, ip, f->l4_off, s))
		return DP_SVR_DROPPED;
	uint8_t block[1024];
	size_t blen = 0, tl = flags & SVR_RW_HMAC_ADD ? svr_hmac_len(hmac) : 0;
	if ((flags & SVR_RW_HMAC_ADD) && tl == 0) {
		/* signed (dp_svr_path_signed) but no trailer length: never sent unsigned */
		dp_drop(w, m, SVR_DROP_SVR_CRYPTO);
		return DP_SVR_DROPPED;
	}
	/* what encryption adds to this packet (IV and padding), and to any segment (the MSS) */
	size_t enc = 0, enc_max = 0;
	if ((rw->svr & SVR_RW2_PAYLOAD) && !from_peer) {
		/* an echo still to be wrapped has l4h 0: its whole ICMP message is the payload */
		size_t clear = svr_rd16(ip + 2) - f->l4_off - l4h;
		enc = clear ? svr_md_cipher_len(clear) - clear : 0;
		enc_max = SVR_IV_LEN + 16;
	}
	if (flags & SVR_RW_MD_ADD) {
		enum svr_drop_reason why;
		blen = build_md(w->index, g, s, dir, &f->key, 0, block, sizeof(block), &why);
		if (blen == 0) {
			dp_drop(w, m, why);
			return DP_SVR_DROPPED;
		}
	} else if (!from_peer && !enc && svr_md_has_cookie(pl, plen)) {
		/* A payload that starts like metadata: the peer must not strip it, so it gets the
		 * false-positive marker in front (§2.3), which the peer strips instead. An
		 * encrypted payload starts with an IV that never looks like this. */
		svr_md_marker(block);
		blen = SVR_MD_FIXED_LEN;
	}
	if (!from_peer) {
		/* A packet that would not fit the path once SVR adds to it (metadata, trailer,
		 * encryption): the sender hears how much it may send (SVR fragmentation comes
		 * later); nothing is lost silently. */
		uint16_t mtu = g->ifaces[p->iface].mtu;
		size_t wrap = flags & SVR_RW_UDP_WRAP ? 8 : 0;
		if (svr_rd16(ip + 2) + blen + tl + wrap + enc > mtu) {
			size_t over = blen + tl + wrap + enc_max; /* 68: the least IPv4 allows */
			dp_meta(m)->mtu = (uint16_t)(mtu > over + 68 ? mtu - over : 68);
			dp_punt(w, m, DP_PUNT_SVR_TOO_BIG);
			return DP_SVR_DROPPED;
		}
	}
	uint16_t l3_off = dp_meta(m)->l3_off;
	if (flags & SVR_RW_UDP_UNWRAP) { /* an echo or other protocol that crossed as UDP */
		if (svr_wire_udp_unwrap(ip, rw->wrapped_proto) == 0) {
			dp_drop(w, m, SVR_DROP_L4_SHORT);
			return DP_SVR_DROPPED;
		}
		rte_pktmbuf_trim(m, 8);
		svr_wire_translate_bare(ip, &rw->src, &rw->dst, rw->sport);
	} else if (flags & SVR_RW_UDP_WRAP) { /* an echo or other protocol leaving as UDP */
		svr_wire_translate_bare(ip, &rw->src, &rw->dst, f->key.sport);
		if (!rte_pktmbuf_append(m, 8) ||
		    svr_wire_udp_wrap(ip, rte_pktmbuf_data_len(m) - l3_off,
				      rte_be_to_cpu_16(rw->sport),
				      rte_be_to_cpu_16(rw->dport)) == 0) {
			dp_drop(w, m, SVR_DROP_NO_MBUF);
			return DP_SVR_DROPPED;
		}
	} else if ((flags & SVR_RW_MD_ADD) || stripped) {
		svr_wire_translate(ip, &rw->src, &rw->dst, rte_be_to_cpu_16(rw->sport),
				   rte_be_to_cpu_16(rw->dport));
	} else { /* established: the deltas computed at creation, as on the hit path */
		svr_rewrite4(ip, ip + f->l4_off, f->key.proto, rw);
	}
	if (enc && !seal_payload(w, m, ip, f->l4_off, s))
		return DP_SVR_DROPPED;
	if ((tl || enc_max) && ip[9] == SVR_WIRE_TCP) {
		/* Room for the trailer and encryption in every segment: the MSS the peer side will
		 * use. */
		size_t mtu = g->ifaces[p->iface].mtu, over = 40 + tl + enc_max;
		svr_wire_clamp_mss(ip, (uint16_t)(mtu > over + 536 ? mtu - over : 536));
	}
	if (blen) {
		if (!rte_pktmbuf_append(m, (uint16_t)blen) ||
		    svr_wire_insert(ip, rte_pktmbuf_data_len(m) - l3_off, block, blen) == 0) {
			dp_drop(w, m, SVR_DROP_NO_MBUF);
			return DP_SVR_DROPPED;
		}
	}
	if (tl) { /* to the peer: signed at the burst's end (msg_of: what the trailer covers) */
		sign_job->m = m;
		sign_job->ip = ip;
		sign_job->hmac = hmac;
		sign_job->time_based = time_based;
		/* forward metadata: the key file's key (the egress may have no session yet) */
		sign_job->file_key = dir == SVR_DIR_FWD && (flags & SVR_RW_MD_ADD);
		return DP_SVR_SIGN;
	}
	return DP_SVR_GO;
}

/* --- ICMP errors carried between the routers (svrpath/icmp.c) --- */

uint32_t dp_svr_security_id_now(void)
{
	const struct svr_key *k = svr_keyring_current(ring(), dp_sess.unix_s);
	return k ? k->security_id : 0;
}

enum svr_drop_reason dp_svr_session_trailer_strip(struct dp_worker *w,
						  const struct dp_svr_path_policy *p,
						  struct rte_mbuf *m, uint8_t *ip,
						  const struct svr_session *s)
{
	size_t total = svr_rd16(ip + 2), l4_off = (size_t)(ip[0] & 0x0f) * 4;
	size_t l4h = svr_wire_l4_hlen(ip), tl = svr_hmac_len(p->hmac);
	if (l4h == 0 || total < l4_off + l4h + tl)
		return SVR_DROP_SVR_HMAC;
	const uint8_t *pl = ip + l4_off + l4h;
	size_t plen = total - l4_off - l4h - tl;
	struct svr_hmac_msg msg;
	msg_of(&msg, ip, pl, plen);
	if (!verify(w->index, p->hmac, p->time_based, &msg, pl + plen, NULL, s))
		return SVR_DROP_SVR_HMAC;
	svr_wire_resize(ip, tl, false);
	rte_pktmbuf_trim(m, (uint16_t)tl);
	return SVR_DROP_MAX;
}

bool dp_svr_iface_has_path(const struct dp_gen *g, uint16_t iface)
{
	unsigned n = atomic_load_explicit(&n_paths, memory_order_acquire);
	for (unsigned slot = 0; slot < n; slot++) {
		const struct dp_svr_path_policy *p = dp_svr_path_policy(g, (uint16_t)slot);
		if (p->in_model && p->iface == iface)
			return true;
	}
	return false;
}
