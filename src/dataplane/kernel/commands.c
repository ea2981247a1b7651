/* SPDX-License-Identifier: BSD-3-Clause */
/* The control socket's "kernel" command: the twins' namespace and, per twin, its counters. */
#include <jansson.h>

#include "core/dp.h"
#include "ctlsock/command.h"
#include "kernel/twin.h"

static json_t *twin_json(const struct dp_kernel_twin *t)
{
	return json_pack("{s:s, s:i, s:I, s:I, s:I, s:I}", "name", t->name, "ifindex", t->ifindex,
			 "up", (json_int_t)t->up, "down", (json_int_t)t->down, "rate-limited-up",
			 (json_int_t)t->rate_limited_up, "rate-limited-down",
			 (json_int_t)t->rate_limited_down);
}

/* {"enabled", "namespace" (null: the dataplane's own), "rate-per-s", "burst", "twins"} */
static json_t *cmd_kernel(void)
{
	json_t *twins = json_array();
	for (uint16_t s = 0; s < DP_MAX_IFACES; s++) {
		const struct dp_kernel_twin *t = dp_kernel_twin(s);
		if (t)
			json_array_append_new(twins, twin_json(t));
	}
	const struct dp_config *c = dp.conf;
	json_t *ns = c->kernel && c->kernel_ns[0] ? json_string(c->kernel_ns) : json_null();
	return json_pack("{s:b, s:o, s:i, s:i, s:o}", "enabled", (int)dp_kernel.on, "namespace", ns,
			 "rate-per-s", (int)c->kernel_rate, "burst", (int)c->kernel_burst, "twins",
			 twins);
}

static struct dp_ctl_command kernel_cmd = {.name = "kernel", .answer = cmd_kernel};
DP_CTL_REGISTER(kernel_cmd)
