/* exits: the teaching guest. Each phase performs one kind of VM exit a known
 * number of times, so a VMM's exit statistics can be checked against it.
 * Nothing is printed inside a measured loop (printing is port I/O on
 * 0x3F8/0x3FD itself). See README.md for the exact per-iteration work. */
#include "rt.h"

#define EXITS_PORT  0x500       /* unclaimed in vmdeck */
#define EXITS_MMIO  0xFE000000u /* unclaimed in vmdeck */
#define MSR_TSC_AUX       0xC0000103u
#define MSR_SYSENTER_CS   0x174u
#define HLT_LAPIC_COUNT   100000u /* ~100 us at KVM's and QEMU's 1 GHz APIC clock */
#define HLT_PIT_COUNT     120u    /* ~100 us at 1.193182 MHz */

static volatile bool timer_fired;

static void lapic_timer_irq(struct trap_frame *tf)
{
	(void)tf;
	timer_fired = true;
	lapic_eoi();
}

static void pit_irq(struct trap_frame *tf)
{
	(void)tf;
	timer_fired = true;
	pic_eoi(0);
}

static void phase_io(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		outb(EXITS_PORT, (uint8_t)i);
}

static void phase_mmio(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		mmio_write32(EXITS_MMIO, (uint32_t)i);
		(void)mmio_read32(EXITS_MMIO);
	}
}

static void phase_cpuid(uint64_t n)
{
	uint32_t r[4];
	for (uint64_t i = 0; i < n; i++)
		cpuid(0, 0, r);
}

static uint32_t pick_msr(void)
{
	uint32_t r[4];
	cpuid(0x80000000u, 0, r);
	if (r[0] >= 0x80000001u) {
		cpuid(0x80000001u, 0, r);
		if (r[3] & (1u << 27)) /* RDTSCP: IA32_TSC_AUX exists */
			return MSR_TSC_AUX;
	}
	return MSR_SYSENTER_CS;
}

static void phase_msr(uint64_t n, uint32_t msr)
{
	for (uint64_t i = 0; i < n; i++) {
		uint64_t v = rdmsr(msr);
		wrmsr(msr, v);
	}
}

static void phase_hlt(uint64_t n, bool lapic)
{
	if (lapic) {
		lapic_init();
		rt_set_handler(VEC_LAPIC_TIMER, lapic_timer_irq);
		lapic_write(LAPIC_TMR_DIV, 0xB);              /* divide by 1 */
		lapic_write(LAPIC_LVT_TMR, VEC_LAPIC_TIMER);  /* one-shot */
	} else {
		rt_set_handler(VEC_PIC_BASE + 0, pit_irq);
		pic_init(0xFE, 0xFF);
	}
	for (uint64_t i = 0; i < n; i++) {
		timer_fired = false;
		if (lapic)
			lapic_write(LAPIC_TMR_ICR, HLT_LAPIC_COUNT);
		else
			pit_oneshot(HLT_PIT_COUNT);
		while (!timer_fired)
			safe_halt();
	}
	if (lapic)
		lapic_write(LAPIC_LVT_TMR, 1u << 16); /* masked */
	else
		pic_init(0xFF, 0xFF);
}

/* CPL3: a checksum loop (FNV-1a style mixing); no exits at all. */
static uint64_t user_checksum(uint64_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (uint64_t i = 0; i < n; i++) {
		h ^= i;
		h *= 0x100000001b3ull;
		h ^= h >> 29;
	}
	return h;
}

void guest_main(void)
{
	uint64_t io = cmdline_u64("io", 10), mmio = cmdline_u64("mmio", 10);
	uint64_t ncpuid = cmdline_u64("cpuid", 10), msr = cmdline_u64("msr", 10);
	uint64_t hlt = cmdline_u64("hlt", 10), user = cmdline_u64("user", 100000);
	uint32_t msr_index = pick_msr();
	bool lapic = lapic_present();

	kprintf("vmdeck exits guest\n");
	kprintf("cmdline: %s\n", boot.cmdline);
	kprintf("exits: io=%lu mmio=%lu cpuid=%lu msr=%lu hlt=%lu user=%lu\n", io, mmio, ncpuid, msr, hlt, user);

	kprintf("exits: io %lu start port 0x%x\n", io, EXITS_PORT);
	phase_io(io);
	kprintf("exits: io %lu done\n", io);

	kprintf("exits: mmio %lu start addr 0x%x\n", mmio, EXITS_MMIO);
	phase_mmio(mmio);
	kprintf("exits: mmio %lu done\n", mmio);

	kprintf("exits: cpuid %lu start\n", ncpuid);
	phase_cpuid(ncpuid);
	kprintf("exits: cpuid %lu done\n", ncpuid);

	kprintf("exits: msr %lu start msr 0x%x\n", msr, msr_index);
	phase_msr(msr, msr_index);
	kprintf("exits: msr %lu done\n", msr);

	kprintf("exits: hlt %lu start timer %s\n", hlt, lapic ? "lapic" : "pit");
	phase_hlt(hlt, lapic);
	kprintf("exits: hlt %lu done\n", hlt);

	kprintf("exits: user %lu start\n", user);
	uint64_t sum = rt_user_call(user_checksum, user, true);
	kprintf("exits: user %lu done sum 0x%016lx\n", user, sum);

	kprintf("exits: all done\n");
	rt_exit(EXIT_OK);
}
