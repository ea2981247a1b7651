/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SVR security between routers (svr-protocol.md §4, docs/model.md "Security
 * policies and keys"), on OpenSSL's EVP interfaces:
 * - the key ring: the key file's keys by Security ID, several valid at once
 *   so that rotation is hitless (senders take the newest whose not-before
 *   has passed; receivers accept any);
 * - the per-packet HMAC trailer: HMAC-SHA256, full (32 bytes) or truncated
 *   to 128 bits (16), over the transport payload and the transport header's
 *   fields that no router or NAT rewrites (struct svr_hmac_msg); time-based
 *   by default: T = floor(unix seconds / 2) as a big-endian u64 goes before
 *   them, and a receiver accepts T-1..T+1;
 *   under the key file's key on packets that carry metadata, under the
 *   session's own key HMAC-SHA256(that key, UUID) on the others (O-3);
 * - metadata encryption of the payload-TLV section: IV(16) || AES-CBC(key,
 *   IV, PKCS#7(TLVs)), a fresh random IV per packet (O-2).
 *
 * A struct svr_crypto holds reusable OpenSSL contexts: one per thread (each
 * worker its own), created once, so that per-packet calls allocate nothing.
 */
#ifndef SVR_SECURITY_H
#define SVR_SECURITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/jsonutil.h"
#include "svr/image.h"

#define SVR_KEYS_MAX      16
#define SVR_KEY_MAX_BYTES 64
#define SVR_IV_LEN        16
#define SVR_HMAC_WINDOW_S 2 /* seconds per time step of a time-based HMAC */
#define SVR_KEYS_PATH     "/etc/svrouter/keys/keys.json"

struct svr_key {
	uint32_t security_id;
	int64_t not_before; /* unix seconds */
	uint8_t hmac_key[SVR_KEY_MAX_BYTES];
	uint8_t enc_key[32];
	/* end-to-end payload key: HMAC-SHA256(enc_key, "svr payload"), the first enc_len bytes
	 * (its own key, so that metadata and payloads never share one) */
	uint8_t payload_key[32];
	uint8_t hmac_len, enc_len; /* enc_len: 0, 16 or 32 */
};

struct svr_keyring {
	unsigned n; /* slots [0, n) in use; an empty one (after a reload) has hmac_len 0 */
	struct svr_key keys[SVR_KEYS_MAX];
};

/*
 * Reads a key file: {"keys": [{"security-id": N, "hmac-key": HEX, "encryption-key": HEX,
 * "not-before": RFC3339}]}. hmac-key 16-64 bytes; encryption-key 16 or 32 bytes (optional);
 * not-before optional (always valid). The file must not be readable by group or others.
 * Returns 0, or -1 with the JSON path and a sentence in e.
 */
int svr_keyring_load(const char *path, struct svr_keyring *kr, struct svr_jerr *e);
int svr_keyring_parse(const char *text, struct svr_keyring *kr, struct svr_jerr *e);
/* The same from len bytes (no NUL needed). Both make jansson cleanse every block it frees,
 * from then on and process-wide, so that no key byte is left in freed memory. */
int svr_keyring_parse_len(const char *text, size_t len, struct svr_keyring *kr, struct svr_jerr *e);

/* The encryption-key length a cipher takes: 16 (aes-cbc-128), 32 (aes-cbc-256), 0 (none). */
size_t svr_cipher_key_len(enum svr_img_cipher cipher);
/*
 * Whether every key of kr has the encryption-key cipher takes (any key under
 * none): 0, or -1 with a sentence in err naming the first key that does not,
 * its length and the length needed. Every key must fit: senders encrypt under
 * the newest, receivers under the one a packet names.
 */
int svr_keyring_fits(const struct svr_keyring *kr, enum svr_img_cipher cipher, char *err,
		     size_t errlen);

/* The key a sender uses at now: the latest not-before that has passed. NULL if none. */
const struct svr_key *svr_keyring_current(const struct svr_keyring *kr, int64_t now);
/* The key of a Security ID (receivers accept any listed key). NULL if unknown. */
const struct svr_key *svr_keyring_find(const struct svr_keyring *kr, uint32_t security_id);

/*
 * A key file read again while sessions hold key slots: out gets fresh's keys,
 * each key still listed in the slot it had in old, new keys in slots empty in
 * both (a slot whose key was removed is not handed to another key at once).
 * Slots left empty have hmac_len 0. Returns 0, or -1 (more than SVR_KEYS_MAX
 * slots needed) with e set.
 */
int svr_keyring_merge(const struct svr_keyring *old, const struct svr_keyring *fresh,
		      struct svr_keyring *out, struct svr_jerr *e);

struct svr_crypto;
struct svr_crypto *svr_crypto_new(void);
void svr_crypto_free(struct svr_crypto *c);
/* Cleanses the key state the contexts keep from their last use (HMAC pads, the cipher's key
 * schedule); the next use rebuilds it from the key it is given. For after a key-file reload. */
void svr_crypto_forget(struct svr_crypto *c);

/*
 * A session's HMAC key (O-3): HMAC-SHA256(k's hmac-key, the session's UUID),
 * into out as a key of its own (32-byte HMAC key, k's Security ID, no
 * encryption keys). Returns 0, or -1 (k has no HMAC key).
 */
int svr_session_key(struct svr_crypto *c, const struct svr_key *k, const uint8_t uuid[16],
		    struct svr_key *out);

/* Trailer length of an HMAC cipher (SVR_HMAC_*): 16, 32, or 0 for none. */
size_t svr_hmac_len(enum svr_img_hmac cipher);

/*
 * What a trailer signs (docs/svr.md "What the HMAC covers"): [T ||] cover ||
 * data. data: the packet's transport payload (metadata and original payload,
 * the trailer not included); cover: the fields of its transport header that
 * nothing between the routers rewrites — a TCP segment's sequence and
 * acknowledgement numbers, flags, window and urgent pointer — as
 * svr_wire_hmac_cover (svrpath/wire.h) lays them out; none for UDP.
 */
#define SVR_HMAC_COVER_MAX 18 /* TCP fields (16) and an IP identification (2) */
struct svr_hmac_msg {
	const uint8_t *data;
	size_t len;
	uint8_t cover[SVR_HMAC_COVER_MAX];
	uint8_t cover_len;
};

/*
 * The HMAC trailer of m under key k: out gets svr_hmac_len(cipher) bytes.
 * time_step: floor(unix / SVR_HMAC_WINDOW_S) for time-based mode, ignored
 * (not mixed in) when time_based is false. Returns 0 or -1.
 */
int svr_hmac_sign(struct svr_crypto *c, const struct svr_key *k, enum svr_img_hmac cipher,
		  bool time_based, uint64_t time_step, const struct svr_hmac_msg *m, uint8_t *out);

/* Two packets' trailers at one step, the first under k0 and the second under k1 (may be one
 * key): SHA-256 interleaved on SHA-NI (sha256x2.h), else one after the other; the same bytes
 * as two svr_hmac_sign. */
int svr_hmac_sign2(struct svr_crypto *c, const struct svr_key *k0, const struct svr_key *k1,
		   enum svr_img_hmac cipher, bool time_based, uint64_t time_step,
		   const struct svr_hmac_msg *m0, uint8_t *out0, const struct svr_hmac_msg *m1,
		   uint8_t *out1);
/* Which of two trailers sign their messages at exactly this step, the first under k0 and the
 * second under k1: bit 0 for the first, bit 1 for the second. A trailer that does not still
 * deserves svr_hmac_verify_ring (other keys, neighbouring steps). */
unsigned svr_hmac_check2(struct svr_crypto *c, const struct svr_key *k0, const struct svr_key *k1,
			 enum svr_img_hmac cipher, bool time_based, uint64_t time_step,
			 const struct svr_hmac_msg *m0, const uint8_t *t0,
			 const struct svr_hmac_msg *m1, const uint8_t *t1);
/* Four trailers under one key of messages whose data are of one length and whose covers are
 * of one length (a session's full-size segments): four SHA-256 streams interleaved on SHA-NI,
 * else two pairs; the same bytes as svr_hmac_sign. */
int svr_hmac_sign4(struct svr_crypto *c, const struct svr_key *k, enum svr_img_hmac cipher,
		   bool time_based, uint64_t time_step, const struct svr_hmac_msg *const m[4],
		   uint8_t *const out[4]);
/* Which of four trailers (of messages as for svr_hmac_sign4) sign them under k at exactly this
 * step: bit i for the i-th. */
unsigned svr_hmac_check4(struct svr_crypto *c, const struct svr_key *k, enum svr_img_hmac cipher,
			 bool time_based, uint64_t time_step, const struct svr_hmac_msg *const m[4],
			 const uint8_t *const t[4]);
/*
 * Whether trailer (svr_hmac_len bytes) signs m at time_step - 1, time_step
 * or + 1 (time-based; at any step otherwise) under a key of the ring: the
 * slot of the key that signed, or -1. Each time step is tried with the hint's key first (the one
 * that signed the last packet: while an old key stays listed after a rotation, packets still cost
 * one HMAC), then the others. hint | SVR_HINT_FAILED_NOW: the hint's key is known not to sign at
 * time_step itself (svr_hmac_check2 said so), and is not hashed there again.
 */
#define SVR_HINT_FAILED_NOW 0x80000000u
int svr_hmac_verify_ring(struct svr_crypto *c, const struct svr_keyring *kr, unsigned hint,
			 enum svr_img_hmac cipher, bool time_based, uint64_t time_step,
			 const struct svr_hmac_msg *m, const uint8_t *trailer);

/* Bytes svr_md_encrypt writes for len bytes of clear TLVs: IV + the padded blocks. */
size_t svr_md_cipher_len(size_t len);

/*
 * Encrypts the payload-TLV section: out = IV || AES-CBC(PKCS#7(in)). iv: 16
 * bytes (fresh per packet; NULL: drawn here from OpenSSL's RNG). Returns the
 * bytes written, or 0 (cap too small, no encryption key, OpenSSL failure).
 */
size_t svr_md_encrypt(struct svr_crypto *c, const struct svr_key *k, const uint8_t *iv,
		      const uint8_t *in, size_t len, uint8_t *out, size_t cap);

/*
 * Decrypts what svr_md_encrypt wrote into out (cap >= len - 16 + 16 bytes:
 * OpenSSL writes a block ahead). Returns the clear length, or -1 (bad
 * length, wrong key, bad padding).
 */
int svr_md_decrypt(struct svr_crypto *c, const struct svr_key *k, const uint8_t *in, size_t len,
		   uint8_t *out, size_t cap);

/*
 * End-to-end payload encryption (docs/svr.md), in place: the len bytes at buf
 * become IV(16) || AES-CBC(payload key, IV, PKCS#7(payload)) with a fresh IV.
 * cap: room at buf (svr_md_cipher_len(len) at least). Returns the new length,
 * or 0 (no room, no encryption key, OpenSSL failure).
 */
size_t svr_payload_encrypt(struct svr_crypto *c, const struct svr_key *k, uint8_t *buf, size_t len,
			   size_t cap);

/*
 * The reverse, in place: buf (len bytes, cap >= len + 16 of room) ends up
 * holding the clear payload. Returns its length, or -1 (bad length, wrong
 * key, bad padding).
 */
int svr_payload_decrypt(struct svr_crypto *c, const struct svr_key *k, uint8_t *buf, size_t len,
			size_t cap);

#endif
