/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The packets of SVR sessions on the hit path (datapath.h): HMAC trailers
 * checked and signed in pairs, metadata stripped and acknowledged, payloads
 * encrypted and decrypted, packets wrapped and unwrapped.
 */
#include "svrpath/datapath.h"

#include <stdatomic.h>
#include <string.h>

#include <openssl/crypto.h>

#include <rte_byteorder.h>

#include "common/security.h"
#include "flow/rewrite.h"
#include "flow/state.h"
#include "svr/metadata.h"
#include "svrpath/internal.h"
#include "svrpath/path.h"
#include "svrpath/wire.h"
#include "core/worker.h"

static uint64_t time_step(void)
{
	return (uint64_t)atomic_load_explicit(&dp_sess.unix_s, memory_order_relaxed) /
	       SVR_HMAC_WINDOW_S;
}

/*
 * Session s's HMAC key under slot `slot` of kr (the ring the caller read):
 * derived at its first use on this worker, then from the worker's cache.
 * NULL when the slot has no key. Good until this worker's next call.
 */
static const struct svr_key *session_hmac_key(unsigned wi, const struct svr_keyring *kr,
					      const struct svr_session *s, unsigned slot)
{
	struct svr_crypto *c = dp_svr_worker_crypto(wi); /* first: a reload cleanses the cache */
	if (slot >= kr->n || kr->keys[slot].hmac_len == 0)
		return NULL;
	const struct svr_key *k = &kr->keys[slot];
	uint32_t idx = (uint32_t)(s - dp_sess.table->entries);
	/* 256 sessions in a row get entries of their own under one key; a second key's apart */
	struct dp_svr_cached_key *e =
	    &dp_svr_wk[wi].session_keys[(idx ^ (slot * (DP_SVR_SESSION_KEYS / SVR_KEYS_MAX + 1))) &
					(DP_SVR_SESSION_KEYS - 1)];
	if (e->idx == idx + 1 && e->slot == slot && e->security_id == k->security_id &&
	    memcmp(e->uuid, svr_session_info(dp_sess.table, s)->uuid, 16) == 0)
		return &e->key;
	if (svr_session_key(c, k, svr_session_info(dp_sess.table, s)->uuid, &e->key) < 0) {
		e->idx = 0;
		return NULL;
	}
	e->idx = idx + 1;
	e->slot = (uint8_t)slot;
	e->security_id = k->security_id;
	memcpy(e->uuid, svr_session_info(dp_sess.table, s)->uuid, 16);
	return &e->key;
}

/* pre: this packet's pair check, when one ran and failed: its key and step are not tried
 * again. s: the session whose keys sign it (O-3), or NULL for the key file's (metadata). */
bool dp_svr_verify(struct dp_worker *w, uint8_t hmac, bool time_based,
		   const struct svr_hmac_msg *msg, const uint8_t *trailer,
		   const struct dp_svr_check *pre, const struct svr_session *s)
{
	unsigned wi = w->index;
	uint64_t step = time_step();
	unsigned hint = dp_svr_wk[wi].last_signer;
	if (pre && pre->ran && pre->hint == hint && pre->step == step)
		hint |= SVR_HINT_FAILED_NOW;
	const struct svr_keyring *kr = dp_svr_ring();
	struct svr_keyring session_ring; /* the session's key under each slot, in its slot */
	if (s) {
		session_ring.n = kr->n;
		for (unsigned i = 0; i < kr->n; i++) {
			const struct svr_key *k = session_hmac_key(wi, kr, s, i);
			session_ring.keys[i].hmac_len = 0;
			if (k)
				session_ring.keys[i] = *k;
		}
		kr = &session_ring;
	}
	int slot = svr_hmac_verify_ring(dp_svr_worker_crypto(wi), kr, hint, hmac, time_based, step,
					msg, trailer);
	if (s)
		OPENSSL_cleanse(session_ring.keys, session_ring.n * sizeof(session_ring.keys[0]));
	w->stats.hmac_single++;
	if (slot < 0)
		return false;
	if (dp_svr_wk[wi].last_signer !=
	    (unsigned)slot) /* a rotation: written once, not per packet */
		dp_svr_wk[wi].last_signer = (unsigned)slot;
	return true;
}

/*
 * The other direction stops adding metadata. This direction keeps stripping
 * whatever metadata still arrives (a server's further answers, reordering).
 */
static void acknowledge(struct svr_session *s, enum svr_sdir dir)
{
	/* Once is enough: after it, this direction's own line says so, and its packets stop
	 * reading the other direction's line, which another worker writes per packet. */
	struct svr_rewrite *own = svr_session_rw(s, dir);
	if (__atomic_load_n(&own->md_acked, __ATOMIC_RELAXED))
		return;
	svr_rewrite_stop_md(svr_session_rw(s, !dir));
	__atomic_store_n(&own->md_acked, 1, __ATOMIC_RELAXED);
}

/*
 * A stale session carries nothing more and ends at the ageing pass over its
 * entry. A worker does not delete itself (deletion may wait for a grace
 * period); its timeouts stay as they were made (the replay memory's hold at
 * its end comes from them).
 */
static void make_stale(struct svr_session *s)
{
	svr_session_make_stale(svr_session_info(dp_sess.table, s));
}

static bool stale(const struct svr_session *s)
{
	return svr_session_stale(svr_session_info(dp_sess.table, s));
}

/*
 * Whether forward metadata with another UUID may end this session: only when
 * the ingress plausibly ended it first — TCP closing, or no packet either way
 * for SVR_STALE_IDLE_S. A live session is never ended by a replayed first
 * packet of another one.
 */
static bool stale_ok(const struct svr_session *s)
{
	uint32_t now = atomic_load_explicit(&dp_sess.now_s, memory_order_relaxed);
	uint32_t seen = svr_session_last_seen(s);
	return now - seen >= SVR_STALE_IDLE_S ||
	       (svr_session_proto(s) == SVR_IPPROTO_TCP &&
		atomic_load_explicit(svr_session_tcp_state(s), memory_order_relaxed) ==
		    SVR_TCP_CLOSING);
}

/* Whether the metadata block at md (len bytes, trailer gone) asks to stop forward metadata. */
static bool md_disables_fwd(unsigned wi, const struct dp_svr_path_policy *p, const uint8_t *md,
			    size_t len)
{
	struct svr_md d;
	return dp_svr_md_read(wi, p->encryption, md, len, &d) == SVR_DROP_MAX &&
	       (d.present & SVR_MDF_DISABLE_FWD_MD);
}

/* Whether the block says its sender duplicates the session (a Modify Request with D). */
static bool md_duplicated(unsigned wi, const struct dp_svr_path_policy *p, const uint8_t *md,
			  size_t len)
{
	struct svr_md d;
	return dp_svr_md_read(wi, p->encryption, md, len, &d) == SVR_DROP_MAX &&
	       (d.present & SVR_MDF_MODIFY) && (d.modify & SVR_MD_MODIFY_D);
}

bool dp_svr_numbered(const struct dp_gen *g, const struct svr_rewrite *rw, const uint8_t *ip,
		     size_t l4_off)
{
	if (!(__atomic_load_n(&rw->svr, __ATOMIC_RELAXED) & SVR_RW2_DUP))
		return false;
	size_t total = svr_rd16(ip + 2), l4h = svr_wire_l4_hlen(ip);
	size_t tl = svr_hmac_len(dp_svr_path_policy(g, rw->svr_path)->hmac);
	if (l4h == 0 || l4_off + l4h + tl > total)
		return false; /* dropped by dp_svr_packet */
	return dp_svr_signs_id(rw, ip + l4_off + l4h, total - l4_off - l4h - tl);
}

/* Room for the trailer after the transport payload; msg: what it signs. */
static enum svr_drop_reason trailer_room(struct rte_mbuf *m, uint8_t *ip, size_t l4_off, size_t tl,
					 bool cover_id, struct svr_hmac_msg *msg)
{
	size_t total = svr_rd16(ip + 2), l4h = svr_wire_l4_hlen(ip);
	dp_svr_msg_of(msg, ip, ip + l4_off + l4h, total - l4_off - l4h);
	if (cover_id)
		dp_svr_msg_cover_id(msg, ip);
	if (!rte_pktmbuf_append(m, (uint16_t)tl) ||
	    dp_meta(m)->l3_off + total + tl > rte_pktmbuf_data_len(m))
		return SVR_DROP_NO_MBUF;
	return SVR_DROP_MAX;
}

/* The key of session s under slot of kr (from the worker's cache), or for no session kr's
 * key in that slot; NULL when there is none. */
static const struct svr_key *key_for(unsigned wi, const struct svr_keyring *kr,
				     const struct svr_session *s, unsigned slot)
{
	if (s)
		return session_hmac_key(wi, kr, s, slot);
	return slot < kr->n && kr->keys[slot].hmac_len ? &kr->keys[slot] : NULL;
}

/*
 * The second key of a pair whose first is *ka (under the same slot): when
 * both are other sessions' keys from the worker's cache, fetching the second
 * could take the first's entry, so the first is copied into own first (the
 * caller cleanses it). NULL when the second has none.
 */
static const struct svr_key *second_key(unsigned wi, const struct svr_keyring *kr, unsigned slot,
					const struct svr_session *sa, const struct svr_session *sb,
					const struct svr_key **ka, struct svr_key *own)
{
	if (sa && sb && sa != sb) {
		*own = **ka;
		*ka = own;
	}
	return sa == sb ? *ka : key_for(wi, kr, sb, slot);
}

/* Whose keys sign a job: NULL for the key file's (metadata in front, or no session). */
static inline const struct svr_session *signer_of(const struct dp_svr_sign *j)
{
	return j->file_key ? NULL : j->s;
}

/* Where a job's trailer goes: right after the payload it signs (room made by trailer_room;
 * reached through ip, msg.data being read-only). */
static inline uint8_t *trailer_at(struct dp_svr_sign *j)
{
	return j->ip + (j->msg.data - j->ip) + j->msg.len;
}

/* A job's trailer written (rc 0: the lengths and checksums follow) or not. */
static void signed_or_not(struct dp_svr_sign *j, int rc)
{
	if (rc < 0)
		j->why = SVR_DROP_SVR_CRYPTO;
	else
		svr_wire_resize(j->ip, svr_hmac_len(j->hmac), true);
}

/*
 * Four jobs of one session (or all forward metadata), one length and one
 * setting, from jobs[i] on (skipping refused ones), signed as four streams:
 * a session's full-size segments, 8% less a packet than pairs. false: no such
 * four here.
 */
static bool sign_four(struct dp_worker *w, struct svr_crypto *c, const struct svr_key *k,
		      uint64_t step, struct dp_svr_sign *jobs, unsigned n, unsigned *i)
{
	struct dp_svr_sign *q[4];
	unsigned nq = 0, x = *i;
	for (; x < n && nq < 4; x++)
		if (jobs[x].why == SVR_DROP_MAX)
			q[nq++] = &jobs[x];
	if (nq < 4)
		return false;
	for (unsigned t = 1; t < 4; t++)
		if (q[t]->hmac != q[0]->hmac || q[t]->time_based != q[0]->time_based ||
		    q[t]->msg.len != q[0]->msg.len || q[t]->msg.cover_len != q[0]->msg.cover_len ||
		    signer_of(q[t]) != signer_of(q[0]))
			return false;
	const struct svr_hmac_msg *msg[4];
	uint8_t *out[4];
	for (unsigned t = 0; t < 4; t++) {
		msg[t] = &q[t]->msg;
		out[t] = trailer_at(q[t]);
	}
	int rc = svr_hmac_sign4(c, k, q[0]->hmac, q[0]->time_based, step, msg, out);
	for (unsigned t = 0; t < 4; t++)
		signed_or_not(q[t], rc);
	w->stats.hmac_paired += 4;
	*i = x;
	return true;
}

/*
 * Writes the jobs' trailers at the current key's slot — forward metadata under
 * the key itself, the rest under their sessions' keys (O-3) — four at a time
 * where four in a row share a session, a length and the settings, two at a time
 * where two share the settings, one at a time otherwise; lengths and checksums
 * follow. A job that fails keeps its reason in why (SVR_DROP_MAX: signed).
 */
static void sign_jobs(struct dp_worker *w, struct dp_svr_sign *jobs, unsigned n)
{
	const struct svr_keyring *kr = dp_svr_ring();
	const struct svr_key *k = svr_keyring_current(kr, dp_sess.unix_s);
	const unsigned slot = k ? (unsigned)(k - kr->keys) : 0;
	const uint64_t step = time_step();
	struct svr_crypto *c = dp_svr_worker_crypto(w->index);
	for (unsigned i = 0; i < n; i++) {
		struct dp_svr_sign *j = &jobs[i];
		j->why = k ? trailer_room(j->m, j->ip, j->l4_off, svr_hmac_len(j->hmac),
					  j->cover_id, &j->msg)
			   : SVR_DROP_SVR_NO_KEY;
	}
	for (unsigned i = 0; i < n;) {
		struct dp_svr_sign *a = &jobs[i];
		unsigned nx = i + 1;
		while (nx < n && jobs[nx].why != SVR_DROP_MAX)
			nx++;
		if (a->why != SVR_DROP_MAX) {
			i = nx;
			continue;
		}
		struct dp_svr_sign *b = nx < n ? &jobs[nx] : NULL;
		/* the key file's key over forward metadata, the session's own over the rest (O-3)
		 */
		const struct svr_key *ka = key_for(w->index, kr, signer_of(a), slot), *kb = NULL;
		struct svr_key own = {0};
		int rc;
		if (!ka) {
			a->why = SVR_DROP_SVR_NO_KEY;
			i = nx;
			continue;
		}
		if (sign_four(w, c, ka, step, jobs, n, &i))
			continue;
		if (b && b->hmac == a->hmac && b->time_based == a->time_based)
			kb = second_key(w->index, kr, slot, signer_of(a), signer_of(b), &ka, &own);
		if (kb) {
			rc = svr_hmac_sign2(c, ka, kb, a->hmac, a->time_based, step, &a->msg,
					    trailer_at(a), &b->msg, trailer_at(b));
			w->stats.hmac_paired += 2;
			i = nx + 1;
		} else {
			rc = svr_hmac_sign(c, ka, a->hmac, a->time_based, step, &a->msg,
					   trailer_at(a));
			w->stats.hmac_single++;
			b = NULL;
			i = nx;
		}
		if (own.hmac_len)
			OPENSSL_cleanse(&own, sizeof(own));
		for (struct dp_svr_sign *j = a; j; j = j == a ? b : NULL)
			signed_or_not(j, rc);
	}
}

void dp_svr_sign_run(struct dp_worker *w, struct dp_svr_sign *jobs, unsigned n)
{
	sign_jobs(w, jobs, n);
	for (unsigned i = 0; i < n; i++)
		if (jobs[i].why != SVR_DROP_MAX) {
			dp_drop(w, jobs[i].m, jobs[i].why);
			jobs[i].m = NULL;
		}
}

/*
 * Whether a packet from the peer is signed with the key file's key: forward
 * metadata arriving at the egress, which names the session's UUID (checked
 * against the session). Everything else — reverse metadata, metadata-only
 * packets, the false-positive marker, data — carries no UUID and is signed
 * with the session's own key, so that it cannot be moved onto another
 * session (O-3). flags: the direction's SVR_RW_*.
 */
static bool file_key_signed(uint8_t flags, const uint8_t *pl, size_t plen)
{
	struct svr_md_layout l;
	return (flags & SVR_RW_MD_ACK_ABSENT) && svr_md_has_cookie(pl, plen) &&
	       svr_md_layout(pl, plen, &l, NULL, 0) == 0 &&
	       !(l.header_len == SVR_MD_FIXED_LEN && l.payload_len == 0);
}

bool dp_svr_check_add(struct dp_svr_check *c, const struct dp_gen *g, struct rte_mbuf *m,
		      const struct svr_flow4 *f, const struct svr_session *s, enum svr_sdir dir)
{
	const struct svr_rewrite *rw = svr_session_rw(s, dir);
	uint8_t flags = __atomic_load_n(&rw->flags, __ATOMIC_RELAXED);
	if (!(flags & SVR_RW_HMAC_CHECK) || f->fragment)
		return false;
	const struct dp_svr_path_policy *p = dp_svr_path_policy(g, rw->svr_path);
	if (!p->in_model || dp_meta(m)->iface_in != p->iface || stale(s))
		return false; /* dropped by dp_svr_packet without hashing */
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, dp_meta(m)->l3_off);
	size_t tl = svr_hmac_len(p->hmac);
	size_t total = svr_rd16(ip + 2), l4h = svr_wire_l4_hlen(ip);
	if (tl == 0 || l4h == 0 || f->l4_off + l4h + tl > total)
		return false; /* dp_svr_packet says why */
	const uint8_t *pl = ip + f->l4_off + l4h;
	size_t plen = total - f->l4_off - l4h - tl;
	*c = (struct dp_svr_check){.trailer = pl + plen,
				   .s = file_key_signed(flags, pl, plen) ? NULL : s,
				   .hmac = p->hmac,
				   .time_based = p->time_based};
	dp_svr_msg_of(&c->msg, ip, pl, plen);
	c->cover_id = dp_svr_signs_id(rw, pl, plen);
	if (c->cover_id)
		dp_svr_msg_cover_id(&c->msg, ip);
	return dp_svr_path_signed(p);
}

/* The checks c[0..3] run as four streams when they share a session (or all carry forward
 * metadata), a length and a setting: true if they ran. */
static bool check_four(struct dp_worker *w, struct svr_crypto *cr, const struct svr_keyring *kr,
		       unsigned hint, uint64_t step, struct dp_svr_check *c)
{
	for (unsigned t = 1; t < 4; t++)
		if (c[t].hmac != c[0].hmac || c[t].time_based != c[0].time_based ||
		    c[t].msg.len != c[0].msg.len || c[t].msg.cover_len != c[0].msg.cover_len ||
		    c[t].s != c[0].s)
			return false;
	const struct svr_key *k = key_for(w->index, kr, c[0].s, hint);
	if (!k)
		return false;
	const struct svr_hmac_msg *msg[4];
	const uint8_t *tr[4];
	for (unsigned t = 0; t < 4; t++) {
		msg[t] = &c[t].msg;
		tr[t] = c[t].trailer;
	}
	unsigned ok = svr_hmac_check4(cr, k, c[0].hmac, c[0].time_based, step, msg, tr);
	for (unsigned t = 0; t < 4; t++) {
		c[t].ok = (ok >> t) & 1;
		c[t].ran = true;
		c[t].hint = hint;
		c[t].step = step;
	}
	w->stats.hmac_paired += 4;
	return true;
}

void dp_svr_check_run(struct dp_worker *w, struct dp_svr_check *c, unsigned n)
{
	const struct svr_keyring *kr = dp_svr_ring();
	unsigned hint = dp_svr_wk[w->index].last_signer;
	if (hint >= kr->n)
		return; /* no key to try first: each packet gets the full check */
	const uint64_t step = time_step();
	struct svr_crypto *cr = dp_svr_worker_crypto(w->index);
	for (unsigned i = 0; i + 1 < n;) {
		struct dp_svr_check *a = &c[i], *b = &c[i + 1];
		const struct svr_key *ka = NULL, *kb = NULL;
		if (i + 3 < n && check_four(w, cr, kr, hint, step, &c[i])) {
			i += 4;
			continue;
		}
		struct svr_key own = {0};
		if (a->hmac == b->hmac && a->time_based == b->time_based &&
		    (ka = key_for(w->index, kr, a->s, hint)))
			kb = second_key(w->index, kr, hint, a->s, b->s, &ka, &own);
		if (!kb) {
			if (own.hmac_len)
				OPENSSL_cleanse(&own, sizeof(own));
			i++;
			continue;
		}
		unsigned ok = svr_hmac_check2(cr, ka, kb, a->hmac, a->time_based, step, &a->msg,
					      a->trailer, &b->msg, b->trailer);
		if (own.hmac_len)
			OPENSSL_cleanse(&own, sizeof(own));
		a->ok = ok & 1;
		b->ok = (ok & 2) != 0;
		w->stats.hmac_paired += 2;
		a->ran = b->ran = true;
		a->hint = b->hint = hint;
		a->step = b->step = step;
		i += 2;
	}
}

/*
 * One-way flows (O-8): a UDP session whose server never answers would carry
 * forward metadata on every packet. When forward metadata arrives again after
 * 3 forward packets and nothing went back, the egress answers with a
 * metadata-only reverse packet — reverse context (the mirror of what it sends
 * the server), Security ID, TLV 18 "disable forward metadata" — signed like
 * any other. The ingress takes it as the acknowledgement and consumes it.
 * from: the forward packet as it arrived (its waypoint tuple, reversed here).
 */
static struct rte_mbuf *md_only_reply(struct dp_worker *w, const struct dp_gen *g,
				      const struct dp_svr_path_policy *p, const uint8_t *from,
				      struct svr_session *s)
{
	const struct svr_rewrite *fw = svr_session_rw(s, SVR_DIR_FWD);
	struct svr_skey4 rev = {
	    .src = fw->dst,
	    .dst = fw->src,
	    .sport = fw->dport,
	    .dport = fw->sport,
	    .proto = svr_session_proto(s)}; /* UDP, or the protocol a wrapped flow carries */
	uint8_t block[1024];
	enum svr_drop_reason why;
	size_t blen = dp_svr_build_md(w->index, g, s, SVR_DIR_REV, &rev, SVR_MDF_DISABLE_FWD_MD,
				      block, sizeof(block), &why);
	struct rte_mbuf *m = blen ? rte_pktmbuf_alloc(w->pool) : NULL;
	if (!m)
		return NULL;
	const size_t l2 = 14, hl = 20, total = hl + 8 + blen;
	uint8_t *ip = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(l2 + total));
	if (!ip) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memset(dp_meta(m), 0, sizeof(struct dp_pkt_meta));
	dp_meta(m)->l3_off = (uint8_t)l2;
	dp_meta(m)->iface_in = p->iface;
	ip += l2;
	ip[-2] = 0x08; /* IPv4: the L2 header is written around the EtherType given here */
	ip[-1] = 0x00;
	const size_t fhl = (size_t)(from[0] & 0x0f) * 4;
	memset(ip, 0, hl + 8);
	ip[0] = 0x45;
	svr_wr16(ip + 2, (uint16_t)total);
	ip[6] = 0x40; /* DF */
	ip[8] = 65;   /* forwarded once: leaves with 64 */
	ip[9] = SVR_WIRE_UDP;
	memcpy(ip + 12, from + 16, 4); /* our waypoint */
	memcpy(ip + 16, from + 12, 4); /* the peer's */
	memcpy(ip + hl, from + fhl + 2, 2);
	memcpy(ip + hl + 2, from + fhl, 2);
	svr_wr16(ip + hl + 4, (uint16_t)(8 + blen));
	memcpy(ip + hl + 8, block, blen);
	svr_wire_checksums(ip);
	struct dp_svr_sign job = {.m = m,
				  .ip = ip,
				  .l4_off = (uint16_t)hl,
				  .hmac = p->hmac,
				  .time_based = p->time_based,
				  .s = s}; /* reverse metadata: the session's key */
	if (dp_svr_path_signed(p)) {
		sign_jobs(w, &job, 1);
		if (job.why != SVR_DROP_MAX) { /* a packet of ours, never received: not a drop */
			rte_pktmbuf_free(m);
			return NULL;
		}
	}
	return m;
}

/*
 * End-to-end payload encryption (docs/svr.md): toward the peer the transport
 * payload becomes IV || AES-CBC(payload) under the session's key; from the
 * peer it is opened again. The transport checksum covers new bytes: computed
 * again in full.
 */
static bool seal_payload(struct dp_worker *w, struct rte_mbuf *m, uint8_t *ip, size_t l4_off,
			 const struct svr_session *s, enum svr_sdir dir)
{
	size_t total = svr_rd16(ip + 2), l4h = svr_wire_l4_hlen(ip);
	size_t clear = total - l4_off - l4h, grow = svr_md_cipher_len(clear) - clear;
	if (total + grow > UINT16_MAX || !rte_pktmbuf_append(m, (uint16_t)grow)) {
		dp_drop(w, m, SVR_DROP_NO_MBUF);
		return false;
	}
	const struct svr_key *k = dp_svr_session_payload_key(s, dir);
	if (!k || svr_payload_encrypt(dp_svr_worker_crypto(w->index), k, ip + l4_off + l4h, clear,
				      clear + grow) != clear + grow) {
		dp_drop(w, m, k ? SVR_DROP_SVR_CRYPTO : SVR_DROP_SVR_NO_KEY);
		return false;
	}
	svr_wr16(ip + 2, (uint16_t)(total + grow));
	svr_wire_checksums(ip);
	return true;
}

static bool open_payload(struct dp_worker *w, struct rte_mbuf *m, uint8_t *ip, size_t l4_off,
			 const struct svr_session *s, enum svr_sdir dir)
{
	size_t total = svr_rd16(ip + 2), l4h = svr_wire_l4_hlen(ip);
	size_t len = total - l4_off - l4h;
	if (len == 0) /* nothing was encrypted (a bare ACK, a SYN once its metadata is gone) */
		return true;
	/* room: the mbuf's data from the payload on, and its tailroom (OpenSSL's block ahead) */
	uint8_t *pl = ip + l4_off + l4h;
	size_t room = (size_t)(rte_pktmbuf_mtod(m, uint8_t *) + rte_pktmbuf_data_len(m) - pl) +
		      rte_pktmbuf_tailroom(m);
	const struct svr_key *k = dp_svr_session_payload_key(s, dir);
	int n = -1;
	if (k && room >= len + 16) {
		n = svr_payload_decrypt(dp_svr_worker_crypto(w->index), k, pl, len, room);
	} else if (k && len <= DP_SVR_MAX_PAYLOAD) {
		/* no block of tailroom for OpenSSL (an MTU near the mbuf's size): through a copy */
		uint8_t tmp[DP_SVR_MAX_PAYLOAD + 16];
		memcpy(tmp, pl, len);
		n = svr_payload_decrypt(dp_svr_worker_crypto(w->index), k, tmp, len, sizeof(tmp));
		if (n >= 0)
			memcpy(pl, tmp, (size_t)n);
		OPENSSL_cleanse(tmp, len);
	}
	if (n < 0) {
		dp_drop(w, m, SVR_DROP_SVR_PAYLOAD);
		return false;
	}
	size_t shrink = len - (size_t)n;
	rte_pktmbuf_trim(m, (uint16_t)shrink);
	svr_wr16(ip + 2, (uint16_t)(total - shrink));
	svr_wire_checksums(ip);
	return true;
}

enum dp_svr_verdict dp_svr_packet(struct dp_worker *w, const struct dp_gen *g, struct rte_mbuf *m,
				  uint8_t *ip, const struct svr_flow4 *f, struct svr_session *s,
				  enum svr_sdir dir, const struct dp_svr_check *pre,
				  struct dp_svr_sign *sign_job, struct rte_mbuf **reply)
{
	*reply = NULL;
	const struct svr_rewrite *rw = svr_session_rw(s, dir);
	const struct dp_svr_path_policy *p = dp_svr_path_policy(g, rw->svr_path);
	uint8_t flags = __atomic_load_n(&rw->flags, __ATOMIC_RELAXED);
	const uint8_t hmac = p->hmac;
	const bool time_based = p->time_based;
	if (!p->in_model) { /* the model no longer has the path (or a newer one made it) */
		/* gone for good: ends at the next ageing pass, not after its idle timeout. (A
		 * worker still on the generation before the path's: one packet, then rebuilt.)
		 * Not when only our waypoint moved (a new lease): the session waits for the
		 * path's new slot to work and moves there (session/migrate.c); until then its
		 * packets are dropped. (A scan of the slots, on this drop only.) */
		if (dp_worker_gen(w) == g && dp_svr_path_successor(g, rw->svr_path) < 0)
			make_stale(s);
		dp_drop(w, m, SVR_DROP_SVR_PATH_GONE);
		return DP_SVR_DROPPED;
	}
	/* The path's HMAC switched on or off since the session began (a new model): the two
	 * routers would no longer agree on its packets (a trailer taken for data, or missed). It
	 * ends; the next session starts under the new policy. */
	if (!!(flags & (SVR_RW_HMAC_ADD | SVR_RW_HMAC_CHECK)) != dp_svr_path_signed(p)) {
		if (dp_worker_gen(w) == g)
			make_stale(s);
		dp_drop(w, m, SVR_DROP_SVR_PATH_CHANGED);
		return DP_SVR_DROPPED;
	}
	/* No SVR fragmentation yet: a fragment could not be signed or checked whole. */
	if (f->fragment) {
		dp_drop(w, m, SVR_DROP_FRAGMENT);
		return DP_SVR_DROPPED;
	}
	/* Ethernet padding after the datagram is not data: what SVR strips and appends is at the
	 * datagram's end, and no byte of a buffer's earlier packet may leave with this one. */
	uint32_t end = dp_meta(m)->l3_off + svr_rd16(ip + 2);
	if (rte_pktmbuf_data_len(m) > end)
		rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - end));
	/* From the peer only over the path's interface; toward it never from there (a WAN host
	 * must not get its packets signed by matching a session's key). */
	bool from_peer = flags & (SVR_RW_HMAC_CHECK | SVR_RW_MD_ACK_PRESENT | SVR_RW_MD_ACK_ABSENT);
	if ((dp_meta(m)->iface_in == p->iface) != from_peer) {
		dp_drop(w, m, SVR_DROP_SVR_WRONG_SIDE);
		return DP_SVR_DROPPED;
	}
	if (stale(s)) {
		dp_drop(w, m, SVR_DROP_SVR_STALE);
		return DP_SVR_DROPPED;
	}
	size_t l4h = svr_wire_l4_hlen(ip); /* 0 for an ICMP echo still to be wrapped */
	if (!(flags & SVR_RW_UDP_WRAP) && (l4h == 0 || f->l4_off + l4h > svr_rd16(ip + 2))) {
		dp_drop(w, m, SVR_DROP_L4_SHORT);
		return DP_SVR_DROPPED;
	}
	uint8_t *pl = ip + f->l4_off + l4h;
	size_t plen = svr_rd16(ip + 2) - f->l4_off - l4h;
	if (flags & SVR_RW_HMAC_CHECK) { /* from the peer: signed, or dropped */
		size_t tl = svr_hmac_len(hmac);
		const struct svr_session *keys_of =
		    plen >= tl && file_key_signed(flags, pl, plen - tl) ? NULL : s;
		bool cover_id = plen >= tl && dp_svr_signs_id(rw, pl, plen - tl);
		/* the pre-check of this very packet, under the settings read here */
		if (pre &&
		    !(pre->hmac == hmac && pre->time_based == time_based && pre->msg.data == pl &&
		      pre->msg.len + tl == plen && pre->s == keys_of && pre->cover_id == cover_id))
			pre = NULL;
		struct svr_hmac_msg msg;
		if (plen >= tl && !(pre && pre->ok)) {
			dp_svr_msg_of(&msg, ip, pl, plen - tl);
			if (cover_id)
				dp_svr_msg_cover_id(&msg, ip);
		}
		if (plen < tl ||
		    (!(pre && pre->ok) &&
		     !dp_svr_verify(w, hmac, time_based, &msg, pl + plen - tl, pre, keys_of))) {
			dp_drop(w, m, SVR_DROP_SVR_HMAC);
			return DP_SVR_DROPPED;
		}
		plen -= tl;
		svr_wire_resize(ip, tl, false);
		rte_pktmbuf_trim(m, (uint16_t)tl);
	}
	bool stripped = false;
	if (flags & (SVR_RW_MD_ACK_PRESENT | SVR_RW_MD_ACK_ABSENT)) {
		struct svr_md_layout l;
		bool present =
		    svr_md_has_cookie(pl, plen) && svr_md_layout(pl, plen, &l, NULL, 0) == 0;
		stripped = present;
		/* a bare header is the false-positive marker (§2.3): stripped, but no metadata */
		bool md_in = present && !(l.header_len == SVR_MD_FIXED_LEN && l.payload_len == 0);
		/* Egress: forward metadata again is a retransmitted first packet of this session —
		 * or the first packet of a new one, when the ingress ended this session before us
		 * and gave its waypoint pair to the next (then this one is stale) — or a signed
		 * first packet of another session replayed onto this tuple (the HMAC does not
		 * cover ports: O-3). A session still in use is kept: a new one waits until this one
		 * has been idle a moment or is closing (see stale_ok). */
		if (md_in && (flags & SVR_RW_MD_ACK_ABSENT)) {
			struct svr_md md;
			enum svr_drop_reason why =
			    dp_svr_md_read(w->index, p->encryption, pl, plen, &md);
			if (why == SVR_DROP_MAX && (md.present & SVR_MDF_MODIFY) &&
			    !(md.modify & SVR_MD_MODIFY_D) &&
			    !svr_session_current(svr_session_info(dp_sess.table, s))) {
				/* a session moved away, moving back onto the tuple this entry
				 * (draining) still holds: it ends now, so that the next such packet
				 * re-binds the session (docs/paths.md "Migration") */
				make_stale(s);
				why = SVR_DROP_SVR_STALE;
			} else if (why == SVR_DROP_MAX &&
				   (!(md.present & SVR_MDF_UUID) ||
				    memcmp(md.uuid, svr_session_info(dp_sess.table, s)->uuid, 16) !=
					0)) {
				if ((md.present & SVR_MDF_UUID) && dp_svr_replayed(md.uuid)) {
					why = SVR_DROP_SVR_REPLAYED;
				} else if (stale_ok(s)) {
					make_stale(s);
					why = SVR_DROP_SVR_STALE;
				} else {
					why = SVR_DROP_SVR_UUID_BUSY;
				}
			}
			if (why != SVR_DROP_MAX) {
				dp_drop(w, m, why);
				return DP_SVR_DROPPED;
			}
			/* a one-way flow: ask the ingress to stop (O-8); not an echo: answered */
			if (ip[9] == SVR_WIRE_UDP &&
			    (!(flags & SVR_RW_UDP_UNWRAP) ||
			     rw->wrapped_proto != SVR_IPPROTO_ICMP) &&
			    s->dir[SVR_DIR_REV].pkts == 0 && s->dir[SVR_DIR_FWD].pkts >= 3)
				*reply = md_only_reply(w, g, p, ip, s);
		}
		size_t blen = present ? (size_t)l.header_len + l.payload_len : 0;
		/* Ingress: nothing but metadata with TLV 18 from the egress is its acknowledgement
		 * of a one-way flow; it goes no further (an empty datagram of the server's goes on)
		 */
		bool ack_only = md_in && blen == plen && (flags & SVR_RW_MD_ACK_PRESENT) &&
				ip[9] == SVR_WIRE_UDP && md_disables_fwd(w->index, p, pl, blen);
		/* Ingress of a duplicated session: the egress's reverse metadata says whether it
		 * numbers its packets too (it had room to); from then on their numbers are signed
		 * and this direction checks them (dp_svr_signs_id) */
		if (md_in && (flags & SVR_RW_MD_ACK_PRESENT) && !(rw->svr & SVR_RW2_DUP) &&
		    (svr_session_rw(s, !dir)->svr & SVR_RW2_DUP) &&
		    md_duplicated(w->index, p, pl, blen))
			__atomic_fetch_or(&svr_session_rw(s, dir)->svr, SVR_RW2_DUP,
					  __ATOMIC_RELAXED);
		if (present) {
			svr_wire_strip(ip, blen);
			rte_pktmbuf_trim(m, (uint16_t)blen);
		}
		if (md_in == !!(flags & SVR_RW_MD_ACK_PRESENT))
			acknowledge(s, dir);
		if (ack_only) {
			dp_drop(w, m, SVR_DROP_SVR_MD_ONLY);
			return DP_SVR_DROPPED;
		}
	}
	if ((rw->svr & SVR_RW2_PAYLOAD) && from_peer && !open_payload(w, m, ip, f->l4_off, s, dir))
		return DP_SVR_DROPPED;
	uint8_t block[1024];
	size_t blen = 0, tl = flags & SVR_RW_HMAC_ADD ? svr_hmac_len(hmac) : 0;
	if ((flags & SVR_RW_HMAC_ADD) && tl == 0) {
		/* signed (dp_svr_path_signed) but no trailer length: never sent unsigned */
		dp_drop(w, m, SVR_DROP_SVR_CRYPTO);
		return DP_SVR_DROPPED;
	}
	/* what encryption adds to this packet (IV and padding), and to any segment (the MSS) */
	size_t enc = 0, enc_max = 0;
	if ((rw->svr & SVR_RW2_PAYLOAD) && !from_peer) {
		/* an echo still to be wrapped has l4h 0: its whole ICMP message is the payload */
		size_t clear = svr_rd16(ip + 2) - f->l4_off - l4h;
		enc = clear ? svr_md_cipher_len(clear) - clear : 0;
		enc_max = SVR_IV_LEN + 16;
	}
	if (flags & SVR_RW_MD_ADD) {
		enum svr_drop_reason why;
		blen = dp_svr_build_md(w->index, g, s, dir, &f->key, 0, block, sizeof(block), &why);
		if (blen == 0) {
			dp_drop(w, m, why);
			return DP_SVR_DROPPED;
		}
	} else if (!from_peer && !enc && svr_md_has_cookie(pl, plen)) {
		/* A payload that starts like metadata: the peer must not strip it, so it gets the
		 * false-positive marker in front (§2.3), which the peer strips instead. An
		 * encrypted payload starts with an IV that never looks like this. */
		svr_md_marker(block);
		blen = SVR_MD_FIXED_LEN;
	}
	if (!from_peer) {
		/* A packet that would not fit the path once SVR adds to it (metadata, trailer,
		 * encryption): the sender hears how much it may send (SVR fragmentation comes
		 * later); nothing is lost silently. */
		uint16_t mtu = g->ifaces[p->iface].mtu;
		size_t wrap = flags & SVR_RW_UDP_WRAP ? 8 : 0;
		if (svr_rd16(ip + 2) + blen + tl + wrap + enc > mtu) {
			size_t over = blen + tl + wrap + enc_max; /* 68: the least IPv4 allows */
			dp_meta(m)->mtu = (uint16_t)(mtu > over + 68 ? mtu - over : 68);
			dp_punt(w, m, DP_PUNT_SVR_TOO_BIG);
			return DP_SVR_DROPPED;
		}
	}
	uint16_t l3_off = dp_meta(m)->l3_off;
	if (flags & SVR_RW_UDP_UNWRAP) { /* an echo or other protocol that crossed as UDP */
		if (svr_wire_udp_unwrap(ip, rw->wrapped_proto) == 0) {
			dp_drop(w, m, SVR_DROP_L4_SHORT);
			return DP_SVR_DROPPED;
		}
		rte_pktmbuf_trim(m, 8);
		svr_wire_translate_bare(ip, &rw->src, &rw->dst, rw->sport);
	} else if (flags & SVR_RW_UDP_WRAP) { /* an echo or other protocol leaving as UDP */
		svr_wire_translate_bare(ip, &rw->src, &rw->dst, f->key.sport);
		if (!rte_pktmbuf_append(m, 8) ||
		    svr_wire_udp_wrap(ip, rte_pktmbuf_data_len(m) - l3_off,
				      rte_be_to_cpu_16(rw->sport),
				      rte_be_to_cpu_16(rw->dport)) == 0) {
			dp_drop(w, m, SVR_DROP_NO_MBUF);
			return DP_SVR_DROPPED;
		}
	} else if ((flags & SVR_RW_MD_ADD) || stripped) {
		svr_wire_translate(ip, &rw->src, &rw->dst, rte_be_to_cpu_16(rw->sport),
				   rte_be_to_cpu_16(rw->dport));
	} else { /* established: the deltas computed at creation, as on the hit path */
		svr_rewrite4(ip, ip + f->l4_off, f->key.proto, rw);
	}
	if (enc && !seal_payload(w, m, ip, f->l4_off, s, dir))
		return DP_SVR_DROPPED;
	if ((tl || enc_max) && ip[9] == SVR_WIRE_TCP) {
		/* Room for the trailer and encryption in every segment: the MSS the peer side will
		 * use. */
		size_t mtu = g->ifaces[p->iface].mtu, over = 40 + tl + enc_max;
		svr_wire_clamp_mss(ip, (uint16_t)(mtu > over + 536 ? mtu - over : 536));
	}
	if (blen) {
		if (!rte_pktmbuf_append(m, (uint16_t)blen) ||
		    svr_wire_insert(ip, rte_pktmbuf_data_len(m) - l3_off, block, blen) == 0) {
			dp_drop(w, m, SVR_DROP_NO_MBUF);
			return DP_SVR_DROPPED;
		}
	}
	/* one more data packet on the path, each way: the in-band path metrics (TLV 26) */
	dp_svr_path_packet(w->index, rw->svr_path, !from_peer);
	if (tl) { /* to the peer: signed at the burst's end (msg_of: what the trailer covers) */
		sign_job->m = m;
		sign_job->ip = ip;
		sign_job->hmac = hmac;
		sign_job->time_based = time_based;
		/* forward metadata: the key file's key (the egress may have no session yet) */
		sign_job->file_key = dir == SVR_DIR_FWD && (flags & SVR_RW_MD_ADD);
		/* no block added (none, and no marker: blen 0): the packet number too */
		sign_job->cover_id = (rw->svr & SVR_RW2_DUP) && blen == 0;
		return DP_SVR_SIGN;
	}
	return DP_SVR_GO;
}

/* --- ICMP errors carried between the routers (svrpath/icmp.c) --- */

enum svr_drop_reason dp_svr_session_trailer_strip(struct dp_worker *w,
						  const struct dp_svr_path_policy *p,
						  struct rte_mbuf *m, uint8_t *ip,
						  const struct svr_session *s)
{
	size_t total = svr_rd16(ip + 2), l4_off = (size_t)(ip[0] & 0x0f) * 4;
	size_t l4h = svr_wire_l4_hlen(ip), tl = svr_hmac_len(p->hmac);
	if (l4h == 0 || total < l4_off + l4h + tl)
		return SVR_DROP_SVR_HMAC;
	const uint8_t *pl = ip + l4_off + l4h;
	size_t plen = total - l4_off - l4h - tl;
	struct svr_hmac_msg msg;
	dp_svr_msg_of(&msg, ip, pl, plen);
	if (!dp_svr_verify(w, p->hmac, p->time_based, &msg, pl + plen, NULL, s))
		return SVR_DROP_SVR_HMAC;
	svr_wire_resize(ip, tl, false);
	rte_pktmbuf_trim(m, (uint16_t)tl);
	return SVR_DROP_MAX;
}
