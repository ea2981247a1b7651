/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Measured quality of one peer path (docs/paths.md "Quality"): loss, one-way latency, jitter and
 * a MOS figure, from three kinds of samples the caller feeds in:
 *   - BFD echo link tests: each reply's RTT, and each request's outcome when its test ends;
 *   - BFD control packets: their sequence numbers (gaps are lost control packets);
 *   - in-band path metrics (TLV 26) on the BFD packets: data-packet loss and RTT.
 * Plain C: no DPDK, no clock (the caller passes its time in ms), no allocation (every window is
 * a fixed array inside struct svr_pathq). Not thread-safe: one owner (the dataplane's main
 * lcore) feeds and reads a path's state; it publishes the figures of svr_pathq_get() itself.
 *
 * Windows:
 *   echo loss     the last SVR_PATHQ_ECHO_WIN echo sequence numbers (about 3 tests of 10);
 *   control loss  BFD control packets over the last SVR_PATHQ_BFD_SECS seconds;
 *   data loss     the last SVR_PATHQ_DATA_WIN TLV 26 samples that counted >= SVR_PATHQ_DATA_MIN_TX
 *                 sent packets, none older than SVR_PATHQ_DATA_AGE_MS;
 *   latency       median of the last SVR_PATHQ_LAT_WIN one-way estimates (RTT/2, echo and TLV 26);
 *   jitter        RFC 3550 smoothing (1/16) of |difference| of consecutive echo one-way delays.
 * Loss is the highest of the three losses that have samples.
 */
#ifndef SVR_COMMON_PATHQ_H
#define SVR_COMMON_PATHQ_H

#include <stdbool.h>
#include <stdint.h>

#include "svr/metadata.h"

#define SVR_PATHQ_ECHO_WIN    32        /* echo outcomes, by sequence number (power of two) */
#define SVR_PATHQ_BFD_SECS    5         /* one-second buckets of control-packet counts */
#define SVR_PATHQ_BFD_MAX_GAP 1024      /* a bigger jump is a restart, not loss */
#define SVR_PATHQ_DATA_WIN    5         /* TLV 26 loss samples */
#define SVR_PATHQ_DATA_MIN_TX 50        /* fewer packets sent in a colour period: no loss sample */
#define SVR_PATHQ_DATA_AGE_MS 10000     /* older TLV 26 loss samples no longer count */
#define SVR_PATHQ_LAT_WIN     32        /* one-way delay samples for the median (power of two) */
#define SVR_PATHQ_MAX_RTT_US  60000000u /* a longer RTT is nonsense (stale colour): ignored */

/* Units: loss in milli-percent (100 % = 100,000), times in microseconds, MOS x 100. */
#define SVR_PATHQ_LOSS_ALL 100000u

/* Which source gave the loss figure (the highest). */
enum svr_pathq_source {
	SVR_PATHQ_SRC_NONE = 0,
	SVR_PATHQ_SRC_ECHO,
	SVR_PATHQ_SRC_BFD,
	SVR_PATHQ_SRC_DATA,
};

/* The figures of one path (what the ranking, the API and the published line read). */
struct svr_quality {
	uint32_t loss_mpct;  /* milli-percent, 0..100000 */
	uint32_t latency_us; /* one-way: median RTT/2 */
	uint32_t jitter_us;
	uint16_t mos_x100;   /* 100..450 */
	uint16_t samples;    /* one-way delay samples in the window; 0: latency/jitter unknown */
	uint8_t loss_source; /* enum svr_pathq_source */
};

/* Internal state: read only through the functions below. Zero-filled = empty (svr_pathq_init). */
struct svr_pathq {
	struct {
		uint16_t seq;
		uint8_t state; /* 0 empty, 1 answered, 2 lost */
	} echo[SVR_PATHQ_ECHO_WIN];
	uint16_t echo_top; /* the highest echo seq seen */
	bool echo_any;
	uint32_t jitter16_us; /* RFC 3550: jitter x 16 */
	uint32_t last_oneway_us;
	bool have_oneway;
	uint32_t lat[SVR_PATHQ_LAT_WIN]; /* one-way us, ring */
	uint32_t lat_n, lat_next;
	struct {
		uint64_t sec;
		uint32_t rx, lost;
	} bfd[SVR_PATHQ_BFD_SECS];
	uint32_t bfd_last_seq;
	bool bfd_any;
	struct {
		uint64_t at_ms;
		uint32_t tx;
		int32_t lost; /* negative: more counted received than sent (svr_pm_lost) */
	} data[SVR_PATHQ_DATA_WIN];
	uint32_t data_next;
	/* TLV 26 samples we sent, by colour: when (28-bit ms), data packets sent in their period */
	struct {
		uint32_t tx_ms, tx_pkts;
		bool pending; /* not answered yet: a second answer for one colour is ignored */
	} pm_tx[SVR_MD_PM_COLOURS];
	uint8_t pm_next_colour;
	bool pm_tx_any;
	uint32_t pm_tx_total; /* data packets sent, at our last sample */
	/* the peer's last sample, to answer in our next one */
	bool pm_rx_any, pm_rx_drop;
	uint8_t pm_rx_colour;
	uint32_t pm_rx_ms, pm_rx_total; /* when (our clock), data packets received by then */
	uint16_t pm_rx_count;
};

void svr_pathq_init(struct svr_pathq *q);

/* An echo reply came back after rtt_us: a latency and jitter sample (the caller passes each
 * request's first reply only). */
void svr_pathq_echo_rtt(struct svr_pathq *q, uint32_t rtt_us);

/*
 * The outcome of echo request seq, given when its test ends: answered or lost. Only settled
 * outcomes enter the loss window, so a test in progress, whose replies are in but whose losses
 * are not known yet, does not make the path look better than it is.
 */
void svr_pathq_echo_result(struct svr_pathq *q, uint16_t seq, bool answered);

/*
 * A BFD control packet with sequence number seq (the authenticated sequence, already verified)
 * arrived at now_ms: the packets between the previous seq and this one are counted lost. A seq
 * more than SVR_PATHQ_BFD_MAX_GAP above the previous one (a restart) counts as received without
 * loss; one not above it (repeated, reordered) is ignored.
 */
void svr_pathq_bfd_seq(struct svr_pathq *q, uint64_t now_ms, uint32_t seq);

/*
 * In-band path metrics (TLV 26; the fields' meaning: include/svr/metadata.h). Once per metrics
 * interval the caller sends svr_pathq_pm_next()'s sample to the peer, and gives every sample of
 * the peer to svr_pathq_pm_received(). tx_total and rx_total are free-running counters (they may
 * wrap) of the data packets the path's sessions sent to / received from the peer on this path.
 */

/* Our next sample at now_ms: colour = previous + 1 mod 16; remembered (svr_pathq_pm_sent). */
void svr_pathq_pm_next(struct svr_pathq *q, uint64_t now_ms, uint32_t tx_total,
		       struct svr_md_path_metrics *pm);

/*
 * The peer's sample pm arrived at now_ms (our clock). It is remembered, to be answered in our
 * next sample (RxColor, RxTime, the count of data packets received since its previous sample;
 * Drop when that count does not cover exactly one period: the first sample, a colour skipped, or
 * more than 32,766 packets). And it answers our sample of colour pm->rx_colour:
 * RTT = (now - our tx time of that colour) - (pm->tx_ms - pm->rx_ms), all mod 2^28 ms;
 * lost = our tx_pkts - pm->rx_count (svr_pm_lost) over tx_pkts, only when tx_pkts >=
 * SVR_PATHQ_DATA_MIN_TX and pm->drop is clear. Returns true when it gave an RTT sample; false
 * when it answers nothing (SVR_MD_PM_NOTHING_RECEIVED), a colour not pending (never sent,
 * answered already), or the RTT is impossible.
 */
bool svr_pathq_pm_received(struct svr_pathq *q, uint64_t now_ms,
			   const struct svr_md_path_metrics *pm, uint32_t rx_total);

/* Lower level (tests): our sample of colour, sent at tx_ms, ended a period of tx_pkts packets. */
void svr_pathq_pm_sent(struct svr_pathq *q, uint8_t colour, uint32_t tx_ms, uint32_t tx_pkts);

/* The path's figures at now_ms (the control-loss and data-loss windows are time based). */
void svr_pathq_get(const struct svr_pathq *q, uint64_t now_ms, struct svr_quality *out);

/*
 * MOS x 100 from the simplified E-model (ITU-T G.107 with default impairments):
 *   d = latency + 2 x jitter + 10 ms;  R = 93.2 - (d < 160 ? d / 40 : (d - 120) / 10) - 2.5 x loss%
 *   MOS = 1 + 0.035 R + 7e-6 R (R - 60)(100 - R), clamped to 1 .. 4.5.
 */
uint16_t svr_pathq_mos_x100(uint32_t latency_us, uint32_t jitter_us, uint32_t loss_mpct);

/* The data loss alone (TLV 26) at now_ms, over its window: false when it has no sample;
 * samples (if given) gets how many samples are in the window. */
bool svr_pathq_data_loss(const struct svr_pathq *q, uint64_t now_ms, uint32_t *mpct,
			 unsigned *samples);

/*
 * The pure TLV 26 arithmetic (exposed for tests and the fuzz target).
 * Packets lost in one sample period: tx - rx. rx_count is exact (the peer sets Drop rather than
 * send a count above 32,766), tx_pkts is ours. It may be negative: the counts are taken where
 * each router handles the sample (its main lcore), so a data packet sent just after our count was
 * taken can still arrive before the sample does and be counted received in this period (and
 * missing from the next one). A window's samples are summed before the total is clamped to
 * 0 .. sent, so such a packet cancels out instead of counting as a loss.
 */
int32_t svr_pm_lost(uint32_t tx_pkts, uint16_t rx_count);
/* RTT in ms, or -1 when the peer's hold time exceeds the elapsed time. All times mod 2^28. */
int32_t svr_pm_rtt_ms(uint32_t now_ms, uint32_t our_tx_ms, uint32_t peer_tx_ms,
		      uint32_t peer_rx_ms);

#endif
