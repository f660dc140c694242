/* Control socket server; see control_server.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control_server.h"
#include "vmproc.h"

#define CTLSRV_JSON_DEPTH 16

int vmproc_listen(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old;
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "%s: path too long for a UNIX socket (at most %zu bytes)",
			 path, sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return r;
	}
	unlink(path);
	old = umask(0177);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(fd, 16) < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return r;
	}
	return fd;
}

static char *reply_string(json_object *reply)
{
	size_t len;
	const char *s = json_object_to_json_string_length(reply, JSON_C_TO_STRING_PLAIN, &len);
	char *out = malloc(len + 2);

	if (out) {
		memcpy(out, s, len);
		out[len] = '\n';
		out[len + 1] = 0;
	}
	return out;
}

static char *error_reply(json_object *id, const char *msg)
{
	json_object *reply = json_object_new_object();
	char *s;

	json_object_object_add(reply, "id", id ? json_object_get(id) : NULL);
	json_object_object_add(reply, "ok", json_object_new_boolean(0));
	json_object_object_add(reply, "error", json_object_new_string(msg));
	s = reply_string(reply);
	json_object_put(reply);
	return s;
}

char *ctlsrv_process_line(const char *line, size_t len, ctlsrv_cmd_fn fn, void *opaque)
{
	struct json_tokener *tok = json_tokener_new_ex(CTLSRV_JSON_DEPTH);
	json_object *req = NULL, *id = NULL, *cmd, *reply;
	enum json_tokener_error jerr;
	char err[512], *out;
	size_t used;
	int r;

	if (!tok)
		return NULL;
	if (len > (size_t)VMPROC_LINE_MAX) {
		json_tokener_free(tok);
		return error_reply(NULL, "request too long");
	}
	req = json_tokener_parse_ex(tok, line, (int)len);
	jerr = json_tokener_get_error(tok);
	used = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!req || jerr != json_tokener_success) {
		json_object_put(req);
		snprintf(err, sizeof(err), "malformed JSON: %s",
			 jerr == json_tokener_continue ? "unexpected end of line" :
			 json_tokener_error_desc(jerr));
		return error_reply(NULL, err);
	}
	while (used < len && strchr(" \t\r", line[used]))
		used++;
	if (used != len) {
		json_object_put(req);
		return error_reply(NULL, "malformed JSON: trailing characters after the request");
	}
	if (!json_object_is_type(req, json_type_object)) {
		json_object_put(req);
		return error_reply(NULL, "a request is a JSON object {\"id\":N,\"cmd\":\"...\"}");
	}
	json_object_object_get_ex(req, "id", &id);
	if (!json_object_object_get_ex(req, "cmd", &cmd) ||
	    !json_object_is_type(cmd, json_type_string)) {
		out = error_reply(id, "missing \"cmd\" (a string)");
		json_object_put(req);
		return out;
	}
	reply = json_object_new_object();
	json_object_object_add(reply, "id", id ? json_object_get(id) : NULL);
	json_object_object_add(reply, "ok", json_object_new_boolean(1));
	err[0] = 0;
	r = fn(opaque, json_object_get_string(cmd), req, reply, err, sizeof(err));
	if (r) {
		out = error_reply(id, err[0] ? err : strerror(-r));
	} else {
		out = reply_string(reply);
	}
	json_object_put(reply);
	json_object_put(req);
	return out;
}

int ctlsrv_open(struct ctlsrv *s, const char *path, ctlsrv_cmd_fn fn, void *opaque, char *err,
		size_t errlen)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < CTLSRV_MAX_CLIENTS; i++)
		s->cl[i].fd = -1;
	s->fn = fn;
	s->opaque = opaque;
	s->lfd = vmproc_listen(path, err, errlen);
	return s->lfd < 0 ? s->lfd : 0;
}

static void client_drop(struct ctlsrv_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->in);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

void ctlsrv_close(struct ctlsrv *s)
{
	for (int i = 0; i < CTLSRV_MAX_CLIENTS; i++)
		if (s->cl[i].fd >= 0)
			client_drop(&s->cl[i]);
	if (s->lfd >= 0)
		close(s->lfd);
	s->lfd = -1;
}

static void client_queue(struct ctlsrv_client *c, const char *buf, size_t len)
{
	if (c->out_len + len > CTLSRV_OUT_MAX) {
		/* Not reading its replies: drop it rather than grow. */
		c->closing = true;
		c->out_len = 0;
		shutdown(c->fd, SHUT_RDWR);
		return;
	}
	if (c->out_len + len > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		char *n;
		while (cap < c->out_len + len)
			cap *= 2;
		n = realloc(c->out, cap);
		if (!n) {
			c->closing = true;
			return;
		}
		c->out = n;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, buf, len);
	c->out_len += len;
}

static void client_flush(struct ctlsrv_client *c)
{
	while (c->out_len) {
		ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				client_drop(c);
			return;
		}
		memmove(c->out, c->out + n, c->out_len - (size_t)n);
		c->out_len -= (size_t)n;
	}
	if (c->closing)
		client_drop(c);
}

static void client_queue_reply(struct ctlsrv_client *c, char *reply)
{
	if (!reply) {
		static const char oom[] = "{\"id\":null,\"ok\":false,\"error\":\"out of memory\"}\n";
		client_queue(c, oom, sizeof(oom) - 1);
		return;
	}
	client_queue(c, reply, strlen(reply));
	free(reply);
}

static void client_read(struct ctlsrv *s, struct ctlsrv_client *c)
{
	ssize_t n;
	size_t start = 0;

	if (!c->in && !(c->in = malloc(VMPROC_LINE_MAX + 1))) {
		client_drop(c);
		return;
	}
	n = recv(c->fd, c->in + c->in_len, VMPROC_LINE_MAX + 1 - c->in_len, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* EOF: answer nothing more, but flush what is queued. */
		c->closing = true;
		return;
	}
	c->in_len += (size_t)n;
	for (size_t i = 0; i < c->in_len && !c->closing; i++) {
		if (c->in[i] != '\n')
			continue;
		if (strspn(c->in + start, " \t\r") < i - start)
			client_queue_reply(c, ctlsrv_process_line(c->in + start, i - start, s->fn,
								  s->opaque));
		start = i + 1;
	}
	memmove(c->in, c->in + start, c->in_len - start);
	c->in_len -= start;
	if (c->in_len > VMPROC_LINE_MAX) {
		char msg[96];
		snprintf(msg, sizeof(msg), "request line longer than %d bytes", VMPROC_LINE_MAX);
		client_queue_reply(c, error_reply(NULL, msg));
		c->closing = true;
		c->in_len = 0;
	}
}

static void accept_clients(struct ctlsrv *s)
{
	for (;;) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), i;
		if (fd < 0)
			return;
		for (i = 0; i < CTLSRV_MAX_CLIENTS && s->cl[i].fd >= 0; i++)
			;
		if (i == CTLSRV_MAX_CLIENTS) {
			static const char busy[] =
				"{\"id\":null,\"ok\":false,\"error\":\"too many clients\"}\n";
			ssize_t w = send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			(void)w;
			close(fd);
			continue;
		}
		memset(&s->cl[i], 0, sizeof(s->cl[i]));
		s->cl[i].fd = fd;
	}
}

int ctlsrv_pollfds(struct ctlsrv *s, struct pollfd *p, int max)
{
	int n = 0;

	s->nmap = 0;
	if (s->lfd < 0 || max < 1)
		return 0;
	p[n] = (struct pollfd){ .fd = s->lfd, .events = POLLIN };
	s->map[n++] = -1;
	for (int i = 0; i < CTLSRV_MAX_CLIENTS && n < max; i++) {
		struct ctlsrv_client *c = &s->cl[i];
		if (c->fd < 0)
			continue;
		p[n] = (struct pollfd){ .fd = c->fd,
					.events = (short)((c->closing ? 0 : POLLIN) |
							  (c->out_len ? POLLOUT : 0)) };
		s->map[n++] = i;
	}
	s->nmap = n;
	return n;
}

void ctlsrv_dispatch(struct ctlsrv *s, const struct pollfd *p, int n)
{
	for (int k = 0; k < n && k < s->nmap; k++) {
		struct ctlsrv_client *c;
		if (!p[k].revents)
			continue;
		if (s->map[k] < 0) {
			accept_clients(s);
			continue;
		}
		c = &s->cl[s->map[k]];
		if (c->fd != p[k].fd)
			continue;
		if (p[k].revents & (POLLIN | POLLHUP | POLLERR))
			client_read(s, c);
		if (c->fd >= 0)
			client_flush(c);
	}
}

void ctlsrv_flush(struct ctlsrv *s, int timeout_ms)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p[CTLSRV_MAX_CLIENTS];
		int n = 0, left;
		for (int i = 0; i < CTLSRV_MAX_CLIENTS; i++) {
			if (s->cl[i].fd >= 0 && s->cl[i].out_len)
				p[n++] = (struct pollfd){ .fd = s->cl[i].fd, .events = POLLOUT };
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = timeout_ms - (int)((t.tv_sec - t0.tv_sec) * 1000 +
					  (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (!n || left <= 0)
			return;
		if (poll(p, (nfds_t)n, left) <= 0)
			return;
		for (int i = 0; i < CTLSRV_MAX_CLIENTS; i++)
			if (s->cl[i].fd >= 0 && s->cl[i].out_len)
				client_flush(&s->cl[i]);
	}
}
