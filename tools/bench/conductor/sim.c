/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * svr-conductor-sim: many routers on the real sync protocol (docs/conductor.md), over TLS, from
 * one process, to time how long a commit takes to reach all of them.
 *
 * Each simulated router is enrolled through the operator API (inventory entry, one-time token,
 * POST /enrol), then holds a long poll (GET /sync) like svr-control: on a configuration it
 * acknowledges the serial (POST /sync/ack) and polls again. Every router is one libcurl easy
 * handle on one multi handle, so each holds its own TLS connection as a real router would.
 *
 * Timed: the operator commits (the hub router's asset-id changed, nothing else); for each
 * router, the time from the commit request's start to the answer to its acknowledgement. Prints
 * name=value lines (docs/performance.md):
 *   conductor_sim_<N>_commit_to_all_acked_ms_p99   99th percentile over every router and commit
 *   conductor_sim_<N>_commit_to_all_acked_ms_max   the slowest commit until its last ack
 *   conductor_sim_<N>_commit_ms_p50                the commit request itself
 *   conductor_mem_per_router_kib                   conductor RSS growth / connected routers
 *   conductor_cpu_s_per_commit                     conductor user+system CPU / commits
 */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define SIM_BODY_MAX (64u << 20)

struct buf {
	char *p;
	size_t n;
};

enum sim_state { SIM_POLL, SIM_ACK };

struct sim {
	CURL *h;
	struct curl_slist *hdr;
	struct buf body;
	enum sim_state state;
	char name[32];
	char credential[128];
	char url[512];
	char ack[256];
	int64_t serial;     /* the last configuration received */
	int64_t acked;      /* the last serial acknowledged */
	double last_ack_ms; /* when that acknowledgement was answered */
	bool in_flight;
};

static struct {
	const char *url, *cacert, *token_file, *model_file;
	unsigned routers, commits, ramp, hold_s;
	long pid;
	char token[256];
} opt = {.routers = 2000, .commits = 5, .ramp = 200, .hold_s = 25};

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("svr-conductor-sim: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct buf *b = arg;
	size_t n = size * nmemb;
	if (b->n + n > SIM_BODY_MAX)
		return 0;
	char *p = realloc(b->p, b->n + n + 1);
	if (!p)
		return 0;
	memcpy(p + b->n, data, n);
	b->p = p;
	b->n += n;
	b->p[b->n] = '\0';
	return n;
}

static void handle_tls(CURL *h)
{
	curl_easy_setopt(h, CURLOPT_CAINFO, opt.cacert);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
}

/* One blocking operator or enrolment request. Returns the HTTP status; *out the parsed body. */
static long request(CURL *h, const char *method, const char *path, const char *bearer,
		    const char *body, json_t **out)
{
	char url[1024], auth[300];
	struct buf b = {0};
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
	if (bearer) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", bearer);
		hdr = curl_slist_append(hdr, auth);
	}
	snprintf(url, sizeof(url), "%s/api/v1%s", opt.url, path);
	curl_easy_reset(h);
	handle_tls(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 600000L);
	if (body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	}
	long status = 0;
	CURLcode rc = curl_easy_perform(h);
	if (rc != CURLE_OK)
		die("%s %s: %s", method, url, curl_easy_strerror(rc));
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hdr);
	if (out)
		*out = b.n ? json_loadb(b.p, b.n, 0, NULL) : NULL;
	free(b.p);
	return status;
}

static const char *str_of(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* Inventory entry, token, enrolment: the router's credential. */
static void enrol(CURL *h, struct sim *s)
{
	char path[256], body[512];
	json_t *j = NULL;
	snprintf(body, sizeof(body), "{\"name\":\"%s\"}", s->name);
	long st = request(h, "POST", "/routers", opt.token, body, NULL);
	if (st != 201 && st != 200 && st != 409)
		die("POST /routers %s: HTTP %ld", s->name, st);
	snprintf(path, sizeof(path), "/routers/%s/enrolment-token", s->name);
	if ((st = request(h, "POST", path, opt.token, "{}", &j)) != 201 || !j)
		die("%s: HTTP %ld", path, st);
	snprintf(body, sizeof(body), "{\"router\":\"%s\",\"token\":\"%s\"}", s->name,
		 str_of(j, "token"));
	json_decref(j);
	if ((st = request(h, "POST", "/enrol", NULL, body, &j)) != 200 || !j)
		die("POST /enrol %s: HTTP %ld", s->name, st);
	snprintf(s->credential, sizeof(s->credential), "%s", str_of(j, "credential"));
	json_decref(j);
	if (!s->credential[0])
		die("POST /enrol %s: no credential in the answer", s->name);
}

/* Sets the handle up for its next request (a poll or an acknowledgement) and adds it. */
static void next_request(CURLM *m, struct sim *s)
{
	char auth[200];
	curl_easy_reset(s->h);
	handle_tls(s->h);
	curl_slist_free_all(s->hdr);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", s->credential);
	s->hdr = curl_slist_append(curl_slist_append(NULL, auth), "Content-Type: application/json");
	curl_easy_setopt(s->h, CURLOPT_HTTPHEADER, s->hdr);
	curl_easy_setopt(s->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(s->h, CURLOPT_WRITEDATA, &s->body);
	curl_easy_setopt(s->h, CURLOPT_PRIVATE, s);
	curl_easy_setopt(s->h, CURLOPT_TIMEOUT_MS, (long)(opt.hold_s + 30) * 1000);
	s->body.n = 0;
	if (s->state == SIM_POLL) {
		snprintf(s->url, sizeof(s->url), "%s/api/v1/sync?after=%lld&wait=%u", opt.url,
			 (long long)s->acked, opt.hold_s);
		curl_easy_setopt(s->h, CURLOPT_HTTPGET, 1L);
	} else {
		snprintf(s->url, sizeof(s->url), "%s/api/v1/sync/ack", opt.url);
		snprintf(
		    s->ack, sizeof(s->ack),
		    "{\"serial\":%lld,\"version\":0,\"result\":\"applied\",\"generation\":%lld}",
		    (long long)s->serial, (long long)s->serial);
		curl_easy_setopt(s->h, CURLOPT_POSTFIELDS, s->ack);
	}
	curl_easy_setopt(s->h, CURLOPT_URL, s->url);
	CURLMcode mc = curl_multi_add_handle(m, s->h);
	if (mc != CURLM_OK)
		die("curl_multi_add_handle: %s", curl_multi_strerror(mc));
	s->in_flight = true;
}

/* Connections opened and requests made: a router keeps its one TLS connection, and the figure
 * means nothing if the simulator does not. */
static unsigned long n_connects, n_requests;

/* A request of s finished: move its state machine on. */
static void finished(CURLM *m, struct sim *s, CURLcode rc)
{
	long status = 0, connects = 0;
	curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(s->h, CURLINFO_NUM_CONNECTS, &connects);
	n_connects += (unsigned long)connects;
	n_requests++;
	curl_multi_remove_handle(m, s->h);
	s->in_flight = false;
	if (rc != CURLE_OK)
		die("%s %s: %s", s->name, s->url, curl_easy_strerror(rc));
	if (s->state == SIM_POLL) {
		if (status == 200) {
			json_t *j = json_loadb(s->body.p, s->body.n, 0, NULL);
			json_t *serial = json_object_get(j, "serial");
			if (!json_is_integer(serial))
				die("%s: a sync answer without a serial", s->name);
			s->serial = json_integer_value(serial);
			json_decref(j);
			s->state = SIM_ACK;
		} else if (status != 204) {
			die("%s: GET /sync: HTTP %ld", s->name, status);
		}
	} else {
		if (status != 204 && status != 200)
			die("%s: POST /sync/ack: HTTP %ld", s->name, status);
		s->acked = s->serial;
		s->last_ack_ms = now_ms();
		s->state = SIM_POLL;
	}
	next_request(m, s);
}

/* Drives every transfer until done(arg) or the deadline. */
static void run_until(CURLM *m, bool (*done)(void *), void *arg, double deadline_ms)
{
	while (!done(arg)) {
		if (now_ms() > deadline_ms)
			die("timed out (a router did not get or acknowledge a configuration)");
		int running;
		curl_multi_perform(m, &running);
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(m, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			struct sim *s;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
			finished(m, s, msg->data.result);
		}
		curl_multi_poll(m, NULL, 0, 50, NULL);
	}
}

struct all_acked {
	struct sim *sims;
	unsigned n;
	int64_t serial;
};

static bool all_acked(void *arg)
{
	struct all_acked *a = arg;
	for (unsigned i = 0; i < a->n; i++)
		if (a->sims[i].acked < a->serial)
			return false;
	return true;
}

static long rss_kib(long pid)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	FILE *f = fopen(path, "r");
	long kib = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

static double cpu_s(long pid)
{
	char path[64], text[2048];
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
	if (f)
		fclose(f);
	text[n] = '\0';
	char *p = strrchr(text, ')');
	unsigned long ut = 0, st = 0;
	/* after "pid (comm)": state and 10 more fields, then utime and stime */
	if (!p ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: svr-conductor-sim --url URL --cacert FILE --token-file FILE --model FILE\n"
		"                         [--routers N] [--commits N] [--ramp N] [--hold-s S]\n"
		"                         [--pid CONDUCTOR_PID]\n"
		"\n"
		"Enrols N simulated routers (named sim-0000 ... as in --model, which must already\n"
		"be the running version) with the conductor at URL, holds each one's long poll\n"
		"over its own TLS connection, then commits --model --commits times (the first\n"
		"router's asset-id changed each time) and times each until every simulated\n"
		"router has acknowledged it. Prints name=value lines; with --pid also the\n"
		"conductor's memory per connected router and CPU seconds per commit.\n"
		"  --ramp N     new connections opened per 50 ms while connecting (default 200)\n"
		"  --hold-s S   the wait a poll asks for (default 25)\n");
}

static void parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"url", 1, NULL, 'u'},   {"cacert", 1, NULL, 'c'},  {"token-file", 1, NULL, 't'},
	    {"model", 1, NULL, 'm'}, {"routers", 1, NULL, 'n'}, {"commits", 1, NULL, 'k'},
	    {"ramp", 1, NULL, 'r'},  {"hold-s", 1, NULL, 'H'},  {"pid", 1, NULL, 'p'},
	    {"help", 0, NULL, 'h'},  {NULL, 0, NULL, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'u':
			opt.url = optarg;
			break;
		case 'c':
			opt.cacert = optarg;
			break;
		case 't':
			opt.token_file = optarg;
			break;
		case 'm':
			opt.model_file = optarg;
			break;
		case 'n':
			opt.routers = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'k':
			opt.commits = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'r':
			opt.ramp = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'H':
			opt.hold_s = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'p':
			opt.pid = strtol(optarg, NULL, 10);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (!opt.url || !opt.cacert || !opt.token_file || !opt.model_file || !opt.routers ||
	    !opt.commits || !opt.ramp) {
		usage(stderr);
		exit(2);
	}
	FILE *f = fopen(opt.token_file, "r");
	if (!f || !fgets(opt.token, sizeof(opt.token), f))
		die("cannot read %s: %s", opt.token_file, strerror(errno));
	fclose(f);
	opt.token[strcspn(opt.token, "\r\n")] = '\0';
}

int main(int argc, char **argv)
{
	parse_args(argc, argv);
	struct rlimit rl = {opt.routers + 256, opt.routers + 256};
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		die("setrlimit(RLIMIT_NOFILE, %u): %s", opt.routers + 256, strerror(errno));
	curl_global_init(CURL_GLOBAL_DEFAULT);
	json_error_t jerr;
	json_t *model = json_load_file(opt.model_file, JSON_REJECT_DUPLICATES, &jerr);
	json_t *first =
	    json_array_get(json_object_get(json_object_get(model, "authority"), "routers"), 0);
	if (!first)
		die("%s: no authority.routers[0] (%s)", opt.model_file, jerr.text);

	CURL *op = curl_easy_init();
	struct sim *sims = calloc(opt.routers, sizeof(*sims));
	if (!op || !sims)
		die("out of memory");
	double t = now_ms();
	for (unsigned i = 0; i < opt.routers; i++) {
		snprintf(sims[i].name, sizeof(sims[i].name), "sim-%04u", i);
		sims[i].h = curl_easy_init();
		enrol(op, &sims[i]);
	}
	fprintf(stderr, "svr-conductor-sim: %u routers enrolled in %.1f s\n", opt.routers,
		(now_ms() - t) / 1e3);

	long rss0 = opt.pid ? rss_kib(opt.pid) : -1;
	CURLM *m = curl_multi_init();
	curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)opt.routers + 16);
	/* Connect in steps of --ramp, as routers coming up do, not 2,000 handshakes at once. */
	/* The model is running already, so every router's first poll answers at once (serial 1 or
	 * more): "synced" is a first acknowledgement. */
	const int64_t serial0 = 1;
	t = now_ms();
	for (unsigned i = 0; i < opt.routers; i += opt.ramp) {
		for (unsigned k = i; k < i + opt.ramp && k < opt.routers; k++)
			next_request(m, &sims[k]);
		struct all_acked a = {sims, i + opt.ramp < opt.routers ? i + opt.ramp : opt.routers,
				      serial0};
		run_until(m, all_acked, &a, now_ms() + 120000);
	}
	fprintf(stderr, "svr-conductor-sim: %u routers synced and polling in %.1f s\n", opt.routers,
		(now_ms() - t) / 1e3);
	long rss1 = opt.pid ? rss_kib(opt.pid) : -1;

	double *lat = calloc((size_t)opt.routers * opt.commits, sizeof(*lat));
	double *commit_ms = calloc(opt.commits, sizeof(*commit_ms)), worst = 0;
	double cpu0 = opt.pid ? cpu_s(opt.pid) : -1;
	n_connects = n_requests = 0;
	for (unsigned k = 0; k < opt.commits; k++) {
		char asset[64], *body;
		snprintf(asset, sizeof(asset), "bench-%u-%ld", k, (long)time(NULL));
		json_object_set_new(first, "asset-id", json_string(asset));
		json_t *req = json_pack("{s:O,s:s}", "model", model, "message", "conductor-sim");
		body = json_dumps(req, JSON_COMPACT);
		json_decref(req);
		json_t *ans = NULL;
		double t0 = now_ms();
		long st = request(op, "POST", "/commit", opt.token, body, &ans);
		commit_ms[k] = now_ms() - t0;
		free(body);
		if (st != 201 || !json_is_integer(json_object_get(ans, "serial")))
			die("POST /commit: HTTP %ld", st);
		struct all_acked a = {sims, opt.routers,
				      json_integer_value(json_object_get(ans, "serial"))};
		json_decref(ans);
		run_until(m, all_acked, &a, t0 + 300000);
		double last = 0;
		for (unsigned i = 0; i < opt.routers; i++) {
			double d = sims[i].last_ack_ms - t0;
			lat[(size_t)k * opt.routers + i] = d;
			if (d > last)
				last = d;
		}
		if (last > worst)
			worst = last;
		fprintf(stderr,
			"svr-conductor-sim: commit %u: every router acknowledged in %.0f ms\n",
			k + 1, last);
	}
	double cpu1 = opt.pid ? cpu_s(opt.pid) : -1;
	fprintf(stderr,
		"svr-conductor-sim: %lu requests during the commits opened %lu connections\n",
		n_requests, n_connects);
	size_t n = (size_t)opt.routers * opt.commits;
	qsort(lat, n, sizeof(*lat), cmp_double);
	qsort(commit_ms, opt.commits, sizeof(*commit_ms), cmp_double);
	printf("conductor_sim_%u_commit_to_all_acked_ms_p99=%.0f\n", opt.routers,
	       lat[(size_t)((double)(n - 1) * 0.99)]);
	printf("conductor_sim_%u_commit_to_all_acked_ms_max=%.0f\n", opt.routers, worst);
	printf("conductor_sim_%u_commit_ms_p50=%.0f\n", opt.routers, commit_ms[opt.commits / 2]);
	if (opt.pid && rss0 > 0 && rss1 > 0)
		printf("conductor_mem_per_router_kib=%.1f\n", (double)(rss1 - rss0) / opt.routers);
	if (opt.pid && cpu0 >= 0 && cpu1 >= 0)
		printf("conductor_cpu_s_per_commit=%.3f\n", (cpu1 - cpu0) / opt.commits);
	return 0;
}
