/* Snapshot, restore and clone from the dashboard: the s / r / C keys open
 * their dialogs, dialog outcomes become confirmations or queued jobs, and
 * ui_job_run() does the (blocking, up to about a second) vmsnap_* call
 * after the main loop has drawn the "...ing" status. Results go to the
 * event log and the status line. Returns reaction flags; never draws
 * except through ui_snap_draw(). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "uictx.h"

#define STATUS_SECONDS 8

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool name_exists(void *ctx, const char *name)
{
	return model_find(ctx, name) != NULL;
}

static void status(struct ui *ui, enum crt_role role, int seconds, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void status(struct ui *ui, enum crt_role role, int seconds, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ui->status, sizeof(ui->status), fmt, ap);
	va_end(ap);
	ui->status_role = role;
	ui->status_until = seconds ? time(NULL) + seconds : 0;
}

static struct model_vm *selected_or_log(struct ui *ui)
{
	struct model_vm *v = ui_selected(ui);
	if (!v)
		evlog_add(&ui->model.log, EVLOG_WARN, "no VM selected (n creates one)");
	return v;
}

/* The selected VM's list, fresh (the sampled one may be half a second old). */
static void reload_snaps(struct ui *ui, const char *vm)
{
	snapset_load(&ui->snaps, &ui->lib, vm);
}

void ui_snap_sample(struct ui *ui)
{
	struct model_vm *v = ui_selected(ui);

	if (!v) {
		snapset_free(&ui->snaps);
		return;
	}
	reload_snaps(ui, v->e.name);
}

void ui_snap_free(struct ui *ui)
{
	snapset_free(&ui->snaps);
	dialog_pick_close(&ui->pick);
}

bool ui_snap_dialog_open(const struct ui *ui)
{
	return ui->snapdlg.open || ui->pick.open || ui->clone.open;
}

static const char *job_verb(enum ui_job_kind k)
{
	switch (k) {
	case UI_JOB_SNAPSHOT: return "snapshotting";
	case UI_JOB_RESTORE: return "restoring";
	case UI_JOB_SNAP_RM: return "deleting snapshot";
	case UI_JOB_CLONE: return "cloning";
	case UI_JOB_NONE: break;
	}
	return "";
}

static int queue(struct ui *ui, enum ui_job_kind kind, const char *vm, const char *tag)
{
	memset(&ui->job, 0, sizeof(ui->job));
	ui->job.kind = kind;
	snprintf(ui->job.vm, sizeof(ui->job.vm), "%s", vm);
	snprintf(ui->job.tag, sizeof(ui->job.tag), "%s", tag ? tag : "");
	/* Shown (the main loop draws) before the call blocks. */
	status(ui, CRT_WARN, 0, "%s %s%s%s...", job_verb(kind), vm, ui->job.tag[0] ? " " : "", ui->job.tag);
	return UI_REDRAW;
}

/* ---- s: snapshot ---- */

int ui_action_snapshot(struct ui *ui)
{
	struct model_vm *v = selected_or_log(ui);
	char tag[VMSNAP_TAG_MAX];

	if (!v)
		return UI_REDRAW;
	if (!model_vm_live(v) || v->e.state == VMLIB_STOPPING) {
		evlog_add(&ui->model.log, EVLOG_WARN, "%s is %s: only a running VM can be snapshotted%s",
			  v->e.name, model_state_name(v->e.state), ui->snaps.n ? " (r restores one)" : "");
		return UI_REDRAW;
	}
	reload_snaps(ui, v->e.name);
	snaptag_default(time(NULL), ui->snaps.s, ui->snaps.n, tag, sizeof(tag));
	dialog_snap_open(&ui->snapdlg, v->e.name, tag);
	dialog_snap_validate(&ui->snapdlg, &ui->snaps);
	return UI_REDRAW;
}

/* ---- r: the restore picker ---- */

int ui_action_restore(struct ui *ui)
{
	struct model_vm *v = selected_or_log(ui);
	struct snapset set = { 0 };

	if (!v)
		return UI_REDRAW;
	if (v->e.state == VMLIB_STARTING || v->e.state == VMLIB_STOPPING) {
		evlog_add(&ui->model.log, EVLOG_WARN, "%s is %s: try again in a moment", v->e.name,
			  model_state_name(v->e.state));
		return UI_REDRAW;
	}
	if (snapset_load(&set, &ui->lib, v->e.name) < 0) {
		evlog_add(&ui->model.log, EVLOG_ERROR, "%s: listing snapshots: %s", v->e.name, set.err);
		snapset_free(&set);
		return UI_REDRAW;
	}
	if (!set.n) {
		evlog_add(&ui->model.log, EVLOG_WARN, "%s has no snapshots%s", v->e.name,
			  model_vm_live(v) ? " (s takes one)" : "");
		snapset_free(&set);
		return UI_REDRAW;
	}
	dialog_pick_open(&ui->pick, v->e.name, model_vm_live(v), &set);
	return UI_REDRAW;
}

/* ---- C / F5: clone ---- */

static int open_clone(struct ui *ui, struct model_vm *v, const char *from_tag)
{
	reload_snaps(ui, v->e.name);
	dialog_clone_open(&ui->clone, v->e.name, model_vm_live(v), &ui->snaps, from_tag, name_exists,
			  &ui->model);
	return UI_REDRAW;
}

int ui_action_clone(struct ui *ui)
{
	struct model_vm *v = selected_or_log(ui);

	if (!v)
		return UI_REDRAW;
	if (v->e.state == VMLIB_STARTING || v->e.state == VMLIB_STOPPING) {
		evlog_add(&ui->model.log, EVLOG_WARN, "%s is %s: try again in a moment", v->e.name,
			  model_state_name(v->e.state));
		return UI_REDRAW;
	}
	return open_clone(ui, v, NULL);
}

/* ---- dialog keys ---- */

static int pick_key(struct ui *ui, int key)
{
	struct dialog_pick *d = &ui->pick;
	const struct vmsnap_info *s;
	char text[200];
	int r = dialog_pick_key(d, key);

	if (r == DP_STAY || r == DP_CLOSED)
		return UI_REDRAW;
	s = dialog_pick_selected(d);
	if (!s)
		return UI_REDRAW;
	snprintf(ui->confirm_tag, sizeof(ui->confirm_tag), "%s", s->tag);
	switch (r) {
	case DP_RESTORE:
		if (!d->running) {
			queue(ui, UI_JOB_RESTORE, d->vm, s->tag);
			dialog_pick_close(d);
			return UI_REDRAW;
		}
		{
			static const char *const b[] = { "Restore", "Cancel" };
			snprintf(text, sizeof(text), "Revert running '%.63s' to '%.63s'? Changes since are lost.",
				 d->vm, s->tag);
			dialog_confirm_open(&ui->confirm, UI_ACT_RESTORE, d->vm, "Restore snapshot", text, 2, b,
					    "rc");
		}
		return UI_REDRAW;
	case DP_DELETE: {
		static const char *const b[] = { "Delete", "Cancel" };
		snprintf(text, sizeof(text), "Delete snapshot '%.63s' of '%.63s'?", s->tag, d->vm);
		dialog_confirm_open(&ui->confirm, UI_ACT_SNAP_DELETE, d->vm, "Delete snapshot", text, 2, b,
				    "dc");
		return UI_REDRAW;
	}
	case DP_CLONE: {
		struct model_vm *v = model_find(&ui->model, d->vm);
		char tag[VMSNAP_TAG_MAX];
		snprintf(tag, sizeof(tag), "%s", s->tag);
		dialog_pick_close(d);
		return v ? open_clone(ui, v, tag) : UI_REDRAW;
	}
	}
	return UI_REDRAW;
}

int ui_snap_key(struct ui *ui, int key)
{
	if (ui->snapdlg.open) {
		if (dialog_snap_key(&ui->snapdlg, key, &ui->snaps) != DS_SUBMIT)
			return UI_REDRAW;
		ui->snapdlg.open = false;
		queue(ui, UI_JOB_SNAPSHOT, ui->snapdlg.vm, ui->snapdlg.tag);
		return UI_REDRAW;
	}
	if (ui->clone.open) {
		struct dialog_clone *d = &ui->clone;
		if (dialog_clone_key(d, key, name_exists, &ui->model) != DS_SUBMIT)
			return UI_REDRAW;
		d->open = false;
		queue(ui, UI_JOB_CLONE, d->src, dialog_clone_from(d));
		snprintf(ui->job.dst, sizeof(ui->job.dst), "%s", d->name);
		ui->job.mode = d->mode;
		status(ui, CRT_WARN, 0, "cloning %s to %s...", d->src, d->name);
		return UI_REDRAW;
	}
	if (ui->pick.open)
		return pick_key(ui, key);
	return 0;
}

int ui_snap_confirmed(struct ui *ui, int action, int button)
{
	const char *vm = ui->confirm.target;

	if (button != 0)
		return UI_REDRAW; /* back to the picker */
	if (action == UI_ACT_RESTORE) {
		queue(ui, UI_JOB_RESTORE, vm, ui->confirm_tag);
		dialog_pick_close(&ui->pick);
	} else if (action == UI_ACT_SNAP_DELETE) {
		queue(ui, UI_JOB_SNAP_RM, vm, ui->confirm_tag);
	}
	return UI_REDRAW;
}

/* ---- the blocking part ---- */

/* Marks the jump in the console pane, so lines before and after read apart. */
static void console_mark(struct ui *ui, const char *vm, const char *what)
{
	char line[300];

	if (strcmp(ui->con.name, vm))
		return;
	snprintf(line, sizeof(line), "%s-- vmdeck: %.200s --\r\n", ui->con.buf.col ? "\r\n" : "", what);
	conbuf_feed(&ui->con.buf, line, strlen(line));
}

void ui_job_run(struct ui *ui)
{
	struct ui_job j = ui->job;
	char err[256] = "", tag[VMSNAP_TAG_MAX] = "", what[256];
	uint64_t t0 = mono_ms();
	int r = -1;

	ui->job.kind = UI_JOB_NONE;
	switch (j.kind) {
	case UI_JOB_NONE:
		return;
	case UI_JOB_SNAPSHOT:
		r = vmsnap_take(&ui->lib, j.vm, j.tag[0] ? j.tag : NULL, tag, sizeof(tag), err, sizeof(err));
		if (!tag[0])
			snprintf(tag, sizeof(tag), "%s", j.tag);
		snprintf(what, sizeof(what), "snapshot %s taken", tag);
		break;
	case UI_JOB_RESTORE:
		r = vmsnap_restore(&ui->lib, j.vm, j.tag, err, sizeof(err));
		snprintf(what, sizeof(what), "restored snapshot %s", j.tag);
		if (r == 0) {
			console_mark(ui, j.vm, what);
			/* The screen may be a new mapping now: map it again. */
			pvlink_free(&ui->pv);
			pvlink_init(&ui->pv);
		}
		break;
	case UI_JOB_SNAP_RM:
		r = vmsnap_remove(&ui->lib, j.vm, j.tag, err, sizeof(err));
		snprintf(what, sizeof(what), "snapshot %s deleted", j.tag);
		if (ui->pick.open && !strcmp(ui->pick.vm, j.vm)) {
			struct snapset set = { 0 };
			snapset_load(&set, &ui->lib, j.vm);
			dialog_pick_reload(&ui->pick, &set);
			if (r < 0)
				snprintf(ui->pick.error, sizeof(ui->pick.error), "%s", err);
			if (!ui->pick.set.n)
				dialog_pick_close(&ui->pick);
		}
		break;
	case UI_JOB_CLONE:
		r = vmsnap_clone(&ui->lib, j.vm, j.dst, j.mode, j.tag[0] ? j.tag : NULL, err, sizeof(err));
		snprintf(what, sizeof(what), "cloned to %s (%s%s%s)", j.dst,
			 j.mode == VMSNAP_CLONE_FULL ? "full" : "linked", j.tag[0] ? ", from snapshot " : "",
			 j.tag);
		if (r == 0)
			snprintf(ui->sel_name, sizeof(ui->sel_name), "%s", j.dst);
		break;
	}
	unsigned ms = (unsigned)(mono_ms() - t0);
	if (r < 0) {
		evlog_add(&ui->model.log, EVLOG_ERROR, "%s: %s failed: %s", j.vm,
			  j.kind == UI_JOB_SNAPSHOT ? "snapshot" : j.kind == UI_JOB_RESTORE ? "restore"
				 : j.kind == UI_JOB_SNAP_RM ? "deleting a snapshot" : "clone", err);
		status(ui, CRT_ERR, STATUS_SECONDS, "%s: %s", j.vm, err);
	} else {
		evlog_add(&ui->model.log, EVLOG_INFO, "%s: %s in %u ms", j.vm, what, ms);
		status(ui, CRT_OK, STATUS_SECONDS, "%s: %s in %u ms", j.vm, what, ms);
	}
	reload_snaps(ui, j.vm);
}

void ui_snap_draw(struct ui *ui)
{
	struct crt *t = &ui->crt;

	if (ui->snapdlg.open)
		dialog_snap_draw(&ui->snapdlg, t);
	else if (ui->clone.open)
		dialog_clone_draw(&ui->clone, t);
	else if (ui->pick.open)
		dialog_pick_draw(&ui->pick, t, time(NULL));
}
