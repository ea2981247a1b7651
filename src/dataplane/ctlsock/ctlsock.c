/* SPDX-License-Identifier: BSD-3-Clause */
#include "ctlsock/ctlsock.h"
#include "ctlsock/request.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "capture/capture.h"
#include "common/log.h"
#include "l2l3/fib.h"
#include "l2l3/neigh.h"
#include "common/image.h"
#include "core/dp.h"
#include "io/port.h"
#include "policy/channel.h"
#include "svr/ctlsock.h"
#include "session/sessions.h"
#include "svrpath/path.h"
#include "svr/version.h"

#define MAX_CLIENTS 16

struct client {
	int fd;
	size_t len;
	char buf[SVR_CTLSOCK_MAX_REQUEST];
};

static int listen_fd = -1;
static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static struct client *clients[MAX_CLIENTS];

int dp_ctlsock_open(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path)) {
		LOG_ERR("control socket path too long: %s", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	strcpy(sock_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	unlink(path); /* a stale socket from a crashed run */
	mode_t old = umask(0077);
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0 || listen(fd, 8) < 0) {
		LOG_ERR("cannot listen on %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	listen_fd = fd;
	LOG_INFO("control socket %s", path);
	return 0;
}

void dp_ctlsock_close(void)
{
	for (int i = 0; i < MAX_CLIENTS; i++) {
		if (clients[i]) {
			close(clients[i]->fd);
			free(clients[i]);
			clients[i] = NULL;
		}
	}
	if (listen_fd >= 0) {
		close(listen_fd);
		unlink(sock_path);
		listen_fd = -1;
	}
}

static json_t *mac_json(const struct rte_ether_addr *mac)
{
	char buf[18];
	return json_string(svr_mac_fmt(mac->addr_bytes, buf, sizeof(buf)));
}

static json_t *cmd_version(void)
{
	return json_pack("{s:s, s:s, s:I, s:i, s:i}", "version", SVR_VERSION, "instance",
			 dp.conf->instance, "uptime-s",
			 (json_int_t)((dp_now_ms() - dp.start_ms) / 1000), "workers",
			 (int)dp.n_workers, "pid", (int)getpid());
}

static const char *rss_name(const struct dp_rss *r)
{
	return !r->on ? "off" : r->symmetric ? "symmetric" : "device-key";
}

/* Packets each RX queue received (queues beyond the device's per-queue counters: none). */
static json_t *queue_packets(const struct rte_eth_stats *st, uint16_t n)
{
	json_t *a = json_array();
	for (uint16_t q = 0; q < n && q < RTE_ETHDEV_QUEUE_STAT_CNTRS; q++)
		json_array_append_new(a, json_integer((json_int_t)st->q_ipackets[q]));
	return a;
}

static json_t *cmd_ports(void)
{
	json_t *arr = json_array();
	for (unsigned pid = 0; pid < DP_MAX_PORTS; pid++) {
		const struct dp_port *p = dp_ports[pid];
		if (!p)
			continue;
		struct rte_eth_stats st = {0};
		struct rte_eth_link link = {0};
		struct rte_eth_dev_info info = {0};
		char name[RTE_ETH_NAME_MAX_LEN] = "";
		rte_eth_stats_get((uint16_t)pid, &st);
		rte_eth_link_get_nowait((uint16_t)pid, &link);
		rte_eth_dev_info_get((uint16_t)pid, &info);
		rte_eth_dev_get_name_by_port((uint16_t)pid, name);
		json_t *o = json_pack(
		    "{s:i, s:s, s:s, s:o, s:s, s:I, s:i, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
		    "s:I}",
		    "id", (int)pid, "name", name, "device", p->device, "mac", mac_json(&p->mac),
		    "link", link.link_status ? "up" : "down", "speed-mbps",
		    (json_int_t)link.link_speed, "rx-queues", (int)info.nb_rx_queues, "tx-queues",
		    (int)info.nb_tx_queues, "rx-packets", (json_int_t)st.ipackets, "rx-bytes",
		    (json_int_t)st.ibytes, "tx-packets", (json_int_t)st.opackets, "tx-bytes",
		    (json_int_t)st.obytes, "rx-missed", (json_int_t)st.imissed, "rx-errors",
		    (json_int_t)st.ierrors, "tx-errors", (json_int_t)st.oerrors, "rx-nombuf",
		    (json_int_t)st.rx_nombuf);
		uint16_t mtu = 0;
		rte_eth_dev_get_mtu((uint16_t)pid, &mtu);
		json_object_set_new(o, "mtu", json_integer(mtu));
		json_object_set_new(o, "rss", json_string(rss_name(&p->rss)));
		json_object_set_new(o, "reta-size", json_integer(p->reta_size));
		json_object_set_new(o, "rx-queue-packets", queue_packets(&st, info.nb_rx_queues));
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *addrs_json(const struct dp_iface *ifc)
{
	json_t *a = json_array();
	for (unsigned i = 0; i < ifc->n_addrs; i++) {
		char buf[64];
		json_array_append_new(
		    a, json_string(svr_prefix_fmt(&ifc->addrs[i], buf, sizeof(buf))));
	}
	return a;
}

static json_t *cmd_interfaces(void)
{
	json_t *arr = json_array();
	const struct dp_gen *g = dp_gen_main();
	for (unsigned i = 0; g && i < g->n_ifaces; i++) {
		const struct dp_iface *ifc = &g->ifaces[i];
		if (!ifc->in_use)
			continue;
		json_array_append_new(arr, json_pack("{s:s, s:i, s:i, s:o, s:i, s:o}", "name",
						     ifc->name, "port", ifc->port, "vlan",
						     ifc->vlan, "mac", mac_json(&ifc->mac), "mtu",
						     ifc->mtu, "addresses", addrs_json(ifc)));
	}
	return arr;
}

static json_t *cmd_stats(void)
{
	uint64_t drops[SVR_DROP_MAX];
	memcpy(drops, dp.main_stats.drops, sizeof(drops));
	uint64_t rx = 0, tx = 0, fwd = 0, punted = 0;
	uint64_t dropped = 0;
	json_t *workers = json_array();
	for (unsigned i = 0; i < dp.n_workers; i++) {
		/* Racy but word-sized reads of counters only the worker writes: good for display.
		 */
		const struct dp_worker_stats *s = &dp.workers[i]->stats;
		json_array_append_new(
		    workers,
		    json_pack(
			"{s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			"lcore", (int)dp.workers[i]->lcore, "rx-packets", (json_int_t)s->rx,
			"tx-packets", (json_int_t)s->tx, "forwarded", (json_int_t)s->forwarded,
			"punted", (json_int_t)s->punted, "dropped", (json_int_t)s->dropped,
			"busy-polls", (json_int_t)s->busy_polls, "idle-polls",
			(json_int_t)s->idle_polls, "sleeps", (json_int_t)s->sleeps, "slept-us",
			(json_int_t)s->slept_us, "busy-us",
			(json_int_t)(s->busy_cycles * 1000000.0 / (double)rte_get_tsc_hz()),
			"sessions-created", (json_int_t)s->sessions_created, "hmac-paired",
			(json_int_t)s->hmac_paired, "hmac-single", (json_int_t)s->hmac_single));
		rx += s->rx;
		tx += s->tx;
		fwd += s->forwarded;
		punted += s->punted;
		for (int r = 0; r < SVR_DROP_MAX; r++)
			drops[r] += s->drops[r];
	}
	json_t *jd = json_object();
	static const char *const drop_names[] = {
#define NAME(e, name, help) name,
	    SVR_DROP_REASONS(NAME)
#undef NAME
	};
	for (int r = 0; r < SVR_DROP_MAX; r++) {
		json_object_set_new(jd, drop_names[r], json_integer((json_int_t)drops[r]));
		dropped += drops[r];
	}
	json_t *je = json_object();
	static const char *const event_names[] = {
#define NAME(e, name) name,
	    SVR_EVENTS(NAME)
#undef NAME
	};
	for (int e = 0; e < SVR_EV_MAX; e++)
		json_object_set_new(je, event_names[e],
				    json_integer((json_int_t)dp.main_stats.events[e]));
	json_t *totals = json_pack("{s:I, s:I, s:I, s:I, s:I}", "rx-packets", (json_int_t)rx,
				   "tx-packets", (json_int_t)tx, "forwarded", (json_int_t)fwd,
				   "punted", (json_int_t)punted, "dropped", (json_int_t)dropped);
	return json_pack("{s:o, s:o, s:o, s:o}", "totals", totals, "workers", workers, "drops", jd,
			 "events", je);
}

static json_t *cmd_neighbors(void)
{
	json_t *arr = json_array();
	uint32_t it = 0, pos;
	uint64_t now = dp_now_ms();
	const struct dp_gen *g = dp_gen_main();
	while ((pos = svr_neigh_next(dp.neigh, &it)) != SVR_NEIGH_NONE) {
		const struct svr_neigh *n = svr_neigh_entry(dp.neigh, pos);
		const char *ifname =
		    g && g->ifaces[n->iface].in_use ? g->ifaces[n->iface].name : "-";
		struct rte_ether_addr mac;
		char ip[64], macs[18] = "";
		if (svr_neigh_mac(dp.neigh, pos, &mac))
			svr_mac_fmt(mac.addr_bytes, macs, sizeof(macs));
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:I, s:i}", "address",
						     svr_ip_fmt(&n->ip, ip, sizeof(ip)),
						     "interface", ifname, "mac", macs, "state",
						     svr_neigh_state_name(n->state), "age-s",
						     (json_int_t)((now - n->confirmed_ms) / 1000),
						     "queued", (int)n->n_queued));
	}
	return arr;
}

static json_t *cmd_routes(void)
{
	static const char *const types[] = {"none", "local", "connected", "gateway", "broadcast"};
	json_t *arr = json_array();
	const struct dp_gen *g = dp_gen_main();
	for (uint32_t i = 0; g && i < g->fib->n_routes; i++) {
		const struct svr_route *r = &g->fib->routes[i];
		const struct svr_nexthop *h = &g->fib->nh[r->nh];
		char p[64], gw[64] = "";
		if (h->type == SVR_NH_GATEWAY)
			svr_ip_fmt(&h->gateway, gw, sizeof(gw));
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s}", "prefix",
						     svr_prefix_fmt(&r->prefix, p, sizeof(p)),
						     "type", types[h->type], "gateway", gw,
						     "interface", g->ifaces[h->iface].name));
	}
	return arr;
}

static json_t *cmd_policy(void)
{
	const struct dp_gen *g = dp_gen_main();
	uint32_t n_services = 0, n_tenants = 0;
	const char *router = "";
	if (g && g->image) {
		svr_img_table(g->image, SVR_SEC_SERVICES, &n_services);
		svr_img_table(g->image, SVR_SEC_TENANTS, &n_tenants);
		router = svr_img_str(g->image, svr_img_hdr(g->image)->router_name);
	}
	return json_pack("{s:I, s:s, s:s, s:I, s:I, s:i, s:i, s:I, s:I, s:s}", "generation",
			 (json_int_t)(g ? g->generation : 0), "router", router, "channel",
			 dp_channel_name(), "image-bytes", (json_int_t)(g ? g->image_len : 0),
			 "services", (json_int_t)n_services, "tenants", (int)n_tenants,
			 "interfaces", g ? (int)g->n_ifaces : 0, "images-applied",
			 (json_int_t)dp.main_stats.events[SVR_EV_POLICY_APPLIED], "images-rejected",
			 (json_int_t)dp.main_stats.events[SVR_EV_POLICY_REJECTED], "last-error",
			 dp_channel_last_error());
}

/* "sessions": filters and paging (see include/svr/ctlsock.h). */
static json_t *cmd_sessions(const struct dp_ctl_request *r, const char **error)
{
	(void)error;
	struct dp_session_filter f = {.tenant = r->tenant,
				      .service = r->service,
				      .has_addr = r->has_addr,
				      .addr = r->addr,
				      .cursor = r->cursor,
				      .limit = r->limit};
	json_t *arr = json_array();
	uint32_t next = dp_sessions_list(&f, arr);
	return json_pack("{s:o, s:o, s:I}", "summary", dp_sessions_summary(), "sessions", arr,
			 "next", (json_int_t)next);
}

static int64_t session_of(const struct dp_ctl_request *r, const char **error)
{
	int64_t idx = r->uuid_valid ? dp_session_by_uuid(r->uuid) : -1;
	if (idx < 0)
		*error = "no live session has this uuid";
	return idx;
}

static json_t *cmd_session(const struct dp_ctl_request *r, const char **error)
{
	int64_t idx = session_of(r, error);
	json_t *o = idx >= 0 ? dp_session_json((uint32_t)idx) : NULL;
	if (idx >= 0 && !o)
		*error = "no live session has this uuid";
	return o;
}

static json_t *cmd_session_clear(const struct dp_ctl_request *r, const char **error)
{
	int64_t idx = session_of(r, error);
	if (idx < 0)
		return NULL;
	if (!dp_session_clear((uint32_t)idx)) {
		*error = "no live session has this uuid";
		return NULL;
	}
	return json_pack("{s:s}", "cleared", r->uuid_text);
}

/* {"cmd": "test-clock", "offset-s": N, "at-unix-s": T} moves this router's wall clock N
 * seconds from the system's, from real time T on (absent or past: now). Test builds only. */
static json_t *cmd_test_clock(const struct dp_ctl_request *r, const char **error)
{
#ifdef SVR_TEST_HOOKS
	(void)error;
	dp_sessions_test_clock(r->clock_offset_s, r->clock_at_s);
	return json_pack("{s:I, s:I, s:I}", "offset-s", (json_int_t)r->clock_offset_s, "at-unix-s",
			 (json_int_t)r->clock_at_s, "unix-s",
			 (json_int_t)atomic_load(&dp_sess.unix_s));
#else
	(void)r;
	*error = "test-clock: only a test build serves it (meson -Dtest_hooks=true)";
	return NULL;
#endif
}

static json_t *(*const commands[DP_CTL_CMDS])(void) = {
    [DP_CTL_POLICY] = cmd_policy, [DP_CTL_VERSION] = cmd_version,
    [DP_CTL_PORTS] = cmd_ports,   [DP_CTL_INTERFACES] = cmd_interfaces,
    [DP_CTL_STATS] = cmd_stats,   [DP_CTL_NEIGHBORS] = cmd_neighbors,
    [DP_CTL_ROUTES] = cmd_routes, [DP_CTL_PEERS] = dp_svr_peers_json,
};

/* Capture commands read their own arguments from the request (capture/capture.c). */
static json_t *cmd_capture_start(const struct dp_ctl_request *r, const char **error)
{
	return dp_capture_start_cmd(r->doc, error);
}

static json_t *cmd_capture_read(const struct dp_ctl_request *r, const char **error)
{
	return dp_capture_read_cmd(r->doc, error);
}

static json_t *cmd_capture_stop(const struct dp_ctl_request *r, const char **error)
{
	return dp_capture_stop_cmd(r->doc, error);
}

/* Commands with arguments: NULL and *error when they cannot be served. */
static json_t *(*const arg_commands[DP_CTL_CMDS])(const struct dp_ctl_request *r,
						  const char **error) = {
    [DP_CTL_SESSIONS] = cmd_sessions,           [DP_CTL_SESSION] = cmd_session,
    [DP_CTL_SESSION_CLEAR] = cmd_session_clear, [DP_CTL_TEST_CLOCK] = cmd_test_clock,
    [DP_CTL_CAPTURE_START] = cmd_capture_start, [DP_CTL_CAPTURE_READ] = cmd_capture_read,
    [DP_CTL_CAPTURE_STOP] = cmd_capture_stop,
};

static json_t *dispatch(const char *line)
{
	struct dp_ctl_request r;
	char err[256];
	if (dp_ctl_request_parse(line, &r, err, sizeof(err)) < 0)
		return json_pack("{s:b, s:s}", "ok", 0, "error", err);
	json_t *resp;
	if (commands[r.cmd]) {
		resp = json_pack("{s:b, s:o}", "ok", 1, "data", commands[r.cmd]());
	} else {
		const char *error = "failed";
		json_t *data = arg_commands[r.cmd](&r, &error);
		resp = data ? json_pack("{s:b, s:o}", "ok", 1, "data", data)
			    : json_pack("{s:b, s:s}", "ok", 0, "error", error);
	}
	dp_ctl_request_free(&r);
	return resp;
}

/*
 * Answers fit the socket buffer (SNDBUF_BYTES), so send does not block. A client
 * that stops reading gets WRITE_WAIT_MS in all, then is dropped: the main lcore
 * also runs the slow path and must not wait on it.
 */
#define SNDBUF_BYTES  (4 << 20)
#define WRITE_WAIT_MS 20

static int write_all(int fd, const char *buf, size_t len)
{
	int waited = 0;
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd p = {.fd = fd, .events = POLLOUT};
			if (waited >= WRITE_WAIT_MS || poll(&p, 1, WRITE_WAIT_MS - waited) <= 0)
				return -1;
			waited += 5; /* coarse: each wake-up counts as a few ms */
			continue;
		}
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void client_drop(int i)
{
	close(clients[i]->fd);
	free(clients[i]);
	clients[i] = NULL;
}

static void client_read(int i)
{
	struct client *c = clients[i];
	ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len - 1, 0);
	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		client_drop(i);
		return;
	}
	c->len += (size_t)n;
	char *nl;
	while ((nl = memchr(c->buf, '\n', c->len))) {
		*nl = '\0';
		json_t *resp = dispatch(c->buf);
		char *text = json_dumps(resp, JSON_COMPACT);
		json_decref(resp);
		int rc = text ? write_all(c->fd, text, strlen(text)) : -1;
		if (rc == 0)
			rc = write_all(c->fd, "\n", 1);
		free(text);
		if (rc < 0) {
			client_drop(i);
			return;
		}
		size_t used = (size_t)(nl - c->buf) + 1;
		memmove(c->buf, nl + 1, c->len - used);
		c->len -= used;
	}
	if (c->len >= sizeof(c->buf) - 1) {
		LOG_WARN("control socket: request over %d bytes, closing", SVR_CTLSOCK_MAX_REQUEST);
		client_drop(i);
	}
}

void dp_ctlsock_poll(int timeout_ms)
{
	struct pollfd pfd[MAX_CLIENTS + 1];
	int idx[MAX_CLIENTS + 1];
	nfds_t n = 0;
	pfd[n] = (struct pollfd){.fd = listen_fd, .events = POLLIN};
	idx[n++] = -1;
	for (int i = 0; i < MAX_CLIENTS; i++) {
		if (clients[i]) {
			pfd[n] = (struct pollfd){.fd = clients[i]->fd, .events = POLLIN};
			idx[n++] = i;
		}
	}
	if (poll(pfd, n, timeout_ms) <= 0)
		return;
	for (nfds_t k = 1; k < n; k++)
		if (pfd[k].revents && clients[idx[k]])
			client_read(idx[k]);
	if (pfd[0].revents & POLLIN) {
		int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		int sz = SNDBUF_BYTES;
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		for (int i = 0; i < MAX_CLIENTS; i++) {
			if (!clients[i]) {
				clients[i] = calloc(1, sizeof(*clients[i]));
				if (!clients[i])
					break;
				clients[i]->fd = fd;
				return;
			}
		}
		close(fd); /* too many clients */
	}
}
