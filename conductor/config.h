/* SPDX-License-Identifier: BSD-3-Clause */
/* svr-conductor's startup file (docs/conductor.md, "Running it"). */
#ifndef SVR_CONDUCTOR_CONFIG_H
#define SVR_CONDUCTOR_CONFIG_H

#include <stdbool.h>

#include "common/jsonutil.h"
#include "conductor.h"

#define CD_LISTEN_DEFAULT    "0.0.0.0:8443"
#define CD_STATE_DIR_DEFAULT "/var/lib/svr-conductor"
/* Debian's libjs-vue (Vue 2): the web UI's one library, read at start. */
#define CD_UI_VUE_JS_DEFAULT "/usr/share/javascript/vue/vue.min.js"

/* The defaults of every key. */
void cd_config_defaults(struct cd_config *c);
/* Reads the startup file over c; every error names the key's JSON path. */
int cd_config_load(const char *path, struct cd_config *c, struct svr_jerr *e);
int cd_config_parse(const char *text, struct cd_config *c, struct svr_jerr *e);
/* After the command line: what depends on state-dir and listen (the SQLite path, the token
 * files, the certificate's names). */
int cd_config_finish(struct cd_config *c, char *err, size_t errlen);
/* Reads (creating when missing, 0600) each operator's token file and keeps only its SHA-256. */
int cd_config_load_tokens(struct cd_config *c, char *err, size_t errlen);

/* An IP address or a DNS name. */
bool cd_config_valid_host(const char *s);

/* hex of SHA-256(data): 65 bytes with the NUL. */
void cd_sha256_hex(const void *data, size_t len, char out[65]);

#endif
