/* A misbehaving VNC client on a raw socket, for hostile-input tests
 * (docs/HOSTILE-INPUTS.md).  Speaks just enough RFB 3.8 (RFC 6143 7.1-7.3)
 * to reach the normal phase, then misbehaves:
 *
 *   vnc_hostile --port N --mode MODE [--hold-ms N] [--host H]
 *
 *   garbage        random bytes instead of the ProtocolVersion
 *   bad-version    "RFB 00x.yyy\n"
 *   unknown-msg    message type 0x7f (RFC 6143 7.5 has no such message)
 *   cuttext-huge   ClientCutText claiming 0xfffffff0 bytes, then 64 KiB
 *   encodings-65535 SetEncodings with 65535 entries
 *   zero-colour-max SetPixelFormat true colour, every max 0, then updates
 *   bad-bpp        SetPixelFormat with 7 bits per pixel
 *   fur-huge       FramebufferUpdateRequest far outside the screen
 *   partial        the first byte of a FramebufferUpdateRequest, then silence
 *   noread         requests full updates every 20 ms and never reads
 *   key-flood      100000 key events as fast as the socket takes them
 *
 * Prints "dropped after N ms" if the server closed the connection within
 * --hold-ms (default 3000), else "alive".  Exit 0 either way; exit 1 if
 * the handshake itself failed unexpectedly. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int read_full(int fd, void *buf, size_t n, int timeout_ms)
{
	uint8_t *p = buf;
	while (n) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (poll(&pfd, 1, timeout_ms) <= 0)
			return -1;
		ssize_t r = read(fd, p, n);
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* RFC 6143 7.1.1-7.3.2 with security type None. */
static int handshake(int fd, uint16_t *w, uint16_t *h)
{
	char ver[12];
	if (read_full(fd, ver, 12, 3000) || memcmp(ver, "RFB ", 4))
		return -1;
	if (write_full(fd, "RFB 003.008\n", 12))
		return -1;
	uint8_t n;
	if (read_full(fd, &n, 1, 3000) || n == 0)
		return -1;
	uint8_t types[255];
	if (read_full(fd, types, n, 3000))
		return -1;
	uint8_t none = 1;
	if (write_full(fd, &none, 1))
		return -1;
	uint32_t result;
	if (read_full(fd, &result, 4, 3000) || result != 0)
		return -1;
	uint8_t shared = 1;
	if (write_full(fd, &shared, 1))
		return -1;
	uint8_t init[24];
	if (read_full(fd, init, 24, 3000))
		return -1;
	*w = (uint16_t)(init[0] << 8 | init[1]);
	*h = (uint16_t)(init[2] << 8 | init[3]);
	uint32_t namelen = (uint32_t)init[20] << 24 | init[21] << 16 | init[22] << 8 | init[23];
	char name[256];
	if (namelen > sizeof(name) || read_full(fd, name, namelen, 3000))
		return -1;
	return 0;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static int send_fur(int fd, bool incremental, uint16_t x, uint16_t y, uint16_t w, uint16_t h)
{
	uint8_t m[10] = { 3, incremental };
	put16(m + 2, x);
	put16(m + 4, y);
	put16(m + 6, w);
	put16(m + 8, h);
	return write_full(fd, m, sizeof(m));
}

static int send_pixel_format(int fd, uint8_t bpp, uint16_t max)
{
	uint8_t m[20] = { 0 };
	m[4] = bpp;
	m[5] = 24;
	m[6] = 0; /* little endian */
	m[7] = 1; /* true colour */
	put16(m + 8, max);
	put16(m + 10, max);
	put16(m + 12, max);
	m[14] = 16;
	m[15] = 8;
	m[16] = 0;
	return write_full(fd, m, sizeof(m));
}

/* Waits until the server closes (EOF/reset) or hold_ms passes, reading and
 * discarding what it sends unless noread. */
static long wait_close(int fd, long hold_ms, bool drain)
{
	long start = now_ms();
	static uint8_t sink[65536];
	while (now_ms() - start < hold_ms) {
		struct pollfd pfd = { .fd = fd, .events = drain ? POLLIN : 0 };
		int r = poll(&pfd, 1, 50);
		if (r > 0 && (pfd.revents & (POLLHUP | POLLERR)))
			return now_ms() - start;
		if (r > 0 && (pfd.revents & POLLIN)) {
			ssize_t n = read(fd, sink, sizeof(sink));
			if (n <= 0)
				return now_ms() - start;
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	const char *host = "127.0.0.1", *mode = NULL;
	int port = 0;
	long hold_ms = 3000;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--mode")) mode = argv[i + 1];
		else if (!strcmp(argv[i], "--hold-ms")) hold_ms = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--host")) host = argv[i + 1];
	}
	if (!port || !mode) {
		fprintf(stderr, "usage: vnc_hostile --port N --mode MODE [--hold-ms N]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	inet_pton(AF_INET, host, &sa.sin_addr);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("connect");
		return 1;
	}
	bool drain = true;
	uint16_t w = 0, h = 0;
	if (!strcmp(mode, "garbage")) {
		uint8_t junk[64];
		for (size_t i = 0; i < sizeof(junk); i++)
			junk[i] = (uint8_t)(i * 37 + 11);
		char ver[12];
		read_full(fd, ver, 12, 3000);
		write_full(fd, junk, sizeof(junk));
	} else if (!strcmp(mode, "bad-version")) {
		char ver[12];
		read_full(fd, ver, 12, 3000);
		write_full(fd, "RFB 00x.yyy\n", 12);
	} else {
		if (handshake(fd, &w, &h)) {
			printf("handshake failed\n");
			return 1;
		}
		if (!strcmp(mode, "unknown-msg")) {
			uint8_t m[8] = { 0x7f, 1, 2, 3, 4, 5, 6, 7 };
			write_full(fd, m, sizeof(m));
		} else if (!strcmp(mode, "cuttext-huge")) {
			uint8_t m[8] = { 6 };
			put32(m + 4, 0xfffffff0u);
			write_full(fd, m, sizeof(m));
			static uint8_t body[65536];
			memset(body, 'A', sizeof(body));
			write_full(fd, body, sizeof(body));
		} else if (!strcmp(mode, "encodings-65535")) {
			size_t len = 4 + 65535 * 4;
			uint8_t *m = calloc(1, len);
			m[0] = 2;
			put16(m + 2, 65535);
			for (uint32_t i = 0; i < 65535; i++)
				put32(m + 4 + i * 4, i * 2654435761u);
			write_full(fd, m, len);
			free(m);
			send_fur(fd, false, 0, 0, w, h);
		} else if (!strcmp(mode, "zero-colour-max")) {
			send_pixel_format(fd, 32, 0);
			send_fur(fd, false, 0, 0, w, h);
		} else if (!strcmp(mode, "bad-bpp")) {
			send_pixel_format(fd, 7, 255);
			send_fur(fd, false, 0, 0, w, h);
		} else if (!strcmp(mode, "fur-huge")) {
			send_fur(fd, false, 60000, 60000, 65535, 65535);
			send_fur(fd, false, 0, 0, 65535, 65535);
		} else if (!strcmp(mode, "partial")) {
			uint8_t t = 3;
			write_full(fd, &t, 1);
			drain = false;
		} else if (!strcmp(mode, "noread")) {
			uint8_t enc[8] = { 2, 0, 0, 1 }; /* SetEncodings: Raw only */
			write_full(fd, enc, sizeof(enc));
			long start = now_ms();
			while (now_ms() - start < hold_ms) {
				if (send_fur(fd, false, 0, 0, w, h) < 0) {
					printf("dropped after %ld ms\n", now_ms() - start);
					return 0;
				}
				/* A blocked send means our buffers are full: the server
				 * must cope without our help. */
				struct pollfd pfd = { .fd = fd, .events = POLLOUT };
				poll(&pfd, 1, 20);
				if (pfd.revents & (POLLHUP | POLLERR)) {
					printf("dropped after %ld ms\n", now_ms() - start);
					return 0;
				}
				usleep(20000);
			}
			printf("alive\n");
			return 0;
		} else if (!strcmp(mode, "key-flood")) {
			uint8_t m[8] = { 4, 1 };
			put32(m + 4, 'a');
			for (int i = 0; i < 100000; i++) {
				m[1] = (uint8_t)(i & 1);
				if (write_full(fd, m, sizeof(m)))
					break;
			}
		} else {
			fprintf(stderr, "unknown mode %s\n", mode);
			return 2;
		}
	}
	long t = wait_close(fd, hold_ms, drain);
	if (t >= 0)
		printf("dropped after %ld ms\n", t);
	else
		printf("alive\n");
	close(fd);
	return 0;
}
