/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * GET /api/v1/{interfaces,ports,routes,neighbors,stats,policy}: one request on
 * the dataplane's control socket (include/svr/ctlsock.h) per API request; the
 * answer's "data" is returned as it is.
 */
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "rest_int.h"

/* A full FIB dump is a few MiB; more than this is a broken peer. */
#define DP_MAX_ANSWER (64u << 20)

/* Waits for events on fd until the deadline; 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, uint64_t deadline)
{
	for (;;) {
		uint64_t now = rest_now_ms();
		if (now >= deadline)
			return 0;
		struct pollfd p = {.fd = fd, .events = events};
		int n = poll(&p, 1, (int)(deadline - now));
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 ? -1 : n > 0 ? 1 : 0;
	}
}

static int dp_connect(const char *path, uint64_t deadline, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	/* A unix socket whose backlog is full says EAGAIN: retry until the deadline. */
	while (errno == EAGAIN && rest_now_ms() < deadline) {
		struct timespec ts = {.tv_nsec = 10 * 1000000};
		nanosleep(&ts, NULL);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
	}
	snprintf(err, errlen, "the dataplane control socket %s does not answer: %s", path,
		 errno == EAGAIN ? "busy" : strerror(errno));
	close(fd);
	return -1;
}

int rest_dp_call(const char *sock, const char *cmd, unsigned timeout_ms, json_t **data, char *err,
		 size_t errlen)
{
	uint64_t deadline = rest_now_ms() + timeout_ms;
	*data = NULL;
	int fd = dp_connect(sock, deadline, err, errlen);
	if (fd < 0)
		return -1;

	char req[128];
	int rn = snprintf(req, sizeof(req), "{\"cmd\":\"%s\"}\n", cmd);
	for (int off = 0; off < rn;) {
		ssize_t n = send(fd, req + off, (size_t)(rn - off), MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_fd(fd, POLLOUT, deadline) <= 0)
				goto timeout;
			continue;
		}
		if (n <= 0) {
			snprintf(err, errlen, "the dataplane control socket %s: send: %s", sock,
				 strerror(errno));
			close(fd);
			return -1;
		}
		off += (int)n;
	}

	size_t len = 0, cap = 65536;
	char *buf = malloc(cap);
	while (buf) {
		char *nl = len ? memchr(buf, '\n', len) : NULL;
		if (nl) {
			*nl = '\0';
			break;
		}
		if (len + 1 >= cap) {
			if (cap >= DP_MAX_ANSWER) {
				snprintf(err, errlen,
					 "the dataplane's answer to \"%s\" exceeds %u "
					 "bytes",
					 cmd, DP_MAX_ANSWER);
				free(buf);
				close(fd);
				return -2;
			}
			char *b = realloc(buf, cap * 2);
			if (!b)
				break;
			buf = b;
			cap *= 2;
		}
		ssize_t n = recv(fd, buf + len, cap - len - 1, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_fd(fd, POLLIN, deadline) <= 0) {
				free(buf);
				goto timeout;
			}
			continue;
		}
		if (n <= 0) {
			snprintf(err, errlen,
				 "the dataplane control socket %s closed the connection before "
				 "answering \"%s\"",
				 sock, cmd);
			free(buf);
			close(fd);
			return -1;
		}
		len += (size_t)n;
	}
	close(fd);
	if (!buf) {
		snprintf(err, errlen, "out of memory");
		return -2;
	}

	json_error_t jerr;
	json_t *resp = json_loads(buf, 0, &jerr);
	free(buf);
	if (!resp) {
		snprintf(err, errlen, "the dataplane's answer to \"%s\" is not JSON: %s", cmd,
			 jerr.text);
		return -2;
	}
	if (!json_is_true(json_object_get(resp, "ok"))) {
		const char *msg = json_string_value(json_object_get(resp, "error"));
		snprintf(err, errlen, "the dataplane answered \"%s\" with an error: %s", cmd,
			 msg ? msg : "(no message)");
		json_decref(resp);
		return -2;
	}
	json_t *d = json_object_get(resp, "data");
	if (!d) {
		snprintf(err, errlen, "the dataplane's answer to \"%s\" has no \"data\"", cmd);
		json_decref(resp);
		return -2;
	}
	*data = json_incref(d);
	json_decref(resp);
	return 0;

timeout:
	snprintf(err, errlen, "the dataplane control socket %s did not answer \"%s\" within %u ms",
		 sock, cmd, timeout_ms);
	close(fd);
	return -1;
}

void rest_dataplane_get(struct svr_rest *r, const struct rest_route *rt, const char *body,
			size_t len, struct rest_reply *out)
{
	(void)body;
	(void)len;
	json_t *data;
	char err[512];
	int rc = rest_dp_call(r->dp_sock, rt->arg, REST_DP_TIMEOUT, &data, err, sizeof(err));
	if (rc == -1)
		rest_error(out, MHD_HTTP_SERVICE_UNAVAILABLE, "%s", err);
	else if (rc < 0)
		rest_error(out, MHD_HTTP_BAD_GATEWAY, "%s", err);
	else
		rest_json(out, MHD_HTTP_OK, data);
}
