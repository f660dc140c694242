/* Screen layout math. */
#include "layout.h"

#include <string.h>

static int clampi(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

void layout_compute(int rows, int cols, unsigned nvms, unsigned nvcpus, bool preview,
		    unsigned detail_extra, struct layout *out)
{
	memset(out, 0, sizeof(*out));
	out->title = (struct ui_rect){ 0, 0, 1, cols };
	out->footer = (struct ui_rect){ rows - 1, 0, 1, cols };
	if (rows < LAYOUT_MIN_ROWS || cols < LAYOUT_MIN_COLS) {
		out->too_small = true;
		out->footer.y = rows > 0 ? rows - 1 : 0;
		return;
	}
	int avail = rows - 2, y = 1;
	/* The list: a header plus one row per VM, at most 30% of the screen. */
	int list_h = clampi(1 + (int)(nvms ? nvms : 1), 3, avail * 30 / 100);
	out->list = (struct ui_rect){ y, 0, list_h, cols };
	y += list_h;
	int extra = 0;
	if (detail_extra) {
		int room = rows - 1 - (y + 2) - 8;
		extra = clampi((int)(detail_extra > 64 ? 64 : detail_extra), 0, room > 0 ? room : 0);
		if (extra < 2)
			extra = 0; /* a header alone says nothing */
	}
	out->detail = (struct ui_rect){ y, 0, 2 + extra, cols };
	y += 2 + extra;
	/* vCPU rows: header + one per vCPU, leaving at least 6 rows below. */
	int vc_h = 0;
	if (nvcpus) {
		int room = rows - 1 - y - 6;
		vc_h = clampi(1 + (int)nvcpus, 0, room > 0 ? room : 0);
		if (vc_h == 1)
			vc_h = 0;
	}
	out->vcpus = (struct ui_rect){ y, 0, vc_h, cols };
	y += vc_h;
	int bottom = rows - 1 - y;
	if (cols >= 90) {
		int right_w = cols * 2 / 5;
		int left_w = cols - right_w;
		out->console = (struct ui_rect){ y, 0, bottom, left_w };
		int ev_y = y, ev_h = bottom;
		if (preview && bottom >= 8) {
			int ph = bottom * 55 / 100;
			out->preview = (struct ui_rect){ y, left_w, ph, right_w };
			ev_y += ph;
			ev_h -= ph;
		}
		out->events = (struct ui_rect){ ev_y, left_w, ev_h, right_w };
	} else {
		int ch = bottom * 65 / 100;
		out->console = (struct ui_rect){ y, 0, ch, cols };
		out->events = (struct ui_rect){ y + ch, 0, bottom - ch, cols };
	}
}

int layout_columns(const int *width, const int *prio, int n, int avail, bool *show)
{
	int used = 0;

	for (int i = 0; i < n; i++)
		show[i] = false;
	/* Priorities are small integers; walk them in order. */
	for (int p = 0; p < 64; p++) {
		for (int i = 0; i < n; i++) {
			if (prio[i] != p)
				continue;
			int need = width[i] + (used ? 1 : 0);
			if (used + need <= avail) {
				show[i] = true;
				used += need;
			}
		}
	}
	return used;
}
