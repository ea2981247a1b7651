/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Placeholder so that svr-conductor links: the operator API (commits, history, diff, routers,
 * enrolment tokens, the CA...) is written separately and replaces this file. No route yet.
 */
#include "conductor.h"

void cd_api_operator_register(struct conductor *c)
{
	(void)c;
}
