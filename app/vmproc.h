/* Internals shared by the VM library (vmlib*.c), the VM process
 * (vm_process.c), its servers (control_server.c, console_server.c) and the
 * control client (vmctl.c). Not for ui/: it sees vmlib.h and vmctl.h only.
 *
 * Runtime directory RUN/NAME/ (RUN from vmproc_run_root):
 *   lock          flock'ed by the VM process for its whole life
 *   pid           the VM process's pid, written after the lock is held
 *   control.sock  JSON lines (control_server.c)
 *   console.sock  raw serial bytes (console_server.c)
 *   log           the VM process's stderr
 * LIB/vms/NAME/last-exit holds one line: why the last run ended
 * ("dead: ..." when the process vanished without cleaning up). */
#ifndef VMDECK_VMPROC_H
#define VMDECK_VMPROC_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vmctl.h"
#include "vmlib.h"

#define VMPROC_LINE_MAX (64 * 1024)   /* longest control request or reply line */
#define VMPROC_HIDDEN_CMD "__vm-process"

/* RUN: $VMDECK_RUNTIME_DIR, $XDG_RUNTIME_DIR/vmdeck, /run/vmdeck (root) or
 * /tmp/vmdeck-UID. */
const char *vmproc_run_root(char *out, size_t len);
/* RUN/NAME[/file]; -ENAMETOOLONG if it does not fit (or a socket path would
 * not fit in sun_path when file ends in ".sock"). */
int vmproc_path(const struct vmlib *lib, const char *name, const char *file, char *out,
		size_t len);
int vmproc_vm_path(const struct vmlib *lib, const char *name, const char *file, char *out,
		   size_t len);

/* Runtime entry liveness. */
enum vmproc_liveness { VMPROC_NONE, VMPROC_ALIVE, VMPROC_STARTING, VMPROC_STALE };
/* Looks at RUN/NAME: ALIVE when pid names a live `vmdeck __vm-process ... NAME`
 * process, STARTING when the directory is young and has no pid yet, STALE
 * otherwise (dead pid, pid reused by another program). */
enum vmproc_liveness vmproc_check(const struct vmlib *lib, const char *name, pid_t *pid);
/* True if /proc/PID/cmdline (NUL-separated, len bytes) is a VM process for name. */
bool vmproc_cmdline_matches(const char *cmdline, size_t len, const char *name);
/* Removes RUN/NAME and its known files. */
void vmproc_remove_runtime(const struct vmlib *lib, const char *name);
/* Writes / reads LIB/vms/NAME/last-exit. */
void vmproc_write_last_exit(const struct vmlib *lib, const char *name, const char *msg);
void vmproc_read_last_exit(const struct vmlib *lib, const char *name, char *out, size_t len);

/* `vmdeck __vm-process [--ready-fd N] --library LIB NAME`. */
int vmproc_main(int argc, char **argv);

/* Stats <-> JSON (vmctl_json.c). The JSON object may carry more than the
 * struct (per-port tables, raw kernel counters); parsing ignores extras. */
json_object *vmctl_stats_to_json(const struct vmctl_stats *s);
int vmctl_stats_from_json(json_object *o, struct vmctl_stats *s, char *err, size_t errlen);
const char *vmctl_reason_name(enum vmctl_reason r);

/* One JSON-lines request/reply exchange on a connected socket. *reply is
 * the parsed reply object on success (ok true); json_object_put it. */
int vmctl_request(struct vmctl *c, json_object *req, json_object **reply, char *err,
		  size_t errlen);
/* Connects to RUN/NAME/FILE, with timeouts of timeout_ms on I/O. */
int vmctl_connect_file(const struct vmlib *lib, const char *name, const char *file,
		       int timeout_ms, char *err, size_t errlen);

#endif
