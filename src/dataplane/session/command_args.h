/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The arguments of the session commands of the control socket
 * (include/svr/ctlsock.h), checked from the request (ctlsock/command.h's
 * parse). No DPDK: fuzzed with the request parser (tests/fuzz/fuzz_ctlsock.c).
 * The commands themselves are in commands.c.
 */
#ifndef SVR_DP_SESSION_COMMAND_ARGS_H
#define SVR_DP_SESSION_COMMAND_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/inet.h"

/* The longest tenant or service name a model may have (bytes). */
#define DP_SESSION_NAME_MAX 128

/* "sessions": NULL / has_addr false when not given */
struct dp_sessions_args {
	const char *tenant, *service;
	bool has_addr;
	struct svr_ip addr;
	uint32_t cursor, limit;
};
int dp_sessions_args_parse(const json_t *req, void *args, char *err, size_t errlen);

/* "sessions-clear": the filters of "sessions" (NULL / has_addr false when not given) */
struct dp_sessions_clear_args {
	const char *tenant, *service;
	bool has_addr;
	struct svr_ip addr;
};
int dp_sessions_clear_args_parse(const json_t *req, void *args, char *err, size_t errlen);

/* "session", "session-clear": the text as given, and its bytes */
struct dp_session_uuid_args {
	const char *uuid_text;
	bool uuid_valid; /* false: not a UUID (answered as no live session has it) */
	uint8_t uuid[16];
};
int dp_session_uuid_args_parse(const json_t *req, void *args, char *err, size_t errlen);

/* "test-clock": the offset and from when (0: now), if set_offset; hold: 1 stop the dataplane's
 * clocks, 0 let them run again, -1 leave as they are */
struct dp_test_clock_args {
	int64_t clock_offset_s, clock_at_s;
	bool set_offset;
	int hold;
};
int dp_test_clock_args_parse(const json_t *req, void *args, char *err, size_t errlen);

/* "why": a first packet as it would arrive (protocol, source, destination and ports) and the
 * interface it would come in by, its name */
struct dp_why_args {
	uint8_t proto;
	struct svr_ip src, dst;
	uint16_t sport, dport; /* host order; ICMP: sport is the echo identifier */
	const char *iface;
	/* or a live session's: its first packet as it arrived, by the interface it came in by */
	bool has_uuid, uuid_valid;
	uint8_t uuid[16];
};
int dp_session_why_args_parse(const json_t *req, void *args, char *err, size_t errlen);

/* Each command's arguments, as session/commands.c registers them and the fuzzer reads them
 * (one definition: a change to a parser or its size reaches both). */
#define DP_SESSIONS_ARGS                                                                           \
	.parse = dp_sessions_args_parse, .args_size = sizeof(struct dp_sessions_args)
#define DP_SESSIONS_CLEAR_ARGS                                                                     \
	.parse = dp_sessions_clear_args_parse, .args_size = sizeof(struct dp_sessions_clear_args)
#define DP_SESSION_UUID_ARGS                                                                       \
	.parse = dp_session_uuid_args_parse, .args_size = sizeof(struct dp_session_uuid_args)
#define DP_TEST_CLOCK_ARGS                                                                         \
	.parse = dp_test_clock_args_parse, .args_size = sizeof(struct dp_test_clock_args)
#define DP_WHY_ARGS .parse = dp_session_why_args_parse, .args_size = sizeof(struct dp_why_args)

#endif
