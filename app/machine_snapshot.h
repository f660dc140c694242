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
/* Loads f into m (created with opts.restore_mem = dir/memory.bin, not yet
 * started, or paused): checks every section against m first, then loads
 * devices, KVM state and the framebuffer. */
int machine_restore_state(struct machine *m, const struct snap_file *f, struct vm_state_info *vs,
			  char *err, size_t errlen);

#endif
