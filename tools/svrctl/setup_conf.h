/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * svrctl setup, the parts without side effects on the machine (setup_conf.c): PCI addresses,
 * huge page sizes, and /etc/svrouter/setup.json, the record `svrctl setup apply` re-applies at
 * boot. Unit-tested (tests/unit/test_setup.c).
 */
#ifndef SVRCTL_SETUP_CONF_H
#define SVRCTL_SETUP_CONF_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define SETUP_CONF_DEFAULT  "/etc/svrouter/setup.json"
#define SETUP_MOUNT_DEFAULT "/dev/hugepages"
/* "0000:03:00.0" and its NUL. */
#define SETUP_PCI_LEN    13
#define SETUP_DRIVER_LEN 32
#define SETUP_MAX_HUGE   8  /* (size, node) pairs: 2 sizes x 4 nodes is the most a CPE has */
#define SETUP_MAX_BIND   64 /* PCI functions */
/* Pages asked for at most: 2^24 2 MiB pages are 32 TiB, more than any box has. */
#define SETUP_PAGES_MAX (1ul << 24)

/* DDDD:BB:DD.F (any case), or BB:DD.F meaning domain 0000, into out as sysfs names it
 * (lower case, 4-digit domain). Device 00-1f, function 0-7. 0, or -1 if s is none. */
int setup_pci_parse(const char *s, char out[SETUP_PCI_LEN]);

/* A huge page size: "2M", "2MB", "2048k", "2048kB", "1G", "1GB", "1048576kB" (any case), into
 * kibibytes. 0, or -1 if s is none or not a power of two of at least 4 kB. */
int setup_size_parse(const char *s, unsigned long *kb);

/* The size as the kernel's pagesize= option writes it: "2M", "1G", else "NK". */
void setup_size_name(unsigned long kb, char *buf, size_t len);

/* Pages of page_kb that hold mb MiB (rounded up). */
unsigned long setup_pages_for_mb(unsigned long mb, unsigned long page_kb);

/* The drivers bind accepts: DPDK's kernel-side drivers for PCI NICs. */
bool setup_driver_known(const char *driver);

struct setup_huge {
	unsigned long size_kb;
	long node; /* NUMA node, or -1: the machine's pool (the kernel spreads the pages) */
	unsigned long pages;
	char mount[PATH_MAX]; /* where a hugetlbfs of this size is mounted */
};

struct setup_bind {
	char pci[SETUP_PCI_LEN];
	char driver[SETUP_DRIVER_LEN];
	/* What was at pci at --persist, checked by apply (a renumbered bus must not hand another
	 * NIC to DPDK): "8086", "1533", "aa:bb:cc:dd:ee:ff" (the interface's permanent address);
	 * "" not recorded (an older entry; a device without an interface has no MAC). */
	char vendor[5], device[5];
	char mac[18];
};

struct setup_conf {
	struct setup_huge huge[SETUP_MAX_HUGE];
	unsigned n_huge;
	struct setup_bind bind[SETUP_MAX_BIND];
	unsigned n_bind;
};

/*
 * setup.json:
 *   { "hugepages": [ { "size": "2M", "pages": 512, "node": 0, "mount": "/dev/hugepages" } ],
 *     "bind": [ { "pci": "0000:03:00.0", "driver": "vfio-pci", "vendor": "8086",
 *                 "device": "1533", "mac": "00:1b:21:0a:0b:0c" } ] }
 * "vendor", "device" (4 hex digits) and "mac" optional in bind entries.
 * Both arrays optional; "node" optional (none: the machine's pool), "mount" optional
 * (/dev/hugepages). Unknown keys are refused: a misspelt key would otherwise be a setting
 * silently not applied at boot. 0, or -1 with err saying where.
 */
int setup_conf_from_json(const json_t *doc, struct setup_conf *c, char *err, size_t errlen);
/* The document for c (new reference; NULL only out of memory). */
json_t *setup_conf_to_json(const struct setup_conf *c);

/* Reads path into c; a missing file is an empty c with *exists false. 0, or -1 with err (it
 * names the file). */
int setup_conf_load(const char *path, struct setup_conf *c, bool *exists, char *err, size_t errlen);
/* Writes c to path atomically (a temporary file in its directory, renamed over it), mode 0644;
 * the directory is created (0755, as the package's /etc/svrouter) if missing. 0, or -1 with err. */
int setup_conf_save(const char *path, const struct setup_conf *c, char *err, size_t errlen);

/* Records h, replacing the entry of the same size and node. 0, or -1 when full. */
int setup_conf_put_huge(struct setup_conf *c, const struct setup_huge *h);
/* Records b, replacing the entry of the same address. 0, or -1 when full. */
int setup_conf_put_bind(struct setup_conf *c, const struct setup_bind *b);
/* Drops the entry of pci; true if there was one. */
bool setup_conf_del_bind(struct setup_conf *c, const char *pci);

#endif
