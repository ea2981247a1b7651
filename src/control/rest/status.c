/* SPDX-License-Identifier: BSD-3-Clause */
/* GET /api/v1/status: what svr-control published and what the dataplane runs. */
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>

#include "conductor/conductor.h"
#include "netlink/follow.h"
#include "rest_int.h"
#include "svr/version.h"

/* Short: /status is for health checks, which must not hang on a stuck dataplane. */
#define STATUS_DP_TIMEOUT 1000

void rest_status_get(struct svr_rest *r, const struct rest_route *rt, const struct rest_in *in,
		     struct rest_reply *out)
{
	(void)rt;
	(void)in;
	struct svr_ctl *c = r->ctl;
	pthread_mutex_lock(&c->lock);
	uint64_t published = c->generation;
	pthread_mutex_unlock(&c->lock);
	uint64_t acked = svr_ctl_acked(c);
	uint64_t rejected = atomic_load(&c->shm.ctl->rejected_generation);

	json_t *dp = NULL;
	char err[256];
	bool reachable = rest_dp_call(r->dp_sock, "version", STATUS_DP_TIMEOUT, &dp, err,
				      sizeof(err)) == REST_DP_OK;
	json_decref(dp);

	json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:b}", "version", SVR_VERSION,
			      "router", c->router, "instance", c->instance, "uptime-s",
			      (json_int_t)((rest_now_ms() - c->started_ms) / 1000),
			      "model-generation", (json_int_t)published, "dataplane-generation",
			      (json_int_t)acked, "dataplane-rejected-generation",
			      (json_int_t)rejected, "dataplane", reachable);
	if (o && !reachable)
		json_object_set_new(o, "dataplane-error", json_string(err));
	if (o && r->conductor)
		json_object_set_new(o, "conductor", svr_conductor_status_json(r->conductor));
	if (o && r->route_mirror)
		json_object_set_new(o, "route-mirror", ctl_nl_follow_json(r->route_mirror));
	rest_json(out, MHD_HTTP_OK, o);
}
