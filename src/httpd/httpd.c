/* SPDX-License-Identifier: BSD-3-Clause */
/* The threading-independent parts of svrouter's HTTP servers (httpd.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/hex.h"
#include "common/log.h"
#include "httpd/httpd.h"

uint64_t svr_httpd_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* ---------------------------------------------------------------- bearer -- */

static enum MHD_Result count_auth(void *cls, enum MHD_ValueKind kind, const char *key,
				  const char *value)
{
	(void)kind;
	(void)value;
	if (strcasecmp(key, MHD_HTTP_HEADER_AUTHORIZATION) == 0)
		(*(unsigned *)cls)++;
	return MHD_YES;
}

int svr_httpd_bearer(struct MHD_Connection *conn, const char **token, size_t *len)
{
	unsigned n_auth = 0;
	MHD_get_connection_values(conn, MHD_HEADER_KIND, count_auth, &n_auth);
	if (n_auth != 1)
		return -1;
	const char *h =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	if (!h)
		return -1;
	while (*h == ' ' || *h == '\t')
		h++;
	/* RFC 7235: the scheme is case-insensitive and followed by at least one space. */
	if (strncasecmp(h, "Bearer", 6) != 0 || (h[6] != ' ' && h[6] != '\t'))
		return -1;
	h += 6;
	while (*h == ' ' || *h == '\t')
		h++;
	size_t n = strlen(h);
	while (n > 0 && (h[n - 1] == ' ' || h[n - 1] == '\t'))
		n--;
	*token = h;
	*len = n;
	return 0;
}

/* ---------------------------------------------------------------- routes -- */

/* "/interfaces/{}/capture": one segment (copied to arg) between the parts around {}. A second
 * {} further on ("/routers/{}/commands/{}") takes one more, arg then holding "first/second"
 * (a segment holds no '/'). */
static bool pattern_matches(const char *pattern, const char *hole, const char *path, char *arg,
			    size_t arg_size)
{
	size_t n = (size_t)(hole - pattern);
	const char *rest = hole + 2, *next = strstr(rest, "{}");
	if (strncmp(path, pattern, n) != 0)
		return false;
	const char *seg = path + n, *end = strchr(seg, '/');
	if (!end)
		end = seg + strlen(seg);
	if (end == seg || (size_t)(end - seg) >= arg_size)
		return false;
	if (next) {
		size_t used = (size_t)(end - seg) + 1; /* the segment and its '/' */
		if (used >= arg_size ||
		    !pattern_matches(rest, next, end, arg + used, arg_size - used))
			return false;
		memcpy(arg, seg, used - 1);
		arg[used - 1] = '/';
		return true;
	}
	if (strcmp(end, rest) != 0)
		return false;
	snprintf(arg, arg_size, "%.*s", (int)(end - seg), seg);
	return true;
}

bool svr_httpd_path_matches(const char *pattern, const char *path, char *arg, size_t arg_size)
{
	if (arg_size)
		arg[0] = '\0';
	const char *hole = strstr(pattern, "{}");
	if (hole)
		return pattern_matches(pattern, hole, path, arg, arg_size);
	size_t n = strlen(pattern);
	if (n == 0 || pattern[n - 1] != '/')
		return strcmp(path, pattern) == 0;
	/* A prefix route ("/sessions/") takes exactly one more segment. */
	if (strncmp(path, pattern, n) != 0)
		return false;
	const char *seg = path + n;
	if (!*seg || strchr(seg, '/') || strlen(seg) >= arg_size)
		return false;
	snprintf(arg, arg_size, "%s", seg);
	return true;
}

/* ----------------------------------------------------------------- query -- */

const char *svr_httpd_query(struct MHD_Connection *conn, const char *key)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, key);
	if (v)
		return v;
	/* "?key" without '=' has a NULL value: present, but empty. */
	return MHD_lookup_connection_value_n(conn, MHD_GET_ARGUMENT_KIND, key, strlen(key), NULL,
					     NULL) == MHD_YES
		   ? ""
		   : NULL;
}

struct query_scan {
	const char *const *known;
	unsigned seen[16]; /* per known key */
	char *err;
	size_t errlen;
	bool bad, unknown;
};

static enum MHD_Result scan_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				const char *value)
{
	(void)kind;
	(void)value;
	struct query_scan *s = cls;
	size_t k = 0;
	if (s->bad || !*key)
		return MHD_YES; /* "?a=1&" has an empty last argument: harmless */
	while (s->known[k] && strcmp(s->known[k], key) != 0)
		k++;
	s->unknown = !s->known[k];
	if (s->unknown)
		snprintf(s->err, s->errlen, "unknown query parameter \"%.64s\"", key);
	else if (++s->seen[k] > 1)
		snprintf(s->err, s->errlen, "query parameter \"%s\" given more than once", key);
	s->bad = s->unknown || s->seen[k] > 1;
	return MHD_YES;
}

int svr_httpd_query_check(struct MHD_Connection *conn, const char *const *known, char *err,
			  size_t errlen)
{
	struct query_scan s = {.known = known, .err = err, .errlen = errlen};
	size_t n = 0;
	while (known[n])
		n++;
	if (n > sizeof(s.seen) / sizeof(s.seen[0])) {
		snprintf(err, errlen, "too many query parameters to check");
		return -1;
	}
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, scan_arg, &s);
	if (s.unknown) {
		/* Name the valid ones: a typo is the likely cause. */
		size_t len = strlen(err);
		for (size_t k = 0; k < n && len < errlen; k++) {
			snprintf(err + len, errlen - len, "%s%s", k ? ", " : " (known: ", known[k]);
			len = strlen(err);
		}
		if (len < errlen)
			snprintf(err + len, errlen - len, "%s",
				 n ? ")" : " (this request takes none)");
	}
	return s.bad ? -1 : 0;
}

/* ----------------------------------------------------------------- bodies -- */

int svr_httpd_body_start(struct svr_httpd_body *b, struct MHD_Connection *conn, uint64_t max,
			 uint64_t *announced)
{
	const char *cl =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (!cl)
		return 0;
	char *end;
	errno = 0;
	unsigned long long n = strtoull(cl, &end, 10);
	if (errno != 0 || end == cl)
		return 0;
	if (n > max) {
		*announced = n;
		return 1;
	}
	if (n > 0 && !b->data) {
		/* Announced and within the limit: one allocation. */
		b->data = malloc((size_t)n);
		b->cap = b->data ? (size_t)n : 0;
	}
	return 0;
}

int svr_httpd_body_append(struct svr_httpd_body *b, const char *data, size_t n, uint64_t max)
{
	b->seen += n;
	if (b->over)
		return 0;
	if (b->seen > max) {
		/* Keep reading (answering mid-body is not possible), but keep nothing. */
		b->over = true;
		svr_httpd_body_free(b);
		return 0;
	}
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 65536;
		while (cap < b->len + n)
			cap *= 2;
		if (cap > max)
			cap = (size_t)max;
		char *d = realloc(b->data, cap);
		if (!d)
			return -1;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, n);
	b->len += n;
	return 0;
}

void svr_httpd_body_free(struct svr_httpd_body *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

/* ---------------------------------------------------------------- answers -- */

void svr_httpd_verror(struct svr_httpd_answer *a, unsigned status, const char *fmt, va_list ap)
{
	char msg[512], safe[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	json_decref(a->json);
	a->status = status;
	/* Messages quote what the client sent (a path, a name): JSON strings must be UTF-8. */
	a->json = json_pack("{s:s}", "error", svr_log_safe(safe, sizeof(safe), msg));
}

void svr_httpd_error(struct svr_httpd_answer *a, unsigned status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	svr_httpd_verror(a, status, fmt, ap);
	va_end(ap);
}

enum MHD_Result svr_httpd_queue(struct MHD_Connection *conn, struct svr_httpd_answer *a)
{
	char *text = a->text;
	size_t len = a->text_len;
	enum MHD_ResponseMemoryMode mode =
	    a->text_static ? MHD_RESPMEM_PERSISTENT : MHD_RESPMEM_MUST_FREE;
	if (!text) {
		char *dump = a->json ? json_dumps(a->json, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
		if (!dump && (a->json || a->status != MHD_HTTP_NO_CONTENT)) {
			a->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
			dump = strdup("{\"error\":\"out of memory\"}");
		}
		len = dump ? strlen(dump) : 0;
		/* A final newline keeps shells tidy when the answer is printed as it is. */
		text = dump ? realloc(dump, len + 2) : NULL;
		if (dump && !text) {
			free(dump);
			json_decref(a->json);
			a->json = NULL;
			return MHD_NO;
		}
		if (text) {
			text[len++] = '\n';
			text[len] = '\0';
		}
		mode = MHD_RESPMEM_MUST_FREE;
	}
	a->text = NULL;
	json_decref(a->json);
	a->json = NULL;

	struct MHD_Response *resp = MHD_create_response_from_buffer(len, text, mode);
	if (!resp) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(text);
		return MHD_NO;
	}
	if (len)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
					a->content_type ? a->content_type : "application/json");
	bool cache_given = false, nosniff_given = false;
	for (const char *const *h = a->headers; h && h[0] && h[1]; h += 2) {
		MHD_add_response_header(resp, h[0], h[1]);
		cache_given |= strcasecmp(h[0], MHD_HTTP_HEADER_CACHE_CONTROL) == 0;
		nosniff_given |= strcasecmp(h[0], "X-Content-Type-Options") == 0;
	}
	if (!cache_given)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	/* Whatever the answer, a browser takes it as the type it says (never sniffs a page). */
	if (!nosniff_given)
		MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (a->status == MHD_HTTP_UNAUTHORIZED) {
		char h[128];
		snprintf(h, sizeof(h), "Bearer realm=\"%s\"", a->realm ? a->realm : "svrouter");
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, h);
	}
	if (a->allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, a->allow);
	enum MHD_Result rc = MHD_queue_response(conn, a->status, resp);
	MHD_destroy_response(resp);
	return rc;
}

/* ----------------------------------------------------------------- server -- */

void svr_httpd_mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	LOG_WARN("http: %s", msg);
}

const char *svr_httpd_ended(enum MHD_RequestTerminationCode toe)
{
	switch (toe) {
	case MHD_REQUEST_TERMINATED_COMPLETED_OK:
		return "completed";
	case MHD_REQUEST_TERMINATED_TIMEOUT_REACHED:
		return "timeout";
	case MHD_REQUEST_TERMINATED_CLIENT_ABORT:
		return "client closed";
	case MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN:
		return "shutdown";
	default:
		return "error";
	}
}

int svr_httpd_parse_listen(const char *text, const char *option, struct sockaddr_storage *ss,
			   char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *port;
	memset(ss, 0, sizeof(*ss));
	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (!close || close[1] != ':' || (size_t)(close - text - 1) >= sizeof(host))
			goto bad;
		memcpy(host, text + 1, (size_t)(close - text - 1));
		host[close - text - 1] = '\0';
		port = close + 2;
	} else {
		const char *colon = strrchr(text, ':');
		if (!colon || strchr(text, ':') != colon || (size_t)(colon - text) >= sizeof(host))
			goto bad;
		memcpy(host, text, (size_t)(colon - text));
		host[colon - text] = '\0';
		port = colon + 1;
	}
	char *end;
	errno = 0;
	unsigned long p = strtoul(port, &end, 10);
	if (errno || end == port || *end || *port == '-' || *port == '+' || p == 0 || p > 65535)
		goto bad;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (text[0] != '[' && inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)p);
		return 0;
	}
	if (text[0] == '[' && inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)p);
		return 0;
	}
bad:
	snprintf(err, errlen,
		 "%s \"%s\": expected IPV4:PORT or [IPV6]:PORT with a numeric address "
		 "and a port from 1 to 65535 (e.g. 127.0.0.1:8740, [::1]:8740)",
		 option, text);
	return -1;
}

int svr_httpd_listen(const struct sockaddr_storage *ss, const char *text, int backlog,
		     const char *what, const char *in_use_hint, char *err, size_t errlen)
{
	bool v6 = ss->ss_family == AF_INET6;
	socklen_t len = v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	int one = 1;
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (v6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) ||
	    bind(fd, (const struct sockaddr *)ss, len) < 0 || listen(fd, backlog) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		unsigned port = ntohs(v6 ? ((const struct sockaddr_in6 *)ss)->sin6_port
					 : ((const struct sockaddr_in *)ss)->sin_port);
		if (e == EADDRINUSE)
			snprintf(err, errlen,
				 "cannot serve %s on %s: port %u is already in use (%s)", what,
				 text, port, in_use_hint);
		else
			snprintf(err, errlen, "cannot serve %s on %s (port %u): %s", what, text,
				 port, strerror(e));
		return -1;
	}
	return fd;
}
