/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The authority's certificate authority and this conductor's server certificate (OpenSSL 3,
 * EC P-256). The CA lives in the store (meta key CD_PKI_META_CA: certificate and key PEM), so
 * every conductor on one store serves under the same CA; each conductor's own key and
 * certificate live in its state directory (conductor-key.pem 0600, conductor-cert.pem).
 */
#ifndef SVR_CONDUCTOR_PKI_H
#define SVR_CONDUCTOR_PKI_H

#include <stddef.h>

struct conductor;

#define CD_PKI_META_CA "authority-ca"

/* Loads the CA from the store (creating it on the first start: put_new, so with two conductors
 * starting together the first one's wins) and this conductor's certificate for cfg.names (issued
 * again when the names, or the CA, changed, or it expires within 30 days). Main thread, at
 * start. */
int cd_pki_init(struct conductor *c, char *err, size_t errlen);
void cd_pki_free(void);

/* Valid after cd_pki_init, until cd_pki_free; read from any thread. */
const char *cd_pki_ca_pem(void);    /* the CA certificate, PEM */
const char *cd_pki_ca_sha256(void); /* hex SHA-256 of the CA certificate's DER */
const char *cd_pki_cert_pem(void);  /* this conductor's certificate, then the CA's (PEM) */
const char *cd_pki_key_pem(void);   /* this conductor's private key (PEM) */

#endif
