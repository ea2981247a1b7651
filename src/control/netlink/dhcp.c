/* SPDX-License-Identifier: BSD-3-Clause */
/* DHCP clients on the kernel twins (dhcp.h), run by the route mirror's thread. */
#include "netlink/dhcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netlink/route/addr.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/log.h"
#include "ctl.h"
#include "netlink/follow_int.h"

#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS   30000
#define STOP_WAIT_MS     2000

/*
 * udhcpc's hook: it runs with the action as $1 and the lease in the environment ($ip, $mask,
 * $router: numbers and dotted quads, formatted by the client). The lease is recorded in
 * dhcp-IF.lease once on the twin: only that address is a lease to svr-control (not a static
 * address the twin kept from a model before "dhcp"). The first "deconfig" of a client started
 * while the twin holds its recorded lease (svr-control restarted) keeps it: the client asks for
 * that address again (-r), so a restart changes nothing on the wire.
 */
static const char script_text[] =
    "#!/bin/sh\n"
    "# Written by svr-control: udhcpc's hook for a kernel twin (docs/routing.md, \"DHCP on a\n"
    "# WAN interface\"). It puts the lease on the twin, records it, and adds a default route\n"
    "# through the lease's router; svr-control gives the recorded lease to the dataplane.\n"
    "PATH=/usr/sbin:/usr/bin:/sbin:/bin\n"
    "keep=\"$SVR_DHCP_DIR/dhcp-$interface.keep\"\n"
    "lease=\"$SVR_DHCP_DIR/dhcp-$interface.lease\"\n"
    "case \"$1\" in\n"
    "deconfig)\n"
    "\tif [ -e \"$keep\" ]; then rm -f \"$keep\"; exit 0; fi\n"
    "\trm -f \"$lease\"\n"
    "\tip -4 addr flush dev \"$interface\"\n"
    "\t;;\n"
    "bound|renew)\n"
    "\trm -f \"$keep\"\n"
    "\tif [ -z \"$ip\" ] || [ -z \"$mask\" ]; then\n"
    "\t\techo \"udhcpc script: the lease has no address or subnet mask: not used\" >&2\n"
    "\t\texit 1\n"
    "\tfi\n"
    "\tnew=\"$ip/$mask\"\n"
    "\told=$(ip -4 -o addr show dev \"$interface\" | { read -r _ _ _ a _; echo \"$a\"; })\n"
    "\tif [ \"$old\" != \"$new\" ]; then\n"
    "\t\tip -4 addr flush dev \"$interface\"\n"
    "\t\tip addr add \"$new\" dev \"$interface\" || exit 1\n"
    "\tfi\n"
    "\techo \"$new\" >\"$lease.new\" && mv -f \"$lease.new\" \"$lease\"\n"
    "\tfor gw in $router; do\n"
    "\t\tip route replace default via \"$gw\" dev \"$interface\" proto dhcp metric 1024\n"
    "\t\tbreak\n"
    "\tdone\n"
    "\t;;\n"
    "esac\n"
    "exit 0\n";

int ctl_nl_dhcp_init(struct ctl_nl_follow *f)
{
	struct ctl_dhcp *d = &f->dhcp;
	snprintf(d->dir, sizeof(d->dir), "%s", f->ctl->state_dir);
	snprintf(d->script, sizeof(d->script), "%s/udhcpc.script", d->dir);
	char tmp[320];
	snprintf(tmp, sizeof(tmp), "%s.tmp", d->script);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0700);
	bool ok = fd >= 0 && write(fd, script_text, sizeof(script_text) - 1) ==
				 (ssize_t)(sizeof(script_text) - 1);
	if (fd >= 0 && (fchmod(fd, 0700) < 0 || close(fd) < 0))
		ok = false;
	if (!ok || rename(tmp, d->script) < 0) {
		LOG_ERR("DHCP: cannot write the client's script %s: %s; no DHCP client will run",
			d->script, strerror(errno));
		unlink(tmp);
		d->script[0] = '\0';
		return -1;
	}
	return 0;
}

static struct ctl_dhcp_client *find(struct ctl_dhcp *d, const char *iface)
{
	for (unsigned i = 0; i < d->n; i++)
		if (strcmp(d->v[i].iface, iface) == 0)
			return &d->v[i];
	return NULL;
}

void ctl_nl_dhcp_model(struct ctl_nl_follow *f)
{
	struct ctl_dhcp *d = &f->dhcp;
	for (unsigned i = 0; i < d->n; i++)
		d->v[i].wanted = false;
	for (unsigned i = 0; i < f->twins.n; i++) {
		const struct ctl_nl_twin *t = &f->twins.v[i];
		if (!t->dhcp)
			continue;
		struct ctl_dhcp_client *c = find(d, t->name);
		if (!c && d->n < CTL_DHCP_MAX) {
			c = &d->v[d->n++];
			*c = (struct ctl_dhcp_client){.backoff_ms = BACKOFF_FIRST_MS};
			snprintf(c->iface, sizeof(c->iface), "%s", t->name);
		}
		if (c)
			c->wanted = true;
	}
	d->addr_dirty = true;
}

/* A state-directory file of the client: dhcp-IF.SUFFIX. */
static void client_file(const struct ctl_dhcp *d, const struct ctl_dhcp_client *c,
			const char *suffix, char *path, size_t len)
{
	snprintf(path, len, "%s/dhcp-%s.%s", d->dir, c->iface, suffix);
}

/* The lease the script recorded, "" when none. */
static void recorded_lease(const struct ctl_dhcp *d, const struct ctl_dhcp_client *c, char *out,
			   size_t len)
{
	char path[320];
	client_file(d, c, "lease", path, sizeof(path));
	size_t got;
	char *text = svr_read_file(path, 64, &got);
	out[0] = '\0';
	if (text) {
		snprintf(out, len, "%.*s", (int)strcspn(text, "\n"), text);
		free(text);
	}
}

/* A client an earlier svr-control left (it was killed before it could stop it): its pid file
 * names a process that runs our script for this interface. Stopped, so that two clients never
 * fight over one twin. */
static void stop_stale(const struct ctl_dhcp *d, const struct ctl_dhcp_client *c)
{
	char path[320], proc[64];
	client_file(d, c, "pid", path, sizeof(path));
	size_t got;
	char *text = svr_read_file(path, 32, &got);
	long pid = text ? strtol(text, NULL, 10) : 0;
	free(text);
	if (pid <= 1)
		return;
	snprintf(proc, sizeof(proc), "/proc/%ld/cmdline", pid);
	char *cmd = svr_read_file(proc, 4096, &got);
	bool ours = false;
	for (size_t i = 0; cmd && i < got; i += strlen(cmd + i) + 1)
		ours = ours || strcmp(cmd + i, d->script) == 0;
	free(cmd);
	if (ours) {
		LOG_WARN("DHCP: interface %s: stopping the client an earlier svr-control left "
			 "(pid %ld)",
			 c->iface, pid);
		kill((pid_t)pid, SIGTERM);
	}
}

/* Starts the client in this thread's namespace (the twin's): posix_spawn's child inherits the
 * calling thread's namespaces; it gets the default signal dispositions and an empty mask (this
 * thread blocks every signal), none of svr-control's descriptors, and a fixed PATH. */
static void start(struct ctl_nl_follow *f, struct ctl_dhcp_client *c, const struct ctl_nl_link *l,
		  uint64_t now)
{
	struct ctl_dhcp *d = &f->dhcp;
	char keep[320], pidfile[320], env_dir[300], rec[32];
	client_file(d, c, "keep", keep, sizeof(keep));
	client_file(d, c, "pid", pidfile, sizeof(pidfile));
	snprintf(env_dir, sizeof(env_dir), "SVR_DHCP_DIR=%s", d->dir);
	stop_stale(d, c);
	recorded_lease(d, c, rec, sizeof(rec));
	char ip[32] = "";
	if (c->seen[0] && strcmp(c->seen, rec) == 0) { /* ask for it again, keep it meanwhile */
		snprintf(ip, sizeof(ip), "%.*s", (int)strcspn(c->seen, "/"), c->seen);
		int fd = open(keep, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd >= 0)
			close(fd);
	} else {
		unlink(keep);
	}
	/* -f foreground (ours to reap), -B ask for broadcast answers (we own no address yet),
	 * -T 2 -t 3 -A 5: three discovers 2 s apart, then a 5 s pause, for ever */
	char *argv[18] = {(char *)d->client, "-f", "-B", "-i", c->iface, "-s", d->script, "-p",
			  pidfile,           "-T", "2",  "-t", "3",      "-A", "5"};
	int argc = 15;
	if (ip[0]) {
		argv[argc++] = "-r";
		argv[argc++] = ip;
	}
	argv[argc] = NULL;
	char *envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", env_dir, NULL};
	posix_spawnattr_t attr;
	posix_spawn_file_actions_t fa;
	sigset_t none, all;
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawn_file_actions_init(&fa);
	/* a long-lived root process must not hold svr-control's sockets (libcurl's are not
	 * close-on-exec): only standard input, output and error */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	pid_t pid;
	/* the client program as the operator named it: the PATH svr-control runs with */
	int e = posix_spawnp(&pid, d->client, &fa, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (e) {
		LOG_ERR("DHCP: interface %s: cannot start %s: %s; trying again in %u s", c->iface,
			d->client, strerror(e), c->backoff_ms / 1000);
		c->start_at_ms = now + c->backoff_ms;
		c->backoff_ms =
		    c->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : c->backoff_ms * 2;
		return;
	}
	c->pid = pid;
	c->ifindex = l->ifindex;
	memcpy(c->mac, l->mac, sizeof(c->mac));
	f->st.dhcp_starts++;
	LOG_NOTICE("DHCP: interface %s: client %s started (pid %d)%s%s", c->iface, d->client,
		   (int)pid, ip[0] ? ", asking for " : "", ip);
}

/* Whether the client ended (reaped); logs how. */
static bool reaped(struct ctl_dhcp_client *c, uint64_t now)
{
	int status;
	pid_t r = waitpid(c->pid, &status, WNOHANG);
	if (r == 0 || (r < 0 && errno == EINTR))
		return false;
	if (r > 0 && WIFEXITED(status))
		LOG_WARN("DHCP: interface %s: client (pid %d) exited with status %d; starting it "
			 "again in %u s",
			 c->iface, (int)c->pid, WEXITSTATUS(status), c->backoff_ms / 1000);
	else if (r > 0 && WIFSIGNALED(status))
		LOG_WARN("DHCP: interface %s: client (pid %d) killed by signal %d; starting it "
			 "again in %u s",
			 c->iface, (int)c->pid, WTERMSIG(status), c->backoff_ms / 1000);
	c->pid = 0;
	c->start_at_ms = now + c->backoff_ms;
	c->backoff_ms = c->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : c->backoff_ms * 2;
	return true;
}

/* SIGTERM to the clients v[0..n) that run, then one wait for them all (SIGKILL after
 * STOP_WAIT_MS): a client that will not go must not hold the thread for long. */
static void stop_many(struct ctl_dhcp_client *const *v, unsigned n)
{
	unsigned left = 0;
	for (unsigned i = 0; i < n; i++)
		if (v[i]->pid && kill(v[i]->pid, SIGTERM) == 0)
			left++;
	for (unsigned waited = 0; left && waited <= STOP_WAIT_MS; waited += 10) {
		left = 0;
		for (unsigned i = 0; i < n; i++) {
			if (!v[i]->pid)
				continue;
			if (waitpid(v[i]->pid, NULL, WNOHANG) != 0) {
				LOG_INFO("DHCP: interface %s: client (pid %d) stopped", v[i]->iface,
					 (int)v[i]->pid);
				v[i]->pid = 0;
			} else {
				left++;
			}
		}
		if (left)
			ctl_nl_sleep_ms(10);
	}
	for (unsigned i = 0; i < n; i++)
		if (v[i]->pid) {
			LOG_WARN("DHCP: interface %s: client (pid %d) did not stop; killed",
				 v[i]->iface, (int)v[i]->pid);
			kill(v[i]->pid, SIGKILL);
			waitpid(v[i]->pid, NULL, 0);
			v[i]->pid = 0;
		}
}

/* The twin's first IPv4 address (not secondary), when it is the lease the script recorded, into
 * seen, for each client. */
static void read_addresses(struct ctl_nl_follow *f, uint64_t now)
{
	struct ctl_dhcp *d = &f->dhcp;
	struct nl_cache *cache = NULL;
	if (rtnl_addr_alloc_cache(f->cmd, &cache) < 0)
		return; /* tried again within a second */
	d->addr_dirty = false;
	d->addr_read_ms = now;
	for (unsigned i = 0; i < d->n; i++) {
		struct ctl_dhcp_client *c = &d->v[i];
		const struct ctl_nl_link *l = ctl_nl_links_by_name(&f->links, c->iface);
		char on_twin[32] = "", rec[32];
		for (struct nl_object *o = l ? nl_cache_get_first(cache) : NULL; o && !on_twin[0];
		     o = nl_cache_get_next(o)) {
			struct rtnl_addr *ra = (struct rtnl_addr *)o;
			struct nl_addr *a = rtnl_addr_get_local(ra);
			if ((uint32_t)rtnl_addr_get_ifindex(ra) != l->ifindex || !a ||
			    nl_addr_get_family(a) != AF_INET ||
			    (rtnl_addr_get_flags(ra) & IFA_F_SECONDARY))
				continue;
			char text[INET_ADDRSTRLEN];
			if (inet_ntop(AF_INET, nl_addr_get_binary_addr(a), text, sizeof(text)))
				snprintf(on_twin, sizeof(on_twin), "%s/%d", text,
					 rtnl_addr_get_prefixlen(ra));
		}
		recorded_lease(d, c, rec, sizeof(rec));
		const char *now_seen = strcmp(on_twin, rec) == 0 ? on_twin : "";
		if (strcmp(now_seen, c->seen) != 0) {
			snprintf(c->seen, sizeof(c->seen), "%s", now_seen);
			c->seen_at_ms = now;
		}
	}
	nl_cache_free(cache);
}

/* A lease steady on the twin for CTL_DHCP_STEADY_MS becomes the one compiled in; no lease, for
 * CTL_DHCP_LOSS_MS (a NAK's re-discovery goes from one lease to the next without a generation
 * with none). A lease the model would not take is tried again CTL_DHCP_RETRY_MS later. */
static void update_lease(struct ctl_nl_follow *f, struct ctl_dhcp_client *c, uint64_t now)
{
	const char *want = c->wanted ? c->seen : "";
	unsigned steady = want[0] ? CTL_DHCP_STEADY_MS : CTL_DHCP_LOSS_MS;
	if (strcmp(want, c->lease) == 0 || now < c->retry_at_ms ||
	    (c->wanted && now - c->seen_at_ms < steady))
		return;
	struct svr_model_errors errors = {0};
	uint64_t gen = 0;
	int r = svr_ctl_set_lease(f->ctl, c->iface, want, &errors, &gen);
	if (r < 0) {
		LOG_ERR("DHCP: interface %s: lease %s refused: %s: %s; the image in force stays, "
			"tried again in %u s",
			c->iface, want[0] ? want : "(none)",
			errors.count ? errors.list[0].path : "?",
			errors.count ? errors.list[0].message : "?", CTL_DHCP_RETRY_MS / 1000);
		c->retry_at_ms = now + CTL_DHCP_RETRY_MS;
		svr_model_errors_free(&errors);
		return;
	}
	if (r > 0)
		LOG_NOTICE("DHCP: interface %s: lease %s (was %s): generation %llu", c->iface,
			   want[0] ? want : "none", c->lease[0] ? c->lease : "none",
			   (unsigned long long)gen);
	if (r > 0)
		f->st.dhcp_lease_changes++;
	svr_model_errors_free(&errors);
	snprintf(c->lease, sizeof(c->lease), "%s", want);
}

void ctl_nl_dhcp_step(struct ctl_nl_follow *f)
{
	struct ctl_dhcp *d = &f->dhcp;
	if (!d->n)
		return;
	uint64_t now = ctl_nl_now_ms();
	/* a lease recorded just after its address came: looked at again soon */
	bool pending = false;
	for (unsigned i = 0; i < d->n; i++)
		pending = pending || strcmp(d->v[i].seen, d->v[i].lease) != 0;
	if (d->addr_dirty || now - d->addr_read_ms >= (pending ? 250u : 1000u))
		read_addresses(f, now);
	unsigned running = 0;
	for (unsigned i = 0; i < d->n;) {
		struct ctl_dhcp_client *c = &d->v[i];
		if (c->pid && reaped(c, now))
			d->addr_dirty = true;
		if (!c->wanted) {
			stop_many(&c, 1);
			update_lease(f, c, now); /* the lease goes out of the image */
			d->v[i] = d->v[--d->n];
			continue;
		}
		const struct ctl_nl_link *l = ctl_nl_links_by_name(&f->links, c->iface);
		/* the client reads its interface once: a twin made again (another index), or
		 * given another MAC (the dataplane gives a new twin the interface's MAC just
		 * after making it; a model may change it), needs a client started again */
		if (c->pid && l &&
		    (l->ifindex != c->ifindex || memcmp(l->mac, c->mac, sizeof(c->mac)) != 0)) {
			LOG_INFO("DHCP: interface %s: the twin was made again or changed its MAC; "
				 "restarting its client",
				 c->iface);
			stop_many(&c, 1);
			c->start_at_ms = now;
		}
		if (!c->pid && l && l->tun && d->script[0] && now >= c->start_at_ms)
			start(f, c, l, now);
		if (c->pid && c->seen[0]) /* it got a lease: a later exit starts from 1 s again */
			c->backoff_ms = BACKOFF_FIRST_MS;
		update_lease(f, c, now);
		running += c->pid != 0;
		i++;
	}
	f->st.dhcp_clients = running;
}

void ctl_nl_dhcp_stop_all(struct ctl_nl_follow *f)
{
	struct ctl_dhcp_client *v[CTL_DHCP_MAX];
	for (unsigned i = 0; i < f->dhcp.n; i++) {
		v[i] = &f->dhcp.v[i];
		v[i]->start_at_ms = 0;
	}
	stop_many(v, f->dhcp.n);
}
