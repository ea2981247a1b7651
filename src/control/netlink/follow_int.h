/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The route mirror's insides, shared by its files (follow.h is its face):
 *   follow.c    the thread: namespace, sockets, the loop, statistics
 *   listen.c    what it reads: notifications and the dumps of a full listing
 *   ringout.c   what it writes: the queue, the ring, a full ring
 *   twinsync.c  the twins the model asks for, brought in line
 * Everything here but the statistics' copy for other threads is the mirror thread's own.
 */
#ifndef SVR_CONTROL_NETLINK_FOLLOW_INT_H
#define SVR_CONTROL_NETLINK_FOLLOW_INT_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/routering.h"
#include "netlink/dhcp.h"
#include "netlink/follow.h"
#include "netlink/links.h"
#include "netlink/pending.h"
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

struct nl_sock;
struct svr_ctl;

struct ctl_nl_follow {
	struct svr_ctl *ctl;
	char netns[256];
	pthread_t thread;
	atomic_bool stop;
	pthread_mutex_t stats_lock;
	struct ctl_nl_stats published;                       /* under stats_lock */
	struct ctl_dhcp_client dhcp_published[CTL_DHCP_MAX]; /* under stats_lock */
	unsigned n_dhcp_published;

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
	uint64_t netns_id, netns_checked_ms; /* the namespace followed, when last checked */
	struct ctl_nl_twins twins;
	uint64_t model_gen;
	const json_t *model_seen;
	struct ctl_dhcp dhcp;
	uint8_t *buf;  /* DUMP_BUF */
	uint8_t *rbuf; /* RECV_VLEN * RECV_MSG */
};

/* follow.c */
uint64_t ctl_nl_now_ms(void);
void ctl_nl_sleep_ms(unsigned ms);
bool ctl_nl_stopping(const struct ctl_nl_follow *f);
void ctl_nl_publish_stats(struct ctl_nl_follow *f);

/* ringout.c */
void ctl_nl_want_resync(struct ctl_nl_follow *f, enum ctl_nl_resync_reason reason,
			unsigned delay_ms);
uint64_t ctl_nl_ring_used(const struct ctl_nl_follow *f);
int ctl_nl_open_ring(struct ctl_nl_follow *f);
void ctl_nl_flush(struct ctl_nl_follow *f);
void ctl_nl_emit(struct ctl_nl_follow *f, const struct svr_route_change *c);
void ctl_nl_emit_marker(struct ctl_nl_follow *f, enum svr_route_op op);

/* listen.c */
void ctl_nl_full_listing(struct ctl_nl_follow *f, enum ctl_nl_resync_reason reason);
bool ctl_nl_resync_ready(const struct ctl_nl_follow *f);
void ctl_nl_read_notifications(struct ctl_nl_follow *f);

/* twinsync.c */
void ctl_nl_twin_dirty(struct ctl_nl_follow *f, const char *name);
void ctl_nl_mark_twins_dirty(struct ctl_nl_follow *f);
void ctl_nl_check_model(struct ctl_nl_follow *f);
void ctl_nl_sync_twins(struct ctl_nl_follow *f);

#endif
