/* Snapshot sections of PCI devices and virtio-pci transports (pci_state.c,
 * virtio_pci_state.c): a saved state loads back, and crafted states are
 * refused with nothing changed (queue size not a power of two or above the
 * maximum, indices in flight in a drained device, rings misaligned or
 * outside RAM, features the device does not offer, unknown status/ISR bits,
 * BARs outside the PCI window or overlapping, read-only config bytes). */
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "pci.h"
#include "snapfile.h"
#include "virtio_pci.h"
#include "vm.h"
#include "x86/layout.h"

#define RAM (4u << 20)
#define QMAX 64

static struct vm vm;
static struct virtio_pci *vp, *vp2;
static char err[512];
static const char vendor[SNAP_VENDOR_LEN] = "test";

static void rec_irq(void *opaque, unsigned gsi, int level) { (void)opaque; (void)gsi; (void)level; }
static void cfg_read(void *o, uint64_t off, void *data, unsigned size)
{
	(void)o; (void)off;
	memset(data, 0, size);
}
static void notify(void *o, struct virtio_pci *v, unsigned qi) { (void)o; (void)v; (void)qi; }
static const struct virtio_dev_ops ops = { .cfg_read = cfg_read, .queue_notify = notify };

static struct virtio_pci *mkdev(const char *name)
{
	struct virtio_pci_params p = { .name = name, .device_type = 4, .class_code = 0xff0000,
				       .nqueues = 1, .queue_max = QMAX, .features = 0,
				       .cfg_size = 0, .ops = &ops };
	struct virtio_pci *v = NULL;

	cr_assert_eq(virtio_pci_create(&vm, &p, &v, err, sizeof(err)), 0, "%s", err);
	return v;
}

static void setup(void)
{
	memset(&vm, 0, sizeof(vm));
	vm.fd = -1;
	vm.mem.memfd = -1;
	vm.mem.size = RAM;
	vm.mem.hva = aligned_alloc(4096, RAM);
	cr_assert(vm.mem.hva);
	memset(vm.mem.hva, 0, RAM);
	vm.mem.regions[0] = (struct guest_region){ .gpa = 0, .size = RAM, .offset = 0 };
	vm.mem.nregions = 1;
	vm.irq = (struct irq_sink){ rec_irq, NULL };
	bus_init(&vm.pio, "pio");
	bus_init(&vm.mmio, "mmio");
	cr_assert_eq(pci_bus_create(&vm.pio, &vm.mmio, &vm.irq, &vm.pci), 0);
	vp = mkdev("vtest0");
	vp2 = mkdev("vtest1");
}

static void teardown(void)
{
	pci_bus_destroy(vm.pci);
	virtio_pci_destroy(vp);
	virtio_pci_destroy(vp2);
	bus_destroy(&vm.pio);
	bus_destroy(&vm.mmio);
	free(vm.mem.hva);
}

TestSuite(virtio_state, .init = setup, .fini = teardown);

/* ---- virtio sections, built field by field ---- */

struct vq_fields {
	uint16_t size;
	uint8_t enabled;
	uint64_t desc, driver, device;
	uint16_t last_avail, used, sig;
	uint8_t sig_valid;
};

struct vs_fields {
	uint64_t devf;
	uint32_t nq;
	uint64_t drvf;
	uint8_t status, isr;
	struct vq_fields q;
	size_t cut; /* bytes dropped from the end */
};

static uint64_t device_features(struct virtio_pci *v)
{
	struct snap_writer w;
	uint64_t f;

	snap_writer_init(&w, vendor);
	virtio_pci_save(v, &w);
	memcpy(&f, w.buf + SNAP_HEADER_SIZE + SNAP_SECTION_HEADER, 8);
	snap_writer_free(&w);
	return f;
}

/* A running device: VERSION_1, queue 0 of 64 entries at 0x10000 with
 * 5 requests done. */
static struct vs_fields good(void)
{
	return (struct vs_fields){
		.devf = device_features(vp), .nq = 1, .drvf = 1ULL << VIRTIO_F_VERSION_1,
		.status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			  VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK,
		.q = { .size = QMAX, .enabled = 1, .desc = 0x10000, .driver = 0x11000,
		       .device = 0x12000, .last_avail = 5, .used = 5, .sig = 5, .sig_valid = 1 },
	};
}

static size_t enc(const struct vs_fields *f, uint8_t *buf)
{
	uint8_t *p = buf;
#define PUT(v) do { __typeof__(v) _v = (v); memcpy(p, &_v, sizeof(_v)); p += sizeof(_v); } while (0)
	PUT(f->devf);
	PUT(f->nq);
	PUT((uint32_t)0);
	PUT((uint32_t)0);
	PUT(f->drvf);
	PUT(f->status);
	PUT(f->isr);
	PUT((uint16_t)0);
	PUT(f->q.size);
	PUT(f->q.enabled);
	PUT((uint8_t)0);
	PUT(f->q.desc);
	PUT(f->q.driver);
	PUT(f->q.device);
	PUT(f->q.last_avail);
	PUT(f->q.used);
	PUT(f->q.sig);
	PUT(f->q.sig_valid);
	PUT((uint8_t)0);
#undef PUT
	return (size_t)(p - buf) - f->cut;
}

static void refused(const struct vs_fields *f, const char *what)
{
	uint8_t buf[256];
	size_t len = enc(f, buf);
	uint8_t before = virtio_pci_status(vp);

	err[0] = 0;
	cr_assert_eq(virtio_pci_load(vp, buf, len, true, err, sizeof(err)), -EINVAL,
		     "%s: check accepted", what);
	cr_assert(strstr(err, "bad-device-state") || strstr(err, snap_error_name(SNAP_E_BAD_STATE)),
		  "%s: %s", what, err);
	cr_assert_eq(virtio_pci_load(vp, buf, len, false, err, sizeof(err)), -EINVAL,
		     "%s: load accepted", what);
	cr_assert_eq(virtio_pci_status(vp), before, "%s: device changed", what);
}

Test(virtio_state, good_state_loads_and_saves_back)
{
	struct vs_fields f = good();
	uint8_t buf[256];
	size_t len = enc(&f, buf);
	struct snap_writer w;

	cr_assert_eq(virtio_pci_load(vp, buf, len, true, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(virtio_pci_status(vp), 0, "check_only changed the device");
	virtio_pci_quiesce(vp);
	cr_assert_eq(virtio_pci_load(vp, buf, len, false, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(virtio_pci_status(vp), f.status);
	cr_assert_eq(virtio_pci_features(vp), f.drvf);
	cr_assert_eq(virtio_pci_queue(vp, 0)->last_avail, 5);
	cr_assert_eq(virtio_pci_queue(vp, 0)->used_idx, 5);
	cr_assert_eq(virtio_pci_queue(vp, 0)->size, QMAX);
	snap_writer_init(&w, vendor);
	virtio_pci_save(vp, &w);
	cr_assert_eq(memcmp(w.buf + SNAP_HEADER_SIZE + SNAP_SECTION_HEADER, buf, len), 0,
		     "saved state differs from the loaded one");
	snap_writer_free(&w);
	virtio_pci_resume(vp);
}

Test(virtio_state, queue_size_refused)
{
	struct vs_fields f = good();
	f.q.size = 48;
	refused(&f, "size 48");
	f.q.size = 0;
	refused(&f, "size 0");
	f.q.size = QMAX * 2;
	refused(&f, "size above the maximum");
	f = good();
	f.q.enabled = 0;
	f.q.last_avail = f.q.used = f.q.sig = 0;
	f.q.sig_valid = 0;
	f.q.size = 3;
	refused(&f, "disabled queue, size 3");
}

Test(virtio_state, indices_refused)
{
	struct vs_fields f = good();
	f.q.last_avail = 7;
	refused(&f, "requests in flight in a drained device");
	f.status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	f.q.last_avail = (uint16_t)(f.q.used + QMAX + 1);
	refused(&f, "more in flight than the queue size");
	f = good();
	f.q.sig = (uint16_t)(f.q.used - QMAX - 1);
	refused(&f, "interrupt position far behind");
	f = good();
	f.q.sig_valid = 2;
	refused(&f, "signalled flag 2");
	f = good();
	f.q.enabled = 0;
	refused(&f, "disabled queue with positions");
	f = good();
	f.q.enabled = 2;
	refused(&f, "enabled flag 2");
}

Test(virtio_state, rings_refused)
{
	struct vs_fields f = good();
	f.q.desc = RAM - 16;
	refused(&f, "descriptor table past the end of RAM");
	f = good();
	f.q.device = 0xFFFFFFFFFFFFF000ull;
	refused(&f, "used ring at the top of the address space");
	f = good();
	f.q.desc = 0x10008;
	refused(&f, "descriptor table not 16-aligned");
	f = good();
	f.q.device = 0x12002;
	refused(&f, "used ring not 4-aligned");
}

Test(virtio_state, features_and_status_refused)
{
	struct vs_fields f = good();
	f.drvf |= 1ULL << 50;
	refused(&f, "feature the device does not offer");
	f = good();
	f.drvf = 0;
	refused(&f, "FEATURES_OK without VERSION_1");
	f = good();
	f.status |= 0x10;
	refused(&f, "unknown status bit");
	f = good();
	f.status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_DRIVER_OK;
	refused(&f, "DRIVER_OK without FEATURES_OK");
	f = good();
	f.status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
	refused(&f, "queue enabled before FEATURES_OK");
	f = good();
	f.isr = 4;
	refused(&f, "unknown ISR bit");
	f = good();
	f.devf ^= 1;
	refused(&f, "another device's features");
	f = good();
	f.nq = 2;
	refused(&f, "queue count");
	f = good();
	f.cut = 1;
	refused(&f, "truncated section");
}

/* ---- PCI sections ---- */

/* The saved section of slot's device; cfg points at its config space. */
static size_t pci_section(unsigned slot, uint8_t *buf)
{
	struct snap_writer w;
	struct snap_file f;
	const struct snap_section *s;
	size_t len;

	snap_writer_init(&w, vendor);
	pci_save(vm.pci, &w);
	cr_assert_eq(snap_finish(&w), 0);
	struct snap_known k[] = { { SNAP_SEC_PCI, PCI_MAX_DEVICES } };
	cr_assert_eq(snap_parse(w.buf, w.len, NULL, k, 1, &f, NULL, err, sizeof(err)), 0, "%s", err);
	s = snap_find(&f, SNAP_SEC_PCI, slot);
	cr_assert(s);
	len = s->len;
	memcpy(buf, s->data, len);
	snap_file_free(&f);
	snap_writer_free(&w);
	return len;
}

static void set_bar_cmd(uint8_t *sec, uint32_t bar, uint16_t cmd)
{
	uint8_t *cfg = sec + 4;
	uint32_t b = bar | (cfg[PCI_BASE_ADDRESS_0] & 0xf);
	memcpy(cfg + PCI_BASE_ADDRESS_0, &b, 4);
	memcpy(cfg + PCI_COMMAND, &cmd, 2);
}

Test(virtio_state, pci_bar_loads_and_maps)
{
	unsigned slot = virtio_pci_dev(vp)->slot;
	uint8_t sec[512];
	size_t len = pci_section(slot, sec);
	uint16_t nq = 0;

	set_bar_cmd(sec, 0xC8000000u, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	cr_assert_eq(pci_dev_load(vm.pci, slot, sec, len, false, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(virtio_pci_dev(vp)->bar[0].mapped_at, 0xC8000000u);
	cr_assert(bus_access(&vm.mmio, 0xC8000000u + 0x12, &nq, 2, false));
	cr_assert_eq(nq, 1, "BAR 0 does not reach the device's common config");
	cr_assert_eq(pci_cfg_read(vm.pci, slot << 3, PCI_COMMAND, 2),
		     PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

Test(virtio_state, pci_crafted_refused)
{
	unsigned slot = virtio_pci_dev(vp)->slot;
	uint8_t sec[512], bad[512];
	size_t len = pci_section(slot, sec);

	memcpy(bad, sec, len);
	set_bar_cmd(bad, (uint32_t)LAYOUT_PCI_BAR_END, PCI_COMMAND_MEMORY);
	cr_assert_eq(pci_dev_load(vm.pci, slot, bad, len, true, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "outside the PCI window"), "%s", err);
	memcpy(bad, sec, len);
	set_bar_cmd(bad, 0x80000000u, PCI_COMMAND_MEMORY);
	cr_assert_eq(pci_dev_load(vm.pci, slot, bad, len, false, err, sizeof(err)), -EINVAL);
	cr_assert_eq(virtio_pci_dev(vp)->bar[0].mapped_at, 0, "refused state mapped the BAR");
	/* Decoding off: the guest may park a BAR anywhere. */
	memcpy(bad, sec, len);
	set_bar_cmd(bad, 0x80000000u, 0);
	cr_assert_eq(pci_dev_load(vm.pci, slot, bad, len, true, err, sizeof(err)), 0, "%s", err);
	/* Read-only bytes: IDs, capabilities, BAR type bits. */
	memcpy(bad, sec, len);
	bad[4 + PCI_CLASS_DEVICE] ^= 1;
	cr_assert_eq(pci_dev_load(vm.pci, slot, bad, len, true, err, sizeof(err)), -EINVAL);
	memcpy(bad, sec, len);
	bad[4 + PCI_CAPABILITY_LIST] ^= 4;
	cr_assert_eq(pci_dev_load(vm.pci, slot, bad, len, true, err, sizeof(err)), -EINVAL);
	memcpy(bad, sec, len);
	bad[0] ^= 1; /* vendor */
	cr_assert_eq(pci_dev_load(vm.pci, slot, bad, len, true, err, sizeof(err)), -EINVAL);
	/* INTx level vs Interrupt Status; level 2. */
	memcpy(bad, sec, len);
	bad[4 + PCI_CFG_SIZE] = 1;
	cr_assert_eq(pci_dev_load(vm.pci, slot, bad, len, true, err, sizeof(err)), -EINVAL);
	bad[4 + PCI_CFG_SIZE] = 2;
	cr_assert_eq(pci_dev_load(vm.pci, slot, bad, len, true, err, sizeof(err)), -EINVAL);
	/* Wrong length; a slot without a device. */
	cr_assert_eq(pci_dev_load(vm.pci, slot, sec, len - 1, true, err, sizeof(err)), -EINVAL);
	cr_assert_eq(pci_dev_load(vm.pci, 20, sec, len, true, err, sizeof(err)), -EINVAL);
}

Test(virtio_state, pci_overlapping_bars_refused)
{
	unsigned s1 = virtio_pci_dev(vp)->slot, s2 = virtio_pci_dev(vp2)->slot;
	uint8_t a[512], b[512], host[512];
	size_t la = pci_section(s1, a), lb = pci_section(s2, b), lh = pci_section(0, host);
	struct snap_known k[] = { { SNAP_SEC_PCI, PCI_MAX_DEVICES } };
	struct snap_writer w;
	struct snap_file f;

	set_bar_cmd(a, 0xC8000000u, PCI_COMMAND_MEMORY);
	set_bar_cmd(b, 0xC8000000u, PCI_COMMAND_MEMORY);
	snap_writer_init(&w, vendor);
	snap_add(&w, SNAP_SEC_PCI, 0, PCI_STATE_VERSION, host, lh);
	snap_add(&w, SNAP_SEC_PCI, s1, PCI_STATE_VERSION, a, la);
	snap_add(&w, SNAP_SEC_PCI, s2, PCI_STATE_VERSION, b, lb);
	cr_assert_eq(snap_finish(&w), 0);
	cr_assert_eq(snap_parse(w.buf, w.len, NULL, k, 1, &f, NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(pci_load(vm.pci, &f, false, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "overlaps"), "%s", err);
	cr_assert_eq(virtio_pci_dev(vp)->bar[0].mapped_at, 0, "nothing may change");
	snap_file_free(&f);
	snap_writer_free(&w);

	/* Without one device's section: missing. */
	snap_writer_init(&w, vendor);
	snap_add(&w, SNAP_SEC_PCI, 0, PCI_STATE_VERSION, host, lh);
	snap_add(&w, SNAP_SEC_PCI, s1, PCI_STATE_VERSION, a, la);
	cr_assert_eq(snap_finish(&w), 0);
	cr_assert_eq(snap_parse(w.buf, w.len, NULL, k, 1, &f, NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(pci_load(vm.pci, &f, true, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "no state"), "%s", err);
	snap_file_free(&f);
	snap_writer_free(&w);
}
