/* SPDX-License-Identifier: BSD-3-Clause */
/* The capture ring (src/dataplane/capture/ring.h) and the pcap writer (src/common/pcap.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>

#include "capture/ring.h"
#include "common/pcap.h"

static void ring_keeps_order_and_counts_overruns(void **state)
{
	(void)state;
	struct svr_cap_ring *r = svr_cap_ring_new(4);
	assert_non_null(r);
	assert_null(svr_cap_ring_peek(r));
	for (uint8_t i = 0; i < 6; i++) {
		struct svr_cap_slot *s = svr_cap_ring_reserve(r);
		if (i >= 4) { /* full: not captured, counted */
			assert_null(s);
			continue;
		}
		assert_non_null(s);
		s->data[0] = i;
		s->cap_len = 1;
		svr_cap_ring_commit(r);
	}
	assert_int_equal(svr_cap_ring_dropped(r), 2);
	for (uint8_t i = 0; i < 4; i++) {
		const struct svr_cap_slot *s = svr_cap_ring_peek(r);
		assert_non_null(s);
		assert_int_equal(s->data[0], i);
		svr_cap_ring_pop(r);
	}
	assert_null(svr_cap_ring_peek(r));
	/* Space again once read; a reserved but uncommitted slot is not visible. */
	assert_non_null(svr_cap_ring_reserve(r));
	assert_null(svr_cap_ring_peek(r));
	free(r);
}

static void ring_size_must_be_power_of_two(void **state)
{
	(void)state;
	assert_null(svr_cap_ring_new(0));
	assert_null(svr_cap_ring_new(6));
}

#define SPSC_N 200000u
static void *producer(void *arg)
{
	struct svr_cap_ring *r = arg;
	for (uint32_t i = 0; i < SPSC_N; i++) {
		struct svr_cap_slot *s = svr_cap_ring_reserve(r);
		if (!s)
			continue;
		memcpy(s->data, &i, sizeof(i));
		s->tsc = i;
		svr_cap_ring_commit(r);
	}
	return NULL;
}

/* One producer thread, one consumer: every slot read is whole and in order; read + dropped
 * adds up to what was offered. */
static void ring_spsc_threads(void **state)
{
	(void)state;
	struct svr_cap_ring *r = svr_cap_ring_new(64);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, producer, r), 0);
	uint64_t read = 0;
	int64_t last = -1;
	for (;;) {
		const struct svr_cap_slot *s = svr_cap_ring_peek(r);
		if (!s) {
			if (read + svr_cap_ring_dropped(r) == SPSC_N)
				break;
			continue;
		}
		uint32_t v;
		memcpy(&v, s->data, sizeof(v));
		assert_int_equal(v, s->tsc);
		assert_true((int64_t)v > last);
		last = v;
		read++;
		svr_cap_ring_pop(r);
	}
	pthread_join(t, NULL);
	assert_int_equal(read + svr_cap_ring_dropped(r), SPSC_N);
	free(r);
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static void pcap_file_layout(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	const uint8_t frame[3] = {0xde, 0xad, 0x01};
	assert_int_equal(svr_pcap_write_header(f, 2048), 0);
	assert_int_equal(svr_pcap_write_record(f, 1700000000123456789ull, frame, 3, 60), 0);
	fclose(f);
	assert_int_equal(len, 24 + 16 + 3);
	const uint8_t *b = (const uint8_t *)buf;
	assert_int_equal(rd32(b), 0xa1b2c3d4u);
	assert_int_equal(b[4] | b[5] << 8, 2); /* version 2.4, host order */
	assert_int_equal(b[6] | b[7] << 8, 4);
	assert_int_equal(rd32(b + 16), 2048); /* snaplen */
	assert_int_equal(rd32(b + 20), 1);    /* LINKTYPE_ETHERNET */
	assert_int_equal(rd32(b + 24), 1700000000u);
	assert_int_equal(rd32(b + 28), 123456); /* microseconds, truncated */
	assert_int_equal(rd32(b + 32), 3);      /* captured */
	assert_int_equal(rd32(b + 36), 60);     /* on the wire */
	assert_memory_equal(b + 40, frame, 3);
	free(buf);
}

static void pcap_decode_packet(void **state)
{
	(void)state;
	uint8_t buf[8];
	uint64_t t;
	uint32_t orig;
	json_t *p = json_pack("{s:I, s:s, s:i, s:s}", "time-ns", (json_int_t)42, "direction", "rx",
			      "length", 64, "data", "00fFa1");
	assert_int_equal(svr_pcap_packet_decode(p, buf, sizeof(buf), &t, &orig), 3);
	assert_int_equal(t, 42);
	assert_int_equal(orig, 64);
	assert_int_equal(buf[1], 0xff);
	assert_int_equal(buf[2], 0xa1);
	json_decref(p);
	/* Refused: odd length, not hex, longer than the buffer or than the packet, no time. */
	static const char *const bad[] = {"abc", "zz", "000000000000000000", NULL};
	for (int i = 0; bad[i]; i++) {
		p = json_pack("{s:I, s:i, s:s}", "time-ns", (json_int_t)1, "length", 64, "data",
			      bad[i]);
		assert_int_equal(svr_pcap_packet_decode(p, buf, sizeof(buf), &t, &orig), -1);
		json_decref(p);
	}
	p = json_pack("{s:I, s:i, s:s}", "time-ns", (json_int_t)1, "length", 1, "data", "0000");
	assert_int_equal(svr_pcap_packet_decode(p, buf, sizeof(buf), &t, &orig), -1);
	json_decref(p);
	p = json_pack("{s:i, s:s}", "length", 1, "data", "00");
	assert_int_equal(svr_pcap_packet_decode(p, buf, sizeof(buf), &t, &orig), -1);
	json_decref(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(ring_keeps_order_and_counts_overruns),
	    cmocka_unit_test(ring_size_must_be_power_of_two),
	    cmocka_unit_test(ring_spsc_threads),
	    cmocka_unit_test(pcap_file_layout),
	    cmocka_unit_test(pcap_decode_packet),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
