/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A registry of names (tenants, services) with ids that stay the same across
 * policy generations, so that a session keeps naming its tenant and service
 * after a re-apply renumbers the image. Append-only, main lcore only: ids are
 * handed out when an image is applied and read back when sessions are shown.
 * Ids are 16 bits (the size a session entry can spare); a full registry
 * answers SVR_NO_NAME and sessions of new names show no name.
 */
#ifndef SVR_SESSION_NAMES_H
#define SVR_SESSION_NAMES_H

#include <stdint.h>

#define SVR_NAMES_MAX 65535u /* ids 0 .. 65534; 0xffff is SVR_NO_NAME */

struct svr_names;

struct svr_names *svr_names_create(void);
void svr_names_free(struct svr_names *n);
/* The id of name, registering it if new; SVR_NO_NAME when full or name is NULL. */
uint16_t svr_names_id(struct svr_names *n, const char *name);
/* The name of id, or NULL. */
const char *svr_names_get(const struct svr_names *n, uint16_t id);
/* The id of a registered name, or SVR_NO_NAME (does not register). */
uint16_t svr_names_find(const struct svr_names *n, const char *name);

#endif
