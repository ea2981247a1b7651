/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz-sources: src/common/metadata.c */
/*
 * libFuzzer target for the SVR metadata parser (src/common/metadata.c), which
 * reads bytes from other routers: the input is the L4 payload of a packet on
 * a waypoint. Whatever decodes must encode again and decode to the same
 * fields (a round trip), and encoding those gives the same bytes again (so no
 * field — UUID, names, fragment, control — is lost or changed on the way);
 * nothing may read outside the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "svr/metadata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *p = malloc(size ? size : 1); /* exact size: ASan flags any overread */
	if (!p)
		return 0;
	memcpy(p, data, size);
	struct svr_md md, again;
	char err[128];
	if (svr_md_decode(p, size, &md, err, sizeof(err)) >= 0) {
		static uint8_t out[70000];
		size_t n = svr_md_encode(&md, out, sizeof(out), NULL);
		if (n == 0 || svr_md_decode(out, n, &again, err, sizeof(err)) != (int)n)
			abort(); /* what we decoded we must be able to send */
		if (again.present != md.present || memcmp(&again.fwd, &md.fwd, sizeof(md.fwd)) ||
		    memcmp(&again.rev, &md.rev, sizeof(md.rev)) || again.tenant.len != md.tenant.len ||
		    memcmp(again.tenant.s, md.tenant.s, md.tenant.len) ||
		    again.num_sessions != md.num_sessions || again.security_id != md.security_id)
			abort();
		static uint8_t out2[70000];
		if (svr_md_encode(&again, out2, sizeof(out2), NULL) != n || memcmp(out, out2, n) != 0)
			abort(); /* a field changed or went missing between the two encodings */
	}
	svr_md_has_cookie(p, size);
	free(p);
	return 0;
}
