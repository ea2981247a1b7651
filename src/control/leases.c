/* SPDX-License-Identifier: BSD-3-Clause */
/* DHCP leases in the model compiled (leases.h). */
#include "leases.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fsutil.h"
#include "common/inet.h"
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

/* Whether two IPv4 prefixes share an address. */
static bool overlap4(const struct svr_prefix *a, const struct svr_prefix *b)
{
	return svr_prefix_contains(a, &b->ip) || svr_prefix_contains(b, &a->ip);
}

int svr_leases_check(const json_t *router, const char *iface, const char *prefix, char *why,
		     size_t len)
{
	struct svr_prefix p;
	if (svr_prefix_parse(prefix, &p, false) < 0 || p.ip.family != SVR_AF_INET || p.len == 0) {
		snprintf(why, len, "\"%s\" is no IPv4 address/length of 1-32", prefix);
		return -1;
	}
	uint32_t a = svr_ip4_host(&p.ip);
	uint32_t mask = p.len == 32 ? ~0u : ~(~0u >> p.len);
	if ((a >> 24) == 0 || (a >> 24) == 127 || (a >> 28) >= 14) {
		snprintf(why, len, "%s is no unicast host address (0/8, 127/8, multicast, class E)",
			 prefix);
		return -1;
	}
	if (p.len <= 30 && ((a & ~mask) == 0 || (a & ~mask) == ~mask)) {
		snprintf(why, len, "%s is its subnet's network or broadcast address", prefix);
		return -1;
	}
	size_t i, j;
	const json_t *o, *s;
	json_array_foreach (json_object_get(router, "interfaces"), i, o) {
		const char *name = json_string_value(json_object_get(o, "name"));
		if (!name || strcmp(name, iface) == 0)
			continue;
		json_array_foreach (json_object_get(o, "addresses"), j, s) {
			struct svr_prefix q;
			const char *t = json_string_value(s);
			if (t && svr_prefix_parse(t, &q, true) == 0 && q.ip.family == SVR_AF_INET &&
			    overlap4(&p, &q)) {
				snprintf(why, len, "%s overlaps %s of interface \"%s\"", prefix, t,
					 name);
				return -1;
			}
		}
	}
	return 0;
}

unsigned svr_leases_load(struct svr_leases *l, const char *dir)
{
	DIR *d = opendir(dir);
	unsigned n = 0;
	const struct dirent *e;
	while (d && (e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len <= 11 || len - 11 >= IF_NAMESIZE || strncmp(e->d_name, "dhcp-", 5) != 0 ||
		    strcmp(e->d_name + len - 6, ".lease") != 0)
			continue;
		char iface[IF_NAMESIZE], path[600];
		snprintf(iface, sizeof(iface), "%.*s", (int)(len - 11), e->d_name + 5);
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		size_t got;
		char *text = svr_read_file(path, 64, &got);
		struct svr_prefix p;
		if (text) {
			text[strcspn(text, "\n")] = '\0';
			if (svr_prefix_parse(text, &p, false) == 0 && p.ip.family == SVR_AF_INET &&
			    svr_leases_set(l, iface, text))
				n++;
		}
		free(text);
	}
	if (d)
		closedir(d);
	return n;
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
