/* Private to vnc*.c: the server and per-client state. */
#ifndef VMDECK_DISPLAY_VNC_INTERNAL_H
#define VMDECK_DISPLAY_VNC_INTERNAL_H

#include "fb.h"
#include "keymap.h"
#include "vnc.h"

#include <pthread.h>
#include <rfb/rfb.h>
#include <stdatomic.h>
#include <time.h>

#define VNC_MAX_HELD_KEYS 32
#define VNC_MAX_RECTS 64

/* A key a client holds down: its break sequence, sent for it if the client
 * disappears before releasing it (else the guest sees a stuck key). */
struct vnc_held_key {
	uint8_t brk[KEYMAP_MAX_SEQ];
	uint8_t len;
};

struct vnc_client {
	struct vnc_server *srv;
	struct vnc_held_key held[VNC_MAX_HELD_KEYS];
	unsigned nheld;
	bool paused;		  /* socket backed up: not read from or written to */
	struct timespec stall_since; /* when its queue last failed to shrink */
	int last_outq;
};

struct vnc_server {
	rfbScreenInfoPtr screen;
	struct fb_source fb;	 /* copy; width/height/stride = current mode */
	size_t window_size;
	uint8_t *shadow;	 /* width * 4 * height, what libvncserver encodes */
	uint64_t *bitmap;	 /* dirty log, one bit per window page */
	size_t bitmap_words;
	struct vnc_input_ops input;
	void *input_opaque;

	int max_clients;
	unsigned poll_ns;
	unsigned client_timeout_ms;
	bool full_frame;
	size_t slice_bytes; /* largest raw update slice */
	char password[64];
	bool has_password;
	char *passwords[2]; /* rfbCheckPasswordByList wants a NULL-terminated list */
	struct timespec auth_lockout_until;

	char address[64];
	int port;

	pthread_t thread;
	atomic_bool stop;

	/* Pointer state, server thread only (RFC 6143 7.5.5 positions are
	 * absolute; PS/2 wants deltas). */
	bool have_pos;
	int last_x, last_y;
	unsigned last_mask;

	/* Mode change requested by the VM thread, applied by ours. */
	pthread_mutex_t lock;
	bool mode_pending;
	uint32_t pending_w, pending_h, pending_stride;
	struct vnc_stats stats; /* under lock; server thread owns the truth */
	struct vnc_stats live;	/* server thread only */
	uint64_t gone_bytes, gone_updates;
};

/* vnc_input.c */
void vnc_input_key(rfbBool down, rfbKeySym keysym, rfbClientPtr cl);
void vnc_input_pointer(int mask, int x, int y, rfbClientPtr cl);
void vnc_input_release_all(struct vnc_client *c);

#endif
