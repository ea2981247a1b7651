/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The conductor client's life (main.c's thread: new, start, stop) and what the REST API's
 * threads ask of it (a local model put, the "conductor" member of GET /status).
 */
#include <openssl/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cd_int.h"
#include "common/log.h"
#include "events/events.h"

struct svr_conductor *svr_conductor_new(struct svr_ctl *ctl, const struct svr_cd_config *cfg,
					const char *file, const char *dp_sock, char *err,
					size_t errlen)
{
	struct svr_conductor *cd = calloc(1, sizeof(*cd));
	if (!cd) {
		svr_errf(err, errlen, "out of memory");
		return NULL;
	}
	cd->ctl = ctl;
	cd->cfg = *cfg;
	snprintf(cd->file, sizeof(cd->file), "%s", file);
	snprintf(cd->dp_sock, sizeof(cd->dp_sock), "%s", dp_sock);
	snprintf(cd->cred_path, sizeof(cd->cred_path), "%s/%s", ctl->state_dir, CD_CREDENTIAL_NAME);
	snprintf(cd->ca_path, sizeof(cd->ca_path), "%s/%s", ctl->state_dir, CD_CA_NAME);
	snprintf(cd->state_path, sizeof(cd->state_path), "%s/%s", ctl->state_dir, CD_STATE_NAME);
	pthread_mutex_init(&cd->lock, NULL);
	pthread_mutex_init(&cd->apply_lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* the sleeps' deadlines */
	pthread_cond_init(&cd->wake, &ca);
	pthread_condattr_destroy(&ca);
	atomic_init(&cd->stopping, false);
	atomic_init(&cd->outages, 0);
	if (cd_enrolment_load(cd, err, errlen) < 0 || cd_state_load(cd, err, errlen) < 0) {
		svr_conductor_stop(cd);
		return NULL;
	}
	return cd;
}

int svr_conductor_start(struct svr_conductor *cd, char *err, size_t errlen)
{
	/* The threads take no signals: they stay with main's pause(). */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int e = pthread_create(&cd->sync_thread, NULL, cd_sync_main, cd);
	cd->sync_started = e == 0;
	if (e == 0) {
		e = pthread_create(&cd->status_thread, NULL, cd_status_main, cd);
		cd->status_started = e == 0;
	}
	if (e == 0) {
		e = pthread_create(&cd->watch_thread, NULL, cd_watch_main, cd);
		cd->watch_started = e == 0;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0)
		return svr_errf(err, errlen, "cannot start the conductor threads: %s", strerror(e));
	pthread_mutex_lock(&cd->lock);
	LOG_NOTICE("managed by conductor %s%s (%s); conductor version %lld, serial %lld%s",
		   cd->cfg.urls[0], cd->cfg.n_urls > 1 ? " and others" : "",
		   cd->enrolled ? "enrolled" : "enrolling", (long long)cd->st.version,
		   (long long)cd->st.serial, cd->st.override ? ", local override in force" : "");
	pthread_mutex_unlock(&cd->lock);
	return 0;
}

void svr_conductor_stop(struct svr_conductor *cd)
{
	if (!cd)
		return;
	pthread_mutex_lock(&cd->lock);
	atomic_store(&cd->stopping, true);
	pthread_cond_broadcast(&cd->wake);
	pthread_mutex_unlock(&cd->lock);
	svr_events_wake_all(); /* the watch thread waits on the event log, not on cd->wake */
	if (cd->sync_started)
		pthread_join(cd->sync_thread, NULL);
	if (cd->status_started)
		pthread_join(cd->status_thread, NULL);
	if (cd->watch_started)
		pthread_join(cd->watch_thread, NULL);
	pthread_cond_destroy(&cd->wake);
	pthread_mutex_destroy(&cd->lock);
	pthread_mutex_destroy(&cd->apply_lock);
	free(cd->ca_pem);
	OPENSSL_cleanse(cd, sizeof(*cd)); /* the credential and the token */
	free(cd);
}

void svr_conductor_local_begin(struct svr_conductor *cd)
{
	if (cd)
		pthread_mutex_lock(&cd->apply_lock);
}

void svr_conductor_local_end(struct svr_conductor *cd, bool in_force)
{
	if (!cd)
		return;
	pthread_mutex_lock(&cd->lock);
	bool started = in_force && !cd->st.override;
	if (started) {
		cd->st.override = true;
		cd->st.override_since = (int64_t)time(NULL);
		cd->st.override_base = cd->st.version;
		cd_state_save(cd);
	}
	int64_t base = cd->st.version;
	pthread_mutex_unlock(&cd->lock);
	pthread_mutex_unlock(&cd->apply_lock);
	if (started)
		LOG_NOTICE("local override: a model put on the local REST API replaces conductor "
			   "version %lld until the conductor commits a newer version",
			   (long long)base);
	else if (in_force)
		LOG_NOTICE("local override: another local model; the override still ends with a "
			   "conductor version newer than %lld",
			   (long long)base);
	if (in_force)
		cd_status_kick(cd);
}

json_t *svr_conductor_status_json(struct svr_conductor *cd)
{
	pthread_mutex_lock(&cd->ctl->lock);
	uint64_t published = cd->ctl->generation;
	pthread_mutex_unlock(&cd->ctl->lock);
	uint64_t acked = svr_ctl_acked(cd->ctl);
	json_t *urls = json_array();
	for (unsigned i = 0; i < cd->cfg.n_urls; i++)
		json_array_append_new(urls, json_string(cd->cfg.urls[i]));
	pthread_mutex_lock(&cd->lock);
	const char *reach = cd->reach == CD_REACH_UP     ? "reachable"
			    : cd->reach == CD_REACH_DOWN ? "unreachable"
							 : "unknown";
	json_t *o = json_pack(
	    "{s:s, s:o, s:s, s:s, s:b, s:I, s:I, s:I, s:b, s:o, s:s?, s:s?}", "file", cd->file,
	    "urls", urls, "url", cd->cfg.urls[cd->url_index], "conductor", reach, "enrolled",
	    cd->enrolled, "applied-version", (json_int_t)cd->st.version, "applied-serial",
	    (json_int_t)cd->st.serial, "seen-serial", (json_int_t)cd->st.seen_serial, "in-sync",
	    cd_in_sync(cd, published, acked), "local-override", cd_override_json(&cd->st),
	    "last-error", cd->last_error[0] ? cd->last_error : NULL, "error",
	    cd->fatal[0] ? cd->fatal : NULL);
	pthread_mutex_unlock(&cd->lock);
	return o;
}
