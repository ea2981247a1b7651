/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SVR security between routers (src/common/security.c): HMAC-SHA256 against
 * RFC 4231, its 128-bit truncation, the time window of time-based HMACs,
 * AES-256-CBC against NIST SP 800-38A, metadata encryption round trips and
 * tampering, and the key file (errors with their paths, rotation, mode 0600);
 * what a TCP segment's trailer covers (its header's stable fields), one, two
 * and four at a time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <jansson.h>
#include <malloc.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/security.h"
#include "common/sha256x2.h"
#include "hex.h"
#include "svrpath/wire.h"

static struct svr_crypto *crypto;

/* A message without covered transport fields (a UDP datagram's payload). */
#define MSG(d, l) (&(const struct svr_hmac_msg){.data = (d), .len = (l)})

/*
 * The pads a context keeps (by key, PADS_SLOTS of them): many sessions' keys in turn, more than
 * it keeps, and two keys that share a home slot (the same first 16 bytes) signed as one pair;
 * every trailer as libcrypto's HMAC computes it.
 */
static void pads_of_many_keys(void **state)
{
	(void)state;
	enum { N = 1000 };
	static struct svr_key keys[N];
	srand(7);
	for (unsigned i = 0; i < N; i++) {
		keys[i].hmac_len = (uint8_t)(i % 5 == 0 ? 64 : 32);
		for (unsigned j = 0; j < keys[i].hmac_len; j++)
			keys[i].hmac_key[j] = (uint8_t)rand();
	}
	memcpy(keys[1].hmac_key, keys[0].hmac_key, 16); /* 0 and 1: one home, both 64 bytes */
	keys[1].hmac_len = 64;
	static uint8_t data[300];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 31 + 7);
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < N; i++) {
			const struct svr_key *a = &keys[i],
					     *b = &keys[(i + 1 + (unsigned)pass) % N];
			uint8_t p0[32], p1[32], w0[32], w1[32];
			unsigned wl;
			size_t la = i % 300, lb = 299 - la;
			assert_int_equal(svr_hmac_sign2(crypto, a, b, SVR_HMAC_SHA256, false, 0,
							MSG(data, la), p0, MSG(data + 1, lb), p1),
					 0);
			assert_non_null(
			    HMAC(EVP_sha256(), a->hmac_key, a->hmac_len, data, la, w0, &wl));
			assert_non_null(
			    HMAC(EVP_sha256(), b->hmac_key, b->hmac_len, data + 1, lb, w1, &wl));
			assert_memory_equal(p0, w0, 32);
			assert_memory_equal(p1, w1, 32);
		}
	}
	/* the pair that shares a home, both ways round, after the others have passed through */
	for (int way = 0; way < 2; way++) {
		const struct svr_key *a = &keys[way], *b = &keys[1 - way];
		uint8_t p0[32], p1[32], w0[32], w1[32];
		unsigned wl;
		assert_int_equal(svr_hmac_sign2(crypto, a, b, SVR_HMAC_SHA256, false, 0,
						MSG(data, 100), p0, MSG(data, 100), p1),
				 0);
		assert_non_null(HMAC(EVP_sha256(), a->hmac_key, 64, data, 100, w0, &wl));
		assert_non_null(HMAC(EVP_sha256(), b->hmac_key, 64, data, 100, w1, &wl));
		assert_memory_equal(p0, w0, 32);
		assert_memory_equal(p1, w1, 32);
		assert_memory_not_equal(p0, p1, 32);
	}
}

/* One key's verdict: a ring of that key alone. */
static bool verify_one(const struct svr_key *k, bool time_based, uint64_t step, const uint8_t *data,
		       size_t len, const uint8_t *trailer)
{
	static struct svr_keyring one;
	one.n = 1;
	one.keys[0] = *k;
	return svr_hmac_verify_ring(crypto, &one, 0, SVR_HMAC_SHA256_128, time_based, step,
				    MSG(data, len), trailer) == 0;
}

/* The same for a message with covered fields. */
static bool verify_one_msg(const struct svr_key *k, bool time_based, uint64_t step,
			   const struct svr_hmac_msg *m, const uint8_t *trailer)
{
	static struct svr_keyring one;
	one.n = 1;
	one.keys[0] = *k;
	return svr_hmac_verify_ring(crypto, &one, 0, SVR_HMAC_SHA256_128, time_based, step, m,
				    trailer) == 0;
}

static int setup(void **state)
{
	(void)state;
	crypto = svr_crypto_new();
	return crypto ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	svr_crypto_free(crypto);
	return 0;
}

static void hmac_sha256_rfc4231(void **state)
{
	(void)state;
	/* RFC 4231 test case 1: key 0x0b x 20, "Hi There". */
	struct svr_key k = {.hmac_len = 20};
	memset(k.hmac_key, 0x0b, 20);
	uint8_t want[32], out[32];
	unhex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", want);
	assert_int_equal(svr_hmac_len(SVR_HMAC_SHA256), 32);
	assert_int_equal(svr_hmac_sign(crypto, &k, SVR_HMAC_SHA256, false, 0,
				       MSG((const uint8_t *)"Hi There", 8), out),
			 0);
	assert_memory_equal(out, want, 32);
	/* sha256-128: the leftmost 16 bytes */
	memset(out, 0, sizeof(out));
	assert_int_equal(svr_hmac_len(SVR_HMAC_SHA256_128), 16);
	assert_int_equal(svr_hmac_sign(crypto, &k, SVR_HMAC_SHA256_128, false, 0,
				       MSG((const uint8_t *)"Hi There", 8), out),
			 0);
	assert_memory_equal(out, want, 16);
	assert_int_equal(out[16], 0); /* nothing written past the trailer */
	assert_int_equal(svr_hmac_len(SVR_HMAC_NONE), 0);
}

/*
 * O-3: a session's trailers are keyed by HMAC-SHA256(policy key, UUID). Checked against
 * libcrypto's HMAC computed apart: the derived key, then a time-based trailer under it; the
 * session key differs per UUID and does not verify under the policy key.
 */
static void session_key_derivation(void **state)
{
	(void)state;
	struct svr_key k = {.security_id = 7, .hmac_len = 16};
	unhex("4f6e652074776f20746872656520666f", k.hmac_key);
	uint8_t uuid[16], other[16];
	unhex("5f0e9b6a1c2d4e8f9a0b1c2d3e4f5a6b", uuid);
	memcpy(other, uuid, 16);
	other[15] ^= 1;
	struct svr_key sk, sk2;
	assert_int_equal(svr_session_key(crypto, &k, uuid, &sk), 0);
	uint8_t want[32],
	    msg[8 + 5] = {0, 0, 0, 0, 0x0e, 0xd3, 0x4a, 0x11, 'h', 'e', 'l', 'l', 'o'};
	unsigned wl = 0;
	assert_non_null(HMAC(EVP_sha256(), k.hmac_key, 16, uuid, 16, want, &wl));
	assert_int_equal(sk.hmac_len, 32);
	assert_int_equal(sk.security_id, 7);
	assert_memory_equal(sk.hmac_key, want, 32);
	/* a trailer under it: HMAC(session key, T || data), T = 0x0ed34a11 */
	uint8_t trailer[16], full[32];
	assert_int_equal(svr_hmac_sign(crypto, &sk, SVR_HMAC_SHA256_128, true, 0x0ed34a11,
				       MSG(msg + 8, 5), trailer),
			 0);
	assert_non_null(HMAC(EVP_sha256(), want, 32, msg, sizeof(msg), full, &wl));
	assert_memory_equal(trailer, full, 16);
	assert_true(verify_one(&sk, true, 0x0ed34a11, msg + 8, 5, trailer));
	assert_false(verify_one(&k, true, 0x0ed34a11, msg + 8, 5, trailer));
	assert_int_equal(svr_session_key(crypto, &k, other, &sk2), 0);
	assert_memory_not_equal(sk2.hmac_key, sk.hmac_key, 32);
	assert_false(verify_one(&sk2, true, 0x0ed34a11, msg + 8, 5, trailer));
	struct svr_key none = {0};
	assert_int_equal(svr_session_key(crypto, &none, uuid, &sk2), -1);
}

static void time_window(void **state)
{
	(void)state;
	struct svr_key k = {.hmac_len = 32}, other = {.hmac_len = 32};
	memset(k.hmac_key, 0x42, 32);
	memset(other.hmac_key, 0x43, 32);
	const uint8_t data[] = "metadata and payload";
	uint8_t t[16];
	uint64_t step = 1000000;
	assert_int_equal(
	    svr_hmac_sign(crypto, &k, SVR_HMAC_SHA256_128, true, step, MSG(data, sizeof(data)), t),
	    0);
	assert_true(verify_one(&k, true, step, data, sizeof(data), t));
	assert_true(verify_one(&k, true, step + 1, data, sizeof(data),
			       t)); /* the receiver's clock a step ahead */
	assert_true(verify_one(&k, true, step - 1, data, sizeof(data), t));
	assert_false(
	    verify_one(&k, true, step + 2, data, sizeof(data), t)); /* a replay 4+ seconds later */
	assert_false(verify_one(&other, true, step, data, sizeof(data), t));
	uint8_t bent[sizeof(data)];
	memcpy(bent, data, sizeof(data));
	bent[3] ^= 1;
	assert_false(verify_one(&k, true, step, bent, sizeof(bent), t));
	/* regular mode: no time mixed in, so any step verifies */
	assert_int_equal(
	    svr_hmac_sign(crypto, &k, SVR_HMAC_SHA256_128, false, 0, MSG(data, sizeof(data)), t),
	    0);
	assert_true(verify_one(&k, false, 99, data, sizeof(data), t));
}

static void aes256_cbc_nist(void **state)
{
	(void)state;
	/* SP 800-38A F.2.5 CBC-AES256.Encrypt, block 1; PKCS#7 then adds a block of padding. */
	struct svr_key k = {.enc_len = 32};
	uint8_t iv[16], pt[16], want[16], out[64];
	unhex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", k.enc_key);
	unhex("000102030405060708090a0b0c0d0e0f", iv);
	unhex("6bc1bee22e409f96e93d7e117393172a", pt);
	unhex("f58c4c04d6e5f1ba779eabfb5f7bfbd6", want);
	assert_int_equal(svr_md_encrypt(crypto, &k, iv, pt, 16, out, sizeof(out)), 16 + 32);
	assert_memory_equal(out, iv, 16); /* the IV leads */
	assert_memory_equal(out + 16, want, 16);
	assert_int_equal(svr_md_cipher_len(16), 48);
	uint8_t back[64];
	assert_int_equal(svr_md_decrypt(crypto, &k, out, 48, back, sizeof(back)), 16);
	assert_memory_equal(back, pt, 16);
}

/* After a reload the contexts forget their key state; the next use rebuilds it from the key it
 * is given, so the vectors above still come out (and a forget on a fresh context is harmless). */
static void forget_then_reuse(void **state)
{
	svr_crypto_forget(crypto);
	hmac_sha256_rfc4231(state);
	aes256_cbc_nist(state);
	svr_crypto_forget(crypto);
	/* a different key right after a forget: its own vector (RFC 4231 test case 2) */
	struct svr_key k = {.hmac_len = 4};
	memcpy(k.hmac_key, "Jefe", 4);
	uint8_t want[32], out[32];
	unhex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", want);
	const char *msg = "what do ya want for nothing?";
	assert_int_equal(svr_hmac_sign(crypto, &k, SVR_HMAC_SHA256, false, 0,
				       MSG((const uint8_t *)msg, 28), out),
			 0);
	assert_memory_equal(out, want, 32);
	svr_crypto_forget(crypto);
	hmac_sha256_rfc4231(state);
}

/* Two packets at once (SHA-256 interleaved on SHA-NI) give the same trailers as one at a time:
 * every length around the block boundaries, lanes of different lengths, both modes. */
static void pairs_match_singles(void **state)
{
	(void)state;
	/* where the CPU has the SHA extensions, the interleaved code passed its self-test */
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[4096];
	bool sha_ni = false;
	while (f && !sha_ni && fgets(line, sizeof(line), f))
		sha_ni = strncmp(line, "flags", 5) == 0 && strstr(line, " sha_ni");
	if (f)
		fclose(f);
	assert_int_equal(svr_sha256x2_usable(), sha_ni);
	if (!sha_ni)
		print_message("no SHA-NI here: the pair functions fall back to libcrypto\n");
	struct svr_key k = {.hmac_len = 32};
	memset(k.hmac_key, 0x5a, 32);
	static uint8_t data[1600];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 29 + 1);
	for (int tb = 0; tb <= 1; tb++) {
		for (size_t l0 = 0; l0 <= 1600; l0 += l0 < 200 ? 1 : 97) {
			size_t l1 = 1600 - l0 / 2;
			const uint8_t *d1 = data + (l0 % 3);
			if (l1 + (l0 % 3) > sizeof(data))
				l1 = sizeof(data) - (l0 % 3);
			uint8_t p0[32], p1[32], s0[32], s1[32];
			assert_int_equal(svr_hmac_sign2(crypto, &k, &k, SVR_HMAC_SHA256, tb, 777,
							MSG(data, l0), p0, MSG(d1, l1), p1),
					 0);
			assert_int_equal(
			    svr_hmac_sign(crypto, &k, SVR_HMAC_SHA256, tb, 777, MSG(data, l0), s0),
			    0);
			assert_int_equal(
			    svr_hmac_sign(crypto, &k, SVR_HMAC_SHA256, tb, 777, MSG(d1, l1), s1),
			    0);
			assert_memory_equal(p0, s0, 32);
			assert_memory_equal(p1, s1, 32);
			assert_int_equal(svr_hmac_check2(crypto, &k, &k, SVR_HMAC_SHA256, tb, 777,
							 MSG(data, l0), s0, MSG(d1, l1), s1),
					 3);
			s1[5] ^= 1; /* the second bent: only the first passes */
			assert_int_equal(svr_hmac_check2(crypto, &k, &k, SVR_HMAC_SHA256, tb, 777,
							 MSG(data, l0), s0, MSG(d1, l1), s1),
					 1);
			/* another step: neither */
			assert_int_equal(svr_hmac_check2(crypto, &k, &k, SVR_HMAC_SHA256, tb, 778,
							 MSG(data, l0), s0, MSG(d1, l1), p1),
					 tb ? 0 : 3); /* a regular HMAC has no step */
		}
	}
	/* each lane under its own key (two sessions, O-3), across more keys than a context keeps
	 * pads for: pairs still equal singles, and each trailer checks only under its own key */
	struct svr_key keys[6];
	for (int i = 0; i < 6; i++) {
		keys[i] = (struct svr_key){.hmac_len = 32};
		memset(keys[i].hmac_key, 0x10 + i, 32);
	}
	for (size_t i = 0; i < 24; i++) {
		const struct svr_key *ka = &keys[i % 6], *kb = &keys[(i * 5 + 1) % 6];
		size_t la = 1432 - i * 7, lb = i * 13;
		uint8_t p0[32], p1[32], s0[32], s1[32];
		assert_int_equal(svr_hmac_sign2(crypto, ka, kb, SVR_HMAC_SHA256, true, 99,
						MSG(data, la), p0, MSG(data + 3, lb), p1),
				 0);
		assert_int_equal(
		    svr_hmac_sign(crypto, ka, SVR_HMAC_SHA256, true, 99, MSG(data, la), s0), 0);
		assert_int_equal(
		    svr_hmac_sign(crypto, kb, SVR_HMAC_SHA256, true, 99, MSG(data + 3, lb), s1), 0);
		assert_memory_equal(p0, s0, 32);
		assert_memory_equal(p1, s1, 32);
		assert_int_equal(svr_hmac_check2(crypto, ka, kb, SVR_HMAC_SHA256, true, 99,
						 MSG(data, la), s0, MSG(data + 3, lb), s1),
				 3);
		assert_int_equal(svr_hmac_check2(crypto, kb, ka, SVR_HMAC_SHA256, true, 99,
						 MSG(data, la), s0, MSG(data + 3, lb), s1),
				 ka == kb ? 3 : 0);
	}
	/* four at a time under one key, every length to 200 then in steps: as singles; check4 */
	for (size_t len = 0; len <= 1600 - 3; len += len < 200 ? 1 : 89) {
		const struct svr_hmac_msg *const d[4] = {MSG(data, len), MSG(data + 1, len),
							 MSG(data + 2, len), MSG(data + 3, len)};
		uint8_t q[4][32], s[32];
		uint8_t *const out[4] = {q[0], q[1], q[2], q[3]};
		assert_int_equal(svr_hmac_sign4(crypto, &k, SVR_HMAC_SHA256, true, 31, d, out), 0);
		for (int i = 0; i < 4; i++) {
			assert_int_equal(
			    svr_hmac_sign(crypto, &k, SVR_HMAC_SHA256, true, 31, d[i], s), 0);
			assert_memory_equal(q[i], s, 32);
		}
		const uint8_t *const t[4] = {q[0], q[1], q[2], q[3]};
		assert_int_equal(svr_hmac_check4(crypto, &k, SVR_HMAC_SHA256, true, 31, d, t), 15);
		q[2][0] ^= 1;
		assert_int_equal(svr_hmac_check4(crypto, &k, SVR_HMAC_SHA256, true, 31, d, t), 11);
	}
	/* truncated trailers: 16 bytes written, nothing past them */
	uint8_t t0[33] = {0}, t1[33] = {0}, w0[16];
	assert_int_equal(svr_hmac_sign2(crypto, &k, &k, SVR_HMAC_SHA256_128, true, 5,
					MSG(data, 1448), t0, MSG(data, 40), t1),
			 0);
	assert_int_equal(
	    svr_hmac_sign(crypto, &k, SVR_HMAC_SHA256_128, true, 5, MSG(data, 1448), w0), 0);
	assert_memory_equal(t0, w0, 16);
	assert_int_equal(t0[16], 0);
	assert_int_equal(t1[16], 0);
}

static void encryption_round_trips_and_tampering(void **state)
{
	(void)state;
	struct svr_key k = {.enc_len = 32}, k128 = {.enc_len = 16}, none = {0};
	memset(k.enc_key, 7, 32);
	memset(k128.enc_key, 9, 16);
	uint8_t in[100], out[160], back[160], out2[160];
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 13);
	for (size_t len = 0; len <= sizeof(in); len += 7) {
		size_t n = svr_md_encrypt(crypto, &k, NULL, in, len, out, sizeof(out));
		assert_int_equal(n, svr_md_cipher_len(len));
		assert_int_equal(svr_md_decrypt(crypto, &k, out, n, back, sizeof(back)), len);
		assert_memory_equal(back, in, len);
		/* a fresh IV each time: the same clear text never looks the same */
		size_t n2 = svr_md_encrypt(crypto, &k, NULL, in, len, out2, sizeof(out2));
		assert_int_equal(n2, n);
		assert_memory_not_equal(out, out2, n);
	}
	size_t n = svr_md_encrypt(crypto, &k128, NULL, in, 40, out, sizeof(out));
	assert_int_equal(svr_md_decrypt(crypto, &k128, out, n, back, sizeof(back)), 40);
	/* no key, a buffer too small, a length that is not IV + blocks */
	assert_int_equal(svr_md_encrypt(crypto, &none, NULL, in, 40, out, sizeof(out)), 0);
	assert_int_equal(svr_md_encrypt(crypto, &k, NULL, in, 40, out, 16 + 47), 0);
	assert_int_equal(svr_md_decrypt(crypto, &k, out, 16 + 40, back, sizeof(back)), -1);
	/* the padding bent (through the block before it, so that it is bent for certain: 08 ^ 5a
	 * is no PKCS#7 padding): refused */
	n = svr_md_encrypt(crypto, &k, NULL, in, 40, out, sizeof(out));
	out[n - 16 - 1] ^= 0x5a;
	assert_int_equal(svr_md_decrypt(crypto, &k, out, n, back, sizeof(back)), -1);
}

static const char *good = "{\"keys\": ["
			  "{\"security-id\": 1, \"hmac-key\": \"000102030405060708090a0b0c0d0e0f\","
			  " \"encryption-key\": "
			  "\"000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f\","
			  " \"not-before\": \"2026-01-01T00:00:00Z\"},"
			  "{\"security-id\": 2, \"hmac-key\": \"101112131415161718191a1b1c1d1e1f\","
			  " \"not-before\": \"2026-06-01T00:00:00Z\"}]}";

static void key_file(void **state)
{
	(void)state;
	const char *text = good;
	struct svr_keyring kr;
	struct svr_jerr e;
	assert_int_equal(svr_keyring_parse(text, &kr, &e), 0);
	assert_int_equal(kr.n, 2);
	assert_int_equal(kr.keys[0].enc_len, 32);
	assert_int_equal(kr.keys[1].enc_len, 0);
	/* rotation: key 2 from June on; before that key 1; before 2026 none */
	assert_int_equal(svr_keyring_current(&kr, 1781000000)->security_id, 2); /* 2026-06-09 */
	assert_int_equal(svr_keyring_current(&kr, 1770000000)->security_id, 1); /* 2026-02-02 */
	assert_null(svr_keyring_current(&kr, 1700000000));
	assert_non_null(svr_keyring_find(&kr, 1));
	assert_null(svr_keyring_find(&kr, 3));

	static const struct {
		const char *text, *path, *words;
	} bad[] = {
	    {"{\"keys\": []}", "keys", "at least one"},
	    {"{\"keys\": [{\"hmac-key\": \"000102030405060708090a0b0c0d0e0f\"}]}",
	     "keys[0].security-id", "required"},
	    {"{\"keys\": [{\"security-id\": 1, \"hmac-key\": \"0001\"}]}", "keys[0].hmac-key",
	     "16-64 bytes"},
	    {"{\"keys\": [{\"security-id\": 1, \"hmac-key\": "
	     "\"zz0102030405060708090a0b0c0d0e0f\"}]}",
	     "keys[0].hmac-key", "hex"},
	    {"{\"keys\": [{\"security-id\": 1, \"hmac-key\": \"000102030405060708090a0b0c0d0e0f\","
	     " \"encryption-key\": \"0001020304\"}]}",
	     "keys[0].encryption-key", "16 or 32"},
	    {"{\"keys\": [{\"security-id\": 1, \"hmac-key\": \"000102030405060708090a0b0c0d0e0f\","
	     " \"not-before\": \"soon\"}]}",
	     "keys[0].not-before", "RFC 3339"},
	    {"{\"keys\": [{\"security-id\": 1, \"hmac-key\": \"000102030405060708090a0b0c0d0e0f\"},"
	     " {\"security-id\": 1, \"hmac-key\": \"000102030405060708090a0b0c0d0e0f\"}]}",
	     "keys[1].security-id", "twice"},
	    {"{\"keys\": [{\"security-id\": 1, \"hmac-key\": \"000102030405060708090a0b0c0d0e0f\","
	     " \"color\": 1}]}",
	     "keys[0]", "color"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(svr_keyring_parse(bad[i].text, &kr, &e), -1);
		if (!strstr(e.msg, bad[i].path) || !strstr(e.msg, bad[i].words))
			fail_msg("case %zu: \"%s\" lacks \"%s\" or \"%s\"", i, e.msg, bad[i].path,
				 bad[i].words);
	}

	/* the file: refused while group or others may read it */
	char path[] = "/tmp/svr-keys-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	chmod(path, 0644);
	assert_int_equal(svr_keyring_load(path, &kr, &e), -1);
	assert_non_null(strstr(e.msg, "chmod 600"));
	chmod(path, 0600);
	assert_int_equal(svr_keyring_load(path, &kr, &e), 0);
	assert_int_equal(kr.n, 2);
	unlink(path);
}

/*
 * No key byte stays behind in memory jansson frees (its lexer's buffers, the
 * string values): a spy installed as jansson's free looks for any 12 hex
 * digits of the keys in each block it is handed.
 */
static const char *spy_secrets[2];
static unsigned spy_hits;

static void spy_free(void *p)
{
	size_t n = p ? malloc_usable_size(p) : 0;
	for (int s = 0; s < 2; s++)
		for (size_t i = 0; i + 12 <= strlen(spy_secrets[s]); i++)
			if (memmem(p, n, spy_secrets[s] + i, 12))
				spy_hits++;
	free(p);
}

static void key_file_cleansed(void **state)
{
	(void)state;
	static const char hmac[] =
	    "5ec7e75ec7e7a1b2c3d4e5f60718293a4b5c6d7e8f9fa0b1c2d3e4f5061728ab",
			  enc[] =
			      "e4c7e4c7e4c75a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d";
	char text[512], path[] = "/tmp/svr-keys-XXXXXX";
	snprintf(text, sizeof(text),
		 "{\"keys\": [{\"security-id\": 9, \"hmac-key\": \"%s\", "
		 "\"encryption-key\": \"%s\"}]}",
		 hmac, enc);
	spy_secrets[0] = hmac;
	spy_secrets[1] = enc;
	spy_hits = 0;
	json_set_alloc_funcs(malloc, spy_free);
	struct svr_keyring kr;
	struct svr_jerr e;
	assert_int_equal(svr_keyring_parse(text, &kr, &e), 0);
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(svr_keyring_load(path, &kr, &e), 0);
	unlink(path);
	json_t *after = json_string(hmac); /* a jansson string of the process freed later */
	json_decref(after);
	json_set_alloc_funcs(malloc, free);
	assert_int_equal(kr.keys[0].security_id, 9);
	assert_int_equal(spy_hits, 0);
}

/* A key's encryption-key must have the length its policy's cipher takes: said with its id. */
static void key_length_fits_cipher(void **state)
{
	(void)state;
	static const char text[] =
	    "{\"keys\": [{\"security-id\": 3, \"hmac-key\": \"000102030405060708090a0b0c0d0e0f\","
	    " \"encryption-key\": \"000102030405060708090a0b0c0d0e0f\"}]}";
	struct svr_keyring kr;
	struct svr_jerr e;
	char err[256] = "";
	assert_int_equal(svr_keyring_parse(text, &kr, &e), 0); /* 16 bytes: AES-128's */
	assert_int_equal(svr_keyring_fits(&kr, SVR_CIPHER_AES_CBC_128, err, sizeof(err)), 0);
	assert_int_equal(svr_keyring_fits(&kr, SVR_CIPHER_NONE, err, sizeof(err)), 0);
	assert_int_equal(svr_keyring_fits(&kr, SVR_CIPHER_AES_CBC_256, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "security-id 3"));
	assert_non_null(strstr(err, "16-byte"));
	assert_non_null(strstr(err, "aes-cbc-256 needs 32 bytes"));
	/* good: key 1 has 32 bytes, key 2 none */
	assert_int_equal(svr_keyring_parse(good, &kr, &e), 0);
	assert_int_equal(svr_keyring_fits(&kr, SVR_CIPHER_AES_CBC_256, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "security-id 2 has no encryption-key"));
	kr.keys[1].hmac_len = 0; /* an empty slot (a removed key) is no key */
	assert_int_equal(svr_keyring_fits(&kr, SVR_CIPHER_AES_CBC_256, err, sizeof(err)), 0);
	assert_int_equal(svr_cipher_key_len(SVR_CIPHER_AES_CBC_128), 16);
	assert_int_equal(svr_cipher_key_len(SVR_CIPHER_AES_CBC_256), 32);
}

/* End-to-end payload encryption: in place, its own key, every length a packet may have. */
static void payload_encryption(void **state)
{
	(void)state;
	const char *text = good;
	struct svr_keyring kr;
	struct svr_jerr e;
	assert_int_equal(svr_keyring_parse(text, &kr, &e), 0);
	const struct svr_key *k = &kr.keys[0];
	/* the payload key is HMAC-SHA256(encryption key, "svr payload"): not the metadata's */
	uint8_t want[32];
	size_t wl = 0;
	assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, k->enc_key, 32,
				  (const uint8_t *)"svr payload", 11, want, 32, &wl));
	assert_memory_equal(k->payload_key, want, 32);
	assert_memory_not_equal(k->payload_key, k->enc_key, 32);

	static uint8_t in[1500], buf[1600], other[1600];
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7 + 3);
	for (size_t len = 1; len <= sizeof(in); len += len < 40 ? 1 : 97) {
		memcpy(buf, in, len);
		size_t n = svr_payload_encrypt(crypto, k, buf, len, sizeof(buf));
		assert_int_equal(n, svr_md_cipher_len(len));
		memcpy(other, in, len);
		assert_int_equal(svr_payload_encrypt(crypto, k, other, len, sizeof(other)), n);
		assert_memory_not_equal(buf, other, n); /* a fresh IV each time */
		/* the metadata key does not open it (padding refused, or not the clear text) */
		uint8_t md[1600];
		int m = svr_md_decrypt(crypto, k, buf, n, md, sizeof(md));
		assert_true(m < 0 || (size_t)m != len || memcmp(md, in, len) != 0);
		assert_int_equal(svr_payload_decrypt(crypto, k, buf, n, sizeof(buf)), (int)len);
		assert_memory_equal(buf, in, len);
	}
	/* no room for the IV and padding; no room for OpenSSL's block ahead; not IV + blocks */
	memcpy(buf, in, 100);
	assert_int_equal(svr_payload_encrypt(crypto, k, buf, 100, 100 + 16), 0);
	size_t n = svr_payload_encrypt(crypto, k, buf, 100, sizeof(buf));
	assert_int_equal(svr_payload_decrypt(crypto, k, buf, n, n), -1);
	assert_int_equal(svr_payload_decrypt(crypto, k, buf, n - 1, sizeof(buf)), -1);
	/* bent padding: refused */
	buf[n - 16 - 1] ^= 0x5a;
	assert_int_equal(svr_payload_decrypt(crypto, k, buf, n, sizeof(buf)), -1);
	/* a key without an encryption key cannot encrypt payloads */
	memcpy(buf, in, 100);
	assert_int_equal(svr_payload_encrypt(crypto, &kr.keys[1], buf, 100, sizeof(buf)), 0);
}

/* A key file listing the given Security IDs (each its own HMAC key). */
static void ring_of(struct svr_keyring *kr, const unsigned *ids, unsigned n)
{
	char text[8192];
	size_t o = (size_t)snprintf(text, sizeof(text), "{\"keys\": [");
	for (unsigned i = 0; i < n; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o,
				      "%s{\"security-id\": %u, \"hmac-key\": "
				      "\"%032x\"}",
				      i ? ", " : "", ids[i], ids[i] + 1);
	snprintf(text + o, sizeof(text) - o, "]}");
	struct svr_jerr e;
	assert_int_equal(svr_keyring_parse(text, kr, &e), 0);
}

static int slot_of(const struct svr_keyring *kr, unsigned id)
{
	const struct svr_key *k = svr_keyring_find(kr, id);
	return k ? (int)(k - kr->keys) : -1;
}

/* A key file read again: keys still listed keep their slots (sessions hold them). */
static void keyring_reload(void **state)
{
	(void)state;
	static struct svr_keyring a, b, c, d, fresh;
	struct svr_jerr e;
	ring_of(&a, (const unsigned[]){1, 2, 3}, 3);
	ring_of(&fresh, (const unsigned[]){4, 2}, 2);
	assert_int_equal(svr_keyring_merge(&a, &fresh, &b, &e), 0);
	assert_int_equal(slot_of(&b, 2), 1); /* kept */
	assert_int_equal(slot_of(&b, 4), 3); /* new: a slot empty in both rings */
	assert_int_equal(slot_of(&b, 1), -1);
	assert_int_equal(slot_of(&b, 3), -1);
	assert_int_equal(b.n, 4);
	assert_memory_equal(b.keys[1].hmac_key, a.keys[1].hmac_key, 16);
	/* the empty slots are neither found nor current */
	assert_null(svr_keyring_find(&b, 0));
	assert_int_equal(svr_keyring_current(&b, 0)->security_id, 4);
	/* a slot emptied by the last reload may take a new key now */
	ring_of(&fresh, (const unsigned[]){4, 5, 6, 2}, 4);
	assert_int_equal(svr_keyring_merge(&b, &fresh, &c, &e), 0);
	assert_int_equal(slot_of(&c, 4), 3);
	assert_int_equal(slot_of(&c, 2), 1);
	assert_int_equal(slot_of(&c, 5), 0);
	assert_int_equal(slot_of(&c, 6), 2);
	/* more keys than slots between the running and the new file: refused */
	unsigned ids[SVR_KEYS_MAX];
	for (unsigned i = 0; i < SVR_KEYS_MAX; i++)
		ids[i] = 100 + i;
	ring_of(&d, ids, SVR_KEYS_MAX);
	ring_of(&fresh, (const unsigned[]){7}, 1);
	assert_int_equal(svr_keyring_merge(&d, &fresh, &c, &e), -1);
	assert_non_null(strstr(e.msg, "no free key slot for security-id 7"));
}

/* A ring: the slot of the key that signed, whatever the hint; empty slots and strangers refused. */
static void verify_against_ring(void **state)
{
	(void)state;
	static struct svr_keyring kr;
	ring_of(&kr, (const unsigned[]){7, 8, 9}, 3);
	memset(&kr.keys[2], 0, sizeof(kr.keys[2])); /* slot 2 emptied by a reload */
	uint8_t data[100], tag[16];
	memset(data, 0x42, sizeof(data));
	assert_int_equal(svr_hmac_sign(crypto, &kr.keys[1], SVR_HMAC_SHA256_128, true, 1000,
				       MSG(data, sizeof(data)), tag),
			 0);
	for (unsigned hint = 0; hint < 4; hint++)
		assert_int_equal(svr_hmac_verify_ring(crypto, &kr, hint, SVR_HMAC_SHA256_128, true,
						      1001, MSG(data, sizeof(data)), tag),
				 1);
	/* the hint's key known to fail at this step (a pair check said so): not hashed there again,
	 * so a trailer it made at this very step is not found; at the step before, it still is;
	 * another key's is found whatever the hint */
	const unsigned failed = SVR_HINT_FAILED_NOW;
	assert_int_equal(svr_hmac_verify_ring(crypto, &kr, 1 | failed, SVR_HMAC_SHA256_128, true,
					      1000, MSG(data, sizeof(data)), tag),
			 -1);
	assert_int_equal(svr_hmac_verify_ring(crypto, &kr, 1 | failed, SVR_HMAC_SHA256_128, true,
					      1001, MSG(data, sizeof(data)), tag),
			 1);
	assert_int_equal(svr_hmac_verify_ring(crypto, &kr, 0 | failed, SVR_HMAC_SHA256_128, true,
					      1000, MSG(data, sizeof(data)), tag),
			 1);
	/* two steps away, or a bent byte: nobody signed it */
	assert_int_equal(svr_hmac_verify_ring(crypto, &kr, 1, SVR_HMAC_SHA256_128, true, 1002,
					      MSG(data, sizeof(data)), tag),
			 -1);
	data[0] ^= 1;
	assert_int_equal(svr_hmac_verify_ring(crypto, &kr, 1, SVR_HMAC_SHA256_128, true, 1000,
					      MSG(data, sizeof(data)), tag),
			 -1);
}

/* --- what a TCP segment's trailer covers (docs/svr.md "What the HMAC covers") --- */

enum { SEG_IP = 20, SEG_TCP = 32, SEG_DATA = 100, SEG_LEN = SEG_IP + SEG_TCP + SEG_DATA };

/* An IPv4 TCP segment between two waypoints: PSH|ACK|ECE, the timestamp option, 100 bytes of
 * data; seq and the data's first byte from n. */
static void segment(uint8_t pkt[SEG_LEN], unsigned n)
{
	unhex("45 02 0098 1234 4000 3f 06 0000 c6130101 c6130201"
	      "4001 4003 11223344 55667788 80 58 1234 0000 0007"
	      "0101080a 01020304 05060708",
	      pkt);
	svr_wr32(pkt + SEG_IP + 4, 0x11223344u + 1448u * n);
	for (unsigned i = 0; i < SEG_DATA; i++)
		pkt[SEG_IP + SEG_TCP + i] = (uint8_t)(i * 7 + n);
	svr_wire_checksums(pkt);
}

/* What the receiver hashes, taken from the packet as svrpath/datapath.c takes it: the payload after the
 * transport header to the IP length's end, and the covered fields. */
static struct svr_hmac_msg segment_msg(const uint8_t *pkt)
{
	struct svr_hmac_msg m = {0};
	size_t hl = svr_wire_hl(pkt), l4h = svr_wire_l4_hlen(pkt), total = svr_wire_total(pkt);
	m.data = pkt + hl + l4h;
	m.len = total - hl - l4h;
	m.cover_len = (uint8_t)svr_wire_hmac_cover(pkt, m.cover);
	return m;
}

/* The trailer libcrypto gives, the message laid out here field by field from the header:
 * T || seq || ack || 0 || flags & 0x3f || window || 0 0 || urgent pointer || payload. */
static void segment_reference(const struct svr_key *k, uint64_t step, const uint8_t *pkt,
			      uint8_t out[32])
{
	const uint8_t *tcp = pkt + SEG_IP;
	uint8_t buf[8 + 16 + SEG_DATA];
	size_t n = 0;
	for (int i = 0; i < 8; i++)
		buf[n++] = (uint8_t)(step >> (56 - 8 * i));
	memcpy(buf + n, tcp + 4, 8); /* sequence, acknowledgement */
	n += 8;
	buf[n++] = 0;
	buf[n++] = tcp[13] & 0x3f; /* URG ACK PSH RST SYN FIN */
	buf[n++] = tcp[14];        /* window */
	buf[n++] = tcp[15];
	buf[n++] = 0;
	buf[n++] = 0;
	buf[n++] = tcp[18]; /* urgent pointer */
	buf[n++] = tcp[19];
	memcpy(buf + n, tcp + SEG_TCP, SEG_DATA);
	n += SEG_DATA;
	unsigned wl = 0;
	assert_non_null(HMAC(EVP_sha256(), k->hmac_key, k->hmac_len, buf, n, out, &wl));
}

/* Whether a bit of the segment is one the trailer covers (directly, or through where the
 * payload starts and ends): the IP header's version and length fields, its protocol; TCP's
 * sequence and acknowledgement numbers, data offset, flags but CWR and ECE, window, urgent
 * pointer; the payload. Not: the rest of the IP header (TTL, addresses, checksum...), the
 * ports, the reserved and AE bits, CWR and ECE, the checksum, the options. */
static bool segment_bit_covered(size_t byte, unsigned bit)
{
	if (byte < SEG_IP)
		return byte == 0 || byte == 2 || byte == 3 || byte == 9;
	size_t t = byte - SEG_IP;
	if (t >= SEG_TCP)
		return true; /* payload */
	if (t == 12)
		return bit >= 4; /* the data offset: where the payload starts */
	if (t == 13)
		return bit < 6;
	return (t >= 4 && t < 12) || t == 14 || t == 15 || t == 18 || t == 19;
}

/*
 * The trailer of a TCP segment covers its stable header fields as well as its payload: equal
 * to libcrypto's HMAC over the layout computed apart; each single bit changed in a covered
 * field fails the check (an on-path attacker cannot set RST or FIN, move the sequence or shut
 * the window), each changed in a field the path may rewrite (addresses, ports, TTL,
 * checksums, options, ECN bits) still verifies.
 */
static void tcp_header_covered(void **state)
{
	(void)state;
	struct svr_key k = {.hmac_len = 32};
	memset(k.hmac_key, 0x6b, 32);
	uint8_t pkt[SEG_LEN + 8], bent[SEG_LEN + 8], t[16], want[32];
	memset(pkt, 0, sizeof(pkt));
	segment(pkt, 0);
	struct svr_hmac_msg m = segment_msg(pkt);
	assert_int_equal(m.cover_len, 16);
	assert_int_equal(m.len, SEG_DATA);
	assert_int_equal(svr_hmac_sign(crypto, &k, SVR_HMAC_SHA256_128, true, 4242, &m, t), 0);
	segment_reference(&k, 4242, pkt, want);
	assert_memory_equal(t, want, 16);
	unsigned covered = 0, free_bits = 0;
	for (size_t byte = 0; byte < SEG_LEN; byte++) {
		for (unsigned bit = 0; bit < 8; bit++) {
			if (byte == 0 && bit >= 4)
				continue; /* the IP version: not IPv4 any more, another parser */
			memcpy(bent, pkt, sizeof(pkt));
			bent[byte] ^= (uint8_t)(1u << bit);
			if (byte == 0 || byte == 2 || byte == 3) {
				/* header or packet length: within the buffer, or skipped */
				size_t hl = svr_wire_hl(bent), total = svr_wire_total(bent);
				if (hl < 20 || total > sizeof(bent) || total < hl + SEG_TCP)
					continue;
			}
			if (svr_wire_hl(bent) + svr_wire_l4_hlen(bent) > svr_wire_total(bent))
				continue; /* no payload at all: the data path drops it (l4-short) */
			struct svr_hmac_msg b = segment_msg(bent);
			bool ok = verify_one_msg(&k, true, 4242, &b, t);
			if (ok == segment_bit_covered(byte, bit))
				fail_msg("byte %zu bit %u: %s", byte, bit,
					 ok ? "covered, yet still verifies"
					    : "not covered, yet fails");
			covered += !ok;
			free_bits += ok;
		}
	}
	assert_true(covered > SEG_DATA * 8 && free_bits > 100);
	/* RST or FIN set on the segment, each as an attacker would: refused */
	for (unsigned flag = 0x01; flag <= 0x04; flag <<= 1) {
		memcpy(bent, pkt, sizeof(pkt));
		bent[SEG_IP + 13] |= (uint8_t)flag;
		svr_wire_checksums(bent);
		struct svr_hmac_msg b = segment_msg(bent);
		assert_false(verify_one_msg(&k, true, 4242, &b, t));
	}
	/* a UDP datagram covers no header field: its message is the payload alone */
	pkt[9] = SVR_WIRE_UDP;
	uint8_t cover[16];
	assert_int_equal(svr_wire_hmac_cover(pkt, cover), 0);
}

/* Two and four segments at a time give the trailers one at a time gives, each segment's own
 * header in its lane; a segment whose flags were bent fails in its lane alone. */
static void tcp_header_covered_in_pairs_and_fours(void **state)
{
	(void)state;
	struct svr_key k = {.hmac_len = 32}, k2 = {.hmac_len = 32};
	memset(k.hmac_key, 0x6c, 32);
	memset(k2.hmac_key, 0x6d, 32);
	static uint8_t pkt[4][SEG_LEN];
	struct svr_hmac_msg m[4];
	uint8_t single[4][32], want[32];
	for (unsigned i = 0; i < 4; i++) {
		segment(pkt[i], i);
		m[i] = segment_msg(pkt[i]);
		assert_int_equal(
		    svr_hmac_sign(crypto, &k, SVR_HMAC_SHA256, true, 77, &m[i], single[i]), 0);
		segment_reference(&k, 77, pkt[i], want);
		assert_memory_equal(single[i], want, 32);
	}
	/* one key's four segments: sign4 and check4 */
	uint8_t q[4][32];
	uint8_t *const out[4] = {q[0], q[1], q[2], q[3]};
	const struct svr_hmac_msg *const mp[4] = {&m[0], &m[1], &m[2], &m[3]};
	const uint8_t *const tr[4] = {single[0], single[1], single[2], single[3]};
	assert_int_equal(svr_hmac_sign4(crypto, &k, SVR_HMAC_SHA256, true, 77, mp, out), 0);
	for (unsigned i = 0; i < 4; i++)
		assert_memory_equal(q[i], single[i], 32);
	assert_int_equal(svr_hmac_check4(crypto, &k, SVR_HMAC_SHA256, true, 77, mp, tr), 15);
	pkt[2][SEG_IP + 13] |= 0x04; /* RST on the third */
	m[2] = segment_msg(pkt[2]);
	assert_int_equal(svr_hmac_check4(crypto, &k, SVR_HMAC_SHA256, true, 77, mp, tr), 11);
	pkt[2][SEG_IP + 13] &= (uint8_t)~0x04;
	m[2] = segment_msg(pkt[2]);
	/* pairs: two keys, and a TCP lane beside a UDP one (covers of different lengths) */
	uint8_t p0[32], p1[32], s1[32];
	assert_int_equal(
	    svr_hmac_sign2(crypto, &k, &k2, SVR_HMAC_SHA256, true, 77, &m[0], p0, &m[1], p1), 0);
	assert_memory_equal(p0, single[0], 32);
	segment_reference(&k2, 77, pkt[1], want);
	assert_memory_equal(p1, want, 32);
	struct svr_hmac_msg udp = {.data = pkt[3] + 40, .len = 60};
	assert_int_equal(
	    svr_hmac_sign2(crypto, &k, &k, SVR_HMAC_SHA256, false, 0, &m[0], p0, &udp, p1), 0);
	assert_int_equal(svr_hmac_sign(crypto, &k, SVR_HMAC_SHA256, false, 0, &m[0], s1), 0);
	assert_memory_equal(p0, s1, 32);
	assert_int_equal(svr_hmac_sign(crypto, &k, SVR_HMAC_SHA256, false, 0, &udp, s1), 0);
	assert_memory_equal(p1, s1, 32);
	assert_int_equal(svr_hmac_check2(crypto, &k, &k, SVR_HMAC_SHA256, true, 77, &m[0],
					 single[0], &m[1], single[1]),
			 3);
	svr_wr32(pkt[1] + SEG_IP + 8, svr_rd32(pkt[1] + SEG_IP + 8) + 1); /* its ack moved */
	m[1] = segment_msg(pkt[1]);
	assert_int_equal(svr_hmac_check2(crypto, &k, &k, SVR_HMAC_SHA256, true, 77, &m[0],
					 single[0], &m[1], single[1]),
			 1);
	/* a cover longer than a message holds is refused, not read past */
	struct svr_hmac_msg bad = m[0];
	bad.cover_len = SVR_HMAC_COVER_MAX + 1;
	assert_int_equal(svr_hmac_sign(crypto, &k, SVR_HMAC_SHA256, true, 77, &bad, s1), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(hmac_sha256_rfc4231),
	    cmocka_unit_test(time_window),
	    cmocka_unit_test(session_key_derivation),
	    cmocka_unit_test(aes256_cbc_nist),
	    cmocka_unit_test(forget_then_reuse),
	    cmocka_unit_test(pairs_match_singles),
	    cmocka_unit_test(tcp_header_covered),
	    cmocka_unit_test(tcp_header_covered_in_pairs_and_fours),
	    cmocka_unit_test(pads_of_many_keys),
	    cmocka_unit_test(encryption_round_trips_and_tampering),
	    cmocka_unit_test(key_file),
	    cmocka_unit_test(key_file_cleansed),
	    cmocka_unit_test(key_length_fits_cipher),
	    cmocka_unit_test(payload_encryption),
	    cmocka_unit_test(keyring_reload),
	    cmocka_unit_test(verify_against_ring),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
