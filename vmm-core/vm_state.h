/* KVM-held machine state of a paused VM, as snapshot sections.
 *
 * Per vCPU (SNAP_SEC_VCPU, instance = vCPU id): regs, sregs, xcrs, LAPIC,
 * vcpu events, mp state, debug regs, TSC frequency; SNAP_SEC_VCPU_XSAVE:
 * KVM_GET_XSAVE2 (or KVM_GET_XSAVE, or KVM_GET_FPU without XSAVE);
 * SNAP_SEC_VCPU_MSRS: every MSR of KVM_GET_MSR_INDEX_LIST that reads
 * (IA32_TSC among them: writing it back re-bases the guest TSC).
 * Per VM: SNAP_SEC_IRQCHIP (PIC master, PIC slave, IOAPIC), SNAP_SEC_PIT
 * (KVM_GET_PIT2), SNAP_SEC_CLOCK (KVM_GET_CLOCK).
 *
 * Saving requires every vCPU to have acknowledged a pause (or never run):
 * a running vCPU is refused with -EBUSY. The pause path has already
 * re-entered KVM_RUN with immediate_exit set, so an I/O exit's pending
 * completion is in the registers (api.rst 5, "kvm_run", immediate_exit). */
#ifndef VMDECK_VM_STATE_H
#define VMDECK_VM_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include "snapfile.h"

struct vm;

/* Section kinds this module reads, for snap_parse's table. */
#define VM_STATE_KNOWN(max_cpus) \
	{ SNAP_SEC_VCPU, (max_cpus) }, { SNAP_SEC_VCPU_MSRS, (max_cpus) }, \
	{ SNAP_SEC_VCPU_XSAVE, (max_cpus) }, { SNAP_SEC_IRQCHIP, 3 }, \
	{ SNAP_SEC_PIT, 1 }, { SNAP_SEC_CLOCK, 1 }

/* What was saved and how, for the report (PVM differs from hardware KVM). */
struct vm_state_info {
	unsigned msrs_listed, msrs_saved;  /* per vCPU 0 */
	unsigned msrs_restored, msrs_refused;
	unsigned xsave_size;               /* bytes; 0 = KVM_GET_FPU used */
	bool have_xcrs, have_debugregs, have_pit, have_clock;
};

int vm_state_save(struct vm *vm, struct snap_writer *w, struct vm_state_info *info,
		  char *err, size_t errlen);
/* Checks every section this module will load against this VM (vCPU count,
 * exact sizes, ranges) without changing anything. */
int vm_state_check(struct vm *vm, const struct snap_file *f, char *err, size_t errlen);
/* Loads into a paused (or not yet started) VM, in the order KVM needs:
 * per vCPU sregs, regs, xsave, xcrs, MSRs, LAPIC, debug regs, mp state,
 * events; then the IRQ chips, the PIT and the clock. Call vm_state_check
 * first. */
int vm_state_load(struct vm *vm, const struct snap_file *f, struct vm_state_info *info,
		  char *err, size_t errlen);
/* Error unless every vCPU is paused/created/exited (-EBUSY). */
int vm_state_require_paused(struct vm *vm, char *err, size_t errlen);

#endif
