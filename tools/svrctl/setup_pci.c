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
#include <fcntl.h>
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
#include <time.h>
#include <unistd.h>

#include "common/fsutil.h"

#define MAX_IFACES 8

/* How far up a stack of devices (VLAN on bond on port) the upper devices are named. */
#define UPPER_DEPTH 4

/* What earlier versions installed with bind --persist: every VFIO group on the host to group
 * svrouter. Removed now (setup_vfio_udev_rule) when found with exactly this text. */
#define UDEV_RULE_PATH "/etc/udev/rules.d/90-svrouter-vfio.rules"
static const char udev_rule[] =
    "# Written by svrctl setup bind --persist (svrouter): the dataplane, running as user\n"
    "# svrouter, opens the VFIO groups of the NICs bound to vfio-pci (/dev/vfio/N).\n"
    "SUBSYSTEM==\"vfio\", KERNEL!=\"vfio\", GROUP=\"svrouter\", MODE=\"0660\"\n";

struct iface {
	char name[IF_NAMESIZE];
	bool up, default_route;
	char addrs[256]; /* "192.0.2.2/24 fd00::2/64": IPv4 and non-link-local IPv6 */
	char uppers[96]; /* "bond0 bond0.100": its master and upper devices, up the stack */
	char mac[18];    /* its permanent address (addr_assign_type 0); "" other or unknown */
	int assign; /* its addr_assign_type: 0 the hardware's, else set by software; -1 unknown */
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
	/* A network device on a kernel driver, yet no interface here: it is in another network
	 * namespace, where whether it is in use cannot be seen. */
	bool hidden;
	char unsure[192]; /* why the interfaces' state could not be read; "" read */
};

static bool iface_active(const struct iface *i)
{
	return (i->up && i->addrs[0]) || i->default_route || i->uppers[0];
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

/* The devices stacked on the interface whose sysfs directory is dir: its master (bridge, bond)
 * and its upper_* links (VLAN, macvlan, bond, bridge), then theirs, UPPER_DEPTH deep, added to
 * buf (space-separated, each once). The port's own interface is then idle while the address
 * and the default route sit on br0 or bond0.100 above it. */
static void find_uppers(const char *dir, char *buf, size_t len, int depth)
{
	char path[PATH_MAX + 300], name[IF_NAMESIZE + 8];
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (strcmp(e->d_name, "master") == 0) {
			if (snprintf(path, sizeof(path), "%s/master", dir) >= (int)sizeof(path) ||
			    sys_link_name(path, name, sizeof(name)) < 0)
				continue;
		} else if (strncmp(e->d_name, "upper_", 6) == 0 && e->d_name[6] &&
			   strlen(e->d_name + 6) < IF_NAMESIZE) {
			snprintf(name, sizeof(name), "%s", e->d_name + 6);
		} else {
			continue;
		}
		/* Each once: a bond's slave has both master and upper_bond0. */
		size_t nl = strlen(name), n = strlen(buf);
		bool seen = false;
		for (const char *p = buf; !seen && (p = strstr(p, name)); p += nl)
			seen = (p == buf || p[-1] == ' ') && (p[nl] == ' ' || p[nl] == '\0');
		if (seen)
			continue;
		snprintf(buf + n, len - n, "%s%s", n ? " " : "", name);
		if (depth + 1 < UPPER_DEPTH) {
			char up[PATH_MAX];
			sys_path(up, "/sys/class/net/%s", name);
			find_uppers(up, buf, len, depth + 1);
		}
	}
	if (d)
		closedir(d);
}

/* The interface's MAC if it is the hardware's own (addr_assign_type 0, NET_ADDR_PERM: not one
 * set by an operator, a bond or randomly), from its sysfs directory dir, into buf; the assign
 * type into *assign (-1 unreadable). */
static void perm_mac(const char *dir, char *buf, size_t len, int *assign)
{
	char path[PATH_MAX + 300], line[32];
	*assign = -1;
	if (snprintf(path, sizeof(path), "%s/addr_assign_type", dir) >= (int)sizeof(path) ||
	    sys_read_line(path, line, sizeof(line)) < 0)
		return;
	*assign = (int)strtol(line, NULL, 10);
	if (*assign == 0 && strcmp(line, "0") != 0)
		*assign = -1; /* not a number: unknown, never taken for the hardware's */
	if (*assign != 0)
		return;
	if (snprintf(path, sizeof(path), "%s/address", dir) < (int)sizeof(path) &&
	    sys_read_line(path, line, sizeof(line)) == 0 && strlen(line) == 17)
		snprintf(buf, len, "%s", line);
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
			    strlen(n->d_name) < IF_NAMESIZE) {
				struct iface *i = &d->ifs[d->n_ifs++];
				char dir[sizeof(sub) + IF_NAMESIZE + 1];
				memcpy(i->name, n->d_name, strlen(n->d_name) + 1);
				i->uppers[0] = i->mac[0] = '\0';
				i->assign = -1;
				if (snprintf(dir, sizeof(dir), "%s/%s", sub, n->d_name) >=
				    (int)sizeof(dir))
					continue;
				find_uppers(dir, i->uppers, sizeof(i->uppers), 0);
				perm_mac(dir, i->mac, sizeof(i->mac), &i->assign);
			}
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

/* Whether a default route leaves by iface: IPv4 from /proc/net/route (the main table only:
 * procfs shows no other), IPv6 from /proc/net/ipv6_route (every table). A file that cannot be
 * read puts why into unsure (len bytes), and the caller refuses: unknown is not idle. */
static bool carries_default_route(const char *iface, char *unsure, size_t len)
{
	char path[PATH_MAX], line[512];
	bool found = false;
	sys_path(path, "/proc/net/route");
	FILE *f = fopen(path, "r");
	const char *fake = sys_root()[0] ? " (under SVR_SETUP_SYSROOT)" : "";
	if (!f)
		snprintf(unsure, len, "cannot read /proc/net/route%s: %s", fake, strerror(errno));
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
	int e6 = errno;
	char v6[PATH_MAX];
	sys_path(v6, "/proc/net/if_inet6");
	/* Both missing: IPv6 is off in this kernel (ipv6.disable=1), so no IPv6 route. */
	if (!f && !unsure[0] && (e6 != ENOENT || sys_exists(v6)))
		snprintf(unsure, len, "cannot read /proc/net/ipv6_route%s: %s", fake, strerror(e6));
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
	d->unsure[0] = '\0';
	if (d->n_ifs && getifaddrs(&ifa) < 0) {
		snprintf(d->unsure, sizeof(d->unsure), "getifaddrs: %s", strerror(errno));
		ifa = NULL;
	}
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
		if (!d->unsure[0])
			i->default_route =
			    carries_default_route(i->name, d->unsure, sizeof(d->unsure));
	}
	if (ifa)
		freeifaddrs(ifa);
}

static bool is_network(const struct pci_dev *d)
{
	return (d->cls >> 16) == 0x02;
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
	d->hidden =
	    is_network(d) && d->n_ifs == 0 && d->driver[0] && !setup_driver_known(d->driver);
	return 0;
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
		n = strlen(buf);
		if (i->uppers[0])
			snprintf(buf + n, len - n, "%s stacked under %s",
				 i->default_route || (i->up && i->addrs[0]) ? "," : "", i->uppers);
	}
	size_t n = strlen(buf);
	if (d->hidden)
		snprintf(buf + n, len - n, "%son %s but no interface in this network namespace",
			 n ? "; " : "", d->driver);
	n = strlen(buf);
	if (d->unsure[0] && d->n_ifs)
		snprintf(buf + n, len - n, "%sunknown (%s)", n ? "; " : "", d->unsure);
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
		json_array_append_new(
		    ifs, json_pack("{s:s, s:b, s:o, s:b, s:s?, s:b}", "name", i->name, "up", i->up,
				   "addresses", addrs, "default-route", i->default_route,
				   "stacked-under", i->uppers[0] ? i->uppers : NULL, "active",
				   iface_active(i)));
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

/* What the address and route check cannot see through: an interface under a bridge, bond, VLAN
 * or macvlan (the upper device may carry the management address), a NIC whose interface is in
 * another network namespace, state that could not be read. Unknown is treated as in use. */
static int doubt(const struct setup_opts *o, const struct pci_dev *d, const char *verb)
{
	char why[1024] = "";
	for (unsigned k = 0; k < d->n_ifs; k++) {
		size_t n = strlen(why);
		if (d->ifs[k].uppers[0])
			snprintf(why + n, sizeof(why) - n,
				 "%s%s is stacked under %s (a bridge, bond, VLAN or macvlan above "
				 "it may carry the addresses and the default route)",
				 n ? "; " : "", d->ifs[k].name, d->ifs[k].uppers);
	}
	size_t n = strlen(why);
	if (d->hidden)
		snprintf(why + n, sizeof(why) - n,
			 "%sit is on kernel driver %s but has no interface in this network "
			 "namespace: the interface may be in another namespace, where this check "
			 "cannot see whether it is in use",
			 n ? "; " : "", d->driver);
	n = strlen(why);
	if (d->unsure[0] && d->n_ifs)
		snprintf(why + n, sizeof(why) - n,
			 "%swhether its interface is in use cannot be told (%s)", n ? "; " : "",
			 d->unsure);
	if (!why[0])
		return SETUP_OK;
	if (!o->force) {
		setup_err("refusing to %s %s: %s. --force does it anyway.", verb, d->addr, why);
		return SETUP_REFUSED;
	}
	setup_say("warning: %s: %s: --force given, going on", d->addr, why);
	return SETUP_OK;
}

/* Refuses what would cut the operator off (an active interface) or is no NIC, unless --force. */
static int safety(const struct setup_opts *o, const struct pci_dev *d, const char *verb)
{
	char act[512];
	bool plain = false; /* up with an address, or the default route: said as it was */
	for (unsigned k = 0; k < d->n_ifs; k++)
		plain |= (d->ifs[k].up && d->ifs[k].addrs[0]) || d->ifs[k].default_route;
	int rc = plain ? SETUP_OK : doubt(o, d, verb);
	if (rc != SETUP_OK)
		return rc;
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

/*
 * path to group gid and mode, without following a symlink: the file is opened O_PATH (which
 * opens no device: a VFIO group allows one opener) and changed through that descriptor, so what
 * was checked is what changes. kind S_IFCHR: a device file (/dev/vfio/GROUP, /dev/uioN; a
 * fabricated tree, SVR_SETUP_SYSROOT, has regular files there); S_IFREG: a sysfs attribute
 * (config, resourceN), which is a regular file. 0, or -errno (-ELOOP: a symlink; -ENODEV: not a
 * file of that kind).
 */
static int give_nofollow(const char *path, gid_t gid, mode_t mode, mode_t kind)
{
	char self[64];
	struct stat st;
	int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int e = 0;
	bool fake = sys_root()[0] != '\0';
	if (fstat(fd, &st) < 0)
		e = errno;
	else if (S_ISLNK(st.st_mode))
		e = ELOOP; /* O_PATH | O_NOFOLLOW opens the link itself */
	else if (kind == S_IFCHR ? !S_ISCHR(st.st_mode) && !(fake && S_ISREG(st.st_mode))
				 : !S_ISREG(st.st_mode))
		e = ENODEV;
	else if (fchownat(fd, "", (uid_t)-1, gid, AT_EMPTY_PATH) < 0)
		e = errno;
	/* fchmod does not take an O_PATH descriptor; its /proc/self/fd link does. */
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	if (!e && chmod(self, mode) < 0)
		e = errno;
	close(fd);
	return -e;
}

/* give_nofollow, said; with --dry-run only said. */
static int give(const struct setup_opts *o, const char *path, gid_t gid, mode_t mode, mode_t kind)
{
	const char *group = gid == 0 ? "root" : SETUP_DEV_GROUP; /* the only two given */
	if (o->dry_run) {
		setup_say("would give %s to group %s, mode %04o", path, group, (unsigned)mode);
		return SETUP_OK;
	}
	int e = give_nofollow(path, gid, mode, kind);
	if (e < 0) {
		setup_err("%s: cannot give it to group %s, mode %04o: %s", path, group,
			  (unsigned)mode,
			  e == -ELOOP || e == -ENODEV
			      ? (kind == S_IFCHR ? "a symlink or not a device file"
						 : "a symlink or not a regular file")
			      : strerror(-e));
		return SETUP_FAILED;
	}
	return SETUP_OK;
}

/*
 * uio_pci_generic: DPDK opens /dev/uioN and, under /sys/bus/pci/devices/ADDR, config and the
 * resourceN files read-write; the kernel makes them root's, 0600 (config 0644). Root may chown
 * and chmod sysfs attributes like any file: they go to group SETUP_DEV_GROUP, mode 0660, and keep
 * that until the device is removed (or the machine restarts: setup apply does it again). With
 * to_svrouter false (the device given back to the kernel), the kernel's owners and modes again.
 * Each file is changed without following a symlink (give_nofollow): sysfs attributes are
 * regular files, and a symlink there is not the kernel's.
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
			if (give(o, path, to_svrouter ? gid : 0, to_svrouter ? 0660 : kernel_mode,
				 S_IFREG) != SETUP_OK)
				rc = SETUP_FAILED;
			n++;
		}
	closedir(d);
	if (rc == SETUP_OK && !o->dry_run)
		setup_say("%s: config and resourceN (%d files) %s", dir, n,
			  to_svrouter ? "to group " SETUP_DEV_GROUP
					", mode 0660 (DPDK's uio path opens them)"
				      : "root's again");
	return rc;
}

/* The files the dataplane opens, for its group SETUP_DEV_GROUP: /dev/vfio/GROUP (vfio-pci), or
 * /dev/uioN and the device's config and resourceN files (uio_pci_generic). */
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
	if (!setup_dev_gid(&gid)) {
		setup_say("%s: no group " SETUP_DEV_GROUP
			  " on this machine: left root's (a dataplane running "
			  "as root can use it)",
			  dev);
		return SETUP_OK;
	}
	if (give(o, dev, gid, 0660, S_IFCHR) != SETUP_OK)
		return SETUP_FAILED;
	if (!o->dry_run)
		setup_say("%s: group " SETUP_DEV_GROUP
			  ", mode 0660 (until reboot: setup apply at boot does it "
			  "again)",
			  dev);
	return vfio ? SETUP_OK : uio_sysfs_access(o, addr, gid, true);
}

int setup_vfio_udev_rule(const struct setup_opts *o)
{
	/* No rule any more: a VFIO group's device node has no parent a udev rule could match a
	 * PCI address on, and group numbers are not stable, so a rule could only hand every
	 * group on the host to svrouter (whose svr-control faces the network). setup apply at
	 * boot gives the groups of the devices in setup.json, and only those. The rule earlier
	 * versions wrote is removed when found unchanged. */
	char path[PATH_MAX], have[sizeof(udev_rule) + 1];
	sys_path(path, UDEV_RULE_PATH);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, have, sizeof(have) - 1) : -1;
	if (fd >= 0)
		close(fd);
	have[n > 0 ? n : 0] = '\0';
	if (strcmp(have, udev_rule) != 0)
		return SETUP_OK;
	if (o->dry_run) {
		setup_say("would remove %s (it gave every VFIO group to group svrouter)", path);
		return SETUP_OK;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		setup_err("removing %s: %s", path, strerror(errno));
		return SETUP_FAILED;
	}
	setup_say("%s: removed (it gave every VFIO group to group svrouter; setup apply at boot "
		  "gives only the bound devices' groups)",
		  path);
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

/* The identity --persist records (vendor, device, the permanent MAC of its interface if it has
 * one), read in the checks: once on vfio-pci the device has no interface, so no MAC. */
static void identity_of(const struct pci_dev *d, struct setup_pci_op *op)
{
	op->vendor[0] = op->device[0] = op->mac[0] = '\0';
	if (strlen(d->vendor) != 4 || strlen(d->device) != 4)
		return;
	memcpy(op->vendor, d->vendor, 5);
	memcpy(op->device, d->device, 5);
	for (unsigned k = 0; k < d->n_ifs && !op->mac[0]; k++)
		memcpy(op->mac, d->ifs[k].mac, sizeof(op->mac));
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
	identity_of(&d, op);
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
	/* What bind gave the dataplane's group for uio goes back to the kernel's owners. */
	gid_t gid;
	if (strcmp(op->from, "uio_pci_generic") == 0 && setup_dev_gid(&gid))
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

/* --------------------------------------------------------------- identity -- */
/* setup.json names a device by its address; at boot, before the network, a renumbered bus
 * could put the management NIC there. What was there at --persist is checked. */

/* How long apply waits for a network device's kernel driver to bind and register its interface
 * (udev may not have probed it yet this early at boot), and how often it looks. */
#define IDENTITY_WAIT_MS 5000
#define IDENTITY_POLL_MS 100

/* Reloads d until it has an interface, or is on one of DPDK's drivers (no interface to wait
 * for), or IDENTITY_WAIT_MS passed. Through the sysfs root, so a test's fabricated tree can
 * grow the interface while this waits. */
static void wait_for_iface(const char *addr, struct pci_dev *d)
{
	struct timespec tick = {0, IDENTITY_POLL_MS * 1000000L};
	for (int waited = 0;
	     waited < IDENTITY_WAIT_MS && d->n_ifs == 0 && !setup_driver_known(d->driver);
	     waited += IDENTITY_POLL_MS) {
		nanosleep(&tick, NULL);
		if (dev_load(addr, d) < 0)
			return;
	}
}

int setup_identity_check(const struct setup_bind *b)
{
	struct pci_dev d;
	if (dev_load(b->pci, &d) < 0)
		return SETUP_OK; /* setup_pci_run says there is no such device */
	if (!b->vendor[0]) {
		setup_say(
		    "warning: the entry for %s records no vendor:device (an older svrctl wrote "
		    "it): applied by its address alone; 'svrctl setup bind %s --persist' "
		    "records them",
		    b->pci, b->pci);
		return SETUP_OK;
	}
	if (strcmp(d.vendor, b->vendor) != 0 || strcmp(d.device, b->device) != 0) {
		setup_err(
		    "refusing to bind %s: setup.json recorded vendor:device %s:%s there, the "
		    "device now at that address is %s:%s (a renumbered bus, or another card). "
		    "Check with 'svrctl setup show' and bind again with --persist.",
		    b->pci, b->vendor, b->device, d.vendor, d.device);
		return SETUP_REFUSED;
	}
	if (!b->mac[0])
		return SETUP_OK; /* a device without an interface at --persist: vendor:device only
				  */
	/* Once on vfio-pci the interface is gone: the MAC is checked while the kernel has it. At
	 * boot the kernel driver may not have bound yet (udev still probing): wait for it, since
	 * an absent interface must not pass for a matching one. */
	if (is_network(&d))
		wait_for_iface(b->pci, &d);
	if (setup_driver_known(d.driver)) {
		/* Already DPDK's (apply run again, or bound before this boot's apply): no kernel
		 * interface is there to lose, and the bind is a no-op. */
		setup_say("warning: %s is already on %s: its MAC %s was not checked (no interface)",
			  b->pci, d.driver, b->mac);
		return SETUP_OK;
	}
	if (d.n_ifs == 0) {
		setup_err("refusing to bind %s: setup.json recorded MAC %s there, but no interface "
			  "appeared within %d s (driver: %s), so its MAC could not be read to "
			  "confirm the identity; run 'svrctl setup bind %s --persist' again or "
			  "remove the \"mac\" from its entry",
			  b->pci, b->mac, IDENTITY_WAIT_MS / 1000, d.driver[0] ? d.driver : "none",
			  b->pci);
		return SETUP_REFUSED;
	}
	bool checked = false;
	for (unsigned k = 0; k < d.n_ifs; k++) {
		const struct iface *i = &d.ifs[k];
		if (i->assign != 0 || !i->mac[0]) {
			if (i->assign > 0)
				setup_say(
				    "warning: %s: interface %s's MAC was set by software "
				    "(addr_assign_type %d), so comparing it is unreliable: MAC "
				    "not checked there",
				    b->pci, i->name, i->assign);
			else
				setup_say("warning: %s: interface %s's hardware MAC cannot be read "
					  "(addr_assign_type or address): MAC not checked there",
					  b->pci, i->name);
			continue;
		}
		if (strcmp(i->mac, b->mac) != 0) {
			setup_err("refusing to bind %s: setup.json recorded MAC %s there, its "
				  "interface %s now has %s (another card of the same model). Check "
				  "with 'svrctl setup show' and bind again with --persist.",
				  b->pci, b->mac, i->name, i->mac);
			return SETUP_REFUSED;
		}
		checked = true;
	}
	if (!checked)
		setup_say("warning: %s: MAC not checked (no interface has its hardware address); "
			  "applied by vendor:device %s:%s",
			  b->pci, b->vendor, b->device);
	return SETUP_OK;
}
