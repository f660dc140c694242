/* Multiboot v1 loader (Multiboot Specification 0.6.96): ELF32/ELF64 images
 * or the a.out kludge (header flags bit 16), boot information with memory
 * sizes, a memory map, command line, modules and framebuffer info. */
#ifndef VMDECK_X86_MULTIBOOT_H
#define VMDECK_X86_MULTIBOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memory.h"

#define MULTIBOOT_HEADER_MAGIC     0x1BADB002u
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u
#define MULTIBOOT_SEARCH           8192 /* spec 3.1.1: header within 8 KiB */

/* Header flags (spec 3.1.2). */
#define MB_HDR_PAGE_ALIGN  (1u << 0)
#define MB_HDR_MEMORY_INFO (1u << 1)
#define MB_HDR_VIDEO_MODE  (1u << 2)
#define MB_HDR_AOUT_KLUDGE (1u << 16)

/* Info flags (spec 3.3). */
#define MB_INFO_MEMORY      (1u << 0)
#define MB_INFO_CMDLINE     (1u << 2)
#define MB_INFO_MODS        (1u << 3)
#define MB_INFO_MEM_MAP     (1u << 6)
#define MB_INFO_LOADER_NAME (1u << 9)
#define MB_INFO_FRAMEBUFFER (1u << 12)

/* Offsets inside struct multiboot_info (spec 3.3), little-endian. */
#define MBI_FLAGS 0
#define MBI_MEM_LOWER 4
#define MBI_MEM_UPPER 8
#define MBI_CMDLINE 16
#define MBI_MODS_COUNT 20
#define MBI_MODS_ADDR 24
#define MBI_MMAP_LENGTH 44
#define MBI_MMAP_ADDR 48
#define MBI_LOADER_NAME 64
#define MBI_FB_ADDR 88
#define MBI_FB_PITCH 96
#define MBI_FB_WIDTH 100
#define MBI_FB_HEIGHT 104
#define MBI_FB_BPP 108
#define MBI_FB_TYPE 109
#define MBI_FB_COLOR_INFO 110
#define MBI_SIZE 116

#define MULTIBOOT_MAX_MODULES 64

struct multiboot_header {
	uint32_t offset; /* where in the file the header starts */
	uint32_t flags;
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
	uint32_t mode_type, width, height, depth;
};

struct multiboot_blob {
	const uint8_t *data;
	size_t len;
	const char *string; /* module command line */
};

struct multiboot_fb {
	uint64_t addr;
	uint32_t width, height, pitch; /* 32 bpp x8r8g8b8 */
};

struct multiboot_params {
	const uint8_t *kernel;
	size_t kernel_len;
	const char *cmdline;
	const struct multiboot_blob *mods;
	unsigned nmods;
	const struct multiboot_fb *fb; /* NULL: no framebuffer to offer */
};

struct multiboot_result {
	uint32_t entry;
	uint32_t info_addr;
	uint64_t kernel_start, kernel_end; /* guest-physical span loaded */
	struct multiboot_header hdr;
};

/* Finds and validates the header; returns 0, -ENOEXEC (none), -EINVAL (bad). */
int multiboot_find_header(const uint8_t *img, size_t len, struct multiboot_header *h,
			  char *err, size_t errlen);
/* Loads the image and modules into guest RAM and builds the info block. */
int multiboot_load(struct guest_mem *m, const struct multiboot_params *p,
		   struct multiboot_result *res, char *err, size_t errlen);
/* Puts a vCPU in the Multiboot entry state (spec 3.2): 32-bit protected mode,
 * flat segments, paging off, interrupts off, EAX magic, EBX info. */
int multiboot_setup_cpu(int vcpu_fd, const struct multiboot_result *res);

#endif
