/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IPFIX exporter (ipfix.h). Threads: dp_ipfix_follow and dp_ipfix_json run on the main
 * lcore; everything else on the exporter's own thread. They share the pending configuration
 * (under conf_lock, handed over whole) and the collectors' state (under state_lock, taken by
 * the exporter only while it replaces them, and by dp_ipfix_json to read them).
 */
#include "telemetry/ipfix.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/image.h"
#include "common/ipfix.h"
#include "common/log.h"
#include "core/dp.h"
#include "flow/names.h"
#include "flow/state.h"
#include "session/records.h"
#include "svrpath/path.h"

#define MSG_MAX        1400 /* one UDP datagram, unfragmented on any path we know */
#define BATCH          32   /* messages built before they are sent */
#define TAKE           16   /* records taken from a ring at a time */
#define MAX_COLLECTORS 4
#define TCP_BACKLOG    (1u << 20) /* bytes a TCP collector may have waiting */
#define RETRY_MIN_MS   1000
#define RETRY_MAX_MS   30000
#define IDLE_MAX_US    20000 /* the longest a record waits for an idle exporter to wake */

/* What the main lcore hands over from a generation. */
struct ipfix_conf {
	uint64_t generation;
	unsigned n;
	struct collector_conf {
		struct svr_ip addr;
		uint16_t port;
		bool tcp;
	} col[MAX_COLLECTORS];
	uint32_t pen, interim_s, refresh_s, domain;
	char router[64];
	char vector[DP_MAX_SVR_PATHS][33]; /* by peer-path slot */
};

struct collector {
	struct collector_conf conf;
	char text[64]; /* "198.18.0.9:4739/udp" */
	struct sockaddr_storage sa;
	socklen_t salen;
	int fd;
	_Atomic bool up;         /* UDP: the socket is made; TCP: connected */
	_Atomic bool connecting; /* TCP: connect() under way */
	uint64_t retry_at_ms;
	unsigned backoff_ms;
	uint64_t templates_due_ms; /* UDP: the next template refresh */
	uint32_t seq;              /* data records sent in this transport session */
	uint8_t *pend;             /* TCP: bytes not yet written */
	size_t pend_len, pend_off;
	uint64_t pend_records; /* TCP: records queued since the backlog was last empty */
	_Atomic uint64_t messages, records, dropped, templates, errors, connects;
};

static pthread_t thread;
static bool running;
static _Atomic bool stop;
static pthread_mutex_t conf_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ipfix_conf *pending; /* under conf_lock */
static _Atomic bool conf_changed;
static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ipfix_conf *cur; /* the exporter's; under state_lock when replaced */
static struct collector cols[MAX_COLLECTORS];
static unsigned n_cols;
static _Atomic uint64_t idle_epoch, records_taken, messages_built, records_oversize;
static uint64_t followed_generation;

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------ main lcore -- */

static struct ipfix_conf *conf_of(const struct dp_gen *g)
{
	struct ipfix_conf *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	const struct svr_img_header *h = svr_img_hdr(g->image);
	uint32_t n;
	const struct svr_img_collector *col = svr_img_table(g->image, SVR_SEC_COLLECTORS, &n);
	c->generation = g->generation;
	for (uint32_t i = 0; i < n && c->n < MAX_COLLECTORS; i++) {
		struct collector_conf *cc = &c->col[c->n++];
		struct svr_prefix p;
		svr_img_prefix_to(&col[i].address, &p);
		cc->addr = p.ip;
		cc->port = col[i].port;
		cc->tcp = col[i].transport == SVR_IMG_COLLECTOR_TCP;
	}
	c->pen = h->ipfix.enterprise;
	c->interim_s = h->ipfix.interim_s;
	c->refresh_s = h->ipfix.template_refresh_s ? h->ipfix.template_refresh_s : 1;
	c->domain = h->ipfix.domain;
	snprintf(c->router, sizeof(c->router), "%s", svr_img_str(g->image, h->router_name));
	for (unsigned slot = 0; slot < dp_svr_path_count() && slot < DP_MAX_SVR_PATHS; slot++) {
		const struct dp_svr_path_policy *pp = dp_svr_path_policy(g, (uint16_t)slot);
		if (pp->in_model && pp->vector)
			snprintf(c->vector[slot], sizeof(c->vector[slot]), "%s", pp->vector);
	}
	return c;
}

static const char *transport_name(bool tcp)
{
	return tcp ? "tcp" : "udp";
}

static void collector_text(const struct collector_conf *cc, char *out, size_t len)
{
	char a[48];
	svr_ip_fmt(&cc->addr, a, sizeof(a));
	snprintf(out, len, cc->addr.family == SVR_AF_INET6 ? "[%s]:%u/%s" : "%s:%u/%s", a, cc->port,
		 transport_name(cc->tcp));
}

static void log_conf(const struct ipfix_conf *c)
{
	if (c->n == 0) {
		LOG_NOTICE("IPFIX export off (the policy names no collector)");
		return;
	}
	char list[MAX_COLLECTORS * 64] = "";
	size_t used = 0;
	for (unsigned i = 0; i < c->n; i++) {
		char t[64];
		collector_text(&c->col[i], t, sizeof(t));
		int w = snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", t);
		if (w > 0 && used + (size_t)w < sizeof(list))
			used += (size_t)w;
	}
	LOG_NOTICE("IPFIX export to %s: domain %u, enterprise %u, interim every %u s, templates "
		   "every %u s over UDP",
		   list, c->domain, c->pen, c->interim_s, c->refresh_s);
}

void dp_ipfix_follow(const struct dp_gen *g)
{
	if (!running || !g || !g->image || g->generation == followed_generation)
		return;
	struct ipfix_conf *c = conf_of(g);
	if (!c) {
		LOG_ERR("IPFIX: out of memory taking generation %llu's settings",
			(unsigned long long)g->generation);
		return;
	}
	followed_generation = g->generation;
	log_conf(c);
	pthread_mutex_lock(&conf_lock);
	free(pending);
	pending = c;
	pthread_mutex_unlock(&conf_lock);
	atomic_store_explicit(&conf_changed, true, memory_order_release);
}

/* ---------------------------------------------------------- the exporter -- */

static void sockaddr_of(const struct collector_conf *cc, struct sockaddr_storage *sa,
			socklen_t *len)
{
	memset(sa, 0, sizeof(*sa));
	if (cc->addr.family == SVR_AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)sa;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(cc->port);
		memcpy(&a->sin6_addr, cc->addr.addr, 16);
		*len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)sa;
		a->sin_family = AF_INET;
		a->sin_port = htons(cc->port);
		memcpy(&a->sin_addr, cc->addr.addr, 4);
		*len = sizeof(*a);
	}
}

static void collector_close(struct collector *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->up = c->connecting = false;
	/* what waited in the backlog never reached the collector */
	atomic_fetch_add_explicit(&c->dropped, c->pend_records, memory_order_relaxed);
	c->pend_len = c->pend_off = 0;
	c->pend_records = 0;
}

static void collector_retry_later(struct collector *c, uint64_t now)
{
	collector_close(c);
	c->backoff_ms = c->backoff_ms ? c->backoff_ms * 2 : RETRY_MIN_MS;
	if (c->backoff_ms > RETRY_MAX_MS)
		c->backoff_ms = RETRY_MAX_MS;
	c->retry_at_ms = now + c->backoff_ms;
}

static void templates_message(struct collector *c);

/* A new transport session: a fresh sequence, and templates first. */
static void collector_session_starts(struct collector *c, uint64_t now)
{
	c->seq = 0;
	c->up = true;
	c->connecting = false;
	c->backoff_ms = 0;
	c->templates_due_ms = now;
	atomic_fetch_add_explicit(&c->connects, 1, memory_order_relaxed);
	if (c->conf.tcp)
		templates_message(c);
}

static void collector_open(struct collector *c, uint64_t now)
{
	int family = c->conf.addr.family == SVR_AF_INET6 ? AF_INET6 : AF_INET;
	c->fd = socket(family, (c->conf.tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK, 0);
	if (c->fd < 0) {
		atomic_fetch_add_explicit(&c->errors, 1, memory_order_relaxed);
		collector_retry_later(c, now);
		return;
	}
	/* room for bursts of records: the exporter never waits for the socket (FORCE: past
	 * net.core.wmem_max, which the process may do with CAP_NET_ADMIN) */
	int sndbuf = 4 << 20;
	if (setsockopt(c->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)) < 0)
		setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	/* UDP too: connect() makes a dead collector's ICMP errors visible (ECONNREFUSED) */
	if (connect(c->fd, (struct sockaddr *)&c->sa, c->salen) == 0) {
		collector_session_starts(c, now);
	} else if (errno == EINPROGRESS) {
		c->connecting = true;
	} else {
		atomic_fetch_add_explicit(&c->errors, 1, memory_order_relaxed);
		collector_retry_later(c, now);
	}
}

/* TCP: the collector closed or reset the connection (it has nothing else to say to us). */
static bool peer_closed(const struct collector *c)
{
	struct pollfd p = {.fd = c->fd, .events = POLLIN | POLLRDHUP};
	if (poll(&p, 1, 0) <= 0)
		return false;
	char b;
	return (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) ||
	       recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) <= 0;
}

/* TCP: the connection's progress, and the bytes still waiting. */
static void collector_service(struct collector *c, uint64_t now)
{
	if (c->fd < 0) {
		if (now >= c->retry_at_ms)
			collector_open(c, now);
		return;
	}
	if (c->connecting) {
		struct pollfd p = {.fd = c->fd, .events = POLLOUT};
		if (poll(&p, 1, 0) <= 0)
			return;
		int e = 0;
		socklen_t el = sizeof(e);
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0 || e != 0) {
			atomic_fetch_add_explicit(&c->errors, 1, memory_order_relaxed);
			collector_retry_later(c, now);
			return;
		}
		collector_session_starts(c, now);
	}
	if (c->conf.tcp && c->up && peer_closed(c)) { /* a collector never sends: EOF or RST */
		atomic_fetch_add_explicit(&c->errors, 1, memory_order_relaxed);
		collector_retry_later(c, now);
		return;
	}
	while (c->conf.tcp && c->up && c->pend_off < c->pend_len) {
		ssize_t w = send(c->fd, c->pend + c->pend_off, c->pend_len - c->pend_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				atomic_fetch_add_explicit(&c->errors, 1, memory_order_relaxed);
				collector_retry_later(c, now);
			}
			break;
		}
		c->pend_off += (size_t)w;
	}
	if (c->pend_off == c->pend_len) { /* all written: its records reached the socket */
		atomic_fetch_add_explicit(&c->records, c->pend_records, memory_order_relaxed);
		c->pend_off = c->pend_len = 0;
		c->pend_records = 0;
	}
}

/* A TCP collector's message in its backlog; false when the backlog cannot take it. */
static bool tcp_queue(struct collector *c, const uint8_t *msg, size_t len)
{
	if (c->pend_off && c->pend_len + len > TCP_BACKLOG) {
		memmove(c->pend, c->pend + c->pend_off, c->pend_len - c->pend_off);
		c->pend_len -= c->pend_off;
		c->pend_off = 0;
	}
	if (c->pend_len + len > TCP_BACKLOG)
		return false;
	memcpy(c->pend + c->pend_len, msg, len);
	c->pend_len += len;
	return true;
}

static void templates_message(struct collector *c)
{
	uint8_t buf[MSG_MAX];
	struct svr_ipfix_msg m;
	svr_ipfix_msg_begin(&m, buf, sizeof(buf));
	if (!svr_ipfix_msg_add_templates(&m, cur->pen))
		return;
	size_t len = svr_ipfix_msg_end(&m);
	svr_ipfix_msg_stamp(buf, len, (uint32_t)time(NULL), c->seq, cur->domain);
	bool sent = c->conf.tcp ? tcp_queue(c, buf, len)
				: send(c->fd, buf, len, MSG_DONTWAIT) == (ssize_t)len;
	atomic_fetch_add_explicit(sent ? &c->templates : &c->errors, 1, memory_order_relaxed);
}

/* The built messages, their lengths and record counts. */
static uint8_t msgs[BATCH][MSG_MAX];
static size_t msg_len[BATCH];
static unsigned msg_records[BATCH];

/*
 * Message i went to collector c (its records move the sequence on), or was dropped. Over TCP
 * its records count as sent once the backlog holding them is written out (collector_service);
 * a connection lost before that counts them dropped.
 */
static void account(struct collector *c, unsigned i, bool sent)
{
	if (!sent) {
		atomic_fetch_add_explicit(&c->dropped, msg_records[i], memory_order_relaxed);
		return;
	}
	c->seq += msg_records[i];
	atomic_fetch_add_explicit(&c->messages, 1, memory_order_relaxed);
	if (c->conf.tcp)
		c->pend_records += msg_records[i];
	else
		atomic_fetch_add_explicit(&c->records, msg_records[i], memory_order_relaxed);
}

static void send_udp(struct collector *c, unsigned n, uint64_t now)
{
	if (now >= c->templates_due_ms) {
		templates_message(c);
		c->templates_due_ms = now + (uint64_t)cur->refresh_s * 1000;
	}
	/* each message's own header (this collector's sequence), the shared body */
	uint8_t hdr[BATCH][SVR_IPFIX_HEADER_LEN];
	struct iovec iov[BATCH][2];
	struct mmsghdr mh[BATCH];
	uint32_t seq = c->seq, export_s = (uint32_t)time(NULL);
	for (unsigned i = 0; i < n; i++) {
		memcpy(hdr[i], msgs[i], SVR_IPFIX_HEADER_LEN);
		svr_ipfix_msg_stamp(hdr[i], SVR_IPFIX_HEADER_LEN, export_s, seq, cur->domain);
		seq += msg_records[i];
		iov[i][0] = (struct iovec){hdr[i], SVR_IPFIX_HEADER_LEN};
		iov[i][1] = (struct iovec){msgs[i] + SVR_IPFIX_HEADER_LEN,
					   msg_len[i] - SVR_IPFIX_HEADER_LEN};
		mh[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = iov[i], .msg_iovlen = 2}};
	}
	int sent = sendmmsg(c->fd, mh, n, MSG_DONTWAIT);
	if (sent < 0) {
		sent = 0;
		atomic_fetch_add_explicit(&c->errors, 1, memory_order_relaxed);
	}
	for (unsigned i = 0; i < n; i++)
		account(c, i, i < (unsigned)sent);
}

static void send_tcp(struct collector *c, unsigned n, uint64_t now)
{
	uint32_t export_s = (uint32_t)time(NULL);
	for (unsigned i = 0; i < n; i++) {
		svr_ipfix_msg_stamp(msgs[i], msg_len[i], export_s, c->seq, cur->domain);
		account(c, i, tcp_queue(c, msgs[i], msg_len[i]));
	}
	collector_service(c, now);
}

static void send_all(unsigned n, uint64_t now)
{
	for (unsigned k = 0; k < n_cols; k++) {
		struct collector *c = &cols[k];
		if (!c->up) { /* down or connecting: what it would have got is lost */
			unsigned lost = 0;
			for (unsigned i = 0; i < n; i++)
				lost += msg_records[i];
			atomic_fetch_add_explicit(&c->dropped, lost, memory_order_relaxed);
			continue;
		}
		if (c->conf.tcp)
			send_tcp(c, n, now);
		else
			send_udp(c, n, now);
	}
}

static void copy_addr(uint8_t *out, const uint8_t *in, uint8_t family)
{
	memset(out, 0, 16);
	memcpy(out, in, family == 4 ? 4 : 16);
}

/* A record as the encoder takes it: ids become names, slots become interface numbers. */
static void to_session(const struct dp_session_record *r, struct svr_ipfix_session *s)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->uuid, r->uuid, 16);
	s->kind = r->kind;
	s->end_reason = r->end_reason;
	s->proto = r->proto;
	s->family = r->family;
	copy_addr(s->src, r->src, r->family);
	copy_addr(s->dst, r->dst, r->family);
	copy_addr(s->post_src, r->post_src, r->family);
	copy_addr(s->post_dst, r->post_dst, r->family);
	s->sport = ntohs(r->sport);
	s->dport = ntohs(r->dport);
	s->post_sport = ntohs(r->post_sport);
	s->post_dport = ntohs(r->post_dport);
	s->start_ms = (uint64_t)r->start_s * 1000;
	s->end_ms = (uint64_t)r->end_s * 1000;
	s->fwd_octets = r->fwd_bytes;
	s->fwd_packets = r->fwd_pkts;
	s->rev_octets = r->rev_bytes;
	s->rev_packets = r->rev_pkts;
	/* interfaces by number, 1 up (0: none), as `svrctl show interfaces` numbers them */
	s->in_iface = r->in_iface == DP_RECORDS_NO_IFACE ? 0 : r->in_iface + 1u;
	s->out_iface = r->out_iface == DP_RECORDS_NO_IFACE ? 0 : r->out_iface + 1u;
	s->tenant = svr_names_get(dp_sess.tenants, r->tenant);
	s->service = svr_names_get(dp_sess.services, r->service);
	s->rule = svr_names_get(dp_sess.rules, r->rule);
	s->router = cur->router;
	if (r->path < DP_MAX_SVR_PATHS) {
		const struct dp_svr_path *p = dp_svr_path(r->path);
		s->peer = p->peer;
		s->path = p->name;
		s->vector = cur->vector[r->path];
	}
}

/*
 * Fills up to BATCH messages from the rings, round robin; returns the records taken. Every
 * record fits in an empty message (names are short), so a ring gives no more records than
 * there are messages left: none is taken that could not be written. A partly filled last
 * message goes out too: records never wait for company.
 */
static unsigned build(unsigned *n_msgs)
{
	struct dp_session_record recs[TAKE];
	struct svr_ipfix_msg m;
	unsigned n = 0, taken = 0, rings = dp_session_records_rings();
	svr_ipfix_msg_begin(&m, msgs[0], MSG_MAX);
	/* rounds over the rings while one of them filled its whole take and messages are left */
	for (bool more = true; more;) {
		more = false;
		for (unsigned ring = 0; ring < rings; ring++) {
			unsigned room = BATCH - 1 - n; /* messages after the open one */
			unsigned want = room < TAKE ? room : TAKE;
			unsigned got = dp_session_records_take(ring, recs, want);
			more |= got && got == want && room > 1;
			taken += got;
			for (unsigned i = 0; i < got; i++) {
				struct svr_ipfix_session s;
				to_session(&recs[i], &s);
				if (svr_ipfix_msg_add(&m, &s))
					continue;
				if (m.records) { /* full: the next message */
					msg_len[n] = svr_ipfix_msg_end(&m);
					msg_records[n++] = m.records;
					svr_ipfix_msg_begin(&m, msgs[n], MSG_MAX);
				}
				if (!svr_ipfix_msg_add(&m, &s)) /* cannot happen with model names */
					atomic_fetch_add_explicit(&records_oversize, 1,
								  memory_order_relaxed);
			}
		}
	}
	if (m.records) {
		msg_len[n] = svr_ipfix_msg_end(&m);
		msg_records[n++] = m.records;
	}
	*n_msgs = n;
	return taken;
}

/* The collectors of a new configuration: kept as they are when unchanged. */
static void take_conf(uint64_t now)
{
	pthread_mutex_lock(&conf_lock);
	struct ipfix_conf *c = pending;
	pending = NULL;
	pthread_mutex_unlock(&conf_lock);
	if (!c)
		return;
	pthread_mutex_lock(&state_lock);
	/* the templates name the enterprise number and the domain: a kept collector gets them
	 * again at once when they change (UDP: before its next records) */
	struct ipfix_conf *was = cur;
	bool new_templates = !was || was->pen != c->pen || was->domain != c->domain;
	cur = c; /* before any collector opens: its templates are this configuration's */
	struct collector old[MAX_COLLECTORS];
	unsigned n_old = n_cols;
	memcpy(old, cols, sizeof(old));
	bool kept[MAX_COLLECTORS] = {false};
	for (unsigned i = 0; i < c->n; i++) {
		struct collector *nc = &cols[i];
		unsigned j = 0;
		while (j < n_old &&
		       (kept[j] || memcmp(&old[j].conf, &c->col[i], sizeof(c->col[i]))))
			j++;
		if (j < n_old) { /* the same collector: its transport session goes on */
			kept[j] = true;
			memcpy(nc, &old[j], sizeof(*nc));
			/* a new domain is a new sequence (RFC 7011: per domain and session) */
			if (new_templates && was && was->domain != c->domain)
				nc->seq = 0;
			if (new_templates && nc->up && nc->conf.tcp)
				templates_message(nc);
			else if (new_templates && nc->up)
				nc->templates_due_ms = now;
			continue;
		}
		memset(nc, 0, sizeof(*nc));
		nc->conf = c->col[i];
		nc->fd = -1;
		collector_text(&nc->conf, nc->text, sizeof(nc->text));
		sockaddr_of(&nc->conf, &nc->sa, &nc->salen);
		if (nc->conf.tcp && !(nc->pend = malloc(TCP_BACKLOG))) {
			LOG_ERR("IPFIX: no memory for the %s backlog: not exporting there",
				nc->text);
			nc->retry_at_ms =
			    UINT64_MAX; /* never opened: its records count as dropped */
			continue;
		}
		collector_open(nc, now);
	}
	for (unsigned j = 0; j < n_old; j++)
		if (!kept[j]) {
			if (old[j].fd >= 0)
				close(old[j].fd);
			free(old[j].pend);
		}
	n_cols = c->n;
	free(was);
	pthread_mutex_unlock(&state_lock);
}

static void *exporter(void *arg)
{
	(void)arg;
	unsigned idle_us = 0;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		uint64_t now = now_ms();
		if (atomic_exchange_explicit(&conf_changed, false, memory_order_acquire))
			take_conf(now);
		for (unsigned k = 0; k < n_cols; k++)
			collector_service(&cols[k], now);
		unsigned n = 0, taken = cur ? build(&n) : 0;
		if (n) {
			send_all(n, now);
			atomic_fetch_add_explicit(&messages_built, n, memory_order_relaxed);
		}
		atomic_fetch_add_explicit(&records_taken, taken, memory_order_relaxed);
		if (taken) {
			idle_us = 0;
			continue;
		}
		/* nothing was waiting: whatever was handed over before now is written */
		atomic_fetch_add_explicit(&idle_epoch, 1, memory_order_release);
		idle_us = idle_us ? (idle_us * 2 < IDLE_MAX_US ? idle_us * 2 : IDLE_MAX_US) : 100;
		usleep(idle_us);
	}
	return NULL;
}

/*
 * Names are read by id: a sweep waits until every record handed over before it is written
 * (two turns of the exporter that found the rings empty, the second begun after this call).
 * The main lcore waits here: false after 100 ms (an exporter that busy), and the sweep waits
 * for another time.
 */
static bool quiesce(void)
{
	uint64_t e = atomic_load_explicit(&idle_epoch, memory_order_acquire);
	for (int i = 0; i < 200; i++) {
		if (atomic_load_explicit(&idle_epoch, memory_order_acquire) >= e + 2)
			return true;
		usleep(500);
	}
	LOG_WARN("IPFIX: the exporter did not catch up within 100 ms: names are not swept now");
	return false;
}

int dp_ipfix_init(unsigned n_workers)
{
	if (dp_session_records_init(n_workers) < 0)
		return -1;
	int rc = pthread_create(&thread, NULL, exporter, NULL);
	if (rc != 0) {
		LOG_ERR("cannot start the IPFIX exporter thread: %s", strerror(rc));
		dp_session_records_free();
		return -1;
	}
	pthread_setname_np(thread, "svr-ipfix");
	running = true;
	dp_sess.names_quiesce = quiesce;
	return 0;
}

void dp_ipfix_stop(void)
{
	if (!running)
		return;
	atomic_store(&stop, true);
	pthread_join(thread, NULL);
	running = false;
	dp_sess.names_quiesce = NULL;
	for (unsigned k = 0; k < n_cols; k++) {
		if (cols[k].fd >= 0)
			close(cols[k].fd);
		free(cols[k].pend);
	}
	n_cols = 0;
	free(cur);
	free(pending);
	cur = pending = NULL;
	dp_session_records_free();
}

/* Main lcore: whether the running generation's sessions are recorded. */
static bool exporting(void)
{
	const struct dp_gen *g = dp_gen_main();
	return g && g->spol && g->spol->records && running;
}

json_t *dp_ipfix_json(void)
{
	json_t *list = json_array();
	pthread_mutex_lock(&state_lock);
	for (unsigned k = 0; k < n_cols; k++) {
		struct collector *c = &cols[k];
		const char *state = c->up ? "up" : c->connecting ? "connecting" : "down";
		json_array_append_new(
		    list,
		    json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "collector", c->text,
			      "state", state, "messages", (json_int_t)atomic_load(&c->messages),
			      "records", (json_int_t)atomic_load(&c->records), "records-dropped",
			      (json_int_t)atomic_load(&c->dropped), "templates",
			      (json_int_t)atomic_load(&c->templates), "errors",
			      (json_int_t)atomic_load(&c->errors), "transport-sessions",
			      (json_int_t)atomic_load(&c->connects)));
	}
	json_t *o =
	    json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:o}", "exporting", exporting(), "generation",
		      (json_int_t)(cur ? cur->generation : 0), "records-taken",
		      (json_int_t)atomic_load(&records_taken), "records-oversize",
		      (json_int_t)atomic_load(&records_oversize), "messages-built",
		      (json_int_t)atomic_load(&messages_built), "records-lost-backlog",
		      (json_int_t)dp_session_records_lost(), "collectors", list);
	if (cur)
		json_object_set_new(o, "settings",
				    json_pack("{s:I, s:I, s:I, s:I}", "observation-domain",
					      (json_int_t)cur->domain, "enterprise-number",
					      (json_int_t)cur->pen, "interim-s",
					      (json_int_t)cur->interim_s, "template-refresh-s",
					      (json_int_t)cur->refresh_s));
	pthread_mutex_unlock(&state_lock);
	return o;
}
