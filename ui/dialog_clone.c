/* The clone dialog: new name, linked or full disks, from the current state
 * or one of the VM's snapshots; validated as you type; submitted to
 * vmsnap_clone by the caller. */
#include "dialogs_snap.h"

#include <stdio.h>
#include <string.h>

#include "crt.h"
#include "dialogs.h"

static const char *const labels[DCL_NFIELDS] = {
	[DCL_NAME] = "Name", [DCL_MODE] = "Disks", [DCL_FROM] = "From",
};

static void default_name(struct dialog_clone *d, dcl_exists_fn exists, void *ctx)
{
	/* The source name cut to leave room for the suffix within 63 characters. */
	for (unsigned k = 1; k < 1000; k++) {
		if (k == 1)
			snprintf(d->name, sizeof(d->name), "%.50s-clone", d->src);
		else
			snprintf(d->name, sizeof(d->name), "%.50s-clone%u", d->src, k);
		if (!exists || !exists(ctx, d->name))
			return;
	}
}

void dialog_clone_open(struct dialog_clone *d, const char *src, bool running, const struct snapset *set,
		       const char *from_tag, dcl_exists_fn exists, void *ctx)
{
	memset(d, 0, sizeof(*d));
	d->open = true;
	d->src_running = running;
	d->mode = VMSNAP_CLONE_LINKED;
	d->field = DCL_NAME;
	snprintf(d->src, sizeof(d->src), "%s", src);
	/* The newest DCL_MAX_TAGS snapshots, in the tree order the picker shows. */
	size_t first = set && set->n > DCL_MAX_TAGS ? set->n - DCL_MAX_TAGS : 0;
	for (size_t r = first; set && r < set->n; r++) {
		const struct vmsnap_info *s = snapset_at(set, r);
		snprintf(d->tags[d->ntags], sizeof(d->tags[0]), "%s", s->tag);
		if (from_tag && !strcmp(from_tag, s->tag))
			d->from = d->ntags + 1;
		d->ntags++;
	}
	default_name(d, exists, ctx);
	dialog_clone_validate(d, exists, ctx);
}

const char *dialog_clone_from(const struct dialog_clone *d)
{
	return d->from && d->from <= d->ntags ? d->tags[d->from - 1] : NULL;
}

int dialog_clone_validate(struct dialog_clone *d, dcl_exists_fn exists, void *ctx)
{
	const char *p = dialog_name_problem(d->name);
	int bad = 0;

	memset(d->msg, 0, sizeof(d->msg));
	if (p) {
		snprintf(d->msg[DCL_NAME], sizeof(d->msg[0]), "%s", p);
		bad++;
	} else if (exists && exists(ctx, d->name)) {
		snprintf(d->msg[DCL_NAME], sizeof(d->msg[0]), "a VM named '%.60s' exists", d->name);
		bad++;
	}
	return bad;
}

int dialog_clone_key(struct dialog_clone *d, int key, dcl_exists_fn exists, void *ctx)
{
	size_t len = strlen(d->name);

	d->error[0] = 0;
	switch (key) {
	case 27:
	case CRT_K_F(10):
		d->open = false;
		return DS_CLOSED;
	case '\t':
	case CRT_K_DOWN:
		d->field = (d->field + 1) % DCL_NFIELDS;
		return DS_STAY;
	case CRT_K_BTAB:
	case CRT_K_UP:
		d->field = (d->field + DCL_NFIELDS - 1) % DCL_NFIELDS;
		return DS_STAY;
	case '\r':
	case '\n':
		if (d->field == DCL_CANCEL) {
			d->open = false;
			return DS_CLOSED;
		}
		/* Enter anywhere else clones: the defaults are meant to be taken. */
		return dialog_clone_validate(d, exists, ctx) ? DS_STAY : DS_SUBMIT;
	default:
		break;
	}
	switch (d->field) {
	case DCL_NAME:
		if (key == CRT_K_BACKSPACE || key == 127 || key == 8) {
			if (len)
				d->name[len - 1] = 0;
		} else if (key == 21) { /* ^U */
			d->name[0] = 0;
		} else if (key >= 0x20 && key < 0x7f && len + 1 < sizeof(d->name)) {
			d->name[len] = (char)key;
			d->name[len + 1] = 0;
		}
		break;
	case DCL_MODE:
		if (key == ' ' || key == CRT_K_LEFT || key == CRT_K_RIGHT)
			d->mode = d->mode == VMSNAP_CLONE_LINKED ? VMSNAP_CLONE_FULL : VMSNAP_CLONE_LINKED;
		else if (key == 'l')
			d->mode = VMSNAP_CLONE_LINKED;
		else if (key == 'f')
			d->mode = VMSNAP_CLONE_FULL;
		break;
	case DCL_FROM:
		if (key == ' ' || key == CRT_K_RIGHT)
			d->from = (d->from + 1) % (d->ntags + 1);
		else if (key == CRT_K_LEFT)
			d->from = (d->from + d->ntags) % (d->ntags + 1);
		break;
	case DCL_CLONE:
	case DCL_CANCEL:
		if (key == CRT_K_LEFT || key == CRT_K_RIGHT)
			d->field = d->field == DCL_CLONE ? DCL_CANCEL : DCL_CLONE;
		break;
	}
	dialog_clone_validate(d, exists, ctx);
	return DS_STAY;
}

void dialog_clone_draw(const struct dialog_clone *d, struct crt *t)
{
	int w = t->cols - 4 < 84 ? t->cols - 4 : 84, h = 13;
	int y = (t->rows - h) / 2, x = (t->cols - w) / 2;
	int lx = x + 3, fx = x + 11, fw = 30, mx = fx + fw + 2;
	int cy = -1, cx = -1;
	char title[96], buf[128];

	if (y < 0)
		y = 0;
	for (int i = 0; i < h; i++)
		crt_fill(t, y + i, x, w, CRT_DIALOG);
	snprintf(title, sizeof(title), "Clone %s", d->src);
	crt_box(t, y, x, h, w, CRT_DIALOG, title);
	for (int f = DCL_NAME; f <= DCL_FROM; f++) {
		int row = y + 2 + f;
		bool act = f == d->field;
		enum crt_role in = act ? CRT_INPUT_ACTIVE : CRT_INPUT;
		const char *hint = "";
		crt_text(t, row, lx, 8, act ? CRT_BOLD : CRT_DIALOG, labels[f]);
		crt_fill(t, row, fx, fw, in);
		if (f == DCL_NAME) {
			int len = (int)strlen(d->name);
			const char *s = len > fw - 1 ? d->name + len - (fw - 1) : d->name;
			crt_text(t, row, fx, fw, in, s);
			if (act) {
				cy = row;
				cx = fx + (len > fw - 1 ? fw - 1 : len);
			}
		} else if (f == DCL_MODE) {
			crt_text(t, row, fx, fw, in, d->mode == VMSNAP_CLONE_LINKED ? "< linked >" : "< full copy >");
			hint = d->mode == VMSNAP_CLONE_LINKED ? "new overlays on shared disks, instant"
							     : "copies the disks";
		} else {
			const char *from = dialog_clone_from(d);
			if (from)
				snprintf(buf, sizeof(buf), "< snapshot %s >", from);
			else
				snprintf(buf, sizeof(buf), "< %s >", d->src_running ? "now (running state)"
										  : "current disks");
			crt_text(t, row, fx, fw, in, buf);
			hint = d->ntags ? "Left/Right: a snapshot" : "no snapshots to pick";
		}
		if (d->msg[f][0])
			crt_text(t, row, mx, x + w - 2 - mx, CRT_ERR, d->msg[f]);
		else
			crt_text(t, row, mx, x + w - 2 - mx, CRT_DIM, hint);
	}
	const char *what;
	if (dialog_clone_from(d))
		what = "The clone starts running from the snapshot, sharing its memory copy-on-write.";
	else if (d->src_running)
		what = "Running VM: snapshot now, the clone starts from it; both keep running.";
	else
		what = "Stopped VM: the clone is defined (stopped) with its own identity.";
	crt_text(t, y + 6, lx, w - 6, CRT_DIALOG, what);
	int by = y + 8;
	crt_text(t, by, fx, 12, d->field == DCL_CLONE ? CRT_INPUT_ACTIVE : CRT_DIALOG, "[ Clone ]");
	crt_text(t, by, fx + 12, 12, d->field == DCL_CANCEL ? CRT_INPUT_ACTIVE : CRT_DIALOG, "[ Cancel ]");
	if (d->error[0])
		crt_text(t, by + 2, lx, w - 6, CRT_ERR, d->error);
	else
		crt_text(t, by + 2, lx, w - 6, CRT_DIALOG,
			 "Tab/arrows move, Left/Right/Space choose, Enter clones, Esc cancels");
	crt_cursor(t, cy, cx);
}
