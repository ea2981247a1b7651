/* SPDX-License-Identifier: BSD-3-Clause */
/* A growing text buffer (textbuf.h). */
#include "common/textbuf.h"

#include <stdlib.h>
#include <string.h>

void svr_textbuf_fail(struct svr_textbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->oom = true;
}

void svr_textbuf_put(struct svr_textbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			svr_textbuf_fail(b);
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void svr_textbuf_puts(struct svr_textbuf *b, const char *s)
{
	svr_textbuf_put(b, s, strlen(s));
}

char *svr_textbuf_take(struct svr_textbuf *b, size_t *len)
{
	char *text = b->oom ? NULL : b->p ? b->p : calloc(1, 1);
	if (len)
		*len = text ? b->len : 0;
	*b = (struct svr_textbuf){0};
	return text;
}
