/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICMP errors about SVR sessions between the routers (docs/svr.md, "ICMP
 * errors"). An error a router receives from its side of a session crosses to
 * the peer inside the session, as an **SVR ICMP error message**: a UDP
 * datagram on the session's waypoint tuple whose payload is a metadata block
 * (header section: TLV 16 Security ID, TLV 20 ICMP error location; no payload
 * section) followed by the ICMP error itself, quoting the packet as it crossed
 * the WAN cut to its IP header and 8 transport bytes; the HMAC trailer under
 * the session's key follows. The wire functions here work on bytes (tested in
 * tests/unit/test_svr_wire); the dataplane's part is svrpath/icmp.c.
 */
#ifndef SVR_PATH_ICMP_H
#define SVR_PATH_ICMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "flow/flow.h"
#include "svr/metadata.h"
#include "svrpath/wire.h"

/* The message's metadata block: 12-byte header, TLV 16 (8 bytes), TLV 20 (8 bytes). */
#define SVR_ICMP_MSG_MD_LEN (SVR_MD_FIXED_LEN + 8 + 8)
/* IPv4 (20) and UDP (8) headers in front of the block */
#define SVR_ICMP_MSG_HDRS (20 + 8)

/*
 * The length an ICMP error message (IPv4 ICMP, len bytes at icmp) keeps:
 * its 8-byte header, the quoted IPv4 header, 8 bytes of the quoted transport
 * (its ports, a TCP sequence number: all an endpoint matches an error on).
 * 0 when it quotes less, or no IPv4 packet.
 */
static inline size_t svr_icmp_msg_quote_len(const uint8_t *icmp, size_t len)
{
	if (len < 8 + 20)
		return 0;
	const uint8_t *in = icmp + 8;
	size_t in_hl = (size_t)(in[0] & 0x0f) * 4;
	if ((in[0] >> 4) != 4 || in_hl < 20 || len < 8 + in_hl + 8)
		return 0;
	return 8 + in_hl + 8;
}

/* The IPv4 length the ICMP error at ip takes as a message (trailer not counted), or 0. */
static inline size_t svr_icmp_msg_len(const uint8_t *ip)
{
	size_t hl = svr_wire_hl(ip), total = svr_wire_total(ip);
	size_t n = svr_icmp_msg_quote_len(ip + hl, total - hl);
	return n ? SVR_ICMP_MSG_HDRS + SVR_ICMP_MSG_MD_LEN + n : 0;
}

/*
 * Turns the IPv4 ICMP error at ip (cap bytes of buffer from ip) into an SVR
 * ICMP error message from waypoint src to waypoint dst, UDP ports sport to
 * dport (all network order), with Security ID sec_id and error location loc
 * (network order). The ICMP message is cut (svr_icmp_msg_quote_len) and its
 * checksum redone; TTL 65, DF. Returns the new IP length (svr_icmp_msg_len),
 * or 0 (malformed, no room).
 */
static inline size_t svr_icmp_msg_wrap(uint8_t *ip, size_t cap, uint32_t src, uint32_t dst,
				       uint16_t sport, uint16_t dport, uint32_t sec_id,
				       uint32_t loc)
{
	size_t hl = svr_wire_hl(ip), total = svr_wire_total(ip);
	size_t n = svr_icmp_msg_quote_len(ip + hl, total - hl);
	size_t out = SVR_ICMP_MSG_HDRS + SVR_ICMP_MSG_MD_LEN + n;
	if (n == 0 || out > cap || ip[9] != SVR_WIRE_ICMP)
		return 0;
	uint8_t *icmp = ip + SVR_ICMP_MSG_HDRS + SVR_ICMP_MSG_MD_LEN;
	memmove(icmp, ip + hl, n);
	icmp[2] = icmp[3] = 0;
	svr_wr16(icmp + 2, svr_cksum(icmp, n));
	struct svr_md md = {.present = SVR_MDF_SECURITY_ID | SVR_MDF_ICMP_ERR_LOC4,
			    .security_id = sec_id,
			    .icmp_err_loc4 = loc};
	if (svr_md_encode(&md, ip + SVR_ICMP_MSG_HDRS, SVR_ICMP_MSG_MD_LEN, NULL) !=
	    SVR_ICMP_MSG_MD_LEN)
		return 0;
	memset(ip, 0, SVR_ICMP_MSG_HDRS);
	ip[0] = 0x45;
	svr_wr16(ip + 2, (uint16_t)out);
	ip[6] = 0x40; /* DF */
	ip[8] = 65;   /* forwarded once: leaves with 64 */
	ip[9] = SVR_WIRE_UDP;
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	memcpy(ip + 20, &sport, 2);
	memcpy(ip + 22, &dport, 2);
	svr_wire_checksums(ip);
	return out;
}

/*
 * Whether the IPv4 UDP datagram at ip (transport at l4_off) looks like an SVR
 * ICMP error message: metadata in front whose clear header section holds TLV
 * 20. Only a look (svr_icmp_msg_open decides); one byte compared for a packet
 * that is not UDP, eight for one without the cookie.
 */
static inline bool svr_icmp_msg_is(const uint8_t *ip, size_t l4_off)
{
	size_t total = svr_wire_total(ip);
	if (ip[9] != SVR_WIRE_UDP || total < l4_off + 8 + SVR_MD_FIXED_LEN)
		return false;
	const uint8_t *md = ip + l4_off + 8;
	size_t len = total - l4_off - 8;
	/* the cookie compared inline: a UDP packet from a peer pays one 8-byte compare */
	static const uint8_t cookie[SVR_MD_COOKIE_LEN] = {0x4c, 0x48, 0xdb, 0xc6,
							  0xdd, 0xf6, 0x67, 0x0c};
	if (memcmp(md, cookie, SVR_MD_COOKIE_LEN) != 0)
		return false;
	size_t hl = svr_rd16(md + 8) & 0x0fff;
	for (size_t off = SVR_MD_FIXED_LEN; off + 4 <= hl && off + 4 <= len;
	     off += 4 + (size_t)svr_rd16(md + off + 2))
		if (svr_rd16(md + off) == SVR_MD_ICMP_ERR_LOC4)
			return true;
	return false;
}

/*
 * The SVR ICMP error message at ip (IPv4, its trailer already gone) back
 * into the plain ICMP error it carries: from the location TLV 20 names to
 * ip's destination, with the ICMP message as it came (checksum verified).
 * *sec_id: the Security ID. Returns the new IP length, or 0 when it is not a
 * well-formed message: a valid block with no payload section and TLV 20 in
 * its header, then an ICMP error (type 3, 11 or 12) quoting an IPv4
 * header and exactly 8 transport bytes, its checksum right.
 */
static inline size_t svr_icmp_msg_open(uint8_t *ip, uint32_t *sec_id)
{
	size_t hl = svr_wire_hl(ip), total = svr_wire_total(ip);
	if (svr_wire_v6(ip) || ip[9] != SVR_WIRE_UDP || total < hl + 8)
		return 0;
	uint8_t *md = ip + hl + 8;
	size_t len = total - hl - 8;
	struct svr_md_layout l;
	if (svr_md_layout(md, len, &l, NULL, 0) < 0 || l.payload_len != 0)
		return 0;
	struct svr_md m;
	memset(&m, 0, sizeof(m));
	uint64_t seen = 0;
	if (svr_md_decode_tlvs(md + SVR_MD_FIXED_LEN, l.header_len - SVR_MD_FIXED_LEN, true, &m,
			       &seen, NULL, 0) < 0 ||
	    !(m.present & SVR_MDF_ICMP_ERR_LOC4))
		return 0;
	uint8_t *icmp = md + l.header_len;
	size_t n = len - l.header_len;
	if (n == 0 || n != svr_icmp_msg_quote_len(icmp, n) || !svr_icmp4_is_error(icmp[0]) ||
	    svr_cksum(icmp, n) != 0)
		return 0;
	*sec_id = m.security_id;
	memmove(ip + hl, icmp, n);
	memcpy(ip + 12, &m.icmp_err_loc4, 4);
	ip[9] = SVR_WIRE_ICMP;
	svr_wr16(ip + 2, (uint16_t)(hl + n));
	svr_wire_checksums(ip);
	return hl + n;
}

#endif
