/* Snapshots and clones of library VMs, as the dashboard and the CLI see
 * them (plain data; ui/ may include this). A VM's snapshots live in
 * LIB/vms/NAME/snapshots/TAG/ (the directory format is machine_snapshot.h's).
 * All functions return 0 or -errno and fill err with a one-line message. */
#ifndef VMDECK_VMSNAP_H
#define VMDECK_VMSNAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "vmlib.h"

#define VMSNAP_TAG_MAX 64

struct vmsnap_info {
	char tag[VMSNAP_TAG_MAX];
	char parent[VMSNAP_TAG_MAX]; /* snapshot this one descends from, "" for none */
	time_t created;
	uint64_t bytes;              /* space the snapshot's files use on disk */
	uint64_t memory;             /* guest RAM size */
	unsigned cpus;
	bool has_screen;             /* screen.png present */
	bool current;                /* the VM last started from / took this one */
};

/* Tags: letters, digits, '-', '_', '.'; NULL or "" makes one from the time. */
bool vmsnap_tag_valid(const char *tag);

/* Snapshots a running VM (through its control socket) and keeps it running.
 * tag_out (may be NULL) receives the tag used. */
int vmsnap_take(struct vmlib *lib, const char *name, const char *tag, char *tag_out,
		size_t tag_len, char *err, size_t errlen);
/* Oldest first; *out is malloc'd. */
int vmsnap_list(struct vmlib *lib, const char *name, struct vmsnap_info **out, size_t *n,
		char *err, size_t errlen);
/* A running VM reverts in place (everything is checked before it changes;
 * a bad snapshot leaves it as it was); a stopped VM starts from the snapshot. */
int vmsnap_restore(struct vmlib *lib, const char *name, const char *tag, char *err, size_t errlen);
/* Refuses (naming who) when a clone or another snapshot depends on it. */
int vmsnap_remove(struct vmlib *lib, const char *name, const char *tag, char *err, size_t errlen);

/* Starts a stopped VM: from its "suspend" snapshot when `vmdeck stop --save`
 * left one (which is then removed; *resumed true), else a cold boot.
 * vmlib_start calls this. resumed may be NULL. (Added for issue 6 item 6.) */
int vmsnap_start(struct vmlib *lib, const char *name, bool *resumed, char *err, size_t errlen);
/* Suspends a running VM to file: snapshot "suspend" (replacing an older
 * one), then the VM stops; returns once it has. */
int vmsnap_suspend(struct vmlib *lib, const char *name, char *err, size_t errlen);

enum vmsnap_clone_mode { VMSNAP_CLONE_LINKED, VMSNAP_CLONE_FULL };
/* Clones src into a new library VM dst with a fresh identity. Stopped src:
 * linked = new qcow2 overlays on src's (then frozen) disks, O(1) in disk
 * size; full = copies. Running src (or from_tag given): from a snapshot,
 * and dst starts running from it, sharing its memory file copy-on-write. */
int vmsnap_clone(struct vmlib *lib, const char *src, const char *dst, enum vmsnap_clone_mode mode,
		 const char *from_tag, char *err, size_t errlen);

#endif
