/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The first packets of SVR sessions (first.h): the metadata a direction adds,
 * a first packet from a peer read before anything is created, and the UUIDs
 * claimed against replay.
 */
#include "svrpath/first.h"

#include <stdatomic.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "common/image.h"
#include "common/log.h"
#include "common/security.h"
#include "flow/names.h"
#include "flow/state.h"
#include "svr/metadata.h"
#include "svrpath/internal.h"
#include "svrpath/path.h"
#include "svrpath/replay.h"
#include "svrpath/wire.h"
#include "core/dp.h"
#include "core/worker.h"

/*
 * The UUIDs this router made egress sessions for (replay.h): live ones, and
 * ended ones for a while. The HMAC covers neither the waypoint ports (NATs
 * between the routers rewrite them: O-3) nor, under a "regular" HMAC, the
 * time (O-22), so a captured first packet could be sent again on another
 * waypoint tuple, or on another live session's. Forward metadata naming a
 * UUID remembered here, other than the session's own, is refused
 * (svr-replayed). Sized to the session table at start.
 */
static struct svr_replay replay;
static uint64_t *replay_slots;

static uint32_t clock_s(void)
{
	return atomic_load_explicit(&dp_sess.now_s, memory_order_relaxed);
}

bool dp_svr_replayed(const uint8_t uuid[16])
{
	return svr_replay_seen(&replay, uuid, clock_s());
}

/* An egress session: its forward direction comes from a peer with metadata. */
static bool egress_session(const struct svr_session *s)
{
	const struct svr_rewrite *fw = svr_session_rw(s, SVR_DIR_FWD);
	return (fw->flags & SVR_RW_MD_ACK_ABSENT) && fw->svr_path < DP_MAX_SVR_PATHS;
}

/*
 * How long a UUID is remembered after its session ends: under a time-based
 * HMAC its first packet verifies only a few seconds (SVR_REPLAY_TIMED_S);
 * otherwise nothing dates it, so twice the session's idle timeout, at least
 * twice SVR_REPLAY_MIN_S. From the timeout the session was made with (a stale
 * session keeps it); a new model that makes the path time-based shortens it,
 * as a first packet signed before no longer verifies.
 */
uint32_t dp_svr_replay_hold_s(const struct dp_gen *g, uint16_t slot, uint32_t idle_s)
{
	const struct dp_svr_path_policy *pp = dp_svr_path_policy(g, slot);
	if (dp_svr_path_signed(pp) && pp->time_based)
		return SVR_REPLAY_TIMED_S;
	return 2 * (idle_s > SVR_REPLAY_MIN_S ? idle_s : SVR_REPLAY_MIN_S);
}

enum svr_drop_reason dp_svr_uuid_claim(const uint8_t uuid[16])
{
	switch (svr_replay_claim(&replay, uuid, clock_s())) {
	case SVR_REPLAY_CLAIMED:
		return SVR_DROP_MAX;
	case SVR_REPLAY_SEEN:
		return SVR_DROP_SVR_REPLAYED;
	default:
		return SVR_DROP_SVR_REPLAY_FULL;
	}
}

void dp_svr_uuid_unclaim(const uint8_t uuid[16])
{
	svr_replay_unclaim(&replay, uuid);
}

void dp_svr_uuid_bind(const uint8_t uuid[16], uint32_t idx)
{
	svr_replay_bind(&replay, uuid, idx);
}

uint32_t dp_svr_uuid_session(const uint8_t uuid[16])
{
	uint32_t idx = svr_replay_find(&replay, uuid);
	if (idx >= dp_sess.table->capacity)
		return UINT32_MAX;
	const struct svr_session_info *info = &dp_sess.table->info[idx];
	/* a tag is not the UUID, and a claim not yet bound names no session of its own */
	if (!svr_session_current(info) || memcmp(info->uuid, uuid, 16) != 0 ||
	    !egress_session(&dp_sess.table->entries[idx]))
		return UINT32_MAX;
	return idx;
}

void dp_svr_session_ending(const struct svr_session *s)
{
	if (!egress_session(s))
		return;
	const struct svr_session_info *info = svr_session_info(dp_sess.table, s);
	const struct dp_gen *g = dp_gen_main();
	uint32_t hold =
	    g ? dp_svr_replay_hold_s(g, svr_session_rw(s, SVR_DIR_FWD)->svr_path, info->idle_s)
	      : 2 * SVR_REPLAY_MIN_S;
	svr_replay_ended(&replay, info->uuid, hold, clock_s());
}

void dp_svr_replay_sweep(uint64_t elapsed_ms)
{
	/* every slot about once a second, a bounded slice per lock hold */
	uint64_t n = (uint64_t)replay.n_slots * (elapsed_ms ? elapsed_ms : 1) / 1000 + 1;
	while (n) {
		uint32_t k = n < 4096 ? (uint32_t)n : 4096;
		svr_replay_sweep(&replay, clock_s(), k);
		n -= k;
	}
}

size_t dp_svr_replay_bytes(void)
{
	return (size_t)replay.n_slots * SVR_REPLAY_SLOT_BYTES;
}

int dp_svr_replay_init(void)
{
	uint32_t capacity = dp_sess.table->capacity;
	replay_slots =
	    rte_zmalloc("svr_replay", (size_t)svr_replay_slots(capacity) * SVR_REPLAY_SLOT_BYTES,
			RTE_CACHE_LINE_SIZE);
	if (!replay_slots) {
		LOG_ERR(
		    "cannot allocate the SVR replay memory for %u sessions (raise eal.memory-mb "
		    "or lower sessions.capacity)",
		    capacity);
		return -1;
	}
	svr_replay_init(&replay, replay_slots, capacity, rte_rand());
	return 0;
}

void dp_svr_replay_free(void)
{
	rte_free(replay_slots);
	replay_slots = NULL;
	memset(&replay, 0, sizeof(replay));
}

struct svr_replay *dp_svr_replay_memory(void)
{
	return &replay;
}

/*
 * The reverse context mirrors the forward context as the ingress sent it (O-6):
 * the client's address and port, the address and port it asked for — not the
 * tuple after the egress's own NAT. The session entry has no room for it, and
 * only the first packets carry reverse metadata, so the egress keeps it here by
 * entry index, tagged with the session's UUID. A slot a later session took
 * leaves the tuple after NAT (still a valid tuple, not the mirror).
 */
#define FWD_CTX_SLOTS 65536 /* a power of two */
struct fwd_ctx_slot {
	_Atomic uint64_t tag; /* ctx_tag(uuid); 0 while written */
	uint8_t src[4], dst[4];
	uint16_t sport, dport;
};
static struct fwd_ctx_slot fwd_ctx[FWD_CTX_SLOTS];

static uint64_t ctx_tag(const uint8_t uuid[16])
{
	uint64_t a, b;
	memcpy(&a, uuid, 8);
	memcpy(&b, uuid + 8, 8);
	return (a ^ b) ? (a ^ b) : 1;
}

void dp_svr_keep_fwd_ctx(uint32_t idx, const uint8_t uuid[16], const struct svr_md_ctx *c)
{
	struct fwd_ctx_slot *e = &fwd_ctx[idx & (FWD_CTX_SLOTS - 1)];
	atomic_store_explicit(&e->tag, 0, memory_order_release);
	atomic_thread_fence(memory_order_release);
	memcpy(e->src, c->src, 4);
	memcpy(e->dst, c->dst, 4);
	e->sport = c->sport;
	e->dport = c->dport;
	atomic_store_explicit(&e->tag, ctx_tag(uuid), memory_order_release);
}

bool dp_svr_fwd_ctx_of(uint32_t idx, const uint8_t uuid[16], struct svr_md_ctx *c)
{
	const struct fwd_ctx_slot *e = &fwd_ctx[idx & (FWD_CTX_SLOTS - 1)];
	uint64_t tag = ctx_tag(uuid);
	if (atomic_load_explicit(&e->tag, memory_order_acquire) != tag)
		return false; /* none kept (no NAT here), or its slot moved on */
	memset(c, 0, sizeof(*c));
	c->family = 4;
	memcpy(c->src, e->src, 4);
	memcpy(c->dst, e->dst, 4);
	c->sport = e->sport;
	c->dport = e->dport;
	atomic_thread_fence(memory_order_acquire);
	return atomic_load_explicit(&e->tag, memory_order_relaxed) ==
	       tag; /* not rewritten meanwhile */
}

void dp_svr_copy_fwd_ctx(uint32_t from, uint32_t to, const uint8_t uuid[16])
{
	struct svr_md_ctx c;
	if (dp_svr_fwd_ctx_of(from, uuid, &c))
		dp_svr_keep_fwd_ctx(to, uuid, &c);
}

/* The mirror of the session's kept forward context into c; false if its slot moved on. */
static bool mirror_fwd_ctx(const struct svr_session *s, struct svr_md_ctx *c)
{
	struct svr_md_ctx f;
	uint32_t idx = (uint32_t)(s - dp_sess.table->entries);
	if (!dp_svr_fwd_ctx_of(idx, svr_session_info(dp_sess.table, s)->uuid, &f))
		return false;
	*c = f;
	memcpy(c->src, f.dst, 4);
	memcpy(c->dst, f.src, 4);
	c->sport = f.dport;
	c->dport = f.sport;
	c->proto = svr_session_proto(s);
	return true;
}

static enum svr_drop_reason read_first(struct dp_worker *w, const struct dp_svr_path_policy *pp,
				       const uint8_t *ip, size_t l4_off, struct svr_md *md);

enum svr_drop_reason dp_svr_read_first(struct dp_worker *w, const struct dp_gen *g, uint16_t slot,
				       const uint8_t *ip, size_t l4_off, struct svr_md *md)
{
	enum svr_drop_reason why = read_first(w, dp_svr_path_policy(g, slot), ip, l4_off, md);
	if (why == SVR_DROP_SVR_HMAC || why == SVR_DROP_SVR_MD_UNDECRYPTABLE)
		dp_svr_suspect_keys(w->index, why, slot);
	if (why == SVR_DROP_MAX && (md->present & SVR_MDF_UUID) &&
	    !(md->present & SVR_MDF_MODIFY) && dp_svr_replayed(md->uuid))
		return SVR_DROP_SVR_REPLAYED; /* a session of that UUID exists, or ended lately */
	return why;
}

static enum svr_drop_reason read_first(struct dp_worker *w, const struct dp_svr_path_policy *pp,
				       const uint8_t *ip, size_t l4_off, struct svr_md *md)
{
	size_t total = svr_rd16(ip + 2), l4h = svr_wire_l4_hlen(ip);
	const uint8_t *pl = ip + l4_off + l4h;
	size_t plen = total - l4_off - l4h, tl = svr_hmac_len(pp->hmac);
	if (dp_svr_path_signed(pp)) {
		if (dp_svr_ring()->n == 0)
			return SVR_DROP_SVR_NO_KEY;
		struct svr_hmac_msg msg;
		if (plen < tl)
			return SVR_DROP_SVR_HMAC;
		dp_svr_msg_of(&msg, ip, pl, plen - tl);
		if (!dp_svr_verify(w, pp->hmac, pp->time_based, &msg, pl + plen - tl, NULL, NULL))
			return SVR_DROP_SVR_HMAC;
		plen -= tl;
	}
	return dp_svr_md_read(w->index, pp->encryption, pl, plen, md);
}

/* Decodes the metadata at pl (its trailer gone), decrypting the payload section apart. */
enum svr_drop_reason dp_svr_md_read(unsigned wi, uint8_t encryption, const uint8_t *pl, size_t plen,
				    struct svr_md *md)
{
	struct svr_md_layout l;
	if (svr_md_layout(pl, plen, &l, NULL, 0) < 0)
		return SVR_DROP_SVR_METADATA;
	memset(md, 0, sizeof(*md));
	uint64_t seen = 0; /* §2.4: a type never twice, never in both sections */
	if (svr_md_decode_tlvs(pl + SVR_MD_FIXED_LEN, l.header_len - SVR_MD_FIXED_LEN, true, md,
			       &seen, NULL, 0) < 0)
		return SVR_DROP_SVR_METADATA;
	const uint8_t *tlvs = pl + l.header_len;
	size_t tlen = l.payload_len;
	uint8_t clear[2048];
	if (encryption != SVR_CIPHER_NONE) {
		const struct svr_key *k = svr_keyring_find(dp_svr_ring(), md->security_id);
		if (!k)
			return SVR_DROP_SVR_NO_KEY;
		/* its header decoded (clear text): what follows did not decrypt, or decrypted to
		 * nonsense (CBC under another key passes the padding check 1 time in 256) */
		int n =
		    svr_md_decrypt(dp_svr_worker_crypto(wi), k, tlvs, tlen, clear, sizeof(clear));
		if (n < 0 || svr_md_decode_tlvs(clear, (size_t)n, false, md, &seen, NULL, 0) < 0)
			return SVR_DROP_SVR_MD_UNDECRYPTABLE;
		return SVR_DROP_MAX;
	}
	if (svr_md_decode_tlvs(tlvs, tlen, false, md, &seen, NULL, 0) < 0)
		return SVR_DROP_SVR_METADATA;
	return SVR_DROP_MAX;
}

static void set_name(struct svr_md *md, struct svr_md_name *n, uint32_t flag, const char *s)
{
	if (s && svr_md_set_name(n, s))
		md->present |= flag;
}

static void ctx_of(const struct svr_skey4 *k, struct svr_md_ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->family = 4;
	memcpy(c->src, &k->src, 4);
	memcpy(c->dst, &k->dst, 4);
	c->sport = rte_be_to_cpu_16(k->sport);
	c->dport = rte_be_to_cpu_16(k->dport);
	c->proto = k->proto;
}

/*
 * The metadata a direction adds: forward (ingress) — the original tuple,
 * UUID, tenant, service, routers, peer path; reverse (egress) — the tuple of
 * the answer as it left the server, and the load.
 */
size_t dp_svr_build_md(unsigned w_index, const struct dp_gen *g, const struct svr_session *s,
		       enum svr_sdir dir, const struct svr_skey4 *tuple, uint32_t extra,
		       uint8_t *out, size_t cap, enum svr_drop_reason *why)
{
	struct svr_md md = {.present = SVR_MDF_SECURITY_ID | extra, .security_id = 0};
	if (dir == SVR_DIR_FWD) {
		const struct dp_svr_path *pp =
		    dp_svr_path(svr_session_rw(s, SVR_DIR_FWD)->svr_path);
		md.present |= SVR_MDF_FWD_CTX | SVR_MDF_UUID;
		ctx_of(tuple, &md.fwd);
		memcpy(md.uuid, svr_session_info(dp_sess.table, s)->uuid, 16);
		set_name(
		    &md, &md.tenant, SVR_MDF_TENANT,
		    svr_names_get(dp_sess.tenants, svr_session_info(dp_sess.table, s)->tenant));
		set_name(
		    &md, &md.service, SVR_MDF_SERVICE,
		    svr_names_get(dp_sess.services, svr_session_info(dp_sess.table, s)->service));
		set_name(&md, &md.src_router, SVR_MDF_SRC_ROUTER,
			 svr_img_str(g->image, svr_img_hdr(g->image)->router_name));
		set_name(&md, &md.dst_router, SVR_MDF_DST_ROUTER, pp->peer);
		set_name(&md, &md.peer_path, SVR_MDF_PEER_PATH, pp->name);
		if (svr_session_rw(s, SVR_DIR_FWD)->svr & SVR_RW2_PAYLOAD)
			md.present |= SVR_MDF_SESSION_ENCRYPTED; /* TLV 11: the egress decrypts */
		/* a session that moved to this path: the egress re-binds it, in order (TLV 28:
		 * the 12-bit sequence of the move); a duplicated one: D on both legs */
		uint8_t moves = svr_session_info(dp_sess.table, s)->moves;
		bool dup = svr_session_rw(s, SVR_DIR_FWD)->svr & SVR_RW2_DUP;
		if (moves || dup) {
			md.present |= SVR_MDF_MODIFY;
			md.modify = (uint16_t)((dup ? SVR_MD_MODIFY_D : 0) | moves);
		}
	} else {
		md.present |= SVR_MDF_REV_CTX | SVR_MDF_NUM_SESSIONS;
		if (!mirror_fwd_ctx(s, &md.rev))
			ctx_of(tuple,
			       &md.rev); /* no NAT here: the answer's own tuple is the mirror */
		md.num_sessions = 0;     /* service load feedback: with path selection */
		/* a duplicated session: this router numbers (and copies) its answers too */
		if (svr_session_rw(s, SVR_DIR_REV)->svr & SVR_RW2_DUP) {
			md.present |= SVR_MDF_MODIFY;
			md.modify = SVR_MD_MODIFY_D;
		}
	}
	const struct dp_svr_path_policy *p =
	    dp_svr_path_policy(g, svr_session_rw(s, dir)->svr_path);
	/* A session with encrypted payloads names its key: the egress decrypts with that one. */
	const struct svr_key *k = svr_session_payload_key(s, dir)
				      ? dp_svr_session_payload_key(s, dir)
				      : svr_keyring_current(dp_svr_ring(), dp_sess.unix_s);
	if (k)
		md.security_id = k->security_id;
	/* names are bounded by validation, so a block fits: a failure to encode is a bug */
	*why = SVR_DROP_SVR_METADATA;
	if (p->encryption == SVR_CIPHER_NONE)
		return svr_md_encode(&md, out, cap, NULL);
	if (!k) {
		*why = SVR_DROP_SVR_NO_KEY;
		return 0;
	}
	/* The payload section encrypted (O-2): the header and its TLVs stay clear. */
	uint8_t clear[1024];
	struct svr_md_layout l;
	size_t n = svr_md_encode(&md, clear, sizeof(clear), &l);
	if (n == 0 || cap < l.header_len)
		return 0;
	*why = SVR_DROP_SVR_CRYPTO;
	memcpy(out, clear, l.header_len);
	size_t ct = svr_md_encrypt(dp_svr_worker_crypto(w_index), k, NULL, clear + l.header_len,
				   l.payload_len, out + l.header_len, cap - l.header_len);
	if (ct == 0 || ct > UINT16_MAX)
		return 0;
	svr_wr16(out + 10, (uint16_t)ct);
	return l.header_len + ct;
}
