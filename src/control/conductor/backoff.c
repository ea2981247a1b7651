/* SPDX-License-Identifier: BSD-3-Clause */
/* Reconnection delays: full jitter (docs/conductor.md, "Which conductor"). */
#include "conductor.h"

unsigned svr_cd_backoff_ms(unsigned attempt, unsigned base_ms, unsigned cap_ms,
			   uint32_t (*rnd)(void *ctx), void *ctx)
{
	/* base * 2^attempt, without overflowing: stop doubling once the cap is reached. */
	uint64_t ceiling = base_ms;
	for (unsigned i = 0; i < attempt && ceiling < cap_ms; i++)
		ceiling *= 2;
	if (ceiling > cap_ms)
		ceiling = cap_ms;
	/* Uniform in [0, ceiling]: 32 random bits scaled, no modulo bias worth the name. */
	return (unsigned)(((uint64_t)rnd(ctx) * (ceiling + 1)) >> 32);
}
