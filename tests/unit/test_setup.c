/* SPDX-License-Identifier: BSD-3-Clause */
/* tools/svrctl/setup_conf.c: what svrctl setup parses (PCI addresses, page sizes) and
 * /etc/svrouter/setup.json (read, validate, merge, write atomically). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "setup_conf.h"

static void pci_addresses_normalised(void **state)
{
	(void)state;
	char out[SETUP_PCI_LEN];
	static const struct {
		const char *in, *out;
	} ok[] = {
	    {"0000:03:00.0", "0000:03:00.0"}, {"03:00.0", "0000:03:00.0"},
	    {"0000:AF:1F.7", "0000:af:1f.7"}, {"00:03.0", "0000:00:03.0"},
	    {"Abcd:ff:00.1", "abcd:ff:00.1"}, {"ff:1f.7", "0000:ff:1f.7"},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(setup_pci_parse(ok[i].in, out), 0);
		assert_string_equal(out, ok[i].out);
	}
	/* Device above 0x1f, function above 7, short fields, separators, extra text, a path:
	 * each one refused, nothing guessed. */
	static const char *const bad[] = {
	    "",
	    "0000:03:20.0",
	    "0000:03:00.8",
	    "3:00.0",
	    "0000:3:00.0",
	    "03:00",
	    "0000-03:00.0",
	    "0000:03:00:0",
	    "0000:03:00.0 ",
	    "00000:03:00.0",
	    "0000:g3:00.0",
	    "../../x.0",
	    "0000:03:00.0/",
	    "000:03:00.0",
	    "03.00.0",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(setup_pci_parse(bad[i], out), -1);
}

static void page_sizes(void **state)
{
	(void)state;
	unsigned long kb;
	static const struct {
		const char *in;
		unsigned long kb;
	} ok[] = {{"2M", 2048},     {"2m", 2048},           {"2MB", 2048},
		  {"2048k", 2048},  {"2048kB", 2048},       {"1G", 1048576},
		  {"1gb", 1048576}, {"1048576kB", 1048576}, {"16G", 16u << 20}};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(setup_size_parse(ok[i].in, &kb), 0);
		assert_int_equal(kb, ok[i].kb);
	}
	static const char *const bad[] = {"",   "2",    "M",  "3M",   "0M",  "2 M",         "-2M",
					  "2T", "2MiB", "1k", "1.5G", "2M ", "99999999999G"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(setup_size_parse(bad[i], &kb), -1);
	char name[16];
	setup_size_name(2048, name, sizeof(name));
	assert_string_equal(name, "2M");
	setup_size_name(1048576, name, sizeof(name));
	assert_string_equal(name, "1G");
	setup_size_name(64, name, sizeof(name));
	assert_string_equal(name, "64K");
}

static void pages_for_memory(void **state)
{
	(void)state;
	assert_int_equal(setup_pages_for_mb(1024, 2048), 512);
	assert_int_equal(setup_pages_for_mb(561, 2048), 281); /* rounded up */
	assert_int_equal(setup_pages_for_mb(1, 1048576), 1);
	assert_int_equal(setup_pages_for_mb(1025, 1048576), 2);
}

static int from_text(const char *text, struct setup_conf *c, char *err, size_t errlen)
{
	json_error_t je;
	json_t *doc = json_loads(text, 0, &je);
	assert_non_null(doc);
	int rc = setup_conf_from_json(doc, c, err, errlen);
	json_decref(doc);
	return rc;
}

static void conf_parsed(void **state)
{
	(void)state;
	struct setup_conf c;
	char err[256];
	assert_int_equal(
	    from_text("{\"hugepages\": [{\"size\": \"2M\", \"pages\": 512},"
		      " {\"size\": \"1G\", \"pages\": 4, \"node\": 1, \"mount\": \"/dev/huge1G\"}],"
		      " \"bind\": [{\"pci\": \"03:00.0\", \"driver\": \"vfio-pci\"}]}",
		      &c, err, sizeof(err)),
	    0);
	assert_int_equal(c.n_huge, 2);
	assert_int_equal(c.huge[0].size_kb, 2048);
	assert_int_equal(c.huge[0].pages, 512);
	assert_int_equal(c.huge[0].node, -1);
	assert_string_equal(c.huge[0].mount, SETUP_MOUNT_DEFAULT);
	assert_int_equal(c.huge[1].size_kb, 1048576);
	assert_int_equal(c.huge[1].node, 1);
	assert_string_equal(c.huge[1].mount, "/dev/huge1G");
	assert_int_equal(c.n_bind, 1);
	assert_string_equal(c.bind[0].pci, "0000:03:00.0"); /* normalised */
	assert_string_equal(c.bind[0].driver, "vfio-pci");
	assert_int_equal(from_text("{}", &c, err, sizeof(err)), 0);
	assert_int_equal(c.n_huge + c.n_bind, 0);
}

/* Each mistake refused, with the place in the document named. */
static void conf_refused(void **state)
{
	(void)state;
	struct setup_conf c;
	char err[256];
	static const struct {
		const char *text, *err;
	} bad[] = {
	    {"[]", "(top): must be an object"},
	    {"{\"hugepage\": []}", "hugepage: unknown key"},
	    {"{\"hugepages\": {}}", "hugepages: must be an array"},
	    {"{\"hugepages\": [{\"size\": \"3M\", \"pages\": 1}]}", "hugepages[0].size: must be"},
	    {"{\"hugepages\": [{\"size\": \"2M\", \"pages\": -1}]}", "hugepages[0].pages: must be"},
	    {"{\"hugepages\": [{\"size\": \"2M\"}]}", "hugepages[0].pages: must be"},
	    {"{\"hugepages\": [{\"size\": \"2M\", \"pages\": 1, \"nodes\": 0}]}",
	     "hugepages[0].nodes: unknown key"},
	    {"{\"hugepages\": [{\"size\": \"2M\", \"pages\": 1, \"mount\": \"huge\"}]}",
	     "hugepages[0].mount: must be an absolute path"},
	    {"{\"hugepages\": [{\"size\": \"2M\", \"pages\": 1}, {\"size\": \"2048kB\", "
	     "\"pages\": 2}]}",
	     "hugepages[1]: a second entry for the same size and node"},
	    {"{\"bind\": [{\"pci\": \"0000:03:20.0\", \"driver\": \"vfio-pci\"}]}",
	     "bind[0].pci: must be"},
	    {"{\"bind\": [{\"pci\": \"0000:03:00.0\", \"driver\": \"ixgbe\"}]}",
	     "bind[0].driver: must be"},
	    {"{\"bind\": [{\"pci\": \"0000:03:00.0\", \"driver\": \"vfio-pci\"}, {\"pci\": "
	     "\"03:00.0\", \"driver\": \"uio_pci_generic\"}]}",
	     "bind[1]: 0000:03:00.0 is listed twice"},
	    {"{\"bind\": [{\"pci\": \"03:00.0\", \"driver\": \"vfio-pci\", \"vendor\": \"8086\"}]}",
	     "bind[0]: \"vendor\" and \"device\" go together"},
	    {"{\"bind\": [{\"pci\": \"03:00.0\", \"driver\": \"vfio-pci\", \"vendor\": \"0x8086\", "
	     "\"device\": \"1533\"}]}",
	     "bind[0]: \"vendor\" and \"device\" must be 4 hex digits"},
	    {"{\"bind\": [{\"pci\": \"03:00.0\", \"driver\": \"vfio-pci\", \"mac\": "
	     "\"00-1b-21-0a-0b-0c\"}]}",
	     "bind[0].mac: must be a MAC address"},
	    {"{\"bind\": [{\"pci\": \"03:00.0\", \"driver\": \"vfio-pci\", \"mac\": "
	     "\"00:1b:21:0a:0b:0\"}]}",
	     "bind[0].mac: must be a MAC address"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(from_text(bad[i].text, &c, err, sizeof(err)), -1);
		if (strncmp(err, bad[i].err, strlen(bad[i].err)) != 0)
			fail_msg("%s: error '%s', expected '%s...'", bad[i].text, err, bad[i].err);
	}
}

/* --persist: an entry of the same (size, node) or address replaces the old one; others stay. */
static void conf_merged(void **state)
{
	(void)state;
	struct setup_conf c = {0};
	struct setup_huge h2 = {
	    .size_kb = 2048, .node = -1, .pages = 64, .mount = "/dev/hugepages"};
	struct setup_huge h2n0 = h2, h1g = h2;
	h2n0.node = 0;
	h1g.size_kb = 1048576;
	assert_int_equal(setup_conf_put_huge(&c, &h2), 0);
	assert_int_equal(setup_conf_put_huge(&c, &h2n0), 0);
	assert_int_equal(setup_conf_put_huge(&c, &h1g), 0);
	h2.pages = 512;
	assert_int_equal(setup_conf_put_huge(&c, &h2), 0);
	assert_int_equal(c.n_huge, 3);
	assert_int_equal(c.huge[0].pages, 512);
	assert_int_equal(c.huge[1].pages, 64);
	struct setup_bind a = {"0000:03:00.0", "vfio-pci"}, b = {"0000:03:00.1", "vfio-pci"};
	assert_int_equal(setup_conf_put_bind(&c, &a), 0);
	assert_int_equal(setup_conf_put_bind(&c, &b), 0);
	snprintf(a.driver, sizeof(a.driver), "uio_pci_generic");
	assert_int_equal(setup_conf_put_bind(&c, &a), 0);
	assert_int_equal(c.n_bind, 2);
	assert_string_equal(c.bind[0].driver, "uio_pci_generic");
	assert_true(setup_conf_del_bind(&c, "0000:03:00.0"));
	assert_false(setup_conf_del_bind(&c, "0000:03:00.0"));
	assert_int_equal(c.n_bind, 1);
	assert_string_equal(c.bind[0].pci, "0000:03:00.1");
	for (unsigned i = c.n_huge; i < SETUP_MAX_HUGE; i++) {
		struct setup_huge h = h2;
		h.node = 10 + (long)i;
		assert_int_equal(setup_conf_put_huge(&c, &h), 0);
	}
	struct setup_huge more = h2;
	more.node = 100;
	assert_int_equal(setup_conf_put_huge(&c, &more), -1); /* full */
}

/* Written, read back equal, mode 0644, no temporary left; a missing file is an empty one. */
static void conf_file_round_trip(void **state)
{
	(void)state;
	char dir[] = "/tmp/svr-setup-unit-XXXXXX", path[128], err[512];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/etc/svrouter/setup.json", dir);
	struct setup_conf c = {0}, r;
	bool exists = true;
	assert_int_equal(setup_conf_load(path, &r, &exists, err, sizeof(err)), 0);
	assert_false(exists);
	assert_int_equal(r.n_huge + r.n_bind, 0);
	struct setup_huge h = {.size_kb = 1048576, .node = 1, .pages = 4, .mount = "/dev/h1G"};
	struct setup_bind b = {"0000:03:00.0", "vfio-pci"};
	assert_int_equal(setup_conf_put_huge(&c, &h), 0);
	assert_int_equal(setup_conf_put_bind(&c, &b), 0);
	assert_int_equal(setup_conf_save(path, &c, err, sizeof(err)), 0); /* creates etc/svrouter */
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	/* The directory as the package makes /etc/svrouter (root:root 0755, tmpfiles), less the
	 * umask mkdir applies. */
	char etc[128];
	mode_t mask = umask(0);
	umask(mask);
	snprintf(etc, sizeof(etc), "%s/etc/svrouter", dir);
	assert_int_equal(stat(etc, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755 & ~mask);
	assert_int_equal(setup_conf_load(path, &r, &exists, err, sizeof(err)), 0);
	assert_true(exists);
	assert_int_equal(r.n_huge, 1);
	assert_int_equal(r.huge[0].size_kb, 1048576);
	assert_int_equal(r.huge[0].node, 1);
	assert_int_equal(r.huge[0].pages, 4);
	assert_string_equal(r.huge[0].mount, "/dev/h1G");
	assert_int_equal(r.n_bind, 1);
	assert_string_equal(r.bind[0].pci, "0000:03:00.0");
	/* Updated in place: still one file in the directory. */
	r.huge[0].pages = 8;
	assert_int_equal(setup_conf_save(path, &r, err, sizeof(err)), 0);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "test \"$(ls -A %s/etc/svrouter)\" = setup.json", dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(setup_conf_load(path, &c, &exists, err, sizeof(err)), 0);
	assert_int_equal(c.huge[0].pages, 8);
	/* Invalid text: the error names the file. */
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"bind\": [", f);
	fclose(f);
	assert_int_equal(setup_conf_load(path, &c, &exists, err, sizeof(err)), -1);
	assert_non_null(strstr(err, path));
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* The identity --persist records (vendor, device, MAC) is read back as written, in lower case,
 * and an entry without it (an older file) still loads, with none. */
static void conf_identity(void **state)
{
	(void)state;
	struct setup_conf c;
	char err[256];
	assert_int_equal(from_text("{\"bind\": [{\"pci\": \"03:00.0\", \"driver\": \"vfio-pci\", "
				   "\"vendor\": \"8086\", \"device\": \"15AB\", \"mac\": "
				   "\"00:1B:21:0a:0b:0c\"}, {\"pci\": \"03:00.1\", \"driver\": "
				   "\"vfio-pci\"}]}",
				   &c, err, sizeof(err)),
			 0);
	assert_string_equal(c.bind[0].vendor, "8086");
	assert_string_equal(c.bind[0].device, "15ab");
	assert_string_equal(c.bind[0].mac, "00:1b:21:0a:0b:0c");
	assert_string_equal(c.bind[1].vendor, "");
	assert_string_equal(c.bind[1].mac, "");
	json_t *doc = setup_conf_to_json(&c);
	assert_non_null(doc);
	json_t *b0 = json_array_get(json_object_get(doc, "bind"), 0);
	json_t *b1 = json_array_get(json_object_get(doc, "bind"), 1);
	assert_string_equal(json_string_value(json_object_get(b0, "device")), "15ab");
	assert_string_equal(json_string_value(json_object_get(b0, "mac")), "00:1b:21:0a:0b:0c");
	assert_null(json_object_get(b1, "vendor"));
	assert_null(json_object_get(b1, "mac"));
	json_decref(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(pci_addresses_normalised),
	    cmocka_unit_test(page_sizes),
	    cmocka_unit_test(pages_for_memory),
	    cmocka_unit_test(conf_parsed),
	    cmocka_unit_test(conf_refused),
	    cmocka_unit_test(conf_merged),
	    cmocka_unit_test(conf_file_round_trip),
	    cmocka_unit_test(conf_identity),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
