/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fragments of a session's datagrams. Only a datagram's first fragment holds
 * the ports that find the session; the worker that forwards it notes (source,
 * destination, protocol, identification) -> session here, and the later
 * fragments of that datagram follow the note (same rewrite of the addresses,
 * same counters). A later fragment with no note — it came first, or its first
 * fragment was refused — is dropped and counted: nothing passes that no
 * session admitted.
 *
 * One small direct-mapped cache per worker (no sharing, no lock). With several
 * workers, the NIC must deliver a datagram's fragments to one queue (RSS on
 * addresses for fragments); docs/sessions.md says so.
 */
#ifndef SVR_SESSION_FRAG_H
#define SVR_SESSION_FRAG_H

#include <stdint.h>
#include <string.h>

#include <rte_hash_crc.h>

#define SVR_FRAG_SLOTS 1024 /* a power of two */
#define SVR_FRAG_TTL_S 5    /* how long later fragments may trail the first */

struct svr_frag_slot {
	uint8_t src[16], dst[16];
	uint32_t id;
	uint8_t proto, family;
	uint16_t reserved;
	uint32_t expire_s;
	uint32_t reserved2;
	uint64_t data; /* session key data: entry index << 1 | direction */
	uint64_t uuid; /* the session's first 8 UUID bytes: a reused entry does not match */
};

struct svr_frag_cache {
	struct svr_frag_slot slot[SVR_FRAG_SLOTS];
};

/* Identity of one datagram: family 4 or 6, addresses of 4 or 16 bytes. */
struct svr_frag_id {
	uint8_t src[16], dst[16];
	uint32_t id;
	uint8_t proto, family;
};

static inline struct svr_frag_slot *svr_frag_slot_of(struct svr_frag_cache *c,
						     const struct svr_frag_id *d)
{
	uint32_t h = rte_hash_crc(d, sizeof(*d), 0x46524147);
	return &c->slot[h & (SVR_FRAG_SLOTS - 1)];
}

static inline void svr_frag_note(struct svr_frag_cache *c, const struct svr_frag_id *d,
				 uint64_t data, const uint8_t uuid[16], uint32_t now_s)
{
	struct svr_frag_slot *s = svr_frag_slot_of(c, d);
	memcpy(s->src, d->src, 16);
	memcpy(s->dst, d->dst, 16);
	s->id = d->id;
	s->proto = d->proto;
	s->family = d->family;
	s->expire_s = now_s + SVR_FRAG_TTL_S;
	s->data = data;
	memcpy(&s->uuid, uuid, 8);
}

/* The note's session data and UUID prefix, or UINT64_MAX. */
static inline uint64_t svr_frag_find(struct svr_frag_cache *c, const struct svr_frag_id *d,
				     uint32_t now_s, uint64_t *uuid)
{
	const struct svr_frag_slot *s = svr_frag_slot_of(c, d);
	if (s->family != d->family || s->id != d->id || s->proto != d->proto ||
	    memcmp(s->src, d->src, 16) != 0 || memcmp(s->dst, d->dst, 16) != 0 ||
	    (int32_t)(s->expire_s - now_s) < 0)
		return UINT64_MAX;
	*uuid = s->uuid;
	return s->data;
}

#endif
