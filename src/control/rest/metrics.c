/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * GET /metrics (outside /api/v1, where Prometheus looks by default; the same bearer token):
 * svr-control's figures and five control-socket answers of the dataplane, as Prometheus text
 * (metrics.c). A dataplane that does not answer is not an error: the scrape then has
 * svr-control's own families and svr_dataplane_up 0.
 */
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "common/log.h"
#include "metrics.h"
#include "rest_int.h"
#include "svr/version.h"

/* Per control-socket request; Prometheus's default scrape timeout is 10 s for all five. */
#define METRICS_DP_TIMEOUT 1500

static const char *const dp_commands[] = {"ports", "interfaces", "stats", "session-counts",
					  "peers"};
#define N_DP_COMMANDS (sizeof(dp_commands) / sizeof(dp_commands[0]))

/* The answers in data[] (NULL: none); false when the dataplane did not answer at all. */
static bool ask_dataplane(const char *sock, json_t *data[N_DP_COMMANDS])
{
	bool up = false;
	for (size_t i = 0; i < N_DP_COMMANDS; i++) {
		char err[512];
		enum rest_dp_result rc = rest_dp_call(sock, dp_commands[i], METRICS_DP_TIMEOUT,
						      &data[i], err, sizeof(err));
		if (rc == REST_DP_DOWN)
			return false; /* the rest would wait as long again */
		up = true;
		if (rc != REST_DP_OK) /* an older dataplane, or a broken answer: left out */
			LOG_WARN("GET /metrics: \"%s\": %s", dp_commands[i], err);
	}
	return up;
}

void rest_metrics_get(struct svr_rest *r, const struct rest_route *rt, const struct rest_in *in,
		      struct rest_reply *out)
{
	(void)rt;
	(void)in;
	struct svr_ctl *c = r->ctl;
	json_t *data[N_DP_COMMANDS] = {0};
	struct svr_metrics_src m = {.version = SVR_VERSION,
				    .router = c->router,
				    .instance = c->instance,
				    .uptime_s = (double)(rest_now_ms() - c->started_ms) / 1000.0};
	m.dataplane_up = ask_dataplane(r->dp_sock, data);
	pthread_mutex_lock(&c->lock);
	m.published = c->generation;
	pthread_mutex_unlock(&c->lock);
	m.acked = svr_ctl_acked(c);
	m.rejected = atomic_load(&c->shm.ctl->rejected_generation);
	svr_ctl_apply_hist(c, &m.apply);
	m.ports = data[0];
	m.interfaces = data[1];
	m.stats = data[2];
	m.counts = data[3];
	m.peers = data[4];
	size_t len = 0;
	char *text = svr_metrics_render(&m, &len);
	for (size_t i = 0; i < N_DP_COMMANDS; i++)
		json_decref(data[i]);
	if (!text) {
		rest_error(out, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
		return;
	}
	out->status = MHD_HTTP_OK;
	out->text = text;
	out->text_len = len;
	out->content_type = SVR_METRICS_CONTENT_TYPE;
}
