/* Framebuffer snapshot sections; see fbdev_state.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fbdev.h"
#include "fbdev_state.h"

void fbdev_save(const struct fbdev *fb, struct snap_writer *w)
{
	snap_begin(w, SNAP_SEC_FB_MODE, 0, FBDEV_STATE_VERSION);
	snap_put_u32(w, fb->width);
	snap_put_u32(w, fb->height);
	snap_put_u32(w, fb->stride);
	snap_put_u32(w, 0);
	snap_put_u64(w, fb->gpa);
	snap_end(w);
	snap_add(w, SNAP_SEC_FB_PIXELS, 0, FBDEV_STATE_VERSION, fb->pixels,
		 (size_t)fb->stride * fb->height);
}

int fbdev_load(struct fbdev *fb, const struct snap_file *f, int check_only,
	       char *err, size_t errlen)
{
	const struct snap_section *m = snap_find(f, SNAP_SEC_FB_MODE, 0);
	const struct snap_section *p = snap_find(f, SNAP_SEC_FB_PIXELS, 0);
	struct snap_cursor c;
	uint32_t w, h, stride, pad;
	uint64_t gpa;

	if (!fb) {
		if (m || p) {
			snprintf(err, errlen, "%s: the snapshot has a framebuffer, this VM has "
				 "no display", snap_error_name(SNAP_E_BAD_STATE));
			return -EINVAL;
		}
		return 0;
	}
	if (!m || !p) {
		snprintf(err, errlen, "%s: no framebuffer state", snap_error_name(SNAP_E_MISSING));
		return -EINVAL;
	}
	snap_cursor_init(&c, m->data, m->len);
	w = snap_get_u32(&c);
	h = snap_get_u32(&c);
	stride = snap_get_u32(&c);
	pad = snap_get_u32(&c);
	gpa = snap_get_u64(&c);
	if (m->version != FBDEV_STATE_VERSION || p->version != FBDEV_STATE_VERSION ||
	    !snap_cursor_done(&c) || pad) {
		snprintf(err, errlen, "%s: framebuffer mode section", snap_error_name(SNAP_E_BAD_STATE));
		return -EINVAL;
	}
	/* The mode comes from the VM definition; the saved one must be it. */
	if (w != fb->width || h != fb->height || stride != fb->stride || gpa != fb->gpa) {
		snprintf(err, errlen, "%s: framebuffer %ux%u stride %u at 0x%llx, this VM has "
			 "%ux%u stride %u at 0x%llx", snap_error_name(SNAP_E_BAD_STATE), w, h,
			 stride, (unsigned long long)gpa, fb->width, fb->height, fb->stride,
			 (unsigned long long)fb->gpa);
		return -EINVAL;
	}
	if (p->len != (uint64_t)stride * h || p->len > fb->window) {
		snprintf(err, errlen, "%s: framebuffer pixels: %llu bytes, the mode needs %llu",
			 snap_error_name(SNAP_E_BAD_STATE), (unsigned long long)p->len,
			 (unsigned long long)stride * h);
		return -EINVAL;
	}
	if (check_only)
		return 0;
	memcpy(fb->pixels, p->data, p->len);
	return 0;
}
