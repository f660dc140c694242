/* Control-socket client: JSON lines to a VM process; see vmctl.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmctl.h"
#include "vmproc.h"

#define VMCTL_TIMEOUT_MS 5000
#define VMCTL_REPLY_MAX (8u << 20)

int vmctl_connect_file(const struct vmlib *lib, const char *name, const char *file,
		       int timeout_ms, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };
	int fd, r;

	if (vmproc_path(lib, name, file, sa.sun_path, sizeof(sa.sun_path))) {
		snprintf(err, errlen, "%s/%s/%s: path too long for a socket", lib->run_dir, name,
			 file);
		return -ENAMETOOLONG;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return r;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		if (r == -ENOENT || r == -ECONNREFUSED)
			snprintf(err, errlen, "%s is not running", name);
		else
			snprintf(err, errlen, "%s: %s", sa.sun_path, strerror(errno));
		close(fd);
		return r;
	}
	if (timeout_ms > 0) {
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	return fd;
}

int vmctl_connect(struct vmlib *lib, const char *name, struct vmctl *c, char *err, size_t errlen)
{
	int fd;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	fd = vmctl_connect_file(lib, name, "control.sock", VMCTL_TIMEOUT_MS, err, errlen);
	if (fd < 0)
		return fd;
	c->fd = fd;
	c->next_id = 1;
	snprintf(c->name, sizeof(c->name), "%s", name);
	return 0;
}

void vmctl_close(struct vmctl *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads one line (without the newline) into a malloc'd buffer. */
static int read_line(int fd, char **out)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;
		char *nl;
		if (cap - len < 4096) {
			char *nb;
			if (cap >= VMCTL_REPLY_MAX) {
				free(buf);
				return -EMSGSIZE;
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int r = n < 0 ? -errno : -ECONNRESET;
			free(buf);
			return r == -EAGAIN ? -ETIMEDOUT : r;
		}
		nl = memchr(buf + len, '\n', (size_t)n);
		len += (size_t)n;
		if (nl) {
			*nl = 0;
			*out = buf;
			return 0;
		}
	}
}

int vmctl_request(struct vmctl *c, json_object *req, json_object **reply, char *err,
		  size_t errlen)
{
	unsigned id = c->next_id++;
	json_object *rep, *o;
	const char *s;
	char *line = NULL;
	size_t slen;
	int r;

	*reply = NULL;
	if (c->fd < 0) {
		snprintf(err, errlen, "%s: not connected", c->name);
		return -ENOTCONN;
	}
	json_object_object_add(req, "id", json_object_new_int64(id));
	s = json_object_to_json_string_length(req, JSON_C_TO_STRING_PLAIN, &slen);
	r = write_all(c->fd, s, slen);
	if (!r)
		r = write_all(c->fd, "\n", 1);
	if (!r)
		r = read_line(c->fd, &line);
	if (r) {
		snprintf(err, errlen, "%s: control socket: %s", c->name,
			 r == -ETIMEDOUT ? "no answer (timeout)" :
			 r == -ECONNRESET ? "connection closed by the VM process" : strerror(-r));
		return r;
	}
	rep = json_tokener_parse(line);
	free(line);
	if (!rep || !json_object_is_type(rep, json_type_object)) {
		json_object_put(rep);
		snprintf(err, errlen, "%s: control socket: malformed reply", c->name);
		return -EPROTO;
	}
	if (!json_object_object_get_ex(rep, "ok", &o) || !json_object_get_boolean(o)) {
		const char *e = json_object_object_get_ex(rep, "error", &o) ?
				json_object_get_string(o) : "request failed";
		snprintf(err, errlen, "%s: %s", c->name, e ? e : "request failed");
		json_object_put(rep);
		return -EREMOTEIO;
	}
	*reply = rep;
	return 0;
}

static int vmctl_do(struct vmctl *c, json_object *req, char *err, size_t errlen)
{
	json_object *reply;
	int r = vmctl_request(c, req, &reply, err, errlen);

	json_object_put(req);
	json_object_put(reply);
	return r;
}

static json_object *new_req(const char *cmd)
{
	json_object *req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string(cmd));
	return req;
}

int vmctl_simple(struct vmctl *c, const char *cmd, char *err, size_t errlen)
{
	return vmctl_do(c, new_req(cmd), err, errlen);
}

int vmctl_stats(struct vmctl *c, struct vmctl_stats *out, char *err, size_t errlen)
{
	json_object *req = new_req("stats"), *reply;
	int r = vmctl_request(c, req, &reply, err, errlen);

	json_object_put(req);
	if (r)
		return r;
	r = vmctl_stats_from_json(reply, out, err, errlen);
	json_object_put(reply);
	return r;
}

int vmctl_screenshot(struct vmctl *c, const char *png_path, char *err, size_t errlen)
{
	json_object *req = new_req("screenshot");
	json_object_object_add(req, "path", json_object_new_string(png_path));
	return vmctl_do(c, req, err, errlen);
}

int vmctl_sendkey(struct vmctl *c, const char *keys, char *err, size_t errlen)
{
	json_object *req = new_req("sendkey");
	json_object_object_add(req, "keys", json_object_new_string(keys));
	return vmctl_do(c, req, err, errlen);
}

static void set_timeout(struct vmctl *c, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static int snap_request(struct vmctl *c, const char *cmd, const char *tag, json_object **reply,
			char *err, size_t errlen)
{
	json_object *req = new_req(cmd);
	int r;

	if (tag)
		json_object_object_add(req, "tag", json_object_new_string(tag));
	set_timeout(c, VMCTL_SNAPSHOT_TIMEOUT_MS);
	r = vmctl_request(c, req, reply, err, errlen);
	set_timeout(c, VMCTL_TIMEOUT_MS);
	json_object_put(req);
	return r;
}

static double get_double(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) ? json_object_get_double(v) : 0;
}

int vmctl_snapshot(struct vmctl *c, const char *tag, struct vmctl_snap_result *out, char *err,
		   size_t errlen)
{
	json_object *reply, *v;
	int r = snap_request(c, "snapshot", tag, &reply, err, errlen);

	if (r)
		return r;
	if (out) {
		memset(out, 0, sizeof(*out));
		snprintf(out->tag, sizeof(out->tag), "%s", tag);
		if (json_object_object_get_ex(reply, "parent", &v) && json_object_get_string(v))
			snprintf(out->parent, sizeof(out->parent), "%s", json_object_get_string(v));
		out->pause_ms = get_double(reply, "pause_ms");
		out->total_ms = get_double(reply, "total_ms");
		if (json_object_object_get_ex(reply, "bytes", &v))
			out->bytes = (uint64_t)json_object_get_int64(v);
	}
	json_object_put(reply);
	return 0;
}

int vmctl_restore(struct vmctl *c, const char *tag, double *restore_ms, char *err, size_t errlen)
{
	json_object *reply;
	int r = snap_request(c, "restore", tag, &reply, err, errlen);

	if (r)
		return r;
	if (restore_ms)
		*restore_ms = get_double(reply, "restore_ms");
	json_object_put(reply);
	return 0;
}

int vmctl_suspend(struct vmctl *c, char *err, size_t errlen)
{
	json_object *reply;
	int r = snap_request(c, "suspend", NULL, &reply, err, errlen);

	json_object_put(reply);
	return r;
}

int vmctl_console_open(struct vmlib *lib, const char *name, char *err, size_t errlen)
{
	/* No timeouts: a console is interactive. */
	return vmctl_connect_file(lib, name, "console.sock", 0, err, errlen);
}

int vmctl_fb_map(struct vmlib *lib, const char *name, struct vmctl_fb *fb, char *err,
		 size_t errlen)
{
	char path[PATH_MAX];
	struct vmctl_fb_header h;
	struct stat st;
	void *p;
	int fd;

	memset(fb, 0, sizeof(*fb));
	if (vmproc_path(lib, name, "framebuffer", path, sizeof(path))) {
		snprintf(err, errlen, "%s: path too long", name);
		return -ENAMETOOLONG;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int r = -errno;
		snprintf(err, errlen, "%s has no display", name);
		return r;
	}
	if (fstat(fd, &st) < 0 || st.st_size < VMCTL_FB_HEADER ||
	    pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
	    memcmp(h.magic, VMCTL_FB_MAGIC, 8) || h.format != 0 || h.width == 0 ||
	    h.height == 0 || h.stride < (uint64_t)h.width * 4 ||
	    (uint64_t)h.stride * h.height > (uint64_t)st.st_size - VMCTL_FB_HEADER) {
		close(fd);
		snprintf(err, errlen, "%s: not a valid framebuffer file", path);
		return -EINVAL;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		snprintf(err, errlen, "%s: mmap: %s", path, strerror(errno));
		return -ENOMEM;
	}
	fb->pixels = (const uint8_t *)p + VMCTL_FB_HEADER;
	fb->width = h.width;
	fb->height = h.height;
	fb->stride = h.stride;
	fb->map_len = (size_t)st.st_size;
	return 0;
}

void vmctl_fb_unmap(struct vmctl_fb *fb)
{
	if (fb->pixels)
		munmap((void *)(fb->pixels - VMCTL_FB_HEADER), fb->map_len);
	memset(fb, 0, sizeof(*fb));
}
