/* The one dashboard context passed to every screen, panel and action (no
 * globals). Input handlers return reaction flags; only ui_draw() draws. */
#ifndef VMDECK_UI_UICTX_H
#define VMDECK_UI_UICTX_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "conlink.h"
#include "crt.h"
#include "dialogs.h"
#include "dialogs_snap.h"
#include "layout.h"
#include "model.h"
#include "pvlink.h"
#include "snapset.h"
#include "vmlib.h"

enum ui_react {
	UI_REDRAW = 1,   /* the view changed */
	UI_RESCAN = 2,   /* sample the model now (after an action) */
	UI_QUIT = 4,
};

enum ui_focus { UI_FOCUS_LIST, UI_FOCUS_CONSOLE };

enum ui_confirm_action {
	UI_ACT_STOP = 1, UI_ACT_KILL, UI_ACT_DELETE, UI_ACT_QUIT, UI_ACT_RESTORE, UI_ACT_SNAP_DELETE,
};

/* Snapshot work that blocks (up to about a second): queued by a key, the
 * main loop draws the "...ing" status first, then runs it (ui_snap.c). */
enum ui_job_kind { UI_JOB_NONE, UI_JOB_SNAPSHOT, UI_JOB_RESTORE, UI_JOB_SNAP_RM, UI_JOB_CLONE };

struct ui_job {
	enum ui_job_kind kind;
	char vm[VMLIB_NAME_MAX];
	char tag[VMSNAP_TAG_MAX];
	char dst[VMLIB_NAME_MAX];          /* clone */
	enum vmsnap_clone_mode mode;       /* clone */
};

struct ui {
	struct crt crt;
	struct vmlib lib;
	struct model model;
	struct conlink con;
	struct pvlink pv;
	struct layout lay;
	struct vmlib_template *templates;
	size_t ntemplates;

	size_t sel;                          /* selected VM index */
	char sel_name[VMLIB_NAME_MAX];       /* kept across list changes */
	int list_top;                        /* first VM row shown */
	enum ui_focus focus;
	int con_scroll;                      /* console lines scrolled back */
	bool help_open;
	int help_top;
	struct dialog_create create;
	struct dialog_confirm confirm;
	struct dialog_snap snapdlg;
	struct dialog_pick pick;
	struct dialog_clone clone;
	char confirm_tag[VMSNAP_TAG_MAX];    /* the snapshot a restore/delete confirmation is about */
	struct snapset snaps;                /* the selected VM's snapshots, sampled */
	struct ui_job job;
	char status[200];                    /* status line (title bar), "" for none */
	enum crt_role status_role;
	time_t status_until;                 /* 0: until replaced */
};

/* screen_main.c */
void ui_draw(struct ui *ui);
struct model_vm *ui_selected(struct ui *ui);
/* ui_keys.c */
int ui_key(struct ui *ui, const struct crt_key *k);
/* ui_actions.c */
int ui_action_start(struct ui *ui);
int ui_action_stop(struct ui *ui, bool confirmed);
int ui_action_pause(struct ui *ui);
int ui_action_kill(struct ui *ui, bool confirmed);
int ui_action_delete(struct ui *ui, bool confirmed);
int ui_action_quit(struct ui *ui);
int ui_action_new(struct ui *ui);
int ui_action_create_submit(struct ui *ui);
int ui_action_confirmed(struct ui *ui, int action, const char *target, int button);
void ui_create_demos(struct ui *ui);
/* ui_snap.c: snapshot, restore, clone */
int ui_action_snapshot(struct ui *ui);
int ui_action_restore(struct ui *ui);
int ui_action_clone(struct ui *ui);
int ui_snap_key(struct ui *ui, int key);     /* a snapshot dialog is open */
bool ui_snap_dialog_open(const struct ui *ui);
int ui_snap_confirmed(struct ui *ui, int action, int button);
void ui_snap_sample(struct ui *ui);          /* the selected VM's snapshot list */
void ui_job_run(struct ui *ui);
void ui_snap_draw(struct ui *ui);            /* the open snapshot dialog */
void ui_snap_free(struct ui *ui);
/* panels */
void panel_vmlist_draw(struct ui *ui, const struct ui_rect *r);
/* Row index of the VM at screen row y, or -1. */
int panel_vmlist_hit(const struct ui *ui, const struct ui_rect *r, int y);
/* Snapshot rows the detail shows at most (more: r lists them all). */
#define PANEL_DETAIL_SNAPS 5
void panel_detail_draw(struct ui *ui, const struct ui_rect *r);
void panel_vcpu_draw(struct ui *ui, const struct ui_rect *r);
void panel_console_draw(struct ui *ui, const struct ui_rect *r);
void panel_preview_draw(struct ui *ui, const struct ui_rect *r);
void panel_events_draw(struct ui *ui, const struct ui_rect *r);
void screen_help_draw(struct ui *ui);
int screen_help_key(struct ui *ui, int key);

#endif
