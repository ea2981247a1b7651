/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz-sources: src/dataplane/ctlsock/request.c src/dataplane/session/command_args.c */
/* fuzz-sources: src/common/inet.c */
/* fuzz-libs: -ljansson */
/* fuzz-dict: tests/fuzz/ctlsock.dict */
/*
 * libFuzzer target for the control socket's request parser
 * (src/dataplane/ctlsock/request.c) and the argument parsers of the commands
 * that take arguments (src/dataplane/session/command_args.c), registered here
 * as their feature registers them: the input is what a client writes, split
 * into lines at '\n' as the dataplane splits it. A request that is accepted
 * names a registered command and arguments in their ranges (a UUID read back
 * gives the digits it was read from); one that is refused says why.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctlsock/request.h"
#include "session/command_args.h"
#include "svr/ctlsock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The session commands' real argument parsers (session/command_args.h); the handlers are not
 * run here (the fuzzer reads requests only), but a registration needs one. */
static json_t *not_run(const struct dp_ctl_request *r, const char **error)
{
	(void)r, (void)error;
	abort();
}
static struct dp_ctl_command sessions_cmd = {
    .name = "sessions", DP_SESSIONS_ARGS, .serve = not_run};
static struct dp_ctl_command session_cmd = {
    .name = "session", DP_SESSION_UUID_ARGS, .serve = not_run};
static struct dp_ctl_command session_clear_cmd = {
    .name = "session-clear", DP_SESSION_UUID_ARGS, .serve = not_run};
static struct dp_ctl_command sessions_clear_cmd = {
    .name = "sessions-clear", DP_SESSIONS_CLEAR_ARGS, .serve = not_run};
static struct dp_ctl_command test_clock_cmd = {
    .name = "test-clock", DP_TEST_CLOCK_ARGS, .serve = not_run};
static struct dp_ctl_command why_cmd = {.name = "why", DP_WHY_ARGS, .serve = not_run};
static struct dp_ctl_command version_cmd = {.name = "version", .serve = not_run}; /* no arguments */
DP_CTL_REGISTER(sessions_cmd)
DP_CTL_REGISTER(session_cmd)
DP_CTL_REGISTER(session_clear_cmd)
DP_CTL_REGISTER(sessions_clear_cmd)
DP_CTL_REGISTER(test_clock_cmd)
DP_CTL_REGISTER(why_cmd)
DP_CTL_REGISTER(version_cmd)

/* The UUID's digits as given (dashes left out, lower case) are its bytes in hex. */
static void check_uuid(const struct dp_session_uuid_args *r)
{
	if (!r->uuid_text)
		abort();
	if (!r->uuid_valid)
		return;
	char want[33], got[33];
	size_t k = 0;
	for (const char *p = r->uuid_text; *p; p++)
		if (*p != '-' && k < 32)
			want[k++] = (char)tolower((unsigned char)*p);
	want[k] = '\0';
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < 16; i++) {
		got[2 * i] = hex[r->uuid[i] >> 4];
		got[2 * i + 1] = hex[r->uuid[i] & 15];
	}
	got[32] = '\0';
	if (strcmp(want, got) != 0 || strlen(r->uuid_text) != 36)
		abort();
}

static void parse_line(const char *line)
{
	struct dp_ctl_request r;
	char err[256] = "";
	if (dp_ctl_request_parse(line, &r, err, sizeof(err)) < 0) {
		if (!err[0] || r.doc)
			abort(); /* a refusal says why and holds nothing */
		return;
	}
	if (!r.cmd || dp_ctl_command_find(r.cmd->name) != r.cmd || !r.doc ||
	    !r.args != !r.cmd->parse)
		abort();
	const struct dp_sessions_args *list = r.args;
	if (r.cmd == &sessions_cmd && (list->limit < 1 || list->limit > SVR_CTLSOCK_MAX_SESSIONS))
		abort();
	if (r.cmd == &session_cmd || r.cmd == &session_clear_cmd)
		check_uuid(r.args);
	const struct dp_sessions_clear_args *clear = r.args;
	if (r.cmd == &sessions_clear_cmd &&
	    ((clear->tenant && strlen(clear->tenant) > DP_SESSION_NAME_MAX) ||
	     (clear->service && strlen(clear->service) > DP_SESSION_NAME_MAX)))
		abort();
	const struct dp_test_clock_args *clock = r.args;
	if (r.cmd == &test_clock_cmd &&
	    (clock->clock_offset_s < -(1LL << 40) || clock->clock_offset_s > (1LL << 40) ||
	     clock->clock_at_s < 0 || clock->hold < -1 || clock->hold > 1 ||
	     (!clock->set_offset && clock->hold < 0)))
		abort();
	dp_ctl_request_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	/* each line as the dataplane serves it (the text after the last '\n' waits for more) */
	char *line = buf, *nl;
	while ((nl = memchr(line, '\n', size - (size_t)(line - buf)))) {
		*nl = '\0';
		parse_line(line);
		line = nl + 1;
	}
	free(buf);
	return 0;
}
