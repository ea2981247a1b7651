/* SPDX-License-Identifier: BSD-3-Clause */
#include "common/pcap.h"

#include <string.h>

#include "common/bytes.h"

/* The file is in host byte order: readers detect it from the magic. */
int svr_pcap_write_header(FILE *f, uint32_t snaplen)
{
	struct {
		uint32_t magic;
		uint16_t major, minor;
		int32_t thiszone;
		uint32_t sigfigs, snaplen, linktype;
	} h = {SVR_PCAP_MAGIC, 2, 4, 0, 0, snaplen, SVR_PCAP_LINKTYPE_ETHER};
	_Static_assert(sizeof(h) == SVR_PCAP_HDR_LEN, "pcap file header");
	return fwrite(&h, sizeof(h), 1, f) == 1 ? 0 : -1;
}

int svr_pcap_write_record(FILE *f, uint64_t time_ns, const uint8_t *data, uint32_t cap_len,
			  uint32_t orig_len)
{
	uint32_t h[4] = {(uint32_t)(time_ns / 1000000000u),
			 (uint32_t)(time_ns % 1000000000u / 1000u), cap_len, orig_len};
	_Static_assert(sizeof(h) == SVR_PCAP_REC_HDR_LEN, "pcap record header");
	if (fwrite(h, sizeof(h), 1, f) != 1)
		return -1;
	return cap_len == 0 || fwrite(data, cap_len, 1, f) == 1 ? 0 : -1;
}

long svr_pcap_packet_decode(const json_t *pkt, uint8_t *buf, size_t len, uint64_t *time_ns,
			    uint32_t *orig_len)
{
	const json_t *t = json_object_get(pkt, "time-ns"), *l = json_object_get(pkt, "length");
	const char *hex = json_string_value(json_object_get(pkt, "data"));
	if (!json_is_integer(t) || json_integer_value(t) < 0 || !json_is_integer(l) ||
	    json_integer_value(l) < 0 || json_integer_value(l) > UINT32_MAX || !hex)
		return -1;
	size_t n = strlen(hex);
	if (n % 2 || n / 2 > len || n / 2 > (size_t)json_integer_value(l))
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = svr_hex_digit(hex[2 * i]), lo = svr_hex_digit(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		buf[i] = (uint8_t)(hi << 4 | lo);
	}
	*time_ns = (uint64_t)json_integer_value(t);
	*orig_len = (uint32_t)json_integer_value(l);
	return (long)(n / 2);
}
