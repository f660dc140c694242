/* Snapshot sections of PCI bus 0; see pci.h.
 *
 * Payload (little-endian), version 1, one per device (instance = slot):
 *   vendor u16, device u16, config space (256 bytes), INTx level u8,
 *   reserved u8 x3; the host bridge's section (slot 0) ends with
 *   CONFIG_ADDRESS u32.
 * Section numbers: PCI Local Bus Specification 3.0. */
#include <errno.h>
#include <linux/pci_regs.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pci.h"
#include "snapfile.h"
#include "x86/layout.h"

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | (uint32_t)rd16(p + 2) << 16; }

void pci_save(struct pci_bus *bus, struct snap_writer *w)
{
	uint8_t cfg[PCI_CFG_SIZE];
	bool level;

	for (unsigned s = 0; s < PCI_MAX_DEVICES; s++) {
		struct pci_dev *d = pci_bus_slot(bus, s);
		if (!d)
			continue;
		pci_dev_get_cfg(d, cfg, &level);
		snap_begin(w, SNAP_SEC_PCI, s, PCI_STATE_VERSION);
		snap_put_u16(w, rd16(cfg + PCI_VENDOR_ID));
		snap_put_u16(w, rd16(cfg + PCI_DEVICE_ID));
		snap_put(w, cfg, sizeof(cfg));
		snap_put_u8(w, level);
		snap_put_u8(w, 0);
		snap_put_u16(w, 0);
		if (s == 0)
			snap_put_u32(w, pci_bus_get_addr_reg(bus));
		snap_end(w);
	}
}

static int __attribute__((format(printf, 4, 5)))
pci_bad(unsigned slot, char *err, size_t errlen, const char *fmt, ...)
{
	char why[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s: PCI 00:%02x.0: %s", snap_error_name(SNAP_E_BAD_STATE), slot, why);
	return -EINVAL;
}

/* The range BAR i decodes with this config space, or false if none
 * (decoding off, BAR unused, base 0 or the sizing pattern: as
 * pci_update_mappings treats them). */
static bool bar_range(const struct pci_dev *d, const uint8_t *cfg, unsigned i,
		      uint64_t *base, uint64_t *size)
{
	uint32_t a;

	if (!d->bar[i].size || !(rd16(cfg + PCI_COMMAND) & PCI_COMMAND_MEMORY))
		return false;
	a = rd32(cfg + PCI_BASE_ADDRESS_0 + 4 * i) & PCI_BASE_ADDRESS_MEM_MASK;
	if (a == 0 || a == (uint32_t)~(d->bar[i].size - 1))
		return false;
	*base = a;
	*size = d->bar[i].size;
	return true;
}

int pci_dev_load(struct pci_bus *bus, unsigned slot, const void *buf, size_t len,
		 bool check_only, char *err, size_t errlen)
{
	struct pci_dev *d = pci_bus_slot(bus, slot);
	uint8_t cfg[PCI_CFG_SIZE], cur[PCI_CFG_SIZE], level, pad[3];
	struct snap_cursor c;
	uint16_t vendor, device;
	uint32_t addr_reg = 0;
	bool cur_level;

	if (!d)
		return pci_bad(slot, err, errlen, "state for an empty slot");
	snap_cursor_init(&c, buf, len);
	vendor = snap_get_u16(&c);
	device = snap_get_u16(&c);
	snap_get(&c, cfg, sizeof(cfg));
	level = snap_get_u8(&c);
	snap_get(&c, pad, sizeof(pad));
	if (slot == 0)
		addr_reg = snap_get_u32(&c);
	if (!snap_cursor_done(&c))
		return pci_bad(slot, err, errlen, "section of %u bytes has the wrong length",
			       (unsigned)len);
	pci_dev_get_cfg(d, cur, &cur_level);
	if (vendor != rd16(cur + PCI_VENDOR_ID) || device != rd16(cur + PCI_DEVICE_ID) ||
	    rd16(cfg + PCI_VENDOR_ID) != vendor || rd16(cfg + PCI_DEVICE_ID) != device)
		return pci_bad(slot, err, errlen, "saved device %04x:... is not the device in "
			       "this slot", vendor);
	/* Only what the guest can write may differ from the device as built
	 * (plus Interrupt Status, which follows the INTx line: 6.2.3). */
	for (unsigned r = 0; r < PCI_CFG_SIZE; r++) {
		uint8_t ro = (uint8_t)~d->wmask[r];
		if (r == PCI_STATUS)
			ro &= (uint8_t)~PCI_STATUS_INTERRUPT;
		if ((cfg[r] ^ cur[r]) & ro)
			return pci_bad(slot, err, errlen, "read-only config byte 0x%02x differs from "
				       "the device's", r);
	}
	if (level > 1)
		return pci_bad(slot, err, errlen, "INTx level %u", level);
	if (!!(cfg[PCI_STATUS] & PCI_STATUS_INTERRUPT) != level)
		return pci_bad(slot, err, errlen, "Interrupt Status does not match the INTx level");
	if (level && (rd16(cfg + PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE))
		return pci_bad(slot, err, errlen, "INTx asserted while disabled");
	if (pad[0] || pad[1] || pad[2])
		return pci_bad(slot, err, errlen, "reserved bytes not zero");
	if (addr_reg & ~PCI_ADDR_REG_MASK)
		return pci_bad(slot, err, errlen, "CONFIG_ADDRESS 0x%08x has reserved bits", addr_reg);
	for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
		uint64_t base, size;
		if (bar_range(d, cfg, i, &base, &size) &&
		    (base < LAYOUT_PCI_BAR_START || base + size > LAYOUT_PCI_BAR_END))
			return pci_bad(slot, err, errlen, "BAR at 0x%08x is outside the PCI window "
				       "with memory decoding on", (unsigned)base);
	}
	if (check_only)
		return 0;
	pci_dev_set_cfg(d, cfg, level);
	if (slot == 0)
		pci_bus_set_addr_reg(bus, addr_reg);
	return 0;
}

/* No two decoded BARs (of any devices, as the sections say) overlap. */
static int pci_check_overlaps(struct pci_bus *bus, const struct snap_file *f,
			      char *err, size_t errlen)
{
	struct { uint64_t base, size; unsigned slot; } r[PCI_MAX_DEVICES * PCI_NUM_BARS];
	unsigned n = 0;

	for (unsigned i = 0; i < f->nsec; i++) {
		const struct snap_section *s = &f->sec[i];
		const struct pci_dev *d;
		if (s->id != SNAP_SEC_PCI)
			continue;
		d = pci_bus_slot(bus, s->instance);
		/* pci_dev_load checked the length and the device. */
		for (unsigned b = 0; b < PCI_NUM_BARS; b++) {
			uint64_t base, size;
			if (!bar_range(d, s->data + 4, b, &base, &size))
				continue;
			for (unsigned k = 0; k < n; k++)
				if (base < r[k].base + r[k].size && r[k].base < base + size)
					return pci_bad(s->instance, err, errlen, "BAR overlaps a BAR of "
						       "00:%02x.0", r[k].slot);
			r[n++] = (typeof(r[0])){ base, size, s->instance };
		}
	}
	return 0;
}

int pci_load(struct pci_bus *bus, const struct snap_file *f, bool check_only,
	     char *err, size_t errlen)
{
	unsigned nsec = 0;
	int r;

	for (unsigned i = 0; i < f->nsec; i++)
		nsec += f->sec[i].id == SNAP_SEC_PCI;
	if (nsec == 0)
		return 0;
	for (unsigned s = 0; s < PCI_MAX_DEVICES; s++) {
		const struct snap_section *sec = snap_find(f, SNAP_SEC_PCI, s);
		if (pci_bus_slot(bus, s) && !sec) {
			snprintf(err, errlen, "%s: PCI 00:%02x.0: no state for this device",
				 snap_error_name(SNAP_E_MISSING), s);
			return -EINVAL;
		}
	}
	for (unsigned i = 0; i < f->nsec; i++) {
		const struct snap_section *s = &f->sec[i];
		if (s->id != SNAP_SEC_PCI)
			continue;
		if (s->version != PCI_STATE_VERSION) {
			snprintf(err, errlen, "%s: PCI 00:%02x.0 state version %u, this build reads %u",
				 snap_error_name(SNAP_E_VERSION), s->instance, s->version,
				 PCI_STATE_VERSION);
			return -EINVAL;
		}
		r = pci_dev_load(bus, s->instance, s->data, s->len, true, err, errlen);
		if (r)
			return r;
	}
	r = pci_check_overlaps(bus, f, err, errlen);
	if (r || check_only)
		return r;
	for (unsigned i = 0; i < f->nsec; i++) {
		const struct snap_section *s = &f->sec[i];
		if (s->id == SNAP_SEC_PCI) {
			r = pci_dev_load(bus, s->instance, s->data, s->len, false, err, errlen);
			if (r)
				return r;
		}
	}
	return 0;
}
