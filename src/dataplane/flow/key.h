/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Session keys and rewrites: what the packet parsers produce and the hit path
 * applies. Plain C (no DPDK), so that the fuzz target and unit tests build
 * the parsers alone.
 */
#ifndef SVR_FLOW_KEY_H
#define SVR_FLOW_KEY_H

#include <stdbool.h>
#include <stdint.h>

/* IPv4 flow key: 16 bytes. Addresses and ports in network order; ICMP echo: id in sport. */
struct svr_skey4 {
	uint32_t src;
	uint32_t dst;
	uint16_t sport;
	uint16_t dport;
	uint8_t proto;
	uint8_t pad;
	uint16_t ctx;          /* routing context (tenant/VRF id) */
} __attribute__((aligned(8))); /* rte_hash_crc reads 8 bytes at a time */
_Static_assert(sizeof(struct svr_skey4) == 16, "IPv4 session key is 16 bytes");

/* IPv6 flow key: 40 bytes, in a table of its own. */
struct svr_skey6 {
	uint8_t src[16];
	uint8_t dst[16];
	uint16_t sport;
	uint16_t dport;
	uint8_t proto;
	uint8_t pad;
	uint16_t ctx;
} __attribute__((aligned(8)));
_Static_assert(sizeof(struct svr_skey6) == 40, "IPv6 session key is 40 bytes");

enum svr_sdir { SVR_DIR_FWD = 0, SVR_DIR_REV = 1 };

/* What a hit in one direction does to the packet: computed once, at creation. */
struct svr_rewrite {
	uint32_t src, dst;     /* IPv4 addresses after the rewrite (network order) */
	uint16_t sport, dport; /* ports (or ICMP id in sport) after the rewrite, network order */
	uint16_t cksum_ip;     /* ones'-complement delta for the IPv4 header checksum */
	uint16_t cksum_l4;     /* delta for the TCP/UDP/ICMP checksum */
	uint16_t via;          /* next-hop slot of a service route (dp_sess.vias), or SVR_VIA_FIB */
	uint8_t flags;         /* SVR_RW_*; the SVR metadata bits change (atomically) once */
	uint8_t svr;           /* SVR_RW2_*: SVR work for the session's whole life */
	uint16_t svr_path;     /* SVR: the peer path slot (dp_sess.svr_paths) */
	uint8_t wrapped_proto; /* SVR_RW_UDP_UNWRAP: the protocol the packet had before (O-9) */
	uint8_t md_acked;      /* this direction has acknowledged the other's metadata (set once) */
};
_Static_assert(sizeof(struct svr_rewrite) == 24, "a rewrite is 24 bytes");

/* TCP flags (byte 13 of the header) that sessions follow */
#define SVR_TCP_FIN 0x01
#define SVR_TCP_SYN 0x02
#define SVR_TCP_RST 0x04
#define SVR_TCP_ACK 0x10

#define SVR_RW_NAT 0x1 /* addresses or ports change (IPv4 only) */
/* SVR metadata (docs/svr.md): add it to this direction's packets (until acknowledged) */
#define SVR_RW_MD_ADD 0x2
/* strip metadata arriving in this direction; its presence acknowledges the other's */
#define SVR_RW_MD_ACK_PRESENT 0x4
/* strip metadata arriving in this direction; a packet without acknowledges the other's */
#define SVR_RW_MD_ACK_ABSENT 0x8
/* SVR between routers: sign every packet of this direction (to the peer) / check and strip */
#define SVR_RW_HMAC_ADD   0x10
#define SVR_RW_HMAC_CHECK 0x20
/* ICMP and protocols other than TCP and UDP travel as UDP between routers (§2.1, O-9): wrap
 * them toward the peer, unwrap them from the peer */
#define SVR_RW_UDP_WRAP   0x40
#define SVR_RW_UDP_UNWRAP 0x80
#define SVR_RW_SVR_ANY                                                                             \
	(SVR_RW_MD_ADD | SVR_RW_MD_ACK_PRESENT | SVR_RW_MD_ACK_ABSENT | SVR_RW_HMAC_ADD |          \
	 SVR_RW_HMAC_CHECK | SVR_RW_UDP_WRAP | SVR_RW_UDP_UNWRAP)
/*
 * SVR work that never ends (struct svr_rewrite.svr): payloads encrypted end to
 * end (toward the peer encrypted, from it opened); the direction toward the
 * peer (a payload that looks like metadata gets the false-positive marker).
 */
#define SVR_RW2_PAYLOAD 0x1
#define SVR_RW2_TO_PEER 0x2
/* The session has extension state (session/ext.h): `via` names its slot, whose line for this
 * direction holds the real next-hop slot. Set before the entry is published, never changed. */
#define SVR_RW2_EXT 0x4
/* Toward the peer, a duplicated session (docs/paths.md "Duplication"): its metadata says so
 * (TLV 28 with D), and its ext slot names the second leg. */
#define SVR_RW2_DUP 0x8

/* Whether a direction's packets need the SVR data path (dp_svr_packet) rather than the rewrite. */
static inline bool svr_rw_svr_work(const struct svr_rewrite *rw)
{
	return (__atomic_load_n(&rw->flags, __ATOMIC_RELAXED) & SVR_RW_SVR_ANY) ||
	       (rw->svr & (SVR_RW2_PAYLOAD | SVR_RW2_TO_PEER));
}
#define SVR_VIA_FIB 0xffff /* route the rewritten destination through the FIB */
/* Through the FIB of kernel table slot via - SVR_VIA_TABLE0 (l2l3/tfib.h, DP_TFIB_SLOTS of them)
 * first, the main FIB when it has no route: the session's tenant is bound to that table. Above
 * every service-route slot (DP_MAX_VIAS) and ext slot. */
#define SVR_VIA_TABLE0 0xffc0

/*
 * The other end has the metadata: this direction stops adding it. Every later
 * packet that acknowledges it (at the egress: every forward packet without
 * metadata) comes here, so the flag is tested first and written once. An atomic
 * read-modify-write on every packet would take the session's first cache line
 * exclusive each time, and the workers handling the two directions (and the
 * hit path reading it) would bounce that line between their cores.
 */
static inline void svr_rewrite_stop_md(struct svr_rewrite *rw)
{
	if (__atomic_load_n(&rw->flags, __ATOMIC_RELAXED) & SVR_RW_MD_ADD)
		__atomic_fetch_and(&rw->flags, (uint8_t)~SVR_RW_MD_ADD, __ATOMIC_RELAXED);
}

#endif
