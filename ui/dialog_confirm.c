/* Confirmation box before destructive actions (stop, kill, delete, quit). */
#include "dialogs.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "crt.h"

void dialog_confirm_open(struct dialog_confirm *d, int action, const char *target, const char *title,
			 const char *text, int nbuttons, const char *const *buttons, const char *hotkeys)
{
	memset(d, 0, sizeof(*d));
	d->open = true;
	d->action = action;
	snprintf(d->target, sizeof(d->target), "%s", target ? target : "");
	snprintf(d->title, sizeof(d->title), "%s", title);
	snprintf(d->text, sizeof(d->text), "%s", text);
	d->nbuttons = nbuttons > 3 ? 3 : nbuttons;
	for (int i = 0; i < d->nbuttons; i++) {
		d->button[i] = buttons[i];
		d->hotkey[i] = hotkeys[i];
	}
	d->sel = d->nbuttons - 1; /* the last button is the safe one */
}

int dialog_confirm_key(struct dialog_confirm *d, int key)
{
	int r = DLG_OPEN;

	if (key == 27 || key == 'q' || key == CRT_K_F(10)) {
		r = DLG_CANCEL;
	} else if (key == CRT_K_LEFT || key == CRT_K_BTAB) {
		d->sel = (d->sel + d->nbuttons - 1) % d->nbuttons;
	} else if (key == CRT_K_RIGHT || key == '\t') {
		d->sel = (d->sel + 1) % d->nbuttons;
	} else if (key == '\r' || key == '\n') {
		r = d->sel;
	} else if (key > 0 && key < 256) {
		for (int i = 0; i < d->nbuttons; i++)
			if (tolower(key) == d->hotkey[i])
				r = i;
	}
	if (r != DLG_OPEN)
		d->open = false;
	return r;
}

void dialog_confirm_draw(const struct dialog_confirm *d, struct crt *t)
{
	int w = (int)strlen(d->text) + 6, h = 7;

	if (w < 44)
		w = 44;
	if (w > t->cols - 2)
		w = t->cols - 2;
	int y = (t->rows - h) / 2, x = (t->cols - w) / 2;
	for (int i = 0; i < h; i++)
		crt_fill(t, y + i, x, w, CRT_DIALOG);
	crt_box(t, y, x, h, w, CRT_DIALOG, d->title);
	crt_text(t, y + 2, x + 3, w - 6, CRT_DIALOG, d->text);
	int bx = x + 3;
	for (int i = 0; i < d->nbuttons; i++) {
		char b[64];
		snprintf(b, sizeof(b), "[ %s ]", d->button[i]);
		bx += crt_text(t, y + 4, bx, x + w - 2 - bx, i == d->sel ? CRT_INPUT_ACTIVE : CRT_DIALOG, b);
		bx += 2;
	}
}
