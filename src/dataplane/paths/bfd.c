/* SPDX-License-Identifier: BSD-3-Clause */
/* Peer-path liveness: a BFD session per path, run by the main lcore (paths.h, docs/paths.md). */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_random.h>
#include <rte_ring.h>

#include "common/bfd.h"
#include "common/bytes.h"
#include "common/log.h"
#include "common/security.h"
#include "common/tbucket.h"
#include "core/dp.h"
#include "core/event.h"
#include "core/worker.h"
#include "flow/state.h"
#include "l2l3/cksum.h"
#include "l2l3/slowpath.h"
#include "paths/internal.h"
#include "svrpath/keys.h"
#include "svrpath/path.h"
#include "svrpath/wire.h"

#define RING_SIZE      512  /* per worker: the main lcore takes them every turn (<= 2 ms) */
#define PATH_PPS       1000 /* a path's packets per worker and second: BFD and echoes at 10 ms */
#define PATH_BURST     100
#define DRAIN_BURST    32
#define IP4_HLEN       20
#define UDP_HLEN       8
#define IPPROTO_UDP4   17
#define TOS_CS6        0xc0 /* network control, as routing protocols send */
#define SEC_US         1000000ull
#define DAMP_WINDOW_US (60 * SEC_US)   /* down within a minute of up is a flap */
#define CHOICE_US      (100 * 1000ull) /* services' paths ranked again this often */
#define MD_MAX         256             /* the metadata block of a BFD packet we send */

struct dp_path_bfd dp_path_bfd[DP_MAX_SVR_PATHS];
static _Atomic uint8_t path_usable[DP_MAX_SVR_PATHS];
static struct rte_ring *rings[DP_MAX_WORKERS];
static unsigned n_rings;
/* each worker's budget for each path, written by that worker only */
static struct svr_tbucket budget[DP_MAX_WORKERS][DP_MAX_SVR_PATHS];

/* BFD keys, derived from the SVR key ring each time it is loaded (svr_bfd_key_derive). */
static struct svr_bfd_keyring keys;
static uint32_t key_sid[SVR_BFD_KEYS_MAX]; /* the Security ID each of keys was derived from */
static uint64_t keys_loaded;
static uint64_t choose_at_us; /* when the services' paths are ranked next */
static uint32_t nat_epoch;    /* dp_paths_nat_epoch */

uint64_t dp_paths_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts); /* vDSO: no system call */
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

bool dp_paths_usable(uint16_t slot)
{
	return slot < DP_MAX_SVR_PATHS &&
	       atomic_load_explicit(&path_usable[slot], memory_order_acquire) != 0;
}

bool dp_paths_alive(uint16_t slot)
{
	if (slot >= DP_MAX_SVR_PATHS)
		return false;
	const struct dp_path_bfd *pb = &dp_path_bfd[slot];
	if (pb->active)
		return pb->s.state == SVR_BFD_UP;
	return dp_paths_usable(slot); /* without BFD: up while in the model */
}

int dp_paths_init(unsigned n_workers)
{
	for (unsigned i = 0; i < n_workers; i++) {
		char name[32];
		snprintf(name, sizeof(name), "paths-rx-%u", i);
		rings[i] = rte_ring_create(name, RING_SIZE, (int)rte_socket_id(),
					   RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (!rings[i]) {
			LOG_ERR("cannot create the ring %s: %s", name, rte_strerror(rte_errno));
			return -1;
		}
		n_rings = i + 1;
		/* a "byte" is a packet here: PATH_PPS packets a second, bursts of PATH_BURST */
		for (unsigned slot = 0; slot < DP_MAX_SVR_PATHS; slot++)
			svr_tbucket_init(&budget[i][slot], 8ull * PATH_PPS, PATH_BURST,
					 rte_get_tsc_hz(), rte_get_tsc_cycles());
	}
	dp_svr_path_show_liveness = dp_paths_bfd_json; /* "peers" shows each path's BFD */
	return 0;
}

void dp_paths_free(void)
{
	for (unsigned i = 0; i < n_rings; i++) {
		struct rte_mbuf *m;
		while (rte_ring_sc_dequeue(rings[i], (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(rings[i]);
		rings[i] = NULL;
	}
	n_rings = 0;
	OPENSSL_cleanse(&keys, sizeof(keys));
}

/* The path slot between our local and the peer's remote on iface, in g; -1 when none. */
static int path_find(const struct dp_gen *g, uint32_t local, uint32_t remote, uint16_t iface)
{
	unsigned n = dp_svr_path_count();
	for (unsigned i = 0; i < n; i++) {
		const struct dp_svr_path *p = dp_svr_path((uint16_t)i);
		const struct dp_svr_path_policy *pp = dp_svr_path_policy(g, (uint16_t)i);
		if (p->local == local && dp_svr_path_remote(p) == remote && pp->in_model &&
		    pp->iface == iface)
			return (int)i;
	}
	return -1;
}

/* A learned path of g from our waypoint local on iface whose peer the packet's metadata block md
 * names (NULL: the first such path, to admit it); -1 when none. Its source is not known, or
 * moved: only the main lcore, authenticating the packet, binds the path to it. */
static int learned_find(const struct dp_gen *g, uint32_t local, uint16_t iface,
			const struct svr_md *md)
{
	unsigned n = dp_svr_path_count();
	for (unsigned i = 0; i < n; i++) {
		const struct dp_svr_path *p = dp_svr_path((uint16_t)i);
		const struct dp_svr_path_policy *pp = dp_svr_path_policy(g, (uint16_t)i);
		if (p->remote == 0 && p->local == local && pp->in_model && pp->iface == iface &&
		    (!md || ((md->present & SVR_MDF_SRC_ROUTER) && dp_path_bfd[i].active &&
			     dp_paths_md_check((uint16_t)i, md) == SVR_BFD_OK)))
			return (int)i;
	}
	return -1;
}

enum svr_drop_reason dp_paths_admit(struct dp_worker *w, const struct dp_gen *g, uint32_t local,
				    uint32_t remote, uint16_t iface)
{
	int slot = path_find(g, local, remote, iface);
	if (slot < 0) /* a peer behind a NAT or on DHCP, new or moved: the main lcore decides */
		slot = learned_find(g, local, iface, NULL);
	if (slot < 0)
		return SVR_DROP_BFD_UNKNOWN_PATH;
	if (w->index < n_rings && !svr_tbucket_take(&budget[w->index][slot], rte_rdtsc(), 1))
		return SVR_DROP_BFD_RATE;
	return SVR_DROP_MAX;
}

void dp_paths_rx(struct dp_worker *w, struct rte_mbuf *m)
{
	if (w->index >= n_rings || rte_ring_sp_enqueue(rings[w->index], m) != 0)
		dp_drop(w, m, SVR_DROP_BFD_RING_FULL);
}

static void drop(struct rte_mbuf *m, enum svr_drop_reason why)
{
	dp.main_stats.drops[why]++;
	rte_pktmbuf_free(m);
}

/* ------------------------------------------------------------------ keys -- */

/* The BFD keys follow the key file: derived again whenever it is loaded. At most
 * SVR_BFD_KEYS_MAX of them, the one senders use now first. */
static void keys_refresh(void)
{
	uint64_t loads = dp_svr_keys_loads();
	if (loads == keys_loaded)
		return;
	keys_loaded = loads;
	OPENSSL_cleanse(&keys, sizeof(keys));
	const struct svr_keyring *kr = dp_svr_keys_running();
	const struct svr_key *cur = kr ? svr_keyring_current(kr, dp_sess.unix_s) : NULL;
	for (int pass = 0; kr && pass < 2; pass++)
		for (unsigned i = 0; i < kr->n && keys.n < SVR_BFD_KEYS_MAX; i++) {
			const struct svr_key *k = &kr->keys[i];
			if (!k->hmac_len || (pass == 0) != (k == cur))
				continue;
			if (svr_bfd_key_derive(k->hmac_key, k->hmac_len,
					       (uint8_t)(k->security_id & 0xff),
					       &keys.keys[keys.n]) < 0) {
				LOG_ERR("BFD: cannot derive the key of security-id %" PRIu32,
					k->security_id);
				continue;
			}
			for (unsigned j = 0; j < keys.n; j++)
				if ((key_sid[j] & 0xff) == (k->security_id & 0xff))
					LOG_WARN(
					    "BFD: security-ids %" PRIu32 " and %" PRIu32
					    " share Key ID %u (their low byte): packets signed "
					    "with the second are refused",
					    key_sid[j], k->security_id, k->security_id & 0xff);
			key_sid[keys.n++] = k->security_id;
		}
	if (keys.n)
		LOG_INFO("BFD: %u key(s) from the key file", keys.n);
	else
		LOG_WARN("BFD: no key: peer paths run BFD unauthenticated (anyone who can send "
			 "from a peer's waypoint address can take a path down)");
}

/* The keys to sign and check with (NULL: none, unauthenticated); tx follows the key senders
 * use now, which moves at a key's not-before without a reload. */
const struct svr_bfd_keyring *dp_paths_keys(void)
{
	if (keys.n == 0)
		return NULL;
	const struct svr_keyring *kr = dp_svr_keys_running();
	const struct svr_key *cur = kr ? svr_keyring_current(kr, dp_sess.unix_s) : NULL;
	for (uint8_t i = 0; cur && i < keys.n; i++)
		if (key_sid[i] == cur->security_id)
			keys.tx = i;
	return &keys;
}

uint32_t dp_paths_key_security_id(void)
{
	const struct svr_bfd_keyring *kr = dp_paths_keys();
	return kr ? key_sid[kr->tx] : 0;
}

/* ------------------------------------------------------- moved addresses -- */

void dp_paths_nat_moved(uint16_t slot)
{
	struct dp_path_bfd *pb = &dp_path_bfd[slot];
	/* the sweep moves sessions only onto a path that works: a path down now (the peer's new
	 * BFD session starting over) has its sessions moved when it is up again */
	if (pb->active && pb->s.state != SVR_BFD_UP) {
		pb->nat_pending = true;
		return;
	}
	pb->nat_pending = false;
	pb->nat_moved_at = ++nat_epoch;
}

uint32_t dp_paths_nat_epoch(void)
{
	return nat_epoch;
}

bool dp_paths_nat_moved_since(uint16_t slot, uint32_t epoch)
{
	return slot < DP_MAX_SVR_PATHS &&
	       dp_path_bfd[slot].nat_moved_at - epoch - 1 < UINT32_MAX / 2;
}

/* ---------------------------------------------------------------- events -- */

static void path_text(uint16_t slot, char *out, size_t len)
{
	const struct dp_svr_path *p = dp_svr_path(slot);
	char local[16], remote[16];
	uint32_t to = dp_svr_path_remote(p);
	inet_ntop(AF_INET, &p->local, local, sizeof(local));
	inet_ntop(AF_INET, &to, remote, sizeof(remote));
	snprintf(out, len, "to %s (%s, %s -> %s%s)", p->peer, p->name, local,
		 to || p->remote ? remote : "?", p->remote ? "" : ", learned");
}

static void set_usable(uint16_t slot, bool usable)
{
	dp_path_bfd[slot].usable = usable;
	atomic_store_explicit(&path_usable[slot], usable, memory_order_release);
	choose_at_us = 0; /* the services' choices follow at once, not within 100 ms */
}

/* Going down soon after coming up is a flap: the next hold-down is twice as long (damping). */
static void damp(struct dp_path_bfd *pb, uint64_t now)
{
	if (now - pb->up_at_us >= DAMP_WINDOW_US)
		return;
	uint64_t h = pb->hold_us ? 2 * pb->hold_us : SEC_US;
	pb->hold_us = h < pb->hold_max_us ? h : pb->hold_max_us;
}

/* path-up / path-down for the event stream (docs/telemetry.md): the peer, the path, the
 * diagnostic and how long detection took (up: the time in the state before Up; down: since the
 * last packet received, 0 when the peer said so), and down, how long the path had been up. */
static void path_event(uint16_t slot, const char *type, const struct svr_bfd_event *ev,
		       uint64_t detect_ms, uint64_t was_ms)
{
	const struct dp_svr_path *p = dp_svr_path(slot);
	json_t *e = dp_event_new(type);
	if (!e)
		return;
	char local[16], remote[16];
	uint32_t to = dp_svr_path_remote(p);
	inet_ntop(AF_INET, &p->local, local, sizeof(local));
	inet_ntop(AF_INET, &to, remote, sizeof(remote));
	json_object_set_new(e, "peer", json_string(p->peer));
	json_object_set_new(e, "path", json_string(p->name));
	json_object_set_new(e, "local", json_string(local));
	json_object_set_new(e, "remote", json_string(remote));
	json_object_set_new(e, "diagnostic", json_string(svr_bfd_diag_name(ev->diag)));
	json_object_set_new(e, "detection-ms", json_integer((json_int_t)detect_ms));
	if (ev->to != SVR_BFD_UP)
		json_object_set_new(e, "up-ms", json_integer((json_int_t)was_ms));
	dp_event_post(e);
}

/* Logs a state change with the time it took; the path stops being usable when BFD leaves Up
 * and becomes usable only after its hold-down (hold_tick). */
static void changed(uint16_t slot, const struct svr_bfd_event *ev, uint64_t now)
{
	if (!ev->changed)
		return;
	struct dp_path_bfd *pb = &dp_path_bfd[slot];
	char what[200];
	path_text(slot, what, sizeof(what));
	unsigned long long in_ms = ev->since_us / 1000;
	if (ev->to == SVR_BFD_UP) {
		pb->ups++;
		pb->up_at_us = now;
		nat_epoch++; /* the sweep again: sessions of a path this one took over may move */
		if (pb->nat_pending)
			dp_paths_nat_moved(slot);
		dp.main_stats.events[SVR_EV_PATH_UP]++;
		LOG_NOTICE("path %s up: BFD up after %llu ms in %s (tx every %llu ms, detection "
			   "%llu ms); usable after a hold-down of %llu s",
			   what, in_ms, svr_bfd_state_name(ev->from),
			   (unsigned long long)(svr_bfd_tx_interval_us(&pb->s) / 1000),
			   (unsigned long long)(svr_bfd_detect_time_us(&pb->s) / 1000),
			   (unsigned long long)(pb->hold_us / SEC_US));
		path_event(slot, "path-up", ev, in_ms, in_ms);
	} else if (ev->from == SVR_BFD_UP) {
		pb->downs++;
		set_usable(slot, false);
		damp(pb, now);
		dp.main_stats.events[SVR_EV_PATH_DOWN]++;
		path_event(slot, "path-down", ev,
			   ev->diag == SVR_BFD_DIAG_DETECT_EXPIRED ? (now - pb->s.last_rx_us) / 1000
								   : 0,
			   in_ms);
		if (ev->diag == SVR_BFD_DIAG_DETECT_EXPIRED)
			LOG_WARN("path %s down: %s, %llu ms after the last BFD packet received "
				 "(detection %llu ms), up for %llu ms; next hold-down %llu s",
				 what, svr_bfd_diag_name(ev->diag),
				 (unsigned long long)((now - pb->s.last_rx_us) / 1000),
				 (unsigned long long)(pb->s.detect_us / 1000), in_ms,
				 (unsigned long long)(pb->hold_us / SEC_US));
		else
			LOG_WARN(
			    "path %s down: %s (the peer's diagnostic: %s), up for %llu ms; next "
			    "hold-down %llu s",
			    what, svr_bfd_diag_name(ev->diag), svr_bfd_diag_name(pb->s.remote_diag),
			    in_ms, (unsigned long long)(pb->hold_us / SEC_US));
	} else {
		LOG_INFO("path %s: BFD %s -> %s (%s) after %llu ms", what,
			 svr_bfd_state_name(ev->from), svr_bfd_state_name(ev->to),
			 svr_bfd_diag_name(ev->diag), in_ms);
	}
}

/* The hold-down's end and the damping's decay; returns when it next needs to run. */
static uint64_t hold_tick(uint16_t slot, uint64_t now)
{
	struct dp_path_bfd *pb = &dp_path_bfd[slot];
	if (pb->s.state != SVR_BFD_UP)
		return UINT64_MAX;
	if (!pb->usable) {
		uint64_t at = pb->up_at_us + pb->hold_us;
		if (now < at)
			return at;
		set_usable(slot, true);
		pb->earned_at_us = now;
		char what[200];
		path_text(slot, what, sizeof(what));
		LOG_NOTICE("path %s usable: BFD up for %llu ms (hold-down %llu s)", what,
			   (unsigned long long)((now - pb->up_at_us) / 1000),
			   (unsigned long long)(pb->hold_us / SEC_US));
	}
	if (pb->hold_us <= pb->hold_cfg_us)
		return UINT64_MAX;
	uint64_t at = pb->earned_at_us + DAMP_WINDOW_US;
	if (now < at)
		return at;
	uint64_t h = pb->hold_us / 2; /* a stable minute earns half the damping back */
	pb->hold_us = h > pb->hold_cfg_us && h >= SEC_US ? h : pb->hold_cfg_us;
	pb->earned_at_us = now;
	return now + DAMP_WINDOW_US;
}

/* --------------------------------------------------------------- receive -- */

/* The IPv4/UDP header checks of a packet for us to UDP 1280; its BFD bytes, or NULL. */
static const uint8_t *udp_payload(struct rte_mbuf *m, size_t *len, uint32_t *src, uint32_t *dst,
				  uint16_t *sport)
{
	const struct dp_pkt_meta *meta = dp_meta(m);
	if (rte_pktmbuf_data_len(m) != rte_pktmbuf_pkt_len(m) ||
	    rte_pktmbuf_data_len(m) < meta->l3_off + IP4_HLEN + UDP_HLEN)
		return NULL;
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, meta->l3_off);
	size_t avail = rte_pktmbuf_data_len(m) - meta->l3_off;
	size_t hlen = (ip[0] & 0x0f) * 4u, total = svr_rd16(ip + 2);
	if ((ip[0] >> 4) != 4 || hlen < IP4_HLEN || total > avail || total < hlen + UDP_HLEN ||
	    ip[9] != IPPROTO_UDP4 || (svr_rd16(ip + 6) & 0x3fff) != 0)
		return NULL;
	const uint8_t *udp = ip + hlen;
	size_t ulen = svr_rd16(udp + 4);
	if (ulen < UDP_HLEN || ulen != total - hlen || svr_rd16(udp + 2) != SVR_BFD_PORT)
		return NULL;
	/* 0: the sender computed none (UDP over IPv4 allows it) */
	if (svr_rd16(udp + 6) != 0 &&
	    svr_cksum_fold(svr_cksum_add(svr_wire_pseudo_sum(ip, IPPROTO_UDP4, ulen), udp, ulen)) !=
		0xffff)
		return NULL;
	memcpy(src, ip + 12, 4);
	memcpy(dst, ip + 16, 4);
	memcpy(sport, udp, 2); /* network order, as a binding keeps it */
	*len = ulen - UDP_HLEN;
	return udp + UDP_HLEN;
}

/* The path a packet belongs to: a control packet by the Your Discriminator we gave the peer
 * (discr: our slot in its low 16 bits), an echo or a control packet without it (discr 0) by its
 * addresses, or on a learned path by the peer its metadata block md names (NULL: none); it must
 * match the path's waypoints and interface. A learned path takes a control packet from any
 * source: receive() authenticates it before it moves the binding. */
static int path_of(uint32_t discr, uint32_t src, uint32_t dst, uint16_t iface,
		   const struct svr_md *md)
{
	int slot = -1;
	const struct dp_gen *g = dp_gen_main();
	if (discr != 0) {
		uint32_t s = (discr & 0xffff) - 1;
		if (s < DP_MAX_SVR_PATHS && dp_path_bfd[s].active &&
		    dp_path_bfd[s].s.local_discr == discr)
			slot = (int)s;
	} else if (g) {
		slot = path_find(g, dst, src, iface);
		if (slot < 0 && md)
			slot = learned_find(g, dst, iface, md);
	}
	if (slot < 0 || !dp_path_bfd[slot].active)
		return -1;
	const struct dp_svr_path *p = dp_svr_path((uint16_t)slot);
	bool from_remote =
	    p->remote == 0 ? md != NULL || dp_svr_path_remote(p) == src : p->remote == src;
	if (p->local != dst || !from_remote || dp_path_bfd[slot].iface != iface)
		return -1;
	return slot;
}

/* An authenticated control packet of the learned path at slot came from src:sport (network
 * order): the peer is there now (its NAT's binding, or its new lease). Logged, an event, counted
 * when it moved; sessions keyed on the old binding recover as docs/paths.md says. */
static void learn(uint16_t slot, uint32_t src, uint16_t sport, uint64_t now)
{
	const struct dp_svr_path *p = dp_svr_path(slot);
	uint64_t was = atomic_load_explicit(&p->binding, memory_order_relaxed);
	uint64_t is = (uint64_t)src | (uint64_t)sport << 32;
	if (was == is)
		return;
	struct dp_path_bfd *pb = &dp_path_bfd[slot];
	dp_svr_path_bind(slot, is);
	pb->learned_at_us = now;
	if (was) { /* our sessions toward it, keyed on its old address, follow */
		pb->rebinds++;
		dp_paths_nat_moved(slot);
	}
	dp.main_stats.events[SVR_EV_PATH_REMOTE_LEARNED]++;
	char old[16] = "-", new[16];
	uint32_t old_ip = (uint32_t)was;
	if (was)
		inet_ntop(AF_INET, &old_ip, old, sizeof(old));
	inet_ntop(AF_INET, &src, new, sizeof(new));
	LOG_NOTICE("path to %s (%s): the peer's waypoint is %s:%u now (was %s:%u): learned from "
		   "its authenticated BFD",
		   p->peer, p->name, new, rte_be_to_cpu_16(sport), old,
		   rte_be_to_cpu_16((uint16_t)(was >> 32)));
	json_t *e = dp_event_new("path-remote-learned");
	if (!e)
		return;
	char local[16];
	inet_ntop(AF_INET, &p->local, local, sizeof(local));
	json_object_set_new(e, "peer", json_string(p->peer));
	json_object_set_new(e, "path", json_string(p->name));
	json_object_set_new(e, "local", json_string(local));
	json_object_set_new(e, "remote", json_string(new));
	json_object_set_new(e, "remote-port", json_integer(rte_be_to_cpu_16(sport)));
	json_object_set_new(e, "previous", was ? json_string(old) : json_null());
	json_object_set_new(e, "previous-port",
			    was ? json_integer(rte_be_to_cpu_16((uint16_t)(was >> 32)))
				: json_null());
	dp_event_post(e);
}

static bool auth_error(enum svr_bfd_err e)
{
	return e >= SVR_BFD_ERR_AUTH_MISSING && e <= SVR_BFD_ERR_AUTH_DIGEST;
}

/* A packet of the path pb refused (nothing changed): counted, and why, for "peers". */
static void refuse(struct dp_path_bfd *pb, struct rte_mbuf *m, enum svr_bfd_err err,
		   enum svr_drop_reason why)
{
	pb->refused++;
	pb->last_refusal = err;
	drop(m, why);
}

static void receive(struct rte_mbuf *m, uint64_t now)
{
	size_t len;
	uint32_t src, dst;
	uint16_t sport;
	const uint8_t *msg = udp_payload(m, &len, &src, &dst, &sport);
	if (!msg) {
		drop(m, SVR_DROP_BFD_MALFORMED);
		return;
	}
	/* echo packets start with their magic, control packets with the SVR metadata block (or,
	 * from a peer that sends none, version 1's bits) */
	bool echo = len >= 8 && memcmp(msg, "SVRECHO1", 8) == 0;
	struct svr_md md;
	int off = echo ? 0 : svr_bfd_md_parse(msg, len, &md);
	uint32_t discr = echo || off < 0 ? 0 : svr_bfd_your_discr(msg, len, (size_t)off);
	int slot = path_of(discr, src, dst, dp_meta(m)->iface_in, echo || off < 0 ? NULL : &md);
	if (slot < 0) {
		drop(m, SVR_DROP_BFD_UNKNOWN_PATH);
		return;
	}
	if (echo) {
		int why = dp_paths_echo_receive((uint16_t)slot, msg, len, now);
		if (why)
			drop(m, (enum svr_drop_reason)why);
		else
			rte_pktmbuf_free(m);
		return;
	}
	struct dp_path_bfd *pb = &dp_path_bfd[slot];
	if (off < 0) {
		refuse(pb, m, SVR_BFD_ERR_METADATA, SVR_DROP_BFD_INVALID);
		return;
	}
	/* the block names the router and path it comes from: another router's packet (two
	 * routers' waypoints confused) never counts for this path */
	if (dp_paths_md_check((uint16_t)slot, &md) != SVR_BFD_OK) {
		refuse(pb, m, SVR_BFD_ERR_WRONG_PEER, SVR_DROP_BFD_WRONG_PEER);
		return;
	}
	const struct svr_bfd_keyring *keys = dp_paths_keys();
	const struct dp_svr_path *p = dp_svr_path((uint16_t)slot);
	/* A learned path follows its peer wherever authenticated BFD comes from: without keys
	 * anyone could send it elsewhere, so without keys it learns nothing. */
	if (p->remote == 0 && !keys) {
		if (pb->unauthenticated++ == 0)
			LOG_WARN(
			    "path to %s (%s): its peer's address is learned only from "
			    "authenticated BFD, and there is no BFD key (the key file has none "
			    "with an hmac-key): the path stays down",
			    p->peer, p->name);
		refuse(pb, m, SVR_BFD_ERR_AUTH_MISSING, SVR_DROP_BFD_AUTH_REFUSED);
		return;
	}
	/* Unauthenticated, a packet that does not name our discriminator could come from anyone
	 * who knows the waypoints: it may start a session that is down, never end one. */
	if (!keys && pb->s.state != SVR_BFD_DOWN && discr == 0) {
		refuse(pb, m, SVR_BFD_ERR_YOUR_DISC_ZERO, SVR_DROP_BFD_INVALID);
		return;
	}
	/* A learned path moves only once its binding has been silent for a detection time: a copy
	 * of the peer's fresh packet sent from elsewhere (raced ahead of the real one) moves
	 * nothing while the peer is heard where it is, so neither its traffic nor its sessions
	 * flap to where an attacker wants. Refused before the state machine sees it: its sequence
	 * stays the real packet's to take. */
	uint64_t bound =
	    p->remote == 0 ? atomic_load_explicit(&p->binding, memory_order_relaxed) : 0;
	uint64_t from = (uint64_t)src | (uint64_t)sport << 32;
	if (bound && bound != from && pb->bound_heard_us &&
	    now - pb->bound_heard_us < svr_bfd_detect_time_us(&pb->s)) {
		pb->binding_held++;
		refuse(pb, m, SVR_BFD_ERR_WRONG_PEER, SVR_DROP_BFD_WRONG_PEER);
		return;
	}
	struct svr_bfd_event ev;
	/* the digest covers the block too: its names and sample are the peer's */
	enum svr_bfd_err err = svr_bfd_rx(&pb->s, msg, len, (size_t)off, keys, now, &ev);
	if (err != SVR_BFD_OK) {
		refuse(pb, m, err,
		       auth_error(err) ? SVR_DROP_BFD_AUTH_REFUSED : SVR_DROP_BFD_INVALID);
		return;
	}
	rte_pktmbuf_free(m);
	if (p->remote == 0) { /* authenticated, its sequence newer: the peer's own, from there */
		learn((uint16_t)slot, src, sport, now);
		pb->bound_heard_us = now;
	}
	if (pb->s.auth_seq_known) /* gaps in the sequence are lost control packets */
		svr_pathq_bfd_seq(&pb->q, now / 1000, pb->s.rcv_auth_seq);
	dp_paths_md_accepted((uint16_t)slot, &md, now);
	changed((uint16_t)slot, &ev, now);
}

/* ------------------------------------------------------------------ send -- */

void dp_paths_send(uint16_t slot, const uint8_t *payload, size_t len)
{
	const struct dp_svr_path *p = dp_svr_path(slot);
	uint32_t local = p->local, remote = dp_svr_path_remote(p);
	/* a learned path answers where the peer's BFD came from: its NAT's binding of 1280 */
	uint16_t dport =
	    p->remote ? rte_cpu_to_be_16(SVR_BFD_PORT) : dp_svr_path_remote_bfd_port(p);
	if (remote == 0 || dport == 0) /* not learned yet: the peer speaks first */
		return;
	struct rte_mbuf *m;
	uint16_t ulen = (uint16_t)(UDP_HLEN + len);
	uint8_t *ip = dp_slowpath_frame4(&m, IP4_HLEN + ulen);
	if (!ip)
		return;
	uint8_t *udp = ip + IP4_HLEN;
	memset(ip, 0, IP4_HLEN);
	ip[0] = 0x45;
	ip[1] = TOS_CS6;
	svr_wr16(ip + 2, (uint16_t)(IP4_HLEN + ulen));
	svr_wr16(ip + 6, 0x4000); /* DF: never fragmented */
	ip[8] = 255;
	ip[9] = IPPROTO_UDP4;
	memcpy(ip + 12, &local, 4);
	memcpy(ip + 16, &remote, 4);
	svr_wr16(udp, SVR_BFD_PORT);
	memcpy(udp + 2, &dport, 2);
	memcpy(udp + UDP_HLEN, payload, len);
	svr_wire_checksums(ip); /* the IPv4 header's, and UDP's with its length */
	/* out of the path's own interface, to its next hop: two paths to one peer must not share
	 * whichever link the FIB prefers */
	const struct dp_gen *g = dp_gen_main();
	const struct dp_svr_path_policy *pp = g ? dp_svr_path_policy(g, slot) : NULL;
	struct svr_ip to = {.family = SVR_AF_INET};
	memcpy(to.addr, &remote, 4);
	if (pp && pp->in_model && pp->nexthop.family == SVR_AF_INET)
		dp_slowpath_send_via(m, pp->iface, &pp->nexthop);
	else
		dp_slowpath_route4(m, &to);
}

static void send_control(uint16_t slot, uint64_t now)
{
	struct dp_path_bfd *pb = &dp_path_bfd[slot];
	/* the metadata block (names, TLV 26 when due), then the control packet: names are bounded
	 * (a router's 32 bytes, a path's 79), so the block is 153 bytes at most */
	uint8_t buf[MD_MAX + SVR_BFD_MAX_LEN];
	size_t off = dp_paths_md_build(slot, now, buf, MD_MAX);
	size_t n = svr_bfd_build(&pb->s, buf, sizeof(buf), off, dp_paths_keys(), now);
	if (n == 0)
		return;
	pb->sent++;
	dp_paths_send(slot, buf, n);
}

/* ------------------------------------------------------------------ loop -- */

uint64_t dp_paths_poll(void)
{
	keys_refresh();
	uint64_t now = dp_paths_now_us();
	unsigned taken = 0;
	for (unsigned w = 0; w < n_rings; w++) {
		struct rte_mbuf *pkts[DRAIN_BURST];
		unsigned n, from_ring = 0;
		do { /* a ring's worth at most: the rest waits for the next turn */
			n = rte_ring_sc_dequeue_burst(rings[w], (void **)pkts, DRAIN_BURST, NULL);
			for (unsigned i = 0; i < n; i++)
				receive(pkts[i], now);
			from_ring += n;
		} while (n == DRAIN_BURST && from_ring < RING_SIZE);
		taken += from_ring;
	}
	uint64_t next = UINT64_MAX;
	unsigned n_paths = dp_svr_path_count();
	for (unsigned slot = 0; slot < n_paths; slot++) {
		struct dp_path_bfd *pb = &dp_path_bfd[slot];
		if (!pb->active)
			continue;
		struct svr_bfd_event ev;
		if (svr_bfd_poll(&pb->s, now, &ev))
			send_control((uint16_t)slot, now);
		changed((uint16_t)slot, &ev, now);
		uint64_t at = svr_bfd_next_us(&pb->s), hold_at = hold_tick((uint16_t)slot, now);
		uint64_t echo_at = dp_paths_echo_tick((uint16_t)slot, now);
		if (hold_at < at)
			at = hold_at;
		if (echo_at < at)
			at = echo_at;
		if (at < next)
			next = at;
	}
	if (now >= choose_at_us) {
		dp_paths_choose(dp_gen_main(), now / 1000);
		choose_at_us = now + CHOICE_US;
	}
	if (choose_at_us < next)
		next = choose_at_us;
	return taken == 0 && next > now ? next - now : 0;
}

/* ------------------------------------------------------------ generation -- */

static void config_of(const struct dp_svr_path_policy *pp, struct svr_bfd_config *cfg)
{
	*cfg = (struct svr_bfd_config){.desired_min_tx_us = pp->bfd_tx_us,
				       .required_min_rx_us = pp->bfd_rx_us,
				       .detect_mult = pp->bfd_mult};
}

static void link_test_config(struct dp_path_bfd *pb, const struct dp_svr_path_policy *pp)
{
	pb->link_test_interval_s = pp->link_test_interval_s;
	pb->link_test_length = pp->link_test_length;
	pb->echo_interval_ms = pp->echo_interval_ms;
}

/* The model's hold-down and its damping ceiling; a damped hold-down stays within them. */
static void hold_config(struct dp_path_bfd *pb, const struct dp_svr_path_policy *pp)
{
	pb->hold_cfg_us = pp->hold_down_s * SEC_US;
	pb->hold_max_us = pp->max_hold_down_s * SEC_US;
	if (pb->hold_us < pb->hold_cfg_us)
		pb->hold_us = pb->hold_cfg_us;
	if (pb->hold_us > pb->hold_max_us)
		pb->hold_us = pb->hold_max_us;
}

static void start(uint16_t slot, const struct dp_svr_path_policy *pp, uint64_t now)
{
	struct dp_path_bfd *pb = &dp_path_bfd[slot];
	struct svr_bfd_config cfg;
	config_of(pp, &cfg);
	/* Our slot in the low 16 bits finds the session of a packet at once; random high bits keep
	 * a restarted router's discriminators apart from its last life's. */
	uint32_t discr = ((uint32_t)rte_rand() & 0xffff0000u) | (uint32_t)(slot + 1);
	memset(pb, 0, sizeof(*pb));
	set_usable(slot, false); /* a path that ran without BFD is not usable until BFD says so */
	/* a learned path starts knowing nothing: an old binding may be long gone */
	dp_svr_path_bind(slot, 0);
	if (svr_bfd_init(&pb->s, &cfg, discr, now) < 0) {
		LOG_ERR("path slot %u: BFD timers refused (tx %" PRIu32 " us, rx %" PRIu32
			" us, multiplier %u)",
			slot, cfg.desired_min_tx_us, cfg.required_min_rx_us, cfg.detect_mult);
		return;
	}
	pb->active = true;
	pb->iface = pp->iface;
	hold_config(pb, pp);
	pb->hold_us = pb->hold_cfg_us;
	link_test_config(pb, pp);
	svr_pathq_init(&pb->q);
	dp_paths_echo_start(slot, now);
	char what[200];
	path_text(slot, what, sizeof(what));
	LOG_INFO("path %s: BFD starts (desired tx %" PRIu32 " ms, required rx %" PRIu32
		 " ms, multiplier %u)",
		 what, cfg.desired_min_tx_us / 1000, cfg.required_min_rx_us / 1000,
		 cfg.detect_mult);
}

static void stop(uint16_t slot)
{
	struct dp_path_bfd *pb = &dp_path_bfd[slot];
	if (!pb->active)
		return;
	pb->active = false;
	set_usable(slot, false);
	svr_pathq_init(&pb->q); /* no longer measured: its old figures must not stand */
	char what[200];
	path_text(slot, what, sizeof(what));
	LOG_INFO("path %s: BFD stops (the path left the model, or its BFD is disabled)", what);
}

void dp_paths_generation(const struct dp_gen *g)
{
	uint64_t now = dp_paths_now_us();
	unsigned n = dp_svr_path_count();
	for (unsigned i = 0; i < n; i++) {
		uint16_t slot = (uint16_t)i;
		const struct dp_svr_path_policy *pp = dp_svr_path_policy(g, slot);
		struct dp_path_bfd *pb = &dp_path_bfd[slot];
		if (!pp->in_model || !pp->bfd_enabled) {
			stop(slot);
			/* without BFD (the model's "bfd": {"enabled": false}) a path counts as up
			 */
			atomic_store_explicit(&path_usable[slot], pp->in_model,
					      memory_order_release);
			continue;
		}
		if (!pb->active) {
			start(slot, pp, now);
			continue;
		}
		pb->iface = pp->iface;
		hold_config(pb, pp);
		link_test_config(pb, pp);
		struct svr_bfd_config cfg;
		config_of(pp, &cfg);
		if (cfg.desired_min_tx_us == pb->s.cfg.desired_min_tx_us &&
		    cfg.required_min_rx_us == pb->s.cfg.required_min_rx_us &&
		    cfg.detect_mult == pb->s.cfg.detect_mult)
			continue;
		struct svr_bfd_event ev = {0};
		if (svr_bfd_configure(&pb->s, &cfg, now, &ev) < 0)
			LOG_ERR("path slot %u: new BFD timers refused; the old ones stay", slot);
		changed(slot, &ev, now);
	}
	dp_paths_choose(g, now / 1000); /* the new generation's services start with a choice */
}
