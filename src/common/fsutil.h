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

/*
 * Replaces path with len bytes of data, atomically: a reader sees the old file or the new one,
 * never a part. The bytes go to a new temporary file in path's directory (created with
 * O_EXCL|O_NOFOLLOW, so a planted file or symlink there is never written through), given mode
 * (whatever the umask), written in full, fsync'ed, renamed over path, and the directory is
 * fsync'ed so that the rename survives a crash. The directory must exist. 0, or -1 with err
 * naming the file and the step: before the rename the temporary file is removed and path is
 * untouched; a directory that cannot be synced after it gives -1 with path already replaced.
 */
int svr_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, char *err,
			  size_t errlen);

/* A secret kept in a file as one line (a bearer token, an API key) into out: trailing blanks
 * and line ends removed. Empty, a CR or LF inside (it goes into an HTTP header: another line
 * would be another header), or longer than size - 1: -1 with err naming what (the caller adds
 * the file's name and its option). The copy read is wiped. */
int svr_read_token_line(const char *path, char *out, size_t size, char *err, size_t errlen);

#endif
