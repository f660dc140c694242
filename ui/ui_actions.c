/* Actions on the selected VM. Each returns reaction flags; results and
 * errors go to the event log, which the view shows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uictx.h"

static const char *const demo_names[] = { "hello", "exits", "smp", "gfx" };

void ui_create_demos(struct ui *ui)
{
	char done[128] = "", err[256];

	for (size_t d = 0; d < sizeof(demo_names) / sizeof(demo_names[0]); d++) {
		for (size_t i = 0; i < ui->ntemplates; i++) {
			if (strcmp(ui->templates[i].name, demo_names[d]))
				continue;
			struct vmlib_create_req req;
			memset(&req, 0, sizeof(req));
			snprintf(req.name, sizeof(req.name), "%s", demo_names[d]);
			snprintf(req.template_name, sizeof(req.template_name), "%s", demo_names[d]);
			req.display = -1;
			if (vmlib_create(&ui->lib, &req, err, sizeof(err)) < 0) {
				evlog_add(&ui->model.log, EVLOG_ERROR, "creating demo %s: %s", demo_names[d], err);
			} else {
				size_t l = strlen(done);
				snprintf(done + l, sizeof(done) - l, "%s%s", l ? ", " : "", demo_names[d]);
			}
		}
	}
	if (done[0])
		evlog_add(&ui->model.log, EVLOG_INFO, "empty library: created the demo VMs %s", done);
}

static struct model_vm *selected_or_log(struct ui *ui)
{
	struct model_vm *v = ui_selected(ui);
	if (!v)
		evlog_add(&ui->model.log, EVLOG_WARN, "no VM selected (n creates one)");
	return v;
}

/* A control command to a running VM, through the model's connection. */
static int ctl_cmd(struct ui *ui, struct model_vm *v, const char *cmd)
{
	char err[256];
	struct vmctl c;
	int r;

	if (v->ctl_open) {
		r = vmctl_simple(&v->ctl, cmd, err, sizeof(err));
	} else {
		r = vmctl_connect(&ui->lib, v->e.name, &c, err, sizeof(err));
		if (r == 0) {
			r = vmctl_simple(&c, cmd, err, sizeof(err));
			vmctl_close(&c);
		}
	}
	if (r < 0)
		evlog_add(&ui->model.log, EVLOG_ERROR, "%s: %s failed: %s", v->e.name, cmd, err);
	return r;
}

int ui_action_start(struct ui *ui)
{
	struct model_vm *v = selected_or_log(ui);
	char err[256];

	if (!v)
		return UI_REDRAW;
	if (v->e.state == VMLIB_PAUSED)
		return ui_action_pause(ui);
	if (model_vm_live(v) || v->e.state == VMLIB_STARTING) {
		evlog_add(&ui->model.log, EVLOG_WARN, "%s is already %s", v->e.name,
			  model_state_name(v->e.state));
		return UI_REDRAW;
	}
	if (vmlib_start(&ui->lib, v->e.name, err, sizeof(err)) < 0)
		evlog_add(&ui->model.log, EVLOG_ERROR, "%s: start failed: %s", v->e.name, err);
	return UI_REDRAW | UI_RESCAN;
}

/* Stop and kill: a live VM, a confirmation first, then one control command.
 * buttons must outlive the dialog (static). */
static int confirmed_ctl(struct ui *ui, bool confirmed, int action, const char *title,
			 const char *question, const char *const *buttons, const char *hotkeys,
			 const char *cmd, const char *done)
{
	struct model_vm *v = selected_or_log(ui);

	if (!v)
		return UI_REDRAW;
	if (!model_vm_live(v)) {
		evlog_add(&ui->model.log, EVLOG_WARN, "%s is not running", v->e.name);
		return UI_REDRAW;
	}
	if (!confirmed) {
		char text[160];
		snprintf(text, sizeof(text), question, v->e.name);
		dialog_confirm_open(&ui->confirm, action, v->e.name, title, text, 2, buttons, hotkeys);
		return UI_REDRAW;
	}
	if (ctl_cmd(ui, v, cmd) == 0)
		evlog_add(&ui->model.log, EVLOG_INFO, "%s: %s", v->e.name, done);
	return UI_REDRAW | UI_RESCAN;
}

int ui_action_stop(struct ui *ui, bool confirmed)
{
	static const char *const b[] = { "Stop", "Cancel" };
	return confirmed_ctl(ui, confirmed, UI_ACT_STOP, "Stop VM",
			     "Stop VM '%s'? (powerdown; the guest's state is lost)", b, "sc",
			     "powerdown", "powerdown requested");
}

int ui_action_pause(struct ui *ui)
{
	struct model_vm *v = selected_or_log(ui);

	if (!v)
		return UI_REDRAW;
	if (v->e.state == VMLIB_RUNNING)
		ctl_cmd(ui, v, "pause");
	else if (v->e.state == VMLIB_PAUSED)
		ctl_cmd(ui, v, "resume");
	else
		evlog_add(&ui->model.log, EVLOG_WARN, "%s is not running", v->e.name);
	return UI_REDRAW | UI_RESCAN;
}

int ui_action_kill(struct ui *ui, bool confirmed)
{
	static const char *const b[] = { "Kill", "Cancel" };
	return confirmed_ctl(ui, confirmed, UI_ACT_KILL, "Kill VM", "Kill VM '%s' immediately?", b,
			     "kc", "kill", "killed");
}

int ui_action_delete(struct ui *ui, bool confirmed)
{
	struct model_vm *v = selected_or_log(ui);
	char err[256];

	if (!v)
		return UI_REDRAW;
	if (model_vm_live(v)) {
		evlog_add(&ui->model.log, EVLOG_WARN, "%s is running: stop it before deleting", v->e.name);
		return UI_REDRAW;
	}
	if (!confirmed) {
		static const char *const b[] = { "Delete", "Cancel" };
		char text[200];
		snprintf(text, sizeof(text), "Delete VM '%s' with its disks and snapshots?", v->e.name);
		dialog_confirm_open(&ui->confirm, UI_ACT_DELETE, v->e.name, "Delete VM", text, 2, b, "dc");
		return UI_REDRAW;
	}
	if (vmlib_remove(&ui->lib, v->e.name, err, sizeof(err)) < 0)
		evlog_add(&ui->model.log, EVLOG_ERROR, "%s: delete failed: %s", v->e.name, err);
	else
		evlog_add(&ui->model.log, EVLOG_INFO, "%s: deleted", v->e.name);
	return UI_REDRAW | UI_RESCAN;
}

int ui_action_quit(struct ui *ui)
{
	size_t n = model_running(&ui->model);

	if (!n)
		return UI_QUIT;
	static const char *const b[] = { "Stop them", "Leave running", "Cancel" };
	char text[160];
	snprintf(text, sizeof(text), "%zu VM%s running. Stop before quitting?", n, n == 1 ? " is" : "s are");
	dialog_confirm_open(&ui->confirm, UI_ACT_QUIT, NULL, "Quit", text, 3, b, "slc");
	return UI_REDRAW;
}

int ui_action_new(struct ui *ui)
{
	dialog_create_open(&ui->create, ui->templates, ui->ntemplates);
	return UI_REDRAW;
}

static bool name_exists(void *ctx, const char *name)
{
	return model_find(ctx, name) != NULL;
}

int ui_action_create_submit(struct ui *ui)
{
	struct vmlib_create_req req;
	char err[256];

	if (dialog_create_validate(&ui->create, name_exists, &ui->model) ||
	    dialog_create_request(&ui->create, &req) < 0)
		return UI_REDRAW;
	if (vmlib_create(&ui->lib, &req, err, sizeof(err)) < 0) {
		snprintf(ui->create.error, sizeof(ui->create.error), "%s", err);
		return UI_REDRAW;
	}
	evlog_add(&ui->model.log, EVLOG_INFO, "%s: created from template %s", req.name, req.template_name);
	ui->create.open = false;
	snprintf(ui->sel_name, sizeof(ui->sel_name), "%s", req.name);
	return UI_REDRAW | UI_RESCAN;
}

int ui_action_confirmed(struct ui *ui, int action, const char *target, int button)
{
	if (button < 0)
		return UI_REDRAW;
	/* The target may have moved in the list since the dialog opened. */
	if (target && *target) {
		for (size_t i = 0; i < ui->model.nvm; i++)
			if (!strcmp(ui->model.vm[i].e.name, target))
				ui->sel = i;
		if (!model_find(&ui->model, target))
			return UI_REDRAW;
	}
	switch (action) {
	case UI_ACT_STOP:
		return button == 0 ? ui_action_stop(ui, true) : UI_REDRAW;
	case UI_ACT_KILL:
		return button == 0 ? ui_action_kill(ui, true) : UI_REDRAW;
	case UI_ACT_DELETE:
		return button == 0 ? ui_action_delete(ui, true) : UI_REDRAW;
	case UI_ACT_RESTORE:
	case UI_ACT_SNAP_DELETE:
		return ui_snap_confirmed(ui, action, button);
	case UI_ACT_QUIT:
		if (button == 2)
			return UI_REDRAW;
		if (button == 0)
			for (size_t i = 0; i < ui->model.nvm; i++)
				if (model_vm_live(&ui->model.vm[i]))
					ctl_cmd(ui, &ui->model.vm[i], "powerdown");
		return UI_QUIT;
	}
	return UI_REDRAW;
}
