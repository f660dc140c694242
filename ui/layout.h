/* Screen layout: where each panel goes for a terminal size. Pure functions
 * (unit-tested); panels draw inside the rectangles they are given. */
#ifndef VMDECK_UI_LAYOUT_H
#define VMDECK_UI_LAYOUT_H

#include <stdbool.h>

struct ui_rect {
	int y, x, h, w;
};

struct layout {
	bool too_small;
	struct ui_rect title, list, detail, vcpus, console, preview, events, footer;
};

#define LAYOUT_MIN_ROWS 16
#define LAYOUT_MIN_COLS 60

/* nvms: VMs in the list; nvcpus: vCPU rows wanted (0 when the selected VM
 * is not running); preview: the selected VM has a display to preview;
 * detail_extra: rows wanted below the detail's two (its snapshot tree),
 * given only while at least 8 rows stay for what comes below. */
void layout_compute(int rows, int cols, unsigned nvms, unsigned nvcpus, bool preview,
		    unsigned detail_extra, struct layout *out);

/* Picks table columns that fit: columns are taken in priority order (0 =
 * most important) while their widths (plus one space each) fit in avail;
 * show[i] says whether column i is drawn. Returns the width used. */
int layout_columns(const int *width, const int *prio, int n, int avail, bool *show);

static inline bool layout_in(const struct ui_rect *r, int y, int x)
{
	return y >= r->y && y < r->y + r->h && x >= r->x && x < r->x + r->w;
}

#endif
