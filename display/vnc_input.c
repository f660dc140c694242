/* RFB input (RFC 6143 7.5.4 KeyEvent, 7.5.5 PointerEvent) -> PS/2 style
 * events for the VM's i8042 model. */
#include "vnc_internal.h"

#include <string.h>

static void track_key(struct vnc_client *c, bool down, uint32_t keysym)
{
	struct vnc_held_key k = { 0 };
	k.len = (uint8_t)keymap_keysym_to_set2(keysym, false, k.brk, sizeof(k.brk));
	if (!k.len)
		return; /* Pause: nothing to release */
	/* Keyed by the break bytes: '!' and '1' are the same physical key. */
	for (unsigned i = 0; i < c->nheld; i++) {
		if (c->held[i].len == k.len && !memcmp(c->held[i].brk, k.brk, k.len)) {
			if (!down)
				c->held[i] = c->held[--c->nheld];
			return;
		}
	}
	if (down && c->nheld < VNC_MAX_HELD_KEYS)
		c->held[c->nheld++] = k;
}

void vnc_input_key(rfbBool down, rfbKeySym keysym, rfbClientPtr cl)
{
	struct vnc_client *c = cl->clientData;
	if (!c)
		return;
	struct vnc_server *srv = c->srv;
	srv->live.key_events++;
	uint8_t seq[KEYMAP_MAX_SEQ];
	size_t n = keymap_keysym_to_set2(keysym, down, seq, sizeof(seq));
	if (!n) {
		if (down)
			srv->live.keys_unmapped++;
		return;
	}
	track_key(c, down, keysym);
	if (srv->input.key)
		srv->input.key(srv->input_opaque, seq, n);
}

void vnc_input_release_all(struct vnc_client *c)
{
	struct vnc_server *srv = c->srv;
	for (unsigned i = 0; i < c->nheld; i++)
		if (srv->input.key)
			srv->input.key(srv->input_opaque, c->held[i].brk, c->held[i].len);
	c->nheld = 0;
}

/* RFB button mask: bits 0-2 left/middle/right (same as our callback),
 * bits 3 and 4 are wheel up/down, sent as a press (and release) per notch. */
#define RFB_WHEEL_UP (1u << 3)
#define RFB_WHEEL_DOWN (1u << 4)

void vnc_input_pointer(int mask, int x, int y, rfbClientPtr cl)
{
	struct vnc_client *c = cl->clientData;
	if (!c)
		return;
	struct vnc_server *srv = c->srv;
	srv->live.pointer_events++;
	int dx = 0, dy = 0, dz = 0;
	if (srv->have_pos) {
		dx = x - srv->last_x;
		dy = y - srv->last_y;
	}
	srv->have_pos = true;
	srv->last_x = x;
	srv->last_y = y;
	unsigned m = (unsigned)mask & 0xff;
	unsigned pressed = m & ~srv->last_mask;
	if (pressed & RFB_WHEEL_UP)
		dz -= 1;
	if (pressed & RFB_WHEEL_DOWN)
		dz += 1;
	unsigned buttons = m & 7u;
	bool changed = buttons != (srv->last_mask & 7u);
	srv->last_mask = m;
	if ((dx || dy || dz || changed) && srv->input.pointer)
		srv->input.pointer(srv->input_opaque, dx, dy, dz, buttons);
}
