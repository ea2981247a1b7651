/* SPDX-License-Identifier: BSD-3-Clause */
/* BFD for peer-path liveness: codec, state machine, timers, auth, echo packets (bfd.h). */
#include "common/bfd.h"

#include <string.h>

/* SHA256_Init/Update/Final: deprecated in OpenSSL 3 for EVP, used on purpose: an HMAC on the
 * stack, no allocation per packet (EVP_MAC allocates). */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "common/bytes.h"

/* Byte 1 of the header: State(2) P F C A D M. */
#define F_POLL  0x20
#define F_FINAL 0x10
#define F_AUTH  0x04
#define F_MULTI 0x01

#define AUTH_MIN_LEN  26 /* header + Auth Type + Auth Len (§6.8.6) */
#define AUTH_SEQ_OFF  4  /* within the auth section */
#define AUTH_DIG_OFF  8
#define ECHO_MAGIC    "SVRECHO1"
#define ECHO_DIG_OFF  24
#define ECHO_KIND_OFF 8

/* --- HMAC-SHA-256 over a few spans, on the stack --- */

/* Bytes to hash; p NULL: n zero bytes (a digest field being checked, at most its size). */
struct span {
	const uint8_t *p;
	size_t n;
};

static bool hmac_sha256(const struct svr_bfd_key *k, const struct span *v, unsigned nv,
			uint8_t out[32])
{
	static const uint8_t zero[SVR_BFD_DIGEST];
	if (k->len == 0 || k->len > SVR_BFD_KEY_MAX)
		return false;
	uint8_t pad[64];
	SHA256_CTX h;
	memset(pad, 0x36, sizeof(pad));
	for (unsigned i = 0; i < k->len; i++)
		pad[i] ^= k->bytes[i];
	SHA256_Init(&h);
	SHA256_Update(&h, pad, sizeof(pad));
	for (unsigned i = 0; i < nv; i++)
		SHA256_Update(&h, v[i].p ? v[i].p : zero, v[i].n);
	SHA256_Final(out, &h);
	memset(pad, 0x5c, sizeof(pad));
	for (unsigned i = 0; i < k->len; i++)
		pad[i] ^= k->bytes[i];
	SHA256_Init(&h);
	SHA256_Update(&h, pad, sizeof(pad));
	SHA256_Update(&h, out, 32);
	SHA256_Final(out, &h);
	OPENSSL_cleanse(pad, sizeof(pad));
	OPENSSL_cleanse(&h, sizeof(h));
	return true;
}

int svr_bfd_key_derive(const uint8_t *key, size_t len, uint8_t id, struct svr_bfd_key *out)
{
	static const char label[] = "svr-bfd-v1";
	size_t n = 0;
	memset(out, 0, sizeof(*out));
	if (len == 0 ||
	    !EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, len, (const uint8_t *)label,
		       sizeof(label) - 1, out->bytes, sizeof(out->bytes), &n) ||
	    n != 32) {
		OPENSSL_cleanse(out, sizeof(*out));
		return -1;
	}
	out->id = id;
	out->len = 32;
	return 0;
}

static bool keyed(const struct svr_bfd_keyring *kr)
{
	return kr && kr->n > 0;
}

/* The key that signs what we send, or NULL (none usable). */
static const struct svr_bfd_key *tx_key(const struct svr_bfd_keyring *kr)
{
	if (kr->tx >= kr->n || kr->tx >= SVR_BFD_KEYS_MAX || kr->keys[kr->tx].len == 0)
		return NULL;
	return &kr->keys[kr->tx];
}

static const struct svr_bfd_key *find_key(const struct svr_bfd_keyring *kr, uint8_t id)
{
	for (unsigned i = 0; i < kr->n && i < SVR_BFD_KEYS_MAX; i++)
		if (kr->keys[i].len && kr->keys[i].id == id)
			return &kr->keys[i];
	return NULL;
}

/* --- random source: splitmix64, seeded per session --- */

static uint64_t next_random(struct svr_bfd_session *s)
{
	uint64_t z = (s->rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* An interval reduced by 0-25 % (§6.8.7); with Detect Mult 1 by 10-25 %, so that one late
 * packet cannot take the peer down. */
static uint64_t jittered(struct svr_bfd_session *s, uint64_t iv)
{
	uint64_t lo = iv * 3 / 4, hi = s->cfg.detect_mult == 1 ? iv * 9 / 10 : iv;
	return lo + next_random(s) % (hi - lo + 1);
}

/* --- timers --- */

uint64_t svr_bfd_tx_interval_us(const struct svr_bfd_session *s)
{
	if (s->remote_min_rx_us == 0)
		return 0; /* the peer wants no periodic packets (§6.8.7) */
	return s->tx_basis_us > s->remote_min_rx_us ? s->tx_basis_us : s->remote_min_rx_us;
}

uint64_t svr_bfd_detect_time_us(const struct svr_bfd_session *s)
{
	return s->detect_us;
}

/* What we advertise follows the config and the state (1 s while not Up, §6.8.3); any change
 * starts a Poll Sequence. While Up and polling, a slower tx or faster rx is not used yet. */
static void update_advertised(struct svr_bfd_session *s)
{
	uint32_t tx = s->cfg.desired_min_tx_us;
	if (s->state != SVR_BFD_UP && tx < SVR_BFD_SLOW_US)
		tx = SVR_BFD_SLOW_US;
	if (tx != s->desired_tx_us || s->cfg.required_min_rx_us != s->required_rx_us) {
		s->desired_tx_us = tx;
		s->required_rx_us = s->cfg.required_min_rx_us;
		s->poll = true;
	}
	bool hold = s->poll && s->state == SVR_BFD_UP;
	if (!hold || s->desired_tx_us < s->tx_basis_us)
		s->tx_basis_us = s->desired_tx_us;
	if (!hold || s->required_rx_us > s->rx_basis_us)
		s->rx_basis_us = s->required_rx_us;
}

/* Detection time (§6.8.4): the peer's Detect Mult x max(our RequiredMinRx, its DesiredMinTx),
 * counted from the last packet accepted. */
static void update_detection(struct svr_bfd_session *s)
{
	if (s->remote_mult == 0)
		return;
	uint64_t iv =
	    s->rx_basis_us > s->remote_desired_tx_us ? s->rx_basis_us : s->remote_desired_tx_us;
	s->detect_us = (uint64_t)s->remote_mult * iv;
	if (s->detect_at_us != UINT64_MAX)
		s->detect_at_us = s->last_rx_us + s->detect_us;
}

/*
 * A new tx interval: a faster one pulls the next packet in; a slower one starts after the
 * packet already scheduled, so that the peer hears of the change (a state going AdminDown or
 * Down, at 1 s from then on) within the interval it was expecting, not after its detection
 * time.
 */
static void update_tx_schedule(struct svr_bfd_session *s, uint64_t now)
{
	uint64_t iv = svr_bfd_tx_interval_us(s);
	if (iv == s->tx_iv_us)
		return;
	bool faster = iv != 0 && (s->tx_iv_us == 0 || iv < s->tx_iv_us);
	s->tx_iv_us = iv;
	if (iv == 0) {
		s->next_tx_us = UINT64_MAX;
		return;
	}
	uint64_t at = s->tx_built ? s->last_tx_us + jittered(s, iv) : now;
	if (faster && at < s->next_tx_us)
		s->next_tx_us = at;
}

static void update_timers(struct svr_bfd_session *s, uint64_t now)
{
	update_advertised(s);
	update_detection(s);
	update_tx_schedule(s, now);
}

/* b - a, or 0 when b is before a (receive stamps of several workers may run a little out of
 * order). */
static uint64_t elapsed(uint64_t a, uint64_t b)
{
	return b > a ? b - a : 0;
}

static void no_event(struct svr_bfd_event *ev)
{
	ev->changed = false;
}

static void set_state(struct svr_bfd_session *s, enum svr_bfd_state to, enum svr_bfd_diag diag,
		      uint64_t now, struct svr_bfd_event *ev)
{
	*ev = (struct svr_bfd_event){.changed = true,
				     .from = s->state,
				     .to = to,
				     .diag = diag,
				     .since_us = elapsed(s->last_change_us, now)};
	s->state = to;
	s->diag = diag;
	s->last_change_us = now;
}

/* --- setup --- */

static bool config_ok(const struct svr_bfd_config *cfg)
{
	return cfg->desired_min_tx_us && cfg->required_min_rx_us && cfg->detect_mult;
}

int svr_bfd_init(struct svr_bfd_session *s, const struct svr_bfd_config *cfg, uint32_t local_discr,
		 uint64_t now_us)
{
	if (!config_ok(cfg) || local_discr == 0)
		return -1;
	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
	s->rng = cfg->seed;
	if (s->rng == 0 && RAND_bytes((unsigned char *)&s->rng, sizeof(s->rng)) != 1)
		return -1;
	s->state = cfg->admin_down ? SVR_BFD_ADMIN_DOWN : SVR_BFD_DOWN;
	s->diag = cfg->admin_down ? SVR_BFD_DIAG_ADMIN_DOWN : SVR_BFD_DIAG_NONE;
	s->remote_state = SVR_BFD_DOWN;
	s->local_discr = local_discr;
	s->remote_min_rx_us = 1; /* §6.8.1 */
	s->xmit_auth_seq = (uint32_t)next_random(s);
	s->last_change_us = now_us;
	s->detect_at_us = UINT64_MAX;
	s->next_tx_us = now_us;
	update_advertised(s);
	s->poll = false; /* the first values are not a change */
	s->tx_basis_us = s->desired_tx_us;
	s->rx_basis_us = s->required_rx_us;
	s->tx_iv_us = svr_bfd_tx_interval_us(s);
	return 0;
}

int svr_bfd_configure(struct svr_bfd_session *s, const struct svr_bfd_config *cfg, uint64_t now_us,
		      struct svr_bfd_event *ev)
{
	no_event(ev);
	if (!config_ok(cfg))
		return -1;
	uint64_t seed = s->cfg.seed;
	s->cfg = *cfg;
	s->cfg.seed = seed;
	if (cfg->admin_down && s->state != SVR_BFD_ADMIN_DOWN)
		set_state(s, SVR_BFD_ADMIN_DOWN, SVR_BFD_DIAG_ADMIN_DOWN, now_us, ev);
	else if (!cfg->admin_down && s->state == SVR_BFD_ADMIN_DOWN)
		set_state(s, SVR_BFD_DOWN, SVR_BFD_DIAG_NONE, now_us, ev); /* §6.8.16 */
	update_timers(s, now_us);
	return 0;
}

/* --- receive --- */

/* The fields of a control packet (§4.1). */
struct pkt {
	uint8_t version, diag, state, flags, mult, length;
	uint32_t my_discr, your_discr, desired_tx, required_rx;
};

static void parse(const uint8_t *p, struct pkt *k)
{
	k->version = p[0] >> 5;
	k->diag = p[0] & 0x1f;
	k->state = p[1] >> 6;
	k->flags = p[1] & 0x3f;
	k->mult = p[2];
	k->length = p[3];
	k->my_discr = svr_rd32(p + 4);
	k->your_discr = svr_rd32(p + 8);
	k->desired_tx = svr_rd32(p + 12);
	k->required_rx = svr_rd32(p + 16);
}

/* §6.8.6's checks before authentication, in its order. */
static enum svr_bfd_err check(const struct svr_bfd_session *s, const struct pkt *k, size_t avail,
			      const struct svr_bfd_keyring *kr)
{
	bool a = k->flags & F_AUTH;
	if (k->version != SVR_BFD_VERSION)
		return SVR_BFD_ERR_VERSION;
	if (k->length < (a ? AUTH_MIN_LEN : SVR_BFD_HDR_LEN))
		return SVR_BFD_ERR_SHORT;
	if (k->length > avail)
		return SVR_BFD_ERR_LENGTH;
	if (k->mult == 0)
		return SVR_BFD_ERR_MULT;
	if (k->flags & F_MULTI)
		return SVR_BFD_ERR_MULTIPOINT;
	if (k->my_discr == 0)
		return SVR_BFD_ERR_MY_DISC;
	if (k->your_discr != 0 && k->your_discr != s->local_discr)
		return SVR_BFD_ERR_YOUR_DISC;
	if (k->your_discr == 0 && (k->state == SVR_BFD_INIT || k->state == SVR_BFD_UP))
		return SVR_BFD_ERR_YOUR_DISC_ZERO;
	if (a && !keyed(kr))
		return SVR_BFD_ERR_AUTH_UNEXPECTED;
	if (!a && keyed(kr))
		return SVR_BFD_ERR_AUTH_MISSING;
	return SVR_BFD_OK;
}

/* Whether the peer's sequence is still known at now: it is forgotten after 2 x detection time
 * without a packet (§6.7.1), so that a peer that restarted (a new random sequence) is
 * accepted again. */
static bool sequence_known(const struct svr_bfd_session *s, uint64_t now)
{
	return s->auth_seq_known && elapsed(s->last_rx_us, now) < 2 * s->detect_us;
}

/* The auth section (§6.7, our type): key, sequence window, digest over msg[0, end) with the
 * digest zeroed. On success the sequence is taken. */
static enum svr_bfd_err authenticate(struct svr_bfd_session *s, const uint8_t *msg, size_t off,
				     const struct pkt *k, const struct svr_bfd_keyring *kr,
				     uint64_t now)
{
	const uint8_t *a = msg + off + SVR_BFD_HDR_LEN;
	if (a[0] != SVR_BFD_AUTH_TYPE)
		return SVR_BFD_ERR_AUTH_TYPE;
	if (a[1] != SVR_BFD_AUTH_LEN || k->length != SVR_BFD_MAX_LEN)
		return SVR_BFD_ERR_AUTH_LEN;
	const struct svr_bfd_key *key = find_key(kr, a[2]);
	if (!key)
		return SVR_BFD_ERR_AUTH_KEY;
	uint32_t seq = svr_rd32(a + AUTH_SEQ_OFF);
	uint32_t ahead = seq - s->rcv_auth_seq; /* circular */
	bool known = sequence_known(s, now);
	if (known && (ahead == 0 || ahead > 3u * k->mult))
		return SVR_BFD_ERR_AUTH_SEQ;
	size_t dig = off + SVR_BFD_HDR_LEN + AUTH_DIG_OFF;
	const struct span v[] = {{msg, dig}, {NULL, SVR_BFD_DIGEST}};
	uint8_t full[32];
	if (!hmac_sha256(key, v, 2, full) || CRYPTO_memcmp(full, msg + dig, SVR_BFD_DIGEST) != 0)
		return SVR_BFD_ERR_AUTH_DIGEST;
	if (known)
		s->rx_seq_lost += ahead - 1;
	s->auth_seq_known = true;
	s->rcv_auth_seq = seq;
	return SVR_BFD_OK;
}

/* §6.8.6's state table, for a packet that passed every check. */
static void run_state_machine(struct svr_bfd_session *s, enum svr_bfd_state peer, uint64_t now,
			      struct svr_bfd_event *ev)
{
	if (peer == SVR_BFD_ADMIN_DOWN) {
		if (s->state != SVR_BFD_DOWN)
			set_state(s, SVR_BFD_DOWN, SVR_BFD_DIAG_NEIGHBOR_DOWN, now, ev);
		return;
	}
	switch (s->state) {
	case SVR_BFD_DOWN:
		if (peer == SVR_BFD_DOWN)
			set_state(s, SVR_BFD_INIT, SVR_BFD_DIAG_NONE, now, ev);
		else if (peer == SVR_BFD_INIT)
			set_state(s, SVR_BFD_UP, SVR_BFD_DIAG_NONE, now, ev);
		break;
	case SVR_BFD_INIT:
		if (peer == SVR_BFD_INIT || peer == SVR_BFD_UP)
			set_state(s, SVR_BFD_UP, SVR_BFD_DIAG_NONE, now, ev);
		break;
	case SVR_BFD_UP:
		if (peer == SVR_BFD_DOWN)
			set_state(s, SVR_BFD_DOWN, SVR_BFD_DIAG_NEIGHBOR_DOWN, now, ev);
		break;
	case SVR_BFD_ADMIN_DOWN:
		break;
	}
}

enum svr_bfd_err svr_bfd_rx(struct svr_bfd_session *s, const uint8_t *msg, size_t len, size_t off,
			    const struct svr_bfd_keyring *kr, uint64_t now_us,
			    struct svr_bfd_event *ev)
{
	no_event(ev);
	if (off > len || len - off < SVR_BFD_HDR_LEN)
		return SVR_BFD_ERR_SHORT;
	struct pkt k;
	parse(msg + off, &k);
	enum svr_bfd_err err = check(s, &k, len - off, kr);
	if (err)
		return err;
	if (k.flags & F_AUTH && (err = authenticate(s, msg, off, &k, kr, now_us)) != SVR_BFD_OK)
		return err;

	s->rx_accepted++;
	s->remote_discr = k.my_discr;
	s->remote_state = (enum svr_bfd_state)k.state;
	s->remote_diag = (enum svr_bfd_diag)k.diag;
	s->remote_min_rx_us = k.required_rx;
	s->remote_desired_tx_us = k.desired_tx;
	s->remote_mult = k.mult;
	if (k.flags & F_FINAL)
		s->poll = false; /* our Poll Sequence is over: the held values take effect */
	if (now_us > s->last_rx_us)
		s->last_rx_us = now_us;
	s->detect_at_us = s->last_rx_us; /* armed; update_detection sets it */
	if (s->state != SVR_BFD_ADMIN_DOWN) {
		run_state_machine(s, (enum svr_bfd_state)k.state, now_us, ev);
		if (k.flags & F_POLL)
			s->final_due = true;
	}
	update_timers(s, now_us);
	return SVR_BFD_OK;
}

uint32_t svr_bfd_your_discr(const uint8_t *msg, size_t len, size_t off)
{
	if (off > len || len - off < SVR_BFD_HDR_LEN)
		return 0;
	return svr_rd32(msg + off + 8);
}

/* --- timers and transmit --- */

bool svr_bfd_poll(struct svr_bfd_session *s, uint64_t now_us, struct svr_bfd_event *ev)
{
	no_event(ev);
	if (now_us >= s->detect_at_us) {
		s->detect_at_us = UINT64_MAX;
		s->remote_discr = 0; /* §6.8.1 */
		s->remote_state = SVR_BFD_DOWN;
		if (s->state == SVR_BFD_INIT || s->state == SVR_BFD_UP) {
			set_state(s, SVR_BFD_DOWN, SVR_BFD_DIAG_DETECT_EXPIRED, now_us, ev);
			update_timers(s, now_us);
		}
	}
	if (!sequence_known(s, now_us))
		s->auth_seq_known = false;
	return s->final_due || now_us >= s->next_tx_us;
}

uint64_t svr_bfd_next_us(const struct svr_bfd_session *s)
{
	if (s->final_due)
		return 0;
	return s->next_tx_us < s->detect_at_us ? s->next_tx_us : s->detect_at_us;
}

size_t svr_bfd_build(struct svr_bfd_session *s, uint8_t *out, size_t cap, size_t off,
		     const struct svr_bfd_keyring *kr, uint64_t now_us)
{
	const struct svr_bfd_key *key = NULL;
	if (keyed(kr) && !(key = tx_key(kr)))
		return 0;
	size_t blen = key ? SVR_BFD_MAX_LEN : SVR_BFD_HDR_LEN;
	if (off > cap || cap - off < blen)
		return 0;
	bool final = s->final_due;
	uint8_t flags = key ? F_AUTH : 0;
	if (final)
		flags |= F_FINAL; /* P and F never together (§6.8.7): the Poll goes next time */
	else if (s->poll)
		flags |= F_POLL;
	uint8_t *p = out + off;
	p[0] = (uint8_t)(SVR_BFD_VERSION << 5 | (s->diag & 0x1f));
	p[1] = (uint8_t)(s->state << 6 | flags);
	p[2] = s->cfg.detect_mult;
	p[3] = (uint8_t)blen;
	svr_wr32(p + 4, s->local_discr);
	svr_wr32(p + 8, s->remote_discr);
	svr_wr32(p + 12, s->desired_tx_us);
	svr_wr32(p + 16, s->required_rx_us);
	svr_wr32(p + 20, 0); /* no echo function in the RFC's sense (ours is docs/paths.md's) */
	if (key) {
		uint8_t *a = p + SVR_BFD_HDR_LEN, full[32];
		a[0] = SVR_BFD_AUTH_TYPE;
		a[1] = SVR_BFD_AUTH_LEN;
		a[2] = key->id;
		a[3] = 0;
		svr_wr32(a + AUTH_SEQ_OFF, s->xmit_auth_seq++); /* meticulous: every packet */
		memset(a + AUTH_DIG_OFF, 0, SVR_BFD_DIGEST);
		const struct span v[] = {{out, off + SVR_BFD_MAX_LEN}};
		if (!hmac_sha256(key, v, 1, full))
			return 0;
		memcpy(a + AUTH_DIG_OFF, full, SVR_BFD_DIGEST);
		OPENSSL_cleanse(full, sizeof(full));
	}
	s->final_due = false;
	s->tx_built++;
	if (!final || now_us >= s->next_tx_us) {
		uint64_t iv = svr_bfd_tx_interval_us(s);
		s->last_tx_us = now_us;
		s->tx_iv_us = iv;
		s->next_tx_us = iv ? now_us + jittered(s, iv) : UINT64_MAX;
	}
	return off + blen;
}

/* --- names --- */

const char *svr_bfd_state_name(enum svr_bfd_state st)
{
	static const char *const names[] = {"admin-down", "down", "init", "up"};
	return (unsigned)st < 4 ? names[st] : "invalid";
}

const char *svr_bfd_diag_name(enum svr_bfd_diag d)
{
	static const char *const names[] = {"none",
					    "detection-time-expired",
					    "echo-failed",
					    "neighbor-signaled-down",
					    "forwarding-plane-reset",
					    "path-down",
					    "concatenated-path-down",
					    "admin-down",
					    "reverse-concatenated-path-down"};
	return (unsigned)d < sizeof(names) / sizeof(names[0]) ? names[d] : "unknown";
}

const char *svr_bfd_err_name(enum svr_bfd_err e)
{
	static const char *const names[SVR_BFD_ERR_COUNT] = {
	    [SVR_BFD_OK] = "ok",
	    [SVR_BFD_ERR_SHORT] = "bfd-short",
	    [SVR_BFD_ERR_VERSION] = "bfd-bad-version",
	    [SVR_BFD_ERR_LENGTH] = "bfd-bad-length",
	    [SVR_BFD_ERR_MULT] = "bfd-zero-multiplier",
	    [SVR_BFD_ERR_MULTIPOINT] = "bfd-multipoint",
	    [SVR_BFD_ERR_MY_DISC] = "bfd-zero-my-discriminator",
	    [SVR_BFD_ERR_YOUR_DISC] = "bfd-unknown-discriminator",
	    [SVR_BFD_ERR_YOUR_DISC_ZERO] = "bfd-zero-your-discriminator",
	    [SVR_BFD_ERR_AUTH_MISSING] = "bfd-auth-missing",
	    [SVR_BFD_ERR_AUTH_UNEXPECTED] = "bfd-auth-unexpected",
	    [SVR_BFD_ERR_AUTH_TYPE] = "bfd-auth-bad-type",
	    [SVR_BFD_ERR_AUTH_LEN] = "bfd-auth-bad-length",
	    [SVR_BFD_ERR_AUTH_KEY] = "bfd-auth-unknown-key",
	    [SVR_BFD_ERR_AUTH_SEQ] = "bfd-auth-bad-sequence",
	    [SVR_BFD_ERR_AUTH_DIGEST] = "bfd-auth-failed",
	    [SVR_BFD_ERR_ECHO_MAGIC] = "bfd-echo-bad-magic",
	    [SVR_BFD_ERR_ECHO_KIND] = "bfd-echo-bad-kind",
	    [SVR_BFD_ERR_METADATA] = "bfd-bad-metadata",
	    [SVR_BFD_ERR_WRONG_PEER] = "bfd-wrong-peer",
	};
	return (unsigned)e < SVR_BFD_ERR_COUNT ? names[e] : "unknown";
}

/* --- the metadata block in front of a control packet --- */

size_t svr_bfd_md_build(const struct svr_bfd_md *in, uint8_t *out, size_t cap)
{
	struct svr_md md;
	memset(&md, 0, sizeof(md));
	md.present = SVR_MDF_SECURITY_ID | SVR_MDF_SRC_ROUTER | SVR_MDF_PEER_PATH;
	md.security_id = in->security_id;
	if (!in->router || !in->path || !svr_md_set_name(&md.src_router, in->router) ||
	    !svr_md_set_name(&md.peer_path, in->path))
		return 0;
	if (in->pm) {
		md.present |= SVR_MDF_PATH_METRICS;
		md.pm = *in->pm;
	}
	if (in->seen4) {
		md.present |= SVR_MDF_SRC_NAT4;
		md.src_nat4 = in->seen4;
	}
	return svr_md_encode(&md, out, cap, NULL);
}

int svr_bfd_md_parse(const uint8_t *msg, size_t len, struct svr_md *md)
{
	md->present = 0;
	if (!svr_md_has_cookie(msg, len))
		return 0;
	return svr_md_decode(msg, len, md, NULL, 0);
}

/* The neighborhood part of a peer path id "neighborhood/interface": its length. */
static size_t neighborhood_len(const char *path, size_t len)
{
	const char *slash = memchr(path, '/', len);
	return slash ? (size_t)(slash - path) : len;
}

enum svr_bfd_err svr_bfd_md_check(const struct svr_md *md, const char *peer, const char *our_path)
{
	if (!(md->present & SVR_MDF_SRC_ROUTER) || strcmp(md->src_router.s, peer) != 0)
		return SVR_BFD_ERR_WRONG_PEER;
	if (md->present & SVR_MDF_PEER_PATH) {
		size_t ours = neighborhood_len(our_path, strlen(our_path));
		size_t theirs = neighborhood_len(md->peer_path.s, md->peer_path.len);
		if (ours != theirs || memcmp(our_path, md->peer_path.s, ours) != 0)
			return SVR_BFD_ERR_WRONG_PEER;
	}
	return SVR_BFD_OK;
}

/* --- echo link-test packets --- */

static void wr64(uint8_t *p, uint64_t v)
{
	svr_wr32(p, (uint32_t)(v >> 32));
	svr_wr32(p + 4, (uint32_t)v);
}

/* The digest of an echo packet: everything but the kind byte and the digest. */
static bool echo_digest(const struct svr_bfd_key *k, const uint8_t *p, uint8_t full[32])
{
	const struct span v[] = {{p, ECHO_KIND_OFF},
				 {p + ECHO_KIND_OFF + 1, ECHO_DIG_OFF - ECHO_KIND_OFF - 1}};
	return hmac_sha256(k, v, 2, full);
}

size_t svr_bfd_echo_build(const struct svr_bfd_echo *e, const struct svr_bfd_keyring *kr,
			  uint8_t *out, size_t cap)
{
	const struct svr_bfd_key *key = NULL;
	if (cap < SVR_BFD_ECHO_LEN || (keyed(kr) && !(key = tx_key(kr))))
		return 0;
	memcpy(out, ECHO_MAGIC, 8);
	out[8] = e->kind;
	out[9] = key ? key->id : 0;
	svr_wr16(out + 10, e->seq);
	svr_wr32(out + 12, e->test_id);
	wr64(out + 16, e->tx_ns);
	memset(out + ECHO_DIG_OFF, 0, SVR_BFD_DIGEST);
	if (key) {
		uint8_t full[32];
		if (!echo_digest(key, out, full))
			return 0;
		memcpy(out + ECHO_DIG_OFF, full, SVR_BFD_DIGEST);
	}
	return SVR_BFD_ECHO_LEN;
}

enum svr_bfd_err svr_bfd_echo_parse(const uint8_t *p, size_t len, struct svr_bfd_echo *e)
{
	if (len < SVR_BFD_ECHO_LEN)
		return SVR_BFD_ERR_SHORT;
	if (len > SVR_BFD_ECHO_LEN)
		return SVR_BFD_ERR_LENGTH;
	if (memcmp(p, ECHO_MAGIC, 8) != 0)
		return SVR_BFD_ERR_ECHO_MAGIC;
	if (p[8] != SVR_BFD_ECHO_REQUEST && p[8] != SVR_BFD_ECHO_REPLY)
		return SVR_BFD_ERR_ECHO_KIND;
	e->kind = p[8];
	e->key_id = p[9];
	e->seq = svr_rd16(p + 10);
	e->test_id = svr_rd32(p + 12);
	e->tx_ns = (uint64_t)svr_rd32(p + 16) << 32 | svr_rd32(p + 20);
	return SVR_BFD_OK;
}

enum svr_bfd_err svr_bfd_echo_verify(const uint8_t *p, size_t len, const struct svr_bfd_keyring *kr)
{
	static const uint8_t zero[SVR_BFD_DIGEST];
	if (len != SVR_BFD_ECHO_LEN)
		return len < SVR_BFD_ECHO_LEN ? SVR_BFD_ERR_SHORT : SVR_BFD_ERR_LENGTH;
	if (!keyed(kr))
		return CRYPTO_memcmp(p + ECHO_DIG_OFF, zero, SVR_BFD_DIGEST) == 0
			   ? SVR_BFD_OK
			   : SVR_BFD_ERR_AUTH_UNEXPECTED;
	const struct svr_bfd_key *key = find_key(kr, p[9]);
	if (!key)
		return SVR_BFD_ERR_AUTH_KEY;
	uint8_t full[32];
	if (!echo_digest(key, p, full) ||
	    CRYPTO_memcmp(full, p + ECHO_DIG_OFF, SVR_BFD_DIGEST) != 0)
		return SVR_BFD_ERR_AUTH_DIGEST;
	return SVR_BFD_OK;
}

void svr_bfd_echo_reflect(uint8_t *p)
{
	p[ECHO_KIND_OFF] = SVR_BFD_ECHO_REPLY;
}
