/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The conductor file (docs/conductor.md, "On the router"), read strictly: unknown keys,
 * duplicate keys, wrong types and malformed values are refused with their JSON path.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/jsonutil.h"
#include "common/log.h"
#include "model/validate.h"
#include "conductor.h"

static const char *const file_keys[] = {"urls",      "router",   "enrolment-token",
					"ca-sha256", "key-file", NULL};

/* https://HOST[:PORT] with nothing after (the API paths are added to it). */
static int parse_url(const json_t *v, const char *path, char *out, struct svr_jerr *e)
{
	const char *s = json_string_value(v);
	if (!s)
		return svr_jerr_set(e, path, "must be a string \"https://HOST:PORT\"");
	size_t n = strlen(s);
	if (strncmp(s, "https://", 8) != 0)
		return svr_jerr_set(e, path,
				    "\"%.64s\" must start with https:// (the conductor speaks TLS "
				    "only)",
				    s);
	if (n == 8 || n >= SVR_CD_URL_MAX)
		return svr_jerr_set(e, path, "must name a host, in at most %d characters",
				    SVR_CD_URL_MAX - 1);
	for (const char *c = s + 8; *c; c++)
		if (*c == '/' || *c == '?' || *c == '#' || *c == '@' || !isgraph((unsigned char)*c))
			return svr_jerr_set(
			    e, path,
			    "\"%.64s\" must be https://HOST:PORT only (no path, user, spaces)", s);
	memcpy(out, s, n + 1);
	return 0;
}

static int parse_urls(const json_t *doc, struct svr_cd_config *cfg, struct svr_jerr *e)
{
	json_t *arr;
	int rc = svr_json_get_array(doc, "urls", "", &arr, e);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return svr_jerr_set(e, "urls", "required: the conductors' https:// URLs, in order");
	if (json_array_size(arr) == 0 || json_array_size(arr) > SVR_CD_MAX_URLS)
		return svr_jerr_set(e, "urls", "must list 1 to %d URLs", SVR_CD_MAX_URLS);
	size_t i;
	json_t *v;
	json_array_foreach (arr, i, v) {
		char p[32];
		snprintf(p, sizeof(p), "urls[%zu]", i);
		if (parse_url(v, p, cfg->urls[i], e) < 0)
			return -1;
		for (size_t j = 0; j < i; j++)
			if (strcmp(cfg->urls[j], cfg->urls[i]) == 0)
				return svr_jerr_set(e, p, "\"%.64s\" is listed twice",
						    cfg->urls[i]);
	}
	cfg->n_urls = (unsigned)i;
	return 0;
}

/* A router name as the model allows it (svr_model_router_name_valid). */
static int parse_router(const json_t *doc, struct svr_cd_config *cfg, struct svr_jerr *e)
{
	const char *s = NULL;
	int rc = svr_json_get_string(doc, "router", "", &s, e);
	if (rc <= 0)
		return rc;
	size_t n = strlen(s);
	if (!svr_model_router_name_valid(s))
		return svr_jerr_set(
		    e, "router", "\"%.64s\" is not a router name (" SVR_MODEL_ROUTER_NAME_RULE ")",
		    s);
	memcpy(cfg->router, s, n + 1);
	return 0;
}

static int parse_token(const json_t *doc, struct svr_cd_config *cfg, struct svr_jerr *e)
{
	const char *s = NULL;
	int rc = svr_json_get_string(doc, "enrolment-token", "", &s, e);
	if (rc <= 0)
		return rc;
	size_t n = strlen(s);
	bool ok = n >= 16 && n < SVR_CD_TOKEN_MAX;
	for (size_t i = 0; ok && i < n; i++)
		ok = isgraph((unsigned char)s[i]);
	if (!ok)
		return svr_jerr_set(e, "enrolment-token",
				    "must be 16-%d visible ASCII characters (as the conductor "
				    "issued it)",
				    SVR_CD_TOKEN_MAX - 1);
	memcpy(cfg->token, s, n + 1);
	return 0;
}

static int hex_value(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

/* 64 hexadecimal digits, or 32 pairs separated by ':' (as openssl x509 -fingerprint prints). */
static int parse_fingerprint(const char *s, uint8_t out[32])
{
	size_t n = strlen(s);
	bool colons = n == 95;
	if (n != 64 && !colons)
		return -1;
	for (size_t i = 0, k = 0; i < 32; i++) {
		int hi = hex_value(s[k]), lo = hex_value(s[k + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
		k += 2;
		if (colons && i < 31 && s[k++] != ':')
			return -1;
	}
	return 0;
}

static int parse_ca(const json_t *doc, struct svr_cd_config *cfg, struct svr_jerr *e)
{
	const char *s = NULL;
	int rc = svr_json_get_string(doc, "ca-sha256", "", &s, e);
	if (rc <= 0)
		return rc;
	if (parse_fingerprint(s, cfg->ca_sha256) < 0)
		return svr_jerr_set(e, "ca-sha256",
				    "\"%.100s\" is not a SHA-256 fingerprint (64 hexadecimal "
				    "digits, or 32 pairs separated by ':'; svrctl conductor ca)",
				    s);
	cfg->has_ca_sha256 = true;
	return 0;
}

static int parse_key_file(const json_t *doc, struct svr_cd_config *cfg, struct svr_jerr *e)
{
	const char *s = NULL;
	int rc = svr_json_get_string(doc, "key-file", "", &s, e);
	if (rc < 0)
		return -1;
	if (rc == 0)
		s = SVR_CD_KEY_FILE_DEFAULT;
	if (s[0] != '/' || strlen(s) >= sizeof(cfg->key_file) - 16)
		return svr_jerr_set(e, "key-file", "must be an absolute path of at most %zu bytes",
				    sizeof(cfg->key_file) - 17);
	if (s[strlen(s) - 1] == '/')
		return svr_jerr_set(e, "key-file", "\"%.64s\" names a directory, not a file", s);
	snprintf(cfg->key_file, sizeof(cfg->key_file), "%s", s);
	return 0;
}

int svr_cd_config_parse(const char *text, size_t len, struct svr_cd_config *cfg, char *err,
			size_t errlen)
{
	memset(cfg, 0, sizeof(*cfg));
	json_error_t jerr;
	json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc) {
		snprintf(err, errlen, "(top): line %d column %d: %s", jerr.line, jerr.column,
			 jerr.text);
		return -1;
	}
	struct svr_jerr e = {.msg = ""};
	int rc = svr_json_only_keys(doc, "", file_keys, &e) < 0 || parse_urls(doc, cfg, &e) < 0 ||
			 parse_router(doc, cfg, &e) < 0 || parse_token(doc, cfg, &e) < 0 ||
			 parse_ca(doc, cfg, &e) < 0 || parse_key_file(doc, cfg, &e) < 0
		     ? -1
		     : 0;
	json_decref(doc);
	if (rc < 0) {
		snprintf(err, errlen, "%s", e.msg);
		memset(cfg->token, 0, sizeof(cfg->token));
	}
	return rc;
}

int svr_cd_config_load(const char *path, struct svr_cd_config *cfg, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		snprintf(err, errlen, "cannot read the conductor file %s: %s", path,
			 strerror(errno));
		return -1;
	}
	struct stat sb;
	bool open_to_all = fstat(fileno(f), &sb) == 0 && (sb.st_mode & 007);
	char *text = malloc(SVR_CD_FILE_MAX + 1);
	size_t n = text ? fread(text, 1, SVR_CD_FILE_MAX + 1, f) : 0;
	bool read_error = ferror(f);
	fclose(f);
	if (!text || read_error || n > SVR_CD_FILE_MAX) {
		snprintf(err, errlen, "the conductor file %s: %s", path,
			 !text        ? "out of memory"
			 : read_error ? "read error"
				      : "larger than 64 KiB");
		free(text);
		return -1;
	}
	char msg[600];
	int rc = svr_cd_config_parse(text, n, cfg, msg, sizeof(msg));
	memset(text, 0, n); /* it may hold the enrolment token */
	free(text);
	if (rc < 0)
		snprintf(err, errlen, "the conductor file %s: %s", path, msg);
	/* Its directory is readable by all (/etc/svrouter): the file's own mode is what keeps a
	 * one-time token from other local users. Said, not refused: a first boot still enrols. */
	if (rc == 0 && cfg->token[0] && open_to_all)
		LOG_WARN("the conductor file %s holds the enrolment token and is readable by every "
			 "user: chgrp svrouter %s && chmod 0640 %s",
			 path, path, path);
	return rc;
}
