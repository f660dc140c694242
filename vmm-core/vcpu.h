/* One thread per vCPU, driven as a state machine RUNNING/PAUSED/EXITED
 * (Firecracker's vstate/vcpu.rs has the same shape). Another thread asks for
 * a state change by posting a request under the vCPU's lock, setting
 * kvm_run->immediate_exit and signalling the thread (api.rst 5, "immediate_exit");
 * the vCPU thread acknowledges by publishing its new state. */
#ifndef VMDECK_VCPU_H
#define VMDECK_VCPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct vm;

enum vcpu_state { VCPU_CREATED, VCPU_RUNNING, VCPU_PAUSED, VCPU_EXITED };

#define VCPU_REQ_PAUSE  (1u << 0)
#define VCPU_REQ_EXIT   (1u << 1)
#define VCPU_REQ_SAMPLE (1u << 2) /* refresh last RIP / CPU mode */

#define VCPU_EXIT_REASONS 64
#define VCPU_ADDR_SLOTS 48

/* Per-address exit counter; key is written once by the owner before the
 * slot is published through n (release), so readers may scan [0, n). */
struct vcpu_addr_count {
	_Atomic uint64_t key;
	_Atomic uint64_t reads, writes;
};

struct vcpu_addr_table {
	struct vcpu_addr_count slot[VCPU_ADDR_SLOTS];
	_Atomic uint32_t n;
	_Atomic uint64_t other; /* addresses that did not fit */
};

/* CPU mode as the teacher wants to see it. */
enum cpu_mode { CPU_MODE_REAL, CPU_MODE_PROTECTED16, CPU_MODE_PROTECTED32,
		CPU_MODE_LONG, CPU_MODE_COMPAT, CPU_MODE_UNKNOWN };

/* Counters written only by the vCPU thread (relaxed atomics), read anywhere. */
struct vcpu_stats {
	_Atomic uint64_t exits; /* returns from KVM_RUN to vmdeck */
	_Atomic uint64_t by_reason[VCPU_EXIT_REASONS];
	_Atomic uint64_t run_ns; /* time inside KVM_RUN */
	_Atomic uint64_t vmm_ns; /* time handling exits in vmdeck */
	struct vcpu_addr_table pio, mmio;
	struct vcpu_addr_table msr; /* by MSR index, with trap_msrs */
	_Atomic uint64_t last_rip;
	_Atomic uint32_t mode;      /* enum cpu_mode */
	_Atomic uint32_t cpl;
	_Atomic uint32_t paging;
	_Atomic uint64_t samples;
};

struct vcpu {
	struct vm *vm;
	unsigned id;
	int fd;
	int stats_fd; /* KVM_GET_STATS_FD, or -1 */
	struct kvm_run *run;
	size_t run_size;
	pthread_t thread;
	_Atomic pid_t tid;
	bool thread_started;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum vcpu_state state;
	unsigned requests;

	struct vcpu_stats stats;
};

int vcpu_create(struct vm *vm, unsigned id, struct vcpu **out);
void vcpu_destroy(struct vcpu *v);
int vcpu_start(struct vcpu *v);
/* Posts requests and kicks the thread out of KVM_RUN. */
void vcpu_request(struct vcpu *v, unsigned req);
/* Pauses and waits for the acknowledgement (or for the thread to exit). */
void vcpu_pause(struct vcpu *v);
void vcpu_resume(struct vcpu *v);
void vcpu_join(struct vcpu *v);
enum vcpu_state vcpu_get_state(struct vcpu *v);
const char *vcpu_exit_reason_name(unsigned reason);
const char *cpu_mode_name(enum cpu_mode m);
/* Formats general and segment registers, for fatal exits. */
int vcpu_dump_regs(struct vcpu *v, char *buf, size_t len);

#endif
