/* The snapshot tag box: one field prefilled with a tag from the time;
 * Enter takes the snapshot, Esc cancels; the tag is checked as you type. */
#include "dialogs_snap.h"

#include <stdio.h>
#include <string.h>

#include "crt.h"

void dialog_snap_open(struct dialog_snap *d, const char *vm, const char *default_tag)
{
	memset(d, 0, sizeof(*d));
	d->open = true;
	d->fresh = true;
	snprintf(d->vm, sizeof(d->vm), "%s", vm);
	snprintf(d->tag, sizeof(d->tag), "%s", default_tag);
}

int dialog_snap_validate(struct dialog_snap *d, const struct snapset *existing)
{
	const char *p = snaptag_problem(d->tag);

	d->msg[0] = 0;
	if (p)
		snprintf(d->msg, sizeof(d->msg), "%s", p);
	else if (existing && snapset_has(existing, d->tag))
		snprintf(d->msg, sizeof(d->msg), "'%s' exists", d->tag);
	return d->msg[0] != 0;
}

int dialog_snap_key(struct dialog_snap *d, int key, const struct snapset *existing)
{
	size_t len = strlen(d->tag);

	d->error[0] = 0;
	switch (key) {
	case 27:
	case CRT_K_F(10):
		d->open = false;
		return DS_CLOSED;
	case '\r':
	case '\n':
		return dialog_snap_validate(d, existing) ? DS_STAY : DS_SUBMIT;
	case CRT_K_BACKSPACE:
	case 127:
	case 8:
		if (len)
			d->tag[len - 1] = 0;
		break;
	case 21: /* ^U */
		d->tag[0] = 0;
		break;
	case CRT_K_LEFT:
	case CRT_K_RIGHT:
	case CRT_K_END:
		break; /* keeps the default for editing */
	default:
		if (key < 0x20 || key >= 0x7f)
			return DS_STAY;
		if (d->fresh) {
			d->tag[0] = 0;
			len = 0;
		}
		if (len + 1 < sizeof(d->tag)) {
			d->tag[len] = (char)key;
			d->tag[len + 1] = 0;
		}
		break;
	}
	d->fresh = false;
	dialog_snap_validate(d, existing);
	return DS_STAY;
}

void dialog_snap_draw(const struct dialog_snap *d, struct crt *t)
{
	int w = t->cols - 4 < 70 ? t->cols - 4 : 70, h = 9;
	int y = (t->rows - h) / 2, x = (t->cols - w) / 2;
	int fx = x + 9, fw = VMSNAP_TAG_MAX < w - 12 ? VMSNAP_TAG_MAX : w - 12;
	char title[96];

	if (fw > 40)
		fw = 40;
	for (int i = 0; i < h; i++)
		crt_fill(t, y + i, x, w, CRT_DIALOG);
	snprintf(title, sizeof(title), "Snapshot %s", d->vm);
	crt_box(t, y, x, h, w, CRT_DIALOG, title);
	crt_text(t, y + 2, x + 3, w - 6, CRT_DIALOG, "The VM pauses while its state is written, then runs on.");
	crt_text(t, y + 4, x + 3, 5, CRT_BOLD, "Tag");
	crt_fill(t, y + 4, fx, fw, CRT_INPUT_ACTIVE);
	int len = (int)strlen(d->tag);
	const char *s = len > fw - 1 ? d->tag + len - (fw - 1) : d->tag;
	crt_text(t, y + 4, fx, fw, CRT_INPUT_ACTIVE, s);
	if (d->msg[0])
		crt_text(t, y + 4, fx + fw + 2, x + w - 2 - (fx + fw + 2), CRT_ERR, d->msg);
	if (d->error[0])
		crt_text(t, y + 6, x + 3, w - 6, CRT_ERR, d->error);
	else
		crt_text(t, y + 6, x + 3, w - 6, CRT_DIALOG,
			 d->fresh ? "Enter takes it, typing replaces the tag, Esc cancels"
				  : "Enter takes it, ^U clears, Esc cancels");
	crt_cursor(t, y + 4, fx + (len > fw - 1 ? fw - 1 : len));
}
