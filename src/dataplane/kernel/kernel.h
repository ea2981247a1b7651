/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The kernel twins (docs/routing.md, "The exception path"): one persistent TAP device per
 * router interface, of its name, MAC and MTU, in the router's kernel namespace
 * (startup "kernel" section). Packets for the router that the dataplane does not answer go
 * up to the kernel through them, what the kernel sends on them goes out of the interface;
 * both ways policed per twin and counted. Main lcore only: workers never touch a twin.
 */
#ifndef SVR_KERNEL_KERNEL_H
#define SVR_KERNEL_KERNEL_H

#include <stdbool.h>
#include <stdint.h>

struct dp_gen;
struct rte_mbuf;

/* At startup, before the first generation: opens the configured namespace. 0, or -1 (logged)
 * when it does not exist. Without a "kernel" section: nothing, 0. */
int dp_kernel_init(void);
/* Closes the twins' descriptors; the devices stay (persistent) for the next start. */
void dp_kernel_shutdown(void);
/* Whether the twins are on (the startup file has a "kernel" section). */
bool dp_kernel_on(void);

/* After generation g is published: a twin for each interface in use (created, or attached to
 * the existing device of its name) with the interface's MAC and MTU, up; the twins of
 * interfaces g no longer has are deleted. */
void dp_kernel_generation(const struct dp_gen *g);
/* Every ~100 ms: each twin's carrier follows its port's link. */
void dp_kernel_housekeeping(void);

/* A packet for the router the dataplane does not answer (meta: iface_in, l3_off): up to its
 * interface's twin if the exception policy admits it and the twin's rate allows; else dropped
 * and counted (host-access-denied, kernel-rate-limited, kernel-unreachable). Takes m. */
void dp_kernel_up(struct rte_mbuf *m);
/* A copy of an ARP or neighbour-discovery frame the dataplane handles (before it rewrites it),
 * so that the kernel learns its neighbours: within the twin's rate, no policy. m stays the
 * caller's. */
void dp_kernel_copy(struct rte_mbuf *m);
/* Frames the kernel sent on its twins, at most max, each in an mbuf from the pool with its
 * Ethernet header at offset 0 (l3_off 14) and iface_out its twin's interface: the caller sends
 * them out of that interface. Policed and counted here. */
unsigned dp_kernel_down(struct rte_mbuf **out, unsigned max);

#endif
