/* Half-block preview: box filter and palette mapping. */
#include "preview.h"

#include <criterion/criterion.h>
#include <stdlib.h>

static void fill(uint8_t *px, uint32_t w, uint32_t h, uint32_t stride, uint32_t x0, uint32_t y0,
		 uint32_t x1, uint32_t y1, uint8_t r, uint8_t g, uint8_t b)
{
	(void)w; (void)h;
	for (uint32_t y = y0; y < y1; y++)
		for (uint32_t x = x0; x < x1; x++) {
			uint8_t *p = px + (size_t)y * stride + x * 4;
			p[0] = b; p[1] = g; p[2] = r; p[3] = 0xee;
		}
}

Test(display_preview, halves_and_box_average)
{
	uint32_t w = 40, h = 40, stride = 40 * 4 + 8;
	uint8_t *px = calloc(stride, h);
	fill(px, w, h, stride, 0, 0, 40, 20, 255, 0, 0);  /* top half red */
	fill(px, w, h, stride, 0, 20, 40, 40, 0, 0, 255); /* bottom half blue */
	struct preview_cell c[4 * 1];
	preview_render(px, w, h, stride, 4, 1, c);
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(c[i].top.r, 255);
		cr_assert_eq(c[i].top.b, 0);
		cr_assert_eq(c[i].bottom.b, 255);
		cr_assert_eq(c[i].bottom.r, 0);
	}
	/* Checkerboard of black/white pixels averages to mid grey. */
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++) {
			uint8_t v = ((x ^ y) & 1) ? 255 : 0;
			fill(px, w, h, stride, x, y, x + 1, y + 1, v, v, v);
		}
	preview_render(px, w, h, stride, 2, 2, c);
	for (int i = 0; i < 4; i++) {
		cr_assert(c[i].top.r >= 126 && c[i].top.r <= 129, "got %u", c[i].top.r);
		cr_assert_eq(c[i].top.r, c[i].bottom.g);
	}
	free(px);
}

Test(display_preview, upscale_and_degenerate)
{
	uint8_t px[8] = { 10, 20, 30, 0, 40, 50, 60, 0 }; /* 2x1: B,G,R,X */
	struct preview_cell c[8 * 3];
	preview_render(px, 2, 1, 8, 8, 3, c);
	cr_assert_eq(c[0].top.r, 30);
	cr_assert_eq(c[0].bottom.r, 30);
	cr_assert_eq(c[7].top.r, 60);
	cr_assert_eq(c[23].bottom.b, 40);
	struct preview_cell z = { { 1, 2, 3 }, { 4, 5, 6 } };
	preview_render(px, 2, 1, 4, 1, 1, &z); /* stride too small: untouched */
	cr_assert_eq(z.top.r, 1);
	preview_render(px, 0, 1, 8, 1, 1, &z);
	cr_assert_eq(z.top.r, 1);
}

Test(display_preview, big_frame_small_preview_is_sampled)
{
	uint32_t w = 4096, h = 2048;
	uint8_t *px = calloc((size_t)w * 4, h);
	fill(px, w, h, w * 4, 0, 0, w, h, 200, 100, 50);
	struct preview_cell c[10 * 5];
	preview_render(px, w, h, w * 4, 10, 5, c);
	cr_assert_eq(c[49].bottom.r, 200);
	cr_assert_eq(c[49].bottom.g, 100);
	cr_assert_eq(c[49].bottom.b, 50);
	free(px);
}

Test(display_preview, palettes)
{
	cr_assert_eq(preview_rgb_to_xterm256((struct preview_rgb){ 0, 0, 0 }), 16);
	cr_assert_eq(preview_rgb_to_xterm256((struct preview_rgb){ 255, 255, 255 }), 231);
	cr_assert_eq(preview_rgb_to_xterm256((struct preview_rgb){ 255, 0, 0 }), 196);
	cr_assert_eq(preview_rgb_to_xterm256((struct preview_rgb){ 0, 255, 0 }), 46);
	cr_assert_eq(preview_rgb_to_xterm256((struct preview_rgb){ 0, 0, 255 }), 21);
	cr_assert_eq(preview_rgb_to_xterm256((struct preview_rgb){ 128, 128, 128 }), 244);
	cr_assert_eq(preview_rgb_to_xterm256((struct preview_rgb){ 95, 135, 175 }), 16 + 36 + 12 + 3);
	cr_assert_eq(preview_rgb_to_ansi8((struct preview_rgb){ 0, 0, 0 }), 0);
	cr_assert_eq(preview_rgb_to_ansi8((struct preview_rgb){ 255, 0, 0 }), 1);
	cr_assert_eq(preview_rgb_to_ansi8((struct preview_rgb){ 0, 200, 0 }), 2);
	cr_assert_eq(preview_rgb_to_ansi8((struct preview_rgb){ 0, 0, 130 }), 4);
	cr_assert_eq(preview_rgb_to_ansi8((struct preview_rgb){ 255, 255, 255 }), 7);
	/* Exhaustive sanity over a grid: result always in 16..255. */
	for (int r = 0; r < 256; r += 5)
		for (int g = 0; g < 256; g += 5)
			for (int b = 0; b < 256; b += 5) {
				uint8_t i = preview_rgb_to_xterm256((struct preview_rgb){ (uint8_t)r, (uint8_t)g, (uint8_t)b });
				cr_assert_geq(i, 16);
			}
}
