/* SPDX-License-Identifier: BSD-3-Clause */
/* src/common/fsutil.c: svr_read_token_line, the one-line secrets that go into HTTP headers
 * (the conductor's ITSM webhook token, svr-control's --events-token-file); svr_write_file_atomic
 * (svrctl setup's setup.json). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/fsutil.h"

/* The token file holding text: its path, in a temporary file. */
static void write_token(char *path, const char *text)
{
	strcpy(path, "/tmp/svr-token-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static int read_token(const char *text, char *out, size_t size, char *err, size_t errlen)
{
	char path[64];
	write_token(path, text);
	int rc = svr_read_token_line(path, out, size, err, errlen);
	unlink(path);
	return rc;
}

static void one_line_read(void **state)
{
	(void)state;
	char tok[64], err[128];
	assert_int_equal(read_token("s3cret\n", tok, sizeof(tok), err, sizeof(err)), 0);
	assert_string_equal(tok, "s3cret");
	assert_int_equal(read_token("s3cret \r\n\n", tok, sizeof(tok), err, sizeof(err)), 0);
	assert_string_equal(tok, "s3cret");
}

/* A CR or LF inside would end the header and add another (header injection): refused. */
static void refuses_more_than_one_line(void **state)
{
	(void)state;
	char tok[64], err[128];
	const char *bad[] = {"abc\r\nX-Injected: 1\n", "abc\ndef\n", "abc\rdef", "", " \n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(read_token(bad[i], tok, sizeof(tok), err, sizeof(err)), -1);
		assert_string_equal(err, "not one line of text");
	}
	assert_int_equal(read_token("0123456789", tok, 8, err, sizeof(err)), -1);
	assert_string_equal(err, "longer than 7 bytes");
	assert_int_equal(svr_read_token_line("/nonexistent/t", tok, sizeof(tok), err, sizeof(err)),
			 -1);
	assert_string_equal(err, "No such file or directory");
}

/* Entries of dir other than . and .. (a temporary file left behind would be one). */
static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void read_back(const char *path, const char *want)
{
	size_t n;
	char *text = svr_read_file(path, 4096, &n);
	assert_non_null(text);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(text, want, n);
	free(text);
}

static void atomic_write_creates_and_replaces(void **state)
{
	(void)state;
	char dir[] = "/tmp/svr-fsutil-XXXXXX", path[64], err[256];
	struct stat st, st2;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f.json", dir);
	/* The mode asked for, whatever the umask. */
	mode_t old = umask(077);
	assert_int_equal(svr_write_file_atomic(path, "one\n", 4, 0644, err, sizeof(err)), 0);
	umask(old);
	read_back(path, "one\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	/* Replaced by a new file (a reader holding the old one keeps it whole), shorter text. */
	assert_int_equal(svr_write_file_atomic(path, "2", 1, 0600, err, sizeof(err)), 0);
	read_back(path, "2");
	assert_int_equal(stat(path, &st2), 0);
	assert_int_not_equal(st.st_ino, st2.st_ino);
	assert_int_equal(st2.st_mode & 07777, 0600);
	assert_int_equal(svr_write_file_atomic(path, "", 0, 0600, err, sizeof(err)), 0);
	read_back(path, "");
	assert_int_equal(entries(dir), 1); /* no temporary file left */
	unlink(path);
	rmdir(dir);
}

/* A symlink at path is replaced, never written through: its target keeps its text. */
static void atomic_write_replaces_a_symlink(void **state)
{
	(void)state;
	char dir[] = "/tmp/svr-fsutil-XXXXXX", path[64], target[64], err[256];
	struct stat st;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/link", dir);
	snprintf(target, sizeof(target), "%s/target", dir);
	assert_int_equal(svr_write_file_atomic(target, "keep", 4, 0644, err, sizeof(err)), 0);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(svr_write_file_atomic(path, "new", 3, 0644, err, sizeof(err)), 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	read_back(path, "new");
	read_back(target, "keep");
	assert_int_equal(entries(dir), 2);
	unlink(path);
	unlink(target);
	rmdir(dir);
}

static void atomic_write_errors_name_the_file(void **state)
{
	(void)state;
	char err[256];
	err[0] = '\0';
	assert_int_equal(
	    svr_write_file_atomic("/nonexistent-svr/dir/f", "x", 1, 0644, err, sizeof(err)), -1);
	assert_string_equal(err, "/nonexistent-svr/dir/f: creating a temporary file: No such file "
				 "or directory");
	/* A directory at path: the rename fails, the temporary file is removed. */
	char dir[] = "/tmp/svr-fsutil-XXXXXX", path[64];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sub", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(svr_write_file_atomic(path, "x", 1, 0644, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "renaming the temporary file over it"));
	assert_int_equal(entries(dir), 1);
	rmdir(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(one_line_read),
	    cmocka_unit_test(refuses_more_than_one_line),
	    cmocka_unit_test(atomic_write_creates_and_replaces),
	    cmocka_unit_test(atomic_write_replaces_a_symlink),
	    cmocka_unit_test(atomic_write_errors_name_the_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
