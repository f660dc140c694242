/* The one guest-physical memory map of a vmdeck x86 VM.
 *
 *   0x0000_0000 - 0x0009_FBFF  low RAM (Multiboot mem_lower = 639 KiB)
 *   0x0000_7000                boot info area (Multiboot info, cmdline, mmap)
 *   0x0009_FC00 - 0x0009_FFFF  EBDA (reserved)
 *   0x000A_0000 - 0x000F_FFFF  legacy VGA/BIOS hole (reserved in the map)
 *   0x000F_0000                MP floating pointer + table (BIOS area, MP
 *                              spec 4: scanned by OSes; fits 254 CPUs)
 *   0x0010_0000 - ...          RAM: kernels load here (1 MiB)
 *   0xC000_0000 - 0xFFFF_FFFF  PCI hole: no RAM below 4 GiB past here
 *       0xC000_0000  PCI BAR window (512 MiB)
 *       0xE000_0000  framebuffer window (its own memslot, dirty-logged)
 *       0xFEC0_0000  IOAPIC (in-kernel irqchip)
 *       0xFEE0_0000  LAPIC (in-kernel irqchip)
 *   0x1_0000_0000 - ...        RAM above the hole when memory > 3 GiB
 *
 * Guest RAM lives in one memfd; offsets in the memfd equal guest-physical
 * addresses below the hole, and (gpa - 4 GiB + LAYOUT_PCI_HOLE_START) above. */
#ifndef VMDECK_X86_LAYOUT_H
#define VMDECK_X86_LAYOUT_H

#define LAYOUT_LOW_RAM_END      0x0009FC00ULL /* end of conventional memory */
#define LAYOUT_BOOT_INFO        0x00007000ULL /* Multiboot info + strings */
#define LAYOUT_BOOT_INFO_END    0x0007F000ULL
#define LAYOUT_EBDA_START       0x0009FC00ULL /* MP table lives here */
#define LAYOUT_EBDA_END         0x000A0000ULL
#define LAYOUT_BIOS_START       0x000A0000ULL
#define LAYOUT_MPTABLE          0x000F0000ULL
#define LAYOUT_MPTABLE_END      0x000F2000ULL /* never more than 8 KiB */
#define LAYOUT_HIGH_RAM_START   0x00100000ULL /* 1 MiB */

#define LAYOUT_PCI_HOLE_START   0xC0000000ULL
#define LAYOUT_PCI_BAR_START    0xC0000000ULL
#define LAYOUT_PCI_BAR_END      0xE0000000ULL
#define LAYOUT_FB_START         0xE0000000ULL
#define LAYOUT_FB_SIZE          0x02000000ULL /* 32 MiB: up to 4096x2048x4 */
#define LAYOUT_IOAPIC           0xFEC00000ULL
#define LAYOUT_LAPIC            0xFEE00000ULL
#define LAYOUT_4G               0x100000000ULL

/* Limits we accept for guest memory. */
#define LAYOUT_MIN_MEM          (2ULL << 20)
#define LAYOUT_MAX_MEM          (1ULL << 40)

/* Legacy ISA interrupt lines used by our devices (routed by the in-kernel
 * PIC/IOAPIC; GSI == ISA IRQ for 0..15). */
#define IRQ_KBD   1
#define IRQ_COM1  4
#define IRQ_RTC   8
#define IRQ_MOUSE 12

/* Port map. */
#define PORT_COM1       0x3F8
#define PORT_DEBUGCON   0xE9  /* bytes written go to the console */
#define PORT_DEBUG_EXIT 0xF4  /* value v written: VM stops, `vmdeck run` exits v */
#define PORT_I8042_DATA 0x60
#define PORT_I8042_CMD  0x64
#define PORT_RTC        0x70  /* index at 0x70, data at 0x71 */
#define PORT_POST       0x80

#endif
