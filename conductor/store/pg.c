/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>

#include "backend.h"
#include "store.h"

int svr_pg_open(const char *conninfo, struct svr_backend **out, char *err, size_t errlen)
{
	(void)conninfo, (void)out;
	snprintf(err, errlen, "postgresql: this build has no PostgreSQL backend yet");
	return SVR_STORE_ERR;
}
