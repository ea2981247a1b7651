/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SVR_FSUTIL_H
#define SVR_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

/* mkdir -p: parents 0755, the last directory with mode; 0, or -1 with errno. */
int svr_mkdir_p(const char *path, mode_t mode);

/* The whole file as malloc'd text with a NUL after its *len bytes; NULL with errno set when it
 * cannot be read, or EFBIG when it is larger than max bytes. */
char *svr_read_file(const char *path, size_t max, size_t *len);

#endif
