/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz-sources: src/model/validate.c src/model/compile.c src/model/index.c */
/* fuzz-sources: src/common/image.c src/common/inet.c src/common/timeutil.c */
/* fuzz-sources: src/common/crc32c.c src/common/log.c */
/* fuzz-libs: -ljansson */
/* fuzz-dict: tests/fuzz/model.dict */
/* fuzz-max-len: 8192 */
/*
 * libFuzzer target for the model validator (src/model/validate.c),
 * which reads whatever an operator or a REST client PUTs: the input is parsed
 * as JSON, then validated; a model that passes is compiled for each of its
 * routers, and every image compiled from a valid model must pass the image
 * checker the dataplane runs (the two agree on what a good image is).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "common/image.h"
#include "model/compile.h"
#include "model/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void compile_each_router(const json_t *doc)
{
	const json_t *routers = json_object_get(json_object_get(doc, "authority"), "routers");
	size_t i;
	const json_t *r;
	json_array_foreach (routers, i, r) {
		const char *name = json_string_value(json_object_get(r, "name"));
		void *img = NULL;
		size_t len = 0;
		char err[512];
		if (!name || svr_model_compile(doc, name, &img, &len, err, sizeof(err)) < 0)
			continue; /* refusing is allowed (limits the validator leaves to it) */
		if (svr_img_check(img, len, err, sizeof(err)) < 0)
			abort(); /* the compiler made an image the dataplane would refuse */
		free(img);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (!doc)
		return 0;
	struct svr_model_errors errs;
	svr_model_errors_init(&errs);
	int rc = svr_model_validate(doc, &errs);
	if (rc == 0 && errs.count == 0)
		compile_each_router(doc);
	if (rc < 0 && errs.count == 0)
		abort(); /* a refusal must say why */
	svr_model_errors_free(&errs);
	json_decref(doc);
	return 0;
}
