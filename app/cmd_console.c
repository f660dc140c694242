/* `vmdeck console NAME`: the guest's serial console. On a terminal: raw
 * mode, Ctrl-] detaches. Otherwise bytes are piped both ways (scripts,
 * tests); after stdin ends, output is still copied for --wait seconds. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cmd_vm.h"
#include "config.h"
#include "vmctl.h"

#define DETACH_KEY 0x1d /* Ctrl-] */

static const char console_usage[] =
"usage: vmdeck console NAME [--wait SECONDS] [--library DIR]\n"
"\n"
"Attaches to NAME's serial console: first the scrollback, then live output;\n"
"what you type goes to the guest. Ctrl-] detaches. When stdin is not a\n"
"terminal, stdin is sent to the guest and, once it ends, output is copied\n"
"for --wait more seconds (default 1) or until the VM stops.\n";

static int write_all(int fd, const unsigned char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int pump(int sock, bool tty, double wait_s)
{
	bool in_open = true;
	uint64_t deadline = 0;

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = sock, .events = POLLIN },
			{ .fd = in_open ? STDIN_FILENO : -1, .events = POLLIN },
		};
		unsigned char buf[4096];
		int timeout = -1;
		ssize_t n;

		if (deadline) {
			uint64_t t = now_ms();
			if (t >= deadline)
				return 0;
			timeout = (int)(deadline - t);
		}
		if (poll(p, 2, timeout) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (p[0].revents) {
			n = read(sock, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return 0; /* the VM stopped */
			if (write_all(STDOUT_FILENO, buf, (size_t)n))
				return 1;
		}
		if (p[1].revents) {
			n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				in_open = false;
				if (tty)
					return 0;
				deadline = now_ms() + (uint64_t)(wait_s * 1000);
				continue;
			}
			if (tty) {
				unsigned char *k = memchr(buf, DETACH_KEY, (size_t)n);
				if (k) {
					write_all(sock, buf, (size_t)(k - buf));
					return 0;
				}
			}
			if (write_all(sock, buf, (size_t)n))
				return 1;
		}
	}
}

int cmd_console(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "wait", required_argument, NULL, 'w' },
		{ "library", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *library = NULL;
	struct termios saved, raw;
	struct vmlib lib;
	double wait_s = 1;
	char err[1024], *end;
	bool tty;
	int c, fd, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'w') {
			wait_s = strtod(optarg, &end);
			if (*end || wait_s < 0 || wait_s > 86400) {
				fprintf(stderr, "vmdeck console: --wait '%s': not a number of seconds\n",
					optarg);
				return 1;
			}
		} else if (c == 'L') {
			library = optarg;
		} else if (c == 'h') {
			fputs(console_usage, stdout);
			return 0;
		} else {
			fputs(console_usage, stderr);
			return 1;
		}
	}
	if (optind + 1 != argc || !config_name_valid(argv[optind])) {
		fprintf(stderr, "vmdeck console: a VM NAME is required\n%s", console_usage);
		return 1;
	}
	if (cmd_open_library(library, &lib, "console"))
		return 1;
	fd = vmctl_console_open(&lib, argv[optind], err, sizeof(err));
	if (fd < 0) {
		fprintf(stderr, "vmdeck console: %s\n", err);
		return 1;
	}
	tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
	if (tty) {
		fprintf(stderr, "Connected to %s's console; Ctrl-] detaches.\r\n", argv[optind]);
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw);
	}
	r = pump(fd, tty, wait_s);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
		fprintf(stderr, "\r\nDetached from %s.\n", argv[optind]);
	}
	close(fd);
	return r;
}
