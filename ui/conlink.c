/* Console socket link. */
#include "conlink.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vmctl.h"

void conlink_init(struct conlink *c)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	conbuf_init(&c->buf);
}

void conlink_detach(struct conlink *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->name[0] = 0;
}

int conlink_attach(struct conlink *c, struct vmlib *lib, const char *name)
{
	char err[160];

	if (c->fd >= 0 && !strcmp(c->name, name))
		return 0;
	if (strcmp(c->name, name))
		conbuf_init(&c->buf); /* the VM replays its scrollback ring on connect */
	conlink_detach(c);
	int fd = vmctl_console_open(lib, name, err, sizeof(err));
	if (fd < 0) {
		snprintf(c->err, sizeof(c->err), "%s", err);
		snprintf(c->name, sizeof(c->name), "%s", name);
		return fd;
	}
	conbuf_init(&c->buf);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	c->fd = fd;
	c->err[0] = 0;
	snprintf(c->name, sizeof(c->name), "%s", name);
	return 0;
}

int conlink_poll(struct conlink *c)
{
	char buf[4096];
	int total = 0;

	while (c->fd >= 0) {
		ssize_t n = read(c->fd, buf, sizeof(buf));
		if (n > 0) {
			conbuf_feed(&c->buf, buf, (size_t)n);
			total += (int)n;
			if (total > 1 << 20)
				break; /* let the screen refresh under a flood */
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		/* EOF or error: the VM went away. Keep the scrollback. */
		close(c->fd);
		c->fd = -1;
		snprintf(c->err, sizeof(c->err), "console closed");
		return total ? total : -1;
	}
	return total;
}

int conlink_send(struct conlink *c, const char *data, size_t n)
{
	if (c->fd < 0)
		return -ENOTCONN;
	while (n) {
		ssize_t w = write(c->fd, data, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno; /* EAGAIN: the guest is not reading; drop the key */
		}
		data += w;
		n -= (size_t)w;
	}
	return 0;
}
