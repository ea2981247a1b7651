/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SVR data path (docs/svr.md): peer-path slots with their security, the
 * key ring, the packets of SVR sessions (metadata added, stripped,
 * acknowledged; HMAC trailers; metadata and end-to-end payload encryption) and reading the first
 * packet from a peer before the egress creates anything. IPv4, TCP and UDP.
 */
#ifndef SVR_PATH_H
#define SVR_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/security.h"
#include "core/worker.h"
#include "flow/flow.h"
#include "flow/table.h"
#include "svr/image.h"
#include "svr/metadata.h"

#define DP_MAX_SVR_PATHS 1024
/* ours even in [16384, 65534], the peer's odd in [16385, 65533] (svr-protocol.md 3.1, O-18) */
#define SVR_WAYPORT_LO      16384
#define SVR_WAYPORT_HI      65534
#define SVR_PEER_WAYPORT_LO 16385 /* the peer's, unless its neighborhood says "port-range" */
#define SVR_PEER_WAYPORT_HI 65533
/* A session whose waypoint tuple shows up with another UUID ends only after this long idle
 * (or TCP closing): the ingress ended it first and reused the pair (docs/svr.md) */
#define SVR_STALE_IDLE_S   2
#define DP_SVR_MAX_PAYLOAD 2048
/* How long an ended egress session's UUID is refused: time-based HMAC (a first packet is valid
 * a few seconds), otherwise twice its idle timeout, at least twice SVR_REPLAY_MIN_S */
#define SVR_REPLAY_TIMED_S 10
#define SVR_REPLAY_MIN_S   180

/* A peer path's identity, in a slot stable across generations (sessions keep its index);
 * written once, when the slot is appended. */
struct dp_svr_path {
	uint32_t local, remote; /* waypoint addresses, network order */
	char peer[33];          /* the peer router's name */
	char name[80];          /* "neighborhood/interface": the peer path id we send */
};

/*
 * What one generation says about a path slot (struct dp_session_policy.svr_paths, by slot):
 * a worker reads the settings of the generation it runs under, never a mix of two.
 */
struct dp_svr_path_policy {
	bool in_model;      /* false: not in this model: no new session, live ones dropped */
	uint8_t hmac;       /* enum svr_img_hmac */
	bool time_based;    /* hmac-mode time-based */
	uint8_t encryption; /* enum svr_img_cipher */
	uint16_t iface;     /* our interface slot on the path (its MTU bounds what SVR adds) */
	uint16_t peer_port_lo, peer_port_hi; /* the peer's receive ports */
};

/*
 * Whether a path's packets carry an HMAC trailer: the one test behind the
 * session's SVR_RW_HMAC_* flags (creation), the first packet from a peer and
 * every hit. An HMAC the image checker would not know never gets here; were
 * one to, its trailer length is 0 and verification fails, so it is dropped,
 * never taken as unsigned.
 */
static inline bool dp_svr_path_signed(const struct dp_svr_path_policy *p)
{
	return p->hmac != SVR_HMAC_NONE;
}

/* Startup: the key file (missing: no keys) and the workers' crypto contexts. */
int dp_svr_init(const char *key_file, unsigned n_workers);
void dp_svr_free(void);
/* Main lcore, each housekeeping turn: reads the key file again when it changed (hitless
 * rotation: new keys in, removed keys out, slots of the others kept); a bad file, or one whose
 * keys do not fit the running image's ciphers (dp_svr_keys_fit), is logged and the running keys
 * stay. */
void dp_svr_keys_poll(void);
/* Main lcore, before an image is applied: whether the running keys fit the encryption cipher of
 * every security policy its peer paths use (key length). 0, or -1 with a sentence naming the
 * policy, the key and the length needed. */
int dp_svr_keys_fit(const void *img, char *err, size_t errlen);
/* Main lcore, each housekeeping turn: logs (at most every 10 s) the first packets from peers
 * refused since the last report as if under other keys: HMAC failed (svr-hmac-failed) or the
 * metadata did not decrypt (svr-metadata-undecryptable), naming a peer path. */
void dp_svr_keys_differ_report(uint64_t now_ms);

/* Main lcore, when a generation is built: the slot of a path, appended when new; -1 if full. */
int dp_svr_path_slot(const char *peer, const char *name, uint32_t local, uint32_t remote);
/* Main lcore: what a new generation says about a path: its security (the image's security
 * policy, or none), its interface slot, the peer's receive ports (0, 0: the default range). */
void dp_svr_path_policy_fill(struct dp_svr_path_policy *pp, const void *img, uint32_t security,
			     uint16_t iface, uint16_t peer_port_lo, uint16_t peer_port_hi);
const struct dp_svr_path *dp_svr_path(uint16_t slot);
/* What generation g says about a slot (a slot newer than g: not in its model). */
const struct dp_svr_path_policy *dp_svr_path_policy(const struct dp_gen *g, uint16_t slot);
/* The slot of g's path between our waypoint local and the peer's remote, or -1. */
int dp_svr_path_find(const struct dp_gen *g, uint32_t local, uint32_t remote);

/*
 * End-to-end payload encryption: the key a session encrypts its payloads
 * with, as a tag for struct svr_session.payload_key (its key-ring slot and
 * bits of its Security ID): the newest valid key (ingress) or the one the
 * forward metadata's Security ID names (egress); 0 when there is none with an
 * encryption key.
 */
uint16_t dp_svr_payload_key_current(void);
uint16_t dp_svr_payload_key_of(uint32_t security_id);

/*
 * The UUIDs of egress sessions, against replayed first packets (replay.h):
 * claimed when a session is made (creation path), marked ended when it ends
 * (main lcore, before the entry goes); dp_svr_read_first and forward metadata
 * naming another UUID on a session refuse one that is live or remembered
 * (svr-replayed). Never on the hit path.
 */
/* How long a UUID is remembered after its session ends, for a session on path slot `slot` of
 * g made with idle timeout idle_s. */
uint32_t dp_svr_replay_hold_s(const struct dp_gen *g, uint16_t slot, uint32_t idle_s);
/* Creation path, before an egress session is made: SVR_DROP_MAX when the UUID was neither live
 * nor remembered and is live now (under one lock: of two first packets with one UUID, on two
 * workers, one passes); else svr-replayed, or svr-replay-full when the memory is full (nothing
 * is evicted). dp_svr_uuid_unclaim gives it back when no session of that UUID came of it. */
enum svr_drop_reason dp_svr_uuid_claim(const uint8_t uuid[16], uint32_t hold_s);
void dp_svr_uuid_unclaim(const uint8_t uuid[16]);
/* Main lcore: session s ends; an egress session's UUID is remembered for its hold. */
void dp_svr_session_ending(const struct svr_session *s);
/* Main lcore, housekeeping: forgets UUIDs whose time passed (every slot about once a second). */
void dp_svr_replay_sweep(uint64_t elapsed_ms);
/* The replay memory's bytes (sized at start to the session table). */
size_t dp_svr_replay_bytes(void);

/* Egress, creating a session whose own NAT changes the original tuple: keeps the forward
 * context it arrived with, so that the reverse metadata mirrors it (O-6). */
void dp_svr_keep_fwd_ctx(uint32_t idx, const uint8_t uuid[16], const struct svr_md_ctx *c);

/* Main lcore: the peer paths (peer, path, interface, waypoints, security) and the keys (ids,
 * not-before, which one signs; never their bytes), for "svrctl show peers". */
json_t *dp_svr_peers_json(void);

/* The SVR_RW_* flags a path's security adds: signing toward the peer, checking from it. */
uint8_t dp_svr_hmac_flags(const struct dp_gen *g, uint16_t slot, bool to_peer);

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
	bool ok;  /* the trailer signs msg (then dp_svr_packet does not check again) */
	bool ran; /* a pair check ran: with key slot hint at step (not hashed there again) */
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
	enum svr_drop_reason why; /* dp_svr_sign_run's */
};

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
 * Egress, before anything is created: verifies the HMAC trailer of a first
 * packet from a peer (when its path's policy signs) and decodes its metadata,
 * decrypting the payload section apart (the packet stays as it came: the hit
 * path strips it); under a regular HMAC, refuses the UUID of a session that
 * ended here. Returns SVR_DROP_MAX with md, else the reason to drop.
 */
enum svr_drop_reason dp_svr_read_first(struct dp_worker *w, const struct dp_gen *g, uint16_t slot,
				       const uint8_t *ip, size_t l4_off, struct svr_md *md);

/*
 * ICMP errors carried between the routers (svrpath/icmp.c): the Security ID
 * senders name now (0: no key); and a packet's trailer checked under session
 * s's own key (every listed key, the neighbouring time steps) and stripped
 * (the IP length and checksums follow). SVR_DROP_MAX, or the reason.
 */
uint32_t dp_svr_security_id_now(void);
enum svr_drop_reason dp_svr_session_trailer_strip(struct dp_worker *w,
						  const struct dp_svr_path_policy *p,
						  struct rte_mbuf *m, uint8_t *ip,
						  const struct svr_session *s);

/*
 * ICMP errors about SVR sessions (svrpath/icmp.c, docs/svr.md "ICMP errors").
 * Each returns true when m is ready to route (to its IP destination), false
 * when it was dropped (counted).
 * - dp_svr_icmp_to_peer: an ICMP error from our side about session s, going
 *   in direction dir (toward the peer; inner_off: its quoted packet), made an
 *   SVR ICMP error message signed with the session's key.
 * - dp_svr_icmp_open: an SVR ICMP error message from the peer on s's
 *   direction dir, checked (path, side, trailer) and opened into the plain
 *   ICMP error it carries (still quoting the waypoint tuple).
 * - dp_svr_icmp_unsigned: a plain ICMP error from the WAN about s (direction
 *   dir, toward our endpoint): "fragmentation needed" is translated for the
 *   endpoint with the MTU less what SVR adds; anything else is dropped
 *   (svr-icmp-unsigned).
 */
bool dp_svr_icmp_to_peer(struct dp_worker *w, const struct dp_gen *g, struct rte_mbuf *m,
			 uint8_t *ip, uint32_t inner_off, struct svr_session *s, enum svr_sdir dir);
bool dp_svr_icmp_open(struct dp_worker *w, const struct dp_gen *g, struct rte_mbuf *m, uint8_t *ip,
		      const struct svr_session *s, enum svr_sdir dir);
bool dp_svr_icmp_unsigned(struct dp_worker *w, const struct dp_gen *g, struct rte_mbuf *m,
			  uint8_t *ip, uint32_t inner_off, const struct svr_session *s,
			  enum svr_sdir dir);

/* Whether interface slot iface carries a peer path of generation g (a WAN side). ICMP errors
 * only, not per packet: a walk of the paths. */
bool dp_svr_iface_has_path(const struct dp_gen *g, uint16_t iface);

#endif
