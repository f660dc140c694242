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

struct machine {
	struct vm_config cfg;
	struct vm *vm;
	struct machine_opts opts;
	struct machine_pci *pci;         /* machine_add_pci_devices */
	struct machine_display *display; /* machine_display.c */
};

int machine_display_create(struct machine *m, char *err, size_t errlen);
void machine_display_destroy(struct machine *m);
/* The framebuffer to announce to the guest; false without a display. */
bool machine_display_fb(struct machine *m, struct multiboot_fb *out);

#endif
