/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * svrctl setup hugepages: reserve huge pages through nr_hugepages, read back what the kernel
 * granted, mount a hugetlbfs the svrouter user may use, say what startup.json needs.
 */
#include "setup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fsutil.h"

/* The kernel's directory for pages of size_kb (on node, or the machine's pool if node < 0). */
static void huge_dir(char *buf, unsigned long size_kb, long node)
{
	if (node < 0)
		sys_path(buf, "/sys/kernel/mm/hugepages/hugepages-%lukB", size_kb);
	else
		sys_path(buf, "/sys/devices/system/node/node%ld/hugepages/hugepages-%lukB", node,
			 size_kb);
}

static int read_count(const char *dir, const char *name, unsigned long *v)
{
	char path[PATH_MAX + 32], line[64], *end;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int rc = sys_read_line(path, line, sizeof(line));
	if (rc < 0) {
		setup_err("reading %s: %s", path, strerror(-rc));
		return -1;
	}
	errno = 0;
	*v = strtoul(line, &end, 10);
	if (errno || end == line || *end) {
		setup_err("reading %s: '%s' is not a count", path, line);
		return -1;
	}
	return 0;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

struct mount_found {
	bool found;
	char fstype[64];
	unsigned long page_kb; /* hugetlbfs: its pagesize= */
};

/* The file system mounted at dir, from /proc/self/mountinfo (the last mount there wins: it is
 * the one visible). */
static int find_mount(const char *dir, struct mount_found *m)
{
	char path[PATH_MAX];
	sys_path(path, "/proc/self/mountinfo");
	FILE *f = fopen(path, "r");
	*m = (struct mount_found){0};
	if (!f) {
		setup_err("reading %s: %s", path, strerror(errno));
		return -1;
	}
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER */
		char *save = NULL, *tok = strtok_r(line, " \n", &save);
		char *mp = NULL;
		for (int i = 0; tok && i < 4; i++)
			mp = tok = strtok_r(NULL, " \n", &save);
		if (!mp)
			continue;
		unescape(mp);
		if (strcmp(mp, dir) != 0)
			continue;
		while ((tok = strtok_r(NULL, " \n", &save)) && strcmp(tok, "-") != 0)
			;
		char *fstype = strtok_r(NULL, " \n", &save);
		strtok_r(NULL, " \n", &save); /* source */
		char *super = strtok_r(NULL, " \n", &save);
		if (!fstype)
			continue;
		m->found = true;
		snprintf(m->fstype, sizeof(m->fstype), "%s", fstype);
		m->page_kb = 0;
		for (char *o = super ? strtok_r(super, ",", &save) : NULL; o;
		     o = strtok_r(NULL, ",", &save))
			if (strncmp(o, "pagesize=", 9) == 0 &&
			    setup_size_parse(o + 9, &m->page_kb) < 0)
				m->page_kb = 0;
	}
	free(line);
	fclose(f);
	return 0;
}

/* The dataplane creates its page files in the mount: give the group only it has
 * (SETUP_DEV_GROUP) the directory (sticky, like /tmp: a process removes only its own files).
 * Not group svrouter: svr-control needs no huge pages, and page files hold the dataplane's
 * packet buffers and tables. */
static int mount_access(const struct setup_opts *o, const char *dir)
{
	gid_t gid;
	struct stat st;
	if (!setup_dev_gid(&gid)) {
		setup_say("%s: no group " SETUP_DEV_GROUP
			  " on this machine (the svrouter-common package "
			  "creates it): left as it is; only a dataplane running as root can use it",
			  dir);
		return SETUP_OK;
	}
	if (o->dry_run) {
		setup_say("would give %s to group " SETUP_DEV_GROUP ", mode 1770", dir);
		return SETUP_OK;
	}
	if (stat(dir, &st) == 0 && st.st_gid == gid && (st.st_mode & 07777) == 01770)
		return SETUP_OK;
	if (chown(dir, (uid_t)-1, gid) < 0 || chmod(dir, 01770) < 0) {
		setup_err("%s: cannot give it to group " SETUP_DEV_GROUP ", mode 1770: %s", dir,
			  strerror(errno));
		return SETUP_FAILED;
	}
	setup_say("%s: group " SETUP_DEV_GROUP ", mode 1770 (the dataplane keeps its pages here)",
		  dir);
	return SETUP_OK;
}

/* A hugetlbfs of size_kb pages at dir: the one there, or one mounted now. */
static int ensure_mount(const struct setup_opts *o, const char *dir_in, unsigned long size_kb)
{
	char dir[PATH_MAX], size[32], opts[128], have[32];
	struct mount_found m;
	/* mountinfo names the canonical path. */
	if (!realpath(dir_in, dir))
		snprintf(dir, sizeof(dir), "%s", dir_in);
	if (find_mount(dir, &m) < 0)
		return SETUP_FAILED;
	setup_size_name(size_kb, size, sizeof(size));
	if (m.found && strcmp(m.fstype, "hugetlbfs") != 0) {
		setup_err("%s: a %s is mounted there, not a hugetlbfs: choose another --mount", dir,
			  m.fstype);
		return SETUP_FAILED;
	}
	if (m.found) {
		if (m.page_kb != size_kb) {
			setup_size_name(m.page_kb, have, sizeof(have));
			setup_err("%s: the hugetlbfs there has %s pages; %s pages need a mount of "
				  "their own (e.g. --mount %s-%s)",
				  dir, m.page_kb ? have : "unknown", size, dir, size);
			return SETUP_FAILED;
		}
		setup_say("%s: hugetlbfs (pagesize=%s) already mounted", dir, size);
		return mount_access(o, dir);
	}
	gid_t gid;
	bool group = setup_dev_gid(&gid);
	if (group)
		snprintf(opts, sizeof(opts), "pagesize=%s,gid=%u,mode=1770", size, (unsigned)gid);
	else
		snprintf(opts, sizeof(opts), "pagesize=%s", size);
	if (o->dry_run) {
		setup_say("would mount a hugetlbfs at %s (%s)", dir, opts);
		return mount_access(o, dir);
	}
	if (svr_mkdir_p(dir, 0755) < 0) {
		setup_err("cannot create %s: %s", dir, strerror(errno));
		return SETUP_FAILED;
	}
	if (mount("nodev", dir, "hugetlbfs", MS_NOSUID | MS_NODEV, opts) < 0) {
		setup_err("mounting a hugetlbfs (%s) at %s: %s%s", opts, dir, strerror(errno),
			  errno == EPERM ? " (run as root)" : "");
		return SETUP_FAILED;
	}
	setup_say("%s: hugetlbfs mounted (%s)", dir, opts);
	return group ? SETUP_OK : mount_access(o, dir);
}

/* The kernel gave fewer pages than asked: why, and what to do. */
static void explain_fewer(const struct setup_huge *h, unsigned long granted)
{
	char size[32];
	setup_size_name(h->size_kb, size, sizeof(size));
	setup_err("the kernel granted %lu of the %lu %s pages asked for", granted, h->pages, size);
	if (h->size_kb >= 1024 * 1024)
		fprintf(
		    stderr,
		    "  %s pages need contiguous memory that a running system rarely has: reserve "
		    "them at boot\n  on the kernel command line (/etc/default/grub, "
		    "GRUB_CMDLINE_LINUX, then update-grub):\n"
		    "    hugepagesz=%s hugepages=%lu default_hugepagesz=%s\n",
		    size, size, h->pages, size);
	else
		fprintf(
		    stderr,
		    "  free memory is short or fragmented: svrouter-setup.service reserves them "
		    "early at boot\n  (--persist), or reserve them on the kernel command line: "
		    "hugepages=%lu\n",
		    h->pages);
}

int setup_hugepages(const struct setup_opts *o, const struct setup_huge *h)
{
	char dir[PATH_MAX], file[PATH_MAX + 16], size[32], where[48] = "";
	unsigned long before, granted, free_pages;
	setup_size_name(h->size_kb, size, sizeof(size));
	if (h->node >= 0)
		snprintf(where, sizeof(where), " on NUMA node %ld", h->node);
	huge_dir(dir, h->size_kb, h->node);
	if (!sys_exists(dir)) {
		char node[PATH_MAX];
		sys_path(node, "/sys/devices/system/node/node%ld", h->node);
		if (h->node >= 0 && !sys_exists(node))
			setup_err("no NUMA node %ld on this machine (no %s)", h->node, node);
		else
			setup_err("this kernel or CPU has no %s huge pages (no %s)", size, dir);
		return SETUP_FAILED;
	}
	snprintf(file, sizeof(file), "%s/nr_hugepages", dir);
	if (read_count(dir, "nr_hugepages", &before) < 0)
		return SETUP_FAILED;
	if (o->dry_run) {
		setup_say("%s pages%s: %lu reserved; would write %lu to %s", size, where, before,
			  h->pages, file);
		granted = h->pages;
	} else {
		char text[32];
		snprintf(text, sizeof(text), "%lu", h->pages);
		int rc = sys_write(file, text);
		if (rc < 0) {
			setup_err("writing %lu to %s: %s%s", h->pages, file, strerror(-rc),
				  rc == -EACCES || rc == -EPERM ? " (run as root)" : "");
			return SETUP_FAILED;
		}
		/* The kernel takes what it can find and says so only here. */
		if (read_count(dir, "nr_hugepages", &granted) < 0 ||
		    read_count(dir, "free_hugepages", &free_pages) < 0)
			return SETUP_FAILED;
		setup_say("%s pages%s: asked for %lu, granted %lu (were %lu; %lu free)", size,
			  where, h->pages, granted, before, free_pages);
	}
	int rc = granted < h->pages ? SETUP_FAILED : SETUP_OK;
	if (rc != SETUP_OK)
		explain_fewer(h, granted);
	int mrc = ensure_mount(o, h->mount, h->size_kb);
	if (mrc != SETUP_OK)
		rc = mrc;
	/* The dataplane's -m must fit in what was granted. */
	unsigned long mb = (unsigned long)((unsigned long long)granted * h->size_kb / 1024);
	if (o->memory_mb && o->memory_mb < mb)
		mb = o->memory_mb;
	char dirc[PATH_MAX];
	if (!realpath(h->mount, dirc))
		snprintf(dirc, sizeof(dirc), "%s", h->mount);
	if (strcmp(dirc, SETUP_MOUNT_DEFAULT) == 0)
		setup_say("startup.json: \"eal\": {\"huge-pages\": true, \"memory-mb\": %lu}", mb);
	else
		setup_say("startup.json: \"eal\": {\"huge-pages\": true, \"memory-mb\": %lu, "
			  "\"extra-args\": [\"--huge-dir=%s\"]}",
			  mb, dirc);
	return rc;
}
