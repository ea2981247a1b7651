/* SPDX-License-Identifier: BSD-3-Clause */
/* The control socket server: the socket, its line framing, and the dispatch of each request
 * to the command registered under its name (command.h). */
#include "ctlsock/ctlsock.h"
#include "ctlsock/request.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "common/log.h"
#include "svr/ctlsock.h"

#define MAX_CLIENTS 16

struct client {
	int fd;
	size_t len;
	char buf[SVR_CTLSOCK_MAX_REQUEST];
};

static int listen_fd = -1;
static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static struct client *clients[MAX_CLIENTS];

int dp_ctlsock_open(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path)) {
		LOG_ERR("control socket path too long: %s", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	strcpy(sock_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	unlink(path); /* a stale socket from a crashed run */
	mode_t old = umask(0077);
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0 || listen(fd, 8) < 0) {
		LOG_ERR("cannot listen on %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	listen_fd = fd;
	LOG_INFO("control socket %s", path);
	return 0;
}

void dp_ctlsock_close(void)
{
	for (int i = 0; i < MAX_CLIENTS; i++) {
		if (clients[i]) {
			close(clients[i]->fd);
			free(clients[i]);
			clients[i] = NULL;
		}
	}
	if (listen_fd >= 0) {
		close(listen_fd);
		unlink(sock_path);
		listen_fd = -1;
	}
}

static json_t *dispatch(const char *line)
{
	struct dp_ctl_request r;
	char err[256];
	if (dp_ctl_request_parse(line, &r, err, sizeof(err)) < 0)
		return json_pack("{s:b, s:s}", "ok", 0, "error", err);
	const char *error = "failed";
	json_t *data = r.cmd->answer ? r.cmd->answer() : r.cmd->serve(&r, &error);
	/* an answer that could not be built (out of memory) still gets a reply */
	json_t *resp = data ? json_pack("{s:b, s:o}", "ok", 1, "data", data)
			    : json_pack("{s:b, s:s}", "ok", 0, "error", error);
	dp_ctl_request_free(&r);
	return resp;
}

/*
 * Answers fit the socket buffer (SNDBUF_BYTES), so send does not block. A client
 * that stops reading gets WRITE_WAIT_MS in all, then is dropped: the main lcore
 * also runs the slow path and must not wait on it.
 */
#define SNDBUF_BYTES  (4 << 20)
#define WRITE_WAIT_MS 20

static int write_all(int fd, const char *buf, size_t len)
{
	int waited = 0;
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd p = {.fd = fd, .events = POLLOUT};
			if (waited >= WRITE_WAIT_MS || poll(&p, 1, WRITE_WAIT_MS - waited) <= 0)
				return -1;
			waited += 5; /* coarse: each wake-up counts as a few ms */
			continue;
		}
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void client_drop(int i)
{
	close(clients[i]->fd);
	free(clients[i]);
	clients[i] = NULL;
}

static void client_read(int i)
{
	struct client *c = clients[i];
	ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len - 1, 0);
	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		client_drop(i);
		return;
	}
	c->len += (size_t)n;
	char *nl;
	while ((nl = memchr(c->buf, '\n', c->len))) {
		*nl = '\0';
		json_t *resp = dispatch(c->buf);
		char *text = json_dumps(resp, JSON_COMPACT);
		json_decref(resp);
		int rc = text ? write_all(c->fd, text, strlen(text)) : -1;
		if (rc == 0)
			rc = write_all(c->fd, "\n", 1);
		free(text);
		if (rc < 0) {
			client_drop(i);
			return;
		}
		size_t used = (size_t)(nl - c->buf) + 1;
		memmove(c->buf, nl + 1, c->len - used);
		c->len -= used;
	}
	if (c->len >= sizeof(c->buf) - 1) {
		LOG_WARN("control socket: request over %d bytes, closing", SVR_CTLSOCK_MAX_REQUEST);
		client_drop(i);
	}
}

void dp_ctlsock_poll(int timeout_ms)
{
	struct pollfd pfd[MAX_CLIENTS + 1];
	int idx[MAX_CLIENTS + 1];
	nfds_t n = 0;
	pfd[n] = (struct pollfd){.fd = listen_fd, .events = POLLIN};
	idx[n++] = -1;
	for (int i = 0; i < MAX_CLIENTS; i++) {
		if (clients[i]) {
			pfd[n] = (struct pollfd){.fd = clients[i]->fd, .events = POLLIN};
			idx[n++] = i;
		}
	}
	if (poll(pfd, n, timeout_ms) <= 0)
		return;
	for (nfds_t k = 1; k < n; k++)
		if (pfd[k].revents && clients[idx[k]])
			client_read(idx[k]);
	if (pfd[0].revents & POLLIN) {
		int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		int sz = SNDBUF_BYTES;
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		for (int i = 0; i < MAX_CLIENTS; i++) {
			if (!clients[i]) {
				clients[i] = calloc(1, sizeof(*clients[i]));
				if (!clients[i])
					break;
				clients[i]->fd = fd;
				return;
			}
		}
		close(fd); /* too many clients */
	}
}
