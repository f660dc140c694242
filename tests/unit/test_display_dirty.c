/* fb_dirty_rects and fb_mode_check against a brute-force model. */
#include "fb.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

/* Reference: row r is dirty iff a dirty page intersects its visible bytes. */
static void model_rows(const uint64_t *bm, size_t npages, uint32_t stride, uint32_t width,
		       uint32_t height, bool *rows)
{
	for (uint32_t r = 0; r < height; r++) {
		uint64_t a = (uint64_t)r * stride, b = a + (uint64_t)width * 4; /* [a, b) */
		rows[r] = false;
		for (uint64_t p = a / 4096; p <= (b - 1) / 4096 && p < npages; p++)
			if (bm[p / 64] >> (p % 64) & 1)
				rows[r] = true;
	}
}

static void check(const uint64_t *bm, size_t npages, uint32_t stride, uint32_t width,
		  uint32_t height, size_t max)
{
	bool *rows = calloc(height, 1), *cov = calloc(height, 1);
	model_rows(bm, npages, stride, width, height, rows);
	size_t model_bands = 0;
	for (uint32_t r = 0; r < height; r++)
		if (rows[r] && (r == 0 || !rows[r - 1]))
			model_bands++;
	struct fb_rect out[64];
	size_t n = fb_dirty_rects(bm, npages, stride, width, height, out, max);
	cr_assert_leq(n, max);
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(out[i].x, 0);
		cr_assert_eq(out[i].w, width);
		cr_assert_gt(out[i].h, 0);
		cr_assert_leq(out[i].y + out[i].h, height);
		if (i)
			cr_assert_gt(out[i].y, out[i - 1].y + out[i - 1].h, "bands sorted, not adjacent");
		for (uint32_t r = out[i].y; r < out[i].y + out[i].h; r++)
			cov[r] = true;
	}
	for (uint32_t r = 0; r < height; r++)
		if (rows[r])
			cr_assert(cov[r], "dirty row %u not covered (stride %u)", r, stride);
	if (model_bands <= max) {
		cr_assert_eq(n, model_bands, "stride %u width %u", stride, width);
		for (uint32_t r = 0; r < height; r++)
			cr_assert_eq(cov[r], rows[r], "row %u exact", r);
	}
	free(rows);
	free(cov);
}

Test(display_dirty, random_bitmaps_many_geometries)
{
	static const uint32_t geo[][3] = { /* width, height, stride */
		{ 1024, 768, 4096 }, { 640, 480, 2560 }, { 800, 600, 3200 }, { 800, 600, 3328 },
		{ 1, 1, 4 },	     { 1, 5000, 4 },	 { 1000, 3, 4000 },  { 1920, 1080, 7680 },
		{ 33, 77, 200 },     { 2048, 10, 8192 }, { 1023, 769, 4100 } };
	srand(42);
	for (size_t g = 0; g < sizeof(geo) / sizeof(geo[0]); g++) {
		uint32_t w = geo[g][0], h = geo[g][1], s = geo[g][2];
		size_t npages = fb_mode_pages(h, s) + 3; /* bits past the frame too */
		size_t words = (npages + 63) / 64;
		uint64_t *bm = calloc(words, 8);
		for (int iter = 0; iter < 200; iter++) {
			int density = rand() % 100;
			memset(bm, 0, words * 8);
			for (size_t p = 0; p < npages; p++)
				if (rand() % 100 < density / 4)
					bm[p / 64] |= 1ull << (p % 64);
			check(bm, npages, s, w, h, 64);
			check(bm, npages, s, w, h, 1 + (size_t)(rand() % 5));
		}
		free(bm);
	}
}

Test(display_dirty, exhaustive_small_frames)
{
	/* Every bitmap of 10 pages over a frame of 2.5 pages per... */
	for (uint32_t stride = 4; stride <= 12288; stride = stride * 3 + 4) {
		uint32_t w = stride / 4 > 1 ? stride / 4 - 1 : 1;
		uint32_t h = (uint32_t)((10 * 4096ull) / stride);
		if (!h)
			continue;
		for (uint64_t bits = 0; bits < 1024; bits++)
			for (size_t max = 1; max <= 4; max++)
				check(&bits, 10, stride, w, h, max);
	}
}

Test(display_dirty, single_pages)
{
	uint64_t bm[3] = { 0 };
	struct fb_rect r[4];
	/* 1024x768 with stride 4096: page p = row p exactly. */
	bm[0] = 1ull << 5;
	cr_assert_eq(fb_dirty_rects(bm, 192, 4096, 1024, 768, r, 4), 1);
	cr_assert_eq(r[0].y, 5);
	cr_assert_eq(r[0].h, 1);
	/* Stride 3000: page 1 = bytes 4096..8191 = rows 1 and 2. */
	bm[0] = 2;
	cr_assert_eq(fb_dirty_rects(bm, 192, 3000, 750, 768, r, 4), 1);
	cr_assert_eq(r[0].y, 1);
	cr_assert_eq(r[0].h, 2);
	/* Page entirely in the padding of a row marks nothing: width 1 at
	 * stride 8192 leaves page 1 (bytes 4096..8191) invisible. */
	bm[0] = 2;
	cr_assert_eq(fb_dirty_rects(bm, 192, 8192, 1, 10, r, 4), 0);
	/* Last page partially past the end of the frame. */
	bm[0] = 0;
	bm[2] = 1ull << 63; /* page 191 */
	cr_assert_eq(fb_dirty_rects(bm, 192, 4000, 1000, 196, r, 4), 1);
	cr_assert_eq(r[0].y + r[0].h, 196);
	/* Two far-apart bands into one slot: merged into one covering both. */
	bm[0] = 1 | 1ull << 40;
	bm[2] = 0;
	cr_assert_eq(fb_dirty_rects(bm, 192, 4096, 1024, 768, r, 1), 1);
	cr_assert_eq(r[0].y, 0);
	cr_assert_eq(r[0].h, 41);
	cr_assert_eq(fb_dirty_rects(bm, 192, 4096, 1024, 768, r, 0), 0);
	cr_assert_eq(fb_dirty_rects(NULL, 192, 4096, 1024, 768, r, 4), 0);
}

Test(display_dirty, mode_check)
{
	cr_assert_eq(fb_mode_check(1024, 768, 4096, 4096 * 768), 0);
	cr_assert_lt(fb_mode_check(1024, 768, 4096, 4096 * 768 - 1), 0);
	cr_assert_lt(fb_mode_check(0, 768, 4096, 1 << 30), 0);
	cr_assert_lt(fb_mode_check(1024, 0, 4096, 1 << 30), 0);
	cr_assert_lt(fb_mode_check(1024, 768, 4092, 1 << 30), 0, "stride < width*4");
	cr_assert_lt(fb_mode_check(1024, 768, 4098, 1 << 30), 0, "stride not pixel aligned");
	cr_assert_lt(fb_mode_check(FB_MAX_DIM + 1, 1, (FB_MAX_DIM + 1) * 4, SIZE_MAX), 0);
	cr_assert_lt(fb_mode_check(1, FB_MAX_DIM + 1, 4, SIZE_MAX), 0);
	/* stride * height overflows 32 bits: must still be refused by size. */
	cr_assert_lt(fb_mode_check(1024, 8192, 0x80000000u, 64u << 20), 0);
	cr_assert_eq(fb_mode_check(8192, 8192, 0xfffffffcu, SIZE_MAX), 0);
	cr_assert_eq(fb_mode_pages(768, 4096), 768);
	cr_assert_eq(fb_mode_pages(1, 4), 1);
}
