/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz-sources: src/common/bfd.c src/common/metadata.c src/common/pathq.c */
/* fuzz-libs: -lcrypto */
/*
 * libFuzzer target for BFD (src/common/bfd.c), which reads what arrives on UDP 1280 from
 * anywhere: a session is brought to the state the first byte names (Down, Init, Up,
 * AdminDown), keyed or not, then gets the input's packets one by one, the clock moving
 * between them, its timers polled and its own packets built in between. A packet the harness
 * is told to sign gets a valid digest, so that authenticated packets of any content reach the
 * state machine too. Each packet also goes to the echo parser. Nothing may read outside a
 * packet; a refused packet changes no byte of the session; the session stays in a valid
 * state; what it builds is a packet it would accept the form of; an echo packet that parses
 * builds back to the same bytes. A packet that starts with an SVR metadata block (as
 * svr-dataplane sends them: names, TLV 26) is parsed the receiver's way (svr_bfd_md_parse,
 * svr_bfd_md_check), its control packet read at the block's end, and an accepted packet's TLV
 * 26 sample goes to a path's quality (common/pathq.h) as on the main lcore.
 *
 * Input: byte 0 = state (bits 0-1) | keyed (bit 2) | sign (bit 3) | metadata offset (bits
 * 4-7, bytes before the BFD packet, when the packet has no valid block); then chunks
 * [length u8][ms to wait u8][bytes].
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/bfd.h"
#include "common/bytes.h"
#include "common/pathq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct svr_bfd_keyring ring(void)
{
	struct svr_bfd_keyring kr = {.n = 2, .tx = 1};
	for (unsigned k = 0; k < 2; k++) {
		kr.keys[k].id = (uint8_t)(k + 1);
		kr.keys[k].len = 32;
		memset(kr.keys[k].bytes, 0x40 + (int)k, 32);
	}
	return kr;
}

/* A valid digest on the 48-byte packet at msg + off (key id from the packet if the ring has
 * it, else key 1). */
static void sign(uint8_t *msg, size_t off, const struct svr_bfd_keyring *kr)
{
	uint8_t *a = msg + off + SVR_BFD_HDR_LEN, full[32];
	const struct svr_bfd_key *k = &kr->keys[a[2] == 2 ? 1 : 0];
	size_t n = 0;
	msg[off + 1] |= 0x04;
	msg[off + 3] = SVR_BFD_MAX_LEN;
	a[0] = SVR_BFD_AUTH_TYPE;
	a[1] = SVR_BFD_AUTH_LEN;
	a[2] = k->id;
	memset(a + 8, 0, SVR_BFD_DIGEST);
	if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, k->bytes, k->len, msg,
		       off + SVR_BFD_MAX_LEN, full, sizeof(full), &n))
		abort();
	memcpy(a + 8, full, SVR_BFD_DIGEST);
}

/* One packet from the peer (discriminator 0x77) in state st, naming us. */
static void feed(struct svr_bfd_session *s, enum svr_bfd_state st, uint32_t seq,
		 const struct svr_bfd_keyring *kr, uint64_t now)
{
	uint8_t p[SVR_BFD_MAX_LEN] = {0};
	struct svr_bfd_event ev;
	p[0] = 1 << 5;
	p[1] = (uint8_t)(st << 6);
	p[2] = 3;
	p[3] = SVR_BFD_HDR_LEN;
	svr_wr32(p + 4, 0x77);
	svr_wr32(p + 8, s->local_discr);
	svr_wr32(p + 12, 50000);
	svr_wr32(p + 16, 50000);
	if (kr) {
		svr_wr32(p + SVR_BFD_HDR_LEN + 4, seq);
		sign(p, 0, kr);
	}
	if (svr_bfd_rx(s, p, p[3], 0, kr, now, &ev) != SVR_BFD_OK)
		abort();
}

static void prepare(struct svr_bfd_session *s, unsigned state, const struct svr_bfd_keyring *kr,
		    uint64_t now)
{
	struct svr_bfd_config c = {.desired_min_tx_us = 50000,
				   .required_min_rx_us = 50000,
				   .detect_mult = 3,
				   .admin_down = state == SVR_BFD_ADMIN_DOWN,
				   .seed = 42};
	if (svr_bfd_init(s, &c, 0x1234, now) != 0)
		abort();
	if (state == SVR_BFD_INIT || state == SVR_BFD_UP)
		feed(s, SVR_BFD_DOWN, 100, kr, now);
	if (state == SVR_BFD_UP)
		feed(s, SVR_BFD_UP, 101, kr, now);
	if (s->state != state)
		abort();
}

/* What the session builds must pass the checks a receiver makes of its form. */
static void check_built(const uint8_t *out, size_t n, size_t off, bool keyed)
{
	if (n != off + (keyed ? SVR_BFD_MAX_LEN : SVR_BFD_HDR_LEN))
		abort();
	const uint8_t *p = out + off;
	if (p[0] >> 5 != 1 || p[2] == 0 || p[3] != n - off || svr_rd32(p + 4) != 0x1234 ||
	    (p[1] & 0x30) == 0x30 || (p[1] & 0x01) || !!(p[1] & 0x04) != keyed)
		abort();
}

static void echo(const uint8_t *p, size_t len, const struct svr_bfd_keyring *kr)
{
	struct svr_bfd_echo e;
	if (svr_bfd_echo_parse(p, len, &e) != SVR_BFD_OK)
		return;
	svr_bfd_echo_verify(p, len, kr);
	svr_bfd_echo_verify(p, len, NULL);
	uint8_t out[SVR_BFD_ECHO_LEN];
	struct svr_bfd_keyring one = *kr;
	for (unsigned i = 0; i < one.n; i++)
		if (one.keys[i].id == e.key_id)
			one.tx = (uint8_t)i;
	const struct svr_bfd_keyring *use = e.key_id ? &one : NULL;
	if (svr_bfd_echo_build(&e, use, out, sizeof(out)) != SVR_BFD_ECHO_LEN)
		abort();
	/* the fields come back; the digest is valid under the key it names */
	if (memcmp(out, p, 24) != 0 && (e.key_id == 1 || e.key_id == 2 || e.key_id == 0))
		abort();
	if (use && svr_bfd_echo_verify(out, sizeof(out), use) != SVR_BFD_OK)
		abort();
	svr_bfd_echo_reflect(out);
	if (use && svr_bfd_echo_verify(out, sizeof(out), use) != SVR_BFD_OK)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned state = data[0] & 3, off = data[0] >> 4;
	bool keyed = data[0] & 4, do_sign = data[0] & 8;
	struct svr_bfd_keyring kr = ring();
	const struct svr_bfd_keyring *k = keyed ? &kr : NULL;
	uint64_t now = 1000000;
	struct svr_bfd_session s, before;
	struct svr_bfd_event ev;
	static struct svr_pathq q;
	static struct svr_md md;
	svr_pathq_init(&q);
	prepare(&s, state, k, now);

	for (size_t i = 1; i + 2 <= size;) {
		size_t len = data[i];
		now += data[i + 1] * 1000ull;
		i += 2;
		if (len > size - i)
			len = size - i;
		uint8_t *p = malloc(len ? len : 1); /* exact size: ASan flags any overread */
		if (!p)
			return 0;
		memcpy(p, data + i, len);
		i += len;
		/* where the receiver finds the control packet: after a valid block */
		int md_len = svr_bfd_md_parse(p, len, &md);
		if (md_len < -1 || md_len > (int)len)
			abort();
		size_t at = md_len > 0 ? (size_t)md_len : off;
		if (md_len > 0 && (md.present & SVR_MDF_PATH_METRICS) &&
		    ((md.pm.tx_ms | md.pm.rx_ms) > SVR_MD_PM_TIME_MASK ||
		     md.pm.rx_count > SVR_MD_PM_COUNT_MAX || md.pm.tx_colour > 15 ||
		     md.pm.rx_colour > 15))
			abort(); /* the codec keeps to the fields' widths */
		bool from_peer =
		    md_len > 0 && svr_bfd_md_check(&md, "r1", "mpls/wan1") == SVR_BFD_OK;
		if (keyed && do_sign && len >= at + SVR_BFD_MAX_LEN)
			sign(p, at, &kr);

		if (svr_bfd_poll(&s, now, &ev)) {
			uint8_t out[16 + SVR_BFD_MAX_LEN];
			size_t n = svr_bfd_build(&s, out, sizeof(out), off, k, now);
			check_built(out, n, off, keyed);
		}
		svr_bfd_your_discr(p, len, at);
		memcpy(&before, &s, sizeof(s));
		enum svr_bfd_err err = svr_bfd_rx(&s, p, len, at, k, now, &ev);
		if (err != SVR_BFD_OK && memcmp(&before, &s, sizeof(s)) != 0)
			abort(); /* a refused packet changed the session */
		if (err >= SVR_BFD_ERR_COUNT || s.state > SVR_BFD_UP ||
		    (ev.changed && (ev.from != before.state || ev.to != s.state)))
			abort();
		if (err == SVR_BFD_OK && s.state != SVR_BFD_ADMIN_DOWN &&
		    state == SVR_BFD_ADMIN_DOWN)
			abort(); /* only the configuration leaves AdminDown */
		if (svr_bfd_next_us(&s) == 0 && !s.final_due)
			abort();
		if (err == SVR_BFD_OK && from_peer && (md.present & SVR_MDF_PATH_METRICS)) {
			/* as the main lcore: the sample, then our next one answering it */
			struct svr_md_path_metrics next;
			struct svr_quality qv;
			svr_pathq_pm_received(&q, now / 1000, &md.pm, (uint32_t)now / 3);
			svr_pathq_pm_next(&q, now / 1000 + 1, (uint32_t)now / 2, &next);
			svr_pathq_get(&q, now / 1000, &qv);
			if (qv.loss_mpct > SVR_PATHQ_LOSS_ALL || next.tx_colour > 15 ||
			    next.rx_count > SVR_MD_PM_COUNT_MAX)
				abort();
		}
		echo(p, len, &kr);
		free(p);
	}
	return 0;
}
