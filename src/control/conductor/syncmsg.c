/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration in a 200 answer to GET /api/v1/sync (docs/conductor.md, "Router sync
 * protocol"): {"serial", "version", "model", "keys"}. Read strictly, as anything from the
 * network: duplicate keys, unknown keys and wrong types are refused with their path. The model
 * and the key file are checked later by what reads them (svr-control's validator, the
 * dataplane's key reader); here only their shape. model and keys are null when the running
 * version does not name this router (or there is no version yet): nothing to run.
 */
#include <stdio.h>
#include <string.h>

#include "cd_int.h"
#include "common/jsonutil.h"
#include "common/log.h"

static const char *const msg_keys[] = {"serial", "version", "model", "keys", NULL};

static int parse_counter(const json_t *doc, const char *key, int64_t min, int64_t *out,
			 struct svr_jerr *e)
{
	uint64_t v = 0;
	int rc = svr_json_get_uint(doc, key, "", (uint64_t)min, INT64_MAX, &v, e);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return svr_jerr_set(e, key, "required");
	*out = (int64_t)v;
	return 0;
}

int cd_sync_parse(const char *text, size_t len, struct cd_sync_msg *m, char *err, size_t errlen)
{
	memset(m, 0, sizeof(*m));
	json_error_t jerr;
	json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		return svr_errf(err, errlen, "(top): line %d column %d: %s", jerr.line, jerr.column,
				jerr.text);
	struct svr_jerr e = {.msg = ""};
	json_t *model = json_object_get(doc, "model"), *keys = json_object_get(doc, "keys");
	int rc = svr_json_only_keys(doc, "", msg_keys, &e) < 0 ||
			 parse_counter(doc, "serial", 1, &m->serial, &e) < 0 ||
			 parse_counter(doc, "version", 0, &m->version, &e) < 0
		     ? -1
		     : 0;
	if (rc == 0 && !json_is_object(model) && !json_is_null(model))
		rc = svr_jerr_set(&e, "model", "must be the router's model (an object), or null");
	if (rc == 0 && keys && !json_is_null(keys) &&
	    (!json_is_object(keys) || !json_is_array(json_object_get(keys, "keys"))))
		rc = svr_jerr_set(&e, "keys", "must be a key file: {\"keys\": [...]}, or null");
	if (rc < 0) {
		json_decref(doc);
		memset(m, 0, sizeof(*m));
		return svr_errf(err, errlen, "%s", e.msg);
	}
	m->doc = doc;
	m->model = json_is_object(model) ? model : NULL;
	m->keys = keys && !json_is_null(keys) ? keys : NULL;
	return 0;
}

void cd_sync_msg_free(struct cd_sync_msg *m)
{
	json_decref(m->doc);
	memset(m, 0, sizeof(*m));
}
