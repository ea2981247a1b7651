/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * svr-control: the per-router control daemon. Loads the intent model (a file,
 * or the last good model it stored), validates it, compiles this router's
 * policy image and publishes it to the dataplane over shared memory.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "common/fsutil.h"
#include "common/log.h"
#include "common/sdnotify.h"
#include "conductor/conductor.h"
#include "ctl.h"
#include "events/sinks.h"
#include "model/compile.h"
#include "model/index.h"
#include "netlink/follow.h"
#include "rest/rest.h"
#include "svr/ctlsock.h"
#include "svr/version.h"

static volatile sig_atomic_t stop_requested, reload_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void on_hup(int sig)
{
	(void)sig;
	reload_requested = 1;
}

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: svr-control [--router NAME] [--instance NAME] [--model FILE]\n"
	    "                   [--state-dir DIR] [--once] [--wait-ms MS] [--log-level LEVEL]\n"
	    "                   [--listen ADDR:PORT|none] [--token-file FILE]\n"
	    "                   [--max-body-bytes N] [--dataplane-socket PATH]\n"
	    "                   [--conductor FILE] [--kernel-netns NAME] [event options]\n"
	    "       svr-control --check --model FILE [--router NAME]\n"
	    "\n"
	    "The svrouter control daemon for one router: validates the intent model, compiles\n"
	    "this router's policy image and hands it to svr-dataplane over shared memory\n"
	    "(" SVR_SHM_NAME_FMT "). The dataplane keeps forwarding with its last image while\n"
	    "svr-control is stopped or restarting.\n"
	    "\n"
	    "Options:\n"
	    "  -r, --router NAME      this router's name in the model (required, except with\n"
	    "                         --check, or when the --conductor file names the router)\n"
	    "  -i, --instance NAME    the dataplane instance to feed (default: default)\n"
	    "  -m, --model FILE       the model to apply; without it, the last good model\n"
	    "                         stored in the state directory\n"
	    "  -s, --state-dir DIR    where the last good model is kept\n"
	    "                         (default: /var/lib/svrouter/<instance>)\n"
	    "      --once             apply, wait for the dataplane, exit (0 applied, 1 invalid\n"
	    "                         or rejected, 3 not acknowledged within --wait-ms)\n"
	    "      --wait-ms MS       how long --once, or readiness (READY=1), waits for the\n"
	    "                         dataplane to take the model (default 5000)\n"
	    "      --check            validate --model FILE and compile it for --router NAME\n"
	    "                         (without --router: for every router in the model), with\n"
	    "                         no dataplane, shared memory, state or API; prints one\n"
	    "                         line \"FILE: valid; ...\" and exits 0, or prints each error\n"
	    "                         as JSON-PATH: sentence and exits 1\n"
	    "  -l, --log-level LEVEL  error, warning, notice, info (default) or debug\n"
	    "\n"
	    "REST API (docs/api.md; not started with --once):\n"
	    "      --listen ADDR:PORT\n"
	    "                         where to serve /api/v1: IPV4:PORT or [IPV6]:PORT\n"
	    "                         (default " SVR_REST_LISTEN_DEFAULT "); \"none\": no API\n"
	    "      --token-file FILE  the bearer token clients must send; created with a\n"
	    "                         random token (mode 0600) if missing\n"
	    "                         (default: <state-dir>/" SVR_REST_TOKEN_NAME ")\n"
	    "      --max-body-bytes N\n"
	    "                         larger request bodies get 413 (default 67108864)\n"
	    "      --dataplane-socket PATH\n"
	    "                         the dataplane's control socket, for /interfaces,\n"
	    "                         /ports, /routes, /neighbors, /stats, /policy\n"
	    "                         (default " SVR_RUNTIME_DIR_DEFAULT
	    "/<instance>/" SVR_CTLSOCK_NAME ")\n"
	    "Route mirror (docs/routing.md, \"The route mirror\"; not started with --once):\n"
	    "      --kernel-netns NAME\n"
	    "                         the network namespace where svr-dataplane keeps its\n"
	    "                         kernel twins (its startup kernel.namespace; a named\n"
	    "                         namespace, /run/netns/NAME, waited for if missing);\n"
	    "                         its routes are mirrored into the dataplane, and the\n"
	    "                         twins get their interfaces' addresses. Every unicast\n"
	    "                         route of every table but local goes into the route\n"
	    "                         ring (/dev/shm/svr-<instance>-routes) as it changes, a\n"
	    "                         full listing at start and whenever the dataplane asks\n"
	    "                         or a change was lost; the dataplane forwards by those\n"
	    "                         of the main table, and a tenant's sessions by those of\n"
	    "                         the table it is bound to (its routing-table) first.\n"
	    "                         Each twin (the TUN/TAP device named\n"
	    "                         like a model interface) is kept up with exactly the\n"
	    "                         model's addresses (IPv6 link-local ones stay). Without\n"
	    "                         this option nothing is mirrored.\n"
	    "      --dhcp-client PROG the DHCP client run on the twin of each interface whose\n"
	    "                         model says \"dhcp\": true (default udhcpc, searched in\n"
	    "                         PATH; busybox udhcpc's options). It is started in the\n"
	    "                         kernel namespace, restarted when it exits, stopped with\n"
	    "                         svr-control (the lease stays on the twin). The address\n"
	    "                         it puts on the twin, steady for 300 ms, is compiled\n"
	    "                         into the dataplane's image as the interface's address;\n"
	    "                         its router becomes a kernel default route (metric\n"
	    "                         1024). Needs --kernel-netns.\n"
	    "Conductor (docs/conductor.md, \"On the router\"):\n"
	    "      --conductor FILE   be managed by svr-conductor: FILE (conventionally\n"
	    "                         /etc/svrouter/conductor.json) gives its URLs and, for\n"
	    "                         the first start, the enrolment token and the CA's\n"
	    "                         SHA-256; its \"router\" may stand in for --router.\n"
	    "                         Enrols once (credential and CA kept in the state\n"
	    "                         directory), then applies what the conductor sends\n"
	    "                         (keys to the file's key-file first) and reports\n"
	    "                         status every 5 s. Cut off, it keeps running the stored\n"
	    "                         model; a PUT /model on the REST API is a local override\n"
	    "                         until the conductor commits a newer version. Without\n"
	    "                         this option svr-control is not managed (no default\n"
	    "                         file is read). Excludes --model, --once, --check.\n"
	    "Events (docs/telemetry.md, \"Events\"; not with --once): the dataplane's events\n"
	    "(read every 200 ms) and svr-control's own (config applied/rejected, conductor\n"
	    "connected/lost), one JSON object each, go into one queue that every sink reads\n"
	    "on a thread of its own. A slow or dead sink never delays anything else: the queue\n"
	    "keeps the newest events, a sink that falls behind it loses the oldest (counted\n"
	    "in GET /api/v1/events and told in an \"events-lost\" event when it delivers\n"
	    "again). Without a sink the events are still kept for GET /api/v1/events.\n"
	    "      --events-file FILE\n"
	    "                         append each event to FILE as one line of JSON (opened\n"
	    "                         for each batch: a rotated file is followed)\n"
	    "      --events-syslog    send each event to syslog (/dev/log), facility local0,\n"
	    "                         the JSON as the message; a daemon that does not read\n"
	    "                         loses events (counted), it never holds up others\n"
	    "      --events-syslog-socket PATH\n"
	    "                         the same to another unix datagram socket\n"
	    "      --events-http URL  POST events in batches to URL (http or https): a Splunk\n"
	    "                         HTTP Event Collector (.../services/collector/event) or\n"
	    "                         an Elasticsearch bulk endpoint (.../_bulk)\n"
	    "      --events-format hec|elastic\n"
	    "                         the batches' format (default hec): HEC objects one a\n"
	    "                         line, or bulk action/document line pairs sent as\n"
	    "                         application/x-ndjson\n"
	    "      --events-token-file FILE\n"
	    "                         the HEC token (sent as \"Authorization: Splunk TOKEN\")\n"
	    "                         or Elasticsearch API key (\"Authorization: ApiKey KEY\");\n"
	    "                         keep it mode 0600\n"
	    "      --events-index NAME\n"
	    "                         the Elasticsearch index (default svrouter-events)\n"
	    "      --events-queue N   events the queue keeps (default 10000, 100-1000000)\n"
	    "      --events-batch N   events in one POST at most (default 500, 1-10000)\n"
	    "      --events-timeout-ms MS\n"
	    "                         one POST's time limit (default 5000, 100-60000); a\n"
	    "                         failed POST is tried again after 0.5 s, 1 s, 2 s ...\n"
	    "                         up to 30 s\n"
	    "  -h, --help, -V, --version\n"
	    "\n"
	    "Readiness (docs/systemd.md): under systemd (Type=notify, NOTIFY_SOCKET set)\n"
	    "READY=1 is sent once the REST API serves and the model applied at start was\n"
	    "acknowledged by the dataplane (or rejected by it: then STATUS= says why), or\n"
	    "--wait-ms after the start without either: then STATUS=dataplane instance NAME\n"
	    "has not taken the model: ..., updated when it does. With nothing to apply\n"
	    "(--conductor and no stored model: first boot; or no --model and none stored)\n"
	    "READY=1 comes once the API serves and the conductor client is started, with\n"
	    "STATUS=waiting for enrolment with URL, then enrolled with URL; waiting for its\n"
	    "first configuration (without a conductor: no model: waiting for one).\n"
	    "STATUS= follows every generation the dataplane takes; STOPPING=1 on\n"
	    "SIGINT/SIGTERM.\n"
	    "Signals: SIGHUP re-reads --model (or the stored model); SIGINT/SIGTERM stop.\n"
	    "Validation errors are printed one per line as JSON-PATH: sentence.\n"
	    "Exit status: 0 running until stopped, applied (--once) or valid (--check);\n"
	    "1 invalid model, rejected, or start-up failure (the REST address is taken...);\n"
	    "2 usage; 3 --once: not acknowledged within --wait-ms.\n"
	    "\n"
	    "Examples:\n"
	    "  svr-control --check --model lab.json\n"
	    "  svr-control --router r1 --instance r1 --model lab.json --listen 127.0.0.1:8741\n",
	    "<instance>");
}

static void print_errors(const struct svr_model_errors *e)
{
	for (unsigned i = 0; i < e->count; i++)
		fprintf(stderr, "%s: %s\n", e->list[i].path, e->list[i].message);
}

/* An option's whole number within [min, max], or -1 with a message. */
static long long count_arg(const char *opt, const char *text, long long min, long long max)
{
	char *end;
	errno = 0;
	long long n = strtoll(text, &end, 10);
	if (errno || end == text || *end || n < min || n > max) {
		fprintf(stderr, "svr-control: --%s: \"%s\" is not a whole number %lld-%lld\n", opt,
			text, min, max);
		return -1;
	}
	return n;
}

/* Applies the model file, or the stored one. Returns 0 and the generation, or -1. */
static int apply(struct svr_ctl *c, const char *model, uint64_t *gen)
{
	struct svr_model_errors errors;
	svr_model_errors_init(&errors);
	int rc = -1;
	if (model) {
		size_t len;
		char *text = svr_read_file(model, SIZE_MAX, &len);
		if (!text) {
			LOG_ERR("cannot read %s: %s", model, strerror(errno));
		} else {
			enum svr_apply_result r = svr_ctl_apply_text(c, text, len, &errors, gen);
			if (r != SVR_APPLY_OK) {
				LOG_ERR("%s: %u error(s); nothing applied", model, errors.count);
				print_errors(&errors);
			}
			rc = r == SVR_APPLY_OK ? 0 : -1;
			free(text);
		}
	} else {
		char path[300];
		svr_ctl_stored_path(c, path, sizeof(path));
		rc = svr_ctl_apply_stored(c, &errors, gen);
		if (rc < 0 && access(path, F_OK) == 0) {
			LOG_ERR("stored model %s no longer applies", path);
			print_errors(&errors);
		} else if (rc < 0) {
			LOG_WARN("no --model and no stored model (%s): waiting for one", path);
		}
	}
	if (rc == 0)
		LOG_NOTICE("published generation %llu for router %s", (unsigned long long)*gen,
			   c->router);
	svr_model_errors_free(&errors);
	return rc;
}

/* Compiles doc (validated) for routers[index], whose name is name; prints what failed. */
static int check_router(const json_t *doc, const struct svr_model_index *ix, size_t index,
			size_t *img_len)
{
	void *img;
	char err[256];
	if (svr_model_compile_indexed(doc, ix, index, &img, img_len, err, sizeof(err)) < 0) {
		fprintf(stderr, "authority.routers[%zu]: %s\n", index, err);
		return -1;
	}
	free(img);
	return 0;
}

/* --check: validates the model file and compiles it for router (NULL: every router). Prints
 * one summary line on success, every error as PATH: MESSAGE otherwise. Returns the exit status. */
static int check_model(const char *file, const char *router)
{
	size_t len;
	char *text = svr_read_file(file, SIZE_MAX, &len);
	if (!text) {
		fprintf(stderr, "svr-control: cannot read %s: %s\n", file, strerror(errno));
		return 1;
	}
	json_error_t jerr;
	json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	free(text);
	if (!doc) {
		fprintf(stderr, "(top): line %d column %d: %s\n%s: not valid JSON\n", jerr.line,
			jerr.column, jerr.text, file);
		return 1;
	}
	struct svr_model_errors errors;
	svr_model_errors_init(&errors);
	int bad = svr_model_validate(doc, &errors) < 0;
	print_errors(&errors);
	unsigned n_err = errors.count;
	svr_model_errors_free(&errors);

	char summary[1024] = "";
	size_t off = 0;
	unsigned n_ok = 0;
	const json_t *routers = json_object_get(json_object_get(doc, "authority"), "routers");
	if (!bad && router && !svr_model_router(doc, router)) {
		fprintf(stderr, "authority.routers: the model has no router named \"%s\"\n",
			router);
		bad = 1;
		n_err++;
	}
	struct svr_model_index *ix = bad ? NULL : svr_model_index_new(doc);
	if (!bad && !ix) {
		fprintf(stderr, "svr-control: out of memory indexing %s\n", file);
		bad = 1;
		n_err++;
	}
	size_t i, listed = 0;
	const json_t *r;
	json_array_foreach (bad ? NULL : routers, i, r) {
		const char *name = json_string_value(json_object_get(r, "name"));
		size_t img_len;
		if (router && strcmp(name, router) != 0)
			continue;
		if (check_router(doc, ix, i, &img_len) < 0) {
			bad = 1;
			n_err++;
			continue;
		}
		n_ok++;
		/* Whole entries only, and a count of the ones that did not fit. */
		char entry[128];
		int n = snprintf(entry, sizeof(entry), "%s%s (%zu bytes)", listed ? ", " : "", name,
				 img_len);
		if (n > 0 && off + (size_t)n < sizeof(summary) - 32) {
			memcpy(summary + off, entry, (size_t)n + 1);
			off += (size_t)n;
			listed++;
		}
	}
	if (n_ok > listed)
		snprintf(summary + off, sizeof(summary) - off, " and %zu more", n_ok - listed);
	svr_model_index_free(ix);
	json_decref(doc);
	if (bad) {
		fprintf(stderr, "%s: %u error(s)\n", file, n_err);
		return 1;
	}
	printf("%s: valid; compiled for %u router(s): %s\n", file, n_ok,
	       n_ok ? summary : "(the model has none)");
	return fflush(stdout) == 0 ? 0 : 1;
}

/*
 * Readiness for systemd (Type=notify): "started" means the model applied at start is what the
 * dataplane runs, or, with nothing to apply yet (a conductor's first boot), that the API serves
 * and the conductor client runs. The wait for the dataplane is bounded (--wait-ms): a
 * svr-control that waited for ever would be killed by systemd after TimeoutStartSec= and
 * restarted, again and again, taking the REST API and the conductor's sync down with it while
 * the dataplane is down. STATUS= then follows what the dataplane takes. Polled from the main
 * loop: nothing else waits for it.
 */
struct readiness {
	bool ready;
	bool computed;        /* status was worked out at least once */
	uint64_t start_gen;   /* the channel's generation before this run published anything */
	uint64_t deadline_ns; /* CLOCK_MONOTONIC: READY=1 by then, whatever the dataplane does */
	unsigned wait_ms;
	/* What status was worked out from: it is worked out again only when one changes. */
	uint64_t seen_published, seen_acked, seen_rejected;
	/* The enrolment state's next look, while nothing is published. */
	uint64_t next_conductor_ns;
	char status[512];
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The conductor client's state as a sentence: enrolment, or the version applied. */
static void conductor_status(struct svr_conductor *cd, bool published, char *out, size_t len)
{
	json_t *o = svr_conductor_status_json(cd);
	const char *url = json_string_value(json_object_get(o, "url"));
	const char *fatal = json_string_value(json_object_get(o, "error"));
	const char *last = json_string_value(json_object_get(o, "last-error"));
	const char *reach = json_string_value(json_object_get(o, "conductor"));
	json_int_t version = json_integer_value(json_object_get(o, "applied-version"));
	if (fatal)
		snprintf(out, len, "conductor %s: %s", url, fatal);
	else if (!json_is_true(json_object_get(o, "enrolled")))
		snprintf(out, len, "waiting for enrolment with %s%s%s", url, last ? ": " : "",
			 last ? last : "");
	else if (!published)
		snprintf(out, len, "enrolled with %s; waiting for its first configuration%s%s", url,
			 last ? ": " : "", last ? last : "");
	else
		snprintf(out, len, "conductor %s %s, version %lld", url, reach ? reach : "",
			 (long long)version);
	json_decref(o);
}

static void readiness_tick(struct readiness *r, struct svr_ctl *ctl, struct svr_conductor *cd)
{
	pthread_mutex_lock(&ctl->lock);
	uint64_t published = ctl->generation > r->start_gen ? ctl->generation : 0;
	pthread_mutex_unlock(&ctl->lock);
	uint64_t acked = svr_ctl_acked(ctl);
	uint64_t rejected = atomic_load(&ctl->shm.ctl->rejected_generation);
	uint64_t now = mono_ns();
	bool changed = !r->computed || published != r->seen_published || acked != r->seen_acked ||
		       rejected != r->seen_rejected;
	bool timed_out = !r->ready && now >= r->deadline_ns;
	/* Enrolment has no generation to watch: looked at once a second until a model comes. */
	bool cd_look = cd && !published && now >= r->next_conductor_ns;
	/* The usual tick, ready or still waiting: a few loads and a clock read, nothing built. */
	if (!changed && !cd_look && !timed_out)
		return;
	r->computed = true;
	r->seen_published = published;
	r->seen_acked = acked;
	r->seen_rejected = rejected;
	if (cd_look)
		r->next_conductor_ns = now + 1000000000u;

	char st[sizeof(r->status)], cds[256] = "", reason[256];
	bool ready = false, dataplane_missing = false;
	if (cd)
		conductor_status(cd, published, cds, sizeof(cds));
	if (!published) {
		/* Nothing to wait for: ready to take a model (from the conductor, the API). */
		ready = true;
		if (cd)
			snprintf(st, sizeof(st), "%s", cds);
		else
			snprintf(st, sizeof(st),
				 "no model: waiting for one (PUT /api/v1/model, or SIGHUP)");
	} else {
		int w = svr_shm_wait(&ctl->shm, published, 0, reason, sizeof(reason));
		ready = w != 0 || timed_out;
		if (w > 0)
			snprintf(st, sizeof(st), "running generation %llu for router %s%s%s",
				 (unsigned long long)published, ctl->router, cd ? "; " : "", cds);
		else if (w < 0 && acked)
			snprintf(st, sizeof(st),
				 "generation %llu rejected by the dataplane: %s; it runs "
				 "generation %llu",
				 (unsigned long long)published, reason, (unsigned long long)acked);
		else if (w < 0)
			snprintf(st, sizeof(st),
				 "generation %llu rejected by the dataplane: %s; it forwards "
				 "nothing",
				 (unsigned long long)published, reason);
		else if (r->ready || timed_out) {
			dataplane_missing = true;
			snprintf(st, sizeof(st),
				 "dataplane instance %s has not taken the model: generation %llu "
				 "not acknowledged (is svr-dataplane@%s running?); the REST API "
				 "serves",
				 ctl->instance, (unsigned long long)published, ctl->instance);
		} else
			snprintf(st, sizeof(st),
				 "waiting for svr-dataplane instance %s to take generation %llu",
				 ctl->instance, (unsigned long long)published);
	}
	if (ready && !r->ready) {
		r->ready = true;
		svr_sd_notifyf("READY=1\nSTATUS=%s", st);
		snprintf(r->status, sizeof(r->status), "%s", st);
		if (dataplane_missing)
			LOG_WARN("ready after --wait-ms %u ms without the dataplane: %s",
				 r->wait_ms, st);
		else
			LOG_INFO("ready: %s", st);
	} else if (strcmp(st, r->status) != 0) {
		svr_sd_notifyf("STATUS=%s", st);
		snprintf(r->status, sizeof(r->status), "%s", st);
	}
}

/* --once: apply, wait for the dataplane; the exit status. */
static int apply_once(struct svr_ctl *ctl, const char *model, unsigned wait_ms)
{
	uint64_t gen = 0;
	if (apply(ctl, model, &gen) < 0)
		return 1;
	char reason[256];
	int w = svr_ctl_wait(ctl, gen, wait_ms, reason, sizeof(reason));
	if (w > 0)
		printf("generation %llu applied by the dataplane\n", (unsigned long long)gen);
	else if (w < 0)
		LOG_ERR("the dataplane rejected generation %llu: %s", (unsigned long long)gen,
			reason);
	else
		LOG_WARN("generation %llu published; not acknowledged within %u ms "
			 "(is svr-dataplane running as instance \"%s\"?)",
			 (unsigned long long)gen, wait_ms, ctl->instance);
	return w > 0 ? 0 : w < 0 ? 1 : 3;
}

int main(int argc, char **argv)
{
	enum {
		OPT_LISTEN = 256,
		OPT_TOKEN_FILE,
		OPT_MAX_BODY,
		OPT_DP_SOCKET,
		OPT_CHECK,
		OPT_CONDUCTOR,
		OPT_EV_FILE,
		OPT_EV_SYSLOG,
		OPT_EV_SYSLOG_SOCKET,
		OPT_EV_HTTP,
		OPT_EV_FORMAT,
		OPT_EV_TOKEN,
		OPT_EV_INDEX,
		OPT_EV_QUEUE,
		OPT_EV_BATCH,
		OPT_EV_TIMEOUT,
		OPT_KERNEL_NETNS,
		OPT_DHCP_CLIENT,
	};
	static const struct option opts[] = {
	    {"router", required_argument, NULL, 'r'},
	    {"instance", required_argument, NULL, 'i'},
	    {"model", required_argument, NULL, 'm'},
	    {"state-dir", required_argument, NULL, 's'},
	    {"once", no_argument, NULL, 'o'},
	    {"wait-ms", required_argument, NULL, 'w'},
	    {"log-level", required_argument, NULL, 'l'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {"listen", required_argument, NULL, OPT_LISTEN},
	    {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
	    {"max-body-bytes", required_argument, NULL, OPT_MAX_BODY},
	    {"dataplane-socket", required_argument, NULL, OPT_DP_SOCKET},
	    {"check", no_argument, NULL, OPT_CHECK},
	    {"conductor", required_argument, NULL, OPT_CONDUCTOR},
	    {"events-file", required_argument, NULL, OPT_EV_FILE},
	    {"events-syslog", no_argument, NULL, OPT_EV_SYSLOG},
	    {"events-syslog-socket", required_argument, NULL, OPT_EV_SYSLOG_SOCKET},
	    {"events-http", required_argument, NULL, OPT_EV_HTTP},
	    {"events-format", required_argument, NULL, OPT_EV_FORMAT},
	    {"events-token-file", required_argument, NULL, OPT_EV_TOKEN},
	    {"events-index", required_argument, NULL, OPT_EV_INDEX},
	    {"events-queue", required_argument, NULL, OPT_EV_QUEUE},
	    {"events-batch", required_argument, NULL, OPT_EV_BATCH},
	    {"events-timeout-ms", required_argument, NULL, OPT_EV_TIMEOUT},
	    {"kernel-netns", required_argument, NULL, OPT_KERNEL_NETNS},
	    {"dhcp-client", required_argument, NULL, OPT_DHCP_CLIENT},
	    {NULL, 0, NULL, 0},
	};
	const char *router = NULL, *instance = "default", *model = NULL, *state_dir = NULL;
	const char *conductor_file = NULL, *kernel_netns = NULL, *dhcp_client = "udhcpc";
	bool once = false, check = false;
	struct svr_rest_opts rest_opts = {.listen = SVR_REST_LISTEN_DEFAULT,
					  .max_body = SVR_REST_MAX_BODY_DEFAULT};
	unsigned wait_ms = 5000;
	struct svr_events_opts ev_opts = {.format = SVR_EVENTS_HEC};
	long long n_arg;
	int opt;
	svr_log_init("svr-control", NULL);
	while ((opt = getopt_long(argc, argv, "r:i:m:s:l:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			router = optarg;
			break;
		case 'i':
			instance = optarg;
			break;
		case 'm':
			model = optarg;
			break;
		case 's':
			state_dir = optarg;
			break;
		case 'o':
			once = true;
			break;
		case 'w':
			wait_ms = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'l': {
			int lvl = svr_log_level_parse(optarg);
			if (lvl < 0) {
				fprintf(stderr, "svr-control: unknown log level \"%s\"\n", optarg);
				return 2;
			}
			svr_log_set_level((enum svr_log_level)lvl);
			break;
		}
		case OPT_LISTEN:
			rest_opts.listen = optarg;
			break;
		case OPT_TOKEN_FILE:
			rest_opts.token_file = optarg;
			break;
		case OPT_MAX_BODY: {
			char *end;
			errno = 0;
			unsigned long long n = strtoull(optarg, &end, 10);
			if (errno || end == optarg || *end || *optarg == '-' || n == 0) {
				fprintf(stderr,
					"svr-control: --max-body-bytes: \"%s\" is not a positive "
					"number of bytes\n",
					optarg);
				return 2;
			}
			rest_opts.max_body = n;
			break;
		}
		case OPT_DP_SOCKET:
			rest_opts.dataplane_sock = optarg;
			break;
		case OPT_CHECK:
			check = true;
			break;
		case OPT_CONDUCTOR:
			conductor_file = optarg;
			break;
		case OPT_EV_FILE:
			ev_opts.file = optarg;
			break;
		case OPT_EV_SYSLOG:
			ev_opts.syslog = true;
			break;
		case OPT_EV_SYSLOG_SOCKET:
			ev_opts.syslog_socket = optarg;
			break;
		case OPT_EV_HTTP:
			if (strncmp(optarg, "http://", 7) != 0 &&
			    strncmp(optarg, "https://", 8) != 0) {
				fprintf(stderr,
					"svr-control: --events-http: \"%s\" is not an http:// "
					"or https:// URL\n",
					optarg);
				return 2;
			}
			ev_opts.http_url = optarg;
			break;
		case OPT_EV_FORMAT:
			if (strcmp(optarg, "hec") != 0 && strcmp(optarg, "elastic") != 0) {
				fprintf(
				    stderr,
				    "svr-control: --events-format: \"%s\" is not hec or elastic\n",
				    optarg);
				return 2;
			}
			ev_opts.format = optarg[0] == 'h' ? SVR_EVENTS_HEC : SVR_EVENTS_ELASTIC;
			break;
		case OPT_EV_TOKEN:
			ev_opts.token_file = optarg;
			break;
		case OPT_EV_INDEX:
			ev_opts.index = optarg;
			break;
		case OPT_EV_QUEUE:
			if ((n_arg = count_arg("events-queue", optarg, 100, 1000000)) < 0)
				return 2;
			ev_opts.queue = (unsigned)n_arg;
			break;
		case OPT_EV_BATCH:
			if ((n_arg = count_arg("events-batch", optarg, 1, 10000)) < 0)
				return 2;
			ev_opts.batch = (unsigned)n_arg;
			break;
		case OPT_EV_TIMEOUT:
			if ((n_arg = count_arg("events-timeout-ms", optarg, 100, 60000)) < 0)
				return 2;
			ev_opts.http_timeout_ms = (unsigned)n_arg;
			break;
		case OPT_KERNEL_NETNS:
			if (!*optarg || strchr(optarg, '/') || strlen(optarg) > 200) {
				fprintf(stderr,
					"svr-control: --kernel-netns: \"%s\" is not a network "
					"namespace name (/run/netns/NAME)\n",
					optarg);
				return 2;
			}
			kernel_netns = optarg;
			break;
		case OPT_DHCP_CLIENT:
			if (!*optarg) {
				fprintf(stderr, "svr-control: --dhcp-client: empty program name\n");
				return 2;
			}
			dhcp_client = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("svr-control %s\n", SVR_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	static struct svr_cd_config cd_cfg; /* ctl.router may point into it */
	if (conductor_file && (check || once || model)) {
		fprintf(stderr,
			"svr-control: --conductor excludes --%s (the conductor sends the "
			"model)\n",
			check  ? "check"
			: once ? "once"
			       : "model");
		return 2;
	}
	if (conductor_file) {
		char cerr[1024];
		if (svr_cd_config_load(conductor_file, &cd_cfg, cerr, sizeof(cerr)) < 0) {
			fprintf(stderr, "svr-control: %s\n", cerr);
			/* A box installed but not told its conductor yet (systemd retries). */
			if (access(conductor_file, F_OK) != 0)
				fprintf(stderr,
					"svr-control: write %s (the conductor's URLs, this "
					"router's name, its enrolment token and the CA's SHA-256; "
					"docs/conductor.md) to enrol this router\n",
					conductor_file);
			return 1;
		}
		if (router && cd_cfg.router[0] && strcmp(router, cd_cfg.router) != 0) {
			fprintf(stderr,
				"svr-control: --router %s, but the conductor file %s says router "
				"\"%s\"\n",
				router, conductor_file, cd_cfg.router);
			return 2;
		}
		if (!router && cd_cfg.router[0])
			router = cd_cfg.router;
	}
	if (optind != argc || (check && (!model || once)) || (!check && !router)) {
		if (check && !model)
			fprintf(stderr, "svr-control: --check needs --model FILE\n");
		else if (check && once)
			fprintf(stderr, "svr-control: --check and --once exclude each other\n");
		usage(stderr);
		return 2;
	}
	if (check)
		return check_model(model, router);
	svr_log_init("svr-control", instance);
	char dflt_state[256];
	snprintf(dflt_state, sizeof(dflt_state), "/var/lib/svrouter/%s", instance);

	static struct svr_ctl ctl;
	char err[256];
	if (svr_ctl_init(&ctl, instance, router, state_dir ? state_dir : dflt_state, err,
			 sizeof(err)) < 0) {
		LOG_ERR("%s", err);
		return 1;
	}
	if (once) {
		int rc = apply_once(&ctl, model, wait_ms);
		svr_ctl_fini(&ctl);
		return rc;
	}

	signal(SIGINT, on_stop);
	signal(SIGTERM, on_stop);
	signal(SIGHUP, on_hup);
	signal(SIGPIPE, SIG_IGN);
	/* Once, before any thread (libmicrohttpd's, the conductor client's) exists. */
	bool curl_used = conductor_file || ev_opts.http_url;
	if (curl_used && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		LOG_ERR("cannot initialise libcurl");
		svr_ctl_fini(&ctl);
		return 1;
	}
	char dp_sock[300];
	snprintf(dp_sock, sizeof(dp_sock), "%s/%s/%s", SVR_RUNTIME_DIR_DEFAULT, instance,
		 SVR_CTLSOCK_NAME);
	if (!rest_opts.dataplane_sock)
		rest_opts.dataplane_sock = dp_sock;
	/* Before the first apply, whose outcome is an event. */
	ev_opts.dataplane_sock = rest_opts.dataplane_sock;
	ev_opts.state_dir = ctl.state_dir;
	if (svr_events_start(&ctl, &ev_opts, err, sizeof(err)) < 0) {
		LOG_ERR("events: %s", err);
		svr_ctl_fini(&ctl);
		return 1;
	}
	struct svr_conductor *cd = NULL;
	if (conductor_file) {
		cd = svr_conductor_new(&ctl, &cd_cfg, conductor_file, rest_opts.dataplane_sock, err,
				       sizeof(err));
		if (!cd) {
			LOG_ERR("%s", err);
			svr_events_stop();
			svr_ctl_fini(&ctl);
			return 1;
		}
		rest_opts.conductor = cd;
	}
	/* The mirror's thread takes each model applied from here on (the first one below). */
	struct ctl_nl_follow *mirror = NULL;
	if (kernel_netns) {
		mirror = ctl_nl_follow_start(&ctl, kernel_netns, dhcp_client, err, sizeof(err));
		if (!mirror)
			LOG_ERR("route mirror: %s; running without it", err);
	}
	rest_opts.route_mirror = mirror;
	/* The API first: a router that cannot serve it (its port taken by another router's
	 * svr-control) exits before publishing anything. */
	struct svr_rest *rest = NULL;
	char token_path[300], url_path[300];
	snprintf(url_path, sizeof(url_path), "%s/%s", ctl.state_dir, SVR_REST_URL_NAME);
	if (strcmp(rest_opts.listen, "none") != 0) {
		snprintf(token_path, sizeof(token_path), "%s/%s", ctl.state_dir,
			 SVR_REST_TOKEN_NAME);
		if (!rest_opts.token_file)
			rest_opts.token_file = token_path;
		rest_opts.url_file = url_path;
		rest = svr_rest_start(&ctl, &rest_opts, err, sizeof(err));
		if (!rest) {
			LOG_ERR("%s; nothing published", err);
			ctl_nl_follow_stop(mirror);
			svr_conductor_stop(cd);
			svr_events_stop();
			svr_ctl_fini(&ctl);
			return 1;
		}
	} else {
		unlink(url_path); /* an earlier run's: no API here now */
	}
	struct readiness ready = {.start_gen = ctl.generation,
				  .wait_ms = wait_ms,
				  .deadline_ns = mono_ns() + (uint64_t)wait_ms * 1000000u};
	uint64_t gen = 0;
	apply(&ctl, model, &gen);
	if (cd && svr_conductor_start(cd, err, sizeof(err)) < 0) {
		LOG_ERR("%s", err);
		svr_rest_stop(rest);
		ctl_nl_follow_stop(mirror);
		svr_conductor_stop(cd);
		svr_events_stop();
		svr_ctl_fini(&ctl);
		return 1;
	}
	LOG_NOTICE("svr-control %s running for router %s", SVR_VERSION, router);
	while (!stop_requested) {
		readiness_tick(&ready, &ctl, cd);
		/* A signal ends the sleep early. Until READY=1, 100 ms is how soon it follows the
		 * ack; after it, STATUS= may lag a generation by a second. */
		struct timespec tick = {.tv_sec = ready.ready ? 1 : 0,
					.tv_nsec = ready.ready ? 0 : 100 * 1000 * 1000};
		nanosleep(&tick, NULL);
		if (reload_requested) {
			reload_requested = 0;
			apply(&ctl, model, &gen);
		}
	}
	svr_sd_notify("STOPPING=1");
	svr_rest_stop(rest); /* first: its handlers use the conductor client and the mirror */
	ctl_nl_follow_stop(mirror);
	svr_conductor_stop(cd); /* ends a held long poll within about a second */
	svr_events_stop();      /* an HTTP POST in flight ends within its timeout */
	if (curl_used)
		curl_global_cleanup();
	LOG_NOTICE("stopping; the dataplane keeps generation %llu",
		   (unsigned long long)svr_ctl_acked(&ctl));
	svr_ctl_fini(&ctl);
	return 0;
}
