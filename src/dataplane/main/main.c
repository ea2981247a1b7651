/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * svr-dataplane: reads the startup configuration, starts DPDK, probes ports,
 * builds the FIB and neighbour table, launches the workers, then runs the
 * main-lcore loop (slow path, timers, control socket) until SIGINT/SIGTERM.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_pdump.h>

#include "capture/capture.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "common/sdnotify.h"
#include "ctlsock/ctlsock.h"
#include "session/limits.h"
#include "session/sessions.h"
#include "paths/paths.h"
#include "svrpath/path.h"
#include "io/port.h"
#include "kernel/kernel.h"
#include "l2l3/fib.h"
#include "l2l3/kroutes.h"
#include "l2l3/neigh.h"
#include "l2l3/slowpath.h"
#include "core/config.h"
#include "core/dp.h"
#include "policy/apply.h"
#include "policy/channel.h"
#include "svr/shm.h"
#include "svr/version.h"
#include "telemetry/events.h"
#include "telemetry/ipfix.h"
#include "worker/worker.h"

#define HOUSEKEEPING_MS  100
#define MAIN_IDLE_MAX_MS 2

struct dp dp;

uint64_t dp_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: svr-dataplane --config FILE [--instance NAME] [--log-level LEVEL]\n"
	    "                     [--check]\n"
	    "\n"
	    "The svrouter forwarding plane: a poll-mode DPDK process that routes sessions\n"
	    "(IPv4 and IPv6) between its interfaces and carries IPv4 sessions to peer\n"
	    "routers with Secure Vector Routing. The startup file holds only process\n"
	    "settings (lcores, memory, session capacity, the SVR key file); interfaces,\n"
	    "routes, tenants, services and access rules arrive as policy images from\n"
	    "svr-control over shared memory (/svr-INSTANCE-policy), applied without a\n"
	    "restart. Until the first image arrives the dataplane has no interfaces and\n"
	    "forwards nothing; when svr-control stops, it keeps forwarding with its last\n"
	    "image.\n"
	    "\n"
	    "Options:\n"
	    "  -c, --config FILE      startup configuration (JSON; see docs/startup-config.md)\n"
	    "  -i, --instance NAME    the instance, when the file names none; a file naming\n"
	    "                         another instance is refused (the systemd unit\n"
	    "                         svr-dataplane@NAME passes its NAME)\n"
	    "  -l, --log-level LEVEL  error, warning, notice, info (default) or debug\n"
	    "      --check            validate the configuration, print the EAL arguments, exit\n"
	    "  -h, --help             this text\n"
	    "  -V, --version          print the version\n"
	    "\n"
	    "Files: the control socket /run/svrouter/INSTANCE/dataplane.sock; the SVR key\n"
	    "file named by svr.key-file, re-read when it changes (docs/svr.md).\n"
	    "Signals: SIGINT and SIGTERM stop the workers, close the ports and exit 0.\n"
	    "Readiness: under systemd (Type=notify, NOTIFY_SOCKET set) READY=1 is sent once\n"
	    "the EAL is up, the workers run and the control socket listens: ready to forward\n"
	    "what svr-control gives it. STATUS= tells each image applied or rejected;\n"
	    "STOPPING=1 comes with SIGINT/SIGTERM (docs/systemd.md).\n"
	    "Control: svrctl --instance NAME show ports|interfaces|stats|neighbors|routes|\n"
	    "         policy|peers|sessions|kernel; svrctl --instance NAME clear session UUID;\n"
	    "         svrctl --instance NAME capture INTERFACE [-c N] [-w FILE]\n"
	    "Exit status: 0 clean stop, 1 bad configuration or start-up failure, 2 usage.\n");
}

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&dp.stop, true);
}

/* Builds the EAL command line from the configuration. */
static int eal_args(const struct dp_config *c, char **argv, int max)
{
	static char buf[8][64];
	/* Grouping adds two characters to elements of at least five ("0-1@1"): room enough. */
	static char lcore_map[2 * sizeof(c->lcores)];
	int n = 0;
	argv[n++] = "svr-dataplane";
	if (strchr(c->lcores, '@')) { /* lcores pinned to CPUs of our choosing */
		dp_eal_lcores_map(c->lcores, lcore_map, sizeof(lcore_map));
		argv[n++] = "--lcores";
		argv[n++] = lcore_map;
	} else {
		argv[n++] = "-l";
		argv[n++] = (char *)c->lcores;
	}
	snprintf(buf[0], sizeof(buf[0]), "--main-lcore=%d", c->main_lcore);
	argv[n++] = buf[0];
	snprintf(buf[1], sizeof(buf[1]), "-m%u", c->memory_mb);
	argv[n++] = buf[1];
	snprintf(buf[2], sizeof(buf[2]), "--file-prefix=svr-%s", c->instance);
	argv[n++] = buf[2];
	/* With huge pages the EAL keeps its shared configuration under
	 * /var/run/dpdk/svr-INSTANCE so dpdk-proc-info and dpdk-pdump can attach. --no-huge memory
	 * is private to the process: no secondary can map it, so the shared files would only be
	 * litter. */
	if (!c->huge_pages) {
		argv[n++] = "--no-huge";
		argv[n++] = "--no-shconf";
	}
	/* PCI devices the model may name: EAL takes only these (hot-plugged when an image uses
	 * them). */
	for (unsigned i = 0; i < c->n_pci && n + 2 < max; i++) {
		argv[n++] = "-a";
		argv[n++] = (char *)c->pci[i];
	}
	if (c->n_pci == 0)
		argv[n++] = "--no-pci";
	for (unsigned i = 0; i < c->n_extra_args && n + 1 < max; i++)
		argv[n++] = (char *)c->extra_args[i];
	argv[n] = NULL;
	return n;
}

static void main_loop(void)
{
	uint64_t next_hk = dp_now_ms() + HOUSEKEEPING_MS, next_degraded = next_hk;
	int idle_ms = 0;
	while (!atomic_load(&dp.stop)) {
		unsigned n = dp_slowpath_poll();
		uint64_t now = dp_now_ms();
		/* One atomic load when nothing is published: checked every turn for fast applies.
		 */
		dp_channel_poll(now);
		/* Old generations hold a FIB each: give their memory back as soon as allowed. */
		dp_policy_reclaim();
		if (now >= next_hk) {
			dp_slowpath_housekeeping(now);
			dp_sessions_housekeeping(now);
			dp_ipfix_follow(dp_gen_main());
			dp_svr_keys_poll();
			dp_svr_keys_differ_report(now);
			dp_capture_poll(now);
			dp_kernel_housekeeping(); /* twins' carrier follows their ports' link */
			dp_events_poll();         /* the workers' event records, named */
			next_hk = now + HOUSEKEEPING_MS;
		}
		/* The control socket's poll() doubles as the idle sleep; slow-path work resets it,
		 * and it never outlasts the next BFD deadline. */
		uint64_t bfd_in_us = dp_paths_poll();
		if (now >= next_degraded) { /* after the paths' choice (every 100 ms as well) */
			dp_session_degraded_tick(dp_gen_main(), now);
			next_degraded = now + HOUSEKEEPING_MS;
		}
		/* live sessions off a path that died, right after BFD said so */
		if (dp_sessions_migrate(dp_now_ms()))
			n++;
		/* routes from the kernel, a batch per turn */
		n += dp_kroutes_poll(dp_now_ms());
		/* an operator's sessions-clear, a slice per turn */
		if (dp_sessions_clear_step(dp_now_ms()))
			n++;
		idle_ms = n ? 0 : (idle_ms < MAIN_IDLE_MAX_MS ? idle_ms + 1 : MAIN_IDLE_MAX_MS);
		if ((uint64_t)idle_ms * 1000 > bfd_in_us)
			idle_ms = (int)(bfd_in_us / 1000);
		dp_ctlsock_poll(idle_ms);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"instance", required_argument, NULL, 'i'},
	    {"log-level", required_argument, NULL, 'l'},
	    {"check", no_argument, NULL, 'k'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	const char *config_path = NULL, *instance = NULL;
	bool check_only = false;
	int opt;
	svr_log_init("svr-dataplane", NULL);
	while ((opt = getopt_long(argc, argv, "c:i:l:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'i':
			instance = optarg;
			break;
		case 'l': {
			int lvl = svr_log_level_parse(optarg);
			if (lvl < 0) {
				fprintf(stderr, "svr-dataplane: unknown log level \"%s\"\n",
					optarg);
				return 2;
			}
			svr_log_set_level((enum svr_log_level)lvl);
			break;
		}
		case 'k':
			check_only = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("svr-dataplane %s\n", SVR_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!config_path || optind != argc) {
		usage(stderr);
		return 2;
	}

	static struct dp_config conf;
	struct svr_jerr err;
	if (dp_config_load(config_path, instance, &conf, &err) < 0) {
		LOG_ERR("%s: %s", config_path, err.msg);
		return 1;
	}
	svr_log_init("svr-dataplane", conf.instance);
	dp.conf = &conf;

	char *eargv[96];
	int eargc = eal_args(&conf, eargv, 95);
	if (check_only) {
		printf("configuration ok; EAL arguments:");
		for (int i = 1; i < eargc; i++)
			printf(" %s", eargv[i]);
		printf("\n");
		return 0;
	}
	if (svr_mkdir_p(conf.runtime_dir, 0750) < 0) {
		LOG_ERR("cannot create runtime-dir %s: %s", conf.runtime_dir, strerror(errno));
		return 1;
	}
	if (rte_eal_init(eargc, eargv) < 0) {
		LOG_ERR("EAL init failed: %s", rte_strerror(rte_errno));
		return 1;
	}
	dp.start_ms = dp_now_ms();
	/* dpdk-pdump asks the primary, over the EAL's multi-process channel, to mirror a port's
	 * packets into its ring: only a primary that registered the handler answers. Secondary
	 * processes exist only with huge pages (shared memory). */
	if (conf.huge_pages && rte_pdump_init() < 0)
		LOG_WARN("dpdk-pdump will not attach: %s", rte_strerror(rte_errno));
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	int rc = 1;
	char name[64];
	snprintf(name, sizeof(name), "neigh-%s", conf.instance);
	if (dp_pool_create() < 0 || dp_workers_init() < 0 || dp_policy_init() < 0 ||
	    dp_kroutes_init(conf.kernel_routes) < 0 || dp_paths_init(dp.n_workers) < 0)
		goto out;
	dp.neigh = svr_neigh_create(name, conf.neigh_max, dp.qsbr);
	if (!dp.neigh) {
		LOG_ERR("cannot create the neighbour table: %s", rte_strerror(rte_errno));
		goto out;
	}
	if (dp_sessions_init(conf.session_capacity, conf.session_capacity6) < 0 ||
	    dp_ipfix_init(dp.n_workers) < 0 || dp_svr_init(conf.svr_key_file, dp.n_workers) < 0)
		goto out;
	dp_sess.names_flush = dp_events_poll; /* before a sweep forgets the names they carry */
	dp_slowpath_init();
	if (dp_kernel_init() < 0) /* the twins' namespace: before the first generation */
		goto out;
	if (dp_ctlsock_open(conf.socket_path) < 0 || dp_workers_launch() < 0)
		goto out;

	LOG_NOTICE("svr-dataplane %s running: %u worker(s); policy images on " SVR_SHM_NAME_FMT,
		   SVR_VERSION, dp.n_workers, conf.instance);
	/* Ready: the workers run and the control socket answers. Ports come with the first
	 * image (svr-control's), so "started" means ready to forward what it is given. */
	if (svr_sd_notifyf("READY=1\nSTATUS=running: %u worker(s); no policy image yet",
			   dp.n_workers) < 0)
		LOG_WARN("cannot notify systemd (NOTIFY_SOCKET): %s", strerror(errno));
	main_loop();
	LOG_NOTICE("stopping");
	rc = 0;
out:
	svr_sd_notify("STOPPING=1");
	atomic_store(&dp.stop, true);
	dp_capture_shutdown(); /* before ports go; workers stopping go RCU-offline */
	rte_eal_mp_wait_lcore();
	dp_ctlsock_close();
	dp_channel_close();
	dp_policy_shutdown();
	dp_kernel_shutdown(); /* the twins stay, without carrier, for the next start */
	dp_kroutes_free();
	for (uint16_t pid = 0; pid < DP_MAX_PORTS; pid++)
		dp_port_remove(pid);
	svr_neigh_free(dp.neigh);
	dp_ipfix_stop(); /* before the sessions whose names it reads */
	dp_sessions_free();
	dp_svr_free();
	dp_paths_free();
	dp_workers_free();
	if (conf.huge_pages)
		rte_pdump_uninit();
	rte_eal_cleanup();
	return rc;
}
