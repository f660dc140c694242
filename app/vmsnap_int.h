/* Internals of snapshots and clones of library VMs, shared by vmsnap*.c,
 * the VM process's snapshot commands (vmproc_snapshot.c), vmlib_start.c and
 * vmlib_remove. Not for ui/.
 *
 * On disk, besides machine_snapshot.h's directory format:
 *   LIB/vms/NAME/snapshots/TAG/info.ini  parent, created, cpus, memory
 *                                        (written after the snapshot; a
 *                                        snapshot without it still lists)
 *   LIB/vms/NAME/snapshots/.current      the tag NAME last took, restored
 *                                        or started from (absent: booted cold)
 *   LIB/vms/NAME/snapshots/suspend/      `vmdeck stop --save`; the next
 *                                        start resumes from it
 *   LIB/vms/NAME/origin                  "SRC" or "SRC TAG": NAME is a linked
 *                                        clone of SRC (of its snapshot TAG) */
#ifndef VMDECK_VMSNAP_INT_H
#define VMDECK_VMSNAP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "vmlib.h"
#include "vmsnap.h"

#define VMSNAP_SUSPEND_TAG "suspend"

struct vmsnap_meta {
	char parent[VMSNAP_TAG_MAX];
	time_t created;
	unsigned cpus;
	uint64_t memory;
};

/* LIB/vms/NAME/snapshots[/TAG]; -ENAMETOOLONG. */
int vmsnap_path(const struct vmlib *lib, const char *name, const char *tag, char *out, size_t len);
/* A tag from the local time: "snap-YYYYmmdd-HHMMSS" (and "-N" if taken). */
void vmsnap_make_tag(const struct vmlib *lib, const char *name, char *out, size_t len);

/* info.ini in a snapshot directory. Reading validates every value and
 * returns -ENOENT / -EINVAL (meta zeroed) when missing or malformed. */
int vmsnap_meta_write(const char *dir, const struct vmsnap_meta *m);
int vmsnap_meta_read(const char *dir, struct vmsnap_meta *m);
/* snapshots/.current: "" when none (or not a valid tag). */
void vmsnap_current_read(const struct vmlib *lib, const char *name, char *tag, size_t len);
int vmsnap_current_write(const struct vmlib *lib, const char *name, const char *tag);

/* A snapshot's machine fits the VM's definition: same vCPUs, memory,
 * display (and its size), and disks (indices, read-only or not). The error
 * names the first difference. */
int vmsnap_config_compatible(const struct vm_config *vm, const struct vm_config *snap,
			     char *err, size_t errlen);

/* Who depends on LIB/vms/NAME (tag NULL) or on its snapshot TAG: a VM or
 * snapshot whose disks (through their backing chains) use a file inside
 * it, or a linked clone made from it (its origin file). 0 when nobody,
 * -EBUSY with who filled ("VM 'c1' (disk.0 ... backs onto ...)"). */
int vmsnap_find_dependant(struct vmlib *lib, const char *name, const char *tag, char *who,
			  size_t wholen);

/* Removes a snapshot directory (flat: no subdirectories). */
int vmsnap_rm_dir(const char *dir, char *err, size_t errlen);

#endif
