/* vCPU threads, the run loop and exit dispatch; see vcpu.h. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "vcpu.h"
#include "vm.h"
#include "x86/msr_trap.h"

#define VCPU_KICK_SIGNAL (SIGRTMIN + 1)
#define VCPU_SAMPLE_NS (50 * 1000 * 1000ULL)

static const char *const exit_names[] = {
	[KVM_EXIT_UNKNOWN] = "unknown", [KVM_EXIT_EXCEPTION] = "exception",
	[KVM_EXIT_IO] = "io", [KVM_EXIT_HYPERCALL] = "hypercall",
	[KVM_EXIT_DEBUG] = "debug", [KVM_EXIT_HLT] = "hlt", [KVM_EXIT_MMIO] = "mmio",
	[KVM_EXIT_IRQ_WINDOW_OPEN] = "irq_window_open", [KVM_EXIT_SHUTDOWN] = "shutdown",
	[KVM_EXIT_FAIL_ENTRY] = "fail_entry", [KVM_EXIT_INTR] = "intr",
	[KVM_EXIT_SET_TPR] = "set_tpr", [KVM_EXIT_TPR_ACCESS] = "tpr_access",
	[KVM_EXIT_NMI] = "nmi", [KVM_EXIT_INTERNAL_ERROR] = "internal_error",
	[KVM_EXIT_SYSTEM_EVENT] = "system_event", [KVM_EXIT_IOAPIC_EOI] = "ioapic_eoi",
	[KVM_EXIT_X86_RDMSR] = "rdmsr", [KVM_EXIT_X86_WRMSR] = "wrmsr",
	[KVM_EXIT_DIRTY_RING_FULL] = "dirty_ring_full", [KVM_EXIT_X86_BUS_LOCK] = "bus_lock",
	[KVM_EXIT_NOTIFY] = "notify",
};

const char *vcpu_exit_reason_name(unsigned reason)
{
	if (reason < sizeof(exit_names) / sizeof(exit_names[0]) && exit_names[reason])
		return exit_names[reason];
	return "other";
}

const char *cpu_mode_name(enum cpu_mode m)
{
	switch (m) {
	case CPU_MODE_REAL: return "real";
	case CPU_MODE_PROTECTED16: return "prot16";
	case CPU_MODE_PROTECTED32: return "prot32";
	case CPU_MODE_LONG: return "long";
	case CPU_MODE_COMPAT: return "compat";
	default: return "?";
	}
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t vm_now_ns(void)
{
	return now_ns();
}

static void vcpu_kick_handler(int sig)
{
	(void)sig; /* only interrupts KVM_RUN */
}

static void vcpu_install_kick_handler(void)
{
	struct sigaction sa = { .sa_handler = vcpu_kick_handler };
	sigemptyset(&sa.sa_mask);
	/* Idempotent and stateless: the same no-op handler for every VM. */
	sigaction(VCPU_KICK_SIGNAL, &sa, NULL);
}

int vcpu_create(struct vm *vm, unsigned id, struct vcpu **out)
{
	struct vcpu *v = calloc(1, sizeof(*v));
	int r;

	if (!v)
		return -ENOMEM;
	v->vm = vm;
	v->id = id;
	v->stats_fd = -1;
	v->fd = ioctl(vm->fd, KVM_CREATE_VCPU, id);
	if (v->fd < 0) {
		r = -errno;
		free(v);
		return r;
	}
	v->run_size = vm->kvm.vcpu_mmap_size;
	v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		r = -errno;
		close(v->fd);
		free(v);
		return r;
	}
	if (vm->kvm.has_stats_fd)
		v->stats_fd = ioctl(v->fd, KVM_GET_STATS_FD, NULL);
	pthread_mutex_init(&v->lock, NULL);
	pthread_cond_init(&v->cond, NULL);
	v->state = VCPU_CREATED;
	vcpu_install_kick_handler();
	*out = v;
	return 0;
}

void vcpu_destroy(struct vcpu *v)
{
	if (!v)
		return;
	munmap(v->run, v->run_size);
	if (v->stats_fd >= 0)
		close(v->stats_fd);
	close(v->fd);
	pthread_mutex_destroy(&v->lock);
	pthread_cond_destroy(&v->cond);
	free(v);
}

static void stat_inc(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static void addr_count(struct vcpu_addr_table *t, uint64_t key, bool is_write, uint64_t n)
{
	uint32_t cnt = atomic_load_explicit(&t->n, memory_order_relaxed);

	for (uint32_t i = 0; i < cnt; i++) {
		struct vcpu_addr_count *s = &t->slot[i];
		if (atomic_load_explicit(&s->key, memory_order_relaxed) == key) {
			stat_inc(is_write ? &s->writes : &s->reads, n);
			return;
		}
	}
	if (cnt == VCPU_ADDR_SLOTS) {
		stat_inc(&t->other, n);
		return;
	}
	atomic_store_explicit(&t->slot[cnt].key, key, memory_order_relaxed);
	stat_inc(is_write ? &t->slot[cnt].writes : &t->slot[cnt].reads, n);
	atomic_store_explicit(&t->n, cnt + 1, memory_order_release);
}

static enum cpu_mode mode_from_sregs(const struct kvm_sregs *s)
{
	if (!(s->cr0 & 1))
		return CPU_MODE_REAL;
	if (s->efer & (1u << 10)) /* EFER.LMA */
		return s->cs.l ? CPU_MODE_LONG : CPU_MODE_COMPAT;
	return s->cs.db ? CPU_MODE_PROTECTED32 : CPU_MODE_PROTECTED16;
}

static void vcpu_sample(struct vcpu *v)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;

	if (ioctl(v->fd, KVM_GET_REGS, &regs) < 0 || ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
		return;
	atomic_store_explicit(&v->stats.last_rip, regs.rip, memory_order_relaxed);
	atomic_store_explicit(&v->stats.mode, mode_from_sregs(&sregs), memory_order_relaxed);
	atomic_store_explicit(&v->stats.cpl, (sregs.cr0 & 1) ? sregs.cs.selector & 3 : 0,
			      memory_order_relaxed);
	atomic_store_explicit(&v->stats.paging, !!(sregs.cr0 & (1u << 31)), memory_order_relaxed);
	stat_inc(&v->stats.samples, 1);
}

int vcpu_dump_regs(struct vcpu *v, char *buf, size_t len)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	int n;

	if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 || ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return snprintf(buf, len, "  (registers unavailable: %s)\n", strerror(errno));
	n = snprintf(buf, len,
		"  vcpu %u, mode %s, CPL %u\n"
		"  rip %016llx rflags %016llx\n"
		"  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n"
		"  rsi %016llx rdi %016llx rbp %016llx rsp %016llx\n"
		"  r8  %016llx r9  %016llx r10 %016llx r11 %016llx\n"
		"  r12 %016llx r13 %016llx r14 %016llx r15 %016llx\n"
		"  cs %04x base %llx limit %x  ss %04x  ds %04x  es %04x\n"
		"  cr0 %016llx cr2 %016llx cr3 %016llx cr4 %016llx efer %llx\n"
		"  gdt %llx/%x idt %llx/%x\n",
		v->id, cpu_mode_name(mode_from_sregs(&s)), s.cs.selector & 3,
		(unsigned long long)r.rip, (unsigned long long)r.rflags,
		(unsigned long long)r.rax, (unsigned long long)r.rbx,
		(unsigned long long)r.rcx, (unsigned long long)r.rdx,
		(unsigned long long)r.rsi, (unsigned long long)r.rdi,
		(unsigned long long)r.rbp, (unsigned long long)r.rsp,
		(unsigned long long)r.r8, (unsigned long long)r.r9,
		(unsigned long long)r.r10, (unsigned long long)r.r11,
		(unsigned long long)r.r12, (unsigned long long)r.r13,
		(unsigned long long)r.r14, (unsigned long long)r.r15,
		s.cs.selector, (unsigned long long)s.cs.base, s.cs.limit, s.ss.selector,
		s.ds.selector, s.es.selector,
		(unsigned long long)s.cr0, (unsigned long long)s.cr2,
		(unsigned long long)s.cr3, (unsigned long long)s.cr4,
		(unsigned long long)s.efer,
		(unsigned long long)s.gdt.base, s.gdt.limit,
		(unsigned long long)s.idt.base, s.idt.limit);
	return n;
}

/* A fatal exit: stop the VM with a message and a register dump. */
static void vcpu_fatal(struct vcpu *v, enum vm_stop_reason reason, const char *what)
{
	char msg[3072];
	int n = snprintf(msg, sizeof(msg), "vcpu %u: %s\n", v->id, what);
	if (n > 0 && (size_t)n < sizeof(msg))
		vcpu_dump_regs(v, msg + n, sizeof(msg) - (size_t)n);
	vm_request_stop(v->vm, reason, 1, msg);
}

static void vcpu_handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	bool out = run->io.direction == KVM_EXIT_IO_OUT;
	unsigned size = run->io.size;
	uint32_t count = run->io.count;
	uint8_t *data;

	/* The data area lives inside the kvm_run mapping: bound it before use. */
	if ((size != 1 && size != 2 && size != 4) || count == 0 ||
	    run->io.data_offset >= v->run_size ||
	    (uint64_t)size * count > v->run_size - run->io.data_offset)
		return;
	data = (uint8_t *)run + run->io.data_offset;
	addr_count(&v->stats.pio, run->io.port, out, count);
	for (uint32_t i = 0; i < count; i++)
		bus_access(&v->vm->pio, run->io.port, data + (size_t)i * size, size, out);
}

static void vcpu_handle_mmio(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	unsigned len = run->mmio.len;

	if (len == 0 || len > sizeof(run->mmio.data))
		return;
	addr_count(&v->stats.mmio, run->mmio.phys_addr, run->mmio.is_write, 1);
	bus_access(&v->vm->mmio, run->mmio.phys_addr, run->mmio.data, len, run->mmio.is_write);
}

/* Returns false when the vCPU must stop. */
static bool vcpu_handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	char what[256];

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		vcpu_handle_io(v);
		return true;
	case KVM_EXIT_MMIO:
		vcpu_handle_mmio(v);
		return true;
	case KVM_EXIT_X86_RDMSR:
	case KVM_EXIT_X86_WRMSR:
		/* Only with trap_msrs (x86/msr_trap.h): count, let KVM do it. */
		addr_count(&v->stats.msr, run->msr.index, run->exit_reason == KVM_EXIT_X86_WRMSR, 1);
		msr_trap_complete(v->fd, run);
		return true;
	case KVM_EXIT_HLT:
		/* Without a pending interrupt source a HLT never wakes up. */
		return true;
	case KVM_EXIT_INTR:
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		return true;
	case KVM_EXIT_SHUTDOWN:
		vcpu_fatal(v, VM_STOP_TRIPLE_FAULT, "triple fault (KVM_EXIT_SHUTDOWN): the guest "
			   "took an exception it could not handle");
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(what, sizeof(what), "KVM_EXIT_FAIL_ENTRY: hardware entry failure "
			 "reason 0x%llx", (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		vcpu_fatal(v, VM_STOP_FAIL_ENTRY, what);
		return false;
	case KVM_EXIT_INTERNAL_ERROR: {
		int n = snprintf(what, sizeof(what), "KVM_EXIT_INTERNAL_ERROR: suberror %u%s",
				 run->internal.suberror,
				 run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION ?
				 " (instruction emulation failed)" : "");
		for (unsigned i = 0; i < run->internal.ndata && i < 4 && n > 0 &&
		     (size_t)n < sizeof(what); i++)
			n += snprintf(what + n, sizeof(what) - (size_t)n, " data[%u]=0x%llx", i,
				      (unsigned long long)run->internal.data[i]);
		vcpu_fatal(v, VM_STOP_INTERNAL_ERROR, what);
		return false;
	}
	case KVM_EXIT_SYSTEM_EVENT:
		if (run->system_event.type == KVM_SYSTEM_EVENT_RESET)
			vm_request_stop(v->vm, VM_STOP_RESET, 0, "guest requested a reset");
		else
			vm_request_stop(v->vm, VM_STOP_POWEROFF, 0, "guest powered off");
		return false;
	default:
		snprintf(what, sizeof(what), "unhandled exit reason %u (%s)", run->exit_reason,
			 vcpu_exit_reason_name(run->exit_reason));
		vcpu_fatal(v, VM_STOP_INTERNAL_ERROR, what);
		return false;
	}
}

static void vcpu_set_state(struct vcpu *v, enum vcpu_state s)
{
	v->state = s;
	pthread_cond_broadcast(&v->cond);
}

/* Serves pending requests; returns false if the thread must exit. Called
 * with v->lock held. */
static bool vcpu_serve_requests(struct vcpu *v)
{
	v->run->immediate_exit = 0;
	for (;;) {
		if (v->requests & VCPU_REQ_EXIT)
			return false;
		if (v->requests & VCPU_REQ_SAMPLE) {
			v->requests &= ~VCPU_REQ_SAMPLE;
			vcpu_sample(v);
		}
		if (!(v->requests & VCPU_REQ_PAUSE))
			break;
		if (v->state != VCPU_PAUSED) {
			vcpu_sample(v);
			vcpu_set_state(v, VCPU_PAUSED);
		}
		pthread_cond_wait(&v->cond, &v->lock);
	}
	if (v->state != VCPU_RUNNING)
		vcpu_set_state(v, VCPU_RUNNING);
	return true;
}

/* Before acknowledging a pause: re-enter KVM_RUN with immediate_exit set so
 * KVM finishes the I/O or MMIO access of the last exit (an IN's value lands
 * in RAX) without running guest code; only then are the registers a
 * consistent state to save (api.rst 5, "kvm_run": "userspace should ensure
 * that the operation is completed before performing a live migration").
 * A string I/O instruction may exit again for its next chunk: handle it and
 * repeat. Returns false if the vCPU must stop. */
static bool vcpu_complete_io(struct vcpu *v)
{
	for (;;) {
		v->run->immediate_exit = 1;
		if (ioctl(v->fd, KVM_RUN, 0) < 0)
			return true; /* EINTR: done; other errors show on the next KVM_RUN */
		stat_inc(&v->stats.exits, 1);
		if (!vcpu_handle_exit(v))
			return false;
	}
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	uint64_t last_sample = 0;
	char name[16];
	sigset_t set;

	atomic_store(&v->tid, (pid_t)syscall(SYS_gettid));
	snprintf(name, sizeof(name), "vcpu%u", v->id);
	pthread_setname_np(pthread_self(), name);
	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	for (;;) {
		uint64_t t0, t1, t2;
		int r;

		pthread_mutex_lock(&v->lock);
		if ((v->requests & VCPU_REQ_PAUSE) && !(v->requests & VCPU_REQ_EXIT) &&
		    v->state == VCPU_RUNNING) {
			pthread_mutex_unlock(&v->lock);
			if (!vcpu_complete_io(v))
				break;
			pthread_mutex_lock(&v->lock);
		}
		if (v->requests || v->state != VCPU_RUNNING) {
			if (!vcpu_serve_requests(v)) {
				pthread_mutex_unlock(&v->lock);
				break;
			}
		}
		/* Every request is served: clear the kick of the ones just served
		 * (a request made while paused, or the immediate_exit that
		 * vcpu_complete_io left set), else KVM_RUN would return EINTR
		 * forever. A request posted after the unlock sets it again. */
		v->run->immediate_exit = 0;
		pthread_mutex_unlock(&v->lock);

		t0 = now_ns();
		r = ioctl(v->fd, KVM_RUN, 0);
		t1 = now_ns();
		stat_inc(&v->stats.run_ns, t1 - t0);
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				stat_inc(&v->stats.by_reason[KVM_EXIT_INTR], 1);
				continue;
			}
			char what[128];
			snprintf(what, sizeof(what), "KVM_RUN failed: %s", strerror(errno));
			vcpu_fatal(v, VM_STOP_ERROR, what);
			break;
		}
		stat_inc(&v->stats.exits, 1);
		if (v->run->exit_reason < VCPU_EXIT_REASONS)
			stat_inc(&v->stats.by_reason[v->run->exit_reason], 1);
		if (!vcpu_handle_exit(v))
			break;
		t2 = now_ns();
		stat_inc(&v->stats.vmm_ns, t2 - t1);
		if (t2 - last_sample > VCPU_SAMPLE_NS) {
			vcpu_sample(v);
			last_sample = t2;
		}
	}
	pthread_mutex_lock(&v->lock);
	vcpu_set_state(v, VCPU_EXITED);
	pthread_mutex_unlock(&v->lock);
	return NULL;
}

int vcpu_start(struct vcpu *v)
{
	sigset_t set, old;
	int r;

	/* Threads inherit the mask: block the kick signal while creating, the
	 * thread unblocks it itself. */
	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	pthread_mutex_lock(&v->lock);
	v->state = VCPU_RUNNING;
	pthread_mutex_unlock(&v->lock);
	r = pthread_create(&v->thread, NULL, vcpu_thread, v);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r)
		return -r;
	v->thread_started = true;
	return 0;
}

void vcpu_request(struct vcpu *v, unsigned req)
{
	pthread_mutex_lock(&v->lock);
	v->requests |= req;
	v->run->immediate_exit = 1;
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
	if (v->thread_started)
		pthread_kill(v->thread, VCPU_KICK_SIGNAL);
}

void vcpu_pause(struct vcpu *v)
{
	vcpu_request(v, VCPU_REQ_PAUSE);
	pthread_mutex_lock(&v->lock);
	while (v->thread_started && v->state != VCPU_PAUSED && v->state != VCPU_EXITED)
		pthread_cond_wait(&v->cond, &v->lock);
	pthread_mutex_unlock(&v->lock);
}

void vcpu_resume(struct vcpu *v)
{
	pthread_mutex_lock(&v->lock);
	v->requests &= ~VCPU_REQ_PAUSE;
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
}

void vcpu_join(struct vcpu *v)
{
	if (!v->thread_started)
		return;
	vcpu_request(v, VCPU_REQ_EXIT);
	pthread_join(v->thread, NULL);
	v->thread_started = false;
}

enum vcpu_state vcpu_get_state(struct vcpu *v)
{
	enum vcpu_state s;
	pthread_mutex_lock(&v->lock);
	s = v->state;
	pthread_mutex_unlock(&v->lock);
	return s;
}
