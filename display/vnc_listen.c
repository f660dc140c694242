/* Listen address and password helpers for the VNC server. */
#include "vnc_listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int resolve(const char *host, struct in_addr *out, char *err, size_t errlen)
{
	if (inet_pton(AF_INET, host, out) == 1)
		return 0;
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0 || !res) {
		set_err(err, errlen, "vnc: cannot resolve listen host '%s': %s", host,
			rc ? gai_strerror(rc) : "no address");
		return -EINVAL;
	}
	*out = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
	freeaddrinfo(res);
	return 0;
}

int vnc_listen_parse(const char *spec, struct vnc_listen *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	out->addr.s_addr = htonl(INADDR_LOOPBACK);
	out->loopback = true;
	if (!spec || !*spec || strcmp(spec, "auto") == 0)
		return 0;
	if (strcmp(spec, "off") == 0) {
		out->off = true;
		return 0;
	}
	char host[256];
	const char *colon = strrchr(spec, ':');
	size_t hlen = colon ? (size_t)(colon - spec) : strlen(spec);
	if (hlen >= sizeof(host)) {
		set_err(err, errlen, "vnc: listen host too long in '%s'", spec);
		return -EINVAL;
	}
	memcpy(host, spec, hlen);
	host[hlen] = '\0';
	if (colon) {
		char *end;
		errno = 0;
		long port = strtol(colon + 1, &end, 10);
		if (colon[1] == '\0' || *end || errno || port < 1 || port > 65535) {
			set_err(err, errlen, "vnc: bad port in '%s' (want 1-65535)", spec);
			return -EINVAL;
		}
		out->port = (int)port;
	}
	if (hlen) {
		int rc = resolve(host, &out->addr, err, errlen);
		if (rc < 0)
			return rc;
	}
	out->loopback = (ntohl(out->addr.s_addr) >> 24) == 127;
	return 0;
}

int vnc_password_generate(char *buf, size_t bufsize, size_t len)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	const unsigned n = sizeof(alphabet) - 1; /* 62 */
	if (!buf || bufsize <= len)
		return -EINVAL;
	size_t i = 0;
	while (i < len) {
		unsigned char rnd[32];
		ssize_t got = getrandom(rnd, sizeof(rnd), 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		/* Rejection sampling: 248 = 4 * 62 keeps the choice uniform. */
		for (ssize_t k = 0; k < got && i < len; k++)
			if (rnd[k] < 4 * n)
				buf[i++] = alphabet[rnd[k] % n];
	}
	buf[len] = '\0';
	return 0;
}
