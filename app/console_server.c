/* Console socket server; see console_server.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "console_server.h"
#include "control_server.h"

#define CONSRV_CHUNK 16384

int consrv_open(struct consrv *s, const char *path, consrv_input_fn input, void *opaque,
		char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->lfd = -1;
	for (int i = 0; i < CONSRV_MAX_CLIENTS; i++)
		s->cl[i].fd = -1;
	s->input = input;
	s->input_opaque = opaque;
	pthread_mutex_init(&s->lock, NULL);
	s->wake_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->wake_efd < 0) {
		int r = -errno;
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		pthread_mutex_destroy(&s->lock);
		return r;
	}
	if (path) {
		s->lfd = vmproc_listen(path, err, errlen);
		if (s->lfd < 0) {
			int r = s->lfd;
			close(s->wake_efd);
			pthread_mutex_destroy(&s->lock);
			return r;
		}
	}
	return 0;
}

static void client_drop(struct consrv_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->ring);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

void consrv_close(struct consrv *s)
{
	pthread_mutex_lock(&s->lock);
	for (int i = 0; i < CONSRV_MAX_CLIENTS; i++)
		if (s->cl[i].fd >= 0)
			client_drop(&s->cl[i]);
	pthread_mutex_unlock(&s->lock);
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->wake_efd >= 0)
		close(s->wake_efd);
	s->lfd = s->wake_efd = -1;
	pthread_mutex_destroy(&s->lock);
}

/* Appends to a client's ring, or marks it for dropping when it is full.
 * Called with s->lock held. */
static void ring_put(struct consrv_client *c, const uint8_t *buf, size_t len)
{
	size_t tail;

	if (c->overflow)
		return;
	if (CONSRV_CLIENT_RING - c->len < len) {
		c->overflow = true;
		return;
	}
	tail = (c->head + c->len) % CONSRV_CLIENT_RING;
	for (size_t done = 0; done < len;) {
		size_t chunk = CONSRV_CLIENT_RING - tail;
		if (chunk > len - done)
			chunk = len - done;
		memcpy(c->ring + tail, buf + done, chunk);
		done += chunk;
		tail = (tail + chunk) % CONSRV_CLIENT_RING;
	}
	c->len += len;
}

void consrv_sink(void *opaque, const unsigned char *buf, size_t len)
{
	struct consrv *s = opaque;
	bool wake = false;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < len; i++)
		s->hist[(s->hist_total + i) % CONSRV_HISTORY] = buf[i];
	s->hist_total += len;
	for (int i = 0; i < CONSRV_MAX_CLIENTS; i++) {
		if (s->cl[i].fd >= 0) {
			ring_put(&s->cl[i], buf, len);
			wake = true;
		}
	}
	pthread_mutex_unlock(&s->lock);
	if (wake && !atomic_exchange(&s->wake_pending, true)) {
		uint64_t one = 1;
		if (write(s->wake_efd, &one, sizeof(one)) < 0) {
			/* the counter cannot overflow: at most one pending write */
		}
	}
}

int consrv_add_client(struct consrv *s, int fd)
{
	uint8_t *ring = malloc(CONSRV_CLIENT_RING);
	int i;

	if (!ring) {
		close(fd);
		return -ENOMEM;
	}
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < CONSRV_MAX_CLIENTS && s->cl[i].fd >= 0; i++)
		;
	if (i == CONSRV_MAX_CLIENTS) {
		pthread_mutex_unlock(&s->lock);
		free(ring);
		close(fd);
		return -EMFILE;
	}
	s->cl[i] = (struct consrv_client){ .fd = fd, .ring = ring };
	{
		size_t have = s->hist_total < CONSRV_HISTORY ? (size_t)s->hist_total : CONSRV_HISTORY;
		uint64_t start = s->hist_total - have;
		for (size_t k = 0; k < have; k++)
			ring[k] = s->hist[(start + k) % CONSRV_HISTORY];
		s->cl[i].len = have;
	}
	pthread_mutex_unlock(&s->lock);
	return 0;
}

int consrv_pollfds(struct consrv *s, struct pollfd *p, int max)
{
	int n = 0;

	s->nmap = 0;
	if (max < 2)
		return 0;
	p[n] = (struct pollfd){ .fd = s->wake_efd, .events = POLLIN };
	s->map[n++] = -2;
	if (s->lfd >= 0) {
		p[n] = (struct pollfd){ .fd = s->lfd, .events = POLLIN };
		s->map[n++] = -1;
	}
	pthread_mutex_lock(&s->lock);
	for (int i = 0; i < CONSRV_MAX_CLIENTS && n < max; i++) {
		struct consrv_client *c = &s->cl[i];
		if (c->fd < 0)
			continue;
		if (c->overflow) {
			/* Stopped reading and its ring filled: drop it. */
			client_drop(c);
			continue;
		}
		p[n] = (struct pollfd){ .fd = c->fd, .events = (short)(POLLIN | (c->len ? POLLOUT : 0)) };
		s->map[n++] = i;
	}
	pthread_mutex_unlock(&s->lock);
	s->nmap = n;
	return n;
}

/* Writes what a client has queued, without holding the lock while in
 * send(): the sink only appends, this thread only consumes. Returns false
 * if the client is gone. */
static bool client_write(struct consrv *s, struct consrv_client *c)
{
	uint8_t buf[CONSRV_CHUNK];

	for (;;) {
		size_t n;
		ssize_t w;
		pthread_mutex_lock(&s->lock);
		n = c->len < sizeof(buf) ? c->len : sizeof(buf);
		for (size_t k = 0; k < n; k++)
			buf[k] = c->ring[(c->head + k) % CONSRV_CLIENT_RING];
		pthread_mutex_unlock(&s->lock);
		if (!n)
			return true;
		w = send(c->fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return true;
		pthread_mutex_lock(&s->lock);
		if (w <= 0) {
			client_drop(c);
			pthread_mutex_unlock(&s->lock);
			return false;
		}
		c->head = (c->head + (size_t)w) % CONSRV_CLIENT_RING;
		c->len -= (size_t)w;
		pthread_mutex_unlock(&s->lock);
	}
}

static void client_read(struct consrv *s, struct consrv_client *c)
{
	unsigned char buf[4096];
	ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		pthread_mutex_lock(&s->lock);
		client_drop(c);
		pthread_mutex_unlock(&s->lock);
		return;
	}
	if (s->input)
		s->input(s->input_opaque, buf, (size_t)n);
}

void consrv_dispatch(struct consrv *s, const struct pollfd *p, int n)
{
	for (int k = 0; k < n && k < s->nmap; k++) {
		struct consrv_client *c;
		if (!p[k].revents)
			continue;
		if (s->map[k] == -2) {
			uint64_t v;
			atomic_store(&s->wake_pending, false);
			if (read(s->wake_efd, &v, sizeof(v)) < 0) {
				/* nothing pending: fine */
			}
			/* Flush everyone now; poll only sees POLLOUT next round. */
			for (int i = 0; i < CONSRV_MAX_CLIENTS; i++)
				if (s->cl[i].fd >= 0 && !s->cl[i].overflow)
					client_write(s, &s->cl[i]);
			continue;
		}
		if (s->map[k] == -1) {
			int fd;
			/* The history goes out on the next POLLOUT. */
			while ((fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0)
				consrv_add_client(s, fd);
			continue;
		}
		c = &s->cl[s->map[k]];
		if (c->fd != p[k].fd)
			continue;
		if ((p[k].revents & POLLOUT) && !client_write(s, c))
			continue;
		if (p[k].revents & (POLLIN | POLLHUP | POLLERR))
			client_read(s, c);
	}
}

void consrv_flush(struct consrv *s, int timeout_ms)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p[CONSRV_MAX_CLIENTS];
		int n = 0, left;
		pthread_mutex_lock(&s->lock);
		for (int i = 0; i < CONSRV_MAX_CLIENTS; i++)
			if (s->cl[i].fd >= 0 && s->cl[i].len && !s->cl[i].overflow)
				p[n++] = (struct pollfd){ .fd = s->cl[i].fd, .events = POLLOUT };
		pthread_mutex_unlock(&s->lock);
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = timeout_ms - (int)((t.tv_sec - t0.tv_sec) * 1000 +
					  (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (!n || left <= 0 || poll(p, (nfds_t)n, left) <= 0)
			return;
		for (int i = 0; i < CONSRV_MAX_CLIENTS; i++)
			if (s->cl[i].fd >= 0 && s->cl[i].len && !s->cl[i].overflow)
				client_write(s, &s->cl[i]);
	}
}
