/* SPDX-License-Identifier: BSD-3-Clause */
#include "common/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* A new file next to path, "path.tmp-XXXXXXXX", opened for writing; its name into tmp. */
static int open_temp(const char *path, mode_t mode, char *tmp, size_t tmplen)
{
	for (int tries = 0; tries < 16; tries++) {
		uint32_t r;
		if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
			r = (uint32_t)getpid() * 2654435761u + (uint32_t)tries;
		if ((size_t)snprintf(tmp, tmplen, "%s.tmp-%08x", path, r) >= tmplen) {
			errno = ENAMETOOLONG;
			return -1;
		}
		int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	errno = EEXIST;
	return -1;
}

int svr_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, char *err,
			  size_t errlen)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	const char *step = "creating a temporary file";
	int fd = open_temp(path, mode, tmp, sizeof(tmp));
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s: %s", path, step, strerror(errno));
		return -1;
	}
	int e = 0;
	/* open's mode went through the umask; the file must have mode exactly. */
	if (fchmod(fd, mode) < 0) {
		e = errno;
		step = "chmod";
	}
	for (const char *p = data; !e && len > 0;) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			e = w < 0 ? errno : EIO;
			step = "writing";
			break;
		}
		p += w;
		len -= (size_t)w;
	}
	if (!e && fsync(fd) < 0) {
		e = errno;
		step = "fsync";
	}
	if (close(fd) < 0 && !e) {
		e = errno;
		step = "closing";
	}
	if (!e && rename(tmp, path) < 0) {
		e = errno;
		step = "renaming the temporary file over it";
	}
	if (e) {
		unlink(tmp);
		snprintf(err, errlen, "%s: %s: %s", path, step, strerror(e));
		return -1;
	}
	/* The rename is durable once the directory is. */
	snprintf(dir, sizeof(dir), "%s", path);
	int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || (fsync(dfd) < 0 && errno != EINVAL)) {
		/* EINVAL: a file system without fsync on directories; nothing more to do there. */
		e = errno;
		if (dfd >= 0)
			close(dfd);
		snprintf(err, errlen, "%s: written, but its directory cannot be synced: %s", path,
			 strerror(e));
		return -1;
	}
	close(dfd);
	return 0;
}
