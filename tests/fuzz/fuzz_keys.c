/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz-sources: src/common/security.c src/common/jsonutil.c src/common/timeutil.c */
/* fuzz-sources: src/common/sha256x2.c src/common/metadata.c */
/* fuzz-libs: -ljansson -lcrypto */
/* fuzz-dict: tests/fuzz/keys.dict */
/*
 * libFuzzer target for the SVR key file reader (src/common/security.c,
 * docs/svr.md "The key file"): the input is the file. A file that is accepted
 * gives 1-SVR_KEYS_MAX keys of lengths the ciphers take, each found again by
 * its Security ID; a refused one says why and leaves no key behind.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/security.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_accepted(const struct svr_keyring *kr)
{
	if (kr->n == 0 || kr->n > SVR_KEYS_MAX)
		abort();
	for (unsigned i = 0; i < kr->n; i++) {
		const struct svr_key *k = &kr->keys[i];
		if (k->hmac_len < 16 || k->hmac_len > SVR_KEY_MAX_BYTES ||
		    (k->enc_len != 0 && k->enc_len != 16 && k->enc_len != 32) ||
		    svr_keyring_find(kr, k->security_id) != k)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *p = malloc(size ? size : 1); /* exact size: ASan flags any overread */
	if (!p)
		return 0;
	memcpy(p, data, size);
	struct svr_keyring kr;
	struct svr_jerr e = {.msg = ""};
	if (svr_keyring_parse_len((const char *)p, size, &kr, &e) == 0) {
		check_accepted(&kr);
	} else {
		static const struct svr_keyring none;
		if (!e.msg[0] || memcmp(&kr, &none, sizeof(kr)) != 0)
			abort(); /* a refusal says why and keeps nothing */
	}
	free(p);
	return 0;
}
