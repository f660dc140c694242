/* PCI bus 0 behind a host bridge with configuration mechanism #1 (PCI Local
 * Bus 3.0, 3.2.2.3.2: address at port 0xCF8, data at 0xCFC-0xCFF, any width).
 *
 * Each device has one function with a 256-byte configuration space and a
 * per-byte writable mask. Memory BARs are 32-bit; vmdeck assigns their
 * addresses itself in [LAYOUT_PCI_BAR_START, LAYOUT_PCI_BAR_END) (no
 * firmware runs), and maps a BAR on the MMIO bus while the guest has memory
 * decoding enabled, moving it when the guest rewrites the BAR. Legacy INTx
 * (pin A) goes to an IOAPIC input >= 16, level-triggered, active low as the
 * MP table says (pci_irq_routes). Absent functions read all ones. */
#ifndef VMDECK_PCI_H
#define VMDECK_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus.h"
#include "irq.h"

#define PCI_MAX_DEVICES 32 /* slots on bus 0; slot 0 is the host bridge */
#define PCI_NUM_BARS 6
#define PCI_CFG_SIZE 256
#define PCI_GSI_FIRST 16   /* IOAPIC inputs 16-23 carry PCI INTx */
#define PCI_GSI_COUNT 8

struct pci_bus;
struct mptable_pci_irq;

struct pci_bar {
	uint64_t size;              /* power of two >= 16, 0 = BAR unused */
	const struct bus_ops *ops;  /* handlers get the offset in the BAR */
	void *opaque;
	uint32_t mapped_at;         /* address registered on the MMIO bus, 0 if not */
};

struct pci_dev {
	char name[24];
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE];
	struct pci_bar bar[PCI_NUM_BARS];
	uint8_t cap_end;            /* next free byte for pci_add_cap */
	uint8_t cap_last;           /* offset of the last capability, 0 if none */
	/* Called (under the bus lock, on a vCPU thread) after a BAR was mapped
	 * at addr or unmapped (addr 0); virtio-pci moves its ioeventfds here. */
	void (*bar_moved)(struct pci_dev *d, unsigned bar, uint32_t addr);
	void *opaque;
	/* Set by pci_add_device. */
	struct pci_bus *bus;
	unsigned slot;
	unsigned gsi;
	bool irq_level;
};

/* Registers the config ports on pio; BARs will be mapped on mmio; INTx goes
 * through irq (level per GSI, OR-ed across devices sharing a GSI). */
int pci_bus_create(struct bus *pio, struct bus *mmio, const struct irq_sink *irq,
		   struct pci_bus **out);
/* Unmaps every BAR and unregisters the ports; devices are owned by callers
 * and must be destroyed after this. */
void pci_bus_destroy(struct pci_bus *bus);

/* Fills a type-0 header: IDs, class (base << 16 | sub << 8 | prog-if),
 * revision, subsystem IDs, interrupt pin A, command/status masks. */
void pci_dev_init(struct pci_dev *d, const char *name, uint16_t vendor, uint16_t device,
		  uint32_t class_code, uint8_t revision, uint16_t subsys_vendor,
		  uint16_t subsys_id);
/* Declares memory BAR idx (32-bit, non-prefetchable) of size bytes. */
int pci_dev_set_bar(struct pci_dev *d, unsigned idx, uint64_t size,
		    const struct bus_ops *ops, void *opaque);
/* Appends a capability (body starts with the ID byte and next pointer,
 * which are filled in here); returns its offset in config space or -ENOSPC. */
int pci_dev_add_cap(struct pci_dev *d, const void *body, size_t len);

/* Gives d a slot, an INTx GSI and BAR addresses. -ENOSPC when the bus or
 * the BAR window is full. */
int pci_add_device(struct pci_bus *bus, struct pci_dev *d);
/* Takes d off the bus (unmapping its BARs); for error paths. */
void pci_remove_device(struct pci_bus *bus, struct pci_dev *d);
/* Level of d's INTx line (asserted = 1). Thread-safe. */
void pci_set_irq(struct pci_dev *d, bool level);
/* INTx routes for the MP table; returns how many (at most max). */
unsigned pci_irq_routes(struct pci_bus *bus, struct mptable_pci_irq *out, unsigned max);

/* Config-space access as the guest does it through 0xCF8/0xCFC; exposed
 * for tests. devfn = slot << 3 | function; size 1, 2 or 4, reg+size <= 256
 * and naturally inside one dword. */
uint32_t pci_cfg_read(struct pci_bus *bus, unsigned devfn, unsigned reg, unsigned size);
void pci_cfg_write(struct pci_bus *bus, unsigned devfn, unsigned reg, unsigned size,
		   uint32_t val);

/* ---- snapshots (pci_state.c) ---- */

#define PCI_ADDR_REG_MASK 0x80fffffcu /* CONFIG_ADDRESS bits that are stored */
#define PCI_STATE_VERSION 1

struct pci_dev *pci_bus_slot(struct pci_bus *bus, unsigned slot);
/* Config space and INTx level, consistent with each other. */
void pci_dev_get_cfg(struct pci_dev *d, uint8_t out[PCI_CFG_SIZE], bool *irq_level);
/* Replaces the config space (checked by the caller), maps the BARs as the
 * command register and BARs now say (moving ioeventfds through bar_moved),
 * and drives INTx to irq_level. */
void pci_dev_set_cfg(struct pci_dev *d, const uint8_t cfg[PCI_CFG_SIZE], bool irq_level);
uint32_t pci_bus_get_addr_reg(struct pci_bus *bus);
void pci_bus_set_addr_reg(struct pci_bus *bus, uint32_t v);

struct snap_writer;
struct snap_file;
/* One SNAP_SEC_PCI section per device, instance = slot (the host bridge's,
 * slot 0, also holds CONFIG_ADDRESS): the whole config space and the INTx
 * level. */
void pci_save(struct pci_bus *bus, struct snap_writer *w);
/* Checks one device's section: same vendor/device, read-only bytes equal
 * to the device's, INTx level and Interrupt Status consistent, BARs with
 * memory decoding on inside [LAYOUT_PCI_BAR_START, LAYOUT_PCI_BAR_END).
 * Loads it unless check_only. */
int pci_dev_load(struct pci_bus *bus, unsigned slot, const void *buf, size_t len,
		 bool check_only, char *err, size_t errlen);
/* Every device's section (all present, none for an empty slot, no two
 * decoded BARs overlapping) checked, then, unless check_only, loaded. A
 * snapshot without any PCI section (taken before PCI state was saved, when
 * the guest had not enabled a PCI device) leaves the bus as it is. */
int pci_load(struct pci_bus *bus, const struct snap_file *f, bool check_only,
	     char *err, size_t errlen);

#endif
