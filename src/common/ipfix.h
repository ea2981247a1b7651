/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPFIX (RFC 7011, information elements of RFC 7012 / IANA, biflows of RFC 5103) session
 * records, written into a caller's buffer: the message header, one Template Set naming every
 * template, and Data Sets of session records (docs/telemetry.md lists every field). Plain C:
 * no DPDK, no clock, no socket; the exporter (src/dataplane/telemetry/) fills, stamps and sends.
 *
 * Templates: a start record (the session as it was set up) and a flow record (interim and end:
 * counters so far, end time and reason), each for IPv4 and IPv6. Counters are totals since the
 * session started (octetTotalCount, and RFC 5103's reverse of it for the other direction), so a
 * collector takes the last record of a session, never a sum.
 */
#ifndef SVR_COMMON_IPFIX_H
#define SVR_COMMON_IPFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SVR_IPFIX_VERSION     10
#define SVR_IPFIX_PEN_DEFAULT 32473u /* RFC 5612: the documentation enterprise number */
#define SVR_IPFIX_PEN_REVERSE 29305u /* RFC 5103: reverse direction of a biflow */
#define SVR_IPFIX_HEADER_LEN  16
#define SVR_IPFIX_NAME_MAX    254 /* a string field's longest value (one-byte length) */

enum svr_ipfix_template_id {
	SVR_IPFIX_TPL_START4 = 256,
	SVR_IPFIX_TPL_START6 = 257,
	SVR_IPFIX_TPL_FLOW4 = 258,
	SVR_IPFIX_TPL_FLOW6 = 259,
};

/* Our record kind (enterprise element 2). */
enum svr_ipfix_kind { SVR_IPFIX_START = 1, SVR_IPFIX_INTERIM = 2, SVR_IPFIX_END = 3 };

/* flowEndReason (IANA element 136) */
enum svr_ipfix_end_reason {
	SVR_IPFIX_END_IDLE = 1,     /* idle timeout */
	SVR_IPFIX_END_ACTIVE = 2,   /* active timeout: an interim record, the session goes on */
	SVR_IPFIX_END_OF_FLOW = 3,  /* end of flow detected: TCP FIN or RST seen */
	SVR_IPFIX_END_FORCED = 4,   /* forced end: cleared by an operator */
	SVR_IPFIX_END_RESOURCES = 5 /* lack of resources */
};

/* Our enterprise-specific elements, under the configured enterprise number. */
enum svr_ipfix_enterprise_ie {
	SVR_IPFIX_IE_SESSION_UUID = 1, /* octetArray, 16 */
	SVR_IPFIX_IE_RECORD_KIND = 2,  /* unsigned8: enum svr_ipfix_kind */
	SVR_IPFIX_IE_TENANT = 3,       /* string */
	SVR_IPFIX_IE_SERVICE = 4,
	SVR_IPFIX_IE_ROUTER = 5,
	SVR_IPFIX_IE_PEER = 6,
	SVR_IPFIX_IE_PEER_PATH = 7,
	SVR_IPFIX_IE_VECTOR = 8,
	SVR_IPFIX_IE_ACCESS_RULE = 9,
};

/* One session, as a record says it. Addresses in network order (IPv4 in the first 4 bytes);
 * ports in host order; times in ms since the Unix epoch; strings NULL or "" when none. */
struct svr_ipfix_session {
	uint8_t uuid[16];
	uint8_t kind;       /* enum svr_ipfix_kind */
	uint8_t end_reason; /* enum svr_ipfix_end_reason (flow records) */
	uint8_t proto;
	uint8_t family; /* 4 or 6 */
	uint8_t src[16], dst[16], post_src[16], post_dst[16];
	uint16_t sport, dport, post_sport, post_dport;
	uint64_t start_ms, end_ms;
	uint64_t fwd_octets, fwd_packets, rev_octets, rev_packets;
	uint32_t in_iface, out_iface;
	const char *tenant, *service, *router, *peer, *path, *vector, *rule;
};

/* A message being filled: the header, then sets, each record in a set of its template. */
struct svr_ipfix_msg {
	uint8_t *buf;
	size_t cap, len;
	size_t set_at;    /* where the open set's header is */
	uint16_t set_id;  /* the open set's id, 0: none open */
	uint32_t records; /* data records in the message */
};

void svr_ipfix_msg_begin(struct svr_ipfix_msg *m, uint8_t *buf, size_t cap);
/* Adds the Template Set (every template, enterprise elements under pen); false if it does not
 * fit (the message is unchanged). */
bool svr_ipfix_msg_add_templates(struct svr_ipfix_msg *m, uint32_t pen);
/* Adds one session's record; false if it does not fit (the message is unchanged). */
bool svr_ipfix_msg_add(struct svr_ipfix_msg *m, const struct svr_ipfix_session *s);
/* Closes the open set; returns the message's length (0: nothing in it). The header's time,
 * sequence number and domain are written by svr_ipfix_msg_stamp. */
size_t svr_ipfix_msg_end(struct svr_ipfix_msg *m);
/* Writes a finished message's header: export time (s), sequence number (data records sent
 * before this message in the transport session), observation domain. */
void svr_ipfix_msg_stamp(uint8_t *msg, size_t len, uint32_t export_s, uint32_t seq,
			 uint32_t domain);

/* The template id a session's record uses. */
uint16_t svr_ipfix_template_of(const struct svr_ipfix_session *s);

#endif
