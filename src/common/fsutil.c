/* SPDX-License-Identifier: BSD-3-Clause */
#include "common/fsutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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
