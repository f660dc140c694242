/* PNG writer on libpng.  libpng reports errors by longjmp from its error
 * callback; everything that must survive the jump is volatile or lives
 * outside the setjmp frame. */
#include "png_writer.h"

#include "fb.h"

#include <errno.h>
#include <png.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct png_err_ctx {
	char *err;
	size_t errlen;
	const char *path;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static void on_png_error(png_structp png, png_const_charp msg)
{
	struct png_err_ctx *ctx = png_get_error_ptr(png);
	set_err(ctx->err, ctx->errlen, "%s: libpng: %s", ctx->path, msg);
	png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

/* Encodes into an open FILE; returns 0 or -EIO (err already set). */
static int encode(FILE *f, const uint8_t *pixels, uint32_t width, uint32_t height,
		  uint32_t stride, struct png_err_ctx *ctx)
{
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, ctx, on_png_error,
						  on_png_warning);
	if (!png) {
		set_err(ctx->err, ctx->errlen, "%s: out of memory", ctx->path);
		return -ENOMEM;
	}
	png_infop info = png_create_info_struct(png);
	uint8_t *volatile row = malloc((size_t)width * 3);
	if (!info || !row) {
		png_destroy_write_struct(&png, info ? &info : NULL);
		free(row);
		set_err(ctx->err, ctx->errlen, "%s: out of memory", ctx->path);
		return -ENOMEM;
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		free(row);
		return -EIO;
	}
	png_init_io(png, f);
	/* Screens compress well at a low level; level 6 costs 3x the time for a
	 * few percent. */
	png_set_compression_level(png, 3);
	png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (uint32_t y = 0; y < height; y++) {
		const uint8_t *src = pixels + (size_t)y * stride;
		for (uint32_t x = 0; x < width; x++) {
			row[x * 3 + 0] = src[x * 4 + 2]; /* R */
			row[x * 3 + 1] = src[x * 4 + 1]; /* G */
			row[x * 3 + 2] = src[x * 4 + 0]; /* B */
		}
		png_write_row(png, row);
	}
	png_write_end(png, info);
	png_destroy_write_struct(&png, &info);
	free(row);
	return 0;
}

int png_write_xrgb(const char *path, const uint8_t *pixels, uint32_t width, uint32_t height,
		   uint32_t stride, char *err, size_t errlen)
{
	if (!path || !pixels) {
		set_err(err, errlen, "png: no path or pixels");
		return -EINVAL;
	}
	int rc = fb_mode_check(width, height, stride, (size_t)stride * height);
	if (rc < 0) {
		set_err(err, errlen, "%s: bad image geometry %ux%u stride %u", path, width, height,
			stride);
		return rc;
	}
	size_t plen = strlen(path);
	char *tmp = malloc(plen + sizeof(".tmp.XXXXXX"));
	if (!tmp) {
		set_err(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	memcpy(tmp, path, plen);
	memcpy(tmp + plen, ".tmp.XXXXXX", sizeof(".tmp.XXXXXX"));
	int fd = mkstemp(tmp);
	if (fd < 0) {
		rc = -errno;
		set_err(err, errlen, "%s: cannot create temporary file: %s", path, strerror(errno));
		free(tmp);
		return rc;
	}
	/* mkstemp makes 0600; a screenshot is an ordinary file.  (Reading the
	 * umask means setting it, which races with other threads.) */
	(void)fchmod(fd, 0644);
	FILE *f = fdopen(fd, "wb");
	if (!f) {
		rc = -errno;
		set_err(err, errlen, "%s: fdopen: %s", path, strerror(errno));
		close(fd);
		goto out_unlink;
	}
	struct png_err_ctx ctx = { .err = err, .errlen = errlen, .path = path };
	rc = encode(f, pixels, width, height, stride, &ctx);
	if (rc == 0 && (fflush(f) != 0 || fsync(fileno(f)) != 0)) {
		rc = -errno;
		set_err(err, errlen, "%s: write: %s", path, strerror(errno));
	}
	if (fclose(f) != 0 && rc == 0) {
		rc = -errno;
		set_err(err, errlen, "%s: close: %s", path, strerror(errno));
	}
	if (rc < 0)
		goto out_unlink;
	if (rename(tmp, path) != 0) {
		rc = -errno;
		set_err(err, errlen, "%s: rename: %s", path, strerror(errno));
		goto out_unlink;
	}
	free(tmp);
	return 0;
out_unlink:
	unlink(tmp);
	free(tmp);
	return rc;
}
