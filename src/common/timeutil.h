/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SVR_TIMEUTIL_H
#define SVR_TIMEUTIL_H

#include <stdint.h>
#include <time.h>

/* "2026-12-01T06:00:00Z" or with fractional seconds / a "+02:00" offset. Returns 0 or -1. */
int svr_rfc3339_parse(const char *s, int64_t *unix_s);

/* The time ms milliseconds from now on clock: a deadline for pthread_cond_timedwait. */
struct timespec svr_timespec_after_ms(clockid_t clock, unsigned ms);

#endif
