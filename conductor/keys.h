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

#include "conductor.h"
#include "model/validate.h"
#include "store/store.h"

struct conductor;

#define CD_REKEY_INTERVAL_DEFAULT_S SVR_MODEL_REKEY_INTERVAL_DEFAULT
#define CD_REKEY_LEAD_DEFAULT_S     SVR_MODEL_REKEY_LEAD_DEFAULT

/* Called about once a second by the main thread: adds the first key, publishes the next one
 * rekey-lead-s before its not-before, retires keys whose successor has been in force for
 * rekey-lead-s. Only the leader acts. Each change moves the store's serial. */
void cd_keys_tick(struct conductor *c, int64_t now_ms);
#define CD_KEYS_NO_RANDOM (-100) /* cd_keys_add_next: OpenSSL's DRBG failed */

/*
 * Adds the key after the newest: security-id one above it (the first key is 1), not-before
 * after_newest_ms past the newest's but not before earliest_ms (the first key: earliest_ms).
 * only_after_id non-zero: only if the newest is still that one (1 when it is not: nothing
 * added). Any thread; one call at a time. A duplicate id (another conductor added it at the same
 * moment) is retried once with the next id. 0 with the key in *added (the caller cleanses
 * it); a store error (SVR_STORE_*, err set) or CD_KEYS_NO_RANDOM.
 */
int cd_keys_add_next(struct conductor *c, uint32_t only_after_id, int64_t earliest_ms,
		     int64_t after_newest_ms, int64_t now_ms, struct svr_store_key *added,
		     char *err, size_t errlen);
/* A one-time enrolment token for router: CD_SECRET_BYTES random bytes as hex into token (shown
 * once), its SHA-256 stored, valid enrolment-token-ttl-s (until *expires_ms). Any thread. 0; a
 * store error (SVR_STORE_*, err set; token cleared) or CD_KEYS_NO_RANDOM. */
int cd_enrolment_token_new(struct conductor *c, const char *router,
			   char token[2 * CD_SECRET_BYTES + 1], int64_t *expires_ms, char *err,
			   size_t errlen);
/* The key file (docs/svr.md, "The key file") for keys: {"keys": [...]}, not-before as RFC 3339
 * UTC. NULL when keys is empty or memory runs out. */
json_t *cd_keys_file(const struct svr_store_key *keys, size_t n);
/* The rotation settings of a model (the running one; NULL: defaults). */
void cd_keys_schedule(const json_t *model, int64_t *interval_s, int64_t *lead_s);

#endif
