/* A well-behaved VNC test client on libvncclient.
 *
 *   vncclient_check --port N [--host H] [--password PW] [--encodings "raw"]
 *       [--save OUT.png] [--expect-png IN.png] [--wait-ms N]
 *       [--type TEXT] [--key KEYSYM] [--pointer X,Y,MASK] ...
 *       [--expect-refused] [--timeout-ms N]
 *   vncclient_check --compare-files A.png B.png
 *
 * Connects, receives the full framebuffer, performs the input actions in
 * command-line order (typing uses Shift_L like a real client), keeps
 * receiving for --wait-ms, then saves/compares the framebuffer.  Prints
 * "size WxH", "updates N rects N max_gap_ms N" and, with --expect-png,
 * "match" or "mismatch N pixels (first at X,Y)".  Exit 0 on success. */
#include <png.h>
#include <rfb/keysym.h>
#include <rfb/rfbclient.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct state {
	uint64_t updates, rects, pixels;
	long last_update_ms, max_gap_ms;
	const char *password;
};

static struct state st; /* test tool: one client per process */

static long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void got_rect(rfbClient *c, int x, int y, int w, int h)
{
	(void)c; (void)x; (void)y;
	st.rects++;
	st.pixels += (uint64_t)w * h;
}

static void finished_update(rfbClient *c)
{
	(void)c;
	long now = now_ms();
	if (st.updates && now - st.last_update_ms > st.max_gap_ms)
		st.max_gap_ms = now - st.last_update_ms;
	st.last_update_ms = now;
	st.updates++;
}

static char *get_password(rfbClient *c)
{
	(void)c;
	return strdup(st.password ? st.password : "");
}

static void quiet_log(const char *fmt, ...)
{
	(void)fmt;
}

static int pump(rfbClient *c, long ms)
{
	long end = now_ms() + ms;
	while (now_ms() < end) {
		int n = WaitForMessage(c, 20000);
		if (n < 0)
			return -1;
		if (n > 0 && !HandleRFBServerMessage(c))
			return -1;
	}
	return 0;
}

/* Pixel (x, y) of the client framebuffer (format R,G,B,X bytes). */
static const uint8_t *px(rfbClient *c, int x, int y)
{
	return c->frameBuffer + ((size_t)y * c->width + x) * 4;
}

static int save_png(rfbClient *c, const char *path)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png_create_info_struct(png);
	if (setjmp(png_jmpbuf(png))) {
		fclose(f);
		return -1;
	}
	png_init_io(png, f);
	png_set_IHDR(png, info, c->width, c->height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	uint8_t *row = malloc((size_t)c->width * 3);
	for (int y = 0; y < c->height; y++) {
		for (int x = 0; x < c->width; x++)
			memcpy(row + x * 3, px(c, x, y), 3);
		png_write_row(png, row);
	}
	png_write_end(png, info);
	png_destroy_write_struct(&png, &info);
	free(row);
	return fclose(f);
}

/* Compares with an 8-bit RGB(A) PNG; returns the number of differing
 * pixels, or -1 if it cannot be read or the size differs. */
static long compare_png(rfbClient *c, const char *path)
{
	png_image img = { .version = PNG_IMAGE_VERSION };
	if (!png_image_begin_read_from_file(&img, path)) {
		fprintf(stderr, "%s: %s\n", path, img.message);
		return -1;
	}
	img.format = PNG_FORMAT_RGB;
	uint8_t *buf = malloc(PNG_IMAGE_SIZE(img));
	if (!buf || !png_image_finish_read(&img, NULL, buf, 0, NULL)) {
		fprintf(stderr, "%s: %s\n", path, img.message);
		free(buf);
		return -1;
	}
	if ((int)img.width != c->width || (int)img.height != c->height) {
		printf("size mismatch: png %ux%u, screen %dx%d\n", img.width, img.height, c->width,
		       c->height);
		free(buf);
		return -1;
	}
	long bad = 0;
	int fx = -1, fy = -1;
	for (int y = 0; y < c->height; y++)
		for (int x = 0; x < c->width; x++)
			if (memcmp(buf + ((size_t)y * c->width + x) * 3, px(c, x, y), 3)) {
				if (!bad++) {
					fx = x;
					fy = y;
				}
			}
	if (bad)
		printf("mismatch %ld pixels (first at %d,%d)\n", bad, fx, fy);
	else
		printf("match\n");
	free(buf);
	return bad;
}

static uint8_t *load_png(const char *path, unsigned *w, unsigned *h)
{
	png_image img = { .version = PNG_IMAGE_VERSION };
	if (!png_image_begin_read_from_file(&img, path)) {
		fprintf(stderr, "%s: %s\n", path, img.message);
		return NULL;
	}
	img.format = PNG_FORMAT_RGB;
	uint8_t *buf = malloc(PNG_IMAGE_SIZE(img));
	if (!buf || !png_image_finish_read(&img, NULL, buf, 0, NULL)) {
		fprintf(stderr, "%s: %s\n", path, img.message);
		free(buf);
		return NULL;
	}
	*w = img.width;
	*h = img.height;
	return buf;
}

/* Pixel-exact comparison of two PNG files (after expanding to 8-bit RGB). */
static int compare_files(const char *a, const char *b)
{
	unsigned aw, ah, bw, bh;
	uint8_t *pa = load_png(a, &aw, &ah), *pb = load_png(b, &bw, &bh);
	int rc = 1;
	if (!pa || !pb) {
		rc = 2;
	} else if (aw != bw || ah != bh) {
		printf("size mismatch: %ux%u vs %ux%u\n", aw, ah, bw, bh);
	} else {
		long bad = 0;
		for (size_t i = 0; i < (size_t)aw * ah; i++)
			bad += memcmp(pa + i * 3, pb + i * 3, 3) != 0;
		if (bad)
			printf("mismatch %ld pixels\n", bad);
		else
			printf("match %ux%u\n", aw, ah);
		rc = bad ? 1 : 0;
	}
	free(pa);
	free(pb);
	return rc;
}

/* libvncclient leaves the framebuffer it malloc'ed to the application. */
static void cleanup(rfbClient *c)
{
	free(c->frameBuffer);
	c->frameBuffer = NULL;
	rfbClientCleanup(c);
}

static bool needs_shift(int ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch && strchr("~!@#$%^&*()_+{}|:\"<>?", ch));
}

static void tap(rfbClient *c, uint32_t keysym)
{
	SendKeyEvent(c, keysym, TRUE);
	SendKeyEvent(c, keysym, FALSE);
}

static void type_text(rfbClient *c, const char *s)
{
	for (; *s; s++) {
		int ch = (unsigned char)*s;
		uint32_t ks = ch == '\n' ? XK_Return : (uint32_t)ch;
		bool sh = needs_shift(ch);
		if (sh)
			SendKeyEvent(c, XK_Shift_L, TRUE);
		tap(c, ks);
		if (sh)
			SendKeyEvent(c, XK_Shift_L, FALSE);
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: vncclient_check --port N [--host H] [--password PW] "
			"[--encodings E] [--save F.png] [--expect-png F.png] [--wait-ms N] "
			"[--type TEXT] [--key KEYSYM] [--pointer X,Y,MASK] [--expect-refused] "
			"[--timeout-ms N]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *host = "127.0.0.1", *save = NULL, *expect = NULL, *enc = NULL;
	int port = 0;
	long wait_ms = 0, timeout_ms = 10000;
	bool expect_refused = false;
	if (argc == 4 && !strcmp(argv[1], "--compare-files"))
		return compare_files(argv[2], argv[3]);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--expect-refused")) { expect_refused = true; continue; }
		if (!v)
			usage();
		i++;
		if (!strcmp(a, "--port")) port = atoi(v);
		else if (!strcmp(a, "--host")) host = v;
		else if (!strcmp(a, "--password")) st.password = v;
		else if (!strcmp(a, "--encodings")) enc = v;
		else if (!strcmp(a, "--save")) save = v;
		else if (!strcmp(a, "--expect-png")) expect = v;
		else if (!strcmp(a, "--wait-ms")) wait_ms = atol(v);
		else if (!strcmp(a, "--timeout-ms")) timeout_ms = atol(v);
		else if (!strcmp(a, "--type") || !strcmp(a, "--key") || !strcmp(a, "--pointer"))
			; /* actions: run after connecting, in order */
		else usage();
	}
	if (!port)
		usage();
	rfbClientLog = rfbClientErr = quiet_log;

	rfbClient *c = rfbGetClient(8, 3, 4);
	free(c->serverHost); /* rfbGetClient's strdup("") */
	c->serverHost = strdup(host);
	c->serverPort = port;
	c->GetPassword = get_password;
	c->GotFrameBufferUpdate = got_rect;
	c->FinishedFrameBufferUpdate = finished_update;
	c->canHandleNewFBSize = TRUE;
	if (enc)
		c->appData.encodingsString = enc;
	/* Tight with JPEG is lossy; a byte-exact comparison needs lossless. */
	c->appData.enableJPEG = FALSE;
	if (!rfbInitClient(c, NULL, NULL)) {
		/* rfbInitClient frees the client on failure. */
		printf("connect failed\n");
		return expect_refused ? 0 : 3;
	}
	/* Refused clients see the version string and then EOF. */
	long deadline = now_ms() + timeout_ms;
	while (st.pixels < (uint64_t)c->width * c->height) {
		if (now_ms() > deadline || pump(c, 50) < 0) {
			printf("no full frame (%llu of %d pixels)\n", (unsigned long long)st.pixels,
			       c->width * c->height);
			cleanup(c);
			return expect_refused ? 0 : 4;
		}
	}
	if (expect_refused) {
		printf("not refused\n");
		cleanup(c);
		return 5;
	}
	printf("size %dx%d\n", c->width, c->height);
	fflush(stdout);

	for (int i = 1; i + 1 < argc; i++) {
		const char *a = argv[i], *v = argv[i + 1];
		if (!strcmp(a, "--type")) {
			type_text(c, v);
		} else if (!strcmp(a, "--key")) {
			tap(c, (uint32_t)strtoul(v, NULL, 0));
		} else if (!strcmp(a, "--pointer")) {
			int x, y, m;
			if (sscanf(v, "%d,%d,%d", &x, &y, &m) == 3)
				SendPointerEvent(c, x, y, m);
		} else {
			continue;
		}
		i++;
		pump(c, 20);
	}
	int rc = 0;
	if (pump(c, wait_ms > 100 ? wait_ms : 100) < 0) {
		printf("connection lost\n");
		rc = 6;
	}
	printf("updates %llu rects %llu max_gap_ms %ld\n", (unsigned long long)st.updates,
	       (unsigned long long)st.rects, st.max_gap_ms);
	if (save && save_png(c, save) != 0) {
		fprintf(stderr, "cannot write %s\n", save);
		rc = 7;
	}
	if (expect && compare_png(c, expect) != 0)
		rc = 8;
	cleanup(c);
	return rc;
}
