/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Starting and stopping svr-control's event stream (events.h, docs/telemetry.md "Events"): the
 * log, the dataplane reader (poll.c) and the sinks the options ask for (sinks.c), each a thread
 * of its own.
 */
#ifndef SVR_CONTROL_EVENTS_SINKS_H
#define SVR_CONTROL_EVENTS_SINKS_H

#include <stdbool.h>
#include <stddef.h>

#include "ctl.h"
#include "events/events.h"

struct svr_events_opts {
	const char *file;          /* --events-file: JSON lines appended; NULL: none */
	bool syslog;               /* --events-syslog: to /dev/log */
	const char *syslog_socket; /* --events-syslog-socket: to this datagram socket instead */
	const char *http_url;      /* --events-http: POST batches there; NULL: none */
	enum svr_events_format format;
	const char *token_file; /* --events-token-file: HEC token or Elasticsearch API key */
	const char *index;      /* --events-index (Elasticsearch) */
	unsigned queue;         /* --events-queue: events kept */
	unsigned batch;         /* --events-batch: events in one POST at most */
	unsigned http_timeout_ms;
	const char *dataplane_sock;
	const char *state_dir; /* where the dataplane reader keeps its cursor */
};

/* Everything, before the first apply (which emits config events). 0, or -1 with err. */
int svr_events_start(struct svr_ctl *ctl, const struct svr_events_opts *o, char *err,
		     size_t errlen);
/* Stops every thread (an HTTP request in flight ends within its timeout), frees the log. */
void svr_events_stop(void);

/* poll.c: the dataplane reader, started and stopped by sinks.c. */
int svr_events_poll_start(struct svr_ctl *ctl, const char *dp_sock, const char *state_dir);
void svr_events_poll_stop(void);

#endif
