/* MSR accesses through vmdeck; see msr_trap.h. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "x86/msr_trap.h"

int msr_trap_enable(int vm_fd, char *err, size_t errlen)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_X86_USER_SPACE_MSR,
				      .args = { KVM_MSR_EXIT_REASON_FILTER } };
	/* KVM refuses KVM_MSR_FILTER_DEFAULT_DENY here, so deny explicitly:
	 * all-zero bitmaps over every architectural MSR block (Intel SDM vol.
	 * 4; AMD's at 0xC0010000; KVM's paravirtual ones at 0x4B564D00). The
	 * bitmap is only read during the ioctl, so one shared buffer serves. */
	static const uint32_t bases[] = { 0x00000000u, 0x40000000u, 0x4B564D00u,
					  0xC0000000u, 0xC0010000u };
	uint8_t deny[0x600]; /* KVM_MSR_FILTER_MAX_BITMAP_SIZE */
	struct kvm_msr_filter filter = { .flags = KVM_MSR_FILTER_DEFAULT_ALLOW };

	memset(deny, 0, sizeof(deny));
	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++)
		filter.ranges[i] = (struct kvm_msr_filter_range){
			.flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE,
			.nmsrs = sizeof(deny) * 8, .base = bases[i], .bitmap = deny };

	if (ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_X86_USER_SPACE_MSR) <= 0 ||
	    ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_X86_MSR_FILTER) <= 0) {
		snprintf(err, errlen, "trap_msrs: this KVM cannot send MSR accesses to vmdeck "
			 "(no KVM_CAP_X86_USER_SPACE_MSR / KVM_CAP_X86_MSR_FILTER)");
		return -ENOTSUP;
	}
	if (ioctl(vm_fd, KVM_ENABLE_CAP, &cap) < 0 ||
	    ioctl(vm_fd, KVM_X86_SET_MSR_FILTER, &filter) < 0) {
		int e = errno;
		snprintf(err, errlen, "trap_msrs: %s", strerror(e));
		return -e;
	}
	return 0;
}

void msr_trap_complete(int vcpu_fd, struct kvm_run *run)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m;

	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = 1;
	m.e.index = run->msr.index;
	if (run->exit_reason == KVM_EXIT_X86_RDMSR) {
		/* KVM_GET_MSRS returns how many entries it processed. */
		if (ioctl(vcpu_fd, KVM_GET_MSRS, &m) == 1) {
			run->msr.data = m.e.data;
			run->msr.error = 0;
		} else {
			run->msr.error = 1; /* the guest gets #GP, as without the trap */
		}
	} else {
		m.e.data = run->msr.data;
		run->msr.error = ioctl(vcpu_fd, KVM_SET_MSRS, &m) == 1 ? 0 : 1;
	}
}
