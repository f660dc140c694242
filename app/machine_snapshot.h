/* Snapshots of a machine: the directory format and the foreground
 * operations (`vmdeck run --snapshot-at`, `vmdeck run --restore`).
 *
 * A snapshot is a directory:
 *   config.ini  the VM definition at that moment (config_save)
 *   state.bin   snapfile.h container: META, vCPUs, irqchips, PIT, clock,
 *               devices, framebuffer mode + pixels; commit marker last
 *   memory.bin  guest RAM, sparse (zero pages are holes), RAM-sized
 *   screen.png  the screen at that moment (VMs with a display)
 * It is written as DIR.tmp.PID next to DIR, every file fsynced, then
 * renamed to DIR and the parent directory fsynced: a crash or a full disk
 * leaves either no DIR or a complete one, and never touches other
 * snapshots. The VM is paused while its state and memory are captured
 * (written into the page cache) and resumes before the fsyncs. */
#ifndef VMDECK_MACHINE_SNAPSHOT_H
#define VMDECK_MACHINE_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "snapfile.h"
#include "vm_state.h"

struct machine;

struct machine_snap_stats {
	uint64_t pause_ns;       /* vCPUs paused */
	uint64_t total_ns;       /* until DIR is durable */
	uint64_t mem_bytes;      /* bytes written to memory.bin */
	uint64_t mem_pages_scanned;
	uint64_t state_bytes;
	struct vm_state_info vs;
};

/* Takes a snapshot of a running (or paused) machine into dir, which must
 * not exist. The machine runs on afterwards (left paused if it was). */
int machine_snapshot(struct machine *m, const char *dir, struct machine_snap_stats *st,
		     char *err, size_t errlen);

/* Opens dir for a restore and checks everything that does not need a VM:
 * config.ini parses, state.bin is complete (magic, version, this host's CPU
 * vendor, CRCs, commit marker), its META agrees with the config, memory.bin
 * is exactly the RAM size. cfg and f are filled; snap_file_free(f) later. */
int machine_snapshot_open(const char *dir, struct vm_config *cfg, struct snap_file *f,
			  char *err, size_t errlen);
/* The checking half of machine_restore_state: every section of f against
 * m, and m paused; changes nothing. */
int machine_restore_check(struct machine *m, const struct snap_file *f, char *err, size_t errlen);
/* Loads f into m (created with opts.restore_mem = dir/memory.bin, not yet
 * started, or paused): checks every section against m first, then loads
 * devices, KVM state and the framebuffer. */
int machine_restore_state(struct machine *m, const struct snap_file *f, struct vm_state_info *vs,
			  char *err, size_t errlen);

/* ---- the PCI half (machine_snapshot_pci.c) ----
 *
 * PCI devices and virtio transports save their own sections (pci.h,
 * virtio_pci.h); virtio-blk is drained first. Disks follow an external
 * snapshot chain: at snapshot time each writable disk's current image
 * (qcow2 or raw) becomes the read-only backing file of a new qcow2 overlay
 * DISKNAME.TAG.qcow2 next to it (backing path relative), the device
 * switches to the overlay while the VM is paused, the snapshot's
 * config.ini and a SNAP_SEC_DISK section name the frozen image, and the
 * library VM's vm.ini (machine_opts.vm_ini) is rewritten to the overlay.
 * A restore never writes a frozen image: it runs on a new overlay
 * DISKNAME.rYYYYmmdd-HHMMSS.qcow2 on it, so restoring twice starts from
 * the same disk twice. Read-only disks are left as they are. */

/* Quiesce every virtio device (blk: drained and flushed) / let them run. */
int machine_pci_quiesce(struct machine *m, char *err, size_t errlen);
void machine_pci_resume(struct machine *m);
void machine_pci_save(struct machine *m, struct snap_writer *w);
int machine_pci_load(struct machine *m, const struct snap_file *f, bool check_only,
		     char *err, size_t errlen);
/* Paused and quiesced: overlays for the writable disks, the switch, the
 * DISK sections; frozen (a copy of m's config) gets the frozen images'
 * absolute paths for the snapshot's config.ini. */
int machine_disks_snapshot(struct machine *m, const char *tag, struct vm_config *frozen,
			   struct snap_writer *w, char *err, size_t errlen);
/* fsync of the frozen images (after the VM resumed). */
int machine_snapshot_sync_frozen(const struct vm_config *frozen, char *err, size_t errlen);
/* Creates a qcow2 overlay DIR/STEM.TAG.qcow2 on image (format), backing
 * path relative; out receives its path. */
int machine_disk_new_overlay(const char *image, const char *format, const char *tag,
			     char *out, size_t outlen, char *err, size_t errlen);
/* machine_create while restoring: [disk.i] becomes a new overlay on the
 * frozen image it names. */
int machine_disk_restore_overlay(struct machine *m, unsigned i, char *err, size_t errlen);
/* The DISK sections agree with config.ini (no VM needed). */
int machine_snapshot_check_disks(const struct vm_config *cfg, const struct snap_file *f,
				 char *err, size_t errlen);
/* Checks the DISK sections against m; unless check_only, a running VM's
 * disks move to new overlays on the frozen images, and vm.ini follows. */
int machine_disks_restore(struct machine *m, const struct snap_file *f, bool check_only,
			  char *err, size_t errlen);
/* Rewrites machine_opts.vm_ini's [disk.N] path/format to m's (no-op
 * without vm_ini). */
int machine_update_vm_ini(struct machine *m, char *err, size_t errlen);

#endif
