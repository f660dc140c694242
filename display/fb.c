/* Framebuffer mode validation.  A guest (or a config file) picks the mode;
 * HOSTILE-INPUTS.md: a mode whose size or stride overflows the window is
 * refused and the display keeps the last good mode. */
#include "fb.h"

#include <errno.h>

int fb_mode_check(uint32_t width, uint32_t height, uint32_t stride, size_t window_size)
{
	if (width == 0 || height == 0 || stride == 0)
		return -EINVAL;
	if (width > FB_MAX_DIM || height > FB_MAX_DIM)
		return -E2BIG;
	/* width <= 8192 so width * 4 fits easily in 32 bits. */
	if (stride < width * FB_BYTES_PER_PIXEL || stride % FB_BYTES_PER_PIXEL)
		return -EINVAL;
	uint64_t bytes = (uint64_t)stride * height; /* < 2^32 * 2^13: no overflow */
	if (bytes > window_size)
		return -E2BIG;
	return 0;
}

size_t fb_mode_pages(uint32_t height, uint32_t stride)
{
	uint64_t bytes = (uint64_t)stride * height;
	return (size_t)((bytes + FB_PAGE_SIZE - 1) / FB_PAGE_SIZE);
}
