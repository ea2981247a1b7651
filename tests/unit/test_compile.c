/* SPDX-License-Identifier: BSD-3-Clause */
/* Compiling the example models: the image checks, and each router's derived view is right. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/image.h"
#include "model/compile.h"
#include "model/validate.h"

static json_t *load(const char *rel)
{
	char path[512];
	const char *root = getenv("SVR_SOURCE_ROOT");
	snprintf(path, sizeof(path), "%s/%s", root ? root : ".", rel);
	json_error_t e;
	json_t *doc = json_load_file(path, 0, &e);
	if (!doc)
		fail_msg("%s: %s", path, e.text);
	struct svr_model_errors errs;
	svr_model_errors_init(&errs);
	if (svr_model_validate(doc, &errs) < 0)
		fail_msg("%s: %s: %s", rel, errs.list[0].path, errs.list[0].message);
	svr_model_errors_free(&errs);
	return doc;
}

static void *compile(const json_t *doc, const char *router, size_t *len)
{
	void *img;
	char err[256];
	if (svr_model_compile(doc, router, &img, len, err, sizeof(err)) < 0)
		fail_msg("compile %s: %s", router, err);
	if (svr_img_check(img, *len, err, sizeof(err)) < 0)
		fail_msg("image of %s: %s", router, err);
	return img;
}

static const char *prefix_str(const void *img, const struct svr_img_prefix *p, char *buf,
			      size_t len)
{
	(void)img;
	struct svr_prefix x;
	svr_img_prefix_to(p, &x);
	return svr_ip_fmt(&x.ip, buf, len);
}

/* r1 and r2 share two neighborhoods: each sees the other as a peer with two paths. */
static void two_site_peers_and_routes(void **state)
{
	(void)state;
	json_t *doc = load("config/model-two-site.json");
	for (int r = 1; r <= 2; r++) {
		char me[8], other[8];
		snprintf(me, sizeof(me), "r%d", r);
		snprintf(other, sizeof(other), "r%d", 3 - r);
		size_t len;
		void *img = compile(doc, me, &len);
		assert_string_equal(svr_img_str(img, svr_img_hdr(img)->router_name), me);

		uint32_t n_peers, n_paths, n_if;
		const struct svr_img_peer *peers = svr_img_table(img, SVR_SEC_PEERS, &n_peers);
		const struct svr_img_peer_path *paths =
		    svr_img_table(img, SVR_SEC_PEER_PATHS, &n_paths);
		const struct svr_img_iface *ifs = svr_img_table(img, SVR_SEC_INTERFACES, &n_if);
		assert_int_equal(n_peers, 1);
		assert_string_equal(svr_img_str(img, peers[0].name), other);
		assert_int_equal(peers[0].paths.count, 2);
		assert_int_equal(n_if, 3);
		/* Each interface carries its neighborhoods (tenant members are per neighborhood).
		 */
		const struct svr_img_hood *hoods = svr_img_table(img, SVR_SEC_IFACE_HOODS, NULL);
		for (uint32_t i = 0; i < n_if; i++) {
			const char *ifn = svr_img_str(img, ifs[i].name);
			if (strcmp(ifn, "wan1") == 0) {
				assert_int_equal(ifs[i].hoods.count, 1);
				assert_string_equal(
				    svr_img_str(img, hoods[ifs[i].hoods.first].name), "mpls-core");
				assert_string_equal(
				    svr_img_str(img, hoods[ifs[i].hoods.first].vector), "mpls");
			}
		}
		for (uint32_t i = 0; i < peers[0].paths.count; i++) {
			const struct svr_img_peer_path *pp = &paths[peers[0].paths.first + i];
			const char *ifname = svr_img_str(img, ifs[pp->local_iface].name);
			const char *vec = svr_img_str(img, pp->vector);
			char a[64], b[64];
			prefix_str(img, &pp->local, a, sizeof(a));
			prefix_str(img, &pp->remote, b, sizeof(b));
			if (strcmp(ifname, "wan1") == 0) {
				assert_string_equal(vec, "mpls");
				assert_string_equal(svr_img_str(img, pp->neighborhood),
						    "mpls-core");
				assert_string_equal(a, r == 1 ? "198.18.101.1" : "198.18.101.2");
				assert_string_equal(b, r == 1 ? "198.18.101.2" : "198.18.101.1");
			} else {
				assert_string_equal(ifname, "wan2");
				assert_string_equal(vec, "internet");
				assert_string_equal(a, r == 1 ? "198.18.102.1" : "198.18.102.2");
			}
			/* The authority's inter-router security policy applies. */
			assert_int_equal(pp->security, svr_img_hdr(img)->inter_router_security);
			assert_int_not_equal(pp->security, SVR_IMG_NONE);
		}

		uint32_t n_sr;
		const struct svr_img_service_route *sr =
		    svr_img_table(img, SVR_SEC_SERVICE_ROUTES, &n_sr);
		const struct svr_img_service *svc = svr_img_table(img, SVR_SEC_SERVICES, NULL);
		assert_int_equal(n_sr, 1);
		assert_int_equal(sr[0].kind, SVR_SROUTE_PEER);
		assert_int_equal(sr[0].peer, 0);
		assert_string_equal(svr_img_str(img, svc[sr[0].service].name),
				    r == 1 ? "site2-lan" : "site1-lan");
		free(img);
	}
	json_decref(doc);
}

static void one_router_tables(void **state)
{
	(void)state;
	json_t *doc = load("config/model-one-router.json");
	size_t len;
	void *img = compile(doc, "r1", &len);
	uint32_t n_svc, n_ten, n_rt, n_peers;
	const struct svr_img_service *svc = svr_img_table(img, SVR_SEC_SERVICES, &n_svc);
	svr_img_table(img, SVR_SEC_TENANTS, &n_ten);
	svr_img_table(img, SVR_SEC_ROUTES, &n_rt);
	svr_img_table(img, SVR_SEC_PEERS, &n_peers);
	json_t *auth = json_object_get(doc, "authority");
	assert_int_equal(n_svc, json_array_size(json_object_get(auth, "services")));
	assert_int_equal(n_ten, json_array_size(json_object_get(auth, "tenants")));
	assert_true(n_rt >= 1);
	assert_int_equal(n_peers, 0);
	/* Every service's ranges stay within their tables (svr_img_check), and names survive. */
	for (uint32_t i = 0; i < n_svc; i++) {
		const json_t *s = json_array_get(json_object_get(auth, "services"), i);
		assert_string_equal(svr_img_str(img, svc[i].name),
				    json_string_value(json_object_get(s, "name")));
		assert_int_equal(svc[i].prefixes.count,
				 json_array_size(json_object_get(s, "addresses")));
	}
	free(img);
	char err[256];
	void *none;
	assert_int_equal(svr_model_compile(doc, "nosuch", &none, &len, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no router named \"nosuch\""));
	json_decref(doc);
}

/* The policy, class and limits entries of the image by name (the model has few). */
static const struct svr_img_policy *policy_named(const void *img, const char *name)
{
	uint32_t n;
	const struct svr_img_policy *p = svr_img_table(img, SVR_SEC_SERVICE_POLICIES, &n);
	for (uint32_t i = 0; i < n; i++)
		if (strcmp(svr_img_str(img, p[i].name), name) == 0)
			return &p[i];
	fail_msg("no policy %s in the image", name);
	return NULL;
}

static const struct svr_img_class *class_named(const void *img, const char *name)
{
	uint32_t n;
	const struct svr_img_class *k = svr_img_table(img, SVR_SEC_SERVICE_CLASSES, &n);
	for (uint32_t i = 0; i < n; i++)
		if (strcmp(svr_img_str(img, k[i].name), name) == 0)
			return &k[i];
	fail_msg("no class %s in the image", name);
	return NULL;
}

/*
 * Two WAN paths between r1 and r2: each path carries our neighborhood's BFD timers (50 ms x 3,
 * hold-down 1 s, the rest defaults) and the peer interface's capacity; the two policies their
 * brakes; the classes a DSCP mark or "keep"; the header the degraded threshold.
 */
static void two_path_timers_and_brakes(void **state)
{
	(void)state;
	json_t *doc = load("config/model-two-path.json");
	for (int r = 1; r <= 2; r++) {
		char me[8];
		snprintf(me, sizeof(me), "r%d", r);
		size_t len;
		void *img = compile(doc, me, &len);
		uint32_t n_peers;
		const struct svr_img_peer *peers = svr_img_table(img, SVR_SEC_PEERS, &n_peers);
		const struct svr_img_peer_path *paths =
		    svr_img_table(img, SVR_SEC_PEER_PATHS, NULL);
		const struct svr_img_iface *ifs = svr_img_table(img, SVR_SEC_INTERFACES, NULL);
		assert_int_equal(n_peers, 1);
		assert_int_equal(peers[0].paths.count, 2);
		for (uint32_t i = 0; i < 2; i++) {
			const struct svr_img_peer_path *pp = &paths[peers[0].paths.first + i];
			const char *ifn = svr_img_str(img, ifs[pp->local_iface].name);
			assert_string_equal(svr_img_str(img, pp->vector),
					    strcmp(ifn, "wan1") == 0 ? "mpls" : "lte");
			assert_int_equal(pp->bfd_tx_ms, 50);
			assert_int_equal(pp->bfd_rx_ms, 50);
			assert_int_equal(pp->bfd_mult, 3);
			assert_int_equal(pp->bfd_enabled, 1);
			assert_int_equal(pp->hold_down_s, 1);
			assert_int_equal(pp->max_hold_down_s, 300);
			assert_int_equal(pp->link_test_interval_s, 10);
			assert_int_equal(pp->link_test_length, 10);
			assert_int_equal(pp->echo_interval_ms, 100);
			assert_int_equal(pp->remote_capacity_bps, 10000000);
			/* the remote is beyond our subnet: the path leaves by our gateway */
			char nh[64];
			prefix_str(img, &pp->nexthop, nh, sizeof(nh));
			if (strcmp(ifn, "wan1") == 0)
				assert_string_equal(nh, r == 1 ? "198.19.1.254" : "198.19.2.254");
			else
				assert_string_equal(nh, r == 1 ? "198.19.3.254" : "198.19.4.254");
		}
		const struct svr_img_policy *mpls = policy_named(img, "prefer-mpls");
		const struct svr_img_policy *lte = policy_named(img, "prefer-lte");
		assert_int_equal(mpls->revert_hold_s, 3);
		assert_int_equal(mpls->min_dwell_s, 2);
		assert_int_equal(mpls->resiliency, SVR_RESILIENCY_REVERTIBLE);
		assert_int_equal(lte->revert_hold_s, 30); /* defaults */
		assert_int_equal(lte->min_dwell_s, 10);
		assert_int_equal(lte->resiliency, SVR_RESILIENCY_FAILOVER);
		assert_int_equal(class_named(img, "mission")->dscp, 46);
		assert_int_equal(class_named(img, "bulk")->dscp, SVR_IMG_DSCP_KEEP);
		assert_int_equal(svr_img_hdr(img)->limits.degraded_pct, 60);
		free(img);
	}
	json_decref(doc);
}

/* Every value the model sets explicitly reaches the image, "enabled": false included. */
static void explicit_values_compiled(void **state)
{
	(void)state;
	json_t *doc = load("config/model-two-site.json");
	json_t *r1 =
	    json_array_get(json_object_get(json_object_get(doc, "authority"), "routers"), 0);
	json_t *wan1 = json_array_get(json_object_get(r1, "interfaces"), 1);
	json_t *hood = json_array_get(json_object_get(wan1, "neighborhoods"), 0);
	json_object_set_new(hood, "bfd",
			    json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:b}",
				      "desired-tx-ms", 600000, "required-min-rx-ms", 10,
				      "multiplier", 20, "hold-down-s", 300, "max-hold-down-s", 3600,
				      "link-test-interval-s", 3600, "link-test-length", 100,
				      "echo-interval-ms", 10000, "enabled", 0));
	json_object_set_new(r1, "limits", json_pack("{s:i}", "degraded-capacity-pct", 1));
	json_t *r2 =
	    json_array_get(json_object_get(json_object_get(doc, "authority"), "routers"), 1);
	json_t *r2wan1 = json_array_get(json_object_get(r2, "interfaces"), 1);
	json_object_set_new(r2wan1, "capacity-bps", json_integer(9007199254740991LL));
	/* r2's wan2 moves off r1's wan2 subnet, which has no gateway: that path has no next hop */
	json_t *r2wan2 = json_array_get(json_object_get(r2, "interfaces"), 2);
	json_object_set_new(r2wan2, "addresses",
			    json_pack("[s, s]", "198.18.103.2/24", "2001:db8:102::2/64"));
	struct svr_model_errors errs;
	svr_model_errors_init(&errs);
	assert_int_equal(svr_model_validate(doc, &errs), 0);
	svr_model_errors_free(&errs);
	size_t len;
	void *img = compile(doc, "r1", &len);
	const struct svr_img_peer *peers = svr_img_table(img, SVR_SEC_PEERS, NULL);
	const struct svr_img_peer_path *paths = svr_img_table(img, SVR_SEC_PEER_PATHS, NULL);
	const struct svr_img_iface *ifs = svr_img_table(img, SVR_SEC_INTERFACES, NULL);
	for (uint32_t i = 0; i < peers[0].paths.count; i++) {
		const struct svr_img_peer_path *pp = &paths[peers[0].paths.first + i];
		bool set = strcmp(svr_img_str(img, ifs[pp->local_iface].name), "wan1") == 0;
		assert_int_equal(pp->bfd_tx_ms, set ? 600000 : 1000);
		assert_int_equal(pp->bfd_rx_ms, set ? 10 : 500);
		assert_int_equal(pp->bfd_mult, set ? 20 : 3);
		assert_int_equal(pp->bfd_enabled, set ? 0 : 1);
		assert_int_equal(pp->hold_down_s, set ? 300 : 5);
		assert_int_equal(pp->max_hold_down_s, set ? 3600 : 300);
		assert_int_equal(pp->link_test_interval_s, set ? 3600 : 10);
		assert_int_equal(pp->link_test_length, set ? 100 : 10);
		assert_int_equal(pp->echo_interval_ms, set ? 10000 : 100);
		/* r2's wan1 has a capacity, its wan2 none */
		assert_int_equal(pp->remote_capacity_bps, set ? 9007199254740991ULL : 0);
		/* wan1: the remote is on our subnet; wan2: neither it nor a gateway is */
		char nh[64];
		assert_int_equal(pp->nexthop.family, set ? 4 : 0);
		if (set)
			assert_string_equal(prefix_str(img, &pp->nexthop, nh, sizeof(nh)),
					    "198.18.101.2");
	}
	assert_int_equal(svr_img_hdr(img)->limits.degraded_pct, 1);
	/* The class writes "dscp": 0: marking 0 (not "keep"). */
	assert_int_equal(class_named(img, "standard")->dscp, 0);
	free(img);
	json_decref(doc);
}

/* Two routers in one neighborhood "core"; ra's interface entry there gets RA_HOOD appended,
 * rb's interface RB_IFACE (its addresses included). */
static json_t *nat_model(const char *ra_hood, const char *rb_iface)
{
	char text[2048];
	snprintf(
	    text, sizeof(text),
	    "{\"model-version\": 1, \"authority\": {\"name\": \"a\","
	    " \"routers\": ["
	    "  {\"name\": \"ra\", \"interfaces\": [{\"name\": \"wan\", \"device\": \"net_tap0\","
	    "   \"addresses\": [\"198.18.100.1/24\"], \"gateway\": \"198.18.100.254\","
	    "   \"neighborhoods\": [{\"name\": \"core\" %s}]}]},"
	    "  {\"name\": \"rb\", \"interfaces\": [{\"name\": \"wan\", \"device\": \"net_tap0\","
	    "   \"neighborhoods\": [{\"name\": \"core\"}] %s}]}]}}",
	    ra_hood, rb_iface);
	json_error_t e;
	json_t *doc = json_loads(text, 0, &e);
	if (!doc)
		fail_msg("%s: %s", text, e.text);
	return doc;
}

/* The one path of router's image (NULL when it has no peer). */
static const struct svr_img_peer_path *only_path(const void *img)
{
	uint32_t n_peers, n_paths;
	svr_img_table(img, SVR_SEC_PEERS, &n_peers);
	const struct svr_img_peer_path *pp = svr_img_table(img, SVR_SEC_PEER_PATHS, &n_paths);
	if (n_peers == 0)
		return NULL;
	assert_int_equal(n_peers, 1);
	assert_int_equal(n_paths, 1);
	return pp;
}

/* A peer behind a NAT or on DHCP: its path's remote is learned (0.0.0.0 until its BFD says),
 * no next hop; behind a NAT, never initiated; the hidden side's own view is as usual. */
static void learned_remote_flags(void **state)
{
	(void)state;
	char a[64];
	size_t len;
	/* ra behind a NAT */
	json_t *doc = nat_model(", \"peer-connectivity\": \"outbound-only\"",
				", \"addresses\": [\"198.18.100.2/24\"]");
	void *img = compile(doc, "rb", &len);
	const struct svr_img_peer_path *pp = only_path(img);
	assert_non_null(pp);
	assert_int_equal(pp->flags, SVR_IMG_PATH_REMOTE_LEARNED | SVR_IMG_PATH_NO_INITIATE);
	assert_string_equal(prefix_str(img, &pp->remote, a, sizeof(a)), "0.0.0.0");
	assert_string_equal(prefix_str(img, &pp->local, a, sizeof(a)), "198.18.100.2");
	assert_int_equal(pp->nexthop.family, 0);
	free(img);
	img = compile(doc, "ra", &len);
	pp = only_path(img);
	assert_non_null(pp);
	assert_int_equal(pp->flags, 0);
	assert_string_equal(prefix_str(img, &pp->remote, a, sizeof(a)), "198.18.100.2");
	free(img);
	json_decref(doc);

	/* rb on DHCP, no lease yet: ra learns it; rb's path waits for the lease (our waypoint
	 * 0.0.0.0, which the dataplane does not use), so that ra stays rb's peer in the model */
	doc = nat_model("", ", \"dhcp\": true");
	img = compile(doc, "ra", &len);
	pp = only_path(img);
	assert_non_null(pp);
	assert_int_equal(pp->flags, SVR_IMG_PATH_REMOTE_LEARNED);
	assert_string_equal(prefix_str(img, &pp->remote, a, sizeof(a)), "0.0.0.0");
	free(img);
	img = compile(doc, "rb", &len);
	pp = only_path(img);
	assert_non_null(pp);
	assert_string_equal(prefix_str(img, &pp->local, a, sizeof(a)), "0.0.0.0");
	assert_int_equal(pp->flags, 0);
	free(img);
	json_decref(doc);

	/* rb's own copy with its lease in "addresses" (svr-control's): its side as usual */
	doc = nat_model("", ", \"dhcp\": true, \"addresses\": [\"198.18.100.7/24\"]");
	img = compile(doc, "rb", &len);
	pp = only_path(img);
	assert_non_null(pp);
	assert_int_equal(pp->flags, 0);
	assert_string_equal(prefix_str(img, &pp->local, a, sizeof(a)), "198.18.100.7");
	assert_string_equal(prefix_str(img, &pp->remote, a, sizeof(a)), "198.18.100.1");
	free(img);
	json_decref(doc);

	/* both hidden (ra behind a NAT, rb on DHCP): nobody can start BFD, no path either side */
	doc = nat_model(", \"peer-connectivity\": \"outbound-only\"",
			", \"dhcp\": true, \"addresses\": [\"198.18.100.7/24\"]");
	img = compile(doc, "ra", &len);
	assert_null(only_path(img));
	free(img);
	img = compile(doc, "rb", &len);
	assert_null(only_path(img));
	free(img);
	json_decref(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(two_site_peers_and_routes),
	    cmocka_unit_test(one_router_tables),
	    cmocka_unit_test(two_path_timers_and_brakes),
	    cmocka_unit_test(explicit_values_compiled),
	    cmocka_unit_test(learned_remote_flags),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
