/* The one dashboard context passed to every screen, panel and action (no
 * globals). Input handlers return reaction flags; only ui_draw() draws. */
#ifndef VMDECK_UI_UICTX_H
#define VMDECK_UI_UICTX_H

#include <stdbool.h>
#include <stddef.h>

#include "conlink.h"
#include "crt.h"
#include "dialogs.h"
#include "layout.h"
#include "model.h"
#include "pvlink.h"
#include "vmlib.h"

enum ui_react {
	UI_REDRAW = 1,   /* the view changed */
	UI_RESCAN = 2,   /* sample the model now (after an action) */
	UI_QUIT = 4,
};

enum ui_focus { UI_FOCUS_LIST, UI_FOCUS_CONSOLE };

enum ui_confirm_action { UI_ACT_STOP = 1, UI_ACT_KILL, UI_ACT_DELETE, UI_ACT_QUIT };

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
/* panels */
void panel_vmlist_draw(struct ui *ui, const struct ui_rect *r);
/* Row index of the VM at screen row y, or -1. */
int panel_vmlist_hit(const struct ui *ui, const struct ui_rect *r, int y);
void panel_detail_draw(struct ui *ui, const struct ui_rect *r);
void panel_vcpu_draw(struct ui *ui, const struct ui_rect *r);
void panel_console_draw(struct ui *ui, const struct ui_rect *r);
void panel_preview_draw(struct ui *ui, const struct ui_rect *r);
void panel_events_draw(struct ui *ui, const struct ui_rect *r);
void screen_help_draw(struct ui *ui);
int screen_help_key(struct ui *ui, int key);

#endif
