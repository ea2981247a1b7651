/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The route mirror's thread (follow.h). One thread does everything netlink: it enters the
 * namespace, opens its sockets there, and then loops: notifications in, changes out to the
 * ring, a full listing when one is due, the twins' addresses when the model or a twin changed.
 *
 * Ordering: the notification socket is subscribed before any dump, so a change the dump missed
 * is queued on it and replayed after the listing (a change the dump already had is replayed too:
 * an ADD of a route the dataplane has replaces it, a DEL of one it does not have is nothing).
 */
#include "netlink/follow.h"

#include <errno.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/routering.h"
#include "ctl.h"
#include "model/validate.h"
#include "netlink/links.h"
#include "netlink/nlsock.h"
#include "netlink/pending.h"
#include "netlink/routemsg.h"
#include "netlink/twins.h"

#define NOTIFY_RCVBUF    (256 << 20) /* the kernel's notifications while we dump or wait */
#define PENDING_CAPACITY (1u << 16)  /* changes the ring could not take yet */
#define DUMP_BUF         (64 << 10)  /* the kernel fills at most 32 KiB per dump read */
#define RECV_VLEN        32          /* notifications per recvmmsg */
#define RECV_MSG         (16 << 10)  /* one notification (a link's is the largest) */
#define RECV_ROUNDS      64          /* recvmmsg calls before the loop looks at the rest */
#define LISTING_STALL_MS 2000        /* a listing the ring takes nothing of for so long stops */
#define FLUSH_DELAY_MS   50          /* a burst of links or addresses going: one resync */
#define STATS_LOG_MS     60000

const char *const ctl_nl_resync_names[CTL_NL_RESYNC_REASONS] = {
    [CTL_NL_RESYNC_START] = "start",
    [CTL_NL_RESYNC_ASKED] = "asked by the dataplane",
    [CTL_NL_RESYNC_ENOBUFS] = "kernel dropped notifications",
    [CTL_NL_RESYNC_OVERFLOW] = "ring full, changes dropped",
    [CTL_NL_RESYNC_FLUSHED] = "link or IPv4 address gone",
    [CTL_NL_RESYNC_RING] = "ring reopened",
};

/* The same in GET /status */
static const char *const resync_keys[CTL_NL_RESYNC_REASONS] = {
    [CTL_NL_RESYNC_START] = "start",
    [CTL_NL_RESYNC_ASKED] = "asked",
    [CTL_NL_RESYNC_ENOBUFS] = "kernel-dropped",
    [CTL_NL_RESYNC_OVERFLOW] = "ring-full",
    [CTL_NL_RESYNC_FLUSHED] = "link-or-address-gone",
    [CTL_NL_RESYNC_RING] = "ring-reopened",
};

struct ctl_nl_follow {
	struct svr_ctl *ctl;
	char netns[256];
	pthread_t thread;
	atomic_bool stop;
	pthread_mutex_t stats_lock;
	struct ctl_nl_stats published; /* under stats_lock */

	/* the thread's own */
	struct ctl_nl_stats st;
	struct nl_sock *notify, *dump, *cmd;
	struct ctl_nl_links links;
	struct ctl_nl_pending pending;
	struct svr_route_end ring;
	uint64_t resync_seen;
	int need_resync; /* a reason + 1; 0: none due */
	uint64_t resync_at_ms;
	bool listing, listing_failed, dropping;
	uint64_t last_progress_ms, stats_logged_ms;
	struct ctl_nl_twins twins;
	uint64_t model_gen;
	const json_t *model_seen;
	uint8_t *buf;  /* DUMP_BUF */
	uint8_t *rbuf; /* RECV_VLEN * RECV_MSG */
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

static bool stopping(const struct ctl_nl_follow *f)
{
	return atomic_load_explicit(&f->stop, memory_order_relaxed);
}

static void publish_stats(struct ctl_nl_follow *f)
{
	pthread_mutex_lock(&f->stats_lock);
	f->published = f->st;
	pthread_mutex_unlock(&f->stats_lock);
}

/* A listing is due for reason, not before delay_ms from now (a burst of causes: one). */
static void want_resync(struct ctl_nl_follow *f, enum ctl_nl_resync_reason reason,
			unsigned delay_ms)
{
	if (f->need_resync)
		return; /* one is due already: it will say everything */
	f->need_resync = (int)reason + 1;
	f->resync_at_ms = now_ms() + delay_ms;
}

/* ---- the ring ---- */

static uint64_t ring_used(const struct ctl_nl_follow *f)
{
	return f->ring.count - atomic_load_explicit(&f->ring.ring->tail, memory_order_acquire);
}

static int open_ring(struct ctl_nl_follow *f)
{
	char err[256];
	int rc;
	while ((rc = svr_route_shm_open(&f->ring, f->ctl->instance, true, err, sizeof(err))) ==
		   -EAGAIN &&
	       !stopping(f))
		sleep_ms(10); /* the dataplane is creating it */
	if (rc < 0 && rc != -EAGAIN)
		LOG_ERR("route mirror: %s", err);
	return rc;
}

/* Moves what the ring takes; a broken ring is opened again and a listing made due. */
static void flush(struct ctl_nl_follow *f)
{
	int64_t n = ctl_nl_pending_flush(&f->pending, &f->ring);
	if (n > 0) {
		f->st.changes_written += (uint64_t)n;
		f->last_progress_ms = now_ms();
	} else if (n < 0) {
		LOG_ERR("route mirror: the route ring's counts make no sense; opening it again");
		svr_route_shm_close(&f->ring);
		ctl_nl_pending_clear(&f->pending);
		if (open_ring(f) < 0)
			atomic_store(&f->stop, true);
		want_resync(f, CTL_NL_RESYNC_RING, 0);
	}
}

/* A listing waits for the dataplane to make room: false once it has taken nothing for
 * LISTING_STALL_MS (stopped, or stuck) or svr-control stops. */
static bool wait_for_room(struct ctl_nl_follow *f)
{
	for (;;) {
		flush(f);
		if (!ctl_nl_pending_full(&f->pending))
			return true;
		if (stopping(f) || now_ms() - f->last_progress_ms > LISTING_STALL_MS)
			return false;
		f->st.ring_full_waits++;
		sleep_ms(1);
	}
}

static void emit(struct ctl_nl_follow *f, const struct svr_route_change *c)
{
	if (f->dropping || f->listing_failed)
		return; /* a listing is due that will say it */
	while (!ctl_nl_pending_push(&f->pending, c)) {
		if (f->listing && wait_for_room(f))
			continue;
		f->st.dropped += ctl_nl_pending_count(&f->pending) + 1;
		ctl_nl_pending_clear(&f->pending);
		if (f->listing)
			f->listing_failed = true;
		f->dropping = true;
		LOG_WARN("route mirror: the dataplane takes no route changes (ring full); "
			 "changes dropped, a full listing follows when it takes them again");
		want_resync(f, CTL_NL_RESYNC_OVERFLOW, 0);
		return;
	}
}

static void emit_marker(struct ctl_nl_follow *f, enum svr_route_op op)
{
	struct svr_route_change c = {.op = (uint8_t)op};
	emit(f, &c);
}

/* ---- messages ---- */

static void on_route(struct ctl_nl_follow *f, struct nlmsghdr *h)
{
	struct svr_route_change c;
	f->st.routes_seen++;
	switch (ctl_nl_route_change(h, &f->links, &c, NULL)) {
	case CTL_NL_ROUTE_BAD:
		f->st.malformed++;
		return;
	case CTL_NL_ROUTE_SKIP:
		f->st.skipped++;
		return;
	case CTL_NL_ROUTE_CHANGE:
		break;
	}
	if (!c.ifname[0] && c.ifindex)
		f->st.unknown_ifindex++;
	emit(f, &c);
}

static void twin_dirty(struct ctl_nl_follow *f, const char *name)
{
	struct ctl_nl_twin *t = ctl_nl_twins_find(&f->twins, name);
	if (t && t->managed)
		t->dirty = true;
}

static void on_link(struct ctl_nl_follow *f, struct nlmsghdr *h)
{
	if (!nlmsg_valid_hdr(h, sizeof(struct ifinfomsg)))
		return;
	const struct ifinfomsg *ifi = nlmsg_data(h);
	const struct ctl_nl_link *old = ctl_nl_links_get(&f->links, (uint32_t)ifi->ifi_index);
	bool was_up = old && (old->flags & IFF_UP);
	struct ctl_nl_link l;
	switch (ctl_nl_links_apply(&f->links, h, &l)) {
	case CTL_NL_LINK_NEW:
		twin_dirty(f, l.name); /* a twin appeared (or was renamed into one) */
		break;
	case CTL_NL_LINK_CHANGED:
		if (!(l.flags & IFF_UP))
			twin_dirty(f, l.name);
		if (was_up && !(l.flags & IFF_UP))
			want_resync(f, CTL_NL_RESYNC_FLUSHED, FLUSH_DELAY_MS);
		break;
	case CTL_NL_LINK_GONE:
		want_resync(f, CTL_NL_RESYNC_FLUSHED, FLUSH_DELAY_MS);
		break;
	case CTL_NL_LINK_NONE:
		break;
	}
}

static void on_addr(struct ctl_nl_follow *f, struct nlmsghdr *h)
{
	if (!nlmsg_valid_hdr(h, sizeof(struct ifaddrmsg)))
		return;
	const struct ifaddrmsg *ifa = nlmsg_data(h);
	const struct ctl_nl_link *l = ctl_nl_links_get(&f->links, ifa->ifa_index);
	if (l)
		twin_dirty(f, l->name); /* someone else changed a twin's addresses: ours again */
	if (h->nlmsg_type == RTM_DELADDR && ifa->ifa_family == AF_INET)
		want_resync(f, CTL_NL_RESYNC_FLUSHED, FLUSH_DELAY_MS);
}

static void on_message(struct ctl_nl_follow *f, struct nlmsghdr *h)
{
	switch (h->nlmsg_type) {
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		on_route(f, h);
		break;
	case RTM_NEWLINK:
	case RTM_DELLINK:
		on_link(f, h);
		break;
	case RTM_NEWADDR:
	case RTM_DELADDR:
		on_addr(f, h);
		break;
	default:
		break;
	}
}

/* ---- dumps and the full listing ---- */

/* One dump, each message through on_message. 0 done, -1 failed (logged) or stopped. */
static int dump(struct ctl_nl_follow *f, int type, int family)
{
	int e = ctl_nl_dump_request(f->dump, type, family);
	if (e < 0) {
		LOG_ERR("route mirror: cannot ask for a dump: %s", nl_geterror(e));
		return -1;
	}
	int fd = nl_socket_get_fd(f->dump);
	for (;;) {
		ssize_t n = recv(fd, f->buf, DUMP_BUF, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			LOG_ERR("route mirror: dump: %s", strerror(errno));
			return -1;
		}
		int left = (int)n;
		for (struct nlmsghdr *h = (struct nlmsghdr *)f->buf; nlmsg_ok(h, left);
		     h = nlmsg_next(h, &left)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *me = nlmsg_data(h);
				LOG_ERR("route mirror: dump refused: %s", strerror(-me->error));
				return -1;
			}
			on_message(f, h);
			if (f->listing_failed)
				return -1;
		}
		flush(f);
	}
}

/* A dump that stopped half-way leaves the rest in its socket: a new socket is simpler. */
static void reopen_dump_socket(struct ctl_nl_follow *f)
{
	char err[256];
	nl_socket_free(f->dump);
	f->dump = ctl_nl_open_plain(err, sizeof(err));
	if (!f->dump) {
		LOG_ERR("route mirror: %s; stopping", err);
		atomic_store(&f->stop, true);
	}
}

/* Reads and forgets what the notification socket holds: the listing after says it all. */
static void drain_notify(struct ctl_nl_follow *f)
{
	int fd = nl_socket_get_fd(f->notify);
	for (;;) {
		ssize_t n = recv(fd, f->buf, DUMP_BUF, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0 && errno != ENOBUFS && errno != EINTR)
			return;
	}
}

static void mark_twins_dirty(struct ctl_nl_follow *f)
{
	for (unsigned i = 0; i < f->twins.n; i++)
		f->twins.v[i].dirty = f->twins.v[i].managed;
}

/* SYNC_BEGIN, every route of both families, SYNC_END. The links first, so that routes have
 * their interfaces' names. */
static void full_listing(struct ctl_nl_follow *f, enum ctl_nl_resync_reason reason)
{
	uint64_t t0 = now_ms(), seen0 = f->st.routes_seen;
	f->need_resync = 0;
	f->st.resyncs[reason]++;
	if (reason == CTL_NL_RESYNC_ENOBUFS)
		drain_notify(f);
	ctl_nl_pending_clear(&f->pending); /* the listing says everything they said */
	f->dropping = f->listing_failed = false;
	f->last_progress_ms = t0;
	ctl_nl_links_clear(&f->links);
	if (dump(f, RTM_GETLINK, AF_UNSPEC) < 0)
		goto failed;
	mark_twins_dirty(f);
	f->listing = true;
	emit_marker(f, SVR_ROUTE_SYNC_BEGIN);
	if (dump(f, RTM_GETROUTE, AF_INET) < 0 || dump(f, RTM_GETROUTE, AF_INET6) < 0)
		goto failed;
	emit_marker(f, SVR_ROUTE_SYNC_END);
	flush(f);
	f->listing = false;
	if (f->listing_failed)
		goto failed;
	f->st.listing_routes = f->st.routes_seen - seen0;
	f->st.listing_ms = now_ms() - t0;
	LOG_NOTICE("route mirror: full listing (%s): %llu routes read in %llu ms, %llu links",
		   ctl_nl_resync_names[reason], (unsigned long long)f->st.listing_routes,
		   (unsigned long long)f->st.listing_ms, (unsigned long long)f->links.n);
	publish_stats(f);
	return;
failed:
	f->listing = false;
	f->listing_failed = false;
	reopen_dump_socket(f);
	want_resync(f, f->dropping ? CTL_NL_RESYNC_OVERFLOW : reason, 1000);
	LOG_WARN("route mirror: full listing (%s) not completed; another follows",
		 ctl_nl_resync_names[reason]);
}

/* Whether a due listing may start: its time has come and the dataplane has taken at least half
 * of the ring (a listing into a full ring would only stall). */
static bool resync_ready(const struct ctl_nl_follow *f)
{
	return f->need_resync && now_ms() >= f->resync_at_ms &&
	       ring_used(f) <= (uint64_t)f->ring.mask / 2;
}

/* ---- notifications ---- */

/* Reads what the notification socket holds, a bounded number of rounds. */
static void read_notifications(struct ctl_nl_follow *f)
{
	struct mmsghdr mm[RECV_VLEN];
	struct iovec iov[RECV_VLEN];
	int fd = nl_socket_get_fd(f->notify);
	for (int round = 0; round < RECV_ROUNDS; round++) {
		memset(mm, 0, sizeof(mm));
		for (int i = 0; i < RECV_VLEN; i++) {
			iov[i].iov_base = f->rbuf + (size_t)i * RECV_MSG;
			iov[i].iov_len = RECV_MSG;
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		int n = recvmmsg(fd, mm, RECV_VLEN, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == ENOBUFS) {
				LOG_WARN("route mirror: the kernel dropped notifications (receive "
					 "buffer overrun); a full listing follows");
				want_resync(f, CTL_NL_RESYNC_ENOBUFS, 0);
				continue;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				LOG_ERR("route mirror: notifications: %s", strerror(errno));
			return;
		}
		for (int i = 0; i < n; i++) {
			if (mm[i].msg_hdr.msg_flags & MSG_TRUNC)
				want_resync(f, CTL_NL_RESYNC_ENOBUFS,
					    0); /* one lost: as if dropped */
			int left = (int)mm[i].msg_len;
			for (struct nlmsghdr *h = iov[i].iov_base; nlmsg_ok(h, left);
			     h = nlmsg_next(h, &left))
				on_message(f, h);
		}
		flush(f);
		if (n < RECV_VLEN)
			return;
	}
}

/* ---- the model's twins ---- */

/* Takes the model's interfaces when svr-control applied another model (or went back). */
static void check_model(struct ctl_nl_follow *f)
{
	struct svr_ctl *c = f->ctl;
	pthread_mutex_lock(&c->lock);
	if (c->generation == f->model_gen && c->model == f->model_seen) {
		pthread_mutex_unlock(&c->lock);
		return;
	}
	struct ctl_nl_twins t = {0};
	const json_t *r = c->model ? svr_model_router(c->model, c->router) : NULL;
	int rc = r ? ctl_nl_twins_from_router(r, &t) : 0;
	f->model_gen = c->generation;
	f->model_seen = c->model;
	pthread_mutex_unlock(&c->lock);
	if (rc < 0)
		return; /* out of memory: the twins stay as they were */
	ctl_nl_twins_free(&f->twins);
	f->twins = t;
	mark_twins_dirty(f);
	LOG_INFO("route mirror: generation %llu: %u interface twins to keep",
		 (unsigned long long)f->model_gen, t.n);
}

static const struct ctl_nl_link *link_by_name(const struct ctl_nl_links *l, const char *name)
{
	for (unsigned i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	return NULL;
}

static void sync_twins(struct ctl_nl_follow *f)
{
	for (unsigned i = 0; i < f->twins.n; i++) {
		struct ctl_nl_twin *t = &f->twins.v[i];
		if (!t->dirty)
			continue;
		t->dirty = false;
		const struct ctl_nl_link *l = link_by_name(&f->links, t->name);
		if (!l)
			continue; /* not there yet: its RTM_NEWLINK makes it dirty again */
		struct ctl_nl_twin_result r;
		ctl_nl_twin_sync(f->cmd, t, (int)l->ifindex, &r);
		f->st.twin_syncs++;
		f->st.twin_errors += r.errors;
		if (r.errors)
			LOG_WARN("route mirror: twin %s: %u error(s), first: %s", t->name, r.errors,
				 r.error);
		if (r.added || r.removed || r.set_up)
			LOG_INFO("route mirror: twin %s: %u address(es) added, %u removed%s",
				 t->name, r.added, r.removed, r.set_up ? ", set up" : "");
	}
}

/* ---- the thread ---- */

static void log_stats(struct ctl_nl_follow *f, bool force)
{
	uint64_t now = now_ms();
	if (!force && now - f->stats_logged_ms < STATS_LOG_MS)
		return;
	f->stats_logged_ms = now;
	const struct ctl_nl_stats *s = &f->st;
	uint64_t resyncs = 0;
	for (int i = 0; i < CTL_NL_RESYNC_REASONS; i++)
		resyncs += s->resyncs[i];
	LOG_INFO("route mirror: %llu routes seen, %llu changes written, %llu skipped, %llu "
		 "malformed, %llu without interface name, %llu resyncs, %llu ring-full waits, "
		 "%llu dropped",
		 (unsigned long long)s->routes_seen, (unsigned long long)s->changes_written,
		 (unsigned long long)s->skipped, (unsigned long long)s->malformed,
		 (unsigned long long)s->unknown_ifindex, (unsigned long long)resyncs,
		 (unsigned long long)s->ring_full_waits, (unsigned long long)s->dropped);
}

/* Enters the namespace (waiting for it) and opens the sockets. 0, or -1 when stopping. */
static int setup(struct ctl_nl_follow *f)
{
	char err[256];
	bool told = false;
	while (ctl_nl_enter_netns(f->netns, err, sizeof(err)) < 0) {
		if (!told)
			LOG_WARN("route mirror: %s; trying every second", err);
		told = true;
		for (int i = 0; i < 10; i++)
			if (stopping(f))
				return -1;
			else
				sleep_ms(100);
	}
	int got = 0;
	f->notify = ctl_nl_open_notify(NOTIFY_RCVBUF, &got, err, sizeof(err));
	if (f->notify)
		f->dump = ctl_nl_open_plain(err, sizeof(err));
	if (f->dump)
		f->cmd = ctl_nl_open_plain(err, sizeof(err));
	if (!f->cmd) {
		LOG_ERR("route mirror: %s; no route mirror", err);
		return -1;
	}
	if (got < NOTIFY_RCVBUF)
		LOG_WARN("route mirror: notification buffer %d bytes, not %d (no CAP_NET_ADMIN?): "
			 "bursts may cost full listings",
			 got, NOTIFY_RCVBUF);
	if (open_ring(f) < 0)
		return -1;
	f->resync_seen = atomic_load_explicit(&f->ring.ring->resyncs_asked, memory_order_acquire);
	LOG_NOTICE("route mirror: following network namespace %s into the route ring of "
		   "instance %s",
		   f->netns, f->ctl->instance);
	f->st.running = 1;
	f->stats_logged_ms = now_ms();
	return 0;
}

static void *run(void *arg)
{
	struct ctl_nl_follow *f = arg;
	if (setup(f) < 0)
		return NULL;
	check_model(f);
	want_resync(f, CTL_NL_RESYNC_START, 0);
	struct pollfd p = {.fd = nl_socket_get_fd(f->notify), .events = POLLIN};
	while (!stopping(f)) {
		if (svr_route_ring_resync_asked(&f->ring, &f->resync_seen))
			want_resync(f, CTL_NL_RESYNC_ASKED, 0);
		if (resync_ready(f))
			full_listing(f, (enum ctl_nl_resync_reason)(f->need_resync - 1));
		read_notifications(f);
		flush(f);
		check_model(f);
		sync_twins(f);
		publish_stats(f);
		log_stats(f, false);
		/* ring-full retries every ms, a due listing's room every 10 ms; else notifications
		 * wake us, and the dataplane's request for a listing is seen within 100 ms */
		poll(&p, 1, ctl_nl_pending_count(&f->pending) ? 1 : f->need_resync ? 10 : 100);
	}
	log_stats(f, true);
	return NULL;
}

static void destroy(struct ctl_nl_follow *f)
{
	nl_socket_free(f->notify);
	nl_socket_free(f->dump);
	nl_socket_free(f->cmd);
	svr_route_shm_close(&f->ring);
	ctl_nl_links_free(&f->links);
	ctl_nl_pending_free(&f->pending);
	ctl_nl_twins_free(&f->twins);
	pthread_mutex_destroy(&f->stats_lock);
	free(f->buf);
	free(f->rbuf);
	free(f);
}

struct ctl_nl_follow *ctl_nl_follow_start(struct svr_ctl *ctl, const char *netns, char *err,
					  size_t errlen)
{
	struct ctl_nl_follow *f = calloc(1, sizeof(*f));
	if (!f || strlen(netns) >= sizeof(f->netns) || strchr(netns, '/')) {
		snprintf(err, errlen,
			 f ? "\"%s\" is not a network namespace name" : "out of memory", netns);
		free(f);
		return NULL;
	}
	f->ctl = ctl;
	snprintf(f->netns, sizeof(f->netns), "%s", netns);
	pthread_mutex_init(&f->stats_lock, NULL);
	ctl_nl_links_init(&f->links);
	f->buf = malloc(DUMP_BUF);
	f->rbuf = malloc((size_t)RECV_VLEN * RECV_MSG);
	if (!f->buf || !f->rbuf || ctl_nl_pending_init(&f->pending, PENDING_CAPACITY) < 0) {
		snprintf(err, errlen, "out of memory");
		destroy(f);
		return NULL;
	}
	/* The thread inherits this mask: signals stay with the main thread, whose pause() must
	 * wake for SIGTERM and SIGHUP. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int e = pthread_create(&f->thread, NULL, run, f);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e) {
		snprintf(err, errlen, "cannot start the route mirror's thread: %s", strerror(e));
		destroy(f);
		return NULL;
	}
	return f;
}

void ctl_nl_follow_stop(struct ctl_nl_follow *f)
{
	if (!f)
		return;
	atomic_store(&f->stop, true);
	pthread_join(f->thread, NULL);
	destroy(f);
}

void ctl_nl_follow_stats(const struct ctl_nl_follow *f, struct ctl_nl_stats *out)
{
	pthread_mutex_lock((pthread_mutex_t *)&f->stats_lock);
	*out = f->published;
	pthread_mutex_unlock((pthread_mutex_t *)&f->stats_lock);
}

json_t *ctl_nl_follow_json(const struct ctl_nl_follow *f)
{
	if (!f)
		return json_null();
	struct ctl_nl_stats s;
	ctl_nl_follow_stats(f, &s);
	json_t *why = json_object();
	for (int i = 0; i < CTL_NL_RESYNC_REASONS; i++)
		json_object_set_new(why, resync_keys[i], json_integer((json_int_t)s.resyncs[i]));
	return json_pack("{s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:o, s:I, s:I, s:I, s:I, s:I, s:I}",
			 "namespace", f->netns, "running", (int)s.running, "routes-seen",
			 (json_int_t)s.routes_seen, "changes-written",
			 (json_int_t)s.changes_written, "skipped", (json_int_t)s.skipped,
			 "malformed", (json_int_t)s.malformed, "without-interface",
			 (json_int_t)s.unknown_ifindex, "resyncs", why, "ring-full-waits",
			 (json_int_t)s.ring_full_waits, "dropped", (json_int_t)s.dropped,
			 "twin-syncs", (json_int_t)s.twin_syncs, "twin-errors",
			 (json_int_t)s.twin_errors, "last-listing-routes",
			 (json_int_t)s.listing_routes, "last-listing-ms", (json_int_t)s.listing_ms);
}
