/* CPUID filtering; see cpuid.h. Leaf numbers per the Intel SDM vol. 2A, CPUID. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "x86/cpuid.h"

#define CPUID_MAX_ENTRIES 256

int x86_cpuid_get_supported(int kvm_fd, struct kvm_cpuid2 **out)
{
	size_t sz = sizeof(struct kvm_cpuid2) + CPUID_MAX_ENTRIES * sizeof(struct kvm_cpuid_entry2);
	struct kvm_cpuid2 *c = calloc(1, sz);

	if (!c)
		return -ENOMEM;
	c->nent = CPUID_MAX_ENTRIES;
	if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
		int e = errno;
		free(c);
		return -e;
	}
	*out = c;
	return 0;
}

void x86_cpuid_filter(struct kvm_cpuid2 *c, unsigned id, unsigned ncpus)
{
	for (unsigned i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];
		switch (e->function) {
		case 1:
			/* EBX[31:24] initial APIC id, [23:16] logical processors per
			 * package; EDX bit 28 HTT when more than one. ECX bit 31:
			 * running under a hypervisor. */
			e->ebx = (e->ebx & 0x0000ffffu) | (id << 24) | ((ncpus & 0xff) << 16);
			if (ncpus > 1)
				e->edx |= 1u << 28;
			else
				e->edx &= ~(1u << 28);
			e->ecx |= 1u << 31;
			break;
		case 0xb:
		case 0x1f:
			/* Extended topology: EDX holds the x2APIC id of this CPU. */
			e->edx = id;
			break;
		case 4:
			/* Deterministic cache parameters: EAX[31:26] cores per package - 1. */
			e->eax = (e->eax & 0x03ffffffu) | (((ncpus - 1) & 0x3f) << 26);
			break;
		default:
			break;
		}
	}
}

int x86_cpuid_set(int vcpu_fd, const struct kvm_cpuid2 *base, unsigned id, unsigned ncpus)
{
	size_t sz = sizeof(*base) + base->nent * sizeof(base->entries[0]);
	struct kvm_cpuid2 *c = malloc(sz);
	int r = 0;

	if (!c)
		return -ENOMEM;
	memcpy(c, base, sz);
	x86_cpuid_filter(c, id, ncpus);
	if (ioctl(vcpu_fd, KVM_SET_CPUID2, c) < 0)
		r = -errno;
	free(c);
	return r;
}
