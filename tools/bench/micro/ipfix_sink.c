/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * svr-bench-ipfix-sink: the IPFIX collector of the IPFIX benchmarks (tools/bench/run,
 * docs/performance.md): receives IPFIX messages over UDP, decodes every record against the
 * templates it was sent (RFC 7011, enterprise numbers, variable-length fields), counts them by
 * our record kind, times the end records' arrival and checks each observation domain's
 * sequence numbers for records that never arrived. Written here so that the collector is never
 * what limits the figure (nfcapd stores what it gets, which costs more than counting).
 *
 * Usage: svr-bench-ipfix-sink PORT [PEN]. Listens on 127.0.0.1:PORT until SIGTERM or SIGINT,
 * then prints one JSON object on stdout:
 *   {"messages": n, "records": n, "start": n, "interim": n, "end": n, "undecoded": n,
 *    "end-first-ns": t, "end-last-ns": t, "sequence-gaps": records missing, "rcvbuf": bytes}
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH      64
#define MSG_MAX    65536
#define MAX_TPL    16
#define MAX_FIELDS 64
#define MAX_DOMAIN 16

struct field {
	uint16_t ie, len;
	uint32_t pen;
};

static struct tpl {
	uint32_t domain;
	uint16_t id, n;
	struct field f[MAX_FIELDS];
} tpls[MAX_TPL];
static unsigned n_tpl;

static struct domain_seq {
	uint32_t domain, next;
	int seen;
} seqs[MAX_DOMAIN];

static volatile sig_atomic_t stop;
static uint64_t messages, records, kinds[4], undecoded, gaps, end_first, end_last;
static uint32_t pen_ours = 32473;

static void on_signal(int s)
{
	(void)s;
	stop = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)rd16(p) << 16 | rd16(p + 2);
}

static struct tpl *tpl_find(uint32_t domain, uint16_t id, int make)
{
	for (unsigned i = 0; i < n_tpl; i++)
		if (tpls[i].domain == domain && tpls[i].id == id)
			return &tpls[i];
	if (!make || n_tpl == MAX_TPL)
		return NULL;
	tpls[n_tpl] = (struct tpl){.domain = domain, .id = id};
	return &tpls[n_tpl++];
}

static void templates(uint32_t domain, const uint8_t *p, const uint8_t *end)
{
	while (p + 4 <= end) {
		uint16_t id = rd16(p), n = rd16(p + 2);
		p += 4;
		struct tpl *t = tpl_find(domain, id, 1);
		if (!t || n > MAX_FIELDS)
			return;
		t->n = n;
		for (unsigned i = 0; i < n && p + 4 <= end; i++) {
			uint16_t ie = rd16(p);
			t->f[i] = (struct field){.ie = ie & 0x7fff, .len = rd16(p + 2)};
			p += 4;
			if (ie & 0x8000) {
				t->f[i].pen = rd32(p);
				p += 4;
			}
		}
	}
}

/* One record at p; returns its end, or NULL when it runs past end. */
static const uint8_t *one_record(const struct tpl *t, const uint8_t *p, const uint8_t *end,
				 int *kind)
{
	*kind = 0;
	for (unsigned i = 0; i < t->n; i++) {
		size_t len = t->f[i].len;
		if (len == 0xffff) {
			if (p >= end)
				return NULL;
			len = *p++;
			if (len == 255) {
				if (p + 2 > end)
					return NULL;
				len = rd16(p);
				p += 2;
			}
		}
		if (p + len > end)
			return NULL;
		if (t->f[i].pen == pen_ours && t->f[i].ie == 2 && len == 1)
			*kind = *p;
		p += len;
	}
	return p;
}

static void sequence(uint32_t domain, uint32_t seq, uint32_t n_records)
{
	for (unsigned i = 0; i < MAX_DOMAIN; i++) {
		struct domain_seq *d = &seqs[i];
		if (d->seen && d->domain != domain)
			continue;
		if (d->seen && seq != d->next)
			gaps += (uint32_t)(seq - d->next);
		d->domain = domain;
		d->seen = 1;
		d->next = seq + n_records;
		return;
	}
}

static void message(const uint8_t *m, size_t len, uint64_t t)
{
	if (len < 16 || rd16(m) != 10 || rd16(m + 2) != len)
		return;
	messages++;
	uint32_t domain = rd32(m + 12), seq = rd32(m + 8), n = 0;
	for (size_t at = 16; at + 4 <= len;) {
		uint16_t id = rd16(m + at), slen = rd16(m + at + 2);
		if (slen < 4 || at + slen > len)
			return;
		const uint8_t *p = m + at + 4, *end = m + at + slen;
		if (id == 2) {
			templates(domain, p, end);
		} else if (id >= 256) {
			const struct tpl *tp = tpl_find(domain, id, 0);
			while (tp && p < end) {
				int kind;
				const uint8_t *next = one_record(tp, p, end, &kind);
				if (!next)
					break;
				p = next;
				n++;
				kinds[kind > 3 ? 0 : kind]++;
				if (kind == 3) {
					if (!end_first)
						end_first = t;
					end_last = t;
				}
			}
			if (!tp)
				undecoded++;
		}
		at += slen;
	}
	records += n;
	sequence(domain, seq, n);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: svr-bench-ipfix-sink PORT [PEN]\n");
		return 2;
	}
	if (argc > 2)
		pen_ours = (uint32_t)strtoul(argv[2], NULL, 10);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	int buf = 64 << 20;
	/* as root past net.core.rmem_max: the benchmark must not lose what the exporter sent */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("svr-bench-ipfix-sink: bind");
		return 1;
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	struct timeval tv = {.tv_usec = 100000}; /* wake up to see stop */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	static uint8_t bufs[BATCH][MSG_MAX];
	struct iovec iov[BATCH];
	struct mmsghdr mh[BATCH];
	for (unsigned i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){bufs[i], MSG_MAX};
		mh[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
	}
	while (!stop) {
		int n = recvmmsg(fd, mh, BATCH, MSG_WAITFORONE, NULL);
		uint64_t t = now_ns();
		for (int i = 0; i < n; i++)
			message(bufs[i], mh[i].msg_len, t);
	}
	socklen_t bl = sizeof(buf);
	getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, &bl);
	printf("{\"messages\": %llu, \"records\": %llu, \"start\": %llu, \"interim\": %llu, "
	       "\"end\": %llu, \"undecoded\": %llu, \"end-first-ns\": %llu, \"end-last-ns\": %llu, "
	       "\"sequence-gaps\": %llu, \"rcvbuf\": %d}\n",
	       (unsigned long long)messages, (unsigned long long)records,
	       (unsigned long long)kinds[1], (unsigned long long)kinds[2],
	       (unsigned long long)kinds[3], (unsigned long long)undecoded,
	       (unsigned long long)end_first, (unsigned long long)end_last,
	       (unsigned long long)gaps, buf);
	return 0;
}
