/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * svrctl setup: prepares a machine for the dataplane (docs/setup.md): huge pages
 * (setup_huge.c), NIC binding (setup_pci.c), setup.json and its re-application at boot
 * (setup.c), over the kernel's files (setup_sys.c).
 */
#ifndef SVRCTL_SETUP_H
#define SVRCTL_SETUP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "setup_conf.h"

extern const char setup_help[];

/* argv[0] is "setup"; returns the exit status. */
int setup_main(int argc, char **argv);

/* Exit statuses (setup_help's EXIT STATUS). */
enum {
	SETUP_OK = 0,
	SETUP_FAILED = 1,  /* a step failed, or the kernel did less than asked */
	SETUP_USAGE = 2,   /* usage error */
	SETUP_REFUSED = 4, /* a safety check refused; nothing was changed (3 is svrctl's
			    * "cannot connect") */
};

/* The worse of two exit statuses: a failure outweighs a refusal. */
static inline int setup_worse(int a, int b)
{
	if (a == SETUP_FAILED || b == SETUP_FAILED)
		return SETUP_FAILED;
	return a > b ? a : b;
}

struct setup_opts {
	unsigned long pages;     /* --pages; 0: from --memory-mb */
	unsigned long memory_mb; /* --memory-mb */
	unsigned long size_kb;   /* --size */
	long node;               /* --node, -1 none */
	const char *mount;       /* --mount */
	const char *driver;      /* --driver */
	const char *file;        /* --file (setup.json) */
	bool pages_given, persist, dry_run, force, json;
};

/* ------------------------------------------------------------ setup_sys.c -- */

/*
 * Test hook: SVR_SETUP_SYSROOT, when set, is put before every path under /sys, /proc, /dev,
 * /etc/udev, /etc/group (setup_dev_gid) and before /sbin/modprobe, so that the commands can be run
 * against a fabricated tree (tests/e2e/test_setup). Nothing else sets it; unset (the normal case)
 * it is "". It does not fake the mount(2) call of hugepages (the test points --mount at a directory
 * its fabricated mountinfo already lists) nor the interfaces' addresses (getifaddrs). Honoured
 * only for a directory root alone can change (it and every directory above it root's, not
 * writable by others; sticky ones allowed above its parent); any other value exits 1 before
 * anything runs.
 */
const char *sys_root(void);

/* root + the formatted path into buf (PATH_MAX); exits 1 if it does not fit. */
void sys_path(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The first line of path (no line end) into buf. 0, or -errno. */
int sys_read_line(const char *path, char *buf, size_t len);

/* Writes text to path in one write(2), as sysfs wants it. 0, or -errno. */
int sys_write(const char *path, const char *text);

/* The last component of the symlink at path into buf. 0, or -errno (-ENOENT: no link). */
int sys_link_name(const char *path, char *buf, size_t len);

bool sys_exists(const char *path);

/* modprobe MODULE (root/sbin/modprobe, fork and exec, no shell). 0, or -1 with err. */
int sys_modprobe(const char *module, char *err, size_t errlen);

/* The group the device files and the hugetlbfs go to: svr-dataplane@ alone has it
 * (SupplementaryGroups=), not svr-control, which runs as the same user svrouter but faces the
 * network: a writable VFIO group, uio node or resourceN file is DMA to memory (with uio, to all
 * of it), root's power. Created by sysusers (svrouter-common). */
#define SETUP_DEV_GROUP "svrouter-dev"

/* SETUP_DEV_GROUP's gid, if the machine has that group (with the test hook set: if
 * SVR_SETUP_SYSROOT/etc/group has it, so that a test can check the owners it gives). */
bool setup_dev_gid(gid_t *gid);

/* Messages: errors to stderr as "svrctl setup: ...", notes to stdout. */
void setup_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void setup_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ------------------------------------------------------------ setup_huge.c -- */

/* One hugepages step (the command, or one entry of setup.json). */
int setup_hugepages(const struct setup_opts *o, const struct setup_huge *h);

/* ------------------------------------------------------------- setup_pci.c -- */

/* One device's bind or unbind. The caller fills pci, to and unbind; setup_pci_run the rest. */
struct setup_pci_op {
	char pci[SETUP_PCI_LEN];
	/* bind: vfio-pci or uio_pci_generic; unbind: --driver, "" for the kernel's choice */
	char to[64];
	bool unbind;
	/* Found by the checks: */
	char from[64];  /* the driver it has, "" none */
	char group[32]; /* IOMMU group, "" none */
	char id[20];    /* vendor:device */
	/* Its identity, for --persist (setup_bind's vendor, device, mac): read here, before the
	 * bind takes the interface (and with it the MAC) away; "" unknown. */
	char vendor[5], device[5], mac[18];
	bool noop; /* already there: no write (a bind still sets its device file's owner) */
	int rc;    /* this device's exit status */
};

/*
 * Binds or unbinds the n devices, all or nothing up to the first write: every device is checked
 * first (it exists; the safety check: its interface is not in use and it is a network
 * controller, unless --force), then the drivers are loaded and, for vfio-pci, the IOMMU checked;
 * only if all of that passed is any device written to. Returns the worst status: SETUP_REFUSED
 * or a SETUP_FAILED from the checks means no device was changed. A device the kernel does not
 * take (SETUP_FAILED in its rc) does not stop the others; ops[i].rc says which were done.
 */
int setup_pci_run(const struct setup_opts *o, struct setup_pci_op *ops, unsigned n);
int setup_show(const struct setup_opts *o);
/* After binds: the startup.json "pci" line for the devices now on DPDK's drivers. */
void setup_print_pci_line(void);
/* --persist of a vfio-pci bind: removes the udev rule earlier versions installed (every VFIO
 * group to group svrouter); setup apply at boot gives the bound devices' groups instead (to
 * SETUP_DEV_GROUP). Also called by apply, so a host upgraded without a new --persist loses it. */
int setup_vfio_udev_rule(const struct setup_opts *o);
/* apply, before the bind: SETUP_OK if the device at b->pci is still the one recorded (an entry
 * without an identity passes with a warning), else SETUP_REFUSED, said. */
int setup_identity_check(const struct setup_bind *b);

#endif
