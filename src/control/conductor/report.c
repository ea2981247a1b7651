/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a status report says of the peer paths and the interfaces (docs/conductor.md, "Status"),
 * made from the dataplane's answers to "peers", "interfaces" and "ports". No I/O: the status
 * thread (status.c) fetches, these functions only read JSON, so unit tests feed them JSON.
 */
#include <string.h>

#include "cd_int.h"

/* The port (of "ports") with the given id, or NULL. */
static const json_t *port_by_id(const json_t *ports, json_int_t id)
{
	size_t i;
	json_t *port;
	json_array_foreach (ports, i, port)
		if (json_integer_value(json_object_get(port, "id")) == id)
			return port;
	return NULL;
}

/* The port under the interface named ifname, or NULL when not known. */
static const json_t *port_of(const json_t *ifaces, const json_t *ports, const char *ifname)
{
	size_t i;
	json_t *ifc;
	json_array_foreach (ifaces, i, ifc) {
		const char *name = json_string_value(json_object_get(ifc, "name"));
		if (ifname && name && strcmp(name, ifname) == 0)
			return port_by_id(ports, json_integer_value(json_object_get(ifc, "port")));
	}
	return NULL;
}

static bool is_up(const json_t *v)
{
	const char *s = json_string_value(v);
	return s && strcmp(s, "up") == 0;
}

/* A figure rounded to `scale` (1000: three decimals), or null when v is not a number: the
 * dataplane's doubles carry noise below what was measured. */
static json_t *figure(const json_t *v, double scale)
{
	if (!json_is_number(v))
		return json_null();
	double x = json_number_value(v) * scale;
	return json_real((double)(int64_t)(x + (x >= 0 ? 0.5 : -0.5)) / scale);
}

/* One path of "peers" as reported. With BFD, its state, quality and SLA verdict are BFD's and
 * the dataplane's; latency, jitter and MOS need delay samples (bfd.quality.samples), before
 * which they are null.
 * Without BFD (the neighborhood's bfd.enabled false) the path counts as up while its port's
 * link is, and nothing is measured. */
static json_t *path_report(const json_t *p, const json_t *ifaces, const json_t *ports)
{
	const char *ifname = json_string_value(json_object_get(p, "interface"));
	const json_t *bfd = json_object_get(p, "bfd");
	bool has_bfd = json_is_object(bfd);
	bool up = has_bfd ? is_up(json_object_get(bfd, "state"))
			  : is_up(json_object_get(port_of(ifaces, ports, ifname), "link"));
	const json_t *q = has_bfd ? json_object_get(bfd, "quality") : NULL;
	bool delays = json_integer_value(json_object_get(q, "samples")) > 0;
	/* the dataplane's verdict as it stands: loss alone may violate before any delay sample */
	const char *sla = has_bfd ? json_string_value(json_object_get(bfd, "sla")) : NULL;
	return json_pack(
	    "{s:O?, s:O?, s:s?, s:s, s:b, s:b, s:o, s:o, s:o, s:o, s:s?}", "peer",
	    json_object_get(p, "peer"), "path", json_object_get(p, "path"), "interface", ifname,
	    "state", up ? "up" : "down", "bfd", has_bfd, "usable",
	    has_bfd ? json_is_true(json_object_get(bfd, "usable")) : up, "loss-pct",
	    figure(json_object_get(q, "loss-pct"), 1000), "latency-ms",
	    delays ? figure(json_object_get(q, "latency-ms"), 1000) : json_null(), "jitter-ms",
	    delays ? figure(json_object_get(q, "jitter-ms"), 1000) : json_null(), "mos",
	    delays ? figure(json_object_get(q, "mos"), 100) : json_null(), "sla", sla);
}

json_t *cd_report_paths(const json_t *peers, const json_t *ifaces, const json_t *ports)
{
	json_t *out = json_array();
	size_t i;
	json_t *p;
	json_array_foreach (json_object_get(peers, "paths"), i, p)
		json_array_append_new(out, path_report(p, ifaces, ports));
	return out;
}

json_t *cd_report_interfaces(const json_t *ifaces, const json_t *ports)
{
	json_t *out = json_array();
	size_t i;
	json_t *ifc;
	json_array_foreach (ifaces, i, ifc) {
		const json_t *port =
		    port_by_id(ports, json_integer_value(json_object_get(ifc, "port")));
		json_t *addrs = json_object_get(ifc, "addresses");
		json_t *o =
		    json_pack("{s:O?, s:s, s:o}", "name", json_object_get(ifc, "name"), "link",
			      is_up(json_object_get(port, "link")) ? "up" : "down", "addresses",
			      json_is_array(addrs) ? json_incref(addrs) : json_array());
		/* the port's: VLAN interfaces on one port share them */
		static const char *const from_port[] = {"device", "rx-packets", "tx-packets"};
		for (size_t k = 0; o && port && k < 3; k++) {
			json_t *v = json_object_get(port, from_port[k]);
			if (v)
				json_object_set(o, from_port[k], v);
		}
		json_array_append_new(out, o);
	}
	return out;
}
