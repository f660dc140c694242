/* PCI bus 0: config mechanism #1, BAR sizing/placement/mapping, INTx. */
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/pci_regs.h>
#include <string.h>

#include "bus.h"
#include "pci.h"
#include "x86/layout.h"
#include "x86/mptable.h"

static struct bus pio, mmio;
static struct pci_bus *pb;
static int levels[64], sets;

static void rec_irq(void *opaque, unsigned gsi, int level)
{
	(void)opaque;
	levels[gsi] = level;
	sets++;
}
static const struct irq_sink sink = { rec_irq, NULL };

static unsigned bar_reads;
static void bar_read(void *dev, uint64_t off, void *data, unsigned size)
{
	(void)dev; (void)off;
	bar_reads++;
	memset(data, 0x5a, size);
}
static const struct bus_ops bar_ops = { bar_read, NULL };

static void setup(void)
{
	bus_init(&pio, "pio");
	bus_init(&mmio, "mmio");
	memset(levels, 0, sizeof(levels));
	sets = 0;
	cr_assert_eq(pci_bus_create(&pio, &mmio, &sink, &pb), 0);
}

static void teardown(void)
{
	pci_bus_destroy(pb);
	bus_destroy(&pio);
	bus_destroy(&mmio);
}

TestSuite(pci, .init = setup, .fini = teardown);

static uint32_t io_cfg_read(unsigned slot, unsigned reg, unsigned size)
{
	uint32_t a = 0x80000000u | slot << 11 | (reg & 0xfc), v = 0;
	bus_access(&pio, 0xCF8, &a, 4, true);
	bus_access(&pio, 0xCFC + (reg & 3), &v, size, false);
	return v;
}

static void io_cfg_write(unsigned slot, unsigned reg, unsigned size, uint32_t v)
{
	uint32_t a = 0x80000000u | slot << 11 | (reg & 0xfc);
	bus_access(&pio, 0xCF8, &a, 4, true);
	bus_access(&pio, 0xCFC + (reg & 3), &v, size, true);
}

Test(pci, host_bridge_and_absent_functions)
{
	cr_assert_eq(io_cfg_read(0, 0, 4), 0x12378086u);
	cr_assert_eq(io_cfg_read(0, PCI_CLASS_DEVICE, 2), 0x0600);
	cr_assert_eq(io_cfg_read(5, 0, 4), 0xffffffffu, "absent slot");
	cr_assert_eq(io_cfg_read(5, 0, 2), 0xffff);
	cr_assert_eq(io_cfg_read(5, 0, 1), 0xff);
	cr_assert_eq(pci_cfg_read(pb, 0 << 3 | 1, 0, 4), 0xffffffffu, "function 1");
	/* bus 1 */
	uint32_t a = 0x80010000u, v = 0;
	bus_access(&pio, 0xCF8, &a, 4, true);
	bus_access(&pio, 0xCFC, &v, 4, false);
	cr_assert_eq(v, 0xffffffffu);
	/* CONFIG_ADDRESS reads back; byte access to 0xCF9 is not it. */
	a = 0x80000810u;
	bus_access(&pio, 0xCF8, &a, 4, true);
	uint8_t b = 0x06;
	bus_access(&pio, 0xCF9, &b, 1, true);
	v = 0;
	bus_access(&pio, 0xCF8, &v, 4, false);
	cr_assert_eq(v, 0x80000810u);
}

Test(pci, device_bar_sizing_and_mapping)
{
	static struct pci_dev d; /* outlives the test: fini destroys the bus */
	struct mptable_pci_irq routes[4];

	pci_dev_init(&d, "t", 0x1AF4, 0x1042, 0x010000, 1, 0x1AF4, 0x1100);
	cr_assert_eq(pci_dev_set_bar(&d, 0, 0x4000, &bar_ops, NULL), 0);
	cr_assert_eq(pci_dev_set_bar(&d, 1, 100, &bar_ops, NULL), -EINVAL);
	uint8_t cap[8] = { PCI_CAP_ID_VNDR, 0, 8, 1 };
	cr_assert_eq(pci_dev_add_cap(&d, cap, sizeof(cap)), 0x40);
	cr_assert_eq(pci_dev_add_cap(&d, cap, sizeof(cap)), 0x48);
	cr_assert_eq(pci_add_device(pb, &d), 0);
	cr_assert_eq(d.slot, 1);
	cr_assert_eq(d.gsi, 16);
	cr_assert_eq(io_cfg_read(1, 0, 4), 0x10421AF4u);
	cr_assert_eq(io_cfg_read(1, PCI_INTERRUPT_PIN, 1), 1);
	cr_assert_eq(io_cfg_read(1, PCI_INTERRUPT_LINE, 1), 16);
	cr_assert(io_cfg_read(1, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	cr_assert_eq(io_cfg_read(1, PCI_CAPABILITY_LIST, 1), 0x40);
	cr_assert_eq(io_cfg_read(1, 0x41, 1), 0x48);
	cr_assert_eq(io_cfg_read(1, 0x49, 1), 0);
	/* Placed by us in the window, not decoded until memory is enabled. */
	uint32_t bar = io_cfg_read(1, PCI_BASE_ADDRESS_0, 4);
	cr_assert_eq(bar & 0xf, 0);
	cr_assert_geq(bar, LAYOUT_PCI_BAR_START);
	cr_assert_lt(bar, LAYOUT_PCI_BAR_END);
	cr_assert_eq(bar % 0x4000, 0);
	uint32_t v;
	cr_assert_not(bus_access(&mmio, bar, &v, 4, false));
	/* Sizing: all ones reads back the size mask (6.2.5.1). */
	io_cfg_write(1, PCI_BASE_ADDRESS_0, 4, 0xffffffffu);
	cr_assert_eq(io_cfg_read(1, PCI_BASE_ADDRESS_0, 4), 0xffffc000u);
	io_cfg_write(1, PCI_BASE_ADDRESS_0, 4, bar);
	/* Unused BARs and read-only IDs stay put. */
	io_cfg_write(1, PCI_BASE_ADDRESS_1, 4, 0xffffffffu);
	cr_assert_eq(io_cfg_read(1, PCI_BASE_ADDRESS_1, 4), 0);
	io_cfg_write(1, 0, 4, 0);
	cr_assert_eq(io_cfg_read(1, 0, 4), 0x10421AF4u);
	/* Enable memory decoding: mapped. */
	io_cfg_write(1, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	cr_assert(bus_access(&mmio, bar + 0x10, &v, 4, false));
	cr_assert_eq(v, 0x5a5a5a5au);
	cr_assert_eq(d.bar[0].mapped_at, bar);
	/* Move it: old address unclaimed, new one decodes. */
	io_cfg_write(1, PCI_BASE_ADDRESS_0, 2, 0x8000); /* low half: odd width */
	cr_assert_eq(io_cfg_read(1, PCI_BASE_ADDRESS_0, 4), (bar & 0xffff0000u) | 0x8000);
	io_cfg_write(1, PCI_BASE_ADDRESS_0, 4, 0xD0000000u);
	cr_assert_not(bus_access(&mmio, bar, &v, 4, false));
	cr_assert(bus_access(&mmio, 0xD0000000u, &v, 4, false));
	/* Disable decoding: unmapped. */
	io_cfg_write(1, PCI_COMMAND, 2, 0);
	cr_assert_not(bus_access(&mmio, 0xD0000000u, &v, 4, false));
	cr_assert_eq(d.bar[0].mapped_at, 0);

	/* INTx, level, OR-ed per GSI. */
	pci_set_irq(&d, true);
	cr_assert_eq(levels[16], 1);
	cr_assert(io_cfg_read(1, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	pci_set_irq(&d, true);
	cr_assert_eq(sets, 1, "no repeated assert");
	pci_set_irq(&d, false);
	cr_assert_eq(levels[16], 0);
	cr_assert_eq(pci_irq_routes(pb, routes, 4), 1);
	cr_assert_eq(routes[0].dev, 1);
	cr_assert_eq(routes[0].pin, 0);
	cr_assert_eq(routes[0].gsi, 16);
}

Test(pci, mptable_pci_entries_are_level_low)
{
	uint8_t buf[4096];
	struct mptable_pci_irq r = { .dev = 3, .pin = 0, .gsi = 18 };
	int n = mptable_build(buf, sizeof(buf), 0xF0000, 1, &r, 1);
	bool found = false;

	cr_assert_gt(n, 0);
	for (int i = 16 + 44; i + 8 <= n; ) {
		uint8_t t = buf[i];
		if (t == 0) { i += 20; continue; }
		if (t == 3 && buf[i + 4] == 0 /* PCI bus */) {
			cr_assert_eq(buf[i + 5], 3 << 2);
			cr_assert_eq(buf[i + 7], 18);
			cr_assert_eq(buf[i + 2], 0x0f, "active low, level");
			found = true;
		} else if (t == 3) {
			cr_assert_eq(buf[i + 2], 0, "ISA entries conform to the bus");
		}
		i += 8;
	}
	cr_assert(found);
}
