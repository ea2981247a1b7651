/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz-sources: src/common/metadata.c */
/*
 * libFuzzer target for the SVR ICMP error message (src/dataplane/svrpath/icmp.h,
 * docs/svr.md "ICMP errors"). The input is an IPv4 packet. As a message from a
 * peer: recognised and opened only when well formed, and what it opens into,
 * carried again and opened, gives the same ICMP error. As an ICMP error from
 * our side: carried as a message and opened, it gives back its header and
 * quote cut to 8 transport bytes. Nothing is read or written out of bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "svrpath/icmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An IPv4 packet as the dataplane hands one on: header and total length checked. */
static bool ip4_ok(const uint8_t *p, size_t size)
{
	return size >= 20 && size <= 2048 && (p[0] >> 4) == 4 && (p[0] & 0x0f) >= 5 &&
	       (size_t)(p[0] & 0x0f) * 4 + 8 <= size && svr_rd16(p + 2) == size;
}

/* The ICMP error at ip (len bytes) carried as a message, then opened: the same ICMP message
 * (cut), from loc. */
static void carry_and_open(const uint8_t *ip, size_t len, uint32_t loc)
{
	static uint8_t buf[4096];
	size_t want = svr_icmp_msg_len(ip), hl = svr_wire_hl(ip);
	memcpy(buf, ip, len);
	size_t n =
	    svr_icmp_msg_wrap(buf, sizeof(buf), 0x01020304, 0x05060708, 0x1111, 0x2222, 7, loc);
	if (n != 0 && n != want)
		abort();
	if (n == 0 || !svr_icmp4_is_error(ip[hl]))
		return;
	if (!svr_icmp_msg_is(buf, 20))
		abort();
	uint32_t sec = 0;
	size_t back = svr_icmp_msg_open(buf, &sec);
	size_t cut = want - SVR_ICMP_MSG_HDRS - SVR_ICMP_MSG_MD_LEN;
	if (back != 20 + cut || sec != 7 || memcmp(buf + 12, &loc, 4) != 0 ||
	    memcmp(buf + 20, ip + hl, 2) != 0 || memcmp(buf + 24, ip + hl + 4, cut - 4) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[4096];
	if (!ip4_ok(data, size))
		return 0;
	size_t hl = svr_wire_hl(data);
	(void)svr_icmp_msg_is(data, hl);
	memcpy(buf, data, size);
	uint32_t sec;
	size_t n = svr_icmp_msg_open(buf, &sec);
	if (n) { /* a well-formed message: an ICMP error now, and carried again the same */
		if (buf[9] != SVR_WIRE_ICMP || svr_rd16(buf + 2) != n ||
		    !svr_icmp4_is_error(buf[hl]))
			abort();
		uint32_t loc;
		memcpy(&loc, buf + 12, 4);
		carry_and_open(buf, n, loc);
	}
	if (data[9] == SVR_WIRE_ICMP)
		carry_and_open(data, size, 0x0a000001);
	return 0;
}
