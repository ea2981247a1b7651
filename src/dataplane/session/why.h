/* SPDX-License-Identifier: BSD-3-Clause */
/* The "why" of a first packet under the policy in force (why.c). */
#ifndef SVR_DP_SESSION_WHY_H
#define SVR_DP_SESSION_WHY_H

#include <jansson.h>

#include "core/gen.h"
#include "session/command_args.h"

/* Main lcore: what generation g would do with a's first packet, and why; NULL with *error when
 * it cannot say (no policy yet, no such interface). */
json_t *dp_session_why(const struct dp_gen *g, const struct dp_why_args *a, const char **error);

#endif
