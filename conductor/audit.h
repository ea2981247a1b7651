/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The audit log (docs/conductor.md, "Audit log"): which finished requests are kept, the caps on
 * refused attempts, and the bound on the log's size. The HTTP server reports every request that
 * ends; entries are queued in memory and written by a thread of their own, so that no request
 * waits for the store; main.c ticks the log once a second and stops it after the server.
 */
#ifndef SVR_CONDUCTOR_AUDIT_H
#define SVR_CONDUCTOR_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conductor;

/* Refused attempts without a valid credential kept per client address (an IPv6 client: per
 * /64) per minute, and from all addresses together; the rest are counted and summarised ("and K
 * more refused from ADDR"). A known operator's refusals (403) are kept up to a cap of their own
 * per operator, summarised under its name. The caps are this conductor's: N conductors on one
 * PostgreSQL store keep up to N times as many. */
#define CD_AUDIT_REFUSED_PER_ADDR     10
#define CD_AUDIT_REFUSED_ALL          300
#define CD_AUDIT_REFUSED_PER_OPERATOR 60
#define CD_AUDIT_WINDOW_MS            60000
/* Entries waiting for the writer; past this they are counted, and one entry says how many were
 * lost. */
#define CD_AUDIT_QUEUE 1024
/* The log keeps the newest this many entries (pruned once a minute). */
#define CD_AUDIT_KEEP 1000000

/* A request that ended, as the server saw it. */
struct cd_audit_request {
	const char *method, *path; /* the path without its query */
	const char *who;           /* the credential's name; "" when none was accepted */
	const char *role;          /* an accepted operator's role ("planner"); else "" */
	const char *peer, *action, *detail;
	unsigned status;
	bool operator_ok;   /* an operator credential was accepted */
	bool api;           /* the path is under /api/v1 */
	bool audit_success; /* the route's requests that succeed are kept (enrol, export) */
};

/* Whether the log keeps the request: an operator request but GET and HEAD (whatever its
 * status), a refused attempt (401, 403, 429) under /api/v1, and a success (2xx) of a route
 * that asks for it. */
bool cd_audit_wanted(const struct cd_audit_request *r);

/* Queues the entry of a request the log keeps (a refused attempt within the caps, or counts it
 * for a summary). Any thread; never calls the store. mono is cd_mono_ms() (the minutes
 * counted), wall cd_now_ms() (what entries record). */
void cd_audit_request(struct conductor *c, const struct cd_audit_request *r, int64_t mono,
		      int64_t wall);

/* Main thread, about once a second: queues the summaries of the minutes that ended, and prunes
 * the log to CD_AUDIT_KEEP entries once a minute. */
void cd_audit_tick(struct conductor *c, int64_t mono, int64_t wall);

/* Starts the writer thread (c->store). Main thread, before the server. */
int cd_audit_start(struct conductor *c, char *err, size_t errlen);

/* Writes what is queued, on the calling thread (the writer's loop; tests without a writer). */
void cd_audit_flush(struct conductor *c);

/* After the server stopped: the summaries of everything counted (minutes that had not ended
 * too) queued, the queue written, the writer stopped. Main thread. */
void cd_audit_stop(struct conductor *c, int64_t mono, int64_t wall);

#endif
