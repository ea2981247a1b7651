/* SPDX-License-Identifier: BSD-3-Clause */
#include "common/log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *log_program = "svr";
static const char *log_instance;
static enum svr_log_level log_level = SVR_LOG_INFO;

static const char *const level_names[] = {"error", "warning", "notice", "info", "debug"};

void svr_log_init(const char *program, const char *instance)
{
	log_program = program;
	log_instance = instance;
}

void svr_log_set_level(enum svr_log_level level)
{
	log_level = level;
}

int svr_log_level_parse(const char *name)
{
	for (unsigned i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(name, level_names[i]) == 0)
			return (int)i;
	return -1;
}

void svr_log(enum svr_log_level level, const char *fmt, ...)
{
	if (level > log_level)
		return;

	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);

	/* One fprintf per line so that lines from several processes do not interleave. */
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (log_instance)
		fprintf(stderr, "%s %s[%s] %s: %s\n", stamp, log_program, log_instance,
			level_names[level], msg);
	else
		fprintf(stderr, "%s %s %s: %s\n", stamp, log_program, level_names[level], msg);
}

int svr_errf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return -1;
}
