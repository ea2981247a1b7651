/* SPDX-License-Identifier: BSD-3-Clause */
/* Big-endian (network order) 16- and 32-bit fields at any alignment (packets, metadata, images),
 * and hex digits (key files, captures and UUIDs in text). */
#ifndef SVR_COMMON_BYTES_H
#define SVR_COMMON_BYTES_H

#include <stdint.h>

static inline uint16_t svr_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t svr_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void svr_wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void svr_wr32(uint8_t *p, uint32_t v)
{
	svr_wr16(p, (uint16_t)(v >> 16));
	svr_wr16(p + 2, (uint16_t)v);
}

/* The value of one hex digit (either case), or -1. */
static inline int svr_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
