/* VNC server (RFC 6143) for one VM's framebuffer, on libvncserver.
 *
 * One server per VM, on its own thread.  The thread polls the framebuffer's
 * dirty log at ~30 Hz, copies the dirty rows into a private shadow frame
 * (libvncserver encodes from that copy, never from guest memory the guest
 * may rewrite mid-encode) and marks only those rows modified.  All
 * libvncserver work (accept, client messages, encoding, sending) happens on
 * that one thread, so there are no races inside libvncserver; a client that
 * stops reading is paused once its socket backs up and dropped after
 * client_timeout_ms, so it costs the others at most one such wait.  The
 * guest never waits for VNC: its framebuffer is plain memory. */
#ifndef VMDECK_DISPLAY_VNC_H
#define VMDECK_DISPLAY_VNC_H

#include "fb.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VNC_DEFAULT_MAX_CLIENTS 4
#define VNC_DEFAULT_POLL_HZ 30
#define VNC_DEFAULT_CLIENT_TIMEOUT_MS 2000
#define VNC_FIRST_PORT 5900
#define VNC_LAST_PORT 5999

struct vnc_config {
	/* "auto" (or NULL): first free port from 5900 on 127.0.0.1;
	 * "off": no server (vnc_server_start succeeds with *out = NULL);
	 * "HOST:PORT", "HOST" (first free port from 5900), ":PORT" (loopback).
	 * HOST is an IPv4 address or name.  A non-loopback HOST requires a
	 * password. */
	const char *listen;
	/* NULL: no authentication (loopback only); "generate": 8 random
	 * characters; else the password (VNC authentication uses only the
	 * first 8 characters, RFC 6143 7.2.2). */
	const char *password;
	int max_clients;	  /* 0: VNC_DEFAULT_MAX_CLIENTS */
	unsigned poll_hz;	  /* 0: VNC_DEFAULT_POLL_HZ */
	unsigned client_timeout_ms; /* 0: default; see the file comment */
	const char *desktop_name; /* NULL: "vmdeck" */
	/* Benchmark only: copy and mark the whole frame every tick, as
	 * kvmtool's VNC does, ignoring the dirty log. */
	bool full_frame_each_tick;
	/* Let libvncserver log to stderr (it is silent otherwise: clients
	 * control much of what it would print). */
	bool verbose;
};

/* Called on the server thread; must not block (queue and return). */
struct vnc_input_ops {
	/* PS/2 scan code set 2 bytes of one key make or break. */
	void (*key)(void *opaque, const uint8_t *set2, size_t len);
	/* Relative motion in screen pixels (dy > 0 = down; a PS/2 encoder
	 * negates it), wheel notches (dz > 0 = towards the user, i.e. down,
	 * as in IntelliMouse packets) and the buttons now held: bit 0 left,
	 * bit 1 middle, bit 2 right. */
	void (*pointer)(void *opaque, int dx, int dy, int dz, unsigned buttons);
};

struct vnc_stats {
	uint32_t clients;	   /* connected now */
	uint64_t clients_accepted; /* ever */
	uint64_t clients_refused;  /* over max_clients */
	uint64_t clients_dropped;  /* closed by us: timeout or stalled */
	uint64_t auth_failures;
	uint64_t bytes_sent;	   /* to all clients, ever */
	uint64_t updates_sent;	   /* FramebufferUpdate messages */
	uint64_t polls;		   /* dirty-log polls */
	uint64_t dirty_polls;	   /* polls that found something to mark */
	uint64_t rects_marked;
	uint64_t rows_copied;
	uint64_t key_events, keys_unmapped, pointer_events;
	uint32_t width, height, stride; /* current mode */
};

struct vnc_server;

/* Starts the server thread.  fb must stay valid until vnc_server_stop;
 * its mode is checked with fb_mode_check.  With listen "off" returns 0 and
 * sets *out = NULL (every other call accepts NULL).  On error returns
 * -errno and writes a message to err. */
int vnc_server_start(const struct vnc_config *cfg, const struct fb_source *fb,
		     const struct vnc_input_ops *input, void *input_opaque, struct vnc_server **out,
		     char *err, size_t errlen);

/* Disconnects every client, stops the thread and frees the server. */
void vnc_server_stop(struct vnc_server *srv);

/* "vnc://127.0.0.1:5900"; "" for NULL. */
const char *vnc_server_address(const struct vnc_server *srv);
/* The password (generated or given), or NULL. */
const char *vnc_server_password(const struct vnc_server *srv);
int vnc_server_port(const struct vnc_server *srv);
/* "vnc://127.0.0.1:5900 (password abcdEFGH)" or "... (no password)". */
void vnc_server_describe(const struct vnc_server *srv, char *buf, size_t len);

/* Guest mode change: pixels stay where they are, width/height/stride
 * change.  Checked against the window (fb_mode_check); a bad mode returns
 * -EINVAL/-E2BIG and the server keeps the last good one.  Applied on the
 * server thread at its next tick; clients get a NewFBSize (RFC 6143 7.8.2)
 * when they support it. */
int vnc_server_set_mode(struct vnc_server *srv, uint32_t width, uint32_t height, uint32_t stride);

void vnc_server_get_stats(struct vnc_server *srv, struct vnc_stats *out);

#endif
