/* `vmdeck run`: one VM in the foreground, serial on stdio. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "machine.h"
#include "machine_snapshot.h"
#include "run_timed.h"
#include "vm.h"

#define EXIT_GUEST_CRASH 2
#define EXIT_TIMEOUT 124
#define EXIT_INTERRUPTED 130

static const char run_usage[] =
"usage: vmdeck run FILE.ini|NAME [options]\n"
"       vmdeck run --kernel PATH [options]\n"
"\n"
"Runs one VM in the foreground: guest serial output on stdout, stdin to the\n"
"guest's serial port, Ctrl-C stops it. Options override the file's values.\n"
"\n"
"  --kernel PATH          Multiboot kernel (ELF32/ELF64 or a.out kludge)\n"
"  --cmdline STR          kernel command line\n"
"  --module 'PATH [ARGS]' a Multiboot module (repeatable)\n"
"  --mem SIZE             guest memory, e.g. 256M, 2G (default 128M)\n"
"  --cpus N               vCPUs (default 1)\n"
"  --timeout SECONDS      stop the guest after this long (exit status 124)\n"
"  --stats-json FILE      write per-vCPU and per-VM counters at exit\n"
"  --screenshot-on-exit FILE.png   save the guest screen when it stops\n"
"  --vnc auto|off|HOST:PORT        VNC server for the display (default: the\n"
"                         file's [display] vnc, else auto = first free port\n"
"                         from 5900 on 127.0.0.1)\n"
"  --display WxH          give the guest a framebuffer of this size\n"
"  --trap-msrs            every guest RDMSR/WRMSR exits to vmdeck and is counted\n"
"                         per MSR (teaching; KVM still does the work)\n"
"  --library DIR          VM library for NAME (default $XDG_DATA_HOME/vmdeck)\n"
"  --snapshot-at SECONDS:DIR   take a snapshot into DIR (which must not exist)\n"
"                         at that time and keep running\n"
"  --restore DIR          start from the snapshot in DIR (its config.ini, state\n"
"                         and memory); no FILE/NAME needed\n"
"  --screenshot-at SECONDS:FILE.png   save the screen then (0: right after a\n"
"                         restore, before the guest runs)\n"
"\n"
"Exit status: the value the guest wrote to port 0xF4; 0 when it powered off;\n"
"1 on a vmdeck error; 2 when the guest crashed (triple fault, KVM error);\n"
"124 on timeout; 130 when interrupted.\n";

static void stdout_sink(void *opaque, const unsigned char *buf, size_t len)
{
	(void)opaque;
	while (len) {
		ssize_t n = write(STDOUT_FILENO, buf, len);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return; /* stdout gone: the guest keeps running */
		}
		buf += n;
		len -= (size_t)n;
	}
}

/* Finds NAME's definition: an existing file, the library's NAME/vm.ini, or a
 * built-in demo (configs/NAME.ini next to the guests). */
static int run_find_config(const char *arg, const char *library, char *out, size_t len)
{
	struct stat st;
	char gd[PATH_MAX];

	if (stat(arg, &st) == 0 && S_ISREG(st.st_mode)) {
		snprintf(out, len, "%s", arg);
		return 0;
	}
	if (config_name_valid(arg)) {
		char lib[PATH_MAX];
		cli_library_dir(library, lib, sizeof(lib));
		if (snprintf(out, len, "%s/vms/%s/vm.ini", lib, arg) < (int)len &&
		    stat(out, &st) == 0)
			return 0;
		if (snprintf(out, len, "%s/../../configs/%s.ini",
			     config_guests_dir(gd, sizeof(gd)), arg) < (int)len &&
		    stat(out, &st) == 0)
			return 0;
	}
	return -ENOENT;
}

int cmd_run(int argc, char **argv)
{
	enum { O_KERNEL = 256, O_CMDLINE, O_MODULE, O_MEM, O_CPUS, O_TIMEOUT, O_STATS,
	       O_LIBRARY, O_HELP, O_SHOT, O_VNC, O_DISPLAY, O_TRAP_MSRS, O_SNAP_AT, O_RESTORE, O_SHOT_AT };
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, O_KERNEL },
		{ "cmdline", required_argument, NULL, O_CMDLINE },
		{ "module", required_argument, NULL, O_MODULE },
		{ "mem", required_argument, NULL, O_MEM },
		{ "memory", required_argument, NULL, O_MEM },
		{ "cpus", required_argument, NULL, O_CPUS },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "stats-json", required_argument, NULL, O_STATS },
		{ "library", required_argument, NULL, O_LIBRARY },
		{ "screenshot-on-exit", required_argument, NULL, O_SHOT },
		{ "vnc", required_argument, NULL, O_VNC },
		{ "display", required_argument, NULL, O_DISPLAY },
		{ "trap-msrs", no_argument, NULL, O_TRAP_MSRS },
		{ "snapshot-at", required_argument, NULL, O_SNAP_AT },
		{ "restore", required_argument, NULL, O_RESTORE },
		{ "screenshot-at", required_argument, NULL, O_SHOT_AT },
		{ "help", no_argument, NULL, O_HELP },
		{ 0 }
	};
	struct vm_config cfg, over;
	const char *stats_path = NULL, *library = NULL, *shot_path = NULL;
	unsigned disp_w = 0, disp_h = 0;
	bool have_kernel = false, have_cmdline = false, have_mem = false, have_cpus = false;
	bool trap_msrs = false;
	double timeout = 0;
	char err[1024];
	struct machine *m = NULL;
	struct machine_opts mo = { .console_sink = stdout_sink };
	int c, r, status = 1, sfd = -1;
	sigset_t sigs;
	struct run_timed snap_at = { 0 }, shot_at = { 0 };
	const char *restore_dir = NULL;
	char restore_mem[PATH_MAX];
	struct snap_file snapf = { 0 };
	uint64_t restore_t0 = 0;

	config_defaults(&over);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_KERNEL:
			if (config_resolve_path(NULL, optarg, over.kernel, sizeof(over.kernel)))
				goto bad_path;
			have_kernel = true;
			break;
		case O_CMDLINE:
			snprintf(over.cmdline, sizeof(over.cmdline), "%s", optarg);
			have_cmdline = true;
			break;
		case O_MODULE: {
			struct config_module *mod;
			const char *sp = strchr(optarg, ' ');
			if (over.nmodules == CONFIG_MAX_MODULES) {
				fprintf(stderr, "vmdeck run: too many --module (at most %d)\n",
					CONFIG_MAX_MODULES);
				return 1;
			}
			mod = &over.modules[over.nmodules++];
			snprintf(mod->path, sizeof(mod->path), "%.*s",
				 (int)(sp ? sp - optarg : (ptrdiff_t)strlen(optarg)), optarg);
			snprintf(mod->args, sizeof(mod->args), "%s", sp ? sp + 1 : "");
			break;
		}
		case O_MEM:
			if (config_parse_size(optarg, &over.memory) || over.memory % 4096) {
				fprintf(stderr, "vmdeck run: --mem '%s': not a size like 256M or 2G\n",
					optarg);
				return 1;
			}
			have_mem = true;
			break;
		case O_CPUS: {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*end || n < 1 || n > VM_MAX_CPUS) {
				fprintf(stderr, "vmdeck run: --cpus '%s': not a count from 1 to %d\n",
					optarg, VM_MAX_CPUS);
				return 1;
			}
			over.cpus = (unsigned)n;
			have_cpus = true;
			break;
		}
		case O_TIMEOUT: {
			char *end;
			timeout = strtod(optarg, &end);
			if (*end || timeout <= 0 || timeout > 1e7) {
				fprintf(stderr, "vmdeck run: --timeout '%s': not a number of seconds\n",
					optarg);
				return 1;
			}
			break;
		}
		case O_STATS:
			stats_path = optarg;
			break;
		case O_LIBRARY:
			library = optarg;
			break;
		case O_SHOT:
			shot_path = optarg;
			break;
		case O_VNC:
			mo.vnc_listen = optarg;
			break;
		case O_DISPLAY:
			if (sscanf(optarg, "%ux%u", &disp_w, &disp_h) != 2 || disp_w < 64 ||
			    disp_h < 64 || disp_w > 4096 || disp_h > 2048) {
				fprintf(stderr, "vmdeck run: --display '%s': not WIDTHxHEIGHT "
					"(64x64 to 4096x2048)\n", optarg);
				return 1;
			}
			break;
		case O_TRAP_MSRS:
			trap_msrs = true;
			break;
		case O_SNAP_AT:
		case O_SHOT_AT:
			if (run_parse_timed(optarg, c == O_SNAP_AT ? &snap_at : &shot_at)) {
				fprintf(stderr, "vmdeck run: --%s '%s': not SECONDS:PATH\n",
					c == O_SNAP_AT ? "snapshot-at" : "screenshot-at", optarg);
				return 1;
			}
			break;
		case O_RESTORE:
			restore_dir = optarg;
			break;
		case O_HELP:
		case 'h':
			fputs(run_usage, stdout);
			return 0;
		default:
			fputs(run_usage, stderr);
			return 1;
		}
	}

	if (restore_dir) {
		restore_t0 = vm_now_ns();
		if (optind < argc) {
			fprintf(stderr, "vmdeck run: --restore takes the VM from the snapshot "
				"('%s' is extra)\n", argv[optind]);
			return 1;
		}
		if (machine_snapshot_open(restore_dir, &cfg, &snapf, err, sizeof(err))) {
			fprintf(stderr, "vmdeck run: restore: %s\n", err);
			return 1;
		}
		snprintf(restore_mem, sizeof(restore_mem), "%s/memory.bin", restore_dir);
		mo.restore_mem = restore_mem;
	} else if (optind < argc) {
		char path[PATH_MAX];
		if (optind + 1 < argc) {
			fprintf(stderr, "vmdeck run: one VM at a time ('%s' is extra)\n", argv[optind + 1]);
			return 1;
		}
		if (run_find_config(argv[optind], library, path, sizeof(path))) {
			fprintf(stderr, "vmdeck run: %s: no such file or VM\n", argv[optind]);
			return 1;
		}
		if (config_load(path, &cfg, err, sizeof(err))) {
			fprintf(stderr, "vmdeck run: %s\n", err);
			return 1;
		}
	} else if (have_kernel) {
		config_defaults(&cfg);
		snprintf(cfg.name, sizeof(cfg.name), "run");
	} else {
		fputs(run_usage, stderr);
		return 1;
	}
	if (have_kernel)
		memcpy(cfg.kernel, over.kernel, sizeof(cfg.kernel));
	if (have_cmdline)
		memcpy(cfg.cmdline, over.cmdline, sizeof(cfg.cmdline));
	if (have_mem)
		cfg.memory = over.memory;
	if (have_cpus)
		cfg.cpus = over.cpus;
	if (trap_msrs)
		cfg.trap_msrs = true;
	if (disp_w) {
		cfg.display.enabled = true;
		cfg.display.width = disp_w;
		cfg.display.height = disp_h;
	}
	for (unsigned i = 0; i < over.nmodules && cfg.nmodules < CONFIG_MAX_MODULES; i++)
		cfg.modules[cfg.nmodules++] = over.modules[i];
	if (config_validate(&cfg, err, sizeof(err))) {
		fprintf(stderr, "vmdeck run: %s\n", err);
		snap_file_free(&snapf);
		return 1;
	}

	/* Signals are read from a signalfd by this thread; vCPU threads
	 * inherit the blocked mask. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);

	r = machine_create(&cfg, &mo, &m, err, sizeof(err));
	if (r) {
		fprintf(stderr, "vmdeck run: %s\n", err);
		goto out;
	}
	if (machine_has_display(m)) {
		char vnc[256];
		machine_vnc_describe(m, vnc, sizeof(vnc));
		fprintf(stderr, "vmdeck: display %ux%u, %s\n", cfg.display.width, cfg.display.height,
			vnc[0] ? vnc : "VNC off");
	}
	if (restore_dir) {
		struct vm_state_info vsi;
		r = machine_restore_state(m, &snapf, &vsi, err, sizeof(err));
		snap_file_free(&snapf);
		if (r) {
			fprintf(stderr, "vmdeck run: restore: %s\n", err);
			goto out;
		}
		fprintf(stderr, "vmdeck: restored %s in %.2f ms (msrs %u restored, %u refused by KVM)\n",
			restore_dir, (double)(vm_now_ns() - restore_t0) / 1e6, vsi.msrs_restored,
			vsi.msrs_refused);
	}
	if (shot_at.path && shot_at.at_ns == 0)
		run_timed_fire(m, &shot_at, false);
	r = machine_start(m, err, sizeof(err));
	if (r) {
		fprintf(stderr, "vmdeck run: %s\n", err);
		goto out;
	}

	{
		struct vm *vm = machine_vm(m);
		uint64_t start = vm_now_ns();
		uint64_t deadline = timeout > 0 ? start + (uint64_t)(timeout * 1e9) : 0;
		bool stdin_open = true;

		for (;;) {
			struct pollfd pfd[3] = {
				{ .fd = vm->stop_efd, .events = POLLIN },
				{ .fd = sfd, .events = POLLIN },
				{ .fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN },
			};
			int wait_ms = run_timed_poll(m, &snap_at, start, true);
			wait_ms = run_wait_min(wait_ms, run_timed_poll(m, &shot_at, start, false));
			if (deadline) {
				uint64_t now = vm_now_ns();
				if (now >= deadline) {
					vm_request_stop(vm, VM_STOP_TIMEOUT, EXIT_TIMEOUT, NULL);
					break;
				}
				wait_ms = run_wait_min(wait_ms, (int)((deadline - now) / 1000000) + 1);
			}
			if (poll(pfd, 3, wait_ms) < 0 && errno != EINTR) {
				vm_request_stop(vm, VM_STOP_ERROR, 1, "poll failed");
				break;
			}
			if (pfd[0].revents)
				break;
			if (pfd[1].revents) {
				struct signalfd_siginfo si;
				if (read(sfd, &si, sizeof(si)) > 0)
					vm_request_stop(vm, VM_STOP_REQUESTED, EXIT_INTERRUPTED,
							"interrupted");
				break;
			}
			if (pfd[2].revents) {
				unsigned char buf[256];
				ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
				if (n > 0)
					machine_serial_input(m, buf, (size_t)n);
				else if (n == 0 || errno != EINTR)
					stdin_open = false;
			}
		}
		vm_join(vm);
		switch (vm->stop_reason) {
		case VM_STOP_DEBUG_EXIT:
			status = vm->exit_code & 0xff;
			break;
		case VM_STOP_POWEROFF:
		case VM_STOP_RESET:
			status = 0;
			break;
		case VM_STOP_TIMEOUT:
			fprintf(stderr, "vmdeck run: timeout after %g s, guest stopped\n", timeout);
			status = EXIT_TIMEOUT;
			break;
		case VM_STOP_REQUESTED:
			status = EXIT_INTERRUPTED;
			break;
		default:
			fprintf(stderr, "vmdeck run: guest stopped: %s\n%s", vm_stop_reason_name(vm->stop_reason),
				vm->stop_msg);
			status = EXIT_GUEST_CRASH;
			break;
		}
		if (shot_path && machine_screenshot(m, shot_path, err, sizeof(err))) {
			fprintf(stderr, "vmdeck run: screenshot: %s\n", err);
			status = status ? status : 1;
		}
		if (stats_path && machine_write_stats_json(m, stats_path, err, sizeof(err))) {
			fprintf(stderr, "vmdeck run: %s\n", err);
			status = status ? status : 1;
		}
	}
out:
	machine_destroy(m);
	if (sfd >= 0)
		close(sfd);
	return status;
bad_path:
	fprintf(stderr, "vmdeck run: path too long\n");
	return 1;
}
