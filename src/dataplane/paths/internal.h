/* SPDX-License-Identifier: BSD-3-Clause */
/* What the paths folder's files share (main lcore only). */
#ifndef SVR_DP_PATHS_INTERNAL_H
#define SVR_DP_PATHS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "common/bfd.h"
#include "svrpath/path.h"

/* A path slot's BFD session. */
struct dp_path_bfd {
	bool active;    /* the running model has the path */
	uint16_t iface; /* its interface: packets from elsewhere are refused */
	struct svr_bfd_session s;
	uint64_t sent, refused, ups, downs;
	enum svr_bfd_err last_refusal; /* why the last refused packet was */
};

extern struct dp_path_bfd dp_path_bfd[DP_MAX_SVR_PATHS];

/* What "peers" shows of the liveness of the path in slot (JSON null: no BFD session). */
struct json_t;
struct json_t *dp_paths_bfd_json(uint16_t slot);

/* The monotonic clock BFD runs on, in microseconds. */
uint64_t dp_paths_now_us(void);

#endif
