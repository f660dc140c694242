/* `vmdeck screenshot NAME FILE.png` and `vmdeck sendkey NAME KEYS`: the
 * guest screen and keyboard of a running VM, through its control socket. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_vm.h"
#include "config.h"
#include "vmctl.h"
#include "vmlib.h"

static const char screenshot_usage[] =
"usage: vmdeck screenshot NAME FILE.png [--library DIR]\n"
"\n"
"Saves NAME's screen as a PNG holding exactly the framebuffer's pixels.\n";

static const char sendkey_usage[] =
"usage: vmdeck sendkey NAME KEYS [--library DIR]\n"
"\n"
"Presses and releases KEYS on NAME's PS/2 keyboard: one key (a, ret, esc,\n"
"f1, up, space, ...) or a combination joined by '-' (ctrl-alt-delete,\n"
"shift-a). A literal '-' is \"minus\".\n";

/* NAME ARG [--library DIR] in any order; returns 0 with the two positionals. */
static int two_args(int argc, char **argv, const char *usage, const char **library,
		    const char **a, const char **b)
{
	const char *pos[2];
	int npos = 0;

	*library = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(usage, stdout);
			return 1;
		}
		if (!strcmp(argv[i], "--library") && i + 1 < argc) {
			*library = argv[++i];
			continue;
		}
		if (npos == 2) {
			fputs(usage, stderr);
			return -1;
		}
		pos[npos++] = argv[i];
	}
	if (npos != 2) {
		fputs(usage, stderr);
		return -1;
	}
	*a = pos[0];
	*b = pos[1];
	return 0;
}

static int screen_connect(const char *prog, const char *library, const char *name,
			  struct vmctl *c)
{
	struct vmlib lib;
	char err[1024];

	if (!config_name_valid(name)) {
		fprintf(stderr, "vmdeck %s: '%s' is not a valid VM name\n", prog, name);
		return 1;
	}
	if (cmd_open_library(library, &lib, prog))
		return 1;
	if (vmctl_connect(&lib, name, c, err, sizeof(err))) {
		fprintf(stderr, "vmdeck %s: %s\n", prog, err);
		return 1;
	}
	return 0;
}

int cmd_screenshot(int argc, char **argv)
{
	const char *library, *name, *file;
	char dir[PATH_MAX], base[PATH_MAX], abs[PATH_MAX * 2], real[PATH_MAX], err[1024];
	struct vmctl c;
	int r = two_args(argc, argv, screenshot_usage, &library, &name, &file);

	if (r)
		return r > 0 ? 0 : 1;
	/* The VM process writes the file: give it an absolute path. */
	snprintf(dir, sizeof(dir), "%s", file);
	snprintf(base, sizeof(base), "%s", file);
	if (!realpath(dirname(dir), real)) {
		fprintf(stderr, "vmdeck screenshot: %s: %s\n", file, strerror(errno));
		return 1;
	}
	snprintf(abs, sizeof(abs), "%s/%s", real, basename(base));
	if (screen_connect("screenshot", library, name, &c))
		return 1;
	r = vmctl_screenshot(&c, abs, err, sizeof(err));
	vmctl_close(&c);
	if (r) {
		fprintf(stderr, "vmdeck screenshot: %s\n", err);
		return 1;
	}
	return 0;
}

int cmd_sendkey(int argc, char **argv)
{
	const char *library, *name, *keys;
	char err[1024];
	struct vmctl c;
	int r = two_args(argc, argv, sendkey_usage, &library, &name, &keys);

	if (r)
		return r > 0 ? 0 : 1;
	if (screen_connect("sendkey", library, name, &c))
		return 1;
	r = vmctl_sendkey(&c, keys, err, sizeof(err));
	vmctl_close(&c);
	if (r) {
		fprintf(stderr, "vmdeck sendkey: %s\n", err);
		return 1;
	}
	return 0;
}
