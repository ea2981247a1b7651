/* SPDX-License-Identifier: BSD-3-Clause */
#include "common/shm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/image.h"

#define ACQ memory_order_acquire
#define REL memory_order_release

int svr_shm_map(const char *name, size_t size, bool create, void **base, bool *created, char *err,
		size_t errlen)
{
	*base = NULL;
	*created = false;
	int fd = create ? shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600) : -1;
	if (fd >= 0) {
		/* Sized once, here, and never again: shrinking would SIGBUS a reader. */
		if (ftruncate(fd, (off_t)size) < 0) {
			int e = errno;
			snprintf(err, errlen, "cannot size %s: %s", name, strerror(e));
			close(fd);
			shm_unlink(name);
			return -e;
		}
		*created = true;
	} else if (!create || errno == EEXIST) {
		fd = shm_open(name, O_RDWR, 0600);
		if (fd < 0 && errno == ENOENT && !create)
			return -EAGAIN; /* the other side has not created it yet */
	}
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot open shared memory %s: %s", name, strerror(e));
		return -e;
	}
	struct stat st = {0};
	if (fstat(fd, &st) == 0 && !*created &&
	    ((st.st_uid != geteuid() && st.st_uid != 0) || (st.st_mode & 077))) {
		/* someone else's object: whoever made it could feed us images or routes */
		close(fd);
		snprintf(err, errlen,
			 "%s belongs to uid %u with mode %03o: refused (it must be root's or ours, "
			 "mode 0600; remove it)",
			 name, (unsigned)st.st_uid, (unsigned)(st.st_mode & 0777));
		return -EPERM;
	}
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_size != size) {
		close(fd);
		if (st.st_size == 0)
			return -EAGAIN; /* its creator has not sized it yet */
		snprintf(err, errlen, "%s has %lld bytes, expected %llu (another version?)", name,
			 (long long)st.st_size, (unsigned long long)size);
		return -EINVAL;
	}
	void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		int e = errno;
		snprintf(err, errlen, "cannot map %s: %s", name, strerror(e));
		return -e;
	}
	*base = m;
	return 0;
}

void svr_shm_unmap(void *base, size_t size)
{
	if (base)
		munmap(base, size);
}

int svr_shm_unlink_name(const char *name)
{
	return shm_unlink(name) == 0 || errno == ENOENT ? 0 : -errno;
}

int svr_shm_open(struct svr_shm *s, const char *instance, bool create, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), SVR_SHM_NAME_FMT, instance);
	bool created;
	int rc = svr_shm_map(s->name, SVR_SHM_TOTAL_SIZE, create, &s->base, &created, err, errlen);
	if (rc < 0)
		return rc;
	s->ctl = s->base;
	if (created) {
		s->ctl->version = SVR_SHM_VERSION;
		s->ctl->slot_size = SVR_SHM_SLOT_SIZE;
		atomic_thread_fence(REL);
		s->ctl->magic = SVR_SHM_MAGIC; /* last: the object is ready */
		return 0;
	}
	atomic_thread_fence(ACQ);
	if (s->ctl->magic != SVR_SHM_MAGIC) {
		svr_shm_close(s);
		return -EAGAIN;
	}
	if (s->ctl->version != SVR_SHM_VERSION || s->ctl->slot_size != SVR_SHM_SLOT_SIZE) {
		snprintf(err, errlen, "%s: channel version %u / slot size %llu not ours", s->name,
			 s->ctl->version, (unsigned long long)s->ctl->slot_size);
		svr_shm_close(s);
		return -EINVAL;
	}
	return 0;
}

void svr_shm_close(struct svr_shm *s)
{
	svr_shm_unmap(s->base, SVR_SHM_TOTAL_SIZE);
	s->base = NULL;
	s->ctl = NULL;
}

int svr_shm_unlink(const char *instance)
{
	char name[64];
	snprintf(name, sizeof(name), SVR_SHM_NAME_FMT, instance);
	return svr_shm_unlink_name(name);
}

uint64_t svr_shm_publish(struct svr_shm *s, void *image, size_t len)
{
	if (len > SVR_SHM_SLOT_SIZE || len < sizeof(struct svr_img_header))
		return 0;
	struct svr_shm_ctl *c = s->ctl;
	uint64_t gen = atomic_load_explicit(&c->published_generation, ACQ) + 1;
	unsigned slot = atomic_load_explicit(&c->published_slot, ACQ) ^ 1;
	struct svr_shm_slot_state *st = &c->slots[slot];

	struct svr_img_header *h = image;
	h->generation = gen;
	svr_img_seal(image);

	/* Seqlock write side: mark the slot busy before touching it. */
	atomic_store_explicit(&st->writing, gen, REL);
	atomic_store_explicit(&st->generation, 0, REL);
	atomic_thread_fence(memory_order_seq_cst);
	memcpy(svr_shm_slot(s->base, slot), image, len);
	atomic_store_explicit(&st->length, len, REL);
	atomic_store_explicit(&st->generation, gen, REL);
	atomic_store_explicit(&c->published_slot, slot, REL);
	atomic_store_explicit(&c->published_generation, gen, REL);
	return gen;
}

int svr_shm_wait(struct svr_shm *s, uint64_t gen, unsigned timeout_ms, char *reason, size_t len)
{
	struct svr_shm_ctl *c = s->ctl;
	for (unsigned waited = 0;; waited++) {
		if (atomic_load_explicit(&c->acked_generation, ACQ) >= gen)
			return 1;
		if (atomic_load_explicit(&c->rejected_generation, ACQ) == gen) {
			snprintf(reason, len, "%s", c->reject_reason);
			return -1;
		}
		if (waited >= timeout_ms)
			return 0;
		struct timespec ts = {.tv_nsec = 1000000};
		nanosleep(&ts, NULL);
	}
}

int svr_shm_fetch(struct svr_shm *s, uint64_t have, void **image, size_t *len, uint64_t *gen)
{
	struct svr_shm_ctl *c = s->ctl;
	uint64_t g = atomic_load_explicit(&c->published_generation, ACQ);
	if (g == 0 || g == have)
		return 0;
	unsigned slot = atomic_load_explicit(&c->published_slot, ACQ) & 1;
	struct svr_shm_slot_state *st = &c->slots[slot];
	if (atomic_load_explicit(&st->generation, ACQ) != g)
		return -1; /* published moved on meanwhile */
	uint64_t n = atomic_load_explicit(&st->length, ACQ);
	if (n == 0 || n > SVR_SHM_SLOT_SIZE)
		return -1;
	void *copy = malloc(n);
	if (!copy)
		return -1;
	memcpy(copy, svr_shm_slot(s->base, slot), n);
	atomic_thread_fence(ACQ);
	/* Seqlock read side: the copy is good only if nobody started rewriting the slot. */
	if (atomic_load_explicit(&st->writing, ACQ) != g ||
	    atomic_load_explicit(&st->generation, ACQ) != g) {
		free(copy);
		return -1;
	}
	*image = copy;
	*len = n;
	*gen = g;
	return 1;
}

void svr_shm_ack(struct svr_shm *s, uint64_t gen)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	atomic_store_explicit(&s->ctl->acked_at_ns,
			      (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec, REL);
	atomic_store_explicit(&s->ctl->dataplane_pid, (uint64_t)getpid(), REL);
	atomic_store_explicit(&s->ctl->acked_generation, gen, REL);
}

void svr_shm_reject(struct svr_shm *s, uint64_t gen, const char *reason)
{
	snprintf(s->ctl->reject_reason, sizeof(s->ctl->reject_reason), "%s", reason);
	atomic_store_explicit(&s->ctl->rejected_generation, gen, REL);
}
