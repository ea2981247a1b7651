/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz-sources: src/common/metadata.c src/common/pathq.c src/common/pathrank.c */
/*
 * libFuzzer target for in-band path metrics: the input starts with a metadata block as a peer
 * would send it on UDP 1280 (TLV 26 among others); whatever decodes must encode and decode to the
 * same TLV 26 fields. The bytes after the block are a script of samples fed to one path's
 * quality (src/common/pathq.c) with the decoded TLV 26 as the peer's sample: echo replies and
 * losses, BFD sequence numbers, TLV 26 samples sent, built and received, time moving forward. After
 * each step the figures must stay in range (loss <= 100 %, MOS 1-4.5, the window's sample count)
 * and ranking paths of that quality must give a consistent verdict. Nothing may read outside the
 * input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/pathq.h"
#include "common/pathrank.h"
#include "svr/metadata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void check_pm_round_trip(const struct svr_md *md)
{
	static uint8_t out[70000];
	struct svr_md again;
	char err[128];
	size_t n = svr_md_encode(md, out, sizeof(out), NULL);
	if (n == 0 || svr_md_decode(out, n, &again, err, sizeof(err)) != (int)n)
		abort(); /* what we decoded we must be able to send */
	if (again.present != md->present)
		abort();
	const struct svr_md_path_metrics *a = &md->pm, *b = &again.pm;
	if ((md->present & SVR_MDF_PATH_METRICS) &&
	    (a->tx_colour != b->tx_colour || a->tx_ms != b->tx_ms || a->rx_colour != b->rx_colour ||
	     a->rx_ms != b->rx_ms || a->drop != b->drop || a->rx_count != b->rx_count ||
	     a->tx_colour > 15 || a->rx_colour > 15 || a->tx_ms > SVR_MD_PM_TIME_MASK ||
	     a->rx_ms > SVR_MD_PM_TIME_MASK || a->rx_count > SVR_MD_PM_COUNT_MAX))
		abort();
}

/* The TLV 26 value bytes in the decoded block p (both sections tile with TLVs), or NULL. */
static const uint8_t *find_pm(const uint8_t *p)
{
	size_t hl = (size_t)(p[8] << 8 | p[9]) & 0x0fff, pl = (size_t)(p[10] << 8 | p[11]);
	for (size_t off = 12; off + 4 <= hl + pl;) {
		unsigned type = p[off] << 8 | p[off + 1], n = p[off + 2] << 8 | p[off + 3];
		if (type == SVR_MD_PATH_METRICS)
			return p + off + 4;
		off += 4 + n;
	}
	return NULL;
}

/* The decoded fields against the wire bits read here independently (svr-protocol.md §2.5). */
static void check_pm_bits(const uint8_t *v, const struct svr_md_path_metrics *pm)
{
	uint32_t tx = rd32(v), rx = rd32(v + 4);
	unsigned count = (unsigned)(v[8] << 8 | v[9]);
	if (pm->tx_colour != tx >> 28 || pm->tx_ms != (tx & 0x0fffffff) ||
	    pm->rx_colour != rx >> 28 || pm->rx_ms != (rx & 0x0fffffff) ||
	    pm->drop != (count >> 15) || pm->rx_count != (count & 0x7fff))
		abort();
}

static void check_figures(const struct svr_pathq *q, uint64_t now_ms)
{
	struct svr_quality v;
	svr_pathq_get(q, now_ms, &v);
	if (v.loss_mpct > SVR_PATHQ_LOSS_ALL || v.mos_x100 < 100 || v.mos_x100 > 450 ||
	    v.samples > SVR_PATHQ_LAT_WIN || v.loss_source > SVR_PATHQ_SRC_DATA)
		abort();
	if (v.latency_us > SVR_PATHQ_MAX_RTT_US / 2 + 1)
		abort(); /* no one-way delay above half the longest RTT taken */
	struct svr_rank_path p[2] = {
	    {.slot = 1, .cost = 10, .usable = true, .q = v, .local_iface = 0, .remote = 1},
	    {.slot = 2, .cost = 20, .usable = true, .q = v, .local_iface = 1, .remote = 2}};
	struct svr_rank_sla sla = {1000, 50000, 10000};
	bool c[2] = {true, false};
	struct svr_rank_result r;
	enum svr_rank_verdict vd = svr_rank(p, 2, &sla, false, true, c, &r);
	if (r.n != 2 || r.n_compliant > r.n || (vd == SVR_RANK_OK) != (r.n_compliant > 0) ||
	    (vd == SVR_RANK_OK && r.dup != 2 && r.dup != 1))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *p = malloc(size ? size : 1); /* exact size: ASan flags any overread */
	if (!p)
		return 0;
	memcpy(p, data, size);
	struct svr_md md;
	char err[128];
	int used = svr_md_decode(p, size, &md, err, sizeof(err));
	if (used < 0) {
		free(p);
		return 0;
	}
	check_pm_round_trip(&md);
	const uint8_t *v = find_pm(p);
	if ((v != NULL) != ((md.present & SVR_MDF_PATH_METRICS) != 0))
		abort();
	if (v)
		check_pm_bits(v, &md.pm);

	struct svr_pathq q;
	svr_pathq_init(&q);
	uint64_t now = 0;
	/* the script: an op byte and 9 argument bytes per step */
	for (size_t off = (size_t)used; off + 10 <= size; off += 10) {
		const uint8_t *s = p + off;
		uint32_t a = rd32(s + 1), b = rd32(s + 5);
		now += s[9]; /* time only moves forward (ms) */
		switch (s[0] % 7) {
		case 0:
			svr_pathq_echo_rtt(&q, b);
			break;
		case 1:
			svr_pathq_echo_result(&q, (uint16_t)a, b & 1);
			break;
		case 2:
			svr_pathq_bfd_seq(&q, now, a);
			break;
		case 3:
			svr_pathq_pm_sent(&q, (uint8_t)a, (uint32_t)now - (b & 0xffff), b >> 16);
			break;
		case 4:
			if (md.present & SVR_MDF_PATH_METRICS)
				svr_pathq_pm_received(&q, now, &md.pm, a);
			break;
		case 5:
			now += (uint64_t)a * 1000; /* a long pause */
			break;
		case 6: {
			struct svr_md_path_metrics out;
			svr_pathq_pm_next(&q, now, a, &out);
			if (out.tx_colour > 15 || out.rx_colour > 15 ||
			    out.tx_ms > SVR_MD_PM_TIME_MASK || out.rx_ms > SVR_MD_PM_TIME_MASK ||
			    out.rx_count > SVR_MD_PM_COUNT_MAX ||
			    (!out.drop && out.rx_count == 0x7fff))
				abort();
			break;
		}
		}
		check_figures(&q, now);
	}
	free(p);
	return 0;
}
