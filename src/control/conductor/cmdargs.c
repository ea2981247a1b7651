/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A relayed clear-sessions command's arguments (docs/conductor.md, "Router commands") into the
 * dataplane's sessions-clear request. Read strictly: a key this router does not know, a filter
 * value that is not a string, or arguments naming neither a filter nor "all": true fail the
 * command; every session is cleared only when the conductor says "all": true, never because a
 * filter went unread (a misspelt key must not clear everything). No I/O: unit-tested.
 */
#include <stdio.h>
#include <string.h>

#include "cd_int.h"
#include "common/jsonutil.h"

json_t *cd_clear_request(const json_t *args, char *err, size_t errlen)
{
	static const char *const arg_keys[] = {"filter", "all", NULL};
	static const char *const filter_keys[] = {"tenant", "service", "address", NULL};
	struct svr_jerr e = {.msg = ""};
	const json_t *filter = json_object_get(args, "filter");
	const json_t *all = json_object_get(args, "all");
	bool named = false;
	if (args && !json_is_null(args) && svr_json_only_keys(args, "args", arg_keys, &e) < 0)
		goto refused;
	if (all && !json_is_boolean(all)) {
		svr_jerr_set(&e, "args.all", "must be true or false");
		goto refused;
	}
	if (filter && !json_is_null(filter)) {
		if (svr_json_only_keys(filter, "args.filter", filter_keys, &e) < 0)
			goto refused;
		for (size_t i = 0; filter_keys[i]; i++) {
			const json_t *v = json_object_get(filter, filter_keys[i]);
			if (v && (!json_is_string(v) || json_string_length(v) == 0)) {
				char at[48];
				snprintf(at, sizeof(at), "args.filter.%s", filter_keys[i]);
				svr_jerr_set(&e, at, "must be a non-empty string");
				goto refused;
			}
			named |= v != NULL;
		}
	}
	if (named == json_is_true(all)) {
		svr_jerr_set(&e, "args",
			     named ? "\"all\": true and a filter: which one was meant?"
				   : "names neither a filter nor \"all\": true (nothing to clear)");
		goto refused;
	}
	json_t *req = json_pack("{s:s}", "cmd", "sessions-clear");
	for (size_t i = 0; req && filter_keys[i]; i++) {
		json_t *v = json_object_get(filter, filter_keys[i]);
		if (v)
			json_object_set(req, filter_keys[i], v);
	}
	if (req && !named)
		json_object_set_new(req, "all", json_true());
	if (!req)
		snprintf(err, errlen, "out of memory");
	return req;
refused:
	snprintf(err, errlen, "svr-control refuses the arguments: %s", e.msg);
	return NULL;
}
