/* counter: a steady, checkable workload for snapshot/restore tests. Each CPU
 * owns a slice of a memory region; every step it verifies the slice still
 * has the checksum it printed last time, mutates it deterministically and
 * prints the step number and the new checksum. Pacing: LAPIC periodic timer
 * at 100 Hz on each CPU; the work runs at CPL3. */
#include "rt.h"

#define SYS_CPU_TICKS (SYS_GUEST_BASE + 0) /* () -> LAPIC timer ticks of this CPU */
#define MAX_REGION_KIB 4096
#define TICK_HZ 100

static uint64_t region[MAX_REGION_KIB * 128] __attribute__((aligned(4096)));
static struct slot {
	uint64_t *words;
	uint64_t nwords, step, sum;
	unsigned cpu;
} slots[MAX_CPUS];
static unsigned ncpus;
static uint64_t interval, max_steps;

uint64_t guest_syscall(struct trap_frame *tf)
{
	if (tf->rax == SYS_CPU_TICKS)
		return this_cpu()->irq_count[VEC_LAPIC_TIMER];
	return (uint64_t)-1;
}

static void lapic_tick(struct trap_frame *tf)
{
	(void)tf; /* rt_trap already counted it in irq_count */
	lapic_eoi();
}

static uint64_t checksum(const uint64_t *w, uint64_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (uint64_t i = 0; i < n; i++) {
		h ^= w[i];
		h *= 0x100000001b3ull;
		h ^= h >> 32;
	}
	return h;
}

/* CPL3 */
static uint64_t counter_user(uint64_t arg)
{
	struct slot *s = &slots[arg];
	uint64_t next = syscall3(SYS_CPU_TICKS, 0, 0, 0);

	for (;;) {
		uint64_t now;
		while ((now = syscall3(SYS_CPU_TICKS, 0, 0, 0)) < next)
			syscall3(SYS_WAIT, 0, 0, 0);
		next += interval;
		if (now > next + 10 * interval)
			next = now + interval;
		if (checksum(s->words, s->nwords) != s->sum) {
			uprintf("counter: cpu %u memory changed before step %lu\n", s->cpu, s->step + 1);
			return EXIT_FAIL;
		}
		s->step++;
		for (uint64_t i = 0; i < s->nwords; i++)
			s->words[i] = s->words[i] * 6364136223846793005ull + s->step + i;
		s->sum = checksum(s->words, s->nwords);
		if (ncpus == 1)
			uprintf("counter: %lu sum 0x%016lx\n", s->step, s->sum);
		else
			uprintf("counter: cpu %u %lu sum 0x%016lx\n", s->cpu, s->step, s->sum);
		if (max_steps && s->step >= max_steps)
			return EXIT_OK;
	}
}

static void start_timer(void)
{
	lapic_init();
	lapic_write(LAPIC_TMR_DIV, 0xB);                      /* divide by 1 */
	lapic_write(LAPIC_LVT_TMR, (1u << 17) | VEC_LAPIC_TIMER); /* periodic */
	lapic_write(LAPIC_TMR_ICR, 1000000000u / TICK_HZ);   /* 1 GHz APIC clock (KVM, QEMU) */
}

static void ap_main(struct percpu *pc)
{
	if (pc->index >= ncpus)
		return;
	start_timer();
	rt_user_call(counter_user, pc->index, true);
	kprintf("counter: cpu %u stopped\n", pc->index);
}

void guest_main(void)
{
	kprintf("vmdeck counter guest\n");
	kprintf("cmdline: %s\n", boot.cmdline);
	ncpus = (unsigned)cmdline_u64("cpus", 1);
	uint64_t rate = cmdline_u64("rate", 10), kib = cmdline_u64("region", 1024);
	max_steps = cmdline_u64("steps", 0);
	if (!ncpus || ncpus > MAX_CPUS || !rate || rate > TICK_HZ || !kib || kib > MAX_REGION_KIB) {
		kprintf("error: need 1 <= cpus <= %u, 1 <= rate <= %u, 1 <= region <= %u (KiB)\n", MAX_CPUS, TICK_HZ,
			MAX_REGION_KIB);
		rt_exit(EXIT_USAGE);
	}
	if (!lapic_present()) {
		kprintf("counter: no local APIC\n");
		rt_exit(EXIT_FAIL);
	}
	interval = TICK_HZ / rate;
	uint64_t per = kib * 128 / ncpus;
	for (unsigned c = 0; c < ncpus; c++) {
		slots[c] = (struct slot){ region + c * per, per, 0, 0, c };
		slots[c].sum = checksum(slots[c].words, per);
	}
	kprintf("counter: cpus %u rate %lu region %lu KiB steps %lu\n", ncpus, rate, kib, max_steps);
	rt_set_handler(VEC_LAPIC_TIMER, lapic_tick);
	if (ncpus > 1) {
		struct cpu_table t;
		smp_find_cpus(&t);
		unsigned online = smp_start_aps(&t, ap_main, 2000);
		if (online < ncpus) {
			kprintf("counter: only %u cpus online\n", online);
			rt_exit(EXIT_FAIL);
		}
	}
	start_timer();
	rt_exit((uint32_t)rt_user_call(counter_user, 0, true));
}
