/* SPDX-License-Identifier: BSD-3-Clause */
/* Session state of the process, ageing (main lcore) and the operator's view of sessions. */
#include "session/sessions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_byteorder.h>
#include <rte_eal.h>
#include <rte_malloc.h>

#include "common/ipfix.h"
#include "common/hex.h"
#include "common/inet.h"
#include "common/log.h"
#include "core/dp.h"
#include "session/command_args.h"
#include "session/ext.h"
#include "session/limits.h"
#include "session/records.h"
#include "session/frag.h"
#include "flow/names.h"
#include "svrpath/path.h"

/*
 * The wall clock the dataplane runs on (access-rule windows, key not-before times, the
 * time-based HMAC step). In a test build the control socket's test-clock command may offset
 * it, so that tests cross those times without sleeping; two routers given the same at_unix_s
 * move together, at the same tick as their seconds change.
 */
static int64_t wall_clock(void)
{
	int64_t now = (int64_t)time(NULL);
	return now +
	       (now >= dp_sess.clock_at_s ? dp_sess.clock_offset_s : dp_sess.clock_prev_offset_s);
}

#ifdef SVR_TEST_HOOKS
void dp_sessions_test_clock(int64_t offset_s, int64_t at_unix_s)
{
	int64_t now = (int64_t)time(NULL);
	dp_sess.clock_prev_offset_s =
	    now >= dp_sess.clock_at_s ? dp_sess.clock_offset_s : dp_sess.clock_prev_offset_s;
	dp_sess.clock_offset_s = offset_s;
	dp_sess.clock_at_s = at_unix_s;
	atomic_store_explicit(&dp_sess.unix_s, wall_clock(), memory_order_relaxed);
	LOG_WARN("test clock: from unix time %lld on, %+lld s from the system clock",
		 (long long)at_unix_s, (long long)offset_s);
}

void dp_sessions_test_clock_hold(bool hold)
{
	dp_sess.clock_held = hold;
	LOG_WARN("test clock: the dataplane's clocks %s", hold ? "held" : "running again");
}
#endif

/* The whole used part of the table is scanned for idle sessions about once per this. */
#define AGE_PASS_MS 1000

/* --- the sessions-clear job's state (its functions: the end of this file) --- */

/* Entries a job visits per turn of the main loop, and the time it may take at most (ending a
 * session costs about a microsecond): BFD's timers (10 ms at the least) and the control socket
 * keep their turns. */
#define CLEAR_SLICE   16384
#define CLEAR_TURN_US 1000
static uint32_t clear_turn_us = CLEAR_TURN_US; /* 0: no bound (tests counting slices) */
/* The part of the main lcore's record ring a job leaves to ageing's records. */
#define CLEAR_RECORDS_RESERVE (DP_RECORDS_MAIN_RING / 4)
/* A job waiting for room in that ring goes on once it can end this many: batches, not a trickle
 * of a few sessions per turn. */
#define CLEAR_RECORDS_BATCH 4096
/* How long a job waits for the IPFIX exporter to make room in that ring before it ends
 * sessions all the same (their end records then lost, counted): a stuck exporter never holds
 * a clear. */
#define CLEAR_RECORDS_WAIT_MS 1000

static struct clear_job {
	uint32_t id; /* 0: none since the start */
	bool running;
	struct dp_session_filter filter; /* its names point into tenant and service below */
	char tenant[DP_SESSION_NAME_MAX + 1], service[DP_SESSION_NAME_MAX + 1];
	uint32_t cursor, end; /* entries [0, end): the used part of the table at its start; the
				 cursor is also how many it visited */
	uint64_t cleared;
	uint64_t started_ms, ended_ms;
	uint64_t waiting_since_ms; /* for room in the record ring; 0: not waiting */
	uint64_t waits, waited_ms; /* how often and how long it waited (the log's end line) */
} clear_job;

int dp_sessions_init(uint32_t capacity, uint32_t capacity6)
{
	char name[32];
	snprintf(name, sizeof(name), "sess-%.12s", dp.conf->instance);
	dp_sess.table = svr_session_table_create(name, capacity, capacity6, dp.qsbr);
	dp_sess.tenant_live =
	    rte_zmalloc("svr_tenant_live", sizeof(*dp_sess.tenant_live) * 65536, 64);
	dp_sess.svc_live = rte_zmalloc("svr_svc_live", sizeof(*dp_sess.svc_live) * 65536, 64);
	dp_sess.src_rate =
	    rte_zmalloc("svr_src_rate", sizeof(*dp_sess.src_rate) * DP_SRC_RATE_SLOTS, 64);
	dp_sess.tenants = svr_names_create();
	dp_sess.services = svr_names_create();
	dp_sess.rules = svr_names_create();
	if (!dp_sess.table || !dp_sess.tenant_live || !dp_sess.svc_live || !dp_sess.src_rate ||
	    !dp_sess.tenants || !dp_sess.services || !dp_sess.rules ||
	    dp_ext_init(dp.conf ? dp.conf->ext_slots : DP_EXT_SLOTS_MIN,
			dp.conf ? dp.conf->dup_windows : DP_DUP_WINDOWS_MIN) < 0 ||
	    dp_session_limits_init(dp.n_workers) < 0) {
		LOG_ERR("cannot allocate a session table of %u sessions (lower sessions.capacity, "
			"or %s)",
			capacity,
			rte_eal_has_hugepages()
			    ? "raise eal.memory-mb"
			    : "free system memory: without huge pages the table's "
			      "large arrays are outside eal.memory-mb");
		return -1;
	}
	atomic_store(&dp_sess.unix_s, wall_clock());
	LOG_INFO("session table: %u sessions (IPv6 up to %u)", capacity, capacity6);
#ifdef SVR_TEST_HOOKS
	LOG_WARN("built with test hooks: the control socket can move this router's clock");
#endif
	return 0;
}

void dp_sessions_free(void)
{
	dp_ext_free();
	dp_session_limits_free();
	svr_session_table_free(dp_sess.table);
	rte_free((void *)dp_sess.tenant_live);
	rte_free((void *)dp_sess.svc_live);
	rte_free((void *)dp_sess.src_rate);
	svr_names_free(dp_sess.tenants);
	svr_names_free(dp_sess.services);
	svr_names_free(dp_sess.rules);
	memset(&dp_sess, 0, sizeof(dp_sess));
	memset(&clear_job, 0, sizeof(clear_job));
}

/* A service's live count down by an ended session (never below zero: a session made before
 * the router counted services may end after). */
static void service_uncount(uint16_t service)
{
	_Atomic uint32_t *c = &dp_sess.svc_live[service];
	uint32_t v = atomic_load_explicit(c, memory_order_relaxed);
	while (v && !atomic_compare_exchange_weak_explicit(c, &v, v - 1, memory_order_relaxed,
							   memory_order_relaxed))
		;
}

/*
 * Deletes a live session and gives back what it held in the limits. An entry a moved session
 * left (svr_session_move4) held nothing of its own: its successor holds the session.
 */
static bool end_session(uint32_t idx, uint8_t reason)
{
	struct svr_session *s = &dp_sess.table->entries[idx];
	struct dp_session_record rec; /* taken while the session is whole */
	bool recorded = dp_session_record_end(dp_gen_main(), idx, reason, &rec);
	uint16_t tenant = svr_session_info(dp_sess.table, s)->tenant;
	uint16_t service = svr_session_info(dp_sess.table, s)->service;
	uint16_t x = dp_ext_of(svr_session_rw(s, SVR_DIR_FWD));
	/* Deleted first: a worker moving the session meanwhile marks it moved, and then this is a
	 * moved entry's end, which gives back nothing (the session lives on). The entry stays
	 * intact until its grace period, so what follows still reads it. */
	uint8_t live = svr_session_delete(dp_sess.table, idx); /* gives back its half-open count */
	if (!live)
		return false;
	if (live & (SVR_LIVE_MOVED | SVR_LIVE_ALIAS))
		return true;
	if (recorded)
		dp_session_record_ended(&rec);
	/* an SVR egress session: its first packet must not open it again (replays) */
	dp_svr_session_ending(s);
	if (x != DP_EXT_NONE) {
		/* a duplicated session: its second leg goes with it (read after the delete: a
		 * worker linking one meanwhile sees the session gone, or is seen here), then its
		 * slot, after the grace period (a worker may still be sending through it) */
		atomic_thread_fence(memory_order_seq_cst);
		uint32_t leg = dp_ext_second_leg(svr_session_rw(s, SVR_DIR_FWD));
		if (leg != UINT32_MAX)
			svr_session_delete(dp_sess.table, leg);
		dp_ext_release(x);
	}
	if (tenant != SVR_NO_NAME)
		atomic_fetch_sub_explicit(&dp_sess.tenant_live[tenant], 1, memory_order_relaxed);
	if (service != SVR_NO_NAME)
		service_uncount(service);
	return true;
}

static uint32_t idle_limit(const struct svr_session *s)
{
	const struct svr_session_info *info = svr_session_info(dp_sess.table, s);
	if (svr_session_stale(info))
		return 0;
	if (svr_session_proto(s) != SVR_IPPROTO_TCP)
		return info->idle_s;
	switch (atomic_load_explicit(svr_session_tcp_state(s), memory_order_relaxed)) {
	case SVR_TCP_SYN_SENT:
		return info->handshake_s;
	case SVR_TCP_CLOSING:
		return info->closing_s;
	default:
		return info->idle_s;
	}
}

/* Why an idle session's time is up, in IPFIX's words: a TCP session that saw its FIN or RST
 * ended; any other ran out of its idle timeout. */
static uint8_t end_reason(const struct svr_session *s)
{
	if (svr_session_proto(s) == SVR_IPPROTO_TCP &&
	    atomic_load_explicit(svr_session_tcp_state(s), memory_order_relaxed) >= SVR_TCP_CLOSING)
		return SVR_IPFIX_END_OF_FLOW;
	return SVR_IPFIX_END_IDLE;
}

void dp_sessions_housekeeping(uint64_t now_ms)
{
	static uint64_t last_ms;
	uint32_t now = (uint32_t)((now_ms - dp.start_ms) / 1000);
	if (!dp_sess.clock_held) {
		atomic_store_explicit(&dp_sess.now_s, now, memory_order_relaxed);
		atomic_store_explicit(&dp_sess.unix_s, wall_clock(), memory_order_relaxed);
	}

	/* A slice of the used part of the table, sized so a pass takes about AGE_PASS_MS. */
	struct svr_session_table *t = dp_sess.table;
	uint32_t used = t->high_water;
	uint64_t elapsed = last_ms ? now_ms - last_ms : 0;
	last_ms = now_ms;
	uint32_t slice = (uint32_t)((uint64_t)used * (elapsed ? elapsed : 1) / AGE_PASS_MS) + 1;
	for (uint32_t n = 0; n < slice && used; n++) {
		uint32_t i = dp_sess.age_cursor++ % used;
		struct svr_session *s = &t->entries[i];
		uint8_t live = atomic_load_explicit(&t->info[i].in_use, memory_order_acquire);
		if (!live || (live & SVR_LIVE_ALIAS)) /* a second leg ends with its session */
			continue;
		uint32_t seen = svr_session_last_seen(s);
		uint32_t leg = dp_ext_second_leg(
		    svr_session_rw(s, SVR_DIR_FWD)); /* traffic on the second leg alone keeps it */
		if (leg != UINT32_MAX &&
		    (int32_t)(svr_session_last_seen(&t->entries[leg]) - seen) > 0)
			seen = svr_session_last_seen(&t->entries[leg]);
		if (now - seen >= idle_limit(s)) {
			if (end_session(i, end_reason(s)))
				dp.main_stats.events[SVR_EV_SESSIONS_AGED]++;
		} else if (!(live & SVR_LIVE_MOVED)) {
			dp_session_record_interim(dp_gen_main(), i);
		}
	}
	if (dp_sess.age_cursor >= used)
		dp_sess.age_cursor = 0;
	svr_session_reclaim(t);
	dp_ext_reclaim();
	dp_session_limits_tick(dp_gen_main(), now_ms); /* the rate shares, every 100 ms */
	dp_svr_replay_sweep(elapsed); /* ended SVR sessions' UUIDs whose time passed */
}

bool dp_session_names_sweep(void)
{
	static uint64_t tenants[65536 / 64], services[65536 / 64], rules[65536 / 64];
	memset(tenants, 0, sizeof(tenants));
	memset(services, 0, sizeof(services));
	memset(rules, 0, sizeof(rules));
	if (dp_sess.names_quiesce && !dp_sess.names_quiesce())
		return false; /* the exporter's records name them too: not under it */
	if (dp_sess.names_flush)
		dp_sess.names_flush();
	const struct svr_session_table *t = dp_sess.table;
	/* every entry ever used: a reclaimed one names nothing (SVR_NO_NAME) */
	for (uint32_t i = 0; i < t->high_water; i++) {
		uint16_t ten = t->info[i].tenant, svc = t->info[i].service;
		uint16_t rule = t->notes[i].rule;
		tenants[ten / 64] |= 1ull << (ten % 64);
		services[svc / 64] |= 1ull << (svc % 64);
		rules[rule / 64] |= 1ull << (rule % 64);
	}
	svr_names_sweep(dp_sess.tenants, tenants);
	svr_names_sweep(dp_sess.services, services);
	svr_names_sweep(dp_sess.rules, rules);
	return true;
}

bool dp_session_clear(uint32_t idx)
{
	/* a second leg is not a session of its own: its session is cleared instead */
	if (idx >= dp_sess.table->capacity ||
	    (atomic_load_explicit(&dp_sess.table->info[idx].in_use, memory_order_acquire) &
	     SVR_LIVE_ALIAS) ||
	    !end_session(idx, SVR_IPFIX_END_FORCED))
		return false;
	dp.main_stats.events[SVR_EV_SESSIONS_CLEARED]++;
	return true;
}

/* --- the operator's view --- */

static void uuid_fmt(const uint8_t u[16], char out[37])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
		 u[13], u[14], u[15]);
}

static const char *state_name(const struct svr_session *s)
{
	static const char *const names[] = {"-", "syn-sent", "established", "closing", "ended"};
	uint8_t st = atomic_load_explicit(svr_session_tcp_state(s), memory_order_relaxed);
	return st < 5 ? names[st] : "?";
}

static json_t *name_json(const struct svr_names *n, uint16_t id)
{
	const char *s = svr_names_get(n, id);
	return s ? json_string(s) : json_null();
}

/* One direction's tuple: as it arrives (key) and, with NAT, as it leaves (rewrite). */
static json_t *tuple_json(const struct svr_ip *src, const struct svr_ip *dst, uint16_t sport,
			  uint16_t dport)
{
	char a[48], b[48];
	return json_pack("{s:s, s:s, s:i, s:i}", "source", svr_ip_fmt(src, a, sizeof(a)),
			 "destination", svr_ip_fmt(dst, b, sizeof(b)), "source-port",
			 (int)rte_be_to_cpu_16(sport), "destination-port",
			 (int)rte_be_to_cpu_16(dport));
}

static void key_addrs(const struct svr_session *s, const void *key, struct svr_ip *src,
		      struct svr_ip *dst, uint16_t *sport, uint16_t *dport)
{
	memset(src, 0, sizeof(*src)); /* compared whole (svr_ip_equal) */
	memset(dst, 0, sizeof(*dst));
	if (svr_session_family(svr_session_info(dp_sess.table, s)) == 4) {
		const struct svr_skey4 *k = key;
		src->family = dst->family = SVR_AF_INET;
		memcpy(src->addr, &k->src, 4);
		memcpy(dst->addr, &k->dst, 4);
		*sport = k->sport;
		*dport = k->dport;
	} else {
		const struct svr_skey6 *k = key;
		src->family = dst->family = SVR_AF_INET6;
		memcpy(src->addr, k->src, 16);
		memcpy(dst->addr, k->dst, 16);
		*sport = k->sport;
		*dport = k->dport;
	}
}

static json_t *direction_json(const struct svr_session *s, const void *key, enum svr_sdir d)
{
	struct svr_ip src, dst;
	uint16_t sport, dport;
	char pbuf[8];
	key_addrs(s, key, &src, &dst, &sport, &dport);
	json_t *rx = tuple_json(&src, &dst, sport, dport);
	/* over SVR, ICMP and other protocols cross as UDP: such a tuple names its own protocol */
	uint8_t key_proto = svr_session_family(svr_session_info(dp_sess.table, s)) == 4
				? ((const struct svr_skey4 *)key)->proto
				: ((const struct svr_skey6 *)key)->proto;
	if (key_proto != svr_session_proto(s))
		json_object_set_new(rx, "protocol",
				    json_string(svr_ip_proto_name(key_proto, pbuf, sizeof(pbuf))));
	json_t *o = json_pack("{s:o, s:I, s:I}", "received", rx, "packets",
			      (json_int_t)s->dir[d].pkts, "bytes", (json_int_t)s->dir[d].bytes);
	const struct svr_rewrite *rw = svr_session_rw(s, d);
	if (rw->flags & SVR_RW_NAT) {
		memcpy(src.addr, &rw->src, 4);
		memcpy(dst.addr, &rw->dst, 4);
		json_t *tx = tuple_json(&src, &dst, rw->sport, rw->dport);
		if (rw->flags & SVR_RW_UDP_WRAP)
			json_object_set_new(tx, "protocol", json_string("udp"));
		else if (rw->flags & SVR_RW_UDP_UNWRAP)
			json_object_set_new(
			    tx, "protocol",
			    json_string(svr_ip_proto_name(rw->wrapped_proto, pbuf, sizeof(pbuf))));
		json_object_set_new(o, "sent", tx);
	}
	return o;
}

json_t *dp_session_json(uint32_t idx)
{
	const struct svr_session *s = &dp_sess.table->entries[idx];
	const struct svr_session_info *info = &dp_sess.table->info[idx];
	const void *fwd, *rev;
	if (!atomic_load_explicit(&info->in_use, memory_order_acquire) ||
	    svr_session_keys(dp_sess.table, idx, &fwd, &rev) < 0)
		return NULL;
	char uuid[37], pbuf[8];
	uuid_fmt(info->uuid, uuid);
	uint32_t now = atomic_load_explicit(&dp_sess.now_s, memory_order_relaxed);
	uint32_t seen = svr_session_last_seen(s);
	json_t *o = json_pack("{s:s, s:i, s:s, s:o, s:o, s:s, s:b, s:I, s:I, s:I, s:o, s:o}",
			      "uuid", uuid, "family", svr_session_family(info), "protocol",
			      svr_ip_proto_name(svr_session_proto(s), pbuf, sizeof(pbuf)), "tenant",
			      name_json(dp_sess.tenants, info->tenant), "service",
			      name_json(dp_sess.services, info->service), "tcp-state",
			      state_name(s), "nat", (svr_session_rw(s, 0)->flags & SVR_RW_NAT) != 0,
			      "age-s", (json_int_t)(now - info->created_s), "idle-s",
			      (json_int_t)(now - seen), "timeout-s", (json_int_t)idle_limit(s),
			      "forward", direction_json(s, fwd, SVR_DIR_FWD), "reverse",
			      direction_json(s, rev, SVR_DIR_REV));
	if (o && (svr_session_rw(s, SVR_DIR_FWD)->svr &
		  SVR_RW2_PAYLOAD)) /* end to end, between the routers */
		json_object_set_new(o, "payload-encrypted", json_true());
	/* over SVR: the peer path it takes now, and how often it moved (docs/paths.md) */
	const struct svr_rewrite *fw = svr_session_rw(s, SVR_DIR_FWD);
	if (o && ((fw->svr | svr_session_rw(s, SVR_DIR_REV)->svr) & SVR_RW2_TO_PEER) &&
	    fw->svr_path < DP_MAX_SVR_PATHS) {
		const struct dp_svr_path *p = dp_svr_path(fw->svr_path);
		json_object_set_new(o, "peer", json_string(p->peer));
		json_object_set_new(o, "path", json_string(p->name));
		json_object_set_new(o, "moves", json_integer(info->moves));
		uint32_t leg = dp_ext_second_leg(
		    svr_session_rw(s, SVR_DIR_FWD)); /* duplicated: the second copy's path */
		if (leg != UINT32_MAX) {
			const struct svr_session *l = &dp_sess.table->entries[leg];
			json_object_set_new(
			    o, "second-leg",
			    json_pack("{s:s, s:I, s:I}", "path",
				      dp_svr_path(svr_session_rw(l, SVR_DIR_FWD)->svr_path)->name,
				      "forward-packets", (json_int_t)l->dir[SVR_DIR_FWD].pkts,
				      "reverse-packets", (json_int_t)l->dir[SVR_DIR_REV].pkts));
		}
	}
	return o;
}

static bool key_has_addr(const struct svr_session *s, const void *key, const struct svr_ip *a)
{
	struct svr_ip src, dst;
	uint16_t sp, dpt;
	key_addrs(s, key, &src, &dst, &sp, &dpt);
	return svr_ip_equal(&src, a) || svr_ip_equal(&dst, a);
}

/* The filter's names as the registries' ids now (SVR_NO_NAME when not filtered on); false
 * when a name no session has (nothing matches). */
static bool filter_ids(const struct dp_session_filter *f, uint16_t *tenant, uint16_t *service)
{
	*tenant = f->tenant ? svr_names_find(dp_sess.tenants, f->tenant) : SVR_NO_NAME;
	*service = f->service ? svr_names_find(dp_sess.services, f->service) : SVR_NO_NAME;
	return !(f->tenant && *tenant == SVR_NO_NAME) && !(f->service && *service == SVR_NO_NAME);
}

/* Whether entry i holds a session as it is now (a moved one once, its second legs not) that
 * f selects; tenant and service: filter_ids'. */
static bool filter_selects(const struct dp_session_filter *f, uint16_t tenant, uint16_t service,
			   uint32_t i)
{
	const struct svr_session_table *t = dp_sess.table;
	const struct svr_session_info *info = &t->info[i];
	if (!svr_session_current(info))
		return false;
	if ((f->tenant && info->tenant != tenant) || (f->service && info->service != service))
		return false;
	const void *fwd, *rev;
	if (svr_session_keys(t, i, &fwd, &rev) < 0)
		return false;
	const struct svr_session *s = &t->entries[i];
	return !f->has_addr || key_has_addr(s, fwd, &f->addr) || key_has_addr(s, rev, &f->addr);
}

uint32_t dp_sessions_list(const struct dp_session_filter *f, json_t *arr)
{
	const struct svr_session_table *t = dp_sess.table;
	uint16_t tenant, service;
	if (!filter_ids(f, &tenant, &service))
		return 0; /* a name no session ever had */
	uint32_t n = 0, i;
	for (i = f->cursor; i < t->high_water && n < f->limit; i++) {
		if (!filter_selects(f, tenant, service, i))
			continue;
		json_t *o = dp_session_json(i);
		if (o) {
			json_array_append_new(arr, o);
			n++;
		}
	}
	return i < t->high_water ? i : 0;
}

/* Live sessions of one (tenant, service) pair, in an open-addressing table keyed by both ids. */
struct pair_count {
	uint32_t key; /* tenant << 16 | service */
	uint32_t n;   /* 0: the slot is free */
};

/* Adds n sessions of key to t (cap a power of two, never full: grown at half); 1 when key took a
 * free slot. */
static uint32_t pair_add(struct pair_count *t, uint32_t cap, uint32_t key, uint32_t n)
{
	for (uint32_t h = (key * 2654435761u) & (cap - 1);; h = (h + 1) & (cap - 1)) {
		bool fresh = t[h].n == 0;
		if (fresh)
			t[h].key = key;
		if (t[h].key == key) {
			t[h].n += n;
			return fresh;
		}
	}
}

/* t doubled, its counts moved over; NULL when out of memory (t then kept). */
static struct pair_count *pairs_grow(struct pair_count *t, uint32_t *cap)
{
	struct pair_count *g = calloc((size_t)*cap * 2, sizeof(*g));
	if (!g)
		return NULL;
	for (uint32_t i = 0; i < *cap; i++)
		if (t[i].n)
			pair_add(g, *cap * 2, t[i].key, t[i].n);
	free(t);
	*cap *= 2;
	return g;
}

json_t *dp_sessions_counts(void)
{
	const struct svr_session_table *t = dp_sess.table;
	uint32_t cap = 256, used = 0, live = 0;
	struct pair_count *pairs = calloc(cap, sizeof(*pairs));
	json_t *arr = json_array();
	if (!pairs || !arr) {
		free(pairs);
		json_decref(arr);
		return NULL;
	}
	for (uint32_t i = 0; i < t->high_water; i++) {
		const struct svr_session_info *info = &t->info[i];
		if (!svr_session_current(info)) /* a moved session counts once, as it is now */
			continue;
		if (used * 2 >= cap) {
			struct pair_count *g = pairs_grow(pairs, &cap);
			if (!g)
				break; /* the counts so far; "sessions" below says how many */
			pairs = g;
		}
		used += pair_add(pairs, cap, (uint32_t)info->tenant << 16 | info->service, 1);
		live++;
	}
	for (uint32_t h = 0; h < cap; h++)
		if (pairs[h].n)
			json_array_append_new(
			    arr, json_pack(
				     "{s:o, s:o, s:I}", "tenant",
				     name_json(dp_sess.tenants, (uint16_t)(pairs[h].key >> 16)),
				     "service", name_json(dp_sess.services, (uint16_t)pairs[h].key),
				     "sessions", (json_int_t)pairs[h].n));
	free(pairs);
	return json_pack("{s:I, s:o, s:o}", "sessions", (json_int_t)live, "by-name", arr, "summary",
			 dp_sessions_summary());
}

int64_t dp_session_by_uuid(const uint8_t u[16])
{
	const struct svr_session_table *t = dp_sess.table;
	for (uint32_t i = 0; i < t->high_water; i++) {
		const struct svr_session_info *info = &t->info[i];
		if (svr_session_current(info) && memcmp(info->uuid, u, 16) == 0)
			return i;
	}
	return -1;
}

json_t *dp_sessions_summary(void)
{
	const struct svr_session_table *t = dp_sess.table;
	uint64_t created = 0;
	for (unsigned w = 0; w < dp.n_workers; w++)
		created += dp.workers[w]->stats.sessions_created;
	const struct dp_gen *g = dp_gen_main();
	uint32_t limit = g && g->spol ? g->spol->capacity : t->capacity;
	/* All session memory: the table, the limit counters, the workers' fragment notes and the
	 * SVR replay memory (UUIDs of egress sessions). */
	size_t bytes =
	    t->bytes + sizeof(*dp_sess.tenant_live) * 65536 + sizeof(*dp_sess.svc_live) * 65536 +
	    dp_session_limits_bytes() + sizeof(*dp_sess.src_rate) * DP_SRC_RATE_SLOTS +
	    dp.n_workers * sizeof(struct svr_frag_cache) + dp_svr_replay_bytes() + dp_ext_bytes();
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "memory-bytes",
			 (json_int_t)bytes, "capacity", (json_int_t)t->capacity, "limit",
			 (json_int_t)limit, "in-use",
			 (json_int_t)(t->capacity - svr_session_free_count(t)), "half-open-tcp",
			 (json_int_t)atomic_load(&t->half_open), "created", (json_int_t)created,
			 "aged", (json_int_t)dp.main_stats.events[SVR_EV_SESSIONS_AGED], "cleared",
			 (json_int_t)dp.main_stats.events[SVR_EV_SESSIONS_CLEARED], "leaked",
			 (json_int_t)atomic_load_explicit(&t->leaked, memory_order_relaxed));
}

/* --- sessions-clear: many sessions ended by a job, a slice per turn of the main loop --- */

/* Copies name (at most DP_SESSION_NAME_MAX bytes: the request's parser checked) into buf. */
static const char *clear_name(char *buf, const char *name)
{
	if (!name)
		return NULL;
	snprintf(buf, DP_SESSION_NAME_MAX + 1, "%s", name);
	return buf;
}

int64_t dp_sessions_clear_start(const struct dp_session_filter *f, uint64_t now_ms)
{
	struct clear_job *j = &clear_job;
	if (j->running)
		return -1;
	uint32_t id = j->id + 1;
	memset(j, 0, sizeof(*j));
	j->id = id;
	j->running = true;
	j->filter.tenant = clear_name(j->tenant, f->tenant);
	j->filter.service = clear_name(j->service, f->service);
	j->filter.has_addr = f->has_addr;
	j->filter.addr = f->addr;
	j->end = atomic_load_explicit(&dp_sess.table->high_water, memory_order_acquire);
	j->started_ms = now_ms;
	char addr[48], tenant[DP_SESSION_NAME_MAX + 1], service[DP_SESSION_NAME_MAX + 1];
	LOG_INFO("sessions-clear job %u: ending %s%s%s%s%s%s%s among %u table entries", id,
		 f->tenant || f->service || f->has_addr ? "the sessions" : "every session",
		 /* a request's name may hold a line break, which would forge a log line */
		 f->tenant ? " of tenant " : "",
		 f->tenant ? svr_log_safe(tenant, sizeof(tenant), f->tenant) : "",
		 f->service ? " to service " : "",
		 f->service ? svr_log_safe(service, sizeof(service), f->service) : "",
		 f->has_addr ? " with address " : "",
		 f->has_addr ? svr_ip_fmt(&f->addr, addr, sizeof(addr)) : "", j->end);
	return id;
}

/*
 * Sessions the job may end this turn: as many as the main lcore's record ring has room for
 * beyond the reserve, so that a clear goes at the pace the IPFIX exporter takes end records
 * and loses none; after CLEAR_RECORDS_WAIT_MS without room, a slice's worth all the same.
 */
static uint32_t clear_budget(struct clear_job *j, uint64_t now_ms)
{
	uint32_t room = dp_session_records_main_room();
	if (room >= CLEAR_RECORDS_RESERVE + CLEAR_RECORDS_BATCH) {
		if (j->waiting_since_ms)
			j->waited_ms += now_ms - j->waiting_since_ms;
		j->waiting_since_ms = 0;
		return room - CLEAR_RECORDS_RESERVE;
	}
	if (!j->waiting_since_ms) {
		j->waiting_since_ms = now_ms;
		j->waits++;
	}
	return now_ms - j->waiting_since_ms >= CLEAR_RECORDS_WAIT_MS ? CLEAR_SLICE : 0;
}

bool dp_sessions_clear_step(uint64_t now_ms)
{
	struct clear_job *j = &clear_job;
	if (!j->running)
		return false;
	uint16_t tenant, service;
	/* names to ids each turn: a sweep may give a name's id to another meanwhile */
	bool any = filter_ids(&j->filter, &tenant, &service);
	uint32_t budget = clear_budget(j, now_ms);
	if (!budget) /* the main loop may sleep: the exporter (on this CPU) drains the ring */
		return false;
	uint32_t stop = j->end - j->cursor > CLEAR_SLICE ? j->cursor + CLEAR_SLICE : j->end;
	uint64_t deadline = rte_rdtsc() + rte_get_tsc_hz() * clear_turn_us / 1000000;
	for (; j->cursor < stop && budget; j->cursor++) {
		if (any && filter_selects(&j->filter, tenant, service, j->cursor) &&
		    dp_session_clear(j->cursor)) {
			j->cleared++;
			budget--;
			if (clear_turn_us && (j->cleared & 63) == 0 && rte_rdtsc() > deadline)
				break; /* the rest next turn */
		}
	}
	if (j->cursor < j->end)
		return true;
	j->running = false;
	j->ended_ms = now_ms;
	if (j->waiting_since_ms) /* a wait still open when it ended */
		j->waited_ms += now_ms - j->waiting_since_ms;
	j->waiting_since_ms = 0;
	LOG_INFO("sessions-clear job %u: done, %llu session(s) ended in %llu ms", j->id,
		 (unsigned long long)j->cleared, (unsigned long long)(now_ms - j->started_ms));
	if (j->waits)
		LOG_INFO("sessions-clear job %u: waited %llu times, %llu ms in all, for the IPFIX "
			 "exporter to take end records",
			 j->id, (unsigned long long)j->waits, (unsigned long long)j->waited_ms);
	return false;
}

void dp_sessions_clear_turn_us(uint32_t us)
{
	clear_turn_us = us;
}

json_t *dp_sessions_clear_json(uint64_t now_ms)
{
	const struct clear_job *j = &clear_job;
	const struct dp_session_filter *f = &j->filter;
	char addr[48];
	json_t *filter = json_pack(
	    "{s:o, s:o, s:o}", "tenant", f->tenant ? json_string(f->tenant) : json_null(),
	    "service", f->service ? json_string(f->service) : json_null(), "address",
	    f->has_addr ? json_string(svr_ip_fmt(&f->addr, addr, sizeof(addr))) : json_null());
	/* a wait still open counts; past the longest wait the job goes on: no longer waiting */
	bool open = j->running && j->waiting_since_ms != 0;
	uint64_t open_ms = open && now_ms > j->waiting_since_ms ? now_ms - j->waiting_since_ms : 0;
	bool waiting = open && open_ms < CLEAR_RECORDS_WAIT_MS;
	uint64_t waited = j->waited_ms + open_ms;
	uint64_t elapsed = j->id ? (j->running ? now_ms : j->ended_ms) - j->started_ms : 0;
	return json_pack("{s:I, s:b, s:o, s:I, s:I, s:I, s:I, s:b, s:I}", "job", (json_int_t)j->id,
			 "done", !j->running, "filter", filter, "entries", (json_int_t)j->end,
			 "visited", (json_int_t)j->cursor, "cleared", (json_int_t)j->cleared,
			 "elapsed-ms", (json_int_t)elapsed, "waiting-for-exporter", waiting,
			 "exporter-wait-ms", (json_int_t)waited);
}
