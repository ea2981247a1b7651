/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The audit log (docs/conductor.md, "Audit log"): which finished requests are kept, the cap on
 * refused attempts, and the bound on the log's size. The HTTP server reports every request that
 * ends; main.c ticks it once a second.
 */
#ifndef SVR_CONDUCTOR_AUDIT_H
#define SVR_CONDUCTOR_AUDIT_H

#include <stdbool.h>
#include <stdint.h>

struct conductor;

/* Refused attempts kept per client address per minute, and from all addresses together; the
 * rest are counted and summarised ("and K more refused from ADDR"). */
#define CD_AUDIT_REFUSED_PER_ADDR 10
#define CD_AUDIT_REFUSED_ALL      300
#define CD_AUDIT_WINDOW_MS        60000
/* The log keeps the newest this many entries (pruned once a minute). */
#define CD_AUDIT_KEEP 1000000

/* A request that ended, as the server saw it. */
struct cd_audit_request {
	const char *method, *path; /* the path without its query */
	const char *who;           /* the credential's name; "" when none was accepted */
	const char *role;          /* an accepted operator's role ("planner"); else "" */
	const char *peer, *action, *detail;
	unsigned status;
	bool operator_request; /* an operator credential was accepted */
	bool api;              /* the path is under /api/v1 */
};

/* Whether the log keeps the request: an operator request but GET and HEAD (whatever its
 * status), and a refused attempt (401, 403, 429) under /api/v1. */
bool cd_audit_wanted(const struct cd_audit_request *r);

/* Writes the entry of a request the log keeps (a refused attempt within the caps, or counted
 * for a summary). Any thread; a short store call, none for a refusal over the cap. mono is
 * cd_mono_ms() (the minutes counted), wall cd_now_ms() (what entries record). */
void cd_audit_request(struct conductor *c, const struct cd_audit_request *r, int64_t mono,
		      int64_t wall);

/* Main thread, about once a second: writes the summaries of the minutes that ended, and prunes
 * the log to CD_AUDIT_KEEP entries once a minute. */
void cd_audit_tick(struct conductor *c, int64_t mono, int64_t wall);

#endif
