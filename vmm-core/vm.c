/* VM lifecycle; see vm.h. */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "vcpu.h"
#include "vm.h"
#include "x86/cpuid.h"
#include "x86/layout.h"
#include "x86/msr_trap.h"

/* Addresses KVM needs on Intel for real-mode emulation (api.rst 4.43/4.81):
 * three pages just below the BIOS area at the top of the PCI hole, as QEMU
 * places them; never RAM. */
#define VM_TSS_ADDR          0xFFFBD000ULL
#define VM_IDENTITY_MAP_ADDR 0xFFFBC000ULL

static void vm_irq_set_level(void *opaque, unsigned gsi, int level)
{
	struct vm *vm = opaque;
	struct kvm_irq_level irq = { .irq = gsi, .level = level };

	ioctl(vm->fd, KVM_IRQ_LINE, &irq);
}

/* GSI routing as on a PC (and as QEMU sets it up): GSIs 0-15 go to the
 * PICs; GSI 0 (the PIT) reaches IOAPIC input 2, the others their own input;
 * the MP table (x86/mptable.c) describes the same wiring. KVM's default
 * table would put the PIT on IOAPIC input 0. */
static int vm_set_gsi_routing(struct vm *vm)
{
	enum { NPIC = 16, NIOAPIC = 24 };
	struct kvm_irq_routing *rt;
	unsigned n = 0;
	int r = 0;

	rt = calloc(1, sizeof(*rt) + (NPIC + NIOAPIC) * sizeof(rt->entries[0]));
	if (!rt)
		return -ENOMEM;
	for (unsigned i = 0; i < NPIC; i++) {
		if (i == 2)
			continue;
		rt->entries[n++] = (struct kvm_irq_routing_entry){
			.gsi = i, .type = KVM_IRQ_ROUTING_IRQCHIP,
			.u.irqchip = { .irqchip = i < 8 ? KVM_IRQCHIP_PIC_MASTER :
				       KVM_IRQCHIP_PIC_SLAVE, .pin = i % 8 } };
	}
	for (unsigned i = 0; i < NIOAPIC; i++) {
		if (i == 2)
			continue;
		rt->entries[n++] = (struct kvm_irq_routing_entry){
			.gsi = i, .type = KVM_IRQ_ROUTING_IRQCHIP,
			.u.irqchip = { .irqchip = KVM_IRQCHIP_IOAPIC, .pin = i == 0 ? 2 : i } };
	}
	rt->nr = n;
	if (ioctl(vm->fd, KVM_SET_GSI_ROUTING, rt) < 0)
		r = -errno;
	free(rt);
	return r;
}

int vm_create(const struct vm_params *p, struct vm **out, char *err, size_t errlen)
{
	struct vm *vm;
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	uint64_t ident = VM_IDENTITY_MAP_ADDR;
	int r;

	if (p->ncpus < 1 || p->ncpus > VM_MAX_CPUS) {
		snprintf(err, errlen, "cpus = %u is out of range (1 to %d)", p->ncpus, VM_MAX_CPUS);
		return -EINVAL;
	}
	vm = calloc(1, sizeof(*vm));
	if (!vm) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	vm->fd = -1;
	vm->stop_efd = -1;
	vm->mem.memfd = -1;
	vm->kvm.fd = -1;
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->cond, NULL);
	pthread_mutex_init(&vm->pause_lock, NULL);
	console_init(&vm->console);
	bus_init(&vm->pio, "pio");
	bus_init(&vm->mmio, "mmio");
	vm->irq = (struct irq_sink){ .set_level = vm_irq_set_level, .opaque = vm };

	r = kvm_open(&vm->kvm, p->kvm_path ? p->kvm_path : kvm_device_path(), err, errlen);
	if (r)
		goto fail;
	if ((int)p->ncpus > vm->kvm.max_vcpus) {
		snprintf(err, errlen, "cpus = %u: this host's KVM allows at most %d",
			 p->ncpus, vm->kvm.max_vcpus);
		r = -EINVAL;
		goto fail;
	}
	vm->fd = ioctl(vm->kvm.fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0) {
		r = -errno;
		snprintf(err, errlen, "KVM_CREATE_VM: %s", strerror(errno));
		goto fail;
	}
	/* Optional on AMD and PVM; required before vCPUs exist on Intel. */
	ioctl(vm->fd, KVM_SET_IDENTITY_MAP_ADDR, &ident);
	ioctl(vm->fd, KVM_SET_TSS_ADDR, (unsigned long)VM_TSS_ADDR);
	if (ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		r = -errno;
		snprintf(err, errlen, "KVM_CREATE_IRQCHIP: %s", strerror(errno));
		goto fail;
	}
	r = vm_set_gsi_routing(vm);
	if (r) {
		snprintf(err, errlen, "KVM_SET_GSI_ROUTING: %s", strerror(-r));
		goto fail;
	}
	if (ioctl(vm->fd, KVM_CREATE_PIT2, &pit) < 0) {
		r = -errno;
		snprintf(err, errlen, "KVM_CREATE_PIT2: %s", strerror(errno));
		goto fail;
	}
	if (p->trap_msrs) {
		r = msr_trap_enable(vm->fd, err, errlen);
		if (r)
			goto fail;
	}
	r = p->mem_file ? guest_mem_create_from_file(&vm->mem, p->mem_file, p->mem_size, err, errlen)
			: guest_mem_create(&vm->mem, p->mem_size, err, errlen);
	if (r)
		goto fail;
	r = guest_mem_register(&vm->mem, vm->fd, 0);
	if (r) {
		snprintf(err, errlen, "KVM_SET_USER_MEMORY_REGION: %s", strerror(-r));
		goto fail;
	}
	vm->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->stop_efd < 0) {
		r = -errno;
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		goto fail;
	}
	r = x86_cpuid_get_supported(vm->kvm.fd, &vm->cpuid);
	if (r) {
		snprintf(err, errlen, "KVM_GET_SUPPORTED_CPUID: %s", strerror(-r));
		goto fail;
	}
	vm->ncpus = p->ncpus;
	for (unsigned i = 0; i < p->ncpus; i++) {
		r = vcpu_create(vm, i, &vm->vcpus[i]);
		if (r) {
			snprintf(err, errlen, "KVM_CREATE_VCPU %u: %s", i, strerror(-r));
			goto fail;
		}
		r = x86_cpuid_set(vm->vcpus[i]->fd, vm->cpuid, i, p->ncpus);
		if (r) {
			snprintf(err, errlen, "KVM_SET_CPUID2 on vcpu %u: %s", i, strerror(-r));
			goto fail;
		}
	}
	*out = vm;
	return 0;
fail:
	vm_destroy(vm);
	return r;
}

void vm_destroy(struct vm *vm)
{
	if (!vm)
		return;
	vm_join(vm);
	for (unsigned i = 0; i < VM_MAX_CPUS; i++)
		if (vm->vcpus[i])
			vcpu_destroy(vm->vcpus[i]);
	free(vm->cpuid);
	guest_mem_destroy(&vm->mem);
	if (vm->fd >= 0)
		close(vm->fd);
	if (vm->stop_efd >= 0)
		close(vm->stop_efd);
	kvm_close(&vm->kvm);
	bus_destroy(&vm->pio);
	bus_destroy(&vm->mmio);
	console_destroy(&vm->console);
	pthread_mutex_destroy(&vm->lock);
	pthread_cond_destroy(&vm->cond);
	pthread_mutex_destroy(&vm->pause_lock);
	free(vm);
}

int vm_start(struct vm *vm, char *err, size_t errlen)
{
	vm->start_ns = vm_now_ns();
	for (unsigned i = 0; i < vm->ncpus; i++) {
		int r = vcpu_start(vm->vcpus[i]);
		if (r) {
			snprintf(err, errlen, "starting vcpu %u thread: %s", i, strerror(-r));
			vm_request_stop(vm, VM_STOP_ERROR, 1, err);
			return r;
		}
	}
	return 0;
}

void vm_request_stop(struct vm *vm, enum vm_stop_reason reason, int code, const char *msg)
{
	uint64_t one = 1;
	bool first = false;

	pthread_mutex_lock(&vm->lock);
	if (!vm->stopping) {
		first = true;
		vm->stopping = true;
		vm->stop_reason = reason;
		vm->exit_code = code;
		snprintf(vm->stop_msg, sizeof(vm->stop_msg), "%s", msg ? msg : "");
		pthread_cond_broadcast(&vm->cond);
	}
	pthread_mutex_unlock(&vm->lock);
	if (!first)
		return;
	/* Ask every vCPU to leave KVM_RUN; the caller may itself be a vCPU. */
	for (unsigned i = 0; i < vm->ncpus; i++)
		if (vm->vcpus[i])
			vcpu_request(vm->vcpus[i], VCPU_REQ_EXIT);
	if (write(vm->stop_efd, &one, sizeof(one)) < 0) {
		/* eventfd counter cannot overflow with one write; nothing to do */
	}
}

bool vm_wait_stop(struct vm *vm, int timeout_ms)
{
	bool stopping;

	pthread_mutex_lock(&vm->lock);
	if (timeout_ms < 0) {
		while (!vm->stopping)
			pthread_cond_wait(&vm->cond, &vm->lock);
	} else {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += timeout_ms / 1000;
		ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		while (!vm->stopping)
			if (pthread_cond_timedwait(&vm->cond, &vm->lock, &ts))
				break;
	}
	stopping = vm->stopping;
	pthread_mutex_unlock(&vm->lock);
	return stopping;
}

void vm_join(struct vm *vm)
{
	for (unsigned i = 0; i < vm->ncpus; i++)
		if (vm->vcpus[i])
			vcpu_join(vm->vcpus[i]);
}

/* Not vm->lock: a vCPU may take that (vm_request_stop) before it acks. */
void vm_pause(struct vm *vm)
{
	pthread_mutex_lock(&vm->pause_lock);
	if (vm->pause_depth++ == 0)
		for (unsigned i = 0; i < vm->ncpus; i++)
			vcpu_pause(vm->vcpus[i]);
	pthread_mutex_unlock(&vm->pause_lock);
}

void vm_resume(struct vm *vm)
{
	pthread_mutex_lock(&vm->pause_lock);
	if (vm->pause_depth && --vm->pause_depth == 0)
		for (unsigned i = 0; i < vm->ncpus; i++)
			vcpu_resume(vm->vcpus[i]);
	pthread_mutex_unlock(&vm->pause_lock);
}

const char *vm_stop_reason_name(enum vm_stop_reason r)
{
	switch (r) {
	case VM_STOP_NONE: return "running";
	case VM_STOP_DEBUG_EXIT: return "debug-exit";
	case VM_STOP_REQUESTED: return "stopped";
	case VM_STOP_TIMEOUT: return "timeout";
	case VM_STOP_TRIPLE_FAULT: return "triple-fault";
	case VM_STOP_FAIL_ENTRY: return "fail-entry";
	case VM_STOP_INTERNAL_ERROR: return "internal-error";
	case VM_STOP_RESET: return "reset";
	case VM_STOP_POWEROFF: return "poweroff";
	case VM_STOP_ERROR: return "error";
	}
	return "?";
}
