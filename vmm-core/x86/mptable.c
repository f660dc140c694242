/* MP tables; see mptable.h. Section numbers: MultiProcessor Spec 1.4. */
#include <errno.h>
#include <string.h>

#include "x86/layout.h"
#include "x86/mptable.h"

static uint8_t checksum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	while (n--)
		s += *p++;
	return (uint8_t)-s;
}

static void w16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void w32(uint8_t *p, uint32_t v) { w16(p, v); w16(p + 2, v >> 16); }

/* 4.3.4 flags: polarity in bits 0-1 (3 = active low), trigger mode in
 * bits 2-3 (3 = level); 0 = conforms to the bus's polarity and trigger. */
#define MP_IRQ_FLAGS_BUS        0x0
#define MP_IRQ_FLAGS_LEVEL_LOW  0xf

static uint8_t *irq_entry(uint8_t *e, uint8_t type, uint8_t itype, uint8_t bus,
			  uint8_t bus_irq, uint8_t dst, uint8_t intin, uint16_t flags)
{
	/* 4.3.4 / 4.3.5: I/O and local interrupt assignment entries (8 bytes). */
	e[0] = type; e[1] = itype; w16(e + 2, flags);
	e[4] = bus; e[5] = bus_irq; e[6] = dst; e[7] = intin;
	return e + 8;
}

int mptable_build(uint8_t *buf, size_t len, uint32_t gpa, unsigned ncpus,
		  const struct mptable_pci_irq *pci, unsigned npci)
{
	size_t need = 16 + 44 + ncpus * 20 + 2 * 8 + 8 + 16 * 8 + 2 * 8 + npci * 8;
	uint8_t *fp = buf, *ct = buf + 16, *e;
	uint8_t ioapic_id = (uint8_t)ncpus;
	uint16_t count = 0;
	const uint8_t bus_pci = 0, bus_isa = 1;

	if (need > len || ncpus == 0 || ncpus > 254 || npci > MPTABLE_MAX_PCI_IRQS)
		return -ENOSPC;
	memset(buf, 0, need);

	/* 4.1: the MP floating pointer structure. */
	memcpy(fp, "_MP_", 4);
	w32(fp + 4, gpa + 16);
	fp[8] = 1;     /* length in 16-byte units */
	fp[9] = 4;     /* spec revision 1.4 */
	fp[11] = 0;    /* feature byte 1: 0 = a configuration table is present */

	/* 4.2: configuration table header. */
	memcpy(ct, "PCMP", 4);
	ct[6] = 4;
	memcpy(ct + 8, "VMDECK  ", 8);
	memcpy(ct + 16, "VMDECK-0.1  ", 12);
	w32(ct + 36, (uint32_t)LAYOUT_LAPIC);
	e = ct + 44;

	/* 4.3.1 processor entries: the BSP is APIC id 0. */
	for (unsigned i = 0; i < ncpus; i++) {
		e[0] = 0;
		e[1] = (uint8_t)i;
		e[2] = 0x14; /* local APIC version (integrated APIC) */
		e[3] = 1 | (i == 0 ? 2 : 0); /* EN, BP */
		w32(e + 4, 0x600);     /* family 6 signature */
		w32(e + 8, 0x201);     /* FPU, APIC present */
		e += 20;
		count++;
	}
	/* 4.3.2 buses: PCI bus 0 and ISA. */
	e[0] = 1; e[1] = bus_pci; memcpy(e + 2, "PCI   ", 6); e += 8; count++;
	e[0] = 1; e[1] = bus_isa; memcpy(e + 2, "ISA   ", 6); e += 8; count++;
	/* 4.3.3 the IOAPIC. */
	e[0] = 2; e[1] = ioapic_id; e[2] = 0x11; e[3] = 1;
	w32(e + 4, (uint32_t)LAYOUT_IOAPIC);
	e += 8; count++;
	/* ISA IRQs: 0 (PIT) arrives on INTIN 2 as on PC hardware; the rest
	 * identity-mapped; IRQ 2 is the cascade and has no entry. */
	for (unsigned irq = 0; irq < 16; irq++) {
		if (irq == 2)
			continue;
		e = irq_entry(e, 3, 0, bus_isa, (uint8_t)irq, ioapic_id,
			      (uint8_t)(irq == 0 ? 2 : irq), MP_IRQ_FLAGS_BUS);
		count++;
	}
	/* PCI INTx: source irq = device << 2 | pin (4.3.4, PCI bus irq format). */
	for (unsigned i = 0; i < npci; i++) {
		e = irq_entry(e, 3, 0, bus_pci, (uint8_t)(pci[i].dev << 2 | (pci[i].pin & 3)),
			      ioapic_id, pci[i].gsi, MP_IRQ_FLAGS_LEVEL_LOW);
		count++;
	}
	/* 4.3.5 LINT0 = ExtINT (the PIC), LINT1 = NMI, on all local APICs. */
	e = irq_entry(e, 4, 3, bus_isa, 0, 0xff, 0, MP_IRQ_FLAGS_BUS);
	e = irq_entry(e, 4, 1, bus_isa, 0, 0xff, 1, MP_IRQ_FLAGS_BUS);
	count += 2;

	w16(ct + 4, (uint16_t)(e - ct));
	w16(ct + 34, count);
	ct[7] = checksum(ct, (size_t)(e - ct));
	fp[10] = checksum(fp, 16);
	return (int)(e - buf);
}
