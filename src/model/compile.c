/* SPDX-License-Identifier: BSD-3-Clause */
#include "model/compile.h"
#include "model/index.h"
#include "model/validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/image.h"
#include "common/log.h"
#include "common/crc32c.h"
#include "common/inet.h"
#include "common/timeutil.h"
#include "svr/shm.h"

/* Name -> index maps built with jansson objects (hash tables). */
struct names {
	json_t *security, *tenants, *classes, *policies, *services, *ifaces, *peers;
};

struct compiler {
	const json_t *doc, *auth, *router;
	const char *router_name;
	const struct svr_model_index *ix;
	size_t self; /* the router's position in authority.routers */
	struct svr_img_builder b;
	struct names n;
	char *err;
	size_t errlen;
};

/* Checks return through this: the sentence goes to the caller's buffer. */
#define fail(c, ...) svr_errf((c)->err, (c)->errlen, __VA_ARGS__)

static const char *str(const json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : dflt;
}

static uint64_t uint_or(const json_t *o, const char *key, uint64_t dflt)
{
	json_t *v = json_object_get(o, key);
	return json_is_integer(v) ? (uint64_t)json_integer_value(v) : dflt;
}

static bool bool_or(const json_t *o, const char *key, bool dflt)
{
	json_t *v = json_object_get(o, key);
	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

static uint32_t lookup(json_t *map, const char *name)
{
	json_t *v = name ? json_object_get(map, name) : NULL;
	return v ? (uint32_t)json_integer_value(v) : SVR_IMG_NONE;
}

static void remember(json_t *map, const char *name, uint32_t idx)
{
	json_object_set_new(map, name, json_integer(idx));
}

static json_t *arr(const json_t *o, const char *key)
{
	json_t *a = json_object_get(o, key);
	return json_is_array(a) ? a : NULL;
}

/* Adds every "address/len" string of a JSON array; returns the range. */
static struct svr_img_range prefixes(struct compiler *c, const json_t *list, bool host_ok)
{
	struct svr_img_range r = {.first = svr_img_next(&c->b, SVR_SEC_PREFIXES)};
	size_t i;
	json_t *v;
	json_array_foreach (list, i, v) {
		struct svr_prefix p;
		if (svr_prefix_parse(json_string_value(v), &p, host_ok) == 0) {
			svr_img_prefix_add(&c->b, &p);
			r.count++;
		}
	}
	return r;
}

static void img_prefix(struct svr_img_prefix *out, const struct svr_ip *ip, uint8_t len)
{
	memset(out, 0, sizeof(*out));
	out->family = ip->family;
	out->len = len;
	memcpy(out->addr, ip->addr, 16);
}

static int parse_ip(const char *s, struct svr_img_prefix *out)
{
	struct svr_ip ip;
	if (!s || svr_ip_parse(s, &ip) < 0)
		return -1;
	img_prefix(out, &ip, ip.family == SVR_AF_INET ? 32 : 128);
	return 0;
}

static void compile_security(struct compiler *c)
{
	size_t i;
	json_t *sp;
	json_array_foreach (arr(c->auth, "security-policies"), i, sp) {
		const char *h = str(sp, "hmac-cipher", "sha256-128");
		const char *e = str(sp, "encryption-cipher", "aes-cbc-256");
		struct svr_img_security s = {
		    .name = svr_img_str_add(&c->b, str(sp, "name", "")),
		    .hmac_cipher = strcmp(h, "none") == 0     ? SVR_HMAC_NONE
				   : strcmp(h, "sha256") == 0 ? SVR_HMAC_SHA256
							      : SVR_HMAC_SHA256_128,
		    .hmac_mode = strcmp(str(sp, "hmac-mode", "time-based"), "regular") == 0
				     ? SVR_HMAC_REGULAR
				     : SVR_HMAC_TIME_BASED,
		    .encryption_cipher = strcmp(e, "none") == 0          ? SVR_CIPHER_NONE
					 : strcmp(e, "aes-cbc-128") == 0 ? SVR_CIPHER_AES_CBC_128
									 : SVR_CIPHER_AES_CBC_256,
		    .encrypt_payload = bool_or(sp, "encrypt-payload", false),
		};
		remember(c->n.security, str(sp, "name", ""),
			 svr_img_add(&c->b, SVR_SEC_SECURITY_POLICIES, &s));
	}
}

/* A tenant's kernel routing table: its own, else its nearest ancestor's, else 0 (main). The
 * model is valid, so the chain of names ends. */
static uint32_t routing_table_of(struct compiler *c, json_t *list, const char *name)
{
	char n[256];
	snprintf(n, sizeof(n), "%s", name);
	for (;;) {
		uint32_t i = lookup(c->n.tenants, n);
		json_t *t = i == SVR_IMG_NONE ? NULL : json_array_get(list, i);
		if (t && json_object_get(t, "routing-table"))
			return (uint32_t)uint_or(t, "routing-table", 0);
		char *dot = strrchr(n, '.');
		if (!dot)
			return 0;
		*dot = '\0';
	}
}

/* Tenants are added in document order; parents resolve by name after all are known. */
static void compile_tenants(struct compiler *c)
{
	json_t *list = arr(c->auth, "tenants");
	size_t i;
	json_t *t;
	json_array_foreach (list, i, t)
		remember(c->n.tenants, str(t, "name", ""), (uint32_t)i);
	json_array_foreach (list, i, t) {
		const char *name = str(t, "name", "");
		char parent[256] = "";
		const char *dot = strrchr(name, '.');
		if (dot && (size_t)(dot - name) < sizeof(parent))
			memcpy(parent, name, (size_t)(dot - name));
		struct svr_img_tenant it = {
		    .name = svr_img_str_add(&c->b, name),
		    .parent = dot ? lookup(c->n.tenants, parent) : SVR_IMG_NONE,
		    .max_sessions = (uint32_t)uint_or(t, "max-sessions", 0),
		    .routing_table = routing_table_of(c, list, name),
		    .members = {.first = svr_img_next(&c->b, SVR_SEC_TENANT_MEMBERS)},
		};
		size_t k;
		json_t *m;
		json_array_foreach (arr(t, "members"), k, m) {
			uint32_t hood = svr_img_str_add(&c->b, str(m, "neighborhood", ""));
			size_t j;
			json_t *p;
			json_array_foreach (arr(m, "prefixes"), j, p) {
				struct svr_prefix pf;
				if (svr_prefix_parse(json_string_value(p), &pf, true) < 0)
					continue;
				struct svr_img_member im = {
				    .neighborhood = hood, .prefix = svr_img_prefix_add(&c->b, &pf)};
				svr_img_add(&c->b, SVR_SEC_TENANT_MEMBERS, &im);
				it.members.count++;
			}
		}
		svr_img_add(&c->b, SVR_SEC_TENANTS, &it);
	}
}

static void compile_classes(struct compiler *c)
{
	size_t i;
	json_t *k;
	json_array_foreach (arr(c->auth, "service-classes"), i, k) {
		json_t *to = json_object_get(k, "timeouts");
		json_t *wd = json_object_get(k, "when-degraded");
		const char *act = str(wd, "action", "none");
		struct svr_img_class ic = {
		    .name = svr_img_str_add(&c->b, str(k, "name", "")),
		    .priority = (uint8_t)uint_or(k, "priority", 3),
		    /* absent: keep the packet's DSCP */
		    .dscp = (uint8_t)uint_or(k, "dscp", SVR_IMG_DSCP_KEEP),
		    .degraded_action = strcmp(act, "block") == 0        ? SVR_DEGRADED_BLOCK
				       : strcmp(act, "rate-limit") == 0 ? SVR_DEGRADED_RATE_LIMIT
									: SVR_DEGRADED_NONE,
		    .degraded_rate_bps = uint_or(wd, "rate-bps", 0),
		    .tcp_established_s = (uint32_t)uint_or(to, "tcp-established-s", 0),
		    .tcp_handshake_s = (uint32_t)uint_or(to, "tcp-handshake-s", 0),
		    .tcp_closing_s = (uint32_t)uint_or(to, "tcp-closing-s", 0),
		    .udp_s = (uint32_t)uint_or(to, "udp-s", 0),
		    .icmp_s = (uint32_t)uint_or(to, "icmp-s", 0),
		};
		remember(c->n.classes, str(k, "name", ""),
			 svr_img_add(&c->b, SVR_SEC_SERVICE_CLASSES, &ic));
	}
}

static uint32_t limit_or_none(const json_t *o, const char *key, double scale)
{
	json_t *v = json_object_get(o, key);
	return json_is_number(v) ? (uint32_t)(json_number_value(v) * scale + 0.5) : UINT32_MAX;
}

static void compile_policies(struct compiler *c)
{
	static const char *const res[] = {"none", "failover", "revertible-failover", "duplicate"};
	size_t i;
	json_t *p;
	json_array_foreach (arr(c->auth, "service-policies"), i, p) {
		json_t *sla = json_object_get(p, "sla");
		json_t *rl = json_object_get(p, "rate-limit");
		struct svr_img_policy ip = {
		    .name = svr_img_str_add(&c->b, str(p, "name", "")),
		    .class = lookup(c->n.classes, str(p, "class", NULL)),
		    .vectors = {.first = svr_img_next(&c->b, SVR_SEC_POLICY_VECTORS)},
		    .max_loss_milli_pct = limit_or_none(sla, "max-loss-pct", 1000.0),
		    .max_latency_ms = limit_or_none(sla, "max-latency-ms", 1.0),
		    .max_jitter_ms = limit_or_none(sla, "max-jitter-ms", 1.0),
		    .best_effort = bool_or(p, "best-effort", true),
		    .max_sessions = (uint32_t)uint_or(p, "max-sessions", 0),
		    .session_rate_bps = uint_or(rl, "session-rate-bps", 0),
		    .aggregate_rate_bps = uint_or(rl, "aggregate-rate-bps", 0),
		    .burst_bytes = uint_or(rl, "burst-bytes", 0),
		    .revert_hold_s = (uint32_t)uint_or(p, "revert-hold-down-s",
						       SVR_MODEL_REVERT_HOLD_DOWN_S_DEFAULT),
		    .min_dwell_s =
			(uint32_t)uint_or(p, "min-dwell-s", SVR_MODEL_MIN_DWELL_S_DEFAULT),
		};
		const char *r = str(p, "resiliency", "none");
		for (uint8_t k = 0; k < 4; k++)
			if (strcmp(r, res[k]) == 0)
				ip.resiliency = k;
		size_t k;
		json_t *v;
		json_array_foreach (arr(p, "vectors"), k, v) {
			json_t *cost = json_object_get(v, "cost");
			struct svr_img_vector iv = {
			    .vector = svr_img_str_add(&c->b, str(v, "vector", "")),
			    .cost = json_is_integer(cost) ? (uint32_t)json_integer_value(cost)
							  : SVR_IMG_COST_NEVER,
			};
			svr_img_add(&c->b, SVR_SEC_POLICY_VECTORS, &iv);
			ip.vectors.count++;
		}
		remember(c->n.policies, str(p, "name", ""),
			 svr_img_add(&c->b, SVR_SEC_SERVICE_POLICIES, &ip));
	}
}

static uint8_t protocol_number(const json_t *v)
{
	static const struct {
		const char *name;
		uint8_t num;
	} names[] = {{"tcp", 6}, {"udp", 17}, {"icmp", 1}, {"icmpv6", 58}, {"any", 0}};
	if (json_is_integer(v))
		return (uint8_t)json_integer_value(v);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (json_is_string(v) && strcmp(json_string_value(v), names[i].name) == 0)
			return names[i].num;
	return 0;
}

static void compile_transports(struct compiler *c, const json_t *svc, struct svr_img_range *range)
{
	range->first = svr_img_next(&c->b, SVR_SEC_TRANSPORTS);
	size_t i;
	json_t *t;
	json_array_foreach (arr(svc, "transport"), i, t) {
		uint8_t proto = protocol_number(json_object_get(t, "protocol"));
		json_t *ports = arr(t, "ports");
		if (!ports || json_array_size(ports) == 0) {
			struct svr_img_transport it = {.protocol = proto, .port_hi = 65535};
			svr_img_add(&c->b, SVR_SEC_TRANSPORTS, &it);
			range->count++;
			continue;
		}
		size_t k;
		json_t *p;
		json_array_foreach (ports, k, p) {
			unsigned lo, hi;
			if (svr_port_range_parse(json_string_value(p), &lo, &hi) < 0)
				continue; /* validated before */
			struct svr_img_transport it = {.protocol = proto,
						       .port_lo = (uint16_t)lo,
						       .port_hi = (uint16_t)hi,
						       .has_ports = 1};
			svr_img_add(&c->b, SVR_SEC_TRANSPORTS, &it);
			range->count++;
		}
	}
}

static void compile_access(struct compiler *c, const json_t *svc, struct svr_img_range *range)
{
	range->first = svr_img_next(&c->b, SVR_SEC_ACCESS_RULES);
	size_t i;
	json_t *a;
	json_array_foreach (arr(svc, "access"), i, a) {
		json_t *src = json_object_get(a, "source");
		struct svr_img_access ia = {
		    .tenant = lookup(c->n.tenants, str(src, "tenant", NULL)),
		    .prefix = SVR_IMG_NONE,
		    .permission = strcmp(str(a, "permission", "deny"), "allow") == 0
				      ? SVR_PERMIT_ALLOW
				      : SVR_PERMIT_DENY,
		    .valid_from_unix_s = INT64_MIN,
		    .valid_until_unix_s = INT64_MAX,
		};
		struct svr_prefix p;
		const char *ps = str(src, "prefix", NULL);
		if (ps && svr_prefix_parse(ps, &p, true) == 0)
			ia.prefix = svr_img_prefix_add(&c->b, &p);
		const char *from = str(a, "valid-from", NULL), *until = str(a, "valid-until", NULL);
		if (from)
			svr_rfc3339_parse(from, &ia.valid_from_unix_s);
		if (until)
			svr_rfc3339_parse(until, &ia.valid_until_unix_s);
		svr_img_add(&c->b, SVR_SEC_ACCESS_RULES, &ia);
		range->count++;
	}
}

static void compile_services(struct compiler *c)
{
	size_t i;
	json_t *s;
	json_array_foreach (arr(c->auth, "services"), i, s) {
		struct svr_img_service is = {
		    .name = svr_img_str_add(&c->b, str(s, "name", "")),
		    .policy = lookup(c->n.policies, str(s, "policy", NULL)),
		    .security = lookup(c->n.security, str(s, "security", NULL)),
		};
		is.prefixes = prefixes(c, arr(s, "addresses"), true);
		compile_transports(c, s, &is.transports);
		compile_access(c, s, &is.access);
		remember(c->n.services, str(s, "name", ""),
			 svr_img_add(&c->b, SVR_SEC_SERVICES, &is));
	}
}

static int compile_interfaces(struct compiler *c)
{
	size_t i;
	json_t *f;
	json_array_foreach (arr(c->router, "interfaces"), i, f) {
		struct svr_img_iface ii = {
		    .name = svr_img_str_add(&c->b, str(f, "name", "")),
		    .device = svr_img_str_add(&c->b, str(f, "device", "")),
		    .vlan = (uint16_t)uint_or(f, "vlan", 0),
		    .mtu = (uint16_t)uint_or(f, "mtu", 1500),
		    .tenant = lookup(c->n.tenants, str(f, "tenant", NULL)),
		    .capacity_bps = uint_or(f, "capacity-bps", 0),
		};
		const char *mac = str(f, "mac", NULL);
		if (mac && svr_mac_parse(mac, ii.mac) == 0)
			ii.flags |= SVR_IMG_IFACE_HAS_MAC;
		if (bool_or(f, "source-nat", false))
			ii.flags |= SVR_IMG_IFACE_SOURCE_NAT;
		if (parse_ip(str(f, "gateway", NULL), &ii.gateway) == 0)
			ii.flags |= SVR_IMG_IFACE_HAS_GW;
		ii.addresses = prefixes(c, arr(f, "addresses"), false);
		ii.hoods.first = svr_img_next(&c->b, SVR_SEC_IFACE_HOODS);
		size_t k;
		json_t *h;
		json_array_foreach (arr(f, "neighborhoods"), k, h) {
			struct svr_img_hood ih = {
			    .name = svr_img_str_add(&c->b, str(h, "name", "")),
			    .vector = svr_img_str_add(&c->b, str(h, "vector", ""))};
			svr_img_add(&c->b, SVR_SEC_IFACE_HOODS, &ih);
			ii.hoods.count++;
		}
		remember(c->n.ifaces, str(f, "name", ""),
			 svr_img_add(&c->b, SVR_SEC_INTERFACES, &ii));
	}
	return 0;
}

/* Our interface whose subnet holds gw, for routes and neighbours without "interface". */
static uint32_t iface_for(struct compiler *c, const struct svr_ip *gw)
{
	size_t i;
	json_t *f;
	json_array_foreach (arr(c->router, "interfaces"), i, f) {
		size_t k;
		json_t *a;
		json_array_foreach (arr(f, "addresses"), k, a) {
			struct svr_prefix p;
			if (svr_prefix_parse(json_string_value(a), &p, false) == 0 &&
			    svr_prefix_contains(&p, gw))
				return (uint32_t)i;
		}
	}
	return SVR_IMG_NONE;
}

static int compile_routes(struct compiler *c)
{
	size_t i;
	json_t *r;
	json_array_foreach (arr(c->router, "static-routes"), i, r) {
		struct svr_prefix p;
		struct svr_ip gw;
		if (svr_prefix_parse(str(r, "prefix", ""), &p, false) < 0 ||
		    svr_ip_parse(str(r, "gateway", ""), &gw) < 0)
			return fail(c, "static-routes[%zu]: unparsable (was the model validated?)",
				    i);
		svr_prefix_mask(&p);
		struct svr_img_route ir = {0};
		img_prefix(&ir.prefix, &p.ip, p.len);
		img_prefix(&ir.gateway, &gw, gw.family == SVR_AF_INET ? 32 : 128);
		const char *ifn = str(r, "interface", NULL);
		ir.iface = ifn ? lookup(c->n.ifaces, ifn) : iface_for(c, &gw);
		if (ir.iface == SVR_IMG_NONE)
			return fail(c, "static-routes[%zu]: no interface for the gateway", i);
		svr_img_add(&c->b, SVR_SEC_ROUTES, &ir);
	}
	json_array_foreach (arr(c->router, "static-neighbors"), i, r) {
		struct svr_img_neigh in = {.iface = lookup(c->n.ifaces, str(r, "interface", ""))};
		if (parse_ip(str(r, "address", NULL), &in.address) < 0 ||
		    svr_mac_parse(str(r, "mac", ""), in.mac) < 0 || in.iface == SVR_IMG_NONE)
			return fail(c, "static-neighbors[%zu]: unparsable", i);
		svr_img_add(&c->b, SVR_SEC_NEIGHBORS, &in);
	}
	return 0;
}

/* The interface's first address of the family, as a host prefix (of a "dhcp" interface, its lease
 * when svr-control compiled one in: listed first). */
static int first_address(const json_t *iface, uint8_t family, struct svr_img_prefix *out)
{
	size_t i;
	json_t *a;
	json_array_foreach (arr(iface, "addresses"), i, a) {
		struct svr_prefix p;
		if (svr_prefix_parse(json_string_value(a), &p, false) == 0 &&
		    p.ip.family == family) {
			img_prefix(out, &p.ip, family == SVR_AF_INET ? 32 : 128);
			return 0;
		}
	}
	return -1;
}

static const json_t *find_hood(const json_t *iface, const char *name)
{
	size_t i;
	json_t *h;
	json_array_foreach (arr(iface, "neighborhoods"), i, h)
		if (strcmp(str(h, "name", ""), name) == 0)
			return h;
	return NULL;
}

/* Whether ip (an image address) is on one of the interface's subnets. */
static bool on_subnet(const json_t *iface, const struct svr_img_prefix *ip)
{
	struct svr_ip a;
	a.family = ip->family;
	memcpy(a.addr, ip->addr, 16);
	size_t i;
	json_t *s;
	json_array_foreach (arr(iface, "addresses"), i, s) {
		struct svr_prefix p;
		if (svr_prefix_parse(json_string_value(s), &p, false) == 0 && p.len > 0 &&
		    svr_prefix_contains(&p, &a))
			return true;
	}
	return false;
}

/* Whether an interface in a neighborhood (its entry hood) cannot be reached first by its peers:
 * behind a NAT ("outbound-only"), or its IPv4 address leased ("dhcp"). */
static bool outbound_only(const json_t *hood)
{
	return strcmp(str(hood, "peer-connectivity", "bidirectional"), "outbound-only") == 0;
}

static bool hidden(const json_t *iface, const json_t *hood)
{
	return bool_or(iface, "dhcp", false) || outbound_only(hood);
}

/*
 * The waypoints of the path between our interface ours (entry hood) and the peer's theirs (entry
 * th), and its flags; -1 when it has none. A peer that cannot be reached first gives an IPv4 path
 * whose remote is learned (0.0.0.0 here); both ends hidden: nobody could start BFD, no path.
 * Otherwise the two interfaces' first addresses of one family, IPv4 preferred. Our own "dhcp"
 * interface before its lease has the IPv4 waypoint 0.0.0.0: its paths (and the service routes
 * over them) compile, and the dataplane leaves them out until a generation has the lease.
 */
static int path_waypoints(const json_t *ours, const json_t *hood, const json_t *theirs,
			  const json_t *th, struct svr_img_peer_path *pp)
{
	const struct svr_ip any = {.family = SVR_AF_INET};
	bool ours4 = first_address(ours, SVR_AF_INET, &pp->local) == 0;
	if (!ours4 && bool_or(ours, "dhcp", false)) {
		img_prefix(&pp->local, &any, 32);
		ours4 = true;
	}
	if (hidden(theirs, th)) {
		if (ours4 && !hidden(ours, hood)) {
			img_prefix(&pp->remote, &any, 32);
			pp->flags = SVR_IMG_PATH_REMOTE_LEARNED;
			if (outbound_only(th))
				pp->flags |= SVR_IMG_PATH_NO_INITIATE;
			return 0;
		}
	} else if (ours4 && first_address(theirs, SVR_AF_INET, &pp->remote) == 0) {
		return 0;
	}
	/* no IPv6 through a NAT: IPv6 addresses are never learned */
	if (outbound_only(hood) || outbound_only(th))
		return -1;
	if (first_address(ours, SVR_AF_INET6, &pp->local) == 0 &&
	    first_address(theirs, SVR_AF_INET6, &pp->remote) == 0)
		return 0;
	return -1;
}

/* The path's first hop: the remote on our subnet, else our gateway of its family, else none.
 * A learned remote has none: wherever it turns out to be, the FIB decides. */
static void path_nexthop(const json_t *ours, struct svr_img_peer_path *pp)
{
	if (pp->flags & SVR_IMG_PATH_REMOTE_LEARNED)
		return;
	struct svr_img_prefix gw;
	if (on_subnet(ours, &pp->remote))
		pp->nexthop = pp->remote;
	else if (parse_ip(str(ours, "gateway", NULL), &gw) == 0 && gw.family == pp->remote.family)
		pp->nexthop = gw;
}

/* A path's BFD and link-test timers from our neighborhood entry's "bfd" (defaults when absent). */
static void path_timers(const json_t *hood, struct svr_img_peer_path *pp)
{
	const json_t *bfd = json_object_get(hood, "bfd");
	uint64_t n[SVR_MODEL_BFD_NUMBERS];
	for (int k = 0; k < SVR_MODEL_BFD_NUMBERS; k++)
		n[k] =
		    uint_or(bfd, svr_model_bfd_keys[k].key, (uint64_t)svr_model_bfd_keys[k].dflt);
	pp->bfd_tx_ms = (uint32_t)n[SVR_MODEL_BFD_DESIRED_TX_MS];
	pp->bfd_rx_ms = (uint32_t)n[SVR_MODEL_BFD_REQUIRED_MIN_RX_MS];
	pp->bfd_mult = (uint8_t)n[SVR_MODEL_BFD_MULTIPLIER];
	pp->bfd_enabled = bool_or(bfd, "enabled", true);
	pp->hold_down_s = (uint16_t)n[SVR_MODEL_BFD_HOLD_DOWN_S];
	pp->max_hold_down_s = (uint16_t)n[SVR_MODEL_BFD_MAX_HOLD_DOWN_S];
	pp->link_test_interval_s = (uint16_t)n[SVR_MODEL_BFD_LINK_TEST_INTERVAL_S];
	pp->link_test_length = (uint16_t)n[SVR_MODEL_BFD_LINK_TEST_LENGTH];
	pp->echo_interval_ms = (uint16_t)n[SVR_MODEL_BFD_ECHO_INTERVAL_MS];
}

/*
 * Peers: every other router with an interface in a neighborhood of ours (the index names them,
 * in model order). Each
 * such interface pair is a peer path, unless both ends are spokes. Waypoints
 * are the two interfaces' first addresses of one family (IPv4 preferred).
 */
static int derive_peers(struct compiler *c)
{
	uint32_t dflt_sec = lookup(c->n.security, str(c->auth, "inter-router-security", NULL));
	size_t *peers;
	long npeers = svr_model_index_peers(c->ix, c->self, false, &peers);
	if (npeers < 0)
		return fail(c, "out of memory deriving the peers of router %s", c->router_name);
	for (long r = 0; r < npeers; r++) {
		json_t *other = json_array_get(arr(c->auth, "routers"), peers[r]);
		struct svr_img_peer peer = {
		    .name = SVR_IMG_NONE,
		    .paths = {.first = svr_img_next(&c->b, SVR_SEC_PEER_PATHS)},
		};
		size_t i;
		json_t *ours;
		json_array_foreach (arr(c->router, "interfaces"), i, ours) {
			size_t k;
			json_t *hood;
			json_array_foreach (arr(ours, "neighborhoods"), k, hood) {
				const char *hn = str(hood, "name", "");
				size_t j;
				json_t *theirs;
				json_array_foreach (arr(other, "interfaces"), j, theirs) {
					const json_t *th = find_hood(theirs, hn);
					if (!th)
						continue;
					if (strcmp(str(hood, "topology", "mesh"), "spoke") == 0 &&
					    strcmp(str(th, "topology", "mesh"), "spoke") == 0)
						continue;
					struct svr_img_peer_path pp = {
					    .local_iface = (uint32_t)i,
					    .neighborhood = svr_img_str_add(&c->b, hn),
					    .vector = svr_img_str_add(
						&c->b, str(hood, "vector", str(th, "vector", ""))),
					    .security = dflt_sec,
					    .remote_capacity_bps =
						uint_or(theirs, "capacity-bps", 0),
					};
					path_timers(hood, &pp);
					unsigned lo, hi; /* the peer's receive ports */
					if (svr_port_range_parse(str(th, "port-range", NULL), &lo,
								 &hi) == 0) {
						pp.remote_port_lo = (uint16_t)lo;
						pp.remote_port_hi = (uint16_t)hi;
					}
					uint32_t sec =
					    lookup(c->n.security,
						   str(hood, "inter-router-security", NULL));
					if (sec != SVR_IMG_NONE)
						pp.security = sec;
					if (path_waypoints(ours, hood, theirs, th, &pp) < 0)
						continue; /* no usable path */
					path_nexthop(ours, &pp);
					svr_img_add(&c->b, SVR_SEC_PEER_PATHS, &pp);
					peer.paths.count++;
				}
			}
		}
		if (peer.paths.count == 0)
			continue;
		peer.name = svr_img_str_add(&c->b, str(other, "name", ""));
		remember(c->n.peers, str(other, "name", ""),
			 svr_img_add(&c->b, SVR_SEC_PEERS, &peer));
	}
	free(peers);
	return 0;
}

static int compile_service_routes(struct compiler *c)
{
	size_t i;
	json_t *sr;
	json_array_foreach (arr(c->router, "service-routes"), i, sr) {
		struct svr_img_service_route is = {
		    .service = lookup(c->n.services, str(sr, "service", NULL)),
		    .peer = SVR_IMG_NONE,
		    .iface = SVR_IMG_NONE,
		};
		json_t *nh = json_object_get(sr, "next-hop");
		if (json_object_get(sr, "peer")) {
			is.kind = SVR_SROUTE_PEER;
			is.peer = lookup(c->n.peers, str(sr, "peer", NULL));
		} else if (json_is_string(nh)) { /* "routing" (validated) */
			is.kind = SVR_SROUTE_ROUTING;
		} else if (nh) {
			is.kind = SVR_SROUTE_NEXT_HOP;
			is.iface = lookup(c->n.ifaces, str(nh, "interface", NULL));
			parse_ip(str(nh, "gateway", NULL), &is.address);
		} else {
			is.kind = SVR_SROUTE_NAT_TARGET;
			parse_ip(str(sr, "nat-target", NULL), &is.address);
		}
		if (is.service == SVR_IMG_NONE ||
		    (is.kind == SVR_SROUTE_PEER && is.peer == SVR_IMG_NONE) ||
		    (is.kind == SVR_SROUTE_NEXT_HOP && is.iface == SVR_IMG_NONE) ||
		    ((is.kind == SVR_SROUTE_NEXT_HOP || is.kind == SVR_SROUTE_NAT_TARGET) &&
		     is.address.family == 0))
			return fail(c, "service-routes[%zu]: does not resolve on router %s", i,
				    c->router_name);
		svr_img_add(&c->b, SVR_SEC_SERVICE_ROUTES, &is);
	}
	return 0;
}

/* A host-access rule's "port": a number, "N" or "A-B" (validated). */
static void host_port(const json_t *port, struct svr_img_host_access *h)
{
	unsigned lo = 0, hi = 0;
	if (json_is_integer(port))
		lo = hi = (unsigned)json_integer_value(port);
	else if (svr_port_range_parse(json_string_value(port), &lo, &hi) < 0)
		return;
	h->has_ports = 1;
	h->port_lo = (uint16_t)lo;
	h->port_hi = (uint16_t)hi;
}

static int host_rule(struct compiler *c, const json_t *o, size_t i)
{
	int proto = svr_model_host_access_protocol(json_object_get(o, "protocol"));
	if (proto < 0)
		return fail(c, "host-access[%zu]: unknown protocol (was the model validated?)", i);
	struct svr_img_host_access h = {.protocol = (uint8_t)proto, .port_hi = 65535};
	const json_t *port = json_object_get(o, "port");
	if (port)
		host_port(port, &h);
	const json_t *from = arr(o, "from");
	if (from)
		h.from = prefixes(c, from, true);
	else
		h.flags |= SVR_IMG_HA_FROM_CONNECTED;
	size_t k;
	json_t *f;
	json_array_foreach (arr(o, "interfaces"), k, f) {
		uint32_t idx = lookup(c->n.ifaces, json_string_value(f));
		if (idx >= 64)
			return fail(c, "host-access[%zu].interfaces[%zu]: no such interface", i, k);
		h.ifaces |= UINT64_C(1) << idx;
	}
	if (!h.ifaces)
		h.flags |= SVR_IMG_HA_ALL_IFACES;
	svr_img_add(&c->b, SVR_SEC_HOST_ACCESS, &h);
	return 0;
}

/* The router's exception policy: its "host-access", or the model's default when absent. */
static int compile_host_access(struct compiler *c)
{
	json_t *dflt = NULL;
	const json_t *list = json_object_get(c->router, "host-access");
	if (!list)
		list = dflt = json_loads(SVR_MODEL_HOST_ACCESS_DEFAULT, 0, NULL);
	if (!json_is_array(list))
		return fail(c, "host-access: not an array (or out of memory)");
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < json_array_size(list); i++)
		rc = host_rule(c, json_array_get(list, i), i);
	json_decref(dflt);
	return rc;
}

/* authority.telemetry.ipfix: every router sends to the same collectors; each is its own
 * observation domain, numbered from its name so that no two routers need configuring apart. */
static void compile_telemetry(struct compiler *c, struct svr_img_ipfix *out)
{
	const json_t *ipfix = json_object_get(json_object_get(c->auth, "telemetry"), "ipfix");
	*out = (struct svr_img_ipfix){
	    .enterprise =
		(uint32_t)uint_or(ipfix, "enterprise-number", SVR_MODEL_IPFIX_ENTERPRISE_DEFAULT),
	    .interim_s = (uint32_t)uint_or(ipfix, "interim-s", SVR_MODEL_IPFIX_INTERIM_S_DEFAULT),
	    .template_refresh_s =
		(uint32_t)uint_or(ipfix, "template-refresh-s", SVR_MODEL_IPFIX_TEMPLATE_S_DEFAULT),
	    .domain = svr_crc32c(0, c->router_name, strlen(c->router_name))};
	const json_t *list = arr(ipfix, "collectors");
	for (size_t i = 0; i < json_array_size(list); i++) {
		const json_t *col = json_array_get(list, i);
		struct svr_img_collector e = {
		    .port = (uint16_t)uint_or(col, "port", SVR_MODEL_IPFIX_PORT_DEFAULT),
		    .transport = strcmp(str(col, "transport", "udp"), "tcp") == 0
				     ? SVR_IMG_COLLECTOR_TCP
				     : SVR_IMG_COLLECTOR_UDP};
		if (parse_ip(str(col, "address", NULL), &e.address) == 0)
			svr_img_add(&c->b, SVR_SEC_COLLECTORS, &e);
	}
}

int svr_model_compile_indexed(const json_t *doc, const struct svr_model_index *ix, size_t self,
			      void **image, size_t *len, char *err, size_t errlen)
{
	struct compiler c = {.doc = doc, .ix = ix, .self = self, .err = err, .errlen = errlen};
	c.auth = json_object_get(doc, "authority");
	c.router = json_array_get(arr(c.auth, "routers"), self);
	const char *router = c.router_name = str(c.router, "name", "");

	json_t **maps[] = {&c.n.security, &c.n.tenants, &c.n.classes, &c.n.policies,
			   &c.n.services, &c.n.ifaces,  &c.n.peers};
	for (size_t k = 0; k < sizeof(maps) / sizeof(maps[0]); k++)
		*maps[k] = json_object();
	svr_img_builder_init(&c.b);

	compile_security(&c);
	compile_tenants(&c);
	compile_classes(&c);
	compile_policies(&c);
	compile_services(&c);
	int rc = compile_interfaces(&c);
	if (rc == 0)
		rc = compile_routes(&c);
	if (rc == 0)
		rc = derive_peers(&c);
	if (rc == 0)
		rc = compile_service_routes(&c);
	if (rc == 0)
		rc = compile_host_access(&c);
	if (rc == 0) {
		json_t *lim = json_object_get(c.router, "limits");
		struct svr_img_header h = {
		    .router_name = svr_img_str_add(&c.b, router),
		    .authority_name = svr_img_str_add(&c.b, str(c.auth, "name", "")),
		    .inter_router_security =
			lookup(c.n.security, str(c.auth, "inter-router-security", NULL)),
		    .compiled_unix_s = (int64_t)time(NULL),
		    .limits = {.session_capacity = uint_or(lim, "session-capacity", 0),
			       .new_sessions_per_source =
				   (uint32_t)uint_or(lim, "new-sessions-per-source-per-s", 0),
			       .half_open_tcp = (uint32_t)uint_or(lim, "half-open-tcp", 0),
			       .degraded_pct =
				   (uint32_t)uint_or(lim, "degraded-capacity-pct",
						     SVR_MODEL_DEGRADED_CAPACITY_PCT_DEFAULT)},
		};
		compile_telemetry(&c, &h.ipfix);
		if (svr_img_finish(&c.b, &h, SVR_SHM_SLOT_SIZE, image, len) < 0)
			rc = fail(&c, "the image does not fit in %u MiB (or out of memory)",
				  SVR_SHM_SLOT_SIZE >> 20);
	}
	svr_img_builder_free(&c.b);
	for (size_t k = 0; k < sizeof(maps) / sizeof(maps[0]); k++)
		json_decref(*maps[k]);
	return rc;
}

int svr_model_compile(const json_t *doc, const char *router, void **image, size_t *len, char *err,
		      size_t errlen)
{
	struct svr_model_index *ix = svr_model_index_new(doc);
	if (!ix)
		return svr_errf(err, errlen, "out of memory indexing the model");
	long self = svr_model_index_router(ix, router);
	int rc = self < 0
		     ? svr_errf(err, errlen, "the model has no router named \"%s\"", router)
		     : svr_model_compile_indexed(doc, ix, (size_t)self, image, len, err, errlen);
	svr_model_index_free(ix);
	return rc;
}

int svr_model_compile_all(const json_t *doc, struct svr_model_errors *e)
{
	const json_t *routers = json_object_get(json_object_get(doc, "authority"), "routers");
	struct svr_model_index *ix = svr_model_index_new(doc);
	if (!ix) {
		svr_model_errors_add(e, "authority.routers", "out of memory indexing the model");
		return -1;
	}
	int rc = 0;
	for (size_t i = 0; i < json_array_size(routers); i++) {
		void *img;
		size_t len;
		char err[256], path[64];
		if (svr_model_compile_indexed(doc, ix, i, &img, &len, err, sizeof(err)) == 0) {
			free(img);
			continue;
		}
		snprintf(path, sizeof(path), "authority.routers[%zu]", i);
		svr_model_errors_add(e, path, "%s", err);
		rc = -1;
	}
	svr_model_index_free(ix);
	return rc;
}
