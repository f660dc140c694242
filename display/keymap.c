/* Keysym -> PS/2 scan code set 2.
 *
 * Codes from the IBM PS/2 keyboard technical reference, scan code set 2
 * (the table Linux's atkbd and every PC emulator use).  A make code is one
 * byte, or E0 + byte for the "extended" keys added with the 101-key
 * keyboard; a break code is F0 + byte, or E0 F0 + byte.  Print Screen and
 * Pause are the two multi-key oddities and are spelled out in full.
 *
 * RFC 6143 7.5.4: a client sends the keysym of the symbol as typed, so
 * Shift+1 arrives as Shift_L down, then '!' (XK_exclam).  The guest applies
 * Shift itself, so '!' must press the physical "1" key and nothing else. */
#include "keymap.h"

#include <rfb/keysym.h>
#include <string.h>

#define EXT 0x100 /* E0-prefixed key */

/* Printable Latin-1 keysyms 0x20..0x7e (equal to ASCII) -> key. */
static const uint16_t ascii_keys[0x7f - 0x20] = {
	[' ' - 0x20] = 0x29,
	['!' - 0x20] = 0x16, ['"' - 0x20] = 0x52, ['#' - 0x20] = 0x26, ['$' - 0x20] = 0x25,
	['%' - 0x20] = 0x2e, ['&' - 0x20] = 0x3d, ['\'' - 0x20] = 0x52, ['(' - 0x20] = 0x46,
	[')' - 0x20] = 0x45, ['*' - 0x20] = 0x3e, ['+' - 0x20] = 0x55, [',' - 0x20] = 0x41,
	['-' - 0x20] = 0x4e, ['.' - 0x20] = 0x49, ['/' - 0x20] = 0x4a,
	['0' - 0x20] = 0x45, ['1' - 0x20] = 0x16, ['2' - 0x20] = 0x1e, ['3' - 0x20] = 0x26,
	['4' - 0x20] = 0x25, ['5' - 0x20] = 0x2e, ['6' - 0x20] = 0x36, ['7' - 0x20] = 0x3d,
	['8' - 0x20] = 0x3e, ['9' - 0x20] = 0x46,
	[':' - 0x20] = 0x4c, [';' - 0x20] = 0x4c, ['<' - 0x20] = 0x41, ['=' - 0x20] = 0x55,
	['>' - 0x20] = 0x49, ['?' - 0x20] = 0x4a, ['@' - 0x20] = 0x1e,
	['A' - 0x20] = 0x1c, ['B' - 0x20] = 0x32, ['C' - 0x20] = 0x21, ['D' - 0x20] = 0x23,
	['E' - 0x20] = 0x24, ['F' - 0x20] = 0x2b, ['G' - 0x20] = 0x34, ['H' - 0x20] = 0x33,
	['I' - 0x20] = 0x43, ['J' - 0x20] = 0x3b, ['K' - 0x20] = 0x42, ['L' - 0x20] = 0x4b,
	['M' - 0x20] = 0x3a, ['N' - 0x20] = 0x31, ['O' - 0x20] = 0x44, ['P' - 0x20] = 0x4d,
	['Q' - 0x20] = 0x15, ['R' - 0x20] = 0x2d, ['S' - 0x20] = 0x1b, ['T' - 0x20] = 0x2c,
	['U' - 0x20] = 0x3c, ['V' - 0x20] = 0x2a, ['W' - 0x20] = 0x1d, ['X' - 0x20] = 0x22,
	['Y' - 0x20] = 0x35, ['Z' - 0x20] = 0x1a,
	['[' - 0x20] = 0x54, ['\\' - 0x20] = 0x5d, [']' - 0x20] = 0x5b, ['^' - 0x20] = 0x36,
	['_' - 0x20] = 0x4e, ['`' - 0x20] = 0x0e,
	['a' - 0x20] = 0x1c, ['b' - 0x20] = 0x32, ['c' - 0x20] = 0x21, ['d' - 0x20] = 0x23,
	['e' - 0x20] = 0x24, ['f' - 0x20] = 0x2b, ['g' - 0x20] = 0x34, ['h' - 0x20] = 0x33,
	['i' - 0x20] = 0x43, ['j' - 0x20] = 0x3b, ['k' - 0x20] = 0x42, ['l' - 0x20] = 0x4b,
	['m' - 0x20] = 0x3a, ['n' - 0x20] = 0x31, ['o' - 0x20] = 0x44, ['p' - 0x20] = 0x4d,
	['q' - 0x20] = 0x15, ['r' - 0x20] = 0x2d, ['s' - 0x20] = 0x1b, ['t' - 0x20] = 0x2c,
	['u' - 0x20] = 0x3c, ['v' - 0x20] = 0x2a, ['w' - 0x20] = 0x1d, ['x' - 0x20] = 0x22,
	['y' - 0x20] = 0x35, ['z' - 0x20] = 0x1a,
	['{' - 0x20] = 0x54, ['|' - 0x20] = 0x5d, ['}' - 0x20] = 0x5b, ['~' - 0x20] = 0x0e,
};

/* Function/keypad/modifier keysyms 0xfe00..0xffff (ISO_Left_Tab and
 * ISO_Level3_Shift live in 0xfe..) -> key. */
static uint16_t function_key(uint32_t keysym)
{
	switch (keysym) {
	case XK_BackSpace: return 0x66;
	case XK_Tab:
	case XK_ISO_Left_Tab: return 0x0d; /* Shift+Tab arrives as ISO_Left_Tab */
	case XK_Return: return 0x5a;
	case XK_Escape: return 0x76;
	case XK_Caps_Lock: return 0x58;
	case XK_Num_Lock: return 0x77;
	case XK_Scroll_Lock: return 0x7e;
	case XK_Shift_L: return 0x12;
	case XK_Shift_R: return 0x59;
	case XK_Control_L: return 0x14;
	case XK_Control_R: return EXT | 0x14;
	case XK_Alt_L:
	case XK_Meta_L: return 0x11;
	case XK_Alt_R:
	case XK_Meta_R:
	case XK_ISO_Level3_Shift: return EXT | 0x11; /* AltGr */
	case XK_Super_L: return EXT | 0x1f;
	case XK_Super_R: return EXT | 0x27;
	case XK_Menu: return EXT | 0x2f;
	case XK_F1: return 0x05;
	case XK_F2: return 0x06;
	case XK_F3: return 0x04;
	case XK_F4: return 0x0c;
	case XK_F5: return 0x03;
	case XK_F6: return 0x0b;
	case XK_F7: return 0x83;
	case XK_F8: return 0x0a;
	case XK_F9: return 0x01;
	case XK_F10: return 0x09;
	case XK_F11: return 0x78;
	case XK_F12: return 0x07;
	case XK_Insert: return EXT | 0x70;
	case XK_Delete: return EXT | 0x71;
	case XK_Home: return EXT | 0x6c;
	case XK_End: return EXT | 0x69;
	case XK_Prior: return EXT | 0x7d;
	case XK_Next: return EXT | 0x7a;
	case XK_Left: return EXT | 0x6b;
	case XK_Up: return EXT | 0x75;
	case XK_Right: return EXT | 0x74;
	case XK_Down: return EXT | 0x72;
	/* Keypad: the numlock-off keysyms name the same physical keys. */
	case XK_KP_Divide: return EXT | 0x4a;
	case XK_KP_Enter: return EXT | 0x5a;
	case XK_KP_Multiply: return 0x7c;
	case XK_KP_Subtract: return 0x7b;
	case XK_KP_Add: return 0x79;
	case XK_KP_Decimal:
	case XK_KP_Separator:
	case XK_KP_Delete: return 0x71;
	case XK_KP_0:
	case XK_KP_Insert: return 0x70;
	case XK_KP_1:
	case XK_KP_End: return 0x69;
	case XK_KP_2:
	case XK_KP_Down: return 0x72;
	case XK_KP_3:
	case XK_KP_Next: return 0x7a;
	case XK_KP_4:
	case XK_KP_Left: return 0x6b;
	case XK_KP_5:
	case XK_KP_Begin: return 0x73;
	case XK_KP_6:
	case XK_KP_Right: return 0x74;
	case XK_KP_7:
	case XK_KP_Home: return 0x6c;
	case XK_KP_8:
	case XK_KP_Up: return 0x75;
	case XK_KP_9:
	case XK_KP_Prior: return 0x7d;
	case XK_KP_Space: return 0x29;
	case XK_KP_Tab: return 0x0d;
	case XK_KP_Equal: return 0x55; /* no such key on a PC keypad: main "=" */
	default: return 0;
	}
}

static size_t put(uint8_t *out, size_t max, const uint8_t *seq, size_t n)
{
	if (n > max)
		return 0;
	memcpy(out, seq, n);
	return n;
}

size_t keymap_keysym_to_set2(uint32_t keysym, bool down, uint8_t *out, size_t max)
{
	if (!out)
		return 0;
	/* The two keys whose codes are not E0 + one byte. */
	if (keysym == XK_Print || keysym == XK_Sys_Req) {
		static const uint8_t make[] = { 0xe0, 0x12, 0xe0, 0x7c };
		static const uint8_t brk[] = { 0xe0, 0xf0, 0x7c, 0xe0, 0xf0, 0x12 };
		return down ? put(out, max, make, sizeof(make)) : put(out, max, brk, sizeof(brk));
	}
	if (keysym == XK_Pause || keysym == XK_Break) {
		/* Pause sends make and break together on press, nothing on release. */
		static const uint8_t make[] = { 0xe1, 0x14, 0x77, 0xe1, 0xf0, 0x14, 0xf0, 0x77 };
		return down ? put(out, max, make, sizeof(make)) : 0;
	}

	uint16_t key = 0;
	if (keysym >= 0x20 && keysym < 0x7f)
		key = ascii_keys[keysym - 0x20];
	else if (keysym >= 0xfe00 && keysym <= 0xffff)
		key = function_key(keysym);
	if (!key)
		return 0;

	uint8_t seq[3];
	size_t n = 0;
	if (key & EXT)
		seq[n++] = 0xe0;
	if (!down)
		seq[n++] = 0xf0;
	seq[n++] = (uint8_t)key;
	return put(out, max, seq, n);
}
