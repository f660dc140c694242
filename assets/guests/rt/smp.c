/* Finding the CPUs (Intel MP spec 1.4 tables, else the ACPI MADT) and
 * starting the APs with INIT-SIPI-SIPI (MP spec B.4) through a real-mode
 * trampoline copied to TRAMPOLINE_ADDR (0x80000, SIPI vector 0x80: above
 * vmdeck's boot-info area 0x7000-0x7F000 and QEMU's at 0x9000, below the
 * EBDA at 0x9FC00). */
#include "rt.h"

extern const uint8_t rt_tramp_start[], rt_tramp_end[];
volatile unsigned smp_online = 1;
static void (*volatile ap_main_fn)(struct percpu *);

void smp_ap_entered(struct percpu *pc);

static uint8_t sum8(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t s = 0;
	while (n--)
		s += *b++;
	return s;
}

/* BDA word 0x40E: EBDA segment. Through a register so the compiler does not
 * treat the low constant address as an out-of-bounds object. */
static uintptr_t ebda_base(void)
{
	uintptr_t a = 0x40E;
	__asm__("" : "+r"(a));
	return (uintptr_t)*(volatile uint16_t *)a << 4;
}

static const uint8_t *scan(uintptr_t base, size_t len, const char *sig, size_t siglen, size_t cklen)
{
	for (uintptr_t p = base; p + cklen <= base + len; p += 16)
		if (!memcmp((const void *)p, sig, siglen) && sum8((const void *)p, cklen) == 0)
			return (const uint8_t *)p;
	return NULL;
}

static void add_cpu(struct cpu_table *t, unsigned apic)
{
	if (t->count < MAX_CPUS)
		t->apic_ids[t->count++] = apic;
}

static bool from_mp(struct cpu_table *t, bool bios_area)
{
	uintptr_t ebda = ebda_base();
	uintptr_t lastk = boot.mem_lower_kib ? boot.mem_lower_kib * 1024u - 1024 : 0x9FC00;
	const uint8_t *fp = NULL;

	/* vmdeck puts it at the EBDA (0x9FC00); BIOSes use the F segment. */
	if (!bios_area) {
		if (ebda >= 0x80000 && ebda < 0xA0000)
			fp = scan(ebda, 1024, "_MP_", 4, 16);
		if (!fp)
			fp = scan(lastk, 1024, "_MP_", 4, 16);
		if (!fp && lastk != 0x9FC00)
			fp = scan(0x9FC00, 1024, "_MP_", 4, 16);
	} else {
		fp = scan(0xF0000, 0x10000, "_MP_", 4, 16);
	}
	if (!fp)
		return false;
	uint32_t cfg;
	memcpy(&cfg, fp + 4, 4);
	if (!cfg) { /* a default configuration (feature byte 1): two CPUs */
		add_cpu(t, 0);
		add_cpu(t, 1);
		t->source = "mp";
		return true;
	}
	const uint8_t *h = (const uint8_t *)(uintptr_t)cfg;
	uint16_t base_len, entries;
	memcpy(&base_len, h + 4, 2);
	memcpy(&entries, h + 34, 2);
	if (memcmp(h, "PCMP", 4) || sum8(h, base_len) != 0)
		return false;
	const uint8_t *e = h + 44, *end = h + base_len;
	for (unsigned i = 0; i < entries && e < end; i++) {
		if (e[0] == 0) { /* processor: type, apic id, version, flags (bit 0 enabled) */
			if (e[3] & 1)
				add_cpu(t, e[1]);
			e += 20;
		} else if (e[0] <= 4) {
			e += 8;
		} else {
			break;
		}
	}
	t->source = "mp";
	return t->count > 0;
}

static bool from_acpi(struct cpu_table *t)
{
	uintptr_t ebda = ebda_base();
	const uint8_t *rsdp = NULL;

	if (ebda >= 0x80000 && ebda < 0xA0000)
		rsdp = scan(ebda, 1024, "RSD PTR ", 8, 20);
	if (!rsdp)
		rsdp = scan(0xE0000, 0x20000, "RSD PTR ", 8, 20);
	if (!rsdp)
		return false;
	uint32_t rsdt;
	uint64_t xsdt = 0;
	memcpy(&rsdt, rsdp + 16, 4);
	if (rsdp[15] >= 2)
		memcpy(&xsdt, rsdp + 24, 8);
	const uint8_t *sdt = xsdt && xsdt < (1ull << 32) ? (const uint8_t *)(uintptr_t)xsdt
							  : (const uint8_t *)(uintptr_t)rsdt;
	unsigned esz = sdt == (const uint8_t *)(uintptr_t)xsdt ? 8 : 4;
	if (!sdt)
		return false;
	uint32_t len;
	memcpy(&len, sdt + 4, 4);
	for (uint32_t off = 36; off + esz <= len; off += esz) {
		uint64_t a = 0;
		memcpy(&a, sdt + off, esz);
		if (a >= (1ull << 32))
			continue;
		const uint8_t *tab = (const uint8_t *)(uintptr_t)a;
		if (memcmp(tab, "APIC", 4))
			continue;
		uint32_t tlen;
		memcpy(&tlen, tab + 4, 4);
		for (uint32_t o = 44; o + 2 <= tlen && tab[o + 1] >= 2; o += tab[o + 1]) {
			if (tab[o] == 0 && tab[o + 1] >= 8) { /* processor local APIC */
				uint32_t flags;
				memcpy(&flags, tab + o + 4, 4);
				if (flags & 1)
					add_cpu(t, tab[o + 3]);
			}
		}
		t->source = "acpi";
		return t->count > 0;
	}
	return false;
}

void smp_find_cpus(struct cpu_table *t)
{
	memset(t, 0, sizeof(*t));
	t->source = "none";
	/* Order: an MP table in the EBDA / last KiB of base memory (vmdeck's,
	 * cheap to scan), then the ACPI MADT, then an MP table in the BIOS area.
	 * SeaBIOS (QEMU) lists only one logical CPU per package in its MP
	 * table, so its MADT must win over it. */
	if (from_mp(t, false))
		return;
	memset(t, 0, sizeof(*t));
	if (from_acpi(t))
		return;
	memset(t, 0, sizeof(*t));
	if (from_mp(t, true))
		return;
	memset(t, 0, sizeof(*t));
	t->source = "none";
}

void smp_ap_entered(struct percpu *pc)
{
	lapic_init();
	pc->apic_id = lapic_id();
	__atomic_add_fetch(&smp_online, 1, __ATOMIC_SEQ_CST);
	if (ap_main_fn)
		ap_main_fn(pc);
}

static void send_ipi(unsigned dest, uint32_t lo)
{
	lapic_write(LAPIC_ICR_HI, dest << 24);
	lapic_write(LAPIC_ICR_LO, lo);
}

static bool wait_online(unsigned want, uint32_t timeout_ms)
{
	for (uint32_t t = 0; t < timeout_ms; t++) {
		if (smp_online >= want)
			return true;
		pit_delay_us(1000);
	}
	return smp_online >= want;
}

unsigned smp_start_aps(const struct cpu_table *t, void (*ap_main)(struct percpu *), uint32_t timeout_ms)
{
	uint32_t sipi = 0x4600 | (TRAMPOLINE_ADDR >> 12); /* SIPI, level assert */
	unsigned self = lapic_id();

	lapic_init();
	this_cpu()->apic_id = self;
	memcpy((void *)TRAMPOLINE_ADDR, rt_tramp_start, (size_t)(rt_tramp_end - rt_tramp_start));
	ap_main_fn = ap_main;
	if (t->count == 0) {
		/* No table: INIT-SIPI-SIPI to all excluding self, count arrivals. */
		send_ipi(0, 0xC4500);
		pit_delay_us(10000);
		send_ipi(0, 0xC0000 | sipi);
		pit_delay_us(200);
		send_ipi(0, 0xC0000 | sipi);
		/* Done when no AP arrived for a whole 500 ms window, or at timeout. */
		unsigned last;
		uint32_t waited = 0;
		do {
			last = smp_online;
			wait_online(MAX_CPUS, 500);
			waited += 500;
		} while (smp_online != last && waited < timeout_ms);
		return smp_online;
	}
	for (unsigned i = 0; i < t->count; i++) {
		unsigned id = t->apic_ids[i];
		if (id == self)
			continue;
		unsigned want = smp_online + 1;
		send_ipi(id, 0x4500); /* INIT, level assert */
		pit_delay_us(10000);
		send_ipi(id, sipi);
		pit_delay_us(200);
		if (smp_online < want) {
			send_ipi(id, sipi);
			pit_delay_us(200);
		}
		if (!wait_online(want, timeout_ms))
			kprintf("smp: apic %u did not start\n", id);
	}
	return smp_online;
}
