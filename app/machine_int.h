/* Inside struct machine: shared by machine.c (VM, devices, kernel),
 * machine_display.c (framebuffer, VNC) and the PCI device wiring. */
#ifndef VMDECK_MACHINE_INT_H
#define VMDECK_MACHINE_INT_H

#include <stdbool.h>

#include "config.h"
#include "machine.h"

struct machine_pci;
struct machine_display;
struct multiboot_fb;
struct fbdev;

/* The PCI devices (machine.c builds them; snapshots save them). */
struct virtio_rng;
struct virtio_blk;
struct machine_pci {
	struct virtio_rng *rng;
	struct virtio_blk *blk[CONFIG_MAX_DISKS];
};

struct machine {
	struct vm_config cfg;
	struct vm *vm;
	struct machine_opts opts;
	struct machine_pci *pci;         /* machine_add_pci_devices */
	struct machine_display *display; /* machine_display.c */
	/* Restoring: the writable disks were opened as new overlays on the
	 * snapshot's frozen images (machine_restore_state does not swap). */
	bool disks_fresh;
};

int machine_display_create(struct machine *m, char *err, size_t errlen);
void machine_display_destroy(struct machine *m);
/* The framebuffer to announce to the guest; false without a display. */
bool machine_display_fb(struct machine *m, struct multiboot_fb *out);
/* The framebuffer device (snapshots save its mode and pixels); NULL without a display. */
struct fbdev *machine_display_fbdev(struct machine *m);
/* After the pixels were replaced behind the dirty log (restore): VNC
 * clients get the whole screen again. */
void machine_display_refresh(struct machine *m);

#endif
