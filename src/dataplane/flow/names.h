/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A registry of names (tenants, services) with ids that stay the same while
 * the name is in use, so that a session keeps naming its tenant and service
 * after a re-apply renumbers the image. Main lcore only, except
 * svr_names_get, which workers may call for a name a session they hold
 * carries (it is never forgotten under them: see svr_names_sweep).
 *
 * Ids are 16 bits (the size a session entry can spare). Each generation holds
 * the names it uses (svr_names_hold when it is built, svr_names_release when
 * it is freed); a name that no generation holds and no session entry carries
 * is forgotten by a sweep and its id handed out again, so models may rename
 * tenants and services without end. The registry is full only while 65,535
 * names are in use at once.
 */
#ifndef SVR_FLOW_NAMES_H
#define SVR_FLOW_NAMES_H

#include <stdint.h>

#define SVR_NAMES_MAX 65535u /* ids 0 .. 65534; 0xffff is SVR_NO_NAME */

struct svr_names;

struct svr_names *svr_names_create(void);
void svr_names_free(struct svr_names *n);
/* The id of name, registering it if new, held once more; SVR_NO_NAME when full or name is NULL. */
uint16_t svr_names_hold(struct svr_names *n, const char *name);
/* Gives back one hold of id (SVR_NO_NAME: nothing). */
void svr_names_release(struct svr_names *n, uint16_t id);
/*
 * Forgets every name that nothing holds and whose id is not set in carried
 * (a bitmap of 65,536 bits by id: the ids session entries carry, including
 * entries deleted but not yet reclaimed). Returns how many were forgotten.
 */
uint32_t svr_names_sweep(struct svr_names *n, const uint64_t *carried);
/* Ids that can be handed out now. */
uint32_t svr_names_free_ids(const struct svr_names *n);
/* The name of id, or NULL. */
const char *svr_names_get(const struct svr_names *n, uint16_t id);
/* The id of a registered name, or SVR_NO_NAME (does not register). */
uint16_t svr_names_find(const struct svr_names *n, const char *name);

#endif
