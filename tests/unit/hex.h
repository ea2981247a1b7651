/* SPDX-License-Identifier: BSD-3-Clause */
/* Hex text to bytes for test vectors: pairs of hex digits; spaces and newlines between pairs
 * are skipped, so vectors can be laid out by field. Returns the bytes written. */
#ifndef SVR_TEST_HEX_H
#define SVR_TEST_HEX_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

static inline size_t unhex(const char *hex, uint8_t *out)
{
	size_t n = 0;
	for (const char *p = hex; p[0] && p[1];) {
		if (p[0] == ' ' || p[0] == '\n') {
			p++;
			continue;
		}
		unsigned v;
		sscanf(p, "%2x", &v);
		out[n++] = (uint8_t)v;
		p += 2;
	}
	return n;
}

#endif
