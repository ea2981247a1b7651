/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * svrctl conductor: the operator's commands for svr-conductor (docs/conductor.md, "Operator
 * API"), one HTTPS request each (two with --ca-sha256: the CA is fetched and checked first),
 * through api.c's client.
 */
#include "conductor.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api.h"

enum {
	EXIT_ERROR = 1, /* the conductor answered an error, or an unusable answer */
	EXIT_USAGE = 2,
};

#define CONDUCTOR_URL_DEFAULT   "https://127.0.0.1:8443"
#define CONDUCTOR_TOKEN_DEFAULT "/var/lib/svr-conductor/operator-token-admin"
#define CONDUCTOR_TIMEOUT_S     30.0
/* On the conductor's host: its certificate file ends with the CA's certificate. */
#define CONDUCTOR_CACERT_DEFAULT "/var/lib/svr-conductor/conductor-cert.pem"

const char conductor_help[] =
    "NAME\n"
    "    svrctl conductor - operate svr-conductor: commits, history, routers, keys, audit\n"
    "\n"
    "SYNOPSIS\n"
    "    svrctl conductor [OPTIONS] COMMAND [ARGUMENTS]\n"
    "\n"
    "    OPTIONS: [--url URL] [--token-file FILE] [--cacert FILE | --ca-sha256 HEX]\n"
    "             [--json] [--timeout SECONDS]\n"
    "\n"
    "DESCRIPTION\n"
    "    Each command is one request to svr-conductor's operator API (docs/conductor.md)\n"
    "    over HTTPS, with an operator token. The token's operator name is recorded as\n"
    "    the author of what it commits; its role (admin, planner, approver, operator,\n"
    "    auditor) says what it may do (a refused request exits 1 with the conductor's\n"
    "    403). \"conductor\" must be svrctl's first word; the options may come anywhere\n"
    "    after it.\n"
    "\n"
    "COMMANDS\n"
    "  Versions:\n"
    "    commit [FILE] -m MESSAGE [--ticket ID]\n"
    "        Commit the model in FILE (\"-\": standard input; without FILE: the\n"
    "        candidate). The conductor validates it with the routers' own validator\n"
    "        and compiles it for every router; prints \"version N committed (serial S)\".\n"
    "        An invalid model prints each error as PATH: MESSAGE and exits 1; nothing\n"
    "        is committed.\n"
    "    candidate get [FILE]\n"
    "        The candidate (the running model until one is put) to FILE or standard\n"
    "        output.\n"
    "    candidate put FILE\n"
    "        Store FILE as the candidate (not validated until committed).\n"
    "    diff [FROM [TO]]\n"
    "        What changed between two versions, one line per JSON path: \"+ PATH: VALUE\"\n"
    "        added, \"- PATH: VALUE\" removed, \"~ PATH: OLD -> NEW\" changed. FROM and\n"
    "        TO are version numbers, \"running\" or \"candidate\"; FROM defaults to\n"
    "        running and TO to candidate (what a commit of the candidate would change).\n"
    "    history [--limit N] [--before VERSION]\n"
    "        The commits, newest first: version, time (UTC), author, kind, ticket and\n"
    "        the message's first line. --limit: at most N (default 50, at most 1000).\n"
    "    show VERSION\n"
    "        The model of VERSION (a number or \"running\") as indented JSON; --json adds\n"
    "        the commit's metadata.\n"
    "    rollback VERSION -m MESSAGE [--ticket ID]\n"
    "        A new commit whose model is VERSION's (validated again).\n"
    "    export FILE\n"
    "        The whole store (versions, candidate, inventory; no credentials or keys)\n"
    "        as one JSON document to FILE (\"-\": standard output).\n"
    "    import FILE\n"
    "        Load an export into a conductor whose store is empty.\n"
    "\n"
    "  Change control (a planner proposes, another approver approves):\n"
    "    propose [FILE] -m MESSAGE [--ticket ID] [--at TIME] [--rollback-to VERSION]\n"
    "        Propose the model in FILE (without FILE: the candidate), or a rollback\n"
    "        to VERSION; --at: commit it at TIME (RFC 3339 UTC) once approved.\n"
    "        Validated at once; prints \"proposal N proposed\".\n"
    "    proposals [--state STATE] [--limit N] [--before ID]\n"
    "        The proposals, newest first: id, state, kind, proposer, ticket,\n"
    "        created, apply-at, approver, version, message.\n"
    "    proposal ID\n"
    "        One proposal and what it would change in the running model.\n"
    "    approve ID [-m COMMENT] [--expect-sha256 HASH]\n"
    "        Approve another operator's proposal: committed now (prints the\n"
    "        version), or at its time.\n"
    "    reject ID [-m COMMENT]\n"
    "        Reject another operator's proposal.\n"
    "    withdraw ID [-m COMMENT]\n"
    "        Withdraw a proposal of yours (an admin: anyone's).\n"
    "\n"
    "  Routers:\n"
    "    routers\n"
    "        Every router: asset id, enrolled, applied version and serial, in sync,\n"
    "        last seen, alarms.\n"
    "    router NAME\n"
    "        One router in full, with its last report and its alarms.\n"
    "    router add NAME [--asset-id ID]\n"
    "        Add a router to the inventory (needed before its enrolment token).\n"
    "    router delete NAME\n"
    "        Remove it; its credential stops working.\n"
    "    enrol-token NAME\n"
    "        A one-time enrolment token for router NAME, shown once, with its expiry.\n"
    "        Give the router the token, the conductor's URL and the CA fingerprint\n"
    "        (conductor ca).\n"
    "    alarms\n"
    "        The alarms raised now: router-unreachable, router-out-of-sync,\n"
    "        router-local-override, with the router, since when and why.\n"
    "\n"
    "  Keys and trust:\n"
    "    keys\n"
    "        The inter-router keys: security id, not-before, created (never the key\n"
    "        bytes).\n"
    "    keys rotate\n"
    "        Add the next key now (connected routers receive it at once).\n"
    "    ca\n"
    "        The SHA-256 fingerprint of the authority's CA, checked here against the\n"
    "        certificate the conductor sends: what an operator gives each router at\n"
    "        enrolment. --json adds the PEM.\n"
    "\n"
    "  Operators:\n"
    "    whoami\n"
    "        The token's operator, its role and whether change control is on.\n"
    "    audit [--limit N] [--before ID] [--who NAME]\n"
    "        The audit log, newest first (roles auditor and admin): every change an\n"
    "        operator asked for, exports, enrolments and refused attempts (up to caps,\n"
    "        the rest summarised), with who, when, from where, the request, its\n"
    "        status, action and detail.\n"
    "\n"
    "OPTIONS\n"
    "    --url URL\n"
    "        The conductor, without /api/v1; https:// only (the token is never sent\n"
    "        in clear). Default: $SVR_CONDUCTOR_URL, else " CONDUCTOR_URL_DEFAULT ".\n"
    "    --token-file FILE\n"
    "        The operator token's file (its first line). Default:\n"
    "        $SVR_CONDUCTOR_TOKEN_FILE, else " CONDUCTOR_TOKEN_DEFAULT "\n"
    "        (the conductor creates <state-dir>/operator-token-NAME, 0600, for each\n"
    "        operator of its startup file). $SVR_CONDUCTOR_TOKEN gives the token itself.\n"
    "    --cacert FILE\n"
    "        Verify the conductor's certificate against the CA in FILE (PEM).\n"
    "        Default: $SVR_CONDUCTOR_CACERT, else (on the conductor's own host)\n"
    "        " CONDUCTOR_CACERT_DEFAULT " when it exists (it ends\n"
    "        with the CA's certificate), else the system's trusted CAs.\n"
    "    --ca-sha256 HEX\n"
    "        Instead of a CA file: fetch the CA from the conductor, trust it only if\n"
    "        it is one certificate whose SHA-256 fingerprint is HEX (64 hex digits,\n"
    "        colons allowed), then verify the conductor with it. Nothing, the token\n"
    "        included, is sent before the check passes. Default:\n"
    "        $SVR_CONDUCTOR_CA_SHA256.\n"
    "    -m, --message MESSAGE\n"
    "        commit, rollback, propose: why (required; at most 1023 bytes).\n"
    "        approve, reject, withdraw: a comment (optional).\n"
    "    --ticket ID\n"
    "        commit, rollback, propose: a change-ticket id (one line, at most 127\n"
    "        bytes; required by a conductor whose change control asks for one; one\n"
    "        open proposal per ticket).\n"
    "    --expect-sha256 HASH\n"
    "        approve: only if the proposal's model has this sha256 (the model\n"
    "        reviewed; `proposal ID` shows it).\n"
    "    --at TIME, --rollback-to VERSION\n"
    "        propose: when to commit (RFC 3339 UTC, e.g. 2026-12-24T22:00:00Z; within\n"
    "        a year); propose a rollback to VERSION instead of a model.\n"
    "    --state STATE\n"
    "        proposals: only those in STATE (proposed, approved, committed,\n"
    "        rejected, withdrawn, failed).\n"
    "    --asset-id ID\n"
    "        router add: which box it is (serial number, asset tag).\n"
    "    --limit N, --before VERSION|ID\n"
    "        history, proposals, audit: page size and start (a proposal id for proposals, an\n"
    "        entry id for audit).\n"
    "    --who NAME\n"
    "        audit: only NAME's entries (\"\": the refused attempts of unknown tokens).\n"
    "    -j, --json\n"
    "        Print the conductor's JSON answer instead of text.\n"
    "    -t, --timeout SECONDS\n"
    "        Give up after SECONDS (default 30).\n"
    "    -h, --help\n"
    "        This page; with a COMMAND, that command's page (also: svrctl conductor\n"
    "        help COMMAND).\n"
    "\n"
    "ENVIRONMENT\n"
    "    SVR_CONDUCTOR_URL, SVR_CONDUCTOR_TOKEN, SVR_CONDUCTOR_TOKEN_FILE,\n"
    "    SVR_CONDUCTOR_CACERT, SVR_CONDUCTOR_CA_SHA256: the defaults above. Options win.\n"
    "\n"
    "EXIT STATUS\n"
    "    0 success; 1 the conductor answered an error (invalid model, unknown version or\n"
    "    router, wrong token, untrusted certificate) or an unusable answer; 2 usage\n"
    "    error; 3 the conductor cannot be reached, or no token.\n"
    "\n"
    "EXAMPLES\n"
    "    export SVR_CONDUCTOR_URL=https://198.18.250.1:8443\n"
    "    export SVR_CONDUCTOR_CA_SHA256=3b0c...e9\n"
    "    svrctl conductor commit model.json -m \"add the web service\" --ticket CHG-1042\n"
    "    svrctl conductor history --limit 10\n"
    "    svrctl conductor diff 3 4\n"
    "    svrctl conductor rollback 3 -m \"undo CHG-1042\"\n"
    "    svrctl conductor router add r3 --asset-id SN-0042\n"
    "    svrctl conductor enrol-token r3\n"
    "    svrctl conductor ca\n"
    "    svrctl conductor export backup.json\n"
    "    svrctl conductor audit --who alice --limit 20\n"
    "    svrctl conductor propose model.json -m \"web service\" --ticket CHG-7 \\\n"
    "        --at 2026-12-24T22:00:00Z\n"
    "    svrctl conductor approve 12 -m \"CAB 2026-12-20\"\n";

/* One page per command (svrctl conductor COMMAND --help, svrctl conductor help COMMAND). */
struct command_page {
	const char *name, *summary, *synopsis, *description, *examples;
};

static const struct command_page pages[] = {
    {"commit", "commit a model as the next version", "commit [FILE] -m MESSAGE [--ticket ID]",
     "POST /api/v1/commit. FILE (\"-\": standard input) is read and parsed here, so a\n"
     "malformed file is reported as FILE:LINE:COLUMN: malformed JSON and nothing is\n"
     "sent. Without FILE the candidate (candidate put) is committed, and the\n"
     "candidate is the running model again. The conductor validates the model with\n"
     "the routers' own validator and compiles it for every router; the author is the\n"
     "token's operator.\n"
     "\n"
     "  version N committed (serial S)\n"
     "      Stored and running; routers waiting for a change get theirs at once.\n"
     "  PATH: MESSAGE (one line per error on standard error), then a summary\n"
     "      The model is invalid (HTTP 422); nothing is committed; exit 1.\n"
     "\n"
     "-m MESSAGE is required (1-1023 bytes); --ticket ID is a change-ticket id\n"
     "(one line, at most 127 bytes).",
     "svrctl conductor commit model.json -m \"add the web service\" --ticket CHG-1042\n"
     "jq '.authority.tenants += [{\"name\": \"guest\"}]' model.json |\n"
     "    svrctl conductor commit - -m \"guest tenant\""},
    {"candidate", "read or store the candidate model", "candidate get [FILE] | candidate put FILE",
     "The candidate is a model being prepared: stored with candidate put (any JSON\n"
     "object; it is validated only when committed), read with candidate get (to FILE,\n"
     "indented, or standard output). Until one is put, and again after it is\n"
     "committed, the candidate is the running model. diff shows what committing it\n"
     "would change; commit without FILE commits it.",
     "svrctl conductor candidate get cand.json\n"
     "svrctl conductor candidate put cand.json && svrctl conductor diff"},
    {"diff", "what changed between two versions", "diff [FROM [TO]]",
     "GET /api/v1/diff. One line per change, by JSON path:\n"
     "\n"
     "  + PATH: VALUE          added in TO\n"
     "  - PATH: VALUE          removed from FROM\n"
     "  ~ PATH: OLD -> NEW     changed\n"
     "\n"
     "Arrays of named objects (routers, interfaces, tenants, services...) are matched\n"
     "by name, so inserting one shows as one addition. FROM and TO are version\n"
     "numbers, running or candidate; FROM defaults to running and TO to candidate.",
     "svrctl conductor diff 3 4\n"
     "svrctl conductor diff running candidate"},
    {"history", "the commits, newest first", "history [--limit N] [--before VERSION]",
     "GET /api/v1/history. VERSION, TIME (UTC), AUTHOR, KIND (commit, rollback,\n"
     "import), TICKET and the first line of the MESSAGE. --limit: at most N (1-1000,\n"
     "default 50); --before: only versions below VERSION. When more are left, the last\n"
     "line gives the --before that lists them.",
     "svrctl conductor history --limit 10\n"
     "svrctl conductor --json history | jq -r '.commits[] | select(.author == \"alice\")'"},
    {"show", "the model of a version", "show VERSION",
     "GET /api/v1/versions/VERSION (or /model for running): the model as indented\n"
     "JSON, ready to edit and commit again. --json prints the whole answer: version,\n"
     "commit (author, time, message, ticket, kind) and model.",
     "svrctl conductor show running > model.json\n"
     "diff <(svrctl conductor show 3) <(svrctl conductor show 5)"},
    {"rollback", "commit an earlier version's model again",
     "rollback VERSION -m MESSAGE [--ticket ID]",
     "POST /api/v1/rollback: a new version (kind rollback) whose model is VERSION's,\n"
     "validated again like any commit (a model that no longer compiles is refused\n"
     "with its errors). History is never rewritten.",
     "svrctl conductor rollback 3 -m \"undo CHG-1042\""},
    {"export", "the whole store as one document", "export FILE",
     "GET /api/v1/export to FILE (\"-\": standard output): every version with its\n"
     "metadata, the candidate and the routers' inventory. Credentials, enrolment\n"
     "tokens and keys are not in it.",
     "svrctl conductor export backup-$(date +%F).json"},
    {"import", "load an export into an empty conductor", "import FILE",
     "POST /api/v1/import: loads an export into a conductor whose store has no\n"
     "versions (HTTP 409 otherwise). Routers enrol again with the new conductor.",
     "svrctl conductor --url https://198.18.250.2:8443 import backup.json"},
    {"propose", "propose a change for approval",
     "propose [FILE] -m MESSAGE [--ticket ID] [--at TIME] [--rollback-to VERSION]",
     "POST /api/v1/proposals. The model in FILE (\"-\": standard input), else the\n"
     "candidate, or with --rollback-to the model of VERSION, is validated and\n"
     "compiled now (an invalid one prints each error as PATH: MESSAGE, exit 1) and\n"
     "waits for an approver other than you. --at TIME (RFC 3339 in UTC, in the\n"
     "future, within a year): once approved, it is committed at TIME. A conductor\n"
     "with change control on takes changes only this way, each with a --ticket.",
     "svrctl conductor propose model.json -m \"web service\" --ticket CHG-7\n"
     "svrctl conductor propose --rollback-to 4 -m \"undo\" --ticket INC-3 \\\n"
     "    --at 2026-12-24T22:00:00Z"},
    {"proposals", "the proposals, newest first",
     "proposals [--state STATE] [--limit N] [--before ID]",
     "GET /api/v1/proposals: ID, STATE (proposed, approved: waiting for its time,\n"
     "committed, rejected, withdrawn, failed), KIND, PROPOSER, TICKET, CREATED,\n"
     "APPLY-AT, APPROVER, VERSION (committed) and the message's first line.",
     "svrctl conductor proposals --state proposed"},
    {"proposal", "one proposal and its changes", "proposal ID",
     "GET /api/v1/proposals/ID: its fields, then what it would change in the\n"
     "running model, one line per JSON path as diff prints them.",
     "svrctl conductor proposal 12"},
    {"approve", "approve another operator's proposal",
     "approve ID [-m COMMENT] [--expect-sha256 HASH]",
     "POST /api/v1/proposals/ID/approve (an approver, never the proposer). Without\n"
     "an apply-at it is committed now (author: the proposer): prints the version.\n"
     "With one it waits, approved, and is committed then. Refused (exit 1) when\n"
     "the running version is no longer the one it was proposed on, or its apply-at\n"
     "has passed: propose again; with --expect-sha256, when the proposal's model\n"
     "(its sha256, as `proposal ID` shows it) is another.",
     "svrctl conductor approve 12 -m \"CAB 2026-12-20\""},
    {"reject", "reject another operator's proposal", "reject ID [-m COMMENT]",
     "POST /api/v1/proposals/ID/reject (an approver, never the proposer): a proposal\n"
     "waiting for approval or for its time.",
     "svrctl conductor reject 12 -m \"not before the freeze ends\""},
    {"withdraw", "withdraw a proposal", "withdraw ID [-m COMMENT]",
     "POST /api/v1/proposals/ID/withdraw: its proposer, or an admin.",
     "svrctl conductor withdraw 12"},
    {"routers", "every router in the inventory", "routers",
     "GET /api/v1/routers: NAME, ASSET-ID, ENROLLED, VERSION and SERIAL applied,\n"
     "IN-SYNC (its applied serial is the current one), LAST-SEEN, ALARMS; then the\n"
     "current serial.",
     "svrctl conductor routers"},
    {"router", "one router; add or delete one",
     "router NAME | router add NAME [--asset-id ID] | router delete NAME",
     "router NAME shows one router (GET /api/v1/routers/NAME): its inventory, when it\n"
     "enrolled and was last seen, what it applied, whether it is in sync, its alarms\n"
     "and its last report. router add puts a router in the inventory (needed before\n"
     "its enrolment token; the model says what it does, the inventory which box it\n"
     "is). router delete removes it: its credential stops working at once.",
     "svrctl conductor router add r3 --asset-id SN-0042\n"
     "svrctl conductor router r3"},
    {"enrol-token", "a one-time enrolment token for a router", "enrol-token NAME",
     "POST /api/v1/routers/NAME/enrolment-token: 32 random bytes (hex), shown only\n"
     "now (the conductor keeps their SHA-256), usable once until the expiry printed.\n"
     "Give the router the token, this conductor's URL and the CA fingerprint\n"
     "(svrctl conductor ca) in its conductor file.",
     "svrctl conductor enrol-token r3\n"
     "svrctl conductor --json enrol-token r3 | jq -r .token"},
    {"alarms", "the alarms raised now", "alarms",
     "GET /api/v1/alarms: ROUTER, ALARM, SINCE, REASON. router-unreachable: an\n"
     "enrolled router not heard from for router-timeout-s; router-out-of-sync: its\n"
     "last configuration rejected, or behind the current serial for more than 10 s;\n"
     "router-local-override: a model put on the router's own API overrides the\n"
     "conductor's.",
     "svrctl conductor alarms"},
    {"keys", "the inter-router keys; add the next one now", "keys | keys rotate",
     "keys lists SECURITY-ID, NOT-BEFORE and CREATED (GET /api/v1/keys; never the\n"
     "key bytes). keys rotate (POST /api/v1/keys/rotate) adds the next key outside\n"
     "the schedule, in force rekey-lead-s from now; connected routers receive it at\n"
     "once.",
     "svrctl conductor keys rotate"},
    {"ca", "the CA fingerprint routers are given", "ca",
     "GET /api/v1/ca. Prints the SHA-256 fingerprint of the authority's CA (hex, of\n"
     "the certificate's DER), computed here from the certificate the conductor sends\n"
     "and compared with the one it states (exit 1 if they differ). --json adds the\n"
     "PEM.",
     "svrctl conductor ca"},
    {"whoami", "the token's operator and role", "whoami",
     "GET /api/v1/whoami: prints \"NAME (role ROLE)\" and whether change control is on\n"
     "(commits then go through proposals; \"ticket required\" when a proposal needs\n"
     "one). Every role may ask.",
     "svrctl conductor whoami"},
    {"audit", "the audit log", "audit [--limit N] [--before ID] [--who NAME]",
     "GET /api/v1/audit (roles auditor and admin; others get 403): ID, TIME (UTC),\n"
     "WHO (\"-\" for an unknown token), ROLE, FROM (the client's address), REQUEST,\n"
     "STATUS, ACTION, DETAIL, newest first. The log keeps every operator request\n"
     "that is not a read, whatever its answer, every export and enrolment, and\n"
     "refused attempts (401, 403, 429) up to caps: past 10 a minute from one address\n"
     "(300 from all) without a valid token, or 60 of one operator's, it keeps one\n"
     "summary, \"and K more refused from ADDR\" (or \"from operator NAME\"); the caps\n"
     "are each conductor's. --limit: at most N (1-1000, default 100); --before: only\n"
     "entries below ID (the last line gives the one for the next page); --who: only NAME's.",
     "svrctl conductor audit --limit 20\n"
     "svrctl conductor audit --who \"\"     # refused attempts with unknown tokens\n"
     "svrctl conductor --json audit | jq '.entries[] | select(.status == 403)'"},
};

/* The page of one command, man-style. */
static void put_command_page(const struct command_page *p)
{
	printf(
	    "NAME\n    svrctl conductor %s - %s\n\nSYNOPSIS\n    svrctl conductor [OPTIONS] %s\n\n"
	    "DESCRIPTION\n",
	    p->name, p->summary, p->synopsis);
	for (const char *l = p->description; *l;) {
		size_t n = strcspn(l, "\n");
		printf(n ? "    %.*s\n" : "%.*s\n", (int)n, l);
		l += n + (l[n] == '\n');
	}
	printf("\nEXAMPLES\n");
	for (const char *l = p->examples; *l;) {
		size_t n = strcspn(l, "\n");
		printf("    %.*s\n", (int)n, l);
		l += n + (l[n] == '\n');
	}
	printf("\nOPTIONS, ENVIRONMENT, EXIT STATUS\n    svrctl conductor --help\n");
}

static const struct command_page *find_page(const char *name)
{
	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++)
		if (strcmp(pages[i].name, name) == 0)
			return &pages[i];
	return NULL;
}

struct cargs {
	struct api_opts api;
	const char *message, *ticket, *asset_id, *who, *at, *state, *expect_sha256;
	long limit, before, rollback_to;
	bool help;
	int nargs;
	char **args;
};

static void cerr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void cerr(const char *fmt, ...)
{
	va_list ap;
	fputs("svrctl conductor: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void usage(const char *fmt, ...)
{
	va_list ap;
	fputs("svrctl conductor: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'svrctl conductor --help' for more information.\n", stderr);
	exit(EXIT_USAGE);
}

/* ---------------------------------------------------------- printing -- */

static void print_json(const json_t *j)
{
	char *t = json_dumps(j, JSON_INDENT(2) | JSON_ENCODE_ANY);
	if (t)
		puts(t);
	free(t);
}

/* Unix milliseconds as "2026-12-05 22:10:00Z"; "-" for none. */
static const char *when(const json_t *ms, char *buf, size_t len)
{
	if (!json_is_integer(ms) || json_integer_value(ms) <= 0)
		return "-";
	time_t s = (time_t)(json_integer_value(ms) / 1000);
	struct tm tm;
	gmtime_r(&s, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%SZ", &tm);
	return buf;
}

/* A scalar as text ("-" for null or absent); other values as compact JSON into buf. */
static const char *text(const json_t *v, char *buf, size_t len)
{
	if (json_is_string(v))
		return *json_string_value(v) ? json_string_value(v) : "-";
	if (!v || json_is_null(v))
		return "-";
	if (json_is_boolean(v))
		return json_is_true(v) ? "yes" : "no";
	char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	snprintf(buf, len, "%s", t ? t : "?");
	free(t);
	return buf;
}

/* Column widths from every row, then the rows: cells[r * ncols + c]. */
static void table(const char *const *head, size_t ncols, char **cells, size_t nrows)
{
	size_t w[16] = {0};
	for (size_t c = 0; c < ncols; c++)
		w[c] = strlen(head[c]);
	for (size_t i = 0; i < nrows * ncols; i++)
		if (strlen(cells[i]) > w[i % ncols])
			w[i % ncols] = strlen(cells[i]);
	for (size_t c = 0; c < ncols; c++)
		printf("%-*s%s", c + 1 < ncols ? (int)w[c] : 0, head[c],
		       c + 1 < ncols ? "  " : "\n");
	for (size_t i = 0; i < nrows * ncols; i++) {
		bool last = (i + 1) % ncols == 0;
		printf("%-*s%s", last ? 0 : (int)w[i % ncols], cells[i], last ? "\n" : "  ");
	}
}

static char **cells_new(size_t n)
{
	char **c = calloc(n ? n : 1, sizeof(*c));
	if (!c) {
		cerr("out of memory");
		exit(EXIT_ERROR);
	}
	return c;
}

static void cells_free(char **c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(c[i]);
	free(c);
}

static char *dup_text(const json_t *v)
{
	char buf[512];
	char *s = strdup(text(v, buf, sizeof(buf)));
	if (!s) {
		cerr("out of memory");
		exit(EXIT_ERROR);
	}
	return s;
}

static char *dup_when(const json_t *ms)
{
	char buf[64];
	return strdup(when(ms, buf, sizeof(buf)));
}

/* ---------------------------------------------------------- requests -- */

/* One request; 0 with a 2xx answer in *a, else the exit status (the error printed). */
static int request(const struct cargs *o, const char *what, const char *method, const char *path,
		   const char *body, size_t len, struct api_answer *a)
{
	int rc = api_call(&o->api, method, path, body, len, a);
	if (rc)
		return rc;
	if (a->code < 200 || a->code > 299) {
		rc = api_report_error(&o->api, what, a);
		api_answer_free(a);
	}
	return rc;
}

/* GET PATH and print its answer: as JSON with --json, else by print. */
static int get_and_print(const struct cargs *o, const char *what, const char *path,
			 void (*print)(const json_t *))
{
	struct api_answer a;
	int rc = request(o, what, "GET", path, NULL, 0, &a);
	if (rc)
		return rc;
	if (!a.json) {
		cerr("%s: the answer is not JSON", what);
		rc = EXIT_ERROR;
	} else if (o->api.json || !print) {
		print_json(a.json);
	} else {
		print(a.json);
	}
	api_answer_free(&a);
	return rc;
}

/* A JSON request body built here, sent, and the answer given back. */
static int send_json(const struct cargs *o, const char *what, const char *method, const char *path,
		     json_t *body, struct api_answer *a)
{
	char *t = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (!t) {
		cerr("%s: out of memory", what);
		return EXIT_ERROR;
	}
	int rc = api_call(&o->api, method, path, t, strlen(t), a);
	free(t);
	return rc;
}

/* A JSON file parsed here, so that a malformed one is reported with its line before anything
 * is sent. NULL after printing why. */
static json_t *load_json_file(const char *file)
{
	size_t len;
	char *data = api_read_file(file, &len);
	if (!data)
		return NULL;
	json_error_t e;
	json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &e);
	free(data);
	if (!j)
		fprintf(stderr, "%s:%d:%d: malformed JSON: %s\n",
			strcmp(file, "-") == 0 ? "(stdin)" : file, e.line, e.column, e.text);
	return j;
}

/* The 422 list as PATH: MESSAGE lines, then the summary. */
static int report_invalid(const struct cargs *o, const char *what, struct api_answer *a)
{
	if (a->code != 422)
		return api_report_error(&o->api, what, a);
	size_t i;
	json_t *e;
	json_array_foreach (json_object_get(a->json, "errors"), i, e) {
		const char *path = json_string_value(json_object_get(e, "path"));
		const char *m = json_string_value(json_object_get(e, "message"));
		fprintf(stderr, "%s: %s\n", path ? path : "?", m ? m : "?");
	}
	const char *msg = json_string_value(json_object_get(a->json, "error"));
	cerr("%s: %s", what, msg ? msg : "invalid model");
	return EXIT_ERROR;
}

static int print_committed(const struct cargs *o, const char *what, struct api_answer *a)
{
	int rc = 0;
	if (a->code != 201)
		rc = report_invalid(o, what, a);
	else if (o->api.json)
		print_json(a->json);
	else if (json_object_get(a->json, "source-version"))
		printf("version %" JSON_INTEGER_FORMAT " committed (the model of version "
		       "%" JSON_INTEGER_FORMAT ", serial %" JSON_INTEGER_FORMAT ")\n",
		       json_integer_value(json_object_get(a->json, "version")),
		       json_integer_value(json_object_get(a->json, "source-version")),
		       json_integer_value(json_object_get(a->json, "serial")));
	else
		printf("version %" JSON_INTEGER_FORMAT " committed (serial %" JSON_INTEGER_FORMAT
		       ")\n",
		       json_integer_value(json_object_get(a->json, "version")),
		       json_integer_value(json_object_get(a->json, "serial")));
	api_answer_free(a);
	return rc;
}

static json_t *message_body(const struct cargs *o, const char *cmd)
{
	if (!o->message)
		usage("%s: -m MESSAGE is required (why this change)", cmd);
	json_t *b = json_pack("{s:s}", "message", o->message);
	if (b && o->ticket)
		json_object_set_new(b, "ticket", json_string(o->ticket));
	return b;
}

/* body's "model": the model file read and parsed here; -1 (body freed) when it cannot be. */
static int add_model_file(json_t *body, const char *file)
{
	json_t *model = load_json_file(file);
	if (!model) {
		json_decref(body);
		return -1;
	}
	json_object_set_new(body, "model", model);
	return 0;
}

/* ---------------------------------------------------------- commands -- */

static int cmd_commit(const struct cargs *o)
{
	if (o->nargs > 2)
		usage("commit: unexpected argument '%s'", o->args[2]);
	json_t *body = message_body(o, "commit");
	if (o->nargs == 2 && add_model_file(body, o->args[1]) < 0)
		return EXIT_ERROR;
	struct api_answer a;
	int rc = send_json(o, "commit", "POST", "/commit", body, &a);
	return rc ? rc : print_committed(o, "commit", &a);
}

static int cmd_rollback(const struct cargs *o)
{
	if (o->nargs != 2)
		usage("rollback: %s", o->nargs < 2 ? "missing VERSION" : "too many arguments");
	char *end;
	long long v = strtoll(o->args[1], &end, 10);
	if (*end || end == o->args[1] || v < 1)
		usage("rollback: '%s' is not a version number", o->args[1]);
	json_t *body = message_body(o, "rollback");
	json_object_set_new(body, "version", json_integer(v));
	struct api_answer a;
	int rc = send_json(o, "rollback", "POST", "/rollback", body, &a);
	return rc ? rc : print_committed(o, "rollback", &a);
}

/* ---------------------------------------------------- change control -- */

static void print_changes(const json_t *changes, const char *from_name, const char *to_name);

static int cmd_propose(const struct cargs *o)
{
	if (o->nargs > 2)
		usage("propose: unexpected argument '%s'", o->args[2]);
	if (o->nargs == 2 && o->rollback_to)
		usage("propose: a FILE or --rollback-to, not both");
	json_t *body = message_body(o, "propose");
	if (o->at)
		json_object_set_new(body, "apply-at", json_string(o->at));
	if (o->rollback_to)
		json_object_set_new(body, "rollback-to", json_integer(o->rollback_to));
	if (o->nargs == 2 && add_model_file(body, o->args[1]) < 0)
		return EXIT_ERROR;
	struct api_answer a;
	int rc = send_json(o, "propose", "POST", "/proposals", body, &a);
	if (rc)
		return rc;
	char buf[64];
	if (a.code != 201)
		rc = report_invalid(o, "propose", &a);
	else if (o->api.json)
		print_json(a.json);
	else
		printf("proposal %" JSON_INTEGER_FORMAT
		       " proposed (on version %" JSON_INTEGER_FORMAT
		       "%s%s); an approver other than you approves it\n",
		       json_integer_value(json_object_get(a.json, "id")),
		       json_integer_value(json_object_get(a.json, "base-version")),
		       o->at ? ", to be committed at " : "",
		       o->at ? when(json_object_get(a.json, "apply-at-ms"), buf, sizeof(buf)) : "");
	api_answer_free(&a);
	return rc;
}

/* A paged answer's last line: the --before that lists what is older, when more is left. */
static void print_older(const json_t *j)
{
	if (json_is_integer(json_object_get(j, "next")))
		printf("(older: --before %" JSON_INTEGER_FORMAT ")\n",
		       json_integer_value(json_object_get(j, "next")));
}

/* BASE?limit=N[&before=M]: a page of history, proposals or the audit log; the length written. */
static int page_path(char *path, size_t len, const char *base, long def_limit,
		     const struct cargs *o)
{
	int n = snprintf(path, len, "%s?limit=%ld", base, o->limit ? o->limit : def_limit);
	if (n >= 0 && (size_t)n < len && o->before)
		n += snprintf(path + n, len - (size_t)n, "&before=%ld", o->before);
	/* What was written, not what would have been: the caller appends at path + n. */
	return n < 0 ? 0 : (size_t)n >= len ? (int)len - 1 : n;
}

static void print_proposals(const json_t *j)
{
	static const char *const head[] = {"ID",      "STATE",   "KIND",     "PROPOSER",
					   "TICKET",  "CREATED", "APPLY-AT", "APPROVER",
					   "VERSION", "MESSAGE"};
	const size_t nc = sizeof(head) / sizeof(head[0]);
	static const char *const keys[] = {"id",      "state",      "kind",        "proposer",
					   "ticket",  "created-ms", "apply-at-ms", "approver",
					   "version", "message"};
	const json_t *list = json_object_get(j, "proposals");
	size_t n = json_array_size(list), i;
	json_t *p;
	if (n == 0) {
		printf("no proposals\n");
		return;
	}
	char **cells = cells_new(n * nc);
	json_array_foreach (list, i, p) {
		for (size_t k = 0; k < nc; k++) {
			const json_t *v = json_object_get(p, keys[k]);
			cells[i * nc + k] = strstr(keys[k], "-ms") ? dup_when(v) : dup_text(v);
		}
		char *msg = cells[i * nc + nc - 1];
		msg[strcspn(msg, "\n")] = '\0'; /* the first line */
	}
	table(head, nc, cells, n);
	cells_free(cells, n * nc);
	print_older(j);
}

static int cmd_proposals(const struct cargs *o)
{
	char path[160];
	if (o->nargs > 1)
		usage("proposals: unexpected argument '%s'", o->args[1]);
	int n = page_path(path, sizeof(path), "/proposals", 50, o);
	if (o->state) {
		if (strlen(o->state) > 16 ||
		    strspn(o->state, "abcdefghijklmnopqrstuvwxyz") != strlen(o->state))
			usage("proposals: --state '%s' is not a state", o->state);
		snprintf(path + n, sizeof(path) - (size_t)n, "&state=%s", o->state);
	}
	return get_and_print(o, "proposals", path, print_proposals);
}

static void print_proposal(const json_t *j)
{
	static const char *const keys[] = {
	    "id",         "state",      "kind",         "source-version", "proposer", "ticket",
	    "message",    "created-ms", "base-version", "apply-at-ms",    "approver", "decided-by",
	    "decided-ms", "comment",    "version",      "serial",         "error",    "sha256"};
	char buf[1100];
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		const json_t *v = json_object_get(j, keys[k]);
		printf("%-15s %s\n", keys[k],
		       strstr(keys[k], "-ms") ? when(v, buf, sizeof(buf))
					      : text(v, buf, sizeof(buf)));
	}
	const char *state = json_string_value(json_object_get(j, "state"));
	bool open = state && (strcmp(state, "proposed") == 0 || strcmp(state, "approved") == 0);
	printf("\nchanges %s:\n", open ? "to the running model" : "from its base version");
	print_changes(json_object_get(j, "changes"), open ? "running" : "base", "this proposal");
}

/* A proposal id argument. */
static long long proposal_arg(const struct cargs *o, const char *cmd)
{
	if (o->nargs != 2)
		usage("%s: %s", cmd, o->nargs < 2 ? "missing ID" : "too many arguments");
	char *end;
	long long id = strtoll(o->args[1], &end, 10);
	if (*end || end == o->args[1] || id < 1)
		usage("%s: '%s' is not a proposal id", cmd, o->args[1]);
	return id;
}

static int cmd_proposal(const struct cargs *o)
{
	char path[64];
	snprintf(path, sizeof(path), "/proposals/%lld", proposal_arg(o, "proposal"));
	return get_and_print(o, "proposal", path, print_proposal);
}

/* approve, reject, withdraw: POST /proposals/ID/VERB with the comment. */
static int decide(const struct cargs *o, const char *verb)
{
	char path[96];
	long long id = proposal_arg(o, verb);
	snprintf(path, sizeof(path), "/proposals/%lld/%s", id, verb);
	json_t *body = o->message ? json_pack("{s:s}", "comment", o->message) : json_object();
	if (body && o->expect_sha256)
		json_object_set_new(body, "expect-sha256", json_string(o->expect_sha256));
	struct api_answer a;
	int rc = send_json(o, verb, "POST", path, body, &a);
	if (rc)
		return rc;
	const json_t *j = a.json;
	const char *state = json_string_value(json_object_get(j, "state"));
	char buf[64];
	if (a.code != 200)
		rc = report_invalid(o, verb, &a);
	else if (o->api.json)
		print_json(j);
	else if (state && strcmp(state, "committed") == 0)
		printf("proposal %lld approved: version %" JSON_INTEGER_FORMAT
		       " committed (serial %" JSON_INTEGER_FORMAT ")\n",
		       id, json_integer_value(json_object_get(j, "version")),
		       json_integer_value(json_object_get(j, "serial")));
	else if (state && strcmp(state, "approved") == 0)
		printf("proposal %lld approved: to be committed at %s\n", id,
		       when(json_object_get(j, "apply-at-ms"), buf, sizeof(buf)));
	else
		printf("proposal %lld %s\n", id, state ? state : "?");
	api_answer_free(&a);
	return rc;
}

static int cmd_approve(const struct cargs *o)
{
	return decide(o, "approve");
}

static int cmd_reject(const struct cargs *o)
{
	return decide(o, "reject");
}

static int cmd_withdraw(const struct cargs *o)
{
	return decide(o, "withdraw");
}

/* Writes j (indented) to file, "-" or NULL: standard output. */
static int write_json(const char *file, const json_t *j)
{
	if (!file || strcmp(file, "-") == 0) {
		print_json(j);
		return 0;
	}
	if (json_dump_file(j, file, JSON_INDENT(2)) < 0) {
		cerr("cannot write %s: %s", file, strerror(errno));
		return EXIT_ERROR;
	}
	return 0;
}

static int cmd_candidate(const struct cargs *o)
{
	struct api_answer a;
	int rc;
	if (o->nargs < 2)
		usage("candidate: missing get or put");
	if (strcmp(o->args[1], "get") == 0) {
		if (o->nargs > 3)
			usage("candidate get: unexpected argument '%s'", o->args[3]);
		rc = request(o, "candidate get", "GET", "/candidate", NULL, 0, &a);
		if (rc)
			return rc;
		rc = a.json ? write_json(o->nargs == 3 ? o->args[2] : NULL, a.json) : EXIT_ERROR;
		api_answer_free(&a);
		return rc;
	}
	if (strcmp(o->args[1], "put") != 0)
		usage("candidate: unknown subcommand '%s' (get, put)", o->args[1]);
	if (o->nargs != 3)
		usage("candidate put: %s", o->nargs < 3 ? "missing FILE" : "too many arguments");
	json_t *model = load_json_file(o->args[2]);
	if (!model)
		return EXIT_ERROR;
	rc = send_json(o, "candidate put", "PUT", "/candidate", model, &a);
	if (rc)
		return rc;
	if (a.code / 100 != 2)
		rc = api_report_error(&o->api, "candidate put", &a);
	else
		printf("candidate stored\n");
	api_answer_free(&a);
	return rc;
}

/* Changes (docs/conductor.md's diff shape), one line each. */
static void print_changes(const json_t *changes, const char *from_name, const char *to_name)
{
	char b1[4096], b2[4096];
	size_t i;
	json_t *c;
	if (json_array_size(changes) == 0)
		printf("no changes between %s and %s\n", from_name, to_name);
	json_array_foreach (changes, i, c) {
		const char *op = json_string_value(json_object_get(c, "op"));
		const char *path = json_string_value(json_object_get(c, "path"));
		const char *from = text(json_object_get(c, "from"), b1, sizeof(b1));
		const char *to = text(json_object_get(c, "to"), b2, sizeof(b2));
		op = op ? op : "?";
		if (strcmp(op, "added") == 0)
			printf("+ %s: %s\n", path, to);
		else if (strcmp(op, "removed") == 0)
			printf("- %s: %s\n", path, from);
		else
			printf("~ %s: %s -> %s\n", path, from, to);
	}
}

static void print_diff(const json_t *j)
{
	print_changes(json_object_get(j, "changes"), json_string_value(json_object_get(j, "from")),
		      json_string_value(json_object_get(j, "to")));
}

/* A version name as the API takes it: a number or "running", and "candidate" where allowed. */
static const char *version_name(const char *s, bool candidate_ok)
{
	char *end;
	if (strcmp(s, "running") == 0 || (candidate_ok && strcmp(s, "candidate") == 0))
		return s;
	long long v = strtoll(s, &end, 10);
	if (*end || end == s || v < 1)
		usage("'%s' is not a version (a number, running%s)", s,
		      candidate_ok ? " or candidate" : "");
	return s;
}

static int cmd_diff(const struct cargs *o)
{
	char path[128];
	if (o->nargs > 3)
		usage("diff: unexpected argument '%s'", o->args[3]);
	const char *from = o->nargs > 1 ? version_name(o->args[1], true) : "running";
	const char *to = o->nargs > 2 ? version_name(o->args[2], true) : "candidate";
	snprintf(path, sizeof(path), "/diff?from=%s&to=%s", from, to);
	return get_and_print(o, "diff", path, print_diff);
}

static void print_history(const json_t *j)
{
	static const char *const head[] = {"VERSION", "TIME",   "AUTHOR",
					   "KIND",    "TICKET", "MESSAGE"};
	const json_t *list = json_object_get(j, "commits");
	size_t n = json_array_size(list), i;
	char **cells = cells_new(n * 6);
	json_t *c;
	if (n == 0) {
		printf("no commits\n");
		free(cells);
		return;
	}
	json_array_foreach (list, i, c) {
		char *msg = dup_text(json_object_get(c, "message"));
		msg[strcspn(msg, "\n")] = '\0'; /* the first line */
		cells[i * 6] = dup_text(json_object_get(c, "version"));
		cells[i * 6 + 1] = dup_when(json_object_get(c, "at-ms"));
		cells[i * 6 + 2] = dup_text(json_object_get(c, "author"));
		cells[i * 6 + 3] = dup_text(json_object_get(c, "kind"));
		cells[i * 6 + 4] = dup_text(json_object_get(c, "ticket"));
		cells[i * 6 + 5] = msg;
	}
	table(head, 6, cells, n);
	cells_free(cells, n * 6);
	print_older(j);
}

static int cmd_history(const struct cargs *o)
{
	char path[128];
	page_path(path, sizeof(path), "/history", 50, o);
	if (o->nargs > 1)
		usage("history: unexpected argument '%s'", o->args[1]);
	return get_and_print(o, "history", path, print_history);
}

static void print_model_only(const json_t *j)
{
	print_json(json_object_get(j, "model"));
}

static int cmd_show(const struct cargs *o)
{
	char path[64];
	if (o->nargs != 2)
		usage("show: %s", o->nargs < 2 ? "missing VERSION" : "too many arguments");
	const char *v = version_name(o->args[1], false);
	if (strcmp(v, "running") == 0)
		snprintf(path, sizeof(path), "/model");
	else
		snprintf(path, sizeof(path), "/versions/%s", v);
	return get_and_print(o, "show", path, print_model_only);
}

static int cmd_export(const struct cargs *o)
{
	struct api_answer a;
	if (o->nargs != 2)
		usage("export: %s", o->nargs < 2 ? "missing FILE" : "too many arguments");
	int rc = request(o, "export", "GET", "/export", NULL, 0, &a);
	if (rc)
		return rc;
	rc = a.json ? write_json(o->args[1], a.json) : EXIT_ERROR;
	api_answer_free(&a);
	return rc;
}

static int cmd_import(const struct cargs *o)
{
	struct api_answer a;
	if (o->nargs != 2)
		usage("import: %s", o->nargs < 2 ? "missing FILE" : "too many arguments");
	json_t *doc = load_json_file(o->args[1]);
	if (!doc)
		return EXIT_ERROR;
	int rc = send_json(o, "import", "POST", "/import", doc, &a);
	if (rc)
		return rc;
	if (a.code / 100 != 2)
		rc = api_report_error(&o->api, "import", &a);
	else if (o->api.json)
		print_json(a.json);
	else
		printf("imported (serial %" JSON_INTEGER_FORMAT ")\n",
		       json_integer_value(json_object_get(a.json, "serial")));
	api_answer_free(&a);
	return rc;
}

static char *alarm_names(const json_t *alarms)
{
	char buf[512] = "";
	size_t i, len = 0;
	json_t *al;
	json_array_foreach (alarms, i, al) {
		int n = snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? "," : "",
				 json_string_value(json_object_get(al, "alarm")));
		if (n < 0 || (size_t)n >= sizeof(buf) - len)
			break; /* what fits */
		len += (size_t)n;
	}
	return strdup(*buf ? buf : "-");
}

static void print_routers(const json_t *j)
{
	static const char *const head[] = {"NAME",   "ASSET-ID", "ENROLLED",  "VERSION",
					   "SERIAL", "IN-SYNC",  "LAST-SEEN", "ALARMS"};
	const json_t *list = json_object_get(j, "routers");
	size_t n = json_array_size(list), i;
	json_t *r;
	if (n == 0) {
		printf("no routers (add one: svrctl conductor router add NAME)\n");
		return;
	}
	char **cells = cells_new(n * 8);
	json_array_foreach (list, i, r) {
		cells[i * 8] = dup_text(json_object_get(r, "name"));
		cells[i * 8 + 1] = dup_text(json_object_get(r, "asset-id"));
		cells[i * 8 + 2] = dup_when(json_object_get(r, "enrolled-ms"));
		cells[i * 8 + 3] = dup_text(json_object_get(r, "applied-version"));
		cells[i * 8 + 4] = dup_text(json_object_get(r, "applied-serial"));
		cells[i * 8 + 5] = dup_text(json_object_get(r, "in-sync"));
		cells[i * 8 + 6] = dup_when(json_object_get(r, "last-seen-ms"));
		cells[i * 8 + 7] = alarm_names(json_object_get(r, "alarms"));
	}
	table(head, 8, cells, n);
	cells_free(cells, n * 8);
	printf("current serial %" JSON_INTEGER_FORMAT "\n",
	       json_integer_value(json_object_get(j, "serial")));
}

static void print_alarm_rows(const json_t *list)
{
	static const char *const head[] = {"ROUTER", "ALARM", "SINCE", "REASON"};
	size_t n = json_array_size(list), i;
	json_t *al;
	char **cells = cells_new(n * 4);
	json_array_foreach (list, i, al) {
		cells[i * 4] = dup_text(json_object_get(al, "router"));
		cells[i * 4 + 1] = dup_text(json_object_get(al, "alarm"));
		cells[i * 4 + 2] = dup_when(json_object_get(al, "raised-ms"));
		cells[i * 4 + 3] = dup_text(json_object_get(al, "reason"));
	}
	table(head, 4, cells, n);
	cells_free(cells, n * 4);
}

static void print_router(const json_t *r)
{
	static const char *const ms_keys[] = {"enrolled-ms", "last-seen-ms"};
	static const char *const keys[] = {"name",           "asset-id", "applied-version",
					   "applied-serial", "in-sync",  "serial"};
	char buf[512];
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		printf("%-18s%s\n", keys[k], text(json_object_get(r, keys[k]), buf, sizeof(buf)));
	for (size_t k = 0; k < 2; k++)
		printf("%-18s%s\n", ms_keys[k],
		       when(json_object_get(r, ms_keys[k]), buf, sizeof(buf)));
	const json_t *alarms = json_object_get(r, "alarms");
	if (json_array_size(alarms)) {
		printf("\nAlarms\n");
		print_alarm_rows(alarms);
	} else {
		printf("%-18s%s\n", "alarms", "none");
	}
	printf("\nLast report\n");
	print_json(json_object_get(r, "status"));
}

/* A router name as the model has them (1-32 letters, digits, '-', '_'): it goes into a URL. */
static const char *router_name(const char *s)
{
	size_t n = strlen(s);
	bool ok = n >= 1 && n <= 32;
	for (size_t i = 0; ok && i < n; i++)
		ok = isalnum((unsigned char)s[i]) || s[i] == '-' || s[i] == '_';
	if (!ok)
		usage("'%s' is not a router name (1-32 letters, digits, '-' or '_')", s);
	return s;
}

static int cmd_router(const struct cargs *o)
{
	char path[128];
	struct api_answer a;
	int rc;
	if (o->nargs < 2)
		usage("router: missing NAME, or add NAME, or delete NAME");
	const char *sub = o->args[1];
	bool add = strcmp(sub, "add") == 0, del = strcmp(sub, "delete") == 0;
	if (!add && !del) {
		if (o->nargs > 2)
			usage("router: unexpected argument '%s'", o->args[2]);
		snprintf(path, sizeof(path), "/routers/%s", router_name(sub));
		return get_and_print(o, "router", path, print_router);
	}
	if (o->nargs != 3)
		usage("router %s: %s", sub, o->nargs < 3 ? "missing NAME" : "too many arguments");
	const char *name = router_name(o->args[2]);
	if (add) {
		json_t *body = json_pack("{s:s}", "name", name);
		if (body && o->asset_id)
			json_object_set_new(body, "asset-id", json_string(o->asset_id));
		rc = send_json(o, "router add", "POST", "/routers", body, &a);
	} else {
		snprintf(path, sizeof(path), "/routers/%s", name);
		rc = api_call(&o->api, "DELETE", path, NULL, 0, &a);
	}
	if (rc)
		return rc;
	if (a.code / 100 != 2)
		rc = api_report_error(&o->api, add ? "router add" : "router delete", &a);
	else if (o->api.json && a.json)
		print_json(a.json);
	else
		printf("router %s %s\n", name, add ? "added" : "deleted");
	api_answer_free(&a);
	return rc;
}

static int cmd_enrol_token(const struct cargs *o)
{
	char path[128];
	struct api_answer a;
	if (o->nargs != 2)
		usage("enrol-token: %s", o->nargs < 2 ? "missing NAME" : "too many arguments");
	snprintf(path, sizeof(path), "/routers/%s/enrolment-token", router_name(o->args[1]));
	int rc = request(o, "enrol-token", "POST", path, NULL, 0, &a);
	if (rc)
		return rc;
	if (o->api.json) {
		print_json(a.json);
	} else {
		printf("router   %s\n", json_string_value(json_object_get(a.json, "router")));
		printf("token    %s\n", json_string_value(json_object_get(a.json, "token")));
		printf("expires  %s\n", json_string_value(json_object_get(a.json, "expires")));
		fprintf(stderr, "The token is shown once and works once. Give the router the "
				"token, this conductor's URL and the CA fingerprint "
				"(svrctl conductor ca).\n");
	}
	api_answer_free(&a);
	return 0;
}

static void print_audit(const json_t *j)
{
	static const char *const head[] = {"ID",      "TIME",   "WHO",    "ROLE",  "FROM",
					   "REQUEST", "STATUS", "ACTION", "DETAIL"};
	const json_t *list = json_object_get(j, "entries");
	size_t n = json_array_size(list), i;
	json_t *e;
	if (n == 0) {
		printf("no entries\n");
		return;
	}
	char **cells = cells_new(n * 9);
	json_array_foreach (list, i, e) {
		char **row = cells + i * 9;
		row[0] = dup_text(json_object_get(e, "id"));
		row[1] = dup_when(json_object_get(e, "at-ms"));
		row[2] = dup_text(json_object_get(e, "who"));
		row[3] = dup_text(json_object_get(e, "role"));
		row[4] = dup_text(json_object_get(e, "from"));
		const char *m = json_string_value(json_object_get(e, "method"));
		const char *p = json_string_value(json_object_get(e, "path"));
		if (asprintf(&row[5], "%s %s", m ? m : "-", p ? p : "-") < 0)
			row[5] = NULL;
		row[6] = dup_text(json_object_get(e, "status"));
		row[7] = dup_text(json_object_get(e, "action"));
		row[8] = dup_text(json_object_get(e, "detail"));
		if (!row[1] || !row[5]) {
			cerr("out of memory");
			exit(EXIT_ERROR);
		}
	}
	table(head, 9, cells, n);
	cells_free(cells, n * 9);
	print_older(j);
}

static int cmd_audit(const struct cargs *o)
{
	char path[512];
	int n = page_path(path, sizeof(path), "/audit", 100, o);
	if (o->who)
		snprintf(path + n, sizeof(path) - (size_t)n, "&who=%s", o->who);
	if (o->nargs > 1)
		usage("audit: unexpected argument '%s'", o->args[1]);
	return get_and_print(o, "audit", path, print_audit);
}

static void print_whoami(const json_t *j)
{
	const json_t *cc = json_object_get(j, "change-control");
	printf("%s (role %s); change control %s\n", json_string_value(json_object_get(j, "name")),
	       json_string_value(json_object_get(j, "role")),
	       !json_is_true(json_object_get(cc, "enabled"))         ? "off"
	       : json_is_true(json_object_get(cc, "require-ticket")) ? "on, ticket required"
								     : "on");
}

static int cmd_whoami(const struct cargs *o)
{
	if (o->nargs > 1)
		usage("whoami: unexpected argument '%s'", o->args[1]);
	return get_and_print(o, "whoami", "/whoami", print_whoami);
}

static void print_alarms(const json_t *j)
{
	const json_t *list = json_object_get(j, "alarms");
	if (json_array_size(list) == 0)
		printf("no alarms\n");
	else
		print_alarm_rows(list);
}

static void print_keys(const json_t *j)
{
	static const char *const head[] = {"SECURITY-ID", "NOT-BEFORE", "CREATED"};
	const json_t *list = json_object_get(j, "keys");
	size_t n = json_array_size(list), i;
	json_t *k;
	if (n == 0) {
		printf("no keys\n");
		return;
	}
	char **cells = cells_new(n * 3);
	json_array_foreach (list, i, k) {
		cells[i * 3] = dup_text(json_object_get(k, "security-id"));
		cells[i * 3 + 1] = dup_text(json_object_get(k, "not-before"));
		cells[i * 3 + 2] = dup_text(json_object_get(k, "created"));
	}
	table(head, 3, cells, n);
	cells_free(cells, n * 3);
}

static int cmd_keys(const struct cargs *o)
{
	if (o->nargs == 1)
		return get_and_print(o, "keys", "/keys", print_keys);
	if (o->nargs > 2 || strcmp(o->args[1], "rotate") != 0)
		usage("keys: unknown subcommand '%s' (rotate)", o->args[1]);
	struct api_answer a;
	int rc = request(o, "keys rotate", "POST", "/keys/rotate", NULL, 0, &a);
	if (rc)
		return rc;
	if (o->api.json)
		print_json(a.json);
	else
		printf("key %" JSON_INTEGER_FORMAT " added, in force from %s (serial "
		       "%" JSON_INTEGER_FORMAT ")\n",
		       json_integer_value(json_object_get(a.json, "security-id")),
		       json_string_value(json_object_get(a.json, "not-before")),
		       json_integer_value(json_object_get(a.json, "serial")));
	api_answer_free(&a);
	return 0;
}

/* The fingerprint is computed here from the PEM the conductor sends, and must equal what it
 * says: what the operator passes on is then the certificate's own. */
static int cmd_ca(const struct cargs *o)
{
	struct api_answer a;
	char mine[65];
	if (o->nargs > 1)
		usage("ca: unexpected argument '%s'", o->args[1]);
	int rc = request(o, "ca", "GET", "/ca", NULL, 0, &a);
	if (rc)
		return rc;
	const char *pem = json_string_value(json_object_get(a.json, "pem"));
	const char *said = json_string_value(json_object_get(a.json, "sha256"));
	if (!pem || !said || api_pem_sha256(pem, strlen(pem), mine) < 0) {
		cerr("ca: the answer has no readable CA certificate");
		rc = EXIT_ERROR;
	} else if (strcmp(mine, said) != 0) {
		cerr("ca: the conductor says the fingerprint is %s, but its certificate's is %s",
		     said, mine);
		rc = EXIT_ERROR;
	} else if (o->api.json) {
		print_json(a.json);
	} else {
		printf("%s\n", mine);
	}
	api_answer_free(&a);
	return rc;
}

/* ------------------------------------------------------------ options -- */

static long number_opt(const char *opt, const char *s, long min, long max)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < min || v > max)
		usage("%s: '%s' is not a number from %ld to %ld", opt, s, min, max);
	return v;
}

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v && *v ? v : def;
}

static void parse(int argc, char **argv, struct cargs *o)
{
	enum {
		OPT_URL = 256,
		OPT_TOKEN_FILE,
		OPT_CACERT,
		OPT_CA_SHA256,
		OPT_TICKET,
		OPT_ASSET,
		OPT_LIMIT,
		OPT_BEFORE,
		OPT_WHO,
		OPT_AT,
		OPT_ROLLBACK_TO,
		OPT_STATE,
		OPT_EXPECT_SHA256
	};
	static const struct option longopts[] = {
	    {"url", required_argument, NULL, OPT_URL},
	    {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
	    {"cacert", required_argument, NULL, OPT_CACERT},
	    {"ca-sha256", required_argument, NULL, OPT_CA_SHA256},
	    {"message", required_argument, NULL, 'm'},
	    {"ticket", required_argument, NULL, OPT_TICKET},
	    {"expect-sha256", required_argument, NULL, OPT_EXPECT_SHA256},
	    {"asset-id", required_argument, NULL, OPT_ASSET},
	    {"limit", required_argument, NULL, OPT_LIMIT},
	    {"before", required_argument, NULL, OPT_BEFORE},
	    {"who", required_argument, NULL, OPT_WHO},
	    {"at", required_argument, NULL, OPT_AT},
	    {"rollback-to", required_argument, NULL, OPT_ROLLBACK_TO},
	    {"state", required_argument, NULL, OPT_STATE},
	    {"json", no_argument, NULL, 'j'},
	    {"timeout", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *url = NULL, *token_file = NULL, *cacert = NULL, *pin = NULL;
	int c;
	o->api.timeout_s = CONDUCTOR_TIMEOUT_S;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":m:jt:h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_URL:
			url = optarg;
			break;
		case OPT_TOKEN_FILE:
			token_file = optarg;
			break;
		case OPT_CACERT:
			cacert = optarg;
			break;
		case OPT_CA_SHA256:
			pin = optarg;
			break;
		case 'm':
			o->message = optarg;
			break;
		case OPT_TICKET:
			o->ticket = optarg;
			break;
		case OPT_EXPECT_SHA256:
			o->expect_sha256 = optarg;
			break;
		case OPT_ASSET:
			o->asset_id = optarg;
			break;
		case OPT_LIMIT:
			o->limit = number_opt("--limit", optarg, 1, 1000);
			break;
		case OPT_BEFORE:
			o->before = number_opt("--before", optarg, 1, 1L << 53);
			break;
		case OPT_WHO:
			/* An operator's name (docs/conductor.md): nothing to escape in a URL. */
			if (strlen(optarg) > 127 ||
			    strspn(optarg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					   "0123456789-_.") != strlen(optarg))
				usage("--who: '%s' is not an operator name (letters, digits, '-', "
				      "'_', '.')",
				      optarg);
			o->who = optarg;
			break;
		case OPT_AT:
			o->at = optarg;
			break;
		case OPT_ROLLBACK_TO:
			o->rollback_to = number_opt("--rollback-to", optarg, 1, 1L << 53);
			break;
		case OPT_STATE:
			o->state = optarg;
			break;
		case 'j':
			o->api.json = true;
			break;
		case 't': {
			char *end;
			o->api.timeout_s = strtod(optarg, &end);
			if (*end || end == optarg || !isfinite(o->api.timeout_s) ||
			    o->api.timeout_s <= 0 || o->api.timeout_s > 86400)
				usage("--timeout: '%s' is not a number of seconds in (0, 86400]",
				      optarg);
			break;
		}
		case 'h':
			o->help = true;
			break;
		case ':':
			usage("option '%s' needs an argument", argv[optind - 1]);
		default:
			usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	o->api.url = url ? url : env_or("SVR_CONDUCTOR_URL", CONDUCTOR_URL_DEFAULT);
	o->api.url_from = url                           ? "--url"
			  : getenv("SVR_CONDUCTOR_URL") ? "SVR_CONDUCTOR_URL"
							: "the default";
	o->api.token = token_file ? NULL : env_or("SVR_CONDUCTOR_TOKEN", NULL);
	o->api.token_file =
	    token_file ? token_file : env_or("SVR_CONDUCTOR_TOKEN_FILE", CONDUCTOR_TOKEN_DEFAULT);
	o->api.cacert = cacert ? cacert : env_or("SVR_CONDUCTOR_CACERT", NULL);
	o->api.ca_sha256 = pin ? pin : env_or("SVR_CONDUCTOR_CA_SHA256", NULL);
	if (!o->api.cacert && !o->api.ca_sha256 && access(CONDUCTOR_CACERT_DEFAULT, R_OK) == 0)
		o->api.cacert = CONDUCTOR_CACERT_DEFAULT;
	if (cacert && pin)
		usage("--cacert and --ca-sha256 exclude each other");
	o->api.server = "svr-conductor";
	o->api.https_only = true;
	o->api.url_option = "--url URL or SVR_CONDUCTOR_URL";
	o->api.tls_hint = " (the conductor's certificate is not trusted: give its CA with --cacert "
			  "FILE or its fingerprint with --ca-sha256 HEX)";
	o->nargs = argc - optind;
	o->args = argv + optind;
}

static int cmd_routers(const struct cargs *o)
{
	if (o->nargs > 1)
		usage("routers: unexpected argument '%s'", o->args[1]);
	return get_and_print(o, "routers", "/routers", print_routers);
}

static int cmd_alarms(const struct cargs *o)
{
	if (o->nargs > 1)
		usage("alarms: unexpected argument '%s'", o->args[1]);
	return get_and_print(o, "alarms", "/alarms", print_alarms);
}

/* Whether cmd is one of the blank-separated words of list. */
static bool is_one_of(const char *cmd, const char *list)
{
	size_t n = strlen(cmd);
	for (const char *p = list; *p; p += strcspn(p, " "), p += *p == ' ')
		if (strncmp(p, cmd, n) == 0 && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

int conductor_main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(const struct cargs *);
	} cmds[] = {
	    {"commit", cmd_commit},
	    {"rollback", cmd_rollback},
	    {"candidate", cmd_candidate},
	    {"diff", cmd_diff},
	    {"history", cmd_history},
	    {"show", cmd_show},
	    {"export", cmd_export},
	    {"import", cmd_import},
	    {"routers", cmd_routers},
	    {"router", cmd_router},
	    {"enrol-token", cmd_enrol_token},
	    {"alarms", cmd_alarms},
	    {"keys", cmd_keys},
	    {"ca", cmd_ca},
	    {"whoami", cmd_whoami},
	    {"audit", cmd_audit},
	    {"propose", cmd_propose},
	    {"proposals", cmd_proposals},
	    {"proposal", cmd_proposal},
	    {"approve", cmd_approve},
	    {"reject", cmd_reject},
	    {"withdraw", cmd_withdraw},
	};
	struct cargs o = {0};
	parse(argc, argv, &o);
	/* --help (with a command: its page), or help [COMMAND]. */
	bool help_cmd = o.nargs > 0 && strcmp(o.args[0], "help") == 0;
	if (o.help || help_cmd) {
		const char *name =
		    help_cmd ? (o.nargs > 1 ? o.args[1] : NULL) : (o.nargs > 0 ? o.args[0] : NULL);
		const struct command_page *p = name ? find_page(name) : NULL;
		if (name && !p)
			usage("help: unknown command '%s'", name);
		if (p)
			put_command_page(p);
		else
			fputs(conductor_help, stdout);
		return fflush(stdout) == 0 ? 0 : EXIT_ERROR;
	}
	if (o.nargs == 0)
		usage("missing command (commit, candidate, diff, history, show, rollback, export, "
		      "import, propose, proposals, proposal, approve, reject, withdraw, routers, "
		      "router, enrol-token, alarms, keys, ca, whoami, audit)");
	const char *cmd = o.args[0];
	if (o.message && !is_one_of(cmd, "commit rollback propose approve reject withdraw"))
		usage("%s: -m is for commit, rollback, propose, approve, reject and withdraw", cmd);
	if (o.ticket && !is_one_of(cmd, "commit rollback propose"))
		usage("%s: --ticket is for commit, rollback and propose", cmd);
	if (o.expect_sha256 && strcmp(cmd, "approve") != 0)
		usage("%s: --expect-sha256 is for approve", cmd);
	if ((o.at || o.rollback_to) && strcmp(cmd, "propose") != 0)
		usage("%s: --at and --rollback-to are for propose", cmd);
	if (o.state && strcmp(cmd, "proposals") != 0)
		usage("%s: --state is for proposals", cmd);
	if (o.asset_id && strcmp(cmd, "router") != 0)
		usage("%s: --asset-id is for router add", cmd);
	if ((o.limit || o.before) && !is_one_of(cmd, "history proposals audit"))
		usage("%s: --limit and --before are for history, proposals and audit", cmd);
	if (o.who && strcmp(cmd, "audit") != 0)
		usage("%s: --who is for audit", cmd);
	int rc = -1;
	for (size_t i = 0; rc < 0 && i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(cmd, cmds[i].name) == 0)
			rc = cmds[i].fn(&o);
	if (rc < 0)
		usage("unknown command '%s'", cmd);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cerr("writing output: %s", strerror(errno));
		return EXIT_ERROR;
	}
	return rc;
}
