/* A machine's display: the framebuffer memslot (vmm-core/fbdev.c), the VNC
 * server (display/vnc.c) fed by its dirty log, keyboard and mouse from VNC
 * clients into the i8042, and PNG screenshots. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fbdev.h"
#include "keyname.h"
#include "machine.h"
#include "machine_int.h"
#include "png_writer.h"
#include "vm.h"
#include "vm_devices.h"
#include "vnc.h"
#include "x86/multiboot.h"

struct machine_display {
	struct fbdev *fb;
	struct vnc_server *vnc;
	struct fb_source src;
	struct machine *m;
};

static int display_dirty(void *opaque, uint64_t *bitmap, size_t words)
{
	struct machine_display *d = opaque;
	return fbdev_get_dirty(d->fb, bitmap, words);
}

/* Input arrives on the VNC server thread; the i8042 queues are bounded and
 * drop on overflow, so this never blocks. */
static void display_key(void *opaque, const uint8_t *set2, size_t len)
{
	struct machine_display *d = opaque;
	vm_kbd_set2(d->m->vm, set2, len);
}

static void display_pointer(void *opaque, int dx, int dy, int dz, unsigned buttons)
{
	struct machine_display *d = opaque;
	vm_mouse_event(d->m->vm, dx, dy, dz, buttons);
}

static const struct vnc_input_ops display_input = { display_key, display_pointer };

int machine_display_create(struct machine *m, char *err, size_t errlen)
{
	const struct config_display *cd = &m->cfg.display;
	struct machine_display *d;
	const char *listen = m->opts.vnc_listen ? m->opts.vnc_listen : cd->vnc;
	struct vnc_config vc = {
		.listen = listen[0] ? listen : "auto",
		.password = cd->vnc_password[0] ? cd->vnc_password : NULL,
		.desktop_name = m->cfg.name[0] ? m->cfg.name : "vmdeck",
	};
	int r;

	if (!cd->enabled)
		return 0;
	d = calloc(1, sizeof(*d));
	if (!d) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	d->m = m;
	m->display = d;
	r = fbdev_create(m->vm, m->opts.fb_path, cd->width, cd->height, &d->fb, err, errlen);
	if (r)
		return r;
	d->src = (struct fb_source){
		.pixels = d->fb->pixels, .width = d->fb->width, .height = d->fb->height,
		.stride = d->fb->stride, .window_size = d->fb->window,
		.get_dirty_bitmap = display_dirty, .opaque = d,
	};
	r = vnc_server_start(&vc, &d->src, &display_input, d, &d->vnc, err, errlen);
	if (r)
		return r;
	return 0;
}

void machine_display_destroy(struct machine *m)
{
	struct machine_display *d = m->display;

	if (!d)
		return;
	vnc_server_stop(d->vnc);
	fbdev_destroy(d->fb);
	free(d);
	m->display = NULL;
}

bool machine_display_fb(struct machine *m, struct multiboot_fb *out)
{
	struct machine_display *d = m->display;

	if (!d || !d->fb)
		return false;
	*out = (struct multiboot_fb){ .addr = d->fb->gpa, .width = d->fb->width,
				      .height = d->fb->height, .pitch = d->fb->stride };
	return true;
}

bool machine_has_display(struct machine *m)
{
	return m->display != NULL;
}

void machine_vnc_describe(struct machine *m, char *buf, size_t len)
{
	if (m->display && m->display->vnc)
		vnc_server_describe(m->display->vnc, buf, len);
	else
		snprintf(buf, len, "%s", "");
}

int machine_vnc_stats(struct machine *m, unsigned *clients, uint64_t *bytes)
{
	struct vnc_stats st;

	if (!m->display || !m->display->vnc)
		return -ENODEV;
	vnc_server_get_stats(m->display->vnc, &st);
	*clients = st.clients;
	*bytes = st.bytes_sent;
	return 0;
}

int machine_screenshot(struct machine *m, const char *path, char *err, size_t errlen)
{
	struct machine_display *d = m->display;

	if (!d || !d->fb) {
		snprintf(err, errlen, "this VM has no display");
		return -ENODEV;
	}
	/* Exactly the framebuffer pixels, as the guest left them. */
	return png_write_xrgb(path, d->fb->pixels, d->fb->width, d->fb->height, d->fb->stride,
			      err, errlen);
}

int machine_sendkey(struct machine *m, const char *keys, char *err, size_t errlen)
{
	uint8_t set2[KEYNAME_MAX_KEYS * 2 * 8];
	int n = keyname_combo_set2(keys, set2, sizeof(set2));

	if (n < 0) {
		snprintf(err, errlen, "'%.64s' is not a key combination (e.g. a, ret, "
			 "ctrl-alt-delete, shift-f1)", keys);
		return n;
	}
	n = vm_kbd_set2(m->vm, set2, (size_t)n);
	if (n < 0)
		snprintf(err, errlen, "keyboard queue full (the guest is not reading it)");
	return n < 0 ? n : 0;
}

struct fbdev *machine_display_fbdev(struct machine *m)
{
	return m->display ? m->display->fb : NULL;
}

void machine_display_refresh(struct machine *m)
{
	struct machine_display *d = m->display;

	/* Re-announcing the same mode makes the server resend the frame. */
	if (d && d->vnc && d->fb)
		vnc_server_set_mode(d->vnc, d->fb->width, d->fb->height, d->fb->stride);
}
