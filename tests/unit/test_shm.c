/* SPDX-License-Identifier: BSD-3-Clause */
/* The policy channel: publish/fetch, acknowledgement and rejection, the seqlock, restarts. */
#include <setjmp.h>
#include <stdarg.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/image.h"
#include "common/shm.h"

static char instance[32];

static void *image(size_t *len)
{
	struct svr_img_builder b;
	svr_img_builder_init(&b);
	struct svr_img_header h = {.router_name = svr_img_str_add(&b, "r1"),
				   .inter_router_security = SVR_IMG_NONE};
	void *img;
	assert_int_equal(svr_img_finish(&b, &h, 1 << 20, &img, len), 0);
	svr_img_builder_free(&b);
	return img;
}

static int setup(void **state)
{
	(void)state;
	snprintf(instance, sizeof(instance), "unit-shm-%d", (int)getpid());
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return svr_shm_unlink(instance);
}

static void publish_fetch_ack(void **state)
{
	(void)state;
	char err[256];
	struct svr_shm reader, writer;
	/* The dataplane only opens: before svr-control creates the object it must wait. */
	assert_int_equal(svr_shm_open(&reader, instance, false, err, sizeof(err)), -EAGAIN);
	assert_int_equal(svr_shm_open(&writer, instance, true, err, sizeof(err)), 0);
	assert_int_equal(svr_shm_open(&reader, instance, false, err, sizeof(err)), 0);

	void *img, *got;
	size_t len, got_len;
	uint64_t gen;
	img = image(&len);
	assert_int_equal(svr_shm_fetch(&reader, 0, &got, &got_len, &gen), 0); /* nothing yet */
	uint64_t g1 = svr_shm_publish(&writer, img, len);
	assert_int_equal(g1, 1);
	assert_int_equal(svr_shm_fetch(&reader, 0, &got, &got_len, &gen), 1);
	assert_int_equal(gen, 1);
	assert_int_equal(got_len, len);
	assert_int_equal(svr_img_check(got, got_len, err, sizeof(err)), 0);
	assert_int_equal(svr_img_hdr(got)->generation, 1);
	free(got);
	assert_int_equal(svr_shm_fetch(&reader, 1, &got, &got_len, &gen), 0); /* seen it */

	char reason[256];
	assert_int_equal(svr_shm_wait(&writer, 1, 0, reason, sizeof(reason)), 0);
	svr_shm_ack(&reader, 1);
	assert_int_equal(svr_shm_wait(&writer, 1, 0, reason, sizeof(reason)), 1);

	uint64_t g2 = svr_shm_publish(&writer, img, len);
	assert_int_equal(g2, 2);
	svr_shm_reject(&reader, 2, "bad image");
	assert_int_equal(svr_shm_wait(&writer, 2, 10, reason, sizeof(reason)), -1);
	assert_string_equal(reason, "bad image");

	/* An image larger than a slot is not published. */
	assert_int_equal(svr_shm_publish(&writer, img, (size_t)SVR_SHM_SLOT_SIZE + 1), 0);

	/* A restarted writer continues the generation numbers. */
	svr_shm_close(&writer);
	assert_int_equal(svr_shm_open(&writer, instance, true, err, sizeof(err)), 0);
	assert_int_equal(svr_shm_publish(&writer, img, len), 3);
	free(img);
	svr_shm_close(&writer);
	svr_shm_close(&reader);
}

/* A copy taken while the writer reuses the slot is refused (the seqlock). */
static void torn_copy_is_refused(void **state)
{
	(void)state;
	char err[256];
	struct svr_shm s;
	assert_int_equal(svr_shm_open(&s, instance, true, err, sizeof(err)), 0);
	size_t len;
	void *img = image(&len), *got;
	uint64_t gen = svr_shm_publish(&s, img, len);
	unsigned slot = atomic_load(&s.ctl->published_slot);
	size_t got_len;
	uint64_t g;
	/* The writer has started rewriting the published slot for a later generation. */
	atomic_store(&s.ctl->slots[slot].writing, gen + 2);
	assert_int_equal(svr_shm_fetch(&s, 0, &got, &got_len, &g), -1);
	atomic_store(&s.ctl->slots[slot].writing, gen);
	atomic_store(&s.ctl->slots[slot].generation, 0);
	assert_int_equal(svr_shm_fetch(&s, 0, &got, &got_len, &g), -1);
	atomic_store(&s.ctl->slots[slot].generation, gen);
	assert_int_equal(svr_shm_fetch(&s, 0, &got, &got_len, &g), 1);
	free(got);
	free(img);
	svr_shm_close(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(publish_fetch_ack),
	    cmocka_unit_test(torn_copy_is_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
