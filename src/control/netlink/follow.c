/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The route mirror's thread (follow.h; its parts: follow_int.h). One thread does everything
 * netlink: it enters the namespace, opens its sockets there, and then loops: notifications in,
 * changes out to the ring, a full listing when one is due, the twins' addresses when the model
 * or a twin changed.
 */
#include <errno.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/log.h"
#include "ctl.h"
#include "netlink/follow_int.h"
#include "netlink/nlsock.h"

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

uint64_t ctl_nl_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void ctl_nl_sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

bool ctl_nl_stopping(const struct ctl_nl_follow *f)
{
	return atomic_load_explicit(&f->stop, memory_order_relaxed);
}

void ctl_nl_publish_stats(struct ctl_nl_follow *f)
{
	pthread_mutex_lock(&f->stats_lock);
	f->published = f->st;
	memcpy(f->dhcp_published, f->dhcp.v, f->dhcp.n * sizeof(f->dhcp.v[0]));
	f->n_dhcp_published = f->dhcp.n;
	pthread_mutex_unlock(&f->stats_lock);
}

static void log_stats(struct ctl_nl_follow *f, bool force)
{
	uint64_t now = ctl_nl_now_ms();
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

/* The identity of a namespace file (/run/netns/NAME, /proc/thread-self/ns/net); 0: none. */
static uint64_t ns_id(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? ((uint64_t)st.st_dev << 32) ^ (uint64_t)st.st_ino : 0;
}

static void close_sockets(struct ctl_nl_follow *f)
{
	nl_socket_free(f->notify);
	nl_socket_free(f->dump);
	nl_socket_free(f->cmd);
	f->notify = f->dump = f->cmd = NULL;
}

/* Enters the namespace (waiting for it: tried every second) and opens the sockets there. 0, or
 * -1 when stopping or the sockets cannot be had. */
static int open_sockets(struct ctl_nl_follow *f)
{
	char err[256];
	bool told = false;
	while (ctl_nl_enter_netns(f->netns, err, sizeof(err)) < 0) {
		if (!told)
			LOG_WARN("route mirror: %s; trying every second", err);
		told = true;
		for (int i = 0; i < 10; i++)
			if (ctl_nl_stopping(f))
				return -1;
			else
				ctl_nl_sleep_ms(100);
	}
	f->netns_id = ns_id("/proc/thread-self/ns/net");
	int got = 0;
	f->notify = ctl_nl_open_notify(NOTIFY_RCVBUF, &got, err, sizeof(err));
	if (f->notify)
		f->dump = ctl_nl_open_plain(err, sizeof(err));
	if (f->dump)
		f->cmd = ctl_nl_open_plain(err, sizeof(err));
	if (!f->cmd) {
		LOG_ERR("route mirror: %s; no route mirror", err);
		close_sockets(f);
		return -1;
	}
	if (got < NOTIFY_RCVBUF)
		LOG_WARN("route mirror: notification buffer %d bytes, not %d (no CAP_NET_ADMIN?): "
			 "bursts may cost full listings",
			 got, NOTIFY_RCVBUF);
	LOG_NOTICE("route mirror: following network namespace %s into the route ring of "
		   "instance %s",
		   f->netns, f->ctl->instance);
	return 0;
}

static int setup(struct ctl_nl_follow *f)
{
	if (open_sockets(f) < 0 || ctl_nl_open_ring(f) < 0)
		return -1;
	f->resync_seen = atomic_load_explicit(&f->ring.ring->resyncs_asked, memory_order_acquire);
	f->st.running = 1;
	f->stats_logged_ms = f->netns_checked_ms = ctl_nl_now_ms();
	return 0;
}

/*
 * Our sockets stay in the namespace they were opened in, even once its name is gone: a
 * namespace deleted and made again (by an operator, or a dataplane that starts over) would
 * leave the mirror following a namespace nobody uses. Checked every second; 0, or -1 when the
 * new one cannot be followed.
 */
static int check_netns(struct ctl_nl_follow *f)
{
	uint64_t now = ctl_nl_now_ms();
	if (now - f->netns_checked_ms < 1000)
		return 0;
	f->netns_checked_ms = now;
	char path[300];
	snprintf(path, sizeof(path), "/run/netns/%s", f->netns);
	if (ns_id(path) == f->netns_id)
		return 0;
	LOG_WARN("route mirror: network namespace %s is gone or was made again; following it "
		 "anew",
		 f->netns);
	close_sockets(f);
	f->st.running = 0;
	ctl_nl_publish_stats(f);
	ctl_nl_dhcp_stop_all(f); /* clients in the old namespace: started again in the new one */
	if (open_sockets(f) < 0)
		return -1;
	f->st.running = 1;
	ctl_nl_want_resync(f, CTL_NL_RESYNC_START, 0);
	return 0;
}

static void *run(void *arg)
{
	struct ctl_nl_follow *f = arg;
	if (setup(f) < 0)
		return NULL;
	ctl_nl_dhcp_init(f);
	ctl_nl_check_model(f);
	ctl_nl_want_resync(f, CTL_NL_RESYNC_START, 0);
	while (!ctl_nl_stopping(f) && check_netns(f) == 0) {
		if (f->ring.ring && svr_route_ring_resync_asked(&f->ring, &f->resync_seen))
			ctl_nl_want_resync(f, CTL_NL_RESYNC_ASKED, 0);
		if (ctl_nl_resync_ready(f))
			ctl_nl_full_listing(f, (enum ctl_nl_resync_reason)(f->need_resync - 1));
		ctl_nl_read_notifications(f);
		ctl_nl_flush(f);
		ctl_nl_check_model(f);
		ctl_nl_sync_twins(f);
		ctl_nl_dhcp_step(f);
		ctl_nl_publish_stats(f);
		log_stats(f, false);
		/* ring-full retries every ms, a due listing's room every 10 ms; else notifications
		 * wake us, and the dataplane's request for a listing is seen within 100 ms */
		struct pollfd p = {.fd = nl_socket_get_fd(f->notify), .events = POLLIN};
		poll(&p, 1, ctl_nl_pending_count(&f->pending) ? 1 : f->need_resync ? 10 : 100);
	}
	ctl_nl_dhcp_stop_all(f);
	f->st.running = 0;
	f->st.dhcp_clients = 0;
	ctl_nl_publish_stats(f);
	log_stats(f, true);
	return NULL;
}

static void destroy(struct ctl_nl_follow *f)
{
	close_sockets(f);
	svr_route_shm_close(&f->ring);
	ctl_nl_links_free(&f->links);
	ctl_nl_pending_free(&f->pending);
	ctl_nl_twins_free(&f->twins);
	pthread_mutex_destroy(&f->stats_lock);
	free(f->buf);
	free(f->rbuf);
	free(f);
}

struct ctl_nl_follow *ctl_nl_follow_start(struct svr_ctl *ctl, const char *netns,
					  const char *dhcp_client, char *err, size_t errlen)
{
	struct ctl_nl_follow *f = calloc(1, sizeof(*f));
	if (!f || strlen(netns) >= sizeof(f->netns) || strchr(netns, '/')) {
		snprintf(err, errlen,
			 f ? "\"%s\" is not a network namespace name" : "out of memory", netns);
		free(f);
		return NULL;
	}
	f->ctl = ctl;
	f->dhcp.client = dhcp_client;
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
	json_t *clients = json_array();
	pthread_mutex_lock((pthread_mutex_t *)&f->stats_lock);
	for (unsigned i = 0; i < f->n_dhcp_published; i++) {
		const struct ctl_dhcp_client *c = &f->dhcp_published[i];
		json_array_append_new(
		    clients, json_pack("{s:s, s:o, s:o, s:o}", "interface", c->iface, "pid",
				       c->pid ? json_integer(c->pid) : json_null(), "on-twin",
				       c->seen[0] ? json_string(c->seen) : json_null(), "lease",
				       c->lease[0] ? json_string(c->lease) : json_null()));
	}
	pthread_mutex_unlock((pthread_mutex_t *)&f->stats_lock);
	json_t *dhcp =
	    json_pack("{s:I, s:I, s:I, s:o}", "clients-running", (json_int_t)s.dhcp_clients,
		      "client-starts", (json_int_t)s.dhcp_starts, "lease-changes",
		      (json_int_t)s.dhcp_lease_changes, "clients", clients);
	return json_pack(
	    "{s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:o, s:I, s:I, s:I, s:I, s:I, s:I, "
	    "s:o}",
	    "namespace", f->netns, "running", (int)s.running, "routes-seen",
	    (json_int_t)s.routes_seen, "changes-written", (json_int_t)s.changes_written, "skipped",
	    (json_int_t)s.skipped, "malformed", (json_int_t)s.malformed, "without-interface",
	    (json_int_t)s.unknown_ifindex, "resyncs", why, "ring-full-waits",
	    (json_int_t)s.ring_full_waits, "dropped", (json_int_t)s.dropped, "twin-syncs",
	    (json_int_t)s.twin_syncs, "twin-errors", (json_int_t)s.twin_errors,
	    "last-listing-routes", (json_int_t)s.listing_routes, "last-listing-ms",
	    (json_int_t)s.listing_ms, "dhcp", dhcp);
}
