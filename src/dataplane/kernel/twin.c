/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Creating, attaching, refreshing and deleting the kernel twins: persistent TAP devices in the
 * router's kernel namespace, one per interface in use. Only opening /dev/net/tun and the ioctl
 * socket needs the namespace (a TAP device is created in the namespace of whoever opened the
 * descriptor, an ioctl socket works on the namespace it was created in), so a short-lived
 * thread enters the namespace for those opens and the main lcore, in its own namespace,
 * does the rest with the descriptors, which stay valid after the thread ends.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "common/log.h"
#include "core/dp.h"
#include "kernel/kernel.h"
#include "kernel/twin.h"

struct dp_kernel_state dp_kernel = {.nsfd = -1, .sock = -1};

/* What the namespace thread opens: n TAP queues, and the ioctl socket when sock asks. */
struct ns_job {
	int nsfd;
	unsigned n;
	int tun[DP_MAX_IFACES];
	bool want_sock;
	int sock;
	int err;
	const char *what;
};

static void ns_opens(struct ns_job *j)
{
	if (j->want_sock) {
		j->sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (j->sock < 0) {
			j->err = errno;
			j->what = "socket";
			return;
		}
	}
	for (unsigned i = 0; i < j->n; i++) {
		j->tun[i] = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (j->tun[i] < 0) {
			j->err = errno;
			j->what = "/dev/net/tun";
			return;
		}
	}
}

/* setns() changes the namespace of the calling thread only: this thread's, never the main
 * lcore's, whose af_packet devices and sockets belong to the dataplane's namespace. */
static void *ns_thread(void *arg)
{
	struct ns_job *j = arg;
	if (setns(j->nsfd, CLONE_NEWNET) < 0) {
		j->err = errno;
		j->what = "setns";
		return NULL;
	}
	ns_opens(j);
	return NULL;
}

/* Runs the job in the namespace: 0, or -1 with what failed logged (what it opened is closed). */
static int ns_run(struct ns_job *j)
{
	for (unsigned i = 0; i < DP_MAX_IFACES; i++)
		j->tun[i] = -1;
	j->sock = -1;
	j->nsfd = dp_kernel.nsfd;
	if (j->nsfd < 0) {
		ns_opens(j);
	} else {
		pthread_t t;
		int rc = pthread_create(&t, NULL, ns_thread, j);
		if (rc != 0) {
			j->err = rc;
			j->what = "pthread_create";
		} else {
			pthread_join(t, NULL);
		}
	}
	if (!j->err)
		return 0;
	LOG_ERR("kernel twins: %s in namespace \"%s\": %s", j->what, dp.conf->kernel_ns,
		strerror(j->err));
	for (unsigned i = 0; i < j->n; i++)
		if (j->tun[i] >= 0)
			close(j->tun[i]);
	if (j->sock >= 0)
		close(j->sock);
	return -1;
}

static int ifreq_ioctl(unsigned long req, struct ifreq *ifr, const char *name)
{
	snprintf(ifr->ifr_name, IFNAMSIZ, "%s", name);
	return ioctl(dp_kernel.sock, req, ifr);
}

/* The twin's MAC, MTU and up flag as the interface has them; only what differs is changed
 * (each change is an event in the namespace that routing daemons see). */
static void twin_configure(struct dp_kernel_twin *t, const struct dp_iface *ifc)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	if (ifreq_ioctl(SIOCGIFHWADDR, &ifr, t->name) == 0 &&
	    memcmp(ifr.ifr_hwaddr.sa_data, ifc->mac.addr_bytes, 6) != 0) {
		ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
		memcpy(ifr.ifr_hwaddr.sa_data, ifc->mac.addr_bytes, 6);
		if (ifreq_ioctl(SIOCSIFHWADDR, &ifr, t->name) < 0)
			LOG_WARN("kernel twin %s: cannot set its MAC: %s", t->name,
				 strerror(errno));
	}
	memset(&ifr, 0, sizeof(ifr));
	if (ifreq_ioctl(SIOCGIFMTU, &ifr, t->name) == 0 && ifr.ifr_mtu != ifc->mtu) {
		ifr.ifr_mtu = ifc->mtu;
		if (ifreq_ioctl(SIOCSIFMTU, &ifr, t->name) < 0)
			LOG_WARN("kernel twin %s: cannot set MTU %u: %s", t->name, ifc->mtu,
				 strerror(errno));
	}
	memset(&ifr, 0, sizeof(ifr));
	if (ifreq_ioctl(SIOCGIFFLAGS, &ifr, t->name) == 0 && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ifreq_ioctl(SIOCSIFFLAGS, &ifr, t->name) < 0)
			LOG_WARN("kernel twin %s: cannot bring it up: %s", t->name,
				 strerror(errno));
	}
}

static void buckets_init(struct dp_kernel_twin *t)
{
	/* frames, not bytes: one "byte" a frame, so bits/s is 8 × frames/s */
	uint64_t hz = rte_get_tsc_hz(), now = rte_get_tsc_cycles();
	svr_tbucket_init(&t->tb_up, (uint64_t)dp.conf->kernel_rate * 8, dp.conf->kernel_burst, hz,
			 now);
	svr_tbucket_init(&t->tb_down, (uint64_t)dp.conf->kernel_rate * 8, dp.conf->kernel_burst, hz,
			 now);
}

/* Makes fd the TAP named as slot's interface: a new persistent device, or the one a previous
 * run left (attached by name). Takes fd. */
static void twin_attach(uint16_t slot, const struct dp_iface *ifc, int fd)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifc->name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETPERSIST, 1) < 0) {
		LOG_ERR("kernel twin %s: cannot create or attach the TAP device: %s (a device "
			"of that name that is no TAP, or one another process holds?)",
			ifc->name, strerror(errno));
		close(fd);
		return;
	}
	struct dp_kernel_twin *t = &dp_kernel.twins[slot];
	memset(t, 0, sizeof(*t));
	t->fd = fd;
	t->carrier = -1;
	snprintf(t->name, sizeof(t->name), "%s", ifc->name);
	memset(&ifr, 0, sizeof(ifr));
	t->ifindex = ifreq_ioctl(SIOCGIFINDEX, &ifr, t->name) == 0 ? ifr.ifr_ifindex : 0;
	buckets_init(t);
	LOG_NOTICE("kernel twin %s: ifindex %d in namespace \"%s\"", t->name, t->ifindex,
		   dp.conf->kernel_ns);
}

/* The interface is gone: so is its twin (persistence off, then the last descriptor closed). */
static void twin_delete(struct dp_kernel_twin *t)
{
	if (ioctl(t->fd, TUNSETPERSIST, 0) < 0)
		LOG_WARN("kernel twin %s: cannot clear persistence: %s", t->name, strerror(errno));
	close(t->fd);
	LOG_NOTICE("kernel twin %s deleted", t->name);
	t->fd = -1;
}

static bool wants_twin(const struct dp_gen *g, unsigned s)
{
	return s < g->n_ifaces && g->ifaces[s].in_use;
}

void dp_kernel_generation(const struct dp_gen *g)
{
	if (!dp_kernel.on || !g)
		return;
	struct ns_job j = {.want_sock = dp_kernel.sock < 0};
	uint16_t slots[DP_MAX_IFACES];
	for (unsigned s = 0; s < DP_MAX_IFACES; s++) {
		struct dp_kernel_twin *t = &dp_kernel.twins[s];
		if (t->fd >= 0 && (!wants_twin(g, s) || strcmp(t->name, g->ifaces[s].name) != 0))
			twin_delete(t);
		if (t->fd < 0 && wants_twin(g, s))
			slots[j.n++] = (uint16_t)s;
	}
	if ((j.n || j.want_sock) && ns_run(&j) < 0)
		return;
	if (j.want_sock)
		dp_kernel.sock = j.sock;
	for (unsigned i = 0; i < j.n; i++)
		twin_attach(slots[i], &g->ifaces[slots[i]], j.tun[i]);
	for (unsigned s = 0; s < DP_MAX_IFACES; s++)
		if (dp_kernel.twins[s].fd >= 0)
			twin_configure(&dp_kernel.twins[s], &g->ifaces[s]);
}

void dp_kernel_housekeeping(void)
{
	const struct dp_gen *g = dp_gen_main();
	for (unsigned s = 0; dp_kernel.on && g && s < DP_MAX_IFACES; s++) {
		struct dp_kernel_twin *t = &dp_kernel.twins[s];
		if (t->fd < 0)
			continue;
		struct rte_eth_link link = {0};
		if (rte_eth_link_get_nowait(g->ifaces[s].port, &link) < 0)
			continue;
		int on = link.link_status == RTE_ETH_LINK_UP;
		if (on == t->carrier)
			continue;
		/* a failure is said once per change of the link, not every 100 ms */
		if (ioctl(t->fd, TUNSETCARRIER, &on) < 0)
			LOG_WARN("kernel twin %s: cannot set its carrier: %s", t->name,
				 strerror(errno));
		t->carrier = on;
	}
}

int dp_kernel_init(void)
{
	for (unsigned s = 0; s < DP_MAX_IFACES; s++)
		dp_kernel.twins[s].fd = -1;
	dp_kernel.on = dp.conf->kernel;
	if (!dp_kernel.on || !dp.conf->kernel_ns[0])
		return 0;
	char path[128];
	snprintf(path, sizeof(path), "/run/netns/%s", dp.conf->kernel_ns);
	dp_kernel.nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (dp_kernel.nsfd < 0) {
		LOG_ERR("kernel.namespace: cannot open %s: %s (create it with ip netns add %s)",
			path, strerror(errno), dp.conf->kernel_ns);
		return -1;
	}
	return 0;
}

bool dp_kernel_on(void)
{
	return dp_kernel.on;
}

void dp_kernel_shutdown(void)
{
	for (unsigned s = 0; s < DP_MAX_IFACES; s++)
		if (dp_kernel.twins[s].fd >= 0) {
			close(dp_kernel.twins[s].fd); /* persistent: the device stays, no carrier */
			dp_kernel.twins[s].fd = -1;
		}
	if (dp_kernel.sock >= 0)
		close(dp_kernel.sock);
	if (dp_kernel.nsfd >= 0)
		close(dp_kernel.nsfd);
	dp_kernel.sock = dp_kernel.nsfd = -1;
	dp_kernel.on = false;
}
