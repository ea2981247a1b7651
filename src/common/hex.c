/* SPDX-License-Identifier: BSD-3-Clause */
/* Hex encoding and log-safe text (hex.h). */
#include <stdint.h>
#include <string.h>

#include "common/hex.h"

void svr_hex_encode(const void *bytes, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *b = bytes;
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 0xf];
	}
	out[2 * n] = '\0';
}

bool svr_hex_is_lower(const char *s, size_t len, size_t want)
{
	if (len != want)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* The length of the valid UTF-8 character at s (1-4), 0 when s does not start one (RFC 3629:
 * no overlong forms, no surrogates, nothing above U+10FFFF). s is NUL-terminated. */
static size_t utf8_char_len(const uint8_t *s)
{
	size_t n;
	uint32_t min, cp;
	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		n = 2, min = 0x80, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, min = 0x800, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, min = 0x10000, cp = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) /* the NUL stops here too */
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

char *svr_log_safe(char *dst, size_t len, const char *src)
{
	if (len == 0)
		return dst;
	const uint8_t *s = (const uint8_t *)(src ? src : "");
	size_t o = 0;
	while (*s) {
		size_t n = utf8_char_len(s);
		bool bad = n == 0 || (n == 1 && (*s < 0x20 || *s == 0x7f)) ||
			   (n == 2 && s[0] == 0xc2 && s[1] < 0xa0); /* C1 controls */
		size_t out_n = bad ? 1 : n;
		if (o + out_n >= len)
			break;
		if (bad)
			dst[o] = '?';
		else
			memcpy(dst + o, s, n);
		o += out_n;
		s += n ? n : 1;
	}
	dst[o] = '\0';
	return dst;
}
