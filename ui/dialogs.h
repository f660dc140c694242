/* Modal dialogs: the create wizard and the confirmation box. Key handlers
 * update dialog state and return what happened; drawing is separate. */
#ifndef VMDECK_UI_DIALOGS_H
#define VMDECK_UI_DIALOGS_H

#include <stdbool.h>
#include <stddef.h>

#include "vmlib.h"

struct crt;
struct crt_key;

/* ---- confirmation ---- */
enum dlg_result { DLG_OPEN = -1, DLG_CANCEL = -2 }; /* else: button index */

struct dialog_confirm {
	bool open;
	int action;                      /* the caller's meaning */
	char target[VMLIB_NAME_MAX];
	char title[64];
	char text[256];
	const char *button[3];
	char hotkey[3];                  /* a letter selecting each button */
	int nbuttons, sel;
};

void dialog_confirm_open(struct dialog_confirm *d, int action, const char *target, const char *title,
			 const char *text, int nbuttons, const char *const *buttons, const char *hotkeys);
/* Returns DLG_OPEN, DLG_CANCEL or the button chosen (the dialog closes). */
int dialog_confirm_key(struct dialog_confirm *d, int key);
void dialog_confirm_draw(const struct dialog_confirm *d, struct crt *t);

/* ---- create wizard ---- */
enum dc_field {
	DC_TEMPLATE, DC_NAME, DC_CPUS, DC_MEMORY, DC_KERNEL, DC_CMDLINE, DC_DISPLAY, DC_DISK,
	DC_CREATE, DC_CANCEL, DC_NFIELDS,
};

#define DC_TEXT 256

struct dialog_create {
	bool open;
	const struct vmlib_template *tpl;  /* borrowed */
	size_t ntpl, tpl_sel;
	int field;
	char text[DC_NFIELDS][DC_TEXT];    /* text fields' contents */
	bool display;
	char msg[DC_NFIELDS][96];          /* inline validation messages */
	char error[256];                   /* vmlib_create's answer */
};

/* exists(ctx, name) says whether a VM of that name is already defined. */
typedef bool (*dc_exists_fn)(void *ctx, const char *name);

void dialog_create_open(struct dialog_create *d, const struct vmlib_template *tpl, size_t ntpl);
/* Fills msg[] for every field; returns the number of invalid fields. */
int dialog_create_validate(struct dialog_create *d, dc_exists_fn exists, void *ctx);
/* Builds the request from valid fields. */
int dialog_create_request(const struct dialog_create *d, struct vmlib_create_req *req);
enum dc_outcome { DC_STAY, DC_CLOSED, DC_SUBMIT };
int dialog_create_key(struct dialog_create *d, int key, dc_exists_fn exists, void *ctx);
void dialog_create_draw(const struct dialog_create *d, struct crt *t);

/* Name rules shared with the CLI's: 1-63 of [A-Za-z0-9_.-], not starting
 * with '.' or '-'. Returns NULL if fine, else what is wrong. */
const char *dialog_name_problem(const char *name);

#endif
