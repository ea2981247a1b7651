/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DHCP on WAN interfaces (docs/routing.md, "DHCP on a WAN interface"), the route mirror
 * thread's part: for each interface the model marks "dhcp": true, a DHCP client (Debian's
 * udhcpc) on the interface's kernel twin, started in the twin's namespace, restarted when it
 * dies or its twin is made again, stopped when the model no longer asks for it. The client's
 * script (written by svr-control) puts the lease on the twin, records it in the state directory
 * (dhcp-IF.lease) and adds a default route through the lease's router; the twin's address, when
 * it is the recorded lease and steady, becomes the interface's lease in the images svr-control
 * compiles (ctl.h svr_ctl_set_lease).
 */
#ifndef SVR_CONTROL_NETLINK_DHCP_H
#define SVR_CONTROL_NETLINK_DHCP_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define CTL_DHCP_STEADY_MS 300 /* a new lease on the twin this long is compiled in */
#define CTL_DHCP_LOSS_MS                                                                           \
	5000                   /* no lease this long is compiled in: a NAK's re-discovery          \
				  (the client waits 3 s) goes from one lease to the next */
#define CTL_DHCP_RETRY_MS 5000 /* a lease the model would not compile with, tried again */
#define CTL_DHCP_MAX      64   /* a router has at most 64 interfaces */

struct ctl_dhcp_client {
	char iface[IF_NAMESIZE];
	bool wanted;          /* the model in force asks for it */
	pid_t pid;            /* 0: not running */
	uint32_t ifindex;     /* the twin the client runs on */
	uint8_t mac[6];       /* the twin's MAC when the client started (its client id) */
	unsigned backoff_ms;  /* before the next start after an exit */
	uint64_t start_at_ms; /* not before */
	char seen[32];        /* the lease on the twin now (its address, the recorded lease), "" */
	uint64_t seen_at_ms;  /* when seen last changed */
	char lease[32];       /* what svr-control compiles in, "" none */
	uint64_t retry_at_ms; /* after a lease that did not compile */
};

struct ctl_dhcp {
	struct ctl_dhcp_client v[CTL_DHCP_MAX];
	unsigned n;
	bool addr_dirty;            /* an address notification: read the twins' addresses */
	uint64_t addr_read_ms;      /* read at least once a second anyway */
	char script[300], dir[280]; /* the client's script, and the state directory */
	const char *client;         /* the DHCP client's program (PATH searched) */
};

struct ctl_nl_follow;

/* Writes the client's script into the state directory (once, at the thread's start). */
int ctl_nl_dhcp_init(struct ctl_nl_follow *f);
/* After the model changed: which interfaces want a client. */
void ctl_nl_dhcp_model(struct ctl_nl_follow *f);
/* Each turn of the thread's loop: start, reap, stop clients; leases. */
void ctl_nl_dhcp_step(struct ctl_nl_follow *f);
/* Stops every client (SIGTERM to all, then waited for together): the leases stay on the
 * twins. They start again at the next step (after the namespace was made again). */
void ctl_nl_dhcp_stop_all(struct ctl_nl_follow *f);

#endif
