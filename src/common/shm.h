/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Both ends of the policy-image channel (protocol: include/svr/shm.h).
 * No DPDK: svr-control writes, the dataplane's main lcore reads.
 */
#ifndef SVR_COMMON_SHM_H
#define SVR_COMMON_SHM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "svr/shm.h"

/*
 * A named shared-memory object of exactly size bytes, mapped read-write at *base: with create,
 * made (and sized, once) if it does not exist, *created then true (the caller initialises it).
 * 0; -EAGAIN while it does not exist yet (without create) or is not sized yet; another negative
 * errno with err set (a size not ours: -EINVAL; an object neither root's nor ours, or one others
 * may read or write: -EPERM, since whoever made it could feed this process).
 */
int svr_shm_map(const char *name, size_t size, bool create, void **base, bool *created, char *err,
		size_t errlen);
void svr_shm_unmap(void *base, size_t size);
/* 0 once the name is gone (or was not there). */
int svr_shm_unlink_name(const char *name);

struct svr_shm {
	void *base;
	struct svr_shm_ctl *ctl;
	char name[64];
};

/*
 * Opens the instance's object; with create (svr-control), creates it first
 * (full size, once) if it does not exist. Returns 0, -EAGAIN while it does
 * not exist yet or is still being created, or another negative errno with err set.
 */
int svr_shm_open(struct svr_shm *s, const char *instance, bool create, char *err, size_t errlen);
void svr_shm_close(struct svr_shm *s);
/* Removes the name (tests and uninstall); mapped users keep their mapping. */
int svr_shm_unlink(const char *instance);

/* Writer: publishes image (its generation and checksum are set here); returns the generation,
 * or 0 when the image does not fit a slot. */
uint64_t svr_shm_publish(struct svr_shm *s, void *image, size_t len);
/* Writer: 1 when gen (or later) is acknowledged, -1 rejected (reason copied), 0 on timeout. */
int svr_shm_wait(struct svr_shm *s, uint64_t gen, unsigned timeout_ms, char *reason, size_t len);

/*
 * Reader: when a generation newer than have is published, copies it into a
 * malloc'd buffer and returns 1; 0 when there is nothing new; -1 when the
 * writer reused the slot during the copy (try again later).
 */
int svr_shm_fetch(struct svr_shm *s, uint64_t have, void **image, size_t *len, uint64_t *gen);
void svr_shm_ack(struct svr_shm *s, uint64_t gen);
void svr_shm_reject(struct svr_shm *s, uint64_t gen, const char *reason);

#endif
