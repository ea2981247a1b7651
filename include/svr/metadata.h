/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SVR metadata on the wire (svr-protocol.md §2, after draft-menon-svr): a
 * 12-byte header — cookie, version, header length, payload length — then
 * header TLVs (always clear) and payload TLVs (clear, or ciphertext under
 * metadata encryption). All integers big-endian on the wire. Plain C, no
 * DPDK: svr-control, svrctl, tests and the fuzz target use it as it is.
 *
 * This is the codec only: struct svr_md <-> bytes. Where the block goes in a
 * packet, encryption, HMAC and the handshake belong to the dataplane.
 */
#ifndef SVR_METADATA_H
#define SVR_METADATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SVR_MD_COOKIE_LEN 8
extern const uint8_t svr_md_cookie[SVR_MD_COOKIE_LEN]; /* 4c 48 db c6 dd f6 67 0c */
#define SVR_MD_VERSION    1
#define SVR_MD_FIXED_LEN  12   /* cookie + version/header length + payload length */
#define SVR_MD_MAX_HEADER 4095 /* the 12-bit header length */
#define SVR_MD_STR_MAX    255  /* names: UTF-8, 1-255 bytes, no NUL (O-19) */

enum svr_md_type {
	SVR_MD_FRAGMENT = 1,
	SVR_MD_FWD_CTX4 = 2,
	SVR_MD_FWD_CTX6 = 3,
	SVR_MD_REV_CTX4 = 4,
	SVR_MD_REV_CTX6 = 5,
	SVR_MD_SESSION_UUID = 6,
	SVR_MD_TENANT = 7,
	SVR_MD_GIID = 8,
	SVR_MD_SERVICE = 10,
	SVR_MD_SESSION_ENCRYPTED = 11,
	SVR_MD_TCP_SYN = 12,
	SVR_MD_NUM_SESSIONS = 13,
	SVR_MD_SRC_ROUTER = 14,
	SVR_MD_SEC_POLICY = 15,
	SVR_MD_SECURITY_ID = 16,
	SVR_MD_DST_ROUTER = 17,
	SVR_MD_DISABLE_FWD_MD = 18,
	SVR_MD_PEER_PATH = 19,
	SVR_MD_ICMP_ERR_LOC4 = 20,
	SVR_MD_ICMP_ERR_LOC6 = 21,
	SVR_MD_CONTROL = 24,
	SVR_MD_SRC_NAT4 = 25,
	SVR_MD_PATH_METRICS = 26,
	SVR_MD_MODIFY = 28,
	SVR_MD_APP_NAME = 35,
	SVR_MD_REMAINING_TIME = 42,
	SVR_MD_HEALTH_OR_KEY = 46,
	SVR_MD_MCAST_CTX = 50,
	SVR_MD_MCAST_EGRESS = 51,
};

/* Control message reasons (TLV 24). */
enum svr_md_control {
	SVR_MD_CTL_KEEPALIVE = 1,
	SVR_MD_CTL_ENABLE_MD = 2,
	SVR_MD_CTL_DISABLE_MD = 3,
	SVR_MD_CTL_DELETE_SESSION = 6,
	SVR_MD_CTL_STATE_EXISTS = 8,
};

/* Which fields of struct svr_md are present. */
enum svr_md_field {
	SVR_MDF_SECURITY_ID = 1u << 0,
	SVR_MDF_FWD_CTX = 1u << 1,
	SVR_MDF_REV_CTX = 1u << 2,
	SVR_MDF_UUID = 1u << 3,
	SVR_MDF_TENANT = 1u << 4,
	SVR_MDF_SERVICE = 1u << 5,
	SVR_MDF_SRC_ROUTER = 1u << 6,
	SVR_MDF_DST_ROUTER = 1u << 7,
	SVR_MDF_PEER_PATH = 1u << 8,
	SVR_MDF_SEC_POLICY = 1u << 9,
	SVR_MDF_APP_NAME = 1u << 10,
	SVR_MDF_NUM_SESSIONS = 1u << 11,
	SVR_MDF_FRAGMENT = 1u << 12,
	SVR_MDF_CONTROL = 1u << 13,
	SVR_MDF_HEALTH = 1u << 14,
	SVR_MDF_GIID = 1u << 15,
	SVR_MDF_REMAINING = 1u << 16,
	SVR_MDF_SRC_NAT4 = 1u << 17,
	SVR_MDF_MODIFY = 1u << 18,
	SVR_MDF_SESSION_ENCRYPTED = 1u << 19, /* flags (Length 0) */
	SVR_MDF_TCP_SYN = 1u << 20,
	SVR_MDF_DISABLE_FWD_MD = 1u << 21,
	SVR_MDF_ICMP_ERR_LOC4 = 1u << 22, /* TLV 20: an ICMP error carried between routers */
	SVR_MDF_PATH_METRICS = 1u << 23,  /* TLV 26, in the header section */
};

/* A forward or reverse context (TLVs 2-5): the original 5-tuple. Ports in host order. */
struct svr_md_ctx {
	uint8_t family; /* 4 or 6 */
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint8_t proto;
};

/* TLV 1: one SVR fragment. */
struct svr_md_frag {
	uint32_t ext_id;
	uint16_t orig_id;
	bool df, mf;
	uint16_t offset; /* in 8-byte units, 13 bits */
	uint16_t largest;
};

/*
 * TLV 26: in-band path metrics (svr-protocol.md §2.5, §5.5), 10 bytes:
 *   0: TxColor (4 bits) | TxTime (28 bits)   4: RxColor (4 bits) | RxTime (28 bits)
 *   8: Drop (1 bit) | Previous-Rx-Color-Count (15 bits)
 * Times are milliseconds modulo 2^28 (about 74.6 hours) on the sending router's own clock;
 * the two routers' clocks are never compared, only differences on one clock. Our semantics
 * (what src/common/pathq.c reads from it): tx_colour/tx_ms mark this sample; rx_colour/rx_ms
 * are the colour of the last sample received from the peer and when (our clock); rx_count is
 * the number of data packets received from the peer between its last two samples, modulo 2^15;
 * drop says rx_count does not cover exactly that one colour period (a sample was missed or the
 * count overflowed), so it gives no loss figure. Drop with the count 32,767
 * (SVR_MD_PM_NOTHING_RECEIVED) says no sample of the peer has arrived yet: the Rx fields answer
 * nothing. Encoding keeps only the low bits of each field.
 */
#define SVR_MD_PM_COLOURS          16
#define SVR_MD_PM_TIME_MASK        0x0fffffffu         /* 28-bit milliseconds */
#define SVR_MD_PM_COUNT_MAX        0x7fffu             /* 15-bit count */
#define SVR_MD_PM_NOTHING_RECEIVED SVR_MD_PM_COUNT_MAX /* with drop set */
struct svr_md_path_metrics {
	uint8_t tx_colour; /* 0-15 */
	uint32_t tx_ms;    /* 0 .. SVR_MD_PM_TIME_MASK */
	uint8_t rx_colour;
	uint32_t rx_ms;
	bool drop;
	uint16_t rx_count; /* 0 .. SVR_MD_PM_COUNT_MAX */
};

struct svr_md_name {
	uint8_t len;
	char s[SVR_MD_STR_MAX + 1]; /* NUL-terminated copy */
};

/* TLV 28 (Modify Request) bits; the low 12 are the sequence number. Our use (docs/paths.md):
 * D set on both legs of a duplicated session, F unused. */
#define SVR_MD_MODIFY_F   0x8000
#define SVR_MD_MODIFY_D   0x4000
#define SVR_MD_MODIFY_SEQ 0x0fff

/* Decoded metadata (or what to encode). */
struct svr_md {
	uint32_t present; /* SVR_MDF_* */
	uint32_t security_id;
	struct svr_md_ctx fwd, rev;
	uint8_t uuid[16];
	struct svr_md_name tenant, service, src_router, dst_router, peer_path, sec_policy, app_name;
	uint64_t num_sessions;
	struct svr_md_frag frag;
	uint8_t control; /* enum svr_md_control */
	uint8_t health;  /* TLV 46 with one byte, in the header: 1 request, 2 request/timeout */
	uint32_t giid, remaining_s, src_nat4; /* src_nat4: network order */
	uint32_t icmp_err_loc4;               /* TLV 20, network order */
	uint16_t modify; /* TLV 28: SVR_MD_MODIFY_* bits | 12-bit sequence */
	struct svr_md_path_metrics pm; /* TLV 26 */
	uint16_t skipped; /* TLVs of types we do not use, skipped by their length (decode only) */
};

/* Where the sections of a block lie (from its header). */
struct svr_md_layout {
	uint16_t header_len;  /* HL: from the cookie to the end of the header TLVs */
	uint16_t payload_len; /* PL: the payload-TLV section as transmitted */
};

/* True when p (len bytes) starts with the cookie. */
bool svr_md_has_cookie(const uint8_t *p, size_t len);

/*
 * Checks a block's fixed header in p (len bytes available): cookie, version 1,
 * 12 <= HL, HL + PL <= len. Returns 0, or -1 with a sentence in err.
 */
int svr_md_layout(const uint8_t *p, size_t len, struct svr_md_layout *l, char *err, size_t errlen);

/*
 * Decodes TLVs that must tile tlvs[0, len) exactly into md (fields accumulate;
 * zero md and *seen first, then call once per section); for a payload section
 * decrypted apart. in_header: the clear header section (receivers take any
 * type in either section, O-20; it only decides what a one-byte TLV 46 is).
 * seen: the types decoded so far, across sections (§2.4). Returns 0, or -1
 * with a sentence in err: a truncated TLV, a wrong fixed length, a name that
 * is not 1-255 bytes of UTF-8, a type twice or in both sections. Types we do
 * not use are skipped by their length.
 */
int svr_md_decode_tlvs(const uint8_t *tlvs, size_t len, bool in_header, struct svr_md *md,
		       uint64_t *seen, char *err, size_t errlen);

/*
 * Layout, then both sections in clear (a type in both sections is an error,
 * §2.4). Returns HL + PL (bytes consumed), or -1 with err.
 */
int svr_md_decode(const uint8_t *p, size_t len, struct svr_md *md, char *err, size_t errlen);

/*
 * Encodes md into out (cap bytes): header TLVs (1, 16, 20, 24, 26, 46 health), then
 * the payload TLVs, contexts first and the rest by ascending type. Returns the
 * block's length (HL + PL), or 0 when it does not fit (or a name is invalid).
 * l, if given, gets HL and PL (a caller encrypting the payload section needs them).
 */
size_t svr_md_encode(const struct svr_md *md, uint8_t *out, size_t cap, struct svr_md_layout *l);

/* The false-positive marker (§2.3): a bare header, HL 12, PL 0. Writes 12 bytes. */
void svr_md_marker(uint8_t out[SVR_MD_FIXED_LEN]);

/* Sets a name field from a C string; false when empty, too long or not UTF-8. */
bool svr_md_set_name(struct svr_md_name *n, const char *s);

#endif
