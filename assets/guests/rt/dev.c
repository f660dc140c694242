/* 8259 PIC pair, 8254 PIT, local APIC (xAPIC MMIO at 0xFEE00000). */
#include "rt.h"

void pic_init(uint8_t master_mask, uint8_t slave_mask)
{
	/* ICW1..ICW4: edge triggered, cascade on IRQ2, 8086 mode. */
	outb(0x20, 0x11);
	outb(0xA0, 0x11);
	outb(0x21, VEC_PIC_BASE);
	outb(0xA1, VEC_PIC_BASE + 8);
	outb(0x21, 0x04);
	outb(0xA1, 0x02);
	outb(0x21, 0x01);
	outb(0xA1, 0x01);
	outb(0x21, master_mask);
	outb(0xA1, slave_mask);
}

void pic_eoi(unsigned irq)
{
	if (irq >= 8)
		outb(0xA0, 0x20);
	outb(0x20, 0x20);
}

#define PIT_HZ 1193182u

void pit_delay_us(uint32_t us)
{
	/* Channel 2 in mode 0, gated through port 0x61; bit 5 of port 0x61
	 * reads its OUT pin, which rises at terminal count. */
	while (us) {
		uint32_t chunk = us > 50000 ? 50000 : us;
		uint32_t count = (uint32_t)((uint64_t)chunk * PIT_HZ / 1000000);
		us -= chunk;
		if (count < 2)
			count = 2;
		outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01));
		outb(0x43, 0xB0);
		outb(0x42, (uint8_t)count);
		outb(0x42, (uint8_t)(count >> 8));
		while (!(inb(0x61) & 0x20))
			cpu_relax();
	}
}

void pit_periodic(uint32_t hz)
{
	uint32_t count = PIT_HZ / hz;
	outb(0x43, 0x34); /* channel 0, lo/hi, mode 2 */
	outb(0x40, (uint8_t)count);
	outb(0x40, (uint8_t)(count >> 8));
}

void pit_oneshot(uint32_t count)
{
	outb(0x43, 0x30); /* channel 0, lo/hi, mode 0 */
	outb(0x40, (uint8_t)count);
	outb(0x40, (uint8_t)(count >> 8));
}

bool lapic_present(void)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	return r[3] & (1u << 9);
}

uint32_t lapic_read(uint32_t reg) { return mmio_read32(LAPIC_BASE + reg); }
void lapic_write(uint32_t reg, uint32_t v) { mmio_write32(LAPIC_BASE + reg, v); }
unsigned lapic_id(void) { return lapic_read(LAPIC_ID) >> 24; }
void lapic_eoi(void) { lapic_write(LAPIC_EOI, 0); }

void lapic_init(void)
{
	lapic_write(LAPIC_SVR, 0x100 | VEC_SPURIOUS);
}

void lapic_timer_oneshot(uint32_t count, uint8_t vector)
{
	lapic_write(LAPIC_TMR_DIV, 0xB);  /* divide by 1 */
	lapic_write(LAPIC_LVT_TMR, vector); /* one-shot, unmasked */
	lapic_write(LAPIC_TMR_ICR, count);  /* starts the count */
}
