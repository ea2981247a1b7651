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
	    cmocka_unit_test(crc32c_known_value),
	    cmocka_unit_test(rfc3339),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
