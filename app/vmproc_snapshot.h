/* Snapshot commands of the VM process (control socket) and its start from a
 * snapshot (`vmdeck __vm-process --restore DIR`). Internal to app/. */
#ifndef VMDECK_VMPROC_SNAPSHOT_H
#define VMDECK_VMPROC_SNAPSHOT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "snapfile.h"
#include "vmlib.h"

struct machine;

struct vmproc_snap_ctx {
	struct vmlib *lib;
	const char *name;
	struct vm_config *cfg;       /* the VM's definition (vm.ini) */
	struct machine *m;
	bool *paused;                /* the process's pause flag (pause/resume commands) */
};

/* "snapshot" {"tag": T}: machine_snapshot into snapshots/T, the VM runs on;
 *   reply tag, parent, pause_ms, total_ms, bytes.
 * "restore" {"tag": T}: reverts the VM in place; everything is checked
 *   before it changes; a failure after that stops the VM.
 * "suspend": snapshot "suspend" (replacing an older one), then stop.
 * Returns -ENOSYS (err untouched) for any other command. */
int vmproc_snap_command(struct vmproc_snap_ctx *c, const char *cmd, json_object *req,
			json_object *reply, char *err, size_t errlen);

/* Start from a snapshot: opens dir and checks it against cfg (before the
 * machine exists). f is filled; snap_file_free it. When dir is one of
 * name's own snapshots, cfg's disks become the snapshot's (the images it
 * froze); a clone keeps its own disks (overlays on those images). */
int vmproc_snap_open(const struct vmlib *lib, const char *name, const char *dir,
		     struct vm_config *cfg, struct snap_file *f, char *err, size_t errlen);
/* After machine_create(opts.restore_mem = dir/memory.bin): loads the state
 * and records the current snapshot (dir's tag if dir is one of this VM's
 * snapshots, else none). */
int vmproc_snap_load(struct vmproc_snap_ctx *c, const char *dir, const struct snap_file *f,
		     char *err, size_t errlen);

#endif
