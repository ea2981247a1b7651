/* SPDX-License-Identifier: BSD-3-Clause */
#include "session/names.h"

#include <stdlib.h>
#include <string.h>

#include "session/table.h"

/* Open addressing over twice the id space: at most half full, short probes. */
#define SLOTS (2u * 65536u)

struct svr_names {
	char *by_id[SVR_NAMES_MAX];
	uint16_t slot[SLOTS]; /* id + 1, 0 = empty */
	uint32_t count;
};

static uint32_t hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

struct svr_names *svr_names_create(void)
{
	return calloc(1, sizeof(struct svr_names));
}

void svr_names_free(struct svr_names *n)
{
	if (!n)
		return;
	for (uint32_t i = 0; i < n->count; i++)
		free(n->by_id[i]);
	free(n);
}

/* The slot holding name, or the empty slot where it would go. */
static uint32_t probe(const struct svr_names *n, const char *name)
{
	uint32_t i = hash(name) & (SLOTS - 1);
	while (n->slot[i] && strcmp(n->by_id[n->slot[i] - 1], name) != 0)
		i = (i + 1) & (SLOTS - 1);
	return i;
}

uint16_t svr_names_find(const struct svr_names *n, const char *name)
{
	if (!name)
		return SVR_NO_NAME;
	uint32_t i = probe(n, name);
	return n->slot[i] ? (uint16_t)(n->slot[i] - 1) : SVR_NO_NAME;
}

uint16_t svr_names_id(struct svr_names *n, const char *name)
{
	if (!name)
		return SVR_NO_NAME;
	uint32_t i = probe(n, name);
	if (n->slot[i])
		return (uint16_t)(n->slot[i] - 1);
	if (n->count >= SVR_NAMES_MAX)
		return SVR_NO_NAME;
	char *copy = strdup(name);
	if (!copy)
		return SVR_NO_NAME;
	n->by_id[n->count] = copy;
	n->slot[i] = (uint16_t)(n->count + 1);
	return (uint16_t)n->count++;
}

const char *svr_names_get(const struct svr_names *n, uint16_t id)
{
	return id < n->count ? n->by_id[id] : NULL;
}
