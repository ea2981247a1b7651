/* SPDX-License-Identifier: BSD-3-Clause */
/* The commands relay (api/commands.c) as the router API's sync and watcher use it. */
#ifndef SVR_CONDUCTOR_API_COMMANDS_H
#define SVR_CONDUCTOR_API_COMMANDS_H

#include <stdbool.h>

#include "store/store.h"

struct conductor;
struct cd_reply;

/* Registers the relay's routes (operator: clear-sessions, a command's state; router: a
 * command's result). */
void cd_commands_register(struct conductor *c);
/* A sync of router: true with out answered (200 {"commands": [...]}) when it has commands not
 * handed out yet; false (out untouched) otherwise. */
bool cd_commands_answer(struct conductor *c, const char *router, struct cd_reply *out);
/* The watcher, every half second on its own store handle: learns of the commands other
 * conductors took, waking the held syncs of their routers; every 5 s, fails the commands not
 * answered in time and purges those ended a day ago. */
void cd_commands_refresh(struct svr_store *st);
/* Drops a deleted router from the set of routers with commands waiting. */
void cd_commands_forget(const char *router);

#endif
