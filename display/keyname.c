/* Key names to keysyms; see keyname.h. Keysym values from X11's keysymdef.h. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "keymap.h"
#include "keyname.h"

static const struct {
	const char *name;
	uint32_t keysym;
} keyname_table[] = {
	{ "shift", 0xffe1 }, { "shift_r", 0xffe2 }, { "ctrl", 0xffe3 }, { "ctrl_r", 0xffe4 },
	{ "alt", 0xffe9 }, { "alt_r", 0xffea }, { "meta_l", 0xffeb }, { "meta_r", 0xffec },
	{ "ret", 0xff0d }, { "return", 0xff0d }, { "enter", 0xff0d }, { "esc", 0xff1b },
	{ "escape", 0xff1b }, { "tab", 0xff09 }, { "backspace", 0xff08 }, { "spc", 0x20 },
	{ "space", 0x20 }, { "delete", 0xffff }, { "del", 0xffff }, { "insert", 0xff63 },
	{ "home", 0xff50 }, { "end", 0xff57 }, { "pgup", 0xff55 }, { "pgdn", 0xff56 },
	{ "up", 0xff52 }, { "down", 0xff54 }, { "left", 0xff51 }, { "right", 0xff53 },
	{ "minus", '-' }, { "equal", '=' }, { "comma", ',' }, { "dot", '.' }, { "slash", '/' },
	{ "print", 0xff61 }, { "pause", 0xff13 }, { "caps_lock", 0xffe5 },
};

static int keyname_one(const char *s, size_t n, uint32_t *out)
{
	char buf[16];

	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (n == 1 && isprint((unsigned char)buf[0])) {
		*out = (unsigned char)tolower((unsigned char)buf[0]);
		return 0;
	}
	if ((buf[0] == 'f' || buf[0] == 'F') && isdigit((unsigned char)buf[1])) {
		int k = 0;
		for (size_t i = 1; i < n; i++) {
			if (!isdigit((unsigned char)buf[i]))
				return -EINVAL;
			k = k * 10 + (buf[i] - '0');
		}
		if (k < 1 || k > 12)
			return -EINVAL;
		*out = 0xffbe + (uint32_t)(k - 1); /* XK_F1.. */
		return 0;
	}
	for (size_t i = 0; i < sizeof(keyname_table) / sizeof(keyname_table[0]); i++) {
		if (!strcasecmp(buf, keyname_table[i].name)) {
			*out = keyname_table[i].keysym;
			return 0;
		}
	}
	return -EINVAL;
}

int keyname_parse(const char *combo, uint32_t *keysyms, size_t max)
{
	size_t n = 0;
	const char *p = combo;

	if (!combo || !*combo)
		return -EINVAL;
	for (;;) {
		/* A literal '-' key is spelled "minus"; an empty part is an error. */
		const char *dash = strchr(p, '-');
		size_t len = dash ? (size_t)(dash - p) : strlen(p);
		if (n == max || n == KEYNAME_MAX_KEYS)
			return -EINVAL;
		if (keyname_one(p, len, &keysyms[n]))
			return -EINVAL;
		n++;
		if (!dash)
			break;
		p = dash + 1;
	}
	return (int)n;
}

int keyname_combo_set2(const char *combo, uint8_t *out, size_t max)
{
	uint32_t ks[KEYNAME_MAX_KEYS];
	int n = keyname_parse(combo, ks, KEYNAME_MAX_KEYS);
	size_t used = 0;

	if (n < 0)
		return n;
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < n; i++) {
			uint32_t k = pass == 0 ? ks[i] : ks[n - 1 - i];
			size_t w = keymap_keysym_to_set2(k, pass == 0, out + used, max - used);
			if (w == 0)
				return used + 8 > max ? -ENOSPC : -EINVAL;
			used += w;
		}
	}
	return (int)used;
}
