/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SVR data path (docs/svr.md), one file per concern:
 *   path.c     peer-path slots and what each generation says about them (this header);
 *   keys.c     the key ring: the key file loaded, reloaded, checked (keys.h);
 *   first.c    first packets: metadata built and read, UUIDs claimed against replay (first.h);
 *   datapath.c the hit path: HMAC trailers, metadata stripped, payloads (datapath.h);
 *   show.c     the operator's view, "svrctl show peers" (registers its command);
 *   replay.c   the replay memory itself (replay.h);
 *   icmp.c     ICMP errors about sessions carried between the routers (below; the
 *              message itself: icmp.h);
 *   internal.h what those files share and no other folder sees.
 * This header includes keys.h, first.h and datapath.h: the layer's whole interface for the
 * folders that call it. IPv4, TCP and UDP.
 */
#ifndef SVR_PATH_H
#define SVR_PATH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/gen.h"
#include "core/worker.h"
#include "flow/state.h"
#include "flow/table.h"
#include "svr/image.h"
#include "svr/metadata.h"
#include "svrpath/datapath.h"
#include "svrpath/first.h"
#include "svrpath/keys.h"

#define DP_MAX_SVR_PATHS 1024
/* ours even in [16384, 65534], the peer's odd in [16385, 65533] (svr-protocol.md 3.1, O-18) */
#define SVR_WAYPORT_LO      16384
#define SVR_WAYPORT_HI      65534
#define SVR_PEER_WAYPORT_LO 16385 /* the peer's, unless its neighborhood says "port-range" */
#define SVR_PEER_WAYPORT_HI 65533

/* A peer path's identity, in a slot stable across generations (sessions keep its index);
 * written once, when the slot is appended, except a learned path's binding. */
struct dp_svr_path {
	uint32_t local, remote; /* waypoint addresses, network order; remote 0: learned */
	char peer[33];          /* the peer router's name */
	char name[80];          /* "neighborhood/interface": the peer path id we send */
	/* A learned path (the peer behind a NAT or on DHCP, docs/paths.md "Peers behind NAT and
	 * learned addresses"): where the peer's authenticated BFD last came from, the address in
	 * bits 0-31 and the UDP port in 32-47 (both network order); 0: not learned yet. Written by
	 * the main lcore (release), read by workers finding a packet's path (acquire). */
	_Atomic uint64_t binding;
};

/* The peer's waypoint address on path p: the configured one, or the learned one (0: none yet).
 * Per packet: inline, one load. */
static inline uint32_t dp_svr_path_remote(const struct dp_svr_path *p)
{
	if (p->remote != 0)
		return p->remote;
	return (uint32_t)atomic_load_explicit(&p->binding, memory_order_acquire);
}

/* The UDP port the peer's BFD comes from on a learned path (network order; 0: none), else
 * 1280's. */
static inline uint16_t dp_svr_path_remote_bfd_port(const struct dp_svr_path *p)
{
	if (p->remote != 0)
		return 0;
	return (uint16_t)(atomic_load_explicit(&p->binding, memory_order_acquire) >> 32);
}

/*
 * What one generation says about a path slot (struct dp_session_policy.svr_paths, by slot):
 * a worker reads the settings of the generation it runs under, never a mix of two.
 */
struct dp_svr_path_policy {
	bool in_model;      /* false: not in this model: no new session, live ones dropped */
	const char *vector; /* the neighborhood's vector ("" none), in the generation's image */
	uint8_t hmac;       /* enum svr_img_hmac */
	bool time_based;    /* hmac-mode time-based */
	uint8_t encryption; /* enum svr_img_cipher */
	uint16_t iface;     /* our interface slot on the path (its MTU bounds what SVR adds) */
	uint16_t peer_port_lo, peer_port_hi; /* the peer's receive ports */
	/* BFD on the path (paths/): RFC 5880's desired min tx and required min rx, multiplier;
	 * bfd_enabled false: the path counts as up without BFD */
	uint32_t bfd_tx_us, bfd_rx_us;
	uint8_t bfd_mult;
	bool bfd_enabled;
	/* up this long before usable, raised by flaps up to the maximum (seconds) */
	uint16_t hold_down_s, max_hold_down_s;
	/* echo link tests: every interval, length packets echo_ms apart */
	uint16_t link_test_interval_s, link_test_length, echo_interval_ms;
	/* where the path's own packets (BFD, echo) go first: the remote when on our interface's
	 * subnet, else its gateway; family 0: the FIB decides */
	struct svr_ip nexthop;
	/* the peer cannot be reached first: its address is learned from its BFD (learned), and
	 * behind a NAT we never open sessions toward it (no_initiate) */
	bool learned, no_initiate;
};

/*
 * Whether a path's packets carry an HMAC trailer: the one test behind the
 * session's SVR_RW_HMAC_* flags (creation), the first packet from a peer and
 * every hit. An HMAC the image checker would not know never gets here; were
 * one to, its trailer length is 0 and verification fails, so it is dropped,
 * never taken as unsigned.
 */
static inline bool dp_svr_path_signed(const struct dp_svr_path_policy *p)
{
	return p->hmac != SVR_HMAC_NONE;
}

/*
 * The SVR data packets of each peer path, counted by every worker apart (the in-band path
 * metrics, TLV 26, of paths/ read them): packets of SVR sessions sent toward the peer and received
 * from it on the path, counted once they passed dp_svr_packet. One plain increment a packet on
 * the worker's own cache lines (its row is aligned), no atomic read-modify-write; the main lcore
 * sums the rows with relaxed loads. Free-running: they wrap at 2^32.
 */
struct dp_svr_path_packets {
	uint32_t to_peer[DP_MAX_SVR_PATHS];
	uint32_t from_peer[DP_MAX_SVR_PATHS];
} __rte_cache_aligned;
extern struct dp_svr_path_packets dp_svr_path_packets_by_worker[DP_MAX_WORKERS];

/* Worker w (its index), per SVR data packet that passed on the path at slot. */
static inline void dp_svr_path_packet(unsigned w, uint16_t slot, bool to_peer)
{
	struct dp_svr_path_packets *c = &dp_svr_path_packets_by_worker[w];
	uint32_t *n = to_peer ? &c->to_peer[slot] : &c->from_peer[slot];
	/* only this worker writes it: a relaxed load and store compile to a plain increment */
	__atomic_store_n(n, __atomic_load_n(n, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
}

/* Main lcore: the data packets all workers sent toward the peer (to_peer) or received from it on
 * the path at slot so far (mod 2^32; a packet counted in the last moment may be missed until the
 * next read). */
uint32_t dp_svr_path_packets(uint16_t slot, bool to_peer);

/* Main lcore, when a generation is built: the slot of a path, appended when new; -1 if full.
 * remote 0: a learned path (its binding follows the peer's BFD). */
int dp_svr_path_slot(const char *peer, const char *name, uint32_t local, uint32_t remote);
/* Main lcore: what a new generation says about a path: the image's path ipp (its security
 * policy or none, the peer's receive ports (0, 0: the default range), its BFD timers) and our
 * interface slot on it. */
struct svr_img_peer_path;
void dp_svr_path_policy_fill(struct dp_svr_path_policy *pp, const void *img,
			     const struct svr_img_peer_path *ipp, uint16_t iface);
const struct dp_svr_path *dp_svr_path(uint16_t slot);
/* Main lcore: a learned path's binding (the peer's address | its UDP port << 32, network order;
 * 0: forgotten), published to the workers. */
void dp_svr_path_bind(uint16_t slot, uint64_t binding);

/* How many slots were appended (the main lcore appends; read with acquire). */
unsigned dp_svr_path_count(void);

/* What generation g says about a slot (a slot newer than g: not in its model). Per packet:
 * inline. */
static inline const struct dp_svr_path_policy *dp_svr_path_policy(const struct dp_gen *g,
								  uint16_t slot)
{
	return &g->spol->svr_paths[slot]; /* DP_MAX_SVR_PATHS of them, unknown ones zero */
}

/* Set by the liveness code above this layer (paths/): the JSON "peers" shows as a path's "bfd"
 * (NULL: nothing shown). Main lcore. */
struct json_t;
extern struct json_t *(*dp_svr_path_show_liveness)(uint16_t slot);
/* Set by session/degraded.c: the peers this router is degraded towards ("degraded" in "peers"). */
extern struct json_t *(*dp_svr_peers_show_degraded)(void);

/* The slot of g's path between our waypoint local and the peer's remote (a learned path: where
 * its peer was learned to be), or -1. */
int dp_svr_path_find(const struct dp_gen *g, uint32_t local, uint32_t remote);

/* The SVR_RW_* flags a path's security adds: signing toward the peer, checking from it. */
uint8_t dp_svr_hmac_flags(const struct dp_gen *g, uint16_t slot, bool to_peer);

/*
 * An ingress session's waypoints on path slot (svr-protocol.md 3.1): *rev gets the key the
 * peer's packets come back with (its ports for the table to settle), *place how: an even port
 * of ours and an odd one in the peer's range, within limit sessions.
 */
static inline void dp_svr_waypoint_place(const struct dp_gen *g, uint16_t slot, uint8_t proto,
					 uint16_t ctx, uint32_t limit, struct svr_skey4 *rev,
					 struct svr_session_place *place)
{
	const struct dp_svr_path *p = dp_svr_path(slot);
	const struct dp_svr_path_policy *pp = dp_svr_path_policy(g, slot);
	*rev = (struct svr_skey4){
	    .src = dp_svr_path_remote(p), .dst = p->local, .proto = proto, .ctx = ctx};
	*place = (struct svr_session_place){.limit = limit,
					    .nat_lo = SVR_WAYPORT_LO,
					    .nat_hi = SVR_WAYPORT_HI,
					    .nat_port_off = offsetof(struct svr_skey4, dport),
					    .waypoint_pair = true,
					    .pair_port_off = offsetof(struct svr_skey4, sport),
					    .pair_lo = pp->peer_port_lo,
					    .pair_hi = pp->peer_port_hi};
}

/*
 * ICMP errors about SVR sessions (svrpath/icmp.c, docs/svr.md "ICMP errors").
 * Each returns true when m is ready to route (to its IP destination), false
 * when it was dropped (counted).
 * - dp_svr_icmp_to_peer: an ICMP error from our side about session s, going
 *   in direction dir (toward the peer; inner_off: its quoted packet), made an
 *   SVR ICMP error message signed with the session's key.
 * - dp_svr_icmp_open: an SVR ICMP error message from the peer on s's
 *   direction dir, checked (path, side, trailer) and opened into the plain
 *   ICMP error it carries (still quoting the waypoint tuple).
 * - dp_svr_icmp_unsigned: a plain ICMP error from the WAN about s (direction
 *   dir, toward our endpoint): "fragmentation needed" is translated for the
 *   endpoint with the MTU less what SVR adds; anything else is dropped
 *   (svr-icmp-unsigned).
 */
bool dp_svr_icmp_to_peer(struct dp_worker *w, const struct dp_gen *g, struct rte_mbuf *m,
			 uint8_t *ip, uint32_t inner_off, struct svr_session *s, enum svr_sdir dir);
bool dp_svr_icmp_open(struct dp_worker *w, const struct dp_gen *g, struct rte_mbuf *m, uint8_t *ip,
		      const struct svr_session *s, enum svr_sdir dir);
bool dp_svr_icmp_unsigned(struct dp_worker *w, const struct dp_gen *g, struct rte_mbuf *m,
			  uint8_t *ip, uint32_t inner_off, const struct svr_session *s,
			  enum svr_sdir dir);

/* Whether interface slot iface carries a peer path of generation g (a WAN side). ICMP errors
 * only, not per packet: a walk of the paths. */
bool dp_svr_iface_has_path(const struct dp_gen *g, uint16_t iface);
/* The slot that has, in g's model, the path of slot (out of it) under another waypoint of ours:
 * the same peer, neighborhood and interface, and remote (our DHCP interface's new lease); -1
 * when none. Its sessions wait to move there (session/migrate.c) rather than end. */
int dp_svr_path_successor(const struct dp_gen *g, uint16_t slot);

#endif
