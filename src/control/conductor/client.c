/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTPS to the conductors with libcurl's easy interface: one handle per thread (the sync thread's
 * and the status thread's), kept between requests so the TLS connection is reused. Every request
 * after enrolment verifies the conductor's certificate against the enrolled CA and its name.
 * The URLs are tried in order from the one in use; reachability changes are logged once.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cd_int.h"
#include "common/log.h"
#include "events/events.h"

void cd_buf_free(struct cd_buf *b)
{
	if (b->data) {
		OPENSSL_cleanse(b->data, b->cap);
		free(b->data);
	}
	b->data = NULL;
	b->len = b->cap = 0;
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct cd_buf *b = userdata;
	size_t n = size * nmemb;
	if (b->len + n + 1 > CD_REPLY_MAX)
		return 0; /* a larger answer is not a conductor's: abort the transfer */
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 16384;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *d = malloc(cap); /* not realloc: the old buffer is cleansed */
		if (!d)
			return 0;
		if (b->data)
			memcpy(d, b->data, b->len);
		size_t len = b->len;
		cd_buf_free(b);
		b->data = d;
		b->cap = cap;
		b->len = len;
	}
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

/* libcurl calls this about once a second even when idle: a stop aborts a held long poll, and so
 * does an outage the status thread saw (the held connection is then likely dead too). */
static int on_progress(void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	const struct cd_client *c = clientp;
	if (atomic_load(&c->cd->stopping))
		return 1;
	return c->abort_on_outage && atomic_load(&c->cd->outages) != c->outages_at_start;
}

int cd_client_init(struct cd_client *c, struct svr_conductor *cd)
{
	memset(c, 0, sizeof(*c));
	c->cd = cd;
	c->h = curl_easy_init();
	return c->h ? 0 : -1;
}

void cd_client_fini(struct cd_client *c)
{
	if (c->h)
		curl_easy_cleanup(c->h);
	c->h = NULL;
}

/* The options every request has; then the per-request ones. */
static void set_common(struct cd_client *c, long timeout_ms)
{
	CURL *h = c->h;
	curl_easy_reset(h); /* keeps the connection cache: the TLS session is reused */
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)CD_CONNECT_MS);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, c);
	c->outages_at_start = atomic_load(&c->cd->outages);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
}

static void set_tls(CURL *h, const char *ca, size_t ca_len)
{
	if (!ca) {
		/* Enrolment's CA download only: its fingerprint is checked instead. */
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
		return;
	}
	struct curl_blob blob = {.data = (void *)ca, .len = ca_len, .flags = CURL_BLOB_COPY};
	curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
	curl_easy_setopt(h, CURLOPT_CAPATH, NULL); /* the enrolled CA only, not the system's */
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
}

int cd_request_one(struct cd_client *c, const char *url, const char *method, const char *path,
		   const char *body, const char *ca, size_t ca_len, const char *bearer,
		   long timeout_ms, long *status, struct cd_buf *reply, char *err, size_t errlen)
{
	CURL *h = c->h;
	char full[SVR_CD_URL_MAX + 512], auth[CD_CREDENTIAL_MAX + 32];
	snprintf(full, sizeof(full), "%s%s", url, path);
	set_common(c, timeout_ms);
	set_tls(h, ca, ca_len);
	curl_easy_setopt(h, CURLOPT_URL, full);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, reply);
	struct curl_slist *hdrs = curl_slist_append(NULL, "Accept: application/json");
	hdrs = curl_slist_append(hdrs, "Expect:"); /* no 100-continue round trip */
	if (bearer) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", bearer);
		hdrs = curl_slist_append(hdrs, auth);
		OPENSSL_cleanse(auth, sizeof(auth));
	}
	if (strcmp(method, "POST") == 0) {
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)(body ? strlen(body) : 0));
	} else {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	cd_buf_free(reply);
	c->errbuf[0] = '\0';
	CURLcode rc = curl_easy_perform(h);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs); /* the copy of the credential goes with it */
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s %s: %s", method, full,
			 c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc));
		cd_buf_free(reply);
		return -1;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	if (!reply->data) { /* an empty body: still a string */
		reply->data = calloc(1, 1);
		reply->cap = reply->data ? 1 : 0;
	}
	return 0;
}

/* conductor-connected / conductor-lost for the event stream (docs/telemetry.md). */
static void reach_event(bool up, const char *url, int64_t down_ms, const char *why)
{
	json_t *e = svr_events_new(up ? "conductor-connected" : "conductor-lost");
	if (!e)
		return;
	json_object_set_new(e, "url", json_string(url));
	if (up && down_ms > 0)
		json_object_set_new(e, "down-ms", json_integer(down_ms));
	if (!up)
		json_object_set_new(e, "reason", json_string(why ? why : ""));
	svr_events_emit(e);
}

void cd_note_reachable(struct svr_conductor *cd, bool up, unsigned url_index, const char *why)
{
	pthread_mutex_lock(&cd->lock);
	enum cd_reach was = cd->reach;
	unsigned old_index = cd->url_index;
	int64_t now = cd_now_ms();
	if (up) {
		cd->reach = CD_REACH_UP;
		cd->url_index = url_index;
	} else if (was != CD_REACH_DOWN) {
		cd->reach = CD_REACH_DOWN;
		cd->down_since_ms = now;
		atomic_fetch_add(&cd->outages, 1);
	}
	int64_t version = cd->st.version;
	int64_t down_ms = now - cd->down_since_ms;
	pthread_mutex_unlock(&cd->lock);

	const char *url = cd->cfg.urls[url_index];
	if ((up && was != CD_REACH_UP) || (!up && was != CD_REACH_DOWN))
		reach_event(up, url, was == CD_REACH_DOWN ? down_ms : 0, why);
	if (up && was == CD_REACH_DOWN) {
		LOG_NOTICE("conductor reachable again at %s (after %lld s)", url,
			   (long long)(down_ms / 1000));
		cd_status_kick(cd); /* what happened while cut off (an override...) at once */
	} else if (up && was == CD_REACH_UNKNOWN)
		LOG_NOTICE("connected to conductor %s", url);
	else if (up && old_index != url_index)
		LOG_NOTICE("switched to conductor %s (%s did not answer)", url,
			   cd->cfg.urls[old_index]);
	else if (!up && was != CD_REACH_DOWN)
		LOG_WARN("conductor unreachable (%s); the router keeps running what it applied "
			 "(conductor version %lld) and retries",
			 why, (long long)version);
}

int cd_request(struct cd_client *c, const char *method, const char *path, const char *body,
	       long timeout_ms, long *status, struct cd_buf *reply, char *err, size_t errlen)
{
	struct svr_conductor *cd = c->cd;
	pthread_mutex_lock(&cd->lock);
	unsigned start = cd->url_index;
	pthread_mutex_unlock(&cd->lock);
	char why[600] = "no conductor URL", first[600] = "";
	for (unsigned k = 0; k < cd->cfg.n_urls && !atomic_load(&cd->stopping); k++) {
		unsigned i = (start + k) % cd->cfg.n_urls;
		if (cd_request_one(c, cd->cfg.urls[i], method, path, body, cd->ca_pem, cd->ca_len,
				   cd->credential, timeout_ms, status, reply, why,
				   sizeof(why)) == 0) {
			if (*status < 500) {
				cd_note_reachable(cd, true, i, NULL);
				return 0;
			}
			snprintf(why, sizeof(why), "%s %s%s: HTTP %ld", method, cd->cfg.urls[i],
				 path, *status);
			cd_buf_free(reply);
		}
		LOG_DEBUG("%s", why);
		if (k == 0) /* the conductor in use: its failure is the news */
			snprintf(first, sizeof(first), "%s", why);
	}
	if (cd->cfg.n_urls > 1 && first[0])
		snprintf(why, sizeof(why), "%.500s; the other %u URL(s) failed too", first,
			 cd->cfg.n_urls - 1);
	if (!atomic_load(&cd->stopping))
		cd_note_reachable(cd, false, start, why);
	snprintf(err, errlen, "%s", why);
	return -1;
}
