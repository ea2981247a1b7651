/* SPDX-License-Identifier: BSD-3-Clause */
/* The telemetry folder's control-socket commands (include/svr/ctlsock.h). */
#include "ctlsock/command.h"
#include "telemetry/ipfix.h"

static struct dp_ctl_command ipfix_cmd = {.name = "ipfix", .answer = dp_ipfix_json};
DP_CTL_REGISTER(ipfix_cmd)
