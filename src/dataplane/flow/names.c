/* SPDX-License-Identifier: BSD-3-Clause */
#include "flow/names.h"

#include <stdlib.h>
#include <string.h>

#include "flow/table.h"

/* Open addressing over twice the id space: at most half full, short probes. */
#define SLOTS (2u * 65536u)

struct svr_names {
	char *by_id[SVR_NAMES_MAX]; /* NULL: a free id */
	uint32_t holds[SVR_NAMES_MAX];
	uint16_t slot[SLOTS];             /* id + 1, 0 = empty */
	uint16_t free_ids[SVR_NAMES_MAX]; /* forgotten ids, handed out first */
	uint32_t n_free;
	uint32_t count; /* ids [0, count) have been handed out */
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

static uint32_t take_id(struct svr_names *n)
{
	if (n->n_free)
		return n->free_ids[--n->n_free];
	return n->count < SVR_NAMES_MAX ? n->count++ : SVR_NAMES_MAX;
}

uint16_t svr_names_hold(struct svr_names *n, const char *name)
{
	if (!name)
		return SVR_NO_NAME;
	uint32_t i = probe(n, name);
	if (!n->slot[i]) {
		char *copy = strdup(name);
		uint32_t id = copy ? take_id(n) : SVR_NAMES_MAX;
		if (id == SVR_NAMES_MAX) {
			free(copy);
			return SVR_NO_NAME;
		}
		n->by_id[id] = copy;
		n->slot[i] = (uint16_t)(id + 1);
	}
	uint16_t id = (uint16_t)(n->slot[i] - 1);
	n->holds[id]++;
	return id;
}

void svr_names_release(struct svr_names *n, uint16_t id)
{
	if (id < n->count && n->by_id[id] && n->holds[id])
		n->holds[id]--;
}

/* Empties slot i of a linear-probing table without breaking the probe chains behind it: each
 * later entry of the run moves into the hole unless its home lies cyclically in (i, j]. */
static void unslot(struct svr_names *n, uint32_t i)
{
	for (uint32_t j = (i + 1) & (SLOTS - 1); n->slot[j]; j = (j + 1) & (SLOTS - 1)) {
		uint32_t home = hash(n->by_id[n->slot[j] - 1]) & (SLOTS - 1);
		bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
		if (stays)
			continue;
		n->slot[i] = n->slot[j];
		i = j;
	}
	n->slot[i] = 0;
}

uint32_t svr_names_sweep(struct svr_names *n, const uint64_t *carried)
{
	uint32_t forgotten = 0;
	for (uint32_t id = 0; id < n->count; id++) {
		if (!n->by_id[id] || n->holds[id] || (carried[id / 64] >> (id % 64) & 1))
			continue;
		unslot(n, probe(n, n->by_id[id]));
		free(n->by_id[id]);
		n->by_id[id] = NULL;
		n->free_ids[n->n_free++] = (uint16_t)id;
		forgotten++;
	}
	return forgotten;
}

uint32_t svr_names_free_ids(const struct svr_names *n)
{
	return n->n_free + (SVR_NAMES_MAX - n->count);
}

const char *svr_names_get(const struct svr_names *n, uint16_t id)
{
	return id < n->count ? n->by_id[id] : NULL;
}
