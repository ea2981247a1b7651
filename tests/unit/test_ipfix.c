/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPFIX session records (src/common/ipfix.c), read back by a decoder written here from RFC 7011:
 * the Template Set's templates (enterprise bit and numbers), records found by their template
 * and every field's value, variable-length strings, sets split where records change template,
 * messages that refuse what does not fit, and the header's stamp.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/ipfix.h"

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)rd16(p) << 16 | rd16(p + 2);
}

static uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) << 32 | rd32(p + 4);
}

/* A decoded template: element ids, lengths, enterprise numbers (0: IANA). */
struct tpl {
	uint16_t id, n;
	uint16_t ie[64], len[64];
	uint32_t pen[64];
};

struct decoded {
	struct tpl t[8];
	unsigned n_tpl;
	unsigned n_sets, n_records;
};

static const struct tpl *find_tpl(const struct decoded *d, uint16_t id)
{
	for (unsigned i = 0; i < d->n_tpl; i++)
		if (d->t[i].id == id)
			return &d->t[i];
	return NULL;
}

/* A record's field by (pen, ie): its bytes and length. */
struct field {
	const uint8_t *p;
	size_t len;
};

static struct field record_field(const struct tpl *t, const uint8_t *rec, uint32_t pen, uint16_t ie,
				 size_t *rec_len)
{
	struct field out = {NULL, 0};
	const uint8_t *p = rec;
	for (unsigned i = 0; i < t->n; i++) {
		size_t n = t->len[i];
		if (n == 0xffff)
			n = *p++;
		if (t->ie[i] == ie && t->pen[i] == pen)
			out = (struct field){p, n};
		p += n;
	}
	if (rec_len)
		*rec_len = (size_t)(p - rec);
	return out;
}

/* Decodes a message: the templates into d; data records' starts into recs (at most max). */
static unsigned decode(const uint8_t *m, size_t len, struct decoded *d, const uint8_t **recs,
		       uint16_t *rec_tpl, unsigned max)
{
	assert_true(len >= 16);
	assert_int_equal(rd16(m), 10);
	assert_int_equal(rd16(m + 2), len);
	unsigned n = 0;
	for (size_t at = 16; at < len;) {
		uint16_t set = rd16(m + at), set_len = rd16(m + at + 2);
		assert_true(set_len >= 4 && at + set_len <= len);
		d->n_sets++;
		const uint8_t *p = m + at + 4, *end = m + at + set_len;
		if (set == 2) {
			while (p < end) {
				struct tpl *t = &d->t[d->n_tpl++];
				t->id = rd16(p);
				t->n = rd16(p + 2);
				p += 4;
				for (unsigned i = 0; i < t->n; i++) {
					t->ie[i] = rd16(p) & 0x7fff;
					t->len[i] = rd16(p + 2);
					t->pen[i] = rd16(p) & 0x8000 ? rd32(p + 4) : 0;
					p += rd16(p) & 0x8000 ? 8 : 4;
				}
			}
		} else {
			const struct tpl *t = find_tpl(d, set);
			assert_non_null(t);
			while (p < end) {
				size_t rl;
				record_field(t, p, 0, 0, &rl);
				if (n < max) {
					recs[n] = p;
					rec_tpl[n] = set;
				}
				n++;
				d->n_records++;
				p += rl;
			}
		}
		assert_true(p == end); /* no padding, no overrun */
		at += set_len;
	}
	return n;
}

static struct svr_ipfix_session sample4(uint8_t kind)
{
	struct svr_ipfix_session s = {.kind = kind,
				      .end_reason = SVR_IPFIX_END_IDLE,
				      .proto = 17,
				      .family = 4,
				      .src = {198, 18, 1, 10},
				      .dst = {198, 18, 2, 20},
				      .post_src = {198, 18, 9, 1},
				      .post_dst = {198, 18, 2, 20},
				      .sport = 40000,
				      .dport = 53,
				      .post_sport = 1025,
				      .post_dport = 53,
				      .start_ms = 1796540641000ull,
				      .end_ms = 1796540651500ull,
				      .fwd_octets = 1000,
				      .fwd_packets = 10,
				      .rev_octets = 2000,
				      .rev_packets = 20,
				      .in_iface = 1,
				      .out_iface = 2,
				      .tenant = "eng",
				      .service = "dns",
				      .router = "r1",
				      .peer = NULL,
				      .path = "",
				      .vector = NULL,
				      .rule = "dns access[0]"};
	for (int i = 0; i < 16; i++)
		s.uuid[i] = (uint8_t)(0xa0 + i);
	return s;
}

static void templates_name_every_field(void **state)
{
	(void)state;
	uint8_t buf[2048];
	struct svr_ipfix_msg m;
	svr_ipfix_msg_begin(&m, buf, sizeof(buf));
	assert_true(svr_ipfix_msg_add_templates(&m, 32473));
	size_t len = svr_ipfix_msg_end(&m);
	struct decoded d = {0};
	assert_int_equal(decode(buf, len, &d, NULL, NULL, 0), 0);
	assert_int_equal(d.n_tpl, 4);
	const struct tpl *f4 = find_tpl(&d, SVR_IPFIX_TPL_FLOW4);
	const struct tpl *s6 = find_tpl(&d, SVR_IPFIX_TPL_START6);
	assert_non_null(f4);
	assert_non_null(s6);
	/* the flow record has the start record's fields and end time, counters, reason */
	assert_int_equal(f4->n, find_tpl(&d, SVR_IPFIX_TPL_START4)->n + 6);
	bool rev_octets = false, uuid = false, v6src = false, reason_in_start = false;
	for (unsigned i = 0; i < f4->n; i++) {
		rev_octets |= f4->ie[i] == 85 && f4->pen[i] == SVR_IPFIX_PEN_REVERSE;
		uuid |= f4->ie[i] == SVR_IPFIX_IE_SESSION_UUID && f4->pen[i] == 32473 &&
			f4->len[i] == 16;
	}
	for (unsigned i = 0; i < s6->n; i++) {
		v6src |= s6->ie[i] == 27 && s6->len[i] == 16 && s6->pen[i] == 0;
		reason_in_start |= s6->ie[i] == 136;
	}
	assert_true(rev_octets);
	assert_true(uuid);
	assert_true(v6src);
	assert_false(reason_in_start);
	/* another enterprise number goes in the templates, the reverse PEN stays RFC 5103's */
	svr_ipfix_msg_begin(&m, buf, sizeof(buf));
	assert_true(svr_ipfix_msg_add_templates(&m, 99999));
	len = svr_ipfix_msg_end(&m);
	memset(&d, 0, sizeof(d));
	decode(buf, len, &d, NULL, NULL, 0);
	f4 = find_tpl(&d, SVR_IPFIX_TPL_FLOW4);
	unsigned ours = 0, reverse = 0;
	for (unsigned i = 0; i < f4->n; i++) {
		ours += f4->pen[i] == 99999;
		reverse += f4->pen[i] == SVR_IPFIX_PEN_REVERSE;
	}
	assert_int_equal(ours, 9);
	assert_int_equal(reverse, 2);
}

static void records_carry_every_value(void **state)
{
	(void)state;
	uint8_t buf[4096];
	struct svr_ipfix_msg m;
	svr_ipfix_msg_begin(&m, buf, sizeof(buf));
	assert_true(svr_ipfix_msg_add_templates(&m, 32473));
	struct svr_ipfix_session end = sample4(SVR_IPFIX_END), start = sample4(SVR_IPFIX_START);
	assert_true(svr_ipfix_msg_add(&m, &end));
	assert_true(svr_ipfix_msg_add(&m, &end));
	assert_true(svr_ipfix_msg_add(&m, &start));
	assert_int_equal(m.records, 3);
	size_t len = svr_ipfix_msg_end(&m);
	svr_ipfix_msg_stamp(buf, len, 1796540652u, 77, 5);
	assert_int_equal(rd32(buf + 4), 1796540652u);
	assert_int_equal(rd32(buf + 8), 77);
	assert_int_equal(rd32(buf + 12), 5);

	struct decoded d = {0};
	const uint8_t *recs[4];
	uint16_t tpl[4];
	assert_int_equal(decode(buf, len, &d, recs, tpl, 4), 3);
	assert_int_equal(d.n_sets, 3); /* templates; two flow records; one start record */
	assert_int_equal(tpl[0], SVR_IPFIX_TPL_FLOW4);
	assert_int_equal(tpl[2], SVR_IPFIX_TPL_START4);
	const struct tpl *t = find_tpl(&d, tpl[0]);
	const uint8_t *r = recs[0];
#define F(pen, ie) record_field(t, r, (pen), (ie), NULL)
	assert_memory_equal(F(0, 8).p, end.src, 4);
	assert_memory_equal(F(0, 12).p, end.dst, 4);
	assert_memory_equal(F(0, 225).p, end.post_src, 4);
	assert_int_equal(rd16(F(0, 7).p), 40000);
	assert_int_equal(rd16(F(0, 227).p), 1025);
	assert_int_equal(*F(0, 4).p, 17);
	assert_int_equal(rd64(F(0, 152).p), end.start_ms);
	assert_int_equal(rd64(F(0, 153).p), end.end_ms);
	assert_int_equal(rd64(F(0, 85).p), 1000);
	assert_int_equal(rd64(F(0, 86).p), 10);
	assert_int_equal(rd64(F(SVR_IPFIX_PEN_REVERSE, 85).p), 2000);
	assert_int_equal(rd64(F(SVR_IPFIX_PEN_REVERSE, 86).p), 20);
	assert_int_equal(rd32(F(0, 10).p), 1);
	assert_int_equal(rd32(F(0, 14).p), 2);
	assert_int_equal(*F(0, 136).p, SVR_IPFIX_END_IDLE);
	assert_memory_equal(F(32473, SVR_IPFIX_IE_SESSION_UUID).p, end.uuid, 16);
	assert_int_equal(*F(32473, SVR_IPFIX_IE_RECORD_KIND).p, SVR_IPFIX_END);
	struct field tenant = F(32473, SVR_IPFIX_IE_TENANT);
	assert_int_equal(tenant.len, 3);
	assert_memory_equal(tenant.p, "eng", 3);
	assert_int_equal(F(32473, SVR_IPFIX_IE_PEER).len, 0); /* NULL: empty */
	assert_int_equal(F(32473, SVR_IPFIX_IE_PEER_PATH).len, 0);
	struct field rule = F(32473, SVR_IPFIX_IE_ACCESS_RULE);
	assert_int_equal(rule.len, strlen("dns access[0]"));
	/* the start record: no end time, no counters */
	t = find_tpl(&d, tpl[2]);
	r = recs[2];
	assert_null(F(0, 153).p);
	assert_null(F(0, 85).p);
	assert_int_equal(*F(32473, SVR_IPFIX_IE_RECORD_KIND).p, SVR_IPFIX_START);
#undef F
}

static void ipv6_and_long_names(void **state)
{
	(void)state;
	uint8_t buf[4096];
	char longname[400];
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	struct svr_ipfix_session s = sample4(SVR_IPFIX_INTERIM);
	s.family = 6;
	s.src[0] = 0x20, s.src[1] = 0x01, s.src[2] = 0x0d, s.src[3] = 0xb8, s.src[15] = 1;
	s.service = longname;
	struct svr_ipfix_msg m;
	svr_ipfix_msg_begin(&m, buf, sizeof(buf));
	assert_true(svr_ipfix_msg_add_templates(&m, 32473));
	assert_true(svr_ipfix_msg_add(&m, &s));
	size_t len = svr_ipfix_msg_end(&m);
	struct decoded d = {0};
	const uint8_t *recs[1];
	uint16_t tpl[1];
	assert_int_equal(decode(buf, len, &d, recs, tpl, 1), 1);
	assert_int_equal(tpl[0], SVR_IPFIX_TPL_FLOW6);
	const struct tpl *t = find_tpl(&d, tpl[0]);
	assert_memory_equal(record_field(t, recs[0], 0, 27, NULL).p, s.src, 16);
	/* a name longer than a one-byte length holds is cut, never overflows */
	assert_int_equal(record_field(t, recs[0], 32473, SVR_IPFIX_IE_SERVICE, NULL).len,
			 SVR_IPFIX_NAME_MAX);
}

static void full_message_refuses_and_stays_whole(void **state)
{
	(void)state;
	uint8_t buf[300];
	struct svr_ipfix_msg m;
	svr_ipfix_msg_begin(&m, buf, sizeof(buf));
	assert_false(svr_ipfix_msg_add_templates(&m, 32473)); /* about 500 bytes: does not fit */
	assert_int_equal(svr_ipfix_msg_end(&m), 0);
	struct svr_ipfix_session s = sample4(SVR_IPFIX_END);
	unsigned added = 0;
	while (svr_ipfix_msg_add(&m, &s))
		added++;
	assert_true(added >= 1);
	assert_int_equal(m.records, added);
	size_t len = svr_ipfix_msg_end(&m);
	assert_true(len <= sizeof(buf));
	/* the records decode against templates sent in another message */
	uint8_t tbuf[2048];
	struct svr_ipfix_msg tm;
	svr_ipfix_msg_begin(&tm, tbuf, sizeof(tbuf));
	assert_true(svr_ipfix_msg_add_templates(&tm, 32473));
	struct decoded d = {0};
	decode(tbuf, svr_ipfix_msg_end(&tm), &d, NULL, NULL, 0);
	assert_int_equal(decode(buf, len, &d, NULL, NULL, 0), added);
	assert_int_equal(d.n_sets, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(templates_name_every_field),
	    cmocka_unit_test(records_carry_every_value),
	    cmocka_unit_test(ipv6_and_long_names),
	    cmocka_unit_test(full_message_refuses_and_stays_whole),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
