/* SPDX-License-Identifier: BSD-3-Clause */
#include "common/sdnotify.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/*
 * STATUS= is always the last assignment we send, and its text may come from outside (a model's
 * JSON path in an error, a conductor's URL): a newline there would start an assignment of the
 * sender's choosing ("STOPPING=1", "MAINPID=…"). So everything after "STATUS=" is made one line.
 */
static void one_line_status(char *msg)
{
	char *status = strstr(msg, "STATUS=");
	if (!status)
		return;
	for (char *c = status; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
}

int svr_sd_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	if (!path || !*path)
		return 0;
	/* systemd passes a path or "@name" (abstract namespace); anything else it never sends. */
	if (path[0] != '/' && path[0] != '@') {
		errno = EAFNOSUPPORT;
		return -1;
	}
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t len = strlen(path);
	if (len >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, path, len);
	if (path[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract: the address is exactly len bytes, no NUL */
	socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);

	/* Close-on-exec: a child (svr-control's DHCP client) must not inherit it; non-blocking:
	 * a daemon never waits for its service manager. */
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	char msg[1024];
	snprintf(msg, sizeof(msg), "%s", state);
	one_line_status(msg);
	size_t n = strlen(msg);
	ssize_t sent = sendto(fd, msg, n, MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
	int saved = errno;
	close(fd);
	if (sent < 0) {
		errno = saved;
		return -1;
	}
	if ((size_t)sent != n) {
		errno = EMSGSIZE;
		return -1;
	}
	return 1;
}

int svr_sd_notifyf(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return svr_sd_notify(buf);
}
