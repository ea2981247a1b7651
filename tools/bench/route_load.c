/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * svr-bench-route-load: loads N IPv4 or IPv6 routes into the kernel's routing table of the current
 * network namespace as fast as netlink takes them, or deletes them again, and prints how long
 * the kernel took (the baseline of the route-mirror benchmark, docs/routing.md). Run it in a
 * test namespace: ip netns exec NS svr-bench-route-load --count 1000000 --dev wan --via GW.
 *
 * Many RTM_NEWROUTE (RTM_DELROUTE) per sendmsg and no NLM_F_ACK: the kernel handles each batch
 * in the sendmsg call and queues an NLMSG_ERROR only for a route it refused, which is read
 * without waiting after each batch (and counted). `ip -batch` asks for an acknowledgement of
 * each route and took 38.5 s for a million; this takes a few seconds.
 *
 * The prefixes: consecutive prefixes of --len bits from --first (default 10.0.0.0/24 onwards: a
 * million /24s reach 25.255.255.0, public addresses too). The routes live in an isolated
 * namespace whose interfaces lead nowhere, so no packet is ever sent to them; the documentation
 * ranges (198.18.0.0/15) hold only 512 /24s. IPv6 (--first 2001:db8:100:: --len 64): the
 * documentation prefix 2001:db8::/32 holds 2^32 /64s, which tests use.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH_MAX 1024
#define MSG_SPACE 128 /* one route message, rounded up */

struct opts {
	unsigned long count;
	unsigned batch;
	const char *dev;
	int family;
	uint8_t via[16], first[16];
	unsigned len, table, proto;
	bool has_via, del;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: svr-bench-route-load --count N --dev DEV [--via GATEWAY] [--first ADDR]\n"
		"                            [--len BITS] [--table T] [--proto P] [--batch B]\n"
		"                            [--delete]\n"
		"Adds (or with --delete removes) N routes ADDR/BITS, ADDR+2^(32-BITS)/BITS, ...\n"
		"(default 10.0.0.0/24 onwards; an IPv6 ADDR: IPv6 routes, 2^(128-BITS) apart)\n"
		"via GATEWAY (or on the link) by DEV, in table T\n"
		"(default main), protocol P (default 186, bgp), B routes per netlink message\n"
		"(default 256, at most %d), in the current network namespace. Prints\n"
		"loaded=N seconds=S errors=E (deleted=... with --delete); exit 1 when the kernel\n"
		"refused any route.\n",
		BATCH_MAX);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void put_attr(struct nlmsghdr *h, unsigned short type, const void *data, unsigned short len)
{
	struct rtattr *a = (struct rtattr *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* Prefix i: first + i * 2^(bits - len), in network order. */
static void prefix(const struct opts *o, unsigned long i, uint8_t dst[16])
{
	if (o->family == AF_INET) {
		uint32_t v;
		memcpy(&v, o->first, 4);
		v = htonl(ntohl(v) + (uint32_t)(i << (32 - o->len)));
		memcpy(dst, &v, 4);
		return;
	}
	unsigned __int128 x = 0;
	for (int k = 0; k < 16; k++)
		x = x << 8 | o->first[k];
	x += (unsigned __int128)i << (128 - o->len);
	for (int k = 15; k >= 0; k--, x >>= 8)
		dst[k] = (uint8_t)x;
}

/* Route i's message at h. */
static void route_msg(struct nlmsghdr *h, const struct opts *o, unsigned oif, unsigned long i,
		      uint32_t seq)
{
	memset(h, 0, MSG_SPACE);
	h->nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	h->nlmsg_type = o->del ? RTM_DELROUTE : RTM_NEWROUTE;
	h->nlmsg_flags = NLM_F_REQUEST | (o->del ? 0 : NLM_F_CREATE | NLM_F_REPLACE);
	h->nlmsg_seq = seq;
	struct rtmsg *r = NLMSG_DATA(h);
	r->rtm_family = (unsigned char)o->family;
	r->rtm_dst_len = (unsigned char)o->len;
	r->rtm_table = o->table < 256 ? (unsigned char)o->table : RT_TABLE_UNSPEC;
	r->rtm_protocol = (unsigned char)o->proto;
	r->rtm_scope = o->has_via ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	r->rtm_type = RTN_UNICAST;
	unsigned alen = o->family == AF_INET ? 4 : 16;
	uint8_t dst[16];
	prefix(o, i, dst);
	uint32_t table = o->table;
	put_attr(h, RTA_DST, dst, (unsigned short)alen);
	put_attr(h, RTA_TABLE, &table, 4);
	put_attr(h, RTA_OIF, &oif, 4);
	if (o->has_via)
		put_attr(h, RTA_GATEWAY, o->via, (unsigned short)alen);
}

/* Reads the refusals queued so far (none blocks); the count, -1 when the socket failed. */
static long drain_errors(int fd, char *buf, size_t len, bool *first_told)
{
	long errors = 0;
	for (;;) {
		ssize_t n = recv(fd, buf, len, MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? errors : -1;
		int left = (int)n;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, left);
		     h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_type != NLMSG_ERROR)
				continue;
			const struct nlmsgerr *e = NLMSG_DATA(h);
			if (!e->error)
				continue;
			if (!*first_told)
				fprintf(stderr, "route %u: %s\n", h->nlmsg_seq,
					strerror(-e->error));
			*first_told = true;
			errors++;
		}
	}
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {{"count", required_argument, NULL, 'n'},
					   {"dev", required_argument, NULL, 'd'},
					   {"via", required_argument, NULL, 'g'},
					   {"first", required_argument, NULL, 'f'},
					   {"len", required_argument, NULL, 'l'},
					   {"table", required_argument, NULL, 't'},
					   {"proto", required_argument, NULL, 'p'},
					   {"batch", required_argument, NULL, 'b'},
					   {"delete", no_argument, NULL, 'D'},
					   {"help", no_argument, NULL, 'h'},
					   {NULL, 0, NULL, 0}};
	*o = (struct opts){.batch = 256, .len = 24, .table = RT_TABLE_MAIN, .proto = 186};
	const char *first = "10.0.0.0", *via = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'n':
			o->count = strtoul(optarg, NULL, 10);
			break;
		case 'd':
			o->dev = optarg;
			break;
		case 'g':
			via = optarg;
			break;
		case 'f':
			first = optarg;
			break;
		case 'l':
			o->len = (unsigned)atoi(optarg);
			break;
		case 't':
			o->table = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'p':
			o->proto = (unsigned)atoi(optarg);
			break;
		case 'b':
			o->batch = (unsigned)atoi(optarg);
			break;
		case 'D':
			o->del = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -1;
		}
	}
	o->family = strchr(first, ':') ? AF_INET6 : AF_INET;
	unsigned bits = o->family == AF_INET ? 32 : 128;
	if (inet_pton(o->family, first, o->first) != 1 ||
	    (via && inet_pton(o->family, via, o->via) != 1))
		return -1; /* not an address, or one of the other family */
	o->has_via = via != NULL;
	if (optind != argc || !o->count || !o->dev || o->len < 8 || o->len > bits || !o->batch ||
	    o->batch > BATCH_MAX || o->proto > 255 || (o->len < 64 && o->count > (1ul << o->len)))
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	if (parse(argc, argv, &o) < 0) {
		usage(stderr);
		return 2;
	}
	unsigned oif = if_nametoindex(o.dev);
	if (!oif) {
		fprintf(stderr, "svr-bench-route-load: no interface %s here\n", o.dev);
		return 1;
	}
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	int rcv = 64 << 20, snd = BATCH_MAX * MSG_SPACE * 2;
	if (fd < 0) {
		perror("netlink socket");
		return 1;
	}
	/* room for every refusal of a bad run; the kernel caps SO_RCVBUF, FORCE needs root */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd));
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	char *buf = calloc(BATCH_MAX, MSG_SPACE), rbuf[32768];
	if (!buf)
		return 1;
	long errors = 0, e;
	bool told = false, lost = false;
	double t0 = now_s();
	for (unsigned long i = 0; i < o.count;) {
		size_t off = 0;
		for (unsigned k = 0; k < o.batch && i < o.count; k++, i++) {
			struct nlmsghdr *h = (struct nlmsghdr *)(buf + off);
			route_msg(h, &o, oif, i, (uint32_t)i);
			off += NLMSG_ALIGN(h->nlmsg_len);
		}
		if (sendto(fd, buf, off, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
			perror("sendto");
			return 1;
		}
		if ((e = drain_errors(fd, rbuf, sizeof(rbuf), &told)) < 0)
			lost = true; /* ENOBUFS: refusals were lost */
		else
			errors += e;
	}
	double s = now_s() - t0;
	if ((e = drain_errors(fd, rbuf, sizeof(rbuf), &told)) > 0)
		errors += e;
	printf("%s=%lu seconds=%.3f errors=%ld%s\n", o.del ? "deleted" : "loaded", o.count, s,
	       errors, lost ? " (some refusals lost)" : "");
	free(buf);
	close(fd);
	return errors || lost ? 1 : 0;
}
