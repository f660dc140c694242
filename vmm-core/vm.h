/* A virtual machine: KVM VM fd, guest RAM, buses, devices, vCPUs.
 * No globals: everything hangs off struct vm, so several VMs could share a
 * process. Library code returns -errno and fills an error message. */
#ifndef VMDECK_VM_H
#define VMDECK_VM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "bus.h"
#include "console.h"
#include "irq.h"
#include "kvm.h"
#include "memory.h"

struct vcpu;
struct vm_devices;
struct pci_bus;
struct kvm_cpuid2;

#define VM_MAX_CPUS 64

struct vm_params {
	uint64_t mem_size;
	unsigned ncpus;
	const char *kvm_path; /* NULL: kvm_device_path() */
	bool trap_msrs;       /* every guest MSR access exits to vmdeck (x86/msr_trap.h) */
	/* Restore: guest RAM mapped MAP_PRIVATE from this snapshot memory file
	 * (guest_mem_create_from_file); NULL: fresh zeroed RAM. */
	const char *mem_file;
};

enum vm_stop_reason {
	VM_STOP_NONE,
	VM_STOP_DEBUG_EXIT,     /* guest wrote to port 0xF4 */
	VM_STOP_REQUESTED,      /* user: Ctrl-C, stop command */
	VM_STOP_TIMEOUT,
	VM_STOP_TRIPLE_FAULT,   /* KVM_EXIT_SHUTDOWN */
	VM_STOP_FAIL_ENTRY,
	VM_STOP_INTERNAL_ERROR,
	VM_STOP_RESET,          /* guest asked for a reset (i8042 0xFE, system event) */
	VM_STOP_POWEROFF,
	VM_STOP_ERROR,          /* a vmdeck error while running */
};

struct vm {
	struct kvm_sys kvm;
	int fd;
	struct guest_mem mem;
	struct bus pio, mmio;
	struct console console;
	struct irq_sink irq;
	unsigned ncpus;
	struct vcpu *vcpus[VM_MAX_CPUS];
	struct kvm_cpuid2 *cpuid; /* supported CPUID, filtered per vCPU at setup */
	struct vm_devices *dev;
	struct pci_bus *pci; /* NULL until machine setup creates it (pci.h) */

	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stopping;
	enum vm_stop_reason stop_reason;
	int exit_code;
	char stop_msg[4096];
	int stop_efd; /* eventfd, readable once the VM is stopping */
	/* vm_pause/vm_resume nest (a snapshot of a VM the user paused): the
	 * vCPUs run again only when the last pause is undone. */
	pthread_mutex_t pause_lock;
	unsigned pause_depth;
	uint64_t start_ns;
};

int vm_create(const struct vm_params *p, struct vm **out, char *err, size_t errlen);
void vm_destroy(struct vm *vm);
/* Starts all vCPU threads (the BSP's registers must be set by a loader). */
int vm_start(struct vm *vm, char *err, size_t errlen);
/* First caller wins; wakes everything waiting for the stop. msg may be NULL. */
void vm_request_stop(struct vm *vm, enum vm_stop_reason reason, int code, const char *msg);
/* Waits up to timeout_ms (<0: forever) for a stop request; true if stopping. */
bool vm_wait_stop(struct vm *vm, int timeout_ms);
/* Stops all vCPU threads and joins them. */
void vm_join(struct vm *vm);
/* Pauses every vCPU and waits for them; nests: each vm_pause needs its own
 * vm_resume, and only the last one lets the vCPUs run. */
void vm_pause(struct vm *vm);
void vm_resume(struct vm *vm);
const char *vm_stop_reason_name(enum vm_stop_reason r);
uint64_t vm_now_ns(void);

#endif
