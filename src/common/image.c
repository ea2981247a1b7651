/* SPDX-License-Identifier: BSD-3-Clause */
#include "common/image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crc32c.h"
#include "common/log.h"

/* The layouts have no implicit padding (both programs read the same bytes; reserved fields
 * are explicit): the version-3 additions keep it so. */
_Static_assert(sizeof(struct svr_img_peer_path) == 112, "peer path: 60 bytes + next hop, timers");
_Static_assert(sizeof(struct svr_img_policy) == 72, "policy: 64 bytes + revert/dwell");
_Static_assert(sizeof(struct svr_img_limits) == 24, "limits: 16 bytes + degraded_pct");
_Static_assert(sizeof(struct svr_img_collector) == 28, "collector: address, port, transport");
_Static_assert(sizeof(struct svr_img_ipfix) == 16, "ipfix: four numbers");
_Static_assert(sizeof(struct svr_img_host_access) == 24, "host access: 8 bytes, range, mask");

static const uint32_t entry_sizes[SVR_SEC_COUNT] = {
    [SVR_SEC_STRINGS] = 1,
    [SVR_SEC_PREFIXES] = sizeof(struct svr_img_prefix),
    [SVR_SEC_INTERFACES] = sizeof(struct svr_img_iface),
    [SVR_SEC_ROUTES] = sizeof(struct svr_img_route),
    [SVR_SEC_NEIGHBORS] = sizeof(struct svr_img_neigh),
    [SVR_SEC_TENANTS] = sizeof(struct svr_img_tenant),
    [SVR_SEC_TENANT_MEMBERS] = sizeof(struct svr_img_member),
    [SVR_SEC_SERVICES] = sizeof(struct svr_img_service),
    [SVR_SEC_TRANSPORTS] = sizeof(struct svr_img_transport),
    [SVR_SEC_ACCESS_RULES] = sizeof(struct svr_img_access),
    [SVR_SEC_SERVICE_CLASSES] = sizeof(struct svr_img_class),
    [SVR_SEC_SERVICE_POLICIES] = sizeof(struct svr_img_policy),
    [SVR_SEC_POLICY_VECTORS] = sizeof(struct svr_img_vector),
    [SVR_SEC_SECURITY_POLICIES] = sizeof(struct svr_img_security),
    [SVR_SEC_PEERS] = sizeof(struct svr_img_peer),
    [SVR_SEC_PEER_PATHS] = sizeof(struct svr_img_peer_path),
    [SVR_SEC_SERVICE_ROUTES] = sizeof(struct svr_img_service_route),
    [SVR_SEC_IFACE_HOODS] = sizeof(struct svr_img_hood),
    [SVR_SEC_COLLECTORS] = sizeof(struct svr_img_collector),
    [SVR_SEC_HOST_ACCESS] = sizeof(struct svr_img_host_access),
};

static const char *const section_names[SVR_SEC_COUNT] = {
    "strings",        "prefixes",          "interfaces",
    "routes",         "neighbors",         "tenants",
    "tenant-members", "services",          "transports",
    "access-rules",   "service-classes",   "service-policies",
    "policy-vectors", "security-policies", "peers",
    "peer-paths",     "service-routes",    "interface-neighborhoods",
    "collectors",     "host-access",
};

uint32_t svr_img_entry_size(enum svr_img_section s)
{
	return entry_sizes[s];
}

void svr_img_builder_init(struct svr_img_builder *b)
{
	memset(b, 0, sizeof(*b));
	/* Offset 0 of the string table is the empty string. */
	svr_img_str_add(b, "");
}

void svr_img_builder_free(struct svr_img_builder *b)
{
	for (int s = 0; s < SVR_SEC_COUNT; s++)
		free(b->sec[s].data);
	free(b->str_slots);
	memset(b, 0, sizeof(*b));
}

static uint32_t append(struct svr_img_builder *b, enum svr_img_section s, const void *data,
		       size_t len, uint32_t entries)
{
	struct svr_img_buf *sec = &b->sec[s];
	if (sec->len + len > sec->cap) {
		size_t cap = sec->cap ? sec->cap * 2 : 4096;
		while (cap < sec->len + len)
			cap *= 2;
		uint8_t *d = realloc(sec->data, cap);
		if (!d) {
			b->failed = true;
			return SVR_IMG_NONE;
		}
		sec->data = d;
		sec->cap = cap;
	}
	uint32_t at = s == SVR_SEC_STRINGS ? (uint32_t)sec->len : sec->count;
	memcpy(sec->data + sec->len, data, len);
	sec->len += len;
	sec->count += entries;
	return at;
}

uint32_t svr_img_add(struct svr_img_builder *b, enum svr_img_section s, const void *entry)
{
	return append(b, s, entry, entry_sizes[s], 1);
}

static uint32_t str_hash(const char *s)
{
	uint32_t h = 2166136261u;
	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

/* Keeps the intern table at most half full; false when out of memory. */
static bool str_table_room(struct svr_img_builder *b)
{
	if (b->str_slots && (b->str_used + 1) * 2 <= b->str_mask + 1)
		return true;
	uint32_t size = b->str_slots ? (b->str_mask + 1) * 2 : 1024;
	uint32_t *slots = calloc(size, sizeof(*slots));
	if (!slots)
		return false;
	const char *pool = (const char *)b->sec[SVR_SEC_STRINGS].data;
	for (uint32_t i = 0; b->str_slots && i <= b->str_mask; i++) {
		uint32_t v = b->str_slots[i];
		if (!v)
			continue;
		uint32_t j = str_hash(pool + v - 1) & (size - 1);
		while (slots[j])
			j = (j + 1) & (size - 1);
		slots[j] = v;
	}
	free(b->str_slots);
	b->str_slots = slots;
	b->str_mask = size - 1;
	return true;
}

uint32_t svr_img_str_add(struct svr_img_builder *b, const char *str)
{
	if (!str_table_room(b)) {
		b->failed = true;
		return 0;
	}
	uint32_t j = str_hash(str) & b->str_mask;
	for (;; j = (j + 1) & b->str_mask) {
		uint32_t v = b->str_slots[j];
		if (!v)
			break;
		if (strcmp((const char *)b->sec[SVR_SEC_STRINGS].data + v - 1, str) == 0)
			return v - 1;
	}
	size_t n = strlen(str) + 1;
	uint32_t off = append(b, SVR_SEC_STRINGS, str, n, (uint32_t)n);
	if (off != SVR_IMG_NONE) {
		b->str_slots[j] = off + 1;
		b->str_used++;
	}
	return off;
}

uint32_t svr_img_next(const struct svr_img_builder *b, enum svr_img_section s)
{
	return b->sec[s].count;
}

uint32_t svr_img_prefix_add(struct svr_img_builder *b, const struct svr_prefix *p)
{
	struct svr_img_prefix ip = {.family = p->ip.family, .len = p->len};
	memcpy(ip.addr, p->ip.addr, 16);
	return svr_img_add(b, SVR_SEC_PREFIXES, &ip);
}

void svr_img_prefix_to(const struct svr_img_prefix *ip, struct svr_prefix *p)
{
	memset(p, 0, sizeof(*p));
	p->ip.family = ip->family;
	p->len = ip->len;
	memcpy(p->ip.addr, ip->addr, 16);
}

static size_t align_up(size_t n)
{
	return (n + SVR_IMG_ALIGN - 1) & ~(size_t)(SVR_IMG_ALIGN - 1);
}

static uint32_t image_crc(const void *img, size_t len)
{
	const uint8_t *p = img;
	size_t at = offsetof(struct svr_img_header, checksum);
	const uint32_t zero = 0;
	uint32_t crc = svr_crc32c(0, p, at);
	crc = svr_crc32c(crc, &zero, sizeof(zero));
	return svr_crc32c(crc, p + at + sizeof(zero), len - at - sizeof(zero));
}

void svr_img_seal(void *img)
{
	struct svr_img_header *h = img;
	h->checksum = image_crc(img, h->length);
}

int svr_img_finish(struct svr_img_builder *b, const struct svr_img_header *hdr, size_t max_len,
		   void **out, size_t *out_len)
{
	if (b->failed)
		return -1;
	size_t len = align_up(sizeof(struct svr_img_header));
	size_t offs[SVR_SEC_COUNT];
	for (int s = 0; s < SVR_SEC_COUNT; s++) {
		offs[s] = len;
		len = align_up(len + b->sec[s].len);
	}
	if (len > max_len || len > UINT32_MAX)
		return -1;
	uint8_t *img = calloc(1, len);
	if (!img)
		return -1;
	struct svr_img_header *h = (struct svr_img_header *)img;
	*h = *hdr;
	h->magic = SVR_IMAGE_MAGIC;
	h->version = SVR_IMAGE_VERSION;
	h->header_size = sizeof(*h);
	h->length = len;
	for (int s = 0; s < SVR_SEC_COUNT; s++) {
		h->sections[s] = (struct svr_img_section_desc){
		    .offset = (uint32_t)offs[s],
		    .count = b->sec[s].count,
		    .entry_size = entry_sizes[s],
		};
		if (b->sec[s].len)
			memcpy(img + offs[s], b->sec[s].data, b->sec[s].len);
	}
	svr_img_seal(img);
	*out = img;
	*out_len = len;
	return 0;
}

/* --- checking ---
 *
 * svr_img_check is the only gate between bytes and the dataplane: whatever it
 * accepts, every consumer may index without checking again. It fails closed:
 * a value it does not know is refused, never taken for a default. The checks:
 *
 * Header: at least a header's bytes; magic; version; header_size; length equal
 *   to the bytes received; CRC-32C. router_name, authority_name: strings.
 *   inter_router_security: a security policy or NONE.
 * Sections: entry_size is the reader's sizeof; offset SVR_IMG_ALIGN-aligned,
 *   after the header; offset + count * entry_size (64-bit, cannot overflow)
 *   within the image; no two non-empty sections share a byte. The string
 *   table is not empty and ends in NUL, so every string offset below it ends
 *   inside it.
 * Every string field: an offset inside the string table.
 * Every index field: below its table's count (NONE only where the format says).
 *   A tenant's parent chain ends within SVR_IMG_TENANT_DEPTH_MAX hops (no cycle).
 * Every range (first, count): first + count (64-bit) within its table. The
 *   tables only one kind of entry refers to — tenant members, interface
 *   neighborhoods, transports, access rules, policy vectors, peer paths — are
 *   owned: their ranges, in table order, ascend without overlapping, so one
 *   entry belongs to one owner and a consumer may size by the section. (Prefix
 *   ranges may be shared; the classifier sizes its tables by what they add.)
 * Enumerations and flags, each refused when unknown:
 *   prefix family 4/6 with len <= 32/128 (an interface's gateway without
 *   HAS_GW, a peer path's nexthop: family 0 too);
 *   interface flags (SOURCE_NAT, HAS_MAC, HAS_GW only), vlan <= 4094, mtu >= 68;
 *   transport has_ports 0/1, port_lo <= port_hi;
 *   access permission DENY/ALLOW;
 *   class priority 0-3, dscp 0-63 or SVR_IMG_DSCP_KEEP, degraded_action
 *   NONE/RATE_LIMIT/BLOCK;
 *   policy best_effort 0/1, resiliency NONE..DUPLICATE;
 *   security hmac_cipher NONE/SHA256_128/SHA256, hmac_mode TIME_BASED/REGULAR,
 *   encryption_cipher NONE/AES_CBC_128/AES_CBC_256, encrypt_payload 0/1;
 *   peer path remote ports lo <= hi; its BFD and link-test numbers within the
 *   model's ranges (image.h), hold-down <= max hold-down, bfd_enabled 0/1 (a
 *   zero interval would make a timer spin);
 *   header limits.degraded_pct 0-100;
 *   collector address a host (IPv4 /32 or IPv6 /128), port > 0, transport UDP/TCP;
 *   with collectors, header ipfix.template_refresh_s >= 1;
 *   service route kind PEER (peer index) / NEXT_HOP (iface index) / NAT_TARGET,
 *   and its address for the latter two;
 *   host-access flags FROM_CONNECTED and ALL_IFACES only, has_ports 0/1 and only on tcp/udp,
 *   port_lo <= port_hi, sources a prefix range that is empty exactly when FROM_CONNECTED,
 *   ifaces bits only of existing interfaces, none exactly when ALL_IFACES.
 * Not checked: reserved fields (never read), and numbers the format leaves
 * open (timeouts, rates, capacities, costs, SLA limits, session limits,
 * revert hold-down and minimum dwell, generation).
 */

struct checker {
	const uint8_t *img;
	const struct svr_img_header *h;
	char *err;
	size_t errlen;
};

/* Checks return through this: the sentence goes to the caller's buffer. */
#define fail(c, ...) svr_errf((c)->err, (c)->errlen, __VA_ARGS__)

static uint32_t count_of(const struct checker *c, enum svr_img_section s)
{
	return c->h->sections[s].count;
}

#define IFACE_FLAGS (SVR_IMG_IFACE_SOURCE_NAT | SVR_IMG_IFACE_HAS_MAC | SVR_IMG_IFACE_HAS_GW)

static const void *entry(const struct checker *c, enum svr_img_section s, uint32_t i)
{
	return c->img + c->h->sections[s].offset + (size_t)i * entry_sizes[s];
}

#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if ((x) < 0)                                                                       \
			return -1;                                                                 \
	} while (0)

/* An index into table s, or SVR_IMG_NONE when allowed. */
static int check_index(struct checker *c, uint32_t idx, enum svr_img_section s, bool none_ok,
		       enum svr_img_section from, uint32_t i, const char *field)
{
	if (idx == SVR_IMG_NONE && none_ok)
		return 0;
	if (idx >= count_of(c, s))
		return fail(c, "%s[%u].%s: index %u beyond the %u %s", section_names[from], i,
			    field, idx, count_of(c, s), section_names[s]);
	return 0;
}

static int check_range(struct checker *c, const struct svr_img_range *r, enum svr_img_section s,
		       enum svr_img_section from, uint32_t i, const char *field)
{
	uint64_t end = (uint64_t)r->first + r->count;
	if (r->count && end > count_of(c, s))
		return fail(c, "%s[%u].%s: entries %u+%u beyond the %u %s", section_names[from], i,
			    field, r->first, r->count, count_of(c, s), section_names[s]);
	return 0;
}

/*
 * A range into a table that one kind of entry owns: besides lying inside it, it
 * starts at or after *next, where the owner before it ended (table order).
 */
static int check_owned_range(struct checker *c, const struct svr_img_range *r,
			     enum svr_img_section s, enum svr_img_section from, uint32_t i,
			     const char *field, uint64_t *next)
{
	CHECK(check_range(c, r, s, from, i, field));
	if (r->count == 0)
		return 0;
	if (r->first < *next)
		return fail(c, "%s[%u].%s: entries %u+%u overlap an earlier entry's %s",
			    section_names[from], i, field, r->first, r->count, section_names[s]);
	*next = (uint64_t)r->first + r->count;
	return 0;
}

/* A field of one byte that holds an enumeration (or a boolean): at most max. */
static int check_enum(struct checker *c, unsigned v, unsigned max, enum svr_img_section from,
		      uint32_t i, const char *field)
{
	if (v > max)
		return fail(c, "%s[%u].%s: unknown value %u", section_names[from], i, field, v);
	return 0;
}

static int check_string(struct checker *c, uint32_t off, enum svr_img_section from, uint32_t i,
			const char *field)
{
	if (off >= count_of(c, SVR_SEC_STRINGS))
		return fail(c, "%s[%u].%s: string offset %u beyond the string table",
			    section_names[from], i, field, off);
	return 0;
}

static int check_prefix(struct checker *c, const struct svr_img_prefix *p, bool zero_ok,
			enum svr_img_section from, uint32_t i, const char *field)
{
	if (zero_ok && p->family == 0)
		return 0;
	if ((p->family != 4 || p->len > 32) && (p->family != 6 || p->len > 128))
		return fail(c, "%s[%u].%s: not an IPv4 or IPv6 prefix", section_names[from], i,
			    field);
	return 0;
}

/* A number of a section's entry within lo-hi. */
static int check_between(struct checker *c, uint64_t v, uint64_t lo, uint64_t hi,
			 enum svr_img_section from, uint32_t i, const char *field)
{
	if (v < lo || v > hi)
		return fail(c, "%s[%u].%s: %llu is not within %llu-%llu", section_names[from], i,
			    field, (unsigned long long)v, (unsigned long long)lo,
			    (unsigned long long)hi);
	return 0;
}

/* A peer path's BFD and link-test numbers: the model's ranges (include/svr/image.h). */
static int check_path_timers(struct checker *c, const struct svr_img_peer_path *e, uint32_t i)
{
	const enum svr_img_section S = SVR_SEC_PEER_PATHS;
	CHECK(check_between(c, e->bfd_tx_ms, 10, 600000, S, i, "bfd-tx-ms"));
	CHECK(check_between(c, e->bfd_rx_ms, 10, 600000, S, i, "bfd-rx-ms"));
	CHECK(check_between(c, e->bfd_mult, 3, 20, S, i, "bfd-mult"));
	CHECK(check_enum(c, e->bfd_enabled, 1, S, i, "bfd-enabled"));
	CHECK(check_between(c, e->hold_down_s, 0, 300, S, i, "hold-down-s"));
	CHECK(check_between(c, e->max_hold_down_s, e->hold_down_s, 3600, S, i, "max-hold-down-s"));
	CHECK(check_between(c, e->link_test_interval_s, 1, 3600, S, i, "link-test-interval-s"));
	CHECK(check_between(c, e->link_test_length, 1, 100, S, i, "link-test-length"));
	return check_between(c, e->echo_interval_ms, 10, 10000, S, i, "echo-interval-ms");
}

/* Every tenant's parent chain ends (parent indices are checked already): no cycle. */
static int check_tenant_ancestry(struct checker *c)
{
	for (uint32_t i = 0; i < count_of(c, SVR_SEC_TENANTS); i++) {
		const struct svr_img_tenant *t = entry(c, SVR_SEC_TENANTS, i);
		for (int hops = 0; t->parent != SVR_IMG_NONE; hops++) {
			if (hops == SVR_IMG_TENANT_DEPTH_MAX)
				return fail(c,
					    "tenants[%u].parent: a cycle or more than %d ancestors",
					    i, SVR_IMG_TENANT_DEPTH_MAX);
			t = entry(c, SVR_SEC_TENANTS, t->parent);
		}
	}
	return 0;
}

/* Tenants' kernel routing tables: none of the kernel's reserved three (253 default, 254 main:
 * 0 says main, 255 local), and at most SVR_IMG_TENANT_TABLES_MAX distinct ones, each of which
 * the dataplane gives a FIB. */
static int check_tenant_tables(struct checker *c)
{
	uint32_t seen[SVR_IMG_TENANT_TABLES_MAX];
	unsigned n = 0;
	for (uint32_t i = 0; i < count_of(c, SVR_SEC_TENANTS); i++) {
		uint32_t t =
		    ((const struct svr_img_tenant *)entry(c, SVR_SEC_TENANTS, i))->routing_table;
		if (t >= 253 && t <= 255)
			return fail(c, "tenants[%u].routing-table: %u is reserved by the kernel", i,
				    t);
		bool known = t == 0;
		for (unsigned k = 0; k < n && !known; k++)
			known = seen[k] == t;
		if (known)
			continue;
		if (n == SVR_IMG_TENANT_TABLES_MAX)
			return fail(c, "tenants[%u].routing-table: more than %d distinct tables", i,
				    SVR_IMG_TENANT_TABLES_MAX);
		seen[n++] = t;
	}
	return 0;
}

static int check_entries(struct checker *c)
{
	const enum svr_img_section P = SVR_SEC_PREFIXES;
	/* where the previous owner's range ended, per owned table */
	uint64_t next_hood = 0, next_member = 0, next_transport = 0, next_access = 0,
		 next_vector = 0, next_path = 0;
	for (uint32_t i = 0; i < count_of(c, P); i++)
		CHECK(check_prefix(c, entry(c, P, i), false, P, i, "prefix"));

	for (uint32_t i = 0; i < count_of(c, SVR_SEC_INTERFACES); i++) {
		const struct svr_img_iface *e = entry(c, SVR_SEC_INTERFACES, i);
		const enum svr_img_section S = SVR_SEC_INTERFACES;
		CHECK(check_string(c, e->name, S, i, "name"));
		CHECK(check_string(c, e->device, S, i, "device"));
		CHECK(check_index(c, e->tenant, SVR_SEC_TENANTS, true, S, i, "tenant"));
		CHECK(check_range(c, &e->addresses, P, S, i, "addresses"));
		CHECK(check_owned_range(c, &e->hoods, SVR_SEC_IFACE_HOODS, S, i, "hoods",
					&next_hood));
		CHECK(check_prefix(c, &e->gateway, !(e->flags & SVR_IMG_IFACE_HAS_GW), S, i,
				   "gateway"));
		if (e->flags & ~IFACE_FLAGS)
			return fail(c, "interfaces[%u].flags: unknown flags 0x%x", i,
				    e->flags & ~IFACE_FLAGS);
		if (e->vlan > 4094 || e->mtu < 68)
			return fail(c, "interfaces[%u]: vlan %u or mtu %u out of range", i, e->vlan,
				    e->mtu);
	}
	for (uint32_t i = 0; i < count_of(c, SVR_SEC_IFACE_HOODS); i++) {
		const struct svr_img_hood *e = entry(c, SVR_SEC_IFACE_HOODS, i);
		CHECK(check_string(c, e->name, SVR_SEC_IFACE_HOODS, i, "name"));
		CHECK(check_string(c, e->vector, SVR_SEC_IFACE_HOODS, i, "vector"));
	}
	for (uint32_t i = 0; i < count_of(c, SVR_SEC_ROUTES); i++) {
		const struct svr_img_route *e = entry(c, SVR_SEC_ROUTES, i);
		CHECK(check_prefix(c, &e->prefix, false, SVR_SEC_ROUTES, i, "prefix"));
		CHECK(check_prefix(c, &e->gateway, false, SVR_SEC_ROUTES, i, "gateway"));
		CHECK(check_index(c, e->iface, SVR_SEC_INTERFACES, false, SVR_SEC_ROUTES, i,
				  "iface"));
	}
	for (uint32_t i = 0; i < count_of(c, SVR_SEC_NEIGHBORS); i++) {
		const struct svr_img_neigh *e = entry(c, SVR_SEC_NEIGHBORS, i);
		CHECK(check_prefix(c, &e->address, false, SVR_SEC_NEIGHBORS, i, "address"));
		CHECK(check_index(c, e->iface, SVR_SEC_INTERFACES, false, SVR_SEC_NEIGHBORS, i,
				  "iface"));
	}
	for (uint32_t i = 0; i < count_of(c, SVR_SEC_TENANTS); i++) {
		const struct svr_img_tenant *e = entry(c, SVR_SEC_TENANTS, i);
		CHECK(check_string(c, e->name, SVR_SEC_TENANTS, i, "name"));
		CHECK(
		    check_index(c, e->parent, SVR_SEC_TENANTS, true, SVR_SEC_TENANTS, i, "parent"));
		CHECK(check_owned_range(c, &e->members, SVR_SEC_TENANT_MEMBERS, SVR_SEC_TENANTS, i,
					"members", &next_member));
	}
	CHECK(check_tenant_ancestry(c));
	CHECK(check_tenant_tables(c));
	for (uint32_t i = 0; i < count_of(c, SVR_SEC_TENANT_MEMBERS); i++) {
		const struct svr_img_member *e = entry(c, SVR_SEC_TENANT_MEMBERS, i);
		CHECK(check_string(c, e->neighborhood, SVR_SEC_TENANT_MEMBERS, i, "neighborhood"));
		CHECK(check_index(c, e->prefix, P, false, SVR_SEC_TENANT_MEMBERS, i, "prefix"));
	}
	for (uint32_t i = 0; i < count_of(c, SVR_SEC_SERVICES); i++) {
		const struct svr_img_service *e = entry(c, SVR_SEC_SERVICES, i);
		const enum svr_img_section S = SVR_SEC_SERVICES;
		CHECK(check_string(c, e->name, S, i, "name"));
		CHECK(check_index(c, e->policy, SVR_SEC_SERVICE_POLICIES, true, S, i, "policy"));
		CHECK(
		    check_index(c, e->security, SVR_SEC_SECURITY_POLICIES, true, S, i, "security"));
		CHECK(check_range(c, &e->prefixes, P, S, i, "prefixes"));
		CHECK(check_owned_range(c, &e->transports, SVR_SEC_TRANSPORTS, S, i, "transports",
					&next_transport));
		CHECK(check_owned_range(c, &e->access, SVR_SEC_ACCESS_RULES, S, i, "access",
					&next_access));
	}
	for (uint32_t i = 0; i < count_of(c, SVR_SEC_TRANSPORTS); i++) {
		const struct svr_img_transport *e = entry(c, SVR_SEC_TRANSPORTS, i);
		if (e->port_lo > e->port_hi)
			return fail(c, "transports[%u]: port range %u-%u", i, e->port_lo,
				    e->port_hi);
		CHECK(check_enum(c, e->has_ports, 1, SVR_SEC_TRANSPORTS, i, "has-ports"));
	}
	for (uint32_t i = 0; i < count_of(c, SVR_SEC_ACCESS_RULES); i++) {
		const struct svr_img_access *e = entry(c, SVR_SEC_ACCESS_RULES, i);
		const enum svr_img_section S = SVR_SEC_ACCESS_RULES;
		CHECK(check_index(c, e->tenant, SVR_SEC_TENANTS, true, S, i, "tenant"));
		CHECK(check_index(c, e->prefix, P, true, S, i, "prefix"));
		CHECK(check_enum(c, e->permission, SVR_PERMIT_ALLOW, S, i, "permission"));
	}
	for (uint32_t i = 0; i < count_of(c, SVR_SEC_SERVICE_CLASSES); i++) {
		const struct svr_img_class *e = entry(c, SVR_SEC_SERVICE_CLASSES, i);
		const enum svr_img_section S = SVR_SEC_SERVICE_CLASSES;
		CHECK(check_string(c, e->name, S, i, "name"));
		CHECK(check_enum(c, e->priority, 3, S, i, "priority"));
		if (e->dscp != SVR_IMG_DSCP_KEEP)
			CHECK(check_enum(c, e->dscp, 63, S, i, "dscp"));
		CHECK(
		    check_enum(c, e->degraded_action, SVR_DEGRADED_BLOCK, S, i, "degraded-action"));
	}
	for (uint32_t i = 0; i < count_of(c, SVR_SEC_SERVICE_POLICIES); i++) {
		const struct svr_img_policy *e = entry(c, SVR_SEC_SERVICE_POLICIES, i);
		const enum svr_img_section S = SVR_SEC_SERVICE_POLICIES;
		CHECK(check_string(c, e->name, S, i, "name"));
		CHECK(check_index(c, e->class, SVR_SEC_SERVICE_CLASSES, true, S, i, "class"));
		CHECK(check_owned_range(c, &e->vectors, SVR_SEC_POLICY_VECTORS, S, i, "vectors",
					&next_vector));
		CHECK(check_enum(c, e->best_effort, 1, S, i, "best-effort"));
		CHECK(check_enum(c, e->resiliency, SVR_RESILIENCY_DUPLICATE, S, i, "resiliency"));
	}
	for (uint32_t i = 0; i < count_of(c, SVR_SEC_POLICY_VECTORS); i++) {
		const struct svr_img_vector *e = entry(c, SVR_SEC_POLICY_VECTORS, i);
		CHECK(check_string(c, e->vector, SVR_SEC_POLICY_VECTORS, i, "vector"));
	}
	for (uint32_t i = 0; i < count_of(c, SVR_SEC_SECURITY_POLICIES); i++) {
		const struct svr_img_security *e = entry(c, SVR_SEC_SECURITY_POLICIES, i);
		const enum svr_img_section S = SVR_SEC_SECURITY_POLICIES;
		CHECK(check_string(c, e->name, S, i, "name"));
		CHECK(check_enum(c, e->hmac_cipher, SVR_HMAC_SHA256, S, i, "hmac-cipher"));
		CHECK(check_enum(c, e->hmac_mode, SVR_HMAC_REGULAR, S, i, "hmac-mode"));
		CHECK(check_enum(c, e->encryption_cipher, SVR_CIPHER_AES_CBC_256, S, i,
				 "encryption-cipher"));
		CHECK(check_enum(c, e->encrypt_payload, 1, S, i, "encrypt-payload"));
	}
	for (uint32_t i = 0; i < count_of(c, SVR_SEC_PEERS); i++) {
		const struct svr_img_peer *e = entry(c, SVR_SEC_PEERS, i);
		CHECK(check_string(c, e->name, SVR_SEC_PEERS, i, "name"));
		CHECK(check_owned_range(c, &e->paths, SVR_SEC_PEER_PATHS, SVR_SEC_PEERS, i, "paths",
					&next_path));
	}
	for (uint32_t i = 0; i < count_of(c, SVR_SEC_PEER_PATHS); i++) {
		const struct svr_img_peer_path *e = entry(c, SVR_SEC_PEER_PATHS, i);
		const enum svr_img_section S = SVR_SEC_PEER_PATHS;
		CHECK(
		    check_index(c, e->local_iface, SVR_SEC_INTERFACES, false, S, i, "local-iface"));
		CHECK(check_string(c, e->neighborhood, S, i, "neighborhood"));
		CHECK(check_string(c, e->vector, S, i, "vector"));
		CHECK(
		    check_index(c, e->security, SVR_SEC_SECURITY_POLICIES, true, S, i, "security"));
		CHECK(check_prefix(c, &e->local, false, S, i, "local"));
		CHECK(check_prefix(c, &e->remote, false, S, i, "remote"));
		CHECK(check_prefix(c, &e->nexthop, true, S, i, "nexthop"));
		if (e->remote_port_lo > e->remote_port_hi)
			return fail(c, "peer-paths[%u]: remote port range %u-%u", i,
				    e->remote_port_lo, e->remote_port_hi);
		CHECK(check_path_timers(c, e, i));
	}
	for (uint32_t i = 0; i < count_of(c, SVR_SEC_SERVICE_ROUTES); i++) {
		const struct svr_img_service_route *e = entry(c, SVR_SEC_SERVICE_ROUTES, i);
		const enum svr_img_section S = SVR_SEC_SERVICE_ROUTES;
		CHECK(check_index(c, e->service, SVR_SEC_SERVICES, false, S, i, "service"));
		if (e->kind == SVR_SROUTE_PEER)
			CHECK(check_index(c, e->peer, SVR_SEC_PEERS, false, S, i, "peer"));
		else if (e->kind == SVR_SROUTE_NEXT_HOP)
			CHECK(check_index(c, e->iface, SVR_SEC_INTERFACES, false, S, i, "iface"));
		else if (e->kind != SVR_SROUTE_NAT_TARGET && e->kind != SVR_SROUTE_ROUTING)
			return fail(c, "service-routes[%u].kind: unknown value %u", i, e->kind);
		if (e->kind == SVR_SROUTE_NEXT_HOP || e->kind == SVR_SROUTE_NAT_TARGET)
			CHECK(check_prefix(c, &e->address, false, S, i, "address"));
	}
	for (uint32_t i = 0; i < count_of(c, SVR_SEC_COLLECTORS); i++) {
		const struct svr_img_collector *e = entry(c, SVR_SEC_COLLECTORS, i);
		const enum svr_img_section S = SVR_SEC_COLLECTORS;
		CHECK(check_prefix(c, &e->address, false, S, i, "address"));
		if (e->address.len != (e->address.family == 4 ? 32 : 128))
			return fail(c, "collectors[%u].address: a prefix, not a host", i);
		if (e->port == 0)
			return fail(c, "collectors[%u].port: 0", i);
		if (e->transport != SVR_IMG_COLLECTOR_UDP && e->transport != SVR_IMG_COLLECTOR_TCP)
			return fail(c, "collectors[%u].transport: unknown value %u", i,
				    e->transport);
	}
	return 0;
}

/* The exception policy's rules (include/svr/image.h): each says one thing one way. */
static int check_host_access(struct checker *c)
{
	const enum svr_img_section S = SVR_SEC_HOST_ACCESS;
	uint32_t n_if = count_of(c, SVR_SEC_INTERFACES);
	uint64_t known = n_if >= 64 ? UINT64_MAX : (UINT64_C(1) << n_if) - 1;
	for (uint32_t i = 0; i < count_of(c, S); i++) {
		const struct svr_img_host_access *e = entry(c, S, i);
		bool connected = e->flags & SVR_IMG_HA_FROM_CONNECTED;
		bool all = e->flags & SVR_IMG_HA_ALL_IFACES;
		if (e->flags & ~(SVR_IMG_HA_FROM_CONNECTED | SVR_IMG_HA_ALL_IFACES))
			return fail(c, "host-access[%u].flags: unknown flags 0x%x", i,
				    e->flags &
					~(SVR_IMG_HA_FROM_CONNECTED | SVR_IMG_HA_ALL_IFACES));
		CHECK(check_enum(c, e->has_ports, 1, S, i, "has-ports"));
		if (e->has_ports && e->protocol != SVR_PROTO_TCP && e->protocol != SVR_PROTO_UDP)
			return fail(c, "host-access[%u]: ports on protocol %u", i, e->protocol);
		if (e->port_lo > e->port_hi)
			return fail(c, "host-access[%u]: port range %u-%u", i, e->port_lo,
				    e->port_hi);
		CHECK(check_range(c, &e->from, SVR_SEC_PREFIXES, S, i, "from"));
		if (connected != (e->from.count == 0))
			return fail(c, "host-access[%u].from: %u prefixes with flags 0x%x", i,
				    e->from.count, e->flags);
		if ((e->ifaces & ~known) || all != (e->ifaces == 0))
			return fail(c, "host-access[%u].ifaces: 0x%llx with %u interfaces", i,
				    (unsigned long long)e->ifaces, n_if);
	}
	return 0;
}

static uint64_t section_end(const struct checker *c, int s)
{
	const struct svr_img_section_desc *d = &c->h->sections[s];
	return d->offset + (uint64_t)d->count * entry_sizes[s];
}

/* No byte belongs to two sections (each is within the image already). */
static int check_sections_apart(struct checker *c)
{
	for (int a = 0; a < SVR_SEC_COUNT; a++)
		for (int b = a + 1; b < SVR_SEC_COUNT; b++) {
			const uint64_t a0 = c->h->sections[a].offset, b0 = c->h->sections[b].offset;
			if (a0 < section_end(c, a) && b0 < section_end(c, b) &&
			    a0 < section_end(c, b) && b0 < section_end(c, a))
				return fail(c, "sections %s and %s overlap", section_names[a],
					    section_names[b]);
		}
	return 0;
}

int svr_img_check(const void *img, size_t len, char *err, size_t errlen)
{
	struct checker c = {.img = img, .h = img, .err = err, .errlen = errlen};
	if (len < sizeof(struct svr_img_header))
		return fail(&c, "image of %zu bytes is shorter than its header", len);
	const struct svr_img_header *h = img;
	if (h->magic != SVR_IMAGE_MAGIC)
		return fail(&c, "bad magic 0x%08x", h->magic);
	if (h->version != SVR_IMAGE_VERSION)
		return fail(&c, "format version %u, this program reads version %u", h->version,
			    SVR_IMAGE_VERSION);
	if (h->header_size != sizeof(*h))
		return fail(&c, "header size %u, expected %zu", h->header_size, sizeof(*h));
	if (h->length != len)
		return fail(&c, "length field %llu but %zu bytes received",
			    (unsigned long long)h->length, len);
	uint32_t crc = image_crc(img, len);
	if (crc != h->checksum)
		return fail(&c, "checksum 0x%08x, computed 0x%08x", h->checksum, crc);
	for (int s = 0; s < SVR_SEC_COUNT; s++) {
		const struct svr_img_section_desc *d = &h->sections[s];
		uint64_t end = section_end(&c, s);
		if (d->entry_size != entry_sizes[s])
			return fail(&c, "section %s: entry size %u, expected %u", section_names[s],
				    d->entry_size, entry_sizes[s]);
		if (d->offset % SVR_IMG_ALIGN || d->offset < sizeof(*h) || end > len)
			return fail(&c, "section %s: offset %u and %u entries outside the image",
				    section_names[s], d->offset, d->count);
	}
	CHECK(check_sections_apart(&c));
	const struct svr_img_section_desc *str = &h->sections[SVR_SEC_STRINGS];
	if (str->count == 0 || ((const uint8_t *)img)[str->offset + str->count - 1] != 0)
		return fail(&c, "string table is empty or not NUL-terminated");
	if (check_string(&c, h->router_name, SVR_SEC_STRINGS, 0, "router") < 0 ||
	    check_string(&c, h->authority_name, SVR_SEC_STRINGS, 0, "authority") < 0 ||
	    check_index(&c, h->inter_router_security, SVR_SEC_SECURITY_POLICIES, true,
			SVR_SEC_STRINGS, 0, "inter-router-security") < 0)
		return -1;
	if (h->limits.degraded_pct > 100)
		return fail(&c, "header: degraded-pct %u is above 100", h->limits.degraded_pct);
	if (count_of(&c, SVR_SEC_COLLECTORS) && h->ipfix.template_refresh_s == 0)
		return fail(&c, "header: ipfix template refresh of 0 s (at least 1)");
	CHECK(check_entries(&c));
	return check_host_access(&c);
}
