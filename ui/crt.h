/* The terminal. crt.c is the only file in vmdeck that includes curses: it
 * owns colours, key and mouse reading, setup and teardown, and a fatal path
 * that restores the terminal before exiting (after htop's CRT.c). Everything
 * else draws through these calls with colour roles, never curses attributes. */
#ifndef VMDECK_UI_CRT_H
#define VMDECK_UI_CRT_H

#include <stdbool.h>
#include <stdint.h>

/* Colour roles; crt maps them to what the terminal can do (256, 8 or no
 * colours: reverse/bold/underline only). */
enum crt_role {
	CRT_NORMAL,
	CRT_TITLE,
	CRT_HEADER,      /* table header rows */
	CRT_SELECTED,    /* the selected VM row */
	CRT_FKEY,        /* footer key */
	CRT_FLABEL,      /* footer label */
	CRT_OK,          /* running */
	CRT_WARN,        /* paused, starting */
	CRT_ERR,         /* dead, errors */
	CRT_DIM,         /* stopped, secondary text */
	CRT_SPARK,
	CRT_FOCUS,       /* focused pane border/title */
	CRT_INPUT,       /* text field in a dialog */
	CRT_INPUT_ACTIVE,
	CRT_DIALOG,
	CRT_BOLD,
	CRT_NROLES,
};

/* Keys: bytes 0..255 as typed, and these for special keys. */
enum {
	CRT_K_NONE = -1,
	CRT_K_UP = 0x1000, CRT_K_DOWN, CRT_K_LEFT, CRT_K_RIGHT,
	CRT_K_PGUP, CRT_K_PGDN, CRT_K_HOME, CRT_K_END,
	CRT_K_BACKSPACE, CRT_K_DELETE, CRT_K_BTAB, CRT_K_INSERT,
	CRT_K_RESIZE, CRT_K_MOUSE,
	CRT_K_F0 = 0x1100, /* CRT_K_F0 + n for Fn */
};
#define CRT_K_F(n) (CRT_K_F0 + (n))

struct crt_key {
	int code;
	int my, mx;      /* CRT_K_MOUSE: the cell clicked */
};

struct crt {
	int rows, cols;
	int colors;      /* 0 (monochrome), 8, or 256 */
	bool utf8;
	bool active;
	unsigned next_pair;   /* dynamic pairs for the preview */
	unsigned pair_base;
	short *pair_cache;    /* (fg, bg) -> pair for 256/8 colour preview */
};

/* Sets the locale, starts curses, picks the colour mode (NO_COLOR honoured). */
int crt_init(struct crt *t);
void crt_done(struct crt *t);
/* Restores the terminal, prints the message and exits(1). */
void crt_fatal(struct crt *t, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

/* Non-blocking: returns true and fills k when a key (or resize, or click)
 * is waiting. */
bool crt_read_key(struct crt *t, struct crt_key *k);
/* Updates rows/cols after CRT_K_RESIZE. */
void crt_update_size(struct crt *t);

void crt_erase(struct crt *t);
/* Draws UTF-8 text clipped to maxw columns; returns columns used. */
int crt_text(struct crt *t, int y, int x, int maxw, enum crt_role role, const char *s);
int crt_textf(struct crt *t, int y, int x, int maxw, enum crt_role role, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
/* w spaces in the role's colour. */
void crt_fill(struct crt *t, int y, int x, int w, enum crt_role role);
/* A box border with an optional title on the top edge. */
void crt_box(struct crt *t, int y, int x, int h, int w, enum crt_role role, const char *title);
/* A half-block preview cell: top and bottom colours; xterm-256 index,
 * ANSI-8 index and grey level, used as the terminal allows. */
void crt_halfblock(struct crt *t, int y, int x, uint8_t top256, uint8_t bot256, uint8_t top8,
		   uint8_t bot8, uint8_t topgrey, uint8_t botgrey);
/* Shows the cursor at (y, x), or hides it with y < 0. */
void crt_cursor(struct crt *t, int y, int x);
void crt_flush(struct crt *t);
void crt_bell(struct crt *t);

#endif
