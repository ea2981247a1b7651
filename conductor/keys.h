/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The authority's inter-router key set (docs/conductor.md, "Keys"): created at the first start,
 * rotated on the schedule of the running model's authority.conductor.rekey-interval-s /
 * rekey-lead-s by the one conductor that holds the store's leadership, old keys retired.
 */
#ifndef SVR_CONDUCTOR_KEYS_H
#define SVR_CONDUCTOR_KEYS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "model/validate.h"
#include "store/store.h"

struct conductor;

#define CD_REKEY_INTERVAL_DEFAULT_S SVR_MODEL_REKEY_INTERVAL_DEFAULT
#define CD_REKEY_LEAD_DEFAULT_S     SVR_MODEL_REKEY_LEAD_DEFAULT

/* Called about once a second by the main thread: adds the first key, publishes the next one
 * rekey-lead-s before its not-before, retires keys whose successor has been in force for
 * rekey-lead-s. Only the leader acts. Each change moves the store's serial. */
void cd_keys_tick(struct conductor *c, int64_t now_ms);
/* The key file (docs/svr.md, "The key file") for keys: {"keys": [...]}, not-before as RFC 3339
 * UTC. NULL when keys is empty or memory runs out. */
json_t *cd_keys_file(const struct svr_store_key *keys, size_t n);
/* The rotation settings of a model (the running one; NULL: defaults). */
void cd_keys_schedule(const json_t *model, int64_t *interval_s, int64_t *lead_s);

#endif
