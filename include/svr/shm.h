/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shared-memory channel that carries policy images from svr-control to
 * svr-dataplane (docs/architecture.md, "Policy images").
 *
 * One POSIX shared-memory object per router instance, named
 * SVR_SHM_NAME_FMT, created once by whichever side comes first with its full
 * size and never truncated or recreated afterwards (a reader would get
 * SIGBUS). It holds this control block and two image slots.
 *
 * Writer (svr-control, one process): picks the slot that is not the latest
 * published one, sets that slot's `writing` generation, copies the image in,
 * then publishes with release stores: slot.generation, then published_slot and
 * published_generation. It never waits for the reader.
 * Reader (the dataplane's main lcore): loads published_generation (acquire);
 * when it is new, copies the slot's image into private memory, then checks
 * that the slot's generation and `writing` both still equal the one it
 * started with (a seqlock: if not, the writer reused the slot meanwhile and the
 * reader retries later). It validates the private copy (checksum, bounds),
 * applies it, and stores acked_generation (release) — or rejected_generation
 * and a reason.
 */
#ifndef SVR_SHM_H
#define SVR_SHM_H

#include <stdatomic.h>
#include <stdint.h>

#define SVR_SHM_NAME_FMT   "/svr-%s-policy" /* %s: instance */
#define SVR_SHM_MAGIC      0x4d485356u      /* "SVHM" */
#define SVR_SHM_VERSION    1
#define SVR_SHM_SLOT_SIZE  (48u << 20) /* bytes per image slot */
#define SVR_SHM_CTL_SIZE   4096u
#define SVR_SHM_TOTAL_SIZE ((uint64_t)SVR_SHM_CTL_SIZE + 2 * (uint64_t)SVR_SHM_SLOT_SIZE)

struct svr_shm_slot_state {
	_Atomic uint64_t writing;    /* generation being written into the slot (0: none) */
	_Atomic uint64_t generation; /* generation of the complete image in the slot */
	_Atomic uint64_t length;
};

struct svr_shm_ctl {
	uint32_t magic;
	uint32_t version;
	uint64_t slot_size;
	_Atomic uint64_t published_generation;
	_Atomic uint32_t published_slot;
	uint32_t reserved;
	struct svr_shm_slot_state slots[2];
	/* Written by the dataplane. */
	_Atomic uint64_t acked_generation;
	_Atomic uint64_t acked_at_ns; /* CLOCK_MONOTONIC when acked_generation was stored */
	_Atomic uint64_t rejected_generation;
	_Atomic uint64_t dataplane_pid;
	char reject_reason[256];
};

static inline uint8_t *svr_shm_slot(void *base, unsigned slot)
{
	return (uint8_t *)base + SVR_SHM_CTL_SIZE + (uint64_t)slot * SVR_SHM_SLOT_SIZE;
}

#endif
