/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Strict readers for JSON configuration: every error names the JSON path of
 * the offending field, e.g. "interfaces[1].mtu: must be between 68 and 9000".
 * Getters return 1 when the key was present and valid, 0 when absent (the
 * output is left untouched: the caller's default stays), -1 on error.
 */
#ifndef SVR_JSONUTIL_H
#define SVR_JSONUTIL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct svr_jerr {
	char msg[512];
};

int svr_jerr_set(struct svr_jerr *e, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Fails on any key of obj not listed in allowed (NULL-terminated). */
int svr_json_only_keys(const json_t *obj, const char *path, const char *const *allowed,
		       struct svr_jerr *e);
int svr_json_get_uint(const json_t *obj, const char *key, const char *path, uint64_t min,
		      uint64_t max, uint64_t *out, struct svr_jerr *e);
int svr_json_get_bool(const json_t *obj, const char *key, const char *path, bool *out,
		      struct svr_jerr *e);
/* *out points into obj; valid while obj lives. */
int svr_json_get_string(const json_t *obj, const char *key, const char *path, const char **out,
			struct svr_jerr *e);
/* Array or absent; *out is NULL when absent. */
int svr_json_get_array(const json_t *obj, const char *key, const char *path, json_t **out,
		       struct svr_jerr *e);
int svr_json_get_object(const json_t *obj, const char *key, const char *path, json_t **out,
			struct svr_jerr *e);

#endif
