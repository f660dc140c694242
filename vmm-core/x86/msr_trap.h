/* Teaching mode: make every guest RDMSR/WRMSR exit to vmdeck so it can be
 * counted per MSR (KVM_CAP_X86_USER_SPACE_MSR with KVM_MSR_EXIT_REASON_FILTER
 * and KVM_X86_SET_MSR_FILTER denying every MSR block, api.rst 4.125 and 7.21). vmdeck
 * then completes each access by asking KVM itself (KVM_GET_MSRS/SET_MSRS on
 * the same vCPU), so the guest sees what KVM would have given it; trap and
 * emulate, made visible. Host-initiated accesses are exempt from the filter.
 * Differences: an MSR KVM refuses gives the guest #GP as before, but a few
 * MSRs KVM treats differently when the host writes them (e.g. read-only
 * ones) are then written the host's way. Off by default. */
#ifndef VMDECK_X86_MSR_TRAP_H
#define VMDECK_X86_MSR_TRAP_H

#include <linux/kvm.h>
#include <stddef.h>

int msr_trap_enable(int vm_fd, char *err, size_t errlen);
/* Completes a KVM_EXIT_X86_RDMSR/WRMSR in run (sets data and error). */
void msr_trap_complete(int vcpu_fd, struct kvm_run *run);

#endif
