/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * svr_model_slice: for every router of every example model (config/model-*.json and each ```json
 * block of README.md and the docs/ pages that is a whole model) and of a generated model with many
 * routers, the slice validates and compiles to the same image as the whole model. The one field
 * that legitimately differs is the header's compile time (compiled_unix_s, and so the checksum over
 * it): both are zeroed before the images are compared byte for byte.
 */
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model/compile.h"
#include "model/slice.h"
#include "model/validate.h"
#include "svr/image.h"

static const char *root(void)
{
	const char *r = getenv("SVR_SOURCE_ROOT");
	return r ? r : ".";
}

static void assert_valid(const json_t *doc, const char *what)
{
	struct svr_model_errors e;
	svr_model_errors_init(&e);
	if (svr_model_validate(doc, &e) != 0)
		fail_msg("%s: %s: %s", what, e.count ? e.list[0].path : "",
			 e.count ? e.list[0].message : "");
	svr_model_errors_free(&e);
}

static void *compile(const json_t *doc, const char *router, size_t *len, const char *what)
{
	void *img = NULL;
	char err[256];
	if (svr_model_compile(doc, router, &img, len, err, sizeof(err)) < 0)
		fail_msg("%s: compile %s: %s", what, router, err);
	struct svr_img_header *h = img;
	h->compiled_unix_s = 0; /* the time it was compiled */
	h->checksum = 0;        /* covers that time */
	return img;
}

static json_t *routers_of(const json_t *doc)
{
	return json_object_get(json_object_get(doc, "authority"), "routers");
}

/* Every router's slice validates and compiles as the whole model does. Returns how many. */
static size_t check_model(const json_t *doc, const char *what)
{
	assert_valid(doc, what);
	size_t i;
	const json_t *r;
	json_array_foreach (routers_of(doc), i, r) {
		const char *name = json_string_value(json_object_get(r, "name"));
		char where[512];
		snprintf(where, sizeof(where), "%s, slice of %s", what, name);
		json_t *slice = svr_model_slice(doc, name);
		assert_non_null(slice);
		assert_valid(slice, where);
		size_t la, lb;
		void *a = compile(doc, name, &la, what), *b = compile(slice, name, &lb, where);
		if (la != lb || memcmp(a, b, la) != 0)
			fail_msg("%s: the image differs from the whole model's (%zu, %zu bytes)",
				 where, la, lb);
		free(a);
		free(b);
		json_decref(slice);
	}
	return json_array_size(routers_of(doc));
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *text = malloc((size_t)n + 1);
	if (text && fread(text, 1, (size_t)n, f) != (size_t)n) {
		free(text);
		text = NULL;
	}
	if (text)
		text[n] = '\0';
	fclose(f);
	return text;
}

/* Each ```json block of a Markdown file that is a whole model. */
static size_t check_markdown(const char *path, size_t *models)
{
	char *text = read_file(path);
	size_t routers = 0;
	for (char *p = text; p && (p = strstr(p, "```json\n"));) {
		p += 8;
		char *end = strstr(p, "\n```");
		if (!end)
			break;
		*end = '\0';
		/* Blocks that elide parts ("…") are not models; a whole one has "model-version" at
		 * its top. */
		json_error_t e;
		json_t *doc = json_loads(p, JSON_REJECT_DUPLICATES, &e);
		if (json_object_get(doc, "model-version")) {
			routers += check_model(doc, path);
			(*models)++;
		}
		json_decref(doc);
		p = end + 1;
	}
	free(text);
	return routers;
}

static void example_models(void **state)
{
	(void)state;
	size_t models = 0, routers = 0;
	char pattern[512];
	glob_t g;
	snprintf(pattern, sizeof(pattern), "%s/config/model-*.json", root());
	if (glob(pattern, 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++) {
			json_error_t e;
			json_t *doc = json_load_file(g.gl_pathv[i], JSON_REJECT_DUPLICATES, &e);
			if (!doc)
				fail_msg("%s: %s", g.gl_pathv[i], e.text);
			routers += check_model(doc, g.gl_pathv[i]);
			models++;
			json_decref(doc);
		}
		globfree(&g);
	}
	snprintf(pattern, sizeof(pattern), "%s/README.md", root());
	routers += check_markdown(pattern, &models);
	snprintf(pattern, sizeof(pattern), "%s/docs/*.md", root());
	if (glob(pattern, 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++)
			routers += check_markdown(g.gl_pathv[i], &models);
		globfree(&g);
	}
	print_message("%zu example models, %zu routers\n", models, routers);
	assert_true(models >= 3); /* two in config/, one in docs/model.md at least */
	assert_true(routers >= 5);
}

/* ---- a generated model: meshes, a hub with spokes, a router with no common family ---- */

static json_t *iface(const char *name, const char *addr, const char *hood, const char *topo)
{
	char dev[32];
	snprintf(dev, sizeof(dev), "net_tap_%s", name);
	json_t *i = json_pack("{ss ss s[s]}", "name", name, "device", dev, "addresses", addr);
	if (hood)
		json_object_set_new(i, "neighborhoods",
				    json_pack("[{ss ss}]", "name", hood, "topology", topo));
	return i;
}

/*
 * m0..m9: one mesh ("core", 198.18.100.0/24); m0 and m1 are also hubs of "lte"
 * (198.18.101.0/24), whose spokes s0..s39 peer with the hubs only; v6: in "core" with IPv6 only,
 * so it shares a neighborhood with the mesh but has no path to it. Every router has a LAN, and
 * service routes to a peer (spokes to m0, mesh routers to the next one).
 */
static json_t *generated(void)
{
	json_t *routers = json_array();
	char name[16], addr[48], lan[48];
	for (int m = 0; m < 10; m++) {
		snprintf(name, sizeof(name), "m%d", m);
		snprintf(addr, sizeof(addr), "198.18.100.%d/24", m + 1);
		snprintf(lan, sizeof(lan), "198.18.%d.1/24", m);
		json_t *ifs = json_pack("[o o]", iface("lan", lan, NULL, NULL),
					iface("core", addr, "core", "mesh"));
		if (m < 2) {
			snprintf(addr, sizeof(addr), "198.18.101.%d/24", m + 1);
			json_array_append_new(ifs, iface("lte", addr, "lte", "hub"));
		}
		char next[16];
		snprintf(next, sizeof(next), "m%d", (m + 1) % 10);
		json_array_append_new(routers, json_pack("{ss so s[{ss ss}]}", "name", name,
							 "interfaces", ifs, "service-routes",
							 "service", "svc", "peer", next));
	}
	for (int s = 0; s < 40; s++) {
		snprintf(name, sizeof(name), "s%d", s);
		snprintf(addr, sizeof(addr), "198.18.101.%d/24", s + 10);
		snprintf(lan, sizeof(lan), "198.18.%d.1/24", s + 20);
		json_array_append_new(routers,
				      json_pack("{ss s[o o] s[{ss ss}]}", "name", name,
						"interfaces", iface("lan", lan, NULL, NULL),
						iface("lte", addr, "lte", "spoke"),
						"service-routes", "service", "svc", "peer", "m0"));
	}
	json_array_append_new(routers,
			      json_pack("{ss s[o]}", "name", "v6", "interfaces",
					iface("core", "2001:db8:100::9/64", "core", "mesh")));
	return json_pack("{si s{ss s[{ss s[s]}] so}}", "model-version", 1, "authority", "name",
			 "generated", "services", "name", "svc", "addresses", "198.18.0.0/16",
			 "routers", routers);
}

static bool slice_has(const json_t *slice, const char *router)
{
	return svr_model_router(slice, router) != NULL;
}

static void generated_model(void **state)
{
	(void)state;
	json_t *doc = generated();
	assert_int_equal(check_model(doc, "generated"), 51);

	/* A spoke's slice: itself and the two hubs, no other spoke, no mesh router. */
	json_t *s = svr_model_slice(doc, "s7");
	assert_int_equal(json_array_size(routers_of(s)), 3);
	assert_true(slice_has(s, "s7") && slice_has(s, "m0") && slice_has(s, "m1"));
	/* The peers' service routes are left out (m0's names m1, which is kept, m1's names m2,
	 * which is not); the router's own stay. */
	assert_null(json_object_get(svr_model_router(s, "m1"), "service-routes"));
	assert_non_null(json_object_get(svr_model_router(s, "s7"), "service-routes"));
	json_decref(s);
	/* A hub: the mesh, every spoke, and v6 (it shares "core", though no path comes of it). */
	s = svr_model_slice(doc, "m0");
	assert_int_equal(json_array_size(routers_of(s)), 51);
	json_decref(s);
	/* A mesh router that is not a hub: the mesh and v6, no spoke. */
	s = svr_model_slice(doc, "m5");
	assert_int_equal(json_array_size(routers_of(s)), 11);
	assert_false(slice_has(s, "s0"));
	json_decref(s);
	assert_null(svr_model_slice(doc, "nope"));
	json_decref(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(example_models),
	    cmocka_unit_test(generated_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
