/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Classic libpcap files (magic 0xa1b2c3d4: microsecond timestamps, LINKTYPE_ETHERNET),
 * as tcpdump -r and tshark -r read them, built from the dataplane's capture-read
 * packets ({"time-ns", "direction", "length", "data": hex}).
 */
#ifndef SVR_COMMON_PCAP_H
#define SVR_COMMON_PCAP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#define SVR_PCAP_MAGIC          0xa1b2c3d4u
#define SVR_PCAP_LINKTYPE_ETHER 1u
#define SVR_PCAP_HDR_LEN        24
#define SVR_PCAP_REC_HDR_LEN    16

/* Each returns 0, or -1 when writing to f fails. */
int svr_pcap_write_header(FILE *f, uint32_t snaplen);
int svr_pcap_write_record(FILE *f, uint64_t time_ns, const uint8_t *data, uint32_t cap_len,
			  uint32_t orig_len);

/*
 * One capture-read packet: its bytes decoded into buf (at least len bytes), the
 * rest from its fields. Returns the number of bytes, or -1 when the packet is
 * malformed (missing fields, bad hex, longer than len).
 */
long svr_pcap_packet_decode(const json_t *pkt, uint8_t *buf, size_t len, uint64_t *time_ns,
			    uint32_t *orig_len);

#endif
