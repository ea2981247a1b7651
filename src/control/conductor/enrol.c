/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Enrolment (docs/conductor.md, "On the router"): on first start, fetch the authority's CA from
 * the first conductor that answers, keep it only if the SHA-256 of its DER is the ca-sha256 the
 * operator gave, post the one-time token over TLS verified against that CA, and store the
 * credential (0600) and the CA. Later starts load them and need no token. Runs on the sync
 * thread before its first poll.
 */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cd_int.h"
#include "common/hex.h"
#include "common/jsonutil.h"
#include "common/log.h"

/* Reads a whole small file (at most max bytes) into a 0-terminated buffer. */
static char *slurp(const char *path, size_t max, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		svr_errf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	char *buf = malloc(max + 1);
	size_t n = buf ? fread(buf, 1, max + 1, f) : 0;
	bool bad = !buf || ferror(f) || n > max;
	fclose(f);
	if (bad) {
		svr_errf(err, errlen, "cannot read %s: %s", path,
			 buf ? "read error or too large" : "out of memory");
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

static int load_credential(struct svr_conductor *cd, char *err, size_t errlen)
{
	struct stat sb;
	if (stat(cd->cred_path, &sb) == 0 && (sb.st_mode & 077))
		LOG_WARN("%s is readable by group or others (chmod 600 it)", cd->cred_path);
	size_t n;
	char *text = slurp(cd->cred_path, CD_CREDENTIAL_MAX + 2, &n, err, errlen);
	if (!text)
		return -1;
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
		n--;
	bool ok = n > 0 && n <= CD_CREDENTIAL_MAX;
	for (size_t i = 0; ok && i < n; i++)
		ok = text[i] > ' ' && text[i] < 0x7f;
	if (ok) {
		memcpy(cd->credential, text, n);
		cd->credential[n] = '\0';
	}
	OPENSSL_cleanse(text, n);
	free(text);
	if (!ok)
		return svr_errf(err, errlen,
				"%s does not hold a credential (1-%d visible characters); remove "
				"it to enrol again",
				cd->cred_path, CD_CREDENTIAL_MAX);
	return 0;
}

int cd_enrolment_load(struct svr_conductor *cd, char *err, size_t errlen)
{
	if (access(cd->cred_path, F_OK) != 0) {
		if (!cd->cfg.token[0] || !cd->cfg.has_ca_sha256)
			return svr_errf(err, errlen,
					"not enrolled yet (no %s), and the conductor file %s has "
					"no %s: the first start needs \"enrolment-token\" and "
					"\"ca-sha256\"",
					cd->cred_path, cd->file,
					!cd->cfg.token[0] ? "enrolment-token" : "ca-sha256");
		return 0; /* the sync thread enrols */
	}
	if (load_credential(cd, err, errlen) < 0)
		return -1;
	cd->ca_pem = slurp(cd->ca_path, 1 << 20, &cd->ca_len, err, errlen);
	if (!cd->ca_pem)
		return -1;
	cd->enrolled = true;
	return 0;
}

/*
 * The first certificate of pem, checked against the fingerprint; 1 matches (out: that
 * certificate alone, re-encoded, malloc'd), 0 a different certificate (got: its fingerprint),
 * -1 not a certificate.
 */
static int check_ca(const char *pem, size_t len, const uint8_t want[32], char **out,
		    size_t *out_len, char got[65])
{
	BIO *in = BIO_new_mem_buf(pem, (int)len);
	X509 *x = in ? PEM_read_bio_X509(in, NULL, NULL, NULL) : NULL;
	BIO_free(in);
	unsigned char *der = NULL;
	int der_len = x ? i2d_X509(x, &der) : -1;
	uint8_t md[32];
	unsigned md_len = 0;
	int rc = -1;
	if (der_len > 0 && EVP_Digest(der, (size_t)der_len, md, &md_len, EVP_sha256(), NULL) &&
	    md_len == 32) {
		svr_hex_encode(md, 32, got);
		rc = CRYPTO_memcmp(md, want, 32) == 0 ? 1 : 0;
	}
	OPENSSL_free(der);
	if (rc == 1) {
		BIO *mem = BIO_new(BIO_s_mem());
		char *p;
		long n;
		rc = -1;
		if (mem && PEM_write_bio_X509(mem, x) && (n = BIO_get_mem_data(mem, &p)) > 0 &&
		    (*out = malloc((size_t)n + 1))) {
			memcpy(*out, p, (size_t)n);
			(*out)[n] = '\0';
			*out_len = (size_t)n;
			rc = 1;
		}
		BIO_free(mem);
	}
	X509_free(x);
	return rc;
}

/* Results of one conductor's attempt. */
enum try_result { TRY_OK, TRY_UNREACHABLE, TRY_WRONG_CA, TRY_REFUSED, TRY_LATER };

/* Fetches the CA from url and keeps it in *ca when its fingerprint is the configured one. */
static enum try_result fetch_ca(struct svr_conductor *cd, struct cd_client *c, const char *url,
				char **ca, size_t *ca_len, char *err, size_t errlen)
{
	struct cd_buf reply = {0};
	long status = 0;
	char got[65] = "";
	if (cd_request_one(c, url, "GET", "/api/v1/enrol/ca", NULL, NULL, 0, NULL, CD_REQUEST_MS,
			   &status, &reply, err, errlen) < 0)
		return TRY_UNREACHABLE; /* logged once for all attempts (cd_note_reachable) */
	int rc = status == 200 ? check_ca(reply.data, reply.len, cd->cfg.ca_sha256, ca, ca_len, got)
			       : -1;
	cd_buf_free(&reply);
	if (rc == 1)
		return TRY_OK;
	char want[65];
	svr_hex_encode(cd->cfg.ca_sha256, 32, want);
	if (rc == 0)
		LOG_ERR("enrolment: REFUSED the CA certificate of %s: its SHA-256 is %s, the "
			"conductor file %s says ca-sha256 %s (a wrong fingerprint, or not your "
			"conductor); not enrolling with it",
			url, got, cd->file, want);
	else
		LOG_ERR("enrolment: %s/api/v1/enrol/ca answered HTTP %ld without a PEM "
			"certificate",
			url, status);
	return rc == 0 ? TRY_WRONG_CA : TRY_LATER;
}

/* Keeps the CA and the credential: the CA first, as the credential's presence means enrolled. */
static int store_enrolment(struct svr_conductor *cd, const char *credential)
{
	char err[600];
	size_t n = strlen(credential);
	char line[CD_CREDENTIAL_MAX + 2];
	snprintf(line, sizeof(line), "%s\n", credential);
	int rc = cd_write_file(cd->ca_path, cd->ca_pem, cd->ca_len, 0644, err, sizeof(err));
	if (rc == 0)
		rc = cd_write_file(cd->cred_path, line, n + 1, 0600, err, sizeof(err));
	OPENSSL_cleanse(line, sizeof(line));
	if (rc < 0)
		LOG_ERR("enrolment: %s", err);
	return rc;
}

/* The credential in an enrolment answer {"router", "credential"}, copied into cd. */
static int take_credential(struct svr_conductor *cd, const struct cd_buf *reply)
{
	json_t *doc = json_loadb(reply->data, reply->len, JSON_REJECT_DUPLICATES, NULL);
	const char *cred = json_string_value(json_object_get(doc, "credential"));
	const char *router = json_string_value(json_object_get(doc, "router"));
	size_t n = cred ? strlen(cred) : 0;
	bool ok = n > 0 && n <= CD_CREDENTIAL_MAX && router && strcmp(router, cd->ctl->router) == 0;
	for (size_t i = 0; ok && i < n; i++)
		ok = cred[i] > ' ' && cred[i] < 0x7f;
	if (ok)
		memcpy(cd->credential, cred, n + 1);
	else
		LOG_ERR("enrolment: the conductor's answer is not {\"router\": \"%s\", "
			"\"credential\": ...}",
			cd->ctl->router);
	json_decref(doc);
	return ok ? 0 : -1;
}

/* Posts the token to url, verifying it against ca. */
static enum try_result post_token(struct svr_conductor *cd, struct cd_client *c, const char *url,
				  char *err, size_t errlen)
{
	json_t *req = json_pack("{s:s, s:s}", "router", cd->ctl->router, "token", cd->cfg.token);
	char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (!body)
		return TRY_LATER;
	struct cd_buf reply = {0};
	long status = 0;
	int rc = cd_request_one(c, url, "POST", "/api/v1/enrol", body, cd->ca_pem, cd->ca_len, NULL,
				CD_REQUEST_MS, &status, &reply, err, errlen);
	OPENSSL_cleanse(body, strlen(body));
	free(body);
	if (rc < 0)
		return TRY_UNREACHABLE;
	enum try_result r = TRY_LATER;
	if (status == 200)
		r = take_credential(cd, &reply) == 0 ? TRY_OK : TRY_LATER;
	else if (status == 403)
		LOG_ERR("enrolment: %s refused the enrolment token for router %s (wrong, used or "
			"expired): ask the operator for a new one, put it in %s and restart",
			url, cd->ctl->router, cd->file);
	else
		LOG_WARN("enrolment: %s/api/v1/enrol answered HTTP %ld: %.200s", url, status,
			 reply.data);
	cd_buf_free(&reply);
	return status == 403 ? TRY_REFUSED : r;
}

static int give_up(struct svr_conductor *cd, const char *why)
{
	pthread_mutex_lock(&cd->lock);
	snprintf(cd->fatal, sizeof(cd->fatal), "%s", why);
	pthread_mutex_unlock(&cd->lock);
	LOG_ERR("not managed by a conductor: %s", why);
	return -2;
}

int cd_enrol(struct svr_conductor *cd, struct cd_client *c)
{
	unsigned wrong_ca = 0, unreachable = 0;
	char err[600] = "";
	for (unsigned i = 0; i < cd->cfg.n_urls && !atomic_load(&cd->stopping); i++) {
		const char *url = cd->cfg.urls[i];
		char *ca = NULL;
		size_t ca_len = 0;
		enum try_result r = fetch_ca(cd, c, url, &ca, &ca_len, err, sizeof(err));
		wrong_ca += r == TRY_WRONG_CA;
		unreachable += r == TRY_UNREACHABLE;
		if (r != TRY_OK)
			continue;
		free(cd->ca_pem);
		cd->ca_pem = ca;
		cd->ca_len = ca_len;
		r = post_token(cd, c, url, err, sizeof(err));
		unreachable += r == TRY_UNREACHABLE;
		if (r != TRY_UNREACHABLE)
			cd_note_reachable(cd, true, i, NULL);
		if (r == TRY_REFUSED)
			return give_up(cd, "the conductor refused the enrolment token");
		if (r != TRY_OK || store_enrolment(cd, cd->credential) < 0)
			continue;
		OPENSSL_cleanse(cd->cfg.token, sizeof(cd->cfg.token));
		char fp[65];
		svr_hex_encode(cd->cfg.ca_sha256, 32, fp);
		LOG_NOTICE("enrolled as router %s with conductor %s (CA SHA-256 %s); credential in "
			   "%s",
			   cd->ctl->router, url, fp, cd->cred_path);
		pthread_mutex_lock(&cd->lock);
		cd->enrolled = true;
		cd->url_index = i;
		pthread_cond_broadcast(&cd->wake);
		pthread_mutex_unlock(&cd->lock);
		return 0;
	}
	if (unreachable == cd->cfg.n_urls && !atomic_load(&cd->stopping))
		cd_note_reachable(cd, false, 0, err);
	/* A CA with another fingerprint is a wrong file or someone else's server: not retried
	 * (once the other URLs had their chance this round), as retrying cannot fix either. */
	if (wrong_ca > 0)
		return give_up(cd, "a conductor presented a CA whose SHA-256 is not the ca-sha256 "
				   "of the conductor file, and no other enrolled the router");
	return -1;
}
