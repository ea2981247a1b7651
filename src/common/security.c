/* SPDX-License-Identifier: BSD-3-Clause */
/* SVR security between routers: key ring, HMAC trailer, metadata encryption (security.h). */
#include "common/security.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
/* SHA256_Init/Update/Final: deprecated in OpenSSL 3 for EVP, used on purpose (svr_crypto). */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "common/sha256x2.h"

#include "common/timeutil.h"
#include "svr/metadata.h"

/* --- key ring --- */

static int hex_bytes(const char *hex, uint8_t *out, size_t max)
{
	size_t n = strlen(hex);
	if (n % 2 || n / 2 > max)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1 ||
		    !strchr("0123456789abcdefABCDEF", hex[2 * i]) ||
		    !strchr("0123456789abcdefABCDEF", hex[2 * i + 1]))
			return -1;
		out[i] = (uint8_t)v;
	}
	return (int)(n / 2);
}

/* A key of its own for payloads (key separation from the metadata's). */
static int derive_payload_key(struct svr_key *k)
{
	static const char label[] = "svr payload";
	uint8_t full[32];
	size_t n = 0;
	if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, k->enc_key, k->enc_len,
		       (const uint8_t *)label, sizeof(label) - 1, full, sizeof(full), &n) ||
	    n != sizeof(full))
		return -1;
	memcpy(k->payload_key, full, k->enc_len);
	OPENSSL_cleanse(full, sizeof(full));
	return 0;
}

static int parse_key(const json_t *o, const char *path, struct svr_key *k, struct svr_jerr *e)
{
	static const char *const keys[] = {"security-id", "hmac-key", "encryption-key",
					   "not-before", NULL};
	uint64_t id;
	const char *hmac = NULL, *enc = NULL, *nb = NULL;
	char p[96];
	if (!json_is_object(o))
		return svr_jerr_set(e, path, "must be an object");
	if (svr_json_only_keys(o, path, keys, e) < 0 ||
	    svr_json_get_uint(o, "security-id", path, 0, UINT32_MAX, &id, e) < 0 ||
	    svr_json_get_string(o, "hmac-key", path, &hmac, e) < 0 ||
	    svr_json_get_string(o, "encryption-key", path, &enc, e) < 0 ||
	    svr_json_get_string(o, "not-before", path, &nb, e) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s.security-id", path);
	if (!json_object_get(o, "security-id"))
		return svr_jerr_set(e, p, "is required");
	k->security_id = (uint32_t)id;
	snprintf(p, sizeof(p), "%s.hmac-key", path);
	int n = hmac ? hex_bytes(hmac, k->hmac_key, SVR_KEY_MAX_BYTES) : -1;
	if (n < 16)
		return svr_jerr_set(e, p, "must be 16-64 bytes in hex (32-128 hex digits)");
	k->hmac_len = (uint8_t)n;
	if (enc) {
		snprintf(p, sizeof(p), "%s.encryption-key", path);
		n = hex_bytes(enc, k->enc_key, sizeof(k->enc_key));
		if (n != 16 && n != 32)
			return svr_jerr_set(e, p, "must be 16 or 32 bytes in hex (AES-128/256)");
		k->enc_len = (uint8_t)n;
		if (derive_payload_key(k) < 0)
			return svr_jerr_set(e, p, "OpenSSL could not derive the payload key");
	}
	k->not_before = INT64_MIN;
	if (nb) {
		snprintf(p, sizeof(p), "%s.not-before", path);
		if (svr_rfc3339_parse(nb, &k->not_before) < 0)
			return svr_jerr_set(e, p, "\"%s\" is not an RFC 3339 time", nb);
	}
	return 0;
}

/*
 * Key bytes pass through memory jansson frees: its lexer's buffers (grown by
 * doubling) and the string values. Its free is wrapped, process-wide, so that
 * every block it gives back is cleansed first. The wrapper serves any block
 * (malloc_usable_size), so installing it late, with jansson objects already
 * made, is safe; jansson's allocator must be malloc-compatible (the default).
 */
static json_free_t json_free_before;

static void cleansing_free(void *p)
{
	if (!p)
		return;
	OPENSSL_cleanse(p, malloc_usable_size(p));
	json_free_before(p);
}

static void cleanse_json_frees(void)
{
	json_malloc_t m;
	json_free_t f;
	json_get_alloc_funcs(&m, &f);
	if (f == cleansing_free)
		return;
	json_free_before = f;
	json_set_alloc_funcs(m, cleansing_free);
}

int svr_keyring_parse(const char *text, struct svr_keyring *kr, struct svr_jerr *e)
{
	return svr_keyring_parse_len(text, strlen(text), kr, e);
}

int svr_keyring_parse_len(const char *text, size_t len, struct svr_keyring *kr, struct svr_jerr *e)
{
	memset(kr, 0, sizeof(*kr));
	cleanse_json_frees();
	json_error_t jerr;
	json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc) {
		/* Not jansson's text: it may quote the token it stopped at, a piece of a key. */
		svr_jerr_set(e, "", "line %d column %d: not valid JSON", jerr.line, jerr.column);
		OPENSSL_cleanse(&jerr, sizeof(jerr));
		return -1;
	}
	static const char *const top[] = {"keys", NULL};
	json_t *arr = NULL;
	int rc = -1;
	if (!json_is_object(doc)) {
		svr_jerr_set(e, "", "must be an object with \"keys\"");
		goto out;
	}
	if (svr_json_only_keys(doc, "", top, e) < 0 ||
	    svr_json_get_array(doc, "keys", "", &arr, e) < 0)
		goto out;
	if (!arr || json_array_size(arr) == 0) {
		svr_jerr_set(e, "keys", "must list at least one key");
		goto out;
	}
	if (json_array_size(arr) > SVR_KEYS_MAX) {
		svr_jerr_set(e, "keys", "at most %d keys", SVR_KEYS_MAX);
		goto out;
	}
	for (size_t i = 0; i < json_array_size(arr); i++) {
		char path[48];
		snprintf(path, sizeof(path), "keys[%zu]", i);
		struct svr_key *k = &kr->keys[kr->n];
		if (parse_key(json_array_get(arr, i), path, k, e) < 0)
			goto out;
		if (svr_keyring_find(kr, k->security_id)) {
			snprintf(path, sizeof(path), "keys[%zu].security-id", i);
			svr_jerr_set(e, path, "%u is listed twice", k->security_id);
			goto out;
		}
		kr->n++;
	}
	rc = 0;
out:
	json_decref(doc);
	if (rc < 0)
		OPENSSL_cleanse(kr, sizeof(*kr));
	return rc;
}

#define KEY_FILE_MAX 16384

int svr_keyring_load(const char *path, struct svr_keyring *kr, struct svr_jerr *e)
{
	/* read(2), not stdio: no buffer of key bytes left behind uncleansed */
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return svr_jerr_set(e, "", "cannot open %s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) == 0 && (st.st_mode & 077)) {
		close(fd);
		return svr_jerr_set(e, "",
				    "%s is readable by group or others (mode %03o): "
				    "chmod 600 it",
				    path, (unsigned)(st.st_mode & 0777));
	}
	char buf[KEY_FILE_MAX + 1];
	size_t n = 0;
	ssize_t got = 0;
	while (n < sizeof(buf) &&
	       ((got = read(fd, buf + n, sizeof(buf) - n)) > 0 || (got < 0 && errno == EINTR)))
		n += got > 0 ? (size_t)got : 0;
	int err = got < 0 ? errno : 0;
	close(fd);
	int rc;
	if (err)
		rc = svr_jerr_set(e, "", "cannot read %s: %s", path, strerror(err));
	else if (n > KEY_FILE_MAX)
		rc = svr_jerr_set(e, "", "%s is larger than %d bytes", path, KEY_FILE_MAX);
	else
		rc = svr_keyring_parse_len(buf, n, kr, e);
	OPENSSL_cleanse(buf, sizeof(buf));
	return rc;
}

size_t svr_cipher_key_len(enum svr_img_cipher cipher)
{
	return cipher == SVR_CIPHER_AES_CBC_128 ? 16 : cipher == SVR_CIPHER_AES_CBC_256 ? 32 : 0;
}

int svr_keyring_fits(const struct svr_keyring *kr, enum svr_img_cipher cipher, char *err,
		     size_t errlen)
{
	size_t need = svr_cipher_key_len(cipher);
	if (!need)
		return 0;
	const char *name = cipher == SVR_CIPHER_AES_CBC_128 ? "aes-cbc-128" : "aes-cbc-256";
	for (unsigned i = 0; i < kr->n; i++) {
		const struct svr_key *k = &kr->keys[i];
		if (!k->hmac_len || k->enc_len == need) /* an empty slot, or a fit */
			continue;
		if (!k->enc_len)
			snprintf(err, errlen,
				 "key security-id %u has no encryption-key; %s needs one of %zu "
				 "bytes (%zu hex digits)",
				 k->security_id, name, need, 2 * need);
		else
			snprintf(err, errlen,
				 "key security-id %u has a %u-byte encryption-key; %s needs %zu "
				 "bytes (%zu hex digits)",
				 k->security_id, (unsigned)k->enc_len, name, need, 2 * need);
		return -1;
	}
	return 0;
}

const struct svr_key *svr_keyring_current(const struct svr_keyring *kr, int64_t now)
{
	const struct svr_key *best = NULL;
	for (unsigned i = 0; i < kr->n; i++) {
		const struct svr_key *k = &kr->keys[i];
		if (k->hmac_len == 0 || k->not_before > now) /* an empty slot, or not yet */
			continue;
		if (!best || k->not_before > best->not_before ||
		    (k->not_before == best->not_before && k->security_id > best->security_id))
			best = k;
	}
	return best;
}

const struct svr_key *svr_keyring_find(const struct svr_keyring *kr, uint32_t security_id)
{
	for (unsigned i = 0; i < kr->n; i++)
		if (kr->keys[i].hmac_len && kr->keys[i].security_id == security_id)
			return &kr->keys[i];
	return NULL;
}

int svr_keyring_merge(const struct svr_keyring *old, const struct svr_keyring *fresh,
		      struct svr_keyring *out, struct svr_jerr *e)
{
	struct svr_keyring r;
	memset(&r, 0, sizeof(r));
	bool placed[SVR_KEYS_MAX] = {false};
	/* a key still listed keeps its slot */
	for (unsigned i = 0; i < fresh->n; i++) {
		const struct svr_key *k = &fresh->keys[i],
				     *was = svr_keyring_find(old, k->security_id);
		if (!was)
			continue;
		r.keys[was - old->keys] = *k;
		placed[i] = true;
	}
	/* a new key takes a slot free in both rings (a removed key's slot is not reused at once) */
	unsigned slot = 0;
	for (unsigned i = 0; i < fresh->n; i++) {
		if (placed[i])
			continue;
		while (slot < SVR_KEYS_MAX &&
		       (r.keys[slot].hmac_len || (slot < old->n && old->keys[slot].hmac_len)))
			slot++;
		if (slot == SVR_KEYS_MAX) {
			OPENSSL_cleanse(&r, sizeof(r));
			return svr_jerr_set(e, "keys",
					    "no free key slot for security-id %u: at most %d keys "
					    "between the running and the new key file",
					    fresh->keys[i].security_id, SVR_KEYS_MAX);
		}
		r.keys[slot++] = fresh->keys[i];
	}
	for (unsigned i = 0; i < SVR_KEYS_MAX; i++)
		if (r.keys[i].hmac_len)
			r.n = i + 1;
	*out = r;
	OPENSSL_cleanse(&r, sizeof(r));
	return 0;
}

/* --- OpenSSL contexts --- */

/*
 * The per-packet HMAC keeps SHA-256 states of its own: the key's inner and
 * outer pads hashed once (RFC 2104), copied as plain structs per packet.
 * OpenSSL 3.0's EVP_MAC_init re-copies its key state through a heap
 * allocation on every packet and hashes through the provider layer; this is
 * the same libcrypto SHA-256 code (SHA-NI where the CPU has it) with neither.
 * docs/svr.md has the figures.
 */
/* A key's HMAC pads, hashed once (the SHA-256 states after the ipad and opad blocks). */
struct hmac_pads {
	uint8_t key[SVR_KEY_MAX_BYTES]; /* the key they were hashed from */
	uint8_t len;                    /* its length; 0: empty */
	SHA256_CTX inner, outer;
};
/*
 * Pads kept per context, by key: each session signs under a key of its own
 * (O-3), and the packets of many sessions interleave, so the pads of as many
 * keys as the workers' session-key caches hold stay hashed. Direct-mapped by
 * a hash of the key's bytes; the neighbouring slot takes a key whose home is
 * held by the other key of a pair.
 */
#define PADS_SLOTS 256

/*
 * AES-CBC contexts, one per key size, each set to its cipher once: a call then
 * gives only the key and IV (EVP with a NULL cipher). Initialising from
 * EVP_aes_*_cbc() every time fetches the cipher again (a lock) and makes a new
 * provider context (an allocation): 2.7 us for 100 bytes here, against
 * md_encrypt_100_ns now (docs/performance.md).
 */
enum { AES_128, AES_256, AES_SIZES };
static const char *const aes_name[AES_SIZES] = {"AES-128-CBC", "AES-256-CBC"};

/*
 * IVs come from a pool of random bytes drawn 256 IVs at a time: each
 * RAND_bytes call costs 1.4-2.5 us here (rand_bytes_16_ns), more than the
 * encryption, and hardly more for 4 KB than for 16 bytes. Each IV is used
 * once, and none is seen before its packet leaves.
 */
#define IV_POOL (256 * SVR_IV_LEN)

struct svr_crypto {
	EVP_CIPHER_CTX *aes[AES_SIZES];
	struct hmac_pads pads[PADS_SLOTS];
	uint8_t iv_pool[IV_POOL];
	unsigned iv_next; /* the pool's first unused byte; IV_POOL: draw again */
};

/* A fresh random IV: 0, or -1 when the random generator fails. */
static int fresh_iv(struct svr_crypto *c, uint8_t iv[SVR_IV_LEN])
{
	if (c->iv_next + SVR_IV_LEN > IV_POOL) {
		if (RAND_bytes(c->iv_pool, IV_POOL) != 1)
			return -1;
		c->iv_next = 0;
	}
	memcpy(iv, c->iv_pool + c->iv_next, SVR_IV_LEN);
	c->iv_next += SVR_IV_LEN;
	return 0;
}

/* The context's cipher set, no key yet. */
static int aes_ready(EVP_CIPHER_CTX *ctx, int size)
{
	EVP_CIPHER *alg = EVP_CIPHER_fetch(NULL, aes_name[size], NULL);
	int ok = alg && EVP_CipherInit_ex2(ctx, alg, NULL, NULL, 1, NULL);
	EVP_CIPHER_free(alg); /* the context keeps its own reference */
	return ok ? 0 : -1;
}

struct svr_crypto *svr_crypto_new(void)
{
	struct svr_crypto *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->iv_next = IV_POOL;
	for (int i = 0; i < AES_SIZES; i++) {
		c->aes[i] = EVP_CIPHER_CTX_new();
		if (!c->aes[i] || aes_ready(c->aes[i], i) < 0) {
			svr_crypto_free(c);
			return NULL;
		}
	}
	return c;
}

void svr_crypto_free(struct svr_crypto *c)
{
	if (!c)
		return;
	for (int i = 0; i < AES_SIZES; i++)
		EVP_CIPHER_CTX_free(c->aes[i]);
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

void svr_crypto_forget(struct svr_crypto *c)
{
	/* a reset cleanses the key schedule; the cipher is set again (once per reload; should
	 * that fail, the context has none and its calls fail, safely) */
	for (int i = 0; i < AES_SIZES; i++) {
		EVP_CIPHER_CTX_reset(c->aes[i]);
		(void)aes_ready(c->aes[i], i);
	}
	OPENSSL_cleanse(c->pads, sizeof(c->pads)); /* len 0: the next use hashes the pads again */
}

/* --- HMAC trailer --- */

size_t svr_hmac_len(enum svr_img_hmac cipher)
{
	switch (cipher) {
	case SVR_HMAC_SHA256_128:
		return 16;
	case SVR_HMAC_SHA256:
		return 32;
	default:
		return 0;
	}
}

/* A key's home slot: keys are random bytes (derived ones HMAC outputs), so a few words do. */
static unsigned pads_home(const struct svr_key *k)
{
	uint64_t w[2] = {0, 0};
	memcpy(w, k->hmac_key, k->hmac_len < 16 ? k->hmac_len : 16);
	uint64_t h = (w[0] ^ (w[1] * 0x9e3779b97f4a7c15ull) ^ k->hmac_len) * 0xff51afd7ed558ccdull;
	return (unsigned)(h >> 56) % PADS_SLOTS;
}

static bool pads_hold(const struct hmac_pads *p, const struct svr_key *k)
{
	return p->len == k->hmac_len && memcmp(p->key, k->hmac_key, k->hmac_len) == 0;
}

/*
 * The pads of key k: kept ones (in its home slot or the neighbour), or hashed
 * into its home slot, the neighbour when that holds keep (the pads of a key
 * the caller still uses). Good until the context's next call that hashes pads.
 */
static const struct hmac_pads *pads_of(struct svr_crypto *c, const struct svr_key *k,
				       const struct hmac_pads *keep)
{
	unsigned home = pads_home(k);
	struct hmac_pads *p = &c->pads[home], *next = &c->pads[home ^ 1];
	if (pads_hold(p, k))
		return p;
	if (pads_hold(next, k))
		return next;
	if (p == keep)
		p = next;
	uint8_t ipad[64] = {0}, opad[64];
	memcpy(ipad, k->hmac_key, k->hmac_len); /* at most 64 bytes: no hashing of the key */
	for (int i = 0; i < 64; i++) {
		opad[i] = ipad[i] ^ 0x5c;
		ipad[i] ^= 0x36;
	}
	SHA256_Init(&p->inner);
	SHA256_Update(&p->inner, ipad, sizeof(ipad));
	SHA256_Init(&p->outer);
	SHA256_Update(&p->outer, opad, sizeof(opad));
	OPENSSL_cleanse(ipad, sizeof(ipad));
	OPENSSL_cleanse(opad, sizeof(opad));
	memcpy(p->key, k->hmac_key, k->hmac_len);
	p->len = k->hmac_len;
	return p;
}

/* What goes before the data: the time counter as a big-endian u64 (none for a regular HMAC),
 * then the message's covered transport fields. Returns its length. */
#define PREFIX_MAX (8 + SVR_HMAC_COVER_MAX)
static size_t prefix_of(bool time_based, uint64_t step, const struct svr_hmac_msg *m,
			uint8_t p[PREFIX_MAX])
{
	size_t n = 0;
	if (time_based)
		for (; n < 8; n++)
			p[n] = (uint8_t)(step >> (56 - 8 * n));
	memcpy(p + n, m->cover, m->cover_len);
	return n + m->cover_len;
}

/* A message whose cover fits its array. */
static bool msg_ok(const struct svr_hmac_msg *m)
{
	return m->cover_len <= SVR_HMAC_COVER_MAX;
}

/* The full HMAC-SHA256 (32 bytes) of prefix || data. */
static int hmac_sha256(struct svr_crypto *c, const struct svr_key *k, const uint8_t *prefix,
		       size_t plen, const uint8_t *data, size_t len, uint8_t out[32])
{
	if (k->hmac_len == 0 || k->hmac_len > 64)
		return -1;
	const struct hmac_pads *p = pads_of(c, k, NULL);
	SHA256_CTX h = p->inner;
	SHA256_Update(&h, prefix, plen);
	SHA256_Update(&h, data, len);
	SHA256_Final(out, &h);
	h = p->outer;
	SHA256_Update(&h, out, 32);
	SHA256_Final(out, &h);
	OPENSSL_cleanse(&h, sizeof(h)); /* a keyed state */
	return 0;
}

/* The full HMAC of a message at a step. */
static int hmac_msg(struct svr_crypto *c, const struct svr_key *k, bool time_based, uint64_t step,
		    const struct svr_hmac_msg *m, uint8_t out[32])
{
	uint8_t p[PREFIX_MAX];
	if (!msg_ok(m))
		return -1;
	return hmac_sha256(c, k, p, prefix_of(time_based, step, m, p), m->data, m->len, out);
}

int svr_session_key(struct svr_crypto *c, const struct svr_key *k, const uint8_t uuid[16],
		    struct svr_key *out)
{
	memset(out, 0, sizeof(*out));
	out->security_id = k->security_id;
	out->not_before = k->not_before;
	if (hmac_sha256(c, k, NULL, 0, uuid, 16, out->hmac_key) < 0)
		return -1;
	out->hmac_len = 32;
	return 0;
}

int svr_hmac_sign(struct svr_crypto *c, const struct svr_key *k, enum svr_img_hmac cipher,
		  bool time_based, uint64_t time_step, const struct svr_hmac_msg *m, uint8_t *out)
{
	size_t n = svr_hmac_len(cipher);
	uint8_t full[32];
	if (n == 0 || hmac_msg(c, k, time_based, time_step, m, full) < 0)
		return -1;
	memcpy(out, full, n); /* sha256-128: the leftmost 128 bits (RFC 4868 truncation) */
	return 0;
}

/* The full HMACs of two messages, each under its key: interleaved where the CPU allows. */
static int hmac_sha256_x2(struct svr_crypto *c, const struct svr_key *k0, const struct svr_key *k1,
			  bool time_based, uint64_t step, const struct svr_hmac_msg *m0,
			  const struct svr_hmac_msg *m1, uint8_t out[2][32])
{
	if (!svr_sha256x2_usable())
		return hmac_msg(c, k0, time_based, step, m0, out[0]) < 0 ||
			       hmac_msg(c, k1, time_based, step, m1, out[1]) < 0
			   ? -1
			   : 0;
	if (k0->hmac_len == 0 || k0->hmac_len > 64 || k1->hmac_len == 0 || k1->hmac_len > 64 ||
	    !msg_ok(m0) || !msg_ok(m1))
		return -1;
	const struct hmac_pads *p0 = pads_of(c, k0, NULL);
	const struct hmac_pads *p1 = pads_of(c, k1, p0);
	uint8_t pre[2][PREFIX_MAX];
	size_t pl0 = prefix_of(time_based, step, m0, pre[0]);
	size_t pl1 = prefix_of(time_based, step, m1, pre[1]);
	svr_sha256x2_hmac(p0->inner.h, p0->outer.h, p1->inner.h, p1->outer.h, pre[0], pl0, m0->data,
			  m0->len, out[0], pre[1], pl1, m1->data, m1->len, out[1]);
	return 0;
}

int svr_hmac_sign2(struct svr_crypto *c, const struct svr_key *k0, const struct svr_key *k1,
		   enum svr_img_hmac cipher, bool time_based, uint64_t time_step,
		   const struct svr_hmac_msg *m0, uint8_t *out0, const struct svr_hmac_msg *m1,
		   uint8_t *out1)
{
	size_t n = svr_hmac_len(cipher);
	uint8_t full[2][32];
	if (n == 0 || hmac_sha256_x2(c, k0, k1, time_based, time_step, m0, m1, full) < 0)
		return -1;
	memcpy(out0, full[0], n);
	memcpy(out1, full[1], n);
	return 0;
}

unsigned svr_hmac_check2(struct svr_crypto *c, const struct svr_key *k0, const struct svr_key *k1,
			 enum svr_img_hmac cipher, bool time_based, uint64_t time_step,
			 const struct svr_hmac_msg *m0, const uint8_t *t0,
			 const struct svr_hmac_msg *m1, const uint8_t *t1)
{
	size_t n = svr_hmac_len(cipher);
	uint8_t full[2][32];
	if (n == 0 || hmac_sha256_x2(c, k0, k1, time_based, time_step, m0, m1, full) < 0)
		return 0;
	return (CRYPTO_memcmp(full[0], t0, n) == 0 ? 1u : 0u) |
	       (CRYPTO_memcmp(full[1], t1, n) == 0 ? 2u : 0u);
}

/* The full HMACs of four messages (data of one length, covers of one length) under one key:
 * four streams where the CPU allows, else two pairs. */
static int hmac_sha256_x4(struct svr_crypto *c, const struct svr_key *k, bool time_based,
			  uint64_t step, const struct svr_hmac_msg *const m[4], uint8_t out[4][32])
{
	if (!svr_sha256x2_usable())
		return hmac_sha256_x2(c, k, k, time_based, step, m[0], m[1], out) < 0 ||
			       hmac_sha256_x2(c, k, k, time_based, step, m[2], m[3], out + 2) < 0
			   ? -1
			   : 0;
	if (k->hmac_len == 0 || k->hmac_len > 64)
		return -1;
	for (int i = 0; i < 4; i++)
		if (!msg_ok(m[i]) || m[i]->len != m[0]->len || m[i]->cover_len != m[0]->cover_len)
			return -1;
	const struct hmac_pads *p = pads_of(c, k, NULL);
	uint8_t pre[4][PREFIX_MAX];
	size_t plen = 0;
	for (int i = 0; i < 4; i++)
		plen = prefix_of(time_based, step, m[i], pre[i]);
	const uint8_t *const pp[4] = {pre[0], pre[1], pre[2], pre[3]};
	const uint8_t *const d[4] = {m[0]->data, m[1]->data, m[2]->data, m[3]->data};
	svr_sha256x4_hmac(p->inner.h, p->outer.h, pp, plen, d, m[0]->len, out);
	return 0;
}

int svr_hmac_sign4(struct svr_crypto *c, const struct svr_key *k, enum svr_img_hmac cipher,
		   bool time_based, uint64_t time_step, const struct svr_hmac_msg *const m[4],
		   uint8_t *const out[4])
{
	size_t n = svr_hmac_len(cipher);
	uint8_t full[4][32];
	if (n == 0 || hmac_sha256_x4(c, k, time_based, time_step, m, full) < 0)
		return -1;
	for (int i = 0; i < 4; i++)
		memcpy(out[i], full[i], n);
	return 0;
}

unsigned svr_hmac_check4(struct svr_crypto *c, const struct svr_key *k, enum svr_img_hmac cipher,
			 bool time_based, uint64_t time_step, const struct svr_hmac_msg *const m[4],
			 const uint8_t *const t[4])
{
	size_t n = svr_hmac_len(cipher);
	uint8_t full[4][32];
	unsigned ok = 0;
	if (n == 0 || hmac_sha256_x4(c, k, time_based, time_step, m, full) < 0)
		return 0;
	for (int i = 0; i < 4; i++)
		ok |= CRYPTO_memcmp(full[i], t[i], n) == 0 ? 1u << i : 0;
	return ok;
}

/* Whether trailer signs m with k at exactly this step. */
static bool hmac_matches(struct svr_crypto *c, const struct svr_key *k, size_t n, bool time_based,
			 uint64_t step, const struct svr_hmac_msg *m, const uint8_t *trailer)
{
	uint8_t full[32];
	return k->hmac_len && hmac_msg(c, k, time_based, step, m, full) == 0 &&
	       CRYPTO_memcmp(full, trailer, n) == 0;
}

/* Time-based: this step first (nearly every packet), then its neighbours (clock skew, packets
 * in flight across a step). */
static const int steps[] = {0, -1, 1};

int svr_hmac_verify_ring(struct svr_crypto *c, const struct svr_keyring *kr, unsigned hint,
			 enum svr_img_hmac cipher, bool time_based, uint64_t time_step,
			 const struct svr_hmac_msg *m, const uint8_t *trailer)
{
	size_t n = svr_hmac_len(cipher);
	if (n == 0)
		return -1;
	bool failed_now = hint & SVR_HINT_FAILED_NOW;
	hint &= ~SVR_HINT_FAILED_NOW;
	for (int i = 0; i < (time_based ? 3 : 1); i++) {
		if (steps[i] < 0 && time_step == 0)
			continue;
		uint64_t step = time_step + (uint64_t)(int64_t)steps[i];
		if (hint < kr->n && !(failed_now && steps[i] == 0) &&
		    hmac_matches(c, &kr->keys[hint], n, time_based, step, m, trailer))
			return (int)hint;
		for (unsigned s = 0; s < kr->n; s++)
			if (s != hint &&
			    hmac_matches(c, &kr->keys[s], n, time_based, step, m, trailer))
				return (int)s;
	}
	return -1;
}

/* --- metadata encryption --- */

size_t svr_md_cipher_len(size_t len)
{
	return SVR_IV_LEN + (len / 16 + 1) * 16; /* PKCS#7 always adds 1-16 bytes */
}

/* The context for k's encryption key, or NULL when it has none. */
static EVP_CIPHER_CTX *aes_cbc(struct svr_crypto *c, const struct svr_key *k)
{
	return k->enc_len == 32 ? c->aes[AES_256] : k->enc_len == 16 ? c->aes[AES_128] : NULL;
}

/* out = IV || AES-CBC(key, IV, PKCS#7(in)); in may be out + 16 (in place). */
static size_t cbc_seal(struct svr_crypto *c, EVP_CIPHER_CTX *ctx, const uint8_t *key,
		       const uint8_t *iv, const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
	if (!ctx || cap < svr_md_cipher_len(len) || len > INT32_MAX - 32)
		return 0;
	if (iv)
		memcpy(out, iv, SVR_IV_LEN);
	else if (fresh_iv(c, out) < 0)
		return 0;
	int n1 = 0, n2 = 0;
	if (!EVP_EncryptInit_ex2(ctx, NULL, key, out, NULL) ||
	    !EVP_EncryptUpdate(ctx, out + SVR_IV_LEN, &n1, in, (int)len) ||
	    !EVP_EncryptFinal_ex(ctx, out + SVR_IV_LEN + n1, &n2))
		return 0;
	return SVR_IV_LEN + (size_t)n1 + (size_t)n2;
}

/* The clear text of IV || ciphertext into out (out may be in + 16: in place). */
static int cbc_open(EVP_CIPHER_CTX *ctx, const uint8_t *key, const uint8_t *in, size_t len,
		    uint8_t *out, size_t cap)
{
	/* OpenSSL may write a block more than it returns: out needs the ciphertext + 16. */
	if (!ctx || len < SVR_IV_LEN + 16 || (len - SVR_IV_LEN) % 16 ||
	    cap < len - SVR_IV_LEN + 16 || len > INT32_MAX)
		return -1;
	int n1 = 0, n2 = 0;
	if (!EVP_DecryptInit_ex2(ctx, NULL, key, in, NULL) ||
	    !EVP_DecryptUpdate(ctx, out, &n1, in + SVR_IV_LEN, (int)(len - SVR_IV_LEN)) ||
	    !EVP_DecryptFinal_ex(ctx, out + n1, &n2)) /* fails on bad padding */
		return -1;
	return n1 + n2;
}

size_t svr_md_encrypt(struct svr_crypto *c, const struct svr_key *k, const uint8_t *iv,
		      const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
	return cbc_seal(c, aes_cbc(c, k), k->enc_key, iv, in, len, out, cap);
}

int svr_md_decrypt(struct svr_crypto *c, const struct svr_key *k, const uint8_t *in, size_t len,
		   uint8_t *out, size_t cap)
{
	return cbc_open(aes_cbc(c, k), k->enc_key, in, len, out, cap);
}

/* --- end-to-end payload encryption --- */

size_t svr_payload_encrypt(struct svr_crypto *c, const struct svr_key *k, uint8_t *buf, size_t len,
			   size_t cap)
{
	if (!aes_cbc(c, k) || cap < svr_md_cipher_len(len))
		return 0;
	/* The IV goes first; one that starts like SVR metadata is drawn again (the peer strips
	 * metadata, and a payload must never look like it: svr-protocol.md §2.3). */
	uint8_t iv[SVR_IV_LEN];
	do {
		if (fresh_iv(c, iv) < 0)
			return 0;
	} while (svr_md_has_cookie(iv, SVR_IV_LEN));
	memmove(buf + SVR_IV_LEN, buf, len);
	return cbc_seal(c, aes_cbc(c, k), k->payload_key, iv, buf + SVR_IV_LEN, len, buf, cap);
}

int svr_payload_decrypt(struct svr_crypto *c, const struct svr_key *k, uint8_t *buf, size_t len,
			size_t cap)
{
	if (cap < len + 16)
		return -1;
	int n =
	    cbc_open(aes_cbc(c, k), k->payload_key, buf, len, buf + SVR_IV_LEN, cap - SVR_IV_LEN);
	if (n >= 0)
		memmove(buf, buf + SVR_IV_LEN, (size_t)n);
	return n;
}
