/* state.bin as hostile input: the snapshot container reader (snap_parse)
 * and, for a file it accepts, every device's section loader -- first in
 * check mode, then for real -- as machine_restore_check/_state drive them:
 * the legacy devices (uart8250, i8042, rtc, debugport), the framebuffer
 * mode and pixels, the KVM-held VM sections' checks (vm_state_check with no
 * vCPUs), PCI config spaces and two virtio-pci transports on a VM whose
 * RAM is a plain buffer (no KVM).
 *
 * The first input byte picks how the rest becomes a file:
 *   0: as is (the CRC and structure checks);
 *   1: as is, with every CRC the file's own structure implies recomputed,
 *      so bit flips reach the section contents;
 *   2, 3: a list of records {id selector u8, instance u8, version u8,
 *      length u16, payload} written with snap_writer (always well formed).
 * After a load that succeeds the devices get a few register reads, and
 * the PCI/virtio state is put back to the pristine one saved at start. */
#include <errno.h>
#include <linux/serial_reg.h>

#include "bus.h"
#include "dev/dev_state.h"
#include "fbdev.h"
#include "fbdev_state.h"
#include "fuzz_util.h"
#include "pci.h"
#include "snapfile.h"
#include "virtio_pci.h"
#include "vm.h"
#include "vm_devices.h"
#include "vm_state.h"

#define RAM (1u << 20)
#define QMAX 64

static const struct snap_known known[] = {
	{ SNAP_SEC_META, 1 },
	VM_STATE_KNOWN(VM_MAX_CPUS),
	VM_DEVICES_KNOWN,
	FBDEV_KNOWN,
	{ SNAP_SEC_PCI, PCI_MAX_DEVICES },
	{ SNAP_SEC_VIRTIO, PCI_MAX_DEVICES },
	{ SNAP_SEC_DISK, 8 },
};
#define NKNOWN (sizeof(known) / sizeof(known[0]))

static struct vm vm;
static struct virtio_pci *vps[2];
static struct fbdev fb;
static uint8_t *pristine; /* PCI + virtio sections of the devices as created */
static size_t pristine_len;

static void no_irq(void *opaque, unsigned gsi, int level)
{
	(void)opaque;
	(void)gsi;
	(void)level;
}

static void cfg_read(void *o, uint64_t off, void *data, unsigned size)
{
	(void)o;
	(void)off;
	memset(data, 0, size);
}

static void notify(void *o, struct virtio_pci *v, unsigned qi)
{
	(void)o;
	(void)v;
	(void)qi;
}

static const struct virtio_dev_ops vops = { .cfg_read = cfg_read, .queue_notify = notify };

static void write_seeds(const char *dir);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char vendor[SNAP_VENDOR_LEN] = "fuzz";
	struct snap_writer w;
	char err[512];

	(void)argc;
	(void)argv;
	vm.fd = -1;
	vm.mem.memfd = -1;
	vm.mem.size = RAM;
	vm.mem.hva = aligned_alloc(4096, RAM);
	memset(vm.mem.hva, 0, RAM);
	vm.mem.regions[0] = (struct guest_region){ .gpa = 0, .size = RAM, .offset = 0 };
	vm.mem.nregions = 1;
	vm.irq = (struct irq_sink){ no_irq, NULL };
	bus_init(&vm.pio, "pio");
	bus_init(&vm.mmio, "mmio");
	if (pci_bus_create(&vm.pio, &vm.mmio, &vm.irq, &vm.pci))
		abort();
	for (unsigned i = 0; i < 2; i++) {
		struct virtio_pci_params p = {
			.name = i ? "vfuzz1" : "vfuzz0", .device_type = i ? 4 : 2,
			.class_code = 0xff0000, .nqueues = i + 1, .queue_max = QMAX,
			.features = i ? 0 : 1ULL << 9, .cfg_size = 8, .ops = &vops,
		};
		if (virtio_pci_create(&vm, &p, &vps[i], err, sizeof(err))) {
			fprintf(stderr, "fuzz_snapfile: %s\n", err);
			abort();
		}
	}
	/* A 16x8 mode at stride 64 in a 64 KiB window. */
	fb.fd = -1;
	fb.window = 65536;
	fb.pixels = calloc(1, fb.window);
	fb.gpa = 0xfd000000u;
	fb.width = 16;
	fb.height = 8;
	fb.stride = 64;
	fb.vm_fd = -1;

	snap_writer_init(&w, vendor);
	pci_save(vm.pci, &w);
	for (unsigned i = 0; i < 2; i++)
		virtio_pci_save(vps[i], &w);
	if (snap_finish(&w))
		abort();
	pristine = w.buf;
	pristine_len = w.len;
	if (getenv("VMDECK_FUZZ_SEEDS"))
		write_seeds(getenv("VMDECK_FUZZ_SEEDS"));
	return 0;
}

/* Mirrors machine_pci_load (app/machine_snapshot_pci.c). */
static int pci_and_virtio(const struct snap_file *f, bool check_only, char *err, size_t errlen)
{
	int r = pci_load(vm.pci, f, check_only, err, errlen);
	if (r)
		return r;
	for (unsigned i = 0; i < f->nsec; i++) {
		const struct snap_section *s = &f->sec[i];
		if (s->id == SNAP_SEC_VIRTIO && s->instance != virtio_pci_dev(vps[0])->slot &&
		    s->instance != virtio_pci_dev(vps[1])->slot)
			return -EINVAL;
	}
	for (unsigned k = 0; k < 2; k++) {
		const struct snap_section *s = snap_find(f, SNAP_SEC_VIRTIO, virtio_pci_dev(vps[k])->slot);
		if (!s || s->version != VIRTIO_PCI_STATE_VERSION)
			return -EINVAL;
		if (!check_only)
			virtio_pci_quiesce(vps[k]);
		r = virtio_pci_load(vps[k], s->data, s->len, check_only, err, errlen);
		if (!check_only)
			virtio_pci_resume(vps[k]);
		if (r)
			return r;
	}
	return 0;
}

static void restore_pristine(void)
{
	struct snap_file f;
	enum snap_error code;
	char err[512];

	if (snap_parse(pristine, pristine_len, NULL, known, NKNOWN, &f, &code, err, sizeof(err)) ||
	    pci_and_virtio(&f, false, err, sizeof(err))) {
		fprintf(stderr, "fuzz_snapfile: pristine state refused: %s\n", err);
		abort();
	}
	snap_file_free(&f);
}

/* The check and the load must agree: a check that passes a section the
 * loader then refuses (or the reverse) is a bug. */
#define SAME(check, load, what)                                                       \
	do {                                                                          \
		int c_ = (check), l_ = (load);                                        \
		if ((c_ == 0) != (l_ == 0)) {                                         \
			fprintf(stderr, "fuzz_snapfile: %s: check %d, load %d\n", what, c_, l_); \
			abort();                                                      \
		}                                                                     \
	} while (0)

static void legacy(const struct snap_section *s)
{
	char err[512];
	switch (s->id) {
	case SNAP_SEC_UART: {
		struct uart8250 u;
		uart8250_init(&u, NULL, NULL, 4);
		SAME(uart8250_load(NULL, s->data, s->len, err, sizeof(err)),
		     uart8250_load(&u, s->data, s->len, err, sizeof(err)), "uart8250");
		for (int i = 0; i < 40; i++) {
			uint8_t v = 0;
			uart8250_ops.read(&u, i % 8, &v, 1);
		}
		uint8_t b = 'x';
		uart8250_ops.write(&u, UART_TX, &b, 1);
		uart8250_receive(&u, (const uint8_t *)"abc", 3);
		uart8250_destroy(&u);
		break;
	}
	case SNAP_SEC_I8042: {
		struct i8042 c;
		i8042_init(&c, NULL, 1, 12, NULL, NULL);
		SAME(i8042_load(NULL, s->data, s->len, err, sizeof(err)),
		     i8042_load(&c, s->data, s->len, err, sizeof(err)), "i8042");
		for (int i = 0; i < 40; i++) {
			uint8_t v = 0;
			i8042_cmd_ops.read(&c, 0, &v, 1);
			i8042_data_ops.read(&c, 0, &v, 1);
		}
		const uint8_t key[] = { 0x1c, 0xf0, 0x1c };
		i8042_kbd_set2(&c, key, sizeof(key));
		i8042_mouse_event(&c, 3, -2, 0, 1);
		uint8_t cmd = 0xd4, arg = 0xf4; /* to the mouse: enable reporting */
		i8042_cmd_ops.write(&c, 0, &cmd, 1);
		i8042_data_ops.write(&c, 0, &arg, 1);
		i8042_destroy(&c);
		break;
	}
	case SNAP_SEC_RTC: {
		struct rtc r;
		rtc_init(&r, NULL, 8);
		SAME(rtc_load(NULL, s->data, s->len, err, sizeof(err)),
		     rtc_load(&r, s->data, s->len, err, sizeof(err)), "rtc");
		for (uint8_t i = 0; i < 16; i++) {
			uint8_t v = 0;
			rtc_ops.read(&r, 1, &v, 1); /* the selected register first */
			rtc_ops.write(&r, 0, &i, 1);
			rtc_ops.read(&r, 1, &v, 1);
		}
		rtc_destroy(&r);
		break;
	}
	case SNAP_SEC_DEBUGPORT: {
		struct debugport d;
		debugport_init(&d, NULL, NULL, NULL);
		SAME(debugport_load(NULL, s->data, s->len, err, sizeof(err)),
		     debugport_load(&d, s->data, s->len, err, sizeof(err)), "debugport");
		uint8_t v = 'y';
		debugport_con_ops.write(&d, 0, &v, 1);
		debugport_destroy(&d);
		break;
	}
	}
}

static void load_all(const uint8_t *buf, size_t len)
{
	struct snap_file f;
	enum snap_error code;
	char err[512];

	if (snap_parse(buf, len, NULL, known, NKNOWN, &f, &code, err, sizeof(err)))
		return;
	for (unsigned i = 0; i < f.nsec; i++) {
		const struct snap_section *s = &f.sec[i];
		if (s->data + s->len < s->data || s->data < buf || s->data + s->len > buf + len)
			abort(); /* a section outside the file */
		legacy(s);
	}
	SAME(fbdev_load(&fb, &f, 1, err, sizeof(err)), fbdev_load(&fb, &f, 0, err, sizeof(err)),
	     "fbdev");
	fbdev_load(NULL, &f, 1, err, sizeof(err));
	vm_state_check(&vm, &f, err, sizeof(err));
	if (pci_and_virtio(&f, true, err, sizeof(err)) == 0) {
		SAME(0, pci_and_virtio(&f, false, err, sizeof(err)), "pci/virtio");
		restore_pristine();
	}
	snap_file_free(&f);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Recomputes the CRCs the file's own lengths imply (mode 1). */
static void fix_crcs(uint8_t *b, size_t len)
{
	size_t off = SNAP_HEADER_SIZE;

	if (len < SNAP_HEADER_SIZE)
		return;
	wr32(b + 44, snap_crc32c(0, b, 44));
	while (len - off >= SNAP_SECTION_HEADER) {
		uint8_t *h = b + off;
		uint64_t plen = rd32(h + 16) | (uint64_t)rd32(h + 20) << 32;
		size_t avail = len - off - SNAP_SECTION_HEADER;
		if (plen > avail)
			plen = avail;
		if (rd32(h) == SNAP_SEC_COMMIT && plen >= 12)
			wr32(h + SNAP_SECTION_HEADER + 8, snap_crc32c(0, b, off));
		wr32(h + 24, snap_crc32c(0, h + SNAP_SECTION_HEADER, (size_t)plen));
		wr32(h + 28, snap_crc32c(0, h, 28));
		plen = (plen + 7) & ~7ULL;
		if (plen > avail)
			break;
		off += SNAP_SECTION_HEADER + (size_t)plen;
	}
}

static const uint32_t ids[] = {
	SNAP_SEC_UART, SNAP_SEC_I8042, SNAP_SEC_RTC, SNAP_SEC_DEBUGPORT, SNAP_SEC_FB_MODE,
	SNAP_SEC_FB_PIXELS, SNAP_SEC_PCI, SNAP_SEC_VIRTIO, SNAP_SEC_IRQCHIP, SNAP_SEC_PIT,
	SNAP_SEC_CLOCK, SNAP_SEC_VCPU, SNAP_SEC_META, SNAP_SEC_DISK, SNAP_SEC_COMMIT, 0x99,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	if (size < 1)
		return 0;
	switch (data[0] & 3) {
	case 0:
		load_all(data + 1, size - 1);
		break;
	case 1:
		copy = malloc(size - 1 ? size - 1 : 1);
		memcpy(copy, data + 1, size - 1);
		fix_crcs(copy, size - 1);
		load_all(copy, size - 1);
		free(copy);
		break;
	default: {
		const char vendor[SNAP_VENDOR_LEN] = "fuzz";
		struct fuzz_in in = { data + 1, size - 1 };
		struct snap_writer w;
		snap_writer_init(&w, vendor);
		while (in.len >= 5) {
			uint32_t id = ids[fuzz_u8(&in) % (sizeof(ids) / sizeof(ids[0]))];
			uint32_t inst = fuzz_u8(&in), ver = fuzz_u8(&in);
			size_t n = fuzz_u16(&in);
			if (n > in.len)
				n = in.len;
			snap_add(&w, id, inst, ver, in.p, n);
			in.p += n;
			in.len -= n;
		}
		if (snap_finish(&w) == 0)
			load_all(w.buf, w.len);
		snap_writer_free(&w);
		break;
	}
	}
	return 0;
}

/* VMDECK_FUZZ_SEEDS=DIR: writes the seed corpus (tests/fuzz/corpus/snapfile)
 * and exits: a whole state of every device this harness loads, as a file
 * (modes 0 and 1) and as records (mode 2). */
static void save_section(struct snap_writer *w, int which)
{
	struct uart8250 u;
	struct i8042 c;
	struct rtc r;
	struct debugport d;
	const uint8_t key[] = { 0x1c };

	switch (which) {
	case 0:
		uart8250_init(&u, NULL, NULL, 4);
		uart8250_receive(&u, (const uint8_t *)"hello", 5);
		uart8250_save(&u, w);
		uart8250_destroy(&u);
		break;
	case 1:
		i8042_init(&c, NULL, 1, 12, NULL, NULL);
		i8042_kbd_set2(&c, key, 1);
		i8042_save(&c, w);
		i8042_destroy(&c);
		break;
	case 2:
		rtc_init(&r, NULL, 8);
		rtc_save(&r, w);
		rtc_destroy(&r);
		break;
	case 3:
		debugport_init(&d, NULL, NULL, NULL);
		debugport_save(&d, w);
		debugport_destroy(&d);
		break;
	case 4:
		fbdev_save(&fb, w);
		break;
	}
}

static void write_seeds(const char *dir)
{
	const char vendor[SNAP_VENDOR_LEN] = "fuzz";
	struct snap_writer w;
	char path[512];
	uint8_t *rec = malloc(1 << 20);
	size_t n = 0;

	snap_writer_init(&w, vendor);
	for (int i = 0; i < 5; i++)
		save_section(&w, i);
	pci_save(vm.pci, &w);
	for (unsigned i = 0; i < 2; i++)
		virtio_pci_save(vps[i], &w);
	if (snap_finish(&w))
		abort();
	for (uint8_t mode = 0; mode < 2; mode++) {
		snprintf(path, sizeof(path), "%s/state-mode%u", dir, mode);
		uint8_t *b = malloc(w.len + 1);
		b[0] = mode;
		memcpy(b + 1, w.buf, w.len);
		fuzz_write_file(path, b, w.len + 1);
		free(b);
	}
	/* Mode 2: the same sections as records (minus the commit). */
	rec[n++] = 2;
	for (size_t off = SNAP_HEADER_SIZE; off < w.len;) {
		const uint8_t *h = w.buf + off;
		uint32_t id = rd32(h), plen = rd32(h + 16);
		unsigned k;
		for (k = 0; k < sizeof(ids) / sizeof(ids[0]) && ids[k] != id; k++)
			;
		if (id != SNAP_SEC_COMMIT && plen <= 0xffff) {
			rec[n++] = (uint8_t)k;
			rec[n++] = (uint8_t)rd32(h + 4);
			rec[n++] = (uint8_t)rd32(h + 8);
			rec[n++] = (uint8_t)plen;
			rec[n++] = (uint8_t)(plen >> 8);
			memcpy(rec + n, h + SNAP_SECTION_HEADER, plen);
			n += plen;
		}
		off += SNAP_SECTION_HEADER + ((plen + 7) & ~7u);
	}
	snprintf(path, sizeof(path), "%s/records-mode2", dir);
	fuzz_write_file(path, rec, n);
	free(rec);
	snap_writer_free(&w);
	exit(0);
}
