/* Input: keys and clicks to actions. Returns reaction flags; never draws. */
#include <string.h>

#include "uictx.h"

#define KEY_LEAVE_CONSOLE 0x1d /* Ctrl-], as in `vmdeck console` and telnet */

static bool name_exists(void *ctx, const char *name)
{
	return model_find(ctx, name) != NULL;
}

static int select_vm(struct ui *ui, long idx)
{
	struct model *m = &ui->model;

	if (!m->nvm)
		return 0;
	if (idx < 0)
		idx = 0;
	if (idx >= (long)m->nvm)
		idx = (long)m->nvm - 1;
	if ((size_t)idx != ui->sel) {
		ui->sel = (size_t)idx;
		ui->con_scroll = 0;
	}
	memcpy(ui->sel_name, m->vm[ui->sel].e.name, sizeof(ui->sel_name));
	/* Attach the new VM's console/preview right away. */
	return UI_REDRAW | UI_RESCAN;
}

static int scroll_console(struct ui *ui, int delta)
{
	int max = (int)ui->con.buf.count - 1;

	ui->con_scroll += delta;
	if (ui->con_scroll > max)
		ui->con_scroll = max;
	if (ui->con_scroll < 0)
		ui->con_scroll = 0;
	return UI_REDRAW;
}

/* Keys to the guest's serial console, as a VT100/xterm sends them. */
static int console_key(struct ui *ui, const struct crt_key *k)
{
	const char *seq = NULL;
	char c;
	int page = ui->lay.console.h > 4 ? ui->lay.console.h - 3 : 1;

	switch (k->code) {
	case KEY_LEAVE_CONSOLE:
		ui->focus = UI_FOCUS_LIST;
		return UI_REDRAW;
	case CRT_K_PGUP: return scroll_console(ui, page);
	case CRT_K_PGDN: return scroll_console(ui, -page);
	case CRT_K_UP: seq = "\033[A"; break;
	case CRT_K_DOWN: seq = "\033[B"; break;
	case CRT_K_RIGHT: seq = "\033[C"; break;
	case CRT_K_LEFT: seq = "\033[D"; break;
	case CRT_K_HOME: seq = "\033[H"; break;
	case CRT_K_END: seq = "\033[F"; break;
	case CRT_K_DELETE: seq = "\033[3~"; break;
	case CRT_K_BACKSPACE: seq = "\x7f"; break;
	case CRT_K_BTAB: seq = "\033[Z"; break;
	case '\n': seq = "\r"; break;
	case CRT_K_RESIZE: return UI_REDRAW;
	case CRT_K_MOUSE:
		if (!layout_in(&ui->lay.console, k->my, k->mx))
			ui->focus = UI_FOCUS_LIST;
		return UI_REDRAW;
	default:
		if (k->code < 0 || k->code > 255)
			return 0;
		c = (char)k->code;
		conlink_send(&ui->con, &c, 1);
		ui->con_scroll = 0;
		return UI_REDRAW;
	}
	conlink_send(&ui->con, seq, strlen(seq));
	ui->con_scroll = 0;
	return UI_REDRAW;
}

static int focus_console(struct ui *ui)
{
	struct model_vm *v = ui_selected(ui);

	if (!v || !model_vm_live(v)) {
		evlog_add(&ui->model.log, EVLOG_WARN, "%s: not running, no console to type into",
			  v ? v->e.name : "no VM");
		return UI_REDRAW;
	}
	if (ui->con.fd < 0) {
		evlog_add(&ui->model.log, EVLOG_WARN, "%s: console not connected%s%s", v->e.name,
			  ui->con.err[0] ? ": " : "", ui->con.err);
		return UI_REDRAW | UI_RESCAN;
	}
	ui->focus = UI_FOCUS_CONSOLE;
	ui->con_scroll = 0;
	return UI_REDRAW;
}

static int click(struct ui *ui, const struct crt_key *k)
{
	if (layout_in(&ui->lay.list, k->my, k->mx)) {
		int idx = panel_vmlist_hit(ui, &ui->lay.list, k->my);
		return idx >= 0 ? select_vm(ui, idx) : 0;
	}
	if (layout_in(&ui->lay.console, k->my, k->mx))
		return focus_console(ui);
	return 0;
}

int ui_key(struct ui *ui, const struct crt_key *k)
{
	int r;

	if (k->code == CRT_K_RESIZE)
		return UI_REDRAW | UI_RESCAN; /* the preview's size changes too */
	if (ui->help_open)
		return screen_help_key(ui, k->code);
	if (ui->confirm.open) {
		r = dialog_confirm_key(&ui->confirm, k->code);
		if (r == DLG_OPEN)
			return UI_REDRAW;
		return ui_action_confirmed(ui, ui->confirm.action, ui->confirm.target, r);
	}
	if (ui->create.open) {
		r = dialog_create_key(&ui->create, k->code, name_exists, &ui->model);
		return r == DC_SUBMIT ? ui_action_create_submit(ui) : UI_REDRAW;
	}
	if (ui_snap_dialog_open(ui))
		return ui_snap_key(ui, k->code);
	if (ui->focus == UI_FOCUS_CONSOLE)
		return console_key(ui, k);

	switch (k->code) {
	case CRT_K_UP: return select_vm(ui, (long)ui->sel - 1);
	case CRT_K_DOWN: return select_vm(ui, (long)ui->sel + 1);
	case CRT_K_HOME: return select_vm(ui, 0);
	case CRT_K_END: return select_vm(ui, (long)ui->model.nvm - 1);
	case CRT_K_PGUP: return scroll_console(ui, 5);
	case CRT_K_PGDN: return scroll_console(ui, -5);
	case CRT_K_MOUSE: return click(ui, k);
	case '\r':
	case '\n':
	case CRT_K_F(2):
		return ui_action_start(ui);
	case 's':
		return ui_action_snapshot(ui);
	case 'r':
		return ui_action_restore(ui);
	case 'C':
	case CRT_K_F(5):
		return ui_action_clone(ui);
	case CRT_K_F(3):
	case 'S':
		return ui_action_stop(ui, false);
	case 'p':
	case CRT_K_F(4):
		return ui_action_pause(ui);
	case 'k':
	case CRT_K_F(9):
		return ui_action_kill(ui, false);
	case 'c':
		return focus_console(ui);
	case 'n':
	case CRT_K_F(7):
		return ui_action_new(ui);
	case 'd':
	case CRT_K_F(8):
	case CRT_K_DELETE:
		return ui_action_delete(ui, false);
	case '?':
	case 'h':
	case CRT_K_F(1):
		ui->help_open = true;
		ui->help_top = 0;
		return UI_REDRAW;
	case 'q':
	case CRT_K_F(10):
	case 3: /* ^C */
		return ui_action_quit(ui);
	case 12: /* ^L */
		return UI_REDRAW | UI_RESCAN;
	default:
		return 0;
	}
}
