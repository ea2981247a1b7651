/* SPDX-License-Identifier: BSD-3-Clause */
/* Measured quality of one peer path (src/common/pathq.h; docs/paths.md "Quality"). */
#include "common/pathq.h"

#include <string.h>

enum { ECHO_EMPTY, ECHO_ANSWERED, ECHO_LOST };

void svr_pathq_init(struct svr_pathq *q)
{
	memset(q, 0, sizeof(*q));
}

/* --- echo: outcomes by sequence number, settled when their test ends --- */

void svr_pathq_echo_result(struct svr_pathq *q, uint16_t seq, bool answered)
{
	if (!q->echo_any || (int16_t)(seq - q->echo_top) > 0) {
		q->echo_top = seq;
		q->echo_any = true;
	} else if ((uint16_t)(q->echo_top - seq) >= SVR_PATHQ_ECHO_WIN) {
		return; /* older than the window */
	}
	unsigned i = seq & (SVR_PATHQ_ECHO_WIN - 1);
	q->echo[i].seq = seq;
	q->echo[i].state = answered ? ECHO_ANSWERED : ECHO_LOST;
}

static void latency_add(struct svr_pathq *q, uint32_t oneway_us)
{
	q->lat[q->lat_next] = oneway_us;
	q->lat_next = (q->lat_next + 1) & (SVR_PATHQ_LAT_WIN - 1);
	if (q->lat_n < SVR_PATHQ_LAT_WIN)
		q->lat_n++;
}

/* RFC 3550 A.8: J += (|D| - J) / 16, kept x 16 so the division is a shift without loss. */
static void jitter_add(struct svr_pathq *q, uint32_t oneway_us)
{
	if (q->have_oneway) {
		uint32_t d = oneway_us > q->last_oneway_us ? oneway_us - q->last_oneway_us
							   : q->last_oneway_us - oneway_us;
		q->jitter16_us = q->jitter16_us + d - ((q->jitter16_us + 8) >> 4);
	}
	q->last_oneway_us = oneway_us;
	q->have_oneway = true;
}

void svr_pathq_echo_rtt(struct svr_pathq *q, uint32_t rtt_us)
{
	if (rtt_us > SVR_PATHQ_MAX_RTT_US)
		return;
	latency_add(q, rtt_us / 2);
	jitter_add(q, rtt_us / 2);
}

/* Lost echoes over the window, in milli-percent; false when no outcome is known. */
static bool echo_loss(const struct svr_pathq *q, uint32_t *mpct)
{
	uint32_t known = 0, lost = 0;
	for (unsigned i = 0; q->echo_any && i < SVR_PATHQ_ECHO_WIN; i++) {
		if (q->echo[i].state == ECHO_EMPTY ||
		    (uint16_t)(q->echo_top - q->echo[i].seq) >= SVR_PATHQ_ECHO_WIN)
			continue;
		known++;
		lost += q->echo[i].state == ECHO_LOST;
	}
	if (!known)
		return false;
	*mpct = (uint32_t)((uint64_t)lost * SVR_PATHQ_LOSS_ALL / known);
	return true;
}

/* --- BFD control packets: sequence gaps in one-second buckets --- */

void svr_pathq_bfd_seq(struct svr_pathq *q, uint64_t now_ms, uint32_t seq)
{
	uint64_t sec = now_ms / 1000;
	unsigned b = (unsigned)(sec % SVR_PATHQ_BFD_SECS);
	if (q->bfd[b].sec != sec)
		q->bfd[b].sec = sec, q->bfd[b].rx = 0, q->bfd[b].lost = 0;
	if (q->bfd_any) {
		uint32_t gap = seq - q->bfd_last_seq; /* mod 2^32: the sequence wraps */
		if (gap == 0 || gap > UINT32_MAX / 2)
			return; /* repeated or older: its loss was counted already */
		if (gap <= SVR_PATHQ_BFD_MAX_GAP)
			q->bfd[b].lost += gap - 1;
	}
	q->bfd_last_seq = seq;
	q->bfd_any = true;
	q->bfd[b].rx++;
}

static bool bfd_loss(const struct svr_pathq *q, uint64_t now_ms, uint32_t *mpct)
{
	uint64_t sec = now_ms / 1000;
	uint64_t rx = 0, lost = 0;
	for (unsigned i = 0; i < SVR_PATHQ_BFD_SECS; i++)
		if (q->bfd[i].sec + SVR_PATHQ_BFD_SECS > sec && q->bfd[i].sec <= sec) {
			rx += q->bfd[i].rx;
			lost += q->bfd[i].lost;
		}
	if (rx + lost == 0)
		return false;
	*mpct = (uint32_t)(lost * SVR_PATHQ_LOSS_ALL / (rx + lost));
	return true;
}

/* --- TLV 26 --- */

int32_t svr_pm_lost(uint32_t tx_pkts, uint16_t rx_count)
{
	int64_t lost = (int64_t)tx_pkts - (rx_count & SVR_MD_PM_COUNT_MAX);
	return lost > INT32_MAX ? INT32_MAX : (int32_t)lost;
}

int32_t svr_pm_rtt_ms(uint32_t now_ms, uint32_t our_tx_ms, uint32_t peer_tx_ms, uint32_t peer_rx_ms)
{
	uint32_t elapsed = (now_ms - our_tx_ms) & SVR_MD_PM_TIME_MASK;
	uint32_t held = (peer_tx_ms - peer_rx_ms) & SVR_MD_PM_TIME_MASK;
	if (held > elapsed)
		return -1;
	return (int32_t)(elapsed - held);
}

void svr_pathq_pm_sent(struct svr_pathq *q, uint8_t colour, uint32_t tx_ms, uint32_t tx_pkts)
{
	colour &= SVR_MD_PM_COLOURS - 1;
	q->pm_tx[colour].tx_ms = tx_ms & SVR_MD_PM_TIME_MASK;
	q->pm_tx[colour].tx_pkts = tx_pkts;
	q->pm_tx[colour].pending = true;
}

/* Our own answer-to-be: the peer's sample just arrived, with rx_total packets received by now. */
static void pm_remember_peer(struct svr_pathq *q, uint64_t now_ms,
			     const struct svr_md_path_metrics *pm, uint32_t rx_total)
{
	uint8_t colour = pm->tx_colour & (SVR_MD_PM_COLOURS - 1);
	if (q->pm_rx_any && colour == q->pm_rx_colour)
		return; /* the same sample again: keep the first arrival */
	uint32_t count = rx_total - q->pm_rx_total;
	bool one_period = q->pm_rx_any && ((colour - q->pm_rx_colour) & 0xf) == 1;
	q->pm_rx_drop = !one_period || count > SVR_MD_PM_COUNT_MAX - 1;
	q->pm_rx_count = q->pm_rx_drop ? 0 : (uint16_t)count;
	q->pm_rx_colour = colour;
	q->pm_rx_ms = (uint32_t)now_ms & SVR_MD_PM_TIME_MASK;
	q->pm_rx_total = rx_total;
	q->pm_rx_any = true;
}

void svr_pathq_pm_next(struct svr_pathq *q, uint64_t now_ms, uint32_t tx_total,
		       struct svr_md_path_metrics *pm)
{
	uint8_t colour = q->pm_next_colour;
	uint32_t tx_ms = (uint32_t)now_ms & SVR_MD_PM_TIME_MASK;
	svr_pathq_pm_sent(q, colour, tx_ms, q->pm_tx_any ? tx_total - q->pm_tx_total : 0);
	q->pm_tx_any = true;
	q->pm_tx_total = tx_total;
	q->pm_next_colour = (colour + 1) & (SVR_MD_PM_COLOURS - 1);
	pm->tx_colour = colour;
	pm->tx_ms = tx_ms;
	if (!q->pm_rx_any) {
		pm->rx_colour = colour;
		pm->rx_ms = tx_ms;
		pm->drop = true;
		pm->rx_count = SVR_MD_PM_NOTHING_RECEIVED;
		return;
	}
	pm->rx_colour = q->pm_rx_colour;
	pm->rx_ms = q->pm_rx_ms;
	pm->drop = q->pm_rx_drop;
	pm->rx_count = q->pm_rx_count;
}

bool svr_pathq_pm_received(struct svr_pathq *q, uint64_t now_ms,
			   const struct svr_md_path_metrics *pm, uint32_t rx_total)
{
	pm_remember_peer(q, now_ms, pm, rx_total);
	if (pm->drop && pm->rx_count == SVR_MD_PM_NOTHING_RECEIVED)
		return false;
	unsigned c = pm->rx_colour & (SVR_MD_PM_COLOURS - 1);
	if (!q->pm_tx[c].pending)
		return false;
	int32_t rtt_ms = svr_pm_rtt_ms((uint32_t)now_ms, q->pm_tx[c].tx_ms, pm->tx_ms, pm->rx_ms);
	if (rtt_ms < 0 || (uint64_t)rtt_ms * 1000 > SVR_PATHQ_MAX_RTT_US)
		return false;
	q->pm_tx[c].pending = false;
	latency_add(q, (uint32_t)rtt_ms * 1000 / 2);
	uint32_t tx = q->pm_tx[c].tx_pkts;
	if (!pm->drop && tx >= SVR_PATHQ_DATA_MIN_TX) {
		q->data[q->data_next].at_ms = now_ms;
		q->data[q->data_next].tx = tx;
		q->data[q->data_next].lost = svr_pm_lost(tx, pm->rx_count);
		q->data_next = (q->data_next + 1) % SVR_PATHQ_DATA_WIN;
	}
	return true;
}

bool svr_pathq_data_loss(const struct svr_pathq *q, uint64_t now_ms, uint32_t *mpct,
			 unsigned *samples)
{
	uint64_t tx = 0;
	int64_t lost = 0; /* a sample's count may be negative: see svr_pm_lost */
	unsigned n = 0;
	for (unsigned i = 0; i < SVR_PATHQ_DATA_WIN; i++)
		if (q->data[i].tx && q->data[i].at_ms + SVR_PATHQ_DATA_AGE_MS > now_ms) {
			tx += q->data[i].tx;
			lost += q->data[i].lost;
			n++;
		}
	if (samples)
		*samples = n;
	if (!tx)
		return false;
	if (lost < 0)
		lost = 0;
	if ((uint64_t)lost > tx)
		lost = (int64_t)tx;
	*mpct = (uint32_t)((uint64_t)lost * SVR_PATHQ_LOSS_ALL / tx);
	return true;
}

/* --- figures --- */

static uint32_t median(const uint32_t *v, unsigned n)
{
	uint32_t s[SVR_PATHQ_LAT_WIN];
	for (unsigned i = 0; i < n; i++) { /* insertion sort: n <= 32, main lcore only */
		unsigned j = i;
		for (; j > 0 && s[j - 1] > v[i]; j--)
			s[j] = s[j - 1];
		s[j] = v[i];
	}
	return n % 2 ? s[n / 2] : (uint32_t)(((uint64_t)s[n / 2 - 1] + s[n / 2]) / 2);
}

uint16_t svr_pathq_mos_x100(uint32_t latency_us, uint32_t jitter_us, uint32_t loss_mpct)
{
	double d = latency_us / 1000.0 + 2.0 * jitter_us / 1000.0 + 10.0;
	double r = 93.2 - (d < 160 ? d / 40 : (d - 120) / 10) - 2.5 * (loss_mpct / 1000.0);
	double mos = 1 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r);
	if (r <= 0 || mos < 1)
		mos = 1;
	if (r >= 100 || mos > 4.5)
		mos = 4.5;
	return (uint16_t)(mos * 100 + 0.5);
}

void svr_pathq_get(const struct svr_pathq *q, uint64_t now_ms, struct svr_quality *out)
{
	memset(out, 0, sizeof(*out));
	uint32_t l;
	if (echo_loss(q, &l))
		out->loss_mpct = l, out->loss_source = SVR_PATHQ_SRC_ECHO;
	if (bfd_loss(q, now_ms, &l) && (!out->loss_source || l > out->loss_mpct))
		out->loss_mpct = l, out->loss_source = SVR_PATHQ_SRC_BFD;
	if (svr_pathq_data_loss(q, now_ms, &l, NULL) && (!out->loss_source || l > out->loss_mpct))
		out->loss_mpct = l, out->loss_source = SVR_PATHQ_SRC_DATA;
	out->samples = (uint16_t)q->lat_n;
	if (q->lat_n)
		out->latency_us = median(q->lat, q->lat_n);
	out->jitter_us = (q->jitter16_us + 8) >> 4;
	out->mos_x100 = svr_pathq_mos_x100(out->latency_us, out->jitter_us, out->loss_mpct);
}
