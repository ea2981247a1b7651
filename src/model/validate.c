/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Intent model validation. Two passes: the first registers every name (and
 * reports duplicates), the second checks every object and resolves
 * references through those name maps (jansson objects, i.e. hash tables), so
 * the cost stays linear in the size of the document.
 *
 * Paths are kept as a chain of stack segments and rendered only when an error
 * is reported: a valid document never formats a path.
 */
#include "model/validate.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/inet.h"
#include "common/timeutil.h"
#include "svr/image.h"

/* Integers above this lose precision in many JSON implementations (I-JSON, RFC 7493). */
#define JSON_SAFE_MAX 9007199254740991LL
#define U32_MAX       4294967295LL

struct vpath {
	const struct vpath *up;
	const char *key; /* NULL: an array index */
	size_t index;
};

#define PKEY(parent, k) (&(const struct vpath){.up = (parent), .key = (k)})
#define PIDX(parent, i) (&(const struct vpath){.up = (parent), .index = (i)})

struct v {
	struct svr_model_errors *e;
	unsigned dropped;
	bool oom;
	const json_t *auth;
	const json_t *routers; /* the routers array, or NULL */
	/* name -> index in its list; NULL when the list is not an array (references into it
	 * are then not checked: the list's own error says enough) */
	json_t *security, *tenants, *classes, *policies, *services, *router_names;
	/* neighborhood used by some router interface -> its first declaration */
	json_t *hoods;
	/* distinct kernel tables tenants are bound to (routing-table), at most
	 * SVR_IMG_TENANT_TABLES_MAX */
	uint32_t tables[SVR_IMG_TENANT_TABLES_MAX];
	unsigned n_tables;
};

static size_t render(const struct vpath *p, char *buf, size_t len)
{
	if (!p)
		return 0;
	size_t n = render(p->up, buf, len);
	if (n >= len)
		return n;
	int w;
	if (p->key)
		w = snprintf(buf + n, len - n, "%s%s", n ? "." : "", p->key);
	else
		w = snprintf(buf + n, len - n, "[%zu]", p->index);
	return w < 0 ? n : n + (size_t)w;
}

static void path_str(const struct vpath *p, char *buf, size_t len)
{
	buf[0] = '\0';
	render(p, buf, len);
	if (!buf[0])
		snprintf(buf, len, "(top)");
}

static struct svr_model_error *slot(struct v *v)
{
	struct svr_model_errors *e = v->e;
	if (e->count >= SVR_MODEL_MAX_ERRORS)
		return NULL;
	if (e->count == e->cap) {
		unsigned cap = e->cap ? e->cap * 2 : 16;
		if (cap > SVR_MODEL_MAX_ERRORS)
			cap = SVR_MODEL_MAX_ERRORS;
		struct svr_model_error *l = realloc(e->list, cap * sizeof(*l));
		if (!l) {
			v->oom = true;
			return NULL;
		}
		e->list = l;
		e->cap = cap;
	}
	return &e->list[e->count++];
}

void svr_model_errors_add(struct svr_model_errors *e, const char *path, const char *fmt, ...)
{
	struct v v = {.e = e};
	struct svr_model_error *x = slot(&v);
	if (!x)
		return;
	snprintf(x->path, sizeof(x->path), "%s", path ? path : "(top)");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(x->message, sizeof(x->message), fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 3, 4))) static void err(struct v *v, const struct vpath *p,
						      const char *fmt, ...)
{
	/* The last place is kept for the "... more errors" entry. */
	if (v->e->count >= SVR_MODEL_MAX_ERRORS - 1) {
		v->dropped++;
		return;
	}
	struct svr_model_error *x = slot(v);
	if (!x)
		return;
	path_str(p, x->path, sizeof(x->path));
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(x->message, sizeof(x->message), fmt, ap);
	va_end(ap);
}

void svr_model_errors_init(struct svr_model_errors *e)
{
	memset(e, 0, sizeof(*e));
}

void svr_model_errors_free(struct svr_model_errors *e)
{
	free(e->list);
	memset(e, 0, sizeof(*e));
}

/* ---- name maps ---- */

static json_t *map_new(struct v *v)
{
	json_t *m = json_object();
	if (!m)
		v->oom = true;
	return m;
}

static void map_put(struct v *v, json_t *map, const char *key, json_t *val)
{
	if (!map || json_object_set_new(map, key, val) < 0)
		v->oom = true;
}

/* Index stored for name, or -1. */
static long long map_index(const json_t *map, const char *name)
{
	json_t *x = name && map ? json_object_get(map, name) : NULL;
	return x ? json_integer_value(x) : -1;
}

static bool map_has(const json_t *map, const char *name)
{
	return name && map && json_object_get(map, name);
}

/* ---- typed members ---- */

/* Edit distance of two short strings, to suggest the key a typo meant. */
static unsigned distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 40 || lb > 40)
		return 99;
	unsigned row[41];
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned diag = row[0];
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned up = row[j];
			unsigned best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

static bool known_key(const char *key, const char *const *allowed)
{
	for (const char *const *a = allowed; *a; a++)
		if (strcmp(*a, key) == 0)
			return true;
	return false;
}

static void check_keys(struct v *v, const json_t *o, const struct vpath *p,
		       const char *const *allowed)
{
	const char *key;
	json_t *val;
	json_object_foreach ((json_t *)o, key, val) {
		if (known_key(key, allowed))
			continue;
		const char *near = NULL;
		unsigned best = 3;
		for (const char *const *a = allowed; *a; a++) {
			unsigned d = distance(key, *a);
			if (d < best) {
				best = d;
				near = *a;
			}
		}
		if (near)
			err(v, PKEY(p, key), "unknown key (did you mean \"%s\"?)", near);
		else
			err(v, PKEY(p, key), "unknown key");
	}
}

/* The element must be an object; reports it otherwise. */
static bool is_object(struct v *v, const json_t *o, const struct vpath *p)
{
	if (json_is_object(o))
		return true;
	err(v, p, "must be an object");
	return false;
}

static const json_t *get(struct v *v, const json_t *o, const char *key, const struct vpath *p,
			 bool required)
{
	const json_t *x = json_object_get(o, key);
	if (!x && required)
		err(v, PKEY(p, key), "is required");
	return x;
}

static const char *get_str(struct v *v, const json_t *o, const char *key, const struct vpath *p,
			   bool required)
{
	const json_t *x = get(v, o, key, p, required);
	if (x && !json_is_string(x)) {
		err(v, PKEY(p, key), "must be a string");
		return NULL;
	}
	return json_string_value(x);
}

/* 1: present and valid (*out set), 0: absent, -1: invalid (reported). */
static int get_int(struct v *v, const json_t *o, const char *key, const struct vpath *p,
		   long long min, long long max, bool required, long long *out)
{
	const json_t *x = get(v, o, key, p, required);
	if (!x)
		return 0;
	if (!json_is_integer(x)) {
		err(v, PKEY(p, key), "must be an integer between %lld and %lld", min, max);
		return -1;
	}
	long long n = json_integer_value(x);
	if (n < min || n > max) {
		err(v, PKEY(p, key), "%lld is not between %lld and %lld", n, min, max);
		return -1;
	}
	if (out)
		*out = n;
	return 1;
}

static void get_bool(struct v *v, const json_t *o, const char *key, const struct vpath *p,
		     bool *out)
{
	const json_t *x = json_object_get(o, key);
	if (x && !json_is_boolean(x))
		err(v, PKEY(p, key), "must be true or false");
	else if (x && out)
		*out = json_is_true(x);
}

/* Array or NULL; absent required arrays and short arrays are reported. */
static const json_t *get_arr(struct v *v, const json_t *o, const char *key, const struct vpath *p,
			     bool required)
{
	const json_t *x = get(v, o, key, p, required);
	if (x && !json_is_array(x)) {
		err(v, PKEY(p, key), "must be an array");
		return NULL;
	}
	return x;
}

static const json_t *get_obj(struct v *v, const json_t *o, const char *key, const struct vpath *p,
			     bool required)
{
	const json_t *x = get(v, o, key, p, required);
	if (x && !json_is_object(x)) {
		err(v, PKEY(p, key), "must be an object");
		return NULL;
	}
	return x;
}

/* Index in values (NULL-terminated), -1 when absent, -2 when invalid (reported). */
static int get_enum(struct v *v, const json_t *o, const char *key, const struct vpath *p,
		    const char *const *values, bool required)
{
	const json_t *x = get(v, o, key, p, required);
	if (!x)
		return -1;
	for (int i = 0; values[i] && json_is_string(x); i++)
		if (strcmp(json_string_value(x), values[i]) == 0)
			return i;
	char list[160] = "";
	size_t n = 0;
	for (int i = 0; values[i]; i++) {
		int w = snprintf(list + n, sizeof(list) - n, "%s%s", i ? ", " : "", values[i]);
		if (w > 0 && n + (size_t)w < sizeof(list))
			n += (size_t)w;
	}
	if (json_is_string(x))
		err(v, PKEY(p, key), "\"%s\" is not one of: %s", json_string_value(x), list);
	else
		err(v, PKEY(p, key), "must be one of: %s", list);
	return -2;
}

/* ---- names ---- */

enum name_kind { NAME_GENERIC, NAME_TENANT, NAME_ROUTER, NAME_IFACE };

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_';
}

static bool name_ok(const char *s, enum name_kind kind)
{
	size_t n = strlen(s);
	switch (kind) {
	case NAME_GENERIC:
		if (n == 0 || n > 64 || !isalnum((unsigned char)s[0]))
			return false;
		for (size_t i = 0; i < n; i++)
			if (!name_char(s[i]) && s[i] != '.')
				return false;
		return true;
	case NAME_TENANT:
		/* Labels that start with a letter or digit, joined by single dots. */
		if (n == 0 || n > 128)
			return false;
		for (size_t i = 0; i < n; i++) {
			bool label_start = i == 0 || s[i - 1] == '.';
			if (label_start && !isalnum((unsigned char)s[i]))
				return false;
			if (!name_char(s[i]) && s[i] != '.')
				return false;
		}
		return s[n - 1] != '.';
	case NAME_ROUTER:
		if (n == 0 || n > 32)
			return false;
		for (size_t i = 0; i < n; i++)
			if (!name_char(s[i]))
				return false;
		return true;
	case NAME_IFACE:
		if (n == 0 || n > 15)
			return false;
		for (size_t i = 0; i < n; i++)
			if (!name_char(s[i]) && s[i] != '.')
				return false;
		return true;
	}
	return false;
}

static const char *const name_rule[] = {
    [NAME_GENERIC] = "must be 1-64 letters, digits, '-', '_' or '.', starting with a letter or "
		     "digit",
    [NAME_TENANT] = "must be dot-separated labels of letters, digits, '-' or '_', each starting "
		    "with a letter or digit (at most 128 characters)",
    [NAME_ROUTER] = "must be " SVR_MODEL_ROUTER_NAME_RULE,
    [NAME_IFACE] = "must be 1-15 letters, digits, '-', '_' or '.'",
};

bool svr_model_router_name_valid(const char *s)
{
	return s && name_ok(s, NAME_ROUTER);
}

/* Reads a name (required unless optional) and checks its form; NULL when absent or invalid. */
static const char *get_name(struct v *v, const json_t *o, const char *key, const struct vpath *p,
			    enum name_kind kind, bool required)
{
	const char *s = get_str(v, o, key, p, required);
	if (s && !name_ok(s, kind)) {
		err(v, PKEY(p, key), "\"%s\" %s", s, name_rule[kind]);
		return NULL;
	}
	return s;
}

/* A reference to a name of map; reports one that does not resolve. */
static const char *get_ref(struct v *v, const json_t *o, const char *key, const struct vpath *p,
			   const json_t *map, const char *what, bool required)
{
	const char *s = get_str(v, o, key, p, required);
	if (s && map && !map_has(map, s)) {
		err(v, PKEY(p, key), "no %s named \"%s\"", what, s);
		return NULL;
	}
	return s;
}

/* Pass 1: name -> index for one list; reports the second use of a name. */
static json_t *register_list(struct v *v, const json_t *list, const struct vpath *lp)
{
	json_t *map = map_new(v);
	size_t i;
	const json_t *x;
	json_array_foreach (list, i, x) {
		const char *name = json_string_value(json_object_get(x, "name"));
		if (!name)
			continue;
		long long first = map_index(map, name);
		if (first >= 0) {
			char lpath[256];
			path_str(lp, lpath, sizeof(lpath));
			err(v, PKEY(PIDX(lp, i), "name"), "\"%s\" is already the name of %s[%lld]",
			    name, lpath, first);
			continue;
		}
		map_put(v, map, name, json_integer((json_int_t)i));
	}
	return map;
}

/* ---- addresses ---- */

static bool get_ip_value(struct v *v, const json_t *x, const struct vpath *p, struct svr_ip *out)
{
	if (!json_is_string(x)) {
		err(v, p, "must be an IP address string");
		return false;
	}
	if (svr_ip_parse(json_string_value(x), out) < 0) {
		err(v, p, "\"%s\" is not an IP address", json_string_value(x));
		return false;
	}
	return true;
}

static bool get_ip(struct v *v, const json_t *o, const char *key, const struct vpath *p,
		   bool required, struct svr_ip *out)
{
	const json_t *x = get(v, o, key, p, required);
	return x && get_ip_value(v, x, PKEY(p, key), out);
}

/* A network prefix whose host bits are zero; host_ok also takes a bare address as a host. */
static bool check_prefix(struct v *v, const json_t *x, const struct vpath *p, bool host_ok,
			 struct svr_prefix *out)
{
	struct svr_prefix pf;
	const char *s = json_string_value(x);
	if (!s) {
		err(v, p, "must be a prefix string like \"198.18.1.0/24\"");
		return false;
	}
	if (svr_prefix_parse(s, &pf, host_ok) < 0) {
		err(v, p, "\"%s\" is not a prefix like \"198.18.1.0/24\" or \"2001:db8::/32\"%s", s,
		    host_ok ? " (or an address)" : "");
		return false;
	}
	struct svr_prefix masked = pf;
	svr_prefix_mask(&masked);
	if (!svr_ip_equal(&masked.ip, &pf.ip)) {
		char buf[64];
		err(v, p, "\"%s\" has host bits set (the prefix is %s)", s,
		    svr_prefix_fmt(&masked, buf, sizeof(buf)));
		return false;
	}
	if (out)
		*out = pf;
	return true;
}

/* A list of prefixes; min_items 1 makes an empty list an error. */
static void check_prefix_list(struct v *v, const json_t *o, const char *key, const struct vpath *p,
			      bool required, bool host_ok)
{
	const json_t *list = get_arr(v, o, key, p, required);
	if (!list)
		return;
	const struct vpath *lp = PKEY(p, key);
	if (required && json_array_size(list) == 0)
		err(v, lp, "must list at least one prefix");
	size_t i;
	const json_t *x;
	json_array_foreach (list, i, x)
		check_prefix(v, x, PIDX(lp, i), host_ok, NULL);
}

static bool mac_ok(const char *s, const char **why)
{
	if (strlen(s) != 17) {
		*why = "is not a MAC address like 02:00:00:00:01:01";
		return false;
	}
	unsigned zero = 0;
	for (int i = 0; i < 17; i++) {
		bool colon = i % 3 == 2;
		if (colon ? s[i] != ':' : !isxdigit((unsigned char)s[i])) {
			*why = "is not a MAC address like 02:00:00:00:01:01";
			return false;
		}
		zero += !colon && s[i] == '0';
	}
	unsigned first = (unsigned)strtoul(s, NULL, 16) & 0xffu;
	if (zero == 12) {
		*why = "is all zeros";
		return false;
	}
	if (first & 1u) {
		*why = "is a group (multicast) address; a unicast MAC is needed";
		return false;
	}
	return true;
}

static void check_mac(struct v *v, const json_t *o, const char *key, const struct vpath *p,
		      bool required)
{
	const char *s = get_str(v, o, key, p, required), *why;
	if (s && !mac_ok(s, &why))
		err(v, PKEY(p, key), "\"%s\" %s", s, why);
}

/* ---- authority-wide objects ---- */

static void check_security(struct v *v, const json_t *o, const struct vpath *p)
{
	static const char *const keys[] = {
	    "name", "hmac-cipher", "hmac-mode", "encryption-cipher", "encrypt-payload", NULL};
	static const char *const hmac[] = {"sha256-128", "sha256", "none", NULL};
	static const char *const mode[] = {"time-based", "regular", NULL};
	static const char *const cipher[] = {"aes-cbc-256", "aes-cbc-128", "none", NULL};
	if (!is_object(v, o, p))
		return;
	check_keys(v, o, p, keys);
	get_name(v, o, "name", p, NAME_GENERIC, true);
	get_enum(v, o, "hmac-cipher", p, hmac, false);
	get_enum(v, o, "hmac-mode", p, mode, false);
	int c = get_enum(v, o, "encryption-cipher", p, cipher, false);
	bool payload = false;
	get_bool(v, o, "encrypt-payload", p, &payload);
	if (payload && c == 2)
		err(v, PKEY(p, "encrypt-payload"),
		    "needs an encryption cipher, but encryption-cipher is \"none\"");
}

/* A tenant's kernel routing table (docs/routing.md, "Tenants and routing tables"): any table
 * but the three the kernel reserves, and at most SVR_IMG_TENANT_TABLES_MAX distinct ones (each
 * costs the dataplane a FIB). */
static void check_routing_table(struct v *v, const json_t *o, const struct vpath *p)
{
	const json_t *x = json_object_get(o, "routing-table");
	if (!x)
		return;
	const struct vpath *tp = PKEY(p, "routing-table");
	long long n = json_is_integer(x) ? json_integer_value(x) : -1;
	if (n == 253 || n == 254 || n == 255) {
		static const char *const what[] = {
		    "the kernel's default table (253): bind the tenant to a table of its own",
		    "the kernel's main table (the default): omit the key",
		    "the kernel's local table (addresses of the router itself): not a table to "
		    "route "
		    "by"};
		err(v, tp, "%lld is %s", n, what[n - 253]);
		return;
	}
	if (!json_is_integer(x) || n < 1 || n > U32_MAX) {
		err(v, tp, "must be a kernel table number 1-252 or 256-4294967295");
		return;
	}
	for (unsigned i = 0; i < v->n_tables; i++)
		if (v->tables[i] == (uint32_t)n)
			return;
	if (v->n_tables == SVR_IMG_TENANT_TABLES_MAX) {
		err(v, tp, "table %lld: tenants are bound to at most %d distinct tables", n,
		    SVR_IMG_TENANT_TABLES_MAX);
		return;
	}
	v->tables[v->n_tables++] = (uint32_t)n;
}

static void check_tenant(struct v *v, const json_t *o, const struct vpath *p)
{
	static const char *const keys[] = {"name", "max-sessions", "routing-table", "members",
					   NULL};
	static const char *const mkeys[] = {"neighborhood", "prefixes", NULL};
	if (!is_object(v, o, p))
		return;
	check_keys(v, o, p, keys);
	check_routing_table(v, o, p);
	const char *name = get_name(v, o, "name", p, NAME_TENANT, true);
	const char *dot = name ? strrchr(name, '.') : NULL;
	if (dot) {
		char parent[129];
		size_t n = (size_t)(dot - name);
		memcpy(parent, name, n);
		parent[n] = '\0';
		if (v->tenants && !map_has(v->tenants, parent))
			err(v, PKEY(p, "name"), "parent tenant \"%s\" is not declared", parent);
	}
	get_int(v, o, "max-sessions", p, 1, U32_MAX, false, NULL);
	const json_t *members = get_arr(v, o, "members", p, false);
	const struct vpath *mp = PKEY(p, "members");
	size_t i;
	const json_t *m;
	json_array_foreach (members, i, m) {
		const struct vpath *ip = PIDX(mp, i);
		if (!is_object(v, m, ip))
			continue;
		check_keys(v, m, ip, mkeys);
		const char *hood = get_str(v, m, "neighborhood", ip, true);
		if (hood && v->hoods && !map_has(v->hoods, hood))
			err(v, PKEY(ip, "neighborhood"),
			    "no router interface is in neighborhood \"%s\"", hood);
		check_prefix_list(v, m, "prefixes", ip, true, true);
	}
}

static const char *const protocols[] = {"tcp", "udp", "icmp", "icmpv6", "any", NULL};
static const int protocol_numbers[] = {6, 17, 1, 58, 0};

/* Ports lo-hi (parsed from s) within min-65535, start first: false, with the error, otherwise.
 * what: "ports", "waypoint ports". */
static bool ports_within(struct v *v, const struct vpath *p, const char *s, unsigned lo,
			 unsigned hi, unsigned min, const char *what)
{
	if (lo < min || hi > 65535)
		err(v, p, "\"%s\": %s are %u-65535", s, what, min);
	else if (lo > hi)
		err(v, p, "\"%s\": start is greater than end", s);
	else
		return true;
	return false;
}

/* "443" or "8000-8099" */
static void check_port(struct v *v, const json_t *x, const struct vpath *p)
{
	const char *s = json_string_value(x);
	if (!s) {
		err(v, p, "must be a string like \"443\" or \"8000-8099\"");
		return;
	}
	unsigned lo, hi;
	if (svr_port_range_parse(s, &lo, &hi) < 0) {
		err(v, p, "\"%s\" is not a port like \"443\" or a range like \"8000-8099\"", s);
		return;
	}
	ports_within(v, p, s, lo, hi, 0, "ports");
}

static void check_transport(struct v *v, const json_t *o, const struct vpath *p)
{
	static const char *const keys[] = {"protocol", "ports", NULL};
	if (!is_object(v, o, p))
		return;
	check_keys(v, o, p, keys);
	const json_t *proto = get(v, o, "protocol", p, true);
	int number = -1;
	if (json_is_integer(proto) && json_integer_value(proto) >= 0 &&
	    json_integer_value(proto) <= 255)
		number = (int)json_integer_value(proto);
	for (int i = 0; protocols[i] && json_is_string(proto); i++)
		if (strcmp(json_string_value(proto), protocols[i]) == 0)
			number = protocol_numbers[i];
	if (proto && number < 0) {
		if (json_is_string(proto))
			err(v, PKEY(p, "protocol"),
			    "\"%s\" must be tcp, udp, icmp, icmpv6, any or a protocol number 0-255",
			    json_string_value(proto));
		else
			err(v, PKEY(p, "protocol"),
			    "must be tcp, udp, icmp, icmpv6, any or a protocol number 0-255");
	}
	const json_t *ports = get_arr(v, o, "ports", p, false);
	if (!ports)
		return;
	const struct vpath *pp = PKEY(p, "ports");
	if (number >= 0 && number != 6 && number != 17) {
		err(v, pp, "only tcp and udp have ports");
		return;
	}
	if (json_array_size(ports) == 0)
		err(v, pp, "must not be empty (leave it out to match every port)");
	size_t i;
	const json_t *x;
	json_array_foreach (ports, i, x)
		check_port(v, x, PIDX(pp, i));
}

static bool get_time(struct v *v, const json_t *o, const char *key, const struct vpath *p,
		     int64_t *out)
{
	const char *s = get_str(v, o, key, p, false);
	if (!s)
		return false;
	if (svr_rfc3339_parse(s, out) < 0) {
		err(v, PKEY(p, key), "\"%s\" is not an RFC 3339 time like \"2026-12-01T06:00:00Z\"",
		    s);
		return false;
	}
	return true;
}

static void check_access(struct v *v, const json_t *o, const struct vpath *p)
{
	static const char *const keys[] = {"source", "permission", "valid-from", "valid-until",
					   NULL};
	static const char *const skeys[] = {"tenant", "prefix", NULL};
	static const char *const perms[] = {"allow", "deny", NULL};
	if (!is_object(v, o, p))
		return;
	check_keys(v, o, p, keys);
	const json_t *src = get_obj(v, o, "source", p, true);
	if (src) {
		const struct vpath *sp = PKEY(p, "source");
		check_keys(v, src, sp, skeys);
		const json_t *pf = json_object_get(src, "prefix");
		if (!json_object_get(src, "tenant") && !pf)
			err(v, sp, "must name a tenant, a prefix, or both");
		get_ref(v, src, "tenant", sp, v->tenants, "tenant", false);
		if (pf)
			check_prefix(v, pf, PKEY(sp, "prefix"), true, NULL);
	}
	get_enum(v, o, "permission", p, perms, true);
	int64_t from, until;
	bool has_from = get_time(v, o, "valid-from", p, &from);
	bool has_until = get_time(v, o, "valid-until", p, &until);
	if (has_from && has_until && from >= until)
		err(v, PKEY(p, "valid-until"), "must be later than valid-from");
}

static void check_service(struct v *v, const json_t *o, const struct vpath *p)
{
	static const char *const keys[] = {"name",   "addresses", "transport", "access",
					   "policy", "security",  NULL};
	if (!is_object(v, o, p))
		return;
	check_keys(v, o, p, keys);
	get_name(v, o, "name", p, NAME_GENERIC, true);
	check_prefix_list(v, o, "addresses", p, true, true);
	const json_t *tr = get_arr(v, o, "transport", p, false);
	const struct vpath *tp = PKEY(p, "transport");
	if (tr && json_array_size(tr) == 0)
		err(v, tp, "must not be empty (leave it out to match every protocol)");
	size_t i;
	const json_t *x;
	json_array_foreach (tr, i, x)
		check_transport(v, x, PIDX(tp, i));
	const json_t *acc = get_arr(v, o, "access", p, false);
	const struct vpath *ap = PKEY(p, "access");
	json_array_foreach (acc, i, x)
		check_access(v, x, PIDX(ap, i));
	get_ref(v, o, "policy", p, v->policies, "service policy", false);
	get_ref(v, o, "security", p, v->security, "security policy", false);
}

static void check_class(struct v *v, const json_t *o, const struct vpath *p)
{
	static const char *const keys[] = {"name",     "priority",      "dscp",
					   "timeouts", "when-degraded", NULL};
	static const char *const tkeys[] = {
	    "tcp-established-s", "tcp-handshake-s", "tcp-closing-s", "udp-s", "icmp-s", NULL};
	static const char *const dkeys[] = {"action", "rate-bps", NULL};
	static const char *const actions[] = {"none", "rate-limit", "block", NULL};
	if (!is_object(v, o, p))
		return;
	check_keys(v, o, p, keys);
	get_name(v, o, "name", p, NAME_GENERIC, true);
	get_int(v, o, "priority", p, 0, 3, false, NULL);
	get_int(v, o, "dscp", p, 0, 63, false, NULL);
	const json_t *to = get_obj(v, o, "timeouts", p, false);
	if (to) {
		const struct vpath *tp = PKEY(p, "timeouts");
		check_keys(v, to, tp, tkeys);
		for (int i = 0; tkeys[i]; i++)
			get_int(v, to, tkeys[i], tp, 1, 86400, false, NULL);
	}
	const json_t *wd = get_obj(v, o, "when-degraded", p, false);
	if (wd) {
		const struct vpath *wp = PKEY(p, "when-degraded");
		check_keys(v, wd, wp, dkeys);
		int act = get_enum(v, wd, "action", wp, actions, true);
		bool rate = get_int(v, wd, "rate-bps", wp, 1, JSON_SAFE_MAX, false, NULL) != 0;
		if (act == 1 && !rate)
			err(v, PKEY(wp, "rate-bps"), "is required when action is \"rate-limit\"");
		else if (act >= 0 && act != 1 && rate)
			err(v, PKEY(wp, "rate-bps"), "applies only when action is \"rate-limit\"");
	}
}

static void check_policy(struct v *v, const json_t *o, const struct vpath *p)
{
	static const char *const keys[] = {"name",         "class",       "vectors",
					   "sla",          "best-effort", "resiliency",
					   "max-sessions", "rate-limit",  "revert-hold-down-s",
					   "min-dwell-s",  NULL};
	static const char *const vkeys[] = {"vector", "cost", NULL};
	static const char *const skeys[] = {"max-loss-pct", "max-latency-ms", "max-jitter-ms",
					    NULL};
	static const char *const rkeys[] = {"session-rate-bps", "aggregate-rate-bps", "burst-bytes",
					    NULL};
	static const char *const res[] = {"none", "failover", "revertible-failover", "duplicate",
					  NULL};
	if (!is_object(v, o, p))
		return;
	check_keys(v, o, p, keys);
	get_name(v, o, "name", p, NAME_GENERIC, true);
	get_ref(v, o, "class", p, v->classes, "service class", false);

	const json_t *vecs = get_arr(v, o, "vectors", p, false);
	const struct vpath *vp = PKEY(p, "vectors");
	json_t *seen = vecs && json_array_size(vecs) > 1 ? map_new(v) : NULL;
	size_t i;
	const json_t *x;
	json_array_foreach (vecs, i, x) {
		const struct vpath *ip = PIDX(vp, i);
		if (!is_object(v, x, ip))
			continue;
		check_keys(v, x, ip, vkeys);
		const char *name = get_name(v, x, "vector", ip, NAME_GENERIC, true);
		if (name && seen) {
			long long first = map_index(seen, name);
			if (first >= 0)
				err(v, PKEY(ip, "vector"),
				    "\"%s\" is already listed at vectors[%lld]", name, first);
			else
				map_put(v, seen, name, json_integer((json_int_t)i));
		}
		const json_t *cost = get(v, x, "cost", ip, true);
		if (cost &&
		    !(json_is_string(cost) && strcmp(json_string_value(cost), "never") == 0) &&
		    !(json_is_integer(cost) && json_integer_value(cost) >= 0 &&
		      json_integer_value(cost) <= U32_MAX - 1))
			err(v, PKEY(ip, "cost"),
			    "must be an integer between 0 and 4294967294, or \"never\"");
	}
	json_decref(seen);

	const json_t *sla = get_obj(v, o, "sla", p, false);
	if (sla) {
		const struct vpath *sp = PKEY(p, "sla");
		check_keys(v, sla, sp, skeys);
		const json_t *loss = json_object_get(sla, "max-loss-pct");
		if (loss && !json_is_number(loss))
			err(v, PKEY(sp, "max-loss-pct"), "must be a number between 0 and 100");
		else if (loss && (json_number_value(loss) < 0 || json_number_value(loss) > 100))
			err(v, PKEY(sp, "max-loss-pct"), "%g is not between 0 and 100",
			    json_number_value(loss));
		get_int(v, sla, "max-latency-ms", sp, 0, U32_MAX - 1, false, NULL);
		get_int(v, sla, "max-jitter-ms", sp, 0, U32_MAX - 1, false, NULL);
	}
	get_bool(v, o, "best-effort", p, NULL);
	get_enum(v, o, "resiliency", p, res, false);
	get_int(v, o, "max-sessions", p, 1, U32_MAX, false, NULL);
	get_int(v, o, "revert-hold-down-s", p, 0, 3600, false, NULL);
	get_int(v, o, "min-dwell-s", p, 0, 3600, false, NULL);
	const json_t *rl = get_obj(v, o, "rate-limit", p, false);
	if (rl) {
		const struct vpath *rp = PKEY(p, "rate-limit");
		check_keys(v, rl, rp, rkeys);
		for (int k = 0; rkeys[k]; k++)
			get_int(v, rl, rkeys[k], rp, 0, JSON_SAFE_MAX, false, NULL);
	}
}

/* ---- routers ---- */

/* One router being checked: its interfaces by name, and peers already resolved. */
struct rctx {
	const json_t *router;
	const char *name;
	json_t *ifaces; /* name -> index */
	json_t *peers;  /* peer name -> enum peer_status */
};

enum peer_status { PEER_OK, PEER_NO_HOOD, PEER_ONLY_SPOKES, PEER_NO_FAMILY, PEER_BOTH_HIDDEN };

/* Whether the interface's IPv4 address comes from DHCP ("dhcp": true). */
static bool is_dhcp(const json_t *iface)
{
	return json_is_true(json_object_get(iface, "dhcp"));
}

/* Whether the interface's entry hood says it sits behind a NAT ("outbound-only"). */
static bool is_outbound_only(const json_t *hood)
{
	const char *c = json_string_value(json_object_get(hood, "peer-connectivity"));
	return c && strcmp(c, "outbound-only") == 0;
}

static bool has_family(const json_t *iface, uint8_t family)
{
	size_t i;
	const json_t *a;
	if (family == SVR_AF_INET && is_dhcp(iface))
		return true; /* its address, leased, is learned by its peers (docs/paths.md) */
	json_array_foreach (json_object_get(iface, "addresses"), i, a) {
		struct svr_prefix p;
		const char *s = json_string_value(a);
		if (s && svr_prefix_parse(s, &p, false) == 0 && p.ip.family == family)
			return true;
	}
	return false;
}

static bool is_spoke(const json_t *hood)
{
	const char *t = json_string_value(json_object_get(hood, "topology"));
	return t && strcmp(t, "spoke") == 0;
}

/* Whether routers a and b have a peer path, as the compiler derives them. */
static enum peer_status peer_status(const json_t *a, const json_t *b)
{
	enum peer_status st = PEER_NO_HOOD;
	size_t i, k, j, l;
	const json_t *fa, *ha, *fb, *hb;
	json_array_foreach (json_object_get(a, "interfaces"), i, fa) {
		json_array_foreach (json_object_get(fa, "neighborhoods"), k, ha) {
			const char *name = json_string_value(json_object_get(ha, "name"));
			if (!name)
				continue;
			json_array_foreach (json_object_get(b, "interfaces"), j, fb) {
				json_array_foreach (json_object_get(fb, "neighborhoods"), l, hb) {
					const char *n2 =
					    json_string_value(json_object_get(hb, "name"));
					if (!n2 || strcmp(name, n2) != 0)
						continue;
					if (is_spoke(ha) && is_spoke(hb)) {
						if (st == PEER_NO_HOOD)
							st = PEER_ONLY_SPOKES;
						continue;
					}
					/* neither end reachable first (behind NAT or on DHCP):
					 * nobody can start BFD, no path (as the compiler) */
					bool hidden = (is_dhcp(fa) || is_outbound_only(ha)) &&
						      (is_dhcp(fb) || is_outbound_only(hb));
					if (has_family(fa, SVR_AF_INET) &&
					    has_family(fb, SVR_AF_INET) && !hidden)
						return PEER_OK;
					if (has_family(fa, SVR_AF_INET6) &&
					    has_family(fb, SVR_AF_INET6) && !is_outbound_only(ha) &&
					    !is_outbound_only(hb))
						return PEER_OK;
					if (hidden && st != PEER_NO_FAMILY)
						st = PEER_BOTH_HIDDEN;
					else
						st = PEER_NO_FAMILY;
				}
			}
		}
	}
	return st;
}

/* The interface object named name on this router, or NULL. */
static const json_t *iface_named(const struct rctx *r, const char *name)
{
	long long idx = map_index(r->ifaces, name);
	return idx < 0 ? NULL
		       : json_array_get(json_object_get(r->router, "interfaces"), (size_t)idx);
}

static bool on_subnet(const json_t *iface, const struct svr_ip *ip)
{
	size_t i;
	const json_t *a;
	json_array_foreach (json_object_get(iface, "addresses"), i, a) {
		struct svr_prefix p;
		const char *s = json_string_value(a);
		if (s && svr_prefix_parse(s, &p, false) == 0 && p.len > 0 &&
		    svr_prefix_contains(&p, ip))
			return true;
	}
	return false;
}

/* Interface address: "address/len", a usable host address of its subnet. */
static bool check_iface_address(struct v *v, const json_t *x, const struct vpath *p,
				struct svr_prefix *out)
{
	const char *s = json_string_value(x);
	if (!s) {
		err(v, p, "must be a string like \"198.18.1.1/24\"");
		return false;
	}
	if (svr_prefix_parse(s, out, false) < 0) {
		err(v, p, "\"%s\" must be \"address/prefix-length\"", s);
		return false;
	}
	unsigned max = out->ip.family == SVR_AF_INET ? 32 : 128;
	if (out->len == 0) {
		err(v, p, "\"%s\": the prefix length must be 1-%u", s, max);
		return false;
	}
	if (out->ip.family == SVR_AF_INET && out->len <= 30) {
		uint32_t a = svr_ip4_host(&out->ip), host = (1u << (32 - out->len)) - 1;
		if ((a & host) == 0 || (a & host) == host) {
			err(v, p, "\"%s\" is the subnet's %s address, not a host address", s,
			    (a & host) == 0 ? "network" : "broadcast");
			return false;
		}
	}
	return true;
}

/*
 * Every neighborhood used by an interface, with where it is first declared and
 * that declaration's inter-router-security: both ends of a peer path must
 * protect it with the same policy.
 */
static void register_hoods(struct v *v)
{
	/* Without a routers array nothing can be said about neighborhoods. */
	if (!v->routers)
		return;
	v->hoods = map_new(v);
	size_t i, k, j;
	const json_t *r, *f, *h;
	json_array_foreach (v->routers, i, r)
		json_array_foreach (json_object_get(r, "interfaces"), k, f)
			json_array_foreach (json_object_get(f, "neighborhoods"), j, h) {
				const char *name = json_string_value(json_object_get(h, "name"));
				if (!name || map_has(v->hoods, name))
					continue;
				json_t *sec = json_object_get(h, "inter-router-security");
				map_put(v, v->hoods, name,
					json_pack("{s:O?, s:I, s:I, s:I}", "security", sec, "r",
						  (json_int_t)i, "f", (json_int_t)k, "h",
						  (json_int_t)j));
			}
}

/* Compares a neighborhood's inter-router-security with its first declaration. */
static void check_hood_security(struct v *v, const char *name, const json_t *sec,
				const struct vpath *p)
{
	const json_t *first = json_object_get(v->hoods, name);
	const json_t *fsec = json_object_get(first, "security");
	/* Wrong types and unknown names are reported where they are. */
	if (!first || (sec && !json_is_string(sec)) || (fsec && !json_is_string(fsec)) ||
	    (fsec && !map_has(v->security, json_string_value(fsec))))
		return;
	if (!sec && !fsec)
		return;
	if (sec && fsec && strcmp(json_string_value(sec), json_string_value(fsec)) == 0)
		return;
	err(v, p,
	    "neighborhood \"%s\" has %s%s%s here but %s%s%s at "
	    "authority.routers[%lld].interfaces[%lld].neighborhoods[%lld]",
	    name, sec ? "\"" : "", sec ? json_string_value(sec) : "none", sec ? "\"" : "",
	    fsec ? "\"" : "", fsec ? json_string_value(fsec) : "none", fsec ? "\"" : "",
	    json_integer_value(json_object_get(first, "r")),
	    json_integer_value(json_object_get(first, "f")),
	    json_integer_value(json_object_get(first, "h")));
}

/*
 * A neighborhood's receive ports for SVR: peers pick odd ones in it (our side
 * of a waypoint pair is even, so two routers never pick one tuple: O-18).
 */
static void check_waypoint_ports(struct v *v, const json_t *x, const struct vpath *p)
{
	if (!x)
		return;
	unsigned lo, hi;
	if (svr_port_range_parse(json_string_value(x), &lo, &hi) < 0) {
		err(v, p, "must be a port range like \"30001-30999\"");
		return;
	}
	if (!ports_within(v, p, json_string_value(x), lo, hi, 1025, "waypoint ports"))
		return;
	if (lo == hi && lo % 2 == 0)
		err(v, p, "\"%s\" has no odd port: peers pick odd ports (the even ones are theirs)",
		    json_string_value(x));
}

const struct svr_model_bfd_key svr_model_bfd_keys[SVR_MODEL_BFD_NUMBERS] = {
    [SVR_MODEL_BFD_DESIRED_TX_MS] = {"desired-tx-ms", 1000, 10, 600000},
    [SVR_MODEL_BFD_REQUIRED_MIN_RX_MS] = {"required-min-rx-ms", 500, 10, 600000},
    [SVR_MODEL_BFD_MULTIPLIER] = {"multiplier", 3, 3, 20},
    [SVR_MODEL_BFD_HOLD_DOWN_S] = {"hold-down-s", 5, 0, 300},
    [SVR_MODEL_BFD_MAX_HOLD_DOWN_S] = {"max-hold-down-s", 300, 0, 3600},
    [SVR_MODEL_BFD_LINK_TEST_INTERVAL_S] = {"link-test-interval-s", 10, 1, 3600},
    [SVR_MODEL_BFD_LINK_TEST_LENGTH] = {"link-test-length", 10, 1, 100},
    [SVR_MODEL_BFD_ECHO_INTERVAL_MS] = {"echo-interval-ms", 100, 10, 10000},
};

/* A neighborhood entry's liveness and link-test timers (numbers, enabled). */
static void check_bfd(struct v *v, const json_t *o, const struct vpath *p)
{
	static const char *const keys[] = {"desired-tx-ms",    "required-min-rx-ms",
					   "multiplier",       "hold-down-s",
					   "max-hold-down-s",  "link-test-interval-s",
					   "link-test-length", "echo-interval-ms",
					   "enabled",          NULL};
	const json_t *bfd = get_obj(v, o, "bfd", p, false);
	if (!bfd)
		return;
	const struct vpath *bp = PKEY(p, "bfd");
	check_keys(v, bfd, bp, keys);
	long long n[SVR_MODEL_BFD_NUMBERS];
	int has[SVR_MODEL_BFD_NUMBERS];
	for (int k = 0; k < SVR_MODEL_BFD_NUMBERS; k++) {
		const struct svr_model_bfd_key *b = &svr_model_bfd_keys[k];
		n[k] = b->dflt;
		has[k] = get_int(v, bfd, b->key, bp, b->min, b->max, false, &n[k]);
	}
	get_bool(v, bfd, "enabled", bp, NULL);
	long long hold = n[SVR_MODEL_BFD_HOLD_DOWN_S], max = n[SVR_MODEL_BFD_MAX_HOLD_DOWN_S];
	bool hold_has = has[SVR_MODEL_BFD_HOLD_DOWN_S] > 0,
	     max_has = has[SVR_MODEL_BFD_MAX_HOLD_DOWN_S] > 0;
	if (has[SVR_MODEL_BFD_HOLD_DOWN_S] >= 0 && has[SVR_MODEL_BFD_MAX_HOLD_DOWN_S] >= 0 &&
	    max < hold)
		err(v, PKEY(bp, max_has ? "max-hold-down-s" : "hold-down-s"),
		    "max-hold-down-s (%lld%s) must be at least hold-down-s (%lld%s)", max,
		    max_has ? "" : ", the default", hold, hold_has ? "" : ", the default");
}

static void check_neighborhood(struct v *v, const json_t *o, const struct vpath *p, json_t *seen,
			       size_t idx)
{
	static const char *const keys[] = {
	    "name",       "vector", "topology",          "inter-router-security",
	    "port-range", "bfd",    "peer-connectivity", NULL};
	static const char *const topo[] = {"mesh", "hub", "spoke", NULL};
	static const char *const conn[] = {"bidirectional", "outbound-only", NULL};
	if (!is_object(v, o, p))
		return;
	check_keys(v, o, p, keys);
	const char *name = get_name(v, o, "name", p, NAME_GENERIC, true);
	if (name) {
		long long first = map_index(seen, name);
		if (first >= 0)
			err(v, PKEY(p, "name"), "\"%s\" is already listed at neighborhoods[%lld]",
			    name, first);
		else
			map_put(v, seen, name, json_integer((json_int_t)idx));
	}
	get_name(v, o, "vector", p, NAME_GENERIC, false);
	get_enum(v, o, "topology", p, topo, false);
	const char *sec =
	    get_ref(v, o, "inter-router-security", p, v->security, "security policy", false);
	if (name && (sec || !json_object_get(o, "inter-router-security")))
		check_hood_security(v, name, json_object_get(o, "inter-router-security"),
				    PKEY(p, "inter-router-security"));
	check_waypoint_ports(v, json_object_get(o, "port-range"), PKEY(p, "port-range"));
	check_bfd(v, o, p);
	/* behind a NAT, the peers learn where we are from our BFD: it cannot be off */
	if (get_enum(v, o, "peer-connectivity", p, conn, false) == 1 &&
	    json_is_false(json_object_get(json_object_get(o, "bfd"), "enabled")))
		err(v, PKEY(PKEY(p, "bfd"), "enabled"),
		    "must be true with \"peer-connectivity\": \"outbound-only\": the peers learn "
		    "this interface's address from its BFD");
}

static void check_interface(struct v *v, const json_t *o, const struct vpath *p, json_t *devices,
			    json_t *addrs)
{
	static const char *const keys[] = {
	    "name",   "device",     "vlan",         "mac",           "mtu",  "addresses", "gateway",
	    "tenant", "source-nat", "capacity-bps", "neighborhoods", "dhcp", NULL};
	if (!is_object(v, o, p))
		return;
	check_keys(v, o, p, keys);
	get_name(v, o, "name", p, NAME_IFACE, true);
	/* For messages about later interfaces, even when this name is malformed. */
	const char *name = json_string_value(json_object_get(o, "name"));
	if (!name)
		name = "(unnamed)";

	const char *dev = get_str(v, o, "device", p, true);
	bool dev_ok = false;
	if (dev) {
		size_t n = strlen(dev);
		bool ctl = false;
		for (size_t i = 0; i < n; i++)
			ctl = ctl || iscntrl((unsigned char)dev[i]) || dev[i] == ' ';
		if (n == 0)
			err(v, PKEY(p, "device"),
			    "must not be empty (a PCI address or vdev devargs)");
		else if (n >= 512)
			err(v, PKEY(p, "device"), "is longer than 511 characters");
		else if (ctl)
			err(v, PKEY(p, "device"), "must not contain spaces or control characters");
		else
			dev_ok = true;
	}
	long long vlan = 0;
	bool vlan_ok = get_int(v, o, "vlan", p, 0, 4094, false, &vlan) >= 0;
	if (dev_ok && vlan_ok) {
		/* The dataplane knows a port by its DPDK name (the devargs before the first ','):
		 * one name, one set of devargs; one interface per (name, vlan). */
		char key[600], dname[520];
		size_t nl = strcspn(dev, ",");
		snprintf(dname, sizeof(dname), "%.*s", (int)nl, dev);
		snprintf(key, sizeof(key), "dev %s", dname);
		const json_t *same = json_object_get(devices, key);
		bool other_args = same && strcmp(json_string_value(same), dev) != 0;
		if (other_args)
			err(v, PKEY(p, "device"),
			    "\"%s\" names device %s with other arguments than \"%s\"", dev, dname,
			    json_string_value(same));
		else if (!same)
			map_put(v, devices, key, json_string(dev));
		snprintf(key, sizeof(key), "%lld %s", vlan, dname);
		const json_t *first = json_object_get(devices, key);
		if (first && !other_args) /* other arguments: reported above */
			err(v, PKEY(p, "device"),
			    "%s with vlan %lld is already used by interface \"%s\"", dname, vlan,
			    json_string_value(first));
		else
			map_put(v, devices, key, json_string(name));
	}
	check_mac(v, o, "mac", p, false);
	/* A frame must fit one 2 KiB packet buffer of the dataplane (no jumbo frames yet). */
	get_int(v, o, "mtu", p, 68, SVR_MODEL_MAX_MTU, false, NULL);

	bool dhcp = false;
	get_bool(v, o, "dhcp", p, &dhcp);
	const json_t *list = get_arr(v, o, "addresses", p, false);
	const struct vpath *ap = PKEY(p, "addresses");
	if (json_array_size(list) > SVR_MODEL_MAX_IFACE_ADDRS)
		err(v, ap, "at most %d addresses per interface", SVR_MODEL_MAX_IFACE_ADDRS);
	else if (dhcp && json_array_size(list) == SVR_MODEL_MAX_IFACE_ADDRS)
		/* svr-control compiles the lease in as one more (docs/routing.md) */
		err(v, ap, "at most %d addresses with \"dhcp\": true (the lease is one more)",
		    SVR_MODEL_MAX_IFACE_ADDRS - 1);
	size_t i;
	const json_t *x;
	json_array_foreach (list, i, x) {
		struct svr_prefix pf;
		if (!check_iface_address(v, x, PIDX(ap, i), &pf))
			continue;
		if (dhcp && pf.ip.family == SVR_AF_INET) {
			err(v, PIDX(ap, i),
			    "\"%s\": with \"dhcp\": true the IPv4 address comes from DHCP; list "
			    "none here",
			    json_string_value(x));
			continue;
		}
		char ip[64];
		svr_ip_fmt(&pf.ip, ip, sizeof(ip));
		const json_t *owner = json_object_get(addrs, ip);
		if (owner)
			err(v, PIDX(ap, i), "%s is already an address of interface \"%s\"", ip,
			    json_string_value(owner));
		else
			map_put(v, addrs, ip, json_string(name));
	}

	struct svr_ip gw;
	if (get_ip(v, o, "gateway", p, false, &gw)) {
		char buf[64];
		svr_ip_fmt(&gw, buf, sizeof(buf));
		bool own = false;
		json_array_foreach (list, i, x) {
			struct svr_prefix pf;
			const char *s = json_string_value(x);
			own = own || (s && svr_prefix_parse(s, &pf, false) == 0 &&
				      svr_ip_equal(&pf.ip, &gw));
		}
		if (dhcp && gw.family == SVR_AF_INET)
			err(v, PKEY(p, "gateway"),
			    "%s: with \"dhcp\": true the IPv4 gateway is the DHCP server's router",
			    buf);
		else if (own)
			err(v, PKEY(p, "gateway"), "%s is this interface's own address", buf);
		else if (!on_subnet(o, &gw))
			err(v, PKEY(p, "gateway"), "%s is on none of this interface's subnets",
			    buf);
	}
	get_ref(v, o, "tenant", p, v->tenants, "tenant", false);
	get_bool(v, o, "source-nat", p, NULL);
	get_int(v, o, "capacity-bps", p, 1, JSON_SAFE_MAX, false, NULL);

	const json_t *hoods = get_arr(v, o, "neighborhoods", p, false);
	const struct vpath *hp = PKEY(p, "neighborhoods");
	json_t *seen = hoods ? map_new(v) : NULL;
	json_array_foreach (hoods, i, x) {
		check_neighborhood(v, x, PIDX(hp, i), seen, i);
		/* on DHCP too, the peers learn where we are from our BFD */
		if (dhcp && json_is_false(json_object_get(json_object_get(x, "bfd"), "enabled")))
			err(v, PKEY(PKEY(PIDX(hp, i), "bfd"), "enabled"),
			    "must be true on an interface with \"dhcp\": true: the peers learn "
			    "this interface's address from its BFD");
	}
	json_decref(seen);
}

static void check_peer(struct v *v, struct rctx *r, const char *peer, const struct vpath *p)
{
	if (strcmp(peer, r->name) == 0) {
		err(v, p, "\"%s\" is this router itself", peer);
		return;
	}
	long long idx = map_index(v->router_names, peer);
	if (idx < 0) {
		err(v, p, "no router named \"%s\"", peer);
		return;
	}
	/* Many service routes name the same few peers: derive each pair once. */
	long long st = map_index(r->peers, peer);
	if (st < 0) {
		st = peer_status(r->router, json_array_get(v->routers, (size_t)idx));
		map_put(v, r->peers, peer, json_integer(st));
	}
	if (st == PEER_NO_HOOD)
		err(v, p, "router \"%s\" shares no neighborhood with this router", peer);
	else if (st == PEER_ONLY_SPOKES)
		err(v, p,
		    "router \"%s\" is not a peer: every neighborhood they share joins two spokes",
		    peer);
	else if (st == PEER_NO_FAMILY)
		err(v, p,
		    "router \"%s\" is not a peer: no interface pair in a shared neighborhood has "
		    "addresses of one family",
		    peer);
	else if (st == PEER_BOTH_HIDDEN)
		err(v, p,
		    "router \"%s\" is not a peer: in every neighborhood they share, both ends are "
		    "behind NAT (\"peer-connectivity\": \"outbound-only\") or on DHCP: one end "
		    "must be reachable",
		    peer);
}

static void check_service_route(struct v *v, struct rctx *r, const json_t *o, const struct vpath *p)
{
	static const char *const keys[] = {"service", "peer", "next-hop", "nat-target", NULL};
	static const char *const nkeys[] = {"interface", "gateway", NULL};
	if (!is_object(v, o, p))
		return;
	check_keys(v, o, p, keys);
	get_ref(v, o, "service", p, v->services, "service", true);
	int kinds = !!json_object_get(o, "peer") + !!json_object_get(o, "next-hop") +
		    !!json_object_get(o, "nat-target");
	if (kinds == 0)
		err(v, p, "must have one of peer, next-hop or nat-target");
	else if (kinds > 1)
		err(v, p, "must have only one of peer, next-hop or nat-target");
	const char *peer = get_str(v, o, "peer", p, false);
	if (peer)
		check_peer(v, r, peer, PKEY(p, "peer"));
	const json_t *nhv = json_object_get(o, "next-hop");
	if (json_is_string(nhv) && strcmp(json_string_value(nhv), "routing") != 0)
		err(v, PKEY(p, "next-hop"),
		    "must be {\"interface\": ..., \"gateway\": ...} or \"routing\" (follow the "
		    "forwarding table)");
	const json_t *nh = json_is_string(nhv) ? NULL : get_obj(v, o, "next-hop", p, false);
	if (nh) {
		const struct vpath *np = PKEY(p, "next-hop");
		check_keys(v, nh, np, nkeys);
		const char *ifn = get_str(v, nh, "interface", np, true);
		const json_t *iface = ifn ? iface_named(r, ifn) : NULL;
		if (ifn && !iface)
			err(v, PKEY(np, "interface"), "no interface named \"%s\" on this router",
			    ifn);
		struct svr_ip gw;
		if (get_ip(v, nh, "gateway", np, true, &gw) && iface && !on_subnet(iface, &gw)) {
			char buf[64];
			err(v, PKEY(np, "gateway"), "%s is on none of interface \"%s\"'s subnets",
			    svr_ip_fmt(&gw, buf, sizeof(buf)), ifn);
		}
	}
	struct svr_ip nat;
	get_ip(v, o, "nat-target", p, false, &nat);
}

/* The interface whose subnet holds ip, or NULL. */
static const json_t *iface_for(const struct rctx *r, const struct svr_ip *ip)
{
	size_t i;
	const json_t *f;
	json_array_foreach (json_object_get(r->router, "interfaces"), i, f)
		if (on_subnet(f, ip))
			return f;
	return NULL;
}

static void check_static_route(struct v *v, struct rctx *r, const json_t *o, const struct vpath *p,
			       json_t *prefixes, size_t idx)
{
	static const char *const keys[] = {"prefix", "gateway", "interface", NULL};
	if (!is_object(v, o, p))
		return;
	check_keys(v, o, p, keys);
	const json_t *px = get(v, o, "prefix", p, true);
	struct svr_prefix pf;
	bool pf_ok = px && check_prefix(v, px, PKEY(p, "prefix"), false, &pf);
	if (pf_ok) {
		char key[64];
		svr_prefix_fmt(&pf, key, sizeof(key));
		long long first = map_index(prefixes, key);
		if (first >= 0 && pf.len == 0)
			err(v, PKEY(p, "prefix"),
			    "a second IPv%d default route (the first is static-routes[%lld])",
			    pf.ip.family == SVR_AF_INET ? 4 : 6, first);
		else if (first >= 0)
			err(v, PKEY(p, "prefix"), "%s is already routed by static-routes[%lld]",
			    key, first);
		else
			map_put(v, prefixes, key, json_integer((json_int_t)idx));
	}
	struct svr_ip gw;
	bool gw_ok = get_ip(v, o, "gateway", p, true, &gw);
	char buf[64];
	if (gw_ok)
		svr_ip_fmt(&gw, buf, sizeof(buf));
	if (gw_ok && pf_ok && gw.family != pf.ip.family) {
		err(v, PKEY(p, "gateway"), "%s is not of the prefix's address family", buf);
		gw_ok = false;
	}
	const char *ifn = get_str(v, o, "interface", p, false);
	if (ifn && !iface_named(r, ifn))
		err(v, PKEY(p, "interface"), "no interface named \"%s\" on this router", ifn);
	else if (!ifn && gw_ok && !iface_for(r, &gw))
		err(v, PKEY(p, "gateway"), "%s is on no interface's subnet; add \"interface\"",
		    buf);
}

static void check_static_neighbor(struct v *v, struct rctx *r, const json_t *o,
				  const struct vpath *p, json_t *seen, size_t idx)
{
	static const char *const keys[] = {"address", "interface", "mac", NULL};
	if (!is_object(v, o, p))
		return;
	check_keys(v, o, p, keys);
	struct svr_ip ip;
	bool ip_ok = get_ip(v, o, "address", p, true, &ip);
	const char *ifn = get_str(v, o, "interface", p, true);
	bool if_ok = ifn && iface_named(r, ifn);
	if (ifn && !if_ok)
		err(v, PKEY(p, "interface"), "no interface named \"%s\" on this router", ifn);
	check_mac(v, o, "mac", p, true);
	if (ip_ok && if_ok) {
		char buf[64], key[96];
		svr_ip_fmt(&ip, buf, sizeof(buf));
		snprintf(key, sizeof(key), "%s %s", ifn, buf);
		long long first = map_index(seen, key);
		if (first >= 0)
			err(v, PKEY(p, "address"),
			    "%s on interface \"%s\" is already in static-neighbors[%lld]", buf, ifn,
			    first);
		else
			map_put(v, seen, key, json_integer((json_int_t)idx));
	}
}

/* ---- host access (the exception policy) ---- */

static const char *const host_protocols[] = {"tcp", "udp", "ospf", "icmp", "icmpv6", NULL};
static const int host_protocol_numbers[] = {6, 17, 89, 1, 58};

int svr_model_host_access_protocol(const json_t *v)
{
	if (json_is_integer(v))
		return json_integer_value(v) >= 0 && json_integer_value(v) <= 255
			   ? (int)json_integer_value(v)
			   : -1;
	for (int i = 0; host_protocols[i] && json_is_string(v); i++)
		if (strcmp(json_string_value(v), host_protocols[i]) == 0)
			return host_protocol_numbers[i];
	return -1;
}

/* "port": a number or a string "N" / "A-B"; proto -1 when the protocol is itself invalid. */
static void check_host_port(struct v *v, const json_t *x, const struct vpath *p, int proto)
{
	if (proto >= 0 && proto != 6 && proto != 17) {
		err(v, p, "only tcp and udp have ports");
		return;
	}
	if (json_is_integer(x)) {
		if (json_integer_value(x) < 0 || json_integer_value(x) > 65535)
			err(v, p, "%lld is not a port 0-65535", (long long)json_integer_value(x));
		return;
	}
	const char *s = json_string_value(x);
	unsigned lo, hi;
	if (!s || svr_port_range_parse(s, &lo, &hi) < 0)
		err(v, p, "must be a port number like 22 or a range like \"67-68\"");
	else
		ports_within(v, p, s, lo, hi, 0, "ports");
}

/* "interfaces": names of this router's interfaces, at least one. */
static void check_host_ifaces(struct v *v, struct rctx *r, const json_t *o, const struct vpath *p)
{
	const json_t *list = get_arr(v, o, "interfaces", p, false);
	const struct vpath *lp = PKEY(p, "interfaces");
	if (list && json_array_size(list) == 0)
		err(v, lp, "must not be empty (leave it out for every interface)");
	size_t i;
	const json_t *x;
	json_array_foreach (list, i, x) {
		if (!json_is_string(x))
			err(v, PIDX(lp, i), "must be an interface name");
		else if (!iface_named(r, json_string_value(x)))
			err(v, PIDX(lp, i), "no interface named \"%s\" on this router",
			    json_string_value(x));
	}
}

static void check_host_access(struct v *v, struct rctx *r, const json_t *o, const struct vpath *p)
{
	static const char *const keys[] = {"protocol", "port", "from", "interfaces", NULL};
	if (!is_object(v, o, p))
		return;
	check_keys(v, o, p, keys);
	const json_t *proto = get(v, o, "protocol", p, true);
	int number = svr_model_host_access_protocol(proto);
	if (proto && number < 0)
		err(v, PKEY(p, "protocol"),
		    "must be tcp, udp, ospf, icmp, icmpv6 or a protocol number 0-255");
	const json_t *port = json_object_get(o, "port");
	if (port)
		check_host_port(v, port, PKEY(p, "port"), number);
	const json_t *from = get_arr(v, o, "from", p, false);
	const struct vpath *fp = PKEY(p, "from");
	if (from && json_array_size(from) == 0)
		err(v, fp, "must not be empty (leave it out for the arriving interface's subnets)");
	size_t i;
	const json_t *x;
	json_array_foreach (from, i, x)
		check_prefix(v, x, PIDX(fp, i), true, NULL);
	check_host_ifaces(v, r, o, p);
}

/* Checks the elements of an optional list of one router with fn, at most max of them. */
static const json_t *router_list(struct v *v, const json_t *o, const char *key,
				 const struct vpath *p, size_t max, const char *what)
{
	const json_t *list = get_arr(v, o, key, p, false);
	if (json_array_size(list) > max)
		err(v, PKEY(p, key), "at most %zu %s per router", max, what);
	return list;
}

static void check_router(struct v *v, const json_t *o, const struct vpath *p)
{
	static const char *const keys[] = {
	    "name",          "asset-id",         "limits",      "interfaces", "service-routes",
	    "static-routes", "static-neighbors", "host-access", NULL};
	static const char *const lkeys[] = {"session-capacity", "new-sessions-per-source-per-s",
					    "half-open-tcp", "degraded-capacity-pct", NULL};
	if (!is_object(v, o, p))
		return;
	check_keys(v, o, p, keys);
	struct rctx r = {.router = o};
	r.name = get_name(v, o, "name", p, NAME_ROUTER, true);
	if (!r.name)
		r.name = "";
	const char *asset = get_str(v, o, "asset-id", p, false);
	if (asset && (strlen(asset) == 0 || strlen(asset) > 128))
		err(v, PKEY(p, "asset-id"), "must be 1-128 characters");
	const json_t *lim = get_obj(v, o, "limits", p, false);
	if (lim) {
		const struct vpath *lp = PKEY(p, "limits");
		check_keys(v, lim, lp, lkeys);
		get_int(v, lim, "session-capacity", lp, 1, 16777216, false, NULL);
		get_int(v, lim, "new-sessions-per-source-per-s", lp, 0, U32_MAX, false, NULL);
		get_int(v, lim, "half-open-tcp", lp, 0, U32_MAX, false, NULL);
		get_int(v, lim, "degraded-capacity-pct", lp, 1, 100, false, NULL);
	}

	/* Interface names first: routes and neighbours refer to them. */
	const json_t *ifaces = get_arr(v, o, "interfaces", p, true);
	const struct vpath *ip = PKEY(p, "interfaces");
	if (ifaces && json_array_size(ifaces) == 0)
		err(v, ip, "must list at least one interface");
	if (json_array_size(ifaces) > SVR_MODEL_MAX_IFACES)
		err(v, ip, "at most %d interfaces per router", SVR_MODEL_MAX_IFACES);
	r.ifaces = ifaces ? register_list(v, ifaces, ip) : map_new(v);
	r.peers = map_new(v);
	json_t *devices = map_new(v), *addrs = map_new(v);
	size_t i;
	const json_t *x;
	json_array_foreach (ifaces, i, x)
		check_interface(v, x, PIDX(ip, i), devices, addrs);
	json_decref(devices);
	json_decref(addrs);

	const json_t *list = router_list(v, o, "service-routes", p, SIZE_MAX, "");
	const struct vpath *lp = PKEY(p, "service-routes");
	json_array_foreach (list, i, x)
		check_service_route(v, &r, x, PIDX(lp, i));

	list = router_list(v, o, "static-routes", p, SVR_MODEL_MAX_STATIC_ROUTES, "static routes");
	lp = PKEY(p, "static-routes");
	json_t *seen = map_new(v);
	json_array_foreach (list, i, x)
		check_static_route(v, &r, x, PIDX(lp, i), seen, i);
	json_decref(seen);

	list = router_list(v, o, "static-neighbors", p, SVR_MODEL_MAX_STATIC_NEIGHS,
			   "static neighbors");
	lp = PKEY(p, "static-neighbors");
	seen = map_new(v);
	json_array_foreach (list, i, x)
		check_static_neighbor(v, &r, x, PIDX(lp, i), seen, i);
	json_decref(seen);

	list = router_list(v, o, "host-access", p, SVR_MODEL_MAX_HOST_ACCESS, "host-access rules");
	lp = PKEY(p, "host-access");
	json_array_foreach (list, i, x)
		check_host_access(v, &r, x, PIDX(lp, i));

	json_decref(r.ifaces);
	json_decref(r.peers);
}

/* ---- the document ---- */

/* An optional list of the authority, each element checked by fn. */
static void each(struct v *v, const char *key, const struct vpath *ap,
		 void (*fn)(struct v *, const json_t *, const struct vpath *))
{
	const json_t *list = get_arr(v, v->auth, key, ap, false);
	const struct vpath *lp = PKEY(ap, key);
	size_t i;
	const json_t *x;
	json_array_foreach (list, i, x)
		fn(v, x, PIDX(lp, i));
}

/* The list under key if it is an array, for pass 1 (pass 2 reports other types). */
static const json_t *auth_list(const struct v *v, const char *key)
{
	const json_t *x = json_object_get(v->auth, key);
	return json_is_array(x) ? x : NULL;
}

/* authority.conductor's key rotation (docs/conductor.md, "Keys"): a new key every interval
 * seconds (0: never), published lead seconds before it is used; 10 s at least, so tests can
 * rotate fast. */
static void check_rekey(struct v *v, const json_t *cond, const struct vpath *cp)
{
	long long interval = SVR_MODEL_REKEY_INTERVAL_DEFAULT, lead = SVR_MODEL_REKEY_LEAD_DEFAULT;
	int has_i =
	    get_int(v, cond, "rekey-interval-s", cp, 0, SVR_MODEL_REKEY_MAX, false, &interval);
	int has_l = get_int(v, cond, "rekey-lead-s", cp, 10, SVR_MODEL_REKEY_MAX, false, &lead);
	if (has_i > 0 && interval > 0 && interval < 10)
		err(v, PKEY(cp, "rekey-interval-s"),
		    "%lld is too short: 0 (never rotate) or at least 10 seconds", interval);
	else if (has_i >= 0 && has_l >= 0 && interval > 0 && lead >= interval)
		err(v, PKEY(cp, has_l ? "rekey-lead-s" : "rekey-interval-s"),
		    "rekey-lead-s (%lld%s) must be less than rekey-interval-s (%lld%s): a new key "
		    "is published rekey-lead-s before it is used",
		    lead, has_l ? "" : ", the default", interval, has_i ? "" : ", the default");
}

/* Why a collector cannot be at this address (NULL: it can): nothing answers there, or a socket
 * cannot be connected to it. */
static const char *collector_address_problem(const struct svr_ip *a)
{
	static const uint8_t zero[16];
	if (a->family == SVR_AF_INET) {
		if (memcmp(a->addr, zero, 4) == 0)
			return "is unspecified";
		if (a->addr[0] >= 224)
			return a->addr[0] < 240 ? "is multicast" : "is reserved or broadcast";
		return NULL;
	}
	if (memcmp(a->addr, zero, 16) == 0)
		return "is unspecified";
	if (a->addr[0] == 0xff)
		return "is multicast";
	if (a->addr[0] == 0xfe && (a->addr[1] & 0xc0) == 0x80)
		return "is link-local (no interface to reach it by)";
	return NULL;
}

/* authority.telemetry (docs/telemetry.md): where every router sends its IPFIX records. */
static void check_telemetry(struct v *v, const json_t *tel, const struct vpath *tp)
{
	static const char *const tkeys[] = {"ipfix", NULL};
	static const char *const ikeys[] = {"collectors", "interim-s", "template-refresh-s",
					    "enterprise-number", NULL};
	static const char *const ckeys[] = {"address", "port", "transport", NULL};
	static const char *const transports[] = {"udp", "tcp", NULL};
	check_keys(v, tel, tp, tkeys);
	const json_t *ipfix = get_obj(v, tel, "ipfix", tp, false);
	if (!ipfix)
		return;
	const struct vpath *ip = PKEY(tp, "ipfix");
	check_keys(v, ipfix, ip, ikeys);
	get_int(v, ipfix, "interim-s", ip, 0, SVR_MODEL_IPFIX_MAX_S, false, NULL);
	get_int(v, ipfix, "template-refresh-s", ip, 1, SVR_MODEL_IPFIX_MAX_S, false, NULL);
	long long pen;
	if (get_int(v, ipfix, "enterprise-number", ip, 1, UINT32_MAX, false, &pen) > 0 &&
	    pen == 29305)
		err(v, PKEY(ip, "enterprise-number"),
		    "29305 is RFC 5103's number for reverse-direction elements: our elements would "
		    "read as those");
	const json_t *list = get_arr(v, ipfix, "collectors", ip, true);
	if (list &&
	    (json_array_size(list) == 0 || json_array_size(list) > SVR_MODEL_IPFIX_MAX_COLLECTORS))
		err(v, PKEY(ip, "collectors"), "must list 1 to %d collectors",
		    SVR_MODEL_IPFIX_MAX_COLLECTORS);
	const struct vpath *lp = PKEY(ip, "collectors");
	size_t i;
	const json_t *c;
	json_array_foreach (list, i, c) {
		const struct vpath *cp = PIDX(lp, i);
		if (!json_is_object(c)) {
			err(v, cp, "must be an object");
			continue;
		}
		check_keys(v, c, cp, ckeys);
		struct svr_ip addr;
		long long port = SVR_MODEL_IPFIX_PORT_DEFAULT;
		bool addr_ok = get_ip(v, c, "address", cp, true, &addr);
		const char *problem = addr_ok ? collector_address_problem(&addr) : NULL;
		if (problem)
			err(v, PKEY(cp, "address"), "%s %s: not a collector's address",
			    json_string_value(json_object_get(c, "address")), problem);
		get_int(v, c, "port", cp, 1, 65535, false, &port);
		int tr = get_enum(v, c, "transport", cp, transports, false);
		/* the same collector twice would get every record twice */
		for (size_t k = 0; addr_ok && k < i; k++) {
			const json_t *o = json_array_get(list, k);
			struct svr_ip oa;
			const json_t *op = json_object_get(o, "port"),
				     *ot = json_object_get(o, "transport");
			const char *oas = json_string_value(json_object_get(o, "address"));
			if (oas && svr_ip_parse(oas, &oa) == 0 && svr_ip_equal(&oa, &addr) &&
			    (op ? json_integer_value(op) : SVR_MODEL_IPFIX_PORT_DEFAULT) == port &&
			    strcmp(ot && json_is_string(ot) ? json_string_value(ot) : "udp",
				   tr >= 0 ? transports[tr] : "udp") == 0) {
				err(v, cp, "the same collector as collectors[%zu]", k);
				break;
			}
		}
	}
}

static void check_authority(struct v *v, const struct vpath *ap)
{
	static const char *const keys[] = {"name",
					   "conductor",
					   "security-policies",
					   "inter-router-security",
					   "tenants",
					   "services",
					   "service-classes",
					   "service-policies",
					   "routers",
					   "telemetry",
					   NULL};
	const json_t *a = v->auth;
	check_keys(v, a, ap, keys);

	/* Pass 1: every name, so that references may point forward. */
	v->routers = auth_list(v, "routers");
	json_t **maps[] = {&v->security, &v->tenants,  &v->classes,
			   &v->policies, &v->services, &v->router_names};
	const char *lists[] = {"security-policies", "tenants",  "service-classes",
			       "service-policies",  "services", "routers"};
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		const json_t *l = auth_list(v, lists[i]);
		/* A list of the wrong type is reported once; references into it are not. */
		if (l)
			*maps[i] = register_list(v, l, PKEY(ap, lists[i]));
		else if (!json_object_get(a, lists[i]))
			*maps[i] = map_new(v);
	}
	register_hoods(v);

	/* Pass 2: everything else. */
	get_name(v, a, "name", ap, NAME_GENERIC, true);
	const json_t *cond = get_obj(v, a, "conductor", ap, false);
	if (cond) {
		static const char *const ckeys[] = {"url", "rekey-interval-s", "rekey-lead-s",
						    NULL};
		const struct vpath *cp = PKEY(ap, "conductor");
		check_keys(v, cond, cp, ckeys);
		check_rekey(v, cond, cp);
		const char *url = get_str(v, cond, "url", cp, true);
		bool ok =
		    url && (strncmp(url, "https://", 8) == 0 || strncmp(url, "http://", 7) == 0);
		for (const char *c = url; ok && *c; c++)
			ok = !iscntrl((unsigned char)*c) && *c != ' ';
		if (url && (!ok || strlen(url) < 9 || strlen(url) >= 512))
			err(v, PKEY(cp, "url"), "\"%s\" is not an http:// or https:// URL", url);
	}
	const json_t *tel = get_obj(v, a, "telemetry", ap, false);
	if (tel)
		check_telemetry(v, tel, PKEY(ap, "telemetry"));
	each(v, "security-policies", ap, check_security);
	get_ref(v, a, "inter-router-security", ap, v->security, "security policy", false);
	each(v, "tenants", ap, check_tenant);
	each(v, "services", ap, check_service);
	each(v, "service-classes", ap, check_class);
	each(v, "service-policies", ap, check_policy);
	const json_t *routers = get_arr(v, a, "routers", ap, true);
	if (routers && json_array_size(routers) == 0)
		err(v, PKEY(ap, "routers"), "must list at least one router");
	each(v, "routers", ap, check_router);
}

int svr_model_validate(const json_t *doc, struct svr_model_errors *e)
{
	struct v v = {.e = e};
	unsigned before = e->count;
	if (!json_is_object(doc)) {
		err(&v, NULL, "the model must be a JSON object");
		return -1;
	}
	static const char *const keys[] = {"model-version", "authority", NULL};
	check_keys(&v, doc, NULL, keys);
	const json_t *ver = get(&v, doc, "model-version", NULL, true);
	if (ver && !(json_is_integer(ver) && json_integer_value(ver) == 1))
		err(&v, PKEY(NULL, "model-version"),
		    "must be 1 (the only model version this release understands)");
	v.auth = get_obj(&v, doc, "authority", NULL, true);
	if (v.auth)
		check_authority(&v, PKEY(NULL, "authority"));

	json_t *maps[] = {v.security, v.tenants,      v.classes, v.policies,
			  v.services, v.router_names, v.hoods};
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		json_decref(maps[i]);

	if (v.dropped || v.oom) {
		/* The place err() kept free; growing the list may still fail without memory. */
		struct svr_model_error *x = v.e->count < SVR_MODEL_MAX_ERRORS ? slot(&v) : NULL;
		if (x) {
			snprintf(x->path, sizeof(x->path), "(top)");
			if (v.oom)
				snprintf(x->message, sizeof(x->message),
					 "out of memory: validation is incomplete");
			else
				snprintf(x->message, sizeof(x->message), "... and %u more error%s",
					 v.dropped, v.dropped == 1 ? "" : "s");
		}
	}
	return e->count > before || v.oom || v.dropped ? -1 : 0;
}

const json_t *svr_model_router(const json_t *doc, const char *name)
{
	size_t i;
	const json_t *r;
	json_array_foreach (json_object_get(json_object_get(doc, "authority"), "routers"), i, r) {
		const char *n = json_string_value(json_object_get(r, "name"));
		if (n && name && strcmp(n, name) == 0)
			return r;
	}
	return NULL;
}
