/* The dashboard's model: VMs sampled on a timer (list, states, stats, rates,
 * sparkline histories) and the event log. Panels render only from this;
 * nothing here draws (htop's model/view split). */
#ifndef VMDECK_UI_MODEL_H
#define VMDECK_UI_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "evlog.h"
#include "rates.h"
#include "sparkline.h"
#include "vmctl.h"
#include "vmlib.h"

struct model_vm {
	struct vmlib_entry e;
	bool present;              /* in the latest list */
	struct vmctl ctl;
	bool ctl_open;
	struct vmctl_stats *prev, *cur;  /* two samples, swapped each tick */
	bool have_prev, have_cur;
	struct rates_vm rates;
	bool have_rates;
	struct spark_hist exits_hist;
	struct spark_hist vcpu_hist[VMCTL_MAX_VCPUS];
	char stats_err[160];
};

struct model {
	struct vmlib *lib;
	struct model_vm *vm;
	size_t nvm, cap;
	bool sampled_once;
	char list_err[256];
	struct evlog log;
};

void model_init(struct model *m, struct vmlib *lib);
void model_free(struct model *m);
/* One sample: the VM list, state changes (logged), stats of running VMs. */
void model_sample(struct model *m);
struct model_vm *model_find(struct model *m, const char *name);
size_t model_running(const struct model *m);
bool model_vm_live(const struct model_vm *v);
const char *model_state_name(enum vmlib_state s);

#endif
