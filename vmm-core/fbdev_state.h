/* Framebuffer snapshot sections: SNAP_SEC_FB_MODE (width, height, stride,
 * guest address) and SNAP_SEC_FB_PIXELS (stride * height bytes), so the
 * screen after a restore is the screen at snapshot time. The rest of the
 * 32 MiB window is not saved (it is outside the mode). */
#ifndef VMDECK_FBDEV_STATE_H
#define VMDECK_FBDEV_STATE_H

#include <stddef.h>

#include "snapfile.h"

struct fbdev;

#define FBDEV_STATE_VERSION 1
#define FBDEV_KNOWN { SNAP_SEC_FB_MODE, 1 }, { SNAP_SEC_FB_PIXELS, 1 }

void fbdev_save(const struct fbdev *fb, struct snap_writer *w);
/* fb NULL: the VM has no display, and the snapshot must not have one
 * either. The mode must equal fb's; with check_only nothing is copied. */
int fbdev_load(struct fbdev *fb, const struct snap_file *f, int check_only,
	       char *err, size_t errlen);

#endif
