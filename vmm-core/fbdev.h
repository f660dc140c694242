/* Linear framebuffer: 32 bpp x8r8g8b8 guest memory in its own KVM memslot
 * with KVM_MEM_LOG_DIRTY_PAGES (api.rst 4.35, 4.8 KVM_GET_DIRTY_LOG), so
 * guest pixel writes cost no exit and the dirty bitmap says what changed.
 * The backing is a file (the runtime directory's "framebuffer", which the
 * dashboard maps read-only for its preview) or, without a path, a memfd.
 * The file starts with a 4 KiB header describing the mode (vmctl.h layout);
 * the pixels follow and are what the memslot maps. */
#ifndef VMDECK_FBDEV_H
#define VMDECK_FBDEV_H

#include <stddef.h>
#include <stdint.h>

struct vm;

#define FBDEV_HEADER 4096
#define FBDEV_SLOT 8

struct fbdev {
	int fd;
	uint8_t *map;      /* header + window */
	size_t map_len;
	uint8_t *pixels;   /* map + FBDEV_HEADER */
	size_t window;     /* LAYOUT_FB_SIZE */
	uint64_t gpa;
	uint32_t width, height, stride;
	int vm_fd;
};

/* Checks the mode against the window (overflow-checked), creates the
 * backing and the memslot. */
int fbdev_create(struct vm *vm, const char *path, uint32_t width, uint32_t height,
		 struct fbdev **out, char *err, size_t errlen);
void fbdev_destroy(struct fbdev *fb);
/* KVM_GET_DIRTY_LOG of the framebuffer slot: one bit per 4 KiB page of the
 * window, cleared by the read. words must cover the window. */
int fbdev_get_dirty(struct fbdev *fb, uint64_t *bitmap, size_t words);

#endif
