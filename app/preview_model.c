/* Plain preview cells for ui/, rendered by display/preview.c. */
#include "preview_model.h"

#include <errno.h>
#include <stdlib.h>

#include "preview.h"

static void half(struct preview_rgb c, struct preview_model_half *h)
{
	h->r = c.r;
	h->g = c.g;
	h->b = c.b;
	h->xterm256 = preview_rgb_to_xterm256(c);
	h->ansi8 = preview_rgb_to_ansi8(c);
	/* ITU-R BT.601 luma, integer weights summing to 1000. */
	h->grey = (uint8_t)((299u * c.r + 587u * c.g + 114u * c.b) / 1000u);
}

int preview_model_render(const struct vmctl_fb *fb, unsigned cols, unsigned rows,
			 struct preview_model_cell *out)
{
	struct preview_cell *tmp;

	if (!fb || !fb->pixels || !fb->width || !fb->height || !cols || !rows || !out)
		return -EINVAL;
	tmp = calloc((size_t)cols * rows, sizeof(*tmp));
	if (!tmp)
		return -ENOMEM;
	preview_render(fb->pixels, fb->width, fb->height, fb->stride, cols, rows, tmp);
	for (size_t i = 0; i < (size_t)cols * rows; i++) {
		half(tmp[i].top, &out[i].top);
		half(tmp[i].bottom, &out[i].bottom);
	}
	free(tmp);
	return 0;
}
