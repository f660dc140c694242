/* PCI host bridge, bus 0, config mechanism #1; see pci.h.
 * Section numbers: PCI Local Bus Specification 3.0. */
#include <errno.h>
#include <linux/pci_regs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pci.h"
#include "x86/layout.h"
#include "x86/mptable.h"

#define PCI_PORT_ADDR 0xCF8
#define PCI_PORT_DATA 0xCFC
#define PCI_ADDR_ENABLE 0x80000000u

struct pci_bus {
	struct bus *pio, *mmio;
	const struct irq_sink *irq;
	pthread_mutex_t lock;      /* config space, address register, BAR maps */
	pthread_mutex_t irq_lock;  /* INTx levels */
	uint32_t addr_reg;
	struct pci_dev bridge;
	struct pci_dev *slots[PCI_MAX_DEVICES];
	unsigned gsi_count[PCI_GSI_COUNT]; /* asserted devices per GSI */
	uint64_t next_bar;                 /* BAR window allocator */
	unsigned ndev;
	bool ports_registered;
};

static void cfg_w16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void cfg_w32(uint8_t *p, uint32_t v) { cfg_w16(p, (uint16_t)v); cfg_w16(p + 2, (uint16_t)(v >> 16)); }
static uint16_t cfg_r16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t cfg_r32(const uint8_t *p) { return cfg_r16(p) | (uint32_t)cfg_r16(p + 2) << 16; }

void pci_dev_init(struct pci_dev *d, const char *name, uint16_t vendor, uint16_t device,
		  uint32_t class_code, uint8_t revision, uint16_t subsys_vendor,
		  uint16_t subsys_id)
{
	memset(d->cfg, 0, sizeof(d->cfg));
	memset(d->wmask, 0, sizeof(d->wmask));
	memset(d->bar, 0, sizeof(d->bar));
	snprintf(d->name, sizeof(d->name), "%s", name);
	cfg_w16(d->cfg + PCI_VENDOR_ID, vendor);
	cfg_w16(d->cfg + PCI_DEVICE_ID, device);
	d->cfg[PCI_REVISION_ID] = revision;
	d->cfg[PCI_CLASS_PROG] = (uint8_t)class_code;
	cfg_w16(d->cfg + PCI_CLASS_DEVICE, (uint16_t)(class_code >> 8));
	d->cfg[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_NORMAL;
	cfg_w16(d->cfg + PCI_SUBSYSTEM_VENDOR_ID, subsys_vendor);
	cfg_w16(d->cfg + PCI_SUBSYSTEM_ID, subsys_id);
	d->cfg[PCI_INTERRUPT_PIN] = 1; /* INTA# */
	/* 6.2.2: command bits a device like ours implements. */
	cfg_w16(d->wmask + PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
		PCI_COMMAND_PARITY | PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE);
	d->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	d->wmask[PCI_LATENCY_TIMER] = 0xff;
	d->wmask[PCI_INTERRUPT_LINE] = 0xff;
	d->cap_end = 0x40;
	d->cap_last = 0;
}

int pci_dev_set_bar(struct pci_dev *d, unsigned idx, uint64_t size,
		    const struct bus_ops *ops, void *opaque)
{
	/* 6.2.5.1: size a power of two; 32-bit memory BARs only. */
	if (idx >= PCI_NUM_BARS || size < 16 || (size & (size - 1)) || size > (1ULL << 31) || !ops)
		return -EINVAL;
	d->bar[idx] = (struct pci_bar){ .size = size, .ops = ops, .opaque = opaque };
	cfg_w32(d->wmask + PCI_BASE_ADDRESS_0 + 4 * idx, ~(uint32_t)(size - 1));
	cfg_w32(d->cfg + PCI_BASE_ADDRESS_0 + 4 * idx, PCI_BASE_ADDRESS_SPACE_MEMORY |
		PCI_BASE_ADDRESS_MEM_TYPE_32);
	return 0;
}

int pci_dev_add_cap(struct pci_dev *d, const void *body, size_t len)
{
	unsigned off = d->cap_end;

	/* 6.7: dword-aligned capabilities in the device-specific area. */
	if (len < 2 || off + len > PCI_CFG_SIZE)
		return -ENOSPC;
	memcpy(d->cfg + off, body, len);
	d->cfg[off + 1] = 0;
	if (d->cap_last)
		d->cfg[d->cap_last + 1] = (uint8_t)off;
	else
		d->cfg[PCI_CAPABILITY_LIST] = (uint8_t)off;
	d->cap_last = (uint8_t)off;
	cfg_w16(d->cfg + PCI_STATUS, cfg_r16(d->cfg + PCI_STATUS) | PCI_STATUS_CAP_LIST);
	d->cap_end = (uint8_t)((off + len + 3) & ~3u);
	if (off + len + 3 > PCI_CFG_SIZE)
		d->cap_end = 0xff; /* full */
	return (int)off;
}

/* ---- BAR mapping ---- */

static uint32_t bar_addr(const struct pci_dev *d, unsigned i)
{
	return cfg_r32(d->cfg + PCI_BASE_ADDRESS_0 + 4 * i) & PCI_BASE_ADDRESS_MEM_MASK;
}

/* Brings the MMIO bus in line with the command register and BARs
 * (6.2.2: memory space enable; 6.2.5.1: decoding at the programmed base). */
static void pci_update_mappings(struct pci_bus *bus, struct pci_dev *d)
{
	bool mem_on = cfg_r16(d->cfg + PCI_COMMAND) & PCI_COMMAND_MEMORY;

	for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
		struct pci_bar *b = &d->bar[i];
		uint32_t want = 0;

		if (!b->size)
			continue;
		if (mem_on) {
			want = bar_addr(d, i);
			/* A base of 0 or the sizing pattern is not a placement. */
			if (want == 0 || (uint64_t)want + b->size > LAYOUT_4G ||
			    want == (uint32_t)~(b->size - 1))
				want = 0;
		}
		if (want == b->mapped_at)
			continue;
		if (b->mapped_at) {
			bus_unregister(bus->mmio, b->mapped_at);
			b->mapped_at = 0;
			if (d->bar_moved)
				d->bar_moved(d, i, 0);
		}
		if (want) {
			char name[24];
			snprintf(name, sizeof(name), "%s", d->name);
			if (bus_register(bus->mmio, want, b->size, b->ops, b->opaque, name) == 0) {
				b->mapped_at = want;
				if (d->bar_moved)
					d->bar_moved(d, i, want);
			}
			/* else: overlaps something; the BAR stays unmapped
			 * and accesses there go unclaimed (counted). */
		}
	}
}

/* ---- config access ---- */

static struct pci_dev *pci_lookup(struct pci_bus *bus, unsigned devfn)
{
	unsigned slot = devfn >> 3, fn = devfn & 7;

	if (fn != 0 || slot >= PCI_MAX_DEVICES)
		return NULL;
	return bus->slots[slot];
}

static uint32_t cfg_read_locked(struct pci_bus *bus, unsigned devfn, unsigned reg, unsigned size)
{
	struct pci_dev *d = pci_lookup(bus, devfn);
	uint32_t v = 0;

	if (!d || reg >= PCI_CFG_SIZE || size > PCI_CFG_SIZE - reg)
		return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)d->cfg[reg + i] << (8 * i);
	return v;
}

static void cfg_write_locked(struct pci_bus *bus, unsigned devfn, unsigned reg, unsigned size,
			     uint32_t val)
{
	struct pci_dev *d = pci_lookup(bus, devfn);
	bool remap = false;

	if (!d || reg >= PCI_CFG_SIZE || size > PCI_CFG_SIZE - reg)
		return;
	for (unsigned i = 0; i < size; i++) {
		unsigned r = reg + i;
		uint8_t m = d->wmask[r], b = (uint8_t)(val >> (8 * i));
		d->cfg[r] = (uint8_t)((d->cfg[r] & ~m) | (b & m));
		if ((r >= PCI_COMMAND && r < PCI_COMMAND + 2) ||
		    (r >= PCI_BASE_ADDRESS_0 && r < PCI_BASE_ADDRESS_5 + 4))
			remap = true;
	}
	if (remap)
		pci_update_mappings(bus, d);
}

uint32_t pci_cfg_read(struct pci_bus *bus, unsigned devfn, unsigned reg, unsigned size)
{
	uint32_t v;

	pthread_mutex_lock(&bus->lock);
	v = cfg_read_locked(bus, devfn, reg, size);
	pthread_mutex_unlock(&bus->lock);
	return v;
}

void pci_cfg_write(struct pci_bus *bus, unsigned devfn, unsigned reg, unsigned size, uint32_t val)
{
	pthread_mutex_lock(&bus->lock);
	cfg_write_locked(bus, devfn, reg, size, val);
	pthread_mutex_unlock(&bus->lock);
}

/* 3.2.2.3.2: CONFIG_ADDRESS is a dword register; other widths at 0xCF8-0xCFB
 * are not configuration accesses (0xCF9 is the PC reset register). */
static void pci_addr_read(void *dev, uint64_t off, void *data, unsigned size)
{
	struct pci_bus *bus = dev;

	memset(data, 0xff, size);
	if (off == 0 && size == 4) {
		pthread_mutex_lock(&bus->lock);
		memcpy(data, &bus->addr_reg, 4);
		pthread_mutex_unlock(&bus->lock);
	}
}

static void pci_addr_write(void *dev, uint64_t off, const void *data, unsigned size)
{
	struct pci_bus *bus = dev;
	uint32_t v;

	if (off != 0 || size != 4)
		return;
	memcpy(&v, data, 4);
	pthread_mutex_lock(&bus->lock);
	bus->addr_reg = v & PCI_ADDR_REG_MASK; /* reserved bits 30:24 and 1:0 read 0 */
	pthread_mutex_unlock(&bus->lock);
}

/* Decodes CONFIG_ADDRESS for a data-port access at byte off of 0xCFC.
 * Returns false when it does not address bus 0 (type 0) or is disabled. */
static bool pci_decode(uint32_t a, uint64_t off, unsigned *devfn, unsigned *reg)
{
	if (!(a & PCI_ADDR_ENABLE) || ((a >> 16) & 0xff) != 0)
		return false;
	*devfn = (a >> 8) & 0xff;
	*reg = (a & 0xfc) + (unsigned)off;
	return true;
}

static void pci_data_read(void *dev, uint64_t off, void *data, unsigned size)
{
	struct pci_bus *bus = dev;
	unsigned devfn, reg;
	uint32_t v = 0xffffffffu;

	pthread_mutex_lock(&bus->lock);
	if (size <= 4 && pci_decode(bus->addr_reg, off, &devfn, &reg))
		v = cfg_read_locked(bus, devfn, reg, size);
	pthread_mutex_unlock(&bus->lock);
	memset(data, 0xff, size);
	memcpy(data, &v, size < 4 ? size : 4);
}

static void pci_data_write(void *dev, uint64_t off, const void *data, unsigned size)
{
	struct pci_bus *bus = dev;
	unsigned devfn, reg;
	uint32_t v = 0;

	if (size > 4)
		return;
	memcpy(&v, data, size);
	pthread_mutex_lock(&bus->lock);
	if (pci_decode(bus->addr_reg, off, &devfn, &reg))
		cfg_write_locked(bus, devfn, reg, size, v);
	pthread_mutex_unlock(&bus->lock);
}

static const struct bus_ops pci_addr_ops = { pci_addr_read, pci_addr_write };
static const struct bus_ops pci_data_ops = { pci_data_read, pci_data_write };

/* ---- bus ---- */

int pci_bus_create(struct bus *pio, struct bus *mmio, const struct irq_sink *irq,
		   struct pci_bus **out)
{
	struct pci_bus *bus = calloc(1, sizeof(*bus));
	int r;

	if (!bus)
		return -ENOMEM;
	bus->pio = pio;
	bus->mmio = mmio;
	bus->irq = irq;
	bus->next_bar = LAYOUT_PCI_BAR_START;
	pthread_mutex_init(&bus->lock, NULL);
	pthread_mutex_init(&bus->irq_lock, NULL);
	/* Slot 0: the host bridge (class 06/00), Intel 440FX IDs as QEMU's
	 * "pc" machine has, so guests find a familiar chipset. */
	pci_dev_init(&bus->bridge, "pci-host", 0x8086, 0x1237, 0x060000, 2, 0, 0);
	bus->bridge.cfg[PCI_INTERRUPT_PIN] = 0;
	bus->bridge.bus = bus;
	bus->slots[0] = &bus->bridge;
	r = bus_register(pio, PCI_PORT_ADDR, 4, &pci_addr_ops, bus, "pci-addr");
	if (r)
		goto fail;
	r = bus_register(pio, PCI_PORT_DATA, 4, &pci_data_ops, bus, "pci-data");
	if (r) {
		bus_unregister(pio, PCI_PORT_ADDR);
		goto fail;
	}
	bus->ports_registered = true;
	*out = bus;
	return 0;
fail:
	pthread_mutex_destroy(&bus->lock);
	pthread_mutex_destroy(&bus->irq_lock);
	free(bus);
	return r;
}

void pci_bus_destroy(struct pci_bus *bus)
{
	if (!bus)
		return;
	pthread_mutex_lock(&bus->lock);
	for (unsigned s = 1; s < PCI_MAX_DEVICES; s++) {
		struct pci_dev *d = bus->slots[s];
		if (!d)
			continue;
		for (unsigned i = 0; i < PCI_NUM_BARS; i++)
			if (d->bar[i].mapped_at) {
				bus_unregister(bus->mmio, d->bar[i].mapped_at);
				d->bar[i].mapped_at = 0;
			}
		d->bus = NULL;
	}
	pthread_mutex_unlock(&bus->lock);
	if (bus->ports_registered) {
		bus_unregister(bus->pio, PCI_PORT_ADDR);
		bus_unregister(bus->pio, PCI_PORT_DATA);
	}
	pthread_mutex_destroy(&bus->lock);
	pthread_mutex_destroy(&bus->irq_lock);
	free(bus);
}

int pci_add_device(struct pci_bus *bus, struct pci_dev *d)
{
	unsigned slot;
	uint64_t next;

	pthread_mutex_lock(&bus->lock);
	for (slot = 1; slot < PCI_MAX_DEVICES; slot++)
		if (!bus->slots[slot])
			break;
	if (slot == PCI_MAX_DEVICES) {
		pthread_mutex_unlock(&bus->lock);
		return -ENOSPC;
	}
	/* Place BARs naturally aligned in the window, as firmware would. */
	next = bus->next_bar;
	for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
		uint64_t sz = d->bar[i].size;
		if (!sz)
			continue;
		next = (next + sz - 1) & ~(sz - 1);
		if (next + sz > LAYOUT_PCI_BAR_END) {
			pthread_mutex_unlock(&bus->lock);
			return -ENOSPC;
		}
		cfg_w32(d->cfg + PCI_BASE_ADDRESS_0 + 4 * i, (uint32_t)next |
			PCI_BASE_ADDRESS_SPACE_MEMORY | PCI_BASE_ADDRESS_MEM_TYPE_32);
		next += sz;
	}
	bus->next_bar = next;
	d->bus = bus;
	d->slot = slot;
	/* Spread INTA# over IOAPIC inputs 16-23; devices share beyond eight. */
	d->gsi = PCI_GSI_FIRST + (slot - 1) % PCI_GSI_COUNT;
	d->cfg[PCI_INTERRUPT_LINE] = (uint8_t)d->gsi;
	d->irq_level = false;
	bus->slots[slot] = d;
	bus->ndev++;
	pthread_mutex_unlock(&bus->lock);
	return 0;
}

void pci_remove_device(struct pci_bus *bus, struct pci_dev *d)
{
	pthread_mutex_lock(&bus->lock);
	if (d->slot && d->slot < PCI_MAX_DEVICES && bus->slots[d->slot] == d) {
		for (unsigned i = 0; i < PCI_NUM_BARS; i++)
			if (d->bar[i].mapped_at) {
				bus_unregister(bus->mmio, d->bar[i].mapped_at);
				d->bar[i].mapped_at = 0;
			}
		bus->slots[d->slot] = NULL;
		bus->ndev--;
	}
	pthread_mutex_unlock(&bus->lock);
	pci_set_irq(d, false);
	d->bus = NULL;
}

void pci_set_irq(struct pci_dev *d, bool level)
{
	struct pci_bus *bus = d->bus;
	unsigned g;
	int change = -1;

	if (!bus)
		return;
	g = d->gsi - PCI_GSI_FIRST;
	pthread_mutex_lock(&bus->irq_lock);
	/* 6.2.2: Interrupt Disable masks the device's INTx output. */
	if (cfg_r16(d->cfg + PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE)
		level = false;
	if (level != d->irq_level) {
		d->irq_level = level;
		if (level && bus->gsi_count[g]++ == 0)
			change = 1;
		else if (!level && --bus->gsi_count[g] == 0)
			change = 0;
		/* 6.2.3: Interrupt Status mirrors the INTx state. */
		uint16_t st = cfg_r16(d->cfg + PCI_STATUS);
		st = level ? st | PCI_STATUS_INTERRUPT : st & ~PCI_STATUS_INTERRUPT;
		cfg_w16(d->cfg + PCI_STATUS, st);
	}
	if (change >= 0)
		irq_set(bus->irq, d->gsi, change);
	pthread_mutex_unlock(&bus->irq_lock);
}

unsigned pci_irq_routes(struct pci_bus *bus, struct mptable_pci_irq *out, unsigned max)
{
	unsigned n = 0;

	pthread_mutex_lock(&bus->lock);
	for (unsigned s = 1; s < PCI_MAX_DEVICES && n < max; s++) {
		struct pci_dev *d = bus->slots[s];
		if (!d || !d->cfg[PCI_INTERRUPT_PIN])
			continue;
		out[n++] = (struct mptable_pci_irq){ .dev = (uint8_t)s,
			.pin = (uint8_t)(d->cfg[PCI_INTERRUPT_PIN] - 1), .gsi = (uint8_t)d->gsi };
	}
	pthread_mutex_unlock(&bus->lock);
	return n;
}

/* ---- snapshots (pci_state.c) ---- */

struct pci_dev *pci_bus_slot(struct pci_bus *bus, unsigned slot)
{
	return slot < PCI_MAX_DEVICES ? bus->slots[slot] : NULL;
}

void pci_dev_get_cfg(struct pci_dev *d, uint8_t out[PCI_CFG_SIZE], bool *irq_level)
{
	pthread_mutex_lock(&d->bus->lock);
	pthread_mutex_lock(&d->bus->irq_lock);
	memcpy(out, d->cfg, PCI_CFG_SIZE);
	*irq_level = d->irq_level;
	pthread_mutex_unlock(&d->bus->irq_lock);
	pthread_mutex_unlock(&d->bus->lock);
}

void pci_dev_set_cfg(struct pci_dev *d, const uint8_t cfg[PCI_CFG_SIZE], bool irq_level)
{
	struct pci_bus *bus = d->bus;

	pthread_mutex_lock(&bus->lock);
	pthread_mutex_lock(&bus->irq_lock);
	/* Keep the Interrupt Status bit as the line is now; pci_set_irq
	 * below moves both to the saved level together. */
	uint16_t st = cfg_r16(d->cfg + PCI_STATUS) & PCI_STATUS_INTERRUPT;
	memcpy(d->cfg, cfg, PCI_CFG_SIZE);
	cfg_w16(d->cfg + PCI_STATUS, (uint16_t)((cfg_r16(cfg + PCI_STATUS) &
						 ~PCI_STATUS_INTERRUPT) | st));
	pthread_mutex_unlock(&bus->irq_lock);
	pci_update_mappings(bus, d);
	pthread_mutex_unlock(&bus->lock);
	pci_set_irq(d, irq_level);
}

uint32_t pci_bus_get_addr_reg(struct pci_bus *bus)
{
	uint32_t v;

	pthread_mutex_lock(&bus->lock);
	v = bus->addr_reg;
	pthread_mutex_unlock(&bus->lock);
	return v;
}

void pci_bus_set_addr_reg(struct pci_bus *bus, uint32_t v)
{
	pthread_mutex_lock(&bus->lock);
	bus->addr_reg = v & PCI_ADDR_REG_MASK;
	pthread_mutex_unlock(&bus->lock);
}
