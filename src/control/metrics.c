/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Prometheus text exposition format 0.0.4: per family "# HELP" and "# TYPE" lines, then its
 * samples together; label values escaped (\\, \", \n), HELP text likewise without the quote.
 * Names say their base unit (seconds, bytes, ratio) and counters end in _total.
 */
#include "metrics.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/textbuf.h"

/* s with backslash and newline escaped, and the double quote too for a label value. */
static void put_escaped(struct svr_textbuf *b, const char *s, bool quote)
{
	for (const char *run = s;; s++) {
		const char *esc = *s == '\\'           ? "\\\\"
				  : *s == '\n'         ? "\\n"
				  : *s == '"' && quote ? "\\\""
						       : NULL;
		if (!esc && *s)
			continue;
		svr_textbuf_put(b, run, (size_t)(s - run));
		if (!*s)
			return;
		svr_textbuf_puts(b, esc);
		run = s + 1;
	}
}

static void family(struct svr_textbuf *b, const char *name, const char *type, const char *help)
{
	svr_textbuf_puts(b, "# HELP ");
	svr_textbuf_puts(b, name);
	svr_textbuf_puts(b, " ");
	put_escaped(b, help, false);
	svr_textbuf_puts(b, "\n# TYPE ");
	svr_textbuf_puts(b, name);
	svr_textbuf_puts(b, " ");
	svr_textbuf_puts(b, type);
	svr_textbuf_puts(b, "\n");
}

/* One sample: name{k1="v1",...} value, the labels as (key, value) pairs ending in NULL. */
static void sample(struct svr_textbuf *b, const char *name, const char *value, ...)
{
	va_list ap;
	va_start(ap, value);
	svr_textbuf_puts(b, name);
	const char *sep = "{";
	for (const char *k; (k = va_arg(ap, const char *));) {
		const char *v = va_arg(ap, const char *);
		svr_textbuf_puts(b, sep);
		svr_textbuf_puts(b, k);
		svr_textbuf_puts(b, "=\"");
		put_escaped(b, v ? v : "", true);
		svr_textbuf_puts(b, "\"");
		sep = ",";
	}
	va_end(ap);
	if (*sep == ',')
		svr_textbuf_puts(b, "}");
	svr_textbuf_puts(b, " ");
	svr_textbuf_puts(b, value);
	svr_textbuf_puts(b, "\n");
}

/* Values as text: integers exactly, reals with 15 significant digits, NaN and infinities. */
struct num {
	char s[40];
};

static struct num num_u64(uint64_t v)
{
	struct num n;
	snprintf(n.s, sizeof(n.s), "%" PRIu64, v);
	return n;
}

static struct num num_f(double v)
{
	struct num n;
	if (isnan(v))
		snprintf(n.s, sizeof(n.s), "NaN");
	else if (isinf(v))
		snprintf(n.s, sizeof(n.s), v > 0 ? "+Inf" : "-Inf");
	else
		snprintf(n.s, sizeof(n.s), "%.15g", v);
	return n;
}

/* A JSON number as a value (scaled by mul unless 1), NaN when it is not a number (null). */
static struct num num_json(const json_t *v, double mul)
{
	if (json_is_integer(v) && mul == 1)
		return num_u64((uint64_t)json_integer_value(v));
	return num_f(json_is_number(v) ? json_number_value(v) * mul : NAN);
}

/* ------------------------------------------------------------ svr-control -- */

static void control_families(struct svr_textbuf *b, const struct svr_metrics_src *m)
{
	family(b, "svr_control_info", "gauge",
	       "svr-control's version, the router it configures and its instance (always 1)");
	sample(b, "svr_control_info", "1", "version", m->version, "router", m->router, "dataplane_instance",
	       m->instance, NULL);
	family(b, "svr_control_uptime_seconds", "gauge", "Seconds since svr-control started");
	sample(b, "svr_control_uptime_seconds", num_f(m->uptime_s).s, NULL);
	family(b, "svr_dataplane_up", "gauge",
	       "1 when the dataplane's control socket answered this scrape, else 0 (its families "
	       "are then left out)");
	sample(b, "svr_dataplane_up", m->dataplane_up ? "1" : "0", NULL);
	family(b, "svr_policy_published_generation", "gauge",
	       "Policy generation svr-control last published to the dataplane");
	sample(b, "svr_policy_published_generation", num_u64(m->published).s, NULL);
	family(b, "svr_policy_acknowledged_generation", "gauge",
	       "Policy generation the dataplane acknowledged (runs)");
	sample(b, "svr_policy_acknowledged_generation", num_u64(m->acked).s, NULL);
	family(b, "svr_policy_rejected_generation", "gauge",
	       "Policy generation the dataplane last rejected (0: none)");
	sample(b, "svr_policy_rejected_generation", num_u64(m->rejected).s, NULL);

	const char *h = "svr_policy_apply_duration_seconds";
	family(b, h, "histogram",
	       "Seconds from the start of an apply (parse of the model) to the dataplane's "
	       "acknowledgement of its generation");
	uint64_t cum = 0;
	for (unsigned i = 0; i < SVR_APPLY_BUCKETS; i++) {
		cum += m->apply.bucket[i];
		sample(b, "svr_policy_apply_duration_seconds_bucket", num_u64(cum).s, "le",
		       num_f(svr_apply_bucket_s[i]).s, NULL);
	}
	sample(b, "svr_policy_apply_duration_seconds_bucket", num_u64(m->apply.count).s, "le",
	       "+Inf", NULL);
	sample(b, "svr_policy_apply_duration_seconds_sum", num_f(m->apply.sum_s).s, NULL);
	sample(b, "svr_policy_apply_duration_seconds_count", num_u64(m->apply.count).s, NULL);
}

/* ----------------------------------------------------------------- ports -- */

/* The model's interfaces on port id, comma-separated in the answer's order ("" none). */
static void port_interfaces(const json_t *interfaces, json_int_t id, char *out, size_t len)
{
	size_t i, off = 0;
	const json_t *ifc;
	out[0] = '\0';
	json_array_foreach (interfaces, i, ifc) {
		const char *name = json_string_value(json_object_get(ifc, "name"));
		if (!name || json_integer_value(json_object_get(ifc, "port")) != id)
			continue;
		int n = snprintf(out + off, len - off, "%s%s", off ? "," : "", name);
		if (n < 0 || (size_t)n >= len - off) {
			out[off] = '\0'; /* whole names only */
			return;
		}
		off += (size_t)n;
	}
}

static const struct {
	const char *key, *name, *type, *help;
} port_stats[] = {
    {"rx-packets", "svr_port_receive_packets_total", "counter", "Packets the port received"},
    {"rx-bytes", "svr_port_receive_bytes_total", "counter", "Bytes the port received"},
    {"tx-packets", "svr_port_transmit_packets_total", "counter", "Packets the port sent"},
    {"tx-bytes", "svr_port_transmit_bytes_total", "counter", "Bytes the port sent"},
    {"rx-errors", "svr_port_receive_errors_total", "counter",
     "Erroneous packets the port received (device counter)"},
    {"tx-errors", "svr_port_transmit_errors_total", "counter",
     "Packets the port failed to send (device counter)"},
    {"rx-missed", "svr_port_receive_missed_total", "counter",
     "Packets the device dropped: its receive queues were full"},
    {"rx-nombuf", "svr_port_receive_no_buffer_total", "counter",
     "Receive buffer allocation failures of the device"},
};

static void port_families(struct svr_textbuf *b, const json_t *ports, const json_t *interfaces)
{
	size_t n = json_array_size(ports);
	char(*ifnames)[512] = calloc(n ? n : 1, sizeof(*ifnames));
	if (!ifnames) {
		svr_textbuf_fail(b);
		return;
	}
	size_t i;
	const json_t *p;
	json_array_foreach (ports, i, p)
		port_interfaces(interfaces, json_integer_value(json_object_get(p, "id")),
				ifnames[i], sizeof(ifnames[i]));
	family(b, "svr_port_link_up", "gauge", "1 when the port's link is up");
	json_array_foreach (ports, i, p) {
		const char *link = json_string_value(json_object_get(p, "link"));
		sample(b, "svr_port_link_up", link && strcmp(link, "up") == 0 ? "1" : "0", "port",
		       json_string_value(json_object_get(p, "name")), "interface", ifnames[i],
		       NULL);
	}
	for (size_t f = 0; f < sizeof(port_stats) / sizeof(port_stats[0]); f++) {
		family(b, port_stats[f].name, port_stats[f].type, port_stats[f].help);
		json_array_foreach (ports, i, p)
			sample(b, port_stats[f].name,
			       num_json(json_object_get(p, port_stats[f].key), 1).s, "port",
			       json_string_value(json_object_get(p, "name")), "interface",
			       ifnames[i], NULL);
	}
	free(ifnames);
}

/* ----------------------------------------------------------------- stats -- */

/* One family from an object of counters by name ("drops", "events"). */
static void named_counters(struct svr_textbuf *b, const json_t *obj, const char *name,
			   const char *label, const char *help)
{
	const char *key;
	const json_t *v;
	family(b, name, "counter", help);
	json_object_foreach ((json_t *)obj, key, v)
		sample(b, name, num_json(v, 1).s, label, key, NULL);
}

static void stats_families(struct svr_textbuf *b, const json_t *stats)
{
	static const struct {
		const char *key, *name, *help;
	} totals[] = {
	    {"rx-packets", "svr_dataplane_received_packets_total",
	     "Packets the workers received, every port"},
	    {"tx-packets", "svr_dataplane_transmitted_packets_total",
	     "Packets the workers sent, every port"},
	    {"forwarded", "svr_dataplane_forwarded_packets_total", "Packets forwarded"},
	    {"punted", "svr_dataplane_punted_packets_total",
	     "Packets handed to the main lcore (the slow path)"},
	};
	const json_t *t = json_object_get(stats, "totals");
	for (size_t i = 0; t && i < sizeof(totals) / sizeof(totals[0]); i++) {
		family(b, totals[i].name, "counter", totals[i].help);
		sample(b, totals[i].name, num_json(json_object_get(t, totals[i].key), 1).s, NULL);
	}
	const json_t *drops = json_object_get(stats, "drops");
	if (json_is_object(drops))
		named_counters(
		    b, drops, "svr_dropped_packets_total", "reason",
		    "Packets dropped, by reason (every reason of include/svr/counters.h; "
		    "docs/dataplane.md)");
	const json_t *events = json_object_get(stats, "events");
	if (json_is_object(events))
		named_counters(b, events, "svr_dataplane_events_total", "event",
			       "Slow-path events that are not drops (ARP, ICMP, policy images, "
			       "sessions aged, path up/down ...)");
}

/* -------------------------------------------------------------- sessions -- */

static void session_families(struct svr_textbuf *b, const json_t *counts)
{
	size_t i;
	const json_t *e;
	family(b, "svr_sessions_live", "gauge", "Live sessions, by tenant and service");
	json_array_foreach (json_object_get(counts, "by-name"), i, e)
		sample(b, "svr_sessions_live", num_json(json_object_get(e, "sessions"), 1).s,
		       "tenant", json_string_value(json_object_get(e, "tenant")), "service",
		       json_string_value(json_object_get(e, "service")), NULL);
	const json_t *s = json_object_get(counts, "summary");
	if (!json_is_object(s))
		return;
	static const struct {
		const char *key, *name, *type, *help;
	} summary[] = {
	    {"limit", "svr_sessions_limit", "gauge",
	     "Sessions the running model allows (limits.session-capacity, at most the table's)"},
	    {"capacity", "svr_sessions_capacity", "gauge", "Entries of the session table"},
	    {"in-use", "svr_sessions_entries_in_use", "gauge",
	     "Entries of the session table in use (moving and duplicated sessions hold two)"},
	    {"half-open-tcp", "svr_sessions_half_open_tcp", "gauge",
	     "TCP sessions not yet established"},
	    {"created", "svr_sessions_created_total", "counter", "Sessions created"},
	    {"aged", "svr_sessions_aged_total", "counter", "Sessions ended by their idle timeout"},
	    {"cleared", "svr_sessions_cleared_total", "counter",
	     "Sessions ended by the operator (DELETE /sessions/{uuid})"},
	    {"memory-bytes", "svr_sessions_memory_bytes", "gauge",
	     "Memory the session table and its companions took at start"},
	};
	for (size_t f = 0; f < sizeof(summary) / sizeof(summary[0]); f++) {
		const json_t *v = json_object_get(s, summary[f].key);
		if (!v)
			continue;
		family(b, summary[f].name, summary[f].type, summary[f].help);
		sample(b, summary[f].name, num_json(v, 1).s, NULL);
	}
}

/* ----------------------------------------------------------------- peers -- */

/* What a path's figure is: where in its "bfd" object, and the scale to base units. */
struct path_field {
	const char *name, *type, *help;
	const char *obj, *key; /* obj NULL: in "bfd" itself; else bfd[obj][key] */
	double mul;
};

static const struct path_field path_fields[] = {
    {"svr_peer_path_usable", "gauge",
     "1 when path choice may use the path (BFD up and out of hold-down)", NULL, "usable", 1},
    {"svr_peer_path_loss_ratio", "gauge",
     "Loss on the path, 0 to 1 (the highest of echo, BFD and data loss: docs/paths.md)", "quality",
     "loss-pct", 0.01},
    {"svr_peer_path_latency_seconds", "gauge", "One-way latency of the path (RTT / 2, median)",
     "quality", "latency-ms", 0.001},
    {"svr_peer_path_jitter_seconds", "gauge", "Jitter of the path's latency", "quality",
     "jitter-ms", 0.001},
    {"svr_peer_path_mos", "gauge", "Mean opinion score of the path, 1 to 4.5 (E-model)", "quality",
     "mos", 1},
    {"svr_peer_path_quality_samples", "gauge",
     "Samples behind the path's quality figures (0: none yet)", "quality", "samples", 1},
};

static const json_t *path_value(const json_t *bfd, const struct path_field *f)
{
	return f->obj ? json_object_get(json_object_get(bfd, f->obj), f->key)
		      : json_object_get(bfd, f->key);
}

static void path_sample(struct svr_textbuf *b, const char *name, const char *value, const json_t *p)
{
	sample(b, name, value, "peer", json_string_value(json_object_get(p, "peer")), "path",
	       json_string_value(json_object_get(p, "path")), NULL);
}

/* Whether peer is in the peers answer's "degraded" list. */
static bool degraded(const json_t *peers, const char *peer)
{
	size_t i;
	const json_t *d;
	json_array_foreach (json_object_get(peers, "degraded"), i, d) {
		const char *n = json_string_value(json_object_get(d, "peer"));
		if (n && peer && strcmp(n, peer) == 0)
			return true;
	}
	return false;
}

/* Whether paths[i]'s peer was named by an earlier path (each peer once). */
static bool peer_seen(const json_t *paths, size_t i)
{
	const char *peer = json_string_value(json_object_get(json_array_get(paths, i), "peer"));
	for (size_t j = 0; peer && j < i; j++) {
		const char *o =
		    json_string_value(json_object_get(json_array_get(paths, j), "peer"));
		if (o && strcmp(o, peer) == 0)
			return true;
	}
	return false;
}

static void peer_families(struct svr_textbuf *b, const json_t *peers)
{
	const json_t *paths = json_object_get(peers, "paths"), *p;
	size_t i;
	/* Liveness and quality come from BFD ("bfd": null when the path has none). */
	family(b, "svr_peer_path_up", "gauge", "1 when the path's BFD session is up");
	json_array_foreach (paths, i, p) {
		const json_t *bfd = json_object_get(p, "bfd");
		const char *state = json_string_value(json_object_get(bfd, "state"));
		if (json_is_object(bfd))
			path_sample(b, "svr_peer_path_up",
				    state && !strcmp(state, "up") ? "1" : "0", p);
	}
	for (size_t f = 0; f < sizeof(path_fields) / sizeof(path_fields[0]); f++) {
		const struct path_field *pf = &path_fields[f];
		family(b, pf->name, pf->type, pf->help);
		json_array_foreach (paths, i, p) {
			const json_t *bfd = json_object_get(p, "bfd");
			const json_t *v = path_value(bfd, pf);
			if (!json_is_object(bfd))
				continue;
			path_sample(b, pf->name,
				    json_is_boolean(v) ? (json_is_true(v) ? "1" : "0")
						       : num_json(v, pf->mul).s,
				    p);
		}
	}
	static const char *const dirs[] = {"up", "down"};
	family(b, "svr_peer_path_transitions_total", "counter",
	       "Times the path's BFD session came up or went down");
	json_array_foreach (paths, i, p) {
		const json_t *tr = json_object_get(json_object_get(p, "bfd"), "transitions");
		for (int d = 0; json_is_object(tr) && d < 2; d++)
			sample(b, "svr_peer_path_transitions_total",
			       num_json(json_object_get(tr, dirs[d]), 1).s, "peer",
			       json_string_value(json_object_get(p, "peer")), "path",
			       json_string_value(json_object_get(p, "path")), "to", dirs[d], NULL);
	}
	family(b, "svr_peer_degraded", "gauge",
	       "1 while the peer is in degraded mode (docs/paths.md, \"Degraded mode\")");
	json_array_foreach (paths, i, p) {
		const char *peer = json_string_value(json_object_get(p, "peer"));
		if (!peer_seen(paths, i))
			sample(b, "svr_peer_degraded", degraded(peers, peer) ? "1" : "0", "peer",
			       peer, NULL);
	}
}

/* ----------------------------------------------------------------------- -- */

char *svr_metrics_render(const struct svr_metrics_src *m, size_t *len)
{
	struct svr_textbuf b = {0};
	control_families(&b, m);
	if (m->dataplane_up && json_is_array(m->ports))
		port_families(&b, m->ports, m->interfaces);
	if (m->dataplane_up && json_is_object(m->stats))
		stats_families(&b, m->stats);
	if (m->dataplane_up && json_is_object(m->counts))
		session_families(&b, m->counts);
	if (m->dataplane_up && json_is_object(m->peers))
		peer_families(&b, m->peers);
	return svr_textbuf_take(&b, len);
}
