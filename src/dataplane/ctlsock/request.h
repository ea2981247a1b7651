/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A control-socket request line (include/svr/ctlsock.h) read into a struct:
 * the command and its checked arguments. Bytes from any local client come
 * here, so it is parsed apart from where it is served (ctlsock.c), without
 * DPDK, and fuzzed (tests/fuzz/fuzz_ctlsock.c).
 */
#ifndef SVR_DP_CTLSOCK_REQUEST_H
#define SVR_DP_CTLSOCK_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/inet.h"

enum dp_ctl_cmd {
	DP_CTL_POLICY,
	DP_CTL_VERSION,
	DP_CTL_PORTS,
	DP_CTL_INTERFACES,
	DP_CTL_STATS,
	DP_CTL_NEIGHBORS,
	DP_CTL_ROUTES,
	DP_CTL_PEERS,
	DP_CTL_SESSIONS,      /* tenant, service, address, cursor, limit */
	DP_CTL_SESSION,       /* uuid */
	DP_CTL_SESSION_CLEAR, /* uuid */
	DP_CTL_TEST_CLOCK,    /* offset-s, at-unix-s (served by test builds only) */
	DP_CTL_CAPTURE_START, /* capture/capture.c reads the arguments from doc */
	DP_CTL_CAPTURE_READ,
	DP_CTL_CAPTURE_STOP,
	DP_CTL_CMDS
};

struct dp_ctl_request {
	enum dp_ctl_cmd cmd;
	json_t *doc; /* the parsed line: holds the strings below */
	/* "sessions": NULL / has_addr false when not given */
	const char *tenant, *service;
	bool has_addr;
	struct svr_ip addr;
	uint32_t cursor, limit;
	/* "session", "session-clear": the text as given, and its bytes */
	const char *uuid_text;
	bool uuid_valid; /* false: not a UUID (answered as no live session has it) */
	uint8_t uuid[16];
	/* "test-clock": the offset and from when (0: now) */
	int64_t clock_offset_s, clock_at_s;
};

/*
 * Parses one request line (NUL-terminated, without its '\n'). Returns 0, or
 * -1 with a sentence for the client in err (r then holds nothing to free).
 */
int dp_ctl_request_parse(const char *line, struct dp_ctl_request *r, char *err, size_t errlen);
void dp_ctl_request_free(struct dp_ctl_request *r);

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (hex, either case) into 16 bytes: 0, or -1. */
int dp_ctl_uuid_parse(const char *s, uint8_t out[16]);

#endif
