/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * svrctl setup bind / unbind / show: PCI network devices between their kernel drivers and
 * DPDK's (vfio-pci, uio_pci_generic), through sysfs as dpdk-devbind does it: driver_override,
 * unbind, drivers_probe, then the driver link read back; the kernel's word is the only proof.
 */
#include "setup.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <ifaddrs.h>
#include <jansson.h>
#include <net/if.h>
/* After <net/if.h>: linux/route.h pulls in linux/if.h, which then defers to glibc's. */
#include <linux/route.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fsutil.h"

#define MAX_IFACES 8

#define UDEV_RULE_PATH "/etc/udev/rules.d/90-svrouter-vfio.rules"
static const char udev_rule[] =
    "# Written by svrctl setup bind --persist (svrouter): the dataplane, running as user\n"
    "# svrouter, opens the VFIO groups of the NICs bound to vfio-pci (/dev/vfio/N).\n"
    "SUBSYSTEM==\"vfio\", KERNEL!=\"vfio\", GROUP=\"svrouter\", MODE=\"0660\"\n";

struct iface {
	char name[IF_NAMESIZE];
	bool up, default_route;
	char addrs[256]; /* "192.0.2.2/24 fd00::2/64": IPv4 and non-link-local IPv6 */
};

struct pci_dev {
	char addr[SETUP_PCI_LEN];
	unsigned long cls;
	char vendor[8], device[8];
	char driver[64]; /* "" none */
	char group[32];  /* IOMMU group, "" none */
	long numa;       /* -1 unknown */
	struct iface ifs[MAX_IFACES];
	unsigned n_ifs;
};

static bool iface_active(const struct iface *i)
{
	return (i->up && i->addrs[0]) || i->default_route;
}

static void dev_path(char *buf, const char *addr, const char *file)
{
	sys_path(buf, "/sys/bus/pci/devices/%s%s%s", addr, file ? "/" : "", file ? file : "");
}

/* A 0x-prefixed hex file of the device ("0x8086" -> "8086"). */
static void read_hex_id(const char *addr, const char *file, char *buf, size_t len)
{
	char path[PATH_MAX], line[32];
	dev_path(path, addr, file);
	if (sys_read_line(path, line, sizeof(line)) < 0)
		snprintf(line, sizeof(line), "?");
	snprintf(buf, len, "%.6s", strncmp(line, "0x", 2) == 0 ? line + 2 : line);
}

/* The kernel interfaces of the device: its net/ directory, or that of a child device (virtio
 * puts them under virtioN/net/). */
static void find_ifaces(struct pci_dev *d)
{
	char path[PATH_MAX], sub[PATH_MAX + 300];
	dev_path(path, d->addr, NULL);
	DIR *top = opendir(path);
	struct dirent *e;
	d->n_ifs = 0;
	while (top && (e = readdir(top))) {
		if (e->d_name[0] == '.')
			continue;
		if (strcmp(e->d_name, "net") == 0)
			snprintf(sub, sizeof(sub), "%s/net", path);
		else if (strncmp(e->d_name, "virtio", 6) == 0)
			snprintf(sub, sizeof(sub), "%s/%s/net", path, e->d_name);
		else
			continue;
		DIR *net = opendir(sub);
		struct dirent *n;
		while (net && (n = readdir(net)))
			if (n->d_name[0] != '.' && d->n_ifs < MAX_IFACES &&
			    strlen(n->d_name) < IF_NAMESIZE)
				memcpy(d->ifs[d->n_ifs++].name, n->d_name, strlen(n->d_name) + 1);
		if (net)
			closedir(net);
	}
	if (top)
		closedir(top);
}

static bool all_zero_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != '0')
			return false;
	return true;
}

/* Whether a default route (IPv4 or IPv6, main table as procfs shows it) leaves by iface. */
static bool carries_default_route(const char *iface)
{
	char path[PATH_MAX], line[512];
	bool found = false;
	sys_path(path, "/proc/net/route");
	FILE *f = fopen(path, "r");
	while (f && !found && fgets(line, sizeof(line), f)) {
		char name[64];
		unsigned dst, gw, flags, mask;
		if (sscanf(line, "%63s %x %x %x %*s %*s %*s %x", name, &dst, &gw, &flags, &mask) ==
			5 &&
		    strcmp(name, iface) == 0 && dst == 0 && mask == 0 && (flags & RTF_UP))
			found = true;
	}
	if (f)
		fclose(f);
	sys_path(path, "/proc/net/ipv6_route");
	f = fopen(path, "r");
	while (f && !found && fgets(line, sizeof(line), f)) {
		char dst[40], name[64];
		unsigned plen, flags;
		if (sscanf(line, "%39s %x %*s %*s %*s %*s %*s %*s %x %63s", dst, &plen, &flags,
			   name) == 4 &&
		    strcmp(name, iface) == 0 && plen == 0 && all_zero_hex(dst, 32) &&
		    (flags & RTF_UP) && !(flags & RTF_REJECT))
			found = true;
	}
	if (f)
		fclose(f);
	return found;
}

/* Up, addresses (getifaddrs: the kernel's own view) and the default route of each interface. */
static void iface_state(struct pci_dev *d)
{
	struct ifaddrs *ifa = NULL;
	if (getifaddrs(&ifa) < 0)
		ifa = NULL;
	for (unsigned k = 0; k < d->n_ifs; k++) {
		struct iface *i = &d->ifs[k];
		i->up = false;
		i->addrs[0] = '\0';
		for (struct ifaddrs *a = ifa; a; a = a->ifa_next) {
			if (strcmp(a->ifa_name, i->name) != 0)
				continue;
			if (a->ifa_flags & IFF_UP)
				i->up = true;
			if (!a->ifa_addr)
				continue;
			char text[INET6_ADDRSTRLEN];
			unsigned plen = 0;
			if (a->ifa_addr->sa_family == AF_INET) {
				const struct sockaddr_in *s = (const void *)a->ifa_addr;
				inet_ntop(AF_INET, &s->sin_addr, text, sizeof(text));
				if (a->ifa_netmask)
					plen = (unsigned)__builtin_popcount(
					    ((const struct sockaddr_in *)(const void *)
						 a->ifa_netmask)
						->sin_addr.s_addr);
			} else if (a->ifa_addr->sa_family == AF_INET6) {
				const struct sockaddr_in6 *s = (const void *)a->ifa_addr;
				/* Link-local addresses come with any interface that is up: they
				 * carry no one's session. */
				if (IN6_IS_ADDR_LINKLOCAL(&s->sin6_addr))
					continue;
				inet_ntop(AF_INET6, &s->sin6_addr, text, sizeof(text));
				if (a->ifa_netmask) {
					const struct sockaddr_in6 *m = (const void *)a->ifa_netmask;
					for (int b = 0; b < 16; b++)
						plen += (unsigned)__builtin_popcount(
						    m->sin6_addr.s6_addr[b]);
				}
			} else {
				continue;
			}
			size_t n = strlen(i->addrs);
			snprintf(i->addrs + n, sizeof(i->addrs) - n, "%s%s/%u", n ? " " : "", text,
				 plen);
		}
		i->default_route = carries_default_route(i->name);
	}
	if (ifa)
		freeifaddrs(ifa);
}

/* d from sysfs; -1 if the device does not exist. */
static int dev_load(const char *addr, struct pci_dev *d)
{
	char path[PATH_MAX], line[64];
	memset(d, 0, sizeof(*d));
	snprintf(d->addr, sizeof(d->addr), "%s", addr);
	dev_path(path, addr, NULL);
	if (!sys_exists(path))
		return -1;
	dev_path(path, addr, "class");
	d->cls = sys_read_line(path, line, sizeof(line)) == 0 ? strtoul(line, NULL, 16) : 0;
	read_hex_id(addr, "vendor", d->vendor, sizeof(d->vendor));
	read_hex_id(addr, "device", d->device, sizeof(d->device));
	dev_path(path, addr, "driver");
	if (sys_link_name(path, d->driver, sizeof(d->driver)) < 0)
		d->driver[0] = '\0';
	dev_path(path, addr, "iommu_group");
	if (sys_link_name(path, d->group, sizeof(d->group)) < 0)
		d->group[0] = '\0';
	dev_path(path, addr, "numa_node");
	d->numa = sys_read_line(path, line, sizeof(line)) == 0 ? strtol(line, NULL, 10) : -1;
	find_ifaces(d);
	iface_state(d);
	return 0;
}

static bool is_network(const struct pci_dev *d)
{
	return (d->cls >> 16) == 0x02;
}

/* Why d's interfaces are active, into buf ("" none). */
static void active_text(const struct pci_dev *d, char *buf, size_t len)
{
	buf[0] = '\0';
	for (unsigned k = 0; k < d->n_ifs; k++) {
		const struct iface *i = &d->ifs[k];
		if (!iface_active(i))
			continue;
		size_t n = strlen(buf);
		snprintf(buf + n, len - n, "%s%s:%s%s%s%s", n ? "; " : "", i->name,
			 i->up && i->addrs[0] ? " up with " : "", i->up ? i->addrs : "",
			 i->default_route && i->up && i->addrs[0] ? "," : "",
			 i->default_route ? " carries the default route" : "");
	}
}

static int dev_list(struct pci_dev **out, size_t *n)
{
	char path[PATH_MAX];
	struct dirent **names;
	sys_path(path, "/sys/bus/pci/devices");
	int k = scandir(path, &names, NULL, alphasort);
	if (k < 0) {
		setup_err("reading %s: %s", path, strerror(errno));
		return -1;
	}
	*out = calloc((size_t)k + 1, sizeof(**out));
	*n = 0;
	for (int i = 0; i < k; i++) {
		char addr[SETUP_PCI_LEN];
		if (*out && setup_pci_parse(names[i]->d_name, addr) == 0 &&
		    strcmp(addr, names[i]->d_name) == 0 && dev_load(addr, &(*out)[*n]) == 0 &&
		    (is_network(&(*out)[*n]) || setup_driver_known((*out)[*n].driver)))
			(*n)++;
		free(names[i]);
	}
	free(names);
	if (!*out) {
		setup_err("out of memory");
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------- show -- */

static void ifaces_text(const struct pci_dev *d, char *buf, size_t len)
{
	buf[0] = '\0';
	for (unsigned k = 0; k < d->n_ifs; k++) {
		size_t n = strlen(buf);
		snprintf(buf + n, len - n, "%s%s", n ? "," : "", d->ifs[k].name);
	}
}

static json_t *dev_json(const struct pci_dev *d)
{
	char act[512];
	json_t *ifs = json_array();
	for (unsigned k = 0; k < d->n_ifs; k++) {
		const struct iface *i = &d->ifs[k];
		json_t *addrs = json_array();
		char copy[sizeof(i->addrs)], *save = NULL;
		snprintf(copy, sizeof(copy), "%s", i->addrs);
		for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save))
			json_array_append_new(addrs, json_string(t));
		json_array_append_new(ifs,
				      json_pack("{s:s, s:b, s:o, s:b, s:b}", "name", i->name, "up",
						i->up, "addresses", addrs, "default-route",
						i->default_route, "active", iface_active(i)));
	}
	active_text(d, act, sizeof(act));
	char cls[16];
	snprintf(cls, sizeof(cls), "0x%06lx", d->cls);
	return json_pack("{s:s, s:s, s:s, s:s, s:s?, s:o, s:b, s:s?, s:o}", "pci", d->addr,
			 "vendor", d->vendor, "device", d->device, "class", cls, "driver",
			 d->driver[0] ? d->driver : NULL, "interfaces", ifs, "active", act[0] != 0,
			 "iommu-group", d->group[0] ? d->group : NULL, "numa-node",
			 d->numa >= 0 ? json_integer(d->numa) : json_null());
}

int setup_show(const struct setup_opts *o)
{
	struct pci_dev *devs;
	size_t n;
	if (dev_list(&devs, &n) < 0)
		return SETUP_FAILED;
	if (o->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, dev_json(&devs[i]));
		char *s = json_dumps(arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		json_decref(arr);
		if (s)
			puts(s);
		free(s);
		free(devs);
		return s ? SETUP_OK : SETUP_FAILED;
	}
	if (n == 0) {
		setup_say(
		    "no network PCI devices (the machine's NICs may be virtual devices only)");
		free(devs);
		return SETUP_OK;
	}
	printf("%-13s %-10s %-16s %-12s %-5s %-5s %s\n", "PCI", "VENDOR:DEV", "DRIVER", "INTERFACE",
	       "IOMMU", "NUMA", "ACTIVE");
	for (size_t i = 0; i < n; i++) {
		const struct pci_dev *d = &devs[i];
		char id[20], ifs[128], act[512], numa[16];
		snprintf(id, sizeof(id), "%s:%s", d->vendor, d->device);
		ifaces_text(d, ifs, sizeof(ifs));
		active_text(d, act, sizeof(act));
		snprintf(numa, sizeof(numa), "%ld", d->numa);
		printf("%-13s %-10s %-16s %-12s %-5s %-5s %s%s\n", d->addr, id,
		       d->driver[0] ? d->driver : "-", ifs[0] ? ifs : "-",
		       d->group[0] ? d->group : "-", d->numa >= 0 ? numa : "-",
		       act[0] ? "yes: " : "no", act);
	}
	free(devs);
	return SETUP_OK;
}

void setup_print_pci_line(void)
{
	struct pci_dev *devs;
	size_t n;
	if (dev_list(&devs, &n) < 0)
		return;
	printf("startup.json: \"pci\": [");
	bool first = true;
	for (size_t i = 0; i < n; i++)
		if (setup_driver_known(devs[i].driver)) {
			printf("%s\"%s\"", first ? "" : ", ", devs[i].addr);
			first = false;
		}
	printf("]\n");
	free(devs);
}

/* ------------------------------------------------------------ bind, unbind -- */

/* A write of the bind sequence: done, or with --dry-run said. */
static int step(const struct setup_opts *o, const char *path, const char *text, const char *what)
{
	if (o->dry_run) {
		setup_say("would write '%s' to %s", text[0] == '\n' ? "\\n" : text, path);
		return 0;
	}
	int rc = sys_write(path, text);
	if (rc < 0)
		setup_err("%s: writing '%s' to %s: %s%s", what, text[0] == '\n' ? "\\n" : text,
			  path, strerror(-rc),
			  rc == -EACCES || rc == -EPERM ? " (run as root)" : "");
	return rc;
}

/* Refuses what would cut the operator off (an active interface) or is no NIC, unless --force. */
static int safety(const struct setup_opts *o, const struct pci_dev *d, const char *verb)
{
	char act[512];
	active_text(d, act, sizeof(act));
	if (act[0] && !o->force) {
		setup_err(
		    "refusing to %s %s: its kernel interface is in use (%s). Taking it from the "
		    "kernel would cut every connection through it, this session's too if it "
		    "came that way. Move the addresses and routes to another NIC first; "
		    "--force does it anyway.",
		    verb, d->addr, act);
		return SETUP_REFUSED;
	}
	if (act[0])
		setup_say("warning: %s is in use (%s): --force given, going on", d->addr, act);
	if (!is_network(d) && !o->force) {
		setup_err(
		    "refusing to %s %s: class 0x%06lx is not a network controller (0x02xxxx); "
		    "--force does it anyway",
		    verb, d->addr, d->cls);
		return SETUP_REFUSED;
	}
	return SETUP_OK;
}

static int no_device(const char *addr)
{
	char path[PATH_MAX];
	dev_path(path, addr, NULL);
	setup_err("no PCI device %s (no %s); 'svrctl setup show' lists the network devices", addr,
		  path);
	return SETUP_FAILED;
}

/* The driver's module is loaded (its sysfs directory exists), or modprobe loads it. */
static int load_driver(const struct setup_opts *o, const char *driver)
{
	char path[PATH_MAX], err[PATH_MAX + 128];
	sys_path(path, "/sys/bus/pci/drivers/%s", driver);
	if (sys_exists(path))
		return SETUP_OK;
	if (o->dry_run) {
		setup_say("would run modprobe %s", driver);
		return SETUP_OK;
	}
	if (sys_modprobe(driver, err, sizeof(err)) < 0) {
		setup_err("cannot load %s: %s", driver, err);
		return SETUP_FAILED;
	}
	if (!sys_exists(path)) {
		setup_err("modprobe %s succeeded but %s does not exist", driver, path);
		return SETUP_FAILED;
	}
	return SETUP_OK;
}

/* vfio-pci isolates the device's DMA with the IOMMU; without one only the unsafe no-IOMMU
 * mode works. */
static int vfio_check(const struct setup_opts *o, const char *addr, const char *group)
{
	char path[PATH_MAX], line[16];
	sys_path(path, "/sys/kernel/iommu_groups");
	DIR *g = opendir(path);
	struct dirent *e;
	bool groups = false;
	while (g && !groups && (e = readdir(g)))
		groups = e->d_name[0] != '.';
	if (g)
		closedir(g);
	if (groups) {
		if (!group[0]) {
			setup_err("%s has no IOMMU group (no iommu_group link), though the machine "
				  "has an IOMMU: vfio-pci cannot take it",
				  addr);
			return SETUP_FAILED;
		}
		return SETUP_OK;
	}
	sys_path(path, "/sys/module/vfio/parameters/enable_unsafe_noiommu_mode");
	if (sys_read_line(path, line, sizeof(line)) == 0 && (line[0] == 'Y' || line[0] == '1')) {
		setup_say(
		    "warning: no IOMMU (%s/sys/kernel/iommu_groups is empty): vfio's no-IOMMU "
		    "mode is on, the device's DMA is not isolated, and the dataplane needs "
		    "CAP_SYS_RAWIO and CAP_SYS_ADMIN (the drop-in in docs/setup.md)",
		    sys_root());
		return SETUP_OK;
	}
	if (o->dry_run && !sys_exists(path)) {
		setup_say(
		    "note: no IOMMU (%s/sys/kernel/iommu_groups is empty): vfio-pci would need "
		    "vfio's no-IOMMU mode (see below)",
		    sys_root());
		return SETUP_OK;
	}
	setup_err("vfio-pci needs an IOMMU, and this machine has none enabled (%s/sys/kernel/"
		  "iommu_groups is empty). Either:\n"
		  "  - enable VT-d (Intel) or AMD-Vi (AMD) in the firmware setup, and add\n"
		  "    intel_iommu=on iommu=pt (AMD: iommu=pt) to the kernel command line\n"
		  "    (/etc/default/grub, GRUB_CMDLINE_LINUX; update-grub; reboot), or\n"
		  "  - use vfio's unsafe no-IOMMU mode (no DMA isolation; VMs whose hypervisor\n"
		  "    offers no vIOMMU): echo 'options vfio enable_unsafe_noiommu_mode=1' >\n"
		  "    /etc/modprobe.d/svrouter-vfio.conf, reload vfio, and give the dataplane\n"
		  "    CAP_SYS_RAWIO and CAP_SYS_ADMIN (the systemd drop-in in docs/setup.md), or\n"
		  "  - --driver uio_pci_generic (no isolation either; CAP_SYS_ADMIN as well)",
		  sys_root());
	return SETUP_FAILED;
}

/* The uio device (uioN) the kernel made for addr, into buf. 0, or -1. */
static int uio_name(const char *addr, char *buf, size_t len)
{
	char path[PATH_MAX];
	dev_path(path, addr, "uio");
	DIR *dir = opendir(path);
	struct dirent *e;
	int rc = -1;
	while (dir && rc < 0 && (e = readdir(dir)))
		if (strncmp(e->d_name, "uio", 3) == 0 && strlen(e->d_name) < len) {
			memcpy(buf, e->d_name, strlen(e->d_name) + 1);
			rc = 0;
		}
	if (dir)
		closedir(dir);
	return rc;
}

/* Whether name is one of the device's files DPDK's uio path opens read-write besides /dev/uioN:
 * "config" (bus mastering, interrupts) and the BARs it maps, "resourceN" and "resourceN_wc". */
static bool uio_sysfs_file(const char *name)
{
	if (strcmp(name, "config") == 0)
		return true;
	if (strncmp(name, "resource", 8) != 0 || name[8] < '0' || name[8] > '5')
		return false;
	return name[9] == '\0' || strcmp(name + 9, "_wc") == 0;
}

/* chown (group only) and chmod of one file; with --dry-run said. */
static int give(const struct setup_opts *o, const char *path, gid_t gid, mode_t mode)
{
	const char *group = gid == 0 ? "root" : "svrouter"; /* the only two given */
	if (o->dry_run) {
		setup_say("would give %s to group %s, mode %04o", path, group, (unsigned)mode);
		return SETUP_OK;
	}
	if (chown(path, (uid_t)-1, gid) < 0 || chmod(path, mode) < 0) {
		setup_err("%s: cannot give it to group %s, mode %04o: %s", path, group,
			  (unsigned)mode, strerror(errno));
		return SETUP_FAILED;
	}
	return SETUP_OK;
}

/*
 * uio_pci_generic: DPDK opens /dev/uioN and, under /sys/bus/pci/devices/ADDR, config and the
 * resourceN files read-write; the kernel makes them root's, 0600 (config 0644). Root may chown
 * and chmod sysfs attributes like any file: they go to group svrouter, mode 0660, and keep
 * that until the device is removed (or the machine restarts: setup apply does it again). With
 * to_svrouter false (the device given back to the kernel), the kernel's owners and modes again.
 */
static int uio_sysfs_access(const struct setup_opts *o, const char *addr, gid_t gid,
			    bool to_svrouter)
{
	char dir[PATH_MAX], path[PATH_MAX + 300];
	dev_path(dir, addr, NULL);
	DIR *d = opendir(dir);
	if (!d) {
		setup_err("reading %s: %s", dir, strerror(errno));
		return SETUP_FAILED;
	}
	struct dirent *e;
	int rc = SETUP_OK, n = 0;
	while ((e = readdir(d)))
		if (uio_sysfs_file(e->d_name)) {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			mode_t kernel_mode = strcmp(e->d_name, "config") == 0 ? 0644 : 0600;
			if (give(o, path, to_svrouter ? gid : 0,
				 to_svrouter ? 0660 : kernel_mode) != SETUP_OK)
				rc = SETUP_FAILED;
			n++;
		}
	closedir(d);
	if (rc == SETUP_OK && !o->dry_run)
		setup_say("%s: config and resourceN (%d files) %s", dir, n,
			  to_svrouter ? "to group svrouter, mode 0660 (DPDK's uio path opens them)"
				      : "root's again");
	return rc;
}

/* The files the dataplane opens, for the svrouter user: /dev/vfio/GROUP (vfio-pci), or /dev/uioN
 * and the device's config and resourceN files (uio_pci_generic). */
static int dev_access(const struct setup_opts *o, const char *addr, const char *driver)
{
	char path[PATH_MAX], name[32], dev[PATH_MAX];
	gid_t gid;
	bool vfio = strcmp(driver, "vfio-pci") == 0;
	if (vfio) {
		dev_path(path, addr, "iommu_group");
		if (sys_link_name(path, name, sizeof(name)) < 0) {
			setup_err("%s: bound to vfio-pci but has no iommu_group link", addr);
			return SETUP_FAILED;
		}
		sys_path(dev, "/dev/vfio/%s", name);
		if (!sys_exists(dev))
			sys_path(dev, "/dev/vfio/noiommu-%s", name); /* no-IOMMU mode's name */
	} else {
		if (uio_name(addr, name, sizeof(name)) < 0) {
			setup_err("%s: bound to %s but has no uio device (no uio/ under it)", addr,
				  driver);
			return SETUP_FAILED;
		}
		sys_path(dev, "/dev/%s", name);
	}
	if (!svrouter_gid(&gid)) {
		setup_say("%s: no group svrouter on this machine: left root's (a dataplane running "
			  "as root can use it)",
			  dev);
		return SETUP_OK;
	}
	if (give(o, dev, gid, 0660) != SETUP_OK)
		return SETUP_FAILED;
	if (!o->dry_run)
		setup_say("%s: group svrouter, mode 0660 (until reboot%s)", dev,
			  vfio ? "; --persist installs a udev rule"
			       : ": setup apply at boot does it again");
	return vfio ? SETUP_OK : uio_sysfs_access(o, addr, gid, true);
}

int setup_vfio_udev_rule(const struct setup_opts *o)
{
	char path[PATH_MAX], err[PATH_MAX + 64], have[sizeof(udev_rule) + 1];
	sys_path(path, UDEV_RULE_PATH);
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(have, 1, sizeof(have) - 1, f) : 0;
	if (f)
		fclose(f);
	have[n] = '\0';
	if (strcmp(have, udev_rule) == 0)
		return SETUP_OK;
	if (o->dry_run) {
		setup_say("would write the udev rule %s", path);
		return SETUP_OK;
	}
	char dir[PATH_MAX];
	sys_path(dir, "/etc/udev/rules.d");
	if (svr_mkdir_p(dir, 0755) < 0) {
		setup_err("cannot create %s: %s", dir, strerror(errno));
		return SETUP_FAILED;
	}
	if (svr_write_file_atomic(path, udev_rule, strlen(udev_rule), 0644, err, sizeof(err)) < 0) {
		setup_err("%s", err);
		return SETUP_FAILED;
	}
	setup_say("%s: written (VFIO groups to group svrouter at every boot)", path);
	return SETUP_OK;
}

/* After the writes: what the kernel did. The driver link is its answer. */
static void driver_now(const char *addr, char *buf, size_t len)
{
	char path[PATH_MAX];
	dev_path(path, addr, "driver");
	if (sys_link_name(path, buf, len) < 0)
		buf[0] = '\0';
}

/* The kernel did not bind: clear the override and let the kernel give the device back to the
 * driver that matches it, so a failed bind does not leave it without one. */
static void restore(const struct setup_opts *o, const char *addr)
{
	char path[PATH_MAX], now[64];
	dev_path(path, addr, "driver_override");
	step(o, path, "\n", "restoring");
	driver_now(addr, now, sizeof(now));
	if (!now[0]) {
		sys_path(path, "/sys/bus/pci/drivers_probe");
		step(o, path, addr, "restoring");
	}
	driver_now(addr, now, sizeof(now));
	setup_err("%s: override cleared; its driver now: %s", addr, now[0] ? now : "none");
}

/* Checks of one device, before anything is written to any: it exists, and (unless it is
 * already where it is asked to go) the safety check passes. */
static int op_check(const struct setup_opts *o, struct setup_pci_op *op)
{
	struct pci_dev d;
	if (dev_load(op->pci, &d) < 0)
		return no_device(op->pci);
	snprintf(op->from, sizeof(op->from), "%s", d.driver);
	snprintf(op->group, sizeof(op->group), "%s", d.group);
	snprintf(op->id, sizeof(op->id), "%s:%s", d.vendor, d.device);
	if (!op->unbind && strcmp(d.driver, op->to) == 0) {
		op->noop = true; /* only its device file's owner is (re)set */
		return SETUP_OK;
	}
	if (op->unbind && !op->to[0] && !setup_driver_known(d.driver)) {
		op->noop = true;
		return SETUP_OK;
	}
	return safety(o, &d, op->unbind ? "unbind" : "bind");
}

/* The kernel did not take the device the bind asked for. */
static int not_bound(const char *addr, const char *driver, const char *now)
{
	setup_err("the kernel did not bind %s to %s (its driver link: %s); the kernel log (dmesg) "
		  "says why",
		  addr, driver, now[0] ? now : "none");
	return SETUP_FAILED;
}

static int op_bind(const struct setup_opts *o, const struct setup_pci_op *op)
{
	char path[PATH_MAX], now[64];
	const char *addr = op->pci;
	if (op->noop) {
		setup_say("%s: already bound to %s", addr, op->to);
		return dev_access(o, addr, op->to);
	}
	setup_say("%s (%s): %s -> %s", addr, op->id, op->from[0] ? op->from : "none", op->to);
	/* The override first: once unbound, only the named driver may take the device. */
	dev_path(path, addr, "driver_override");
	if (step(o, path, op->to, "setting the driver override") < 0)
		return SETUP_FAILED;
	if (op->from[0]) {
		sys_path(path, "/sys/bus/pci/drivers/%s/unbind", op->from);
		if (step(o, path, addr, "unbinding") < 0) {
			restore(o, addr);
			return SETUP_FAILED;
		}
	}
	sys_path(path, "/sys/bus/pci/drivers_probe");
	if (step(o, path, addr, "probing") < 0) {
		restore(o, addr);
		return SETUP_FAILED;
	}
	if (o->dry_run)
		return SETUP_OK; /* not bound: its device files do not exist yet */
	driver_now(addr, now, sizeof(now));
	if (strcmp(now, op->to) != 0) {
		not_bound(addr, op->to, now);
		restore(o, addr);
		return SETUP_FAILED;
	}
	setup_say("%s: bound to %s", addr, op->to);
	return dev_access(o, addr, op->to);
}

static int op_unbind(const struct setup_opts *o, const struct setup_pci_op *op)
{
	char path[PATH_MAX], now[64];
	const char *addr = op->pci, *to = op->to[0] ? op->to : NULL;
	if (op->noop) {
		setup_say("%s: %s, not one of DPDK's drivers: nothing to give back (--driver DRV "
			  "moves it to another)",
			  addr, op->from[0] ? op->from : "without a driver");
		return SETUP_OK;
	}
	setup_say("%s (%s): %s -> %s", addr, op->id, op->from[0] ? op->from : "none",
		  to ? to : "the kernel's choice");
	/* An empty override lets the kernel match the device by its IDs again. */
	dev_path(path, addr, "driver_override");
	if (step(o, path, to ? to : "\n", "setting the driver override") < 0)
		return SETUP_FAILED;
	if (op->from[0]) {
		sys_path(path, "/sys/bus/pci/drivers/%s/unbind", op->from);
		if (step(o, path, addr, "unbinding") < 0)
			return SETUP_FAILED;
	}
	sys_path(path, "/sys/bus/pci/drivers_probe");
	if (step(o, path, addr, "probing") < 0)
		return SETUP_FAILED;
	if (o->dry_run)
		return SETUP_OK;
	driver_now(addr, now, sizeof(now));
	if (to && strcmp(now, to) != 0)
		return not_bound(addr, to, now);
	if (!to && strcmp(now, op->from) == 0) {
		setup_err("%s is still bound to %s", addr, now);
		return SETUP_FAILED;
	}
	/* The named driver has it: the override is no longer needed to keep others off. */
	dev_path(path, addr, "driver_override");
	if (to && step(o, path, "\n", "clearing the driver override") < 0)
		return SETUP_FAILED;
	setup_say("%s: %s%s", addr,
		  now[0] ? "bound to " : "without a driver (no kernel driver claimed it)", now);
	/* What bind gave the svrouter group for uio goes back to the kernel's owners. */
	gid_t gid;
	if (strcmp(op->from, "uio_pci_generic") == 0 && svrouter_gid(&gid))
		return uio_sysfs_access(o, addr, gid, false);
	return SETUP_OK;
}

/* Before any write: no device is done, each one's status is the run's. */
static int none_done(struct setup_pci_op *ops, unsigned n, int rc)
{
	for (unsigned i = 0; i < n; i++)
		ops[i].rc = setup_worse(ops[i].rc, rc);
	return rc;
}

int setup_pci_run(const struct setup_opts *o, struct setup_pci_op *ops, unsigned n)
{
	int rc = SETUP_OK;
	/* 1. Every device checked before any is touched: a refusal changes nothing at all. */
	for (unsigned i = 0; i < n; i++) {
		ops[i].noop = false;
		ops[i].rc = op_check(o, &ops[i]);
		rc = setup_worse(rc, ops[i].rc);
	}
	if (rc != SETUP_OK)
		return none_done(ops, n, rc);
	/* 2. The drivers loaded (modprobe: no device changes yet), then the IOMMU check, which
	 * reads vfio's own parameters once it is loaded. */
	for (unsigned i = 0; i < n; i++) {
		const char *to = ops[i].to;
		if (ops[i].noop || !to[0])
			continue;
		if (load_driver(o, to) != SETUP_OK ||
		    (strcmp(to, "vfio-pci") == 0 &&
		     vfio_check(o, ops[i].pci, ops[i].group) != SETUP_OK))
			return none_done(ops, n, SETUP_FAILED);
		if (!ops[i].unbind && strcmp(to, "uio_pci_generic") == 0)
			setup_say(
			    "note: uio_pci_generic gives %s DMA to all memory (no IOMMU "
			    "isolation), and DPDK needs physical addresses: the dataplane needs "
			    "CAP_SYS_ADMIN (the drop-in in docs/setup.md)",
			    ops[i].pci);
	}
	/* 3. The writes. One device the kernel does not take does not stop the others. */
	for (unsigned i = 0; i < n; i++) {
		ops[i].rc = ops[i].unbind ? op_unbind(o, &ops[i]) : op_bind(o, &ops[i]);
		rc = setup_worse(rc, ops[i].rc);
	}
	return rc;
}
