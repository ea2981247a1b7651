/* SPDX-License-Identifier: BSD-3-Clause */
/* GET /api/v1/openapi.json: docs/openapi.json as compiled in (embed_json.py). */
#include <microhttpd.h>

#include "rest_int.h"

void rest_openapi_get(struct svr_rest *r, const struct rest_route *rt, const struct rest_in *in,
		      struct rest_reply *out)
{
	(void)r;
	(void)rt;
	(void)in;
	out->status = MHD_HTTP_OK;
	out->text = (char *)svr_openapi_json;
	out->text_len = svr_openapi_json_len;
	out->text_static = true;
}
