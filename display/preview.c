/* Half-block terminal preview: box-filter downscaling and palette mapping. */
#include "preview.h"

#include <stddef.h>

/* At most this many samples per axis per box: a 8192-pixel-wide screen in a
 * 40-column preview would otherwise read every pixel each refresh. */
#define PREVIEW_MAX_SAMPLES 16u

static struct preview_rgb box_average(const uint8_t *pixels, uint32_t stride, uint32_t x0,
				      uint32_t x1, uint32_t y0, uint32_t y1)
{
	uint32_t sx = (x1 - x0 + PREVIEW_MAX_SAMPLES - 1) / PREVIEW_MAX_SAMPLES;
	uint32_t sy = (y1 - y0 + PREVIEW_MAX_SAMPLES - 1) / PREVIEW_MAX_SAMPLES;
	uint64_t r = 0, g = 0, b = 0, n = 0;
	for (uint32_t y = y0; y < y1; y += sy) {
		const uint8_t *row = pixels + (size_t)y * stride;
		for (uint32_t x = x0; x < x1; x += sx) {
			const uint8_t *p = row + (size_t)x * 4;
			b += p[0];
			g += p[1];
			r += p[2];
			n++;
		}
	}
	/* Round to nearest. */
	return (struct preview_rgb){ (uint8_t)((r + n / 2) / n), (uint8_t)((g + n / 2) / n),
				     (uint8_t)((b + n / 2) / n) };
}

/* Source span [*a, *b) for sub-cell i of n over size; never empty, so
 * upscaling repeats pixels. */
static void span(uint32_t size, unsigned n, unsigned i, uint32_t *a, uint32_t *b)
{
	*a = (uint32_t)((uint64_t)i * size / n);
	*b = (uint32_t)((uint64_t)(i + 1) * size / n);
	if (*b <= *a)
		*b = *a + 1;
	if (*b > size) {
		*b = size;
		*a = size - 1;
	}
}

void preview_render(const uint8_t *pixels, uint32_t w, uint32_t h, uint32_t stride, unsigned cols,
		    unsigned rows, struct preview_cell *out)
{
	if (!pixels || !out || w == 0 || h == 0 || cols == 0 || rows == 0 ||
	    stride < (uint64_t)w * 4)
		return;
	for (unsigned r = 0; r < rows; r++) {
		uint32_t ty0, ty1, by0, by1;
		span(h, rows * 2, r * 2, &ty0, &ty1);
		span(h, rows * 2, r * 2 + 1, &by0, &by1);
		for (unsigned c = 0; c < cols; c++) {
			uint32_t x0, x1;
			span(w, cols, c, &x0, &x1);
			struct preview_cell *cell = &out[(size_t)r * cols + c];
			cell->top = box_average(pixels, stride, x0, x1, ty0, ty1);
			cell->bottom = box_average(pixels, stride, x0, x1, by0, by1);
		}
	}
}

static const uint8_t cube_levels[6] = { 0, 95, 135, 175, 215, 255 };

static unsigned nearest_cube(uint8_t v)
{
	unsigned best = 0;
	int bestd = 256;
	for (unsigned i = 0; i < 6; i++) {
		int d = v > cube_levels[i] ? v - cube_levels[i] : cube_levels[i] - v;
		if (d < bestd) {
			bestd = d;
			best = i;
		}
	}
	return best;
}

static unsigned dist2(int r1, int g1, int b1, int r2, int g2, int b2)
{
	return (unsigned)((r1 - r2) * (r1 - r2) + (g1 - g2) * (g1 - g2) + (b1 - b2) * (b1 - b2));
}

uint8_t preview_rgb_to_xterm256(struct preview_rgb c)
{
	unsigned ri = nearest_cube(c.r), gi = nearest_cube(c.g), bi = nearest_cube(c.b);
	unsigned cube_d = dist2(c.r, c.g, c.b, cube_levels[ri], cube_levels[gi], cube_levels[bi]);
	/* Grey ramp 232..255 is 8 + 10 * i. */
	int avg = (c.r + c.g + c.b) / 3;
	int gi24 = (avg - 8 + 5) / 10;
	if (gi24 < 0)
		gi24 = 0;
	if (gi24 > 23)
		gi24 = 23;
	int grey = 8 + 10 * gi24;
	unsigned grey_d = dist2(c.r, c.g, c.b, grey, grey, grey);
	if (grey_d < cube_d)
		return (uint8_t)(232 + gi24);
	return (uint8_t)(16 + 36 * ri + 6 * gi + bi);
}

uint8_t preview_rgb_to_ansi8(struct preview_rgb c)
{
	return (uint8_t)((c.r >= 128) | (c.g >= 128) << 1 | (c.b >= 128) << 2);
}
