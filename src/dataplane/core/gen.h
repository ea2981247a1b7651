/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A configuration generation: what one policy image says about interfaces,
 * ports, routes and sessions, as every layer reads it. Built and published by
 * the main lcore (policy/apply.c); read-only afterwards.
 */
#ifndef SVR_CORE_GEN_H
#define SVR_CORE_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_ether.h>

#include "common/inet.h"
#include "core/config.h"

#define DP_NO_IFACE   0xffff
#define DP_MAX_PORTS  32
#define DP_VLAN_COUNT 4096
/* Table slots (l2l3/tfib.h): twice the tables one image may bind, so that a new generation
 * always finds slots its predecessor does not use, and a slot is reused only once no
 * generation in force has it. */
#define DP_TFIB_SLOTS 32

struct svr_fib;
struct svr_classifier;
struct dp_session_policy;
struct dp_host_access;

/* An L3 interface: a port, or one VLAN of a port. */
struct dp_iface {
	char name[DP_IFNAME_LEN];
	bool in_use;
	uint16_t port;
	uint16_t vlan; /* 0: untagged */
	uint16_t mtu;
	struct rte_ether_addr mac;
	unsigned n_addrs;
	struct svr_prefix addrs[DP_MAX_IFACE_ADDRS];
	bool source_nat;    /* sessions leaving here get its address as source (NAPT) */
	uint32_t img_index; /* this generation's image interface index */
};

/* How a port's frames map to interfaces: VLAN id -> interface slot, DP_NO_IFACE if none. */
struct dp_port_map {
	uint16_t vlan_iface[DP_VLAN_COUNT];
};

/*
 * One configuration generation, built by the main lcore from a policy image
 * and published with a release store; immutable afterwards. Workers load the
 * current one at the top of each poll loop and use only it until their next
 * quiescent state; an old one is freed after every worker has passed one.
 * Interface slots are stable across generations (by name), so neighbour
 * entries keyed by slot survive a re-apply.
 */
struct dp_gen {
	uint64_t generation; /* of the policy image; 0 for none */
	unsigned n_ports;
	uint16_t port_ids[DP_MAX_PORTS];            /* the ports workers poll */
	struct dp_port_map *port_map[DP_MAX_PORTS]; /* by port id; NULL: not in use */
	unsigned n_ifaces;                          /* slots [0, n_ifaces) may be in use */
	struct dp_iface ifaces[DP_MAX_IFACES];
	struct svr_fib *fib;
	bool owns_fib; /* false once a newer generation has taken the FIB over unchanged */
	/* FIBs of the kernel tables this generation's tenants are bound to, by table slot
	 * (l2l3/tfib.h): NULL where the slot's table is not bound now. Owned like fib. */
	struct svr_fib *tfib[DP_TFIB_SLOTS];
	uint32_t tfib_table[DP_TFIB_SLOTS]; /* the kernel table of each slot in use */
	bool owns_tfib[DP_TFIB_SLOTS];
	void *image;                       /* private copy of the policy image, owned */
	struct svr_classifier *classifier; /* first-packet lookups built from image, owned */
	struct dp_session_policy *spol;    /* what new sessions get, built from image, owned */
	size_t image_len;
	/* what may reach the kernel (kernel/access.h), built from image, owned */
	struct dp_host_access *host_access;
	unsigned n_static;
	struct dp_static_neigh {
		uint16_t iface;
		struct svr_ip ip;
	} * statics; /* static neighbours this generation installed */
};

#endif
