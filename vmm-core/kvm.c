/* /dev/kvm setup; see kvm.h. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm.h"

static const struct kvm_cap_req kvm_caps[] = {
	{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP", "in-kernel PIC/IOAPIC/LAPIC", true },
	{ KVM_CAP_PIT2, "KVM_CAP_PIT2", "in-kernel PIT timer", true },
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY", "guest RAM memslots", true },
	{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID", "KVM_GET_SUPPORTED_CPUID", true },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT", "pausing vCPUs without races", true },
	{ KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR", "real-mode support on VMX", false },
	{ KVM_CAP_BINARY_STATS_FD, "KVM_CAP_BINARY_STATS_FD", "per-vCPU kernel statistics", false },
	{ KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD", "exit-free virtio notifications", false },
	{ KVM_CAP_IRQFD, "KVM_CAP_IRQFD", "exit-free virtio interrupts", false },
	{ KVM_CAP_SYNC_MMU, "KVM_CAP_SYNC_MMU", "memory overcommit and CoW snapshots", false },
};

const struct kvm_cap_req *kvm_cap_table(size_t *n)
{
	*n = sizeof(kvm_caps) / sizeof(kvm_caps[0]);
	return kvm_caps;
}

const char *kvm_device_path(void)
{
	const char *p = getenv("VMDECK_KVM_DEVICE");
	return p && *p ? p : KVM_DEFAULT_PATH;
}

int kvm_check_cap(const struct kvm_sys *kvm, int cap)
{
	int r = ioctl(kvm->fd, KVM_CHECK_EXTENSION, cap);
	return r < 0 ? 0 : r;
}

int kvm_open(struct kvm_sys *kvm, const char *path, char *err, size_t errlen)
{
	int r;

	memset(kvm, 0, sizeof(*kvm));
	kvm->fd = open(path, O_RDWR | O_CLOEXEC);
	if (kvm->fd < 0) {
		int e = errno;
		if (e == ENOENT)
			snprintf(err, errlen, "%s: no such device: KVM is not available "
				 "(load kvm_intel or kvm_amd, enable virtualization in the "
				 "firmware; `vmdeck doctor` checks)", path);
		else if (e == EACCES || e == EPERM)
			snprintf(err, errlen, "%s: permission denied (add yourself to "
				 "the 'kvm' group or run as root)", path);
		else
			snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	kvm->api_version = ioctl(kvm->fd, KVM_GET_API_VERSION, 0);
	if (kvm->api_version != KVM_API_VERSION) {
		snprintf(err, errlen, "%s: KVM API version %d, vmdeck needs %d "
			 "(is this really a KVM device?)", path, kvm->api_version,
			 KVM_API_VERSION);
		r = -ENOTSUP;
		goto fail;
	}
	for (size_t i = 0; i < sizeof(kvm_caps) / sizeof(kvm_caps[0]); i++) {
		if (kvm_caps[i].required && !kvm_check_cap(kvm, kvm_caps[i].cap)) {
			snprintf(err, errlen, "%s: missing %s (%s)", path,
				 kvm_caps[i].name, kvm_caps[i].why);
			r = -ENOTSUP;
			goto fail;
		}
	}
	r = ioctl(kvm->fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (r <= 0) {
		snprintf(err, errlen, "%s: KVM_GET_VCPU_MMAP_SIZE failed", path);
		r = -ENOTSUP;
		goto fail;
	}
	kvm->vcpu_mmap_size = (size_t)r;
	kvm->max_vcpus = kvm_check_cap(kvm, KVM_CAP_MAX_VCPUS);
	if (kvm->max_vcpus <= 0)
		kvm->max_vcpus = kvm_check_cap(kvm, KVM_CAP_NR_VCPUS);
	if (kvm->max_vcpus <= 0)
		kvm->max_vcpus = 4; /* api.rst: assume 4 if neither is reported */
	kvm->has_stats_fd = kvm_check_cap(kvm, KVM_CAP_BINARY_STATS_FD) > 0;
	kvm->has_immediate_exit = true;
	kvm->has_ioeventfd = kvm_check_cap(kvm, KVM_CAP_IOEVENTFD) > 0;
	kvm->has_irqfd = kvm_check_cap(kvm, KVM_CAP_IRQFD) > 0;
	return 0;
fail:
	close(kvm->fd);
	kvm->fd = -1;
	return r;
}

void kvm_close(struct kvm_sys *kvm)
{
	if (kvm->fd >= 0)
		close(kvm->fd);
	kvm->fd = -1;
}
