/* The VM library and running VMs, as the dashboard and the CLI see them.
 *
 * Plain data only: ui/ includes this header (and vmctl.h) and nothing from
 * vmm-core. The library lives in LIB/vms/NAME/ (vm.ini, disk images,
 * snapshots/); a running VM is its own process (`vmdeck __vm-process`),
 * detached, owning the runtime directory RUN/NAME/ with control.sock,
 * console.sock, pid and framebuffer (see DESIGN.md "Process model").
 * All functions return 0 or -errno and fill err with a one-line message. */
#ifndef VMDECK_VMLIB_H
#define VMDECK_VMLIB_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define VMLIB_NAME_MAX 64

enum vmlib_state {
	VMLIB_STOPPED,   /* defined, no process */
	VMLIB_STARTING,  /* process exists, control socket not answering yet */
	VMLIB_RUNNING,
	VMLIB_PAUSED,
	VMLIB_STOPPING,
	VMLIB_DEAD,      /* process gone without cleaning up (crash, kill -9) */
};

/* "stopped", "starting", "running", "paused", "stopping", "dead". */
const char *vmlib_state_name(enum vmlib_state s);

struct vmlib_entry {
	char name[VMLIB_NAME_MAX];
	char config_path[PATH_MAX];
	enum vmlib_state state;
	unsigned cpus;
	uint64_t memory;          /* bytes */
	pid_t pid;                /* 0 when stopped */
	uint64_t uptime_ns;
	bool has_display;
	char vnc[64];             /* "127.0.0.1:5900" or "" */
	char vnc_password[64];    /* "" when none */
	char last_event[128];     /* e.g. "exited with status 0", "triple fault" */
};

struct vmlib {
	char dir[PATH_MAX];       /* LIB */
	char run_dir[PATH_MAX];   /* RUN: $XDG_RUNTIME_DIR/vmdeck or /run/vmdeck */
};

/* Opens (creating if needed) the library at dir (NULL: default location). */
int vmlib_open(struct vmlib *lib, const char *dir, char *err, size_t errlen);
/* Lists every defined VM with its live state; cleans stale runtime entries
 * (dead pid). *out is malloc'd; free() it. */
int vmlib_list(struct vmlib *lib, struct vmlib_entry **out, size_t *n, char *err, size_t errlen);
int vmlib_get(struct vmlib *lib, const char *name, struct vmlib_entry *out, char *err, size_t errlen);

/* Templates offered by the create wizard: configs/NAME.ini shipped with vmdeck. */
struct vmlib_template {
	char name[VMLIB_NAME_MAX];
	char path[PATH_MAX];
	char description[128];
	unsigned cpus;
	uint64_t memory;
	bool has_display;
};
int vmlib_templates(struct vmlib_template **out, size_t *n, char *err, size_t errlen);

/* What the wizard / `vmdeck create` asks for. Zero/empty fields take the
 * template's value. */
struct vmlib_create_req {
	char name[VMLIB_NAME_MAX];
	char template_name[VMLIB_NAME_MAX];
	unsigned cpus;
	uint64_t memory;
	char kernel[PATH_MAX];
	char cmdline[1024];
	int display;              /* -1 template, 0 off, 1 on */
	uint64_t disk_size;       /* 0: no new disk; else a qcow2 image is created */
};
/* Validates (name free and valid, sizes in range, files exist); the error
 * names the field. */
int vmlib_create(struct vmlib *lib, const struct vmlib_create_req *req, char *err, size_t errlen);
/* Refuses a running VM. */
int vmlib_remove(struct vmlib *lib, const char *name, char *err, size_t errlen);

/* Starts NAME as a detached process; returns once its control socket
 * answers (or fails with the process's error message). A VM suspended by
 * `stop --save` resumes (vmsnap_start). */
int vmlib_start(struct vmlib *lib, const char *name, char *err, size_t errlen);
/* The same, from the snapshot directory snapshot_dir (NULL: boot cold); the
 * VM process checks the snapshot against NAME's vm.ini. */
int vmlib_start_from(struct vmlib *lib, const char *name, const char *snapshot_dir, char *err,
		     size_t errlen);

#endif
