/* SPDX-License-Identifier: BSD-3-Clause */
/* Control-socket request lines into struct dp_ctl_request (request.h). */
#include "ctlsock/request.h"

#include <stdio.h>
#include <string.h>

#include "common/bytes.h"
#include "svr/ctlsock.h"

static const char *const cmd_names[DP_CTL_CMDS] = {
    [DP_CTL_POLICY] = "policy",
    [DP_CTL_VERSION] = "version",
    [DP_CTL_PORTS] = "ports",
    [DP_CTL_INTERFACES] = "interfaces",
    [DP_CTL_STATS] = "stats",
    [DP_CTL_NEIGHBORS] = "neighbors",
    [DP_CTL_ROUTES] = "routes",
    [DP_CTL_PEERS] = "peers",
    [DP_CTL_SESSIONS] = "sessions",
    [DP_CTL_SESSION] = "session",
    [DP_CTL_SESSION_CLEAR] = "session-clear",
    [DP_CTL_TEST_CLOCK] = "test-clock",
    [DP_CTL_CAPTURE_START] = "capture-start",
    [DP_CTL_CAPTURE_READ] = "capture-read",
    [DP_CTL_CAPTURE_STOP] = "capture-stop",
};

int dp_ctl_uuid_parse(const char *s, uint8_t out[16])
{
	/* 32 hex digits and 4 dashes, as the dataplane prints them */
	if (strlen(s) != 36)
		return -1;
	unsigned k = 0;
	for (const char *p = s; *p; p++) {
		if (*p == '-')
			continue;
		int v = svr_hex_digit(*p);
		if (v < 0 || k == 32)
			return -1;
		out[k / 2] = (uint8_t)(k % 2 ? out[k / 2] | v : v << 4);
		k++;
	}
	return k == 32 ? 0 : -1;
}

/* "sessions": its filters and paging. */
static int sessions_args(struct dp_ctl_request *r, char *err, size_t errlen)
{
	const json_t *req = r->doc;
	r->limit = 100;
	r->tenant = json_string_value(json_object_get(req, "tenant"));
	r->service = json_string_value(json_object_get(req, "service"));
	const char *addr = json_string_value(json_object_get(req, "address"));
	if (addr) {
		if (svr_ip_parse(addr, &r->addr) < 0) {
			snprintf(err, errlen, "address: not an IPv4 or IPv6 address");
			return -1;
		}
		r->has_addr = true;
	}
	const json_t *c = json_object_get(req, "cursor"), *l = json_object_get(req, "limit");
	if (c && (!json_is_integer(c) || json_integer_value(c) < 0 ||
		  json_integer_value(c) > UINT32_MAX)) {
		snprintf(err, errlen, "cursor: must be the \"next\" value of a previous answer");
		return -1;
	}
	if (l && (!json_is_integer(l) || json_integer_value(l) < 1 ||
		  json_integer_value(l) > SVR_CTLSOCK_MAX_SESSIONS)) {
		snprintf(err, errlen, "limit: must be an integer 1-%d", SVR_CTLSOCK_MAX_SESSIONS);
		return -1;
	}
	if (c)
		r->cursor = (uint32_t)json_integer_value(c);
	if (l)
		r->limit = (uint32_t)json_integer_value(l);
	return 0;
}

/* "session", "session-clear": the UUID. One that is not a UUID names no live session. */
static int uuid_arg(struct dp_ctl_request *r, char *err, size_t errlen)
{
	r->uuid_text = json_string_value(json_object_get(r->doc, "uuid"));
	if (!r->uuid_text) {
		snprintf(err, errlen, "uuid: required");
		return -1;
	}
	r->uuid_valid = dp_ctl_uuid_parse(r->uuid_text, r->uuid) == 0;
	return 0;
}

/* "test-clock": offset-s (an integer, at most 2^40 either way) and at-unix-s (optional, >= 0). */
static int clock_args(struct dp_ctl_request *r, char *err, size_t errlen)
{
	const json_t *off = json_object_get(r->doc, "offset-s"),
		     *at = json_object_get(r->doc, "at-unix-s");
	json_int_t o = json_integer_value(off), a = json_integer_value(at);
	if (!json_is_integer(off) || o < -(1LL << 40) || o > (1LL << 40)) {
		snprintf(err, errlen, "offset-s: an integer of seconds, at most 2^40 either way");
		return -1;
	}
	if (at && (!json_is_integer(at) || a < 0)) {
		snprintf(err, errlen, "at-unix-s: a unix time in seconds");
		return -1;
	}
	r->clock_offset_s = (int64_t)o;
	r->clock_at_s = (int64_t)a;
	return 0;
}

int dp_ctl_request_parse(const char *line, struct dp_ctl_request *r, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	json_error_t jerr;
	r->doc = json_loads(line, 0, &jerr);
	if (!r->doc) {
		snprintf(err, errlen, "malformed request: %s", jerr.text);
		return -1;
	}
	const char *cmd = json_string_value(json_object_get(r->doc, "cmd"));
	int rc = -1;
	r->cmd = DP_CTL_CMDS;
	for (int i = 0; cmd && i < DP_CTL_CMDS; i++)
		if (strcmp(cmd, cmd_names[i]) == 0)
			r->cmd = (enum dp_ctl_cmd)i;
	switch (r->cmd) {
	case DP_CTL_SESSIONS:
		rc = sessions_args(r, err, errlen);
		break;
	case DP_CTL_SESSION:
	case DP_CTL_SESSION_CLEAR:
		rc = uuid_arg(r, err, errlen);
		break;
	case DP_CTL_TEST_CLOCK:
		rc = clock_args(r, err, errlen);
		break;
	case DP_CTL_CMDS:
		snprintf(err, errlen, "unknown command: %s", cmd ? cmd : "(no \"cmd\")");
		break;
	default:
		rc = 0;
	}
	if (rc < 0)
		dp_ctl_request_free(r);
	return rc;
}

void dp_ctl_request_free(struct dp_ctl_request *r)
{
	json_decref(r->doc);
	r->doc = NULL;
}
