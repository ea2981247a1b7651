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

#include "common/log.h"
#include "ctl.h"
#include "netlink/follow_int.h"

extern char **environ;

#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS   30000
#define STOP_WAIT_MS     2000

/*
 * udhcpc's hook: it runs with the action as $1 and the lease in the environment. The first
 * "deconfig" of a client started while the twin holds an address (svr-control restarted) keeps
 * it: the client asks for that address again (-r), so a restart changes nothing on the wire.
 */
static const char script_text[] =
    "#!/bin/sh\n"
    "# Written by svr-control: udhcpc's hook for a kernel twin (docs/routing.md, \"DHCP on a\n"
    "# WAN interface\"). It puts the lease on the twin and a default route through the\n"
    "# lease's router; svr-control sees the address there and gives it to the dataplane.\n"
    "keep=\"$SVR_DHCP_DIR/dhcp-$interface.keep\"\n"
    "case \"$1\" in\n"
    "deconfig)\n"
    "\tif [ -e \"$keep\" ]; then rm -f \"$keep\"; exit 0; fi\n"
    "\tip -4 addr flush dev \"$interface\"\n"
    "\t;;\n"
    "bound|renew)\n"
    "\trm -f \"$keep\"\n"
    "\tnew=\"$ip/$mask\"\n"
    "\told=$(ip -4 -o addr show dev \"$interface\" | { read -r _ _ _ a _; echo \"$a\"; })\n"
    "\tif [ \"$old\" != \"$new\" ]; then\n"
    "\t\tip -4 addr flush dev \"$interface\"\n"
    "\t\tip addr add \"$new\" dev \"$interface\" || exit 1\n"
    "\tfi\n"
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
		if (!c && d->n < sizeof(d->v) / sizeof(d->v[0])) {
			c = &d->v[d->n++];
			*c = (struct ctl_dhcp_client){.backoff_ms = BACKOFF_FIRST_MS};
			snprintf(c->iface, sizeof(c->iface), "%s", t->name);
		}
		if (c)
			c->wanted = true;
	}
	d->addr_dirty = true;
}

/* Starts the client in this thread's namespace (the twin's): posix_spawn's child inherits the
 * calling thread's namespaces, and gets the default signal dispositions and an empty mask (this
 * thread blocks every signal, which the client would inherit). */
static void start(struct ctl_nl_follow *f, struct ctl_dhcp_client *c, uint64_t now)
{
	struct ctl_dhcp *d = &f->dhcp;
	char keep[320], env_dir[300];
	snprintf(keep, sizeof(keep), "%s/dhcp-%s.keep", d->dir, c->iface);
	snprintf(env_dir, sizeof(env_dir), "SVR_DHCP_DIR=%s", d->dir);
	char ip[32] = "";
	if (c->seen[0]) { /* ask for the address the twin holds, and keep it meanwhile */
		snprintf(ip, sizeof(ip), "%s", c->seen);
		char *slash = strchr(ip, '/');
		if (slash)
			*slash = '\0';
		int fd = open(keep, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd >= 0)
			close(fd);
	} else {
		unlink(keep);
	}
	/* -f foreground (ours to reap), -B ask for broadcast answers (we own no address yet),
	 * -T 2 -t 3 -A 5: three discovers 2 s apart, then a 5 s pause, for ever */
	char *argv[16] = {(char *)d->client,
			  "-f",
			  "-B",
			  "-i",
			  c->iface,
			  "-s",
			  d->script,
			  "-T",
			  "2",
			  "-t",
			  "3",
			  "-A",
			  "5"};
	int argc = 13;
	if (ip[0]) {
		argv[argc++] = "-r";
		argv[argc++] = ip;
	}
	argv[argc] = NULL;
	size_t n_env = 0;
	while (environ[n_env])
		n_env++;
	char **envp = calloc(n_env + 2, sizeof(*envp));
	if (!envp)
		return;
	memcpy(envp, environ, n_env * sizeof(*envp));
	envp[n_env] = env_dir;
	posix_spawnattr_t attr;
	sigset_t none, all;
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	pid_t pid;
	int e = posix_spawnp(&pid, d->client, NULL, &attr, argv, envp);
	posix_spawnattr_destroy(&attr);
	free(envp);
	if (e) {
		LOG_ERR("DHCP: interface %s: cannot start %s: %s; trying again in %u s", c->iface,
			d->client, strerror(e), c->backoff_ms / 1000);
		c->start_at_ms = now + c->backoff_ms;
		c->backoff_ms =
		    c->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : c->backoff_ms * 2;
		return;
	}
	c->pid = pid;
	const struct ctl_nl_link *l = ctl_nl_links_by_name(&f->links, c->iface);
	if (l)
		memcpy(c->mac, l->mac, sizeof(c->mac));
	d->starts++;
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

static void stop(struct ctl_dhcp_client *c)
{
	if (!c->pid)
		return;
	kill(c->pid, SIGTERM);
	for (unsigned waited = 0; waited < STOP_WAIT_MS; waited += 10) {
		if (waitpid(c->pid, NULL, WNOHANG) != 0)
			goto gone;
		ctl_nl_sleep_ms(10);
	}
	kill(c->pid, SIGKILL);
	waitpid(c->pid, NULL, 0);
gone:
	LOG_INFO("DHCP: interface %s: client (pid %d) stopped", c->iface, (int)c->pid);
	c->pid = 0;
}

/* The first IPv4 address (not secondary) of each client's twin, into seen. */
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
		char now_seen[32] = "";
		for (struct nl_object *o = l ? nl_cache_get_first(cache) : NULL; o && !now_seen[0];
		     o = nl_cache_get_next(o)) {
			struct rtnl_addr *ra = (struct rtnl_addr *)o;
			struct nl_addr *a = rtnl_addr_get_local(ra);
			if ((uint32_t)rtnl_addr_get_ifindex(ra) != l->ifindex || !a ||
			    nl_addr_get_family(a) != AF_INET ||
			    (rtnl_addr_get_flags(ra) & IFA_F_SECONDARY))
				continue;
			char text[INET_ADDRSTRLEN];
			if (inet_ntop(AF_INET, nl_addr_get_binary_addr(a), text, sizeof(text)))
				snprintf(now_seen, sizeof(now_seen), "%s/%d", text,
					 rtnl_addr_get_prefixlen(ra));
		}
		if (strcmp(now_seen, c->seen) != 0) {
			snprintf(c->seen, sizeof(c->seen), "%s", now_seen);
			c->seen_at_ms = now;
		}
	}
	nl_cache_free(cache);
}

/* An address steady on the twin for CTL_DHCP_STEADY_MS becomes the lease compiled in: the
 * script's flush-then-add, or a client's start, does not cost the dataplane its address. */
static void update_lease(struct ctl_nl_follow *f, struct ctl_dhcp_client *c, uint64_t now)
{
	const char *want = c->wanted ? c->seen : "";
	if (strcmp(want, c->lease) == 0 || (c->wanted && now - c->seen_at_ms < CTL_DHCP_STEADY_MS))
		return;
	struct svr_model_errors errors = {0};
	uint64_t gen = 0;
	int r = svr_ctl_set_lease(f->ctl, c->iface, want, &errors, &gen);
	if (r < 0)
		LOG_ERR("DHCP: interface %s: the model does not compile with lease %s: %s: %s; "
			"the image in force stays",
			c->iface, want[0] ? want : "(none)",
			errors.count ? errors.list[0].path : "?",
			errors.count ? errors.list[0].message : "?");
	else
		LOG_NOTICE("DHCP: interface %s: lease %s (was %s)%s", c->iface,
			   want[0] ? want : "none", c->lease[0] ? c->lease : "none",
			   r > 0 ? ", compiled into a new generation" : "");
	if (r > 0)
		LOG_INFO("DHCP: interface %s: generation %llu", c->iface, (unsigned long long)gen);
	svr_model_errors_free(&errors);
	f->st.dhcp_lease_changes++;
	snprintf(c->lease, sizeof(c->lease), "%s", want);
}

void ctl_nl_dhcp_step(struct ctl_nl_follow *f)
{
	struct ctl_dhcp *d = &f->dhcp;
	if (!d->n)
		return;
	uint64_t now = ctl_nl_now_ms();
	if (d->addr_dirty || now - d->addr_read_ms >= 1000)
		read_addresses(f, now);
	unsigned running = 0;
	for (unsigned i = 0; i < d->n;) {
		struct ctl_dhcp_client *c = &d->v[i];
		if (c->pid && reaped(c, now))
			d->addr_dirty = true;
		if (!c->wanted) {
			stop(c);
			update_lease(f, c, now); /* the lease goes out of the image */
			d->v[i] = d->v[--d->n];
			continue;
		}
		const struct ctl_nl_link *l = ctl_nl_links_by_name(&f->links, c->iface);
		/* the client reads the MAC once: the dataplane gives a new twin the interface's
		 * MAC just after making it (and a model may change it), so a client that started
		 * with another one starts again */
		if (c->pid && l && memcmp(l->mac, c->mac, sizeof(c->mac)) != 0) {
			LOG_INFO(
			    "DHCP: interface %s: the twin's MAC changed; restarting its client",
			    c->iface);
			stop(c);
			c->start_at_ms = now;
		}
		if (!c->pid && l && l->tun && d->script[0] && now >= c->start_at_ms)
			start(f, c, now);
		update_lease(f, c, now);
		running += c->pid != 0;
		i++;
	}
	f->st.dhcp_clients = running;
}

void ctl_nl_dhcp_stop_all(struct ctl_nl_follow *f)
{
	for (unsigned i = 0; i < f->dhcp.n; i++)
		stop(&f->dhcp.v[i]);
}
