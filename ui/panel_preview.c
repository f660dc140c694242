/* The guest screen drawn with half-block characters from the sampled cells. */
#include <stdio.h>

#include "uictx.h"

void panel_preview_draw(struct ui *ui, const struct ui_rect *r)
{
	struct crt *t = &ui->crt;
	const struct pvlink *p = &ui->pv;
	char title[96];

	if (r->h < 3 || r->w < 6)
		return;
	if (p->mapped)
		snprintf(title, sizeof(title), "Screen %ux%u", p->fb.width, p->fb.height);
	else
		snprintf(title, sizeof(title), "Screen");
	crt_box(t, r->y, r->x, r->h, r->w, CRT_DIM, title);
	if (!p->valid) {
		crt_text(t, r->y + 1, r->x + 1, r->w - 2, CRT_DIM, p->err[0] ? p->err : "no picture yet");
		return;
	}
	int ox = r->x + 1 + (r->w - 2 - (int)p->cols) / 2;
	for (unsigned row = 0; row < p->rows && (int)row < r->h - 2; row++)
		for (unsigned col = 0; col < p->cols && (int)col < r->w - 2; col++) {
			const struct preview_model_cell *c = &p->cells[row * p->cols + col];
			crt_halfblock(t, r->y + 1 + (int)row, ox + (int)col, c->top.xterm256, c->bottom.xterm256,
				      c->top.ansi8, c->bottom.ansi8, c->top.grey, c->bottom.grey);
		}
}
