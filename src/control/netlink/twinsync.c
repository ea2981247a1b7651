/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The route mirror's side of the twins (follow_int.h): which twins the model in force asks for,
 * which of them need bringing in line, and doing it (twins.h) over the command socket. A link
 * with a twin's name that is no TUN/TAP device is someone else's: left alone, said once.
 */
#include <pthread.h>
#include <string.h>

#include "common/log.h"
#include "ctl.h"
#include "netlink/follow_int.h"

void ctl_nl_twin_dirty(struct ctl_nl_follow *f, const char *name)
{
	struct ctl_nl_twin *t = ctl_nl_twins_find(&f->twins, name);
	if (t)
		t->dirty = true;
}

void ctl_nl_mark_twins_dirty(struct ctl_nl_follow *f)
{
	for (unsigned i = 0; i < f->twins.n; i++)
		f->twins.v[i].dirty = true;
}

/* Takes the model's interfaces when svr-control applied another model (or went back). */
void ctl_nl_check_model(struct ctl_nl_follow *f)
{
	struct svr_ctl *c = f->ctl;
	pthread_mutex_lock(&c->lock);
	if (c->generation == f->model_gen && c->model == f->model_seen) {
		pthread_mutex_unlock(&c->lock);
		return;
	}
	struct ctl_nl_twins t = {0};
	const json_t *r = c->model ? svr_model_router(c->model, c->router) : NULL;
	int rc = r ? ctl_nl_twins_from_router(r, &t) : 0;
	f->model_gen = c->generation;
	f->model_seen = c->model;
	pthread_mutex_unlock(&c->lock);
	if (rc < 0)
		return;                      /* out of memory: the twins stay as they were */
	for (unsigned i = 0; i < t.n; i++) { /* said once per name, not once per model */
		const struct ctl_nl_twin *old = ctl_nl_twins_find(&f->twins, t.v[i].name);
		t.v[i].not_tun_said = old && old->not_tun_said;
	}
	ctl_nl_twins_free(&f->twins);
	f->twins = t;
	ctl_nl_mark_twins_dirty(f);
	ctl_nl_dhcp_model(f);
	LOG_INFO("route mirror: generation %llu: %u interface twins to keep",
		 (unsigned long long)f->model_gen, t.n);
}

void ctl_nl_sync_twins(struct ctl_nl_follow *f)
{
	for (unsigned i = 0; i < f->twins.n; i++) {
		struct ctl_nl_twin *t = &f->twins.v[i];
		if (!t->dirty)
			continue;
		t->dirty = false;
		const struct ctl_nl_link *l = ctl_nl_links_by_name(&f->links, t->name);
		if (!l)
			continue; /* not there yet: its RTM_NEWLINK makes it dirty again */
		struct ctl_nl_twin_result r = {.not_tun = !l->tun};
		if (l->tun)
			ctl_nl_twin_sync(f->cmd, t, (int)l->ifindex, &r);
		if (r.not_tun) {
			if (!t->not_tun_said)
				LOG_WARN(
				    "route mirror: %s is not a TUN/TAP device, so not the twin of "
				    "interface %s: left alone (its addresses, its state)",
				    t->name, t->name);
			t->not_tun_said = true;
			continue;
		}
		t->not_tun_said = false;
		f->st.twin_syncs++;
		f->st.twin_errors += r.errors;
		if (r.errors)
			LOG_WARN("route mirror: twin %s: %u error(s), first: %s", t->name, r.errors,
				 r.error);
		if (r.added || r.removed || r.set_up)
			LOG_INFO("route mirror: twin %s: %u address(es) added, %u removed%s",
				 t->name, r.added, r.removed, r.set_up ? ", set up" : "");
	}
}
