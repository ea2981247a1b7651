/* SPDX-License-Identifier: BSD-3-Clause */
/* svrctl's REST commands: one HTTP request to svr-control per invocation (libcurl). */
#include "api.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/hex.h"
#include "svr/version.h"

enum {
	EXIT_API_ERROR = 1, /* the API answered an error, or an unusable answer */
	EXIT_UNREACHABLE = 3,
};

/* GET /model of a 10,000-service model is a few MiB; anything far beyond is not svr-control. */
#define MAX_ANSWER (256u << 20)
#define MAX_MODEL  (1u << 30)
#define TOKEN_MAX  256

static void errmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void errmsg(const char *fmt, ...)
{
	va_list ap;
	fputs("svrctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct api_buf *b = userdata;
	size_t n = size * nmemb;
	if (b->len + n + 1 > MAX_ANSWER) {
		b->too_big = true;
		return 0; /* aborts the transfer */
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 16384;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *d = realloc(b->data, cap);
		if (!d)
			return 0;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

/* The token: given, or the first line of the token file. NULL (message printed) if none. */
static char *get_token(const struct api_opts *o)
{
	if (o->token) {
		if (!*o->token) {
			errmsg("the token is empty");
			return NULL;
		}
		return strdup(o->token);
	}
	FILE *f = fopen(o->token_file, "r");
	if (!f) {
		errmsg("cannot read the API token from %s: %s (use --token-file or --token; "
		       "the file is created by svr-control on its first start)",
		       o->token_file, strerror(errno));
		return NULL;
	}
	char line[TOKEN_MAX + 4];
	char *tok = fgets(line, sizeof(line), f) ? line : NULL;
	fclose(f);
	if (tok)
		tok[strcspn(tok, "\r\n \t")] = '\0';
	if (!tok || !*tok) {
		errmsg("the token file %s is empty", o->token_file);
		return NULL;
	}
	return strdup(tok);
}

/* The server's name in messages, and the option that moves its address. */
static const char *server_name(const struct api_opts *o)
{
	return o->server ? o->server : "svr-control";
}

static const char *url_option(const struct api_opts *o)
{
	return o->url_option ? o->url_option : "--api URL or SVR_API";
}

/* The CA a pinned fingerprint admitted (api_pin_ca), PEM, for every later request. */
static char *pinned_ca;
static size_t pinned_ca_len;

enum call_mode {
	CALL_AUTH,     /* the bearer token; the server's certificate verified */
	CALL_PIN_FETCH /* no token, certificate not verified: only to fetch the CA to pin */
};

/* One request; on a transport failure prints why and returns EXIT_UNREACHABLE or
 * EXIT_API_ERROR, else 0 with the answer filled in. */
static int call(const struct api_opts *o, enum call_mode mode, const char *method, const char *path,
		const char *body, size_t body_len, struct api_answer *a)
{
	memset(a, 0, sizeof(*a));
	char *token = mode == CALL_AUTH ? get_token(o) : strdup("");
	if (!token)
		return EXIT_UNREACHABLE;
	size_t ulen = strlen(o->url);
	while (ulen > 0 && o->url[ulen - 1] == '/')
		ulen--;
	size_t urlsz = ulen + strlen(path) + 16;
	char *url = malloc(urlsz);
	size_t hsz = strlen(token) + 32;
	char *auth = malloc(hsz);
	CURL *c = curl_easy_init();
	if (!url || !auth || !c) {
		errmsg("out of memory");
		free(url);
		free(auth);
		free(token);
		curl_easy_cleanup(c);
		return EXIT_API_ERROR;
	}
	snprintf(url, urlsz, "%.*s/api/v1%s", (int)ulen, o->url, path);
	snprintf(a->url, sizeof(a->url), "%s", url);
	snprintf(auth, hsz, "Authorization: Bearer %s", token);
	memset(token, 0, strlen(token));
	free(token);

	struct curl_slist *hdrs = mode == CALL_AUTH ? curl_slist_append(NULL, auth) : NULL;
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	if (body)
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	char ua[64];
	snprintf(ua, sizeof(ua), "svrctl/%s", SVR_VERSION);
	char cerr[CURL_ERROR_SIZE] = "";

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_USERAGENT, ua);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(o->timeout_s * 1000));
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, o->https_only ? "https" : "http,https");
	/* No redirects: the token must not travel to another host. */
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &a->body);
	if (mode == CALL_PIN_FETCH) {
		/* Whoever answers is not trusted yet: the fingerprint decides (api_pin_ca). */
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (pinned_ca) {
		struct curl_blob blob = {pinned_ca, pinned_ca_len, CURL_BLOB_COPY};
		curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
		curl_easy_setopt(c, CURLOPT_CAPATH,
				 NULL); /* that certificate alone, not the system's */
	} else if (o->cacert) {
		curl_easy_setopt(c, CURLOPT_CAINFO, o->cacert);
		curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
	}
	if (body) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	} else if (strcmp(method, "GET") != 0) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	}

	CURLcode rc = curl_easy_perform(c);
	int ret = 0;
	if (rc != CURLE_OK) {
		bool unreachable =
		    rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
		    rc == CURLE_COULDNT_RESOLVE_PROXY || rc == CURLE_OPERATION_TIMEDOUT;
		bool tls = rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE;
		if (a->body.too_big)
			errmsg("%s %s: the answer is larger than %u bytes", method, url,
			       MAX_ANSWER);
		else if (rc == CURLE_COULDNT_CONNECT)
			errmsg("%s %s: %s (is %s running there? %s; address from %s)", method, url,
			       *cerr ? cerr : curl_easy_strerror(rc), server_name(o), url_option(o),
			       o->url_from);
		else
			errmsg("%s %s: %s%s", method, url, *cerr ? cerr : curl_easy_strerror(rc),
			       tls ? (o->tls_hint ? o->tls_hint : "") : "");
		ret = unreachable ? EXIT_UNREACHABLE : EXIT_API_ERROR;
	} else {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->code);
		if (a->body.len)
			a->json = json_loadb(a->body.data, a->body.len, 0, NULL);
	}
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	memset(auth, 0, strlen(auth));
	free(auth);
	free(url);
	return ret;
}

/* Lower-case hex without separators from "AB:cd:..." or "abcd..."; -1 unless 64 digits. */
static int normalise_sha256(const char *in, char out[65])
{
	size_t n = 0;
	for (; *in; in++) {
		if (*in == ':')
			continue;
		if (!isxdigit((unsigned char)*in) || n == 64)
			return -1;
		out[n++] = (char)tolower((unsigned char)*in);
	}
	out[n] = '\0';
	return n == 64 ? 0 : -1;
}

int api_pem_sha256(const char *pem, size_t len, char out[65])
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	int ok = x && X509_digest(x, EVP_sha256(), md, &mdlen) == 1 && mdlen == 32;
	if (ok)
		svr_hex_encode(md, mdlen, out);
	X509_free(x);
	BIO_free(bio);
	return ok ? 0 : -1;
}

/* How many PEM blocks text holds: a CA answer must be exactly one certificate. */
static unsigned pem_blocks(const char *text, size_t len)
{
	static const char begin[] = "-----BEGIN ";
	unsigned n = 0;
	for (const char *p = text, *end = text + len;
	     (p = memmem(p, (size_t)(end - p), begin, sizeof(begin) - 1)); p += sizeof(begin) - 1)
		n++;
	return n;
}

/* The one certificate of pem, re-encoded from its parsed form (nothing else of the answer is
 * kept), and its SHA-256 fingerprint in got; NULL when pem is not one certificate. */
static char *single_certificate(const char *pem, size_t len, size_t *out_len, char got[65])
{
	if (pem_blocks(pem, len) != 1 || api_pem_sha256(pem, len, got) < 0)
		return NULL;
	BIO *in = BIO_new_mem_buf(pem, (int)len), *mem = BIO_new(BIO_s_mem());
	X509 *x = in ? PEM_read_bio_X509(in, NULL, NULL, NULL) : NULL;
	char *out = NULL, *p;
	long n;
	if (x && mem && PEM_write_bio_X509(mem, x) && (n = BIO_get_mem_data(mem, &p)) > 0 &&
	    (out = malloc((size_t)n + 1))) {
		memcpy(out, p, (size_t)n);
		out[n] = '\0';
		*out_len = (size_t)n;
	}
	X509_free(x);
	BIO_free(in);
	BIO_free(mem);
	return out;
}

/* --ca-sha256: fetches the CA (GET /enrol/ca, no token sent, certificate not yet checked) and
 * trusts it for the requests that follow only if it is one certificate whose SHA-256
 * fingerprint is the one given, the way a router enrols (docs/conductor.md). What is trusted is
 * that certificate re-encoded, never the answer: a man in the middle cannot add a CA of its own. */
static int api_pin_ca(const struct api_opts *o)
{
	char want[65], got[65];
	if (normalise_sha256(o->ca_sha256, want) < 0) {
		errmsg("--ca-sha256: '%s' is not a SHA-256 fingerprint (64 hex digits, colons "
		       "allowed)",
		       o->ca_sha256);
		return EXIT_API_ERROR;
	}
	struct api_answer a;
	int rc = call(o, CALL_PIN_FETCH, "GET", "/enrol/ca", NULL, 0, &a);
	if (rc)
		return rc;
	size_t ca_len = 0;
	char *ca = a.code == 200 && a.body.len
		       ? single_certificate(a.body.data, a.body.len, &ca_len, got)
		       : NULL;
	if (!ca) {
		errmsg("GET %s: HTTP %ld: not one CA certificate (%u PEM blocks): not trusted "
		       "(nothing was sent)",
		       a.url, a.code, a.body.len ? pem_blocks(a.body.data, a.body.len) : 0);
		rc = EXIT_API_ERROR;
	} else if (strcmp(got, want) != 0) {
		errmsg("%s: the CA's SHA-256 fingerprint is %s, not the %s given: not trusted "
		       "(nothing was sent)",
		       o->url, got, want);
		free(ca);
		rc = EXIT_API_ERROR;
	} else {
		pinned_ca = ca;
		pinned_ca_len = ca_len;
	}
	api_answer_free(&a);
	return rc;
}

int api_call(const struct api_opts *o, const char *method, const char *path, const char *body,
	     size_t body_len, struct api_answer *a)
{
	memset(a, 0, sizeof(*a));
	if (o->https_only && strncasecmp(o->url, "https://", 8) != 0) {
		errmsg("%s: %s's address must be an https:// URL (from %s): the token is never "
		       "sent in clear",
		       o->url, server_name(o), o->url_from);
		return EXIT_API_ERROR;
	}
	if (o->ca_sha256 && !pinned_ca) {
		int rc = api_pin_ca(o);
		if (rc)
			return rc;
	}
	return call(o, CALL_AUTH, method, path, body, body_len, a);
}

void api_answer_free(struct api_answer *a)
{
	json_decref(a->json);
	free(a->body.data);
}

/* A non-2xx answer as one line naming the URL (or the 422 error list); returns
 * EXIT_API_ERROR. */
int api_report_error(const struct api_opts *o, const char *what, const struct api_answer *a)
{
	const char *msg = json_string_value(json_object_get(a->json, "error"));
	if (a->code == 401)
		errmsg("%s: %s: 401 unauthorized: the API refused the token%s%s (address from %s: "
		       "is this the %s the token belongs to?)",
		       what, a->url, o->token ? "" : " from ", o->token ? "" : o->token_file,
		       o->url_from, server_name(o));
	else if (msg)
		errmsg("%s: %s: %ld: %s", what, a->url, a->code, msg);
	else if (a->json || a->body.len == 0)
		errmsg("%s: %s: HTTP %ld", what, a->url, a->code);
	else
		errmsg("%s: %s: HTTP %ld (not a JSON answer: is the address %s's?)", what, a->url,
		       a->code, server_name(o));
	return EXIT_API_ERROR;
}

char *api_read_file(const char *file, size_t *len)
{
	bool std_in = strcmp(file, "-") == 0;
	FILE *f = std_in ? stdin : fopen(file, "rb");
	if (!f) {
		errmsg("cannot open %s: %s", file, strerror(errno));
		return NULL;
	}
	size_t cap = 65536, n = 0;
	char *d = malloc(cap);
	while (d) {
		if (n == cap) {
			if (cap >= MAX_MODEL) {
				errmsg("%s: larger than %u bytes", file, MAX_MODEL);
				free(d);
				d = NULL;
				break;
			}
			char *nd = realloc(d, cap * 2);
			if (!nd) {
				free(d);
				d = NULL;
				break;
			}
			d = nd;
			cap *= 2;
		}
		size_t got = fread(d + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f)) {
				errmsg("cannot read %s: %s", file, strerror(errno));
				free(d);
				d = NULL;
			}
			break;
		}
	}
	if (!std_in)
		fclose(f);
	*len = n;
	return d;
}

int api_config_apply(const struct api_opts *o, const char *file)
{
	size_t len;
	char *text = api_read_file(file, &len);
	if (!text)
		return EXIT_API_ERROR;
	struct api_answer a;
	int rc = api_call(o, "PUT", "/model", text, len, &a);
	free(text);
	if (rc)
		return rc;
	const char *name = strcmp(file, "-") == 0 ? "(stdin)" : file;
	json_t *j = a.json;
	json_int_t gen = json_integer_value(json_object_get(j, "generation"));
	const char *msg = json_string_value(json_object_get(j, "error"));
	if (o->json && j) {
		char *t = json_dumps(j, JSON_INDENT(2));
		if (t)
			puts(t);
		free(t);
	}
	switch (a.code) {
	case 200:
		if (!o->json)
			printf("generation %" JSON_INTEGER_FORMAT " applied\n", gen);
		break;
	case 202:
		if (!o->json)
			printf("generation %" JSON_INTEGER_FORMAT
			       " published; not yet acknowledged by the dataplane\n",
			       gen);
		break;
	case 400: {
		json_t *line = json_object_get(j, "line"), *col = json_object_get(j, "column");
		const char *why = json_string_value(json_object_get(j, "message"));
		if (json_is_integer(line) && json_is_integer(col))
			fprintf(stderr,
				"%s:%" JSON_INTEGER_FORMAT ":%" JSON_INTEGER_FORMAT
				": malformed JSON: %s\n",
				name, json_integer_value(line), json_integer_value(col),
				why ? why : "?");
		else
			api_report_error(o, name, &a);
		rc = EXIT_API_ERROR;
		break;
	}
	case 422:
	case 500: {
		json_t *errs = json_object_get(j, "errors"), *e;
		size_t i;
		json_array_foreach (errs, i, e) {
			const char *path = json_string_value(json_object_get(e, "path"));
			const char *m = json_string_value(json_object_get(e, "message"));
			fprintf(stderr, "%s: %s\n", path ? path : "?", m ? m : "?");
		}
		errmsg("%s: %s", name, msg ? msg : "not applied");
		rc = EXIT_API_ERROR;
		break;
	}
	case 409:
		errmsg("%s: generation %" JSON_INTEGER_FORMAT " rejected by the dataplane: %s",
		       name, gen, msg ? msg : "?");
		rc = EXIT_API_ERROR;
		break;
	default:
		rc = a.code >= 200 && a.code < 300 ? 0 : api_report_error(o, name, &a);
		break;
	}
	api_answer_free(&a);
	return rc;
}

int api_config_show(const struct api_opts *o)
{
	struct api_answer a;
	int rc = api_call(o, "GET", "/model", NULL, 0, &a);
	if (rc)
		return rc;
	if (a.code != 200) {
		rc = api_report_error(o, "config show", &a);
	} else if (!a.json) {
		errmsg("config show: the answer is not JSON");
		rc = EXIT_API_ERROR;
	} else {
		char *t = json_dumps(a.json, JSON_INDENT(2));
		if (t)
			puts(t);
		free(t);
	}
	api_answer_free(&a);
	return rc;
}

static void kv(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void kv(const char *key, const char *fmt, ...)
{
	va_list ap;
	printf("%-22s", key);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void kv_json(const char *key, const json_t *v)
{
	if (json_is_string(v))
		kv(key, "%s", json_string_value(v));
	else if (json_is_integer(v))
		kv(key, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_boolean(v))
		kv(key, "%s", json_is_true(v) ? "yes" : "no");
	else if (!v || json_is_null(v))
		kv(key, "-");
	else {
		char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		kv(key, "%s", t ? t : "?");
		free(t);
	}
}

int api_status(const struct api_opts *o)
{
	struct api_answer a;
	int rc = api_call(o, "GET", "/status", NULL, 0, &a);
	if (rc)
		return rc;
	if (a.code != 200) {
		rc = api_report_error(o, "status", &a);
		api_answer_free(&a);
		return rc;
	}
	if (!json_is_object(a.json)) {
		errmsg("status: the answer is not a JSON object");
		api_answer_free(&a);
		return EXIT_API_ERROR;
	}
	json_t *j = a.json;
	if (o->json) {
		char *t = json_dumps(j, JSON_INDENT(2));
		if (t)
			puts(t);
		free(t);
		api_answer_free(&a);
		return 0;
	}
	kv_json("router:", json_object_get(j, "router"));
	kv_json("instance:", json_object_get(j, "instance"));
	kv_json("version:", json_object_get(j, "version"));
	json_t *up = json_object_get(j, "uptime-s");
	if (json_is_integer(up) && json_integer_value(up) >= 0) {
		json_int_t s = json_integer_value(up);
		kv("uptime:",
		   "%" JSON_INTEGER_FORMAT "d %02d:%02d:%02d (%" JSON_INTEGER_FORMAT " s)",
		   s / 86400, (int)(s / 3600 % 24), (int)(s / 60 % 60), (int)(s % 60), s);
	} else {
		kv_json("uptime:", up);
	}
	json_t *pub = json_object_get(j, "model-generation");
	json_t *ack = json_object_get(j, "dataplane-generation");
	kv_json("model-generation:", pub);
	kv_json("dataplane-generation:", ack);
	json_t *rej = json_object_get(j, "dataplane-rejected-generation");
	if (json_integer_value(rej) > 0)
		kv_json("rejected-generation:", rej);
	const char *dperr = json_string_value(json_object_get(j, "dataplane-error"));
	if (json_is_true(json_object_get(j, "dataplane")))
		kv("dataplane:", "reachable%s",
		   json_integer_value(pub) == json_integer_value(ack) ? ", in sync"
								      : ", not in sync");
	else
		kv("dataplane:", "unreachable%s%s", dperr ? ": " : "", dperr ? dperr : "");
	/* Fields added by a newer svr-control still show up. */
	static const char *const known[] = {"router",
					    "instance",
					    "version",
					    "uptime-s",
					    "model-generation",
					    "dataplane-generation",
					    "dataplane-rejected-generation",
					    "dataplane",
					    "dataplane-error"};
	const char *key;
	json_t *v;
	json_object_foreach (j, key, v) {
		bool seen = false;
		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			seen |= strcmp(key, known[i]) == 0;
		if (!seen) {
			char k[64];
			snprintf(k, sizeof(k), "%s:", key);
			kv_json(k, v);
		}
	}
	api_answer_free(&a);
	return fflush(stdout) == 0 ? 0 : EXIT_API_ERROR;
}
