/* Framebuffer source: what the VM hands the display code.
 *
 * The VMM owns the pixel memory (a KVM memslot with KVM_MEM_LOG_DIRTY_PAGES)
 * and its dirty log; display/ only reads pixels and asks for the dirty bitmap
 * through a callback, so it never includes a vmm-core header. */
#ifndef VMDECK_DISPLAY_FB_H
#define VMDECK_DISPLAY_FB_H

#include <stddef.h>
#include <stdint.h>

/* Largest mode we accept on either axis (8K); keeps every size computation
 * far away from 32-bit overflow and bounds client-visible allocations. */
#define FB_MAX_DIM 8192u
#define FB_BYTES_PER_PIXEL 4u
#define FB_PAGE_SIZE 4096u

struct fb_source {
	/* Pixels in x8r8g8b8, little endian: bytes B, G, R, X per pixel.  The
	 * pointer stays valid for the server's lifetime (the whole fb window);
	 * a mode change only changes width, height and stride. */
	uint8_t *pixels;
	uint32_t width, height, stride; /* stride in bytes */
	/* Size of the memory window behind pixels (for mode checks); 0 means
	 * stride * height. */
	size_t window_size;
	/* Fills bitmap with one bit per 4 KiB page of the framebuffer memory,
	 * starting at pixels (bit i of word i/64 = page i), clears the log
	 * (KVM_GET_DIRTY_LOG semantics) and returns 0 or -errno.  NULL means no
	 * dirty tracking: every poll treats the whole frame as changed. */
	int (*get_dirty_bitmap)(void *opaque, uint64_t *bitmap, size_t bitmap_words);
	void *opaque;
};

/* A rectangle in pixels (x, y top left; w, h > 0 for a real rect). */
struct fb_rect {
	uint32_t x, y, w, h;
};

/* Checks a mode against the memory window: non-zero dimensions at most
 * FB_MAX_DIM, stride >= width * 4, stride a multiple of 4, stride * height
 * within window_size, all overflow-checked.  Returns 0 or -EINVAL/-E2BIG. */
int fb_mode_check(uint32_t width, uint32_t height, uint32_t stride, size_t window_size);

/* Number of 4 KiB pages covering a mode's stride * height bytes. */
size_t fb_mode_pages(uint32_t height, uint32_t stride);

/* Turns a page dirty bitmap (npages bits) into full-width row bands in
 * out[0..n), sorted by y, disjoint and non-adjacent, and returns n.  A page
 * marks every row it touches.  If there are more bands than max_rects, the
 * closest bands are merged until they fit (max_rects == 0 returns 0).
 * Pages past the end of the frame are ignored. */
size_t fb_dirty_rects(const uint64_t *bitmap, size_t npages, uint32_t stride, uint32_t width,
		      uint32_t height, struct fb_rect *out, size_t max_rects);

#endif
