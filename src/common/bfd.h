/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * BFD for peer-path liveness (RFC 5880 asynchronous mode over UDP 1280, docs/paths.md "BFD"):
 * the control packet codec, the state machine (AdminDown/Down/Init/Up), the timers, Poll/Final,
 * our private authentication type (Meticulous Keyed HMAC-SHA-256, below), and the codec of the
 * echo link-test packet.
 *
 * Plain C: no DPDK, no clock of its own, no allocation on the packet path (only key derivation
 * and a seed drawn at init go through OpenSSL's allocating calls). The caller owns one struct
 * svr_bfd_session per path, gives every call the time (`now_us`, any monotonic microsecond
 * clock, never 0 after start) and does the sending. One thread per session (the dataplane's
 * main lcore). A turn of the caller's loop:
 *
 *   - each packet received: err = svr_bfd_rx(s, msg, len, off, keys, rx_time, &ev);
 *     count a refusal under svr_bfd_err_name(err), log ev when ev.changed;
 *   - if (svr_bfd_poll(s, now, &ev)): n = svr_bfd_build(s, buf, cap, off, keys, now),
 *     send buf[0, n) (log ev as above);
 *   - sleep until svr_bfd_next_us(s) or the next packet.
 *
 * `msg` may start with other bytes (the SVR metadata block, `off` bytes long) before the BFD
 * packet: the digest covers them too, so the block is authenticated with the packet.
 */
#ifndef SVR_COMMON_BFD_H
#define SVR_COMMON_BFD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "svr/metadata.h"

#define SVR_BFD_PORT      1280
#define SVR_BFD_VERSION   1
#define SVR_BFD_HDR_LEN   24   /* the mandatory section */
#define SVR_BFD_AUTH_TYPE 0xF6 /* Meticulous Keyed HMAC-SHA-256 (private, docs/paths.md) */
#define SVR_BFD_AUTH_LEN  24   /* type, len, key id, reserved, sequence(4), digest(16) */
#define SVR_BFD_DIGEST    16   /* the leftmost 128 bits of HMAC-SHA-256 */
#define SVR_BFD_MAX_LEN   (SVR_BFD_HDR_LEN + SVR_BFD_AUTH_LEN)
#define SVR_BFD_SLOW_US   1000000u /* DesiredMinTx while not Up (RFC 5880 §6.8.3) */

enum svr_bfd_state {
	SVR_BFD_ADMIN_DOWN = 0,
	SVR_BFD_DOWN = 1,
	SVR_BFD_INIT = 2,
	SVR_BFD_UP = 3,
};

/* RFC 5880 §4.1 diagnostic codes (the ones we set: 0, 1, 3, 7). */
enum svr_bfd_diag {
	SVR_BFD_DIAG_NONE = 0,
	SVR_BFD_DIAG_DETECT_EXPIRED = 1,
	SVR_BFD_DIAG_ECHO_FAILED = 2,
	SVR_BFD_DIAG_NEIGHBOR_DOWN = 3,
	SVR_BFD_DIAG_FWD_RESET = 4,
	SVR_BFD_DIAG_PATH_DOWN = 5,
	SVR_BFD_DIAG_CONCAT_DOWN = 6,
	SVR_BFD_DIAG_ADMIN_DOWN = 7,
	SVR_BFD_DIAG_REVERSE_CONCAT_DOWN = 8,
};

/*
 * Why a received packet was refused (svr_bfd_rx, svr_bfd_echo_*): 0 is accepted. A refused
 * packet changes nothing in the session. svr_bfd_err_name gives each a counter-style name.
 */
enum svr_bfd_err {
	SVR_BFD_OK = 0,
	SVR_BFD_ERR_SHORT,           /* fewer bytes than a header, or Length below the minimum */
	SVR_BFD_ERR_VERSION,         /* version is not 1 */
	SVR_BFD_ERR_LENGTH,          /* Length beyond the bytes received */
	SVR_BFD_ERR_MULT,            /* Detect Mult 0 */
	SVR_BFD_ERR_MULTIPOINT,      /* M bit set */
	SVR_BFD_ERR_MY_DISC,         /* My Discriminator 0 */
	SVR_BFD_ERR_YOUR_DISC,       /* Your Discriminator not ours */
	SVR_BFD_ERR_YOUR_DISC_ZERO,  /* Your Discriminator 0 in an Init or Up packet */
	SVR_BFD_ERR_AUTH_MISSING,    /* no A bit, but the session has keys */
	SVR_BFD_ERR_AUTH_UNEXPECTED, /* A bit, but the session has no keys */
	SVR_BFD_ERR_AUTH_TYPE,       /* Auth Type is not SVR_BFD_AUTH_TYPE */
	SVR_BFD_ERR_AUTH_LEN,        /* Auth Len is not SVR_BFD_AUTH_LEN, or does not end Length */
	SVR_BFD_ERR_AUTH_KEY,        /* Key ID not in the key ring */
	SVR_BFD_ERR_AUTH_SEQ,        /* sequence outside (last, last + 3 x Detect Mult] */
	SVR_BFD_ERR_AUTH_DIGEST,     /* digest does not verify */
	SVR_BFD_ERR_ECHO_MAGIC,      /* echo: not "SVRECHO1" */
	SVR_BFD_ERR_ECHO_KIND,       /* echo: kind is neither request nor reply */
	SVR_BFD_ERR_METADATA,        /* the metadata block in front is not valid SVR metadata */
	SVR_BFD_ERR_WRONG_PEER,      /* the block names another router (TLV 14) or neighborhood */
	SVR_BFD_ERR_COUNT
};

/* Timers in microseconds, as on the wire. */
struct svr_bfd_config {
	uint32_t desired_min_tx_us;  /* > 0; used only while Up (at least 1 s otherwise) */
	uint32_t required_min_rx_us; /* > 0 */
	uint8_t detect_mult;         /* > 0 */
	bool admin_down;             /* hold the session AdminDown (diag 7) */
	/* Seed of the session's random source (tx jitter, first auth sequence); 0: drawn from
	 * OpenSSL's RNG at init. Tests give a fixed one. */
	uint64_t seed;
};

/* A key of the ring: K_bfd of one inter-router key (svr_bfd_key_derive). len 0: empty. */
#define SVR_BFD_KEY_MAX  64
#define SVR_BFD_KEYS_MAX 16 /* as many as a key file holds (SVR_KEYS_MAX) */
struct svr_bfd_key {
	uint8_t id;
	uint8_t len;
	uint8_t bytes[SVR_BFD_KEY_MAX];
};

/*
 * The keys of a path: keys[tx] signs what we send; any key of [0, n) verifies what we receive,
 * so that rotation is hitless. n == 0 (or a NULL ring): the session runs unauthenticated, and
 * so must the peer.
 */
struct svr_bfd_keyring {
	uint8_t n;
	uint8_t tx;
	struct svr_bfd_key keys[SVR_BFD_KEYS_MAX];
};

/*
 * What a call did to the session state: when changed is false nothing changed, and the other
 * fields are not set.
 */
struct svr_bfd_event {
	bool changed;
	enum svr_bfd_state from, to;
	enum svr_bfd_diag diag; /* the local diagnostic the change set */
	uint64_t since_us;      /* how long the session was in `from` */
};

/*
 * A session: RFC 5880 §6.8.1's variables and our timers. Read any field (the show code does);
 * change them only through the functions.
 */
struct svr_bfd_session {
	struct svr_bfd_config cfg;
	enum svr_bfd_state state, remote_state;
	enum svr_bfd_diag diag;        /* bfd.LocalDiag: sent in every packet */
	enum svr_bfd_diag remote_diag; /* the Diag of the last packet accepted */
	uint32_t local_discr, remote_discr;
	/* what we advertise (bfd.DesiredMinTxInterval, bfd.RequiredMinRxInterval) and what
	 * the timers use: a slower tx or a faster rx waits for the end of the Poll (§6.8.3) */
	uint32_t desired_tx_us, required_rx_us;
	uint32_t tx_basis_us, rx_basis_us;
	/* the peer's last accepted values */
	uint32_t remote_desired_tx_us, remote_min_rx_us;
	uint8_t remote_mult;
	bool poll;      /* a Poll Sequence is running: our packets carry P until an F arrives */
	bool final_due; /* the peer polled: send F at once */
	/* authentication (§6.7, meticulous) */
	bool auth_seq_known;
	uint32_t rcv_auth_seq, xmit_auth_seq;
	/* times (µs of the caller's clock); 0: never */
	uint64_t last_change_us; /* the last state change (or init) */
	uint64_t last_rx_us;     /* the last packet accepted */
	uint64_t last_tx_us;     /* the last packet built */
	uint64_t next_tx_us;     /* the next periodic packet; UINT64_MAX: none */
	uint64_t tx_iv_us;       /* the tx interval next_tx_us was drawn from */
	uint64_t detect_us;      /* detection time from the last packet accepted; 0: none */
	uint64_t detect_at_us;   /* when it expires; UINT64_MAX: not armed */
	/* statistics */
	uint64_t rx_accepted;
	uint64_t rx_seq_lost; /* gaps in accepted sequence numbers: control packets lost */
	uint64_t tx_built;
	uint64_t rng; /* state of the random source */
};

/*
 * Starts a session in Down (AdminDown when cfg->admin_down), its first packet due at now.
 * local_discr: non-zero, unique among the router's sessions (the caller demultiplexes received
 * packets by Your Discriminator). Returns 0, or -1 (a zero timer, multiplier or discriminator).
 */
int svr_bfd_init(struct svr_bfd_session *s, const struct svr_bfd_config *cfg, uint32_t local_discr,
		 uint64_t now_us);

/*
 * New timers or admin flag for a running session: changed intervals start a Poll Sequence;
 * admin_down set takes the session to AdminDown (diag 7), cleared to Down. ev reports a state
 * change. Returns 0, or -1 (invalid config: nothing changed).
 */
int svr_bfd_configure(struct svr_bfd_session *s, const struct svr_bfd_config *cfg, uint64_t now_us,
		      struct svr_bfd_event *ev);

/*
 * A received packet: msg[0, len) is the UDP payload, the BFD packet starting at msg + off
 * (off <= len). Checks it in RFC 5880 §6.8.6's order, authenticates it against kr (digest
 * over msg[0, off + Length) with the digest zeroed), then updates the peer's values, timers
 * and state. now_us: when the packet arrived. Returns SVR_BFD_OK, or why it was refused
 * (nothing changed). ev reports a state change.
 */
enum svr_bfd_err svr_bfd_rx(struct svr_bfd_session *s, const uint8_t *msg, size_t len, size_t off,
			    const struct svr_bfd_keyring *kr, uint64_t now_us,
			    struct svr_bfd_event *ev);

/* The Your Discriminator of the BFD packet at msg + off, to find its session by (0: none, or
 * too short a packet: find it by addresses and interface instead). */
uint32_t svr_bfd_your_discr(const uint8_t *msg, size_t len, size_t off);

/*
 * The timers at now: detection time expired -> Down (diag 1, from Init or Up) and the peer's
 * discriminator forgotten; the auth sequence forgotten after 2 x detection time without a
 * packet. Returns whether a packet is due (svr_bfd_build it now).
 */
bool svr_bfd_poll(struct svr_bfd_session *s, uint64_t now_us, struct svr_bfd_event *ev);

/* The earliest time svr_bfd_poll has something to do (a packet due, detection expiry); a time
 * at or before now means at once. */
uint64_t svr_bfd_next_us(const struct svr_bfd_session *s);

/*
 * Writes the next control packet at out + off (out[0, off): the caller's metadata block,
 * covered by the digest), signed with kr's tx key when kr has keys, and schedules the next
 * periodic one (75-100 % of the tx interval; 75-90 % with Detect Mult 1). A packet answering
 * a Poll carries F and leaves the periodic schedule alone unless that was due too. Returns
 * off + the packet's length, or 0 (cap too small, or kr's tx key empty).
 */
size_t svr_bfd_build(struct svr_bfd_session *s, uint8_t *out, size_t cap, size_t off,
		     const struct svr_bfd_keyring *kr, uint64_t now_us);

/* The negotiated intervals (µs): ours to send (0: the peer wants none) and the detection
 * time of the peer (0: no packet accepted yet). */
uint64_t svr_bfd_tx_interval_us(const struct svr_bfd_session *s);
uint64_t svr_bfd_detect_time_us(const struct svr_bfd_session *s);

const char *svr_bfd_state_name(enum svr_bfd_state st); /* "admin-down", "down", "init", "up" */
const char *svr_bfd_diag_name(enum svr_bfd_diag d);    /* "detection-time-expired", ... */
const char *svr_bfd_err_name(enum svr_bfd_err e);      /* "bfd-bad-version", ... */

/*
 * K_bfd = HMAC-SHA-256(key, "svr-bfd-v1") (key: an inter-router HMAC key of the key file),
 * into out with Key ID id (by convention the key's security-id & 0xff). Returns 0 or -1.
 */
int svr_bfd_key_derive(const uint8_t *key, size_t len, uint8_t id, struct svr_bfd_key *out);

/* --- the SVR metadata block in front of a control packet (docs/paths.md "The packet") ---
 * Header TLVs 16 (security id) and 26 (path metrics, when a sample is due), payload TLVs 14 (the
 * sending router) and 19 (its peer path, "neighborhood/interface"), all clear; the digest of the
 * control packet behind it covers it. */
struct svr_bfd_md {
	uint32_t security_id;                 /* TLV 16: of the key that signs (0: none) */
	const char *router;                   /* TLV 14 */
	const char *path;                     /* TLV 19 */
	const struct svr_md_path_metrics *pm; /* TLV 26, or NULL: no sample in this packet */
	/* TLV 25: where the peer's BFD comes from, as we see it (network order; 0: not sent): on a
	 * path whose remote we learn, tells a peer behind a NAT its outside address */
	uint32_t seen4;
};
/* Writes the block; returns its length, or 0 (cap too small, a name empty or not UTF-8). */
size_t svr_bfd_md_build(const struct svr_bfd_md *in, uint8_t *out, size_t cap);
/*
 * A received UDP 1280 payload msg[0, len): when it starts with the metadata cookie, decodes the
 * block into md and returns its length (where the control packet starts); without one, md->present
 * is 0 and it returns 0 (a peer that sends none is accepted). -1: a block that is not valid
 * metadata (SVR_BFD_ERR_METADATA).
 */
int svr_bfd_md_parse(const uint8_t *msg, size_t len, struct svr_md *md);
/*
 * Whether a decoded block comes from the path's peer: TLV 14 must be there and name peer; TLV 19,
 * when there, must name a path in the neighborhood of our own path our_path ("neighborhood/
 * interface": the part before the '/'), the interface part being the peer's. SVR_BFD_OK or
 * SVR_BFD_ERR_WRONG_PEER.
 */
enum svr_bfd_err svr_bfd_md_check(const struct svr_md *md, const char *peer, const char *our_path);

/* --- echo link-test packets (docs/paths.md "Echo link tests") ---
 * "SVRECHO1" | kind u8 | key id u8 | seq u16 | test id u32 | tx_ns u64 | digest 16: the
 * leftmost 128 bits of HMAC-SHA-256(K_bfd, the packet without the kind byte and the digest),
 * so that the peer reflects a request by flipping the kind alone. Big-endian fields. */
#define SVR_BFD_ECHO_LEN 40
enum svr_bfd_echo_kind {
	SVR_BFD_ECHO_REQUEST = 0,
	SVR_BFD_ECHO_REPLY = 1,
};
struct svr_bfd_echo {
	uint8_t kind;
	uint8_t key_id; /* set by build, from kr's tx key (0 unauthenticated) */
	uint16_t seq;
	uint32_t test_id;
	uint64_t tx_ns; /* the sender's, opaque to the peer */
};
/* Writes e signed with kr's tx key (no keys: a zero digest). Returns SVR_BFD_ECHO_LEN, or 0
 * (cap too small, kr's tx key empty). */
size_t svr_bfd_echo_build(const struct svr_bfd_echo *e, const struct svr_bfd_keyring *kr,
			  uint8_t *out, size_t cap);
/* Reads the fields (length, magic, kind; not the digest). */
enum svr_bfd_err svr_bfd_echo_parse(const uint8_t *p, size_t len, struct svr_bfd_echo *e);
/* Whether p's digest verifies under the key its key id names (no keys in kr: the digest must
 * be zero). Parse it first. */
enum svr_bfd_err svr_bfd_echo_verify(const uint8_t *p, size_t len,
				     const struct svr_bfd_keyring *kr);
/* Turns a parsed request into its reply in place (the digest stays valid). */
void svr_bfd_echo_reflect(uint8_t *p);

#endif
