/* PS/2 (MF2) keyboard behind the i8042 keyboard port.
 *
 * Not a bus device: the i8042 owns it, feeds it the bytes the guest writes
 * to port 0x60, and pulls its output from kbd->q. Locking is the i8042's.
 * Command set per the IBM PS/2 Technical Reference (keyboard commands FF..ED):
 * FF reset (FA AA), FE resend, F6 defaults, F5 disable + defaults, F4
 * enable, F3 typematic, F2 identify (FA AB 83), F0 scancode set, EE echo,
 * ED LEDs, F7..FA set-3 key types (acknowledged); anything else gets FE.
 *
 * Host key events arrive as set-2 byte sequences (the keyboard's native
 * set); with set 1 selected the keyboard converts them itself. Set 3 is
 * accepted but events stay set 2. */
#ifndef VMDECK_DEV_PS2KBD_H
#define VMDECK_DEV_PS2KBD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dev/ps2.h"

struct ps2kbd {
	struct ps2_queue q;
	bool scanning;      /* F4/F5 */
	uint8_t set;        /* 1..3 */
	uint8_t leds;       /* ED argument: bit0 scroll, bit1 num, bit2 caps */
	uint8_t typematic;  /* F3 argument */
	uint8_t expect;     /* command waiting for its argument byte, or 0 */
	uint8_t last;       /* last byte sent, for FE */
	bool set1_break;    /* set-1 conversion saw F0 */
	uint64_t unknown_cmds;
	uint64_t dropped;   /* host bytes dropped: queue full */
	uint64_t ignored;   /* host events while scanning is disabled */
};

/* Power-on state: scanning enabled, set 2, queue empty. */
void ps2kbd_reset(struct ps2kbd *k);
/* A byte from the controller (guest wrote it to port 0x60). */
void ps2kbd_write(struct ps2kbd *k, uint8_t byte);
/* One key event as set-2 bytes; queued whole or not at all.
 * Returns 0, -EAGAIN (scanning disabled) or -ENOSPC (queue full). */
int ps2kbd_put_set2(struct ps2kbd *k, const uint8_t *codes, size_t len);
/* The 8042's set 2 -> set 1 byte translation (an F0 prefix is handled by
 * the caller: it sets bit 7 of the next translated byte). */
uint8_t ps2_set2_to_set1(uint8_t code);

#endif
