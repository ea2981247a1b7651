/* SPDX-License-Identifier: BSD-3-Clause */
/* The control socket's "policy" (the running generation and image) and "version" commands. */
#include <stdio.h>
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

/* The image's interface names of a host-access mask; null: every interface. */
static json_t *host_ifaces(const void *img, const struct svr_img_host_access *r)
{
	if (r->flags & SVR_IMG_HA_ALL_IFACES)
		return json_null();
	uint32_t n;
	const struct svr_img_iface *fs = svr_img_table(img, SVR_SEC_INTERFACES, &n);
	json_t *a = json_array();
	for (uint32_t i = 0; i < n && i < 64; i++)
		if (r->ifaces & (UINT64_C(1) << i))
			json_array_append_new(a, json_string(svr_img_str(img, fs[i].name)));
	return a;
}

/* The rule's sources; null: the arriving interface's connected subnets. */
static json_t *host_from(const void *img, const struct svr_img_host_access *r)
{
	if (r->flags & SVR_IMG_HA_FROM_CONNECTED)
		return json_null();
	const struct svr_img_prefix *px = svr_img_table(img, SVR_SEC_PREFIXES, NULL);
	json_t *a = json_array();
	for (uint32_t k = 0; k < r->from.count; k++) {
		struct svr_prefix p;
		char buf[64];
		svr_img_prefix_to(&px[r->from.first + k], &p);
		json_array_append_new(a, json_string(svr_prefix_fmt(&p, buf, sizeof(buf))));
	}
	return a;
}

/* The exception policy in force (docs/routing.md), as the image has it. */
static json_t *host_access(const void *img)
{
	json_t *a = json_array();
	uint32_t n = 0;
	const struct svr_img_host_access *rs =
	    img ? svr_img_table(img, SVR_SEC_HOST_ACCESS, &n) : NULL;
	for (uint32_t i = 0; i < n; i++) {
		char num[8], ports[16] = "";
		const char *proto = rs[i].protocol == 89
					? "ospf"
					: svr_ip_proto_name(rs[i].protocol, num, sizeof(num));
		if (rs[i].has_ports && rs[i].port_lo == rs[i].port_hi)
			snprintf(ports, sizeof(ports), "%u", rs[i].port_lo);
		else if (rs[i].has_ports)
			snprintf(ports, sizeof(ports), "%u-%u", rs[i].port_lo, rs[i].port_hi);
		json_array_append_new(
		    a, json_pack("{s:s, s:o, s:o, s:o}", "protocol", proto, "port",
				 ports[0] ? json_string(ports) : json_null(), "from",
				 host_from(img, &rs[i]), "interfaces", host_ifaces(img, &rs[i])));
	}
	return a;
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
	return json_pack("{s:I, s:s, s:s, s:I, s:I, s:i, s:i, s:I, s:I, s:s, s:o}", "generation",
			 (json_int_t)(g ? g->generation : 0), "router", router, "channel",
			 dp_channel_name(), "image-bytes", (json_int_t)(g ? g->image_len : 0),
			 "services", (json_int_t)n_services, "tenants", (int)n_tenants,
			 "interfaces", g ? (int)g->n_ifaces : 0, "images-applied",
			 (json_int_t)dp.main_stats.events[SVR_EV_POLICY_APPLIED], "images-rejected",
			 (json_int_t)dp.main_stats.events[SVR_EV_POLICY_REJECTED], "last-error",
			 dp_channel_last_error(), "host-access", host_access(g ? g->image : NULL));
}

static struct dp_ctl_command policy_cmd = {.name = "policy", .answer = cmd_policy};
static struct dp_ctl_command version_cmd = {.name = "version", .answer = cmd_version};
DP_CTL_REGISTER(policy_cmd)
DP_CTL_REGISTER(version_cmd)
