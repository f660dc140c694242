/* Per-vCPU and per-VM statistics of a running machine; see proc_stats.h. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kstats.h"
#include "machine.h"
#include "proc_stats.h"
#include "stats_json.h"
#include "vcpu.h"
#include "vm.h"
#include "vmproc.h"

#define SAMPLE_WAIT_NS (5 * 1000 * 1000ULL)

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

void proc_stats_merge(const struct proc_ucounts *u, const struct proc_kstats *k,
		      struct vmctl_vcpu *out)
{
	uint64_t *br = out->by_reason, known;

	memset(br, 0, sizeof(out->by_reason));
	out->exits_user = u->exits;
	out->exits_kernel = k->exits > u->exits ? k->exits - u->exits : 0;
	br[VMCTL_R_IO] = max_u64(k->io_exits, u->by_reason[KVM_EXIT_IO]);
	br[VMCTL_R_MMIO] = max_u64(k->mmio_exits, u->by_reason[KVM_EXIT_MMIO]);
	br[VMCTL_R_HLT] = max_u64(k->halt_exits, u->by_reason[KVM_EXIT_HLT]);
	br[VMCTL_R_CPUID] = 0;
	br[VMCTL_R_MSR] = u->by_reason[KVM_EXIT_X86_RDMSR] + u->by_reason[KVM_EXIT_X86_WRMSR];
	br[VMCTL_R_IRQ_WINDOW] = max_u64(k->irq_window_exits,
					 u->by_reason[KVM_EXIT_IRQ_WINDOW_OPEN]);
	br[VMCTL_R_EMULATION] = k->insn_emulation;
	br[VMCTL_R_INTR] = max_u64(k->signal_exits, u->by_reason[KVM_EXIT_INTR]);
	br[VMCTL_R_EXTIRQ] = k->irq_exits;
	br[VMCTL_R_PF] = k->pf_taken;
	br[VMCTL_R_TOTAL] = out->exits_kernel + out->exits_user;
	known = br[VMCTL_R_IO] + br[VMCTL_R_MMIO] + br[VMCTL_R_HLT] + br[VMCTL_R_MSR] +
		br[VMCTL_R_IRQ_WINDOW] + br[VMCTL_R_EXTIRQ];
	br[VMCTL_R_OTHER] = br[VMCTL_R_TOTAL] > known ? br[VMCTL_R_TOTAL] - known : 0;
	out->run_ns = u->run_ns;
	out->vmm_ns = u->vmm_ns;
	out->halt_wait_ns = k->halt_wait_ns;
	out->halt_wakeups = k->halt_wakeup;
}

static void kstat_pick(void *opaque, const char *name, uint64_t value)
{
	struct proc_kstats *k = opaque;
	static const struct { const char *name; size_t off; } map[] = {
		{ "exits", offsetof(struct proc_kstats, exits) },
		{ "io_exits", offsetof(struct proc_kstats, io_exits) },
		{ "mmio_exits", offsetof(struct proc_kstats, mmio_exits) },
		{ "halt_exits", offsetof(struct proc_kstats, halt_exits) },
		{ "irq_exits", offsetof(struct proc_kstats, irq_exits) },
		{ "irq_window_exits", offsetof(struct proc_kstats, irq_window_exits) },
		{ "signal_exits", offsetof(struct proc_kstats, signal_exits) },
		{ "insn_emulation", offsetof(struct proc_kstats, insn_emulation) },
		{ "pf_taken", offsetof(struct proc_kstats, pf_taken) },
		{ "halt_wait_ns", offsetof(struct proc_kstats, halt_wait_ns) },
		{ "halt_wakeup", offsetof(struct proc_kstats, halt_wakeup) },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(name, map[i].name))
			*(uint64_t *)((char *)k + map[i].off) = value;
}

void proc_stats_read_kstats(int stats_fd, struct proc_kstats *k)
{
	memset(k, 0, sizeof(*k));
	if (stats_fd >= 0)
		kstats_read(stats_fd, kstat_pick, k);
}

int proc_stats_parse_task_stat(const char *buf, uint64_t *ticks, int *cpu)
{
	/* "pid (comm) state ppid ...": fields after the last ')' start at 3. */
	const char *p = strrchr(buf, ')');
	unsigned long long ut = 0, st = 0;
	long long c = -1;
	int field = 2;

	if (!p)
		return -EINVAL;
	p++;
	while (*p) {
		char *end;
		unsigned long long v;
		while (*p == ' ')
			p++;
		if (!*p || *p == '\n')
			break;
		field++;
		v = strtoull(p, &end, 10);
		if (end == p) /* the state letter */
			end = (char *)p + strcspn(p, " ");
		if (field == 14)
			ut = v;
		else if (field == 15)
			st = v;
		else if (field == 39) {
			c = (long long)v;
			break;
		}
		p = end;
	}
	if (field < 39)
		return -EINVAL;
	*ticks = ut + st;
	*cpu = (int)c;
	return 0;
}

int proc_stats_parse_smaps(FILE *f, uint64_t lo, uint64_t hi, uint64_t *match_kb,
			   uint64_t *total_kb)
{
	char line[512];
	bool in_match = false;

	*match_kb = *total_kb = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long kb, start, end;
		/* Mapping headers start with a hex address range "a-b ". */
		char *dash = strchr(line, '-'), *sp = strchr(line, ' ');
		if (dash && sp && dash < sp && strspn(line, "0123456789abcdef") == (size_t)(dash - line)) {
			in_match = sscanf(line, "%llx-%llx", &start, &end) == 2 && start >= lo && end <= hi;
			continue;
		}
		if (sscanf(line, "Rss: %llu kB", &kb) == 1) {
			*total_kb += kb;
			if (in_match)
				*match_kb += kb;
		}
	}
	return 0;
}

static void host_thread_stats(struct vcpu *v, struct vmctl_vcpu *out)
{
	char path[64], buf[1024];
	uint64_t ticks = 0;
	ssize_t n;
	int fd, cpu = -1;
	clockid_t cid;
	struct timespec ts;

	out->tid = atomic_load(&v->tid);
	out->last_cpu = -1;
	if (!out->tid)
		return;
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)out->tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = 0;
			if (!proc_stats_parse_task_stat(buf, &ticks, &cpu)) {
				out->last_cpu = cpu;
				out->host_cpu_ns = ticks * (1000000000ULL / (uint64_t)sysconf(_SC_CLK_TCK));
			}
		}
	}
	/* Nanosecond CPU time while the thread exists (same process). */
	if (v->thread_started && vcpu_get_state(v) != VCPU_EXITED &&
	    pthread_getcpuclockid(v->thread, &cid) == 0 && clock_gettime(cid, &ts) == 0)
		out->host_cpu_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t ld(_Atomic uint64_t *p)
{
	return atomic_load_explicit(p, memory_order_relaxed);
}

/* Asks every vCPU to refresh RIP/mode and waits briefly for the answers. */
static void fresh_samples(struct vm *vm)
{
	uint64_t before[VM_MAX_CPUS], deadline = vm_now_ns() + SAMPLE_WAIT_NS;

	for (unsigned i = 0; i < vm->ncpus; i++) {
		before[i] = ld(&vm->vcpus[i]->stats.samples);
		if (vcpu_get_state(vm->vcpus[i]) != VCPU_EXITED)
			vcpu_request(vm->vcpus[i], VCPU_REQ_SAMPLE);
	}
	for (unsigned i = 0; i < vm->ncpus; i++) {
		while (ld(&vm->vcpus[i]->stats.samples) == before[i] &&
		       vcpu_get_state(vm->vcpus[i]) != VCPU_EXITED && vm_now_ns() < deadline) {
			struct timespec ts = { 0, 100000 };
			nanosleep(&ts, NULL);
		}
	}
}

static uint64_t unclaimed_total(struct bus *bus)
{
	struct bus_unclaimed u[BUS_UNCLAIMED_SLOTS];
	uint64_t other = 0, sum;
	size_t n = bus_unclaimed_snapshot(bus, u, BUS_UNCLAIMED_SLOTS, &other);

	sum = other;
	for (size_t i = 0; i < n; i++)
		sum += u[i].reads + u[i].writes;
	return sum;
}

void proc_stats_sample(struct machine *m, const char *state, struct vmctl_stats *out)
{
	struct vm *vm = machine_vm(m);
	FILE *f;

	memset(out, 0, sizeof(*out));
	fresh_samples(vm);
	out->time_ns = vm_now_ns();
	out->uptime_ns = vm->start_ns ? out->time_ns - vm->start_ns : 0;
	snprintf(out->state, sizeof(out->state), "%s", state);
	out->nvcpus = vm->ncpus < VMCTL_MAX_VCPUS ? vm->ncpus : VMCTL_MAX_VCPUS;
	for (unsigned i = 0; i < out->nvcpus; i++) {
		struct vcpu *v = vm->vcpus[i];
		struct vcpu_stats *s = &v->stats;
		struct vmctl_vcpu *o = &out->vcpu[i];
		struct proc_ucounts u;
		struct proc_kstats k;
		enum vcpu_state st = vcpu_get_state(v);

		memset(&u, 0, sizeof(u));
		u.exits = ld(&s->exits);
		for (unsigned r = 0; r < PROC_USER_REASONS && r < VCPU_EXIT_REASONS; r++)
			u.by_reason[r] = ld(&s->by_reason[r]);
		u.run_ns = ld(&s->run_ns);
		u.vmm_ns = ld(&s->vmm_ns);
		proc_stats_read_kstats(v->stats_fd, &k);
		o->id = v->id;
		proc_stats_merge(&u, &k, o);
		host_thread_stats(v, o);
		snprintf(o->mode, sizeof(o->mode), "%s",
			 cpu_mode_name(atomic_load_explicit(&s->mode, memory_order_relaxed)));
		o->cpl = atomic_load_explicit(&s->cpl, memory_order_relaxed);
		o->paging = atomic_load_explicit(&s->paging, memory_order_relaxed);
		o->rip = ld(&s->last_rip);
		snprintf(o->state, sizeof(o->state), "%s",
			 st == VCPU_PAUSED ? "paused" : st == VCPU_EXITED ? "exited" :
			 st == VCPU_CREATED ? "created" : "running");
	}
	out->guest_ram_bytes = vm->mem.size;
	f = fopen("/proc/self/smaps", "re");
	if (f) {
		uint64_t ram_kb, total_kb;
		/* By address, not by name: after a restore the same range maps
		 * a snapshot's memory.bin instead of the memfd. */
		proc_stats_parse_smaps(f, (uintptr_t)vm->mem.hva, (uintptr_t)vm->mem.hva + vm->mem.size,
				       &ram_kb, &total_kb);
		fclose(f);
		out->guest_ram_resident = ram_kb * 1024;
		out->vmm_resident = (total_kb - ram_kb) * 1024;
	}
	out->unclaimed_pio = unclaimed_total(&vm->pio);
	out->unclaimed_mmio = unclaimed_total(&vm->mmio);
	pthread_mutex_lock(&vm->console.lock);
	out->console_bytes = vm->console.total;
	pthread_mutex_unlock(&vm->console.lock);
}

json_object *proc_stats_json(struct machine *m, const struct vmctl_stats *s)
{
	struct vm *vm = machine_vm(m);
	json_object *root = vmctl_stats_to_json(s), *arr;

	if (!json_object_object_get_ex(root, "vcpus", &arr))
		return root;
	for (unsigned i = 0; i < s->nvcpus; i++) {
		json_object *jv = json_object_array_get_idx(arr, i);
		struct vcpu *v = vm->vcpus[i];
		json_object_object_add(jv, "pio", stats_json_addr_table(&v->stats.pio));
		json_object_object_add(jv, "mmio", stats_json_addr_table(&v->stats.mmio));
		json_object_object_add(jv, "msr", stats_json_addr_table(&v->stats.msr));
		json_object_object_add(jv, "kvm", stats_json_kernel(v));
	}
	return root;
}
