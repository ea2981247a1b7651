/* SPDX-License-Identifier: BSD-3-Clause */
#include "policy/channel.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/log.h"
#include "common/sdnotify.h"
#include "common/shm.h"
#include "core/dp.h"
#include "policy/apply.h"

#define RETRY_OPEN_MS 1000

static struct svr_shm shm;
static bool is_open;
static uint64_t next_open_ms;
static uint64_t handled; /* last generation applied or rejected */
static char last_error[320];

/* systemctl status shows what the dataplane forwards with (systemd's STATUS=): told here, on the
 * main lcore after an image was applied or rejected, never from the workers. */
static void notify_status(const struct dp_gen *g, const char *rejected)
{
	unsigned n_if = 0;
	for (unsigned s = 0; g && s < g->n_ifaces; s++)
		n_if += g->ifaces[s].in_use;
	char fwd[128] = "no policy image yet";
	if (g)
		snprintf(fwd, sizeof(fwd), "forwarding: %u port(s), %u interface(s), image %llu",
			 g->n_ports, n_if, (unsigned long long)g->generation);
	if (rejected)
		svr_sd_notifyf("STATUS=%s; rejected %s", fwd, rejected);
	else
		svr_sd_notifyf("STATUS=%s", fwd);
}

void dp_channel_poll(uint64_t now_ms)
{
	if (!is_open) {
		if (now_ms < next_open_ms)
			return;
		char err[256];
		int rc = svr_shm_open(&shm, dp.conf->instance, false, err, sizeof(err));
		if (rc < 0) {
			if (rc != -EAGAIN && next_open_ms == 0)
				LOG_ERR("policy channel: %s (retrying every %d ms)", err,
					RETRY_OPEN_MS);
			next_open_ms = now_ms + RETRY_OPEN_MS;
			return;
		}
		is_open = true;
		LOG_INFO("policy channel %s open", shm.name);
	}
	void *img;
	size_t len;
	uint64_t gen;
	if (svr_shm_fetch(&shm, handled, &img, &len, &gen) <= 0)
		return; /* nothing new, or rewritten while copying: next time */
	handled = gen;
	char err[256];
	if (dp_policy_apply(img, len, err, sizeof(err)) == 0) {
		dp.main_stats.events[SVR_EV_POLICY_APPLIED]++;
		svr_shm_ack(&shm, gen);
		notify_status(dp_gen_main(), NULL);
		return;
	}
	free(img);
	dp.main_stats.events[SVR_EV_POLICY_REJECTED]++;
	snprintf(last_error, sizeof(last_error), "generation %llu: %s", (unsigned long long)gen,
		 err);
	LOG_ERR("policy %s; keeping generation %llu", last_error,
		(unsigned long long)(dp_gen_main() ? dp_gen_main()->generation : 0));
	svr_shm_reject(&shm, gen, err);
	notify_status(dp_gen_main(), last_error);
}

void dp_channel_close(void)
{
	if (is_open)
		svr_shm_close(&shm);
	is_open = false;
}

const char *dp_channel_name(void)
{
	return is_open ? shm.name : "";
}

const char *dp_channel_last_error(void)
{
	return last_error;
}
