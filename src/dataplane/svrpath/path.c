/* SPDX-License-Identifier: BSD-3-Clause */
/* The SVR data path: the first packets of SVR sessions (path.h, docs/svr.md). */
#include "svrpath/path.h"

#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>

#include "common/image.h"
#include "session/names.h"
#include "session/sessions.h"
#include "svr/metadata.h"
#include "svrpath/wire.h"
#include "worker/worker.h"

static struct dp_svr_path paths[DP_MAX_SVR_PATHS];
static unsigned n_paths;

int dp_svr_path_slot(const char *peer, const char *name, uint32_t local, uint32_t remote)
{
	for (unsigned i = 0; i < n_paths; i++)
		if (paths[i].local == local && paths[i].remote == remote &&
		    strcmp(paths[i].peer, peer) == 0 && strcmp(paths[i].name, name) == 0)
			return (int)i;
	if (n_paths == DP_MAX_SVR_PATHS)
		return -1;
	struct dp_svr_path *p = &paths[n_paths];
	p->local = local;
	p->remote = remote;
	snprintf(p->peer, sizeof(p->peer), "%s", peer);
	snprintf(p->name, sizeof(p->name), "%s", name);
	return (int)n_paths++;
}

const struct dp_svr_path *dp_svr_path(uint16_t slot)
{
	return &paths[slot];
}

static void set_name(struct svr_md *md, struct svr_md_name *n, uint32_t flag, const char *s)
{
	if (s && svr_md_set_name(n, s))
		md->present |= flag;
}

static void ctx_of(const struct svr_skey4 *k, struct svr_md_ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->family = 4;
	memcpy(c->src, &k->src, 4);
	memcpy(c->dst, &k->dst, 4);
	c->sport = rte_be_to_cpu_16(k->sport);
	c->dport = rte_be_to_cpu_16(k->dport);
	c->proto = k->proto;
}

/*
 * The metadata a direction adds: forward (ingress) — the original tuple,
 * UUID, tenant, service, routers, peer path; reverse (egress) — the tuple of
 * the answer as it left the server, and the load.
 */
static size_t build_md(const struct dp_gen *g, const struct svr_session *s, enum svr_sdir dir,
		       const struct svr_flow4 *f, uint8_t *out, size_t cap)
{
	struct svr_md md = {.present = SVR_MDF_SECURITY_ID, .security_id = 0};
	if (dir == SVR_DIR_FWD) {
		const struct dp_svr_path *p = dp_svr_path(s->dir[SVR_DIR_FWD].svr_path);
		md.present |= SVR_MDF_FWD_CTX | SVR_MDF_UUID;
		ctx_of(&f->key, &md.fwd);
		memcpy(md.uuid, s->uuid, 16);
		set_name(&md, &md.tenant, SVR_MDF_TENANT,
			 svr_names_get(dp_sess.tenants, s->tenant));
		set_name(&md, &md.service, SVR_MDF_SERVICE,
			 svr_names_get(dp_sess.services, s->service));
		set_name(&md, &md.src_router, SVR_MDF_SRC_ROUTER,
			 svr_img_str(g->image, svr_img_hdr(g->image)->router_name));
		set_name(&md, &md.dst_router, SVR_MDF_DST_ROUTER, p->peer);
		set_name(&md, &md.peer_path, SVR_MDF_PEER_PATH, p->name);
	} else {
		md.present |= SVR_MDF_REV_CTX | SVR_MDF_NUM_SESSIONS;
		ctx_of(&f->key, &md.rev);
		md.num_sessions = 0; /* service load feedback: with path selection */
	}
	return svr_md_encode(&md, out, cap, NULL);
}

/* The other direction stops adding metadata; this one stops looking for it. */
static void acknowledge(struct svr_session *s, enum svr_sdir dir)
{
	__atomic_fetch_and(&s->dir[!dir].flags, (uint8_t)~SVR_RW_MD_ADD, __ATOMIC_RELAXED);
	__atomic_fetch_and(&s->dir[dir].flags,
			   (uint8_t) ~(SVR_RW_MD_ACK_PRESENT | SVR_RW_MD_ACK_ABSENT),
			   __ATOMIC_RELAXED);
}

bool dp_svr_packet(struct dp_worker *w, const struct dp_gen *g, struct rte_mbuf *m, uint8_t *ip,
		   const struct svr_flow4 *f, struct svr_session *s, enum svr_sdir dir)
{
	const struct svr_rewrite *rw = &s->dir[dir];
	uint8_t flags = __atomic_load_n(&rw->flags, __ATOMIC_RELAXED);
	size_t l4h = svr_wire_l4_hlen(ip);
	if (l4h == 0 || f->l4_off + l4h > f->len) {
		dp_drop(w, m, SVR_DROP_L4_SHORT);
		return false;
	}
	if (flags & (SVR_RW_MD_ACK_PRESENT | SVR_RW_MD_ACK_ABSENT)) {
		const uint8_t *pl = ip + f->l4_off + l4h;
		size_t plen = f->len - f->l4_off - l4h;
		struct svr_md_layout l;
		bool present =
		    svr_md_has_cookie(pl, plen) && svr_md_layout(pl, plen, &l, NULL, 0) == 0;
		if (present) {
			size_t blen = (size_t)l.header_len + l.payload_len;
			svr_wire_strip4(ip, blen);
			rte_pktmbuf_trim(m, (uint16_t)blen);
		}
		if (present == !!(flags & SVR_RW_MD_ACK_PRESENT))
			acknowledge(s, dir);
	}
	svr_wire_translate4(ip, rw->src, rw->dst, rte_be_to_cpu_16(rw->sport),
			    rte_be_to_cpu_16(rw->dport));
	if (!(flags & SVR_RW_MD_ADD))
		return true;
	uint8_t block[1024];
	size_t blen = build_md(g, s, dir, f, block, sizeof(block));
	uint16_t l3_off = dp_meta(m)->l3_off;
	if (blen == 0 || !rte_pktmbuf_append(m, (uint16_t)blen)) {
		dp_drop(w, m, SVR_DROP_NO_MBUF);
		return false;
	}
	size_t cap = rte_pktmbuf_data_len(m) - l3_off;
	if (svr_wire_insert4(ip, cap, block, blen) == 0) {
		dp_drop(w, m, SVR_DROP_NO_MBUF);
		return false;
	}
	return true;
}
