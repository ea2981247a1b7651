/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz-sources: src/common/image.c src/common/crc32c.c src/common/inet.c src/common/log.c */
/* fuzz-sources: src/dataplane/session/classify.c */
/*
 * libFuzzer target for the policy image as the dataplane takes it: the
 * checker (src/common/image.c), then, for what it accepts, the classifier
 * build (src/dataplane/session/classify.c, plain C: the same code the
 * dataplane runs, no DPDK needed) and lookups of every kind against it. An
 * accepted image must never make either read or write outside its memory,
 * loop without end or overflow; a refused one must say why.
 *
 * The image states its own length and CRC-32C; a mutation would almost never
 * keep them right, so both are set to the input's before checking (the
 * checksum and length checks themselves are unit-tested). Seeds: the
 * tests/fuzz/seeds/fuzz_image/image_* files, written by tests/fuzz/image-seeds.c.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/image.h"
#include "session/classify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An address inside entry i of the prefix table, varied by salt below its prefix length. */
static struct svr_ip address_in(const void *img, uint32_t i, uint32_t salt)
{
	uint32_t n;
	const struct svr_img_prefix *px = svr_img_table(img, SVR_SEC_PREFIXES, &n);
	struct svr_prefix p = {.ip = {.family = SVR_AF_INET}};
	if (n)
		svr_img_prefix_to(&px[i % n], &p);
	p.ip.addr[p.ip.family == SVR_AF_INET ? 3 : 15] ^= (uint8_t)salt;
	return p.ip;
}

/* What a first packet asks: tenant on each interface, service, access; a bounded number. */
static void classify_some(const struct svr_classifier *c, const void *img, const uint8_t *data,
			  size_t size)
{
	uint32_t n_if, n_px;
	svr_img_table(img, SVR_SEC_INTERFACES, &n_if);
	svr_img_table(img, SVR_SEC_PREFIXES, &n_px);
	for (uint32_t q = 0; q < 32; q++) {
		const uint8_t salt = size ? data[(q * 7) % size] : 0;
		struct svr_ip src = address_in(img, q, salt),
			      dst = address_in(img, q + n_px / 2, q);
		uint32_t tenant = svr_classify_tenant(c, q % (n_if + 1), &src); /* one beyond too */
		const uint8_t proto = (const uint8_t[]){0, 1, 6, 17, 58}[q % 5];
		uint32_t service =
		    svr_classify_service(c, proto, &dst, (uint16_t)(salt * 257u + q));
		if (service != UINT32_MAX)
			svr_classify_access(c, service, tenant, &src, (int64_t)salt - 128, NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* malloc'd at the exact size: aligned for the structs, ASan flags any overread */
	uint8_t *img = malloc(size ? size : 1);
	if (!img)
		return 0;
	memcpy(img, data, size);
	if (size >= sizeof(struct svr_img_header)) {
		((struct svr_img_header *)img)->length = size;
		svr_img_seal(img);
	}
	char err[256] = "";
	if (svr_img_check(img, size, err, sizeof(err)) == 0) {
		struct svr_classifier *c = svr_classifier_build(img, err, sizeof(err));
		if (c)
			classify_some(c, img, data, size);
		else if (!err[0])
			abort(); /* refused without a reason */
		svr_classifier_free(c);
	} else if (!err[0]) {
		abort();
	}
	free(img);
	return 0;
}
