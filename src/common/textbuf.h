/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A growing text buffer for answers built piece by piece (svr-control's metrics page, the
 * events' wire formats). Once an allocation fails the text is freed and every later write is
 * skipped: the caller checks once, at the end (svr_textbuf_take).
 */
#ifndef SVR_COMMON_TEXTBUF_H
#define SVR_COMMON_TEXTBUF_H

#include <stdbool.h>
#include <stddef.h>

struct svr_textbuf {
	char *p; /* NUL-terminated once anything was written */
	size_t len, cap;
	bool oom;
};

void svr_textbuf_put(struct svr_textbuf *b, const char *s, size_t n);
void svr_textbuf_puts(struct svr_textbuf *b, const char *s);
/* Marks the buffer failed (a piece could not be made): the text is dropped. */
void svr_textbuf_fail(struct svr_textbuf *b);
/* The text and its length, the caller's to free: "" when nothing was written, NULL when
 * memory ran out. The buffer is empty again. */
char *svr_textbuf_take(struct svr_textbuf *b, size_t *len);

#endif
