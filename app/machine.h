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
};

int machine_create(const struct vm_config *c, const struct machine_opts *o,
		   struct machine **out, char *err, size_t errlen);
int machine_start(struct machine *m, char *err, size_t errlen);
void machine_destroy(struct machine *m);
struct vm *machine_vm(struct machine *m);
/* Bytes from the user to the guest's serial port. */
void machine_serial_input(struct machine *m, const unsigned char *buf, size_t len);
/* Writes counters as JSON (see app/stats_json.c). */
int machine_write_stats_json(struct machine *m, const char *path, char *err, size_t errlen);

#endif
