/* The whole keyboard path a VNC key takes: X11 keysym -> set 2 bytes
 * (display/keymap.c) -> the i8042 with translation on, as firmware leaves
 * it and Linux's atkbd expects (vmm-core/dev/i8042.c) -> set 1 bytes read by
 * the guest from port 0x60. */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <string.h>

#include "dev/i8042.h"
#include "keymap.h"

#define XK_BackSpace 0xff08
#define XK_Tab 0xff09
#define XK_Return 0xff0d
#define XK_Escape 0xff1b
#define XK_Up 0xff52
#define XK_Shift_L 0xffe1
#define XK_Shift_R 0xffe2
#define XK_Control_L 0xffe3
#define XK_Control_R 0xffe4
#define XK_Caps_Lock 0xffe5
#define XK_Alt_L 0xffe9
#define XK_Num_Lock 0xff7f
#define XK_Scroll_Lock 0xff14
#define XK_KP_Multiply 0xffaa
#define XK_KP_Add 0xffab
#define XK_KP_Subtract 0xffad
#define XK_KP_Decimal 0xffae
#define XK_KP_0 0xffb0
#define XK_KP_7 0xffb7
#define XK_F1 0xffbe
#define XK_F7 0xffc4
#define XK_F10 0xffc7
#define XK_F11 0xffc8
#define XK_F12 0xffc9

static struct i8042 kbd;

static void setup(void)
{
	cr_assert_eq(i8042_init(&kbd, NULL, 1, 12, NULL, NULL), 0);
}

static void teardown(void)
{
	i8042_destroy(&kbd);
}

/* Presses or releases a keysym and returns what the guest reads. */
static size_t guest_reads(uint32_t ks, bool down, uint8_t *out)
{
	uint8_t s2[KEYMAP_MAX_SEQ], st;
	size_t n = keymap_keysym_to_set2(ks, down, s2, sizeof(s2)), got = 0;

	cr_assert_gt(n, 0, "keysym 0x%x unmapped", ks);
	cr_assert_eq(i8042_kbd_set2(&kbd, s2, n), 0);
	for (;;) {
		i8042_cmd_ops.read(&kbd, 0, &st, 1);
		if (!(st & 1)) /* OBF */
			break;
		i8042_data_ops.read(&kbd, 0, &out[got], 1);
		got++;
		cr_assert_lt(got, 16);
	}
	return got;
}

TestSuite(keypath, .init = setup, .fini = teardown);

Test(keypath, set1_codes_as_the_guest_reads_them)
{
	/* Known set 1 codes (IBM PC/XT, as Linux atkbd sees them translated). */
	static const struct { uint32_t ks; uint8_t s1; } t[] = {
		{ XK_Escape, 0x01 }, { '1', 0x02 }, { '0', 0x0b }, { '-', 0x0c }, { '=', 0x0d },
		{ XK_BackSpace, 0x0e }, { XK_Tab, 0x0f }, { 'q', 0x10 }, { 'p', 0x19 },
		{ XK_Return, 0x1c }, { XK_Control_L, 0x1d }, { 'a', 0x1e }, { 'l', 0x26 },
		{ '`', 0x29 }, { XK_Shift_L, 0x2a }, { '\\', 0x2b }, { 'z', 0x2c }, { 'm', 0x32 },
		{ '/', 0x35 }, { XK_Shift_R, 0x36 }, { XK_KP_Multiply, 0x37 }, { XK_Alt_L, 0x38 },
		{ ' ', 0x39 }, { XK_Caps_Lock, 0x3a }, { XK_F1, 0x3b }, { XK_F7, 0x41 },
		{ XK_F10, 0x44 }, { XK_Num_Lock, 0x45 }, { XK_Scroll_Lock, 0x46 }, { XK_KP_7, 0x47 },
		{ XK_KP_Subtract, 0x4a }, { XK_KP_Add, 0x4e }, { XK_KP_0, 0x52 },
		{ XK_KP_Decimal, 0x53 }, { XK_F11, 0x57 }, { XK_F12, 0x58 },
	};
	uint8_t s1[16];
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		cr_assert_eq(guest_reads(t[i].ks, true, s1), 1, "keysym 0x%x", t[i].ks);
		cr_assert_eq(s1[0], t[i].s1, "keysym 0x%x: set1 %02x want %02x", t[i].ks, s1[0], t[i].s1);
		cr_assert_eq(guest_reads(t[i].ks, false, s1), 1);
		cr_assert_eq(s1[0], t[i].s1 | 0x80, "break code of 0x%x", t[i].ks);
	}
	/* Extended keys keep their E0 prefix: Up = E0 48 / E0 C8. */
	cr_assert_eq(guest_reads(XK_Up, true, s1), 2);
	cr_assert_eq(s1[0], 0xe0);
	cr_assert_eq(s1[1], 0x48);
	cr_assert_eq(guest_reads(XK_Up, false, s1), 2);
	cr_assert_eq(s1[1], 0xc8);
	cr_assert_eq(guest_reads(XK_Control_R, true, s1), 2);
	cr_assert_eq(s1[1], 0x1d);
	/* No two letters collide after translation. */
	bool seen[256] = { 0 };
	for (uint32_t ks = 'a'; ks <= 'z'; ks++) {
		cr_assert_eq(guest_reads(ks, true, s1), 1);
		cr_assert_not(seen[s1[0]]);
		seen[s1[0]] = true;
		guest_reads(ks, false, s1);
	}
}
