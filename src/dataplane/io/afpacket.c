/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK 22.11's net_af_packet puts the sockets of a port into the PACKET_FANOUT group
 * (getpid() ^ ifindex) & 0xffff (type hash, flags defrag and rollover). Fanout groups belong
 * to the network namespace, not to the process, and the kernel refuses (EINVAL) to add a
 * socket to a group that exists on another interface. So two DPDK processes on one host
 * collide whenever their pid ^ ifindex agree in the low 16 bits, which consecutive pids and
 * interface indexes do (1000 ^ 5 == 1001 ^ 4): the second probe fails with "could not set
 * PACKET_FANOUT ... Invalid argument".
 *
 * Before each af_packet probe the dataplane therefore picks the group: starting with the id
 * DPDK would use, it joins each candidate with a placeholder socket bound to the interface
 * until one is free (or already on this interface), and keeps that socket as a member, so
 * that nobody can take the id before the probe's sockets join. During the probe, getpid()
 * answers the main lcore a pid that yields that id (the dataplane exports its own getpid(),
 * which the dynamically loaded PMD binds to); afterwards the placeholder leaves the group.
 */
#include "io/afpacket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <rte_kvargs.h>

#include "common/log.h"

/* Candidate group ids tried before giving up: each taken one is another port of this host. */
#define FANOUT_TRIES 1024
/* The type and flags net_af_packet asks for: a group is joined only with the same ones. */
#define FANOUT_TYPE_FLAGS                                                                          \
	(PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG | PACKET_FANOUT_FLAG_ROLLOVER)

static _Atomic int pretend_pid; /* 0: getpid() is the real pid */
static _Atomic int pretend_tid;

static int real_pid(void)
{
	return (int)syscall(SYS_getpid);
}

/* Interposes libc's getpid() for the whole process: the real pid, except on the thread
 * probing an af_packet device (see above). */
pid_t getpid(void)
{
	int p = atomic_load_explicit(&pretend_pid, memory_order_relaxed);
	if (p &&
	    (int)syscall(SYS_gettid) == atomic_load_explicit(&pretend_tid, memory_order_relaxed))
		return p;
	return real_pid();
}

bool dp_afpacket_is(const char *device)
{
	return strncmp(device, "net_af_packet", 13) == 0 ||
	       strncmp(device, "eth_af_packet", 13) == 0;
}

/* The iface= argument of the devargs, or -1 (err set). */
static int iface_of(const char *device, char *iface, size_t len, char *err, size_t errlen)
{
	const char *args = strchr(device, ',');
	struct rte_kvargs *kv = args ? rte_kvargs_parse(args + 1, NULL) : NULL;
	const char *v = kv ? rte_kvargs_get(kv, "iface") : NULL;
	int rc = 0;
	if (!v || !*v || strlen(v) >= len)
		rc = svr_errf(err, errlen, "device \"%s\": no usable iface= argument", device);
	else
		snprintf(iface, len, "%s", v);
	rte_kvargs_free(kv);
	return rc;
}

/* A member of group id on ifindex that drops whatever the group hands it: its fd, or -errno
 * (-EINVAL: the id is another interface's group, or one of another type). */
static int fanout_join(int ifindex, uint16_t id)
{
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	struct sock_filter drop = BPF_STMT(BPF_RET | BPF_K, 0);
	struct sock_fprog prog = {.len = 1, .filter = &drop};
	struct sockaddr_ll sll = {
	    .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = ifindex};
	uint32_t arg = id | ((uint32_t)FANOUT_TYPE_FLAGS << 16);
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0 ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg)) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

int dp_afpacket_prepare(const char *device, struct dp_afpacket_hold *h, char *err, size_t errlen)
{
	memset(h, 0, sizeof(*h));
	h->fd = -1;
	if (!dp_afpacket_is(device))
		return 0;
	if (iface_of(device, h->iface, sizeof(h->iface), err, errlen) < 0)
		return -EINVAL;
	int ifindex = (int)if_nametoindex(h->iface);
	if (ifindex == 0) {
		int e = errno;
		svr_errf(err, errlen,
			 "device \"%s\": no interface %s in this network namespace (%s)", device,
			 h->iface, strerror(e));
		return -e;
	}
	int pid = real_pid();
	uint16_t natural = (uint16_t)(pid ^ ifindex);
	for (int salt = 0; salt < FANOUT_TRIES; salt++) {
		int p = pid ^ salt;
		if (p <= 0)
			continue;
		uint16_t id = (uint16_t)(p ^ ifindex);
		int fd = fanout_join(ifindex, id);
		if (fd >= 0) {
			if (salt)
				LOG_NOTICE(
				    "%s: fanout group %u is another interface's on this host "
				    "(another DPDK process): using group %u",
				    h->iface, natural, id);
			h->fd = fd;
			h->pretend_pid = p;
			return 0;
		}
		if (fd != -EINVAL) {
			svr_errf(err, errlen,
				 "device \"%s\": cannot open a packet socket on %s: %s", device,
				 h->iface, strerror(-fd));
			return fd;
		}
	}
	svr_errf(err, errlen,
		 "device \"%s\": %d PACKET_FANOUT group ids from %u on are all taken by other "
		 "interfaces' sockets",
		 device, FANOUT_TRIES, natural);
	return -EADDRINUSE;
}

void dp_afpacket_probe_begin(const struct dp_afpacket_hold *h)
{
	if (h->fd < 0)
		return;
	atomic_store(&pretend_tid, (int)syscall(SYS_gettid));
	atomic_store(&pretend_pid, h->pretend_pid);
}

void dp_afpacket_probe_end(void)
{
	atomic_store(&pretend_pid, 0);
}

void dp_afpacket_release(struct dp_afpacket_hold *h)
{
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
}
