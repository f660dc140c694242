/* Rates from two samples of cumulative counters (DESIGN.md "Statistics":
 * counters are read as deltas, so rates are right at any interval).
 * Pure functions (unit-tested). */
#ifndef VMDECK_UI_RATES_H
#define VMDECK_UI_RATES_H

#include <stdint.h>

#include "vmctl.h"

struct rates_vcpu {
	double exits;                       /* per second, all reasons */
	double by_reason[VMCTL_REASONS];    /* per second */
	double kernel, user;                /* per second */
	double halted_pct;                  /* share of wall time waiting in HLT */
	double cpu_pct;                     /* host CPU of the vCPU thread */
	double vmm_pct;                     /* share of wall time handling exits in vmdeck */
};

struct rates_vm {
	unsigned nvcpus;
	double exits;       /* sum over vCPUs */
	double cpu_pct;     /* sum over vCPUs (may exceed 100) */
	struct rates_vcpu vcpu[VMCTL_MAX_VCPUS];
};

/* (b - a) / dt; 0 when the counter went backwards (VM restarted) or dt <= 0. */
double rates_per_sec(uint64_t a, uint64_t b, double dt_s);
/* Share of dt_s spent, in percent, from a nanosecond counter; clamped 0..100. */
double rates_pct(uint64_t a_ns, uint64_t b_ns, double dt_s);
void rates_vcpu(const struct vmctl_vcpu *a, const struct vmctl_vcpu *b, double dt_s,
		struct rates_vcpu *out);
/* dt from the samples' own time stamps; vCPUs are matched by index.
 * Returns 0, or -1 when the samples cannot be compared (dt <= 0). */
int rates_vm(const struct vmctl_stats *a, const struct vmctl_stats *b, struct rates_vm *out);

#endif
