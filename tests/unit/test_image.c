/* SPDX-License-Identifier: BSD-3-Clause */
/* Policy images: build/check round trip, and every kind of corruption rejected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/crc32c.h"
#include "common/image.h"
#include "common/timeutil.h"

static void *build(size_t *len)
{
	struct svr_img_builder b;
	svr_img_builder_init(&b);
	struct svr_prefix p;
	svr_prefix_parse("198.18.1.1/24", &p, false);
	struct svr_img_iface f = {
	    .name = svr_img_str_add(&b, "lan"),
	    .device = svr_img_str_add(&b, "net_af_packet0,iface=x"),
	    .mtu = 1500,
	    .tenant = SVR_IMG_NONE,
	    .addresses = {.first = svr_img_prefix_add(&b, &p), .count = 1},
	};
	svr_img_add(&b, SVR_SEC_INTERFACES, &f);
	struct svr_img_tenant t = {.name = svr_img_str_add(&b, "c2"), .parent = SVR_IMG_NONE};
	svr_img_add(&b, SVR_SEC_TENANTS, &t);
	struct svr_img_access a = {.tenant = 0, .prefix = SVR_IMG_NONE, .permission = 1};
	svr_img_add(&b, SVR_SEC_ACCESS_RULES, &a);
	struct svr_img_transport tr = {
	    .protocol = 6, .port_lo = 443, .port_hi = 443, .has_ports = 1};
	svr_img_add(&b, SVR_SEC_TRANSPORTS, &tr);
	svr_prefix_parse("198.19.20.10/32", &p, false);
	struct svr_img_service s = {
	    .name = svr_img_str_add(&b, "portal"),
	    .policy = SVR_IMG_NONE,
	    .security = SVR_IMG_NONE,
	    .prefixes = {.first = svr_img_prefix_add(&b, &p), .count = 1},
	    .transports = {.first = 0, .count = 1},
	    .access = {.first = 0, .count = 1},
	};
	svr_img_add(&b, SVR_SEC_SERVICES, &s);
	struct svr_img_header h = {.router_name = svr_img_str_add(&b, "r1"),
				   .inter_router_security = SVR_IMG_NONE,
				   .generation = 7};
	void *img;
	assert_int_equal(svr_img_finish(&b, &h, 1 << 20, &img, len), 0);
	svr_img_builder_free(&b);
	return img;
}

static char err[256];

/* An image with an entry in every section, each owned range after the one before it. */
static void *build_all(size_t *len)
{
	struct svr_img_builder b;
	svr_img_builder_init(&b);
	struct svr_prefix p;
	svr_prefix_parse("198.18.1.1/24", &p, false);
	uint32_t lan = svr_img_prefix_add(&b, &p);
	struct svr_img_hood hood = {.name = svr_img_str_add(&b, "lan-east"),
				    .vector = svr_img_str_add(&b, "mpls")};
	svr_img_add(&b, SVR_SEC_IFACE_HOODS, &hood);
	struct svr_img_iface f = {
	    .name = svr_img_str_add(&b, "lan"),
	    .device = svr_img_str_add(&b, "net_null0"),
	    .mtu = 1500,
	    .flags = SVR_IMG_IFACE_SOURCE_NAT,
	    .tenant = 0,
	    .addresses = {.first = lan, .count = 1},
	    .hoods = {.first = 0, .count = 1},
	};
	svr_img_add(&b, SVR_SEC_INTERFACES, &f);
	struct svr_img_route r = {
	    .prefix = {.family = 4, .len = 0},
	    .gateway = {.family = 4, .len = 32, .addr = {198, 18, 1, 254}},
	    .iface = 0,
	};
	svr_img_add(&b, SVR_SEC_ROUTES, &r);
	struct svr_img_neigh n = {.address = r.gateway, .iface = 0, .mac = {2, 0, 0, 0, 0, 1}};
	svr_img_add(&b, SVR_SEC_NEIGHBORS, &n);
	for (uint32_t t = 0; t < 2; t++) { /* c2 and c2.east, a member each */
		svr_prefix_parse(t ? "198.18.1.128/25" : "198.18.1.0/24", &p, false);
		struct svr_img_member m = {.neighborhood = hood.name,
					   .prefix = svr_img_prefix_add(&b, &p)};
		struct svr_img_tenant it = {
		    .name = svr_img_str_add(&b, t ? "c2.east" : "c2"),
		    .parent = t ? 0 : SVR_IMG_NONE,
		    .members = {.first = svr_img_add(&b, SVR_SEC_TENANT_MEMBERS, &m), .count = 1}};
		svr_img_add(&b, SVR_SEC_TENANTS, &it);
	}
	struct svr_img_class k = {.name = svr_img_str_add(&b, "std"), .priority = 3, .dscp = 46};
	svr_img_add(&b, SVR_SEC_SERVICE_CLASSES, &k);
	struct svr_img_vector v = {.vector = hood.vector, .cost = 10};
	struct svr_img_policy pol = {
	    .name = svr_img_str_add(&b, "p"),
	    .class = 0,
	    .vectors = {.first = svr_img_add(&b, SVR_SEC_POLICY_VECTORS, &v), .count = 1},
	    .best_effort = 1,
	    .resiliency = SVR_RESILIENCY_FAILOVER};
	svr_img_add(&b, SVR_SEC_SERVICE_POLICIES, &pol);
	struct svr_img_security sec = {.name = svr_img_str_add(&b, "sec"),
				       .hmac_cipher = SVR_HMAC_SHA256_128,
				       .hmac_mode = SVR_HMAC_REGULAR,
				       .encryption_cipher = SVR_CIPHER_AES_CBC_128,
				       .encrypt_payload = 1};
	svr_img_add(&b, SVR_SEC_SECURITY_POLICIES, &sec);
	for (uint32_t s = 0; s < 2; s++) { /* web and dns, a transport and an access rule each */
		struct svr_img_transport tr = {.protocol = s ? 17 : 6,
					       .port_lo = s ? 53 : 443,
					       .port_hi = s ? 53 : 443,
					       .has_ports = 1};
		struct svr_img_access a = {.tenant = s, .prefix = SVR_IMG_NONE, .permission = 1};
		svr_prefix_parse(s ? "198.19.0.53/32" : "198.19.20.10/32", &p, false);
		struct svr_img_service is = {
		    .name = svr_img_str_add(&b, s ? "dns" : "web"),
		    .policy = 0,
		    .security = 0,
		    .prefixes = {.first = svr_img_prefix_add(&b, &p), .count = 1},
		    .transports = {.first = svr_img_add(&b, SVR_SEC_TRANSPORTS, &tr), .count = 1},
		    .access = {.first = svr_img_add(&b, SVR_SEC_ACCESS_RULES, &a), .count = 1},
		};
		svr_img_add(&b, SVR_SEC_SERVICES, &is);
	}
	struct svr_img_peer_path pp = {.local_iface = 0,
				       .neighborhood = hood.name,
				       .vector = hood.vector,
				       .security = 0,
				       .local = {.family = 4, .len = 32, .addr = {198, 18, 1, 1}},
				       .remote = {.family = 4, .len = 32, .addr = {198, 18, 1, 2}},
				       .remote_port_lo = 20001,
				       .remote_port_hi = 20999,
				       .bfd_tx_ms = 50,
				       .bfd_rx_ms = 50,
				       .bfd_mult = 3,
				       .bfd_enabled = 1,
				       .hold_down_s = 1,
				       .max_hold_down_s = 300,
				       .link_test_interval_s = 10,
				       .link_test_length = 10,
				       .echo_interval_ms = 100,
				       .remote_capacity_bps = 10000000};
	struct svr_img_peer peer = {
	    .name = svr_img_str_add(&b, "r2"),
	    .paths = {.first = svr_img_add(&b, SVR_SEC_PEER_PATHS, &pp), .count = 1}};
	svr_img_add(&b, SVR_SEC_PEERS, &peer);
	struct svr_img_service_route sr = {.service = 0, .kind = SVR_SROUTE_PEER, .peer = 0};
	svr_img_add(&b, SVR_SEC_SERVICE_ROUTES, &sr);
	/* host access: ssh from the connected subnets anywhere, dhcp from lan's prefix on lan */
	struct svr_img_host_access ha[2] = {
	    {.protocol = 6,
	     .has_ports = 1,
	     .flags = SVR_IMG_HA_FROM_CONNECTED | SVR_IMG_HA_ALL_IFACES,
	     .port_lo = 22,
	     .port_hi = 22},
	    {.protocol = 17,
	     .has_ports = 1,
	     .port_lo = 67,
	     .port_hi = 68,
	     .from = {.first = lan, .count = 1},
	     .ifaces = 1}};
	svr_img_add(&b, SVR_SEC_HOST_ACCESS, &ha[0]);
	svr_img_add(&b, SVR_SEC_HOST_ACCESS, &ha[1]);
	struct svr_img_header h = {.router_name = svr_img_str_add(&b, "r1"),
				   .authority_name = svr_img_str_add(&b, "t"),
				   .inter_router_security = 0,
				   .generation = 1,
				   .limits = {.degraded_pct = 60}};
	void *img;
	assert_int_equal(svr_img_finish(&b, &h, 1 << 20, &img, len), 0);
	svr_img_builder_free(&b);
	return img;
}

/* One field of one entry (or of the header, section SVR_SEC_COUNT) set to a value. */
struct corruption {
	enum svr_img_section sec;
	uint32_t index;
	size_t offset, width; /* of the field in the entry; width 1, 2 or 4 */
	uint32_t value;
	const char *reason; /* what the checker's sentence says */
};

#define FIELD(type, f) offsetof(type, f), sizeof(((type *)0)->f)

/* Each corruption, alone on a valid image with its checksum recomputed, is refused. */
static void refused_each(const struct corruption *cs, size_t n)
{
	size_t len;
	uint8_t *img = build_all(&len);
	assert_int_equal(svr_img_check(img, len, err, sizeof(err)), 0);
	const struct svr_img_header *h = svr_img_hdr(img);
	for (size_t i = 0; i < n; i++) {
		const struct corruption *c = &cs[i];
		uint8_t *at = img + c->offset;
		if (c->sec != SVR_SEC_COUNT)
			at += h->sections[c->sec].offset + c->index * svr_img_entry_size(c->sec);
		uint8_t saved[4];
		memcpy(saved, at, c->width);
		if (c->width == 1)
			*at = (uint8_t)c->value;
		else if (c->width == 2)
			memcpy(at, &(uint16_t){(uint16_t)c->value}, 2);
		else
			memcpy(at, &c->value, 4);
		svr_img_seal(img);
		if (svr_img_check(img, len, err, sizeof(err)) == 0)
			fail_msg("corruption %zu (\"%s\") accepted", i, c->reason);
		if (!strstr(err, c->reason))
			fail_msg("corruption %zu: \"%s\", expected \"%s\"", i, err, c->reason);
		memcpy(at, saved, c->width);
	}
	svr_img_seal(img);
	assert_int_equal(svr_img_check(img, len, err, sizeof(err)), 0);
	free(img);
}

/* Fail closed: a value the reader does not know is refused, never read as a default. */
static void unknown_enum_values_refused(void **state)
{
	(void)state;
	static const struct corruption cs[] = {
	    {SVR_SEC_SECURITY_POLICIES, 0, FIELD(struct svr_img_security, hmac_cipher), 3,
	     "security-policies[0].hmac-cipher: unknown value 3"},
	    {SVR_SEC_SECURITY_POLICIES, 0, FIELD(struct svr_img_security, hmac_mode), 2,
	     "security-policies[0].hmac-mode: unknown value 2"},
	    {SVR_SEC_SECURITY_POLICIES, 0, FIELD(struct svr_img_security, encryption_cipher), 3,
	     "security-policies[0].encryption-cipher: unknown value 3"},
	    {SVR_SEC_SECURITY_POLICIES, 0, FIELD(struct svr_img_security, encrypt_payload), 2,
	     "security-policies[0].encrypt-payload: unknown value 2"},
	    {SVR_SEC_ACCESS_RULES, 1, FIELD(struct svr_img_access, permission), 2,
	     "access-rules[1].permission: unknown value 2"},
	    {SVR_SEC_SERVICE_CLASSES, 0, FIELD(struct svr_img_class, priority), 4,
	     "service-classes[0].priority: unknown value 4"},
	    {SVR_SEC_SERVICE_CLASSES, 0, FIELD(struct svr_img_class, dscp), 64,
	     "service-classes[0].dscp: unknown value 64"},
	    {SVR_SEC_SERVICE_CLASSES, 0, FIELD(struct svr_img_class, degraded_action), 3,
	     "service-classes[0].degraded-action: unknown value 3"},
	    {SVR_SEC_SERVICE_POLICIES, 0, FIELD(struct svr_img_policy, best_effort), 2,
	     "service-policies[0].best-effort: unknown value 2"},
	    {SVR_SEC_SERVICE_POLICIES, 0, FIELD(struct svr_img_policy, resiliency), 4,
	     "service-policies[0].resiliency: unknown value 4"},
	    {SVR_SEC_TRANSPORTS, 1, FIELD(struct svr_img_transport, has_ports), 2,
	     "transports[1].has-ports: unknown value 2"},
	    {SVR_SEC_SERVICE_ROUTES, 0, FIELD(struct svr_img_service_route, kind), 4,
	     "service-routes[0].kind: unknown value 4"},
	    {SVR_SEC_INTERFACES, 0, FIELD(struct svr_img_iface, flags), 0x8,
	     "interfaces[0].flags: unknown flags 0x8"},
	    {SVR_SEC_INTERFACES, 0, FIELD(struct svr_img_iface, flags), SVR_IMG_IFACE_HAS_GW,
	     "interfaces[0].gateway: not an IPv4 or IPv6 prefix"},
	    {SVR_SEC_PREFIXES, 0, FIELD(struct svr_img_prefix, family), 5,
	     "prefixes[0].prefix: not an IPv4 or IPv6 prefix"},
	    {SVR_SEC_PEER_PATHS, 0, FIELD(struct svr_img_peer_path, remote_port_lo), 21000,
	     "peer-paths[0]: remote port range 21000-20999"},
	    {SVR_SEC_PEER_PATHS, 0, FIELD(struct svr_img_peer_path, bfd_enabled), 2,
	     "peer-paths[0].bfd-enabled: unknown value 2"},
	    {SVR_SEC_PEER_PATHS, 0, FIELD(struct svr_img_peer_path, nexthop.family), 5,
	     "peer-paths[0].nexthop: not an IPv4 or IPv6 prefix"},
	    {SVR_SEC_COUNT, 0, FIELD(struct svr_img_header, limits.degraded_pct), 101,
	     "header: degraded-pct 101 is above 100"},
	};
	refused_each(cs, sizeof(cs) / sizeof(cs[0]));
}

/* A host-access rule says one thing one way: no flag, port or interface left to guess. */
static void host_access_refused(void **state)
{
	(void)state;
	const enum svr_img_section S = SVR_SEC_HOST_ACCESS;
	static const struct corruption cs[] = {
	    {S, 0, FIELD(struct svr_img_host_access, flags), 0x7,
	     "host-access[0].flags: unknown flags 0x4"},
	    {S, 0, FIELD(struct svr_img_host_access, has_ports), 2,
	     "host-access[0].has-ports: unknown value 2"},
	    {S, 0, FIELD(struct svr_img_host_access, protocol), 89,
	     "host-access[0]: ports on protocol 89"},
	    {S, 1, FIELD(struct svr_img_host_access, port_lo), 69,
	     "host-access[1]: port range 69-68"},
	    {S, 0, FIELD(struct svr_img_host_access, flags), SVR_IMG_HA_ALL_IFACES,
	     "host-access[0].from: 0 prefixes with flags 0x2"},
	    {S, 1, FIELD(struct svr_img_host_access, flags), SVR_IMG_HA_FROM_CONNECTED,
	     "host-access[1].from: 1 prefixes with flags 0x1"},
	    {S, 1, FIELD(struct svr_img_host_access, from.first), 99,
	     "host-access[1].from: entries 99+1 beyond"},
	    {S, 1, offsetof(struct svr_img_host_access, ifaces), 4, 2,
	     "host-access[1].ifaces: 0x2 with 1 interfaces"},
	    {S, 1, offsetof(struct svr_img_host_access, ifaces), 4, 0,
	     "host-access[1].ifaces: 0x0 with 1 interfaces"},
	    {S, 0, offsetof(struct svr_img_host_access, ifaces), 4, 1,
	     "host-access[0].ifaces: 0x1 with 1 interfaces"},
	};
	refused_each(cs, sizeof(cs) / sizeof(cs[0]));
}

/*
 * A path's BFD and link-test numbers are held to the model's ranges: a zero interval would
 * make the consumer's timer spin, and the hold-down never exceeds its cap.
 */
static void path_timers_out_of_range_refused(void **state)
{
	(void)state;
	const enum svr_img_section S = SVR_SEC_PEER_PATHS;
	static const struct corruption cs[] = {
	    {S, 0, FIELD(struct svr_img_peer_path, bfd_tx_ms), 0,
	     "peer-paths[0].bfd-tx-ms: 0 is not within 10-600000"},
	    {S, 0, FIELD(struct svr_img_peer_path, bfd_tx_ms), 600001,
	     "peer-paths[0].bfd-tx-ms: 600001 is not within 10-600000"},
	    {S, 0, FIELD(struct svr_img_peer_path, bfd_rx_ms), 9,
	     "peer-paths[0].bfd-rx-ms: 9 is not within 10-600000"},
	    {S, 0, FIELD(struct svr_img_peer_path, bfd_mult), 2,
	     "peer-paths[0].bfd-mult: 2 is not within 3-20"},
	    {S, 0, FIELD(struct svr_img_peer_path, bfd_mult), 21,
	     "peer-paths[0].bfd-mult: 21 is not within 3-20"},
	    {S, 0, FIELD(struct svr_img_peer_path, hold_down_s), 301,
	     "peer-paths[0].hold-down-s: 301 is not within 0-300"},
	    {S, 0, FIELD(struct svr_img_peer_path, max_hold_down_s), 0,
	     "peer-paths[0].max-hold-down-s: 0 is not within 1-3600"},
	    {S, 0, FIELD(struct svr_img_peer_path, max_hold_down_s), 3601,
	     "peer-paths[0].max-hold-down-s: 3601 is not within 1-3600"},
	    {S, 0, FIELD(struct svr_img_peer_path, link_test_interval_s), 0,
	     "peer-paths[0].link-test-interval-s: 0 is not within 1-3600"},
	    {S, 0, FIELD(struct svr_img_peer_path, link_test_length), 101,
	     "peer-paths[0].link-test-length: 101 is not within 1-100"},
	    {S, 0, FIELD(struct svr_img_peer_path, echo_interval_ms), 9,
	     "peer-paths[0].echo-interval-ms: 9 is not within 10-10000"},
	};
	refused_each(cs, sizeof(cs) / sizeof(cs[0]));
}

/* The values with a meaning of their own are accepted: DSCP "keep", degraded-pct 0 and 100. */
static void special_values_accepted(void **state)
{
	(void)state;
	size_t len;
	uint8_t *img = build_all(&len);
	struct svr_img_header *h = (struct svr_img_header *)img;
	struct svr_img_class *k =
	    (struct svr_img_class *)(img + h->sections[SVR_SEC_SERVICE_CLASSES].offset);
	k->dscp = SVR_IMG_DSCP_KEEP;
	h->limits.degraded_pct = 0;
	svr_img_seal(img);
	assert_int_equal(svr_img_check(img, len, err, sizeof(err)), 0);
	h->limits.degraded_pct = 100;
	svr_img_seal(img);
	assert_int_equal(svr_img_check(img, len, err, sizeof(err)), 0);
	free(img);
}

/*
 * Ranges into a table one kind of entry owns may not overlap (the dataplane
 * sizes its tables by the section), sums are taken in 64 bits, sections do
 * not share bytes, and tenants' parents end.
 */
static void overlapping_and_overflowing_ranges_refused(void **state)
{
	(void)state;
	const size_t members = offsetof(struct svr_img_tenant, members);
	const size_t transports = offsetof(struct svr_img_service, transports);
	const size_t access = offsetof(struct svr_img_service, access);
	const size_t prefixes = offsetof(struct svr_img_service, prefixes);
	const size_t sections = offsetof(struct svr_img_header, sections);
	const size_t desc = sizeof(struct svr_img_section_desc);
	static const uint32_t u32 = sizeof(uint32_t);
	const struct corruption cs[] = {
	    /* the second tenant lists the first one's member (c2.east's range starts at 0) */
	    {SVR_SEC_TENANTS, 1, members, u32, 0, "tenants[1].members: entries 0+1 overlap"},
	    /* the first tenant's range grows over the second's */
	    {SVR_SEC_TENANTS, 0, members + u32, u32, 2, "tenants[1].members: entries 1+1 overlap"},
	    {SVR_SEC_SERVICES, 1, transports, u32, 0,
	     "services[1].transports: entries 0+1 overlap"},
	    {SVR_SEC_SERVICES, 1, access, u32, 0, "services[1].access: entries 0+1 overlap"},
	    /* first + count wraps in 32 bits */
	    {SVR_SEC_SERVICES, 0, prefixes, u32, UINT32_MAX,
	     "services[0].prefixes: entries 4294967295+1 beyond"},
	    {SVR_SEC_SERVICES, 0, transports + u32, u32, UINT32_MAX,
	     "services[0].transports: entries 0+4294967295 beyond"},
	    /* offset + count * size beyond 32 bits */
	    {SVR_SEC_COUNT, 0, sections + SVR_SEC_TENANTS * desc, u32, UINT32_MAX - 7,
	     "section tenants: offset 4294967288"},
	    {SVR_SEC_COUNT, 0, sections + SVR_SEC_TENANTS * desc + u32, u32, UINT32_MAX,
	     "section tenants: offset"},
	    /* a tenant that is its own grandparent */
	    {SVR_SEC_TENANTS, 0, FIELD(struct svr_img_tenant, parent), 1,
	     "tenants[0].parent: a cycle"},
	};
	refused_each(cs, sizeof(cs) / sizeof(cs[0]));
}

/* Two sections over the same bytes: refused even when each reads as valid entries. */
static void overlapping_sections_refused(void **state)
{
	(void)state;
	size_t len;
	uint8_t *img = build_all(&len);
	struct svr_img_header *h = (struct svr_img_header *)img;
	/* members {neighborhood, prefix 1 or 2} read as neighborhoods {name, vector} too */
	h->sections[SVR_SEC_IFACE_HOODS].offset = h->sections[SVR_SEC_TENANT_MEMBERS].offset;
	svr_img_seal(img);
	assert_int_equal(svr_img_check(img, len, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "sections tenant-members and interface-neighborhoods overlap"));
	free(img);
}

static void round_trip(void **state)
{
	(void)state;
	size_t len;
	void *img = build(&len);
	assert_int_equal(svr_img_check(img, len, err, sizeof(err)), 0);
	const struct svr_img_header *h = svr_img_hdr(img);
	assert_int_equal(h->generation, 7);
	assert_string_equal(svr_img_str(img, h->router_name), "r1");
	uint32_t n;
	const struct svr_img_iface *f = svr_img_table(img, SVR_SEC_INTERFACES, &n);
	assert_int_equal(n, 1);
	assert_string_equal(svr_img_str(img, f->name), "lan");
	assert_string_equal(svr_img_str(img, f->device), "net_af_packet0,iface=x");
	const struct svr_img_prefix *pf = svr_img_table(img, SVR_SEC_PREFIXES, &n);
	assert_int_equal(n, 2);
	struct svr_prefix p;
	svr_img_prefix_to(&pf[f->addresses.first], &p);
	char buf[64];
	assert_string_equal(svr_prefix_fmt(&p, buf, sizeof(buf)), "198.18.1.1/24");
	const struct svr_img_service *s = svr_img_table(img, SVR_SEC_SERVICES, &n);
	assert_int_equal(n, 1);
	assert_string_equal(svr_img_str(img, s->name), "portal");
	const struct svr_img_transport *t = svr_img_table(img, SVR_SEC_TRANSPORTS, NULL);
	assert_int_equal(t[s->transports.first].port_lo, 443);
	free(img);
}

/* Any single flipped byte anywhere is caught (checksum or header checks). */
static void every_flipped_byte_is_rejected(void **state)
{
	(void)state;
	size_t len;
	uint8_t *img = build(&len);
	for (size_t i = 0; i < len; i++) {
		img[i] ^= 0x5a;
		if (svr_img_check(img, len, err, sizeof(err)) == 0)
			fail_msg("flipped byte %zu accepted", i);
		img[i] ^= 0x5a;
	}
	assert_int_equal(svr_img_check(img, len, err, sizeof(err)), 0);
	free(img);
}

static void truncation_and_length(void **state)
{
	(void)state;
	size_t len;
	uint8_t *img = build(&len);
	for (size_t cut = 0; cut < len; cut += 8)
		assert_int_equal(svr_img_check(img, cut, err, sizeof(err)), -1);
	assert_int_equal(svr_img_check(img, 10, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "shorter than its header"));
	assert_int_equal(svr_img_check(img, len - 8, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "length field"));
	free(img);
}

static void wrong_version_and_magic(void **state)
{
	(void)state;
	size_t len;
	uint8_t *img = build(&len);
	struct svr_img_header *h = (struct svr_img_header *)img;
	h->version = SVR_IMAGE_VERSION + 1;
	svr_img_seal(img);
	assert_int_equal(svr_img_check(img, len, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "format version"));
	h->version = SVR_IMAGE_VERSION;
	h->magic = 0x12345678;
	svr_img_seal(img);
	assert_int_equal(svr_img_check(img, len, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bad magic"));
	free(img);
}

/* A consistent checksum does not make bad contents acceptable: bounds and indices are checked. */
static void bad_indices_and_bounds_with_valid_checksum(void **state)
{
	(void)state;
	size_t len;
	uint8_t *img = build(&len);
	struct svr_img_header *h = (struct svr_img_header *)img;

	struct svr_img_service *s =
	    (struct svr_img_service *)(img + h->sections[SVR_SEC_SERVICES].offset);
	s->access.count = 5;
	svr_img_seal(img);
	assert_int_equal(svr_img_check(img, len, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "services[0].access"));
	s->access.count = 1;

	struct svr_img_iface *f =
	    (struct svr_img_iface *)(img + h->sections[SVR_SEC_INTERFACES].offset);
	f->name = 1u << 30;
	svr_img_seal(img);
	assert_int_equal(svr_img_check(img, len, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "interfaces[0].name"));
	f->name = 0;

	h->sections[SVR_SEC_TENANTS].count = 1u << 28;
	svr_img_seal(img);
	assert_int_equal(svr_img_check(img, len, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "section tenants"));
	h->sections[SVR_SEC_TENANTS].count = 1;

	h->sections[SVR_SEC_PREFIXES].entry_size = 16;
	svr_img_seal(img);
	assert_int_equal(svr_img_check(img, len, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "entry size"));
	h->sections[SVR_SEC_PREFIXES].entry_size = sizeof(struct svr_img_prefix);

	svr_img_seal(img);
	assert_int_equal(svr_img_check(img, len, err, sizeof(err)), 0);
	free(img);
}

static void crc32c_known_value(void **state)
{
	(void)state;
	/* The standard check value of CRC-32C. */
	assert_int_equal(svr_crc32c(0, "123456789", 9), 0xe3069283);
	/* Incremental equals one-shot, across the 8-byte fast path. */
	const char *s = "the quick brown fox jumps over the lazy dog";
	uint32_t one = svr_crc32c(0, s, strlen(s));
	assert_int_equal(svr_crc32c(svr_crc32c(0, s, 13), s + 13, strlen(s) - 13), one);
}

static void rfc3339(void **state)
{
	(void)state;
	int64_t t;
	assert_int_equal(svr_rfc3339_parse("2026-12-01T06:00:00Z", &t), 0);
	assert_int_equal(t, 1796104800);
	assert_int_equal(svr_rfc3339_parse("2026-12-01T08:00:00.25+02:00", &t), 0);
	assert_int_equal(t, 1796104800);
	assert_int_equal(svr_rfc3339_parse("2026-12-01 06:00:00Z", &t), 0);
	assert_int_equal(svr_rfc3339_parse("2026-13-01T06:00:00Z", &t), -1);
	assert_int_equal(svr_rfc3339_parse("2026-12-01T06:00:00", &t), -1);
	assert_int_equal(svr_rfc3339_parse("2026-12-01T06:00:00Zjunk", &t), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(round_trip),
	    cmocka_unit_test(every_flipped_byte_is_rejected),
	    cmocka_unit_test(truncation_and_length),
	    cmocka_unit_test(wrong_version_and_magic),
	    cmocka_unit_test(bad_indices_and_bounds_with_valid_checksum),
	    cmocka_unit_test(unknown_enum_values_refused),
	    cmocka_unit_test(path_timers_out_of_range_refused),
	    cmocka_unit_test(host_access_refused),
	    cmocka_unit_test(special_values_accepted),
	    cmocka_unit_test(overlapping_and_overflowing_ranges_refused),
	    cmocka_unit_test(overlapping_sections_refused),
	    cmocka_unit_test(crc32c_known_value),
	    cmocka_unit_test(rfc3339),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
