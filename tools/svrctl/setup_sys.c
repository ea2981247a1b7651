/* SPDX-License-Identifier: BSD-3-Clause */
/* svrctl setup: the kernel's files (sysfs, procfs, /dev), modprobe, the svrouter-dev group. */
#include "setup.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

void setup_err(const char *fmt, ...)
{
	va_list ap;
	fflush(stdout); /* notes and errors in the order they happened */
	fputs("svrctl setup: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void setup_say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* Whether every directory of path (absolute, no "." or ".." component) is a real directory (no
 * symlink) owned by root that no one else can change: not writable by group or others, except
 * with the sticky bit (/tmp) above the last two. Else why into err. */
static bool root_only_dir(const char *path, char *err, size_t errlen)
{
	char prefix[PATH_MAX];
	size_t len = strlen(path);
	if (path[0] != '/' || len >= sizeof(prefix)) {
		snprintf(err, errlen, "not an absolute path");
		return false;
	}
	while (len > 1 && path[len - 1] == '/')
		len--;
	/* Each prefix ending at a component's end, "/" first; the last two strictly. */
	size_t ends[PATH_MAX / 2], n = 0;
	ends[n++] = 1;
	for (size_t i = 1; i <= len; i++)
		if (i == len || path[i] == '/') {
			size_t start = i;
			while (start > 0 && path[start - 1] != '/')
				start--;
			size_t clen = i - start;
			if (clen == 0)
				continue;
			if ((clen == 1 && path[start] == '.') ||
			    (clen == 2 && path[start] == '.' && path[start + 1] == '.')) {
				snprintf(err, errlen, "a \".\" or \"..\" component");
				return false;
			}
			ends[n++] = i;
		}
	for (size_t k = 0; k < n; k++) {
		struct stat st;
		memcpy(prefix, path, ends[k]);
		prefix[ends[k]] = '\0';
		bool strict = k + 2 >= n;
		if (lstat(prefix, &st) < 0) {
			snprintf(err, errlen, "%s: %s", prefix, strerror(errno));
			return false;
		}
		if (!S_ISDIR(st.st_mode) || st.st_uid != 0 ||
		    ((st.st_mode & 022) && (strict || !(st.st_mode & S_ISVTX)))) {
			snprintf(err, errlen, "%s is %s", prefix,
				 S_ISLNK(st.st_mode)    ? "a symlink"
				 : !S_ISDIR(st.st_mode) ? "not a directory"
				 : st.st_uid != 0       ? "not owned by root"
							: "writable by others");
			return false;
		}
	}
	return true;
}

const char *sys_root(void)
{
	/* The test hook (setup.h): only ever the environment, never an option an operator
	 * could pass by mistake. The binary runs as root, and sudo may keep the environment
	 * (env_keep, -E): a tree someone else can change would let them choose what root
	 * writes, chowns and runs (ROOT/sbin/modprobe). So the tree must be root's alone;
	 * otherwise nothing runs. Checked once: every path is built through here. */
	static const char *root;
	if (root)
		return root;
	const char *r = getenv("SVR_SETUP_SYSROOT");
	char why[PATH_MAX + 64];
	if (r && *r && !root_only_dir(r, why, sizeof(why))) {
		setup_err("SVR_SETUP_SYSROOT is a test hook: %s must be a root-owned directory not "
			  "writable by others (%s); unset it",
			  r, why);
		exit(SETUP_FAILED);
	}
	root = r ? r : "";
	return root;
}

void sys_path(char *buf, const char *fmt, ...)
{
	char rel[PATH_MAX];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(rel) ||
	    (size_t)snprintf(buf, PATH_MAX, "%s%s", sys_root(), rel) >= PATH_MAX) {
		setup_err("path too long: %s%s", sys_root(), rel);
		exit(SETUP_FAILED);
	}
}

int sys_read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -errno;
	bool ok = fgets(buf, (int)len, f) != NULL;
	int e = ok ? 0 : (ferror(f) ? EIO : ENODATA);
	fclose(f);
	if (!ok)
		return -e;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int sys_write(const char *path, const char *text)
{
	/* No O_CREAT: every file written is one the kernel (or a fabricated tree) provides; a
	 * missing one is an error, not a new file. O_NOFOLLOW: the kernel's attribute files are
	 * no symlinks; one there is not the kernel's. O_TRUNC as a shell's > does: sysfs ignores
	 * it, a fabricated tree's regular file then holds the last write alone. */
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	size_t n = strlen(text);
	ssize_t w = write(fd, text, n);
	int e = w < 0 ? errno : (size_t)w != n ? EIO : 0;
	if (close(fd) < 0 && !e)
		e = errno;
	return -e;
}

int sys_link_name(const char *path, char *buf, size_t len)
{
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	const char *slash = strrchr(target, '/');
	snprintf(buf, len, "%s", slash ? slash + 1 : target);
	return 0;
}

bool sys_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

int sys_modprobe(const char *module, char *err, size_t errlen)
{
	char prog[PATH_MAX];
	sys_path(prog, "/sbin/modprobe");
	if (access(prog, X_OK) < 0) {
		snprintf(err, errlen, "cannot run %s: %s (Debian: apt install kmod)", prog,
			 strerror(errno));
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		/* No shell: the module name goes to modprobe as one argument, as it is. */
		execl(prog, "modprobe", "--", module, (char *)NULL);
		fprintf(stderr, "svrctl setup: cannot run %s: %s\n", prog, strerror(errno));
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			snprintf(err, errlen, "waitpid: %s", strerror(errno));
			return -1;
		}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (WIFEXITED(st))
		snprintf(err, errlen, "%s %s exited with status %d (its message is above)", prog,
			 module, WEXITSTATUS(st));
	else
		snprintf(err, errlen, "%s %s was killed by signal %d", prog, module, WTERMSIG(st));
	return -1;
}

bool setup_dev_gid(gid_t *gid)
{
	if (!sys_root()[0]) {
		struct group *g = getgrnam(SETUP_DEV_GROUP);
		if (g)
			*gid = g->gr_gid;
		return g != NULL;
	}
	/* The test hook: the fabricated tree's own group file, not the machine's. */
	char path[PATH_MAX];
	bool found = false;
	sys_path(path, "/etc/group");
	FILE *f = fopen(path, "r");
	struct group *g;
	while (f && !found && (g = fgetgrent(f)))
		if (strcmp(g->gr_name, SETUP_DEV_GROUP) == 0) {
			*gid = g->gr_gid;
			found = true;
		}
	if (f)
		fclose(f);
	return found;
}
