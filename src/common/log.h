/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One logging macro for every program. Lines go to stderr as
 *   2026-11-26T08:00:00Z svr-dataplane[r1] warning: message
 * Never call it from a worker's per-packet path.
 */
#ifndef SVR_LOG_H
#define SVR_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum svr_log_level { SVR_LOG_ERR, SVR_LOG_WARN, SVR_LOG_NOTICE, SVR_LOG_INFO, SVR_LOG_DEBUG };

/* program: e.g. "svr-dataplane"; instance may be NULL. */
void svr_log_init(const char *program, const char *instance);
void svr_log_set_level(enum svr_log_level level);
/* Parses "error", "warning", "notice", "info", "debug"; returns -1 if unknown. */
int svr_log_level_parse(const char *name);
void svr_log(enum svr_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Formats an error sentence into buf (as vsnprintf) and returns -1, for `return svr_errf(...)`. */
int svr_errf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define LOG_ERR(...)    svr_log(SVR_LOG_ERR, __VA_ARGS__)
#define LOG_WARN(...)   svr_log(SVR_LOG_WARN, __VA_ARGS__)
#define LOG_NOTICE(...) svr_log(SVR_LOG_NOTICE, __VA_ARGS__)
#define LOG_INFO(...)   svr_log(SVR_LOG_INFO, __VA_ARGS__)
#define LOG_DEBUG(...)  svr_log(SVR_LOG_DEBUG, __VA_ARGS__)

#endif
