/* keysym -> set 2 tables and the 8042 set 2 -> set 1 translation. */
#include "keymap.h"

#include <criterion/criterion.h>
#include <rfb/keysym.h>
#include <string.h>

static size_t k(uint32_t ks, bool down, uint8_t *out)
{
	return keymap_keysym_to_set2(ks, down, out, KEYMAP_MAX_SEQ);
}

static void expect(uint32_t ks, bool down, const uint8_t *want, size_t n)
{
	uint8_t out[KEYMAP_MAX_SEQ];
	size_t got = k(ks, down, out);
	cr_assert_eq(got, n, "keysym 0x%x %s: %zu bytes, want %zu", ks, down ? "down" : "up", got, n);
	cr_assert_arr_eq(out, want, n, "keysym 0x%x", ks);
}

#define EXPECT(ks, down, ...)                                                    \
	do {                                                                     \
		const uint8_t w_[] = { __VA_ARGS__ };                            \
		expect(ks, down, w_, sizeof(w_));                                \
	} while (0)

Test(display_keymap, letters_and_digits)
{
	static const char letters[] = "abcdefghijklmnopqrstuvwxyz";
	static const uint8_t codes[] = { 0x1c, 0x32, 0x21, 0x23, 0x24, 0x2b, 0x34, 0x33, 0x43,
					 0x3b, 0x42, 0x4b, 0x3a, 0x31, 0x44, 0x4d, 0x15, 0x2d,
					 0x1b, 0x2c, 0x3c, 0x2a, 0x1d, 0x22, 0x35, 0x1a };
	for (int i = 0; i < 26; i++) {
		EXPECT((uint32_t)letters[i], true, codes[i]);
		EXPECT((uint32_t)letters[i], false, 0xf0, codes[i]);
		EXPECT((uint32_t)letters[i] - 32, true, codes[i]); /* 'A' = 'a' key, no Shift */
	}
	static const uint8_t digits[] = { 0x45, 0x16, 0x1e, 0x26, 0x25, 0x2e, 0x36, 0x3d, 0x3e, 0x46 };
	for (int i = 0; i < 10; i++)
		EXPECT('0' + (uint32_t)i, true, digits[i]);
}

Test(display_keymap, shifted_symbols_press_the_base_key_only)
{
	static const char pairs[][2] = { { '!', '1' }, { '@', '2' }, { '#', '3' }, { '$', '4' },
		{ '%', '5' }, { '^', '6' }, { '&', '7' }, { '*', '8' }, { '(', '9' }, { ')', '0' },
		{ '_', '-' }, { '+', '=' }, { '{', '[' }, { '}', ']' }, { '|', '\\' }, { ':', ';' },
		{ '"', '\'' }, { '<', ',' }, { '>', '.' }, { '?', '/' }, { '~', '`' } };
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		uint8_t a[8], b[8];
		size_t na = k((uint8_t)pairs[i][0], true, a), nb = k((uint8_t)pairs[i][1], true, b);
		cr_assert_eq(na, 1, "'%c'", pairs[i][0]);
		cr_assert_eq(nb, 1);
		cr_assert_eq(a[0], b[0], "'%c' vs '%c'", pairs[i][0], pairs[i][1]);
		cr_assert_neq(a[0], 0x12, "no Shift make inside a symbol");
	}
	EXPECT('-', true, 0x4e);
	EXPECT('=', true, 0x55);
	EXPECT('`', true, 0x0e);
	EXPECT(' ', true, 0x29);
}

Test(display_keymap, extended_keys_and_release)
{
	EXPECT(XK_Up, true, 0xe0, 0x75);
	EXPECT(XK_Up, false, 0xe0, 0xf0, 0x75);
	EXPECT(XK_Down, true, 0xe0, 0x72);
	EXPECT(XK_Left, true, 0xe0, 0x6b);
	EXPECT(XK_Right, false, 0xe0, 0xf0, 0x74);
	EXPECT(XK_Home, true, 0xe0, 0x6c);
	EXPECT(XK_End, true, 0xe0, 0x69);
	EXPECT(XK_Prior, true, 0xe0, 0x7d);
	EXPECT(XK_Next, true, 0xe0, 0x7a);
	EXPECT(XK_Insert, true, 0xe0, 0x70);
	EXPECT(XK_Delete, false, 0xe0, 0xf0, 0x71);
	EXPECT(XK_Control_R, true, 0xe0, 0x14);
	EXPECT(XK_Alt_R, true, 0xe0, 0x11);
	EXPECT(XK_Super_L, true, 0xe0, 0x1f);
	EXPECT(XK_KP_Enter, true, 0xe0, 0x5a);
	EXPECT(XK_KP_Divide, true, 0xe0, 0x4a);
	EXPECT(XK_Print, true, 0xe0, 0x12, 0xe0, 0x7c);
	EXPECT(XK_Print, false, 0xe0, 0xf0, 0x7c, 0xe0, 0xf0, 0x12);
	EXPECT(XK_Pause, true, 0xe1, 0x14, 0x77, 0xe1, 0xf0, 0x14, 0xf0, 0x77);
	uint8_t out[8];
	cr_assert_eq(k(XK_Pause, false, out), 0);
}

Test(display_keymap, modifiers_function_keys_keypad_misc)
{
	EXPECT(XK_Shift_L, true, 0x12);
	EXPECT(XK_Shift_R, true, 0x59);
	EXPECT(XK_Control_L, false, 0xf0, 0x14);
	EXPECT(XK_Alt_L, true, 0x11);
	EXPECT(XK_Caps_Lock, true, 0x58);
	static const uint8_t f[] = { 0x05, 0x06, 0x04, 0x0c, 0x03, 0x0b, 0x83, 0x0a, 0x01,
				     0x09, 0x78, 0x07 };
	for (int i = 0; i < 12; i++)
		EXPECT(XK_F1 + (uint32_t)i, true, f[i]);
	EXPECT(XK_F7, false, 0xf0, 0x83);
	EXPECT(XK_Escape, true, 0x76);
	EXPECT(XK_Tab, true, 0x0d);
	EXPECT(XK_ISO_Left_Tab, true, 0x0d);
	EXPECT(XK_BackSpace, true, 0x66);
	EXPECT(XK_Return, true, 0x5a);
	EXPECT(XK_KP_0, true, 0x70);
	EXPECT(XK_KP_Insert, true, 0x70);
	EXPECT(XK_KP_7, true, 0x6c);
	EXPECT(XK_KP_Home, true, 0x6c);
	EXPECT(XK_KP_5, true, 0x73);
	EXPECT(XK_KP_Add, true, 0x79);
	EXPECT(XK_KP_Subtract, true, 0x7b);
	EXPECT(XK_KP_Multiply, true, 0x7c);
	EXPECT(XK_KP_Decimal, true, 0x71);
	EXPECT(XK_Num_Lock, true, 0x77);
	EXPECT(XK_Scroll_Lock, true, 0x7e);
}

Test(display_keymap, unknown_and_bounds)
{
	uint8_t out[8];
	cr_assert_eq(k(0, true, out), 0);
	cr_assert_eq(k(0x1f, true, out), 0);
	cr_assert_eq(k(0x7f, true, out), 0);
	cr_assert_eq(k(0xe9 /* eacute */, true, out), 0);
	cr_assert_eq(k(0x12345678, true, out), 0);
	cr_assert_eq(keymap_keysym_to_set2(XK_Up, false, out, 2), 0, "too small: nothing");
	cr_assert_eq(keymap_keysym_to_set2(XK_Up, false, NULL, 8), 0);
	/* Every keysym in the Latin-1 and function ranges gives 0..8 bytes, and
	 * every non-empty release contains F0. */
	for (uint32_t ks = 0; ks < 0x10000; ks++) {
		uint8_t a[8];
		size_t n = k(ks, false, a);
		cr_assert_leq(n, 8);
		if (n && ks != XK_Pause)
			cr_assert(memchr(a, 0xf0, n), "keysym 0x%x release has F0", ks);
	}
}
