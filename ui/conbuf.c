/* Serial console scrollback. */
#include "conbuf.h"

#include <string.h>

enum { ESC_NONE, ESC_START, ESC_CSI };

void conbuf_init(struct conbuf *cb)
{
	memset(cb, 0, sizeof(*cb));
	cb->count = 1;
}

static char *cur(struct conbuf *cb)
{
	return cb->line[(cb->first + cb->count - 1) % CONBUF_LINES];
}

static void newline(struct conbuf *cb)
{
	if (cb->count < CONBUF_LINES) {
		cb->count++;
	} else {
		cb->first = (cb->first + 1) % CONBUF_LINES;
	}
	cur(cb)[0] = 0;
	cb->col = 0;
}

static void put(struct conbuf *cb, char c)
{
	char *l = cur(cb);
	size_t len = strlen(l);

	if (cb->col >= CONBUF_COLS)
		newline(cb), l = cur(cb), len = 0;
	while (len < cb->col)
		l[len++] = ' ';
	l[cb->col] = c;
	if (cb->col >= len)
		l[cb->col + 1] = 0;
	cb->col++;
}

void conbuf_feed(struct conbuf *cb, const char *data, size_t n)
{
	cb->bytes += n;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)data[i];
		if (cb->esc == ESC_START) {
			cb->esc = c == '[' ? ESC_CSI : ESC_NONE;
			continue;
		}
		if (cb->esc == ESC_CSI) {
			if (c >= 0x40 && c <= 0x7e)
				cb->esc = ESC_NONE;
			continue;
		}
		switch (c) {
		case '\n':
			newline(cb);
			break;
		case '\r':
			cb->col = 0;
			break;
		case '\b':
		case 0x7f:
			if (cb->col)
				cb->col--;
			break;
		case '\t':
			do
				put(cb, ' ');
			while (cb->col % 8 && cb->col < CONBUF_COLS);
			break;
		case 0x1b:
			cb->esc = ESC_START;
			break;
		default:
			if (c >= 0x20)
				put(cb, (char)c);
			break;
		}
	}
}

const char *conbuf_line(const struct conbuf *cb, unsigned i)
{
	if (i >= cb->count)
		return "";
	return cb->line[(cb->first + i) % CONBUF_LINES];
}
