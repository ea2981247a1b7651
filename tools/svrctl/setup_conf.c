/* SPDX-License-Identifier: BSD-3-Clause */
/* svrctl setup: PCI addresses, page sizes and setup.json (no side effects on the machine). */
#include "setup_conf.h"

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "common/fsutil.h"
#include "common/jsonutil.h"

/* n hex digits at s into *v; the count read must be exactly n. */
static bool hex_field(const char *s, size_t n, unsigned *v)
{
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return false;
		*v = *v * 16 + (unsigned)(isdigit((unsigned char)s[i])
					      ? s[i] - '0'
					      : tolower((unsigned char)s[i]) - 'a' + 10);
	}
	return true;
}

int setup_pci_parse(const char *s, char out[SETUP_PCI_LEN])
{
	unsigned dom = 0, bus, dev, fn;
	size_t n = strlen(s);
	/* BB:DD.F (7) or DDDD:BB:DD.F (12); nothing else, so "3:0.0" is not guessed at. */
	if (n == 12) {
		if (s[4] != ':' || !hex_field(s, 4, &dom))
			return -1;
		s += 5;
	} else if (n != 7) {
		return -1;
	}
	if (s[2] != ':' || s[5] != '.' || !hex_field(s, 2, &bus) || !hex_field(s + 3, 2, &dev) ||
	    !hex_field(s + 6, 1, &fn) || dev > 0x1f || fn > 7)
		return -1;
	snprintf(out, SETUP_PCI_LEN, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	return 0;
}

int setup_size_parse(const char *s, unsigned long *kb)
{
	char *end;
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || v == 0)
		return -1;
	unsigned long long mult;
	if (strcasecmp(end, "k") == 0 || strcasecmp(end, "kb") == 0)
		mult = 1;
	else if (strcasecmp(end, "m") == 0 || strcasecmp(end, "mb") == 0)
		mult = 1024;
	else if (strcasecmp(end, "g") == 0 || strcasecmp(end, "gb") == 0)
		mult = 1024 * 1024;
	else
		return -1;
	if (v > (1ull << 32) / mult)
		return -1;
	v *= mult;
	/* Every huge page size the kernel has is a power of two above the base page. */
	if (v < 4 || (v & (v - 1)))
		return -1;
	*kb = (unsigned long)v;
	return 0;
}

void setup_size_name(unsigned long kb, char *buf, size_t len)
{
	if (kb % (1024 * 1024) == 0)
		snprintf(buf, len, "%luG", kb / (1024 * 1024));
	else if (kb % 1024 == 0)
		snprintf(buf, len, "%luM", kb / 1024);
	else
		snprintf(buf, len, "%luK", kb);
}

unsigned long setup_pages_for_mb(unsigned long mb, unsigned long page_kb)
{
	unsigned long long kb = (unsigned long long)mb * 1024;
	return (unsigned long)((kb + page_kb - 1) / page_kb);
}

bool setup_driver_known(const char *driver)
{
	return strcmp(driver, "vfio-pci") == 0 || strcmp(driver, "uio_pci_generic") == 0;
}

/* ------------------------------------------------------------------ setup.json -- */

/* Errors go through jsonutil (the JSON path, then what is wrong), as the startup file's do. */

static int field_err(struct svr_jerr *e, const char *path, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* "path.key: ..." */
static int field_err(struct svr_jerr *e, const char *path, const char *key, const char *fmt, ...)
{
	char p[128], what[256];
	va_list ap;
	snprintf(p, sizeof(p), "%s.%s", path, key);
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return svr_jerr_set(e, p, "%s", what);
}

static int huge_from_json(const json_t *o, const char *path, struct setup_huge *h,
			  struct svr_jerr *e)
{
	static const char *const keys[] = {"size", "pages", "node", "mount", NULL};
	if (svr_json_only_keys(o, path, keys, e) < 0)
		return -1;
	const json_t *size = json_object_get(o, "size"), *pages = json_object_get(o, "pages");
	const json_t *node = json_object_get(o, "node"), *mount = json_object_get(o, "mount");
	*h = (struct setup_huge){.node = -1};
	if (!json_is_string(size) || setup_size_parse(json_string_value(size), &h->size_kb) < 0)
		return field_err(e, path, "size", "must be a page size such as \"2M\" or \"1G\"");
	if (!json_is_integer(pages) || json_integer_value(pages) < 0 ||
	    (unsigned long long)json_integer_value(pages) > SETUP_PAGES_MAX)
		return field_err(e, path, "pages", "must be an integer from 0 to %lu",
				 SETUP_PAGES_MAX);
	h->pages = (unsigned long)json_integer_value(pages);
	if (node) {
		if (!json_is_integer(node) || json_integer_value(node) < 0 ||
		    json_integer_value(node) > 1023)
			return field_err(e, path, "node", "must be a NUMA node from 0 to 1023");
		h->node = (long)json_integer_value(node);
	}
	const char *m = mount ? json_string_value(mount) : SETUP_MOUNT_DEFAULT;
	if (!m || m[0] != '/' || strlen(m) >= sizeof(h->mount))
		return field_err(e, path, "mount", "must be an absolute path");
	snprintf(h->mount, sizeof(h->mount), "%s", m);
	return 0;
}

/* s is `digits` hex digits with a separator sep after every two (sep 0: none); into out in lower
 * case. */
static bool hex_text(const char *s, size_t digits, char sep, char *out, size_t outlen)
{
	size_t len = sep ? digits + digits / 2 - 1 : digits;
	if (!s || strlen(s) != len || len >= outlen)
		return false;
	for (size_t i = 0; i < len; i++) {
		bool at_sep = sep && i % 3 == 2;
		if (at_sep ? s[i] != sep : !isxdigit((unsigned char)s[i]))
			return false;
		out[i] = (char)tolower((unsigned char)s[i]);
	}
	out[len] = '\0';
	return true;
}

static int bind_from_json(const json_t *o, const char *path, struct setup_bind *b,
			  struct svr_jerr *e)
{
	static const char *const keys[] = {"pci", "driver", "vendor", "device", "mac", NULL};
	if (svr_json_only_keys(o, path, keys, e) < 0)
		return -1;
	const char *pci = json_string_value(json_object_get(o, "pci"));
	const char *drv = json_string_value(json_object_get(o, "driver"));
	if (!pci || setup_pci_parse(pci, b->pci) < 0)
		return field_err(e, path, "pci", "must be a PCI address such as \"0000:03:00.0\"");
	if (!drv || !setup_driver_known(drv))
		return field_err(e, path, "driver", "must be \"vfio-pci\" or \"uio_pci_generic\"");
	snprintf(b->driver, sizeof(b->driver), "%s", drv);
	const json_t *ven = json_object_get(o, "vendor"), *dev = json_object_get(o, "device");
	const json_t *mac = json_object_get(o, "mac");
	b->vendor[0] = b->device[0] = b->mac[0] = '\0';
	if (!ven != !dev)
		return svr_jerr_set(e, path, "\"vendor\" and \"device\" go together");
	if (ven && (!hex_text(json_string_value(ven), 4, 0, b->vendor, sizeof(b->vendor)) ||
		    !hex_text(json_string_value(dev), 4, 0, b->device, sizeof(b->device))))
		return svr_jerr_set(e, path,
				    "\"vendor\" and \"device\" must be 4 hex digits (\"8086\")");
	if (mac && !hex_text(json_string_value(mac), 12, ':', b->mac, sizeof(b->mac)))
		return field_err(e, path, "mac",
				 "must be a MAC address such as \"00:1b:21:0a:0b:0c\"");
	return 0;
}

static int conf_from_json(const json_t *doc, struct setup_conf *c, struct svr_jerr *e)
{
	static const char *const keys[] = {"hugepages", "bind", NULL};
	char path[64];
	memset(c, 0, sizeof(*c));
	if (svr_json_only_keys(doc, "", keys, e) < 0)
		return -1;
	const json_t *huge = json_object_get(doc, "hugepages");
	const json_t *bind = json_object_get(doc, "bind");
	if (huge && !json_is_array(huge))
		return svr_jerr_set(e, "hugepages", "must be an array");
	if (bind && !json_is_array(bind))
		return svr_jerr_set(e, "bind", "must be an array");
	if (json_array_size(huge) > SETUP_MAX_HUGE)
		return svr_jerr_set(e, "hugepages", "at most %d entries", SETUP_MAX_HUGE);
	if (json_array_size(bind) > SETUP_MAX_BIND)
		return svr_jerr_set(e, "bind", "at most %d entries", SETUP_MAX_BIND);
	size_t i;
	const json_t *v;
	json_array_foreach (huge, i, v) {
		struct setup_huge h;
		snprintf(path, sizeof(path), "hugepages[%zu]", i);
		if (huge_from_json(v, path, &h, e) < 0)
			return -1;
		for (unsigned k = 0; k < c->n_huge; k++)
			if (c->huge[k].size_kb == h.size_kb && c->huge[k].node == h.node)
				return svr_jerr_set(e, path,
						    "a second entry for the same size and node");
		c->huge[c->n_huge++] = h;
	}
	json_array_foreach (bind, i, v) {
		struct setup_bind b;
		snprintf(path, sizeof(path), "bind[%zu]", i);
		if (bind_from_json(v, path, &b, e) < 0)
			return -1;
		for (unsigned k = 0; k < c->n_bind; k++)
			if (strcmp(c->bind[k].pci, b.pci) == 0)
				return svr_jerr_set(e, path, "%s is listed twice", b.pci);
		c->bind[c->n_bind++] = b;
	}
	return 0;
}

int setup_conf_from_json(const json_t *doc, struct setup_conf *c, char *err, size_t errlen)
{
	struct svr_jerr e;
	if (conf_from_json(doc, c, &e) < 0) {
		snprintf(err, errlen, "%s", e.msg);
		return -1;
	}
	return 0;
}

json_t *setup_conf_to_json(const struct setup_conf *c)
{
	json_t *doc = json_object(), *huge = json_array(), *bind = json_array();
	bool ok = doc && huge && bind;
	char size[32];
	for (unsigned i = 0; ok && i < c->n_huge; i++) {
		const struct setup_huge *h = &c->huge[i];
		setup_size_name(h->size_kb, size, sizeof(size));
		json_t *o = json_pack("{s:s, s:I}", "size", size, "pages", (json_int_t)h->pages);
		ok = o &&
		     (h->node < 0 || json_object_set_new(o, "node", json_integer(h->node)) == 0) &&
		     json_object_set_new(o, "mount", json_string(h->mount)) == 0 &&
		     json_array_append_new(huge, o) == 0;
	}
	for (unsigned i = 0; ok && i < c->n_bind; i++) {
		const struct setup_bind *b = &c->bind[i];
		json_t *o = json_pack("{s:s, s:s}", "pci", b->pci, "driver", b->driver);
		ok = o &&
		     (!b->vendor[0] ||
		      (json_object_set_new(o, "vendor", json_string(b->vendor)) == 0 &&
		       json_object_set_new(o, "device", json_string(b->device)) == 0)) &&
		     (!b->mac[0] || json_object_set_new(o, "mac", json_string(b->mac)) == 0) &&
		     json_array_append_new(bind, o) == 0;
	}
	if (ok && json_object_set_new(doc, "hugepages", huge) == 0) {
		huge = NULL;
		if (json_object_set_new(doc, "bind", bind) == 0)
			return doc;
		bind = NULL;
	}
	json_decref(huge);
	json_decref(bind);
	json_decref(doc);
	return NULL;
}

int setup_conf_load(const char *path, struct setup_conf *c, bool *exists, char *err, size_t errlen)
{
	json_error_t je;
	memset(c, 0, sizeof(*c));
	*exists = false;
	json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!doc) {
		struct stat st;
		if (stat(path, &st) < 0 && errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s (line %d)", path, je.text, je.line);
		return -1;
	}
	*exists = true;
	struct svr_jerr e;
	int rc = conf_from_json(doc, c, &e);
	json_decref(doc);
	if (rc < 0)
		snprintf(err, errlen, "%s: %s", path, e.msg);
	return rc;
}

int setup_conf_save(const char *path, const struct setup_conf *c, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	if ((size_t)snprintf(dir, sizeof(dir), "%s", path) >= sizeof(dir)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	char *d = dirname(dir);
	/* /etc/svrouter is the package's (root:root 0755, tmpfiles.d); a missing one gets the same
	 * mode. setup.json holds no secret: PCI addresses, IDs and MACs. */
	if (svr_mkdir_p(d, 0755) < 0) {
		snprintf(err, errlen, "cannot create %s: %s", d, strerror(errno));
		return -1;
	}
	json_t *doc = setup_conf_to_json(c);
	char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(doc);
	if (!text) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	size_t n = strlen(text);
	char *line = realloc(text, n + 2);
	if (!line) {
		free(text);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	/* Readable by all: it holds no secret, and the dataplane's operator may want to read it. */
	int rc = svr_write_file_atomic(path, line, n + 1, 0644, err, errlen);
	free(line);
	return rc;
}

int setup_conf_put_huge(struct setup_conf *c, const struct setup_huge *h)
{
	for (unsigned i = 0; i < c->n_huge; i++)
		if (c->huge[i].size_kb == h->size_kb && c->huge[i].node == h->node) {
			c->huge[i] = *h;
			return 0;
		}
	if (c->n_huge >= SETUP_MAX_HUGE)
		return -1;
	c->huge[c->n_huge++] = *h;
	return 0;
}

int setup_conf_put_bind(struct setup_conf *c, const struct setup_bind *b)
{
	for (unsigned i = 0; i < c->n_bind; i++)
		if (strcmp(c->bind[i].pci, b->pci) == 0) {
			c->bind[i] = *b;
			return 0;
		}
	if (c->n_bind >= SETUP_MAX_BIND)
		return -1;
	c->bind[c->n_bind++] = *b;
	return 0;
}

bool setup_conf_del_bind(struct setup_conf *c, const char *pci)
{
	for (unsigned i = 0; i < c->n_bind; i++)
		if (strcmp(c->bind[i].pci, pci) == 0) {
			memmove(&c->bind[i], &c->bind[i + 1],
				(c->n_bind - i - 1) * sizeof(c->bind[0]));
			c->n_bind--;
			return true;
		}
	return false;
}
