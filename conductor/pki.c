/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The authority's CA and this conductor's server certificate (pki.h). Everything here runs on
 * the main thread at start; afterwards the PEM texts are only read.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/hex.h"
#include "common/log.h"
#include "conductor.h"
#include "pki.h"

#define CA_DAYS           3650 /* 10 years */
#define SERVER_DAYS       730  /* 2 years */
#define SERVER_RENEW_DAYS 30   /* issued again this long before it expires */
#define KEY_FILE          "conductor-key.pem"
#define CERT_FILE         "conductor-cert.pem"

static char *ca_pem, *cert_pem, *key_pem;
static char ca_sha256[65];

const char *cd_pki_ca_pem(void)
{
	return ca_pem;
}
const char *cd_pki_ca_sha256(void)
{
	return ca_sha256;
}
const char *cd_pki_cert_pem(void)
{
	return cert_pem;
}
const char *cd_pki_key_pem(void)
{
	return key_pem;
}

void cd_pki_free(void)
{
	free(ca_pem);
	free(cert_pem);
	if (key_pem)
		OPENSSL_clear_free(key_pem, strlen(key_pem));
	ca_pem = cert_pem = key_pem = NULL;
}

/* OpenSSL's last error as a sentence. */
static int ssl_err(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256] = "unknown error";
	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return svr_errf(err, errlen, "%s: %s", what, buf);
}

/* ------------------------------------------------------------ PEM in text -- */

static char *bio_text(BIO *b)
{
	char *data;
	long n = BIO_get_mem_data(b, &data);
	char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (s) {
		memcpy(s, data, (size_t)n);
		s[n] = '\0';
	}
	return s;
}

static char *cert_to_pem(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *s = b && PEM_write_bio_X509(b, x) ? bio_text(b) : NULL;
	BIO_free(b);
	return s;
}

static char *key_to_pem(EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *s =
	    b && PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) ? bio_text(b) : NULL;
	BIO_free(b);
	return s;
}

static X509 *cert_from_pem(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	return x;
}

static EVP_PKEY *key_from_pem(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	return k;
}

/* ---------------------------------------------------------- certificates -- */

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	int ok = ext && X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

/* A certificate for key with subject cn, valid for days, signed by issuer_key (issuer NULL:
 * self-signed). Extensions are added by the caller's list: nids[i] = values[i]. */
static X509 *make_cert(EVP_PKEY *key, const char *cn, unsigned days, X509 *issuer,
		       EVP_PKEY *issuer_key, const int *nids, const char *const *values, size_t n)
{
	X509 *x = X509_new();
	unsigned char rnd[16];
	BIGNUM *bn = NULL;
	if (!x || RAND_bytes(rnd, sizeof(rnd)) != 1)
		goto fail;
	rnd[0] &= 0x7f; /* a positive serial */
	bn = BN_bin2bn(rnd, sizeof(rnd), NULL);
	if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) || !X509_set_version(x, 2) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), (int)days, 0, NULL) ||
	    !X509_set_pubkey(x, key))
		goto fail;
	X509_NAME *name = X509_get_subject_name(x);
	if (!X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"svrouter",
					-1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
					-1, 0) ||
	    !X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name))
		goto fail;
	for (size_t i = 0; i < n; i++)
		if (add_ext(x, issuer ? issuer : x, nids[i], values[i]) < 0)
			goto fail;
	if (!X509_sign(x, issuer_key, EVP_sha256()))
		goto fail;
	BN_free(bn);
	return x;
fail:
	BN_free(bn);
	X509_free(x);
	return NULL;
}

static X509 *make_ca(EVP_PKEY *key)
{
	static const int nids[] = {NID_basic_constraints, NID_key_usage, NID_subject_key_identifier,
				   NID_authority_key_identifier};
	static const char *const values[] = {"critical,CA:TRUE", "critical,keyCertSign,cRLSign",
					     "hash", "keyid:always"};
	return make_cert(key, "svrouter authority CA", CA_DAYS, NULL, key, nids, values, 4);
}

/* "IP:198.18.250.1,DNS:conductor.example" for cfg.names, IP addresses in inet_ntop's form. */
static void san_of_names(const struct cd_config *cfg, char *out, size_t len)
{
	size_t off = 0;
	out[0] = '\0';
	for (unsigned i = 0; i < cfg->n_names && off < len; i++) {
		unsigned char a[16];
		char ip[INET6_ADDRSTRLEN];
		const char *n = cfg->names[i];
		int af = inet_pton(AF_INET, n, a) == 1    ? AF_INET
			 : inet_pton(AF_INET6, n, a) == 1 ? AF_INET6
							  : 0;
		if (af)
			inet_ntop(af, a, ip, sizeof(ip));
		off += (size_t)snprintf(out + off, len - off, "%s%s:%s", i ? "," : "",
					af ? "IP" : "DNS", af ? ip : n);
	}
}

/* The same text read back from a certificate's subjectAltName. */
static void san_of_cert(X509 *x, char *out, size_t len)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	size_t off = 0;
	out[0] = '\0';
	for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens) && off < len; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		char v[300] = "?";
		const char *kind = "?";
		if (g->type == GEN_DNS) {
			kind = "DNS";
			snprintf(v, sizeof(v), "%.*s", ASN1_STRING_length(g->d.dNSName),
				 (const char *)ASN1_STRING_get0_data(g->d.dNSName));
		} else if (g->type == GEN_IPADD) {
			int n = ASN1_STRING_length(g->d.iPAddress);
			kind = "IP";
			if (n == 4 || n == 16)
				inet_ntop(n == 4 ? AF_INET : AF_INET6,
					  ASN1_STRING_get0_data(g->d.iPAddress), v, sizeof(v));
		}
		off += (size_t)snprintf(out + off, len - off, "%s%s:%s", i ? "," : "", kind, v);
	}
	GENERAL_NAMES_free(gens);
}

static X509 *make_server_cert(EVP_PKEY *key, const struct cd_config *cfg, X509 *ca,
			      EVP_PKEY *ca_key)
{
	char san[4096];
	san_of_names(cfg, san, sizeof(san));
	const int nids[] = {NID_basic_constraints,
			    NID_key_usage,
			    NID_ext_key_usage,
			    NID_subject_key_identifier,
			    NID_authority_key_identifier,
			    NID_subject_alt_name};
	const char *const values[] = {"critical,CA:FALSE", "critical,digitalSignature",
				      "serverAuth",        "hash",
				      "keyid:always",      san};
	/* Clients check the alternative names; the CN is for people, and X.509 caps it at 64. */
	const char *cn = strlen(cfg->names[0]) <= 64 ? cfg->names[0] : "svr-conductor";
	return make_cert(key, cn, SERVER_DAYS, ca, ca_key, nids, values, 6);
}

/* ----------------------------------------------------------------- files -- */

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	char *s = malloc(65536);
	size_t n = s ? fread(s, 1, 65535, f) : 0;
	fclose(f);
	if (s)
		s[n] = '\0';
	return s;
}

/* Writes text to path through a temporary file renamed into place, with mode. */
static int write_text(const char *path, const char *text, mode_t mode, char *err, size_t errlen)
{
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	size_t n = strlen(text);
	bool ok =
	    fd >= 0 && fchmod(fd, mode) == 0 && write(fd, text, n) == (ssize_t)n && fsync(fd) == 0;
	if (fd >= 0 && close(fd) != 0)
		ok = false;
	if (!ok || rename(tmp, path) != 0) {
		int e = errno;
		unlink(tmp);
		return svr_errf(err, errlen, "cannot write %s: %s", path, strerror(e));
	}
	return 0;
}

/* ------------------------------------------------------------------- CA -- */

/* The CA from the store, created (and offered with put_new) when there is none. */
static int load_ca(struct conductor *c, X509 **ca, EVP_PKEY **ca_key, char *err, size_t errlen)
{
	char *stored = NULL;
	int got = svr_store_meta_get(c->store, CD_PKI_META_CA, &stored, err, errlen);
	if (got < 0 && got != SVR_STORE_NOT_FOUND)
		return -1;
	if (!stored) {
		EVP_PKEY *k = EVP_EC_gen("P-256");
		X509 *x = k ? make_ca(k) : NULL;
		char *cp = x ? cert_to_pem(x) : NULL, *kp = x ? key_to_pem(k) : NULL;
		char *both = cp && kp ? malloc(strlen(cp) + strlen(kp) + 1) : NULL;
		if (both)
			strcat(strcpy(both, cp), kp);
		X509_free(x);
		EVP_PKEY_free(k);
		free(cp);
		if (kp)
			OPENSSL_clear_free(kp, strlen(kp));
		if (!both)
			return ssl_err(err, errlen, "cannot create the CA");
		int rc =
		    svr_store_meta_put_new(c->store, CD_PKI_META_CA, both, &stored, err, errlen);
		bool ours = rc == 0 && stored && strcmp(stored, both) == 0;
		OPENSSL_clear_free(both, strlen(both));
		if (rc < 0)
			return -1;
		if (ours)
			LOG_NOTICE("created the authority's CA (EC P-256, %d days) in the store",
				   CA_DAYS);
	}
	*ca = stored ? cert_from_pem(stored) : NULL;
	*ca_key = stored ? key_from_pem(stored) : NULL;
	if (stored)
		OPENSSL_clear_free(stored, strlen(stored));
	if (!*ca || !*ca_key) {
		X509_free(*ca);
		EVP_PKEY_free(*ca_key);
		return ssl_err(err, errlen,
			       "the store's CA (meta " CD_PKI_META_CA ") is not a PEM certificate "
			       "and key");
	}
	return 0;
}

static int note_ca(X509 *ca, char *err, size_t errlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	if (!X509_digest(ca, EVP_sha256(), md, &n) || n != 32)
		return ssl_err(err, errlen, "the CA's fingerprint");
	svr_hex_encode(md, n, ca_sha256);
	ca_pem = cert_to_pem(ca);
	return ca_pem ? 0 : ssl_err(err, errlen, "the CA's PEM");
}

/* ------------------------------------------------------------ the server -- */

/* Whether the certificate on disk serves: this key, signed by this CA, these names, and not
 * about to expire. */
static bool server_cert_usable(X509 *x, EVP_PKEY *key, X509 *ca, const struct cd_config *cfg)
{
	char want[4096], have[4096];
	san_of_names(cfg, want, sizeof(want));
	san_of_cert(x, have, sizeof(have));
	EVP_PKEY *ca_pub = X509_get0_pubkey(ca);
	int days = 0, secs = 0;
	bool fresh =
	    ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(x)) && days > SERVER_RENEW_DAYS;
	return strcmp(want, have) == 0 && ca_pub && X509_verify(x, ca_pub) == 1 &&
	       X509_check_private_key(x, key) == 1 && fresh;
}

static int server_cert(struct conductor *c, X509 *ca, EVP_PKEY *ca_key, char *err, size_t errlen)
{
	char kpath[4200], cpath[4200];
	snprintf(kpath, sizeof(kpath), "%s/" KEY_FILE, c->cfg.state_dir);
	snprintf(cpath, sizeof(cpath), "%s/" CERT_FILE, c->cfg.state_dir);
	char *kp = read_text(kpath), *cp = read_text(cpath);
	EVP_PKEY *key = kp ? key_from_pem(kp) : NULL;
	X509 *x = cp ? cert_from_pem(cp) : NULL;
	ERR_clear_error();
	if (kp)
		OPENSSL_clear_free(kp, strlen(kp));
	free(cp);
	int rc = -1;
	if (!key || !x || !server_cert_usable(x, key, ca, &c->cfg)) {
		/* A new key with each certificate: the names changed, or the CA, or it expires. */
		EVP_PKEY_free(key);
		X509_free(x);
		key = EVP_EC_gen("P-256");
		x = key ? make_server_cert(key, &c->cfg, ca, ca_key) : NULL;
		if (!x) {
			ssl_err(err, errlen, "cannot issue this conductor's certificate");
			goto out;
		}
		char *nk = key_to_pem(key), *nc = cert_to_pem(x);
		int w = nk && nc ? write_text(kpath, nk, 0600, err, errlen) : -1;
		if (w == 0)
			w = write_text(cpath, nc, 0644, err, errlen);
		if (nk)
			OPENSSL_clear_free(nk, strlen(nk));
		free(nc);
		if (w < 0)
			goto out;
		char san[4096];
		san_of_names(&c->cfg, san, sizeof(san));
		LOG_NOTICE("issued this conductor's certificate for %s (%s, key %s, %d days)", san,
			   cpath, kpath, SERVER_DAYS);
	}
	char *leaf = cert_to_pem(x);
	key_pem = key_to_pem(key);
	cert_pem = leaf ? malloc(strlen(leaf) + strlen(ca_pem) + 1) : NULL;
	if (cert_pem)
		strcat(strcpy(cert_pem, leaf), ca_pem);
	free(leaf);
	rc = cert_pem && key_pem ? 0 : ssl_err(err, errlen, "this conductor's PEM");
out:
	EVP_PKEY_free(key);
	X509_free(x);
	return rc;
}

int cd_pki_init(struct conductor *c, char *err, size_t errlen)
{
	X509 *ca = NULL;
	EVP_PKEY *ca_key = NULL;
	if (load_ca(c, &ca, &ca_key, err, errlen) < 0)
		return -1;
	int rc = note_ca(ca, err, errlen);
	if (rc == 0)
		rc = server_cert(c, ca, ca_key, err, errlen);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	if (rc < 0)
		cd_pki_free();
	return rc;
}
