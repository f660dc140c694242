/* Intel 8042 keyboard controller with a PS/2 keyboard and a PS/2 mouse.
 *
 * Wiring (vm.c): register i8042_data_ops at PORT_I8042_DATA (0x60), length
 * 1, and i8042_cmd_ops at PORT_I8042_CMD (0x64), length 1, both with the
 * struct i8042 (port 0x61 between them is not ours). It raises GSI IRQ_KBD
 * (1) for keyboard bytes and IRQ_MOUSE (12) for aux bytes.
 *
 * Interrupt lines: a line is high while the output buffer holds a byte from
 * its port and the config byte enables that port's interrupt. The in-kernel
 * PIC/IOAPIC see ISA lines as edge-triggered and Linux's i8042_interrupt
 * reads one byte per interrupt, so when the guest reads port 0x60 the line
 * drops before the next queued byte is loaded and raised again: one edge per
 * byte, as QEMU does.
 *
 * Output buffer: one byte visible at a time, loaded (in this order) from
 * controller replies (command results, D2/D3 bytes), the keyboard queue
 * (unless the keyboard clock is disabled, config bit 4) and the aux queue
 * (unless config bit 5). With translation (config bit 6, the power-on
 * state Linux's atkbd expects) keyboard bytes pass the 8042's set 2 -> set 1
 * table as they are loaded, F0 setting bit 7 of the next byte. Queues are
 * bounded (ps2.h); host input that does not fit is dropped and counted.
 *
 * Reset: command 0xFE (and any F0..FF pulse with bit 0 clear) or an output
 * port write with bit 0 clear (0xD1) calls on_reset, outside the device lock,
 * from the vCPU thread.
 *
 * Host input (VNC, tests) calls i8042_kbd_set2 / i8042_mouse_event from any
 * thread. Unknown controller commands are ignored and counted. */
#ifndef VMDECK_DEV_I8042_H
#define VMDECK_DEV_I8042_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus.h"
#include "dev/ps2kbd.h"
#include "dev/ps2mouse.h"
#include "irq.h"

/* Status register (port 0x64 read); names as in Linux's serio/i8042.h. */
#define I8042_STR_OBF     0x01
#define I8042_STR_IBF     0x02
#define I8042_STR_SYS     0x04
#define I8042_STR_CMDDAT  0x08 /* A2: last write went to the command port */
#define I8042_STR_KEYLOCK 0x10 /* set: keyboard not inhibited */
#define I8042_STR_AUXDATA 0x20
/* Controller configuration byte ("command byte"). */
#define I8042_CTR_KBDINT  0x01
#define I8042_CTR_AUXINT  0x02
#define I8042_CTR_SYS     0x04
#define I8042_CTR_KBDDIS  0x10
#define I8042_CTR_AUXDIS  0x20
#define I8042_CTR_XLATE   0x40
/* What a PC BIOS leaves after POST: translation on, keyboard interrupt on,
 * aux port disabled, system flag set. */
#define I8042_CTR_POWERON (I8042_CTR_XLATE | I8042_CTR_AUXDIS | I8042_CTR_SYS | I8042_CTR_KBDINT)

#define I8042_CTRLQ_SIZE 8

struct i8042_stats {
	uint64_t kbd_bytes, aux_bytes; /* bytes the guest read, per port */
	uint64_t unknown_cmds;         /* controller commands ignored */
	uint8_t first_unknown_cmd;     /* the first one, for the log-once report */
	uint64_t ctrl_dropped;         /* controller replies lost to a command flood */
	uint64_t kbd_dropped, kbd_unknown_cmds, kbd_ignored;
	uint64_t aux_dropped, aux_unknown_cmds, aux_ignored;
	uint64_t resets;               /* reset requests passed to on_reset */
};

struct i8042 {
	pthread_mutex_t lock;
	struct irq_sink irq;
	unsigned kbd_gsi, aux_gsi;
	int kbd_level, aux_level;
	void (*on_reset)(void *opaque);
	void *opaque;

	uint8_t ram[32];      /* internal RAM; ram[0] is the config byte */
	uint8_t outport;      /* output port (0xD0/0xD1) */
	uint8_t pending;      /* command waiting for a data byte on 0x60, or 0 */
	bool cmd_last;        /* status A2 */
	bool obf, ob_aux;
	uint8_t ob;
	bool xlate_break;     /* translation saw F0 */
	struct {
		uint8_t byte;
		bool aux;
	} ctrlq[I8042_CTRLQ_SIZE];
	unsigned ctrlq_head, ctrlq_count;

	struct ps2kbd kbd;
	struct ps2mouse mouse;
	struct i8042_stats stats;
};

/* irq and on_reset may be NULL. Returns 0 or -errno. */
int i8042_init(struct i8042 *c, const struct irq_sink *irq, unsigned kbd_gsi,
	       unsigned aux_gsi, void (*on_reset)(void *opaque), void *opaque);
void i8042_destroy(struct i8042 *c);

/* One key event as set-2 bytes (e.g. 1C, or F0 1C, or E0 F0 75), queued
 * whole or not at all. Returns 0, -EAGAIN (keyboard not scanning) or
 * -ENOSPC (queue full; dropped and counted). */
int i8042_kbd_set2(struct i8042 *c, const uint8_t *set2, size_t len);
/* Pointer event; see ps2mouse_event for conventions and return values. */
int i8042_mouse_event(struct i8042 *c, int dx, int dy, int dz, unsigned buttons);
void i8042_get_stats(struct i8042 *c, struct i8042_stats *out);

extern const struct bus_ops i8042_data_ops; /* port 0x60 */
extern const struct bus_ops i8042_cmd_ops;  /* port 0x64 */

#endif
