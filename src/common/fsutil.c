/* SPDX-License-Identifier: BSD-3-Clause */
#include "common/fsutil.h"

#include <errno.h>
#include <stdio.h>
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
