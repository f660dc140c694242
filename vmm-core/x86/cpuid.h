/* CPUID: what KVM supports (KVM_GET_SUPPORTED_CPUID), filtered per vCPU. */
#ifndef VMDECK_X86_CPUID_H
#define VMDECK_X86_CPUID_H

#include <linux/kvm.h>

int x86_cpuid_get_supported(int kvm_fd, struct kvm_cpuid2 **out);
/* Applies the per-vCPU filter (APIC ids, topology, hypervisor bit) to a copy
 * of base and sets it with KVM_SET_CPUID2. Pure part: x86_cpuid_filter. */
int x86_cpuid_set(int vcpu_fd, const struct kvm_cpuid2 *base, unsigned id, unsigned ncpus);
void x86_cpuid_filter(struct kvm_cpuid2 *c, unsigned id, unsigned ncpus);

#endif
