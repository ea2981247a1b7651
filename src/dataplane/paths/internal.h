/* SPDX-License-Identifier: BSD-3-Clause */
/* What the paths folder's files share (main lcore only). */
#ifndef SVR_DP_PATHS_INTERNAL_H
#define SVR_DP_PATHS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "common/bfd.h"
#include "common/pathq.h"
#include "svrpath/path.h"

#define DP_ECHO_MAX 128 /* echo packets of one link test we track (the model allows 100) */

/* A path's echo link tests (quality.c). */
struct dp_path_echo {
	uint64_t next_test_us; /* when the next test starts */
	uint64_t next_send_us; /* the next packet of the running test; UINT64_MAX: none */
	uint64_t ends_us;      /* the running test's replies are awaited until then */
	uint32_t test_id;
	uint16_t first_seq;    /* the running test's first sequence number */
	uint16_t sent, length; /* of the running test */
	uint64_t answered[DP_ECHO_MAX / 64];
	uint64_t requests, replies, reflected, refused;
};

/* A path slot's BFD session. */
struct dp_path_bfd {
	bool active;    /* the running model has the path */
	uint16_t iface; /* its interface: packets from elsewhere are refused */
	struct svr_bfd_session s;
	/* damping: a path is usable once BFD has been up for hold_us; going down within
	 * DAMP_WINDOW of coming up doubles hold_us (up to the maximum), each DAMP_WINDOW of
	 * usable time halves it back to the configured value */
	bool usable;
	uint64_t hold_us, hold_cfg_us, hold_max_us;
	uint64_t up_at_us;     /* when BFD last came up */
	uint64_t earned_at_us; /* usable and undamped since (the last halving) */
	uint64_t sent, refused, ups, downs;
	enum svr_bfd_err last_refusal; /* why the last refused packet was */
	struct dp_path_echo echo;
	struct svr_pathq q;            /* measured quality */
	uint64_t pm_next_us;           /* when the next BFD packet carries a TLV 26 sample */
	uint64_t pm_sent, pm_received; /* TLV 26 samples */
	uint16_t link_test_interval_s, link_test_length, echo_interval_ms;
	/* a learned path (the peer behind a NAT or on DHCP): since when its binding is the one it
	 * is, how often it moved, and packets refused for want of BFD keys to learn with */
	uint64_t learned_at_us, rebinds, unauthenticated;
	uint64_t bound_heard_us; /* a learned path: the last packet accepted from its binding */
	uint64_t binding_held;   /* packets from elsewhere refused while the binding was alive */
	/* where the peer sees our BFD come from (its TLV 25; network order, 0: it does not say) */
	uint32_t seen_as;
	uint32_t nat_moved_at; /* dp_paths_nat_epoch() when the path's sessions last had to move */
	bool nat_pending;      /* they must, once BFD is up again */
};

extern struct dp_path_bfd dp_path_bfd[DP_MAX_SVR_PATHS];

/* What "peers" shows of the liveness of the path in slot (JSON null: no BFD session). */
struct json_t;
struct json_t *dp_paths_bfd_json(uint16_t slot);

/* The keys to sign and check with (NULL: none, unauthenticated). */
const struct svr_bfd_keyring *dp_paths_keys(void);

/* Sends payload[0, len) in UDP 1280 -> 1280 on the path at slot: from its local waypoint to its
 * remote one, out of its interface to its next hop, CS6. */
void dp_paths_send(uint16_t slot, const uint8_t *payload, size_t len);

/* quality.c: an echo packet from the path at slot (a request is answered, a reply measured);
 * returns 0 or the drop reason. */
int dp_paths_echo_receive(uint16_t slot, const uint8_t *msg, size_t len, uint64_t now);
/* quality.c: sends the echo packets due on the path at slot; returns when it next needs to run. */
uint64_t dp_paths_echo_tick(uint16_t slot, uint64_t now);
/* quality.c: a new path's echo state (first test staggered by slot). */
void dp_paths_echo_start(uint16_t slot, uint64_t now);

/* metrics.c: the metadata block in front of the path's next BFD packet (TLV 26 when a sample is
 * due); its length, 0 when there is none to send (no model yet). */
size_t dp_paths_md_build(uint16_t slot, uint64_t now, uint8_t *out, size_t cap);
/* metrics.c: whether a received block (present 0: none) comes from the path's peer. */
struct svr_md;
enum svr_bfd_err dp_paths_md_check(uint16_t slot, const struct svr_md *md);
/* metrics.c: the block of a packet BFD accepted: its TLV 26 sample to the path's quality. */
void dp_paths_md_accepted(uint16_t slot, const struct svr_md *md, uint64_t now);
/* metrics.c: "data" under a path's "quality" in "peers". */
struct json_t *dp_paths_data_json(uint16_t slot, uint64_t now);

/* bfd.c: the path at slot's sessions must send metadata again (a NAT between us moved, or a
 * learned peer did): the migration sweep moves them onto new waypoint ports of the same path. */
void dp_paths_nat_moved(uint16_t slot);

/* The Security ID of the key BFD signs with now (TLV 16), 0 without keys. */
uint32_t dp_paths_key_security_id(void);

/* choice.c: ranks every service's paths of g again and publishes each one's choice. */
struct dp_gen;
void dp_paths_choose(const struct dp_gen *g, uint64_t now_ms);

/* choice.c: a path's SLA verdict at the last ranking, over the services whose policy has an SLA
 * and ranks the path: violated when the path is outside any one's (docs/paths.md "Path choice",
 * with its hysteresis), ok when within every one's, none when no such service ranks it. */
enum dp_path_sla { DP_PATH_SLA_NONE, DP_PATH_SLA_OK, DP_PATH_SLA_VIOLATED };
enum dp_path_sla dp_paths_sla(uint16_t slot);

/* The monotonic clock BFD runs on, in microseconds. */
uint64_t dp_paths_now_us(void);

#endif
