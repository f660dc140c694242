/* The snapshot dialogs: the tag box (s), the restore picker (r), the clone
 * dialog (C). Key handlers change dialog state and say what happened; the
 * caller (ui_snap.c) acts on it; drawing is separate. */
#ifndef VMDECK_UI_DIALOGS_SNAP_H
#define VMDECK_UI_DIALOGS_SNAP_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "snapset.h"
#include "vmlib.h"
#include "vmsnap.h"

struct crt;

enum dsnap_outcome { DS_STAY, DS_CLOSED, DS_SUBMIT };

/* ---- take a snapshot: one tag field, prefilled from the time ---- */
struct dialog_snap {
	bool open;
	char vm[VMLIB_NAME_MAX];
	char tag[VMSNAP_TAG_MAX];
	bool fresh;                 /* tag is the default: the first letter typed replaces it */
	char msg[96];               /* inline validation */
	char error[256];            /* vmsnap_take's answer */
};

void dialog_snap_open(struct dialog_snap *d, const char *vm, const char *default_tag);
/* existing: the VM's snapshots (a tag already used is refused). */
int dialog_snap_validate(struct dialog_snap *d, const struct snapset *existing);
int dialog_snap_key(struct dialog_snap *d, int key, const struct snapset *existing);
void dialog_snap_draw(const struct dialog_snap *d, struct crt *t);

/* ---- the restore picker: the VM's snapshots in tree order ---- */
enum dpick_outcome { DP_STAY, DP_CLOSED, DP_RESTORE, DP_DELETE, DP_CLONE };

struct dialog_pick {
	bool open;
	char vm[VMLIB_NAME_MAX];
	bool running;               /* restoring reverts in place (asks first) */
	struct snapset set;         /* owned; loaded by the caller */
	size_t sel;                 /* tree row */
	size_t top;                 /* first row shown */
	char error[256];
};

/* Takes the list from *set (set is left empty). */
void dialog_pick_open(struct dialog_pick *d, const char *vm, bool running, struct snapset *set);
void dialog_pick_close(struct dialog_pick *d);
/* The selected snapshot, or NULL. */
const struct vmsnap_info *dialog_pick_selected(const struct dialog_pick *d);
/* Replaces the list (after a delete), keeping the selection near. */
void dialog_pick_reload(struct dialog_pick *d, struct snapset *set);
int dialog_pick_key(struct dialog_pick *d, int key);
void dialog_pick_draw(struct dialog_pick *d, struct crt *t, time_t now);

/* ---- clone: new name, linked/full, from the current state or a snapshot ---- */
enum dcl_field { DCL_NAME, DCL_MODE, DCL_FROM, DCL_CLONE, DCL_CANCEL, DCL_NFIELDS };
#define DCL_MAX_TAGS 32

struct dialog_clone {
	bool open;
	char src[VMLIB_NAME_MAX];
	bool src_running;
	int field;
	char name[VMLIB_NAME_MAX];
	enum vmsnap_clone_mode mode;
	size_t from;                              /* 0: current state, else tags[from - 1] */
	char tags[DCL_MAX_TAGS][VMSNAP_TAG_MAX];  /* the newest snapshots, tree order */
	size_t ntags;
	char msg[DCL_NFIELDS][96];
	char error[256];                          /* vmsnap_clone's answer */
};

typedef bool (*dcl_exists_fn)(void *ctx, const char *name);

/* from_tag (may be NULL) preselects a snapshot; the name defaults to the
 * first free SRC-clone, SRC-clone2, ... */
void dialog_clone_open(struct dialog_clone *d, const char *src, bool running, const struct snapset *set,
		       const char *from_tag, dcl_exists_fn exists, void *ctx);
int dialog_clone_validate(struct dialog_clone *d, dcl_exists_fn exists, void *ctx);
int dialog_clone_key(struct dialog_clone *d, int key, dcl_exists_fn exists, void *ctx);
/* The snapshot to clone from, or NULL for the current state. */
const char *dialog_clone_from(const struct dialog_clone *d);
void dialog_clone_draw(const struct dialog_clone *d, struct crt *t);

#endif
