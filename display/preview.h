/* Terminal preview of a framebuffer: one cell = one "upper half block"
 * character (U+2580) whose foreground is the top half and background the
 * bottom half, so a terminal cell shows two roughly square pixels. */
#ifndef VMDECK_DISPLAY_PREVIEW_H
#define VMDECK_DISPLAY_PREVIEW_H

#include <stdint.h>

struct preview_rgb {
	uint8_t r, g, b;
};

struct preview_cell {
	struct preview_rgb top, bottom;
};

/* Scales the x8r8g8b8 image to cols x (2 * rows) with a box filter (average
 * of the source pixels each sub-cell covers; very large boxes are sampled on
 * a grid so a call stays cheap) and fills out[rows * cols], row-major.
 * Nothing happens if any size is zero. */
void preview_render(const uint8_t *pixels, uint32_t w, uint32_t h, uint32_t stride, unsigned cols,
		    unsigned rows, struct preview_cell *out);

/* Nearest xterm-256 colour, from the 6x6x6 cube (16-231) or the grey ramp
 * (232-255); the 16 system colours are skipped since themes redefine them. */
uint8_t preview_rgb_to_xterm256(struct preview_rgb c);

/* ANSI colour 0-7 (bit 0 red, bit 1 green, bit 2 blue), each channel
 * thresholded at half intensity. */
uint8_t preview_rgb_to_ansi8(struct preview_rgb c);

#endif
