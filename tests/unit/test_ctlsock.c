/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket's commands (src/dataplane/ctlsock/command.h): linked as
 * svr-dataplane links the dataplane (the whole library), every command of
 * include/svr/ctlsock.h is registered by its feature, with an argument parser
 * exactly where it takes arguments; and request lines are read as before the
 * registry: the same error sentences, the same arguments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctlsock/request.h"
#include "core/dp.h"
#include "session/command_args.h"
#include "svr/ctlsock.h"

/* main.c's, which the library refers to (nothing here runs the dataplane) */
struct dp dp;
uint64_t dp_now_ms(void)
{
	return 0;
}

/* include/svr/ctlsock.h's commands, and whether each has arguments checked up front. */
static const struct {
	const char *name;
	bool parsed;
} served[] = {
    {"version", false},
    {"ports", false},
    {"interfaces", false},
    {"stats", false},
    {"neighbors", false},
    {"routes", false},
    {"peers", false},
    {"policy", false},
    {"sessions", true},
    {"session", true},
    {"session-clear", true},
    {"sessions-clear", true},
    {"sessions-clear-status", false},
    {"test-clock", true},
    {"capture-start", false},
    {"capture-read", false},
    {"capture-stop", false},
    {"session-counts", false},
    {"ipfix", false},
    {"events", true},
    {"why", true},
};

static void every_command_registered(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(served) / sizeof(served[0]); i++) {
		const struct dp_ctl_command *c = dp_ctl_command_find(served[i].name);
		if (!c)
			fail_msg("command \"%s\" is not registered", served[i].name);
		assert_string_equal(c->name, served[i].name);
		assert_int_equal(c->parse != NULL, served[i].parsed);
		assert_int_equal(c->parse ? c->args_size > 0 : c->args_size == 0, 1);
		/* one handler: an answer that always comes, or one that may fail */
		assert_int_equal((c->answer != NULL) + (c->serve != NULL), 1);
	}
	assert_null(dp_ctl_command_find("show"));
}

/* line refused with exactly this sentence, holding nothing */
static void refused(const char *line, const char *want)
{
	struct dp_ctl_request r;
	char err[256] = "";
	assert_int_equal(dp_ctl_request_parse(line, &r, err, sizeof(err)), -1);
	assert_string_equal(err, want);
	assert_null(r.doc);
	assert_null(r.args);
}

static void errors_as_before(void **state)
{
	(void)state;
	refused("{}", "unknown command: (no \"cmd\")");
	refused("{\"cmd\": 3}", "unknown command: (no \"cmd\")");
	refused("{\"cmd\": \"nope\"}", "unknown command: nope");
	refused("{\"cmd\": \"session\"}", "uuid: required");
	refused("{\"cmd\": \"session-clear\", \"uuid\": 1}", "uuid: required");
	refused("{\"cmd\": \"sessions\", \"address\": \"198.18.0.300\"}",
		"address: not an IPv4 or IPv6 address");
	refused("{\"cmd\": \"sessions\", \"cursor\": -1}",
		"cursor: must be the \"next\" value of a previous answer");
	refused("{\"cmd\": \"sessions\", \"limit\": 0}", "limit: must be an integer 1-1000");
	refused("{\"cmd\": \"sessions\", \"limit\": 1001}", "limit: must be an integer 1-1000");
	refused("{\"cmd\": \"sessions-clear\", \"address\": \"10.0.0.0/8\"}",
		"address: not an IPv4 or IPv6 address");
	refused("{\"cmd\": \"sessions-clear\", \"limit\": 10}",
		"limit: not an argument of sessions-clear (tenant, service, address, all)");
	/* a misspelt or mistyped filter never widens a clear to every session */
	refused("{\"cmd\": \"sessions-clear\", \"serivce\": \"web\"}",
		"serivce: not an argument of sessions-clear (tenant, service, address, all)");
	refused("{\"cmd\": \"sessions-clear\", \"service\": [\"web\"]}", "service: a string");
	refused("{\"cmd\": \"sessions-clear\", \"tenant\": null}", "tenant: a string");
	refused(
	    "{\"cmd\": \"sessions-clear\"}",
	    "all: true is needed to clear every session (or name a tenant, service or address)");
	refused("{\"cmd\": \"sessions-clear\", \"all\": 1}", "all: true, or left out");
	refused("{\"cmd\": \"sessions-clear\", \"all\": true, \"service\": \"web\"}",
		"all: not with a filter (tenant, service, address)");
	refused("{\"cmd\": \"test-clock\"}",
		"offset-s: an integer of seconds, at most 2^40 either way");
	refused("{\"cmd\": \"test-clock\", \"offset-s\": 1, \"at-unix-s\": -1}",
		"at-unix-s: a unix time in seconds, with offset-s");
	refused("{\"cmd\": \"test-clock\", \"hold\": true, \"at-unix-s\": 5}",
		"at-unix-s: a unix time in seconds, with offset-s");
	refused("{\"cmd\": \"test-clock\", \"hold\": 1}", "hold: true or false");

	struct dp_ctl_request r;
	char err[256] = "";
	assert_int_equal(dp_ctl_request_parse("{\"cmd\": ", &r, err, sizeof(err)), -1);
	assert_memory_equal(err, "malformed request: ", strlen("malformed request: "));
}

static void arguments_read(void **state)
{
	(void)state;
	struct dp_ctl_request r;
	char err[256] = "";
	assert_int_equal(dp_ctl_request_parse("{\"cmd\": \"sessions\", \"tenant\": \"blue\", "
					      "\"address\": \"2001:db8::1\", \"cursor\": 7}",
					      &r, err, sizeof(err)),
			 0);
	assert_string_equal(r.cmd->name, "sessions");
	const struct dp_sessions_args *list = r.args;
	assert_string_equal(list->tenant, "blue");
	assert_null(list->service);
	assert_true(list->has_addr);
	assert_int_equal(list->cursor, 7);
	assert_int_equal(list->limit, 100); /* the default */
	dp_ctl_request_free(&r);

	assert_int_equal(dp_ctl_request_parse("{\"cmd\": \"session\", \"uuid\": "
					      "\"0123ABCD-4567-89ef-0123-456789abcdef\"}",
					      &r, err, sizeof(err)),
			 0);
	const struct dp_session_uuid_args *u = r.args;
	assert_true(u->uuid_valid);
	assert_int_equal(u->uuid[0], 0x01);
	assert_int_equal(u->uuid[3], 0xcd);
	assert_int_equal(u->uuid[15], 0xef);
	dp_ctl_request_free(&r);

	/* not a UUID: accepted, answered as naming no live session */
	assert_int_equal(
	    dp_ctl_request_parse("{\"cmd\": \"session-clear\", \"uuid\": \"x\"}", &r, err, 256), 0);
	u = r.args;
	assert_false(u->uuid_valid);
	assert_string_equal(u->uuid_text, "x");
	dp_ctl_request_free(&r);

	assert_int_equal(dp_ctl_request_parse("{\"cmd\": \"test-clock\", \"offset-s\": -5}", &r,
					      err, sizeof(err)),
			 0);
	const struct dp_test_clock_args *clock = r.args;
	assert_int_equal(clock->clock_offset_s, -5);
	assert_int_equal(clock->clock_at_s, 0);
	assert_true(clock->set_offset);
	assert_int_equal(clock->hold, -1);
	dp_ctl_request_free(&r);

	/* hold alone: the offset left as it is */
	assert_int_equal(
	    dp_ctl_request_parse("{\"cmd\": \"test-clock\", \"hold\": true}", &r, err, 256), 0);
	clock = r.args;
	assert_false(clock->set_offset);
	assert_int_equal(clock->hold, 1);
	dp_ctl_request_free(&r);

	/* no arguments: nothing parsed, the request kept for a handler that reads its own */
	assert_int_equal(dp_ctl_request_parse("{\"cmd\": \"capture-stop\"}", &r, err, 256), 0);
	assert_null(r.args);
	assert_non_null(r.doc);
	dp_ctl_request_free(&r);
}

static json_t *nothing(void)
{
	return json_object();
}

static int some_args(const json_t *req, void *args, char *err, size_t errlen)
{
	(void)req, (void)args, (void)err, (void)errlen;
	return 0;
}

/* Registering c in a child process: it must stop on SIGABRT, saying `want` on stderr. */
static void registration_refused(struct dp_ctl_command c, const char *want)
{
	int fd[2];
	assert_int_equal(pipe(fd), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fd[1], 2);
		static struct dp_ctl_command copy;
		copy = c;
		dp_ctl_register(&copy);
		_exit(0); /* accepted: the parent sees a normal exit */
	}
	close(fd[1]);
	char out[512] = "";
	ssize_t n = read(fd[0], out, sizeof(out) - 1);
	out[n > 0 ? n : 0] = 0;
	close(fd[0]);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGABRT)
		fail_msg("registration accepted (want: %s)", want);
	if (!strstr(out, want))
		fail_msg("stderr \"%s\" does not say \"%s\"", out, want);
}

static void bad_registrations_stop_the_program(void **state)
{
	(void)state;
	registration_refused((struct dp_ctl_command){.answer = nothing}, "without a name");
	registration_refused((struct dp_ctl_command){.name = "x"}, "exactly one handler");
	registration_refused(
	    (struct dp_ctl_command){.name = "x", .answer = nothing, .serve = (void *)nothing},
	    "exactly one handler");
	registration_refused(
	    (struct dp_ctl_command){.name = "x", .answer = nothing, .parse = some_args},
	    "no room for its arguments");
	registration_refused((struct dp_ctl_command){.name = "ports", .answer = nothing},
			     "registered twice");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(every_command_registered),
	    cmocka_unit_test(bad_registrations_stop_the_program),
	    cmocka_unit_test(errors_as_before),
	    cmocka_unit_test(arguments_read),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
