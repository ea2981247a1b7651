/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control-socket commands (include/svr/ctlsock.h) register themselves: the
 * feature that serves a command defines its name, its argument parser and its
 * handler, and registers them at startup from a constructor:
 *
 *     static struct dp_ctl_command peers_cmd = {.name = "peers", .answer = peers_json};
 *     DP_CTL_REGISTER(peers_cmd)
 *
 * ctlsock/ keeps the socket, the framing, the JSON common to every request
 * (request.c), this registry and the dispatch (ctlsock.c); it includes no
 * feature. No DPDK here: the request parser and the argument parsers are
 * fuzzed without it (tests/fuzz/fuzz_ctlsock.c).
 */
#ifndef SVR_DP_CTLSOCK_COMMAND_H
#define SVR_DP_CTLSOCK_COMMAND_H

#include <stddef.h>

#include <jansson.h>

struct dp_ctl_request;

struct dp_ctl_command {
	const char *name; /* the request's "cmd" */
	/* The arguments: parse checks the request's members into args (args_size bytes,
	 * zeroed), 0, or -1 with a sentence for the client in err. NULL: none are read here
	 * (a handler may read its own from the request). */
	int (*parse)(const json_t *req, void *args, char *err, size_t errlen);
	size_t args_size;
	/* The handler, main lcore; one of:
	 * answer: a command that always answers ("data");
	 * serve: the answer, or NULL and *error (a sentence; "failed" if it sets none). */
	json_t *(*answer)(void);
	json_t *(*serve)(const struct dp_ctl_request *r, const char **error);
	struct dp_ctl_command *next; /* the registry's */
};

/* Adds c to the registry (before main, from a constructor). A registration that is wrong —
 * no name, not exactly one handler, a parser without args_size, a name registered twice — is a
 * bug: the process stops at once, naming the command and what is wrong. */
void dp_ctl_register(struct dp_ctl_command *c);
/* The command of that name, or NULL. */
const struct dp_ctl_command *dp_ctl_command_find(const char *name);

/* Registers command c (a static struct dp_ctl_command) when the program starts. */
#define DP_CTL_REGISTER(c)                                                                         \
	static void __attribute__((constructor)) dp_ctl_register_##c(void)                         \
	{                                                                                          \
		dp_ctl_register(&(c));                                                             \
	}

#endif
