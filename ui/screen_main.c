/* The main screen: title bar, VM list, detail of the selected VM, footer;
 * dialogs and help on top. Draws only from the model. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "uictx.h"

struct model_vm *ui_selected(struct ui *ui)
{
	return ui->sel < ui->model.nvm ? &ui->model.vm[ui->sel] : NULL;
}

static void draw_title(struct ui *ui, const struct ui_rect *r)
{
	struct crt *t = &ui->crt;
	char clock[16];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
	crt_fill(t, r->y, 0, r->w, CRT_TITLE);
	crt_textf(t, r->y, 1, r->w - 11, CRT_TITLE, "vmdeck  %zu VMs, %zu running   library %s",
		  ui->model.nvm, model_running(&ui->model), ui->lib.dir);
	crt_text(t, r->y, r->w - 9, 8, CRT_TITLE, clock);
	/* The status line: what snapshot work is under way or just ended. */
	if (ui->status[0] && ui->status_until && now >= ui->status_until)
		ui->status[0] = 0;
	if (ui->status[0]) {
		int len = (int)strlen(ui->status) + 2, x = r->w - 11 - len;
		if (x < r->w / 3)
			x = r->w / 3;
		crt_fill(t, r->y, x - 1, r->w - 10 - x, CRT_TITLE);
		crt_textf(t, r->y, x, r->w - 11 - x, ui->status_role, " %s ", ui->status);
	}
}

struct fkey {
	const char *key, *label;
};

static void draw_footer(struct ui *ui, const struct ui_rect *r)
{
	static const struct fkey main_keys[] = {
		{ "F1", "Help" }, { "F2", "Start" }, { "F3", "Stop" }, { "p", "Pause" },
		{ "k", "Kill" }, { "c", "Console" }, { "F7", "New" }, { "F8", "Delete" },
		{ "s", "Snap" }, { "r", "Restore" }, { "C", "Clone" }, { "F10", "Quit" },
	};
	static const struct fkey pick_keys[] = {
		{ "Enter", "Restore" }, { "d", "Delete" }, { "C", "Clone" }, { "Esc", "Close" },
	};
	static const struct fkey con_keys[] = {
		{ "^]", "Leave console" }, { "PgUp", "Scroll back" }, { "PgDn", "Forward" },
	};
	static const struct fkey dlg_keys[] = {
		{ "Tab", "Next" }, { "Enter", "OK" }, { "Esc", "Cancel" },
	};
	struct crt *t = &ui->crt;
	const struct fkey *k = main_keys;
	size_t n = sizeof(main_keys) / sizeof(main_keys[0]);
	int x = 0;

	if (ui->pick.open && !ui->confirm.open) {
		k = pick_keys;
		n = sizeof(pick_keys) / sizeof(pick_keys[0]);
	} else if (ui->create.open || ui->confirm.open || ui_snap_dialog_open(ui)) {
		k = dlg_keys;
		n = 3;
	} else if (ui->focus == UI_FOCUS_CONSOLE) {
		k = con_keys;
		n = 3;
	}
	crt_fill(t, r->y, 0, r->w, CRT_FLABEL);
	for (size_t i = 0; i < n && x < r->w; i++) {
		x += crt_text(t, r->y, x, r->w - x, CRT_FKEY, k[i].key);
		x += crt_text(t, r->y, x, r->w - x, CRT_FLABEL, k[i].label);
		x += crt_text(t, r->y, x, r->w - x, CRT_FLABEL, " ");
	}
	if (ui->focus == UI_FOCUS_CONSOLE && !ui->create.open && !ui->confirm.open && !ui_snap_dialog_open(ui))
		crt_textf(t, r->y, x + 1, r->w - x - 1, CRT_FLABEL, "-- keys go to %s's serial console --",
			  ui->con.name);
}

void ui_draw(struct ui *ui)
{
	struct crt *t = &ui->crt;
	struct model_vm *v = ui_selected(ui);
	unsigned nvcpus = 0;
	bool preview = false;

	if (v && model_vm_live(v) && v->have_cur)
		nvcpus = v->cur->nvcpus ? v->cur->nvcpus : v->e.cpus;
	if (v && v->e.has_display && model_vm_live(v))
		preview = true;
	unsigned snap_rows = 0;
	if (v && ui->snaps.n && !strcmp(ui->snaps.vm, v->e.name))
		snap_rows = 1 + (ui->snaps.n < PANEL_DETAIL_SNAPS ? (unsigned)ui->snaps.n : PANEL_DETAIL_SNAPS);
	layout_compute(t->rows, t->cols, (unsigned)ui->model.nvm, nvcpus, preview, snap_rows, &ui->lay);
	crt_erase(t);
	crt_cursor(t, -1, -1);
	if (ui->lay.too_small) {
		crt_textf(t, 0, 0, t->cols, CRT_ERR, "Terminal too small (%dx%d);", t->cols, t->rows);
		crt_textf(t, 1, 0, t->cols, CRT_ERR, "need %dx%d. q quits.", LAYOUT_MIN_COLS, LAYOUT_MIN_ROWS);
		crt_flush(t);
		return;
	}
	if (ui->help_open) {
		screen_help_draw(ui);
		crt_flush(t);
		return;
	}
	draw_title(ui, &ui->lay.title);
	panel_vmlist_draw(ui, &ui->lay.list);
	panel_detail_draw(ui, &ui->lay.detail);
	panel_vcpu_draw(ui, &ui->lay.vcpus);
	panel_events_draw(ui, &ui->lay.events);
	if (ui->lay.preview.h)
		panel_preview_draw(ui, &ui->lay.preview);
	/* The console last: it places the cursor when focused. */
	panel_console_draw(ui, &ui->lay.console);
	draw_footer(ui, &ui->lay.footer);
	/* The confirmation may sit on top of the restore picker. */
	if (ui->create.open)
		dialog_create_draw(&ui->create, t);
	else
		ui_snap_draw(ui);
	if (ui->confirm.open)
		dialog_confirm_draw(&ui->confirm, t);
	crt_flush(t);
}
