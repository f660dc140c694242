/* The restore picker: the VM's snapshots as a tree (tag, time, size, RAM,
 * parent, '*' current). Enter restores, d deletes, C clones from the
 * selected one; the caller asks for confirmation where needed. */
#include "dialogs_snap.h"

#include <stdio.h>
#include <string.h>

#include "crt.h"
#include "fmt.h"

void dialog_pick_open(struct dialog_pick *d, const char *vm, bool running, struct snapset *set)
{
	memset(d, 0, sizeof(*d));
	d->open = true;
	d->running = running;
	snprintf(d->vm, sizeof(d->vm), "%s", vm);
	d->set = *set;
	memset(set, 0, sizeof(*set));
	/* Start on the current snapshot, else the newest. */
	d->sel = d->set.n ? d->set.n - 1 : 0;
	for (size_t r = 0; r < d->set.n; r++)
		if (snapset_at(&d->set, r)->current)
			d->sel = r;
}

void dialog_pick_close(struct dialog_pick *d)
{
	snapset_free(&d->set);
	d->open = false;
}

const struct vmsnap_info *dialog_pick_selected(const struct dialog_pick *d)
{
	return d->open ? snapset_at(&d->set, d->sel) : NULL;
}

void dialog_pick_reload(struct dialog_pick *d, struct snapset *set)
{
	snapset_free(&d->set);
	d->set = *set;
	memset(set, 0, sizeof(*set));
	if (d->sel >= d->set.n)
		d->sel = d->set.n ? d->set.n - 1 : 0;
}

int dialog_pick_key(struct dialog_pick *d, int key)
{
	size_t n = d->set.n;

	d->error[0] = 0;
	switch (key) {
	case 27:
	case 'q':
	case CRT_K_F(10):
		dialog_pick_close(d);
		return DP_CLOSED;
	case CRT_K_UP:
	case 'k':
		if (d->sel)
			d->sel--;
		return DP_STAY;
	case CRT_K_DOWN:
	case 'j':
		if (d->sel + 1 < n)
			d->sel++;
		return DP_STAY;
	case CRT_K_HOME:
		d->sel = 0;
		return DP_STAY;
	case CRT_K_END:
		d->sel = n ? n - 1 : 0;
		return DP_STAY;
	case CRT_K_PGUP:
		d->sel = d->sel > 8 ? d->sel - 8 : 0;
		return DP_STAY;
	case CRT_K_PGDN:
		d->sel = d->sel + 8 < n ? d->sel + 8 : (n ? n - 1 : 0);
		return DP_STAY;
	case '\r':
	case '\n':
	case 'r':
		return n ? DP_RESTORE : DP_STAY;
	case 'd':
	case CRT_K_DELETE:
	case CRT_K_F(8):
		return n ? DP_DELETE : DP_STAY;
	case 'C':
	case CRT_K_F(5):
		return n ? DP_CLONE : DP_STAY;
	default:
		return DP_STAY;
	}
}

void dialog_pick_draw(struct dialog_pick *d, struct crt *t, time_t now)
{
	int w = t->cols - 4 < 100 ? t->cols - 4 : 100;
	int rows = d->set.n ? (int)d->set.n : 1;
	int maxrows = t->rows - 10 < 3 ? 3 : t->rows - 10;
	char title[96], label[160], when[32], size[16], ram[16];

	if (rows > maxrows)
		rows = maxrows;
	int h = rows + 6; /* border, header, rows, gap, count/error, keys, border */
	int y = (t->rows - h) / 2, x = (t->cols - w) / 2;
	if (y < 0)
		y = 0;
	for (int i = 0; i < h; i++)
		crt_fill(t, y + i, x, w, CRT_DIALOG);
	snprintf(title, sizeof(title), "Snapshots of %s", d->vm);
	crt_box(t, y, x, h, w, CRT_DIALOG, title);
	/* The tag column as wide as the widest label, within reason. */
	int tw = 12;
	for (size_t r = 0; r < d->set.n; r++) {
		snaptree_label(snapset_at(&d->set, r), d->set.row[r].depth, false, label, sizeof(label));
		if ((int)strlen(label) > tw)
			tw = (int)strlen(label);
	}
	if (tw > w / 2 - 4)
		tw = w / 2 - 4;
	int lx = x + 2, lw = w - 4;
	crt_fill(t, y + 1, lx, lw, CRT_HEADER);
	crt_textf(t, y + 1, lx, lw, CRT_HEADER, "%-*s %-12s %6s %6s %4s  %s", tw, "  TAG", "TAKEN", "SIZE",
		  "RAM", "CPUS", "PARENT");
	if (!d->set.n)
		crt_text(t, y + 2, lx, lw, CRT_DIALOG,
			 d->set.err[0] ? d->set.err : "No snapshots yet: s takes one of a running VM.");
	if (d->sel < d->top)
		d->top = d->sel;
	if (d->sel >= d->top + (size_t)rows)
		d->top = d->sel - (size_t)rows + 1;
	for (int i = 0; i < rows; i++) {
		size_t r = d->top + (size_t)i;
		const struct vmsnap_info *s = snapset_at(&d->set, r);
		if (!s)
			break;
		enum crt_role role = r == d->sel ? CRT_INPUT_ACTIVE : CRT_DIALOG;
		snaptree_label(s, d->set.row[r].depth, t->utf8, label, sizeof(label));
		snaptime_fmt(s->created, now, when, sizeof(when));
		fmt_bytes(s->bytes, size, sizeof(size));
		fmt_bytes(s->memory, ram, sizeof(ram));
		crt_fill(t, y + 2 + i, lx, lw, role);
		crt_text(t, y + 2 + i, lx, tw, role, label);
		/* Columns by position: the label may hold multi-byte branch marks. */
		int cx = lx + tw;
		crt_textf(t, y + 2 + i, cx, lx + lw - cx, role, " %-12s %6s %6s %4u  %s%s", when, size, ram,
			  s->cpus, s->parent[0] ? s->parent : "-", s->current ? "   (current)" : "");
	}
	int fy = y + h - 3;
	if (d->error[0])
		crt_text(t, fy, lx, lw, CRT_ERR, d->error);
	else if (d->set.n > (size_t)rows)
		crt_textf(t, fy, lx, lw, CRT_DIM, "%zu of %zu", d->sel + 1, d->set.n);
	crt_text(t, fy + 1, lx, lw, CRT_DIALOG,
		 d->running ? "Enter reverts the running VM (asks first)  d deletes  C clones  Esc closes"
			    : "Enter starts the VM from it  d deletes  C clones from it  Esc closes");
}
