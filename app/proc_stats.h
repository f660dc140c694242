/* Sampling a running machine into struct vmctl_stats (the control socket's
 * "stats"): the VMM's own per-vCPU counters (vcpu.h), the kernel's
 * (KVM_GET_STATS_FD) and the host's view of the process (/proc). */
#ifndef VMDECK_PROC_STATS_H
#define VMDECK_PROC_STATS_H

#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>

#include "vmctl.h"

struct machine;

/* The kernel counters the merge uses (names as in KVM_GET_STATS_FD). */
struct proc_kstats {
	uint64_t exits, io_exits, mmio_exits, halt_exits, irq_exits, irq_window_exits,
		 signal_exits, insn_emulation, pf_taken, halt_wait_ns, halt_wakeup;
};

/* The VMM's counters of one vCPU: KVM_RUN returns by exit_reason (index =
 * KVM_EXIT_*; index KVM_EXIT_INTR counts EINTR returns), and their sum. */
#define PROC_USER_REASONS 64
struct proc_ucounts {
	uint64_t exits;
	uint64_t by_reason[PROC_USER_REASONS];
	uint64_t run_ns, vmm_ns;
};

/* Fills exits_kernel, exits_user, by_reason, run_ns, vmm_ns, halt_* of out.
 * Column by column (the kernel counts exits it handles itself; vmdeck counts
 * the ones KVM_RUN returns; where both count the same event, the larger is
 * the truth, since the kernel's is a superset on VMX/SVM and 0 for PIO on PVM):
 *   io         max(kernel io_exits, vmdeck KVM_EXIT_IO)
 *   mmio       max(kernel mmio_exits, vmdeck KVM_EXIT_MMIO)
 *   hlt        max(kernel halt_exits, vmdeck KVM_EXIT_HLT)
 *   cpuid      0: KVM handles CPUID in the kernel and keeps no counter for it
 *              (on PVM a CPL0 CPUID is an emulated instruction: see emulation)
 *   msr        vmdeck KVM_EXIT_X86_RDMSR + WRMSR (when MSR accesses are
 *              trapped to userspace; else 0 and handled in the kernel)
 *   irq_window max(kernel irq_window_exits, vmdeck KVM_EXIT_IRQ_WINDOW_OPEN)
 *   emulation  kernel insn_emulation (instructions KVM's emulator ran)
 *   intr       max(kernel signal_exits, vmdeck EINTR returns / KVM_EXIT_INTR)
 *   extirq     kernel irq_exits (host interrupts that forced an exit)
 *   pf         kernel pf_taken (page faults KVM's MMU handled)
 *   total      exits_kernel + exits_user = max(kernel exits, vmdeck exits)
 *   other      total - (io + mmio + hlt + msr + irq_window + extirq), >= 0
 *   exits_user   vmdeck's count of exits that reached it
 *   exits_kernel kernel "exits" - exits_user (>= 0) */
void proc_stats_merge(const struct proc_ucounts *u, const struct proc_kstats *k,
		      struct vmctl_vcpu *out);
/* Fills k from a KVM stats fd (missing counters stay 0). */
void proc_stats_read_kstats(int stats_fd, struct proc_kstats *k);

/* /proc/PID/task/TID/stat: utime+stime in clock ticks and the last CPU
 * (field 39). The comm field may contain spaces and ')'. 0 or -EINVAL. */
int proc_stats_parse_task_stat(const char *buf, uint64_t *ticks, int *cpu);
/* Sums Rss of the mappings lying inside [lo, hi) (guest RAM), and of all
 * mappings, in KiB. */
int proc_stats_parse_smaps(FILE *f, uint64_t lo, uint64_t hi, uint64_t *match_kb,
			   uint64_t *total_kb);

/* A full sample of a running machine; name and state ("running",
 * "paused", "stopping") come from the caller. */
void proc_stats_sample(struct machine *m, const char *state, struct vmctl_stats *out);
/* The stats reply body: vmctl_stats_to_json plus, per vCPU, "pio"/"mmio"
 * tables ({"0x500": {"reads":..,"writes":..}}) and raw kernel counters
 * ("kvm"), and per VM the unclaimed tables. */
json_object *proc_stats_json(struct machine *m, const struct vmctl_stats *s);

#endif
