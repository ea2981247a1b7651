/* SPDX-License-Identifier: BSD-3-Clause */
/* Bearer tokens: one file, created once, reused across restarts; compared in constant time. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/hex.h"
#include "common/log.h"
#include "httpd/httpd.h"

#define TOKEN_RANDOM_BYTES 32
#define TOKEN_MIN_LEN      16

static int token_read(const char *path, char *token, size_t size, size_t *len, char *err,
		      size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) == 0 && (st.st_mode & 077))
		LOG_WARN("token file %s is readable by others (mode %03o): chmod 600 it", path,
			 (unsigned)(st.st_mode & 0777));
	char buf[SVR_HTTPD_TOKEN_MAX + 2];
	ssize_t n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "cannot read token file %s: %s", path, strerror(errno));
		return -EIO;
	}
	/* A trailing newline (echo > file) is not part of the token. */
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' ||
			 buf[n - 1] == '\t'))
		n--;
	if ((size_t)n > SVR_HTTPD_TOKEN_MAX || (size_t)n >= size) {
		snprintf(err, errlen, "token file %s: the token is longer than %d characters", path,
			 SVR_HTTPD_TOKEN_MAX);
		return -EINVAL;
	}
	if (n < TOKEN_MIN_LEN) {
		snprintf(err, errlen, "token file %s: the token is shorter than %d characters",
			 path, TOKEN_MIN_LEN);
		return -EINVAL;
	}
	for (ssize_t i = 0; i < n; i++) {
		/* It travels in an HTTP header: visible ASCII only. */
		if (buf[i] < 0x21 || buf[i] > 0x7e) {
			snprintf(err, errlen,
				 "token file %s: the token may contain only visible ASCII "
				 "characters (no spaces)",
				 path);
			return -EINVAL;
		}
	}
	memcpy(token, buf, (size_t)n);
	token[n] = '\0';
	*len = (size_t)n;
	return 0;
}

/* Writes a fresh token beside path, then link()s it into place: creating it is atomic and
 * never overwrites a token another svr-control just wrote. Returns 0, -EEXIST or -errno. */
static int token_create(const char *path, char *err, size_t errlen)
{
	unsigned char rnd[TOKEN_RANDOM_BYTES];
	size_t got = 0;
	while (got < sizeof(rnd)) {
		ssize_t n = getrandom(rnd + got, sizeof(rnd) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "getrandom: %s", strerror(errno));
			return -errno;
		}
		got += (size_t)n;
	}
	char hex[2 * TOKEN_RANDOM_BYTES + 2];
	svr_hex_encode(rnd, sizeof(rnd), hex);
	hex[2 * TOKEN_RANDOM_BYTES] = '\n';
	hex[2 * TOKEN_RANDOM_BYTES + 1] = '\0';
	memset(rnd, 0, sizeof(rnd));

	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot create token file %s: %s", path, strerror(e));
		return -e;
	}
	size_t want = strlen(hex);
	int rc = 0;
	if (fchmod(fd, 0600) < 0 || write(fd, hex, want) != (ssize_t)want || fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && link(tmp, path) < 0)
		rc = -errno;
	unlink(tmp);
	memset(hex, 0, sizeof(hex));
	if (rc < 0 && rc != -EEXIST)
		snprintf(err, errlen, "cannot create token file %s: %s", path, strerror(-rc));
	return rc;
}

int svr_httpd_token_load(const char *path, char *token, size_t size, size_t *len, char *err,
			 size_t errlen)
{
	if (strlen(path) > 4000) {
		snprintf(err, errlen, "token file path too long");
		return -1;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		int rc = token_read(path, token, size, len, err, errlen);
		if (rc == 0)
			return 0;
		if (rc != -ENOENT) {
			if (rc != -EINVAL && rc != -EIO)
				snprintf(err, errlen, "cannot open token file %s: %s", path,
					 strerror(-rc));
			return -1;
		}
		rc = token_create(path, err, errlen);
		if (rc == 0)
			LOG_NOTICE("created API token file %s (mode 0600)", path);
		else if (rc != -EEXIST)
			return -1;
		/* Created (by us or a concurrent start): read it back. */
	}
	snprintf(err, errlen, "token file %s vanished while being created", path);
	return -1;
}

bool svr_httpd_token_equal(const char *expected, size_t expected_len, const char *given,
			   size_t given_len)
{
	/* CRYPTO_memcmp's time does not depend on the bytes. A given token of another length is
	 * refused after comparing the expected one with itself: the same work either way. */
	bool same_len = given_len == expected_len;
	return (CRYPTO_memcmp(expected, same_len ? given : expected, expected_len) == 0) & same_len;
}
