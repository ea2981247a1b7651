/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the route mirror reads from the kernel (follow_int.h): notifications of routes, links
 * and addresses, and the dumps of a full listing.
 *
 * Ordering: the notification socket is subscribed before any dump, so a change the dump missed
 * is queued on it and replayed after the listing (a change the dump already had is replayed too:
 * an ADD of a route the dataplane has replaces it, a DEL of one it does not have is nothing).
 */
#include <errno.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>

#include "common/log.h"
#include "netlink/follow_int.h"
#include "netlink/nlsock.h"
#include "netlink/routemsg.h"

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
	ctl_nl_emit(f, &c);
}

static void on_link(struct ctl_nl_follow *f, struct nlmsghdr *h)
{
	if (!nlmsg_valid_hdr(h, sizeof(struct ifinfomsg)))
		return;
	const struct ifinfomsg *ifi = nlmsg_data(h);
	const struct ctl_nl_link *old = ctl_nl_links_get(&f->links, (uint32_t)ifi->ifi_index);
	bool was_up = old && (old->flags & IFF_UP), known = old != NULL;
	struct ctl_nl_link l;
	switch (ctl_nl_links_apply(&f->links, h, &l)) {
	case CTL_NL_LINK_NEW:
		ctl_nl_twin_dirty(f, l.name); /* a twin appeared (or was renamed into one) */
		if (known) /* renamed: the routes through it, named by the old name, again */
			ctl_nl_want_resync(f, CTL_NL_RESYNC_FLUSHED, FLUSH_DELAY_MS);
		break;
	case CTL_NL_LINK_CHANGED:
		if (!(l.flags & IFF_UP))
			ctl_nl_twin_dirty(f, l.name);
		if (was_up && !(l.flags & IFF_UP))
			ctl_nl_want_resync(f, CTL_NL_RESYNC_FLUSHED, FLUSH_DELAY_MS);
		break;
	case CTL_NL_LINK_GONE:
		ctl_nl_want_resync(f, CTL_NL_RESYNC_FLUSHED, FLUSH_DELAY_MS);
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
		ctl_nl_twin_dirty(
		    f, l->name); /* someone else changed a twin's addresses: ours again */
	if (ifa->ifa_family == AF_INET)
		f->dhcp.addr_dirty = true; /* maybe a lease (dhcp.h) */
	if (h->nlmsg_type == RTM_DELADDR && ifa->ifa_family == AF_INET)
		ctl_nl_want_resync(f, CTL_NL_RESYNC_FLUSHED, FLUSH_DELAY_MS);
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
		ctl_nl_flush(f);
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

/* SYNC_BEGIN, every route of both families, SYNC_END. The links first, so that routes have
 * their interfaces' names. */
void ctl_nl_full_listing(struct ctl_nl_follow *f, enum ctl_nl_resync_reason reason)
{
	uint64_t t0 = ctl_nl_now_ms(), seen0 = f->st.routes_seen;
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
	ctl_nl_mark_twins_dirty(f);
	f->listing = true;
	ctl_nl_emit_marker(f, SVR_ROUTE_SYNC_BEGIN);
	if (dump(f, RTM_GETROUTE, AF_INET) < 0 || dump(f, RTM_GETROUTE, AF_INET6) < 0)
		goto failed;
	ctl_nl_emit_marker(f, SVR_ROUTE_SYNC_END);
	ctl_nl_flush(f);
	f->listing = false;
	if (f->listing_failed)
		goto failed;
	f->st.listing_routes = f->st.routes_seen - seen0;
	f->st.listing_ms = ctl_nl_now_ms() - t0;
	LOG_NOTICE("route mirror: full listing (%s): %llu routes read in %llu ms, %llu links",
		   ctl_nl_resync_names[reason], (unsigned long long)f->st.listing_routes,
		   (unsigned long long)f->st.listing_ms, (unsigned long long)f->links.n);
	ctl_nl_publish_stats(f);
	return;
failed:
	f->listing = false;
	f->listing_failed = false;
	reopen_dump_socket(f);
	ctl_nl_want_resync(f, f->dropping ? CTL_NL_RESYNC_OVERFLOW : reason, 1000);
	LOG_WARN("route mirror: full listing (%s) not completed; another follows",
		 ctl_nl_resync_names[reason]);
}

/* Whether a due listing may start: its time has come and the dataplane has taken at least half
 * of the ring (a listing into a full ring would only stall). */
bool ctl_nl_resync_ready(const struct ctl_nl_follow *f)
{
	return f->need_resync && ctl_nl_now_ms() >= f->resync_at_ms &&
	       ctl_nl_ring_used(f) <= (uint64_t)f->ring.mask / 2;
}

/* Reads what the notification socket holds, a bounded number of rounds. */
void ctl_nl_read_notifications(struct ctl_nl_follow *f)
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
				ctl_nl_want_resync(f, CTL_NL_RESYNC_ENOBUFS, 0);
				continue;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				LOG_ERR("route mirror: notifications: %s", strerror(errno));
			return;
		}
		for (int i = 0; i < n; i++) {
			if (mm[i].msg_hdr.msg_flags & MSG_TRUNC)
				ctl_nl_want_resync(f, CTL_NL_RESYNC_ENOBUFS,
						   0); /* one lost: as if dropped */
			int left = (int)mm[i].msg_len;
			for (struct nlmsghdr *h = iov[i].iov_base; nlmsg_ok(h, left);
			     h = nlmsg_next(h, &left))
				on_message(f, h);
		}
		ctl_nl_flush(f);
		if (n < RECV_VLEN)
			return;
	}
}
