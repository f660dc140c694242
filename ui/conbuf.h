/* Serial console scrollback: bytes from the guest's UART turned into lines
 * (CR/LF, backspace, tabs; ANSI escape sequences dropped). Pure (unit-tested). */
#ifndef VMDECK_UI_CONBUF_H
#define VMDECK_UI_CONBUF_H

#include <stddef.h>

#define CONBUF_LINES 1000
#define CONBUF_COLS  240

struct conbuf {
	char line[CONBUF_LINES][CONBUF_COLS + 1];
	unsigned first;   /* index of the oldest line */
	unsigned count;   /* lines in use (the last one is being written) */
	unsigned col;     /* write position in the last line */
	int esc;          /* escape-sequence parser state */
	unsigned long long bytes;
};

void conbuf_init(struct conbuf *cb);
void conbuf_feed(struct conbuf *cb, const char *data, size_t n);
/* Line i counted from the oldest (0..count-1). */
const char *conbuf_line(const struct conbuf *cb, unsigned i);

#endif
