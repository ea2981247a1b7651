/* SPDX-License-Identifier: BSD-3-Clause */
/* HMAC-SHA256 of two messages interleaved on SHA-NI: see sha256x2.h. */
#include "common/sha256x2.h"

#include <stdatomic.h>
#include <string.h>

#define OPENSSL_SUPPRESS_DEPRECATED /* SHA256_CTX: the pad state for the self-test */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

#define SHA_TARGET __attribute__((target("sha,sse4.1,ssse3")))

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

/* A state as the instructions want it: s[0] = ABEF, s[1] = CDGH. */
struct lane {
	__m128i s[2];
};

SHA_TARGET static void lane_load(struct lane *l, const uint32_t st[8])
{
	__m128i dcba = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&st[0]), 0xB1);
	__m128i efgh = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&st[4]), 0x1B);
	l->s[0] = _mm_alignr_epi8(dcba, efgh, 8);
	l->s[1] = _mm_blend_epi16(efgh, dcba, 0xF0);
}

/* The digest, big-endian, from the lane's state. */
SHA_TARGET static void lane_digest(const struct lane *l, uint8_t out[32])
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	__m128i feba = _mm_shuffle_epi32(l->s[0], 0x1B);
	__m128i dchg = _mm_shuffle_epi32(l->s[1], 0xB1);
	__m128i abcd = _mm_blend_epi16(feba, dchg, 0xF0);
	__m128i efgh = _mm_alignr_epi8(dchg, feba, 8);
	_mm_storeu_si128((__m128i *)out, _mm_shuffle_epi8(abcd, bswap));
	_mm_storeu_si128((__m128i *)(out + 16), _mm_shuffle_epi8(efgh, bswap));
}

#define SHA_INLINE SHA_TARGET __attribute__((always_inline)) static inline

/*
 * Rounds 4g..4g+3 of one block in one lane (FIPS 180-4 §6.2.2, with the
 * instructions' split of the schedule into σ0 (MSG1) and σ1 (MSG2)). m[]
 * holds the schedule words of the last four groups, m[g & 3] = W[4g..4g+3].
 */
SHA_INLINE void group(__m128i *s0, __m128i *s1, __m128i m[4], int g, const uint8_t *blk)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	if (g < 4)
		m[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(blk + 16 * g)), bswap);
	__m128i x = _mm_add_epi32(m[g & 3], _mm_loadu_si128((const __m128i *)&K[4 * g]));
	*s1 = _mm_sha256rnds2_epu32(*s1, *s0, x);
	if (g >= 3 && g <= 14) { /* W[4g+4..4g+7] */
		__m128i w = _mm_alignr_epi8(m[g & 3], m[(g - 1) & 3], 4);
		m[(g + 1) & 3] = _mm_sha256msg2_epu32(_mm_add_epi32(m[(g + 1) & 3], w), m[g & 3]);
	}
	*s0 = _mm_sha256rnds2_epu32(*s0, *s1, _mm_shuffle_epi32(x, 0x0E));
	if (g >= 1 && g <= 12)
		m[(g - 1) & 3] = _mm_sha256msg1_epu32(m[(g - 1) & 3], m[g & 3]);
}

/* One block into one lane. */
SHA_INLINE void block1(__m128i *s0, __m128i *s1, const uint8_t *blk)
{
	__m128i m[4], a = *s0, c = *s1;
#pragma GCC unroll 16
	for (int g = 0; g < 16; g++)
		group(s0, s1, m, g, blk);
	*s0 = _mm_add_epi32(*s0, a);
	*s1 = _mm_add_epi32(*s1, c);
}

/* One block into each of two lanes, their rounds interleaved: neither waits on itself. */
SHA_INLINE void block2(__m128i *a0, __m128i *a1, const uint8_t *pa, __m128i *b0, __m128i *b1,
		       const uint8_t *pb)
{
	__m128i ma[4], mb[4], sa0 = *a0, sa1 = *a1, sb0 = *b0, sb1 = *b1;
#pragma GCC unroll 16
	for (int g = 0; g < 16; g++) {
		group(a0, a1, ma, g, pa);
		group(b0, b1, mb, g, pb);
	}
	*a0 = _mm_add_epi32(*a0, sa0);
	*a1 = _mm_add_epi32(*a1, sa1);
	*b0 = _mm_add_epi32(*b0, sb0);
	*b1 = _mm_add_epi32(*b1, sb1);
}

/* One block into each of four lanes of one key's messages, their rounds interleaved. */
SHA_INLINE void block4(__m128i s[4][2], const uint8_t *const p[4])
{
	__m128i m[4][4], save[4][2];
	for (int l = 0; l < 4; l++)
		save[l][0] = s[l][0], save[l][1] = s[l][1];
#pragma GCC unroll 16
	for (int g = 0; g < 16; g++) {
		group(&s[0][0], &s[0][1], m[0], g, p[0]);
		group(&s[1][0], &s[1][1], m[1], g, p[1]);
		group(&s[2][0], &s[2][1], m[2], g, p[2]);
		group(&s[3][0], &s[3][1], m[3], g, p[3]);
	}
	for (int l = 0; l < 4; l++) {
		s[l][0] = _mm_add_epi32(s[l][0], save[l][0]);
		s[l][1] = _mm_add_epi32(s[l][1], save[l][1]);
	}
}

/*
 * A message after one 64-byte block already hashed (the pad): prefix || data
 * || 0x80 || zeros || bit length. Blocks that lie inside data are read in
 * place; the first (with the prefix) and the last one or two are built.
 */
struct stream {
	const uint8_t *prefix, *data;
	size_t plen, len, n_blocks;
};

static void stream_init(struct stream *s, const uint8_t *prefix, size_t plen, const uint8_t *data,
			size_t len)
{
	*s = (struct stream){.prefix = prefix, .plen = plen, .data = data, .len = len};
	s->n_blocks = (plen + len + 1 + 8 + 63) / 64;
}

static inline const uint8_t *stream_block(const struct stream *s, size_t i, uint8_t buf[64])
{
	size_t from = 64 * i, end = s->plen + s->len;
	if (from >= s->plen && from + 64 <= end)
		return s->data + (from - s->plen);
	memset(buf, 0, 64);
	size_t at = from;
	if (at < s->plen) { /* the prefix, then data */
		memcpy(buf, s->prefix + at, s->plen - at);
		at = s->plen;
	}
	if (at < end) {
		size_t n = end - at < 64 - (at - from) ? end - at : 64 - (at - from);
		memcpy(buf + (at - from), s->data + (at - s->plen), n);
	}
	if (end >= from && end < from + 64)
		buf[end - from] = 0x80;
	if (i == s->n_blocks - 1) {
		uint64_t bits = (uint64_t)(64 + end) * 8; /* the pad block counts */
		for (int b = 0; b < 8; b++)
			buf[56 + b] = (uint8_t)(bits >> (56 - 8 * b));
	}
	return buf;
}

/* Both streams into their lanes: their common blocks two at a time, the longer one's rest alone. */
SHA_TARGET static void hash_streams(struct lane *la, const struct stream *sa, struct lane *lb,
				    const struct stream *sb)
{
	__m128i a0 = la->s[0], a1 = la->s[1], b0 = lb->s[0], b1 = lb->s[1];
	uint8_t bufa[64], bufb[64];
	size_t common = sa->n_blocks < sb->n_blocks ? sa->n_blocks : sb->n_blocks;
	for (size_t i = 0; i < common; i++)
		block2(&a0, &a1, stream_block(sa, i, bufa), &b0, &b1, stream_block(sb, i, bufb));
	for (size_t i = common; i < sa->n_blocks; i++)
		block1(&a0, &a1, stream_block(sa, i, bufa));
	for (size_t i = common; i < sb->n_blocks; i++)
		block1(&b0, &b1, stream_block(sb, i, bufb));
	la->s[0] = a0, la->s[1] = a1, lb->s[0] = b0, lb->s[1] = b1;
	OPENSSL_cleanse(bufa, sizeof(bufa));
	OPENSSL_cleanse(bufb, sizeof(bufb));
}

/* Four streams of as many blocks each into their lanes. */
SHA_TARGET static void hash_streams4(struct lane l[4], const struct stream st[4])
{
	__m128i s[4][2];
	uint8_t buf[4][64];
	for (int i = 0; i < 4; i++)
		s[i][0] = l[i].s[0], s[i][1] = l[i].s[1];
	for (size_t b = 0; b < st[0].n_blocks; b++) {
		const uint8_t *p[4];
		for (int i = 0; i < 4; i++)
			p[i] = stream_block(&st[i], b, buf[i]);
		block4(s, p);
	}
	for (int i = 0; i < 4; i++)
		l[i].s[0] = s[i][0], l[i].s[1] = s[i][1];
	OPENSSL_cleanse(buf, sizeof(buf));
	OPENSSL_cleanse(s, sizeof(s)); /* keyed states (the caller cleanses the lanes) */
}

SHA_TARGET void svr_sha256x4_hmac(const uint32_t inner[8], const uint32_t outer[8],
				  const uint8_t *const prefix[4], size_t plen,
				  const uint8_t *const d[4], size_t len, uint8_t out[4][32])
{
	struct lane lanes[4];
	struct stream st[4];
	for (int i = 0; i < 4; i++) {
		lane_load(&lanes[i], inner);
		stream_init(&st[i], prefix[i], plen, d[i], len);
	}
	hash_streams4(lanes, st);
	for (int i = 0; i < 4; i++) {
		lane_digest(&lanes[i], out[i]);
		lane_load(&lanes[i], outer);
		stream_init(&st[i], NULL, 0, out[i], 32);
	}
	hash_streams4(lanes, st);
	for (int i = 0; i < 4; i++)
		lane_digest(&lanes[i], out[i]);
	OPENSSL_cleanse(lanes, sizeof(lanes));
}

SHA_TARGET void svr_sha256x2_hmac(const uint32_t inner0[8], const uint32_t outer0[8],
				  const uint32_t inner1[8], const uint32_t outer1[8],
				  const uint8_t *p0, size_t pl0, const uint8_t *d0, size_t l0,
				  uint8_t out0[32], const uint8_t *p1, size_t pl1,
				  const uint8_t *d1, size_t l1, uint8_t out1[32])
{
	struct lane lanes[2];
	struct stream st[2];
	lane_load(&lanes[0], inner0);
	lane_load(&lanes[1], inner1);
	stream_init(&st[0], p0, pl0, d0, l0);
	stream_init(&st[1], p1, pl1, d1, l1);
	hash_streams(&lanes[0], &st[0], &lanes[1], &st[1]);
	lane_digest(&lanes[0], out0);
	lane_digest(&lanes[1], out1);
	/* the outer hash: one block each, over the inner digests */
	lane_load(&lanes[0], outer0);
	lane_load(&lanes[1], outer1);
	stream_init(&st[0], NULL, 0, out0, 32);
	stream_init(&st[1], NULL, 0, out1, 32);
	hash_streams(&lanes[0], &st[0], &lanes[1], &st[1]);
	lane_digest(&lanes[0], out0);
	lane_digest(&lanes[1], out1);
	OPENSSL_cleanse(lanes, sizeof(lanes));
}

static bool cpu_has_sha(void)
{
	unsigned a, b, c, d;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(b & (1u << 29))) /* SHA */
		return false;
	if (!__get_cpuid(1, &a, &b, &c, &d))
		return false;
	return (c & bit_SSSE3) && (c & bit_SSE4_1);
}

#else /* not x86-64: never usable, never called */

static bool cpu_has_sha(void)
{
	return false;
}

void svr_sha256x2_hmac(const uint32_t inner0[8], const uint32_t outer0[8], const uint32_t inner1[8],
		       const uint32_t outer1[8], const uint8_t *p0, size_t pl0, const uint8_t *d0,
		       size_t l0, uint8_t out0[32], const uint8_t *p1, size_t pl1,
		       const uint8_t *d1, size_t l1, uint8_t out1[32])
{
	(void)inner0, (void)outer0, (void)inner1, (void)outer1, (void)p0, (void)pl0, (void)d0,
	    (void)l0, (void)p1, (void)pl1, (void)d1, (void)l1;
	memset(out0, 0, 32);
	memset(out1, 0, 32);
}

void svr_sha256x4_hmac(const uint32_t inner[8], const uint32_t outer[8],
		       const uint8_t *const prefix[4], size_t plen, const uint8_t *const d[4],
		       size_t len, uint8_t out[4][32])
{
	(void)inner, (void)outer, (void)prefix, (void)plen, (void)d, (void)len;
	memset(out, 0, 4 * 32);
}

#endif

/* The pad state of key (at most 64 bytes): libcrypto's SHA-256 state after the one pad block. */
static void pad_state(const uint8_t *key, size_t klen, uint8_t x, uint32_t st[8])
{
	uint8_t pad[64] = {0};
	memcpy(pad, key, klen);
	for (int i = 0; i < 64; i++)
		pad[i] ^= x;
	SHA256_CTX c;
	SHA256_Init(&c);
	SHA256_Update(&c, pad, sizeof(pad));
	memcpy(st, c.h, 32);
	OPENSSL_cleanse(&c, sizeof(c));
	OPENSSL_cleanse(pad, sizeof(pad));
}

/* libcrypto's HMAC-SHA256 of prefix || data into want: true when it equals got. */
static bool hmac_agrees(const uint8_t key[32], const uint8_t *prefix, size_t plen,
			const uint8_t *data, size_t len, const uint8_t got[32])
{
	uint8_t msg[64 + 1600], want[32];
	unsigned wl = 0;
	memcpy(msg, prefix, plen);
	memcpy(msg + plen, data, len);
	return HMAC(EVP_sha256(), key, 32, msg, plen + len, want, &wl) && wl == 32 &&
	       memcmp(got, want, 32) == 0;
}

/*
 * Known-answer test against libcrypto's HMAC: lengths around every block
 * boundary that matters (the prefix block, the one or two last blocks), the
 * two lanes of different lengths, under different keys and with prefixes of
 * their own (none, the time counter, the time counter and a TCP header's
 * covered fields), four lanes each with its own prefix.
 */
static bool self_test(void)
{
	static const uint8_t keys[2][32] = {"svr sha256x2 self-test key 32 B",
					    "svr sha256x2 self-test lane 1 B"};
	uint8_t data[1600], prefix[4][24];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 131 + 7);
	for (size_t i = 0; i < sizeof(prefix); i++)
		prefix[i / 24][i % 24] = (uint8_t)(i * 29 + 3);
	uint32_t inner[2][8], outer[2][8];
	for (int j = 0; j < 2; j++) {
		pad_state(keys[j], sizeof(keys[j]), 0x36, inner[j]);
		pad_state(keys[j], sizeof(keys[j]), 0x5c, outer[j]);
	}
	static const size_t lens[] = {0,  1,  15,  16,  31,  32,  39,   40,   47,   48,   55,  56,
				      63, 64, 119, 120, 127, 128, 1400, 1432, 1460, 1576, 1600};
	static const size_t plens[] = {0, 8, 24};
	const size_t n = sizeof(lens) / sizeof(lens[0]);
	bool ok = true;
	for (size_t q = 0; q < 3 && ok; q++) {
		size_t p0 = plens[q], p1 = plens[(q + 1) % 3];
		for (size_t i = 0; i < n && ok; i++) {
			size_t l0 = lens[i], l1 = lens[n - 1 - i];
			const uint8_t *d1 = data + 1600 - l1;
			uint8_t got[2][32];
			svr_sha256x2_hmac(inner[0], outer[0], inner[1], outer[1], prefix[0], p0,
					  data, l0, got[0], prefix[1], p1, d1, l1, got[1]);
			ok = hmac_agrees(keys[0], prefix[0], p0, data, l0, got[0]) &&
			     hmac_agrees(keys[1], prefix[1], p1, d1, l1, got[1]);
		}
		/* four lanes of one length under one key, each its own prefix */
		for (size_t i = 0; i < n && ok; i++) {
			size_t l = lens[i] > 1596 ? 1596 : lens[i];
			const uint8_t *d[4] = {data, data + 1, data + 2, data + 4};
			const uint8_t *pre[4] = {prefix[0], prefix[1], prefix[2], prefix[3]};
			uint8_t got[4][32];
			svr_sha256x4_hmac(inner[0], outer[0], pre, p0, d, l, got);
			for (int j = 0; j < 4 && ok; j++)
				ok = hmac_agrees(keys[0], pre[j], p0, d[j], l, got[j]);
		}
	}
	OPENSSL_cleanse(inner, sizeof(inner));
	OPENSSL_cleanse(outer, sizeof(outer));
	return ok;
}

bool svr_sha256x2_usable(void)
{
	/* 0 unknown, 1 usable, -1 not. The dataplane asks first at start, before any worker runs;
	 * a racing first call elsewhere would only run the same test twice. */
	static _Atomic int state;
	int v = atomic_load_explicit(&state, memory_order_acquire);
	if (v == 0) {
		v = cpu_has_sha() && self_test() ? 1 : -1;
		atomic_store_explicit(&state, v, memory_order_release);
	}
	return v > 0;
}
