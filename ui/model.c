/* Sampling the VM library and running VMs into the model. */
#include "model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *model_state_name(enum vmlib_state s)
{
	return vmlib_state_name(s);
}

bool model_vm_live(const struct model_vm *v)
{
	return v->e.state == VMLIB_RUNNING || v->e.state == VMLIB_PAUSED ||
	       v->e.state == VMLIB_STOPPING;
}

void model_init(struct model *m, struct vmlib *lib)
{
	memset(m, 0, sizeof(*m));
	m->lib = lib;
}

static void vm_disconnect(struct model_vm *v)
{
	if (v->ctl_open)
		vmctl_close(&v->ctl);
	v->ctl_open = false;
	v->have_prev = v->have_cur = v->have_rates = false;
}

static void vm_free(struct model_vm *v)
{
	vm_disconnect(v);
	free(v->prev);
	free(v->cur);
}

void model_free(struct model *m)
{
	for (size_t i = 0; i < m->nvm; i++)
		vm_free(&m->vm[i]);
	free(m->vm);
	m->vm = NULL;
	m->nvm = m->cap = 0;
}

struct model_vm *model_find(struct model *m, const char *name)
{
	for (size_t i = 0; i < m->nvm; i++)
		if (!strcmp(m->vm[i].e.name, name))
			return &m->vm[i];
	return NULL;
}

size_t model_running(const struct model *m)
{
	size_t n = 0;
	for (size_t i = 0; i < m->nvm; i++)
		n += model_vm_live(&m->vm[i]);
	return n;
}

static void log_transition(struct model *m, const struct vmlib_entry *old, const struct vmlib_entry *now)
{
	const char *n = now->name;

	if (old->state != now->state) {
		switch (now->state) {
		case VMLIB_STARTING:
			evlog_add(&m->log, EVLOG_INFO, "%s: starting", n);
			break;
		case VMLIB_RUNNING:
			if (old->state == VMLIB_PAUSED)
				evlog_add(&m->log, EVLOG_INFO, "%s: resumed", n);
			else
				evlog_add(&m->log, EVLOG_INFO, "%s: started (pid %d)", n, (int)now->pid);
			break;
		case VMLIB_PAUSED:
			evlog_add(&m->log, EVLOG_INFO, "%s: paused", n);
			break;
		case VMLIB_STOPPING:
			evlog_add(&m->log, EVLOG_INFO, "%s: stopping", n);
			break;
		case VMLIB_STOPPED:
			if (now->last_event[0])
				evlog_add(&m->log, EVLOG_INFO, "%s: stopped: %s", n, now->last_event);
			else
				evlog_add(&m->log, EVLOG_INFO, "%s: stopped", n);
			break;
		case VMLIB_DEAD:
			evlog_add(&m->log, EVLOG_ERROR, "%s: process died%s%s", n,
				  now->last_event[0] ? ": " : "", now->last_event);
			break;
		}
	} else if (strcmp(old->last_event, now->last_event) && now->last_event[0]) {
		evlog_add(&m->log, strstr(now->last_event, "fault") ? EVLOG_ERROR : EVLOG_INFO,
			  "%s: %s", n, now->last_event);
	}
}

static void sample_stats(struct model *m, struct model_vm *v)
{
	char err[160];
	int r;

	if (!model_vm_live(v)) {
		vm_disconnect(v);
		return;
	}
	if (!v->prev)
		v->prev = calloc(1, sizeof(*v->prev));
	if (!v->cur)
		v->cur = calloc(1, sizeof(*v->cur));
	if (!v->prev || !v->cur)
		return;
	if (!v->ctl_open) {
		r = vmctl_connect(m->lib, v->e.name, &v->ctl, err, sizeof(err));
		if (r < 0) {
			snprintf(v->stats_err, sizeof(v->stats_err), "%s", err);
			return;
		}
		v->ctl_open = true;
	}
	/* The newest sample goes to prev's buffer, then the two swap roles. */
	struct vmctl_stats *t = v->prev;
	r = vmctl_stats(&v->ctl, t, err, sizeof(err));
	if (r < 0) {
		snprintf(v->stats_err, sizeof(v->stats_err), "%s", err);
		vm_disconnect(v);
		return;
	}
	v->stats_err[0] = 0;
	v->prev = v->cur;
	v->cur = t;
	v->have_prev = v->have_cur;
	v->have_cur = true;
	if (v->have_prev && rates_vm(v->prev, v->cur, &v->rates) == 0) {
		v->have_rates = true;
		spark_push(&v->exits_hist, v->rates.exits);
		for (unsigned i = 0; i < v->rates.nvcpus; i++)
			spark_push(&v->vcpu_hist[i], v->rates.vcpu[i].exits);
	}
}

static int add_vm(struct model *m, const struct vmlib_entry *e)
{
	if (m->nvm == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		struct model_vm *n = realloc(m->vm, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		m->vm = n;
		m->cap = cap;
	}
	struct model_vm *v = &m->vm[m->nvm++];
	memset(v, 0, sizeof(*v));
	v->e = *e;
	v->present = true;
	return 0;
}

void model_sample(struct model *m)
{
	struct vmlib_entry *list = NULL;
	size_t n = 0;
	char err[256];

	if (vmlib_list(m->lib, &list, &n, err, sizeof(err)) < 0) {
		if (strcmp(err, m->list_err))
			evlog_add(&m->log, EVLOG_ERROR, "listing VMs: %s", err);
		snprintf(m->list_err, sizeof(m->list_err), "%s", err);
		return;
	}
	m->list_err[0] = 0;
	for (size_t i = 0; i < m->nvm; i++)
		m->vm[i].present = false;
	for (size_t i = 0; i < n; i++) {
		struct model_vm *v = model_find(m, list[i].name);
		if (v) {
			log_transition(m, &v->e, &list[i]);
			if ((v->e.state == VMLIB_STOPPED || v->e.state == VMLIB_DEAD) &&
			    list[i].state != v->e.state) {
				spark_clear(&v->exits_hist);
				for (int c = 0; c < VMCTL_MAX_VCPUS; c++)
					spark_clear(&v->vcpu_hist[c]);
			}
			v->e = list[i];
			v->present = true;
		} else if (add_vm(m, &list[i]) == 0) {
			if (m->sampled_once)
				evlog_add(&m->log, EVLOG_INFO, "%s: defined", list[i].name);
			else if (list[i].state != VMLIB_STOPPED && list[i].state != VMLIB_DEAD)
				/* A process exists: running, or its socket did not
				 * answer the first probe in time (starting). */
				evlog_add(&m->log, EVLOG_INFO, "%s: re-attached (%s, pid %d)", list[i].name,
					  model_state_name(list[i].state), (int)list[i].pid);
		}
	}
	free(list);
	/* Drop VMs that disappeared, keeping the library's order. */
	size_t w = 0;
	for (size_t i = 0; i < m->nvm; i++) {
		if (!m->vm[i].present) {
			evlog_add(&m->log, EVLOG_INFO, "%s: removed", m->vm[i].e.name);
			vm_free(&m->vm[i]);
			continue;
		}
		if (w != i)
			m->vm[w] = m->vm[i];
		w++;
	}
	m->nvm = w;
	for (size_t i = 0; i < m->nvm; i++)
		sample_stats(m, &m->vm[i]);
	m->sampled_once = true;
}
