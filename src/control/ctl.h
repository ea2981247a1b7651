/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * svr-control's core: a model in, a policy image out to the dataplane.
 * text -> JSON -> validate -> compile -> store as last good -> publish.
 * Used by the command line (--model, SIGHUP) and by the REST API (PUT /model).
 */
#ifndef SVR_CTL_H
#define SVR_CTL_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/shm.h"
#include "leases.h"
#include "model/validate.h"

/*
 * How long applies took: from the start of svr_ctl_apply_text (parse) to the dataplane's
 * acknowledgement of the generation it published (GET /metrics). Buckets in seconds; bucket[i]
 * counts the observations of at most svr_apply_bucket_s[i] and above the bucket before.
 */
#define SVR_APPLY_BUCKETS 12
extern const double svr_apply_bucket_s[SVR_APPLY_BUCKETS];
struct svr_apply_hist {
	uint64_t bucket[SVR_APPLY_BUCKETS];
	uint64_t count; /* every observation, those above the last bucket too */
	double sum_s;
};

struct svr_ctl {
	const char *instance;
	const char *router;
	char state_dir[256];
	struct svr_shm shm;
	pthread_mutex_t lock; /* guards model, generation, leases and what follows */
	/* held through a whole apply (validate, compile, publish) and a lease's recompile: one
	 * at a time, so that none publishes an older model or other leases over another */
	pthread_mutex_t apply_lock;
	json_t *model;       /* the model in force (last applied) */
	json_t *previous;    /* the model before it, until the dataplane accepts it */
	uint64_t pending;    /* generation whose fate svr_ctl_wait has not seen yet */
	uint64_t generation; /* last published */
	uint64_t started_ms;
	/* the apply being timed (0: none) and when it started (CLOCK_MONOTONIC ns); the
	 * histogram of those acknowledged. Under lock. */
	uint64_t timed_generation, timed_start_ns;
	struct svr_apply_hist apply_hist;
	/* the DHCP leases compiled into each image (leases.h); under lock */
	struct svr_leases leases;
};

enum svr_apply_result {
	SVR_APPLY_OK = 0,   /* published */
	SVR_APPLY_BAD_JSON, /* errors[0]: "(top)", "line L column C: ..." */
	SVR_APPLY_INVALID,  /* errors: every validation error */
	SVR_APPLY_FAILED,   /* errors[0]: why (compile, storage, channel) */
};

int svr_ctl_init(struct svr_ctl *c, const char *instance, const char *router, const char *state_dir,
		 char *err, size_t errlen);
void svr_ctl_fini(struct svr_ctl *c);

/* Applies a model given as JSON text; on success *gen is the published generation. */
enum svr_apply_result svr_ctl_apply_text(struct svr_ctl *c, const char *text, size_t len,
					 struct svr_model_errors *errors, uint64_t *gen);
/*
 * Sets or clears (prefix NULL or "") the DHCP lease of an interface and, when that changed the
 * image, compiles the model in force again with it and publishes the result (the model stored
 * is not changed). 1: a generation published (*gen), 0: nothing to do (no change, or no model
 * yet: the lease goes into the first one), -1: the model did not compile with it (errors; the
 * lease is not taken: the one before stays in force).
 */
int svr_ctl_set_lease(struct svr_ctl *c, const char *iface, const char *prefix,
		      struct svr_model_errors *errors, uint64_t *gen);
/* Applies the last good model stored in the state directory (0, or -1 if there is none). */
int svr_ctl_apply_stored(struct svr_ctl *c, struct svr_model_errors *errors, uint64_t *gen);
/* The model file in the state directory. */
void svr_ctl_stored_path(const struct svr_ctl *c, char *path, size_t len);
/*
 * Waits for the dataplane: 1 applied, -1 rejected (reason), 0 not yet after timeout_ms.
 * A rejected generation's model is dropped: the previous one is in force again, in memory and
 * on disk, so that GET /model and a restart use what the dataplane runs.
 */
int svr_ctl_wait(struct svr_ctl *c, uint64_t gen, unsigned timeout_ms, char *reason, size_t len);
uint64_t svr_ctl_acked(const struct svr_ctl *c);
/* CLOCK_MONOTONIC (ns) at which the dataplane acknowledged its latest generation. */
uint64_t svr_ctl_acked_at_ns(const struct svr_ctl *c);
/*
 * The apply-duration histogram, with the latest apply in it once the dataplane has acknowledged
 * its generation (observed here, or by svr_ctl_wait, whichever comes first: an apply nobody
 * waits for, as at startup or SIGHUP, is observed at the next call). An apply whose generation
 * the dataplane skipped (a newer one came first) or rejected is not observed.
 */
void svr_ctl_apply_hist(struct svr_ctl *c, struct svr_apply_hist *out);

#endif
