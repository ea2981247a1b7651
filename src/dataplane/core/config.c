/* SPDX-License-Identifier: BSD-3-Clause */
#include "core/config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>

#include "common/fsutil.h"
#include "common/security.h"
#include "svr/ctlsock.h"

static void config_defaults(struct dp_config *c)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->instance, "default");
	strcpy(c->lcores, "0-1");
	c->main_lcore = -1;
	c->memory_mb = 0; /* automatic: see parse_doc */
	c->session_capacity = DP_SESSIONS_DEFAULT;
	snprintf(c->svr_key_file, sizeof(c->svr_key_file), "%s", SVR_KEYS_PATH);
	c->mbufs = 8192;
	c->burst = 32;
	c->spin_polls = 256;
	c->min_sleep_us = 1;
	c->max_sleep_us = 1000;
	c->neigh_max = 4096;
	c->neigh_reachable_s = 300;
	c->neigh_probes = 3;
	c->neigh_probe_interval_ms = 1000;
	c->neigh_queue_len = 4;
	c->icmp_rate = 100;
	c->icmp_burst = 50;
	c->kernel_rate = DP_KERNEL_RATE_DEFAULT;
	c->kernel_burst = DP_KERNEL_BURST_DEFAULT;
}

int dp_parse_lcore_list(const char *s, unsigned *ids, unsigned max)
{
	unsigned n = 0;
	const char *p = s;
	while (*p) {
		char *end;
		if (!isdigit((unsigned char)*p))
			return -1;
		unsigned long a = strtoul(p, &end, 10), b = a;
		p = end;
		if (*p == '-') {
			p++;
			if (!isdigit((unsigned char)*p))
				return -1;
			b = strtoul(p, &end, 10);
			p = end;
		}
		if (b < a || b >= 1024)
			return -1;
		if (*p == '@') { /* the CPU these lcores run on: EAL's business, not ours */
			p++;
			if (!isdigit((unsigned char)*p) || strtoul(p, &end, 10) >= 1024)
				return -1;
			p = end;
		}
		for (unsigned long i = a; i <= b; i++) {
			if (n == max)
				return -1;
			ids[n++] = (unsigned)i;
		}
		if (*p == ',')
			p++;
		else if (*p)
			return -1;
	}
	return n ? (int)n : -1;
}

int dp_eal_lcores_map(const char *s, char *out, size_t len)
{
	size_t o = 0;
	out[0] = '\0';
	while (*s) {
		size_t n = strcspn(s, ",");
		const char *at = memchr(s, '@', n);
		/* EAL groups a range with parentheses: "0-1@1" becomes "(0-1)@1". */
		bool group = at && memchr(s, '-', (size_t)(at - s));
		int w = group ? snprintf(out + o, len - o, "%s(%.*s)%.*s", o ? "," : "",
					 (int)(at - s), s, (int)(n - (size_t)(at - s)), at)
			      : snprintf(out + o, len - o, "%s%.*s", o ? "," : "", (int)n, s);
		if (w < 0 || (size_t)w >= len - o)
			return -1;
		o += (size_t)w;
		s += n;
		if (*s == ',')
			s++;
	}
	return 0;
}

bool dp_device_is_pci(const char *device)
{
	unsigned dom, bus, dev, fn;
	char tail;
	return sscanf(device, "%x:%x:%x.%x%c", &dom, &bus, &dev, &fn, &tail) == 4 ||
	       sscanf(device, "%x:%x.%x%c", &bus, &dev, &fn, &tail) == 3;
}

/* Letters, digits, '-', '_' and any of extra. */
static bool valid_name(const char *s, size_t max, const char *extra)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' &&
		    !strchr(extra, s[i]))
			return false;
	return true;
}

/* Reads an optional unsigned into an unsigned field. */
static int opt_uint(const json_t *o, const char *key, const char *path, uint64_t min, uint64_t max,
		    unsigned *field, struct svr_jerr *e)
{
	uint64_t v;
	int r = svr_json_get_uint(o, key, path, min, max, &v, e);
	if (r > 0)
		*field = (unsigned)v;
	return r < 0 ? -1 : 0;
}

static int parse_eal(const json_t *eal, struct dp_config *c, struct svr_jerr *e)
{
	static const char *const keys[] = {"lcores",     "main-lcore", "memory-mb",
					   "huge-pages", "extra-args", NULL};
	if (svr_json_only_keys(eal, "eal", keys, e) < 0)
		return -1;
	const char *lcores = NULL;
	if (svr_json_get_string(eal, "lcores", "eal", &lcores, e) < 0)
		return -1;
	if (lcores) {
		unsigned ids[DP_MAX_WORKERS + 1];
		if (strlen(lcores) >= sizeof(c->lcores) ||
		    dp_parse_lcore_list(lcores, ids, DP_MAX_WORKERS + 1) < 0)
			return svr_jerr_set(
			    e, "eal.lcores",
			    "\"%s\" is not a list like \"0-1\", \"0,2-3\" or \"0@0,1-2@1\" "
			    "(at most %d lcores)",
			    lcores, DP_MAX_WORKERS + 1);
		strcpy(c->lcores, lcores);
	}
	uint64_t v;
	int r = svr_json_get_uint(eal, "main-lcore", "eal", 0, 1023, &v, e);
	if (r < 0)
		return -1;
	if (r > 0)
		c->main_lcore = (int)v;
	if (opt_uint(eal, "memory-mb", "eal", 64, 1 << 20, &c->memory_mb, e) < 0)
		return -1;
	if (svr_json_get_bool(eal, "huge-pages", "eal", &c->huge_pages, e) < 0)
		return -1;
	json_t *extra;
	if (svr_json_get_array(eal, "extra-args", "eal", &extra, e) < 0)
		return -1;
	size_t i;
	json_t *arg;
	json_array_foreach (extra, i, arg) {
		char p[64];
		snprintf(p, sizeof(p), "eal.extra-args[%zu]", i);
		if (!json_is_string(arg) || strlen(json_string_value(arg)) >= 256)
			return svr_jerr_set(e, p, "must be a string of at most 255 characters");
		if (c->n_extra_args == DP_MAX_EXTRA_ARGS)
			return svr_jerr_set(e, p, "at most %d extra arguments", DP_MAX_EXTRA_ARGS);
		strcpy(c->extra_args[c->n_extra_args++], json_string_value(arg));
	}
	return 0;
}

/* "pci": the PCI devices EAL may take (the model's PCI devices must be among them). */
static int parse_pci(const json_t *doc, struct dp_config *c, struct svr_jerr *e)
{
	json_t *arr;
	if (svr_json_get_array(doc, "pci", "", &arr, e) < 0)
		return -1;
	size_t i;
	json_t *v;
	json_array_foreach (arr, i, v) {
		char p[32];
		snprintf(p, sizeof(p), "pci[%zu]", i);
		const char *s = json_string_value(v);
		if (!s || !dp_device_is_pci(s) || strlen(s) >= sizeof(c->pci[0]))
			return svr_jerr_set(e, p, "must be a PCI address like \"0000:03:00.0\"");
		if (c->n_pci == DP_MAX_PCI)
			return svr_jerr_set(e, p, "at most %d PCI devices", DP_MAX_PCI);
		strcpy(c->pci[c->n_pci++], s);
	}
	return 0;
}

/* "kernel": its presence turns the twins on; the namespace is one `ip netns add` makes
 * (/run/netns/NAME), so a name of letters, digits, '-', '_' and '.' that is no path. */
static int parse_kernel(const json_t *doc, struct dp_config *c, struct svr_jerr *e)
{
	json_t *o;
	if (svr_json_get_object(doc, "kernel", "", &o, e) < 0)
		return -1;
	if (!o)
		return 0;
	static const char *const k[] = {"namespace", "rate-per-s", "burst", NULL};
	const char *ns = NULL;
	if (svr_json_only_keys(o, "kernel", k, e) < 0 ||
	    svr_json_get_string(o, "namespace", "kernel", &ns, e) < 0 ||
	    opt_uint(o, "rate-per-s", "kernel", 1, 1000000, &c->kernel_rate, e) < 0 ||
	    opt_uint(o, "burst", "kernel", 1, 1000000, &c->kernel_burst, e) < 0)
		return -1;
	if (ns && (!valid_name(ns, DP_NETNS_LEN - 1, ".") || strcmp(ns, ".") == 0 ||
		   strcmp(ns, "..") == 0))
		return svr_jerr_set(e, "kernel.namespace",
				    "must be a network namespace name of 1-%d letters, digits, "
				    "'-', '_' or '.' (as in /run/netns/NAME)",
				    DP_NETNS_LEN - 1);
	if (ns)
		snprintf(c->kernel_ns, sizeof(c->kernel_ns), "%s", ns);
	c->kernel = true;
	return 0;
}

/* want: the instance the command line names (--instance; NULL: none), which a file that names
 * another refuses. */
static int parse_doc(const json_t *doc, const char *want, struct dp_config *c, struct svr_jerr *e)
{
	static const char *const keys[] = {"instance", "runtime-dir", "eal",      "workers",
					   "mbufs",    "burst",       "idle",     "neighbor",
					   "icmp",     "pci",         "sessions", "svr",
					   "routing",  "kernel",      NULL};
	static const char *const moved[] = {"interfaces", "static-routes", "static-neighbors"};
	for (size_t i = 0; i < sizeof(moved) / sizeof(moved[0]); i++)
		if (json_object_get(doc, moved[i]))
			return svr_jerr_set(
			    e, moved[i],
			    "belongs to the intent model now (routers[].%s, applied "
			    "by svr-control); see docs/startup-config.md",
			    moved[i]);
	if (svr_json_only_keys(doc, "", keys, e) < 0)
		return -1;

	const char *s = NULL;
	if (svr_json_get_string(doc, "instance", "", &s, e) < 0)
		return -1;
	if (s) {
		if (!valid_name(s, sizeof(c->instance) - 1, ""))
			return svr_jerr_set(e, "instance",
					    "\"%s\" must be 1-32 letters, digits, '-' or '_'", s);
		/* A unit started as svr-dataplane@A must never run B's file: B's shared memory,
		 * socket and ports belong to another process. */
		if (want && strcmp(s, want) != 0)
			return svr_jerr_set(e, "instance",
					    "the file is for instance \"%s\", but --instance is "
					    "\"%s\" (give the file instance \"%s\", or no instance "
					    "at all)",
					    s, want, want);
		strcpy(c->instance, s);
	} else if (want) {
		if (!valid_name(want, sizeof(c->instance) - 1, ""))
			return svr_jerr_set(e, "instance",
					    "--instance \"%s\" must be 1-32 letters, digits, '-' "
					    "or '_'",
					    want);
		strcpy(c->instance, want);
	}
	s = NULL;
	if (svr_json_get_string(doc, "runtime-dir", "", &s, e) < 0)
		return -1;
	if (s && (strlen(s) == 0 || strlen(s) >= sizeof(c->runtime_dir) - 20))
		return svr_jerr_set(e, "runtime-dir", "must be a path of 1-200 characters");
	if (s)
		strcpy(c->runtime_dir, s);
	else
		snprintf(c->runtime_dir, sizeof(c->runtime_dir), "%s/%s", SVR_RUNTIME_DIR_DEFAULT,
			 c->instance);
	snprintf(c->socket_path, sizeof(c->socket_path), "%s/%s", c->runtime_dir, SVR_CTLSOCK_NAME);

	json_t *o;
	if (svr_json_get_object(doc, "eal", "", &o, e) < 0 || (o && parse_eal(o, c, e) < 0))
		return -1;

	unsigned lcores[DP_MAX_WORKERS + 1];
	int n_lcores = dp_parse_lcore_list(c->lcores, lcores, DP_MAX_WORKERS + 1);
	if (c->main_lcore < 0)
		c->main_lcore = (int)lcores[0];
	bool main_listed = false;
	for (int i = 0; i < n_lcores; i++)
		main_listed = main_listed || lcores[i] == (unsigned)c->main_lcore;
	if (!main_listed)
		return svr_jerr_set(e, "eal.main-lcore", "lcore %d is not in eal.lcores \"%s\"",
				    c->main_lcore, c->lcores);

	json_t *workers;
	if (svr_json_get_array(doc, "workers", "", &workers, e) < 0)
		return -1;
	if (workers) {
		size_t i;
		json_t *w;
		json_array_foreach (workers, i, w) {
			char p[64];
			snprintf(p, sizeof(p), "workers[%zu]", i);
			if (i >= DP_MAX_WORKERS)
				return svr_jerr_set(e, p, "at most %d workers", DP_MAX_WORKERS);
			if (!json_is_integer(w))
				return svr_jerr_set(e, p, "must be an lcore id");
			json_int_t id = json_integer_value(w);
			bool listed = false;
			for (int k = 0; k < n_lcores; k++)
				listed = listed || (json_int_t)lcores[k] == id;
			if (!listed || id == c->main_lcore)
				return svr_jerr_set(e, p,
						    "lcore %lld must be in eal.lcores and not the "
						    "main lcore",
						    (long long)id);
			for (unsigned k = 0; k < c->n_workers; k++)
				if (c->workers[k] == (unsigned)id)
					return svr_jerr_set(e, p, "lcore %lld listed twice",
							    (long long)id);
			c->workers[c->n_workers++] = (unsigned)id;
		}
	} else {
		for (int k = 0; k < n_lcores; k++)
			if (lcores[k] != (unsigned)c->main_lcore)
				c->workers[c->n_workers++] = lcores[k];
	}
	if (c->n_workers == 0)
		return svr_jerr_set(e, workers ? "workers" : "eal.lcores",
				    "at least one worker lcore besides the main lcore is needed");

	if (opt_uint(doc, "mbufs", "", 1024, 1 << 24, &c->mbufs, e) < 0 ||
	    opt_uint(doc, "burst", "", 1, 64, &c->burst, e) < 0)
		return -1;

	if (svr_json_get_object(doc, "idle", "", &o, e) < 0)
		return -1;
	if (o) {
		static const char *const k[] = {"spin-polls", "min-sleep-us", "max-sleep-us", NULL};
		if (svr_json_only_keys(o, "idle", k, e) < 0 ||
		    opt_uint(o, "spin-polls", "idle", 0, 1u << 30, &c->spin_polls, e) < 0 ||
		    opt_uint(o, "min-sleep-us", "idle", 1, 1000000, &c->min_sleep_us, e) < 0 ||
		    opt_uint(o, "max-sleep-us", "idle", 1, 1000000, &c->max_sleep_us, e) < 0)
			return -1;
		if (c->min_sleep_us > c->max_sleep_us)
			return svr_jerr_set(e, "idle.min-sleep-us", "is greater than max-sleep-us");
	}

	if (svr_json_get_object(doc, "neighbor", "", &o, e) < 0)
		return -1;
	if (o) {
		static const char *const k[] = {"max-entries",       "reachable-s", "probes",
						"probe-interval-ms", "queue-len",   NULL};
		if (svr_json_only_keys(o, "neighbor", k, e) < 0 ||
		    opt_uint(o, "max-entries", "neighbor", 16, 1 << 20, &c->neigh_max, e) < 0 ||
		    opt_uint(o, "reachable-s", "neighbor", 1, 86400, &c->neigh_reachable_s, e) <
			0 ||
		    opt_uint(o, "probes", "neighbor", 1, 20, &c->neigh_probes, e) < 0 ||
		    opt_uint(o, "probe-interval-ms", "neighbor", 10, 60000,
			     &c->neigh_probe_interval_ms, e) < 0 ||
		    opt_uint(o, "queue-len", "neighbor", 0, DP_NEIGH_QUEUE_MAX, &c->neigh_queue_len,
			     e) < 0)
			return -1;
	}

	if (svr_json_get_object(doc, "icmp", "", &o, e) < 0)
		return -1;
	if (o) {
		static const char *const k[] = {"rate-per-s", "burst", NULL};
		if (svr_json_only_keys(o, "icmp", k, e) < 0 ||
		    opt_uint(o, "rate-per-s", "icmp", 0, 1000000, &c->icmp_rate, e) < 0 ||
		    opt_uint(o, "burst", "icmp", 1, 1000000, &c->icmp_burst, e) < 0)
			return -1;
	}

	if (svr_json_get_object(doc, "routing", "", &o, e) < 0)
		return -1;
	if (o) {
		static const char *const k[] = {"kernel-routes", NULL};
		if (svr_json_only_keys(o, "routing", k, e) < 0 ||
		    opt_uint(o, "kernel-routes", "routing", 0, DP_KERNEL_ROUTES_MAX,
			     &c->kernel_routes, e) < 0)
			return -1;
	}
	if (parse_kernel(doc, c, e) < 0)
		return -1;
	/* Twins without a word on routes: the routes through them are wanted too. */
	if (c->kernel && !json_object_get(json_object_get(doc, "routing"), "kernel-routes"))
		c->kernel_routes = DP_KERNEL_ROUTES_DEFAULT;

	if (svr_json_get_object(doc, "sessions", "", &o, e) < 0)
		return -1;
	if (o) {
		static const char *const k[] = {"capacity", "ipv6-capacity", "extension-slots",
						"duplicate-windows", NULL};
		if (svr_json_only_keys(o, "sessions", k, e) < 0 ||
		    opt_uint(o, "capacity", "sessions", DP_SESSIONS_MIN, DP_SESSIONS_MAX,
			     &c->session_capacity, e) < 0 ||
		    opt_uint(o, "ipv6-capacity", "sessions", 64, DP_SESSIONS_MAX,
			     &c->session_capacity6, e) < 0 ||
		    opt_uint(o, "extension-slots", "sessions", DP_EXT_SLOTS_MIN, DP_EXT_SLOTS_MAX,
			     &c->ext_slots, e) < 0 ||
		    opt_uint(o, "duplicate-windows", "sessions", DP_DUP_WINDOWS_MIN,
			     DP_EXT_SLOTS_MAX, &c->dup_windows, e) < 0)
			return -1;
	}
	/* defaults: about 0.75 byte per session of capacity for both pools (docs/paths.md) */
	if (c->ext_slots == 0)
		c->ext_slots = c->session_capacity / DP_EXT_PER_SESSIONS < DP_EXT_SLOTS_MIN
				   ? DP_EXT_SLOTS_MIN
			       : c->session_capacity / DP_EXT_PER_SESSIONS > DP_EXT_SLOTS_MAX
				   ? DP_EXT_SLOTS_MAX
				   : c->session_capacity / DP_EXT_PER_SESSIONS;
	if (c->dup_windows == 0)
		c->dup_windows = c->session_capacity / DP_DUP_PER_SESSIONS < DP_DUP_WINDOWS_MIN
				     ? DP_DUP_WINDOWS_MIN
				     : c->session_capacity / DP_DUP_PER_SESSIONS;
	if (c->dup_windows > c->ext_slots)
		return svr_jerr_set(e, "sessions.duplicate-windows",
				    "%u is more than sessions.extension-slots (%u): a duplicated "
				    "session takes one of each",
				    c->dup_windows, c->ext_slots);
	if (c->session_capacity6 == 0)
		c->session_capacity6 = c->session_capacity / DP_SESSIONS_IPV6_SHARE;
	if (c->session_capacity6 > c->session_capacity)
		return svr_jerr_set(e, "sessions.ipv6-capacity",
				    "%u is more than sessions.capacity (%u): IPv6 sessions are "
				    "part of it",
				    c->session_capacity6, c->session_capacity);
	if (svr_json_get_object(doc, "svr", "", &o, e) < 0)
		return -1;
	if (o) {
		static const char *const k[] = {"key-file", NULL};
		const char *kf = NULL;
		if (svr_json_only_keys(o, "svr", k, e) < 0 ||
		    svr_json_get_string(o, "key-file", "svr", &kf, e) < 0)
			return -1;
		if (kf && (!*kf || strlen(kf) >= sizeof(c->svr_key_file)))
			return svr_jerr_set(e, "svr.key-file",
					    "must be a path of 1-255 characters");
		if (kf)
			snprintf(c->svr_key_file, sizeof(c->svr_key_file), "%s", kf);
	}
	/* Unless given: 256 MiB for buffers, FIBs and tables, plus the sessions' share, plus the
	 * kernel routes' (docs/startup-config.md). */
	uint64_t sessions_mb = (uint64_t)c->session_capacity * DP_SESSION_BYTES_BUDGET >> 20;
	uint64_t kernel_mb =
	    c->kernel_routes ? DP_KERNEL_ROUTES_TABLES_MB +
				   ((uint64_t)c->kernel_routes * DP_KERNEL_ROUTE_BYTES_BUDGET >> 20)
			     : 0;
	sessions_mb += kernel_mb;
	if (c->memory_mb == 0) {
		c->memory_mb = 256 + (unsigned)sessions_mb;
	} else {
		/* A rough floor, so that a too small -m is said here and not as a failed
		 * allocation. */
		uint64_t need = 64 + sessions_mb + (uint64_t)c->mbufs * 4 / 1024;
		if (c->memory_mb < need)
			return svr_jerr_set(
			    e, "eal.memory-mb",
			    "%u MB is below the about %llu MB that sessions.capacity "
			    "%u, mbufs %u and routing.kernel-routes %u need (~%u bytes a "
			    "session, 4 KiB an mbuf without huge pages, 64 MB for routes "
			    "and tables, %u MB + %u bytes a route for kernel routes): "
			    "raise it, leave it out, or lower sessions.capacity",
			    c->memory_mb, (unsigned long long)need, c->session_capacity, c->mbufs,
			    c->kernel_routes, DP_SESSION_BYTES_BUDGET, DP_KERNEL_ROUTES_TABLES_MB,
			    DP_KERNEL_ROUTE_BYTES_BUDGET);
	}

	return parse_pci(doc, c, e);
}

int dp_config_parse_instance(const char *text, const char *instance, struct dp_config *c,
			     struct svr_jerr *e)
{
	config_defaults(c);
	json_error_t jerr;
	json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		return svr_jerr_set(e, "", "line %d column %d: %s", jerr.line, jerr.column,
				    jerr.text);
	int r = parse_doc(doc, instance, c, e);
	json_decref(doc);
	return r;
}

int dp_config_parse(const char *text, struct dp_config *c, struct svr_jerr *e)
{
	return dp_config_parse_instance(text, NULL, c, e);
}

int dp_config_load(const char *path, const char *instance, struct dp_config *c, struct svr_jerr *e)
{
	size_t len;
	char *text = svr_read_file(path, 16 << 20, &len);
	if (!text)
		return errno == EFBIG
			   ? svr_jerr_set(e, "", "%s: larger than 16 MiB", path)
			   : svr_jerr_set(e, "", "cannot read %s: %s", path, strerror(errno));
	int r = dp_config_parse_instance(text, instance, c, e);
	free(text);
	return r;
}
