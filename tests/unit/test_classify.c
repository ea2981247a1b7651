/* SPDX-License-Identifier: BSD-3-Clause */
/* First-packet classification: tenant, service precedence and access, from a compiled model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/image.h"
#include "common/timeutil.h"
#include "model/compile.h"
#include "model/validate.h"
#include "session/classify.h"

static const char *model =
    "{\"model-version\": 1, \"authority\": {\"name\": \"t\","
    " \"tenants\": [{\"name\": \"c2\"}, {\"name\": \"c2.east\"},"
    "  {\"name\": \"logistics\", \"members\": [{\"neighborhood\": \"lan-east\","
    "    \"prefixes\": [\"198.18.12.0/24\"]}]}],"
    " \"services\": ["
    "  {\"name\": \"portal\", \"addresses\": [\"198.19.20.10/32\"],"
    "   \"transport\": [{\"protocol\": \"tcp\", \"ports\": [\"443\", \"8000-8099\"]}],"
    "   \"access\": [{\"source\": {\"tenant\": \"c2\"}, \"permission\": \"allow\"},"
    "    {\"source\": {\"tenant\": \"logistics\"}, \"permission\": \"allow\","
    "     \"valid-from\": \"2026-12-01T06:00:00Z\", \"valid-until\": \"2026-12-01T18:00:00Z\"},"
    "    {\"source\": {\"prefix\": \"198.18.12.66/32\"}, \"permission\": \"deny\"}]},"
    "  {\"name\": \"web-any\", \"addresses\": [\"198.19.20.0/24\"],"
    "   \"access\": [{\"source\": {\"prefix\": \"198.18.0.0/15\"}, \"permission\": \"allow\"}]},"
    "  {\"name\": \"dns\", \"addresses\": [\"198.19.0.0/16\"],"
    "   \"transport\": [{\"protocol\": \"udp\", \"ports\": [\"53\"]}],"
    "   \"access\": [{\"source\": {\"tenant\": \"c2\"}, \"permission\": \"allow\"},"
    "    {\"source\": {\"tenant\": \"c2.east\"}, \"permission\": \"deny\"}]}],"
    " \"routers\": [{\"name\": \"r1\", \"interfaces\": ["
    "  {\"name\": \"lan\", \"device\": \"net_null0\", \"addresses\": [\"198.18.12.1/24\"],"
    "   \"tenant\": \"c2.east\", \"neighborhoods\": [{\"name\": \"lan-east\"}]},"
    "  {\"name\": \"wan\", \"device\": \"net_null1\", \"addresses\": [\"198.18.100.1/24\"]}]}]}}";

static void *img;
static struct svr_classifier *cls;
static const struct svr_img_tenant *ten;
static const struct svr_img_service *svc;

static int setup(void **state)
{
	(void)state;
	json_error_t je;
	json_t *doc = json_loads(model, 0, &je);
	if (!doc)
		return -1;
	struct svr_model_errors e;
	svr_model_errors_init(&e);
	int bad = svr_model_validate(doc, &e);
	for (unsigned i = 0; i < e.count; i++)
		fprintf(stderr, "%s: %s\n", e.list[i].path, e.list[i].message);
	svr_model_errors_free(&e);
	size_t len;
	char err[256];
	if (bad || svr_model_compile(doc, "r1", &img, &len, err, sizeof(err)) < 0)
		return -1;
	json_decref(doc);
	cls = svr_classifier_build(img, err, sizeof(err));
	ten = svr_img_table(img, SVR_SEC_TENANTS, NULL);
	svc = svr_img_table(img, SVR_SEC_SERVICES, NULL);
	return cls ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	svr_classifier_free(cls);
	free(img);
	return 0;
}

static struct svr_ip ip(const char *s)
{
	struct svr_ip a;
	assert_int_equal(svr_ip_parse(s, &a), 0);
	return a;
}

static const char *tenant_of(uint32_t iface, const char *src)
{
	struct svr_ip a = ip(src);
	uint32_t t = svr_classify_tenant(cls, iface, &a);
	return t == UINT32_MAX ? "-" : svr_img_str(img, ten[t].name);
}

static const char *service_of(uint8_t proto, const char *dst, uint16_t port)
{
	struct svr_ip a = ip(dst);
	uint32_t s = svr_classify_service(cls, proto, &a, port);
	return s == UINT32_MAX ? "-" : svr_img_str(img, svc[s].name);
}

static void tenants(void **state)
{
	(void)state;
	assert_string_equal(tenant_of(0, "198.18.12.5"), "logistics"); /* members prefix */
	assert_string_equal(tenant_of(0, "198.18.13.5"), "c2.east");   /* the interface's */
	assert_string_equal(tenant_of(1, "198.18.12.5"), "-");         /* wan: no tenant */
	assert_string_equal(tenant_of(7, "198.18.12.5"), "-");         /* no such interface */
}

static void service_precedence(void **state)
{
	(void)state;
	assert_string_equal(service_of(6, "198.19.20.10", 443), "portal");
	assert_string_equal(service_of(6, "198.19.20.10", 8050), "portal");
	/* Port not listed: the port-less /24 service. */
	assert_string_equal(service_of(6, "198.19.20.10", 22), "web-any");
	/* Port-qualified /16 beats port-less /24, whatever the prefix lengths. */
	assert_string_equal(service_of(17, "198.19.20.10", 53), "dns");
	assert_string_equal(service_of(17, "198.19.99.1", 53), "dns");
	assert_string_equal(service_of(17, "198.19.99.1", 54), "-");
	assert_string_equal(service_of(6, "198.19.21.1", 80), "-");
	assert_string_equal(service_of(1, "198.19.20.77", 0), "web-any");
}

static uint32_t tenant_idx(const char *name)
{
	uint32_t n;
	svr_img_table(img, SVR_SEC_TENANTS, &n);
	for (uint32_t i = 0; i < n; i++)
		if (strcmp(svr_img_str(img, ten[i].name), name) == 0)
			return i;
	return UINT32_MAX;
}

/* The rule that decided the last access() call: its place J among the service's rules, -1 none. */
static int last_rule;

static enum svr_access access(const char *service, const char *tenant, const char *src,
			      const char *when)
{
	uint32_t n, s = UINT32_MAX;
	svr_img_table(img, SVR_SEC_SERVICES, &n);
	for (uint32_t i = 0; i < n; i++)
		if (strcmp(svr_img_str(img, svc[i].name), service) == 0)
			s = i;
	int64_t t;
	assert_int_equal(svr_rfc3339_parse(when, &t), 0);
	struct svr_ip a = ip(src);
	uint32_t rule;
	enum svr_access v =
	    svr_classify_access(cls, s, tenant ? tenant_idx(tenant) : UINT32_MAX, &a, t, &rule);
	last_rule = rule == UINT32_MAX ? -1 : (int)(rule - svc[s].access.first);
	return v;
}

/* The lookups explained ("why"): which member prefix or interface gave the tenant, which
 * prefix and transport entry gave the service, and whether a port decided. */
static void explained(void **state)
{
	(void)state;
	struct svr_tenant_why tw;
	struct svr_ip a = ip("198.18.12.5");
	assert_int_equal(svr_classify_tenant_why(cls, 0, &a, &tw), tenant_idx("logistics"));
	assert_int_equal(tw.by, SVR_TENANT_BY_MEMBER);
	assert_string_equal(svr_img_str(img, tw.hood), "lan-east");
	assert_int_equal(tw.prefix_len, 24);
	a = ip("198.18.13.5");
	assert_int_equal(svr_classify_tenant_why(cls, 0, &a, &tw), tenant_idx("c2.east"));
	assert_int_equal(tw.by, SVR_TENANT_BY_INTERFACE);
	assert_int_equal(svr_classify_tenant_why(cls, 1, &a, &tw), UINT32_MAX);
	assert_int_equal(tw.by, SVR_TENANT_BY_NONE);

	struct svr_service_why sw;
	const struct svr_img_transport *tr = svr_img_table(img, SVR_SEC_TRANSPORTS, NULL);
	a = ip("198.19.20.10");
	uint32_t s = svr_classify_service_why(cls, 6, &a, 8050, &sw);
	assert_string_equal(svr_img_str(img, svc[s].name), "portal");
	assert_true(sw.by_port);
	assert_int_equal(sw.prefix_len, 32);
	assert_true(sw.transport != UINT32_MAX);
	assert_int_equal(tr[sw.transport].port_lo, 8000); /* the range "8000-8099" named it */
	assert_int_equal(tr[sw.transport].port_hi, 8099);
	/* the /24 without transport: no port decided, no transport entry */
	a = ip("198.19.20.77");
	s = svr_classify_service_why(cls, 1, &a, 0, &sw);
	assert_string_equal(svr_img_str(img, svc[s].name), "web-any");
	assert_false(sw.by_port);
	assert_int_equal(sw.prefix_len, 24);
	assert_int_equal(sw.transport, UINT32_MAX);
	/* nothing: none */
	a = ip("198.20.0.1");
	assert_int_equal(svr_classify_service_why(cls, 17, &a, 53, &sw), UINT32_MAX);
	assert_int_equal(sw.prefix_len, -1);
}

static void access_rules(void **state)
{
	(void)state;
	const char *in = "2026-12-01T12:00:00Z", *out = "2026-12-02T12:00:00Z";
	/* A rule for a parent tenant admits its children. */
	assert_int_equal(access("portal", "c2.east", "198.18.13.5", out), SVR_ACCESS_ALLOW);
	assert_int_equal(last_rule, 0); /* the rule that admitted it (telemetry, "why") */
	/* Time windows: the rule exists only inside. */
	assert_int_equal(access("portal", "logistics", "198.18.12.5", in), SVR_ACCESS_ALLOW);
	assert_int_equal(last_rule, 1);
	assert_int_equal(access("portal", "logistics", "198.18.12.5", out), SVR_ACCESS_NO_RULE);
	assert_int_equal(last_rule, -1);
	/* A prefix deny is more specific than a tenant allow. */
	assert_int_equal(access("portal", "logistics", "198.18.12.66", in), SVR_ACCESS_DENIED);
	assert_int_equal(last_rule, 2); /* the deny rule that refused it */
	/* No tenant: only prefix rules can admit; deny by default. */
	assert_int_equal(access("portal", NULL, "198.18.13.5", in), SVR_ACCESS_NO_RULE);
	assert_int_equal(access("web-any", NULL, "198.18.50.1", in), SVR_ACCESS_ALLOW);
	assert_int_equal(access("web-any", NULL, "198.20.0.1", in), SVR_ACCESS_NO_RULE);
	/* A deny for the child tenant beats an allow for its parent; the parent stays allowed. */
	assert_int_equal(access("dns", "c2.east", "198.18.13.5", in), SVR_ACCESS_DENIED);
	assert_int_equal(last_rule, 1);
	assert_int_equal(access("dns", "c2", "198.18.13.5", in), SVR_ACCESS_ALLOW);
	assert_int_equal(last_rule, 0);
	assert_int_equal(access("dns", "logistics", "198.18.12.5", in), SVR_ACCESS_NO_RULE);
}

/* An interface "lan" in neighborhood "lan", with its device; the builder's start of an image. */
static void lan_iface(struct svr_img_builder *b)
{
	svr_img_builder_init(b);
	struct svr_img_hood hood = {.name = svr_img_str_add(b, "lan"),
				    .vector = svr_img_str_add(b, "")};
	struct svr_img_iface f = {
	    .name = hood.name,
	    .device = svr_img_str_add(b, "net_null0"),
	    .mtu = 1500,
	    .tenant = SVR_IMG_NONE,
	    .hoods = {.first = svr_img_add(b, SVR_SEC_IFACE_HOODS, &hood), .count = 1}};
	svr_img_add(b, SVR_SEC_INTERFACES, &f);
}

static void *finish(struct svr_img_builder *b, size_t *len)
{
	struct svr_img_header h = {.inter_router_security = SVR_IMG_NONE, .generation = 1};
	void *out;
	assert_int_equal(svr_img_finish(b, &h, 64u << 20, &out, len), 0);
	svr_img_builder_free(b);
	return out;
}

/*
 * Two tenants listing the same members: the checker refuses such an image, and
 * the classifier, which sizes its tables by the ranges it adds rather than by
 * the section, builds it all the same without writing past a table.
 */
static void shared_member_range(void **state)
{
	(void)state;
	struct svr_img_builder b;
	lan_iface(&b);
	for (int i = 0; i < 3; i++) {
		char px[32];
		snprintf(px, sizeof(px), "198.18.%d.0/24", i);
		struct svr_prefix p;
		assert_int_equal(svr_prefix_parse(px, &p, false), 0);
		struct svr_img_member m = {.neighborhood = svr_img_str_add(&b, "lan"),
					   .prefix = svr_img_prefix_add(&b, &p)};
		svr_img_add(&b, SVR_SEC_TENANT_MEMBERS, &m);
	}
	for (int t = 0; t < 2; t++) {
		struct svr_img_tenant it = {.name = svr_img_str_add(&b, t ? "b" : "a"),
					    .parent = SVR_IMG_NONE,
					    .members = {.first = 0, .count = 3}};
		svr_img_add(&b, SVR_SEC_TENANTS, &it);
	}
	size_t len;
	void *own = finish(&b, &len);
	char err[256];
	assert_int_equal(svr_img_check(own, len, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "tenants[1].members: entries 0+3 overlap"));
	struct svr_classifier *c = svr_classifier_build(own, err, sizeof(err));
	assert_non_null(c);
	struct svr_ip a = ip("198.18.2.5");
	assert_int_equal(svr_classify_tenant(c, 0, &a), 0); /* the first tenant listed */
	svr_classifier_free(c);
	free(own);
}

/* A service of n_prefixes prefixes from first_prefix and the first n_transports transports. */
static void add_service(struct svr_img_builder *b, const char *name, uint32_t first_prefix,
			uint32_t n_prefixes, uint32_t n_transports)
{
	struct svr_img_service is = {.name = svr_img_str_add(b, name),
				     .policy = SVR_IMG_NONE,
				     .security = SVR_IMG_NONE,
				     .prefixes = {.first = first_prefix, .count = n_prefixes},
				     .transports = {.first = 0, .count = n_transports}};
	svr_img_add(b, SVR_SEC_SERVICES, &is);
}

/*
 * A service whose prefixes times transports passes 32 bits (65,536 of each):
 * a valid image, but the classifier refuses it with the reason instead of
 * counting the pairs in 32 bits and writing past the table it sized.
 */
static void service_pairs_capped(void **state)
{
	(void)state;
	struct svr_img_builder b;
	lan_iface(&b);
	const uint32_t n = 1u << 16;
	uint32_t first_prefix = svr_img_next(&b, SVR_SEC_PREFIXES);
	for (uint32_t i = 0; i < n; i++) {
		struct svr_img_prefix p = {
		    .family = 4, .len = 32, .addr = {198, 19, (uint8_t)(i >> 8), (uint8_t)i}};
		svr_img_add(&b, SVR_SEC_PREFIXES, &p);
		struct svr_img_transport t = {
		    .protocol = 6, .port_lo = (uint16_t)i, .port_hi = (uint16_t)i, .has_ports = 1};
		svr_img_add(&b, SVR_SEC_TRANSPORTS, &t);
	}
	add_service(&b, "big", first_prefix, n, n);
	size_t len;
	void *own = finish(&b, &len);
	char err[256];
	assert_int_equal(svr_img_check(own, len, err, sizeof(err)), 0);
	assert_null(svr_classifier_build(own, err, sizeof(err)));
	assert_non_null(strstr(err, "services: more than 4194304 (prefix, transport) pairs"));
	free(own);
}

/*
 * One prefix with 2^19 transports: every value shares one key, and appending
 * each at the end of a walked chain made the build quadratic (about 10^11
 * steps here: the main lcore stuck for minutes applying one image). With the
 * chain's tail kept it takes a fraction of a second. No clock is read here: the
 * quadratic build does not finish within the unit suite's per-test timeout.
 */
static void many_transports_one_prefix(void **state)
{
	(void)state;
	struct svr_img_builder b;
	lan_iface(&b);
	const uint32_t n = 1u << 19;
	for (uint32_t i = 0; i < n; i++) {
		struct svr_img_transport t = {.protocol = 6,
					      .port_lo = (uint16_t)(i & 0xffff),
					      .port_hi = (uint16_t)(i & 0xffff),
					      .has_ports = 1};
		svr_img_add(&b, SVR_SEC_TRANSPORTS, &t);
	}
	struct svr_img_prefix p = {.family = 4, .len = 32, .addr = {198, 19, 0, 1}};
	add_service(&b, "ports", svr_img_add(&b, SVR_SEC_PREFIXES, &p), 1, n);
	size_t len;
	void *own = finish(&b, &len);
	char err[256];
	assert_int_equal(svr_img_check(own, len, err, sizeof(err)), 0);
	struct svr_classifier *c = svr_classifier_build(own, err, sizeof(err));
	assert_non_null(c);
	struct svr_ip a = ip("198.19.0.1");
	assert_int_equal(svr_classify_service(c, 6, &a, 65535), 0);
	svr_classifier_free(c);
	free(own);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(tenants),
	    cmocka_unit_test(explained),
	    cmocka_unit_test(service_precedence),
	    cmocka_unit_test(access_rules),
	};
	const struct CMUnitTest own_images[] = {
	    cmocka_unit_test(shared_member_range),
	    cmocka_unit_test(service_pairs_capped),
	    cmocka_unit_test(many_transports_one_prefix),
	};
	return cmocka_run_group_tests(tests, setup, teardown) |
	       cmocka_run_group_tests(own_images, NULL, NULL);
}
