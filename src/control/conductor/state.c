/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the router keeps of the conductor across restarts, in its state directory:
 * conductor-state.json (the serial and version applied, the last serial received, a local
 * override), written atomically. The model itself is svr-control's stored model (model.json),
 * so a router restarted without its conductor runs what it last applied.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cd_int.h"
#include "common/jsonutil.h"
#include "common/log.h"
#include "common/timeutil.h"

int64_t cd_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void cd_rfc3339(int64_t unix_s, char *buf, size_t len)
{
	struct tm tm;
	time_t t = (time_t)unix_s;
	if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "1970-01-01T00:00:00Z");
}

/* The directory part of path, into dir. */
static void dir_of(const char *path, char *dir, size_t len)
{
	char copy[4096];
	snprintf(copy, sizeof(copy), "%s", path);
	snprintf(dir, len, "%s", dirname(copy));
}

int cd_write_file(const char *path, const void *data, size_t len, mode_t mode, char *err,
		  size_t errlen)
{
	char tmp[4200], dir[4096];
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return svr_errf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
	const char *p = data;
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, p + off, len - off);
		if (n <= 0) {
			int e = errno;
			close(fd);
			unlink(tmp);
			return svr_errf(err, errlen, "cannot write %s: %s", tmp, strerror(e));
		}
		off += (size_t)n;
	}
	/* fchmod: the mode is exact whatever the umask (a key file must be 0600, not less). */
	if (fchmod(fd, mode) < 0 || fsync(fd) < 0 || close(fd) < 0 || rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return svr_errf(err, errlen, "cannot store %s: %s", path, strerror(e));
	}
	/* The rename itself survives a crash once the directory is synced. */
	dir_of(path, dir, sizeof(dir));
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

static const char *const state_keys[] = {"serial", "version", "seen-serial", "local-override",
					 NULL};
static const char *const override_keys[] = {"since", "base-version", NULL};

static int parse_override(const json_t *doc, struct cd_state *st, struct svr_jerr *e)
{
	json_t *o = json_object_get(doc, "local-override");
	if (!o || json_is_null(o))
		return 0;
	const char *since = NULL;
	uint64_t base = 0;
	if (svr_json_only_keys(o, "local-override", override_keys, e) < 0 ||
	    svr_json_get_string(o, "since", "local-override", &since, e) < 0 ||
	    svr_json_get_uint(o, "base-version", "local-override", 0, INT64_MAX, &base, e) < 0)
		return -1;
	if (!since || svr_rfc3339_parse(since, &st->override_since) < 0)
		return svr_jerr_set(e, "local-override.since", "must be an RFC 3339 time");
	st->override = true;
	st->override_base = (int64_t)base;
	return 0;
}

int cd_state_load(struct svr_conductor *cd, char *err, size_t errlen)
{
	memset(&cd->st, 0, sizeof(cd->st));
	json_error_t jerr;
	json_t *doc = json_load_file(cd->state_path, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc && access(cd->state_path, F_OK) != 0)
		return 0; /* never synced: start from serial 0 */
	if (!doc)
		return svr_errf(err, errlen, "%s: line %d column %d: %s", cd->state_path, jerr.line,
				jerr.column, jerr.text);
	struct svr_jerr e = {.msg = ""};
	uint64_t serial = 0, version = 0, seen = 0;
	int rc = svr_json_only_keys(doc, "", state_keys, &e) < 0 ||
			 svr_json_get_uint(doc, "serial", "", 0, INT64_MAX, &serial, &e) < 0 ||
			 svr_json_get_uint(doc, "version", "", 0, INT64_MAX, &version, &e) < 0 ||
			 svr_json_get_uint(doc, "seen-serial", "", 0, INT64_MAX, &seen, &e) < 0 ||
			 parse_override(doc, &cd->st, &e) < 0
		     ? -1
		     : 0;
	json_decref(doc);
	if (rc < 0)
		return svr_errf(err, errlen, "%s: %s (remove the file to sync from scratch)",
				cd->state_path, e.msg);
	cd->st.serial = (int64_t)serial;
	cd->st.version = (int64_t)version;
	cd->st.seen_serial = (int64_t)(seen > serial ? seen : serial);
	return 0;
}

json_t *cd_override_json(const struct cd_state *st)
{
	if (!st->override)
		return json_null();
	char since[32];
	cd_rfc3339(st->override_since, since, sizeof(since));
	return json_pack("{s:s, s:I}", "since", since, "base-version",
			 (json_int_t)st->override_base);
}

int cd_state_save(struct svr_conductor *cd)
{
	json_t *doc =
	    json_pack("{s:I, s:I, s:I, s:o}", "serial", (json_int_t)cd->st.serial, "version",
		      (json_int_t)cd->st.version, "seen-serial", (json_int_t)cd->st.seen_serial,
		      "local-override", cd_override_json(&cd->st));
	char *text = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;
	json_decref(doc);
	char err[512] = "out of memory";
	int rc =
	    text ? cd_write_file(cd->state_path, text, strlen(text), 0600, err, sizeof(err)) : -1;
	if (rc < 0)
		LOG_ERR("cannot keep the conductor state: %s (a restart syncs from an older "
			"serial)",
			err);
	free(text);
	return rc;
}
