/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Writing and checking policy images (layout: include/svr/image.h). No DPDK:
 * svr-control builds images, the dataplane and tests check them.
 */
#ifndef SVR_COMMON_IMAGE_H
#define SVR_COMMON_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/inet.h"
#include "svr/image.h"

struct svr_img_buf {
	uint8_t *data;
	size_t len, cap;
	uint32_t count;
};

struct svr_img_builder {
	struct svr_img_buf sec[SVR_SEC_COUNT];
	bool failed; /* an allocation failed: finish reports it */
	/* Strings are interned: one name, one offset, so offsets compare like names. */
	uint32_t *str_slots; /* open addressing: string offset + 1, 0 = empty */
	uint32_t str_mask, str_used;
};

void svr_img_builder_init(struct svr_img_builder *b);
void svr_img_builder_free(struct svr_img_builder *b);
/* Appends one entry (of the section's entry size) and returns its index. */
uint32_t svr_img_add(struct svr_img_builder *b, enum svr_img_section s, const void *entry);
/* Adds a NUL-terminated string (once: equal strings share one offset) and returns its offset. */
uint32_t svr_img_str_add(struct svr_img_builder *b, const char *str);
uint32_t svr_img_prefix_add(struct svr_img_builder *b, const struct svr_prefix *p);
/* Index the next svr_img_add to section s will return. */
uint32_t svr_img_next(const struct svr_img_builder *b, enum svr_img_section s);

/*
 * Lays the image out (hdr supplies generation, names, limits), computes the
 * checksum and returns a malloc'd buffer. Returns 0, or -1 (out of memory,
 * or larger than max_len).
 */
int svr_img_finish(struct svr_img_builder *b, const struct svr_img_header *hdr, size_t max_len,
		   void **out, size_t *out_len);

/* The entry size of each section, as the reader expects it. */
uint32_t svr_img_entry_size(enum svr_img_section s);

/*
 * Checks an image completely: magic, version, header size, length, checksum,
 * section bounds and alignment, entry sizes, string offsets, and every index
 * into another table. Returns 0, or -1 with a sentence in err.
 */
int svr_img_check(const void *img, size_t len, char *err, size_t errlen);

/* Recomputes and stores the checksum (the publisher sets the generation, then this). */
void svr_img_seal(void *img);

/* Accessors for a checked image. */
static inline const struct svr_img_header *svr_img_hdr(const void *img)
{
	return (const struct svr_img_header *)img;
}

static inline const void *svr_img_table(const void *img, enum svr_img_section s, uint32_t *count)
{
	const struct svr_img_section_desc *d = &svr_img_hdr(img)->sections[s];
	if (count)
		*count = d->count;
	return (const uint8_t *)img + d->offset;
}

static inline const char *svr_img_str(const void *img, uint32_t off)
{
	return (const char *)svr_img_table(img, SVR_SEC_STRINGS, NULL) + off;
}

void svr_img_prefix_to(const struct svr_img_prefix *ip, struct svr_prefix *p);

#endif
