/* KVM dirty log -> dirty rectangles.
 *
 * KVM_GET_DIRTY_LOG gives one bit per 4 KiB guest page of the framebuffer
 * slot.  A page is a byte range [p * 4096, p * 4096 + 4095] of the linear
 * framebuffer; with a stride that is not a divisor of 4096 a page starts
 * and ends in the middle of rows, so it marks every row whose visible bytes
 * [r * stride, r * stride + width * 4) it intersects.  Bytes in the padding
 * after width * 4 are invisible and mark nothing.  Rows are the natural unit:
 * the guest draws in lines, and full-width bands keep the region simple for
 * libvncserver, which re-encodes only what we mark. */
#include "fb.h"

/* Merges the two neighbouring bands with the smallest gap so that one slot
 * frees up; bands are sorted and disjoint. */
static void merge_closest(struct fb_rect *r, size_t *n)
{
	size_t best = 0;
	uint64_t best_gap = UINT64_MAX;
	for (size_t i = 0; i + 1 < *n; i++) {
		uint64_t gap = (uint64_t)r[i + 1].y - (r[i].y + r[i].h);
		if (gap < best_gap) {
			best_gap = gap;
			best = i;
		}
	}
	r[best].h = r[best + 1].y + r[best + 1].h - r[best].y;
	for (size_t i = best + 1; i + 1 < *n; i++)
		r[i] = r[i + 1];
	(*n)--;
}

static void emit(struct fb_rect *out, size_t *n, size_t max, uint32_t width, uint32_t y0,
		 uint32_t y1)
{
	if (*n == max) {
		/* Full: merge the closest pair among the stored bands and the new
		 * one.  If the new band is closest to the last one, just grow it. */
		struct fb_rect *last = &out[*n - 1];
		uint64_t new_gap = (uint64_t)y0 - (last->y + last->h);
		uint64_t best = UINT64_MAX;
		for (size_t i = 0; i + 1 < *n; i++) {
			uint64_t gap = (uint64_t)out[i + 1].y - (out[i].y + out[i].h);
			if (gap < best)
				best = gap;
		}
		if (*n == 1 || new_gap <= best) {
			last->h = y1 + 1 - last->y;
			return;
		}
		merge_closest(out, n);
	}
	out[*n] = (struct fb_rect){ .x = 0, .y = y0, .w = width, .h = y1 + 1 - y0 };
	(*n)++;
}

size_t fb_dirty_rects(const uint64_t *bitmap, size_t npages, uint32_t stride, uint32_t width,
		      uint32_t height, struct fb_rect *out, size_t max_rects)
{
	if (!bitmap || !out || max_rects == 0 || stride == 0 || width == 0 || height == 0 ||
	    (uint64_t)width * FB_BYTES_PER_PIXEL > stride)
		return 0;
	size_t frame_pages = fb_mode_pages(height, stride);
	if (npages > frame_pages)
		npages = frame_pages;

	const uint64_t visible = (uint64_t)width * FB_BYTES_PER_PIXEL;
	size_t n = 0;
	int open = 0;
	uint32_t b0 = 0, b1 = 0; /* current band, inclusive rows */

	for (size_t w = 0; w * 64 < npages; w++) {
		uint64_t word = bitmap[w];
		while (word) {
			size_t page = w * 64 + (size_t)__builtin_ctzll(word);
			word &= word - 1;
			if (page >= npages)
				break;
			uint64_t start = (uint64_t)page * FB_PAGE_SIZE;
			uint64_t end = start + FB_PAGE_SIZE - 1;
			uint64_t r0 = start / stride, r1 = end / stride;
			if (start % stride >= visible)
				r0++; /* the page begins in row r0's padding */
			if (r1 >= height)
				r1 = height - 1;
			if (r0 > r1)
				continue;
			if (open && r0 <= (uint64_t)b1 + 1) {
				if (r1 > b1)
					b1 = (uint32_t)r1;
				continue;
			}
			if (open)
				emit(out, &n, max_rects, width, b0, b1);
			open = 1;
			b0 = (uint32_t)r0;
			b1 = (uint32_t)r1;
		}
	}
	if (open)
		emit(out, &n, max_rects, width, b0, b1);
	return n;
}
