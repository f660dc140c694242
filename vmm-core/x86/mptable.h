/* Intel MultiProcessor Specification 1.4 tables: tell the guest which
 * processors exist and how ISA (and later PCI) interrupts reach the IOAPIC. */
#ifndef VMDECK_X86_MPTABLE_H
#define VMDECK_X86_MPTABLE_H

#include <stddef.h>
#include <stdint.h>

#define MPTABLE_MAX_PCI_IRQS 32

struct mptable_pci_irq {
	uint8_t dev, pin; /* PCI device number on bus 0; INTA# = 0 */
	uint8_t gsi;      /* IOAPIC input */
};

/* Writes the floating pointer and configuration table into buf, which the
 * guest sees at guest-physical address gpa (the EBDA). ncpus processors
 * with APIC ids 0..ncpus-1, IOAPIC id ncpus. Returns bytes used or -ENOSPC. */
int mptable_build(uint8_t *buf, size_t len, uint32_t gpa, unsigned ncpus,
		  const struct mptable_pci_irq *pci, unsigned npci);

#endif
