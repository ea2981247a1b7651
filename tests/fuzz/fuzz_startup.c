/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz-sources: src/dataplane/core/config.c src/common/jsonutil.c src/common/fsutil.c */
/* fuzz-libs: -ljansson */
/* fuzz-dict: tests/fuzz/startup.dict */
/*
 * libFuzzer target for the dataplane's startup file (src/dataplane/core/config.c,
 * docs/startup-config.md), read before EAL starts: the input is the file. A file
 * that is accepted leaves a configuration the dataplane can start from (every list
 * within its array, every lcore it names in range); a refused one says why.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_accepted(const struct dp_config *c)
{
	unsigned lcores[DP_MAX_WORKERS + 1];
	int n = dp_parse_lcore_list(c->lcores, lcores, DP_MAX_WORKERS + 1);
	if (n < 2 || c->n_workers == 0 || c->n_workers > DP_MAX_WORKERS ||
	    c->n_extra_args > DP_MAX_EXTRA_ARGS || c->n_pci > DP_MAX_PCI)
		abort();
	for (unsigned i = 0; i < c->n_workers; i++)
		if (c->workers[i] == (unsigned)c->main_lcore)
			abort(); /* the main lcore never runs a worker */
	if (c->session_capacity < DP_SESSIONS_MIN || c->session_capacity > DP_SESSIONS_MAX ||
	    c->session_capacity6 > c->session_capacity || c->memory_mb == 0 ||
	    c->min_sleep_us > c->max_sleep_us || !c->instance[0] || !c->svr_key_file[0])
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1); /* the parser reads a C string, as from the file */
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	static struct dp_config c; /* about 20 KB */
	struct svr_jerr e = {.msg = ""};
	if (dp_config_parse(text, &c, &e) == 0)
		check_accepted(&c);
	else if (!e.msg[0])
		abort(); /* a refusal must say why */
	free(text);
	return 0;
}
