/* SPDX-License-Identifier: BSD-3-Clause */
#include "ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/log.h"
#include "events/events.h"
#include "model/compile.h"

#define STORED_NAME "model.json"

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

const double svr_apply_bucket_s[SVR_APPLY_BUCKETS] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
						      0.5,   1,    2.5,   5,    10,  30};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void add_error(struct svr_model_errors *e, const char *path, const char *msg)
{
	if (e->count == e->cap) {
		unsigned cap = e->cap ? e->cap * 2 : 8;
		struct svr_model_error *l = realloc(e->list, cap * sizeof(*l));
		if (!l)
			return;
		e->list = l;
		e->cap = cap;
	}
	snprintf(e->list[e->count].path, sizeof(e->list[0].path), "%s", path);
	snprintf(e->list[e->count].message, sizeof(e->list[0].message), "%s", msg);
	e->count++;
}

int svr_ctl_init(struct svr_ctl *c, const char *instance, const char *router, const char *state_dir,
		 char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->instance = instance;
	c->router = router;
	c->started_ms = now_ms();
	snprintf(c->state_dir, sizeof(c->state_dir), "%s", state_dir);
	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->apply_lock, NULL);
	if (svr_mkdir_p(c->state_dir, 0700) < 0) {
		snprintf(err, errlen, "cannot create state directory %s: %s", c->state_dir,
			 strerror(errno));
		return -1;
	}
	unsigned leases = svr_leases_load(&c->leases, c->state_dir);
	if (leases)
		LOG_INFO("DHCP: %u lease(s) recorded by the clients of an earlier run, compiled in "
			 "until they say otherwise",
			 leases);
	int rc;
	/* The dataplane may be creating nothing (it only opens): retry briefly on EAGAIN. */
	for (int i = 0;
	     (rc = svr_shm_open(&c->shm, instance, true, err, errlen)) == -EAGAIN && i < 100; i++)
		usleep(10000);
	if (rc < 0)
		return -1;
	c->generation = atomic_load(&c->shm.ctl->published_generation);
	return 0;
}

void svr_ctl_fini(struct svr_ctl *c)
{
	svr_shm_close(&c->shm);
	json_decref(c->model);
	json_decref(c->previous);
	c->model = c->previous = NULL;
	pthread_mutex_destroy(&c->lock);
	pthread_mutex_destroy(&c->apply_lock);
}

void svr_ctl_stored_path(const struct svr_ctl *c, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", c->state_dir, STORED_NAME);
}

/* Writes the model atomically (temporary file, fsync, rename), mode 0600. */
static int store(struct svr_ctl *c, const char *text, size_t len, char *err, size_t errlen)
{
	char path[300], tmp[310];
	svr_ctl_stored_path(c, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "cannot write %.200s: %s", tmp, strerror(errno));
		return -1;
	}
	size_t off = 0;
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);
		if (n <= 0) {
			snprintf(err, errlen, "cannot write %.200s: %s", tmp, strerror(errno));
			close(fd);
			unlink(tmp);
			return -1;
		}
		off += (size_t)n;
	}
	if (fsync(fd) < 0 || close(fd) < 0 || rename(tmp, path) < 0) {
		snprintf(err, errlen, "cannot store %.200s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* The image of doc for this router, with the leases in force compiled in (leases.h); 0, or -1
 * with errors[0] saying why. Under apply_lock: the leases cannot change meanwhile. */
static int compile_with_leases(struct svr_ctl *c, json_t *doc, void **img, size_t *img_len,
			       struct svr_model_errors *errors)
{
	char err[256];
	json_t *compiled = svr_leases_apply(doc, c->router, &c->leases);
	int rc = compiled ? svr_model_compile(compiled, c->router, img, img_len, err, sizeof(err))
			  : (snprintf(err, sizeof(err), "out of memory"), -1);
	json_decref(compiled);
	if (rc < 0)
		add_error(errors, "(top)", err);
	return rc;
}

static enum svr_apply_result apply_text(struct svr_ctl *c, const char *text, size_t len,
					struct svr_model_errors *errors, uint64_t *gen)
{
	uint64_t t0_ns = now_ns(), t0 = t0_ns / 1000000;
	json_error_t jerr;
	json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	uint64_t t_parse = now_ms();
	if (!doc) {
		char msg[256];
		snprintf(msg, sizeof(msg), "line %d column %d: %s", jerr.line, jerr.column,
			 jerr.text);
		add_error(errors, "(top)", msg);
		return SVR_APPLY_BAD_JSON;
	}
	if (svr_model_validate(doc, errors) < 0) {
		json_decref(doc);
		return SVR_APPLY_INVALID;
	}
	uint64_t t_valid = now_ms();
	if (!svr_model_router(doc, c->router)) {
		char msg[256];
		snprintf(msg, sizeof(msg), "the model has no router named \"%s\" (this router)",
			 c->router);
		add_error(errors, "authority.routers", msg);
		json_decref(doc);
		return SVR_APPLY_INVALID;
	}
	void *img;
	size_t img_len;
	char err[256];
	if (compile_with_leases(c, doc, &img, &img_len, errors) < 0) {
		json_decref(doc);
		return SVR_APPLY_FAILED;
	}
	uint64_t t_compile = now_ms();
	pthread_mutex_lock(&c->lock);
	uint64_t published = svr_shm_publish(&c->shm, img, img_len);
	if (published == 0) {
		pthread_mutex_unlock(&c->lock);
		free(img);
		json_decref(doc);
		add_error(errors, "(top)", "the compiled image does not fit a shared-memory slot");
		return SVR_APPLY_FAILED;
	}
	c->generation = published;
	*gen = c->generation;
	json_t *older = c->previous; /* a model two applies old is not needed any more */
	c->previous = c->model;
	c->model = doc; /* our reference moves to c->model */
	c->pending = c->generation;
	c->timed_generation = c->generation;
	c->timed_start_ns = t0_ns;
	pthread_mutex_unlock(&c->lock);
	uint64_t t_publish = now_ms();
	free(img);
	/* While the dataplane applies: keep it as the last good model, free the old one. */
	if (store(c, text, len, err, sizeof(err)) < 0)
		LOG_ERR("generation %llu is in force but was not stored: %s",
			(unsigned long long)*gen, err);
	json_decref(older);
	LOG_INFO(
	    "generation %llu: %zu-byte model, %zu-byte image; parse %llu ms, validate %llu ms, "
	    "compile %llu ms, publish %llu ms, store %llu ms",
	    (unsigned long long)*gen, len, img_len, (unsigned long long)(t_parse - t0),
	    (unsigned long long)(t_valid - t_parse), (unsigned long long)(t_compile - t_valid),
	    (unsigned long long)(t_publish - t_compile),
	    (unsigned long long)(now_ms() - t_publish));
	return SVR_APPLY_OK;
}

#define REJECTED_EVENT_ERRORS 20 /* errors a config-rejected event lists (and counts all) */

/* config-rejected for the event stream (docs/telemetry.md): each error with its JSON path. */
static void rejected_event(enum svr_apply_result r, const struct svr_model_errors *errors)
{
	json_t *e = svr_events_new("config-rejected"), *list = json_array();
	for (unsigned i = 0; e && list && i < errors->count && i < REJECTED_EVENT_ERRORS; i++)
		json_array_append_new(list, json_pack("{s:s, s:s}", "path", errors->list[i].path,
						      "message", errors->list[i].message));
	if (e && list) {
		json_object_set_new(e, "generation", json_null());
		json_object_set_new(e, "stage",
				    json_string(r == SVR_APPLY_BAD_JSON  ? "json"
						: r == SVR_APPLY_INVALID ? "validation"
									 : "compile"));
		json_object_set_new(e, "error-count", json_integer(errors->count));
		json_object_set(e, "errors", list);
	}
	json_decref(list);
	svr_events_emit(e);
}

/* Every model applied, from any source (file, SIGHUP, REST, conductor), comes through here. */
enum svr_apply_result svr_ctl_apply_text(struct svr_ctl *c, const char *text, size_t len,
					 struct svr_model_errors *errors, uint64_t *gen)
{
	pthread_mutex_lock(&c->apply_lock);
	enum svr_apply_result r = apply_text(c, text, len, errors, gen);
	pthread_mutex_unlock(&c->apply_lock);
	if (r != SVR_APPLY_OK)
		rejected_event(r, errors);
	return r;
}

/*
 * The model in force compiled again with the leases and published: the model, the one stored
 * and the rollback state (previous, pending) stay as they are, since the operator's model did
 * not change. Under apply_lock, so an apply of another model cannot publish in between with
 * other leases, nor this one publish an older model over it.
 */
int svr_ctl_set_lease(struct svr_ctl *c, const char *iface, const char *prefix,
		      struct svr_model_errors *errors, uint64_t *gen)
{
	pthread_mutex_lock(&c->apply_lock);
	struct svr_leases before = c->leases;
	pthread_mutex_lock(&c->lock);
	json_t *model = json_incref(c->model);
	pthread_mutex_unlock(&c->lock);
	/* a DHCP server is not trusted: what it gives must make sense beside the model */
	char why[200];
	const json_t *router = model ? svr_model_router(model, c->router) : NULL;
	if (router && prefix && *prefix &&
	    svr_leases_check(router, iface, prefix, why, sizeof(why)) < 0) {
		pthread_mutex_unlock(&c->apply_lock);
		json_decref(model);
		add_error(errors, "(lease)", why);
		return -1;
	}
	pthread_mutex_lock(&c->lock);
	bool changed = svr_leases_set(&c->leases, iface, prefix);
	pthread_mutex_unlock(&c->lock);
	if (!changed) {
		json_decref(model);
		model = NULL;
	}
	int rc = 0;
	void *img = NULL;
	size_t img_len;
	if (model && compile_with_leases(c, model, &img, &img_len, errors) < 0) {
		rc = -1;
	} else if (model) {
		pthread_mutex_lock(&c->lock);
		uint64_t published = svr_shm_publish(&c->shm, img, img_len);
		if (published)
			*gen = c->generation = published;
		pthread_mutex_unlock(&c->lock);
		if (!published)
			add_error(errors, "(top)",
				  "the compiled image does not fit a shared-memory slot");
		rc = published ? 1 : -1;
	}
	if (rc < 0) { /* the image in force keeps the lease it has */
		pthread_mutex_lock(&c->lock);
		c->leases = before;
		pthread_mutex_unlock(&c->lock);
	}
	pthread_mutex_unlock(&c->apply_lock);
	free(img);
	json_decref(model);
	return rc;
}

int svr_ctl_apply_stored(struct svr_ctl *c, struct svr_model_errors *errors, uint64_t *gen)
{
	char path[300];
	svr_ctl_stored_path(c, path, sizeof(path));
	size_t got;
	char *text = svr_read_file(path, SIZE_MAX, &got);
	int rc = text && svr_ctl_apply_text(c, text, got, errors, gen) == SVR_APPLY_OK ? 0 : -1;
	free(text);
	return rc;
}

/* Observes the timed apply once the dataplane acknowledged its generation (under c->lock). */
static void note_acked(struct svr_ctl *c)
{
	uint64_t gen = c->timed_generation;
	uint64_t acked = atomic_load(&c->shm.ctl->acked_generation);
	if (!gen || acked < gen)
		return;
	c->timed_generation = 0;
	if (acked != gen)
		return; /* a newer one (another svr-control's?) came first: not ours to time */
	/* acked_at_ns is stored before acked_generation (release), so it is this one's */
	uint64_t at = atomic_load(&c->shm.ctl->acked_at_ns);
	double s = at > c->timed_start_ns ? (double)(at - c->timed_start_ns) / 1e9 : 0;
	struct svr_apply_hist *h = &c->apply_hist;
	for (unsigned i = 0; i < SVR_APPLY_BUCKETS; i++)
		if (s <= svr_apply_bucket_s[i]) {
			h->bucket[i]++;
			break;
		}
	h->count++;
	h->sum_s += s;
}

void svr_ctl_apply_hist(struct svr_ctl *c, struct svr_apply_hist *out)
{
	pthread_mutex_lock(&c->lock);
	note_acked(c);
	*out = c->apply_hist;
	pthread_mutex_unlock(&c->lock);
}

int svr_ctl_wait(struct svr_ctl *c, uint64_t gen, unsigned timeout_ms, char *reason, size_t len)
{
	int w = svr_shm_wait(&c->shm, gen, timeout_ms, reason, len);
	pthread_mutex_lock(&c->lock);
	if (w > 0)
		note_acked(c);
	json_t *drop = NULL;
	if (w != 0 && c->pending == gen) {
		c->pending = 0;
		if (w > 0) {
			drop =
			    c->previous; /* accepted: the old model can go (off the reply path) */
		} else if (c->previous) {
			drop = c->model;
			c->model = c->previous;
			char *text = json_dumps(c->model, JSON_COMPACT);
			char err[256];
			if (!text || store(c, text, strlen(text), err, sizeof(err)) < 0)
				LOG_ERR("cannot store the model back after rejection");
			free(text);
			LOG_WARN("generation %llu rejected by the dataplane: %s; the previous "
				 "model stays",
				 (unsigned long long)gen, reason);
		} else {
			/* Nothing before it: a model the dataplane refused is no "last good" model.
			 */
			drop = c->model;
			c->model = NULL;
			char path[300];
			svr_ctl_stored_path(c, path, sizeof(path));
			unlink(path);
			LOG_WARN("generation %llu rejected by the dataplane: %s; no model is "
				 "stored",
				 (unsigned long long)gen, reason);
		}
		c->previous = NULL;
	}
	pthread_mutex_unlock(&c->lock);
	json_decref(drop);
	return w;
}

uint64_t svr_ctl_acked(const struct svr_ctl *c)
{
	return atomic_load(&c->shm.ctl->acked_generation);
}

uint64_t svr_ctl_acked_at_ns(const struct svr_ctl *c)
{
	return atomic_load(&c->shm.ctl->acked_at_ns);
}
