/* Multiboot v1 loader; see multiboot.h. Section numbers refer to the
 * Multiboot Specification version 0.6.96. */
#include <elf.h>
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "x86/layout.h"
#include "x86/multiboot.h"

/* Boot-info area, all inside [LAYOUT_BOOT_INFO, LAYOUT_BOOT_INFO_END). */
#define MBI_ADDR      LAYOUT_BOOT_INFO
#define MBI_MMAP      (LAYOUT_BOOT_INFO + 0x100)
#define MBI_MODS      (LAYOUT_BOOT_INFO + 0x400)
#define MBI_STRINGS   (LAYOUT_BOOT_INFO + 0x800)

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24;
}

static void wr64(uint8_t *p, uint64_t v)
{
	wr32(p, (uint32_t)v);
	wr32(p + 4, (uint32_t)(v >> 32));
}

int multiboot_find_header(const uint8_t *img, size_t len, struct multiboot_header *h,
			  char *err, size_t errlen)
{
	size_t lim = len < MULTIBOOT_SEARCH ? len : MULTIBOOT_SEARCH;

	/* 3.1.1: 32-bit aligned, wholly within the first 8192 bytes. */
	for (size_t off = 0; off + 12 <= lim; off += 4) {
		uint32_t magic = rd32(img + off), flags, sum;
		if (magic != MULTIBOOT_HEADER_MAGIC)
			continue;
		flags = rd32(img + off + 4);
		sum = rd32(img + off + 8);
		if ((uint32_t)(magic + flags + sum) != 0)
			continue; /* not a header: checksum must make the sum zero */
		memset(h, 0, sizeof(*h));
		h->offset = (uint32_t)off;
		h->flags = flags;
		/* 3.1.2: bits 0-15 are requirements; refuse any we do not know. */
		if (flags & 0xfff8u) {
			snprintf(err, errlen, "Multiboot header requires unsupported features "
				 "(flags 0x%08x)", flags);
			return -EINVAL;
		}
		if (flags & MB_HDR_AOUT_KLUDGE) {
			if (off + 32 > len) {
				snprintf(err, errlen, "Multiboot header truncated (a.out fields)");
				return -EINVAL;
			}
			h->header_addr = rd32(img + off + 12);
			h->load_addr = rd32(img + off + 16);
			h->load_end_addr = rd32(img + off + 20);
			h->bss_end_addr = rd32(img + off + 24);
			h->entry_addr = rd32(img + off + 28);
		}
		if (flags & MB_HDR_VIDEO_MODE) {
			if (off + 48 > len) {
				snprintf(err, errlen, "Multiboot header truncated (video fields)");
				return -EINVAL;
			}
			h->mode_type = rd32(img + off + 32);
			h->width = rd32(img + off + 36);
			h->height = rd32(img + off + 40);
			h->depth = rd32(img + off + 44);
		}
		return 0;
	}
	snprintf(err, errlen, "no Multiboot header in the first 8 KiB (not a Multiboot kernel)");
	return -ENOEXEC;
}

/* Copies file bytes to guest [gpa, gpa+filesz) and zeroes up to memsz. The
 * destination must be RAM outside the boot-info and legacy areas. */
static int place(struct guest_mem *m, uint64_t gpa, const uint8_t *src, uint64_t filesz,
		 uint64_t memsz, char *err, size_t errlen)
{
	uint8_t *dst;

	if (filesz > memsz || gpa + memsz < gpa) {
		snprintf(err, errlen, "segment at 0x%llx: bad sizes", (unsigned long long)gpa);
		return -EINVAL;
	}
	if (memsz == 0)
		return 0;
	/* Areas vmdeck fills itself: the boot information and the MP table. */
	if ((gpa < LAYOUT_BOOT_INFO_END && gpa + memsz > LAYOUT_BOOT_INFO) ||
	    (gpa < LAYOUT_MPTABLE_END && gpa + memsz > LAYOUT_MPTABLE)) {
		snprintf(err, errlen, "segment 0x%llx-0x%llx overlaps memory vmdeck uses for "
			 "boot information (0x%llx-0x%llx, 0x%llx-0x%llx)",
			 (unsigned long long)gpa, (unsigned long long)(gpa + memsz),
			 LAYOUT_BOOT_INFO, LAYOUT_BOOT_INFO_END, LAYOUT_MPTABLE, LAYOUT_MPTABLE_END);
		return -EINVAL;
	}
	dst = guest_mem_ptr(m, gpa, memsz);
	if (!dst) {
		snprintf(err, errlen, "segment 0x%llx-0x%llx does not fit in guest RAM "
			 "(%llu MiB)", (unsigned long long)gpa,
			 (unsigned long long)(gpa + memsz), (unsigned long long)(m->size >> 20));
		return -ENOSPC;
	}
	memcpy(dst, src, filesz);
	memset(dst + filesz, 0, memsz - filesz);
	return 0;
}

static void span(struct multiboot_result *res, uint64_t start, uint64_t end)
{
	if (res->kernel_end == 0 || start < res->kernel_start)
		res->kernel_start = start;
	if (end > res->kernel_end)
		res->kernel_end = end;
}

static int load_aout_kludge(struct guest_mem *m, const struct multiboot_params *p,
			    struct multiboot_result *res, char *err, size_t errlen)
{
	const struct multiboot_header *h = &res->hdr;
	uint64_t file_off, load_len, bss_end;

	/* 3.1.3: header_addr corresponds to the header's file offset. */
	if (h->load_addr > h->header_addr || h->header_addr - h->load_addr > h->offset) {
		snprintf(err, errlen, "Multiboot a.out kludge: load_addr 0x%x / header_addr 0x%x "
			 "inconsistent with header offset %u", h->load_addr, h->header_addr, h->offset);
		return -EINVAL;
	}
	file_off = h->offset - (h->header_addr - h->load_addr);
	if (h->load_end_addr == 0)
		load_len = p->kernel_len - file_off;
	else if (h->load_end_addr < h->load_addr ||
		 h->load_end_addr - h->load_addr > p->kernel_len - file_off) {
		snprintf(err, errlen, "Multiboot a.out kludge: load_end_addr 0x%x outside the file",
			 h->load_end_addr);
		return -EINVAL;
	} else
		load_len = h->load_end_addr - h->load_addr;
	bss_end = h->bss_end_addr ? h->bss_end_addr : h->load_addr + load_len;
	if (bss_end < h->load_addr + load_len) {
		snprintf(err, errlen, "Multiboot a.out kludge: bss_end_addr 0x%x below load end",
			 h->bss_end_addr);
		return -EINVAL;
	}
	int r = place(m, h->load_addr, p->kernel + file_off, load_len, bss_end - h->load_addr,
		      err, errlen);
	if (r)
		return r;
	span(res, h->load_addr, bss_end);
	res->entry = h->entry_addr;
	return 0;
}

/* ELF program headers, 32- or 64-bit, read field by field with bounds checks. */
static int load_elf(struct guest_mem *m, const struct multiboot_params *p,
		    struct multiboot_result *res, char *err, size_t errlen)
{
	const uint8_t *img = p->kernel;
	size_t len = p->kernel_len;
	bool is64;
	uint64_t entry, phoff;
	unsigned phnum, phentsize;
	int loaded = 0;

	if (len < EI_NIDENT || memcmp(img, ELFMAG, SELFMAG)) {
		snprintf(err, errlen, "not an ELF file and no a.out kludge in the Multiboot header");
		return -ENOEXEC;
	}
	if (img[EI_DATA] != ELFDATA2LSB || (img[EI_CLASS] != ELFCLASS32 && img[EI_CLASS] != ELFCLASS64)) {
		snprintf(err, errlen, "unsupported ELF class/byte order (need little-endian ELF32/ELF64)");
		return -ENOEXEC;
	}
	is64 = img[EI_CLASS] == ELFCLASS64;
	if (len < (is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr))) {
		snprintf(err, errlen, "ELF header truncated");
		return -ENOEXEC;
	}
	if (is64) {
		Elf64_Ehdr eh;
		memcpy(&eh, img, sizeof(eh));
		entry = eh.e_entry; phoff = eh.e_phoff; phnum = eh.e_phnum; phentsize = eh.e_phentsize;
		if (eh.e_machine != EM_X86_64 && eh.e_machine != EM_386)
			goto bad_machine;
	} else {
		Elf32_Ehdr eh;
		memcpy(&eh, img, sizeof(eh));
		entry = eh.e_entry; phoff = eh.e_phoff; phnum = eh.e_phnum; phentsize = eh.e_phentsize;
		if (eh.e_machine != EM_386 && eh.e_machine != EM_X86_64)
			goto bad_machine;
	}
	if (phentsize != (is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)) || phnum == 0 ||
	    phnum > 256 || phoff > len || (uint64_t)phnum * phentsize > len - phoff) {
		snprintf(err, errlen, "ELF program headers out of bounds");
		return -ENOEXEC;
	}
	res->entry = 0;
	for (unsigned i = 0; i < phnum; i++) {
		uint64_t type, off, paddr, vaddr, filesz, memsz;
		const uint8_t *ph = img + phoff + (uint64_t)i * phentsize;
		if (is64) {
			Elf64_Phdr h;
			memcpy(&h, ph, sizeof(h));
			type = h.p_type; off = h.p_offset; paddr = h.p_paddr; vaddr = h.p_vaddr;
			filesz = h.p_filesz; memsz = h.p_memsz;
		} else {
			Elf32_Phdr h;
			memcpy(&h, ph, sizeof(h));
			type = h.p_type; off = h.p_offset; paddr = h.p_paddr; vaddr = h.p_vaddr;
			filesz = h.p_filesz; memsz = h.p_memsz;
		}
		if (type != PT_LOAD || memsz == 0)
			continue;
		if (off > len || filesz > len - off) {
			snprintf(err, errlen, "ELF segment %u: file range outside the file", i);
			return -ENOEXEC;
		}
		int r = place(m, paddr, img + off, filesz, memsz, err, errlen);
		if (r)
			return r;
		span(res, paddr, paddr + memsz);
		/* An entry given as a virtual address inside this segment is
		 * translated to its physical address, as GRUB does. */
		if (entry >= vaddr && entry - vaddr < memsz)
			res->entry = (uint32_t)(paddr + (entry - vaddr));
		loaded++;
	}
	if (!loaded) {
		snprintf(err, errlen, "ELF has no loadable segments");
		return -ENOEXEC;
	}
	if (!res->entry) {
		if (entry >> 32) {
			snprintf(err, errlen, "ELF entry point 0x%llx is not a 32-bit address",
				 (unsigned long long)entry);
			return -ENOEXEC;
		}
		res->entry = (uint32_t)entry;
	}
	return 0;
bad_machine:
	snprintf(err, errlen, "ELF is not an x86 executable");
	return -ENOEXEC;
}

/* Appends a NUL-terminated string to the string area; returns its address. */
static int put_string(struct guest_mem *m, uint64_t *cursor, const char *s, uint32_t *addr,
		      char *err, size_t errlen)
{
	size_t n = strlen(s) + 1;
	uint8_t *dst;

	if (n > LAYOUT_BOOT_INFO_END - *cursor) {
		snprintf(err, errlen, "command lines too long for the boot information area");
		return -E2BIG;
	}
	dst = guest_mem_ptr(m, *cursor, n);
	if (!dst) {
		snprintf(err, errlen, "guest RAM too small for boot information");
		return -ENOSPC;
	}
	memcpy(dst, s, n);
	*addr = (uint32_t)*cursor;
	*cursor += n;
	return 0;
}

static unsigned build_mmap(struct guest_mem *m, uint8_t *out)
{
	struct { uint64_t base, len; uint32_t type; } e[8];
	unsigned n = 0;
	uint64_t low_end = m->regions[0].gpa + m->regions[0].size;

	e[n++] = (typeof(e[0])){ 0, LAYOUT_EBDA_START, 1 };
	e[n++] = (typeof(e[0])){ LAYOUT_EBDA_START, LAYOUT_HIGH_RAM_START - LAYOUT_EBDA_START, 2 };
	if (low_end > LAYOUT_HIGH_RAM_START)
		e[n++] = (typeof(e[0])){ LAYOUT_HIGH_RAM_START, low_end - LAYOUT_HIGH_RAM_START, 1 };
	for (unsigned i = 1; i < m->nregions; i++)
		e[n++] = (typeof(e[0])){ m->regions[i].gpa, m->regions[i].size, 1 };
	/* 3.3: each entry is size (not counting itself) + base + length + type. */
	for (unsigned i = 0; i < n; i++) {
		uint8_t *p = out + i * 24;
		wr32(p, 20);
		wr64(p + 4, e[i].base);
		wr64(p + 12, e[i].len);
		wr32(p + 20, e[i].type);
	}
	return n * 24;
}

int multiboot_load(struct guest_mem *m, const struct multiboot_params *p,
		   struct multiboot_result *res, char *err, size_t errlen)
{
	uint8_t *info, *mods;
	uint64_t cursor = MBI_STRINGS, next;
	uint32_t flags = MB_INFO_MEMORY | MB_INFO_MEM_MAP | MB_INFO_LOADER_NAME;
	uint32_t addr, mmap_len;
	uint64_t low_end;
	int r;

	memset(res, 0, sizeof(*res));
	if (p->nmods > MULTIBOOT_MAX_MODULES) {
		snprintf(err, errlen, "too many modules (%u, at most %d)", p->nmods,
			 MULTIBOOT_MAX_MODULES);
		return -E2BIG;
	}
	r = multiboot_find_header(p->kernel, p->kernel_len, &res->hdr, err, errlen);
	if (r)
		return r;
	if (res->hdr.flags & MB_HDR_AOUT_KLUDGE)
		r = load_aout_kludge(m, p, res, err, errlen);
	else
		r = load_elf(m, p, res, err, errlen);
	if (r)
		return r;
	if (!guest_mem_ptr(m, res->entry, 1)) {
		snprintf(err, errlen, "entry point 0x%x is not in guest RAM", res->entry);
		return -ENOEXEC;
	}

	info = guest_mem_ptr(m, MBI_ADDR, MBI_STRINGS - MBI_ADDR);
	if (!info) {
		snprintf(err, errlen, "guest RAM too small for boot information");
		return -ENOSPC;
	}
	memset(info, 0, MBI_STRINGS - MBI_ADDR);

	/* 3.3 mem_lower/mem_upper in KiB: upper is contiguous RAM from 1 MiB
	 * to the first hole. */
	low_end = m->regions[0].gpa + m->regions[0].size;
	wr32(info + MBI_MEM_LOWER, (uint32_t)(LAYOUT_LOW_RAM_END >> 10));
	wr32(info + MBI_MEM_UPPER, low_end > LAYOUT_HIGH_RAM_START ?
	     (uint32_t)((low_end - LAYOUT_HIGH_RAM_START) >> 10) : 0);

	mmap_len = build_mmap(m, info + (MBI_MMAP - MBI_ADDR));
	wr32(info + MBI_MMAP_LENGTH, mmap_len);
	wr32(info + MBI_MMAP_ADDR, (uint32_t)MBI_MMAP);

	r = put_string(m, &cursor, "vmdeck", &addr, err, errlen);
	if (r)
		return r;
	wr32(info + MBI_LOADER_NAME, addr);
	if (p->cmdline) {
		r = put_string(m, &cursor, p->cmdline, &addr, err, errlen);
		if (r)
			return r;
		wr32(info + MBI_CMDLINE, addr);
		flags |= MB_INFO_CMDLINE;
	}

	/* Modules follow the kernel, page-aligned (3.1.2 bit 0 asks for it; we
	 * always align). */
	next = (res->kernel_end + 4095) & ~4095ULL;
	mods = info + (MBI_MODS - MBI_ADDR);
	for (unsigned i = 0; i < p->nmods; i++) {
		const struct multiboot_blob *b = &p->mods[i];
		uint8_t *dst = guest_mem_ptr(m, next, b->len);
		if (!dst || next + b->len > m->regions[0].gpa + m->regions[0].size) {
			snprintf(err, errlen, "module %u (%zu bytes) does not fit in guest RAM "
				 "below 3 GiB", i + 1, b->len);
			return -ENOSPC;
		}
		memcpy(dst, b->data, b->len);
		wr32(mods + i * 16, (uint32_t)next);
		wr32(mods + i * 16 + 4, (uint32_t)(next + b->len));
		r = put_string(m, &cursor, b->string ? b->string : "", &addr, err, errlen);
		if (r)
			return r;
		wr32(mods + i * 16 + 8, addr);
		next = (next + b->len + 4095) & ~4095ULL;
	}
	if (p->nmods) {
		wr32(info + MBI_MODS_COUNT, p->nmods);
		wr32(info + MBI_MODS_ADDR, (uint32_t)MBI_MODS);
		flags |= MB_INFO_MODS;
	}

	/* 3.3 framebuffer: direct RGB (type 1), x8r8g8b8. Offered when the VM
	 * has a display; the header's video request is a preference only. */
	if (p->fb) {
		wr64(info + MBI_FB_ADDR, p->fb->addr);
		wr32(info + MBI_FB_PITCH, p->fb->pitch);
		wr32(info + MBI_FB_WIDTH, p->fb->width);
		wr32(info + MBI_FB_HEIGHT, p->fb->height);
		info[MBI_FB_BPP] = 32;
		info[MBI_FB_TYPE] = 1;
		info[MBI_FB_COLOR_INFO + 0] = 16; /* red position */
		info[MBI_FB_COLOR_INFO + 1] = 8;
		info[MBI_FB_COLOR_INFO + 2] = 8;  /* green */
		info[MBI_FB_COLOR_INFO + 3] = 8;
		info[MBI_FB_COLOR_INFO + 4] = 0;  /* blue */
		info[MBI_FB_COLOR_INFO + 5] = 8;
		flags |= MB_INFO_FRAMEBUFFER;
	}
	wr32(info + MBI_FLAGS, flags);
	res->info_addr = (uint32_t)MBI_ADDR;
	return 0;
}

static void flat_seg(struct kvm_segment *s, uint16_t sel, uint8_t type)
{
	*s = (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
		.present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1,
	};
}

int multiboot_setup_cpu(int vcpu_fd, const struct multiboot_result *res)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (ioctl(vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		return -errno;
	/* 3.2: CS 32-bit read/execute code with offset 0 and limit 0xFFFFFFFF;
	 * DS, ES, FS, GS, SS read/write data, same base/limit; CR0 PG clear,
	 * PE set; EFLAGS VM and IF clear. GDTR/IDTR are the OS's job. */
	flat_seg(&sregs.cs, 0x10, 0xb);
	flat_seg(&sregs.ds, 0x18, 0x3);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.cr0 = (sregs.cr0 | 1u | (1u << 4)) & ~(1u << 31); /* PE, ET; no PG */
	sregs.cr4 = 0;
	sregs.efer = 0;
	if (ioctl(vcpu_fd, KVM_SET_SREGS, &sregs) < 0)
		return -errno;
	memset(&regs, 0, sizeof(regs));
	regs.rip = res->entry;
	regs.rax = MULTIBOOT_BOOTLOADER_MAGIC;
	regs.rbx = res->info_addr;
	regs.rflags = 0x2;
	if (ioctl(vcpu_fd, KVM_SET_REGS, &regs) < 0)
		return -errno;
	return 0;
}
