/* The serial console pane: scrollback of the selected VM's console,
 * interactive when focused (c / click; Ctrl-] leaves). */
#include <stdio.h>
#include <string.h>

#include "uictx.h"

void panel_console_draw(struct ui *ui, const struct ui_rect *r)
{
	struct crt *t = &ui->crt;
	const struct model_vm *v = ui_selected(ui);
	const struct conbuf *cb = &ui->con.buf;
	bool focus = ui->focus == UI_FOCUS_CONSOLE;
	char title[512];

	if (r->h < 3 || r->w < 10)
		return;
	if (!v)
		snprintf(title, sizeof(title), "Console");
	else if (focus)
		snprintf(title, sizeof(title), "Console %s - typing to the guest, ^] leaves", v->e.name);
	else if (ui->con.fd >= 0)
		snprintf(title, sizeof(title), "Console %s - c to type", v->e.name);
	else if (model_vm_live(v))
		snprintf(title, sizeof(title), "Console %s - %s", v->e.name,
			 ui->con.err[0] ? ui->con.err : "connecting");
	else
		snprintf(title, sizeof(title), "Console %s (not running)", v->e.name);
	if (ui->con_scroll)
		snprintf(title + strlen(title), sizeof(title) - strlen(title), " [-%d]", ui->con_scroll);
	crt_box(t, r->y, r->x, r->h, r->w, focus ? CRT_FOCUS : CRT_DIM, title);

	int inner = r->h - 2;
	int last = (int)cb->count - 1 - ui->con_scroll; /* bottom line shown */
	/* The newest line is often the empty line after '\n': skip it unless
	 * the cursor sits there while typing. */
	if (!ui->con_scroll && cb->count > 1 && !conbuf_line(cb, (unsigned)last)[0] && !focus)
		last--;
	int first = last - inner + 1;
	if (first < 0)
		first = 0;
	for (int l = first; l <= last; l++)
		crt_text(t, r->y + 1 + (l - first), r->x + 1, r->w - 2, CRT_NORMAL,
			 conbuf_line(cb, (unsigned)l));
	if (focus && !ui->con_scroll) {
		int cx = r->x + 1 + (int)cb->col;
		if (cx > r->x + r->w - 2)
			cx = r->x + r->w - 2;
		crt_cursor(t, r->y + 1 + (last - first), cx);
	}
}
