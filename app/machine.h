/* A machine: a VM built from a vm_config with its devices, loaded kernel and
 * (later) display and disks. The bridge between app-level configuration and
 * vmm-core; ui never sees it. */
#ifndef VMDECK_MACHINE_H
#define VMDECK_MACHINE_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

struct machine;
struct vm;

struct machine_opts {
	/* Where guest console bytes go (stdout for `vmdeck run`); may be NULL. */
	void (*console_sink)(void *opaque, const unsigned char *buf, size_t len);
	void *console_opaque;
	/* Framebuffer backing file (the runtime dir's "framebuffer"); NULL: memfd. */
	const char *fb_path;
	/* Overrides [display] vnc (e.g. `vmdeck run --vnc`); NULL: the config's. */
	const char *vnc_listen;
	/* Restoring a snapshot: guest RAM is this memory.bin mapped MAP_PRIVATE,
	 * and no kernel or firmware table is loaded (machine_snapshot.h). */
	const char *restore_mem;
	/* The library VM's definition (LIB/vms/NAME/vm.ini), or NULL: when a
	 * snapshot or a restore moves a disk to a new qcow2 overlay, its
	 * [disk.N] path is rewritten there (atomically), so the next start
	 * uses the overlay and never writes a snapshot's frozen image. */
	const char *vm_ini;
};

int machine_create(const struct vm_config *c, const struct machine_opts *o,
		   struct machine **out, char *err, size_t errlen);
int machine_start(struct machine *m, char *err, size_t errlen);
void machine_destroy(struct machine *m);
struct vm *machine_vm(struct machine *m);
/* Bytes from the user to the guest's serial port. */
void machine_serial_input(struct machine *m, const unsigned char *buf, size_t len);
bool machine_has_display(struct machine *m);
/* "vnc://127.0.0.1:5900 (password ...)" or "" without VNC. */
void machine_vnc_describe(struct machine *m, char *buf, size_t len);
int machine_vnc_stats(struct machine *m, unsigned *clients, uint64_t *bytes);
/* PNG of exactly the framebuffer pixels; -ENODEV without a display. */
int machine_screenshot(struct machine *m, const char *path, char *err, size_t errlen);
struct vmctl_stats;
/* virtio-blk counters summed over the VM's disks into s. */
void machine_disk_stats(struct machine *m, struct vmctl_stats *s);
/* Presses and releases a key combination ("ctrl-alt-delete") on the PS/2
 * keyboard. */
int machine_sendkey(struct machine *m, const char *keys, char *err, size_t errlen);
/* Writes counters as JSON (see app/stats_json.c). */
int machine_write_stats_json(struct machine *m, const char *path, char *err, size_t errlen);

#endif
