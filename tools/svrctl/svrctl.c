/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * svrctl: queries against a running svr-dataplane over its control socket
 * (protocol in include/svr/ctlsock.h), clear session (the one command there
 * that changes state), and the model and status commands that go through
 * svr-control's REST API (api.c). One request per invocation, except that
 * show sessions follows the pages of a long list on one connection.
 */
#include "api.h"
#include "conductor.h"
#include "setup.h"
#include "common/pcap.h"
#include "svr/counters.h"
#include "svr/ctlsock.h"
#include "svr/version.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

enum {
	EXIT_DP_ERROR = 1, /* the dataplane answered an error, or an unusable answer */
	EXIT_USAGE = 2,
	EXIT_CONNECT = 3,
};

/* Generous: a full FIB dump is a few MiB; anything beyond this is a broken peer. */
#define MAX_RESPONSE    (64u << 20)
#define INSTANCE_MAXLEN 32

static const char *prog = "svrctl";

/* show sessions: the filters, and how many sessions to print at most. */
struct sess_filter {
	const char *tenant;
	const char *service;
	const char *address;
	long long limit;
};

struct opts {
	const char *instance;
	const char *socket;
	bool json;
	bool all;
	double timeout_s;
	struct sess_filter sess;
	bool sess_given;       /* any of --tenant, --service, --address, --limit */
	bool limit_given;      /* --limit */
	bool wait;             /* clear sessions --wait */
	bool why;              /* show session UUID --why */
	const char *interface; /* why: --interface */
};

static void die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

static void die(int code, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void usage_error(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr,
		"\nUsage: svrctl [--instance NAME | --socket PATH] [--json] show "
		"ports|interfaces|stats|neighbors|routes|kernel-routes|policy|kernel|version\n"
		"       svrctl [--instance NAME | --socket PATH] [--json] show sessions "
		"[--tenant NAME] [--service NAME] [--address IP] [--limit N]\n"
		"       svrctl [--instance NAME | --socket PATH] [--json] show|clear "
		"session UUID\n"
		"       svrctl [--instance NAME | --socket PATH] [--json] clear sessions "
		"--all | [--tenant NAME] [--service NAME] [--address IP] [--wait]\n"
		"       svrctl [--instance NAME | --socket PATH] capture INTERFACE [-c N] "
		"[-w FILE]\n"
		"       svrctl [--instance NAME | --socket PATH] [--json] why PROTOCOL "
		"SOURCE[:PORT] DESTINATION[:PORT] --interface NAME\n"
		"       svrctl [--instance NAME] [--api URL] [--token-file FILE | --token "
		"TOKEN] config apply FILE|show\n"
		"       svrctl [--instance NAME] [--api URL] [--token-file FILE | --token "
		"TOKEN] [--json] status\n"
		"       svrctl conductor [--url URL] [--token-file FILE] [--cacert FILE] "
		"COMMAND ...\n"
		"       svrctl setup hugepages|bind|unbind|show|apply ...\n"
		"Try 'svrctl --help' for more information.\n");
	exit(EXIT_USAGE);
}

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);
	if (!q)
		die(EXIT_DP_ERROR, "out of memory");
	return q;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);
	if (!d)
		die(EXIT_DP_ERROR, "out of memory");
	return d;
}

/* ---------------------------------------------------------------- help -- */

static const char help_main[] =
    "NAME\n"
    "    svrctl - control and query an svrouter router\n"
    "\n"
    "SYNOPSIS\n"
    "    svrctl [--instance NAME | --socket PATH] [--json] [--timeout SECONDS] show OBJECT\n"
    "    svrctl [--instance NAME | --socket PATH] [--all] show stats\n"
    "    svrctl [--instance NAME | --socket PATH] [--json] show sessions [--tenant NAME]\n"
    "           [--service NAME] [--address IP] [--limit N]\n"
    "    svrctl [--instance NAME | --socket PATH] [--json] show session UUID [--why]\n"
    "    svrctl [--instance NAME | --socket PATH] [--json] clear session UUID\n"
    "    svrctl [--instance NAME | --socket PATH] [--json] clear sessions --all |\n"
    "           [--tenant NAME] [--service NAME] [--address IP] [--wait]\n"
    "    svrctl [--instance NAME | --socket PATH] capture INTERFACE [-c N] [-w FILE]\n"
    "    svrctl [--instance NAME | --socket PATH] [--json] why PROTOCOL SOURCE[:PORT]\n"
    "           DESTINATION[:PORT] --interface NAME\n"
    "    svrctl [--instance NAME] [--api URL] [--token-file FILE | --token TOKEN] [--json]\n"
    "           config apply FILE\n"
    "    svrctl [--instance NAME] [--api URL] [--token-file FILE | --token TOKEN]\n"
    "           config show\n"
    "    svrctl [--instance NAME] [--api URL] [--token-file FILE | --token TOKEN] [--json]\n"
    "           status\n"
    "    svrctl conductor [--url URL] [--token-file FILE] [--cacert FILE] COMMAND ...\n"
    "    svrctl setup hugepages|bind|unbind|show|apply [OPTIONS]\n"
    "    svrctl help [show | sessions | capture | why | kernel | config | status |\n"
    "                conductor | setup]\n"
    "    svrctl --help | --version\n"
    "\n"
    "DESCRIPTION\n"
    "    svrctl talks to the two processes of a router. The show commands connect to\n"
    "    the control socket of a running svr-dataplane, send one request and print the\n"
    "    answer: as aligned tables for people or, with --json, as the raw \"data\"\n"
    "    value for scripts. They only read state. Counters are cumulative since the\n"
    "    dataplane started. clear session, on the same socket, ends one session;\n"
    "    clear sessions ends every session of a tenant, service or address (or all).\n"
    "\n"
    "    The config and status commands use the REST API of svr-control (docs/api.md)\n"
    "    with a bearer token: config apply replaces the intent model (validated whole;\n"
    "    nothing is applied if any part is invalid), config show prints the model in\n"
    "    force, status compares what svr-control published with what the dataplane\n"
    "    runs. Options may come before or after the command.\n"
    "\n"
    "COMMANDS\n"
    "    show ports          DPDK ports: device, MAC, link, queues, packet and error counters\n"
    "    show interfaces     router interfaces: index, port, VLAN, MAC, MTU, addresses\n"
    "    show stats          totals, per-worker counters, non-zero drop reasons and events\n"
    "    show neighbors      ARP and IPv6 neighbour entries with their state\n"
    "    show routes         forwarding table: local, connected and gateway routes, the\n"
    "                        policy's and those mirrored from the kernel\n"
    "    show kernel-routes  the route mirror: routes svr-control took from the kernel's\n"
    "                        tables (docs/routing.md), which are installed, and counters\n"
    "    show kernel         the kernel twins: their namespace, and per twin its kernel\n"
    "                        ifindex and the frames up, down and over the rate\n"
    "                        (see svrctl help kernel)\n"
    "    show policy         policy generation in force, its size, images applied/rejected,\n"
    "                        the exception policy (host-access)\n"
    "    show peers          SVR peer paths (waypoints, security) and the keys in use\n"
    "    show sessions       a summary of the session table, then one line per session:\n"
    "                        tenant, service, tuple, NAT, TCP state, age, idle, counters\n"
    "    show session UUID   one session in full, both directions as received and sent;\n"
    "                        --why: each decision the policy in force takes for it\n"
    "    show events         the dataplane's newest events (up to 256), one JSON object a\n"
    "                        line, oldest first (docs/telemetry.md)\n"
    "    show ipfix          the IPFIX exporter: settings, records, each collector's state\n"
    "    show version        dataplane version, instance, uptime, workers and pid\n"
    "    show sessions-clear the last clear sessions job: running or done, sessions\n"
    "                        cleared, table entries visited\n"
    "    clear session UUID  end a session now (its next packet is a first packet again)\n"
    "    clear sessions      end every session the filters select, or --all of them, in\n"
    "                        the background; --wait: until done, then how many\n"
    "                        (see svrctl help sessions)\n"
    "    capture INTERFACE   packets received and sent on a router interface while it\n"
    "                        forwards: one line each, or -w FILE (pcap); -c N to stop\n"
    "                        after N (see svrctl help capture)\n"
    "    why PROTOCOL SOURCE[:PORT] DESTINATION[:PORT] --interface NAME\n"
    "                        what the policy in force would do with such a first packet\n"
    "                        coming in by interface NAME, and why: verdict, tenant,\n"
    "                        service, access rule, policy, route, NAT, peer paths;\n"
    "                        nothing is created (see svrctl help why)\n"
    "    config apply FILE   apply the model in FILE (\"-\": standard input); prints\n"
    "                        \"generation N applied\", or every error as PATH: MESSAGE\n"
    "    config show         the model in force, as indented JSON\n"
    "    status              svr-control's version, router, uptime, the generation it\n"
    "                        published and the one the dataplane acknowledged\n"
    "    conductor COMMAND   the operator's commands for svr-conductor: commit, diff,\n"
    "                        history, rollback, routers, enrol-token, keys, alarms, ca,\n"
    "                        whoami, audit\n"
    "                        (see svrctl help conductor)\n"
    "    setup COMMAND       prepare the machine for the dataplane (as root): reserve and\n"
    "                        mount huge pages, give NICs to vfio-pci, list them, re-apply\n"
    "                        /etc/svrouter/setup.json at boot (see svrctl help setup)\n"
    "    help [TOPIC]        this page, or details of show, sessions, capture, why,\n"
    "                        kernel, config, status, conductor or setup\n"
    "\n"
    "OPTIONS\n"
    "  Control socket (show):\n"
    "    -i, --instance NAME\n"
    "        Router instance to talk to; its socket is\n"
    "        " SVR_RUNTIME_DIR_DEFAULT "/NAME/" SVR_CTLSOCK_NAME ". Default: $SVR_INSTANCE,\n"
    "        else \"default\". Also picks the API address and token file of the REST\n"
    "        commands (see FILES).\n"
    "    -s, --socket PATH\n"
    "        Control socket to use instead, for a dataplane started with its own\n"
    "        \"runtime-dir\". Cannot be combined with --instance.\n"
    "    -a, --all\n"
    "        show stats: list every drop reason and event, including those at zero.\n"
    "        clear sessions: every session (see below).\n"
    "    --interface NAME\n"
    "        why: the router interface the packet would come in by (required).\n"
    "\n"
    "  Sessions (show sessions, clear sessions; the filters combine):\n"
    "    --tenant NAME\n"
    "        Only sessions whose source belongs to tenant NAME.\n"
    "    --service NAME\n"
    "        Only sessions to service NAME.\n"
    "    --address IP\n"
    "        Only sessions with IP (IPv4 or IPv6) as a source or destination, before\n"
    "        or after NAT.\n"
    "    --limit N\n"
    "        Print at most N sessions (default 1000); svrctl fetches them in pages of\n"
    "        up to 1000. show sessions only.\n"
    "    -a, --all\n"
    "        clear sessions: every session (required when no filter is given, so that\n"
    "        a forgotten filter never ends them all).\n"
    "    --wait\n"
    "        clear sessions: wait until the job is done and print how many sessions\n"
    "        it ended.\n"
    "\n"
    "  REST API (config, status):\n"
    "    --api URL\n"
    "        Base URL of svr-control's API, without /api/v1. Default: $SVR_API, else\n"
    "        the address the instance's svr-control serves (its api-url file, see\n"
    "        FILES), else " SVRCTL_API_DEFAULT ". https:// URLs work as well.\n"
    "    --token-file FILE\n"
    "        Read the bearer token from FILE (its first line). Default:\n"
    "        $SVR_TOKEN_FILE, else /var/lib/svrouter/INSTANCE/api-token, the file\n"
    "        svr-control creates on its first start (mode 0600: run as root or as the\n"
    "        user that runs svr-control).\n"
    "    --token TOKEN\n"
    "        Use TOKEN itself. Other users can see command lines: prefer --token-file\n"
    "        or $SVR_TOKEN. Order: --token, --token-file, $SVR_TOKEN, $SVR_TOKEN_FILE,\n"
    "        the default file.\n"
    "\n"
    "  Both:\n"
    "    -j, --json\n"
    "        Print JSON instead of tables: show prints the answer's \"data\", status and\n"
    "        config apply print the API's answer.\n"
    "    -t, --timeout SECONDS\n"
    "        Give up if the request takes longer (default 5 for show, 30 for the REST\n"
    "        commands; fractions allowed).\n"
    "    -h, --help\n"
    "        Print this page and exit.\n"
    "    --version\n"
    "        Print svrctl's own version and exit (the dataplane's: show version).\n"
    "\n"
    "ENVIRONMENT\n"
    "    SVR_INSTANCE     instance used when neither --instance nor --socket is given\n"
    "    SVR_API          API base URL when --api is not given\n"
    "    SVR_TOKEN        API token when neither --token nor --token-file is given\n"
    "    SVR_TOKEN_FILE   token file when no --token, --token-file or SVR_TOKEN\n"
    "\n"
    "FILES\n"
    "    " SVR_RUNTIME_DIR_DEFAULT "/INSTANCE/" SVR_CTLSOCK_NAME "\n"
    "        The dataplane's control socket, its owner's only: run svrctl as root or as the\n"
    "        user that runs svr-dataplane.\n"
    "    /var/lib/svrouter/INSTANCE/api-token\n"
    "        svr-control's API token (its --state-dir and --token-file options move it).\n"
    "    /var/lib/svrouter/INSTANCE/api-url\n"
    "        The URL svr-control serves its API on, written when it starts serving and\n"
    "        removed when it stops (its --state-dir option moves it). Routers on one\n"
    "        host each need their own --listen port; this file lets --instance find it.\n"
    "\n"
    "EXIT STATUS\n"
    "    0   success (config apply: the model was applied, or published and not yet\n"
    "        acknowledged by the dataplane within 2 s; why: an answer, whatever its\n"
    "        verdict)\n"
    "    1   the dataplane or the API answered with an error (config apply: malformed\n"
    "        or invalid model, rejected by the dataplane; wrong token; show or clear\n"
    "        session: no live session has the UUID; why: no interface of that name),\n"
    "        or the answer was unusable (timed out, closed early, not valid JSON,\n"
    "        unexpected shape)\n"
    "    2   usage error\n"
    "    3   cannot connect to the control socket or the API (missing, refused,\n"
    "        permission denied, timed out), or no token to send\n"
    "    4   setup bind, unbind: refused by a safety check, nothing changed (svrctl\n"
    "        help setup)\n"
    "\n"
    "EXAMPLES\n"
    "    svrctl show stats\n"
    "    svrctl --instance r1 show routes\n"
    "    svrctl --all show stats\n"
    "    svrctl --socket /tmp/r1/" SVR_CTLSOCK_NAME " show neighbors\n"
    "    svrctl --json show ports | jq '.[0][\"rx-packets\"]'\n"
    "    SVR_INSTANCE=r2 watch -n1 svrctl show stats\n"
    "    svrctl show sessions --tenant lab --service web\n"
    "    svrctl show session 3f2a9c1e\n"
    "    svrctl clear session 3f2a9c1e-7b4d-4c2a-9e1f-0a1b2c3d4e5f\n"
    "    svrctl clear sessions --service web --wait\n"
    "    svrctl clear sessions --all\n"
    "    svrctl capture lan -c 20 -w lan.pcap\n"
    "    svrctl why tcp 198.18.1.2 198.18.2.2:443 --interface lan\n"
    "    svrctl --instance r1 config apply model.json\n"
    "    svrctl config show > model-in-force.json\n"
    "    svrctl --api http://[::1]:8740 --token-file ~/r1.token status\n";

static const char help_config[] =
    "NAME\n"
    "    svrctl config - apply or print the intent model through svr-control\n"
    "\n"
    "SYNOPSIS\n"
    "    svrctl [--instance NAME] [--api URL] [--token-file FILE | --token TOKEN] [--json]\n"
    "           config apply FILE\n"
    "    svrctl [--instance NAME] [--api URL] [--token-file FILE | --token TOKEN]\n"
    "           config show\n"
    "\n"
    "DESCRIPTION\n"
    "    config apply sends FILE (\"-\" reads standard input) as it is with\n"
    "    PUT /api/v1/model. svr-control parses and validates the whole model, compiles\n"
    "    this router's policy image, stores the model as its last good one and\n"
    "    publishes the image to the dataplane; then it waits up to 2 s for the\n"
    "    dataplane's acknowledgement. Outcomes:\n"
    "\n"
    "      generation N applied\n"
    "          The dataplane runs the new model (HTTP 200). Exit 0.\n"
    "      generation N published; not yet acknowledged by the dataplane\n"
    "          Published, but the dataplane did not answer within 2 s (HTTP 202;\n"
    "          svrctl status shows when it catches up). Exit 0.\n"
    "      FILE:LINE:COLUMN: malformed JSON: MESSAGE\n"
    "          The file is not JSON (HTTP 400). Nothing applied; exit 1.\n"
    "      PATH: MESSAGE (one line per error), then a summary\n"
    "          The model is invalid (HTTP 422), e.g.\n"
    "            authority.routers[0].interfaces[1].addresses[0]: ...\n"
    "          Nothing applied; exit 1.\n"
    "      generation N rejected by the dataplane: REASON\n"
    "          The dataplane refused the image and keeps the previous one (HTTP 409).\n"
    "          Exit 1.\n"
    "\n"
    "    With --json the API's answer is printed as JSON on standard output instead\n"
    "    (the exit status is the same).\n"
    "\n"
    "    config show prints the model in force (the last one applied) as indented\n"
    "    JSON; it fails (exit 1) while no model has been applied.\n"
    "\n"
    "    With --instance NAME (or $SVR_INSTANCE) and no --api or $SVR_API, svrctl\n"
    "    talks to the address that instance's svr-control serves, which it writes to\n"
    "    /var/lib/svrouter/NAME/api-url, beside its token; without that file, to\n"
    "    " SVRCTL_API_DEFAULT ".\n"
    "\n"
    "EXAMPLES\n"
    "    svrctl config apply /etc/svrouter/model.json\n"
    "    jq '.authority.services += [$s]' --argjson s \"$SVC\" <(svrctl config show) |\n"
    "        svrctl config apply -\n";

static const char help_status[] =
    "NAME\n"
    "    svrctl status - svr-control's view of the router\n"
    "\n"
    "SYNOPSIS\n"
    "    svrctl [--instance NAME] [--api URL] [--token-file FILE | --token TOKEN] [--json]\n"
    "           status\n"
    "\n"
    "DESCRIPTION\n"
    "    GET /api/v1/status, printed as key/value lines:\n"
    "\n"
    "      router                 this router's name in the model\n"
    "      instance               the dataplane instance svr-control feeds\n"
    "      version                svr-control's version\n"
    "      uptime                 since svr-control started\n"
    "      model-generation       the last generation svr-control published\n"
    "      dataplane-generation   the last generation the dataplane acknowledged\n"
    "      rejected-generation    shown when the dataplane refused a generation\n"
    "      dataplane              reachable (and whether both generations agree) or\n"
    "                             unreachable with the reason\n"
    "\n"
    "    --json prints the API's JSON answer unchanged.\n"
    "\n"
    "    The API is found as for config: --api, $SVR_API, the address the instance's\n"
    "    svr-control wrote to /var/lib/svrouter/INSTANCE/api-url, or the default\n"
    "    " SVRCTL_API_DEFAULT "; the token as --token, --token-file, $SVR_TOKEN,\n"
    "    $SVR_TOKEN_FILE, /var/lib/svrouter/INSTANCE/api-token. Errors name the URL\n"
    "    asked; a 401 also names the token file and where the address came from.\n";

static const char help_show[] =
    "NAME\n"
    "    svrctl show - print the state of a running svr-dataplane\n"
    "\n"
    "SYNOPSIS\n"
    "    svrctl [--instance NAME | --socket PATH] [--json] [--timeout SECONDS] show OBJECT\n"
    "    svrctl [--instance NAME | --socket PATH] [--all] show stats\n"
    "\n"
    "DESCRIPTION\n"
    "    Each OBJECT is one request on the control socket; --json prints its \"data\"\n"
    "    value unchanged (the shapes are documented in include/svr/ctlsock.h). In\n"
    "    tables, \"-\" marks a value that is empty or unknown.\n"
    "\n"
    "OBJECTS\n"
    "    ports       DPDK ports, then their counters.\n"
    "                ID, NAME (DPDK name), DEVICE (PCI address or vdev arguments),\n"
    "                MAC, LINK (up/down), SPEED, RXQ/TXQ (queues);\n"
    "                RX-PACKETS, RX-BYTES, TX-PACKETS, TX-BYTES, RX-MISSED (dropped by\n"
    "                the NIC: no free descriptor), RX-ERRORS, TX-ERRORS, RX-NOMBUF\n"
    "                (no free mbuf: raise \"mbufs\").\n"
    "    interfaces  NAME, INDEX (the number IPFIX records give the interface: its\n"
    "                slot + 1, kept while the model names the interface), PORT, VLAN\n"
    "                (\"-\" when untagged), MAC, MTU, ADDRESSES (one\n"
    "                per line).\n"
    "    stats       Totals (RX-PACKETS, TX-PACKETS, FORWARDED, PUNTED to the main\n"
    "                lcore, DROPPED); one row per worker lcore with the same counters\n"
    "                plus BUSY-POLLS, IDLE-POLLS, SLEEPS and SLEPT-US (idle backoff);\n"
    "                drop reasons with their meaning, and slow-path events. Reasons\n"
    "                and events at zero are left out unless --all is given.\n"
    "    neighbors   ADDRESS, INTERFACE, MAC (\"-\" while unresolved), STATE\n"
    "                (incomplete, reachable, probe, static), AGE-S (age of the entry in\n"
    "                seconds), QUEUED (packets waiting for resolution).\n"
    "    routes      PREFIX, TYPE (local, connected, gateway, broadcast), GATEWAY,\n"
    "                INTERFACE, ORIGIN (policy: the interfaces' and the model's static\n"
    "                routes; kernel: mirrored from the kernel, which a policy route of\n"
    "                the same prefix overrides).\n"
    "    kernel-routes\n"
    "                The mirror's counters (routes held, installed in the FIB, shadowed\n"
    "                by a policy route, changes, full listings); per kernel table the\n"
    "                dataplane uses (main, 254, and those tenants are bound to): TABLE,\n"
    "                ROUTES (held), INSTALLED (in its FIB); then up to 1,000 routes:\n"
    "                PREFIX, GATEWAY, INTERFACE (the kernel's; a twin has its dataplane\n"
    "                interface's name), TABLE, METRIC, PROTO (bgp, ospf, static...),\n"
    "                INSTALLED (no: a table no tenant is bound to, or an interface the\n"
    "                dataplane lacks).\n"
    "    policy      The policy image generation in force (0: none yet), its router,\n"
    "                interface, service and tenant counts and size; the shared-memory\n"
    "                channel; images applied and rejected, and the last rejection.\n"
    "                Then the exception policy (host-access): PROTOCOL, PORT (the\n"
    "                destination's; a tcp segment with ACK also by its source: answers\n"
    "                to the kernel's own connections; any), FROM (connected: the\n"
    "                arriving interface's subnets), INTERFACES (all).\n"
    "    sessions    A summary line, then UUID (first 8 characters), PROTO, TENANT,\n"
    "                SERVICE, FORWARD (the first packet's tuple), NAT, STATE (TCP),\n"
    "                AGE, IDLE, FWD-PACKETS, FWD-BYTES, REV-PACKETS, REV-BYTES; filters\n"
    "                --tenant, --service, --address, --limit. See 'svrctl help\n"
    "                sessions', also for show session UUID and clear session UUID.\n"
    "    sessions-clear\n"
    "                The last clear sessions job: its number, what it ends, running or\n"
    "                done, sessions cleared, table entries visited of those to visit, ms.\n"
    "    peers       SVR peer paths: PEER (router), PATH (the peer path id sent in\n"
    "                metadata), INTERFACE, LOCAL and REMOTE (waypoints), HMAC, MODE and\n"
    "                ENCRYPTION (the path's inter-router security policy), PEER-PORTS (the\n"
    "                waypoint ports the peer receives on; odd ones of them are used),\n"
    "                BFD (the path's liveness: up, down, init, admin-down; off: BFD\n"
    "                disabled in the model, the path counts as up), FOR (seconds in that\n"
    "                state), DETECT-MS (how long without a BFD packet takes it down).\n"
    "                Then the keys from the key file: SECURITY-ID, NOT-BEFORE, ENCRYPTION\n"
    "                (has an encryption key), SENDING (the key this router signs with\n"
    "                now), and how often the file was reloaded. Key bytes are never shown.\n"
    "    events      The newest events the dataplane holds (path up/down, sessions\n"
    "                denied, limits hit, migrations, degraded mode, key rotation), one\n"
    "                JSON object a line, oldest first; then a line with the events\n"
    "                overwritten and the worker records suppressed since start.\n"
    "                svr-control's own (config, conductor) are in GET /api/v1/events.\n"
    "    ipfix       The IPFIX exporter (docs/telemetry.md): whether it exports, the\n"
    "                generation its settings come from, observation domain, enterprise\n"
    "                number, interim and template-refresh intervals, records taken from\n"
    "                the sessions and records lost because the backlog was full; then per\n"
    "                COLLECTOR (address:port/transport): STATE (up, connecting, down),\n"
    "                MESSAGES, RECORDS sent, DROPPED (records it could not take or that\n"
    "                were made while it was down), TEMPLATES sent, ERRORS, SESSIONS\n"
    "                (transport sessions: TCP connections, UDP sockets).\n"
    "    kernel      The kernel twins: NAMESPACE, RATE-PER-S, BURST, then NAME,\n"
    "                IFINDEX, UP, DOWN, RATE-LIMITED-UP, RATE-LIMITED-DOWN per twin\n"
    "                (see svrctl help kernel).\n"
    "    version     Dataplane version, instance, uptime, worker count, pid, and\n"
    "                svrctl's own version.\n"
    "\n"
    "EXAMPLES\n"
    "    svrctl show interfaces\n"
    "    svrctl --all show stats\n"
    "    svrctl --json show stats | jq '.drops[\"no-route\"]'\n"
    "    svrctl show sessions --address 198.18.1.2\n";

static const char help_kernel[] =
    "NAME\n"
    "    svrctl show kernel - the dataplane's kernel twins\n"
    "\n"
    "SYNOPSIS\n"
    "    svrctl [--instance NAME | --socket PATH] [--json] show kernel\n"
    "\n"
    "DESCRIPTION\n"
    "    With a \"kernel\" section in its startup file, the dataplane gives each of\n"
    "    its interfaces a twin: a persistent TAP device of the same name, MAC and\n"
    "    MTU in the router's kernel namespace. Packets for the router that the\n"
    "    dataplane does not answer itself (anything but ICMP echo, ARP and neighbour\n"
    "    discovery) go up to the kernel through the twin of the interface they came\n"
    "    in by, when the router's exception policy admits them; ARP and neighbour\n"
    "    discovery for the router are copied up as well. What the kernel sends on a\n"
    "    twin goes out of its interface. Each twin is rate-limited in each direction\n"
    "    (kernel.rate-per-s frames a second, kernel.burst at once).\n"
    "\n"
    "    First the settings: NAMESPACE (\"-\": the dataplane's own), RATE-PER-S and\n"
    "    BURST; then one row per twin:\n"
    "\n"
    "      NAME               the twin's name, the interface's\n"
    "      IFINDEX            its interface index in the namespace\n"
    "      UP                 frames written to it (packets for the kernel and\n"
    "                         ARP/ND copies)\n"
    "      DOWN               frames the kernel sent on it, sent out of the interface\n"
    "      RATE-LIMITED-UP    frames for the kernel over the twin's rate, dropped\n"
    "      RATE-LIMITED-DOWN  frames from the kernel over the twin's rate, dropped\n"
    "\n"
    "    Packets the exception policy keeps from the kernel are counted under the\n"
    "    drop reason host-access-denied of show stats; those over a rate under\n"
    "    kernel-rate-limited, and the events kernel-up and kernel-down count the\n"
    "    frames of all twins. Without twins, \"kernel twins off\" is printed.\n"
    "\n"
    "    --json prints the control socket's answer: {\"enabled\": BOOL, \"namespace\":\n"
    "    NAME or null, \"rate-per-s\": N, \"burst\": N, \"twins\": [{\"name\",\n"
    "    \"ifindex\", \"up\", \"down\", \"rate-limited-up\", \"rate-limited-down\"}]}.\n"
    "\n"
    "EXAMPLES\n"
    "    svrctl show kernel\n"
    "    ip netns exec $(svrctl --json show kernel | jq -r .namespace) ip addr\n";

static const char help_capture[] =
    "NAME\n"
    "    svrctl capture - capture packets on a router interface\n"
    "\n"
    "SYNOPSIS\n"
    "    svrctl [--instance NAME | --socket PATH] capture INTERFACE [-c N] [-w FILE]\n"
    "           [--snaplen BYTES] [--buffer PACKETS]\n"
    "\n"
    "DESCRIPTION\n"
    "    Captures the frames the dataplane receives on INTERFACE (a router interface\n"
    "    of the model, as show interfaces lists it) and the frames it sends there,\n"
    "    while it forwards, with their VLAN tag. Only the interface's VLAN is\n"
    "    captured. Without -w, one line per packet, like tcpdump -n:\n"
    "\n"
    "      15:04:02.118230 rx 198.18.1.2 > 198.18.2.2: UDP 40312 > 53, length 74\n"
    "\n"
    "      time (local, microseconds), rx (received) or tx (sent), addresses, the\n"
    "      protocol (ICMP/ICMP6 echo with id and sequence, TCP/UDP ports, ARP, or\n"
    "      the ethertype), the frame's length on the wire.\n"
    "\n"
    "    With -w FILE the packets go to FILE as a classic pcap file (Ethernet,\n"
    "    microsecond timestamps) for tcpdump -r, tshark -r or Wireshark; FILE is\n"
    "    written by svrctl, with your permissions. The file is complete when svrctl\n"
    "    ends: after -c packets, or on Ctrl-C (SIGINT) or SIGTERM, which stop the\n"
    "    capture cleanly. The last line on standard error says how many packets were\n"
    "    captured and how many were not.\n"
    "\n"
    "    The capture costs forwarding a copy of each captured frame's first bytes and\n"
    "    never makes it wait: each worker has a bounded ring of packets for svrctl to\n"
    "    read. When svrctl (or the terminal) cannot keep up, the ring fills and\n"
    "    further packets are forwarded but not captured; they are counted (the\n"
    "    summary on standard error, and the capture-dropped event of show stats).\n"
    "    Nothing is installed in the dataplane while no capture runs. One capture\n"
    "    runs at a time per dataplane; one whose svrctl was killed ends by itself\n"
    "    after 5 s.\n"
    "    Timestamps are those of the packet's receive or send burst in the dataplane.\n"
    "\n"
    "OPTIONS\n"
    "    -c, --count N\n"
    "        Stop after N packets (1-1000000000). Default: until interrupted.\n"
    "    -w, --write FILE\n"
    "        Write a pcap file instead of printing lines (\"-\": standard output, for a\n"
    "        pipe into tcpdump -r - or tshark -r -).\n"
    "    --snaplen BYTES\n"
    "        Keep at most BYTES of each packet, 64-2048 (default 2048: whole frames\n"
    "        of a 1500-byte MTU).\n"
    "    --buffer PACKETS\n"
    "        Packets each worker's ring holds, 8-8192, rounded up to a power of two\n"
    "        (default 512). Larger rings lose fewer packets in bursts and take more\n"
    "        memory (about 2 KiB per packet and worker).\n"
    "    -t, --timeout SECONDS\n"
    "        Give up on one request to the dataplane after SECONDS (default 5); the\n"
    "        capture itself has no time limit.\n"
    "\n"
    "EXIT STATUS\n"
    "    0 the capture ran (including an end by Ctrl-C); 1 the dataplane refused\n"
    "    it (no such interface, another capture running), FILE cannot be written,\n"
    "    or an unusable answer; 2 usage error; 3 cannot connect.\n"
    "\n"
    "EXAMPLES\n"
    "    svrctl capture lan\n"
    "    svrctl --instance r1 capture wan -c 100 -w wan.pcap\n"
    "    svrctl capture lan -w - | tshark -r - -Y 'tcp.flags.syn == 1'\n"
    "    svrctl capture lan --snaplen 128 --buffer 4096 -w lan.pcap\n";

static const char help_sessions[] =
    "NAME\n"
    "    svrctl sessions - list, inspect and end the dataplane's sessions\n"
    "\n"
    "SYNOPSIS\n"
    "    svrctl [--instance NAME | --socket PATH] [--json] show sessions [--tenant NAME]\n"
    "           [--service NAME] [--address IP] [--limit N]\n"
    "    svrctl [--instance NAME | --socket PATH] [--json] show session UUID [--why]\n"
    "    svrctl [--instance NAME | --socket PATH] [--json] clear session UUID\n"
    "    svrctl [--instance NAME | --socket PATH] [--json] clear sessions --all |\n"
    "           [--tenant NAME] [--service NAME] [--address IP] [--wait]\n"
    "    svrctl [--instance NAME | --socket PATH] [--json] show sessions-clear\n"
    "\n"
    "    --why: instead of the session, what the policy in force decides for its first\n"
    "    packet and why (tenant, service, access rule, policy, route and peer paths), and\n"
    "    whether that differs from what the session got (docs/telemetry.md \"Why\"; each\n"
    "    line is in svrctl help why).\n"
    "\n"
    "DESCRIPTION\n"
    "    A session is a flow the dataplane admitted: its first packet was classified\n"
    "    (tenant, service, access policy) and, with NAT, given its translation; later\n"
    "    packets in either direction follow that decision. A session ends when it has\n"
    "    been idle for its timeout, or when it is cleared.\n"
    "\n"
    "    show sessions prints a summary line, then one line per session:\n"
    "\n"
    "      Sessions: 2 in use (limit 65536, capacity 65536), 1 half-open TCP; since\n"
    "      start 40 created, 37 aged out, 1 cleared\n"
    "\n"
    "      Sessions     in use; the limit of the policy in force and the table's\n"
    "                   capacity; half-open TCP sessions (syn-sent, not yet established);\n"
    "                   since the dataplane started: created, aged out (idle past\n"
    "                   their timeout) and cleared\n"
    "      UUID         the first 8 characters of the session's UUID\n"
    "      PROTO        tcp, udp, icmp, icmpv6 or the protocol number\n"
    "      TENANT       the source's tenant (\"-\": none)\n"
    "      SERVICE      the service the destination matched (\"-\": none)\n"
    "      FORWARD      the first packet as received: SOURCE:PORT -> DESTINATION:PORT\n"
    "                   (IPv6: [ADDRESS]:PORT; ICMP echo: SOURCE -> DESTINATION id N)\n"
    "      NAT          what the router sends instead: \"via ADDRESS:PORT\" (new source),\n"
    "                   \"to ADDRESS:PORT\" (new destination); \"-\": no NAT\n"
    "      STATE        TCP: syn-sent, established or closing; \"-\" for other protocols\n"
    "      AGE, IDLE    since the first packet, since the last one (s, m, h, d)\n"
    "      FWD-PACKETS, FWD-BYTES, REV-PACKETS, REV-BYTES\n"
    "                   counted each way: forward as the first packet, reverse the\n"
    "                   replies\n"
    "\n"
    "    The filters combine: --tenant NAME, --service NAME, --address IP (a source or\n"
    "    destination of either direction, so a NAT address matches too). The dataplane\n"
    "    answers in pages of up to 1000 sessions; svrctl follows them until --limit\n"
    "    sessions (default 1000) are listed, and says so when more may follow. The\n"
    "    table changes while it is read: a session may end, or begin, between pages.\n"
    "\n"
    "    show session UUID prints one session: protocol and IP version, tenant,\n"
    "    service, TCP state, NAT, age, idle time and the idle timeout, then for each\n"
    "    direction the tuple as received, as sent (with NAT), packets and bytes.\n"
    "\n"
    "    clear session UUID ends the session now; its next packet is a first packet\n"
    "    again, classified under the policy in force.\n"
    "\n"
    "    clear sessions ends, the same way, every session the filters select (as for\n"
    "    show sessions: --tenant, --service, --address, combined), or every session\n"
    "    with --all, which is required when no filter is given. Use it after a policy\n"
    "    change, so that long-lived flows face the new policy now. The dataplane runs\n"
    "    it as a job, a slice of the table per turn of its main loop (forwarding and\n"
    "    BFD go on), at most as fast as the IPFIX exporter takes the end records;\n"
    "    svrctl prints the job's number and returns. --wait polls until the job is\n"
    "    done and prints how many sessions it ended; interrupting svrctl leaves the\n"
    "    job running.\n"
    "    show sessions-clear prints the last job: running or done, sessions cleared,\n"
    "    table entries visited of those in use when it started. One job at a time:\n"
    "    while one runs, another is refused (exit 1). A session that begins while a\n"
    "    job runs may be ended by it or not.\n"
    "\n"
    "    UUID is the whole UUID (8-4-4-4-12 hexadecimal digits) or its first\n"
    "    characters, at least 4, as the UUID column shows them, provided only one\n"
    "    live session's UUID starts with them.\n"
    "\n"
    "    --json prints, for show sessions, {\"summary\": ..., \"sessions\": [...],\n"
    "    \"next\": N} with the sessions of every page (next is 0 unless --limit cut the\n"
    "    list short); for show session the session; for clear session\n"
    "    {\"cleared\": UUID}; for clear sessions and show sessions-clear the job\n"
    "    {\"job\": N, \"done\": BOOL, \"filter\": {...}, \"entries\": N, \"visited\": N,\n"
    "    \"cleared\": N, ...} (with --wait, once done). The shapes are in\n"
    "    include/svr/ctlsock.h; the REST API has the same under /api/v1/sessions\n"
    "    (DELETE /api/v1/sessions and GET /api/v1/sessions-clear for clear sessions).\n"
    "\n"
    "EXIT STATUS\n"
    "    0 success; 1 no live session has the UUID (or several start with the given\n"
    "    characters), a clear sessions job is already running, or the dataplane\n"
    "    answered an error; 2 usage error (e.g. not a UUID, a bad --address or\n"
    "    --limit, clear sessions with neither a filter nor --all); 3 cannot connect.\n"
    "\n"
    "EXAMPLES\n"
    "    svrctl show sessions\n"
    "    svrctl show sessions --tenant lab --service web\n"
    "    svrctl show sessions --address 2001:db8:1::2 --limit 50000\n"
    "    svrctl show session 3f2a9c1e\n"
    "    svrctl clear session 3f2a9c1e-7b4d-4c2a-9e1f-0a1b2c3d4e5f\n"
    "    svrctl --json show sessions --service web | jq -r '.sessions[].uuid'\n";

static const char help_why[] =
    "NAME\n"
    "    svrctl why - what the policy in force would do with a first packet, and why\n"
    "\n"
    "SYNOPSIS\n"
    "    svrctl [--instance NAME | --socket PATH] [--json] [--timeout SECONDS]\n"
    "           why PROTOCOL SOURCE[:PORT] DESTINATION[:PORT] --interface NAME\n"
    "    svrctl [--instance NAME | --socket PATH] [--json] show session UUID --why\n"
    "\n"
    "DESCRIPTION\n"
    "    why asks the dataplane (its control socket's \"why\") what it would decide for the\n"
    "    first packet of a flow from SOURCE to DESTINATION coming in by router interface\n"
    "    NAME, decision by decision, with the policy it runs now. It is a question, not\n"
    "    a test packet: nothing is created or counted (no session, no counter, no rate\n"
    "    spent), so it is safe before and after a change. It takes the packet for one\n"
    "    that may start a session (a TCP SYN), and does not evaluate limits that depend\n"
    "    on the counts of the moment (per source, half-open, max-sessions, rate). show\n"
    "    session UUID --why asks the same for a live session's first packet (see svrctl\n"
    "    help sessions).\n"
    "\n"
    "    PROTOCOL     tcp, udp, icmp, icmpv6, or an IP protocol number 0-255\n"
    "    SOURCE, DESTINATION\n"
    "                 an IPv4 or IPv6 address (one version for both), with an optional\n"
    "                 port: 198.18.1.2:40312, [2001:db8::2]:443; an IPv6 address with a\n"
    "                 port needs brackets. An omitted port is 0. ICMP echo: the\n"
    "                 identifier goes in the source port.\n"
    "    --interface NAME\n"
    "                 the router interface the packet would come in by, as show\n"
    "                 interfaces lists it (required)\n"
    "\n"
    "    The answer, one decision a line:\n"
    "\n"
    "      verdict:   allowed\n"
    "      tenant:    lab (a member prefix /24 of neighborhood lan-net)\n"
    "      service:   web (its prefix /32, a transport names the port)\n"
    "      access:    allow by web/access[0]\n"
    "      policy:    gold\n"
    "      route:     peer\n"
    "      leaves by: wan\n"
    "      nat:       destination -> 203.0.113.2, source -> 203.0.113.1 (the chosen\n"
    "                 path's waypoints: the peer's, ours)\n"
    "      PEER  PATH      COST  USABLE  WITHIN-SLA  WHY\n"
    "      r2    dc/wan1     10  yes     yes         chosen\n"
    "\n"
    "      verdict    allowed; local (addressed to this router itself); or refused with\n"
    "                 its reason and what it means: no-service, access-denied,\n"
    "                 access-no-rule, service-route-peer (a peer route with no path its\n"
    "                 policy may take, an IPv6 packet, or a session from a peer),\n"
    "                 sla-no-path, degraded-blocked, svr-no-key, nat-family, no-route,\n"
    "                 ip4-directed-broadcast, svr-service-mismatch (the drop reasons of\n"
    "                 show stats)\n"
    "      arrived    a session that came over SVR from a peer (by UUID only): the peer,\n"
    "                 the path, and the tuple its metadata carried\n"
    "      tenant     the source's: by a member prefix of one of the interface's\n"
    "                 neighborhoods, the interface's own, named by the peer's metadata,\n"
    "                 or none\n"
    "      service    the destination's, by its prefix and, when a transport names the\n"
    "                 port, that transport; none refuses. From a peer: the one its\n"
    "                 metadata named, which the tuple must also be here\n"
    "      access     allow with the rule that admitted it, deny-rule with the rule that\n"
    "                 refused it, or no-rule (denied by default); rules are named\n"
    "                 SERVICE/access[N], N counting from 0 in the model\n"
    "      policy     the service policy\n"
    "      route      routing (the forwarding table), next-hop by an interface, a NAT\n"
    "                 target, or peer\n"
    "      leaves by  the interface the packet would leave by; none when it would not\n"
    "                 leave (local, or no route)\n"
    "      nat        what the router would write instead of the destination and the\n"
    "                 source: a source NAT also takes a free port of 1024-65535 (TCP,\n"
    "                 UDP; ICMP: the echo identifier); over SVR both are the chosen peer\n"
    "                 path's waypoints; none\n"
    "      paths      over SVR, each peer path, best first (those its policy never takes\n"
    "                 last): COST (a number, unlisted, or never), USABLE (BFD up, past\n"
    "                 its hold-down), WITHIN-SLA, and WHY it was chosen for new sessions\n"
    "                 or lost: down or in its hold-down, outside the SLA, ranked after\n"
    "                 the chosen one, second leg (resiliency duplicate), never\n"
    "      session    show session UUID --why: the tenant, service, access rule and\n"
    "                 interface it was given when it began, the path it is on now (over\n"
    "                 SVR; it keeps it while the path serves), and whether the policy in\n"
    "                 force would now refuse it or admit it otherwise\n"
    "\n"
    "    Lines the dataplane does not answer for are left out (a refused packet stops at\n"
    "    its reason). --json prints the answer's \"data\" as it is (include/svr/ctlsock.h,\n"
    "    docs/telemetry.md \"Why\"); the REST API has it as GET /api/v1/why.\n"
    "\n"
    "EXIT STATUS\n"
    "    0 an answer, whatever its verdict (refused is an answer, not a failure: test\n"
    "    the verdict with --json and jq); 1 the dataplane refused the question (no\n"
    "    interface of that name in the policy in force, no policy yet) or the answer was\n"
    "    unusable; for show session UUID --why also: no live session of that UUID, or\n"
    "    one the router cannot tell about (the interface it came in by is gone; from a\n"
    "    peer, through this router's NAT, its original tuple no longer kept); 2 usage\n"
    "    error (a missing --interface, a bad protocol, address or\n"
    "    port, addresses of two IP versions); 3 cannot connect.\n"
    "\n"
    "EXAMPLES\n"
    "    svrctl why tcp 198.18.1.2 198.18.2.2:443 --interface lan\n"
    "    svrctl why udp 198.18.1.2:5353 198.18.2.53:53 --interface lan\n"
    "    svrctl why icmpv6 2001:db8:1::2 2001:db8:2::2 --interface lan\n"
    "    svrctl why tcp [2001:db8:1::2]:40000 [2001:db8:2::2]:443 --interface lan\n"
    "    svrctl --instance r1 why 47 198.18.1.2 198.18.9.1 --interface wan\n"
    "    svrctl --json why tcp 198.18.1.2 198.18.2.2:80 --interface lan | jq -r .verdict\n";

/* ------------------------------------------------------------- tables -- */

struct col {
	const char *head;
	bool right; /* numbers are right-aligned */
};

struct table {
	const struct col *cols;
	size_t ncols;
	bool headless; /* key/value lists need no header row */
	char **cells;  /* row-major, ncols per row */
	size_t ncells, cap;
};

static void tab_init(struct table *t, const struct col *cols, size_t ncols)
{
	memset(t, 0, sizeof(*t));
	t->cols = cols;
	t->ncols = ncols;
}

static void tab_add(struct table *t, const char *s)
{
	if (t->ncells == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->cells = xrealloc(t->cells, t->cap * sizeof(*t->cells));
	}
	t->cells[t->ncells++] = xstrdup(s && *s ? s : "-");
}

static void tab_addf(struct table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void tab_addf(struct table *t, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	tab_add(t, buf);
}

/* Display width: count UTF-8 code points so a non-ASCII name does not skew columns. */
static size_t text_width(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static void print_cell(const char *s, size_t width, bool right, bool last)
{
	size_t pad = width - text_width(s);
	if (right)
		printf("%*s%s", (int)pad, "", s);
	else if (last)
		fputs(s, stdout); /* no trailing blanks */
	else
		printf("%s%*s", s, (int)pad, "");
}

static void tab_print(const struct table *t)
{
	size_t width[t->ncols];
	for (size_t c = 0; c < t->ncols; c++)
		width[c] = text_width(t->cols[c].head);
	for (size_t i = 0; i < t->ncells; i++) {
		size_t w = text_width(t->cells[i]);
		if (w > width[i % t->ncols])
			width[i % t->ncols] = w;
	}
	for (size_t c = 0; c < t->ncols && !t->headless; c++) {
		print_cell(t->cols[c].head, width[c], t->cols[c].right, c + 1 == t->ncols);
		fputs(c + 1 == t->ncols ? "\n" : "  ", stdout);
	}
	for (size_t i = 0; i < t->ncells; i++) {
		size_t c = i % t->ncols;
		print_cell(t->cells[i], width[c], t->cols[c].right, c + 1 == t->ncols);
		fputs(c + 1 == t->ncols ? "\n" : "  ", stdout);
	}
}

static void tab_free(struct table *t)
{
	for (size_t i = 0; i < t->ncells; i++)
		free(t->cells[i]);
	free(t->cells);
}

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------- value formatting -- */

/* Any JSON scalar as table text; a missing or odd value shows as "-". */
static void tab_add_json(struct table *t, const json_t *v)
{
	if (json_is_integer(v))
		tab_addf(t, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		tab_addf(t, "%.0f", json_real_value(v));
	else if (json_is_string(v))
		tab_add(t, json_string_value(v));
	else if (json_is_true(v))
		tab_add(t, "yes");
	else if (json_is_false(v))
		tab_add(t, "no");
	else
		tab_add(t, "-");
}

static void tab_add_key(struct table *t, const json_t *obj, const char *key)
{
	tab_add_json(t, json_object_get(obj, key));
}

/* One row per object of rows, one column per key (cols and keys side by side), printed. */
static void tab_print_rows(const json_t *rows, const struct col *cols, const char *const *keys,
			   size_t ncols)
{
	struct table t;
	size_t i;
	const json_t *o;
	tab_init(&t, cols, ncols);
	json_array_foreach (rows, i, o)
		for (size_t k = 0; k < ncols; k++)
			tab_add_key(&t, o, keys[k]);
	tab_print(&t);
	tab_free(&t);
}

static void tab_add_speed(struct table *t, const json_t *v)
{
	/* 0 is DPDK's "none" and UINT32_MAX its "unknown". */
	if (!json_is_integer(v) || json_integer_value(v) <= 0 ||
	    json_integer_value(v) >= (json_int_t)UINT32_MAX)
		tab_add(t, "-");
	else if (json_integer_value(v) % 1000 == 0)
		tab_addf(t, "%" JSON_INTEGER_FORMAT "G", json_integer_value(v) / 1000);
	else
		tab_addf(t, "%" JSON_INTEGER_FORMAT "M", json_integer_value(v));
}

static void tab_add_vlan(struct table *t, const json_t *v)
{
	if (json_is_integer(v) && json_integer_value(v) == 0)
		tab_add(t, "-");
	else
		tab_add_json(t, v);
}

static void heading(bool *first, const char *title)
{
	if (!*first)
		putchar('\n');
	*first = false;
	if (title)
		printf("%s\n", title);
}

static void bad_shape(const char *cmd, const char *what)
{
	die(EXIT_DP_ERROR, "unexpected answer to '%s': %s (try --json to see it)", cmd, what);
}

static const json_t *want_array(const json_t *data, const char *cmd)
{
	if (!json_is_array(data))
		bad_shape(cmd, "\"data\" is not an array");
	return data;
}

static void show_empty(const char *what)
{
	printf("no %s\n", what);
}

/* "key: value" lines, one per key of o, aligned (a missing key shows as "-"). */
static void print_key_values(const json_t *o, const char *const *keys, size_t n)
{
	static const struct col cols[] = {{"", false}, {"", false}};
	struct table t;
	tab_init(&t, cols, NCOLS(cols));
	t.headless = true;
	for (size_t i = 0; i < n; i++) {
		tab_addf(&t, "%s:", keys[i]);
		tab_add_key(&t, o, keys[i]);
	}
	tab_print(&t);
	tab_free(&t);
}

/* ------------------------------------------------------------ objects -- */

static void print_ports(const json_t *data)
{
	static const struct col info_cols[] = {
	    {"ID", true},    {"NAME", false}, {"DEVICE", false}, {"MAC", false}, {"LINK", false},
	    {"SPEED", true}, {"RXQ", true},   {"TXQ", true},     {"MTU", true},  {"RSS", false},
	};
	static const struct col ctr_cols[] = {
	    {"ID", true},         {"RX-PACKETS", true}, {"RX-BYTES", true},
	    {"TX-PACKETS", true}, {"TX-BYTES", true},   {"RX-MISSED", true},
	    {"RX-ERRORS", true},  {"TX-ERRORS", true},  {"RX-NOMBUF", true},
	};
	static const char *const ctr_keys[] = {"rx-packets", "rx-bytes",  "tx-packets",
					       "tx-bytes",   "rx-missed", "rx-errors",
					       "tx-errors",  "rx-nombuf"};
	struct table info, ctr;
	size_t i;
	const json_t *p;

	want_array(data, "ports");
	if (json_array_size(data) == 0) {
		show_empty("ports");
		return;
	}
	tab_init(&info, info_cols, NCOLS(info_cols));
	tab_init(&ctr, ctr_cols, NCOLS(ctr_cols));
	json_array_foreach (data, i, p) {
		tab_add_key(&info, p, "id");
		tab_add_key(&info, p, "name");
		tab_add_key(&info, p, "device");
		tab_add_key(&info, p, "mac");
		tab_add_key(&info, p, "link");
		tab_add_speed(&info, json_object_get(p, "speed-mbps"));
		tab_add_key(&info, p, "rx-queues");
		tab_add_key(&info, p, "tx-queues");
		tab_add_key(&info, p, "mtu");
		tab_add_key(&info, p, "rss");
		tab_add_key(&ctr, p, "id");
		for (size_t k = 0; k < NCOLS(ctr_keys); k++)
			tab_add_key(&ctr, p, ctr_keys[k]);
	}
	tab_print(&info);
	putchar('\n');
	tab_print(&ctr);
	tab_free(&info);
	tab_free(&ctr);
}

static void print_interfaces(const json_t *data)
{
	static const struct col cols[] = {
	    {"NAME", false}, {"INDEX", true}, {"PORT", true},       {"VLAN", true},
	    {"MAC", false},  {"MTU", true},   {"ADDRESSES", false},
	};
	struct table t;
	size_t i;
	const json_t *ifc;

	want_array(data, "interfaces");
	if (json_array_size(data) == 0) {
		show_empty("interfaces");
		return;
	}
	tab_init(&t, cols, NCOLS(cols));
	json_array_foreach (data, i, ifc) {
		const json_t *addrs = json_object_get(ifc, "addresses");
		size_t n = json_array_size(addrs); /* 0 when not an array */

		tab_add_key(&t, ifc, "name");
		tab_add_key(&t, ifc, "index");
		tab_add_key(&t, ifc, "port");
		tab_add_vlan(&t, json_object_get(ifc, "vlan"));
		tab_add_key(&t, ifc, "mac");
		tab_add_key(&t, ifc, "mtu");
		tab_add_json(&t, n ? json_array_get(addrs, 0) : NULL);
		/* Further addresses go on continuation rows, one per line. */
		for (size_t a = 1; a < n; a++) {
			for (int c = 0; c < 6; c++)
				tab_add(&t, " ");
			tab_add_json(&t, json_array_get(addrs, a));
		}
	}
	tab_print(&t);
	tab_free(&t);
}

static bool counter_is_zero(const json_t *v)
{
	return (json_is_integer(v) && json_integer_value(v) == 0) ||
	       (json_is_real(v) && json_real_value(v) == 0);
}

/*
 * Named counters (drops or events): the names svrctl knows first, in the
 * order of counters.h, then any the dataplane reports that svrctl does not
 * know yet, so a newer dataplane never hides a counter.
 */
struct named {
	const char *name;
	const char *help;
};

/* Every drop reason with its meaning (include/svr/counters.h): show stats, and why's reasons. */
#define DROP_NAMED(e, name, help) {name, help},
static const struct named drop_reasons[] = {SVR_DROP_REASONS(DROP_NAMED)};
#undef DROP_NAMED

static void print_named_counters(const json_t *obj, const struct named *known, size_t nknown,
				 const char *title, const char *head, bool with_help, bool all,
				 bool *first)
{
	const struct col cols[] = {
	    {head, false},
	    {with_help ? "PACKETS" : "COUNT", true},
	    {"MEANING", false},
	};
	struct table t;
	const char *key;
	const json_t *v;

	tab_init(&t, cols, with_help ? 3 : 2);
	for (size_t k = 0; k < nknown; k++) {
		v = json_object_get(obj, known[k].name);
		if (!v || (!all && counter_is_zero(v)))
			continue;
		tab_add(&t, known[k].name);
		tab_add_json(&t, v);
		if (with_help)
			tab_add(&t, known[k].help);
	}
	json_object_foreach ((json_t *)obj, key, v) {
		bool is_known = false;
		for (size_t k = 0; k < nknown && !is_known; k++)
			is_known = strcmp(key, known[k].name) == 0;
		if (is_known || (!all && counter_is_zero(v)))
			continue;
		tab_add(&t, key);
		tab_add_json(&t, v);
		if (with_help)
			tab_add(&t, "");
	}
	heading(first, NULL);
	if (t.ncells == 0) {
		printf("%s: none\n", title);
	} else {
		printf("%s%s\n", title, all ? "" : " (non-zero; --all lists every one)");
		tab_print(&t);
	}
	tab_free(&t);
}

static void print_stats(const json_t *data, bool all)
{
	static const struct col tot_cols[] = {
	    {"RX-PACKETS", true}, {"TX-PACKETS", true}, {"FORWARDED", true},
	    {"PUNTED", true},     {"DROPPED", true},
	};
	static const char *const tot_keys[] = {"rx-packets", "tx-packets", "forwarded", "punted",
					       "dropped"};
	static const struct col w_cols[] = {
	    {"LCORE", true},  {"RX-PACKETS", true}, {"TX-PACKETS", true},  {"FORWARDED", true},
	    {"PUNTED", true}, {"DROPPED", true},    {"BUSY-POLLS", true},  {"IDLE-POLLS", true},
	    {"SLEEPS", true}, {"SLEPT-US", true},   {"HMAC-PAIRED", true}, {"HMAC-SINGLE", true},
	};
	static const char *const w_keys[] = {"lcore",  "rx-packets", "tx-packets",  "forwarded",
					     "punted", "dropped",    "busy-polls",  "idle-polls",
					     "sleeps", "slept-us",   "hmac-paired", "hmac-single"};
#define EVENT_NAMED(e, name) {name, NULL},
	static const struct named events[] = {SVR_EVENTS(EVENT_NAMED)};
#undef EVENT_NAMED
	const json_t *totals, *workers, *dr, *ev;
	struct table t;
	bool first = true;

	if (!json_is_object(data))
		bad_shape("stats", "\"data\" is not an object");
	totals = json_object_get(data, "totals");
	workers = json_object_get(data, "workers");
	dr = json_object_get(data, "drops");
	ev = json_object_get(data, "events");
	if (!json_is_object(totals) || !json_is_array(workers) || !json_is_object(dr) ||
	    !json_is_object(ev))
		bad_shape("stats", "expected \"totals\", \"workers\", \"drops\" and \"events\"");

	heading(&first, "Totals");
	tab_init(&t, tot_cols, NCOLS(tot_cols));
	for (size_t k = 0; k < NCOLS(tot_keys); k++)
		tab_add_key(&t, totals, tot_keys[k]);
	tab_print(&t);
	tab_free(&t);

	heading(&first, "Workers");
	if (json_array_size(workers) == 0) {
		printf("no workers\n");
	} else {
		tab_print_rows(workers, w_cols, w_keys, NCOLS(w_cols));
	}

	print_named_counters(dr, drop_reasons, NCOLS(drop_reasons), "Drops", "REASON", true, all,
			     &first);
	print_named_counters(ev, events, NCOLS(events), "Events", "EVENT", false, all, &first);
}

static void print_neighbors(const json_t *data)
{
	static const struct col cols[] = {
	    {"ADDRESS", false}, {"INTERFACE", false}, {"MAC", false},
	    {"STATE", false},   {"AGE-S", true},      {"QUEUED", true},
	};
	static const char *const keys[] = {"address", "interface", "mac",
					   "state",   "age-s",     "queued"};

	want_array(data, "neighbors");
	if (json_array_size(data) == 0) {
		show_empty("neighbors");
		return;
	}
	tab_print_rows(data, cols, keys, NCOLS(cols));
}

static void print_routes(const json_t *data)
{
	static const struct col cols[] = {
	    {"PREFIX", false},    {"TYPE", false},   {"GATEWAY", false},
	    {"INTERFACE", false}, {"ORIGIN", false},
	};
	static const char *const keys[] = {"prefix", "type", "gateway", "interface", "origin"};

	want_array(data, "routes");
	if (json_array_size(data) == 0) {
		show_empty("routes");
		return;
	}
	tab_print_rows(data, cols, keys, NCOLS(cols));
}

/* The kernel's name of a routing protocol number (rtnetlink.h, and iproute2's rt_protos). */
static const char *route_proto_name(json_int_t p)
{
	switch (p) {
	case 2:
		return "kernel";
	case 3:
		return "boot";
	case 4:
		return "static";
	case 16:
		return "dhcp";
	case 186:
		return "bgp";
	case 187:
		return "isis";
	case 188:
		return "ospf";
	case 189:
		return "rip";
	case 192:
		return "eigrp";
	default:
		return NULL;
	}
}

/* show kernel-routes: the mirror's counters, then the routes it holds. */
static void print_kernel_routes(const json_t *data)
{
	static const char *const keys[] = {"enabled",     "attached",       "capacity",
					   "routes",      "installed",      "shadowed-by-policy",
					   "changes",     "adds",           "deletes",
					   "listings",    "listings-asked", "refused",
					   "ring-broken", "batches",        "last-batch-changes"};
	static const struct col rcols[] = {
	    {"PREFIX", false}, {"GATEWAY", false}, {"INTERFACE", false}, {"TABLE", true},
	    {"METRIC", true},  {"PROTO", false},   {"INSTALLED", false}};
	const json_t *list = json_object_get(data, "list");
	if (!json_is_object(data) || !json_is_array(list))
		bad_shape("kernel-routes", "\"data\" is not an object with \"list\"");
	print_key_values(data, keys, NCOLS(keys));
	/* per kernel table the dataplane uses: the main one, those tenants are bound to */
	static const struct col tcols[] = {{"TABLE", true}, {"ROUTES", true}, {"INSTALLED", true}};
	const json_t *tables = json_object_get(data, "tables");
	static const char *const tkeys[] = {"table", "routes", "installed"};
	if (json_array_size(tables)) {
		printf("\n");
		tab_print_rows(tables, tcols, tkeys, NCOLS(tcols));
	}
	if (json_array_size(list) == 0)
		return;
	printf("\n");
	struct table t;
	tab_init(&t, rcols, NCOLS(rcols));
	size_t i;
	const json_t *r;
	json_array_foreach (list, i, r) {
		json_int_t proto = json_integer_value(json_object_get(r, "proto"));
		const char *pn = route_proto_name(proto);
		tab_add_key(&t, r, "prefix");
		tab_add_key(&t, r, "gateway");
		tab_add_key(&t, r, "interface");
		tab_add_key(&t, r, "table");
		tab_add_key(&t, r, "metric");
		if (pn)
			tab_addf(&t, "%s", pn);
		else
			tab_addf(&t, "%lld", (long long)proto);
		tab_addf(&t, "%s", json_is_true(json_object_get(r, "installed")) ? "yes" : "no");
	}
	tab_print(&t);
	tab_free(&t);
	if (json_is_true(json_object_get(data, "list-truncated")))
		printf("(the first %zu routes of %lld)\n", json_array_size(list),
		       (long long)json_integer_value(json_object_get(data, "routes")));
}

/* show events: each event as the compact JSON it is, then the queue's losses. */
static void print_events(const json_t *data)
{
	const json_t *list = json_object_get(data, "events");
	if (!json_is_array(list))
		bad_shape("events", "\"data\" lacks \"events\"");
	size_t i;
	const json_t *e;
	json_array_foreach (list, i, e) {
		char *line = json_dumps(e, JSON_COMPACT);
		if (!line)
			die(EXIT_DP_ERROR, "out of memory");
		printf("%s\n", line);
		free(line);
	}
	printf("(%zu event(s); overwritten since start %lld, worker records suppressed %lld)\n",
	       json_array_size(list),
	       (long long)json_integer_value(json_object_get(data, "overwritten")),
	       (long long)json_integer_value(json_object_get(data, "suppressed")));
}

static void print_version(const json_t *data)
{
	static const struct col cols[] = {{"", false}, {"", false}};
	const json_t *up = json_object_get(data, "uptime-s");
	struct table t;

	if (!json_is_object(data))
		bad_shape("version", "\"data\" is not an object");
	tab_init(&t, cols, NCOLS(cols));
	t.headless = true;
	tab_add(&t, "version:");
	tab_add_key(&t, data, "version");
	tab_add(&t, "instance:");
	tab_add_key(&t, data, "instance");
	tab_add(&t, "uptime:");
	if (json_is_integer(up) && json_integer_value(up) >= 0) {
		json_int_t s = json_integer_value(up);
		tab_addf(&t,
			 "%" JSON_INTEGER_FORMAT "d %02d:%02d:%02d (%" JSON_INTEGER_FORMAT " s)",
			 s / 86400, (int)(s / 3600 % 24), (int)(s / 60 % 60), (int)(s % 60), s);
	} else {
		tab_add_json(&t, up);
	}
	tab_add(&t, "workers:");
	tab_add_key(&t, data, "workers");
	tab_add(&t, "pid:");
	tab_add_key(&t, data, "pid");
	tab_add(&t, "svrctl:");
	tab_add(&t, SVR_VERSION);
	tab_print(&t);
	tab_free(&t);
}

/* The strings of a JSON array joined by ",", or what null means. */
static void tab_add_list(struct table *t, const json_t *list, const char *if_null)
{
	char buf[512] = "";
	size_t n = 0, i;
	const json_t *x;
	if (!json_is_array(list)) {
		tab_add(t, if_null);
		return;
	}
	json_array_foreach (list, i, x) {
		int w = snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? "," : "",
				 json_is_string(x) ? json_string_value(x) : "?");
		if (w < 0 || n + (size_t)w >= sizeof(buf))
			break;
		n += (size_t)w;
	}
	tab_add(t, buf);
}

/* The exception policy in force: what may reach the kernel (docs/routing.md). */
static void print_host_access(const json_t *rules)
{
	static const struct col cols[] = {
	    {"PROTOCOL", false}, {"PORT", false}, {"FROM", false}, {"INTERFACES", false}};
	if (!json_is_array(rules))
		return; /* an older dataplane */
	if (json_array_size(rules) == 0) {
		printf("host-access: none (nothing reaches the kernel)\n");
		return;
	}
	printf("host-access (what may reach the kernel; a port is the destination's, or a tcp "
	       "answer's source):\n");
	struct table t;
	tab_init(&t, cols, NCOLS(cols));
	size_t i;
	const json_t *r;
	json_array_foreach (rules, i, r) {
		tab_add_key(&t, r, "protocol");
		const json_t *port = json_object_get(r, "port");
		tab_add(&t, json_is_string(port) ? json_string_value(port) : "any");
		tab_add_list(&t, json_object_get(r, "from"), "connected");
		tab_add_list(&t, json_object_get(r, "interfaces"), "all");
	}
	tab_print(&t);
	tab_free(&t);
}

/* The policy generation in force and what the dataplane made of the images it received. */
static void print_policy(const json_t *data)
{
	static const char *const keys[] = {
	    "generation",  "router",  "interfaces",     "services",        "tenants",
	    "image-bytes", "channel", "images-applied", "images-rejected", "last-error"};
	if (!json_is_object(data))
		bad_shape("policy", "\"data\" is not an object");
	print_key_values(data, keys, NCOLS(keys));
	print_host_access(json_object_get(data, "host-access"));
}

/* The kernel twins: the settings, then one line per twin. */
static void print_kernel(const json_t *data)
{
	static const struct col tcols[] = {
	    {"NAME", false}, {"IFINDEX", true},         {"UP", true},
	    {"DOWN", true},  {"RATE-LIMITED-UP", true}, {"RATE-LIMITED-DOWN", true}};
	static const char *const tkeys[] = {"name", "ifindex",         "up",
					    "down", "rate-limited-up", "rate-limited-down"};
	const json_t *twins = json_object_get(data, "twins");
	if (!json_is_object(data) || !json_is_array(twins))
		bad_shape("kernel", "\"data\" is not an object with \"twins\"");
	if (!json_is_true(json_object_get(data, "enabled"))) {
		printf("kernel twins off (no \"kernel\" section in the startup file)\n");
		return;
	}
	static const char *const keys[] = {"namespace", "rate-per-s", "burst"};
	print_key_values(data, keys, NCOLS(keys));
	putchar('\n');
	if (json_array_size(twins) == 0)
		show_empty("twins");
	else
		tab_print_rows(twins, tcols, tkeys, NCOLS(tcols));
}

/* The IPFIX exporter: its settings and counters, then one line per collector. */
static void print_ipfix(const json_t *data)
{
	static const struct col cols[] = {{"", false}, {"", false}};
	static const char *const keys[] = {"exporting", "generation", "records-taken",
					   "records-lost-backlog", "messages-built"};
	static const char *const skeys[] = {"observation-domain", "enterprise-number", "interim-s",
					    "template-refresh-s"};
	static const struct col ccols[] = {
	    {"COLLECTOR", false}, {"STATE", false},    {"MESSAGES", true}, {"RECORDS", true},
	    {"DROPPED", true},    {"TEMPLATES", true}, {"ERRORS", true},   {"SESSIONS", true}};
	static const char *const ckeys[] = {
	    "collector",       "state",     "messages", "records",
	    "records-dropped", "templates", "errors",   "transport-sessions"};
	const json_t *settings = json_object_get(data, "settings");
	const json_t *list = json_object_get(data, "collectors");
	struct table t;
	if (!json_is_object(data) || !json_is_array(list))
		bad_shape("ipfix", "\"data\" is not an object with \"collectors\"");
	tab_init(&t, cols, NCOLS(cols));
	t.headless = true;
	for (size_t i = 0; i < NCOLS(keys); i++) {
		tab_addf(&t, "%s:", keys[i]);
		tab_add_key(&t, data, keys[i]);
	}
	for (size_t i = 0; json_is_object(settings) && i < NCOLS(skeys); i++) {
		tab_addf(&t, "%s:", skeys[i]);
		tab_add_key(&t, settings, skeys[i]);
	}
	tab_print(&t);
	tab_free(&t);
	if (json_array_size(list) == 0)
		return;
	printf("\n");
	tab_init(&t, ccols, NCOLS(ccols));
	size_t i;
	const json_t *c;
	json_array_foreach (list, i, c)
		for (size_t k = 0; k < NCOLS(ckeys); k++)
			tab_add_key(&t, c, ckeys[k]);
	tab_print(&t);
	tab_free(&t);
}

/* SVR peer paths, then the key ring (ids and dates only). */
static void print_peers(const json_t *data)
{
	static const struct col pcols[] = {
	    {"PEER", false},       {"PATH", false}, {"INTERFACE", false}, {"LOCAL", false},
	    {"REMOTE", false},     {"HMAC", false}, {"MODE", false},      {"ENCRYPTION", false},
	    {"PEER-PORTS", false}, {"BFD", false},  {"FOR", true},        {"DETECT-MS", true},
	};
	static const char *const pkeys[] = {"peer",      "path",       "interface",
					    "local",     "remote",     "hmac",
					    "hmac-mode", "encryption", "peer-ports"};
	static const struct col kcols[] = {{"SECURITY-ID", true},
					   {"NOT-BEFORE", false},
					   {"ENCRYPTION", false},
					   {"SENDING", false}};
	static const char *const kkeys[] = {"security-id", "not-before", "encryption", "sending"};
	const json_t *paths = json_object_get(data, "paths");
	const json_t *sec = json_object_get(data, "security");
	const json_t *keys = json_object_get(sec, "keys");
	if (!json_is_array(paths) || !json_is_array(keys))
		bad_shape("peers", "\"data\" lacks \"paths\" or \"security\".\"keys\"");
	if (json_array_size(paths) == 0) {
		show_empty("peer paths");
	} else {
		/* the path's fields, then its liveness: BFD state, for how long, detection time */
		struct table t;
		size_t i;
		const json_t *o;
		tab_init(&t, pcols, NCOLS(pcols));
		json_array_foreach (paths, i, o) {
			const json_t *bfd = json_object_get(o, "bfd");
			const json_t *learned = json_object_get(bfd, "learned");
			for (size_t k = 0; k < NCOLS(pkeys); k++) {
				if (strcmp(pkeys[k], "remote") != 0 ||
				    !json_is_true(json_object_get(o, "remote-learned"))) {
					tab_add_key(&t, o, pkeys[k]);
					continue;
				}
				/* a peer behind NAT or on DHCP: where its BFD comes from */
				const char *a =
				    json_string_value(json_object_get(learned, "address"));
				if (a)
					tab_addf(
					    &t, "%s:%" JSON_INTEGER_FORMAT " (learned)", a,
					    json_integer_value(json_object_get(learned, "port")));
				else
					tab_add(&t, "(learning)");
			}
			if (!json_is_object(bfd)) {
				tab_add(&t, "off");
				tab_add(&t, "-");
				tab_add(&t, "-");
				continue;
			}
			tab_add_key(&t, bfd, "state");
			json_int_t since = json_integer_value(json_object_get(bfd, "since-ms"));
			tab_addf(&t, "%" JSON_INTEGER_FORMAT "s", since / 1000);
			json_int_t detect = json_integer_value(
			    json_object_get(json_object_get(bfd, "timers"), "detection-ms"));
			if (detect > 0)
				tab_addf(&t, "%" JSON_INTEGER_FORMAT, detect);
			else
				tab_add(&t, "-"); /* nothing heard from the peer yet */
		}
		tab_print(&t);
		tab_free(&t);
	}
	printf("\nKeys from %s (reloaded %" JSON_INTEGER_FORMAT " times):\n",
	       json_string_value(json_object_get(sec, "file")),
	       json_integer_value(json_object_get(sec, "reloads")));
	if (json_array_size(keys) == 0) {
		show_empty("keys");
		return;
	}
	tab_print_rows(keys, kcols, kkeys, NCOLS(kcols));
}

/* ---------------------------------------------------------- transport -- */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int ms_left(double deadline)
{
	double left = deadline - now_s();
	if (left <= 0)
		return 0;
	return (int)(left * 1000) + 1; /* round up: never poll(0) while time remains */
}

/* Names instances that have a socket, to help when the chosen one has none. */
static void list_instances(void)
{
	DIR *d = opendir(SVR_RUNTIME_DIR_DEFAULT);
	struct dirent *de;
	int found = 0;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char p[PATH_MAX];
		struct stat st;
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s/%s", SVR_RUNTIME_DIR_DEFAULT, de->d_name,
			 SVR_CTLSOCK_NAME);
		if (stat(p, &st) == 0 && S_ISSOCK(st.st_mode))
			fprintf(stderr, "%s %s",
				found++ ? "," : "  instances with a socket here:", de->d_name);
	}
	closedir(d);
	if (found)
		fputc('\n', stderr);
}

static void connect_failed(const char *path, int err, bool by_instance)
{
	struct stat st;

	fprintf(stderr, "%s: cannot connect to %s: %s\n", prog, path, strerror(err));
	if (err == ENOENT) {
		fprintf(stderr, "  the socket does not exist: is svr-dataplane running%s?\n",
			by_instance ? " for this instance" : "");
		if (by_instance)
			list_instances();
	} else if (err == EACCES || err == EPERM) {
		if (stat(path, &st) == 0)
			fprintf(stderr,
				"  permission denied: the socket is owned by uid %u with mode %04o;"
				" run svrctl as root or as that user\n",
				(unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
		else
			fprintf(stderr,
				"  permission denied on a directory of the path; run svrctl "
				"as root\n");
	} else if (err == ECONNREFUSED) {
		if (stat(path, &st) == 0 && !S_ISSOCK(st.st_mode))
			fprintf(stderr, "  the file exists but is not a socket\n");
		else
			fprintf(stderr, "  the socket exists but nothing listens on it: a stale "
					"socket from a dataplane that has exited?\n");
	} else if (err == ETIMEDOUT) {
		fprintf(stderr, "  the dataplane did not accept the connection in time; it may "
				"be stuck or very busy (see --timeout)\n");
	}
	fprintf(stderr, "  choose the router with --instance NAME (or SVR_INSTANCE) or give the "
			"socket path with --socket PATH\n");
	exit(EXIT_CONNECT);
}

static int ctl_connect(const char *path, double deadline, bool by_instance)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		usage_error("socket path too long (at most %zu bytes): %s", sizeof(sa.sun_path) - 1,
			    path);
	memcpy(sa.sun_path, path, strlen(path) + 1);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		die(EXIT_CONNECT, "socket: %s", strerror(errno));
	/* A non-blocking unix connect fails with EAGAIN while the backlog is full: retry. */
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EINPROGRESS)
			connect_failed(path, errno, by_instance);
		if (errno == EINPROGRESS) {
			struct pollfd pfd = {.fd = fd, .events = POLLOUT};
			int err = 0;
			socklen_t len = sizeof(err);
			if (poll(&pfd, 1, ms_left(deadline)) <= 0)
				connect_failed(path, ETIMEDOUT, by_instance);
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
			if (err)
				connect_failed(path, err, by_instance);
			break;
		}
		if (ms_left(deadline) == 0)
			connect_failed(path, ETIMEDOUT, by_instance);
		poll(NULL, 0, 10);
	}
	return fd;
}

static void send_all(int fd, const char *buf, size_t len, double deadline, const char *path)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd pfd = {.fd = fd, .events = POLLOUT};
			if (poll(&pfd, 1, ms_left(deadline)) <= 0)
				die(EXIT_DP_ERROR, "timed out sending the request to %s", path);
			continue;
		}
		die(EXIT_DP_ERROR, "sending the request to %s: %s", path, strerror(errno));
	}
}

/* Reads up to and including the first '\n'; returns a NUL-terminated line without it. */
static char *recv_line(int fd, double deadline, const char *path, const char *cmd)
{
	size_t cap = 65536, len = 0;
	char *buf = xrealloc(NULL, cap);

	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int r = poll(&pfd, 1, ms_left(deadline));
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			die(EXIT_DP_ERROR,
			    "no complete answer to '%s' from %s within the timeout (%zu bytes "
			    "received); the dataplane may be busy: try a longer --timeout",
			    cmd, path, len);
		if (r < 0)
			die(EXIT_DP_ERROR, "poll: %s", strerror(errno));

		if (cap - len < 4096) {
			if (cap >= MAX_RESPONSE)
				die(EXIT_DP_ERROR, "answer from %s exceeds %u MiB; giving up", path,
				    MAX_RESPONSE >> 20);
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		ssize_t n = recv(fd, buf + len, cap - len - 1, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			die(EXIT_DP_ERROR, "reading the answer from %s: %s", path, strerror(errno));
		if (n == 0) {
			/* Tolerate a peer that closes instead of sending the final '\n'. */
			if (len > 0)
				break;
			die(EXIT_DP_ERROR, "%s closed the connection without answering '%s'", path,
			    cmd);
		}
		char *nl = memchr(buf + len, '\n', (size_t)n);
		len += (size_t)n;
		if (nl) {
			len = (size_t)(nl - buf);
			break;
		}
	}
	buf[len] = '\0';
	return buf;
}

/* A connection to the control socket; requests may follow one another on it. */
struct ctl {
	int fd;
	const char *path;
	double timeout_s; /* for each request */
};

static void ctl_open(struct ctl *c, const char *path, bool by_instance, double timeout_s)
{
	c->path = path;
	c->timeout_s = timeout_s;
	c->fd = ctl_connect(path, now_s() + timeout_s, by_instance);
}

static void send_request(const struct ctl *c, const json_t *req, double deadline)
{
	char *txt = req ? json_dumps(req, JSON_COMPACT) : NULL;
	if (!txt)
		die(EXIT_DP_ERROR, "out of memory");
	size_t tlen = strlen(txt);
	txt = xrealloc(txt, tlen + 2);
	memcpy(txt + tlen, "\n", 2);
	send_all(c->fd, txt, tlen + 1, deadline, c->path);
	free(txt);
}

/*
 * Sends req (consumed) and returns the answer's "data". A refusal ({"ok": false})
 * returns NULL with the dataplane's sentence in *refusal (malloc'd) when refusal
 * is not NULL; otherwise it is printed and svrctl exits 1.
 */
static json_t *ctl_ask(const struct ctl *c, json_t *req, char **refusal)
{
	double deadline = now_s() + c->timeout_s;
	json_error_t jerr;
	char cmd[32];

	snprintf(cmd, sizeof(cmd), "%s", json_string_value(json_object_get(req, "cmd")));
	send_request(c, req, deadline);
	json_decref(req);
	char *line = recv_line(c->fd, deadline, c->path, cmd);
	json_t *resp = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
	if (!resp)
		die(EXIT_DP_ERROR, "answer to '%s' is not valid JSON (%s, at byte %d)", cmd,
		    jerr.text, jerr.position);
	free(line);
	json_t *ok = json_object_get(resp, "ok");
	if (!json_is_boolean(ok))
		die(EXIT_DP_ERROR, "answer to '%s' has no boolean \"ok\"", cmd);
	if (!json_is_true(ok)) {
		const char *msg = json_string_value(json_object_get(resp, "error"));
		msg = msg && *msg ? msg : "request failed (no error message given)";
		if (!refusal) {
			fprintf(stderr, "%s: dataplane: %s\n", prog, msg);
			exit(EXIT_DP_ERROR);
		}
		*refusal = xstrdup(msg);
		json_decref(resp);
		return NULL;
	}
	json_t *data = json_object_get(resp, "data");
	if (!data)
		die(EXIT_DP_ERROR, "answer to '%s' has \"ok\" true but no \"data\"", cmd);
	json_incref(data);
	json_decref(resp);
	return data;
}

/* One request on a connection of its own: {"cmd": cmd}, returns the "data". */
static json_t *request(const char *path, bool by_instance, const char *cmd, double timeout_s)
{
	struct ctl c;
	ctl_open(&c, path, by_instance, timeout_s);
	json_t *data = ctl_ask(&c, json_pack("{s:s}", "cmd", cmd), NULL);
	close(c.fd);
	return data;
}

/* --json: the value as indented JSON. */
static void print_json(const json_t *data)
{
	char *txt = json_dumps(data, JSON_INDENT(2) | JSON_ENCODE_ANY);
	if (!txt)
		die(EXIT_DP_ERROR, "out of memory");
	puts(txt);
	free(txt);
}

/* ------------------------------------------------------------ sessions -- */

#define SESSIONS_LIMIT_DEFAULT 1000
#define SESSIONS_LIMIT_MAX     1000000000LL
#define SESSIONS_PAGE          SVR_CTLSOCK_MAX_SESSIONS
#define UUID_LEN               36
#define UUID_PREFIX_MIN        4

/* How a protocol's tuple reads: with ports, with an ICMP echo identifier, or addresses only. */
enum tuple_kind { TUPLE_PORTS, TUPLE_ICMP, TUPLE_ADDRS };

static enum tuple_kind tuple_kind_of(const char *proto)
{
	if (proto && (strcmp(proto, "tcp") == 0 || strcmp(proto, "udp") == 0))
		return TUPLE_PORTS;
	if (proto && (strcmp(proto, "icmp") == 0 || strcmp(proto, "icmpv6") == 0))
		return TUPLE_ICMP;
	return TUPLE_ADDRS;
}

static json_int_t int_of(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key)); /* 0 when missing */
}

static const char *str_of(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "?";
}

/* "198.18.1.2:80", "[2001:db8::2]:80", or the address alone when ports mean nothing. */
static void endpoint_text(char *buf, size_t len, const char *addr, json_int_t port,
			  enum tuple_kind k)
{
	if (k != TUPLE_PORTS)
		snprintf(buf, len, "%s", addr);
	else if (strchr(addr, ':'))
		snprintf(buf, len, "[%s]:%" JSON_INTEGER_FORMAT, addr, port);
	else
		snprintf(buf, len, "%s:%" JSON_INTEGER_FORMAT, addr, port);
}

/* A tuple's kind: the session's, unless the tuple names a protocol of its own (over SVR, ICMP
 * and other protocols cross between the routers as UDP). */
static enum tuple_kind kind_of_tuple(const json_t *t, enum tuple_kind k)
{
	const char *own = json_string_value(json_object_get(t, "protocol"));
	return own ? tuple_kind_of(own) : k;
}

/* "SRC:SPORT -> DST:DPORT"; ICMP echo: "SRC -> DST id N" (the identifier is the source port);
 * "(udp)" after a tuple whose protocol is not the session's. */
static void tuple_text(char *buf, size_t len, const json_t *t, enum tuple_kind k)
{
	char a[64], b[64];
	const char *own = json_string_value(json_object_get(t, "protocol"));
	k = kind_of_tuple(t, k);
	endpoint_text(a, sizeof(a), str_of(t, "source"), int_of(t, "source-port"), k);
	endpoint_text(b, sizeof(b), str_of(t, "destination"), int_of(t, "destination-port"), k);
	int n;
	if (k == TUPLE_ICMP)
		n = snprintf(buf, len, "%s -> %s id %" JSON_INTEGER_FORMAT, a, b,
			     int_of(t, "source-port"));
	else
		n = snprintf(buf, len, "%s -> %s", a, b);
	if (own && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " (%s)", own);
}

static bool same_end(const json_t *x, const json_t *y, const char *addr, const char *port)
{
	return json_equal(json_object_get(x, addr), json_object_get(y, addr)) &&
	       json_equal(json_object_get(x, port), json_object_get(y, port));
}

/* What NAT makes of a direction: "via NEW-SOURCE", "to NEW-DESTINATION", both, or "". */
static void nat_text(char *buf, size_t len, const json_t *dir, enum tuple_kind k)
{
	const json_t *rx = json_object_get(dir, "received"), *tx = json_object_get(dir, "sent");
	char e[64];
	int n = 0;
	buf[0] = '\0';
	if (!json_is_object(tx))
		return;
	k = kind_of_tuple(tx, k);
	if (!same_end(rx, tx, "source", "source-port")) {
		endpoint_text(e, sizeof(e), str_of(tx, "source"), int_of(tx, "source-port"), k);
		n = snprintf(buf, len, "via %s", e);
		if (k == TUPLE_ICMP && int_of(tx, "source-port") != int_of(rx, "source-port"))
			n += snprintf(buf + n, len - (size_t)n, " id %" JSON_INTEGER_FORMAT,
				      int_of(tx, "source-port"));
	}
	if (!same_end(rx, tx, "destination", "destination-port") && (size_t)n < len) {
		endpoint_text(e, sizeof(e), str_of(tx, "destination"),
			      int_of(tx, "destination-port"), k);
		snprintf(buf + n, len - (size_t)n, "%sto %s", n ? " " : "", e);
	}
}

/* Seconds for people: 42s, 3m05s, 2h03m, 4d02h. */
static void duration_text(char *buf, size_t len, const json_t *v)
{
	long long s = json_is_integer(v) ? (long long)json_integer_value(v) : -1;
	if (s < 0)
		snprintf(buf, len, "-");
	else if (s < 60)
		snprintf(buf, len, "%llds", s);
	else if (s < 3600)
		snprintf(buf, len, "%lldm%02llds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%lldh%02lldm", s / 3600, s / 60 % 60);
	else
		snprintf(buf, len, "%lldd%02lldh", s / 86400, s / 3600 % 24);
}

static void tab_add_duration(struct table *t, const json_t *v)
{
	char buf[32];
	duration_text(buf, sizeof(buf), v);
	tab_add(t, buf);
}

static void print_sessions_summary(const json_t *sum)
{
	printf("Sessions: %" JSON_INTEGER_FORMAT " in use (limit %" JSON_INTEGER_FORMAT
	       ", capacity %" JSON_INTEGER_FORMAT "), %" JSON_INTEGER_FORMAT
	       " half-open TCP; since start %" JSON_INTEGER_FORMAT " created, %" JSON_INTEGER_FORMAT
	       " aged out, %" JSON_INTEGER_FORMAT " cleared\n",
	       int_of(sum, "in-use"), int_of(sum, "limit"), int_of(sum, "capacity"),
	       int_of(sum, "half-open-tcp"), int_of(sum, "created"), int_of(sum, "aged"),
	       int_of(sum, "cleared"));
	if (int_of(sum, "leaked") > 0) /* never seen so far: worth a line when it happens */
		printf("Warning: %" JSON_INTEGER_FORMAT
		       " session slots lost until restart (a worker's reclaim queue was full)\n",
		       int_of(sum, "leaked"));
}

/* One table row: the forward tuple and its NAT, counters both ways. */
static void add_session_row(struct table *t, const json_t *s)
{
	const char *proto = str_of(s, "protocol");
	enum tuple_kind k = tuple_kind_of(proto);
	const json_t *fwd = json_object_get(s, "forward"), *rev = json_object_get(s, "reverse");
	char buf[200];

	tab_addf(t, "%.8s", str_of(s, "uuid"));
	tab_add(t, proto);
	tab_add_key(t, s, "tenant");
	tab_add_key(t, s, "service");
	tuple_text(buf, sizeof(buf), json_object_get(fwd, "received"), k);
	tab_add(t, buf);
	nat_text(buf, sizeof(buf), fwd, k);
	tab_add(t, buf);
	tab_add_key(t, s, "tcp-state");
	tab_add_duration(t, json_object_get(s, "age-s"));
	tab_add_duration(t, json_object_get(s, "idle-s"));
	tab_add_key(t, fwd, "packets");
	tab_add_key(t, fwd, "bytes");
	tab_add_key(t, rev, "packets");
	tab_add_key(t, rev, "bytes");
}

static void print_sessions(const json_t *data, bool filtered, long long limit)
{
	static const struct col cols[] = {
	    {"UUID", false},     {"PROTO", false},      {"TENANT", false},   {"SERVICE", false},
	    {"FORWARD", false},  {"NAT", false},        {"STATE", false},    {"AGE", true},
	    {"IDLE", true},      {"FWD-PACKETS", true}, {"FWD-BYTES", true}, {"REV-PACKETS", true},
	    {"REV-BYTES", true},
	};
	const json_t *list = json_object_get(data, "sessions"), *s;
	struct table t;
	size_t i;

	print_sessions_summary(json_object_get(data, "summary"));
	if (json_array_size(list) == 0) {
		printf("%s\n", filtered ? "no session matches" : "no sessions");
		return;
	}
	putchar('\n');
	tab_init(&t, cols, NCOLS(cols));
	json_array_foreach (list, i, s)
		add_session_row(&t, s);
	tab_print(&t);
	tab_free(&t);
	if (int_of(data, "next") > 0)
		printf("\n%zu sessions shown; more may %s: raise --limit (now %lld)\n",
		       json_array_size(list), filtered ? "match" : "follow", limit);
}

/* show session: one direction's tuples and counters, as key/value rows. */
static void add_direction_rows(struct table *t, const char *name, const json_t *dir,
			       enum tuple_kind k)
{
	char buf[200];
	tab_addf(t, "%s:", name);
	tuple_text(buf, sizeof(buf), json_object_get(dir, "received"), k);
	tab_add(t, buf);
	if (json_is_object(json_object_get(dir, "sent"))) {
		tab_add(t, "  sent as:");
		tuple_text(buf, sizeof(buf), json_object_get(dir, "sent"), k);
		tab_add(t, buf);
	}
	tab_add(t, "  packets:");
	tab_add_key(t, dir, "packets");
	tab_add(t, "  bytes:");
	tab_add_key(t, dir, "bytes");
}

static void print_session(const json_t *s)
{
	static const struct col cols[] = {{"", false}, {"", false}};
	const char *proto = str_of(s, "protocol");
	char age[32], idle[32], timeout[32];
	struct table t;

	if (!json_is_object(s))
		bad_shape("session", "\"data\" is not an object");
	duration_text(age, sizeof(age), json_object_get(s, "age-s"));
	duration_text(idle, sizeof(idle), json_object_get(s, "idle-s"));
	duration_text(timeout, sizeof(timeout), json_object_get(s, "timeout-s"));
	tab_init(&t, cols, NCOLS(cols));
	t.headless = true;
	tab_add(&t, "uuid:");
	tab_add_key(&t, s, "uuid");
	tab_add(&t, "protocol:");
	tab_addf(&t, "%s (IPv%" JSON_INTEGER_FORMAT ")", proto, int_of(s, "family"));
	tab_add(&t, "tenant:");
	tab_add_key(&t, s, "tenant");
	tab_add(&t, "service:");
	tab_add_key(&t, s, "service");
	tab_add(&t, "tcp-state:");
	tab_add_key(&t, s, "tcp-state");
	tab_add(&t, "nat:");
	tab_add_key(&t, s, "nat");
	tab_add(&t, "age:");
	tab_add(&t, age);
	tab_add(&t, "idle:");
	tab_addf(&t, "%s (ends after %s idle)", idle, timeout);
	add_direction_rows(&t, "forward", json_object_get(s, "forward"), tuple_kind_of(proto));
	add_direction_rows(&t, "reverse", json_object_get(s, "reverse"), tuple_kind_of(proto));
	tab_print(&t);
	tab_free(&t);
}

/* The sessions filters of f into a control-socket request. */
static void add_filters(json_t *req, const struct sess_filter *f)
{
	if (f->tenant)
		json_object_set_new(req, "tenant", json_string(f->tenant));
	if (f->service)
		json_object_set_new(req, "service", json_string(f->service));
	if (f->address)
		json_object_set_new(req, "address", json_string(f->address));
}

/* One "sessions" answer from cursor on: {"summary", "sessions", "next"} (owned). */
static json_t *sessions_page(const struct ctl *c, const struct sess_filter *f, json_int_t cursor,
			     json_int_t limit)
{
	json_t *req =
	    json_pack("{s:s, s:I, s:I}", "cmd", "sessions", "cursor", cursor, "limit", limit);
	if (!req)
		die(EXIT_DP_ERROR, "out of memory");
	add_filters(req, f);
	json_t *d = ctl_ask(c, req, NULL);
	json_t *next = json_object_get(d, "next");
	if (!json_is_object(json_object_get(d, "summary")) ||
	    !json_is_array(json_object_get(d, "sessions")) || !json_is_integer(next))
		bad_shape("sessions", "expected \"summary\", \"sessions\" and \"next\"");
	/* A cursor that does not move on would loop forever. */
	if (json_integer_value(next) != 0 && json_integer_value(next) <= cursor)
		bad_shape("sessions", "\"next\" does not move forward");
	return d;
}

/* Follows the cursors until f->limit sessions: the last answer, with every page's sessions. */
static json_t *sessions_fetch(const struct ctl *c, const struct sess_filter *f)
{
	json_t *all = json_array(), *page = NULL;
	json_int_t cursor = 0;
	if (!all)
		die(EXIT_DP_ERROR, "out of memory");
	do {
		json_int_t want = f->limit - (json_int_t)json_array_size(all);
		json_decref(page);
		page = sessions_page(c, f, cursor, want < SESSIONS_PAGE ? want : SESSIONS_PAGE);
		if (json_array_extend(all, json_object_get(page, "sessions")) < 0)
			die(EXIT_DP_ERROR, "out of memory");
		cursor = int_of(page, "next");
	} while (cursor > 0 && (long long)json_array_size(all) < f->limit);
	json_object_set_new(page, "sessions", all);
	return page;
}

/* 1: a whole UUID, 0: its first UUID_PREFIX_MIN or more characters, -1: neither. */
static int uuid_arg_kind(const char *s)
{
	size_t n = strlen(s);
	if (n > UUID_LEN)
		return -1;
	for (size_t i = 0; i < n; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return -1;
	}
	return n == UUID_LEN ? 1 : n >= UUID_PREFIX_MIN ? 0 : -1;
}

static void no_session(const char *what)
{
	die(EXIT_DP_ERROR,
	    "no live session %s (it ended, or never existed; 'svrctl show sessions' lists the "
	    "live ones)",
	    what);
}

/* The whole UUID of the one live session whose UUID starts with prefix (malloc'd). */
static char *uuid_by_prefix(const struct ctl *c, const char *prefix)
{
	const struct sess_filter all = {.limit = SESSIONS_PAGE};
	size_t plen = strlen(prefix), found = 0;
	char *uuid = NULL;
	json_int_t cursor = 0;
	do {
		json_t *page = sessions_page(c, &all, cursor, SESSIONS_PAGE), *s;
		size_t i;
		json_array_foreach (json_object_get(page, "sessions"), i, s) {
			if (strncasecmp(str_of(s, "uuid"), prefix, plen) != 0)
				continue;
			if (!found++)
				uuid = xstrdup(str_of(s, "uuid"));
		}
		cursor = int_of(page, "next");
		json_decref(page);
	} while (cursor > 0);
	char what[64];
	snprintf(what, sizeof(what), "has a uuid starting with %s", prefix);
	if (!found)
		no_session(what);
	if (found > 1)
		die(EXIT_DP_ERROR,
		    "%zu live sessions have a uuid starting with %s: give more of it", found,
		    prefix);
	return uuid;
}

/* A string value, or dflt when v is not a string. */
static const char *str_or(const json_t *v, const char *dflt)
{
	return json_is_string(v) ? json_string_value(v) : dflt;
}

/* What a refusal's reason means: the drop reason of that name (show stats has the same). */
static const char *why_reason_help(const char *reason)
{
	for (size_t i = 0; i < NCOLS(drop_reasons); i++)
		if (strcmp(drop_reasons[i].name, reason) == 0)
			return drop_reasons[i].help;
	return NULL;
}

static void print_why_verdict(const json_t *d)
{
	const char *verdict = str_or(json_object_get(d, "verdict"), "?");
	const char *reason = json_string_value(json_object_get(d, "reason"));
	const char *help = reason ? why_reason_help(reason) : NULL;
	if (reason)
		printf("verdict:   %s (%s)%s%s\n", verdict, reason, help ? ": " : "",
		       help ? help : "");
	else if (strcmp(verdict, "local") == 0)
		printf("verdict:   local (addressed to this router itself)\n");
	else
		printf("verdict:   %s\n", verdict);
}

/* An SVR-arrived session: the peer and path it came over, the tuple its metadata carried. */
static void print_why_arrived(const json_t *a)
{
	char tuple[192];
	bool ports = int_of(a, "source-port") || int_of(a, "destination-port");
	tuple_text(tuple, sizeof(tuple), a, ports ? TUPLE_PORTS : TUPLE_ADDRS);
	const char *over = str_or(json_object_get(a, "over"), "?");
	printf("arrived:   over %s from peer %s, path %s; its metadata carried %s\n",
	       strcmp(over, "svr") == 0 ? "SVR" : over, str_or(json_object_get(a, "peer"), "?"),
	       str_or(json_object_get(a, "path"), "?"), tuple);
}

static void print_why_tenant(const json_t *t)
{
	const char *by = str_or(json_object_get(t, "by"), "none");
	const char *name = str_or(json_object_get(t, "name"), "none");
	if (strcmp(by, "member") == 0)
		printf("tenant:    %s (a member prefix /%lld of neighborhood %s)\n", name,
		       (long long)int_of(t, "prefix-length"),
		       str_or(json_object_get(t, "neighborhood"), "?"));
	else if (strcmp(by, "metadata") == 0)
		printf("tenant:    %s (named by the peer's metadata)\n", name);
	else if (strcmp(by, "interface") == 0)
		printf("tenant:    %s (the interface's)\n", name);
	else
		printf("tenant:    %s (no tenant)\n", name);
}

static void print_why_service(const json_t *s)
{
	const json_t *here = json_object_get(s, "classified-here"); /* from a peer, misnamed */
	if (strcmp(str_or(json_object_get(s, "by"), ""), "metadata") == 0)
		printf("service:   %s (named by the peer's metadata%s%s)\n",
		       str_or(json_object_get(s, "name"), "none"),
		       here ? "; but its tuple is service " : "", here ? str_or(here, "none") : "");
	else if (json_is_string(json_object_get(s, "name")))
		printf("service:   %s (its prefix /%lld, %s)\n",
		       str_or(json_object_get(s, "name"), "-"),
		       (long long)int_of(s, "prefix-length"),
		       json_is_true(json_object_get(s, "by-port")) ? "a transport names the port"
								   : "any port");
	else
		printf("service:   none\n");
}

/* The route's kind, with the interface a next-hop route names (a NAT target's address is on
 * the nat line). */
static void print_why_route_kind(const json_t *r)
{
	const char *kind = str_or(json_object_get(r, "kind"), "?");
	const json_t *via = json_object_get(r, "next-hop-interface");
	if (json_is_string(via))
		printf("route:     %s by interface %s\n", kind, json_string_value(via));
	else
		printf("route:     %s\n", kind);
}

/* NAT as the packet would be sent: new destination, new source, or none. Over SVR both are
 * the chosen path's waypoints. */
static void print_why_nat(const json_t *nat, bool peer)
{
	const char *dst = json_string_value(json_object_get(nat, "destination"));
	const char *src = json_string_value(json_object_get(nat, "source"));
	char buf[192];
	int n = 0;
	buf[0] = '\0';
	if (dst)
		n = snprintf(buf, sizeof(buf), "destination -> %s", dst);
	if (src && n >= 0 && (size_t)n < sizeof(buf))
		snprintf(buf + n, sizeof(buf) - (size_t)n, "%ssource -> %s", n ? ", " : "", src);
	if (!dst && !src)
		printf("nat:       none\n");
	else if (peer)
		printf("nat:       %s (the chosen path's waypoints: the peer's, ours)\n", buf);
	else if (src)
		printf("nat:       %s (a free port of 1024-65535)\n", buf);
	else
		printf("nat:       %s\n", buf);
}

static void print_why_paths(const json_t *paths)
{
	static const struct col cols[] = {{"PEER", false},   {"PATH", false},       {"COST", true},
					  {"USABLE", false}, {"WITHIN-SLA", false}, {"WHY", false}};
	struct table tab;
	size_t i;
	const json_t *p;
	tab_init(&tab, cols, NCOLS(cols));
	json_array_foreach (paths, i, p) {
		tab_add_key(&tab, p, "peer");
		tab_add_key(&tab, p, "path");
		tab_add_key(&tab, p, "cost");
		tab_add_key(&tab, p, "usable");
		tab_add_key(&tab, p, "within-sla");
		tab_add_key(&tab, p, "why");
	}
	tab_print(&tab);
	tab_free(&tab);
}

static void print_why_route(const json_t *r)
{
	bool peer = strcmp(str_or(json_object_get(r, "kind"), ""), "peer") == 0;
	const json_t *leaves = json_object_get(r, "leaves-by"), *nat = json_object_get(r, "nat");
	print_why_route_kind(r);
	/* the kernel table whose route it takes; a tenant's bound table comes first, the main
	 * table (254) after it when that one has no route (docs/routing.md) */
	const json_t *table = json_object_get(r, "routing-table"),
		     *bound = json_object_get(r, "bound-table");
	if (json_is_integer(bound) && json_is_integer(table) &&
	    json_integer_value(bound) != json_integer_value(table))
		printf("table:     %lld (the tenant's table %lld has no route: the main table)\n",
		       (long long)json_integer_value(table), (long long)json_integer_value(bound));
	else if (json_is_integer(bound) && json_is_integer(table))
		printf("table:     %lld (the tenant's)\n", (long long)json_integer_value(table));
	else if (json_is_integer(table))
		printf("table:     %lld\n", (long long)json_integer_value(table));
	if (leaves)
		printf("leaves by: %s\n", str_or(leaves, "none"));
	if (json_is_object(nat))
		print_why_nat(nat, peer);
	if (json_array_size(json_object_get(r, "paths")))
		print_why_paths(json_object_get(r, "paths"));
}

/*
 * The "why" answer (svrctl why, show session UUID --why): each decision on a line of its own,
 * then the peer paths. Fields an older dataplane does not send are left out.
 */
static void print_why(const json_t *d)
{
	const json_t *a = json_object_get(d, "access"), *r = json_object_get(d, "route");
	const json_t *sess = json_object_get(d, "session");
	print_why_verdict(d);
	if (json_is_object(json_object_get(d, "arrived")))
		print_why_arrived(json_object_get(d, "arrived"));
	print_why_tenant(json_object_get(d, "tenant"));
	print_why_service(json_object_get(d, "service"));
	if (a)
		printf("access:    %s%s%s\n", str_or(json_object_get(a, "decision"), "?"),
		       json_is_string(json_object_get(a, "rule")) ? " by " : "",
		       str_or(json_object_get(a, "rule"), ""));
	if (json_object_get(d, "policy"))
		printf("policy:    %s\n", str_or(json_object_get(d, "policy"), "none"));
	if (json_is_object(r))
		print_why_route(r);
	if (sess)
		printf("session:   began as tenant %s, service %s, rule %s, in by %s%s%s; policy "
		       "changed since: %s\n",
		       str_or(json_object_get(sess, "tenant"), "none"),
		       str_or(json_object_get(sess, "service"), "none"),
		       str_or(json_object_get(sess, "rule"), "none"),
		       str_or(json_object_get(sess, "interface"), "?"),
		       json_is_string(json_object_get(sess, "path")) ? "; on path " : "",
		       str_or(json_object_get(sess, "path"), ""),
		       json_is_true(json_object_get(d, "policy-changed-since")) ? "yes" : "no");
}

/* show session UUID, clear session UUID: cmd is "session" or "session-clear". */
static void session_command(const struct ctl *c, const char *cmd, const char *arg, bool json)
{
	char *uuid = uuid_arg_kind(arg) == 1 ? xstrdup(arg) : uuid_by_prefix(c, arg);
	for (char *p = uuid; *p; p++)
		*p = (char)tolower((unsigned char)*p);

	char *refusal = NULL;
	json_t *data = ctl_ask(c, json_pack("{s:s, s:s}", "cmd", cmd, "uuid", uuid), &refusal);
	if (!data && strncmp(refusal, "no live session", 15) == 0) {
		char what[64];
		snprintf(what, sizeof(what), "has the uuid %s", uuid);
		no_session(what);
	}
	if (!data)
		die(EXIT_DP_ERROR, "dataplane: %s", refusal);
	if (json)
		print_json(data);
	else if (strcmp(cmd, "session") == 0)
		print_session(data);
	else if (strcmp(cmd, "why") == 0)
		print_why(data);
	else
		printf("session %s cleared\n", uuid);
	json_decref(data);
	free(uuid);
}

/* show sessions [filters], show session UUID, clear session UUID. */
static void sessions_command(const struct opts *o, const char *path, bool by_instance, int nargs,
			     char **args)
{
	bool list = strcmp(args[1], "sessions") == 0;
	struct ctl c;
	if (list && nargs > 2)
		usage_error("show sessions: unexpected argument '%s' (filters are options: "
			    "--tenant, --service, --address, --limit)",
			    args[2]);
	if (!list && nargs != 3)
		usage_error(nargs < 3 ? "%s session: missing UUID" : "%s session: one UUID only",
			    args[0]);
	if (!list && o->sess_given)
		usage_error("--tenant, --service, --address and --limit are for show sessions");
	if (!list && uuid_arg_kind(args[2]) < 0)
		usage_error("'%s' is not a session uuid (8-4-4-4-12 hexadecimal digits, or the "
			    "first %d or more of them as 'show sessions' prints them)",
			    args[2], UUID_PREFIX_MIN);

	if (o->why && (list || strcmp(args[0], "show") != 0))
		usage_error("--why is for show session UUID");
	ctl_open(&c, path, by_instance, o->timeout_s);
	if (!list) {
		session_command(&c,
				strcmp(args[0], "clear") == 0 ? "session-clear"
				: o->why                      ? "why"
							      : "session",
				args[2], o->json);
	} else {
		json_t *data = sessions_fetch(&c, &o->sess);
		if (o->json)
			print_json(data);
		else
			print_sessions(data, o->sess.tenant || o->sess.service || o->sess.address,
				       o->sess.limit);
		json_decref(data);
	}
	close(c.fd);
}

/* ------------------------------------------------------ sessions-clear -- */

#define CLEAR_POLL_MS 100

/* Which sessions a job ends, from its answer's filter: "the sessions of tenant lab to service
 * web" or "every session". */
static void clear_filter_text(const json_t *job, char *buf, size_t len)
{
	const json_t *f = json_object_get(job, "filter");
	const char *t = json_string_value(json_object_get(f, "tenant"));
	const char *s = json_string_value(json_object_get(f, "service"));
	const char *a = json_string_value(json_object_get(f, "address"));
	if (!t && !s && !a)
		snprintf(buf, len, "every session");
	else
		snprintf(buf, len, "the sessions%s%s%s%s%s%s", t ? " of tenant " : "", t ? t : "",
			 s ? " to service " : "", s ? s : "", a ? " with address " : "",
			 a ? a : "");
}

/* show sessions-clear, clear sessions --wait: one line on the last job. */
static void print_clear_job(const json_t *d)
{
	char what[512];
	if (int_of(d, "job") == 0) {
		printf("no sessions-clear job since the dataplane started\n");
		return;
	}
	clear_filter_text(d, what, sizeof(what));
	bool done = json_is_true(json_object_get(d, "done"));
	printf("sessions-clear job %" JSON_INTEGER_FORMAT " (%s): %s, %" JSON_INTEGER_FORMAT
	       " sessions cleared; %" JSON_INTEGER_FORMAT " of %" JSON_INTEGER_FORMAT
	       " table entries visited in %" JSON_INTEGER_FORMAT " ms%s\n",
	       int_of(d, "job"), what, done ? "done" : "running", int_of(d, "cleared"),
	       int_of(d, "visited"), int_of(d, "entries"), int_of(d, "elapsed-ms"),
	       json_is_true(json_object_get(d, "waiting-for-exporter"))
		   ? " (waiting for the IPFIX exporter to take end records)"
		   : "");
}

/* Job's status once done, asked every CLEAR_POLL_MS (no deadline: a large table at the
 * exporter's pace takes a while; interrupting svrctl leaves the job running). */
static json_t *clear_wait(const struct ctl *c, json_int_t job)
{
	for (;;) {
		json_t *d = ctl_ask(c, json_pack("{s:s}", "cmd", "sessions-clear-status"), NULL);
		if (int_of(d, "job") != job)
			die(EXIT_DP_ERROR,
			    "sessions-clear job %" JSON_INTEGER_FORMAT
			    " ended, but job %" JSON_INTEGER_FORMAT
			    " started before svrctl saw its count ('svrctl show stats' counts "
			    "sessions-cleared)",
			    job, int_of(d, "job"));
		if (json_is_true(json_object_get(d, "done")))
			return d;
		json_decref(d);
		struct timespec ts = {.tv_nsec = CLEAR_POLL_MS * 1000000L};
		nanosleep(&ts, NULL);
	}
}

/* clear sessions (--all | [--tenant NAME] [--service NAME] [--address IP]) [--wait] */
static void clear_sessions_command(const struct opts *o, const char *path, bool by_instance,
				   int nargs, char **args)
{
	const struct sess_filter *f = &o->sess;
	bool filtered = f->tenant || f->service || f->address;
	if (nargs > 2)
		usage_error("clear sessions: unexpected argument '%s' (filters are options: "
			    "--tenant, --service, --address; or --all)",
			    args[2]);
	if (o->limit_given || o->why)
		usage_error("clear sessions: --limit and --why are for show sessions (a clear ends "
			    "every session its filters select)");
	if (o->all && filtered)
		usage_error("clear sessions: --all ends every session; leave it out to end only "
			    "those --tenant, --service and --address select");
	if (!o->all && !filtered)
		usage_error("clear sessions: which sessions? give --tenant, --service or "
			    "--address, or --all to end every session");
	json_t *req = json_pack("{s:s}", "cmd", "sessions-clear");
	if (!req)
		die(EXIT_DP_ERROR, "out of memory");
	add_filters(req, f);
	if (o->all)
		json_object_set_new(req, "all", json_true());
	struct ctl c;
	char *refusal = NULL;
	ctl_open(&c, path, by_instance, o->timeout_s);
	json_t *data = ctl_ask(&c, req, &refusal);
	if (!data) /* "busy: ..." while another job runs */
		die(EXIT_DP_ERROR, "dataplane: %s",
		    strncmp(refusal, "busy: ", 6) == 0 ? refusal + 6 : refusal);
	if (o->wait) {
		json_t *done = clear_wait(&c, int_of(data, "job"));
		json_decref(data);
		data = done;
	}
	if (o->json) {
		print_json(data);
	} else if (o->wait) {
		print_clear_job(data);
	} else {
		char what[512];
		clear_filter_text(data, what, sizeof(what));
		printf("sessions-clear job %" JSON_INTEGER_FORMAT " started: ending %s ('svrctl "
		       "show sessions-clear' follows it)\n",
		       int_of(data, "job"), what);
	}
	json_decref(data);
	close(c.fd);
}

/* ---------------------------------------------------------------- why -- */

/* One end of the packet svrctl why asks about: its address and port (-1: none given). */
struct why_end {
	char addr[INET6_ADDRSTRLEN];
	int family;
	long port;
};

static long why_port(const char *what, const char *arg, const char *port)
{
	char *end;
	errno = 0;
	long n = strtol(port, &end, 10);
	if (!isdigit((unsigned char)*port) || *end || errno || n > 65535)
		usage_error("why: %s '%s': '%s' is not a port (0-65535)", what, arg, port);
	return n;
}

/* "198.18.1.2", "198.18.1.2:80", "2001:db8::2", "[2001:db8::2]" or "[2001:db8::2]:443". */
static void why_endpoint(const char *what, const char *arg, struct why_end *e)
{
	const char *host = arg, *colon = strchr(arg, ':'), *port = NULL;
	size_t n = strlen(arg);
	bool bracket = arg[0] == '[';
	if (bracket) {
		const char *close = strchr(arg, ']');
		if (!close || (close[1] && close[1] != ':'))
			usage_error("why: %s '%s': an IPv6 address in brackets, then :PORT or "
				    "nothing",
				    what, arg);
		host = arg + 1;
		n = (size_t)(close - host);
		port = close[1] ? close + 2 : NULL;
	} else if (colon && colon == strrchr(arg, ':')) { /* one colon: IPv4:PORT */
		n = (size_t)(colon - arg);
		port = colon + 1;
	}
	unsigned char bin[16];
	e->family = 0;
	e->addr[0] = '\0';
	if (n < sizeof(e->addr)) {
		snprintf(e->addr, sizeof(e->addr), "%.*s", (int)n, host);
		e->family = inet_pton(AF_INET6, e->addr, bin) == 1              ? 6
			    : !bracket && inet_pton(AF_INET, e->addr, bin) == 1 ? 4
										: 0;
	}
	if (bracket && !e->family && inet_pton(AF_INET, e->addr, bin) == 1)
		usage_error("why: %s '%s': brackets are for IPv6 addresses (IPv4: %s:PORT)", what,
			    arg, e->addr);
	if (!e->family)
		usage_error("why: %s '%s' is not an IPv4 or IPv6 address, with an optional port "
			    "(198.18.1.2:80, [2001:db8::2]:443, or an address alone)",
			    what, arg);
	e->port = port ? why_port(what, arg, port) : -1;
}

/* PROTO: a name the dataplane knows, or an IP protocol number; the request's "protocol". */
static json_t *why_protocol(const char *arg)
{
	static const char *const names[] = {"tcp", "udp", "icmp", "icmpv6"};
	for (size_t i = 0; i < NCOLS(names); i++)
		if (strcasecmp(arg, names[i]) == 0)
			return json_string(names[i]);
	char *end;
	errno = 0;
	long n = strtol(arg, &end, 10);
	if (!isdigit((unsigned char)*arg) || *end || errno || n > 255)
		usage_error("why: '%s' is not a protocol (tcp, udp, icmp, icmpv6, or an IP "
			    "protocol number 0-255)",
			    arg);
	return json_integer(n);
}

/* The "why" request for PROTO SRC[:PORT] DST[:PORT] coming in by iface. */
static json_t *why_request(char **args, const char *iface)
{
	struct why_end src, dst;
	json_t *proto = why_protocol(args[1]);
	why_endpoint("source", args[2], &src);
	why_endpoint("destination", args[3], &dst);
	if (src.family != dst.family)
		usage_error("why: the source %s and the destination %s are not of one IP version",
			    src.addr, dst.addr);
	json_t *req = json_pack("{s:s, s:o, s:s, s:s, s:s}", "cmd", "why", "protocol", proto,
				"source", src.addr, "destination", dst.addr, "interface", iface);
	if (!req)
		die(EXIT_DP_ERROR, "out of memory");
	if (src.port >= 0)
		json_object_set_new(req, "source-port", json_integer(src.port));
	if (dst.port >= 0)
		json_object_set_new(req, "destination-port", json_integer(dst.port));
	return req;
}

/* why PROTO SRC[:PORT] DST[:PORT] --interface NAME: exit 0 whatever the verdict. */
static void why_command(const struct opts *o, const char *path, bool by_instance, int nargs,
			char **args)
{
	if (nargs != 4)
		usage_error("why: expected PROTOCOL SOURCE[:PORT] DESTINATION[:PORT] --interface "
			    "NAME, e.g. why tcp 198.18.1.2 198.18.2.2:80 --interface lan");
	if (!o->interface)
		usage_error("why: --interface NAME is required: the router interface the packet "
			    "would come in by ('svrctl show interfaces' lists them)");
	json_t *req = why_request(args, o->interface);
	struct ctl c;
	char *refusal = NULL;
	ctl_open(&c, path, by_instance, o->timeout_s);
	json_t *data = ctl_ask(&c, req, &refusal);
	close(c.fd);
	if (!data && strncmp(refusal, "no interface", 12) == 0)
		die(EXIT_DP_ERROR, "dataplane: %s: '%s' ('svrctl show interfaces' lists them)",
		    refusal, o->interface);
	if (!data)
		die(EXIT_DP_ERROR, "dataplane: %s", refusal);
	if (o->json)
		print_json(data);
	else
		print_why(data);
	json_decref(data);
}

/* ------------------------------------------------------------ capture -- */

/* capture: -c, -w and --snaplen. */
struct capture_opts {
	long long count; /* 0: until interrupted */
	const char *file;
	long long snaplen; /* 0: the dataplane's default */
	long long buffer;  /* packets per worker ring; 0: the dataplane's default */
};

#define CAPTURE_POLL_MS 20 /* between empty reads: the rings hold 512 packets per worker */
/* capture-read answers at most this many packets (include/svr/ctlsock.h) */
#define DP_CAPTURE_READ_MAX_PACKETS 1000

static volatile sig_atomic_t capture_interrupted;

static void capture_on_signal(int sig)
{
	(void)sig;
	capture_interrupted = 1;
}

static long long capture_number(const char *opt, const char *arg, long long min, long long max)
{
	char *end;
	errno = 0;
	long long n = strtoll(arg, &end, 10);
	if (errno || end == arg || *end || !isdigit((unsigned char)*arg) || n < min || n > max)
		usage_error("%s: '%s' is not a number from %lld to %lld", opt, arg, min, max);
	return n;
}

/* "ICMP echo request", "UDP 53 > 1024" ...: the L4 part of a summary line. */
static void l4_text(char *buf, size_t len, unsigned proto, const uint8_t *l4, size_t l4len)
{
	if ((proto == 1 || proto == 58) && l4len >= 8) {
		unsigned type = l4[0];
		unsigned request = proto == 1 ? 8 : 128, reply = proto == 1 ? 0 : 129;
		const char *what = type == request ? "echo request"
				   : type == reply ? "echo reply"
						   : NULL;
		if (what)
			snprintf(buf, len, "%s %s, id %u, seq %u", proto == 1 ? "ICMP" : "ICMP6",
				 what, (unsigned)(l4[4] << 8 | l4[5]),
				 (unsigned)(l4[6] << 8 | l4[7]));
		else
			snprintf(buf, len, "%s type %u code %u", proto == 1 ? "ICMP" : "ICMP6",
				 type, (unsigned)l4[1]);
	} else if ((proto == 6 || proto == 17) && l4len >= 4) {
		snprintf(buf, len, "%s %u > %u", proto == 6 ? "TCP" : "UDP",
			 (unsigned)(l4[0] << 8 | l4[1]), (unsigned)(l4[2] << 8 | l4[3]));
	} else {
		snprintf(buf, len, "protocol %u", proto);
	}
}

/* One line per packet, like tcpdump -n's: time, direction, addresses, protocol, length. */
static void capture_print(uint64_t time_ns, const char *dir, const uint8_t *d, size_t n,
			  uint32_t orig_len)
{
	time_t s = (time_t)(time_ns / 1000000000u);
	struct tm tm;
	char ts[16], src[INET6_ADDRSTRLEN] = "?", dst[INET6_ADDRSTRLEN] = "?", l4[96] = "";
	strftime(ts, sizeof(ts), "%H:%M:%S", localtime_r(&s, &tm));
	size_t off = 12;
	unsigned type = n >= 14 ? (unsigned)(d[12] << 8 | d[13]) : 0;
	if (type == 0x8100 && n >= 18) {
		type = (unsigned)(d[16] << 8 | d[17]);
		off = 16;
	}
	off += 2;
	if (type == 0x0800 && n >= off + 20) {
		size_t ihl = (size_t)(d[off] & 15) * 4;
		inet_ntop(AF_INET, d + off + 12, src, sizeof(src));
		inet_ntop(AF_INET, d + off + 16, dst, sizeof(dst));
		l4_text(l4, sizeof(l4), d[off + 9], d + off + ihl,
			n > off + ihl ? n - off - ihl : 0);
	} else if (type == 0x86dd && n >= off + 40) {
		inet_ntop(AF_INET6, d + off + 8, src, sizeof(src));
		inet_ntop(AF_INET6, d + off + 24, dst, sizeof(dst));
		l4_text(l4, sizeof(l4), d[off + 6], d + off + 40, n - off - 40);
	} else if (type == 0x0806 && n >= off + 28) {
		inet_ntop(AF_INET, d + off + 14, src, sizeof(src));
		inet_ntop(AF_INET, d + off + 24, dst, sizeof(dst));
		unsigned op = d[off + 7];
		snprintf(l4, sizeof(l4), "ARP %s",
			 op == 1   ? "request"
			 : op == 2 ? "reply"
				   : "other");
	} else {
		snprintf(l4, sizeof(l4), "ethertype 0x%04x", type);
	}
	printf("%s.%06u %s %s > %s: %s, length %u\n", ts, (unsigned)(time_ns % 1000000000u / 1000u),
	       dir, src, dst, l4, orig_len);
}

/* Writes or prints one capture-read packet. */
static void capture_emit(const json_t *pkt, FILE *pcap)
{
	static uint8_t buf[65536];
	uint64_t t;
	uint32_t orig;
	long n = svr_pcap_packet_decode(pkt, buf, sizeof(buf), &t, &orig);
	if (n < 0)
		die(EXIT_DP_ERROR, "capture-read: a packet without valid time-ns, length, data");
	if (pcap && svr_pcap_write_record(pcap, t, buf, (uint32_t)n, orig) < 0)
		die(EXIT_DP_ERROR, "writing the capture file: %s", strerror(errno));
	if (!pcap)
		capture_print(t, str_of(pkt, "direction"), buf, (size_t)n, orig);
}

/* capture IFACE: start, read until -c packets or SIGINT/SIGTERM, stop. */
static void capture_command(const struct opts *o, const struct capture_opts *co, const char *path,
			    bool by_instance, int nargs, char **args)
{
	if (nargs < 2)
		usage_error("capture: missing INTERFACE (a router interface: show interfaces)");
	if (nargs > 2)
		usage_error("capture: unexpected argument '%s'", args[2]);
	FILE *pcap = NULL;
	if (co->file) {
		pcap = strcmp(co->file, "-") == 0 ? stdout : fopen(co->file, "wb");
		if (!pcap)
			die(EXIT_DP_ERROR, "%s: %s", co->file, strerror(errno));
	}
	struct ctl c;
	ctl_open(&c, path, by_instance, o->timeout_s);
	json_t *req = json_pack("{s:s, s:s}", "cmd", "capture-start", "interface", args[1]);
	if (co->snaplen)
		json_object_set_new(req, "snaplen", json_integer(co->snaplen));
	if (co->buffer)
		json_object_set_new(req, "buffer", json_integer(co->buffer));
	json_t *started = ctl_ask(&c, req, NULL);
	json_int_t id = int_of(started, "capture");
	if (pcap && svr_pcap_write_header(pcap, (uint32_t)int_of(started, "snaplen")) < 0)
		die(EXIT_DP_ERROR, "writing the capture file: %s", strerror(errno));
	json_decref(started);
	struct sigaction sa = {.sa_handler = capture_on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (pcap != stdout)
		fprintf(stderr, "%s: capturing on %s, %s\n", prog, args[1],
			co->count ? "until the count is reached" : "until interrupted (Ctrl-C)");

	long long got = 0;
	while (!capture_interrupted && (!co->count || got < co->count)) {
		long long want = co->count ? co->count - got : DP_CAPTURE_READ_MAX_PACKETS;
		if (want > DP_CAPTURE_READ_MAX_PACKETS)
			want = DP_CAPTURE_READ_MAX_PACKETS;
		json_t *r = ctl_ask(&c,
				    json_pack("{s:s, s:I, s:I}", "cmd", "capture-read", "capture",
					      id, "max", (json_int_t)want),
				    NULL);
		const json_t *pkts = json_object_get(r, "packets"), *p;
		size_t i;
		json_array_foreach (pkts, i, p)
			capture_emit(p, pcap);
		got += (long long)json_array_size(pkts);
		if (json_array_size(pkts) == 0)
			poll(NULL, 0, CAPTURE_POLL_MS); /* interrupted early by a signal: fine */
		else if (!pcap)
			fflush(stdout);
		json_decref(r);
	}
	json_t *end = ctl_ask(
	    &c, json_pack("{s:s, s:I}", "cmd", "capture-stop", "capture", (json_int_t)id), NULL);
	close(c.fd);
	if (pcap && pcap != stdout && fclose(pcap) != 0)
		die(EXIT_DP_ERROR, "writing %s: %s", co->file, strerror(errno));
	fprintf(stderr, "%lld packets captured, %lld not captured (capture ring full)\n", got,
		(long long)int_of(end, "dropped"));
	json_decref(end);
}

/* --------------------------------------------------------------- main -- */

static bool instance_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > INSTANCE_MAXLEN)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return false;
	return true;
}

static const struct {
	const char *name; /* show OBJECT */
	const char *cmd;  /* ctlsock command */
} objects[] = {
    {"ports", "ports"},     {"interfaces", "interfaces"},
    {"stats", "stats"},     {"neighbors", "neighbors"},
    {"routes", "routes"},   {"kernel-routes", "kernel-routes"},
    {"version", "version"}, {"policy", "policy"},
    {"peers", "peers"},     {"ipfix", "ipfix"},
    {"events", "events"},   {"sessions-clear", "sessions-clear-status"},
    {"kernel", "kernel"},
};

static void put_help(const char *text)
{
	fputs(text, stdout);
	exit(fflush(stdout) == 0 ? 0 : EXIT_DP_ERROR);
}

/* The instance named by --instance or SVR_INSTANCE, else "default" (usage error if invalid). */
static const char *instance_name(const struct opts *o)
{
	const char *inst = o->instance;
	const char *from = "--instance";
	if (!inst) {
		inst = getenv("SVR_INSTANCE");
		from = "SVR_INSTANCE";
	}
	/* An empty SVR_INSTANCE counts as unset; an empty --instance is a mistake. */
	if (!inst || (!*inst && !o->instance))
		return "default";
	if (!instance_valid(inst))
		usage_error("%s: '%s' is not an instance name (letters, digits, '-', '_'; at "
			    "most %d)",
			    from, inst, INSTANCE_MAXLEN);
	return inst;
}

/* The control socket: --socket, else the instance's. */
static void socket_path(const struct opts *o, char *buf, size_t len)
{
	if (o->instance && o->socket)
		usage_error("--instance and --socket exclude each other");
	if (o->socket) {
		if (!*o->socket)
			usage_error("--socket: empty path");
		snprintf(buf, len, "%s", o->socket);
	} else {
		snprintf(buf, len, "%s/%s/%s", SVR_RUNTIME_DIR_DEFAULT, instance_name(o),
			 SVR_CTLSOCK_NAME);
	}
}

/* The exit status once everything is printed. */
static int finish_output(void)
{
	/* A full disk or closed pipe must not look like success to a script. */
	if (fflush(stdout) != 0 || ferror(stdout))
		die(EXIT_DP_ERROR, "writing output: %s", strerror(errno));
	return 0;
}

/* --tenant, --service: a name the control socket can carry (UTF-8). */
static const char *session_name(const char *opt, const char *arg)
{
	json_t *s = json_string(arg);
	if (!*arg || !s)
		usage_error("%s: expected a name (non-empty, UTF-8)", opt);
	json_decref(s);
	return arg;
}

static const char *session_address(const char *arg)
{
	unsigned char a[16];
	if (inet_pton(AF_INET, arg, a) != 1 && inet_pton(AF_INET6, arg, a) != 1)
		usage_error("--address: '%s' is not an IPv4 or IPv6 address (no prefix length, no "
			    "brackets)",
			    arg);
	return arg;
}

static long long session_limit(const char *arg)
{
	char *end;
	errno = 0;
	long long n = strtoll(arg, &end, 10);
	if (errno || end == arg || *end || !isdigit((unsigned char)*arg) || n < 1 ||
	    n > SESSIONS_LIMIT_MAX)
		usage_error("--limit: '%s' is not a number of sessions from 1 to %lld", arg,
			    SESSIONS_LIMIT_MAX);
	return n;
}

/* The first line of file, in buf; NULL if it has none. */
static const char *first_line(const char *file, char *buf, size_t len)
{
	FILE *f = fopen(file, "r");
	if (!f)
		return NULL;
	const char *line = fgets(buf, (int)len, f);
	fclose(f);
	if (line)
		buf[strcspn(buf, "\r\n \t")] = '\0';
	return line && *buf ? buf : NULL;
}

/* svr-control's API: --api, else $SVR_API, else the address the instance's svr-control wrote
 * next to its token, else the default. */
static void api_url(const struct opts *o, struct api_opts *ao)
{
	static char file[PATH_MAX], from[PATH_MAX + 32], url[512];
	const char *env;
	if (ao->url) {
		ao->url_from = "--api";
	} else if ((env = getenv("SVR_API")) && *env) {
		ao->url = env;
		ao->url_from = "SVR_API";
	} else {
		snprintf(file, sizeof(file), SVRCTL_URL_FMT, instance_name(o));
		ao->url = first_line(file, url, sizeof(url));
		snprintf(from, sizeof(from), "%s", file);
		ao->url_from = from;
		if (!ao->url) {
			ao->url = SVRCTL_API_DEFAULT;
			snprintf(from, sizeof(from), "the default: no %s", file);
		}
	}
}

/* config apply FILE | config show | status, through svr-control's REST API. */
static int api_command(const struct opts *o, struct api_opts *ao, bool timeout_given, int nargs,
		       char **args)
{
	static char token_path[PATH_MAX];
	const char *env;
	if (o->socket)
		usage_error("%s: --socket is for the show commands (the REST API is at --api URL)",
			    args[0]);
	if (o->all)
		usage_error("%s: --all is for show stats and clear sessions", args[0]);
	if (o->sess_given)
		usage_error("%s: --tenant, --service, --address and --limit are for show sessions",
			    args[0]);
	if (ao->token && ao->token_file)
		usage_error("--token and --token-file exclude each other");
	api_url(o, ao);
	if (!*ao->url)
		usage_error("--api: empty URL");
	if (!ao->token && !ao->token_file) {
		if ((env = getenv("SVR_TOKEN")) && *env)
			ao->token = env;
		else if ((env = getenv("SVR_TOKEN_FILE")) && *env)
			ao->token_file = env;
	}
	if (!ao->token && !ao->token_file) {
		snprintf(token_path, sizeof(token_path), SVRCTL_TOKEN_FMT, instance_name(o));
		ao->token_file = token_path;
	}
	ao->timeout_s = timeout_given ? o->timeout_s : SVRCTL_API_TIMEOUT;
	ao->json = o->json;

	int rc;
	if (strcmp(args[0], "status") == 0) {
		if (nargs > 1)
			usage_error("status: unexpected argument '%s'", args[1]);
		rc = api_status(ao);
	} else if (nargs < 2) {
		usage_error("config: missing subcommand (apply FILE, show)");
	} else if (strcmp(args[1], "apply") == 0) {
		if (nargs < 3)
			usage_error("config apply: missing FILE (a model in JSON; - for stdin)");
		if (nargs > 3)
			usage_error("config apply: unexpected argument '%s'", args[3]);
		rc = api_config_apply(ao, args[2]);
	} else if (strcmp(args[1], "show") == 0) {
		if (nargs > 2)
			usage_error("config show: unexpected argument '%s'", args[2]);
		rc = api_config_show(ao);
	} else {
		usage_error("config: unknown subcommand '%s' (apply FILE, show)", args[1]);
	}
	/* A full disk or closed pipe must not look like success to a script. */
	if (fflush(stdout) != 0 || ferror(stdout))
		die(EXIT_DP_ERROR, "writing output: %s", strerror(errno));
	return rc;
}

/* why takes the socket options, --json and --timeout; the others belong to other commands. */
static void why_check_options(const struct opts *o, const struct api_opts *ao)
{
	if (ao->url || ao->token || ao->token_file)
		usage_error("why: --api, --token and --token-file are for the config and status "
			    "commands (why asks the dataplane's control socket)");
	if (o->sess_given || o->all || o->why)
		usage_error("why: takes --interface, --json, --instance, --socket and --timeout "
			    "only");
}

int main(int argc, char **argv)
{
	enum {
		OPT_VERSION = 256,
		OPT_API,
		OPT_TOKEN_FILE,
		OPT_TOKEN,
		OPT_TENANT,
		OPT_SERVICE,
		OPT_ADDRESS,
		OPT_LIMIT,
		OPT_WHY,
		OPT_SNAPLEN,
		OPT_BUFFER,
		OPT_INTERFACE,
		OPT_WAIT
	};
	static const struct option longopts[] = {
	    {"instance", required_argument, NULL, 'i'},
	    {"socket", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},
	    {"all", no_argument, NULL, 'a'},
	    {"timeout", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, OPT_VERSION},
	    {"api", required_argument, NULL, OPT_API},
	    {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
	    {"token", required_argument, NULL, OPT_TOKEN},
	    {"tenant", required_argument, NULL, OPT_TENANT},
	    {"service", required_argument, NULL, OPT_SERVICE},
	    {"address", required_argument, NULL, OPT_ADDRESS},
	    {"limit", required_argument, NULL, OPT_LIMIT},
	    {"why", no_argument, NULL, OPT_WHY},
	    {"count", required_argument, NULL, 'c'},
	    {"write", required_argument, NULL, 'w'},
	    {"snaplen", required_argument, NULL, OPT_SNAPLEN},
	    {"buffer", required_argument, NULL, OPT_BUFFER},
	    {"interface", required_argument, NULL, OPT_INTERFACE},
	    {"wait", no_argument, NULL, OPT_WAIT},
	    {NULL, 0, NULL, 0},
	};
	struct opts o = {.timeout_s = 5, .sess.limit = SESSIONS_LIMIT_DEFAULT};
	struct api_opts ao = {0};
	struct capture_opts co = {0};
	bool capture_given = false; /* any of -c, -w, --snaplen, --buffer */
	bool timeout_given = false;
	char sockpath[PATH_MAX];
	const char *cmd = NULL;
	json_t *data;
	int c;

	/* svrctl conductor has options of its own (-m, --url...): it parses the rest. */
	if (argc > 1 && strcmp(argv[1], "conductor") == 0)
		return conductor_main(argc - 1, argv + 1);
	/* So has svrctl setup (--pages, --driver...). */
	if (argc > 1 && strcmp(argv[1], "setup") == 0)
		return setup_main(argc - 1, argv + 1);
	opterr = 0; /* our own messages, with the usage hint */
	while ((c = getopt_long(argc, argv, ":i:s:jat:hc:w:", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			o.instance = optarg;
			break;
		case 's':
			o.socket = optarg;
			break;
		case 'j':
			o.json = true;
			break;
		case 'a':
			o.all = true;
			break;
		case 't': {
			char *end;
			errno = 0;
			o.timeout_s = strtod(optarg, &end);
			if (errno || end == optarg || *end || !isfinite(o.timeout_s) ||
			    o.timeout_s <= 0 || o.timeout_s > 86400)
				usage_error(
				    "--timeout: '%s' is not a number of seconds in (0, 86400]",
				    optarg);
			timeout_given = true;
			break;
		}
		case 'h':
			put_help(help_main);
			break;
		case OPT_VERSION:
			printf("svrctl %s\n", SVR_VERSION);
			return 0;
		case OPT_API:
			ao.url = optarg;
			break;
		case OPT_TOKEN_FILE:
			ao.token_file = optarg;
			break;
		case OPT_TOKEN:
			ao.token = optarg;
			break;
		case OPT_WHY:
			o.why = true;
			break;
		case OPT_INTERFACE:
			o.interface = session_name("--interface", optarg);
			break;
		case OPT_TENANT:
			o.sess.tenant = session_name("--tenant", optarg);
			o.sess_given = true;
			break;
		case OPT_SERVICE:
			o.sess.service = session_name("--service", optarg);
			o.sess_given = true;
			break;
		case OPT_ADDRESS:
			o.sess.address = session_address(optarg);
			o.sess_given = true;
			break;
		case OPT_LIMIT:
			o.sess.limit = session_limit(optarg);
			o.sess_given = o.limit_given = true;
			break;
		case OPT_WAIT:
			o.wait = true;
			break;
		case 'c':
			co.count = capture_number("--count", optarg, 1, 1000000000);
			capture_given = true;
			break;
		case 'w':
			if (!*optarg)
				usage_error("--write: empty file name");
			co.file = optarg;
			capture_given = true;
			break;
		case OPT_SNAPLEN:
			co.snaplen = capture_number("--snaplen", optarg, 64, 2048);
			capture_given = true;
			break;
		case OPT_BUFFER:
			co.buffer = capture_number("--buffer", optarg, 8, 8192);
			capture_given = true;
			break;
		case ':':
			usage_error("option '%s' needs an argument", argv[optind - 1]);
		default:
			if (optopt)
				usage_error("unknown option '-%c'", optopt);
			usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}

	int nargs = argc - optind;
	char **args = argv + optind;
	if (nargs == 0)
		usage_error("no command given");
	if (strcmp(args[0], "help") == 0) {
		if (nargs == 1)
			put_help(help_main);
		if (nargs == 2 && strcmp(args[1], "show") == 0)
			put_help(help_show);
		if (nargs == 2 &&
		    (strcmp(args[1], "sessions") == 0 || strcmp(args[1], "session") == 0 ||
		     strcmp(args[1], "clear") == 0))
			put_help(help_sessions);
		if (nargs == 2 && strcmp(args[1], "capture") == 0)
			put_help(help_capture);
		if (nargs == 2 && strcmp(args[1], "kernel") == 0)
			put_help(help_kernel);
		if (nargs == 2 && strcmp(args[1], "config") == 0)
			put_help(help_config);
		if (nargs == 2 && strcmp(args[1], "status") == 0)
			put_help(help_status);
		if (nargs == 2 && strcmp(args[1], "why") == 0)
			put_help(help_why);
		if (nargs == 2 && strcmp(args[1], "conductor") == 0)
			put_help(conductor_help);
		if (nargs == 2 && strcmp(args[1], "setup") == 0)
			put_help(setup_help);
		usage_error("help: unknown topic '%s' (topics: show, sessions, capture, why, "
			    "kernel, config, status, conductor, setup)",
			    args[1]);
	}
	if (strcmp(args[0], "capture") == 0) {
		if (ao.url || ao.token || ao.token_file || o.sess_given || o.all || o.json ||
		    o.interface)
			usage_error("capture: takes -c, -w, --snaplen, --buffer, --instance, "
				    "--socket and --timeout only");
		socket_path(&o, sockpath, sizeof(sockpath));
		capture_command(&o, &co, sockpath, !o.socket, nargs, args);
		return finish_output();
	}
	if (capture_given)
		usage_error("-c, -w, --snaplen and --buffer are for capture");
	if (strcmp(args[0], "why") == 0) {
		why_check_options(&o, &ao);
		socket_path(&o, sockpath, sizeof(sockpath));
		why_command(&o, sockpath, !o.socket, nargs, args);
		return finish_output();
	}
	if (o.interface)
		usage_error("--interface is for why (the interface a packet would come in by)");
	if (strcmp(args[0], "config") == 0 || strcmp(args[0], "status") == 0)
		return api_command(&o, &ao, timeout_given, nargs, args);
	bool clear = strcmp(args[0], "clear") == 0;
	if (!clear && strcmp(args[0], "show") != 0)
		usage_error("unknown command '%s'", args[0]);
	if (ao.url || ao.token || ao.token_file)
		usage_error("%s: --api, --token and --token-file are for the config and status "
			    "commands",
			    args[0]);
	if (nargs < 2)
		usage_error(clear ? "clear: missing OBJECT (session UUID, sessions)"
				  : "show: missing OBJECT (ports, interfaces, stats, neighbors, "
				    "routes, kernel-routes, policy, peers, events, ipfix, kernel, "
				    "sessions, sessions-clear, session UUID, version)");
	if (clear && strcmp(args[1], "session") != 0 && strcmp(args[1], "sessions") != 0)
		usage_error("clear: unknown object '%s' (session UUID, sessions)", args[1]);
	if (o.wait && !(clear && strcmp(args[1], "sessions") == 0))
		usage_error("--wait is for clear sessions");
	if (clear && strcmp(args[1], "sessions") == 0) {
		socket_path(&o, sockpath, sizeof(sockpath));
		clear_sessions_command(&o, sockpath, !o.socket, nargs, args);
		return finish_output();
	}
	if (clear || strcmp(args[1], "sessions") == 0 || strcmp(args[1], "session") == 0) {
		socket_path(&o, sockpath, sizeof(sockpath));
		sessions_command(&o, sockpath, !o.socket, nargs, args);
		return finish_output();
	}
	if (o.sess_given)
		usage_error("--tenant, --service, --address and --limit are for show sessions");
	if (nargs > 2)
		usage_error("show %s: unexpected argument '%s'", args[1], args[2]);
	for (size_t k = 0; k < NCOLS(objects); k++)
		if (strcmp(args[1], objects[k].name) == 0)
			cmd = objects[k].cmd;
	if (!cmd)
		usage_error(
		    "show: unknown object '%s' (ports, interfaces, stats, neighbors, "
		    "routes, kernel-routes, policy, peers, events, ipfix, kernel, sessions, "
		    "sessions-clear, session UUID, version)",
		    args[1]);

	socket_path(&o, sockpath, sizeof(sockpath));

	data = request(sockpath, !o.socket, cmd, o.timeout_s);
	if (o.json) {
		print_json(data);
	} else if (strcmp(cmd, "ports") == 0) {
		print_ports(data);
	} else if (strcmp(cmd, "interfaces") == 0) {
		print_interfaces(data);
	} else if (strcmp(cmd, "stats") == 0) {
		print_stats(data, o.all);
	} else if (strcmp(cmd, "neighbors") == 0) {
		print_neighbors(data);
	} else if (strcmp(cmd, "routes") == 0) {
		print_routes(data);
	} else if (strcmp(cmd, "kernel-routes") == 0) {
		print_kernel_routes(data);
	} else if (strcmp(cmd, "policy") == 0) {
		print_policy(data);
	} else if (strcmp(cmd, "peers") == 0) {
		print_peers(data);
	} else if (strcmp(cmd, "ipfix") == 0) {
		print_ipfix(data);
	} else if (strcmp(cmd, "events") == 0) {
		print_events(data);
	} else if (strcmp(cmd, "sessions-clear-status") == 0) {
		print_clear_job(data);
	} else if (strcmp(cmd, "kernel") == 0) {
		print_kernel(data);
	} else {
		print_version(data);
	}
	json_decref(data);
	return finish_output();
}
