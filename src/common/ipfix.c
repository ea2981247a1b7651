/* SPDX-License-Identifier: BSD-3-Clause */
/* IPFIX session records (src/common/ipfix.h; docs/telemetry.md "IPFIX"). */
#include "common/ipfix.h"

#include <string.h>

#define SET_TEMPLATE 2
#define VARLEN       0xffff

/* What a field's value is, whatever its element id: one switch writes each. */
enum field {
	F_START_MS,
	F_END_MS,
	F_SRC4,
	F_DST4,
	F_SRC6,
	F_DST6,
	F_SPORT,
	F_DPORT,
	F_PROTO,
	F_POST_SRC4,
	F_POST_DST4,
	F_POST_SRC6,
	F_POST_DST6,
	F_POST_SPORT,
	F_POST_DPORT,
	F_FWD_OCTETS,
	F_FWD_PACKETS,
	F_REV_OCTETS,
	F_REV_PACKETS,
	F_IN_IFACE,
	F_OUT_IFACE,
	F_END_REASON,
	F_UUID,
	F_KIND,
	F_TENANT,
	F_SERVICE,
	F_ROUTER,
	F_PEER,
	F_PATH,
	F_VECTOR,
	F_RULE,
};

enum owner { IANA, REVERSE, OURS }; /* whose element: IANA's, RFC 5103's reverse, our PEN's */

struct spec {
	uint16_t ie;
	uint16_t len; /* VARLEN: a string */
	uint8_t owner;
	uint8_t field;
};

/* The fields every record has, first the start record's, then what a flow record adds. */
#define COMMON(SRC, DST, POST_SRC, POST_DST, ALEN, IE_SRC, IE_DST, IE_PSRC, IE_PDST)               \
	{152, 8, IANA, F_START_MS}, {IE_SRC, ALEN, IANA, SRC}, {IE_DST, ALEN, IANA, DST},          \
	    {7, 2, IANA, F_SPORT}, {11, 2, IANA, F_DPORT}, {4, 1, IANA, F_PROTO},                  \
	    {IE_PSRC, ALEN, IANA, POST_SRC}, {IE_PDST, ALEN, IANA, POST_DST},                      \
	    {227, 2, IANA, F_POST_SPORT}, {228, 2, IANA, F_POST_DPORT}, {10, 4, IANA, F_IN_IFACE}, \
	    {14, 4, IANA, F_OUT_IFACE}, {SVR_IPFIX_IE_SESSION_UUID, 16, OURS, F_UUID},             \
	    {SVR_IPFIX_IE_RECORD_KIND, 1, OURS, F_KIND},                                           \
	    {SVR_IPFIX_IE_TENANT, VARLEN, OURS, F_TENANT},                                         \
	    {SVR_IPFIX_IE_SERVICE, VARLEN, OURS, F_SERVICE},                                       \
	    {SVR_IPFIX_IE_ROUTER, VARLEN, OURS, F_ROUTER},                                         \
	    {SVR_IPFIX_IE_PEER, VARLEN, OURS, F_PEER},                                             \
	    {SVR_IPFIX_IE_PEER_PATH, VARLEN, OURS, F_PATH},                                        \
	    {SVR_IPFIX_IE_VECTOR, VARLEN, OURS, F_VECTOR},                                         \
	{                                                                                          \
		SVR_IPFIX_IE_ACCESS_RULE, VARLEN, OURS, F_RULE                                     \
	}
#define FLOW                                                                                       \
	{153, 8, IANA, F_END_MS}, {85, 8, IANA, F_FWD_OCTETS}, {86, 8, IANA, F_FWD_PACKETS},       \
	    {85, 8, REVERSE, F_REV_OCTETS}, {86, 8, REVERSE, F_REV_PACKETS},                       \
	{                                                                                          \
		136, 1, IANA, F_END_REASON                                                         \
	}
#define V4 F_SRC4, F_DST4, F_POST_SRC4, F_POST_DST4, 4, 8, 12, 225, 226
#define V6 F_SRC6, F_DST6, F_POST_SRC6, F_POST_DST6, 16, 27, 28, 281, 282

/* V4 and V6 expand to COMMON's nine arguments before COMMON sees them */
#define COMMON_OF(...) COMMON(__VA_ARGS__)
static const struct spec start4[] = {COMMON_OF(V4)};
static const struct spec start6[] = {COMMON_OF(V6)};
static const struct spec flow4[] = {COMMON_OF(V4), FLOW};
static const struct spec flow6[] = {COMMON_OF(V6), FLOW};

static const struct template
{
	uint16_t id;
	uint16_t n;
	const struct spec *f;
}
templates[] = {
    {SVR_IPFIX_TPL_START4, sizeof(start4) / sizeof(start4[0]), start4},
    {SVR_IPFIX_TPL_START6, sizeof(start6) / sizeof(start6[0]), start6},
    {SVR_IPFIX_TPL_FLOW4, sizeof(flow4) / sizeof(flow4[0]), flow4},
    {SVR_IPFIX_TPL_FLOW6, sizeof(flow6) / sizeof(flow6[0]), flow6},
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

uint16_t svr_ipfix_template_of(const struct svr_ipfix_session *s)
{
	bool six = s->family == 6;
	if (s->kind == SVR_IPFIX_START)
		return six ? SVR_IPFIX_TPL_START6 : SVR_IPFIX_TPL_START4;
	return six ? SVR_IPFIX_TPL_FLOW6 : SVR_IPFIX_TPL_FLOW4;
}

static const struct template *template_by_id(uint16_t id)
{
	return &templates[id - SVR_IPFIX_TPL_START4];
}

void svr_ipfix_msg_begin(struct svr_ipfix_msg *m, uint8_t *buf, size_t cap)
{
	memset(m, 0, sizeof(*m));
	m->buf = buf;
	m->cap = cap;
	m->len = cap >= SVR_IPFIX_HEADER_LEN ? SVR_IPFIX_HEADER_LEN : cap;
}

static void set_close(struct svr_ipfix_msg *m)
{
	if (m->set_id)
		put16(m->buf + m->set_at + 2, (uint16_t)(m->len - m->set_at));
	m->set_id = 0;
}

/* Opens a set of id unless it is the open one; false when its header does not fit. */
static bool set_open(struct svr_ipfix_msg *m, uint16_t id, size_t need)
{
	size_t header = m->set_id == id ? 0 : 4;
	if (m->len + header + need > m->cap || m->len + header + need > UINT16_MAX)
		return false;
	if (header) {
		set_close(m);
		m->set_at = m->len;
		m->set_id = id;
		put16(m->buf + m->len, id);
		m->len += 4;
	}
	return true;
}

static size_t template_len(const struct template *t)
{
	size_t n = 4;
	for (unsigned i = 0; i < t->n; i++)
		n += t->f[i].owner == IANA ? 4 : 8;
	return n;
}

bool svr_ipfix_msg_add_templates(struct svr_ipfix_msg *m, uint32_t pen)
{
	size_t need = 0;
	for (unsigned k = 0; k < sizeof(templates) / sizeof(templates[0]); k++)
		need += template_len(&templates[k]);
	if (!set_open(m, SET_TEMPLATE, need))
		return false;
	uint8_t *p = m->buf + m->len;
	for (unsigned k = 0; k < sizeof(templates) / sizeof(templates[0]); k++) {
		const struct template *t = &templates[k];
		put16(p, t->id);
		put16(p + 2, t->n);
		p += 4;
		for (unsigned i = 0; i < t->n; i++) {
			const struct spec *f = &t->f[i];
			put16(p, (uint16_t)(f->ie | (f->owner == IANA ? 0 : 0x8000)));
			put16(p + 2, f->len);
			p += 4;
			if (f->owner != IANA) {
				put32(p, f->owner == REVERSE ? SVR_IPFIX_PEN_REVERSE : pen);
				p += 4;
			}
		}
	}
	m->len += need;
	set_close(m); /* a Template Set stands alone: the records go in a set of their own */
	return true;
}

static const char *text(const struct svr_ipfix_session *s, uint8_t field)
{
	const char *v = NULL;
	switch (field) {
	case F_TENANT:
		v = s->tenant;
		break;
	case F_SERVICE:
		v = s->service;
		break;
	case F_ROUTER:
		v = s->router;
		break;
	case F_PEER:
		v = s->peer;
		break;
	case F_PATH:
		v = s->path;
		break;
	case F_VECTOR:
		v = s->vector;
		break;
	case F_RULE:
		v = s->rule;
		break;
	}
	return v ? v : "";
}

static size_t text_len(const char *v)
{
	size_t n = strlen(v);
	return n > SVR_IPFIX_NAME_MAX ? SVR_IPFIX_NAME_MAX : n;
}

static size_t record_len(const struct template *t, const struct svr_ipfix_session *s)
{
	size_t n = 0;
	for (unsigned i = 0; i < t->n; i++)
		n += t->f[i].len == VARLEN ? 1 + text_len(text(s, t->f[i].field)) : t->f[i].len;
	return n;
}

static uint64_t number(const struct svr_ipfix_session *s, uint8_t field)
{
	switch (field) {
	case F_START_MS:
		return s->start_ms;
	case F_END_MS:
		return s->end_ms;
	case F_SPORT:
		return s->sport;
	case F_DPORT:
		return s->dport;
	case F_PROTO:
		return s->proto;
	case F_POST_SPORT:
		return s->post_sport;
	case F_POST_DPORT:
		return s->post_dport;
	case F_FWD_OCTETS:
		return s->fwd_octets;
	case F_FWD_PACKETS:
		return s->fwd_packets;
	case F_REV_OCTETS:
		return s->rev_octets;
	case F_REV_PACKETS:
		return s->rev_packets;
	case F_IN_IFACE:
		return s->in_iface;
	case F_OUT_IFACE:
		return s->out_iface;
	case F_END_REASON:
		return s->end_reason;
	case F_KIND:
		return s->kind;
	}
	return 0;
}

static const uint8_t *octets(const struct svr_ipfix_session *s, uint8_t field)
{
	switch (field) {
	case F_SRC4:
	case F_SRC6:
		return s->src;
	case F_DST4:
	case F_DST6:
		return s->dst;
	case F_POST_SRC4:
	case F_POST_SRC6:
		return s->post_src;
	case F_POST_DST4:
	case F_POST_DST6:
		return s->post_dst;
	case F_UUID:
		return s->uuid;
	}
	return NULL;
}

static uint8_t *put_field(uint8_t *p, const struct spec *f, const struct svr_ipfix_session *s)
{
	const uint8_t *raw = octets(s, f->field);
	if (f->len == VARLEN) {
		const char *v = text(s, f->field);
		size_t n = text_len(v);
		*p++ = (uint8_t)n;
		memcpy(p, v, n);
		return p + n;
	}
	if (raw) {
		memcpy(p, raw, f->len);
		return p + f->len;
	}
	uint64_t v = number(s, f->field);
	switch (f->len) {
	case 1:
		*p = (uint8_t)v;
		break;
	case 2:
		put16(p, (uint16_t)v);
		break;
	case 4:
		put32(p, (uint32_t)v);
		break;
	default:
		put64(p, v);
		break;
	}
	return p + f->len;
}

bool svr_ipfix_msg_add(struct svr_ipfix_msg *m, const struct svr_ipfix_session *s)
{
	uint16_t id = svr_ipfix_template_of(s);
	const struct template *t = template_by_id(id);
	size_t need = record_len(t, s);
	if (!set_open(m, id, need))
		return false;
	uint8_t *p = m->buf + m->len;
	for (unsigned i = 0; i < t->n; i++)
		p = put_field(p, &t->f[i], s);
	m->len += need;
	m->records++;
	return true;
}

size_t svr_ipfix_msg_end(struct svr_ipfix_msg *m)
{
	set_close(m);
	if (m->len <= SVR_IPFIX_HEADER_LEN)
		return 0;
	put16(m->buf, SVR_IPFIX_VERSION);
	put16(m->buf + 2, (uint16_t)m->len);
	return m->len;
}

void svr_ipfix_msg_stamp(uint8_t *msg, size_t len, uint32_t export_s, uint32_t seq, uint32_t domain)
{
	if (len < SVR_IPFIX_HEADER_LEN)
		return;
	put32(msg + 4, export_s);
	put32(msg + 8, seq);
	put32(msg + 12, domain);
}
