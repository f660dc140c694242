/* smp: brings up every vCPU; each reports its APIC id, runs a CPL3 work
 * loop and reports done; the BSP counts them against the expected number.
 * rounds=N repeats the work N times per CPU (0 = forever, for the demo VM
 * whose vCPUs a person watches in the dashboard). */
#include "rt.h"

static uint64_t work_iters, rounds;
static volatile unsigned done_count;

/* CPL3: the same checksum on every CPU, so all "work done" sums must match. */
static uint64_t user_work(uint64_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (uint64_t i = 0; i < n; i++) {
		h ^= i;
		h *= 0x100000001b3ull;
		h ^= h >> 29;
	}
	return h;
}

static void do_work(struct percpu *pc)
{
	for (uint64_t r = 1; rounds == 0 || r <= rounds; r++) {
		uint64_t sum = rt_user_call(user_work, work_iters, true);
		if (rounds == 1)
			kprintf("smp: cpu %u work done sum 0x%016lx\n", pc->index, sum);
		else
			kprintf("smp: cpu %u round %lu sum 0x%016lx\n", pc->index, r, sum);
	}
	__atomic_add_fetch(&done_count, 1, __ATOMIC_SEQ_CST);
}

static void ap_main(struct percpu *pc)
{
	kprintf("smp: cpu %u apic %u up\n", pc->index, pc->apic_id);
	do_work(pc);
}

void guest_main(void)
{
	struct cpu_table t;
	struct percpu *pc = this_cpu();

	kprintf("vmdeck smp guest\n");
	kprintf("cmdline: %s\n", boot.cmdline);
	work_iters = cmdline_u64("work", 100000);
	rounds = cmdline_u64("rounds", 1);
	uint32_t timeout_ms = (uint32_t)cmdline_u64("timeout", 10000);
	if (!lapic_present()) {
		kprintf("smp: no local APIC\n");
		rt_exit(EXIT_FAIL);
	}
	smp_find_cpus(&t);
	if (t.count)
		kprintf("smp: %u cpus in the %s table\n", t.count, t.source);
	else
		kprintf("smp: no MP table or MADT, broadcasting INIT-SIPI-SIPI\n");
	unsigned expected = (unsigned)cmdline_u64("cpus", t.count);

	lapic_init();
	pc->apic_id = lapic_id();
	kprintf("smp: cpu 0 apic %u up\n", pc->apic_id);
	unsigned online = smp_start_aps(&t, ap_main, 2000);
	do_work(pc);

	for (uint32_t ms = 0; done_count < online && ms < timeout_ms; ms++)
		pit_delay_us(1000);
	unsigned k = done_count;
	kprintf("smp: %u cpus up\n", k);
	if (expected && k != expected) {
		kprintf("smp: expected %u cpus\n", expected);
		rt_exit(EXIT_FAIL);
	}
	rt_exit(EXIT_OK);
}
