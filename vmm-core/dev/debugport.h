/* Bochs/QEMU-style debug ports.
 *
 * Wiring (vm.c): register debugport_con_ops at PORT_DEBUGCON (0xE9), length
 * 1, and debugport_exit_ops at PORT_DEBUG_EXIT (0xF4), length 4 (what QEMU's
 * `-device isa-debug-exit,iobase=0xf4,iosize=4` decodes), both with the same
 * struct debugport. No interrupt line.
 *
 * 0xE9: a written byte goes to the console (the low byte of a wider write,
 * as QEMU's debugcon does); a read returns 0xE9, the Bochs "port e9 hack"
 * signature guests use to detect the port.
 * 0xF4: a write of value v (any width, any offset in the range, zero-extended
 * little-endian) requests a VM exit with status v. The first request wins;
 * on_exit is called once, outside the device lock, from the writing vCPU's
 * thread (the VM then stops all vCPUs). Reads return 0. Unlike QEMU
 * (status (v << 1) | 1) vmdeck exits with v itself (DESIGN.md). */
#ifndef VMDECK_DEV_DEBUGPORT_H
#define VMDECK_DEV_DEBUGPORT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "bus.h"
#include "console.h"

struct debugport {
	pthread_mutex_t lock;
	struct console *con;
	void (*on_exit)(void *opaque, uint32_t code);
	void *opaque;
	bool exit_requested;
	uint32_t exit_code;
	uint64_t con_bytes;   /* bytes written to 0xE9 */
	uint64_t exit_writes; /* writes to 0xF4, including ignored repeats */
};

/* con and on_exit may be NULL. Returns 0 or -errno. */
int debugport_init(struct debugport *d, struct console *con,
		   void (*on_exit)(void *opaque, uint32_t code), void *opaque);
void debugport_destroy(struct debugport *d);
/* True once the guest asked to exit; *code gets the value it wrote. */
bool debugport_exit_requested(struct debugport *d, uint32_t *code);
/* Forget a past request (VM reset). */
void debugport_reset(struct debugport *d);

extern const struct bus_ops debugport_con_ops;
extern const struct bus_ops debugport_exit_ops;

#endif
