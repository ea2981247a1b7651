/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Path quality (src/common/pathq.c) from synthetic samples: echo loss over its sequence window
 * (settled outcomes only, wrap), BFD control-packet gaps over five seconds (wrap, restart),
 * TLV 26 data loss and RTT (28-bit time and 15-bit count wrap, drop flag, stale colours), the
 * latency median and jitter windows, MOS at known points and loss as the worst source.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/pathq.h"

static struct svr_quality get(const struct svr_pathq *q, uint64_t now_ms)
{
	struct svr_quality v;
	svr_pathq_get(q, now_ms, &v);
	return v;
}

static void empty_path(void **state)
{
	(void)state;
	struct svr_pathq q;
	svr_pathq_init(&q);
	struct svr_quality v = get(&q, 1000);
	assert_int_equal(v.loss_mpct, 0);
	assert_int_equal(v.loss_source, SVR_PATHQ_SRC_NONE);
	assert_int_equal(v.samples, 0);
	assert_int_equal(v.latency_us, 0);
	assert_int_equal(v.mos_x100, 440); /* d = 10 ms, no loss */
}

static void echo_loss_window(void **state)
{
	(void)state;
	struct svr_pathq q;
	svr_pathq_init(&q);
	for (uint16_t s = 0; s < 10; s++)
		svr_pathq_echo_result(&q, s, s != 3 && s != 7);
	struct svr_quality v = get(&q, 0);
	assert_int_equal(v.loss_mpct, 20000); /* 2 of 10 */
	assert_int_equal(v.loss_source, SVR_PATHQ_SRC_ECHO);
	/* replies give delay samples only: the outcomes are what the window counts */
	assert_int_equal(v.samples, 0);
	svr_pathq_echo_rtt(&q, 2000);
	assert_int_equal(get(&q, 0).samples, 1);
	assert_int_equal(get(&q, 0).loss_mpct, 20000);
	/* a test in progress, its replies in but its losses not yet known, changes nothing: only
	 * its end settles its outcomes (the bias that made a lossy path look clean for a moment) */
	for (int k = 0; k < 10; k++)
		svr_pathq_echo_rtt(&q, 2000);
	assert_int_equal(get(&q, 0).loss_mpct, 20000);
	/* 32 answered later echoes push both losses out of the window */
	for (uint16_t s = 10; s < 10 + SVR_PATHQ_ECHO_WIN; s++)
		svr_pathq_echo_result(&q, s, true);
	assert_int_equal(get(&q, 0).loss_mpct, 0);
	svr_pathq_echo_result(&q, 9, false); /* older than the window: ignored */
	assert_int_equal(get(&q, 0).loss_mpct, 0);
	/* a jump of the sequence (tests skipped): outcomes more than 32 behind the newest age out
	 */
	svr_pathq_init(&q);
	for (uint16_t s = 0; s < 10; s++)
		svr_pathq_echo_result(&q, s, false);
	assert_int_equal(get(&q, 0).loss_mpct, SVR_PATHQ_LOSS_ALL);
	svr_pathq_echo_result(&q, 1000, true);
	assert_int_equal(get(&q, 0).loss_mpct, 0);
	/* 16-bit sequence wrap: 65530..65535, 0..9 with 4 losses of 16 */
	svr_pathq_init(&q);
	for (uint16_t s = 65530, k = 0; k < 16; s++, k++)
		svr_pathq_echo_result(&q, s, k % 4 != 0);
	assert_int_equal(get(&q, 0).loss_mpct, 25000);
}

static void latency_median_window(void **state)
{
	(void)state;
	struct svr_pathq q;
	svr_pathq_init(&q);
	for (int i = 0; i < 3; i++)
		svr_pathq_echo_rtt(&q, (uint32_t)(10000 + 1000 * i)); /* 10, 11, 12 ms RTT */
	struct svr_quality v = get(&q, 0);
	assert_int_equal(v.samples, 3);
	assert_int_equal(v.latency_us, 5500); /* median RTT 11 ms / 2 */
	for (int i = 0; i < 3; i++)
		svr_pathq_echo_rtt(&q, 90000); /* one-way 45 ms, now 6 samples */
	assert_int_equal(get(&q, 0).latency_us, (6000 + 45000) / 2);
	/* 32 samples of 10 ms, then 17 of 100 ms: only the last 32 count, so the median is 50 ms */
	svr_pathq_init(&q);
	for (int i = 0; i < 32; i++)
		svr_pathq_echo_rtt(&q, 10000);
	for (int i = 0; i < 17; i++)
		svr_pathq_echo_rtt(&q, 100000);
	v = get(&q, 0);
	assert_int_equal(v.samples, SVR_PATHQ_LAT_WIN);
	assert_int_equal(v.latency_us, 50000);
	/* an RTT longer than a minute is nonsense, ignored */
	svr_pathq_echo_rtt(&q, SVR_PATHQ_MAX_RTT_US + 1);
	assert_int_equal(get(&q, 0).latency_us, 50000);
}

static void jitter_rfc3550(void **state)
{
	(void)state;
	struct svr_pathq q;
	svr_pathq_init(&q);
	svr_pathq_echo_rtt(&q, 20000); /* one-way 10 ms */
	assert_int_equal(get(&q, 0).jitter_us, 0);
	svr_pathq_echo_rtt(&q, 40000); /* one-way 20 ms: |D| = 10 ms, J = 10/16 ms */
	assert_int_equal(get(&q, 0).jitter_us, 625);
	for (uint16_t s = 2; s < 300; s++) /* alternating 10/20 ms: J converges to 10 ms */
		svr_pathq_echo_rtt(&q, s % 2 ? 40000 : 20000);
	struct svr_quality v = get(&q, 0);
	assert_in_range(v.jitter_us, 9900, 10000);
	/* steady delay: J decays by 1/16 a sample */
	for (uint16_t s = 300; s < 500; s++)
		svr_pathq_echo_rtt(&q, 20000);
	assert_in_range(get(&q, 0).jitter_us, 0, 20);
}

static void bfd_gaps_window(void **state)
{
	(void)state;
	struct svr_pathq q;
	svr_pathq_init(&q);
	/* seq 1, 2, 3, 6: 4 received, 2 lost */
	svr_pathq_bfd_seq(&q, 10000, 1);
	svr_pathq_bfd_seq(&q, 10050, 2);
	svr_pathq_bfd_seq(&q, 10100, 3);
	svr_pathq_bfd_seq(&q, 10250, 6);
	struct svr_quality v = get(&q, 10300);
	assert_int_equal(v.loss_mpct, 33333);
	assert_int_equal(v.loss_source, SVR_PATHQ_SRC_BFD);
	svr_pathq_bfd_seq(&q, 10300, 5); /* reordered: ignored, no loss undone or added */
	svr_pathq_bfd_seq(&q, 10300, 6); /* repeated */
	assert_int_equal(get(&q, 10300).loss_mpct, 33333);
	/* clean packets for 5 s more: the lossy second leaves the window */
	uint32_t seq = 7;
	for (uint64_t t = 11000; t < 15000; t += 50)
		svr_pathq_bfd_seq(&q, t, seq++);
	assert_true(get(&q, 14999).loss_mpct > 0);
	assert_int_equal(get(&q, 15000).loss_mpct, 0);
	/* nothing in the last 5 s: no BFD figure at all */
	assert_int_equal(get(&q, 20000).loss_source, SVR_PATHQ_SRC_NONE);
	/* 32-bit wrap: 0xfffffffe, 0xffffffff, 1 -> seq 0 lost (1 of 4) */
	svr_pathq_init(&q);
	svr_pathq_bfd_seq(&q, 0, 0xfffffffeu);
	svr_pathq_bfd_seq(&q, 10, 0xffffffffu);
	svr_pathq_bfd_seq(&q, 20, 1);
	assert_int_equal(get(&q, 30).loss_mpct, 25000);
	/* a restart (a jump beyond SVR_PATHQ_BFD_MAX_GAP) is not loss */
	svr_pathq_bfd_seq(&q, 40, 1 + SVR_PATHQ_BFD_MAX_GAP + 1);
	svr_pathq_bfd_seq(&q, 50, 1 + SVR_PATHQ_BFD_MAX_GAP + 2);
	assert_int_equal(get(&q, 60).loss_mpct, 16666); /* still 1 lost, 5 received */
}

/* The peer's answer to our sample of colour c: it got it at rx_ms and sent its own at tx_ms. */
static struct svr_md_path_metrics answer(uint8_t c, uint32_t rx_ms, uint32_t tx_ms, uint16_t count,
					 bool drop)
{
	return (struct svr_md_path_metrics){.tx_colour = 9,
					    .tx_ms = tx_ms & SVR_MD_PM_TIME_MASK,
					    .rx_colour = c,
					    .rx_ms = rx_ms & SVR_MD_PM_TIME_MASK,
					    .drop = drop,
					    .rx_count = count};
}

static void pm_arithmetic(void **state)
{
	(void)state;
	assert_int_equal(svr_pm_lost(100, 90), 10);
	/* more sent than the count can say: the peer would set Drop above 32,766 received */
	assert_int_equal(svr_pm_lost(40000, 32000), 8000);
	/* more received than sent: a packet that crossed the sample on the way; negative, so
	 * that it cancels the loss it makes in the next period */
	assert_int_equal(svr_pm_lost(10, 12), -2);
	assert_int_equal(svr_pm_rtt_ms(1080, 1000, 50030, 50000), 50);
	/* our clock and the peer's both wrap at 2^28 ms */
	assert_int_equal(svr_pm_rtt_ms(40, SVR_MD_PM_TIME_MASK - 9, 5, SVR_MD_PM_TIME_MASK - 4),
			 40);
	assert_int_equal(svr_pm_rtt_ms(1010, 1000, 50030, 50000), -1); /* held longer than gone */
}

static void pm_samples(void **state)
{
	(void)state;
	struct svr_pathq q;
	svr_pathq_init(&q);
	struct svr_md_path_metrics a = answer(3, 50000, 50030, 90, false);
	assert_false(svr_pathq_pm_received(&q, 1080, &a, 0)); /* colour 3 never sent */
	svr_pathq_pm_sent(&q, 3, 1000, 100);
	assert_true(svr_pathq_pm_received(&q, 1080, &a, 0));
	struct svr_quality v = get(&q, 1080);
	assert_int_equal(v.latency_us, 25000); /* RTT 50 ms */
	assert_int_equal(v.loss_mpct, 10000);  /* 10 of 100 */
	assert_int_equal(v.loss_source, SVR_PATHQ_SRC_DATA);
	assert_false(svr_pathq_pm_received(&q, 1090, &a, 0)); /* answered already */
	assert_int_equal(get(&q, 1090).samples, 1);

	/* wrap of our 28-bit time: sent at 2^28 - 10 ms, answered at 2^28 + 40 (RTT 40 ms) */
	uint64_t base = SVR_MD_PM_TIME_MASK + 1ull;
	svr_pathq_pm_sent(&q, 4, (uint32_t)(base - 10), 40000);
	a = answer(4, SVR_MD_PM_TIME_MASK - 4, 5, 0, false);
	a.rx_count = 32000; /* 8,000 of 40,000 lost: 20 % */
	assert_true(svr_pathq_pm_received(&q, base + 40, &a, 0));
	v = get(&q, base + 40);
	assert_int_equal(v.samples, 2);
	assert_int_equal(v.latency_us, (25000 + 20000) / 2);
	/* the first loss sample is 2^28 ms old by now: only 8,000 lost of 40,000 sent count */
	assert_int_equal(v.loss_mpct, 20000);

	/* drop flag or fewer than 50 sent: an RTT, no loss sample */
	svr_pathq_init(&q);
	svr_pathq_pm_sent(&q, 0, 0, 1000);
	a = answer(0, 100, 110, 0, true);
	assert_true(svr_pathq_pm_received(&q, 30, &a, 0));
	svr_pathq_pm_sent(&q, 1, 1000, 49);
	a = answer(1, 100, 110, 0, false);
	assert_true(svr_pathq_pm_received(&q, 1030, &a, 0));
	v = get(&q, 1030);
	assert_int_equal(v.samples, 2);
	assert_int_equal(v.latency_us, 10000);
	assert_int_equal(v.loss_source, SVR_PATHQ_SRC_NONE);

	/* an impossible RTT (held longer than gone) changes nothing, the colour stays pending */
	svr_pathq_pm_sent(&q, 2, 2000, 500);
	a = answer(2, 100, 200, 0, false);
	assert_false(svr_pathq_pm_received(&q, 2050, &a, 0));
	a = answer(2, 100, 120, 250, false);
	assert_true(svr_pathq_pm_received(&q, 2050, &a, 0));
	assert_int_equal(get(&q, 2050).loss_mpct, 50000);
	/* data loss samples age out after SVR_PATHQ_DATA_AGE_MS */
	assert_int_equal(get(&q, 2050 + SVR_PATHQ_DATA_AGE_MS - 1).loss_mpct, 50000);
	assert_int_equal(get(&q, 2050 + SVR_PATHQ_DATA_AGE_MS).loss_source, SVR_PATHQ_SRC_NONE);
	/* only the last 5 samples count: five clean ones push the 50 % one out */
	for (uint8_t c = 0; c < SVR_PATHQ_DATA_WIN; c++) {
		svr_pathq_pm_sent(&q, c, 2100 + c, 500);
		a = answer(c, 100, 100, 500, false);
		assert_true(svr_pathq_pm_received(&q, 2110 + c, &a, 0));
		assert_true(get(&q, 2120).loss_mpct > 0 || c == SVR_PATHQ_DATA_WIN - 1);
	}
	assert_int_equal(get(&q, 2120).loss_mpct, 0);
	assert_int_equal(get(&q, 2120).loss_source, SVR_PATHQ_SRC_DATA);
}

/* Real traffic: the counts are taken where each router handles the sample, so a data packet sent
 * just after our count can arrive before the sample and be counted in the peer's period before.
 * One period then shows more received than sent and the next one more lost: they cancel. */
static void pm_boundary_packets_cancel(void **state)
{
	(void)state;
	struct svr_pathq q;
	svr_pathq_init(&q);
	struct svr_md_path_metrics a;
	uint32_t mpct = 1;
	unsigned n = 9;
	assert_false(svr_pathq_data_loss(&q, 0, &mpct, &n)); /* no sample: no figure */
	assert_int_equal(n, 0);
	svr_pathq_pm_sent(&q, 0, 1000, 500);
	a = answer(0, 100, 110, 501, false); /* one packet of the next period came first */
	assert_true(svr_pathq_pm_received(&q, 1030, &a, 0));
	assert_true(svr_pathq_data_loss(&q, 1030, &mpct, &n));
	assert_int_equal(mpct, 0); /* not 100 % */
	assert_int_equal(n, 1);
	svr_pathq_pm_sent(&q, 1, 2000, 500);
	a = answer(1, 1100, 1110, 499, false); /* ... and is missing from this one */
	assert_true(svr_pathq_pm_received(&q, 2030, &a, 0));
	assert_true(svr_pathq_data_loss(&q, 2030, &mpct, &n));
	assert_int_equal(mpct, 0); /* -1 + 1: no loss over the window */
	assert_int_equal(n, 2);
	/* a real loss on top still shows: 50 of 1,500 */
	svr_pathq_pm_sent(&q, 2, 3000, 500);
	a = answer(2, 2100, 2110, 450, false);
	assert_true(svr_pathq_pm_received(&q, 3030, &a, 0));
	assert_true(svr_pathq_data_loss(&q, 3030, &mpct, &n));
	assert_int_equal(mpct, 3333);
	assert_int_equal(get(&q, 3030).loss_source, SVR_PATHQ_SRC_DATA);
}

/* A sample through the metadata codec, as it travels in a BFD packet's header section. */
static struct svr_md_path_metrics on_the_wire(const struct svr_md_path_metrics *pm)
{
	struct svr_md md = {.present = SVR_MDF_PATH_METRICS, .pm = *pm}, got;
	uint8_t b[64];
	char err[128];
	size_t n = svr_md_encode(&md, b, sizeof(b), NULL);
	assert_int_equal(svr_md_decode(b, n, &got, err, sizeof(err)), (int)n);
	assert_true(got.present & SVR_MDF_PATH_METRICS);
	return got.pm;
}

/*
 * Two routers A and B exchanging TLV 26 samples on one path, 20 ms each way, B's clock far from
 * A's and wrapping 2^28 ms meanwhile; A sends 1,000 data packets a period and B gets 900.
 */
static void pm_exchange_two_routers(void **state)
{
	(void)state;
	static struct svr_pathq qa, qb;
	svr_pathq_init(&qa);
	svr_pathq_init(&qb);
	const uint64_t off = SVR_MD_PM_TIME_MASK - 700; /* B's clock = A's + off */
	struct svr_md_path_metrics s;

	svr_pathq_pm_next(&qa, 0, 0, &s); /* colour 0: nothing received yet */
	assert_int_equal(s.tx_colour, 0);
	assert_true(s.drop);
	assert_int_equal(s.rx_count, SVR_MD_PM_NOTHING_RECEIVED);
	s = on_the_wire(&s);
	/* B's own first sample crosses it: it answers nothing, though A's colour 0 is pending */
	struct svr_md_path_metrics blind;
	svr_pathq_pm_next(&qb, 10 + off, 0, &blind);
	blind = on_the_wire(&blind);
	assert_false(svr_pathq_pm_received(&qa, 30, &blind, 0));
	svr_pathq_init(&qb);
	assert_false(svr_pathq_pm_received(&qb, 20 + off, &s, 0)); /* answers nothing */
	svr_pathq_pm_next(&qb, 100 + off, 0, &s); /* B's first: answers A's colour 0 */
	s = on_the_wire(&s);
	assert_true(svr_pathq_pm_received(&qa, 120, &s, 0));
	assert_int_equal(get(&qa, 120).latency_us, 20000); /* RTT 40 ms (120 - 0 - B's 80 ms) */
	assert_int_equal(get(&qa, 120).loss_source, SVR_PATHQ_SRC_NONE); /* B had no period */

	svr_pathq_pm_next(&qa, 1000, 1000, &s); /* colour 1: 1,000 sent since colour 0 */
	assert_int_equal(s.tx_colour, 1);
	s = on_the_wire(&s);
	svr_pathq_pm_received(&qb, 1020 + off, &s, 900); /* 900 arrived since colour 0 */
	svr_pathq_pm_received(&qb, 1025 + off, &s, 905); /* the same sample again: ignored */
	svr_pathq_pm_next(&qb, 1500 + off, 0, &s);
	assert_int_equal(s.rx_colour, 1);
	assert_false(s.drop);
	assert_int_equal(s.rx_count, 900);
	s = on_the_wire(&s);
	assert_true(svr_pathq_pm_received(&qa, 1520, &s, 0));
	assert_false(svr_pathq_pm_received(&qa, 1530, &s, 0)); /* the same answer again */
	struct svr_quality v = get(&qa, 1520);
	assert_int_equal(v.samples, 2);
	assert_int_equal(v.latency_us, 20000); /* (1520 - 1000) - (1500 - 1020) = 40 ms */
	assert_int_equal(v.loss_mpct, 10000);  /* 100 of 1,000 */
	assert_int_equal(v.loss_source, SVR_PATHQ_SRC_DATA);

	/* A's colour 2 is lost on the way: B's count after colour 3 spans two periods -> Drop */
	svr_pathq_pm_next(&qa, 2000, 2000, &s);
	svr_pathq_pm_next(&qa, 3000, 3000, &s);
	s = on_the_wire(&s);
	svr_pathq_pm_received(&qb, 3020 + off, &s, 2700);
	svr_pathq_pm_next(&qb, 3100 + off, 0, &s);
	assert_int_equal(s.rx_colour, 3);
	assert_true(s.drop);
	s = on_the_wire(&s);
	assert_true(svr_pathq_pm_received(&qa, 3120, &s, 0));
	v = get(&qa, 3120);
	assert_int_equal(v.samples, 3);
	assert_int_equal(v.loss_mpct, 10000); /* no new loss figure from a Drop answer */

	/* the next period is whole again: 1,000 sent, 1,000 received */
	svr_pathq_pm_next(&qa, 4000, 4000, &s);
	s = on_the_wire(&s);
	svr_pathq_pm_received(&qb, 4020 + off, &s, 3700);
	svr_pathq_pm_next(&qb, 4100 + off, 0, &s);
	assert_false(s.drop);
	assert_int_equal(s.rx_count, 1000);
	s = on_the_wire(&s);
	assert_true(svr_pathq_pm_received(&qa, 4120, &s, 0));
	assert_int_equal(get(&qa, 4120).loss_mpct, 5000); /* 100 of 2,000 over the window */

	/* the 16 colours wrap (B counts one packet a period); then a period of 32,767 packets,
	 * more than the count can say apart from "nothing received": Drop */
	uint32_t rx = 3700;
	for (uint32_t k = 0; k < 12; k++) {
		svr_pathq_pm_next(&qa, 5000 + k, 4000, &s);
		rx += k < 11 ? 1 : SVR_MD_PM_COUNT_MAX;
		svr_pathq_pm_received(&qb, 5020 + k + off, &s, rx);
		if (k == 10) {
			struct svr_md_path_metrics b;
			svr_pathq_pm_next(&qb, 5040 + k + off, 0, &b);
			assert_false(b.drop);
			assert_int_equal(b.rx_count, 1);
		}
	}
	assert_int_equal(s.tx_colour, 0);
	svr_pathq_pm_next(&qb, 6100 + off, 0, &s);
	assert_int_equal(s.rx_colour, 0);
	assert_true(s.drop);
	assert_int_equal(s.rx_count, 0);
}

static void loss_is_the_worst_source(void **state)
{
	(void)state;
	struct svr_pathq q;
	svr_pathq_init(&q);
	for (uint16_t s = 0; s < 10; s++) /* echo: 1 of 10 lost */
		svr_pathq_echo_result(&q, s, s != 0);
	svr_pathq_bfd_seq(&q, 1000, 1); /* control: 1 of 3 lost */
	svr_pathq_bfd_seq(&q, 1100, 3);
	struct svr_quality v = get(&q, 1200);
	assert_int_equal(v.loss_mpct, 33333);
	assert_int_equal(v.loss_source, SVR_PATHQ_SRC_BFD);
	assert_int_equal(get(&q, 7000).loss_mpct, 10000); /* control window passed: echo's */
	assert_int_equal(get(&q, 7000).loss_source, SVR_PATHQ_SRC_ECHO);
	/* a later source with less loss does not hide the echo's */
	svr_pathq_bfd_seq(&q, 7000, 4);
	svr_pathq_bfd_seq(&q, 7100, 5);
	assert_int_equal(get(&q, 7200).loss_mpct, 10000);
	assert_int_equal(get(&q, 7200).loss_source, SVR_PATHQ_SRC_ECHO);
	svr_pathq_pm_sent(&q, 0, 7000, 1000);
	struct svr_md_path_metrics a = answer(0, 10, 20, 1000, false); /* no data lost */
	assert_true(svr_pathq_pm_received(&q, 7100, &a, 0));
	assert_int_equal(get(&q, 7200).loss_mpct, 10000);
	assert_int_equal(get(&q, 7200).loss_source, SVR_PATHQ_SRC_ECHO);
}

static void mos_points(void **state)
{
	(void)state;
	assert_int_equal(svr_pathq_mos_x100(0, 0, 0), 440);             /* R 92.95 */
	assert_int_equal(svr_pathq_mos_x100(140000, 0, 0), 433);        /* d 150: R 89.45 */
	assert_int_equal(svr_pathq_mos_x100(150000, 0, 0), 432);        /* d 160, both branches */
	assert_int_equal(svr_pathq_mos_x100(40000, 0, 5000), 400);      /* 5 % loss: R 79.45 */
	assert_int_equal(svr_pathq_mos_x100(400000, 0, 0), 331);        /* d 410: R 64.2 */
	assert_int_equal(svr_pathq_mos_x100(100000, 20000, 1000), 426); /* d 150, 1 %: R 86.95 */
	assert_int_equal(svr_pathq_mos_x100(0, 0, 40000), 100);         /* R < 0: clamped to 1 */
	assert_int_equal(svr_pathq_mos_x100(0, 0, SVR_PATHQ_LOSS_ALL), 100);
	/* the figure a path shows uses its own measures */
	struct svr_pathq q;
	svr_pathq_init(&q);
	for (uint16_t s = 0; s < 4; s++)
		svr_pathq_echo_rtt(&q, 280000); /* one-way 140 ms, no jitter */
	assert_int_equal(get(&q, 0).mos_x100, 433);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(empty_path),
	    cmocka_unit_test(echo_loss_window),
	    cmocka_unit_test(latency_median_window),
	    cmocka_unit_test(jitter_rfc3550),
	    cmocka_unit_test(bfd_gaps_window),
	    cmocka_unit_test(pm_arithmetic),
	    cmocka_unit_test(pm_samples),
	    cmocka_unit_test(pm_boundary_packets_cancel),
	    cmocka_unit_test(pm_exchange_two_routers),
	    cmocka_unit_test(loss_is_the_worst_source),
	    cmocka_unit_test(mos_points),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
