/* SPDX-License-Identifier: BSD-3-Clause */
/* src/common/sdnotify.c: the readiness datagrams systemd's Type=notify reads, sent to a real
 * socket bound here (a path, and an abstract name), and nothing at all without NOTIFY_SOCKET. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/sdnotify.h"

/* A datagram socket bound to name (a path, or "@name": abstract), as systemd's own. */
static int bind_socket(const char *name)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t len = strlen(name);
	assert_true(len < sizeof(sa.sun_path));
	memcpy(sa.sun_path, name, len);
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	assert_int_equal(bind(fd, (struct sockaddr *)&sa,
			      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)),
			 0);
	return fd;
}

/* The next datagram within a second, as a string; "" when none came. */
static void receive(int fd, char *buf, size_t size, int flags)
{
	ssize_t n = -1;
	for (int i = 0; i < 1000 && n < 0; i++) {
		n = recv(fd, buf, size - 1, MSG_DONTWAIT | flags);
		if (n < 0 && errno == EAGAIN && !(flags & MSG_PEEK))
			usleep(1000);
		else if (n < 0 && errno == EAGAIN)
			break;
	}
	buf[n < 0 ? 0 : n] = '\0';
}

static void sends_to_a_path(void **state)
{
	(void)state;
	char dir[] = "/tmp/svr-sdnotify-XXXXXX", path[128], buf[256];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/notify", dir);
	int fd = bind_socket(path);
	setenv("NOTIFY_SOCKET", path, 1);
	assert_int_equal(svr_sd_notify("READY=1"), 1);
	receive(fd, buf, sizeof(buf), 0);
	assert_string_equal(buf, "READY=1");
	assert_int_equal(svr_sd_notifyf("STATUS=forwarding: %u ports, image %llu", 2u, 7ull), 1);
	receive(fd, buf, sizeof(buf), 0);
	assert_string_equal(buf, "STATUS=forwarding: 2 ports, image 7");
	/* several assignments in one datagram, newline-separated, as sd_notify(3) allows */
	assert_int_equal(svr_sd_notify("STOPPING=1\nSTATUS=stopping"), 1);
	receive(fd, buf, sizeof(buf), 0);
	assert_string_equal(buf, "STOPPING=1\nSTATUS=stopping");
	/* text from outside (a model key, say) cannot add an assignment after STATUS= */
	assert_int_equal(svr_sd_notifyf("READY=1\nSTATUS=rejected: %s", "x\nSTOPPING=1\r\t"), 1);
	receive(fd, buf, sizeof(buf), 0);
	assert_string_equal(buf, "READY=1\nSTATUS=rejected: x STOPPING=1  ");
	unsetenv("NOTIFY_SOCKET");
	close(fd);
	unlink(path);
	rmdir(dir);
}

static void sends_to_an_abstract_name(void **state)
{
	(void)state;
	char name[64], buf[256];
	snprintf(name, sizeof(name), "@svr-sdnotify-test-%ld", (long)getpid());
	int fd = bind_socket(name);
	setenv("NOTIFY_SOCKET", name, 1);
	assert_int_equal(svr_sd_notify("READY=1"), 1);
	receive(fd, buf, sizeof(buf), 0);
	assert_string_equal(buf, "READY=1");
	unsetenv("NOTIFY_SOCKET");
	close(fd);
}

/* Outside systemd: 0 and nothing sent (the socket bound here stays empty). */
static void nothing_without_notify_socket(void **state)
{
	(void)state;
	char name[64], buf[64];
	snprintf(name, sizeof(name), "@svr-sdnotify-unset-%ld", (long)getpid());
	int fd = bind_socket(name);
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(svr_sd_notify("READY=1"), 0);
	setenv("NOTIFY_SOCKET", "", 1);
	assert_int_equal(svr_sd_notifyf("STATUS=%d", 1), 0);
	unsetenv("NOTIFY_SOCKET");
	receive(fd, buf, sizeof(buf), MSG_PEEK);
	assert_string_equal(buf, "");
	close(fd);
}

/* Nobody listening, or an address systemd never gives: -1 with errno, no signal, no block. */
static void failures_are_reported(void **state)
{
	(void)state;
	setenv("NOTIFY_SOCKET", "/tmp/svr-sdnotify-nobody/notify", 1);
	errno = 0;
	assert_int_equal(svr_sd_notify("READY=1"), -1);
	assert_int_not_equal(errno, 0);
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	assert_int_equal(svr_sd_notify("READY=1"), -1);
	assert_int_equal(errno, EAFNOSUPPORT);
	char longpath[200];
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	setenv("NOTIFY_SOCKET", longpath, 1);
	assert_int_equal(svr_sd_notify("READY=1"), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	unsetenv("NOTIFY_SOCKET");
}

/* The socket is never left open (no descriptor leaks into children or accumulates). */
static void leaves_no_descriptor(void **state)
{
	(void)state;
	char name[64], buf[64];
	snprintf(name, sizeof(name), "@svr-sdnotify-fd-%ld", (long)getpid());
	int fd = bind_socket(name);
	setenv("NOTIFY_SOCKET", name, 1);
	int probe = open("/dev/null", O_RDONLY); /* not dup(0): stdin may be closed */
	assert_true(probe >= 0);
	close(probe);
	assert_int_equal(svr_sd_notify("WATCHDOG=1"), 1);
	int next = open("/dev/null", O_RDONLY);
	assert_int_equal(next, probe); /* the lowest free number is still free */
	close(next);
	receive(fd, buf, sizeof(buf), 0);
	assert_string_equal(buf, "WATCHDOG=1");
	unsetenv("NOTIFY_SOCKET");
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(sends_to_a_path),
	    cmocka_unit_test(sends_to_an_abstract_name),
	    cmocka_unit_test(nothing_without_notify_socket),
	    cmocka_unit_test(failures_are_reported),
	    cmocka_unit_test(leaves_no_descriptor),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
