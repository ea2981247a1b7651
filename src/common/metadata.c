/* SPDX-License-Identifier: BSD-3-Clause */
/* The SVR metadata codec (include/svr/metadata.h; svr-protocol.md §2). */
#include "svr/metadata.h"

#include <stdio.h>
#include <string.h>

#include "common/bytes.h"

const uint8_t svr_md_cookie[SVR_MD_COOKIE_LEN] = {0x4c, 0x48, 0xdb, 0xc6, 0xdd, 0xf6, 0x67, 0x0c};

#define TLV_HDR 4

static int fail(char *err, size_t errlen, const char *fmt, unsigned a, unsigned b)
{
	if (err && errlen)
		snprintf(err, errlen, fmt, a, b);
	return -1;
}

bool svr_md_has_cookie(const uint8_t *p, size_t len)
{
	return len >= SVR_MD_COOKIE_LEN && memcmp(p, svr_md_cookie, SVR_MD_COOKIE_LEN) == 0;
}

int svr_md_layout(const uint8_t *p, size_t len, struct svr_md_layout *l, char *err, size_t errlen)
{
	if (len < SVR_MD_FIXED_LEN || !svr_md_has_cookie(p, len))
		return fail(err, errlen, "no metadata cookie (%u bytes)", (unsigned)len, 0);
	unsigned version = p[8] >> 4;
	l->header_len = svr_rd16(p + 8) & 0x0fff;
	l->payload_len = svr_rd16(p + 10);
	if (version != SVR_MD_VERSION)
		return fail(err, errlen, "metadata version %u (only %u is defined)", version,
			    SVR_MD_VERSION);
	if (l->header_len < SVR_MD_FIXED_LEN)
		return fail(err, errlen, "header length %u is below the %u fixed bytes",
			    l->header_len, SVR_MD_FIXED_LEN);
	if ((size_t)l->header_len + l->payload_len > len)
		return fail(err, errlen, "header %u + payload %u bytes run past the packet",
			    l->header_len, l->payload_len);
	return 0;
}

/* Well-formed UTF-8 without NUL (RFC 3629: no overlongs, no surrogates, at most U+10FFFF). */
static bool utf8_ok(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint8_t c = s[i];
		size_t k;
		uint32_t cp, min;
		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			k = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			k = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			k = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (i + k >= n) /* its continuation bytes are cut off */
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k + 1;
	}
	return true;
}

/* A name of len bytes: 1-255 bytes of UTF-8 (O-19), kept NUL-terminated. */
static bool name_set(struct svr_md_name *n, const uint8_t *s, size_t len)
{
	if (len == 0 || len > SVR_MD_STR_MAX || !utf8_ok(s, len))
		return false;
	n->len = (uint8_t)len;
	memcpy(n->s, s, len);
	n->s[len] = '\0';
	return true;
}

bool svr_md_set_name(struct svr_md_name *n, const char *s)
{
	return name_set(n, (const uint8_t *)s, s ? strlen(s) : 0);
}

static void get_ctx(const uint8_t *v, uint8_t family, struct svr_md_ctx *c)
{
	size_t a = family == 4 ? 4 : 16;
	memset(c, 0, sizeof(*c));
	c->family = family;
	memcpy(c->src, v, a);
	memcpy(c->dst, v + a, a);
	c->sport = svr_rd16(v + 2 * a);
	c->dport = svr_rd16(v + 2 * a + 2);
	c->proto = v[2 * a + 4];
}

/* TLV 26's 10 value bytes (include/svr/metadata.h). */
static void get_path_metrics(const uint8_t *v, struct svr_md_path_metrics *pm)
{
	uint32_t tx = svr_rd32(v), rx = svr_rd32(v + 4);
	uint16_t count = svr_rd16(v + 8);
	pm->tx_colour = (uint8_t)(tx >> 28);
	pm->tx_ms = tx & SVR_MD_PM_TIME_MASK;
	pm->rx_colour = (uint8_t)(rx >> 28);
	pm->rx_ms = rx & SVR_MD_PM_TIME_MASK;
	pm->drop = count >> 15;
	pm->rx_count = count & SVR_MD_PM_COUNT_MAX;
}

static void put_path_metrics(uint8_t *v, const struct svr_md_path_metrics *pm)
{
	svr_wr32(v, (uint32_t)(pm->tx_colour & 0xf) << 28 | (pm->tx_ms & SVR_MD_PM_TIME_MASK));
	svr_wr32(v + 4, (uint32_t)(pm->rx_colour & 0xf) << 28 | (pm->rx_ms & SVR_MD_PM_TIME_MASK));
	svr_wr16(v + 8, (uint16_t)((pm->drop ? 0x8000 : 0) | (pm->rx_count & SVR_MD_PM_COUNT_MAX)));
}

/* The field a name type fills, or NULL. */
static struct svr_md_name *name_of(struct svr_md *md, uint16_t type, uint32_t *flag)
{
	switch (type) {
	case SVR_MD_TENANT:
		return *flag = SVR_MDF_TENANT, &md->tenant;
	case SVR_MD_SERVICE:
		return *flag = SVR_MDF_SERVICE, &md->service;
	case SVR_MD_SRC_ROUTER:
		return *flag = SVR_MDF_SRC_ROUTER, &md->src_router;
	case SVR_MD_DST_ROUTER:
		return *flag = SVR_MDF_DST_ROUTER, &md->dst_router;
	case SVR_MD_PEER_PATH:
		return *flag = SVR_MDF_PEER_PATH, &md->peer_path;
	case SVR_MD_SEC_POLICY:
		return *flag = SVR_MDF_SEC_POLICY, &md->sec_policy;
	case SVR_MD_APP_NAME:
		return *flag = SVR_MDF_APP_NAME, &md->app_name;
	}
	return NULL;
}

/* Fixed value length of a type, -1 for names and skipped types (checked elsewhere). */
static int fixed_len(uint16_t type)
{
	switch (type) {
	case SVR_MD_FRAGMENT:
	case SVR_MD_PATH_METRICS:
		return 10;
	case SVR_MD_FWD_CTX4:
	case SVR_MD_REV_CTX4:
		return 13;
	case SVR_MD_FWD_CTX6:
	case SVR_MD_REV_CTX6:
		return 37;
	case SVR_MD_SESSION_UUID:
	case SVR_MD_ICMP_ERR_LOC6:
		return 16;
	case SVR_MD_GIID:
	case SVR_MD_SECURITY_ID:
	case SVR_MD_ICMP_ERR_LOC4:
	case SVR_MD_SRC_NAT4:
	case SVR_MD_REMAINING_TIME:
		return 4;
	case SVR_MD_SESSION_ENCRYPTED:
	case SVR_MD_TCP_SYN:
	case SVR_MD_DISABLE_FWD_MD:
		return 0;
	case SVR_MD_NUM_SESSIONS:
		return 8;
	case SVR_MD_CONTROL:
		return 1;
	case SVR_MD_MODIFY:
		return 2;
	}
	return -1;
}

static int decode_one(uint16_t type, const uint8_t *v, uint16_t n, bool in_header,
		      struct svr_md *md, char *err, size_t errlen)
{
	int want = fixed_len(type);
	if (want >= 0 && n != want)
		return fail(err, errlen, "TLV %u has length %u", type, n);
	uint32_t flag = 0;
	struct svr_md_name *name = name_of(md, type, &flag);
	if (name) {
		if (!name_set(name, v, n))
			return fail(err, errlen,
				    "TLV %u: a name of %u bytes that is not 1-255 bytes "
				    "of UTF-8",
				    type, n);
		md->present |= flag;
		return 0;
	}
	switch (type) {
	case SVR_MD_FRAGMENT:
		md->frag.ext_id = svr_rd32(v);
		md->frag.orig_id = svr_rd16(v + 4);
		md->frag.df = v[6] & 0x40;
		md->frag.mf = v[6] & 0x20;
		md->frag.offset = svr_rd16(v + 6) & 0x1fff;
		md->frag.largest = svr_rd16(v + 8);
		flag = SVR_MDF_FRAGMENT;
		break;
	case SVR_MD_FWD_CTX4:
	case SVR_MD_FWD_CTX6:
	case SVR_MD_REV_CTX4:
	case SVR_MD_REV_CTX6: {
		bool fwd = type == SVR_MD_FWD_CTX4 || type == SVR_MD_FWD_CTX6;
		flag = fwd ? SVR_MDF_FWD_CTX : SVR_MDF_REV_CTX;
		if (md->present & flag) /* v4 and v6 of one direction */
			return fail(err, errlen, "TLV %u: a second context for this direction",
				    type, 0);
		get_ctx(v, n == 13 ? 4 : 6, fwd ? &md->fwd : &md->rev);
		break;
	}
	case SVR_MD_SESSION_UUID:
		memcpy(md->uuid, v, 16);
		flag = SVR_MDF_UUID;
		break;
	case SVR_MD_GIID:
		md->giid = svr_rd32(v);
		flag = SVR_MDF_GIID;
		break;
	case SVR_MD_SESSION_ENCRYPTED:
		flag = SVR_MDF_SESSION_ENCRYPTED;
		break;
	case SVR_MD_TCP_SYN:
		flag = SVR_MDF_TCP_SYN;
		break;
	case SVR_MD_DISABLE_FWD_MD:
		flag = SVR_MDF_DISABLE_FWD_MD;
		break;
	case SVR_MD_NUM_SESSIONS:
		md->num_sessions = (uint64_t)svr_rd32(v) << 32 | svr_rd32(v + 4);
		flag = SVR_MDF_NUM_SESSIONS;
		break;
	case SVR_MD_SECURITY_ID:
		md->security_id = svr_rd32(v);
		flag = SVR_MDF_SECURITY_ID;
		break;
	case SVR_MD_CONTROL:
		md->control = v[0];
		flag = SVR_MDF_CONTROL;
		break;
	case SVR_MD_SRC_NAT4:
		memcpy(&md->src_nat4, v, 4);
		flag = SVR_MDF_SRC_NAT4;
		break;
	case SVR_MD_ICMP_ERR_LOC4:
		memcpy(&md->icmp_err_loc4, v, 4);
		flag = SVR_MDF_ICMP_ERR_LOC4;
		break;
	case SVR_MD_MODIFY:
		md->modify = svr_rd16(v);
		flag = SVR_MDF_MODIFY;
		break;
	case SVR_MD_PATH_METRICS:
		get_path_metrics(v, &md->pm);
		flag = SVR_MDF_PATH_METRICS;
		break;
	case SVR_MD_REMAINING_TIME:
		md->remaining_s = svr_rd32(v);
		flag = SVR_MDF_REMAINING;
		break;
	case SVR_MD_HEALTH_OR_KEY: /* O-4: one byte in the header is a health check */
		if (in_header && n == 1) {
			md->health = v[0];
			flag = SVR_MDF_HEALTH;
			break;
		}
		md->skipped++;
		return 0;
	default: /* ICMP error location IPv6, multicast, unknown: not used yet */
		md->skipped++;
		return 0;
	}
	md->present |= flag;
	return 0;
}

/* seen: types below 64 decoded so far, over both sections (§2.4: never twice, never in both). */
static int decode_tlvs(const uint8_t *tlvs, size_t len, bool in_header, struct svr_md *md,
		       uint64_t *seen, char *err, size_t errlen)
{
	for (size_t off = 0; off < len;) {
		if (len - off < TLV_HDR)
			return fail(err, errlen, "%u bytes left over after the last TLV",
				    (unsigned)(len - off), 0);
		uint16_t type = svr_rd16(tlvs + off), n = svr_rd16(tlvs + off + 2);
		if (n > len - off - TLV_HDR)
			return fail(err, errlen, "TLV %u of length %u runs past its section", type,
				    n);
		if (type < 64) {
			if (*seen >> type & 1)
				return fail(err, errlen, "TLV %u appears twice", type, 0);
			*seen |= 1ull << type;
		}
		if (decode_one(type, tlvs + off + TLV_HDR, n, in_header, md, err, errlen) < 0)
			return -1;
		off += TLV_HDR + n;
	}
	return 0;
}

int svr_md_decode_tlvs(const uint8_t *tlvs, size_t len, bool in_header, struct svr_md *md,
		       uint64_t *seen, char *err, size_t errlen)
{
	return decode_tlvs(tlvs, len, in_header, md, seen, err, errlen);
}

int svr_md_decode(const uint8_t *p, size_t len, struct svr_md *md, char *err, size_t errlen)
{
	struct svr_md_layout l;
	if (svr_md_layout(p, len, &l, err, errlen) < 0)
		return -1;
	memset(md, 0, sizeof(*md));
	uint64_t seen = 0;
	if (decode_tlvs(p + SVR_MD_FIXED_LEN, l.header_len - SVR_MD_FIXED_LEN, true, md, &seen, err,
			errlen) < 0 ||
	    decode_tlvs(p + l.header_len, l.payload_len, false, md, &seen, err, errlen) < 0)
		return -1;
	return l.header_len + l.payload_len;
}

/* --- encoding --- */

struct writer {
	uint8_t *p;
	size_t cap, len;
	bool full;
};

static uint8_t *tlv(struct writer *w, uint16_t type, uint16_t n)
{
	if (w->full || w->cap - w->len < (size_t)TLV_HDR + n) {
		w->full = true;
		return NULL;
	}
	uint8_t *t = w->p + w->len;
	svr_wr16(t, type);
	svr_wr16(t + 2, n);
	w->len += TLV_HDR + n;
	return t + TLV_HDR;
}

static void put_u32(struct writer *w, uint16_t type, uint32_t v)
{
	uint8_t *p = tlv(w, type, 4);
	if (p)
		svr_wr32(p, v);
}

static void put_name(struct writer *w, uint16_t type, const struct svr_md_name *n)
{
	uint8_t *p = tlv(w, type, n->len);
	if (p)
		memcpy(p, n->s, n->len);
}

static void put_ctx(struct writer *w, bool fwd, const struct svr_md_ctx *c)
{
	bool v4 = c->family == 4;
	size_t a = v4 ? 4 : 16;
	uint16_t type = fwd ? (v4 ? SVR_MD_FWD_CTX4 : SVR_MD_FWD_CTX6)
			    : (v4 ? SVR_MD_REV_CTX4 : SVR_MD_REV_CTX6);
	uint8_t *p = tlv(w, type, (uint16_t)(2 * a + 5));
	if (!p)
		return;
	memcpy(p, c->src, a);
	memcpy(p + a, c->dst, a);
	svr_wr16(p + 2 * a, c->sport);
	svr_wr16(p + 2 * a + 2, c->dport);
	p[2 * a + 4] = c->proto;
}

static bool names_ok(const struct svr_md *md)
{
	const struct {
		uint32_t flag;
		const struct svr_md_name *n;
	} names[] = {
	    {SVR_MDF_TENANT, &md->tenant},         {SVR_MDF_SERVICE, &md->service},
	    {SVR_MDF_SRC_ROUTER, &md->src_router}, {SVR_MDF_DST_ROUTER, &md->dst_router},
	    {SVR_MDF_PEER_PATH, &md->peer_path},   {SVR_MDF_SEC_POLICY, &md->sec_policy},
	    {SVR_MDF_APP_NAME, &md->app_name},
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if ((md->present & names[i].flag) &&
		    (names[i].n->len == 0 ||
		     !utf8_ok((const uint8_t *)names[i].n->s, names[i].n->len)))
			return false;
	return true;
}

static void header_tlvs(struct writer *w, const struct svr_md *md)
{
	uint32_t f = md->present;
	if (f & SVR_MDF_FRAGMENT) {
		uint8_t *p = tlv(w, SVR_MD_FRAGMENT, 10);
		if (p) {
			const struct svr_md_frag *fr = &md->frag;
			svr_wr32(p, fr->ext_id);
			svr_wr16(p + 4, fr->orig_id);
			svr_wr16(p + 6, (uint16_t)((fr->df ? 0x4000 : 0) | (fr->mf ? 0x2000 : 0) |
						   (fr->offset & 0x1fff)));
			svr_wr16(p + 8, fr->largest);
		}
	}
	if (f & SVR_MDF_SECURITY_ID)
		put_u32(w, SVR_MD_SECURITY_ID, md->security_id);
	if (f & SVR_MDF_ICMP_ERR_LOC4) { /* in the clear header, as the protocol's examples */
		uint8_t *p = tlv(w, SVR_MD_ICMP_ERR_LOC4, 4);
		if (p)
			memcpy(p, &md->icmp_err_loc4, 4);
	}
	if (f & SVR_MDF_CONTROL) {
		uint8_t *p = tlv(w, SVR_MD_CONTROL, 1);
		if (p)
			p[0] = md->control;
	}
	if (f & SVR_MDF_PATH_METRICS) { /* header section (§2.5 "H") */
		uint8_t *p = tlv(w, SVR_MD_PATH_METRICS, 10);
		if (p)
			put_path_metrics(p, &md->pm);
	}
	if (f & SVR_MDF_HEALTH) {
		uint8_t *p = tlv(w, SVR_MD_HEALTH_OR_KEY, 1);
		if (p)
			p[0] = md->health;
	}
}

/* Contexts first, then the rest by ascending type (svr-protocol.md §2.4, R). */
static void payload_tlvs(struct writer *w, const struct svr_md *md)
{
	uint32_t f = md->present;
	if (f & SVR_MDF_FWD_CTX)
		put_ctx(w, true, &md->fwd);
	if (f & SVR_MDF_REV_CTX)
		put_ctx(w, false, &md->rev);
	if (f & SVR_MDF_UUID) {
		uint8_t *p = tlv(w, SVR_MD_SESSION_UUID, 16);
		if (p)
			memcpy(p, md->uuid, 16);
	}
	if (f & SVR_MDF_TENANT)
		put_name(w, SVR_MD_TENANT, &md->tenant);
	if (f & SVR_MDF_GIID)
		put_u32(w, SVR_MD_GIID, md->giid);
	if (f & SVR_MDF_SERVICE)
		put_name(w, SVR_MD_SERVICE, &md->service);
	if (f & SVR_MDF_SESSION_ENCRYPTED)
		tlv(w, SVR_MD_SESSION_ENCRYPTED, 0);
	if (f & SVR_MDF_TCP_SYN)
		tlv(w, SVR_MD_TCP_SYN, 0);
	if (f & SVR_MDF_NUM_SESSIONS) {
		uint8_t *p = tlv(w, SVR_MD_NUM_SESSIONS, 8);
		if (p) {
			svr_wr32(p, (uint32_t)(md->num_sessions >> 32));
			svr_wr32(p + 4, (uint32_t)md->num_sessions);
		}
	}
	if (f & SVR_MDF_SRC_ROUTER)
		put_name(w, SVR_MD_SRC_ROUTER, &md->src_router);
	if (f & SVR_MDF_SEC_POLICY)
		put_name(w, SVR_MD_SEC_POLICY, &md->sec_policy);
	if (f & SVR_MDF_DST_ROUTER)
		put_name(w, SVR_MD_DST_ROUTER, &md->dst_router);
	if (f & SVR_MDF_DISABLE_FWD_MD)
		tlv(w, SVR_MD_DISABLE_FWD_MD, 0);
	if (f & SVR_MDF_PEER_PATH)
		put_name(w, SVR_MD_PEER_PATH, &md->peer_path);
	if (f & SVR_MDF_SRC_NAT4) {
		uint8_t *p = tlv(w, SVR_MD_SRC_NAT4, 4);
		if (p)
			memcpy(p, &md->src_nat4, 4);
	}
	if (f & SVR_MDF_MODIFY) {
		uint8_t *p = tlv(w, SVR_MD_MODIFY, 2);
		if (p)
			svr_wr16(p, md->modify);
	}
	if (f & SVR_MDF_APP_NAME)
		put_name(w, SVR_MD_APP_NAME, &md->app_name);
	if (f & SVR_MDF_REMAINING)
		put_u32(w, SVR_MD_REMAINING_TIME, md->remaining_s);
}

size_t svr_md_encode(const struct svr_md *md, uint8_t *out, size_t cap, struct svr_md_layout *l)
{
	if (cap < SVR_MD_FIXED_LEN || !names_ok(md))
		return 0;
	struct writer w = {.p = out, .cap = cap, .len = SVR_MD_FIXED_LEN};
	header_tlvs(&w, md);
	size_t header_len = w.len;
	payload_tlvs(&w, md);
	size_t payload_len = w.len - header_len;
	if (w.full || header_len > SVR_MD_MAX_HEADER || payload_len > UINT16_MAX)
		return 0;
	memcpy(out, svr_md_cookie, SVR_MD_COOKIE_LEN);
	svr_wr16(out + 8, (uint16_t)(SVR_MD_VERSION << 12 | header_len));
	svr_wr16(out + 10, (uint16_t)payload_len);
	if (l) {
		l->header_len = (uint16_t)header_len;
		l->payload_len = (uint16_t)payload_len;
	}
	return w.len;
}

void svr_md_marker(uint8_t out[SVR_MD_FIXED_LEN])
{
	memcpy(out, svr_md_cookie, SVR_MD_COOKIE_LEN);
	svr_wr16(out + 8, SVR_MD_VERSION << 12 | SVR_MD_FIXED_LEN);
	svr_wr16(out + 10, 0);
}
