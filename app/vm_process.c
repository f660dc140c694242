/* The VM process: `vmdeck __vm-process [--ready-fd N] --library LIB NAME`,
 * started detached by vmlib_start. It owns RUN/NAME/ (lock, pid, log,
 * control.sock, console.sock), runs the machine, and serves both sockets
 * from one poll() loop on this thread (with the VM's stop eventfd and a
 * signalfd). When the guest stops or the process is told to stop, it
 * writes LIB/vms/NAME/last-exit and removes its runtime directory. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "console_server.h"
#include "control_server.h"
#include "machine.h"
#include "proc_stats.h"
#include "vm.h"
#include "vmproc.h"
#include "vmproc_snapshot.h"
#include "vmsnap_int.h"

#define VMPROC_FLUSH_MS 200
#define VMPROC_MAX_POLL (2 + CTLSRV_MAX_CLIENTS + 1 + CONSRV_MAX_CLIENTS + 2)

struct vmproc {
	struct vmlib lib;
	char name[VMLIB_NAME_MAX];
	struct vm_config *cfg;
	struct machine *m;
	struct ctlsrv ctl;
	struct consrv con;
	bool paused;
	const char *restore_dir; /* --restore DIR: start from that snapshot */
	int ready_fd;
	int lock_fd;
};

static void ready_report(struct vmproc *p, const char *msg)
{
	if (p->ready_fd < 0)
		return;
	if (write(p->ready_fd, msg, strlen(msg)) < 0) {
		/* the starter went away: nothing to tell */
	}
	close(p->ready_fd);
	p->ready_fd = -1;
}

static int fail(struct vmproc *p, const char *msg)
{
	char line[1200];

	fprintf(stderr, "vmdeck %s: %s\n", p->name[0] ? p->name : "vm-process", msg);
	snprintf(line, sizeof(line), "error: %s\n", msg);
	ready_report(p, line);
	return 1;
}

static const char *vm_state(struct vmproc *p)
{
	struct vm *vm = machine_vm(p->m);
	bool stopping;

	pthread_mutex_lock(&vm->lock);
	stopping = vm->stopping;
	pthread_mutex_unlock(&vm->lock);
	return stopping ? "stopping" : p->paused ? "paused" : "running";
}

static int cmd_status(struct vmproc *p, json_object *reply)
{
	struct vm *vm = machine_vm(p->m);

	json_object_object_add(reply, "name", json_object_new_string(p->name));
	json_object_object_add(reply, "state", json_object_new_string(vm_state(p)));
	json_object_object_add(reply, "pid", json_object_new_int((int)getpid()));
	json_object_object_add(reply, "uptime_ns",
			       json_object_new_int64((int64_t)(vm_now_ns() - vm->start_ns)));
	json_object_object_add(reply, "cpus", json_object_new_int((int)vm->ncpus));
	json_object_object_add(reply, "memory", json_object_new_int64((int64_t)vm->mem.size));
	{
		/* machine_vnc_describe: "ADDR (password PW)" / "ADDR (no password)". */
		char desc[256], addr[128] = "", pw[128] = "";
		const char *k;
		machine_vnc_describe(p->m, desc, sizeof(desc));
		if (desc[0] && strcmp(desc, "vnc off")) {
			snprintf(addr, sizeof(addr), "%.*s", (int)strcspn(desc, " "), desc);
			if ((k = strstr(desc, "(password ")))
				snprintf(pw, sizeof(pw), "%.*s", (int)strcspn(k + 10, ")"), k + 10);
		}
		json_object_object_add(reply, "display",
				       json_object_new_boolean(machine_has_display(p->m)));
		json_object_object_add(reply, "vnc", json_object_new_string(addr));
		json_object_object_add(reply, "vnc_password", json_object_new_string(pw));
	}
	return 0;
}

static int vmproc_command(void *opaque, const char *cmd, json_object *req, json_object *reply,
			  char *err, size_t errlen)
{
	struct vmproc *p = opaque;
	struct vm *vm = machine_vm(p->m);

	if (!strcmp(cmd, "status"))
		return cmd_status(p, reply);
	if (!strcmp(cmd, "stats")) {
		struct vmctl_stats *s = malloc(sizeof(*s));
		json_object *body, *v;
		if (!s) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		proc_stats_sample(p->m, vm_state(p), s);
		if (machine_vnc_stats(p->m, &s->vnc_clients, &s->vnc_bytes))
			s->vnc_clients = 0, s->vnc_bytes = 0;
		machine_disk_stats(p->m, s);
		body = proc_stats_json(p->m, s);
		free(s);
		/* The stats are the reply's fields, next to id and ok. */
		json_object_object_foreach(body, key, val) {
			v = json_object_get(val);
			json_object_object_add(reply, key, v);
		}
		json_object_put(body);
		return 0;
	}
	if (!strcmp(cmd, "pause")) {
		if (!p->paused)
			vm_pause(vm);
		p->paused = true;
		json_object_object_add(reply, "state", json_object_new_string(vm_state(p)));
		return 0;
	}
	if (!strcmp(cmd, "resume")) {
		if (p->paused)
			vm_resume(vm);
		p->paused = false;
		json_object_object_add(reply, "state", json_object_new_string(vm_state(p)));
		return 0;
	}
	if (!strcmp(cmd, "powerdown")) {
		/* No ACPI yet: no guest-visible request exists, so stop. */
		if (p->paused)
			vm_resume(vm);
		vm_request_stop(vm, VM_STOP_REQUESTED, 0, "stopped (powerdown requested)");
		return 0;
	}
	if (!strcmp(cmd, "kill")) {
		vm_request_stop(vm, VM_STOP_REQUESTED, 137, "killed (kill requested)");
		return 0;
	}
	if (!strcmp(cmd, "screenshot")) {
		json_object *path;
		if (!json_object_object_get_ex(req, "path", &path) ||
		    !json_object_is_type(path, json_type_string)) {
			snprintf(err, errlen, "screenshot: missing \"path\" (a string)");
			return -EINVAL;
		}
		{
			char serr[512];
			int r = machine_screenshot(p->m, json_object_get_string(path), serr,
						   sizeof(serr));
			if (r) {
				snprintf(err, errlen, "screenshot: %s",
					 r == -ENODEV ? "no display" : serr);
				return r;
			}
		}
		return 0;
	}
	if (!strcmp(cmd, "sendkey")) {
		json_object *keys;
		char kerr[256];
		if (!json_object_object_get_ex(req, "keys", &keys) ||
		    !json_object_is_type(keys, json_type_string)) {
			snprintf(err, errlen, "sendkey: missing \"keys\" (a string like \"ctrl-alt-delete\")");
			return -EINVAL;
		}
		if (machine_sendkey(p->m, json_object_get_string(keys), kerr, sizeof(kerr))) {
			snprintf(err, errlen, "sendkey: %s", kerr);
			return -EINVAL;
		}
		return 0;
	}
	{
		struct vmproc_snap_ctx sc = { &p->lib, p->name, p->cfg, p->m, &p->paused };
		int r = vmproc_snap_command(&sc, cmd, req, reply, err, errlen);
		if (r != -ENOSYS)
			return r;
	}
	snprintf(err, errlen, "unknown command '%.64s' (known: status, stats, pause, resume, "
		 "powerdown, kill, screenshot, sendkey, snapshot, restore, suspend)", cmd);
	return -ENOSYS;
}

static void console_input(void *opaque, const unsigned char *buf, size_t len)
{
	struct vmproc *p = opaque;
	machine_serial_input(p->m, buf, len);
}

static int mkdir_0700(const char *path)
{
	struct stat st;

	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (lstat(path, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid())
		return -EPERM;
	if ((st.st_mode & 0777) != 0700 && chmod(path, 0700) < 0)
		return -errno;
	return 0;
}

/* Creates RUN/NAME and takes its lock; -EBUSY if another process holds it. */
static int take_runtime(struct vmproc *p, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct stat a, b;
	int r;

	r = mkdir_0700(p->lib.run_dir);
	if (!r && !(r = vmproc_path(&p->lib, p->name, NULL, path, sizeof(path))))
		r = mkdir_0700(path);
	if (r) {
		snprintf(err, errlen, "runtime directory %.900s/%s: %s", p->lib.run_dir, p->name,
			 strerror(-r));
		return r;
	}
	vmproc_path(&p->lib, p->name, "lock", path, sizeof(path));
	p->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (p->lock_fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%.900s: %s", path, strerror(errno));
		return r;
	}
	if (flock(p->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		r = errno == EWOULDBLOCK ? -EBUSY : -errno;
		snprintf(err, errlen, r == -EBUSY ? "%.900s is already running" : "lock %.900s: %s",
			 r == -EBUSY ? p->name : path, strerror(errno));
		return r;
	}
	/* The previous owner may have unlinked the lock file between our open
	 * and flock: then we hold a lock nobody else can see. */
	if (fstat(p->lock_fd, &a) < 0 || stat(path, &b) < 0 || a.st_ino != b.st_ino) {
		snprintf(err, errlen, "%s is just stopping; try again", p->name);
		return -EAGAIN;
	}
	return 0;
}

static int write_pid(struct vmproc *p, char *err, size_t errlen)
{
	char path[PATH_MAX], tmp[PATH_MAX], buf[32];
	int fd, n;

	vmproc_path(&p->lib, p->name, "pid", path, sizeof(path));
	vmproc_path(&p->lib, p->name, "pid.tmp", tmp, sizeof(tmp));
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (fd < 0 || write(fd, buf, (size_t)n) != n || close(fd) < 0 || rename(tmp, path) < 0) {
		int r = -errno;
		snprintf(err, errlen, "%.900s: %s", path, strerror(errno));
		return r;
	}
	return 0;
}

/* stderr goes to LIB/vms/NAME/vm.log, kept after the VM stops (the runtime
 * directory is not), so a crashed VM's last words can still be read. */
static void open_log(struct vmproc *p)
{
	char path[PATH_MAX];
	int fd;

	if (vmproc_vm_path(&p->lib, p->name, "vm.log", path, sizeof(path)))
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	dup2(fd, STDERR_FILENO);
	close(fd);
}

static void exit_note(struct vm *vm, char *out, size_t len, int *status)
{
	const char *msg = vm->stop_msg;
	int n = (int)strcspn(msg, "\n");

	switch (vm->stop_reason) {
	case VM_STOP_DEBUG_EXIT:
		snprintf(out, len, "exited with status %d", vm->exit_code & 0xff);
		*status = 0;
		break;
	case VM_STOP_POWEROFF:
		snprintf(out, len, "powered off");
		*status = 0;
		break;
	case VM_STOP_REQUESTED:
		snprintf(out, len, "%.*s", n, *msg ? msg : "stopped");
		*status = 0;
		break;
	default:
		snprintf(out, len, "%s: %.*s", vm_stop_reason_name(vm->stop_reason), n > 100 ? 100 : n,
			 msg);
		*status = 2;
		break;
	}
}

static void event_loop(struct vmproc *p, int sfd)
{
	struct vm *vm = machine_vm(p->m);

	for (;;) {
		struct pollfd pfd[VMPROC_MAX_POLL];
		int nctl, ncon, r;

		pfd[0] = (struct pollfd){ .fd = vm->stop_efd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		nctl = ctlsrv_pollfds(&p->ctl, pfd + 2, CTLSRV_MAX_CLIENTS + 1);
		ncon = consrv_pollfds(&p->con, pfd + 2 + nctl, CONSRV_MAX_CLIENTS + 2);
		r = poll(pfd, (nfds_t)(2 + nctl + ncon), -1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			vm_request_stop(vm, VM_STOP_ERROR, 1, "poll failed");
			return;
		}
		if (pfd[1].revents) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				char msg[64];
				snprintf(msg, sizeof(msg), "stopped by signal %s",
					 sigabbrev_np((int)si.ssi_signo) ?: "?");
				if (p->paused)
					vm_resume(vm);
				vm_request_stop(vm, VM_STOP_REQUESTED, 0, msg);
			}
		}
		ctlsrv_dispatch(&p->ctl, pfd + 2, nctl);
		consrv_dispatch(&p->con, pfd + 2 + nctl, ncon);
		if (pfd[0].revents)
			return;
	}
}

static int parse_args(struct vmproc *p, int argc, char **argv)
{
	enum { O_READY = 256, O_LIBRARY, O_RESTORE };
	static const struct option opts[] = {
		{ "ready-fd", required_argument, NULL, O_READY },
		{ "library", required_argument, NULL, O_LIBRARY },
		{ "restore", required_argument, NULL, O_RESTORE },
		{ 0 }
	};
	const char *library = NULL;
	char err[512];
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == O_READY)
			p->ready_fd = atoi(optarg);
		else if (c == O_LIBRARY)
			library = optarg;
		else if (c == O_RESTORE)
			p->restore_dir = optarg;
		else
			return fail(p, "usage: vmdeck __vm-process [--ready-fd N] [--restore DIR] "
				    "--library DIR NAME");
	}
	if (optind + 1 != argc || !config_name_valid(argv[optind]))
		return fail(p, "usage: vmdeck __vm-process [--ready-fd N] [--restore DIR] "
			    "--library DIR NAME");
	snprintf(p->name, sizeof(p->name), "%s", argv[optind]);
	if (vmlib_open(&p->lib, library, err, sizeof(err)))
		return fail(p, err);
	return 0;
}

int vmproc_main(int argc, char **argv)
{
	struct vmproc p = { .ready_fd = -1, .lock_fd = -1 };
	struct machine_opts mo = { .console_sink = consrv_sink, .console_opaque = &p.con };
	char err[1024] = "", path[PATH_MAX], fbpath[PATH_MAX], note[256], mempath[PATH_MAX + 16];
	char vmini[PATH_MAX];
	struct snap_file snapf = { 0 };
	int status = 1, sfd = -1, r;
	bool servers = false;
	sigset_t sigs;

	if (parse_args(&p, argc, argv))
		return 1;
	r = take_runtime(&p, err, sizeof(err));
	if (r) {
		/* Not ours (another process holds it): leave it alone. */
		if (p.lock_fd >= 0)
			close(p.lock_fd);
		return fail(&p, err);
	}
	open_log(&p);
	if (write_pid(&p, err, sizeof(err)))
		goto out;
	vmproc_write_last_exit(&p.lib, p.name, NULL);

	p.cfg = malloc(sizeof(*p.cfg));
	if (!p.cfg) {
		snprintf(err, sizeof(err), "out of memory");
		goto out;
	}
	vmproc_vm_path(&p.lib, p.name, "vm.ini", path, sizeof(path));
	if (config_load(path, p.cfg, err, sizeof(err)) || config_validate(p.cfg, err, sizeof(err)))
		goto out;
	if (p.restore_dir) {
		char serr[900];
		if (vmproc_snap_open(&p.lib, p.name, p.restore_dir, p.cfg, &snapf, serr,
				     sizeof(serr))) {
			snprintf(err, sizeof(err), "snapshot %.100s: %s", p.restore_dir, serr);
			goto out;
		}
		snprintf(mempath, sizeof(mempath), "%s/memory.bin", p.restore_dir);
		mo.restore_mem = mempath;
	}

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);

	vmproc_path(&p.lib, p.name, "console.sock", path, sizeof(path));
	if (consrv_open(&p.con, path, console_input, &p, err, sizeof(err)))
		goto out;
	vmproc_path(&p.lib, p.name, "control.sock", path, sizeof(path));
	if (ctlsrv_open(&p.ctl, path, vmproc_command, &p, err, sizeof(err))) {
		consrv_close(&p.con);
		goto out;
	}
	servers = true;
	vmproc_path(&p.lib, p.name, "framebuffer", fbpath, sizeof(fbpath));
	mo.fb_path = fbpath; /* the dashboard's preview maps it (vmctl_fb_map) */
	/* Snapshots and restores move disks to new overlays: vm.ini follows. */
	vmproc_vm_path(&p.lib, p.name, "vm.ini", vmini, sizeof(vmini));
	mo.vm_ini = vmini;
	if (machine_create(p.cfg, &mo, &p.m, err, sizeof(err)))
		goto out;
	{
		struct vmproc_snap_ctx sc = { &p.lib, p.name, p.cfg, p.m, &p.paused };
		if (!p.restore_dir)
			vmsnap_current_write(&p.lib, p.name, NULL); /* a cold boot */
		else if (vmproc_snap_load(&sc, p.restore_dir, &snapf, err, sizeof(err)))
			goto out;
	}
	snap_file_free(&snapf);
	if (machine_start(p.m, err, sizeof(err)))
		goto out;

	fprintf(stderr, "vmdeck %s: %s, pid %d\n", p.name,
		p.restore_dir ? "started from a snapshot" : "started", (int)getpid());
	ready_report(&p, "ok\n");
	event_loop(&p, sfd);
	vm_join(machine_vm(p.m));
	exit_note(machine_vm(p.m), note, sizeof(note), &status);
	fprintf(stderr, "vmdeck %s: %s\n", p.name, note);
	vmproc_write_last_exit(&p.lib, p.name, note);
	ctlsrv_flush(&p.ctl, VMPROC_FLUSH_MS);
	consrv_flush(&p.con, VMPROC_FLUSH_MS);
	err[0] = 0;
out:
	if (err[0]) {
		char line[1100];
		fail(&p, err);
		snprintf(line, sizeof(line), "failed to start: %.1000s", err);
		vmproc_write_last_exit(&p.lib, p.name, line);
	}
	/* vCPU threads (which feed the console server) end first. */
	machine_destroy(p.m);
	if (servers) {
		ctlsrv_close(&p.ctl);
		consrv_close(&p.con);
	}
	snap_file_free(&snapf);
	free(p.cfg);
	if (sfd >= 0)
		close(sfd);
	/* Still holding the lock: nobody else owns this directory. */
	vmproc_remove_runtime(&p.lib, p.name);
	close(p.lock_fd);
	return status;
}
