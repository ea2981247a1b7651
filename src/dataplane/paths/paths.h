/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Peer-path liveness (docs/paths.md): one BFD session (common/bfd.h) per peer path of the running
 * model, on UDP 1280 between the path's two waypoints.
 *
 * Who runs what: workers hand every packet for one of our addresses to UDP 1280 to the main lcore
 * through a ring of their own (never the punt ring, so an ARP or ICMP burst cannot starve BFD);
 * the main lcore checks them, runs the state machines and the timers, and sends. Whether each
 * path may carry new sessions is published to every thread with one atomic byte per path slot
 * (dp_paths_usable).
 */
#ifndef SVR_DP_PATHS_H
#define SVR_DP_PATHS_H

#include <stdbool.h>
#include <stdint.h>

struct dp_gen;
struct dp_worker;
struct rte_mbuf;

/* Startup (main lcore): the workers' rings. 0, or -1 logged. */
int dp_paths_init(unsigned n_workers);
void dp_paths_free(void);

/* Worker, for a packet to UDP 1280 at one of our addresses (local), from remote, received on
 * iface: SVR_DROP_MAX (none) when it comes from a peer path of g and within that path's budget on
 * this worker (a flood costs the main lcore nothing, and only that path's packets are lost to it),
 * else the reason to drop it. */
enum svr_drop_reason dp_paths_admit(struct dp_worker *w, const struct dp_gen *g, uint32_t local,
				    uint32_t remote, uint16_t iface);

/* Worker: an admitted packet: the main lcore takes it (or it is dropped and counted
 * bfd-ring-full). */
void dp_paths_rx(struct dp_worker *w, struct rte_mbuf *m);

/* Main lcore, every turn of its loop: received packets first (at most a ring's worth from each
 * worker, so a flood cannot hold the loop; and so a late turn cannot declare a path down for
 * packets waiting in a ring), then expired detection times, then packets due. Returns the
 * microseconds until the next deadline, for the loop's idle sleep (0 when it took packets). */
uint64_t dp_paths_poll(void);

/* Main lcore, once generation g is published: starts a session on each new path, applies changed
 * timers (a BFD Poll Sequence), and takes down the paths g no longer has. */
void dp_paths_generation(const struct dp_gen *g);

/* Any thread: whether the path in slot may carry new sessions: BFD up for its hold-down (or BFD
 * disabled on it). */
bool dp_paths_usable(uint16_t slot);

/* Main lcore: whether the path in slot works now: BFD up (hold-down or not), or in the model
 * with BFD disabled. A live session leaves a path that does not. */
bool dp_paths_alive(uint16_t slot);

/* Main lcore: changes whenever a service's paths' liveness, SLA state, choice, revert readiness
 * or dwell changes: the migration sweep runs again (session/migrate.c). */
uint32_t dp_paths_choice_epoch(void);

/* Main lcore: counts the times a path's live sessions had to re-send metadata because an
 * address between the routers moved (a NAT's outside address, a learned peer's): the migration
 * sweep runs again when it changes, and moves the sessions of each path with
 * dp_paths_nat_moved_since(slot, the count its last pass acted on) to new waypoint ports on that
 * same path (session/migrate.c). */
uint32_t dp_paths_nat_epoch(void);
bool dp_paths_nat_moved_since(uint16_t slot, uint32_t epoch);

#endif
