/* SPDX-License-Identifier: BSD-3-Clause */
/* The control socket's capture commands: "capture-start", "capture-read", "capture-stop". */
#include <jansson.h>

#include "capture/capture.h"
#include "ctlsock/command.h"
#include "ctlsock/request.h"

/* Capture commands read their own arguments from the request (capture/capture.c). */
static json_t *cmd_capture_start(const struct dp_ctl_request *r, const char **error)
{
	return dp_capture_start_cmd(r->doc, error);
}

static json_t *cmd_capture_read(const struct dp_ctl_request *r, const char **error)
{
	return dp_capture_read_cmd(r->doc, error);
}

static json_t *cmd_capture_stop(const struct dp_ctl_request *r, const char **error)
{
	return dp_capture_stop_cmd(r->doc, error);
}

static struct dp_ctl_command capture_start = {.name = "capture-start", .serve = cmd_capture_start};
static struct dp_ctl_command capture_read = {.name = "capture-read", .serve = cmd_capture_read};
static struct dp_ctl_command capture_stop = {.name = "capture-stop", .serve = cmd_capture_stop};
DP_CTL_REGISTER(capture_start)
DP_CTL_REGISTER(capture_read)
DP_CTL_REGISTER(capture_stop)
