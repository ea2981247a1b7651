/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HMAC-SHA256 of two messages at once on the x86 SHA extensions (SHA-NI).
 *
 * One SHA-256 stream is latency-bound: each SHA256RNDS2 waits for the one
 * before it. Two independent streams interleaved keep the unit busy, so two
 * full-size segments cost about what one does through libcrypto (measured in
 * docs/svr.md). The data path pairs the packets of a burst that are signed
 * or checked with the same settings, each lane under its own key (sessions
 * have keys of their own); a packet with no partner goes through libcrypto
 * as before.
 *
 * The compression follows FIPS 180-4 with the instructions' documented state
 * layout (ABEF/CDGH). svr_sha256x2_usable() is false on a CPU without the
 * extensions, and false if a known-answer test against libcrypto fails: the
 * caller then never pairs.
 */
#ifndef SVR_SHA256X2_H
#define SVR_SHA256X2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The CPU has the SHA extensions and the self-test passed (run once, then cached). */
bool svr_sha256x2_usable(void);

/*
 * HMAC-SHA256 of p0 || d0 under key 0 and p1 || d1 under key 1, given each
 * key's pad states: the SHA-256 state after the 64-byte inner (ipad) and
 * outer (opad) blocks (RFC 2104); the two keys may be one. Each prefix (the
 * time counter and the covered transport fields: security.h) may be empty
 * and holds at most 64 bytes. Only when svr_sha256x2_usable().
 */
void svr_sha256x2_hmac(const uint32_t inner0[8], const uint32_t outer0[8], const uint32_t inner1[8],
		       const uint32_t outer1[8], const uint8_t *p0, size_t pl0, const uint8_t *d0,
		       size_t l0, uint8_t out0[32], const uint8_t *p1, size_t pl1,
		       const uint8_t *d1, size_t l1, uint8_t out1[32]);

/*
 * HMAC-SHA256 of prefix[i] || d[i] for four messages under one key, their
 * prefixes of one length (at most 64) and their data of one length (a
 * session's full-size segments in a burst): four streams interleaved, about
 * 8% less a message than two (docs/svr.md). Only when svr_sha256x2_usable().
 */
void svr_sha256x4_hmac(const uint32_t inner[8], const uint32_t outer[8],
		       const uint8_t *const prefix[4], size_t plen, const uint8_t *const d[4],
		       size_t len, uint8_t out[4][32]);

#endif
