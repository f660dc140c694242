/* png_write_xrgb: read back with libpng, compare every pixel. */
#include "png_writer.h"

#include <criterion/criterion.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static void setup(void)
{
	strcpy(dir, "/tmp/vmdeck-pngtest.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)system(cmd);
}

static void roundtrip(uint32_t w, uint32_t h, uint32_t stride)
{
	uint8_t *px = malloc((size_t)stride * h);
	for (size_t i = 0; i < (size_t)stride * h; i++)
		px[i] = (uint8_t)(i * 2654435761u >> 13);
	char path[128], err[256];
	snprintf(path, sizeof(path), "%s/shot.png", dir);
	cr_assert_eq(png_write_xrgb(path, px, w, h, stride, err, sizeof(err)), 0, "%s", err);

	png_image img = { .version = PNG_IMAGE_VERSION };
	cr_assert(png_image_begin_read_from_file(&img, path), "%s", img.message);
	cr_assert_eq(img.width, w);
	cr_assert_eq(img.height, h);
	cr_assert_eq(img.format & PNG_FORMAT_FLAG_ALPHA, 0, "RGB, no alpha");
	img.format = PNG_FORMAT_RGB;
	uint8_t *rgb = malloc(PNG_IMAGE_SIZE(img));
	cr_assert(png_image_finish_read(&img, NULL, rgb, 0, NULL));
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++) {
			const uint8_t *s = px + (size_t)y * stride + x * 4, *d = rgb + ((size_t)y * w + x) * 3;
			cr_assert(d[0] == s[2] && d[1] == s[1] && d[2] == s[0], "pixel %u,%u", x, y);
		}
	free(rgb);
	free(px);
}

Test(display_png, exact_pixels, .init = setup, .fini = teardown)
{
	roundtrip(64, 48, 256);
	roundtrip(1, 1, 4);
	roundtrip(333, 17, 333 * 4 + 12); /* padded stride */
	roundtrip(1024, 768, 4096);
}

Test(display_png, errors_and_no_leftovers, .init = setup, .fini = teardown)
{
	uint8_t px[16] = { 0 };
	char err[256] = "", path[160];
	snprintf(path, sizeof(path), "%s/nodir/x.png", dir);
	cr_assert_lt(png_write_xrgb(path, px, 2, 2, 8, err, sizeof(err)), 0);
	cr_assert(strstr(err, "x.png"), "message names the file: %s", err);
	snprintf(path, sizeof(path), "%s/x.png", dir);
	cr_assert_lt(png_write_xrgb(path, px, 0, 2, 8, err, sizeof(err)), 0);
	cr_assert_lt(png_write_xrgb(path, px, 3, 2, 8, err, sizeof(err)), 0, "stride < width*4");
	cr_assert_lt(png_write_xrgb(path, NULL, 2, 2, 8, err, sizeof(err)), 0);
	/* A successful write leaves exactly one file, no temp. */
	cr_assert_eq(png_write_xrgb(path, px, 2, 2, 8, err, sizeof(err)), 0);
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "test $(ls %s | wc -l) = 1", dir);
	cr_assert_eq(system(cmd), 0);
	/* Overwrite in place via rename. */
	cr_assert_eq(png_write_xrgb(path, px, 2, 2, 8, err, sizeof(err)), 0);
	cr_assert_eq(system(cmd), 0);
}
