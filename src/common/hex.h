/* SPDX-License-Identifier: BSD-3-Clause */
/* Lowercase hex text for keys, digests and tokens, and text made safe for a log line. */
#ifndef SVR_HEX_H
#define SVR_HEX_H

#include <stdbool.h>
#include <stddef.h>

/* n bytes as 2n lowercase hex digits and a NUL: out holds 2n + 1 characters. */
void svr_hex_encode(const void *bytes, size_t n, char *out);

/* Whether s[0..len) is exactly want lowercase hex digits (the form of every secret the
 * conductor hands out: 32 random bytes, 64 digits). */
bool svr_hex_is_lower(const char *s, size_t len, size_t want);

/* src copied to dst (len bytes with the NUL) for a log line or an alarm: control characters
 * (a decoded "%0a" in a path, say) and invalid UTF-8 become '?', and a cut falls only between
 * UTF-8 characters, so the result is always valid UTF-8 on one line. Returns dst. */
char *svr_log_safe(char *dst, size_t len, const char *src);

#endif
