/* SPDX-License-Identifier: BSD-3-Clause */
/* Control-socket request lines into struct dp_ctl_request (request.h), and the registry of
 * commands (command.h). */
#include "ctlsock/request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"

static struct dp_ctl_command *commands;

/* A registration that could only fail later, at a client's request, stops the program now. */
static void refuse(const struct dp_ctl_command *c, const char *why)
{
	fprintf(stderr, "control-socket command \"%s\": %s\n", c->name ? c->name : "(no name)",
		why);
	abort();
}

void dp_ctl_register(struct dp_ctl_command *c)
{
	if (!c->name || !c->name[0])
		refuse(c, "registered without a name");
	if (!c->answer == !c->serve)
		refuse(c, "needs exactly one handler (answer or serve)");
	if (c->parse && c->args_size == 0)
		refuse(c, "has an argument parser but no room for its arguments (args_size)");
	if (dp_ctl_command_find(c->name))
		refuse(c, "registered twice");
	c->next = commands;
	commands = c;
}

const struct dp_ctl_command *dp_ctl_command_find(const char *name)
{
	for (const struct dp_ctl_command *c = commands; c; c = c->next)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

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
	r->cmd = cmd ? dp_ctl_command_find(cmd) : NULL;
	int rc = -1;
	if (!r->cmd)
		snprintf(err, errlen, "unknown command: %s", cmd ? cmd : "(no \"cmd\")");
	else if (!r->cmd->parse)
		rc = 0;
	else if (!(r->args = calloc(1, r->cmd->args_size)))
		snprintf(err, errlen, "out of memory");
	else
		rc = r->cmd->parse(r->doc, r->args, err, errlen);
	if (rc < 0)
		dp_ctl_request_free(r);
	return rc;
}

void dp_ctl_request_free(struct dp_ctl_request *r)
{
	json_decref(r->doc);
	r->doc = NULL;
	free(r->args);
	r->args = NULL;
}
