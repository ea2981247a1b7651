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

/* A secret kept in a file as one line (a bearer token, an API key) into out: trailing blanks
 * and line ends removed. Empty, a CR or LF inside (it goes into an HTTP header: another line
 * would be another header), or longer than size - 1: -1 with err naming what (the caller adds
 * the file's name and its option). The copy read is wiped. */
int svr_read_token_line(const char *path, char *out, size_t size, char *err, size_t errlen);

#endif
