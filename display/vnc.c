/* VNC server lifecycle and its thread: dirty-log polling, shadow frame,
 * client admission and back-pressure.  See vnc.h for the threading model.
 *
 * Why one thread and a shadow frame: libvncserver's threaded mode
 * (rfbRunEventLoop in the background) runs encoders on per-client threads
 * with known races (rfbNewFramebuffer is not thread safe, LibVNC issue 435;
 * shared update buffers, PR 607), and encoders that read guest memory while
 * the guest rewrites it see pixels change between analysis and encoding.  So
 * we drive libvncserver with rfbProcessEvents from our own thread and give it
 * a copy of the frame that changes only between updates. */
#include "vnc_internal.h"
#include "vnc_listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/sockios.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

/* See check_congestion.  A slice of an update is at most VNC_SLICE_BYTES of
 * raw pixels, whatever encoding the client picked. */
#define VNC_SLICE_BYTES (128 << 10)
#define VNC_PAUSE_OUTQ (64 << 10)
#define VNC_STALL_LIMIT_MS 5000
/* After a failed password, every attempt fails for this long: at most one
 * guess per this interval, whatever the guesser does. */
#define VNC_AUTH_LOCKOUT_MS 2000

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static struct timespec now_mono(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t;
}

static int64_t ms_between(struct timespec a, struct timespec b)
{
	return (int64_t)(b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
}

static void timespec_add_ms(struct timespec *t, int64_t ms)
{
	t->tv_sec += ms / 1000;
	t->tv_nsec += (ms % 1000) * 1000000;
	if (t->tv_nsec >= 1000000000) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000;
	}
}

/* libvncserver logs through two process-wide function pointers; clients
 * decide much of what it would print, so by default it prints nothing. */
static void log_silent(const char *fmt, ...)
{
	(void)fmt;
}

static void log_stderr(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("vnc: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

/* Our pixels are x8r8g8b8 little endian (bytes B, G, R, X): red in bits
 * 16-23.  libvncserver's default for 32 bpp puts red at bit 0, and
 * rfbNewFramebuffer resets it, so this runs after each of them, followed by
 * re-installing every client's translation (RFC 6143 7.4 PIXEL_FORMAT). */
static void apply_format(rfbScreenInfoPtr s)
{
	s->serverFormat.redShift = 16;
	s->serverFormat.greenShift = 8;
	s->serverFormat.blueShift = 0;
	rfbClientIteratorPtr it = rfbGetClientIterator(s);
	rfbClientPtr cl;
	while ((cl = rfbClientIteratorNext(it)))
		s->setTranslateFunction(cl);
	rfbReleaseClientIterator(it);
}

static void set_slices(struct vnc_server *srv)
{
	uint32_t row = srv->fb.width * 4;
	uint32_t rows = VNC_SLICE_BYTES / row;
	srv->screen->progressiveSliceHeight = (int)(rows ? rows : 1);
	srv->slice_bytes = (size_t)srv->screen->progressiveSliceHeight * row;
}

static void copy_rows(struct vnc_server *srv, uint32_t y0, uint32_t y1)
{
	size_t row = (size_t)srv->fb.width * 4;
	for (uint32_t y = y0; y < y1; y++)
		memcpy(srv->shadow + (size_t)y * row, srv->fb.pixels + (size_t)y * srv->fb.stride, row);
	srv->live.rows_copied += y1 - y0;
}

static void mark_rows(struct vnc_server *srv, uint32_t y0, uint32_t y1)
{
	copy_rows(srv, y0, y1);
	rfbMarkRectAsModified(srv->screen, 0, (int)y0, (int)srv->fb.width, (int)y1);
	srv->live.rects_marked++;
}

static int apply_mode(struct vnc_server *srv, uint32_t w, uint32_t h, uint32_t stride)
{
	uint8_t *shadow = calloc((size_t)w * h, 4);
	if (!shadow)
		return -ENOMEM;
	uint8_t *old = srv->shadow;
	srv->shadow = shadow;
	srv->fb.width = w;
	srv->fb.height = h;
	srv->fb.stride = stride;
	copy_rows(srv, 0, h);
	/* Single thread: no client is mid-update, so freeing the old frame
	 * right after the switch is safe. */
	rfbNewFramebuffer(srv->screen, (char *)shadow, (int)w, (int)h, 8, 3, 4);
	apply_format(srv->screen);
	set_slices(srv);
	free(old);
	return 0;
}

/* Without a dirty log: compare each row with the shadow.  Costs one read of
 * the frame per tick but still sends nothing when nothing changed. */
static void poll_by_compare(struct vnc_server *srv)
{
	size_t row = (size_t)srv->fb.width * 4;
	uint32_t start = 0;
	bool in_run = false;
	for (uint32_t y = 0; y <= srv->fb.height; y++) {
		bool changed = y < srv->fb.height &&
			       memcmp(srv->shadow + (size_t)y * row,
				      srv->fb.pixels + (size_t)y * srv->fb.stride, row) != 0;
		if (changed && !in_run) {
			start = y;
			in_run = true;
		} else if (!changed && in_run) {
			mark_rows(srv, start, y);
			in_run = false;
		}
	}
}

static void poll_dirty(struct vnc_server *srv)
{
	uint64_t rects_before = srv->live.rects_marked;
	srv->live.polls++;
	if (srv->full_frame) {
		mark_rows(srv, 0, srv->fb.height);
	} else if (!srv->fb.get_dirty_bitmap) {
		poll_by_compare(srv);
	} else {
		memset(srv->bitmap, 0, srv->bitmap_words * sizeof(uint64_t));
		int rc = srv->fb.get_dirty_bitmap(srv->fb.opaque, srv->bitmap, srv->bitmap_words);
		if (rc < 0) {
			/* Lost track of what changed: resend what is there. */
			poll_by_compare(srv);
		} else {
			struct fb_rect rects[VNC_MAX_RECTS];
			size_t n = fb_dirty_rects(srv->bitmap, srv->bitmap_words * 64, srv->fb.stride,
						  srv->fb.width, srv->fb.height, rects, VNC_MAX_RECTS);
			for (size_t i = 0; i < n; i++)
				mark_rows(srv, rects[i].y, rects[i].y + rects[i].h);
		}
	}
	if (srv->live.rects_marked != rects_before)
		srv->live.dirty_polls++;
}

/* Back-pressure.  libvncserver's rfbWriteExact waits for a full socket in
 * 5-second selects before giving up, and on our single thread that wait
 * would stall every client.  So a client is paused (onHold: neither read
 * nor written, its socket out of the select set so it cannot spin us)
 * before its socket could fill: once it has VNC_PAUSE_OUTQ bytes unsent and
 * the send buffer could not take another slice-sized update.  Updates are
 * sent in slices (progressiveSliceHeight), which bounds that size.  Paused
 * without progress for VNC_STALL_LIMIT_MS, it is dropped. */
static void check_congestion(struct vnc_server *srv)
{
	struct timespec now = now_mono();
	rfbClientIteratorPtr it = rfbGetClientIterator(srv->screen);
	rfbClientPtr cl;
	while ((cl = rfbClientIteratorNext(it))) {
		struct vnc_client *c = cl->clientData;
		int outq = 0, sndbuf = 0;
		socklen_t sl = sizeof(sndbuf);
		if (!c || cl->sock < 0 || ioctl(cl->sock, SIOCOUTQ, &outq) < 0 ||
		    getsockopt(cl->sock, SOL_SOCKET, SO_SNDBUF, &sndbuf, &sl) < 0)
			continue;
		/* SO_SNDBUF counts kernel overhead too: about half is payload. */
		bool full = outq > VNC_PAUSE_OUTQ &&
			    (int64_t)sndbuf / 2 - outq < (int64_t)srv->slice_bytes * 2;
		if (full) {
			if (!c->paused) {
				c->paused = true;
				c->stall_since = now;
				cl->onHold = TRUE;
				FD_CLR(cl->sock, &srv->screen->allFds);
			} else if (outq < c->last_outq) {
				c->stall_since = now; /* draining, slowly */
			} else if (ms_between(c->stall_since, now) > VNC_STALL_LIMIT_MS) {
				srv->live.clients_dropped++;
				FD_SET(cl->sock, &srv->screen->allFds);
				cl->onHold = FALSE;
				rfbCloseClient(cl);
			}
		} else if (c->paused) {
			c->paused = false;
			cl->onHold = FALSE;
			FD_SET(cl->sock, &srv->screen->allFds);
		}
		c->last_outq = outq;
	}
	rfbReleaseClientIterator(it);
}

static void publish_stats(struct vnc_server *srv)
{
	uint64_t bytes = srv->gone_bytes, updates = srv->gone_updates;
	rfbClientIteratorPtr it = rfbGetClientIterator(srv->screen);
	rfbClientPtr cl;
	while ((cl = rfbClientIteratorNext(it))) {
		bytes += (uint32_t)rfbStatGetSentBytes(cl);
		updates += (uint32_t)rfbStatGetMessageCountSent(cl, rfbFramebufferUpdate);
	}
	rfbReleaseClientIterator(it);
	srv->live.bytes_sent = bytes;
	srv->live.updates_sent = updates;
	srv->live.width = srv->fb.width;
	srv->live.height = srv->fb.height;
	srv->live.stride = srv->fb.stride;
	pthread_mutex_lock(&srv->lock);
	srv->stats = srv->live;
	pthread_mutex_unlock(&srv->lock);
}

static void on_client_gone(rfbClientPtr cl)
{
	struct vnc_client *c = cl->clientData;
	if (!c)
		return;
	struct vnc_server *srv = c->srv;
	vnc_input_release_all(c);
	srv->gone_bytes += (uint32_t)rfbStatGetSentBytes(cl);
	srv->gone_updates += (uint32_t)rfbStatGetMessageCountSent(cl, rfbFramebufferUpdate);
	srv->live.clients--;
	cl->clientData = NULL;
	free(c);
}

static enum rfbNewClientAction on_new_client(rfbClientPtr cl)
{
	struct vnc_server *srv = cl->screen->screenData;
	if ((int)srv->live.clients >= srv->max_clients) {
		srv->live.clients_refused++;
		return RFB_CLIENT_REFUSE;
	}
	struct vnc_client *c = calloc(1, sizeof(*c));
	if (!c)
		return RFB_CLIENT_REFUSE;
	c->srv = srv;
	cl->clientData = c;
	cl->clientGoneHook = on_client_gone;
	srv->live.clients++;
	srv->live.clients_accepted++;
	return RFB_CLIENT_ACCEPT;
}

static rfbBool on_password(rfbClientPtr cl, const char *response, int len)
{
	struct vnc_server *srv = cl->screen->screenData;
	struct timespec now = now_mono();
	bool locked = ms_between(now, srv->auth_lockout_until) > 0;
	if (!locked && rfbCheckPasswordByList(cl, response, len))
		return TRUE;
	srv->live.auth_failures++;
	srv->auth_lockout_until = now;
	timespec_add_ms(&srv->auth_lockout_until, VNC_AUTH_LOCKOUT_MS);
	return FALSE;
}

static void *server_thread(void *arg)
{
	struct vnc_server *srv = arg;
	struct timespec next = now_mono();
	while (!atomic_load(&srv->stop)) {
		struct timespec now = now_mono();
		int64_t wait_ms = ms_between(now, next);
		if (wait_ms <= 0) {
			pthread_mutex_lock(&srv->lock);
			bool pending = srv->mode_pending;
			uint32_t w = srv->pending_w, h = srv->pending_h, st = srv->pending_stride;
			srv->mode_pending = false;
			pthread_mutex_unlock(&srv->lock);
			if (pending && apply_mode(srv, w, h, st) < 0)
				fprintf(stderr, "vnc: out of memory for %ux%u mode, keeping %ux%u\n", w,
					h, srv->fb.width, srv->fb.height);
			poll_dirty(srv);
			check_congestion(srv);
			publish_stats(srv);
			timespec_add_ms(&next, srv->poll_ns / 1000000);
			if (ms_between(next, now) > 0) /* fell behind: don't burst */
				next = now, timespec_add_ms(&next, srv->poll_ns / 1000000);
			wait_ms = ms_between(now, next);
		}
		if (wait_ms < 1)
			wait_ms = 1;
		/* Waits in select for client input up to the next tick, then sends
		 * pending updates (deferUpdateTime is 0: we batch by ticking). */
		rfbProcessEvents(srv->screen, (long)wait_ms * 1000);
	}
	return NULL;
}

static int bind_listener(struct vnc_server *srv, const struct vnc_listen *l, char *err,
			 size_t errlen)
{
	rfbScreenInfoPtr s = srv->screen;
	int first = l->port ? l->port : VNC_FIRST_PORT;
	int last = l->port ? l->port : VNC_LAST_PORT;
	char host[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &l->addr, host, sizeof(host));
	s->listenInterface = l->addr.s_addr;
	s->autoPort = FALSE;
	s->ipv6port = 0; /* IPv4 only: never an unasked-for [::] listener */
	for (int port = first; port <= last; port++) {
		s->port = port;
		s->socketState = RFB_SOCKET_INIT;
		rfbInitServer(s);
		if (s->listenSock != RFB_INVALID_SOCKET) {
			srv->port = port;
			snprintf(srv->address, sizeof(srv->address), "vnc://%s:%d", host, port);
			return 0;
		}
	}
	if (first == last)
		set_err(err, errlen, "vnc: cannot listen on %s:%d (in use or not permitted)", host,
			first);
	else
		set_err(err, errlen, "vnc: no free port on %s in %d-%d", host, first, last);
	return -EADDRINUSE;
}

static void server_free(struct vnc_server *srv)
{
	if (srv->screen) {
		rfbShutdownServer(srv->screen, TRUE);
		rfbScreenCleanup(srv->screen);
	}
	pthread_mutex_destroy(&srv->lock);
	explicit_bzero(srv->password, sizeof(srv->password));
	free(srv->shadow);
	free(srv->bitmap);
	free(srv);
}

int vnc_server_start(const struct vnc_config *cfg, const struct fb_source *fb,
		     const struct vnc_input_ops *input, void *input_opaque, struct vnc_server **out,
		     char *err, size_t errlen)
{
	*out = NULL;
	struct vnc_listen l;
	int rc = vnc_listen_parse(cfg->listen, &l, err, errlen);
	if (rc < 0 || l.off)
		return rc;
	if (!l.loopback && !cfg->password) {
		set_err(err, errlen,
			"vnc: listening on a non-loopback address (%s) needs a password "
			"(vnc_password = generate or TEXT)",
			cfg->listen);
		return -EPERM;
	}
	if (!fb || !fb->pixels) {
		set_err(err, errlen, "vnc: no framebuffer");
		return -EINVAL;
	}
	size_t window = fb->window_size ? fb->window_size : (size_t)fb->stride * fb->height;
	rc = fb_mode_check(fb->width, fb->height, fb->stride, window);
	if (rc < 0) {
		set_err(err, errlen, "vnc: bad framebuffer mode %ux%u stride %u for a %zu-byte window",
			fb->width, fb->height, fb->stride, window);
		return rc;
	}

	struct vnc_server *srv = calloc(1, sizeof(*srv));
	if (!srv)
		goto nomem;
	pthread_mutex_init(&srv->lock, NULL);
	srv->fb = *fb;
	srv->window_size = window;
	if (input)
		srv->input = *input;
	srv->input_opaque = input_opaque;
	srv->max_clients = cfg->max_clients > 0 ? cfg->max_clients : VNC_DEFAULT_MAX_CLIENTS;
	srv->poll_ns = 1000000000u / (cfg->poll_hz ? cfg->poll_hz : VNC_DEFAULT_POLL_HZ);
	srv->client_timeout_ms = cfg->client_timeout_ms ? cfg->client_timeout_ms
							: VNC_DEFAULT_CLIENT_TIMEOUT_MS;
	srv->full_frame = cfg->full_frame_each_tick;
	srv->bitmap_words = (window / FB_PAGE_SIZE + 63) / 64 + 1;
	srv->bitmap = calloc(srv->bitmap_words, sizeof(uint64_t));
	srv->shadow = calloc((size_t)fb->width * fb->height, 4);
	if (!srv->bitmap || !srv->shadow)
		goto nomem_free;
	copy_rows(srv, 0, fb->height);

	if (cfg->password) {
		if (strcmp(cfg->password, "generate") == 0) {
			rc = vnc_password_generate(srv->password, sizeof(srv->password), 8);
			if (rc < 0) {
				set_err(err, errlen, "vnc: getrandom: %s", strerror(-rc));
				server_free(srv);
				return rc;
			}
		} else if (!*cfg->password || strlen(cfg->password) >= sizeof(srv->password)) {
			set_err(err, errlen, "vnc: password must be 1-%zu characters",
				sizeof(srv->password) - 1);
			server_free(srv);
			return -EINVAL;
		} else {
			strcpy(srv->password, cfg->password);
		}
		srv->has_password = true;
	}

	/* Process-wide libvncserver settings: one VM per process owns them. */
	rfbLog = rfbErr = cfg->verbose ? log_stderr : log_silent;
	rfbMaxClientWait = (int)srv->client_timeout_ms;

	rfbScreenInfoPtr s = rfbGetScreen(NULL, NULL, (int)fb->width, (int)fb->height, 8, 3, 4);
	if (!s)
		goto nomem_free;
	srv->screen = s;
	s->screenData = srv;
	s->frameBuffer = (char *)srv->shadow;
	s->desktopName = cfg->desktop_name ? cfg->desktop_name : "vmdeck";
	s->alwaysShared = TRUE; /* several viewers at once; none kicks the others */
	s->deferUpdateTime = 0;
	s->cursor = NULL; /* the guest draws its own pointer; keep pixels exact */
	s->newClientHook = on_new_client;
	s->kbdAddEvent = vnc_input_key;
	s->ptrAddEvent = vnc_input_pointer;
	if (srv->has_password) {
		srv->passwords[0] = srv->password;
		srv->passwords[1] = NULL;
		s->authPasswdData = srv->passwords;
		s->passwordCheck = on_password;
	}
	apply_format(s);
	set_slices(srv);

	rc = bind_listener(srv, &l, err, errlen);
	if (rc < 0) {
		server_free(srv);
		return rc;
	}
	rc = pthread_create(&srv->thread, NULL, server_thread, srv);
	if (rc) {
		set_err(err, errlen, "vnc: cannot start thread: %s", strerror(rc));
		server_free(srv);
		return -rc;
	}
	publish_stats(srv);
	*out = srv;
	return 0;

nomem_free:
	server_free(srv);
nomem:
	set_err(err, errlen, "vnc: out of memory");
	return -ENOMEM;
}

void vnc_server_stop(struct vnc_server *srv)
{
	if (!srv)
		return;
	atomic_store(&srv->stop, true);
	pthread_join(srv->thread, NULL);
	server_free(srv);
}

const char *vnc_server_address(const struct vnc_server *srv)
{
	return srv ? srv->address : "";
}

const char *vnc_server_password(const struct vnc_server *srv)
{
	return srv && srv->has_password ? srv->password : NULL;
}

int vnc_server_port(const struct vnc_server *srv)
{
	return srv ? srv->port : 0;
}

void vnc_server_describe(const struct vnc_server *srv, char *buf, size_t len)
{
	if (!srv)
		snprintf(buf, len, "vnc off");
	else if (srv->has_password)
		snprintf(buf, len, "%s (password %s)", srv->address, srv->password);
	else
		snprintf(buf, len, "%s (no password)", srv->address);
}

int vnc_server_set_mode(struct vnc_server *srv, uint32_t width, uint32_t height, uint32_t stride)
{
	if (!srv)
		return 0;
	int rc = fb_mode_check(width, height, stride, srv->window_size);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&srv->lock);
	srv->mode_pending = true;
	srv->pending_w = width;
	srv->pending_h = height;
	srv->pending_stride = stride;
	pthread_mutex_unlock(&srv->lock);
	return 0;
}

void vnc_server_get_stats(struct vnc_server *srv, struct vnc_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!srv)
		return;
	pthread_mutex_lock(&srv->lock);
	*out = srv->stats;
	pthread_mutex_unlock(&srv->lock);
}
