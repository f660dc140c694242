/* blk: a small polling virtio-blk driver (virtio 1.2, 4.1 PCI transport,
 * 2.7 split queue, 5.2 block device) that finds the disk by a PCI scan
 * (type-1 config at 0xCF8/0xCFC), checks it, and exits 0 (pass) / 1 (fail).
 *
 * Command line: mode=rw (default) | verify | ro | loop | counter | cverify,
 * seed=N.
 *   rw:     read sector 0 (checksum printed), write patterns at the first,
 *           middle and last sectors plus an 8-sector request at 1/4, and
 *           sector 1 filled with the byte 0xA5 ^ (seed & 0xff) (for
 *           qemu-io read -P), read them back, compare, flush;
 *   verify: only read and compare what an rw run with the same seed wrote;
 *   ro:     the device offers VIRTIO_BLK_F_RO and a write gets IOERR;
 *   loop:   submit a descriptor chain that loops (d0 -> d0): the device must
 *           set DEVICE_NEEDS_RESET; then reset, set up again and read;
 *   counter: count=C (<= 255) steps at about rate=R per second (TSC busy
 *           wait, nominal 2 GHz): step n reads sectors 63+n and 64+n and
 *           checks 63+n holds the byte n-1 (0 for n = 1) and 64+n is still
 *           zero, then fills 64+n with the byte n and prints "blk: counter
 *           n" (for snapshots taken mid-run: after a restore the steps go
 *           on and find the sectors as they were at the snapshot);
 *   cverify: upto=K count=C: sectors 65..64+K hold their byte, the rest up
 *           to 64+C are zero.
 * Everything runs at CPL0 with interrupts off; kept short because PVM
 * emulates CPL0 code. Pattern of sector s, 64-bit word w:
 * (s + 1) * 0x9E3779B97F4A7C15 ^ w ^ seed * 0x100000001B3. */
#include "rt.h"

#define QSZ 8
#define SECTOR 512
#define MULTI 8

/* Registers from <linux/virtio_pci.h> / <linux/virtio_blk.h> (not usable
 * in this freestanding build). */
#define CAP_COMMON 1
#define CAP_NOTIFY 2
#define CAP_DEVICE 4
#define S_ACK 1
#define S_DRIVER 2
#define S_DRIVER_OK 4
#define S_FEATURES_OK 8
#define S_NEEDS_RESET 0x40
#define F_RO 5
#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define T_GET_ID 8
#define D_NEXT 1
#define D_WRITE 2

struct desc { uint64_t addr; uint32_t len; uint16_t flags, next; };
struct ring {
	struct desc desc[QSZ];                                      /* 16-aligned */
	struct { uint16_t flags, idx, ring[QSZ], used_event; } avail;
	uint8_t pad[64];
	struct { uint16_t flags, idx; struct { uint32_t id, len; } ring[QSZ]; uint16_t avail_event; } used;
} __attribute__((aligned(4096)));

static struct ring vq;
static struct { uint32_t type, ioprio; uint64_t sector; } hdr;
static volatile uint8_t status;
static uint8_t buf[MULTI * SECTOR] __attribute__((aligned(4096)));
static uint16_t last_used;
static uintptr_t common, notify, devcfg;
static uint64_t seed;

static uint8_t mr8(uintptr_t a) { uint8_t v; __asm__ volatile("movb (%1), %0" : "=q"(v) : "r"(a) : "memory"); return v; }
static void mw8(uintptr_t a, uint8_t v) { __asm__ volatile("movb %0, (%1)" ::"q"(v), "r"(a) : "memory"); }
static uint16_t mr16(uintptr_t a) { uint16_t v; __asm__ volatile("movw (%1), %0" : "=r"(v) : "r"(a) : "memory"); return v; }
static void mw16(uintptr_t a, uint16_t v) { __asm__ volatile("movw %0, (%1)" ::"r"(v), "r"(a) : "memory"); }
static uint64_t rdtsc(void) { uint32_t lo, hi; __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)); return (uint64_t)hi << 32 | lo; }

static uint32_t pci_cfg(unsigned slot, unsigned reg)
{
	outl(0xCF8, 0x80000000u | slot << 11 | (reg & 0xfc));
	return inl(0xCFC);
}

static void pci_cfg_w(unsigned slot, unsigned reg, uint32_t v)
{
	outl(0xCF8, 0x80000000u | slot << 11 | (reg & 0xfc));
	outl(0xCFC, v);
}

static __attribute__((noreturn)) void fail(const char *what)
{
	kprintf("blk: FAIL %s\n", what);
	rt_exit(EXIT_FAIL);
}

/* 4.1.4: find the device, place BAR 0 if nobody did, walk the capabilities. */
static void find_device(void)
{
	unsigned slot;
	uint32_t bar;

	for (slot = 0; slot < 32; slot++)
		if (pci_cfg(slot, 0) == 0x10421AF4u)
			break;
	if (slot == 32)
		fail("no virtio-blk (1af4:1042) on PCI bus 0");
	bar = pci_cfg(slot, 0x10) & ~0xfu;
	if (!bar) {
		pci_cfg_w(slot, 0x10, 0xD0000000u);
		bar = pci_cfg(slot, 0x10) & ~0xfu;
	}
	pci_cfg_w(slot, 0x04, (pci_cfg(slot, 0x04) & 0xffff) | 0x6); /* memory + bus master */
	kprintf("blk: found 1af4:1042 at 00:%02x.0 bar0 0x%x\n", slot, bar);
	if (!(pci_cfg(slot, 0x04) & (0x10u << 16)))
		fail("no capability list");
	for (unsigned p = pci_cfg(slot, 0x34) & 0xfc, n = 0; p && n < 48; n++) {
		uint32_t h = pci_cfg(slot, p);
		if ((h & 0xff) == 0x09 && (pci_cfg(slot, p + 4) & 0xff) == 0) {
			uintptr_t a = bar + pci_cfg(slot, p + 8);
			switch ((h >> 24) & 0xff) {
			case CAP_COMMON: common = a; break;
			case CAP_DEVICE: devcfg = a; break;
			case CAP_NOTIFY: notify = a; /* queue 0: notify_off 0 */ break;
			}
		}
		p = (h >> 8) & 0xfc;
	}
	if (!common || !notify || !devcfg)
		fail("virtio capabilities missing");
}

/* 3.1.1 driver initialisation; returns the device feature bits 0-31. */
static uint32_t setup(void)
{
	uint32_t f_lo, f_hi;

	mw8(common + 0x14, 0); /* reset */
	if (mr8(common + 0x14) != 0)
		fail("reset");
	mw8(common + 0x14, S_ACK | S_DRIVER);
	mmio_write32(common + 0x00, 0);
	f_lo = mmio_read32(common + 0x04);
	mmio_write32(common + 0x00, 1);
	f_hi = mmio_read32(common + 0x04);
	if (!(f_hi & 1))
		fail("device without VIRTIO_F_VERSION_1");
	mmio_write32(common + 0x08, 0);
	mmio_write32(common + 0x0C, 0);
	mmio_write32(common + 0x08, 1);
	mmio_write32(common + 0x0C, 1); /* VERSION_1 only */
	mw8(common + 0x14, S_ACK | S_DRIVER | S_FEATURES_OK);
	if (!(mr8(common + 0x14) & S_FEATURES_OK))
		fail("FEATURES_OK not accepted");
	/* 4.1.5.1.3: queue 0 */
	mw16(common + 0x16, 0);
	if (mr16(common + 0x18) < QSZ)
		fail("queue too small");
	mw16(common + 0x18, QSZ);
	memset(&vq, 0, sizeof(vq));
	last_used = 0;
	mmio_write32(common + 0x20, (uint32_t)(uintptr_t)vq.desc);
	mmio_write32(common + 0x24, 0);
	mmio_write32(common + 0x28, (uint32_t)(uintptr_t)&vq.avail);
	mmio_write32(common + 0x2C, 0);
	mmio_write32(common + 0x30, (uint32_t)(uintptr_t)&vq.used);
	mmio_write32(common + 0x34, 0);
	mw16(common + 0x1C, 1);
	mw8(common + 0x14, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	return f_lo;
}

/* Makes chain head 0 available, notifies, polls the used ring.
 * Returns false on timeout (about 5 s of TSC at ~1-4 GHz). */
static bool submit(void)
{
	uint64_t t0 = rdtsc();

	vq.avail.ring[vq.avail.idx % QSZ] = 0;
	__asm__ volatile("" ::: "memory");
	vq.avail.idx++;
	__asm__ volatile("mfence" ::: "memory");
	mw16(notify, 0);
	while (*(volatile uint16_t *)&vq.used.idx == last_used) {
		if (rdtsc() - t0 > 20000000000ull)
			return false;
		cpu_relax();
	}
	last_used++;
	return true;
}

/* One request: header, optional data, status (5.2.6). */
static int blk_req(uint32_t type, uint64_t sector, void *data, uint32_t len)
{
	unsigned i = 0;

	hdr.type = type;
	hdr.ioprio = 0;
	hdr.sector = sector;
	status = 0xff;
	vq.desc[i] = (struct desc){ (uintptr_t)&hdr, 16, D_NEXT, (uint16_t)(i + 1) };
	i++;
	if (len) {
		vq.desc[i] = (struct desc){ (uintptr_t)data, len,
			(uint16_t)(D_NEXT | (type == T_OUT ? 0 : D_WRITE)), (uint16_t)(i + 1) };
		i++;
	}
	vq.desc[i] = (struct desc){ (uintptr_t)&status, 1, D_WRITE, 0 };
	if (!submit())
		fail("request timed out");
	return status;
}

static uint64_t pattern(uint64_t s, unsigned w)
{
	return (s + 1) * 0x9E3779B97F4A7C15ull ^ w ^ seed * 0x100000001B3ull;
}

static void fill(uint64_t sector, unsigned n)
{
	uint64_t *p = (uint64_t *)buf;
	for (unsigned k = 0; k < n; k++)
		for (unsigned w = 0; w < SECTOR / 8; w++)
			p[k * (SECTOR / 8) + w] = pattern(sector + k, w);
}

static bool check(uint64_t sector, unsigned n)
{
	const uint64_t *p = (const uint64_t *)buf;
	for (unsigned k = 0; k < n; k++)
		for (unsigned w = 0; w < SECTOR / 8; w++)
			if (p[k * (SECTOR / 8) + w] != pattern(sector + k, w))
				return false;
	return true;
}

static uint64_t checksum(unsigned len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (unsigned i = 0; i < len; i++) {
		h ^= buf[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static void verify_at(uint64_t sector, unsigned n, bool write)
{
	if (write) {
		fill(sector, n);
		if (blk_req(T_OUT, sector, buf, n * SECTOR) != 0)
			fail("write status");
	}
	memset(buf, 0, sizeof(buf));
	if (blk_req(T_IN, sector, buf, n * SECTOR) != 0)
		fail("read status");
	if (!check(sector, n)) {
		kprintf("blk: mismatch at sector %lu count %u\n", (unsigned long)sector, n);
		fail("data mismatch");
	}
	kprintf("blk: %s ok sector %lu count %u\n", write ? "write/read" : "read",
		(unsigned long)sector, n);
}

#define CBASE 64

static bool all_bytes(const uint8_t *p, uint8_t v)
{
	for (unsigned i = 0; i < SECTOR; i++)
		if (p[i] != v)
			return false;
	return true;
}

static void mode_counter(uint64_t cap)
{
	uint64_t count = cmdline_u64("count", 40), rate = cmdline_u64("rate", 20);

	if (!count || count > 255 || !rate || rate > 1000 || CBASE + count + 1 > cap)
		fail("counter: need 1 <= count <= 255, 1 <= rate <= 1000, a disk of 320+ sectors");
	for (uint64_t n = 1; n <= count; n++) {
		uint64_t t0 = rdtsc();
		if (blk_req(T_IN, CBASE + n - 1, buf, 2 * SECTOR) != 0)
			fail("counter: read status");
		if (!all_bytes(buf, (uint8_t)(n - 1))) {
			kprintf("blk: counter sector %lu lost its data\n", (unsigned long)(CBASE + n - 1));
			fail("counter: data written before is gone");
		}
		if (!all_bytes(buf + SECTOR, 0)) {
			kprintf("blk: counter sector %lu already written\n", (unsigned long)(CBASE + n));
			fail("counter: data from the future");
		}
		memset(buf, (uint8_t)n, SECTOR);
		if (blk_req(T_OUT, CBASE + n, buf, SECTOR) != 0)
			fail("counter: write status");
		kprintf("blk: counter %lu\n", (unsigned long)n);
		while (rdtsc() - t0 < 2000000000ull / rate)
			cpu_relax();
	}
	if (blk_req(T_FLUSH, 0, 0, 0) != 0)
		fail("flush");
	kprintf("blk: counter done\n");
}

static void mode_cverify(void)
{
	uint64_t count = cmdline_u64("count", 40), upto = cmdline_u64("upto", 0);

	if (!count || count > 255 || upto > count)
		fail("cverify: need 1 <= count <= 255, upto <= count");
	for (uint64_t n = 1; n <= count; n++) {
		if (blk_req(T_IN, CBASE + n, buf, SECTOR) != 0)
			fail("cverify: read status");
		if (!all_bytes(buf, n <= upto ? (uint8_t)n : 0)) {
			kprintf("blk: cverify sector %lu wrong\n", (unsigned long)(CBASE + n));
			fail("cverify: data mismatch");
		}
	}
	kprintf("blk: cverify ok upto %lu of %lu\n", (unsigned long)upto, (unsigned long)count);
}

static void mode_loop(void)
{
	uint64_t t0;

	/* d0 -> d0 (2.7.5.2 forbids it; the device must not spin). */
	vq.desc[0] = (struct desc){ (uintptr_t)&hdr, 16, D_NEXT, 0 };
	vq.avail.ring[vq.avail.idx % QSZ] = 0;
	__asm__ volatile("" ::: "memory");
	vq.avail.idx++;
	__asm__ volatile("mfence" ::: "memory");
	mw16(notify, 0);
	t0 = rdtsc();
	while (!(mr8(common + 0x14) & S_NEEDS_RESET))
		if (rdtsc() - t0 > 20000000000ull)
			fail("looping chain did not set DEVICE_NEEDS_RESET");
	kprintf("blk: loop chain -> needs reset ok\n");
	setup(); /* reset and start again: the device must work */
	if (blk_req(T_IN, 0, buf, SECTOR) != 0)
		fail("read after reset");
	kprintf("blk: read after reset ok\n");
}

void guest_main(void)
{
	char mode[16] = "rw";
	uint64_t cap, mid, last, quarter;
	uint32_t f;
	char id[21];

	cmdline_get("mode", mode, sizeof(mode));
	seed = cmdline_u64("seed", 1);
	kprintf("vmdeck blk guest mode=%s\n", mode);
	find_device();
	f = setup();
	cap = mmio_read32(devcfg) | (uint64_t)mmio_read32(devcfg + 4) << 32;
	kprintf("blk: capacity %lu sectors%s\n", (unsigned long)cap, f & (1u << F_RO) ? " ro" : "");
	memset(id, 0, sizeof(id));
	if (blk_req(T_GET_ID, 0, id, 20) == 0)
		kprintf("blk: id %s\n", id);
	if (cap < 4 * MULTI)
		fail("disk too small (need 32 sectors)");
	if (blk_req(T_IN, 0, buf, SECTOR) != 0)
		fail("first read");
	kprintf("blk: first read checksum 0x%lx\n", (unsigned long)checksum(SECTOR));

	mid = cap / 2;
	last = cap - 1;
	quarter = cap / 4;
	if (!strncmp(mode, "loop", 5)) {
		mode_loop();
	} else if (!strncmp(mode, "counter", 8)) {
		mode_counter(cap);
	} else if (!strncmp(mode, "cverify", 8)) {
		mode_cverify();
	} else if (!strncmp(mode, "ro", 3)) {
		if (!(f & (1u << F_RO)))
			fail("device does not report read-only");
		fill(0, 1);
		if (blk_req(T_OUT, 0, buf, SECTOR) != 1)
			fail("write to a read-only disk was not refused with IOERR");
		kprintf("blk: ro ok (write refused)\n");
	} else {
		bool w = !strncmp(mode, "rw", 3);
		if (!w && strncmp(mode, "verify", 7)) {
			kprintf("error: mode=%s (rw|verify|ro|loop|counter|cverify)\n", mode);
			rt_exit(EXIT_USAGE);
		}
		verify_at(0, 1, w);
		verify_at(mid, 1, w);
		verify_at(last, 1, w);
		verify_at(quarter, MULTI, w);
		if (w) {
			memset(buf, 0xA5 ^ (uint8_t)seed, SECTOR);
			if (blk_req(T_OUT, 1, buf, SECTOR) != 0)
				fail("write status");
		}
		memset(buf, 0, SECTOR);
		if (blk_req(T_IN, 1, buf, SECTOR) != 0)
			fail("read status");
		for (unsigned i = 0; i < SECTOR; i++)
			if (buf[i] != (0xA5 ^ (uint8_t)seed))
				fail("byte pattern at sector 1");
		kprintf("blk: byte pattern 0x%02x ok sector 1\n", 0xA5 ^ (unsigned)(uint8_t)seed);
		/* Past the end must fail (5.2.6.1). */
		if (blk_req(T_IN, last, buf, 2 * SECTOR) != 1)
			fail("read past the end was not refused");
		kprintf("blk: past-end read refused ok\n");
		if (blk_req(T_FLUSH, 0, 0, 0) != 0)
			fail("flush");
		kprintf("blk: flush ok\n");
	}
	kprintf("blk: pass\n");
	rt_exit(EXIT_OK);
}
