/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz-sources: src/control/conductor/config.c src/control/conductor/syncmsg.c */
/* fuzz-sources: src/common/jsonutil.c src/common/log.c src/model/validate.c */
/* fuzz-sources: src/common/inet.c src/common/timeutil.c */
/* fuzz-libs: -ljansson */
/* fuzz-dict: tests/fuzz/conductor.dict */
/*
 * libFuzzer target for what svr-control's conductor client reads (src/control/conductor/): the
 * first byte picks the reader, the rest is its input. 0 mod 2: the conductor file (an
 * operator's); 1 mod 2: a sync answer (from the network). Accepted input leaves values in range
 * (every URL https:// and terminated, a serial of at least 1, a model object); refused input a
 * sentence that starts with a JSON path.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conductor/cd_int.h"
#include "conductor/conductor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_config(const struct svr_cd_config *c)
{
	if (c->n_urls < 1 || c->n_urls > SVR_CD_MAX_URLS)
		abort();
	for (unsigned i = 0; i < c->n_urls; i++)
		if (strncmp(c->urls[i], "https://", 8) != 0 || strlen(c->urls[i]) <= 8 ||
		    strchr(c->urls[i], '/') != c->urls[i] + 6)
			abort();
	if (c->key_file[0] != '/' || strnlen(c->router, sizeof(c->router)) == sizeof(c->router))
		abort();
}

static void check_error(const char *err)
{
	if (!err[0] || !strstr(err, ": "))
		abort(); /* every refusal is "PATH: sentence" */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	char err[600] = "";
	if (data[0] % 2 == 0) {
		struct svr_cd_config cfg;
		if (svr_cd_config_parse(text, len, &cfg, err, sizeof(err)) == 0)
			check_config(&cfg);
		else
			check_error(err);
		return 0;
	}
	struct cd_sync_msg m;
	if (cd_sync_parse(text, len, &m, err, sizeof(err)) == 0) {
		if (m.serial < 1 || m.version < 0 || (m.model && !json_is_object(m.model)) ||
		    (m.keys && !json_is_array(json_object_get(m.keys, "keys"))))
			abort();
		cd_sync_msg_free(&m);
	} else {
		check_error(err);
		if (m.doc || m.model)
			abort();
	}
	return 0;
}
