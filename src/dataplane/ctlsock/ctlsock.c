/* SPDX-License-Identifier: BSD-3-Clause */
#include "ctlsock/ctlsock.h"

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
#include "main/dp.h"
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

static json_t *cmd_ports(void)
{
	json_t *arr = json_array();
	for (unsigned pid = 0; pid < DP_MAX_PORTS; pid++) {
		const struct dp_port *p = dp.ports[pid];
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
static json_t *cmd_sessions(const json_t *req, const char **error)
{
	struct dp_session_filter f = {.limit = 100};
	f.tenant = json_string_value(json_object_get(req, "tenant"));
	f.service = json_string_value(json_object_get(req, "service"));
	const char *addr = json_string_value(json_object_get(req, "address"));
	if (addr) {
		if (svr_ip_parse(addr, &f.addr) < 0) {
			*error = "address: not an IPv4 or IPv6 address";
			return NULL;
		}
		f.has_addr = true;
	}
	const json_t *c = json_object_get(req, "cursor"), *l = json_object_get(req, "limit");
	if (c && (!json_is_integer(c) || json_integer_value(c) < 0 ||
		  json_integer_value(c) > UINT32_MAX)) {
		*error = "cursor: must be the \"next\" value of a previous answer";
		return NULL;
	}
	if (l && (!json_is_integer(l) || json_integer_value(l) < 1 ||
		  json_integer_value(l) > SVR_CTLSOCK_MAX_SESSIONS)) {
		*error = "limit: must be an integer 1-1000";
		return NULL;
	}
	if (c)
		f.cursor = (uint32_t)json_integer_value(c);
	if (l)
		f.limit = (uint32_t)json_integer_value(l);
	json_t *arr = json_array();
	uint32_t next = dp_sessions_list(&f, arr);
	return json_pack("{s:o, s:o, s:I}", "summary", dp_sessions_summary(), "sessions", arr,
			 "next", (json_int_t)next);
}

static int64_t session_of(const json_t *req, const char **error)
{
	const char *uuid = json_string_value(json_object_get(req, "uuid"));
	int64_t idx = uuid ? dp_session_by_uuid(uuid) : -1;
	if (idx < 0)
		*error = uuid ? "no live session has this uuid" : "uuid: required";
	return idx;
}

static json_t *cmd_session(const json_t *req, const char **error)
{
	int64_t idx = session_of(req, error);
	json_t *o = idx >= 0 ? dp_session_json((uint32_t)idx) : NULL;
	if (idx >= 0 && !o)
		*error = "no live session has this uuid";
	return o;
}

static json_t *cmd_session_clear(const json_t *req, const char **error)
{
	int64_t idx = session_of(req, error);
	if (idx < 0)
		return NULL;
	if (!dp_session_clear((uint32_t)idx)) {
		*error = "no live session has this uuid";
		return NULL;
	}
	return json_pack("{s:O}", "cleared", json_object_get(req, "uuid"));
}

#ifdef SVR_TEST_HOOKS
/* Test builds only: {"cmd": "test-clock", "offset-s": N, "at-unix-s": T} moves this router's
 * wall clock N seconds from the system's, from real time T on (absent or past: now). */
static json_t *cmd_test_clock(const json_t *req, const char **error)
{
	const json_t *off = json_object_get(req, "offset-s"),
		     *at = json_object_get(req, "at-unix-s");
	if (!json_is_integer(off) || (at && !json_is_integer(at))) {
		*error = "offset-s: an integer is required (and at-unix-s, if given, an integer)";
		return NULL;
	}
	json_int_t o = json_integer_value(off), a = at ? json_integer_value(at) : 0;
	if (o < -(1LL << 40) || o > (1LL << 40)) {
		*error = "offset-s: out of range";
		return NULL;
	}
	dp_sessions_test_clock((int64_t)o, (int64_t)a);
	return json_pack("{s:I, s:I, s:I}", "offset-s", o, "at-unix-s", a, "unix-s",
			 (json_int_t)atomic_load(&dp_sess.unix_s));
}
#endif

static const struct {
	const char *name;
	json_t *(*fn)(void);
} commands[] = {
    {"policy", cmd_policy},         {"version", cmd_version},     {"ports", cmd_ports},
    {"interfaces", cmd_interfaces}, {"stats", cmd_stats},         {"neighbors", cmd_neighbors},
    {"routes", cmd_routes},         {"peers", dp_svr_peers_json},
};

/* Commands with arguments: NULL and *error on a bad request. */
static const struct {
	const char *name;
	json_t *(*fn)(const json_t *req, const char **error);
} arg_commands[] = {
    {"sessions", cmd_sessions},
    {"session", cmd_session},
    {"session-clear", cmd_session_clear},
    {"capture-start", dp_capture_start_cmd},
    {"capture-read", dp_capture_read_cmd},
    {"capture-stop", dp_capture_stop_cmd},
#ifdef SVR_TEST_HOOKS
    {"test-clock", cmd_test_clock},
#endif
};

static json_t *dispatch(const char *line)
{
	json_error_t err;
	json_t *req = json_loads(line, 0, &err);
	if (!req)
		return json_pack("{s:b, s:s+}", "ok", 0, "error", "malformed request: ", err.text);
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	json_t *resp = NULL;
	for (size_t i = 0; cmd && i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(cmd, commands[i].name) == 0)
			resp = json_pack("{s:b, s:o}", "ok", 1, "data", commands[i].fn());
	for (size_t i = 0; cmd && !resp && i < sizeof(arg_commands) / sizeof(arg_commands[0]);
	     i++) {
		if (strcmp(cmd, arg_commands[i].name) != 0)
			continue;
		const char *error = "failed";
		json_t *data = arg_commands[i].fn(req, &error);
		resp = data ? json_pack("{s:b, s:o}", "ok", 1, "data", data)
			    : json_pack("{s:b, s:s}", "ok", 0, "error", error);
	}
	if (!resp)
		resp = json_pack("{s:b, s:s+}", "ok", 0, "error",
				 "unknown command: ", cmd ? cmd : "(no \"cmd\")");
	json_decref(req);
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
