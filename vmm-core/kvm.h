/* /dev/kvm: open, API version and capability checks (KVM API, api.rst 4.1-4.4). */
#ifndef VMDECK_KVM_H
#define VMDECK_KVM_H

#include <stdbool.h>
#include <stddef.h>

#define KVM_DEFAULT_PATH "/dev/kvm"

struct kvm_sys {
	int fd;
	int api_version;
	size_t vcpu_mmap_size;
	int max_vcpus;
	bool has_stats_fd;     /* KVM_CAP_BINARY_STATS_FD */
	bool has_immediate_exit;
	bool has_ioeventfd, has_irqfd;
};

/* A capability vmdeck needs, with what it is for (shown by `vmdeck doctor`). */
struct kvm_cap_req {
	int cap;
	const char *name;
	const char *why;
	bool required;
};

/* The device path: $VMDECK_KVM_DEVICE if set (tests simulate a missing
 * /dev/kvm with it), else /dev/kvm. */
const char *kvm_device_path(void);
/* Opens KVM and checks API version and required capabilities. On error
 * returns -errno and writes a one-line message with the fix into err. */
int kvm_open(struct kvm_sys *kvm, const char *path, char *err, size_t errlen);
void kvm_close(struct kvm_sys *kvm);
int kvm_check_cap(const struct kvm_sys *kvm, int cap);
/* The capability table, for doctor; n receives its length. */
const struct kvm_cap_req *kvm_cap_table(size_t *n);

#endif
