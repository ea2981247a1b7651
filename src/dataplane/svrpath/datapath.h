/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The packets of SVR sessions on the hit path (datapath.c, docs/svr.md):
 * HMAC trailers checked and signed two or four at a time, arriving metadata
 * stripped and acknowledged, end-to-end payload encryption, the one-way-flow
 * answer, the false-positive marker, stale and replayed sessions, packets
 * wrapped in UDP and unwrapped.
 */
#ifndef SVR_PATH_DATAPATH_H
#define SVR_PATH_DATAPATH_H

#include <stdbool.h>
#include <stdint.h>

#include "common/security.h"
#include "flow/flow.h"
#include "flow/table.h"
#include "svr/counters.h"

struct dp_gen;
struct dp_worker;
struct dp_svr_path_policy;
struct rte_mbuf;

/* A session whose waypoint tuple shows up with another UUID ends only after this long idle
 * (or TCP closing): the ingress ended it first and reused the pair (docs/svr.md) */
#define SVR_STALE_IDLE_S   2
#define DP_SVR_MAX_PAYLOAD 2048

/*
 * HMAC trailers two at a time. One SHA-256 stream leaves the CPU's SHA unit
 * waiting on itself; two interleaved cost about what one does
 * (common/sha256x2.h). So a burst's trailers are checked ahead in pairs
 * (dp_svr_check_*), and the packets to sign are held until the burst's end
 * and signed in pairs (dp_svr_sign_run). Same bytes, same verdicts as one at
 * a time: a trailer that fails the pair check gets the full check (every
 * listed key, the neighbouring time steps) in dp_svr_packet.
 */
struct dp_svr_check {
	struct svr_hmac_msg msg; /* what the trailer signs: payload and covered fields */
	const uint8_t *trailer;
	const struct svr_session *s; /* whose keys sign it; NULL: the key file's (O-3) */
	uint8_t hmac;                /* the path's settings the check used */
	bool time_based;
	bool cover_id; /* msg covers the IP identification (dp_svr_signs_id) */
	bool ok;       /* the trailer signs msg (then dp_svr_packet does not check again) */
	bool ran;      /* a pair check ran: with key slot hint at step (not hashed there again) */
	uint32_t hint;
	uint64_t step;
};

/* A packet signed at the burst's end; then, as session/hit.c would have, its session touched and
 * the packet sent. */
struct dp_svr_sign {
	struct rte_mbuf *m; /* NULL once dropped */
	uint8_t *ip;
	struct svr_hmac_msg msg; /* what the trailer signs (dp_svr_sign_run's); it goes at
				  * msg.data + msg.len */
	uint32_t nh;
	struct svr_rewrite rw;
	struct svr_session *s;
	uint16_t bytes; /* the packet as it arrived, for the session's counters */
	uint16_t l4_off;
	uint8_t dir;
	uint8_t tcp_flags;
	uint8_t proto;
	uint8_t hmac;
	bool time_based;
	bool file_key; /* signed with the key file's key: forward metadata in front (O-3) */
	bool cover_id; /* the trailer covers the IP identification (a duplicated session's) */
	enum svr_drop_reason why; /* dp_svr_sign_run's */
};

/*
 * Whether a packet (intact, at ip) of a duplicated session's direction carries a signed packet
 * number in its IP identification (docs/paths.md "Duplication"): the direction is marked
 * duplicated and the packet has no metadata block.
 */
bool dp_svr_numbered(const struct dp_gen *g, const struct svr_rewrite *rw, const uint8_t *ip,
		     size_t l4_off);

/* Whether a packet from a peer has a trailer to check; if so c describes it. */
bool dp_svr_check_add(struct dp_svr_check *c, const struct dp_gen *g, struct rte_mbuf *m,
		      const struct svr_flow4 *f, const struct svr_session *s, enum svr_sdir dir);
/* Checks the n trailers, in pairs of the same settings, against the key that signed this
 * worker's last packet at the current time step. */
void dp_svr_check_run(struct dp_worker *w, struct dp_svr_check *c, unsigned n);
/* Appends and writes the n jobs' trailers (pairs under the current key), lengths and checksums
 * following; a job that fails is dropped (counted) and its m set to NULL. */
void dp_svr_sign_run(struct dp_worker *w, struct dp_svr_sign *jobs, unsigned n);

enum dp_svr_verdict {
	DP_SVR_DROPPED, /* counted */
	DP_SVR_GO,      /* send it */
	DP_SVR_SIGN,    /* send it once signed: *sign filled (m, ip, hmac, time_based) */
};

/*
 * Worker, for a packet of a session whose direction has SVR work
 * (SVR_RW_SVR_ANY): from the peer, checks (unless pre says it passed) and
 * strips the HMAC trailer, then strips arriving metadata and acknowledges,
 * decrypts an encrypted payload; translates the packet to its rewrite (in
 * full); toward the peer, encrypts the payload when the session asks, clamps
 * the MSS of SYNs, adds metadata when due and leaves the signing to
 * dp_svr_sign_run. f: the flow as parsed (the original tuple). *reply: a
 * packet to send back to the peer (the egress's metadata-only answer to a
 * one-way flow), or NULL.
 */
enum dp_svr_verdict dp_svr_packet(struct dp_worker *w, const struct dp_gen *g, struct rte_mbuf *m,
				  uint8_t *ip, const struct svr_flow4 *f, struct svr_session *s,
				  enum svr_sdir dir, const struct dp_svr_check *pre,
				  struct dp_svr_sign *sign, struct rte_mbuf **reply);

/*
 * ICMP errors carried between the routers (svrpath/icmp.c): a packet's
 * trailer checked under session s's own key (every listed key, the
 * neighbouring time steps) and stripped (the IP length and checksums follow).
 * SVR_DROP_MAX, or the reason.
 */
enum svr_drop_reason dp_svr_session_trailer_strip(struct dp_worker *w,
						  const struct dp_svr_path_policy *p,
						  struct rte_mbuf *m, uint8_t *ip,
						  const struct svr_session *s);

#endif
