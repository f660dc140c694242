/* PS/2 keyboard; see ps2kbd.h. */
#include <errno.h>
#include <string.h>

#include "dev/ps2kbd.h"

/* Keyboard commands (IBM PS/2 Technical Reference, keyboard section). */
#define KBD_CMD_SET_LEDS    0xED
#define KBD_CMD_ECHO        0xEE
#define KBD_CMD_SCANSET     0xF0
#define KBD_CMD_IDENTIFY    0xF2
#define KBD_CMD_TYPEMATIC   0xF3
#define KBD_CMD_ENABLE      0xF4
#define KBD_CMD_DISABLE     0xF5
#define KBD_CMD_DEFAULTS    0xF6
#define KBD_CMD_ALL_TYPEM   0xF7 /* F7..FA: set-3 key types for all keys */
#define KBD_CMD_ALL_MAKEBRK 0xFA
#define KBD_CMD_RESEND      0xFE
#define KBD_CMD_RESET       0xFF

#define KBD_ID0 0xAB /* MF2 keyboard ID: AB 83 (AB 41 once translated) */
#define KBD_ID1 0x83
#define KBD_TYPEMATIC_DEFAULT 0x2B /* 10.9 chars/s, 500 ms */

/* Set 2 -> set 1, as the 8042's translation ROM does for bytes 0x00-0x7F.
 * Bytes 0x80-0xFF pass unchanged except 0x83 (F7) and 0x84 (SysRq). */
static const uint8_t set2_to_set1[128] = {
	0xff, 0x43, 0x41, 0x3f, 0x3d, 0x3b, 0x3c, 0x58, 0x64, 0x44, 0x42, 0x40, 0x3e, 0x0f, 0x29, 0x59,
	0x65, 0x38, 0x2a, 0x70, 0x1d, 0x10, 0x02, 0x5a, 0x66, 0x71, 0x2c, 0x1f, 0x1e, 0x11, 0x03, 0x5b,
	0x67, 0x2e, 0x2d, 0x20, 0x12, 0x05, 0x04, 0x5c, 0x68, 0x39, 0x2f, 0x21, 0x14, 0x13, 0x06, 0x5d,
	0x69, 0x31, 0x30, 0x23, 0x22, 0x15, 0x07, 0x5e, 0x6a, 0x72, 0x32, 0x24, 0x16, 0x08, 0x09, 0x5f,
	0x6b, 0x33, 0x25, 0x17, 0x18, 0x0b, 0x0a, 0x60, 0x6c, 0x34, 0x35, 0x26, 0x27, 0x19, 0x0c, 0x61,
	0x6d, 0x73, 0x28, 0x74, 0x1a, 0x0d, 0x62, 0x6e, 0x3a, 0x36, 0x1c, 0x1b, 0x75, 0x2b, 0x63, 0x76,
	0x55, 0x56, 0x77, 0x78, 0x79, 0x7a, 0x0e, 0x7b, 0x7c, 0x4f, 0x7d, 0x4b, 0x47, 0x7e, 0x7f, 0x6f,
	0x52, 0x53, 0x50, 0x4c, 0x4d, 0x48, 0x01, 0x45, 0x57, 0x4e, 0x51, 0x4a, 0x37, 0x49, 0x46, 0x54,
};

uint8_t ps2_set2_to_set1(uint8_t code)
{
	if (code < 0x80)
		return set2_to_set1[code];
	if (code == 0x83)
		return 0x41;
	if (code == 0x84)
		return 0x54;
	return code;
}

static void kbd_send(struct ps2kbd *k, uint8_t b)
{
	/* Replies may use the headroom; a full queue only happens if the guest
	 * floods commands without reading, and then the reply is dropped. */
	if (ps2_queue_push(&k->q, b))
		k->last = b;
	else
		k->dropped++;
}

static void kbd_defaults(struct ps2kbd *k)
{
	k->set = 2;
	k->typematic = KBD_TYPEMATIC_DEFAULT;
	k->set1_break = false;
}

void ps2kbd_reset(struct ps2kbd *k)
{
	uint64_t unknown = k->unknown_cmds, dropped = k->dropped, ignored = k->ignored;

	memset(k, 0, sizeof(*k));
	k->unknown_cmds = unknown;
	k->dropped = dropped;
	k->ignored = ignored;
	kbd_defaults(k);
	k->scanning = true;
}

static void kbd_argument(struct ps2kbd *k, uint8_t cmd, uint8_t arg)
{
	switch (cmd) {
	case KBD_CMD_SET_LEDS:
		k->leds = arg & 7;
		kbd_send(k, PS2_ACK);
		break;
	case KBD_CMD_TYPEMATIC:
		k->typematic = arg & 0x7f;
		kbd_send(k, PS2_ACK);
		break;
	case KBD_CMD_SCANSET:
		if (arg == 0) {
			kbd_send(k, PS2_ACK);
			kbd_send(k, k->set);
		} else if (arg <= 3) {
			k->set = arg;
			k->set1_break = false;
			kbd_send(k, PS2_ACK);
		} else {
			kbd_send(k, PS2_RESEND);
		}
		break;
	}
}

void ps2kbd_write(struct ps2kbd *k, uint8_t b)
{
	if (k->expect) {
		uint8_t cmd = k->expect;

		k->expect = 0;
		/* Arguments are below 0x80; a command byte instead of the
		 * argument aborts the pending command and runs. */
		if (b < 0x80) {
			kbd_argument(k, cmd, b);
			return;
		}
	}
	switch (b) {
	case KBD_CMD_RESET:
		ps2kbd_reset(k);
		kbd_send(k, PS2_ACK);
		kbd_send(k, PS2_BAT_OK);
		break;
	case KBD_CMD_RESEND:
		kbd_send(k, k->last);
		break;
	case KBD_CMD_DEFAULTS:
		kbd_defaults(k);
		kbd_send(k, PS2_ACK);
		break;
	case KBD_CMD_DISABLE:
		kbd_defaults(k);
		k->scanning = false;
		kbd_send(k, PS2_ACK);
		break;
	case KBD_CMD_ENABLE:
		k->scanning = true;
		kbd_send(k, PS2_ACK);
		break;
	case KBD_CMD_IDENTIFY:
		kbd_send(k, PS2_ACK);
		kbd_send(k, KBD_ID0);
		kbd_send(k, KBD_ID1);
		break;
	case KBD_CMD_ECHO:
		kbd_send(k, KBD_CMD_ECHO);
		break;
	case KBD_CMD_SET_LEDS:
	case KBD_CMD_TYPEMATIC:
	case KBD_CMD_SCANSET:
		k->expect = b;
		kbd_send(k, PS2_ACK);
		break;
	case KBD_CMD_ALL_TYPEM ... KBD_CMD_ALL_MAKEBRK:
		kbd_send(k, PS2_ACK);
		break;
	default:
		k->unknown_cmds++;
		kbd_send(k, PS2_RESEND);
		break;
	}
}

int ps2kbd_put_set2(struct ps2kbd *k, const uint8_t *codes, size_t len)
{
	if (!k->scanning) {
		k->ignored++;
		return -EAGAIN;
	}
	/* Conversion to set 1 never lengthens a sequence. */
	if (len > ps2_queue_input_room(&k->q)) {
		k->dropped += len;
		return -ENOSPC;
	}
	for (size_t i = 0; i < len; i++) {
		uint8_t b = codes[i];

		if (k->set == 1) {
			if (b == 0xF0) {
				k->set1_break = true;
				continue;
			}
			b = ps2_set2_to_set1(b);
			if (k->set1_break && b != 0xE0 && b != 0xE1) {
				b |= 0x80;
				k->set1_break = false;
			}
		}
		ps2_queue_push(&k->q, b);
		k->last = b;
	}
	return 0;
}
