/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SVR data path (docs/svr.md): peer-path slots, the first packets of SVR
 * sessions (metadata added, stripped, acknowledged) and the egress's session
 * creation from a packet's metadata. IPv4, TCP and UDP; no HMAC or metadata
 * encryption yet (Security ID 0).
 */
#ifndef SVR_PATH_H
#define SVR_PATH_H

#include <stdbool.h>
#include <stdint.h>

#include "main/dp.h"
#include "session/flow.h"
#include "session/table.h"

#define DP_MAX_SVR_PATHS 1024
#define SVR_WAYPORT_LO   16384 /* even ours, odd the peer's (O-18) */
#define SVR_WAYPORT_HI   65534

/* A peer path, in a slot stable across generations (sessions keep its index). */
struct dp_svr_path {
	uint32_t local, remote; /* waypoint addresses, network order */
	char peer[33];          /* the peer router's name */
	char name[80];          /* "neighborhood/interface": the peer path id we send */
};

/* Main lcore, when a generation is built: the slot of a path, appended when new; -1 if full. */
int dp_svr_path_slot(const char *peer, const char *name, uint32_t local, uint32_t remote);
const struct dp_svr_path *dp_svr_path(uint16_t slot);

/*
 * Worker, for a packet of a session whose direction has SVR metadata work
 * (SVR_RW_MD_ANY): strips arriving metadata and acknowledges, translates the
 * packet to its rewrite (in full), adds metadata when due. f: the flow as
 * parsed (the original tuple). Returns false when the packet was dropped.
 */
bool dp_svr_packet(struct dp_worker *w, const struct dp_gen *g, struct rte_mbuf *m, uint8_t *ip,
		   const struct svr_flow4 *f, struct svr_session *s, enum svr_sdir dir);

#endif
