/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HMAC micro-benchmark (docs/performance.md, docs/svr.md): what the SVR
 * trailer costs a packet, HMAC-SHA256-128 time-based as the default policy
 * signs. Baseline: one packet at a time through libcrypto (svr_hmac_sign),
 * measured in the same run on the same buffers; against it, two packets at a
 * time (svr_hmac_sign2: the SHA-256 streams interleaved on SHA-NI, or
 * libcrypto twice where the CPU lacks it). Repetitions interleaved, medians.
 *
 * Usage: svr-bench-hmac [ROUNDS]    (default 5)
 * The TCP figures (hmac_1432_*, hmac_0_*) sign what a segment's trailer covers: the time
 * counter, the header's 16 covered bytes (security.h) and the payload.
 * Prints name=value lines: hmac_{1432,0}_{single,pair}_ns (per packet),
 * ratio_hmac_pair_vs_single_1432, hmac_1432_pair_2keys_ns (pairs of two sessions, each lane
 * under its own key: O-3), hmac_1432_quad_ns (four at a time under one key: a session's
 * full-size segments), hmac_pairs_sha_ni (1 or 0), sha256_1432_ns (SHA-256 alone over the
 * same payload: the floor of one at a time), and hmac_100_many_keys_ns against hmac_100_one_key_ns
 * (pairs of 100-byte UDP payloads, each under a different one of MANY_KEYS session keys in turn,
 * as the packets of many sessions interleave, against all under one key), and md_encrypt_100_ns
 * against md_encrypt_100_evp_ns (svr_md_encrypt of 100 bytes, AES-256-CBC with a fresh IV, against
 * the same through EVP initialised from EVP_aes_256_cbc() each time: the baseline), and
 * rand_bytes_16_ns (one RAND_bytes call for one IV, which the IV pool saves).
 */
#include <stdio.h>
#include <stdlib.h>

#define OPENSSL_SUPPRESS_DEPRECATED /* SHA256_*: the same libcrypto code the HMAC runs on */
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <string.h>
#include <time.h>

#include "common/security.h"
#include "common/sha256x2.h"

#define PACKETS   200000 /* per measurement: about 0.1-0.2 s for full-size payloads */
#define MANY_KEYS 64     /* sessions whose packets interleave */

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* A message of len bytes at data; a TCP segment's (its 16 covered header bytes, made up) or a
 * UDP datagram's (none). */
static struct svr_hmac_msg msg(const uint8_t *data, size_t len, int tcp)
{
	struct svr_hmac_msg m = {.data = data, .len = len, .cover_len = tcp ? 16 : 0};
	for (int i = 0; i < m.cover_len; i++)
		m.cover[i] = (uint8_t)(i * 37 + len);
	return m;
}

/* ns a packet over PACKETS TCP segments of len bytes, one or two at a time. The first byte of
 * each buffer depends on the last trailer, so that no call can be skipped or hoisted. */
static double measure(struct svr_crypto *c, const struct svr_key *k, const struct svr_key *k1,
		      uint8_t *a, uint8_t *b, size_t len, int pair)
{
	uint8_t ta[16], tb[16];
	struct svr_hmac_msg ma = msg(a, len, 1), mb = msg(b, len, 1);
	double t0 = now_ns();
	if (pair) {
		for (int i = 0; i < PACKETS / 2; i++) {
			if (svr_hmac_sign2(c, k, k1, SVR_HMAC_SHA256_128, true, 900000000u, &ma, ta,
					   &mb, tb) < 0)
				abort();
			a[0] ^= ta[0];
			b[0] ^= tb[0];
		}
	} else {
		for (int i = 0; i < PACKETS; i++) {
			if (svr_hmac_sign(c, k, SVR_HMAC_SHA256_128, true, 900000000u,
					  i & 1 ? &mb : &ma, ta) < 0)
				abort();
			(i & 1 ? b : a)[0] ^= ta[0];
		}
	}
	return (now_ns() - t0) / PACKETS;
}

/* The same, four at a time under one key (two more buffers, c and d). */
static double measure4(struct svr_crypto *c, const struct svr_key *k, uint8_t *a, uint8_t *b,
		       uint8_t *e, uint8_t *f, size_t len)
{
	uint8_t t[4][16];
	const struct svr_hmac_msg m[4] = {msg(a, len, 1), msg(b, len, 1), msg(e, len, 1),
					  msg(f, len, 1)};
	const struct svr_hmac_msg *const mp[4] = {&m[0], &m[1], &m[2], &m[3]};
	uint8_t *const out[4] = {t[0], t[1], t[2], t[3]};
	double t0 = now_ns();
	for (int i = 0; i < PACKETS / 4; i++) {
		if (svr_hmac_sign4(c, k, SVR_HMAC_SHA256_128, true, 900000000u, mp, out) < 0)
			abort();
		a[0] ^= t[0][0];
		b[0] ^= t[1][0];
		e[0] ^= t[2][0];
		f[0] ^= t[3][0];
	}
	return (now_ns() - t0) / PACKETS;
}

/* ns a packet, in pairs of UDP datagrams of len bytes, the keys taken in turn from keys[0, n). */
static double measure_keys(struct svr_crypto *c, const struct svr_key *keys, unsigned n, uint8_t *a,
			   uint8_t *b, size_t len)
{
	uint8_t ta[16], tb[16];
	struct svr_hmac_msg ma = msg(a, len, 0), mb = msg(b, len, 0);
	double t0 = now_ns();
	for (int i = 0; i < PACKETS / 2; i++) {
		const struct svr_key *k0 = &keys[(2u * (unsigned)i) % n];
		const struct svr_key *k1 = &keys[(2u * (unsigned)i + 1) % n];
		if (svr_hmac_sign2(c, k0, k1, SVR_HMAC_SHA256_128, true, 900000000u, &ma, ta, &mb,
				   tb) < 0)
			abort();
		a[0] ^= ta[0];
		b[0] ^= tb[0];
	}
	return (now_ns() - t0) / PACKETS;
}

/* ns a call: 100 bytes sealed under k, ours (svr_md_encrypt) or through EVP initialised with
 * EVP_aes_256_cbc() every time (the baseline: an implicit fetch and a new context each). */
static double measure_seal(struct svr_crypto *c, EVP_CIPHER_CTX *evp, const struct svr_key *k,
			   int ours)
{
	static uint8_t in[100], out[256];
	double t0 = now_ns();
	for (int i = 0; i < PACKETS / 4; i++) {
		if (ours) {
			if (svr_md_encrypt(c, k, NULL, in, sizeof(in), out, sizeof(out)) == 0)
				abort();
		} else {
			int n1 = 0, n2 = 0;
			if (RAND_bytes(out, 16) != 1 ||
			    !EVP_EncryptInit_ex2(evp, EVP_aes_256_cbc(), k->enc_key, out, NULL) ||
			    !EVP_EncryptUpdate(evp, out + 16, &n1, in, sizeof(in)) ||
			    !EVP_EncryptFinal_ex(evp, out + 16 + n1, &n2))
				abort();
		}
		in[0] ^= out[20];
	}
	return (now_ns() - t0) / (PACKETS / 4);
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 5;
	if (rounds < 1 || rounds > 99) {
		fprintf(stderr, "usage: %s [ROUNDS 1-99]\n", argv[0]);
		return 2;
	}
	struct svr_crypto *c = svr_crypto_new();
	if (!c)
		return 1;
	struct svr_key k = {.hmac_len = 32}, k2 = {.hmac_len = 32};
	memset(k.hmac_key, 0x42, sizeof(k.hmac_key));
	memset(k2.hmac_key, 0x24, sizeof(k2.hmac_key));
	static uint8_t a[1600], b[1600], e[1600], f[1600];
	for (size_t i = 0; i < sizeof(a); i++) {
		a[i] = (uint8_t)(i * 7);
		b[i] = (uint8_t)(i * 11);
		e[i] = (uint8_t)(i * 13);
		f[i] = (uint8_t)(i * 17);
	}
	printf("hmac_pairs_sha_ni=%d\n", svr_sha256x2_usable() ? 1 : 0);
	/* the floor: SHA-256 alone over a full segment's payload (libcrypto's SHA256_* without
	 * EVP, as the HMAC uses it; EVP's one-shot SHA256() adds a fetch and an allocation) */
	double sha[99];
	for (int r = 0; r < rounds; r++) {
		uint8_t md[SHA256_DIGEST_LENGTH];
		double t0 = now_ns();
		for (int i = 0; i < PACKETS; i++) {
			SHA256_CTX h;
			SHA256_Init(&h);
			SHA256_Update(&h, a, 1432);
			SHA256_Final(md, &h);
			a[0] ^= md[0];
		}
		sha[r] = (now_ns() - t0) / PACKETS;
	}
	qsort(sha, (size_t)rounds, sizeof(double), cmp);
	printf("sha256_1432_ns=%.0f\n", sha[rounds / 2]);
	/* 1432: a full segment's payload under SVR (MSS 1444 less the timestamp option); 0: a bare
	 * ACK (the trailer signs the time counter alone) */
	static const size_t lens[] = {1432, 0};
	for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
		double single[99], pair[99], pair2[99], quad[99];
		for (int r = 0; r < rounds; r++) {
			single[r] = measure(c, &k, &k, a, b, lens[l], 0);
			pair[r] = measure(c, &k, &k, a, b, lens[l], 1);
			pair2[r] = l == 0 ? measure(c, &k, &k2, a, b, lens[l], 1) : 0;
			quad[r] = l == 0 ? measure4(c, &k, a, b, e, f, lens[l]) : 0;
		}
		qsort(single, (size_t)rounds, sizeof(double), cmp);
		qsort(pair, (size_t)rounds, sizeof(double), cmp);
		qsort(pair2, (size_t)rounds, sizeof(double), cmp);
		qsort(quad, (size_t)rounds, sizeof(double), cmp);
		double s = single[rounds / 2], p = pair[rounds / 2];
		printf("hmac_%zu_single_ns=%.0f\n", lens[l], s);
		printf("hmac_%zu_pair_ns=%.0f\n", lens[l], p);
		if (l == 0) {
			printf("ratio_hmac_pair_vs_single_1432=%.3f\n", p / s);
			printf("hmac_1432_pair_2keys_ns=%.0f\n", pair2[rounds / 2]);
			printf("hmac_1432_quad_ns=%.0f\n", quad[rounds / 2]);
		}
	}
	/* many sessions: each its own key (random bytes, as derived ones are) */
	static struct svr_key many[MANY_KEYS];
	srand(1);
	for (unsigned i = 0; i < MANY_KEYS; i++) {
		many[i].hmac_len = 32;
		for (unsigned j = 0; j < 32; j++)
			many[i].hmac_key[j] = (uint8_t)rand();
	}
	double one[99], each[99];
	for (int r = 0; r < rounds; r++) {
		one[r] = measure_keys(c, many, 1, a, b, 100);
		each[r] = measure_keys(c, many, MANY_KEYS, a, b, 100);
	}
	qsort(one, (size_t)rounds, sizeof(double), cmp);
	qsort(each, (size_t)rounds, sizeof(double), cmp);
	printf("hmac_100_one_key_ns=%.0f\n", one[rounds / 2]);
	printf("hmac_100_many_keys_ns=%.0f\n", each[rounds / 2]);
	printf("ratio_hmac_many_keys_vs_one_100=%.3f\n", each[rounds / 2] / one[rounds / 2]);
	/* metadata encryption (first packets; every packet of a payload-encrypted session) */
	struct svr_key ek = {.enc_len = 32};
	memset(ek.enc_key, 0x33, sizeof(ek.enc_key));
	EVP_CIPHER_CTX *evp = EVP_CIPHER_CTX_new();
	if (!evp)
		return 1;
	double sealed[99], base[99];
	for (int r = 0; r < rounds; r++) {
		sealed[r] = measure_seal(c, evp, &ek, 1);
		base[r] = measure_seal(c, evp, &ek, 0);
	}
	EVP_CIPHER_CTX_free(evp);
	qsort(sealed, (size_t)rounds, sizeof(double), cmp);
	qsort(base, (size_t)rounds, sizeof(double), cmp);
	printf("md_encrypt_100_ns=%.0f\n", sealed[rounds / 2]);
	printf("md_encrypt_100_evp_ns=%.0f\n", base[rounds / 2]);
	printf("ratio_md_encrypt_vs_evp_100=%.3f\n", sealed[rounds / 2] / base[rounds / 2]);
	double rnd[99];
	for (int r = 0; r < rounds; r++) {
		uint8_t iv[16] = {0};
		double t0 = now_ns();
		for (int i = 0; i < PACKETS / 4; i++)
			if (RAND_bytes(iv, sizeof(iv)) != 1)
				abort();
		rnd[r] = (now_ns() - t0) / (PACKETS / 4);
	}
	qsort(rnd, (size_t)rounds, sizeof(double), cmp);
	printf("rand_bytes_16_ns=%.0f\n", rnd[rounds / 2]);
	svr_crypto_free(c);
	return 0;
}
