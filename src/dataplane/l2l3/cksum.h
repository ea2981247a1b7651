/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internet checksum helpers on plain byte buffers (no mbufs), so that they are
 * unit-tested on malloc'd memory and shared by the fast and slow paths.
 */
#ifndef SVR_CKSUM_H
#define SVR_CKSUM_H

#include <stddef.h>
#include <stdint.h>

/* One's-complement sum of len bytes, folded to 16 bits, not inverted. */
static inline uint32_t svr_cksum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	while (len > 1) {
		sum += (uint32_t)p[0] << 8 | p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static inline uint16_t svr_cksum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Checksum field value (host order) for a buffer whose checksum field is zero. */
static inline uint16_t svr_cksum(const void *data, size_t len)
{
	return (uint16_t)~svr_cksum_fold(svr_cksum_add(0, data, len));
}

/*
 * RFC 1624 incremental update (eqn. 3): HC' = ~(~HC + ~m + m'), all 16-bit,
 * host order. Used when one 16-bit word of a checksummed header changes.
 */
static inline uint16_t svr_cksum_update16(uint16_t cksum, uint16_t old_word, uint16_t new_word)
{
	uint32_t sum = (uint16_t)~cksum;
	sum += (uint16_t)~old_word;
	sum += new_word;
	return (uint16_t)~svr_cksum_fold(sum);
}

/* IPv4 header: decrement TTL (byte 8) and patch the checksum (bytes 10-11) in place. */
static inline void svr_ip4_dec_ttl(uint8_t *ip)
{
	uint16_t old_word = (uint16_t)(ip[8] << 8 | ip[9]);
	ip[8]--;
	uint16_t new_word = (uint16_t)(ip[8] << 8 | ip[9]);
	uint16_t ck = (uint16_t)(ip[10] << 8 | ip[11]);
	ck = svr_cksum_update16(ck, old_word, new_word);
	ip[10] = (uint8_t)(ck >> 8);
	ip[11] = (uint8_t)ck;
}

/* True when the IPv4 header of hlen bytes sums to 0xffff (checksum correct). */
static inline int svr_ip4_cksum_ok(const uint8_t *ip, size_t hlen)
{
	return svr_cksum_fold(svr_cksum_add(0, ip, hlen)) == 0xffff;
}

/* ICMPv6/UDP/TCP over IPv6: checksum of the pseudo-header plus the upper-layer data. */
static inline uint16_t svr_cksum_ip6(const uint8_t src[16], const uint8_t dst[16], uint8_t proto,
				     const void *l4, uint32_t l4_len)
{
	uint32_t sum = svr_cksum_add(0, src, 16);
	sum = svr_cksum_add(sum, dst, 16);
	sum += l4_len >> 16;
	sum += l4_len & 0xffff;
	sum += proto;
	sum = svr_cksum_add(sum, l4, l4_len);
	return (uint16_t)~svr_cksum_fold(sum);
}

#endif
