/* SPDX-License-Identifier: BSD-3-Clause */
/* DHCP leases in the model compiled (leases.h). */
#include "leases.h"

#include <stdio.h>
#include <string.h>

#include "model/validate.h"

bool svr_leases_set(struct svr_leases *l, const char *iface, const char *prefix)
{
	bool clear = !prefix || !*prefix;
	for (unsigned i = 0; i < l->n; i++) {
		if (strcmp(l->v[i].iface, iface) != 0)
			continue;
		if (clear) {
			l->v[i] = l->v[--l->n];
			return true;
		}
		if (strcmp(l->v[i].prefix, prefix) == 0)
			return false;
		snprintf(l->v[i].prefix, sizeof(l->v[i].prefix), "%s", prefix);
		return true;
	}
	if (clear || l->n == SVR_MAX_LEASES)
		return false;
	snprintf(l->v[l->n].iface, sizeof(l->v[0].iface), "%s", iface);
	snprintf(l->v[l->n].prefix, sizeof(l->v[0].prefix), "%s", prefix);
	l->n++;
	return true;
}

const char *svr_leases_get(const struct svr_leases *l, const char *iface)
{
	for (unsigned i = 0; i < l->n; i++)
		if (strcmp(l->v[i].iface, iface) == 0)
			return l->v[i].prefix;
	return NULL;
}

static bool is_dhcp(const json_t *iface)
{
	return json_is_true(json_object_get(iface, "dhcp"));
}

bool svr_leases_wanted(const json_t *router)
{
	size_t i;
	const json_t *iface;
	json_array_foreach (json_object_get(router, "interfaces"), i, iface)
		if (is_dhcp(iface))
			return true;
	return false;
}

/* The router's interfaces array in doc (a validated model), or NULL. */
static json_t *interfaces_of(json_t *doc, const char *router)
{
	return json_object_get(svr_model_router(doc, router), "interfaces");
}

json_t *svr_leases_apply(json_t *doc, const char *router, const struct svr_leases *l)
{
	const json_t *r = svr_model_router(doc, router);
	if (!r || !svr_leases_wanted(r) || l->n == 0)
		return json_incref(doc);
	json_t *copy = json_deep_copy(doc);
	json_t *ifaces = copy ? interfaces_of(copy, router) : NULL;
	size_t i;
	json_t *iface;
	json_array_foreach (ifaces, i, iface) {
		const char *name = json_string_value(json_object_get(iface, "name"));
		const char *lease = name && is_dhcp(iface) ? svr_leases_get(l, name) : NULL;
		if (!lease)
			continue;
		json_t *addrs = json_object_get(iface, "addresses");
		if (!addrs) {
			addrs = json_array();
			if (json_object_set_new(iface, "addresses", addrs) < 0)
				addrs = NULL;
		}
		if (!addrs || json_array_insert_new(addrs, 0, json_string(lease)) < 0) {
			json_decref(copy);
			return NULL;
		}
	}
	return copy;
}
