/* SPDX-License-Identifier: BSD-3-Clause */
#include "common/fsutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int svr_mkdir_p(const char *path, mode_t mode)
{
	char tmp[256];
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s", path) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *p = tmp + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(tmp, 0755); /* existing parents are fine; the last mkdir tells */
			*p = '/';
		}
	}
	return mkdir(tmp, mode) < 0 && errno != EEXIST ? -1 : 0;
}

char *svr_read_file(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
	char *text = NULL;
	if (n < 0)
		errno = EINVAL; /* not a regular file */
	else if ((unsigned long)n > max)
		errno = EFBIG;
	else if ((text = malloc((size_t)n + 1))) {
		rewind(f);
		*len = fread(text, 1, (size_t)n, f);
		text[*len] = '\0';
	}
	fclose(f);
	return text;
}

int svr_read_token_line(const char *path, char *out, size_t size, char *err, size_t errlen)
{
	size_t n;
	char *tok = svr_read_file(path, 4096, &n);
	if (!tok) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	while (n && strchr(" \t\r\n", tok[n - 1]))
		tok[--n] = '\0';
	int rc = -1;
	if (n == 0 || strpbrk(tok, "\r\n"))
		snprintf(err, errlen, "not one line of text");
	else if (n >= size)
		snprintf(err, errlen, "longer than %zu bytes", size - 1);
	else
		rc = 0;
	if (rc == 0)
		memcpy(out, tok, n + 1);
	explicit_bzero(tok, n);
	free(tok);
	return rc;
}
