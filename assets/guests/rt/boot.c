/* Multiboot v1 information (spec 0.6.96, section 3.3) and the command line.
 * Everything is copied out at entry so guests may reuse low memory. */
#include "rt.h"

struct boot_info boot;

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr, config_table, boot_loader_name, apm_table;
	uint32_t vbe_control_info, vbe_mode_info;
	uint16_t vbe_mode, vbe_interface_seg, vbe_interface_off, vbe_interface_len;
	uint64_t framebuffer_addr;
	uint32_t framebuffer_pitch, framebuffer_width, framebuffer_height;
	uint8_t framebuffer_bpp, framebuffer_type;
	uint8_t color_info[6];
} __attribute__((packed));

void boot_parse(uint32_t magic, uint32_t info);

void boot_parse(uint32_t magic, uint32_t info)
{
	boot.magic = magic;
	if (magic != 0x2BADB002 || !info)
		return;
	const struct mb_info *mb = (const struct mb_info *)(uintptr_t)info;
	boot.flags = mb->flags;
	if (mb->flags & (1u << 0)) {
		boot.mem_lower_kib = mb->mem_lower;
		boot.mem_upper_kib = mb->mem_upper;
	}
	if ((mb->flags & (1u << 2)) && mb->cmdline) {
		const char *s = (const char *)(uintptr_t)mb->cmdline;
		size_t i = 0;
		while (s[i] && i < sizeof(boot.cmdline) - 1) {
			boot.cmdline[i] = s[i];
			i++;
		}
		boot.cmdline[i] = 0;
	}
	if (mb->flags & (1u << 3)) {
		const uint32_t *m = (const uint32_t *)(uintptr_t)mb->mods_addr;
		for (uint32_t i = 0; i < mb->mods_count && boot.mods_count < 8; i++, m += 4) {
			boot.mods[boot.mods_count].start = m[0];
			boot.mods[boot.mods_count].end = m[1];
			boot.mods_count++;
		}
	}
	if (mb->flags & (1u << 6)) {
		/* Entries are {u32 size; u64 addr; u64 len; u32 type}, size excluding itself. */
		uintptr_t p = mb->mmap_addr, end = (uintptr_t)mb->mmap_addr + mb->mmap_length;
		while (p + 4 <= end && boot.mmap_count < 32) {
			uint32_t size = *(const uint32_t *)p;
			const uint8_t *e = (const uint8_t *)p + 4;
			struct mb_mmap_entry *d = &boot.mmap[boot.mmap_count++];
			memcpy(&d->addr, e, 8);
			memcpy(&d->len, e + 8, 8);
			memcpy(&d->type, e + 16, 4);
			if (size < 20)
				break;
			p += size + 4;
		}
	}
	if (mb->flags & (1u << 12)) {
		boot.has_fb = true;
		boot.fb_addr = mb->framebuffer_addr;
		boot.fb_pitch = mb->framebuffer_pitch;
		boot.fb_width = mb->framebuffer_width;
		boot.fb_height = mb->framebuffer_height;
		boot.fb_bpp = mb->framebuffer_bpp;
		boot.fb_type = mb->framebuffer_type;
		memcpy(boot.fb_rgb, mb->color_info, 6);
	}
}

bool cmdline_get(const char *key, char *out, size_t outlen)
{
	size_t klen = strlen(key);
	const char *p = boot.cmdline;

	while (*p) {
		while (*p == ' ')
			p++;
		const char *w = p;
		while (*p && *p != ' ')
			p++;
		if ((size_t)(p - w) > klen && !strncmp(w, key, klen) && w[klen] == '=') {
			size_t n = (size_t)(p - w) - klen - 1;
			if (n >= outlen)
				n = outlen - 1;
			memcpy(out, w + klen + 1, n);
			out[n] = 0;
			return true;
		}
	}
	return false;
}

uint64_t cmdline_u64(const char *key, uint64_t def)
{
	char v[32];
	if (!cmdline_get(key, v, sizeof(v)))
		return def;
	const char *s = v;
	unsigned base = 10;
	uint64_t r = 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		goto bad;
	for (; *s; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			break;
		r = r * base + d;
	}
	if (*s == 'k' || *s == 'K')
		r *= 1000, s++;
	else if (*s == 'm' || *s == 'M')
		r *= 1000000, s++;
	if (*s)
		goto bad;
	return r;
bad:
	kprintf("error: bad number in %s=%s\n", key, v);
	rt_exit(EXIT_USAGE);
}
