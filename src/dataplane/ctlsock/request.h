/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A control-socket request line (include/svr/ctlsock.h) read into a struct:
 * the registered command it names (command.h) and the arguments that
 * command's parser checked. Bytes from any local client come here, so it is
 * parsed apart from where it is served (ctlsock.c), without DPDK, and fuzzed
 * (tests/fuzz/fuzz_ctlsock.c).
 */
#ifndef SVR_DP_CTLSOCK_REQUEST_H
#define SVR_DP_CTLSOCK_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ctlsock/command.h"

struct dp_ctl_request {
	const struct dp_ctl_command *cmd;
	json_t *doc; /* the parsed line: holds the strings the arguments point to */
	void *args;  /* cmd->args_size bytes its parser filled; NULL without one */
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
