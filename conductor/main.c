/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * svr-conductor: the authority's model store and its routers' configuration server
 * (docs/conductor.md). The main thread parses the command line and the startup file, opens the
 * store, sets up TLS, starts the HTTPS server and the router API's watcher, then ticks once a
 * second (key rotation, alarms, the audit log's summaries, scheduled proposals) until SIGINT or
 * SIGTERM, then stops the server and writes what the audit log has left.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "audit.h"
#include "common/fsutil.h"
#include "commit.h"
#include "common/log.h"
#include "common/sdnotify.h"
#include "conductor.h"
#include "config.h"
#include "http/http.h"
#include "httpd/httpd.h"
#include "keys.h"
#include "model/validate.h"
#include "pki.h"
#include "svr/version.h"
#include "webhook.h"

#define FDS_SPARE 256 /* descriptors beyond connection-limit: store, files, the listener */

int64_t cd_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: svr-conductor [--config FILE] [--state-dir DIR] [--listen ADDR:PORT]\n"
	    "                     [--log-level LEVEL]\n"
	    "       svr-conductor [--config FILE] [--state-dir DIR] --enrolment-token ROUTER\n"
	    "                     [--asset-id ID]\n"
	    "       svr-conductor [--config FILE] [--state-dir DIR] --commit MODEL\n"
	    "                     [--message TEXT] [--emergency]\n"
	    "\n"
	    "The svrouter conductor: keeps the authority's intent model as numbered versions\n"
	    "and serves every router its part of the running version, and the inter-router\n"
	    "keys, over HTTPS. Routers enrol with a one-time token, then hold a long poll open\n"
	    "and hear of a commit within a second. Operators use the same address with an\n"
	    "operator token (svrctl conductor ...). See docs/conductor.md.\n"
	    "\n"
	    "On the first start the conductor creates the authority's certificate authority\n"
	    "(EC P-256) in the store, and issues itself a certificate for the startup file's\n"
	    "\"names\"; it logs the CA's SHA-256 fingerprint, which each router is given at\n"
	    "enrolment. Operator tokens are created (mode 0600) in the state directory when\n"
	    "missing; only their SHA-256 is kept in memory.\n"
	    "\n"
	    "Options:\n"
	    "  -c, --config FILE      the startup file (JSON, every key optional): listen,\n"
	    "                         state-dir, store, names, operators, hold-s,\n"
	    "                         router-timeout-s, enrolment-token-ttl-s,\n"
	    "                         max-body-bytes, connection-limit,\n"
	    "                         per-ip-connection-limit, change-control,\n"
	    "                         itsm-webhook, ui-vue-js (docs/conductor.md)\n"
	    "  -s, --state-dir DIR    overrides the file's state-dir: the SQLite store, the\n"
	    "                         operator tokens, this conductor's TLS key\n"
	    "                         (default " CD_STATE_DIR_DEFAULT ")\n"
	    "  -l, --listen ADDR:PORT overrides the file's listen: IPV4:PORT or [IPV6]:PORT\n"
	    "                         (default " CD_LISTEN_DEFAULT ")\n"
	    "      --log-level LEVEL  error, warning, notice, info (default) or debug\n"
	    "  -h, --help, -V, --version\n"
	    "\n"
	    "Local administration (on the conductor's host, with the same store; the\n"
	    "conductor may be running):\n"
	    "      --enrolment-token ROUTER\n"
	    "                         add ROUTER to the inventory if it is not there, create a\n"
	    "                         one-time enrolment token for it (valid for\n"
	    "                         enrolment-token-ttl-s) and print it on stdout\n"
	    "      --asset-id ID      with --enrolment-token: the router's asset id\n"
	    "      --commit MODEL     validate the model file and commit it as the next\n"
	    "                         version (author \"local\"); prints the version, or each\n"
	    "                         error as JSON-PATH: sentence\n"
	    "      --message TEXT     with --commit: the commit message\n"
	    "      --emergency        with --commit: required when change control is on (the\n"
	    "                         commit bypasses proposals and approvals); the audit log\n"
	    "                         records it as an emergency commit\n"
	    "\n"
	    "Readiness: under systemd (Type=notify, NOTIFY_SOCKET set) READY=1 is sent once\n"
	    "the store is open and the HTTPS server listens; STOPPING=1 on SIGINT/SIGTERM.\n"
	    "Signals: SIGINT/SIGTERM stop (held syncs are answered, then the server stops).\n"
	    "Exit status: 0 stopped by a signal, or the administration verb succeeded; 1 start-up\n"
	    "failure (bad startup file, store, TLS, address in use) or the verb failed;\n"
	    "2 usage.\n"
	    "\n"
	    "Examples:\n"
	    "  svr-conductor --config /etc/svrouter/svr-conductor.json\n"
	    "  svr-conductor --state-dir /tmp/cd --listen 127.0.0.1:8443\n"
	    "  svr-conductor --state-dir /tmp/cd --enrolment-token r1 --asset-id SN-0001\n");
}

struct options {
	const char *config, *state_dir, *listen, *log_level;
	const char *enrol_router, *asset_id, *commit, *message;
	bool emergency;
};

static int parse_args(int argc, char **argv, struct options *o)
{
	enum { OPT_LOG = 256, OPT_TOKEN, OPT_ASSET, OPT_COMMIT, OPT_MESSAGE, OPT_EMERGENCY };
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"state-dir", required_argument, NULL, 's'},
	    {"listen", required_argument, NULL, 'l'},
	    {"log-level", required_argument, NULL, OPT_LOG},
	    {"enrolment-token", required_argument, NULL, OPT_TOKEN},
	    {"asset-id", required_argument, NULL, OPT_ASSET},
	    {"commit", required_argument, NULL, OPT_COMMIT},
	    {"message", required_argument, NULL, OPT_MESSAGE},
	    {"emergency", no_argument, NULL, OPT_EMERGENCY},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0}};
	int opt;
	while ((opt = getopt_long(argc, argv, "c:s:l:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			o->config = optarg;
			break;
		case 's':
			o->state_dir = optarg;
			break;
		case 'l':
			o->listen = optarg;
			break;
		case OPT_LOG:
			o->log_level = optarg;
			break;
		case OPT_TOKEN:
			o->enrol_router = optarg;
			break;
		case OPT_ASSET:
			o->asset_id = optarg;
			break;
		case OPT_COMMIT:
			o->commit = optarg;
			break;
		case OPT_MESSAGE:
			o->message = optarg;
			break;
		case OPT_EMERGENCY:
			o->emergency = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("svr-conductor %s\n", SVR_VERSION);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	const char *bad = optind < argc                  ? "unexpected argument"
			  : o->enrol_router && o->commit ? "--enrolment-token and --commit together"
			  : o->asset_id && !o->enrol_router ? "--asset-id without --enrolment-token"
			  : o->message && !o->commit        ? "--message without --commit"
			  : o->emergency && !o->commit      ? "--emergency without --commit"
							    : NULL;
	if (bad) {
		fprintf(stderr, "svr-conductor: %s%s%s (see --help)\n", bad,
			optind < argc ? ": " : "", optind < argc ? argv[optind] : "");
		return -1;
	}
	return 0;
}

/* The startup file, then the command line over it. */
static int load_config(const struct options *o, struct cd_config *cfg)
{
	cd_config_defaults(cfg);
	struct svr_jerr je;
	if (o->config && cd_config_load(o->config, cfg, &je) < 0) {
		fprintf(stderr, "svr-conductor: %s: %s\n", o->config, je.msg);
		return -1;
	}
	char err[512];
	struct sockaddr_storage ss;
	if (o->listen &&
	    (strlen(o->listen) >= sizeof(cfg->listen) ||
	     svr_httpd_parse_listen(o->listen, "--listen", &ss, err, sizeof(err)) < 0)) {
		fprintf(stderr, "svr-conductor: %s\n", err);
		return -1;
	}
	if (o->listen)
		snprintf(cfg->listen, sizeof(cfg->listen), "%s", o->listen);
	if (o->state_dir && (!*o->state_dir || strlen(o->state_dir) > 3000)) {
		fprintf(stderr, "svr-conductor: --state-dir: a path of 1-3000 characters\n");
		return -1;
	}
	if (o->state_dir)
		snprintf(cfg->state_dir, sizeof(cfg->state_dir), "%s", o->state_dir);
	if (cd_config_finish(cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "svr-conductor: %s\n", err);
		return -1;
	}
	if (svr_mkdir_p(cfg->state_dir, 0700) < 0) {
		fprintf(stderr, "svr-conductor: cannot create the state directory %s: %s\n",
			cfg->state_dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* Room for every connection the server may hold. */
static void raise_fd_limit(unsigned connections)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)connections + FDS_SPARE;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < want)
		LOG_WARN("open files limited to %llu: fewer than connection-limit %u + %d; raise "
			 "the hard limit (ulimit -Hn) or lower connection-limit",
			 (unsigned long long)rl.rlim_cur, connections, FDS_SPARE);
}

/* --enrolment-token ROUTER: inventory entry and a one-time token, printed. */
static int make_enrolment_token(struct conductor *c, const char *router, const char *asset)
{
	char err[512];
	if (!svr_model_router_name_valid(router)) {
		fprintf(stderr,
			"svr-conductor: --enrolment-token: \"%s\" is not a router name (%s)\n",
			router, SVR_MODEL_ROUTER_NAME_RULE);
		return 1;
	}
	int rc = svr_store_router_add(c->store, router, asset ? asset : "", err, sizeof(err));
	if (rc < 0 && rc != SVR_STORE_EXISTS) {
		fprintf(stderr, "svr-conductor: router %s: %s\n", router, err);
		return 1;
	}
	char token[2 * CD_SECRET_BYTES + 1];
	int64_t expires_ms;
	if (cd_enrolment_token_new(c, router, token, &expires_ms, err, sizeof(err)) < 0) {
		fprintf(stderr, "svr-conductor: enrolment token for %s: %s\n", router, err);
		return 1;
	}
	printf("%s\n", token);
	fflush(stdout);
	OPENSSL_cleanse(token, sizeof(token));
	LOG_NOTICE("created an enrolment token for router %s (valid %u s)", router,
		   c->cfg.enrolment_token_ttl_s);
	return 0;
}

/* The audit log's entry of a local commit: the one way past change control leaves a trace. */
static void audit_local_commit(struct conductor *c, const struct svr_store_commit *info,
			       bool emergency)
{
	char detail[128], err[256];
	snprintf(detail, sizeof(detail), "%s commit of version %" PRId64,
		 emergency ? "emergency" : "local", info->version);
	struct svr_store_audit e = {.at_ms = cd_now_ms(),
				    .who = "local",
				    .peer = "local",
				    .method = "CLI",
				    .path = "--commit",
				    .action = "commit",
				    .detail = detail,
				    .status = 200};
	if (svr_store_audit_add(c->store, &e, NULL, err, sizeof(err)) < 0)
		fprintf(stderr, "svr-conductor: the audit log's entry \"%s\" is lost: %s\n", detail,
			err);
}

/* --commit MODEL: the file as the next version. */
static int commit_file(struct conductor *c, const char *path, const char *message, bool emergency)
{
	if (c->cfg.change_control.enabled && !emergency) {
		fprintf(stderr,
			"svr-conductor: --commit: change control is on, so changes go through "
			"proposals and approvals; add --emergency to commit anyway (the audit log "
			"records it as an emergency commit)\n");
		return 1;
	}
	json_error_t jerr;
	json_t *model = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!model) {
		fprintf(stderr, "(top): line %d column %d: %s\n%s: not valid JSON\n", jerr.line,
			jerr.column, jerr.text, path);
		return 1;
	}
	struct svr_model_errors errors;
	svr_model_errors_init(&errors);
	struct svr_store_commit info;
	char err[512];
	int rc = svr_store_commit(c->store, model, "local", message ? message : "", "", &info,
				  &errors, err, sizeof(err));
	for (unsigned i = 0; i < errors.count; i++)
		fprintf(stderr, "%s: %s\n", errors.list[i].path, errors.list[i].message);
	svr_model_errors_free(&errors);
	json_decref(model);
	if (rc == SVR_STORE_INVALID) {
		fprintf(stderr, "%s: invalid; nothing committed\n", path);
		return 1;
	}
	if (rc < 0) {
		fprintf(stderr, "svr-conductor: commit: %s\n", err);
		return 1;
	}
	audit_local_commit(c, &info, emergency);
	printf("committed %s as version %" PRId64 "\n", path, info.version);
	return 0;
}

/* Ticks once a second until SIGINT or SIGTERM (blocked here, taken with sigtimedwait). */
static void run(struct conductor *c, const sigset_t *stop_set)
{
	for (;;) {
		int64_t now = cd_now_ms();
		cd_keys_tick(c, now);
		cd_alarms_tick(c, now);
		cd_audit_tick(c, cd_mono_ms(), now);
		cd_commit_due(c, now);
		struct timespec second = {.tv_sec = 1};
		int sig = sigtimedwait(stop_set, NULL, &second);
		if (sig == SIGINT || sig == SIGTERM) {
			LOG_NOTICE("%s: stopping", strsignal(sig));
			return;
		}
	}
}

/* Change control is each conductor's own setting, but conductors on one store must agree (a
 * planner could otherwise commit through the one that has it off): the store's meta keeps the
 * setting of the last one started, and a different one is warned of. */
static void check_change_control(struct conductor *c)
{
	const char *mine = c->cfg.change_control.enabled ? "on" : "off";
	char *old = NULL, err[256];
	if (svr_store_meta_swap(c->store, "change-control", mine, &old, err, sizeof(err)) < 0) {
		LOG_WARN("change control: cannot record this conductor's setting: %s", err);
		return;
	}
	if (old && strcmp(old, mine) != 0)
		LOG_WARN("change control is %s here, but the conductor last started on this store "
			 "had it %s: conductors sharing a store must have the same change-control "
			 "setting",
			 mine, old);
	free(old);
}

static int serve(struct conductor *c, const sigset_t *stop_set)
{
	char err[512];
	check_change_control(c);
	if (cd_config_load_tokens(&c->cfg, err, sizeof(err)) < 0) {
		LOG_ERR("%s", err);
		return 1;
	}
	raise_fd_limit(c->cfg.connection_limit);
	if (cd_pki_init(c, err, sizeof(err)) < 0) {
		LOG_ERR("TLS: %s", err);
		return 1;
	}
	LOG_NOTICE("CA sha256 %s (give it to each router at enrolment)", cd_pki_ca_sha256());
	int rc = 1;
	if (cd_api_router_start(c, err, sizeof(err)) < 0) {
		LOG_ERR("router API: %s", err);
		goto out;
	}
	cd_api_operator_register(c);
	cd_api_proposals_register(c);
	cd_ui_start(c);
	if (cd_webhook_start(&c->cfg.itsm_webhook, err, sizeof(err)) < 0) {
		LOG_ERR("%s", err);
		cd_api_router_stop();
		goto out;
	}
	if (cd_audit_start(c, err, sizeof(err)) < 0) {
		LOG_ERR("%s", err);
		cd_webhook_stop();
		cd_api_router_stop();
		goto out;
	}
	if (cd_http_start(c, cd_pki_cert_pem(), cd_pki_key_pem(), err, sizeof(err)) < 0) {
		LOG_ERR("%s", err);
		cd_audit_stop(c, cd_mono_ms(), cd_now_ms());
		cd_webhook_stop();
		cd_api_router_stop();
		goto out;
	}
	if (c->cfg.change_control.enabled)
		LOG_NOTICE("change control on: changes are proposed and approved (POST "
			   "/api/v1/proposals)%s",
			   c->cfg.change_control.require_ticket ? ", each with a ticket" : "");
	char names[2048] = "";
	for (unsigned i = 0; i < c->cfg.n_names; i++)
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
			 i ? ", " : "", c->cfg.names[i]);
	LOG_NOTICE("listening on https://%s/api/v1 (certificate for %s; %u operator(s); hold %u "
		   "s; body limit %" PRIu64 " bytes; up to %u connections)",
		   c->cfg.listen, names, c->cfg.n_operators, c->cfg.hold_s, c->cfg.max_body_bytes,
		   c->cfg.connection_limit);
	/* systemd (Type=notify): the store is open and the HTTPS server accepts. */
	if (svr_sd_notifyf("READY=1\nSTATUS=serving https://%s/api/v1 (store %s)", c->cfg.listen,
			   svr_store_backend(c->store)) < 0)
		LOG_WARN("cannot notify systemd (NOTIFY_SOCKET): %s", strerror(errno));
	run(c, stop_set);
	svr_sd_notify("STOPPING=1");
	cd_http_stop();
	/* No request comes now: the summaries of what was counted are written, and the entries
	 * still queued. */
	cd_audit_stop(c, cd_mono_ms(), cd_now_ms());
	cd_webhook_stop();
	cd_api_router_stop();
	LOG_NOTICE("stopped");
	rc = 0;
out:
	cd_pki_free();
	return rc;
}

int main(int argc, char **argv)
{
	struct options o = {0};
	if (parse_args(argc, argv, &o) < 0)
		return 2;
	svr_log_init("svr-conductor", NULL);
	json_object_seed(0); /* before any thread (jansson's advice for threaded programs) */
	if (o.log_level) {
		int lvl = svr_log_level_parse(o.log_level);
		if (lvl < 0) {
			fprintf(stderr,
				"svr-conductor: --log-level \"%s\": expected error, warning, "
				"notice, info or debug\n",
				o.log_level);
			return 2;
		}
		svr_log_set_level((enum svr_log_level)lvl);
	} else {
		svr_log_set_level(SVR_LOG_INFO);
	}
	static struct conductor c; /* large (the startup file's paths): not on the stack */
	if (load_config(&o, &c.cfg) < 0)
		return 1;

	/* Before any thread: every thread inherits the mask, the main one takes the signals. */
	sigset_t stop_set;
	sigemptyset(&stop_set);
	sigaddset(&stop_set, SIGINT);
	sigaddset(&stop_set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop_set, NULL);
	signal(SIGPIPE, SIG_IGN);

	char err[512];
	if (svr_store_open(c.cfg.store, &c.store, err, sizeof(err)) < 0) {
		LOG_ERR("store: %s", err);
		return 1;
	}
	int rc;
	if (o.enrol_router) {
		rc = make_enrolment_token(&c, o.enrol_router, o.asset_id);
	} else if (o.commit) {
		rc = commit_file(&c, o.commit, o.message, o.emergency);
	} else {
		LOG_NOTICE("svr-conductor %s: store %s (%s), state directory %s", SVR_VERSION,
			   svr_store_backend(c.store),
			   strncmp(c.cfg.store, "sqlite:", 7) == 0 ? c.cfg.store + 7 : "PostgreSQL",
			   c.cfg.state_dir);
		rc = serve(&c, &stop_set);
	}
	svr_store_close(c.store);
	return rc;
}
