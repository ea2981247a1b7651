/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * svrctl setup: the machine preparation a DPDK dataplane needs on real hardware (huge pages,
 * NICs on vfio-pci), its record in /etc/svrouter/setup.json, and `setup apply`, which
 * svrouter-setup.service runs at boot. Options, help and dispatch; the work is in
 * setup_huge.c and setup_pci.c.
 */
#include "setup.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char setup_help[] =
    "NAME\n"
    "    svrctl setup - prepare a machine for svr-dataplane: huge pages, NIC binding\n"
    "\n"
    "SYNOPSIS\n"
    "    svrctl setup hugepages (--pages N | --memory-mb M) [--size 2M|1G] [--node N]\n"
    "                           [--mount DIR] [--persist] [--dry-run] [--file F]\n"
    "    svrctl setup bind PCI... [--driver vfio-pci|uio_pci_generic] [--force] [--persist]\n"
    "                           [--dry-run] [--file F]\n"
    "    svrctl setup unbind PCI [--driver DRIVER] [--force] [--persist] [--dry-run]\n"
    "                           [--file F]\n"
    "    svrctl setup show [--json]\n"
    "    svrctl setup apply [--file F] [--dry-run]\n"
    "    svrctl help setup\n"
    "\n"
    "DESCRIPTION\n"
    "    On real hardware svr-dataplane (\"eal\": {\"huge-pages\": true}) needs huge pages\n"
    "    reserved and mounted, and its NICs taken from their kernel drivers and given to\n"
    "    a driver DPDK can use from user space. These commands do both through the\n"
    "    kernel's files, check what the kernel did, print the lines the dataplane's\n"
    "    startup.json needs, and with --persist record the setting in\n"
    "    /etc/svrouter/setup.json, which svrouter-setup.service re-applies at every\n"
    "    boot (setup apply), before the network comes up and before the dataplanes start.\n"
    "    They change the machine: run them as root. docs/setup.md walks through a\n"
    "    white-box with two or more NICs, and a VM.\n"
    "\n"
    "COMMANDS\n"
    "    hugepages\n"
    "        Writes the number of pages to\n"
    "        /sys/kernel/mm/hugepages/hugepages-SIZEkB/nr_hugepages (with --node, the\n"
    "        node's own under /sys/devices/system/node/nodeN/hugepages/), reads back what\n"
    "        the kernel granted and prints both. The kernel grants fewer when free memory\n"
    "        is short or fragmented (1G pages nearly always, once the system has run a\n"
    "        while): the command then says how to reserve them on the kernel command line\n"
    "        and exits 1. Then mounts a hugetlbfs of that page size at DIR unless one is\n"
    "        there (/proc/self/mountinfo), and gives DIR to group svrouter-dev, mode 1770,\n"
    "        so that the dataplane (svr-dataplane@ has that group; svr-control does not)\n"
    "        can create its page files (without that group, DIR is left root's). Prints\n"
    "        the \"eal\" settings for startup.json.\n"
    "        A number of pages below what is reserved gives the free ones back.\n"
    "    bind PCI...\n"
    "        Gives each network device to DRIVER (default vfio-pci): loads the driver\n"
    "        (modprobe) unless loaded, writes it to the device's driver_override, unbinds\n"
    "        the device from its kernel driver, asks the kernel to probe it\n"
    "        (/sys/bus/pci/drivers_probe) and reads the device's driver link back: only\n"
    "        that proves the bind. If the kernel did not bind it, the override is cleared,\n"
    "        the device goes back to a kernel driver, and the command fails.\n"
    "        All devices are checked before any is changed: if one is refused, or does\n"
    "        not exist, or its driver cannot be loaded, or (vfio-pci) there is no IOMMU,\n"
    "        no device is touched. Past the checks, one the kernel does not take does not\n"
    "        stop the others (exit 1; the ones bound stay bound and are recorded by\n"
    "        --persist).\n"
    "        Refused (exit 4, nothing changed): a device whose kernel interface is in use\n"
    "        -- up with an address (IPv4, or IPv6 other than link-local), or carrying a\n"
    "        default route (IPv4: the main table, IPv6: all) -- since taking it away cuts\n"
    "        every connection through it, an SSH session included; one whose interface is\n"
    "        under a bridge, bond, VLAN or macvlan (which may carry the address); a\n"
    "        network device on a kernel driver without an interface in this network\n"
    "        namespace; any device when the interfaces' state cannot be read\n"
    "        (getifaddrs, /proc/net/route, /proc/net/ipv6_route); and a device that is\n"
    "        not a network controller. --force overrides them.\n"
    "        vfio-pci needs an IOMMU (VT-d/AMD-Vi on, intel_iommu=on iommu=pt) or vfio's\n"
    "        no-IOMMU mode; without either the command explains and fails before any\n"
    "        device changes. After the bind, /dev/vfio/GROUP goes to group svrouter-dev,\n"
    "        mode 0660. uio_pci_generic: /dev/uioN and the device's config and resourceN\n"
    "        files in sysfs (DPDK opens them read-write) go to group svrouter-dev, mode\n"
    "        0660. svrouter-dev is the dataplane's group alone (SupplementaryGroups= of\n"
    "        svr-dataplane@): these files give DMA to memory, so not group svrouter,\n"
    "        which the network-facing svr-control has too.\n"
    "        Prints the startup.json \"pci\" list: every device now on a DPDK driver.\n"
    "        A model interface names such a port by its address (\"device\":\n"
    "        \"0000:03:00.0\"); it must be in \"pci\" too.\n"
    "    unbind PCI\n"
    "        Gives a device on vfio-pci or uio_pci_generic back to the kernel: clears the\n"
    "        driver override, unbinds, probes; the kernel picks the driver that matches\n"
    "        the device, or DRIVER with --driver. Prints the driver it has now. The same\n"
    "        safety check as bind (exit 4, nothing changed). From uio_pci_generic, the\n"
    "        device's config and resourceN files are made root's again.\n"
    "    show\n"
    "        Lists the PCI network devices (and any on a DPDK driver): address,\n"
    "        vendor:device, driver, kernel interface, IOMMU group, NUMA node, and whether\n"
    "        the interface is active and why (up with addresses, default route).\n"
    "    apply\n"
    "        Re-applies setup.json: every hugepages entry, then every bind, each on its\n"
    "        own, without --force (a NIC whose interface is in use is refused, never\n"
    "        taken), and only to the device --persist recorded (its vendor:device and\n"
    "        MAC, when recorded, must match). Goes on after an entry that fails or is\n"
    "        refused, so its exit status is 0 (all applied) or 1 (some not; the others\n"
    "        were), never 4.\n"
    "\n"
    "PCI ADDRESSES\n"
    "    DDDD:BB:DD.F as sysfs writes them (0000:03:00.0), hexadecimal in any case;\n"
    "    BB:DD.F (03:00.0) means domain 0000. 'svrctl setup show' lists them.\n"
    "\n"
    "OPTIONS\n"
    "    --pages N\n"
    "        hugepages: reserve N pages (0 to 16777216).\n"
    "    --memory-mb M\n"
    "        hugepages: reserve the pages that hold M MiB (rounded up): the sum of the\n"
    "        \"eal\".\"memory-mb\" of the dataplanes that will run (docs/setup.md, Sizing).\n"
    "    --size 2M|1G\n"
    "        hugepages: page size (default 2M). Also 2048kB, 1048576kB, 1GB.\n"
    "    --node N\n"
    "        hugepages: reserve on NUMA node N (the node of the NICs: setup show). Default:\n"
    "        the machine's pool, spread over the nodes by the kernel.\n"
    "    --mount DIR\n"
    "        hugepages: where the hugetlbfs is (default /dev/hugepages, where DPDK looks\n"
    "        first). Another DIR needs \"extra-args\": [\"--huge-dir=DIR\"] (printed).\n"
    "        Each page size needs a mount of its own.\n"
    "    --driver DRIVER\n"
    "        bind: vfio-pci (default; IOMMU isolation, the dataplane can run as svrouter)\n"
    "        or uio_pci_generic (no isolation; the dataplane needs CAP_SYS_ADMIN, and\n"
    "        for a virtio NIC in legacy mode, I/O ports, CAP_SYS_RAWIO: docs/setup.md).\n"
    "        unbind: the kernel driver to give the device to (e.g. ixgbe, igb, virtio-pci).\n"
    "    --force\n"
    "        bind, unbind: take a device even though its interface is in use or it is not\n"
    "        a network controller. Only with another way into the machine.\n"
    "    --persist\n"
    "        Record the setting in setup.json (create or update; an entry of the same page\n"
    "        size and node, or of the same device, is replaced; unbind removes the\n"
    "        device's). bind records the device's vendor:device and its interface's\n"
    "        MAC, which apply checks.\n"
    "    --dry-run\n"
    "        Check and print each write and mount that would be made; change nothing\n"
    "        (the safety checks still refuse).\n"
    "    --file F\n"
    "        setup.json to read (apply) or update (--persist). Default\n"
    "        /etc/svrouter/setup.json.\n"
    "    -j, --json\n"
    "        show: a JSON array, one object per device.\n"
    "    -h, --help\n"
    "        Print this page and exit.\n"
    "\n"
    "FILES\n"
    "    /etc/svrouter/setup.json\n"
    "        { \"hugepages\": [ { \"size\": \"2M\", \"pages\": 512, \"node\": 0,\n"
    "                           \"mount\": \"/dev/hugepages\" } ],\n"
    "          \"bind\": [ { \"pci\": \"0000:03:00.0\", \"driver\": \"vfio-pci\",\n"
    "                      \"vendor\": \"8086\", \"device\": \"1533\",\n"
    "                      \"mac\": \"00:1b:21:aa:bb:cc\" } ] }\n"
    "        \"node\", \"mount\", \"vendor\", \"device\" and \"mac\" may be left out\n"
    "        (bind --persist records the last three); unknown keys are refused. Written\n"
    "        atomically, mode 0644. svrouter-setup.service applies it at boot when it\n"
    "        exists.\n"
    "    /etc/udev/rules.d/90-svrouter-vfio.rules\n"
    "        Installed by earlier versions (every VFIO group to group svrouter); bind\n"
    "        --persist and apply remove it when it is unchanged. apply gives only the\n"
    "        bound devices' groups (to svrouter-dev).\n"
    "\n"
    "EXIT STATUS\n"
    "    0   done (--dry-run: nothing refused)\n"
    "    1   a step failed: no such device, the kernel granted fewer pages or did not\n"
    "        bind, a file could not be written (not root?), setup.json is invalid, no\n"
    "        IOMMU for vfio-pci; apply: an entry failed or was refused\n"
    "    2   usage error\n"
    "    4   bind, unbind: refused by a safety check (interface in use, not a network\n"
    "        device); nothing was changed. (3 is svrctl's \"cannot connect\", which\n"
    "        setup never returns.)\n"
    "\n"
    "EXAMPLES\n"
    "    svrctl setup show\n"
    "    svrctl setup hugepages --memory-mb 1024 --persist\n"
    "    svrctl setup hugepages --size 1G --pages 4 --node 0 --mount /dev/hugepages-1G\n"
    "    svrctl setup bind 0000:03:00.0 0000:03:00.1 --dry-run\n"
    "    svrctl setup bind 03:00.0 03:00.1 --persist\n"
    "    svrctl setup unbind 0000:03:00.1 --driver ixgbe --persist\n"
    "    svrctl setup apply\n";

static void usage(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void usage(const char *fmt, ...)
{
	va_list ap;
	fputs("svrctl setup: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nUsage: svrctl setup hugepages (--pages N | --memory-mb M) [--size 2M|1G] "
	      "[--node N] [--mount DIR]\n"
	      "                              [--persist] [--dry-run] [--file F]\n"
	      "       svrctl setup bind PCI... [--driver vfio-pci|uio_pci_generic] [--force] "
	      "[--persist] [--dry-run] [--file F]\n"
	      "       svrctl setup unbind PCI [--driver DRIVER] [--force] [--persist] "
	      "[--dry-run] [--file F]\n"
	      "       svrctl setup show [--json]\n"
	      "       svrctl setup apply [--file F] [--dry-run]\n"
	      "Try 'svrctl help setup' for more information.\n",
	      stderr);
	exit(SETUP_USAGE);
}

static unsigned long number(const char *opt, const char *arg, unsigned long max)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || !isdigit((unsigned char)*arg) || v > max)
		usage("%s: '%s' is not a number from 0 to %lu", opt, arg, max);
	return (unsigned long)v;
}

static int load_conf(const struct setup_opts *o, struct setup_conf *c, bool *exists)
{
	char err[PATH_MAX + 256];
	if (setup_conf_load(o->file, c, exists, err, sizeof(err)) < 0) {
		setup_err("%s", err);
		return SETUP_FAILED;
	}
	return SETUP_OK;
}

static int save_conf(const struct setup_opts *o, const struct setup_conf *c)
{
	char err[PATH_MAX + 256];
	if (o->dry_run) {
		setup_say("would update %s", o->file);
		return SETUP_OK;
	}
	if (setup_conf_save(o->file, c, err, sizeof(err)) < 0) {
		setup_err("%s", err);
		return SETUP_FAILED;
	}
	setup_say("%s: updated (svrouter-setup.service applies it at boot)", o->file);
	return SETUP_OK;
}

static int cmd_hugepages(const struct setup_opts *o, int nargs, char **args)
{
	if (nargs > 1)
		usage("hugepages: unexpected argument '%s'", args[1]);
	/* --pages 0 is a real request: give every free page back. */
	if (o->pages_given == (o->memory_mb != 0))
		usage("hugepages: give one of --pages N and --memory-mb M");
	struct setup_huge h = {.size_kb = o->size_kb, .node = o->node};
	h.pages = o->memory_mb ? setup_pages_for_mb(o->memory_mb, o->size_kb) : o->pages;
	if (h.pages > SETUP_PAGES_MAX)
		usage("--memory-mb: %lu MiB are more than %lu pages", o->memory_mb,
		      SETUP_PAGES_MAX);
	snprintf(h.mount, sizeof(h.mount), "%s", o->mount ? o->mount : SETUP_MOUNT_DEFAULT);
	/* Recorded even if the kernel grants fewer now: at boot memory is not fragmented yet. */
	struct setup_conf c;
	bool exists;
	if (o->persist && load_conf(o, &c, &exists) != SETUP_OK)
		return SETUP_FAILED;
	int rc = setup_hugepages(o, &h);
	if (o->persist) {
		if (setup_conf_put_huge(&c, &h) < 0) {
			setup_err("%s: already %d hugepages entries", o->file, SETUP_MAX_HUGE);
			return SETUP_FAILED;
		}
		rc = setup_worse(rc, save_conf(o, &c));
	}
	return rc;
}

/* A device bound already (vfio-pci: no interface, so no MAC now) keeps the MAC its entry
 * recorded while the kernel still had it, if the entry is of the same vendor:device; a new entry
 * without a MAC is said, since apply then checks vendor:device alone. */
static void keep_mac(const struct setup_conf *c, struct setup_bind *b)
{
	for (unsigned k = 0; !b->mac[0] && k < c->n_bind; k++) {
		const struct setup_bind *old = &c->bind[k];
		if (strcmp(old->pci, b->pci) == 0 && old->mac[0] && b->vendor[0] &&
		    strcmp(old->vendor, b->vendor) == 0 && strcmp(old->device, b->device) == 0) {
			memcpy(b->mac, old->mac, sizeof(b->mac));
			setup_say("%s: no interface to read the MAC from now; keeping the recorded "
				  "%s",
				  b->pci, b->mac);
		}
	}
	if (!b->mac[0])
		setup_say("%s: no MAC recorded (no interface with the hardware's own address to "
			  "read it from): apply checks vendor:device %s:%s alone",
			  b->pci, b->vendor, b->device);
}

static int cmd_bind(const struct setup_opts *o, int nargs, char **args)
{
	static struct setup_pci_op ops[SETUP_MAX_BIND];
	if (nargs < 2)
		usage("bind: missing PCI address (svrctl setup show lists them)");
	if (nargs - 1 > SETUP_MAX_BIND)
		usage("bind: at most %d devices at once", SETUP_MAX_BIND);
	const char *driver = o->driver ? o->driver : "vfio-pci";
	if (!setup_driver_known(driver))
		usage("--driver: '%s' is not vfio-pci or uio_pci_generic", driver);
	unsigned n = 0;
	for (int i = 1; i < nargs; i++, n++) {
		ops[n] = (struct setup_pci_op){0};
		if (setup_pci_parse(args[i], ops[n].pci) < 0)
			usage("bind: '%s' is not a PCI address (DDDD:BB:DD.F or BB:DD.F, e.g. "
			      "0000:03:00.0)",
			      args[i]);
		for (unsigned k = 0; k < n; k++)
			if (strcmp(ops[k].pci, ops[n].pci) == 0)
				usage("bind: %s is named twice", ops[n].pci);
		snprintf(ops[n].to, sizeof(ops[n].to), "%s", driver);
	}
	/* setup.json read, and its room checked, before any device changes. */
	static struct setup_conf c, room;
	bool exists;
	if (o->persist) {
		if (load_conf(o, &c, &exists) != SETUP_OK)
			return SETUP_FAILED;
		room = c;
		for (unsigned i = 0; i < n; i++) {
			struct setup_bind b = {{0}};
			memcpy(b.pci, ops[i].pci, sizeof(b.pci));
			if (setup_conf_put_bind(&room, &b) < 0) {
				setup_err("%s: already %d bind entries", o->file, SETUP_MAX_BIND);
				return SETUP_FAILED;
			}
		}
	}
	/* The checks read each device's identity (vendor, device, MAC) before any write: once on
	 * vfio-pci the device has no interface, so no MAC. */
	int rc = setup_pci_run(o, ops, n);
	/* Only what was bound is recorded: a device that was not must not be taken at boot. */
	unsigned bound = 0;
	for (unsigned i = 0; o->persist && i < n; i++) {
		if (ops[i].rc != SETUP_OK)
			continue;
		struct setup_bind b = {{0}};
		memcpy(b.pci, ops[i].pci, sizeof(b.pci));
		memcpy(b.vendor, ops[i].vendor, sizeof(b.vendor));
		memcpy(b.device, ops[i].device, sizeof(b.device));
		memcpy(b.mac, ops[i].mac, sizeof(b.mac));
		keep_mac(&c, &b);
		snprintf(b.driver, sizeof(b.driver), "%s", driver);
		setup_conf_put_bind(&c, &b); /* room checked above */
		bound++;
	}
	if (bound) {
		rc = setup_worse(rc, save_conf(o, &c));
		if (strcmp(driver, "vfio-pci") == 0)
			rc = setup_worse(rc, setup_vfio_udev_rule(o));
	}
	if (rc == SETUP_OK && !o->dry_run) {
		setup_print_pci_line();
		setup_say("model: an interface names its port by the address: \"device\": \"%s\"",
			  ops[0].pci);
	}
	return rc;
}

static int cmd_unbind(const struct setup_opts *o, int nargs, char **args)
{
	struct setup_pci_op op = {.unbind = true};
	if (nargs < 2)
		usage("unbind: missing PCI address");
	if (nargs > 2)
		usage("unbind: one device at a time ('%s' is one too many)", args[2]);
	if (setup_pci_parse(args[1], op.pci) < 0)
		usage("unbind: '%s' is not a PCI address (DDDD:BB:DD.F or BB:DD.F)", args[1]);
	if (o->driver &&
	    (!*o->driver || strchr(o->driver, '/') || strlen(o->driver) >= sizeof(op.to)))
		usage("--driver: '%s' is not a driver name", o->driver);
	snprintf(op.to, sizeof(op.to), "%s", o->driver ? o->driver : "");
	static struct setup_conf c;
	bool exists;
	if (o->persist && load_conf(o, &c, &exists) != SETUP_OK)
		return SETUP_FAILED;
	int rc = setup_pci_run(o, &op, 1);
	if (rc == SETUP_OK && o->persist) {
		if (setup_conf_del_bind(&c, op.pci))
			rc = save_conf(o, &c);
		else
			setup_say("%s: had no entry for %s", o->file, op.pci);
	}
	return rc;
}

/* Every entry on its own, and on after one that fails or is refused: at boot, what can be
 * applied is. So the status is 0 or 1: a refusal here does not mean that nothing changed. */
static int cmd_apply(const struct setup_opts *o, int nargs, char **args)
{
	if (nargs > 1)
		usage("apply: unexpected argument '%s'", args[1]);
	static struct setup_conf c;
	bool exists;
	if (load_conf(o, &c, &exists) != SETUP_OK)
		return SETUP_FAILED;
	if (!exists) {
		setup_err("%s: no such file (svrctl setup hugepages|bind --persist writes it)",
			  o->file);
		return SETUP_FAILED;
	}
	struct setup_opts each = *o;
	each.force = false; /* at boot, never take an interface that is in use */
	each.persist = false;
	each.memory_mb = 0;
	unsigned failed = 0;
	for (unsigned i = 0; i < c.n_huge; i++)
		failed += setup_hugepages(&each, &c.huge[i]) != SETUP_OK;
	/* A host upgraded from a version that wrote the blanket rule may never run bind --persist
	 * again: every boot removes it (when unchanged), not only a bind. */
	int rule = setup_vfio_udev_rule(&each);
	for (unsigned i = 0; i < c.n_bind; i++) {
		/* Only to the device --persist recorded there: checked before anything is written.
		 */
		if (setup_identity_check(&c.bind[i]) != SETUP_OK) {
			failed++;
			continue;
		}
		struct setup_pci_op op = {0};
		memcpy(op.pci, c.bind[i].pci, sizeof(op.pci));
		snprintf(op.to, sizeof(op.to), "%s", c.bind[i].driver);
		failed += setup_pci_run(&each, &op, 1) != SETUP_OK;
	}
	if (c.n_bind && !o->dry_run)
		setup_print_pci_line();
	if (failed)
		setup_err("%s: %u of the %u entries not applied (above); the others were", o->file,
			  failed, c.n_huge + c.n_bind);
	else
		setup_say("%s: %u hugepages and %u bind entries applied", o->file, c.n_huge,
			  c.n_bind);
	return failed || rule != SETUP_OK ? SETUP_FAILED : SETUP_OK;
}

int setup_main(int argc, char **argv)
{
	enum {
		OPT_PAGES = 256,
		OPT_MEMORY_MB,
		OPT_SIZE,
		OPT_NODE,
		OPT_MOUNT,
		OPT_PERSIST,
		OPT_DRY_RUN,
		OPT_DRIVER,
		OPT_FORCE,
		OPT_FILE,
	};
	static const struct option longopts[] = {
	    {"pages", required_argument, NULL, OPT_PAGES},
	    {"memory-mb", required_argument, NULL, OPT_MEMORY_MB},
	    {"size", required_argument, NULL, OPT_SIZE},
	    {"node", required_argument, NULL, OPT_NODE},
	    {"mount", required_argument, NULL, OPT_MOUNT},
	    {"persist", no_argument, NULL, OPT_PERSIST},
	    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
	    {"driver", required_argument, NULL, OPT_DRIVER},
	    {"force", no_argument, NULL, OPT_FORCE},
	    {"file", required_argument, NULL, OPT_FILE},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct setup_opts o = {.size_kb = 2048, .node = -1, .file = SETUP_CONF_DEFAULT};
	bool size_given = false, node_given = false, file_given = false;
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":jh", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_PAGES:
			o.pages = number("--pages", optarg, SETUP_PAGES_MAX);
			o.pages_given = true;
			break;
		case OPT_MEMORY_MB:
			o.memory_mb = number("--memory-mb", optarg, 1ul << 30);
			if (!o.memory_mb)
				usage("--memory-mb: must be at least 1");
			break;
		case OPT_SIZE:
			if (setup_size_parse(optarg, &o.size_kb) < 0)
				usage("--size: '%s' is not a page size (2M, 1G)", optarg);
			size_given = true;
			break;
		case OPT_NODE:
			o.node = (long)number("--node", optarg, 1023);
			node_given = true;
			break;
		case OPT_MOUNT:
			if (optarg[0] != '/' || strlen(optarg) >= PATH_MAX)
				usage("--mount: '%s' is not an absolute path", optarg);
			o.mount = optarg;
			break;
		case OPT_PERSIST:
			o.persist = true;
			break;
		case OPT_DRY_RUN:
			o.dry_run = true;
			break;
		case OPT_DRIVER:
			o.driver = optarg;
			break;
		case OPT_FORCE:
			o.force = true;
			break;
		case OPT_FILE:
			if (!*optarg)
				usage("--file: empty path");
			o.file = optarg;
			file_given = true;
			break;
		case 'j':
			o.json = true;
			break;
		case 'h':
			fputs(setup_help, stdout);
			return fflush(stdout) == 0 ? SETUP_OK : SETUP_FAILED;
		case ':':
			usage("option '%s' needs an argument", argv[optind - 1]);
		default:
			if (optopt)
				usage("unknown option '-%c'", optopt);
			usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	int nargs = argc - optind;
	char **args = argv + optind;
	if (nargs == 0)
		usage("missing command (hugepages, bind, unbind, show, apply)");
	const char *cmd = args[0];
	bool huge = strcmp(cmd, "hugepages") == 0, bind = strcmp(cmd, "bind") == 0,
	     unbind = strcmp(cmd, "unbind") == 0, show = strcmp(cmd, "show") == 0,
	     apply = strcmp(cmd, "apply") == 0;
	if (strcmp(cmd, "help") == 0) {
		fputs(setup_help, stdout);
		return fflush(stdout) == 0 ? SETUP_OK : SETUP_FAILED;
	}
	if (!huge && !bind && !unbind && !show && !apply)
		usage("unknown command '%s' (hugepages, bind, unbind, show, apply)", cmd);
	if (!huge && (o.pages_given || o.memory_mb || size_given || node_given || o.mount))
		usage("%s: --pages, --memory-mb, --size, --node and --mount are for hugepages",
		      cmd);
	if (!bind && !unbind && (o.driver || o.force))
		usage("%s: --driver and --force are for bind and unbind", cmd);
	if ((show || apply) && o.persist)
		usage("%s: --persist is for hugepages, bind and unbind", cmd);
	if (show && (o.dry_run || file_given))
		usage("show: takes --json only");
	if (!show && o.json)
		usage("%s: --json is for show", cmd);
	if (file_given && !o.persist && !apply)
		usage("%s: --file is for --persist and apply", cmd);

	int rc;
	if (huge) {
		rc = cmd_hugepages(&o, nargs, args);
	} else if (bind) {
		rc = cmd_bind(&o, nargs, args);
	} else if (unbind) {
		rc = cmd_unbind(&o, nargs, args);
	} else if (show) {
		if (nargs > 1)
			usage("show: unexpected argument '%s'", args[1]);
		rc = setup_show(&o);
	} else {
		rc = cmd_apply(&o, nargs, args);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		setup_err("writing output: %s", strerror(errno));
		return SETUP_FAILED;
	}
	return rc;
}
