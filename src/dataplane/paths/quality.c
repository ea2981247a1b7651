/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Echo link tests (docs/paths.md "Echo link tests"): every link-test interval the main lcore sends
 * a burst of echo requests on each path that is up; the peer's main lcore sends each back as it
 * came (svr_bfd_echo_reflect). Round-trip times and the requests never answered feed the path's
 * quality (common/pathq.h), with the gaps in its BFD sequence numbers (bfd.c).
 */
#include <string.h>

#include <rte_random.h>

#include "common/bfd.h"
#include "common/pathq.h"
#include "core/dp.h"
#include "paths/internal.h"
#include "svrpath/path.h"

#define SEC_US     1000000ull
#define MS_US      1000ull
#define REPLY_WAIT (2 * SEC_US) /* after a test's last request: later replies count as late */

static bool answered(const struct dp_path_echo *e, uint16_t i)
{
	return (e->answered[i / 64] >> (i % 64)) & 1;
}

/* The test ends: its requests' outcomes settle, those no reply answered counting as lost. */
static void test_end(struct dp_path_bfd *pb)
{
	struct dp_path_echo *e = &pb->echo;
	for (uint16_t i = 0; i < e->sent; i++)
		svr_pathq_echo_result(&pb->q, (uint16_t)(e->first_seq + i), answered(e, i));
	e->sent = 0;
	e->ends_us = UINT64_MAX;
	e->next_send_us = UINT64_MAX;
}

void dp_paths_echo_start(uint16_t slot, uint64_t now)
{
	struct dp_path_bfd *pb = &dp_path_bfd[slot];
	struct dp_path_echo *e = &pb->echo;
	memset(e, 0, sizeof(*e));
	/* staggered: paths' bursts do not all go at once (nor add their load to one moment) */
	uint64_t period = pb->link_test_interval_s * SEC_US;
	e->next_test_us = now + period + (slot * 37ull * MS_US) % period;
	e->next_send_us = UINT64_MAX;
	e->ends_us = UINT64_MAX;
}

static void send_request(uint16_t slot, uint64_t now)
{
	struct dp_path_bfd *pb = &dp_path_bfd[slot];
	struct dp_path_echo *e = &pb->echo;
	struct svr_bfd_echo req = {.kind = SVR_BFD_ECHO_REQUEST,
				   .seq = (uint16_t)(e->first_seq + e->sent),
				   .test_id = e->test_id,
				   .tx_ns = now * 1000};
	uint8_t buf[SVR_BFD_ECHO_LEN];
	if (svr_bfd_echo_build(&req, dp_paths_keys(), buf, sizeof(buf)) != SVR_BFD_ECHO_LEN)
		return;
	dp_paths_send(slot, buf, sizeof(buf));
	e->sent++;
	e->requests++;
}

uint64_t dp_paths_echo_tick(uint16_t slot, uint64_t now)
{
	struct dp_path_bfd *pb = &dp_path_bfd[slot];
	struct dp_path_echo *e = &pb->echo;
	if (now >= e->ends_us)
		test_end(pb);
	if (now >= e->next_test_us) {
		if (e->sent)
			test_end(pb);
		e->next_test_us = now + pb->link_test_interval_s * SEC_US;
		/* only a path that is up is tested: a dead one would only count its losses */
		if (pb->s.state == SVR_BFD_UP) {
			/* random: a reply must name this test, which the peer's own tests do not */
			e->test_id = (uint32_t)rte_rand();
			e->first_seq = (uint16_t)(e->first_seq + e->length);
			e->length =
			    pb->link_test_length < DP_ECHO_MAX ? pb->link_test_length : DP_ECHO_MAX;
			memset(e->answered, 0, sizeof(e->answered));
			e->next_send_us = now;
		}
	}
	if (now >= e->next_send_us) {
		send_request(slot, now);
		if (e->sent < e->length) {
			e->next_send_us = now + pb->echo_interval_ms * MS_US;
		} else {
			e->next_send_us = UINT64_MAX;
			e->ends_us = now + REPLY_WAIT;
		}
	}
	uint64_t at = e->next_test_us;
	if (e->next_send_us < at)
		at = e->next_send_us;
	if (e->ends_us < at)
		at = e->ends_us;
	return at;
}

int dp_paths_echo_receive(uint16_t slot, const uint8_t *msg, size_t len, uint64_t now)
{
	struct dp_path_bfd *pb = &dp_path_bfd[slot];
	struct dp_path_echo *e = &pb->echo;
	struct svr_bfd_echo echo;
	if (svr_bfd_echo_parse(msg, len, &echo) != SVR_BFD_OK) {
		e->refused++;
		return SVR_DROP_BFD_INVALID;
	}
	/* Signed by a key of ours (or, without keys, not at all): a forged request is not sent
	 * back, a forged reply cannot fake quality. */
	if (svr_bfd_echo_verify(msg, len, dp_paths_keys()) != SVR_BFD_OK) {
		e->refused++;
		return SVR_DROP_BFD_AUTH_REFUSED;
	}
	if (echo.kind == SVR_BFD_ECHO_REQUEST) {
		/* Back to the path's remote waypoint only, the same size: no amplification, and no
		 * reflection towards a third party. */
		uint8_t reply[SVR_BFD_ECHO_LEN];
		memcpy(reply, msg, sizeof(reply));
		svr_bfd_echo_reflect(reply);
		dp_paths_send(slot, reply, sizeof(reply));
		e->reflected++;
		return 0;
	}
	/* Only a reply to the running test counts: the peer's own requests (which verify under the
	 * same key, their kind byte flipped) name another, random, test. */
	uint16_t i = (uint16_t)(echo.seq - e->first_seq);
	if (echo.test_id != e->test_id || i >= e->sent) {
		e->refused++;
		return SVR_DROP_BFD_INVALID;
	}
	if (answered(e, i))
		return 0; /* a duplicated reply: one outcome, one delay sample */
	e->replies++;
	e->answered[i / 64] |= 1ull << (i % 64);
	uint64_t sent_us = echo.tx_ns / 1000;
	if (sent_us <= now && now - sent_us < UINT32_MAX)
		svr_pathq_echo_rtt(&pb->q, (uint32_t)(now - sent_us));
	return 0;
}
