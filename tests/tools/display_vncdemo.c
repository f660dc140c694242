/* A VNC server on a synthetic framebuffer, no KVM: drives display/vnc.c the
 * way the VMM will, including a simulated KVM dirty log (one bit per 4 KiB
 * page written).  Used by the tests/vnc scripts and tests/bench/vnc_bench.sh.
 *
 *   display_vncdemo [--listen SPEC] [--password PW] [--size WxH] [--stride N]
 *       [--scene static|line|full|anim] [--fps N] [--seconds N]
 *       [--no-dirty-log] [--full-frame] [--max-clients N]
 *       [--resize-after-ms MS --resize WxH] [--png-on-exit FILE] [--log-input]
 *
 * Prints "VNC <address> (...)" once listening, "key XX XX" / "pointer dx dy
 * dz buttons" per input event with --log-input, and a "stats ..." line on
 * exit (SIGTERM/SIGINT or --seconds). */
#include "fb.h"
#include "png_writer.h"
#include "vnc.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

struct demo {
	uint8_t *pixels;
	size_t window;
	uint32_t w, h, stride;
	pthread_mutex_t lock;
	uint64_t *dirty;
	size_t dirty_words;
};

static volatile sig_atomic_t quit;

static void on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

/* What KVM_MEM_LOG_DIRTY_PAGES would record for a write to [off, off+len). */
static void mark(struct demo *d, size_t off, size_t len)
{
	if (!len)
		return;
	pthread_mutex_lock(&d->lock);
	for (size_t p = off / FB_PAGE_SIZE; p <= (off + len - 1) / FB_PAGE_SIZE; p++)
		d->dirty[p / 64] |= 1ull << (p % 64);
	pthread_mutex_unlock(&d->lock);
}

static int get_dirty(void *opaque, uint64_t *bitmap, size_t words)
{
	struct demo *d = opaque;
	pthread_mutex_lock(&d->lock);
	size_t n = words < d->dirty_words ? words : d->dirty_words;
	memcpy(bitmap, d->dirty, n * sizeof(uint64_t));
	memset(d->dirty, 0, d->dirty_words * sizeof(uint64_t));
	pthread_mutex_unlock(&d->lock);
	return 0;
}

static void put(struct demo *d, uint32_t x, uint32_t y, uint8_t r, uint8_t g, uint8_t b)
{
	uint8_t *p = d->pixels + (size_t)y * d->stride + (size_t)x * 4;
	p[0] = b;
	p[1] = g;
	p[2] = r;
	p[3] = 0;
}

/* Deterministic background: every pixel differs from its neighbours, so a
 * byte-exact comparison catches any misplaced rectangle. */
static void draw_background(struct demo *d, unsigned shift)
{
	for (uint32_t y = 0; y < d->h; y++) {
		for (uint32_t x = 0; x < d->w; x++)
			put(d, x, y, (uint8_t)((x + shift) ^ y), (uint8_t)(y * 3 + shift),
			    (uint8_t)(x * 7 + (y >> 3)));
		mark(d, (size_t)y * d->stride, (size_t)d->w * 4);
	}
}

/* One "text line": 16 rows, glyph-like blocks spelling the frame number,
 * written only where the glyph cells are (as a console would). */
static void draw_text_line(struct demo *d, unsigned frame)
{
	uint32_t lines = d->h / 16;
	if (!lines)
		return;
	uint32_t y0 = (frame % lines) * 16;
	uint32_t cols = d->w / 8 < 80 ? d->w / 8 : 80;
	for (uint32_t y = y0; y < y0 + 16; y++) {
		for (uint32_t c = 0; c < cols; c++) {
			unsigned digit = (frame / (1u + c % 7)) % 10;
			for (uint32_t x = c * 8; x < c * 8 + 8; x++) {
				bool on = ((x + y + digit) % 3) == 0;
				put(d, x, y, on ? 255 : 0, on ? 255 : 0, on ? 255 : (uint8_t)(digit * 20));
			}
		}
		mark(d, (size_t)y * d->stride, (size_t)cols * 8 * 4);
	}
}

static void draw_box(struct demo *d, unsigned frame)
{
	uint32_t size = 64;
	if (d->w <= size || d->h <= size)
		return;
	uint32_t bx = (frame * 7) % (d->w - size), by = (frame * 5) % (d->h - size);
	for (uint32_t y = by; y < by + size; y++) {
		for (uint32_t x = bx; x < bx + size; x++)
			put(d, x, y, (uint8_t)(frame * 3), 80, 200);
		mark(d, (size_t)y * d->stride + bx * 4, size * 4);
	}
}

static void on_key(void *opaque, const uint8_t *set2, size_t len)
{
	(void)opaque;
	flockfile(stdout);
	printf("key");
	for (size_t i = 0; i < len; i++)
		printf(" %02x", set2[i]);
	printf("\n");
	funlockfile(stdout);
	fflush(stdout);
}

static void on_pointer(void *opaque, int dx, int dy, int dz, unsigned buttons)
{
	(void)opaque;
	printf("pointer %d %d %d %u\n", dx, dy, dz, buttons);
	fflush(stdout);
}

static int parse_size(const char *s, uint32_t *w, uint32_t *h)
{
	return sscanf(s, "%ux%u", w, h) == 2 ? 0 : -1;
}

static void usage(void)
{
	fprintf(stderr, "usage: display_vncdemo [--listen SPEC] [--password PW] [--size WxH] "
			"[--stride N] [--scene static|line|full|anim] [--fps N] [--seconds N] "
			"[--no-dirty-log] [--full-frame] [--max-clients N] [--resize-after-ms MS "
			"--resize WxH] [--png-on-exit FILE] [--log-input]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct vnc_config cfg = { .listen = "auto" };
	struct demo d = { .w = 1024, .h = 768 };
	const char *scene = "anim", *png_out = NULL;
	unsigned fps = 30, seconds = 0, resize_ms = 0;
	uint32_t rw = 0, rh = 0;
	bool dirty_log = true, log_input = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--no-dirty-log")) { dirty_log = false; continue; }
		if (!strcmp(a, "--full-frame")) { cfg.full_frame_each_tick = true; continue; }
		if (!strcmp(a, "--log-input")) { log_input = true; continue; }
		if (!strcmp(a, "--verbose")) { cfg.verbose = true; continue; }
		if (!v)
			usage();
		i++;
		if (!strcmp(a, "--listen")) cfg.listen = v;
		else if (!strcmp(a, "--password")) cfg.password = v;
		else if (!strcmp(a, "--size")) { if (parse_size(v, &d.w, &d.h)) usage(); }
		else if (!strcmp(a, "--stride")) d.stride = (uint32_t)strtoul(v, NULL, 0);
		else if (!strcmp(a, "--scene")) scene = v;
		else if (!strcmp(a, "--fps")) fps = (unsigned)strtoul(v, NULL, 0);
		else if (!strcmp(a, "--seconds")) seconds = (unsigned)strtoul(v, NULL, 0);
		else if (!strcmp(a, "--max-clients")) cfg.max_clients = atoi(v);
		else if (!strcmp(a, "--resize-after-ms")) resize_ms = (unsigned)strtoul(v, NULL, 0);
		else if (!strcmp(a, "--resize")) { if (parse_size(v, &rw, &rh)) usage(); }
		else if (!strcmp(a, "--png-on-exit")) png_out = v;
		else usage();
	}
	if (!d.stride)
		d.stride = d.w * 4;
	/* The window is sized for the biggest mode we may switch to. */
	d.window = (size_t)d.stride * d.h;
	if (rw && (size_t)rw * 4 * rh > d.window)
		d.window = (size_t)rw * 4 * rh;
	d.pixels = calloc(1, d.window);
	d.dirty_words = (d.window / FB_PAGE_SIZE + 63) / 64;
	d.dirty = calloc(d.dirty_words, sizeof(uint64_t));
	pthread_mutex_init(&d.lock, NULL);
	if (!d.pixels || !d.dirty) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	draw_background(&d, 0);

	struct fb_source fb = { .pixels = d.pixels, .width = d.w, .height = d.h, .stride = d.stride,
				.window_size = d.window,
				.get_dirty_bitmap = dirty_log ? get_dirty : NULL, .opaque = &d };
	struct vnc_input_ops ops = { .key = on_key, .pointer = on_pointer };
	struct vnc_server *srv;
	char err[256];
	if (vnc_server_start(&cfg, &fb, log_input ? &ops : NULL, NULL, &srv, err, sizeof(err)) < 0) {
		fprintf(stderr, "display_vncdemo: %s\n", err);
		return 1;
	}
	char desc[160];
	vnc_server_describe(srv, desc, sizeof(desc));
	printf("VNC %s\n", desc);
	fflush(stdout);

	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	unsigned frame = 0;
	bool resized = false;
	while (!quit) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		long ms = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (seconds && ms >= (long)seconds * 1000)
			break;
		if (resize_ms && !resized && ms >= (long)resize_ms) {
			resized = true;
			int rc = vnc_server_set_mode(srv, rw, rh, rw * 4);
			printf("resize %ux%u: %s\n", rw, rh, rc ? strerror(-rc) : "ok");
			fflush(stdout);
			if (!rc) {
				d.w = rw;
				d.h = rh;
				d.stride = rw * 4;
				draw_background(&d, frame);
			}
		}
		frame++;
		if (!strcmp(scene, "line")) {
			draw_text_line(&d, frame);
		} else if (!strcmp(scene, "full")) {
			draw_background(&d, frame);
		} else if (!strcmp(scene, "anim")) {
			draw_text_line(&d, frame);
			draw_box(&d, frame);
		}
		usleep(fps ? 1000000 / fps : 100000);
	}

	struct vnc_stats st;
	vnc_server_get_stats(srv, &st);
	vnc_server_stop(srv);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("stats clients_accepted=%llu clients_refused=%llu clients_dropped=%llu "
	       "bytes_sent=%llu updates_sent=%llu polls=%llu dirty_polls=%llu rects=%llu "
	       "rows_copied=%llu keys=%llu pointer=%llu cpu_ms=%ld mode=%ux%u\n",
	       (unsigned long long)st.clients_accepted, (unsigned long long)st.clients_refused,
	       (unsigned long long)st.clients_dropped, (unsigned long long)st.bytes_sent,
	       (unsigned long long)st.updates_sent, (unsigned long long)st.polls,
	       (unsigned long long)st.dirty_polls, (unsigned long long)st.rects_marked,
	       (unsigned long long)st.rows_copied, (unsigned long long)st.key_events,
	       (unsigned long long)st.pointer_events,
	       (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
		       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000,
	       st.width, st.height);
	int rc = 0;
	if (png_out && png_write_xrgb(png_out, d.pixels, d.w, d.h, d.stride, err, sizeof(err)) < 0) {
		fprintf(stderr, "display_vncdemo: %s\n", err);
		rc = 1;
	}
	fflush(stdout);
	free(d.pixels);
	free(d.dirty);
	return rc;
}
