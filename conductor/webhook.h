/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ITSM webhook (docs/conductor.md, "Change control"): each change-control event is queued
 * in memory (at most CD_WEBHOOK_QUEUE events and CD_WEBHOOK_QUEUE_BYTES; beyond, the oldest
 * is dropped and logged) and POSTed as
 * JSON by one thread, in order, retried with exponential backoff (retry-base-ms doubling,
 * capped at 60 s) up to max-attempts. Events pending at a stop are lost (logged with their
 * count).
 */
#ifndef SVR_CONDUCTOR_WEBHOOK_H
#define SVR_CONDUCTOR_WEBHOOK_H

#include <jansson.h>
#include <stdbool.h>

#include "conductor.h"

#define CD_WEBHOOK_QUEUE       1000
#define CD_WEBHOOK_QUEUE_BYTES ((size_t)64 << 20) /* the queued events' bodies together */
#define CD_WEBHOOK_DELAY_MAX   60000              /* ms: the longest wait between two attempts */
/* An event's "changes" beyond either bound is sent as null, with "changes-truncated" and
 * "changes-count" (the whole diff stays at GET /proposals/{id}). */
#define CD_WEBHOOK_CHANGES_MAX   1000
#define CD_WEBHOOK_CHANGES_BYTES ((size_t)1 << 20)

/* Starts the thread when cfg->url is set (reads the token file); main thread, before the HTTP
 * server. */
int cd_webhook_start(const struct cd_webhook_config *cfg, char *err, size_t errlen);
/* Stops the thread (an attempt in progress is abandoned) and logs the events lost. */
void cd_webhook_stop(void);
/* Whether events are sent (callers skip building a diff otherwise). */
bool cd_webhook_on(void);
/* The delay before attempt n + 1 (n >= 1) after n failures: base * 2^(n-1), at most
 * CD_WEBHOOK_DELAY_MAX. */
unsigned cd_webhook_delay_ms(unsigned base_ms, unsigned failures);
/* Queues event ("propose", "approve", "reject", "withdraw", "commit", "rollback", "failed") of
 * proposal p (NULL: a direct commit) or version v (NULL: none yet) with changes (borrowed; NULL:
 * none). Any thread; never blocks on the network. */
void cd_webhook_event(const char *event, const struct svr_store_proposal *p,
		      const struct svr_store_commit *v, const json_t *changes);
/* A text as JSON, "" as null: the events' and the proposals API's one spelling of "none". */
json_t *cd_text_or_null(const char *s);

#endif
