/* PS/2 mouse (with the Microsoft IntelliMouse wheel extension) behind the
 * i8042 auxiliary port.
 *
 * Not a bus device: the i8042 owns it (and its locking), feeds it the bytes
 * the guest sends with command 0xD4, and pulls its output from m->q.
 * Commands per the IBM PS/2 Technical Reference: FF reset (FA AA 00), FE
 * resend, F6 defaults, F5/F4 disable/enable reporting, F3 sample rate, F2
 * get ID (00, or 03 after the IntelliMouse knock: rates 200, 100, 80), F0
 * remote mode, EE/EC wrap mode on/off, EB read data, EA stream mode, E9
 * status (3 bytes), E8 resolution, E7/E6 scaling 2:1 / 1:1; others: FE. */
#ifndef VMDECK_DEV_PS2MOUSE_H
#define VMDECK_DEV_PS2MOUSE_H

#include <stdbool.h>
#include <stdint.h>

#include "dev/ps2.h"

/* Button bits, in PS/2 packet order (byte 0 bits 0..2). */
#define PS2MOUSE_BTN_LEFT   0x1
#define PS2MOUSE_BTN_RIGHT  0x2
#define PS2MOUSE_BTN_MIDDLE 0x4

struct ps2mouse {
	struct ps2_queue q;
	uint8_t id;         /* 0 standard, 3 IntelliMouse */
	uint8_t rate, resolution;
	bool scaling21, reporting, remote, wrap;
	uint8_t expect;     /* F3/E8 waiting for its argument, or 0 */
	uint8_t rates[3];   /* last three sample rates, newest last */
	uint8_t buttons;
	int acc_dx, acc_dy, acc_dz; /* remote mode: movement since last EB */
	uint8_t last;       /* last byte sent, for FE */
	uint64_t unknown_cmds;
	uint64_t dropped;   /* packets dropped: queue full */
	uint64_t ignored;   /* events while reporting is disabled */
};

void ps2mouse_reset(struct ps2mouse *m);
void ps2mouse_write(struct ps2mouse *m, uint8_t byte);
/* Movement in screen convention: dx > 0 right, dy > 0 down, dz > 0 wheel
 * turned towards the user (scroll down); buttons PS2MOUSE_BTN_*. Large
 * movements are split into several packets of at most 255 counts each.
 * Identical button state and no movement queues nothing. In remote mode
 * movement accumulates for the next EB (read data) command. Returns 0,
 * -EAGAIN (reporting disabled: discarded, counted as ignored) or -ENOSPC
 * (queue full: the rest of the movement dropped and counted). */
int ps2mouse_event(struct ps2mouse *m, int dx, int dy, int dz, unsigned buttons);

#endif
