/* The control socket of a VM process: JSON lines, one request
 * {"id":N,"cmd":"..."...} -> one reply {"id":N,"ok":true,...} or
 * {"id":N,"ok":false,"error":"..."}. Runs inside the VM process's event
 * loop (poll); a misbehaving client gets an error reply or is dropped, the
 * VM is never affected. */
#ifndef VMDECK_CONTROL_SERVER_H
#define VMDECK_CONTROL_SERVER_H

#include <json-c/json.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

#define CTLSRV_MAX_CLIENTS 16
#define CTLSRV_OUT_MAX (16u << 20) /* unread replies before a client is dropped */

/* Executes cmd; adds result fields to reply and returns 0, or returns
 * -errno with a message in err. */
typedef int (*ctlsrv_cmd_fn)(void *opaque, const char *cmd, json_object *req,
			     json_object *reply, char *err, size_t errlen);

struct ctlsrv_client {
	int fd;
	char *in;
	size_t in_len;
	char *out;
	size_t out_len, out_cap;
	bool closing; /* flush what is queued, then close */
};

struct ctlsrv {
	int lfd;
	ctlsrv_cmd_fn fn;
	void *opaque;
	struct ctlsrv_client cl[CTLSRV_MAX_CLIENTS];
	int map[CTLSRV_MAX_CLIENTS + 1]; /* pollfd slot -> client (-1 = listener) */
	int nmap;
};

/* Handles one request line (no newline) and returns the reply line with its
 * newline, malloc'd. Never fails except on out of memory (NULL). */
char *ctlsrv_process_line(const char *line, size_t len, ctlsrv_cmd_fn fn, void *opaque);

/* Creates the listening socket at path, mode 0600. */
int ctlsrv_open(struct ctlsrv *s, const char *path, ctlsrv_cmd_fn fn, void *opaque, char *err,
		size_t errlen);
void ctlsrv_close(struct ctlsrv *s);
/* Fills up to max pollfds; returns how many. */
int ctlsrv_pollfds(struct ctlsrv *s, struct pollfd *p, int max);
/* Serves the pollfds ctlsrv_pollfds filled (same order). */
void ctlsrv_dispatch(struct ctlsrv *s, const struct pollfd *p, int n);
/* Writes out queued replies for up to timeout_ms (before the process exits). */
void ctlsrv_flush(struct ctlsrv *s, int timeout_ms);

/* A listening UNIX socket at path with mode 0600 (umask around bind), non-
 * blocking, close-on-exec; an old socket file at path is replaced. */
int vmproc_listen(const char *path, char *err, size_t errlen);

#endif
