/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Writes the policy images tests/fuzz/fuzz_image starts from (valid images
 * under run-fuzz's 2048-byte inputs) into DIR as image_*. Not a fuzz target;
 * run it again when the image format changes:
 *
 *   clang -std=c11 -D_GNU_SOURCE -Iinclude -Isrc tests/fuzz/image-seeds.c \
 *     src/common/image.c src/common/crc32c.c src/common/inet.c src/common/log.c \
 *     -o /tmp/image-seeds && /tmp/image-seeds tests/fuzz/seeds/fuzz_image
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/image.h"

static uint32_t prefix(struct svr_img_builder *b, const char *text)
{
	struct svr_prefix p;
	if (svr_prefix_parse(text, &p, true) < 0) {
		fprintf(stderr, "bad prefix %s\n", text);
		exit(1);
	}
	return svr_img_prefix_add(b, &p);
}

/* Interfaces "lan" (neighborhoods lan-east and lan-west, tenant 0) and "wan". */
static void interfaces(struct svr_img_builder *b)
{
	const char *hoods[] = {"lan-east", "lan-west", "internet"};
	for (int i = 0; i < 3; i++) {
		struct svr_img_hood h = {.name = svr_img_str_add(b, hoods[i]),
					 .vector = svr_img_str_add(b, i == 2 ? "broadband" : "")};
		svr_img_add(b, SVR_SEC_IFACE_HOODS, &h);
	}
	struct svr_img_iface lan = {.name = svr_img_str_add(b, "lan"),
				    .device = svr_img_str_add(b, "net_null0"),
				    .mtu = 1500,
				    .tenant = 0,
				    .addresses = {.first = prefix(b, "198.18.1.1/24"), .count = 1},
				    .hoods = {.first = 0, .count = 2}};
	prefix(b, "2001:db8:1::1/64");
	lan.addresses.count++;
	svr_img_add(b, SVR_SEC_INTERFACES, &lan);
	struct svr_img_iface wan = {
	    .name = svr_img_str_add(b, "wan"),
	    .device = svr_img_str_add(b, "net_null1"),
	    .vlan = 100,
	    .mtu = 1500,
	    .flags = SVR_IMG_IFACE_SOURCE_NAT | SVR_IMG_IFACE_HAS_GW,
	    .tenant = SVR_IMG_NONE,
	    .addresses = {.first = prefix(b, "198.18.100.1/24"), .count = 1},
	    .gateway = {.family = 4, .len = 32, .addr = {198, 18, 100, 254}},
	    .hoods = {.first = 2, .count = 1}};
	svr_img_add(b, SVR_SEC_INTERFACES, &wan);
}

/* c2, c2.east, logistics: members in both LAN neighborhoods. */
static void tenants(struct svr_img_builder *b)
{
	static const struct {
		const char *name, *hood, *members[2];
		uint32_t parent;
	} ts[] = {
	    {"c2", "lan-east", {"198.18.1.0/25", NULL}, SVR_IMG_NONE},
	    {"c2.east", "lan-east", {"198.18.1.64/26", "2001:db8:1::/64"}, 0},
	    {"logistics", "lan-west", {"198.18.1.128/25", NULL}, SVR_IMG_NONE},
	};
	for (uint32_t t = 0; t < 3; t++) {
		struct svr_img_tenant it = {
		    .name = svr_img_str_add(b, ts[t].name),
		    .parent = ts[t].parent,
		    .max_sessions = t == 2 ? 100 : 0,
		    .members = {.first = svr_img_next(b, SVR_SEC_TENANT_MEMBERS)}};
		for (int m = 0; m < 2 && ts[t].members[m]; m++) {
			struct svr_img_member im = {.neighborhood = svr_img_str_add(b, ts[t].hood),
						    .prefix = prefix(b, ts[t].members[m])};
			svr_img_add(b, SVR_SEC_TENANT_MEMBERS, &im);
			it.members.count++;
		}
		svr_img_add(b, SVR_SEC_TENANTS, &it);
	}
}

/* Two classes (DSCP mark, "keep"), a policy with two vectors, a signing and encrypting policy. */
static void policies(struct svr_img_builder *b)
{
	struct svr_img_class k = {.name = svr_img_str_add(b, "critical"),
				  .priority = 0,
				  .dscp = 46,
				  .degraded_action = SVR_DEGRADED_RATE_LIMIT,
				  .degraded_rate_bps = 1000000,
				  .udp_s = 30};
	svr_img_add(b, SVR_SEC_SERVICE_CLASSES, &k);
	struct svr_img_class bulk = {.name = svr_img_str_add(b, "bulk"),
				     .priority = 3,
				     .dscp = SVR_IMG_DSCP_KEEP,
				     .degraded_action = SVR_DEGRADED_BLOCK};
	svr_img_add(b, SVR_SEC_SERVICE_CLASSES, &bulk);
	struct svr_img_policy p = {.name = svr_img_str_add(b, "prefer-mpls"),
				   .class = 0,
				   .vectors = {.first = 0, .count = 2},
				   .max_loss_milli_pct = UINT32_MAX,
				   .max_latency_ms = 150,
				   .max_jitter_ms = UINT32_MAX,
				   .resiliency = SVR_RESILIENCY_FAILOVER,
				   .revert_hold_s = 30,
				   .min_dwell_s = 10};
	struct svr_img_vector v[] = {{svr_img_str_add(b, "mpls"), 10},
				     {svr_img_str_add(b, "broadband"), SVR_IMG_COST_NEVER}};
	svr_img_add(b, SVR_SEC_POLICY_VECTORS, &v[0]);
	svr_img_add(b, SVR_SEC_POLICY_VECTORS, &v[1]);
	svr_img_add(b, SVR_SEC_SERVICE_POLICIES, &p);
	struct svr_img_security s = {.name = svr_img_str_add(b, "internal"),
				     .hmac_cipher = SVR_HMAC_SHA256_128,
				     .hmac_mode = SVR_HMAC_TIME_BASED,
				     .encryption_cipher = SVR_CIPHER_AES_CBC_128,
				     .encrypt_payload = 1};
	svr_img_add(b, SVR_SEC_SECURITY_POLICIES, &s);
}

/* portal (tcp 443, 8000-8099), dns (udp 53), web-any (no transport): access rules of each kind. */
static void services(struct svr_img_builder *b, bool with_policy)
{
	static const struct {
		const char *name, *prefix;
		struct svr_img_transport tr[2];
		unsigned n_tr;
	} ss[] = {
	    {"portal", "198.19.20.10/32", {{6, 0, 443, 443, 1}, {6, 0, 8000, 8099, 1}}, 2},
	    {"dns", "198.19.0.0/16", {{17, 0, 53, 53, 1}}, 1},
	    {"web-any", "2001:db8:20::/48", {{0}}, 0},
	};
	for (uint32_t s = 0; s < 3; s++) {
		struct svr_img_service is = {
		    .name = svr_img_str_add(b, ss[s].name),
		    .policy = with_policy && s == 0 ? 0 : SVR_IMG_NONE,
		    .security = with_policy ? 0 : SVR_IMG_NONE,
		    .prefixes = {.first = prefix(b, ss[s].prefix), .count = 1},
		    .transports = {.first = svr_img_next(b, SVR_SEC_TRANSPORTS),
				   .count = ss[s].n_tr},
		    .access = {.first = svr_img_next(b, SVR_SEC_ACCESS_RULES), .count = 2}};
		for (unsigned t = 0; t < ss[s].n_tr; t++)
			svr_img_add(b, SVR_SEC_TRANSPORTS, &ss[s].tr[t]);
		struct svr_img_access allow = {.tenant = s == 2 ? SVR_IMG_NONE : 0,
					       .prefix = s == 2 ? prefix(b, "2001:db8::/32")
								: SVR_IMG_NONE,
					       .permission = SVR_PERMIT_ALLOW,
					       .valid_from_unix_s = INT64_MIN,
					       .valid_until_unix_s = INT64_MAX};
		struct svr_img_access deny = {.tenant = s == 1 ? 1 : 2,
					      .prefix = s == 0 ? prefix(b, "198.18.1.66/32")
							       : SVR_IMG_NONE,
					      .permission = SVR_PERMIT_DENY,
					      .valid_from_unix_s = 0,
					      .valid_until_unix_s = 1796104800};
		svr_img_add(b, SVR_SEC_ACCESS_RULES, &allow);
		svr_img_add(b, SVR_SEC_ACCESS_RULES, &deny);
		svr_img_add(b, SVR_SEC_SERVICES, &is);
	}
}

/* A peer over the WAN, a route, a neighbour, and a route of each kind for the services. */
static void routing(struct svr_img_builder *b)
{
	struct svr_img_route r = {.prefix = {.family = 4},
				  .gateway = {.family = 4, .len = 32, .addr = {198, 18, 100, 254}},
				  .iface = 1};
	svr_img_add(b, SVR_SEC_ROUTES, &r);
	struct svr_img_neigh n = {.address = r.gateway, .iface = 1, .mac = {2, 0, 0, 0, 0, 9}};
	svr_img_add(b, SVR_SEC_NEIGHBORS, &n);
	struct svr_img_peer_path pp = {
	    .local_iface = 1,
	    .neighborhood = svr_img_str_add(b, "internet"),
	    .vector = svr_img_str_add(b, "broadband"),
	    .security = 0,
	    .local = {.family = 4, .len = 32, .addr = {198, 18, 100, 1}},
	    .remote = {.family = 4, .len = 32, .addr = {198, 18, 100, 2}},
	    .nexthop = {.family = 4, .len = 32, .addr = {198, 18, 100, 2}},
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
	    .name = svr_img_str_add(b, "r2"),
	    .paths = {.first = svr_img_add(b, SVR_SEC_PEER_PATHS, &pp), .count = 1}};
	svr_img_add(b, SVR_SEC_PEERS, &peer);
	struct svr_img_service_route sr[] = {
	    {.service = 0, .kind = SVR_SROUTE_PEER, .peer = 0},
	    {.service = 1,
	     .kind = SVR_SROUTE_NEXT_HOP,
	     .iface = 1,
	     .address = {.family = 4, .len = 32, .addr = {198, 18, 100, 53}}},
	    {.service = 2,
	     .kind = SVR_SROUTE_NAT_TARGET,
	     .address = {.family = 6, .len = 128, .addr = {0x20, 0x01, 0x0d, 0xb8, [15] = 1}}},
	};
	for (int i = 0; i < 3; i++)
		svr_img_add(b, SVR_SEC_SERVICE_ROUTES, &sr[i]);
}

/* The exception policy: ssh from the connected subnets, dhcp from anywhere on the WAN. */
static void host_access(struct svr_img_builder *b)
{
	struct svr_img_host_access ssh = {.protocol = 6,
					  .has_ports = 1,
					  .flags =
					      SVR_IMG_HA_FROM_CONNECTED | SVR_IMG_HA_ALL_IFACES,
					  .port_lo = 22,
					  .port_hi = 22};
	struct svr_img_host_access dhcp = {.protocol = 17,
					   .has_ports = 1,
					   .port_lo = 67,
					   .port_hi = 68,
					   .from = {.first = prefix(b, "0.0.0.0/0"), .count = 1},
					   .ifaces = 0x2};
	svr_img_add(b, SVR_SEC_HOST_ACCESS, &ssh);
	svr_img_add(b, SVR_SEC_HOST_ACCESS, &dhcp);
}

static void write_image(const char *dir, const char *name, struct svr_img_builder *b)
{
	struct svr_img_header h = {
	    .router_name = svr_img_str_add(b, "r1"),
	    .authority_name = svr_img_str_add(b, "lab"),
	    .inter_router_security = SVR_IMG_NONE,
	    .generation = 1,
	    .limits = {.new_sessions_per_source = 50, .half_open_tcp = 1000, .degraded_pct = 60}};
	void *img;
	size_t len;
	char path[4096], err[256];
	if (svr_img_finish(b, &h, 2048, &img, &len) < 0 || svr_img_check(img, len, err, 256) < 0) {
		fprintf(stderr, "%s: not built or not valid (%s)\n", name, err);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(img, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
	printf("%s: %zu bytes\n", path, len);
	free(img);
	svr_img_builder_free(b);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	struct svr_img_builder b;
	svr_img_builder_init(&b); /* nothing but the header and the empty string */
	write_image(argv[1], "image_empty", &b);

	svr_img_builder_init(&b); /* classification only: tenants and services */
	interfaces(&b);
	tenants(&b);
	services(&b, false);
	write_image(argv[1], "image_classify", &b);

	svr_img_builder_init(&b); /* every section */
	interfaces(&b);
	tenants(&b);
	policies(&b);
	services(&b, true);
	routing(&b);
	host_access(&b);
	write_image(argv[1], "image_all", &b);
	return 0;
}
