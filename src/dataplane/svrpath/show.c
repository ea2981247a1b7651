/* SPDX-License-Identifier: BSD-3-Clause */
/* The operator's view of SVR: "svrctl show peers" (peer paths, keys, replay memory). */
#include <arpa/inet.h>
#include <inttypes.h>
#include <time.h>

#include <jansson.h>

#include "common/security.h"
#include "core/dp.h"
#include "ctlsock/command.h"
#include "flow/state.h"
#include "svrpath/internal.h"
#include "svrpath/path.h"
#include "svrpath/replay.h"

static const char *hmac_name(uint8_t h)
{
	return h == SVR_HMAC_SHA256_128 ? "sha256-128" : h == SVR_HMAC_SHA256 ? "sha256" : "none";
}

static const char *cipher_name(uint8_t c)
{
	return c == SVR_CIPHER_AES_CBC_256   ? "aes-cbc-256"
	       : c == SVR_CIPHER_AES_CBC_128 ? "aes-cbc-128"
					     : "none";
}

static json_t *keys_json(void)
{
	const struct svr_keyring *kr = dp_svr_ring();
	const struct svr_key *cur = svr_keyring_current(kr, dp_sess.unix_s);
	json_t *arr = json_array();
	for (unsigned i = 0; i < kr->n; i++) {
		const struct svr_key *k = &kr->keys[i];
		if (!k->hmac_len)
			continue;
		char nb[32] = "";
		struct tm tm;
		time_t t = (time_t)k->not_before;
		if (k->not_before != INT64_MIN && gmtime_r(&t, &tm))
			strftime(nb, sizeof(nb), "%Y-%m-%dT%H:%M:%SZ", &tm);
		json_array_append_new(arr, json_pack("{s:I, s:s?, s:b, s:b}", "security-id",
						     (json_int_t)k->security_id, "not-before",
						     nb[0] ? nb : NULL, "encryption",
						     k->enc_len != 0, "sending", k == cur));
	}
	uint32_t live, ended;
	struct svr_replay *replay = dp_svr_replay_memory();
	svr_replay_counts(replay, &live, &ended);
	return json_pack("{s:s, s:o, s:I, s:{s:I, s:I, s:I, s:I, s:I}}", "file", dp_svr_key_file(),
			 "keys", arr, "reloads",
			 (json_int_t)dp.main_stats.events[SVR_EV_SVR_KEYS_RELOADED], "replay-table",
			 "slots", (json_int_t)replay->n_slots, "limit", (json_int_t)replay->limit,
			 "live", (json_int_t)live, "ended", (json_int_t)ended, "bytes",
			 (json_int_t)dp_svr_replay_bytes());
}

static json_t *peers_json(void)
{
	const struct dp_gen *g = dp_gen_main();
	json_t *arr = json_array();
	unsigned n = g ? dp_svr_path_count() : 0;
	for (unsigned i = 0; i < n; i++) {
		const struct dp_svr_path *p = dp_svr_path((uint16_t)i);
		const struct dp_svr_path_policy *pp = dp_svr_path_policy(g, (uint16_t)i);
		if (!pp->in_model) /* a slot of an earlier model */
			continue;
		char local[16], remote[16];
		uint32_t to = dp_svr_path_remote(p); /* a learned path's: 0 until learned */
		inet_ntop(AF_INET, &p->local, local, sizeof(local));
		inet_ntop(AF_INET, &to, remote, sizeof(remote));
		const char *ifname = pp->iface < g->n_ifaces && g->ifaces[pp->iface].in_use
					 ? g->ifaces[pp->iface].name
					 : NULL;
		char range[16];
		snprintf(range, sizeof(range), "%u-%u", pp->peer_port_lo, pp->peer_port_hi);
		json_t *o = json_pack("{s:s, s:s, s:s, s:s?, s:s, s:s?, s:s, s:s, s:s, s:b, s:b}",
				      "peer", p->peer, "peer-ports", range, "path", p->name,
				      "interface", ifname, "local", local, "remote",
				      to ? remote : NULL, "hmac", hmac_name(pp->hmac), "hmac-mode",
				      pp->time_based ? "time-based" : "regular", "encryption",
				      cipher_name(pp->encryption), "remote-learned", pp->learned,
				      "initiates", !pp->no_initiate);
		if (o && dp_svr_path_show_liveness)
			json_object_set_new(o, "bfd", dp_svr_path_show_liveness((uint16_t)i));
		json_array_append_new(arr, o);
	}
	json_t *o = json_pack("{s:o, s:o}", "paths", arr, "security", keys_json());
	if (o && dp_svr_peers_show_degraded)
		json_object_set_new(o, "degraded", dp_svr_peers_show_degraded());
	return o;
}

static struct dp_ctl_command peers_cmd = {.name = "peers", .answer = peers_json};
DP_CTL_REGISTER(peers_cmd)
