/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dataplane's startup configuration (docs/startup-config.md): process
 * settings only — interfaces and routes come from policy images. Parsed and
 * validated in full before EAL starts, so a bad file fails with the JSON path
 * of the offending field and nothing half-started. No DPDK here.
 */
#ifndef SVR_DP_CONFIG_H
#define SVR_DP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/inet.h"
#include "common/jsonutil.h"

#define DP_MAX_IFACES        64
#define DP_MAX_IFACE_ADDRS   8
#define DP_MAX_ROUTES        1024
#define DP_MAX_STATIC_NEIGHS 256
#define DP_MAX_WORKERS       16
#define DP_MAX_EXTRA_ARGS    32
#define DP_MAX_PCI           32
#define DP_IFNAME_LEN        16
#define DP_DEVARGS_LEN       512
#define DP_NETNS_LEN         64 /* a namespace name, NUL included */

struct dp_config {
	char instance[33];
	char runtime_dir[256];
	char socket_path[300];

	char lcores[128];
	int main_lcore; /* -1: first of lcores */
	unsigned memory_mb;
	bool huge_pages;
	unsigned n_extra_args;
	char extra_args[DP_MAX_EXTRA_ARGS][256];

	unsigned n_workers; /* 0: every lcore but the main one */
	unsigned workers[DP_MAX_WORKERS];
	unsigned mbufs;
	unsigned burst;

	unsigned spin_polls;
	unsigned min_sleep_us;
	unsigned max_sleep_us;

	unsigned neigh_max;
	unsigned neigh_reachable_s;
	unsigned neigh_probes;
	unsigned neigh_probe_interval_ms;
	unsigned neigh_queue_len;

	unsigned session_capacity;
	char svr_key_file[256];     /* SVR keys between routers (docs/svr.md) */
	unsigned session_capacity6; /* 0 until parsed: capacity / DP_SESSIONS_IPV6_SHARE */
	/* session extension slots and duplicate windows (session/ext.h); 0 until parsed */
	unsigned ext_slots, dup_windows;

	unsigned icmp_rate;
	unsigned icmp_burst;

	unsigned kernel_routes; /* routes mirrored from the kernel at most; 0: none (routing.*) */
	/* The kernel twins (docs/routing.md, "The exception path"): off unless "kernel" is given.
	 */
	bool kernel;
	char kernel_ns[DP_NETNS_LEN]; /* a named network namespace; "": the dataplane's own */
	unsigned kernel_rate;         /* frames per second per twin and direction */
	unsigned kernel_burst;

	unsigned n_pci;
	char pci[DP_MAX_PCI][32]; /* EAL allowlist (-a) */
};

#define DP_NEIGH_QUEUE_MAX 16

#define DP_KERNEL_ROUTES_MAX     (1u << 22) /* 4M /24s or shorter; longer: see docs/routing.md */
#define DP_KERNEL_ROUTES_DEFAULT 65536u     /* with a "kernel" section */
/* Kernel routes make every FIB live: a second IPv4 and IPv6 table, about 80 MiB with their
 * tbl8 pools. Up to three FIBs exist at once (the one in force, one a new generation builds, one
 * retiring); each route is held by the RIB and by two FIBs. Plus the FIBs of the tables tenants
 * are bound to (l2l3/tfib.h): 16 of about 7.5 MiB, twice while a generation replaces another. */
#define DP_KERNEL_ROUTES_TABLES_MB   640u
#define DP_KERNEL_ROUTE_BYTES_BUDGET 1024u
#define DP_KERNEL_RATE_DEFAULT       1000 /* frames/s per twin and direction */
#define DP_KERNEL_BURST_DEFAULT      200

#define DP_SESSIONS_DEFAULT 1000000u /* sessions; memory: docs/sessions.md */
#define DP_SESSIONS_MIN     1024u
#define DP_SESSIONS_MAX     (1u << 24)
/* Session extension slots (a 16-bit number) and duplicate windows: the defaults one per 512 and
 * one per 2,048 sessions of capacity */
#define DP_EXT_SLOTS_MIN       256
#define DP_EXT_SLOTS_MAX       65000 /* below SVR_VIA_TABLE0: a slot number stands in a via */
#define DP_EXT_PER_SESSIONS    512
#define DP_DUP_WINDOWS_MIN     64
#define DP_DUP_PER_SESSIONS    2048
#define DP_SESSIONS_IPV6_SHARE 32 /* default IPv6 share of the capacity: a thirty-second */
/* Memory reserved per session of capacity when eal.memory-mb is not given (measured ~260). */
#define DP_SESSION_BYTES_BUDGET 320u

/*
 * Fills c with defaults, then the file. instance (--instance; NULL: none) is the instance when
 * the file names none; a file naming another one is refused. Returns 0, or -1 with e->msg set.
 */
int dp_config_load(const char *path, const char *instance, struct dp_config *c, struct svr_jerr *e);
/* Same, from a JSON text (unit tests). */
int dp_config_parse_instance(const char *text, const char *instance, struct dp_config *c,
			     struct svr_jerr *e);
/* dp_config_parse_instance without an instance given. */
int dp_config_parse(const char *text, struct dp_config *c, struct svr_jerr *e);
/*
 * Expands an lcore list ("0-2,4", or with the CPU each runs on: "0@0,1-2@1") into ids;
 * returns the count or -1.
 */
int dp_parse_lcore_list(const char *s, unsigned *ids, unsigned max);
/* EAL's --lcores argument for a list that maps lcores to CPUs ("0@0,1-2@1" -> "0@0,(1-2)@1"):
 * 0, or -1 when out (len bytes) is too small. */
int dp_eal_lcores_map(const char *s, char *out, size_t len);
/* True when a device string names a PCI address rather than a vdev. */
bool dp_device_is_pci(const char *device);

#endif
