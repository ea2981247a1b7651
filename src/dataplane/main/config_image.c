/* SPDX-License-Identifier: BSD-3-Clause */
#include "main/config_image.h"

#include <string.h>

#include "common/image.h"
#include "svr/shm.h"

static void host_prefix(struct svr_img_prefix *out, const struct svr_ip *ip)
{
	memset(out, 0, sizeof(*out));
	out->family = ip->family;
	out->len = ip->family == SVR_AF_INET ? 32 : 128;
	memcpy(out->addr, ip->addr, 16);
}

int dp_config_to_image(const struct dp_config *c, void **img, size_t *len)
{
	struct svr_img_builder b;
	svr_img_builder_init(&b);
	for (unsigned i = 0; i < c->n_ifaces; i++) {
		const struct dp_iface_conf *ic = &c->ifaces[i];
		struct svr_img_iface f = {
			.name = svr_img_str_add(&b, ic->name),
			.device = svr_img_str_add(&b, ic->device),
			.vlan = ic->vlan,
			.mtu = ic->mtu,
			.flags = ic->has_mac ? SVR_IMG_IFACE_HAS_MAC : 0,
			.tenant = SVR_IMG_NONE,
			.addresses = {.first = svr_img_next(&b, SVR_SEC_PREFIXES), .count = ic->n_addrs},
		};
		memcpy(f.mac, ic->mac, 6);
		for (unsigned a = 0; a < ic->n_addrs; a++)
			svr_img_prefix_add(&b, &ic->addrs[a]);
		svr_img_add(&b, SVR_SEC_INTERFACES, &f);
	}
	for (unsigned i = 0; i < c->n_routes; i++) {
		struct svr_img_route r = {.iface = (uint32_t)c->routes[i].iface};
		r.prefix.family = c->routes[i].prefix.ip.family;
		r.prefix.len = c->routes[i].prefix.len;
		memcpy(r.prefix.addr, c->routes[i].prefix.ip.addr, 16);
		host_prefix(&r.gateway, &c->routes[i].gateway);
		svr_img_add(&b, SVR_SEC_ROUTES, &r);
	}
	for (unsigned i = 0; i < c->n_neighs; i++) {
		struct svr_img_neigh n = {.iface = c->neighs[i].iface};
		host_prefix(&n.address, &c->neighs[i].addr);
		memcpy(n.mac, c->neighs[i].mac, 6);
		svr_img_add(&b, SVR_SEC_NEIGHBORS, &n);
	}
	struct svr_img_header h = {.router_name = svr_img_str_add(&b, c->instance),
				   .inter_router_security = SVR_IMG_NONE};
	int rc = svr_img_finish(&b, &h, SVR_SHM_SLOT_SIZE, img, len);
	svr_img_builder_free(&b);
	return rc;
}
