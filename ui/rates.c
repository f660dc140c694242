/* Rates from deltas of cumulative counters. */
#include "rates.h"

#include <string.h>

double rates_per_sec(uint64_t a, uint64_t b, double dt_s)
{
	if (!(dt_s > 0) || b < a)
		return 0;
	return (double)(b - a) / dt_s;
}

double rates_pct(uint64_t a_ns, uint64_t b_ns, double dt_s)
{
	double p = rates_per_sec(a_ns, b_ns, dt_s) / 1e9 * 100.0;
	return p > 100.0 ? 100.0 : p;
}

void rates_vcpu(const struct vmctl_vcpu *a, const struct vmctl_vcpu *b, double dt_s,
		struct rates_vcpu *out)
{
	memset(out, 0, sizeof(*out));
	for (int r = 0; r < VMCTL_REASONS; r++)
		out->by_reason[r] = rates_per_sec(a->by_reason[r], b->by_reason[r], dt_s);
	out->kernel = rates_per_sec(a->exits_kernel, b->exits_kernel, dt_s);
	out->user = rates_per_sec(a->exits_user, b->exits_user, dt_s);
	out->exits = out->by_reason[VMCTL_R_TOTAL];
	if (out->exits == 0)
		out->exits = out->kernel + out->user;
	out->halted_pct = rates_pct(a->halt_wait_ns, b->halt_wait_ns, dt_s);
	out->cpu_pct = rates_pct(a->host_cpu_ns, b->host_cpu_ns, dt_s);
	out->vmm_pct = rates_pct(a->vmm_ns, b->vmm_ns, dt_s);
}

int rates_vm(const struct vmctl_stats *a, const struct vmctl_stats *b, struct rates_vm *out)
{
	memset(out, 0, sizeof(*out));
	if (b->time_ns <= a->time_ns)
		return -1;
	double dt = (double)(b->time_ns - a->time_ns) / 1e9;
	unsigned n = b->nvcpus < a->nvcpus ? b->nvcpus : a->nvcpus;
	if (n > VMCTL_MAX_VCPUS)
		n = VMCTL_MAX_VCPUS;
	out->nvcpus = n;
	for (unsigned i = 0; i < n; i++) {
		rates_vcpu(&a->vcpu[i], &b->vcpu[i], dt, &out->vcpu[i]);
		out->exits += out->vcpu[i].exits;
		out->cpu_pct += out->vcpu[i].cpu_pct;
	}
	return 0;
}
