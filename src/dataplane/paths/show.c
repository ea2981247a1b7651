/* SPDX-License-Identifier: BSD-3-Clause */
/* The operator's view of peer-path liveness: "bfd" in each path of "svrctl show peers"
 * (internal.h). */
#include <arpa/inet.h>

#include <jansson.h>
#include <rte_byteorder.h>

#include "common/bfd.h"
#include "paths/internal.h"
#include "paths/paths.h"
#include "svrpath/path.h"

static json_t *ms(uint64_t us)
{
	return json_integer((json_int_t)(us / 1000));
}

json_t *dp_paths_bfd_json(uint16_t slot)
{
	const struct dp_path_bfd *pb = &dp_path_bfd[slot];
	if (!pb->active)
		return json_null();
	const struct svr_bfd_session *s = &pb->s;
	uint64_t now = dp_paths_now_us();
	json_t *o = json_pack(
	    "{s:s, s:b, s:o, s:s, s:s, s:s, s:o, s:I, s:I}", "state", svr_bfd_state_name(s->state),
	    "usable", dp_paths_usable(slot), "hold-down-ms", ms(pb->hold_us), "remote-state",
	    svr_bfd_state_name(s->remote_state), "diag", svr_bfd_diag_name(s->diag), "remote-diag",
	    svr_bfd_diag_name(s->remote_diag), "since-ms", ms(now - s->last_change_us),
	    "local-discriminator", (json_int_t)s->local_discr, "remote-discriminator",
	    (json_int_t)s->remote_discr);
	json_object_set_new(o, "timers",
			    json_pack("{s:o, s:o, s:i, s:o, s:o, s:i, s:o, s:o}", "desired-tx-ms",
				      ms(s->cfg.desired_min_tx_us), "required-rx-ms",
				      ms(s->cfg.required_min_rx_us), "multiplier",
				      s->cfg.detect_mult, "remote-desired-tx-ms",
				      ms(s->remote_desired_tx_us), "remote-required-rx-ms",
				      ms(s->remote_min_rx_us), "remote-multiplier", s->remote_mult,
				      "tx-interval-ms", ms(svr_bfd_tx_interval_us(s)),
				      "detection-ms", ms(svr_bfd_detect_time_us(s))));
	const struct dp_svr_path *p = dp_svr_path(slot);
	if (p->remote == 0) { /* learned: where the peer's BFD comes from, since when */
		uint32_t to = dp_svr_path_remote(p);
		char addr[16];
		inet_ntop(AF_INET, &to, addr, sizeof(addr));
		json_object_set_new(
		    o, "learned",
		    json_pack(
			"{s:s?, s:o, s:o, s:I, s:I, s:I}", "address", to ? addr : NULL, "port",
			to ? json_integer(rte_be_to_cpu_16(dp_svr_path_remote_bfd_port(p)))
			   : json_null(),
			"since-ms", to ? ms(now - pb->learned_at_us) : json_null(), "rebinds",
			(json_int_t)pb->rebinds, "unauthenticated", (json_int_t)pb->unauthenticated,
			"held", (json_int_t)pb->binding_held));
	}
	json_object_set_new(o, "packets",
			    json_pack("{s:I, s:I, s:I, s:I, s:s?}", "sent", (json_int_t)pb->sent,
				      "received", (json_int_t)s->rx_accepted, "lost",
				      (json_int_t)s->rx_seq_lost, "refused",
				      (json_int_t)pb->refused, "last-refusal",
				      pb->refused ? svr_bfd_err_name(pb->last_refusal) : NULL));
	struct svr_quality q;
	svr_pathq_get(&pb->q, now / 1000, &q);
	static const char *const source[] = {"none", "echo", "bfd", "data"};
	json_object_set_new(
	    o, "quality",
	    json_pack("{s:f, s:f, s:f, s:f, s:i, s:s, s:{s:I, s:I, s:I, s:I}}", "loss-pct",
		      q.loss_mpct / 1000.0, "latency-ms", q.latency_us / 1000.0, "jitter-ms",
		      q.jitter_us / 1000.0, "mos", q.mos_x100 / 100.0, "samples", q.samples,
		      "loss-source", q.loss_source < 4 ? source[q.loss_source] : "none", "echo",
		      "requests", (json_int_t)pb->echo.requests, "replies",
		      (json_int_t)pb->echo.replies, "reflected", (json_int_t)pb->echo.reflected,
		      "refused", (json_int_t)pb->echo.refused));
	json_object_set_new(json_object_get(o, "quality"), "data", dp_paths_data_json(slot, now));
	static const char *const sla[] = {NULL, "ok", "violated"};
	enum dp_path_sla v = dp_paths_sla(slot);
	json_object_set_new(o, "sla", v == DP_PATH_SLA_NONE ? json_null() : json_string(sla[v]));
	json_object_set_new(
	    o, "transitions",
	    json_pack("{s:I, s:I}", "up", (json_int_t)pb->ups, "down", (json_int_t)pb->downs));
	return o;
}
