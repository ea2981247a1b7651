/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SVR metadata block of our BFD packets and the in-band path metrics (TLV 26) it carries
 * (docs/paths.md "The packet", "In-band path metrics"). Main lcore only: the workers count each
 * path's data packets (svrpath/path.h, dp_svr_path_packets); once a second a path's next BFD
 * packet carries a sample of them (TLV 26), and the peer's samples give the path's data loss and
 * a round-trip time (common/pathq.h).
 */
#include <arpa/inet.h>

#include <jansson.h>

#include "common/bfd.h"
#include "common/image.h"
#include "common/log.h"
#include "common/pathq.h"
#include "core/dp.h"
#include "paths/internal.h"
#include "svrpath/path.h"

#define SAMPLE_US 1000000ull /* a TLV 26 sample a second on each path, on its next BFD packet */

/* Our router's name in the running model (TLV 14), or NULL before the first model. */
static const char *router_name(void)
{
	const struct dp_gen *g = dp_gen_main();
	return g ? svr_img_str(g->image, svr_img_hdr(g->image)->router_name) : NULL;
}

size_t dp_paths_md_build(uint16_t slot, uint64_t now, uint8_t *out, size_t cap)
{
	struct dp_path_bfd *pb = &dp_path_bfd[slot];
	struct svr_md_path_metrics pm;
	const struct dp_svr_path *p = dp_svr_path(slot);
	struct svr_bfd_md md = {.security_id = dp_paths_key_security_id(),
				.router = router_name(),
				.path = p->name,
				/* learned: the peer's outside address, for it to see a change */
				.seen4 = p->remote ? 0 : dp_svr_path_remote(p)};
	if (!md.router)
		return 0;
	if (now >= pb->pm_next_us) {
		/* the sample is the boundary between two periods of data packets: the count is
		 * taken as the packet is made */
		svr_pathq_pm_next(&pb->q, now / 1000, dp_svr_path_packets(slot, true), &pm);
		md.pm = &pm;
	}
	size_t n = svr_bfd_md_build(&md, out, cap);
	if (n && md.pm) {
		pb->pm_next_us = now + SAMPLE_US;
		pb->pm_sent++;
	}
	return n;
}

enum svr_bfd_err dp_paths_md_check(uint16_t slot, const struct svr_md *md)
{
	if (!md->present)
		return SVR_BFD_OK; /* a peer that sends the control packet alone */
	const struct dp_svr_path *p = dp_svr_path(slot);
	return svr_bfd_md_check(md, p->peer, p->name);
}

/* The peer sees our BFD come from md's TLV 25 (we are behind a NAT, or on DHCP): when that
 * moves, our NAT gave us another outside address, and the sessions on the path, keyed at the
 * peer on the old one, move to new waypoint ports with a Modify Request (session/migrate.c). */
static void seen_as(uint16_t slot, const struct svr_md *md)
{
	struct dp_path_bfd *pb = &dp_path_bfd[slot];
	if (!(md->present & SVR_MDF_SRC_NAT4) || md->src_nat4 == pb->seen_as)
		return;
	uint32_t was = pb->seen_as;
	pb->seen_as = md->src_nat4;
	if (!was)
		return;
	char a[16], b[16];
	inet_ntop(AF_INET, &was, a, sizeof(a));
	inet_ntop(AF_INET, &md->src_nat4, b, sizeof(b));
	LOG_NOTICE("path to %s (%s): the peer sees us at %s now (was %s): our NAT moved; the "
		   "path's sessions send their metadata again",
		   dp_svr_path(slot)->peer, dp_svr_path(slot)->name, b, a);
	dp_paths_nat_moved(slot);
}

void dp_paths_md_accepted(uint16_t slot, const struct svr_md *md, uint64_t now)
{
	seen_as(slot, md);
	if (!(md->present & SVR_MDF_PATH_METRICS))
		return;
	struct dp_path_bfd *pb = &dp_path_bfd[slot];
	pb->pm_received++;
	/* the peer's sample: the data packets received from it on the path by now end its period */
	svr_pathq_pm_received(&pb->q, now / 1000, &md->pm, dp_svr_path_packets(slot, false));
}

json_t *dp_paths_data_json(uint16_t slot, uint64_t now)
{
	const struct dp_path_bfd *pb = &dp_path_bfd[slot];
	uint32_t mpct = 0;
	unsigned n = 0;
	bool have = svr_pathq_data_loss(&pb->q, now / 1000, &mpct, &n);
	return json_pack("{s:o, s:i, s:I, s:I, s:I, s:I}", "loss-pct",
			 have ? json_real(mpct / 1000.0) : json_null(), "loss-samples", (int)n,
			 "samples-sent", (json_int_t)pb->pm_sent, "samples-received",
			 (json_int_t)pb->pm_received, "packets-sent",
			 (json_int_t)dp_svr_path_packets(slot, true), "packets-received",
			 (json_int_t)dp_svr_path_packets(slot, false));
}
