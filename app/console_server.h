/* The console socket of a VM process: a raw byte stream. A client first
 * receives the scrollback (the last CONSRV_HISTORY bytes), then live
 * output; what it sends goes to the guest's serial input.
 *
 * Guest output arrives through consrv_sink on a vCPU thread: it is only
 * copied into per-client bounded rings (and the history) under a mutex, and
 * the event-loop thread is woken through an eventfd to write the sockets.
 * A client whose ring fills (it stopped reading) is dropped; the guest never
 * waits for a client. */
#ifndef VMDECK_CONSOLE_SERVER_H
#define VMDECK_CONSOLE_SERVER_H

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONSRV_MAX_CLIENTS 16
#define CONSRV_HISTORY (64 * 1024)
#define CONSRV_CLIENT_RING (256 * 1024)

typedef void (*consrv_input_fn)(void *opaque, const unsigned char *buf, size_t len);

struct consrv_client {
	int fd;
	uint8_t *ring;
	size_t head, len;  /* queued bytes: ring[head .. head+len) mod size */
	bool overflow;     /* set by the sink: drop this client */
};

struct consrv {
	int lfd;
	int wake_efd;
	atomic_bool wake_pending;
	consrv_input_fn input;
	void *input_opaque;
	pthread_mutex_t lock; /* history and client rings */
	uint8_t hist[CONSRV_HISTORY];
	uint64_t hist_total;
	struct consrv_client cl[CONSRV_MAX_CLIENTS];
	int map[CONSRV_MAX_CLIENTS + 2]; /* pollfd slot -> client, -1 listener, -2 wake */
	int nmap;
};

/* Listening socket at path (mode 0600); path NULL: no socket (tests). */
int consrv_open(struct consrv *s, const char *path, consrv_input_fn input, void *opaque,
		char *err, size_t errlen);
void consrv_close(struct consrv *s);
/* machine_opts.console_sink: called on a vCPU thread. */
void consrv_sink(void *opaque, const unsigned char *buf, size_t len);
/* Adds a connected client (takes fd), queueing the history first. */
int consrv_add_client(struct consrv *s, int fd);
int consrv_pollfds(struct consrv *s, struct pollfd *p, int max);
void consrv_dispatch(struct consrv *s, const struct pollfd *p, int n);
/* Writes queued output for up to timeout_ms (before the process exits). */
void consrv_flush(struct consrv *s, int timeout_ms);

#endif
