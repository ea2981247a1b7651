/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * GET /metrics (docs/telemetry.md, "Prometheus metrics"): svr-control's own figures and the
 * dataplane's control-socket answers written in the Prometheus text exposition format 0.0.4.
 * No I/O here: rest/metrics.c asks the dataplane and serves the text.
 */
#ifndef SVR_CONTROL_METRICS_H
#define SVR_CONTROL_METRICS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl.h"

#define SVR_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct svr_metrics_src {
	/* svr-control's own */
	const char *version, *router, *instance;
	double uptime_s;
	uint64_t published, acked, rejected; /* policy generations */
	struct svr_apply_hist apply;
	/* the dataplane's answers ("data" of include/svr/ctlsock.h's commands); NULL: not
	 * answered, and its families are left out */
	bool dataplane_up;
	const json_t *ports, *interfaces, *stats, *counts /* "session-counts" */, *peers;
};

/* The exposition text (malloc'd, NUL-terminated, *len without the NUL); NULL when out of memory. */
char *svr_metrics_render(const struct svr_metrics_src *m, size_t *len);

#endif
