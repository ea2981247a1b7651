/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The route mirror (docs/routing.md, "The route mirror (svr-control)"): a thread of svr-control
 * in the router's kernel namespace that follows the kernel's routing tables and writes each
 * change into the instance's route ring (common/routering.h) for the dataplane, and keeps the
 * kernel twins' addresses those of the model (twins.h).
 */
#ifndef SVR_CONTROL_NETLINK_FOLLOW_H
#define SVR_CONTROL_NETLINK_FOLLOW_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct svr_ctl;

/* Why the mirror sent a full listing (SYNC_BEGIN, every route, SYNC_END). */
enum ctl_nl_resync_reason {
	CTL_NL_RESYNC_START,    /* svr-control started (or the namespace came) */
	CTL_NL_RESYNC_ASKED,    /* the dataplane asked (it started with an empty table) */
	CTL_NL_RESYNC_ENOBUFS,  /* the kernel dropped notifications: the socket overran */
	CTL_NL_RESYNC_OVERFLOW, /* the ring and the queue before it were full: changes dropped */
	CTL_NL_RESYNC_FLUSHED,  /* a link went down or away, or lost an IPv4 address: the kernel
				   removes routes then without telling; or a link was renamed */
	CTL_NL_RESYNC_RING,     /* the ring was broken and opened again */
	CTL_NL_RESYNC_REASONS,
};
extern const char *const ctl_nl_resync_names[CTL_NL_RESYNC_REASONS];

struct ctl_nl_stats {
	uint64_t routes_seen;     /* route messages read, from dumps and notifications */
	uint64_t changes_written; /* changes moved into the ring, markers too */
	uint64_t skipped;         /* routes the mirror does not carry (routemsg.h) */
	uint64_t malformed;
	uint64_t unknown_ifindex; /* changes written with no interface name */
	uint64_t resyncs[CTL_NL_RESYNC_REASONS];
	uint64_t ring_full_waits; /* 1 ms waits of a listing for the dataplane to make room */
	uint64_t dropped;         /* changes dropped when the queue overflowed */
	uint64_t twin_syncs, twin_errors;
	uint64_t listing_routes, listing_ms; /* the last full listing */
	uint64_t running;                    /* 1 once in the namespace with its sockets open */
	uint64_t dhcp_clients;               /* DHCP clients running now (dhcp.h) */
	uint64_t dhcp_starts, dhcp_lease_changes;
};

struct ctl_nl_follow;

/* Starts the mirror for ctl's instance and router in namespace netns (waits for it to exist,
 * trying every second), with dhcp_client (a program name or path) as the DHCP client of
 * interfaces whose address comes by DHCP. NULL with err. */
struct ctl_nl_follow *ctl_nl_follow_start(struct svr_ctl *ctl, const char *netns,
					  const char *dhcp_client, char *err, size_t errlen);
/* Stops it (within about 100 ms) and frees it; NULL: nothing. */
void ctl_nl_follow_stop(struct ctl_nl_follow *f);
void ctl_nl_follow_stats(const struct ctl_nl_follow *f, struct ctl_nl_stats *out);
/* The statistics as a JSON object (for GET /status); NULL f: JSON null. */
json_t *ctl_nl_follow_json(const struct ctl_nl_follow *f);

#endif
