/* Framebuffer memslot; see fbdev.h. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fbdev.h"
#include "vm.h"
#include "x86/layout.h"

/* Same layout as struct vmctl_fb_header in app/vmctl.h (the file format). */
struct fbdev_file_header {
	char magic[8];
	uint32_t width, height, stride, format;
	uint64_t generation;
};

int fbdev_create(struct vm *vm, const char *path, uint32_t width, uint32_t height,
		 struct fbdev **out, char *err, size_t errlen)
{
	struct fbdev *fb;
	uint64_t stride = (uint64_t)width * 4;
	struct kvm_userspace_memory_region r;
	struct fbdev_file_header h;

	/* Refuse a mode whose size or stride overflows the window. */
	if (width == 0 || height == 0 || width > 16384 || height > 16384 ||
	    stride * height > LAYOUT_FB_SIZE) {
		snprintf(err, errlen, "display %ux%u does not fit the %llu MiB framebuffer window",
			 width, height, LAYOUT_FB_SIZE >> 20);
		return -EINVAL;
	}
	fb = calloc(1, sizeof(*fb));
	if (!fb)
		return -ENOMEM;
	fb->window = LAYOUT_FB_SIZE;
	fb->map_len = FBDEV_HEADER + fb->window;
	fb->gpa = LAYOUT_FB_START;
	fb->width = width;
	fb->height = height;
	fb->stride = (uint32_t)stride;
	fb->vm_fd = vm->fd;
	if (path)
		fb->fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	else
		fb->fd = memfd_create("vmdeck-framebuffer", MFD_CLOEXEC);
	if (fb->fd < 0 || ftruncate(fb->fd, (off_t)fb->map_len)) {
		int e = errno;
		snprintf(err, errlen, "framebuffer %s: %s", path ? path : "memfd", strerror(e));
		if (fb->fd >= 0)
			close(fb->fd);
		free(fb);
		return -e;
	}
	fb->map = mmap(NULL, fb->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fb->fd, 0);
	if (fb->map == MAP_FAILED) {
		int e = errno;
		snprintf(err, errlen, "mapping the framebuffer: %s", strerror(e));
		close(fb->fd);
		free(fb);
		return -e;
	}
	fb->pixels = fb->map + FBDEV_HEADER;
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, "VMDECKFB", 8);
	h.width = width;
	h.height = height;
	h.stride = fb->stride;
	h.generation = 1;
	memcpy(fb->map, &h, sizeof(h));

	r = (struct kvm_userspace_memory_region){
		.slot = FBDEV_SLOT, .flags = KVM_MEM_LOG_DIRTY_PAGES,
		.guest_phys_addr = fb->gpa, .memory_size = fb->window,
		.userspace_addr = (uintptr_t)fb->pixels,
	};
	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
		int e = errno;
		snprintf(err, errlen, "framebuffer memslot: %s", strerror(e));
		munmap(fb->map, fb->map_len);
		close(fb->fd);
		free(fb);
		return -e;
	}
	*out = fb;
	return 0;
}

void fbdev_destroy(struct fbdev *fb)
{
	if (!fb)
		return;
	munmap(fb->map, fb->map_len);
	close(fb->fd);
	free(fb);
}

int fbdev_get_dirty(struct fbdev *fb, uint64_t *bitmap, size_t words)
{
	struct kvm_dirty_log log = { .slot = FBDEV_SLOT };

	if (words * 64 < fb->window / 4096)
		return -EINVAL;
	log.dirty_bitmap = bitmap;
	if (ioctl(fb->vm_fd, KVM_GET_DIRTY_LOG, &log) < 0)
		return -errno;
	return 0;
}
