/* The terminal: the only file that includes curses (see crt.h). */
#include "crt.h"

#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#include <curses.h>

#define PAIR_PREVIEW_BASE 32

struct role_style {
	short fg, bg;    /* -1 = terminal default */
	attr_t attr;     /* added in colour mode */
	attr_t mono;     /* used alone in monochrome */
};

static const struct role_style styles[CRT_NROLES] = {
	[CRT_NORMAL] = { -1, -1, A_NORMAL, A_NORMAL },
	[CRT_TITLE] = { COLOR_WHITE, COLOR_BLUE, A_BOLD, A_REVERSE | A_BOLD },
	[CRT_HEADER] = { COLOR_BLACK, COLOR_GREEN, A_NORMAL, A_REVERSE },
	[CRT_SELECTED] = { COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE | A_BOLD },
	[CRT_FKEY] = { -1, -1, A_BOLD, A_BOLD },
	[CRT_FLABEL] = { COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE },
	[CRT_OK] = { COLOR_GREEN, -1, A_BOLD, A_BOLD },
	[CRT_WARN] = { COLOR_YELLOW, -1, A_BOLD, A_UNDERLINE },
	[CRT_ERR] = { COLOR_RED, -1, A_BOLD, A_BOLD | A_UNDERLINE },
	[CRT_DIM] = { COLOR_BLUE, -1, A_BOLD, A_DIM },
	[CRT_SPARK] = { COLOR_CYAN, -1, A_NORMAL, A_NORMAL },
	[CRT_FOCUS] = { COLOR_YELLOW, -1, A_BOLD, A_BOLD | A_REVERSE },
	[CRT_INPUT] = { COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_UNDERLINE },
	[CRT_INPUT_ACTIVE] = { COLOR_BLACK, COLOR_YELLOW, A_NORMAL, A_REVERSE },
	[CRT_DIALOG] = { COLOR_WHITE, COLOR_BLUE, A_NORMAL, A_NORMAL },
	[CRT_BOLD] = { -1, -1, A_BOLD, A_BOLD },
};

static void on_crash(int sig)
{
	/* Not async-signal-safe, but the process is dying anyway and a terminal
	 * left in raw mode is worse (htop's CRT_handleSIGSEGV does the same). */
	endwin();
	static const char msg[] = "vmdeck: dashboard crashed; terminal restored\n";
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing more to do */
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void role_set(struct crt *t, enum crt_role role)
{
	if (t->colors)
		attr_set(styles[role].attr, (short)(role + 1), NULL);
	else
		attr_set(styles[role].mono, 0, NULL);
}

int crt_init(struct crt *t)
{
	const char *nc = getenv("NO_COLOR");

	memset(t, 0, sizeof(*t));
	setlocale(LC_ALL, "");
	t->utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "vmdeck: the dashboard needs a terminal (try `vmdeck ls`)\n");
		return -1;
	}
	if (!newterm(NULL, stdout, stdin)) {
		fprintf(stderr, "vmdeck: cannot use terminal type '%s'\n", getenv("TERM") ?: "");
		return -1;
	}
	t->active = true;
	raw(); /* ^C, ^Z, ^S reach the guest console when it has focus */
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	mousemask(BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
	mouseinterval(0);
	if (has_colors() && !(nc && *nc)) {
		start_color();
		use_default_colors();
		t->colors = COLORS >= 256 && COLOR_PAIRS >= 256 ? 256 : 8;
		for (int r = 0; r < CRT_NROLES; r++)
			init_pair((short)(r + 1), styles[r].fg, styles[r].bg);
		t->pair_base = PAIR_PREVIEW_BASE;
		t->next_pair = t->pair_base;
		if (t->colors == 256)
			t->pair_cache = calloc(256 * 256, sizeof(short));
	}
	signal(SIGSEGV, on_crash);
	signal(SIGBUS, on_crash);
	signal(SIGFPE, on_crash);
	signal(SIGILL, on_crash);
	signal(SIGABRT, on_crash);
	crt_update_size(t);
	return 0;
}

void crt_done(struct crt *t)
{
	if (t->active) {
		curs_set(1);
		endwin();
		t->active = false;
	}
	free(t->pair_cache);
	t->pair_cache = NULL;
}

void crt_fatal(struct crt *t, const char *fmt, ...)
{
	va_list ap;

	crt_done(t);
	fprintf(stderr, "vmdeck: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void crt_update_size(struct crt *t)
{
	getmaxyx(stdscr, t->rows, t->cols);
}

bool crt_read_key(struct crt *t, struct crt_key *k)
{
	int c = getch();
	MEVENT ev;

	k->my = k->mx = -1;
	switch (c) {
	case ERR: return false;
	case KEY_UP: k->code = CRT_K_UP; break;
	case KEY_DOWN: k->code = CRT_K_DOWN; break;
	case KEY_LEFT: k->code = CRT_K_LEFT; break;
	case KEY_RIGHT: k->code = CRT_K_RIGHT; break;
	case KEY_PPAGE: k->code = CRT_K_PGUP; break;
	case KEY_NPAGE: k->code = CRT_K_PGDN; break;
	case KEY_HOME: k->code = CRT_K_HOME; break;
	case KEY_END: k->code = CRT_K_END; break;
	case KEY_BACKSPACE: k->code = CRT_K_BACKSPACE; break;
	case KEY_DC: k->code = CRT_K_DELETE; break;
	case KEY_IC: k->code = CRT_K_INSERT; break;
	case KEY_BTAB: k->code = CRT_K_BTAB; break;
	case KEY_ENTER: k->code = '\r'; break;
	case KEY_RESIZE:
		crt_update_size(t);
		k->code = CRT_K_RESIZE;
		break;
	case KEY_MOUSE:
		if (getmouse(&ev) != OK)
			return crt_read_key(t, k);
		if (ev.bstate & BUTTON4_PRESSED) {
			k->code = CRT_K_UP;
		} else if (ev.bstate & BUTTON5_PRESSED) {
			k->code = CRT_K_DOWN;
		} else {
			k->code = CRT_K_MOUSE;
			k->my = ev.y;
			k->mx = ev.x;
		}
		break;
	default:
		if (c >= KEY_F(1) && c <= KEY_F(24))
			k->code = CRT_K_F(c - KEY_F0);
		else if (c >= 0 && c < 256)
			k->code = c;
		else
			return crt_read_key(t, k); /* a key we have no use for */
		break;
	}
	return true;
}

void crt_erase(struct crt *t)
{
	attr_set(A_NORMAL, 0, NULL);
	erase();
}

int crt_text(struct crt *t, int y, int x, int maxw, enum crt_role role, const char *s)
{
	wchar_t buf[512];
	int n = 0, used = 0;
	mbstate_t st;
	size_t len = strlen(s);

	if (y < 0 || y >= t->rows || x < 0 || x >= t->cols)
		return 0;
	if (maxw > t->cols - x)
		maxw = t->cols - x;
	memset(&st, 0, sizeof(st));
	while (len && n < (int)(sizeof(buf) / sizeof(buf[0])) && used < maxw) {
		wchar_t wc;
		size_t r = mbrtowc(&wc, s, len, &st);
		if (r == (size_t)-1 || r == (size_t)-2) {
			wc = L'?';
			r = 1;
			memset(&st, 0, sizeof(st));
		} else if (r == 0) {
			break;
		}
		int w = wcwidth(wc);
		if (w < 0) {
			wc = L'?';
			w = 1;
		}
		if (used + w > maxw)
			break;
		buf[n++] = wc;
		used += w;
		s += r;
		len -= r;
	}
	role_set(t, role);
	mvaddnwstr(y, x, buf, n);
	return used;
}

int crt_textf(struct crt *t, int y, int x, int maxw, enum crt_role role, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return crt_text(t, y, x, maxw, role, buf);
}

void crt_fill(struct crt *t, int y, int x, int w, enum crt_role role)
{
	if (y < 0 || y >= t->rows || x < 0 || x >= t->cols)
		return;
	if (w > t->cols - x)
		w = t->cols - x;
	if (w <= 0)
		return;
	role_set(t, role);
	mvhline(y, x, ' ', w);
}

void crt_box(struct crt *t, int y, int x, int h, int w, enum crt_role role, const char *title)
{
	if (h < 2 || w < 2 || y < 0 || x < 0 || y + h > t->rows || x + w > t->cols)
		return;
	role_set(t, role);
	mvhline(y, x + 1, ACS_HLINE, w - 2);
	mvhline(y + h - 1, x + 1, ACS_HLINE, w - 2);
	mvvline(y + 1, x, ACS_VLINE, h - 2);
	mvvline(y + 1, x + w - 1, ACS_VLINE, h - 2);
	mvaddch(y, x, ACS_ULCORNER);
	mvaddch(y, x + w - 1, ACS_URCORNER);
	mvaddch(y + h - 1, x, ACS_LLCORNER);
	mvaddch(y + h - 1, x + w - 1, ACS_LRCORNER);
	if (title && *title && w > 6) {
		char buf[256];
		snprintf(buf, sizeof(buf), " %s ", title);
		crt_text(t, y, x + 2, w - 4, role, buf);
	}
}

static short preview_pair(struct crt *t, unsigned fg, unsigned bg)
{
	unsigned limit = COLOR_PAIRS < 32767 ? (unsigned)COLOR_PAIRS : 32767;

	if (t->colors == 8) {
		short p = (short)(t->pair_base + fg * 8 + bg);
		init_pair(p, (short)fg, (short)bg);
		return p;
	}
	short *slot = &t->pair_cache[fg * 256 + bg];
	if (*slot)
		return *slot;
	if (t->next_pair >= limit) {
		/* Out of pairs: start over; cells already drawn may flicker once. */
		memset(t->pair_cache, 0, 256 * 256 * sizeof(short));
		t->next_pair = t->pair_base;
	}
	*slot = (short)t->next_pair++;
	init_pair(*slot, (short)fg, (short)bg);
	return *slot;
}

void crt_halfblock(struct crt *t, int y, int x, uint8_t top256, uint8_t bot256, uint8_t top8,
		   uint8_t bot8, uint8_t topgrey, uint8_t botgrey)
{
	cchar_t cc;
	wchar_t wc[2] = { 0, 0 };

	if (y < 0 || y >= t->rows || x < 0 || x >= t->cols)
		return;
	if (t->colors && t->utf8) {
		short p = t->colors == 256 && t->pair_cache ? preview_pair(t, top256, bot256)
							     : preview_pair(t, top8, bot8);
		wc[0] = 0x2580; /* upper half block: fg = top, bg = bottom */
		setcchar(&cc, wc, A_NORMAL, p, NULL);
	} else if (t->colors) {
		/* No half blocks without UTF-8: one colour per cell, the brighter half. */
		uint8_t c = topgrey >= botgrey ? top8 : bot8;
		wc[0] = L' ';
		setcchar(&cc, wc, A_NORMAL, preview_pair(t, c, c), NULL);
	} else {
		bool tb = topgrey >= 96, bb = botgrey >= 96;
		if (t->utf8)
			wc[0] = tb && bb ? 0x2588 : tb ? 0x2580 : bb ? 0x2584 : L' ';
		else
			wc[0] = tb && bb ? L'#' : tb ? L'"' : bb ? L'.' : L' ';
		setcchar(&cc, wc, A_NORMAL, 0, NULL);
	}
	mvadd_wch(y, x, &cc);
}

void crt_cursor(struct crt *t, int y, int x)
{
	if (y < 0 || x < 0 || y >= t->rows || x >= t->cols) {
		curs_set(0);
		return;
	}
	move(y, x);
	curs_set(1);
}

void crt_flush(struct crt *t)
{
	refresh();
}

void crt_bell(struct crt *t)
{
	beep();
}
