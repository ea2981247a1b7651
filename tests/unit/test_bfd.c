/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * BFD (src/common/bfd.c, RFC 5880): the §6.8.6 state table, a three-way handshake between two
 * sessions on a test clock, detection expiry at exactly mult x interval, negotiated intervals
 * both ways, tx jitter bounds, the 1 s rate while not Up, Poll/Final on an interval change;
 * every refusal (malformed packets, each authentication failure) leaving the session
 * untouched; key rotation; the digest and K_bfd against values computed by `openssl dgst`
 * and OpenSSL's own HMAC; echo link-test packets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>

#include "common/bfd.h"
#include "common/bytes.h"
#include "hex.h"

#define MS  1000ull
#define SEC 1000000ull

static struct svr_bfd_config cfg(uint32_t tx_ms, uint32_t rx_ms, uint8_t mult, uint64_t seed)
{
	return (struct svr_bfd_config){.desired_min_tx_us = tx_ms * 1000,
				       .required_min_rx_us = rx_ms * 1000,
				       .detect_mult = mult,
				       .seed = seed};
}

/* A key ring of one key: bytes i * 7 + id, 32 of them. */
static struct svr_bfd_keyring ring1(uint8_t id)
{
	struct svr_bfd_keyring kr = {.n = 1, .tx = 0};
	kr.keys[0].id = id;
	kr.keys[0].len = 32;
	for (unsigned i = 0; i < 32; i++)
		kr.keys[0].bytes[i] = (uint8_t)(i * 7 + id);
	return kr;
}

/* Two sessions wired back to back on one test clock. */
struct pair {
	struct svr_bfd_session a, b;
	const struct svr_bfd_keyring *ka, *kb;
	uint64_t now;
	bool cut_ab, cut_ba; /* drop what a sends to b, b to a */
	unsigned changes_a, changes_b;
};

/* One end's turn at p->now: timers, then a packet to the other end if one is due. */
static void turn(struct pair *p, struct svr_bfd_session *from, const struct svr_bfd_keyring *kf,
		 struct svr_bfd_session *to, const struct svr_bfd_keyring *kt, bool cut,
		 unsigned *changes_from, unsigned *changes_to)
{
	struct svr_bfd_event ev;
	uint8_t buf[SVR_BFD_MAX_LEN];
	bool due = svr_bfd_poll(from, p->now, &ev);
	*changes_from += ev.changed;
	if (!due)
		return;
	size_t n = svr_bfd_build(from, buf, sizeof(buf), 0, kf, p->now);
	assert_true(n > 0);
	if (cut)
		return;
	assert_int_equal(svr_bfd_rx(to, buf, n, 0, kt, p->now, &ev), SVR_BFD_OK);
	*changes_to += ev.changed;
}

/* Runs both ends, deadline by deadline, until the clock reaches `until`. */
static void run_until(struct pair *p, uint64_t until)
{
	for (;;) {
		uint64_t na = svr_bfd_next_us(&p->a), nb = svr_bfd_next_us(&p->b);
		uint64_t t = na < nb ? na : nb;
		if (t > until)
			t = until;
		if (t > p->now)
			p->now = t;
		turn(p, &p->a, p->ka, &p->b, p->kb, p->cut_ab, &p->changes_a, &p->changes_b);
		turn(p, &p->b, p->kb, &p->a, p->ka, p->cut_ba, &p->changes_b, &p->changes_a);
		if (p->now >= until)
			return;
	}
}

static void pair_init(struct pair *p, struct svr_bfd_config ca, struct svr_bfd_config cb)
{
	memset(p, 0, sizeof(*p));
	p->now = 1 * SEC;
	assert_int_equal(svr_bfd_init(&p->a, &ca, 0xa1, p->now), 0);
	assert_int_equal(svr_bfd_init(&p->b, &cb, 0xb2, p->now), 0);
}

/* Both Up and every Poll Sequence over. */
static void pair_up(struct pair *p)
{
	run_until(p, p->now + 5 * SEC);
	assert_int_equal(p->a.state, SVR_BFD_UP);
	assert_int_equal(p->b.state, SVR_BFD_UP);
	assert_false(p->a.poll);
	assert_false(p->b.poll);
}

/* A control packet laid out by hand (no auth section unless the caller adds one). */
static void raw(uint8_t *p, uint8_t state, uint8_t flags, uint8_t mult, uint8_t length, uint32_t my,
		uint32_t your, uint32_t tx_us, uint32_t rx_us)
{
	memset(p, 0, SVR_BFD_MAX_LEN);
	p[0] = 1 << 5;
	p[1] = (uint8_t)(state << 6 | flags);
	p[2] = mult;
	p[3] = length;
	svr_wr32(p + 4, my);
	svr_wr32(p + 8, your);
	svr_wr32(p + 12, tx_us);
	svr_wr32(p + 16, rx_us);
}

/* Signs msg (BFD packet at off, 48 bytes) with OpenSSL's HMAC, not bfd.c's: an independent
 * computation of the digest. */
static void sign(uint8_t *msg, size_t off, const struct svr_bfd_key *k, uint8_t type, uint8_t alen,
		 uint32_t seq)
{
	uint8_t *a = msg + off + 24, full[32];
	size_t n = 0;
	a[0] = type;
	a[1] = alen;
	a[2] = k->id;
	a[3] = 0;
	svr_wr32(a + 4, seq);
	memset(a + 8, 0, 16);
	assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, k->bytes, k->len, msg,
				  off + 48, full, sizeof(full), &n));
	memcpy(a + 8, full, 16);
}

/* svr_bfd_rx must refuse msg with err and leave every byte of the session as it was. */
static void refused(struct svr_bfd_session *s, const uint8_t *msg, size_t len, size_t off,
		    const struct svr_bfd_keyring *kr, uint64_t now, enum svr_bfd_err err)
{
	struct svr_bfd_session before;
	struct svr_bfd_event ev;
	memcpy(&before, s, sizeof(before));
	assert_int_equal(svr_bfd_rx(s, msg, len, off, kr, now, &ev), err);
	assert_false(ev.changed);
	assert_memory_equal(&before, s, sizeof(before));
	assert_string_not_equal(svr_bfd_err_name(err), "unknown");
}

/* --- state machine --- */

/* A session of local_discr 0xa1 brought to `st` by hand-made packets from peer 0xb2. */
static void session_in(struct svr_bfd_session *s, enum svr_bfd_state st, uint64_t now)
{
	struct svr_bfd_config c = cfg(50, 50, 3, 1);
	struct svr_bfd_event ev;
	uint8_t p[SVR_BFD_MAX_LEN];
	c.admin_down = st == SVR_BFD_ADMIN_DOWN;
	assert_int_equal(svr_bfd_init(s, &c, 0xa1, now), 0);
	if (st == SVR_BFD_INIT || st == SVR_BFD_UP) {
		raw(p, SVR_BFD_DOWN, 0, 3, 24, 0xb2, 0, 1000000, 50000);
		assert_int_equal(svr_bfd_rx(s, p, 24, 0, NULL, now, &ev), SVR_BFD_OK);
	}
	if (st == SVR_BFD_UP) {
		raw(p, SVR_BFD_UP, 0, 3, 24, 0xb2, 0xa1, 1000000, 50000);
		assert_int_equal(svr_bfd_rx(s, p, 24, 0, NULL, now, &ev), SVR_BFD_OK);
	}
	assert_int_equal(s->state, st);
}

/* RFC 5880 §6.8.6: every local state against every received state. */
static void state_table(void **state)
{
	(void)state;
	static const struct {
		enum svr_bfd_state local, rx, to;
		enum svr_bfd_diag diag; /* when it changes */
	} table[] = {
	    {SVR_BFD_DOWN, SVR_BFD_ADMIN_DOWN, SVR_BFD_DOWN, 0},
	    {SVR_BFD_DOWN, SVR_BFD_DOWN, SVR_BFD_INIT, SVR_BFD_DIAG_NONE},
	    {SVR_BFD_DOWN, SVR_BFD_INIT, SVR_BFD_UP, SVR_BFD_DIAG_NONE},
	    {SVR_BFD_DOWN, SVR_BFD_UP, SVR_BFD_DOWN, 0},
	    {SVR_BFD_INIT, SVR_BFD_ADMIN_DOWN, SVR_BFD_DOWN, SVR_BFD_DIAG_NEIGHBOR_DOWN},
	    {SVR_BFD_INIT, SVR_BFD_DOWN, SVR_BFD_INIT, 0},
	    {SVR_BFD_INIT, SVR_BFD_INIT, SVR_BFD_UP, SVR_BFD_DIAG_NONE},
	    {SVR_BFD_INIT, SVR_BFD_UP, SVR_BFD_UP, SVR_BFD_DIAG_NONE},
	    {SVR_BFD_UP, SVR_BFD_ADMIN_DOWN, SVR_BFD_DOWN, SVR_BFD_DIAG_NEIGHBOR_DOWN},
	    {SVR_BFD_UP, SVR_BFD_DOWN, SVR_BFD_DOWN, SVR_BFD_DIAG_NEIGHBOR_DOWN},
	    {SVR_BFD_UP, SVR_BFD_INIT, SVR_BFD_UP, 0},
	    {SVR_BFD_UP, SVR_BFD_UP, SVR_BFD_UP, 0},
	    {SVR_BFD_ADMIN_DOWN, SVR_BFD_ADMIN_DOWN, SVR_BFD_ADMIN_DOWN, 0},
	    {SVR_BFD_ADMIN_DOWN, SVR_BFD_DOWN, SVR_BFD_ADMIN_DOWN, 0},
	    {SVR_BFD_ADMIN_DOWN, SVR_BFD_INIT, SVR_BFD_ADMIN_DOWN, 0},
	    {SVR_BFD_ADMIN_DOWN, SVR_BFD_UP, SVR_BFD_ADMIN_DOWN, 0},
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct svr_bfd_session s;
		struct svr_bfd_event ev;
		uint8_t p[SVR_BFD_MAX_LEN];
		session_in(&s, table[i].local, 10 * SEC);
		raw(p, (uint8_t)table[i].rx, 0, 3, 24, 0xb2, 0xa1, 1000000, 50000);
		assert_int_equal(svr_bfd_rx(&s, p, 24, 0, NULL, 10 * SEC + 7 * MS, &ev),
				 SVR_BFD_OK);
		assert_int_equal(s.state, table[i].to);
		assert_int_equal(ev.changed, table[i].to != table[i].local);
		if (ev.changed) {
			assert_int_equal(ev.from, table[i].local);
			assert_int_equal(ev.to, table[i].to);
			assert_int_equal(ev.diag, table[i].diag);
			assert_int_equal(s.diag, table[i].diag);
			assert_int_equal(ev.since_us, 7 * MS);
		}
	}
}

/* Down -> Init -> Up between two sessions, the events saying when; Up -> Down (diag 3) when
 * the peer says Down. */
static void handshake(void **state)
{
	(void)state;
	struct svr_bfd_session a, b;
	struct svr_bfd_config ca = cfg(50, 50, 3, 11), cb = cfg(50, 50, 3, 22);
	struct svr_bfd_event ev;
	uint8_t p[SVR_BFD_MAX_LEN];
	uint64_t t = 5 * SEC;
	assert_int_equal(svr_bfd_init(&a, &ca, 0xa1, t), 0);
	assert_int_equal(svr_bfd_init(&b, &cb, 0xb2, t), 0);
	assert_true(svr_bfd_poll(&a, t, &ev)); /* the first packet is due at once */
	size_t n = svr_bfd_build(&a, p, sizeof(p), 0, NULL, t);
	assert_int_equal(n, 24);
	assert_int_equal(svr_rd32(p + 8), 0); /* Your Discriminator not known yet */
	assert_int_equal(svr_bfd_your_discr(p, n, 0), 0);
	assert_int_equal(svr_bfd_rx(&b, p, n, 0, NULL, t + 3 * MS, &ev), SVR_BFD_OK);
	assert_true(ev.changed);
	assert_int_equal(ev.from, SVR_BFD_DOWN);
	assert_int_equal(ev.to, SVR_BFD_INIT);
	assert_int_equal(ev.since_us, 3 * MS);
	assert_int_equal(b.remote_discr, 0xa1);
	n = svr_bfd_build(&b, p, sizeof(p), 0, NULL, t + 4 * MS);
	assert_int_equal(svr_rd32(p + 8), 0xa1);
	assert_int_equal(svr_bfd_your_discr(p, n, 0), 0xa1);
	assert_int_equal(svr_bfd_your_discr(p, n, 1), 0); /* too short from there */
	assert_int_equal(p[1] >> 6, SVR_BFD_INIT);
	assert_int_equal(svr_bfd_rx(&a, p, n, 0, NULL, t + 5 * MS, &ev), SVR_BFD_OK);
	assert_int_equal(ev.to, SVR_BFD_UP);
	assert_int_equal(ev.since_us, 5 * MS);
	n = svr_bfd_build(&a, p, sizeof(p), 0, NULL, t + 6 * MS);
	assert_int_equal(svr_bfd_rx(&b, p, n, 0, NULL, t + 7 * MS, &ev), SVR_BFD_OK);
	assert_int_equal(ev.from, SVR_BFD_INIT);
	assert_int_equal(ev.to, SVR_BFD_UP);
	assert_int_equal(ev.since_us, 4 * MS);

	/* a restarts: its Down (not naming b, which it forgot) takes b down, diag 3 */
	assert_int_equal(svr_bfd_init(&a, &ca, 0xa1, t + 8 * MS), 0);
	n = svr_bfd_build(&a, p, sizeof(p), 0, NULL, t + 8 * MS);
	assert_int_equal(svr_rd32(p + 8), 0);
	assert_int_equal(svr_bfd_rx(&b, p, n, 0, NULL, t + 9 * MS, &ev), SVR_BFD_OK);
	assert_int_equal(ev.from, SVR_BFD_UP);
	assert_int_equal(ev.to, SVR_BFD_DOWN);
	assert_int_equal(ev.diag, SVR_BFD_DIAG_NEIGHBOR_DOWN);
	n = svr_bfd_build(&b, p, sizeof(p), 0, NULL, t + 10 * MS);
	assert_int_equal(p[0] & 0x1f, SVR_BFD_DIAG_NEIGHBOR_DOWN); /* told to the peer */
}

/* AdminDown both ways: ours (diag 7, sent to the peer, which goes Down with diag 3) and back
 * to Down, then Up again; an AdminDown session ignores the peer. */
static void admin_down(void **state)
{
	(void)state;
	struct pair p;
	struct svr_bfd_config ca = cfg(50, 50, 3, 1), cb = cfg(50, 50, 3, 2);
	struct svr_bfd_event ev;
	pair_init(&p, ca, cb);
	pair_up(&p);
	ca.admin_down = true;
	assert_int_equal(svr_bfd_configure(&p.a, &ca, p.now, &ev), 0);
	assert_true(ev.changed);
	assert_int_equal(ev.from, SVR_BFD_UP);
	assert_int_equal(ev.to, SVR_BFD_ADMIN_DOWN);
	assert_int_equal(ev.diag, SVR_BFD_DIAG_ADMIN_DOWN);
	run_until(&p, p.now + 3 * SEC);
	assert_int_equal(p.a.state, SVR_BFD_ADMIN_DOWN);
	assert_int_equal(p.b.state, SVR_BFD_DOWN);
	assert_int_equal(p.b.diag, SVR_BFD_DIAG_NEIGHBOR_DOWN);
	assert_int_equal(p.b.remote_state, SVR_BFD_ADMIN_DOWN);
	assert_int_equal(p.b.remote_diag, SVR_BFD_DIAG_ADMIN_DOWN);
	/* slow while AdminDown */
	assert_true(svr_bfd_tx_interval_us(&p.a) >= SVR_BFD_SLOW_US);

	ca.admin_down = false;
	assert_int_equal(svr_bfd_configure(&p.a, &ca, p.now, &ev), 0);
	assert_true(ev.changed);
	assert_int_equal(ev.from, SVR_BFD_ADMIN_DOWN);
	assert_int_equal(ev.to, SVR_BFD_DOWN);
	pair_up(&p);
}

/* --- timers --- */

/* Detection time = the peer's mult x max(our RequiredMinRx, its DesiredMinTx): down exactly
 * then, not a microsecond before; the peer's discriminator forgotten. */
static void detection_expiry(void **state)
{
	(void)state;
	struct pair p;
	struct svr_bfd_event ev;
	/* a: rx 40 ms; b: tx 60 ms, mult 4 -> a detects b after 4 x 60 = 240 ms */
	pair_init(&p, cfg(50, 40, 3, 1), cfg(60, 30, 4, 2));
	pair_up(&p);
	assert_int_equal(svr_bfd_detect_time_us(&p.a), 240 * MS);
	/* b: a's mult 3 x max(30, 50) = 150 ms */
	assert_int_equal(svr_bfd_detect_time_us(&p.b), 150 * MS);
	p.cut_ba = true;
	uint64_t last = p.a.last_rx_us;
	assert_int_equal(p.a.detect_at_us, last + 240 * MS);
	assert_true(svr_bfd_next_us(&p.a) <= last + 240 * MS);
	run_until(&p, last + 240 * MS - 1);
	assert_int_equal(p.a.state, SVR_BFD_UP);
	svr_bfd_poll(&p.a, last + 240 * MS, &ev);
	assert_true(ev.changed);
	assert_int_equal(ev.from, SVR_BFD_UP);
	assert_int_equal(ev.to, SVR_BFD_DOWN);
	assert_int_equal(ev.diag, SVR_BFD_DIAG_DETECT_EXPIRED);
	assert_int_equal(p.a.remote_discr, 0);
	uint8_t buf[SVR_BFD_MAX_LEN];
	assert_int_equal(svr_bfd_build(&p.a, buf, sizeof(buf), 0, NULL, last + 240 * MS), 24);
	assert_int_equal(svr_rd32(buf + 8), 0);
	assert_int_equal(buf[0] & 0x1f, SVR_BFD_DIAG_DETECT_EXPIRED);
	/* the expiry fires once */
	svr_bfd_poll(&p.a, last + 300 * MS, &ev);
	assert_false(ev.changed);
	assert_int_equal(p.a.detect_at_us, UINT64_MAX);
}

/* Each end sends at max(its DesiredMinTx, the peer's RequiredMinRx), both ways round. */
static void negotiated_intervals(void **state)
{
	(void)state;
	struct pair p;
	/* a wants to send every 50 ms, b accepts no faster than 200 ms; b wants 100 ms, a 30 */
	pair_init(&p, cfg(50, 30, 3, 1), cfg(100, 200, 5, 2));
	pair_up(&p);
	assert_int_equal(svr_bfd_tx_interval_us(&p.a), 200 * MS);
	assert_int_equal(svr_bfd_tx_interval_us(&p.b), 100 * MS);
	assert_int_equal(svr_bfd_detect_time_us(&p.a), 5 * 100 * MS);
	assert_int_equal(svr_bfd_detect_time_us(&p.b), 3 * 200 * MS);
	/* what goes on the wire keeps sending no faster than that */
	uint64_t t0 = p.now, sent = p.a.tx_built;
	run_until(&p, t0 + 10 * SEC);
	uint64_t n = p.a.tx_built - sent;
	assert_true(n >= 10 * SEC / (200 * MS)); /* at most every 200 ms, at least every 150 */
	assert_true(n <= 10 * SEC / (150 * MS) + 1);
	assert_int_equal(p.a.state, SVR_BFD_UP);
	assert_int_equal(p.b.state, SVR_BFD_UP);
}

/* 10,000 intervals within 75-100 % (75-90 % with Detect Mult 1), spread over the range. */
static void jitter_bounds(void **state)
{
	(void)state;
	for (int mult = 1; mult <= 3; mult += 2) {
		struct pair p;
		pair_init(&p, cfg(100, 100, (uint8_t)mult, 77), cfg(100, 100, 3, 78));
		pair_up(&p);
		uint64_t iv = svr_bfd_tx_interval_us(&p.a), lo = UINT64_MAX, hi = 0;
		assert_int_equal(iv, 100 * MS);
		uint8_t buf[SVR_BFD_MAX_LEN];
		uint64_t now = p.now;
		for (int i = 0; i < 10000; i++) {
			now = p.a.next_tx_us > now ? p.a.next_tx_us : now;
			assert_true(svr_bfd_build(&p.a, buf, sizeof(buf), 0, NULL, now) > 0);
			uint64_t d = p.a.next_tx_us - now;
			lo = d < lo ? d : lo;
			hi = d > hi ? d : hi;
		}
		uint64_t max = mult == 1 ? iv * 9 / 10 : iv;
		assert_true(lo >= iv * 3 / 4);
		assert_true(hi <= max);
		assert_true(lo < iv * 3 / 4 + iv / 100); /* the whole range is used */
		assert_true(hi > max - iv / 100);
	}
}

/* While not Up the session advertises and sends at 1 s at least, whatever it is configured
 * to; once Up the configured 50 ms. */
static void slow_while_not_up(void **state)
{
	(void)state;
	struct pair p;
	struct svr_bfd_event ev;
	uint8_t buf[SVR_BFD_MAX_LEN];
	pair_init(&p, cfg(50, 50, 3, 1), cfg(50, 50, 3, 2));
	assert_int_equal(p.a.desired_tx_us, SVR_BFD_SLOW_US);
	assert_true(svr_bfd_poll(&p.a, p.now, &ev));
	assert_int_equal(svr_bfd_build(&p.a, buf, sizeof(buf), 0, NULL, p.now), 24);
	assert_int_equal(svr_rd32(buf + 12), SVR_BFD_SLOW_US);
	assert_int_equal(svr_rd32(buf + 16), 50 * MS);
	assert_true(p.a.next_tx_us - p.now >= 750 * MS);
	/* the peer gone: a sends at most once per 0.75 s */
	p.cut_ab = p.cut_ba = true;
	uint64_t sent = p.a.tx_built, t0 = p.now;
	run_until(&p, t0 + 30 * SEC);
	assert_true(p.a.tx_built - sent <= 30 * SEC / (750 * MS) + 1);
	p.cut_ab = p.cut_ba = false;
	pair_up(&p);
	assert_int_equal(p.a.desired_tx_us, 50 * MS);
	assert_int_equal(svr_bfd_tx_interval_us(&p.a), 50 * MS);
	/* down again: back to 1 s */
	p.cut_ba = true;
	run_until(&p, p.now + 1 * SEC);
	assert_int_equal(p.a.state, SVR_BFD_DOWN);
	assert_int_equal(p.a.desired_tx_us, SVR_BFD_SLOW_US);
	assert_int_equal(svr_bfd_tx_interval_us(&p.a), SVR_BFD_SLOW_US);
}

/* A slower tx while Up: P on our packets, F at once from the peer (never with P), and the
 * slower interval taken only when the F arrives; a shorter RequiredMinRx likewise keeps the
 * longer detection time until then. */
static void poll_final(void **state)
{
	(void)state;
	struct pair p;
	struct svr_bfd_event ev;
	uint8_t buf[SVR_BFD_MAX_LEN];
	struct svr_bfd_config ca = cfg(50, 50, 3, 1);
	pair_init(&p, ca, cfg(50, 50, 3, 2));
	pair_up(&p);
	ca.desired_min_tx_us = 300 * MS;
	ca.required_min_rx_us = 20 * MS;
	assert_int_equal(svr_bfd_configure(&p.a, &ca, p.now, &ev), 0);
	assert_false(ev.changed);
	assert_true(p.a.poll);
	assert_int_equal(svr_bfd_tx_interval_us(&p.a), 50 * MS); /* not slower yet */
	assert_int_equal(p.a.rx_basis_us, 50 * MS);              /* nor detecting faster */
	uint64_t t = p.now; /* a's packet goes early, b's next is later than now */
	assert_true(p.b.next_tx_us > t);
	size_t n = svr_bfd_build(&p.a, buf, sizeof(buf), 0, NULL, t);
	assert_int_equal(buf[1] & 0x30, 0x20); /* P, no F */
	assert_int_equal(svr_rd32(buf + 12), 300 * MS);
	assert_int_equal(svr_rd32(buf + 16), 20 * MS);
	/* b has a Poll of its own running: the Final still goes alone, P on its next packet */
	p.b.poll = true;
	assert_int_equal(svr_bfd_rx(&p.b, buf, n, 0, NULL, t, &ev), SVR_BFD_OK);
	assert_true(svr_bfd_poll(&p.b, t, &ev));
	assert_int_equal(svr_bfd_next_us(&p.b), 0);
	uint64_t b_next = p.b.next_tx_us;
	n = svr_bfd_build(&p.b, buf, sizeof(buf), 0, NULL, t);
	assert_int_equal(buf[1] & 0x30, 0x10);    /* F, no P */
	assert_int_equal(p.b.next_tx_us, b_next); /* the periodic schedule untouched */
	assert_int_equal(svr_bfd_tx_interval_us(&p.b), 50 * MS); /* 20 ms asked, 50 desired */
	/* the F ends a's poll: 300 ms from now on, detection on 20 ms (b's 50 ms tx wins) */
	assert_int_equal(svr_bfd_rx(&p.a, buf, n, 0, NULL, t + 1 * MS, &ev), SVR_BFD_OK);
	assert_false(p.a.poll);
	assert_int_equal(svr_bfd_tx_interval_us(&p.a), 300 * MS);
	assert_int_equal(p.a.rx_basis_us, 20 * MS);
	assert_int_equal(svr_bfd_detect_time_us(&p.a), 3 * 50 * MS);
	n = svr_bfd_build(&p.a, buf, sizeof(buf), 0, NULL, p.a.next_tx_us);
	assert_int_equal(buf[1] & 0x30, 0); /* neither */
	n = svr_bfd_build(&p.b, buf, sizeof(buf), 0, NULL, b_next);
	assert_int_equal(buf[1] & 0x30, 0x20); /* b's own Poll */
}

/* A peer asking for no periodic packets (RequiredMinRx 0) gets none; Finals still go. */
static void peer_wants_none(void **state)
{
	(void)state;
	struct svr_bfd_session s;
	struct svr_bfd_event ev;
	uint8_t p[SVR_BFD_MAX_LEN];
	session_in(&s, SVR_BFD_UP, 1 * SEC);
	raw(p, SVR_BFD_UP, 0x20 /* P */, 3, 24, 0xb2, 0xa1, 50000, 0);
	assert_int_equal(svr_bfd_rx(&s, p, 24, 0, NULL, 1 * SEC, &ev), SVR_BFD_OK);
	assert_int_equal(svr_bfd_tx_interval_us(&s), 0);
	assert_true(svr_bfd_poll(&s, 1 * SEC, &ev)); /* the Final */
	assert_int_equal(svr_bfd_build(&s, p, sizeof(p), 0, NULL, 1 * SEC), 24);
	assert_int_equal(p[1] & 0x10, 0x10);
	assert_int_equal(s.next_tx_us, UINT64_MAX);
	assert_false(svr_bfd_poll(&s, 1 * SEC + 100 * MS, &ev));
}

/* --- refusals --- */

/* Every §6.8.6 check, each with its own error; nothing changes. */
static void malformed(void **state)
{
	(void)state;
	struct svr_bfd_session s;
	uint8_t p[64];
	uint64_t t = 2 * SEC;
	session_in(&s, SVR_BFD_UP, t);
	raw(p, SVR_BFD_UP, 0, 3, 24, 0xb2, 0xa1, 50000, 50000);
	refused(&s, p, 23, 0, NULL, t, SVR_BFD_ERR_SHORT);  /* fewer bytes than a header */
	refused(&s, p, 30, 8, NULL, t, SVR_BFD_ERR_SHORT);  /* after an offset */
	refused(&s, p, 24, 25, NULL, t, SVR_BFD_ERR_SHORT); /* offset past the end */
	p[0] = 2 << 5;
	refused(&s, p, 24, 0, NULL, t, SVR_BFD_ERR_VERSION);
	p[0] = 0;
	refused(&s, p, 24, 0, NULL, t, SVR_BFD_ERR_VERSION);
	p[0] = 1 << 5;
	p[3] = 23;
	refused(&s, p, 24, 0, NULL, t, SVR_BFD_ERR_SHORT); /* Length below 24 */
	p[3] = 25;
	p[1] |= 0x04;
	refused(&s, p, 32, 0, NULL, t, SVR_BFD_ERR_SHORT); /* below 26 with A */
	p[1] &= (uint8_t)~0x04;
	p[3] = 30;
	refused(&s, p, 29, 0, NULL, t, SVR_BFD_ERR_LENGTH); /* Length beyond the bytes */
	p[3] = 24;
	p[2] = 0;
	refused(&s, p, 24, 0, NULL, t, SVR_BFD_ERR_MULT);
	p[2] = 3;
	p[1] |= 0x01;
	refused(&s, p, 24, 0, NULL, t, SVR_BFD_ERR_MULTIPOINT);
	p[1] &= (uint8_t)~0x01;
	svr_wr32(p + 4, 0);
	refused(&s, p, 24, 0, NULL, t, SVR_BFD_ERR_MY_DISC);
	svr_wr32(p + 4, 0xb2);
	svr_wr32(p + 8, 0xa2);
	refused(&s, p, 24, 0, NULL, t, SVR_BFD_ERR_YOUR_DISC);
	svr_wr32(p + 8, 0);
	refused(&s, p, 24, 0, NULL, t, SVR_BFD_ERR_YOUR_DISC_ZERO); /* an Up packet */
	p[1] = SVR_BFD_INIT << 6;
	refused(&s, p, 24, 0, NULL, t, SVR_BFD_ERR_YOUR_DISC_ZERO); /* an Init packet */
	session_in(&s, SVR_BFD_DOWN, t);
	refused(&s, p, 24, 0, NULL, t, SVR_BFD_ERR_YOUR_DISC_ZERO); /* whatever our state */
	/* a Down packet need not name us (the peer forgot us), trailing bytes after Length are
	 * ignored */
	struct svr_bfd_event ev;
	p[1] = SVR_BFD_DOWN << 6;
	session_in(&s, SVR_BFD_UP, t);
	assert_int_equal(svr_bfd_rx(&s, p, 40, 0, NULL, t, &ev), SVR_BFD_OK);
	assert_int_equal(s.state, SVR_BFD_DOWN);
	assert_int_equal(s.diag, SVR_BFD_DIAG_NEIGHBOR_DOWN);
}

/* A session with keys (b) and one without (a) refuse each other; a keyed pair comes Up. */
static void auth_presence(void **state)
{
	(void)state;
	struct svr_bfd_keyring kr = ring1(5);
	struct svr_bfd_session s, peer;
	struct svr_bfd_config c = cfg(50, 50, 3, 9);
	struct svr_bfd_event ev;
	uint8_t p[SVR_BFD_MAX_LEN];
	uint64_t t = 2 * SEC;
	session_in(&s, SVR_BFD_DOWN, t);
	assert_int_equal(svr_bfd_init(&peer, &c, 0xb2, t), 0);
	size_t n = svr_bfd_build(&peer, p, sizeof(p), 0, &kr, t);
	assert_int_equal(n, 48);
	assert_int_equal(p[3], 48);
	assert_int_equal(p[1] & 0x04, 0x04);
	refused(&s, p, n, 0, NULL, t, SVR_BFD_ERR_AUTH_UNEXPECTED);
	struct svr_bfd_keyring none = {0};
	refused(&s, p, n, 0, &none, t, SVR_BFD_ERR_AUTH_UNEXPECTED);
	n = svr_bfd_build(&peer, p, sizeof(p), 0, NULL, t);
	assert_int_equal(n, 24);
	refused(&s, p, n, 0, &kr, t, SVR_BFD_ERR_AUTH_MISSING);

	struct pair q;
	pair_init(&q, cfg(50, 50, 3, 1), cfg(50, 50, 3, 2));
	q.ka = q.kb = &kr;
	pair_up(&q);
	assert_int_equal(q.a.rx_seq_lost, 0);
	assert_true(q.a.auth_seq_known);
	(void)ev;
}

/* Each authentication failure by itself, on an Up session: bad digest (packet and metadata
 * block before it), unknown key, replay, a sequence beyond the window (and its edge), wrong
 * Auth Type, wrong Auth Len. */
static void auth_failures(void **state)
{
	(void)state;
	struct svr_bfd_keyring kr = ring1(5);
	const struct svr_bfd_key *k = &kr.keys[0];
	struct svr_bfd_session s;
	struct svr_bfd_event ev;
	uint8_t m[8 + SVR_BFD_MAX_LEN];
	uint8_t *p = m + 8; /* after an 8-byte "metadata block" */
	uint64_t t = 3 * SEC;
	struct svr_bfd_config c = cfg(50, 50, 3, 1);
	assert_int_equal(svr_bfd_init(&s, &c, 0xa1, t), 0);
	memcpy(m, "metadata", 8);
	raw(p, SVR_BFD_INIT, 0x04, 3, 48, 0xb2, 0xa1, 50000, 50000);
	sign(m, 8, k, SVR_BFD_AUTH_TYPE, 24, 1000);
	assert_int_equal(svr_bfd_rx(&s, m, sizeof(m), 8, &kr, t, &ev), SVR_BFD_OK);
	assert_int_equal(s.state, SVR_BFD_UP);
	assert_int_equal(s.rcv_auth_seq, 1000);

	/* replay of the very packet */
	refused(&s, m, sizeof(m), 8, &kr, t, SVR_BFD_ERR_AUTH_SEQ);
	/* a byte of the packet, or of the block before it, changed */
	sign(m, 8, k, SVR_BFD_AUTH_TYPE, 24, 1001);
	p[40] ^= 1; /* in the digest */
	refused(&s, m, sizeof(m), 8, &kr, t, SVR_BFD_ERR_AUTH_DIGEST);
	p[40] ^= 1;
	p[13] ^= 1; /* Desired Min TX */
	refused(&s, m, sizeof(m), 8, &kr, t, SVR_BFD_ERR_AUTH_DIGEST);
	p[13] ^= 1;
	m[0] ^= 1; /* the metadata block */
	refused(&s, m, sizeof(m), 8, &kr, t, SVR_BFD_ERR_AUTH_DIGEST);
	m[0] ^= 1;
	/* signed with another key under the right id */
	struct svr_bfd_keyring other = ring1(6);
	other.keys[0].id = 5;
	sign(m, 8, &other.keys[0], SVR_BFD_AUTH_TYPE, 24, 1001);
	refused(&s, m, sizeof(m), 8, &kr, t, SVR_BFD_ERR_AUTH_DIGEST);
	/* a key id the ring does not have */
	other.keys[0].id = 6;
	sign(m, 8, &other.keys[0], SVR_BFD_AUTH_TYPE, 24, 1001);
	refused(&s, m, sizeof(m), 8, &kr, t, SVR_BFD_ERR_AUTH_KEY);
	/* RFC types and lengths are not ours */
	sign(m, 8, k, 5 /* Meticulous Keyed SHA1 */, 24, 1001);
	refused(&s, m, sizeof(m), 8, &kr, t, SVR_BFD_ERR_AUTH_TYPE);
	sign(m, 8, k, SVR_BFD_AUTH_TYPE, 28, 1001);
	refused(&s, m, sizeof(m), 8, &kr, t, SVR_BFD_ERR_AUTH_LEN);
	p[3] = 47; /* Length not ending the auth section */
	sign(m, 8, k, SVR_BFD_AUTH_TYPE, 24, 1001);
	refused(&s, m, sizeof(m), 8, &kr, t, SVR_BFD_ERR_AUTH_LEN);
	p[3] = 48;
	/* the window with Detect Mult 3: (1000, 1009]; 1010 is beyond it, and so is any
	 * sequence behind */
	raw(p, SVR_BFD_UP, 0x04, 3, 48, 0xb2, 0xa1, 50000, 50000);
	sign(m, 8, k, SVR_BFD_AUTH_TYPE, 24, 1010);
	refused(&s, m, sizeof(m), 8, &kr, t, SVR_BFD_ERR_AUTH_SEQ);
	sign(m, 8, k, SVR_BFD_AUTH_TYPE, 24, 999);
	refused(&s, m, sizeof(m), 8, &kr, t, SVR_BFD_ERR_AUTH_SEQ);
	sign(m, 8, k, SVR_BFD_AUTH_TYPE, 24, 1000 + 0x80000000u);
	refused(&s, m, sizeof(m), 8, &kr, t, SVR_BFD_ERR_AUTH_SEQ);
	sign(m, 8, k, SVR_BFD_AUTH_TYPE, 24, 1009);
	assert_int_equal(svr_bfd_rx(&s, m, sizeof(m), 8, &kr, t + 1 * MS, &ev), SVR_BFD_OK);
	assert_int_equal(s.rx_seq_lost, 8); /* 1001-1008 never came */
	/* the window wraps: from 0xfffffffe, 1 is 3 ahead */
	s.rcv_auth_seq = 0xfffffffeu;
	sign(m, 8, k, SVR_BFD_AUTH_TYPE, 24, 1);
	assert_int_equal(svr_bfd_rx(&s, m, sizeof(m), 8, &kr, t + 2 * MS, &ev), SVR_BFD_OK);
	assert_int_equal(s.state, SVR_BFD_UP);
}

/* A peer that restarted picks a new random sequence: refused until the known sequence is
 * forgotten, 2 x detection time after the last packet accepted (§6.7.1), then accepted. */
static void sequence_forgotten(void **state)
{
	(void)state;
	struct svr_bfd_keyring kr = ring1(5);
	struct svr_bfd_session s;
	struct svr_bfd_event ev;
	uint8_t p[SVR_BFD_MAX_LEN];
	struct svr_bfd_config c = cfg(50, 50, 3, 1);
	uint64_t t = 3 * SEC;
	assert_int_equal(svr_bfd_init(&s, &c, 0xa1, t), 0);
	raw(p, SVR_BFD_DOWN, 0x04, 3, 48, 0xb2, 0, 1000000, 50000);
	sign(p, 0, &kr.keys[0], SVR_BFD_AUTH_TYPE, 24, 5000);
	assert_int_equal(svr_bfd_rx(&s, p, 48, 0, &kr, t, &ev), SVR_BFD_OK);
	assert_int_equal(svr_bfd_detect_time_us(&s), 3 * SEC); /* peer not Up: 1 s x 3 */
	svr_wr32(p + 8, 0xa1);
	sign(p, 0, &kr.keys[0], SVR_BFD_AUTH_TYPE, 24, 77);
	refused(&s, p, 48, 0, &kr, t + 6 * SEC - 1, SVR_BFD_ERR_AUTH_SEQ);
	/* a forged packet then changes nothing either (the known sequence included) */
	p[40] ^= 1;
	refused(&s, p, 48, 0, &kr, t + 6 * SEC, SVR_BFD_ERR_AUTH_DIGEST);
	p[40] ^= 1;
	assert_true(s.auth_seq_known);
	svr_bfd_poll(&s, t + 6 * SEC, &ev); /* the timers say so to whoever reads the session */
	assert_false(s.auth_seq_known);
	assert_int_equal(svr_bfd_rx(&s, p, 48, 0, &kr, t + 6 * SEC, &ev), SVR_BFD_OK);
	assert_int_equal(s.rcv_auth_seq, 77);
}

/* Two keys in the ring: the peer moves from key 1 to key 2 without a lost packet; once key 1
 * is gone from our ring its packets are refused. */
static void key_rotation(void **state)
{
	(void)state;
	struct svr_bfd_keyring ka = ring1(1), kb = ring1(1);
	kb.keys[1] = ring1(2).keys[0];
	kb.n = 2;
	struct pair p;
	pair_init(&p, cfg(50, 50, 3, 1), cfg(50, 50, 3, 2));
	p.ka = &ka;
	p.kb = &kb; /* b signs with key 1 (tx 0), accepts 1 and 2 */
	pair_up(&p);
	/* a rotates to key 2 */
	ka.keys[1] = ring1(2).keys[0];
	ka.n = 2;
	ka.tx = 1;
	uint64_t before = p.b.rx_accepted;
	run_until(&p, p.now + 2 * SEC);
	assert_true(p.b.rx_accepted - before >= 2 * SEC / (50 * MS));
	assert_int_equal(p.b.rx_seq_lost, 0);
	assert_int_equal(p.a.state, SVR_BFD_UP);
	assert_int_equal(p.b.state, SVR_BFD_UP);
	/* a key-1 packet after b dropped key 1 */
	uint8_t buf[SVR_BFD_MAX_LEN];
	struct svr_bfd_keyring old = ring1(1);
	size_t n = svr_bfd_build(&p.a, buf, sizeof(buf), 0, &old, p.now);
	kb.keys[0] = kb.keys[1];
	kb.n = 1;
	kb.tx = 0;
	refused(&p.b, buf, n, 0, &kb, p.now, SVR_BFD_ERR_AUTH_KEY);
	/* and a tx slot that is empty sends nothing */
	kb.tx = 1;
	assert_int_equal(svr_bfd_build(&p.b, buf, sizeof(buf), 0, &kb, p.now), 0);
}

/* --- the digest against independent computations --- */

/*
 * K_bfd of the key 00 01 .. 1f:
 *   printf 'svr-bfd-v1' | openssl dgst -sha256 -mac HMAC -macopt \
 *     hexkey:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
 * A packet signed under it (key id 7, sequence 0x01020304), its digest from
 *   echo -n 53565221<the packet, digest zero> | xxd -r -p | openssl dgst -sha256 -mac HMAC \
 *     -macopt hexkey:<K_bfd>
 * with the 4-byte block "SVR!" before it.
 */
static void digest_vectors(void **state)
{
	(void)state;
	uint8_t ikm[32], want[32];
	for (unsigned i = 0; i < 32; i++)
		ikm[i] = (uint8_t)i;
	struct svr_bfd_keyring kr = {.n = 1};
	assert_int_equal(svr_bfd_key_derive(ikm, sizeof(ikm), 7, &kr.keys[0]), 0);
	unhex("31a4371ef88524653e26cda712d1491df80690c8e250e604f9e1941005d9ad9f", want);
	assert_int_equal(kr.keys[0].len, 32);
	assert_int_equal(kr.keys[0].id, 7);
	assert_memory_equal(kr.keys[0].bytes, want, 32);
	assert_int_equal(svr_bfd_key_derive(ikm, 0, 7, &kr.keys[0]), -1);
	assert_int_equal(svr_bfd_key_derive(ikm, sizeof(ikm), 7, &kr.keys[0]), 0);

	uint8_t m[4 + SVR_BFD_MAX_LEN];
	size_t n = unhex("53565221 20c40330 11223344 55667788 0000c350 0000c350 00000000"
			 " f6180700 01020304 8eb9c033494020c8e399c14e358752bc",
			 m);
	assert_int_equal(n, sizeof(m));
	struct svr_bfd_session s;
	struct svr_bfd_config c = cfg(50, 50, 3, 1);
	struct svr_bfd_event ev;
	assert_int_equal(svr_bfd_init(&s, &c, 0x55667788, 1 * SEC), 0);
	assert_int_equal(svr_bfd_rx(&s, m, n, 4, &kr, 1 * SEC, &ev), SVR_BFD_OK);
	assert_int_equal(s.remote_discr, 0x11223344);
	assert_int_equal(s.rcv_auth_seq, 0x01020304);
	/* the same packet without the block: digest from the same command without 53565221 */
	n = unhex("20c40330 11223344 55667788 0000c350 0000c350 00000000"
		  " f6180700 01020305 00000000000000000000000000000000",
		  m);
	assert_int_equal(svr_bfd_init(&s, &c, 0x55667788, 1 * SEC), 0);
	refused(&s, m, n, 0, &kr, 1 * SEC, SVR_BFD_ERR_AUTH_DIGEST);

	/* what build signs, OpenSSL's HMAC computes too, with and without a block before */
	for (size_t off = 0; off <= 16; off += 16) {
		uint8_t out[16 + SVR_BFD_MAX_LEN], copy[sizeof(out)], full[32];
		memset(out, 0xab, sizeof(out));
		n = svr_bfd_build(&s, out, sizeof(out), off, &kr, 2 * SEC);
		assert_int_equal(n, off + 48);
		memcpy(copy, out, n);
		memset(copy + off + 32, 0, 16);
		size_t fl = 0;
		assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, kr.keys[0].bytes, 32,
					  copy, n, full, sizeof(full), &fl));
		assert_memory_equal(out + off + 32, full, 16);
		assert_int_equal(out[off + 24], 0xf6);
		assert_int_equal(out[off + 25], 24);
		assert_int_equal(out[off + 26], 7);
		/* meticulous: one more per packet */
		uint32_t seq = svr_rd32(out + off + 28);
		n = svr_bfd_build(&s, out, sizeof(out), off, &kr, 2 * SEC);
		assert_int_equal(svr_rd32(out + off + 28), seq + 1);
	}
	/* no room */
	uint8_t small[47];
	assert_int_equal(svr_bfd_build(&s, small, sizeof(small), 0, &kr, 2 * SEC), 0);
	assert_int_equal(svr_bfd_build(&s, small, sizeof(small), 48, NULL, 2 * SEC), 0);
}

/* --- echo --- */

/* Round trip, reflection keeps the digest valid, every refusal; the digest against
 *   echo -n 5356524543484f31 07 0102 0a0b0c0d 1122334455667788 | xxd -r -p | \
 *     openssl dgst -sha256 -mac HMAC -macopt hexkey:<K_bfd of digest_vectors>
 * (the packet without its kind byte). */
static void echo_packets(void **state)
{
	(void)state;
	uint8_t ikm[32], p[64], want[16];
	for (unsigned i = 0; i < 32; i++)
		ikm[i] = (uint8_t)i;
	struct svr_bfd_keyring kr = {.n = 1};
	assert_int_equal(svr_bfd_key_derive(ikm, sizeof(ikm), 7, &kr.keys[0]), 0);
	struct svr_bfd_echo e = {.kind = SVR_BFD_ECHO_REQUEST,
				 .seq = 0x0102,
				 .test_id = 0x0a0b0c0d,
				 .tx_ns = 0x1122334455667788ull},
			    got;
	assert_int_equal(svr_bfd_echo_build(&e, &kr, p, 39), 0);
	assert_int_equal(svr_bfd_echo_build(&e, &kr, p, sizeof(p)), SVR_BFD_ECHO_LEN);
	unhex("da419c0b2f96ade78944fd6fd4bbb9e5", want);
	assert_memory_equal(p + 24, want, 16);
	assert_memory_equal(p, "SVRECHO1", 8);
	assert_int_equal(svr_bfd_echo_parse(p, 40, &got), SVR_BFD_OK);
	assert_int_equal(got.kind, SVR_BFD_ECHO_REQUEST);
	assert_int_equal(got.key_id, 7);
	assert_int_equal(got.seq, 0x0102);
	assert_int_equal(got.test_id, 0x0a0b0c0d);
	assert_true(got.tx_ns == 0x1122334455667788ull);
	assert_int_equal(svr_bfd_echo_verify(p, 40, &kr), SVR_BFD_OK);
	svr_bfd_echo_reflect(p);
	assert_int_equal(svr_bfd_echo_parse(p, 40, &got), SVR_BFD_OK);
	assert_int_equal(got.kind, SVR_BFD_ECHO_REPLY);
	assert_int_equal(svr_bfd_echo_verify(p, 40, &kr), SVR_BFD_OK);

	assert_int_equal(svr_bfd_echo_parse(p, 39, &got), SVR_BFD_ERR_SHORT);
	assert_int_equal(svr_bfd_echo_parse(p, 41, &got), SVR_BFD_ERR_LENGTH);
	assert_int_equal(svr_bfd_echo_verify(p, 39, &kr), SVR_BFD_ERR_SHORT);
	p[8] = 2;
	assert_int_equal(svr_bfd_echo_parse(p, 40, &got), SVR_BFD_ERR_ECHO_KIND);
	p[8] = 1;
	p[7] = '2';
	assert_int_equal(svr_bfd_echo_parse(p, 40, &got), SVR_BFD_ERR_ECHO_MAGIC);
	assert_int_equal(svr_bfd_echo_verify(p, 40, &kr), SVR_BFD_ERR_AUTH_DIGEST);
	p[7] = '1';
	p[20] ^= 0x80; /* tx_ns: a forged reply cannot fake an RTT */
	assert_int_equal(svr_bfd_echo_verify(p, 40, &kr), SVR_BFD_ERR_AUTH_DIGEST);
	p[20] ^= 0x80;
	p[9] = 8;
	assert_int_equal(svr_bfd_echo_verify(p, 40, &kr), SVR_BFD_ERR_AUTH_KEY);
	p[9] = 7;
	assert_int_equal(svr_bfd_echo_verify(p, 40, NULL), SVR_BFD_ERR_AUTH_UNEXPECTED);
	/* unauthenticated: zero digest both ways */
	assert_int_equal(svr_bfd_echo_build(&e, NULL, p, sizeof(p)), SVR_BFD_ECHO_LEN);
	assert_int_equal(p[9], 0);
	assert_int_equal(svr_bfd_echo_verify(p, 40, NULL), SVR_BFD_OK);
	assert_int_equal(svr_bfd_echo_verify(p, 40, &kr), SVR_BFD_ERR_AUTH_KEY);
}

/* The SVR metadata block in front of a control packet: built, parsed back, its names checked
 * against the path, covered by the digest; a packet without one is still accepted. */
static void metadata_block(void **state)
{
	(void)state;
	struct svr_bfd_keyring kr = ring1(3);
	struct svr_md_path_metrics pm = {.tx_colour = 5,
					 .tx_ms = 123456,
					 .rx_colour = 4,
					 .rx_ms = 120000,
					 .drop = false,
					 .rx_count = 480};
	struct svr_bfd_md in = {
	    .security_id = 0x103, .router = "r1", .path = "mpls/wan1", .pm = &pm};
	uint8_t buf[256 + SVR_BFD_MAX_LEN];
	size_t off = svr_bfd_md_build(&in, buf, 256);
	/* 12 + TLV 16 (8) + TLV 26 (14) | TLV 14 (4 + 2) + TLV 19 (4 + 9) */
	assert_int_equal(off, 12 + 8 + 14 + 6 + 13);
	struct svr_bfd_session a, b;
	struct svr_bfd_config c = cfg(50, 50, 3, 1);
	struct svr_bfd_event ev;
	assert_int_equal(svr_bfd_init(&a, &c, 0xa1, 1 * SEC), 0);
	assert_int_equal(svr_bfd_init(&b, &c, 0xb2, 1 * SEC), 0);
	size_t n = svr_bfd_build(&a, buf, sizeof(buf), off, &kr, 1 * SEC);
	assert_int_equal(n, off + 48);
	assert_true(n + 8 + 20 + 14 < 200); /* the frame stays small */

	struct svr_md md;
	assert_int_equal(svr_bfd_md_parse(buf, n, &md), (int)off);
	assert_true(md.present & SVR_MDF_SECURITY_ID);
	assert_int_equal(md.security_id, 0x103);
	assert_string_equal(md.src_router.s, "r1");
	assert_string_equal(md.peer_path.s, "mpls/wan1");
	assert_true(md.present & SVR_MDF_PATH_METRICS);
	assert_int_equal(md.pm.tx_colour, 5);
	assert_int_equal(md.pm.tx_ms, 123456);
	assert_int_equal(md.pm.rx_colour, 4);
	assert_int_equal(md.pm.rx_ms, 120000);
	assert_false(md.pm.drop);
	assert_int_equal(md.pm.rx_count, 480);
	/* the peer's check: its peer r1, its own path in neighborhood mpls (any interface) */
	assert_int_equal(svr_bfd_md_check(&md, "r1", "mpls/wan7"), SVR_BFD_OK);
	assert_int_equal(svr_bfd_md_check(&md, "r3", "mpls/wan7"), SVR_BFD_ERR_WRONG_PEER);
	assert_int_equal(svr_bfd_md_check(&md, "r1", "lte/wan1"), SVR_BFD_ERR_WRONG_PEER);
	assert_int_equal(svr_bfd_md_check(&md, "r1", "mpl/wan1"), SVR_BFD_ERR_WRONG_PEER);
	md.present &= ~SVR_MDF_PEER_PATH; /* TLV 19 is optional, TLV 14 is not */
	assert_int_equal(svr_bfd_md_check(&md, "r1", "lte/wan1"), SVR_BFD_OK);
	md.present &= ~SVR_MDF_SRC_ROUTER;
	assert_int_equal(svr_bfd_md_check(&md, "r1", "mpls/wan7"), SVR_BFD_ERR_WRONG_PEER);

	/* the digest covers the block: a byte of it changed (TLV 26's count) is refused */
	uint8_t bad[sizeof(buf)];
	memcpy(bad, buf, n);
	bad[12 + 8 + 4 + 9] ^= 1;
	assert_int_equal(svr_bfd_md_parse(bad, n, &md), (int)off);
	assert_int_equal(md.pm.rx_count, 481);
	refused(&b, bad, n, off, &kr, 1 * SEC, SVR_BFD_ERR_AUTH_DIGEST);
	assert_int_equal(svr_bfd_rx(&b, buf, n, off, &kr, 1 * SEC, &ev), SVR_BFD_OK);
	assert_int_equal(b.remote_discr, 0xa1);

	/* no sample due: no TLV 26 */
	in.pm = NULL;
	off = svr_bfd_md_build(&in, buf, 256);
	assert_int_equal(off, 12 + 8 + 6 + 13);
	assert_int_equal(svr_bfd_md_parse(buf, off, &md), (int)off);
	assert_false(md.present & SVR_MDF_PATH_METRICS);
	assert_false(md.present & SVR_MDF_SRC_NAT4);
	/* on a learned path: where the peer's BFD comes from (TLV 25), for a peer behind a NAT */
	in.seen4 = 0x01fe13c6; /* 198.19.254.1, network order */
	off = svr_bfd_md_build(&in, buf, 256);
	assert_int_equal(off, 12 + 8 + 6 + 13 + 8);
	assert_int_equal(svr_bfd_md_parse(buf, off, &md), (int)off);
	assert_true(md.present & SVR_MDF_SRC_NAT4);
	assert_int_equal(md.src_nat4, 0x01fe13c6);
	in.seen4 = 0;
	/* a peer that sends the control packet alone (an older svrouter) */
	n = svr_bfd_build(&a, buf, sizeof(buf), 0, &kr, 2 * SEC);
	assert_int_equal(svr_bfd_md_parse(buf, n, &md), 0);
	assert_int_equal(md.present, 0);
	assert_int_equal(svr_bfd_rx(&b, buf, n, 0, &kr, 2 * SEC, &ev), SVR_BFD_OK);
	/* a block that is not valid metadata: truncated TLV, or a payload length past the end */
	off = svr_bfd_md_build(&(struct svr_bfd_md){.router = "r1", .path = "p/q"}, buf, 256);
	assert_true(off > 0);
	memcpy(bad, buf, off);
	svr_wr16(bad + 10, (uint16_t)(svr_rd16(bad + 10) + 100));
	assert_int_equal(svr_bfd_md_parse(bad, off, &md), -1);
	memcpy(bad, buf, off);
	bad[12 + 8 + 3] = 200; /* TLV 14 says 200 bytes */
	assert_int_equal(svr_bfd_md_parse(bad, off, &md), -1);
	/* names must be there, non-empty, and fit */
	assert_int_equal(
	    svr_bfd_md_build(&(struct svr_bfd_md){.router = "", .path = "p/q"}, buf, 256), 0);
	assert_int_equal(svr_bfd_md_build(&(struct svr_bfd_md){.path = "p/q"}, buf, 256), 0);
	assert_int_equal(svr_bfd_md_build(&in, buf, 20), 0);
}

/* Bad configurations are refused and change nothing; names exist for every code. */
static void config_and_names(void **state)
{
	(void)state;
	struct svr_bfd_session s;
	struct svr_bfd_event ev;
	struct svr_bfd_config c = cfg(50, 50, 3, 1), bad = c;
	assert_int_equal(svr_bfd_init(&s, &c, 0, 1), -1);
	bad.detect_mult = 0;
	assert_int_equal(svr_bfd_init(&s, &bad, 1, 1), -1);
	bad = c;
	bad.desired_min_tx_us = 0;
	assert_int_equal(svr_bfd_init(&s, &bad, 1, 1), -1);
	bad = c;
	bad.required_min_rx_us = 0;
	assert_int_equal(svr_bfd_init(&s, &bad, 1, 1), -1);
	assert_int_equal(svr_bfd_init(&s, &c, 1, 1), 0);
	struct svr_bfd_session before;
	memcpy(&before, &s, sizeof(s));
	assert_int_equal(svr_bfd_configure(&s, &bad, 2, &ev), -1);
	assert_memory_equal(&before, &s, sizeof(s));
	/* a random seed when none is given: two sessions differ */
	struct svr_bfd_session r1, r2;
	c.seed = 0;
	assert_int_equal(svr_bfd_init(&r1, &c, 1, 1), 0);
	assert_int_equal(svr_bfd_init(&r2, &c, 1, 1), 0);
	assert_true(r1.rng != r2.rng);
	for (int e = 1; e < SVR_BFD_ERR_COUNT; e++)
		assert_string_not_equal(svr_bfd_err_name((enum svr_bfd_err)e), "unknown");
	assert_string_equal(svr_bfd_err_name(SVR_BFD_ERR_COUNT), "unknown");
	assert_string_equal(svr_bfd_state_name(SVR_BFD_ADMIN_DOWN), "admin-down");
	assert_string_equal(svr_bfd_state_name(SVR_BFD_UP), "up");
	assert_string_equal(svr_bfd_diag_name(SVR_BFD_DIAG_DETECT_EXPIRED),
			    "detection-time-expired");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(state_table),          cmocka_unit_test(handshake),
	    cmocka_unit_test(admin_down),           cmocka_unit_test(detection_expiry),
	    cmocka_unit_test(negotiated_intervals), cmocka_unit_test(jitter_bounds),
	    cmocka_unit_test(slow_while_not_up),    cmocka_unit_test(poll_final),
	    cmocka_unit_test(peer_wants_none),      cmocka_unit_test(malformed),
	    cmocka_unit_test(auth_presence),        cmocka_unit_test(auth_failures),
	    cmocka_unit_test(sequence_forgotten),   cmocka_unit_test(key_rotation),
	    cmocka_unit_test(digest_vectors),       cmocka_unit_test(echo_packets),
	    cmocka_unit_test(config_and_names),     cmocka_unit_test(metadata_block),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
