/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration in a 200 answer to GET /api/v1/sync (docs/conductor.md, "Router sync
 * protocol"): {"serial", "version", "model", "keys"}, or commands alone: {"commands": [...]}
 * ("Router commands"; no serial: nothing to apply, what runs stays), never both; a command id
 * appears once. Read strictly, as anything
 * from the network: duplicate keys, unknown keys and wrong types are refused with their path.
 * The model and the key file are checked later by what reads them (svr-control's validator, the
 * dataplane's key reader); here only their shape. model and keys are null when the running
 * version does not name this router (or there is no version yet): nothing to run.
 */
#include <stdio.h>
#include <string.h>

#include "cd_int.h"
#include "common/jsonutil.h"
#include "common/log.h"

static const char *const msg_keys[] = {"serial", "version", "model", "keys", NULL};
static const char *const commands_only_keys[] = {"commands", NULL};
static const char *const command_keys[] = {"id", "command", "args", NULL};

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

/* "commands": [{"id": N >= 1, "command": "...", "args": {...} | null}, ...], at least one. */
static int parse_commands(const json_t *list, struct svr_jerr *e)
{
	if (!json_is_array(list) || json_array_size(list) == 0)
		return svr_jerr_set(e, "commands", "must be an array of commands (at least one)");
	size_t i;
	json_t *c;
	json_array_foreach (list, i, c) {
		char at[48];
		snprintf(at, sizeof(at), "commands[%zu]", i);
		uint64_t id = 0;
		const char *name = NULL;
		const json_t *args = json_object_get(c, "args");
		if (!json_is_object(c))
			return svr_jerr_set(e, at, "must be an object");
		if (svr_json_only_keys(c, at, command_keys, e) < 0 ||
		    svr_json_get_uint(c, "id", at, 1, INT64_MAX, &id, e) < 0 ||
		    svr_json_get_string(c, "command", at, &name, e) < 0)
			return -1;
		if (!id || !name) {
			snprintf(at + strlen(at), sizeof(at) - strlen(at), ".%s",
				 id ? "command" : "id");
			return svr_jerr_set(e, at, "required");
		}
		if (args && !json_is_object(args) && !json_is_null(args)) {
			snprintf(at + strlen(at), sizeof(at) - strlen(at), ".args");
			return svr_jerr_set(e, at, "must be an object, or null");
		}
		/* a command runs once: an id twice is a conductor's mistake, not run twice */
		for (size_t k = 0; k < i; k++)
			if (json_integer_value(json_object_get(json_array_get(list, k), "id")) ==
			    (json_int_t)id) {
				snprintf(at + strlen(at), sizeof(at) - strlen(at), ".id");
				return svr_jerr_set(e, at, "%llu again (commands[%zu] has it)",
						    (unsigned long long)id, k);
			}
	}
	return 0;
}

/* An answer with commands and no configuration: one that carries both is refused (the
 * conductor never sends it; which to act on first would be a guess). */
static int parse_commands_only(json_t *doc, struct cd_sync_msg *m, struct svr_jerr *e)
{
	json_t *commands = json_object_get(doc, "commands");
	for (size_t i = 0; msg_keys[i]; i++)
		if (json_object_get(doc, msg_keys[i]))
			return svr_jerr_set(e, msg_keys[i],
					    "not with \"commands\": an answer carries a "
					    "configuration or commands, not both");
	if (svr_json_only_keys(doc, "", commands_only_keys, e) < 0 ||
	    parse_commands(commands, e) < 0)
		return -1;
	m->commands = commands;
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
	if (json_is_object(doc) && json_object_get(doc, "commands")) {
		if (parse_commands_only(doc, m, &e) < 0) {
			json_decref(doc);
			memset(m, 0, sizeof(*m));
			return svr_errf(err, errlen, "%s", e.msg);
		}
		m->doc = doc;
		return 0;
	}
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
	m->has_config = true;
	m->model = json_is_object(model) ? model : NULL;
	m->keys = keys && !json_is_null(keys) ? keys : NULL;
	return 0;
}

void cd_sync_msg_free(struct cd_sync_msg *m)
{
	json_decref(m->doc);
	memset(m, 0, sizeof(*m));
}
