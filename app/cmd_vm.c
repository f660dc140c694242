/* VM lifecycle subcommands: start, stop, pause, resume, kill, create, rm.
 * ls, console and stats have their own files. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cmd_vm.h"
#include "config.h"
#include "vmctl.h"
#include "vmlib.h"
#include "vmproc.h"
#include "vmsnap.h"

#define STOP_TIMEOUT_S 10

struct vm_cmd {
	const char *name;
	const char *usage;
	int (*run)(struct vmlib *lib, const char *name, int argc, char **argv, const char *prog);
};

int cmd_open_library(const char *library, struct vmlib *lib, const char *prog)
{
	char err[PATH_MAX + 128];

	if (vmlib_open(lib, library, err, sizeof(err))) {
		fprintf(stderr, "vmdeck %s: %s\n", prog, err);
		return 1;
	}
	return 0;
}

static int wait_gone(struct vmlib *lib, const char *name, int timeout_s)
{
	struct timespec d = { 0, 50 * 1000 * 1000 };
	struct vmlib_entry e;
	char err[512];

	for (int i = 0; i < timeout_s * 20; i++) {
		if (vmlib_get(lib, name, &e, err, sizeof(err)) ||
		    e.state == VMLIB_STOPPED || e.state == VMLIB_DEAD)
			return 0;
		nanosleep(&d, NULL);
	}
	return -ETIMEDOUT;
}

static int simple(struct vmlib *lib, const char *name, const char *cmd, const char *prog)
{
	struct vmctl c;
	char err[1024];
	int r = vmctl_connect(lib, name, &c, err, sizeof(err));

	if (!r) {
		r = vmctl_simple(&c, cmd, err, sizeof(err));
		vmctl_close(&c);
	}
	if (r) {
		fprintf(stderr, "vmdeck %s: %s\n", prog, err);
		return 1;
	}
	return 0;
}

static int run_start(struct vmlib *lib, const char *name, int argc, char **argv, const char *prog)
{
	char err[2048];
	bool resumed;

	if (vmsnap_start(lib, name, &resumed, err, sizeof(err))) {
		fprintf(stderr, "vmdeck start: %s\n", err);
		return 1;
	}
	printf(resumed ? "%s resumed from snapshot 'suspend' (saved by stop --save)\n" :
		"%s started\n", name);
	return 0;
}

static int run_stop(struct vmlib *lib, const char *name, int argc, char **argv, const char *prog)
{
	if (simple(lib, name, "powerdown", prog))
		return 1;
	if (wait_gone(lib, name, STOP_TIMEOUT_S) == 0)
		return 0;
	fprintf(stderr, "vmdeck stop: %s did not stop within %d s; killing it\n", name,
		STOP_TIMEOUT_S);
	if (simple(lib, name, "kill", prog))
		return 1;
	return wait_gone(lib, name, STOP_TIMEOUT_S) ? 1 : 0;
}

static int run_kill(struct vmlib *lib, const char *name, int argc, char **argv, const char *prog)
{
	if (simple(lib, name, "kill", prog))
		return 1;
	return wait_gone(lib, name, STOP_TIMEOUT_S) ? 1 : 0;
}

static int run_pause(struct vmlib *lib, const char *name, int argc, char **argv, const char *prog)
{
	return simple(lib, name, "pause", prog);
}

static int run_resume(struct vmlib *lib, const char *name, int argc, char **argv, const char *prog)
{
	return simple(lib, name, "resume", prog);
}

static int run_rm(struct vmlib *lib, const char *name, int argc, char **argv, const char *prog)
{
	char err[1024];

	if (vmlib_remove(lib, name, err, sizeof(err))) {
		fprintf(stderr, "vmdeck rm: %s\n", err);
		return 1;
	}
	return 0;
}

static const struct vm_cmd vm_cmds[] = {
	{ "start", "usage: vmdeck start NAME [--library DIR]\n\n"
	  "Starts NAME as its own detached process; returns once it runs.\n", run_start },
	{ "stop", "usage: vmdeck stop NAME [--save] [--library DIR]\n\n"
	  "Asks NAME to power down, waits, and kills it after 10 s.\n"
	  "  --save   suspend to file instead: its state goes to snapshot 'suspend'\n"
	  "           (replacing an older one) and the next start resumes from it\n", run_stop },
	{ "pause", "usage: vmdeck pause NAME [--library DIR]\n\nPauses every vCPU of NAME.\n",
	  run_pause },
	{ "resume", "usage: vmdeck resume NAME [--library DIR]\n\nResumes a paused VM.\n",
	  run_resume },
	{ "kill", "usage: vmdeck kill NAME [--library DIR]\n\nStops NAME at once.\n", run_kill },
	{ "rm", "usage: vmdeck rm NAME [--library DIR]\n\n"
	  "Deletes NAME's definition and disks (refuses a running VM).\n", run_rm },
};

/* --library DIR, --help, exactly one NAME. */
static int vm_cmd_main(const struct vm_cmd *vc, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "library", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ "save", no_argument, NULL, 'S' },
		{ 0 }
	};
	const char *library = NULL;
	struct vmlib lib;
	bool save = false;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'L') {
			library = optarg;
		} else if (c == 'S' && vc->run == run_stop) {
			save = true;
		} else if (c == 'h') {
			fputs(vc->usage, stdout);
			return 0;
		} else {
			fputs(vc->usage, stderr);
			return 1;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "vmdeck %s: %s\n%s", vc->name,
			optind == argc ? "which VM? (a NAME is required)" : "one NAME only", vc->usage);
		return 1;
	}
	if (!config_name_valid(argv[optind])) {
		fprintf(stderr, "vmdeck %s: '%s' is not a valid VM name\n", vc->name, argv[optind]);
		return 1;
	}
	if (cmd_open_library(library, &lib, vc->name))
		return 1;
	if (save) {
		char err[2048];
		if (vmsnap_suspend(&lib, argv[optind], err, sizeof(err))) {
			fprintf(stderr, "vmdeck stop: %s\n", err);
			return 1;
		}
		printf("%s suspended to snapshot 'suspend'; `vmdeck start %s` resumes it\n",
		       argv[optind], argv[optind]);
		return 0;
	}
	return vc->run(&lib, argv[optind], argc, argv, vc->name);
}

static const char create_usage[] =
"usage: vmdeck create NAME [--template T] [options] [--library DIR]\n"
"\n"
"Defines a VM in the library from a template (configs/T.ini; default hello).\n"
"\n"
"  --template T       hello, exits, smp, ... (see `vmdeck create --list`)\n"
"  --cpus N           vCPUs\n"
"  --memory SIZE      e.g. 256M, 1G\n"
"  --kernel PATH      a Multiboot kernel instead of the template's\n"
"  --cmdline STR      kernel command line\n"
"  --disk-size SIZE   also create a qcow2 disk of this size\n"
"  --display on|off   framebuffer + VNC\n"
"  --list             list the templates\n";

static int cmd_create(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "template", required_argument, NULL, 't' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "memory", required_argument, NULL, 'm' },
		{ "mem", required_argument, NULL, 'm' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "cmdline", required_argument, NULL, 'a' },
		{ "disk-size", required_argument, NULL, 'd' },
		{ "display", required_argument, NULL, 'D' },
		{ "list", no_argument, NULL, 'l' },
		{ "library", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct vmlib_create_req req = { .display = -1 };
	const char *library = NULL;
	struct vmlib lib;
	char err[2048], *end;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			snprintf(req.template_name, sizeof(req.template_name), "%s", optarg);
			break;
		case 'c': {
			long n = strtol(optarg, &end, 10);
			if (*end || n < 1 || n > VMCTL_MAX_VCPUS) {
				fprintf(stderr, "vmdeck create: --cpus '%s': not a count from 1 to %d\n",
					optarg, VMCTL_MAX_VCPUS);
				return 1;
			}
			req.cpus = (unsigned)n;
			break;
		}
		case 'm':
		case 'd': {
			uint64_t v;
			if (config_parse_size(optarg, &v) || !v) {
				fprintf(stderr, "vmdeck create: --%s '%s': not a size like 256M or 2G\n",
					c == 'm' ? "memory" : "disk-size", optarg);
				return 1;
			}
			*(c == 'm' ? &req.memory : &req.disk_size) = v;
			break;
		}
		case 'k':
			snprintf(req.kernel, sizeof(req.kernel), "%s", optarg);
			break;
		case 'a':
			if (strlen(optarg) >= sizeof(req.cmdline)) {
				fprintf(stderr, "vmdeck create: --cmdline longer than %zu bytes\n",
					sizeof(req.cmdline) - 1);
				return 1;
			}
			snprintf(req.cmdline, sizeof(req.cmdline), "%s", optarg);
			break;
		case 'D':
			if (strcmp(optarg, "on") && strcmp(optarg, "off")) {
				fprintf(stderr, "vmdeck create: --display '%s': on or off\n", optarg);
				return 1;
			}
			req.display = !strcmp(optarg, "on");
			break;
		case 'l': {
			struct vmlib_template *t;
			size_t n;
			if (vmlib_templates(&t, &n, err, sizeof(err))) {
				fprintf(stderr, "vmdeck create: %s\n", err);
				return 1;
			}
			for (size_t i = 0; i < n; i++)
				printf("%-12s %2u vCPU %6lluM  %s\n", t[i].name, t[i].cpus,
				       (unsigned long long)(t[i].memory >> 20), t[i].description);
			free(t);
			return 0;
		}
		case 'L':
			library = optarg;
			break;
		case 'h':
			fputs(create_usage, stdout);
			return 0;
		default:
			fputs(create_usage, stderr);
			return 1;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "vmdeck create: %s\n%s",
			optind == argc ? "a NAME is required" : "one NAME only", create_usage);
		return 1;
	}
	snprintf(req.name, sizeof(req.name), "%s", argv[optind]);
	if (cmd_open_library(library, &lib, "create"))
		return 1;
	if (vmlib_create(&lib, &req, err, sizeof(err))) {
		fprintf(stderr, "vmdeck create: %s\n", err);
		return 1;
	}
	printf("%s created in %s/vms/%s\n", req.name, lib.dir, req.name);
	return 0;
}

int cmd_vm(const char *cmd, int argc, char **argv)
{
	if (!strcmp(cmd, VMPROC_HIDDEN_CMD))
		return vmproc_main(argc, argv);
	if (!strcmp(cmd, "create"))
		return cmd_create(argc, argv);
	if (!strcmp(cmd, "ls"))
		return cmd_ls(argc, argv);
	if (!strcmp(cmd, "console"))
		return cmd_console(argc, argv);
	if (!strcmp(cmd, "stats"))
		return cmd_stats(argc, argv);
	for (size_t i = 0; i < sizeof(vm_cmds) / sizeof(vm_cmds[0]); i++)
		if (!strcmp(cmd, vm_cmds[i].name))
			return vm_cmd_main(&vm_cmds[i], argc, argv);
	return -1;
}
