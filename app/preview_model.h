/* The dashboard's screen preview, as plain cells: ui/ cannot reach
 * display/ (DESIGN.md: ui -> app only), so app renders a mapped guest
 * framebuffer with display/preview.c and hands back colours ready for any
 * terminal (true colour, xterm-256, ANSI 8, and a grey level for monochrome). */
#ifndef VMDECK_APP_PREVIEW_MODEL_H
#define VMDECK_APP_PREVIEW_MODEL_H

#include <stdint.h>

#include "vmctl.h"

struct preview_model_half {
	uint8_t r, g, b;
	uint8_t xterm256;   /* 16..255 */
	uint8_t ansi8;      /* 0..7: bit 0 red, bit 1 green, bit 2 blue */
	uint8_t grey;       /* 0..255 luminance */
};

struct preview_model_cell {
	struct preview_model_half top, bottom;
};

/* Fills out[rows * cols] from fb (one cell = two stacked pixels, box filtered).
 * Returns 0, or -EINVAL when fb is not mapped or a size is zero. */
int preview_model_render(const struct vmctl_fb *fb, unsigned cols, unsigned rows,
			 struct preview_model_cell *out);

#endif
