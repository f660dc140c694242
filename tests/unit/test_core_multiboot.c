/* Multiboot v1 loader and info builder, field by field (spec 0.6.96 3.3),
 * and the MP table, on guest memory backed by a plain buffer (no KVM). */
#include <criterion/criterion.h>
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "memory.h"
#include "x86/layout.h"
#include "x86/mptable.h"
#include "x86/multiboot.h"

#define MEM (64ULL << 20)

static struct guest_mem mem;

static void setup(void)
{
	memset(&mem, 0, sizeof(mem));
	mem.hva = calloc(1, MEM);
	cr_assert_not_null(mem.hva);
	mem.size = MEM;
	mem.memfd = -1;
	mem.nregions = guest_mem_layout(MEM, mem.regions);
}

static void teardown(void)
{
	free(mem.hva);
}

static uint32_t rd32(uint64_t gpa)
{
	uint32_t v;
	memcpy(&v, guest_mem_ptr(&mem, gpa, 4), 4);
	return v;
}

static uint64_t rd64(uint64_t gpa)
{
	uint64_t v;
	memcpy(&v, guest_mem_ptr(&mem, gpa, 8), 8);
	return v;
}

static const char *str(uint64_t gpa)
{
	return guest_mem_ptr(&mem, gpa, 1);
}

/* A minimal ELF32: one PT_LOAD at 1 MiB of filesz bytes (+bss), the
 * Multiboot header at the start of the segment. */
static size_t make_elf(uint8_t *buf, uint32_t flags, uint32_t filesz, uint32_t memsz)
{
	Elf32_Ehdr eh = { 0 };
	Elf32_Phdr ph = { 0 };
	uint32_t off = 0x100;
	uint32_t hdr[3] = { MULTIBOOT_HEADER_MAGIC, flags, -(MULTIBOOT_HEADER_MAGIC + flags) };

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS32;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_386;
	eh.e_entry = 0x100010;
	eh.e_phoff = sizeof(eh);
	eh.e_phentsize = sizeof(ph);
	eh.e_phnum = 1;
	ph.p_type = PT_LOAD;
	ph.p_offset = off;
	ph.p_vaddr = ph.p_paddr = 0x100000;
	ph.p_filesz = filesz;
	ph.p_memsz = memsz;
	memset(buf, 0, off + filesz);
	memcpy(buf, &eh, sizeof(eh));
	memcpy(buf + sizeof(eh), &ph, sizeof(ph));
	memcpy(buf + off, hdr, sizeof(hdr));
	for (uint32_t i = 12; i < filesz; i++)
		buf[off + i] = (uint8_t)i;
	return off + filesz;
}

TestSuite(multiboot, .init = setup, .fini = teardown);

Test(multiboot, elf32_info_fields)
{
	static uint8_t img[0x2000];
	size_t len = make_elf(img, MB_HDR_PAGE_ALIGN | MB_HDR_MEMORY_INFO, 0x1000, 0x3000);
	static const uint8_t m1[] = "module one", m2[] = "two";
	struct multiboot_blob mods[2] = { { m1, sizeof(m1), "m1 args" }, { m2, sizeof(m2), "" } };
	struct multiboot_fb fb = { .addr = LAYOUT_FB_START, .width = 800, .height = 600, .pitch = 3200 };
	struct multiboot_params p = { .kernel = img, .kernel_len = len, .cmdline = "console=ttyS0 x=1",
				      .mods = mods, .nmods = 2, .fb = &fb };
	struct multiboot_result res;
	char err[256] = "";

	cr_assert_eq(multiboot_load(&mem, &p, &res, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(res.entry, 0x100010);
	cr_expect_eq(res.info_addr, LAYOUT_BOOT_INFO);
	cr_expect_eq(res.kernel_start, 0x100000);
	cr_expect_eq(res.kernel_end, 0x103000);
	/* segment bytes copied, bss zeroed */
	cr_expect_eq(((uint8_t *)guest_mem_ptr(&mem, 0x100000 + 0x20, 1))[0], 0x20);
	cr_expect_eq(((uint8_t *)guest_mem_ptr(&mem, 0x101800, 1))[0], 0);

	uint64_t i = res.info_addr;
	uint32_t flags = rd32(i + MBI_FLAGS);
	cr_expect_eq(flags, MB_INFO_MEMORY | MB_INFO_CMDLINE | MB_INFO_MODS | MB_INFO_MEM_MAP |
		     MB_INFO_LOADER_NAME | MB_INFO_FRAMEBUFFER, "flags 0x%x", flags);
	cr_expect_eq(rd32(i + MBI_MEM_LOWER), 639);
	cr_expect_eq(rd32(i + MBI_MEM_UPPER), (MEM - (1 << 20)) >> 10);
	cr_expect_str_eq(str(rd32(i + MBI_CMDLINE)), "console=ttyS0 x=1");
	cr_expect_str_eq(str(rd32(i + MBI_LOADER_NAME)), "vmdeck");

	/* modules: page aligned after the kernel, in order, with strings */
	cr_expect_eq(rd32(i + MBI_MODS_COUNT), 2);
	uint64_t ma = rd32(i + MBI_MODS_ADDR);
	cr_expect_eq(rd32(ma), 0x103000);
	cr_expect_eq(rd32(ma + 4), 0x103000 + sizeof(m1));
	cr_expect_str_eq(str(rd32(ma + 8)), "m1 args");
	cr_expect_eq(rd32(ma + 16), 0x104000);
	cr_expect_eq(rd32(ma + 20), 0x104000 + sizeof(m2));
	cr_expect_str_eq(str(rd32(ma + 24)), "");
	cr_expect_str_eq(str(0x103000), "module one");

	/* memory map: size field 20, then base/length/type */
	uint32_t ml = rd32(i + MBI_MMAP_LENGTH);
	uint64_t mm = rd32(i + MBI_MMAP_ADDR);
	cr_expect_eq(ml, 3 * 24);
	cr_expect_eq(rd32(mm), 20);
	cr_expect_eq(rd64(mm + 4), 0);
	cr_expect_eq(rd64(mm + 12), LAYOUT_EBDA_START);
	cr_expect_eq(rd32(mm + 20), 1);
	cr_expect_eq(rd64(mm + 24 + 4), LAYOUT_EBDA_START);
	cr_expect_eq(rd32(mm + 24 + 20), 2);
	cr_expect_eq(rd64(mm + 48 + 4), 0x100000);
	cr_expect_eq(rd64(mm + 48 + 12), MEM - 0x100000);
	cr_expect_eq(rd32(mm + 48 + 20), 1);

	/* framebuffer: direct RGB x8r8g8b8 */
	cr_expect_eq(rd64(i + MBI_FB_ADDR), LAYOUT_FB_START);
	cr_expect_eq(rd32(i + MBI_FB_PITCH), 3200);
	cr_expect_eq(rd32(i + MBI_FB_WIDTH), 800);
	cr_expect_eq(rd32(i + MBI_FB_HEIGHT), 600);
	const uint8_t *ci = guest_mem_ptr(&mem, i + MBI_FB_BPP, 8);
	cr_expect_eq(ci[0], 32);
	cr_expect_eq(ci[1], 1);
	cr_expect_eq(ci[2], 16); cr_expect_eq(ci[3], 8);
	cr_expect_eq(ci[4], 8); cr_expect_eq(ci[5], 8);
	cr_expect_eq(ci[6], 0); cr_expect_eq(ci[7], 8);
}

Test(multiboot, no_cmdline_no_mods_no_fb)
{
	static uint8_t img[0x2000];
	size_t len = make_elf(img, 0, 0x100, 0x100);
	struct multiboot_params p = { .kernel = img, .kernel_len = len };
	struct multiboot_result res;
	char err[256] = "";

	cr_assert_eq(multiboot_load(&mem, &p, &res, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(rd32(res.info_addr) & (MB_INFO_CMDLINE | MB_INFO_MODS | MB_INFO_FRAMEBUFFER), 0);
}

Test(multiboot, aout_kludge)
{
	/* Flat image: header at file offset 0 = address 0x200000; load all
	 * 0x40 bytes, bss to 0x201000, entry 0x200020. */
	uint8_t img[0x40] = { 0 };
	uint32_t flags = MB_HDR_AOUT_KLUDGE;
	uint32_t h[8] = { MULTIBOOT_HEADER_MAGIC, flags, -(MULTIBOOT_HEADER_MAGIC + flags),
			  0x200000, 0x200000, 0x200040, 0x201000, 0x200020 };
	struct multiboot_result res;
	char err[256] = "";

	memcpy(img, h, sizeof(h));
	img[0x3f] = 0x5a;
	memset(guest_mem_ptr(&mem, 0x200040, 16), 0xee, 16);
	struct multiboot_params p = { .kernel = img, .kernel_len = sizeof(img) };
	cr_assert_eq(multiboot_load(&mem, &p, &res, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(res.entry, 0x200020);
	cr_expect_eq(((uint8_t *)guest_mem_ptr(&mem, 0x20003f, 1))[0], 0x5a);
	cr_expect_eq(((uint8_t *)guest_mem_ptr(&mem, 0x200040, 1))[0], 0, "bss not cleared");
	cr_expect_eq(res.kernel_end, 0x201000);
}

static void expect_fail(const uint8_t *img, size_t len, const char *msg)
{
	struct multiboot_params p = { .kernel = img, .kernel_len = len };
	struct multiboot_result res;
	char err[256] = "";
	cr_expect_neq(multiboot_load(&mem, &p, &res, err, sizeof(err)), 0, "accepted: %s", msg);
	cr_expect(strstr(err, msg) != NULL, "'%s' lacks '%s'", err, msg);
}

Test(multiboot, hostile_images)
{
	static uint8_t img[0x3000];
	size_t len;

	memset(img, 0x90, sizeof(img));
	expect_fail(img, sizeof(img), "no Multiboot header");
	expect_fail(img, 0, "no Multiboot header");

	/* bad checksum = no header */
	len = make_elf(img, 0, 0x100, 0x100);
	img[0x100 + 8] ^= 1;
	expect_fail(img, len, "no Multiboot header");

	/* unknown required flag */
	len = make_elf(img, 1u << 7, 0x100, 0x100);
	expect_fail(img, len, "unsupported features");

	/* segment past the end of RAM */
	len = make_elf(img, 0, 0x100, 0x100);
	Elf32_Phdr *ph = (Elf32_Phdr *)(img + sizeof(Elf32_Ehdr));
	ph->p_paddr = (uint32_t)MEM - 0x80;
	expect_fail(img, len, "does not fit in guest RAM");

	/* segment over the boot info area */
	len = make_elf(img, 0, 0x100, 0x100);
	ph->p_paddr = LAYOUT_BOOT_INFO;
	expect_fail(img, len, "overlaps memory vmdeck uses");

	/* file range outside the file */
	len = make_elf(img, 0, 0x100, 0x100);
	ph->p_filesz = 0x10000;
	ph->p_memsz = 0x10000;
	expect_fail(img, len, "outside the file");

	/* filesz > memsz */
	len = make_elf(img, 0, 0x100, 0x100);
	ph->p_memsz = 0x10;
	expect_fail(img, len, "bad sizes");

	/* program headers out of bounds */
	len = make_elf(img, 0, 0x100, 0x100);
	((Elf32_Ehdr *)img)->e_phnum = 60000;
	expect_fail(img, len, "program headers out of bounds");

	/* wrapping segment */
	len = make_elf(img, 0, 0x100, 0x100);
	ph->p_paddr = 0xfffffff0;
	ph->p_memsz = 0x100;
	expect_fail(img, len, "does not fit");

	/* a.out kludge: load_end beyond the file */
	uint32_t flags = MB_HDR_AOUT_KLUDGE;
	uint32_t h[8] = { MULTIBOOT_HEADER_MAGIC, flags, -(MULTIBOOT_HEADER_MAGIC + flags),
			  0x200000, 0x200000, 0x300000, 0, 0x200000 };
	memcpy(img, h, sizeof(h));
	expect_fail(img, 64, "load_end_addr");
	/* header_addr below load_addr */
	h[3] = 0x100000;
	memcpy(img, h, sizeof(h));
	expect_fail(img, 64, "inconsistent");
	/* header truncated */
	expect_fail(img, 16, "truncated");
}

Test(multiboot, too_many_modules)
{
	static uint8_t img[0x2000];
	size_t len = make_elf(img, 0, 0x100, 0x100);
	static struct multiboot_blob mods[MULTIBOOT_MAX_MODULES + 1];
	struct multiboot_params p = { .kernel = img, .kernel_len = len, .mods = mods,
				      .nmods = MULTIBOOT_MAX_MODULES + 1 };
	struct multiboot_result res;
	char err[256] = "";
	cr_expect_eq(multiboot_load(&mem, &p, &res, err, sizeof(err)), -E2BIG);
}

Test(multiboot, module_too_big)
{
	static uint8_t img[0x2000];
	size_t len = make_elf(img, 0, 0x100, 0x100);
	struct multiboot_blob mod = { img, MEM, "" };
	struct multiboot_params p = { .kernel = img, .kernel_len = len, .mods = &mod, .nmods = 1 };
	struct multiboot_result res;
	char err[256] = "";
	cr_expect_eq(multiboot_load(&mem, &p, &res, err, sizeof(err)), -ENOSPC);
	cr_expect(strstr(err, "module 1") != NULL, "%s", err);
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	while (n--)
		s += *p++;
	return s;
}

Test(mptable, structure_and_checksums)
{
	static uint8_t buf[8192];
	struct mptable_pci_irq pci[1] = { { .dev = 3, .pin = 0, .gsi = 16 } };
	int n = mptable_build(buf, sizeof(buf), 0xF0000, 4, pci, 1);
	uint16_t len, count;
	uint32_t addr;

	cr_assert_gt(n, 0);
	cr_expect_eq(memcmp(buf, "_MP_", 4), 0);
	memcpy(&addr, buf + 4, 4);
	cr_expect_eq(addr, 0xF0010);
	cr_expect_eq(sum(buf, 16), 0, "floating pointer checksum");
	cr_expect_eq(memcmp(buf + 16, "PCMP", 4), 0);
	memcpy(&len, buf + 16 + 4, 2);
	memcpy(&count, buf + 16 + 34, 2);
	cr_expect_eq(sum(buf + 16, len), 0, "table checksum");
	cr_expect_eq(16 + len, n);
	/* 4 CPUs, 2 buses, 1 IOAPIC, 15 ISA irqs, 1 PCI irq, 2 local */
	cr_expect_eq(count, 4 + 2 + 1 + 15 + 1 + 2);
	/* first processor entry is the BSP with APIC id 0, enabled */
	cr_expect_eq(buf[16 + 44], 0);
	cr_expect_eq(buf[16 + 44 + 1], 0);
	cr_expect_eq(buf[16 + 44 + 3], 3);
	cr_expect_eq(buf[16 + 44 + 20 + 1], 1);
	cr_expect_eq(buf[16 + 44 + 20 + 3], 1);
}

Test(mptable, limits)
{
	static uint8_t buf[8192];
	cr_expect_lt(mptable_build(buf, 100, 0xF0000, 4, NULL, 0), 0);
	cr_expect_lt(mptable_build(buf, sizeof(buf), 0xF0000, 0, NULL, 0), 0);
	cr_expect_gt(mptable_build(buf, sizeof(buf), 0xF0000, 254, NULL, 0), 0);
	cr_expect_lt(mptable_build(buf, sizeof(buf), 0xF0000, 255, NULL, 0), 0);
}

TestSuite(guest_mem, .init = setup, .fini = teardown);

Test(guest_mem, layout_and_bounds)
{
	struct guest_region r[2];
	cr_expect_eq(guest_mem_layout(64ULL << 20, r), 1);
	cr_expect_eq(guest_mem_layout(4ULL << 30, r), 2);
	cr_expect_eq(r[0].size, LAYOUT_PCI_HOLE_START);
	cr_expect_eq(r[1].gpa, LAYOUT_4G);
	cr_expect_eq(r[1].size, (4ULL << 30) - LAYOUT_PCI_HOLE_START);
	cr_expect_eq(r[1].offset, LAYOUT_PCI_HOLE_START);

	cr_expect_not_null(guest_mem_ptr(&mem, 0, MEM));
	cr_expect_null(guest_mem_ptr(&mem, 0, MEM + 1));
	cr_expect_null(guest_mem_ptr(&mem, MEM, 0));
	cr_expect_null(guest_mem_ptr(&mem, MEM - 1, 2));
	cr_expect_null(guest_mem_ptr(&mem, 1, UINT64_MAX));
	cr_expect_null(guest_mem_ptr(&mem, UINT64_MAX, 2));
	cr_expect_null(guest_mem_ptr(&mem, LAYOUT_4G, 1));
}
