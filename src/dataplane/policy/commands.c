/* SPDX-License-Identifier: BSD-3-Clause */
/* The control socket's "policy" (the running generation and image) and "version" commands. */
#include <unistd.h>

#include <jansson.h>

#include "common/image.h"
#include "ctlsock/command.h"
#include "core/dp.h"
#include "policy/channel.h"
#include "svr/version.h"

static json_t *cmd_version(void)
{
	return json_pack("{s:s, s:s, s:I, s:i, s:i}", "version", SVR_VERSION, "instance",
			 dp.conf->instance, "uptime-s",
			 (json_int_t)((dp_now_ms() - dp.start_ms) / 1000), "workers",
			 (int)dp.n_workers, "pid", (int)getpid());
}

static json_t *cmd_policy(void)
{
	const struct dp_gen *g = dp_gen_main();
	uint32_t n_services = 0, n_tenants = 0;
	const char *router = "";
	if (g && g->image) {
		svr_img_table(g->image, SVR_SEC_SERVICES, &n_services);
		svr_img_table(g->image, SVR_SEC_TENANTS, &n_tenants);
		router = svr_img_str(g->image, svr_img_hdr(g->image)->router_name);
	}
	return json_pack("{s:I, s:s, s:s, s:I, s:I, s:i, s:i, s:I, s:I, s:s}", "generation",
			 (json_int_t)(g ? g->generation : 0), "router", router, "channel",
			 dp_channel_name(), "image-bytes", (json_int_t)(g ? g->image_len : 0),
			 "services", (json_int_t)n_services, "tenants", (int)n_tenants,
			 "interfaces", g ? (int)g->n_ifaces : 0, "images-applied",
			 (json_int_t)dp.main_stats.events[SVR_EV_POLICY_APPLIED], "images-rejected",
			 (json_int_t)dp.main_stats.events[SVR_EV_POLICY_REJECTED], "last-error",
			 dp_channel_last_error());
}

static struct dp_ctl_command policy_cmd = {.name = "policy", .answer = cmd_policy};
static struct dp_ctl_command version_cmd = {.name = "version", .answer = cmd_version};
DP_CTL_REGISTER(policy_cmd)
DP_CTL_REGISTER(version_cmd)
