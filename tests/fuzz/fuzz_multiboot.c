/* The Multiboot v1 loader over a kernel image from the input, into 16 MiB
 * of guest RAM that is a plain buffer (no KVM). Input layout:
 *   u8 flags (bit 0: offer a framebuffer; bits 1-2: number of modules),
 *   u16 command line length, u16 length of each module, then the command
 *   line, the modules and the kernel image (the rest). A load that succeeds
 *   must leave the info block, entry and kernel span inside RAM. */
#include <elf.h>
#include <errno.h>

#include "fuzz_util.h"
#include "x86/layout.h"
#include "x86/multiboot.h"

#define MEM (16ULL << 20)

static struct guest_mem mem;

static void write_seeds(const char *dir);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	mem.hva = calloc(1, MEM);
	mem.size = MEM;
	mem.memfd = -1;
	mem.nregions = guest_mem_layout(MEM, mem.regions);
	if (getenv("VMDECK_FUZZ_SEEDS"))
		write_seeds(getenv("VMDECK_FUZZ_SEEDS"));
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct multiboot_blob mods[3];
	struct multiboot_fb fb = { .addr = LAYOUT_FB_START, .width = 640, .height = 480,
				   .pitch = 2560 };
	struct multiboot_params p = { 0 };
	struct multiboot_result res;
	struct multiboot_header h;
	char err[512], *cmdline;
	uint8_t fl = fuzz_u8(&in);
	size_t clen = fuzz_u16(&in) % 8192, mlen = fuzz_u16(&in);

	if (clen > in.len)
		clen = in.len;
	cmdline = malloc(clen + 1);
	memcpy(cmdline, in.p, clen);
	cmdline[clen] = 0;
	in.p += clen;
	in.len -= clen;
	p.cmdline = cmdline;
	p.nmods = (fl >> 1) & 3;
	for (unsigned i = 0; i < p.nmods; i++) {
		size_t n = mlen < in.len ? mlen : in.len;
		mods[i] = (struct multiboot_blob){ in.p, n, i == 1 ? cmdline : "mod" };
		in.p += n;
		in.len -= n;
	}
	p.mods = mods;
	p.fb = (fl & 1) ? &fb : NULL;
	/* The kernel gets its own allocation, so ASan sees reads past its end. */
	uint8_t *k = malloc(in.len ? in.len : 1);
	memcpy(k, in.p, in.len);
	p.kernel = k;
	p.kernel_len = in.len;

	multiboot_find_header(k, in.len, &h, err, sizeof(err));
	if (multiboot_load(&mem, &p, &res, err, sizeof(err)) == 0) {
		if (!guest_mem_ptr(&mem, res.info_addr, MBI_SIZE) ||
		    res.kernel_end < res.kernel_start ||
		    (res.kernel_end > res.kernel_start &&
		     !guest_mem_ptr(&mem, res.kernel_start, res.kernel_end - res.kernel_start))) {
			fprintf(stderr, "fuzz_multiboot: loaded outside RAM: info 0x%x kernel 0x%llx-0x%llx\n",
				res.info_addr, (unsigned long long)res.kernel_start,
				(unsigned long long)res.kernel_end);
			abort();
		}
	}
	free(k);
	free(cmdline);
	return 0;
}

/* VMDECK_FUZZ_SEEDS=DIR writes tests/fuzz/corpus/multiboot and exits: an
 * ELF32 kernel with two modules and a framebuffer, an ELF64 one, and an
 * a.out-kludge flat image. */
static size_t elf32(uint8_t *buf, uint32_t flags)
{
	Elf32_Ehdr eh = { 0 };
	Elf32_Phdr ph = { 0 };
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
	ph.p_offset = 0x80;
	ph.p_vaddr = ph.p_paddr = 0x100000;
	ph.p_filesz = 0x40;
	ph.p_memsz = 0x2000;
	memcpy(buf, &eh, sizeof(eh));
	memcpy(buf + sizeof(eh), &ph, sizeof(ph));
	memcpy(buf + 0x80, hdr, sizeof(hdr));
	return 0xc0;
}

static size_t elf64(uint8_t *buf)
{
	Elf64_Ehdr eh = { 0 };
	Elf64_Phdr ph = { 0 };
	uint32_t hdr[3] = { MULTIBOOT_HEADER_MAGIC, 0, -MULTIBOOT_HEADER_MAGIC };

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_X86_64;
	eh.e_entry = 0x200000;
	eh.e_phoff = sizeof(eh);
	eh.e_phentsize = sizeof(ph);
	eh.e_phnum = 1;
	ph.p_type = PT_LOAD;
	ph.p_offset = 0x100;
	ph.p_vaddr = ph.p_paddr = 0x200000;
	ph.p_filesz = 0x40;
	ph.p_memsz = 0x1000;
	memcpy(buf, &eh, sizeof(eh));
	memcpy(buf + sizeof(eh), &ph, sizeof(ph));
	memcpy(buf + 0x100, hdr, sizeof(hdr));
	return 0x140;
}

static size_t aout(uint8_t *buf)
{
	uint32_t fl = MB_HDR_AOUT_KLUDGE | MB_HDR_MEMORY_INFO;
	uint32_t hdr[8] = { MULTIBOOT_HEADER_MAGIC, fl, -(MULTIBOOT_HEADER_MAGIC + fl),
			    0x200000, 0x200000, 0x200080, 0x201000, 0x200020 };
	memcpy(buf, hdr, sizeof(hdr));
	return 0x80;
}

static void seed(const char *dir, const char *name, uint8_t fl, const char *cmd,
		 const char *mod, size_t (*mk)(uint8_t *))
{
	uint8_t f[1024] = { 0 }, kern[512] = { 0 };
	size_t n = 0, cl = strlen(cmd), ml = strlen(mod), kl = mk(kern);
	char path[512];

	f[n++] = fl;
	f[n++] = (uint8_t)cl;
	f[n++] = 0;
	f[n++] = (uint8_t)ml;
	f[n++] = 0;
	memcpy(f + n, cmd, cl);
	n += cl;
	for (unsigned i = 0; i < ((fl >> 1) & 3u); i++) {
		memcpy(f + n, mod, ml);
		n += ml;
	}
	memcpy(f + n, kern, kl);
	n += kl;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fuzz_write_file(path, f, n);
}

static size_t elf32_plain(uint8_t *b) { return elf32(b, MB_HDR_PAGE_ALIGN | MB_HDR_MEMORY_INFO); }
static size_t elf32_video(uint8_t *b) { return elf32(b, MB_HDR_MEMORY_INFO | MB_HDR_VIDEO_MODE); }

static void write_seeds(const char *dir)
{
	seed(dir, "elf32-mods-fb", 1 | 2 << 1, "console=ttyS0", "module", elf32_plain);
	seed(dir, "elf32-video", 1, "", "", elf32_video);
	seed(dir, "elf64", 0, "x=1", "", elf64);
	seed(dir, "aout-kludge", 1 << 1, "a.out", "m", aout);
	exit(0);
}
