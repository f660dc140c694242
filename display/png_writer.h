/* PNG screenshots of an x8r8g8b8 framebuffer. */
#ifndef VMDECK_DISPLAY_PNG_WRITER_H
#define VMDECK_DISPLAY_PNG_WRITER_H

#include <stddef.h>
#include <stdint.h>

/* Writes the pixels as an 8-bit RGB PNG holding exactly the framebuffer's
 * colours (X byte dropped).  Writes PATH.tmp.XXXXXX in the same directory,
 * fsyncs it, then renames it over path, so a reader never sees a partial
 * file.  Returns 0 or -errno with a message naming the file in err. */
int png_write_xrgb(const char *path, const uint8_t *pixels, uint32_t width, uint32_t height,
		   uint32_t stride, char *err, size_t errlen);

#endif
